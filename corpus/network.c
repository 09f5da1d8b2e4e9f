/*
 * network.c - a network file made into a net_network_t: the meaning of each
 * key, its defaults, and every check (corpus/network.md is the user's side
 * of the same rules).
 *
 * The YAML is first read into a tree (network_yaml.c); the tree is then
 * walked in the order that cross references need: link defaults, routers,
 * stations, per-station link overrides, trunks, collectives, routes, and
 * last the checks that need everything (one owner per plain-language
 * address, every router reachable over trunks). The walk never stops at a
 * problem: each one is recorded with the line and column of the offending
 * node and the walk goes on with what it could read, so one run lists every
 * error. A network comes back only when there was none; otherwise the
 * half-built one is freed here.
 *
 * Cross references (a station's router, a collective's members) are looked
 * up in name tables sorted while reading; once the file is clean the same
 * tables become the network's lookup indexes.
 */
#include "network_int.h"

#include <stdio.h>
#include <stdlib.h>

/* A name seen in the file: where, and which entry it names. */
typedef struct named {
    const char *key; /* borrowed: the tree's text or the entry's own copy */
    uint32_t    line, col;
    uint32_t    idx;
    int32_t     coll; /* PLA table only: collective index or -1 (then idx is a station) */
} named_t;

typedef struct named_tab {
    named_t *v;
    uint32_t n, cap;
} named_tab_t;

typedef struct build {
    net__cx_t          *cx;
    net_network_t      *net;
    named_tab_t         routers, listens, stations, colls, plas;
    const net__ynode_t *link_overrides; /* links.stations, read after the stations */
} build_t;

typedef const net__ynode_t *ynode_p;

/* ---- name tables ------------------------------------------------------ */

static void tab_add(named_tab_t *t, const char *key, const net__ynode_t *at, uint32_t idx,
                    int32_t coll)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->v = sim_xrealloc(t->v, t->cap * sizeof(*t->v));
    }
    t->v[t->n].key = key;
    t->v[t->n].line = at->line;
    t->v[t->n].col = at->col;
    t->v[t->n].idx = idx;
    t->v[t->n].coll = coll;
    t->n++;
}

static int named_cmp(const void *x, const void *y)
{
    const named_t *a = x, *b = y;
    int            r = strcmp(a->key, b->key);
    if (r)
        return r;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return a->col < b->col ? -1 : a->col > b->col;
}

/* Sort by key and report every repeat at its own place, naming the first:
 * "<what> '<key>' <verb> (first at line N)". */
static void tab_sort(build_t *b, named_tab_t *t, const char *what, const char *verb)
{
    char shown[NET__SHOWN_BUF];
    if (t->n > 1)
        qsort(t->v, t->n, sizeof(*t->v), named_cmp);
    for (uint32_t i = 1, first = 0; i < t->n; i++) {
        if (strcmp(t->v[i].key, t->v[first].key) != 0) {
            first = i;
            continue;
        }
        net__error(b->cx, t->v[i].line, t->v[i].col, "%s '%s' %s (first at line %u)", what,
                   net__shown(shown, t->v[i].key, strlen(t->v[i].key)), verb, t->v[first].line);
    }
}

