/*
 * cmd_load.c - cablesim load: drive N stations through a router and prove
 * that nothing was lost or delivered twice, with throughput and latency per
 * precedence. Without --router it starts its own router process (journal
 * on, no link model, real time) on a generated network of N stations.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "cli.h"
#include "cable_gen.h"
#include "network.h"
#include "node_load.h"

#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

static void load_usage(FILE *out)
{
    fprintf(out,
            "usage: cablesim load [--router HOST:PORT --network FILE] [--stations N]\n"
            "                     [--rate R] [--duration S] [--drain S] [--size BYTES]\n"
            "                     [--mix Z:1,O:9,P:30,R:60] [--seed S] [--window W] [--queue Q]\n"
            "                     [--json]\n\n"
            "Drive N stations through a router: each originates generated cables to the\n"
            "others, keeping at most W unacknowledged; then check every expected delivery\n"
            "arrived exactly once.\n\n"
            "Options:\n"
            "  --router HOST:PORT  use a running router; its stations come from --network\n"
            "                      (the first N homed on it, sending only to each other).\n"
            "                      Without it a router process is started (journal on, no\n"
            "                      link model) on a generated network of N stations.\n"
            "  --network FILE      the network file (with --router)\n"
            "  --stations N        stations to play (default 64)\n"
            "  --rate R            cables per second over all stations (default: as fast as\n"
            "                      the router accepts)\n"
            "  --duration S        seconds of sending (default 10)\n"
            "  --drain S           then up to S seconds for the rest to arrive (default 30)\n"
            "  --size BYTES        bytes per cable (default 1024)\n"
            "  --mix M             precedence mix (default Z:1,O:9,P:30,R:60)\n"
            "  --seed S            generator seed (default 1)\n"
            "  --window W          unacknowledged cables per station (default 100)\n"
            "  --queue Q           each station also holds up to Q cables made but waiting\n"
            "                      for its window, in precedence order (a FLASH passes its\n"
            "                      station's ROUTINE backlog). The queues are filled before\n"
            "                      the window opens; latency counts from then for that\n"
            "                      backlog, from the making for later cables. Default 0: a\n"
            "                      cable is made when the window has room\n"
            "  --journal DIR       the started router's journal (default: a temporary folder)\n"
            "  --single            one TO addressee and no INFO per cable, so that a cable\n"
            "                      is one delivery (still --size bytes); default: the\n"
            "                      generated addressees\n"
            "  --json              one JSON object: total and by_precedence\n"
            "  --progress          a line per second on stderr\n"
            "  -h, --help          this help\n\n"
            "sent counts distinct cables originated; throughput_cps is cables delivered during\n"
            "the sending window divided by its length. Exit: 0 nothing lost or duplicated,\n"
            "1 a loss or a duplicate, 2 usage or I/O error.\n");
}

/* --- the router child process ------------------------------------------ */

typedef struct child {
    uv_process_t proc;
    uv_pipe_t    out;
    char         line[512];
    size_t       len;
    int          port;
    bool         exited, ready;
    int64_t      status;
} child_t;

static void child_exit(uv_process_t *p, int64_t status, int sig)
{
    child_t *c = p->data;
    c->exited = true;
    c->status = sig ? 128 + sig : status;
    uv_close((uv_handle_t *)p, NULL);
}

static void out_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    child_t *c = h->data;
    (void)hint;
    *b = uv_buf_init(c->line + c->len, (unsigned)(sizeof(c->line) - 1 - c->len));
}

static void out_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    child_t *c = s->data;
    char    *nl;
    (void)b;
    if (n < 0) {
        uv_close((uv_handle_t *)s, NULL);
        return;
    }
    c->len += (size_t)n;
    c->line[c->len] = '\0';
    if (!c->ready && (nl = strchr(c->line, '\n')) != NULL) {
        const char *colon = strrchr(c->line, ':');
        if (strncmp(c->line, "listening on ", 13) == 0 && colon && colon < nl) {
            c->port = atoi(colon + 1);
            c->ready = true;
        }
        c->len = 0;
    }
    if (c->len >= sizeof(c->line) - 1)
        c->len = 0;
}

