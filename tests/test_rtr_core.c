/*
 * test_rtr_core.c - the router core without sockets or an event loop: a
 * stand-in connection layer records every frame the core writes, the
 * journal is real (in a temporary folder), and time is a manual scheduler.
 * Custody (ACK only once durable, DELIVERED on the addressee's ACK), routing
 * to the right port, precedence and preemption on a slow link with exact
 * sim-times, service messages (gap, impersonation, undeliverable,
 * garbled), duplicate suppression, and recovery from the journal.
 */
#include "testutil.h"
#include "cable_msgpack.h"
#include "rtr_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char net_yaml[] =
    "routers:\n"
    "  - {name: hub, listen: 127.0.0.1:47990}\n"
    "links:\n"
    "  defaults: {bps: 9600, latency_ms: 100}\n"
    "stations:\n"
    "  - {ri: RUEHAA, pla: AMEMBASSY ALPHA, router: hub}\n"
    "  - {ri: RUEHBB, pla: AMEMBASSY BRAVO, router: hub}\n"
    "  - {ri: RUEHCC, pla: AMEMBASSY CHARLIE, router: hub}\n";

typedef struct sent {
    uint32_t     port;
    link_type_t  type;
    int32_t      csn;
    sim_time_t   at;
    uint8_t      prec;
    char         id[64];
    int          code; /* SVC */
    int32_t      from, to;
} sent_t;

static sent_t  out[16384];
static int     n_out;
static int     want_flush, closed;
static char    dir[] = "/tmp/cablesim-core-XXXXXX";

static int io_send(void *ud, rtr_port_t *p, const char *buf, size_t len)
{
    link_frame_t f;
    msgpack_zone z;
    const char  *err;
    sent_t      *s = &out[n_out++];
    (void)ud;
    assert_true(n_out < 16384);
    msgpack_zone_init(&z, 1024);
    assert_int_equal(link_frame_decode(buf + 4, len - 4, &f, &z, &err), 0);
    memset(s, 0, sizeof(*s));
    s->port = p->idx;
    s->type = f.type;
    s->csn = f.csn;
    s->at = f.has_at ? f.at : -1;
    if (f.type == LINK_T_CABLE) {
        s->prec = f.cable.prec;
        snprintf(s->id, sizeof(s->id), "%.*s", (int)f.cable.id.len, f.cable.id.p);
    }
    if (f.type == LINK_T_SVC) {
        s->code = f.svc.code;
        s->from = f.svc.from;
        s->to = f.svc.to;
    }
    msgpack_zone_destroy(&z);
    return 0;
}

static void io_want_flush(void *ud)
{
    (void)ud;
    want_flush++;
}

static void io_close(void *ud, rtr_port_t *p, const char *why)
{
    (void)ud;
    (void)p;
    (void)why;
    closed++;
}

typedef struct fixture {
    net_network_t *net;
    rtr_journal_t *j;
    rtr_core_t    *core;
    sim_sched_t    sched;
    rtr_port_t    *a, *b, *c;
    int            conn; /* any non-NULL handle */
} fixture_t;

static void open_core(fixture_t *x, bool no_link_model)
{
    rtr_core_opts_t co;
    rtr_core_io_t   io = {NULL, io_send, io_want_flush, io_close, NULL};
    char            err[256];
    size_t          restored = 0;
    assert_int_equal(rtr_journal_open(&x->j, dir, NULL, NULL), 0);
    memset(&co, 0, sizeof(co));
    co.net = x->net;
    co.journal = x->j;
    co.sched = &x->sched;
    co.no_link_model = no_link_model;
    assert_int_equal(rtr_core_new(&x->core, &co, &io, err, sizeof(err)), 0);
    assert_int_equal(rtr_core_recover(x->core, &restored, err, sizeof(err)), 0);
    x->a = rtr_core_port_for(x->core, LINK_ROLE_STATION, sim_span_str("RUEHAA"));
    x->b = rtr_core_port_for(x->core, LINK_ROLE_STATION, sim_span_str("RUEHBB"));
    x->c = rtr_core_port_for(x->core, LINK_ROLE_STATION, sim_span_str("RUEHCC"));
    assert_non_null(x->a);
    assert_non_null(x->b);
}

