/*
 * rtrproc.c - a `cablesim router` child process for the integration tests
 * (see rtrproc.h). The child's stdout is a pipe read for its "listening on"
 * line; its stderr is the test's, so the router's own reports (journal
 * cuts, restored copies, its stop line) appear in the test log.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "rtrproc.h"
#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tu_child {
    uv_process_t proc;
    uv_pipe_t    out;
    tu_rtr_t    *r;
    int          handles; /* still open: proc, out */
    char         buf[1024];
    size_t       len;
} tu_child_t;

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char  *p = malloc(n);
    if (!p)
        abort();
    memcpy(p, s, n);
    return p;
}

void tu_rtr_init(tu_rtr_t *r, uv_loop_t *loop, const char *net, const char *name,
                 const char *journal, const char *const *extra)
{
    const char *fixed[] = {tu_bin(), "router", "--network", net,         "--name", name,
                           "--journal", journal, "--listen", "127.0.0.1:0"};
    int         n = 0;
    memset(r, 0, sizeof(*r));
    r->loop = loop;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        r->argv[n++] = dup_str(fixed[i]);
    r->listen_arg = n - 1;
    for (size_t i = 0; extra && extra[i] && n < TU_RTR_MAX_ARGS - 1; i++)
        r->argv[n++] = dup_str(extra[i]);
    r->argv[n] = NULL;
}

static void child_closed(uv_handle_t *h)
{
    tu_child_t *ch = h->data;
    if (--ch->handles > 0)
        return;
    ch->r->live--;
    free(ch);
}

/* One line of the child's stdout. */
static void child_line(tu_child_t *ch, const char *line)
{
    tu_rtr_t   *r = ch->r;
    const char *colon;
    static const char prefix[] = "listening on ";
    if (strncmp(line, prefix, sizeof(prefix) - 1) != 0 || ch != r->child)
        return;
    line += sizeof(prefix) - 1;
    colon = strrchr(line, ':');
    if (!colon || (size_t)(colon - line) >= sizeof(r->host))
        return;
    memcpy(r->host, line, (size_t)(colon - line));
    r->host[colon - line] = '\0';
    if (!r->port) {
        char addr[96];
        r->port = atoi(colon + 1);
        snprintf(addr, sizeof(addr), "%s:%d", r->host, r->port);
        free(r->argv[r->listen_arg]);
        r->argv[r->listen_arg] = dup_str(addr);
    }
    r->ready = true;
    r->readies++;
    if (r->on_ready)
        r->on_ready(r);
}

static void out_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    tu_child_t *ch = h->data;
    (void)hint;
    *b = uv_buf_init(ch->buf + ch->len, (unsigned)(sizeof(ch->buf) - 1 - ch->len));
}

static void out_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    tu_child_t *ch = s->data;
    char       *nl;
    (void)b;
    if (n < 0) {
        uv_close((uv_handle_t *)s, child_closed);
        return;
    }
    ch->len += (size_t)n;
    ch->buf[ch->len] = '\0';
    while ((nl = strchr(ch->buf, '\n')) != NULL) {
        *nl = '\0';
        child_line(ch, ch->buf);
        memmove(ch->buf, nl + 1, ch->len - (size_t)(nl + 1 - ch->buf) + 1);
        ch->len -= (size_t)(nl + 1 - ch->buf);
    }
    if (ch->len >= sizeof(ch->buf) - 1)
        ch->len = 0; /* a line too long to be ours */
}

static void child_exit(uv_process_t *p, int64_t status, int sig)
{
    tu_child_t *ch = p->data;
    tu_rtr_t   *r = ch->r;
    uv_close((uv_handle_t *)p, child_closed);
    if (ch != r->child)
        return;
    r->child = NULL;
    r->running = false;
    r->ready = false;
    r->exit_status = status;
    r->term_signal = sig;
    r->exits++;
    if (r->on_exit)
        r->on_exit(r);
}

