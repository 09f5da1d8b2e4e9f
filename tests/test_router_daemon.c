/*
 * test_router_daemon.c - integration tests over loopback with the real
 * router daemon: `cablesim router` runs as a child process (rtrproc.h) and
 * the stations of this process (node_station, node_load) and raw TCP peers
 * talk to it.
 *
 *   - a load through a router process: nothing lost, nothing twice;
 *   - kill -9 of the router at acknowledged-cable counts drawn from a seed,
 *     restarted on the same port and journal, several times in one load;
 *   - two routers joined by a trunk, stations on both;
 *   - precedence on a slow simulated link: a FLASH overtakes the ROUTINE
 *     cables queued ahead of it and preempts the one in transmission;
 *   - hostile or broken peers (oversized prefix, random bytes, unknown frame
 *     type, CABLE before HELLO, HELLO for a foreign RI, impersonation, a
 *     peer that never reads, a half-open peer, a flood of connections, a
 *     resend of a cable already in custody), each followed by legitimate
 *     traffic that must get through;
 *   - SIGTERM and restart: everything pending is delivered, and the journal
 *     verifies.
 *
 * No test sleeps: each waits for an event (the router's "listening on"
 * line, a process exit, a callback count, a frame, EOF) with a deadline
 * that only guards against a hang. Ports come from the router listening on
 * port 0; a restarted router gets the same one back.
 *
 * Environment: SIM_BIN (the cablesim binary), SIM_KILL_SEED (the kill -9
 * test's seed, to replay a run), SIM_TEST_FILTER (run only the tests whose
 * name matches this cmocka pattern, e.g. "*hostile*").
 */
#include "rtrproc.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "cable_gen.h"
#include "cable_msgpack.h"
#include "link/link_chan.h"
#include "link/link_frame.h"
#include "network.h"
#include "node_load.h"
#include "node_station.h"
#include "rtr_dlog.h"

#define WAIT_MS 20000u /* a deadline against hangs, never a pacing delay */

/* --- fixture: a temporary folder, a loop, a network, a router ---------- */

typedef struct fx {
    char          *dir;
    char           net_path[600], journal[600], logdir[600];
    uv_loop_t      loop;
    net_network_t *net;
    tu_rtr_t       rtr, rtr2; /* rtr2: a second router (the trunk test) */
    bool           have_rtr, have_rtr2;
} fx_t;

static int fx_setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->dir = tu_mkdtemp("daemon");
    if (!f->dir) {
        free(f);
        return -1;
    }
    snprintf(f->net_path, sizeof(f->net_path), "%s/network.yaml", f->dir);
    snprintf(f->journal, sizeof(f->journal), "%s/journal", f->dir);
    snprintf(f->logdir, sizeof(f->logdir), "%s/log", f->dir);
    uv_loop_init(&f->loop);
    *state = f;
    return 0;
}

