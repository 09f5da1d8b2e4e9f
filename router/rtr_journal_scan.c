/*
 * rtr_journal_scan.c - recovery: checking segment files record by record,
 * opening a journal (which cuts every segment at its first bad record and
 * reports it), and replaying the good records to the router.
 *
 * Everything read here is input: a length may be anything, a header may be
 * half written, a file may shrink while it is read. The checker therefore
 * reads through a window it sizes itself (never more than a record's
 * sane maximum at a time), verifies each record's length against the file and
 * its CRC before handing it on, and answers with where the good data ends
 * and why it stopped there. Opening acts on that answer: it cuts the segment
 * there with ftruncate + fdatasync (so that new records appended in its place
 * can never be followed by stale ones after another crash), removes files
 * whose header is bad, and lists every cut in the report, with the reason.
 * Nothing asserts on file contents. Failure modes of open: the folder cannot
 * be created or read (-errno), another process holds its lock (-EBUSY), a
 * segment of a newer format (SIM_EVERSION), an I/O error while reading or
 * cutting (-errno). The report is filled in as far as open got.
 */
#include "rtr_journal_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *rtr_journal_cut_str(int why)
{
    switch (why) {
    case RTR_JCUT_HEADER: return "bad segment header";
    case RTR_JCUT_SHORT: return "record header cut short";
    case RTR_JCUT_LENGTH: return "record length past the end of the file or over the maximum";
    case RTR_JCUT_CRC: return "CRC mismatch";
    case RTR_JCUT_TYPE: return "record of type 0";
    case RTR_JCUT_ZERO: return "zero bytes where a record should start";
    default: return "unknown reason";
    }
}

void rtr_journal_report_destroy(rtr_journal_report_t *r)
{
    if (!r)
        return;
    free(r->segs);
    free(r->cuts);
    memset(r, 0, sizeof(*r));
}

/* ---- checking one segment file -------------------------------------------- */

#define RTR__JCHUNK (1u << 20)

typedef struct rtr__jwin {
    const rtr_jio_t *io;
    int              fd;
    uint64_t         end; /* read nothing at or past it */
    unsigned char   *buf;
    size_t           cap;
    uint64_t         beg; /* file offset of buf[0] */
    size_t           len; /* bytes valid in buf */
} rtr__jwin_t;

/* Make [pos, pos + need) available in the window; returns a pointer to pos,
 * NULL with *rc = 0 when the file holds fewer bytes, or NULL with *rc < 0. */
static const unsigned char *win_get(rtr__jwin_t *w, uint64_t pos, size_t need, int *rc)
{
    ssize_t n;
    size_t  want;

    *rc = 0;
    if (pos >= w->beg && pos + need <= w->beg + w->len)
        return w->buf + (pos - w->beg);
    if (pos + need > w->end)
        return NULL;
    if (need > w->cap) {
        w->cap = need;
        free(w->buf);
        w->buf = sim_xmalloc(w->cap);
        w->len = 0;
    }
    want = w->cap;
    if (want > w->end - pos)
        want = (size_t)(w->end - pos);
    n = rtr__jread_full(w->io, w->fd, w->buf, want, pos);
    if (n < 0) {
        *rc = (int)n;
        w->len = 0;
        return NULL;
    }
    w->beg = pos;
    w->len = (size_t)n;
    if ((size_t)n < need)
        return NULL; /* the file shrank under us: treated as cut short */
    return w->buf;
}

/* 1 when [pos, w->end) is all zero bytes, 0 when not, < 0 on error. */
static int win_all_zero(rtr__jwin_t *w, uint64_t pos)
{
    while (pos < w->end) {
        size_t               n = (size_t)SIM_MIN((uint64_t)RTR__JCHUNK, w->end - pos);
        int                  rc;
        const unsigned char *p = win_get(w, pos, n, &rc);
        if (!p)
            return rc < 0 ? rc : 0;
        for (size_t i = 0; i < n; i++)
            if (p[i])
                return 0;
        pos += n;
    }
    return 1;
}

