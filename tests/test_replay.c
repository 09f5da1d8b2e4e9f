/*
 * test_replay.c - replays end to end with the real binary over loopback:
 * determinism of --asap (two runs in one process; one run across separate
 * router and host processes), speed of service computed by hand from link
 * speeds and latencies, and a closed station's traffic held and released.
 */
#include "cable.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

static const char *tu_sample_path(const char *name)
{
    static char buf[2][600];
    static int  k;
    k ^= 1;
    snprintf(buf[k], sizeof(buf[k]), "%s/%s", tu_sample_dir(), name);
    return buf[k];
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char    cmd[8192];
    va_list ap;
    int     st;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    st = system(cmd);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void write_text(const char *name, const char *text)
{
    char  path[512];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The delivery logs of DIR as JSON lines (`cablesim log`), owned. */
static char *log_jsonl(const char *dir)
{
    char  path[512];
    char *text;
    snprintf(path, sizeof(path), "%s/log.jsonl", tmpdir);
    assert_int_equal(sh("'%s' log --format jsonl '%s' > '%s'", tu_bin(), dir, path), 0);
    text = tu_read_file(path, NULL);
    assert_non_null(text);
    return text;
}

/* The delivery logs of DIR as sorted-key JSON lines without the wall-clock
 * fields: what must be identical between two --asap runs. */
static char *normalized_log(const char *dir)
{
    char   *text = log_jsonl(dir), *line, *save = NULL, *out;
    size_t  cap = 1 << 20, n = 0;
    out = malloc(cap);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t e;
        json_t      *o = json_loads(line, 0, &e);
        const char  *k;
        json_t      *v;
        void        *tmp;
        char        *s;
        size_t       l;
        assert_non_null(o);
        json_object_foreach_safe(o, tmp, k, v)
        {
            (void)v;
            if (strstr(k, "wall"))
                json_object_del(o, k);
        }
        s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
        l = strlen(s);
        while (n + l + 2 > cap)
            out = realloc(out, cap *= 2);
        memcpy(out + n, s, l);
        n += l;
        out[n++] = '\n';
        free(s);
        json_decref(o);
    }
    out[n] = '\0';
    free(text);
    return out;
}

static void assert_same_logs(const char *a, const char *b)
{
    char *x = normalized_log(a), *y = normalized_log(b);
    size_t lines = 0;
    for (const char *p = x; *p; p++)
        lines += *p == '\n';
    assert_true(lines > 1000); /* a real run, not two empty logs */
    if (strcmp(x, y) != 0) {
        size_t i = 0;
        while (x[i] == y[i])
            i++;
        fprintf(stderr, "logs differ at byte %zu:\n  %.200s\n  %.200s\n", i, x + i, y + i);
    }
    assert_string_equal(x, y);
    free(x);
    free(y);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/test_replay-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (getenv("SIM_KEEP"))
        fprintf(stderr, "kept %s\n", tmpdir);
    else
        sh("rm -rf '%s'", tmpdir);
    return 0;
}

/* Two in-process --asap replays of the bundled sample: identical logs. */
static void test_asap_twice_identical(void **state)
{
    char a[400], b[400];
    (void)state;
    snprintf(a, sizeof(a), "%s/a", tmpdir);
    snprintf(b, sizeof(b), "%s/b", tmpdir);
    assert_int_equal(sh("'%s' run --log '%s' > '%s/a.out' 2>/dev/null", tu_bin(), a, tmpdir), 0);
    assert_int_equal(sh("'%s' run --log '%s' > '%s/b.out' 2>/dev/null", tu_bin(), b, tmpdir), 0);
    assert_same_logs(a, b);
}

/* A free port outside the kernel's ephemeral range (32768 and up), so that
 * no test running beside this one can be given it between the check and
 * the routers' bind (five digits, like the sample's). */
static int free_port(void)
{
    static unsigned seed;
    if (!seed)
        seed = (unsigned)getpid();
    for (int tries = 0; tries < 1000; tries++) {
        struct sockaddr_in sa;
        int                fd = socket(AF_INET, SOCK_STREAM, 0), port, ok;
        assert_true(fd >= 0);
        port = 20000 + (int)(rand_r(&seed) % 12000);
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sa.sin_port = htons((uint16_t)port);
        ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
        close(fd);
        if (ok)
            return port;
    }
    fail_msg("no free port between 20000 and 32000");
    return -1;
}

/* The sample as separate processes (three routers, four hosts) and as one
 * 'cablesim run': identical logs; 'cablesim report' gives run's report. */
static void test_multiprocess_identical(void **state)
{
    char  net[400], *yaml, *p, m[400], c[400], cmd[8192];
    size_t o = 0;
    static const char *const hosts[] = {"state-switch", "dod-relay", "civil-relay", "posts-wha"};
    static const char *const routers[] = {"state-switch", "dod-relay", "civil-relay"};
    (void)state;
    /* The sample network on free ports. */
    yaml = tu_read_file(tu_sample_path("network.yaml"), NULL);
    assert_non_null(yaml);
    for (int port = 47101; port <= 47103; port++) {
        char from[16], to[16];
        snprintf(from, sizeof(from), "%d", port);
        snprintf(to, sizeof(to), "%d", free_port());
        p = strstr(yaml, from);
        assert_non_null(p);
        assert_int_equal(strlen(to), 5); /* an ephemeral port has five digits */
        memcpy(p, to, 5);
    }
    write_text("net.yaml", yaml);
    free(yaml);
    snprintf(net, sizeof(net), "%s/net.yaml", tmpdir);
    snprintf(m, sizeof(m), "%s/multi", tmpdir);
    snprintf(c, sizeof(c), "%s/one", tmpdir);
    /* Every process runs in the test's folder (its journals and outputs). */
    o += (size_t)snprintf(cmd + o, sizeof(cmd) - o, "cd '%s' || exit 1; mkdir -p '%s'; ", tmpdir,
                          m);
    for (int i = 0; i < 3; i++)
        o += (size_t)snprintf(cmd + o, sizeof(cmd) - o,
                              "('%s' router --asap --network '%s' --name %s --journal j%d "
                              "--log '%s' > r%d.out 2> r%d.err; echo $? > r%d.rc) & ",
                              tu_bin(), net, routers[i], i, m, i, i, i);
    for (int i = 0; i < 4; i++)
        o += (size_t)snprintf(cmd + o, sizeof(cmd) - o,
                              "('%s' node --asap --network '%s' --host %s --replay '%s' "
                              "--log '%s' 2> h%d.err; echo $? > h%d.rc) & ",
                              tu_bin(), net, hosts[i], tu_sample_path("cables"), m, i, i);
    snprintf(cmd + o, sizeof(cmd) - o, "wait; cat r*.rc h*.rc | sort -u | tr -d '\\n'");
    {
        FILE *f = popen(cmd, "r");
        char  rcs[64] = "";
        assert_non_null(f);
        assert_non_null(fgets(rcs, sizeof(rcs), f));
        pclose(f);
        if (strcmp(rcs, "0") != 0)
            sh("cd '%s' && tail -n 5 r*.err h*.err >&2", tmpdir);
        assert_string_equal(rcs, "0"); /* every process ended by itself, exit 0 */
    }
    assert_int_equal(sh("'%s' run --network '%s' --corpus '%s' --log '%s' > '%s/one.out' "
                        "2>/dev/null",
                        tu_bin(), net, tu_sample_path("cables"), c, tmpdir),
                     0);
    if (sh("grep -h 'closed:' '%s'/r*.err >&2", tmpdir) == 0)
        fprintf(stderr, "(links closed during the multi-process run, above)\n");
    assert_same_logs(m, c);
    assert_int_equal(sh("'%s' report '%s' > '%s/multi.out'", tu_bin(), m, tmpdir), 0);
    assert_int_equal(sh("cmp -s '%s/multi.out' '%s/one.out'", tmpdir, tmpdir), 0);
}

static const char paris[] =
    "VZCZCXRO0042\nRR RUEHC\nDE RUEHFR #0123/01 0651430\nZNY CCCCC ZZH\n"
    "R 061430Z MAR 09\nFM AMEMBASSY PARIS\nTO RUEHC/SECSTATE WASHDC 4567\nBT\n"
    "C O N F I D E N T I A L PARIS 000123\n\nSIPDIS\n\nE.O. 12958: DECL: 03/06/2019\n"
    "TAGS: PREL PGOV FR\nSUBJECT: A CLEAN CABLE\n\n1. (C) Text of the cable, long enough to "
    "take a while on a slow circuit.\n\nSMITH\nBT\n#0123\nNNNN\n";
static const char paris_flash[] =
    "VZCZCXRO0043\nZZ RUEHC\nDE RUEHFR #0124/01 0651430\nZNY CCCCC ZZH\n"
    "Z 061430Z MAR 09\nFM AMEMBASSY PARIS\nTO RUEHC/SECSTATE WASHDC 4568\nBT\n"
    "C O N F I D E N T I A L PARIS 000124\n\nE.O. 12958: DECL: 03/06/2019\n"
    "TAGS: PREL PGOV FR\nSUBJECT: A FLASH CABLE\n\n1. (C) Urgent.\n\nSMITH\nBT\n#0124\nNNNN\n";

/* The paris cable again, as a corrected copy (same identity), and as a
 * re-sent copy (ZDK after the DTG). */
static const char paris_ccy[] =
    "VZCZCXRO0046\nRR RUEHC\nDE RUEHFR #0123/01 0651430\nZNY CCCCC ZZH\n"
    "R 061430Z MAR 09\nFM AMEMBASSY PARIS\nTO RUEHC/SECSTATE WASHDC 4567\nBT\n"
    "C O N F I D E N T I A L PARIS 000123\n\nSIPDIS\n\nC O R R E C T E D COPY (PARAGRAPH 1 "
    "TEXT)\n\nE.O. 12958: DECL: 03/06/2019\n"
    "TAGS: PREL PGOV FR\nSUBJECT: A CLEAN CABLE\n\n1. (C) Corrected text of the cable, long "
    "enough to take a while on a slow circuit.\n\nSMITH\nBT\n#0123\nNNNN\n";
static const char paris_zdk[] =
    "VZCZCXRO0047\nRR RUEHC\nDE RUEHFR #0123/01 0651430\nZNY CCCCC ZZH\n"
    "R 061430Z MAR 09 ZDK\nFM AMEMBASSY PARIS\nTO RUEHC/SECSTATE WASHDC 4567\nBT\n"
    "C O N F I D E N T I A L PARIS 000123\n\nSIPDIS\n\nE.O. 12958: DECL: 03/06/2019\n"
    "TAGS: PREL PGOV FR\nSUBJECT: A CLEAN CABLE\n\n1. (C) Text of the cable, long enough to "
    "take a while on a slow circuit.\n\nSMITH\nBT\n#0123\nNNNN\n";

/* Two IMMEDIATE cables: a plain one filed at 14:20 and a NIACT one at 14:30. */
static const char paris_immediate[] =
    "VZCZCXRO0044\nOO RUEHC\nDE RUEHFR #0125/01 0651420\nZNY CCCCC ZZH\n"
    "O 061420Z MAR 09\nFM AMEMBASSY PARIS\nTO RUEHC/SECSTATE WASHDC IMMEDIATE 4569\nBT\n"
    "C O N F I D E N T I A L PARIS 000125\n\nE.O. 12958: DECL: 03/06/2019\n"
    "TAGS: PREL PGOV FR\nSUBJECT: AN IMMEDIATE CABLE\n\n1. (C) Soon.\n\nSMITH\nBT\n#0125\nNNNN\n";
static const char paris_niact[] =
    "VZCZCXRO0045\nOO RUEHC\nDE RUEHFR #0126/01 0651430\nZNY CCCCC ZZH\n"
    "O 061430Z MAR 09\nFM AMEMBASSY PARIS\nTO RUEHC/SECSTATE WASHDC NIACT IMMEDIATE 4570\nBT\n"
    "C O N F I D E N T I A L PARIS 000126\n\nE.O. 12958: DECL: 03/06/2019\n"
    "TAGS: PREL PGOV FR\nSUBJECT: A NIACT CABLE\n\n1. (C) NIACT because the meeting is at "
    "dawn.\n\nSMITH\nBT\n#0126\nNNNN\n";

static const char small_net[] =
    "routers:\n  - {name: hub, listen: \"127.0.0.1:1\"}\n"
    "links:\n  defaults: {bps: 2400, latency_ms: 100}\n"
    "stations:\n"
    "  - {ri: RUEHFR, pla: AMEMBASSY PARIS, router: hub}\n"
    "  - {ri: RUEHC, pla: SECSTATE WASHDC, kind: department, router: hub%s}\n";

static json_t *run_json(const char *corpus)
{
    char         path[512], *text;
    json_t      *j;
    json_error_t e;
    int          rc;
    sh("rm -rf '%s/log'", tmpdir);
    rc = sh("'%s' run --network '%s/net.yaml' --corpus '%s/%s' --json --log '%s/log' "
            "> '%s/run.json' 2>'%s/run.err'",
            tu_bin(), tmpdir, tmpdir, corpus, tmpdir, tmpdir, tmpdir);
    if (rc != 0) {
        /* What the run said, and its logs, for the record. */
        sh("cat '%s/run.err' '%s/run.json' >&2; '%s' log --format text '%s/log' >&2", tmpdir,
           tmpdir, tu_bin(), tmpdir);
    }
    assert_int_equal(rc, 0);
    snprintf(path, sizeof(path), "%s/run.json", tmpdir);
    text = tu_read_file(path, NULL);
    assert_non_null(text);
    j = json_loads(text, 0, &e);
    free(text);
    assert_non_null(j);
    return j;
}

static double p50(json_t *j, const char *prec)
{
    return json_real_value(
        json_object_get(json_object_get(json_object_get(j, "by_precedence"), prec), "p50_s"));
}

/* One cable over two 2400 bps links of 100 ms: its delivery time is
 * 2 x (8 b / 2400 + 0.1) s, b the length of its canonical text (its
 * format line 2 already names only RUEHC, so both hops carry b bytes). */
static void test_speed_of_service_by_hand(void **state)
{
    cable_t c;
    size_t  b;
    double  expect;
    json_t *j;
    char    netyaml[1024];
    (void)state;
    cable_init(&c);
    assert_int_equal(cable_parse(&c, paris, strlen(paris), NULL), 0);
    b = cable_emit_len(&c);
    cable_destroy(&c);
    expect = 2 * ((double)(8 * b) / 2400.0 + 0.1);
    snprintf(netyaml, sizeof(netyaml), small_net, "");
    write_text("net.yaml", netyaml);
    write_text("one.txt", paris);
    j = run_json("one.txt");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "accounting"),
                                                        "delivered")),
                     1);
    fprintf(stderr, "b = %zu bytes, expected %.6f s, got %.6f s\n", b, expect, p50(j, "ROUTINE"));
    assert_true(p50(j, "ROUTINE") > expect - 0.00001 && p50(j, "ROUTINE") < expect + 0.00001);
    json_decref(j);
}

