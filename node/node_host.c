/*
 * node_host.c - a station host on libuv (see node_host.h).
 *
 * One scheduler for all the host's stations: origination events (one per
 * cable of the replay this host originates), each station's uplink
 * transmission ends, and in virtual time the stations' received frames and
 * operator acknowledgements. The scaled clock runs it from a timer; virtual
 * time runs it by rounds (rtr_sync.h) over the clock connection to the
 * time keeper.
 */
#include "node_host.h"
#include "link/link_frame.h"
#include "node_station.h"
#include "rtr_dlog.h"
#include "rtr_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct hstation hstation_t;

/* A FIFO of replay indices (one per precedence level). */
typedef struct ififo {
    uint32_t *v;
    uint32_t  head, n, cap;
} ififo_t;

struct hstation {
    node_host_t    *h;
    node_station_t *st;
    uint32_t        net_idx;
    uint64_t        bps;
    sim_time_t      latency;
    ififo_t         q[CABLE_PREC_COUNT];
    bool            busy, blocked, up, dirty;
    uint32_t        cur;     /* replay index in transmission */
    sim_event_t     tx_end;
    hstation_t     *next_dirty;
};

typedef struct horigin {
    sim_event_t ev;
    node_host_t *h;
    uint32_t     idx; /* replay index */
    uint32_t     local;
} horigin_t;

struct node_host {
    uv_loop_t        *loop;
    node_host_opts_t  o;
    sim_sched_t       sched;
    sim_clock_t       clock;
    rtr_dlog_t       *dlog;
    hstation_t       *st;
    uint32_t          n;
    int32_t          *local_of; /* network station -> local index, -1 */
    horigin_t        *orig;
    size_t            n_orig;
    hstation_t       *dirty;
    uv_timer_t        tick;     /* scaled clock */
    uv_check_t        check;
    /* virtual time */
    rtr_sync_party_t  party;
    uv_tcp_t         *ctcp;
    uv_connect_t      creq;
    uv_timer_t        cretry, chb;
    link_reader_t     crd;
    msgpack_zone      czone;
    msgpack_sbuffer   csb;
    bool              c_up, c_hello, c_connecting, in_pump, end_told, stopping;
    int               handles;
    void (*done)(void *ud);
    void             *done_ud;
    node_host_stats_t stt;
};

const char *node_host_of(const net_network_t *net, uint32_t i)
{
    const net_station_t *s = &net->stations[i];
    return s->host ? s->host : net->routers[s->router].name;
}

/* --- uplinks ------------------------------------------------------------- */

static void fifo_push(ififo_t *f, uint32_t v)
{
    if (f->n == f->cap) {
        uint32_t  cap = f->cap ? f->cap * 2 : 16;
        uint32_t *nv = sim_xmalloc(cap * sizeof(*nv));
        for (uint32_t k = 0; k < f->n; k++)
            nv[k] = f->v[(f->head + k) % f->cap];
        free(f->v);
        f->v = nv;
        f->cap = cap;
        f->head = 0;
    }
    f->v[(f->head + f->n++) % f->cap] = v;
}

static bool fifo_pop(ififo_t *f, uint32_t *v)
{
    if (!f->n)
        return false;
    *v = f->v[f->head];
    f->head = (f->head + 1) % f->cap;
    f->n--;
    return true;
}

static void tx_end_cb(sim_event_t *ev, sim_time_t now);

static void uplink_start(hstation_t *s)
{
    node_host_t *h = s->h;
    uint32_t     idx;
    if (s->busy)
        return;
    for (int p = CABLE_PREC_Y; p >= CABLE_PREC_R; p--)
        if (fifo_pop(&s->q[p], &idx)) {
            const node_replay_cable_t *c = &h->o.replay->v[idx];
            s->busy = true;
            s->cur = idx;
            sim_event_key(&s->tx_end, SIM_EV_TX_END, c->prec, c->id, strlen(c->id), 0, 0,
                          s->net_idx);
            sim_sched_add(&h->sched, &s->tx_end,
                          h->sched.now + sim_tx_time(c->tx_bytes, s->bps), tx_end_cb);
            return;
        }
}

