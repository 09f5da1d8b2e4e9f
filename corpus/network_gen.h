/*
 * network_gen.h - a network file made from a corpus: a station for every
 * routing indicator (RI) and plain-language address (PLA) the cables name,
 * collectives for the collective addresses, and relay routers grouped by
 * RI prefix, so that any corpus can be replayed without writing the
 * network by hand (`cablesim net --from-corpus`).
 *
 * The result is YAML text in the format of corpus/network.md, written with
 * libyaml's emitter, and the same corpus always gives the same bytes. It is
 * checked before it is handed back: it must load with net_load_mem, and
 * every RI and address the corpus uses must resolve in it. The rules (what
 * becomes a station, synthetic RIs, collectives, routers) are documented in
 * corpus/network.md, "Networks generated from a corpus".
 */
#ifndef NETWORK_GEN_H
#define NETWORK_GEN_H

#include "sim.h"
#include "cable_stream.h"
#include "network.h"

/* Defaults of the options (a 0 in net_gen_opts_t selects them). */
#define NET_GEN_PREFIX_LEN 4u    /* RI letters that pick a station's router */
#define NET_GEN_MIN_GROUP 3u     /* smaller prefix groups share a catch-all router ... */
#define NET_GEN_MIN_SHARE 1u     /* ... unless they carry this percentage of the traffic */
#define NET_GEN_BASE_PORT 47200u /* first router's listen port on 127.0.0.1 */

/* The router of the small groups. Prefix routers are "relay-" and their
 * prefix in lower case; eight letters keep this name apart from them. */
#define NET_GEN_CATCH_ALL "relay-catchall"

/* The links the generated file sets (corpus/network.md gives the reasons):
 * station links at 9600 bit/s (a leased line of the corpus's years),
 * trunks at T1 speed, and on both an IMMEDIATE cable preempts a lower one. */
#define NET_GEN_STATION_BPS 9600u
#define NET_GEN_STATION_LATENCY_MS 80u
#define NET_GEN_TRUNK_BPS 1544000u
#define NET_GEN_TRUNK_LATENCY_MS 5u

/* How many skipped entries net_gen_stats_t remembers by index. */
#define NET_GEN_SKIPPED_SHOWN 5u

typedef struct net_gen_opts {
    uint32_t prefix_len; /* 1 to 7; 0 = NET_GEN_PREFIX_LEN */
    uint32_t min_group;  /* stations a prefix group needs for its own router;
                            0 = NET_GEN_MIN_GROUP */
    uint32_t min_share;  /* or the percentage of the corpus's sightings of RIs
                            and addresses it needs (1 to 100; 101 = never);
                            0 = NET_GEN_MIN_SHARE */
    uint32_t base_port;  /* 1 to 65535, and room for every router above it;
                            0 = NET_GEN_BASE_PORT */
} net_gen_opts_t;

typedef struct net_gen_stats {
    size_t entries;                           /* corpus entries looked at */
    size_t skipped;                           /* entries with parse errors: not used */
    size_t skipped_at[NET_GEN_SKIPPED_SHOWN]; /* the first ones, by entry index */
    size_t addressees; /* TO and INFO lines of the used cables (ZEN/ excluded) */
    size_t unusable;   /* of those, lines that name no valid RI and no valid
                          address (they cannot resolve in any network) */
    uint32_t stations; /* as loaded back: every count is the network's */
    uint32_t routers;
    uint32_t collectives;
    uint32_t trunks;
    uint32_t routes;
    uint32_t synthetic_ris;         /* stations and collectives whose RI is made up */
    uint32_t synthetic_plas;        /* addresses made up (stand-ins, RIs without one) */
    uint32_t stand_ins;             /* stations that stand for a collective's members */
    uint32_t synthetic_collectives; /* collectives whose RI is made up */
    uint32_t catch_all;             /* stations on the catch-all router (0: none) */
    char     hub[16];               /* name of the hub router */
} net_gen_stats_t;

/* net_gen_from_corpus - build the network file of corpus 'cp' (borrowed,
 * only read; its entries are parsed leniently, and entries with parse
 * errors are skipped and counted). 'o' may be NULL for the defaults; 'st'
 * (may be NULL) is filled in every case.
 *
 * Returns 0 with the YAML text in *yaml_out (returns owned, NUL-terminated,
 * free()) and its length in *len_out. Errors:
 *   SIM_EUSAGE  an option out of range (nothing is generated)
 *   SIM_EPARSE  the corpus gives no station (no entry without errors);
 *               *yaml_out is NULL
 *   SIM_EIO     the generated text does not load back, or an RI or address
 *               of the corpus does not resolve in it: a bug of this module.
 *               *yaml_out still holds the text (owned) for inspection, and
 *               every problem is appended to *errs (initialised by the
 *               caller, who destroys it; may be NULL).
 * Aborts only on memory exhaustion. */
int net_gen_from_corpus(const cable_corpus_t *cp, const net_gen_opts_t *o, char **yaml_out,
                        size_t *len_out, net_gen_stats_t *st, net_errors_t *errs);

/* net_gen_is_collective_pla - the rule for a collective address: a
 * canonical PLA whose last word is COLLECTIVE. */
bool net_gen_is_collective_pla(const char *pla);

/* net_gen_kind - the kind the generator gives a station from its first
 * (canonical) address: department for SECSTATE, SECDEF, DEPT/DEPARTMENT OF
 * ... and anything in Washington (WASHDC, WASH DC, WASHINGTON DC, or
 * WASHINGTON as the last word); mission otherwise. */
net_kind_t net_gen_kind(const char *pla);

#endif
