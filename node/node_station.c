/*
 * node_station.c - a station on libuv (see node_station.h). Handles: one
 * TCP connection at a time, a heartbeat/idle timer, a reconnect timer and
 * the operator's timer. The unacknowledged cables live in a slot array
 * indexed by csn % window (the channel window keeps at most 'window'
 * consecutive numbers in flight, and the window divides 10000, so slots
 * never collide).
 *
 * Receiving writes the received log (when the station has one) before the
 * 'received' callback and acknowledges custody on the link right after it.
 * The operator's acknowledgements are separate: those due later wait in a
 * FIFO ring (one constant delay, so due times come in receipt order) served
 * by one timer armed for the head; each is due at the loop time of its
 * receipt plus delay/speed, computed from that receipt alone (no drift), and
 * logged at exactly its receipt's sim-time plus the delay. Closing cancels
 * the ring without a callback. Every callback runs on the loop's thread, in
 * read_cb or a timer callback; all memory is freed in the last close
 * callback.
 */
#include "node_station.h"
#include "cable_msgpack.h"
#include "link/link_chan.h"
#include "node_sections.h"
#include "rtr_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST_READ_SIZE (16 * 1024)
#define ST_ID_MAX 64

/* A delivery waiting for its operator's acknowledgement. */
typedef struct opack {
    char       id[ST_ID_MAX];
    sim_time_t rx_at;  /* sim-time of the receipt */
    uint64_t   due_ms; /* loop time (uv_now) at which it is due */
    int32_t    csn;
    uint8_t    prec;
} opack_t;

typedef struct slot {
    char    *bytes; /* sim_buf_alloc'ed, cap bytes */
    size_t   len, cap;
    sim_time_t at; /* virtual time: when it takes effect at the router */
    uint64_t cookie;
    uint8_t  prec; /* the cable's precedence, told to the router ("p") */
    bool     used;
} slot_t;

struct node_station {
    uv_loop_t         *loop;
    uv_tcp_t          *tcp;   /* current connection, NULL when none */
    uv_connect_t       creq;
    uv_timer_t         retry, hb;
    uv_timer_t         opack;   /* the operator's next acknowledgement */
    uv_write_t         wreq;
    node_station_cbs_t cbs;
    char               ri[16];
    char               host[64];
    int                port;
    uint32_t           window, hb_ms;
    link_tx_t          chan_tx;
    link_rx_t          chan_rx;
    slot_t            *slots;
    slot_t            *again;   /* released for a repeat, waiting for a number */
    uint32_t           n_again;
    link_dedup_t      *dedup;
    link_reader_t      rd;
    msgpack_zone       zone;
    cable_t            cable;
    msgpack_sbuffer    sb;
    char              *out, *wbuf;
    size_t             out_len, out_cap, w_len, w_cap;
    bool               writing, up, closing, connecting;
    uint64_t           backoff_ms, last_in_ms;
    int                handles;
    void (*done)(void *ud);
    void              *done_ud;
    node_station_stats_t st;
    /* Received log, clock and operator. */
    rtr_dlog_t           *dlog;   /* borrowed; NULL none */
    node_station_clock_fn clock;  /* NULL: the wall clock */
    void                 *clock_ud;
    double                speed;
    sim_time_t            op_delay_us; /* 0: every acknowledgement at once */
    opack_t              *pend;        /* ring, due order */
    uint32_t              pend_head, pend_n, pend_cap;
    node_sections_t      *sect;
    sim_time_t            sect_at;     /* sim-time of the section being added */
    /* Virtual time (opts.sched). */
    sim_sched_t          *sched;
    sim_time_t            latency;
    uint64_t             *vt_sent, *vt_recv;
    struct vframe        *vframes;     /* received, waiting for their sim-time */
    sim_event_t           opev;        /* the operator's next acknowledgement */
    uint32_t              vt_seq;      /* frames received, for the tie order */
};

typedef struct vframe {
    sim_event_t     ev;
    node_station_t *st;
    struct vframe  *next, *prev;
    uint32_t        len;
    char            bytes[];
} vframe_t;

static void st_connect(node_station_t *st);
static void send_again(node_station_t *st);
static void st_drop(node_station_t *st, const char *why);

static void write_cb(uv_write_t *req, int status);

static sim_time_t st_now(node_station_t *st)
{
    if (st->sched)
        return st->sched->now;
    return st->clock ? st->clock(st->clock_ud) : (sim_time_t)sim_wall_us();
}

/* One record of the received log (nothing without a log). The link of a
 * station is named by its RI, as in its HELLO. */
