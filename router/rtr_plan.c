/*
 * rtr_plan.c - the per-cable plan (rtr_route.h): resolve the addressee
 * lines of a cable to stations through the directory, keep the ones this
 * router must move, and group them into one copy per outgoing hop with its
 * own format line 2 (routing-line segregation, docs/cable-format.md §3).
 *
 * Contract: a plan is bound to one network and reused from cable to cable.
 * Its output arrays grow to the largest cable seen and are then reused; a
 * per-station scratch array, stamped with a generation number instead of
 * being cleared, makes "is this station already a delivery / exempted / on
 * format line 2" an O(1) question. So planning a cable costs one directory
 * lookup per addressee line plus a sort of its deliveries, and no
 * allocation in the steady state.
 *
 * The resolution rules (one delivery per station, highest precedence,
 * first line, XMT/ZEN exemptions) are stated in rtr_route.h; the origin and
 * the replay's accounting (rtr_expected_deliveries) run the same code.
 * Failure modes: none beyond memory exhaustion, which aborts; bad input
 * (unknown addresses, stray RIs) becomes notes, never an error.
 */
#include "rtr_route.h"

#include <stdlib.h>

/* Slots of the per-station scratch (four uint32_t per station). */
enum { MARK_SEEN = 0, MARK_SLOT = 1, MARK_EXEMPT = 2, MARK_FL2 = 3, MARK_N = 4 };

/* What one addressee line names. */
typedef struct target {
    int32_t   station;
    int32_t   collective;
    rtr_why_t why; /* RTR_WHY_NONE when it names something */
} target_t;

static void *grow(void *v, uint32_t *cap, uint32_t need, size_t elem)
{
    uint32_t n;
    if (need <= *cap)
        return v;
    n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    *cap = n;
    return sim_xrealloc(v, (size_t)n * elem);
}

void rtr_plan_init(rtr_plan_t *p, const net_network_t *net)
{
    memset(p, 0, sizeof(*p));
    p->net = net;
    p->_marks = sim_xcalloc((size_t)net->n_stations * MARK_N + 1, sizeof(*p->_marks));
    p->_ri_rank = sim_xcalloc((size_t)net->n_stations + 1, sizeof(*p->_ri_rank));
    for (uint32_t i = 0; i < net->n_stations; i++)
        p->_ri_rank[net->by_ri[i]] = i;
}

void rtr_plan_destroy(rtr_plan_t *p)
{
    free(p->deliveries);
    free(p->fl2);
    free(p->copies);
    free(p->undeliverable);
    free(p->exempted);
    free(p->_marks);
    free(p->_ri_rank);
    memset(p, 0, sizeof(*p));
}

static uint32_t *mark(rtr_plan_t *p, uint32_t station, int which)
{
    return &p->_marks[(size_t)station * MARK_N + (size_t)which];
}

static void plan_begin(rtr_plan_t *p, rtr_role_t role)
{
    p->role = role;
    p->prec = CABLE_PREC_NONE;
    p->n_deliveries = 0;
    p->n_copies = 0;
    p->n_undeliverable = 0;
    p->n_exempted = 0;
    /* A new stamp makes every mark of the previous cable stale. */
    if (++p->_gen == 0) {
        memset(p->_marks, 0, (size_t)p->net->n_stations * MARK_N * sizeof(*p->_marks));
        p->_gen = 1;
    }
}

static target_t resolve_line(const net_network_t *net, const cable_addr_t *a)
{
    target_t               t = {-1, -1, RTR_WHY_NONE};
    const net_dir_entry_t *e;

    /* On a ZEN/ line the RI field holds "ZEN": only the address names it. */
    if (a->ri.len && !a->zen) {
        t.station = net_station_by_ri(net, a->ri.p, a->ri.len);
        if (t.station < 0)
            t.collective = net_collective_by_ri(net, a->ri.p, a->ri.len);
        if (t.station < 0 && t.collective < 0)
            t.why = RTR_WHY_UNKNOWN_RI;
        return t;
    }
    e = a->pla.len ? net_dir_lookup(net, a->pla.p, a->pla.len) : NULL;
    if (e) {
        t.station = e->station;
        t.collective = e->collective;
    }
    if (t.station < 0 && t.collective < 0)
        t.why = RTR_WHY_UNKNOWN_PLA;
    return t;
}

static void note(rtr_plan_t *p, bool exempt, rtr_why_t why, rtr_list_t list, uint32_t index,
                 int32_t station, int32_t collective, cable_prec_t prec)
{
    rtr_note_t *n;
    if (exempt) {
        p->exempted = grow(p->exempted, &p->_cap_exempted, p->n_exempted + 1, sizeof(*n));
        n = &p->exempted[p->n_exempted++];
    } else {
        p->undeliverable =
            grow(p->undeliverable, &p->_cap_undeliverable, p->n_undeliverable + 1, sizeof(*n));
        n = &p->undeliverable[p->n_undeliverable++];
    }
    n->why = why;
    n->list = list;
    n->index = index;
    n->station = station;
    n->collective = collective;
    n->prec = prec;
}

