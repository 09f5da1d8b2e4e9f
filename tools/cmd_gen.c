/*
 * cmd_gen.c - cablesim gen: synthetic cables for a network (DESIGN.md).
 *
 * A thin shell over the generator (corpus/cable_gen.h): reads the network
 * file (the bundled sample by default), draws --count cables and writes them
 * as one stream of canonical cables on stdout, or one file per cable under
 * --out (named from the cable's identity, e.g. RUEHLO-0945-01.cable). --json
 * prints one JSON object per cable instead (JSON Lines, written by jansson);
 * without --out each object carries the cable's text. Progress goes to
 * stderr, only when stderr is a terminal. Exit: 0 done, 2 usage error, a
 * network file that cannot be read or is invalid (file:line:col messages),
 * or an output that cannot be written.
 */
#include "cli.h"
#include "cable_gen.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void gen_usage(FILE *out)
{
    fprintf(out,
            "usage: cablesim gen --count N [--seed S] [--network FILE] [--mix MIX]\n"
            "                    [--out DIR] [--start TIME] [--interval SECONDS]\n"
            "                    [--size BYTES] [--whole] [--json]\n\n"
            "Generate realistic synthetic cables addressed between the stations of a\n"
            "network. The same options and network give the same bytes every time.\n"
            "Every cable is canonical: clean under 'cablesim lint --strict'.\n\n"
            "Options:\n"
            "  --count N         number of cables to write (required; sections of a long\n"
            "                    message are separate cables, so a message may be cut\n"
            "                    short by the count)\n"
            "  --seed S          seed of the generator (default 1)\n"
            "  --network FILE    network file (default: the bundled sample network)\n"
            "  --mix MIX         precedence weights of the messages, letters Y Z O P R\n"
            "                    (default %s)\n"
            "  --out DIR         write one file per cable into DIR (created if missing),\n"
            "                    named ORIGIN-SERIAL-SECTION.cable; default: one stream on\n"
            "                    stdout\n"
            "  --start TIME      DTG of the first message, YYYY-MM-DD or\n"
            "                    YYYY-MM-DDTHH:MM[:SS]Z, UTC (default 2009-03-02T00:00:00Z)\n"
            "  --interval S      mean seconds between messages (default %d)\n"
            "  --size BYTES      make every cable exactly BYTES long, one section each\n"
            "                    (default 0: sizes and sections like the real corpus)\n"
            "  --whole           go on past N cables until the last message is whole (its\n"
            "                    last section written), so no message is cut short\n"
            "  --json            print JSON Lines, one object per cable: id, precedence,\n"
            "                    sections, section, bytes, and file (with --out) or text\n"
            "                    (without --out)\n"
            "  -h, --help        this help\n\n"
            "Exit: 0 done, 2 usage error, unreadable or invalid network file, or an\n"
            "output that cannot be written.\n",
            CABLE_GEN_DEFAULT_MIX, CABLE_GEN_DEFAULT_INTERVAL_S);
}

/* A whole number in [lo, hi]; false on anything else. */
static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char              *end;
    unsigned long long v;
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS][Z]" in UTC into epoch seconds. */
static bool parse_start(const char *s, int64_t *out)
{
    int         y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    size_t      len = strlen(s);
    cable_dtg_t dtg;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return false;
    if (len > 10) {
        int m = 0;
        if (s[10] != 'T' && s[10] != ' ')
            return false;
        if (sscanf(s + 11, "%2d:%2d%n", &h, &mi, &m) != 2 || m != 5)
            return false;
        n = 16;
        if (s[n] == ':') {
            if (sscanf(s + n + 1, "%2d%n", &sec, &m) != 1 || m != 2 || sec > 59 || sec < 0)
                return false;
            n += 3;
        }
        if (s[n] == 'Z')
            n++;
        if ((size_t)n != len)
            return false;
    }
    if (y < 1950 || y > 2049 || !cable_dtg_exists(y, mo, d, h, mi))
        return false;
    dtg.year = (int16_t)y;
    dtg.month = (uint8_t)mo;
    dtg.day = (uint8_t)d;
    dtg.hour = (uint8_t)h;
    dtg.minute = (uint8_t)mi;
    dtg.valid = true;
    *out = cable_dtg_epoch(&dtg) + sec;
    return true;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char  *p = sim_xstrdup(path);
    size_t n = strlen(p);
    int    rc = 0;
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    for (char *q = p + 1; rc == 0; q++) {
        bool end = *q == '\0';
        if (*q == '/' || end) {
            struct stat st;
            char        save = *q;
            *q = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                rc = -errno;
            else if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
                rc = -ENOTDIR;
            *q = save;
            if (end)
                break;
        }
    }
    free(p);
    return rc;
}

