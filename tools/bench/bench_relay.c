/*
 * bench_relay.c - the baselines the router is measured against: a bare
 * libuv relay (length-prefixed frames, no parsing, no queues, no journal)
 * and, with --log FILE, the same relay appending every frame to a file with
 * group-commit fdatasync before forwarding it (log before deliver).
 *
 * Wire: every frame is a 4-byte big-endian length, then the payload. A
 * client's first frame is its station number (4 bytes, big endian); every
 * later frame starts with the destination station number (4 bytes) and is
 * forwarded whole to that station. Writes are coalesced: everything routed
 * to a connection during one loop turn leaves in one uv_write.
 *
 * usage: bench_relay [--listen HOST:PORT] [--log FILE]
 * Prints "listening on HOST:PORT" once ready; SIGINT/SIGTERM stop it and it
 * prints one JSON line with frames relayed, fdatasyncs and CPU seconds.
 */
#include "sim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#define MAX_STATIONS 4096

typedef struct buf {
    char  *p;
    size_t len, cap;
} buf_t;

typedef struct conn {
    uv_tcp_t   tcp;
    uv_write_t wreq;
    buf_t      in, out, sending;
    bool       writing, queued;
    int        station;
    struct conn *next_dirty;
} conn_t;

static uv_loop_t *loop;
static uv_tcp_t   server;
static uv_check_t check;
static uv_signal_t sigint, sigterm;
static conn_t    *stations[MAX_STATIONS];
static conn_t    *dirty;
static int        log_fd = -1;
static buf_t      log_buf;
static buf_t      held; /* frames waiting for the log's fdatasync: (dest, frame) */
static uint64_t   frames, syncs;

static void buf_put(buf_t *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n)
            cap *= 2;
        b->p = sim_xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void flush_conn(conn_t *c);

static void write_cb(uv_write_t *req, int status)
{
    conn_t *c = SIM_CONTAINER_OF(req, conn_t, wreq);
    c->writing = false;
    c->sending.len = 0;
    if (status < 0)
        return;
    if (c->out.len)
        flush_conn(c);
}

static void flush_conn(conn_t *c)
{
    uv_buf_t b;
    buf_t    t;
    if (c->writing || !c->out.len)
        return;
    t = c->sending;
    c->sending = c->out;
    c->out = t;
    c->out.len = 0;
    b = uv_buf_init(c->sending.p, (unsigned)c->sending.len);
    c->writing = true;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, write_cb) < 0)
        c->writing = false;
}

static void route(const char *frame, size_t len)
{
    uint32_t dest;
    conn_t  *d;
    memcpy(&dest, frame + 4, 4);
    dest = ntohl(dest);
    frames++;
    if (dest >= MAX_STATIONS || !(d = stations[dest]))
        return;
    buf_put(&d->out, frame, len);
    if (!d->queued) {
        d->queued = true;
        d->next_dirty = dirty;
        dirty = d;
    }
}

static void check_cb(uv_check_t *h)
{
    (void)h;
    if (log_fd >= 0 && log_buf.len) {
        /* Group commit: one write and one fdatasync for everything read in
         * this loop turn, then the frames go out. */
        size_t off = 0;
        while (off < log_buf.len) {
            ssize_t w = write(log_fd, log_buf.p + off, log_buf.len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                perror("bench_relay: log write");
                exit(2);
            }
            off += (size_t)w;
        }
        if (fdatasync(log_fd) != 0) {
            perror("bench_relay: fdatasync");
            exit(2);
        }
        syncs++;
        log_buf.len = 0;
        for (size_t o = 0; o < held.len;) {
            uint32_t n;
            memcpy(&n, held.p + o, 4);
            n = ntohl(n);
            route(held.p + o, n + 4);
            o += n + 4;
        }
        held.len = 0;
    }
    while (dirty) {
        conn_t *c = dirty;
        dirty = c->next_dirty;
        c->queued = false;
        flush_conn(c);
    }
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    conn_t *c = h->data;
    (void)hint;
    if (c->in.cap - c->in.len < 65536) {
        c->in.cap = c->in.cap ? c->in.cap * 2 : 131072;
        c->in.p = sim_xrealloc(c->in.p, c->in.cap);
    }
    *b = uv_buf_init(c->in.p + c->in.len, (unsigned)(c->in.cap - c->in.len));
}

