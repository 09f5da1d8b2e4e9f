/*
 * rtr_journal_io.c - the journal's I/O side: the POSIX I/O layer behind
 * rtr_jio_t, the helpers every journal file uses to name, create and write
 * segments, and rtr_journal_flush_io, the one function of the journal that
 * may run on another thread than the loop.
 *
 * Contract of flush_io: it touches only its batch (the buffer, the list of
 * pieces and segments to remove, and the immutable folder name and I/O
 * layer the batch points at), so the loop thread may append to the journal's
 * other buffer meanwhile. Durability order inside one batch: write every
 * piece, fdatasync every file written, fsync the folder when a segment was
 * created (a new name is durable only then), and only after that unlink the
 * segments to remove and fsync the folder again. A failure stops the batch
 * at once; its -errno is kept in the batch for flush_end, which makes it
 * sticky. Nothing here retries an fdatasync: after a failed one the kernel
 * may have dropped the dirty pages, and only recovery can tell what is on
 * disk.
 */
#include "rtr_journal_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- POSIX I/O layer ------------------------------------------------------- */

static int px_mkdir(void *ud, const char *path)
{
    (void)ud;
    return mkdir(path, 0755) == 0 ? 0 : -errno;
}

static int px_list(void *ud, const char *dir, char ***names, size_t *n)
{
    DIR           *d;
    struct dirent *e;
    char         **v = NULL;
    size_t         len = 0, cap = 0;

    (void)ud;
    *names = NULL;
    *n = 0;
    if (!(d = opendir(dir)))
        return -errno;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (len == cap) {
            cap = cap ? cap * 2 : 16;
            v = sim_xrealloc(v, cap * sizeof(*v));
        }
        v[len++] = sim_xstrdup(e->d_name);
        errno = 0;
    }
    if (errno != 0) {
        int rc = -errno;
        for (size_t i = 0; i < len; i++)
            free(v[i]);
        free(v);
        closedir(d);
        return rc;
    }
    closedir(d);
    *names = v;
    *n = len;
    return 0;
}

static int px_open(void *ud, const char *path, int flags)
{
    int of = O_CLOEXEC, fd;

    (void)ud;
    if (flags == RTR_JIO_CREATE)
        of |= O_RDWR | O_CREAT | O_EXCL;
    else if (flags == RTR_JIO_OPEN_ALWAYS)
        of |= O_RDWR | O_CREAT;
    else if (flags == RTR_JIO_RDWR)
        of |= O_RDWR;
    else
        of |= O_RDONLY;
    do
        fd = open(path, of, 0644);
    while (fd < 0 && errno == EINTR);
    return fd >= 0 ? fd : -errno;
}

static int px_lock(void *ud, int fd)
{
    (void)ud;
    /* flock, not fcntl: its locks belong to the open file, so a second open of
     * the same journal in this very process is refused too. */
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    return errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
}

static int px_size(void *ud, int fd, uint64_t *size)
{
    struct stat st;
    (void)ud;
    if (fstat(fd, &st) != 0)
        return -errno;
    *size = (uint64_t)st.st_size;
    return 0;
}

static ssize_t px_pread(void *ud, int fd, void *buf, size_t len, uint64_t off)
{
    ssize_t n;
    (void)ud;
    do
        n = pread(fd, buf, len, (off_t)off);
    while (n < 0 && errno == EINTR);
    return n >= 0 ? n : -errno;
}

static ssize_t px_pwrite(void *ud, int fd, const void *buf, size_t len, uint64_t off)
{
    ssize_t n;
    (void)ud;
    do
        n = pwrite(fd, buf, len, (off_t)off);
    while (n < 0 && errno == EINTR);
    return n >= 0 ? n : -errno;
}

static int px_fdatasync(void *ud, int fd)
{
    (void)ud;
    return fdatasync(fd) == 0 ? 0 : -errno;
}

static int px_fallocate(void *ud, int fd, uint64_t off, uint64_t len)
{
    int rc;
    (void)ud;
    rc = posix_fallocate(fd, (off_t)off, (off_t)len); /* returns the error itself */
    if (rc == EINVAL || rc == EOPNOTSUPP)
        return -EOPNOTSUPP;
    return -rc;
}

static int px_ftruncate(void *ud, int fd, uint64_t len)
{
    (void)ud;
    return ftruncate(fd, (off_t)len) == 0 ? 0 : -errno;
}

static int px_unlink(void *ud, const char *path)
{
    (void)ud;
    return unlink(path) == 0 ? 0 : -errno;
}

static int px_fsync_dir(void *ud, const char *dir)
{
    int fd, rc = 0;
    (void)ud;
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return -errno;
    if (fsync(fd) != 0)
        rc = -errno;
    close(fd);
    return rc;
}

static int px_close(void *ud, int fd)
{
    (void)ud;
    /* After close() fails the fd is gone anyway (Linux); report, never retry. */
    return close(fd) == 0 ? 0 : -errno;
}

static const rtr_jio_t rtr__jio_posix = {
    .ud = NULL,
    .mkdir = px_mkdir,
    .list = px_list,
    .open = px_open,
    .lock = px_lock,
    .size = px_size,
    .pread = px_pread,
    .pwrite = px_pwrite,
    .fdatasync = px_fdatasync,
    .fallocate = px_fallocate,
    .ftruncate = px_ftruncate,
    .unlink = px_unlink,
    .fsync_dir = px_fsync_dir,
    .close = px_close,
};

const rtr_jio_t *rtr_jio_posix(void)
{
    return &rtr__jio_posix;
}

