/*
 * link_chan.h - channel accounting for one link, used the same way by a
 * router port and by a station:
 *
 *   link_tx_t     the sending side of a link: hands out channel sequence
 *                 numbers (0000-9999, wrapping), keeps every number sent in
 *                 order until it is settled (acknowledged, or an ABORT the
 *                 peer has seen), takes per-csn acknowledgements with a
 *                 cumulative fast path, and lists what to send again after a
 *                 reconnect (the peer's HELLO "last_rx").
 *   link_rx_t     the receiving side: the next expected number, gaps (with
 *                 the missing range, for a "gap" service message), repeated
 *                 numbers (possible duplicates) and wrap-around.
 *   link_dedup_t  a bounded set of deliveries already handed over, keyed by
 *                 cable identity (origin RI + serial + section + DTG) and
 *                 addressee, to suppress duplicates (ZFD).
 *
 * The rules (when a csn is consumed, what settles it, what is resent) are in
 * PROTOCOL.md, section "Channel continuity". Nothing here includes uv.h,
 * reads a clock or logs: callers act on the verdicts.
 */
#ifndef LINK_CHAN_H
#define LINK_CHAN_H

#include "sim.h"
#include "cable.h"

/* Channel sequence numbers run 0000-9999 and wrap (also in link_frame.h). */
#ifndef LINK_CSN_MOD
#define LINK_CSN_MOD 10000
#endif

/* The largest window: fewer than half the numbers, so that "ahead of" and
 * "behind" a number are never ambiguous. */
#define LINK_WINDOW_MAX 4999u
#define LINK_WINDOW_DEFAULT 1024u

/* csn arithmetic modulo LINK_CSN_MOD. */
static inline int link_csn_add(int csn, int n)
{
    int r = (csn + n) % LINK_CSN_MOD;
    return r < 0 ? r + LINK_CSN_MOD : r;
}

/* How far b is after a, 0..9999. */
static inline int link_csn_dist(int a, int b)
{
    return link_csn_add(b, -a);
}

/* --- sending side ------------------------------------------------------- */

/* Verdicts > 0 of link_tx_ack / _abort / _release (errors are < 0). */
enum {
    LINK_TX_STALE = 1, /* already acknowledged, settled or superseded: ignore */
};

typedef struct link_tx_slot link_tx_slot_t; /* private */

typedef struct link_tx {
    link_tx_slot_t *ring;     /* private: 'window' slots */
    uint32_t        window;   /* most unsettled numbers at once */
    uint32_t        head;     /* private: ring index of the oldest number */
    uint32_t        count;    /* numbers sent and not yet settled (the window) */
    int             head_csn; /* csn of the oldest unsettled number */
    int             next_csn; /* the csn the next transmission gets */
    uint32_t        aborts;   /* private: ABORT entries not yet settled */
    uint64_t        sent;     /* numbers handed out since init (wraps included) */
} link_tx_t;

/* One unsettled number, as listed for a resend. */
typedef struct link_tx_item {
    int      csn;
    uint64_t cookie; /* the caller's handle for the cable (0 for an ABORT) */
    bool     abort;  /* an ABORT to repeat, not a cable */
} link_tx_item_t;

/* link_tx_init - t (caller storage) empty, allowing 'window' (1..
 * LINK_WINDOW_MAX; 0: LINK_WINDOW_DEFAULT) unsettled numbers; the first csn
 * handed out is first_csn (0-9999; a restarted party passes the next number
 * it had, or 0). */
void link_tx_init(link_tx_t *t, uint32_t window, int first_csn);
void link_tx_destroy(link_tx_t *t);

/* link_tx_full - true when link_tx_send would refuse: the caller stops
 * dequeueing for this link until an acknowledgement settles a number. */
bool link_tx_full(const link_tx_t *t);

/* link_tx_send - a transmission starts: returns 0 and *csn, the number for
 * its CABLE frame, remembering 'cookie' (opaque: a journal record, a pointer)
 * until it is acknowledged. SIM_EFULL when the window is full (nothing
 * changes; the caller keeps the cable queued). */
int link_tx_send(link_tx_t *t, uint64_t cookie, int *csn);

/* link_tx_ack - the peer acknowledged csn. Returns 0 with *cookie when that
 * cable's custody passes now (the caller may forget it); LINK_TX_STALE for a
 * number already acknowledged, settled or superseded (a repeated ACK after a
 * reconnect; ignore it); SIM_EPARSE for a number never handed out (a protocol
 * violation) or one that was aborted. Settles every ABORT sent before csn,
 * and releases the window's head as far as it is settled. */
int link_tx_ack(link_tx_t *t, int csn, uint64_t *cookie);

/* link_tx_abort - the transmission of csn was preempted: the number stays in
 * the window as an ABORT until the peer has seen it (an ACK for a later
 * number, or a HELLO last_rx at or after it). Returns 0 with *cookie, the
 * cable to queue again (it will get a new number); LINK_TX_STALE /
 * SIM_EPARSE as for link_tx_ack when csn is not an unacknowledged cable. */
int link_tx_abort(link_tx_t *t, int csn, uint64_t *cookie);

/* link_tx_release - give up waiting for csn's acknowledgement because the
 * peer asked for a repeat ("gap", "garbled", "busy"): the number is settled
 * and *cookie returned, to be sent again with a new number (and "rpt").
 * Same verdicts as link_tx_abort. */