/* One addressee line reaches 'station'. A relay keeps only the stations of
 * the received format line 2; a station already reached is merged. */
static void reach(rtr_plan_t *p, uint32_t station, const cable_addr_t *a, rtr_list_t list,
                  uint32_t index, int32_t collective, cable_prec_t prec)
{
    rtr_delivery_t *d;

    if (p->role == RTR_ROLE_RELAY && *mark(p, station, MARK_FL2) != p->_gen)
        return;
    if (*mark(p, station, MARK_SEEN) == p->_gen) {
        d = &p->deliveries[*mark(p, station, MARK_SLOT)];
        d->prec = SIM_MAX(d->prec, prec);
        d->action = d->action || list == RTR_LIST_TO;
        d->niact = d->niact || a->niact;
        return;
    }
    p->deliveries =
        grow(p->deliveries, &p->_cap_deliveries, p->n_deliveries + 1, sizeof(*p->deliveries));
    *mark(p, station, MARK_SEEN) = p->_gen;
    *mark(p, station, MARK_SLOT) = p->n_deliveries;
    d = &p->deliveries[p->n_deliveries++];
    d->station = station;
    d->hop = RTR_HOP_NONE;
    d->prec = prec;
    d->action = list == RTR_LIST_TO;
    d->niact = a->niact;
    d->list = list;
    d->index = index;
    d->collective = collective;
    d->_key = 0;
}

static void mark_exempt(rtr_plan_t *p, const cable_addr_t *a)
{
    target_t t = resolve_line(p->net, a);
    if (t.station >= 0) {
        *mark(p, (uint32_t)t.station, MARK_EXEMPT) = p->_gen;
    } else if (t.collective >= 0) {
        const net_collective_t *col = &p->net->collectives[t.collective];
        for (uint32_t m = 0; m < col->n_members; m++)
            *mark(p, col->member_stations[m], MARK_EXEMPT) = p->_gen;
    }
}

/* The TO or INFO lines of the cable, in the order written. */
static void resolve_list(rtr_plan_t *p, const cable_t *c, const cable_addr_list_t *l,
                         rtr_list_t list)
{
    bool origin = p->role == RTR_ROLE_ORIGIN;

    for (uint32_t i = 0; i < l->n; i++) {
        const cable_addr_t *a = &l->v[i];
        cable_prec_t        prec = cable_addr_precedence(c, a, list == RTR_LIST_INFO);
        target_t            t = resolve_line(p->net, a);

        /* A cable that names no precedence anywhere (a lint error) still
         * moves, at the lowest one. */
        if (prec == CABLE_PREC_NONE)
            prec = CABLE_PREC_R;

        if (a->zen) {
            if (origin)
                note(p, true, RTR_WHY_ZEN, list, i, t.station, t.collective, prec);
            continue;
        }
        if (t.why != RTR_WHY_NONE) {
            if (origin)
                note(p, false, t.why, list, i, -1, -1, prec);
            continue;
        }
        if (t.station >= 0) {
            reach(p, (uint32_t)t.station, a, list, i, -1, prec);
            continue;
        }
        const net_collective_t *col = &p->net->collectives[t.collective];
        for (uint32_t m = 0; m < col->n_members; m++) {
            uint32_t s = col->member_stations[m];
            if (*mark(p, s, MARK_EXEMPT) != p->_gen)
                reach(p, s, a, list, i, t.collective, prec);
        }
    }
}

/* Resolve every line of 'c' into deliveries and notes (no routing yet). */
static void resolve(rtr_plan_t *p, const cable_t *c)
{
    const net_network_t *net = p->net;
    bool                 relay = p->role == RTR_ROLE_RELAY;

    for (uint32_t i = 0; i < c->to.n; i++)
        if (c->to.v[i].zen)
            mark_exempt(p, &c->to.v[i]);
    for (uint32_t i = 0; i < c->info.n; i++)
        if (c->info.v[i].zen)
            mark_exempt(p, &c->info.v[i]);
    for (uint32_t i = 0; i < c->xmt.n; i++)
        mark_exempt(p, &c->xmt.v[i]);
    if (relay) {
        for (uint32_t i = 0; i < c->routing_indicators.n; i++) {
            sim_span_t ri = c->routing_indicators.v[i];
            int32_t    s = net_station_by_ri(net, ri.p, ri.len);
            if (s >= 0)
                *mark(p, (uint32_t)s, MARK_FL2) = p->_gen;
        }
    }

    resolve_list(p, c, &c->to, RTR_LIST_TO);
    resolve_list(p, c, &c->info, RTR_LIST_INFO);

    if (!relay) {
        for (uint32_t i = 0; i < c->xmt.n; i++) {
            target_t t = resolve_line(net, &c->xmt.v[i]);
            note(p, true, RTR_WHY_XMT, RTR_LIST_XMT, i, t.station, t.collective,
                 CABLE_PREC_NONE);
        }
        return;
    }
    /* A relay moves only what the cable addresses; an RI of format line 2
     * that no line resolves to is reported, once per station. */
    for (uint32_t i = 0; i < c->routing_indicators.n; i++) {
        sim_span_t ri = c->routing_indicators.v[i];
        int32_t    s = net_station_by_ri(net, ri.p, ri.len);
        if (s >= 0 && *mark(p, (uint32_t)s, MARK_SEEN) == p->_gen)
            continue;
        if (s >= 0) {
            if (*mark(p, (uint32_t)s, MARK_FL2) != p->_gen)
                continue; /* already reported: FL2 names it twice */
            *mark(p, (uint32_t)s, MARK_FL2) = 0;
        }
        note(p, false, RTR_WHY_NOT_ADDRESSED, RTR_LIST_FL2, i, s, -1, CABLE_PREC_NONE);
    }
}

