/*
 * cmd_log.c - cablesim log: the delivery logs of one or more parties merged
 * in sim-time order, as text, JSON Lines or CSV, optionally for one cable.
 */
#include "cli.h"
#include "dlog_json.h"

#include <getopt.h>
#include <string.h>

static void log_usage(FILE *out)
{
    fprintf(out,
            "usage: cablesim log DIR... [--format text|jsonl|csv] [--cable ID]\n\n"
            "Print the delivery logs kept in DIR (by `cablesim router --log DIR`, `cablesim run\n"
            "--log DIR`, ...) merged in sim-time order: one record per event of a cable at a\n"
            "party (accepted, routed, queued, transmit-start, preempted, delivered, ...).\n\n"
            "Options:\n"
            "  --format F   text (default), jsonl (one JSON object per line) or csv\n"
            "  --cable ID   only the records of one cable, e.g. 'RUCNDT#0352/01 071302Z MAY 07'\n"
            "  -h, --help   this help\n\n"
            "Fields whose name holds 'wall' are wall-clock times; every other field is the\n"
            "same in two --asap runs. Exit: 0, or 2 on a usage or I/O error.\n");
}

/* CSV field with quotes doubled (RFC 4180). */
static void csv_field(const char *s, bool last)
{
    if (s && *s) {
        bool quote = strpbrk(s, ",\"\n\r") != NULL;
        if (quote)
            putchar('"');
        for (const char *p = s; *p; p++) {
            if (*p == '"')
                putchar('"');
            putchar(*p);
        }
        if (quote)
            putchar('"');
    }
    putchar(last ? '\n' : ',');
}

int cmd_log(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"cable", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char    *format = "text", *cable = NULL;
    rtr_dlog_set_t set;
    int            ch, rc;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'f': format = optarg; break;
        case 'c': cable = optarg; break;
        case 'h': log_usage(stdout); return CLI_OK;
        default: log_usage(stderr); return CLI_USAGE;
        }
    }
    if (strcmp(format, "text") && strcmp(format, "jsonl") && strcmp(format, "csv"))
        return cli_usage_error("log", "unknown format '%s' (text, jsonl or csv)", format);
    if (optind >= argc)
        return cli_usage_error("log", "no DIR given");
    if ((rc = dlog_load("log", argv + optind, argc - optind, &set)) != 0)
        return rc;
    if (strcmp(format, "csv") == 0)
        printf("sim_time,wall_time,event,party,id,precedence,link,csn,addressee,detail,value\n");
    for (size_t i = 0; i < set.n; i++) {
        const rtr_dlog_rec_t *r = &set.v[i];
        char                  st[40], wt[40], num[32];
        if (cable && (!r->id || strcmp(r->id, cable) != 0))
            continue;
        dlog_time_iso(r->sim_time, st, sizeof(st));
        dlog_time_iso(r->wall_time, wt, sizeof(wt));
        if (strcmp(format, "jsonl") == 0) {
            json_t *o = dlog_json(r);
            cli_json_print(o, 1);
            json_decref(o);
        } else if (strcmp(format, "csv") == 0) {
            csv_field(st, false);
            csv_field(wt, false);
            csv_field(rtr_dlog_event_name(r->event), false);
            csv_field(r->party, false);
            csv_field(r->id, false);
            csv_field(cable_prec_word(r->precedence), false);
            csv_field(r->link, false);
            snprintf(num, sizeof(num), "%d", r->csn);
            csv_field(r->csn >= 0 ? num : NULL, false);
            csv_field(r->addressee, false);
            csv_field(r->detail, false);
            snprintf(num, sizeof(num), "%lld", (long long)r->value);
            csv_field(r->value ? num : NULL, true);
        } else {
            printf("%s %-20s %-12s %-30s %c", st, rtr_dlog_event_name(r->event),
                   r->party ? r->party : "-", r->id ? r->id : "-",
                   cable_prec_letter(r->precedence));
            if (r->link)
                printf(" link=%s", r->link);
            if (r->csn >= 0)
                printf(" csn=%04d", r->csn);
            if (r->addressee)
                printf(" to=%s", r->addressee);
            if (r->detail)
                printf(" (%s)", r->detail);
            putchar('\n');
        }
    }
    rtr_dlog_set_free(&set);
    return fflush(stdout) == 0 ? CLI_OK : CLI_USAGE;
}
