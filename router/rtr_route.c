/*
 * rtr_route.c - the routing table of one router (rtr_route.h): its hops,
 * the shortest paths over the trunk graph, and the answer for one RI.
 *
 * Built once from the network model and then only read: a router looks up
 * the hop of a station in O(1) by its index (rtr_table_station_hop), and of
 * any RI with one binary search (rtr_route_ri). Paths are by hop count; at
 * equal distance the neighbour with the lowest router index is taken, and
 * since every router computes the same distances from the same file, each
 * step moves a cable one trunk closer to its destination router (no loop).
 * The `routes` of the file only place RIs that name no station: the station
 * directory is authoritative for its own RIs.
 *
 * Failure modes: a router index outside the network is a usage error; a
 * router the trunks do not reach (the network loader refuses such files)
 * has no hop, and its stations are NO_ROUTE. Memory exhaustion aborts.
 */
#include "rtr_route.h"

#include <stdlib.h>

const char *rtr_why_word(rtr_why_t why)
{
    switch (why) {
    case RTR_WHY_UNKNOWN_RI:
        return "unknown RI";
    case RTR_WHY_UNKNOWN_PLA:
        return "unknown PLA";
    case RTR_WHY_NO_ROUTE:
        return "no route";
    case RTR_WHY_NOT_ADDRESSED:
        return "not addressed";
    case RTR_WHY_XMT:
        return "XMT";
    case RTR_WHY_ZEN:
        return "ZEN";
    case RTR_WHY_NONE:
        break;
    }
    return NULL;
}

/* The trunk graph as adjacency lists: the neighbours of router r are
 * nbr[off[r] .. off[r + 1]), each with the trunk that joins them. */
typedef struct graph {
    uint32_t *off;
    uint32_t *nbr;
    uint32_t *trunk;
} graph_t;

static void graph_build(graph_t *g, const net_network_t *net)
{
    uint32_t  n = net->n_routers;
    uint32_t *fill = sim_xcalloc(n + 1, sizeof(*fill));

    g->off = sim_xcalloc(n + 1, sizeof(*g->off));
    g->nbr = sim_xcalloc(2 * net->n_trunks + 1, sizeof(*g->nbr));
    g->trunk = sim_xcalloc(2 * net->n_trunks + 1, sizeof(*g->trunk));
    for (uint32_t i = 0; i < net->n_trunks; i++) {
        g->off[net->trunks[i].a + 1]++;
        g->off[net->trunks[i].b + 1]++;
    }
    for (uint32_t r = 0; r < n; r++)
        g->off[r + 1] += g->off[r];
    for (uint32_t i = 0; i < net->n_trunks; i++) {
        uint32_t a = net->trunks[i].a, b = net->trunks[i].b;
        g->nbr[g->off[a] + fill[a]] = b;
        g->trunk[g->off[a] + fill[a]++] = i;
        g->nbr[g->off[b] + fill[b]] = a;
        g->trunk[g->off[b] + fill[b]++] = i;
    }
    free(fill);
}

static void graph_free(graph_t *g)
{
    free(g->off);
    free(g->nbr);
    free(g->trunk);
}

/* Breadth-first search from 'from': dist[r] = trunks between r and 'from'. */
static void graph_bfs(const graph_t *g, uint32_t n, uint32_t from, uint32_t *dist,
                      uint32_t *queue)
{
    uint32_t head = 0, tail = 0;

    for (uint32_t r = 0; r < n; r++)
        dist[r] = UINT32_MAX;
    dist[from] = 0;
    queue[tail++] = from;
    while (head < tail) {
        uint32_t r = queue[head++];
        for (uint32_t k = g->off[r]; k < g->off[r + 1]; k++) {
            uint32_t m = g->nbr[k];
            if (dist[m] == UINT32_MAX) {
                dist[m] = dist[r] + 1;
                queue[tail++] = m;
            }
        }
    }
}

/* The trunk hops: one per neighbour, in neighbour index order (the file
 * allows one trunk per pair of routers). hop_of[r] is the hop to neighbour
 * r, RTR_HOP_NONE for a router that is no neighbour. */
static void add_trunk_hops(rtr_table_t *t, const graph_t *g, uint32_t *hop_of)
{
    const net_network_t *net = t->net;

    for (uint32_t r = 0; r < net->n_routers; r++)
        hop_of[r] = RTR_HOP_NONE;
    for (uint32_t k = g->off[t->self]; k < g->off[t->self + 1]; k++)
        hop_of[g->nbr[k]] = g->trunk[k]; /* the trunk for now; numbered below */
    for (uint32_t r = 0; r < net->n_routers; r++) {
        rtr_hop_t *h;
        if (hop_of[r] == RTR_HOP_NONE)
            continue;
        h = &t->hops[t->n_hops];
        h->kind = RTR_HOP_TRUNK;
        h->router = r;
        h->trunk = hop_of[r];
        h->station = RTR_HOP_NONE;
        hop_of[r] = t->n_hops++;
    }
    t->n_trunk_hops = t->n_hops;
}

