/*
 * bench_journal.c - what group commit costs: the journal alone, driven the
 * way the router daemon drives it. The main thread appends one batch of
 * records (one loop turn's worth), hands it to flush_io on a second thread
 * and appends the next batch meanwhile, then ends the flush; each record is
 * "acknowledged" once its flush_end says it is durable.
 *
 * For each batch size it runs the plain segments and the preallocated ones
 * (fallocate, docs/performance.md) in turn, several times each, interleaved
 * so that a noisy neighbour on the disk hurts both alike, and prints one
 * JSON object per (batch, mode) with medians: records/s, MB/s, fdatasyncs
 * per record, microseconds per fdatasync, CPU microseconds per record (both
 * threads), and the p50/p99 of the time from append to durable.
 *
 *   bench_journal [--dir DIR] [--seconds S] [--size BYTES] [--runs N] [--batch N]...
 *
 * DIR (default: a new folder under /tmp) must be on the disk to measure.
 * Never run by the tests.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>

#include "rtr_journal.h"

typedef struct result {
    double records_s, mb_s, syncs_per_rec, us_per_sync, cpu_us_per_rec, p50_us, p99_us;
} result_t;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void rm_dir(const char *path)
{
    DIR           *d = opendir(path);
    struct dirent *e;
    char           sub[4096];
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (snprintf(sub, sizeof(sub), "%.3800s/%.255s", path, e->d_name) < (int)sizeof(sub))
            unlink(sub);
    }
    closedir(d);
    rmdir(path);
}

static void *io_thread(void *arg)
{
    rtr_journal_flush_io(arg);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Latency samples: the append time of every 64th record, until durable. */
typedef struct lat {
    double   *v;
    size_t    n, cap;
    double    pend_t[4096];
    rtr_jid_t pend_id[4096];
    size_t    np;
} lat_t;

