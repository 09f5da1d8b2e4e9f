/*
 * test_node_station.c - a real node_station against a tiny router of the
 * test on loopback (libuv, one connection: it answers the station's HELLO,
 * sends CABLE and SVC frames, and records the ACK and SVC frames it gets).
 * Covered: the received log read back (received, delivered, ZFD duplicate
 * still acknowledged on the link, gap with its service message, service
 * messages), the operator's acknowledgements (FLASH, EMERGENCY COMMAND and
 * NIACT at once, ROUTINE and PRIORITY after the operator delay in scaled
 * sim-time, exact to the microsecond; pending ones cancelled by close),
 * section reassembly out of order, missing sections reported, eviction.
 *
 * Nothing sleeps: the loop runs until a condition holds, under a watchdog
 * timer that fails the test after a few seconds of wall time. Every test
 * ends with the station closed and uv_loop_close() == 0.
 */
#include "testutil.h"
#include "cable_msgpack.h"
#include "link/link_frame.h"
#include "node_station.h"
#include "rtr_dlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define RI "RUEHLO"
#define T0 ((sim_time_t)1178542920 * SIM_USEC_PER_SEC) /* 071302Z MAY 07 */
#define MAX_SEEN 64

/* --- the test's router ------------------------------------------------- */

typedef struct fake_rtr {
    uv_tcp_t      server;
    uv_tcp_t     *conn; /* the station's connection; freed in its close callback */
    int           port;
    link_reader_t rd;
    msgpack_zone  zone;
    bool          hello; /* the station said HELLO and was answered */
    int           acks[MAX_SEEN];
    uint32_t      n_acks;
    int           svc_code[MAX_SEEN], svc_from[MAX_SEEN], svc_to[MAX_SEEN];
    uint32_t      n_svc;
    int           handles;
} fake_rtr_t;

/* The test's state: one loop, one router, one station, one received log. */
typedef struct fx {
    uv_loop_t       loop;
    uv_timer_t      watchdog;
    bool            timed_out;
    fake_rtr_t      rtr;
    node_station_t *st;
    bool            st_closed;
    char            dir[64];
    rtr_dlog_t     *dlog;
    uint64_t        h0;    /* uv_hrtime at the start */
    double          speed; /* of the test's clock */
    /* Operator acknowledgements seen. */
    char       ack_id[MAX_SEEN][64];
    sim_time_t ack_rx[MAX_SEEN], ack_at[MAX_SEEN], ack_clock[MAX_SEEN];
    uint32_t   n_opacks;
    uint32_t   n_received, n_dups, n_services;
} fx_t;

static void write_done_cb(uv_write_t *req, int status)
{
    (void)status;
    free(req->data);
    free(req);
}

static void rtr_send(fake_rtr_t *r, const link_frame_t *f)
{
    msgpack_sbuffer sb;
    uv_write_t     *req = malloc(sizeof(*req));
    uv_buf_t        b;
    assert_non_null(req);
    assert_non_null(r->conn);
    msgpack_sbuffer_init(&sb);
    assert_int_equal(link_frame_encode(f, &sb), 0);
    req->data = sb.data; /* freed when the write is done */
    b = uv_buf_init(sb.data, (unsigned)sb.size);
    assert_int_equal(uv_write(req, (uv_stream_t *)r->conn, &b, 1, write_done_cb), 0);
}

static void rtr_frame(fake_rtr_t *r, const char *payload, size_t len)
{
    link_frame_t f;
    msgpack_zone_clear(&r->zone);
    assert_int_equal(link_frame_decode(payload, len, &f, &r->zone, NULL), 0);
    if (f.type == LINK_T_HELLO) {
        link_frame_t      h;
        link_hello_link_t l = {sim_span_str(RI), -1};
        assert_int_equal(f.hello.role, LINK_ROLE_STATION);
        assert_int_equal(f.hello.n_links, 1);
        link_frame_init(&h, LINK_T_HELLO);
        h.hello.role = LINK_ROLE_ROUTER;
        h.hello.name = sim_span_str("RTR-TEST");
        h.hello.links = &l;
        h.hello.n_links = 1;
        rtr_send(r, &h);
        r->hello = true;
    } else if (f.type == LINK_T_ACK) {
        uint32_t n = f.ack.n ? f.ack.n : 1;
        for (uint32_t k = 0; k < n && r->n_acks < MAX_SEEN; k++)
            r->acks[r->n_acks++] = (f.csn + (int)k) % LINK_CSN_MOD;
    } else if (f.type == LINK_T_SVC && r->n_svc < MAX_SEEN) {
        r->svc_code[r->n_svc] = f.svc.code;
        r->svc_from[r->n_svc] = f.svc.from;
        r->svc_to[r->n_svc] = f.svc.to;
        r->n_svc++;
    }
}

