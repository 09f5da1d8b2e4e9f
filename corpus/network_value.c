/*
 * network_value.c - the checks of single values of a network file: is this
 * node the mapping, list, string, number, boolean, routing indicator, name,
 * plain-language address, UTC time or listen address that its key wants?
 *
 * Each net__want_* either stores the value and returns true, or records one
 * error at the node's line and column and returns false; none of them stops
 * the caller. Numbers follow YAML's plain decimal form only (no quotes, no
 * hex, no .inf), because a quoted "9600" is a string in YAML and saying so
 * beats guessing. Nothing here knows the other entries of the file: cross
 * references are network.c's.
 */
#include "network_int.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void net__err_at(net__cx_t *cx, const net__ynode_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    net__verror(cx, n->line, n->col, fmt, ap);
    va_end(ap);
}

bool net__is_null(const net__ynode_t *n)
{
    if (n->type != NET__Y_SCALAR || !n->plain)
        return false;
    return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
           strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

/* "a list", "a mapping", "nothing" or the scalar itself, for messages. */
const char *net__what_is(const net__ynode_t *n, char shown[NET__SHOWN_BUF])
{
    if (n->type == NET__Y_SEQ)
        return "a list";
    if (n->type == NET__Y_MAP)
        return "a mapping";
    if (net__is_null(n))
        return "nothing";
    char text[NET__SHOWN * 4 + 8];
    net__shown(text, n->str, SIM_MIN(n->len, NET__SHOWN));
    snprintf(shown, NET__SHOWN_BUF, "'%s%s'", text, n->len > NET__SHOWN ? "..." : "");
    return shown;
}

/* Split a mapping into the values of 'keys' (NULL when absent), reporting a
 * value that is no mapping, keys that are no strings, unknown keys (with the
 * allowed ones) and repeated keys. False when 'map' is no mapping at all. */
bool net__fields(net__cx_t *cx, const net__ynode_t *map, const char *what, const char *const *keys,
                 size_t n_keys, const net__ynode_t **vals)
{
    char shown[NET__SHOWN_BUF];

    for (size_t k = 0; k < n_keys; k++)
        vals[k] = NULL;
    if (map->type != NET__Y_MAP) {
        net__err_at(cx, map, "%s must be a mapping (key: value), got %s", what,
                    net__what_is(map, shown));
        return false;
    }
    for (uint32_t i = 0; i + 1 < map->n_kids; i += 2) {
        const net__ynode_t *key = map->kids[i];
        size_t              k;
        if (key->type != NET__Y_SCALAR) {
            net__err_at(cx, key, "keys in %s must be plain words, got %s", what,
                        net__what_is(key, shown));
            continue;
        }
        for (k = 0; k < n_keys; k++)
            if (net__key_cmp(key->str, key->len, keys[k]) == 0)
                break;
        if (k == n_keys) {
            char allowed[512] = "";
            for (size_t j = 0; j < n_keys; j++) {
                strcat(allowed, j ? ", " : "");
                strcat(allowed, keys[j]);
            }
            net__err_at(cx, key, "unknown key '%s' in %s; allowed keys: %s",
                        net__shown(shown, key->str, key->len), what, allowed);
            continue;
        }
        if (vals[k]) {
            uint32_t first = 0; /* the line of the first such key, not of its value */
            for (uint32_t j = 0; j < i && !first; j += 2)
                if (map->kids[j]->type == NET__Y_SCALAR &&
                    net__key_cmp(map->kids[j]->str, map->kids[j]->len, keys[k]) == 0)
                    first = map->kids[j]->line;
            net__err_at(cx, key, "key '%s' appears twice in %s (first at line %u)", keys[k], what,
                        first);
            continue;
        }
        vals[k] = map->kids[i + 1];
    }
    return true;
}

bool net__required(net__cx_t *cx, const net__ynode_t *map, const net__ynode_t *v, const char *key,
                   const char *what)
{
    if (!v)
        net__err_at(cx, map, "missing required key '%s' in %s", key, what);
    return v != NULL;
}

/* A list, or a report. 'empty_ok' says whether [] is fine. */
bool net__want_list(net__cx_t *cx, const net__ynode_t *v, const char *key, bool empty_ok)
{
    char shown[NET__SHOWN_BUF];
    if (v->type != NET__Y_SEQ) {
        net__err_at(cx, v, "'%s' must be a list, got %s", key, net__what_is(v, shown));
        return false;
    }
    if (!empty_ok && v->n_kids == 0) {
        net__err_at(cx, v, "'%s' must not be empty", key);
        return false;
    }
    return true;
}

/* A string scalar (plain or quoted) with no NUL in it. */
bool net__want_str(net__cx_t *cx, const net__ynode_t *v, const char *key)
{
    char shown[NET__SHOWN_BUF];
    if (v->type != NET__Y_SCALAR || net__is_null(v)) {
        net__err_at(cx, v, "'%s' must be a string, got %s", key, net__what_is(v, shown));
        return false;
    }
    if (memchr(v->str, '\0', v->len)) {
        net__err_at(cx, v, "'%s' must not contain NUL characters", key);
        return false;
    }
    return true;
}

/* A plain scalar that reads as a decimal number: [+-]digits[.digits][e[+-]digits]. */
static bool parse_number(const net__ynode_t *v, double *out)
{
    const char *s = v->str;
    char       *end;
    size_t      i = 0, digits = 0;

    if (v->type != NET__Y_SCALAR || !v->plain || v->len == 0 || v->len > 64)
        return false;
    if (s[i] == '+' || s[i] == '-')
        i++;
    while (i < v->len && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < v->len && s[i] == '.') {
        i++;
        while (i < v->len && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (digits == 0)
        return false;
    if (i < v->len && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp_digits = 0;
        i++;
        if (i < v->len && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < v->len && s[i] >= '0' && s[i] <= '9')
            i++, exp_digits++;
        if (exp_digits == 0)
            return false;
    }
    if (i != v->len)
        return false;
    *out = strtod(s, &end);
    return end == s + v->len && isfinite(*out);
}

bool net__want_num(net__cx_t *cx, const net__ynode_t *v, const char *key, double min, double max,
                   bool whole, double *out)
{
    char   shown[NET__SHOWN_BUF];
    double d;
    if (!parse_number(v, &d)) {
        if (v->type == NET__Y_SCALAR && !v->plain)
            net__err_at(
                cx, v, "'%s' must be a number, got a quoted string (write it without quotes)", key);
        else
            net__err_at(cx, v, "'%s' must be a number, got %s", key, net__what_is(v, shown));
        return false;
    }
    if (d < min || d > max || (whole && d != floor(d))) {
        net__err_at(cx, v, "'%s' must be a %s from %.15g to %.15g, got %s", key,
                    whole ? "whole number" : "number", min, max, net__what_is(v, shown));
        return false;
    }
    *out = d;
    return true;
}

bool net__want_bool(net__cx_t *cx, const net__ynode_t *v, const char *key, bool *out)
{
    static const char *const t[] = {"true", "True", "TRUE"};
    static const char *const f[] = {"false", "False", "FALSE"};
    char                     shown[NET__SHOWN_BUF];
    if (v->type == NET__Y_SCALAR && v->plain) {
        for (size_t i = 0; i < 3; i++) {
            if (strcmp(v->str, t[i]) == 0 && v->len == strlen(t[i])) {
                *out = true;
                return true;
            }
            if (strcmp(v->str, f[i]) == 0 && v->len == strlen(f[i])) {
                *out = false;
                return true;
            }
        }
    }
    net__err_at(cx, v, "'%s' must be true or false, got %s", key, net__what_is(v, shown));
    return false;
}

bool net__is_upper_word(const char *s, size_t len, size_t min, size_t max)
{
    if (len < min || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return false;
    return true;
}

/* A routing indicator: 4 to 7 capital letters. */
bool net__want_ri(net__cx_t *cx, const net__ynode_t *v, const char *key)
{
    char shown[NET__SHOWN_BUF];
    if (!net__want_str(cx, v, key))
        return false;
    if (!net__is_upper_word(v->str, v->len, 4, 7)) {
        net__err_at(cx, v, "malformed routing indicator %s: 4 to 7 capital letters A-Z expected",
                    net__what_is(v, shown));
        return false;
    }
    return true;
}

/* A router or host name: letters, digits, '.', '_', '-', starting with a
 * letter or digit (it becomes part of file and folder names). */
bool net__want_name(net__cx_t *cx, const net__ynode_t *v, const char *key)
{
    char shown[NET__SHOWN_BUF];
    bool ok;
    if (!net__want_str(cx, v, key))
        return false;
    ok = v->len >= 1 && v->len <= NET_MAX_NAME;
    for (size_t i = 0; ok && i < v->len; i++) {
        char c = v->str[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        ok = alnum || (i > 0 && (c == '.' || c == '_' || c == '-'));
    }
    if (!ok)
        net__err_at(cx, v,
                    "malformed %s %s: up to %d letters, digits, '.', '_' or '-', starting with a "
                    "letter or digit",
                    key, net__what_is(v, shown), NET_MAX_NAME);
    return ok;
}

/* A plain-language address into its canonical form (owned), or NULL. */
char *net__want_pla(net__cx_t *cx, const net__ynode_t *v, const char *key)
{
    char  *canon;
    size_t n;
    if (!net__want_str(cx, v, key))
        return NULL;
    for (size_t i = 0; i < v->len; i++) {
        unsigned char c = (unsigned char)v->str[i];
        if ((c < 0x20 && c != '\t') || c >= 0x7f) {
            net__err_at(cx, v, "'%s' must be printable ASCII (byte 0x%02x at offset %zu)", key, c,
                        i);
            return NULL;
        }
    }
    canon = sim_xmalloc(v->len + 1);
    n = net__pla_norm(canon, v->str, v->len);
    if (n == 0 || n > NET_MAX_PLA) {
        net__err_at(cx, v, "'%s' must hold 1 to %d characters besides blanks", key, NET_MAX_PLA);
        free(canon);
        return NULL;
    }
    return canon;
}

/* ---- times ------------------------------------------------------------ */

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t  era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static unsigned digits_at(const char *s, size_t n)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

/* YYYY-MM-DDTHH:MM:SSZ, a time that exists, years 1900-9999. */
static bool parse_time(const char *s, size_t len, int64_t *out)
{
    static const char     shape[] = "dddd-dd-ddTdd:dd:ddZ";
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned              y, mo, d, h, mi, se, dim;

    if (len != sizeof(shape) - 1)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return false;
    }
    y = digits_at(s, 4);
    mo = digits_at(s + 5, 2);
    d = digits_at(s + 8, 2);
    h = digits_at(s + 11, 2);
    mi = digits_at(s + 14, 2);
    se = digits_at(s + 17, 2);
    if (y < 1900 || mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59)
        return false;
    dim = mdays[mo - 1] + (mo == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
    if (d < 1 || d > dim)
        return false;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return true;
}

bool net_parse_utc(const char *s, size_t len, int64_t *secs)
{
    return parse_time(s, len, secs);
}

bool net__want_time(net__cx_t *cx, const net__ynode_t *v, const char *key, int64_t *out)
{
    char shown[NET__SHOWN_BUF];
    if (!net__want_str(cx, v, key))
        return false;
    if (!parse_time(v->str, v->len, out)) {
        net__err_at(cx, v, "'%s' must be a UTC time like 2009-05-01T00:00:00Z that exists, got %s",
                    key, net__what_is(v, shown));
        return false;
    }
    return true;
}

/* ---- listen addresses ----------------------------------------------------- */

static bool is_hostname(const char *s, size_t len)
{
    size_t label = 0;
    if (len == 0 || len > 253)
        return false;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? s[i] : '.';
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   (c == '-' && label > 0)) {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return true;
}

/* HOST:PORT with HOST an IPv4 address, a host name or [IPv6]. Returns NULL
 * and the reason, or the owned host (without brackets). */
char *net__listen_parse(const char *s, size_t len, uint16_t *port, const char **why)
{
    const char   *colon = NULL;
    char          host[256];
    size_t        hlen;
    unsigned      p = 0;
    bool          all_digits_dots = true;
    unsigned char addr[16];

    for (size_t i = 0; i < len; i++)
        if (s[i] == ':')
            colon = s + i;
    if (!colon) {
        *why = "HOST:PORT expected";
        return NULL;
    }
    if (colon + 1 == s + len || (size_t)(s + len - colon - 1) > 5) {
        *why = "the port must be a number from 1 to 65535";
        return NULL;
    }
    for (const char *c = colon + 1; c < s + len; c++) {
        if (*c < '0' || *c > '9') {
            *why = "the port must be a number from 1 to 65535";
            return NULL;
        }
        p = p * 10 + (unsigned)(*c - '0');
    }
    if (p < 1 || p > 65535) {
        *why = "the port must be a number from 1 to 65535";
        return NULL;
    }
    hlen = (size_t)(colon - s);
    if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
        if (hlen - 2 >= sizeof(host))
            goto bad_v6;
        memcpy(host, s + 1, hlen - 2);
        host[hlen - 2] = '\0';
        if (inet_pton(AF_INET6, host, addr) != 1)
            goto bad_v6;
        *port = (uint16_t)p;
        return sim_xstrdup(host);
    }
    if (hlen == 0 || hlen >= sizeof(host)) {
        *why = "the host is missing or too long";
        return NULL;
    }
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    if (memchr(host, ':', hlen)) {
        *why = "an IPv6 address goes in brackets, like [::1]:47101";
        return NULL;
    }
    for (size_t i = 0; i < hlen; i++)
        if (!(host[i] == '.' || (host[i] >= '0' && host[i] <= '9')))
            all_digits_dots = false;
    if (all_digits_dots ? inet_pton(AF_INET, host, addr) != 1 : !is_hostname(host, hlen)) {
        *why = all_digits_dots ? "the host is not a valid IPv4 address"
                               : "the host is not a valid "
                                 "host name";
        return NULL;
    }
    *port = (uint16_t)p;
    return sim_xstrdup(host);
bad_v6:
    *why = "the host is not a valid IPv6 address";
    return NULL;
}
