/*
 * node_report.c - a replay's report from delivery logs (see node_report.h).
 */
#include "node_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double node_report_objective_s(cable_prec_t p)
{
    switch (p) {
    case CABLE_PREC_Y:
    case CABLE_PREC_Z: return 600;
    case CABLE_PREC_O: return 1800;
    case CABLE_PREC_P: return 3 * 3600;
    default: return 6 * 3600;
    }
}

/* A string -> int64 map (open addressing), keys borrowed. */
typedef struct smap {
    const char **k;
    int64_t     *v;
    size_t       cap, n;
} smap_t;

static uint64_t hash2(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ull;
    for (; a && *a; a++)
        h = (h ^ (unsigned char)*a) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (; b && *b; b++)
        h = (h ^ (unsigned char)*b) * 1099511628211ull;
    return h;
}

/* Keys are pairs (a, b) stored as two consecutive entries of k. */
static int64_t *smap_slot(smap_t *m, const char *a, const char *b, bool *fresh)
{
    size_t i;
    if ((m->n + 1) * 2 > m->cap) {
        smap_t g = {0};
        g.cap = m->cap ? m->cap * 2 : 1024;
        g.k = sim_xcalloc(g.cap * 2, sizeof(*g.k));
        g.v = sim_xcalloc(g.cap, sizeof(*g.v));
        for (size_t j = 0; j < m->cap; j++)
            if (m->k[2 * j]) {
                bool f;
                *smap_slot(&g, m->k[2 * j], m->k[2 * j + 1], &f) = m->v[j];
            }
        free(m->k);
        free(m->v);
        *m = g;
    }
    for (i = hash2(a, b) & (m->cap - 1); m->k[2 * i]; i = (i + 1) & (m->cap - 1))
        if (strcmp(m->k[2 * i], a) == 0 &&
            strcmp(m->k[2 * i + 1] ? m->k[2 * i + 1] : "", b ? b : "") == 0) {
            *fresh = false;
            return &m->v[i];
        }
    m->k[2 * i] = a;
    m->k[2 * i + 1] = b ? b : "";
    m->n++;
    *fresh = true;
    return &m->v[i];
}

static int64_t *smap_get(smap_t *m, const char *a, const char *b)
{
    size_t i;
    if (!m->cap)
        return NULL;
    for (i = hash2(a, b) & (m->cap - 1); m->k[2 * i]; i = (i + 1) & (m->cap - 1))
        if (strcmp(m->k[2 * i], a) == 0 && strcmp(m->k[2 * i + 1], b ? b : "") == 0)
            return &m->v[i];
    return NULL;
}