int rtr__jcheck_segment(const rtr_jio_t *io, int fd, uint32_t no, uint64_t limit,
                        rtr__jvisit_cb visit, void *ud, rtr__jcheck_t *out)
{
    rtr__jwin_t          w = {.io = io, .fd = fd};
    const unsigned char *h;
    uint64_t             pos;
    int                  rc;

    memset(out, 0, sizeof(*out));
    if ((rc = io->size(io->ud, fd, &out->file_bytes)) < 0)
        return rc;
    w.end = out->file_bytes;
    if (limit && limit < w.end)
        w.end = limit;
    w.cap = (size_t)SIM_MAX(SIM_MIN((uint64_t)RTR__JCHUNK, w.end), (uint64_t)RTR__JSEG_HDR);
    w.buf = sim_xmalloc(w.cap);

    /* The segment header. */
    h = win_get(&w, 0, RTR__JSEG_HDR, &rc);
    if (!h) {
        out->why = RTR_JCUT_HEADER;
        goto done;
    }
    if (memcmp(h, RTR__JSEG_MAGIC, 4) != 0) {
        out->why = RTR_JCUT_HEADER;
        goto done;
    }
    if (rtr__get16(h + 4) > RTR__JSEG_VERSION) {
        rc = SIM_EVERSION; /* never cut what a newer format wrote */
        goto done;
    }
    if (rtr__get16(h + 4) != RTR__JSEG_VERSION || rtr__get16(h + 6) != RTR__JSEG_HDR ||
        rtr__get32(h + 8) != no ||
        rtr__get32(h + 28) != rtr__jcrc_final(rtr__jcrc_add(rtr__jcrc_init(), h, 28))) {
        out->why = RTR_JCUT_HEADER;
        goto done;
    }
    out->prealloc = (rtr__get32(h + 12) & RTR__JSEG_PREALLOC) != 0;
    pos = RTR__JSEG_HDR;

    /* The records, up to the end or the first one that is not good. */
    for (;;) {
        rtr_journal_rec_t rec;
        uint32_t          len, crc;
        bool              zero = true;

        out->data_end = pos;
        if (pos == w.end)
            break;
        h = win_get(&w, pos, RTR__JREC_HDR, &rc);
        if (!h) {
            if (rc < 0)
                goto done;
            /* Fewer bytes left than a header: zeros are a clean end only
             * in a preallocated segment. */
            if ((rc = win_all_zero(&w, pos)) < 0)
                goto done;
            if (rc == 1)
                out->why = out->prealloc ? 0 : RTR_JCUT_ZERO;
            else
                out->why = RTR_JCUT_SHORT;
            rc = 0;
            break;
        }
        for (unsigned i = 0; i < RTR__JREC_HDR; i++)
            zero = zero && h[i] == 0;
        if (zero) {
            if ((rc = win_all_zero(&w, pos)) < 0)
                goto done;
            out->why = (rc == 1 && out->prealloc) ? 0 : RTR_JCUT_ZERO;
            rc = 0;
            break;
        }
        len = rtr__get32(h);
        crc = rtr__get32(h + 4);
        rec.type = h[8];
        rec.ref = rtr__get64(h + 9);
        if (rec.type == 0) {
            out->why = RTR_JCUT_TYPE;
            break;
        }
        if (len > RTR_JOURNAL_RECORD_MAX || len > w.end - pos - RTR__JREC_HDR) {
            out->why = RTR_JCUT_LENGTH;
            break;
        }
        h = win_get(&w, pos, RTR__JREC_HDR + len, &rc);
        if (!h) {
            if (rc < 0)
                goto done;
            out->why = RTR_JCUT_LENGTH;
            break;
        }
        if (rtr__jrec_crc(h, h + RTR__JREC_HDR, len) != crc) {
            out->why = RTR_JCUT_CRC;
            break;
        }
        rec.id = RTR_JID(no, pos);
        rec.payload = h + RTR__JREC_HDR;
        rec.len = len;
        if (visit && (rc = visit(ud, no, &rec)) != 0)
            goto done;
        out->records++;
        out->record_bytes += RTR__JREC_HDR + len;
        pos += RTR__JREC_HDR + len;
    }
    rc = 0;
done:
    free(w.buf);
    return rc;
}

/* ---- opening: recovery ------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct rtr__jrecover {
    rtr_journal_report_t *rep;
    uint64_t              live;
    uint32_t             *deps;
    uint32_t              n_deps, cap_deps;
    uint32_t              last_dep;
    rtr_jid_t             last; /* id of the last good record */
} rtr__jrecover_t;

