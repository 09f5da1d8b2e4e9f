/*
 * test_rtr_journal.c - the store-and-forward journal: round trips across
 * segments, group commit, the flush split in three, recovery of torn tails
 * at every byte and of flipped bytes, custody and segment removal, reading
 * back, error codes, and `cablesim journal`.
 *
 * Most tests run on a power-loss simulator, an I/O layer that keeps for each
 * file what reads see and what a crash would leave (what the last fdatasync
 * saw), and for each folder which names an fsync made durable. At a
 * simulated crash it throws away everything not yet synced (or, in the
 * harsher modes, keeps a random part of it, zero-fills it or fills it with
 * garbage, and keeps or loses each name change at random). The crash tests
 * run a random workload once to count its I/O calls, then again with a crash
 * after each call in turn, recover, and check that every record a flush_end
 * reported durable is back, byte for byte, and that nothing delivered
 * durably is pending again. The same layer fails the Nth write or fdatasync
 * on request (SQLite-style fault injection). The random workloads print
 * their seed; SIM_JOURNAL_SEED=N replays one.
 *
 * The other tests use real files in folders made with mkdtemp under /tmp,
 * removed at the end.
 */
#include "testutil.h"
#include "rtr_journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ======================================================================
 * A small deterministic random generator (xorshift64*).
 * ====================================================================== */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * UINT64_C(2685821657736338717);
}

static uint32_t rng_below(uint64_t *s, uint32_t n)
{
    return n ? (uint32_t)(rng_next(s) % n) : 0;
}

static uint64_t test_seed(void)
{
    static uint64_t seed;
    const char     *env = getenv("SIM_JOURNAL_SEED");

    if (seed)
        return seed;
    seed = env ? strtoull(env, NULL, 10) : ((uint64_t)time(NULL) << 16) ^ (uint64_t)getpid();
    if (!seed)
        seed = 1;
    fprintf(stderr, "test_rtr_journal: seed %llu (replay with SIM_JOURNAL_SEED=%llu)\n",
            (unsigned long long)seed, (unsigned long long)seed);
    return seed;
}

/* ======================================================================
 * The power-loss simulator.
 * ====================================================================== */

typedef struct mnode {
    unsigned char *data; /* what reads see */
    size_t         len, cap;
    unsigned char *dur; /* what survives a crash: the bytes at the last fdatasync */
    size_t         dlen;
    bool           dir;
    int            lock_fd; /* the fd holding the lock, -1 */
} mnode_t;

typedef struct mname {
    char    *path;
    mnode_t *node;
} mname_t;

typedef struct mnames {
    mname_t *v;
    size_t   n, cap;
} mnames_t;

enum { CRASH_DROP, CRASH_PREFIX, CRASH_ZEROS, CRASH_GARBAGE, CRASH_MODES };
static const char *const crash_mode_name[] = {"drop", "prefix", "zeros", "garbage"};

#define MSIM_FDS 512

typedef struct msim {
    rtr_jio_t io;
    mnode_t **nodes; /* every node ever made, freed by msim_free */
    size_t    n_nodes, cap_nodes;
    mnames_t  live;  /* the names the process sees */
    mnames_t  dur;   /* the names that survive a crash */
    mnode_t  *fds[MSIM_FDS];
    long      bad_closes; /* closes of a file not open (a double close) */
    /* Crash: the process dies after crash_at calls (0: never). */
    long ops, crash_at;
    bool dead;
    /* Faults: fail the Nth call of a kind (1-based; 0: never). */
    long writes, syncs, dirsyncs, reads;
    long fail_write, fail_sync, fail_dirsync, fail_read;
    int  fail_code;
    bool deny_mkdir;
    uint64_t rng;
} msim_t;

static mnode_t *mnode_new(msim_t *m, bool dir)
{
    mnode_t *n = calloc(1, sizeof(*n));
    assert_non_null(n);
    n->dir = dir;
    n->lock_fd = -1;
    if (m->n_nodes == m->cap_nodes) {
        m->cap_nodes = m->cap_nodes ? m->cap_nodes * 2 : 16;
        m->nodes = realloc(m->nodes, m->cap_nodes * sizeof(*m->nodes));
        assert_non_null(m->nodes);
    }
    m->nodes[m->n_nodes++] = n;
    return n;
}

static mname_t *names_find(mnames_t *ns, const char *path)
{
    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->v[i].path, path) == 0)
            return &ns->v[i];
    return NULL;
}

static void names_set(mnames_t *ns, const char *path, mnode_t *node)
{
    mname_t *e = names_find(ns, path);
    if (e) {
        e->node = node;
        return;
    }
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? ns->cap * 2 : 16;
        ns->v = realloc(ns->v, ns->cap * sizeof(*ns->v));
        assert_non_null(ns->v);
    }
    ns->v[ns->n].path = strdup(path);
    ns->v[ns->n].node = node;
    ns->n++;
}

static void names_del(mnames_t *ns, const char *path)
{
    mname_t *e = names_find(ns, path);
    if (!e)
        return;
    free(e->path);
    *e = ns->v[--ns->n];
}

static void names_free(mnames_t *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i].path);
    free(ns->v);
    memset(ns, 0, sizeof(*ns));
}

/* The folder part of a path ("/" for "/x"). */
static void parent_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == path)
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

static bool msim_dir_exists(msim_t *m, mnames_t *ns, const char *dir)
{
    mname_t *e;
    (void)m;
    if (strcmp(dir, "/") == 0 || strcmp(dir, ".") == 0)
        return true;
    e = names_find(ns, dir);
    return e && e->node->dir;
}

/* Every call starts here: counts it, and fails it once the process is dead. */
static int msim_enter(msim_t *m)
{
    if (m->dead)
        return -EIO;
    m->ops++;
    if (m->crash_at && m->ops > m->crash_at) {
        m->dead = true;
        return -EIO;
    }
    return 0;
}

static mnode_t *msim_fd(msim_t *m, int fd)
{
    if (fd < 3 || fd >= MSIM_FDS + 3 || !m->fds[fd - 3])
        return NULL;
    return m->fds[fd - 3];
}

static void node_reserve(mnode_t *n, size_t len)
{
    if (len > n->cap) {
        size_t cap = n->cap ? n->cap : 256;
        while (cap < len)
            cap *= 2;
        n->data = realloc(n->data, cap);
        assert_non_null(n->data);
        n->cap = cap;
    }
}

static void node_resize(mnode_t *n, size_t len)
{
    node_reserve(n, len);
    if (len > n->len)
        memset(n->data + n->len, 0, len - n->len);
    n->len = len;
}

static int ms_mkdir(void *ud, const char *path)
{
    msim_t *m = ud;
    char    parent[512];
    int     rc;

    if ((rc = msim_enter(m)) < 0)
        return rc;
    if (m->deny_mkdir)
        return -EACCES;
    if (names_find(&m->live, path))
        return -EEXIST;
    parent_of(path, parent, sizeof(parent));
    if (!msim_dir_exists(m, &m->live, parent))
        return names_find(&m->live, parent) ? -ENOTDIR : -ENOENT;
    names_set(&m->live, path, mnode_new(m, true));
    return 0;
}

static int ms_list(void *ud, const char *dir, char ***names, size_t *n)
{
    msim_t *m = ud;
    char    parent[512];
    char  **v;
    size_t  k = 0;
    int     rc;

    *names = NULL;
    *n = 0;
    if ((rc = msim_enter(m)) < 0)
        return rc;
    if (!msim_dir_exists(m, &m->live, dir))
        return names_find(&m->live, dir) ? -ENOTDIR : -ENOENT;
    v = calloc(m->live.n + 1, sizeof(*v));
    assert_non_null(v);
    for (size_t i = 0; i < m->live.n; i++) {
        parent_of(m->live.v[i].path, parent, sizeof(parent));
        if (strcmp(parent, dir) == 0)
            v[k++] = strdup(strrchr(m->live.v[i].path, '/') + 1);
    }
    *names = v;
    *n = k;
    return 0;
}

static int ms_open(void *ud, const char *path, int flags)
{
    msim_t  *m = ud;
    mname_t *e;
    mnode_t *node;
    char     parent[512];
    int      rc;

    if ((rc = msim_enter(m)) < 0)
        return rc;
    e = names_find(&m->live, path);
    if (e && flags == RTR_JIO_CREATE)
        return -EEXIST;
    if (!e && (flags == RTR_JIO_CREATE || flags == RTR_JIO_OPEN_ALWAYS)) {
        parent_of(path, parent, sizeof(parent));
        if (!msim_dir_exists(m, &m->live, parent))
            return -ENOENT;
        names_set(&m->live, path, node = mnode_new(m, false));
    } else if (!e) {
        return -ENOENT;
    } else {
        node = e->node;
    }
    if (node->dir)
        return -EISDIR;
    for (int i = 0; i < MSIM_FDS; i++) {
        if (!m->fds[i]) {
            m->fds[i] = node;
            return i + 3;
        }
    }
    return -EMFILE;
}

static int ms_lock(void *ud, int fd)
{
    msim_t  *m = ud;
    mnode_t *n;
    int      rc;

    if ((rc = msim_enter(m)) < 0)
        return rc;
    if (!(n = msim_fd(m, fd)))
        return -EBADF;
    if (n->lock_fd >= 0 && n->lock_fd != fd)
        return -EWOULDBLOCK;
    n->lock_fd = fd;
    return 0;
}

static int ms_size(void *ud, int fd, uint64_t *size)
{
    msim_t  *m = ud;
    mnode_t *n;
    int      rc;

    if ((rc = msim_enter(m)) < 0)
        return rc;
    if (!(n = msim_fd(m, fd)))
        return -EBADF;
    *size = n->len;
    return 0;
}

static ssize_t ms_pread(void *ud, int fd, void *buf, size_t len, uint64_t off)
{
    msim_t  *m = ud;
    mnode_t *n;
    int      rc;

    if ((rc = msim_enter(m)) < 0)
        return rc;
    if (!(n = msim_fd(m, fd)))
        return -EBADF;
    if (++m->reads == m->fail_read)
        return -m->fail_code;
    if (off >= n->len)
        return 0;
    if (len > n->len - off)
        len = (size_t)(n->len - off);
    memcpy(buf, n->data + off, len);
    return (ssize_t)len;
}

static ssize_t ms_pwrite(void *ud, int fd, const void *buf, size_t len, uint64_t off)
{
    msim_t  *m = ud;
    mnode_t *n;
    int      rc;

    if ((rc = msim_enter(m)) < 0)
        return rc;
    if (!(n = msim_fd(m, fd)))
        return -EBADF;
    if (++m->writes == m->fail_write) {
        /* A write that fails part way: some of it reached the file. */
        size_t part = len ? rng_below(&m->rng, (uint32_t)len) : 0;
        if (part && off + part > n->len)
            node_resize(n, (size_t)(off + part));
        if (part)
            memcpy(n->data + off, buf, part);
        return -m->fail_code;
    }
    if (off + len > n->len)
        node_resize(n, (size_t)(off + len));
    if (len)
        memcpy(n->data + off, buf, len);
    return (ssize_t)len;
}

