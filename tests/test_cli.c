/*
 * test_cli.c - the cablesim command as a user runs it: exit codes, the lint
 * line format and summary, JSON Lines that a JSON library reads back, show
 * --json with DESIGN.md's keys, --explain, usage errors; bad input to run,
 * node, report and router (one clear line on stderr, exit 2) and a tiny
 * replay read back as JSON.
 */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/cablesim-cli-XXXXXX";
static char out_path[300], err_path[300];

static const char good[] =
    "VZCZCXRO0042\nOO RUEHC RUEHLO\nDE RUEHFR #0123/01 0651430\nZNY CCCCC ZZH\n"
    "O P 061430Z MAR 09\nFM AMEMBASSY PARIS\nTO RUEHC/SECSTATE WASHDC IMMEDIATE 4567\n"
    "INFO RUEHLO/AMEMBASSY LONDON PRIORITY 0890\nBT\n"
    "C O N F I D E N T I A L PARIS 000123\n\nSIPDIS\n\nE.O. 12958: DECL: 03/06/2019\n"
    "TAGS: PREL PGOV FR\nSUBJECT: A CLEAN CABLE\n\n1. (C) Text.\n\nSMITH\nBT\n#0123\nNNNN\n";
static const char bad[] = "VZCZCXRO0043\nOO RUEHC\nDE RUEHFR #0124/01 0651430\nZNY CCCCC ZZH\n"
                          "O 451430Z MAR 09\nFM AMEMBASSY PARIS\nTO RUEHC/SECSTATE WASHDC\nBT\n"
                          "C O N F I D E N T I A L PARIS 000124\n\nTAGS: PREL\nSUBJECT: X\n\n"
                          "1. (C) Text.\nBT\n#0124\nNNNN\n";

/* A tiny network (two routers, three stations) and two more cables between
 * its stations: with 'good' (RUEHFR to RUEHC, info RUEHLO) a corpus of three
 * cables and four deliveries. */
static const char tiny_net[] =
    "routers:\n"
    "  - {name: switch, listen: \"127.0.0.1:47901\"}\n"
    "  - {name: relay, listen: \"127.0.0.1:47902\"}\n"
    "trunks:\n"
    "  - {a: switch, b: relay}\n"
    "stations:\n"
    "  - {ri: RUEHC, pla: SECSTATE WASHDC, kind: department, router: switch}\n"
    "  - {ri: RUEHFR, pla: AMEMBASSY PARIS, router: switch}\n"
    "  - {ri: RUEHLO, pla: AMEMBASSY LONDON, router: relay}\n";
/* Not YAML: a flow mapping never closed (the parser stops at 3:1). */
static const char syntax_net[] = "routers:\n  - {name: switch, listen: \"127.0.0.1:47901\"\n"
                                 "stations: [\n";
/* YAML, but a station on a router the file does not have (at 5:48). */
static const char unknown_router_net[] =
    "routers:\n"
    "  - {name: switch, listen: \"127.0.0.1:47901\"}\n"
    "stations:\n"
    "  - {ri: RUEHC, pla: SECSTATE WASHDC, router: switch}\n"
    "  - {ri: RUEHFR, pla: AMEMBASSY PARIS, router: nowhere}\n";
static const char reply[] =
    "VZCZCXRO0050\nRR RUEHFR\nDE RUEHC #0456/01 0651600\nZNR UUUUU ZZH\n"
    "R 061600Z MAR 09\nFM SECSTATE WASHDC\nTO RUEHFR/AMEMBASSY PARIS 0321\nBT\n"
    "UNCLAS STATE 000456\n\nE.O. 12958: N/A\nTAGS: PREL FR\nSUBJECT: A ROUTINE REPLY\n\n"
    "1. Text.\n\nCLINTON\nBT\n#0456\nNNNN\n";
