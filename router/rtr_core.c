/*
 * rtr_core.c - the router core (see rtr_core.h): custody of cables through
 * the journal, routing-line segregation into one copy per outgoing link,
 * per-link precedence queues and transmitters, channel accounting, service
 * messages and the delivery log. No event loop, no sockets: the connection
 * layer feeds it frames and durability, and it answers through rtr_core_io_t.
 *
 * Journal records (router/JOURNAL.md gives the framing):
 *   ACCEPT    {id, prec, links: [port names], c: cable bytes as received,
 *              src: port name, csn, at: sim-time, copies: [{p, fl2: [RI]}]}
 *   DELIVERED {ref: ACCEPT id, link: port name}
 * Memory per cable in custody: its queue entries (bytes only while the
 * link's RAM budget allows) and one pending-map entry; a spilled copy is
 * rebuilt from its ACCEPT record when its turn comes.
 */
#include "rtr_core.h"
#include "cable_msgpack.h"
#include "rtr_sync.h"

#include <stdio.h>
#include <stdlib.h>

#define CORE_ID_MAX 48
/* Identities remembered for custody: what senders may still send again is
 * what they have not had acknowledged, at most their windows; generous. */
#define CORE_DEDUP (1u << 16)
#define CORE_GARBLED_MAX 8

/* --- pending map: ACCEPT id -> copies still owed, identity ------------- */

typedef struct pend {
    rtr_jid_t rec;      /* 0: empty slot */
    uint32_t  remaining; /* copies still owed */
    uint32_t  prec;
} pend_t;

typedef struct pend_map {
    pend_t  *v;
    uint32_t cap, n; /* cap is a power of two */
} pend_map_t;

static uint32_t pend_hash(rtr_jid_t k, uint32_t mask)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return (uint32_t)k & mask;
}

static pend_t *pend_find(pend_map_t *m, rtr_jid_t rec)
{
    uint32_t i;
    if (!m->cap)
        return NULL;
    for (i = pend_hash(rec, m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->v[i].rec == rec)
            return &m->v[i];
        if (m->v[i].rec == 0)
            return NULL;
    }
}

static pend_t *pend_add(pend_map_t *m, rtr_jid_t rec)
{
    uint32_t i;
    if ((m->n + 1) * 4 > m->cap * 3) {
        pend_map_t g = {sim_xcalloc(m->cap ? m->cap * 2 : 1024, sizeof(pend_t)),
                        m->cap ? m->cap * 2 : 1024, 0};
        for (uint32_t k = 0; k < m->cap; k++)
            if (m->v[k].rec)
                *pend_add(&g, m->v[k].rec) = m->v[k];
        free(m->v);
        *m = g;
    }
    for (i = pend_hash(rec, m->cap - 1); m->v[i].rec; i = (i + 1) & (m->cap - 1))
        if (m->v[i].rec == rec)
            return &m->v[i];
    m->v[i].rec = rec;
    m->n++;
    return &m->v[i];
}

/* Backward-shift deletion keeps probe chains whole without tombstones. */
static void pend_del(pend_map_t *m, pend_t *e)
{
    uint32_t i = (uint32_t)(e - m->v), j = i;
    m->v[i].rec = 0;
    m->n--;
    for (;;) {
        uint32_t h;
        j = (j + 1) & (m->cap - 1);
        if (!m->v[j].rec)
            return;
        h = pend_hash(m->v[j].rec, m->cap - 1);
        if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
            m->v[i] = m->v[j];
            m->v[j].rec = 0;
            i = j;
        }
    }
}

/* --- cables waiting for their ACCEPT to be durable ----------------------- */

typedef struct await {
    rtr_jid_t   rec;  /* ack once durable up to here */
    uint32_t    port; /* where it came from */
    int32_t     csn;  /* its csn there, -1: nothing to acknowledge */
    uint32_t    n;    /* copies to queue */
    rtr_qent_t *copies;
    uint32_t   *hops;
    sim_time_t  at;   /* sim-time it was accepted */
} await_t;

/* Copies waiting for the router's simulated processing time. */
typedef struct delayed {
    sim_event_t ev;
    rtr_core_t *core;
    uint32_t    n;
    rtr_qent_t *copies;
    uint32_t   *hops;
    struct delayed *next, *prev;
} delayed_t;

struct rtr_core {
    const net_network_t *net;
    uint32_t             router;
    const char          *name;
    rtr_journal_t       *journal;
    rtr_dlog_t          *dlog;
    sim_sched_t         *sched;
    bool                 no_link_model;
    bool                 virtual_time;
    rtr_core_io_t        io;
    rtr_table_t          table;
    rtr_plan_t           plan;
    rtr_port_t          *ports;
    uint32_t             n_ports;
    link_dedup_t        *dedup;
    pend_map_t           pending;
    await_t             *await;
    size_t               await_head, await_n, await_cap;
    rtr_jid_t            last_appended;
    rtr_port_t          *ack_ports; /* ports with an ACK run being built */
    sim_time_t           processing; /* simulated time to journal and route */
    delayed_t           *delayed;    /* copies not yet queued (processing) */
    cable_t              cable; /* scratch */
    msgpack_sbuffer      sb;    /* scratch: payloads and frames */
    char                *rbuf;  /* scratch: journal reads */
    size_t               rcap;
    rtr_core_stats_t     st;
};

/* --- small helpers -------------------------------------------------------- */

static void dlog(rtr_core_t *c, rtr_dlog_event_t ev, const char *id, cable_prec_t prec,
                 const char *link, int32_t csn, const char *addressee, const char *detail)
{
    rtr_dlog_rec_t r;
    if (!c->dlog)
        return;
    memset(&r, 0, sizeof(r));
    r.sim_time = c->sched->now;
    r.wall_time = sim_wall_us();
    r.event = ev;
    r.party = c->name;
    r.id = id;
    r.precedence = prec;
    r.link = link;
    r.csn = csn;
    r.addressee = addressee;
    r.detail = detail;
    rtr_dlog_write(c->dlog, &r);
}

static void send_frame(rtr_core_t *c, rtr_port_t *p, const link_frame_t *f)
{
    link_frame_t stamped;
    if (c->virtual_time && !f->has_at) {
        /* In virtual time every frame takes effect at a sim-time. */
        stamped = *f;
        stamped.has_at = true;
        stamped.at = c->sched->now + p->tx.latency;
        f = &stamped;
    }
    if (c->io.send_frame && p->conn) {
        c->io.send_frame(c->io.ud, p, f);
        return;
    }
    msgpack_sbuffer_clear(&c->sb);
    if (link_frame_encode(f, &c->sb) != 0)
        sim_panic("%s: cannot encode a %s frame", __func__, link_type_name(f->type));
    if (p->conn)
        c->io.send(c->io.ud, p, c->sb.data, c->sb.size);
}

static void send_svc(rtr_core_t *c, rtr_port_t *p, link_svc_code_t code, const char *text,
                     int32_t from, int32_t to, const char *id)
{
    link_frame_t f;
    link_frame_init(&f, LINK_T_SVC);
    f.svc.code = code;
    f.svc.text = sim_span_str(text);
    f.svc.from = from;
    f.svc.to = to;
    if (id)
        f.svc.id = sim_span_str(id);
    send_frame(c, p, &f);
    dlog(c, RTR_DLOG_SERVICE, id, CABLE_PREC_NONE, p->name, from, NULL, text);
}

/* The cable's identity text; the origin RI of a cable without DE comes from
 * the directory entry of its FM address. */