static void close_any(uv_handle_t *h, void *ud)
{
    (void)ud;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static int fx_teardown(void **state)
{
    fx_t *f = *state;
    int   rc;
    if (f->have_rtr)
        tu_rtr_destroy(&f->rtr);
    if (f->have_rtr2)
        tu_rtr_destroy(&f->rtr2);
    /* Whatever the test closed finishes closing here; nothing may be left
     * (a leaked handle fails the test). After a failed test, what it left
     * open is closed by force so that the next test starts clean. */
    for (int i = 0; i < 8 && uv_loop_alive(&f->loop); i++)
        uv_run(&f->loop, UV_RUN_NOWAIT);
    rc = uv_loop_close(&f->loop);
    if (rc != 0) {
        fprintf(stderr, "%s: the loop still has handles:\n", __func__);
        uv_print_all_handles(&f->loop, stderr);
        uv_walk(&f->loop, close_any, NULL);
        uv_run(&f->loop, UV_RUN_NOWAIT);
        uv_loop_close(&f->loop);
    }
    net_free(f->net);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* Writes the network file and loads it. */
static void fx_net(fx_t *f, const char *yaml)
{
    net_errors_t errs = {0};
    assert_int_equal(tu_write_text(f->net_path, yaml), 0);
    f->net = net_load(f->net_path, &errs);
    if (!f->net)
        net_errors_fprint(stderr, f->net_path, &errs);
    net_errors_destroy(&errs);
    assert_non_null(f->net);
}

/* Starts router 'name' of the fixture's network; waits until it listens. */
static void fx_router(fx_t *f, const char *name, const char *const *extra)
{
    tu_rtr_init(&f->rtr, &f->loop, f->net_path, name, f->journal, extra);
    f->have_rtr = true;
    assert_int_equal(tu_rtr_start(&f->rtr), 0);
    assert_true(tu_rtr_wait_ready(&f->rtr, WAIT_MS));
    assert_true(f->rtr.port > 0);
}

static void report(const char *what, const node_load_result_t *r)
{
    fprintf(stderr,
            "%s: sent %llu, expected %llu, delivered %llu, lost %llu, duplicates %llu, "
            "suppressed repeats %llu, reconnects %llu, resent %llu, service messages %llu\n",
            what, (unsigned long long)r->total.sent, (unsigned long long)r->total.expected,
            (unsigned long long)r->total.delivered, (unsigned long long)r->total.lost,
            (unsigned long long)r->total.duplicates, (unsigned long long)r->total.suppressed,
            (unsigned long long)r->reconnects, (unsigned long long)r->resent,
            (unsigned long long)r->services);
}

static void assert_exact(const node_load_result_t *r)
{
    assert_true(r->total.sent > 0);
    assert_int_equal(r->total.lost, 0);
    assert_int_equal(r->total.duplicates, 0);
    assert_int_equal(r->total.delivered, r->total.expected);
}

static void load_opts(node_load_opts_t *o, const fx_t *f, const uint32_t *stations, uint32_t n)
{
    memset(o, 0, sizeof(*o));
    o->net = f->net;
    o->stations = stations;
    o->n_stations = n;
    o->router_host = "127.0.0.1";
    o->router_port = f->rtr.port;
    o->rate = 200;
    o->duration_s = 0.5;
    o->drain_s = 30;
    o->size = 700;
    o->seed = 11;
    o->window = 50;
}

/* A router that exited although the test did not stop it (a crash, or a
 * signal from outside) fails the test with that, not with its symptoms. */
static void assert_router_alive(const tu_rtr_t *r, const char *when)
{
    if (!r->running)
        fail_msg("the router process exited %s (status %lld, signal %d) unasked", when,
                 (long long)r->exit_status, r->term_signal);
}

/* Legitimate traffic among stations first .. first+n-1 of the network:
 * everything arrives exactly once. */
static void legit_traffic(fx_t *f, uint32_t first, uint32_t n, const char *what)
{
    uint32_t           st[16];
    node_load_opts_t   o;
    node_load_result_t res;
    char               err[256];
    assert_true(n <= 16);
    for (uint32_t i = 0; i < n; i++)
        st[i] = first + i;
    load_opts(&o, f, st, n);
    assert_int_equal(node_load_run(&f->loop, &o, &res, err, sizeof(err)), 0);
    report(what, &res);
    assert_router_alive(&f->rtr, what);
    assert_exact(&res);
}

/* Runs the `cablesim journal DIR --verify` command; returns its exit code. */
static int journal_verify(const char *dir)
{
    char cmd[2048];
    int  st;
    snprintf(cmd, sizeof(cmd), "'%s' journal '%s' --verify 1>&2 </dev/null", tu_bin(), dir);
    st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* --- stations driven directly (node_station) ----------------------------- */

typedef struct tcab {
    char        *mp;
    size_t       len;
    char         id[64];
    cable_prec_t prec;
} tcab_t;

/* Cables from network station 'origin' to the other stations of 'subset',
 * at precedence 'prec' (NONE: the default mix); owned array. */
static tcab_t *make_cables(const net_network_t *net, const uint32_t *subset, uint32_t n_subset,
                           uint32_t origin, cable_prec_t prec, uint32_t count, uint64_t seed)
{
    cable_gen_opts_t go;
    cable_gen_t     *g;
    cable_t          c;
    tcab_t          *v = calloc(count ? count : 1, sizeof(*v));
    assert_non_null(v);
    cable_gen_opts_init(&go);
    go.seed = seed;
    go.size = 900;
    go.stations = subset;
    go.n_stations = n_subset;
    g = cable_gen_new(net, &go);
    assert_non_null(g);
    cable_init(&c);
    for (uint32_t i = 0; i < count; i++) {
        cable_gen_req_t req = {(int32_t)origin, 0, prec};
        assert_int_equal(cable_gen_next_req(g, &req, &c), 0);
        assert_int_equal(cable_msgpack_encode(&c, &v[i].mp, &v[i].len), 0);
        cable_id(&c, v[i].id, sizeof(v[i].id));
        v[i].prec = cable_precedence(&c);
    }
    cable_destroy(&c);
    cable_gen_free(g);
    return v;
}

static void free_cables(tcab_t *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        free(v[i].mp);
    free(v);
}

/* A station of the test: sends the cables given to it (keeping its custody
 * window full) and records what it receives, in arrival order. */
typedef struct tst {
    node_station_t *st;
    const tcab_t  **out; /* to send, in order (borrowed) */
    uint32_t        n_out, cap_out, next;
    uint32_t        acked, services, svc_codes[LINK_SVC_COUNT];
    char          (*in)[64]; /* distinct deliveries, in arrival order */
    uint32_t        n_in, cap_in, dups;
    bool            up, closed;
} tst_t;

static void tst_pump(tst_t *t)
{
    while (t->up && t->next < t->n_out && node_station_can_send(t->st)) {
        const tcab_t *c = t->out[t->next];
        if (node_station_send(t->st, c->mp, c->len, t->next) != 0)
            break;
        t->next++;
    }
}

static void tst_received(void *ud, node_station_t *st, const cable_t *c, const char *id,
                         sim_time_t at, bool duplicate)
{
    tst_t *t = ud;
    (void)st;
    (void)c;
    (void)at;
    if (duplicate) {
        t->dups++;
        return;
    }
    if (t->n_in == t->cap_in) {
        t->cap_in = t->cap_in ? t->cap_in * 2 : 256;
        t->in = realloc(t->in, t->cap_in * sizeof(*t->in));
        if (!t->in)
            abort();
    }
    snprintf(t->in[t->n_in++], sizeof(t->in[0]), "%s", id);
}

static void tst_acked(void *ud, node_station_t *st, uint64_t cookie)
{
    tst_t *t = ud;
    (void)st;
    (void)cookie;
    t->acked++;
    tst_pump(t);
}

static void tst_service(void *ud, node_station_t *st, const link_frame_t *f)
{
    tst_t *t = ud;
    (void)st;
    t->services++;
    if ((unsigned)f->svc.code < LINK_SVC_COUNT)
        t->svc_codes[f->svc.code]++;
}

static void tst_link(void *ud, node_station_t *st, bool up)
{
    tst_t *t = ud;
    (void)st;
    t->up = up;
    tst_pump(t);
}

/* A station of the test on the heap: should a test fail with it still
 * open, its callbacks keep pointing at live memory while the teardown
 * closes the loop. */
static tst_t *tst_open(uv_loop_t *loop, const char *ri, int port)
{
    tst_t              *t = calloc(1, sizeof(*t));
    node_station_opts_t so;
    node_station_cbs_t  cb;
    assert_non_null(t);
    memset(&so, 0, sizeof(so));
    memset(&cb, 0, sizeof(cb));
    so.ri = ri;
    so.router_host = "127.0.0.1";
    so.router_port = port;
    so.window = 100;
    cb.ud = t;
    cb.received = tst_received;
    cb.acked = tst_acked;
    cb.service = tst_service;
    cb.link = tst_link;
    t->st = node_station_new(loop, &so, &cb);
    return t;
}

static void tst_queue(tst_t *t, const tcab_t *v, uint32_t n)
{
    if (t->n_out + n > t->cap_out) {
        t->cap_out = t->n_out + n + 64;
        t->out = realloc(t->out, t->cap_out * sizeof(*t->out));
        if (!t->out)
            abort();
    }
    for (uint32_t i = 0; i < n; i++)
        t->out[t->n_out++] = &v[i];
    tst_pump(t);
}

static void tst_closed_cb(void *ud)
{
    tst_t *t = ud;
    t->closed = true;
}

static bool tst_is_closed(void *ud)
{
    return ((tst_t *)ud)->closed;
}

static void tst_close(tst_t *t, uv_loop_t *loop)
{
    node_station_close(t->st, tst_closed_cb, t);
    assert_true(tu_run_until(loop, tst_is_closed, t, WAIT_MS));
    free(t->out);
    free(t->in);
    free(t);
}

static bool tst_is_up(void *ud)
{
    return ((tst_t *)ud)->up;
}

typedef struct count_wait {
    const uint32_t *counter;
    uint32_t        target;
} count_wait_t;

static bool count_reached(void *ud)
{
    const count_wait_t *w = ud;
    return *w->counter >= w->target;
}

static bool wait_count(uv_loop_t *loop, const uint32_t *counter, uint32_t target)
{
    count_wait_t w = {counter, target};
    return tu_run_until(loop, count_reached, &w, WAIT_MS);
}

/* wait_count on the fixture's loop; a router that died meanwhile is named
 * as the cause of a timeout. */
static void fx_wait_count(fx_t *f, const uint32_t *counter, uint32_t target)
{
    bool ok = wait_count(&f->loop, counter, target);
    if (!ok)
        assert_router_alive(&f->rtr, "while the test waited");
    assert_true(ok);
}

static int find_in(const tst_t *t, const char *id)
{
    for (uint32_t i = 0; i < t->n_in; i++)
        if (strcmp(t->in[i], id) == 0)
            return (int)i;
    return -1;
}

/* Every cable of v arrived at t exactly once (and nothing else did). */
static void assert_all_in(const tst_t *t, const tcab_t *v, uint32_t n)
{
    assert_int_equal(t->n_in, n);
    for (uint32_t i = 0; i < n; i++)
        if (find_in(t, v[i].id) < 0)
            fail_msg("cable %s never arrived", v[i].id);
}

/* --- 1. a load through a router process ------------------------------- */

/* A router process of a six-station network, and load options for all six. */
static void six_station_router(fx_t *f, node_load_opts_t *o, uint32_t st[6])
{
    char              *yaml = node_load_network_yaml("itest", 47999, 6);
    const char *const  extra[] = {"--no-link-model", NULL};
    for (uint32_t i = 0; i < 6; i++)
        st[i] = i;
    fx_net(f, yaml);
    free(yaml);
    fx_router(f, "itest", extra);
    load_opts(o, f, st, 6);
}

/* Runs the load: every cable delivered exactly once, the router alive
 * throughout, then stopped with a journal that verifies. */
static void run_exact_load(fx_t *f, const node_load_opts_t *o, const char *what,
                           node_load_result_t *res)
{
    char err[256];
    assert_int_equal(node_load_run(&f->loop, o, res, err, sizeof(err)), 0);
    report(what, res);
    assert_router_alive(&f->rtr, "during the load");
    assert_exact(res);
    assert_true(tu_rtr_stop(&f->rtr, WAIT_MS));
    assert_int_equal(journal_verify(f->journal), 0);
}

static void test_load_through_router(void **state)
{
    fx_t              *f = *state;
    uint32_t           st[6];
    node_load_opts_t   o;
    node_load_result_t res;
    six_station_router(f, &o, st);
    o.rate = 600;
    o.duration_s = 1;
    o.size = 1024;
    o.window = 100;
    run_exact_load(f, &o, "load through a router process", &res);
}

/* The same with stations that queue what their window cannot take yet (a
 * FLASH/ROUTINE mix, as fast as the router accepts): every cable made is
 * delivered exactly once, the queue drained in the drain phase. */
static void test_load_with_station_queues(void **state)
{
    fx_t              *f = *state;
    uint32_t           st[6];
    node_load_opts_t   o;
    node_load_result_t res;
    six_station_router(f, &o, st);
    o.rate = 0;
    o.duration_s = 0.5;
    o.size = 1024;
    o.window = 4;
    o.queue = 200;
    o.single = true;
    o.mix[CABLE_PREC_Z] = 1;
    o.mix[CABLE_PREC_R] = 9;
    run_exact_load(f, &o, "load with station queues", &res);
    assert_true(res.by_prec[CABLE_PREC_Z].sent > 0 && res.by_prec[CABLE_PREC_R].sent > 0);
}

/* --- 2. kill -9 (and SIGTERM) in the middle of a load, then restart ---- */

#define KILL_MAX 8

/* Signals the routers of a load in turn at acknowledged-cable counts, and
 * starts each again (same port, same journal) as soon as it has exited. */
typedef struct killer {
    tu_rtr_t  *rs[2];
    unsigned   n_rs;
    int        sig;
    uint64_t   points[KILL_MAX];
    unsigned   n, next;
    unsigned   kills;        /* children that died of sig (or stopped cleanly on SIGTERM) */
    unsigned   odd_exits;    /* exits we did not cause */
    unsigned   start_errors; /* restarts that failed to spawn or to listen */
    tu_rtr_t  *down;         /* signalled (or failed); not yet listening again */
    bool       stop;         /* node_load's stop flag */
    uint64_t   acked, stop_at, tail;
    uv_timer_t retry;        /* a restart that failed is tried again */
} killer_t;

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static bool killer_all_ready(const killer_t *k)
{
    for (unsigned i = 0; i < k->n_rs; i++)
        if (!k->rs[i]->ready)
            return false;
    return true;
}

static void killer_acked(void *ud, uint64_t total)
{
    killer_t *k = ud;
    k->acked = total;
    if (!k->down && killer_all_ready(k) && k->next < k->n && total >= k->points[k->next]) {
        tu_rtr_t *r = k->rs[k->next % k->n_rs];
        fprintf(stderr, "%s #%u (%s) at %llu acknowledged cables\n",
                k->sig == SIGKILL ? "kill -9" : "SIGTERM", k->next + 1, r->argv[5],
                (unsigned long long)total);
        k->down = r;
        k->next++;
        if (tu_rtr_kill(r, k->sig) != 0)
            k->odd_exits++;
    }
    if (k->next == k->n && !k->down && total >= k->stop_at)
        k->stop = true;
}

static void killer_retry_cb(uv_timer_t *t)
{
    killer_t *k = t->data;
    if (k->down && tu_rtr_start(k->down) != 0) {
        k->start_errors++;
        if (k->start_errors < 50)
            uv_timer_start(&k->retry, killer_retry_cb, 20, 0);
    }
}

static void killer_exit(tu_rtr_t *r)
{
    killer_t *k = r->ud;
    bool      sig_ok = k->sig == SIGKILL ? r->term_signal == SIGKILL
                                         : r->term_signal == 0 && r->exit_status == 0;
    if (r == k->down && sig_ok && k->kills < k->next)
        k->kills++;
    else if (r == k->down)
        k->start_errors++; /* a restarted router that could not listen (port taken?) */
    else
        k->odd_exits++;
    /* Start it again at once on the same port and journal; should that
     * fail, the retry timer tries again (a start-up race, not pacing). */
    k->down = r;
    if (k->start_errors < 50)
        killer_retry_cb(&k->retry);
}

static void killer_ready(tu_rtr_t *r)
{
    killer_t *k = r->ud;
    if (r == k->down)
        k->down = NULL;
    if (!k->down && k->next == k->n)
        k->stop_at = k->acked + k->tail;
}

static void killer_init(killer_t *k, uv_loop_t *loop, tu_rtr_t *const *rs, unsigned n_rs, int sig,
                        unsigned n, uint64_t seed, uint64_t min_gap, uint64_t spread)
{
    uint64_t s = seed, at = 0;
    memset(k, 0, sizeof(*k));
    k->n_rs = n_rs;
    k->sig = sig;
    k->n = n;
    k->tail = 300;
    for (unsigned i = 0; i < n; i++) {
        at += min_gap + splitmix(&s) % spread;
        k->points[i] = at;
    }
    if (n == 0)
        k->stop_at = k->tail;
    uv_timer_init(loop, &k->retry);
    k->retry.data = k;
    for (unsigned i = 0; i < n_rs; i++) {
        k->rs[i] = rs[i];
        rs[i]->ud = k;
        rs[i]->on_exit = killer_exit;
        rs[i]->on_ready = killer_ready;
    }
}

static void killer_done(killer_t *k, uv_loop_t *loop)
{
    for (unsigned i = 0; i < k->n_rs; i++) {
        k->rs[i]->on_exit = NULL;
        k->rs[i]->on_ready = NULL;
    }
    uv_timer_stop(&k->retry);
    uv_close((uv_handle_t *)&k->retry, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

static void killer_points(const killer_t *k, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < k->n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%llu", i ? "," : "",
                                (unsigned long long)k->points[i]);
}

static void killer_report(const killer_t *k, const char *what, uint64_t seed,
                          const node_load_result_t *res)
{
    char pts[256];
    killer_points(k, pts, sizeof(pts));
    report(what, res);
    fprintf(stderr,
            "%s: seed %llu, kill points %s, kills %u, odd exits %u, restart errors %u; "
            "sent %llu, delivered %llu/%llu, lost %llu, duplicates %llu, suppressed %llu\n",
            what, (unsigned long long)seed, pts, k->kills, k->odd_exits, k->start_errors,
            (unsigned long long)res->total.sent, (unsigned long long)res->total.delivered,
            (unsigned long long)res->total.expected, (unsigned long long)res->total.lost,
            (unsigned long long)res->total.duplicates,
            (unsigned long long)res->total.suppressed);
}

static uint64_t kill_seed(void)
{
    const char *s = getenv("SIM_KILL_SEED");
    return s && *s ? strtoull(s, NULL, 0) : 20261126u;
}

/* A load of 6 stations; the router gets 'sig' n times at acknowledged-cable
 * counts drawn from 'seed', and is started again each time on the same port
 * and journal. The window ends 300 acknowledgements after the last restart
 * (not on a clock), then the drain waits for every delivery. */
static void load_with_signals(fx_t *f, int sig, unsigned n, uint64_t seed, const char *what)
{
    char              *yaml = node_load_network_yaml("itest", 47999, 6);
    const char *const  extra[] = {"--no-link-model", NULL};
    uint32_t           st[6] = {0, 1, 2, 3, 4, 5};
    tu_rtr_t          *rs[1] = {&f->rtr};
    node_load_opts_t   o;
    node_load_result_t res;
    killer_t           k;
    char               err[256], pts[256];
    int                rc;
    fx_net(f, yaml);
    free(yaml);
    fx_router(f, "itest", extra);
    killer_init(&k, &f->loop, rs, 1, sig, n, seed, 50, 400);
    killer_points(&k, pts, sizeof(pts));
    fprintf(stderr, "%s: seed %llu (SIM_KILL_SEED to replay), kill points %s\n", what,
            (unsigned long long)seed, pts);
    load_opts(&o, f, st, 6);
    o.rate = 0;        /* as fast as the router takes custody */
    o.duration_s = 60; /* a cap: the window ends on the stop flag */
    o.size = 1024;
    o.window = 100;
    o.seed = seed;
    o.on_acked = killer_acked;
    o.hook_ud = &k;
    o.stop = &k.stop;
    rc = node_load_run(&f->loop, &o, &res, err, sizeof(err));
    killer_done(&k, &f->loop); /* before any assertion: k's timer lives on this stack */
    assert_int_equal(rc, 0);
    killer_report(&k, what, seed, &res);
    if (k.odd_exits)
        fail_msg("the router exited %u time(s) unasked (last: status %lld, signal %d)",
                 k.odd_exits, (long long)f->rtr.exit_status, f->rtr.term_signal);
    assert_int_equal(k.kills, n);
    assert_exact(&res);
    assert_true(tu_rtr_stop(&f->rtr, WAIT_MS));
    assert_int_equal(journal_verify(f->journal), 0);
}

static void test_kill9_restart(void **state)
{
    load_with_signals(*state, SIGKILL, 5, kill_seed(), "kill -9 and restart");
}

/* --- raw peers: plain blocking sockets, frames written and read by hand -- */

static int raw_connect(int port)
{
    struct sockaddr_in a;
    int                fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool raw_send(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        b += k;
        n -= (size_t)k;
    }
    return true;
}

static bool raw_frame(int fd, const link_frame_t *f)
{
    msgpack_sbuffer sb;
    bool            ok;
    msgpack_sbuffer_init(&sb);
    ok = link_frame_encode(f, &sb) == 0 && raw_send(fd, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return ok;
}

static bool raw_hello(int fd, const char *ri, int last_rx, uint32_t hb_ms)
{
    link_frame_t      h;
    link_hello_link_t l = {sim_span_str(ri), last_rx};
    link_frame_init(&h, LINK_T_HELLO);
    h.hello.role = LINK_ROLE_STATION;
    h.hello.links = &l;
    h.hello.n_links = 1;
    h.hello.hb_ms = hb_ms;
    return raw_frame(fd, &h);
}

static bool raw_cable(int fd, int csn, const tcab_t *c)
{
    link_frame_t f;
    link_frame_init(&f, LINK_T_CABLE);
    f.csn = csn;
    f.has_at = true;
    f.at = (sim_time_t)sim_wall_us();
    f.cable.c = sim_span(c->mp, c->len);
    return raw_frame(fd, &f);
}

/* What a raw peer read from the router. */
typedef struct raw_seen {
    link_reader_t rd;
    msgpack_zone  zone;
    unsigned      frames, hellos, hbs, acks;
    unsigned      svc[LINK_SVC_COUNT];
    bool          acked[64]; /* by csn, for the first 64 numbers */
    bool          closed;    /* EOF or reset */
    bool          broken;    /* a frame this test could not read */
    char          text[200]; /* the last service text */
} raw_seen_t;

static void raw_seen_init(raw_seen_t *s)
{
    memset(s, 0, sizeof(*s));
    link_reader_init(&s->rd, 0, 0);
    msgpack_zone_init(&s->zone, 4096);
}

static void raw_seen_destroy(raw_seen_t *s)
{
    link_reader_destroy(&s->rd);
    msgpack_zone_destroy(&s->zone);
}

static void raw_take(raw_seen_t *s)
{
    const char  *payload;
    size_t       len;
    link_frame_t f;
    while (link_reader_next(&s->rd, &payload, &len) == 0) {
        msgpack_zone_clear(&s->zone);
        if (link_frame_decode(payload, len, &f, &s->zone, NULL) != 0) {
            s->broken = true;
            continue;
        }
        s->frames++;
        switch (f.type) {
        case LINK_T_HELLO: s->hellos++; break;
        case LINK_T_HEARTBEAT: s->hbs++; break;
        case LINK_T_ACK:
            for (uint32_t k = 0; k < (f.ack.n ? f.ack.n : 1); k++) {
                int csn = link_csn_add(f.csn, (int)k);
                s->acks++;
                if (csn < 64)
                    s->acked[csn] = true;
            }
            break;
        case LINK_T_SVC:
            if ((unsigned)f.svc.code < LINK_SVC_COUNT)
                s->svc[f.svc.code]++;
            snprintf(s->text, sizeof(s->text), "%.*s", (int)SIM_MIN(f.svc.text.len, 190u),
                     f.svc.text.p ? f.svc.text.p : "");
            break;
        default: break;
        }
    }
}

/* Reads what the router sends until until(s, ud) holds, the router closes
 * the connection, or timeout_ms pass. Returns until's last value (or
 * s->closed when until is NULL). */
static bool raw_read(int fd, raw_seen_t *s, bool (*until)(const raw_seen_t *s, const void *ud),
                     const void *ud, unsigned timeout_ms)
{
    uint64_t deadline = uv_hrtime() / 1000000 + timeout_ms;
    for (;;) {
        uint64_t      now = uv_hrtime() / 1000000;
        struct pollfd p = {fd, POLLIN, 0};
        size_t        room;
        char         *space;
        ssize_t       k;
        if (until ? until(s, ud) : s->closed)
            return true;
        if (s->closed || now >= deadline)
            return false;
        if (poll(&p, 1, (int)(deadline - now)) <= 0)
            continue;
        space = link_reader_space(&s->rd, &room);
        if (!space) {
            s->broken = true;
            return false;
        }
        k = recv(fd, space, room, 0);
        if (k <= 0) {
            s->closed = true; /* EOF, or a reset after the router closed */
            continue;
        }
        link_reader_commit(&s->rd, (size_t)k);
        raw_take(s);
    }
}

static bool seen_hello(const raw_seen_t *s, const void *ud)
{
    (void)ud;
    return s->hellos > 0;
}

static bool seen_heartbeats(const raw_seen_t *s, const void *ud)
{
    (void)ud;
    return s->hbs >= 10;
}

static bool seen_ack(const raw_seen_t *s, const void *ud)
{
    int csn = *(const int *)ud;
    return s->acked[csn];
}

/* --- 3. two routers and a trunk ------------------------------------------ */

static const char two_routers_yaml[] =
    "routers:\n"
    "  - {name: rtr-a, listen: \"127.0.0.1:%d\"}\n"
    "  - {name: rtr-b, listen: \"127.0.0.1:%d\"}\n"
    "trunks:\n"
    "  - {a: rtr-a, b: rtr-b, bps: 1544000, latency_ms: 1}\n"
    "stations:\n"
    "  - {ri: RUAAAAA, pla: ALPHA STATION ONE, router: rtr-a}\n"
    "  - {ri: RUAAAAB, pla: ALPHA STATION TWO, router: rtr-a}\n"
    "  - {ri: RUAAAAC, pla: ALPHA STATION THREE, router: rtr-a}\n"
    "  - {ri: RUBBBBA, pla: BRAVO STATION ONE, router: rtr-b}\n"
    "  - {ri: RUBBBBB, pla: BRAVO STATION TWO, router: rtr-b}\n"
    "  - {ri: RUBBBBC, pla: BRAVO STATION THREE, router: rtr-b}\n"
    "routes:\n"
    "  prefixes:\n"
    "    - {prefix: RUAA, router: rtr-a}\n"
    "    - {prefix: RUBB, router: rtr-b}\n"
    "  default: rtr-a\n";

static unsigned count_events(const rtr_dlog_set_t *s, rtr_dlog_event_t ev, const char *party,
                             const char *link)
{
    unsigned n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].event == ev && (!party || (s->v[i].party && !strcmp(s->v[i].party, party))) &&
            (!link || (s->v[i].link && !strcmp(s->v[i].link, link))))
            n++;
    return n;
}

/* Two router processes joined by a trunk, three stations on each; a load
 * between all six. With 'kills', the routers are killed with SIGKILL in
 * turn (A, B, A, ...) at acknowledged-cable counts drawn from 'seed' and
 * started again: custody then also passes across the trunk's restarts. */
static void two_routers(fx_t *f, unsigned kills, uint64_t seed, const char *what)
{
    char               yaml[2048], net_b[700], jb[700];
    const char *const  extra[] = {"--no-link-model", "--log", f->logdir, NULL};
    uint32_t           st[6] = {0, 1, 2, 3, 4, 5};
    int                ports[6];
    tu_rtr_t          *b = &f->rtr2;
    tu_rtr_t          *rs[2] = {&f->rtr, &f->rtr2};
    killer_t           k;
    node_load_opts_t   o;
    node_load_result_t res;
    rtr_dlog_set_t     set;
    const char        *dirs[1] = {f->logdir};
    size_t             torn = 0;
    char               err[256], pts[256];
    unsigned           ab, ba;
    int                fd, rc;
    /* Router B listens first (on a port of its choosing); A, which dials the
     * trunk (the lower name dials), then gets a network file with B's
     * address. Both files describe the same network otherwise. */
    snprintf(net_b, sizeof(net_b), "%s/network-b.yaml", f->dir);
    snprintf(jb, sizeof(jb), "%s/journal-b", f->dir);
    snprintf(yaml, sizeof(yaml), two_routers_yaml, 47001, 47002);
    assert_int_equal(tu_write_text(net_b, yaml), 0);
    tu_rtr_init(b, &f->loop, net_b, "rtr-b", jb, extra);
    f->have_rtr2 = true;
    assert_int_equal(tu_rtr_start(b), 0);
    assert_true(tu_rtr_wait_ready(b, WAIT_MS));
    snprintf(yaml, sizeof(yaml), two_routers_yaml, 47001, b->port);
    fx_net(f, yaml);
    fx_router(f, "rtr-a", extra);

    if (!kills) {
        /* A station homed on B is refused by A: impersonation, then closed. */
        raw_seen_t s;
        fd = raw_connect(f->rtr.port);
        assert_true(fd >= 0);
        raw_seen_init(&s);
        assert_true(raw_hello(fd, "RUBBBBA", -1, 2000));
        assert_true(raw_read(fd, &s, NULL, NULL, WAIT_MS));
        fprintf(stderr, "B's station at router A: '%s'\n", s.text);
        assert_int_equal(s.svc[LINK_SVC_IMPERSONATION], 1);
        raw_seen_destroy(&s);
        close(fd);
    }

    for (int i = 0; i < 6; i++)
        ports[i] = f->net->stations[i].router == 0 ? f->rtr.port : b->port;
    killer_init(&k, &f->loop, rs, 2, SIGKILL, kills, seed, 50, 400);
    killer_points(&k, pts, sizeof(pts));
    if (kills)
        fprintf(stderr, "%s: seed %llu (SIM_KILL_SEED to replay), kill points %s\n", what,
                (unsigned long long)seed, pts);
    load_opts(&o, f, st, 6);
    o.station_ports = ports;
    o.size = 1024;
    o.window = 100;
    o.seed = seed;
    if (kills) {
        o.rate = 0;
        o.duration_s = 60; /* a cap: the window ends on the stop flag */
        o.on_acked = killer_acked;
        o.hook_ud = &k;
        o.stop = &k.stop;
    } else {
        o.rate = 300;
        o.duration_s = 1;
    }
    rc = node_load_run(&f->loop, &o, &res, err, sizeof(err));
    killer_done(&k, &f->loop);
    assert_int_equal(rc, 0);
    killer_report(&k, what, seed, &res);
    assert_int_equal(k.kills, kills);
    assert_int_equal(k.odd_exits, 0);
    assert_exact(&res);
    assert_true(tu_rtr_stop(&f->rtr, WAIT_MS));
    assert_true(tu_rtr_stop(b, WAIT_MS));
    assert_int_equal(journal_verify(f->journal), 0);
    assert_int_equal(journal_verify(jb), 0);

    /* Cables did cross the trunk, both ways. */
    assert_int_equal(rtr_dlog_read(dirs, 1, &set, &torn, err, sizeof(err)), 0);
    ab = count_events(&set, RTR_DLOG_TX_END, "rtr-a", "trunk:rtr-b");
    ba = count_events(&set, RTR_DLOG_TX_END, "rtr-b", "trunk:rtr-a");
    fprintf(stderr, "%s: trunk transmissions a->b %u, b->a %u\n", what, ab, ba);
    assert_true(ab > 0);
    assert_true(ba > 0);
    rtr_dlog_set_free(&set);
}

static void test_two_routers_trunk(void **state)
{
    two_routers(*state, 0, 5, "two routers and a trunk");
}

static void test_two_routers_kill9(void **state)
{
    two_routers(*state, 4, kill_seed(), "two routers, kill -9 in turn");
}

/* --- 4. precedence on a saturated slow link ------------------------------ */

static const char slow_link_yaml[] =
    "routers:\n"
    "  - {name: prec, listen: \"127.0.0.1:47003\"}\n"
    "links:\n"
    "  defaults: {bps: 9600, latency_ms: 10, o_preempts: false}\n"
    "stations:\n"
    "  - {ri: RUAAAAA, pla: ALPHA STATION ONE, router: prec}\n"
    "  - {ri: RUBBBBB, pla: BRAVO STATION ONE, router: prec}\n";

static const rtr_dlog_rec_t *find_rec(const rtr_dlog_set_t *s, rtr_dlog_event_t ev,
                                      const char *id, const char *link)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].event == ev && s->v[i].id && !strcmp(s->v[i].id, id) && s->v[i].link &&
            !strcmp(s->v[i].link, link))
            return &s->v[i];
    return NULL;
}