/* RUEHC is closed 14:00-16:00 on the day: the ROUTINE filed at 14:30 and
 * the IMMEDIATE filed at 14:20 are held until 16:00; the FLASH filed at
 * 14:30 goes through at once, and so does the NIACT IMMEDIATE filed at
 * 14:30, although a held IMMEDIATE is ahead of it in its level. */
static void test_closed_station_released(void **state)
{
    json_t *j;
    char    netyaml[1024], both[8192], *log;
    (void)state;
    snprintf(netyaml, sizeof(netyaml), small_net,
             ", closed: [{from: 2009-03-06T14:00:00Z, to: 2009-03-06T16:00:00Z}]");
    write_text("net.yaml", netyaml);
    snprintf(both, sizeof(both), "%s%s%s%s", paris, paris_flash, paris_immediate, paris_niact);
    write_text("two.txt", both);
    j = run_json("two.txt");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "accounting"), "delivered")), 4);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "accounting"), "lost")),
                     0);
    assert_true(p50(j, "FLASH") < 10);
    assert_true(p50(j, "ROUTINE") >= 5400 && p50(j, "ROUTINE") < 5400 + 10);
    /* Of the two IMMEDIATEs, the NIACT one took seconds, the other waited
     * from 14:20 to 16:00. */
    assert_true(p50(j, "IMMEDIATE") < 10);
    assert_true(json_real_value(json_object_get(
                    json_object_get(json_object_get(j, "by_precedence"), "IMMEDIATE"),
                    "max_s")) >= 6000);
    json_decref(j);
    {
        char dir[512];
        snprintf(dir, sizeof(dir), "%s/log", tmpdir);
        log = log_jsonl(dir);
    }
    assert_non_null(strstr(log, "\"held\""));
    assert_non_null(strstr(log, "\"released\""));
    assert_non_null(strstr(log, "NIACT: passes the hold"));
    free(log);
}

