/*
 * rtr_journal.h - the router's store-and-forward journal.
 *
 * A router takes custody of a cable only once the cable is in its journal,
 * and gives custody up only when every copy it owes has been passed on. The
 * journal is the durable record of that: an append-only sequence of records
 * in segment files DIR/NNNNNNNN.jnl (format: router/JOURNAL.md), written with
 * group commit (one write and one fdatasync per batch, a batch being every
 * record appended during one turn of the daemon's loop).
 *
 * The journal is plain POSIX, no event loop. Every file operation goes through
 * an I/O layer (rtr_jio_t), real POSIX by default, which tests replace with a
 * power-loss simulator. The daemon drives it like this, once per loop turn:
 *
 *     rtr_journal_append(...)           loop thread, any number of times
 *     rtr_journal_flush_begin(j, &b)    loop thread: b is the batch to write
 *     rtr_journal_flush_io(b)           any thread (a libuv worker): write, fdatasync
 *     rtr_journal_flush_end(j, b, &d)   loop thread: records with id <= d are durable
 *
 * and keeps appending (into a second buffer) while flush_io runs. Only the
 * loop thread may call anything but rtr_journal_flush_io, and at most one batch
 * is in flight at a time. Appends are not durable until a flush_end reports
 * them so; the router acknowledges a cable to its sender only then.
 *
 * Error codes: 0 or negative; -errno of the failed system call passes through,
 * project codes are those of sim.h. A failed write or fdatasync is sticky:
 * the page cache's state is then unknown, so every later call returns the same
 * error and the owner must close the journal and open it again (recovery).
 * No call asserts on what it reads from disk: bad bytes are reported, cut off
 * or skipped, never trusted.
 */
#ifndef RTR_JOURNAL_H
#define RTR_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sim.h"

/* ---- record ids ------------------------------------------------------------
 * A record's id is where it starts: its segment number in the high 32 bits and
 * its byte offset in the segment file in the low 32. Ids grow in append order,
 * so they compare like positions in the journal. 0 is never a record's id (the
 * segment header comes first), and means "none" wherever an id is optional. */
typedef uint64_t rtr_jid_t;

#define RTR_JID(seg, off) (((rtr_jid_t)(seg) << 32) | (rtr_jid_t)(uint32_t)(off))
#define RTR_JID_SEG(id) ((uint32_t)((id) >> 32))
#define RTR_JID_OFF(id) ((uint32_t)((id) & 0xffffffffu))

/* ---- record types ----------------------------------------------------------
 * The journal does not read payloads; the type decides how long a record must
 * stay on disk:
 *   - an ACCEPT is held until the router calls rtr_journal_release() on it;
 *   - a record with a ref (DELIVERED, DROPPED) is kept as long as the segment
 *     holding the record it refers to is on disk;
 *   - anything else holds nothing.
 * Types 1..RTR_JREC_KNOWN_MAX are known to this build. Other non-zero types
 * are carried, counted in the open report and skipped by rtr_journal_scan, so
 * that a newer router's journal opens in an older one. Type 0 is never
 * written (an all-zero header marks the end of a preallocated segment). */
enum rtr_jrec_type {
    RTR_JREC_ACCEPT = 1,    /* a cable taken into custody */
    RTR_JREC_DELIVERED = 2, /* custody of one (cable, link) copy passed on; ref = the ACCEPT */
    RTR_JREC_DROPPED = 3,   /* custody of one copy ended without a delivery
                               (undeliverable, cancelled); ref = the ACCEPT */
    RTR_JREC_KNOWN_MAX = 3,
};

