/*
 * gen_opts.h - the generator options that 'node' and 'run' share
 * (--gen-rate, --gen-count, --gen-seed, --gen-mix): synthetic traffic
 * instead of a corpus (node/node_replay.h, node_replay_generate).
 */
#ifndef GEN_OPTS_H
#define GEN_OPTS_H

#include "node_replay.h"

#include <getopt.h>
#include <stdbool.h>

/* The long options, with these codes, to append to a command's table. */
enum { GEN_OPT_RATE = 0x300, GEN_OPT_COUNT, GEN_OPT_SEED, GEN_OPT_MIX };
#define GEN_OPTS_LONG                                                                          \
    {"gen-rate", required_argument, NULL, GEN_OPT_RATE},                                       \
        {"gen-count", required_argument, NULL, GEN_OPT_COUNT},                                 \
        {"gen-seed", required_argument, NULL, GEN_OPT_SEED},                                   \
        {"gen-mix", required_argument, NULL, GEN_OPT_MIX}

/* The help lines of these options. */
#define GEN_OPTS_HELP                                                                          \
    "  --gen-rate R     originate generated cables instead of a corpus: R messages\n"         \
    "                   per sim-second across the network (Poisson arrivals)\n"               \
    "  --gen-count N    how many messages (default 1000)\n"                                   \
    "  --gen-seed S     the generator's seed (default 1): the same seed, the same\n"          \
    "                   traffic on every host and run\n"                                      \
    "  --gen-mix MIX    precedence mix, e.g. Z:1,O:9,P:30,R:60 (the default)\n"

typedef struct gen_opts {
    bool            on;  /* --gen-rate given */
    bool            any; /* any --gen-* given */
    node_gen_opts_t g;
} gen_opts_t;

void gen_opts_init(gen_opts_t *o);
/* gen_opts_take - handles option 'ch' of command 'cmd' when it is one of
 * these: returns 1 (taken), 0 (not one of these), or 2 after printing a
 * usage error (the command's exit code). */
int gen_opts_take(gen_opts_t *o, const char *cmd, int ch, const char *arg);
/* gen_opts_check - after parsing: --gen-count and friends need --gen-rate.
 * Returns 0 or 2 (usage error printed). */
int gen_opts_check(const gen_opts_t *o, const char *cmd);

#endif
