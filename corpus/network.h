/*
 * network.h - the simulated network: routers, stations, links, trunks,
 * collectives and routes, read from a YAML network file (DESIGN.md, "The
 * network file"). This is the world a cable names: the directory that turns
 * plain-language addresses into routing indicators lives here too.
 *
 * A net_network_t owns all its strings. It is read once and then only read
 * from, so lookups use sorted arrays and binary search. corpus/network.md
 * documents the file format: every key, its type, default and the checks.
 */
#ifndef NETWORK_H
#define NETWORK_H

#include <stdio.h>

#include "sim.h"

/* Limits on what a network file may be (beyond them the file is rejected). */
#define NET_MAX_FILE_BYTES (64u * 1024 * 1024)
#define NET_MAX_ERRORS     1000u /* errors kept per file; one more says "too many" */

/* Defaults for what the file leaves out (corpus/network.md). */
#define NET_DEFAULT_STATION_BPS      9600u
#define NET_DEFAULT_STATION_LATENCY  50.0 /* ms */
#define NET_DEFAULT_TRUNK_BPS        56000u
#define NET_DEFAULT_TRUNK_LATENCY    20.0 /* ms */
#define NET_DEFAULT_RAM_BUDGET_MIB   8u
#define NET_DEFAULT_OPERATOR_DELAY_S 60.0

typedef enum net_kind {
    NET_KIND_MISSION = 0,
    NET_KIND_DEPARTMENT = 1,
} net_kind_t;

typedef struct net_window {
    int64_t from; /* epoch seconds, inclusive */
    int64_t to;   /* epoch seconds, exclusive */
} net_window_t;

typedef struct net_link_params {
    uint64_t bps;            /* simulated speed; 0 = no link model */
    double   latency_ms;     /* propagation delay */
    bool     o_preempts;     /* IMMEDIATE preempts PRIORITY/ROUTINE */
    uint32_t ram_budget_mib; /* queued bytes kept in RAM per link */
} net_link_params_t;

typedef struct net_router {
    char    *name;
    char    *listen_host;   /* "127.0.0.1" */
    uint16_t listen_port;
    double   processing_ms; /* simulated time to journal and route a cable */
    uint32_t line;          /* where it is defined in the file */
} net_router_t;

typedef struct net_station {
    char             *ri;
    char            **pla;    /* one or more plain-language addresses, upper case
                                 with single spaces; pla[0] is the station's own */
    uint32_t          n_pla;
    net_kind_t        kind;
    uint32_t          router; /* index into routers */
    char             *host;   /* station-host process; default router's name */
    net_window_t     *closed;
    uint32_t          n_closed;
    double            operator_delay_s; /* default 60 */
    net_link_params_t link;   /* defaults with this station's overrides */
    uint32_t          line;
} net_station_t;

typedef struct net_trunk {
    uint32_t          a, b; /* router indices */
    net_link_params_t link;
    uint32_t          line;
} net_trunk_t;

typedef struct net_collective {
    char     *ri;
    char     *pla;     /* upper case, single spaces */
    char    **members; /* member RIs */
    uint32_t *member_stations; /* the same members as station indices */
    uint32_t  n_members;
    uint32_t  line;
} net_collective_t;

typedef struct net_route {
    char    *prefix;
    uint32_t router;
    uint32_t line;
} net_route_t;

/* A directory entry: a normalised plain-language address and what it names. */
typedef struct net_dir_entry {
    char   *pla;        /* upper case, single spaces; borrowed from the
                           station or collective it names */
    int32_t station;    /* index, or -1 */
    int32_t collective; /* index, or -1 */
} net_dir_entry_t;