/* ---- payload convention (for `cablesim journal`) ----------------------------
 * The payloads are the router's own msgpack, whose full schema the router
 * defines. So that tools can show what a journal holds without knowing it,
 * every payload of a known type is one msgpack map (string keys, any order,
 * more keys allowed) that contains at least:
 *   ACCEPT:            "id"    str   the cable's identity, e.g.
 *                                    "RUCNDT#0352/01 071302Z MAY 07"
 *                      "prec"  str   precedence letter: Y (EMERGENCY COMMAND),
 *                                    Z (FLASH), O (IMMEDIATE), P, R
 *                      "links" array of str: the outgoing links (or addressees)
 *                                    the router owes a copy to, one copy each
 *   DELIVERED/DROPPED: "ref"   uint  the ACCEPT's record id (as in the header)
 *                      "link"  str   which of the ACCEPT's links it settles
 * Writers should put these keys first. A copy is pending while its ACCEPT is
 * on disk and no DELIVERED or DROPPED with that (ref, link) is. */
#define RTR_JKEY_ID "id"
#define RTR_JKEY_PREC "prec"
#define RTR_JKEY_LINKS "links"
#define RTR_JKEY_REF "ref"
#define RTR_JKEY_LINK "link"

/* ---- limits ---------------------------------------------------------------- */
#define RTR_JOURNAL_SEGMENT_DEFAULT (UINT64_C(64) << 20) /* roll over to a new segment past it */
#define RTR_JOURNAL_SEGMENT_MIN UINT64_C(1024)
#define RTR_JOURNAL_SEGMENT_MAX (UINT64_C(1) << 30)
#define RTR_JOURNAL_RECORD_MAX (UINT32_C(32) << 20) /* largest payload, also the sane
                                                       maximum recovery accepts */
#define RTR_JOURNAL_SEGMENT_NO_MAX UINT32_C(99999999) /* 8 digits in the file name */

/* ---- the I/O layer -----------------------------------------------------------
 * Every file operation of the journal, so that a test can stand in for the
 * file system. Each returns >= 0 on success or -errno; none may keep a pointer
 * it was given. 'ud' is passed back to every call. Paths are the journal
 * folder or files directly in it. The functions used by rtr_journal_flush_io
 * (open, fallocate, pwrite, fdatasync, fsync_dir, unlink) must be callable
 * from another thread than the others (never concurrently on the same fd). */
enum {
    RTR_JIO_RDONLY = 0,
    RTR_JIO_RDWR = 1,
    RTR_JIO_CREATE = 2 | RTR_JIO_RDWR, /* create; fail with -EEXIST if it exists */
    RTR_JIO_OPEN_ALWAYS = 4 | RTR_JIO_RDWR, /* create if missing */
};

typedef struct rtr_jio {
    void *ud;
    /* mkdir - one folder level (parents exist). 0, -EEXIST or -errno. */
    int (*mkdir)(void *ud, const char *path);
    /* list - the names in a folder: *names returned owned (free each name and
     * the array with free()), *n of them. */
    int (*list)(void *ud, const char *dir, char ***names, size_t *n);
    /* open - a file with RTR_JIO_* flags (mode 0644 when created); the fd. */
    int (*open)(void *ud, const char *path, int flags);
    /* lock - take an exclusive advisory lock on fd without waiting:
     * 0, -EWOULDBLOCK when another process holds it. Released by close. */
    int (*lock)(void *ud, int fd);
    int (*size)(void *ud, int fd, uint64_t *size);
    ssize_t (*pread)(void *ud, int fd, void *buf, size_t len, uint64_t off);
    ssize_t (*pwrite)(void *ud, int fd, const void *buf, size_t len, uint64_t off);
    int (*fdatasync)(void *ud, int fd);
    /* fallocate - allocate [off, off+len) as zeros, growing the file size:
     * 0, or -EOPNOTSUPP when the file system cannot (the journal goes on). */
    int (*fallocate)(void *ud, int fd, uint64_t off, uint64_t len);
    int (*ftruncate)(void *ud, int fd, uint64_t len);
    int (*unlink)(void *ud, const char *path);
    /* fsync_dir - make the creation and removal of names in dir durable. */
    int (*fsync_dir)(void *ud, const char *dir);
    int (*close)(void *ud, int fd);
} rtr_jio_t;

