/*
 * cmd_show.c - cablesim show: the parsed fields of a cable, as text or JSON.
 * What could be read is shown even when the cable has errors; the
 * diagnostics go to stderr and the exit status is then 1.
 */
#include "cli.h"
#include "cable_json.h"
#include "cable_stream.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void show_usage(FILE *out)
{
    fprintf(out, "usage: cablesim show [--json | --canonical] FILE\n\n"
                 "Print the parsed fields of the cable(s) in FILE (- for standard input).\n"
                 "With several cables in FILE, each is shown in turn (--json: one object per\n"
                 "line). Diagnostics go to stderr.\n\n"
                 "Options:\n"
                 "  --json      the fields as a JSON object (keys as documented in the README)\n"
                 "  --canonical the cable rewritten in the canonical ACP 127 form (BT, #SSN, NNNN)\n"
                 "  -h, --help  this help\n\n"
                 "Exit: 0 parsed without error, 1 the cable has errors, 2 usage or I/O error.\n");
}

static void print_value(const char *key, json_t *v, int indent)
{
    if (json_is_array(v) && json_array_size(v) && json_is_object(json_array_get(v, 0))) {
        size_t  i;
        json_t *e;
        printf("%*s%s:\n", indent, "", key);
        json_array_foreach(v, i, e)
        {
            const char *k;
            json_t     *f;
            int         first = 1;
            printf("%*s- ", indent + 2, "");
            json_object_foreach(e, k, f)
            {
                char *s = json_dumps(f, JSON_ENCODE_ANY);
                printf("%s%s=%s", first ? "" : " ", k, s ? s : "?");
                free(s);
                first = 0;
            }
            printf("\n");
        }
        return;
    }
    if (json_is_string(v)) {
        printf("%*s%s: %s\n", indent, "", key, json_string_value(v));
    } else {
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        printf("%*s%s: %s\n", indent, "", key, s ? s : "?");
        free(s);
    }
}

int cmd_show(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"canonical", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool           json = false, canonical = false;
    int            ch, rc = CLI_OK;
    cable_corpus_t cp;
    cable_t        c;
    char           err[1024], line[1024];

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'j': json = true; break;
        case 'c': canonical = true; break;
        case 'h': show_usage(stdout); return CLI_OK;
        default: show_usage(stderr); return CLI_USAGE;
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("show", "expected exactly one FILE");
    cable_corpus_init(&cp);
    if (cable_corpus_add(&cp, argv[optind], err, sizeof(err)) < 0) {
        fprintf(stderr, "cablesim show: %s\n", err);
        cable_corpus_destroy(&cp);
        return CLI_USAGE;
    }
    cable_init(&c);
    for (size_t i = 0; i < cp.n_entries; i++) {
        json_t *o;
        cable_corpus_parse(&cp, i, &c, false);
        for (uint32_t d = 0; d < c.diags.n; d++) {
            cable_diag_format(cp.sources[cp.entries[i].source].name, &c.diags.v[d], line,
                              sizeof(line));
            fprintf(stderr, "%s\n", line);
        }
        if (c.n_errors)
            rc = CLI_PROBLEM;
        if (canonical) {
            size_t len;
            char  *text = cable_emit(&c, &len);
            fwrite(text, 1, len, stdout);
            free(text);
            continue;
        }
        o = cable_json(&c);
        if (json) {
            cli_json_print(o, cp.n_entries > 1);
        } else {
            const char *k;
            json_t     *v;
            if (i)
                printf("\n");
            json_object_foreach(o, k, v) print_value(k, v, 0);
        }
        json_decref(o);
    }
    cable_destroy(&c);
    cable_corpus_destroy(&cp);
    if (fflush(stdout) != 0)
        return CLI_USAGE;
    return rc;
}