/* The file names written in this run, to keep a serial that wrapped around
 * from overwriting an earlier cable (open addressing on a 64-bit hash). */
typedef struct name_set {
    uint64_t *v;
    size_t    n, cap;
} name_set_t;

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h ? h : 1;
}

/* Adds the name; returns false when it was already there. */
static bool name_set_add(name_set_t *set, const char *name)
{
    uint64_t h = hash_name(name);
    size_t   i;
    if ((set->n + 1) * 2 > set->cap) {
        name_set_t ns = {0};
        ns.cap = set->cap ? set->cap * 2 : 1024;
        ns.v = sim_xcalloc(ns.cap, sizeof(*ns.v));
        for (size_t k = 0; k < set->cap; k++) {
            if (!set->v[k])
                continue;
            i = set->v[k] & (ns.cap - 1);
            while (ns.v[i])
                i = (i + 1) & (ns.cap - 1);
            ns.v[i] = set->v[k];
        }
        ns.n = set->n;
        free(set->v);
        *set = ns;
    }
    i = h & (set->cap - 1);
    while (set->v[i] && set->v[i] != h)
        i = (i + 1) & (set->cap - 1);
    if (set->v[i])
        return false;
    set->v[i] = h;
    set->n++;
    return true;
}

static int write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    int   rc = 0;
    if (!f)
        return -errno;
    if (fwrite(text, 1, len, f) != len)
        rc = -EIO;
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