static int ms_fdatasync(void *ud, int fd)
{
    msim_t  *m = ud;
    mnode_t *n;
    int      rc;

    if ((rc = msim_enter(m)) < 0)
        return rc;
    if (!(n = msim_fd(m, fd)))
        return -EBADF;
    if (++m->syncs == m->fail_sync)
        return -m->fail_code;
    free(n->dur);
    n->dur = malloc(n->len ? n->len : 1);
    assert_non_null(n->dur);
    if (n->len)
        memcpy(n->dur, n->data, n->len);
    n->dlen = n->len;
    return 0;
}

static int ms_fallocate(void *ud, int fd, uint64_t off, uint64_t len)
{
    msim_t  *m = ud;
    mnode_t *n;
    int      rc;

    if ((rc = msim_enter(m)) < 0)
        return rc;
    if (!(n = msim_fd(m, fd)))
        return -EBADF;
    if (off + len > n->len)
        node_resize(n, (size_t)(off + len));
    return 0;
}

static int ms_ftruncate(void *ud, int fd, uint64_t len)
{
    msim_t  *m = ud;
    mnode_t *n;
    int      rc;

    if ((rc = msim_enter(m)) < 0)
        return rc;
    if (!(n = msim_fd(m, fd)))
        return -EBADF;
    node_resize(n, (size_t)len);
    return 0;
}

static int ms_unlink(void *ud, const char *path)
{
    msim_t *m = ud;
    int     rc;

    if ((rc = msim_enter(m)) < 0)
        return rc;
    if (!names_find(&m->live, path))
        return -ENOENT;
    names_del(&m->live, path);
    return 0;
}

static int ms_fsync_dir(void *ud, const char *dir)
{
    msim_t *m = ud;
    char    parent[512];
    int     rc;

    if ((rc = msim_enter(m)) < 0)
        return rc;
    if (++m->dirsyncs == m->fail_dirsync)
        return -m->fail_code;
    if (!msim_dir_exists(m, &m->live, dir))
        return -ENOENT;
    /* The folder's durable names become its live ones. */
    for (size_t i = 0; i < m->dur.n;) {
        parent_of(m->dur.v[i].path, parent, sizeof(parent));
        if (strcmp(parent, dir) == 0 && !names_find(&m->live, m->dur.v[i].path))
            names_del(&m->dur, m->dur.v[i].path);
        else
            i++;
    }
    for (size_t i = 0; i < m->live.n; i++) {
        parent_of(m->live.v[i].path, parent, sizeof(parent));
        if (strcmp(parent, dir) == 0)
            names_set(&m->dur, m->live.v[i].path, m->live.v[i].node);
    }
    return 0;
}

/* Files open in the simulation. */
static int msim_open_fds(const msim_t *m)
{
    int n = 0;
    for (int i = 0; i < MSIM_FDS; i++)
        n += m->fds[i] != NULL;
    return n;
}

static int ms_close(void *ud, int fd)
{
    msim_t  *m = ud;
    mnode_t *n = msim_fd(m, fd);

    /* Closing never fails here, dead or not: the fd goes in any case. */
    if (!n) {
        m->bad_closes++;
        return -EBADF;
    }
    if (n->lock_fd == fd)
        n->lock_fd = -1;
    m->fds[fd - 3] = NULL;
    return 0;
}

static msim_t *msim_new(uint64_t seed)
{
    msim_t *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    m->io = (rtr_jio_t){
        .ud = m,
        .mkdir = ms_mkdir,
        .list = ms_list,
        .open = ms_open,
        .lock = ms_lock,
        .size = ms_size,
        .pread = ms_pread,
        .pwrite = ms_pwrite,
        .fdatasync = ms_fdatasync,
        .fallocate = ms_fallocate,
        .ftruncate = ms_ftruncate,
        .unlink = ms_unlink,
        .fsync_dir = ms_fsync_dir,
        .close = ms_close,
    };
    m->rng = seed ? seed : 1;
    m->fail_code = EIO;
    return m;
}

static void msim_free(msim_t *m)
{
    for (size_t i = 0; i < m->n_nodes; i++) {
        free(m->nodes[i]->data);
        free(m->nodes[i]->dur);
        free(m->nodes[i]);
    }
    free(m->nodes);
    names_free(&m->live);
    names_free(&m->dur);
    free(m);
}

/* The machine loses power: only what was synced is left (CRASH_DROP), or in
 * the harsher modes some of what was not. Then it boots: no fds, no locks. */
static void msim_crash(msim_t *m, int mode)
{
    mnames_t keep = {0};
    char     parent[512];

    /* Names: the durable ones; in the harsher modes each name change not yet
     * made durable may have reached the disk anyway. */
    for (size_t i = 0; i < m->dur.n; i++) {
        mname_t *l = names_find(&m->live, m->dur.v[i].path);
        if (mode != CRASH_DROP && !l && rng_below(&m->rng, 2))
            continue; /* an unlink that made it */
        names_set(&keep, m->dur.v[i].path, m->dur.v[i].node);
    }
    for (size_t i = 0; mode != CRASH_DROP && i < m->live.n; i++)
        if (!names_find(&m->dur, m->live.v[i].path) && rng_below(&m->rng, 2))
            names_set(&keep, m->live.v[i].path, m->live.v[i].node);
    /* A name whose folder did not survive is gone too. */
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < keep.n; i++) {
            parent_of(keep.v[i].path, parent, sizeof(parent));
            if (!msim_dir_exists(m, &keep, parent)) {
                names_del(&keep, keep.v[i].path);
                changed = true;
                break;
            }
        }
    }
    /* Contents. */
    for (size_t i = 0; i < m->n_nodes; i++) {
        mnode_t *n = m->nodes[i];
        size_t   len = n->dlen;

        if (n->dir)
            continue;
        if (mode == CRASH_PREFIX && n->len > 0) {
            /* Bytes reach the disk in file order up to a random point. */
            size_t k = rng_below(&m->rng, (uint32_t)n->len + 1);
            len = SIM_MAX(k, n->dlen);
            node_reserve(n, len);
            if (n->dlen > k)
                memcpy(n->data + k, n->dur + k, n->dlen - k);
        } else if ((mode == CRASH_ZEROS || mode == CRASH_GARBAGE) && n->len > n->dlen) {
            /* The size reached the disk, the data did not. */
            len = n->dlen + rng_below(&m->rng, (uint32_t)(n->len - n->dlen) + 1);
            node_reserve(n, len);
            if (n->dlen)
                memcpy(n->data, n->dur, n->dlen);
            for (size_t b = n->dlen; b < len; b++)
                n->data[b] = mode == CRASH_ZEROS ? 0 : (unsigned char)rng_next(&m->rng);
        } else {
            node_reserve(n, len ? len : 1);
            if (n->dlen)
                memcpy(n->data, n->dur, n->dlen);
        }
        n->len = len;
        free(n->dur);
        n->dur = malloc(len ? len : 1);
        assert_non_null(n->dur);
        if (len)
            memcpy(n->dur, n->data, len);
        n->dlen = len;
        n->lock_fd = -1;
    }
    names_free(&m->live);
    names_free(&m->dur);
    m->live = keep;
    for (size_t i = 0; i < keep.n; i++)
        names_set(&m->dur, keep.v[i].path, keep.v[i].node);
    memset(m->fds, 0, sizeof(m->fds));
    m->dead = false;
    m->crash_at = 0;
    m->fail_write = m->fail_sync = m->fail_dirsync = m->fail_read = 0;
}

static mnode_t *msim_file(msim_t *m, const char *path)
{
    mname_t *e = names_find(&m->live, path);
    return e ? e->node : NULL;
}

static size_t msim_count_segments(msim_t *m, const char *dir)
{
    char   parent[512];
    size_t n = 0;
    for (size_t i = 0; i < m->live.n; i++) {
        parent_of(m->live.v[i].path, parent, sizeof(parent));
        if (strcmp(parent, dir) == 0 && strstr(m->live.v[i].path, ".jnl"))
            n++;
    }
    return n;
}

/* ======================================================================
 * Helpers: options, collecting a scan, temp folders.
 * ====================================================================== */

static rtr_journal_opts_t sim_opts(msim_t *m, uint64_t segment_size)
{
    rtr_journal_opts_t o;
    memset(&o, 0, sizeof(o));
    o.io = m ? &m->io : NULL;
    o.segment_size = segment_size;
    return o;
}

typedef struct rec {
    rtr_jid_t      id, ref;
    int            type;
    unsigned char *p;
    uint32_t       len;
} rec_t;

typedef struct recs {
    rec_t *v;
    size_t n, cap;
} recs_t;

static void recs_add(recs_t *r, rtr_jid_t id, int type, rtr_jid_t ref, const void *p, size_t len)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->v = realloc(r->v, r->cap * sizeof(*r->v));
        assert_non_null(r->v);
    }
    r->v[r->n].id = id;
    r->v[r->n].ref = ref;
    r->v[r->n].type = type;
    r->v[r->n].len = (uint32_t)len;
    r->v[r->n].p = malloc(len ? len : 1);
    assert_non_null(r->v[r->n].p);
    if (len)
        memcpy(r->v[r->n].p, p, len);
    r->n++;
}

static void recs_free(recs_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].p);
    free(r->v);
    memset(r, 0, sizeof(*r));
}

static int collect_cb(void *ud, const rtr_journal_rec_t *rec)
{
    recs_add(ud, rec->id, rec->type, rec->ref, rec->payload, rec->len);
    return 0;
}

static void scan_all(rtr_journal_t *j, recs_t *out)
{
    memset(out, 0, sizeof(*out));
    assert_int_equal(rtr_journal_scan(j, collect_cb, out), 0);
}

static bool rec_equal(const rec_t *a, const rec_t *b)
{
    return a->id == b->id && a->ref == b->ref && a->type == b->type && a->len == b->len &&
           (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static void fill_payload(uint64_t *rng, unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)rng_next(rng);
}

/* Temp folders of the running test, removed by its teardown even when an
 * assertion ended it early. */
static char tmp_made[8][64];
static int  n_tmp_made;

static char *make_tmpdir(void)
{
    char *d = strdup("/tmp/cablesim-jnl-XXXXXX");
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    assert_true(n_tmp_made < 8);
    snprintf(tmp_made[n_tmp_made++], sizeof(tmp_made[0]), "%s", d);
    return d;
}

static void rm_rf(const char *path)
{
    DIR           *d = opendir(path);
    struct dirent *e;
    char           sub[1024];

    if (!d) {
        unlink(path);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        rm_rf(sub);
    }
    closedir(d);
    rmdir(path);
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

static void seg_path(char *out, size_t cap, const char *dir, uint32_t no)
{
    snprintf(out, cap, "%s/%08u.jnl", dir, (unsigned)no);
}

static int count_jnl_files(const char *dir)
{
    DIR           *d = opendir(dir);
    struct dirent *e;
    int            n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".jnl"))
            n++;
    closedir(d);
    return n;
}

