/*
 * report_out.h - printing a replay's report (node_report.h) as text or
 * JSON: shared by 'cablesim run' and 'cablesim report'.
 */
#ifndef REPORT_OUT_H
#define REPORT_OUT_H

#include "node_report.h"

/* Text on stdout: a table of the five precedences, then the accounting
 * line. Returns 0, or -1 when stdout failed. */
int report_print_text(const node_report_t *r);
/* One JSON object on stdout ('accounting', 'by_precedence'). */
int report_print_json(const node_report_t *r);
/* The exit code of DESIGN.md: 1 when anything was lost or duplicated (or,
 * with fail_on_objective, an objective was missed), else 0. */
int report_exit_code(const node_report_t *r, bool fail_on_objective);

#endif