/* ---- helpers shared by the journal's files ---------------------------------- */

char *rtr__jpath(const char *dir, uint32_t no, char *buf, size_t cap)
{
    if (no == 0)
        snprintf(buf, cap, "%s/%s", dir, RTR__JLOCK_NAME);
    else
        snprintf(buf, cap, "%s/%08u.jnl", dir, (unsigned)no);
    return buf;
}

bool rtr__jname_parse(const char *name, uint32_t *no)
{
    uint32_t v = 0;

    if (strlen(name) != RTR__JNAME_LEN || strcmp(name + 8, ".jnl") != 0)
        return false;
    for (int i = 0; i < 8; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        v = v * 10 + (uint32_t)(name[i] - '0');
    }
    if (v == 0)
        return false;
    *no = v;
    return true;
}

int rtr__jmkdirs(const rtr_jio_t *io, const char *dir)
{
    char  *p = sim_xstrdup(dir);
    size_t n = strlen(p);
    int    rc = 0;

    /* Create every prefix in turn; existing ones answer -EEXIST. A folder
     * made here is durable once its parent is fsync'd, or a crash could take
     * it away with every segment in it. */
    for (size_t i = 1; i <= n && rc == 0; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        rc = io->mkdir(io->ud, p);
        if (rc == 0) {
            char *slash = strrchr(p, '/');
            if (!slash)
                rc = io->fsync_dir(io->ud, ".");
            else if (slash == p)
                rc = io->fsync_dir(io->ud, "/");
            else {
                *slash = '\0';
                rc = io->fsync_dir(io->ud, p);
                *slash = '/';
            }
        } else if (rc == -EEXIST) {
            rc = 0;
        }
        p[i] = c;
    }
    free(p);
    return rc;
}

int rtr__jwrite_all(const rtr_jio_t *io, int fd, const void *buf, size_t len, uint64_t off)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = io->pwrite(io->ud, fd, p, len, off);
        if (n < 0)
            return (int)n;
        if (n == 0)
            return -EIO; /* no progress: a full device would have said ENOSPC */
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

ssize_t rtr__jread_full(const rtr_jio_t *io, int fd, void *buf, size_t len, uint64_t off)
{
    char  *p = buf;
    size_t got = 0;

    while (got < len) {
        ssize_t n = io->pread(io->ud, fd, p + got, len - got, off + got);
        if (n < 0)
            return n;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

void rtr__jseg_header(unsigned char *out, uint32_t no, bool prealloc)
{
    memset(out, 0, RTR__JSEG_HDR);
    memcpy(out, RTR__JSEG_MAGIC, 4);
    rtr__put16(out + 4, RTR__JSEG_VERSION);
    rtr__put16(out + 6, RTR__JSEG_HDR);
    rtr__put32(out + 8, no);
    rtr__put32(out + 12, prealloc ? RTR__JSEG_PREALLOC : 0);
    rtr__put32(out + 28, rtr__jcrc_final(rtr__jcrc_add(rtr__jcrc_init(), out, 28)));
}

/* ---- the flush, off the loop thread -------------------------------------------- */

int rtr_journal_flush_io(rtr_journal_batch_t *b)
{
    const rtr_jio_t *io = b->io;
    char             path[4096];
    bool             created = false;
    int              rc = 0;

    if (b->io_done)
        sim_panic("%s: batch flushed twice", __func__);
    for (uint32_t i = 0; i < b->n_ext && rc == 0; i++) {
        rtr__jext_t *e = &b->ext[i];
        if (e->create) {
            int fd = io->open(io->ud, rtr__jpath(b->dir, e->seg, path, sizeof(path)),
                              RTR_JIO_CREATE);
            if (fd < 0) {
                rc = fd;
                break;
            }
            e->fd = fd;
            created = true;
            b->created++;
            if (b->prealloc) {
                rc = io->fallocate(io->ud, fd, 0, b->seg_size);
                if (rc == -EOPNOTSUPP)
                    rc = 0; /* the segment just grows as it is written */
                if (rc < 0)
                    break;
            }
        }
        rc = rtr__jwrite_all(io, e->fd, b->buf + e->from, e->to - e->from, e->off);
        b->writes++;
        if (rc == 0)
            b->write_bytes += e->to - e->from;
    }
    for (uint32_t i = 0; i < b->n_ext && rc == 0; i++) {
        rc = io->fdatasync(io->ud, b->ext[i].fd);
        b->fdatasyncs++;
    }
    if (rc == 0 && created) {
        rc = io->fsync_dir(io->ud, b->dir);
        b->dir_fsyncs++;
    }
    /* Removals come last: the records that ended the custody of what the
     * removed segments hold (DELIVEREDs in this very batch, perhaps) must be
     * durable first. */
    for (uint32_t i = 0; i < b->n_unlink && rc == 0; i++) {
        rc = io->unlink(io->ud, rtr__jpath(b->dir, b->unlink[i], path, sizeof(path)));
        if (rc == -ENOENT)
            rc = 0;
        if (rc == 0 && b->unlink_fd[i] >= 0) {
            /* Here rather than in the loop's thread: the last close of a
             * removed file frees its pages. */
            io->close(io->ud, b->unlink_fd[i]);
            b->unlink_fd[i] = -1;
        }
    }
    if (rc == 0 && b->n_unlink > 0) {
        rc = io->fsync_dir(io->ud, b->dir);
        b->dir_fsyncs++;
    }
    b->status = rc;
    b->io_done = true;
    return rc;
}
