/*
 * rtr_journal_int.h - what the journal's files share and nothing outside
 * router/ includes: the on-disk layout constants (JOURNAL.md), little-endian
 * and CRC helpers, the journal and batch structs, and the cross-file rtr__j*
 * functions of rtr_journal_io.c (the flush I/O, the POSIX layer, paths) and
 * rtr_journal_scan.c (checking a segment file).
 */
#ifndef RTR_JOURNAL_INT_H
#define RTR_JOURNAL_INT_H

#include "rtr_journal.h"

#include <isa-l/crc.h>

/* Segment header: magic, u16 version, u16 header size, u32 segment number,
 * u32 flags, 12 reserved zero bytes, u32 CRC-32C of the first 28 bytes. */
#define RTR__JSEG_MAGIC "CSJ1"
#define RTR__JSEG_VERSION 1u
#define RTR__JSEG_HDR 32u
#define RTR__JSEG_PREALLOC 1u /* flags: created fallocated to the segment size */

/* Record header: u32 payload length, u32 CRC-32C, u8 type, u64 ref. The CRC
 * covers the record without its own field: bytes [0,4) and [8, 17 + len). */
#define RTR__JREC_HDR 17u

#define RTR__JNAME_LEN 12u /* "NNNNNNNN.jnl" */
#define RTR__JLOCK_NAME "LOCK"

static inline void rtr__put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static inline void rtr__put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline void rtr__put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint16_t rtr__get16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t rtr__get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t rtr__get64(const unsigned char *p)
{
    return (uint64_t)rtr__get32(p) | (uint64_t)rtr__get32(p + 4) << 32;
}

/* CRC-32C (Castagnoli) in pieces: state = rtr__jcrc_init(), then _add for
 * each piece, then _final. The result is the standard CRC-32C (check value
 * 0xE3069283 for "123456789"), computed by ISA-L with the CPU's CRC32
 * instruction where there is one. */
static inline uint32_t rtr__jcrc_init(void)
{
    return 0xffffffffu;
}

static inline uint32_t rtr__jcrc_add(uint32_t state, const void *p, size_t n)
{
    /* ISA-L takes a non-const pointer and an int length; it only reads. */
    while (n > 0) {
        size_t piece = n > (1u << 30) ? (1u << 30) : n;
        state = crc32_iscsi((unsigned char *)(uintptr_t)p, (int)piece, state);
        p = (const char *)p + piece;
        n -= piece;
    }
    return state;
}

static inline uint32_t rtr__jcrc_final(uint32_t state)
{
    return ~state;
}

/* The CRC of a record whose 17 header bytes are hdr and payload p[0..len). */
static inline uint32_t rtr__jrec_crc(const unsigned char *hdr, const void *p, size_t len)
{
    uint32_t s = rtr__jcrc_init();
    s = rtr__jcrc_add(s, hdr, 4);
    s = rtr__jcrc_add(s, hdr + 8, RTR__JREC_HDR - 8);
    s = rtr__jcrc_add(s, p, len);
    return rtr__jcrc_final(s);
}

/* A segment the journal knows of. */
typedef struct rtr__jseg {
    uint32_t  no;
    int       fd;        /* -1 until opened */
    bool      on_disk;   /* the file exists (found at open or created by a completed batch) */
    bool      created;   /* its creation is in a batch (filled, in flight or done) */
    bool      removing;  /* in the removal list of the batch in flight */
    bool      prealloc;  /* created fallocated: zeros after the data are its clean end */
    uint64_t  written;   /* end of the data written and synced */
    uint64_t  end;       /* end of the data appended (>= written) */
    uint64_t  records;   /* records in it (good ones found at open, then appended) */
    uint64_t  live;      /* ACCEPT records not yet released */
    uint32_t *deps;      /* distinct earlier segments its records refer to, ascending */
    uint32_t  n_deps, cap_deps;
} rtr__jseg_t;

/* One contiguous piece of a batch: buf[from, to) goes to segment seg at off. */
typedef struct rtr__jext {
    uint32_t seg;
    uint64_t off;
    size_t   from, to;
    int      fd;     /* -1: flush_io creates the file and puts its fd here */
    bool     create; /* the piece starts with the segment header */
} rtr__jext_t;

