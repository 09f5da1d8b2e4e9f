/*
 * link_chan.c - channel sequence numbers and duplicate suppression for one
 * link (contract in link_chan.h, rules in PROTOCOL.md "Channel continuity").
 *
 * The sending side is a ring of 'window' slots holding the numbers handed
 * out and not yet settled, oldest first; since every number handed out gets
 * a slot (a cable or an ABORT), the window is the contiguous range
 * head_csn .. next_csn - 1 and a csn finds its slot by its distance from
 * head_csn, in constant time. Acknowledgements are per number; whenever the
 * oldest slot is settled the head moves over every settled slot after it,
 * which is the cumulative fast path of in-order acknowledgements. A number
 * "ahead" (within half the circle after next_csn) was never handed out and
 * is a protocol violation; one "behind" is a stale repeat. The window is at
 * most LINK_WINDOW_MAX < LINK_CSN_MOD / 2, so the two never overlap.
 *
 * The receiving side only remembers the last number; the same half-circle
 * rule tells a gap from a repeat.
 *
 * The duplicate set is an open-addressing hash table (linear probing, each
 * slot an entry's index and 32 bits of its hash, so that a probe reads the
 * entries only when the hashes agree) over an array of entries threaded on
 * a least-recently-used list; when full, the least recently used entry is
 * removed (backward-shift deletion, no tombstones) and reused, so memory is
 * bounded by the capacity given at creation and lookups are exact (whole
 * keys compared).
 * No Debian C library offers a bounded LRU set, and hsearch(3) has one
 * table per process, hence these hundred lines.
 *
 * Failure modes: bad numbers from the peer are reported as codes, never
 * asserted; broken invariants of our own call sim_panic; allocation aborts.
 */
#include "link_chan.h"

#include <limits.h>
#include <stdlib.h>

/* --- sending side ------------------------------------------------------- */

enum link__slot_state {
    LINK__SENT = 1,  /* a cable waiting for its ACK */
    LINK__ACKED = 2, /* acknowledged: settled */
    LINK__ABORT = 3, /* an ABORT the peer may not have seen yet */
    LINK__DONE = 4,  /* settled otherwise: an ABORT seen, or released */
};

struct link_tx_slot {
    uint64_t cookie;
    uint8_t  state;
};

void link_tx_init(link_tx_t *t, uint32_t window, int first_csn)
{
    memset(t, 0, sizeof(*t));
    if (window == 0)
        window = LINK_WINDOW_DEFAULT;
    if (window > LINK_WINDOW_MAX)
        window = LINK_WINDOW_MAX;
    t->window = window;
    t->ring = NULL; /* on the first send: a receive-only station needs none */
    t->head_csn = t->next_csn = link_csn_add(first_csn, 0);
}

void link_tx_destroy(link_tx_t *t)
{
    free(t->ring);
    t->ring = NULL;
    t->count = 0;
}

bool link_tx_full(const link_tx_t *t)
{
    return t->count >= t->window;
}

static link_tx_slot_t *link__slot(const link_tx_t *t, uint32_t off)
{
    return &t->ring[(t->head + off) % t->window];
}

static void link__tx_sanity(const link_tx_t *t)
{
    if (t->count > t->window || link_csn_add(t->head_csn, (int)t->count) != t->next_csn)
        sim_panic("%s: window broken (count %u of %u, head %d, next %d)", __func__, t->count,
                  t->window, t->head_csn, t->next_csn);
}

/* Release the head over every settled slot. */
static void link__tx_pop(link_tx_t *t)
{
    while (t->count > 0) {
        link_tx_slot_t *s = link__slot(t, 0);
        if (s->state != LINK__ACKED && s->state != LINK__DONE)
            break;
        s->state = 0;
        t->head = (t->head + 1) % t->window;
        t->head_csn = link_csn_add(t->head_csn, 1);
        t->count--;
    }
    link__tx_sanity(t);
}

/* Settle the ABORTs among the first n slots. */
static void link__tx_settle_aborts(link_tx_t *t, uint32_t n)
{
    for (uint32_t i = 0; i < n && t->aborts > 0; i++) {
        link_tx_slot_t *s = link__slot(t, i);
        if (s->state == LINK__ABORT) {
            s->state = LINK__DONE;
            t->aborts--;
        }
    }
}

