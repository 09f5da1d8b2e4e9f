/*
 * cmd_router.c - cablesim router: one router of a network as a daemon.
 * Prints "listening on HOST:PORT" (flushed) on stdout once it accepts
 * connections; SIGINT/SIGTERM stop it cleanly with everything pending kept
 * in its journal.
 */
#include "cli.h"
#include "network.h"
#include "rtr_server.h"

#include <getopt.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static void router_usage(FILE *out)
{
    fprintf(out,
            "usage: cablesim router --network FILE --name NAME [--listen HOST:PORT]\n"
            "                       [--journal DIR] [--log DIR] [--asap | --speed X] [--no-link-model]\n\n"
            "Run router NAME of the network FILE: accept stations and trunks over TCP, journal\n"
            "every cable before acknowledging it, route it by its routing indicators and\n"
            "precedence, and keep a delivery log.\n\n"
            "Options:\n"
            "  --network FILE     the network file (YAML)\n"
            "  --name NAME        which of its routers this is\n"
            "  --listen HOST:PORT listen here instead of the network file's address\n"
            "  --journal DIR      the store-and-forward journal (default ./NAME.journal);\n"
            "                     created when missing, recovered on start\n"
            "  --log DIR          write the delivery log to DIR/NAME.dlog\n"
            "  --speed X          sim seconds per wall second (default 1)\n"
            "  --sim-start UTC    (with --speed) the sim-time of the start, e.g.\n"
            "                     2009-03-02T00:00:00Z (default: the wall clock's now)\n"
            "  --wall-start UTC   (with --speed) the wall-clock instant the sim-time of the\n"
            "                     start is reached (default: when this process starts);\n"
            "                     give every router and host the same pair: one sim clock\n"
            "  --asap             virtual time, as fast as possible, deterministic: every\n"
            "                     party of the network (routers, 'cablesim node' hosts) must\n"
            "                     run; the network's first router keeps time; exits 0 when\n"
            "                     the run is over\n"
            "  --no-link-model    ignore link speeds and latencies: run at wire speed\n"
            "  --prealloc         preallocate journal segments\n"
            "  --max-conns N      connections at most (a flood cap; default: the open-file\n"
            "                     limit, raised to its maximum, less 64, at least 4096)\n"
            "  --heartbeat-ms N   heartbeat interval in ms (default 2000); a peer silent for\n"
            "                     3 intervals is closed as half-open (tests use a short one)\n"
            "  -h, --help         this help\n\n"
            "Exit: 0 after a clean stop (SIGINT/SIGTERM, or the end of an --asap run),\n"
            "2 on a usage or start-up error.\n");
}

typedef struct router_run {
    uv_loop_t      loop;
    uv_signal_t    sigint, sigterm;
    rtr_server_t  *srv;
    bool           stopped;
} router_run_t;

static void stopped_cb(void *ud)
{
    router_run_t *r = ud;
    r->stopped = true;
    uv_close((uv_handle_t *)&r->sigint, NULL);
    uv_close((uv_handle_t *)&r->sigterm, NULL);
}

static void signal_cb(uv_signal_t *h, int sig)
{
    router_run_t *r = h->data;
    (void)sig;
    rtr_server_stop(r->srv, stopped_cb, r);
}

/* An --asap run is over: stop as on a signal. */
static void end_cb(void *ud)
{
    router_run_t *r = ud;
    rtr_server_stop(r->srv, stopped_cb, r);
}