static void identity(const rtr_core_t *c, const cable_t *cb, char id[CORE_ID_MAX], sim_span_t *ri)
{
    *ri = cb->origin_ri;
    if (!ri->len && cb->from.len) {
        int32_t s = net_station_by_pla(c->net, cb->from.p, cb->from.len);
        if (s >= 0)
            *ri = sim_span_str(c->net->stations[s].ri);
    }
    {
        cable_t tmp = *cb;
        tmp.origin_ri = *ri;
        cable_id(&tmp, id, CORE_ID_MAX);
    }
}

static rtr_port_t *port_of_hop(rtr_core_t *c, uint32_t hop)
{
    return hop < c->n_ports ? &c->ports[hop] : NULL;
}

/* --- ACCEPT payloads ---------------------------------------------------- */

static void pk_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void pk_key(msgpack_packer *pk, const char *k)
{
    pk_str(pk, k, strlen(k));
}

/* Packs the ACCEPT of the cable in c->cable (bytes as received in 'raw'),
 * planned in c->plan, into c->sb. */
/* The ACCEPT record of the cable in c->plan, in c->sb but for the cable's
 * bytes (raw_len of them), which go between c->sb.data[0..*head) and the
 * rest: rtr_journal_appendv copies them once, into the journal's batch. */
static void pack_accept(rtr_core_t *c, const char *id, size_t raw_len, const rtr_port_t *src,
                        int32_t csn, size_t *head)
{
    msgpack_packer pk;
    const rtr_plan_t *pl = &c->plan;
    char           prec[2] = {cable_prec_letter(pl->prec), 0};
    msgpack_sbuffer_clear(&c->sb);
    msgpack_packer_init(&pk, &c->sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 8);
    pk_key(&pk, RTR_JKEY_ID);
    pk_str(&pk, id, strlen(id));
    pk_key(&pk, RTR_JKEY_PREC);
    pk_str(&pk, prec, 1);
    pk_key(&pk, RTR_JKEY_LINKS);
    msgpack_pack_array(&pk, pl->n_copies);
    for (uint32_t i = 0; i < pl->n_copies; i++) {
        const char *n = c->ports[pl->copies[i].hop].name;
        pk_str(&pk, n, strlen(n));
    }
    pk_key(&pk, "c");
    msgpack_pack_bin(&pk, raw_len);
    *head = c->sb.size; /* the bytes of the bin go here */
    pk_key(&pk, "src");
    pk_str(&pk, src->name, strlen(src->name));
    pk_key(&pk, "csn");
    msgpack_pack_int32(&pk, csn);
    pk_key(&pk, "at");
    msgpack_pack_int64(&pk, c->sched->now);
    pk_key(&pk, "copies");
    msgpack_pack_array(&pk, pl->n_copies);
    for (uint32_t i = 0; i < pl->n_copies; i++) {
        const rtr_copy_t *cp = &pl->copies[i];
        msgpack_pack_map(&pk, cp->niact ? 3 : 2);
        pk_key(&pk, "p");
        msgpack_pack_uint8(&pk, (uint8_t)cp->prec);
        if (cp->niact) {
            pk_key(&pk, "n");
            msgpack_pack_true(&pk);
        }
        pk_key(&pk, "fl2");
        msgpack_pack_array(&pk, cp->n);
        for (uint32_t k = 0; k < cp->n; k++)
            pk_str(&pk, pl->fl2[cp->first + k].p, pl->fl2[cp->first + k].len);
    }
}

/* What an ACCEPT holds, as spans into its payload. */
typedef struct accept_view {
    sim_span_t             id;
    cable_prec_t           prec;
    const msgpack_object  *links;  /* array of str */
    const msgpack_object  *copies; /* array of {p, fl2} */
    sim_span_t             raw;    /* the cable bytes */
} accept_view_t;

static sim_span_t obj_span(const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_STR)
        return sim_span(o->via.str.ptr, o->via.str.size);
    if (o->type == MSGPACK_OBJECT_BIN)
        return sim_span(o->via.bin.ptr, o->via.bin.size);
    return SIM_SPAN_NULL;
}

static int view_accept(const msgpack_object *o, accept_view_t *v)
{
    memset(v, 0, sizeof(*v));
    if (o->type != MSGPACK_OBJECT_MAP)
        return SIM_ETYPE;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        sim_span_t            k = obj_span(&o->via.map.ptr[i].key);
        const msgpack_object *val = &o->via.map.ptr[i].val;
        if (sim_span_eq_str(k, RTR_JKEY_ID))
            v->id = obj_span(val);
        else if (sim_span_eq_str(k, RTR_JKEY_PREC) && val->type == MSGPACK_OBJECT_STR &&
                 val->via.str.size == 1)
            v->prec = cable_prec_from_letter((unsigned char)val->via.str.ptr[0]);
        else if (sim_span_eq_str(k, RTR_JKEY_LINKS) && val->type == MSGPACK_OBJECT_ARRAY)
            v->links = val;
        else if (sim_span_eq_str(k, "copies") && val->type == MSGPACK_OBJECT_ARRAY)
            v->copies = val;
        else if (sim_span_eq_str(k, "c") && val->type == MSGPACK_OBJECT_BIN)
            v->raw = obj_span(val);
    }
    if (!v->id.len || !v->links || !v->copies || !v->raw.p ||
        v->links->via.array.size != v->copies->via.array.size)
        return SIM_EPARSE;
    return 0;
}

/* The copy 'k' of an ACCEPT: its precedence and FL2. */
static int view_copy(const accept_view_t *v, uint32_t k, cable_prec_t *prec, bool *niact,
                     const msgpack_object **fl2)
{
    const msgpack_object *o = &v->copies->via.array.ptr[k];
    *prec = CABLE_PREC_NONE;
    *niact = false;
    *fl2 = NULL;
    if (o->type != MSGPACK_OBJECT_MAP)
        return SIM_ETYPE;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        sim_span_t            key = obj_span(&o->via.map.ptr[i].key);
        const msgpack_object *val = &o->via.map.ptr[i].val;
        if (sim_span_eq_str(key, "p") && val->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
            val->via.u64 <= CABLE_PREC_Y)
            *prec = val->via.u64 ? (cable_prec_t)val->via.u64 : CABLE_PREC_R;
        else if (sim_span_eq_str(key, "fl2") && val->type == MSGPACK_OBJECT_ARRAY)
            *fl2 = val;
        else if (sim_span_eq_str(key, "n") && val->type == MSGPACK_OBJECT_BOOLEAN)
            *niact = val->via.boolean;
    }
    return *fl2 && *prec != CABLE_PREC_NONE ? 0 : SIM_EPARSE;
}

/* One copy (routing-line segregation): the cable's bytes as received,
 * forwarded unchanged, followed by the copy's format line 2 as "RI RI ...",
 * which goes on the wire in the CABLE frame's "ids". The cable (decoded in
 * c->cable) gives the length of the copy's canonical text, which is what a
 * simulated link transmits. Fills e->data, bytes, raw and tx_bytes. */
static void copy_make(rtr_core_t *c, rtr_qent_t *e, const char *raw, size_t raw_len,
                      const sim_span_t *ris, uint32_t n, const char *id)
{
    cable_span_list_t saved = c->cable.routing_indicators;
    size_t            ids = n ? n - 1 : 0, o, idl = id ? strlen(id) : 0; /* the spaces */
    for (uint32_t i = 0; i < n; i++)
        ids += ris[i].len;
    e->data = sim_buf_alloc(raw_len + ids + idl + 1); /* bytes + 1: sim_buf_free_n's size */
    memcpy(e->data, raw, raw_len);
    o = raw_len;
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            e->data[o++] = ' ';
        memcpy(e->data + o, ris[i].p, ris[i].len);
        o += ris[i].len;
    }
    e->raw = (uint32_t)raw_len;
    e->ids_len = (uint32_t)(o - raw_len);
    memcpy(e->data + o, id ? id : "", idl); /* the identity, for the log */
    o += idl;
    e->data[o] = '\0';
    e->bytes = (uint32_t)o;
    e->tx_bytes = 0;
    if (c->no_link_model)
        return; /* no link transmits anything: its length is not needed (emitting
                   the text to count it was an eighth of the router's time) */
    c->cable.routing_indicators.v = (sim_span_t *)ris;
    c->cable.routing_indicators.n = n;
    c->cable.routing_indicators.cap = n;
    e->tx_bytes = (uint32_t)cable_emit_len(&c->cable);
    c->cable.routing_indicators = saved;
}