static void st_log(node_station_t *st, rtr_dlog_event_t ev, sim_time_t at, const char *id,
                   cable_prec_t prec, int32_t csn, bool addressee, const char *detail,
                   int64_t value)
{
    rtr_dlog_rec_t r;
    if (!st->dlog)
        return;
    memset(&r, 0, sizeof(r));
    r.sim_time = at;
    r.wall_time = sim_wall_us();
    r.event = ev;
    r.party = st->ri;
    r.id = id;
    r.precedence = prec;
    r.link = st->ri;
    r.csn = csn;
    r.addressee = addressee ? st->ri : NULL;
    r.detail = detail;
    r.value = value;
    /* A write error is sticky in the writer; its owner sees it on close. */
    (void)rtr_dlog_write(st->dlog, &r);
}

static void flush(node_station_t *st)
{
    uv_buf_t b;
    char    *t;
    size_t   tc;
    if (st->writing || !st->out_len || !st->tcp)
        return;
    t = st->wbuf;
    tc = st->w_cap;
    st->wbuf = st->out;
    st->w_cap = st->out_cap;
    st->w_len = st->out_len;
    st->out = t;
    st->out_cap = tc;
    st->out_len = 0;
    b = uv_buf_init(st->wbuf, (unsigned)st->w_len);
    st->writing = true;
    st->wreq.data = st;
    if (uv_write(&st->wreq, (uv_stream_t *)st->tcp, &b, 1, write_cb) < 0) {
        st->writing = false;
        st_drop(st, "write failed");
    }
}

static void write_cb(uv_write_t *req, int status)
{
    node_station_t *st = req->data;
    st->writing = false;
    if (status < 0) {
        if (status != UV_ECANCELED)
            st_drop(st, uv_strerror(status));
        return;
    }
    flush(st);
}

static void put_frame(node_station_t *st, const link_frame_t *f)
{
    link_frame_t stamped;
    if (st->sched && !f->has_at && (f->type == LINK_T_ACK || f->type == LINK_T_SVC)) {
        stamped = *f;
        stamped.has_at = true;
        stamped.at = st->sched->now + st->latency;
        f = &stamped;
    }
    if (!st->tcp) {
        /* Nowhere to write: still refuse what could not be encoded. */
        msgpack_sbuffer_clear(&st->sb);
        if (link_frame_encode(f, &st->sb) != 0)
            sim_panic("%s: cannot encode a %s frame", __func__, link_type_name(f->type));
        return;
    }
    if (st->sched && st->vt_sent && rtr_sync_counted(f->type, f->has_at))
        (*st->vt_sent)++;
    if (st->sched && st->out_len == 0 && st->cbs.output)
        st->cbs.output(st->cbs.ud, st);
    /* Straight onto the end of the output (no copy of the cable between). */
    if (link_frame_append(f, &st->out, &st->out_len, &st->out_cap) != 0)
        sim_panic("%s: cannot encode a %s frame", __func__, link_type_name(f->type));
}

static void send_cable(node_station_t *st, int csn, bool repeat)
{
    slot_t      *s = &st->slots[(uint32_t)csn % st->window];
    link_frame_t f;
    link_frame_init(&f, LINK_T_CABLE);
    f.csn = csn;
    f.has_at = true;
    f.at = st_now(st);
    if (st->sched)
        f.at = !repeat && s->at ? s->at : st->sched->now + st->latency;
    f.cable.c = sim_span(s->bytes, s->len);
    f.cable.prec = s->prec;
    f.cable.rpt = repeat;
    put_frame(st, &f);
}

/* --- the operator --------------------------------------------------- */

/* Operator acknowledgements are only worth scheduling when someone hears
 * of them. */
static bool wants_operator(const node_station_t *st)
{
    return st->dlog || st->cbs.operator_ack;
}

static void op_ack_done(node_station_t *st, const char *id, cable_prec_t prec, int32_t csn,
                        sim_time_t rx_at, sim_time_t delay_us)
{
    st->st.operator_acks++;
    st_log(st, RTR_DLOG_ACKNOWLEDGED, rx_at + delay_us, id, prec, csn, true,
           delay_us ? "operator" : "operator, at once", delay_us);
    if (st->cbs.operator_ack)
        st->cbs.operator_ack(st->cbs.ud, st, id, prec, rx_at, rx_at + delay_us);
}

static void opack_cb(uv_timer_t *t);

static void opev_cb(sim_event_t *ev, sim_time_t now)
{
    node_station_t *st = SIM_CONTAINER_OF(ev, node_station_t, opev);
    while (st->pend_n && !st->closing) {
        opack_t a = st->pend[st->pend_head];
        if (a.rx_at + st->op_delay_us > now)
            break;
        st->pend_head = (st->pend_head + 1) % st->pend_cap;
        st->pend_n--;
        op_ack_done(st, a.id, (cable_prec_t)a.prec, a.csn, a.rx_at, st->op_delay_us);
    }
    if (st->pend_n && !st->closing) {
        opack_t *h = &st->pend[st->pend_head];
        sim_sched_add(st->sched, &st->opev, h->rx_at + st->op_delay_us, opev_cb);
    }
}