typedef struct net_network {
    char             *file;
    net_router_t     *routers;
    uint32_t          n_routers;
    net_station_t    *stations;
    uint32_t          n_stations;
    net_trunk_t      *trunks;
    uint32_t          n_trunks;
    net_collective_t *collectives;
    uint32_t          n_collectives;
    net_route_t      *routes;   /* in file order; net_route_lookup picks */
    uint32_t          n_routes;
    int32_t           default_router; /* index or -1 */
    net_link_params_t station_link_defaults;
    net_link_params_t trunk_link_defaults;
    /* private: sorted indexes for lookups */
    net_dir_entry_t  *dir;
    uint32_t          n_dir;
    uint32_t         *by_ri; /* station indices sorted by RI */
    uint32_t         *coll_by_ri;     /* collective indices sorted by RI */
    uint32_t         *router_by_name; /* router indices sorted by name */
} net_network_t;

/* One problem found in a network file. */
typedef struct net_error {
    uint32_t line, col; /* from 1; 0 when not tied to a place */
    char    *message;   /* owned */
} net_error_t;

typedef struct net_errors {
    net_error_t *v;
    uint32_t     n;
} net_errors_t;

/* net_load - read and validate a network file. Returns an owned network
 * (free it with net_free), or NULL with every problem appended to *errs,
 * sorted by place: line and col locate each one in the file (0 when the
 * problem is the whole file, e.g. unreadable), the message says what is
 * wrong without the file name (net_errors_fprint adds it). *errs must be
 * initialised ({0}) and is destroyed by the caller; 'errs' may be NULL. */
net_network_t *net_load(const char *path, net_errors_t *errs);
/* net_load_mem - the same from a buffer (borrowed, need not end in NUL);
 * 'name' is kept as net->file. A len above NET_MAX_FILE_BYTES is refused
 * (one error) before 'yaml' is looked at. */
net_network_t *net_load_mem(const char *name, const char *yaml, size_t len, net_errors_t *errs);
/* net_free - release a network and everything it owns; NULL is fine. */
void net_free(net_network_t *net);
/* net_errors_destroy - free the messages; *errs is empty ({0}) afterwards. */
void net_errors_destroy(net_errors_t *errs);
/* net_errors_fprint - one line per error: "file:line:col: error: message"
 * ("file: error: message" when the line is 0). */
void net_errors_fprint(FILE *out, const char *file, const net_errors_t *errs);

/* net_file_read - a whole file (or stdin for "-") into a NUL-terminated
 * buffer. Returns 0 and an owned *buf (free()), -errno when it cannot be
 * read, or SIM_ETOOBIG beyond NET_MAX_FILE_BYTES. Lets a caller tell "cannot
 * read" (usage / I/O) from "read, but wrong" before net_load_mem. */
int net_file_read(const char *path, char **buf, size_t *len);

/* Lookups. Return an index or -1. PLA matching ignores case and collapses
 * runs of blanks. */
int32_t net_station_by_ri(const net_network_t *net, const char *ri, size_t len);
int32_t net_station_by_pla(const net_network_t *net, const char *pla, size_t len);
int32_t net_collective_by_ri(const net_network_t *net, const char *ri, size_t len);
int32_t net_collective_by_pla(const net_network_t *net, const char *pla, size_t len);
int32_t net_router_by_name(const net_network_t *net, const char *name);
/* The directory entry for a plain-language address (station or collective);
 * returns borrowed (valid until net_free), or NULL. */
const net_dir_entry_t *net_dir_lookup(const net_network_t *net, const char *pla, size_t len);
/* The router that the routes give for an RI: the longest matching prefix,
 * else the default; -1 when neither. Whether a station's home router wins
 * over this for the station's own RI is the router's policy, not the file's. */
int32_t net_route_lookup(const net_network_t *net, const char *ri, size_t len);

/* "mission" or "department". */
const char *net_kind_name(net_kind_t kind);

/* True when the station is closed at 'when' (epoch seconds): inside one of
 * its windows, from inclusive, to exclusive. */
bool net_station_closed(const net_station_t *st, int64_t when);
/* net_parse_utc - "2009-05-01T00:00:00Z" (exactly that shape, a time that
 * exists, years 1900-9999) into seconds since 1970, as the network file's
 * closed windows are written. */
bool net_parse_utc(const char *s, size_t len, int64_t *secs);

#endif