static int recover_visit(void *ud, uint32_t seg, const rtr_journal_rec_t *rec)
{
    rtr__jrecover_t *r = ud;
    uint32_t         dep = RTR_JID_SEG(rec->ref);

    r->last = rec->id;
    r->rep->by_type[rec->type]++;
    if (rec->type > RTR_JREC_KNOWN_MAX)
        r->rep->unknown++;
    if (rec->type == RTR_JREC_ACCEPT)
        r->live++;
    /* Collected unsorted and deduplicated by the segment table later; the
     * last one seen short-circuits the common run of refs to one segment. */
    if (rec->ref && dep < seg && dep != r->last_dep) {
        if (r->n_deps == r->cap_deps) {
            r->cap_deps = r->cap_deps ? r->cap_deps * 2 : 8;
            r->deps = sim_xrealloc(r->deps, r->cap_deps * sizeof(*r->deps));
        }
        r->deps[r->n_deps++] = dep;
        r->last_dep = dep;
    }
    return 0;
}

static void report_cut(rtr_journal_report_t *rep, uint32_t no, uint64_t off, uint64_t bytes,
                       int why, bool applied)
{
    rtr_journal_cut_t *c;
    rep->cuts = sim_xrealloc(rep->cuts, (rep->n_cuts + 1) * sizeof(*rep->cuts));
    c = &rep->cuts[rep->n_cuts++];
    memset(c, 0, sizeof(*c));
    c->segment = no;
    c->offset = off;
    c->bytes = bytes;
    c->why = why;
    c->applied = applied;
}

/* Cut segment 'no' (fd) after its good data, or remove it when its header is
 * bad; durable before returning. */
static int recover_cut(rtr_journal_t *j, uint32_t no, int *fd, const rtr__jcheck_t *ck,
                       bool newest)
{
    const rtr_jio_t *io = j->io;
    char             path[4096];
    int              rc;

    if (ck->why == RTR_JCUT_HEADER) {
        io->close(io->ud, *fd);
        *fd = -1;
        if ((rc = io->unlink(io->ud, rtr__jpath(j->dir, no, path, sizeof(path)))) < 0)
            return rc;
        return io->fsync_dir(io->ud, j->dir);
    }
    if ((rc = io->ftruncate(io->ud, *fd, ck->data_end)) < 0)
        return rc;
    /* The newest segment is appended to next: give back its preallocation. */
    if (newest && ck->prealloc && ck->data_end < j->seg_size) {
        rc = io->fallocate(io->ud, *fd, ck->data_end, j->seg_size - ck->data_end);
        if (rc < 0 && rc != -EOPNOTSUPP)
            return rc;
    }
    return io->fdatasync(io->ud, *fd);
}

static int open_lock(rtr_journal_t *j)
{
    char path[4096];
    int  rc;

    j->lock_fd = j->io->open(j->io->ud, rtr__jpath(j->dir, 0, path, sizeof(path)),
                             RTR_JIO_OPEN_ALWAYS);
    if (j->lock_fd < 0) {
        rc = j->lock_fd;
        j->lock_fd = -1;
        return rc;
    }
    rc = j->io->lock(j->io->ud, j->lock_fd);
    return rc == -EWOULDBLOCK ? -EBUSY : rc;
}

/* The numbers of the segment files in the folder, ascending; owned. */
static int list_segments(rtr_journal_t *j, uint32_t **nos, size_t *n)
{
    char  **names;
    size_t  count, k = 0;
    int     rc;

    *nos = NULL;
    *n = 0;
    if ((rc = j->io->list(j->io->ud, j->dir, &names, &count)) < 0)
        return rc;
    *nos = sim_xmalloc((count ? count : 1) * sizeof(**nos));
    for (size_t i = 0; i < count; i++) {
        uint32_t no;
        if (rtr__jname_parse(names[i], &no))
            (*nos)[k++] = no;
        free(names[i]);
    }
    free(names);
    qsort(*nos, k, sizeof(**nos), cmp_u32);
    *n = k;
    return 0;
}

static int open_check(const rtr_journal_opts_t *o, const char *dir)
{
    if (!dir || !*dir)
        return SIM_EUSAGE;
    if (strlen(dir) > 4000)
        return -ENAMETOOLONG;
    if (o->segment_size &&
        (o->segment_size < RTR_JOURNAL_SEGMENT_MIN || o->segment_size > RTR_JOURNAL_SEGMENT_MAX))
        return SIM_EUSAGE;
    if (o->max_record > RTR_JOURNAL_RECORD_MAX)
        return SIM_EUSAGE;
    return 0;
}

