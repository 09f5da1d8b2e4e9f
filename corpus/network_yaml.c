/*
 * network_yaml.c - the YAML layer of the network reader: libyaml events in,
 * a small tree of scalars, lists and mappings out, each node carrying the
 * line and column where it starts.
 *
 * Why events and not libyaml's document loader: the loader forgets where an
 * alias stood and resolves it into a shared node, so a file of nested
 * aliases ("billion laughs") becomes exponential to walk, and the place to
 * blame is lost. Reading events, this file refuses aliases, anchors and
 * explicit tags at their own line and column, stops at NET__MAX_DEPTH
 * levels of nesting and at NET__MAX_NODES nodes, and accepts exactly one
 * document. Nothing here knows what a router or a station is; network.c
 * gives the tree its meaning.
 *
 * Failure modes: every problem is recorded in the caller's net__cx_t with
 * its place; libyaml running out of memory aborts like sim_xmalloc does.
 */
#include "network_int.h"

#include <stdio.h>
#include <yaml.h>

typedef struct ybuild {
    net__cx_t    *cx;
    sim_arena_t  *a;
    const char   *buf;
    size_t        len;
    net__ynode_t *root;
    net__ynode_t *stack[NET__MAX_DEPTH];
    uint32_t      depth;
    uint32_t      n_nodes;
    bool          stop;
} ybuild_t;

/* Line and column (from 1) of a byte offset: libyaml's reader errors give
 * only the offset. */
static void offset_place(const char *buf, size_t len, size_t off, uint32_t *line, uint32_t *col)
{
    uint32_t l = 1;
    size_t   bol = 0;
    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        if (buf[i] == '\n') {
            l++;
            bol = i + 1;
        }
    }
    *line = l;
    *col = (uint32_t)(off - bol + 1);
}

static void syntax_error(ybuild_t *b, const yaml_parser_t *p)
{
    uint32_t    line, col;
    const char *problem = p->problem ? p->problem : "unknown problem";

    if (p->error == YAML_MEMORY_ERROR)
        sim_panic("%s: libyaml ran out of memory", __func__);
    if (p->error == YAML_READER_ERROR) {
        offset_place(b->buf, b->len, p->problem_offset, &line, &col);
        if (p->problem_value >= 0)
            net__error(b->cx, line, col, "cannot read the file as YAML text: %s (byte 0x%02x)",
                       problem, (unsigned)p->problem_value & 0xffu);
        else
            net__error(b->cx, line, col, "cannot read the file as YAML text: %s", problem);
        return;
    }
    line = (uint32_t)p->problem_mark.line + 1;
    col = (uint32_t)p->problem_mark.column + 1;
    if (p->context)
        net__error(b->cx, line, col,
                   "YAML syntax error: %s (%s that started at line %u, column %u)", problem,
                   p->context, (unsigned)p->context_mark.line + 1,
                   (unsigned)p->context_mark.column + 1);
    else
        net__error(b->cx, line, col, "YAML syntax error: %s", problem);
}

/* Refuse what this format does not use; the tree stays usable for more
 * checks of the same kind, but the caller will not validate it. */
static void check_extras(ybuild_t *b, const yaml_mark_t *m, const yaml_char_t *anchor,
                         const yaml_char_t *tag)
{
    char shown[NET__SHOWN_BUF];
    if (anchor) {
        const char *s = (const char *)anchor;
        net__error(b->cx, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                   "YAML anchors (&%s) are not supported in a network file; write each value out",
                   net__shown(shown, s, strlen(s)));
    }
    if (tag) {
        /* Show a standard tag the way it is written: !!str, not its URI. */
        static const char std[] = "tag:yaml.org,2002:";
        const char       *s = (const char *)tag;
        bool              is_std = strncmp(s, std, sizeof(std) - 1) == 0;
        if (is_std)
            s += sizeof(std) - 1;
        net__error(b->cx, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                   "YAML tags (%s%s) are not supported in a network file; write the plain value",
                   is_std ? "!!" : "", net__shown(shown, s, strlen(s)));
    }
}

