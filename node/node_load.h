/*
 * node_load.h - the load generator's engine: N stations on one loop, each
 * originating generated cables to the others through a router, with exact
 * accounting of what was sent, what each addressee received, what was lost
 * and what was handed to an operator twice, and latency per precedence.
 *
 * Accounting (DESIGN.md, `cablesim load`): 'sent' counts distinct cables
 * originated (not retransmissions); a delivery is one (identity, addressee
 * station) pair, expected from the cable's addressees as the router resolves
 * them (rtr_expected_deliveries); 'duplicates' are deliveries handed to the
 * operator a second time (the stations suppress repeats they recognise, so
 * this should stay 0; 'suppressed' counts those repeats); 'lost' are
 * expected deliveries that never came, after the drain. Latency is from the
 * moment a station takes the cable into its custody to its arrival at the
 * addressee, in wall-clock microseconds.
 */
#ifndef NODE_LOAD_H
#define NODE_LOAD_H

#include <uv.h>

#include "cable.h"
#include "network.h"

typedef struct node_load_opts {
    const net_network_t *net;        /* borrowed */
    const uint32_t      *stations;   /* station indices to play; borrowed */
    uint32_t             n_stations;
    const char          *router_host;
    int                  router_port;
    /* Per station (same order as 'stations'): the port of the router it is
     * homed on, on router_host; NULL: router_port for every station (a
     * network of several routers needs it). Borrowed. */
    const int           *station_ports;
    double               rate;       /* cables/s over all stations; 0 = as fast as accepted */
    double               duration_s; /* sending window (default 10) */
    double               drain_s;    /* then wait up to this for the rest (default 30) */
    uint32_t             size;       /* bytes per cable (default 1024) */
    uint64_t             seed;
    uint32_t             mix[CABLE_PREC_COUNT]; /* all 0: the default mix */
    uint32_t             window;     /* unacknowledged cables per station (default 100) */
    /* Cables a station may hold beyond its window, waiting in precedence
     * order (Y, Z, O, P, R; FIFO within one), as a station's outgoing
     * traffic waits for the circuit: a FLASH passes the ROUTINE backlog at
     * its source. 0 (the default): none; a cable is made only when the
     * window has room. Every queue is filled before the sending window
     * opens; latency counts from the window's start for that backlog and
     * from the making for every cable made later. */
    uint32_t             queue;
    bool                 progress;   /* a line per second on stderr */
    bool                 single;     /* one addressee per cable, still --size bytes */
    /* Called after every acknowledgement with the total so far (kill tests). */
    void (*on_acked)(void *ud, uint64_t total);
    void                *hook_ud;
    /* When not NULL and *stop becomes true, the sending window ends early
     * (at the next 5 ms tick) and the drain begins, as if duration_s had
     * passed (a test that ends its window on an event, not a clock). */
    const bool          *stop;
} node_load_opts_t;

typedef struct node_load_lat {
    int64_t p50, p99, p999, max; /* microseconds; -1 when no sample */
} node_load_lat_t;

typedef struct node_load_counts {
    uint64_t        sent, expected, delivered, lost, duplicates, suppressed;
    double          throughput_cps;
    node_load_lat_t latency_us;
} node_load_counts_t;

typedef struct node_load_result {
    node_load_counts_t total;
    node_load_counts_t by_prec[CABLE_PREC_COUNT]; /* indexed by cable_prec_t */
    double             window_s;  /* the sending window as measured */
    double             drain_s;   /* how long the drain took */
    double             cable_bytes_mean; /* a sent cable's msgpack form, on average */
    uint64_t           reconnects, resent, services;
} node_load_result_t;

/* node_load_run - run the load on 'loop' (which must have nothing else
 * running that never ends) and fill *res. Returns 0, or a negative code
 * with a message in err. */
int node_load_run(uv_loop_t *loop, const node_load_opts_t *o, node_load_result_t *res, char *err,
                  size_t errlen);

/* node_load_network_yaml - a network of one router 'name' listening on
 * 127.0.0.1:port and n synthetic stations homed on it, as YAML text
 * (owned). */
char *node_load_network_yaml(const char *name, int port, uint32_t n);

#endif
