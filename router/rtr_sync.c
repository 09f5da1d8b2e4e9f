/*
 * rtr_sync.c - rounds of virtual time (see rtr_sync.h).
 */
#include "rtr_sync.h"
#include "link/link_frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sim_time_t rtr_sync_link_latency(double latency_ms, bool no_link_model)
{
    sim_time_t l = no_link_model ? 0 : (sim_time_t)(latency_ms * 1000.0);
    return l < RTR_SYNC_MIN_LATENCY ? RTR_SYNC_MIN_LATENCY : l;
}

sim_time_t rtr_sync_lookahead(const net_network_t *net, bool no_link_model)
{
    sim_time_t l = SIM_TIME_NEVER;
    for (uint32_t i = 0; i < net->n_stations; i++)
        l = SIM_MIN(l, rtr_sync_link_latency(net->stations[i].link.latency_ms, no_link_model));
    for (uint32_t i = 0; i < net->n_trunks; i++)
        l = SIM_MIN(l, rtr_sync_link_latency(net->trunks[i].link.latency_ms, no_link_model));
    return l == SIM_TIME_NEVER ? RTR_SYNC_MIN_LATENCY : l;
}

static void add_party(rtr_sync_keeper_t *k, const char *kind, const char *name)
{
    char n[RTR_SYNC_NAME_MAX];
    snprintf(n, sizeof(n), "%s:%s", kind, name);
    if (rtr_sync_keeper_find(k, n, strlen(n)) >= 0)
        return;
    k->p = sim_xrealloc(k->p, (k->n + 1) * sizeof(*k->p));
    memset(&k->p[k->n], 0, sizeof(k->p[k->n]));
    memcpy(k->p[k->n].name, n, sizeof(n));
    k->n++;
}

void rtr_sync_keeper_init(rtr_sync_keeper_t *k, const net_network_t *net, bool no_link_model)
{
    memset(k, 0, sizeof(*k));
    k->lookahead = rtr_sync_lookahead(net, no_link_model);
    for (uint32_t i = 0; i < net->n_routers; i++)
        add_party(k, "router", net->routers[i].name);
    for (uint32_t i = 0; i < net->n_stations; i++)
        add_party(k, "host", net->stations[i].host ? net->stations[i].host
                                                   : net->routers[net->stations[i].router].name);
}

void rtr_sync_keeper_destroy(rtr_sync_keeper_t *k)
{
    free(k->p);
    memset(k, 0, sizeof(*k));
}

