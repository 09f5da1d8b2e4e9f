/*
 * rtr_queue.c - per-link precedence queues (contiguous ring buffers, one per
 * level, with a RAM budget for cached bytes) and the link transmitter
 * (simulated speed and latency, strict precedence, preemption) on the
 * scheduler. See rtr_queue.h for the contract.
 */
#include "rtr_queue.h"

#include <stdlib.h>

int rtr_level(cable_prec_t p)
{
    switch (p) {
    case CABLE_PREC_Y: return 0;
    case CABLE_PREC_Z: return 1;
    case CABLE_PREC_O: return 2;
    case CABLE_PREC_P: return 3;
    default: return 4;
    }
}

static void ring_grow(rtr_ring_t *r)
{
    uint32_t    ncap = r->cap ? r->cap * 2 : 16;
    rtr_qent_t *v = sim_xmalloc(ncap * sizeof(*v));
    for (uint32_t i = 0; i < r->n; i++)
        v[i] = r->v[(r->head + i) % r->cap];
    free(r->v);
    r->v = v;
    r->head = 0;
    r->cap = ncap;
}

void rtr_queue_init(rtr_queue_t *q, size_t budget_bytes)
{
    memset(q, 0, sizeof(*q));
    q->budget = budget_bytes;
}

void rtr_queue_destroy(rtr_queue_t *q)
{
    for (int l = 0; l < RTR_LEVELS; l++) {
        rtr_ring_t *r = &q->level[l];
        for (uint32_t i = 0; i < r->n; i++)
            sim_buf_free(r->v[(r->head + i) % r->cap].data);
        free(r->v);
    }
    memset(q, 0, sizeof(*q));
}

/* Keep the bytes only while the budget allows. */
static void admit(rtr_queue_t *q, rtr_qent_t *e)
{
    if (e->data && q->cached_bytes + e->bytes > q->budget) {
        sim_buf_free(e->data);
        e->data = NULL;
    }
    if (e->data)
        q->cached_bytes += e->bytes;
    q->ram_bytes = q->cached_bytes;
    for (int l = 0; l < RTR_LEVELS; l++)
        q->ram_bytes += q->level[l].cap * sizeof(rtr_qent_t);
    q->n++;
    q->ram_n++;
}

static void ring_append(rtr_queue_t *q, rtr_qent_t *e)
{
    rtr_ring_t *r = &q->level[rtr_level((cable_prec_t)e->prec)];
    if (r->n == r->cap)
        ring_grow(r);
    r->v[(r->head + r->n) % r->cap] = *e;
    r->n++;
    admit(q, &r->v[(r->head + r->n - 1) % r->cap]);
}

void rtr_queue_set_spill(rtr_queue_t *q, size_t max_entries, rtr_queue_refill_fn fn, void *ud)
{
    q->max_ram_n = max_entries;
    q->refill = fn;
    q->refill_ud = ud;
}

void rtr_queue_push(rtr_queue_t *q, rtr_qent_t *e)
{
    rtr_ring_t *r = &q->level[rtr_level((cable_prec_t)e->prec)];
    if (q->refill && q->max_ram_n && (r->spilled || q->ram_n >= q->max_ram_n)) {
        if (!r->spilled)
            r->cursor = e->rec;
        r->spilled++;
        q->n++;
        sim_buf_free(e->data);
        e->data = NULL;
        return;
    }
    ring_append(q, e);
}

void rtr_queue_refilled(rtr_queue_t *q, rtr_qent_t *e)
{
    ring_append(q, e);
}

/* Bring spilled entries of level l back into RAM when its ring is empty. */
static void refill_level(rtr_queue_t *q, int l)
{
    rtr_ring_t *r = &q->level[l];
    uint64_t    want, got;
    if (r->n || !r->spilled || !q->refill)
        return;
    want = SIM_MAX((uint64_t)1, SIM_MIN(r->spilled, (uint64_t)(q->max_ram_n / 2 + 1)));
    q->n -= r->spilled; /* refilled entries are counted again as they come */
    got = q->refill(q->refill_ud, q, l, &r->cursor, want);
    if (got > r->spilled)
        sim_panic("%s: refilled more than was spilled", __func__);
    r->spilled -= got;
    if (!got)
        r->spilled = 0; /* the journal has none left: do not ask again */
    q->n += r->spilled;
}

void rtr_queue_push_head(rtr_queue_t *q, rtr_qent_t *e)
{
    rtr_ring_t *r = &q->level[rtr_level((cable_prec_t)e->prec)];
    if (r->n == r->cap)
        ring_grow(r);
    r->head = (r->head + r->cap - 1) % r->cap;
    r->v[r->head] = *e;
    r->n++;
    admit(q, &r->v[r->head]);
}

bool rtr_queue_pop(rtr_queue_t *q, rtr_qent_t *out)
{
    for (int l = 0; l < RTR_LEVELS; l++) {
        rtr_ring_t *r = &q->level[l];
        refill_level(q, l);
        if (!r->n)
            continue;
        *out = r->v[r->head];
        r->head = (r->head + 1) % r->cap;
        r->n--;
        q->n--;
        q->ram_n--;
        if (out->data)
            q->cached_bytes -= out->bytes;
        return true;
    }
    return false;
}

