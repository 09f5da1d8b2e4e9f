/*
 * cmd_trace.c - cablesim trace: follow one cable hop by hop through the
 * delivery logs of several parties, as an operator's tracer action would:
 * at each party, when it came in and from which link, where and when it went
 * out (link, channel sequence number), and where it was delivered.
 */
#include "cli.h"
#include "dlog_json.h"

#include <getopt.h>
#include <string.h>

static void trace_usage(FILE *out)
{
    fprintf(out, "usage: cablesim trace [--json] DIR... CABLE-ID\n\n"
                 "Follow one cable through the delivery logs in DIR..., hop by hop.\n"
                 "CABLE-ID is origin RI + station serial + section + DTG, e.g.\n"
                 "  cablesim trace log/ 'RUCNDT#0352/01 071302Z MAY 07'\n\n"
                 "Options:\n"
                 "  --json      JSON Lines: the cable's records in order\n"
                 "  -h, --help  this help\n\n"
                 "Exit: 0 the cable was found, 1 it is in none of the logs, 2 usage or I/O "
                 "error.\n");
}

int cmd_trace(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    bool           json = false;
    rtr_dlog_set_t set;
    int            ch, rc;
    size_t         found = 0;
    const char    *id, *party = NULL;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'j': json = true; break;
        case 'h': trace_usage(stdout); return CLI_OK;
        default: trace_usage(stderr); return CLI_USAGE;
        }
    }
    if (argc - optind < 2)
        return cli_usage_error("trace", "expected DIR... and a CABLE-ID");
    id = argv[argc - 1];
    if ((rc = dlog_load("trace", argv + optind, argc - optind - 1, &set)) != 0)
        return rc;
    for (size_t i = 0; i < set.n; i++) {
        const rtr_dlog_rec_t *r = &set.v[i];
        char                  st[40];
        if (!r->id || strcmp(r->id, id) != 0)
            continue;
        found++;
        if (json) {
            json_t *o = dlog_json(r);
            cli_json_print(o, 1);
            json_decref(o);
            continue;
        }
        if (found == 1)
            printf("trace of %s\n", id);
        if (!party || !r->party || strcmp(party, r->party) != 0) {
            party = r->party;
            printf("\nat %s:\n", party ? party : "?");
        }
        dlog_time_iso(r->sim_time, st, sizeof(st));
        printf("  %s  %-20s", st, rtr_dlog_event_name(r->event));
        if (r->link)
            printf(" link %s", r->link);
        if (r->csn >= 0)
            printf(" csn %04d", r->csn);
        if (r->addressee)
            printf(" for %s", r->addressee);
        if (r->detail)
            printf("  (%s)", r->detail);
        putchar('\n');
    }
    rtr_dlog_set_free(&set);
    if (!found) {
        fprintf(stderr, "cablesim trace: %s is in none of the logs\n", id);
        return CLI_PROBLEM;
    }
    return fflush(stdout) == 0 ? CLI_OK : CLI_USAGE;
}