static void close_cb(uv_handle_t *h)
{
    conn_t *c = h->data;
    if (c->station >= 0 && c->station < MAX_STATIONS && stations[c->station] == c)
        stations[c->station] = NULL;
    for (conn_t **p = &dirty; *p; p = &(*p)->next_dirty)
        if (*p == c) {
            *p = c->next_dirty;
            break;
        }
    free(c->in.p);
    free(c->out.p);
    free(c->sending.p);
    free(c);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    conn_t *c = s->data;
    size_t  o = 0;
    (void)b;
    if (nread < 0) {
        uv_close((uv_handle_t *)s, close_cb);
        return;
    }
    c->in.len += (size_t)nread;
    while (c->in.len - o >= 4) {
        uint32_t n;
        memcpy(&n, c->in.p + o, 4);
        n = ntohl(n);
        if (n > 1 << 20 || n < 4) {
            uv_close((uv_handle_t *)s, close_cb);
            return;
        }
        if (c->in.len - o < 4 + (size_t)n)
            break;
        if (c->station < 0) {
            uint32_t id;
            memcpy(&id, c->in.p + o + 4, 4);
            c->station = (int)ntohl(id);
            if (c->station >= 0 && c->station < MAX_STATIONS)
                stations[c->station] = c;
        } else if (log_fd >= 0) {
            buf_put(&log_buf, c->in.p + o, 4 + n);
            buf_put(&held, c->in.p + o, 4 + n);
        } else {
            route(c->in.p + o, 4 + n);
        }
        o += 4 + n;
    }
    memmove(c->in.p, c->in.p + o, c->in.len - o);
    c->in.len -= o;
}

static void conn_cb(uv_stream_t *srv, int status)
{
    conn_t *c;
    if (status < 0)
        return;
    c = sim_xcalloc(1, sizeof(*c));
    c->station = -1;
    uv_tcp_init(loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(srv, (uv_stream_t *)&c->tcp) == 0) {
        uv_tcp_nodelay(&c->tcp, 1);
        uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
    } else {
        uv_close((uv_handle_t *)&c->tcp, close_cb);
    }
}

static void stop_cb(uv_signal_t *h, int sig)
{
    struct rusage ru;
    (void)h;
    (void)sig;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"relay\":\"%s\",\"frames\":%llu,\"fdatasyncs\":%llu,\"cpu_s\":%.3f}\n",
           log_fd >= 0 ? "group-commit" : "bare", (unsigned long long)frames,
           (unsigned long long)syncs,
           (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
    fflush(stdout);
    exit(0);
}

int main(int argc, char **argv)
{
    const char        *listen_at = "127.0.0.1:0", *log_path = NULL;
    char               host[256];
    int                port;
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int                blen = sizeof(bound);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen_at = argv[++i];
        else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
            log_path = argv[++i];
        else {
            fprintf(stderr, "usage: bench_relay [--listen HOST:PORT] [--log FILE]\n");
            return 2;
        }
    }
    if (sscanf(listen_at, "%255[^:]:%d", host, &port) != 2) {
        fprintf(stderr, "bench_relay: bad --listen '%s'\n", listen_at);
        return 2;
    }
    if (log_path) {
        log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0) {
            fprintf(stderr, "bench_relay: %s: %s\n", log_path, strerror(errno));
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    loop = uv_default_loop();
    uv_tcp_init(loop, &server);
    uv_ip4_addr(host, port, &addr);
    if (uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0) != 0 ||
        uv_listen((uv_stream_t *)&server, 1024, conn_cb) != 0) {
        fprintf(stderr, "bench_relay: cannot listen on %s\n", listen_at);
        return 2;
    }
    uv_tcp_getsockname(&server, (struct sockaddr *)&bound, &blen);
    printf("listening on %s:%d\n", host, ntohs(((struct sockaddr_in *)&bound)->sin_port));
    fflush(stdout);
    uv_check_init(loop, &check);
    uv_check_start(&check, check_cb);
    uv_signal_init(loop, &sigint);
    uv_signal_start(&sigint, stop_cb, SIGINT);
    uv_signal_init(loop, &sigterm);
    uv_signal_start(&sigterm, stop_cb, SIGTERM);
    return uv_run(loop, UV_RUN_DEFAULT);
}