int rtr_journal_open(rtr_journal_t **jp, const char *dir, const rtr_journal_opts_t *opts,
                     rtr_journal_report_t *report)
{
    static const rtr_journal_opts_t defaults;
    rtr_journal_report_t            scratch, *rep = report ? report : &scratch;
    const rtr_journal_opts_t       *o = opts ? opts : &defaults;
    rtr_journal_t                  *j;
    uint32_t                       *nos = NULL;
    size_t                          n = 0;
    int                             rc;

    *jp = NULL;
    memset(rep, 0, sizeof(*rep));
    if ((rc = open_check(o, dir)) < 0)
        goto out_report;
    j = sim_xcalloc(1, sizeof(*j));
    j->dir = sim_xstrdup(dir);
    for (size_t k = strlen(j->dir); k > 1 && j->dir[k - 1] == '/'; k--)
        j->dir[k - 1] = '\0'; /* "dir/" names its files "dir/NNNNNNNN.jnl" */
    j->io = o->io ? o->io : rtr_jio_posix();
    j->seg_size = o->segment_size ? o->segment_size : RTR_JOURNAL_SEGMENT_DEFAULT;
    j->max_record = o->max_record ? o->max_record : RTR_JOURNAL_RECORD_MAX;
    j->prealloc = o->prealloc;
    j->read_only = o->read_only;
    j->lock_fd = -1;
    j->fill = &j->batch[0];

    if (!j->read_only) {
        if ((rc = rtr__jmkdirs(j->io, dir)) < 0 || (rc = open_lock(j)) < 0)
            goto fail;
    }
    if ((rc = list_segments(j, &nos, &n)) < 0)
        goto fail;

    for (size_t i = 0; i < n; i++) {
        rtr__jrecover_t r = {.rep = rep};
        rtr__jcheck_t   ck;
        rtr__jseg_t    *s;
        char            path[4096];
        int             fd;

        fd = j->io->open(j->io->ud, rtr__jpath(j->dir, nos[i], path, sizeof(path)),
                         j->read_only ? RTR_JIO_RDONLY : RTR_JIO_RDWR);
        if (fd < 0) {
            rc = fd;
            goto fail;
        }
        rc = rtr__jcheck_segment(j->io, fd, nos[i], 0, recover_visit, &r, &ck);
        if (rc < 0) {
            free(r.deps);
            j->io->close(j->io->ud, fd);
            goto fail;
        }
        rep->segs = sim_xrealloc(rep->segs, (rep->n_segs + 1) * sizeof(*rep->segs));
        rep->segs[rep->n_segs++] = (rtr_journal_seginfo_t){
            .segment = nos[i], .file_bytes = ck.file_bytes, .data_end = ck.data_end,
            .records = ck.records, .prealloc = ck.prealloc};
        rep->records += ck.records;
        rep->record_bytes += ck.record_bytes;
        if (ck.why) {
            bool applied = false;
            if (!j->read_only) {
                if ((rc = recover_cut(j, nos[i], &fd, &ck, i + 1 == n)) < 0) {
                    free(r.deps);
                    if (fd >= 0)
                        j->io->close(j->io->ud, fd);
                    goto fail;
                }
                applied = true;
            }
            report_cut(rep, nos[i], ck.data_end, ck.file_bytes - ck.data_end, ck.why, applied);
            if (ck.why == RTR_JCUT_HEADER) {
                free(r.deps);
                if (fd >= 0)
                    j->io->close(j->io->ud, fd);
                continue; /* the file is gone (or would be) */
            }
        }
        s = rtr__jseg_push(j, nos[i]);
        s->fd = fd;
        s->on_disk = s->created = true;
        s->prealloc = ck.prealloc;
        s->written = s->end = ck.data_end;
        s->records = ck.records;
        s->live = r.live;
        if (r.last > j->durable)
            j->durable = r.last; /* what was found on disk is durable */
        for (uint32_t k = 0; k < r.n_deps; k++)
            rtr__jseg_dep(s, r.deps[k]);
        free(r.deps);
    }
    free(nos);
    nos = NULL;

    /* A cut is the torn tail of a crash when no later segment holds a good
     * record; otherwise records acknowledged once were lost. */
    for (size_t c = 0; c < rep->n_cuts; c++) {
        rep->cuts[c].last = true;
        for (uint32_t k = 0; k < j->n_segs; k++)
            if (j->segs[k].no > rep->cuts[c].segment && j->segs[k].records > 0)
                rep->cuts[c].last = false;
    }
    for (uint32_t k = 0; k < j->n_segs; k++)
        j->st.live += j->segs[k].live;
    j->gc_dirty = true;
    *jp = j;
    if (!report)
        rtr_journal_report_destroy(&scratch);
    return 0;

fail:
    free(nos);
    rtr__jfree(j);
out_report:
    if (!report)
        rtr_journal_report_destroy(&scratch);
    return rc;
}