static void opack_arm(node_station_t *st)
{
    uint64_t now = uv_now(st->loop), due = st->pend[st->pend_head].due_ms;
    if (st->sched) {
        /* Virtual time: the operator's delay is sim-time, an event. */
        const opack_t *h = &st->pend[st->pend_head];
        sim_event_key(&st->opev, SIM_EV_ACK, 0, st->ri, strlen(st->ri), 0, 0, 0);
        sim_sched_add(st->sched, &st->opev, h->rx_at + st->op_delay_us, opev_cb);
        return;
    }
    uv_timer_start(&st->opack, opack_cb, due > now ? due - now : 0, 0);
}

static void opack_cb(uv_timer_t *t)
{
    node_station_t *st = SIM_CONTAINER_OF(t, node_station_t, opack);
    uint64_t        now = uv_now(st->loop);
    while (st->pend_n && !st->closing) {
        opack_t a = st->pend[st->pend_head];
        if (a.due_ms > now)
            break;
        st->pend_head = (st->pend_head + 1) % st->pend_cap;
        st->pend_n--;
        op_ack_done(st, a.id, (cable_prec_t)a.prec, a.csn, a.rx_at, st->op_delay_us);
    }
    if (st->pend_n && !st->closing)
        opack_arm(st);
}

/* FLASH, EMERGENCY COMMAND and NIACT are acknowledged at once (the alert
 * roster is called whatever the hour); the rest after the operator delay. */
static void op_ack_schedule(node_station_t *st, const char *id, cable_prec_t prec, bool niact,
                            int32_t csn, sim_time_t rx_at)
{
    opack_t *a;
    if (!wants_operator(st))
        return;
    if (prec >= CABLE_PREC_Z || niact || st->op_delay_us <= 0) {
        op_ack_done(st, id, prec, csn, rx_at, 0);
        return;
    }
    if (st->pend_n == st->pend_cap) {
        uint32_t cap = st->pend_cap ? st->pend_cap * 2 : 64;
        opack_t *v = sim_xmalloc(cap * sizeof(*v));
        for (uint32_t k = 0; k < st->pend_n; k++)
            v[k] = st->pend[(st->pend_head + k) % st->pend_cap];
        free(st->pend);
        st->pend = v;
        st->pend_cap = cap;
        st->pend_head = 0;
    }
    a = &st->pend[(st->pend_head + st->pend_n) % st->pend_cap];
    snprintf(a->id, sizeof(a->id), "%s", id);
    a->rx_at = rx_at;
    /* From this receipt alone: delay/speed of wall time after the monotonic
     * clock's now (not the loop's cached time, which may lag), rounded up
     * to the loop's milliseconds so that an acknowledgement is never early. */
    a->due_ms = (uv_hrtime() + (uint64_t)((double)st->op_delay_us * 1000.0 / st->speed) +
                 999999u) / 1000000u;
    a->csn = csn;
    a->prec = (uint8_t)prec;
    if (++st->pend_n == 1)
        opack_arm(st);
}

/* --- section reassembly ------------------------------------------------ */

static void sect_complete_cb(void *ud, const node_sections_msg_t *m)
{
    node_station_t *st = ud;
    char            detail[48];
    st->st.reassembled++;
    snprintf(detail, sizeof(detail), "sections 1-%u complete", (unsigned)m->sections);
    st_log(st, RTR_DLOG_REASSEMBLED, m->last_at, m->id, m->prec, -1, true, detail,
           m->last_at - m->first_at);
}

static void log_missing(node_station_t *st, const node_sections_msg_t *m, sim_time_t at,
                        const char *why)
{
    char text[200];
    size_t n = node_sections_missing_text(m, text, sizeof(text) - 24);
    snprintf(text + n, sizeof(text) - n, "%s", why);
    st_log(st, RTR_DLOG_SECTIONS_MISSING, at, m->id, m->prec, -1, true, text,
           m->sections - m->got);
}

static void sect_evicted_cb(void *ud, const node_sections_msg_t *m)
{
    node_station_t *st = ud;
    st->st.evicted++;
    log_missing(st, m, st->sect_at, " (evicted)");
}

static void sect_close_cb(void *ud, const node_sections_msg_t *m)
{
    node_station_t *st = ud;
    log_missing(st, m, st->sect_at, " (at close)");
}

/* --- receiving --------------------------------------------------------- */

/* One delivery of a cable to this station: the received log, section
 * reassembly, the 'received' callback, then the operator. c is NULL when
 * the cable was not decoded. */