static void rtr_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    fake_rtr_t *r = h->data;
    size_t      room;
    char       *p = link_reader_space(&r->rd, &room);
    (void)hint;
    *b = uv_buf_init(p, p ? (unsigned)room : 0);
}

static void rtr_handle_closed(uv_handle_t *h)
{
    fake_rtr_t *r = h->data;
    if (h != (uv_handle_t *)&r->server)
        free(h);
    r->handles--;
}

static void rtr_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    fake_rtr_t *r = s->data;
    const char *payload;
    size_t      len;
    (void)b;
    if (nread < 0) {
        /* The station went away (closed by the test). */
        uv_close((uv_handle_t *)s, rtr_handle_closed);
        if (r->conn == (uv_tcp_t *)s)
            r->conn = NULL;
        return;
    }
    link_reader_commit(&r->rd, (size_t)nread);
    while (link_reader_next(&r->rd, &payload, &len) == 0)
        rtr_frame(r, payload, len);
}

static void rtr_connection_cb(uv_stream_t *server, int status)
{
    fake_rtr_t *r = server->data;
    uv_tcp_t   *c = calloc(1, sizeof(*c));
    assert_int_equal(status, 0);
    assert_non_null(c);
    assert_null(r->conn); /* the station connects once */
    uv_tcp_init(server->loop, c);
    c->data = r;
    r->handles++;
    assert_int_equal(uv_accept(server, (uv_stream_t *)c), 0);
    r->conn = c;
    uv_read_start((uv_stream_t *)c, rtr_alloc_cb, rtr_read_cb);
}

static void rtr_open(fake_rtr_t *r, uv_loop_t *loop)
{
    struct sockaddr_in addr;
    struct sockaddr_in got;
    int                len = sizeof(got);
    memset(r, 0, sizeof(*r));
    link_reader_init(&r->rd, 0, 0);
    msgpack_zone_init(&r->zone, 4096);
    uv_tcp_init(loop, &r->server);
    r->server.data = r;
    r->handles = 1;
    assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &addr), 0);
    assert_int_equal(uv_tcp_bind(&r->server, (const struct sockaddr *)&addr, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&r->server, 8, rtr_connection_cb), 0);
    assert_int_equal(uv_tcp_getsockname(&r->server, (struct sockaddr *)&got, &len), 0);
    r->port = ntohs(got.sin_port);
}

/* One CABLE frame to the station with channel number csn. */
static void rtr_cable(fake_rtr_t *r, int csn, const char *mp, size_t len, cable_prec_t p,
                      bool rpt)
{
    link_frame_t f;
    link_frame_init(&f, LINK_T_CABLE);
    f.csn = csn;
    f.has_at = true;
    f.at = T0;
    f.cable.c = sim_span(mp, len);
    f.cable.prec = (uint8_t)p;
    f.cable.rpt = rpt;
    rtr_send(r, &f);
}

/* --- cables -------------------------------------------------------------- */

typedef struct tcable {
    char  *mp;
    size_t len;
    char   id[64];
} tcable_t;

/* A cable from RUCNDT with the given serial, section n of m and precedence,
 * to this station (niact: the action line says NIACT IMMEDIATE). */
