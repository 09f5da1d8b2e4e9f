/*
 * bench_queue_memory.c - the router's memory with many cables queued for a
 * station that is not reading: one router core (no sockets: a stand-in
 * connection layer), two stations, N cables from one to the other while the
 * other is disconnected. Prints one JSON line: resident memory before and
 * after, bytes of RAM per queued cable, the link's RAM budget, and the
 * journal's size on disk.
 *
 * usage: bench_queue_memory [--cables N] [--dir DIR]
 */
#include "cable_gen.h"
#include "cable_msgpack.h"
#include "network.h"
#include "node_load.h"
#include "rtr_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int  fake_send(void *ud, rtr_port_t *p, const char *b, size_t n)
{
    (void)ud, (void)p, (void)b, (void)n;
    return 0;
}
static void fake_flush(void *ud)
{
    (void)ud;
}
static void fake_close(void *ud, rtr_port_t *p, const char *why)
{
    (void)ud, (void)p;
    fprintf(stderr, "bench_queue_memory: port closed: %s\n", why);
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long  size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static long long du_bytes(const char *dir)
{
    char      cmd[1200];
    long long kib = 0;
    FILE     *p;
    snprintf(cmd, sizeof(cmd), "du -sk '%s' 2>/dev/null", dir);
    p = popen(cmd, "r");
    if (p) {
        if (fscanf(p, "%lld", &kib) != 1)
            kib = 0;
        pclose(p);
    }
    return kib * 1024;
}

int main(int argc, char **argv)
{
    long              n = 1000000;
    char              dir[1024] = "";
    char              tmpl[] = "/tmp/cablesim-qmem-XXXXXX", err[512];
    char             *yaml;
    net_errors_t      errs = {0};
    net_network_t    *net;
    rtr_journal_t    *j;
    rtr_core_t       *core;
    sim_sched_t       sched;
    rtr_core_opts_t   co;
    rtr_core_io_t     io = {NULL, fake_send, fake_flush, fake_close, NULL};
    rtr_port_t       *a, *b;
    cable_gen_opts_t  go;
    cable_gen_t      *gen;
    cable_t           tpl;
    uint32_t          pair[2] = {0, 1};
    long              rss0, rss1;
    rtr_core_stats_t  st;
    size_t            restored = 0;
    int               dummy = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cables") == 0 && i + 1 < argc)
            n = atol(argv[++i]);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            snprintf(dir, sizeof(dir), "%s", argv[++i]);
        else {
            fprintf(stderr, "usage: bench_queue_memory [--cables N] [--dir DIR]\n");
            return 2;
        }
    }
    if (!dir[0]) {
        if (!mkdtemp(tmpl))
            return 2;
        snprintf(dir, sizeof(dir), "%s", tmpl);
    }
    yaml = node_load_network_yaml("bench-switch", 47998, 2);
    net = net_load_mem("bench", yaml, strlen(yaml), &errs);
    free(yaml);
    if (!net || rtr_journal_open(&j, dir, NULL, NULL) < 0) {
        fprintf(stderr, "bench_queue_memory: cannot set up in %s\n", dir);
        return 2;
    }
    sim_sched_init(&sched, 1235952000LL * SIM_USEC_PER_SEC);
    memset(&co, 0, sizeof(co));
    co.net = net;
    co.router = 0;
    co.journal = j;
    co.sched = &sched;
    co.no_link_model = true;
    if (rtr_core_new(&core, &co, &io, err, sizeof(err)) < 0 ||
        rtr_core_recover(core, &restored, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench_queue_memory: %s\n", err);
        return 2;
    }
    a = rtr_core_port_for(core, LINK_ROLE_STATION, sim_span_str(net->stations[0].ri));
    b = rtr_core_port_for(core, LINK_ROLE_STATION, sim_span_str(net->stations[1].ri));
    rtr_core_attach(core, a, &dummy, -1); /* the sender is connected; b never is */
    (void)b;

    cable_gen_opts_init(&go);
    go.size = 1024;
    go.stations = pair;
    go.n_stations = 2;
    gen = cable_gen_new(net, &go);
    cable_init(&tpl);
    {
        cable_gen_req_t req = {0, 0, CABLE_PREC_R};
        cable_gen_next_req(gen, &req, &tpl);
        tpl.to.n = 1;
        tpl.info.n = 0;
    }
    rss0 = rss_kib();
    for (long i = 0; i < n; i++) {
        link_frame_t f;
        char        *mp;
        size_t       len;
        tpl.station_serial = (int32_t)(i % 10000);
        tpl.cable_number = tpl.station_serial;
        tpl.dtg = cable_dtg_from_epoch(1235952000LL + i * 60);
        if (cable_msgpack_encode(&tpl, &mp, &len) < 0)
            return 2;
        link_frame_init(&f, LINK_T_CABLE);
        f.csn = (int32_t)(i % 10000);
        f.has_at = true;
        f.at = sched.now;
        f.cable.c = sim_span(mp, len);
        rtr_core_frame(core, a, &f);
        free(mp);
        if (i % 4096 == 4095 || i == n - 1) {
            rtr_jid_t upto = 0;
            rtr_journal_sync(j, &upto);
            rtr_core_durable(core, upto);
        }
    }
    rss1 = rss_kib();
    rtr_core_stats(core, &st);
    printf("{\"benchmark\":\"queue_memory\",\"cables\":%ld,\"queued\":%llu,"
           "\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,\"ram_bytes_per_queued_cable\":%.1f,"
           "\"link_ram_budget_mib\":%u,\"journal_bytes\":%lld}\n",
           n, (unsigned long long)st.queued_now, rss0, rss1,
           st.queued_now ? (double)(rss1 - rss0) * 1024.0 / (double)st.queued_now : 0.0,
           net->stations[1].link.ram_budget_mib, du_bytes(dir));
    cable_destroy(&tpl);
    cable_gen_free(gen);
    rtr_core_free(core);
    rtr_journal_close(j);
    sim_sched_destroy(&sched);
    net_free(net);
    if (strcmp(dir, tmpl) == 0) {
        char cmd[1100];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            return 2;
    }
    return 0;
}
