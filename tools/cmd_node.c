/*
 * cmd_node.c - cablesim node: one station host of a network as its own
 * process (the stations the network file gives host NAME), replaying a
 * corpus or staying quiet, in virtual time (--asap) or scaled time.
 */
#include "cli.h"
#include "network.h"
#include "node_host.h"
#include "gen_opts.h"
#include "node_replay.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <uv.h>

static void node_usage(FILE *out)
{
    fprintf(out,
            "usage: cablesim node --network FILE --host NAME [--replay PATH | --gen-rate R]\n"
            "                     [--log DIR] [--asap | --speed X] [--no-link-model]\n\n"
            "Run the station host NAME of the network FILE: every station whose 'host' is\n"
            "NAME (default: its router's name) connects to its router, originates the\n"
            "cables of the replay (or of the generator) that are its own at their DTGs,\n"
            "receives, deduplicates, reassembles sections, acknowledges and keeps its\n"
            "received log.\n\n"
            "Options:\n"
            "  --network FILE   the network file (YAML)\n"
            "  --host NAME      which host this is\n"
            "  --replay PATH    the corpus to replay (file, folder or -); every host of a\n"
            "                   run is given the same one and originates its own cables\n"
            GEN_OPTS_HELP
            "  --log DIR        write the host's log to DIR (created when missing)\n"
            "  --asap           virtual time, deterministic; ends when the run is over\n"
            "  --speed X        scaled time, X sim seconds per wall second (default 1)\n"
            "  --sim-start UTC  (with --speed) the sim-time of the start, e.g.\n"
            "                   2009-03-02T00:00:00Z (default: the replay's first DTG)\n"
            "  --wall-start UTC (with --speed) the wall-clock instant the sim-time of the\n"
            "                   start is reached (default: when this process starts); give\n"
            "                   every router and host the same pair: one sim clock\n"
            "  --no-link-model  no link speeds or latencies\n"
            "  -h, --help       this help\n\n"
            "Progress on stderr: when every station is connected to its router (and every\n"
            "10 s until then), then the originations and deliveries every 10 s.\n"
            "Stop with SIGINT/SIGTERM (an --asap host exits 0 by itself at the end).\n"
            "Exit: 0 after a clean stop, 2 on a usage or start-up error.\n");
}

typedef struct node_run {
    uv_loop_t    loop;
    uv_signal_t  sigint, sigterm;
    uv_timer_t   progress;
    node_host_t *host;
    const char  *name;
    bool         all_up;
    uint64_t     t0_ms, last_ms, last_delivered, last_originated;
} node_run_t;

/* Once a second: say when every station is up (a big host takes seconds),
 * and what was originated and delivered, every 10 s while it changes. */
static void progress_cb(uv_timer_t *t)
{
    node_run_t       *n = t->data;
    node_host_stats_t st;
    uint64_t          now = uv_now(&n->loop);
    node_host_stats(n->host, &st);
    if (!n->all_up && st.up == st.stations) {
        n->all_up = true;
        fprintf(stderr, "host %s: all %u stations connected in %.1f s\n", n->name, st.stations,
                (double)(now - n->t0_ms) / 1000.0);
        n->last_ms = now;
        return;
    }
    if (now - n->last_ms < 10000)
        return;
    n->last_ms = now;
    if (!n->all_up) {
        fprintf(stderr, "host %s: %u of %u stations connected\n", n->name, st.up, st.stations);
    } else if (st.delivered != n->last_delivered || st.originated != n->last_originated) {
        fprintf(stderr, "host %s: originated %llu of %llu, delivered %llu\n", n->name,
                (unsigned long long)st.originated, (unsigned long long)st.to_originate,
                (unsigned long long)st.delivered);
        n->last_delivered = st.delivered;
        n->last_originated = st.originated;
    }
}

static void stopped_cb(void *ud)
{
    node_run_t *n = ud;
    uv_close((uv_handle_t *)&n->sigint, NULL);
    uv_close((uv_handle_t *)&n->sigterm, NULL);
    uv_close((uv_handle_t *)&n->progress, NULL);
}

static void stop(node_run_t *n)
{
    node_host_stop(n->host, stopped_cb, n);
}

static void end_cb(void *ud)
{
    stop(ud);
}

static void signal_cb(uv_signal_t *h, int sig)
{
    (void)sig;
    stop(h->data);
}