static tcable_t make_cable(int32_t serial, uint16_t n, uint16_t m, cable_prec_t prec, bool niact)
{
    cable_t      c;
    cable_addr_t to;
    tcable_t     t;
    cable_init(&c);
    memset(&to, 0, sizeof(to));
    c.origin_ri = sim_span_str("RUCNDT");
    c.station_serial = serial;
    c.section = n;
    c.sections = m;
    c.de_has_section = m > 1;
    c.fl2_prec = c.dtg_prec = c.dtg_info_prec = prec;
    c.dtg = (cable_dtg_t){2007, 5, 7, 13, 2, true};
    c.from = sim_span_str("USMISSION USUN NEW YORK");
    to.ri = sim_span_str(RI);
    to.pla = sim_span_str("AMEMBASSY LONDON");
    to.serial_lo = to.serial_hi = -1;
    if (niact) {
        to.prec_word = sim_span_str("NIACT IMMEDIATE");
        to.prec = CABLE_PREC_O;
        to.niact = true;
    }
    c.to.v = &to;
    c.to.n = c.to.cap = 1;
    assert_int_equal(cable_msgpack_encode(&c, &t.mp, &t.len), 0);
    cable_id(&c, t.id, sizeof(t.id));
    c.to.v = NULL;
    c.to.n = c.to.cap = 0;
    cable_destroy(&c);
    return t;
}

/* --- the station's side -------------------------------------------------- */

static sim_time_t fx_clock(void *ud)
{
    fx_t *x = ud;
    return T0 + (sim_time_t)((double)(uv_hrtime() - x->h0) / 1000.0 * x->speed);
}

static void st_received(void *ud, node_station_t *st, const cable_t *c, const char *id,
                        sim_time_t at, bool duplicate)
{
    fx_t *x = ud;
    (void)st;
    (void)c;
    (void)id;
    (void)at;
    if (duplicate)
        x->n_dups++;
    else
        x->n_received++;
}

static void st_service(void *ud, node_station_t *st, const link_frame_t *f)
{
    fx_t *x = ud;
    (void)st;
    (void)f;
    x->n_services++;
}

static void st_operator_ack(void *ud, node_station_t *st, const char *id, cable_prec_t prec,
                            sim_time_t received_at, sim_time_t acked_at)
{
    fx_t *x = ud;
    (void)st;
    (void)prec;
    assert_true(x->n_opacks < MAX_SEEN);
    snprintf(x->ack_id[x->n_opacks], sizeof(x->ack_id[0]), "%s", id);
    x->ack_rx[x->n_opacks] = received_at;
    x->ack_at[x->n_opacks] = acked_at;
    x->ack_clock[x->n_opacks] = fx_clock(x);
    x->n_opacks++;
}

static void st_closed_cb(void *ud)
{
    fx_t *x = ud;
    x->st_closed = true;
}

static void watchdog_cb(uv_timer_t *t)
{
    fx_t *x = t->data;
    x->timed_out = true;
}

/* Runs the loop until cond(x) holds; fails after 10 s of wall time. */
static void run_until(fx_t *x, bool (*cond)(const fx_t *x))
{
    x->timed_out = false;
    uv_timer_start(&x->watchdog, watchdog_cb, 10000, 0);
    while (!cond(x) && !x->timed_out)
        uv_run(&x->loop, UV_RUN_ONCE);
    uv_timer_stop(&x->watchdog);
    assert_false(x->timed_out);
}

static bool is_up(const fx_t *x)
{
    return x->rtr.hello && x->st && node_station_up(x->st);
}

/* Opens loop, router, log and a station with these options (ri, router
 * address, log, clock filled in here), and waits for the link. */
static fx_t *fx_open(node_station_opts_t *so, double speed)
{
    fx_t              *x = calloc(1, sizeof(*x));
    node_station_cbs_t cb;
    int                err = 0;
    assert_non_null(x);
    assert_int_equal(uv_loop_init(&x->loop), 0);
    uv_timer_init(&x->loop, &x->watchdog);
    x->watchdog.data = x;
    rtr_open(&x->rtr, &x->loop);
    snprintf(x->dir, sizeof(x->dir), "/tmp/cablesim-station-XXXXXX");
    assert_non_null(mkdtemp(x->dir));
    x->dlog = rtr_dlog_open(x->dir, "HOST-TEST", &err);
    assert_non_null(x->dlog);
    x->h0 = uv_hrtime();
    x->speed = speed;
    so->ri = RI;
    so->router_host = "127.0.0.1";
    so->router_port = x->rtr.port;
    so->dlog = x->dlog;
    so->clock = fx_clock;
    so->clock_ud = x;
    so->speed = speed;
    memset(&cb, 0, sizeof(cb));
    cb.ud = x;
    cb.want_cable = true;
    cb.received = st_received;
    cb.service = st_service;
    cb.operator_ack = st_operator_ack;
    x->st = node_station_new(&x->loop, so, &cb);
    run_until(x, is_up);
    return x;
}

