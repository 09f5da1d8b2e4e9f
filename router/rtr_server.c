/*
 * rtr_server.c - the router daemon on libuv (see rtr_server.h).
 *
 * Loop callbacks: accept (new connection), read (frames in, handed to the
 * core after the scheduler is brought to the clock's now), write (output
 * coalesced per connection: everything produced in one loop turn leaves in
 * one uv_write), check (once per loop turn: start a journal flush when the
 * core appended records, then flush outputs), work/after-work (the flush's
 * write + fdatasync on a worker thread; then the core acknowledges and
 * queues), timers (the scheduler's next event in wall time; heartbeats;
 * trunk redials). Connections are freed only in their last close callback.
 */
#include "rtr_server.h"
#include "rtr_server_int.h"
#include "link/link_frame.h"
#include "rtr_core.h"
#include "rtr_dlog.h"
#include "rtr_journal.h"

#include <errno.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b);
static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *b);
static void tick_arm(rtr_server_t *s);
static void handle_closed(uv_handle_t *h);

/* --- time ------------------------------------------------------------------ */

/* Bring the scheduler to the clock's now, running what fell due. */
static void advance(rtr_server_t *s)
{
    if (s->virt)
        return; /* virtual time moves only by rounds (rtr_server_vt.c) */
    sim_sched_run_until(&s->sched, sim_clock_now(&s->clock));
}

static void tick_cb(uv_timer_t *t)
{
    rtr_server_t *s = t->data;
    advance(s);
    tick_arm(s);
}

static void tick_arm(rtr_server_t *s)
{
    sim_time_t next = sim_sched_next(&s->sched);
    uint64_t   wall, now;
    if (next == SIM_TIME_NEVER || s->stopping || s->virt) {
        uv_timer_stop(&s->tick);
        return;
    }
    wall = sim_clock_wall_ns(&s->clock, next);
    now = s->clock.wall_ns();
    uv_timer_start(&s->tick, tick_cb, wall > now ? (wall - now + 999999) / 1000000 : 0, 0);
}

/* --- output ---------------------------------------------------------------- */

static void mark_dirty(conn_t *c)
{
    if (c->queued || c->closing)
        return;
    c->queued = true;
    c->next_dirty = c->srv->dirty;
    c->srv->dirty = c;
}

static void write_cb(uv_write_t *req, int status);

static void conn_flush(conn_t *c)
{
    uv_buf_t b;
    char    *t;
    size_t   tc;
    if (c->writing || !c->out_len || c->closing)
        return;
    /* Swap buffers: out becomes the one in flight. */
    t = c->wbuf;
    tc = c->w_cap;
    c->wbuf = c->out;
    c->w_cap = c->out_cap;
    c->w_len = c->out_len;
    c->out = t;
    c->out_cap = tc;
    c->out_len = 0;
    b = uv_buf_init(c->wbuf, (unsigned)c->w_len);
    c->writing = true;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, write_cb) < 0) {
        c->writing = false;
        srv_conn_close(c, "write failed");
    }
}

static void update_pressure(conn_t *c)
{
    rtr_server_t *s = c->srv;
    size_t        pending = c->out_len + (c->writing ? c->w_len : 0);
    if (!c->port)
        return;
    if (pending > s->o.out_max && !s->virt) {
        s->st.closed_slow++;
        srv_conn_close(c, "peer does not read: output over its limit");
        return;
    }
    /* In virtual time a transmission never waits for a socket: the
     * rounds bound what is written. */
    if (!s->virt)
        rtr_core_backpressure(s->core, c->port, pending > s->o.out_high);
}

static void write_cb(uv_write_t *req, int status)
{
    conn_t *c = SIM_CONTAINER_OF(req, conn_t, wreq);
    c->writing = false;
    if (status < 0) {
        srv_conn_close(c, uv_strerror(status));
        return;
    }
    advance(c->srv);
    update_pressure(c);
    conn_flush(c);
}

int srv_conn_put(conn_t *c, const char *buf, size_t len)
{
    if (c->closing)
        return -1;
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 16384;
        while (cap < c->out_len + len)
            cap *= 2;
        c->out = sim_xrealloc(c->out, cap);
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, buf, len);
    c->out_len += len;
    mark_dirty(c);
    return 0;
}

/* A service message on a connection, outside any port's link; 'ri' (may
 * be SIM_SPAN_NULL) names the routing indicator concerned. */
