/*
 * dlog_json.c - delivery-log records to JSON, and loading logs for the log
 * and trace commands.
 */
#include "dlog_json.h"
#include "cable_json.h"
#include "cli.h"

#include <stdio.h>
#include <time.h>

void dlog_time_iso(int64_t us, char *buf, size_t size)
{
    time_t    s = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
    int64_t   frac = us - (int64_t)s * 1000000;
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(buf, size, "%04u-%02u-%02uT%02u:%02u:%02u.%06uZ", (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u,
             (unsigned)frac % 1000000u);
}

json_t *dlog_json(const rtr_dlog_rec_t *r)
{
    json_t *o = json_object();
    char    t[40];
    dlog_time_iso(r->sim_time, t, sizeof(t));
    json_object_set_new(o, "sim_time", json_string(t));
    dlog_time_iso(r->wall_time, t, sizeof(t));
    json_object_set_new(o, "wall_time", json_string(t));
    json_object_set_new(o, "event", json_string(rtr_dlog_event_name(r->event)));
    if (r->party)
        json_object_set_new(o, "party", cable_json_span(sim_span_str(r->party)));
    if (r->id)
        json_object_set_new(o, "id", cable_json_span(sim_span_str(r->id)));
    if (r->precedence != CABLE_PREC_NONE)
        json_object_set_new(o, "precedence", json_string(cable_prec_word(r->precedence)));
    if (r->link)
        json_object_set_new(o, "link", cable_json_span(sim_span_str(r->link)));
    if (r->csn >= 0)
        json_object_set_new(o, "csn", json_integer(r->csn));
    if (r->addressee)
        json_object_set_new(o, "addressee", cable_json_span(sim_span_str(r->addressee)));
    if (r->detail)
        json_object_set_new(o, "detail", cable_json_span(sim_span_str(r->detail)));
    if (r->value)
        json_object_set_new(o, "value", json_integer(r->value));
    return o;
}

int dlog_load(const char *cmd, char **dirs, int n, rtr_dlog_set_t *set)
{
    char   err[1024];
    size_t torn = 0;
    int    rc = rtr_dlog_read((const char *const *)dirs, (size_t)n, set, &torn, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "cablesim %s: %s\n", cmd, err);
        rtr_dlog_set_free(set);
        return CLI_USAGE;
    }
    if (torn)
        fprintf(stderr, "cablesim %s: %zu log file(s) end in an unfinished record (skipped)\n", cmd,
                torn);
    return 0;
}
