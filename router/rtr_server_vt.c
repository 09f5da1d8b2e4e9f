/*
 * rtr_server_vt.c - the router daemon in virtual time (--asap): frames are
 * handled at their sim-time, in the scheduler's total order, within the
 * rounds the time keeper grants (rtr_sync.h). The first router of the
 * network is the keeper: every other party dials it on a "clock"
 * connection (PROTOCOL.md section 8).
 */
#include "rtr_server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct vframe {
    sim_event_t    ev;
    rtr_server_t  *s;
    uint32_t       port;
    uint32_t       len;
    struct vframe *next, *prev;
    char           bytes[];
} vframe_t;

static void clock_dial(rtr_server_t *s);

static void party_name(const rtr_server_t *s, char *buf, size_t size)
{
    snprintf(buf, size, "router:%s", s->me->name);
}

void srv_vt_init(rtr_server_t *s)
{
    s->virt = s->o.asap;
    rtr_sync_party_init(&s->party);
    msgpack_zone_init(&s->vzone, 4096);
    s->keeper_self = -1;
    if (!s->virt)
        return;
    s->keeper_on = s->o.router == 0;
    if (s->keeper_on) {
        char n[RTR_SYNC_NAME_MAX];
        rtr_sync_keeper_init(&s->keeper, s->o.net, s->o.no_link_model);
        party_name(s, n, sizeof(n));
        s->keeper_self = rtr_sync_keeper_find(&s->keeper, n, strlen(n));
    } else {
        uv_timer_init(s->loop, &s->clock_retry);
        s->clock_retry.data = s;
        s->open_handles++;
        clock_dial(s);
    }
}

void srv_vt_destroy(rtr_server_t *s)
{
    while (s->vframes) {
        vframe_t *v = s->vframes;
        s->vframes = v->next;
        sim_sched_cancel(&s->sched, &v->ev);
        free(v);
    }
    msgpack_zone_destroy(&s->vzone);
    if (s->keeper_on)
        rtr_sync_keeper_destroy(&s->keeper);
}

void srv_vt_stop(rtr_server_t *s)
{
    if (s->virt && !s->keeper_on) {
        uv_timer_stop(&s->clock_retry);
        uv_close((uv_handle_t *)&s->clock_retry, srv_handle_closed);
    }
}

/* --- the clock connection, party side ------------------------------------ */

