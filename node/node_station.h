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
 * acknowledged once the 'received' callback has taken it (the station's
 * received log).
 *
 * Many stations share one loop; each is a few kilobytes plus its buffers.
 */
#ifndef NODE_STATION_H
#define NODE_STATION_H

#include <uv.h>

#include "cable.h"
#include "link/link_frame.h"
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
} node_station_cbs_t;

typedef struct node_station_opts {
    const char *ri;           /* this station's routing indicator */
    const char *router_host;  /* "127.0.0.1" */
    int         router_port;
    uint32_t    window;       /* unacknowledged cables (default 100; divides 10000) */
    uint32_t    heartbeat_ms; /* default 2000 */
    uint32_t    dedup;        /* deliveries remembered for ZFD (default 65536) */
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
} node_station_stats_t;
void node_station_stats(const node_station_t *st, node_station_stats_t *out);

#endif