/* The transmission of s->cur ended at 'now': hand it to the link. */
static void uplink_emit(hstation_t *s, sim_time_t now)
{
    node_host_t               *h = s->h;
    const node_replay_cable_t *c = &h->o.replay->v[s->cur];
    if (!node_station_can_send(s->st)) {
        s->blocked = true; /* the custody window: when the router acknowledges */
        return;
    }
    s->blocked = false;
    node_station_send_at(s->st, c->mp, c->mp_len, s->cur, c->prec, now + s->latency);
    h->stt.sent++;
    s->busy = false;
    uplink_start(s);
}

static void tx_end_cb(sim_event_t *ev, sim_time_t now)
{
    uplink_emit(SIM_CONTAINER_OF(ev, hstation_t, tx_end), now);
}

static void log_rec(node_host_t *h, rtr_dlog_event_t ev, const char *party, const char *id,
                    cable_prec_t prec, const char *detail, int64_t value)
{
    rtr_dlog_rec_t r;
    if (!h->dlog)
        return;
    memset(&r, 0, sizeof(r));
    r.sim_time = h->sched.now;
    r.wall_time = sim_wall_us();
    r.event = ev;
    r.party = party;
    r.id = id;
    r.precedence = prec;
    r.link = party;
    r.csn = -1;
    r.detail = detail;
    r.value = value;
    rtr_dlog_write(h->dlog, &r);
}

static void origin_cb(sim_event_t *ev, sim_time_t now)
{
    horigin_t                 *o = SIM_CONTAINER_OF(ev, horigin_t, ev);
    node_host_t               *h = o->h;
    hstation_t                *s = &h->st[o->local];
    const node_replay_cable_t *c = &h->o.replay->v[o->idx];
    char                       detail[80];
    (void)now;
    if (c->input_duplicate)
        snprintf(detail, sizeof(detail), "input duplicate%s",
                 c->corrected ? ", corrected copy" : "");
    else
        snprintf(detail, sizeof(detail), "expected %u, undeliverable %u%s", c->expected,
                 c->undeliverable, c->corrected ? ", corrected copy" : "");
    log_rec(h, RTR_DLOG_ORIGINATED, h->o.net->stations[s->net_idx].ri, c->id, c->prec, detail,
            c->expected);
    h->stt.originated++;
    fifo_push(&s->q[c->prec], o->idx);
    uplink_start(s);
}

/* --- station callbacks ----------------------------------------------------- */

static void cb_received(void *ud, node_station_t *st, const cable_t *c, const char *id,
                        sim_time_t at, bool dup)
{
    node_host_t *h = ud;
    (void)st, (void)c, (void)id, (void)at;
    if (dup)
        h->stt.duplicates++;
    else
        h->stt.delivered++;
}

static hstation_t *find(node_host_t *h, node_station_t *st)
{
    int32_t i = net_station_by_ri(h->o.net, node_station_ri(st), strlen(node_station_ri(st)));
    return i >= 0 && h->local_of[i] >= 0 ? &h->st[h->local_of[i]] : NULL;
}

static void cb_acked(void *ud, node_station_t *st, uint64_t cookie)
{
    node_host_t *h = ud;
    hstation_t  *s = find(h, st);
    (void)cookie;
    if (s && s->blocked)
        uplink_emit(s, h->sched.now);
}

static void host_pump(node_host_t *h);

static void cb_link(void *ud, node_station_t *st, bool up)
{
    node_host_t *h = ud;
    hstation_t  *s = find(h, st);
    if (!s || s->up == up)
        return;
    s->up = up;
    h->stt.up += up ? 1 : (uint32_t)-1;
    host_pump(h);
}

