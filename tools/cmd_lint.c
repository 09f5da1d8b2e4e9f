/*
 * cmd_lint.c - cablesim lint (placeholder until the subcommand lands).
 */
#include "cli.h"

int cmd_lint(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "cablesim lint: not built yet\n");
    return CLI_USAGE;
}
