/*
 * rtr_journal.c - the journal on the loop thread: appending records into the
 * batch being filled, handing batches to flush_io and taking them back,
 * custody (live ACCEPT counts per segment) and the removal of segments no
 * longer needed, reading a record back by id, statistics.
 *
 * Owns: the segment table (one entry per segment file, the last one being the
 * segment appended to), two batch buffers (one filling, at most one in flight
 * in rtr_journal_flush_io on a worker thread), the open file descriptors.
 *
 * Ids are placed when a record is appended: it goes at the end of the current
 * segment, or starts the next one when it would take the segment past its
 * size. A batch is therefore one piece per segment it touches (two when it
 * rolls over), written with one pwrite each.
 *
 * Removal rule (JOURNAL.md): a segment goes when it is not the current one,
 * everything appended to it is durable, it holds no unreleased ACCEPT, and no
 * segment its records refer to (DELIVEREDs point back at ACCEPTs) is still on
 * disk. The last condition keeps a DELIVERED until its ACCEPT is gone, so a
 * crash can never bring back an ACCEPT without the DELIVEREDs that settle it;
 * and since a segment becomes removable only after its dependencies' removal
 * was made durable by an earlier flush, removals are durable in that order.
 *
 * Failure modes: every error of a flush is sticky (see rtr_journal.h); bad
 * calls (type 0, oversize record, releasing what is not live, reading an id
 * that is not in the journal) return codes; only a batch handed back twice or
 * out of turn, or closing with one in flight, are our bugs and panic.
 */
#include "rtr_journal_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- the segment table ----------------------------------------------------------- */

rtr__jseg_t *rtr__jseg_push(rtr_journal_t *j, uint32_t no)
{
    rtr__jseg_t *s;

    if (j->n_segs > 0 && j->segs[j->n_segs - 1].no >= no)
        sim_panic("%s: segment %u after %u", __func__, (unsigned)no,
                  (unsigned)j->segs[j->n_segs - 1].no);
    if (j->n_segs == j->cap_segs) {
        j->cap_segs = j->cap_segs ? j->cap_segs * 2 : 8;
        j->segs = sim_xrealloc(j->segs, j->cap_segs * sizeof(*j->segs));
    }
    s = &j->segs[j->n_segs++];
    memset(s, 0, sizeof(*s));
    s->no = no;
    s->fd = -1;
    return s;
}

static rtr__jseg_t *seg_find(const rtr_journal_t *j, uint32_t no)
{
    uint32_t lo = 0, hi = j->n_segs;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (j->segs[mid].no < no)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < j->n_segs && j->segs[lo].no == no ? &j->segs[lo] : NULL;
}

static rtr__jseg_t *seg_current(const rtr_journal_t *j)
{
    return j->n_segs ? &j->segs[j->n_segs - 1] : NULL;
}

void rtr__jseg_dep(rtr__jseg_t *s, uint32_t dep)
{
    uint32_t lo = 0, hi = s->n_deps;

    if (s->n_deps && s->deps[s->n_deps - 1] == dep)
        return;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->deps[mid] < dep)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n_deps && s->deps[lo] == dep)
        return;
    if (s->n_deps == s->cap_deps) {
        s->cap_deps = s->cap_deps ? s->cap_deps * 2 : 4;
        s->deps = sim_xrealloc(s->deps, s->cap_deps * sizeof(*s->deps));
    }
    memmove(&s->deps[lo + 1], &s->deps[lo], (s->n_deps - lo) * sizeof(*s->deps));
    s->deps[lo] = dep;
    s->n_deps++;
}

static void seg_drop(rtr_journal_t *j, rtr__jseg_t *s)
{
    uint32_t i = (uint32_t)(s - j->segs);

    if (s->fd >= 0)
        j->io->close(j->io->ud, s->fd);
    free(s->deps);
    memmove(&j->segs[i], &j->segs[i + 1], (j->n_segs - i - 1) * sizeof(*j->segs));
    j->n_segs--;
}

static bool seg_removable(const rtr_journal_t *j, const rtr__jseg_t *s)
{
    if (s == seg_current(j) || !s->on_disk || s->removing || s->live > 0 ||
        s->written != s->end)
        return false;
    for (uint32_t k = 0; k < s->n_deps; k++)
        if (seg_find(j, s->deps[k]))
            return false;
    return true;
}

/* ---- batches ---------------------------------------------------------------------- */

