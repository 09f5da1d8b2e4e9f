/*
 * cmd_report.c - cablesim report DIR...: the report of 'cablesim run' from
 * the delivery logs of a run's parties (routers and station hosts, in one
 * folder or several).
 */
#include "cli.h"
#include "report_out.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <string.h>

static void report_usage(FILE *out)
{
    fprintf(out, "usage: cablesim report [--json] [--fail-on-objective] DIR...\n\n"
                 "Print the speed-of-service report per precedence and the accounting line of\n"
                 "a run from the delivery logs in DIR... (every *.dlog of each folder), as\n"
                 "'cablesim run' prints it.\n\n"
                 "Options:\n"
                 "  --json               one JSON object, as 'cablesim run --json'\n"
                 "  --fail-on-objective  exit 1 when a delivery missed its objective\n"
                 "  -h, --help           this help\n\n"
                 "Exit: 0 when nothing was lost or duplicated, 1 otherwise, 2 on a usage or\n"
                 "I/O error.\n");
}

/* 1 when DIR holds a *.dlog file, 0 when not, -errno when it cannot be read. */
static int holds_logs(const char *dir)
{
    DIR           *d = opendir(dir);
    struct dirent *e;
    int            found = 0;
    if (!d)
        return -errno;
    while (!found && (e = readdir(d)))
        found = strlen(e->d_name) > 5 && strcmp(e->d_name + strlen(e->d_name) - 5, ".dlog") == 0;
    closedir(d);
    return found;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"fail-on-objective", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool           json = false, fail = false;
    int            ch;
    char           err[1024];
    rtr_dlog_set_t set;
    node_report_t  rep;
    size_t         torn = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'j': json = true; break;
        case 'f': fail = true; break;
        case 'h': report_usage(stdout); return CLI_OK;
        default: report_usage(stderr); return CLI_USAGE;
        }
    }
    if (optind == argc)
        return cli_usage_error("report", "give at least one log folder");
    for (int i = optind; i < argc; i++) {
        /* A folder without logs is a wrong path, not a run that did nothing. */
        int h = holds_logs(argv[i]);
        if (h < 0) {
            fprintf(stderr, "cablesim report: %s: %s\n", argv[i], strerror(-h));
            return CLI_USAGE;
        }
        if (h == 0) {
            fprintf(stderr, "cablesim report: %s: no delivery logs (*.dlog) in this folder\n",
                    argv[i]);
            return CLI_USAGE;
        }
    }
    if (rtr_dlog_read_kept((const char *const *)argv + optind, (size_t)(argc - optind),
                           node_report_keeps, NULL, &set, &torn, err, sizeof(err)) < 0) {
        fprintf(stderr, "cablesim report: %s\n", err);
        rtr_dlog_set_free(&set); /* what was read before the error */
        return CLI_USAGE;
    }
    if (torn)
        fprintf(stderr, "cablesim report: %zu torn records skipped\n", torn);
    node_report_build(&set, &rep);
    rtr_dlog_set_free(&set);
    if ((json ? report_print_json(&rep) : report_print_text(&rep)) < 0)
        return CLI_USAGE;
    return report_exit_code(&rep, fail);
}