static void deliver(node_station_t *st, const link_frame_t *f, const cable_t *c, const char *id,
                    sim_time_t at, bool dup)
{
    cable_prec_t prec = CABLE_PREC_NONE;
    bool         niact = false;
    if (f->cable.prec >= CABLE_PREC_R && f->cable.prec <= CABLE_PREC_Y)
        prec = (cable_prec_t)f->cable.prec;
    else if (c)
        prec = cable_precedence(c);
    if (c)
        for (uint32_t k = 0; k < c->to.n && !niact; k++)
            niact = c->to.v[k].niact;
    if (dup)
        st->st.duplicates++;
    else
        st->st.received++;
    st_log(st, RTR_DLOG_RECEIVED, at, id, prec, f->csn, false, f->cable.rpt ? "ZDK" : NULL, 0);
    st_log(st, dup ? RTR_DLOG_DUPLICATE : RTR_DLOG_DELIVERED, at, id, prec, f->csn, true,
           dup ? (f->cable.ccy ? "ZFD CCY" : "ZFD") : (f->cable.ccy ? "CCY" : NULL), 0);
    if (!dup && c && c->sections > 1) {
        st->sect_at = at;
        node_sections_add(st->sect, c, prec, at);
    }
    if (st->cbs.received)
        st->cbs.received(st->cbs.ud, st, c, id, f->has_at ? f->at : 0, dup);
    if (!dup && !st->closing)
        op_ack_schedule(st, id, prec, niact, f->csn, at);
}

static void on_cable(node_station_t *st, const link_frame_t *f)
{
    link_rx_info_t info;
    const char    *err = NULL;
    link_frame_t   ack;
    sim_time_t     at = st_now(st);
    int            verdict = link_rx_check(&st->chan_rx, f->csn, &info);
    if (verdict == LINK_RX_GAP) {
        link_frame_t svc;
        char         text[96];
        link_svc_gap_text(text, sizeof(text), info.from, info.to);
        link_frame_init(&svc, LINK_T_SVC);
        svc.svc.code = LINK_SVC_GAP;
        svc.svc.text = sim_span_str(text);
        svc.svc.from = info.from;
        svc.svc.to = info.to;
        put_frame(st, &svc);
        st->st.gaps++;
        st_log(st, RTR_DLOG_GAP, at, NULL, CABLE_PREC_NONE, info.from, false, text,
               (int64_t)info.missing);
    }
    if (!st->cbs.want_cable && f->cable.id.len && f->cable.id.len < ST_ID_MAX) {
        /* The router names the cable: no need to decode it. The delivery is
         * keyed by the identity text and this station. */
        link_dupkey_t key;
        char          id[ST_ID_MAX];
        memcpy(id, f->cable.id.p, f->cable.id.len);
        id[f->cable.id.len] = '\0';
        memset(&key, 0, sizeof(key));
        key.origin_ri = f->cable.id;
        key.serial = -1;
        key.section = 1;
        key.dtg = INT64_MIN;
        key.addressee = sim_span_str(st->ri);
        key.corrected = f->cable.ccy;
        deliver(st, f, NULL, id, at, link_dedup_check(st->dedup, &key) == 1);
    } else if (cable_msgpack_decode(&st->cable, f->cable.c.p, f->cable.c.len, &err) < 0) {
        link_frame_t svc;
        char         text[160];
        snprintf(text, sizeof(text), "GARBLED CSN %04d PLS RPT (%s)", f->csn, err ? err : "?");
        link_frame_init(&svc, LINK_T_SVC);
        svc.svc.code = LINK_SVC_GARBLED;
        svc.svc.text = sim_span_str(text);
        svc.svc.from = svc.svc.to = f->csn;
        put_frame(st, &svc);
        st_log(st, RTR_DLOG_SERVICE, at, NULL, CABLE_PREC_NONE, f->csn, false, text, 0);
        return; /* not acknowledged: the router repeats it */
    } else {
        link_dupkey_t key;
        char          id[ST_ID_MAX];
        if (f->cable.n_ids) {
            /* The copy's format line 2 (the RIs this link serves) travels in
             * the frame; the cable's bytes are the originator's. */
            st->cable.routing_indicators.v = (sim_span_t *)f->cable.ids;
            st->cable.routing_indicators.n = f->cable.n_ids;
            st->cable.routing_indicators.cap = f->cable.n_ids;
        }
        link_dupkey_of(&key, &st->cable, sim_span_str(st->ri));
        cable_id(&st->cable, id, sizeof(id));
        deliver(st, f, &st->cable, id, at, link_dedup_check(st->dedup, &key) == 1);
    }
    link_frame_init(&ack, LINK_T_ACK);
    ack.csn = f->csn;
    put_frame(st, &ack);
}

