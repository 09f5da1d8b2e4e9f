/*
 * cmd_journal.c - cablesim journal DIR [--verify] [--json]: what a router's
 * journal holds, and a check of every record.
 *
 * The journal is opened read-only (router/rtr_journal.h): nothing is
 * created, cut or locked, so it is safe on the journal of a stopped router
 * and harmless on a running one (whose last batch may then look torn). The
 * open checks the length and CRC of every record of every segment; the
 * replay that follows checks them again while the payloads are read. What is
 * shown: the segments (size, good records), records by type, and the copies
 * still owed per link and precedence, read from the payload convention of
 * rtr_journal.h (an ACCEPT's "id", "prec" and "links"; a DELIVERED's or
 * DROPPED's "ref" and "link") without knowing the rest of the router's
 * schema. A payload that does not follow the convention is counted as
 * undecoded and warned about on stderr; it is not a bad record.
 *
 * Exit: 0; 1 with --verify when a record is bad (each printed as
 * FILE:OFFSET: why); 2 on usage errors and when the journal cannot be read.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "rtr_journal.h"

static void journal_usage(FILE *out)
{
    fprintf(out,
            "usage: cablesim journal [--verify] [--json] DIR\n"
            "\n"
            "Show what the router journal in DIR holds: its segment files, records by type\n"
            "and the copies of cables still owed, per link and precedence. The journal is\n"
            "only read (nothing is repaired: the router does that when it starts); run it\n"
            "on a stopped router, since the last batch of a running one may look torn.\n"
            "\n"
            "Options:\n"
            "  --verify    check the length and CRC of every record and list each bad one\n"
            "              as FILE:OFFSET: reason, with the bytes the router will cut\n"
            "              there when it starts; exit 1 if there is any\n"
            "  --json      print one JSON object: dir, segments, records, unknown_types,\n"
            "              pending (cables, copies, by_link, by_precedence), undecoded,\n"
            "              dangling, problems, ok\n"
            "  -h, --help  show this help\n"
            "\n"
            "Exit codes: 0 success, 1 --verify found a bad record, 2 usage error or the\n"
            "journal cannot be read.\n");
}

/* ---- what the replay gathers ---------------------------------------------------- */

static const char prec_letters[] = "YZOPR"; /* EMERGENCY COMMAND, FLASH, ... ROUTINE */
#define N_PREC 6                            /* the five, then anything else */

typedef struct jcable {
    rtr_jid_t id;
    int       prec;     /* index in prec_letters, 5 for other */
    uint32_t  first;    /* its links: links[first .. first + n) */
    uint32_t  n;
} jcable_t;

typedef struct jlink {
    char *name;    /* owned */
    bool  settled; /* a DELIVERED or DROPPED names it */
} jlink_t;

typedef struct jstate {
    jcable_t *cables; /* ascending by id: the replay goes in id order */
    size_t    n_cables, cap_cables;
    jlink_t  *links;
    size_t    n_links, cap_links;
    uint64_t  undecoded; /* payloads that do not follow the convention */
    uint64_t  dangling;  /* settlements whose ACCEPT is not in the journal */
    uint64_t  warned;
} jstate_t;

static void warn_record(jstate_t *st, const rtr_journal_rec_t *rec, const char *what)
{
    st->undecoded++;
    if (st->warned++ < 10)
        fprintf(stderr, "cablesim journal: %08u.jnl:%u: %s\n", (unsigned)RTR_JID_SEG(rec->id),
                (unsigned)RTR_JID_OFF(rec->id), what);
}

static const msgpack_object *map_get(const msgpack_object *map, const char *key)
{
    size_t n = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == n &&
            memcmp(kv->key.via.str.ptr, key, n) == 0)
            return &kv->val;
    }
    return NULL;
}

static char *str_dup(const msgpack_object *o)
{
    return sim_xstrndup(o->via.str.ptr, o->via.str.size);
}