/* The identity of a copy whose bytes are loaded (NULL otherwise). */
static const char *entry_id(const rtr_qent_t *e)
{
    if (!e->data || !e->raw)
        return NULL;
    return e->data + e->raw + e->ids_len;
}

/* The copy's FL2 (after its cable bytes) as spans, for the frame's "ids". */
static uint32_t copy_ids(const rtr_qent_t *e, sim_span_t *ids, uint32_t max)
{
    const char *p = e->data + e->raw, *end = e->data + e->raw + e->ids_len;
    uint32_t    n = 0;
    while (p < end && n < max) {
        const char *q = memchr(p, ' ', (size_t)(end - p));
        if (!q)
            q = end;
        ids[n++] = sim_span(p, (size_t)(q - p));
        p = q + 1;
    }
    return n;
}

/* Rebuilds the bytes of a spilled copy (entry e on port p) from its ACCEPT. */
static int load_copy(rtr_core_t *c, rtr_port_t *p, rtr_qent_t *e)
{
    size_t           len = 0;
    int              rc;
    msgpack_zone     zone;
    msgpack_object   obj;
    accept_view_t    v;
    const msgpack_object *fl2;
    cable_prec_t     prec;
    bool             niact;
    const char      *err = NULL;
    sim_span_t      *ris;

    for (;;) {
        rc = rtr_journal_read(c->journal, e->rec, c->rbuf, c->rcap, &len);
        if (rc != SIM_ETOOBIG)
            break;
        c->rcap = len * 2;
        c->rbuf = sim_xrealloc(c->rbuf, c->rcap);
    }
    if (rc < 0)
        return rc;
    msgpack_zone_init(&zone, 4096);
    if (msgpack_unpack(c->rbuf, len, NULL, &zone, &obj) != MSGPACK_UNPACK_SUCCESS ||
        view_accept(&obj, &v) < 0 || e->tag >= v.copies->via.array.size ||
        view_copy(&v, e->tag, &prec, &niact, &fl2) < 0 ||
        cable_msgpack_decode_view(&c->cable, v.raw.p, v.raw.len, &err) < 0) {
        msgpack_zone_destroy(&zone);
        return SIM_EPARSE;
    }
    e->niact = niact;
    e->ccy = c->cable.corrected_copy;
    ris = sim_xmalloc((fl2->via.array.size + 1) * sizeof(*ris));
    for (uint32_t i = 0; i < fl2->via.array.size; i++)
        ris[i] = obj_span(&fl2->via.array.ptr[i]);
    {
        char id[CORE_ID_MAX];
        snprintf(id, sizeof(id), "%.*s", (int)SIM_MIN(v.id.len, CORE_ID_MAX - 1u), v.id.p);
        copy_make(c, e, v.raw.p, v.raw.len, ris, fl2->via.array.size, id);
    }
    free(ris);
    msgpack_zone_destroy(&zone);
    (void)p;
    return 0;
}

/* --- transmitter callbacks --------------------------------------------- */

static rtr_port_t *port_of_tx(rtr_txlink_t *l)
{
    return SIM_CONTAINER_OF(l, rtr_port_t, tx);
}


static void wake_cb(sim_event_t *ev, sim_time_t now)
{
    rtr_port_t *p = SIM_CONTAINER_OF(ev, rtr_port_t, wake);
    rtr_core_t *c = p->core;
    char        text[64];
    if (p->held) {
        snprintf(text, sizeof(text), "station open: %llu held copies released",
                 (unsigned long long)p->held);
        dlog(c, RTR_DLOG_RELEASED, NULL, CABLE_PREC_NONE, p->name, -1, p->peer, text);
        p->held = 0;
    }
    rtr_txlink_kick(&p->tx, now);
}

/* The end of the closed window of a station at 'now' (sim-time), or 0
 * when it is open. */
static sim_time_t closed_until(const rtr_core_t *c, const rtr_port_t *p, sim_time_t now)
{
    const net_station_t *st;
    int64_t              sec = now / SIM_USEC_PER_SEC;
    if (p->hop.kind != RTR_HOP_LOCAL)
        return 0;
    st = &c->net->stations[p->hop.station];
    for (uint32_t i = 0; i < st->n_closed; i++)
        if (sec >= st->closed[i].from && sec < st->closed[i].to)
            return st->closed[i].to * SIM_USEC_PER_SEC;
    return 0;
}

static bool head_niact(const rtr_queue_t *q)
{
    const rtr_qent_t *e = rtr_queue_head(q);
    return e && e->niact;
}

static bool tx_can_start(rtr_txlink_t *l)
{
    rtr_port_t *p = port_of_tx(l);
    rtr_core_t *c = p->core;
    if (!p->conn || p->full || link_tx_full(&p->chan_tx))
        return false;
    if (p->hop.kind == RTR_HOP_LOCAL && c->net->stations[p->hop.station].n_closed &&
        rtr_queue_top(&l->q) < CABLE_PREC_Z && !head_niact(&l->q)) {
        /* A closed station (intercept): only FLASH, EMERGENCY COMMAND and
         * NIACT go through (the alert roster is called at any hour); the
         * rest is held until it opens. */
        sim_time_t until = closed_until(c, p, c->sched->now);
        if (until) {
            if (!sim_event_pending(&p->wake) || p->wake.at != until) {
                sim_event_key(&p->wake, SIM_EV_TIMER, 0, p->name, strlen(p->name), 0, 0, p->idx);
                sim_sched_add(c->sched, &p->wake, until, wake_cb);
            }
            return false;
        }
    }
    return true;
}

static int tx_start(rtr_txlink_t *l, rtr_qent_t *e, sim_time_t now)
{
    rtr_port_t *p = port_of_tx(l);
    rtr_core_t *c = p->core;
    int         csn;
    (void)now;
    if (!e->data && load_copy(c, p, e) < 0) {
        /* The journal no longer gives this copy back: it cannot be sent. Its
         * custody stays in the journal; say so loudly in the log. */
        dlog(c, RTR_DLOG_UNDELIVERABLE, entry_id(e), (cable_prec_t)e->prec, p->name, -1,
             p->peer, "copy unreadable from the journal");
        return -1;
    }
    if (link_tx_send(&p->chan_tx, e->rec, &csn) < 0)
        sim_panic("%s: channel window full although can_start said no", __func__);
    e->csn = csn;
    dlog(c, RTR_DLOG_TX_START, entry_id(e), (cable_prec_t)e->prec, p->name, csn, NULL,
         NULL);
    return 0;
}

static void tx_preempted(rtr_txlink_t *l, rtr_qent_t *e, sim_time_t now)
{
    rtr_port_t  *p = port_of_tx(l);
    rtr_core_t  *c = p->core;
    uint64_t     cookie;
    link_frame_t f;
    (void)now;
    link_tx_abort(&p->chan_tx, e->csn, &cookie);
    link_frame_init(&f, LINK_T_ABORT);
    f.csn = e->csn;
    f.has_at = true;
    f.at = c->sched->now + l->latency;
    send_frame(c, p, &f);
    c->st.preempted++;
    dlog(c, RTR_DLOG_PREEMPTED, entry_id(e), (cable_prec_t)e->prec, p->name, e->csn, NULL,
         NULL);
}

