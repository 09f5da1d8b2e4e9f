/*
 * cable_gen_int.h - internals shared by the files of the synthetic cable
 * generator: cable_gen.c (distributions, addressing, heading, sections) and
 * cable_gen_text.c (the prose: vocabulary, subjects, tags, paragraphs).
 * Nothing outside corpus/ includes this.
 */
#ifndef CABLE_GEN_INT_H
#define CABLE_GEN_INT_H

#include "cable_gen.h"

/* Text lines are wrapped at this many columns (the emitter's width). */
#define CABLE_GEN__WIDTH 69

/* --- PRNG: xoshiro256** seeded through splitmix64 ----------------------- */

typedef struct cable_gen__rng {
    uint64_t s[4];
} cable_gen__rng_t;

void     cable_gen__rng_seed(cable_gen__rng_t *r, uint64_t seed);
uint64_t cable_gen__rng_next(cable_gen__rng_t *r);
/* Uniform in [0, n); 0 when n is 0. Unbiased. */
uint32_t cable_gen__below(cable_gen__rng_t *r, uint32_t n);
/* Uniform in [lo, hi] (inclusive). */
uint32_t cable_gen__range(cable_gen__rng_t *r, uint32_t lo, uint32_t hi);
/* True with probability permille / 1000. */
bool     cable_gen__chance(cable_gen__rng_t *r, uint32_t permille);
/* Index drawn with the given integer weights; the sum must be above 0. */
uint32_t cable_gen__pick(cable_gen__rng_t *r, const uint32_t *weights, uint32_t n);
/* An element of a NULL-free string array. */
#define CABLE_GEN__ONE_OF(r, arr) ((arr)[cable_gen__below((r), (uint32_t)SIM_ARRAY_LEN(arr))])
/* splitmix64 finaliser: a well-mixed 64-bit hash of x. */
uint64_t cable_gen__mix64(uint64_t x);

/* --- growable byte buffer ----------------------------------------------- */

typedef struct cable_gen__buf {
    char  *p;   /* NUL-terminated while len > 0 */
    size_t len;
    size_t cap;
} cable_gen__buf_t;

void cable_gen__put(cable_gen__buf_t *b, const char *s, size_t n);
void cable_gen__puts(cable_gen__buf_t *b, const char *s);
void cable_gen__putf(cable_gen__buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cable_gen__buf_free(cable_gen__buf_t *b);

/* --- the prose ---------------------------------------------------------- */

/* What the prose of one message needs to know. */
typedef struct cable_gen__story {
    const char   *post;       /* short name of the originating post ("TRIPOLI") */
    const char   *country;    /* "LIBYA", or NULL when the post is not known */
    const char   *ccode;      /* "LY", or NULL */
    bool          from_state; /* originated by the Department */
    cable_class_t cls;
    bool          noforn, sensitive;
    int64_t       when;       /* DTG, epoch seconds */
    bool          niact;
    bool          action;     /* carries an action request */
    uint32_t      topic;      /* index of the message's topic */
} cable_gen__story_t;

/* Short name of a post on the classification line from its plain-language
 * address: "AMEMBASSY TRIPOLI" -> "TRIPOLI", "SECSTATE WASHDC" -> "STATE".
 * Writes at most size-1 bytes. */
void cable_gen__post_name(const char *pla, char *out, size_t size);
/* Country of a post's short name: name and two-letter tag, or false. */
bool cable_gen__country(const char *post, const char **country, const char **ccode);

uint32_t cable_gen__topic_count(void);
/* SUBJECT text (capitals, no "SUBJECT: "), TAGS (space separated) of a story. */
void cable_gen__subject(cable_gen__rng_t *r, const cable_gen__story_t *s, cable_gen__buf_t *out);
void cable_gen__tags(cable_gen__rng_t *r, const cable_gen__story_t *s, cable_gen__buf_t *out);
/* A surname for signatures, from the project's list. */
const char *cable_gen__surname(uint64_t h);
/* The portion mark of a paragraph ("C", "S/NF", "SBU", ...); 'first' gets the
 * cable's own level. */
const char *cable_gen__mark(cable_gen__rng_t *r, const cable_gen__story_t *s, bool first);
/* What a paragraph is for. */
typedef enum cable_gen__para {
    CABLE_GEN__PARA_BODY = 0,
    CABLE_GEN__PARA_FIRST,   /* paragraph 1 of a short text */
    CABLE_GEN__PARA_SUMMARY, /* paragraph 1 of a longer text: Summary ... End summary. */
    CABLE_GEN__PARA_ACTION,  /* the action request */
    CABLE_GEN__PARA_COMMENT, /* the last paragraph: Comment ... End comment. */
    CABLE_GEN__PARA_NIACT,   /* only the NIACT justification sentence */
} cable_gen__para_t;

/* A paragraph's body (unwrapped, without "n. (X) "), appended to out; aims
 * at about 'target' bytes. FIRST and SUMMARY open with the NIACT
 * justification when the story is NIACT. */
void cable_gen__paragraph(cable_gen__rng_t *r, const cable_gen__story_t *s,
                          cable_gen__para_t kind, uint32_t target, cable_gen__buf_t *out);
/* Exactly 'len' bytes of prose ending in a full stop (len >= 6). */
void cable_gen__exact(cable_gen__rng_t *r, const cable_gen__story_t *s, size_t len,
                      cable_gen__buf_t *out);
/* Appends 'text' wrapped at CABLE_GEN__WIDTH columns: every break replaces a
 * blank with a newline, so the length is unchanged. No line after the first
 * starts with a digit or '(' (it would read as a new paragraph); with
 * 'fields', none starts like another heading field either (REF, TAGS, E.O.,
 * SUBJECT ...), so SUBJECT and REF continuations are read back whole. */
void cable_gen__wrap(cable_gen__buf_t *out, const char *text, size_t len, bool fields);

#endif
