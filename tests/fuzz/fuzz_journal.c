/*
 * fuzz_journal.c - libFuzzer target for the journal's recovery scan.
 *
 * The input is a segment file, 00000001.jnl, in a journal folder held in
 * memory (an I/O layer of its own: no disk, no durability to model). An
 * input that starts with "CSJ" or "X" is the whole file; any other input
 * follows a valid segment header, so that the fuzzer spends its time on
 * records rather than on the header's CRC.
 *
 * Promises checked, any broken one aborting:
 *   - opening read-only and read-write answer alike, 0 or SIM_EVERSION,
 *     and report the same good records and the same cuts (applied only in
 *     read-write mode);
 *   - after a read-write open the file ends where its good data ends (or is
 *     gone when its header was bad), and what the file keeps is unchanged;
 *   - the replay hands out exactly the good records of known types, in
 *     increasing id order, each readable again by id with the same bytes;
 *   - recovery is idempotent: a second open cuts nothing and finds the same;
 *   - the journal takes a new record after recovery and finds it on the next
 *     open, with nothing cut.
 *
 * The fuzz tree links the corpus library only, so the journal's sources are
 * compiled into this target (as fuzz_frame does with the link codec), which
 * also gives libFuzzer their edges; CRC-32C comes from the bitwise
 * crc32_iscsi below instead of ISA-L.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../router/rtr_journal.c"
#include "../../router/rtr_journal_io.c"
#include "../../router/rtr_journal_scan.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ISA-L's contract: the raw CRC-32C register in and out, no inversion. */
unsigned int crc32_iscsi(unsigned char *buffer, int len, unsigned int init_crc)
{
    uint32_t crc = init_crc;
    for (int i = 0; i < len; i++) {
        crc ^= buffer[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
    }
    return crc;
}

#define DIR_NAME "/f"
#define SEG_NAME DIR_NAME "/00000001.jnl"
#define MAX_FILES 8
#define MAX_FDS 16

typedef struct mfile {
    char           name[64];
    unsigned char *data;
    size_t         len;
    bool           used;
} mfile_t;

typedef struct mfs {
    mfile_t files[MAX_FILES];
    int     fds[MAX_FDS]; /* index into files, -1 */
} mfs_t;

static void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz_journal: %s\n", what);
    abort();
}

static mfile_t *mfs_find(mfs_t *m, const char *path)
{
    for (int i = 0; i < MAX_FILES; i++)
        if (m->files[i].used && strcmp(m->files[i].name, path) == 0)
            return &m->files[i];
    return NULL;
}

static mfile_t *mfs_fd(mfs_t *m, int fd)
{
    if (fd < 3 || fd >= MAX_FDS + 3 || m->fds[fd - 3] < 0)
        return NULL;
    return &m->files[m->fds[fd - 3]];
}

static int fs_mkdir(void *ud, const char *path)
{
    (void)ud;
    return strcmp(path, DIR_NAME) == 0 ? -EEXIST : -EACCES;
}

static int fs_list(void *ud, const char *dir, char ***names, size_t *n)
{
    mfs_t *m = ud;
    size_t k = 0, plen = strlen(dir);

    *names = calloc(MAX_FILES, sizeof(char *));
    if (!*names)
        fuzz_fail("out of memory");
    for (int i = 0; i < MAX_FILES; i++) {
        const char *nm = m->files[i].name;
        if (m->files[i].used && strncmp(nm, dir, plen) == 0 && nm[plen] == '/')
            (*names)[k++] = strdup(nm + plen + 1);
    }
    *n = k;
    return 0;
}

