/*
 * test_node_replay.c - replay schedules without sockets: the bundled
 * sample as a schedule (originators, identities, expected deliveries, DTG
 * order), and the generator's schedule (--gen-rate): the same options give
 * the same schedule, arrivals at the asked rate, the sections of a message
 * filed together, each cable originated by a station of the network.
 */
#include "cable_gen.h"
#include "cable_msgpack.h"
#include "node_replay.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>

static net_network_t *sample_net(void)
{
    char           path[1024];
    net_errors_t   errs = {0};
    net_network_t *net;
    snprintf(path, sizeof(path), "%s/network.yaml", tu_sample_dir());
    net = net_load(path, &errs);
    net_errors_destroy(&errs);
    assert_non_null(net);
    return net;
}

static void test_sample_schedule(void **state)
{
    char           path[1024], err[256];
    net_network_t *net = sample_net();
    node_replay_t  r;
    (void)state;
    snprintf(path, sizeof(path), "%s/cables", tu_sample_dir());
    assert_int_equal(node_replay_load(&r, path, net, err, sizeof(err)), 0);
    assert_int_equal(r.n, 500);
    assert_int_equal(r.skipped, 0);
    assert_true(r.expected > r.n);
    for (size_t i = 0; i < r.n; i++) {
        assert_true(r.v[i].station < net->n_stations);
        /* The identity starts with the originating station's RI. */
        assert_memory_equal(r.v[i].id, net->stations[r.v[i].station].ri,
                            strlen(net->stations[r.v[i].station].ri));
        if (i)
            assert_true(r.v[i].dtg >= r.v[i - 1].dtg);
    }
    node_replay_free(&r);
    assert_int_equal(node_replay_load(&r, "/nonexistent/corpus", net, err, sizeof(err)) < 0, 1);
    assert_non_null(strstr(err, "/nonexistent/corpus"));
    net_free(net);
}

static void test_generated_schedule(void **state)
{
    net_network_t  *net = sample_net();
    node_replay_t   a, b;
    node_gen_opts_t o;
    char            err[256];
    size_t          messages = 0;
    (void)state;
    memset(&o, 0, sizeof(o));
    o.seed = 42;
    o.rate = 0.5; /* a message every 2 s on average */
    o.count = 2000;
    assert_int_equal(node_replay_generate(&a, net, &o, err, sizeof(err)), 0);
    assert_int_equal(node_replay_generate(&b, net, &o, err, sizeof(err)), 0);
    assert_int_equal(a.n, b.n);
    assert_true(a.n >= o.count); /* a message may have several sections */
    for (size_t i = 0; i < a.n; i++) {
        cable_t     c;
        const char *why = NULL;
        assert_string_equal(a.v[i].id, b.v[i].id);
        assert_int_equal(a.v[i].dtg, b.v[i].dtg);
        assert_int_equal(a.v[i].mp_len, b.v[i].mp_len);
        assert_memory_equal(a.v[i].mp, b.v[i].mp, a.v[i].mp_len);
        assert_true(a.v[i].station < net->n_stations);
        if (i)
            assert_true(a.v[i].dtg >= a.v[i - 1].dtg);
        cable_init(&c);
        assert_int_equal(cable_msgpack_decode(&c, a.v[i].mp, a.v[i].mp_len, &why), 0);
        /* Filed at its own microsecond; its DTG is that minute. */
        assert_int_equal(cable_dtg_epoch(&c.dtg) / 60, a.v[i].dtg / SIM_USEC_PER_SEC / 60);
        if (c.section <= 1)
            messages++;
        else /* a later section: filed with the first */
            assert_int_equal(a.v[i].dtg, a.v[i - 1].dtg);
        cable_destroy(&c);
    }
    assert_int_equal(messages, o.count);
    {
        /* 2000 exponential gaps of mean 2 s: the mean is within 10 %. */
        double mean = (double)(a.v[a.n - 1].dtg -
                               (sim_time_t)CABLE_GEN_DEFAULT_START * SIM_USEC_PER_SEC) /
                      (double)o.count / 1e6;
        fprintf(stderr, "mean gap %.3f s (rate 0.5/s)\n", mean);
        assert_true(mean > 1.8 && mean < 2.2);
    }
    node_replay_free(&b);
    o.seed = 43;
    assert_int_equal(node_replay_generate(&b, net, &o, err, sizeof(err)), 0);
    assert_true(b.v[0].dtg != a.v[0].dtg || strcmp(b.v[0].id, a.v[0].id) != 0);
    node_replay_free(&a);
    node_replay_free(&b);
    o.rate = 0;
    assert_int_equal(node_replay_generate(&a, net, &o, err, sizeof(err)), SIM_EUSAGE);
    net_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_schedule),
        cmocka_unit_test(test_generated_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
