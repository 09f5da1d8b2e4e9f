/*
 * network_dir.c - the read side of a loaded network: the directory of
 * plain-language addresses, lookups by routing indicator, name and prefix,
 * closed windows; plus what every part of the reader shares: the error
 * collector, reading a file whole, and releasing a network.
 *
 * Lookups are binary searches over index arrays that network.c sorts once at
 * load; nothing here allocates, so a loaded network can be read from several
 * threads at once. Plain-language addresses are compared in their canonical
 * form (upper case, one space between words, no blanks at either end); a
 * query is brought to that form on the fly, character by character, so
 * "amembassy   London " finds "AMEMBASSY LONDON" without a copy.
 */
#include "network_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- errors ---------------------------------------------------------- */

/* Capacity of an error array holding n entries: 4, then powers of two. The
 * arrays carry no capacity field, so every writer follows this rule. */
static size_t errs_cap(uint32_t n)
{
    size_t cap = 4;
    while (cap < n)
        cap *= 2;
    return cap;
}

static void errs_push(net_errors_t *e, uint32_t line, uint32_t col, char *msg)
{
    if (e->n == 0 || errs_cap(e->n) == e->n)
        e->v = sim_xrealloc(e->v, errs_cap(e->n + 1) * sizeof(*e->v));
    e->v[e->n].line = line;
    e->v[e->n].col = col;
    e->v[e->n].message = msg;
    e->n++;
}

void net__verror(net__cx_t *cx, uint32_t line, uint32_t col, const char *fmt, va_list ap)
{
    char msg[512];

    if (cx->full)
        return;
    if (cx->errs.n == NET_MAX_ERRORS) {
        snprintf(msg, sizeof(msg), "too many problems; only the first %u are listed",
                 NET_MAX_ERRORS);
        errs_push(&cx->errs, 0, 0, sim_xstrdup(msg));
        cx->full = true;
        return;
    }
    vsnprintf(msg, sizeof(msg), fmt, ap);
    errs_push(&cx->errs, line, col, sim_xstrdup(msg));
}

void net__error(net__cx_t *cx, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    net__verror(cx, line, col, fmt, ap);
    va_end(ap);
}

/* Line 0 (the whole file) sorts after every placed error. */
static bool err_before(const net_error_t *x, const net_error_t *y)
{
    uint64_t kx = ((uint64_t)(x->line ? x->line : UINT32_MAX) << 32) | x->col;
    uint64_t ky = ((uint64_t)(y->line ? y->line : UINT32_MAX) << 32) | y->col;
    return kx < ky;
}

void net__errors_move(net__cx_t *cx, net_errors_t *out)
{
    net_errors_t *e = &cx->errs;

    /* Insertion sort: stable, and the list is short (NET_MAX_ERRORS). */
    for (uint32_t i = 1; i < e->n; i++) {
        net_error_t t = e->v[i];
        uint32_t    j = i;
        while (j > 0 && err_before(&t, &e->v[j - 1])) {
            e->v[j] = e->v[j - 1];
            j--;
        }
        e->v[j] = t;
    }
    if (!out) {
        net_errors_destroy(e);
        return;
    }
    if (e->n) {
        out->v = sim_xrealloc(out->v, errs_cap(out->n + e->n) * sizeof(*out->v));
        memcpy(out->v + out->n, e->v, e->n * sizeof(*e->v));
        out->n += e->n;
    }
    free(e->v);
    memset(e, 0, sizeof(*e));
}

void net_errors_destroy(net_errors_t *errs)
{
    if (!errs)
        return;
    for (uint32_t i = 0; i < errs->n; i++)
        free(errs->v[i].message);
    free(errs->v);
    errs->v = NULL;
    errs->n = 0;
}

void net_errors_fprint(FILE *out, const char *file, const net_errors_t *errs)
{
    for (uint32_t i = 0; i < errs->n; i++) {
        const net_error_t *e = &errs->v[i];
        if (e->line)
            fprintf(out, "%s:%u:%u: error: %s\n", file, e->line, e->col, e->message);
        else
            fprintf(out, "%s: error: %s\n", file, e->message);
    }
}

char *net__shown(char buf[NET__SHOWN * 4 + 8], const char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && i < NET__SHOWN; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            buf[o++] = (char)c;
        } else {
            snprintf(buf + o, 5, "\\x%02x", c);
            o += 4;
        }
    }
    if (len > NET__SHOWN) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

/* ---- reading a file -------------------------------------------------- */

