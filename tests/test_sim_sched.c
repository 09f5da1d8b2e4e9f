/*
 * test_sim_sched.c - the event scheduler's total order (time, kind,
 * precedence, origin, serial, section, link, then scheduling order),
 * cancellation, events scheduled from events, and the scaled clock's
 * absolute (drift-free) mapping, with an injected wall clock.
 */
#include "testutil.h"
#include "sim_sched.h"

#include <stdlib.h>

typedef struct rec {
    sim_event_t ev;
    int         id;
} rec_t;

static int order[64], n_order;

static void record_cb(sim_event_t *ev, sim_time_t now)
{
    rec_t *r = SIM_CONTAINER_OF(ev, rec_t, ev);
    (void)now;
    order[n_order++] = r->id;
}

static void test_order_and_ties(void **state)
{
    sim_sched_t s;
    rec_t       r[6];
    (void)state;
    n_order = 0;
    sim_sched_init(&s, 0);
    for (int i = 0; i < 6; i++) {
        sim_event_init(&r[i].ev);
        r[i].id = i;
    }
    sim_event_key(&r[0].ev, SIM_EV_TIMER, 1, "RUEHC", 5, 1, 1, 0);
    sim_event_key(&r[1].ev, SIM_EV_ARRIVAL, 1, "RUEHC", 5, 1, 1, 0);
    sim_event_key(&r[2].ev, SIM_EV_ARRIVAL, 4, "RUEHC", 5, 1, 1, 0); /* FLASH before ROUTINE */
    sim_event_key(&r[3].ev, SIM_EV_ARRIVAL, 1, "RUEHB", 5, 1, 1, 0); /* RI order */
    sim_event_key(&r[4].ev, SIM_EV_ARRIVAL, 1, "RUEHB", 5, 1, 1, 0); /* same key: FIFO */
    sim_event_key(&r[5].ev, SIM_EV_ARRIVAL, 5, "RUEHC", 5, 1, 1, 0);
    sim_sched_add(&s, &r[0].ev, 100, record_cb);
    sim_sched_add(&s, &r[1].ev, 100, record_cb);
    sim_sched_add(&s, &r[2].ev, 100, record_cb);
    sim_sched_add(&s, &r[3].ev, 100, record_cb);
    sim_sched_add(&s, &r[4].ev, 100, record_cb);
    sim_sched_add(&s, &r[5].ev, 50, record_cb);
    assert_int_equal(sim_sched_next(&s), 50);
    assert_int_equal(sim_sched_run_until(&s, 99), 1);
    assert_int_equal(s.now, 99);
    assert_int_equal(sim_sched_run_until(&s, 100), 5);
    int want[] = {5, 2, 3, 4, 1, 0};
    for (int i = 0; i < 6; i++)
        assert_int_equal(order[i], want[i]);
    assert_int_equal(sim_sched_next(&s), SIM_TIME_NEVER);
    sim_sched_destroy(&s);
}

static void test_cancel_and_move(void **state)
{
    sim_sched_t s;
    rec_t       r[100];
    (void)state;
    n_order = 0;
    sim_sched_init(&s, 0);
    for (int i = 0; i < 100; i++) {
        sim_event_init(&r[i].ev);
        r[i].id = i;
        sim_sched_add(&s, &r[i].ev, (sim_time_t)((i * 37) % 100), record_cb);
    }
    for (int i = 0; i < 100; i += 2)
        sim_sched_cancel(&s, &r[i].ev);
    assert_false(sim_event_pending(&r[0].ev));
    assert_true(sim_event_pending(&r[1].ev));
    sim_sched_add(&s, &r[1].ev, 1000, record_cb); /* move */
    sim_sched_run_until(&s, 999);
    assert_int_equal(n_order, 49);
    for (int i = 1; i < n_order; i++)
        assert_true((order[i - 1] * 37) % 100 < (order[i] * 37) % 100);
    sim_sched_run_until(&s, SIM_TIME_NEVER);
    assert_int_equal(order[49], 1);
    sim_sched_destroy(&s);
}

static sim_sched_t *chain_s;
static rec_t        chain;
static int          chain_n;

static void chain_cb(sim_event_t *ev, sim_time_t now)
{
    (void)ev;
    if (++chain_n < 10)
        sim_sched_add(chain_s, &chain.ev, now + 10, chain_cb);
}

static void test_events_schedule_events(void **state)
{
    sim_sched_t s;
    (void)state;
    sim_sched_init(&s, 0);
    chain_s = &s;
    chain_n = 0;
    sim_event_init(&chain.ev);
    sim_sched_add(&s, &chain.ev, 5, chain_cb);
    assert_int_equal(sim_sched_run_until(&s, 50), 5); /* 5, 15, 25, 35, 45 */
    assert_int_equal(sim_sched_run_until(&s, 1000), 5);
    assert_int_equal(chain_n, 10);
    sim_sched_destroy(&s);
}

static uint64_t fake_wall;
static uint64_t fake_wall_ns(void)
{
    return fake_wall;
}

static void test_scaled_clock_is_absolute(void **state)
{
    sim_clock_t c;
    (void)state;
    fake_wall = 5000000000ull;
    sim_clock_init(&c, SIM_CLOCK_SCALED, 3600.0, 1000 * SIM_USEC_PER_SEC);
    c.wall_ns = fake_wall_ns;
    c.wall0_ns = fake_wall;
    fake_wall += 1000000000ull; /* one wall second = one sim hour */
    assert_int_equal(sim_clock_now(&c), (1000 + 3600) * SIM_USEC_PER_SEC);
    /* A day of sim-time is 24 wall seconds from the start, computed from the
     * start, not by adding steps. */
    assert_int_equal(sim_clock_wall_ns(&c, (1000 + 86400) * SIM_USEC_PER_SEC),
                     5000000000ull + 24000000000ull);
    for (int i = 0; i < 100000; i++)
        fake_wall += 10000; /* many small steps */
    assert_int_equal(sim_clock_now(&c), (1000 + 3600 + 3600) * SIM_USEC_PER_SEC);
    assert_int_equal(sim_tx_time(1000, 9600), 833334);
    assert_int_equal(sim_tx_time(1000, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_ties),
        cmocka_unit_test(test_cancel_and_move),
        cmocka_unit_test(test_events_schedule_events),
        cmocka_unit_test(test_scaled_clock_is_absolute),
    };
    return cmocka_run_group_tests_name("sim_sched", tests, NULL, NULL);
}
