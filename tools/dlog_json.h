/*
 * dlog_json.h - a delivery-log record as a flat JSON object (jansson), the
 * form `cablesim log --format jsonl` and `cablesim trace --json` print.
 */
#ifndef DLOG_JSON_H
#define DLOG_JSON_H

#include <jansson.h>
#include "rtr_dlog.h"

/* "2009-03-06T14:30:00.000000Z" into buf (at least 32 bytes). */
void dlog_time_iso(int64_t us, char *buf, size_t size);
/* A new reference: {sim_time, wall_time, event, party, id, precedence, link,
 * csn, addressee, detail, value}; absent fields are left out. */
json_t *dlog_json(const rtr_dlog_rec_t *r);
/* Reads the folders given on a command line; prints errors as "cablesim
 * CMD: ..." and returns 0, or 2 (usage/I/O). */
int dlog_load(const char *cmd, char **dirs, int n, rtr_dlog_set_t *set);

#endif
