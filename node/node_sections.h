/*
 * node_sections.h - section reassembly at a destination station
 * (docs/cable-format.md, procedure 10): the cables of one message share
 * origin RI, station serial and DTG and differ by SECTION n OF m. The
 * station collects them, says when a message is complete, and reports for
 * every incomplete one which sections never arrived.
 *
 * The set is bounded: at most 'max_open' incomplete messages are tracked;
 * opening one more evicts the one that has been open the longest, which is
 * reported (evicted callback) before it is forgotten. Nothing here touches
 * the event loop or allocates per section beyond a message's bitmap.
 */
#ifndef NODE_SECTIONS_H
#define NODE_SECTIONS_H

#include "cable.h"
#include "sim_sched.h"

/* Longest message identity kept ("RUCNDT#0352 071302Z MAY 07" and more). */
#define NODE_SECTIONS_ID_MAX 64

/* One message, as callbacks and iterations see it (borrowed for the call). */
typedef struct node_sections_msg {
    const char    *id;       /* the message: origin#serial DTG, no section */
    uint16_t       sections; /* m of SECTION n OF m */
    uint16_t       got;      /* distinct sections arrived */
    const uint8_t *have;     /* bit n-1 (byte (n-1)/8, bit (n-1)%8) set: section n in */
    cable_prec_t   prec;     /* the highest precedence of its sections so far */
    sim_time_t     first_at; /* sim-time of its first section */
    sim_time_t     last_at;  /* sim-time of its latest section */
} node_sections_msg_t;

typedef void (*node_sections_cb)(void *ud, const node_sections_msg_t *m);

typedef struct node_sections node_sections_t;

/* node_sections_new - returns owned an empty set tracking at most max_open
 * (0: 256) incomplete messages. 'complete' runs when the last section of a
 * message arrives, 'evicted' when an incomplete one is pushed out by a
 * newer one; both may be NULL and must not call back into the set. */
node_sections_t *node_sections_new(uint32_t max_open, node_sections_cb complete,
                                   node_sections_cb evicted, void *ud);
void node_sections_free(node_sections_t *s);

/* Results of node_sections_add. */
enum {
    NODE_SECTIONS_UNTRACKED = 0, /* a message of one section, or n out of 1..m */
    NODE_SECTIONS_OPEN = 1,      /* taken; the message still misses sections */
    NODE_SECTIONS_COMPLETE = 2,  /* taken; it completed the message (forgotten now) */
};

/* node_sections_add - section c->section of c->sections (c borrowed) arrived
 * at sim-time 'at' with precedence 'prec'. A section already in is taken
 * again without counting twice. Returns one of the results above; the
 * complete callback has run before it returns NODE_SECTIONS_COMPLETE. */
int node_sections_add(node_sections_t *s, const cable_t *c, cable_prec_t prec, sim_time_t at);

/* node_sections_each - calls cb for every incomplete message, oldest first;
 * returns their number. cb must not change the set. */
uint32_t node_sections_each(const node_sections_t *s, node_sections_cb cb, void *ud);

/* node_sections_open - incomplete messages tracked now. */
uint32_t node_sections_open(const node_sections_t *s);

/* node_sections_missing - the section numbers of m (borrowed) not arrived,
 * ascending, into out (up to cap of them); returns how many there are. */
uint32_t node_sections_missing(const node_sections_msg_t *m, uint16_t *out, uint32_t cap);

/* node_sections_missing_text - "sections 2-3,5 of 5 missing" into buf
 * (NUL-terminated, truncated to size, ending "..." when cut). Returns the
 * length written. */
size_t node_sections_missing_text(const node_sections_msg_t *m, char *buf, size_t size);

/* node_sections_msg_id - the message identity of c (borrowed), origin RI,
 * serial and DTG as in cable_id but without the section, into buf. Returns
 * its length. */
size_t node_sections_msg_id(const cable_t *c, char *buf, size_t size);

#endif
