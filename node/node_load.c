/*
 * node_load.c - the load generator's engine (see node_load.h): stations on
 * one loop, a generator per run, exact accounting by (identity, station).
 *
 * Every originated cable gets an entry with its identity, precedence, send
 * time and the stations it is expected at (from rtr_expected_deliveries, so
 * the count agrees with the router by construction); every arrival is looked
 * up by identity, so a repeat, a misdelivery or a loss is found exactly.
 */
#include "node_load.h"
#include "cable_gen.h"
#include "cable_msgpack.h"
#include "node_station.h"
#include "rtr_route.h"
#include "sim_sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lcable {
    const char *id;      /* in the run's arena */
    int64_t     sent_us; /* wall clock when taken into custody */
    uint32_t    exp_first;
    uint16_t    n_exp;
    uint8_t     prec;
} lcable_t;

/* A cable model a station sends again and again with a new serial, DTG and
 * precedence: generating prose for every cable would make the load process,
 * not the router, the bottleneck. */
typedef struct ltemplate {
    cable_t   cable;    /* owns its strings */
    uint32_t *exp;      /* run station index of each expected delivery */
    uint32_t  n_exp;
} ltemplate_t;

#define LOAD_TEMPLATES 4

/* A cable made but not yet handed to the station's window. */
typedef struct lqent {
    char    *mp;
    uint32_t len;
    uint32_t ci; /* index into L->cables */
} lqent_t;

typedef struct lq {
    lqent_t *v;
    uint32_t head, n, cap;
} lq_t;

typedef struct lstation {
    struct node_load *L;
    lq_t              q[CABLE_PREC_COUNT]; /* opts.queue: by precedence */
    uint32_t          queued;
    node_station_t   *st;
    uint32_t          idx;         /* in the run */
    uint32_t          net_station; /* in the network */
    bool              up;
    ltemplate_t       tpl[LOAD_TEMPLATES];
    uint32_t          serial;      /* next station serial */
    uint64_t          count;       /* cables originated */
    /* The cable (index into L->cables) made with each serial counter value,
     * UINT32_MAX for a value not used: an identity is found from its origin
     * and its serial (see find_cable). */
    uint32_t         *by_serial;
    uint32_t          n_by_serial, cap_by_serial;
} lstation_t;

typedef struct samples {
    int64_t *v;
    size_t   n, cap;
} samples_t;

typedef struct node_load {
    uv_loop_t              *loop;
    const node_load_opts_t *o;
    node_load_result_t     *res;
    lstation_t             *st;
    int32_t                *local_of; /* network station -> run index, -1 */
    cable_gen_t            *gen;
    rtr_plan_t              plan;
    cable_t                 cable;
    uint64_t                enc_bytes; /* of every cable originated */
    sim_arena_t             ids;
    lcable_t               *cables;
    size_t                  n_cables, cap_cables;
    uint32_t               *exp_station; /* run station index per expected delivery */
    uint8_t                *exp_got;
    size_t                  n_exp, cap_exp;
    uint32_t               *ri_slot; /* open addressing: station RI -> run index + 1 */
    uint32_t                ri_cap;
    samples_t               lat[CABLE_PREC_COUNT];
    uv_timer_t              tick;
    uint64_t                t_start, t_end, t_drain_end; /* uv_now ms */
    uint64_t                start_ns, end_ns;
    uint32_t                ups, handles;
    bool                    started, sending, finished;
    uint64_t                acked, delivered_in_window, unexpected;
    uint64_t                next_station; /* round robin for rate mode */
    uint64_t                rng;          /* xorshift state for the precedence mix */
    uint32_t                mix[CABLE_PREC_COUNT], mix_total;
    int64_t                 dtg0;         /* epoch seconds of the first DTG */
    uint32_t                serial0;      /* first station serial */
} node_load_t;

/* FNV-1a of n bytes. */
static uint32_t fnv(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    while (n--)
        h = (h ^ (uint8_t)*p++) * 16777619u;
    return h;
}