int net_file_read(const char *path, char **buf, size_t *len)
{
    FILE  *f;
    char  *b = NULL;
    size_t n = 0, cap = 0;
    int    rc = 0;

    *buf = NULL;
    *len = 0;
    if (strcmp(path, "-") == 0) {
        f = stdin;
    } else {
        f = fopen(path, "rb");
        if (!f)
            return -errno;
    }
    for (;;) {
        size_t got;
        if (cap - n < 65536) {
            cap = cap ? cap * 2 : 65536;
            b = sim_xrealloc(b, cap + 1);
        }
        errno = 0;
        got = fread(b + n, 1, cap - n, f);
        n += got;
        if (n > NET_MAX_FILE_BYTES) {
            rc = SIM_ETOOBIG;
            break;
        }
        if (got == 0) {
            if (ferror(f))
                rc = errno ? -errno : SIM_EIO;
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    if (rc < 0) {
        free(b);
        return rc;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

/* ---- canonical plain-language addresses -------------------------------- */

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int upper(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

size_t net__pla_norm(char *out, const char *s, size_t len)
{
    size_t o = 0;
    bool   gap = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_blank(c)) {
            gap = true;
            continue;
        }
        if (gap && o > 0)
            out[o++] = ' ';
        gap = false;
        out[o++] = (char)upper(c);
    }
    out[o] = '\0';
    return o;
}

int net__pla_cmp(const char *q, size_t qlen, const char *canon)
{
    const unsigned char *c = (const unsigned char *)canon;
    size_t               i = 0;
    bool                 gap = false, any = false;

    for (;;) {
        int qc = -1, cc;
        while (i < qlen && is_blank((unsigned char)q[i])) {
            gap = true;
            i++;
        }
        if (i < qlen) {
            if (gap && any) {
                qc = ' '; /* the run of blanks, before the character that ends it */
            } else {
                qc = upper((unsigned char)q[i++]);
                any = true;
            }
            gap = false;
        }
        cc = *c ? *c : -1;
        if (qc != cc)
            return qc < cc ? -1 : 1;
        if (qc < 0)
            return 0;
        c++;
    }
}

int net__key_cmp(const char *k, size_t klen, const char *s)
{
    size_t slen = strlen(s);
    int    r = memcmp(k, s, SIM_MIN(klen, slen));
    if (r)
        return r;
    return klen < slen ? -1 : klen > slen ? 1 : 0;
}

/* ---- lookups ---------------------------------------------------------- */

/* Binary search of an index array sorted by the key that 'key_of' gives. */
static int32_t index_find(const uint32_t *idx, uint32_t n, const char *k, size_t klen,
                          const char *(*key_of)(const net_network_t *, uint32_t),
                          const net_network_t *net)
{
    uint32_t lo = 0, hi = n;
    if (!k)
        return -1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int      r = net__key_cmp(k, klen, key_of(net, idx[mid]));
        if (r == 0)
            return (int32_t)idx[mid];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

static const char *station_ri(const net_network_t *net, uint32_t i)
{
    return net->stations[i].ri;
}

static const char *coll_ri(const net_network_t *net, uint32_t i)
{
    return net->collectives[i].ri;
}

static const char *router_name(const net_network_t *net, uint32_t i)
{
    return net->routers[i].name;
}

int32_t net_station_by_ri(const net_network_t *net, const char *ri, size_t len)
{
    return index_find(net->by_ri, net->n_stations, ri, len, station_ri, net);
}

int32_t net_collective_by_ri(const net_network_t *net, const char *ri, size_t len)
{
    return index_find(net->coll_by_ri, net->n_collectives, ri, len, coll_ri, net);
}

int32_t net_router_by_name(const net_network_t *net, const char *name)
{
    if (!name)
        return -1;
    return index_find(net->router_by_name, net->n_routers, name, strlen(name), router_name, net);
}

const net_dir_entry_t *net_dir_lookup(const net_network_t *net, const char *pla, size_t len)
{
    uint32_t lo = 0, hi = net->n_dir;
    if (!pla)
        return NULL;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int      r = net__pla_cmp(pla, len, net->dir[mid].pla);
        if (r == 0)
            return &net->dir[mid];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

int32_t net_station_by_pla(const net_network_t *net, const char *pla, size_t len)
{
    const net_dir_entry_t *e = net_dir_lookup(net, pla, len);
    return e ? e->station : -1;
}

int32_t net_collective_by_pla(const net_network_t *net, const char *pla, size_t len)
{
    const net_dir_entry_t *e = net_dir_lookup(net, pla, len);
    return e ? e->collective : -1;
}

int32_t net_route_lookup(const net_network_t *net, const char *ri, size_t len)
{
    int32_t best = -1;
    size_t  best_len = 0;

    /* Routes are few (one per RI prefix family), so a scan is the right tool. */
    for (uint32_t i = 0; ri && i < net->n_routes; i++) {
        const net_route_t *r = &net->routes[i];
        size_t             plen = strlen(r->prefix);
        if (plen <= len && plen > best_len && memcmp(r->prefix, ri, plen) == 0) {
            best = (int32_t)r->router;
            best_len = plen;
        }
    }
    return best >= 0 ? best : net->default_router;
}

bool net_station_closed(const net_station_t *st, int64_t when)
{
    for (uint32_t i = 0; i < st->n_closed; i++)
        if (when >= st->closed[i].from && when < st->closed[i].to)
            return true;
    return false;
}

const char *net_kind_name(net_kind_t kind)
{
    return kind == NET_KIND_DEPARTMENT ? "department" : "mission";
}

/* ---- release ------------------------------------------------------------ */

void net_free(net_network_t *net)
{
    if (!net)
        return;
    for (uint32_t i = 0; i < net->n_routers; i++) {
        free(net->routers[i].name);
        free(net->routers[i].listen_host);
    }
    for (uint32_t i = 0; i < net->n_stations; i++) {
        net_station_t *st = &net->stations[i];
        free(st->ri);
        for (uint32_t j = 0; j < st->n_pla; j++)
            free(st->pla[j]);
        free(st->pla);
        free(st->host);
        free(st->closed);
    }
    for (uint32_t i = 0; i < net->n_collectives; i++) {
        net_collective_t *c = &net->collectives[i];
        free(c->ri);
        free(c->pla);
        for (uint32_t j = 0; j < c->n_members; j++)
            free(c->members[j]);
        free(c->members);
        free(c->member_stations);
    }
    for (uint32_t i = 0; i < net->n_routes; i++)
        free(net->routes[i].prefix);
    free(net->routers);
    free(net->stations);
    free(net->trunks);
    free(net->collectives);
    free(net->routes);
    free(net->dir);
    free(net->by_ri);
    free(net->coll_by_ri);
    free(net->router_by_name);
    free(net->file);
    free(net);
}