/* A cable, its re-sent copy (ZDK) and its corrected copy (CCY), all with
 * one identity: the re-sent copy is an input duplicate, suppressed (ZFD);
 * the corrected copy is delivered again, as a delivery of its own. */
static void test_corrected_and_resent_copies(void **state)
{
    json_t *j, *acc;
    char    netyaml[1024], three[8192], *log;
    (void)state;
    snprintf(netyaml, sizeof(netyaml), small_net, "");
    write_text("net.yaml", netyaml);
    snprintf(three, sizeof(three), "%s%s%s", paris, paris_zdk, paris_ccy);
    write_text("three.txt", three);
    j = run_json("three.txt");
    acc = json_object_get(j, "accounting");
    assert_int_equal(json_integer_value(json_object_get(acc, "originated")), 3);
    assert_int_equal(json_integer_value(json_object_get(acc, "input_duplicates")), 1);
    assert_int_equal(json_integer_value(json_object_get(acc, "corrected_copies")), 1);
    assert_int_equal(json_integer_value(json_object_get(acc, "expected_deliveries")), 2);
    assert_int_equal(json_integer_value(json_object_get(acc, "delivered")), 2);
    assert_int_equal(json_integer_value(json_object_get(acc, "duplicates")), 0);
    assert_int_equal(json_integer_value(json_object_get(acc, "lost")), 0);
    json_decref(j);
    {
        char dir[512];
        snprintf(dir, sizeof(dir), "%s/log", tmpdir);
        log = log_jsonl(dir);
    }
    assert_non_null(strstr(log, "\"detail\":\"CCY\""));
    assert_non_null(strstr(log, "corrected copy"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_speed_of_service_by_hand),
        cmocka_unit_test(test_closed_station_released),
        cmocka_unit_test(test_corrected_and_resent_copies),
        cmocka_unit_test(test_asap_twice_identical),
        cmocka_unit_test(test_multiprocess_identical),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
