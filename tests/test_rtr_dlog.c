/*
 * test_rtr_dlog.c - delivery logs: records written by two parties come back
 * merged in sim-time order with the documented tie order; a torn last
 * record is skipped and counted; a corrupt file is an error naming it; the
 * log and trace commands read them.
 */
#include "testutil.h"
#include "rtr_dlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/cablesim-dlog-XXXXXX";

static void write_two_parties(void)
{
    int         err = 0;
    rtr_dlog_t *a = rtr_dlog_open(dir, "RTR-A", &err);
    rtr_dlog_t *b = rtr_dlog_open(dir, "RUEHLO", &err);
    const char *id = "RUEHFR#0123/01 061430Z MAR 09";
    assert_non_null(a);
    assert_non_null(b);
    rtr_dlog_rec_t r = {.sim_time = 1000, .wall_time = 5, .event = RTR_DLOG_ACCEPTED,
                        .party = "RTR-A", .id = id, .precedence = CABLE_PREC_O, .csn = 7,
                        .link = "RUEHFR"};
    assert_int_equal(rtr_dlog_write(a, &r), 0);
    r.event = RTR_DLOG_TX_START;
    r.sim_time = 2000;
    r.link = "RUEHLO";
    r.csn = 1;
    rtr_dlog_write(a, &r);
    r.party = "RUEHLO";
    r.event = RTR_DLOG_DELIVERED;
    r.sim_time = 3000;
    r.addressee = "RUEHLO";
    rtr_dlog_write(b, &r);
    /* Same sim-time as the transmit start: arrival kinds sort first. */
    r.event = RTR_DLOG_RECEIVED;
    r.sim_time = 2000;
    r.addressee = NULL;
    r.detail = "a \"quoted\", detail";
    rtr_dlog_write(b, &r);
    assert_int_equal(rtr_dlog_count(a), 2);
    assert_int_equal(rtr_dlog_close(a), 0);
    assert_int_equal(rtr_dlog_close(b), 0);
}

static void test_merge_order(void **state)
{
    rtr_dlog_set_t set;
    const char    *dirs[] = {dir};
    size_t         torn = 99;
    char           err[256];
    (void)state;
    assert_non_null(mkdtemp(dir));
    write_two_parties();
    assert_int_equal(rtr_dlog_read(dirs, 1, &set, &torn, err, sizeof(err)), 0);
    assert_int_equal(torn, 0);
    assert_int_equal(set.n, 4);
    assert_int_equal(set.v[0].event, RTR_DLOG_ACCEPTED);
    assert_int_equal(set.v[1].event, RTR_DLOG_TX_START); /* TX_START < RECEIVED in the enum */
    assert_int_equal(set.v[2].event, RTR_DLOG_RECEIVED);
    assert_string_equal(set.v[2].detail, "a \"quoted\", detail");
    assert_int_equal(set.v[3].event, RTR_DLOG_DELIVERED);
    assert_string_equal(set.v[3].addressee, "RUEHLO");
    assert_int_equal(set.v[3].precedence, CABLE_PREC_O);
    assert_int_equal(set.v[0].csn, 7);
    rtr_dlog_set_free(&set);
}

static void test_torn_and_corrupt(void **state)
{
    rtr_dlog_set_t set;
    const char    *dirs[] = {dir};
    size_t         torn = 0;
    char           err[256], path[300];
    FILE          *f;
    (void)state;
    snprintf(path, sizeof(path), "%s/RUEHLO.dlog", dir);
    f = fopen(path, "ab");
    fputc(0x8f, f); /* a map of 15 entries that never comes */
    fputc(0xa1, f);
    fclose(f);
    assert_int_equal(rtr_dlog_read(dirs, 1, &set, &torn, err, sizeof(err)), 0);
    assert_int_equal(torn, 1);
    assert_int_equal(set.n, 4);
    rtr_dlog_set_free(&set);
    snprintf(path, sizeof(path), "%s/BAD.dlog", dir);
    f = fopen(path, "wb");
    fputs("\x93\x01\x02\x03", f); /* an array, not a record */
    fclose(f);
    assert_true(rtr_dlog_read(dirs, 1, &set, &torn, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "BAD.dlog"));
    rtr_dlog_set_free(&set);
    /* An unfinished value that is no map (garbage read as the start of a
     * long array) is not a torn record: the file is not a log. */
    f = fopen(path, "wb");
    fputs("\xdc\x04\x65garbage", f);
    fclose(f);
    torn = 0;
    assert_true(rtr_dlog_read(dirs, 1, &set, &torn, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "BAD.dlog: record 1 is not a delivery-log record"));
    rtr_dlog_set_free(&set);
    remove(path);
}