int link_tx_release(link_tx_t *t, int csn, uint64_t *cookie);

/* link_tx_resume - after a (re)connect, the peer's HELLO "last_rx" says the
 * last csn it received on this link: peer_rx (0-9999), or -1 when it does
 * not know. ABORTs at or before peer_rx are settled; with an empty window the
 * next number becomes peer_rx + 1, so the peer sees no gap. Returns how many
 * numbers are to be sent again (list them with link_tx_resend_next), all of
 * them with their original csn: every unacknowledged cable (those at or
 * before peer_rx arrive as repeats, which the peer suppresses and
 * acknowledges) and every ABORT after peer_rx. A peer_rx outside the numbers
 * in flight settles nothing (a peer that lost its state). */
uint32_t link_tx_resume(link_tx_t *t, int peer_rx);

/* link_tx_resend_next - iterate the numbers to send again, oldest first:
 * start with *it = 0; returns true with *item while there is one. The window
 * must not change during the iteration. */
bool link_tx_resend_next(const link_tx_t *t, uint32_t *it, link_tx_item_t *item);

/* --- receiving side ----------------------------------------------------- */

typedef enum link_rx_verdict {
    LINK_RX_NEXT = 0,   /* the expected number (wrap-around included) */
    LINK_RX_FIRST = 1,  /* the first number since a start without history */
    LINK_RX_GAP = 2,    /* ahead of the expected one: numbers are missing */
    LINK_RX_REPEAT = 3, /* behind it: already seen, a possible duplicate */
} link_rx_verdict_t;

/* What link_rx_check found besides the verdict. */
typedef struct link_rx_info {
    int      from, to; /* GAP: the missing numbers from..to (wrapping), else -1 */
    uint32_t missing;  /* GAP: how many; REPEAT: how far behind */
    bool     wrapped;  /* this number wrapped the channel (9999 -> 0000) */
} link_rx_info_t;

typedef struct link_rx {
    int      last;    /* last csn received; -1 before the first */
    uint64_t frames;  /* numbers checked */
    uint64_t gaps;    /* gaps found */
    uint64_t missing; /* numbers missing in all gaps */
    uint64_t repeats; /* repeated numbers */
    uint32_t wraps;   /* times the channel wrapped */
} link_rx_t;

/* link_rx_init - r (caller storage) with 'last' the last csn received before
 * (from a saved state), or -1 for none: the first number is then accepted. */
void link_rx_init(link_rx_t *r, int last);

/* link_rx_check - a CABLE or ABORT frame arrived with csn (0-9999; SIM_EPARSE
 * otherwise). Returns its verdict and fills *info (may be NULL). On NEXT,
 * FIRST and GAP the number becomes the last received; a GAP is reported
 * once (the caller sends "gap" with info->from..to and the peer repeats those
 * cables with new numbers); on REPEAT the last number does not move. */
int link_rx_check(link_rx_t *r, int csn, link_rx_info_t *info);

/* link_rx_last - what to put in this link's HELLO "last_rx": the last csn
 * received, or -1. */
int link_rx_last(const link_rx_t *r);

/* --- duplicate suppression ------------------------------------------------ */

/* A delivery: the cable's identity (DESIGN.md) and one addressee. */
typedef struct link_dupkey {
    sim_span_t origin_ri; /* "RUCNDT" */
    int32_t    serial;    /* station serial; -1 absent */
    uint16_t   section;   /* 1 when the cable has none */
    int64_t    dtg;       /* DTG, seconds since 1970; INT64_MIN absent */
    sim_span_t addressee; /* plain-language address as resolved; may be empty */
    bool       corrected; /* a corrected copy: not a repeat of the original */
} link_dupkey_t;

/* link_dupkey_of - the key of cable c (borrowed; the key borrows its spans)
 * for 'addressee' (borrowed). The origin RI is c's DE line RI; a cable
 * without one needs the directory's RI for its FM address, which the caller
 * sets in k->origin_ri. */
void link_dupkey_of(link_dupkey_t *k, const cable_t *c, sim_span_t addressee);

typedef struct link_dedup link_dedup_t;

/* link_dedup_new - returns owned an empty set remembering the 'capacity'
 * (1..2^24) most recently used deliveries. Exact within that bound: a key is
 * found if it is among the 'capacity' distinct keys most recently added or
 * found, and nothing is ever found that was not added. When full, adding
 * forgets the least recently used key. */
link_dedup_t *link_dedup_new(uint32_t capacity);
void          link_dedup_free(link_dedup_t *d);

/* link_dedup_check - returns 1 when k (borrowed; copied when added) was
 * already in the set (a duplicate: suppress it, mark ZFD), making it the most
 * recently used; 0 when it was not, after adding it. */
int link_dedup_check(link_dedup_t *d, const link_dupkey_t *k);

/* link_dedup_add - adds k, which the caller knows is not in the set (it
 * just asked link_dedup_contains and added nothing since): no lookup. */
void link_dedup_add(link_dedup_t *d, const link_dupkey_t *k);

/* link_dedup_contains - true when k is in the set; changes nothing. */
bool link_dedup_contains(const link_dedup_t *d, const link_dupkey_t *k);

/* link_dedup_count - keys in the set (at most its capacity). */
uint32_t link_dedup_count(const link_dedup_t *d);

#endif