static void flip_byte(const char *path, uint64_t off)
{
    int           fd = open(path, O_RDWR);
    unsigned char c;
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &c, 1, (off_t)off), 1);
    c ^= 0xff;
    assert_int_equal(pwrite(fd, &c, 1, (off_t)off), 1);
    close(fd);
}

static int tmp_cleanup(void **state)
{
    char path[600];
    (void)state;
    for (int i = 0; i < n_tmp_made; i++) {
        rm_rf(tmp_made[i]);
        snprintf(path, sizeof(path), "%s.out", tmp_made[i]);
        unlink(path);
        snprintf(path, sizeof(path), "%s.err", tmp_made[i]);
        unlink(path);
    }
    n_tmp_made = 0;
    return 0;
}

/* Removes a temp folder of make_tmpdir, and frees its name. */
static void tmp_done(char *dir)
{
    rm_rf(dir);
    for (int i = 0; i < n_tmp_made; i++) {
        if (strcmp(tmp_made[i], dir) == 0) {
            memmove(tmp_made[i], tmp_made[i + 1],
                    (size_t)(n_tmp_made - i - 1) * sizeof(tmp_made[0]));
            n_tmp_made--;
            break;
        }
    }
    free(dir);
}

#define JDIR "/sim/j"

static msim_t *sim_with_root(uint64_t seed)
{
    msim_t *m = msim_new(seed);
    assert_int_equal(ms_mkdir(m, "/sim"), 0);
    assert_int_equal(ms_fsync_dir(m, "/"), 0);
    m->ops = 0;
    m->dirsyncs = 0;
    return m;
}

/* ======================================================================
 * Round trips.
 * ====================================================================== */

/* A random earlier ACCEPT of r (0 when there is none). Records that refer to
 * an ACCEPT keep their segment as long as the ACCEPT's, so nothing of these
 * workloads, which never release, is ever removed. */
static rtr_jid_t some_accept(uint64_t *rng, const recs_t *r)
{
    for (int tries = 0; r->n && tries < 64; tries++) {
        const rec_t *x = &r->v[rng_below(rng, (uint32_t)r->n)];
        if (x->type == RTR_JREC_ACCEPT)
            return x->id;
    }
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].type == RTR_JREC_ACCEPT)
            return r->v[i].id;
    return 0;
}

/* Appends n random records (ACCEPTs, DELIVEREDs referring back, a few of an
 * unknown type), syncing every few; the known ones are added to 'known'. */
static void append_random(rtr_journal_t *j, uint64_t *rng, int n, size_t max_len, recs_t *known,
                          uint64_t *unknown)
{
    unsigned char buf[4096];
    for (int i = 0; i < n; i++) {
        uint32_t  pick = rng_below(rng, 20);
        int       type = pick < 15 ? RTR_JREC_ACCEPT : pick < 19 ? RTR_JREC_DELIVERED : 200;
        rtr_jid_t ref = 0, id;
        size_t    len = rng_below(rng, (uint32_t)max_len + 1);

        if (type != RTR_JREC_ACCEPT && !(ref = some_accept(rng, known)))
            type = RTR_JREC_ACCEPT;
        fill_payload(rng, buf, len);
        assert_int_equal(rtr_journal_append(j, type, ref, buf, len, &id), 0);
        if (known->n)
            assert_true(id > known->v[known->n - 1].id);
        if (type <= RTR_JREC_KNOWN_MAX)
            recs_add(known, id, type, ref, buf, len);
        else
            (*unknown)++;
        if (rng_below(rng, 17) == 0)
            assert_int_equal(rtr_journal_sync(j, NULL), 0);
    }
}

static void check_round_trip(const char *dir, const rtr_journal_opts_t *o)
{
    rtr_journal_t       *j;
    rtr_journal_report_t rep;
    rtr_journal_stats_t  st;
    recs_t               known = {0}, got;
    uint64_t             rng = test_seed() ^ 0x1111, unknown = 0;
    rtr_jid_t            durable;
    unsigned char        buf[4096];
    size_t               len;

    assert_int_equal(rtr_journal_open(&j, dir, o, &rep), 0);
    assert_int_equal(rep.n_segs, 0);
    assert_int_equal(rep.n_cuts, 0);
    rtr_journal_report_destroy(&rep);
    append_random(j, &rng, 300, 400, &known, &unknown);
    assert_int_equal(known.v[0].id, RTR_JID(1, 32)); /* right after the segment header */
    assert_int_equal(rtr_journal_sync(j, &durable), 0);
    rtr_journal_stats(j, &st);
    assert_int_equal(durable, st.durable);
    assert_true(durable >= known.v[known.n - 1].id);
    assert_true(st.segments >= 5);
    rtr_journal_close(j);

    assert_int_equal(rtr_journal_open(&j, dir, o, &rep), 0);
    assert_int_equal(rep.n_cuts, 0);
    assert_true(rep.n_segs >= 5);
    assert_int_equal(rep.records, known.n + unknown);
    assert_int_equal(rep.unknown, unknown);
    assert_int_equal(rep.by_type[200], unknown);
    rtr_journal_report_destroy(&rep);
    assert_int_equal(rtr_journal_durable(j), durable);
    scan_all(j, &got);
    assert_int_equal(got.n, known.n);
    for (size_t i = 0; i < got.n; i++) {
        assert_true(rec_equal(&got.v[i], &known.v[i]));
        assert_int_equal(rtr_journal_read(j, known.v[i].id, buf, sizeof(buf), &len), 0);
        assert_int_equal(len, known.v[i].len);
        if (len)
            assert_memory_equal(buf, known.v[i].p, len);
    }
    /* The journal goes on where it stopped. */
    append_random(j, &rng, 40, 400, &known, &unknown);
    assert_int_equal(rtr_journal_sync(j, NULL), 0);
    rtr_journal_close(j);
    assert_int_equal(rtr_journal_open(&j, dir, o, &rep), 0);
    assert_int_equal(rep.n_cuts, 0);
    rtr_journal_report_destroy(&rep);
    recs_free(&got);
    scan_all(j, &got);
    assert_int_equal(got.n, known.n);
    for (size_t i = 0; i < got.n; i++)
        assert_true(rec_equal(&got.v[i], &known.v[i]));
    rtr_journal_close(j);
    recs_free(&got);
    recs_free(&known);
}

static void test_round_trip_files(void **state)
{
    char              *tmp = make_tmpdir();
    char               dir[512];
    rtr_journal_opts_t o = sim_opts(NULL, 4096);
    (void)state;
    /* A folder that does not exist yet, two levels down. */
    snprintf(dir, sizeof(dir), "%s/a/journal/", tmp);
    check_round_trip(dir, &o);
    assert_true(count_jnl_files(dir) >= 5);
    tmp_done(tmp);
}

static void test_round_trip_simulated(void **state)
{
    msim_t            *m = sim_with_root(test_seed());
    rtr_journal_opts_t o = sim_opts(m, 4096);
    (void)state;
    check_round_trip(JDIR, &o);
    msim_free(m);
}

/* ======================================================================
 * Group commit and the flush in three parts.
 * ====================================================================== */

static void test_group_commit(void **state)
{
    char                *dir = make_tmpdir();
    rtr_journal_opts_t   o = sim_opts(NULL, 0);
    rtr_journal_t       *j;
    rtr_journal_stats_t  st;
    rtr_jid_t            id, durable;
    char                 payload[1024];
    (void)state;

    memset(payload, 'x', sizeof(payload));
    assert_int_equal(rtr_journal_open(&j, dir, &o, NULL), 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(
            rtr_journal_append(j, RTR_JREC_ACCEPT, 0, payload, sizeof(payload), &id), 0);
    rtr_journal_stats(j, &st);
    assert_int_equal(st.fdatasyncs, 0);
    assert_int_equal(st.durable, 0);
    assert_int_equal(rtr_journal_sync(j, &durable), 0);
    assert_int_equal(durable, id);
    rtr_journal_stats(j, &st);
    assert_int_equal(st.appends, 1000);
    assert_int_equal(st.batches, 1);
    assert_int_equal(st.writes, 1);        /* one pwrite for the whole batch */
    assert_int_equal(st.fdatasyncs, 1);    /* one fdatasync for 1000 records */
    assert_int_equal(st.dir_fsyncs, 1);    /* the segment was created */
    assert_int_equal(st.segments_created, 1);
    assert_int_equal(st.write_bytes, 32 + 1000 * (17 + sizeof(payload)));
    assert_int_equal(st.live, 1000);
    for (int i = 0; i < 10; i++)
        assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, payload, 100, &id), 0);
    assert_int_equal(rtr_journal_sync(j, NULL), 0);
    rtr_journal_stats(j, &st);
    assert_int_equal(st.fdatasyncs, 2);
    assert_int_equal(st.dir_fsyncs, 1);
    /* Nothing appended: nothing to do. */
    assert_int_equal(rtr_journal_sync(j, NULL), 0);
    rtr_journal_stats(j, &st);
    assert_int_equal(st.fdatasyncs, 2);
    rtr_journal_close(j);
    tmp_done(dir);
}

/* A record appended in pieces is the record of their concatenation. */
static void test_append_in_pieces(void **state)
{
    char               *dir = make_tmpdir();
    rtr_journal_opts_t  o = sim_opts(NULL, 0);
    rtr_journal_t      *j;
    rtr_jid_t           a, b, c;
    recs_t              got;
    const char          whole[] = "head|the cable's bytes|tail";
    rtr_journal_piece_t pieces[4] = {{"head|", 5}, {"the cable's bytes", 17}, {NULL, 0}, {"|tail", 5}};
    (void)state;
    assert_int_equal(rtr_journal_open(&j, dir, &o, NULL), 0);
    assert_int_equal(rtr_journal_appendv(j, RTR_JREC_ACCEPT, 0, pieces, 4, &a), 0);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, whole, sizeof(whole) - 1, &b), 0);
    assert_int_equal(rtr_journal_appendv(j, RTR_JREC_DELIVERED, a, pieces, 0, &c), 0);
    assert_int_equal(rtr_journal_sync(j, NULL), 0);
    scan_all(j, &got);
    assert_int_equal(got.n, 3);
    assert_int_equal(got.v[0].len, sizeof(whole) - 1);
    assert_memory_equal(got.v[0].p, whole, sizeof(whole) - 1);
    assert_int_equal(got.v[1].len, got.v[0].len);
    assert_memory_equal(got.v[1].p, got.v[0].p, got.v[0].len);
    assert_int_equal(got.v[2].len, 0);
    assert_int_equal(got.v[2].ref, a);
    recs_free(&got);
    rtr_journal_close(j);
    tmp_done(dir);
}