/* rtr_jio_posix - the real file system. Returns borrowed (static). */
const rtr_jio_t *rtr_jio_posix(void);

/* ---- opening and recovery ------------------------------------------------- */
typedef struct rtr_journal_opts {
    uint64_t         segment_size; /* 0: RTR_JOURNAL_SEGMENT_DEFAULT; MIN..MAX */
    uint32_t         max_record;   /* largest payload to append; 0: RTR_JOURNAL_RECORD_MAX */
    bool             prealloc;     /* fallocate new segments to segment_size (see JOURNAL.md) */
    bool             read_only;    /* inspect only: nothing is created, cut or locked */
    const rtr_jio_t *io;           /* borrowed, outlives the journal; NULL: rtr_jio_posix() */
} rtr_journal_opts_t;

/* Why recovery cut a segment. */
enum rtr_jcut_why {
    RTR_JCUT_HEADER = 1, /* segment header short, wrong magic, CRC or number: whole file */
    RTR_JCUT_SHORT,      /* fewer bytes left than a record header */
    RTR_JCUT_LENGTH,     /* record length past the end of the file or over the maximum */
    RTR_JCUT_CRC,        /* CRC mismatch */
    RTR_JCUT_TYPE,       /* type 0 in a header that is not all zeros */
    RTR_JCUT_ZERO,       /* zeros where a record should start, then non-zero bytes, or
                            a zero-filled tail in a segment that was not preallocated */
};

/* rtr_journal_cut_str - a short English phrase for an RTR_JCUT_* value. */
const char *rtr_journal_cut_str(int why);

typedef struct rtr_journal_cut {
    uint32_t segment;
    uint64_t offset;  /* the segment keeps bytes [0, offset) (0: the file is removed) */
    uint64_t bytes;   /* bytes cut off */
    int      why;     /* RTR_JCUT_* */
    bool     last;    /* in the newest segment: a torn tail after a crash. Otherwise the
                         bytes were acknowledged once and are lost: corruption */
    bool     applied; /* the file was cut (false in read-only mode) */
} rtr_journal_cut_t;

typedef struct rtr_journal_seginfo {
    uint32_t segment;
    uint64_t file_bytes; /* size of the file as found */
    uint64_t data_end;   /* end of its good records */
    uint64_t records;    /* good records */
    bool     prealloc;   /* created preallocated */
} rtr_journal_seginfo_t;

typedef struct rtr_journal_report {
    rtr_journal_seginfo_t *segs; /* in segment order; owned */
    size_t                 n_segs;
    rtr_journal_cut_t     *cuts; /* owned */
    size_t                 n_cuts;
    uint64_t               records;      /* good records in all segments */
    uint64_t               record_bytes; /* their size, headers included */
    uint64_t               by_type[256]; /* good records per type */
    uint64_t               unknown;      /* good records of types unknown to this build */
} rtr_journal_report_t;

/* rtr_journal_report_destroy - free what a report owns. Borrows r; r may be
 * all zeros. */
void rtr_journal_report_destroy(rtr_journal_report_t *r);

typedef struct rtr_journal rtr_journal_t;

/* rtr_journal_open - open (creating it and its parents when missing) the
 * journal in folder dir, and recover it: check every segment in order,
 * verifying each record's length and CRC; cut a segment at its first bad
 * record (a torn tail, or corruption: see JOURNAL.md) and make the cut
 * durable; remove segment files whose header is bad. Every cut is listed in
 * *report (when not NULL: it is filled in, also on failure, and the caller
 * destroys it). With opts->read_only nothing is created, changed or locked:
 * cuts are reported as what recovery would do.
 * Borrows dir and opts (opts may be NULL: defaults). On 0, *jp is returned
 * owned (rtr_journal_close). Fails with -errno (-EACCES, -ENOTDIR, -ENOENT in
 * read-only mode...), -EBUSY when another process has the journal open,
 * SIM_EVERSION for a segment of a newer format, SIM_EUSAGE for bad opts. */