static void batch_reset(rtr_journal_batch_t *b)
{
    b->len = 0;
    b->n_ext = 0;
    b->n_unlink = 0;
    b->last = 0;
    b->records = 0;
    b->status = 0;
    b->io_done = false;
    b->writes = b->write_bytes = b->fdatasyncs = b->dir_fsyncs = b->created = 0;
}

static void batch_free(rtr_journal_batch_t *b)
{
    free(b->buf);
    free(b->ext);
    free(b->unlink);
    free(b->unlink_fd);
    memset(b, 0, sizeof(*b));
}

static unsigned char *batch_room(rtr_journal_batch_t *b, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 64 * 1024;
        while (cap - b->len < n)
            cap *= 2;
        b->buf = sim_xrealloc(b->buf, cap);
        b->cap = cap;
    }
    return b->buf + b->len;
}

static rtr__jext_t *batch_piece(rtr_journal_batch_t *b, rtr__jseg_t *s)
{
    rtr__jext_t *e;

    if (b->n_ext && b->ext[b->n_ext - 1].seg == s->no)
        return &b->ext[b->n_ext - 1];
    if (b->n_ext == b->cap_ext) {
        b->cap_ext = b->cap_ext ? b->cap_ext * 2 : 4;
        b->ext = sim_xrealloc(b->ext, b->cap_ext * sizeof(*b->ext));
    }
    e = &b->ext[b->n_ext++];
    memset(e, 0, sizeof(*e));
    e->seg = s->no;
    e->fd = -1;
    e->from = e->to = b->len;
    e->off = s->end;
    if (!s->created) {
        /* The batch creates the file: the piece starts with its header. */
        rtr__jseg_header(batch_room(b, RTR__JSEG_HDR), s->no, s->prealloc);
        b->len += RTR__JSEG_HDR;
        e->to = b->len;
        e->off = 0;
        e->create = true;
        s->created = true;
        s->end = RTR__JSEG_HDR;
    }
    return e;
}

/* ---- appending -------------------------------------------------------------------- */

int rtr_journal_append(rtr_journal_t *j, int type, rtr_jid_t ref, const void *payload,
                       size_t len, rtr_jid_t *id)
{
    rtr_journal_piece_t one = {payload, len};
    return rtr_journal_appendv(j, type, ref, &one, 1, id);
}

int rtr_journal_appendv(rtr_journal_t *j, int type, rtr_jid_t ref,
                        const rtr_journal_piece_t *pieces, unsigned n, rtr_jid_t *id)
{
    rtr_journal_batch_t *b = j->fill;
    rtr__jseg_t         *s;
    rtr__jext_t         *e;
    unsigned char       *h, *o;
    size_t               len = 0, need;

    for (unsigned i = 0; i < n; i++)
        len += pieces[i].len;
    need = RTR__JREC_HDR + len;

    if (j->err)
        return j->err;
    if (j->read_only)
        return -EROFS;
    if (type <= 0 || type > 255)
        return -EINVAL;
    if (len > j->max_record)
        return SIM_ETOOBIG;
    s = seg_current(j);
    if (!s || (s->created && s->end > RTR__JSEG_HDR && s->end + need > j->seg_size)) {
        uint32_t no = s ? s->no + 1 : 1;
        if (no > RTR_JOURNAL_SEGMENT_NO_MAX)
            return SIM_EFULL;
        s = rtr__jseg_push(j, no);
        s->prealloc = j->prealloc;
        j->gc_dirty = true; /* the segment left behind may be removable */
    }
    e = batch_piece(b, s);
    h = batch_room(b, need);
    rtr__put32(h, (uint32_t)len);
    h[8] = (unsigned char)type;
    rtr__put64(h + 9, ref);
    o = h + RTR__JREC_HDR;
    for (unsigned i = 0; i < n; i++) {
        if (pieces[i].len)
            memcpy(o, pieces[i].p, pieces[i].len);
        o += pieces[i].len;
    }
    rtr__put32(h + 4, rtr__jrec_crc(h, h + RTR__JREC_HDR, len));
    *id = RTR_JID(s->no, s->end);
    b->len += need;
    e->to = b->len;
    s->end += need;
    s->records++;
    if (type == RTR_JREC_ACCEPT) {
        s->live++;
        j->st.live++;
    }
    if (ref && RTR_JID_SEG(ref) < s->no)
        rtr__jseg_dep(s, RTR_JID_SEG(ref));
    b->last = *id;
    b->records++;
    j->st.appends++;
    j->st.append_bytes += need;
    return 0;
}

