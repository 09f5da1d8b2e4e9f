/*
 * cable_addr.c - addressee lines (TO / INFO / XMT: [RI/]PLA [precedence]
 * [MCN]) and operating signals (FL4 and after the DTG: Z groups and
 * parenthetical control strings such as (CCY ...)).
 */
#include "cable_int.h"

#include <stdio.h>

static const char *const prec_suffixes[] = {
    "NIACT IMMEDIATE", "IMMEDIATE", "PRIORITY", "ROUTINE", "FLASH", "EMERGENCY COMMAND",
};

static bool is_serial(sim_span_t t, int32_t *lo, int32_t *hi)
{
    if (t.len == 4) {
        *lo = *hi = cable__digits(t.p, 4);
        return *lo >= 0;
    }
    if (t.len == 9 && t.p[4] == '-') {
        *lo = cable__digits(t.p, 4);
        *hi = cable__digits(t.p + 5, 4);
        return *lo >= 0 && *hi >= 0;
    }
    return false;
}

/* Does 's' end with " word" (or equal word)? Then shorten it. */
static bool take_suffix(sim_span_t *s, const char *word, sim_span_t *out)
{
    size_t n = strlen(word);
    if (s->len < n || memcmp(s->p + s->len - n, word, n) != 0)
        return false;
    if (s->len > n && !cable__blank((unsigned char)s->p[s->len - n - 1]))
        return false;
    *out = sim_span(s->p + s->len - n, n);
    s->len -= (uint32_t)n;
    *s = cable__trim(*s);
    return true;
}

void cable__parse_addr(cable__ctx_t *x, const cable__line_t *l, const char *p,
                       cable_addr_list_t *list, bool info)
{
    cable_t      *c = x->c;
    sim_span_t    s = cable__trim(sim_span(p, (size_t)(l->p + l->len - p)));
    cable_addr_t *ad;
    const char   *slash;
    bool          xmt = list == &c->xmt;

    if (!s.len)
        return;
    ad = cable__push_addr(&c->arena, list);
    ad->line = l->no;
    slash = memchr(s.p, '/', SIM_MIN(s.len, 8u));
    if (slash) {
        sim_span_t pre = sim_span(s.p, (size_t)(slash - s.p));
        if (sim_span_eq_str(pre, "ZEN")) {
            ad->zen = true;
            ad->ri = pre;
            s = cable__trim(sim_span(slash + 1, (size_t)(s.p + s.len - slash - 1)));
        } else if (cable__is_ri(pre.p, pre.len)) {
            ad->ri = pre;
            s = cable__trim(sim_span(slash + 1, (size_t)(s.p + s.len - slash - 1)));
        } else {
            slash = NULL;
        }
    }
    if (!slash && !xmt)
        cable__diag(x, l->no, (uint32_t)(s.p - l->p) + 1, CABLE_R_ADDR_NO_RI, NULL);

    /* From the end: the message continuity number, then the precedence word. */
    if (s.len) {
        const char *q = s.p + s.len;
        while (q > s.p && !cable__blank((unsigned char)q[-1]))
            q--;
        if (q > s.p) {
            sim_span_t last = sim_span(q, (size_t)(s.p + s.len - q));
            if (is_serial(last, &ad->serial_lo, &ad->serial_hi)) {
                ad->serial = last;
                s = cable__trim(sim_span(s.p, (size_t)(q - s.p)));
            } else {
                ad->serial_lo = ad->serial_hi = -1;
            }
        }
    }
    for (size_t i = 0; i < SIM_ARRAY_LEN(prec_suffixes); i++) {
        sim_span_t w;
        if (s.len > strlen(prec_suffixes[i]) && take_suffix(&s, prec_suffixes[i], &w)) {
            ad->prec_word = w;
            ad->prec = cable_prec_from_word(w.p, w.len);
            ad->niact = i == 0;
            break;
        }
    }
    /* A lone NIACT before a precedence word already taken ("NIACT  IMMEDIATE"). */
    if (ad->prec != CABLE_PREC_NONE && !ad->niact) {
        sim_span_t w;
        if (s.len > 5 && take_suffix(&s, "NIACT", &w)) {
            ad->prec_word = sim_span(w.p, (size_t)(ad->prec_word.p + ad->prec_word.len - w.p));
            ad->niact = true;
        }
    }
    ad->pla = s;
    if (!s.len)
        cable__diag(x, l->no, (uint32_t)(p - l->p) + 1, CABLE_R_ADDR_MALFORMED,
                    "no plain-language address");
    if (ad->niact && info)
        cable__diag(x, l->no, (uint32_t)(ad->prec_word.p - l->p) + 1, CABLE_R_NIACT_INFO, NULL);
}

