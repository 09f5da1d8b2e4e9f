/*
 * node_station.h - a station: one routing indicator's end of a link to its
 * router, over libuv TCP, speaking the link protocol (router/link).
 *
 * Sending: cables handed to node_station_send() get the next channel
 * sequence number and stay in the station's custody until the router
 * acknowledges them (it does so once they are in its journal); at most
 * 'window' are unacknowledged at once. After a disconnect the station
 * reconnects with backoff and, from the router's HELLO (the last number it
 * received), sends again what was not acknowledged.
 *
 * Receiving: channel continuity is checked (a gap gets a service message
 * asking for a repeat), a repeated delivery (identity + this station) is
 * suppressed and reported as a duplicate (ZFD), and every cable is
 * acknowledged on the link once the 'received' callback has taken it (the
 * station's received log). The link acknowledgement (custody) is immediate,
 * so a router's window never waits for a slow operator.
 *
 * The received log (optional, an rtr_dlog_t shared by the stations of a
 * host, each record naming its station as party): per cable 'received', then
 * 'delivered' to this station's RI or 'duplicate-suppressed' (ZFD); 'gap'
 * when channel continuity breaks; 'service-message' for service messages;
 * 'acknowledged' when the operator acknowledges a delivery (FLASH, EMERGENCY
 * COMMAND and NIACT - a TO line of the cable marked NIACT - at once, the
 * rest after operator_delay_s of sim-time,
 * the delay in the record's value); 'reassembled' when the last section of
 * a multi-section message is in; 'sections-missing' for a message evicted
 * from the bounded reassembly set or still incomplete at close. Records
 * carry the station's sim-time (opts.clock).
 *
 * Many stations share one loop; each is a few kilobytes plus its buffers.
 */
#ifndef NODE_STATION_H
#define NODE_STATION_H

#include <uv.h>

#include "cable.h"
#include "link/link_frame.h"
#include "rtr_dlog.h"
#include "sim_sched.h"

typedef struct node_station node_station_t;

typedef struct node_station_cbs {
    void *ud;
    /* False: a cable whose frame carries its identity ("id") is not decoded
     * and received() gets c == NULL (a load generator needs only the id). */
    bool want_cable;
    /* A cable for this station arrived; 'duplicate' when this delivery was
     * already handed to the operator (suppressed: ZFD). The cable (NULL when
     * not decoded, see want_cable) and id are borrowed for the call. Returning makes it part of the received log. */
    void (*received)(void *ud, node_station_t *st, const cable_t *c, const char *id,
                     sim_time_t at, bool duplicate);
    /* The router took custody of the cable sent with 'cookie'. */
    void (*acked)(void *ud, node_station_t *st, uint64_t cookie);
    /* A service message from the router (borrowed for the call). */
    void (*service)(void *ud, node_station_t *st, const link_frame_t *f);
    /* The link came up (HELLO exchanged) or went down. */
    void (*link)(void *ud, node_station_t *st, bool up);
    /* The operator acknowledged the delivery of cable 'id' (borrowed for the
     * call), received at sim-time 'received_at', at 'acked_at' (received_at
     * plus the operator delay, or received_at for FLASH, EMERGENCY COMMAND
     * and NIACT). Never called after node_station_close. */
    void (*operator_ack)(void *ud, node_station_t *st, const char *id, cable_prec_t prec,
                         sim_time_t received_at, sim_time_t acked_at);
    /* Virtual time: frames were queued for the connection from a sim event
     * (not from a socket callback); call node_station_flush soon. */
    void (*output)(void *ud, node_station_t *st);
} node_station_cbs_t;

/* The station's sim-time clock (see node_station_opts_t.clock). */
typedef sim_time_t (*node_station_clock_fn)(void *clock_ud);