static void test_flash_overtakes_routine(void **state)
{
    /* At 9600 bit/s a 900-byte cable takes about 0.75 s of sim-time; at
     * --speed 10 that is 75 ms of wall time, so 16 ROUTINE cables keep the
     * receiver's link busy for more than a second. The FLASH is sent once
     * the first ROUTINE has arrived: the link is then transmitting the
     * second, with 14 more queued. */
    enum { N_ROUTINE = 16 };
    fx_t             *f = *state;
    const char *const extra[] = {"--speed", "10", "--log", f->logdir, NULL};
    uint32_t          subset[2] = {0, 1};
    tcab_t           *routine, *flash;
    tst_t            *a, *b;
    rtr_dlog_set_t    set;
    const char       *dirs[1] = {f->logdir};
    size_t            torn = 0;
    char              err[256];
    int               at;
    unsigned          preempted = 0, routine_between = 0;
    const rtr_dlog_rec_t *fq, *fs, *fe;

    fx_net(f, slow_link_yaml);
    fx_router(f, "prec", extra);
    routine = make_cables(f->net, subset, 2, 0, CABLE_PREC_R, N_ROUTINE, 5);
    flash = make_cables(f->net, subset, 2, 0, CABLE_PREC_Z, 1, 6);
    for (int i = 0; i < N_ROUTINE; i++)
        assert_int_equal(routine[i].prec, CABLE_PREC_R);
    assert_int_equal(flash[0].prec, CABLE_PREC_Z);

    b = tst_open(&f->loop, "RUBBBBB", f->rtr.port);
    a = tst_open(&f->loop, "RUAAAAA", f->rtr.port);
    assert_true(tu_run_until(&f->loop, tst_is_up, b, WAIT_MS));
    assert_true(tu_run_until(&f->loop, tst_is_up, a, WAIT_MS));
    tst_queue(a, routine, N_ROUTINE);
    fx_wait_count(f, &b->n_in, 1);
    tst_queue(a, flash, 1);
    fx_wait_count(f, &b->n_in, N_ROUTINE + 1);
    at = find_in(b, flash[0].id);
    fprintf(stderr, "FLASH arrived %d of %d (ROUTINE cables after it: %d)\n", at + 1,
            N_ROUTINE + 1, N_ROUTINE - at);
    assert_int_equal(b->n_in, N_ROUTINE + 1);
    for (int i = 0; i < N_ROUTINE; i++)
        assert_true(find_in(b, routine[i].id) >= 0);
    assert_true(at >= 1);
    assert_true(at < N_ROUTINE / 2); /* well ahead of the ROUTINE cables queued before it */
    assert_int_equal(b->dups, 0);
    tst_close(a, &f->loop);
    tst_close(b, &f->loop);
    assert_true(tu_rtr_stop(&f->rtr, WAIT_MS)); /* flushes the delivery log */

    /* The delivery log: on the receiver's link the FLASH was queued while a
     * ROUTINE was in transmission, which was preempted; the FLASH started
     * at once, and no ROUTINE was transmitted between its queueing and the
     * end of its own transmission. */
    assert_int_equal(rtr_dlog_read(dirs, 1, &set, &torn, err, sizeof(err)), 0);
    fq = find_rec(&set, RTR_DLOG_QUEUED, flash[0].id, "RUBBBBB");
    fs = find_rec(&set, RTR_DLOG_TX_START, flash[0].id, "RUBBBBB");
    fe = find_rec(&set, RTR_DLOG_TX_END, flash[0].id, "RUBBBBB");
    assert_non_null(fq);
    assert_non_null(fs);
    assert_non_null(fe);
    for (size_t i = 0; i < set.n; i++) {
        const rtr_dlog_rec_t *r = &set.v[i];
        if (!r->link || strcmp(r->link, "RUBBBBB") != 0 || r->precedence != CABLE_PREC_R)
            continue;
        if (r->event == RTR_DLOG_PREEMPTED && r->sim_time >= fq->sim_time &&
            r->sim_time <= fs->sim_time)
            preempted++;
        if (r->event == RTR_DLOG_TX_END && r->sim_time > fq->sim_time &&
            r->sim_time < fe->sim_time)
            routine_between++;
    }
    fprintf(stderr,
            "FLASH queued at +0, started at +%lld us, done at +%lld us (sim-time); "
            "ROUTINE preempted: %u\n",
            (long long)(fs->sim_time - fq->sim_time), (long long)(fe->sim_time - fq->sim_time),
            preempted);
    assert_int_equal(preempted, 1);
    assert_int_equal(routine_between, 0);
    /* The FLASH waited at most one transmission's worth (its own length,
     * about that of the ROUTINE cables). */
    assert_true(fs->sim_time - fq->sim_time <= fe->sim_time - fs->sim_time);
    rtr_dlog_set_free(&set);
    free_cables(routine, N_ROUTINE);
    free_cables(flash, 1);
}

