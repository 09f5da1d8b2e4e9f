/*
 * test_rtr_queue.c - precedence queues and the link transmitter, driven by a
 * manual scheduler: strict order Y > Z > O > P > R, FIFO within a level, the
 * RAM budget, exact transmission and arrival times on a slow link, FLASH
 * preempting ROUTINE (and the preempted cable sent again from its start),
 * IMMEDIATE preempting only where configured, wire speed with pause/resume.
 */
#include "testutil.h"
#include "rtr_queue.h"

#include <stdlib.h>

typedef struct ev_rec {
    char       what; /* 's' start, 'p' preempted, 'd' done */
    uint64_t   rec;
    sim_time_t at, arrival;
} ev_rec_t;

static ev_rec_t log_v[256];
static int      log_n;

static int on_start(rtr_txlink_t *l, rtr_qent_t *e, sim_time_t now)
{
    (void)l;
    log_v[log_n++] = (ev_rec_t){'s', e->rec, now, 0};
    return 0;
}

static void on_preempted(rtr_txlink_t *l, rtr_qent_t *e, sim_time_t now)
{
    (void)l;
    log_v[log_n++] = (ev_rec_t){'p', e->rec, now, 0};
}

static void on_done(rtr_txlink_t *l, rtr_qent_t *e, sim_time_t end, sim_time_t arrival)
{
    (void)l;
    log_v[log_n++] = (ev_rec_t){'d', e->rec, end, arrival};
    sim_buf_free(e->data);
}

static const rtr_txlink_ops_t ops = {NULL, on_start, on_preempted, on_done};

static rtr_qent_t ent(uint64_t rec, cable_prec_t p, uint32_t bytes)
{
    rtr_qent_t e = {0};
    e.rec = rec;
    e.prec = (uint8_t)p;
    e.bytes = bytes;
    e.data = sim_buf_alloc(bytes);
    memset(e.data, 'x', bytes);
    return e;
}

static void expect(int i, char what, uint64_t rec, sim_time_t at)
{
    if (log_v[i].what != what || log_v[i].rec != rec || log_v[i].at != at)
        fail_msg("event %d: got %c %llu at %lld, want %c %llu at %lld", i, log_v[i].what,
                 (unsigned long long)log_v[i].rec, (long long)log_v[i].at, what,
                 (unsigned long long)rec, (long long)at);
}

static void test_strict_order_fifo(void **state)
{
    rtr_queue_t  q;
    rtr_qent_t   e;
    cable_prec_t in[] = {CABLE_PREC_R, CABLE_PREC_P, CABLE_PREC_O, CABLE_PREC_R,
                         CABLE_PREC_Z, CABLE_PREC_Y, CABLE_PREC_P, CABLE_PREC_NONE};
    uint64_t     want[] = {5, 4, 2, 1, 6, 0, 3, 7};
    (void)state;
    rtr_queue_init(&q, 1 << 20);
    for (uint64_t i = 0; i < 8; i++) {
        e = ent(i, in[i], 10);
        rtr_queue_push(&q, &e);
    }
    assert_int_equal(rtr_queue_top(&q), CABLE_PREC_Y);
    for (int i = 0; i < 8; i++) {
        assert_non_null(rtr_queue_head(&q));
        assert_int_equal(rtr_queue_head(&q)->rec, want[i]); /* what pop gives next */
        assert_true(rtr_queue_pop(&q, &e));
        assert_int_equal(e.rec, want[i]);
        sim_buf_free(e.data);
    }
    assert_false(rtr_queue_pop(&q, &e));
    assert_null(rtr_queue_head(&q));
    /* Thousands through the rings, with wrap-around and growth. */
    for (uint64_t i = 0; i < 5000; i++) {
        e = ent(i, (i % 3) ? CABLE_PREC_R : CABLE_PREC_P, 1);
        rtr_queue_push(&q, &e);
        if (i % 2) {
            assert_true(rtr_queue_pop(&q, &e));
            sim_buf_free(e.data);
        }
    }
    {
        uint64_t last_p = 0, last_r = 0;
        bool     seen_r = false;
        while (rtr_queue_pop(&q, &e)) {
            if (e.prec == CABLE_PREC_P) {
                assert_false(seen_r); /* every P before any R */
                assert_true(e.rec >= last_p);
                last_p = e.rec;
            } else {
                seen_r = true;
                assert_true(e.rec >= last_r);
                last_r = e.rec;
            }
            sim_buf_free(e.data);
        }
    }
    rtr_queue_destroy(&q);
}