/* The table from a station's RI to its run index (built once). */
static void ri_index(node_load_t *L)
{
    L->ri_cap = 16;
    while (L->ri_cap < 2 * L->o->n_stations)
        L->ri_cap <<= 1;
    L->ri_slot = sim_xcalloc(L->ri_cap, sizeof(*L->ri_slot));
    for (uint32_t i = 0; i < L->o->n_stations; i++) {
        const char *ri = L->o->net->stations[L->st[i].net_station].ri;
        uint32_t    j = fnv(ri, strlen(ri)) & (L->ri_cap - 1);
        while (L->ri_slot[j])
            j = (j + 1) & (L->ri_cap - 1);
        L->ri_slot[j] = i + 1;
    }
}

static lstation_t *station_of_ri(node_load_t *L, const char *ri, size_t n)
{
    for (uint32_t j = fnv(ri, n) & (L->ri_cap - 1); L->ri_slot[j]; j = (j + 1) & (L->ri_cap - 1)) {
        lstation_t *s = &L->st[L->ri_slot[j] - 1];
        const char *sri = L->o->net->stations[s->net_station].ri;
        if (strncmp(sri, ri, n) == 0 && sri[n] == '\0')
            return s;
    }
    return NULL;
}

/* Notes that serial counter value k of station s made cable ci. */
static void note_serial(lstation_t *s, uint32_t k, uint32_t ci)
{
    if (k >= s->cap_by_serial) {
        uint32_t cap = s->cap_by_serial ? s->cap_by_serial : 1024;
        while (cap <= k)
            cap *= 2;
        s->by_serial = sim_xrealloc(s->by_serial, cap * sizeof(*s->by_serial));
        s->cap_by_serial = cap;
    }
    while (s->n_by_serial < k)
        s->by_serial[s->n_by_serial++] = UINT32_MAX;
    s->by_serial[k] = ci;
    s->n_by_serial = k + 1;
}

/* The cable whose identity text is id, or -1. Every cable of this run has
 * the identity "ORIGIN#SSSS/SS DTG" (cable_id) with its station's RI and
 * serial (serial0 + the station's counter) % 10000: the candidates are the
 * station's cables made with that serial, newest first (a delivery is
 * usually of a recent cable), each compared whole. No table over all the
 * cables of the run: looking one up in it missed the cache twice per
 * cable. */
static int64_t find_cable(node_load_t *L, const char *id)
{
    const char *hash = strchr(id, '#');
    lstation_t *s;
    uint32_t    ser = 0, k;
    if (!hash || !(s = station_of_ri(L, id, (size_t)(hash - id))))
        return -1;
    for (int i = 1; i <= 4; i++) {
        if (hash[i] < '0' || hash[i] > '9')
            return -1;
        ser = ser * 10 + (uint32_t)(hash[i] - '0');
    }
    k = (ser + 10000u - L->serial0 % 10000u) % 10000u;
    if (k >= s->n_by_serial)
        return -1;
    k += (s->n_by_serial - 1 - k) / 10000u * 10000u; /* the newest with that serial */
    for (;; k -= 10000u) {
        uint32_t ci = s->by_serial[k];
        if (ci != UINT32_MAX && strcmp(L->cables[ci].id, id) == 0)
            return ci;
        if (k < 10000u)
            return -1;
    }
}

static void sample(samples_t *s, int64_t v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->v = sim_xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = v;
}

static int64_t now_us(void)
{
    return (int64_t)(uv_hrtime() / 1000);
}

static uint64_t rng_next(node_load_t *L)
{
    uint64_t x = L->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return L->rng = x;
}

static cable_prec_t draw_prec(node_load_t *L)
{
    uint32_t r = (uint32_t)(rng_next(L) % L->mix_total);
    for (int p = CABLE_PREC_Y; p >= CABLE_PREC_R; p--) {
        if (r < L->mix[p])
            return (cable_prec_t)p;
        r -= L->mix[p];
    }
    return CABLE_PREC_R;
}