/* --- 5. hostile or broken peers ----------------------------------------- */

/* A network of 12 stations; hostile peers use the first four, legitimate
 * traffic the others, so that the accounting of the legitimate load is not
 * touched by what a hostile peer managed to send. Two loads never play the
 * same stations against one router: the load engine's identities depend on
 * its stations only, and the router rightly suppresses a cable it has had
 * already. */
static void hostile_setup(fx_t *f, const char *heartbeat_ms)
{
    char             *yaml = node_load_network_yaml("itest", 47999, 12);
    const char *const extra[] = {"--no-link-model", "--log", f->logdir, "--heartbeat-ms",
                                 heartbeat_ms, NULL};
    fx_net(f, yaml);
    free(yaml);
    fx_router(f, "itest", extra);
}

/* Connects, sends 'bytes', and expects the router to close the connection
 * (after service message 'code', unless code is LINK_SVC_OTHER). */
static void expect_closed_after(const fx_t *f, const void *bytes, size_t len, link_svc_code_t code,
                                const char *what)
{
    int        fd = raw_connect(f->rtr.port);
    raw_seen_t s;
    assert_true(fd >= 0);
    raw_seen_init(&s);
    assert_true(raw_send(fd, bytes, len));
    assert_true(raw_read(fd, &s, NULL, NULL, WAIT_MS));
    fprintf(stderr, "%s: closed by the router; last service message '%s'\n", what, s.text);
    if (code != LINK_SVC_OTHER)
        assert_int_equal(s.svc[code], 1);
    assert_int_equal(s.acks, 0);
    raw_seen_destroy(&s);
    close(fd);
}