/* Next hop and distance toward every router, by one search per router. */
static void compute_paths(rtr_table_t *t, const graph_t *g, const uint32_t *hop_of)
{
    uint32_t  n = t->net->n_routers;
    uint32_t *dist = sim_xmalloc(n * sizeof(*dist));
    uint32_t *queue = sim_xmalloc(n * sizeof(*queue));

    for (uint32_t x = 0; x < n; x++) {
        uint32_t best = UINT32_MAX;

        graph_bfs(g, n, x, dist, queue);
        t->_distance[x] = dist[t->self];
        t->_toward[x] = RTR_HOP_NONE;
        if (x == t->self || dist[t->self] == UINT32_MAX)
            continue;
        for (uint32_t k = g->off[t->self]; k < g->off[t->self + 1]; k++) {
            uint32_t m = g->nbr[k];
            if (dist[m] + 1 == dist[t->self] && m < best)
                best = m;
        }
        if (best == UINT32_MAX)
            sim_panic("%s: router %u is %u trunks away but no neighbour is closer", __func__, x,
                      dist[t->self]);
        t->_toward[x] = hop_of[best];
    }
    free(dist);
    free(queue);
}

/* Local hops in RI order, every station's hop, then every station's rank
 * in (hop, RI) order by a counting pass over the stations in RI order. */
static void compute_stations(rtr_table_t *t)
{
    const net_network_t *net = t->net;
    uint32_t            *next;

    for (uint32_t i = 0; i < net->n_stations; i++) {
        uint32_t s = net->by_ri[i];
        uint32_t home = net->stations[s].router;
        if (home == t->self) {
            rtr_hop_t *h = &t->hops[t->n_hops];
            h->kind = RTR_HOP_LOCAL;
            h->router = t->self;
            h->trunk = RTR_HOP_NONE;
            h->station = s;
            t->_station_hop[s] = t->n_hops++;
        } else {
            t->_station_hop[s] = home < net->n_routers ? t->_toward[home] : RTR_HOP_NONE;
        }
    }

    /* next[h] = the first free rank of hop h; the last bucket is "no hop". */
    next = sim_xcalloc((size_t)t->n_hops + 2, sizeof(*next));
    for (uint32_t s = 0; s < net->n_stations; s++) {
        uint32_t h = t->_station_hop[s];
        next[(h == RTR_HOP_NONE ? t->n_hops : h) + 1]++;
    }
    for (uint32_t h = 0; h <= t->n_hops; h++)
        next[h + 1] += next[h];
    for (uint32_t i = 0; i < net->n_stations; i++) {
        uint32_t s = net->by_ri[i];
        uint32_t h = t->_station_hop[s];
        t->_station_key[s] = next[h == RTR_HOP_NONE ? t->n_hops : h]++;
    }
    free(next);
}

int rtr_table_init(rtr_table_t *t, const net_network_t *net, uint32_t self)
{
    graph_t   g;
    uint32_t *hop_of;

    memset(t, 0, sizeof(*t));
    if (!net || self >= net->n_routers)
        return SIM_EUSAGE;
    t->net = net;
    t->self = self;
    /* At most one hop per neighbour plus one per station. */
    t->hops = sim_xcalloc((size_t)net->n_routers + net->n_stations + 1, sizeof(*t->hops));
    t->_toward = sim_xcalloc(net->n_routers, sizeof(*t->_toward));
    t->_distance = sim_xcalloc(net->n_routers, sizeof(*t->_distance));
    t->_station_hop = sim_xcalloc(net->n_stations + 1, sizeof(*t->_station_hop));
    t->_station_key = sim_xcalloc(net->n_stations + 1, sizeof(*t->_station_key));
    hop_of = sim_xmalloc(net->n_routers * sizeof(*hop_of));

    graph_build(&g, net);
    add_trunk_hops(t, &g, hop_of);
    compute_paths(t, &g, hop_of);
    compute_stations(t);
    graph_free(&g);
    free(hop_of);
    return 0;
}

void rtr_table_destroy(rtr_table_t *t)
{
    free(t->hops);
    free(t->_toward);
    free(t->_distance);
    free(t->_station_hop);
    free(t->_station_key);
    memset(t, 0, sizeof(*t));
}

uint32_t rtr_table_toward(const rtr_table_t *t, uint32_t router)
{
    if (!t->net || router >= t->net->n_routers)
        return RTR_HOP_NONE;
    return t->_toward[router];
}

uint32_t rtr_table_distance(const rtr_table_t *t, uint32_t router)
{
    if (!t->net || router >= t->net->n_routers)
        return UINT32_MAX;
    return t->_distance[router];
}

uint32_t rtr_table_station_hop(const rtr_table_t *t, uint32_t station)
{
    if (!t->net || station >= t->net->n_stations)
        return RTR_HOP_NONE;
    return t->_station_hop[station];
}

int rtr_route_ri(const rtr_table_t *t, const char *ri, size_t len, rtr_route_t *out)
{
    const net_network_t *net = t->net;
    int32_t              s, r;

    out->hop = RTR_HOP_NONE;
    out->station = -1;
    out->router = -1;
    out->why = RTR_WHY_NO_ROUTE;
    if (!net)
        return SIM_ENOROUTE;
    s = net_station_by_ri(net, ri, len);
    if (s >= 0) {
        out->station = s;
        out->router = (int32_t)net->stations[s].router;
        out->hop = t->_station_hop[s];
    } else {
        r = net_route_lookup(net, ri, len);
        if (r < 0)
            return SIM_ENOROUTE;
        out->router = r;
        if ((uint32_t)r == t->self) {
            out->why = RTR_WHY_UNKNOWN_RI;
            return SIM_ENOROUTE;
        }
        out->hop = t->_toward[r];
    }
    if (out->hop == RTR_HOP_NONE)
        return SIM_ENOROUTE;
    out->why = RTR_WHY_NONE;
    return 0;
}