static bool all_closed(const fx_t *x)
{
    return x->st_closed && x->rtr.handles == 0;
}

/* Closes the station (if still open), the router and the loop, and reads
 * back the received log into *set (when set is non-NULL). */
static void fx_close(fx_t *x, rtr_dlog_set_t *set)
{
    const char *dirs[1];
    char        err[256];
    size_t      torn = 0;
    if (x->st && !x->st_closed)
        node_station_close(x->st, st_closed_cb, x);
    if (x->rtr.conn) {
        uv_close((uv_handle_t *)x->rtr.conn, rtr_handle_closed);
        x->rtr.conn = NULL;
    }
    uv_close((uv_handle_t *)&x->rtr.server, rtr_handle_closed);
    run_until(x, all_closed);
    uv_close((uv_handle_t *)&x->watchdog, NULL);
    assert_int_equal(uv_run(&x->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&x->loop), 0);
    link_reader_destroy(&x->rtr.rd);
    msgpack_zone_destroy(&x->rtr.zone);
    assert_int_equal(rtr_dlog_close(x->dlog), 0);
    dirs[0] = x->dir;
    if (set) {
        assert_int_equal(rtr_dlog_read(dirs, 1, set, &torn, err, sizeof(err)), 0);
        assert_int_equal(torn, 0);
    }
    {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
        assert_int_equal(system(cmd), 0);
    }
    free(x);
}

static uint32_t want_acks, want_opacks, want_svc;

static bool got_acks(const fx_t *x)
{
    return x->rtr.n_acks >= want_acks;
}

static bool got_opacks(const fx_t *x)
{
    return x->n_opacks >= want_opacks;
}

static bool got_svc(const fx_t *x)
{
    return x->rtr.n_svc >= want_svc && x->rtr.n_acks >= want_acks;
}

static bool got_station_svc(const fx_t *x)
{
    return x->n_services >= 1;
}

/* The operator acknowledgement seen for 'id', or -1. */
static int opack_of(const fx_t *x, const char *id)
{
    for (uint32_t i = 0; i < x->n_opacks; i++)
        if (strcmp(x->ack_id[i], id) == 0)
            return (int)i;
    return -1;
}

/* The n-th record (0-based) of 'event' about 'id' (NULL: any), or NULL. */
static const rtr_dlog_rec_t *find(const rtr_dlog_set_t *s, rtr_dlog_event_t event, const char *id,
                                  int nth)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].event != event)
            continue;
        if (id && (!s->v[i].id || strcmp(s->v[i].id, id) != 0))
            continue;
        if (nth-- == 0)
            return &s->v[i];
    }
    return NULL;
}

static size_t count(const rtr_dlog_set_t *s, rtr_dlog_event_t event)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->v[i].event == event;
    return n;
}

/* --- tests ----------------------------------------------------------------- */

/* A cable, then the same cable again: received twice, delivered once, the
 * second suppressed as ZFD, and both acknowledged on the link. */