static int run_one(const char *base, int run, size_t batch, size_t size, double seconds,
                   bool prealloc, result_t *r)
{
    char                 dir[4096];
    rtr_journal_opts_t   o;
    rtr_journal_t       *j;
    rtr_journal_stats_t  st;
    rtr_journal_batch_t *b = NULL;
    pthread_t            th;
    char                *payload = malloc(size);
    lat_t                lat = {0};
    uint64_t             appended = 0;
    double               t0, c0, t1, c1;
    int                  rc;

    memset(payload, 'c', size);
    snprintf(dir, sizeof(dir), "%s/run-%d-%zu-%d", base, run, batch, prealloc);
    memset(&o, 0, sizeof(o));
    o.prealloc = prealloc;
    if ((rc = rtr_journal_open(&j, dir, &o, NULL)) < 0) {
        fprintf(stderr, "bench_journal: %s: %s\n", dir, sim_strerror(rc));
        free(payload);
        return rc;
    }
    t0 = now_s();
    c0 = cpu_s();
    for (;;) {
        double now = now_s();
        bool   stop = now - t0 >= seconds;
        for (size_t i = 0; i < batch && !stop; i++) {
            rtr_jid_t id;
            if ((rc = rtr_journal_append(j, RTR_JREC_ACCEPT, 0, payload, size, &id)) < 0)
                goto fail;
            if ((appended++ & 63) == 0 && lat.np < 4096) {
                lat.pend_t[lat.np] = now;
                lat.pend_id[lat.np++] = id;
            }
        }
        if (b) {
            rtr_jid_t upto;
            pthread_join(th, NULL);
            if ((rc = rtr_journal_flush_end(j, b, &upto)) < 0)
                goto fail;
            now = now_s();
            size_t k = 0;
            for (size_t i = 0; i < lat.np; i++) {
                if (lat.pend_id[i] <= upto) {
                    if (lat.n == lat.cap) {
                        lat.cap = lat.cap ? lat.cap * 2 : 1024;
                        lat.v = realloc(lat.v, lat.cap * sizeof(*lat.v));
                    }
                    lat.v[lat.n++] = (now - lat.pend_t[i]) * 1e6;
                } else {
                    lat.pend_t[k] = lat.pend_t[i];
                    lat.pend_id[k++] = lat.pend_id[i];
                }
            }
            lat.np = k;
            b = NULL;
        }
        if (stop)
            break;
        if ((rc = rtr_journal_flush_begin(j, &b)) < 0)
            goto fail;
        if (b)
            pthread_create(&th, NULL, io_thread, b);
    }
    if ((rc = rtr_journal_sync(j, NULL)) < 0)
        goto fail;
    t1 = now_s();
    c1 = cpu_s();
    rtr_journal_stats(j, &st);
    rtr_journal_close(j);
    rm_dir(dir);
    r->records_s = (double)st.appends / (t1 - t0);
    r->mb_s = (double)st.write_bytes / (t1 - t0) / 1e6;
    r->syncs_per_rec = st.appends ? (double)st.fdatasyncs / (double)st.appends : 0;
    r->us_per_sync = st.fdatasyncs ? (t1 - t0) * 1e6 / (double)st.fdatasyncs : 0;
    r->cpu_us_per_rec = st.appends ? (c1 - c0) * 1e6 / (double)st.appends : 0;
    qsort(lat.v, lat.n, sizeof(*lat.v), cmp_double);
    r->p50_us = lat.n ? lat.v[lat.n / 2] : 0;
    r->p99_us = lat.n ? lat.v[(size_t)((double)lat.n * 0.99)] : 0;
    free(lat.v);
    free(payload);
    return 0;
fail:
    if (b) {
        pthread_join(th, NULL);
        rtr_journal_flush_end(j, b, NULL);
    }
    fprintf(stderr, "bench_journal: %s\n", sim_strerror(rc));
    rtr_journal_close(j);
    rm_dir(dir);
    free(lat.v);
    free(payload);
    return rc;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return v[n / 2];
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    char        tmp[] = "/tmp/cablesim-bench-journal-XXXXXX";
    double      seconds = 3;
    size_t      size = 1024, batches[16] = {0}, nb = 0;
    int         runs = 3;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
            size = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc && nb < 16)
            batches[nb++] = (size_t)atol(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_journal [--dir DIR] [--seconds S] [--size BYTES] "
                            "[--runs N] [--batch N]...\n");
            return 2;
        }
    }
    if (!nb) {
        batches[nb++] = 1;
        batches[nb++] = 16;
        batches[nb++] = 256;
    }
    if (runs < 1 || runs > 64 || seconds <= 0 || size == 0 || size > RTR_JOURNAL_RECORD_MAX) {
        fprintf(stderr, "bench_journal: bad arguments\n");
        return 2;
    }
    if (!dir) {
        if (!mkdtemp(tmp)) {
            fprintf(stderr, "bench_journal: mkdtemp: %s\n", strerror(errno));
            return 2;
        }
        dir = tmp;
    }
    for (size_t bi = 0; bi < nb; bi++) {
        double v[2][7][64];
        for (int run = 0; run < runs; run++) {
            for (int mode = 0; mode < 2; mode++) {
                result_t r;
                if (run_one(dir, run, batches[bi], size, seconds, mode == 1, &r) < 0)
                    return 2;
                v[mode][0][run] = r.records_s;
                v[mode][1][run] = r.mb_s;
                v[mode][2][run] = r.syncs_per_rec;
                v[mode][3][run] = r.us_per_sync;
                v[mode][4][run] = r.cpu_us_per_rec;
                v[mode][5][run] = r.p50_us;
                v[mode][6][run] = r.p99_us;
            }
        }
        for (int mode = 0; mode < 2; mode++) {
            printf("{\"benchmark\":\"journal\",\"mode\":\"%s\",\"record_bytes\":%zu,"
                   "\"batch\":%zu,\"runs\":%d,\"seconds\":%.1f,\"records_per_s\":%.0f,"
                   "\"mb_per_s\":%.1f,\"fdatasyncs_per_record\":%.5f,\"us_per_fdatasync\":%.0f,"
                   "\"cpu_us_per_record\":%.2f,\"durable_p50_us\":%.0f,\"durable_p99_us\":%.0f}\n",
                   mode ? "prealloc" : "plain", size, batches[bi], runs, seconds,
                   median(v[mode][0], runs), median(v[mode][1], runs), median(v[mode][2], runs),
                   median(v[mode][3], runs), median(v[mode][4], runs), median(v[mode][5], runs),
                   median(v[mode][6], runs));
            fflush(stdout);
        }
    }
    if (dir == tmp)
        rmdir(tmp);
    return 0;
}
