/*
 * rtr_core.h - the router core: custody, routing, queueing and transmission
 * of cables for one router of a network, with no event loop and no sockets.
 *
 * The core owns one port per outgoing link (one per trunk, one per station
 * homed here; numbered like the routing table's hops). It is driven by the
 * connection layer (rtr_server.c, or a test standing in for it):
 *   - frames that arrived on a port (rtr_core_frame),
 *   - a peer connected to or left a port (rtr_core_attach / _detach),
 *   - the journal made records durable (rtr_core_durable),
 *   - the sim-time scheduler ran due events (transmission ends, arrivals);
 * and it talks back through rtr_core_io_t: frames to write on a port, a
 * request to flush the journal soon, a port to close.
 *
 * Custody (DESIGN.md): a CABLE frame is acknowledged to its sender only once
 * its ACCEPT record (the cable, its copies and their links) is durable in
 * the journal; its copies are queued then. A copy leaves this router's
 * custody when the next party acknowledges it (a DELIVERED record); an
 * ACCEPT with no copy left is released, so its segment can go. After a
 * restart rtr_core_recover() rebuilds every queue from the journal, and the
 * channel state is resumed from the peers' HELLOs: nothing accepted is lost,
 * and repeats are suppressed by identity at the receiver.
 *
 * Time: every decision reads sched->now, which the driver advances (the
 * scaled clock's time, or a test's manual time) before calling in.
 */
#ifndef RTR_CORE_H
#define RTR_CORE_H

#include "cable.h"
#include "link/link_chan.h"
#include "link/link_frame.h"
#include "network.h"
#include "rtr_dlog.h"
#include "rtr_journal.h"
#include "rtr_queue.h"
#include "rtr_route.h"
#include "sim_sched.h"

typedef struct rtr_core rtr_core_t;
typedef struct rtr_port rtr_port_t;

struct rtr_port {
    uint32_t     idx;       /* hop index */
    char        *name;      /* station RI, or "trunk:<router>" */
    rtr_hop_t    hop;
    const char  *peer;      /* station RI or neighbouring router's name (borrowed) */
    void        *conn;      /* the connection layer's, NULL when not connected */
    rtr_core_t  *core;
    /* private */
    rtr_txlink_t tx;
    link_tx_t    chan_tx;
    link_rx_t    chan_rx;
    rtr_qent_t  *inflight; /* [window], by csn % window: sent, not acknowledged */
    uint32_t     window;
    uint32_t     garbled;  /* unreadable cables received in a row */
    sim_event_t  wake;     /* a closed station opens: release what was held */
    uint64_t     held;     /* copies held for it while closed */
    uint32_t     vt_seq;   /* virtual time: frames received, for the tie order */
    bool         full;     /* the connection's output is over its high-water mark */
    int32_t      ack_csn;  /* first number of the ACK run being built */
    uint32_t     ack_n;    /* its length; 0: none */
    rtr_port_t  *ack_next;
    bool         ack_listed;
    uint64_t     accepted, delivered, sent;
};

typedef struct rtr_core_io {
    void *ud;
    /* Write one encoded frame (borrowed bytes) to the port's connection.
     * Returns 0, or < 0 when the port has no connection. */
    int (*send)(void *ud, rtr_port_t *p, const char *buf, size_t len);
    /* Records were appended to the journal: flush it soon (group commit). */
    void (*want_flush)(void *ud);
    /* The peer on p broke the protocol: a service message was sent; close. */
    void (*close_port)(void *ud, rtr_port_t *p, const char *why);
    /* Optional: encode f (borrowed) straight into the port's output, saving
     * the copy 'send' makes. Returns as 'send'; panics on a frame that
     * cannot be encoded. NULL: the core encodes and calls 'send'. */
    int (*send_frame)(void *ud, rtr_port_t *p, const link_frame_t *f);
} rtr_core_io_t;