static void test_received_log_and_duplicate(void **state)
{
    node_station_opts_t   so;
    fx_t                 *x;
    tcable_t              a = make_cable(352, 1, 1, CABLE_PREC_O, false);
    rtr_dlog_set_t        set;
    const rtr_dlog_rec_t *r;
    (void)state;
    memset(&so, 0, sizeof(so));
    so.operator_delay_s = -1; /* every acknowledgement at once */
    x = fx_open(&so, 1.0);
    rtr_cable(&x->rtr, 0, a.mp, a.len, CABLE_PREC_O, false);
    rtr_cable(&x->rtr, 1, a.mp, a.len, CABLE_PREC_O, true);
    want_acks = 2;
    run_until(x, got_acks);
    assert_int_equal(x->rtr.acks[0], 0);
    assert_int_equal(x->rtr.acks[1], 1);
    assert_int_equal(x->n_received, 1);
    assert_int_equal(x->n_dups, 1);
    assert_int_equal(x->n_opacks, 1); /* the duplicate is not the operator's again */
    assert_int_equal(x->rtr.n_svc, 0);
    fx_close(x, &set);

    assert_string_equal(a.id, "RUCNDT#0352/01 071302Z MAY 07");
    assert_int_equal(count(&set, RTR_DLOG_RECEIVED), 2);
    assert_int_equal(count(&set, RTR_DLOG_DELIVERED), 1);
    assert_int_equal(count(&set, RTR_DLOG_DUPLICATE), 1);
    assert_int_equal(count(&set, RTR_DLOG_ACKNOWLEDGED), 1);
    r = find(&set, RTR_DLOG_RECEIVED, a.id, 0);
    assert_non_null(r);
    assert_string_equal(r->party, RI);
    assert_string_equal(r->link, RI);
    assert_int_equal(r->csn, 0);
    assert_int_equal(r->precedence, CABLE_PREC_O);
    assert_null(r->addressee);
    assert_true(r->sim_time >= T0);
    r = find(&set, RTR_DLOG_RECEIVED, a.id, 1);
    assert_int_equal(r->csn, 1);
    assert_string_equal(r->detail, "ZDK");
    r = find(&set, RTR_DLOG_DELIVERED, a.id, 0);
    assert_string_equal(r->addressee, RI);
    assert_int_equal(r->csn, 0);
    assert_int_equal(r->sim_time, find(&set, RTR_DLOG_RECEIVED, a.id, 0)->sim_time);
    r = find(&set, RTR_DLOG_DUPLICATE, a.id, 0);
    assert_string_equal(r->addressee, RI);
    assert_string_equal(r->detail, "ZFD");
    assert_int_equal(r->csn, 1);
    r = find(&set, RTR_DLOG_ACKNOWLEDGED, a.id, 0);
    assert_int_equal(r->value, 0);
    assert_int_equal(r->csn, 0);
    rtr_dlog_set_free(&set);
    free(a.mp);
}

/* Numbers 0001-0002 never arrive: the station asks for them (gap service
 * message), logs the gap, and still acknowledges 0003. A service message
 * from the router is logged. */
static void test_gap_and_service(void **state)
{
    node_station_opts_t   so;
    fx_t                 *x;
    tcable_t              a = make_cable(10, 1, 1, CABLE_PREC_R, false);
    tcable_t              b = make_cable(11, 1, 1, CABLE_PREC_R, false);
    link_frame_t          svc;
    rtr_dlog_set_t        set;
    const rtr_dlog_rec_t *r;
    (void)state;
    memset(&so, 0, sizeof(so));
    x = fx_open(&so, 1.0);
    rtr_cable(&x->rtr, 0, a.mp, a.len, CABLE_PREC_R, false);
    rtr_cable(&x->rtr, 3, b.mp, b.len, CABLE_PREC_R, false);
    link_frame_init(&svc, LINK_T_SVC);
    svc.svc.code = LINK_SVC_UNKNOWN_RI;
    svc.svc.text = sim_span_str("NO ROUTE FOR RUXXXX");
    svc.svc.ri = sim_span_str("RUXXXX");
    rtr_send(&x->rtr, &svc);
    want_acks = 2;
    want_svc = 1;
    run_until(x, got_svc);
    assert_int_equal(x->rtr.acks[1], 3);
    assert_int_equal(x->rtr.svc_code[0], LINK_SVC_GAP);
    assert_int_equal(x->rtr.svc_from[0], 1);
    assert_int_equal(x->rtr.svc_to[0], 2);
    run_until(x, got_station_svc); /* it may trail the cable frames by a read */
    /* ROUTINE: the operator has not acknowledged yet (60 s at speed 1). */
    assert_int_equal(node_station_pending_acks(x->st), 2);
    assert_int_equal(x->n_opacks, 0);
    fx_close(x, &set);

    assert_int_equal(count(&set, RTR_DLOG_GAP), 1);
    r = find(&set, RTR_DLOG_GAP, NULL, 0);
    assert_int_equal(r->csn, 1);
    assert_int_equal(r->value, 2);
    assert_string_equal(r->detail, "GAP CSN 0001-0002 PLS RPT");
    assert_string_equal(r->party, RI);
    r = find(&set, RTR_DLOG_SERVICE, NULL, 0);
    assert_non_null(r);
    assert_string_equal(r->detail, "unknown-ri: NO ROUTE FOR RUXXXX");
    assert_int_equal(count(&set, RTR_DLOG_DELIVERED), 2);
    assert_int_equal(count(&set, RTR_DLOG_ACKNOWLEDGED), 0); /* cancelled by close */
    rtr_dlog_set_free(&set);
    free(a.mp);
    free(b.mp);
}

