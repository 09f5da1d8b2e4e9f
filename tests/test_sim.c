/*
 * test_sim.c - base helpers: arena, spans, error texts; DTG arithmetic.
 */
#include "testutil.h"
#include "cable.h"

#include <pthread.h>

static void test_arena_grows_and_resets(void **state)
{
    sim_arena_t a;
    (void)state;
    sim_arena_init(&a);
    for (int i = 0; i < 10000; i++) {
        char *p = sim_arena_alloc(&a, 100);
        memset(p, 'x', 100);
        assert_int_equal((uintptr_t)p % 8, 0);
    }
    assert_true(a.total >= 1000000);
    sim_arena_reset(&a);
    assert_int_equal(a.total, 0);
    char *s = sim_arena_strndup(&a, "RUEHC/SECSTATE", 5);
    assert_string_equal(s, "RUEHC");
    sim_arena_destroy(&a);
}

static void test_arena_grow_array(void **state)
{
    sim_arena_t a;
    uint32_t    cap = 0;
    int        *v = NULL;
    (void)state;
    sim_arena_init(&a);
    for (uint32_t i = 0; i < 1000; i++) {
        v = sim_arena_grow(&a, v, &cap, i + 1, sizeof(int));
        v[i] = (int)i;
    }
    for (int i = 0; i < 1000; i++)
        assert_int_equal(v[i], i);
    sim_arena_destroy(&a);
}

/* Buffers of the per-thread cache: usable to their size, reused after a
 * free (the cache gives back what it took), big ones straight from malloc,
 * and freed from another thread as well. */
static void *free_elsewhere(void *arg)
{
    sim_buf_free(arg);
    return NULL;
}

static void test_buf_cache(void **state)
{
    char     *a, *b, *big, *many[3000];
    pthread_t t;
    (void)state;
    a = sim_buf_alloc(1200);
    memset(a, 'a', 1200);
    sim_buf_free(a);
    b = sim_buf_alloc(1500); /* the same class (2 KiB): the same buffer */
    assert_ptr_equal(a, b);
    memset(b, 'b', 2048);
    sim_buf_free(b);
    sim_buf_free(NULL);
    big = sim_buf_alloc(100000);
    memset(big, 'c', 100000);
    sim_buf_free(big);
    /* More than the cache keeps: the rest go back to malloc (ASan and LSan
     * check that nothing leaks or is freed twice). */
    for (int i = 0; i < 3000; i++) {
        many[i] = sim_buf_alloc(1 + (size_t)i * 5);
        many[i][i * 5] = 'x';
    }
    for (int i = 0; i < 3000; i++) /* every other by its size */
        if (i % 2)
            sim_buf_free_n(many[i], 1 + (size_t)i * 5);
        else
            sim_buf_free(many[i]);
    /* Freed by its size: back on the same stack as by its header. */
    a = sim_buf_alloc(700);
    sim_buf_free_n(a, 700);
    b = sim_buf_alloc(1000); /* the same class (1 KiB) */
    assert_ptr_equal(a, b);
    sim_buf_free_n(b, 1000);
    big = sim_buf_alloc(70000);
    sim_buf_free_n(big, 70000);
    a = sim_buf_alloc(300);
    assert_int_equal(pthread_create(&t, NULL, free_elsewhere, a), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    a = sim_buf_alloc(300);
    assert_int_equal(pthread_create(&t, NULL, free_elsewhere, a), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
}

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(sim_strerror(SIM_EPARSE), "malformed input");
    assert_string_equal(sim_strerror(0), "success");
}

static void test_dtg_epoch_roundtrip(void **state)
{
    cable_dtg_t d = {2007, 5, 7, 13, 2, true};
    char        iso[21], txt[15];
    (void)state;
    int64_t t = cable_dtg_epoch(&d);
    assert_int_equal(t, 1178542920);
    cable_dtg_t e = cable_dtg_from_epoch(t);
    assert_int_equal(e.year, 2007);
    assert_int_equal(e.month, 5);
    assert_int_equal(e.day, 7);
    assert_int_equal(e.hour, 13);
    assert_int_equal(e.minute, 2);
    cable_dtg_iso(&d, iso);
    assert_string_equal(iso, "2007-05-07T13:02:00Z");
    cable_dtg_text(&d, txt);
    assert_string_equal(txt, "071302Z MAY 07");
    /* Every day from 1966 to 2030 survives the round trip. */
    for (int64_t day = -1461; day < 22000; day++) {
        cable_dtg_t x = cable_dtg_from_epoch(day * 86400 + 3600 * 23 + 59 * 60);
        assert_true(cable_dtg_exists(x.year, x.month, x.day, x.hour, x.minute));
        assert_int_equal(cable_dtg_epoch(&x), day * 86400 + 3600 * 23 + 59 * 60);
    }
}

static void test_dtg_exists(void **state)
{
    (void)state;
    assert_false(cable_dtg_exists(2007, 5, 45, 13, 2));
    assert_false(cable_dtg_exists(2007, 2, 29, 0, 0));
    assert_true(cable_dtg_exists(2008, 2, 29, 0, 0));
    assert_false(cable_dtg_exists(2007, 5, 7, 24, 0));
    assert_false(cable_dtg_exists(2007, 13, 7, 1, 0));
}

static void test_prec_words(void **state)
{
    (void)state;
    assert_int_equal(cable_prec_from_word("NIACT IMMEDIATE", 15), CABLE_PREC_O);
    assert_int_equal(cable_prec_from_letter('Z'), CABLE_PREC_Z);
    assert_int_equal(cable_prec_from_letter('N'), CABLE_PREC_NONE);
    assert_string_equal(cable_prec_word(CABLE_PREC_Y), "EMERGENCY COMMAND");
    assert_int_equal(cable_prec_objective_s(CABLE_PREC_P), 3 * 3600);
    assert_true(CABLE_PREC_Y > CABLE_PREC_Z && CABLE_PREC_Z > CABLE_PREC_O &&
                CABLE_PREC_O > CABLE_PREC_P && CABLE_PREC_P > CABLE_PREC_R);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_grows_and_resets),
        cmocka_unit_test(test_arena_grow_array),
        cmocka_unit_test(test_buf_cache),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_dtg_epoch_roundtrip),
        cmocka_unit_test(test_dtg_exists),
        cmocka_unit_test(test_prec_words),
    };
    return cmocka_run_group_tests_name("sim", tests, NULL, NULL);
}
