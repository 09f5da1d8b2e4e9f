/*
 * node_sections.c - section reassembly (see node_sections.h). The open
 * messages live in one array of at most max_open entries, unordered; each
 * entry owns a bitmap of its m sections. A section is matched by a linear
 * scan on origin RI, serial and DTG: only multi-section cables pay for it,
 * and the bound keeps the scan short. The entry open the longest (lowest
 * opening number) is the one evicted and is reported first by
 * node_sections_each.
 *
 * Failure modes: none beyond allocation (which aborts); malformed section
 * numbers are input and are simply not tracked.
 */
#include "node_sections.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECTIONS_RI_MAX 32

typedef struct sect_entry {
    char         ri[SECTIONS_RI_MAX];
    int32_t      serial;
    int64_t      dtg; /* epoch seconds; INT64_MIN when the cable has none */
    char         id[NODE_SECTIONS_ID_MAX];
    uint16_t     sections, got;
    uint8_t     *have; /* owned, (sections + 7) / 8 bytes */
    cable_prec_t prec;
    sim_time_t   first_at, last_at;
    uint64_t     opened; /* opening order: the lowest is the oldest */
} sect_entry_t;

struct node_sections {
    sect_entry_t    *v;
    uint32_t         n, cap, max_open;
    uint64_t         opened;
    node_sections_cb complete, evicted;
    void            *ud;
};

node_sections_t *node_sections_new(uint32_t max_open, node_sections_cb complete,
                                   node_sections_cb evicted, void *ud)
{
    node_sections_t *s = sim_xcalloc(1, sizeof(*s));
    s->max_open = max_open ? max_open : 256;
    s->complete = complete;
    s->evicted = evicted;
    s->ud = ud;
    return s;
}

void node_sections_free(node_sections_t *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->n; i++)
        free(s->v[i].have);
    free(s->v);
    free(s);
}

static void view_of(const sect_entry_t *e, node_sections_msg_t *m)
{
    m->id = e->id;
    m->sections = e->sections;
    m->got = e->got;
    m->have = e->have;
    m->prec = e->prec;
    m->first_at = e->first_at;
    m->last_at = e->last_at;
}

/* Forgets entry i (its slot takes the last entry). */
static void drop(node_sections_t *s, uint32_t i)
{
    free(s->v[i].have);
    s->v[i] = s->v[--s->n];
}

static uint32_t oldest(const node_sections_t *s)
{
    uint32_t o = 0;
    for (uint32_t i = 1; i < s->n; i++)
        if (s->v[i].opened < s->v[o].opened)
            o = i;
    return o;
}

size_t node_sections_msg_id(const cable_t *c, char *buf, size_t size)
{
    char    dtg[15];
    int     n;
    int32_t serial = cable_serial(c);
    int     rl = c->origin_ri.len ? (int)c->origin_ri.len : 1;
    const char *ri = c->origin_ri.len ? c->origin_ri.p : "?";
    if (c->dtg.valid)
        cable_dtg_text(&c->dtg, dtg);
    else
        snprintf(dtg, sizeof(dtg), "?");
    if (serial >= 0)
        n = snprintf(buf, size, "%.*s#%04d %s", rl, ri, serial, dtg);
    else
        n = snprintf(buf, size, "%.*s#? %s", rl, ri, dtg);
    return n < 0 ? 0 : SIM_MIN((size_t)n, size ? size - 1 : 0);
}