static void write_cable(rtr_core_t *c, rtr_port_t *p, const rtr_qent_t *e, sim_time_t arrival,
                        bool repeat)
{
    link_frame_t f;
    const char  *id = entry_id(e);
    sim_span_t   ids[512];
    link_frame_init(&f, LINK_T_CABLE);
    f.csn = e->csn;
    f.has_at = true;
    f.at = arrival;
    f.cable.c = sim_span(e->data, e->raw ? e->raw : e->bytes);
    if (e->raw) {
        f.cable.n_ids = copy_ids(e, ids, 512);
        f.cable.ids = ids;
    }
    f.cable.prec = e->prec;
    f.cable.rpt = repeat;
    f.cable.ccy = e->ccy;
    if (id)
        f.cable.id = sim_span_str(id);
    send_frame(c, p, &f);
}

static void tx_done(rtr_txlink_t *l, rtr_qent_t *e, sim_time_t end, sim_time_t arrival)
{
    rtr_port_t *p = port_of_tx(l);
    rtr_core_t *c = p->core;
    rtr_qent_t *slot = &p->inflight[(uint32_t)e->csn % p->window];
    (void)end;
    sim_buf_free(slot->data); /* a settled number's leftovers */
    *slot = *e;
    write_cable(c, p, slot, arrival, e->tries > 1);
    p->sent++;
    c->st.transmitted++;
    dlog(c, RTR_DLOG_TX_END, entry_id(e), (cable_prec_t)e->prec, p->name, e->csn, NULL,
         NULL);
}

static const rtr_txlink_ops_t tx_ops = {tx_can_start, tx_start, tx_preempted, tx_done};

/* --- custody ----------------------------------------------------------- */

