/*
 * test_rtr_sync.c - rounds of virtual time without sockets: the keeper
 * grants nothing before every party reported, nothing while frames are in
 * flight, [G, G + L) after, only to the parties with an event in it, and
 * the end (to all) when no party has an event; a party reports once per
 * change.
 */
#include "link/link_frame.h"
#include "rtr_sync.h"
#include "testutil.h"

#include <string.h>

static const char net_yaml[] =
    "routers:\n  - {name: a, listen: \"127.0.0.1:1\"}\n  - {name: b, listen: \"127.0.0.1:2\"}\n"
    "trunks:\n  - {a: a, b: b, latency_ms: 20}\n"
    "links:\n  defaults: {latency_ms: 50}\n"
    "stations:\n  - {ri: RUEHC, pla: SECSTATE WASHDC, router: a}\n"
    "  - {ri: RUEHLO, pla: AMEMBASSY LONDON, router: b, host: posts}\n";

static void test_keeper_rounds(void **state)
{
    net_errors_t      errs = {0};
    net_network_t    *net = net_load_mem("t", net_yaml, strlen(net_yaml), &errs);
    rtr_sync_keeper_t k;
    uint64_t          rnd;
    sim_time_t        h;
    char              missing[256];
    (void)state;
    assert_non_null(net);
    rtr_sync_keeper_init(&k, net, false);
    assert_int_equal(k.n, 4); /* router:a, router:b, host:a, host:posts */
    assert_int_equal(k.lookahead, 20000);
    assert_true(rtr_sync_keeper_find(&k, "host:posts", 10) >= 0);
    assert_int_equal(rtr_sync_keeper_find(&k, "host:none", 9), -1);
    for (uint32_t i = 0; i < 3; i++)
        rtr_sync_keeper_report(&k, i, 0, i == 2 ? 5000000 : SIM_TIME_NEVER, 0, 0);
    assert_false(rtr_sync_keeper_poll(&k, &rnd, &h)); /* one party missing */
    assert_int_equal(rtr_sync_keeper_missing(&k, missing, sizeof(missing)), 1);
    assert_string_equal(missing, "host:posts");
    rtr_sync_keeper_report(&k, 3, 0, 7000000, 0, 0);
    assert_true(rtr_sync_keeper_poll(&k, &rnd, &h));
    assert_int_equal(rnd, 1);
    assert_int_equal(h, 5000000 + 20000);
    /* Only party 2 has an event before the horizon: only it is granted. */
    assert_true(rtr_sync_keeper_granted(&k, 2));
    assert_false(rtr_sync_keeper_granted(&k, 0));
    assert_false(rtr_sync_keeper_granted(&k, 3));
    assert_false(rtr_sync_keeper_poll(&k, &rnd, &h)); /* party 2 is in its window */
    /* Round 1: party 2 sent a frame that party 0 has not reported yet. */
    rtr_sync_keeper_report(&k, 2, 1, 7000000, 1, 0);
    rtr_sync_keeper_report(&k, 3, 2, 1, 0, 0); /* a round never granted to it: ignored */
    assert_int_equal(k.p[3].next, 7000000);
    assert_false(rtr_sync_keeper_poll(&k, &rnd, &h)); /* in flight: 1 sent, 0 received */
    /* Party 0 was not granted round 1: it reports its last grant's round
     * (none yet) with the frame received, its event at 5.05 s. */
    rtr_sync_keeper_report(&k, 0, 0, 5050000, 0, 1);
    assert_true(rtr_sync_keeper_poll(&k, &rnd, &h));
    assert_int_equal(rnd, 2);
    assert_int_equal(h, 5050000 + 20000);
    assert_true(rtr_sync_keeper_granted(&k, 0));
    assert_false(rtr_sync_keeper_granted(&k, 2));
    assert_false(rtr_sync_keeper_poll(&k, &rnd, &h)); /* party 0 is in its window */
    rtr_sync_keeper_report(&k, 0, 2, SIM_TIME_NEVER, 0, 1);
    /* Round 3: parties 2 and 3 have their events at 7 s. */
    assert_true(rtr_sync_keeper_poll(&k, &rnd, &h));
    assert_int_equal(rnd, 3);
    assert_int_equal(h, 7000000 + 20000);
    assert_true(rtr_sync_keeper_granted(&k, 2) && rtr_sync_keeper_granted(&k, 3));
    assert_false(rtr_sync_keeper_granted(&k, 0) || rtr_sync_keeper_granted(&k, 1));
    rtr_sync_keeper_report(&k, 2, 3, SIM_TIME_NEVER, 1, 0);
    assert_false(rtr_sync_keeper_poll(&k, &rnd, &h));
    rtr_sync_keeper_report(&k, 3, 3, SIM_TIME_NEVER, 0, 0);
    /* Nobody has anything left: the end, granted to every party. */
    assert_true(rtr_sync_keeper_poll(&k, &rnd, &h));
    assert_int_equal(h, SIM_TIME_NEVER);
    assert_true(k.ended);
    for (uint32_t i = 0; i < 4; i++)
        assert_true(rtr_sync_keeper_granted(&k, i));
    assert_int_equal(k.grants, 1 + 1 + 2 + 4);
    assert_false(rtr_sync_keeper_poll(&k, &rnd, &h));
    rtr_sync_keeper_destroy(&k);
    net_free(net);
}

static void test_party_reports_once_per_change(void **state)
{
    rtr_sync_party_t p;
    uint64_t         rnd, sent, recv;
    (void)state;
    rtr_sync_party_init(&p);
    assert_true(p.horizon < 0); /* nothing may be handled before round 1 */
    assert_true(rtr_sync_party_report(&p, 100, &rnd, &sent, &recv));
    assert_false(rtr_sync_party_report(&p, 100, &rnd, &sent, &recv));
    p.recv++;
    assert_true(rtr_sync_party_report(&p, 100, &rnd, &sent, &recv));
    assert_int_equal(recv, 1);
    rtr_sync_party_grant(&p, 1, 500);
    rtr_sync_party_grant(&p, 1, 900); /* a repeat of the grant changes nothing */
    assert_int_equal(p.horizon, 500);
    assert_true(rtr_sync_party_report(&p, 600, &rnd, &sent, &recv));
    assert_int_equal(rnd, 1);
    rtr_sync_party_grant(&p, 2, SIM_TIME_NEVER);
    assert_true(p.ended);
    assert_false(rtr_sync_party_report(&p, 600, &rnd, &sent, &recv));
    assert_true(rtr_sync_counted(LINK_T_ACK, true));
    assert_false(rtr_sync_counted(LINK_T_ACK, false));
    assert_false(rtr_sync_counted(LINK_T_PROMISE, true));
    assert_int_equal(rtr_sync_link_latency(0, false), RTR_SYNC_MIN_LATENCY);
    assert_int_equal(rtr_sync_link_latency(80, true), RTR_SYNC_MIN_LATENCY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keeper_rounds),
        cmocka_unit_test(test_party_reports_once_per_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
