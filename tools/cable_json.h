/*
 * cable_json.h - a cable and its diagnostics as JSON values (jansson), with
 * the keys and types of DESIGN.md's `cablesim show --json`.
 */
#ifndef CABLE_JSON_H
#define CABLE_JSON_H

#include <jansson.h>
#include "cable.h"

/* Returns a new reference to an object with the fields of c. */
json_t *cable_json(const cable_t *c);
/* Returns a new reference to a list of {line, col, severity, rule, message}. */
json_t *cable_json_diags(const cable_t *c);
/* A string value from a span; JSON null when the span is absent. */
json_t *cable_json_span(sim_span_t s);

#endif