static void test_hostile_oversized_prefix(void **state)
{
    fx_t         *f = *state;
    unsigned char prefix[4] = {0xff, 0xff, 0xff, 0xf0};
    hostile_setup(f, "2000");
    expect_closed_after(f, prefix, sizeof(prefix), LINK_SVC_TOO_BIG, "oversized length prefix");
    legit_traffic(f, 4, 4, "after an oversized prefix");
    assert_router_alive(&f->rtr, "during the test");
}

static void test_hostile_random_bytes(void **state)
{
    fx_t    *f = *state;
    uint64_t s = 42;
    char     junk[4096];
    hostile_setup(f, "2000");
    for (int round = 0; round < 4; round++) {
        for (size_t i = 0; i < sizeof(junk); i += 8) {
            uint64_t r = splitmix(&s);
            memcpy(junk + i, &r, 8);
        }
        if (round % 2) {
            /* A plausible length, then bytes that are no msgpack map. */
            junk[0] = 0;
            junk[1] = 0;
            junk[2] = 1;
            junk[3] = 0;
        }
        expect_closed_after(f, junk, round % 2 ? 260 : sizeof(junk), LINK_SVC_OTHER,
                            "random bytes");
    }
    legit_traffic(f, 4, 4, "after random bytes");
}

static void test_hostile_unknown_type(void **state)
{
    fx_t           *f = *state;
    msgpack_sbuffer sb;
    msgpack_packer  pk;
    char            frame[64];
    uint32_t        n;
    hostile_setup(f, "2000");
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "v", 1);
    msgpack_pack_int(&pk, 1);
    msgpack_pack_str_with_body(&pk, "t", 1);
    msgpack_pack_str_with_body(&pk, "teleport", 8);
    n = (uint32_t)sb.size;
    frame[0] = (char)(n >> 24);
    frame[1] = (char)(n >> 16);
    frame[2] = (char)(n >> 8);
    frame[3] = (char)n;
    memcpy(frame + 4, sb.data, sb.size);
    expect_closed_after(f, frame, 4 + sb.size, LINK_SVC_PROTOCOL, "a frame of unknown type");
    msgpack_sbuffer_destroy(&sb);
    legit_traffic(f, 4, 4, "after an unknown frame type");
}

