/*
 * sim_buf.c - a per-thread cache of freed buffers by size class.
 *
 * A router keeps a copy of every cable it routes until the next hop
 * acknowledges it, and a station keeps every cable it sends until the router
 * does: one buffer of about a cable's size made and freed per cable and hop.
 * glibc serves those sizes (above its 1 KiB thread cache) from its shared
 * bins, merging each freed chunk with its neighbours, which is a tenth of a
 * busy router's time. Here a freed buffer goes on a stack of its class and
 * is handed out again as it is: no merging, no search, no lock.
 *
 * Each buffer has a 16-byte header before the bytes handed out, holding its
 * class (SB_BIG: from malloc, returned to free).
 */
#include "sim.h"

#include <pthread.h>
#include <stdlib.h>

#define SB_MIN_SHIFT 8u  /* 256 bytes */
#define SB_MAX_SHIFT 14u /* 16 KiB */
#define SB_CLASSES (SB_MAX_SHIFT - SB_MIN_SHIFT + 1u)
#define SB_CLASS_BYTES (4u << 20) /* kept per class and thread */
#define SB_STACK_MAX 1024u
#define SB_BIG 0xffu
#define SB_HDR 16u

typedef struct sb_cache {
    void    *stack[SB_CLASSES][SB_STACK_MAX];
    uint32_t n[SB_CLASSES];
} sb_cache_t;

static _Thread_local sb_cache_t *sb_tls;
static pthread_key_t             sb_key;
static pthread_once_t            sb_once = PTHREAD_ONCE_INIT;

static void sb_thread_end(void *arg)
{
    sb_cache_t *c = arg;
    for (unsigned k = 0; k < SB_CLASSES; k++)
        for (uint32_t i = 0; i < c->n[k]; i++)
            free(c->stack[k][i]);
    free(c);
}

static void sb_key_make(void)
{
    if (pthread_key_create(&sb_key, sb_thread_end) != 0)
        sim_panic("%s: no thread key", __func__);
}

static sb_cache_t *sb_cache(void)
{
    if (!sb_tls) {
        pthread_once(&sb_once, sb_key_make);
        sb_tls = sim_xcalloc(1, sizeof(*sb_tls));
        if (pthread_setspecific(sb_key, sb_tls) != 0)
            sim_panic("%s: cannot keep the thread's cache", __func__);
    }
    return sb_tls;
}

static uint32_t sb_limit(unsigned k)
{
    uint32_t bytes = 1u << (k + SB_MIN_SHIFT), n = SB_CLASS_BYTES / bytes;
    return n < SB_STACK_MAX ? n : SB_STACK_MAX;
}

/* The class of a buffer of n bytes (at most 2^SB_MAX_SHIFT). */
static unsigned sb_class(size_t n)
{
    unsigned k = 0;
    while ((1u << (k + SB_MIN_SHIFT)) < n)
        k++;
    return k;
}

void *sim_buf_alloc(size_t n)
{
    unsigned char *b;
    unsigned       k;
    if (n > (1u << SB_MAX_SHIFT)) {
        b = sim_xmalloc(SB_HDR + n);
        b[0] = SB_BIG;
        return b + SB_HDR;
    }
    k = sb_class(n);
    {
        sb_cache_t *c = sb_cache();
        b = c->n[k] ? c->stack[k][--c->n[k]] : sim_xmalloc(SB_HDR + (1u << (k + SB_MIN_SHIFT)));
    }
    b[0] = (unsigned char)k;
    return b + SB_HDR;
}

/* Buffer b (its header) of class k back on its stack, or to free(). */
static void sb_put(unsigned char *b, unsigned k)
{
    sb_cache_t *c = sb_cache();
    if (c->n[k] >= sb_limit(k)) {
        free(b);
        return;
    }
    c->stack[k][c->n[k]++] = b;
}

void sim_buf_free(void *p)
{
    unsigned char *b;
    unsigned       k;
    if (!p)
        return;
    b = (unsigned char *)p - SB_HDR;
    k = b[0];
    if (k == SB_BIG) {
        free(b);
        return;
    }
    if (k >= SB_CLASSES)
        sim_panic("%s: %p is not a buffer of sim_buf_alloc", __func__, p);
    sb_put(b, k);
}

void sim_buf_free_n(void *p, size_t n)
{
    unsigned k;
    if (!p || n > (1u << SB_MAX_SHIFT)) {
        sim_buf_free(p);
        return;
    }
    k = sb_class(n);
#ifndef NDEBUG
    if (((unsigned char *)p - SB_HDR)[0] != k)
        sim_panic("%s: %p was not allocated with %zu bytes", __func__, p, n);
#endif
    sb_put((unsigned char *)p - SB_HDR, k);
}