static void test_batch_rolls_over(void **state)
{
    msim_t             *m = sim_with_root(1);
    rtr_journal_opts_t  o = sim_opts(m, 4096);
    rtr_journal_t      *j;
    rtr_journal_stats_t st;
    rtr_jid_t           id, first = 0;
    char                payload[1000];
    (void)state;

    memset(payload, 'r', sizeof(payload));
    assert_int_equal(rtr_journal_open(&j, JDIR, &o, NULL), 0);
    /* 10 records of 1017 bytes: three fit in a 4 KiB segment. */
    for (int i = 0; i < 10; i++) {
        assert_int_equal(
            rtr_journal_append(j, RTR_JREC_ACCEPT, 0, payload, sizeof(payload), &id), 0);
        if (!first)
            first = id;
        assert_int_equal(RTR_JID_SEG(id), 1 + i / 3);
        assert_int_equal(RTR_JID_OFF(id), 32 + (i % 3) * 1017);
    }
    assert_int_equal(rtr_journal_sync(j, NULL), 0);
    rtr_journal_stats(j, &st);
    assert_int_equal(st.writes, 4);     /* one per segment touched */
    assert_int_equal(st.fdatasyncs, 4); /* each file written */
    assert_int_equal(st.dir_fsyncs, 1); /* one for the four new names */
    assert_int_equal(st.segments, 4);
    assert_int_equal(st.current_segment, 4);
    /* A record bigger than a segment gets a segment of its own. */
    {
        char *big = calloc(1, 6000);
        assert_non_null(big);
        assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, big, 6000, &id), 0);
        assert_int_equal(id, RTR_JID(5, 32));
        assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, big, 10, &id), 0);
        assert_int_equal(id, RTR_JID(6, 32));
        free(big);
    }
    assert_int_equal(rtr_journal_sync(j, NULL), 0);
    assert_int_equal(msim_count_segments(m, JDIR), 6);
    rtr_journal_close(j);
    msim_free(m);
}

static void test_flush_in_three_parts(void **state)
{
    msim_t              *m = sim_with_root(2);
    rtr_journal_opts_t   o = sim_opts(m, 0);
    rtr_journal_t       *j;
    rtr_journal_batch_t *b, *b2;
    rtr_jid_t            a1, a2, a3, durable = 99;
    char                 buf[64];
    size_t               len;
    (void)state;

    assert_int_equal(rtr_journal_open(&j, JDIR, &o, NULL), 0);
    assert_int_equal(rtr_journal_flush_begin(j, &b), 0);
    assert_null(b); /* nothing to do */
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, "one", 3, &a1), 0);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, "two", 3, &a2), 0);
    assert_int_equal(rtr_journal_flush_begin(j, &b), 0);
    assert_non_null(b);
    /* While the batch is out, appends go to the other buffer. */
    assert_int_equal(rtr_journal_append(j, RTR_JREC_DELIVERED, a1, "three", 5, &a3), 0);
    assert_true(a3 > a2);
    assert_int_equal(rtr_journal_flush_begin(j, &b2), -EBUSY);
    assert_null(b2);
    assert_int_equal(rtr_journal_scan(j, collect_cb, NULL), -EBUSY);
    /* Both are readable before they are written. */
    assert_int_equal(rtr_journal_read(j, a2, buf, sizeof(buf), &len), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(buf, "two", 3);
    assert_int_equal(rtr_journal_read(j, a3, buf, sizeof(buf), &len), 0);
    assert_memory_equal(buf, "three", 5);
    assert_int_equal(rtr_journal_durable(j), 0);
    assert_int_equal(m->syncs, 0);
    assert_int_equal(rtr_journal_flush_io(b), 0);
    assert_int_equal(m->syncs, 1);
    assert_int_equal(rtr_journal_durable(j), 0); /* not before flush_end */
    assert_int_equal(rtr_journal_flush_end(j, b, &durable), 0);
    assert_int_equal(durable, a2);
    assert_int_equal(rtr_journal_read(j, a2, buf, sizeof(buf), &len), 0);
    assert_memory_equal(buf, "two", 3);
    assert_int_equal(rtr_journal_sync(j, &durable), 0);
    assert_int_equal(durable, a3);
    rtr_journal_close(j);
    msim_free(m);
}

/* ======================================================================
 * Power loss at every I/O call, and faults.
 * ====================================================================== */

/* One run of a random workload against the simulator. */
typedef struct wl {
    recs_t    appended;  /* records of known types, in append order */
    rtr_jid_t durable;   /* the last durable id a flush_end reported */
    rtr_jid_t written;   /* the last id of a batch handed to flush_io */
    rtr_jid_t last_any;  /* the last id appended, of any type */
    int       error;     /* the first error, which ended the run */
    bool      check_sticky;
} wl_t;

/* One flush through the three parts, with appends while the batch is out
 * when 'extra' > 0. Returns 0 or the error. */
static int wl_flush(rtr_journal_t *j, wl_t *w, uint64_t *rng, int extra)
{
    rtr_journal_batch_t *b;
    rtr_jid_t            before = rtr_journal_durable(j), d = 0, id;
    rtr_jid_t            last = w->last_any;
    unsigned char        p[64];
    int                  rc;

    if ((rc = rtr_journal_flush_begin(j, &b)) < 0)
        return rc;
    if (!b)
        return 0;
    w->written = last;
    for (int i = 0; i < extra; i++) {
        size_t len = rng_below(rng, sizeof(p));
        fill_payload(rng, p, len);
        assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, p, len, &id), 0);
        recs_add(&w->appended, id, RTR_JREC_ACCEPT, 0, p, len);
        w->last_any = id;
    }
    rtr_journal_flush_io(b);
    rc = rtr_journal_flush_end(j, b, &d);
    if (rc < 0) {
        /* Never durable, and the journal refuses to go on. */
        assert_int_equal(d, before);
        assert_int_equal(rtr_journal_durable(j), before);
        if (w->check_sticky) {
            assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, "x", 1, &id), rc);
            assert_int_equal(rtr_journal_flush_begin(j, &b), rc);
            assert_int_equal(rtr_journal_sync(j, NULL), rc);
        }
        return rc;
    }
    assert_true(d >= before);
    assert_int_equal(d, last ? last : before);
    w->durable = d;
    return 0;
}

static void run_append_workload(msim_t *m, uint64_t seed, wl_t *w)
{
    rtr_journal_opts_t o = sim_opts(m, 1024);
    rtr_journal_t     *j;
    uint64_t           rng = seed;
    unsigned char      p[1500];
    int                rc;

    if ((rc = rtr_journal_open(&j, JDIR, &o, NULL)) < 0) {
        w->error = rc;
        return;
    }
    for (int batch = 0; batch < 24 && !w->error; batch++) {
        int k = 1 + (int)rng_below(&rng, 8);
        for (int i = 0; i < k; i++) {
            uint32_t  pick = rng_below(&rng, 20);
            int       type = pick < 15 ? RTR_JREC_ACCEPT : pick < 19 ? RTR_JREC_DELIVERED : 200;
            size_t    len = rng_below(&rng, 12) == 0 ? 1100 : rng_below(&rng, 200);
            rtr_jid_t ref = 0, id;

            if (type != RTR_JREC_ACCEPT && !(ref = some_accept(&rng, &w->appended)))
                type = RTR_JREC_ACCEPT;
            fill_payload(&rng, p, len);
            if ((rc = rtr_journal_append(j, type, ref, p, len, &id)) < 0) {
                w->error = rc;
                break;
            }
            w->last_any = id;
            if (type <= RTR_JREC_KNOWN_MAX)
                recs_add(&w->appended, id, type, ref, p, len);
        }
        if (!w->error && (rc = wl_flush(j, w, &rng, rng_below(&rng, 4) == 0 ? 2 : 0)) < 0)
            w->error = rc;
    }
    rtr_journal_close(j);
}

/* After recovery: every durable record is back, in order and byte for byte;
 * after them come only records of the batch that was being written, in
 * their order (a crash may keep any of them). */
static void check_recovered(const wl_t *w, const recs_t *got)
{
    size_t n_dur = 0, k;

    while (n_dur < w->appended.n && w->appended.v[n_dur].id <= w->durable)
        n_dur++;
    assert_true(got->n >= n_dur);
    for (size_t i = 0; i < n_dur; i++)
        assert_true(rec_equal(&got->v[i], &w->appended.v[i]));
    k = n_dur;
    for (size_t i = n_dur; i < got->n; i++) {
        while (k < w->appended.n && !rec_equal(&got->v[i], &w->appended.v[k]))
            k++;
        assert_true(k < w->appended.n);
        assert_true(w->appended.v[k].id <= w->written);
        k++;
    }
}

/* Recover after a crash, check, then check the journal is sound: a second
 * open finds nothing to cut, and it takes new records. */
static void recover_and_check(msim_t *m, const wl_t *w, int mode, size_t *exact)
{
    rtr_journal_opts_t   o = sim_opts(m, 1024);
    rtr_journal_t       *j;
    rtr_journal_report_t rep;
    recs_t               got, again;
    rtr_jid_t            id;

    assert_int_equal(rtr_journal_open(&j, JDIR, &o, &rep), 0);
    if (mode == CRASH_DROP)
        assert_int_equal(rep.n_cuts, 0);
    for (size_t c = 0; c < rep.n_cuts; c++)
        assert_true(rep.cuts[c].applied);
    rtr_journal_report_destroy(&rep);
    scan_all(j, &got);
    check_recovered(w, &got);
    if (exact) {
        size_t n_dur = 0;
        while (n_dur < w->appended.n && w->appended.v[n_dur].id <= w->durable)
            n_dur++;
        *exact += got.n == n_dur;
    }
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, "after", 5, &id), 0);
    assert_int_equal(rtr_journal_sync(j, NULL), 0);
    rtr_journal_close(j);
    assert_int_equal(rtr_journal_open(&j, JDIR, &o, &rep), 0);
    assert_int_equal(rep.n_cuts, 0);
    rtr_journal_report_destroy(&rep);
    scan_all(j, &again);
    /* Everything is still there but segments holding nothing (records that
     * refer to ACCEPTs the crash took away): the sync above removed them. */
    assert_true(again.n >= 1 && again.v[again.n - 1].id == id);
    for (size_t i = 0, k = 0; i < got.n; i++) {
        if (k < again.n - 1 && rec_equal(&again.v[k], &got.v[i]))
            k++;
        else
            assert_int_not_equal(got.v[i].type, RTR_JREC_ACCEPT);
        if (i + 1 == got.n)
            assert_int_equal(k, again.n - 1);
    }
    rtr_journal_close(j);
    recs_free(&got);
    recs_free(&again);
}

static void test_power_loss_at_every_call(void **state)
{
    uint64_t seed = test_seed();
    long     total;
    (void)state;

    for (int round = 0; round < 4; round++) {
        uint64_t s = seed + (uint64_t)round * 7919;
        msim_t  *m = sim_with_root(s);
        wl_t     w = {0};

        run_append_workload(m, s, &w);
        assert_int_equal(w.error, 0);
        total = m->ops;
        recs_free(&w.appended);
        msim_free(m);
        for (int mode = 0; mode < CRASH_MODES; mode++) {
            size_t exact = 0, runs = 0;
            for (long k = 1; k <= total; k++) {
                m = sim_with_root(s ^ (uint64_t)k);
                memset(&w, 0, sizeof(w));
                m->crash_at = k; /* the process dies after k calls */
                run_append_workload(m, s, &w);
                msim_crash(m, mode);
                recover_and_check(m, &w, mode, &exact);
                runs++;
                recs_free(&w.appended);
                msim_free(m);
            }
            if (round == 0)
                fprintf(stderr, "power loss (%s): %zu crash points over %ld I/O calls, "
                                "%zu recovered exactly the durable records\n",
                        crash_mode_name[mode], runs, total, exact);
        }
    }
}