/* FLASH, EMERGENCY COMMAND and NIACT are acknowledged by the operator at
 * once, ROUTINE and PRIORITY 60 s of sim-time later (speed 3600: ~17 ms of
 * wall time); the link acknowledges all five at once. */
static void test_operator_ack(void **state)
{
    node_station_opts_t so;
    fx_t               *x;
    tcable_t            c[5] = {
        make_cable(20, 1, 1, CABLE_PREC_Z, false), make_cable(21, 1, 1, CABLE_PREC_O, true),
        make_cable(22, 1, 1, CABLE_PREC_R, false), make_cable(23, 1, 1, CABLE_PREC_P, false),
        make_cable(24, 1, 1, CABLE_PREC_Y, false)};
    cable_prec_t        p[5] = {CABLE_PREC_Z, CABLE_PREC_O, CABLE_PREC_R, CABLE_PREC_P,
                                CABLE_PREC_Y};
    rtr_dlog_set_t      set;
    (void)state;
    memset(&so, 0, sizeof(so));
    x = fx_open(&so, 3600.0); /* operator_delay_s: the default 60 */
    for (int i = 0; i < 5; i++)
        rtr_cable(&x->rtr, i, c[i].mp, c[i].len, p[i], false);
    want_acks = 5;
    run_until(x, got_acks);
    /* Custody was immediate; the operator's FLASH, NIACT and EMERGENCY
     * COMMAND acknowledgements came before their link ACKs, the other two
     * wait (unless their 17 ms have gone by already). */
    assert_true(x->n_opacks >= 3);
    assert_int_equal(node_station_pending_acks(x->st) + x->n_opacks, 5);
    for (int i = 0; i < 5; i += i == 1 ? 3 : 1) {
        int k = opack_of(x, c[i].id);
        assert_true(k >= 0);
        assert_int_equal(x->ack_at[k], x->ack_rx[k]);
    }
    want_opacks = 5;
    run_until(x, got_opacks);
    assert_int_equal(node_station_pending_acks(x->st), 0);
    for (int i = 2; i < 4; i++) {
        int k = opack_of(x, c[i].id);
        assert_true(k >= 0);
        assert_int_equal(x->ack_at[k] - x->ack_rx[k], 60 * SIM_USEC_PER_SEC);
        assert_true(x->ack_clock[k] >= x->ack_at[k]); /* never early */
    }
    fx_close(x, &set);

    assert_int_equal(count(&set, RTR_DLOG_ACKNOWLEDGED), 5);
    for (int i = 0; i < 5; i++) {
        const rtr_dlog_rec_t *rx = find(&set, RTR_DLOG_RECEIVED, c[i].id, 0);
        const rtr_dlog_rec_t *ak = find(&set, RTR_DLOG_ACKNOWLEDGED, c[i].id, 0);
        sim_time_t delay = p[i] >= CABLE_PREC_Z || i == 1 ? 0 : 60 * SIM_USEC_PER_SEC;
        assert_non_null(rx);
        assert_non_null(ak);
        assert_int_equal(rx->precedence, p[i]);
        assert_int_equal(ak->precedence, p[i]);
        assert_int_equal(ak->value, delay);
        assert_int_equal(ak->sim_time, rx->sim_time + delay);
        assert_string_equal(ak->addressee, RI);
        assert_int_equal(ak->csn, i);
    }
    rtr_dlog_set_free(&set);
    for (int i = 0; i < 5; i++)
        free(c[i].mp);
}

