/*
 * cmd_net.c - cablesim net (placeholder until the subcommand lands).
 */
#include "cli.h"

int cmd_net(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "cablesim net: not built yet\n");
    return CLI_USAGE;
}
