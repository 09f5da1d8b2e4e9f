/*
 * test_cli.c - the cablesim command as a user runs it: exit codes, the lint
 * line format and summary, JSON Lines that a JSON library reads back, show
 * --json with DESIGN.md's keys, --explain, usage errors.
 */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage),     cmocka_unit_test(test_lint_text),
        cmocka_unit_test(test_lint_json), cmocka_unit_test(test_explain),
        cmocka_unit_test(test_show_json),
        cmocka_unit_test(test_show_json_seed),
    };
    return cmocka_run_group_tests_name("cli", tests, setup, teardown);
}