static void on_ack(node_station_t *st, const link_frame_t *f)
{
    uint32_t n = f->ack.n ? f->ack.n : 1;
    for (uint32_t k = 0; k < n; k++) {
        int      csn = link_csn_add(f->csn, (int)k);
        uint64_t cookie;
        if (link_tx_ack(&st->chan_tx, csn, &cookie) == 0) {
            slot_t *s = &st->slots[(uint32_t)csn % st->window];
            sim_buf_free_n(s->bytes, s->cap);
            memset(s, 0, sizeof(*s));
            st->st.acked++;
            if (st->cbs.acked)
                st->cbs.acked(st->cbs.ud, st, cookie);
        }
    }
    if (st->n_again)
        send_again(st);
}

/* Sends again what the router asked to repeat, as far as the window allows
 * (the rest waits for acknowledgements to free numbers). */
static void send_again(node_station_t *st)
{
    uint32_t k = 0;
    for (; k < st->n_again; k++) {
        int     csn;
        slot_t *a = &st->again[k];
        if (link_tx_send(&st->chan_tx, a->cookie, &csn) < 0)
            break;
        st->slots[(uint32_t)csn % st->window] = *a;
        send_cable(st, csn, true);
        st->st.resent++;
    }
    memmove(st->again, st->again + k, (st->n_again - k) * sizeof(*st->again));
    st->n_again -= k;
}

static void on_svc(node_station_t *st, const link_frame_t *f)
{
    st->st.services++;
    if (st->dlog) {
        char       detail[320], id[ST_ID_MAX];
        sim_span_t code = f->svc.code_text.len ? f->svc.code_text
                                               : sim_span_str(link_svc_code_name(f->svc.code)
                                                                  ? link_svc_code_name(f->svc.code)
                                                                  : "?");
        snprintf(detail, sizeof(detail), "%.*s: %.*s", (int)SIM_MIN(code.len, 64u), code.p,
                 (int)SIM_MIN(f->svc.text.len, 240u), f->svc.text.p ? f->svc.text.p : "");
        snprintf(id, sizeof(id), "%.*s", (int)SIM_MIN(f->svc.id.len, ST_ID_MAX - 1u),
                 f->svc.id.p ? f->svc.id.p : "");
        st_log(st, RTR_DLOG_SERVICE, st_now(st), id[0] ? id : NULL, CABLE_PREC_NONE, f->svc.from,
               false, detail, 0);
    }
    if ((f->svc.code == LINK_SVC_GAP || f->svc.code == LINK_SVC_GARBLED ||
         f->svc.code == LINK_SVC_BUSY) &&
        f->svc.from >= 0) {
        int to = f->svc.to >= 0 ? f->svc.to : f->svc.from;
        int n = link_csn_dist(f->svc.from, to) + 1;
        for (int k = 0; st->slots && k < n && k < (int)st->window; k++) {
            int      csn = link_csn_add(f->svc.from, k);
            uint64_t cookie;
            slot_t  *sl = &st->slots[(uint32_t)csn % st->window];
            if (!sl->used || link_tx_release(&st->chan_tx, csn, &cookie) != 0)
                continue;
            /* Never dropped: it waits for a new number (a busy router gets
             * it after the next heartbeat interval, not at once). */
            st->again[st->n_again++] = *sl;
            memset(sl, 0, sizeof(*sl));
        }
        if (f->svc.code != LINK_SVC_BUSY)
            send_again(st);
    }
    if (st->cbs.service)
        st->cbs.service(st->cbs.ud, st, f);
}

static void on_hello(node_station_t *st, const link_frame_t *f)
{
    int            peer_rx = f->hello.n_links ? f->hello.links[0].last_rx : -1;
    uint32_t       it = 0;
    link_tx_item_t item;
    link_tx_resume(&st->chan_tx, peer_rx);
    while (link_tx_resend_next(&st->chan_tx, &it, &item)) {
        if (item.abort)
            continue;
        if (st->slots[(uint32_t)item.csn % st->window].used) {
            send_cable(st, item.csn, true);
            st->st.resent++;
        }
    }
    st->up = true;
    st->backoff_ms = 0;
    if (st->cbs.link)
        st->cbs.link(st->cbs.ud, st, true);
}

static void dispatch(node_station_t *st, const link_frame_t *fp)
{
    link_frame_t f = *fp;
    switch (f.type) {
    case LINK_T_HELLO: on_hello(st, &f); break;
    case LINK_T_CABLE: on_cable(st, &f); break;
    case LINK_T_ACK: on_ack(st, &f); break;
    case LINK_T_SVC: on_svc(st, &f); break;
    case LINK_T_ABORT: link_rx_check(&st->chan_rx, f.csn, NULL); break;
    default: break;
    }
}

static void vframe_unlink(node_station_t *st, vframe_t *v)
{
    if (v->prev)
        v->prev->next = v->next;
    else
        st->vframes = v->next;
    if (v->next)
        v->next->prev = v->prev;
}