static void test_fault_injection(void **state)
{
    uint64_t seed = test_seed() ^ 0x5a5a;
    (void)state;

    for (int kind = 0; kind < 3; kind++) {
        int failed_runs = 0;
        for (long n = 1;; n++) {
            msim_t *m = sim_with_root(seed + (uint64_t)n);
            wl_t    w = {.check_sticky = true};

            if (kind == 0)
                m->fail_write = n;
            else if (kind == 1)
                m->fail_sync = n;
            else
                m->fail_dirsync = n + 1; /* the first one is open's mkdir */
            m->fail_code = n % 2 ? EIO : ENOSPC;
            run_append_workload(m, seed, &w);
            if (!w.error) {
                recs_free(&w.appended);
                msim_free(m);
                break; /* the run had fewer calls of that kind */
            }
            failed_runs++;
            assert_int_equal(w.error, -m->fail_code);
            m->fail_write = m->fail_sync = m->fail_dirsync = 0;
            if (n % 2) {
                /* The process starts again on what the files hold (a torn
                 * tail of the failed write, say)... */
                recover_and_check(m, &w, CRASH_PREFIX, NULL);
            } else {
                /* ...or the machine lost power right after the failure. */
                msim_crash(m, CRASH_DROP);
                recover_and_check(m, &w, CRASH_DROP, NULL);
            }
            recs_free(&w.appended);
            msim_free(m);
        }
        assert_true(failed_runs > 3);
        fprintf(stderr, "fault injection: failed the Nth %s for N = 1..%d\n",
                kind == 0 ? "write" : kind == 1 ? "fdatasync" : "folder fsync", failed_runs);
    }
}

/* The custody workload: cables accepted for 1 to 3 links, copies delivered
 * at random, ACCEPTs released once every copy is DELIVERED, small segments
 * so that segments come and go. After a crash anywhere, recovery must lose
 * no copy that is still owed and bring back none whose DELIVERED was
 * durable. */
#define CUST_MAX 256

typedef struct cust {
    int       n;
    rtr_jid_t acc[CUST_MAX];
    int       links[CUST_MAX];
    rtr_jid_t del[CUST_MAX][3];
    bool      released[CUST_MAX];
    rtr_jid_t durable;
    int       error;
} cust_t;

static void run_custody_workload(msim_t *m, uint64_t seed, cust_t *c)
{
    rtr_journal_opts_t   o = sim_opts(m, 1024);
    rtr_journal_t       *j;
    rtr_journal_batch_t *b;
    uint64_t             rng = seed;
    unsigned char        p[160];
    int                  rc = 0;

    if ((rc = rtr_journal_open(&j, JDIR, &o, NULL)) < 0) {
        c->error = rc;
        return;
    }
    for (int step = 0; step < 60 && rc == 0; step++) {
        int fresh = (int)rng_below(&rng, 4);
        for (int k = 0; k < fresh && c->n < CUST_MAX && rc == 0; k++) {
            int    i = c->n;
            size_t len = 4 + rng_below(&rng, 120);
            fill_payload(&rng, p, len);
            memcpy(p, &i, sizeof(i));
            if ((rc = rtr_journal_append(j, RTR_JREC_ACCEPT, 0, p, len, &c->acc[i])) == 0) {
                c->links[i] = 1 + (int)rng_below(&rng, 3);
                c->n++;
            }
        }
        for (int i = 0; i < c->n && rc == 0; i++) {
            for (int l = 0; l < c->links[i] && rc == 0; l++) {
                if (c->del[i][l] || rng_below(&rng, 3) != 0)
                    continue;
                memcpy(p, &i, sizeof(i));
                p[4] = (unsigned char)l;
                rc = rtr_journal_append(j, RTR_JREC_DELIVERED, c->acc[i], p, 5, &c->del[i][l]);
            }
        }
        for (int i = 0; i < c->n && rc == 0; i++) {
            bool all = !c->released[i];
            for (int l = 0; l < c->links[i]; l++)
                all = all && c->del[i][l];
            if (all) {
                assert_int_equal(rtr_journal_release(j, c->acc[i]), 0);
                c->released[i] = true;
            }
        }
        if (rc == 0 && (rc = rtr_journal_flush_begin(j, &b)) == 0 && b) {
            rtr_journal_flush_io(b);
            rc = rtr_journal_flush_end(j, b, &c->durable);
        }
    }
    c->error = rc;
    rtr_journal_close(j);
}

typedef struct cust_seen {
    const cust_t *c;
    bool          accepted[CUST_MAX];
    bool          delivered[CUST_MAX][3];
} cust_seen_t;

static int cust_scan_cb(void *ud, const rtr_journal_rec_t *rec)
{
    cust_seen_t *s = ud;
    int          i;

    assert_true(rec->len >= 4);
    memcpy(&i, rec->payload, sizeof(i));
    assert_true(i >= 0 && i < s->c->n);
    if (rec->type == RTR_JREC_ACCEPT) {
        assert_int_equal(rec->id, s->c->acc[i]);
        assert_false(s->accepted[i]);
        s->accepted[i] = true;
    } else {
        int l = ((const unsigned char *)rec->payload)[4];
        assert_int_equal(rec->type, RTR_JREC_DELIVERED);
        assert_int_equal(rec->ref, s->c->acc[i]);
        assert_int_equal(rec->id, s->c->del[i][l]);
        s->delivered[i][l] = true;
    }
    return 0;
}

static void custody_check(msim_t *m, const cust_t *c)
{
    rtr_journal_opts_t  o = sim_opts(m, 1024);
    rtr_journal_t      *j;
    rtr_journal_stats_t st;
    cust_seen_t        *s = calloc(1, sizeof(*s));
    bool                owed_any = false;

    assert_non_null(s);
    s->c = c;
    assert_int_equal(rtr_journal_open(&j, JDIR, &o, NULL), 0);
    assert_int_equal(rtr_journal_scan(j, cust_scan_cb, s), 0);
    for (int i = 0; i < c->n; i++) {
        bool acc_durable = c->acc[i] <= c->durable, all = true;
        for (int l = 0; l < c->links[i]; l++) {
            bool pending = s->accepted[i] && !s->delivered[i][l];
            if (acc_durable && !c->del[i][l])
                assert_true(pending); /* still owed: never lost */
            if (c->del[i][l] && c->del[i][l] <= c->durable)
                assert_false(pending); /* durably delivered: never again */
            all = all && !pending;
            owed_any = owed_any || pending;
        }
        /* The router releases what recovery shows fully delivered. */
        if (s->accepted[i] && all)
            assert_int_equal(rtr_journal_release(j, c->acc[i]), 0);
    }
    assert_int_equal(rtr_journal_sync(j, NULL), 0);
    rtr_journal_stats(j, &st);
    if (!owed_any)
        assert_true(st.segments <= 1); /* everything else was removed */
    assert_int_equal(msim_count_segments(m, JDIR), st.segments);
    rtr_journal_close(j);
    free(s);
}

static void test_power_loss_custody(void **state)
{
    uint64_t seed = test_seed() ^ 0xc057;
    (void)state;

    for (int round = 0; round < 4; round++) {
        uint64_t s = seed + (uint64_t)round * 104729;
        msim_t  *m = sim_with_root(s);
        cust_t  *c = calloc(1, sizeof(*c));
        long     total;

        assert_non_null(c);
        run_custody_workload(m, s, c);
        assert_int_equal(c->error, 0);
        total = m->ops;
        custody_check(m, c);
        msim_free(m);
        for (int mode = 0; mode < CRASH_MODES; mode++) {
            for (long k = 1; k <= total; k++) {
                m = sim_with_root(s ^ (uint64_t)k);
                memset(c, 0, sizeof(*c));
                m->crash_at = k;
                run_custody_workload(m, s, c);
                msim_crash(m, mode);
                custody_check(m, c);
                msim_free(m);
            }
        }
        if (round == 0)
            fprintf(stderr, "custody: %ld crash points x %d crash modes, nothing lost, "
                            "nothing durably delivered came back\n", total, CRASH_MODES);
        free(c);
    }
}

/* ======================================================================
 * Recovery of damaged files (real files).
 * ====================================================================== */

/* Writes n records of increasing size into one segment; returns their ids. */
static void write_records(const char *dir, int n, rtr_jid_t *ids, uint64_t seg_size)
{
    rtr_journal_opts_t o = sim_opts(NULL, seg_size);
    rtr_journal_t     *j;
    char               p[200];

    assert_int_equal(rtr_journal_open(&j, dir, &o, NULL), 0);
    for (int i = 0; i < n; i++) {
        memset(p, 'a' + i % 26, sizeof(p));
        assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, p, 40 + (size_t)i, &ids[i]), 0);
    }
    assert_int_equal(rtr_journal_sync(j, NULL), 0);
    rtr_journal_close(j);
}

static void check_records(rtr_journal_t *j, int n, const rtr_jid_t *ids)
{
    recs_t got;
    scan_all(j, &got);
    assert_int_equal(got.n, (size_t)n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(got.v[i].id, ids[i]);
        assert_int_equal(got.v[i].len, 40 + (uint32_t)i);
        assert_int_equal(got.v[i].p[0], 'a' + i % 26);
    }
    recs_free(&got);
}

static void test_torn_tail_every_byte(void **state)
{
    char                *dir = make_tmpdir();
    char                 path[600];
    rtr_jid_t            ids[6];
    rtr_journal_t       *j;
    rtr_journal_report_t rep;
    rtr_journal_opts_t   o = sim_opts(NULL, 0);
    char                *orig;
    size_t               size;
    uint64_t             last;
    (void)state;

    write_records(dir, 6, ids, 0);
    seg_path(path, sizeof(path), dir, 1);
    orig = tu_read_file(path, &size);
    assert_non_null(orig);
    last = RTR_JID_OFF(ids[5]);
    assert_int_equal(size, last + 17 + 45);
    for (uint64_t keep = 0; keep < size - last; keep++) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(orig, 1, (size_t)(last + keep), f), last + keep);
        fclose(f);
        assert_int_equal(rtr_journal_open(&j, dir, &o, &rep), 0);
        if (keep == 0) {
            assert_int_equal(rep.n_cuts, 0);
        } else {
            assert_int_equal(rep.n_cuts, 1);
            assert_int_equal(rep.cuts[0].segment, 1);
            assert_int_equal(rep.cuts[0].offset, last);
            assert_int_equal(rep.cuts[0].bytes, keep);
            assert_int_equal(rep.cuts[0].why, keep < 17 ? RTR_JCUT_SHORT : RTR_JCUT_LENGTH);
            assert_true(rep.cuts[0].last);
            assert_true(rep.cuts[0].applied);
        }
        assert_int_equal(rep.records, 5);
        rtr_journal_report_destroy(&rep);
        assert_int_equal(file_size(path), last); /* cut at the last good record */
        check_records(j, 5, ids);
        rtr_journal_close(j);
    }
    /* After the cut the journal appends where the torn record was. */
    assert_int_equal(rtr_journal_open(&j, dir, &o, &rep), 0);
    assert_int_equal(rep.n_cuts, 0);
    rtr_journal_report_destroy(&rep);
    {
        rtr_jid_t id;
        char      p[45];
        memset(p, 'f', sizeof(p));
        assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, p, sizeof(p), &id), 0);
        assert_int_equal(id, ids[5]);
        assert_int_equal(rtr_journal_sync(j, NULL), 0);
        rtr_journal_close(j);
    }
    assert_int_equal(rtr_journal_open(&j, dir, &o, &rep), 0);
    assert_int_equal(rep.n_cuts, 0);
    rtr_journal_report_destroy(&rep);
    check_records(j, 6, ids);
    rtr_journal_close(j);
    free(orig);
    tmp_done(dir);
}