static void cb_output(void *ud, node_station_t *st)
{
    node_host_t *h = ud;
    hstation_t  *s = find(h, st);
    if (!s || s->dirty)
        return;
    s->dirty = true;
    s->next_dirty = h->dirty;
    h->dirty = s;
}

static void flush_dirty(node_host_t *h)
{
    while (h->dirty) {
        hstation_t *s = h->dirty;
        h->dirty = s->next_dirty;
        s->dirty = false;
        node_station_flush(s->st);
    }
}

/* --- the clock connection (virtual time) ---------------------------------- */

static void c_write_cb(uv_write_t *req, int status)
{
    (void)status;
    free(req->data);
    free(req);
}

static void c_send(node_host_t *h, const link_frame_t *f)
{
    uv_write_t *req;
    uv_buf_t    b;
    if (!h->ctcp || !h->c_up)
        return;
    msgpack_sbuffer_clear(&h->csb);
    if (link_frame_encode(f, &h->csb) != 0)
        return;
    req = sim_xmalloc(sizeof(*req));
    req->data = sim_xmalloc(h->csb.size);
    memcpy(req->data, h->csb.data, h->csb.size);
    b = uv_buf_init(req->data, (unsigned)h->csb.size);
    if (uv_write(req, (uv_stream_t *)h->ctcp, &b, 1, c_write_cb) != 0) {
        free(req->data);
        free(req);
    }
}

static void c_connect(node_host_t *h);

static void cretry_cb(uv_timer_t *t)
{
    c_connect(t->data);
}

static sim_time_t host_clock(void *ud)
{
    return sim_clock_now(ud);
}

static void c_handle_closed(uv_handle_t *hd)
{
    node_host_t *h = hd->data;
    free(hd);
    if (--h->handles == 0 && h->stopping && h->done) {
        void (*done)(void *) = h->done;
        h->done = NULL;
        done(h->done_ud);
    }
}

static void c_drop(node_host_t *h)
{
    if (!h->ctcp)
        return;
    uv_close((uv_handle_t *)h->ctcp, c_handle_closed);
    h->ctcp = NULL;
    h->c_up = h->c_hello = false;
    h->party.reported = false;
    link_reader_destroy(&h->crd);
    link_reader_init(&h->crd, LINK_FRAME_MAX, 64 * 1024);
    if (!h->stopping)
        uv_timer_start(&h->cretry, cretry_cb, 200, 0);
}

static void c_alloc(uv_handle_t *hd, size_t hint, uv_buf_t *b)
{
    node_host_t *h = hd->data;
    size_t       room;
    char        *p = link_reader_space(&h->crd, &room);
    (void)hint;
    *b = uv_buf_init(p, p ? (unsigned)room : 0);
}

static void c_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    node_host_t *h = s->data;
    const char  *payload;
    size_t       len;
    (void)b;
    if (nread < 0) {
        c_drop(h);
        return;
    }
    link_reader_commit(&h->crd, (size_t)nread);
    while (h->ctcp && link_reader_next(&h->crd, &payload, &len) == 0) {
        link_frame_t f;
        msgpack_zone_clear(&h->czone);
        if (link_frame_decode(payload, len, &f, &h->czone, NULL) < 0) {
            c_drop(h);
            return;
        }
        if (f.type == LINK_T_HELLO)
            h->c_hello = true;
        else if (f.type == LINK_T_SVC)
            fprintf(stderr, "host %s: time keeper: %.*s\n", h->o.name, (int)f.svc.text.len,
                    f.svc.text.p ? f.svc.text.p : "");
        else if (f.type == LINK_T_PROMISE && f.promise.has_counts && f.has_at)
            rtr_sync_party_grant(&h->party, f.promise.rnd, f.at);
    }
    host_pump(h);
}