int rtr_sync_keeper_find(const rtr_sync_keeper_t *k, const char *name, size_t len)
{
    for (uint32_t i = 0; i < k->n; i++)
        if (strlen(k->p[i].name) == len && memcmp(k->p[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

void rtr_sync_keeper_report(rtr_sync_keeper_t *k, uint32_t i, uint64_t rnd, sim_time_t next,
                            uint64_t sent, uint64_t recv)
{
    rtr_sync_keeper_party_t *p;
    if (i >= k->n || rnd > k->p[i].granted)
        return; /* a round it was never granted */
    p = &k->p[i];
    p->joined = true;
    p->rnd = rnd;
    p->next = next;
    p->sent = sent;
    p->recv = recv;
    k->reports++;
}

bool rtr_sync_keeper_poll(rtr_sync_keeper_t *k, uint64_t *rnd, sim_time_t *horizon)
{
    uint64_t   sent = 0, recv = 0;
    sim_time_t g = SIM_TIME_NEVER;
    if (k->ended || k->n == 0)
        return false;
    for (uint32_t i = 0; i < k->n; i++) {
        const rtr_sync_keeper_party_t *p = &k->p[i];
        if (!p->joined || p->rnd != p->granted)
            return false; /* still in its window, or not reported yet */
        sent += p->sent;
        recv += p->recv;
        g = SIM_MIN(g, p->next);
    }
    if (sent != recv)
        return false; /* frames in flight: their receivers will report again */
    k->rnd++;
    if (g == SIM_TIME_NEVER) {
        k->ended = true;
        k->horizon = SIM_TIME_NEVER;
    } else {
        k->horizon = g > SIM_TIME_NEVER - k->lookahead ? SIM_TIME_NEVER - 1 : g + k->lookahead;
    }
    for (uint32_t i = 0; i < k->n; i++) {
        rtr_sync_keeper_party_t *p = &k->p[i];
        if (k->ended || p->next < k->horizon) {
            p->granted = k->rnd;
            p->g_horizon = k->horizon;
            k->grants++;
        }
    }
    *rnd = k->rnd;
    *horizon = k->horizon;
    return true;
}

bool rtr_sync_keeper_granted(const rtr_sync_keeper_t *k, uint32_t i)
{
    return i < k->n && k->rnd && k->p[i].granted == k->rnd;
}

uint32_t rtr_sync_keeper_missing(const rtr_sync_keeper_t *k, char *names, size_t size)
{
    uint32_t n = 0;
    size_t   o = 0;
    if (size)
        names[0] = '\0';
    for (uint32_t i = 0; i < k->n; i++) {
        if (k->p[i].joined)
            continue;
        if (o < size) {
            int w = snprintf(names + o, size - o, "%s%s", n ? ", " : "", k->p[i].name);
            o += w > 0 ? (size_t)w : 0;
        }
        n++;
    }
    return n;
}

void rtr_sync_party_init(rtr_sync_party_t *p)
{
    memset(p, 0, sizeof(*p));
    p->horizon = INT64_MIN; /* before round 1 nothing may be handled */
}

void rtr_sync_party_grant(rtr_sync_party_t *p, uint64_t rnd, sim_time_t horizon)
{
    if (rnd <= p->rnd)
        return;
    p->rnd = rnd;
    p->horizon = horizon;
    if (horizon == SIM_TIME_NEVER)
        p->ended = true;
}

bool rtr_sync_party_report(rtr_sync_party_t *p, sim_time_t next, uint64_t *rnd, uint64_t *sent,
                           uint64_t *recv)
{
    if (p->ended)
        return false;
    if (p->reported && p->r_rnd == p->rnd && p->r_sent == p->sent && p->r_recv == p->recv &&
        p->r_next == next)
        return false;
    p->reported = true;
    p->r_rnd = p->rnd;
    p->r_sent = p->sent;
    p->r_recv = p->recv;
    p->r_next = next;
    p->reports++;
    *rnd = p->rnd;
    *sent = p->sent;
    *recv = p->recv;
    return true;
}

void rtr_sync_hello(link_frame_t *f, link_hello_link_t *l, const char *name, uint32_t hb_ms)
{
    l->ln = sim_span_str("");
    l->last_rx = -1;
    link_frame_init(f, LINK_T_HELLO);
    f->hello.role = LINK_ROLE_CLOCK;
    f->hello.name = sim_span_str(name);
    f->hello.links = l;
    f->hello.n_links = 1;
    f->hello.asap = true;
    f->hello.hb_ms = hb_ms;
}

void rtr_sync_report_frame(link_frame_t *f, uint64_t rnd, sim_time_t next, uint64_t sent,
                           uint64_t recv)
{
    link_frame_init(f, LINK_T_PROMISE);
    f->has_at = true;
    f->at = next;
    f->promise.has_counts = true;
    f->promise.rnd = rnd;
    f->promise.sent = sent;
    f->promise.recv = recv;
}

void rtr_sync_grant_frame(link_frame_t *f, uint64_t rnd, sim_time_t horizon)
{
    rtr_sync_report_frame(f, rnd, horizon, 0, 0);
}

bool rtr_sync_counted(int link_type, bool has_at)
{
    return has_at && (link_type == LINK_T_CABLE || link_type == LINK_T_ACK ||
                      link_type == LINK_T_SVC || link_type == LINK_T_ABORT);
}
