/*
 * cable_diag.h - diagnostics of the cable parser and the rules they cite.
 *
 * Every diagnostic names a rule. A rule has a stable id (what `lint` prints
 * in brackets and `lint --explain` takes), a one-line message, and a plain
 * English explanation of the operating procedure behind it, written for a
 * trainee operator. Rules marked 'always_error' are errors in lenient mode
 * too (DESIGN.md lists them); every other rule is a warning in lenient mode
 * and an error under --strict.
 */
#ifndef CABLE_DIAG_H
#define CABLE_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CABLE_RULES(X)                                                                            \
    X(INPUT_EMPTY, "input-empty", 1)                                                              \
    X(INPUT_BINARY, "input-binary", 1)                                                            \
    X(DTG_MISSING, "dtg-missing", 1)                                                              \
    X(DTG_INVALID, "dtg-invalid", 1)                                                              \
    X(PREC_MISSING, "precedence-missing", 1)                                                      \
    X(FM_MISSING, "fm-missing", 1)                                                                \
    X(ADDR_MISSING, "addressee-missing", 1)                                                       \
    X(TEXT_MISSING, "text-missing", 1)                                                            \
    X(FL1_MISSING, "fl1-missing", 0)                                                              \
    X(FL1_MALFORMED, "fl1-malformed", 0)                                                          \
    X(FL1_CSN_WIDTH, "fl1-csn-width", 0)                                                          \
    X(FL2_MISSING, "fl2-missing", 0)                                                              \
    X(FL2_PROSIGN, "fl2-prosign-unknown", 0)                                                      \
    X(FL2_RI, "fl2-ri-malformed", 0)                                                              \
    X(FL2_NOT_HIGHEST, "fl2-not-highest", 0)                                                      \
    X(HEADER_BLANK, "header-blank-line", 0)                                                       \
    X(DE_MISSING, "de-missing", 0)                                                                \
    X(DE_MALFORMED, "de-malformed", 0)                                                            \
    X(DE_FILED, "de-filed-time", 0)                                                               \
    X(FL4_MISSING, "fl4-missing", 0)                                                              \
    X(FL4_MALFORMED, "fl4-malformed", 0)                                                          \
    X(SIGNAL_UNKNOWN, "signal-unknown", 0)                                                        \
    X(DTG_MALFORMED, "dtg-malformed", 0)                                                          \
    X(DTG_PREC, "dtg-precedence", 0)                                                              \
    X(DEBRIS, "debris", 0)                                                                        \
    X(FM_MALFORMED, "fm-malformed", 0)                                                            \
    X(ADDR_MALFORMED, "addressee-malformed", 0)                                                   \
    X(ADDR_NO_RI, "addressee-no-ri", 0)                                                           \
    X(ADDR_PREC, "addressee-precedence", 0)                                                       \
    X(NIACT_INFO, "niact-info", 0)                                                                \
    X(BT_MISSING, "bt-missing", 0)                                                                \
    X(CLASS_MISSING, "classification-missing", 0)                                                 \
    X(CLASS_MALFORMED, "classification-malformed", 0)                                             \
    X(CLASS_MISMATCH, "classification-mismatch", 0)                                               \
    X(SECTION_MISMATCH, "section-mismatch", 0)                                                    \
    X(SERIAL_MISMATCH, "serial-mismatch", 0)                                                      \
    X(EO_MALFORMED, "eo-malformed", 0)                                                            \
    X(TAGS_MISSING, "tags-missing", 0)                                                            \
    X(TAGS_FORM, "tags-form", 0)                                                                  \
    X(SUBJECT_MISSING, "subject-missing", 0)                                                      \
    X(NIACT_JUSTIFY, "niact-justification", 0)                                                    \
    X(TRAILER_MISSING, "trailer-missing", 0)                                                      \
    X(TRAILER_SSN, "trailer-ssn", 0)                                                              \
    X(WS_TRAILING, "trailing-blank", 0)                                                           \
    X(WS_DOUBLE, "double-space", 0)                                                               \
    X(CRLF, "crlf", 0)                                                                            \
    X(UTF8, "utf8-invalid", 0)                                                                    \
    X(NONASCII, "header-non-ascii", 0)                                                            \
    X(LOWERCASE, "header-lower-case", 0)                                                          \
    X(LINE_LONG, "line-too-long", 0)                                                              \
    X(SPLIT_GUESSED, "split-guessed", 0)

typedef enum cable_rule {
#define CABLE_RULE_ENUM(name, id, err) CABLE_R_##name,
    CABLE_RULES(CABLE_RULE_ENUM)
#undef CABLE_RULE_ENUM
    CABLE_RULE_COUNT
} cable_rule_t;

typedef enum cable_sev {
    CABLE_SEV_WARNING = 1,
    CABLE_SEV_ERROR   = 2,
} cable_sev_t;

typedef struct cable_rule_info {
    const char *id;           /* "dtg-missing" */
    bool        always_error; /* an error in lenient mode too */
    const char *message;      /* one line: what is wrong */
    const char *explain;      /* the procedure rule, for a trainee operator */
} cable_rule_info_t;

typedef struct cable_diag {
    uint32_t    line;     /* from 1 */
    uint32_t    col;      /* from 1, in bytes */
    uint16_t    rule;     /* cable_rule_t */
    uint8_t     severity; /* cable_sev_t */
    const char *detail;   /* extra words after the message, or NULL (arena) */
} cable_diag_t;

typedef struct cable_diag_list {
    cable_diag_t *v;
    uint32_t      n;
    uint32_t      cap; /* private */
} cable_diag_list_t;

const cable_rule_info_t *cable_rule_info(cable_rule_t r);
/* By id; NULL when there is no such rule. */
const cable_rule_info_t *cable_rule_lookup(const char *id);
/* The severity a rule has in the given mode. */
cable_sev_t cable_rule_severity(cable_rule_t r, bool strict);
const char *cable_sev_word(cable_sev_t s);

/* cable_diag_format - "file:line:col: error: message: detail [rule-id]"
 * into buf; returns the length it needed (like snprintf). */
int cable_diag_format(const char *file, const cable_diag_t *d, char *buf, size_t size);

#endif
