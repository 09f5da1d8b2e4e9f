/*
 * rtr_server.h - the router daemon's event-loop layer: libuv TCP listener
 * and connections, the link protocol's handshake, heartbeats and limits,
 * group commit of the journal on a worker thread, and the scaled clock that
 * drives the core's scheduler. Everything about custody, routing and queues
 * is in rtr_core; this layer only moves bytes and time.
 *
 * Hostile or broken peers: a frame over the size limit, a frame that does
 * not decode, an unknown type or version, anything before HELLO, a HELLO
 * for a station not homed here or a router that is no neighbour: the peer
 * gets a service message and the connection is closed. A peer that stops
 * reading is closed when its output passes a hard cap (its cables stay in
 * the journal). A peer silent for three heartbeat intervals is closed
 * (half-open). Connections beyond the limit get "busy" and are closed. None
 * of this affects other connections, and nothing accepted is lost.
 */
#ifndef RTR_SERVER_H
#define RTR_SERVER_H

#include <uv.h>

#include "network.h"
#include "sim_sched.h"

typedef struct rtr_server rtr_server_t;

typedef struct rtr_server_opts {
    const net_network_t *net;       /* borrowed, outlives the server */
    uint32_t             router;    /* which router of the network this is */
    const char          *listen;    /* "HOST:PORT" overriding the network's; NULL */
    const char          *journal_dir; /* required; created when missing */
    const char          *log_dir;   /* delivery log folder; NULL for none */
    double               speed;     /* sim seconds per wall second (default 1) */
    sim_time_t           start;     /* sim-time at start; 0: the wall clock's now */
    int64_t              wall_start_us; /* scaled: the real-time instant (µs since
                                           1970) 'start' is reached; 0: at start */
    bool                 no_link_model;
    uint32_t             max_conns;    /* default 4096, or the open-file limit
                                          less 64 when that is higher */
    uint32_t             heartbeat_ms; /* default 2000; silence for 3x closes */
    size_t               max_frame;    /* default: the protocol's maximum */
    size_t               out_high;     /* stop transmitting above (default 256 KiB) */
    size_t               out_max;      /* close a peer above (default 64 MiB) */
    uint32_t             window;       /* unacknowledged cables per station link */
    bool                 prealloc;     /* preallocate journal segments */
    /* Virtual time (--asap, router/rtr_sync.h): no wall clock; the first
     * router of the network keeps time for every party. on_end (may be
     * NULL) is called once when the keeper says the run is over. */
    bool                 asap;
    void (*on_end)(void *ud);
    void                *end_ud;
} rtr_server_opts_t;

/* rtr_server_clock_anchor - scaled time: move the clock so that its start
 * is reached at the real-time instant real_us (sim_clock_anchor), and
 * re-arm the timer of the next event; for the parties of one process, once
 * they are all set up (started with an anchor in the future, so that none
 * ran ahead) and before the loop runs. */
void rtr_server_clock_anchor(rtr_server_t *s, int64_t real_us);

/* rtr_server_start - open the journal (recovering it; the report of cuts is
 * printed on stderr), rebuild the queues, listen, and dial the trunks this
 * router initiates. Returns 0 and an owned server, or a negative code with
 * a message in err (port in use, journal unreadable, ...). */
int rtr_server_start(rtr_server_t **out, uv_loop_t *loop, const rtr_server_opts_t *o, char *err,
                     size_t errlen);

/* "HOST:PORT" actually listened on (port 0 resolved). */
void rtr_server_address(const rtr_server_t *s, char *buf, size_t size);

/* rtr_server_stop - stop accepting, make everything appended durable, close
 * every connection and handle; 'done' is called (once) when the server can
 * be freed with rtr_server_free, after which the loop can end. */
void rtr_server_stop(rtr_server_t *s, void (*done)(void *ud), void *ud);
void rtr_server_free(rtr_server_t *s);

typedef struct rtr_server_stats {
    uint64_t connections, refused, closed_protocol, closed_idle, closed_slow;
    uint64_t accepted, delivered_copies, duplicates, fdatasyncs, queued, pending;
    uint64_t time_reports; /* virtual time: reports sent to the keeper (or made, by it) */
} rtr_server_stats_t;

void rtr_server_stats(const rtr_server_t *s, rtr_server_stats_t *st);

#endif
