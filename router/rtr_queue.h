/*
 * rtr_queue.h - the precedence queues of one outgoing link, and the link's
 * transmitter: simulated speed and latency, strict precedence, preemption.
 *
 * rtr_queue_t holds five FIFO levels (Y > Z > O > P > R) of compact entries
 * in contiguous ring buffers (no node per cable). An entry keeps its wire
 * bytes in RAM while the link's RAM budget allows; beyond it only the entry
 * (a journal reference) is kept and the bytes are read back from the journal
 * when the entry's turn comes (rtr_txlink_ops_t.load).
 *
 * rtr_txlink_t is the link's transmitter, driven by a sim_sched_t: one
 * transmission at a time; a cable of b bytes started at t0 ends at
 * t0 + 8b/bps and takes effect at the far end 'latency' later. A Y or Z
 * cable queued while a lower one is in transmission preempts it (the lower
 * one goes back to the head of its level and is sent again later, from its
 * start, with a new channel sequence number); an O cable preempts P and R
 * when the link is configured so. With bps 0 (no link model) transmissions
 * take no sim-time and the link runs at wire speed, limited only by
 * rtr_txlink_pause() (socket backpressure, a peer that is not connected).
 * No wall clock, no event loop: tests drive it with a manual scheduler.
 */
#ifndef RTR_QUEUE_H
#define RTR_QUEUE_H

#include "cable.h"
#include "sim_sched.h"

#define RTR_LEVELS 5 /* index 0 = Y ... 4 = R */

typedef struct rtr_qent {
    uint64_t   rec;   /* journal record id of the cable's ACCEPT */
    char      *data;  /* owned wire bytes when cached (sim_buf_alloc); NULL when spilled */
    uint32_t   bytes; /* length of data (cached or not) */
    uint32_t   raw;   /* of which the cable's own bytes (the rest: the caller's) */
    uint32_t   ids_len; /* the caller's: bytes after 'raw' used for the copy's FL2 */
    uint32_t   tx_bytes; /* what the simulated link transmits (0: 'bytes') */
    uint32_t   tag;   /* caller's (e.g. which copy of the cable) */
    int32_t    csn;   /* channel sequence number of the current transmission */
    uint8_t    prec;  /* cable_prec_t of this copy */
    uint8_t    tries; /* transmissions started (preemptions + 1) */
    uint8_t    niact; /* 1: it carries a NIACT action addressee (passes the
                         hold of a closed station, as FLASH does) */
    uint8_t    ccy;   /* 1: the cable is a corrected copy (the frame says so) */
} rtr_qent_t;

typedef struct rtr_ring {
    rtr_qent_t *v;
    uint32_t    head, n, cap;
    uint64_t    spilled; /* entries after these, kept only in the journal */
    uint64_t    cursor;  /* where the first of them is found (journal id) */
} rtr_ring_t;

typedef struct rtr_queue rtr_queue_t;

/* Reads spilled entries of 'level' back (in order) from 'cursor' on,
 * appending at most 'want' of them with rtr_queue_refilled() and moving
 * the cursor past them. Returns how many it appended. */
typedef uint64_t (*rtr_queue_refill_fn)(void *ud, rtr_queue_t *q, int level, uint64_t *cursor,
                                        uint64_t want);

struct rtr_queue {
    rtr_ring_t level[RTR_LEVELS];
    size_t     n;            /* entries, spilled ones included */
    size_t     ram_n;        /* entries in RAM */
    size_t     max_ram_n;    /* beyond it new entries spill (0: never) */
    rtr_queue_refill_fn refill; /* NULL: never spill */
    void      *refill_ud;
    size_t     ram_bytes;    /* cached bytes + entry storage */
    size_t     budget;       /* bytes of cached data allowed */
    size_t     cached_bytes; /* cached data only */
};

/* Level index of a precedence (Y 0 ... R 4; NONE is handled as R). */
int rtr_level(cable_prec_t p);

void rtr_queue_init(rtr_queue_t *q, size_t budget_bytes);
void rtr_queue_destroy(rtr_queue_t *q);
/* rtr_queue_push - append e at its level; takes e->data (it may be freed
 * here when over budget: the entry is then spilled). With a refill function
 * set and max_ram_n entries already in RAM (or older entries of the level
 * spilled), only a count is kept: the entry lives in the journal, where the
 * refill function finds it again, in order. */