static const char flash[] =
    "VZCZCXRO0051\nZZ RUEHC\nDE RUEHLO #0789/01 0651700\nZNY CCCCC ZZH\n"
    "Z 061700Z MAR 09\nFM AMEMBASSY LONDON\nTO RUEHC/SECSTATE WASHDC FLASH 1234\nBT\n"
    "C O N F I D E N T I A L LONDON 000789\n\nE.O. 12958: DECL: 03/06/2019\nTAGS: PREL UK\n"
    "SUBJECT: A FLASH CABLE\n\n1. (C) Text.\n\nSMITH\nBT\n#0789\nNNNN\n";

static void write_file(const char *name, const char *text)
{
    char  path[300];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void make_dir(const char *name)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    assert_int_equal(mkdir(path, 0777), 0);
}

/* Runs "cablesim ARGS" (ARGS may use {} for the temp folder); returns the
 * exit status, stdout and stderr in files. */
static int run(const char *args)
{
    char cmd[4096], expanded[2048];
    const char *p = args;
    size_t o = 0;
    while (*p && o < sizeof(expanded) - 300) {
        if (p[0] == '{' && p[1] == '}') {
            o += (size_t)snprintf(expanded + o, sizeof(expanded) - o, "%s", tmpdir);
            p += 2;
        } else {
            expanded[o++] = *p++;
        }
    }
    expanded[o] = '\0';
    snprintf(cmd, sizeof(cmd), "'%s' %s >'%s' 2>'%s' %s", tu_bin(), expanded, out_path, err_path,
             strchr(expanded, '<') ? "" : "</dev/null");
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static char *out(void)
{
    char *s = tu_read_file(out_path, NULL);
    assert_non_null(s);
    return s;
}

static char *err(void)
{
    char *s = tu_read_file(err_path, NULL);
    assert_non_null(s);
    return s;
}

/* Runs "cablesim ARGS" expecting a usage or I/O error: exit 2, nothing on
 * stdout, and on stderr one line holding 'want' ({} is the temp folder),
 * followed at most by the "Try 'cablesim CMD --help'." hint. */
static void expect_error(const char *args, const char *want)
{
    char  w[600], *o, *e, *nl;
    const char *p = want;
    size_t      n = 0;
    int         rc;
    while (*p && n < sizeof(w) - 300) {
        if (p[0] == '{' && p[1] == '}') {
            n += (size_t)snprintf(w + n, sizeof(w) - n, "%s", tmpdir);
            p += 2;
        } else {
            w[n++] = *p++;
        }
    }
    w[n] = '\0';
    if ((rc = run(args)) != 2) {
        e = err();
        fail_msg("cablesim %s: exit %d, not 2; stderr '%s'", args, rc, e);
    }
    o = out();
    assert_string_equal(o, "");
    free(o);
    e = err();
    nl = strchr(e, '\n');
    assert_non_null(nl); /* a whole line */
    *nl = '\0';
    if (!strstr(e, w))
        fail_msg("cablesim %s: stderr '%s' lacks '%s'", args, e, w);
    if (nl[1] && strncmp(nl + 1, "Try 'cablesim ", 14) != 0)
        fail_msg("cablesim %s: more than one line on stderr: '%s'", args, nl + 1);
    if (nl[1] && strchr(nl + 1, '\n') != nl + 1 + strlen(nl + 1) - 1)
        fail_msg("cablesim %s: more than the hint after the error: '%s'", args, nl + 1);
    free(e);
}

/* An unknown option or one without its value: exit 2, nothing on stdout, the
 * first line of stderr names the option (the usage follows it, as with every
 * command). */
static void expect_unknown_option(const char *args, const char *option)
{
    char *o, *e, *nl;
    int   rc;
    if ((rc = run(args)) != 2)
        fail_msg("cablesim %s: exit %d, not 2", args, rc);
    o = out();
    assert_string_equal(o, "");
    free(o);
    e = err();
    nl = strchr(e, '\n');
    assert_non_null(nl);
    *nl = '\0';
    if (!strstr(e, "option") || !strstr(e, option))
        fail_msg("cablesim %s: the first line of stderr '%s' does not name %s", args, e, option);
    free(e);
}

static char *last_line(char *s)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == '\n')
        s[--n] = '\0';
    char *nl = strrchr(s, '\n');
    return nl ? nl + 1 : s;
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(out_path, sizeof(out_path), "%s/stdout", tmpdir);
    snprintf(err_path, sizeof(err_path), "%s/stderr", tmpdir);
    write_file("good.cable", good);
    write_file("bad.cable", bad);
    {
        char stream[sizeof(good) + sizeof(bad)];
        snprintf(stream, sizeof(stream), "%s%s", good, bad);
        write_file("stream.txt", stream);
    }
    write_file("tiny.yaml", tiny_net);
    write_file("syntax.yaml", syntax_net);
    write_file("unknown-router.yaml", unknown_router_net);
    return 0;
}

