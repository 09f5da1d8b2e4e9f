/*
 * cable_lex.c - the parser's lexical layer: reading lines out of the input
 * without copying, tokens, digits, routing indicators, and adding
 * diagnostics. Every read is bounded by ctx->end.
 */
#include "cable_int.h"

#include <stdarg.h>
#include <stdio.h>

void cable__line_at(cable__ctx_t *x, const char *p, uint32_t no, cable__line_t *l)
{
    const char *nl = memchr(p, '\n', (size_t)(x->end - p));
    const char *e = nl ? nl : x->end;
    size_t      raw;
    l->p = p;
    l->no = no;
    l->next = nl ? nl + 1 : x->end;
    if (e > p && e[-1] == '\r') {
        e--;
        if (!x->said_crlf) {
            x->said_crlf = true;
            cable__diag(x, no, (uint32_t)(e - p) + 1, CABLE_R_CRLF, NULL);
        }
    }
    raw = (size_t)(e - p);
    if (raw > CABLE__LINE_MAX) {
        if (!x->said_long) {
            x->said_long = true;
            cable__diagf(x, no, 1, CABLE_R_LINE_LONG, "%zu bytes", raw);
        }
        raw = CABLE__LINE_MAX;
    }
    l->raw = (uint32_t)raw;
    while (raw > 0 && (cable__blank((unsigned char)p[raw - 1]) || p[raw - 1] == '\r'))
        raw--;
    l->len = (uint32_t)raw;
}

static void diag_add(cable__ctx_t *x, uint32_t line, uint32_t col, cable_rule_t rule,
                     const char *detail)
{
    cable_t      *c = x->c;
    cable_diag_t *d;
    cable_sev_t   sev = cable_rule_severity(rule, x->strict);
    c->diags.v = sim_arena_grow(&c->arena, c->diags.v, &c->diags.cap, c->diags.n + 1,
                                sizeof(*c->diags.v));
    d = &c->diags.v[c->diags.n++];
    d->line = line;
    d->col = col ? col : 1;
    d->rule = (uint16_t)rule;
    d->severity = (uint8_t)sev;
    d->detail = detail ? sim_arena_strndup(&c->arena, detail, strlen(detail)) : NULL;
    if (sev == CABLE_SEV_ERROR)
        c->n_errors++;
    else
        c->n_warnings++;
}

void cable__diag(cable__ctx_t *x, uint32_t line, uint32_t col, cable_rule_t rule,
                 const char *detail)
{
    diag_add(x, line, col, rule, detail);
}

void cable__diagf(cable__ctx_t *x, uint32_t line, uint32_t col, cable_rule_t rule,
                  const char *fmt, ...)
{
    char    buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    diag_add(x, line, col, rule, buf);
}

void cable__check_header_line(cable__ctx_t *x, const cable__line_t *l)
{
    if (l->raw != l->len && !x->said_trailing) {
        x->said_trailing = true;
        cable__diag(x, l->no, l->len + 1, CABLE_R_WS_TRAILING, NULL);
    }
    for (uint32_t i = 0; i < l->len; i++) {
        unsigned char ch = (unsigned char)l->p[i];
        if (ch == ' ' && i + 1 < l->len && l->p[i + 1] == ' ' && !x->said_double) {
            x->said_double = true;
            cable__diag(x, l->no, i + 1, CABLE_R_WS_DOUBLE, NULL);
        } else if (ch >= 'a' && ch <= 'z' && !x->said_lower) {
            x->said_lower = true;
            cable__diag(x, l->no, i + 1, CABLE_R_LOWERCASE, NULL);
        } else if (ch >= 0x80 && !x->said_nonascii) {
            x->said_nonascii = true;
            cable__diag(x, l->no, i + 1, CABLE_R_NONASCII, NULL);
        } else if (ch == '\t' && !x->said_double) {
            x->said_double = true;
            cable__diag(x, l->no, i + 1, CABLE_R_WS_DOUBLE, "a tab");
        }
    }
}

bool cable__is_ri(const char *p, size_t len)
{
    if (len < 4 || len > 7)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!cable__upper((unsigned char)p[i]))
            return false;
    return true;
}

bool cable__token(const char **pp, const char *end, sim_span_t *tok)
{
    const char *p = *pp;
    const char *s;
    while (p < end && cable__blank((unsigned char)*p))
        p++;
    if (p >= end) {
        *pp = p;
        return false;
    }
    s = p;
    while (p < end && !cable__blank((unsigned char)*p))
        p++;
    *tok = sim_span(s, (size_t)(p - s));
    *pp = p;
    return true;
}

int32_t cable__digits(const char *p, size_t n)
{
    int32_t v = 0;
    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!cable__digit((unsigned char)p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

void cable__push_span(sim_arena_t *a, cable_span_list_t *l, sim_span_t s)
{
    l->v = sim_arena_grow(a, l->v, &l->cap, l->n + 1, sizeof(*l->v));
    l->v[l->n++] = s;
}

cable_addr_t *cable__push_addr(sim_arena_t *a, cable_addr_list_t *l)
{
    cable_addr_t *ad;
    l->v = sim_arena_grow(a, l->v, &l->cap, l->n + 1, sizeof(*l->v));
    ad = &l->v[l->n++];
    memset(ad, 0, sizeof(*ad));
    ad->serial_lo = ad->serial_hi = -1;
    return ad;
}

sim_span_t cable__trim(sim_span_t s)
{
    while (s.len && cable__blank((unsigned char)s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && cable__blank((unsigned char)s.p[s.len - 1]))
        s.len--;
    return s;
}

int cable__month(const char *p)
{
    static const char names[] = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC";
    for (int i = 0; i < 12; i++)
        if (p[0] == names[i * 3] && p[1] == names[i * 3 + 1] && p[2] == names[i * 3 + 2])
            return i + 1;
    return 0;
}

bool cable__starts(const cable__line_t *l, const char *word)
{
    size_t n = strlen(word);
    return l->len >= n && memcmp(l->p, word, n) == 0;
}

/* A DTG line: one or two precedence-like capitals, then DDHHMMZ MON YY. */
bool cable__is_dtg_line(const cable__line_t *l)
{
    const char *p = l->p, *e = l->p + l->len;
    if (l->len < 14 || !cable__upper((unsigned char)p[0]) || p[1] != ' ')
        return false;
    p += 2;
    while (p < e && *p == ' ')
        p++;
    if (p + 1 < e && cable__upper((unsigned char)p[0]) && p[1] == ' ') {
        p += 2;
        while (p < e && *p == ' ')
            p++;
    }
    if (e - p < 14)
        return false;
    for (int i = 0; i < 6; i++)
        if (!cable__digit((unsigned char)p[i]))
            return false;
    return p[6] == 'Z' && p[7] == ' ' && cable__upper((unsigned char)p[8]) &&
           cable__upper((unsigned char)p[9]) && cable__upper((unsigned char)p[10]) &&
           p[11] == ' ' && cable__digit((unsigned char)p[12]) &&
           cable__digit((unsigned char)p[13]);
}