static void c_connect_cb(uv_connect_t *req, int status)
{
    node_host_t      *h = req->data;
    link_frame_t      f;
    link_hello_link_t l;
    char              name[RTR_SYNC_NAME_MAX];
    h->c_connecting = false;
    if (status < 0 || h->stopping) {
        c_drop(h);
        return;
    }
    h->c_up = true;
    uv_tcp_nodelay(h->ctcp, 1);
    uv_read_start((uv_stream_t *)h->ctcp, c_alloc, c_read);
    snprintf(name, sizeof(name), "host:%s", h->o.name);
    rtr_sync_hello(&f, &l, name, h->o.heartbeat_ms);
    c_send(h, &f);
}

static void c_connect(node_host_t *h)
{
    const net_router_t *k = &h->o.net->routers[0];
    struct sockaddr_in  addr;
    if (h->stopping || h->ctcp || h->c_connecting)
        return;
    if (uv_ip4_addr(k->listen_host, k->listen_port, &addr) != 0)
        return;
    h->ctcp = sim_xcalloc(1, sizeof(*h->ctcp));
    uv_tcp_init(h->loop, h->ctcp);
    h->ctcp->data = h;
    h->handles++;
    h->creq.data = h;
    h->c_connecting = true;
    if (uv_tcp_connect(&h->creq, h->ctcp, (const struct sockaddr *)&addr, c_connect_cb) != 0) {
        h->c_connecting = false;
        c_drop(h);
    }
}

static void chb_cb(uv_timer_t *t)
{
    node_host_t *h = t->data;
    link_frame_t f;
    link_frame_init(&f, LINK_T_HEARTBEAT);
    c_send(h, &f);
}

/* --- pumping ------------------------------------------------------------- */

static void tick_cb(uv_timer_t *t);

static void host_pump(node_host_t *h)
{
    if (h->stopping || h->in_pump)
        return;
    h->in_pump = true;
    if (!h->o.asap) {
        sim_time_t next;
        sim_sched_run_until(&h->sched, sim_clock_now(&h->clock));
        next = sim_sched_next(&h->sched);
        if (next != SIM_TIME_NEVER) {
            uint64_t wall = sim_clock_wall_ns(&h->clock, next), now = h->clock.wall_ns();
            uv_timer_start(&h->tick, tick_cb, wall > now ? (wall - now + 999999) / 1000000 : 0,
                           0);
        }
    } else {
        for (;;) {
            sim_time_t t = sim_sched_next(&h->sched);
            uint64_t   rnd, sent, recv;
            link_frame_t f;
            if (t < h->party.horizon) {
                sim_sched_run_until(&h->sched, t);
                continue;
            }
            if (h->party.ended) {
                if (!h->end_told && h->o.on_end) {
                    h->end_told = true;
                    h->o.on_end(h->o.end_ud);
                }
                break;
            }
            if (h->stt.up < h->n || !h->c_hello)
                break;
            if (!rtr_sync_party_report(&h->party, t, &rnd, &sent, &recv))
                break;
            rtr_sync_report_frame(&f, rnd, t, sent, recv);
            flush_dirty(h); /* the frames counted go before the report */
            c_send(h, &f);
            h->stt.reports++;
            break;
        }
    }
    flush_dirty(h);
    h->in_pump = false;
}

static void tick_cb(uv_timer_t *t)
{
    host_pump(t->data);
}

static void check_cb(uv_check_t *c)
{
    host_pump(c->data);
}

/* --- life cycle ------------------------------------------------------------ */