static const named_t *tab_find(const named_tab_t *t, const char *key)
{
    uint32_t lo = 0, hi = t->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int      r = strcmp(key, t->v[mid].key);
        if (r == 0) {
            while (mid > 0 && strcmp(key, t->v[mid - 1].key) == 0)
                mid--; /* the first definition */
            return &t->v[mid];
        }
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static uint32_t *tab_index(const named_tab_t *t)
{
    uint32_t *idx = sim_xmalloc((t->n ? t->n : 1) * sizeof(*idx));
    for (uint32_t i = 0; i < t->n; i++)
        idx[i] = t->v[i].idx;
    return idx;
}

/* The router a name refers to; reports an unknown one. */
static bool want_router(build_t *b, ynode_p v, const char *key, uint32_t *out)
{
    char           shown[NET__SHOWN_BUF];
    const named_t *r;
    if (!net__want_str(b->cx, v, key))
        return false;
    r = tab_find(&b->routers, v->str);
    if (!r) {
        net__err_at(b->cx, v, "'%s' names an unknown router %s (not under 'routers')", key,
                    net__what_is(v, shown));
        return false;
    }
    *out = r->idx;
    return true;
}

/* ---- sections ----------------------------------------------------------- */

static void read_link_params(build_t *b, ynode_p map, const char *what, bool with_ri,
                             net_link_params_t *p, ynode_p *ri)
{
    static const char *const keys[] = {"bps", "latency_ms", "o_preempts", "ram_budget_mib", "ri"};
    ynode_p                  v[5];
    double                   d;

    if (!net__fields(b->cx, map, what, keys, with_ri ? 5 : 4, v))
        return;
    if (v[0] && net__want_num(b->cx, v[0], "bps", 1, NET_MAX_BPS, true, &d))
        p->bps = (uint64_t)d;
    if (v[1] && net__want_num(b->cx, v[1], "latency_ms", 0, NET_MAX_MS, false, &d))
        p->latency_ms = d;
    if (v[2])
        net__want_bool(b->cx, v[2], "o_preempts", &p->o_preempts);
    if (v[3] && net__want_num(b->cx, v[3], "ram_budget_mib", 1, NET_MAX_RAM_MIB, true, &d))
        p->ram_budget_mib = (uint32_t)d;
    if (with_ri && net__required(b->cx, map, v[4], "ri", what))
        *ri = v[4];
}

static void read_links(build_t *b, ynode_p map)
{
    static const char *const keys[] = {"defaults", "trunk_defaults", "stations"};
    ynode_p                  v[3];

    if (!net__fields(b->cx, map, "'links'", keys, 3, v))
        return;
    if (v[0])
        read_link_params(b, v[0], "'links.defaults'", false, &b->net->station_link_defaults, NULL);
    if (v[1])
        read_link_params(b, v[1], "'links.trunk_defaults'", false, &b->net->trunk_link_defaults,
                         NULL);
    if (v[2] && net__want_list(b->cx, v[2], "links.stations", true))
        b->link_overrides = v[2];
}

static void read_routers(build_t *b, ynode_p seq)
{
    static const char *const keys[] = {"name", "listen", "processing_ms"};
    net_network_t           *net = b->net;

    net->routers = sim_xcalloc(seq->n_kids, sizeof(*net->routers));
    net->n_routers = seq->n_kids;
    for (uint32_t i = 0; i < seq->n_kids; i++) {
        ynode_p       map = seq->kids[i], v[3];
        net_router_t *r = &net->routers[i];
        double        d;

        r->line = map->line;
        if (!net__fields(b->cx, map, "a router", keys, 3, v))
            continue;
        if (net__required(b->cx, map, v[0], "name", "a router") &&
            net__want_name(b->cx, v[0], "router name")) {
            r->name = sim_xstrdup(v[0]->str);
            tab_add(&b->routers, r->name, v[0], i, -1);
        }
        if (net__required(b->cx, map, v[1], "listen", "a router") &&
            net__want_str(b->cx, v[1], "listen")) {
            const char *why = NULL;
            char        shown[NET__SHOWN_BUF];
            r->listen_host = net__listen_parse(v[1]->str, v[1]->len, &r->listen_port, &why);
            if (r->listen_host)
                tab_add(&b->listens, v[1]->str, v[1], i, -1);
            else
                net__err_at(b->cx, v[1], "malformed listen address %s: %s",
                            net__what_is(v[1], shown), why);
        }
        if (v[2] && net__want_num(b->cx, v[2], "processing_ms", 0, NET_MAX_MS, false, &d))
            r->processing_ms = d;
    }
    tab_sort(b, &b->routers, "router", "is defined twice");
    tab_sort(b, &b->listens, "listen address", "is used by two routers");
}

static void read_closed(build_t *b, ynode_p seq, net_station_t *st)
{
    static const char *const keys[] = {"from", "to"};

    st->closed = sim_xcalloc(seq->n_kids, sizeof(*st->closed));
    for (uint32_t i = 0; i < seq->n_kids; i++) {
        ynode_p       map = seq->kids[i], v[2];
        net_window_t *w = &st->closed[st->n_closed];
        bool          ok;

        if (!net__fields(b->cx, map, "a closed window", keys, 2, v))
            continue;
        ok = net__required(b->cx, map, v[0], "from", "a closed window") &&
             net__want_time(b->cx, v[0], "from", &w->from);
        ok = net__required(b->cx, map, v[1], "to", "a closed window") &&
             net__want_time(b->cx, v[1], "to", &w->to) && ok;
        if (ok && w->from >= w->to) {
            net__err_at(b->cx, v[1],
                        "a closed window must end after it starts ('to' after 'from')");
            ok = false;
        }
        if (ok)
            st->n_closed++;
    }
}

static void read_station_pla(build_t *b, ynode_p v, net_station_t *st, uint32_t idx)
{
    if (v->type == NET__Y_SEQ) {
        if (!net__want_list(b->cx, v, "pla", false))
            return;
        st->pla = sim_xcalloc(v->n_kids, sizeof(*st->pla));
        for (uint32_t i = 0; i < v->n_kids; i++) {
            char *canon = net__want_pla(b->cx, v->kids[i], "pla");
            if (!canon)
                continue;
            st->pla[st->n_pla++] = canon;
            tab_add(&b->plas, canon, v->kids[i], idx, -1);
        }
        return;
    }
    st->pla = sim_xcalloc(1, sizeof(*st->pla));
    st->pla[0] = net__want_pla(b->cx, v, "pla");
    if (st->pla[0]) {
        st->n_pla = 1;
        tab_add(&b->plas, st->pla[0], v, idx, -1);
    }
}

static void read_station(build_t *b, ynode_p map, uint32_t idx)
{
    static const char *const keys[] = {
        "ri", "pla", "kind", "router", "host", "closed", "operator_delay_s"};
    ynode_p        v[7];
    net_station_t *st = &b->net->stations[idx];
    char           shown[NET__SHOWN_BUF];
    bool           homed = false;
    double         d;

    st->line = map->line;
    st->kind = NET_KIND_MISSION;
    st->operator_delay_s = NET_DEFAULT_OPERATOR_DELAY_S;
    st->link = b->net->station_link_defaults;
    if (!net__fields(b->cx, map, "a station", keys, 7, v))
        return;
    if (net__required(b->cx, map, v[0], "ri", "a station") && net__want_ri(b->cx, v[0], "ri")) {
        st->ri = sim_xstrdup(v[0]->str);
        tab_add(&b->stations, st->ri, v[0], idx, -1);
    }
    if (net__required(b->cx, map, v[1], "pla", "a station"))
        read_station_pla(b, v[1], st, idx);
    if (v[2] && net__want_str(b->cx, v[2], "kind")) {
        if (strcmp(v[2]->str, "mission") == 0 && v[2]->len == 7)
            st->kind = NET_KIND_MISSION;
        else if (strcmp(v[2]->str, "department") == 0 && v[2]->len == 10)
            st->kind = NET_KIND_DEPARTMENT;
        else
            net__err_at(b->cx, v[2], "'kind' must be mission or department, got %s",
                        net__what_is(v[2], shown));
    }
    if (net__required(b->cx, map, v[3], "router", "a station"))
        homed = want_router(b, v[3], "router", &st->router);
    if (v[4]) {
        if (net__want_name(b->cx, v[4], "host"))
            st->host = sim_xstrdup(v[4]->str);
    } else if (homed) {
        st->host = sim_xstrdup(b->net->routers[st->router].name);
    }
    if (v[5] && net__want_list(b->cx, v[5], "closed", true))
        read_closed(b, v[5], st);
    if (v[6] && net__want_num(b->cx, v[6], "operator_delay_s", 0, NET_MAX_DELAY_S, false, &d))
        st->operator_delay_s = d;
}

static void read_link_overrides(build_t *b, ynode_p seq)
{
    named_tab_t seen = {0};

    for (uint32_t i = 0; i < seq->n_kids; i++) {
        net_link_params_t p;
        ynode_p           ri = NULL;
        const named_t    *st;
        char              shown[NET__SHOWN_BUF];

        p = b->net->station_link_defaults;
        read_link_params(b, seq->kids[i], "a station link", true, &p, &ri);
        if (!ri || !net__want_ri(b->cx, ri, "ri"))
            continue;
        st = tab_find(&b->stations, ri->str);
        if (!st) {
            net__err_at(b->cx, ri, "link for an unknown station %s (no station has this RI)",
                        net__what_is(ri, shown));
            continue;
        }
        tab_add(&seen, ri->str, ri, st->idx, -1);
        b->net->stations[st->idx].link = p;
    }
    tab_sort(b, &seen, "the link of station", "is given twice");
    free(seen.v);
}

static void read_trunks(build_t *b, ynode_p seq)
{
    static const char *const keys[] = {"a",          "b",          "bps",
                                       "latency_ms", "o_preempts", "ram_budget_mib"};
    net_network_t           *net = b->net;
    named_tab_t              pairs = {0};
    char                    *keybuf = sim_xcalloc(seq->n_kids ? seq->n_kids : 1, 24);

    net->trunks = sim_xcalloc(seq->n_kids, sizeof(*net->trunks));
    for (uint32_t i = 0; i < seq->n_kids; i++) {
        ynode_p      map = seq->kids[i], v[6];
        net_trunk_t *t = &net->trunks[net->n_trunks];
        bool         ok;
        double       d;

        if (!net__fields(b->cx, map, "a trunk", keys, 6, v))
            continue;
        t->line = map->line;
        t->link = net->trunk_link_defaults;
        ok = net__required(b->cx, map, v[0], "a", "a trunk") && want_router(b, v[0], "a", &t->a);
        ok = net__required(b->cx, map, v[1], "b", "a trunk") && want_router(b, v[1], "b", &t->b) &&
             ok;
        if (v[2] && net__want_num(b->cx, v[2], "bps", 1, NET_MAX_BPS, true, &d))
            t->link.bps = (uint64_t)d;
        if (v[3] && net__want_num(b->cx, v[3], "latency_ms", 0, NET_MAX_MS, false, &d))
            t->link.latency_ms = d;
        if (v[4])
            net__want_bool(b->cx, v[4], "o_preempts", &t->link.o_preempts);
        if (v[5] && net__want_num(b->cx, v[5], "ram_budget_mib", 1, NET_MAX_RAM_MIB, true, &d))
            t->link.ram_budget_mib = (uint32_t)d;
        if (!ok)
            continue;
        if (t->a == t->b) {
            net__err_at(b->cx, v[1], "a trunk joins two different routers; both ends are '%s'",
                        net->routers[t->a].name);
            continue;
        }
        /* One trunk per pair of routers, whichever end is named first. */
        snprintf(keybuf + 24 * i, 24, "%u-%u", SIM_MIN(t->a, t->b), SIM_MAX(t->a, t->b));
        tab_add(&pairs, keybuf + 24 * i, map, net->n_trunks, -1);
        net->n_trunks++;
    }
    if (pairs.n > 1)
        qsort(pairs.v, pairs.n, sizeof(*pairs.v), named_cmp);
    for (uint32_t i = 1, first = 0; i < pairs.n; i++) {
        const net_trunk_t *t;
        if (strcmp(pairs.v[i].key, pairs.v[first].key) != 0) {
            first = i;
            continue;
        }
        t = &net->trunks[pairs.v[i].idx];
        net__error(b->cx, pairs.v[i].line, pairs.v[i].col,
                   "routers '%s' and '%s' already have a trunk (line %u)", net->routers[t->a].name,
                   net->routers[t->b].name, pairs.v[first].line);
    }
    free(pairs.v);
    free(keybuf);
}

static void read_collectives(build_t *b, ynode_p seq)
{
    static const char *const keys[] = {"ri", "pla", "members"};
    net_network_t           *net = b->net;
    char                     shown[NET__SHOWN_BUF];

    net->collectives = sim_xcalloc(seq->n_kids, sizeof(*net->collectives));
    net->n_collectives = seq->n_kids;
    for (uint32_t i = 0; i < seq->n_kids; i++) {
        ynode_p           map = seq->kids[i], v[3];
        net_collective_t *c = &net->collectives[i];
        named_tab_t       seen = {0};

        c->line = map->line;
        if (!net__fields(b->cx, map, "a collective", keys, 3, v))
            continue;
        if (net__required(b->cx, map, v[0], "ri", "a collective") &&
            net__want_ri(b->cx, v[0], "ri")) {
            const named_t *st = tab_find(&b->stations, v[0]->str);
            c->ri = sim_xstrdup(v[0]->str);
            if (st)
                net__err_at(b->cx, v[0], "collective RI '%s' is already a station's (line %u)",
                            c->ri, st->line);
            else
                tab_add(&b->colls, c->ri, v[0], i, -1);
        }
        if (net__required(b->cx, map, v[1], "pla", "a collective")) {
            if (v[1]->type == NET__Y_SEQ)
                net__err_at(b->cx, v[1], "the 'pla' of a collective is one string, not a list");
            else if ((c->pla = net__want_pla(b->cx, v[1], "pla")) != NULL)
                tab_add(&b->plas, c->pla, v[1], i, (int32_t)i);
        }
        if (!net__required(b->cx, map, v[2], "members", "a collective") ||
            !net__want_list(b->cx, v[2], "members", false))
            continue;
        c->members = sim_xcalloc(v[2]->n_kids, sizeof(*c->members));
        c->member_stations = sim_xcalloc(v[2]->n_kids, sizeof(*c->member_stations));
        for (uint32_t j = 0; j < v[2]->n_kids; j++) {
            ynode_p        m = v[2]->kids[j];
            const named_t *st;
            if (!net__want_ri(b->cx, m, "member"))
                continue;
            st = tab_find(&b->stations, m->str);
            if (!st) {
                net__err_at(b->cx, m, "member %s is not the RI of a station of this file",
                            net__what_is(m, shown));
                continue;
            }
            tab_add(&seen, m->str, m, st->idx, -1);
            c->member_stations[c->n_members] = st->idx;
            c->members[c->n_members++] = sim_xstrdup(m->str);
        }
        tab_sort(b, &seen, "member", "is listed twice");
        free(seen.v);
    }
}

static void read_routes(build_t *b, ynode_p map)
{
    static const char *const keys[] = {"prefixes", "default"};
    static const char *const rkeys[] = {"prefix", "router"};
    net_network_t           *net = b->net;
    named_tab_t              seen = {0};
    ynode_p                  v[2];
    char                     shown[NET__SHOWN_BUF];

    if (!net__fields(b->cx, map, "'routes'", keys, 2, v))
        return;
    if (v[1]) {
        uint32_t r;
        if (want_router(b, v[1], "default", &r))
            net->default_router = (int32_t)r;
    }
    if (!v[0] || !net__want_list(b->cx, v[0], "prefixes", true))
        return;
    net->routes = sim_xcalloc(v[0]->n_kids, sizeof(*net->routes));
    for (uint32_t i = 0; i < v[0]->n_kids; i++) {
        ynode_p      rmap = v[0]->kids[i], rv[2];
        net_route_t *rt = &net->routes[net->n_routes];
        bool         ok;

        if (!net__fields(b->cx, rmap, "a route", rkeys, 2, rv))
            continue;
        rt->line = rmap->line;
        ok = net__required(b->cx, rmap, rv[0], "prefix", "a route");
        ok = net__required(b->cx, rmap, rv[1], "router", "a route") && ok;
        if (!ok)
            continue;
        if (!net__want_str(b->cx, rv[0], "prefix")) {
            ok = false;
        } else if (!net__is_upper_word(rv[0]->str, rv[0]->len, 1, 7)) {
            net__err_at(b->cx, rv[0], "malformed RI prefix %s: 1 to 7 capital letters A-Z expected",
                        net__what_is(rv[0], shown));
            ok = false;
        }
        ok = want_router(b, rv[1], "router", &rt->router) && ok;
        if (!ok)
            continue;
        rt->prefix = sim_xstrdup(rv[0]->str);
        tab_add(&seen, rt->prefix, rv[0], i, -1);
        net->n_routes++;
    }
    tab_sort(b, &seen, "prefix", "has two routes");
    free(seen.v);
}

/* ---- whole-network checks ------------------------------------------------ */

static void check_plas(build_t *b)
{
    net_network_t *net = b->net;
    named_tab_t   *t = &b->plas;

    if (t->n > 1)
        qsort(t->v, t->n, sizeof(*t->v), named_cmp);
    for (uint32_t i = 1, first = 0; i < t->n; i++) {
        const named_t *f = &t->v[first];
        if (strcmp(t->v[i].key, f->key) != 0) {
            first = i;
            continue;
        }
        if (f->coll >= 0)
            net__error(b->cx, t->v[i].line, t->v[i].col,
                       "plain-language address '%s' already names collective %s (line %u)", f->key,
                       net->collectives[f->coll].ri ? net->collectives[f->coll].ri : "?", f->line);
        else
            net__error(b->cx, t->v[i].line, t->v[i].col,
                       "plain-language address '%s' already names station %s (line %u)", f->key,
                       net->stations[f->idx].ri ? net->stations[f->idx].ri : "?", f->line);
    }
}

static uint32_t uf_root(uint32_t *up, uint32_t x)
{
    while (up[x] != x) {
        up[x] = up[up[x]];
        x = up[x];
    }
    return x;
}

/* Every router must reach the first one over trunks, or cables between
 * their stations could never be delivered. */
static void check_connected(build_t *b)
{
    net_network_t *net = b->net;
    uint32_t      *up;

    if (net->n_routers < 2)
        return;
    up = sim_xmalloc(net->n_routers * sizeof(*up));
    for (uint32_t i = 0; i < net->n_routers; i++)
        up[i] = i;
    for (uint32_t i = 0; i < net->n_trunks; i++)
        up[uf_root(up, net->trunks[i].a)] = uf_root(up, net->trunks[i].b);
    for (uint32_t i = 1; i < net->n_routers; i++) {
        const named_t *at = tab_find(&b->routers, net->routers[i].name);
        if (uf_root(up, i) != uf_root(up, 0))
            net__error(b->cx, at->line, at->col,
                       "router '%s' has no chain of trunks to router '%s'", net->routers[i].name,
                       net->routers[0].name);
    }
    free(up);
}

static void make_indexes(build_t *b)
{
    net_network_t *net = b->net;

    net->by_ri = tab_index(&b->stations);
    net->coll_by_ri = tab_index(&b->colls);
    net->router_by_name = tab_index(&b->routers);
    net->dir = sim_xcalloc(b->plas.n ? b->plas.n : 1, sizeof(*net->dir));
    net->n_dir = b->plas.n;
    for (uint32_t i = 0; i < b->plas.n; i++) {
        const named_t *p = &b->plas.v[i];
        net->dir[i].pla = (char *)p->key;
        net->dir[i].station = p->coll >= 0 ? -1 : (int32_t)p->idx;
        net->dir[i].collective = p->coll;
    }
}

static void build(build_t *b, ynode_p root)
{
    static const char *const keys[] = {"routers", "stations",    "links",
                                       "trunks",  "collectives", "routes"};
    enum { K_ROUTERS, K_STATIONS, K_LINKS, K_TRUNKS, K_COLLECTIVES, K_ROUTES };
    ynode_p        v[6];
    net_network_t *net = b->net;

    if (!net__fields(b->cx, root, "a network file", keys, 6, v))
        return;
    if (v[K_LINKS])
        read_links(b, v[K_LINKS]);
    if (net__required(b->cx, root, v[K_ROUTERS], "routers", "a network file") &&
        net__want_list(b->cx, v[K_ROUTERS], "routers", false))
        read_routers(b, v[K_ROUTERS]);
    if (net__required(b->cx, root, v[K_STATIONS], "stations", "a network file") &&
        net__want_list(b->cx, v[K_STATIONS], "stations", false)) {
        net->stations = sim_xcalloc(v[K_STATIONS]->n_kids, sizeof(*net->stations));
        net->n_stations = v[K_STATIONS]->n_kids;
        for (uint32_t i = 0; i < net->n_stations; i++)
            read_station(b, v[K_STATIONS]->kids[i], i);
    }
    tab_sort(b, &b->stations, "station RI", "is defined twice");
    if (b->link_overrides)
        read_link_overrides(b, b->link_overrides);
    if (v[K_TRUNKS] && net__want_list(b->cx, v[K_TRUNKS], "trunks", true))
        read_trunks(b, v[K_TRUNKS]);
    if (v[K_COLLECTIVES] && net__want_list(b->cx, v[K_COLLECTIVES], "collectives", true))
        read_collectives(b, v[K_COLLECTIVES]);
    tab_sort(b, &b->colls, "collective RI", "is defined twice");
    if (v[K_ROUTES])
        read_routes(b, v[K_ROUTES]);
    check_plas(b);
    if (b->cx->errs.n == 0)
        check_connected(b);
    if (b->cx->errs.n == 0)
        make_indexes(b);
}

/* ---- entry points -------------------------------------------------------- */

net_network_t *net_load_mem(const char *name, const char *yaml, size_t len, net_errors_t *errs)
{
    net__cx_t      cx;
    build_t        b;
    sim_arena_t    a;
    net_network_t *net = sim_xcalloc(1, sizeof(*net));
    ynode_p        root = NULL;

    memset(&cx, 0, sizeof(cx));
    memset(&b, 0, sizeof(b));
    b.cx = &cx;
    b.net = net;
    net->file = sim_xstrdup(name ? name : "<memory>");
    net->default_router = -1;
    net->station_link_defaults = (net_link_params_t){
        NET_DEFAULT_STATION_BPS, NET_DEFAULT_STATION_LATENCY, false, NET_DEFAULT_RAM_BUDGET_MIB};
    net->trunk_link_defaults = (net_link_params_t){NET_DEFAULT_TRUNK_BPS, NET_DEFAULT_TRUNK_LATENCY,
                                                   false, NET_DEFAULT_RAM_BUDGET_MIB};
    sim_arena_init(&a);
    if (len > NET_MAX_FILE_BYTES)
        net__error(&cx, 0, 0, "the file is larger than %u MiB", NET_MAX_FILE_BYTES >> 20);
    else
        root = net__yaml_load(&cx, &a, yaml ? yaml : "", yaml ? len : 0);
    if (cx.errs.n == 0) {
        if (!root || net__is_null(root))
            net__error(&cx, 1, 1,
                       "the file is empty; a network file is a mapping with at least "
                       "'routers' and 'stations'");
        else
            build(&b, root);
    }
    sim_arena_destroy(&a);
    free(b.routers.v);
    free(b.listens.v);
    free(b.stations.v);
    free(b.colls.v);
    free(b.plas.v);
    if (cx.errs.n) {
        net__errors_move(&cx, errs);
        net_free(net);
        return NULL;
    }
    return net;
}

net_network_t *net_load(const char *path, net_errors_t *errs)
{
    char          *buf;
    size_t         len;
    int            rc = net_file_read(path, &buf, &len);
    net_network_t *net;

    if (rc < 0) {
        net__cx_t cx;
        memset(&cx, 0, sizeof(cx));
        if (rc == SIM_ETOOBIG)
            net__error(&cx, 0, 0, "the file is larger than %u MiB", NET_MAX_FILE_BYTES >> 20);
        else
            net__error(&cx, 0, 0, "cannot read the file: %s", sim_strerror(rc));
        net__errors_move(&cx, errs);
        return NULL;
    }
    net = net_load_mem(path, buf, len, errs);
    free(buf);
    return net;
}