static net__ynode_t *add_node(ybuild_t *b, net__ytype_t type, const yaml_mark_t *m)
{
    net__ynode_t *n;

    if (++b->n_nodes > NET__MAX_NODES) {
        net__error(b->cx, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                   "the file has more than %u YAML nodes; a network file is never that big",
                   NET__MAX_NODES);
        b->stop = true;
        return NULL;
    }
    n = sim_arena_calloc(b->a, sizeof(*n));
    n->type = type;
    n->line = (uint32_t)m->line + 1;
    n->col = (uint32_t)m->column + 1;
    if (b->depth == 0) {
        /* libyaml delivers one root per document, and we read one document. */
        if (b->root)
            sim_panic("%s: a second root node", __func__);
        b->root = n;
    } else {
        net__ynode_t *parent = b->stack[b->depth - 1];
        parent->kids = sim_arena_grow(b->a, parent->kids, &parent->cap_kids, parent->n_kids + 1,
                                      sizeof(*parent->kids));
        parent->kids[parent->n_kids++] = n;
    }
    return n;
}

static void open_node(ybuild_t *b, net__ytype_t type, const yaml_mark_t *m)
{
    net__ynode_t *n;
    if (b->depth == NET__MAX_DEPTH) {
        net__error(b->cx, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                   "lists and mappings nested more than %d levels deep", NET__MAX_DEPTH);
        b->stop = true;
        return;
    }
    n = add_node(b, type, m);
    if (n)
        b->stack[b->depth++] = n;
}

static void on_event(ybuild_t *b, const yaml_event_t *ev, uint32_t *n_docs)
{
    const yaml_mark_t *m = &ev->start_mark;
    net__ynode_t      *n;
    char               shown[NET__SHOWN_BUF];

    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*n_docs > 1) {
            net__error(b->cx, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                       "a network file holds one YAML document; this is a second one");
            b->stop = true;
        }
        break;
    case YAML_ALIAS_EVENT: {
        const char *s = (const char *)ev->data.alias.anchor;
        net__error(b->cx, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                   "YAML aliases (*%s) are not supported in a network file; write each value out",
                   net__shown(shown, s, strlen(s)));
        /* Stand in an empty scalar so that the shape of the tree stays right. */
        n = add_node(b, NET__Y_SCALAR, m);
        if (n) {
            n->str = "";
            n->plain = true;
        }
        break;
    }
    case YAML_SCALAR_EVENT:
        check_extras(b, m, ev->data.scalar.anchor, ev->data.scalar.tag);
        n = add_node(b, NET__Y_SCALAR, m);
        if (n) {
            n->str = sim_arena_strndup(b->a, (const char *)ev->data.scalar.value,
                                       ev->data.scalar.length);
            n->len = (uint32_t)ev->data.scalar.length;
            n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        }
        break;
    case YAML_SEQUENCE_START_EVENT:
        check_extras(b, m, ev->data.sequence_start.anchor, ev->data.sequence_start.tag);
        open_node(b, NET__Y_SEQ, m);
        break;
    case YAML_MAPPING_START_EVENT:
        check_extras(b, m, ev->data.mapping_start.anchor, ev->data.mapping_start.tag);
        open_node(b, NET__Y_MAP, m);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth == 0)
            sim_panic("%s: libyaml closed a collection that was not open", __func__);
        b->depth--;
        break;
    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
    case YAML_DOCUMENT_END_EVENT:
        break;
    }
}

net__ynode_t *net__yaml_load(net__cx_t *cx, sim_arena_t *a, const char *buf, size_t len)
{
    yaml_parser_t p;
    yaml_event_t  ev;
    ybuild_t      b;
    uint32_t      n_docs = 0;

    memset(&b, 0, sizeof(b));
    b.cx = cx;
    b.a = a;
    b.buf = buf;
    b.len = len;
    if (!yaml_parser_initialize(&p))
        sim_panic("%s: libyaml ran out of memory", __func__);
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    while (!b.stop) {
        if (!yaml_parser_parse(&p, &ev)) {
            syntax_error(&b, &p);
            break;
        }
        on_event(&b, &ev, &n_docs);
        if (ev.type == YAML_STREAM_END_EVENT)
            b.stop = true;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return b.root;
}
