/*
 * cable_int.h - internals shared by the files of the cable parser
 * (cable_lex.c, cable_header.c, cable_addr.c, cable_text.c, cable_parse.c).
 * Nothing outside corpus/ includes this.
 */
#ifndef CABLE_INT_H
#define CABLE_INT_H

#include "cable.h"

/* Lines longer than this are diagnosed and read only up to it. */
#define CABLE__LINE_MAX (64 * 1024)
/* Lines searched for the start of a heading before giving up. */
#define CABLE__HEADER_SCAN 400
/* Lines of text searched for captions, TAGS, SUBJECT and REF. */
#define CABLE__TEXT_SCAN 80

typedef struct cable__line {
    const char *p;   /* first byte of the line */
    uint32_t    len; /* without the LF, the CR before it and trailing blanks */
    uint32_t    raw; /* without the LF and CR, trailing blanks kept */
    uint32_t    no;  /* line number in the file */
    const char *next; /* first byte of the following line */
} cable__line_t;

typedef struct cable__ctx {
    cable_t    *c;
    const char *text;
    const char *end;
    bool        strict;
    uint32_t    line0;     /* line number of text[0] */
    /* once-per-cable diagnostics already given */
    bool        said_trailing, said_double, said_lower, said_nonascii, said_long, said_crlf;
    uint32_t    n_trailing;
} cable__ctx_t;

/* Reads the line starting at 'p' (which must be < ctx->end). */
void cable__line_at(cable__ctx_t *x, const char *p, uint32_t no, cable__line_t *l);

/* Adds a diagnostic with the rule's severity in the current mode. 'detail'
 * is copied (may be NULL). col is from 1. */
void cable__diag(cable__ctx_t *x, uint32_t line, uint32_t col, cable_rule_t rule,
                 const char *detail);
void cable__diagf(cable__ctx_t *x, uint32_t line, uint32_t col, cable_rule_t rule,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Heading-line hygiene: trailing blanks, double spaces, lower case, non-ASCII. */
void cable__check_header_line(cable__ctx_t *x, const cable__line_t *l);

/* Character classes and small scanners. */
static inline bool cable__upper(int ch) { return ch >= 'A' && ch <= 'Z'; }
static inline bool cable__digit(int ch) { return ch >= '0' && ch <= '9'; }
static inline bool cable__blank(int ch) { return ch == ' ' || ch == '\t'; }

/* True for a routing indicator: 4 to 7 capital letters. */
bool cable__is_ri(const char *p, size_t len);
/* Next blank-separated token in [*pp, end); returns false when none. */
bool cable__token(const char **pp, const char *end, sim_span_t *tok);
/* Parses exactly n digits at p; -1 when they are not all digits. */
int32_t cable__digits(const char *p, size_t n);
/* Appends to an arena list. */
void cable__push_span(sim_arena_t *a, cable_span_list_t *l, sim_span_t s);
cable_addr_t *cable__push_addr(sim_arena_t *a, cable_addr_list_t *l);
/* Trim blanks at both ends. */
sim_span_t cable__trim(sim_span_t s);
/* Month "JAN".."DEC" -> 1..12; 0 when not a month. */
int cable__month(const char *p);

/* Line classifiers for the heading. */
bool cable__is_dtg_line(const cable__line_t *l);
bool cable__starts(const cable__line_t *l, const char *word); /* "FM " etc. */

/* Stages of the heading. */
int  cable__parse_header(cable__ctx_t *x, const char *start, uint32_t no,
                         const char **text_start, uint32_t *text_no);
void cable__parse_addr(cable__ctx_t *x, const cable__line_t *l, const char *p,
                       cable_addr_list_t *list, bool info);
void cable__parse_signals(cable__ctx_t *x, const cable__line_t *l, const char *p, bool fl4);
/* The text: classification line to the trailer. */
void cable__parse_text(cable__ctx_t *x, const char *start, uint32_t no);
/* Is this line the start of the text (a classification line)? */
bool cable__is_class_line(const cable__line_t *l);
/* A classification line in its canonical form (spaced out, or UNCLAS):
 * what may end a heading without a blank line ("SECRET SERVICE" may not). */
bool cable__is_class_line_strong(const cable__line_t *l);
/* An addressee without RI that, written on a continuation line, would be
 * read as something else (TO/INFO/XMT, BT, a classification line...). */
bool cable__addr_line_ambiguous(sim_span_t pla);

#endif
