/*
 * node_replay.c - a corpus as a replay schedule (see node_replay.h).
 */
#include "node_replay.h"
#include "cable_msgpack.h"
#include "cable_stream.h"
#include "rtr_route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void note_skip(node_replay_t *r, const char *a, const char *b)
{
    if (r->n_first_skip < SIM_ARRAY_LEN(r->first_skip))
        snprintf(r->first_skip[r->n_first_skip++], sizeof(r->first_skip[0]), "%s%s", a, b);
}

/* Identities seen, for input duplicates: a string set. */
typedef struct idset {
    char   **v;
    size_t   cap, n;
} idset_t;

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* True when id was there already; adds it otherwise. */
static bool idset_seen(idset_t *s, const char *id)
{
    size_t i;
    if ((s->n + 1) * 2 > s->cap) {
        idset_t g = {sim_xcalloc(s->cap ? s->cap * 2 : 1024, sizeof(char *)),
                     s->cap ? s->cap * 2 : 1024, 0};
        for (size_t k = 0; k < s->cap; k++)
            if (s->v[k])
                for (i = fnv(s->v[k]) & (g.cap - 1);; i = (i + 1) & (g.cap - 1))
                    if (!g.v[i]) {
                        g.v[i] = s->v[k];
                        g.n++;
                        break;
                    }
        free(s->v);
        *s = g;
    }
    for (i = fnv(id) & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
        if (strcmp(s->v[i], id) == 0)
            return true;
    s->v[i] = sim_xstrdup(id);
    s->n++;
    return false;
}

static void idset_free(idset_t *s)
{
    for (size_t k = 0; k < s->cap; k++)
        free(s->v[k]);
    free(s->v);
}

int node_replay_load(node_replay_t *r, const char *path, const net_network_t *net, char *err,
                     size_t errlen)
{
    cable_corpus_t cp;
    cable_t        c;
    rtr_plan_t     plan;
    idset_t        ids = {0};
    int            rc;

    memset(r, 0, sizeof(*r));
    cable_corpus_init(&cp);
    if ((rc = cable_corpus_add(&cp, path, err, errlen)) < 0) {
        cable_corpus_destroy(&cp);
        return rc;
    }
    cable_corpus_sort_dtg(&cp);
    cable_init(&c);
    rtr_plan_init(&plan, net);
    r->entries = cp.n_entries;
    r->v = sim_xcalloc(cp.n_entries ? cp.n_entries : 1, sizeof(*r->v));
    for (size_t i = 0; i < cp.n_entries; i++) {
        const char          *file = cp.sources[cp.entries[i].source].name;
        node_replay_cable_t *e = &r->v[r->n];
        int32_t              st = -1;
        char                *mp = NULL;
        size_t               len = 0;
        cable_reset(&c);
        if (cable_corpus_parse(&cp, i, &c, false) < 0) {
            char line[256] = "";
            for (uint32_t k = 0; k < c.diags.n; k++)
                if (c.diags.v[k].severity == CABLE_SEV_ERROR) {
                    cable_diag_format(file, &c.diags.v[k], line, sizeof(line));
                    break;
                }
            r->skipped++;
            note_skip(r, line[0] ? line : file, line[0] ? "" : ": does not parse");
            continue;
        }
        if (c.origin_ri.len)
            st = net_station_by_ri(net, c.origin_ri.p, c.origin_ri.len);
        if (st < 0 && c.from.len)
            st = net_station_by_pla(net, c.from.p, c.from.len);
        if (st < 0) {
            char who[160];
            snprintf(who, sizeof(who), ": originator %.*s is no station of the network",
                     (int)SIM_MIN(c.from.len, 100u), c.from.p ? c.from.p : "?");
            r->skipped++;
            note_skip(r, file, who);
            continue;
        }
        /* The identity, as the router computes it: a cable without DE takes
         * its origin RI from its station. */
        c.origin_ri = sim_span_str(net->stations[st].ri);
        cable_id(&c, e->id, sizeof(e->id));
        if (cable_msgpack_encode(&c, &mp, &len) < 0) {
            r->skipped++;
            note_skip(r, file, ": cannot be encoded");
            continue;
        }
        e->mp = mp;
        e->mp_len = (uint32_t)len;
        e->tx_bytes = (uint32_t)cable_emit_len(&c);
        e->station = (uint32_t)st;
        e->dtg = cable_dtg_epoch(&c.dtg) * SIM_USEC_PER_SEC;
        e->input_duplicate = idset_seen(&ids, e->id);
        rc = rtr_expected_deliveries(&plan, &c);
        e->prec = plan.prec != CABLE_PREC_NONE ? plan.prec : cable_precedence(&c);
        if (e->input_duplicate) {
            r->input_duplicates++;
        } else {
            e->expected = rc > 0 ? (uint32_t)rc : 0;
            e->undeliverable = plan.n_undeliverable;
            r->expected += e->expected;
            r->undeliverable += e->undeliverable;
        }
        r->n++;
    }
    rtr_plan_destroy(&plan);
    cable_destroy(&c);
    cable_corpus_destroy(&cp);
    idset_free(&ids);
    return 0;
}

void node_replay_free(node_replay_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].mp);
    free(r->v);
    memset(r, 0, sizeof(*r));
}