static void add_accept(jstate_t *st, const rtr_journal_rec_t *rec, const msgpack_object *map)
{
    const msgpack_object *prec = map_get(map, RTR_JKEY_PREC);
    const msgpack_object *links = map_get(map, RTR_JKEY_LINKS);
    const msgpack_object *id = map_get(map, RTR_JKEY_ID);
    jcable_t             *c;

    if (!id || id->type != MSGPACK_OBJECT_STR || !prec || prec->type != MSGPACK_OBJECT_STR ||
        !links || links->type != MSGPACK_OBJECT_ARRAY) {
        warn_record(st, rec, "ACCEPT payload without \"id\", \"prec\" and \"links\"");
        return;
    }
    for (uint32_t i = 0; i < links->via.array.size; i++) {
        if (links->via.array.ptr[i].type != MSGPACK_OBJECT_STR) {
            warn_record(st, rec, "ACCEPT \"links\" holds something else than strings");
            return;
        }
    }
    if (st->n_cables == st->cap_cables) {
        st->cap_cables = st->cap_cables ? st->cap_cables * 2 : 256;
        st->cables = sim_xrealloc(st->cables, st->cap_cables * sizeof(*st->cables));
    }
    c = &st->cables[st->n_cables++];
    c->id = rec->id;
    c->prec = N_PREC - 1;
    if (prec->via.str.size == 1) {
        const char *p = strchr(prec_letters, prec->via.str.ptr[0]);
        if (p && *p)
            c->prec = (int)(p - prec_letters);
    }
    c->first = (uint32_t)st->n_links;
    c->n = links->via.array.size;
    for (uint32_t i = 0; i < c->n; i++) {
        if (st->n_links == st->cap_links) {
            st->cap_links = st->cap_links ? st->cap_links * 2 : 256;
            st->links = sim_xrealloc(st->links, st->cap_links * sizeof(*st->links));
        }
        st->links[st->n_links].name = str_dup(&links->via.array.ptr[i]);
        st->links[st->n_links].settled = false;
        st->n_links++;
    }
}

static jcable_t *find_cable(jstate_t *st, rtr_jid_t id)
{
    size_t lo = 0, hi = st->n_cables;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->cables[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < st->n_cables && st->cables[lo].id == id ? &st->cables[lo] : NULL;
}

static void settle(jstate_t *st, const rtr_journal_rec_t *rec, const msgpack_object *map)
{
    const msgpack_object *ref = map_get(map, RTR_JKEY_REF);
    const msgpack_object *link = map_get(map, RTR_JKEY_LINK);
    jcable_t             *c;

    if (!ref || ref->type != MSGPACK_OBJECT_POSITIVE_INTEGER || !link ||
        link->type != MSGPACK_OBJECT_STR) {
        warn_record(st, rec, "DELIVERED/DROPPED payload without \"ref\" and \"link\"");
        return;
    }
    if (!(c = find_cable(st, ref->via.u64))) {
        st->dangling++; /* its ACCEPT's segment is gone: settled long ago */
        return;
    }
    for (uint32_t i = 0; i < c->n; i++) {
        jlink_t *l = &st->links[c->first + i];
        if (!l->settled && strlen(l->name) == link->via.str.size &&
            memcmp(l->name, link->via.str.ptr, link->via.str.size) == 0) {
            l->settled = true;
            return;
        }
    }
    warn_record(st, rec, "DELIVERED/DROPPED names a link its ACCEPT does not owe");
}

static int replay_cb(void *ud, const rtr_journal_rec_t *rec)
{
    jstate_t        *st = ud;
    msgpack_unpacked u;
    size_t           off = 0;

    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, rec->payload, rec->len, &off) != MSGPACK_UNPACK_SUCCESS ||
        u.data.type != MSGPACK_OBJECT_MAP) {
        warn_record(st, rec, "payload is not a msgpack map");
    } else if (rec->type == RTR_JREC_ACCEPT) {
        add_accept(st, rec, &u.data);
    } else if (rec->type == RTR_JREC_DELIVERED || rec->type == RTR_JREC_DROPPED) {
        settle(st, rec, &u.data);
    }
    msgpack_unpacked_destroy(&u);
    return 0;
}

static void jstate_free(jstate_t *st)
{
    for (size_t i = 0; i < st->n_links; i++)
        free(st->links[i].name);
    free(st->links);
    free(st->cables);
}

/* ---- pending copies per link ----------------------------------------------------- */

typedef struct jrow {
    const char *link; /* borrowed from the state */
    uint64_t    n[N_PREC];
    uint64_t    total;
} jrow_t;

