/*
 * rtrproc.h - `cablesim router` as a child process of a test, on the test's
 * own libuv loop: spawn it, learn its address from its "listening on
 * HOST:PORT" line, signal it (SIGKILL for a crash, SIGTERM for a clean
 * stop), and know when it has exited. A router can be started again on the
 * same address and journal after it exited (the kill -9 tests).
 *
 * Everything is asynchronous so that it can be driven from inside another
 * engine's callbacks (node_load's on_acked hook); the tu_rtr_wait_* helpers
 * run the loop until an event has happened, with a deadline that only
 * guards against a hung test (they never sleep).
 *
 * Handles: one uv_process_t and one uv_pipe_t per start, allocated per
 * start and freed in their close callbacks, so a restart from the exit
 * callback never reuses a handle that is still closing. When every child
 * has exited and its pipe reached EOF, the router owns no handle.
 */
#ifndef RTRPROC_H
#define RTRPROC_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define TU_RTR_MAX_ARGS 32

typedef struct tu_rtr tu_rtr_t;

struct tu_rtr {
    uv_loop_t *loop;
    char      *argv[TU_RTR_MAX_ARGS]; /* owned; argv[listen_arg] is rewritten */
    int        listen_arg;            /* index of the --listen value */
    char       host[64];
    int        port;                  /* known after the first "listening on" */
    bool       ready;                 /* the current child is listening */
    bool       running;               /* the current child has not exited */
    int64_t    exit_status;           /* of the last child to exit */
    int        term_signal;           /* of the last child to exit (0: none) */
    unsigned   starts, exits, readies;
    /* Called (may be NULL) when a child listens, and when one has exited;
     * tu_rtr_start may be called again from on_exit. */
    void (*on_ready)(tu_rtr_t *r);
    void (*on_exit)(tu_rtr_t *r);
    void *ud;
    /* private */
    struct tu_child *child; /* the current one */
    int              live;  /* children with handles still open */
};

/* tu_rtr_init - r ready to start `SIM_BIN router --network NET --name NAME
 * --journal JOURNAL --listen 127.0.0.1:0` plus 'extra' (a NULL-terminated
 * list of further arguments, may be NULL; e.g. "--log", DIR, "--speed",
 * "100"). Strings are copied. */
void tu_rtr_init(tu_rtr_t *r, uv_loop_t *loop, const char *net, const char *name,
                 const char *journal, const char *const *extra);
/* tu_rtr_start - spawn the router (again): on the port of the first start
 * once one is known. Returns 0 or a libuv error. The previous child must
 * have exited. */
int tu_rtr_start(tu_rtr_t *r);
/* tu_rtr_kill - send 'sig' to the current child if it is running. */
int tu_rtr_kill(tu_rtr_t *r, int sig);
/* tu_rtr_wait_ready - run the loop until the current child listens (true)
 * or exits, or timeout_ms pass (false). */
bool tu_rtr_wait_ready(tu_rtr_t *r, unsigned timeout_ms);
/* tu_rtr_wait_exit - run the loop until no child is running and every
 * child's handles are closed (true), or timeout_ms pass (false). */
bool tu_rtr_wait_exit(tu_rtr_t *r, unsigned timeout_ms);
/* tu_rtr_stop - SIGTERM and wait for the exit; true when it exited 0. */
bool tu_rtr_stop(tu_rtr_t *r, unsigned timeout_ms);
/* tu_rtr_destroy - SIGKILL a child still running, wait for its handles,
 * free the arguments. */
void tu_rtr_destroy(tu_rtr_t *r);

/* tu_run_until - run 'loop' until pred(ud) is true (checked after every
 * loop iteration) or timeout_ms pass. Returns pred's last value. The
 * deadline is a timer on the loop, so the loop always wakes up. */
bool tu_run_until(uv_loop_t *loop, bool (*pred)(void *ud), void *ud, unsigned timeout_ms);

/* tu_mkdtemp - a fresh temporary folder (name owned by the caller: free()),
 * and tu_rmtree to remove it with everything in it. */
char *tu_mkdtemp(const char *tag);
void  tu_rmtree(const char *path);
/* tu_write_text - write 'text' to 'path'; 0 or -errno. */
int tu_write_text(const char *path, const char *text);

#endif