int tu_rtr_start(tu_rtr_t *r)
{
    tu_child_t          *ch;
    uv_process_options_t po;
    uv_stdio_container_t io[3];
    int                  rc;
    if (r->running)
        return UV_EBUSY;
    ch = calloc(1, sizeof(*ch));
    if (!ch)
        abort();
    ch->r = r;
    uv_pipe_init(r->loop, &ch->out, 0);
    ch->out.data = ch;
    ch->proc.data = ch;
    ch->handles = 2;
    r->live++;
    memset(&po, 0, sizeof(po));
    io[0].flags = UV_IGNORE;
    io[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    io[1].data.stream = (uv_stream_t *)&ch->out;
    io[2].flags = UV_INHERIT_FD;
    io[2].data.fd = 2;
    po.file = r->argv[0];
    po.args = r->argv;
    po.exit_cb = child_exit;
    po.stdio = io;
    po.stdio_count = 3;
    rc = uv_spawn(r->loop, &ch->proc, &po);
    if (rc < 0) {
        fprintf(stderr, "%s: cannot start %s: %s\n", __func__, r->argv[0], uv_strerror(rc));
        uv_close((uv_handle_t *)&ch->proc, child_closed);
        uv_close((uv_handle_t *)&ch->out, child_closed);
        return rc;
    }
    r->child = ch;
    r->running = true;
    r->ready = false;
    r->starts++;
    uv_read_start((uv_stream_t *)&ch->out, out_alloc, out_read);
    return 0;
}

int tu_rtr_kill(tu_rtr_t *r, int sig)
{
    if (!r->running || !r->child)
        return UV_ESRCH;
    return uv_process_kill(&r->child->proc, sig);
}

/* --- bounded waits ------------------------------------------------------- */

typedef struct deadline {
    uv_timer_t t;
    bool       fired;
} deadline_t;

static void deadline_cb(uv_timer_t *t)
{
    deadline_t *d = t->data;
    d->fired = true;
}

static void deadline_closed(uv_handle_t *h)
{
    free(h->data);
}

bool tu_run_until(uv_loop_t *loop, bool (*pred)(void *ud), void *ud, unsigned timeout_ms)
{
    deadline_t *d = calloc(1, sizeof(*d));
    bool        ok;
    if (!d)
        abort();
    uv_timer_init(loop, &d->t);
    d->t.data = d;
    uv_timer_start(&d->t, deadline_cb, timeout_ms, 0);
    while (!(ok = pred(ud)) && !d->fired)
        uv_run(loop, UV_RUN_ONCE);
    uv_timer_stop(&d->t);
    uv_close((uv_handle_t *)&d->t, deadline_closed);
    return ok;
}

static bool ready_or_gone(void *ud)
{
    tu_rtr_t *r = ud;
    return r->ready || !r->running;
}

static bool all_exited(void *ud)
{
    tu_rtr_t *r = ud;
    return !r->running && r->live == 0;
}

bool tu_rtr_wait_ready(tu_rtr_t *r, unsigned timeout_ms)
{
    return tu_run_until(r->loop, ready_or_gone, r, timeout_ms) && r->ready;
}

bool tu_rtr_wait_exit(tu_rtr_t *r, unsigned timeout_ms)
{
    return tu_run_until(r->loop, all_exited, r, timeout_ms);
}

bool tu_rtr_stop(tu_rtr_t *r, unsigned timeout_ms)
{
    if (r->running)
        tu_rtr_kill(r, SIGTERM);
    return tu_rtr_wait_exit(r, timeout_ms) && r->term_signal == 0 && r->exit_status == 0;
}

void tu_rtr_destroy(tu_rtr_t *r)
{
    r->on_exit = NULL;
    r->on_ready = NULL;
    if (r->running)
        tu_rtr_kill(r, SIGKILL);
    tu_rtr_wait_exit(r, 30000);
    for (int i = 0; i < TU_RTR_MAX_ARGS && r->argv[i]; i++)
        free(r->argv[i]);
    memset(r->argv, 0, sizeof(r->argv));
}

/* --- files ----------------------------------------------------------------- */

char *tu_mkdtemp(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char        path[512];
    snprintf(path, sizeof(path), "%s/cablesim-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    if (!mkdtemp(path))
        return NULL;
    return dup_str(path);
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tu_rmtree(const char *path)
{
    if (path)
        nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

int tu_write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    int   rc = 0;
    if (!f)
        return -errno;
    if (fputs(text, f) < 0)
        rc = -EIO;
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    return rc;
}