static int teardown(void **state)
{
    char cmd[400];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_usage(void **state)
{
    (void)state;
    assert_int_equal(run(""), 2);
    assert_int_equal(run("no-such-command"), 2);
    assert_int_equal(run("--help"), 0);
    assert_int_equal(run("lint --help"), 0);
    assert_int_equal(run("show --help"), 0);
    assert_int_equal(run("lint"), 2);
    assert_int_equal(run("lint --bogus {}/good.cable"), 2);
    assert_int_equal(run("lint {}/does-not-exist"), 2);
}

static void test_lint_text(void **state)
{
    char *s;
    (void)state;
    assert_int_equal(run("lint --strict {}/good.cable"), 0);
    s = out();
    assert_string_equal(last_line(s), "cables: 1, ok: 1, errors: 0, warnings: 0");
    free(s);
    assert_int_equal(run("lint {}/bad.cable"), 1);
    s = out();
    assert_non_null(strstr(s, "/bad.cable:5:3: error: the date-time group names a date or time "
                              "that does not exist: '451430Z MAR 09' [dtg-invalid]\n"));
    free(s);
    assert_int_equal(run("lint {}/stream.txt"), 1);
    s = out();
    assert_non_null(strstr(s, "stream.txt:28:3: error:")); /* line numbers run through the stream */
    assert_non_null(strstr(last_line(s), "cables: 2, ok: 1, errors: 1,"));
    free(s);
    assert_int_equal(run("lint - < {}/good.cable"), 0);
}

static void test_lint_json(void **state)
{
    char *s, *line, *save = NULL;
    int   n = 0, summary = 0;
    (void)state;
    assert_int_equal(run("lint --json {}"), 1);
    s = out();
    for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t e;
        json_t      *o = json_loads(line, 0, &e);
        assert_non_null(o);
        if (json_object_get(o, "summary")) {
            json_t *sm = json_object_get(o, "summary");
            assert_int_equal(json_integer_value(json_object_get(sm, "cables")), 4);
            assert_int_equal(json_integer_value(json_object_get(sm, "ok")), 2);
            summary++;
        } else {
            assert_true(json_is_string(json_object_get(o, "file")));
            assert_true(json_is_string(json_object_get(o, "id")));
            assert_true(json_is_boolean(json_object_get(o, "ok")));
            assert_true(json_is_array(json_object_get(o, "diagnostics")));
            n++;
        }
        json_decref(o);
    }
    assert_int_equal(n, 4);
    assert_int_equal(summary, 1);
    free(s);
}

static void test_explain(void **state)
{
    char *s;
    (void)state;
    assert_int_equal(run("lint --explain dtg-invalid"), 0);
    s = out();
    assert_non_null(strstr(s, "DDHHMMZ"));
    free(s);
    assert_int_equal(run("lint --explain no-such-rule"), 2);
    assert_int_equal(run("lint --rules"), 0);
}

