/*
 * sim_sched.h - simulated time: the clock and the event scheduler that every
 * routing, queueing and link-timing decision goes through.
 *
 * Nothing in the router core reads the wall clock. It schedules events at
 * sim-times on a sim_sched_t; whoever drives the scheduler decides how
 * sim-time relates to the wall:
 *   - tests advance a manual clock (sim_sched_run_until) and assert exact
 *     times, without sleeping;
 *   - the daemon in scaled mode (--speed X) arms one libuv timer for the
 *     earliest event at the wall time sim_clock_wall_ns() gives, computed
 *     from the absolute start so error never accumulates;
 *   - in virtual mode (--asap) the conservative synchronisation advances it.
 *
 * Events are intrusive (embedded in their owner, like libuv handles) and run
 * in one total order: time, then the caller's three key words (kind,
 * precedence, origin RI, serial, section, link: see sim_event_key), then
 * the order they were scheduled in.
 */
#ifndef SIM_SCHED_H
#define SIM_SCHED_H

#include "sim.h"

/* Microseconds since 1970-01-01T00:00:00Z, in simulated time. */
typedef int64_t sim_time_t;
#define SIM_TIME_NEVER INT64_MAX
#define SIM_USEC_PER_SEC 1000000LL

typedef struct sim_event sim_event_t;
typedef void (*sim_event_cb)(sim_event_t *ev, sim_time_t now);

struct sim_event {
    sim_time_t   at;
    uint64_t     key[3];
    sim_event_cb cb;
    uint64_t     seq;      /* private: scheduling order */
    uint32_t     heap_idx; /* private: UINT32_MAX when not scheduled */
};

/* Kinds of event, first in the tie order at one sim-time. */
enum {
    SIM_EV_ARRIVAL = 1,  /* a frame takes effect at its receiver */
    SIM_EV_TX_END = 2,   /* a transmission ends */
    SIM_EV_ORIGIN = 3,   /* a station originates a cable */
    SIM_EV_ACK = 4,      /* an operator acknowledges */
    SIM_EV_TIMER = 5,    /* anything else */
};

/* sim_event_key - the tie-break key of DESIGN.md / docs/simulation.md:
 * (kind, precedence (higher first), origin RI, station serial, section, link). */
void sim_event_key(sim_event_t *ev, int kind, int prec, const char *ri, size_t ri_len,
                   int32_t serial, uint16_t section, uint32_t link);

typedef struct sim_sched {
    sim_event_t **heap; /* private */
    uint32_t      n, cap;
    uint64_t      seq;  /* private */
    sim_time_t    now;  /* time of the event being run, or of the last run_until */
} sim_sched_t;

void sim_sched_init(sim_sched_t *s, sim_time_t start);
void sim_sched_destroy(sim_sched_t *s);
void sim_event_init(sim_event_t *ev);
bool sim_event_pending(const sim_event_t *ev);
/* sim_sched_add - schedule ev (borrowed; must stay valid until it runs or is
 * cancelled) at 'at'. An event already scheduled is moved. Times before
 * 'now' run at 'now'. */
void sim_sched_add(sim_sched_t *s, sim_event_t *ev, sim_time_t at, sim_event_cb cb);
void sim_sched_cancel(sim_sched_t *s, sim_event_t *ev);
/* The time of the earliest event, or SIM_TIME_NEVER. */
sim_time_t sim_sched_next(const sim_sched_t *s);
/* sim_sched_run_until - run, in order, every event due at or before t
 * (events they schedule at or before t run too); then now = t. Returns the
 * number run. */
size_t sim_sched_run_until(sim_sched_t *s, sim_time_t t);
/* Runs only the events due at the earliest time; returns how many. */
size_t sim_sched_run_next(sim_sched_t *s);

/* The clock: how sim-time maps to the wall. */
typedef enum sim_clock_mode {
    SIM_CLOCK_MANUAL = 0, /* tests: time moves only when told */
    SIM_CLOCK_SCALED = 1, /* --speed X */
    SIM_CLOCK_VIRTUAL = 2 /* --asap: from the model alone */
} sim_clock_mode_t;

typedef struct sim_clock {
    sim_clock_mode_t mode;
    double           speed;   /* sim seconds per wall second (SCALED) */
    sim_time_t       t0;      /* sim-time at the start */
    uint64_t         wall0_ns;/* monotonic wall time at the start */
    uint64_t (*wall_ns)(void);/* monotonic wall source; default: CLOCK_MONOTONIC */
} sim_clock_t;

void sim_clock_init(sim_clock_t *c, sim_clock_mode_t mode, double speed, sim_time_t t0);
/* sim_clock_anchor - scaled: sim-time t0 is reached at the CLOCK_REALTIME
 * instant 'real_us' (µs since 1970, past or future) instead of at init, so
 * that parties in several processes that are given the same anchor keep one
 * sim clock. The clock still runs on the monotonic source. */
void sim_clock_anchor(sim_clock_t *c, int64_t real_us);
/* Scaled: t0 + speed * (wall - wall0). Manual/virtual: meaningless, returns t0. */
sim_time_t sim_clock_now(const sim_clock_t *c);
/* Scaled: the monotonic wall time (ns) at which sim-time t is reached. */
uint64_t sim_clock_wall_ns(const sim_clock_t *c, sim_time_t t);
/* CLOCK_MONOTONIC in ns; CLOCK_REALTIME in microseconds (for wall fields). */
uint64_t sim_mono_ns(void);
int64_t sim_wall_us(void);

/* The time a cable of 'bytes' takes on a link of 'bps' (0 = no link model). */
sim_time_t sim_tx_time(uint64_t bytes, uint64_t bps);

#endif