int rtr_journal_open(rtr_journal_t **jp, const char *dir, const rtr_journal_opts_t *opts,
                     rtr_journal_report_t *report);

/* rtr_journal_close - close the files and free j (taken). Records appended and
 * not flushed are dropped: they were never reported durable. No batch may be
 * in flight. */
void rtr_journal_close(rtr_journal_t *j);

/* ---- replay ------------------------------------------------------------------ */
typedef struct rtr_journal_rec {
    rtr_jid_t   id;
    rtr_jid_t   ref;     /* 0: none */
    uint8_t     type;
    const void *payload; /* borrowed, valid during the callback */
    uint32_t    len;
} rtr_journal_rec_t;

/* Returns 0 to go on; anything else stops the scan, which returns it. */
typedef int (*rtr_journal_scan_cb)(void *ud, const rtr_journal_rec_t *rec);

/* rtr_journal_scan - call cb for every good record of a known type written to
 * the segments, in id order (right after open: everything recovered; the
 * router rebuilds its queues from ACCEPTs minus DELIVEREDs, then releases the
 * ACCEPTs with nothing left to deliver). A ref may point at a record that is
 * no longer on disk (its segment was removed, or cut as corrupt): the router
 * ignores such records. Borrows j. Returns 0, cb's non-zero value, -EBUSY
 * while a batch is in flight, or an I/O error (-errno, -EBADMSG when a record
 * no longer matches its CRC). */
int rtr_journal_scan(rtr_journal_t *j, rtr_journal_scan_cb cb, void *ud);

/* rtr_journal_scan_from - like rtr_journal_scan, from record 'from' (or the
 * first record after it) on, over what is already written: allowed while a
 * batch is in flight (which writes beyond it). For a queue that keeps only a
 * cursor for the cables beyond its RAM budget and reads them back in order.
 * Returns 0, cb's non-zero value, -EBADMSG or -errno. */
int rtr_journal_scan_from(rtr_journal_t *j, rtr_jid_t from, rtr_journal_scan_cb cb, void *ud);
/* Where the record after 'rec' starts (a cursor for rtr_journal_scan_from). */
rtr_jid_t rtr_journal_next_id(const rtr_journal_rec_t *rec);

/* ---- appending and group commit ------------------------------------------- */

/* rtr_journal_append - copy a record (type, ref, payload[0..len), borrowed)
 * into the batch being filled and return its id in *id. Not durable until a
 * flush_end says so. ref is 0 or the id of an earlier record this one refers
 * to. Returns 0, -EINVAL for type 0, SIM_ETOOBIG over opts.max_record, -EROFS
 * in read-only mode, SIM_EFULL past the last segment number, or the sticky
 * error of a failed flush. */
int rtr_journal_append(rtr_journal_t *j, int type, rtr_jid_t ref, const void *payload,
                       size_t len, rtr_jid_t *id);

/* A piece of a record's payload, for rtr_journal_appendv. */
typedef struct rtr_journal_piece {
    const void *p;
    size_t      len;
} rtr_journal_piece_t;

/* rtr_journal_appendv - rtr_journal_append of the payload made of n pieces
 * (borrowed) one after the other: a record whose bulk is elsewhere (the
 * cable bytes of an ACCEPT) is copied once, straight into the batch. */
int rtr_journal_appendv(rtr_journal_t *j, int type, rtr_jid_t ref,
                        const rtr_journal_piece_t *pieces, unsigned n, rtr_jid_t *id);

typedef struct rtr_journal_batch rtr_journal_batch_t;

/* rtr_journal_flush_begin - hand over what was appended since the last flush,
 * with the removal of segments no longer needed, as a batch (*batch returned
 * borrowed, valid until flush_end; NULL when there is nothing to do). Later
 * appends go to the other buffer. Returns 0, -EBUSY when a batch is already in
 * flight, or the sticky error. */