static void send_svc_ri(conn_t *c, link_svc_code_t code, const char *text, sim_span_t ri)
{
    link_frame_t    f;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    link_frame_init(&f, LINK_T_SVC);
    f.svc.code = code;
    f.svc.text = sim_span_str(text);
    f.svc.ri = ri;
    if (link_frame_encode(&f, &sb) == 0)
        srv_conn_put(c, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

void srv_send_svc_raw(conn_t *c, link_svc_code_t code, const char *text)
{
    send_svc_ri(c, code, text, SIM_SPAN_NULL);
}

/* --- the core's io ----------------------------------------------------- */

/* What follows a frame put on c's output. */
static void io_sent(conn_t *c)
{
    if (c->srv->virt)
        c->srv->party.sent++; /* every frame of the core carries a sim-time */
    if (c->out_len > c->srv->o.out_high)
        update_pressure(c);
}

static int io_send(void *ud, rtr_port_t *p, const char *buf, size_t len)
{
    conn_t *c = p->conn;
    (void)ud;
    if (!c)
        return -1;
    if (srv_conn_put(c, buf, len) < 0)
        return -1;
    io_sent(c);
    return 0;
}

/* The frame encoded at the end of c's output: a delivered cable is copied
 * once, not twice. */
static int io_send_frame(void *ud, rtr_port_t *p, const link_frame_t *f)
{
    conn_t *c = p->conn;
    (void)ud;
    if (!c || c->closing)
        return -1;
    if (link_frame_append(f, &c->out, &c->out_len, &c->out_cap) != 0)
        sim_panic("%s: cannot encode a %s frame", __func__, link_type_name(f->type));
    mark_dirty(c);
    io_sent(c);
    return 0;
}

static void io_want_flush(void *ud)
{
    rtr_server_t *s = ud;
    s->want_flush = true;
}

static void io_close_port(void *ud, rtr_port_t *p, const char *why)
{
    rtr_server_t *s = ud;
    s->st.closed_protocol++;
    if (p->conn)
        srv_conn_close(p->conn, why);
}

/* --- the journal's group commit --------------------------------------- */

static void flush_work(uv_work_t *w)
{
    rtr_server_t *s = w->data;
    s->batch_rc = rtr_journal_flush_io(s->batch);
}


static void flush_after(uv_work_t *w, int status)
{
    rtr_server_t *s = w->data;
    rtr_jid_t     upto = 0;
    int           rc = rtr_journal_flush_end(s->journal, s->batch, &upto);
    (void)status;
    s->batch = NULL;
    s->open_handles--;
    if (rc < 0) {
        /* Nothing of the batch is durable; the error is sticky in the
         * journal: nothing more will be acknowledged. Say it once. */
        fprintf(stderr, "router %s: journal write failed: %s; no more cables are accepted\n",
                s->me->name, sim_strerror(rc));
    } else {
        advance(s);
        rtr_core_durable(s->core, upto);
        tick_arm(s);
        srv_vt_pump(s);
    }
    if (s->want_flush)
        srv_start_flush(s);
    while (s->dirty) {
        conn_t *c = s->dirty;
        s->dirty = c->next_dirty;
        c->queued = false;
        conn_flush(c);
    }
    if (s->stopping && !s->batch && s->done && s->open_handles == 0) {
        void (*done)(void *) = s->done;
        s->done = NULL;
        done(s->done_ud);
    }
}

void srv_start_flush(rtr_server_t *s)
{
    if (s->batch || !s->want_flush)
        return;
    s->want_flush = false;
    if (rtr_journal_flush_begin(s->journal, &s->batch) < 0 || !s->batch) {
        s->batch = NULL;
        /* Nothing new to write. What waits for durability may still be
         * due: a repeat of a cable already in custody waits for everything
         * appended before it, which is durable already; with no other
         * traffic no flush would ever come to acknowledge it. */
        advance(s);
        rtr_core_durable(s->core, rtr_journal_durable(s->journal));
        return;
    }
    s->work.data = s;
    s->open_handles++;
    uv_queue_work(s->loop, &s->work, flush_work, flush_after);
}

/* Staged frame: [conn_t *][u32 len][payload]. */
/* Staged frame: [conn_t *][u32 len][len bytes: i32 csn, u16 n_ids, each id
 * as u16 length + bytes, then the cable's bytes] -- what the core takes from
 * a CABLE frame, so the frame is decoded once, when it arrives. */
static void stage(rtr_server_t *s, conn_t *c, const link_frame_t *f)
{
    int            prec = f->cable.prec ? f->cable.prec : CABLE_PREC_R;
    struct staged *st = &s->staged[rtr_level((cable_prec_t)prec)];
    size_t         body = sizeof(int32_t) + sizeof(uint16_t) + f->cable.c.len, need, o;
    uint16_t       n_ids = (uint16_t)SIM_MIN(f->cable.n_ids, 65535u);
    uint32_t       l32;
    int32_t        csn = f->csn;
    for (uint32_t i = 0; i < n_ids; i++)
        body += sizeof(uint16_t) + SIM_MIN(f->cable.ids[i].len, 65535u);
    need = sizeof(conn_t *) + sizeof(uint32_t) + body;
    if (st->len + need > st->cap) {
        st->cap = SIM_MAX(st->cap * 2, st->len + need + 65536);
        st->buf = sim_xrealloc(st->buf, st->cap);
    }
    l32 = (uint32_t)body;
    o = st->len;
    memcpy(st->buf + o, &c, sizeof(c));
    o += sizeof(c);
    memcpy(st->buf + o, &l32, sizeof(l32));
    o += sizeof(l32);
    memcpy(st->buf + o, &csn, sizeof(csn));
    o += sizeof(csn);
    memcpy(st->buf + o, &n_ids, sizeof(n_ids));
    o += sizeof(n_ids);
    for (uint32_t i = 0; i < n_ids; i++) {
        uint16_t il = (uint16_t)SIM_MIN(f->cable.ids[i].len, 65535u);
        memcpy(st->buf + o, &il, sizeof(il));
        o += sizeof(il);
        memcpy(st->buf + o, f->cable.ids[i].p, il);
        o += il;
    }
    memcpy(st->buf + o, f->cable.c.p, f->cable.c.len);
    st->len += need;
    s->n_staged++;
    if (++c->staged >= SRV_STAGED_PER_CONN && !c->read_stopped) {
        c->read_stopped = true;
        uv_read_stop((uv_stream_t *)&c->tcp);
    }
}

/* Rebuilds the CABLE frame of a staged entry (spans into the staging
 * buffer; ids into s->ids, valid until the next call). */
static void unstage_frame(rtr_server_t *s, const char *p, uint32_t len, link_frame_t *f)
{
    const char *e = p + len;
    int32_t     csn;
    uint16_t    n_ids;
    link_frame_init(f, LINK_T_CABLE);
    memcpy(&csn, p, sizeof(csn));
    p += sizeof(csn);
    memcpy(&n_ids, p, sizeof(n_ids));
    p += sizeof(n_ids);
    if (n_ids > s->ids_cap) {
        s->ids_cap = n_ids;
        s->ids = sim_xrealloc(s->ids, s->ids_cap * sizeof(*s->ids));
    }
    for (uint16_t i = 0; i < n_ids; i++) {
        uint16_t il;
        memcpy(&il, p, sizeof(il));
        p += sizeof(il);
        s->ids[i] = sim_span(p, il);
        p += il;
    }
    f->csn = csn;
    f->cable.ids = n_ids ? s->ids : NULL;
    f->cable.n_ids = n_ids;
    f->cable.c = sim_span(p, (size_t)(e - p));
}

static void idle_cb(uv_idle_t *h)
{
    (void)h; /* its only purpose: poll without blocking while work waits */
}

/* Takes staged cables into custody, highest precedence first, at most
 * SRV_TAKE_BUDGET per loop turn: a FLASH read while a burst of ROUTINE waits
 * goes ahead of all of it, and the turn stays short so that it is read
 * soon. What is left waits for the next turn (the loop does not block
 * meanwhile). */
#define SRV_TAKE_BUDGET 256

static void take_staged(rtr_server_t *s)
{
    unsigned taken = 0;
    if (!s->n_staged)
        return;
    for (int l = 0; l < 5 && taken < SRV_TAKE_BUDGET; l++) {
        struct staged *st = &s->staged[l];
        while (st->head < st->len && taken < SRV_TAKE_BUDGET) {
            conn_t      *c;
            uint32_t     len;
            link_frame_t f;
            const char  *payload;
            memcpy(&c, st->buf + st->head, sizeof(c));
            memcpy(&len, st->buf + st->head + sizeof(c), sizeof(len));
            payload = st->buf + st->head + sizeof(c) + sizeof(len);
            /* Past the whole entry before the take: it may close c, and
             * unstage_conn must then walk whole entries. */
            st->head += sizeof(c) + sizeof(len) + len;
            s->n_staged--;
            taken++;
            if (!c)
                continue; /* its connection closed: not acknowledged, it comes again */
            c->staged--;
            if (c->read_stopped && c->staged <= SRV_STAGED_PER_CONN / 2 && !c->closing) {
                c->read_stopped = false;
                uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
            }
            if (!c->closing && c->port && c->port->conn == c) {
                unstage_frame(s, payload, len, &f);
                rtr_core_cable_take(s->core, c->port, &f);
            }
        }
        if (st->head == st->len)
            st->head = st->len = 0;
        else if (st->head > st->cap / 2) {
            memmove(st->buf, st->buf + st->head, st->len - st->head);
            st->len -= st->head;
            st->head = 0;
        }
    }
    if (s->n_staged)
        uv_idle_start(&s->idle, idle_cb);
    else
        uv_idle_stop(&s->idle);
}

/* Staged frames of a closing connection must not be taken after it is freed. */
static void unstage_conn(rtr_server_t *s, conn_t *c)
{
    for (int l = 0; l < 5; l++) {
        struct staged *st = &s->staged[l];
        size_t         off = st->head;
        while (off < st->len) {
            conn_t  *sc;
            uint32_t len;
            memcpy(&sc, st->buf + off, sizeof(sc));
            memcpy(&len, st->buf + off + sizeof(sc), sizeof(len));
            if (sc == c) {
                sc = NULL;
                memcpy(st->buf + off, &sc, sizeof(sc));
            }
            off += sizeof(sc) + sizeof(len) + len;
        }
    }
}

static void check_cb(uv_check_t *h)
{
    rtr_server_t *s = h->data;
    advance(s);
    take_staged(s);
    srv_start_flush(s);
    srv_vt_pump(s);
    while (s->dirty) {
        conn_t *c = s->dirty;
        s->dirty = c->next_dirty;
        c->queued = false;
        conn_flush(c);
    }
    tick_arm(s);
}

/* --- connections ----------------------------------------------------------- */

static void conn_unlink(conn_t *c)
{
    rtr_server_t *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else if (s->conns == c)
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    for (conn_t **p = &s->dirty; *p; p = &(*p)->next_dirty)
        if (*p == c) {
            *p = c->next_dirty;
            break;
        }
    c->next = c->prev = NULL;
}

static void dialer_schedule(dialer_t *d);

static void conn_closed(uv_handle_t *h)
{
    conn_t       *c = h->data;
    rtr_server_t *s = c->srv;
    if (--c->handles > 0)
        return;
    link_reader_destroy(&c->rd);
    msgpack_zone_destroy(&c->zone);
    free(c->out);
    free(c->wbuf);
    free(c);
    s->open_handles--;
    if (s->stopping && s->open_handles == 0 && !s->batch && s->done) {
        void (*done)(void *) = s->done;
        s->done = NULL;
        done(s->done_ud);
    }
}

void srv_conn_close(conn_t *c, const char *why)
{
    rtr_server_t *s = c->srv;
    if (c->closing)
        return;
    /* Let a last service message out if the socket takes it at once.
     * A write of ours may still await its callback although the socket
     * took all of it (libuv runs write callbacks on the next loop turn,
     * after the timers): uv_try_write itself refuses while anything is
     * still queued, so the order of the bytes is kept either way. */
    if (c->out_len) {
        uv_buf_t b = uv_buf_init(c->out, (unsigned)c->out_len);
        uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    }
    if (c->port && c->port->conn == c && !s->stopping && s->virt && !s->party.ended)
        fprintf(stderr, "router %s: link %s closed: %s\n", s->me->name, c->port->name,
                why ? why : "?");
    c->closing = true;
    unstage_conn(s, c);
    srv_vt_conn_closed(s, c);
    if (c->port && c->port->conn == c)
        rtr_core_detach(s->core, c->port);
    if (c->dialer) {
        c->dialer->conn = NULL;
        if (!s->stopping)
            dialer_schedule(c->dialer);
        c->dialer = NULL;
    }
    (void)why;
    conn_unlink(c);
    s->n_conns--;
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
    uv_close((uv_handle_t *)&c->hb, conn_closed);
}

static void hb_cb(uv_timer_t *t)
{
    conn_t       *c = t->data;
    rtr_server_t *s = c->srv;
    uint64_t      now = uv_now(s->loop);
    uint64_t      hb = s->o.heartbeat_ms;
    /* Silence is measured against the peer's own interval (PROTOCOL.md
     * 7.2) when it announced a longer one than ours: a station keeping a
     * 2 s heartbeat is not half-open to a router that beats every 100 ms. */
    if (c->peer_hb_ms > hb)
        hb = SIM_MIN(c->peer_hb_ms, SRV_PEER_HB_MAX_MS);
    if (now - c->last_in_ms > 3 * hb) {
        s->st.closed_idle++;
        srv_send_svc_raw(c, LINK_SVC_PROTOCOL, "NO HEARTBEAT, CIRCUIT CLOSED");
        srv_conn_close(c, "heartbeat timeout");
        return;
    }
    if (c->hello_done) {
        link_frame_t    f;
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        link_frame_init(&f, LINK_T_HEARTBEAT);
        if (link_frame_encode(&f, &sb) == 0)
            srv_conn_put(c, sb.data, sb.size);
        msgpack_sbuffer_destroy(&sb);
    }
}

/* A HELLO: bind the connection to its port. */
static int on_hello(conn_t *c, const link_frame_t *f)
{
    rtr_server_t   *s = c->srv;
    rtr_port_t     *p = NULL;
    msgpack_sbuffer sb;
    int             peer_rx = -1;
    char            text[160];
    if (f->hello.role == LINK_ROLE_CLOCK)
        return srv_vt_clock_hello(s, c, f);
    if (f->hello.role == LINK_ROLE_ROUTER) {
        p = rtr_core_port_for(s->core, LINK_ROLE_ROUTER, f->hello.name);
        if (f->hello.n_links)
            peer_rx = f->hello.links[0].last_rx;
        if (!p) {
            snprintf(text, sizeof(text), "ROUTER %.*s IS NO NEIGHBOUR OF %s",
                     (int)SIM_MIN(f->hello.name.len, 40u), f->hello.name.p, s->me->name);
            srv_send_svc_raw(c, LINK_SVC_IMPERSONATION, text);
            return -1;
        }
    } else if (f->hello.role == LINK_ROLE_STATION && f->hello.n_links == 1) {
        p = rtr_core_port_for(s->core, LINK_ROLE_STATION, f->hello.links[0].ln);
        peer_rx = f->hello.links[0].last_rx;
        if (!p) {
            /* PROTOCOL.md 5.2: a claim the router cannot accept. */
            sim_span_t ri = f->hello.links[0].ln;
            if (ri.len > 16)
                ri.len = 16; /* only a name this short can be an RI */
            snprintf(text, sizeof(text), "%.*s NOT HOMED HERE", (int)ri.len, ri.p ? ri.p : "");
            send_svc_ri(c, LINK_SVC_IMPERSONATION, text, ri);
            return -1;
        }
    } else {
        srv_send_svc_raw(c, LINK_SVC_PROTOCOL, "HELLO: ROLE NOT SERVED HERE");
        return -1;
    }
    if (p->conn && p->conn != c) {
        /* The station reconnected: the newer connection takes the link. */
        conn_t *old = p->conn;
        srv_send_svc_raw(old, LINK_SVC_IMPERSONATION, "LINK TAKEN BY A NEWER CONNECTION");
        srv_conn_close(old, "replaced");
    }
    c->port = p;
    c->hello_done = true;
    c->peer_hb_ms = f->hello.hb_ms;
    if (!c->dialer) {
        msgpack_sbuffer_init(&sb);
        rtr_core_hello(s->core, p, &sb);
        srv_conn_put(c, sb.data, sb.size);
        msgpack_sbuffer_destroy(&sb);
    }
    rtr_core_attach(s->core, p, c, peer_rx);
    return 0;
}

static void on_frame(conn_t *c, const char *payload, size_t len)
{
    rtr_server_t *s = c->srv;
    link_frame_t  f;
    const char   *err = NULL;
    int           rc;
    msgpack_zone_clear(&c->zone);
    rc = link_frame_decode(payload, len, &f, &c->zone, &err);
    if (rc < 0) {
        char text[200];
        snprintf(text, sizeof(text), "FRAME UNREADABLE (%s), CIRCUIT CLOSED", err ? err : "?");
        s->st.closed_protocol++;
        srv_send_svc_raw(c, rc == SIM_EVERSION ? LINK_SVC_VERSION : LINK_SVC_PROTOCOL, text);
        srv_conn_close(c, text);
        return;
    }
    if (c->is_clock && c == s->clock_conn) {
        /* Our connection to the time keeper. */
        if (f.type == LINK_T_HELLO) {
            c->hello_done = true;
            c->peer_hb_ms = f.hello.hb_ms;
            srv_vt_pump(s);
        } else {
            srv_vt_clock_frame(s, c, &f);
        }
        return;
    }
    if (!c->hello_done) {
        if (f.type != LINK_T_HELLO) {
            s->st.closed_protocol++;
            srv_send_svc_raw(c, LINK_SVC_PROTOCOL, "HELLO FIRST, CIRCUIT CLOSED");
            srv_conn_close(c, "no hello");
            return;
        }
        if (on_hello(c, &f) < 0) {
            s->st.closed_protocol++;
            srv_conn_close(c, "hello refused");
        }
        return;
    }
    if (f.type == LINK_T_HELLO) {
        s->st.closed_protocol++;
        srv_send_svc_raw(c, LINK_SVC_PROTOCOL, "SECOND HELLO, CIRCUIT CLOSED");
        srv_conn_close(c, "second hello");
        return;
    }
    if (c->is_clock) {
        srv_vt_clock_frame(s, c, &f);
        return;
    }
    if (s->virt && rtr_sync_counted(f.type, f.has_at)) {
        srv_vt_port_frame(s, c, &f, payload, len);
        return;
    }
    if (f.type == LINK_T_CABLE) {
        rtr_core_cable_arrived(s->core, c->port, &f);
        stage(s, c, &f);
        return;
    }
    rtr_core_frame(s->core, c->port, &f);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    conn_t *c = h->data;
    size_t  room;
    char   *p = link_reader_space(&c->rd, &room);
    (void)hint;
    *b = uv_buf_init(p, p ? (unsigned)room : 0);
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
    conn_t       *c = st->data;
    rtr_server_t *s = c->srv;
    const char   *payload;
    size_t        len;
    int           rc;
    (void)b;
    if (nread < 0) {
        srv_conn_close(c, uv_strerror((int)nread));
        return;
    }
    if (nread == 0)
        return;
    c->last_in_ms = uv_now(s->loop);
    link_reader_commit(&c->rd, (size_t)nread);
    advance(s);
    while (!c->closing && (rc = link_reader_next(&c->rd, &payload, &len)) == 0)
        on_frame(c, payload, len);
    if (!c->closing && rc < 0) {
        s->st.closed_protocol++;
        srv_send_svc_raw(c, rc == SIM_ETOOBIG ? LINK_SVC_TOO_BIG : LINK_SVC_PROTOCOL,
                     rc == SIM_ETOOBIG ? "FRAME OVER THE SIZE LIMIT, CIRCUIT CLOSED"
                                       : "STREAM UNREADABLE, CIRCUIT CLOSED");
        srv_conn_close(c, "bad stream");
    }
}

conn_t *srv_conn_new(rtr_server_t *s)
{
    conn_t *c = sim_xcalloc(1, sizeof(*c));
    c->srv = s;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->hb);
    c->tcp.data = c;
    c->hb.data = c;
    c->handles = 2;
    c->clock_party = -1;
    s->open_handles++;
    link_reader_init(&c->rd, s->o.max_frame, SRV_READ_SIZE);
    msgpack_zone_init(&c->zone, 4096);
    c->last_in_ms = uv_now(s->loop);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->n_conns++;
    s->st.connections++;
    return c;
}

void srv_conn_start(conn_t *c)
{
    uv_tcp_nodelay(&c->tcp, 1);
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
    uv_timer_start(&c->hb, hb_cb, c->srv->o.heartbeat_ms, c->srv->o.heartbeat_ms);
}

static void accept_cb(uv_stream_t *l, int status)
{
    rtr_server_t *s = l->data;
    conn_t       *c;
    if (status < 0 || s->stopping)
        return;
    c = srv_conn_new(s);
    if (uv_accept(l, (uv_stream_t *)&c->tcp) != 0) {
        srv_conn_close(c, "accept failed");
        return;
    }
    if (s->n_conns > s->o.max_conns) {
        s->st.refused++;
        srv_send_svc_raw(c, LINK_SVC_BUSY, "TOO MANY CIRCUITS, TRY LATER");
        srv_conn_close(c, "too many connections");
        return;
    }
    srv_conn_start(c);
}

/* --- trunks this router dials -------------------------------------------- */

static void dial(dialer_t *d);

static void retry_cb(uv_timer_t *t)
{
    dial(t->data);
}

static void dialer_schedule(dialer_t *d)
{
    d->backoff_ms = d->backoff_ms ? SIM_MIN(d->backoff_ms * 2, 5000u) : 100;
    uv_timer_start(&d->retry, retry_cb, d->backoff_ms, 0);
}

static void connect_cb(uv_connect_t *req, int status)
{
    dialer_t       *d = SIM_CONTAINER_OF(req, dialer_t, creq);
    conn_t         *c = req->handle->data;
    rtr_server_t   *s = d->srv;
    msgpack_sbuffer sb;
    d->connecting = false;
    if (status < 0 || s->stopping) {
        c->dialer = NULL;
        srv_conn_close(c, "connect failed");
        if (!s->stopping)
            dialer_schedule(d);
        return;
    }
    d->backoff_ms = 0;
    d->conn = c;
    c->dialer = d;
    c->port = rtr_core_port(s->core, d->port_idx);
    msgpack_sbuffer_init(&sb);
    rtr_core_hello(s->core, c->port, &sb);
    srv_conn_put(c, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    c->port = NULL; /* bound when the peer's HELLO comes */
    srv_conn_start(c);
}

static void dial(dialer_t *d)
{
    rtr_server_t      *s = d->srv;
    rtr_port_t        *p = rtr_core_port(s->core, d->port_idx);
    const net_router_t *peer = &s->o.net->routers[p->hop.router];
    struct sockaddr_in addr;
    conn_t            *c;
    if (s->stopping || d->connecting || d->conn)
        return;
    if (uv_ip4_addr(peer->listen_host, peer->listen_port, &addr) != 0) {
        dialer_schedule(d);
        return;
    }
    c = srv_conn_new(s);
    c->dialer = d;
    d->connecting = true;
    if (uv_tcp_connect(&d->creq, &c->tcp, (const struct sockaddr *)&addr, connect_cb) != 0) {
        d->connecting = false;
        c->dialer = NULL;
        srv_conn_close(c, "connect failed");
        dialer_schedule(d);
    }
}

/* --- life cycle ------------------------------------------------------------ */

static int parse_listen(const char *spec, char *host, size_t hl, int *port)
{
    const char *colon = strrchr(spec, ':');
    char       *end;
    long        v;
    if (!colon || colon == spec || (size_t)(colon - spec) >= hl)
        return -1;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    v = strtol(colon + 1, &end, 10);
    if (*end || v < 0 || v > 65535)
        return -1;
    *port = (int)v;
    return 0;
}

int rtr_server_start(rtr_server_t **out, uv_loop_t *loop, const rtr_server_opts_t *o, char *err,
                     size_t errlen)
{
    rtr_server_t        *s = sim_xcalloc(1, sizeof(*s));
    rtr_journal_report_t rep;
    rtr_journal_opts_t   jo;
    rtr_core_opts_t      co;
    rtr_core_io_t        io = {NULL, io_send, io_want_flush, io_close_port, io_send_frame};
    struct sockaddr_in   addr;
    size_t               restored = 0;
    int                  rc;

    s->loop = loop;
    s->o = *o;
    if (!s->o.max_conns) {
        /* A flood cap, not a capacity limit: as many as the process may
         * open (a host of 10,000 stations on one router is fine). */
        struct rlimit rl;
        s->o.max_conns = 4096;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
            rl.rlim_cur > 4096 + 64)
            s->o.max_conns = (uint32_t)SIM_MIN(rl.rlim_cur - 64, (rlim_t)UINT32_MAX);
    }
    if (!s->o.heartbeat_ms)
        s->o.heartbeat_ms = 2000;
    if (!s->o.max_frame)
        s->o.max_frame = LINK_FRAME_MAX;
    if (!s->o.out_high)
        s->o.out_high = 256 * 1024;
    if (!s->o.out_max)
        s->o.out_max = 64u << 20;
    if (s->o.speed <= 0)
        s->o.speed = 1.0;
    s->me = &o->net->routers[o->router];
    if (parse_listen(o->listen ? o->listen : "", s->host, sizeof(s->host), &s->port) < 0) {
        snprintf(s->host, sizeof(s->host), "%s", s->me->listen_host);
        s->port = s->me->listen_port;
        if (o->listen) {
            snprintf(err, errlen, "bad listen address '%s' (HOST:PORT)", o->listen);
            free(s);
            return SIM_EUSAGE;
        }
    }
    /* Virtual time starts before any DTG (the corpus reaches back to the
     * 1960s, before 1970) and moves only by rounds. */
    sim_clock_init(&s->clock, o->asap ? SIM_CLOCK_VIRTUAL : SIM_CLOCK_SCALED, s->o.speed,
                   o->start ? o->start : o->asap ? INT64_MIN / 4 : (sim_time_t)sim_wall_us());
    if (!o->asap && o->wall_start_us)
        sim_clock_anchor(&s->clock, o->wall_start_us);
    sim_sched_init(&s->sched, s->clock.t0);

    memset(&jo, 0, sizeof(jo));
    jo.prealloc = o->prealloc;
    memset(&rep, 0, sizeof(rep));
    rc = rtr_journal_open(&s->journal, o->journal_dir, &jo, &rep);
    for (size_t i = 0; i < rep.n_cuts; i++)
        fprintf(stderr,
                "router %s: journal %s: segment %08u cut at offset %llu (%llu bytes: %s)\n",
                s->me->name, o->journal_dir, rep.cuts[i].segment,
                (unsigned long long)rep.cuts[i].offset, (unsigned long long)rep.cuts[i].bytes,
                rtr_journal_cut_str(rep.cuts[i].why));
    rtr_journal_report_destroy(&rep);
    if (rc < 0) {
        snprintf(err, errlen, "journal %s: %s", o->journal_dir,
                 rc == -EBUSY ? "in use by another router process" : sim_strerror(rc));
        sim_sched_destroy(&s->sched);
        free(s);
        return rc;
    }
    if (o->log_dir) {
        s->dlog = rtr_dlog_open(o->log_dir, s->me->name, &rc);
        if (!s->dlog) {
            snprintf(err, errlen, "delivery log %s: %s", o->log_dir, sim_strerror(rc));
            rtr_journal_close(s->journal);
            sim_sched_destroy(&s->sched);
            free(s);
            return rc;
        }
    }
    io.ud = s;
    memset(&co, 0, sizeof(co));
    co.net = o->net;
    co.router = o->router;
    co.journal = s->journal;
    co.dlog = s->dlog;
    co.sched = &s->sched;
    co.no_link_model = o->no_link_model;
    co.window = o->window;
    co.virtual_time = o->asap;
    rc = rtr_core_new(&s->core, &co, &io, err, errlen);
    if (rc == 0)
        rc = rtr_core_recover(s->core, &restored, err, errlen);
    if (rc < 0) {
        rtr_core_free(s->core);
        rtr_dlog_close(s->dlog);
        rtr_journal_close(s->journal);
        sim_sched_destroy(&s->sched);
        free(s);
        return rc;
    }
    if (restored)
        fprintf(stderr, "router %s: %zu cable copies restored from the journal\n", s->me->name,
                restored);
    {
        rtr_core_stats_t cs;
        rtr_core_stats(s->core, &cs);
        if (cs.unrestorable)
            fprintf(stderr,
                    "router %s: %llu journaled copies are for links this network no longer has "
                    "or cannot be read; they stay in the journal\n",
                    s->me->name, (unsigned long long)cs.unrestorable);
    }

    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    s->open_handles++;
    if ((rc = uv_ip4_addr(s->host, s->port, &addr)) != 0 ||
        (rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&s->listener, 1024, accept_cb)) != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", s->host, s->port, uv_strerror(rc));
        uv_close((uv_handle_t *)&s->listener, NULL);
        uv_run(loop, UV_RUN_NOWAIT);
        rtr_core_free(s->core);
        rtr_dlog_close(s->dlog);
        rtr_journal_close(s->journal);
        sim_sched_destroy(&s->sched);
        free(s);
        return rc == UV_EADDRINUSE ? -EADDRINUSE : SIM_EIO;
    }
    {
        struct sockaddr_storage ss;
        int                     len = sizeof(ss);
        if (uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len) == 0)
            s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    uv_check_init(loop, &s->check);
    s->check.data = s;
    uv_check_start(&s->check, check_cb);
    uv_timer_init(loop, &s->tick);
    s->tick.data = s;
    uv_idle_init(loop, &s->idle);
    s->idle.data = s;
    s->open_handles += 3;

    srv_vt_init(s);
    /* Dial the trunks whose other end has the greater name. */
    s->dialers = sim_xcalloc(rtr_core_n_ports(s->core) + 1, sizeof(*s->dialers));
    for (uint32_t i = 0; i < rtr_core_n_ports(s->core); i++) {
        rtr_port_t *p = rtr_core_port(s->core, i);
        dialer_t   *d;
        if (p->hop.kind != RTR_HOP_TRUNK || strcmp(s->me->name, p->peer) > 0)
            continue;
        d = &s->dialers[s->n_dialers++];
        d->srv = s;
        d->port_idx = i;
        uv_timer_init(loop, &d->retry);
        d->retry.data = d;
        s->open_handles++;
        dial(d);
    }
    *out = s;
    return 0;
}

