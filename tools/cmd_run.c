/*
 * cmd_run.c - cablesim run: the main job. One process starts every router
 * and station host of a network on loopback TCP (the same code and frames
 * as separate 'cablesim router' and 'cablesim node' processes), replays a
 * corpus on its DTGs, and prints the speed-of-service report and the
 * accounting line, computed from the delivery logs.
 */
#define _XOPEN_SOURCE 700
#include "cable_stream.h"
#include "cli.h"
#include "network.h"
#include "network_gen.h"
#include "node_host.h"
#include "gen_opts.h"
#include "node_replay.h"
#include "report_out.h"
#include "rtr_server.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: cablesim run [--network FILE] [--corpus PATH | --gen-rate R [--gen-count N]]\n"
            "                    [--asap | --speed X] [--no-link-model] [--log DIR] [--json]\n"
            "                    [--fail-on-objective]\n\n"
            "Replay a corpus through a simulated network: every router and station host of\n"
            "the network runs in this process over loopback TCP; each cable is originated by\n"
            "its station at its DTG, routed by its addressees, journaled hop by hop and\n"
            "delivered. The end is a speed-of-service report per precedence and the line\n"
            "  originated: N, expected deliveries: N, delivered: N, duplicates: N, lost: N\n\n"
            "Options:\n"
            "  --network FILE      the network (default: the bundled sample's, or with\n"
            "                      --corpus alone a network generated from the corpus)\n"
            "  --corpus PATH       cables to replay: a file, a folder or - (default: the\n"
            "                      bundled sample's 500 cables)\n"
            "  --gen-rate R        generated traffic instead of a corpus: R messages per\n"
            "                      sim-second across the network, Poisson arrivals (on\n"
            "                      the bundled sample's network unless --network)\n"
            "  --gen-count N       how many messages (default 1000)\n"
            "  --gen-seed S        the generator's seed (default 1)\n"
            "  --gen-mix MIX       precedence mix, e.g. Z:1,O:9,P:30,R:60 (the default)\n"
            "  --asap              virtual time, as fast as possible, deterministic (default)\n"
            "  --speed X           scaled wall clock: X sim seconds per wall second\n"
            "  --no-link-model     no link speeds (in --asap every hop still takes 1 ms)\n"
            "  --log DIR           keep the delivery logs in DIR (for 'cablesim log',\n"
            "                      'trace' and 'report'); created when missing\n"
            "  --json              the report as one JSON object\n"
            "  --fail-on-objective exit 1 when a delivery misses its objective\n"
            "  -h, --help          this help\n\n"
            "Progress goes to stderr (a live line on a terminal), the report to stdout.\n"
            "Exit: 0 when nothing was lost or duplicated, 1 otherwise, 2 on a usage or\n"
            "I/O error.\n");
}

typedef struct run {
    uv_loop_t      loop;
    uv_timer_t     progress;
    uv_signal_t    sigint;
    net_network_t *net;
    node_replay_t  replay;
    rtr_server_t **routers;
    node_host_t  **hosts;
    const char   **host_names;
    uint32_t       n_routers, n_hosts, ended, stopped, to_stop;
    bool           asap, tty, stopping, interrupted;
    uint64_t       t0_ns, last_plain_ns, idle_since_ns, last_delivered;
    double         speed;
    sim_time_t     sim_start;  /* scaled: the shared clock's anchor */
    int64_t        wall_start;
} run_t;

static void stopped_one(void *ud)
{
    run_t *r = ud;
    if (++r->stopped == r->to_stop) {
        uv_close((uv_handle_t *)&r->progress, NULL);
        uv_close((uv_handle_t *)&r->sigint, NULL);
    }
}

static void stop_all(run_t *r)
{
    if (r->stopping)
        return;
    r->stopping = true;
    uv_timer_stop(&r->progress);
    r->to_stop = r->n_routers + r->n_hosts;
    for (uint32_t i = 0; i < r->n_hosts; i++)
        node_host_stop(r->hosts[i], stopped_one, r);
    for (uint32_t i = 0; i < r->n_routers; i++)
        rtr_server_stop(r->routers[i], stopped_one, r);
}

static void party_ended(void *ud)
{
    run_t *r = ud;
    if (++r->ended == r->n_routers + r->n_hosts)
        stop_all(r);
}