typedef struct rtr_core_opts {
    const net_network_t *net;     /* borrowed, outlives the core */
    uint32_t             router;  /* this router's index in net */
    rtr_journal_t       *journal; /* borrowed */
    rtr_dlog_t          *dlog;    /* borrowed; NULL: no delivery log */
    sim_sched_t         *sched;   /* borrowed */
    bool                 no_link_model; /* wire speed: no simulated bps/latency */
    uint32_t             window;  /* unacknowledged cables per link (divides 10000) */
    /* Virtual time (--asap, router/rtr_sync.h): every frame the core sends
     * carries its sim-time (an ACK or service message: now + the link's
     * latency), and every latency is at least RTR_SYNC_MIN_LATENCY. */
    bool                 virtual_time;
} rtr_core_opts_t;

/* rtr_core_new - returns 0 and an owned core in *out, or a negative code
 * with a message in err. */
int  rtr_core_new(rtr_core_t **out, const rtr_core_opts_t *o, const rtr_core_io_t *io, char *err,
                  size_t errlen);
void rtr_core_free(rtr_core_t *c);

/* rtr_core_recover - rebuild the queues from the journal (right after it
 * was opened). *restored gets the number of copies queued again. */
int rtr_core_recover(rtr_core_t *c, size_t *restored, char *err, size_t errlen);

const char *rtr_core_name(const rtr_core_t *c);
uint32_t    rtr_core_n_ports(const rtr_core_t *c);
rtr_port_t *rtr_core_port(rtr_core_t *c, uint32_t i);
/* The port for a station RI homed here, or the trunk to a router name. */
rtr_port_t *rtr_core_port_for(rtr_core_t *c, link_role_t role, sim_span_t name);

/* rtr_core_attach - a peer connected on p (conn is the layer's handle) and
 * said in its HELLO the last csn it received from us (peer_rx, -1 unknown):
 * resend what it has not acknowledged, then transmit again. Returns the
 * HELLO to answer with, encoded into 'out'. */
void rtr_core_attach(rtr_core_t *c, rtr_port_t *p, void *conn, int peer_rx);
void rtr_core_detach(rtr_core_t *c, rtr_port_t *p);
/* rtr_core_hello - the HELLO this router sends on p (role router, its name,
 * the port's link name and the last csn received there). */
void rtr_core_hello(rtr_core_t *c, rtr_port_t *p, msgpack_sbuffer *out);

/* rtr_core_frame - a frame arrived on p (borrowed; its spans are valid only
 * during the call). Returns 0, or < 0 when the peer broke the protocol
 * (the core has sent a service message and asked io->close_port). */
int rtr_core_frame(rtr_core_t *c, rtr_port_t *p, const link_frame_t *f);

/* The same in two steps, for a connection layer that takes the cables of a
 * loop turn in precedence order: rtr_core_cable_arrived checks channel
 * continuity when the frame arrives (in arrival order); rtr_core_cable_take
 * later decodes, deduplicates, plans and journals it. */
void rtr_core_cable_arrived(rtr_core_t *c, rtr_port_t *p, const link_frame_t *f);
int  rtr_core_cable_take(rtr_core_t *c, rtr_port_t *p, const link_frame_t *f);

/* rtr_core_durable - the journal says every record up to 'upto' is on
 * disk: acknowledge the cables accepted up to there and queue their copies. */
void rtr_core_durable(rtr_core_t *c, rtr_jid_t upto);

/* rtr_core_backpressure - p's connection is over (full) or back under its
 * output water mark: stop or restart transmissions on p. */
void rtr_core_backpressure(rtr_core_t *c, rtr_port_t *p, bool full);

typedef struct rtr_core_stats {
    uint64_t accepted, duplicates, acknowledged, delivered_copies, undeliverable, exempted;
    uint64_t preempted, transmitted, queued_now, awaiting_durable, gaps, garbled;
    uint64_t pending_cables; /* ACCEPTs not yet released */
    uint64_t unrestorable;   /* journaled copies recovery could not queue (kept on disk) */
} rtr_core_stats_t;

void rtr_core_stats(const rtr_core_t *c, rtr_core_stats_t *st);
/* Cables taken whose ACCEPT is not durable yet (their copies are not
 * queued): a virtual-time driver does not move sim-time past them. */
size_t rtr_core_awaiting(const rtr_core_t *c);

#endif
