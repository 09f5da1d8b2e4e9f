/*
 * node_report.h - the report of a replay, from the delivery logs alone
 * (DESIGN.md: accounting line, speed of service per precedence).
 *
 * From the records of every party (rtr_dlog_read):
 *   originated        'originated' records (input duplicates included)
 *   expected          the sum of their values (deliveries expected)
 *   input_duplicates  'originated' records marked "input duplicate"
 *   corrected         'originated' records of corrected copies ("corrected
 *                     copy" in the detail), input duplicates aside
 *   undeliverable     the sum of "undeliverable N" of their details
 *   skipped           'skipped' records
 *   delivered         distinct (identity, station) 'delivered' records
 *                     written by a station (party = addressee)
 *   duplicates        'duplicate-suppressed' records of stations, except
 *                     repeats of an input duplicate's identity
 *   lost              expected - delivered (never below 0)
 * A corrected copy's records (detail "corrected copy" when originated,
 * "CCY" at a station) count under its identity marked corrected: its
 * deliveries are not repeats of the original's.
 * Speed of service per delivery: its sim-time minus its cable's DTG (the
 * sim-time of its 'originated' record), against the objective of the
 * delivery's precedence (docs/cable-format.md: Y and Z 10 min, O 30 min,
 * P 3 h, R 6 h).
 */
#ifndef NODE_REPORT_H
#define NODE_REPORT_H

#include "cable.h"
#include "rtr_dlog.h"

typedef struct node_report_prec {
    uint64_t count, met;
    double   p50_s, p95_s, p99_s, max_s, objective_s;
} node_report_prec_t;

typedef struct node_report {
    uint64_t           originated, expected, delivered, duplicates, input_duplicates;
    uint64_t           undeliverable, skipped, lost, corrected;
    uint64_t           unmatched; /* deliveries of no originated cable (not timed) */
    node_report_prec_t by_prec[CABLE_PREC_COUNT]; /* index cable_prec_t */
} node_report_t;

/* The objective of a precedence, seconds. */
double node_report_objective_s(cable_prec_t p);

/* node_report_keeps - the records node_report_build reads (an
 * rtr_dlog_keep_fn for rtr_dlog_read_kept; ud unused): the rest of a big
 * run's logs need not be held in memory. */
bool node_report_keeps(const rtr_dlog_rec_t *r, void *ud);
/* node_report_build - from a set of records (borrowed). */
void node_report_build(const rtr_dlog_set_t *set, node_report_t *out);

#endif