static void smap_free(smap_t *m)
{
    free(m->k);
    free(m->v);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of n sorted values. */
static double pct(const int64_t *v, size_t n, double p)
{
    size_t r;
    if (!n)
        return 0;
    r = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (r < 1)
        r = 1;
    if (r > n)
        r = n;
    return (double)v[r - 1] / 1e6;
}

static bool by_station(const rtr_dlog_rec_t *r)
{
    return r->party && r->addressee && strcmp(r->party, r->addressee) == 0;
}

bool node_report_keeps(const rtr_dlog_rec_t *r, void *ud)
{
    (void)ud;
    return r->event == RTR_DLOG_SKIPPED || (r->event == RTR_DLOG_ORIGINATED && r->id) ||
           ((r->event == RTR_DLOG_DELIVERED || r->event == RTR_DLOG_DUPLICATE) && r->id &&
            by_station(r));
}

/* The identity a record counts under: a corrected copy's is marked. The
 * maps keep the key pointers, so a marked key lives in 'keys' (the
 * function's arena), never on the stack. */
static const char *key_of(const rtr_dlog_rec_t *r, const char *mark, sim_arena_t *keys)
{
    char buf[256];
    int  n;
    if (!r->detail || !strstr(r->detail, mark))
        return r->id;
    n = snprintf(buf, sizeof(buf), "%s CCY", r->id);
    return sim_arena_strndup(keys, buf, n > 0 ? SIM_MIN((size_t)n, sizeof(buf) - 1) : 0);
}

void node_report_build(const rtr_dlog_set_t *set, node_report_t *out)
{
    smap_t      dtg = {0}, inputdup = {0}, seen = {0};
    sim_arena_t keys;
    int64_t *delay[CABLE_PREC_COUNT] = {0};
    size_t   nd[CABLE_PREC_COUNT] = {0}, cd[CABLE_PREC_COUNT] = {0};

    memset(out, 0, sizeof(*out));
    sim_arena_init(&keys);
    for (size_t i = 0; i < set->n; i++) {
        const rtr_dlog_rec_t *r = &set->v[i];
        bool                  fresh;
        if (r->event == RTR_DLOG_SKIPPED) {
            out->skipped++;
        } else if (r->event == RTR_DLOG_ORIGINATED && r->id) {
            unsigned    exp = 0, und = 0;
            const char *key = key_of(r, "corrected copy", &keys);
            out->originated++;
            if (r->detail && strncmp(r->detail, "input duplicate", 15) == 0) {
                out->input_duplicates++;
                *smap_slot(&inputdup, key, NULL, &fresh) = 1;
                continue;
            }
            out->corrected += key != r->id;
            if (r->detail && sscanf(r->detail, "expected %u, undeliverable %u", &exp, &und) == 2)
                out->undeliverable += und;
            out->expected += (uint64_t)(r->value > 0 ? r->value : 0);
            *smap_slot(&dtg, key, NULL, &fresh) = r->sim_time;
        }
    }
    for (size_t i = 0; i < set->n; i++) {
        const rtr_dlog_rec_t *r = &set->v[i];
        bool                  fresh;
        int64_t              *t;
        int                   p;
        const char           *key;
        if (!r->id || !by_station(r))
            continue;
        key = key_of(r, "CCY", &keys);
        if (r->event == RTR_DLOG_DUPLICATE) {
            if (!smap_get(&inputdup, key, NULL))
                out->duplicates++;
            continue;
        }
        if (r->event != RTR_DLOG_DELIVERED)
            continue;
        smap_slot(&seen, key, r->addressee, &fresh);
        if (!fresh) {
            out->duplicates++; /* delivered twice without being suppressed */
            continue;
        }
        out->delivered++;
        t = smap_get(&dtg, key, NULL);
        if (!t) {
            out->unmatched++;
            continue;
        }
        p = r->precedence >= CABLE_PREC_R && r->precedence <= CABLE_PREC_Y ? (int)r->precedence
                                                                          : CABLE_PREC_R;
        if (nd[p] == cd[p]) {
            cd[p] = cd[p] ? cd[p] * 2 : 1024;
            delay[p] = sim_xrealloc(delay[p], cd[p] * sizeof(**delay));
        }
        delay[p][nd[p]++] = r->sim_time - *t;
    }
    out->lost = out->expected > out->delivered ? out->expected - out->delivered : 0;
    for (int p = CABLE_PREC_R; p <= CABLE_PREC_Y; p++) {
        node_report_prec_t *b = &out->by_prec[p];
        b->objective_s = node_report_objective_s((cable_prec_t)p);
        b->count = nd[p];
        if (!nd[p])
            continue;
        qsort(delay[p], nd[p], sizeof(**delay), cmp_i64);
        for (size_t k = 0; k < nd[p]; k++)
            if ((double)delay[p][k] <= b->objective_s * 1e6)
                b->met++;
        b->p50_s = pct(delay[p], nd[p], 50);
        b->p95_s = pct(delay[p], nd[p], 95);
        b->p99_s = pct(delay[p], nd[p], 99);
        b->max_s = (double)delay[p][nd[p] - 1] / 1e6;
        free(delay[p]);
    }
    smap_free(&dtg);
    smap_free(&inputdup);
    smap_free(&seen);
    sim_arena_destroy(&keys);
}