static void test_show_json(void **state)
{
    char        *s;
    json_t      *o, *to;
    json_error_t e;
    (void)state;
    assert_int_equal(run("show --json {}/good.cable"), 0);
    s = out();
    o = json_loads(s, 0, &e);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "transmission_id")), "VZCZCXRO0042");
    assert_string_equal(json_string_value(json_object_get(o, "precedence")), "IMMEDIATE");
    assert_string_equal(json_string_value(json_object_get(o, "info_precedence")), "PRIORITY");
    assert_string_equal(json_string_value(json_object_get(o, "origin_ri")), "RUEHFR");
    assert_int_equal(json_integer_value(json_object_get(o, "station_serial")), 123);
    assert_int_equal(json_integer_value(json_object_get(o, "section")), 1);
    assert_string_equal(json_string_value(json_object_get(o, "dtg")), "2009-03-06T14:30:00Z");
    assert_string_equal(json_string_value(json_object_get(o, "classification")), "CONFIDENTIAL");
    assert_false(json_boolean_value(json_object_get(o, "corrected_copy")));
    to = json_array_get(json_object_get(o, "to"), 0);
    assert_string_equal(json_string_value(json_object_get(to, "ri")), "RUEHC");
    assert_int_equal(json_integer_value(json_object_get(to, "serial")), 4567);
    assert_true(json_is_false(json_object_get(to, "niact")));
    json_decref(o);
    free(s);
    /* A cable with errors: what could be read, diagnostics on stderr, exit 1. */
    assert_int_equal(run("show --json {}/bad.cable"), 1);
    s = out();
    o = json_loads(s, 0, &e);
    assert_non_null(o);
    assert_true(json_is_null(json_object_get(o, "dtg")));
    json_decref(o);
    free(s);
    s = tu_read_file(err_path, NULL);
    assert_non_null(strstr(s, "[dtg-invalid]"));
    free(s);
}

/* DESIGN.md's example of `show --json` is the seed cable: every key and type. */
static void test_show_json_seed(void **state)
{
    char         cmd[600];
    const char  *shared = getenv("CABLESIM_SHARED");
    char        *s;
    json_t      *o, *to, *info;
    json_error_t e;
    (void)state;
    if (!tu_real_corpus()) {
        skip();
        return;
    }
    if (!shared || !*shared)
        shared = getenv("CABLESIM_SHARED_DEFAULT");
    snprintf(cmd, sizeof(cmd), "show --json '%s/seed/000_238c8b85d3773a55.txt'",
             shared ? shared : "../shared");
    assert_int_equal(run(cmd), 0);
    s = out();
    o = json_loads(s, 0, &e);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "transmission_id")), "VZCZCXYZ0010");
    assert_string_equal(json_string_value(json_object_get(o, "precedence")), "IMMEDIATE");
    assert_string_equal(json_string_value(json_object_get(o, "info_precedence")), "IMMEDIATE");
    assert_string_equal(json_string_value(json_array_get(json_object_get(o, "routing_indicators"), 0)),
                        "RUEHWEB");
    assert_string_equal(json_string_value(json_object_get(o, "origin_ri")), "RUCNDT");
    assert_int_equal(json_integer_value(json_object_get(o, "station_serial")), 352);
    assert_int_equal(json_integer_value(json_object_get(o, "section")), 1);
    assert_int_equal(json_integer_value(json_object_get(o, "sections")), 1);
    assert_string_equal(json_string_value(json_object_get(o, "filed")), "1271302");
    assert_string_equal(json_string_value(json_object_get(o, "security")), "ZNY CCCCC");
    assert_string_equal(json_string_value(json_array_get(json_object_get(o, "signals"), 0)), "ZZH");
    assert_string_equal(json_string_value(json_array_get(json_object_get(o, "signals"), 1)), "ZDK");
    assert_true(json_is_true(json_object_get(o, "corrected_copy")));
    assert_string_equal(json_string_value(json_object_get(o, "dtg")), "2007-05-07T13:02:00Z");
    assert_string_equal(json_string_value(json_object_get(o, "from")), "USMISSION USUN NEW YORK");
    to = json_array_get(json_object_get(o, "to"), 0);
    assert_string_equal(json_string_value(json_object_get(to, "ri")), "RUEHC");
    assert_string_equal(json_string_value(json_object_get(to, "pla")), "SECSTATE WASHDC");
    assert_string_equal(json_string_value(json_object_get(to, "precedence")), "IMMEDIATE");
    assert_true(json_is_false(json_object_get(to, "niact")));
    assert_int_equal(json_integer_value(json_object_get(to, "serial")), 1834);
    info = json_array_get(json_object_get(o, "info"), 0);
    assert_true(json_is_null(json_object_get(info, "ri")));
    assert_string_equal(json_string_value(json_object_get(info, "pla")), "AMEMBASSY BELGRADE");
    assert_true(json_is_null(json_object_get(info, "precedence")));
    assert_true(json_is_false(json_object_get(info, "niact")));
    assert_true(json_is_null(json_object_get(info, "serial")));
    assert_string_equal(json_string_value(json_object_get(o, "classification")), "CONFIDENTIAL");
    assert_string_equal(json_string_value(json_object_get(o, "subject")),
                        "KOSOVO AT UNSC: RUSSIANS ARGUE FOR DELAY LEADING TO MORE DELAY");
    assert_int_equal(json_array_size(json_object_get(o, "tags")), 3);
    assert_string_equal(json_string_value(json_array_get(json_object_get(o, "tags"), 2)), "UNSC");
    assert_true(json_is_array(json_object_get(o, "captions")));
    assert_true(json_is_integer(json_object_get(o, "body_bytes")));
    assert_true(json_is_array(json_object_get(o, "xmt")));
    json_decref(o);
    free(s);
}