/* One byte flipped in each field of a record in the middle of the newest
 * segment, and of an older one: found, reported, cut there; read-only
 * opening reports the same and changes nothing. */
static void test_flipped_bytes(void **state)
{
    static const struct {
        uint32_t    at; /* offset in the record */
        const char *field;
    } fields[] = {{0, "length"}, {5, "crc"}, {8, "type"}, {12, "ref"}, {17, "payload"},
                  {40, "payload end"}};
    (void)state;

    for (size_t f = 0; f < SIM_ARRAY_LEN(fields); f++) {
        for (int older = 0; older < 2; older++) {
            char                *dir = make_tmpdir();
            char                 path[600];
            rtr_jid_t            ids[30];
            rtr_journal_t       *j;
            rtr_journal_report_t rep;
            rtr_journal_opts_t   o = sim_opts(NULL, 1024);
            rtr_journal_opts_t   ro = o;
            int                  victim = older ? 2 : 28;
            uint32_t             seg;
            uint64_t             before;
            size_t               cut_away = 0;
            recs_t               got;

            write_records(dir, 30, ids, 1024);
            seg = RTR_JID_SEG(ids[victim]);
            seg_path(path, sizeof(path), dir, seg);
            before = file_size(path);
            flip_byte(path, RTR_JID_OFF(ids[victim]) + fields[f].at);

            ro.read_only = true;
            assert_int_equal(rtr_journal_open(&j, dir, &ro, &rep), 0);
            assert_int_equal(rep.n_cuts, 1);
            assert_false(rep.cuts[0].applied);
            rtr_journal_report_destroy(&rep);
            rtr_journal_close(j);
            assert_int_equal(file_size(path), before);

            assert_int_equal(rtr_journal_open(&j, dir, &o, &rep), 0);
            assert_int_equal(rep.n_cuts, 1);
            assert_int_equal(rep.cuts[0].segment, seg);
            assert_int_equal(rep.cuts[0].offset, RTR_JID_OFF(ids[victim]));
            assert_int_equal(rep.cuts[0].bytes, before - RTR_JID_OFF(ids[victim]));
            assert_true(rep.cuts[0].applied);
            assert_int_equal(rep.cuts[0].last, !older);
            if (fields[f].at == 0)
                assert_true(rep.cuts[0].why == RTR_JCUT_CRC || rep.cuts[0].why == RTR_JCUT_LENGTH);
            else
                assert_int_equal(rep.cuts[0].why, RTR_JCUT_CRC);
            rtr_journal_report_destroy(&rep);
            assert_int_equal(file_size(path), RTR_JID_OFF(ids[victim]));
            /* What came before is intact; after it, only other segments. */
            for (int i = 0; i < 30; i++)
                cut_away += RTR_JID_SEG(ids[i]) == seg && ids[i] >= ids[victim];
            scan_all(j, &got);
            assert_int_equal(got.n, 30 - cut_away);
            for (size_t i = 0, k = 0; i < got.n; i++, k++) {
                while (RTR_JID_SEG(ids[k]) == seg && ids[k] >= ids[victim])
                    k++;
                assert_int_equal(got.v[i].id, ids[k]);
            }
            recs_free(&got);
            rtr_journal_close(j);
            tmp_done(dir);
        }
    }
}

static void test_bad_headers(void **state)
{
    char                *dir = make_tmpdir();
    char                 path[600];
    rtr_jid_t            ids[40];
    rtr_journal_t       *j;
    rtr_journal_report_t rep;
    rtr_journal_opts_t   o = sim_opts(NULL, 1024);
    FILE                *f;
    (void)state;

    write_records(dir, 40, ids, 1024);
    assert_true(RTR_JID_SEG(ids[39]) >= 3);
    /* Files that are not segments are left alone. */
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    f = fopen(path, "w");
    fputs("hello", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/00000000.jnl", dir);
    f = fopen(path, "w");
    fclose(f);
    /* A segment whose header is garbage, one cut short, one of a number
     * that does not match its name. */
    seg_path(path, sizeof(path), dir, 2);
    flip_byte(path, 1);
    seg_path(path, sizeof(path), dir, 90);
    f = fopen(path, "w");
    fputs("CSJ1", f);
    fclose(f);
    {
        char from[600];
        seg_path(from, sizeof(from), dir, 1);
        seg_path(path, sizeof(path), dir, 95);
        char  *b;
        size_t n;
        b = tu_read_file(from, &n);
        f = fopen(path, "wb");
        fwrite(b, 1, n, f);
        fclose(f);
        free(b);
    }
    assert_int_equal(rtr_journal_open(&j, dir, &o, &rep), 0);
    assert_int_equal(rep.n_cuts, 3);
    for (size_t c = 0; c < 3; c++) {
        assert_int_equal(rep.cuts[c].why, RTR_JCUT_HEADER);
        assert_int_equal(rep.cuts[c].offset, 0);
        assert_true(rep.cuts[c].applied);
    }
    assert_int_equal(rep.cuts[0].segment, 2);
    assert_false(rep.cuts[0].last);
    assert_int_equal(rep.cuts[1].segment, 90);
    assert_int_equal(rep.cuts[1].bytes, 4);
    assert_true(rep.cuts[1].last);
    assert_int_equal(rep.cuts[2].segment, 95);
    rtr_journal_report_destroy(&rep);
    seg_path(path, sizeof(path), dir, 2);
    assert_int_equal(access(path, F_OK), -1); /* removed */
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    assert_int_equal(access(path, F_OK), 0);
    rtr_journal_close(j);

    /* A segment of a newer format is never cut: opening refuses. */
    seg_path(path, sizeof(path), dir, 1);
    {
        int           fd = open(path, O_RDWR);
        unsigned char v = 2;
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, &v, 1, 4), 1);
        close(fd);
    }
    assert_int_equal(rtr_journal_open(&j, dir, &o, &rep), SIM_EVERSION);
    assert_null(j);
    rtr_journal_report_destroy(&rep);
    tmp_done(dir);
}

static void test_preallocated_segments(void **state)
{
    char                *dir = make_tmpdir();
    char                 path[600];
    rtr_journal_opts_t   o = sim_opts(NULL, 8192);
    rtr_journal_t       *j;
    rtr_journal_report_t rep;
    rtr_jid_t            id, last = 0;
    recs_t               got;
    char                 p[700];
    (void)state;

    o.prealloc = true;
    memset(p, 'p', sizeof(p));
    assert_int_equal(rtr_journal_open(&j, dir, &o, NULL), 0);
    for (int i = 0; i < 30; i++) {
        assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, p, sizeof(p), &last), 0);
        if (i % 7 == 0)
            assert_int_equal(rtr_journal_sync(j, NULL), 0);
    }
    assert_int_equal(rtr_journal_sync(j, NULL), 0);
    rtr_journal_close(j);
    seg_path(path, sizeof(path), dir, 1);
    assert_int_equal(file_size(path), 8192); /* allocated up front */
    assert_int_equal(rtr_journal_open(&j, dir, &o, &rep), 0);
    assert_int_equal(rep.n_cuts, 0); /* zeros after the data: the clean end */
    assert_true(rep.segs[0].prealloc);
    assert_true(rep.segs[0].data_end < rep.segs[0].file_bytes);
    rtr_journal_report_destroy(&rep);
    scan_all(j, &got);
    assert_int_equal(got.n, 30);
    assert_int_equal(got.v[29].id, last);
    recs_free(&got);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, p, 10, &id), 0);
    assert_int_equal(rtr_journal_sync(j, NULL), 0);
    rtr_journal_close(j);
    /* Bytes after the zeros are not a clean end. */
    seg_path(path, sizeof(path), dir, RTR_JID_SEG(id));
    flip_byte(path, 8000);
    assert_int_equal(rtr_journal_open(&j, dir, &o, &rep), 0);
    assert_int_equal(rep.n_cuts, 1);
    assert_int_equal(rep.cuts[0].why, RTR_JCUT_ZERO);
    assert_int_equal(rep.cuts[0].offset, RTR_JID_OFF(id) + 17 + 10);
    rtr_journal_report_destroy(&rep);
    assert_int_equal(file_size(path), 8192); /* allocated again after the cut */
    scan_all(j, &got);
    assert_int_equal(got.n, 31);
    recs_free(&got);
    rtr_journal_close(j);
    tmp_done(dir);
}

/* ======================================================================
 * Custody and segment removal.
 * ====================================================================== */

static bool sim_has_segment(msim_t *m, uint32_t no)
{
    char path[64];
    snprintf(path, sizeof(path), JDIR "/%08u.jnl", (unsigned)no);
    return msim_file(m, path) != NULL;
}

static void one_flush(rtr_journal_t *j)
{
    rtr_journal_batch_t *b;
    assert_int_equal(rtr_journal_flush_begin(j, &b), 0);
    if (b) {
        assert_int_equal(rtr_journal_flush_io(b), 0);
        assert_int_equal(rtr_journal_flush_end(j, b, NULL), 0);
    }
}

