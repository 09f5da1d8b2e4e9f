/*
 * test_cable_stream.c - splitting streams into cables (VZCZC, then NNNN
 * after a text, then a guessed DTG + FM split with a warning), corpora from
 * files and directories, and ordering by DTG.
 */
#include "testutil.h"
#include "cable_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CABLE_A                                                                                    \
    "VZCZCXRO0001\nRR RUEHC\nDE RUEHFR #0001/01 0651430\nZNR UUUUU ZZH\nR 061430Z MAR 09\n"       \
    "FM AMEMBASSY PARIS\nTO RUEHC/SECSTATE WASHDC\nBT\nUNCLAS PARIS 000001\n\nTAGS: PREL\n"       \
    "SUBJECT: FIRST\n\n1. Text of the first cable.\nNNNN\n\nNNNN\nBT\n#0001\nNNNN\n"
#define CABLE_B                                                                                    \
    "VZCZCXRO0002\nPP RUEHC\nDE RUEHLO #0002/01 0651200\nZNR UUUUU ZZH\nP 061200Z MAR 09\n"       \
    "FM AMEMBASSY LONDON\nTO RUEHC/SECSTATE WASHDC PRIORITY\nBT\nUNCLAS LONDON 000002\n\n"        \
    "TAGS: PREL\nSUBJECT: SECOND\n\n1. Text.\nBT\n#0002\nNNNN\n"

static void test_split_vzczc_and_nnnn(void **state)
{
    static const char stream[] = CABLE_A CABLE_B;
    cable_seg_t      *segs;
    size_t            n = cable_stream_split(stream, sizeof(stream) - 1, &segs);
    (void)state;
    assert_int_equal(n, 2);
    /* The NNNN lines inside A's text do not split it: what follows them has
     * no heading, so it stays with A. */
    assert_int_equal(segs[0].first_line, 1);
    assert_true(strncmp(segs[1].p, "VZCZCXRO0002", 12) == 0);
    assert_int_equal(segs[1].first_line, 21);
    assert_false(segs[0].guessed);
    free(segs);
}

static void test_split_nnnn_without_vzczc(void **state)
{
    static const char stream[] =
        "R 061430Z MAR 09\nFM AMEMBASSY PARIS\nTO SECSTATE WASHDC\n\nUNCLAS PARIS 000001\n"
        "\n1. One.\nNNNN\n"
        "P 061200Z MAR 09\nFM AMEMBASSY LONDON\nTO SECSTATE WASHDC\n\nUNCLAS LONDON 000002\n"
        "\n1. Two.\nNNNN\n";
    cable_seg_t *segs;
    size_t       n = cable_stream_split(stream, sizeof(stream) - 1, &segs);
    (void)state;
    assert_int_equal(n, 2);
    assert_int_equal(segs[1].first_line, 9);
    assert_false(segs[1].guessed);
    free(segs);
}

static void test_split_guessed(void **state)
{
    static const char stream[] =
        "R 061430Z MAR 09\nFM AMEMBASSY PARIS\nTO SECSTATE WASHDC\n\nUNCLAS PARIS 000001\n"
        "\n1. One.\n\n"
        "P 061200Z MAR 09\nFM AMEMBASSY LONDON\nTO SECSTATE WASHDC\n\nUNCLAS LONDON 000002\n"
        "\n1. Two.\n";
    cable_seg_t *segs;
    cable_t      c;
    size_t       n = cable_stream_split(stream, sizeof(stream) - 1, &segs);
    (void)state;
    assert_int_equal(n, 2);
    assert_false(segs[0].guessed);
    assert_true(segs[1].guessed);
    assert_int_equal(segs[1].first_line, 9);
    cable_init(&c);
    {
        cable_parse_opts_t o = {.first_line = segs[1].first_line, .split_guessed = true};
        cable_parse(&c, segs[1].p, segs[1].len, &o);
        assert_int_equal(c.diags.v[0].rule, CABLE_R_SPLIT_GUESSED);
        assert_int_equal(c.diags.v[0].line, 9);
        assert_true(sim_span_eq_str(c.from, "AMEMBASSY LONDON"));
    }
    cable_destroy(&c);
    free(segs);
}

static void test_split_leading_debris_and_blank_tail(void **state)
{
    static const char stream[] = "S E C R E T STATE 00119085\n" CABLE_B "\n\n\n";
    cable_seg_t      *segs;
    size_t            n = cable_stream_split(stream, sizeof(stream) - 1, &segs);
    (void)state;
    assert_int_equal(n, 1);
    assert_int_equal(segs[0].len, sizeof(stream) - 1);
    free(segs);
    n = cable_stream_split("", 0, &segs);
    assert_int_equal(n, 1);
    assert_int_equal(segs[0].len, 0);
    free(segs);
}

static void test_corpus_dir_and_dtg_order(void **state)
{
    char           dir[] = "/tmp/cablesim-stream-XXXXXX";
    char           path[256], err[512];
    cable_corpus_t cp;
    cable_t        c;
    FILE          *f;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/sub", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/a.cable", dir);
    f = fopen(path, "w");
    fputs(CABLE_A, f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/sub/b.txt", dir);
    f = fopen(path, "w");
    fputs(CABLE_B, f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/ignored.dat", dir);
    f = fopen(path, "w");
    fputs("not a cable", f);
    fclose(f);

    cable_corpus_init(&cp);
    assert_int_equal(cable_corpus_add(&cp, dir, err, sizeof(err)), 0);
    assert_int_equal(cp.n_sources, 2);
    assert_int_equal(cp.n_entries, 2);
    cable_corpus_sort_dtg(&cp);
    cable_init(&c);
    assert_int_equal(cable_corpus_parse(&cp, 0, &c, false), 0);
    assert_true(sim_span_eq_str(c.origin_ri, "RUEHLO")); /* 1200Z before 1430Z */
    cable_destroy(&c);
    assert_true(cp.entries[0].dtg < cp.entries[1].dtg);
    assert_true(cable_corpus_add(&cp, "/nonexistent/cables", err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "/nonexistent/cables"));
    cable_corpus_destroy(&cp);

    remove(path);
    snprintf(path, sizeof(path), "%s/sub/b.txt", dir);
    remove(path);
    snprintf(path, sizeof(path), "%s/sub", dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/a.cable", dir);
    remove(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_vzczc_and_nnnn),
        cmocka_unit_test(test_split_nnnn_without_vzczc),
        cmocka_unit_test(test_split_guessed),
        cmocka_unit_test(test_split_leading_debris_and_blank_tail),
        cmocka_unit_test(test_corpus_dir_and_dtg_order),
    };
    return cmocka_run_group_tests_name("cable_stream", tests, NULL, NULL);
}