static int start_router(uv_loop_t *loop, child_t *c, const char *net_path, const char *journal,
                        char *err, size_t errlen)
{
    char                  exe[4096];
    ssize_t               n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char                 *args[] = {exe,          "router",      "--network", (char *)net_path,
                                    "--name",     "load-switch", "--listen",  "127.0.0.1:0",
                                    "--journal",  (char *)journal, "--no-link-model", NULL};
    uv_process_options_t  po;
    uv_stdio_container_t  io[3];
    int                   rc;
    if (n <= 0) {
        snprintf(err, errlen, "cannot find the cablesim binary");
        return SIM_EIO;
    }
    exe[n] = '\0';
    memset(&po, 0, sizeof(po));
    uv_pipe_init(loop, &c->out, 0);
    c->out.data = c;
    io[0].flags = UV_IGNORE;
    io[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    io[1].data.stream = (uv_stream_t *)&c->out;
    io[2].flags = UV_INHERIT_FD;
    io[2].data.fd = 2;
    po.file = exe;
    po.args = args;
    po.exit_cb = child_exit;
    po.stdio = io;
    po.stdio_count = 3;
    c->proc.data = c;
    rc = uv_spawn(loop, &c->proc, &po);
    if (rc < 0) {
        snprintf(err, errlen, "cannot start the router: %s", uv_strerror(rc));
        uv_close((uv_handle_t *)&c->out, NULL);
        return SIM_EIO;
    }
    uv_read_start((uv_stream_t *)&c->out, out_alloc, out_read);
    while (!c->ready && !c->exited)
        uv_run(loop, UV_RUN_ONCE);
    if (!c->ready) {
        snprintf(err, errlen, "the router process ended before listening");
        return SIM_EIO;
    }
    return 0;
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* --- output -------------------------------------------------------------- */

static json_t *counts_json(const node_load_counts_t *c)
{
    json_t *o = json_object(), *l = json_object();
    json_object_set_new(o, "sent", json_integer((json_int_t)c->sent));
    json_object_set_new(o, "expected", json_integer((json_int_t)c->expected));
    json_object_set_new(o, "delivered", json_integer((json_int_t)c->delivered));
    json_object_set_new(o, "lost", json_integer((json_int_t)c->lost));
    json_object_set_new(o, "duplicates", json_integer((json_int_t)c->duplicates));
    json_object_set_new(o, "suppressed", json_integer((json_int_t)c->suppressed));
    json_object_set_new(o, "throughput_cps", json_real(c->throughput_cps));
    json_object_set_new(l, "p50", c->latency_us.p50 >= 0 ? json_integer(c->latency_us.p50) : json_null());
    json_object_set_new(l, "p99", c->latency_us.p99 >= 0 ? json_integer(c->latency_us.p99) : json_null());
    json_object_set_new(l, "p999", c->latency_us.p999 >= 0 ? json_integer(c->latency_us.p999) : json_null());
    json_object_set_new(l, "max", c->latency_us.max >= 0 ? json_integer(c->latency_us.max) : json_null());
    json_object_set_new(o, "latency_us", l);
    return o;
}

static void print_row(const char *name, const node_load_counts_t *c)
{
    printf("%-18s %9llu %9llu %6llu %5llu %11.0f %9lld %9lld %9lld %9lld\n", name,
           (unsigned long long)c->sent, (unsigned long long)c->delivered,
           (unsigned long long)c->lost, (unsigned long long)c->duplicates, c->throughput_cps,
           (long long)c->latency_us.p50, (long long)c->latency_us.p99,
           (long long)c->latency_us.p999, (long long)c->latency_us.max);
}

int cmd_load(int argc, char **argv)
{
    static const struct option opts[] = {
        {"router", required_argument, NULL, 'r'},   {"network", required_argument, NULL, 'n'},
        {"stations", required_argument, NULL, 'N'}, {"rate", required_argument, NULL, 'R'},
        {"duration", required_argument, NULL, 'd'}, {"drain", required_argument, NULL, 'D'},
        {"size", required_argument, NULL, 's'},     {"mix", required_argument, NULL, 'm'},
        {"seed", required_argument, NULL, 'S'},     {"window", required_argument, NULL, 'w'},
        {"queue", required_argument, NULL, 'Q'},
        {"journal", required_argument, NULL, 'j'},  {"json", no_argument, NULL, 'J'},
        {"progress", no_argument, NULL, 'p'},       {"single", no_argument, NULL, '1'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    node_load_opts_t   o;
    node_load_result_t res;
    const char        *router = NULL, *network = NULL, *journal = NULL;
    char               tmp[] = "/tmp/cablesim-load-XXXXXX", path[1024], jdir[1024], err[1024];
    char               host[256] = "127.0.0.1", mixbuf[128];
    uint32_t           n = 64, *stations;
    bool               json = false, made_tmp = false;
    net_network_t     *net = NULL;
    net_errors_t       errs = {0};
    uv_loop_t          loop;
    child_t            child;
    int                ch, rc = CLI_OK;

    memset(&o, 0, sizeof(o));
    memset(&child, 0, sizeof(child));
    o.duration_s = 10;
    o.drain_s = 30;
    o.size = 1024;
    o.seed = 1;
    o.window = 100;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end = NULL;
        switch (ch) {
        case 'r': router = optarg; break;
        case 'n': network = optarg; break;
        case 'N': n = (uint32_t)strtoul(optarg, &end, 10); break;
        case 'R': o.rate = strtod(optarg, &end); break;
        case 'd': o.duration_s = strtod(optarg, &end); break;
        case 'D': o.drain_s = strtod(optarg, &end); break;
        case 's': o.size = (uint32_t)strtoul(optarg, &end, 10); break;
        case 'S': o.seed = strtoull(optarg, &end, 10); break;
        case 'w': o.window = (uint32_t)strtoul(optarg, &end, 10); break;
        case 'Q': o.queue = (uint32_t)strtoul(optarg, &end, 10); break;
        case 'm':
            if (cable_gen_parse_mix(optarg, o.mix, mixbuf, sizeof(mixbuf)) < 0)
                return cli_usage_error("load", "--mix: %s", mixbuf);
            break;
        case 'j': journal = optarg; break;
        case 'J': json = true; break;
        case 'p': o.progress = true; break;
        case '1': o.single = true; break;
        case 'h': load_usage(stdout); return CLI_OK;
        default: load_usage(stderr); return CLI_USAGE;
        }
        if (end && *end)
            return cli_usage_error("load", "'%s' is not a number", optarg);
    }
    if (optind != argc)
        return cli_usage_error("load", "unexpected argument '%s'", argv[optind]);
    if (n < 2 || n > 17576)
        return cli_usage_error("load", "--stations takes 2 to 17576");
    if (o.duration_s <= 0 || o.drain_s < 0 || o.rate < 0 || o.size < 600 || o.size > 1 << 20)
        return cli_usage_error("load", "--duration > 0, --drain >= 0, --rate >= 0 and "
                                       "--size 600..1048576 please");
    if (o.window == 0 || 10000 % o.window != 0)
        return cli_usage_error("load", "--window must divide 10000 (e.g. 16, 50, 100, 500)");
    if (o.queue > 100000)
        return cli_usage_error("load", "--queue is at most 100000 cables per station");
    if ((router != NULL) != (network != NULL))
        return cli_usage_error("load", "--router and --network go together");
    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&loop);

    if (router) {
        char   *colon = strrchr(router, ':');
        int32_t ri = -1;
        if (!colon || (size_t)(colon - router) >= sizeof(host))
            return cli_usage_error("load", "--router takes HOST:PORT");
        memcpy(host, router, (size_t)(colon - router));
        host[colon - router] = '\0';
        child.port = atoi(colon + 1);
        net = net_load(network, &errs);
        if (!net) {
            for (uint32_t i = 0; i < errs.n; i++)
                fprintf(stderr, "%s:%u:%u: error: %s\n", network, errs.v[i].line, errs.v[i].col,
                        errs.v[i].message);
            net_errors_destroy(&errs);
            return CLI_USAGE;
        }
        for (uint32_t i = 0; i < net->n_routers; i++)
            if (net->routers[i].listen_port == child.port)
                ri = (int32_t)i;
        if (ri < 0 && net->n_routers == 1)
            ri = 0; /* the only router, listening elsewhere (--listen) */
        if (ri < 0) {
            fprintf(stderr, "cablesim load: no router of %s listens on port %d\n", network,
                    child.port);
            net_free(net);
            return CLI_USAGE;
        }
        stations = sim_xcalloc(n, sizeof(*stations));
        o.n_stations = 0;
        for (uint32_t i = 0; i < net->n_stations && o.n_stations < n; i++)
            if (net->stations[i].router == (uint32_t)ri)
                stations[o.n_stations++] = i;
        if (o.n_stations < n)
            fprintf(stderr, "cablesim load: %s has %u stations homed on %s; playing those\n",
                    network, o.n_stations, net->routers[ri].name);
    } else {
        char *yaml;
        FILE *f;
        if (!mkdtemp(tmp)) {
            fprintf(stderr, "cablesim load: cannot make a temporary folder\n");
            return CLI_USAGE;
        }
        made_tmp = true;
        snprintf(path, sizeof(path), "%s/network.yaml", tmp);
        snprintf(jdir, sizeof(jdir), "%s/journal", tmp);
        yaml = node_load_network_yaml("load-switch", 47999, n);
        f = fopen(path, "w");
        if (!f || fputs(yaml, f) < 0 || fclose(f) != 0) {
            fprintf(stderr, "cablesim load: cannot write %s\n", path);
            free(yaml);
            rc = CLI_USAGE;
            goto out;
        }
        net = net_load_mem(path, yaml, strlen(yaml), &errs);
        free(yaml);
        if (!net) {
            fprintf(stderr, "cablesim load: internal network invalid\n");
            rc = CLI_USAGE;
            goto out;
        }
        stations = sim_xcalloc(n, sizeof(*stations));
        for (uint32_t i = 0; i < n; i++)
            stations[i] = i;
        o.n_stations = n;
        if (start_router(&loop, &child, path, journal ? journal : jdir, err, sizeof(err)) < 0) {
            fprintf(stderr, "cablesim load: %s\n", err);
            free(stations);
            rc = CLI_USAGE;
            goto out;
        }
    }
    o.net = net;
    o.stations = stations;
    o.router_host = host;
    o.router_port = child.port;
    if (node_load_run(&loop, &o, &res, err, sizeof(err)) < 0) {
        fprintf(stderr, "cablesim load: %s\n", err);
        rc = CLI_USAGE;
    }
    free(stations);
    if (!router && !child.exited) {
        uv_process_kill(&child.proc, SIGTERM);
        while (!child.exited)
            uv_run(&loop, UV_RUN_ONCE);
    }
    if (rc == CLI_OK) {
        if (json) {
            json_t *root = json_object(), *bp = json_object();
            json_object_set_new(root, "stations", json_integer(o.n_stations));
            json_object_set_new(root, "window_s", json_real(res.window_s));
            json_object_set_new(root, "cable_bytes_mean", json_real(res.cable_bytes_mean));
            json_object_set_new(root, "total", counts_json(&res.total));
            for (int p = CABLE_PREC_Y; p >= CABLE_PREC_R; p--)
                json_object_set_new(bp, cable_prec_word((cable_prec_t)p),
                                    counts_json(&res.by_prec[p]));
            json_object_set_new(root, "by_precedence", bp);
            cli_json_print(root, 0);
            json_decref(root);
        } else {
            printf("load: %u stations, %.1f s sending, %.1f s drain, %u-byte cables "
                   "(%.0f bytes each in msgpack)\n",
                   o.n_stations, res.window_s, res.drain_s, o.size, res.cable_bytes_mean);
            printf("%-18s %9s %9s %6s %5s %11s %9s %9s %9s %9s\n", "precedence", "sent",
                   "delivered", "lost", "dup", "cables/s", "p50_us", "p99_us", "p999_us",
                   "max_us");
            for (int p = CABLE_PREC_Y; p >= CABLE_PREC_R; p--)
                print_row(cable_prec_word((cable_prec_t)p), &res.by_prec[p]);
            print_row("total", &res.total);
            printf("reconnects: %llu, resent: %llu, service messages: %llu, suppressed "
                   "repeats: %llu\n",
                   (unsigned long long)res.reconnects, (unsigned long long)res.resent,
                   (unsigned long long)res.services, (unsigned long long)res.total.suppressed);
        }
        if (res.total.lost || res.total.duplicates)
            rc = CLI_PROBLEM;
    }
out:
    uv_run(&loop, UV_RUN_DEFAULT); /* let the child's pipe and handles close */
    uv_loop_close(&loop);
    if (net)
        net_free(net);
    if (made_tmp)
        nftw(tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