static void test_run_bad_input(void **state)
{
    char *e;
    (void)state;
    expect_error("run --network {}/tiny.yaml --corpus {}/no-such-corpus",
                 "cablesim run: {}/no-such-corpus: No such file or directory");
    expect_error("run --corpus {}/no-such-corpus", "{}/no-such-corpus: No such file or directory");
    expect_error("run --network {}/no-such.yaml --corpus {}/good.cable",
                 "{}/no-such.yaml: error: cannot read the file");
    expect_error("run --network {}/tiny.yaml --corpus {}/good.cable --speed 0",
                 "cablesim run: --speed takes a number above 0, not '0'");
    expect_error("run --network {}/tiny.yaml --corpus {}/good.cable --speed -1",
                 "cablesim run: --speed takes a number above 0, not '-1'");
    expect_error("run --network {}/tiny.yaml --corpus {}/good.cable --speed abc",
                 "cablesim run: --speed takes a number above 0, not 'abc'");
    /* "[--asap | --speed X]": not both, in either order (it used to run in
     * scaled time, silently). */
    expect_error("run --network {}/tiny.yaml --corpus {}/good.cable --asap --speed 5",
                 "cablesim run: --asap and --speed exclude each other");
    expect_error("run --network {}/tiny.yaml --corpus {}/good.cable --speed 5 --asap",
                 "cablesim run: --asap and --speed exclude each other");
    expect_error("run --network {}/tiny.yaml --corpus {}/good.cable extra",
                 "cablesim run: unexpected argument 'extra'");
    expect_error("run --network {}/syntax.yaml --corpus {}/good.cable",
                 "{}/syntax.yaml:3:1: error: YAML syntax error");
    expect_error("run --network {}/unknown-router.yaml --corpus {}/good.cable",
                 "{}/unknown-router.yaml:5:48: error: 'router' names an unknown router 'nowhere'");
    /* A log folder with another run's logs would mix them into the report. */
    make_dir("used-log");
    write_file("used-log/old.dlog", "");
    expect_error("run --network {}/tiny.yaml --corpus {}/good.cable --log {}/used-log",
                 "cablesim run: {}/used-log already holds delivery logs");

    expect_unknown_option("run --network {}/tiny.yaml --corpus {}/good.cable --bogus", "--bogus");
    expect_unknown_option("run --network {}/tiny.yaml --corpus {}/good.cable --speed", "--speed");

    assert_int_equal(run("run --help"), 0);
    e = out();
    assert_int_equal(strncmp(e, "usage: cablesim run ", 20), 0);
    assert_non_null(strstr(e, "--asap | --speed X"));
    free(e);
    e = err();
    assert_string_equal(e, "");
    free(e);
}