static void close_core(fixture_t *x)
{
    rtr_core_free(x->core);
    rtr_journal_close(x->j);
}

static int setup(void **state)
{
    fixture_t   *x = calloc(1, sizeof(*x));
    net_errors_t errs = {0};
    char         cmd[256];
    strcpy(dir, "/tmp/cablesim-core-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir); /* the journal creates it */
    if (system(cmd) != 0)
        return -1;
    x->net = net_load_mem("core", net_yaml, sizeof(net_yaml) - 1, &errs);
    if (!x->net)
        return -1;
    sim_sched_init(&x->sched, 1000 * SIM_USEC_PER_SEC);
    n_out = want_flush = closed = 0;
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *x = *state;
    char       cmd[256];
    sim_sched_destroy(&x->sched);
    net_free(x->net);
    free(x);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Length of the canonical text of the last cable made, with format line 2
 * naming only its addressee (what the router's copy for it transmits). */
static size_t last_tx_len;

/* A cable from 'from' to 'to' (RIs), its msgpack form in *mp. */
static void make_cable(char **mp, size_t *len, const char *origin, int serial, const char *to_ri,
                       const char *to_pla, cable_prec_t prec, size_t body)
{
    cable_t       c;
    cable_addr_t *a;
    char         *text = malloc(body + 64);
    cable_init(&c);
    c.origin_ri = sim_span_str(origin);
    c.station_serial = serial;
    c.dtg = cable_dtg_from_epoch(1235952000 + serial * 60);
    c.dtg_prec = c.dtg_info_prec = c.fl2_prec = prec;
    c.from = sim_span_str("AMEMBASSY ALPHA");
    a = calloc(1, sizeof(*a));
    a->ri = to_ri ? sim_span_str(to_ri) : SIM_SPAN_NULL;
    a->pla = sim_span_str(to_pla);
    a->serial_lo = a->serial_hi = -1;
    c.to.v = a;
    c.to.n = c.to.cap = 1;
    memset(text, 'X', body);
    memcpy(text, "UNCLAS ALPHA 000001", 19);
    c.text = sim_span(text, body);
    c.body_bytes = (uint32_t)body;
    assert_int_equal(cable_msgpack_encode(&c, mp, len), 0);
    {
        sim_span_t fl2 = sim_span_str(to_ri ? to_ri : "RUEHBB");
        c.routing_indicators.v = &fl2;
        c.routing_indicators.n = 1;
        last_tx_len = cable_emit_len(&c);
        c.routing_indicators.v = NULL;
        c.routing_indicators.n = 0;
    }
    free(a);
    free(text);
    cable_destroy(&c);
}

static int frame_in(fixture_t *x, rtr_port_t *p, const char *mp, size_t len, int csn)
{
    link_frame_t f;
    link_frame_init(&f, LINK_T_CABLE);
    f.csn = csn;
    f.has_at = true;
    f.at = x->sched.now;
    f.cable.c = sim_span(mp, len);
    return rtr_core_frame(x->core, p, &f);
}

static void ack_in(fixture_t *x, rtr_port_t *p, int csn)
{
    link_frame_t f;
    link_frame_init(&f, LINK_T_ACK);
    f.csn = csn;
    assert_int_equal(rtr_core_frame(x->core, p, &f), 0);
}

static void make_durable(fixture_t *x)
{
    rtr_jid_t upto = 0;
    assert_int_equal(rtr_journal_sync(x->j, &upto), 0);
    rtr_core_durable(x->core, upto);
}

static int find(link_type_t type, uint32_t port, int from)
{
    for (int i = from; i < n_out; i++)
        if (out[i].type == type && out[i].port == port)
            return i;
    return -1;
}

static void test_custody_ack_after_durable(void **state)
{
    fixture_t *x = *state;
    char      *mp;
    size_t     len;
    int        i;
    open_core(x, true);
    rtr_core_attach(x->core, x->a, &x->conn, -1);
    rtr_core_attach(x->core, x->b, &x->conn, -1);
    make_cable(&mp, &len, "RUEHAA", 1, "RUEHBB", "AMEMBASSY BRAVO", CABLE_PREC_R, 200);
    assert_int_equal(frame_in(x, x->a, mp, len, 0), 0);
    /* Not durable yet: no acknowledgement, nothing forwarded. */
    assert_int_equal(find(LINK_T_ACK, x->a->idx, 0), -1);
    assert_int_equal(find(LINK_T_CABLE, x->b->idx, 0), -1);
    assert_true(want_flush > 0);
    make_durable(x);
    i = find(LINK_T_ACK, x->a->idx, 0);
    assert_true(i >= 0);
    assert_int_equal(out[i].csn, 0);
    i = find(LINK_T_CABLE, x->b->idx, 0);
    assert_true(i >= 0);
    assert_string_equal(out[i].id, "RUEHAA#0001/01 020001Z MAR 09");
    {
        rtr_core_stats_t st;
        rtr_core_stats(x->core, &st);
        assert_int_equal(st.pending_cables, 1);
        ack_in(x, x->b, out[i].csn);
        rtr_core_stats(x->core, &st);
        assert_int_equal(st.pending_cables, 0); /* custody passed on */
        assert_int_equal(st.delivered_copies, 1);
    }
    free(mp);
    close_core(x);
}

static void test_preemption_on_slow_link(void **state)
{
    fixture_t *x = *state;
    char      *r1, *z1;
    size_t     lr, lz;
    int        i, j, k;
    sim_time_t t0 = x->sched.now;
    open_core(x, false); /* 9600 bit/s, 100 ms latency */
    rtr_core_attach(x->core, x->a, &x->conn, -1);
    rtr_core_attach(x->core, x->b, &x->conn, -1);
    make_cable(&r1, &lr, "RUEHAA", 1, "RUEHBB", "AMEMBASSY BRAVO", CABLE_PREC_R, 3000);
    make_cable(&z1, &lz, "RUEHAA", 2, "RUEHBB", "AMEMBASSY BRAVO", CABLE_PREC_Z, 100);
    size_t ztx = last_tx_len;
    frame_in(x, x->a, r1, lr, 0);
    make_durable(x); /* the ROUTINE starts on B's link at t0 */
    sim_sched_run_until(&x->sched, t0 + 500000);
    frame_in(x, x->a, z1, lz, 1);
    make_durable(x); /* the FLASH arrives at t0 + 0.5 s, mid-transmission */
    sim_sched_run_until(&x->sched, SIM_TIME_NEVER);
    i = find(LINK_T_ABORT, x->b->idx, 0);
    j = find(LINK_T_CABLE, x->b->idx, 0);
    assert_true(i >= 0 && j > i);
    assert_int_equal(out[j].prec, CABLE_PREC_Z); /* the FLASH went first */
    /* It started at the preemption (t0 + 0.5 s), so it arrives after its own
     * transmission time plus the latency: nothing else in front of it. */
    assert_int_equal(out[j].at, t0 + 500000 + sim_tx_time(ztx, 9600) + 100000);
    k = find(LINK_T_CABLE, x->b->idx, j + 1);
    assert_true(k > j);
    assert_int_equal(out[k].prec, CABLE_PREC_R); /* the ROUTINE again, from its start */
    assert_int_not_equal(out[k].csn, out[i].csn); /* with a new channel number */
    assert_true(out[k].at > out[j].at);
    free(r1);
    free(z1);
    close_core(x);
}

static void test_service_messages(void **state)
{
    fixture_t *x = *state;
    char      *mp;
    size_t     len;
    int        i;
    open_core(x, true);
    rtr_core_attach(x->core, x->a, &x->conn, -1);
    rtr_core_attach(x->core, x->b, &x->conn, -1);
    /* Impersonation: A sends a cable whose origin is B. */
    make_cable(&mp, &len, "RUEHBB", 7, "RUEHCC", "AMEMBASSY CHARLIE", CABLE_PREC_R, 100);
    frame_in(x, x->a, mp, len, 0);
    free(mp);
    make_durable(x);
    i = find(LINK_T_SVC, x->a->idx, 0);
    assert_true(i >= 0);
    assert_int_equal(out[i].code, LINK_SVC_IMPERSONATION);
    assert_int_equal(find(LINK_T_ACK, x->a->idx, 0), -1);
    /* A gap: csn 1 expected after 0, 4 comes. */
    n_out = 0;
    make_cable(&mp, &len, "RUEHAA", 8, "RUEHBB", "AMEMBASSY BRAVO", CABLE_PREC_R, 100);
    frame_in(x, x->a, mp, len, 4);
    free(mp);
    i = find(LINK_T_SVC, x->a->idx, 0);
    assert_true(i >= 0);
    assert_int_equal(out[i].code, LINK_SVC_GAP);
    assert_int_equal(out[i].from, 1);
    assert_int_equal(out[i].to, 3);
    /* An addressee nobody knows: undeliverable, reported to the originator. */
    n_out = 0;
    make_cable(&mp, &len, "RUEHAA", 9, NULL, "AMEMBASSY NOWHERE", CABLE_PREC_R, 100);
    frame_in(x, x->a, mp, len, 5);
    free(mp);
    i = find(LINK_T_SVC, x->a->idx, 0);
    assert_true(i >= 0);
    assert_int_equal(out[i].code, LINK_SVC_UNDELIVERABLE);
    /* Garbled bytes: a service message asking for a repeat, no ACK. */
    n_out = 0;
    frame_in(x, x->a, "\x81\xa1v\x07", 4, 6);
    make_durable(x);
    i = find(LINK_T_SVC, x->a->idx, 0);
    assert_true(i >= 0);
    assert_int_equal(out[i].code, LINK_SVC_GARBLED);
    close_core(x);
}

static void test_duplicate_and_recovery(void **state)
{
    fixture_t *x = *state;
    char      *mp;
    size_t     len;
    int        i;
    open_core(x, true);
    rtr_core_attach(x->core, x->a, &x->conn, -1);
    /* B is not connected: the copy waits in its queue. */
    make_cable(&mp, &len, "RUEHAA", 3, "RUEHBB", "AMEMBASSY BRAVO", CABLE_PREC_O, 150);
    frame_in(x, x->a, mp, len, 0);
    make_durable(x);
    frame_in(x, x->a, mp, len, 1); /* the same cable again: acknowledged, not accepted */
    make_durable(x);
    assert_true(find(LINK_T_ACK, x->a->idx, 0) >= 0);
    {
        rtr_core_stats_t st;
        rtr_core_stats(x->core, &st);
        assert_int_equal(st.accepted, 1);
        assert_int_equal(st.duplicates, 1);
        assert_int_equal(st.queued_now, 1);
    }
    /* The router dies here; a new one recovers the queue from the journal. */
    close_core(x);
    n_out = 0;
    open_core(x, true);
    {
        rtr_core_stats_t st;
        rtr_core_stats(x->core, &st);
        assert_int_equal(st.queued_now, 1);
    }
    rtr_core_attach(x->core, x->a, &x->conn, -1);
    frame_in(x, x->a, mp, len, 2); /* the sender repeats it: still a duplicate */
    make_durable(x);
    rtr_core_attach(x->core, x->b, &x->conn, -1);
    i = find(LINK_T_CABLE, x->b->idx, 0);
    assert_true(i >= 0);
    assert_string_equal(out[i].id, "RUEHAA#0003/01 020003Z MAR 09");
    assert_int_equal(find(LINK_T_CABLE, x->b->idx, i + 1), -1); /* once */
    ack_in(x, x->b, out[i].csn);
    {
        rtr_core_stats_t st;
        rtr_core_stats(x->core, &st);
        assert_int_equal(st.pending_cables, 0);
    }
    free(mp);
    close_core(x);
}

static void test_processing_time(void **state)
{
    fixture_t   *x = *state;
    net_errors_t errs = {0};
    static const char yaml[] = "routers:\n"
                               "  - {name: hub, listen: 127.0.0.1:47990, processing_ms: 250}\n"
                               "links:\n"
                               "  defaults: {bps: 9600, latency_ms: 100}\n"
                               "stations:\n"
                               "  - {ri: RUEHAA, pla: AMEMBASSY ALPHA, router: hub}\n"
                               "  - {ri: RUEHBB, pla: AMEMBASSY BRAVO, router: hub}\n";
    char      *mp;
    size_t     len;
    sim_time_t t0 = x->sched.now;
    int        i;
    net_free(x->net);
    x->net = net_load_mem("core", yaml, sizeof(yaml) - 1, &errs);
    assert_non_null(x->net);
    open_core(x, false);
    rtr_core_attach(x->core, x->a, &x->conn, -1);
    rtr_core_attach(x->core, x->b, &x->conn, -1);
    make_cable(&mp, &len, "RUEHAA", 1, "RUEHBB", "AMEMBASSY BRAVO", CABLE_PREC_O, 100);
    frame_in(x, x->a, mp, len, 0);
    make_durable(x);
    assert_true(find(LINK_T_ACK, x->a->idx, 0) >= 0); /* custody at once */
    sim_sched_run_until(&x->sched, t0 + 249999);
    assert_int_equal(find(LINK_T_CABLE, x->b->idx, 0), -1); /* still being handled */
    sim_sched_run_until(&x->sched, SIM_TIME_NEVER);
    i = find(LINK_T_CABLE, x->b->idx, 0);
    assert_true(i >= 0);
    /* Queued at t0 + 250 ms, then the transmission of its canonical text at
     * 9600 bit/s, then 100 ms of latency: exactly. */
    assert_int_equal(out[i].at, t0 + 250000 + sim_tx_time(last_tx_len, 9600) + 100000);
    free(mp);
    close_core(x);
}

/* A station that is away: beyond the link's RAM budget the copies stay in
 * the journal (a count and a cursor), and come back in order, each once,
 * when it returns. */
static void test_spill_to_journal_and_back(void **state)
{
    fixture_t   *x = *state;
    net_errors_t errs = {0};
    static const char yaml[] = "routers:\n"
                               "  - {name: hub, listen: 127.0.0.1:47990}\n"
                               "links:\n"
                               "  defaults: {bps: 9600, latency_ms: 100, ram_budget_mib: 1}\n"
                               "stations:\n"
                               "  - {ri: RUEHAA, pla: AMEMBASSY ALPHA, router: hub}\n"
                               "  - {ri: RUEHBB, pla: AMEMBASSY BRAVO, router: hub}\n";
    enum { N = 9000 };
    char            *mp;
    size_t           len;
    int              next = 1, got = 0;
    rtr_core_stats_t st;
    net_free(x->net);
    x->net = net_load_mem("core", yaml, sizeof(yaml) - 1, &errs);
    assert_non_null(x->net);
    open_core(x, true);
    rtr_core_attach(x->core, x->a, &x->conn, -1);
    for (int i = 1; i <= N; i++) {
        make_cable(&mp, &len, "RUEHAA", i, "RUEHBB", "AMEMBASSY BRAVO", CABLE_PREC_R, 300);
        frame_in(x, x->a, mp, len, (i - 1) % 10000);
        free(mp);
        if (i % 500 == 0)
            make_durable(x);
    }
    make_durable(x);
    rtr_core_stats(x->core, &st);
    assert_int_equal(st.queued_now, N);
    assert_true(x->b->tx.q.level[4].spilled > 0); /* most of them only in the journal */
    assert_true(x->b->tx.q.ram_n <= 4096); /* 1 MiB of budget / 256 bytes an entry */
    assert_int_equal(x->b->tx.q.ram_n + x->b->tx.q.level[4].spilled, N);
    n_out = 0;
    rtr_core_attach(x->core, x->b, &x->conn, -1);
    for (int i = 0; i < n_out; i++) {
        int serial;
        if (out[i].type != LINK_T_CABLE || out[i].port != x->b->idx)
            continue;
        assert_int_equal(sscanf(out[i].id, "RUEHAA#%d", &serial), 1);
        assert_int_equal(serial, next); /* in order, none twice */
        next++;
        got++;
        ack_in(x, x->b, out[i].csn); /* may send more: they land behind */
    }
    assert_int_equal(got, N);
    rtr_core_stats(x->core, &st);
    assert_int_equal(st.pending_cables, 0);
    assert_int_equal(st.queued_now, 0);
    close_core(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_custody_ack_after_durable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preemption_on_slow_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_and_recovery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_processing_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spill_to_journal_and_back, setup, teardown),
    };
    return cmocka_run_group_tests_name("rtr_core", tests, NULL, NULL);
}