static void copy_done(rtr_core_t *c, rtr_port_t *p, const rtr_qent_t *e, bool delivered)
{
    rtr_jid_t rec = e->rec;
    pend_t *pe = pend_find(&c->pending, rec);
    msgpack_packer pk;
    rtr_jid_t      id;
    msgpack_sbuffer_clear(&c->sb);
    msgpack_packer_init(&pk, &c->sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    pk_key(&pk, RTR_JKEY_REF);
    msgpack_pack_uint64(&pk, rec);
    pk_key(&pk, RTR_JKEY_LINK);
    pk_str(&pk, p->name, strlen(p->name));
    if (rtr_journal_append(c->journal, delivered ? RTR_JREC_DELIVERED : RTR_JREC_DROPPED, rec,
                           c->sb.data, c->sb.size, &id) == 0) {
        c->last_appended = id;
        c->io.want_flush(c->io.ud);
    }
    if (delivered) {
        c->st.delivered_copies++;
        p->delivered++;
        /* A station's acknowledgement means the cable is in its received
         * log: delivered. A router's means custody passed to it. */
        dlog(c, p->hop.kind == RTR_HOP_LOCAL ? RTR_DLOG_DELIVERED : RTR_DLOG_ACKNOWLEDGED,
             entry_id(e), (cable_prec_t)e->prec, p->name, e->csn,
             p->hop.kind == RTR_HOP_LOCAL ? p->peer : NULL, NULL);
    }
    if (pe && --pe->remaining == 0) {
        rtr_journal_release(c->journal, rec);
        pend_del(&c->pending, pe);
    }
}

static void requeue(rtr_core_t *c, rtr_port_t *p, int csn)
{
    rtr_qent_t *slot = &p->inflight[(uint32_t)csn % p->window];
    rtr_qent_t  e = *slot;
    memset(slot, 0, sizeof(*slot));
    e.csn = -1;
    rtr_txlink_requeue(&p->tx, &e, c->sched->now);
}

static void on_ack(rtr_core_t *c, rtr_port_t *p, const link_frame_t *f)
{
    uint32_t n = f->ack.n ? f->ack.n : 1;
    for (uint32_t k = 0; k < n; k++) {
        int      csn = link_csn_add(f->csn, (int)k);
        uint64_t cookie;
        int      rc = link_tx_ack(&p->chan_tx, csn, &cookie);
        if (rc == 0) {
            rtr_qent_t *slot = &p->inflight[(uint32_t)csn % p->window];
            c->st.acknowledged++;
            if (slot->rec != cookie)
                sim_panic("%s: slot of csn %d holds another cable", __func__, csn);
            copy_done(c, p, slot, true);
            sim_buf_free_n(slot->data, (size_t)slot->bytes + 1); /* copy_make's size */
            memset(slot, 0, sizeof(*slot));
        }
    }
    rtr_txlink_kick(&p->tx, c->sched->now); /* the window may have room again */
}

static void on_svc(rtr_core_t *c, rtr_port_t *p, const link_frame_t *f)
{
    char text[160];
    snprintf(text, sizeof(text), "%s: %.*s",
             link_svc_code_name(f->svc.code) ? link_svc_code_name(f->svc.code) : "svc",
             (int)SIM_MIN(f->svc.text.len, 120u), f->svc.text.p ? f->svc.text.p : "");
    dlog(c, RTR_DLOG_SERVICE, NULL, CABLE_PREC_NONE, p->name, f->svc.from, NULL, text);
    if ((f->svc.code == LINK_SVC_GAP || f->svc.code == LINK_SVC_GARBLED ||
         f->svc.code == LINK_SVC_BUSY) &&
        f->svc.from >= 0) {
        int to = f->svc.to >= 0 ? f->svc.to : f->svc.from;
        int n = link_csn_dist(f->svc.from, to) + 1;
        for (int k = 0; k < n && k < (int)p->window; k++) {
            int      csn = link_csn_add(f->svc.from, k);
            uint64_t cookie;
            rtr_qent_t *slot = &p->inflight[(uint32_t)csn % p->window];
            /* Only a transmission that ended (its copy is in the slot) can be
             * repeated; a request for one still in progress is ignored. */
            if (!slot->data || slot->csn != csn)
                continue;
            if (link_tx_release(&p->chan_tx, csn, &cookie) == 0 && slot->rec == cookie)
                requeue(c, p, csn);
        }
    }
}

static await_t *await_push(rtr_core_t *c, rtr_jid_t rec, uint32_t port, int32_t csn)
{
    await_t *aw;
    if (c->await_n == c->await_cap) {
        size_t   ncap = c->await_cap ? c->await_cap * 2 : 256;
        await_t *v = sim_xmalloc(ncap * sizeof(*v));
        for (size_t i = 0; i < c->await_n; i++)
            v[i] = c->await[(c->await_head + i) % c->await_cap];
        free(c->await);
        c->await = v;
        c->await_head = 0;
        c->await_cap = ncap;
    }
    aw = &c->await[(c->await_head + c->await_n++) % c->await_cap];
    memset(aw, 0, sizeof(*aw));
    aw->rec = rec;
    aw->port = port;
    aw->csn = csn;
    aw->at = c->sched->now;
    return aw;
}

/* A CABLE frame: check continuity, decode, deduplicate, plan, journal. */
/* Channel continuity of a CABLE frame, in the order frames arrived. */
static void cable_continuity(rtr_core_t *c, rtr_port_t *p, int32_t csn)
{
    link_rx_info_t info;
    if (link_rx_check(&p->chan_rx, csn, &info) == LINK_RX_GAP) {
        char text[96];
        link_svc_gap_text(text, sizeof(text), info.from, info.to);
        c->st.gaps++;
        dlog(c, RTR_DLOG_GAP, NULL, CABLE_PREC_NONE, p->name, csn, NULL, text);
        send_svc(c, p, LINK_SVC_GAP, text, info.from, info.to, NULL);
    }
}

void rtr_core_cable_arrived(rtr_core_t *c, rtr_port_t *p, const link_frame_t *f)
{
    cable_continuity(c, p, f->csn);
}

/* A CABLE frame whose continuity was checked: decode, deduplicate, plan,
 * journal. */
static int take_cable(rtr_core_t *c, rtr_port_t *p, const link_frame_t *f)
{
    const char    *err = NULL;
    char           id[CORE_ID_MAX];
    sim_span_t     ori;
    link_dupkey_t  key;
    rtr_jid_t           rec;
    await_t            *aw;
    rtr_role_t          role = p->hop.kind == RTR_HOP_LOCAL ? RTR_ROLE_ORIGIN : RTR_ROLE_RELAY;
    rtr_journal_piece_t pieces[3];
    size_t              head = 0;

    /* The cable's strings stay in the frame's bytes: they are used only
     * during this call (copies are encoded before it returns). */
    if (cable_msgpack_decode_view(&c->cable, f->cable.c.p, f->cable.c.len, &err) < 0) {
        char text[160];
        snprintf(text, sizeof(text), "GARBLED CSN %04d PLS RPT (%s)", f->csn, err ? err : "?");
        c->st.garbled++;
        send_svc(c, p, LINK_SVC_GARBLED, text, f->csn, f->csn, NULL);
        if (++p->garbled > CORE_GARBLED_MAX) {
            c->io.close_port(c->io.ud, p, "too many garbled cables");
            return SIM_EPARSE;
        }
        return 0;
    }
    p->garbled = 0;
    if (f->cable.n_ids) {
        /* Routing-line segregation by the previous hop: this copy's format
         * line 2 travels in the frame, the cable's bytes unchanged. */
        c->cable.routing_indicators.v = (sim_span_t *)f->cable.ids;
        c->cable.routing_indicators.n = f->cable.n_ids;
        c->cable.routing_indicators.cap = f->cable.n_ids;
    }
    identity(c, &c->cable, id, &ori);
    if (p->hop.kind == RTR_HOP_LOCAL) {
        const char *ri = c->net->stations[p->hop.station].ri;
        if (!sim_span_eq_str(ori, ri)) {
            char text[160];
            snprintf(text, sizeof(text), "CSN %04d ORIGIN %.*s IS NOT YOUR RI %s, NOT ACCEPTED",
                     f->csn, (int)SIM_MIN(ori.len, 16u), ori.p ? ori.p : "?", ri);
            send_svc(c, p, LINK_SVC_IMPERSONATION, text, f->csn, f->csn, id);
            return 0;
        }
    }
    link_dupkey_of(&key, &c->cable, SIM_SPAN_NULL);
    key.origin_ri = ori;
    if (link_dedup_contains(c->dedup, &key)) {
        /* Already in custody (a repeat after a reconnect or a restart):
         * acknowledge it once everything appended so far is durable. */
        c->st.duplicates++;
        dlog(c, RTR_DLOG_DUPLICATE, id, cable_precedence(&c->cable), p->name, f->csn, NULL,
             "already in custody");
        aw = await_push(c, c->last_appended, p->idx, f->csn);
        c->io.want_flush(c->io.ud);
        return 0;
    }
    if (rtr_plan_build(&c->plan, &c->table, &c->cable, role) < 0)
        sim_panic("%s: plan for a table of another network", __func__);
    pack_accept(c, id, f->cable.c.len, p, f->csn, &head);
    pieces[0] = (rtr_journal_piece_t){c->sb.data, head};
    pieces[1] = (rtr_journal_piece_t){f->cable.c.p, f->cable.c.len};
    pieces[2] = (rtr_journal_piece_t){c->sb.data + head, c->sb.size - head};
    if (rtr_journal_appendv(c->journal, RTR_JREC_ACCEPT, 0, pieces, 3, &rec) < 0) {
        send_svc(c, p, LINK_SVC_BUSY, "JOURNAL UNAVAILABLE, CUSTODY REFUSED, PLS RPT LATER",
                 f->csn, f->csn, id);
        return 0;
    }
    c->last_appended = rec;
    link_dedup_add(c->dedup, &key); /* in custody from now on (checked absent above) */
    c->st.accepted++;
    p->accepted++;
    dlog(c, RTR_DLOG_ACCEPTED, id, c->plan.prec, p->name, f->csn, NULL, NULL);
    for (uint32_t i = 0; i < c->plan.n_undeliverable; i++) {
        const rtr_note_t   *nt = &c->plan.undeliverable[i];
        const cable_addr_t *a = NULL;
        char                text[160], who[96];
        if (nt->list == RTR_LIST_TO && nt->index < c->cable.to.n)
            a = &c->cable.to.v[nt->index];
        else if (nt->list == RTR_LIST_INFO && nt->index < c->cable.info.n)
            a = &c->cable.info.v[nt->index];
        snprintf(who, sizeof(who), "%.*s%s%.*s", a ? (int)SIM_MIN(a->ri.len, 8u) : 0,
                 a && a->ri.p ? a->ri.p : "", a && a->ri.len ? "/" : "",
                 a ? (int)SIM_MIN(a->pla.len, 60u) : 0, a && a->pla.p ? a->pla.p : "");
        snprintf(text, sizeof(text), "%s UNDELIVERABLE: %s", who, rtr_why_word(nt->why));
        c->st.undeliverable++;
        dlog(c, RTR_DLOG_UNDELIVERABLE, id, nt->prec, NULL, -1, who, rtr_why_word(nt->why));
        if (role == RTR_ROLE_ORIGIN)
            send_svc(c, p, LINK_SVC_UNDELIVERABLE, text, -1, -1, id);
    }
    for (uint32_t i = 0; i < c->plan.n_exempted; i++) {
        c->st.exempted++;
        dlog(c, RTR_DLOG_EXEMPTED, id, CABLE_PREC_NONE, NULL, -1, NULL,
             rtr_why_word(c->plan.exempted[i].why));
    }
    aw = await_push(c, rec, p->idx, f->csn);
    if (c->plan.n_copies) {
        pend_t *pe = pend_add(&c->pending, rec);
        pe->remaining = c->plan.n_copies;
        pe->prec = (uint8_t)c->plan.prec;
        aw->n = c->plan.n_copies;
        /* One block: the copies, then their hops (freed with the copies). */
        aw->copies = sim_xcalloc(1, aw->n * (sizeof(*aw->copies) + sizeof(*aw->hops)));
        aw->hops = (uint32_t *)(aw->copies + aw->n);
        for (uint32_t i = 0; i < aw->n; i++) {
            const rtr_copy_t *cp = &c->plan.copies[i];
            rtr_qent_t       *e = &aw->copies[i];
            e->rec = rec;
            e->prec = (uint8_t)cp->prec;
            e->niact = cp->niact;
            e->ccy = c->cable.corrected_copy;
            e->tag = i;
            e->csn = -1;
            copy_make(c, e, f->cable.c.p, f->cable.c.len, &c->plan.fl2[cp->first], cp->n, id);
            aw->hops[i] = cp->hop;
            dlog(c, RTR_DLOG_ROUTED, id, cp->prec, c->ports[cp->hop].name, -1, NULL, NULL);
        }
    } else {
        rtr_journal_release(c->journal, rec);
    }
    c->io.want_flush(c->io.ud);
    return 0;
}

static void flush_ack(rtr_core_t *c, rtr_port_t *p)
{
    link_frame_t f;
    if (!p->ack_n)
        return;
    link_frame_init(&f, LINK_T_ACK);
    f.csn = p->ack_csn;
    f.ack.n = p->ack_n;
    p->ack_n = 0;
    if (p->conn)
        send_frame(c, p, &f);
}

static void queue_copies(rtr_core_t *c, uint32_t n, rtr_qent_t *copies, const uint32_t *hops)
{
    for (uint32_t i = 0; i < n; i++) {
        rtr_port_t *p = port_of_hop(c, hops[i]);
        const char *id = entry_id(&copies[i]);
        bool        closed = copies[i].prec < CABLE_PREC_Z && closed_until(c, p, c->sched->now);
        if (closed && copies[i].niact) {
            /* At the head of its level, ahead of what is held, so that it
             * passes the hold (tx_can_start). */
            dlog(c, RTR_DLOG_QUEUED, id, (cable_prec_t)copies[i].prec, p->name, -1, p->peer,
                 "NIACT: passes the hold of the closed station");
            rtr_txlink_requeue(&p->tx, &copies[i], c->sched->now);
            continue;
        }
        dlog(c, RTR_DLOG_QUEUED, id, (cable_prec_t)copies[i].prec, p->name, -1, NULL, NULL);
        if (closed) {
            p->held++;
            dlog(c, RTR_DLOG_HELD, id, (cable_prec_t)copies[i].prec, p->name, -1, p->peer,
                 "station closed");
        }
        rtr_txlink_push(&p->tx, &copies[i], c->sched->now);
    }
}

static void delayed_cb(sim_event_t *ev, sim_time_t now)
{
    delayed_t  *d = SIM_CONTAINER_OF(ev, delayed_t, ev);
    rtr_core_t *c = d->core;
    (void)now;
    if (d->prev)
        d->prev->next = d->next;
    else
        c->delayed = d->next;
    if (d->next)
        d->next->prev = d->prev;
    queue_copies(c, d->n, d->copies, d->hops);
    free(d->copies); /* and the hops, in the same block */
    free(d);
}

void rtr_core_durable(rtr_core_t *c, rtr_jid_t upto)
{
    while (c->await_n) {
        await_t    *aw = &c->await[c->await_head];
        rtr_port_t *src = &c->ports[aw->port];
        if (aw->rec > upto)
            break;
        if (aw->csn >= 0 && src->conn) {
            /* Acknowledgements go out per port as runs of consecutive
             * numbers, one ACK frame per run. */
            if (src->ack_n && src->ack_n < LINK_ACK_MAX_RUN &&
                aw->csn == link_csn_add(src->ack_csn, (int)src->ack_n)) {
                src->ack_n++;
            } else {
                flush_ack(c, src);
                src->ack_csn = aw->csn;
                src->ack_n = 1;
                if (!src->ack_listed) {
                    src->ack_listed = true;
                    src->ack_next = c->ack_ports;
                    c->ack_ports = src;
                }
            }
        }
        if (aw->n && c->processing > 0 && aw->at + c->processing > c->sched->now) {
            /* The router's own handling time (processing_ms) before the
             * copies join their queues. */
            delayed_t *d = sim_xcalloc(1, sizeof(*d));
            d->core = c;
            d->n = aw->n;
            d->copies = aw->copies;
            d->hops = aw->hops;
            d->next = c->delayed;
            if (c->delayed)
                c->delayed->prev = d;
            c->delayed = d;
            sim_event_init(&d->ev);
            sim_event_key(&d->ev, SIM_EV_TIMER, aw->copies[0].prec, NULL, 0, 0, 0, aw->port);
            sim_sched_add(c->sched, &d->ev, aw->at + c->processing, delayed_cb);
        } else {
            queue_copies(c, aw->n, aw->copies, aw->hops);
            free(aw->copies); /* and the hops */
        }
        c->await_head = (c->await_head + 1) % c->await_cap;
        c->await_n--;
    }
    while (c->ack_ports) {
        rtr_port_t *p = c->ack_ports;
        c->ack_ports = p->ack_next;
        p->ack_listed = false;
        flush_ack(c, p);
    }
}

int rtr_core_cable_take(rtr_core_t *c, rtr_port_t *p, const link_frame_t *f)
{
    return take_cable(c, p, f);
}

int rtr_core_frame(rtr_core_t *c, rtr_port_t *p, const link_frame_t *f)
{
    switch (f->type) {
    case LINK_T_CABLE: cable_continuity(c, p, f->csn); return take_cable(c, p, f);
    case LINK_T_ACK: on_ack(c, p, f); return 0;
    case LINK_T_SVC: on_svc(c, p, f); return 0;
    case LINK_T_ABORT:
        link_rx_check(&p->chan_rx, f->csn, NULL);
        dlog(c, RTR_DLOG_PREEMPTED, f->abort.id.p ? NULL : NULL, CABLE_PREC_NONE, p->name, f->csn,
             NULL, "aborted by the sender");
        return 0;
    case LINK_T_HEARTBEAT:
    case LINK_T_PROMISE: return 0;
    default:
        send_svc(c, p, LINK_SVC_PROTOCOL, "UNEXPECTED FRAME", -1, -1, NULL);
        c->io.close_port(c->io.ud, p, "unexpected frame");
        return SIM_EPARSE;
    }
}

/* --- connections --------------------------------------------------------- */

void rtr_core_hello(rtr_core_t *c, rtr_port_t *p, msgpack_sbuffer *out)
{
    link_frame_t      f;
    link_hello_link_t l;
    link_frame_init(&f, LINK_T_HELLO);
    f.hello.role = LINK_ROLE_ROUTER;
    f.hello.name = sim_span_str(c->name);
    l.ln = p->hop.kind == RTR_HOP_LOCAL ? sim_span_str(p->peer) : sim_span_str("");
    l.last_rx = link_rx_last(&p->chan_rx);
    f.hello.links = &l;
    f.hello.n_links = 1;
    if (link_frame_encode(&f, out) != 0)
        sim_panic("%s: cannot encode HELLO", __func__);
}

void rtr_core_attach(rtr_core_t *c, rtr_port_t *p, void *conn, int peer_rx)
{
    uint32_t       it = 0;
    link_tx_item_t item;
    p->conn = conn;
    link_tx_resume(&p->chan_tx, peer_rx);
    while (link_tx_resend_next(&p->chan_tx, &it, &item)) {
        if (item.abort) {
            link_frame_t f;
            link_frame_init(&f, LINK_T_ABORT);
            f.csn = item.csn;
            send_frame(c, p, &f);
        } else {
            rtr_qent_t *slot = &p->inflight[(uint32_t)item.csn % p->window];
            if (slot->data && slot->rec == item.cookie)
                write_cable(c, p, slot, c->sched->now + p->tx.latency, true);
        }
    }
    rtr_txlink_resume(&p->tx, c->sched->now);
}

void rtr_core_detach(rtr_core_t *c, rtr_port_t *p)
{
    (void)c;
    if (!p->conn)
        return;
    p->conn = NULL;
    rtr_txlink_pause(&p->tx);
}

void rtr_core_backpressure(rtr_core_t *c, rtr_port_t *p, bool full)
{
    if (full == p->full)
        return;
    p->full = full;
    if (!full)
        rtr_txlink_resume(&p->tx, c->sched->now);
}

/* --- life cycle ------------------------------------------------------------ */

int rtr_core_new(rtr_core_t **out, const rtr_core_opts_t *o, const rtr_core_io_t *io, char *err,
                 size_t errlen)
{
    rtr_core_t *c;
    uint32_t    window = o->window ? o->window : 50;
    if (o->router >= o->net->n_routers || 10000 % window != 0) {
        snprintf(err, errlen, "bad router index or window");
        return SIM_EUSAGE;
    }
    c = sim_xcalloc(1, sizeof(*c));
    c->net = o->net;
    c->router = o->router;
    c->name = o->net->routers[o->router].name;
    c->journal = o->journal;
    c->dlog = o->dlog;
    c->sched = o->sched;
    c->no_link_model = o->no_link_model;
    c->virtual_time = o->virtual_time;
    c->processing = o->no_link_model
                        ? 0
                        : (sim_time_t)(o->net->routers[o->router].processing_ms * 1000.0);
    c->io = *io;
    if (rtr_table_init(&c->table, o->net, o->router) < 0) {
        snprintf(err, errlen, "cannot build the routing table");
        free(c);
        return SIM_EUSAGE;
    }
    rtr_plan_init(&c->plan, o->net);
    c->dedup = link_dedup_new(CORE_DEDUP);
    cable_init(&c->cable);
    msgpack_sbuffer_init(&c->sb);
    c->rcap = 64 * 1024;
    c->rbuf = sim_xmalloc(c->rcap);
    c->n_ports = c->table.n_hops;
    c->ports = sim_xcalloc(c->n_ports ? c->n_ports : 1, sizeof(*c->ports));
    for (uint32_t i = 0; i < c->n_ports; i++) {
        rtr_port_t              *p = &c->ports[i];
        const rtr_hop_t         *h = &c->table.hops[i];
        const net_link_params_t *lp;
        char                     name[96];
        p->idx = i;
        p->hop = *h;
        p->core = c;
        if (h->kind == RTR_HOP_LOCAL) {
            lp = &o->net->stations[h->station].link;
            p->peer = o->net->stations[h->station].ri;
            snprintf(name, sizeof(name), "%s", p->peer);
            p->window = window;
        } else {
            lp = &o->net->trunks[h->trunk].link;
            p->peer = o->net->routers[h->router].name;
            snprintf(name, sizeof(name), "trunk:%s", p->peer);
            p->window = window * 10 <= 10000 ? window * 10 : window;
        }
        p->name = sim_xstrdup(name);
        p->inflight = sim_xcalloc(p->window, sizeof(*p->inflight));
        sim_event_init(&p->wake);
        rtr_txlink_init(&p->tx, o->sched, &tx_ops, o->no_link_model ? 0 : lp->bps,
                        o->virtual_time ? rtr_sync_link_latency(lp->latency_ms, o->no_link_model)
                        : o->no_link_model ? 0
                                           : (sim_time_t)(lp->latency_ms * 1000.0),
                        lp->o_preempts, (size_t)lp->ram_budget_mib << 20, i);
        rtr_txlink_pause(&p->tx); /* until a peer is there */
        link_tx_init(&p->chan_tx, p->window, 0);
        link_rx_init(&p->chan_rx, -1);
    }
    *out = c;
    return 0;
}

void rtr_core_free(rtr_core_t *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; i < c->n_ports; i++) {
        rtr_port_t *p = &c->ports[i];
        sim_sched_cancel(c->sched, &p->wake);
        rtr_txlink_destroy(&p->tx);
        link_tx_destroy(&p->chan_tx);
        for (uint32_t k = 0; k < p->window; k++)
            sim_buf_free(p->inflight[k].data);
        free(p->inflight);
        free(p->name);
    }
    for (size_t i = 0; i < c->await_n; i++) {
        await_t *aw = &c->await[(c->await_head + i) % c->await_cap];
        for (uint32_t k = 0; k < aw->n; k++)
            sim_buf_free(aw->copies[k].data);
        free(aw->copies); /* and the hops */
    }
    while (c->delayed) {
        delayed_t *d = c->delayed;
        c->delayed = d->next;
        sim_sched_cancel(c->sched, &d->ev);
        for (uint32_t k = 0; k < d->n; k++)
            sim_buf_free(d->copies[k].data);
        free(d->copies); /* and the hops */
        free(d);
    }
    free(c->await);
    free(c->ports);
    free(c->pending.v);
    free(c->rbuf);
    msgpack_sbuffer_destroy(&c->sb);
    cable_destroy(&c->cable);
    link_dedup_free(c->dedup);
    rtr_plan_destroy(&c->plan);
    rtr_table_destroy(&c->table);
    free(c);
}