static void test_hostile_cable_before_hello(void **state)
{
    fx_t           *f = *state;
    uint32_t        subset[2] = {0, 1};
    tcab_t         *c;
    link_frame_t    fr;
    msgpack_sbuffer sb;
    hostile_setup(f, "2000");
    c = make_cables(f->net, subset, 2, 0, CABLE_PREC_R, 1, 3);
    link_frame_init(&fr, LINK_T_CABLE);
    fr.csn = 0;
    fr.has_at = true;
    fr.at = 1;
    fr.cable.c = sim_span(c[0].mp, c[0].len);
    msgpack_sbuffer_init(&sb);
    assert_int_equal(link_frame_encode(&fr, &sb), 0);
    expect_closed_after(f, sb.data, sb.size, LINK_SVC_PROTOCOL, "a CABLE before HELLO");
    msgpack_sbuffer_destroy(&sb);
    free_cables(c, 1);
    legit_traffic(f, 4, 4, "after a CABLE before HELLO");
}

static void test_hostile_foreign_hello(void **state)
{
    fx_t             *f = *state;
    link_frame_t      h;
    link_hello_link_t l = {sim_span_str("RUQQQQQ"), -1};
    msgpack_sbuffer   sb;
    hostile_setup(f, "2000");
    link_frame_init(&h, LINK_T_HELLO);
    h.hello.role = LINK_ROLE_STATION;
    h.hello.links = &l;
    h.hello.n_links = 1;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(link_frame_encode(&h, &sb), 0);
    expect_closed_after(f, sb.data, sb.size, LINK_SVC_IMPERSONATION,
                        "a HELLO for an RI not homed here");
    msgpack_sbuffer_destroy(&sb);
    legit_traffic(f, 4, 4, "after a foreign HELLO");
}

