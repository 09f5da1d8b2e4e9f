/*
 * sim.h - base helpers shared by every layer of cablesim.
 *
 * Allocation wrappers that abort on exhaustion (nobody checks for NULL),
 * the project's error codes, a bump arena that owns everything parsed out of
 * one cable, byte spans, and the sanity-check panic used for our own bugs.
 * Nothing here logs; nothing here touches the event loop.
 */
#ifndef SIM_H
#define SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

/* Error codes: 0 success, negative failure. System errors pass through as
 * -errno; the project's own codes start at -30001. */
enum {
    SIM_EPARSE   = -30001, /* input does not follow its format */
    SIM_EFULL    = -30002, /* a bounded container is full */
    SIM_ENOROUTE = -30003, /* no route for a routing indicator */
    SIM_ETOOBIG  = -30004, /* input exceeds a configured limit */
    SIM_EVERSION = -30005, /* unknown schema or protocol version */
    SIM_ETYPE    = -30006, /* a value of the wrong type */
    SIM_EIO      = -30007, /* an I/O failure without errno */
    SIM_EUSAGE   = -30008, /* bad arguments */
};

/* sim_strerror - a short English text for a code from this project or errno. */
const char *sim_strerror(int code);

/* sim_panic - report one of our own bugs (never bad input) and abort. */
_Noreturn void sim_panic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#define SIM_CONTAINER_OF(p, T, m) ((T *)(void *)((char *)(p) - offsetof(T, m)))
#define SIM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SIM_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SIM_MAX(a, b) ((a) > (b) ? (a) : (b))

void *sim_xmalloc(size_t n);
void *sim_xcalloc(size_t n, size_t size);
void *sim_xrealloc(void *p, size_t n);
char *sim_xstrdup(const char *s);
char *sim_xstrndup(const char *s, size_t n);

/* sim_buf_alloc - n bytes (never NULL) for a buffer that is freed soon and
 * often, as a queued copy of a cable waits for its acknowledgement: taken
 * from a per-thread cache of freed buffers of its size class (powers of two
 * from 256 bytes to 16 KiB; larger ones come from malloc), so that routing
 * a cable costs no malloc/free. Release only with sim_buf_free (NULL is
 * ignored), from any thread. The cache keeps at most 4 MiB per class and
 * thread, and is freed when its thread ends. */
void *sim_buf_alloc(size_t n);
void  sim_buf_free(void *p);
/* sim_buf_free_n - sim_buf_free of p, allocated with n bytes: the size says
 * its class, so the buffer itself (long since out of the cache, as a sent
 * cable waiting for its acknowledgement is) is not read. Builds with
 * assertions check n against the buffer. */
void sim_buf_free_n(void *p, size_t n);

/* A byte span: borrowed pointer + length. Not NUL-terminated. An absent
 * field is the empty span {NULL, 0}. */
typedef struct sim_span {
    const char *p;
    uint32_t    len;
} sim_span_t;

#define SIM_SPAN_NULL ((sim_span_t){NULL, 0})

static inline sim_span_t sim_span(const char *p, size_t len)
{
    sim_span_t s = {p, (uint32_t)len};
    return s;
}

static inline sim_span_t sim_span_str(const char *s)
{
    return sim_span(s, strlen(s));
}

static inline bool sim_span_eq(sim_span_t a, sim_span_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline bool sim_span_eq_str(sim_span_t a, const char *s)
{
    size_t n;
    if (a.len && a.p[0] != s[0]) /* most mismatches end here, before strlen */
        return false;
    n = strlen(s);
    return a.len == n && (n == 0 || memcmp(a.p, s, n) == 0);
}

static inline bool sim_span_empty(sim_span_t a)
{
    return a.len == 0;
}

/* Whether s (present) lies within the bytes of 'outer' (present): the same
 * memory, not the same letters. */
static inline bool sim_span_within(sim_span_t outer, sim_span_t s)
{
    uintptr_t o = (uintptr_t)outer.p, p = (uintptr_t)s.p;
    return outer.p && s.p && p >= o && p - o <= outer.len && s.len <= outer.len - (p - o);
}

/* Bump arena: many small allocations, one release. Chunks grow on demand;
 * sim_arena_reset keeps the first chunk for reuse. */
typedef struct sim_arena_chunk sim_arena_chunk_t;
typedef struct sim_arena {
    sim_arena_chunk_t *head; /* private */
    char              *cur;  /* private */
    char              *end;  /* private */
    size_t             total; /* bytes handed out since the last reset */
} sim_arena_t;

void  sim_arena_init(sim_arena_t *a);
void  sim_arena_destroy(sim_arena_t *a);
void  sim_arena_reset(sim_arena_t *a);
/* Returns owned-by-arena memory aligned to 8 bytes, valid until reset. */
void *sim_arena_alloc(sim_arena_t *a, size_t n);
void *sim_arena_calloc(sim_arena_t *a, size_t n);
/* Copies 'len' bytes into the arena; the result is NUL-terminated. */
char *sim_arena_strndup(sim_arena_t *a, const char *s, size_t len);
sim_span_t sim_arena_span(sim_arena_t *a, sim_span_t s);
/* Grows an arena array of 'elem' sized items to hold at least 'need' items. */
void *sim_arena_grow(sim_arena_t *a, void *old, uint32_t *cap, uint32_t need, size_t elem);

#endif