static int fs_open(void *ud, const char *path, int flags)
{
    mfs_t   *m = ud;
    mfile_t *f = mfs_find(m, path);

    if (f && flags == RTR_JIO_CREATE)
        return -EEXIST;
    if (!f) {
        if (flags != RTR_JIO_CREATE && flags != RTR_JIO_OPEN_ALWAYS)
            return -ENOENT;
        for (int i = 0; i < MAX_FILES && !f; i++) {
            if (!m->files[i].used) {
                f = &m->files[i];
                free(f->data); /* an unlinked file whose fds are all closed */
                memset(f, 0, sizeof(*f));
                f->used = true;
                snprintf(f->name, sizeof(f->name), "%s", path);
            }
        }
        if (!f)
            return -ENOSPC;
    }
    for (int i = 0; i < MAX_FDS; i++) {
        if (m->fds[i] < 0) {
            m->fds[i] = (int)(f - m->files);
            return i + 3;
        }
    }
    return -EMFILE;
}

static int fs_lock(void *ud, int fd)
{
    return mfs_fd(ud, fd) ? 0 : -EBADF;
}

static int fs_size(void *ud, int fd, uint64_t *size)
{
    mfile_t *f = mfs_fd(ud, fd);
    if (!f)
        return -EBADF;
    *size = f->len;
    return 0;
}

static ssize_t fs_pread(void *ud, int fd, void *buf, size_t len, uint64_t off)
{
    mfile_t *f = mfs_fd(ud, fd);
    if (!f)
        return -EBADF;
    if (off >= f->len)
        return 0;
    if (len > f->len - off)
        len = (size_t)(f->len - off);
    memcpy(buf, f->data + off, len);
    return (ssize_t)len;
}

static void file_resize(mfile_t *f, size_t len)
{
    unsigned char *d = realloc(f->data, len ? len : 1);
    if (!d)
        fuzz_fail("out of memory");
    if (len > f->len)
        memset(d + f->len, 0, len - f->len);
    f->data = d;
    f->len = len;
}

static ssize_t fs_pwrite(void *ud, int fd, const void *buf, size_t len, uint64_t off)
{
    mfile_t *f = mfs_fd(ud, fd);
    if (!f)
        return -EBADF;
    if (off + len > f->len)
        file_resize(f, (size_t)(off + len));
    memcpy(f->data + off, buf, len);
    return (ssize_t)len;
}

static int fs_fdatasync(void *ud, int fd)
{
    return mfs_fd(ud, fd) ? 0 : -EBADF;
}

static int fs_fallocate(void *ud, int fd, uint64_t off, uint64_t len)
{
    mfile_t *f = mfs_fd(ud, fd);
    if (!f)
        return -EBADF;
    if (off + len > (1u << 20))
        return -EOPNOTSUPP; /* keep the fuzzer's memory small */
    if (off + len > f->len)
        file_resize(f, (size_t)(off + len));
    return 0;
}

static int fs_ftruncate(void *ud, int fd, uint64_t len)
{
    mfile_t *f = mfs_fd(ud, fd);
    if (!f)
        return -EBADF;
    file_resize(f, (size_t)len);
    return 0;
}

static int fs_unlink(void *ud, const char *path)
{
    mfile_t *f = mfs_find(ud, path);
    if (!f)
        return -ENOENT;
    f->used = false; /* its bytes stay for fds still open, as on POSIX */
    return 0;
}

static int fs_fsync_dir(void *ud, const char *dir)
{
    (void)ud;
    (void)dir;
    return 0;
}

static int fs_close(void *ud, int fd)
{
    mfs_t *m = ud;
    if (!mfs_fd(m, fd))
        return -EBADF;
    m->fds[fd - 3] = -1;
    return 0;
}

static void mfs_free(mfs_t *m)
{
    for (int i = 0; i < MAX_FILES; i++)
        free(m->files[i].data);
}

/* ---- what a replay sees ----------------------------------------------------------- */

typedef struct seen {
    rtr_journal_t *j;
    size_t         n;
    rtr_jid_t      last;
    uint64_t       sum; /* a digest of every record, to compare two replays */
} seen_t;