static void test_hostile_impersonation(void **state)
{
    fx_t      *f = *state;
    uint32_t   subset[2] = {0, 1};
    tcab_t    *theirs, *mine;
    raw_seen_t s;
    int        fd, one = 1;
    hostile_setup(f, "2000");
    /* RUZZAAB's cable, sent on RUZZAAA's link; then one of RUZZAAA's own. */
    theirs = make_cables(f->net, subset, 2, 1, CABLE_PREC_R, 1, 8);
    mine = make_cables(f->net, subset, 2, 0, CABLE_PREC_R, 1, 9);
    fd = raw_connect(f->rtr.port);
    assert_true(fd >= 0);
    raw_seen_init(&s);
    assert_true(raw_hello(fd, f->net->stations[0].ri, -1, 2000));
    assert_true(raw_read(fd, &s, seen_hello, NULL, WAIT_MS));
    assert_true(raw_cable(fd, 0, &theirs[0]));
    assert_true(raw_cable(fd, 1, &mine[0]));
    assert_true(raw_read(fd, &s, seen_ack, &one, WAIT_MS));
    fprintf(stderr, "impersonation: service message '%s'\n", s.text);
    assert_int_equal(s.svc[LINK_SVC_IMPERSONATION], 1);
    assert_false(s.acked[0]); /* never taken into custody */
    assert_false(s.closed);
    raw_seen_destroy(&s);
    close(fd);

    /* The impersonated station connects: it gets its own cable from
     * RUZZAAA, and nothing that claimed to be from itself. */
    {
        tst_t *b;
        b = tst_open(&f->loop, f->net->stations[1].ri, f->rtr.port);
        fx_wait_count(f, &b->n_in, 1);
        assert_all_in(b, mine, 1);
        tst_close(b, &f->loop);
    }
    free_cables(theirs, 1);
    free_cables(mine, 1);
    legit_traffic(f, 4, 4, "after an impersonation");
}

/* A station that sends a cable, loses the connection before it can read the
 * acknowledgement, and sends the cable again after it reconnects: the
 * router has it already, suppresses the repeat and must acknowledge it,
 * also when nothing else is happening. */
static void test_repeat_after_reconnect_acked(void **state)
{
    fx_t      *f = *state;
    uint32_t   subset[2] = {0, 1};
    tcab_t    *c;
    raw_seen_t s;
    int        fd, zero = 0;
    hostile_setup(f, "2000");
    c = make_cables(f->net, subset, 2, 0, CABLE_PREC_R, 1, 12);
    fd = raw_connect(f->rtr.port);
    assert_true(fd >= 0);
    raw_seen_init(&s);
    assert_true(raw_hello(fd, f->net->stations[0].ri, -1, 2000));
    assert_true(raw_cable(fd, 0, &c[0]));
    assert_true(raw_read(fd, &s, seen_ack, &zero, WAIT_MS));
    raw_seen_destroy(&s);
    close(fd);

    fd = raw_connect(f->rtr.port);
    assert_true(fd >= 0);
    raw_seen_init(&s);
    assert_true(raw_hello(fd, f->net->stations[0].ri, -1, 2000));
    assert_true(raw_read(fd, &s, seen_hello, NULL, WAIT_MS));
    assert_true(raw_cable(fd, 0, &c[0]));
    assert_true(raw_read(fd, &s, seen_ack, &zero, 5000));
    raw_seen_destroy(&s);
    close(fd);

    /* And the addressee has it once. */
    {
        tst_t *b;
        b = tst_open(&f->loop, f->net->stations[1].ri, f->rtr.port);
        fx_wait_count(f, &b->n_in, 1);
        assert_all_in(b, c, 1);
        assert_int_equal(b->dups, 0);
        tst_close(b, &f->loop);
    }
    free_cables(c, 1);
    legit_traffic(f, 4, 4, "after a repeat");
}

/* A raw station that says HELLO and never reads; a timer on the loop sends
 * its heartbeats, so it is not taken for half-open. */
typedef struct deaf {
    int        fd;
    uv_timer_t hb;
    char       frame[32];
    size_t     len;
} deaf_t;

static void deaf_hb_cb(uv_timer_t *t)
{
    deaf_t *d = t->data;
    (void)send(d->fd, d->frame, d->len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void deaf_closed_cb(uv_handle_t *h)
{
    free(h->data);
}

static unsigned count_tx_before(const rtr_dlog_set_t *s, const char *link, int64_t wall_us)
{
    unsigned n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].event == RTR_DLOG_TX_END && s->v[i].link && !strcmp(s->v[i].link, link) &&
            s->v[i].wall_time < wall_us)
            n++;
    return n;
}