int node_sections_add(node_sections_t *s, const cable_t *c, cable_prec_t prec, sim_time_t at)
{
    uint16_t      m = c->sections, k = c->section;
    int32_t       serial = cable_serial(c);
    int64_t       dtg = c->dtg.valid ? cable_dtg_epoch(&c->dtg) : INT64_MIN;
    sect_entry_t *e = NULL;
    uint32_t      i;
    if (m < 2 || k < 1 || k > m || c->origin_ri.len >= SECTIONS_RI_MAX)
        return NODE_SECTIONS_UNTRACKED;
    for (i = 0; i < s->n; i++) {
        e = &s->v[i];
        if (e->serial == serial && e->dtg == dtg && strlen(e->ri) == c->origin_ri.len &&
            memcmp(e->ri, c->origin_ri.p, c->origin_ri.len) == 0)
            break;
    }
    if (i == s->n) {
        /* A new message: make room by evicting the oldest when full. */
        if (s->n == s->max_open) {
            uint32_t o = oldest(s);
            if (s->evicted) {
                node_sections_msg_t v;
                view_of(&s->v[o], &v);
                s->evicted(s->ud, &v);
            }
            drop(s, o);
        }
        if (s->n == s->cap) {
            s->cap = s->cap ? SIM_MIN(s->cap * 2, s->max_open) : SIM_MIN(16u, s->max_open);
            s->v = sim_xrealloc(s->v, s->cap * sizeof(*s->v));
        }
        i = s->n++;
        e = &s->v[i];
        memset(e, 0, sizeof(*e));
        memcpy(e->ri, c->origin_ri.p, c->origin_ri.len);
        e->serial = serial;
        e->dtg = dtg;
        node_sections_msg_id(c, e->id, sizeof(e->id));
        e->sections = m;
        e->have = sim_xcalloc((size_t)(m + 7) / 8, 1);
        e->first_at = at;
        e->opened = ++s->opened;
    } else if (k > e->sections) {
        return NODE_SECTIONS_UNTRACKED; /* disagrees with the message's m */
    }
    e->last_at = at;
    if (prec > e->prec)
        e->prec = prec;
    if (!(e->have[(k - 1) / 8] & (1u << ((k - 1) % 8)))) {
        e->have[(k - 1) / 8] |= (uint8_t)(1u << ((k - 1) % 8));
        e->got++;
    }
    if (e->got < e->sections)
        return NODE_SECTIONS_OPEN;
    if (s->complete) {
        node_sections_msg_t v;
        view_of(e, &v);
        s->complete(s->ud, &v);
    }
    drop(s, i);
    return NODE_SECTIONS_COMPLETE;
}

/* Compares opening numbers, for node_sections_each's oldest-first order. */
static int by_opened(const void *a, const void *b)
{
    const sect_entry_t *x = *(const sect_entry_t *const *)a, *y = *(const sect_entry_t *const *)b;
    return x->opened < y->opened ? -1 : x->opened > y->opened;
}

uint32_t node_sections_each(const node_sections_t *s, node_sections_cb cb, void *ud)
{
    const sect_entry_t **order;
    if (!s->n || !cb)
        return s->n;
    order = sim_xmalloc(s->n * sizeof(*order));
    for (uint32_t i = 0; i < s->n; i++)
        order[i] = &s->v[i];
    qsort(order, s->n, sizeof(*order), by_opened);
    for (uint32_t i = 0; i < s->n; i++) {
        node_sections_msg_t v;
        view_of(order[i], &v);
        cb(ud, &v);
    }
    free(order);
    return s->n;
}

uint32_t node_sections_open(const node_sections_t *s)
{
    return s->n;
}

uint32_t node_sections_missing(const node_sections_msg_t *m, uint16_t *out, uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t k = 1; k <= m->sections; k++) {
        if (m->have[(k - 1) / 8] & (1u << ((k - 1) % 8)))
            continue;
        if (n < cap)
            out[n] = (uint16_t)k;
        n++;
    }
    return n;
}

size_t node_sections_missing_text(const node_sections_msg_t *m, char *buf, size_t size)
{
    size_t   len = 0;
    bool     first = true, cut = false;
    uint32_t k = 1;
    char     part[32];
    if (size < 16) {
        if (size)
            buf[0] = '\0';
        return 0;
    }
    len = (size_t)snprintf(buf, size, "sections ");
    while (k <= m->sections) {
        uint32_t lo, hi;
        int      pn;
        if (m->have[(k - 1) / 8] & (1u << ((k - 1) % 8))) {
            k++;
            continue;
        }
        lo = hi = k;
        while (hi + 1 <= m->sections && !(m->have[hi / 8] & (1u << (hi % 8))))
            hi++;
        if (lo == hi)
            pn = snprintf(part, sizeof(part), "%s%u", first ? "" : ",", lo);
        else
            pn = snprintf(part, sizeof(part), "%s%u-%u", first ? "" : ",", lo, hi);
        first = false;
        if (len + (size_t)pn + 4 >= size) {
            cut = true;
            break;
        }
        memcpy(buf + len, part, (size_t)pn + 1);
        len += (size_t)pn;
        k = hi + 1;
    }
    if (cut) {
        if (len + 4 <= size) {
            memcpy(buf + len, "...", 4);
            len += 3;
        }
        return len;
    }
    snprintf(part, sizeof(part), " of %u missing", (unsigned)m->sections);
    if (len + strlen(part) < size) {
        memcpy(buf + len, part, strlen(part) + 1);
        len += strlen(part);
    }
    return len;
}