int rtr_journal_flush_begin(rtr_journal_t *j, rtr_journal_batch_t **batch);

/* rtr_journal_flush_io - the slow part, on any thread: create the segment the
 * batch starts (when it does), write the batch with one pwrite per segment
 * touched (normally one), fdatasync each file written, fsync the folder after
 * creating a file, then unlink the segments to remove and fsync the folder
 * again. Touches only the batch (borrowed). Returns 0 or the first error
 * (-errno), which flush_end reports too. */
int rtr_journal_flush_io(rtr_journal_batch_t *batch);

/* rtr_journal_flush_end - back on the loop thread after flush_io: *durable_upto
 * (when not NULL) is set to the id of the last durable record (0 if none
 * yet); every record with an id <= it is on disk. On error nothing of the
 * batch is reported durable and the error becomes sticky. Borrows j; the
 * batch is j's again. Returns 0 or the error. */
int rtr_journal_flush_end(rtr_journal_t *j, rtr_journal_batch_t *batch, rtr_jid_t *durable_upto);

/* rtr_journal_sync - flush_begin + flush_io + flush_end on the calling thread,
 * for tools and tests. Same returns as flush_end. */
int rtr_journal_sync(rtr_journal_t *j, rtr_jid_t *durable_upto);

/* rtr_journal_durable - the id of the last durable record, 0 if none. */
rtr_jid_t rtr_journal_durable(const rtr_journal_t *j);

/* ---- custody and segment removal ------------------------------------------ */

/* rtr_journal_release - the custody of ACCEPT record id is over (every copy
 * DELIVERED or DROPPED). A segment that is not the current one, has no ACCEPT
 * left unreleased and is no longer needed by the records it holds (their refs
 * point only at removed segments) is unlinked by the next flush. Call it once
 * per ACCEPT, also after recovery for accepts found fully delivered (the
 * journal counts unreleased ACCEPTs per segment, so a second release of one
 * id goes unnoticed while its segment still holds others). Returns 0, -EROFS
 * in read-only mode, or -EINVAL when id's segment holds no unreleased ACCEPT
 * (or id is not in the journal). */
int rtr_journal_release(rtr_journal_t *j, rtr_jid_t id);

/* ---- reading back ------------------------------------------------------------- */

/* rtr_journal_read - copy the payload of record id into buf[0..cap) and its
 * length into *len (so that a queue can keep only ids in RAM and read a cable
 * back when it is its turn); works for records not yet flushed too. Borrows
 * everything. Returns 0; SIM_ETOOBIG with *len set when cap is too small;
 * -EINVAL when id is not in the journal; -EBADMSG when the bytes there fail
 * their CRC (not a record start, or corrupted since); -errno. */
int rtr_journal_read(rtr_journal_t *j, rtr_jid_t id, void *buf, size_t cap, size_t *len);

/* ---- statistics ------------------------------------------------------------- */
typedef struct rtr_journal_stats {
    uint64_t  appends;          /* records appended since open */
    uint64_t  append_bytes;     /* their size, headers included */
    uint64_t  batches;          /* flushes that did I/O */
    uint64_t  writes;           /* pwrite calls */
    uint64_t  write_bytes;      /* bytes written by them */
    uint64_t  fdatasyncs;       /* fdatasync calls (the cost of group commit) */
    uint64_t  dir_fsyncs;       /* fsyncs of the folder */
    uint64_t  segments_created; /* since open */
    uint64_t  segments_removed; /* since open */
    uint32_t  segments;         /* segment files now */
    uint32_t  current_segment;  /* the one appended to */
    uint64_t  live;             /* unreleased ACCEPT records */
    rtr_jid_t durable;          /* the last durable record */
} rtr_journal_stats_t;

/* rtr_journal_stats - counters since open into *st. Borrows j. */
void rtr_journal_stats(const rtr_journal_t *j, rtr_journal_stats_t *st);

#endif
