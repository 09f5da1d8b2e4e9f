/*
 * node_replay.h - a replay schedule: the cables of a corpus, each with the
 * station that originates it, its filing time (DTG) and what the
 * accounting expects of it (DESIGN.md "Identity, deliveries, duplicates").
 *
 * Each cable is originated by the station of its DE-line RI, or else of its
 * FM address; its copies are routed by its resolved addressees (the
 * historical format line 2 is recomputed by the router). An entry that does
 * not parse, or whose originator is no station of the network, is skipped
 * and counted, with its first diagnostic. Two entries with one identity are
 * input duplicates (a re-sent copy, ZDK, is one): both are originated, the
 * network delivers the first and suppresses the second (ZFD); only the
 * first counts in the expected deliveries. A corrected copy (CCY) is not a
 * repeat of the original: it is a delivery of its own to every addressee,
 * its identity marked corrected (two corrected copies of one identity are
 * input duplicates again). Every host of a run loads the same corpus, so each knows the
 * whole schedule and originates only its own stations' cables.
 */
#ifndef NODE_REPLAY_H
#define NODE_REPLAY_H

#include "cable.h"
#include "network.h"
#include "sim_sched.h"

typedef struct node_replay_cable {
    char       *mp;       /* the cable's msgpack form (owned) */
    uint32_t    mp_len;
    uint32_t    tx_bytes; /* length of its canonical text */
    uint32_t    station;  /* originating station, index into the network */
    cable_prec_t prec;    /* highest precedence of its addressees */
    sim_time_t  dtg;      /* filing time, µs */
    char        id[64];   /* identity */
    uint32_t    expected; /* deliveries the accounting expects (0 for an input duplicate) */
    uint32_t    undeliverable;
    bool        input_duplicate;
    bool        corrected; /* a corrected copy (CCY) */
} node_replay_cable_t;

typedef struct node_replay {
    node_replay_cable_t *v; /* in DTG order (then identity, then corpus order) */
    size_t               n;
    size_t               entries; /* corpus entries read */
    size_t               skipped; /* not replayed */
    size_t               input_duplicates;
    size_t               corrected; /* corrected copies (input duplicates aside) */
    uint64_t             expected, undeliverable;
    char                 first_skip[8][256]; /* the first diagnostics of skipped entries */
    uint32_t             n_first_skip;
} node_replay_t;

/* node_replay_load - read the corpus at 'path' (file, folder or "-") for
 * network 'net'. Returns 0, or a negative code with err naming what could
 * not be read. */
int  node_replay_load(node_replay_t *r, const char *path, const net_network_t *net, char *err,
                      size_t errlen);
void node_replay_free(node_replay_t *r);

/* The generator instead of a corpus (`--gen-rate`): 'count' messages of the
 * synthetic generator (corpus/cable_gen.h) between the network's stations,
 * filed at Poisson arrivals of 'rate' messages per sim-second from 'start'.
 * Each is filed at its own sim-time to the microsecond (its DTG is that
 * time's minute); the sections of a message are separate cables filed
 * together. Everything follows from the options and the network, so every
 * host given the same ones knows the same schedule. */
typedef struct node_gen_opts {
    uint64_t seed;
    double   rate;  /* messages per sim-second, > 0 */
    uint64_t count; /* messages */
    int64_t  start; /* epoch seconds; 0: the generator's default (2009-03-02) */
    uint32_t mix[CABLE_PREC_COUNT]; /* as cable_gen_opts_t; all 0: default */
} node_gen_opts_t;

/* node_replay_generate - as node_replay_load, from the generator. Returns
 * 0, or SIM_EUSAGE with err when the network has fewer than two stations. */
int node_replay_generate(node_replay_t *r, const net_network_t *net, const node_gen_opts_t *o,
                         char *err, size_t errlen);

#endif
