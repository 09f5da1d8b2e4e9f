/*
 * rtr_sync.h - virtual time (--asap) across parties: the time keeper's
 * rounds and a party's side of them. Pure logic, no sockets: the router
 * daemon and the station host carry the frames (PROMISE frames on "clock"
 * connections, router/link/PROTOCOL.md section 8).
 *
 * The scheme (router/VIRTUAL_TIME.md explains why): conservative, with a
 * global lower bound computed in rounds. Every party handles its events in
 * sim-time order. Round k grants the window [G, H): G is the earliest event
 * any party still has, H = G + L where L is the smallest latency of any
 * link. A frame made while handling an event at t >= G takes effect at
 * t + latency >= H, so no party can receive, during the round, anything
 * that belongs inside the window: each handles every event before H, in
 * order, on its own, and reports
 *   (round, its next event time, frames with a sim-time it sent, received).
 * The keeper starts round k+1 once every party has reported since its last
 * grant and the sums of sent and received are equal (nothing is in flight,
 * so every next-event time is final). When every party has no event left,
 * the horizon is SIM_TIME_NEVER: the run is over.
 *
 * Only the parties with an event before H are granted a round: the others
 * have nothing to do in it, and their last report stays true until a frame
 * reaches them, when they report again by themselves (their received count
 * changed; until then the sums differ and no round starts). A report
 * carries the round of the last grant its party had, so the keeper knows
 * whether a granted party has finished its window.
 *
 * Counted frames are exactly those with a sim-time ("at") of types cable,
 * ack, svc and abort; both ends count the same ones.
 */
#ifndef RTR_SYNC_H
#define RTR_SYNC_H

#include "network.h"
#include "sim_sched.h"

/* The least latency a link has in virtual time (a zero-latency link would
 * give an empty window): 1 ms. */
#define RTR_SYNC_MIN_LATENCY 1000

/* A party's name on a clock connection: "router:NAME" or "host:NAME". */
#define RTR_SYNC_NAME_MAX 160

typedef struct rtr_sync_keeper_party {
    char       name[RTR_SYNC_NAME_MAX];
    bool       joined;   /* reported at least once */
    uint64_t   rnd;      /* the grant its last report answered */
    uint64_t   granted;  /* the last round granted to it (0: none) */
    sim_time_t g_horizon; /* that round's horizon */
    sim_time_t next;     /* its earliest event */
    uint64_t   sent, recv;
} rtr_sync_keeper_party_t;

typedef struct rtr_sync_keeper {
    rtr_sync_keeper_party_t *p;
    uint32_t                 n;
    sim_time_t               lookahead; /* L */
    uint64_t                 rnd;       /* the round granted last; 0: none yet */
    sim_time_t               horizon;   /* its H */
    bool                     ended;
    uint64_t                 reports;   /* reports received */
    uint64_t                 grants;    /* grants given (one per party and round) */
} rtr_sync_keeper_t;

/* rtr_sync_lookahead - L for a network: the least latency of any station
 * link or trunk, at least RTR_SYNC_MIN_LATENCY (every latency with
 * no_link_model). */
sim_time_t rtr_sync_lookahead(const net_network_t *net, bool no_link_model);
/* rtr_sync_link_latency - a link's latency in virtual time. */
sim_time_t rtr_sync_link_latency(double latency_ms, bool no_link_model);

/* rtr_sync_keeper_init - the parties of a network: every router, then every
 * station host (a station's host, or its router's name), in file order. */
void rtr_sync_keeper_init(rtr_sync_keeper_t *k, const net_network_t *net, bool no_link_model);
void rtr_sync_keeper_destroy(rtr_sync_keeper_t *k);
/* The index of a party name, or -1 when the network has no such party. */
int  rtr_sync_keeper_find(const rtr_sync_keeper_t *k, const char *name, size_t len);
/* A report from party i: its state now; it has finished its window once
 * rnd is the last round granted to it (a report of a round it was never
 * granted is ignored). */
void rtr_sync_keeper_report(rtr_sync_keeper_t *k, uint32_t i, uint64_t rnd, sim_time_t next,
                            uint64_t sent, uint64_t recv);
/* rtr_sync_keeper_poll - true when a new round starts: *rnd and *horizon
 * (SIM_TIME_NEVER: the run is over) are what to grant the parties for
 * which rtr_sync_keeper_granted is true (every party at the end). */
bool rtr_sync_keeper_poll(rtr_sync_keeper_t *k, uint64_t *rnd, sim_time_t *horizon);
bool rtr_sync_keeper_granted(const rtr_sync_keeper_t *k, uint32_t i);
/* How many parties have not joined yet (for a "waiting for" message). */
uint32_t rtr_sync_keeper_missing(const rtr_sync_keeper_t *k, char *names, size_t size);

/* A party's side. */
typedef struct rtr_sync_party {
    uint64_t   rnd;      /* the round granted; 0 before the first */
    sim_time_t horizon;  /* handle events strictly before it */
    bool       ended;    /* the keeper said the run is over */
    uint64_t   sent, recv; /* counted frames */
    /* the last report, not to repeat it */
    bool       reported;
    uint64_t   r_rnd, r_sent, r_recv;
    sim_time_t r_next;
    uint64_t   reports;
} rtr_sync_party_t;

void rtr_sync_party_init(rtr_sync_party_t *p);
/* A grant arrived. */
void rtr_sync_party_grant(rtr_sync_party_t *p, uint64_t rnd, sim_time_t horizon);
/* rtr_sync_party_report - the party has handled every event before its
 * horizon and waits for nothing; 'next' is its earliest event. True (with
 * the values in *rnd, *sent, *recv) when a report is due: the first of the
 * round, or a change since the last. */
bool rtr_sync_party_report(rtr_sync_party_t *p, sim_time_t next, uint64_t *rnd, uint64_t *sent,
                           uint64_t *recv);
/* The frames of a clock connection (PROTOCOL.md 7.3), into f: a 'clock'
 * HELLO for party 'name' (borrowed, as is l, which it points to); a
 * report; a grant (horizon SIM_TIME_NEVER: the end). */
struct link_frame;
struct link_hello_link;
void rtr_sync_hello(struct link_frame *f, struct link_hello_link *l, const char *name,
                    uint32_t hb_ms);
void rtr_sync_report_frame(struct link_frame *f, uint64_t rnd, sim_time_t next, uint64_t sent,
                           uint64_t recv);
void rtr_sync_grant_frame(struct link_frame *f, uint64_t rnd, sim_time_t horizon);

/* Does a frame of this type with this "at" count? */
bool rtr_sync_counted(int link_type, bool has_at);

#endif
