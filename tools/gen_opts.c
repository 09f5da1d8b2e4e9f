/*
 * gen_opts.c - the generator options of 'node' and 'run' (see gen_opts.h).
 */
#include "gen_opts.h"
#include "cable_gen.h"
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void gen_opts_init(gen_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->g.seed = 1;
    o->g.count = 1000;
}

int gen_opts_take(gen_opts_t *o, const char *cmd, int ch, const char *arg)
{
    char *end;
    switch (ch) {
    case GEN_OPT_RATE:
        o->g.rate = strtod(arg, &end);
        if (*end || end == arg || !(o->g.rate > 0) || o->g.rate > 1e6)
            return cli_usage_error(cmd, "--gen-rate takes a number of messages per sim-second "
                                        "above 0 (at most 1e6), not '%s'", arg);
        o->on = true;
        break;
    case GEN_OPT_COUNT:
        errno = 0;
        o->g.count = strtoull(arg, &end, 10);
        if (*end || end == arg || errno || arg[0] == '-' || o->g.count == 0 ||
            o->g.count > 100000000ull)
            return cli_usage_error(cmd, "--gen-count takes a whole number from 1 to 100000000, "
                                        "not '%s'", arg);
        break;
    case GEN_OPT_SEED:
        errno = 0;
        o->g.seed = strtoull(arg, &end, 10);
        if (*end || end == arg || errno || arg[0] == '-')
            return cli_usage_error(cmd, "--gen-seed takes a whole number, not '%s'", arg);
        break;
    case GEN_OPT_MIX: {
        char why[160];
        if (cable_gen_parse_mix(arg, o->g.mix, why, sizeof(why)) < 0)
            return cli_usage_error(cmd, "--gen-mix '%s': %s", arg, why);
        break;
    }
    default:
        return 0;
    }
    o->any = true;
    return 1;
}

int gen_opts_check(const gen_opts_t *o, const char *cmd)
{
    if (o->any && !o->on)
        return cli_usage_error(cmd, "--gen-count, --gen-seed and --gen-mix go with --gen-rate");
    return 0;
}
