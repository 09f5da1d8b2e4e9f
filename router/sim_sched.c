/*
 * sim_sched.c - the event scheduler (a binary min-heap of intrusive events
 * in one total order) and the clocks. No event loop, no wall clock unless
 * asked for one explicitly.
 */
#include "sim_sched.h"

#include <stdlib.h>
#include <time.h>

void sim_event_key(sim_event_t *ev, int kind, int prec, const char *ri, size_t ri_len,
                   int32_t serial, uint16_t section, uint32_t link)
{
    uint64_t r = 0;
    for (size_t i = 0; i < 7; i++)
        r = (r << 8) | (i < ri_len ? (uint8_t)ri[i] : 0);
    ev->key[0] = ((uint64_t)(kind & 0xff) << 56) | ((uint64_t)(255 - (prec & 0xff)) << 48);
    ev->key[1] = r;
    ev->key[2] = ((uint64_t)(uint32_t)serial << 32) | ((uint64_t)section << 16) | (link & 0xffff);
}

static bool before(const sim_event_t *a, const sim_event_t *b)
{
    if (a->at != b->at)
        return a->at < b->at;
    for (int i = 0; i < 3; i++)
        if (a->key[i] != b->key[i])
            return a->key[i] < b->key[i];
    return a->seq < b->seq;
}

static void place(sim_sched_t *s, uint32_t i, sim_event_t *ev)
{
    s->heap[i] = ev;
    ev->heap_idx = i;
}

static void sift_up(sim_sched_t *s, uint32_t i)
{
    sim_event_t *ev = s->heap[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!before(ev, s->heap[p]))
            break;
        place(s, i, s->heap[p]);
        i = p;
    }
    place(s, i, ev);
}

static void sift_down(sim_sched_t *s, uint32_t i)
{
    sim_event_t *ev = s->heap[i];
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        sim_event_t *best = ev;
        if (l < s->n && before(s->heap[l], best))
            m = l, best = s->heap[l];
        if (r < s->n && before(s->heap[r], best))
            m = r, best = s->heap[r];
        if (m == i)
            break;
        place(s, i, s->heap[m]);
        i = m;
    }
    place(s, i, ev);
}

void sim_sched_init(sim_sched_t *s, sim_time_t start)
{
    memset(s, 0, sizeof(*s));
    s->now = start;
}

void sim_sched_destroy(sim_sched_t *s)
{
    for (uint32_t i = 0; i < s->n; i++)
        s->heap[i]->heap_idx = UINT32_MAX;
    free(s->heap);
    memset(s, 0, sizeof(*s));
}

void sim_event_init(sim_event_t *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->heap_idx = UINT32_MAX;
}

bool sim_event_pending(const sim_event_t *ev)
{
    return ev->heap_idx != UINT32_MAX;
}

void sim_sched_cancel(sim_sched_t *s, sim_event_t *ev)
{
    uint32_t i = ev->heap_idx;
    if (i == UINT32_MAX)
        return;
    if (i >= s->n || s->heap[i] != ev)
        sim_panic("%s: event not in this scheduler", __func__);
    ev->heap_idx = UINT32_MAX;
    s->n--;
    if (i == s->n)
        return;
    place(s, i, s->heap[s->n]);
    if (i > 0 && before(s->heap[i], s->heap[(i - 1) / 2]))
        sift_up(s, i);
    else
        sift_down(s, i);
}

void sim_sched_add(sim_sched_t *s, sim_event_t *ev, sim_time_t at, sim_event_cb cb)
{
    if (ev->heap_idx != UINT32_MAX)
        sim_sched_cancel(s, ev);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->heap = sim_xrealloc(s->heap, s->cap * sizeof(*s->heap));
    }
    ev->at = at < s->now ? s->now : at;
    ev->cb = cb;
    ev->seq = s->seq++;
    s->heap[s->n] = ev;
    ev->heap_idx = s->n;
    s->n++;
    sift_up(s, s->n - 1);
}

sim_time_t sim_sched_next(const sim_sched_t *s)
{
    return s->n ? s->heap[0]->at : SIM_TIME_NEVER;
}

static sim_event_t *pop(sim_sched_t *s)
{
    sim_event_t *ev = s->heap[0];
    sim_sched_cancel(s, ev);
    return ev;
}

size_t sim_sched_run_until(sim_sched_t *s, sim_time_t t)
{
    size_t n = 0;
    while (s->n && s->heap[0]->at <= t) {
        sim_event_t *ev = pop(s);
        s->now = ev->at;
        ev->cb(ev, ev->at);
        n++;
    }
    if (t > s->now && t != SIM_TIME_NEVER)
        s->now = t;
    return n;
}

size_t sim_sched_run_next(sim_sched_t *s)
{
    sim_time_t t = sim_sched_next(s);
    size_t     n = 0;
    if (t == SIM_TIME_NEVER)
        return 0;
    while (s->n && s->heap[0]->at == t) {
        sim_event_t *ev = pop(s);
        s->now = ev->at;
        ev->cb(ev, ev->at);
        n++;
    }
    return n;
}

uint64_t sim_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t sim_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void sim_clock_init(sim_clock_t *c, sim_clock_mode_t mode, double speed, sim_time_t t0)
{
    memset(c, 0, sizeof(*c));
    c->mode = mode;
    c->speed = speed > 0 ? speed : 1.0;
    c->t0 = t0;
    c->wall_ns = sim_mono_ns;
    c->wall0_ns = c->wall_ns();
}

void sim_clock_anchor(sim_clock_t *c, int64_t real_us)
{
    /* Read both sources back to back; their offset is what converts. */
    int64_t mono = (int64_t)c->wall_ns();
    int64_t real_ns = sim_wall_us() * 1000;
    c->wall0_ns = (uint64_t)(mono + (real_us * 1000 - real_ns));
}

sim_time_t sim_clock_now(const sim_clock_t *c)
{
    if (c->mode != SIM_CLOCK_SCALED)
        return c->t0;
    return c->t0 + (sim_time_t)((double)(c->wall_ns() - c->wall0_ns) / 1000.0 * c->speed);
}

uint64_t sim_clock_wall_ns(const sim_clock_t *c, sim_time_t t)
{
    double d;
    if (t <= c->t0)
        return c->wall0_ns;
    d = (double)(t - c->t0) * 1000.0 / c->speed;
    return c->wall0_ns + (uint64_t)d;
}

sim_time_t sim_tx_time(uint64_t bytes, uint64_t bps)
{
    if (bps == 0)
        return 0;
    /* ceil(8 * bytes * 1e6 / bps) microseconds */
    return (sim_time_t)((bytes * 8u * 1000000u + bps - 1) / bps);
}