static int seen_cb(void *ud, const rtr_journal_rec_t *rec)
{
    seen_t        *s = ud;
    unsigned char *buf;
    size_t         len = 0;

    if (rec->id <= s->last)
        fuzz_fail("replay out of id order");
    if (rec->type == 0 || rec->type > RTR_JREC_KNOWN_MAX)
        fuzz_fail("replay handed out an unknown type");
    s->last = rec->id;
    s->n++;
    s->sum = s->sum * 31 + rec->id + rec->ref * 7 + rec->type + rec->len;
    for (uint32_t i = 0; i < rec->len; i++)
        s->sum = s->sum * 131 + ((const unsigned char *)rec->payload)[i];
    buf = malloc(rec->len ? rec->len : 1);
    if (!buf)
        fuzz_fail("out of memory");
    if (rtr_journal_read(s->j, rec->id, buf, rec->len, &len) != 0 || len != rec->len ||
        (len && memcmp(buf, rec->payload, len) != 0))
        fuzz_fail("a replayed record does not read back the same");
    free(buf);
    return 0;
}

static void replay(rtr_journal_t *j, seen_t *s)
{
    memset(s, 0, sizeof(*s));
    s->j = j;
    if (rtr_journal_scan(j, seen_cb, s) != 0)
        fuzz_fail("replay failed on a recovered journal");
}

static bool same_cuts(const rtr_journal_report_t *a, const rtr_journal_report_t *b)
{
    if (a->n_cuts != b->n_cuts || a->records != b->records || a->unknown != b->unknown)
        return false;
    for (size_t i = 0; i < a->n_cuts; i++)
        if (a->cuts[i].segment != b->cuts[i].segment || a->cuts[i].offset != b->cuts[i].offset ||
            a->cuts[i].bytes != b->cuts[i].bytes || a->cuts[i].why != b->cuts[i].why)
            return false;
    return true;
}

/* The 32-byte header of segment 1 (router/JOURNAL.md), built here
 * independently of the journal's own code. */