static void test_release_removes_segments(void **state)
{
    msim_t             *m = sim_with_root(3);
    rtr_journal_opts_t  o = sim_opts(m, 1024);
    rtr_journal_t      *j;
    rtr_journal_stats_t st;
    rtr_jid_t           a[3], d[3], x, filler;
    char                p[400], big600[600];
    long                dirsyncs;
    (void)state;

    memset(p, 'c', sizeof(p));
    memset(big600, 'd', sizeof(big600));
    assert_int_equal(rtr_journal_open(&j, JDIR, &o, NULL), 0);
    /* Segment 1: ACCEPTs a0, a1. Segment 2: a2 and the DELIVEREDs of a0 and
     * a1. Segment 3: the DELIVERED of a2, current. */
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, p, 400, &a[0]), 0);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, p, 400, &a[1]), 0);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, p, 400, &a[2]), 0);
    assert_int_equal(RTR_JID_SEG(a[1]), 1);
    assert_int_equal(RTR_JID_SEG(a[2]), 2);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_DELIVERED, a[0], p, 100, &d[0]), 0);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_DELIVERED, a[1], p, 100, &d[1]), 0);
    assert_int_equal(RTR_JID_SEG(d[1]), 2);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_DROPPED, a[2], p, 400, &d[2]), 0);
    assert_int_equal(RTR_JID_SEG(d[2]), 3);
    assert_int_equal(rtr_journal_sync(j, NULL), 0);

    /* Releasing is checked: only an unreleased ACCEPT's segment. */
    assert_int_equal(rtr_journal_release(j, RTR_JID(9, 32)), -EINVAL);
    assert_int_equal(rtr_journal_release(j, RTR_JID(1, 0)), -EINVAL);
    assert_int_equal(rtr_journal_release(j, a[0]), 0);
    one_flush(j);
    assert_true(sim_has_segment(m, 1)); /* a1 still held */
    assert_int_equal(rtr_journal_release(j, a[1]), 0);
    assert_int_equal(rtr_journal_release(j, a[1]), -EINVAL); /* nothing left to release */
    dirsyncs = m->dirsyncs;
    one_flush(j);
    assert_false(sim_has_segment(m, 1));
    assert_int_equal(m->dirsyncs, dirsyncs + 1); /* the removal was made durable */
    /* Segment 2 has its own ACCEPT a2 still held. */
    one_flush(j);
    assert_true(sim_has_segment(m, 2));
    assert_int_equal(rtr_journal_release(j, a[2]), 0);
    one_flush(j);
    assert_false(sim_has_segment(m, 2));
    assert_true(sim_has_segment(m, 3)); /* the current one stays */
    rtr_journal_stats(j, &st);
    assert_int_equal(st.live, 0);
    assert_int_equal(st.segments, 1);
    assert_int_equal(st.segments_removed, 2);
    /* The removed segments' files were closed (by the flush): the lock and
     * the current segment are all that stay open. */
    assert_int_equal(msim_open_fds(m), 2);
    assert_int_equal(m->bad_closes, 0);
    /* Reading a removed record is refused cleanly. */
    {
        size_t len;
        assert_int_equal(rtr_journal_read(j, a[0], p, sizeof(p), &len), -EINVAL);
    }
    rtr_journal_close(j);

    /* DELIVEREDs outlive their ACCEPTs' segment, never the reverse. Segment
     * 3 gets a filler ACCEPT; segment 4: a0 and a1 (held); segment 5: only the
     * DELIVERED of a0; segment 6: x, current. */
    assert_int_equal(rtr_journal_open(&j, JDIR, &o, NULL), 0);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, p, 400, &filler), 0);
    assert_int_equal(RTR_JID_SEG(filler), 3); /* after the DROPPED of a2 */
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, p, 400, &a[0]), 0);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, p, 400, &a[1]), 0);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_DELIVERED, a[0], big600, 600, &d[0]), 0);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, p, 400, &x), 0);
    assert_int_equal(RTR_JID_SEG(a[0]), 4);
    assert_int_equal(RTR_JID_SEG(a[1]), 4);
    assert_int_equal(RTR_JID_SEG(d[0]), 5);
    assert_int_equal(RTR_JID_SEG(x), 6);
    assert_int_equal(rtr_journal_sync(j, NULL), 0);
    assert_int_equal(rtr_journal_release(j, filler), 0);
    assert_int_equal(rtr_journal_release(j, a[0]), 0);
    assert_int_equal(rtr_journal_sync(j, NULL), 0);
    assert_false(sim_has_segment(m, 3));
    assert_true(sim_has_segment(m, 4)); /* a1 */
    assert_true(sim_has_segment(m, 5)); /* holds nothing, but settles a0 of segment 4 */
    rtr_journal_close(j);

    /* Recovery counts every ACCEPT as held again; the router releases the
     * settled ones. */
    assert_int_equal(rtr_journal_open(&j, JDIR, &o, NULL), 0);
    rtr_journal_stats(j, &st);
    assert_int_equal(st.live, 3); /* a0, a1 and x: a0's release was not journaled */
    assert_int_equal(rtr_journal_release(j, a[0]), 0);
    assert_int_equal(rtr_journal_release(j, a[1]), 0);
    one_flush(j);
    assert_false(sim_has_segment(m, 4));
    assert_true(sim_has_segment(m, 5)); /* removed by a later flush than segment 4 */
    one_flush(j);
    assert_false(sim_has_segment(m, 5));
    assert_true(sim_has_segment(m, 6));
    rtr_journal_close(j);
    msim_free(m);
}

/* ======================================================================
 * Reading back, errors.
 * ====================================================================== */

static void test_read_back(void **state)
{
    char               *dir = make_tmpdir();
    char                path[600];
    rtr_journal_opts_t  o = sim_opts(NULL, 0);
    rtr_journal_t      *j;
    rtr_jid_t           ids[20];
    char                buf[256];
    size_t              len;
    (void)state;

    assert_int_equal(rtr_journal_open(&j, dir, &o, NULL), 0);
    for (int i = 0; i < 20; i++) {
        snprintf(buf, sizeof(buf), "cable number %d", i);
        assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, buf, strlen(buf), &ids[i]), 0);
        if (i == 9)
            assert_int_equal(rtr_journal_sync(j, NULL), 0);
    }
    /* Durable ones from the file, the rest from the buffer. */
    for (int i = 19; i >= 0; i--) {
        char want[64];
        snprintf(want, sizeof(want), "cable number %d", i);
        assert_int_equal(rtr_journal_read(j, ids[i], buf, sizeof(buf), &len), 0);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(buf, want, len);
    }
    assert_int_equal(rtr_journal_read(j, ids[3], buf, 4, &len), SIM_ETOOBIG);
    assert_int_equal(len, strlen("cable number 3"));
    assert_int_equal(rtr_journal_read(j, 0, buf, sizeof(buf), &len), -EINVAL);
    assert_int_equal(rtr_journal_read(j, RTR_JID(1, 8), buf, sizeof(buf), &len), -EINVAL);
    assert_int_equal(rtr_journal_read(j, RTR_JID(2, 32), buf, sizeof(buf), &len), -EINVAL);
    assert_int_equal(rtr_journal_read(j, ids[19] + 1000, buf, sizeof(buf), &len), -EINVAL);
    /* An id that is not where a record starts fails its CRC. */
    assert_int_equal(rtr_journal_read(j, ids[2] + 1, buf, sizeof(buf), &len), -EBADMSG);
    assert_int_equal(rtr_journal_sync(j, NULL), 0);
    /* Bytes corrupted on disk since they were written are not handed out. */
    seg_path(path, sizeof(path), dir, 1);
    flip_byte(path, RTR_JID_OFF(ids[5]) + 20);
    assert_int_equal(rtr_journal_read(j, ids[5], buf, sizeof(buf), &len), -EBADMSG);
    assert_int_equal(rtr_journal_read(j, ids[6], buf, sizeof(buf), &len), 0);
    {
        recs_t got = {0};
        assert_int_equal(rtr_journal_scan(j, collect_cb, &got), -EBADMSG);
        assert_int_equal(got.n, 5); /* the records before it */
        recs_free(&got);
    }
    rtr_journal_close(j);
    tmp_done(dir);
}

static int stop_cb(void *ud, const rtr_journal_rec_t *rec)
{
    int *n = ud;
    (void)rec;
    return ++*n == 3 ? 42 : 0;
}

static void test_errors(void **state)
{
    char                *dir = make_tmpdir();
    char                 path[600];
    rtr_journal_opts_t   o = sim_opts(NULL, 0), ro;
    rtr_journal_t       *j, *j2;
    rtr_journal_report_t rep;
    rtr_jid_t            id;
    char                 big[64];
    int                  n = 0;
    FILE                *f;
    (void)state;

    /* Options out of range. */
    o.segment_size = 100;
    assert_int_equal(rtr_journal_open(&j, dir, &o, &rep), SIM_EUSAGE);
    rtr_journal_report_destroy(&rep);
    o.segment_size = 0;
    o.max_record = RTR_JOURNAL_RECORD_MAX + 1;
    assert_int_equal(rtr_journal_open(&j, dir, &o, NULL), SIM_EUSAGE);
    assert_int_equal(rtr_journal_open(&j, "", NULL, NULL), SIM_EUSAGE);
    o.max_record = 16;

    /* Bad appends. */
    assert_int_equal(rtr_journal_open(&j, dir, &o, NULL), 0);
    assert_int_equal(rtr_journal_append(j, 0, 0, "x", 1, &id), -EINVAL);
    assert_int_equal(rtr_journal_append(j, 256, 0, "x", 1, &id), -EINVAL);
    memset(big, 'b', sizeof(big));
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, big, 17, &id), SIM_ETOOBIG);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, big, 16, &id), 0);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, NULL, 0, &id), 0);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, big, 5, &id), 0);
    assert_int_equal(rtr_journal_append(j, 99, 0, big, 5, &id), 0); /* unknown: carried */
    assert_int_equal(rtr_journal_sync(j, NULL), 0);

    /* One process only: a second open of the same folder is refused... */
    assert_int_equal(rtr_journal_open(&j2, dir, NULL, NULL), -EBUSY);
    /* ...but a read-only look is fine, and cannot write. */
    ro = o;
    ro.read_only = true;
    assert_int_equal(rtr_journal_open(&j2, dir, &ro, &rep), 0);
    assert_int_equal(rep.records, 4);
    assert_int_equal(rep.unknown, 1);
    assert_int_equal(rep.by_type[99], 1);
    rtr_journal_report_destroy(&rep);
    assert_int_equal(rtr_journal_append(j2, RTR_JREC_ACCEPT, 0, "x", 1, &id), -EROFS);
    assert_int_equal(rtr_journal_release(j2, id), -EROFS);
    assert_int_equal(rtr_journal_scan(j2, stop_cb, &n), 42); /* the callback stops it */
    assert_int_equal(n, 3);
    rtr_journal_close(j2);
    rtr_journal_close(j);

    /* Folders that cannot be used give clean codes. */
    snprintf(path, sizeof(path), "%s/plain", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/plain/journal", dir);
    assert_int_equal(rtr_journal_open(&j, path, NULL, NULL), -ENOTDIR);
    assert_null(j);
    snprintf(path, sizeof(path), "%s/missing", dir);
    assert_int_equal(rtr_journal_open(&j, path, &ro, NULL), -ENOENT);
    assert_int_equal(access(path, F_OK), -1); /* read-only creates nothing */
    if (geteuid() != 0) {
        /* Permission is not checked for root. */
        snprintf(path, sizeof(path), "%s/locked", dir);
        assert_int_equal(mkdir(path, 0), 0);
        assert_int_equal(rtr_journal_open(&j, path, NULL, NULL), -EACCES);
        snprintf(path, sizeof(path), "%s/locked/inner", dir);
        assert_int_equal(rtr_journal_open(&j, path, NULL, NULL), -EACCES);
        snprintf(path, sizeof(path), "%s/locked", dir);
        chmod(path, 0755);
    }
    {
        msim_t            *m = sim_with_root(5);
        rtr_journal_opts_t so = sim_opts(m, 0);
        m->deny_mkdir = true;
        assert_int_equal(rtr_journal_open(&j, JDIR, &so, NULL), -EACCES);
        m->deny_mkdir = false;
        /* A journal with records, then every read of recovery failing in turn. */
        assert_int_equal(rtr_journal_open(&j, JDIR, &so, NULL), 0);
        for (int i = 0; i < 50; i++)
            assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, big, 16, &id), 0);
        assert_int_equal(rtr_journal_sync(j, NULL), 0);
        rtr_journal_close(j);
        for (long k = 1;; k++) {
            m->reads = 0;
            m->fail_read = k;
            int rc = rtr_journal_open(&j, JDIR, &so, &rep);
            rtr_journal_report_destroy(&rep);
            if (rc == 0) {
                rtr_journal_close(j);
                assert_true(k > 1);
                break;
            }
            assert_int_equal(rc, -EIO);
            assert_null(j);
        }
        msim_free(m);
    }
    tmp_done(dir);
}

