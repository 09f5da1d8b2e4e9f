/*
 * cablesim.c - main(): dispatch to one subcommand per file (cmd_*.c).
 */
#include "cli.h"
#include "network.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command_t;

static const command_t commands[] = {
    {"run", cmd_run, "replay a corpus through a simulated network: the main job"},
    {"node", cmd_node, "run the station host NAME of a network (stations, replay)"},
    {"report", cmd_report, "the speed-of-service report of a run, from its delivery logs"},
    {"lint", cmd_lint, "check cables against the ACP 127 format and procedures"},
    {"show", cmd_show, "print the parsed fields of one cable"},
    {"gen", cmd_gen, "generate realistic synthetic cables for a network"},
    {"net", cmd_net, "check a network file, or generate one from a corpus"},
    {"journal", cmd_journal, "show what a router's journal holds and check every record"},
    {"router", cmd_router, "run one router of a network (journal, queues, delivery log)"},
    {"load", cmd_load, "drive stations through a router; prove nothing lost or duplicated"},
    {"log", cmd_log, "export delivery logs as text, JSON Lines or CSV"},
    {"trace", cmd_trace, "follow one cable hop by hop through delivery logs"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: cablesim COMMAND [OPTIONS] [ARGS]\n\n"
                 "A streaming message-routing simulator for ACP 127 cables.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'cablesim COMMAND --help' for a command's options.\n"
                 "Exit codes: 0 success, 1 the work found a problem, 2 usage or I/O error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("cablesim %s\n", CABLESIM_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "cablesim: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_sample_dir(void)
{
    static char found[PATH_MAX];
    char        exe[PATH_MAX];
    ssize_t     n;
    const char *env = getenv("CABLESIM_SAMPLE");

    if (found[0])
        return found;
    if (env && is_dir(env)) {
        snprintf(found, sizeof(found), "%s", env);
        return found;
    }
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        char *slash;
        char  cand[PATH_MAX + 64];
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            /* Installed: <prefix>/bin/cablesim -> <prefix>/share/cablesim/sample */
            snprintf(cand, sizeof(cand), "%s/../share/cablesim/sample", exe);
            if (is_dir(cand) && realpath(cand, found))
                return found;
        }
    }
    if (is_dir(CABLESIM_INSTALL_SAMPLE)) {
        snprintf(found, sizeof(found), "%s", CABLESIM_INSTALL_SAMPLE);
        return found;
    }
    if (is_dir(CABLESIM_SOURCE_SAMPLE)) {
        snprintf(found, sizeof(found), "%s", CABLESIM_SOURCE_SAMPLE);
        return found;
    }
    return NULL;
}

const char *cli_sample_path(const char *name)
{
    static char path[PATH_MAX + 256];
    const char *dir = cli_sample_dir();
    if (!dir)
        return NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

int cli_json_print(json_t *v, int compact)
{
    size_t flags = compact ? JSON_COMPACT : (JSON_INDENT(2));
    flags |= JSON_PRESERVE_ORDER;
    if (json_dumpf(v, stdout, flags) != 0)
        return -1;
    if (fputc('\n', stdout) == EOF)
        return -1;
    return 0;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "cablesim %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'cablesim %s --help'.\n", cmd);
    return CLI_USAGE;
}

int cli_parse_utc(const char *s, int64_t *us)
{
    /* The network file's form (net_parse_utc), with an optional fraction
     * of a second before the Z. */
    char        base[21];
    const char *p = s + 19;
    int64_t     secs, frac = 0, scale = 100000;
    if (strlen(s) < 20)
        return -1;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            frac += (*p - '0') * scale;
    if (strcmp(p, "Z") != 0)
        return -1;
    memcpy(base, s, 19);
    memcpy(base + 19, "Z", 2);
    if (!net_parse_utc(base, 20, &secs))
        return -1;
    *us = secs * 1000000 + frac;
    return 0;
}

void cli_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int cli_clock_opt(const char *cmd, int ch, const char *arg, int64_t *sim_start,
                  int64_t *wall_start_us)
{
    int64_t us;
    if (cli_parse_utc(arg, &us) < 0)
        return cli_usage_error(cmd, "--%s takes a UTC time such as 2009-03-02T00:00:00Z, not '%s'",
                               ch == 'S' ? "sim-start" : "wall-start", arg);
    if (ch == 'S')
        *sim_start = us ? us : 1; /* 0 means "not given" */
    else
        *wall_start_us = us;
    return 0;
}