const char *rtr_core_name(const rtr_core_t *c)
{
    return c->name;
}

uint32_t rtr_core_n_ports(const rtr_core_t *c)
{
    return c->n_ports;
}

rtr_port_t *rtr_core_port(rtr_core_t *c, uint32_t i)
{
    return i < c->n_ports ? &c->ports[i] : NULL;
}

rtr_port_t *rtr_core_port_for(rtr_core_t *c, link_role_t role, sim_span_t name)
{
    for (uint32_t i = 0; i < c->n_ports; i++) {
        rtr_port_t *p = &c->ports[i];
        if ((role == LINK_ROLE_ROUTER) != (p->hop.kind == RTR_HOP_TRUNK))
            continue;
        if (sim_span_eq_str(name, p->peer))
            return p;
    }
    return NULL;
}

/* --- spilled queues ------------------------------------------------------- */

/* Beyond this many queue entries in RAM per link (a quarter of the link's
 * budget's worth), further copies stay in the journal: the queue keeps a
 * count and a cursor per level and reads them back in order. Copies spilled
 * were never transmitted, so every copy for this link and level from the
 * cursor on is owed. */
#define CORE_ENTRY_BYTES 256

typedef struct refill_ctx {
    rtr_core_t  *c;
    rtr_port_t  *p;
    rtr_queue_t *q;
    int          level;
    uint64_t     want, got;
    rtr_jid_t    cursor;
} refill_ctx_t;