int link_tx_send(link_tx_t *t, uint64_t cookie, int *csn)
{
    link_tx_slot_t *s;

    if (link_tx_full(t))
        return SIM_EFULL;
    if (!t->ring)
        t->ring = sim_xcalloc(t->window, sizeof(*t->ring));
    s = link__slot(t, t->count);
    s->cookie = cookie;
    s->state = LINK__SENT;
    *csn = t->next_csn;
    t->next_csn = link_csn_add(t->next_csn, 1);
    t->count++;
    t->sent++;
    link__tx_sanity(t);
    return 0;
}

/* Find csn's slot: 0 with *off, LINK_TX_STALE when behind the window,
 * SIM_EPARSE when never handed out. */
static int link__tx_find(const link_tx_t *t, int csn, uint32_t *off)
{
    uint32_t d;

    if (csn < 0 || csn >= LINK_CSN_MOD)
        return SIM_EPARSE;
    d = (uint32_t)link_csn_dist(t->head_csn, csn);
    if (d < t->count) {
        *off = d;
        return 0;
    }
    if (link_csn_dist(t->next_csn, csn) < LINK_CSN_MOD / 2)
        return SIM_EPARSE;
    return LINK_TX_STALE;
}

int link_tx_ack(link_tx_t *t, int csn, uint64_t *cookie)
{
    link_tx_slot_t *s;
    uint32_t        off = 0;
    int             rc = link__tx_find(t, csn, &off);

    if (rc != 0)
        return rc;
    s = link__slot(t, off);
    if (s->state == LINK__ABORT)
        return SIM_EPARSE;
    if (s->state != LINK__SENT)
        return LINK_TX_STALE;
    s->state = LINK__ACKED;
    *cookie = s->cookie;
    /* The peer received csn, so (frames being in order) every ABORT sent
     * before it too. */
    link__tx_settle_aborts(t, off);
    link__tx_pop(t);
    return 0;
}

static int link__tx_unsend(link_tx_t *t, int csn, uint64_t *cookie, uint8_t state)
{
    link_tx_slot_t *s;
    uint32_t        off = 0;
    int             rc = link__tx_find(t, csn, &off);

    if (rc != 0)
        return rc;
    s = link__slot(t, off);
    if (s->state != LINK__SENT)
        return LINK_TX_STALE;
    s->state = state;
    *cookie = s->cookie;
    if (state == LINK__ABORT)
        t->aborts++;
    link__tx_pop(t);
    return 0;
}

int link_tx_abort(link_tx_t *t, int csn, uint64_t *cookie)
{
    return link__tx_unsend(t, csn, cookie, LINK__ABORT);
}

int link_tx_release(link_tx_t *t, int csn, uint64_t *cookie)
{
    return link__tx_unsend(t, csn, cookie, LINK__DONE);
}

uint32_t link_tx_resume(link_tx_t *t, int peer_rx)
{
    uint32_t n = 0;

    if (peer_rx >= 0 && peer_rx < LINK_CSN_MOD) {
        if (t->count == 0) {
            /* Nothing in flight: continue where the peer stands. */
            t->head_csn = t->next_csn = link_csn_add(peer_rx, 1);
        } else {
            uint32_t d = (uint32_t)link_csn_dist(t->head_csn, peer_rx);
            if (d < t->count) {
                link__tx_settle_aborts(t, d + 1);
                link__tx_pop(t);
            }
        }
    }
    for (uint32_t i = 0; i < t->count; i++) {
        uint8_t st = link__slot(t, i)->state;
        n += st == LINK__SENT || st == LINK__ABORT;
    }
    return n;
}

bool link_tx_resend_next(const link_tx_t *t, uint32_t *it, link_tx_item_t *item)
{
    while (*it < t->count) {
        uint32_t        i = (*it)++;
        link_tx_slot_t *s = link__slot(t, i);
        if (s->state == LINK__SENT || s->state == LINK__ABORT) {
            item->csn = link_csn_add(t->head_csn, (int)i);
            item->abort = s->state == LINK__ABORT;
            item->cookie = item->abort ? 0 : s->cookie;
            return true;
        }
    }
    return false;
}

/* --- receiving side ----------------------------------------------------- */

void link_rx_init(link_rx_t *r, int last)
{
    memset(r, 0, sizeof(*r));
    r->last = last >= 0 && last < LINK_CSN_MOD ? last : -1;
}