static void test_head_requeue_and_budget(void **state)
{
    rtr_queue_t q;
    rtr_qent_t  e;
    (void)state;
    rtr_queue_init(&q, 3000);
    for (uint64_t i = 0; i < 10; i++) {
        e = ent(i, CABLE_PREC_R, 1000);
        rtr_queue_push(&q, &e);
    }
    assert_true(q.cached_bytes <= 3000);
    assert_int_equal(q.cached_bytes, 3000);
    assert_int_equal(q.n, 10);
    assert_true(rtr_queue_pop(&q, &e));
    assert_int_equal(e.rec, 0);
    assert_non_null(e.data); /* first three kept in RAM */
    rtr_queue_push_head(&q, &e);
    assert_true(rtr_queue_pop(&q, &e));
    assert_int_equal(e.rec, 0);
    sim_buf_free(e.data);
    for (int i = 1; i < 10; i++) {
        assert_true(rtr_queue_pop(&q, &e));
        assert_int_equal(e.rec, (uint64_t)i);
        if (i >= 3)
            assert_null(e.data); /* spilled: read back from the journal */
        sim_buf_free(e.data);
    }
    assert_int_equal(q.cached_bytes, 0);
    rtr_queue_destroy(&q);
}

static void test_slow_link_times(void **state)
{
    sim_sched_t  s;
    rtr_txlink_t l;
    rtr_qent_t   e;
    (void)state;
    log_n = 0;
    sim_sched_init(&s, 0);
    /* 9600 bit/s, 50 ms latency: 1200 bytes take exactly one second. */
    rtr_txlink_init(&l, &s, &ops, 9600, 50000, false, 1 << 20, 1);
    e = ent(1, CABLE_PREC_R, 1200);
    rtr_txlink_push(&l, &e, 0);
    sim_sched_run_until(&s, 100000);
    e = ent(2, CABLE_PREC_P, 600);
    rtr_txlink_push(&l, &e, 100000);
    e = ent(3, CABLE_PREC_R, 600);
    rtr_txlink_push(&l, &e, 200000);
    sim_sched_run_until(&s, SIM_TIME_NEVER);
    assert_int_equal(log_n, 6);
    expect(0, 's', 1, 0);
    expect(1, 'd', 1, 1000000);
    assert_int_equal(log_v[1].arrival, 1050000);
    expect(2, 's', 2, 1000000); /* PRIORITY goes before the later ROUTINE */
    expect(3, 'd', 2, 1500000);
    expect(4, 's', 3, 1500000);
    expect(5, 'd', 3, 2000000);
    rtr_txlink_destroy(&l);
    sim_sched_destroy(&s);
}

static void test_flash_preempts_routine(void **state)
{
    sim_sched_t  s;
    rtr_txlink_t l;
    rtr_qent_t   e;
    (void)state;
    log_n = 0;
    sim_sched_init(&s, 0);
    rtr_txlink_init(&l, &s, &ops, 9600, 0, false, 1 << 20, 1);
    e = ent(1, CABLE_PREC_R, 1200);
    rtr_txlink_push(&l, &e, 0);
    sim_sched_run_until(&s, 400000);
    e = ent(2, CABLE_PREC_Z, 120); /* 0.1 s */
    rtr_txlink_push(&l, &e, 400000);
    sim_sched_run_until(&s, SIM_TIME_NEVER);
    expect(0, 's', 1, 0);
    expect(1, 'p', 1, 400000); /* interrupted at the FLASH's arrival */
    expect(2, 's', 2, 400000); /* the FLASH waits for nothing */
    expect(3, 'd', 2, 500000);
    expect(4, 's', 1, 500000); /* the ROUTINE again, from its start */
    expect(5, 'd', 1, 1500000);
    assert_int_equal(l.preemptions, 1);
    rtr_txlink_destroy(&l);
    sim_sched_destroy(&s);
}

