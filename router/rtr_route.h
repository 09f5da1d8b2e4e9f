/*
 * rtr_route.h - routing for one router: the routing table built from the
 * network model, address resolution through the directory, and the
 * per-cable plan (which deliveries this router moves, grouped into one copy
 * per outgoing hop with its own format line 2).
 *
 * Pure logic: no event loop, no I/O, no logging. A table and a plan borrow
 * the network (it must outlive them) and never change it, so one network
 * can serve many tables and plans, on any thread, as long as each plan is
 * used by one thread at a time.
 *
 * Hops. A router's outgoing hops are numbered once, when its table is
 * built: first one hop per trunk, in the order of the neighbouring router's
 * index in the network file, then one hop per station homed on the router
 * (its station link), in the order of the station's RI. The hop number is
 * the key the router uses for its per-link queues; every ordered output of
 * this module follows it.
 *
 * Paths. A station homed on this router is reached on its own link. A
 * station homed on router X is reached through the trunk that starts the
 * shortest path (fewest trunks) from here to X; among several neighbours at
 * the same distance from X the one with the lowest router index wins. Every
 * router of a network computes the same distances, so a cable always moves
 * closer to X and never loops. The station's home router is authoritative:
 * the `routes` of the network file are consulted only for an RI that names
 * no station (the longest matching prefix, else the default), and such an RI
 * travels toward the router they give; at that router it is unknown.
 *
 * Deliveries (DESIGN.md, "Identity, deliveries, duplicates"). A delivery is
 * one (cable identity, station) pair: the TO and INFO addressee lines are
 * resolved to stations through the directory (an RI written on the line is
 * used as it stands; a line without RI is looked up by its plain-language
 * address; a collective RI or address stands for its member stations). A
 * station reached by several lines, directly or through collectives, is ONE
 * delivery, since a station hands an identity to its operator once:
 *   - its precedence is the highest of those lines' precedences, each from
 *     cable_addr_precedence() (TO lines at the action, INFO lines at the
 *     info precedence);
 *   - it is an action delivery when at least one TO line reaches it, NIACT
 *     when at least one of the lines says NIACT;
 *   - it names the first line that reached it, in the order TO lines, then
 *     INFO lines, each in the order written.
 * XMT lines and ZEN/ lines are not routed: each is reported as exempted. A
 * station that an XMT or ZEN/ line names (or a member of a collective it
 * names) is also left out of every collective expansion of the cable (the
 * meaning of XMT: "members of the collective who must not get it"); a TO
 * or INFO line that names the station itself still delivers to it.
 * Lines that resolve to nothing are undeliverable, with the reason.
 */
#ifndef RTR_ROUTE_H
#define RTR_ROUTE_H

#include "sim.h"
#include "cable.h"
#include "network.h"

/* "No hop": an unreachable router, or a delivery planned without a table. */
#define RTR_HOP_NONE UINT32_MAX

typedef enum rtr_hop_kind {
    RTR_HOP_TRUNK = 1, /* to a neighbouring router */
    RTR_HOP_LOCAL = 2, /* to a station homed on this router, on its link */
} rtr_hop_kind_t;

typedef struct rtr_hop {
    rtr_hop_kind_t kind;
    uint32_t       router;  /* TRUNK: the neighbour; LOCAL: this router */
    uint32_t       trunk;   /* TRUNK: index into net->trunks; else RTR_HOP_NONE */
    uint32_t       station; /* LOCAL: index into net->stations; else RTR_HOP_NONE */
} rtr_hop_t;

/* The routing table of one router. Caller storage: rtr_table_init fills it,
 * rtr_table_destroy frees what it holds. Read-only once built. */
typedef struct rtr_table {
    const net_network_t *net;  /* borrowed; must outlive the table */
    uint32_t             self; /* this router's index */
    rtr_hop_t           *hops; /* n_hops: n_trunk_hops trunks, then local links */
    uint32_t             n_hops;
    uint32_t             n_trunk_hops;
    /* private */
    uint32_t *_toward;      /* per router: hop toward it (RTR_HOP_NONE for self) */
    uint32_t *_distance;    /* per router: trunks on the way (UINT32_MAX unreachable) */
    uint32_t *_station_hop; /* per station: its hop */
    uint32_t *_station_key; /* per station: its rank in (hop, RI) order */
} rtr_table_t;

