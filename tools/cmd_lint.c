/*
 * cmd_lint.c - cablesim lint: check cables against the ACP 127 format and
 * the operating procedures, file:line:col diagnostics with rule ids, and
 * the rule book for trainees (--explain, --rules).
 */
#include "cli.h"
#include "cable_json.h"
#include "cable_stream.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void lint_usage(FILE *out)
{
    fprintf(out,
            "usage: cablesim lint [--strict] [--json] PATH...\n"
            "       cablesim lint --explain RULE\n"
            "       cablesim lint --rules\n\n"
            "Check cables against the ACP 127 format and message-handling procedures.\n"
            "PATH is a file, a directory (read recursively: files ending .txt or .cable)\n"
            "or - for standard input; every input may hold several cables.\n\n"
            "Options:\n"
            "  --strict        departures from the canonical form are errors, not warnings\n"
            "  --json          JSON Lines: one object per cable, then a summary object\n"
            "  --explain RULE  print the procedure behind a rule id (e.g. dtg-missing)\n"
            "  --rules         list every rule id with its message\n"
            "  -h, --help      this help\n\n"
            "Output: file:line:col: error|warning: message [rule-id], then\n"
            "'cables: N, ok: N, errors: N, warnings: N'.\n"
            "Exit: 0 no errors, 1 at least one error, 2 usage or I/O error.\n");
}

static int explain(const char *id)
{
    const cable_rule_info_t *r = cable_rule_lookup(id);
    if (!r) {
        fprintf(stderr, "cablesim lint: no rule '%s'; 'cablesim lint --rules' lists them\n", id);
        return CLI_USAGE;
    }
    printf("%s (%s)\n  %s\n\n%s\n", r->id,
           r->always_error ? "always an error" : "a warning; an error under --strict", r->message,
           r->explain);
    return CLI_OK;
}

static int list_rules(void)
{
    for (int i = 0; i < CABLE_RULE_COUNT; i++) {
        const cable_rule_info_t *r = cable_rule_info((cable_rule_t)i);
        printf("%-26s %-7s %s\n", r->id, r->always_error ? "error" : "warning", r->message);
    }
    return CLI_OK;
}

int cmd_lint(int argc, char **argv)
{
    static const struct option opts[] = {
        {"strict", no_argument, NULL, 's'},   {"json", no_argument, NULL, 'j'},
        {"explain", required_argument, NULL, 'e'}, {"rules", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
    };
    bool           strict = false, json = false, io_error = false;
    int            ch;
    size_t         n_cables = 0, n_ok = 0, n_err = 0, n_warn = 0;
    cable_t        c;
    char           line[1024];

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 's': strict = true; break;
        case 'j': json = true; break;
        case 'e': return explain(optarg);
        case 'r': return list_rules();
        case 'h': lint_usage(stdout); return CLI_OK;
        default: lint_usage(stderr); return CLI_USAGE;
        }
    }
    if (optind >= argc)
        return cli_usage_error("lint", "no PATH given (a file, a directory, or - for stdin)");

    cable_init(&c);
    for (int a = optind; a < argc; a++) {
        cable_corpus_t cp;
        char           err[1024];
        cable_corpus_init(&cp);
        if (cable_corpus_add(&cp, argv[a], err, sizeof(err)) < 0) {
            fprintf(stderr, "cablesim lint: %s\n", err);
            io_error = true;
        }
        for (size_t i = 0; i < cp.n_entries; i++) {
            const char *file = cp.sources[cp.entries[i].source].name;
            cable_corpus_parse(&cp, i, &c, strict);
            n_cables++;
            n_ok += c.n_errors == 0;
            n_err += c.n_errors;
            n_warn += c.n_warnings;
            if (json) {
                json_t *o = json_object();
                char    id[64];
                size_t  idn = cable_id(&c, id, sizeof(id));
                json_object_set_new(o, "file", cable_json_span(sim_span_str(file)));
                json_object_set_new(o, "line", json_integer(cp.entries[i].seg.first_line));
                json_object_set_new(o, "id", json_stringn(id, idn));
                json_object_set_new(o, "ok", json_boolean(c.n_errors == 0));
                json_object_set_new(o, "diagnostics", cable_json_diags(&c));
                cli_json_print(o, 1);
                json_decref(o);
            } else {
                for (uint32_t d = 0; d < c.diags.n; d++) {
                    cable_diag_format(file, &c.diags.v[d], line, sizeof(line));
                    puts(line);
                }
            }
        }
        cable_corpus_destroy(&cp);
    }
    cable_destroy(&c);
    if (json) {
        json_t *o = json_object(), *s = json_object();
        json_object_set_new(s, "cables", json_integer((json_int_t)n_cables));
        json_object_set_new(s, "ok", json_integer((json_int_t)n_ok));
        json_object_set_new(s, "errors", json_integer((json_int_t)n_err));
        json_object_set_new(s, "warnings", json_integer((json_int_t)n_warn));
        json_object_set_new(o, "summary", s);
        cli_json_print(o, 1);
        json_decref(o);
    } else {
        printf("cables: %zu, ok: %zu, errors: %zu, warnings: %zu\n", n_cables, n_ok, n_err, n_warn);
    }
    if (fflush(stdout) != 0)
        return CLI_USAGE;
    if (io_error)
        return CLI_USAGE;
    return n_err ? CLI_PROBLEM : CLI_OK;
}