typedef struct jpend {
    const char *link;
    int         prec;
} jpend_t;

static int cmp_pend(const void *a, const void *b)
{
    const jpend_t *x = a, *y = b;
    return strcmp(x->link, y->link);
}

/* Rows of pending copies, one per link in name order; returns how many.
 * *rows returned owned. */
static size_t pending_rows(const jstate_t *st, jrow_t **rows, uint64_t *cables, uint64_t *copies)
{
    jpend_t *p = sim_xmalloc((st->n_links ? st->n_links : 1) * sizeof(*p));
    size_t   np = 0, nr = 0;

    *cables = 0;
    for (size_t c = 0; c < st->n_cables; c++) {
        bool owed = false;
        for (uint32_t i = 0; i < st->cables[c].n; i++) {
            const jlink_t *l = &st->links[st->cables[c].first + i];
            if (!l->settled) {
                p[np].link = l->name;
                p[np].prec = st->cables[c].prec;
                np++;
                owed = true;
            }
        }
        *cables += owed;
    }
    *copies = np;
    qsort(p, np, sizeof(*p), cmp_pend);
    *rows = sim_xcalloc(np ? np : 1, sizeof(**rows));
    for (size_t i = 0; i < np; i++) {
        if (nr == 0 || strcmp((*rows)[nr - 1].link, p[i].link) != 0)
            (*rows)[nr++].link = p[i].link;
        (*rows)[nr - 1].n[p[i].prec]++;
        (*rows)[nr - 1].total++;
    }
    free(p);
    return nr;
}

static const char *prec_key(int i)
{
    static const char *const keys[N_PREC] = {"Y", "Z", "O", "P", "R", "other"};
    return keys[i];
}

/* ---- output ----------------------------------------------------------------------- */

/* A JSON string for bytes that may not be UTF-8: such bytes become '?'. */
static json_t *json_text(const char *s)
{
    json_t *j = json_string(s);
    if (!j) {
        char *copy = sim_xstrdup(s);
        for (char *c = copy; *c; c++)
            if ((unsigned char)*c >= 0x80)
                *c = '?';
        j = json_string(copy);
        free(copy);
    }
    return j ? j : json_string("");
}

static const char *type_name(int t)
{
    switch (t) {
    case RTR_JREC_ACCEPT: return "ACCEPT";
    case RTR_JREC_DELIVERED: return "DELIVERED";
    case RTR_JREC_DROPPED: return "DROPPED";
    default: return NULL;
    }
}

