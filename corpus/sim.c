/*
 * sim.c - allocation wrappers, error texts, panic and the bump arena.
 *
 * The arena is the memory of one cable: every field parsed out of a cable or
 * decoded from its msgpack form lives in the cable's arena (or borrows the
 * input text), so a cable is released with one call and parsing makes no
 * malloc per field.
 */
#include "sim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define SIM_ARENA_MIN_CHUNK 4096

struct sim_arena_chunk {
    sim_arena_chunk_t *next;
    size_t             size;
    _Alignas(16) char  mem[];
};

const char *sim_strerror(int code)
{
    switch (code) {
    case 0: return "success";
    case SIM_EPARSE: return "malformed input";
    case SIM_EFULL: return "container full";
    case SIM_ENOROUTE: return "no route";
    case SIM_ETOOBIG: return "input too large";
    case SIM_EVERSION: return "unknown version";
    case SIM_ETYPE: return "wrong type";
    case SIM_EIO: return "input/output error";
    case SIM_EUSAGE: return "bad usage";
    default:
        if (code < 0 && code > -4096)
            return strerror(-code);
        return "unknown error";
    }
}

void sim_panic(const char *fmt, ...)
{
    va_list ap;
    fputs("cablesim: internal error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

static void sim_oom(size_t n)
{
    sim_panic("out of memory allocating %zu bytes", n);
}

void *sim_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        sim_oom(n);
    return p;
}

void *sim_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        sim_oom(n * size);
    return p;
}

void *sim_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        sim_oom(n);
    return q;
}

char *sim_xstrdup(const char *s)
{
    return sim_xstrndup(s, strlen(s));
}

char *sim_xstrndup(const char *s, size_t n)
{
    char *d = sim_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void sim_arena_init(sim_arena_t *a)
{
    memset(a, 0, sizeof(*a));
}

void sim_arena_destroy(sim_arena_t *a)
{
    sim_arena_chunk_t *c = a->head;
    while (c) {
        sim_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    memset(a, 0, sizeof(*a));
}

void sim_arena_reset(sim_arena_t *a)
{
    sim_arena_chunk_t *c;
    if (!a->head)
        return;
    /* Keep the largest chunk (the head is always the newest and largest). */
    c = a->head->next;
    while (c) {
        sim_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    a->head->next = NULL;
    a->cur = a->head->mem;
    a->end = a->head->mem + a->head->size;
    a->total = 0;
}

void *sim_arena_alloc(sim_arena_t *a, size_t n)
{
    char *p;
    n = (n + 7) & ~(size_t)7;
    if ((size_t)(a->end - a->cur) < n || !a->cur) {
        size_t size = a->head ? a->head->size * 2 : SIM_ARENA_MIN_CHUNK;
        sim_arena_chunk_t *c;
        while (size < n)
            size *= 2;
        c = sim_xmalloc(sizeof(*c) + size);
        c->size = size;
        c->next = a->head;
        a->head = c;
        a->cur = c->mem;
        a->end = c->mem + size;
    }
    p = a->cur;
    a->cur += n;
    a->total += n;
    return p;
}

void *sim_arena_calloc(sim_arena_t *a, size_t n)
{
    void *p = sim_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *sim_arena_strndup(sim_arena_t *a, const char *s, size_t len)
{
    char *d = sim_arena_alloc(a, len + 1);
    if (len)
        memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

sim_span_t sim_arena_span(sim_arena_t *a, sim_span_t s)
{
    if (!s.p)
        return SIM_SPAN_NULL;
    return sim_span(sim_arena_strndup(a, s.p, s.len), s.len);
}

void *sim_arena_grow(sim_arena_t *a, void *old, uint32_t *cap, uint32_t need, size_t elem)
{
    uint32_t ncap;
    void    *p;
    if (need <= *cap)
        return old;
    ncap = *cap ? *cap * 2 : 4;
    while (ncap < need)
        ncap *= 2;
    p = sim_arena_alloc(a, (size_t)ncap * elem);
    if (old && *cap)
        memcpy(p, old, (size_t)*cap * elem);
    *cap = ncap;
    return p;
}
