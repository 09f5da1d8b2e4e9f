/*
 * cable.h - what a cable is: the model of one ACP 127 / State Department
 * telegram, and the parse / emit / compare entry points.
 *
 * A parsed cable borrows the text it was parsed from: its fields are spans
 * into that text (zero copy), and what had to be built (the joined SUBJECT,
 * arrays, diagnostics) lives in the cable's arena. The caller keeps the text
 * alive as long as the cable. A cable decoded from msgpack copies its strings
 * into the arena instead (see cable_msgpack.h), so it owns everything.
 *
 * Layout of the model follows docs/cable-format.md: FL1 transmission
 * identification, FL2 precedence prosign + routing indicators, FL3 DE line,
 * FL4 security + operating signals, FL5 DTG line, FL6 FM, FL7 TO, FL8 INFO,
 * FL9 XMT, then the text (classification line, captions, E.O., TAGS,
 * SUBJECT, REF, body, signature) and the BT / #SSN / NNNN trailer.
 */
#ifndef CABLE_H
#define CABLE_H

#include "sim.h"
#include "cable_diag.h"

/* Precedence, in increasing urgency so that max() is "the highest". */
typedef enum cable_prec {
    CABLE_PREC_NONE = 0,
    CABLE_PREC_R    = 1, /* ROUTINE */
    CABLE_PREC_P    = 2, /* PRIORITY */
    CABLE_PREC_O    = 3, /* IMMEDIATE (NIACT is a flag on an addressee) */
    CABLE_PREC_Z    = 4, /* FLASH */
    CABLE_PREC_Y    = 5, /* EMERGENCY COMMAND */
} cable_prec_t;
#define CABLE_PREC_COUNT 6

/* "ROUTINE", "PRIORITY", "IMMEDIATE", "FLASH", "EMERGENCY COMMAND"; NULL for NONE. */
const char  *cable_prec_word(cable_prec_t p);
/* 'R', 'P', 'O', 'Z', 'Y'; '?' for NONE. */
char         cable_prec_letter(cable_prec_t p);
/* From a prosign letter; CABLE_PREC_NONE when it is not one. */
cable_prec_t cable_prec_from_letter(int ch);
/* From a word ("FLASH", "IMMEDIATE", "NIACT IMMEDIATE", "ECP", ...). */
cable_prec_t cable_prec_from_word(const char *p, size_t len);
/* Speed-of-service objective of a precedence, in seconds. */
int64_t      cable_prec_objective_s(cable_prec_t p);

typedef enum cable_class {
    CABLE_CLASS_NONE = 0,
    CABLE_CLASS_UNCLASSIFIED,
    CABLE_CLASS_CONFIDENTIAL,
    CABLE_CLASS_SECRET,
    CABLE_CLASS_TOP_SECRET,
} cable_class_t;

const char *cable_class_word(cable_class_t c); /* NULL for NONE */

/* A date-time group. year is four digits; 'valid' is false when absent. */
typedef struct cable_dtg {
    int16_t year;
    uint8_t month; /* 1-12 */
    uint8_t day;   /* 1-31 */
    uint8_t hour;
    uint8_t minute;
    bool    valid;
} cable_dtg_t;

/* Seconds since 1970-01-01T00:00:00Z of a valid DTG. */
int64_t cable_dtg_epoch(const cable_dtg_t *d);
/* From epoch seconds (minutes kept, seconds dropped). */
cable_dtg_t cable_dtg_from_epoch(int64_t t);
/* True when the calendar date and time exist. */
bool cable_dtg_exists(int year, int month, int day, int hour, int minute);
/* "YYYY-MM-DDTHH:MM:00Z" into buf (at least 21 bytes). */
void cable_dtg_iso(const cable_dtg_t *d, char buf[21]);
/* "DDHHMMZ MON YY" into buf (at least 15 bytes). */
void cable_dtg_text(const cable_dtg_t *d, char buf[15]);

/* One TO / INFO / XMT addressee line. */
typedef struct cable_addr {
    sim_span_t   ri;        /* "RUEHC"; empty when written without RI */
    sim_span_t   pla;       /* "SECSTATE WASHDC" (inner blanks as written) */
    sim_span_t   prec_word; /* "NIACT IMMEDIATE" as written; empty if none */
    sim_span_t   serial;    /* "1834" or "2276-2279" as written; empty if none */
    int32_t      serial_lo; /* -1 when absent */
    int32_t      serial_hi; /* == serial_lo unless a range */
    cable_prec_t prec;      /* from prec_word; NONE when absent */
    bool         niact;
    bool         zen;       /* ZEN/ in place of the RI: served by other means */
    uint32_t     line;      /* line in the source, 0 when not parsed */
} cable_addr_t;

typedef struct cable_addr_list {
    cable_addr_t *v;
    uint32_t      n;
    uint32_t      cap; /* private */
} cable_addr_list_t;

typedef struct cable_span_list {
    sim_span_t *v;
    uint32_t    n;
    uint32_t    cap; /* private */
} cable_span_list_t;