/* ---- group commit ---------------------------------------------------------------- */

int rtr_journal_flush_begin(rtr_journal_t *j, rtr_journal_batch_t **batch)
{
    rtr_journal_batch_t *b = j->fill;

    *batch = NULL;
    if (j->err)
        return j->err;
    if (j->read_only)
        return 0;
    if (j->inflight)
        return -EBUSY;
    if (j->gc_dirty) {
        j->gc_dirty = false;
        for (uint32_t i = 0; i < j->n_segs; i++) {
            rtr__jseg_t *s = &j->segs[i];
            if (!seg_removable(j, s))
                continue;
            if (b->n_unlink == b->cap_unlink) {
                b->cap_unlink = b->cap_unlink ? b->cap_unlink * 2 : 8;
                b->unlink = sim_xrealloc(b->unlink, b->cap_unlink * sizeof(*b->unlink));
                b->unlink_fd =
                    sim_xrealloc(b->unlink_fd, b->cap_unlink * sizeof(*b->unlink_fd));
            }
            b->unlink_fd[b->n_unlink] = s->fd; /* nothing reads or writes it any more */
            b->unlink[b->n_unlink++] = s->no;
            s->removing = true;
        }
    }
    if (b->len == 0 && b->n_unlink == 0)
        return 0;
    for (uint32_t i = 0; i < b->n_ext; i++)
        if (!b->ext[i].create)
            b->ext[i].fd = seg_find(j, b->ext[i].seg)->fd;
    b->io = j->io;
    b->dir = j->dir;
    b->seg_size = j->seg_size;
    b->prealloc = j->prealloc;
    j->inflight = b;
    j->fill = b == &j->batch[0] ? &j->batch[1] : &j->batch[0];
    batch_reset(j->fill);
    *batch = b;
    return 0;
}

int rtr_journal_flush_end(rtr_journal_t *j, rtr_journal_batch_t *b, rtr_jid_t *durable_upto)
{
    int rc = b->status;

    if (b != j->inflight || !b->io_done)
        sim_panic("%s: batch %p handed back out of turn", __func__, (void *)b);
    /* Files the batch created are the journal's to close, whatever happened. */
    for (uint32_t i = 0; i < b->n_ext; i++) {
        rtr__jext_t *e = &b->ext[i];
        rtr__jseg_t *s = seg_find(j, e->seg);
        if (e->create && e->fd >= 0) {
            s->fd = e->fd;
            s->on_disk = true;
        }
        if (rc == 0) {
            bool was_open = s->written != s->end;
            s->written = e->off + (e->to - e->from);
            if (was_open && s->written == s->end && s != seg_current(j))
                j->gc_dirty = true; /* a segment left behind is now complete */
        }
    }
    for (uint32_t i = 0; i < b->n_unlink; i++) {
        rtr__jseg_t *s = seg_find(j, b->unlink[i]);
        if (b->unlink_fd[i] < 0)
            s->fd = -1; /* removed, and closed by flush_io */
        if (rc < 0) {
            s->removing = false;
            continue;
        }
        seg_drop(j, s);
        j->st.segments_removed++;
        j->gc_dirty = true; /* its dependants may go now */
    }
    j->st.writes += b->writes;
    j->st.write_bytes += b->write_bytes;
    j->st.fdatasyncs += b->fdatasyncs;
    j->st.dir_fsyncs += b->dir_fsyncs;
    j->st.segments_created += b->created;
    if (rc == 0) {
        j->st.batches++;
        if (b->last)
            j->durable = b->last;
    } else {
        j->err = rc;
    }
    batch_reset(b);
    j->inflight = NULL;
    if (durable_upto)
        *durable_upto = j->durable;
    return rc;
}

int rtr_journal_sync(rtr_journal_t *j, rtr_jid_t *durable_upto)
{
    rtr_journal_batch_t *b;
    int                  rc;

    /* Removals may make others possible: go on until nothing is left. */
    for (;;) {
        if ((rc = rtr_journal_flush_begin(j, &b)) < 0)
            break;
        if (!b)
            break;
        rtr_journal_flush_io(b);
        if ((rc = rtr_journal_flush_end(j, b, NULL)) < 0)
            break;
    }
    if (durable_upto)
        *durable_upto = j->durable;
    return rc;
}

rtr_jid_t rtr_journal_durable(const rtr_journal_t *j)
{
    return j->durable;
}

/* ---- custody ---------------------------------------------------------------------- */