int node_host_start(node_host_t **out, uv_loop_t *loop, const node_host_opts_t *o, char *err,
                    size_t errlen)
{
    node_host_t *h = sim_xcalloc(1, sizeof(*h));
    const net_network_t *net = o->net;
    sim_time_t           t0 = 0;
    int                  rc;
    bool                 first_host = true;

    h->loop = loop;
    h->o = *o;
    if (h->o.speed <= 0)
        h->o.speed = 1.0;
    if (!h->o.window)
        h->o.window = 1000;
    if (!h->o.heartbeat_ms)
        h->o.heartbeat_ms = 2000;
    h->local_of = sim_xmalloc((net->n_stations ? net->n_stations : 1) * sizeof(*h->local_of));
    for (uint32_t i = 0; i < net->n_stations; i++) {
        h->local_of[i] = -1;
        if (strcmp(node_host_of(net, i), o->name) == 0)
            h->local_of[i] = (int32_t)h->n++;
        else if (strcmp(node_host_of(net, i), o->name) < 0)
            first_host = false;
    }
    if (!h->n) {
        snprintf(err, errlen, "the network has no station on host '%s'", o->name);
        free(h->local_of);
        free(h);
        return SIM_EUSAGE;
    }
    if (o->start)
        t0 = o->start;
    else if (o->replay && o->replay->n)
        t0 = o->replay->v[0].dtg;
    sim_clock_init(&h->clock, o->asap ? SIM_CLOCK_VIRTUAL : SIM_CLOCK_SCALED, h->o.speed,
                   o->asap ? INT64_MIN / 4 : t0 ? t0 : (sim_time_t)sim_wall_us());
    if (!o->asap && o->wall_start_us)
        sim_clock_anchor(&h->clock, o->wall_start_us);
    sim_sched_init(&h->sched, h->clock.t0);
    rtr_sync_party_init(&h->party);
    if (o->log_dir) {
        char party[RTR_SYNC_NAME_MAX];
        snprintf(party, sizeof(party), "host-%s", o->name);
        h->dlog = rtr_dlog_open(o->log_dir, party, &rc);
        if (!h->dlog) {
            snprintf(err, errlen, "log folder %s: %s", o->log_dir, sim_strerror(rc));
            sim_sched_destroy(&h->sched);
            free(h->local_of);
            free(h);
            return rc;
        }
    }
    h->st = sim_xcalloc(h->n, sizeof(*h->st));
    for (uint32_t i = 0; i < net->n_stations; i++) {
        const net_station_t *ns = &net->stations[i];
        const net_router_t  *r = &net->routers[ns->router];
        hstation_t          *s;
        node_station_opts_t  so;
        node_station_cbs_t   cbs = {h, true, cb_received, cb_acked, NULL, cb_link, NULL, cb_output};
        if (h->local_of[i] < 0)
            continue;
        s = &h->st[h->local_of[i]];
        s->h = h;
        s->net_idx = i;
        s->bps = o->no_link_model ? 0 : ns->link.bps;
        s->latency = o->asap ? rtr_sync_link_latency(ns->link.latency_ms, o->no_link_model)
                     : o->no_link_model ? 0
                                        : (sim_time_t)(ns->link.latency_ms * 1000.0);
        sim_event_init(&s->tx_end);
        memset(&so, 0, sizeof(so));
        so.ri = ns->ri;
        so.router_host = r->listen_host;
        so.router_port = r->listen_port;
        so.window = h->o.window;
        so.heartbeat_ms = h->o.heartbeat_ms;
        so.dlog = h->dlog;
        so.speed = h->o.speed;
        so.operator_delay_s = ns->operator_delay_s > 0 ? ns->operator_delay_s : -1;
        if (o->asap) {
            so.sched = &h->sched;
            so.latency = s->latency;
            so.vt_sent = &h->party.sent;
            so.vt_recv = &h->party.recv;
        } else {
            so.clock = host_clock;
            so.clock_ud = &h->clock;
        }
        s->st = node_station_new(loop, &so, &cbs);
    }
    /* The replay: an origination event per cable of this host's stations. */
    if (o->replay) {
        const node_replay_t *rp = o->replay;
        h->orig = sim_xcalloc(rp->n ? rp->n : 1, sizeof(*h->orig));
        for (size_t i = 0; i < rp->n; i++) {
            const node_replay_cable_t *c = &rp->v[i];
            horigin_t                 *or;
            if (h->local_of[c->station] < 0)
                continue;
            or = &h->orig[h->n_orig++];
            or->h = h;
            or->idx = (uint32_t)i;
            or->local = (uint32_t)h->local_of[c->station];
            sim_event_init(&or->ev);
            sim_event_key(&or->ev, SIM_EV_ORIGIN, c->prec, c->id, strlen(c->id), (int32_t)i, 0,
                          c->station);
            sim_sched_add(&h->sched, &or->ev, c->dtg, origin_cb);
        }
        h->stt.to_originate = h->n_orig;
        if (first_host && h->dlog)
            for (uint32_t k = 0; k < rp->n_first_skip || k < rp->skipped; k++) {
                if (k >= rp->skipped)
                    break;
                log_rec(h, RTR_DLOG_SKIPPED, o->name, NULL, CABLE_PREC_NONE,
                        k < rp->n_first_skip ? rp->first_skip[k] : "not replayed", 0);
            }
    }
    h->stt.stations = h->n;
    uv_timer_init(loop, &h->tick);
    h->tick.data = h;
    uv_check_init(loop, &h->check);
    h->check.data = h;
    uv_check_start(&h->check, check_cb);
    uv_timer_init(loop, &h->cretry);
    h->cretry.data = h;
    uv_timer_init(loop, &h->chb);
    h->chb.data = h;
    h->handles = 4;
    link_reader_init(&h->crd, LINK_FRAME_MAX, 64 * 1024);
    msgpack_zone_init(&h->czone, 4096);
    msgpack_sbuffer_init(&h->csb);
    if (o->asap) {
        c_connect(h);
        uv_timer_start(&h->chb, chb_cb, h->o.heartbeat_ms, h->o.heartbeat_ms);
    } else {
        host_pump(h);
    }
    *out = h;
    return 0;
}