typedef struct cable {
    sim_arena_t arena;     /* owns what the cable built or copied */
    const char *file;      /* borrowed name for diagnostics; may be NULL */

    /* FL1 */
    sim_span_t transmission_id; /* "VZCZCXYZ0010" */
    sim_span_t channel;         /* "XYZ" */
    int32_t    csn;             /* channel sequence number; -1 absent */
    uint8_t    csn_digits;      /* 3 or 4 as written; 0 absent */

    /* FL2 */
    cable_prec_t      fl2_prec;   /* from the doubled prosign; NONE if absent/unknown */
    sim_span_t        fl2_prosign;/* as written, e.g. "OO", "NN" */
    cable_span_list_t routing_indicators;

    /* FL3 DE line */
    sim_span_t origin_ri;      /* "RUCNDT" */
    int32_t    station_serial; /* 352; -1 absent */
    uint16_t   section;        /* 1 when absent */
    uint16_t   sections;       /* from SECTION n OF m; 1 when absent */
    bool       de_has_section; /* "/01" written on the DE line */
    sim_span_t filed;          /* "1271302" as written */

    /* FL4 */
    sim_span_t        security; /* "ZNY CCCCC" */
    cable_span_list_t signals;  /* "ZZH", "ZDK", ... (FL4 and after the DTG) */
    cable_span_list_t controls; /* parenthetical control strings "(CCY ...)" */
    uint16_t          fl4_signals;  /* the first fl4_signals of 'signals' are on FL4, */
    uint16_t          fl4_controls; /* the rest after the DTG; likewise 'controls' */
    bool              corrected_copy; /* CCY control string or C O R R E C T E D C O P Y */

    /* FL5 */
    cable_prec_t dtg_prec;      /* action precedence letter */
    cable_prec_t dtg_info_prec; /* second letter, or == dtg_prec */
    cable_dtg_t  dtg;
    sim_span_t   dtg_signals;   /* what follows the DTG on its line, as written */

    /* FL6-FL9 */
    sim_span_t        from;
    cable_addr_list_t to, info, xmt;

    /* Text */
    cable_class_t     classification;
    sim_span_t        classification_line; /* as written */
    sim_span_t        post;        /* "USUN NEW YORK" from the classification line */
    int32_t           cable_number; /* 352 from "000352"; -1 absent */
    cable_span_list_t captions;    /* "SIPDIS", "NOFORN", ... */
    sim_span_t        eo;          /* what follows "E.O. 12958:" */
    cable_span_list_t tags;
    sim_span_t        subject;     /* continuation lines joined by one space */
    sim_span_t        ref;         /* REF: line(s) joined */
    sim_span_t        text;        /* from the classification line to the end of
                                      the text (trailer excluded) */
    sim_span_t        signature;   /* last non-blank line of the text */
    uint32_t          body_bytes;  /* == text.len */

    /* Trailer */
    bool    has_bt;       /* BT before the text */
    bool    has_trailer;  /* BT / #SSN / NNNN after it */
    int32_t trailer_ssn;  /* -1 absent */

    /* Where it came from */
    uint32_t first_line;  /* line of the source where this cable starts */
    uint32_t text_line;   /* line of the classification line */

    /* Diagnostics, in source order. */
    cable_diag_list_t diags;
    uint32_t          n_errors;
    uint32_t          n_warnings;
} cable_t;

/* The highest precedence of the cable: format line 2, DTG line, addressees. */
cable_prec_t cable_precedence(const cable_t *c);
/* Precedence for information addressees (second DTG letter), else cable_precedence. */
cable_prec_t cable_info_precedence(const cable_t *c);
/* The precedence an addressee is handled at: its own word, else the
 * DTG line's action (TO) or info (INFO) letter, else the cable's. */
cable_prec_t cable_addr_precedence(const cable_t *c, const cable_addr_t *a, bool info);

/* Number of sections and the section number, with the defaults of DESIGN.md. */

/* cable_serial - the station serial of the DE line, else the last four
 * digits of the cable number on the classification line; -1 when neither. */
int32_t cable_serial(const cable_t *c);

/* cable_id - "RUCNDT#0352/01 071302Z MAY 07" into buf; returns its length.
 * Fields that are absent print as "?". */
size_t cable_id(const cable_t *c, char *buf, size_t size);

typedef struct cable_parse_opts {
    bool        strict;     /* departures from the canonical form are errors */
    const char *file;       /* name for diagnostics */
    uint32_t    first_line; /* line number of text[0] in the file (default 1) */
    bool        split_guessed; /* the stream splitter guessed where this cable starts */
} cable_parse_opts_t;

void cable_init(cable_t *c);
void cable_destroy(cable_t *c);
/* cable_reset - empty the cable for reuse, keeping its arena's memory. */
void cable_reset(cable_t *c);

/* cable_parse - parse one cable out of 'text' (borrowed: it must outlive c).
 * Always fills what could be read and the diagnostics. Returns 0 when the
 * cable has no error, SIM_EPARSE when it has at least one. Never reads
 * outside [text, text+len); NUL bytes and invalid UTF-8 are diagnosed. */
int cable_parse(cable_t *c, const char *text, size_t len, const cable_parse_opts_t *opts);

/* cable_emit - the canonical ACP 127 text of c, with BT / #SSN / NNNN.
 * Returns owned (free()) NUL-terminated text; *len_out gets its length. */
char *cable_emit(const cable_t *c, size_t *len_out);

/* cable_emit_len - the length cable_emit would give, without building it
 * (what a simulated link transmits: the copy's canonical text). */
size_t cable_emit_len(const cable_t *c);

/* cable_fields_equal - true when a and b have the same content fields (every
 * field of the model except source positions, diagnostics and trailer form).
 * On difference and 'why' non-NULL, *why names the first field that differs. */
bool cable_fields_equal(const cable_t *a, const cable_t *b, const char **why);

/* cable_copy - deep copy of src into dst (initialised), all strings into dst's
 * arena, so dst does not borrow src's text. */
void cable_copy(cable_t *dst, const cable_t *src);

#endif