/* ======================================================================
 * cablesim journal.
 * ====================================================================== */

static void pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

static rtr_jid_t append_accept(rtr_journal_t *j, const char *id, const char *prec,
                               const char *const *links, int n)
{
    msgpack_sbuffer sb;
    msgpack_packer  pk;
    rtr_jid_t       rid;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    pack_str(&pk, RTR_JKEY_ID);
    pack_str(&pk, id);
    pack_str(&pk, RTR_JKEY_PREC);
    pack_str(&pk, prec);
    pack_str(&pk, RTR_JKEY_LINKS);
    msgpack_pack_array(&pk, (size_t)n);
    for (int i = 0; i < n; i++)
        pack_str(&pk, links[i]);
    pack_str(&pk, "cable"); /* the rest of the router's schema, unknown to the tool */
    msgpack_pack_bin(&pk, 300);
    msgpack_pack_bin_body(&pk, "................................................................"
                               "................................................................"
                               "................................................................"
                               "................................................................"
                               "............................................",
                          300);
    assert_int_equal(rtr_journal_append(j, RTR_JREC_ACCEPT, 0, sb.data, sb.size, &rid), 0);
    msgpack_sbuffer_destroy(&sb);
    return rid;
}

static void append_settle(rtr_journal_t *j, int type, rtr_jid_t ref, const char *link)
{
    msgpack_sbuffer sb;
    msgpack_packer  pk;
    rtr_jid_t       rid;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    pack_str(&pk, RTR_JKEY_REF);
    msgpack_pack_uint64(&pk, ref);
    pack_str(&pk, RTR_JKEY_LINK);
    pack_str(&pk, link);
    assert_int_equal(rtr_journal_append(j, type, ref, sb.data, sb.size, &rid), 0);
    msgpack_sbuffer_destroy(&sb);
}

static char cli_out[600], cli_err[600];

/* Runs the cablesim binary with args; returns its exit status. */
static int run_cli(const char *args)
{
    char cmd[4096];
    int  st;
    snprintf(cmd, sizeof(cmd), "'%s' %s >'%s' 2>'%s' </dev/null", tu_bin(), args, cli_out, cli_err);
    st = system(cmd);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static json_t *cli_json(void)
{
    json_error_t e;
    json_t      *v = json_load_file(cli_out, 0, &e);
    if (!v)
        fail_msg("not JSON: %s", e.text);
    return v;
}

static json_int_t jint(json_t *o, const char *path)
{
    char  buf[256], *save = NULL, *k;
    snprintf(buf, sizeof(buf), "%s", path);
    for (k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
        o = json_object_get(o, k);
    if (!json_is_integer(o))
        fail_msg("no integer at %s", path);
    return json_integer_value(o);
}

static void test_cli_journal(void **state)
{
    static const char *const two[] = {"RUEHC", "RUEHLO"};
    static const char *const one[] = {"RUEHFR"};
    char                    *dir = make_tmpdir();
    char                     args[1024], path[600], *text;
    rtr_journal_opts_t       o = sim_opts(NULL, 4096);
    rtr_journal_t           *j;
    rtr_jid_t                ids[40], victim = 0;
    json_t                  *v;
    uint64_t                 before;
    (void)state;

    snprintf(cli_out, sizeof(cli_out), "%s.out", dir);
    snprintf(cli_err, sizeof(cli_err), "%s.err", dir);
    assert_int_equal(rtr_journal_open(&j, dir, &o, NULL), 0);
    /* 40 cables: even ones for RUEHC and RUEHLO, odd ones for RUEHFR;
     * precedence Z, O, P, R in turn. RUEHC got every cable below 30, RUEHLO
     * had cable 0 dropped, RUEHFR got cable 1. */
    for (int i = 0; i < 40; i++) {
        char id[64];
        snprintf(id, sizeof(id), "RUCNDT#%04d/01 071302Z MAY 07", i);
        ids[i] = append_accept(j, id, (const char[]){"ZOPR"[i % 4], 0},
                               i % 2 ? one : two, i % 2 ? 1 : 2);
        if (i == 20)
            victim = ids[i];
    }
    for (int i = 0; i < 30; i += 2)
        append_settle(j, RTR_JREC_DELIVERED, ids[i], "RUEHC");
    append_settle(j, RTR_JREC_DROPPED, ids[0], "RUEHLO");
    append_settle(j, RTR_JREC_DELIVERED, ids[1], "RUEHFR");
    assert_int_equal(rtr_journal_append(j, 77, 0, "x", 1, &ids[0]), 0);
    assert_int_equal(rtr_journal_sync(j, NULL), 0);
    rtr_journal_close(j);
    /* Owed: RUEHC 5 (the even cables from 30), RUEHLO 19, RUEHFR 19. */

    snprintf(args, sizeof(args), "journal '%s'", dir);
    assert_int_equal(run_cli(args), 0);
    text = tu_read_file(cli_out, NULL);
    assert_non_null(strstr(text, "pending: 43 copies of 38 cables"));
    assert_non_null(strstr(text, "00000001.jnl"));
    free(text);

    snprintf(args, sizeof(args), "journal --json '%s'", dir);
    assert_int_equal(run_cli(args), 0);
    v = cli_json();
    assert_int_equal(jint(v, "pending.copies"), 43);
    assert_int_equal(jint(v, "pending.cables"), 38); /* cables 0 and 1 are settled */
    assert_int_equal(jint(v, "pending.by_link.RUEHC.total"), 5);
    assert_int_equal(jint(v, "pending.by_link.RUEHC.Z"), 2); /* cables 32 and 36 */
    assert_int_equal(jint(v, "pending.by_link.RUEHC.P"), 3); /* 30, 34 and 38 */
    assert_int_equal(jint(v, "pending.by_link.RUEHLO.total"), 19);
    assert_int_equal(jint(v, "pending.by_link.RUEHFR.total"), 19);
    assert_int_equal(jint(v, "pending.by_precedence.R"), 10); /* 3, 7, ... 39 on RUEHFR */
    assert_int_equal(jint(v, "records.total"), 40 + 15 + 2 + 1);
    assert_int_equal(jint(v, "records.ACCEPT"), 40);
    assert_int_equal(jint(v, "records.DROPPED"), 1);
    assert_int_equal(jint(v, "unknown_types.77"), 1);
    assert_int_equal(jint(v, "undecoded"), 0);
    assert_true(json_is_true(json_object_get(v, "ok")));
    assert_true(json_array_size(json_object_get(v, "segments")) >= 4);
    json_decref(v);

    snprintf(args, sizeof(args), "journal --verify '%s'", dir);
    assert_int_equal(run_cli(args), 0);
    text = tu_read_file(cli_out, NULL);
    assert_non_null(strstr(text, ", 0 bad"));
    assert_non_null(strstr(text, "type 77"));
    free(text);

    /* A flipped byte in an older segment: exit 1, where and why. */
    seg_path(path, sizeof(path), dir, RTR_JID_SEG(victim));
    before = file_size(path);
    flip_byte(path, RTR_JID_OFF(victim) + 30);
    assert_int_equal(run_cli(args), 1);
    text = tu_read_file(cli_out, NULL);
    snprintf(args, sizeof(args), "%08u.jnl:%u: CRC mismatch", (unsigned)RTR_JID_SEG(victim),
             (unsigned)RTR_JID_OFF(victim));
    assert_non_null(strstr(text, args));
    free(text);
    snprintf(args, sizeof(args), "journal --verify --json '%s'", dir);
    assert_int_equal(run_cli(args), 1);
    v = cli_json();
    assert_true(json_is_false(json_object_get(v, "ok")));
    assert_int_equal(jint(json_array_get(json_object_get(v, "problems"), 0), "offset"),
                     RTR_JID_OFF(victim));
    json_decref(v);
    assert_int_equal(file_size(path), before); /* nothing repaired */
    /* Without --verify it still shows what it can, and says so on stderr. */
    snprintf(args, sizeof(args), "journal '%s'", dir);
    assert_int_equal(run_cli(args), 0);
    text = tu_read_file(cli_err, NULL);
    assert_non_null(strstr(text, "bad record"));
    free(text);

    /* Usage and I/O errors. */
    snprintf(args, sizeof(args), "journal '%s/none'", dir);
    assert_int_equal(run_cli(args), 2);
    assert_int_equal(run_cli("journal"), 2);
    assert_int_equal(run_cli("journal --bogus x"), 2);
    assert_int_equal(run_cli("journal --help"), 0);
    text = tu_read_file(cli_out, NULL);
    assert_non_null(strstr(text, "usage: cablesim journal"));
    free(text);

    unlink(cli_out);
    unlink(cli_err);
    tmp_done(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_round_trip_files, tmp_cleanup),
        cmocka_unit_test_teardown(test_round_trip_simulated, tmp_cleanup),
        cmocka_unit_test_teardown(test_group_commit, tmp_cleanup),
        cmocka_unit_test_teardown(test_append_in_pieces, tmp_cleanup),
        cmocka_unit_test_teardown(test_batch_rolls_over, tmp_cleanup),
        cmocka_unit_test_teardown(test_flush_in_three_parts, tmp_cleanup),
        cmocka_unit_test_teardown(test_power_loss_at_every_call, tmp_cleanup),
        cmocka_unit_test_teardown(test_power_loss_custody, tmp_cleanup),
        cmocka_unit_test_teardown(test_fault_injection, tmp_cleanup),
        cmocka_unit_test_teardown(test_torn_tail_every_byte, tmp_cleanup),
        cmocka_unit_test_teardown(test_flipped_bytes, tmp_cleanup),
        cmocka_unit_test_teardown(test_bad_headers, tmp_cleanup),
        cmocka_unit_test_teardown(test_preallocated_segments, tmp_cleanup),
        cmocka_unit_test_teardown(test_release_removes_segments, tmp_cleanup),
        cmocka_unit_test_teardown(test_read_back, tmp_cleanup),
        cmocka_unit_test_teardown(test_errors, tmp_cleanup),
        cmocka_unit_test_teardown(test_cli_journal, tmp_cleanup),
    };
    test_seed();
    return cmocka_run_group_tests_name("rtr_journal", tests, NULL, NULL);
}
