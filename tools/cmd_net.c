/*
 * cmd_net.c - cablesim net --check FILE: validate a network file.
 *
 * A thin shell over net_load_mem (corpus/network.h). The file is read here
 * first so that "cannot read it" (exit 2, like every I/O error) stays apart
 * from "read it, and it is wrong" (exit 1, every problem listed). On success
 * stdout gets one summary line; on failure stderr gets one line per problem
 * as file:line:col: error: message. With --json, stdout gets one object
 * either way (written by jansson) and nothing else is printed.
 */
#include "cli.h"

#include <string.h>
#include <stdlib.h>

#include "network.h"

static void net_usage(FILE *out)
{
    fprintf(out, "usage: cablesim net --check [--json] FILE\n"
                 "\n"
                 "Check a network file (routers, stations, links, trunks, collectives, routes):\n"
                 "every problem is reported as FILE:LINE:COL: error: MESSAGE on stderr. A file\n"
                 "without problems gets one summary line on stdout. FILE '-' reads stdin.\n"
                 "\n"
                 "Options:\n"
                 "  --check FILE  validate FILE\n"
                 "  --json        print the result as one JSON object on stdout: file, ok,\n"
                 "                routers, stations, collectives, trunks, routes (null when\n"
                 "                not ok) and errors (list of {line, col, message})\n"
                 "  -h, --help    show this help\n"
                 "\n"
                 "Exit codes: 0 the file is valid, 1 it has problems, 2 usage error or the\n"
                 "file cannot be read.\n");
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

int cmd_net(int argc, char **argv)
{
    const char    *file = NULL;
    bool           json = false, check = false;
    char          *buf;
    size_t         len;
    int            rc;
    net_errors_t   errs = {0};
    net_network_t *net;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            net_usage(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--check") == 0) {
            if (check)
                return cli_usage_error("net", "--check is given twice");
            if (i + 1 >= argc)
                return cli_usage_error("net", "--check needs a FILE");
            check = true;
            file = argv[++i];
        } else if (strncmp(a, "--check=", 8) == 0) {
            if (check)
                return cli_usage_error("net", "--check is given twice");
            check = true;
            file = a + 8;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error("net", "unknown option '%s'", a);
        } else {
            return cli_usage_error("net", "unexpected argument '%s' (the file goes after --check)",
                                   a);
        }
    }
    if (!check)
        return cli_usage_error("net", "nothing to do: give --check FILE");
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
        net_errors_fprint(stderr, file, &errs);
        rc = CLI_PROBLEM;
    }
    net_free(net);
    net_errors_destroy(&errs);
    return rc;
}