/* Builds station s's templates from the generator. */
static void make_templates(node_load_t *L, lstation_t *s)
{
    static const char *const words[] = {"", "ROUTINE", "PRIORITY", "IMMEDIATE", "FLASH",
                                        "EMERGENCY COMMAND"};
    (void)words;
    for (int k = 0; k < LOAD_TEMPLATES; k++) {
        ltemplate_t    *t = &s->tpl[k];
        cable_gen_req_t req = {(int32_t)s->net_station, 0, CABLE_PREC_R};
        int             n;
        cable_init(&t->cable);
        if (cable_gen_next_req(L->gen, &req, &L->cable) < 0)
            sim_panic("%s: the generator refused station %u", __func__, s->net_station);
        /* Every addressee at the cable's precedence: the DTG letter decides. */
        for (uint32_t i = 0; i < L->cable.to.n; i++) {
            L->cable.to.v[i].prec = CABLE_PREC_NONE;
            L->cable.to.v[i].prec_word = SIM_SPAN_NULL;
            L->cable.to.v[i].niact = false;
        }
        for (uint32_t i = 0; i < L->cable.info.n; i++) {
            L->cable.info.v[i].prec = CABLE_PREC_NONE;
            L->cable.info.v[i].prec_word = SIM_SPAN_NULL;
        }
        cable_copy(&t->cable, &L->cable);
        n = rtr_expected_deliveries(&L->plan, &t->cable);
        t->exp = sim_xmalloc((size_t)(n > 0 ? n : 1) * sizeof(*t->exp));
        t->n_exp = 0;
        for (int i = 0; i < n; i++) {
            int32_t local = L->local_of[L->plan.deliveries[i].station];
            t->exp[t->n_exp++] = local >= 0 ? (uint32_t)local : UINT32_MAX;
        }
    }
}

static void free_templates(lstation_t *s)
{
    for (int k = 0; k < LOAD_TEMPLATES; k++) {
        cable_destroy(&s->tpl[k].cable);
        free(s->tpl[k].exp);
    }
}

static void lq_push(lq_t *q, lqent_t e)
{
    if (q->n == q->cap) {
        uint32_t cap = q->cap ? q->cap * 2 : 64;
        lqent_t *v = sim_xmalloc(cap * sizeof(*v));
        for (uint32_t i = 0; i < q->n; i++)
            v[i] = q->v[(q->head + i) % q->cap];
        free(q->v);
        q->v = v;
        q->head = 0;
        q->cap = cap;
    }
    q->v[(q->head + q->n++) % q->cap] = e;
}

/* Hands the station's queued cables to its window, highest precedence
 * first, as far as the window has room. */
static void drain(node_load_t *L, lstation_t *s)
{
    while (s->queued && node_station_can_send(s->st)) {
        lq_t   *q = NULL;
        lqent_t e;
        for (int p = CABLE_PREC_Y; p >= CABLE_PREC_NONE && !q; p--)
            if (s->q[p].n)
                q = &s->q[p];
        e = q->v[q->head];
        if (node_station_send_prec(s->st, e.mp, e.len, e.ci, (cable_prec_t)L->cables[e.ci].prec) <
            0)
            break; /* stays at the head */
        q->head = (q->head + 1) % q->cap;
        q->n--;
        s->queued--;
        free(e.mp);
    }
}

static void lq_free(lstation_t *s)
{
    for (int p = 0; p < CABLE_PREC_COUNT; p++) {
        for (uint32_t i = 0; i < s->q[p].n; i++)
            free(s->q[p].v[(s->q[p].head + i) % s->q[p].cap].mp);
        free(s->q[p].v);
    }
}

