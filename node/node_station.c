/*
 * node_station.c - a station on libuv (see node_station.h). Handles: one
 * TCP connection at a time, a heartbeat/idle timer, a reconnect timer. The
 * unacknowledged cables live in a slot array indexed by csn % window (the
 * channel window keeps at most 'window' consecutive numbers in flight, and
 * the window divides 10000, so slots never collide).
 */
#include "node_station.h"
#include "cable_msgpack.h"
#include "link/link_chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST_READ_SIZE (64 * 1024)

typedef struct slot {
    char    *bytes;
    size_t   len;
    uint64_t cookie;
    uint8_t  prec; /* the cable's precedence, told to the router ("p") */
    bool     used;
} slot_t;

struct node_station {
    uv_loop_t         *loop;
    uv_tcp_t          *tcp;   /* current connection, NULL when none */
    uv_connect_t       creq;
    uv_timer_t         retry, hb;
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
};

static void st_connect(node_station_t *st);
static void send_again(node_station_t *st);
static void st_drop(node_station_t *st, const char *why);

static void write_cb(uv_write_t *req, int status);

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
    msgpack_sbuffer_clear(&st->sb);
    if (link_frame_encode(f, &st->sb) != 0)
        sim_panic("%s: cannot encode a %s frame", __func__, link_type_name(f->type));
    if (!st->tcp)
        return;
    if (st->out_len + st->sb.size > st->out_cap) {
        size_t cap = st->out_cap ? st->out_cap : 16384;
        while (cap < st->out_len + st->sb.size)
            cap *= 2;
        st->out = sim_xrealloc(st->out, cap);
        st->out_cap = cap;
    }
    memcpy(st->out + st->out_len, st->sb.data, st->sb.size);
    st->out_len += st->sb.size;
}

static void send_cable(node_station_t *st, int csn, bool repeat)
{
    slot_t      *s = &st->slots[(uint32_t)csn % st->window];
    link_frame_t f;
    link_frame_init(&f, LINK_T_CABLE);
    f.csn = csn;
    f.has_at = true;
    f.at = (sim_time_t)sim_wall_us(); /* a station's clock: real time (speed 1) */
    f.cable.c = sim_span(s->bytes, s->len);
    f.cable.prec = s->prec;
    f.cable.rpt = repeat;
    put_frame(st, &f);
}

/* --- receiving --------------------------------------------------------- */