static int print_json(const char *dir, const rtr_journal_report_t *rep, const jstate_t *st,
                      const jrow_t *rows, size_t nr, uint64_t cables, uint64_t copies)
{
    json_t  *o = json_object(), *segs = json_array(), *recs = json_object();
    json_t  *unk = json_object(), *pend = json_object(), *by_link = json_object();
    json_t  *by_prec = json_object(), *probs = json_array();
    uint64_t prec_tot[N_PREC] = {0};
    char     name[32];
    int      rc;

    json_object_set_new(o, "dir", json_text(dir));
    for (size_t i = 0; i < rep->n_segs; i++) {
        const rtr_journal_seginfo_t *s = &rep->segs[i];
        json_t                      *e = json_object();
        snprintf(name, sizeof(name), "%08u.jnl", (unsigned)s->segment);
        json_object_set_new(e, "file", json_string(name));
        json_object_set_new(e, "segment", json_integer(s->segment));
        json_object_set_new(e, "bytes", json_integer((json_int_t)s->file_bytes));
        json_object_set_new(e, "data_bytes", json_integer((json_int_t)s->data_end));
        json_object_set_new(e, "records", json_integer((json_int_t)s->records));
        json_object_set_new(e, "preallocated", json_boolean(s->prealloc));
        json_array_append_new(segs, e);
    }
    json_object_set_new(o, "segments", segs);
    json_object_set_new(recs, "total", json_integer((json_int_t)rep->records));
    for (int t = 1; t <= RTR_JREC_KNOWN_MAX; t++)
        json_object_set_new(recs, type_name(t), json_integer((json_int_t)rep->by_type[t]));
    json_object_set_new(recs, "unknown", json_integer((json_int_t)rep->unknown));
    json_object_set_new(o, "records", recs);
    for (int t = RTR_JREC_KNOWN_MAX + 1; t < 256; t++) {
        if (!rep->by_type[t])
            continue;
        snprintf(name, sizeof(name), "%d", t);
        json_object_set_new(unk, name, json_integer((json_int_t)rep->by_type[t]));
    }
    json_object_set_new(o, "unknown_types", unk);
    for (size_t r = 0; r < nr; r++) {
        json_t *e = json_object();
        for (int p = 0; p < N_PREC; p++) {
            json_object_set_new(e, prec_key(p), json_integer((json_int_t)rows[r].n[p]));
            prec_tot[p] += rows[r].n[p];
        }
        json_object_set_new(e, "total", json_integer((json_int_t)rows[r].total));
        json_t *key = json_text(rows[r].link);
        json_object_set_new(by_link, json_string_value(key), e);
        json_decref(key);
    }
    for (int p = 0; p < N_PREC; p++)
        json_object_set_new(by_prec, prec_key(p), json_integer((json_int_t)prec_tot[p]));
    json_object_set_new(pend, "cables", json_integer((json_int_t)cables));
    json_object_set_new(pend, "copies", json_integer((json_int_t)copies));
    json_object_set_new(pend, "by_link", by_link);
    json_object_set_new(pend, "by_precedence", by_prec);
    json_object_set_new(o, "pending", pend);
    json_object_set_new(o, "undecoded", json_integer((json_int_t)st->undecoded));
    json_object_set_new(o, "dangling", json_integer((json_int_t)st->dangling));
    for (size_t i = 0; i < rep->n_cuts; i++) {
        const rtr_journal_cut_t *c = &rep->cuts[i];
        json_t                  *e = json_object();
        snprintf(name, sizeof(name), "%08u.jnl", (unsigned)c->segment);
        json_object_set_new(e, "file", json_string(name));
        json_object_set_new(e, "segment", json_integer(c->segment));
        json_object_set_new(e, "offset", json_integer((json_int_t)c->offset));
        json_object_set_new(e, "bytes", json_integer((json_int_t)c->bytes));
        json_object_set_new(e, "why", json_string(rtr_journal_cut_str(c->why)));
        json_object_set_new(e, "torn_tail", json_boolean(c->last));
        json_array_append_new(probs, e);
    }
    json_object_set_new(o, "problems", probs);
    json_object_set_new(o, "ok", json_boolean(rep->n_cuts == 0));
    rc = cli_json_print(o, 0);
    json_decref(o);
    return rc;
}

static void print_text(const char *dir, const rtr_journal_report_t *rep, const jstate_t *st,
                       const jrow_t *rows, size_t nr, uint64_t cables, uint64_t copies)
{
    uint64_t bytes = 0, prec_tot[N_PREC] = {0};

    for (size_t i = 0; i < rep->n_segs; i++)
        bytes += rep->segs[i].file_bytes;
    printf("journal %s\n", dir);
    printf("segments: %zu, %llu bytes\n", rep->n_segs, (unsigned long long)bytes);
    for (size_t i = 0; i < rep->n_segs; i++) {
        const rtr_journal_seginfo_t *s = &rep->segs[i];
        printf("  %08u.jnl  %10llu bytes  %8llu records%s\n", (unsigned)s->segment,
               (unsigned long long)s->file_bytes, (unsigned long long)s->records,
               s->prealloc ? "  (preallocated)" : "");
    }
    printf("records: %llu (ACCEPT %llu, DELIVERED %llu, DROPPED %llu, unknown types %llu)\n",
           (unsigned long long)rep->records, (unsigned long long)rep->by_type[RTR_JREC_ACCEPT],
           (unsigned long long)rep->by_type[RTR_JREC_DELIVERED],
           (unsigned long long)rep->by_type[RTR_JREC_DROPPED], (unsigned long long)rep->unknown);
    printf("pending: %llu copies of %llu cables\n", (unsigned long long)copies,
           (unsigned long long)cables);
    if (nr > 0) {
        printf("  %-20s %7s %7s %7s %7s %7s %7s %8s\n", "link", "Y", "Z", "O", "P", "R", "other",
               "total");
        for (size_t r = 0; r < nr; r++) {
            printf("  %-20s", rows[r].link);
            for (int p = 0; p < N_PREC; p++) {
                printf(" %7llu", (unsigned long long)rows[r].n[p]);
                prec_tot[p] += rows[r].n[p];
            }
            printf(" %8llu\n", (unsigned long long)rows[r].total);
        }
        printf("  %-20s", "total");
        for (int p = 0; p < N_PREC; p++)
            printf(" %7llu", (unsigned long long)prec_tot[p]);
        printf(" %8llu\n", (unsigned long long)copies);
    }
    if (st->undecoded)
        printf("undecoded payloads: %llu\n", (unsigned long long)st->undecoded);
}