int cmd_router(int argc, char **argv)
{
    static const struct option opts[] = {
        {"network", required_argument, NULL, 'n'}, {"name", required_argument, NULL, 'N'},
        {"listen", required_argument, NULL, 'l'},  {"journal", required_argument, NULL, 'j'},
        {"log", required_argument, NULL, 'L'},     {"speed", required_argument, NULL, 's'},
        {"no-link-model", no_argument, NULL, 'x'}, {"prealloc", no_argument, NULL, 'p'},
        {"heartbeat-ms", required_argument, NULL, 'H'}, {"asap", no_argument, NULL, 'a'},
        {"sim-start", required_argument, NULL, 'S'}, {"wall-start", required_argument, NULL, 'W'},
        {"max-conns", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char       *network = NULL, *name = NULL;
    char              journal[1024] = "", addr[300], err[1024];
    rtr_server_opts_t o;
    net_errors_t      errs = {0};
    net_network_t    *net;
    router_run_t      r;
    int               ch, rc;
    bool              speed_opt = false;
    int32_t           idx;
    rtr_server_stats_t st;

    memset(&o, 0, sizeof(o));
    o.speed = 1.0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'n': network = optarg; break;
        case 'N': name = optarg; break;
        case 'l': o.listen = optarg; break;
        case 'j': snprintf(journal, sizeof(journal), "%s", optarg); break;
        case 'L': o.log_dir = optarg; break;
        case 's': {
            char *end;
            o.speed = strtod(optarg, &end);
            if (*end || !(o.speed > 0))
                return cli_usage_error("router", "--speed takes a number above 0, not '%s'",
                                       optarg);
            speed_opt = true;
            break;
        }
        case 'x': o.no_link_model = true; break;
        case 'C': {
            char         *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || end == optarg || optarg[0] == '-' || v < 1 || v > 10000000)
                return cli_usage_error("router", "--max-conns takes a number from 1 to "
                                       "10000000, not '%s'", optarg);
            o.max_conns = (uint32_t)v;
            break;
        }
        case 'a': o.asap = true; break;
        case 'p': o.prealloc = true; break;
        case 'S':
        case 'W':
            if (cli_clock_opt("router", ch, optarg, &o.start, &o.wall_start_us) != 0)
                return CLI_USAGE;
            speed_opt = true;
            break;
        case 'H': {
            char         *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || v < 10 || v > 600000)
                return cli_usage_error("router", "--heartbeat-ms takes 10 to 600000, not '%s'",
                                       optarg);
            o.heartbeat_ms = (uint32_t)v;
            break;
        }
        case 'h': router_usage(stdout); return CLI_OK;
        default: router_usage(stderr); return CLI_USAGE;
        }
    }
    if (!network || !name)
        return cli_usage_error("router", "--network FILE and --name NAME are required");
    if (optind != argc)
        return cli_usage_error("router", "unexpected argument '%s'", argv[optind]);
    if (o.asap && speed_opt)
        return cli_usage_error("router", "--asap excludes --speed, --sim-start and --wall-start");
    cli_raise_nofile(); /* a router serves many stations, one socket each */
    net = net_load(network, &errs);
    if (!net) {
        net_errors_fprint(stderr, network, &errs);
        net_errors_destroy(&errs);
        return CLI_USAGE;
    }
    idx = net_router_by_name(net, name);
    if (idx < 0) {
        fprintf(stderr, "cablesim router: no router '%s' in %s (it has:", name, network);
        for (uint32_t i = 0; i < net->n_routers; i++)
            fprintf(stderr, " %s", net->routers[i].name);
        fprintf(stderr, ")\n");
        net_free(net);
        return CLI_USAGE;
    }
    if (!journal[0])
        snprintf(journal, sizeof(journal), "%s.journal", name);
    o.net = net;
    o.router = (uint32_t)idx;
    o.journal_dir = journal;
    o.on_end = end_cb;
    o.end_ud = &r;
    signal(SIGPIPE, SIG_IGN);
    memset(&r, 0, sizeof(r));
    uv_loop_init(&r.loop);
    rc = rtr_server_start(&r.srv, &r.loop, &o, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "cablesim router: %s\n", err);
        uv_loop_close(&r.loop);
        net_free(net);
        return CLI_USAGE;
    }
    uv_signal_init(&r.loop, &r.sigint);
    uv_signal_init(&r.loop, &r.sigterm);
    r.sigint.data = r.sigterm.data = &r;
    uv_signal_start(&r.sigint, signal_cb, SIGINT);
    uv_signal_start(&r.sigterm, signal_cb, SIGTERM);
    rtr_server_address(r.srv, addr, sizeof(addr));
    printf("listening on %s\n", addr);
    fflush(stdout);
    uv_run(&r.loop, UV_RUN_DEFAULT);
    rtr_server_stats(r.srv, &st);
    {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        fprintf(stderr,
                "router %s: stopped: accepted %llu, copies delivered %llu, duplicates %llu, "
                "still queued %llu (kept in the journal), fdatasyncs %llu, cpu %.3f s, "
                "max rss %ld KiB\n",
                name, (unsigned long long)st.accepted, (unsigned long long)st.delivered_copies,
                (unsigned long long)st.duplicates, (unsigned long long)st.queued,
                (unsigned long long)st.fdatasyncs,
                (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
                ru.ru_maxrss);
    }
    rtr_server_free(r.srv);
    uv_loop_close(&r.loop);
    net_free(net);
    return CLI_OK;
}
