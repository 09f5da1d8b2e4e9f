/*
 * report_out.c - a replay's report as text or JSON (see report_out.h).
 */
#include "report_out.h"
#include "cli.h"

#include <stdio.h>

int report_print_text(const node_report_t *r)
{
    printf("%-18s %8s %10s %10s %10s %10s %10s %8s\n", "precedence", "count", "p50_s", "p95_s",
           "p99_s", "max_s", "objective", "met");
    for (int p = CABLE_PREC_Y; p >= CABLE_PREC_R; p--) {
        const node_report_prec_t *b = &r->by_prec[p];
        printf("%-18s %8llu %10.1f %10.1f %10.1f %10.1f %10.0f %7.1f%%\n",
               cable_prec_word((cable_prec_t)p), (unsigned long long)b->count, b->p50_s,
               b->p95_s, b->p99_s, b->max_s, b->objective_s,
               b->count ? 100.0 * (double)b->met / (double)b->count : 100.0);
    }
    printf("input duplicates: %llu, corrected copies: %llu, undeliverable: %llu, skipped: %llu\n",
           (unsigned long long)r->input_duplicates, (unsigned long long)r->corrected,
           (unsigned long long)r->undeliverable, (unsigned long long)r->skipped);
    printf("originated: %llu, expected deliveries: %llu, delivered: %llu, duplicates: %llu, "
           "lost: %llu\n",
           (unsigned long long)r->originated, (unsigned long long)r->expected,
           (unsigned long long)r->delivered, (unsigned long long)r->duplicates,
           (unsigned long long)r->lost);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}

int report_print_json(const node_report_t *r)
{
    json_t *o = json_object(), *a = json_object(), *bp = json_object();
    int     rc;
    json_object_set_new(a, "originated", json_integer((json_int_t)r->originated));
    json_object_set_new(a, "expected_deliveries", json_integer((json_int_t)r->expected));
    json_object_set_new(a, "delivered", json_integer((json_int_t)r->delivered));
    json_object_set_new(a, "duplicates", json_integer((json_int_t)r->duplicates));
    json_object_set_new(a, "input_duplicates", json_integer((json_int_t)r->input_duplicates));
    json_object_set_new(a, "corrected_copies", json_integer((json_int_t)r->corrected));
    json_object_set_new(a, "undeliverable", json_integer((json_int_t)r->undeliverable));
    json_object_set_new(a, "skipped", json_integer((json_int_t)r->skipped));
    json_object_set_new(a, "lost", json_integer((json_int_t)r->lost));
    for (int p = CABLE_PREC_Y; p >= CABLE_PREC_R; p--) {
        const node_report_prec_t *b = &r->by_prec[p];
        json_t                   *e = json_object();
        json_object_set_new(e, "count", json_integer((json_int_t)b->count));
        json_object_set_new(e, "p50_s", json_real(b->p50_s));
        json_object_set_new(e, "p95_s", json_real(b->p95_s));
        json_object_set_new(e, "p99_s", json_real(b->p99_s));
        json_object_set_new(e, "max_s", json_real(b->max_s));
        json_object_set_new(e, "objective_s", json_real(b->objective_s));
        json_object_set_new(e, "met_share",
                            json_real(b->count ? (double)b->met / (double)b->count : 1.0));
        json_object_set_new(bp, cable_prec_word((cable_prec_t)p), e);
    }
    json_object_set_new(o, "accounting", a);
    json_object_set_new(o, "by_precedence", bp);
    rc = cli_json_print(o, 0);
    json_decref(o);
    return rc;
}

int report_exit_code(const node_report_t *r, bool fail_on_objective)
{
    if (r->lost || r->duplicates)
        return CLI_PROBLEM;
    if (fail_on_objective)
        for (int p = CABLE_PREC_R; p <= CABLE_PREC_Y; p++)
            if (r->by_prec[p].met < r->by_prec[p].count)
                return CLI_PROBLEM;
    return CLI_OK;
}
