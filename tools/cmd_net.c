/*
 * cmd_net.c - cablesim net --check FILE: validate a network file; and
 * cablesim net --from-corpus PATH: generate one from a corpus.
 *
 * A thin shell over net_load_mem (corpus/network.h). The file is read here
 * first so that "cannot read it" (exit 2, like every I/O error) stays apart
 * from "read it, and it is wrong" (exit 1, every problem listed). On success
 * stdout gets one summary line; on failure stdout gets one line per problem
 * as file:line:col: error: message. With --json, stdout gets one object
 * either way (written by jansson) and nothing else is printed.
 *
 * --from-corpus is a shell over net_gen_from_corpus (corpus/network_gen.h):
 * read the corpus, print the YAML on stdout (or --out FILE), and the
 * figures and the skipped entries on stderr. The generator loads what it
 * wrote and checks that the corpus resolves in it; a failure there is a
 * bug, reported with the loader's errors, exit 2 like an I/O error.
 */
#include "cli.h"

#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "network.h"
#include "network_gen.h"

static void net_usage(FILE *out)
{
    fprintf(out,
            "usage: cablesim net --check [--json] FILE\n"
            "       cablesim net --from-corpus PATH [--out FILE] [--routers-by N]\n"
            "                    [--min-group N] [--min-share PCT] [--base-port PORT]\n"
            "\n"
            "Check a network file (routers, stations, links, trunks, collectives, routes):\n"
            "every problem is reported as FILE:LINE:COL: error: MESSAGE on stdout. A file\n"
            "without problems gets one summary line on stdout. FILE '-' reads stdin.\n"
            "\n"
            "Or generate a network file from a corpus (a file, a folder of .txt/.cable\n"
            "files, or '-' for stdin): a station for every routing indicator and\n"
            "plain-language address the cables name (synthetic RIs XZ... for addresses\n"
            "written without one), a collective for every collective address (its one\n"
            "member a stand-in station), and relay routers grouped by RI prefix in a\n"
            "star around the busiest group's. The same corpus gives the same bytes.\n"
            "Entries with parse errors are skipped (count and first ones on stderr).\n"
            "\n"
            "Options:\n"
            "  --check FILE        validate FILE\n"
            "  --json              (with --check) print the result as one JSON object\n"
            "                      on stdout: file, ok, routers, stations, collectives,\n"
            "                      trunks, routes (null when not ok) and errors (list of\n"
            "                      {line, col, message})\n"
            "  --from-corpus PATH  generate a network file from the cables of PATH\n"
            "  --out FILE          write it to FILE instead of stdout\n"
            "  --routers-by N      group stations by the first N letters of their RI\n"
            "                      (1-7, default %u: RUEH, RUCN, RHMF, RUEK ...)\n"
            "  --min-group N       a group needs N stations (default %u) ...\n"
            "  --min-share PCT     ... or PCT percent of the sightings of RIs and\n"
            "                      addresses (default %u) for a router of its own;\n"
            "                      the other groups share " NET_GEN_CATCH_ALL "\n"
            "  --base-port PORT    routers listen on 127.0.0.1 from PORT up (default %u)\n"
            "  -h, --help          show this help\n"
            "\n"
            "Exit codes: 0 the file is valid (or was generated), 1 it has problems,\n"
            "2 usage error, or a file or corpus that cannot be read or written.\n",
            NET_GEN_PREFIX_LEN, NET_GEN_MIN_GROUP, NET_GEN_MIN_SHARE, NET_GEN_BASE_PORT);
}

/* A JSON string even for text that is not UTF-8 (a file name can be
 * anything): such bytes become '?'. */
static json_t *json_text(const char *s)
{
    json_t *j = json_string(s);
    if (!j) {
        char *copy = strdup(s);
        for (char *c = copy; c && *c; c++)
            if ((unsigned char)*c >= 0x80)
                *c = '?';
        j = json_string(copy ? copy : "");
        free(copy);
    }
    return j;
}

static json_t *count_or_null(const net_network_t *net, uint32_t n)
{
    return net ? json_integer(n) : json_null();
}

static int print_json(const char *file, const net_network_t *net, const net_errors_t *errs)
{
    json_t *o = json_object();
    json_t *list = json_array();
    int     rc;

    json_object_set_new(o, "file", json_text(file));
    json_object_set_new(o, "ok", json_boolean(net != NULL));
    json_object_set_new(o, "routers", count_or_null(net, net ? net->n_routers : 0));
    json_object_set_new(o, "stations", count_or_null(net, net ? net->n_stations : 0));
    json_object_set_new(o, "collectives", count_or_null(net, net ? net->n_collectives : 0));
    json_object_set_new(o, "trunks", count_or_null(net, net ? net->n_trunks : 0));
    json_object_set_new(o, "routes", count_or_null(net, net ? net->n_routes : 0));
    for (uint32_t i = 0; i < errs->n; i++) {
        json_t *e = json_object();
        json_object_set_new(e, "line", json_integer(errs->v[i].line));
        json_object_set_new(e, "col", json_integer(errs->v[i].col));
        json_object_set_new(e, "message", json_text(errs->v[i].message));
        json_array_append_new(list, e);
    }
    json_object_set_new(o, "errors", list);
    rc = cli_json_print(o, 0);
    json_decref(o);
    return rc;
}

