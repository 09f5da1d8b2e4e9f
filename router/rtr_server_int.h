/*
 * rtr_server_int.h - what the router daemon's files share (rtr_server.c:
 * connections, group commit, the scaled clock; rtr_server_vt.c: virtual
 * time). Not a public header.
 */
#ifndef RTR_SERVER_INT_H
#define RTR_SERVER_INT_H

#include "link/link_frame.h"
#include "rtr_core.h"
#include "rtr_dlog.h"
#include "rtr_journal.h"
#include "rtr_server.h"
#include "rtr_sync.h"

#define SRV_READ_SIZE (64 * 1024)
/* Most CABLE frames of one connection waiting to be taken into custody:
 * beyond it the connection is not read (a peer that ignores its window
 * costs the router bounded memory). */
#define SRV_STAGED_PER_CONN 1024
/* The longest heartbeat interval a peer may announce and still be waited
 * for (a peer cannot opt out of the half-open check). */
#define SRV_PEER_HB_MAX_MS 60000u

typedef struct conn conn_t;

struct vframe;

struct rtr_server {
    uv_loop_t          *loop;
    uv_tcp_t            listener;
    uv_check_t          check;
    uv_timer_t          tick;
    uv_work_t           work;
    rtr_server_opts_t   o;
    const net_router_t *me;
    char                host[256];
    int                 port;
    sim_sched_t         sched;
    sim_clock_t         clock;
    rtr_journal_t      *journal;
    rtr_journal_batch_t *batch; /* in flight on a worker thread */
    int                 batch_rc;
    bool                want_flush;
    rtr_dlog_t         *dlog;
    rtr_core_t         *core;
    conn_t             *conns;  /* all live connections */
    conn_t             *dirty;  /* connections with output to write */
    uint32_t            n_conns;
    int                 open_handles;
    bool                stopping;
    void (*done)(void *ud);
    void               *done_ud;
    rtr_server_stats_t  st;
    /* CABLE frames read in this loop turn, by precedence level (Y first):
     * taken into custody in that order at the end of the turn. */
    struct staged {
        char    *buf;
        size_t   head, len, cap; /* frames in [head, len) */
    } staged[5];
    size_t              n_staged;
    sim_span_t         *ids; /* scratch for unstage_frame */
    uint32_t            ids_cap;
    uv_idle_t           idle; /* keeps the loop turning while cables are staged */
    /* trunks this router dials */
    struct dialer      *dialers;
    uint32_t            n_dialers;
    /* virtual time (--asap), rtr_server_vt.c */
    bool                virt;
    bool                keeper_on;  /* this router keeps time for the network */
    rtr_sync_keeper_t   keeper;
    int                 keeper_self;/* this router's party index at the keeper */
    rtr_sync_party_t    party;
    struct vframe      *vframes;    /* frames waiting for their sim-time */
    msgpack_zone        vzone;
    conn_t             *clock_conn; /* to the keeper (not the keeper itself) */
    uv_timer_t          clock_retry;
    uv_connect_t        clock_creq;
    bool                clock_connecting, in_pump, end_told;
    uint64_t            wait_log_ms;
};

typedef struct dialer {
    rtr_server_t *srv;
    uv_timer_t    retry;
    uv_connect_t  creq;
    uint32_t      port_idx;
    uint64_t      backoff_ms;
    bool          connecting;
    conn_t       *conn;
} dialer_t;

struct conn {
    uv_tcp_t      tcp;
    uv_timer_t    hb;
    uv_write_t    wreq;
    rtr_server_t *srv;
    link_reader_t rd;
    msgpack_zone  zone;
    char         *out, *wbuf;
    size_t        out_len, out_cap, w_len, w_cap;
    bool          writing, queued, hello_done, closing;
    int           handles; /* open handles of this connection */
    uint64_t      last_in_ms;
    uint32_t      peer_hb_ms; /* the interval the peer's HELLO announced; 0 none */
    rtr_port_t   *port;
    dialer_t     *dialer;
    uint32_t      staged;       /* its CABLE frames waiting in the staging area */
    bool          read_stopped; /* reading paused until they are taken */
    int           clock_party;  /* keeper side: the party on this clock connection; -1 */
    bool          is_clock;     /* a clock connection (either side) */
    conn_t       *next, *prev, *next_dirty;
};


/* rtr_server.c */
conn_t *srv_conn_new(rtr_server_t *s);
void    srv_conn_start(conn_t *c);
int     srv_conn_put(conn_t *c, const char *buf, size_t len);
void    srv_conn_close(conn_t *c, const char *why);
void    srv_send_svc_raw(conn_t *c, link_svc_code_t code, const char *text);
void    srv_start_flush(rtr_server_t *s);

/* rtr_server_vt.c */
/* A handle of the server (h->data) closed: the last one of a stop calls
 * its 'done'. */
void srv_handle_closed(uv_handle_t *h);
void srv_vt_init(rtr_server_t *s);
void srv_vt_destroy(rtr_server_t *s);
void srv_vt_stop(rtr_server_t *s);
/* A HELLO with role "clock" (keeper side); -1: refused (a message was sent). */
int  srv_vt_clock_hello(rtr_server_t *s, conn_t *c, const link_frame_t *f);
/* A frame on a clock connection, either side. */
void srv_vt_clock_frame(rtr_server_t *s, conn_t *c, const link_frame_t *f);
/* A counted frame (rtr_sync_counted) on a port: handled at its sim-time. */
void srv_vt_port_frame(rtr_server_t *s, conn_t *c, const link_frame_t *f, const char *payload,
                       size_t len);
/* Handle what the round allows; report when done. */
void srv_vt_pump(rtr_server_t *s);
/* A connection closed (a clock connection is dialled again). */
void srv_vt_conn_closed(rtr_server_t *s, conn_t *c);

#endif