int link_rx_last(const link_rx_t *r)
{
    return r->last;
}

int link_rx_check(link_rx_t *r, int csn, link_rx_info_t *info)
{
    link_rx_info_t tmp;
    int            d, verdict;

    if (!info)
        info = &tmp;
    info->from = info->to = -1;
    info->missing = 0;
    info->wrapped = false;
    if (csn < 0 || csn >= LINK_CSN_MOD)
        return SIM_EPARSE;
    r->frames++;
    if (r->last < 0) {
        r->last = csn;
        return LINK_RX_FIRST;
    }
    d = link_csn_dist(r->last, csn);
    if (d == 0 || d > LINK_CSN_MOD / 2) {
        /* At or behind the last number: seen before. */
        info->missing = (uint32_t)(d == 0 ? 0 : LINK_CSN_MOD - d);
        r->repeats++;
        return LINK_RX_REPEAT;
    }
    verdict = LINK_RX_NEXT;
    if (d > 1) {
        verdict = LINK_RX_GAP;
        info->from = link_csn_add(r->last, 1);
        info->to = link_csn_add(csn, -1);
        info->missing = (uint32_t)(d - 1);
        r->gaps++;
        r->missing += (uint64_t)(d - 1);
    }
    if (csn < r->last) {
        info->wrapped = true;
        r->wraps++;
    }
    r->last = csn;
    return verdict;
}

/* --- duplicate suppression ------------------------------------------------ */

#define LINK__NONE UINT32_MAX
#define LINK__DEDUP_MAX (1u << 24)

/* A key of up to LINK__DD_INLINE bytes (every key of a cable's identity and
 * an RI or a short address) lives in its entry: one cache line to compare,
 * no allocation per key. A longer one is allocated and its pointer kept. */
#define LINK__DD_INLINE 60u

typedef struct link__dd_entry {
    uint64_t hash;
    uint32_t key_len;
    uint32_t prev;  /* towards the most recently used */
    uint32_t next;  /* towards the least recently used */
    union {
        char  in[LINK__DD_INLINE];
        char *out; /* owned, when key_len > LINK__DD_INLINE */
    } key;
} link__dd_entry_t;

/* Entries and buckets start small and double as keys come, up to the
 * capacity: a station's table costs what it holds, not what it may hold
 * (one host runs thousands of stations). */
#define LINK__DEDUP_START 64u

struct link_dedup {
    link__dd_entry_t *e;
    uint64_t         *slot;  /* 0 free, else hash low 32 bits << 32 | entry + 1 */
    uint32_t          nslot; /* a power of two >= 2 * ecap */
    uint32_t          ecap;    /* entries allocated, <= cap */
    uint32_t          cap;
    uint32_t          n;
    uint32_t          mru, lru;
};

static const char *link__dd_key_of(const link__dd_entry_t *e)
{
    return e->key_len > LINK__DD_INLINE ? e->key.out : e->key.in;
}

void link_dupkey_of(link_dupkey_t *k, const cable_t *c, sim_span_t addressee)
{
    k->origin_ri = c->origin_ri;
    k->serial = cable_serial(c);
    k->section = c->section ? c->section : 1;
    k->dtg = c->dtg.valid ? cable_dtg_epoch(&c->dtg) : INT64_MIN;
    k->addressee = addressee;
    k->corrected = c->corrected_copy;
}

link_dedup_t *link_dedup_new(uint32_t capacity)
{
    link_dedup_t *d = sim_xcalloc(1, sizeof(*d));

    if (capacity == 0)
        capacity = 1;
    if (capacity > LINK__DEDUP_MAX)
        capacity = LINK__DEDUP_MAX;
    d->cap = capacity;
    d->ecap = SIM_MIN(capacity, LINK__DEDUP_START);
    d->nslot = 1;
    while (d->nslot < 2 * d->ecap)
        d->nslot <<= 1;
    d->e = sim_xcalloc(d->ecap, sizeof(*d->e));
    d->slot = sim_xcalloc(d->nslot, sizeof(*d->slot));
    d->mru = d->lru = LINK__NONE;
    return d;
}