/* rtr_table_init - build the table of router 'self' of 'net' (borrowed;
 * must outlive the table). Returns 0, or SIM_EUSAGE when 'self' is not a
 * router of 'net' (then *t is left empty and rtr_table_destroy is a no-op).
 * Aborts only on memory exhaustion. Cost: one breadth-first search of the
 * trunk graph per router, once. */
int rtr_table_init(rtr_table_t *t, const net_network_t *net, uint32_t self);

/* rtr_table_destroy - free what the table holds; *t is empty afterwards. */
void rtr_table_destroy(rtr_table_t *t);

/* rtr_table_toward - the hop toward router 'router': RTR_HOP_NONE for this
 * router itself, for an unreachable router and for an index out of range. */
uint32_t rtr_table_toward(const rtr_table_t *t, uint32_t router);

/* rtr_table_distance - trunks between this router and 'router' on the
 * shortest path (0 for itself); UINT32_MAX when unreachable or out of range. */
uint32_t rtr_table_distance(const rtr_table_t *t, uint32_t router);

/* rtr_table_station_hop - the hop of station index 'station' (its link when
 * homed here, else the trunk toward its home router); RTR_HOP_NONE when
 * unreachable or out of range. */
uint32_t rtr_table_station_hop(const rtr_table_t *t, uint32_t station);

/* Why an addressee is not delivered. Undeliverable reasons first, then the
 * exemptions. */
typedef enum rtr_why {
    RTR_WHY_NONE = 0,
    RTR_WHY_UNKNOWN_RI = 1,    /* the RI names no station or collective (for
                                  rtr_route_ri: no station, and the routes
                                  lead here) */
    RTR_WHY_UNKNOWN_PLA = 2,   /* written without RI; the address is not in
                                  the directory */
    RTR_WHY_NO_ROUTE = 3,      /* no path from here to the station's router,
                                  or no route and no default for the RI */
    RTR_WHY_NOT_ADDRESSED = 4, /* relay: an RI of the received format line 2
                                  that no TO/INFO line of the cable resolves to */
    RTR_WHY_XMT = 5,           /* exempted: an XMT line */
    RTR_WHY_ZEN = 6,           /* exempted: a ZEN/ line (served by other means) */
} rtr_why_t;

/* rtr_why_word - "unknown RI", "unknown PLA", "no route", "not addressed",
 * "XMT", "ZEN": returns a borrowed static string;
 * NULL for RTR_WHY_NONE or an unknown value. */
const char *rtr_why_word(rtr_why_t why);

/* rtr_route_ri - where an RI goes from this router (the answer for any RI,
 * station or not). Fills *out and returns 0 when there is a hop; returns
 * SIM_ENOROUTE otherwise, with out->why RTR_WHY_UNKNOWN_RI (the RI names no
 * station and the routes lead here) or RTR_WHY_NO_ROUTE (no path, or no
 * matching prefix and no default). out->station is the station index or -1,
 * out->router the router the RI is for (home or route; -1 when none). */
typedef struct rtr_route {
    uint32_t  hop;     /* index into t->hops, or RTR_HOP_NONE */
    int32_t   station; /* index into net->stations, or -1 */
    int32_t   router;  /* destination router, or -1 */
    rtr_why_t why;     /* RTR_WHY_NONE on success */
} rtr_route_t;

int rtr_route_ri(const rtr_table_t *t, const char *ri, size_t len, rtr_route_t *out);

/* ---- the per-cable plan ---------------------------------------------------------- */

typedef enum rtr_role {
    RTR_ROLE_ORIGIN = 0, /* this router accepted the cable from its station */
    RTR_ROLE_RELAY = 1,  /* the cable came over a trunk: only the RIs of the
                            received format line 2 are this router's to move */
} rtr_role_t;

/* Which list of the cable an index points into. */
typedef enum rtr_list {
    RTR_LIST_TO = 0,   /* c->to */
    RTR_LIST_INFO = 1, /* c->info */
    RTR_LIST_XMT = 2,  /* c->xmt */
    RTR_LIST_FL2 = 3,  /* c->routing_indicators */
} rtr_list_t;

typedef struct rtr_delivery {
    uint32_t     station;    /* index into net->stations */
    uint32_t     hop;        /* index into the table's hops; RTR_HOP_NONE
                                from rtr_expected_deliveries */
    cable_prec_t prec;       /* highest of the lines that reach the station */
    bool         action;     /* a TO line reaches it */
    bool         niact;      /* a line that reaches it says NIACT */
    rtr_list_t   list;       /* the first line that reached it: TO or INFO ... */
    uint32_t     index;      /* ... and its index in that list */
    int32_t      collective; /* the collective that line named, or -1 */
    uint32_t     _key;       /* private: sort key */
} rtr_delivery_t;