static void vframe_cb(sim_event_t *ev, sim_time_t now)
{
    vframe_t       *v = SIM_CONTAINER_OF(ev, vframe_t, ev);
    node_station_t *st = v->st;
    link_frame_t    f;
    (void)now;
    vframe_unlink(st, v);
    msgpack_zone_clear(&st->zone);
    if (!st->closing && link_frame_decode(v->bytes, v->len, &f, &st->zone, NULL) == 0)
        dispatch(st, &f);
    free(v);
}

static void on_frame(node_station_t *st, const char *payload, size_t len)
{
    link_frame_t f;
    const char  *err = NULL;
    msgpack_zone_clear(&st->zone);
    if (link_frame_decode(payload, len, &f, &st->zone, &err) < 0) {
        st_drop(st, err ? err : "bad frame");
        return;
    }
    if (st->sched && rtr_sync_counted(f.type, f.has_at)) {
        /* Virtual time: handled at its sim-time, in the scheduler's order
         * (ties: arrivals, this link, the order the router sent them). */
        vframe_t *v = sim_xmalloc(sizeof(*v) + len);
        v->st = st;
        v->len = (uint32_t)len;
        memcpy(v->bytes, payload, len);
        v->prev = NULL;
        v->next = st->vframes;
        if (st->vframes)
            st->vframes->prev = v;
        st->vframes = v;
        sim_event_init(&v->ev);
        sim_event_key(&v->ev, SIM_EV_ARRIVAL, 0, st->ri, strlen(st->ri), (int32_t)st->vt_seq++,
                      0, 0);
        if (st->vt_recv)
            (*st->vt_recv)++;
        sim_sched_add(st->sched, &v->ev, f.at, vframe_cb);
        return;
    }
    dispatch(st, &f);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    node_station_t *st = h->data;
    size_t          room;
    char           *p = link_reader_space(&st->rd, &room);
    (void)hint;
    *b = uv_buf_init(p, p ? (unsigned)room : 0);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    node_station_t *st = s->data;
    const char     *payload;
    size_t          len;
    int             rc;
    (void)b;
    if (nread < 0) {
        st_drop(st, uv_strerror((int)nread));
        return;
    }
    st->last_in_ms = uv_now(st->loop);
    link_reader_commit(&st->rd, (size_t)nread);
    while (st->tcp && (rc = link_reader_next(&st->rd, &payload, &len)) == 0)
        on_frame(st, payload, len);
    if (st->tcp && rc < 0)
        st_drop(st, "unreadable stream");
    /* Thousands of stations share a host: an idle one keeps no buffer. */
    link_reader_trim(&st->rd);
    flush(st);
}

/* --- connection life cycle --------------------------------------------- */

static void handle_closed(uv_handle_t *h)
{
    node_station_t *st = h->data;
    if (h != (uv_handle_t *)&st->retry && h != (uv_handle_t *)&st->hb &&
        h != (uv_handle_t *)&st->opack)
        free(h);
    if (--st->handles == 0 && st->closing) {
        void (*done)(void *) = st->done;
        void *ud = st->done_ud;
        for (uint32_t i = 0; st->slots && i < st->window; i++)
            sim_buf_free(st->slots[i].bytes);
        for (uint32_t i = 0; i < st->n_again; i++)
            sim_buf_free(st->again[i].bytes);
        free(st->slots);
        free(st->again);
        link_tx_destroy(&st->chan_tx);
        link_dedup_free(st->dedup);
        link_reader_destroy(&st->rd);
        msgpack_zone_destroy(&st->zone);
        msgpack_sbuffer_destroy(&st->sb);
        cable_destroy(&st->cable);
        free(st->pend);
        node_sections_free(st->sect);
        free(st->out);
        free(st->wbuf);
        free(st);
        if (done)
            done(ud);
    }
}

static void retry_cb(uv_timer_t *t)
{
    st_connect(t->data);
}

static void st_drop(node_station_t *st, const char *why)
{
    (void)why;
    if (!st->tcp)
        return;
    uv_read_stop((uv_stream_t *)st->tcp);
    uv_close((uv_handle_t *)st->tcp, handle_closed);
    st->tcp = NULL;
    st->writing = false;
    st->out_len = 0;
    link_reader_destroy(&st->rd);
    link_reader_init(&st->rd, LINK_FRAME_MAX, ST_READ_SIZE);
    if (st->up && st->cbs.link)
        st->cbs.link(st->cbs.ud, st, false);
    st->up = false;
    if (!st->closing) {
        st->backoff_ms = st->backoff_ms ? SIM_MIN(st->backoff_ms * 2, 2000u) : 50;
        uv_timer_start(&st->retry, retry_cb, st->backoff_ms, 0);
    }
}