/* ---- replay ---------------------------------------------------------------------- */

typedef struct rtr__jreplay {
    rtr_journal_scan_cb cb;
    void               *ud;
} rtr__jreplay_t;

static int replay_visit(void *ud, uint32_t seg, const rtr_journal_rec_t *rec)
{
    rtr__jreplay_t *r = ud;
    (void)seg;
    if (rec->type > RTR_JREC_KNOWN_MAX)
        return 0;
    return r->cb(r->ud, rec);
}

int rtr_journal_scan(rtr_journal_t *j, rtr_journal_scan_cb cb, void *ud)
{
    rtr__jreplay_t r = {cb, ud};

    if (j->inflight)
        return -EBUSY;
    for (uint32_t i = 0; i < j->n_segs; i++) {
        rtr__jseg_t  *s = &j->segs[i];
        rtr__jcheck_t ck;
        int           rc;

        if (!s->on_disk || s->written <= RTR__JSEG_HDR)
            continue;
        rc = rtr__jcheck_segment(j->io, s->fd, s->no, s->written, replay_visit, &r, &ck);
        if (rc != 0)
            return rc;
        if (ck.why || ck.data_end != s->written)
            return -EBADMSG; /* changed on disk since it was checked */
    }
    return 0;
}

/* ---- reading forward from a record ----------------------------------------- */

int rtr_journal_scan_from(rtr_journal_t *j, rtr_jid_t from, rtr_journal_scan_cb cb, void *ud)
{
    for (uint32_t i = 0; i < j->n_segs; i++) {
        rtr__jseg_t *s = &j->segs[i];
        rtr__jwin_t  w;
        uint64_t     pos;
        int          rc = 0;

        if (s->no < RTR_JID_SEG(from) || !s->on_disk || s->written <= RTR__JSEG_HDR || s->fd < 0)
            continue;
        pos = (s->no == RTR_JID_SEG(from) && RTR_JID_OFF(from) > RTR__JSEG_HDR)
                  ? RTR_JID_OFF(from)
                  : RTR__JSEG_HDR;
        memset(&w, 0, sizeof(w));
        w.io = j->io;
        w.fd = s->fd;
        w.end = s->written; /* what a batch in flight writes lies beyond it */
        w.cap = RTR__JCHUNK;
        w.buf = sim_xmalloc(w.cap);
        while (pos + RTR__JREC_HDR <= w.end) {
            const unsigned char *h = win_get(&w, pos, RTR__JREC_HDR, &rc);
            rtr_journal_rec_t    rec;
            uint32_t             len, crc;
            if (!h) {
                rc = rc < 0 ? rc : -EBADMSG;
                break;
            }
            len = rtr__get32(h);
            crc = rtr__get32(h + 4);
            rec.type = h[8];
            rec.ref = rtr__get64(h + 9);
            if (rec.type == 0 || len > RTR_JOURNAL_RECORD_MAX ||
                len > w.end - pos - RTR__JREC_HDR) {
                rc = -EBADMSG;
                break;
            }
            h = win_get(&w, pos, RTR__JREC_HDR + len, &rc);
            if (!h || rtr__jrec_crc(h, h + RTR__JREC_HDR, len) != crc) {
                rc = rc < 0 ? rc : -EBADMSG;
                break;
            }
            rec.id = RTR_JID(s->no, pos);
            rec.payload = h + RTR__JREC_HDR;
            rec.len = len;
            pos += RTR__JREC_HDR + len;
            if (rec.type <= RTR_JREC_KNOWN_MAX && (rc = cb(ud, &rec)) != 0)
                break;
        }
        free(w.buf);
        if (rc != 0)
            return rc;
    }
    return 0;
}

rtr_jid_t rtr_journal_next_id(const rtr_journal_rec_t *rec)
{
    return RTR_JID(RTR_JID_SEG(rec->id), RTR_JID_OFF(rec->id) + RTR__JREC_HDR + rec->len);
}
