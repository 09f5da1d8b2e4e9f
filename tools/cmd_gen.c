/*
 * cmd_gen.c - cablesim gen (placeholder until the subcommand lands).
 */
#include "cli.h"

int cmd_gen(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "cablesim gen: not built yet\n");
    return CLI_USAGE;
}