static int refill_cb(void *ud, const rtr_journal_rec_t *r)
{
    refill_ctx_t  *x = ud;
    msgpack_zone   zone;
    msgpack_object obj;
    accept_view_t  v;
    x->cursor = rtr_journal_next_id(r);
    if (r->type != RTR_JREC_ACCEPT)
        return 0;
    msgpack_zone_init(&zone, 2048);
    if (msgpack_unpack(r->payload, r->len, NULL, &zone, &obj) == MSGPACK_UNPACK_SUCCESS &&
        view_accept(&obj, &v) == 0) {
        for (uint32_t k = 0; k < v.links->via.array.size; k++) {
            const msgpack_object *fl2;
            cable_prec_t          prec;
            bool                  niact;
            rtr_qent_t            e;
            if (!sim_span_eq_str(obj_span(&v.links->via.array.ptr[k]), x->p->name) ||
                view_copy(&v, k, &prec, &niact, &fl2) < 0 || rtr_level(prec) != x->level)
                continue;
            memset(&e, 0, sizeof(e));
            e.rec = r->id;
            e.prec = (uint8_t)prec;
            e.niact = niact;
            e.tag = k;
            e.csn = -1;
            rtr_queue_refilled(x->q, &e);
            x->got++;
        }
    }
    msgpack_zone_destroy(&zone);
    return x->got >= x->want ? 1 : 0;
}

static uint64_t core_refill(void *ud, rtr_queue_t *q, int level, uint64_t *cursor, uint64_t want)
{
    rtr_port_t  *p = ud;
    refill_ctx_t x = {p->core, p, q, level, want, 0, *cursor};
    rtr_journal_scan_from(p->core->journal, *cursor, refill_cb, &x);
    *cursor = x.cursor;
    return x.got;
}