/* One outgoing copy of the cable: its deliveries are
 * plan->deliveries[first .. first + n), sorted by station RI, and its format
 * line 2 is plan->fl2[first .. first + n) (the same stations' RIs). */
typedef struct rtr_copy {
    uint32_t     hop;   /* index into the table's hops */
    cable_prec_t prec;  /* queue precedence: the highest of its deliveries */
    bool         niact; /* one of its deliveries is a NIACT action addressee */
    uint32_t     first;
    uint32_t     n;
} rtr_copy_t;

/* An addressee line (or an RI of format line 2) that gives no delivery. */
typedef struct rtr_note {
    rtr_why_t    why;
    rtr_list_t   list;       /* where it is written ... */
    uint32_t     index;      /* ... and its index there */
    int32_t      station;    /* the station it names (NO_ROUTE, XMT, ZEN when
                                known), else -1 */
    int32_t      collective; /* the collective it names, else -1 */
    cable_prec_t prec;       /* the line's precedence; NONE for XMT and FL2 */
} rtr_note_t;

/* A reusable plan: caller storage, bound to one network by rtr_plan_init.
 * Its arrays grow to the largest cable seen and are reused, so planning
 * allocates nothing in the steady state. Every array and pointer is
 * borrowed, valid until the next rtr_plan_build / rtr_expected_deliveries
 * on the plan or rtr_plan_destroy. */
typedef struct rtr_plan {
    const net_network_t *net;  /* borrowed */
    rtr_role_t           role;
    cable_prec_t         prec; /* highest of all deliveries; NONE when none */

    rtr_delivery_t *deliveries; /* grouped by copy; by (hop, RI) */
    uint32_t        n_deliveries;
    sim_span_t     *fl2;        /* per delivery: its station's RI (borrowed
                                   from the network), for the copies' FL2 */
    rtr_copy_t     *copies;     /* in hop order */
    uint32_t        n_copies;
    rtr_note_t     *undeliverable; /* in the order of the lines (TO, INFO, FL2) */
    uint32_t        n_undeliverable;
    rtr_note_t     *exempted;      /* in the order of the lines (TO, INFO, XMT) */
    uint32_t        n_exempted;

    /* private */
    uint32_t  _cap_deliveries, _cap_fl2, _cap_copies, _cap_undeliverable, _cap_exempted;
    uint32_t  _gen;     /* stamp of the plan being built */
    uint32_t *_marks;   /* 4 per station: seen, slot, exempt, on FL2 */
    uint32_t *_ri_rank; /* per station: its rank in RI order */
} rtr_plan_t;

/* rtr_plan_init - bind a plan to 'net' (borrowed; must outlive the plan).
 * Allocates the per-station scratch once (16 bytes per station). */
void rtr_plan_init(rtr_plan_t *p, const net_network_t *net);

/* rtr_plan_destroy - free what the plan holds; *p is empty afterwards. */
void rtr_plan_destroy(rtr_plan_t *p);

/* rtr_plan_build - the plan of router t->self for cable 'c' (borrowed, only
 * read during the call). ORIGIN: every delivery of the cable, every
 * undeliverable line and every exempted line (the origin reports them once
 * for the whole network). RELAY: only the deliveries whose station RI is on
 * the cable's format line 2 as received; the lines were reported at the
 * origin, so the only notes are the RIs of format line 2 that the cable
 * does not address (NOT_ADDRESSED) and deliveries without a path (NO_ROUTE).
 * Deliveries are grouped into one copy per hop, copies in hop order.
 * Returns the number of deliveries (>= 0), or SIM_EUSAGE when the plan and
 * the table are bound to different networks. */
int rtr_plan_build(rtr_plan_t *p, const rtr_table_t *t, const cable_t *c, rtr_role_t role);

/* rtr_expected_deliveries - what a replay's accounting counts for cable 'c'
 * (borrowed) on the plan's network, whoever routes it: the deliveries (with
 * hop RTR_HOP_NONE, sorted by station RI, no copies), the undeliverable
 * lines (unknown RI or PLA) and the exempted ones, by the same resolution
 * as rtr_plan_build at an origin. The network file is validated to have
 * every router reach every other, so no delivery of it is ever NO_ROUTE.
 * Returns the number of deliveries (>= 0). */
int rtr_expected_deliveries(rtr_plan_t *p, const cable_t *c);

#endif