static void h_closed(uv_handle_t *hd)
{
    node_host_t *h = hd->data;
    if (--h->handles == 0 && h->done) {
        void (*done)(void *) = h->done;
        h->done = NULL;
        done(h->done_ud);
    }
}

static void st_closed(void *ud)
{
    node_host_t *h = ud;
    if (--h->handles == 0 && h->done) {
        void (*done)(void *) = h->done;
        h->done = NULL;
        done(h->done_ud);
    }
}

void node_host_stop(node_host_t *h, void (*done)(void *ud), void *ud)
{
    if (h->stopping)
        return;
    h->stopping = true;
    h->done = done;
    h->done_ud = ud;
    flush_dirty(h);
    h->handles += h->n;
    for (uint32_t i = 0; i < h->n; i++) {
        sim_sched_cancel(&h->sched, &h->st[i].tx_end);
        node_station_close(h->st[i].st, st_closed, h);
    }
    if (h->ctcp) {
        uv_close((uv_handle_t *)h->ctcp, c_handle_closed);
        h->ctcp = NULL;
    }
    uv_close((uv_handle_t *)&h->tick, h_closed);
    uv_close((uv_handle_t *)&h->check, h_closed);
    uv_close((uv_handle_t *)&h->cretry, h_closed);
    uv_close((uv_handle_t *)&h->chb, h_closed);
    if (h->dlog)
        rtr_dlog_flush(h->dlog);
}

void node_host_free(node_host_t *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n_orig; i++)
        sim_sched_cancel(&h->sched, &h->orig[i].ev);
    for (uint32_t i = 0; i < h->n; i++)
        for (int p = 0; p < CABLE_PREC_COUNT; p++)
            free(h->st[i].q[p].v);
    rtr_dlog_close(h->dlog);
    sim_sched_destroy(&h->sched);
    link_reader_destroy(&h->crd);
    msgpack_zone_destroy(&h->czone);
    msgpack_sbuffer_destroy(&h->csb);
    free(h->orig);
    free(h->st);
    free(h->local_of);
    free(h);
}

void node_host_clock_anchor(node_host_t *h, int64_t real_us)
{
    if (h->clock.mode != SIM_CLOCK_SCALED)
        return;
    sim_clock_anchor(&h->clock, real_us);
    host_pump(h); /* runs what fell due and re-arms its timer */
}

void node_host_stats(const node_host_t *h, node_host_stats_t *st)
{
    *st = h->stt;
    st->now = h->sched.now;
}