struct rtr_journal_batch {
    /* Set by flush_begin; read-only while in flight. */
    const rtr_jio_t *io;
    const char      *dir;
    uint64_t         seg_size;
    bool             prealloc;
    unsigned char   *buf;
    size_t           len, cap;
    rtr__jext_t     *ext;
    uint32_t         n_ext, cap_ext;
    uint32_t        *unlink; /* segments to remove */
    int             *unlink_fd; /* their open files, closed by flush_io once
                                   removed (-1 after): closing the last
                                   reference to a big removed file frees its
                                   pages, which can take tens of ms */
    uint32_t         n_unlink, cap_unlink;
    rtr_jid_t        last;    /* id of its last record, 0 if none */
    uint64_t         records; /* records in it */
    /* Results of flush_io. */
    int      status;
    bool     io_done;
    uint64_t writes, write_bytes, fdatasyncs, dir_fsyncs, created;
};

struct rtr_journal {
    char             *dir;
    const rtr_jio_t  *io;
    uint64_t          seg_size;
    uint32_t          max_record;
    bool              prealloc;
    bool              read_only;
    int               lock_fd;
    rtr__jseg_t      *segs; /* ascending by number; the last one is the current one */
    uint32_t          n_segs, cap_segs;
    rtr_journal_batch_t batch[2];
    rtr_journal_batch_t *fill;     /* receives appends */
    rtr_journal_batch_t *inflight; /* between flush_begin and flush_end, or NULL */
    rtr_jid_t         durable;
    int               err;         /* sticky failure of a flush */
    bool              gc_dirty;    /* a segment may have become removable */
    rtr_journal_stats_t st;
};

/* rtr_journal.c */
/* Append segment no (greater than every other) to j's table; returns it. */
rtr__jseg_t *rtr__jseg_push(rtr_journal_t *j, uint32_t no);
/* Note that segment s holds a record referring to segment dep (< s->no). */
void rtr__jseg_dep(rtr__jseg_t *s, uint32_t dep);
/* Close every file and free j. */
void rtr__jfree(rtr_journal_t *j);

/* rtr_journal_io.c */
/* The path of segment no (or of the lock file when no is 0) in dir, into
 * buf[0..cap); returns buf. */
char *rtr__jpath(const char *dir, uint32_t no, char *buf, size_t cap);
/* 1 and the number when name is exactly "NNNNNNNN.jnl" with NNNNNNNN > 0. */
bool rtr__jname_parse(const char *name, uint32_t *no);
/* mkdir -p through io. */
int rtr__jmkdirs(const rtr_jio_t *io, const char *dir);
/* pwrite / pread of exactly len bytes, looping on short counts. A pread that
 * meets the end of the file returns the bytes read (>= 0). */
int rtr__jwrite_all(const rtr_jio_t *io, int fd, const void *buf, size_t len, uint64_t off);
ssize_t rtr__jread_full(const rtr_jio_t *io, int fd, void *buf, size_t len, uint64_t off);
/* The 32 bytes of the header of segment no. */
void rtr__jseg_header(unsigned char *out, uint32_t no, bool prealloc);

/* rtr_journal_scan.c */
/* What checking one segment file found. */
typedef struct rtr__jcheck {
    uint64_t file_bytes;
    uint64_t data_end; /* end of the last good record (0 with a bad header) */
    uint64_t records;
    uint64_t record_bytes;
    int      why;      /* 0: clean to the end, else RTR_JCUT_* at data_end */
    bool     prealloc;
} rtr__jcheck_t;

/* Called for each good record; rec->payload is valid during the call. A
 * non-zero return stops the check and is returned. */
typedef int (*rtr__jvisit_cb)(void *ud, uint32_t seg, const rtr_journal_rec_t *rec);

/* rtr__jcheck_segment - read segment no through fd from the start, verify
 * its header and every record, stop at the end of the file, at the clean end
 * of a preallocated segment or at the first bad record (out->why). Reads
 * nothing past 'limit' when it is not 0 (the end of the data known to be
 * written). Returns 0 (also when the segment is bad: see out), the visitor's
 * value, or an I/O error (-errno), or SIM_EVERSION. */
int rtr__jcheck_segment(const rtr_jio_t *io, int fd, uint32_t no, uint64_t limit,
                        rtr__jvisit_cb visit, void *ud, rtr__jcheck_t *out);

#endif