typedef struct node_station_opts {
    const char *ri;           /* this station's routing indicator */
    const char *router_host;  /* "127.0.0.1" */
    int         router_port;
    uint32_t    window;       /* unacknowledged cables (default 100; divides 10000) */
    uint32_t    heartbeat_ms; /* default 2000 */
    uint32_t    dedup;        /* deliveries remembered for ZFD (default 65536) */
    /* The received log (borrowed; must outlive the station; NULL: none).
     * The station writes to it but never flushes or closes it. */
    rtr_dlog_t *dlog;
    /* Sim-time of the station (µs since 1970); NULL: the wall clock. Read at
     * each receipt and for the "at" of frames it sends. */
    node_station_clock_fn clock;
    void                 *clock_ud;
    /* Sim seconds per wall second, for operator delays (default 1). */
    double speed;
    /* Operator delay for ROUTINE, PRIORITY and IMMEDIATE deliveries, sim
     * seconds: 0 means the default 60, a negative value none (at once).
     * Operator acknowledgements are only scheduled when there is a received
     * log or an operator_ack callback to tell them to. */
    double operator_delay_s;
    /* Incomplete multi-section messages tracked (default 256). Reassembly
     * needs the decoded cable: a station without want_cable that is given
     * only identities tracks no sections. */
    uint32_t max_open_messages;
    /* Virtual time (--asap, router/rtr_sync.h), when 'sched' is set: every
     * received frame with a sim-time is handled at that time by an event on
     * 'sched' (shared by a host's stations; the host runs it by rounds),
     * the station's clock is sched->now, frames it sends take effect
     * 'latency' later, operator acknowledgements are events too, and every
     * counted frame (rtr_sync_counted) sent or received adds to *vt_sent /
     * *vt_recv. */
    sim_sched_t *sched;
    sim_time_t   latency;
    uint64_t    *vt_sent, *vt_recv;
} node_station_opts_t;

/* node_station_new - returns an owned station that connects at once and
 * keeps reconnecting (backoff 50 ms doubling to 2 s) until closed. */
node_station_t *node_station_new(uv_loop_t *loop, const node_station_opts_t *o,
                                 const node_station_cbs_t *cbs);
/* node_station_send - take a cable's msgpack form (copied) into custody and
 * send it; 'cookie' comes back in acked(). SIM_EFULL when the window is
 * full (nothing taken). */
int  node_station_send(node_station_t *st, const char *cable_mp, size_t len, uint64_t cookie);
/* The same, telling the router the cable's precedence in the frame, so that
 * it can take a FLASH into custody ahead of ROUTINE read at the same time. */
int  node_station_send_prec(node_station_t *st, const char *cable_mp, size_t len, uint64_t cookie,
                            cable_prec_t prec);
/* The same, taking effect at the router at sim-time 'at' (virtual time: a
 * transmission's end plus the link's latency). */
int  node_station_send_at(node_station_t *st, const char *cable_mp, size_t len, uint64_t cookie,
                          cable_prec_t prec, sim_time_t at);
/* The same as node_station_send_prec, taking ownership of 'buf' (cap bytes
 * from sim_buf_alloc, the cable's msgpack form in its first len) instead
 * of copying the cable: for a caller that encodes straight into it. On
 * SIM_EFULL the buffer stays the caller's. */
int  node_station_send_owned(node_station_t *st, char *buf, size_t cap, size_t len,
                             uint64_t cookie, cable_prec_t prec);
/* Write what sim events queued (see the 'output' callback). */
void node_station_flush(node_station_t *st);
bool node_station_can_send(const node_station_t *st);
bool node_station_up(const node_station_t *st);
uint32_t node_station_unacked(const node_station_t *st);
const char *node_station_ri(const node_station_t *st);
/* Sets the router address used by the next reconnect. */
void node_station_set_router(node_station_t *st, const char *host, int port);
/* node_station_close - close the connection and free the station once the
 * loop has closed its handles ('done' may be NULL). */
void node_station_close(node_station_t *st, void (*done)(void *ud), void *ud);

typedef struct node_station_stats {
    uint64_t sent, resent, acked, received, duplicates, gaps, services, connects;
    uint64_t operator_acks;   /* deliveries the operator acknowledged */
    uint64_t reassembled;     /* multi-section messages completed */
    uint64_t evicted;         /* incomplete messages pushed out of the bounded set */
} node_station_stats_t;
void node_station_stats(const node_station_t *st, node_station_stats_t *out);

/* One incomplete message, for node_station_missing_sections: its identity
 * ("RUCNDT#0352 071302Z MAY 07", without section), its m, and the section
 * numbers that never arrived, ascending (all borrowed for the call). */
typedef void (*node_station_missing_cb)(void *ud, node_station_t *st, const char *msg_id,
                                        uint16_t sections, const uint16_t *missing,
                                        uint32_t n_missing);
/* node_station_missing_sections - calls cb (may be NULL) for every
 * multi-section message of which some sections arrived and others not,
 * oldest first; returns their number. Reporting changes nothing: they stay
 * open (a later section may still complete them). Sections that never came
 * are not losses of the network: a corpus may have kept only section 01. */
uint32_t node_station_missing_sections(node_station_t *st, node_station_missing_cb cb, void *ud);

/* node_station_pending_acks - deliveries waiting for their operator's
 * acknowledgement. */
uint32_t node_station_pending_acks(const node_station_t *st);

#endif
