/*
 * cli.h - what the subcommands of the cablesim command share: the command
 * table, locating the bundled sample, and printing JSON.
 *
 * Exit codes everywhere (DESIGN.md): 0 success, 1 the work found a problem,
 * 2 usage or I/O error.
 */
#ifndef CLI_H
#define CLI_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

enum { CLI_OK = 0, CLI_PROBLEM = 1, CLI_USAGE = 2 };

int cmd_lint(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_net(int argc, char **argv);
int cmd_journal(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_router(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* The bundled sample folder: next to an installed binary
 * (<prefix>/share/cablesim/sample), else the source tree's corpus/sample.
 * Returns a static string, or NULL when neither exists. */
const char *cli_sample_dir(void);
/* "<sample>/name" into a static buffer, or NULL. */
const char *cli_sample_path(const char *name);

/* Print one JSON value on stdout followed by a newline ('compact' for JSON
 * Lines). Returns 0, or -1 when the output failed. */
int cli_json_print(json_t *v, int compact);

/* cli_raise_nofile - raise the open-file limit to its hard maximum (many
 * stations, one socket each). */
void cli_raise_nofile(void);

/* cli_parse_utc - "2009-03-02T00:00:00Z" (fraction of a second allowed)
 * into µs since 1970. Returns 0, or -1 when s is not that form. */
int cli_parse_utc(const char *s, int64_t *us);
/* cli_clock_opt - --sim-start ('S') or --wall-start ('W') of command cmd,
 * the scaled clock's anchor shared by router and node: into *sim_start
 * (µs, never 0) or *wall_start_us. Returns 0, or 2 after a usage error. */
int cli_clock_opt(const char *cmd, int ch, const char *arg, int64_t *sim_start,
                  int64_t *wall_start_us);

/* Usage error: "cablesim CMD: message" and a hint, on stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
