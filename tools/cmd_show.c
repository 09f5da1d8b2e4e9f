/*
 * cmd_show.c - cablesim show (placeholder until the subcommand lands).
 */
#include "cli.h"

int cmd_show(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "cablesim show: not built yet\n");
    return CLI_USAGE;
}
