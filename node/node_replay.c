/*
 * node_replay.c - a corpus as a replay schedule (see node_replay.h).
 */
#include "node_replay.h"
#include "cable_gen.h"
#include "cable_msgpack.h"
#include "cable_stream.h"
#include "rtr_route.h"

#include <math.h>
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

/* Adds c (origin by its DE RI, else its FM address) as the entry r->v[r->n]
 * (the caller counts it in when this returns 0), filed at 'at' µs, or at
 * its DTG when 'at' is 0. A cable that cannot be originated is counted as
 * skipped, with 'file' in its note, and gives -1. */
static int add_cable(node_replay_t *r, cable_t *c, const net_network_t *net, rtr_plan_t *plan,
                     idset_t *ids, const char *file, sim_time_t at)
{
    node_replay_cable_t *e = &r->v[r->n];
    int32_t              st = -1;
    char                *mp = NULL;
    size_t               len = 0;
    int                  rc;
    if (c->origin_ri.len)
        st = net_station_by_ri(net, c->origin_ri.p, c->origin_ri.len);
    if (st < 0 && c->from.len)
        st = net_station_by_pla(net, c->from.p, c->from.len);
    if (st < 0) {
        char who[160];
        snprintf(who, sizeof(who), ": originator %.*s is no station of the network",
                 (int)SIM_MIN(c->from.len, 100u), c->from.p ? c->from.p : "?");
        r->skipped++;
        note_skip(r, file, who);
        return -1;
    }
    /* The identity, as the router computes it: a cable without DE takes
     * its origin RI from its station. */
    c->origin_ri = sim_span_str(net->stations[st].ri);
    cable_id(c, e->id, sizeof(e->id));
    if (cable_msgpack_encode(c, &mp, &len) < 0) {
        r->skipped++;
        note_skip(r, file, ": cannot be encoded");
        return -1;
    }
    e->mp = mp;
    e->mp_len = (uint32_t)len;
    e->tx_bytes = (uint32_t)cable_emit_len(c);
    e->station = (uint32_t)st;
    e->dtg = at ? at : cable_dtg_epoch(&c->dtg) * SIM_USEC_PER_SEC;
    e->corrected = c->corrected_copy;
    {
        char key[sizeof(e->id) + 8];
        snprintf(key, sizeof(key), "%s%s", e->id, e->corrected ? " CCY" : "");
        e->input_duplicate = idset_seen(ids, key);
    }
    rc = rtr_expected_deliveries(plan, c);
    e->prec = plan->prec != CABLE_PREC_NONE ? plan->prec : cable_precedence(c);
    if (e->input_duplicate) {
        r->input_duplicates++;
    } else {
        r->corrected += e->corrected;
        e->expected = rc > 0 ? (uint32_t)rc : 0;
        e->undeliverable = plan->n_undeliverable;
        r->expected += e->expected;
        r->undeliverable += e->undeliverable;
    }
    return 0;
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
        if (add_cable(r, &c, net, &plan, &ids, file, 0) == 0)
            r->n++;
    }
    rtr_plan_destroy(&plan);
    cable_destroy(&c);
    cable_corpus_destroy(&cp);
    idset_free(&ids);
    return 0;
}

/* splitmix64: the arrival times' own stream, apart from the generator's. */
static uint64_t mix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int node_replay_generate(node_replay_t *r, const net_network_t *net, const node_gen_opts_t *o,
                         char *err, size_t errlen)
{
    cable_gen_opts_t go;
    cable_gen_t     *g;
    cable_t          c;
    rtr_plan_t       plan;
    idset_t          ids = {0};
    uint64_t         x = o->seed ^ 0x5eedf00dull;
    size_t           cap = 0;
    sim_time_t       t;

    memset(r, 0, sizeof(*r));
    cable_gen_opts_init(&go);
    go.seed = o->seed;
    memcpy(go.mix, o->mix, sizeof(go.mix));
    if (o->start)
        go.start = o->start;
    if (!(o->rate > 0) || !(g = cable_gen_new(net, &go))) {
        snprintf(err, errlen, "%s", o->rate > 0 ? "the network has fewer than two stations"
                                                : "the rate must be above 0");
        return SIM_EUSAGE;
    }
    t = (sim_time_t)(o->start ? o->start : CABLE_GEN_DEFAULT_START) * SIM_USEC_PER_SEC;
    cable_init(&c);
    rtr_plan_init(&plan, net);
    for (uint64_t m = 0; m < o->count; m++) {
        /* Exponential gap: -ln(1 - u) / rate, u uniform in [0, 1). */
        double          u = (double)(mix64(&x) >> 11) * 0x1.0p-53;
        cable_gen_req_t req = {-1, 0, CABLE_PREC_NONE};
        uint32_t        sections = 1;
        t += (sim_time_t)llround(-log1p(-u) / o->rate * 1e6);
        req.when = t / SIM_USEC_PER_SEC;
        for (uint32_t k = 0; k < sections; k++) {
            if (r->n == cap) {
                cap = cap ? cap * 2 : 1024;
                r->v = sim_xrealloc(r->v, cap * sizeof(*r->v));
            }
            memset(&r->v[r->n], 0, sizeof(r->v[r->n]));
            if (k == 0) {
                cable_gen_next_req(g, &req, &c);
                sections = c.sections ? c.sections : 1;
            } else {
                cable_gen_next(g, &c);
            }
            r->entries++;
            if (add_cable(r, &c, net, &plan, &ids, "generator", t) == 0)
                r->n++;
        }
    }
    rtr_plan_destroy(&plan);
    cable_destroy(&c);
    cable_gen_free(g);
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