int cmd_node(int argc, char **argv)
{
    static const struct option opts[] = {
        {"network", required_argument, NULL, 'n'}, {"host", required_argument, NULL, 'H'},
        {"replay", required_argument, NULL, 'r'},  {"log", required_argument, NULL, 'L'},
        {"asap", no_argument, NULL, 'a'},          {"speed", required_argument, NULL, 's'},
        {"no-link-model", no_argument, NULL, 'x'}, {"help", no_argument, NULL, 'h'},
        {"sim-start", required_argument, NULL, 'S'}, {"wall-start", required_argument, NULL, 'W'},
        GEN_OPTS_LONG,                             {NULL, 0, NULL, 0},
    };
    const char      *network = NULL, *replay = NULL;
    char             err[1024];
    node_host_opts_t o;
    net_errors_t     errs = {0};
    net_network_t   *net;
    node_replay_t    rp;
    node_run_t       n;
    node_host_stats_t st;
    int              ch, rc;
    bool             speed_opt = false;
    gen_opts_t       gen;

    memset(&o, 0, sizeof(o));
    memset(&rp, 0, sizeof(rp));
    o.speed = 1.0;
    gen_opts_init(&gen);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if ((rc = gen_opts_take(&gen, "node", ch, optarg)) != 0) {
            if (rc != 1)
                return rc;
            continue;
        }
        switch (ch) {
        case 'n': network = optarg; break;
        case 'H': o.name = optarg; break;
        case 'r': replay = optarg; break;
        case 'L': o.log_dir = optarg; break;
        case 'a': o.asap = true; break;
        case 's': {
            char *end;
            o.speed = strtod(optarg, &end);
            if (*end || !(o.speed > 0))
                return cli_usage_error("node", "--speed takes a number above 0, not '%s'",
                                       optarg);
            speed_opt = true;
            break;
        }
        case 'x': o.no_link_model = true; break;
        case 'S':
        case 'W':
            if (cli_clock_opt("node", ch, optarg, &o.start, &o.wall_start_us) != 0)
                return CLI_USAGE;
            speed_opt = true;
            break;
        case 'h': node_usage(stdout); return CLI_OK;
        default: node_usage(stderr); return CLI_USAGE;
        }
    }
    if (!network || !o.name)
        return cli_usage_error("node", "--network FILE and --host NAME are required");
    if (optind != argc)
        return cli_usage_error("node", "unexpected argument '%s'", argv[optind]);
    if (o.asap && speed_opt)
        return cli_usage_error("node", "--asap excludes --speed, --sim-start and --wall-start");
    if ((rc = gen_opts_check(&gen, "node")) != 0)
        return rc;
    if (replay && gen.on)
        return cli_usage_error("node", "--replay and --gen-rate exclude each other");
    net = net_load(network, &errs);
    if (!net) {
        net_errors_fprint(stderr, network, &errs);
        net_errors_destroy(&errs);
        return CLI_USAGE;
    }
    if ((replay && node_replay_load(&rp, replay, net, err, sizeof(err)) < 0) ||
        (gen.on && node_replay_generate(&rp, net, &gen.g, err, sizeof(err)) < 0)) {
        fprintf(stderr, "cablesim node: %s\n", err);
        net_free(net);
        return CLI_USAGE;
    }
    if (o.log_dir && mkdir(o.log_dir, 0777) < 0 && errno != EEXIST) {
        fprintf(stderr, "cablesim node: cannot create %s: %s\n", o.log_dir, strerror(errno));
        node_replay_free(&rp);
        net_free(net);
        return CLI_USAGE;
    }
    cli_raise_nofile(); /* many stations, one socket each */
    o.net = net;
    o.replay = replay || gen.on ? &rp : NULL;
    o.on_end = end_cb;
    o.end_ud = &n;
    signal(SIGPIPE, SIG_IGN);
    memset(&n, 0, sizeof(n));
    uv_loop_init(&n.loop);
    if (node_host_start(&n.host, &n.loop, &o, err, sizeof(err)) < 0) {
        fprintf(stderr, "cablesim node: %s\n", err);
        uv_loop_close(&n.loop);
        node_replay_free(&rp);
        net_free(net);
        return CLI_USAGE;
    }
    uv_signal_init(&n.loop, &n.sigint);
    uv_signal_init(&n.loop, &n.sigterm);
    n.sigint.data = n.sigterm.data = &n;
    uv_signal_start(&n.sigint, signal_cb, SIGINT);
    uv_signal_start(&n.sigterm, signal_cb, SIGTERM);
    n.name = o.name;
    n.t0_ms = n.last_ms = uv_now(&n.loop);
    uv_timer_init(&n.loop, &n.progress);
    n.progress.data = &n;
    uv_timer_start(&n.progress, progress_cb, 100, 1000);
    uv_run(&n.loop, UV_RUN_DEFAULT);
    node_host_stats(n.host, &st);
    fprintf(stderr, "host %s: stopped: %u stations, originated %llu, delivered %llu, "
                    "duplicates suppressed %llu, time reports %llu\n",
            o.name, st.stations, (unsigned long long)st.originated,
            (unsigned long long)st.delivered, (unsigned long long)st.duplicates,
            (unsigned long long)st.reports);
    node_host_free(n.host);
    uv_loop_close(&n.loop);
    node_replay_free(&rp);
    net_free(net);
    return CLI_OK;
}
