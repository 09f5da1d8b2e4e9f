/*
 * node_host.h - a station host: the stations the network file assigns to
 * one host (`host:` of each station, default its router's name), on one
 * libuv loop, each with its link to its router, originating the cables of
 * a replay schedule at their DTGs.
 *
 * Each station's uplink is simulated like a router's link: one cable at a
 * time, highest precedence first, 8b/bps of sim-time per cable of b bytes
 * (its canonical text), then the link's latency. The stations' own work
 * (channel continuity, duplicates, sections, the received log, operator
 * acknowledgements) is node_station's.
 *
 * Two clocks (docs in router/VIRTUAL_TIME.md):
 *   - scaled (speed X): sim-time = first DTG + X * wall time elapsed, from
 *     one monotonic start (no drift); frames are handled when they arrive;
 *   - virtual (asap): the host is one party of the rounds of rtr_sync.h:
 *     it dials the time keeper (the network's first router), handles every
 *     event before each round's horizon in sim-time order, and reports.
 *
 * The host's log (NAME.dlog in log_dir, party = each station's RI) has per
 * cable 'originated' (value: deliveries expected; detail says how many and
 * how many undeliverable, or "input duplicate"), then what node_station
 * logs on receipt. The host whose name sorts first among the network's
 * hosts also writes one 'skipped' record per corpus entry not replayed, so
 * that the logs alone give the whole accounting (cablesim report).
 */
#ifndef NODE_HOST_H
#define NODE_HOST_H

#include <uv.h>

#include "network.h"
#include "node_replay.h"
#include "sim_sched.h"

typedef struct node_host node_host_t;

typedef struct node_host_opts {
    const net_network_t *net;      /* borrowed, outlives the host */
    const char          *name;     /* the host's name in the network */
    const node_replay_t *replay;   /* borrowed; NULL: originate nothing */
    const char          *log_dir;  /* NULL: no log */
    bool                 asap;     /* virtual time; else scaled by speed */
    double               speed;    /* default 1 */
    /* scaled: the sim-time of the start (0: the replay's first DTG, or the
     * wall clock's now) and the real-time instant it is reached (µs since
     * 1970; 0: when the host starts). Parties given the same pair share
     * one sim clock. */
    sim_time_t           start;
    int64_t              wall_start_us;
    bool                 no_link_model;
    uint32_t             window;   /* unacknowledged cables per station (default 1000) */
    uint32_t             heartbeat_ms;
    /* virtual time: the run is over (called once) */
    void (*on_end)(void *ud);
    void                *end_ud;
} node_host_opts_t;

/* node_host_clock_anchor - as rtr_server_clock_anchor, for a host. */
void node_host_clock_anchor(node_host_t *h, int64_t real_us);

/* node_host_start - returns 0 and an owned host whose stations start
 * connecting, or a negative code with a message in err (no station has
 * this host, log folder unusable). */
int  node_host_start(node_host_t **out, uv_loop_t *loop, const node_host_opts_t *o, char *err,
                     size_t errlen);
/* node_host_stop - close every connection; 'done' once the host can be
 * freed (node_host_free). Flushes the log. */
void node_host_stop(node_host_t *h, void (*done)(void *ud), void *ud);
void node_host_free(node_host_t *h);

typedef struct node_host_stats {
    uint32_t   stations, up;
    uint64_t   originated, to_originate, sent;
    uint64_t   delivered, duplicates;
    sim_time_t now;          /* the host's sim-time */
    uint64_t   reports;      /* time reports sent (virtual time) */
} node_host_stats_t;
void node_host_stats(const node_host_t *h, node_host_stats_t *st);

/* The host name of station i of a network (its host, or its router's name). */
const char *node_host_of(const net_network_t *net, uint32_t i);

#endif