/* Originate one cable at station s. False when it cannot now. */
static bool originate(node_load_t *L, lstation_t *s)
{
    static const char *const prosigns[CABLE_PREC_COUNT] = {"", "RR", "PP", "OO", "ZZ", "YY"};
    ltemplate_t *t = &s->tpl[s->count % LOAD_TEMPLATES];
    cable_t     *c = &t->cable;
    cable_prec_t prec;
    char        *mp = NULL, id[64];
    size_t       len = 0, cap = 0;
    lcable_t    *lc;
    if (L->o->queue ? s->queued >= L->o->queue : !node_station_can_send(s->st))
        return false;
    /* A new identity: the next serial, a DTG one minute later per cable of
     * this station (identities never repeat within a run). */
    prec = draw_prec(L);
    c->station_serial = (int32_t)((L->serial0 + s->serial) % 10000);
    c->cable_number = c->station_serial;
    c->dtg = cable_dtg_from_epoch(L->dtg0 + (int64_t)s->count * 60);
    c->dtg_prec = c->dtg_info_prec = c->fl2_prec = prec;
    c->fl2_prosign = sim_span_str(prosigns[prec]);
    if (L->o->queue) {
        if (cable_msgpack_encode(c, &mp, &len) < 0)
            return false;
    } else {
        /* Encoded straight into the buffer the station keeps in custody. */
        if (cable_msgpack_bound(c, &cap) < 0)
            return false;
        mp = sim_buf_alloc(cap);
        len = cable_msgpack_write(c, mp, cap);
    }
    if (L->n_cables == L->cap_cables) {
        L->cap_cables = L->cap_cables ? L->cap_cables * 2 : 65536;
        L->cables = sim_xrealloc(L->cables, L->cap_cables * sizeof(*L->cables));
    }
    if (L->n_exp + t->n_exp > L->cap_exp) {
        L->cap_exp = (L->cap_exp ? L->cap_exp * 2 : 262144) + t->n_exp;
        L->exp_station = sim_xrealloc(L->exp_station, L->cap_exp * sizeof(*L->exp_station));
        L->exp_got = sim_xrealloc(L->exp_got, L->cap_exp);
    }
    cable_id(c, id, sizeof(id));
    lc = &L->cables[L->n_cables];
    lc->id = sim_arena_strndup(&L->ids, id, strlen(id));
    lc->prec = (uint8_t)prec;
    lc->exp_first = (uint32_t)L->n_exp;
    lc->n_exp = (uint16_t)t->n_exp;
    memcpy(L->exp_station + L->n_exp, t->exp, t->n_exp * sizeof(*t->exp));
    memset(L->exp_got + L->n_exp, 0, t->n_exp);
    lc->sent_us = now_us();
    if (L->o->queue) {
        /* Made now; it waits for the window in precedence order. */
        lqent_t e = {mp, (uint32_t)len, (uint32_t)L->n_cables};
        lq_push(&s->q[prec], e);
        s->queued++;
    } else if (node_station_send_owned(s->st, mp, cap, len, L->n_cables, prec) < 0) {
        sim_buf_free_n(mp, cap);
        return false;
    }
    L->n_exp += t->n_exp;
    L->enc_bytes += len;
    s->count++;
    note_serial(s, s->serial++, (uint32_t)L->n_cables);
    L->n_cables++;
    L->res->total.sent++;
    L->res->by_prec[lc->prec].sent++;
    L->res->total.expected += lc->n_exp;
    L->res->by_prec[lc->prec].expected += lc->n_exp;
    if (L->o->queue && L->sending)
        drain(L, s);
    return true;
}

static void pump(node_load_t *L, lstation_t *s)
{
    /* With a queue, a few at a time (the tick tops the queues up): the
     * queues were filled before the window opened, and refilling them in
     * one go would hold the loop while deliveries wait to be read. */
    uint32_t budget = L->o->queue ? 16 : UINT32_MAX;
    drain(L, s); /* the window has room again: the queue first */
    if (!L->sending || L->o->rate > 0)
        return;
    while (budget-- && originate(L, s))
        ;
}

/* --- station callbacks ------------------------------------------------- */

static void on_received(void *ud, node_station_t *st, const cable_t *c, const char *id,
                        sim_time_t at, bool duplicate)
{
    lstation_t  *s = ud;
    node_load_t *L = s->L;
    int64_t      ci = find_cable(L, id);
    lcable_t    *lc;
    (void)st;
    (void)c;
    (void)at;
    if (duplicate) {
        L->res->total.suppressed++;
        if (ci >= 0)
            L->res->by_prec[L->cables[ci].prec].suppressed++;
        return;
    }
    if (ci < 0) {
        L->unexpected++;
        return;
    }
    lc = &L->cables[ci];
    for (uint32_t k = 0; k < lc->n_exp; k++) {
        uint32_t e = lc->exp_first + k;
        if (L->exp_station[e] != s->idx)
            continue;
        if (L->exp_got[e]++) {
            L->res->total.duplicates++;
            L->res->by_prec[lc->prec].duplicates++;
        } else {
            int64_t lat = now_us() - lc->sent_us;
            L->res->total.delivered++;
            L->res->by_prec[lc->prec].delivered++;
            sample(&L->lat[lc->prec], lat);
            if (L->sending) {
                L->delivered_in_window++;
                L->res->by_prec[lc->prec].throughput_cps += 1; /* counted, divided later */
            }
        }
        return;
    }
    L->unexpected++;
}