void rtr_queue_push(rtr_queue_t *q, rtr_qent_t *e);
/* Spilling: entries beyond 'max_entries' in RAM stay in the journal. */
void rtr_queue_set_spill(rtr_queue_t *q, size_t max_entries, rtr_queue_refill_fn fn, void *ud);
/* For a refill function: append an entry read back (no spill check). */
void rtr_queue_refilled(rtr_queue_t *q, rtr_qent_t *e);
/* rtr_queue_push_head - put e back at the head of its level (preempted, or
 * not acknowledged before a disconnect); takes e->data likewise. */
void rtr_queue_push_head(rtr_queue_t *q, rtr_qent_t *e);
/* rtr_queue_pop - the first entry of the highest non-empty level into *out
 * (ownership of out->data passes to the caller). False when empty. */
bool rtr_queue_pop(rtr_queue_t *q, rtr_qent_t *out);
/* The entry rtr_queue_pop would return, when it is in RAM; else NULL. */
const rtr_qent_t *rtr_queue_head(const rtr_queue_t *q);
/* Precedence of what rtr_queue_pop would return; CABLE_PREC_NONE if empty. */
cable_prec_t rtr_queue_top(const rtr_queue_t *q);
size_t rtr_queue_level_count(const rtr_queue_t *q, int level);

typedef struct rtr_txlink rtr_txlink_t;

typedef struct rtr_txlink_ops {
    /* May a transmission start now? (e.g. the channel's window of
     * unacknowledged numbers is not full). NULL: always. When it says no,
     * call rtr_txlink_resume() once it may again. */
    bool (*can_start)(rtr_txlink_t *l);
    /* A transmission of e starts at 'now'. The callee assigns its channel
     * sequence number (and logs transmit-start). Returns 0, or <0 when the
     * entry cannot be sent (e.g. its bytes could not be loaded): it is then
     * dropped from the link and the callee keeps custody. */
    int (*tx_start)(rtr_txlink_t *l, rtr_qent_t *e, sim_time_t now);
    /* The transmission of e was preempted at 'now'; e goes back to the head
     * of its level after this returns. */
    void (*tx_preempted)(rtr_txlink_t *l, rtr_qent_t *e, sim_time_t now);
    /* The transmission of e ended at 'end'; it takes effect at the far end at
     * 'arrival'. Takes e (its data included). */
    void (*tx_done)(rtr_txlink_t *l, rtr_qent_t *e, sim_time_t end, sim_time_t arrival);
} rtr_txlink_ops_t;

struct rtr_txlink {
    rtr_queue_t             q;
    sim_sched_t            *sched;      /* borrowed */
    const rtr_txlink_ops_t *ops;        /* borrowed */
    void                   *data;       /* the caller's */
    uint64_t                bps;        /* 0: no link model */
    sim_time_t              latency;    /* µs */
    bool                    o_preempts;
    uint32_t                link_id;    /* tie-break key */
    /* private */
    sim_event_t             tx_end;
    rtr_qent_t              cur;
    bool                    busy;
    sim_time_t              cur_start;
    int                     paused;     /* pause count */
    bool                    pumping;
    uint64_t                preemptions, sent;
};

void rtr_txlink_init(rtr_txlink_t *l, sim_sched_t *sched, const rtr_txlink_ops_t *ops,
                     uint64_t bps, sim_time_t latency, bool o_preempts, size_t budget_bytes,
                     uint32_t link_id);
/* Frees what is queued (cached bytes included) and cancels the timer. */
void rtr_txlink_destroy(rtr_txlink_t *l);
/* rtr_txlink_push - queue e (takes it) at sim-time 'now'; starts it at once
 * when the link is idle, or preempts a lower transmission when allowed. */
void rtr_txlink_push(rtr_txlink_t *l, rtr_qent_t *e, sim_time_t now);
/* Start what may start now (after the can_start condition changed). */
void rtr_txlink_kick(rtr_txlink_t *l, sim_time_t now);
/* Put back an entry that was sent but not acknowledged (head of its level). */
void rtr_txlink_requeue(rtr_txlink_t *l, rtr_qent_t *e, sim_time_t now);
/* Stop starting transmissions (one in progress still ends); counts nest. */
void rtr_txlink_pause(rtr_txlink_t *l);
void rtr_txlink_resume(rtr_txlink_t *l, sim_time_t now);
bool rtr_txlink_busy(const rtr_txlink_t *l);
/* Entries waiting (not counting the one in transmission). */
size_t rtr_txlink_queued(const rtr_txlink_t *l);

#endif