int rtr_journal_release(rtr_journal_t *j, rtr_jid_t id)
{
    rtr__jseg_t *s = seg_find(j, RTR_JID_SEG(id));

    if (j->read_only)
        return -EROFS;
    if (!s || RTR_JID_OFF(id) < RTR__JSEG_HDR || RTR_JID_OFF(id) >= s->end || s->live == 0)
        return -EINVAL;
    s->live--;
    j->st.live--;
    if (s->live == 0)
        j->gc_dirty = true;
    return 0;
}

/* ---- reading back ---------------------------------------------------------------- */

/* The bytes of a record not written yet: in the batch being filled or in
 * flight (flush_io only reads that buffer too). */
static const unsigned char *read_buffered(const rtr_journal_t *j, uint32_t no, uint64_t off,
                                          size_t *avail)
{
    const rtr_journal_batch_t *bs[2] = {j->inflight, j->fill};

    for (int k = 0; k < 2; k++) {
        const rtr_journal_batch_t *b = bs[k];
        for (uint32_t i = 0; b && i < b->n_ext; i++) {
            const rtr__jext_t *e = &b->ext[i];
            if (e->seg == no && off >= e->off && off < e->off + (e->to - e->from)) {
                *avail = (size_t)(e->off + (e->to - e->from) - off);
                return b->buf + e->from + (off - e->off);
            }
        }
    }
    return NULL;
}

int rtr_journal_read(rtr_journal_t *j, rtr_jid_t id, void *buf, size_t cap, size_t *len)
{
    const rtr__jseg_t   *s = seg_find(j, RTR_JID_SEG(id));
    uint64_t             off = RTR_JID_OFF(id);
    unsigned char        hdr[RTR__JREC_HDR];
    const unsigned char *mem = NULL;
    size_t               avail = 0;
    uint32_t             n;
    ssize_t              got;

    *len = 0;
    if (!s || off < RTR__JSEG_HDR || off + RTR__JREC_HDR > s->end)
        return -EINVAL;
    if (off >= s->written) {
        if (!(mem = read_buffered(j, s->no, off, &avail)) || avail < RTR__JREC_HDR)
            return -EINVAL;
        memcpy(hdr, mem, RTR__JREC_HDR);
    } else {
        got = rtr__jread_full(j->io, s->fd, hdr, RTR__JREC_HDR, off);
        if (got < 0)
            return (int)got;
        if ((size_t)got < RTR__JREC_HDR)
            return -EBADMSG;
    }
    n = rtr__get32(hdr);
    if (hdr[8] == 0 || n > RTR_JOURNAL_RECORD_MAX ||
        off + RTR__JREC_HDR + n > (mem ? off + avail : s->written))
        return -EBADMSG;
    *len = n;
    if (cap < n)
        return SIM_ETOOBIG;
    if (mem) {
        if (n)
            memcpy(buf, mem + RTR__JREC_HDR, n);
    } else {
        got = rtr__jread_full(j->io, s->fd, buf, n, off + RTR__JREC_HDR);
        if (got < 0)
            return (int)got;
        if ((size_t)got < n)
            return -EBADMSG;
    }
    if (rtr__jrec_crc(hdr, buf, n) != rtr__get32(hdr + 4))
        return -EBADMSG;
    return 0;
}

/* ---- statistics and closing ------------------------------------------------------ */

void rtr_journal_stats(const rtr_journal_t *j, rtr_journal_stats_t *st)
{
    const rtr__jseg_t *cur = seg_current(j);

    *st = j->st;
    st->segments = j->n_segs;
    st->current_segment = cur ? cur->no : 0;
    st->durable = j->durable;
}

void rtr__jfree(rtr_journal_t *j)
{
    for (uint32_t i = 0; i < j->n_segs; i++) {
        if (j->segs[i].fd >= 0)
            j->io->close(j->io->ud, j->segs[i].fd);
        free(j->segs[i].deps);
    }
    free(j->segs);
    if (j->lock_fd >= 0)
        j->io->close(j->io->ud, j->lock_fd);
    batch_free(&j->batch[0]);
    batch_free(&j->batch[1]);
    free(j->dir);
    free(j);
}

void rtr_journal_close(rtr_journal_t *j)
{
    if (!j)
        return;
    if (j->inflight)
        sim_panic("%s: a batch is still in flight", __func__);
    /* A segment created by a batch that never ran has no file: nothing to do. */
    rtr__jfree(j);
}