static void test_immediate_preempts_only_when_configured(void **state)
{
    sim_sched_t  s;
    rtr_txlink_t l;
    rtr_qent_t   e;
    (void)state;
    for (int conf = 0; conf < 2; conf++) {
        log_n = 0;
        sim_sched_init(&s, 0);
        rtr_txlink_init(&l, &s, &ops, 9600, 0, conf == 1, 1 << 20, 1);
        e = ent(1, CABLE_PREC_P, 1200);
        rtr_txlink_push(&l, &e, 0);
        e = ent(2, CABLE_PREC_O, 120);
        rtr_txlink_push(&l, &e, 300000);
        sim_sched_run_until(&s, SIM_TIME_NEVER);
        if (conf == 0) {
            expect(1, 'd', 1, 1000000); /* PRIORITY finishes */
            expect(2, 's', 2, 1000000);
        } else {
            expect(1, 'p', 1, 300000);
            expect(2, 's', 2, 300000);
        }
        rtr_txlink_destroy(&l);
        sim_sched_destroy(&s);
    }
    /* A FLASH does not preempt a FLASH; a Y preempts a FLASH. */
    log_n = 0;
    sim_sched_init(&s, 0);
    rtr_txlink_init(&l, &s, &ops, 9600, 0, false, 1 << 20, 1);
    e = ent(1, CABLE_PREC_Z, 1200);
    rtr_txlink_push(&l, &e, 0);
    e = ent(2, CABLE_PREC_Z, 120);
    rtr_txlink_push(&l, &e, 100);
    e = ent(3, CABLE_PREC_Y, 120);
    rtr_txlink_push(&l, &e, 200);
    sim_sched_run_until(&s, SIM_TIME_NEVER);
    expect(1, 'p', 1, 200);
    expect(2, 's', 3, 200);
    rtr_txlink_destroy(&l);
    sim_sched_destroy(&s);
}

static void test_wire_speed_pause_resume(void **state)
{
    sim_sched_t  s;
    rtr_txlink_t l;
    rtr_qent_t   e;
    (void)state;
    log_n = 0;
    sim_sched_init(&s, 0);
    rtr_txlink_init(&l, &s, &ops, 0, 0, false, 1 << 20, 1);
    rtr_txlink_pause(&l); /* peer not connected */
    e = ent(1, CABLE_PREC_R, 100);
    rtr_txlink_push(&l, &e, 0);
    e = ent(2, CABLE_PREC_Z, 100);
    rtr_txlink_push(&l, &e, 0);
    e = ent(3, CABLE_PREC_P, 100);
    rtr_txlink_push(&l, &e, 0);
    assert_int_equal(log_n, 0);
    assert_int_equal(rtr_txlink_queued(&l), 3);
    rtr_txlink_resume(&l, 7);
    assert_int_equal(log_n, 6);
    expect(0, 's', 2, 7);
    expect(1, 'd', 2, 7);
    expect(2, 's', 3, 7);
    expect(4, 's', 1, 7);
    /* Requeue (not acknowledged before a disconnect) goes to the head. */
    rtr_txlink_pause(&l);
    e = ent(4, CABLE_PREC_R, 10);
    rtr_txlink_push(&l, &e, 8);
    e = ent(5, CABLE_PREC_R, 10);
    rtr_txlink_requeue(&l, &e, 8);
    rtr_txlink_resume(&l, 9);
    expect(6, 's', 5, 9);
    expect(8, 's', 4, 9);
    rtr_txlink_destroy(&l);
    sim_sched_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strict_order_fifo),
        cmocka_unit_test(test_head_requeue_and_budget),
        cmocka_unit_test(test_slow_link_times),
        cmocka_unit_test(test_flash_preempts_routine),
        cmocka_unit_test(test_immediate_preempts_only_when_configured),
        cmocka_unit_test(test_wire_speed_pause_resume),
    };
    return cmocka_run_group_tests_name("rtr_queue", tests, NULL, NULL);
}