/* --verify: every bad record, and the types recovery will skip. */
static void print_problems(FILE *out, const rtr_journal_report_t *rep)
{
    for (size_t i = 0; i < rep->n_cuts; i++) {
        const rtr_journal_cut_t *c = &rep->cuts[i];
        fprintf(out, "%08u.jnl:%llu: %s; %llu bytes from here on are unreadable (%s)\n",
                (unsigned)c->segment, (unsigned long long)c->offset, rtr_journal_cut_str(c->why),
                (unsigned long long)c->bytes,
                c->why == RTR_JCUT_HEADER ? "the router will remove the file"
                : c->last                 ? "a torn tail: the router will cut it"
                                          : "corruption: acknowledged records are lost");
    }
    for (int t = RTR_JREC_KNOWN_MAX + 1; t < 256; t++)
        if (rep->by_type[t])
            fprintf(out, "type %d: %llu records of a type this build does not know "
                         "(recovery skips them)\n",
                    t, (unsigned long long)rep->by_type[t]);
}

int cmd_journal(int argc, char **argv)
{
    static const struct option opts[] = {
        {"verify", no_argument, NULL, 'v'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    rtr_journal_opts_t   o;
    rtr_journal_report_t rep;
    rtr_journal_t       *j = NULL;
    jstate_t             st;
    jrow_t              *rows = NULL;
    size_t               nr;
    uint64_t             cables, copies;
    bool                 verify = false, json = false;
    int                  ch, rc, status = CLI_OK;
    const char          *dir;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'v': verify = true; break;
        case 'j': json = true; break;
        case 'h': journal_usage(stdout); return CLI_OK;
        default: journal_usage(stderr); return CLI_USAGE;
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("journal", "expected exactly one DIR");
    dir = argv[optind];

    memset(&o, 0, sizeof(o));
    o.read_only = true;
    rc = rtr_journal_open(&j, dir, &o, &rep);
    if (rc < 0) {
        fprintf(stderr, "cablesim journal: %s: %s\n", dir,
                rc == SIM_EVERSION ? "written by a newer cablesim (unknown segment version)"
                                   : sim_strerror(rc));
        rtr_journal_report_destroy(&rep);
        return CLI_USAGE;
    }
    memset(&st, 0, sizeof(st));
    rc = rtr_journal_scan(j, replay_cb, &st);
    rtr_journal_close(j);
    if (rc < 0) {
        fprintf(stderr, "cablesim journal: %s: reading the records: %s\n", dir, sim_strerror(rc));
        status = CLI_USAGE;
        goto out;
    }
    nr = pending_rows(&st, &rows, &cables, &copies);
    if (json) {
        if (print_json(dir, &rep, &st, rows, nr, cables, copies) < 0)
            status = CLI_USAGE;
    } else {
        print_text(dir, &rep, &st, rows, nr, cables, copies);
        if (verify)
            print_problems(stdout, &rep);
    }
    if (verify && rep.n_cuts > 0 && status == CLI_OK)
        status = CLI_PROBLEM;
    if (!verify && rep.n_cuts > 0)
        fprintf(stderr, "cablesim journal: %zu bad record%s; --verify lists them\n", rep.n_cuts,
                rep.n_cuts == 1 ? "" : "s");
    if (verify && !json)
        printf("verify: %llu good records, %zu bad\n", (unsigned long long)rep.records,
               rep.n_cuts);
    if (fflush(stdout) != 0)
        status = CLI_USAGE;
out:
    free(rows);
    jstate_free(&st);
    rtr_journal_report_destroy(&rep);
    return status;
}