/* Whether argv[*i] is option 'name', as "--name VALUE" or "--name=VALUE";
 * then *val is the value (NULL when the command line ends first) and *i
 * is on the last argument used. */
static bool option(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t      n = strlen(name);

    if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
        return false;
    if (a[n] == '=')
        *val = a + n + 1;
    else
        *val = *i + 1 < argc ? argv[++*i] : NULL;
    return true;
}

/* A whole number in [min, max] for option 'opt', or -1 after a usage error. */
static long option_num(const char *opt, const char *v, long min, long max)
{
    char *end;
    long  n;
    if (!v || !*v) {
        cli_usage_error("net", "%s needs a number", opt);
        return -1;
    }
    n = strtol(v, &end, 10);
    if (*end || n < min || n > max) {
        cli_usage_error("net", "%s must be a whole number from %ld to %ld, got '%s'", opt, min, max,
                        v);
        return -1;
    }
    return n;
}

/* The first error of each skipped entry (the generator keeps their indices). */
static void print_skipped(const cable_corpus_t *cp, const net_gen_stats_t *st)
{
    cable_t c;
    char    line[512];

    cable_init(&c);
    for (size_t k = 0; k < st->skipped && k < NET_GEN_SKIPPED_SHOWN; k++) {
        size_t              i = st->skipped_at[k];
        const char         *file = cp->sources[cp->entries[i].source].name;
        const cable_diag_t *d = NULL;
        cable_reset(&c);
        cable_corpus_parse(cp, i, &c, false);
        for (uint32_t j = 0; j < c.diags.n && !d; j++)
            if (c.diags.v[j].severity == CABLE_SEV_ERROR)
                d = &c.diags.v[j];
        if (d) {
            cable_diag_format(file, d, line, sizeof(line));
            fprintf(stderr, "cablesim net: skipped: %s\n", line);
        }
    }
    if (st->skipped > NET_GEN_SKIPPED_SHOWN)
        fprintf(stderr, "cablesim net: skipped: ... and %zu more\n",
                st->skipped - NET_GEN_SKIPPED_SHOWN);
    cable_destroy(&c);
}