static void on_acked(void *ud, node_station_t *st, uint64_t cookie)
{
    lstation_t  *s = ud;
    node_load_t *L = s->L;
    (void)st;
    (void)cookie;
    L->acked++;
    if (L->o->on_acked)
        L->o->on_acked(L->o->hook_ud, L->acked);
    pump(L, s);
}

static void on_link(void *ud, node_station_t *st, bool up)
{
    lstation_t  *s = ud;
    node_load_t *L = s->L;
    (void)st;
    if (up && !s->up) {
        s->up = true;
        if (++L->ups == L->o->n_stations && !L->started) {
            L->started = true;
            if (L->o->queue) {
                /* The backlog is there when the window opens: every queue
                 * is filled first, so that making it does not hold the loop
                 * (and the reading of deliveries) once cables flow. Its
                 * latency counts from the window's start. */
                int64_t t0;
                for (uint32_t i = 0; i < L->o->n_stations; i++)
                    while (originate(L, &L->st[i]))
                        ;
                t0 = now_us();
                for (size_t k = 0; k < L->n_cables; k++)
                    L->cables[k].sent_us = t0;
                uv_update_time(L->loop);
            }
            L->sending = true;
            L->t_start = uv_now(L->loop);
            L->start_ns = uv_hrtime();
            for (uint32_t i = 0; i < L->o->n_stations; i++)
                pump(L, &L->st[i]);
        }
    } else if (!up) {
        s->up = false;
        L->res->reconnects++;
    }
    if (up)
        pump(L, s);
}

static void on_service(void *ud, node_station_t *st, const link_frame_t *f)
{
    lstation_t *s = ud;
    (void)st;
    (void)f;
    s->L->res->services++;
}

/* --- the clock of the run ------------------------------------------------ */

static bool all_delivered(const node_load_t *L)
{
    return L->res->total.delivered >= L->res->total.expected;
}

static void tick_cb(uv_timer_t *t)
{
    node_load_t *L = t->data;
    uint64_t     now = uv_now(L->loop);
    if (!L->started)
        return;
    if (L->sending && (now - L->t_start >= (uint64_t)(L->o->duration_s * 1000) ||
                       (L->o->stop && *L->o->stop))) {
        L->sending = false;
        L->t_end = now;
        L->end_ns = uv_hrtime();
        L->t_drain_end = now + (uint64_t)(L->o->drain_s * 1000);
    }
    if (L->sending && L->o->rate <= 0 && L->o->queue)
        for (uint32_t i = 0; i < L->o->n_stations; i++)
            pump(L, &L->st[i]);
    if (L->sending && L->o->rate > 0) {
        double   elapsed = (double)(uv_hrtime() - L->start_ns) / 1e9;
        uint64_t due = (uint64_t)(elapsed * L->o->rate);
        uint32_t tries = 0;
        while (L->res->total.sent < due && tries < L->o->n_stations) {
            lstation_t *s = &L->st[L->next_station++ % L->o->n_stations];
            if (originate(L, s))
                tries = 0;
            else
                tries++;
        }
    }
    if (!L->sending && L->t_end && (all_delivered(L) || now >= L->t_drain_end)) {
        L->finished = true;
        return;
    }
}

static void closed_cb(void *ud)
{
    node_load_t *L = ud;
    L->handles--;
}