static void segment_header(unsigned char *h)
{
    static const unsigned char known[32] = {
        'C', 'S', 'J', '1', 1, 0, 32, 0, 1, 0, 0, 0, 0, 0, 0, 0,
        0,   0,   0,   0,   0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0, 0,
    };
    uint32_t crc = 0xffffffffu;
    memcpy(h, known, 32);
    for (int i = 0; i < 28; i++) {
        crc ^= h[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
    }
    crc = ~crc;
    for (int i = 0; i < 4; i++)
        h[28 + i] = (unsigned char)(crc >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mfs_t                m;
    rtr_jio_t            io = {
                   .ud = &m,
                   .mkdir = fs_mkdir,
                   .list = fs_list,
                   .open = fs_open,
                   .lock = fs_lock,
                   .size = fs_size,
                   .pread = fs_pread,
                   .pwrite = fs_pwrite,
                   .fdatasync = fs_fdatasync,
                   .fallocate = fs_fallocate,
                   .ftruncate = fs_ftruncate,
                   .unlink = fs_unlink,
                   .fsync_dir = fs_fsync_dir,
                   .close = fs_close,
    };
    rtr_journal_opts_t   o = {.io = &io, .segment_size = 4096};
    rtr_journal_report_t ro_rep, rep, rep2;
    rtr_journal_t       *j = NULL;
    mfile_t             *f;
    unsigned char       *orig;
    size_t               olen;
    seen_t               s1, s2;
    rtr_jid_t            id;
    int                  rc, rc_ro;
    bool                 whole;

    if (size == 0 || size > (1u << 20))
        return 0;
    memset(&m, 0, sizeof(m));
    for (int i = 0; i < MAX_FDS; i++)
        m.fds[i] = -1;
    f = &m.files[0];
    f->used = true;
    snprintf(f->name, sizeof(f->name), "%s", SEG_NAME);
    whole = data[0] == 'X' || (size >= 3 && memcmp(data, "CSJ", 3) == 0);
    olen = whole ? size : 32 + size;
    orig = malloc(olen);
    if (!orig)
        fuzz_fail("out of memory");
    if (whole) {
        memcpy(orig, data, size);
    } else {
        segment_header(orig);
        memcpy(orig + 32, data, size);
    }
    f->data = malloc(olen);
    if (!f->data)
        fuzz_fail("out of memory");
    memcpy(f->data, orig, olen);
    f->len = olen;

    /* Read-only first: it must change nothing. */
    o.read_only = true;
    rc_ro = rtr_journal_open(&j, DIR_NAME, &o, &ro_rep);
    if (rc_ro != 0 && rc_ro != SIM_EVERSION)
        fuzz_fail("read-only open failed with an undocumented code");
    if (rc_ro == 0) {
        replay(j, &s1);
        rtr_journal_close(j);
    }
    if (!mfs_find(&m, SEG_NAME) || f->len != olen || memcmp(f->data, orig, olen) != 0)
        fuzz_fail("read-only open changed the file");
    for (size_t i = 0; i < ro_rep.n_cuts; i++)
        if (ro_rep.cuts[i].applied)
            fuzz_fail("read-only open says it cut");

    o.read_only = false;
    rc = rtr_journal_open(&j, DIR_NAME, &o, &rep);
    if (rc != rc_ro)
        fuzz_fail("read-only and read-write open disagree");
    if (rc != 0)
        goto out;
    if (!same_cuts(&ro_rep, &rep))
        fuzz_fail("read-only and read-write open report differently");
    if (rep.n_cuts > 1)
        fuzz_fail("more than one cut in one segment");
    for (size_t i = 0; i < rep.n_cuts; i++) {
        const rtr_journal_cut_t *c = &rep.cuts[i];
        if (!c->applied || c->segment != 1 || c->offset + c->bytes != olen)
            fuzz_fail("a cut that does not add up");
        if (c->why == RTR_JCUT_HEADER) {
            if (c->offset != 0 || mfs_find(&m, SEG_NAME))
                fuzz_fail("a bad header's segment was kept");
        } else {
            /* The newest segment gets its preallocation back after a cut. */
            size_t want = rep.segs[0].prealloc && c->offset < 4096 ? 4096 : (size_t)c->offset;
            if (!mfs_find(&m, SEG_NAME) || f->len != want ||
                memcmp(f->data, orig, c->offset) != 0)
                fuzz_fail("the cut file does not end where the good data ends");
            for (size_t b = c->offset; b < want; b++)
                if (f->data[b] != 0)
                    fuzz_fail("stale bytes after the cut");
        }
    }
    if (rep.n_cuts == 0 && (f->len != olen || memcmp(f->data, orig, olen) != 0))
        fuzz_fail("a clean segment was changed");
    replay(j, &s2);
    if (s2.n != rep.records - rep.unknown || s2.n != s1.n || s2.sum != s1.sum)
        fuzz_fail("the replay does not match the report");
    rtr_journal_close(j);

    /* Recovery again: nothing left to cut, the same records. */
    if (rtr_journal_open(&j, DIR_NAME, &o, &rep2) != 0 || rep2.n_cuts != 0 ||
        rep2.records != rep.records)
        fuzz_fail("recovery is not idempotent");
    rtr_journal_report_destroy(&rep2);
    replay(j, &s1);
    if (s1.n != s2.n || s1.sum != s2.sum)
        fuzz_fail("the second replay differs");
    /* And the journal goes on. */
    if (rtr_journal_append(j, RTR_JREC_ACCEPT, 0, "fuzz", 4, &id) != 0 ||
        rtr_journal_sync(j, NULL) != 0)
        fuzz_fail("no append after recovery");
    rtr_journal_close(j);
    if (rtr_journal_open(&j, DIR_NAME, &o, &rep2) != 0 || rep2.n_cuts != 0 ||
        rep2.records != rep.records + 1)
        fuzz_fail("the record appended after recovery is not there");
    rtr_journal_report_destroy(&rep2);
    replay(j, &s1);
    if (s1.n != s2.n + 1 || s1.last != id)
        fuzz_fail("the record appended after recovery does not replay");
    rtr_journal_close(j);
out:
    rtr_journal_report_destroy(&ro_rep);
    rtr_journal_report_destroy(&rep);
    free(orig);
    mfs_free(&m);
    return 0;
}