static void send_frame(conn_t *c, const link_frame_t *f)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    if (link_frame_encode(f, &sb) == 0)
        srv_conn_put(c, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

static void clock_retry_cb(uv_timer_t *t)
{
    clock_dial(t->data);
}

static void clock_connect_cb(uv_connect_t *req, int status)
{
    rtr_server_t     *s = SIM_CONTAINER_OF(req, rtr_server_t, clock_creq);
    conn_t           *c = req->handle->data;
    link_frame_t      f;
    link_hello_link_t l;
    char              name[RTR_SYNC_NAME_MAX];
    s->clock_connecting = false;
    if (status < 0 || s->stopping) {
        s->clock_conn = NULL;
        srv_conn_close(c, "clock connect failed");
        if (!s->stopping)
            uv_timer_start(&s->clock_retry, clock_retry_cb, 100, 0);
        return;
    }
    party_name(s, name, sizeof(name));
    rtr_sync_hello(&f, &l, name, s->o.heartbeat_ms);
    send_frame(c, &f);
    srv_conn_start(c);
}

static void clock_dial(rtr_server_t *s)
{
    const net_router_t *k = &s->o.net->routers[0];
    struct sockaddr_in  addr;
    conn_t             *c;
    if (s->stopping || s->clock_conn)
        return;
    if (uv_ip4_addr(k->listen_host, k->listen_port, &addr) != 0) {
        uv_timer_start(&s->clock_retry, clock_retry_cb, 500, 0);
        return;
    }
    c = srv_conn_new(s);
    c->is_clock = true;
    c->clock_party = -1;
    s->clock_conn = c;
    s->clock_connecting = true;
    if (uv_tcp_connect(&s->clock_creq, &c->tcp, (const struct sockaddr *)&addr,
                       clock_connect_cb) != 0) {
        s->clock_connecting = false;
        s->clock_conn = NULL;
        srv_conn_close(c, "clock connect failed");
        uv_timer_start(&s->clock_retry, clock_retry_cb, 500, 0);
    }
}

void srv_vt_conn_closed(rtr_server_t *s, conn_t *c)
{
    if (!c->is_clock)
        return;
    if (s->clock_conn == c) {
        s->clock_conn = NULL;
        s->party.reported = false; /* report again on the next connection */
        if (!s->stopping && !s->clock_connecting)
            uv_timer_start(&s->clock_retry, clock_retry_cb, 100, 0);
    }
}

/* --- the keeper ------------------------------------------------------------ */

/* Start every round that can start; returns whether one did. */
static bool keeper_poll(rtr_server_t *s)
{
    uint64_t   rnd;
    sim_time_t h;
    bool       any = false;
    while (rtr_sync_keeper_poll(&s->keeper, &rnd, &h)) {
        link_frame_t f;
        rtr_sync_grant_frame(&f, rnd, h);
        for (conn_t *c = s->conns; c; c = c->next)
            if (c->is_clock && c->clock_party >= 0 && !c->closing &&
                rtr_sync_keeper_granted(&s->keeper, (uint32_t)c->clock_party))
                send_frame(c, &f);
        if (rtr_sync_keeper_granted(&s->keeper, (uint32_t)s->keeper_self))
            rtr_sync_party_grant(&s->party, rnd, h);
        any = true;
    }
    return any;
}

int srv_vt_clock_hello(rtr_server_t *s, conn_t *c, const link_frame_t *f)
{
    int               i;
    link_frame_t      h;
    link_hello_link_t l;
    char              name[RTR_SYNC_NAME_MAX];
    if (!s->keeper_on) {
        srv_send_svc_raw(c, LINK_SVC_PROTOCOL, "HELLO: THIS ROUTER KEEPS NO TIME (NOT --ASAP "
                                               "OR NOT THE FIRST ROUTER)");
        return -1;
    }
    i = rtr_sync_keeper_find(&s->keeper, f->hello.name.p, f->hello.name.len);
    if (i < 0 || i == s->keeper_self) {
        srv_send_svc_raw(c, LINK_SVC_IMPERSONATION, "CLOCK: NO SUCH PARTY IN THE NETWORK");
        return -1;
    }
    for (conn_t *o = s->conns; o; o = o->next)
        if (o != c && o->is_clock && o->clock_party == i) {
            srv_send_svc_raw(o, LINK_SVC_IMPERSONATION, "CLOCK TAKEN BY A NEWER CONNECTION");
            srv_conn_close(o, "replaced");
            break;
        }
    c->is_clock = true;
    c->clock_party = i;
    c->hello_done = true;
    c->peer_hb_ms = f->hello.hb_ms;
    party_name(s, name, sizeof(name));
    rtr_sync_hello(&h, &l, name, s->o.heartbeat_ms);
    send_frame(c, &h);
    if (s->keeper.p[i].granted) {
        link_frame_t g;
        rtr_sync_grant_frame(&g, s->keeper.p[i].granted, s->keeper.p[i].g_horizon);
        send_frame(c, &g);
    }
    return 0;
}

void srv_vt_clock_frame(rtr_server_t *s, conn_t *c, const link_frame_t *f)
{
    if (f->type != LINK_T_PROMISE || !f->promise.has_counts || !f->has_at)
        return; /* heartbeats, the keeper's hello */
    if (s->keeper_on) {
        if (c->clock_party < 0)
            return;
        rtr_sync_keeper_report(&s->keeper, (uint32_t)c->clock_party, f->promise.rnd, f->at,
                               f->promise.sent, f->promise.recv);
        if (keeper_poll(s))
            srv_vt_pump(s);
    } else {
        rtr_sync_party_grant(&s->party, f->promise.rnd, f->at);
        srv_vt_pump(s);
    }
}

/* --- frames at their sim-time -------------------------------------------- */

static void vframe_cb(sim_event_t *ev, sim_time_t now)
{
    vframe_t     *v = SIM_CONTAINER_OF(ev, vframe_t, ev);
    rtr_server_t *s = v->s;
    link_frame_t  f;
    (void)now;
    if (v->prev)
        v->prev->next = v->next;
    else
        s->vframes = v->next;
    if (v->next)
        v->next->prev = v->prev;
    msgpack_zone_clear(&s->vzone);
    if (link_frame_decode(v->bytes, v->len, &f, &s->vzone, NULL) == 0)
        rtr_core_frame(s->core, rtr_core_port(s->core, v->port), &f);
    free(v);
}

void srv_vt_port_frame(rtr_server_t *s, conn_t *c, const link_frame_t *f, const char *payload,
                       size_t len)
{
    vframe_t *v = sim_xmalloc(sizeof(*v) + len);
    int       prec = f->type == LINK_T_CABLE ? f->cable.prec : 0;
    s->party.recv++;
    v->s = s;
    v->port = c->port->idx;
    v->len = (uint32_t)len;
    memcpy(v->bytes, payload, len);
    v->prev = NULL;
    v->next = s->vframes;
    if (s->vframes)
        s->vframes->prev = v;
    s->vframes = v;
    sim_event_init(&v->ev);
    /* Ties: arrivals before other events, then by link, then in the order
     * the link's sender made them (its csn order: reordering them by
     * precedence would break channel continuity). */
    (void)prec;
    sim_event_key(&v->ev, SIM_EV_ARRIVAL, 0, c->port->name, strlen(c->port->name),
                  (int32_t)c->port->vt_seq++, 0, c->port->idx);
    sim_sched_add(&s->sched, &v->ev, f->at, vframe_cb);
}

/* --- the round ------------------------------------------------------------- */

static bool all_links_up(rtr_server_t *s)
{
    for (uint32_t i = 0; i < rtr_core_n_ports(s->core); i++) {
        rtr_port_t *p = rtr_core_port(s->core, i);
        if (!p->conn || !((conn_t *)p->conn)->hello_done)
            return false;
    }
    return true;
}

void srv_vt_pump(rtr_server_t *s)
{
    if (!s->virt || s->stopping || s->in_pump)
        return;
    s->in_pump = true;
    for (;;) {
        sim_time_t next;
        uint64_t   rnd, sent, recv;
        /* Handle every event before the horizon, one sim-time at a time;
         * copies of cables taken join their queues only once durable, at
         * the same sim-time, so wait for the journal in between. */
        while (!rtr_core_awaiting(s->core)) {
            sim_time_t t = sim_sched_next(&s->sched);
            if (t >= s->party.horizon)
                break;
            sim_sched_run_until(&s->sched, t);
        }
        if (rtr_core_awaiting(s->core)) {
            s->want_flush = true;
            srv_start_flush(s); /* its completion pumps again */
            break;
        }
        if (s->party.ended) {
            if (!s->end_told && s->o.on_end) {
                s->end_told = true;
                s->o.on_end(s->o.end_ud);
            }
            break;
        }
        if (!all_links_up(s))
            break;
        next = sim_sched_next(&s->sched);
        if (s->keeper_on) {
            if (!rtr_sync_party_report(&s->party, next, &rnd, &sent, &recv))
                break;
            rtr_sync_keeper_report(&s->keeper, (uint32_t)s->keeper_self, rnd, next, sent, recv);
            if (!keeper_poll(s))
                break;
            continue; /* a new round for this router too */
        }
        if (!s->clock_conn || !s->clock_conn->hello_done)
            break;
        if (rtr_sync_party_report(&s->party, next, &rnd, &sent, &recv)) {
            link_frame_t f;
            rtr_sync_report_frame(&f, rnd, next, sent, recv);
            send_frame(s->clock_conn, &f);
        }
        break;
    }
    s->in_pump = false;
}