/* A pending operator acknowledgement dies with the station: no callback
 * after close, nothing leaked, the loop closes. */
static void test_close_cancels_operator(void **state)
{
    node_station_opts_t so;
    fx_t               *x;
    tcable_t            a = make_cable(30, 1, 1, CABLE_PREC_R, false);
    rtr_dlog_set_t      set;
    (void)state;
    memset(&so, 0, sizeof(so));
    so.operator_delay_s = 3600;
    x = fx_open(&so, 1.0);
    rtr_cable(&x->rtr, 0, a.mp, a.len, CABLE_PREC_R, false);
    want_acks = 1;
    run_until(x, got_acks);
    assert_int_equal(node_station_pending_acks(x->st), 1);
    fx_close(x, &set);
    assert_int_equal(count(&set, RTR_DLOG_DELIVERED), 1);
    assert_int_equal(count(&set, RTR_DLOG_ACKNOWLEDGED), 0);
    rtr_dlog_set_free(&set);
    free(a.mp);
}

typedef struct missing_seen {
    char     id[64];
    uint16_t sections;
    uint16_t missing[8];
    uint32_t n_missing;
    uint32_t calls;
} missing_seen_t;

static void missing_cb(void *ud, node_station_t *st, const char *msg_id, uint16_t sections,
                       const uint16_t *missing, uint32_t n_missing)
{
    missing_seen_t *m = ud;
    (void)st;
    snprintf(m->id, sizeof(m->id), "%s", msg_id);
    m->sections = sections;
    m->n_missing = n_missing;
    for (uint32_t i = 0; i < n_missing && i < 8; i++)
        m->missing[i] = missing[i];
    m->calls++;
}

/* Sections 2, 3, then 1 of one message complete it; a second message of
 * which only sections 1 and 3 of 4 arrive is reported missing 2 and 4, by
 * the query and in the log at close. */
static void test_sections(void **state)
{
    node_station_opts_t   so;
    fx_t                 *x;
    tcable_t              s[3] = {make_cable(40, 1, 3, CABLE_PREC_P, false),
                                  make_cable(40, 2, 3, CABLE_PREC_P, false),
                                  make_cable(40, 3, 3, CABLE_PREC_P, false)};
    tcable_t              t[2] = {make_cable(41, 1, 4, CABLE_PREC_R, false),
                                  make_cable(41, 3, 4, CABLE_PREC_R, false)};
    missing_seen_t        m;
    node_station_stats_t  ss;
    rtr_dlog_set_t        set;
    const rtr_dlog_rec_t *r;
    (void)state;
    memset(&so, 0, sizeof(so));
    x = fx_open(&so, 1.0);
    rtr_cable(&x->rtr, 0, s[1].mp, s[1].len, CABLE_PREC_P, false);
    rtr_cable(&x->rtr, 1, s[2].mp, s[2].len, CABLE_PREC_P, false);
    want_acks = 2;
    run_until(x, got_acks);
    memset(&m, 0, sizeof(m));
    assert_int_equal(node_station_missing_sections(x->st, missing_cb, &m), 1);
    assert_string_equal(m.id, "RUCNDT#0040 071302Z MAY 07");
    assert_int_equal(m.sections, 3);
    assert_int_equal(m.n_missing, 1);
    assert_int_equal(m.missing[0], 1);
    rtr_cable(&x->rtr, 2, s[0].mp, s[0].len, CABLE_PREC_P, false);
    rtr_cable(&x->rtr, 3, t[1].mp, t[1].len, CABLE_PREC_R, false);
    rtr_cable(&x->rtr, 4, t[0].mp, t[0].len, CABLE_PREC_R, false);
    want_acks = 5;
    run_until(x, got_acks);
    node_station_stats(x->st, &ss);
    assert_int_equal(ss.reassembled, 1);
    memset(&m, 0, sizeof(m));
    assert_int_equal(node_station_missing_sections(x->st, missing_cb, &m), 1);
    assert_int_equal(m.calls, 1);
    assert_string_equal(m.id, "RUCNDT#0041 071302Z MAY 07");
    assert_int_equal(m.sections, 4);
    assert_int_equal(m.n_missing, 2);
    assert_int_equal(m.missing[0], 2);
    assert_int_equal(m.missing[1], 4);
    assert_int_equal(node_station_missing_sections(x->st, NULL, NULL), 1);
    fx_close(x, &set);

    assert_int_equal(count(&set, RTR_DLOG_DELIVERED), 5); /* sections are deliveries */
    assert_int_equal(count(&set, RTR_DLOG_REASSEMBLED), 1);
    r = find(&set, RTR_DLOG_REASSEMBLED, "RUCNDT#0040 071302Z MAY 07", 0);
    assert_non_null(r);
    assert_string_equal(r->detail, "sections 1-3 complete");
    assert_string_equal(r->addressee, RI);
    assert_int_equal(r->precedence, CABLE_PREC_P);
    assert_int_equal(r->sim_time, find(&set, RTR_DLOG_RECEIVED, s[0].id, 0)->sim_time);
    assert_int_equal(r->value, r->sim_time - find(&set, RTR_DLOG_RECEIVED, s[1].id, 0)->sim_time);
    r = find(&set, RTR_DLOG_SECTIONS_MISSING, "RUCNDT#0041 071302Z MAY 07", 0);
    assert_non_null(r);
    assert_string_equal(r->detail, "sections 2,4 of 4 missing (at close)");
    assert_int_equal(r->value, 2);
    assert_int_equal(count(&set, RTR_DLOG_SECTIONS_MISSING), 1);
    rtr_dlog_set_free(&set);
    for (int i = 0; i < 3; i++)
        free(s[i].mp);
    for (int i = 0; i < 2; i++)
        free(t[i].mp);
}

