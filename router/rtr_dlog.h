/*
 * rtr_dlog.h - the delivery log: one record per event of a cable's life at
 * one party (router or station): accepted, routed, queued, transmit-start,
 * preempted, delivered, acknowledged, undeliverable, exempted,
 * duplicate-suppressed, service message, reassembled (a multi-section
 * message complete), sections-missing, ... with its sim-time and
 * wall-time, the cable's identity, precedence, link and channel sequence
 * number. It is the observation record (tracer actions, reports, exports):
 * written buffered, without fsync (the journal is the durable one).
 *
 * On disk: DIR/<party>.dlog (a later run of the same party: <party>.1.dlog,
 * <party>.2.dlog, ...), a sequence of msgpack maps, one per record,
 * with the keys of DESIGN.md (sim_time and wall_time in microseconds since
 * 1970). Readers merge the logs of several parties in sim-time order with
 * the tie order of docs/simulation.md.
 */
#ifndef RTR_DLOG_H
#define RTR_DLOG_H

#include "cable.h"
#include "sim_sched.h"

#define RTR_DLOG_EVENTS(X)                                                                         \
    X(ORIGINATED, "originated")                                                                    \
    X(ACCEPTED, "accepted")                                                                        \
    X(ROUTED, "routed")                                                                            \
    X(QUEUED, "queued")                                                                            \
    X(TX_START, "transmit-start")                                                                  \
    X(PREEMPTED, "preempted")                                                                      \
    X(TX_END, "transmitted")                                                                       \
    X(RECEIVED, "received")                                                                        \
    X(DELIVERED, "delivered")                                                                      \
    X(ACKNOWLEDGED, "acknowledged")                                                                \
    X(UNDELIVERABLE, "undeliverable")                                                              \
    X(EXEMPTED, "exempted")                                                                        \
    X(DUPLICATE, "duplicate-suppressed")                                                           \
    X(SERVICE, "service-message")                                                                  \
    X(GAP, "gap")                                                                                  \
    X(HELD, "held")                                                                                \
    X(RELEASED, "released")                                                                        \
    X(RESTORED, "restored")                                                                        \
    X(REASSEMBLED, "reassembled")                                                                  \
    X(SECTIONS_MISSING, "sections-missing")                                                        \
    X(SKIPPED, "skipped")

typedef enum rtr_dlog_event {
#define RTR_DLOG_ENUM(name, word) RTR_DLOG_##name,
    RTR_DLOG_EVENTS(RTR_DLOG_ENUM)
#undef RTR_DLOG_ENUM
    RTR_DLOG_EVENT_COUNT
} rtr_dlog_event_t;

const char *rtr_dlog_event_name(rtr_dlog_event_t e);
/* -1 when unknown. */
int rtr_dlog_event_from_name(const char *name);

/* One record. Strings are borrowed (NULL = absent); csn -1 = absent. */
typedef struct rtr_dlog_rec {
    sim_time_t       sim_time;
    int64_t          wall_time; /* µs since 1970, CLOCK_REALTIME */
    rtr_dlog_event_t event;
    const char      *party;     /* "RTR-WASH", "RUEHLO" */
    const char      *id;        /* "RUCNDT#0352/01 071302Z MAY 07" */
    cable_prec_t     precedence;
    const char      *link;      /* "RUEHLO", "trunk:RTR-WASH-RTR-LOND" */
    int32_t          csn;
    const char      *addressee; /* station RI of a delivery */
    const char      *detail;    /* event-specific words: reason, service text */
    int64_t          value;     /* event-specific number (e.g. delay µs); 0 absent */
} rtr_dlog_rec_t;

typedef struct rtr_dlog rtr_dlog_t;

/* rtr_dlog_open - create DIR if missing and a new log file of 'party' in it
 * (the first free of <party>.dlog, <party>.1.dlog, ...). Returns owned, or
 * NULL with *err a negative code. */
rtr_dlog_t *rtr_dlog_open(const char *dir, const char *party, int *err);
/* rtr_dlog_write - buffer one record (strings are copied). Flushes when the
 * buffer is full. Returns 0 or a negative code of the last write. */
int rtr_dlog_write(rtr_dlog_t *d, const rtr_dlog_rec_t *r);
int rtr_dlog_flush(rtr_dlog_t *d);
/* Flushes and closes; returns the first write error seen, or 0. */
int rtr_dlog_close(rtr_dlog_t *d);
uint64_t rtr_dlog_count(const rtr_dlog_t *d);

/* A set of records read back from one or more log folders, merged and
 * sorted: sim_time, event kind, precedence (higher first), id, link, party,
 * then the order written. Strings are owned by the set. */
typedef struct rtr_dlog_set {
    rtr_dlog_rec_t *v;
    size_t          n;
    void           *priv; /* private: string storage */
} rtr_dlog_set_t;

/* rtr_dlog_read - read every *.dlog of each folder. Returns 0, or a negative
 * code with err naming the file and what was wrong (a torn last record of a
 * log that was being written is skipped and counted in *torn). */
int rtr_dlog_read(const char *const *dirs, size_t n_dirs, rtr_dlog_set_t *out, size_t *torn,
                  char *err, size_t errlen);
/* rtr_dlog_read_kept - the same, keeping only the records for which
 * keep(r, ud) is true (r and its strings are valid during the call only):
 * a report over millions of records keeps the few kinds it reads. */
typedef bool (*rtr_dlog_keep_fn)(const rtr_dlog_rec_t *r, void *ud);
int rtr_dlog_read_kept(const char *const *dirs, size_t n_dirs, rtr_dlog_keep_fn keep, void *ud,
                       rtr_dlog_set_t *out, size_t *torn, char *err, size_t errlen);
void rtr_dlog_set_free(rtr_dlog_set_t *s);

#endif