static bool is_zgroup(sim_span_t t)
{
    if (t.len < 3 || t.len > 4 || t.p[0] != 'Z' || !cable__upper((unsigned char)t.p[1]) ||
        !cable__upper((unsigned char)t.p[2]))
        return false;
    return t.len == 3 || cable__digit((unsigned char)t.p[3]);
}

static bool known_signal(sim_span_t t)
{
    static const char *const known[] = {"ZZH", "ZZK", "ZDK", "ZDS", "ZFD", "ZFR", "ZUI", "ZEL",
                                        "ZOJ", "ZOC", "ZEX", "ZFF", "ZEN", "ZDF", "ZYB"};
    sim_span_t base = sim_span(t.p, SIM_MIN(t.len, 3u));
    for (size_t i = 0; i < SIM_ARRAY_LEN(known); i++)
        if (sim_span_eq_str(base, known[i]))
            return true;
    return false;
}

void cable__parse_signals(cable__ctx_t *x, const cable__line_t *l, const char *p, bool fl4)
{
    cable_t    *c = x->c;
    const char *e = l->p + l->len;
    while (p < e) {
        const char *s;
        while (p < e && cable__blank((unsigned char)*p))
            p++;
        if (p >= e)
            break;
        s = p;
        if (*p == '(') {
            const char *close = memchr(p, ')', (size_t)(e - p));
            sim_span_t  ctl;
            p = close ? close + 1 : e;
            ctl = sim_span(s, (size_t)(p - s));
            cable__push_span(&c->arena, &c->controls, ctl);
            if (fl4)
                c->fl4_controls++;
            if (ctl.len >= 4 && memcmp(ctl.p + 1, "CCY", 3) == 0)
                c->corrected_copy = true;
            if (!close)
                cable__diag(x, l->no, (uint32_t)(s - l->p) + 1, CABLE_R_SIGNAL_UNKNOWN,
                            "control string without ')'");
            continue;
        }
        while (p < e && !cable__blank((unsigned char)*p) && *p != '(')
            p++;
        {
            sim_span_t t = sim_span(s, (size_t)(p - s));
            /* "//ZEL//" */
            while (t.len && t.p[0] == '/') {
                t.p++;
                t.len--;
            }
            while (t.len && t.p[t.len - 1] == '/')
                t.len--;
            if (is_zgroup(t)) {
                cable__push_span(&c->arena, &c->signals, t);
                if (fl4)
                    c->fl4_signals++;
                if (!known_signal(t))
                    cable__diagf(x, l->no, (uint32_t)(t.p - l->p) + 1, CABLE_R_SIGNAL_UNKNOWN,
                                 "'%.*s'", (int)t.len, t.p);
            } else if (fl4 && t.len) {
                if (sim_span_eq_str(t, "CCY"))
                    c->corrected_copy = true;
                cable__push_span(&c->arena, &c->signals, t);
                c->fl4_signals++;
                cable__diagf(x, l->no, (uint32_t)(s - l->p) + 1, CABLE_R_SIGNAL_UNKNOWN,
                             "'%.*s' is not an operating signal", (int)SIM_MIN(t.len, 40u), t.p);
            }
            /* After the DTG, words that are not Z groups are a signal's
             * arguments (ZDK CTG NUMEROUS SERVICES); they stay in dtg_signals. */
        }
    }
}