static void hb_cb(uv_timer_t *t)
{
    node_station_t *st = t->data;
    link_frame_t    f;
    if (!st->tcp || st->connecting)
        return;
    if (uv_now(st->loop) - st->last_in_ms > 3ull * st->hb_ms) {
        st_drop(st, "router silent");
        return;
    }
    if (st->n_again && st->up && !st->sched)
        send_again(st); /* repeats a busy router asked for (in virtual time: on the
                           next acknowledgement, an event) */
    link_frame_init(&f, LINK_T_HEARTBEAT);
    put_frame(st, &f);
    flush(st);
}

static void connect_cb(uv_connect_t *req, int status)
{
    node_station_t   *st = req->data;
    link_frame_t      f;
    link_hello_link_t l;
    st->connecting = false;
    if (status < 0) {
        st_drop(st, uv_strerror(status));
        return;
    }
    if (st->closing)
        return;
    st->st.connects++;
    st->last_in_ms = uv_now(st->loop);
    uv_tcp_nodelay(st->tcp, 1);
    uv_read_start((uv_stream_t *)st->tcp, alloc_cb, read_cb);
    link_frame_init(&f, LINK_T_HELLO);
    f.hello.role = LINK_ROLE_STATION;
    l.ln = sim_span_str(st->ri);
    l.last_rx = link_rx_last(&st->chan_rx);
    f.hello.links = &l;
    f.hello.n_links = 1;
    f.hello.hb_ms = st->hb_ms;
    put_frame(st, &f);
    flush(st);
}

static void st_connect(node_station_t *st)
{
    struct sockaddr_in addr;
    if (st->closing || st->tcp)
        return;
    if (uv_ip4_addr(st->host, st->port, &addr) != 0) {
        uv_timer_start(&st->retry, retry_cb, 1000, 0);
        return;
    }
    st->tcp = sim_xcalloc(1, sizeof(*st->tcp));
    uv_tcp_init(st->loop, st->tcp);
    st->tcp->data = st;
    st->handles++;
    st->creq.data = st;
    st->connecting = true;
    if (uv_tcp_connect(&st->creq, st->tcp, (const struct sockaddr *)&addr, connect_cb) != 0) {
        st->connecting = false;
        st_drop(st, "connect failed");
    }
}

node_station_t *node_station_new(uv_loop_t *loop, const node_station_opts_t *o,
                                 const node_station_cbs_t *cbs)
{
    node_station_t *st = sim_xcalloc(1, sizeof(*st));
    st->loop = loop;
    st->cbs = *cbs;
    snprintf(st->ri, sizeof(st->ri), "%s", o->ri);
    snprintf(st->host, sizeof(st->host), "%s", o->router_host);
    st->port = o->router_port;
    st->window = o->window && 10000 % o->window == 0 ? o->window : 100;
    st->hb_ms = o->heartbeat_ms ? o->heartbeat_ms : 2000;
    link_tx_init(&st->chan_tx, st->window, 0);
    link_rx_init(&st->chan_rx, -1);
    /* slots and again: on the first send (a station that only receives,
     * as most of a big host's do, needs neither). */
    st->dedup = link_dedup_new(o->dedup ? o->dedup : 65536);
    link_reader_init(&st->rd, LINK_FRAME_MAX, ST_READ_SIZE);
    msgpack_zone_init(&st->zone, 4096);
    msgpack_sbuffer_init(&st->sb);
    cable_init(&st->cable);
    st->dlog = o->dlog;
    st->clock = o->clock;
    st->clock_ud = o->clock_ud;
    st->speed = o->speed > 0 ? o->speed : 1.0;
    if (o->operator_delay_s > 0)
        st->op_delay_us = (sim_time_t)(o->operator_delay_s * (double)SIM_USEC_PER_SEC + 0.5);
    else if (o->operator_delay_s == 0)
        st->op_delay_us = 60 * SIM_USEC_PER_SEC;
    st->sect = node_sections_new(o->max_open_messages, sect_complete_cb, sect_evicted_cb, st);
    st->sched = o->sched;
    st->latency = o->latency;
    st->vt_sent = o->vt_sent;
    st->vt_recv = o->vt_recv;
    sim_event_init(&st->opev);
    uv_timer_init(loop, &st->retry);
    uv_timer_init(loop, &st->hb);
    uv_timer_init(loop, &st->opack);
    st->retry.data = st->hb.data = st->opack.data = st;
    st->handles = 3;
    uv_timer_start(&st->hb, hb_cb, st->hb_ms, st->hb_ms);
    st_connect(st);
    return st;
}

int node_station_send(node_station_t *st, const char *cable_mp, size_t len, uint64_t cookie)
{
    return node_station_send_prec(st, cable_mp, len, cookie, CABLE_PREC_NONE);
}

int node_station_send_prec(node_station_t *st, const char *cable_mp, size_t len, uint64_t cookie,
                           cable_prec_t prec)
{
    return node_station_send_at(st, cable_mp, len, cookie, prec, 0);
}

