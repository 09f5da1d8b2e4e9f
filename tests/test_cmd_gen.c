/*
 * test_cmd_gen.c - `cablesim gen` as a user runs it: help and usage errors
 * (exit 2), network file errors as file:line:col (exit 2), the stream on
 * stdout clean under `lint --strict`, JSON Lines read back by jansson, one
 * file per cable with --out, exact --size, --start, and the same bytes for
 * the same seed in every output mode.
 */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char tmpdir[] = "/tmp/cablesim-gen-XXXXXX";
static char out_path[300], err_path[300], net_path[4200];

/* Runs "cablesim ARGS" ({} is the temp folder, {N} the sample network);
 * stdout and stderr go to files. Returns the exit status. */
static int run(const char *args)
{
    char        cmd[16384], expanded[8192];
    const char *p = args;
    size_t      o = 0;
    while (*p && o < sizeof(expanded) - 4300) {
        if (p[0] == '{' && p[1] == '}') {
            o += (size_t)snprintf(expanded + o, sizeof(expanded) - o, "%s", tmpdir);
            p += 2;
        } else if (strncmp(p, "{N}", 3) == 0) {
            o += (size_t)snprintf(expanded + o, sizeof(expanded) - o, "'%s'", net_path);
            p += 3;
        } else {
            expanded[o++] = *p++;
        }
    }
    expanded[o] = '\0';
    snprintf(cmd, sizeof(cmd), "'%s' %s >'%s' 2>'%s' </dev/null", tu_bin(), expanded, out_path,
             err_path);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static char *slurp(const char *path, size_t *len)
{
    char *s = tu_read_file(path, len);
    assert_non_null(s);
    return s;
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(out_path, sizeof(out_path), "%s/stdout", tmpdir);
    snprintf(err_path, sizeof(err_path), "%s/stderr", tmpdir);
    snprintf(net_path, sizeof(net_path), "%s/network.yaml", tu_sample_dir());
    return 0;
}

static int teardown(void **state)
{
    char cmd[400];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_help_and_usage(void **state)
{
    static const char *const options[] = {"--count", "--seed",     "--network",
                                          "--mix",   "--out",      "--start",
                                          "--interval", "--size", "--whole", "--json"};
    char *s;
    (void)state;
    assert_int_equal(run("gen --help"), 0);
    s = slurp(out_path, NULL);
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
        assert_non_null(strstr(s, options[i]));
    assert_non_null(strstr(s, "Z:1,O:9,P:30,R:60"));
    free(s);

    assert_int_equal(run("gen"), 2);
    s = slurp(err_path, NULL);
    assert_non_null(strstr(s, "--count"));
    free(s);
    assert_int_equal(run("gen --count many"), 2);
    assert_int_equal(run("gen --count -3"), 2);
    assert_int_equal(run("gen --count 3 --mix Q:1"), 2);
    s = slurp(err_path, NULL);
    assert_non_null(strstr(s, "--mix"));
    assert_non_null(strstr(s, "Q:1"));
    free(s);
    assert_int_equal(run("gen --count 3 --mix Z:0"), 2);
    assert_int_equal(run("gen --count 3 --start 2009-02-30"), 2);
    assert_int_equal(run("gen --count 3 --start yesterday"), 2);
    assert_int_equal(run("gen --count 3 --interval 0"), 2);
    assert_int_equal(run("gen --count 3 extra"), 2);
    assert_int_equal(run("gen --count 3 --bogus"), 2);
    s = slurp(out_path, NULL);
    assert_string_equal(s, ""); /* nothing on stdout for a usage error */
    free(s);
}

static void test_network_errors(void **state)
{
    char  path[400];
    FILE *f;
    char *s;
    (void)state;
    assert_int_equal(run("gen --count 3 --network {}/missing.yaml"), 2);
    s = slurp(err_path, NULL);
    assert_non_null(strstr(s, "missing.yaml"));
    free(s);

    snprintf(path, sizeof(path), "%s/bad.yaml", tmpdir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("routers:\n  - {name: r1, listen: \"127.0.0.1:1\"}\nstations:\n"
          "  - {ri: RUEHAA, pla: AMEMBASSY ALPHA, router: nowhere}\n",
          f);
    fclose(f);
    assert_int_equal(run("gen --count 3 --network {}/bad.yaml"), 2);
    s = slurp(err_path, NULL);
    {
        char want[450];
        snprintf(want, sizeof(want), "%s:4:", path);
        if (!strstr(s, want))
            fail_msg("expected '%s' in: %s", want, s);
    }
    free(s);
}

static void test_stream_is_canonical(void **state)
{
    char   *a, *b, *s;
    size_t  la, lb;
    (void)state;
    assert_int_equal(run("gen --count 40 --seed 3 --network {N}"), 0);
    a = slurp(out_path, &la);
    assert_true(la > 1000);
    assert_int_equal(strncmp(a, "VZCZC", 5), 0);
    assert_int_equal(run("gen --count 40 --seed 3 --network {N}"), 0);
    b = slurp(out_path, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la); /* deterministic */
    free(b);
    {
        char cp[400];
        FILE *f;
        snprintf(cp, sizeof(cp), "%s/stream.txt", tmpdir);
        f = fopen(cp, "w");
        assert_non_null(f);
        fwrite(a, 1, la, f);
        fclose(f);
    }
    assert_int_equal(run("lint --strict {}/stream.txt"), 0);
    s = slurp(out_path, NULL);
    assert_non_null(strstr(s, "cables: 40, ok: 40, errors: 0, warnings: 0"));
    free(s);
    /* The default network is the bundled sample. */
    assert_int_equal(run("gen --count 40 --seed 3"), 0);
    b = slurp(out_path, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(b);
    free(a);
}

static void test_json_and_out(void **state)
{
    char        *stream, *jl, *line, *save = NULL;
    size_t       ls, pos = 0;
    int          n = 0;
    json_error_t je;
    (void)state;
    assert_int_equal(run("gen --count 30 --seed 4 --network {N}"), 0);
    stream = slurp(out_path, &ls);

    /* JSON Lines with the text: the same bytes as the stream. */
    assert_int_equal(run("gen --count 30 --seed 4 --network {N} --json"), 0);
    jl = slurp(out_path, NULL);
    for (line = strtok_r(jl, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_t     *o = json_loads(line, 0, &je);
        const char *text;
        size_t      tl;
        assert_non_null(o);
        assert_true(json_is_string(json_object_get(o, "id")));
        assert_true(json_is_string(json_object_get(o, "precedence")));
        assert_true(json_is_integer(json_object_get(o, "sections")));
        assert_true(json_is_integer(json_object_get(o, "section")));
        text = json_string_value(json_object_get(o, "text"));
        tl = json_string_length(json_object_get(o, "text"));
        assert_non_null(text);
        assert_int_equal(json_integer_value(json_object_get(o, "bytes")), tl);
        assert_true(pos + tl <= ls);
        assert_memory_equal(stream + pos, text, tl);
        pos += tl;
        n++;
        json_decref(o);
    }
    assert_int_equal(n, 30);
    assert_int_equal(pos, ls);
    free(jl);

    /* One file per cable, in a folder made on the way. */
    assert_int_equal(run("gen --count 30 --seed 4 --network {N} --out {}/deep/out --json"), 0);
    jl = slurp(out_path, NULL);
    pos = 0;
    n = 0;
    save = NULL;
    for (line = strtok_r(jl, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_t     *o = json_loads(line, 0, &je);
        const char *file, *id, *base;
        char       *body, want[80];
        size_t      bl;
        assert_non_null(o);
        file = json_string_value(json_object_get(o, "file"));
        id = json_string_value(json_object_get(o, "id"));
        assert_non_null(file);
        assert_null(json_object_get(o, "text"));
        /* RUEHLO#0945/01 ... -> RUEHLO-0945-01.cable */
        {
            const char *hash = strchr(id, '#');
            assert_non_null(hash);
            snprintf(want, sizeof(want), "%.*s-%.4s-%.2s.cable", (int)(hash - id), id, hash + 1,
                     hash + 6);
        }
        base = strrchr(file, '/');
        assert_string_equal(base ? base + 1 : file, want);
        body = slurp(file, &bl);
        assert_int_equal(json_integer_value(json_object_get(o, "bytes")), bl);
        assert_memory_equal(stream + pos, body, bl);
        pos += bl;
        n++;
        free(body);
        json_decref(o);
    }
    assert_int_equal(n, 30);
    free(jl);
    free(stream);
    /* Without --json, --out prints nothing on stdout. */
    assert_int_equal(run("gen --count 5 --seed 4 --network {N} --out {}/quiet"), 0);
    stream = slurp(out_path, &ls);
    assert_int_equal(ls, 0);
    free(stream);
    /* An --out that cannot be a folder. */
    assert_int_equal(run("gen --count 5 --network {N} --out {}/stdout/x"), 2);
}

static void test_size_and_start(void **state)
{
    char        *jl, *line, *save = NULL;
    json_error_t je;
    int          n = 0;
    (void)state;
    assert_int_equal(
        run("gen --count 20 --seed 5 --network {N} --size 1024 --json --start 2010-01-01T12:00Z"),
        0);
    jl = slurp(out_path, NULL);
    for (line = strtok_r(jl, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_t *o = json_loads(line, 0, &je);
        assert_non_null(o);
        assert_int_equal(json_integer_value(json_object_get(o, "bytes")), 1024);
        assert_int_equal(json_integer_value(json_object_get(o, "sections")), 1);
        if (n == 0)
            assert_non_null(strstr(json_string_value(json_object_get(o, "id")), "011200Z JAN 10"));
        n++;
        json_decref(o);
    }
    assert_int_equal(n, 20);
    free(jl);
    assert_int_equal(run("gen --count 0 --network {N}"), 0);
    free(jl = NULL);
    /* --whole: past the count until the last message is complete. */
    for (int seed = 1; seed <= 5; seed++) {
        char    args[200];
        json_t *o = NULL;
        n = 0;
        snprintf(args, sizeof(args), "gen --count 3 --whole --seed %d --network {N} --json", seed);
        assert_int_equal(run(args), 0);
        jl = slurp(out_path, NULL);
        save = NULL;
        for (line = strtok_r(jl, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            json_decref(o);
            o = json_loads(line, 0, &je);
            assert_non_null(o);
            n++;
        }
        assert_true(n >= 3);
        assert_int_equal(json_integer_value(json_object_get(o, "section")),
                         json_integer_value(json_object_get(o, "sections")));
        json_decref(o);
        free(jl);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_usage),
        cmocka_unit_test(test_network_errors),
        cmocka_unit_test(test_stream_is_canonical),
        cmocka_unit_test(test_json_and_out),
        cmocka_unit_test(test_size_and_start),
    };
    return cmocka_run_group_tests_name("cmd_gen", tests, setup, teardown);
}