static void enable_spill(rtr_core_t *c)
{
    for (uint32_t i = 0; i < c->n_ports; i++) {
        rtr_port_t *p = &c->ports[i];
        size_t      max = SIM_MAX(p->tx.q.budget / CORE_ENTRY_BYTES, (size_t)1024);
        rtr_queue_set_spill(&p->tx.q, max, core_refill, p);
    }
}

/* --- recovery -------------------------------------------------------------- */

static int port_index_by_name(rtr_core_t *c, sim_span_t name)
{
    for (uint32_t i = 0; i < c->n_ports; i++)
        if (sim_span_eq_str(name, c->ports[i].name))
            return (int)i;
    return -1;
}

/* One ACCEPT found in the journal: its copies, which port each goes to, and
 * whether a DELIVERED/DROPPED settled it. Records come in append order, so a
 * copy's settlement always follows its ACCEPT: one scan is enough. */
typedef struct rcopy {
    int32_t port; /* -1: a link this router no longer has */
    uint8_t prec;
    bool    niact;
    bool    settled;
} rcopy_t;

typedef struct raccept {
    rtr_jid_t rec;
    uint32_t  n;
    rcopy_t  *copies;
    char      id[CORE_ID_MAX];
    uint8_t   prec;
} raccept_t;

typedef struct recover_state {
    rtr_core_t *c;
    raccept_t  *v;
    size_t      n, cap;
    pend_map_t  index; /* rec -> position in v (kept in 'remaining') */
    size_t      foreign;
} recover_state_t;

static int scan_cb(void *ud, const rtr_journal_rec_t *r)
{
    recover_state_t *s = ud;
    rtr_core_t      *c = s->c;
    msgpack_zone     zone;
    msgpack_object   obj;
    msgpack_zone_init(&zone, 2048);
    if (msgpack_unpack(r->payload, r->len, NULL, &zone, &obj) != MSGPACK_UNPACK_SUCCESS) {
        msgpack_zone_destroy(&zone);
        s->foreign++;
        return 0;
    }
    if (r->type == RTR_JREC_ACCEPT) {
        accept_view_t v;
        raccept_t    *ra;
        if (view_accept(&obj, &v) < 0) {
            s->foreign++;
            msgpack_zone_destroy(&zone);
            return 0;
        }
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 1024;
            s->v = sim_xrealloc(s->v, s->cap * sizeof(*s->v));
        }
        ra = &s->v[s->n];
        memset(ra, 0, sizeof(*ra));
        ra->rec = r->id;
        ra->prec = (uint8_t)v.prec;
        snprintf(ra->id, sizeof(ra->id), "%.*s", (int)SIM_MIN(v.id.len, CORE_ID_MAX - 1u), v.id.p);
        ra->n = v.links->via.array.size;
        ra->copies = sim_xcalloc(ra->n ? ra->n : 1, sizeof(*ra->copies));
        for (uint32_t k = 0; k < ra->n; k++) {
            const msgpack_object *fl2;
            cable_prec_t          prec;
            bool                  niact;
            ra->copies[k].port = port_index_by_name(c, obj_span(&v.links->via.array.ptr[k]));
            if (view_copy(&v, k, &prec, &niact, &fl2) < 0)
                ra->copies[k].port = -1;
            ra->copies[k].prec = (uint8_t)prec;
            ra->copies[k].niact = niact;
        }
        pend_add(&s->index, r->id)->remaining = (uint32_t)s->n;
        s->n++;
        /* Its identity is in custody: repeats of it must be suppressed. */
        {
            const char   *err = NULL;
            link_dupkey_t key;
            char          id[CORE_ID_MAX];
            sim_span_t    ori;
            if (cable_msgpack_decode(&c->cable, v.raw.p, v.raw.len, &err) == 0) {
                identity(c, &c->cable, id, &ori);
                link_dupkey_of(&key, &c->cable, SIM_SPAN_NULL);
                key.origin_ri = ori;
                link_dedup_check(c->dedup, &key);
            }
        }
        c->last_appended = r->id;
    } else if ((r->type == RTR_JREC_DELIVERED || r->type == RTR_JREC_DROPPED) &&
               obj.type == MSGPACK_OBJECT_MAP) {
        pend_t    *pe = pend_find(&s->index, r->ref);
        sim_span_t link = SIM_SPAN_NULL;
        for (uint32_t i = 0; i < obj.via.map.size; i++)
            if (sim_span_eq_str(obj_span(&obj.via.map.ptr[i].key), RTR_JKEY_LINK))
                link = obj_span(&obj.via.map.ptr[i].val);
        if (pe) {
            raccept_t *ra = &s->v[pe->remaining];
            int        port = port_index_by_name(c, link);
            for (uint32_t k = 0; k < ra->n; k++)
                if (ra->copies[k].port == port && !ra->copies[k].settled) {
                    ra->copies[k].settled = true;
                    break;
                }
        }
        c->last_appended = r->id;
    }
    msgpack_zone_destroy(&zone);
    return 0;
}

int rtr_core_recover(rtr_core_t *c, size_t *restored, char *err, size_t errlen)
{
    recover_state_t s;
    int             rc;
    size_t          n_restored = 0;
    memset(&s, 0, sizeof(s));
    s.c = c;
    rc = rtr_journal_scan(c->journal, scan_cb, &s);
    if (rc < 0)
        snprintf(err, errlen, "journal scan: %s", sim_strerror(rc));
    for (size_t i = 0; i < s.n; i++) {
        raccept_t *ra = &s.v[i];
        uint32_t   left = 0, lost = 0;
        if (rc == 0) {
            for (uint32_t k = 0; k < ra->n; k++) {
                rtr_qent_t e;
                if (ra->copies[k].settled)
                    continue;
                if (ra->copies[k].port < 0) {
                    /* A copy for a link this router no longer has, or one it
                     * cannot read: never released, reported. */
                    lost++;
                    dlog(c, RTR_DLOG_UNDELIVERABLE, ra->id, (cable_prec_t)ra->prec, NULL, -1,
                         NULL, "journaled copy for an unknown link or unreadable");
                    continue;
                }
                memset(&e, 0, sizeof(e));
                e.rec = ra->rec;
                e.prec = ra->copies[k].prec;
                e.niact = ra->copies[k].niact;
                e.tag = k;
                e.csn = -1;
                /* Bytes stay in the journal until the copy's turn comes. */
                rtr_txlink_push(&c->ports[ra->copies[k].port].tx, &e, c->sched->now);
                left++;
                n_restored++;
                dlog(c, RTR_DLOG_RESTORED, ra->id, (cable_prec_t)e.prec,
                     c->ports[ra->copies[k].port].name, -1, NULL, NULL);
            }
            if (left) {
                pend_t *pe = pend_add(&c->pending, ra->rec);
                pe->remaining = left;
                pe->prec = ra->prec;
            } else if (!lost) {
                rtr_journal_release(c->journal, ra->rec);
            }
            c->st.unrestorable += lost;
        }
        free(ra->copies);
    }
    free(s.v);
    free(s.index.v);
    *restored = n_restored;
    /* Restored copies are all in RAM (some may have been delivered before
     * the crash, so the journal from a cursor would not tell them apart);
     * copies accepted from now on spill beyond the budget. */
    enable_spill(c);
    return rc;
}

void rtr_core_stats(const rtr_core_t *c, rtr_core_stats_t *st)
{
    *st = c->st;
    st->pending_cables = c->pending.n;
    st->awaiting_durable = c->await_n;
    st->queued_now = 0;
    for (uint32_t i = 0; i < c->n_ports; i++)
        st->queued_now += rtr_txlink_queued(&c->ports[i].tx);
}

size_t rtr_core_awaiting(const rtr_core_t *c)
{
    return c->await_n;
}