void node_station_flush(node_station_t *st)
{
    flush(st);
}

/* Takes buf (cap bytes, the cable in its first len) into custody, or
 * SIM_EFULL when the window is full (buf not taken). */
static int send_buf(node_station_t *st, char *buf, size_t cap, size_t len, uint64_t cookie,
                    cable_prec_t prec, sim_time_t at)
{
    int     csn;
    slot_t *s;
    if (!st->slots) {
        st->slots = sim_xcalloc(st->window, sizeof(*st->slots));
        st->again = sim_xcalloc(st->window, sizeof(*st->again));
    }
    if (link_tx_send(&st->chan_tx, cookie, &csn) < 0)
        return SIM_EFULL;
    s = &st->slots[(uint32_t)csn % st->window];
    s->bytes = buf;
    s->cap = cap;
    s->len = len;
    s->cookie = cookie;
    s->prec = (uint8_t)prec;
    s->at = at;
    s->used = true;
    st->st.sent++;
    if (st->up) {
        send_cable(st, csn, false);
        if (!st->sched)
            flush(st);
    }
    return 0;
}

int node_station_send_at(node_station_t *st, const char *cable_mp, size_t len, uint64_t cookie,
                         cable_prec_t prec, sim_time_t at)
{
    char *buf;
    int   rc;
    if (st->slots && link_tx_full(&st->chan_tx))
        return SIM_EFULL; /* (send_buf would say so, after a copy) */
    buf = sim_buf_alloc(len ? len : 1);
    memcpy(buf, cable_mp, len);
    if ((rc = send_buf(st, buf, len ? len : 1, len, cookie, prec, at)) < 0)
        sim_buf_free(buf);
    return rc;
}

int node_station_send_owned(node_station_t *st, char *buf, size_t cap, size_t len,
                            uint64_t cookie, cable_prec_t prec)
{
    return send_buf(st, buf, cap, len, cookie, prec, 0);
}

bool node_station_can_send(const node_station_t *st)
{
    /* Repeats the router asked for go before anything new. */
    return !st->n_again && !link_tx_full(&st->chan_tx);
}

bool node_station_up(const node_station_t *st)
{
    return st->up;
}

uint32_t node_station_unacked(const node_station_t *st)
{
    return st->chan_tx.count + st->n_again;
}

const char *node_station_ri(const node_station_t *st)
{
    return st->ri;
}

void node_station_set_router(node_station_t *st, const char *host, int port)
{
    snprintf(st->host, sizeof(st->host), "%s", host);
    st->port = port;
}

void node_station_close(node_station_t *st, void (*done)(void *ud), void *ud)
{
    if (st->closing)
        return;
    st->closing = true;
    st->done = done;
    st->done_ud = ud;
    if (st->sched) {
        sim_sched_cancel(st->sched, &st->opev);
        while (st->vframes) {
            vframe_t *v = st->vframes;
            vframe_unlink(st, v);
            sim_sched_cancel(st->sched, &v->ev);
            free(v);
        }
    }
    /* The received log keeps what never completed; pending operator
     * acknowledgements are dropped unannounced. */
    if (st->dlog && node_sections_open(st->sect)) {
        st->sect_at = st_now(st);
        node_sections_each(st->sect, sect_close_cb, st);
    }
    if (st->tcp) {
        uv_close((uv_handle_t *)st->tcp, handle_closed);
        st->tcp = NULL;
    }
    uv_close((uv_handle_t *)&st->retry, handle_closed);
    uv_close((uv_handle_t *)&st->hb, handle_closed);
    uv_close((uv_handle_t *)&st->opack, handle_closed);
}

void node_station_stats(const node_station_t *st, node_station_stats_t *out)
{
    *out = st->st;
}

typedef struct missing_ctx {
    node_station_t         *st;
    node_station_missing_cb cb;
    void                   *ud;
    uint16_t               *buf;
    uint32_t                cap;
} missing_ctx_t;

static void missing_each_cb(void *ud, const node_sections_msg_t *m)
{
    missing_ctx_t *x = ud;
    uint32_t       n;
    if (x->cap < m->sections) {
        x->cap = m->sections;
        x->buf = sim_xrealloc(x->buf, x->cap * sizeof(*x->buf));
    }
    n = node_sections_missing(m, x->buf, x->cap);
    x->cb(x->ud, x->st, m->id, m->sections, x->buf, n);
}

uint32_t node_station_missing_sections(node_station_t *st, node_station_missing_cb cb, void *ud)
{
    missing_ctx_t x = {st, cb, ud, NULL, 0};
    uint32_t      n;
    if (!cb)
        return node_sections_open(st->sect);
    n = node_sections_each(st->sect, missing_each_cb, &x);
    free(x.buf);
    return n;
}

uint32_t node_station_pending_acks(const node_station_t *st)
{
    return st->pend_n;
}