int cmd_gen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"count", required_argument, NULL, 'n'},   {"seed", required_argument, NULL, 's'},
        {"network", required_argument, NULL, 'N'}, {"mix", required_argument, NULL, 'm'},
        {"out", required_argument, NULL, 'o'},     {"start", required_argument, NULL, 'S'},
        {"interval", required_argument, NULL, 'i'}, {"size", required_argument, NULL, 'z'},
        {"json", no_argument, NULL, 'j'},          {"help", no_argument, NULL, 'h'},
        {"whole", no_argument, NULL, 'w'},
        {NULL, 0, NULL, 0},
    };
    cable_gen_opts_t go;
    const char      *network = NULL, *out_dir = NULL;
    bool             json = false, have_count = false, whole = false, open_msg = false;
    uint64_t         count = 0, v;
    int              ch, rc = CLI_OK;
    char            *yaml = NULL;
    size_t           yaml_len = 0;
    net_errors_t     errs = {0};
    net_network_t   *net;
    cable_gen_t     *g;
    cable_t          c;
    name_set_t       names = {0};
    bool             progress;
    char             err[256];

    cable_gen_opts_init(&go);
    go.seed = 1;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'n':
            if (!parse_u64(optarg, 0, 100000000, &count))
                return cli_usage_error("gen", "--count needs a whole number from 0 to 100000000, "
                                              "not '%s'", optarg);
            have_count = true;
            break;
        case 's':
            if (!parse_u64(optarg, 0, UINT64_MAX, &go.seed))
                return cli_usage_error("gen", "--seed needs a non-negative whole number, not '%s'",
                                       optarg);
            break;
        case 'N': network = optarg; break;
        case 'm':
            if (cable_gen_parse_mix(optarg, go.mix, err, sizeof(err)) < 0)
                return cli_usage_error("gen", "--mix: %s", err);
            break;
        case 'o': out_dir = optarg; break;
        case 'S':
            if (!parse_start(optarg, &go.start))
                return cli_usage_error("gen", "--start needs a UTC time YYYY-MM-DD or "
                                              "YYYY-MM-DDTHH:MM[:SS]Z (1950-2049), not '%s'",
                                       optarg);
            break;
        case 'i':
            if (!parse_u64(optarg, 1, 365u * 86400u, &v))
                return cli_usage_error("gen", "--interval needs seconds from 1 to 31536000, "
                                              "not '%s'", optarg);
            go.interval_s = (uint32_t)v;
            break;
        case 'z':
            if (!parse_u64(optarg, 0, 16u << 20, &v))
                return cli_usage_error("gen", "--size needs bytes from 0 to 16777216, not '%s'",
                                       optarg);
            go.size = (uint32_t)v;
            break;
        case 'j': json = true; break;
        case 'w': whole = true; break;
        case 'h': gen_usage(stdout); return CLI_OK;
        default: gen_usage(stderr); return CLI_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error("gen", "unexpected argument '%s'", argv[optind]);
    if (!have_count)
        return cli_usage_error("gen", "--count N is required");
    if (!network) {
        network = cli_sample_path("network.yaml");
        if (!network) {
            fprintf(stderr, "cablesim gen: the bundled sample network was not found; "
                            "give one with --network FILE\n");
            return CLI_USAGE;
        }
    }

    {
        int r = net_file_read(network, &yaml, &yaml_len);
        if (r < 0) {
            fprintf(stderr, "cablesim gen: cannot read network file %s: %s\n", network,
                    sim_strerror(r));
            return CLI_USAGE;
        }
    }
    net = net_load_mem(network, yaml, yaml_len, &errs);
    free(yaml);
    if (!net) {
        net_errors_fprint(stderr, network, &errs);
        net_errors_destroy(&errs);
        return CLI_USAGE;
    }
    net_errors_destroy(&errs);
    g = cable_gen_new(net, &go);
    if (!g) {
        fprintf(stderr, "cablesim gen: %s: the network needs at least two stations\n", network);
        net_free(net);
        return CLI_USAGE;
    }
    if (out_dir) {
        int r = make_dirs(out_dir);
        if (r < 0) {
            fprintf(stderr, "cablesim gen: cannot create %s: %s\n", out_dir, sim_strerror(r));
            cable_gen_free(g);
            net_free(net);
            return CLI_USAGE;
        }
    }

    progress = count >= 1000 && isatty(STDERR_FILENO);
    cable_init(&c);
    for (uint64_t i = 0; (i < count || (whole && open_msg)) && rc == CLI_OK; i++) {
        size_t len = 0;
        char  *text, id[64], name[96], *path = NULL;
        size_t idn;

        cable_gen_next(g, &c);
        open_msg = c.section < c.sections;
        text = cable_emit(&c, &len);
        idn = cable_id(&c, id, sizeof(id));
        if (out_dir) {
            char dtg[15];
            snprintf(name, sizeof(name), "%.*s-%04d-%02u.cable", (int)c.origin_ri.len,
                     c.origin_ri.p, c.station_serial, (unsigned)c.section);
            if (!name_set_add(&names, name)) {
                /* The serial wrapped around: tell the two apart by the DTG. */
                cable_dtg_text(&c.dtg, dtg);
                snprintf(name, sizeof(name), "%.*s-%04d-%02u-%.6s%.3s%.2s.cable",
                         (int)c.origin_ri.len, c.origin_ri.p, c.station_serial,
                         (unsigned)c.section, dtg, dtg + 8, dtg + 12);
                name_set_add(&names, name);
            }
            path = sim_xmalloc(strlen(out_dir) + strlen(name) + 2);
            sprintf(path, "%s/%s", out_dir, name);
            {
                int r = write_file(path, text, len);
                if (r < 0) {
                    fprintf(stderr, "cablesim gen: cannot write %s: %s\n", path,
                            sim_strerror(r));
                    rc = CLI_USAGE;
                }
            }
        }
        if (rc == CLI_OK && json) {
            json_t *o = json_object();
            json_object_set_new(o, "id", json_stringn(id, idn));
            json_object_set_new(o, "precedence",
                                json_string(cable_prec_word(cable_precedence(&c))));
            json_object_set_new(o, "sections", json_integer(c.sections));
            json_object_set_new(o, "section", json_integer(c.section));
            json_object_set_new(o, "bytes", json_integer((json_int_t)len));
            if (path)
                json_object_set_new(o, "file", json_string(path));
            else
                json_object_set_new(o, "text", json_stringn(text, len));
            if (cli_json_print(o, 1) < 0)
                rc = CLI_USAGE;
            json_decref(o);
        } else if (rc == CLI_OK && !out_dir) {
            if (fwrite(text, 1, len, stdout) != len)
                rc = CLI_USAGE;
        }
        free(text);
        free(path);
        if (progress && ((i + 1) % (count / 100 ? count / 100 : 1) == 0 || i + 1 >= count))
            fprintf(stderr, "\rcablesim gen: %llu/%llu cables", (unsigned long long)(i + 1),
                    (unsigned long long)count);
    }
    if (progress)
        fputc('\n', stderr);
    if (fflush(stdout) != 0 && rc == CLI_OK) {
        fprintf(stderr, "cablesim gen: cannot write to standard output\n");
        rc = CLI_USAGE;
    }
    free(names.v);
    cable_destroy(&c);
    cable_gen_free(g);
    net_free(net);
    return rc;
}