/* A party that restarts after a crash writes a new file: the torn record of
 * the old one does not spoil what comes after it. */
static void test_restart_writes_a_new_file(void **state)
{
    rtr_dlog_set_t set;
    const char    *dirs[] = {dir};
    size_t         torn = 0;
    char           err[256], path[300];
    int            e = 0;
    rtr_dlog_t    *d = rtr_dlog_open(dir, "RUEHLO", &e);
    rtr_dlog_rec_t r = {.sim_time = 4000, .event = RTR_DLOG_DELIVERED, .party = "RUEHLO",
                        .id = "RUEHFR#0124/01 061430Z MAR 09", .csn = -1};
    (void)state;
    assert_non_null(d);
    rtr_dlog_write(d, &r);
    assert_int_equal(rtr_dlog_close(d), 0);
    snprintf(path, sizeof(path), "%s/RUEHLO.1.dlog", dir);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(rtr_dlog_read(dirs, 1, &set, &torn, err, sizeof(err)), 0);
    assert_int_equal(torn, 1); /* the old file's torn tail, skipped */
    assert_int_equal(set.n, 5);
    assert_int_equal(set.v[4].sim_time, 4000);
    rtr_dlog_set_free(&set);
}

static void test_commands(void **state)
{
    char  cmd[1024], out[300];
    char *s;
    (void)state;
    snprintf(out, sizeof(out), "%s/out.txt", dir);
    snprintf(cmd, sizeof(cmd), "'%s' log --format jsonl '%s' >'%s' 2>/dev/null", tu_bin(), dir,
             out);
    assert_int_equal(WEXITSTATUS(system(cmd)), 0);
    s = tu_read_file(out, NULL);
    assert_non_null(strstr(s, "\"event\": \"accepted\"") ? s : strstr(s, "\"event\":\"accepted\""));
    assert_non_null(strstr(s, "\"sim_time\":\"1970-01-01T00:00:00.001000Z\""));
    free(s);
    snprintf(cmd, sizeof(cmd), "'%s' log --format csv '%s' >'%s' 2>/dev/null", tu_bin(), dir,
             out);
    assert_int_equal(WEXITSTATUS(system(cmd)), 0);
    s = tu_read_file(out, NULL);
    assert_non_null(strstr(s, "\"a \"\"quoted\"\", detail\""));
    free(s);
    snprintf(cmd, sizeof(cmd), "'%s' trace '%s' 'RUEHFR#0123/01 061430Z MAR 09' >'%s' 2>/dev/null",
             tu_bin(), dir, out);
    assert_int_equal(WEXITSTATUS(system(cmd)), 0);
    s = tu_read_file(out, NULL);
    assert_non_null(strstr(s, "at RTR-A:"));
    assert_non_null(strstr(s, "delivered"));
    free(s);
    snprintf(cmd, sizeof(cmd), "'%s' trace '%s' 'RUEHFR#9999/01 061430Z MAR 09' >/dev/null 2>&1",
             tu_bin(), dir);
    assert_int_equal(WEXITSTATUS(system(cmd)), 1);
    snprintf(cmd, sizeof(cmd), "'%s' log --format xml '%s' >/dev/null 2>&1", tu_bin(), dir);
    assert_int_equal(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_order),
        cmocka_unit_test(test_torn_and_corrupt),
        cmocka_unit_test(test_restart_writes_a_new_file),
        cmocka_unit_test(test_commands),
    };
    return cmocka_run_group_tests_name("rtr_dlog", tests, NULL, NULL);
}
