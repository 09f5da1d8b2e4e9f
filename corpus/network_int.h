/*
 * network_int.h - what the files of the network reader share, and nothing
 * outside corpus/network*.c includes: the small YAML tree that
 * network_yaml.c builds from libyaml events, and the error collector.
 *
 * The tree lives in one arena owned by the caller of net__yaml_load; every
 * node knows where it starts in the file (line and column from 1), which is
 * what the validation messages point at.
 */
#ifndef NETWORK_INT_H
#define NETWORK_INT_H

#include <stdarg.h>

#include "network.h"

#define NET__MAX_DEPTH 64                    /* nesting of lists and mappings */
#define NET__MAX_NODES 2000000u              /* YAML nodes in one file */
#define NET__SHOWN 64                        /* bytes of user text echoed in a message */
#define NET__SHOWN_BUF (NET__SHOWN * 4 + 16) /* room for it escaped and quoted */

/* Bounds of values (corpus/network.md). */
#define NET_MAX_PLA 128            /* characters in an address */
#define NET_MAX_NAME 64            /* router and host names */
#define NET_MAX_BPS 100000000000.0 /* 100 Gbit/s */
#define NET_MAX_MS 600000.0        /* ten minutes */
#define NET_MAX_DELAY_S 86400.0    /* one day */
#define NET_MAX_RAM_MIB 65536.0

typedef enum net__ytype {
    NET__Y_SCALAR = 0,
    NET__Y_SEQ = 1,
    NET__Y_MAP = 2,
} net__ytype_t;

typedef struct net__ynode net__ynode_t;
struct net__ynode {
    net__ytype_t   type;
    uint32_t       line, col; /* from 1 */
    bool           plain;     /* scalar written without quotes or block style */
    const char    *str;       /* scalar text, NUL-terminated (may hold NULs) */
    uint32_t       len;
    net__ynode_t **kids; /* list items; mapping: key, value, key, value ... */
    uint32_t       n_kids;
    uint32_t       cap_kids; /* private to the builder */
};

/* The error collector of one load. */
typedef struct net__cx {
    net_errors_t errs;
    bool         full; /* NET_MAX_ERRORS reached; later errors dropped */
} net__cx_t;

/* net__error - record one problem at line:col (0:0 for the whole file). */
void net__error(net__cx_t *cx, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void net__verror(net__cx_t *cx, uint32_t line, uint32_t col, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* net__errors_move - sort cx's errors by place (whole-file ones last) and
 * append them to *out (or drop them when out is NULL); cx is left empty. */
void net__errors_move(net__cx_t *cx, net_errors_t *out);

/* net__pla_norm - the canonical form of a plain-language address: upper
 * case, blanks (space, tab, CR, LF, VT, FF) collapsed to one space, none at
 * either end. 'out' has room for len + 1 bytes; returns the new length. */
size_t net__pla_norm(char *out, const char *s, size_t len);
/* net__pla_cmp - compare a raw address with a canonical one as strcmp would
 * compare the raw address's canonical form, without building it. */
int net__pla_cmp(const char *q, size_t qlen, const char *canon);
/* net__key_cmp - compare k[0..klen) with the NUL-terminated s, like strcmp. */
int net__key_cmp(const char *k, size_t klen, const char *s);

/* net__shown - user text made safe for a message: at most NET__SHOWN bytes,
 * control and non-ASCII bytes as \xNN, "..." when cut. Returns 'buf'. */
char *net__shown(char buf[NET__SHOWN * 4 + 8], const char *s, size_t len);

/* net__yaml_load - parse one YAML document into a tree allocated in 'a'.
 * Returns the root (borrowed from the arena), or NULL when the input holds
 * no document. Syntax errors, aliases, anchors, tags, more than one
 * document, nesting beyond NET__MAX_DEPTH and more than NET__MAX_NODES
 * nodes are recorded in cx; the caller must not trust a tree that came with
 * errors. */
net__ynode_t *net__yaml_load(net__cx_t *cx, sim_arena_t *a, const char *buf, size_t len);

/* ---- single values (network_value.c) ---------------------------------
 * Every net__want_* takes the node of a present key: it stores the value
 * and returns true, or records one error at the node and returns false. */

/* net__err_at - record a problem at node n. */
void net__err_at(net__cx_t *cx, const net__ynode_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* net__is_null - a plain empty, ~ or null scalar. */
bool net__is_null(const net__ynode_t *n);
/* net__what_is - "a list", "a mapping", "nothing" or the quoted scalar, for
 * messages; returns 'shown' or a constant. */
const char *net__what_is(const net__ynode_t *n, char shown[NET__SHOWN_BUF]);
/* net__fields - split a mapping into the values of 'keys' (NULL when
 * absent), reporting keys that are no strings, unknown keys (listing the
 * allowed ones) and repeated keys. False when 'map' is no mapping. */
bool net__fields(net__cx_t *cx, const net__ynode_t *map, const char *what, const char *const *keys,
                 size_t n_keys, const net__ynode_t **vals);
/* net__required - true when v is present, else "missing required key". */
bool net__required(net__cx_t *cx, const net__ynode_t *map, const net__ynode_t *v, const char *key,
                   const char *what);
bool net__want_list(net__cx_t *cx, const net__ynode_t *v, const char *key, bool empty_ok);
/* A string scalar, plain or quoted, without NUL bytes. */
bool net__want_str(net__cx_t *cx, const net__ynode_t *v, const char *key);
/* A plain decimal number in [min, max]; 'whole' asks for an integer value. */
bool net__want_num(net__cx_t *cx, const net__ynode_t *v, const char *key, double min, double max,
                   bool whole, double *out);
bool net__want_bool(net__cx_t *cx, const net__ynode_t *v, const char *key, bool *out);
/* Only the letters A-Z, between min and max of them. */
bool net__is_upper_word(const char *s, size_t len, size_t min, size_t max);
/* A routing indicator: 4 to 7 capital letters. */
bool net__want_ri(net__cx_t *cx, const net__ynode_t *v, const char *key);
/* A router or host name (it becomes part of file names). */
bool net__want_name(net__cx_t *cx, const net__ynode_t *v, const char *key);
/* A plain-language address; returns its canonical form (owned) or NULL. */
char *net__want_pla(net__cx_t *cx, const net__ynode_t *v, const char *key);
/* YYYY-MM-DDTHH:MM:SSZ, a time that exists, into epoch seconds. */
bool net__want_time(net__cx_t *cx, const net__ynode_t *v, const char *key, int64_t *out);
/* net__listen_parse - HOST:PORT with an IPv4 address, a host name or
 * [IPv6]. Returns the owned host (brackets removed) and *port, or NULL and
 * the reason in *why. */
char *net__listen_parse(const char *s, size_t len, uint16_t *port, const char **why);

#endif