static void timer_closed(uv_handle_t *h)
{
    node_load_t *L = h->data;
    L->handles--;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static node_load_lat_t percentiles(samples_t *s)
{
    node_load_lat_t l = {-1, -1, -1, -1};
    if (!s->n)
        return l;
    qsort(s->v, s->n, sizeof(*s->v), cmp_i64);
    l.p50 = s->v[(s->n - 1) * 50 / 100];
    l.p99 = s->v[(s->n - 1) * 99 / 100];
    l.p999 = s->v[(s->n - 1) * 999 / 1000];
    l.max = s->v[s->n - 1];
    return l;
}

int node_load_run(uv_loop_t *loop, const node_load_opts_t *o, node_load_result_t *res, char *err,
                  size_t errlen)
{
    node_load_t      L;
    cable_gen_opts_t go;
    samples_t        all = {0};
    uint64_t         last_progress = 0;

    memset(&L, 0, sizeof(L));
    memset(res, 0, sizeof(*res));
    L.loop = loop;
    L.o = o;
    L.res = res;
    if (o->n_stations < 2) {
        snprintf(err, errlen, "a load needs at least two stations");
        return SIM_EUSAGE;
    }
    cable_gen_opts_init(&go);
    go.seed = o->seed;
    memcpy(go.mix, o->mix, sizeof(go.mix));
    go.size = o->size ? o->size : 1024;
    go.single = o->single; /* one addressee, and still exactly go.size bytes */
    go.interval_s = 1;
    go.stations = o->stations;
    go.n_stations = o->n_stations;
    L.gen = cable_gen_new(o->net, &go);
    if (!L.gen) {
        snprintf(err, errlen, "the stations chosen cannot write to each other");
        return SIM_EUSAGE;
    }
    rtr_plan_init(&L.plan, o->net);
    cable_init(&L.cable);
    sim_arena_init(&L.ids);
    L.local_of = sim_xmalloc(o->net->n_stations * sizeof(*L.local_of));
    for (uint32_t i = 0; i < o->net->n_stations; i++)
        L.local_of[i] = -1;
    L.rng = o->seed * 0x9e3779b97f4a7c15ull + 1;
    memcpy(L.mix, o->mix, sizeof(L.mix));
    for (int p = 0; p < CABLE_PREC_COUNT; p++)
        L.mix_total += L.mix[p];
    if (!L.mix_total) {
        cable_gen_parse_mix(CABLE_GEN_DEFAULT_MIX, L.mix, NULL, 0);
        for (int p = 0; p < CABLE_PREC_COUNT; p++)
            L.mix_total += L.mix[p];
    }
    /* Identities must not repeat across runs against the same router (it
     * would rightly take them for repeats of cables it already has): DTGs
     * start at this minute of the wall clock, serials at a point drawn from
     * the clock and the seed. */
    {
        int64_t wall_s = sim_wall_us() / SIM_USEC_PER_SEC;
        L.dtg0 = wall_s - wall_s % 60;
        L.serial0 = (uint32_t)((uint64_t)wall_s + o->seed * 7919u) % 10000u;
    }
    L.st = sim_xcalloc(o->n_stations, sizeof(*L.st));
    for (uint32_t i = 0; i < o->n_stations; i++)
        L.local_of[o->stations[i]] = (int32_t)i;
    for (uint32_t i = 0; i < o->n_stations; i++) {
        L.st[i].net_station = o->stations[i];
        make_templates(&L, &L.st[i]);
    }
    ri_index(&L);
    for (uint32_t i = 0; i < o->n_stations; i++) {
        node_station_opts_t so = {0};
        node_station_cbs_t  cb = {.ud = &L.st[i],
                                  .want_cable = false,
                                  .received = on_received,
                                  .acked = on_acked,
                                  .service = on_service,
                                  .link = on_link};
        L.st[i].L = &L;
        L.st[i].idx = i;
        L.st[i].net_station = o->stations[i];
        L.local_of[o->stations[i]] = (int32_t)i;
        so.ri = o->net->stations[o->stations[i]].ri;
        so.router_host = o->router_host;
        so.router_port = o->station_ports ? o->station_ports[i] : o->router_port;
        so.window = o->window ? o->window : 100;
        /* A repeat comes back from within the router's window of the link
         * (50) or from what its journal had not yet made durable when it
         * stopped: 4096 remembered deliveries per station are plenty, and a
         * table that stops growing early keeps the load from spending its
         * time growing 64 tables of 65,536. */
        so.dedup = 4096;
        L.st[i].st = node_station_new(loop, &so, &cb);
        L.handles++;
    }
    uv_timer_init(loop, &L.tick);
    L.tick.data = &L;
    L.handles++;
    uv_timer_start(&L.tick, tick_cb, 5, 5);
    {
        uint64_t connect_deadline = uv_now(loop) + 30000;
        while (!L.finished) {
            uv_run(loop, UV_RUN_ONCE);
            if (!L.started && uv_now(loop) > connect_deadline) {
                snprintf(err, errlen, "stations could not all connect to %s:%d within 30 s",
                         o->router_host, o->router_port);
                break;
            }
            if (o->progress && L.started && uv_now(loop) - last_progress >= 1000) {
                last_progress = uv_now(loop);
                fprintf(stderr, "load: %s sent %llu, delivered %llu/%llu, acked %llu\n",
                        L.sending ? "sending" : "draining",
                        (unsigned long long)res->total.sent,
                        (unsigned long long)res->total.delivered,
                        (unsigned long long)res->total.expected, (unsigned long long)L.acked);
            }
        }
    }
    /* Close everything this run opened. */
    uv_timer_stop(&L.tick);
    uv_close((uv_handle_t *)&L.tick, timer_closed);
    for (uint32_t i = 0; i < o->n_stations; i++) {
        node_station_stats_t ss;
        node_station_stats(L.st[i].st, &ss);
        res->resent += ss.resent;
        node_station_close(L.st[i].st, closed_cb, &L);
    }
    while (L.handles)
        uv_run(loop, UV_RUN_ONCE);

    if (L.started) {
        res->window_s = (double)((L.end_ns ? L.end_ns : uv_hrtime()) - L.start_ns) / 1e9;
        res->cable_bytes_mean = L.n_cables ? (double)L.enc_bytes / (double)L.n_cables : 0;
        res->drain_s = (double)(uv_now(loop) - (L.t_end ? L.t_end : uv_now(loop))) / 1000.0;
    }
    res->total.lost = res->total.expected - res->total.delivered;
    res->total.throughput_cps =
        res->window_s > 0 ? (double)L.delivered_in_window / res->window_s : 0;
    res->total.duplicates += L.unexpected;
    for (int p = 0; p < CABLE_PREC_COUNT; p++) {
        node_load_counts_t *b = &res->by_prec[p];
        b->lost = b->expected - b->delivered;
        b->throughput_cps = res->window_s > 0 ? b->throughput_cps / res->window_s : 0;
        for (size_t k = 0; k < L.lat[p].n; k++)
            sample(&all, L.lat[p].v[k]);
        b->latency_us = percentiles(&L.lat[p]);
        free(L.lat[p].v);
    }
    res->total.latency_us = percentiles(&all);
    free(all.v);
    for (uint32_t i = 0; i < o->n_stations; i++) {
        free_templates(&L.st[i]);
        lq_free(&L.st[i]);
        free(L.st[i].by_serial);
    }
    free(L.st);
    free(L.local_of);
    free(L.cables);
    free(L.exp_station);
    free(L.exp_got);
    free(L.ri_slot);
    sim_arena_destroy(&L.ids);
    cable_destroy(&L.cable);
    rtr_plan_destroy(&L.plan);
    cable_gen_free(L.gen);
    if (!L.started)
        return SIM_EIO;
    return 0;
}

char *node_load_network_yaml(const char *name, int port, uint32_t n)
{
    size_t cap = 512 + (size_t)n * 96, len = 0;
    char  *y = sim_xmalloc(cap);
    len += (size_t)snprintf(y + len, cap - len,
                            "# Generated by cablesim load: one router, %u synthetic stations.\n"
                            "routers:\n  - name: %s\n    listen: 127.0.0.1:%d\n"
                            "stations:\n",
                            n, name, port);
    for (uint32_t i = 0; i < n; i++) {
        char ri[8] = "RUZZ";
        ri[4] = (char)('A' + (i / 676) % 26);
        ri[5] = (char)('A' + (i / 26) % 26);
        ri[6] = (char)('A' + i % 26);
        ri[7] = '\0';
        len += (size_t)snprintf(y + len, cap - len,
                                "  - {ri: %s, pla: LOAD STATION %s, kind: mission, router: %s}\n",
                                ri, ri + 4, name);
    }
    return y;
}