/* Heap sort of the deliveries by key: in place, no allocation, and keys are
 * unique (one per station), so stability does not matter. */
static void sift_down(rtr_delivery_t *v, uint32_t i, uint32_t n)
{
    for (;;) {
        uint32_t       big = i, l = 2 * i + 1, r = l + 1;
        rtr_delivery_t tmp;
        if (l < n && v[l]._key > v[big]._key)
            big = l;
        if (r < n && v[r]._key > v[big]._key)
            big = r;
        if (big == i)
            return;
        tmp = v[i];
        v[i] = v[big];
        v[big] = tmp;
        i = big;
    }
}

static void sort_deliveries(rtr_delivery_t *v, uint32_t n)
{
    if (n < 2)
        return;
    for (uint32_t i = n / 2; i-- > 0;)
        sift_down(v, i, n);
    for (uint32_t end = n - 1; end > 0; end--) {
        rtr_delivery_t tmp = v[0];
        v[0] = v[end];
        v[end] = tmp;
        sift_down(v, 0, end);
    }
}

/* Sort, fill the format line 2 spans, and cut the copies (one per hop). */
static void finish(rtr_plan_t *p, bool with_copies)
{
    sort_deliveries(p->deliveries, p->n_deliveries);
    p->fl2 = grow(p->fl2, &p->_cap_fl2, p->n_deliveries, sizeof(*p->fl2));
    for (uint32_t i = 0; i < p->n_deliveries; i++) {
        const rtr_delivery_t *d = &p->deliveries[i];
        p->fl2[i] = sim_span_str(p->net->stations[d->station].ri);
        p->prec = SIM_MAX(p->prec, d->prec);
        if (!with_copies)
            continue;
        if (p->n_copies == 0 || p->copies[p->n_copies - 1].hop != d->hop) {
            rtr_copy_t *cp;
            p->copies = grow(p->copies, &p->_cap_copies, p->n_copies + 1, sizeof(*p->copies));
            cp = &p->copies[p->n_copies++];
            cp->hop = d->hop;
            cp->prec = CABLE_PREC_NONE;
            cp->niact = false;
            cp->first = i;
            cp->n = 0;
        }
        p->copies[p->n_copies - 1].n++;
        p->copies[p->n_copies - 1].prec = SIM_MAX(p->copies[p->n_copies - 1].prec, d->prec);
        p->copies[p->n_copies - 1].niact = p->copies[p->n_copies - 1].niact || d->niact;
    }
}

int rtr_plan_build(rtr_plan_t *p, const rtr_table_t *t, const cable_t *c, rtr_role_t role)
{
    uint32_t kept = 0;

    if (!p->net || t->net != p->net)
        return SIM_EUSAGE;
    plan_begin(p, role);
    resolve(p, c);
    /* Route: give each delivery its hop; one without is NO_ROUTE here. */
    for (uint32_t i = 0; i < p->n_deliveries; i++) {
        rtr_delivery_t d = p->deliveries[i];
        d.hop = t->_station_hop[d.station];
        if (d.hop == RTR_HOP_NONE) {
            note(p, false, RTR_WHY_NO_ROUTE, d.list, d.index, (int32_t)d.station, d.collective,
                 d.prec);
            continue;
        }
        d._key = t->_station_key[d.station];
        p->deliveries[kept++] = d;
    }
    p->n_deliveries = kept;
    finish(p, true);
    return (int)p->n_deliveries;
}

int rtr_expected_deliveries(rtr_plan_t *p, const cable_t *c)
{
    plan_begin(p, RTR_ROLE_ORIGIN);
    resolve(p, c);
    for (uint32_t i = 0; i < p->n_deliveries; i++)
        p->deliveries[i]._key = p->_ri_rank[p->deliveries[i].station];
    finish(p, false);
    return (int)p->n_deliveries;
}