const rtr_qent_t *rtr_queue_head(const rtr_queue_t *q)
{
    for (int l = 0; l < RTR_LEVELS; l++) {
        const rtr_ring_t *r = &q->level[l];
        if (r->n)
            return &r->v[r->head];
        if (r->spilled)
            return NULL;
    }
    return NULL;
}

cable_prec_t rtr_queue_top(const rtr_queue_t *q)
{
    static const cable_prec_t by_level[RTR_LEVELS] = {CABLE_PREC_Y, CABLE_PREC_Z, CABLE_PREC_O,
                                                      CABLE_PREC_P, CABLE_PREC_R};
    for (int l = 0; l < RTR_LEVELS; l++)
        if (q->level[l].n || q->level[l].spilled)
            return by_level[l];
    return CABLE_PREC_NONE;
}

size_t rtr_queue_level_count(const rtr_queue_t *q, int level)
{
    return level >= 0 && level < RTR_LEVELS ? q->level[level].n + q->level[level].spilled : 0;
}

/* --- the transmitter ----------------------------------------------------- */

static void pump(rtr_txlink_t *l, sim_time_t now);

static void tx_end_cb(sim_event_t *ev, sim_time_t now)
{
    rtr_txlink_t *l = SIM_CONTAINER_OF(ev, rtr_txlink_t, tx_end);
    rtr_qent_t    e = l->cur;
    if (!l->busy)
        sim_panic("%s: transmission end on an idle link", __func__);
    l->busy = false;
    memset(&l->cur, 0, sizeof(l->cur));
    l->sent++;
    l->ops->tx_done(l, &e, now, now + l->latency);
    pump(l, now);
}

static bool preempts(const rtr_txlink_t *l, cable_prec_t incoming, cable_prec_t current)
{
    if (incoming <= current)
        return false;
    if (incoming >= CABLE_PREC_Z)
        return true;
    return l->o_preempts && incoming == CABLE_PREC_O && current <= CABLE_PREC_P;
}

static void pump(rtr_txlink_t *l, sim_time_t now)
{
    if (l->pumping)
        return; /* tx_done of a zero-time link may push; the loop below runs it */
    l->pumping = true;
    while (!l->busy && !l->paused) {
        rtr_qent_t e;
        if (l->q.n == 0 || (l->ops->can_start && !l->ops->can_start(l)))
            break;
        if (!rtr_queue_pop(&l->q, &e))
            break;
        e.tries++;
        if (l->ops->tx_start(l, &e, now) < 0)
            continue;
        if (l->bps == 0) {
            l->sent++;
            l->ops->tx_done(l, &e, now, now + l->latency);
            continue;
        }
        l->cur = e;
        l->busy = true;
        l->cur_start = now;
        sim_event_key(&l->tx_end, SIM_EV_TX_END, e.prec, NULL, 0, 0, 0, l->link_id);
        sim_sched_add(l->sched, &l->tx_end,
                      now + sim_tx_time(e.tx_bytes ? e.tx_bytes : e.bytes, l->bps), tx_end_cb);
    }
    l->pumping = false;
}

void rtr_txlink_init(rtr_txlink_t *l, sim_sched_t *sched, const rtr_txlink_ops_t *ops,
                     uint64_t bps, sim_time_t latency, bool o_preempts, size_t budget_bytes,
                     uint32_t link_id)
{
    memset(l, 0, sizeof(*l));
    rtr_queue_init(&l->q, budget_bytes);
    sim_event_init(&l->tx_end);
    l->sched = sched;
    l->ops = ops;
    l->bps = bps;
    l->latency = latency;
    l->o_preempts = o_preempts;
    l->link_id = link_id;
}

void rtr_txlink_destroy(rtr_txlink_t *l)
{
    sim_sched_cancel(l->sched, &l->tx_end);
    if (l->busy)
        sim_buf_free(l->cur.data);
    rtr_queue_destroy(&l->q);
    memset(l, 0, sizeof(*l));
}

void rtr_txlink_push(rtr_txlink_t *l, rtr_qent_t *e, sim_time_t now)
{
    if (l->busy && preempts(l, (cable_prec_t)e->prec, (cable_prec_t)l->cur.prec)) {
        rtr_qent_t old = l->cur;
        sim_sched_cancel(l->sched, &l->tx_end);
        l->busy = false;
        memset(&l->cur, 0, sizeof(l->cur));
        l->preemptions++;
        l->ops->tx_preempted(l, &old, now);
        rtr_queue_push_head(&l->q, &old);
    }
    rtr_queue_push(&l->q, e);
    pump(l, now);
}

void rtr_txlink_requeue(rtr_txlink_t *l, rtr_qent_t *e, sim_time_t now)
{
    rtr_queue_push_head(&l->q, e);
    pump(l, now);
}

void rtr_txlink_kick(rtr_txlink_t *l, sim_time_t now)
{
    pump(l, now);
}

void rtr_txlink_pause(rtr_txlink_t *l)
{
    l->paused++;
}

void rtr_txlink_resume(rtr_txlink_t *l, sim_time_t now)
{
    if (l->paused > 0)
        l->paused--;
    pump(l, now);
}

bool rtr_txlink_busy(const rtr_txlink_t *l)
{
    return l->busy;
}

size_t rtr_txlink_queued(const rtr_txlink_t *l)
{
    return l->q.n;
}