static void test_node_bad_input(void **state)
{
    (void)state;
    expect_error("node --host switch", "cablesim node: --network FILE and --host NAME are required");
    expect_error("node --network {}/tiny.yaml",
                 "cablesim node: --network FILE and --host NAME are required");
    expect_error("node --network {}/tiny.yaml --host nohost",
                 "cablesim node: the network has no station on host 'nohost'");
    expect_error("node --network {}/tiny.yaml --host switch --speed 0",
                 "cablesim node: --speed takes a number above 0, not '0'");
    expect_error("node --network {}/tiny.yaml --host switch --speed 2x",
                 "cablesim node: --speed takes a number above 0, not '2x'");
    expect_error("node --network {}/tiny.yaml --host switch --asap --speed 2",
                 "cablesim node: --asap excludes --speed");
    expect_error("node --network {}/syntax.yaml --host switch",
                 "{}/syntax.yaml:3:1: error: YAML syntax error");
    expect_error("node --network {}/no-such.yaml --host switch",
                 "{}/no-such.yaml: error: cannot read the file");
    expect_error("node --network {}/tiny.yaml --host switch --replay {}/no-such-corpus",
                 "{}/no-such-corpus: No such file or directory");
    expect_unknown_option("node --network {}/tiny.yaml --host switch --bogus", "--bogus");
    assert_int_equal(run("node --help"), 0);
}

static void test_report_bad_input(void **state)
{
    static const unsigned char junk[] = {0xc1, 0x00, 0xff, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef,
                                         0x00, 0x00, 0x80, 0x7f, 0xc1, 0x0a, 0x0d};
    FILE *f;
    char  path[300];
    (void)state;
    expect_error("report", "cablesim report: give at least one log folder");
    expect_error("report {}/no-such-folder", "cablesim report: {}/no-such-folder: No such file");
    /* A folder without logs is a wrong path, not a run with nothing in it
     * (it used to print an all-zero report and exit 0). */
    make_dir("no-logs");
    write_file("no-logs/notes.txt", "not a log\n");
    expect_error("report {}/no-logs",
                 "cablesim report: {}/no-logs: no delivery logs (*.dlog) in this folder");
    /* Garbage in a .dlog: a clear error naming the file, no crash. Bytes
     * that are no msgpack at all, and text (whole msgpack values that are
     * no records). */
    make_dir("corrupt");
    snprintf(path, sizeof(path), "%s/corrupt/garbage.dlog", tmpdir);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
    fclose(f);
    expect_error("report {}/corrupt", "cablesim report: {}/corrupt/garbage.dlog: ");
    expect_error("report --json {}/corrupt", "cablesim report: {}/corrupt/garbage.dlog: ");
    make_dir("text-log");
    write_file("text-log/notes.dlog", "this is not a delivery log\n");
    expect_error("report {}/text-log", "cablesim report: {}/text-log/notes.dlog: ");
    expect_unknown_option("report --bogus {}/corrupt", "--bogus");
    assert_int_equal(run("report --help"), 0);
}