/* At most two open messages: a third evicts the oldest, which is logged
 * with its missing sections. */
static void test_sections_evicted(void **state)
{
    node_station_opts_t  so;
    fx_t                *x;
    tcable_t             c[3] = {make_cable(50, 1, 2, CABLE_PREC_R, false),
                                 make_cable(51, 2, 3, CABLE_PREC_R, false),
                                 make_cable(52, 1, 2, CABLE_PREC_R, false)};
    node_station_stats_t ss;
    missing_seen_t       m;
    rtr_dlog_set_t       set;
    const rtr_dlog_rec_t *r;
    (void)state;
    memset(&so, 0, sizeof(so));
    so.max_open_messages = 2;
    x = fx_open(&so, 1.0);
    for (int i = 0; i < 3; i++)
        rtr_cable(&x->rtr, i, c[i].mp, c[i].len, CABLE_PREC_R, false);
    want_acks = 3;
    run_until(x, got_acks);
    node_station_stats(x->st, &ss);
    assert_int_equal(ss.evicted, 1);
    memset(&m, 0, sizeof(m));
    assert_int_equal(node_station_missing_sections(x->st, missing_cb, &m), 2);
    assert_string_equal(m.id, "RUCNDT#0052 071302Z MAY 07"); /* the newest comes last */
    fx_close(x, &set);
    r = find(&set, RTR_DLOG_SECTIONS_MISSING, "RUCNDT#0050 071302Z MAY 07", 0);
    assert_non_null(r);
    assert_string_equal(r->detail, "sections 2 of 2 missing (evicted)");
    assert_non_null(find(&set, RTR_DLOG_SECTIONS_MISSING, "RUCNDT#0051 071302Z MAY 07", 0));
    assert_string_equal(find(&set, RTR_DLOG_SECTIONS_MISSING, "RUCNDT#0051 071302Z MAY 07", 0)
                            ->detail,
                        "sections 1,3 of 3 missing (at close)");
    assert_int_equal(count(&set, RTR_DLOG_SECTIONS_MISSING), 3);
    rtr_dlog_set_free(&set);
    for (int i = 0; i < 3; i++)
        free(c[i].mp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_received_log_and_duplicate),
        cmocka_unit_test(test_gap_and_service),
        cmocka_unit_test(test_operator_ack),
        cmocka_unit_test(test_close_cancels_operator),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_sections_evicted),
    };
    return cmocka_run_group_tests_name("node_station", tests, NULL, NULL);
}
