/*
 * bench_parse.c - parse throughput on one core over a corpus of cable files.
 *
 * Loads every file of the folder into memory first (I/O is not measured),
 * then parses all of them RUNS times, timing each pass with the monotonic
 * clock, and prints one JSON object: bytes, cables, and per pass MB/s and
 * cables/s as median, min and max. A second figure times the stream
 * splitter plus the parser (what `lint` does per file), and a baseline pass
 * that only scans the same bytes for line ends (memchr) is measured in the
 * same run so that figures from a noisy machine can be compared.
 *
 * usage: bench_parse [--runs N] DIR
 */
#include "cable.h"
#include "cable_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct stats {
    double med, min, max;
} stats_t;

static stats_t summarise(double *v, int n)
{
    stats_t s;
    qsort(v, (size_t)n, sizeof(*v), cmp_d);
    s.min = v[0];
    s.max = v[n - 1];
    s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return s;
}

int main(int argc, char **argv)
{
    int            runs = 9;
    const char    *dir = NULL;
    cable_corpus_t cp;
    char           err[1024];
    cable_t        c;
    double        *t_parse, *t_split, *t_scan;
    volatile size_t sink = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: bench_parse [--runs N] DIR\n");
            return 2;
        } else
            dir = argv[i];
    }
    if (!dir || runs < 1) {
        fprintf(stderr, "usage: bench_parse [--runs N] DIR\n");
        return 2;
    }
    cable_corpus_init(&cp);
    if (cable_corpus_add(&cp, dir, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench_parse: %s\n", err);
        return 2;
    }
    t_parse = calloc((size_t)runs, sizeof(double));
    t_split = calloc((size_t)runs, sizeof(double));
    t_scan = calloc((size_t)runs, sizeof(double));
    cable_init(&c);
    /* warm-up */
    for (size_t i = 0; i < cp.n_entries; i++)
        cable_corpus_parse(&cp, i, &c, false);
    for (int r = 0; r < runs; r++) {
        double t0 = now_s();
        for (uint32_t s = 0; s < cp.n_sources; s++) {
            const char *p = cp.sources[s].buf, *e = p + cp.sources[s].len;
            while (p < e) {
                const char *nl = memchr(p, '\n', (size_t)(e - p));
                sink++;
                p = nl ? nl + 1 : e;
            }
        }
        t_scan[r] = now_s() - t0;

        t0 = now_s();
        for (size_t i = 0; i < cp.n_entries; i++) {
            cable_corpus_parse(&cp, i, &c, false);
            sink += c.body_bytes;
        }
        t_parse[r] = now_s() - t0;

        t0 = now_s();
        for (uint32_t s = 0; s < cp.n_sources; s++) {
            cable_seg_t *segs;
            size_t       n = cable_stream_split(cp.sources[s].buf, cp.sources[s].len, &segs);
            for (size_t k = 0; k < n; k++) {
                cable_parse_opts_t o = {.first_line = segs[k].first_line};
                cable_parse(&c, segs[k].p, segs[k].len, &o);
                sink += c.body_bytes;
            }
            free(segs);
        }
        t_split[r] = now_s() - t0;
    }
    {
        double  mb = (double)cp.bytes / 1e6, n = (double)cp.n_entries;
        double  v[3][64];
        stats_t sp, ss, sc;
        int     k = runs < 64 ? runs : 64;
        for (int r = 0; r < k; r++) {
            v[0][r] = mb / t_parse[r];
            v[1][r] = mb / t_split[r];
            v[2][r] = mb / t_scan[r];
        }
        sp = summarise(v[0], k);
        ss = summarise(v[1], k);
        sc = summarise(v[2], k);
        printf("{\"benchmark\":\"parse\",\"files\":%u,\"cables\":%zu,\"bytes\":%zu,\"runs\":%d,"
               "\"parse_mb_s\":{\"median\":%.1f,\"min\":%.1f,\"max\":%.1f},"
               "\"parse_cables_s\":{\"median\":%.0f,\"min\":%.0f,\"max\":%.0f},"
               "\"split_and_parse_mb_s\":{\"median\":%.1f,\"min\":%.1f,\"max\":%.1f},"
               "\"baseline_line_scan_mb_s\":{\"median\":%.1f,\"min\":%.1f,\"max\":%.1f}}\n",
               cp.n_sources, cp.n_entries, cp.bytes, runs, sp.med, sp.min, sp.max,
               sp.med / mb * n, sp.min / mb * n, sp.max / mb * n, ss.med, ss.min, ss.max, sc.med,
               sc.min, sc.max);
    }
    cable_destroy(&c);
    cable_corpus_destroy(&cp);
    free(t_parse);
    free(t_split);
    free(t_scan);
    (void)sink;
    return 0;
}
