/*
 * bench_relay_load.c - the load process for the relay baselines: N stations
 * on one libuv loop, each sending SIZE-byte frames to the next station
 * through the relay, with at most WINDOW frames in flight per sender (a
 * frame is in flight until its destination has read it), for DURATION
 * seconds. Prints one JSON line: frames delivered per second during the
 * window and the CPU seconds of this process.
 *
 * usage: bench_relay_load --relay HOST:PORT [--stations N] [--size BYTES]
 *                         [--window W] [--duration S]
 */
#include "sim.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

typedef struct station {
    uv_tcp_t     tcp;
    uv_connect_t creq;
    uv_write_t   wreq;
    int          id, dest;
    char        *frame, *batch;
    size_t       batch_cap;
    bool         writing;
    uint64_t     in_flight; /* frames sent to dest not yet read there */
    char        *in;
    size_t       in_len, in_cap;
} station_t;

static uv_loop_t *loop;
static station_t *st;
static int        n_st = 64, window = 64, size = 1024, connected;
static double     duration = 10;
static uint64_t   delivered, t_start_ns, t_end_ns;
static uv_timer_t stop_timer;
static bool       running;

static uint64_t now_ns(void)
{
    return uv_hrtime();
}

static void pump(station_t *s);

static void write_cb(uv_write_t *req, int status)
{
    station_t *s = SIM_CONTAINER_OF(req, station_t, wreq);
    s->writing = false;
    if (status < 0) {
        fprintf(stderr, "bench_relay_load: write: %s\n", uv_strerror(status));
        exit(2);
    }
    pump(s);
}

static void pump(station_t *s)
{
    size_t   k = 0;
    uv_buf_t b;
    if (!running || s->writing)
        return;
    while (s->in_flight < (uint64_t)window) {
        if ((k + 1) * (size_t)(size + 4) > s->batch_cap) {
            s->batch_cap = (k + 1) * (size_t)(size + 4) * 2;
            s->batch = sim_xrealloc(s->batch, s->batch_cap);
        }
        memcpy(s->batch + k * (size_t)(size + 4), s->frame, (size_t)size + 4);
        k++;
        s->in_flight++;
    }
    if (!k)
        return;
    b = uv_buf_init(s->batch, (unsigned)(k * (size_t)(size + 4)));
    s->writing = true;
    uv_write(&s->wreq, (uv_stream_t *)&s->tcp, &b, 1, write_cb);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    station_t *s = h->data;
    (void)hint;
    if (s->in_cap - s->in_len < 65536) {
        s->in_cap = s->in_cap ? s->in_cap * 2 : 131072;
        s->in = sim_xrealloc(s->in, s->in_cap);
    }
    *b = uv_buf_init(s->in + s->in_len, (unsigned)(s->in_cap - s->in_len));
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
    station_t *s = stream->data;
    size_t     o = 0;
    int        from = (s->id + n_st - 1) % n_st;
    (void)b;
    if (nread < 0) {
        fprintf(stderr, "bench_relay_load: station %d: %s\n", s->id, uv_strerror((int)nread));
        exit(2);
    }
    s->in_len += (size_t)nread;
    while (s->in_len - o >= 4) {
        uint32_t n;
        memcpy(&n, s->in + o, 4);
        n = ntohl(n);
        if (s->in_len - o < 4 + (size_t)n)
            break;
        o += 4 + n;
        if (running)
            delivered++;
        if (st[from].in_flight)
            st[from].in_flight--;
        pump(&st[from]);
    }
    memmove(s->in, s->in + o, s->in_len - o);
    s->in_len -= o;
}

static void stop_cb(uv_timer_t *t)
{
    (void)t;
    running = false;
    t_end_ns = now_ns();
    uv_stop(loop);
}

static void connect_cb(uv_connect_t *req, int status)
{
    station_t *s = SIM_CONTAINER_OF(req, station_t, creq);
    uint32_t   hello[2] = {htonl(4), htonl((uint32_t)s->id)};
    uv_buf_t   b = uv_buf_init((char *)hello, sizeof(hello));
    if (status < 0) {
        fprintf(stderr, "bench_relay_load: connect: %s\n", uv_strerror(status));
        exit(2);
    }
    uv_tcp_nodelay(&s->tcp, 1);
    uv_try_write((uv_stream_t *)&s->tcp, &b, 1);
    uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb);
    if (++connected == n_st) {
        running = true;
        t_start_ns = now_ns();
        uv_timer_start(&stop_timer, stop_cb, (uint64_t)(duration * 1000), 0);
        for (int i = 0; i < n_st; i++)
            pump(&st[i]);
    }
}

int main(int argc, char **argv)
{
    const char        *relay = NULL;
    char               host[256];
    int                port;
    struct sockaddr_in addr;
    struct rusage      ru;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--relay") == 0 && i + 1 < argc)
            relay = argv[++i];
        else if (strcmp(argv[i], "--stations") == 0 && i + 1 < argc)
            n_st = atoi(argv[++i]);
        else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
            size = atoi(argv[++i]);
        else if (strcmp(argv[i], "--window") == 0 && i + 1 < argc)
            window = atoi(argv[++i]);
        else if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc)
            duration = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_relay_load --relay HOST:PORT [--stations N] "
                            "[--size BYTES] [--window W] [--duration S]\n");
            return 2;
        }
    }
    if (!relay || sscanf(relay, "%255[^:]:%d", host, &port) != 2 || n_st < 2 || size < 8 ||
        window < 1 || duration <= 0) {
        fprintf(stderr, "bench_relay_load: need --relay HOST:PORT and sane numbers\n");
        return 2;
    }
    loop = uv_default_loop();
    uv_timer_init(loop, &stop_timer);
    uv_ip4_addr(host, port, &addr);
    st = sim_xcalloc((size_t)n_st, sizeof(*st));
    for (int i = 0; i < n_st; i++) {
        station_t *s = &st[i];
        uint32_t   len = htonl((uint32_t)size), dest;
        s->id = i;
        s->dest = (i + 1) % n_st;
        dest = htonl((uint32_t)s->dest);
        s->frame = sim_xcalloc(1, (size_t)size + 4);
        memcpy(s->frame, &len, 4);
        memcpy(s->frame + 4, &dest, 4);
        memset(s->frame + 8, 'C', (size_t)size - 4);
        uv_tcp_init(loop, &s->tcp);
        s->tcp.data = s;
        uv_tcp_connect(&s->creq, &s->tcp, (const struct sockaddr *)&addr, connect_cb);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"stations\":%d,\"size\":%d,\"window\":%d,\"duration_s\":%.3f,\"delivered\":%llu,"
           "\"frames_per_s\":%.0f,\"load_cpu_s\":%.3f}\n",
           n_st, size, window, (double)(t_end_ns - t_start_ns) / 1e9,
           (unsigned long long)delivered,
           (double)delivered / ((double)(t_end_ns - t_start_ns) / 1e9),
           (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
    return 0;
}