static void test_hostile_never_reads(void **state)
{
    enum { N = 1500 };
    fx_t           *f = *state;
    uint32_t        subset[2] = {0, 1};
    tcab_t         *c;
    deaf_t         *d = calloc(1, sizeof(*d)); /* heap: see tst_open */
    tst_t          *y, *x;
    link_frame_t    hb;
    msgpack_sbuffer sb;
    rtr_dlog_set_t  set;
    const char     *dirs[1] = {f->logdir};
    size_t          torn = 0;
    char            err[256];
    int64_t         closed_at;
    unsigned        before;
    hostile_setup(f, "200");
    c = make_cables(f->net, subset, 2, 1, CABLE_PREC_R, N, 21);

    assert_non_null(d);
    d->fd = raw_connect(f->rtr.port);
    assert_true(d->fd >= 0);
    assert_true(raw_hello(d->fd, f->net->stations[0].ri, -1, 100));
    link_frame_init(&hb, LINK_T_HEARTBEAT);
    msgpack_sbuffer_init(&sb);
    assert_int_equal(link_frame_encode(&hb, &sb), 0);
    assert_true(sb.size <= sizeof(d->frame));
    memcpy(d->frame, sb.data, sb.size);
    d->len = sb.size;
    msgpack_sbuffer_destroy(&sb);
    uv_timer_init(&f->loop, &d->hb);
    d->hb.data = d;
    uv_timer_start(&d->hb, deaf_hb_cb, 50, 50);

    /* RUZZAAB sends 1500 cables to the deaf RUZZAAA while four other
     * stations exchange their own traffic. */
    y = tst_open(&f->loop, f->net->stations[1].ri, f->rtr.port);
    tst_queue(y, c, N);
    legit_traffic(f, 4, 4, "while a peer does not read");
    fx_wait_count(f, &y->acked, N); /* all in the router's custody */
    assert_router_alive(&f->rtr, "during the test");

    closed_at = (int64_t)sim_wall_us();
    close(d->fd);
    uv_timer_stop(&d->hb);
    uv_close((uv_handle_t *)&d->hb, deaf_closed_cb);

    /* The real RUZZAAA connects and gets every one of them, once. */
    x = tst_open(&f->loop, f->net->stations[0].ri, f->rtr.port);
    fx_wait_count(f, &x->n_in, N);
    assert_all_in(x, c, N);
    assert_int_equal(x->dups, 0);
    tst_close(x, &f->loop);
    tst_close(y, &f->loop);
    assert_true(tu_rtr_stop(&f->rtr, WAIT_MS));

    /* While it did not read, the router sent it at most one window of
     * cables (the unacknowledged numbers of a station link: 100 at most,
     * the router's default is smaller): the rest waited in the queue, not
     * in the connection's output. */
    assert_int_equal(rtr_dlog_read(dirs, 1, &set, &torn, err, sizeof(err)), 0);
    before = count_tx_before(&set, f->net->stations[0].ri, closed_at);
    fprintf(stderr, "never-reading peer: %u cables transmitted to it before it left\n", before);
    assert_true(before > 0);
    assert_true(before <= 100);
    rtr_dlog_set_free(&set);
    free_cables(c, N);
}

static void test_hostile_half_open(void **state)
{
    fx_t      *f = *state;
    raw_seen_t s;
    uint64_t   t0, ms;
    int        fd;
    hostile_setup(f, "100");
    fd = raw_connect(f->rtr.port);
    assert_true(fd >= 0);
    raw_seen_init(&s);
    t0 = uv_hrtime();
    assert_true(raw_hello(fd, f->net->stations[0].ri, -1, 100));
    /* Silent from here on: the router closes it after 3 heartbeats. */
    assert_true(raw_read(fd, &s, NULL, NULL, WAIT_MS));
    ms = (uv_hrtime() - t0) / 1000000;
    fprintf(stderr, "half-open peer closed after %llu ms: '%s'\n", (unsigned long long)ms, s.text);
    assert_true(ms >= 290); /* 3 x 100 ms, give or take the loops' ms clocks */
    assert_int_equal(s.hellos, 1);
    assert_true(s.svc[LINK_SVC_PROTOCOL] == 1);
    raw_seen_destroy(&s);
    close(fd);

    /* A quiet peer that announced a 2 s heartbeat is not half-open after
     * three of the router's 100 ms ones (PROTOCOL.md 7.2: H is the
     * peer's): it is still connected after ten of them. */
    fd = raw_connect(f->rtr.port);
    assert_true(fd >= 0);
    raw_seen_init(&s);
    assert_true(raw_hello(fd, f->net->stations[1].ri, -1, 2000));
    assert_true(raw_read(fd, &s, seen_heartbeats, NULL, WAIT_MS));
    fprintf(stderr, "a quiet peer with a 2 s heartbeat: %u router heartbeats, still open\n",
            s.hbs);
    assert_false(s.closed);
    raw_seen_destroy(&s);
    close(fd);
    legit_traffic(f, 4, 4, "after a half-open peer");
}

static void test_hostile_connection_flood(void **state)
{
    enum { FLOOD = 200 };
    fx_t *f = *state;
    int   fds[FLOOD];
    int   n = 0;
    hostile_setup(f, "2000");
    for (int i = 0; i < FLOOD; i++) {
        fds[i] = raw_connect(f->rtr.port);
        if (fds[i] < 0)
            break;
        n++;
        if (i % 3 == 1) {
            /* Half a frame: the router waits for the rest. */
            static const char part[] = {0, 0, 0, 100, (char)0x82};
            (void)raw_send(fds[i], part, sizeof(part));
        }
    }
    fprintf(stderr, "connection flood: %d connections open\n", n);
    assert_int_equal(n, FLOOD);
    legit_traffic(f, 4, 4, "during a connection flood");
    for (int i = 0; i < n; i++)
        close(fds[i]);
    legit_traffic(f, 8, 4, "after a connection flood");
    assert_router_alive(&f->rtr, "during the test");
}

/* --- 6. a clean stop (SIGTERM) and restart ------------------------------ */

static void test_sigterm_restart_load(void **state)
{
    load_with_signals(*state, SIGTERM, 2, 777, "SIGTERM and restart");
}

/* Cables for a station that is not connected wait in the journal across a
 * clean stop, and are delivered after the restart. */
static void test_sigterm_keeps_pending(void **state)
{
    enum { N = 300 };
    fx_t             *f = *state;
    char             *yaml = node_load_network_yaml("itest", 47999, 4);
    const char *const extra[] = {"--no-link-model", NULL};
    uint32_t          subset[2] = {0, 1};
    tcab_t           *c;
    tst_t            *a, *b;
    fx_net(f, yaml);
    free(yaml);
    fx_router(f, "itest", extra);
    c = make_cables(f->net, subset, 2, 0, CABLE_PREC_NONE, N, 31);
    a = tst_open(&f->loop, f->net->stations[0].ri, f->rtr.port);
    tst_queue(a, c, N);
    fx_wait_count(f, &a->acked, N);
    tst_close(a, &f->loop);
    assert_true(tu_rtr_stop(&f->rtr, WAIT_MS));
    assert_int_equal(journal_verify(f->journal), 0);

    assert_int_equal(tu_rtr_start(&f->rtr), 0);
    assert_true(tu_rtr_wait_ready(&f->rtr, WAIT_MS));
    b = tst_open(&f->loop, f->net->stations[1].ri, f->rtr.port);
    fx_wait_count(f, &b->n_in, N);
    assert_all_in(b, c, N);
    assert_int_equal(b->dups, 0);
    tst_close(b, &f->loop);
    assert_true(tu_rtr_stop(&f->rtr, WAIT_MS));
    assert_int_equal(journal_verify(f->journal), 0);
    free_cables(c, N);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_through_router, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_load_with_station_queues, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_kill9_restart, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_two_routers_trunk, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_two_routers_kill9, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_flash_overtakes_routine, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_oversized_prefix, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_random_bytes, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_unknown_type, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_cable_before_hello, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_foreign_hello, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_impersonation, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_repeat_after_reconnect_acked, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_never_reads, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_half_open, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_connection_flood, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_restart_load, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_keeps_pending, fx_setup, fx_teardown),
    };
    /* A router killed mid-write must not kill the test with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    if (getenv("SIM_TEST_FILTER"))
        cmocka_set_test_filter(getenv("SIM_TEST_FILTER"));
    return cmocka_run_group_tests_name("router_daemon", tests, NULL, NULL);
}