static int write_out(const char *out, const char *yaml, size_t len)
{
    FILE *f = out ? fopen(out, "w") : stdout;
    int   bad;
    if (!f) {
        fprintf(stderr, "cablesim net: %s: %s\n", out, strerror(errno));
        return CLI_USAGE;
    }
    bad = fwrite(yaml, 1, len, f) != len;
    bad |= out ? fclose(f) != 0 : fflush(f) != 0;
    if (bad) {
        fprintf(stderr, "cablesim net: %s: cannot write: %s\n", out ? out : "stdout",
                strerror(errno));
        return CLI_USAGE;
    }
    return CLI_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int net_from_corpus(const char *path, const char *out, const net_gen_opts_t *o)
{
    cable_corpus_t  cp;
    net_gen_stats_t st;
    net_errors_t    errs = {0};
    char            err[512], *yaml = NULL;
    size_t          len;
    double          t0 = now_s();
    int             rc;

    cable_corpus_init(&cp);
    if (cable_corpus_add(&cp, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "cablesim net: %s\n", err);
        cable_corpus_destroy(&cp);
        return CLI_USAGE;
    }
    rc = net_gen_from_corpus(&cp, o, &yaml, &len, &st, &errs);
    print_skipped(&cp, &st);
    if (rc == SIM_EPARSE) {
        fprintf(stderr,
                "cablesim net: %s: no cable to build a network from (%zu entr%s, %zu "
                "skipped for parse errors)\n",
                path, st.entries, st.entries == 1 ? "y" : "ies", st.skipped);
        rc = CLI_USAGE;
    } else if (rc == SIM_EUSAGE) {
        net_errors_fprint(stderr, "cablesim net", &errs);
        rc = CLI_USAGE;
    } else if (rc < 0) {
        fprintf(stderr, "cablesim net: internal error: the generated network fails its own "
                        "check (please report it):\n");
        net_errors_fprint(stderr, "generated network", &errs);
        rc = CLI_USAGE;
    } else {
        rc = write_out(out, yaml, len);
        fprintf(stderr,
                "cablesim net: %s: %zu cable%s, %zu skipped (parse errors); %zu addressee "
                "lines, %zu unusable\n",
                path, st.entries, st.entries == 1 ? "" : "s", st.skipped, st.addressees,
                st.unusable);
        fprintf(stderr,
                "cablesim net: %u stations (%u for addresses seen without RI, %u stand-ins "
                "for collectives), %u collectives (%u with a synthetic RI); %u synthetic "
                "RIs, %u made-up addresses\n",
                st.stations, st.synthetic_ris - st.stand_ins - st.synthetic_collectives,
                st.stand_ins, st.collectives, st.synthetic_collectives, st.synthetic_ris,
                st.synthetic_plas);
        fprintf(stderr, "cablesim net: %u routers (hub %s", st.routers, st.hub);
        if (st.catch_all)
            fprintf(stderr, ", %u stations on %s", st.catch_all, NET_GEN_CATCH_ALL);
        fprintf(stderr, "), %u trunks, %u routes; %.2f s\n", st.trunks, st.routes, now_s() - t0);
    }
    free(yaml);
    net_errors_destroy(&errs);
    cable_corpus_destroy(&cp);
    return rc;
}

int cmd_net(int argc, char **argv)
{
    const char    *file = NULL, *corpus = NULL, *out = NULL;
    bool           json = false, check = false;
    char          *buf;
    size_t         len;
    int            rc;
    long           n;
    net_gen_opts_t gen = {0};
    bool           gen_opts = false;
    net_errors_t   errs = {0};
    net_network_t *net;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            net_usage(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (option(argc, argv, &i, "--check", &val)) {
            if (check)
                return cli_usage_error("net", "--check is given twice");
            if (!val)
                return cli_usage_error("net", "--check needs a FILE");
            check = true;
            file = val;
        } else if (option(argc, argv, &i, "--from-corpus", &val)) {
            if (corpus)
                return cli_usage_error("net", "--from-corpus is given twice");
            if (!val || !*val)
                return cli_usage_error("net", "--from-corpus needs a PATH");
            corpus = val;
        } else if (option(argc, argv, &i, "--out", &val)) {
            if (!val || !*val)
                return cli_usage_error("net", "--out needs a FILE");
            out = val;
        } else if (option(argc, argv, &i, "--routers-by", &val)) {
            if ((n = option_num("--routers-by", val, 1, 7)) < 0)
                return CLI_USAGE;
            gen.prefix_len = (uint32_t)n;
            gen_opts = true;
        } else if (option(argc, argv, &i, "--min-group", &val)) {
            if ((n = option_num("--min-group", val, 1, 1000000)) < 0)
                return CLI_USAGE;
            gen.min_group = (uint32_t)n;
            gen_opts = true;
        } else if (option(argc, argv, &i, "--min-share", &val)) {
            if ((n = option_num("--min-share", val, 1, 100)) < 0)
                return CLI_USAGE;
            gen.min_share = (uint32_t)n;
            gen_opts = true;
        } else if (option(argc, argv, &i, "--base-port", &val)) {
            if ((n = option_num("--base-port", val, 1, 65535)) < 0)
                return CLI_USAGE;
            gen.base_port = (uint32_t)n;
            gen_opts = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error("net", "unknown option '%s'", a);
        } else {
            return cli_usage_error("net",
                                   "unexpected argument '%s' (the file goes after --check, "
                                   "the corpus after --from-corpus)",
                                   a);
        }
    }
    if (check && corpus)
        return cli_usage_error("net", "give either --check FILE or --from-corpus PATH, not both");
    if (corpus) {
        if (json)
            return cli_usage_error("net", "--json goes with --check only");
        return net_from_corpus(corpus, out, &gen);
    }
    if (out || gen_opts)
        return cli_usage_error("net", "--out, --routers-by, --min-group, --min-share and "
                                      "--base-port go with --from-corpus");
    if (!check)
        return cli_usage_error("net", "nothing to do: give --check FILE or --from-corpus PATH");
    if (!*file)
        return cli_usage_error("net", "--check needs a FILE");

    rc = net_file_read(file, &buf, &len);
    if (rc == SIM_ETOOBIG) {
        /* Readable but not a network file: a problem of the file, exit 1. */
        net = net_load_mem(file, NULL, (size_t)NET_MAX_FILE_BYTES + 1, &errs);
    } else if (rc < 0) {
        fprintf(stderr, "cablesim net: %s: %s\n", file, sim_strerror(rc));
        return CLI_USAGE;
    } else {
        net = net_load_mem(file, buf, len, &errs);
        free(buf);
    }

    if (json) {
        if (print_json(file, net, &errs) < 0)
            rc = CLI_USAGE;
        else
            rc = net ? CLI_OK : CLI_PROBLEM;
    } else if (net) {
        printf("%s: ok: %u router%s, %u station%s, %u collective%s, %u trunk%s\n", file,
               net->n_routers, net->n_routers == 1 ? "" : "s", net->n_stations,
               net->n_stations == 1 ? "" : "s", net->n_collectives,
               net->n_collectives == 1 ? "" : "s", net->n_trunks, net->n_trunks == 1 ? "" : "s");
        rc = fflush(stdout) == 0 ? CLI_OK : CLI_USAGE;
    } else {
        net_errors_fprint(stdout, file, &errs); /* the check's result, like lint's lines */
        rc = CLI_PROBLEM;
    }
    net_free(net);
    net_errors_destroy(&errs);
    return rc;
}