static void sigint_cb(uv_signal_t *h, int sig)
{
    run_t *r = h->data;
    (void)sig;
    r->interrupted = true;
    fprintf(stderr, "\ncablesim run: interrupted; the report covers what was done\n");
    stop_all(r);
}

static void progress_cb(uv_timer_t *t)
{
    run_t            *r = t->data;
    node_host_stats_t sum, st;
    uint64_t          now = uv_hrtime();
    double            el = (double)(now - r->t0_ns) / 1e9, rate;
    char              clk[32] = "-";
    sim_time_t        simnow = INT64_MIN;
    memset(&sum, 0, sizeof(sum));
    for (uint32_t i = 0; i < r->n_hosts; i++) {
        node_host_stats(r->hosts[i], &st);
        sum.originated += st.originated;
        sum.to_originate += st.to_originate;
        sum.delivered += st.delivered;
        sum.duplicates += st.duplicates;
        sum.up += st.up;
        sum.stations += st.stations;
        simnow = SIM_MAX(simnow, st.now);
    }
    if (simnow > INT64_MIN / 8) {
        cable_dtg_t d = cable_dtg_from_epoch(simnow / SIM_USEC_PER_SEC);
        cable_dtg_iso(&d, clk);
    }
    rate = el > 0 ? (double)sum.originated / el : 0;
    if (r->tty) {
        double eta = rate > 0 ? (double)(sum.to_originate - sum.originated) / rate : 0;
        fprintf(stderr,
                "\r  %llu/%llu originated, %llu delivered, %.0f cables/s, sim %s, "
                "stations up %u/%u, ETA %.0f s   ",
                (unsigned long long)sum.originated, (unsigned long long)sum.to_originate,
                (unsigned long long)sum.delivered, rate, clk, sum.up, sum.stations, eta);
    } else if (now - r->last_plain_ns >= 5000000000ull) {
        r->last_plain_ns = now;
        fprintf(stderr, "run: %llu/%llu originated, %llu delivered, %.0f cables/s, sim %s\n",
                (unsigned long long)sum.originated, (unsigned long long)sum.to_originate,
                (unsigned long long)sum.delivered, rate, clk);
    }
    if (!r->asap) {
        /* Scaled time has no keeper: done when everything was originated and
         * the deliveries stopped coming for a while (10 s of wall time). */
        if (sum.delivered != r->last_delivered) {
            r->last_delivered = sum.delivered;
            r->idle_since_ns = now;
        }
        if (sum.originated == sum.to_originate && now - r->idle_since_ns > 10000000000ull &&
            now - r->t0_ns > 2000000000ull)
            stop_all(r);
    }
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static bool has_logs(const char *dir)
{
    DIR           *d = opendir(dir);
    struct dirent *e;
    bool           found = false;
    if (!d)
        return false;
    while (!found && (e = readdir(d)))
        found = strlen(e->d_name) > 5 && strcmp(e->d_name + strlen(e->d_name) - 5, ".dlog") == 0;
    closedir(d);
    return found;
}

static net_network_t *load_network(const char *network, const char *corpus)
{
    net_errors_t   errs = {0};
    net_network_t *net;
    if (network) {
        net = net_load(network, &errs);
        if (!net)
            net_errors_fprint(stderr, network, &errs);
    } else {
        cable_corpus_t  cp;
        char            err[512], *yaml = NULL;
        size_t          len = 0;
        net_gen_stats_t st;
        int             rc;
        cable_corpus_init(&cp);
        if (cable_corpus_add(&cp, corpus, err, sizeof(err)) < 0) {
            fprintf(stderr, "cablesim run: %s\n", err);
            cable_corpus_destroy(&cp);
            return NULL;
        }
        rc = net_gen_from_corpus(&cp, NULL, &yaml, &len, &st, &errs);
        cable_corpus_destroy(&cp);
        if (rc < 0) {
            fprintf(stderr, "cablesim run: cannot generate a network from %s: %s\n", corpus,
                    sim_strerror(rc));
            free(yaml);
            net_errors_destroy(&errs);
            return NULL;
        }
        fprintf(stderr, "run: network generated from %s: %u routers, %u stations\n", corpus,
                st.routers, st.stations);
        net = net_load_mem("generated network", yaml, len, &errs);
        free(yaml);
        if (!net)
            net_errors_fprint(stderr, "generated network", &errs);
    }
    net_errors_destroy(&errs);
    return net;
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"network", required_argument, NULL, 'n'}, {"corpus", required_argument, NULL, 'c'},
        {"asap", no_argument, NULL, 'a'},          {"speed", required_argument, NULL, 's'},
        {"no-link-model", no_argument, NULL, 'x'}, {"log", required_argument, NULL, 'L'},
        {"json", no_argument, NULL, 'j'},          {"fail-on-objective", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},          GEN_OPTS_LONG,
        {NULL, 0, NULL, 0},
    };
    const char    *network = NULL, *corpus = NULL, *log_dir = NULL;
    gen_opts_t     gen;
    bool           json = false, fail_obj = false, no_link = false, asap_opt = false;
    char           tmp[512] = "", logs[600], err[1024], sample_c[1024], sample_n[1024];
    run_t          r;
    int            ch, rc = CLI_OK;
    rtr_dlog_set_t set;
    node_report_t  rep;
    size_t         torn = 0;

    memset(&r, 0, sizeof(r));
    r.asap = true;
    r.speed = 1;
    gen_opts_init(&gen);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if ((rc = gen_opts_take(&gen, "run", ch, optarg)) != 0) {
            if (rc != 1)
                return rc;
            rc = CLI_OK;
            continue;
        }
        switch (ch) {
        case 'n': network = optarg; break;
        case 'c': corpus = optarg; break;
        case 'a': asap_opt = true; break;
        case 's': {
            char *end;
            r.speed = strtod(optarg, &end);
            if (*end || !(r.speed > 0))
                return cli_usage_error("run", "--speed takes a number above 0, not '%s'", optarg);
            r.asap = false;
            break;
        }
        case 'x': no_link = true; break;
        case 'L': log_dir = optarg; break;
        case 'j': json = true; break;
        case 'f': fail_obj = true; break;
        case 'h': run_usage(stdout); return CLI_OK;
        default: run_usage(stderr); return CLI_USAGE;
        }
    }
    if (optind != argc)
        return cli_usage_error("run", "unexpected argument '%s'", argv[optind]);
    if (asap_opt && !r.asap)
        return cli_usage_error("run", "--asap and --speed exclude each other");
    if ((rc = gen_opts_check(&gen, "run")) != 0)
        return rc;
    if (corpus && gen.on)
        return cli_usage_error("run", "--corpus and --gen-rate exclude each other");
    if (log_dir && has_logs(log_dir)) {
        /* The report is made from every log of the folder: another run's
         * would be counted too. */
        fprintf(stderr, "cablesim run: %s already holds delivery logs; give a new or "
                        "empty folder to --log\n", log_dir);
        return CLI_USAGE;
    }
    {
        const char *p = cli_sample_path("cables");
        snprintf(sample_c, sizeof(sample_c), "%s", p ? p : "");
        p = cli_sample_path("network.yaml");
        snprintf(sample_n, sizeof(sample_n), "%s", p ? p : "");
    }
    if (gen.on) {
        if (!network && !sample_n[0]) {
            fprintf(stderr, "cablesim run: the bundled sample network was not found; "
                            "give --network\n");
            return CLI_USAGE;
        }
        if (!network)
            network = sample_n;
    } else if (!corpus) {
        if (!sample_c[0]) {
            fprintf(stderr, "cablesim run: the bundled sample corpus was not found; "
                            "give --corpus\n");
            return CLI_USAGE;
        }
        corpus = sample_c;
        if (!network && sample_n[0])
            network = sample_n;
    }
    r.net = load_network(network, corpus);
    if (!r.net)
        return CLI_USAGE;
    if (gen.on ? node_replay_generate(&r.replay, r.net, &gen.g, err, sizeof(err)) < 0
               : node_replay_load(&r.replay, corpus, r.net, err, sizeof(err)) < 0) {
        fprintf(stderr, "cablesim run: %s\n", err);
        net_free(r.net);
        return CLI_USAGE;
    }
    if (r.replay.skipped) {
        fprintf(stderr, "run: %zu of %zu corpus entries are not replayed; the first:\n",
                r.replay.skipped, r.replay.entries);
        for (uint32_t i = 0; i < r.replay.n_first_skip; i++)
            fprintf(stderr, "  %s\n", r.replay.first_skip[i]);
    }
    fprintf(stderr, "run: %zu cables to replay (%zu input duplicates), %llu deliveries expected, "
                    "%u routers, %u stations, %s\n",
            r.replay.n, r.replay.input_duplicates, (unsigned long long)r.replay.expected,
            r.net->n_routers, r.net->n_stations, r.asap ? "virtual time" : "scaled time");

    /* Working folders: journals always, logs unless --log. */
    snprintf(tmp, sizeof(tmp), "%s/cablesim-run-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "cablesim run: cannot create a work folder %s: %s\n", tmp, strerror(errno));
        node_replay_free(&r.replay);
        net_free(r.net);
        return CLI_USAGE;
    }
    if (log_dir) {
        if (mkdir(log_dir, 0777) < 0 && errno != EEXIST) {
            fprintf(stderr, "cablesim run: cannot create %s: %s\n", log_dir, strerror(errno));
            rc = CLI_USAGE;
            goto out;
        }
        snprintf(logs, sizeof(logs), "%s", log_dir);
    } else {
        snprintf(logs, sizeof(logs), "%s/log", tmp);
        mkdir(logs, 0777);
    }
    signal(SIGPIPE, SIG_IGN);
    cli_raise_nofile(); /* both ends of every station's connection */
    uv_loop_init(&r.loop);
    /* Scaled time: every party's clock reaches the first DTG at one
     * instant, not at its own start (at --speed 3600 a millisecond between
     * two starts would be 3.6 sim-seconds). */
    r.sim_start = r.asap ? 0 : r.replay.n ? r.replay.v[0].dtg : 0;
    /* Not started yet (an hour ahead) while the parties are set up; the
     * clock starts when the loop does (below). */
    r.wall_start = r.asap ? 0 : sim_wall_us() + 3600 * (int64_t)1000000;

    /* Routers: every one listens on an ephemeral loopback port, patched
     * into the network before anyone dials it (a port of 0 refuses until
     * then). The time keeper (the first router) starts first. */
    for (uint32_t i = 0; i < r.net->n_routers; i++) {
        free(r.net->routers[i].listen_host);
        r.net->routers[i].listen_host = sim_xstrdup("127.0.0.1");
        r.net->routers[i].listen_port = 0;
    }
    r.routers = sim_xcalloc(r.net->n_routers, sizeof(*r.routers));
    for (uint32_t i = 0; i < r.net->n_routers; i++) {
        rtr_server_opts_t o;
        char              jdir[700], addr[300];
        const char       *colon;
        memset(&o, 0, sizeof(o));
        snprintf(jdir, sizeof(jdir), "%s/%s.journal", tmp, r.net->routers[i].name);
        o.net = r.net;
        o.router = i;
        o.listen = "127.0.0.1:0";
        o.journal_dir = jdir;
        o.log_dir = logs;
        o.speed = r.speed;
        o.start = r.sim_start;
        o.wall_start_us = r.wall_start;
        o.no_link_model = no_link;
        o.asap = r.asap;
        o.on_end = party_ended;
        o.end_ud = &r;
        if (rtr_server_start(&r.routers[i], &r.loop, &o, err, sizeof(err)) < 0) {
            fprintf(stderr, "cablesim run: router %s: %s\n", r.net->routers[i].name, err);
            rc = CLI_USAGE;
            r.n_routers = i;
            stop_all(&r);
            uv_run(&r.loop, UV_RUN_DEFAULT);
            goto free_all;
        }
        r.n_routers = i + 1;
        rtr_server_address(r.routers[i], addr, sizeof(addr));
        colon = strrchr(addr, ':');
        r.net->routers[i].listen_port = (uint16_t)atoi(colon ? colon + 1 : "0");
    }
    /* Station hosts, one per host name. */
    r.hosts = sim_xcalloc(r.net->n_stations, sizeof(*r.hosts));
    r.host_names = sim_xcalloc(r.net->n_stations, sizeof(*r.host_names));
    for (uint32_t i = 0; i < r.net->n_stations; i++) {
        const char      *hn = node_host_of(r.net, i);
        node_host_opts_t o;
        bool             have = false;
        for (uint32_t k = 0; k < r.n_hosts && !have; k++)
            have = strcmp(r.host_names[k], hn) == 0;
        if (have)
            continue;
        memset(&o, 0, sizeof(o));
        o.net = r.net;
        o.name = hn;
        o.replay = &r.replay;
        o.log_dir = logs;
        o.asap = r.asap;
        o.speed = r.speed;
        o.start = r.sim_start;
        o.wall_start_us = r.wall_start;
        o.no_link_model = no_link;
        o.on_end = party_ended;
        o.end_ud = &r;
        if (node_host_start(&r.hosts[r.n_hosts], &r.loop, &o, err, sizeof(err)) < 0) {
            fprintf(stderr, "cablesim run: host %s: %s\n", hn, err);
            rc = CLI_USAGE;
            stop_all(&r);
            uv_run(&r.loop, UV_RUN_DEFAULT);
            goto free_all;
        }
        r.host_names[r.n_hosts++] = hn;
    }
    r.tty = isatty(2);
    r.t0_ns = r.idle_since_ns = r.last_plain_ns = uv_hrtime();
    uv_timer_init(&r.loop, &r.progress);
    r.progress.data = &r;
    uv_timer_start(&r.progress, progress_cb, r.tty ? 250 : 1000, r.tty ? 250 : 1000);
    uv_signal_init(&r.loop, &r.sigint);
    r.sigint.data = &r;
    uv_signal_start(&r.sigint, sigint_cb, SIGINT);
    if (!r.asap) {
        /* Every party is set up: the shared clock starts now, not when the
         * first of them was created (33 ms earlier: 2 sim-minutes at 3600). */
        r.wall_start = sim_wall_us();
        for (uint32_t i = 0; i < r.n_routers; i++)
            rtr_server_clock_anchor(r.routers[i], r.wall_start);
        for (uint32_t i = 0; i < r.n_hosts; i++)
            node_host_clock_anchor(r.hosts[i], r.wall_start);
    }
    uv_run(&r.loop, UV_RUN_DEFAULT);
    if (r.tty)
        fprintf(stderr, "\n");
    {
        double             el = (double)(uv_hrtime() - r.t0_ns) / 1e9;
        uint64_t           reports = 0;
        node_host_stats_t  hs;
        rtr_server_stats_t rs;
        for (uint32_t i = 0; i < r.n_hosts; i++) {
            node_host_stats(r.hosts[i], &hs);
            reports += hs.reports;
        }
        for (uint32_t i = 0; i < r.n_routers; i++) {
            rtr_server_stats(r.routers[i], &rs);
            reports += rs.time_reports;
        }
        fprintf(stderr, "run: done in %.2f s (%.0f cables/s), time reports %llu (%.1f per cable)\n",
                el, el > 0 ? (double)r.replay.n / el : 0.0, (unsigned long long)reports,
                r.replay.n ? (double)reports / (double)r.replay.n : 0.0);
    }

free_all:
    for (uint32_t i = 0; i < r.n_hosts; i++)
        node_host_free(r.hosts[i]);
    for (uint32_t i = 0; i < r.n_routers; i++)
        rtr_server_free(r.routers[i]);
    uv_loop_close(&r.loop);
    free(r.hosts);
    free(r.host_names);
    free(r.routers);
    if (rc == CLI_OK) {
        const char *dirs[1] = {logs};
        if (rtr_dlog_read_kept(dirs, 1, node_report_keeps, NULL, &set, &torn, err,
                               sizeof(err)) < 0) {
            fprintf(stderr, "cablesim run: reading the delivery logs: %s\n", err);
            rtr_dlog_set_free(&set);
            rc = CLI_USAGE;
        } else {
            node_report_build(&set, &rep);
            rtr_dlog_set_free(&set);
            if ((json ? report_print_json(&rep) : report_print_text(&rep)) < 0)
                rc = CLI_USAGE;
            else
                rc = report_exit_code(&rep, fail_obj);
            if (r.interrupted && rc == CLI_OK)
                rc = CLI_PROBLEM;
        }
    }
out:
    nftw(tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    node_replay_free(&r.replay);
    net_free(r.net);
    return rc;
}