void rtr_server_clock_anchor(rtr_server_t *s, int64_t real_us)
{
    if (s->clock.mode != SIM_CLOCK_SCALED)
        return;
    sim_clock_anchor(&s->clock, real_us);
    tick_arm(s); /* the next event's wall time moved */
}

void rtr_server_address(const rtr_server_t *s, char *buf, size_t size)
{
    snprintf(buf, size, "%s:%d", s->host, s->port);
}

void srv_handle_closed(uv_handle_t *h)
{
    rtr_server_t *s = h->data;
    s->open_handles--;
    if (s->stopping && s->open_handles == 0 && !s->batch && s->done) {
        void (*done)(void *) = s->done;
        s->done = NULL;
        done(s->done_ud);
    }
}

static void handle_closed(uv_handle_t *h)
{
    srv_handle_closed(h);
}

void rtr_server_stop(rtr_server_t *s, void (*done)(void *ud), void *ud)
{
    if (s->stopping)
        return;
    s->stopping = true;
    s->done = done;
    s->done_ud = ud;
    s->listener.data = s;
    uv_close((uv_handle_t *)&s->listener, handle_closed);
    uv_check_stop(&s->check);
    s->check.data = s;
    uv_close((uv_handle_t *)&s->check, handle_closed);
    uv_timer_stop(&s->tick);
    uv_close((uv_handle_t *)&s->tick, handle_closed);
    uv_idle_stop(&s->idle);
    uv_close((uv_handle_t *)&s->idle, handle_closed);
    for (uint32_t i = 0; i < s->n_dialers; i++) {
        s->dialers[i].retry.data = s;
        uv_close((uv_handle_t *)&s->dialers[i].retry, handle_closed);
    }
    srv_vt_stop(s);
    while (s->conns)
        srv_conn_close(s->conns, "shutting down");
    /* What was appended but not yet flushed is made durable now; its senders
     * get no acknowledgement and will send again (suppressed by identity). */
    if (!s->batch)
        rtr_journal_sync(s->journal, NULL);
    if (s->dlog)
        rtr_dlog_flush(s->dlog);
}

void rtr_server_free(rtr_server_t *s)
{
    if (!s)
        return;
    /* rtr_server_stop waited for any batch in flight (its 'done' comes after
     * the worker finished), so what is left was never handed out. */
    if (!s->batch)
        rtr_journal_sync(s->journal, NULL);
    srv_vt_destroy(s);
    rtr_core_free(s->core);
    rtr_dlog_close(s->dlog);
    rtr_journal_close(s->journal);
    sim_sched_destroy(&s->sched);
    for (int l = 0; l < 5; l++)
        free(s->staged[l].buf);
    free(s->ids);
    free(s->dialers);
    free(s);
}

void rtr_server_stats(const rtr_server_t *s, rtr_server_stats_t *st)
{
    rtr_core_stats_t    cs;
    rtr_journal_stats_t js;
    *st = s->st;
    rtr_core_stats(s->core, &cs);
    rtr_journal_stats(s->journal, &js);
    st->accepted = cs.accepted;
    st->delivered_copies = cs.delivered_copies;
    st->duplicates = cs.duplicates;
    st->queued = cs.queued_now;
    st->pending = cs.pending_cables;
    st->fdatasyncs = js.fdatasyncs;
    st->time_reports = s->party.reports;
}