void link_dedup_free(link_dedup_t *d)
{
    if (!d)
        return;
    for (uint32_t i = 0; i < d->n; i++)
        if (d->e[i].key_len > LINK__DD_INLINE)
            free(d->e[i].key.out);
    free(d->e);
    free(d->slot);
    free(d);
}

uint32_t link_dedup_count(const link_dedup_t *d)
{
    return d->n;
}

/* The key as bytes: every field with its length, so that no two keys share
 * a serialization (the RI's length in one byte below 255, else 255 and four
 * bytes). Returns the length; writes at most 'size' bytes. */
static size_t link__dd_ser(const link_dupkey_t *k, char *buf, size_t size)
{
    uint32_t ri = k->origin_ri.len;
    size_t   rl = ri < 255 ? 1 : 5;
    size_t   need = rl + ri + 4 + 2 + 8 + 1 + k->addressee.len, o = 0;
    uint32_t serial = (uint32_t)k->serial;
    uint64_t dtg = (uint64_t)k->dtg;

    if (need > size)
        return need;
    if (ri < 255) {
        buf[o++] = (char)ri;
    } else {
        buf[o++] = (char)255;
        memcpy(buf + o, &ri, 4);
        o += 4;
    }
    if (ri)
        memcpy(buf + o, k->origin_ri.p, ri);
    o += ri;
    memcpy(buf + o, &serial, 4);
    o += 4;
    memcpy(buf + o, &k->section, 2);
    o += 2;
    memcpy(buf + o, &dtg, 8);
    o += 8;
    buf[o++] = k->corrected ? 1 : 0;
    if (k->addressee.len)
        memcpy(buf + o, k->addressee.p, k->addressee.len);
    return need;
}

/* Eight bytes at a step (multiply, fold), then a 64-bit finaliser so that
 * the low bits pick slots well. */
static uint64_t link__dd_hash(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, p, n);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static uint64_t link__dd_slot(uint64_t h, uint32_t i)
{
    return (h & 0xffffffffu) << 32 | (i + 1u);
}

static uint32_t link__dd_find(const link_dedup_t *d, uint64_t h, const char *key, size_t len)
{
    uint32_t mask = d->nslot - 1, tag = (uint32_t)h;
    for (uint32_t j = tag & mask; d->slot[j]; j = (j + 1) & mask) {
        const link__dd_entry_t *e;
        if ((uint32_t)(d->slot[j] >> 32) != tag)
            continue;
        e = &d->e[(uint32_t)d->slot[j] - 1];
        if (e->hash == h && e->key_len == len && memcmp(link__dd_key_of(e), key, len) == 0)
            return (uint32_t)d->slot[j] - 1;
    }
    return LINK__NONE;
}

/* Puts entry i (its hash set) in the first free slot of its probe. */
static void link__dd_place(link_dedup_t *d, uint32_t i)
{
    uint32_t mask = d->nslot - 1, j;
    for (j = (uint32_t)d->e[i].hash & mask; d->slot[j]; j = (j + 1) & mask)
        ;
    d->slot[j] = link__dd_slot(d->e[i].hash, i);
}

static void link__dd_unlist(link_dedup_t *d, uint32_t i)
{
    link__dd_entry_t *e = &d->e[i];
    if (e->prev != LINK__NONE)
        d->e[e->prev].next = e->next;
    else
        d->mru = e->next;
    if (e->next != LINK__NONE)
        d->e[e->next].prev = e->prev;
    else
        d->lru = e->prev;
    e->prev = e->next = LINK__NONE;
}

static void link__dd_front(link_dedup_t *d, uint32_t i)
{
    link__dd_entry_t *e = &d->e[i];
    e->prev = LINK__NONE;
    e->next = d->mru;
    if (d->mru != LINK__NONE)
        d->e[d->mru].prev = i;
    d->mru = i;
    if (d->lru == LINK__NONE)
        d->lru = i;
}

/* Room for one more entry: double the entries (and the slots, rebuilt)
 * while under the capacity. */
static void link__dd_grow(link_dedup_t *d)
{
    uint32_t ecap = d->ecap > d->cap / 2 ? d->cap : d->ecap * 2;
    d->e = sim_xrealloc(d->e, (size_t)ecap * sizeof(*d->e));
    memset(d->e + d->ecap, 0, (size_t)(ecap - d->ecap) * sizeof(*d->e));
    d->ecap = ecap;
    if (d->nslot >= 2 * ecap)
        return;
    while (d->nslot < 2 * ecap)
        d->nslot <<= 1;
    free(d->slot);
    d->slot = sim_xcalloc(d->nslot, sizeof(*d->slot));
    for (uint32_t i = 0; i < d->n; i++)
        link__dd_place(d, i);
}