static void on_cable(node_station_t *st, const link_frame_t *f)
{
    link_rx_info_t info;
    const char    *err = NULL;
    link_frame_t   ack;
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
    }
    if (!st->cbs.want_cable && f->cable.id.len && f->cable.id.len < 64) {
        /* The router names the cable: no need to decode it. The delivery is
         * keyed by the identity text and this station. */
        link_dupkey_t key;
        char          id[64];
        bool          dup;
        memcpy(id, f->cable.id.p, f->cable.id.len);
        id[f->cable.id.len] = '\0';
        memset(&key, 0, sizeof(key));
        key.origin_ri = f->cable.id;
        key.serial = -1;
        key.section = 1;
        key.dtg = INT64_MIN;
        key.addressee = sim_span_str(st->ri);
        dup = link_dedup_check(st->dedup, &key) == 1;
        if (dup)
            st->st.duplicates++;
        else
            st->st.received++;
        if (st->cbs.received)
            st->cbs.received(st->cbs.ud, st, NULL, id, f->has_at ? f->at : 0, dup);
    } else if (cable_msgpack_decode(&st->cable, f->cable.c.p, f->cable.c.len, &err) < 0) {
        link_frame_t svc;
        char         text[160];
        snprintf(text, sizeof(text), "GARBLED CSN %04d PLS RPT (%s)", f->csn, err ? err : "?");
        link_frame_init(&svc, LINK_T_SVC);
        svc.svc.code = LINK_SVC_GARBLED;
        svc.svc.text = sim_span_str(text);
        svc.svc.from = svc.svc.to = f->csn;
        put_frame(st, &svc);
        return; /* not acknowledged: the router repeats it */
    } else {
        link_dupkey_t key;
        char          id[64];
        bool          dup;
        if (f->cable.n_ids) {
            /* The copy's format line 2 (the RIs this link serves) travels in
             * the frame; the cable's bytes are the originator's. */
            st->cable.routing_indicators.v = (sim_span_t *)f->cable.ids;
            st->cable.routing_indicators.n = f->cable.n_ids;
            st->cable.routing_indicators.cap = f->cable.n_ids;
        }
        link_dupkey_of(&key, &st->cable, sim_span_str(st->ri));
        dup = link_dedup_check(st->dedup, &key) == 1;
        cable_id(&st->cable, id, sizeof(id));
        if (dup)
            st->st.duplicates++;
        else
            st->st.received++;
        if (st->cbs.received)
            st->cbs.received(st->cbs.ud, st, &st->cable, id, f->has_at ? f->at : 0, dup);
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
            free(s->bytes);
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
    if ((f->svc.code == LINK_SVC_GAP || f->svc.code == LINK_SVC_GARBLED ||
         f->svc.code == LINK_SVC_BUSY) &&
        f->svc.from >= 0) {
        int to = f->svc.to >= 0 ? f->svc.to : f->svc.from;
        int n = link_csn_dist(f->svc.from, to) + 1;
        for (int k = 0; k < n && k < (int)st->window; k++) {
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

static void on_frame(node_station_t *st, const char *payload, size_t len)
{
    link_frame_t f;
    const char  *err = NULL;
    msgpack_zone_clear(&st->zone);
    if (link_frame_decode(payload, len, &f, &st->zone, &err) < 0) {
        st_drop(st, err ? err : "bad frame");
        return;
    }
    switch (f.type) {
    case LINK_T_HELLO: on_hello(st, &f); break;
    case LINK_T_CABLE: on_cable(st, &f); break;
    case LINK_T_ACK: on_ack(st, &f); break;
    case LINK_T_SVC: on_svc(st, &f); break;
    case LINK_T_ABORT: link_rx_check(&st->chan_rx, f.csn, NULL); break;
    default: break;
    }
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
    flush(st);
}

/* --- connection life cycle --------------------------------------------- */

static void handle_closed(uv_handle_t *h)
{
    node_station_t *st = h->data;
    if (h != (uv_handle_t *)&st->retry && h != (uv_handle_t *)&st->hb)
        free(h);
    if (--st->handles == 0 && st->closing) {
        void (*done)(void *) = st->done;
        void *ud = st->done_ud;
        for (uint32_t i = 0; i < st->window; i++)
            free(st->slots[i].bytes);
        for (uint32_t i = 0; i < st->n_again; i++)
            free(st->again[i].bytes);
        free(st->slots);
        free(st->again);
        link_tx_destroy(&st->chan_tx);
        link_dedup_free(st->dedup);
        link_reader_destroy(&st->rd);
        msgpack_zone_destroy(&st->zone);
        msgpack_sbuffer_destroy(&st->sb);
        cable_destroy(&st->cable);
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
    if (st->n_again && st->up)
        send_again(st); /* repeats a busy router asked for */
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
    st->slots = sim_xcalloc(st->window, sizeof(*st->slots));
    st->again = sim_xcalloc(st->window, sizeof(*st->again));
    st->dedup = link_dedup_new(o->dedup ? o->dedup : 65536);
    link_reader_init(&st->rd, LINK_FRAME_MAX, ST_READ_SIZE);
    msgpack_zone_init(&st->zone, 4096);
    msgpack_sbuffer_init(&st->sb);
    cable_init(&st->cable);
    uv_timer_init(loop, &st->retry);
    uv_timer_init(loop, &st->hb);
    st->retry.data = st->hb.data = st;
    st->handles = 2;
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
    int     csn;
    slot_t *s;
    if (link_tx_send(&st->chan_tx, cookie, &csn) < 0)
        return SIM_EFULL;
    s = &st->slots[(uint32_t)csn % st->window];
    s->bytes = sim_xmalloc(len ? len : 1);
    memcpy(s->bytes, cable_mp, len);
    s->len = len;
    s->cookie = cookie;
    s->prec = (uint8_t)prec;
    s->used = true;
    st->st.sent++;
    if (st->up) {
        send_cable(st, csn, false);
        flush(st);
    }
    return 0;
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
    if (st->tcp) {
        uv_close((uv_handle_t *)st->tcp, handle_closed);
        st->tcp = NULL;
    }
    uv_close((uv_handle_t *)&st->retry, handle_closed);
    uv_close((uv_handle_t *)&st->hb, handle_closed);
}

void node_station_stats(const node_station_t *st, node_station_stats_t *out)
{
    *out = st->st;
}