static void test_router_bad_input(void **state)
{
    (void)state;
    expect_error("router --asap --network {}/tiny.yaml",
                 "cablesim router: --network FILE and --name NAME are required");
    expect_error("router --asap --network {}/tiny.yaml --name nor --journal {}/nor.journal",
                 "cablesim router: no router 'nor' in {}/tiny.yaml (it has: switch relay)");
    expect_error("router --asap --network {}/syntax.yaml --name switch --journal {}/s.journal",
                 "{}/syntax.yaml:3:1: error: YAML syntax error");
    expect_error("router --asap --network {}/unknown-router.yaml --name switch "
                 "--journal {}/s.journal",
                 "{}/unknown-router.yaml:5:48: error: 'router' names an unknown router 'nowhere'");
    /* A file that cannot be read has no line and column (it printed ':0:0:'). */
    expect_error("router --asap --network {}/no-such.yaml --name switch --journal {}/s.journal",
                 "{}/no-such.yaml: error: cannot read the file");
    expect_error("router --asap --speed 2 --network {}/tiny.yaml --name switch",
                 "cablesim router: --asap excludes --speed");
    expect_error("router --network {}/tiny.yaml --name switch --speed 60 --wall-start yesterday",
                 "cablesim router: --wall-start takes a UTC time such as 2009-03-02T00:00:00Z, "
                 "not 'yesterday'");
    expect_error("router --speed 0 --network {}/tiny.yaml --name switch",
                 "cablesim router: --speed takes a number above 0, not '0'");
    expect_unknown_option("router --network {}/tiny.yaml --name switch --bogus", "--bogus");
    assert_int_equal(run("router --help"), 0);
}

/* The main job on a tiny corpus: three cables, four deliveries, nothing lost;
 * then 'report' on the logs of that run says the same. */
static void test_run_tiny_json(void **state)
{
    char        *s;
    json_t      *o, *a;
    json_error_t e;
    (void)state;
    make_dir("tiny");
    write_file("tiny/1.cable", good);
    write_file("tiny/2.cable", reply);
    write_file("tiny/3.cable", flash);
    assert_int_equal(run("run --network {}/tiny.yaml --corpus {}/tiny --json --log {}/tiny-log"), 0);
    s = out();
    o = json_loads(s, 0, &e);
    if (!o)
        fail_msg("run --json: %s at %d:%d", e.text, e.line, e.column);
    a = json_object_get(o, "accounting");
    assert_true(json_is_object(a));
    assert_int_equal(json_integer_value(json_object_get(a, "originated")), 3);
    assert_int_equal(json_integer_value(json_object_get(a, "expected_deliveries")), 4);
    assert_int_equal(json_integer_value(json_object_get(a, "delivered")), 4);
    assert_int_equal(json_integer_value(json_object_get(a, "lost")), 0);
    assert_int_equal(json_integer_value(json_object_get(a, "duplicates")), 0);
    assert_int_equal(json_integer_value(json_object_get(a, "skipped")), 0);
    assert_int_equal(json_integer_value(json_object_get(a, "undeliverable")), 0);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(o, "by_precedence"), "FLASH"), "count")),
                     1);
    json_decref(o);
    free(s);
    assert_int_equal(run("report --json {}/tiny-log"), 0);
    s = out();
    o = json_loads(s, 0, &e);
    assert_non_null(o);
    a = json_object_get(o, "accounting");
    assert_int_equal(json_integer_value(json_object_get(a, "originated")), 3);
    assert_int_equal(json_integer_value(json_object_get(a, "delivered")), 4);
    assert_int_equal(json_integer_value(json_object_get(a, "lost")), 0);
    json_decref(o);
    free(s);
    /* The folder holds this run's logs now: a second run into it refuses. */
    expect_error("run --network {}/tiny.yaml --corpus {}/tiny --log {}/tiny-log",
                 "already holds delivery logs");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage),     cmocka_unit_test(test_lint_text),
        cmocka_unit_test(test_lint_json), cmocka_unit_test(test_explain),
        cmocka_unit_test(test_show_json),
        cmocka_unit_test(test_show_json_seed),
        cmocka_unit_test(test_run_bad_input),   cmocka_unit_test(test_node_bad_input),
        cmocka_unit_test(test_report_bad_input), cmocka_unit_test(test_router_bad_input),
        cmocka_unit_test(test_run_tiny_json),
    };
    return cmocka_run_group_tests_name("cli", tests, setup, teardown);
}