/* Takes entry i out of the slots; the entries after it in its probe run
 * move back so that every probe still reaches its entry. */
static void link__dd_unslot(link_dedup_t *d, uint32_t i)
{
    uint32_t mask = d->nslot - 1, hole, k;
    for (hole = (uint32_t)d->e[i].hash & mask; (uint32_t)d->slot[hole] != i + 1;
         hole = (hole + 1) & mask)
        if (!d->slot[hole])
            sim_panic("%s: entry %u missing from its slots", __func__, i);
    for (k = (hole + 1) & mask; d->slot[k]; k = (k + 1) & mask) {
        uint32_t home = (uint32_t)(d->slot[k] >> 32) & mask;
        /* The entry at k stays when its home is cyclically in (hole, k]. */
        bool stays = hole < k ? home > hole && home <= k : home > hole || home <= k;
        if (!stays) {
            d->slot[hole] = d->slot[k];
            hole = k;
        }
    }
    d->slot[hole] = 0;
}

/* The serialized key of k in 'small', or in owned memory when it does not
 * fit (the caller frees *key when it is not 'small'), and its hash. */
static void link__dd_key(const link_dupkey_t *k, char **key, size_t *len, uint64_t *h, char *small,
                         size_t small_size)
{
    size_t n = link__dd_ser(k, small, small_size);
    *key = small;
    if (n > small_size) {
        *key = sim_xmalloc(n);
        link__dd_ser(k, *key, n);
    }
    *len = n;
    *h = link__dd_hash(*key, n);
}

bool link_dedup_contains(const link_dedup_t *d, const link_dupkey_t *k)
{
    char     small[256], *key;
    size_t   len;
    uint64_t h;
    uint32_t i;

    link__dd_key(k, &key, &len, &h, small, sizeof(small));
    i = link__dd_find(d, h, key, len);
    if (key != small)
        free(key);
    return i != LINK__NONE;
}

static void link__dd_insert(link_dedup_t *d, char *key, size_t len, uint64_t h, const char *small);

int link_dedup_check(link_dedup_t *d, const link_dupkey_t *k)
{
    char              small[256], *key;
    size_t            len;
    uint64_t          h;
    uint32_t          i;

    link__dd_key(k, &key, &len, &h, small, sizeof(small));
    i = link__dd_find(d, h, key, len);
    if (i != LINK__NONE) {
        if (key != small)
            free(key);
        link__dd_unlist(d, i);
        link__dd_front(d, i);
        return 1;
    }
    link__dd_insert(d, key, len, h, small);
    return 0;
}

void link_dedup_add(link_dedup_t *d, const link_dupkey_t *k)
{
    char     small[256], *key;
    size_t   len;
    uint64_t h;
    link__dd_key(k, &key, &len, &h, small, sizeof(small));
    link__dd_insert(d, key, len, h, small);
}

/* Inserts a key known to be absent ('key' is 'small' or owned). */
static void link__dd_insert(link_dedup_t *d, char *key, size_t len, uint64_t h, const char *small)
{
    uint32_t          i;
    link__dd_entry_t *e;
    if (d->n == d->ecap && d->ecap < d->cap)
        link__dd_grow(d);
    if (d->n < d->ecap) {
        i = d->n++;
    } else {
        /* Full: forget the least recently used key and reuse its entry. */
        i = d->lru;
        link__dd_unlist(d, i);
        link__dd_unslot(d, i);
        if (d->e[i].key_len > LINK__DD_INLINE)
            free(d->e[i].key.out);
    }
    e = &d->e[i];
    if (len <= LINK__DD_INLINE) {
        memcpy(e->key.in, key, len);
        if (key != small)
            free(key);
    } else if (key == small) {
        e->key.out = sim_xmalloc(len);
        memcpy(e->key.out, small, len);
    } else {
        e->key.out = key;
    }
    e->key_len = (uint32_t)len;
    e->hash = h;
    link__dd_place(d, i);
    link__dd_front(d, i);
}
