/*
 * cable_parse.c - cable_parse(): checks the input as a whole (empty, binary,
 * UTF-8), runs the heading and text parsers, then the checks that need both
 * (precedence, classification against security, serial against cable
 * number, sections, trailer). Diagnostics come out sorted by position.
 */
#include "cable_int.h"

#include <stdio.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Position (line, col) of byte 'at' of the input. */
static void position(const cable__ctx_t *x, const char *at, uint32_t *line, uint32_t *col)
{
    const char *p = x->text, *ls = x->text;
    uint32_t    n = x->line0;
    while (p < at) {
        const char *nl = memchr(p, '\n', (size_t)(at - p));
        if (!nl)
            break;
        n++;
        p = nl + 1;
        ls = p;
    }
    *line = n;
    *col = (uint32_t)(at - ls) + 1;
}

/* Length of a valid UTF-8 sequence at p, 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *e)
{
    size_t   n;
    uint32_t cp;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        n = 2, cp = p[0] & 0x1Fu;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        n = 3, cp = p[0] & 0x0Fu;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        n = 4, cp = p[0] & 0x07u;
    else
        return 0;
    if ((size_t)(e - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

static bool is_control(unsigned char ch)
{
    return (ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t' && ch != '\f') || ch == 0x7f;
}

/* One pass over the whole input: the first control byte (NUL included) and
 * the first invalid UTF-8 sequence. Runs of plain printable ASCII are
 * skipped 16 bytes at a time with SSE2 (8 at a time without it). */
static void scan_bytes(const char *text, size_t len, const char **ctl, const char **bad_utf8)
{
    const unsigned char *p = (const unsigned char *)text, *e = p + len;
#ifndef __SSE2__
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
#endif
    *ctl = *bad_utf8 = NULL;
    while (p < e) {
#ifdef __SSE2__
        /* Sixteen bytes at a time: nothing below 0x20 but LF, CR, TAB, FF,
         * no DEL, nothing at or above 0x80. */
        if ((size_t)(e - p) >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            __m128i low = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)); /* also >= 0x80 (signed) */
            __m128i ok = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')),
                             _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))),
                _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')),
                             _mm_cmpeq_epi8(v, _mm_set1_epi8('\f'))));
            __m128i del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
            int     odd = _mm_movemask_epi8(_mm_or_si128(_mm_andnot_si128(ok, low), del));
            if (!odd) {
                p += 16;
                continue;
            }
            /* Jump to the first byte that needs a look. */
            p += __builtin_ctz((unsigned)odd);
        }
#else
        if ((size_t)(e - p) >= 8) {
            uint64_t w, low, hi;
            memcpy(&w, p, 8);
            low = (w - ones * 0x20) & ~w & highs; /* some byte < 0x20 */
            hi = ((w + ones) | w) & highs;        /* some byte >= 0x7f */
            if (!(low | hi)) {
                p += 8;
                continue;
            }
        }
#endif
        if (*p < 0x80) {
            if (!*ctl && is_control(*p))
                *ctl = (const char *)p;
            p++;
            continue;
        }
        {
            size_t n = utf8_seq(p, e);
            if (!n) {
                if (!*bad_utf8)
                    *bad_utf8 = (const char *)p;
                n = 1;
            }
            p += n;
        }
        if (*ctl && *bad_utf8)
            return;
    }
}

static int diag_cmp(const void *a, const void *b)
{
    const cable_diag_t *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return 0;
}

static cable_class_t security_class(sim_span_t sec)
{
    if (sec.len < 9)
        return CABLE_CLASS_NONE;
    switch (sec.p[4]) {
    case 'U':
    case 'E': return CABLE_CLASS_UNCLASSIFIED;
    case 'C': return CABLE_CLASS_CONFIDENTIAL;
    case 'S': return CABLE_CLASS_SECRET;
    case 'T': return CABLE_CLASS_TOP_SECRET;
    default: return CABLE_CLASS_NONE;
    }
}

static bool has_niact(const cable_t *c)
{
    for (uint32_t i = 0; i < c->to.n; i++)
        if (c->to.v[i].niact)
            return true;
    return false;
}

/* Paragraph 1 of a NIACT cable must say why: look for "NIACT" in the text
 * before paragraph 2. */
static bool niact_justified(const cable_t *c)
{
    const char *p = c->text.p, *e = c->text.p + c->text.len;
    const char *stop = e;
    for (const char *q = p; q + 3 < e; q++) {
        q = memchr(q, '\n', (size_t)(e - q));
        if (!q || q + 3 >= e)
            break;
        if (q[1] == '2' && q[2] == '.') {
            stop = q;
            break;
        }
    }
    for (const char *q = p; q + 5 <= stop; q++) {
        q = memchr(q, 'N', (size_t)(stop - q));
        if (!q || q + 5 > stop)
            break;
        if (memcmp(q, "NIACT", 5) == 0)
            return true;
    }
    return false;
}

/* The time of file (Julian JJJHHMM) should be the DTG's, or up to an hour
 * later; it is compared in minutes of the year, across a year's end. */
static void filed_check(cable__ctx_t *x)
{
    cable_t    *c = x->c;
    cable_dtg_t jan1;
    int64_t     dtg_min, filed_min, diff, year_min;
    int32_t     jd, hh, mm;
    if (!c->dtg.valid || c->filed.len != 7)
        return;
    jd = cable__digits(c->filed.p, 3);
    hh = cable__digits(c->filed.p + 3, 2);
    mm = cable__digits(c->filed.p + 5, 2);
    if (jd < 1 || jd > 366 || hh < 0 || hh > 23 || mm < 0 || mm > 59)
        return; /* already reported */
    jan1 = c->dtg;
    jan1.month = 1;
    jan1.day = 1;
    jan1.hour = 0;
    jan1.minute = 0;
    dtg_min = (cable_dtg_epoch(&c->dtg) - cable_dtg_epoch(&jan1)) / 60;
    filed_min = ((int64_t)(jd - 1) * 24 + hh) * 60 + mm;
    year_min = 366 * 24 * 60;
    diff = filed_min - dtg_min;
    if (diff < -year_min / 2)
        diff += year_min;
    else if (diff > year_min / 2)
        diff -= year_min;
    if (diff < -60 || diff > 60)
        cable__diagf(x, c->first_line, 1, CABLE_R_DE_FILED,
                     "time of file %.7s is %lld minutes from the DTG", c->filed.p,
                     (long long)diff);
}

static void cross_checks(cable__ctx_t *x, int seen)
{
    cable_t     *c = x->c;
    uint32_t     l0 = c->first_line;
    cable_prec_t hi;

    if (!(seen & (1 << 1)))
        cable__diag(x, l0, 1, CABLE_R_FL1_MISSING, NULL);
    else {
        if (!(seen & (1 << 2)))
            cable__diag(x, l0, 1, CABLE_R_FL2_MISSING, NULL);
        if (!(seen & (1 << 4)))
            cable__diag(x, l0, 1, CABLE_R_FL4_MISSING, NULL);
    }
    if (!(seen & (1 << 3)))
        cable__diag(x, l0, 1, CABLE_R_DE_MISSING, NULL);
    if (!(seen & (1 << 5)))
        cable__diag(x, l0, 1, CABLE_R_DTG_MISSING, NULL);
    if (!(seen & (1 << 6)))
        cable__diag(x, l0, 1, CABLE_R_FM_MISSING, NULL);
    if (c->to.n == 0 && c->info.n == 0)
        cable__diag(x, l0, 1, CABLE_R_ADDR_MISSING, NULL);
    hi = cable_precedence(c);
    if (hi == CABLE_PREC_NONE)
        cable__diag(x, l0, 1, CABLE_R_PREC_MISSING, NULL);
    if (!seen)
        return;
    if (c->text.len == 0) {
        cable__diag(x, c->text_line ? c->text_line : l0, 1, CABLE_R_TEXT_MISSING, NULL);
        return;
    }
    if (c->fl2_prec != CABLE_PREC_NONE && c->fl2_prec < hi)
        cable__diagf(x, l0, 1, CABLE_R_FL2_NOT_HIGHEST, "%s on format line 2, %s in the message",
                     cable_prec_word(c->fl2_prec), cable_prec_word(hi));
    else if (c->fl2_prec != CABLE_PREC_NONE && c->dtg_prec != CABLE_PREC_NONE &&
             c->fl2_prec != SIM_MAX(c->dtg_prec, c->dtg_info_prec))
        cable__diagf(x, l0, 1, CABLE_R_DTG_PREC, "%s on format line 2, %s on the DTG line",
                     cable_prec_word(c->fl2_prec),
                     cable_prec_word(SIM_MAX(c->dtg_prec, c->dtg_info_prec)));
    filed_check(x);
    if (!c->has_bt)
        cable__diag(x, c->text_line, 1, CABLE_R_BT_MISSING, NULL);
    if (!c->has_trailer)
        cable__diag(x, c->text_line, 1, CABLE_R_TRAILER_MISSING, NULL);
    else if (c->trailer_ssn >= 0 && c->station_serial >= 0 &&
             c->trailer_ssn % 10000 != c->station_serial % 10000)
        cable__diagf(x, c->text_line, 1, CABLE_R_TRAILER_SSN, "#%04d after the text, #%04d on DE",
                     c->trailer_ssn % 10000, c->station_serial % 10000);
    {
        cable_class_t sc = security_class(c->security);
        if (sc != CABLE_CLASS_NONE && c->classification != CABLE_CLASS_NONE &&
            sc != c->classification)
            cable__diagf(x, c->text_line, 1, CABLE_R_CLASS_MISMATCH, "%.*s against %s",
                         (int)c->security.len, c->security.p, cable_class_word(c->classification));
    }
    if (c->station_serial >= 0 && c->cable_number >= 0 &&
        c->station_serial % 10000 != c->cable_number % 10000)
        cable__diagf(x, c->text_line, 1, CABLE_R_SERIAL_MISMATCH, "#%04d against %06d",
                     c->station_serial % 10000, c->cable_number % 1000000);
    if (has_niact(c) && c->section <= 1 && !niact_justified(c)) /* paragraph 1 is in section 1 */
        cable__diag(x, c->text_line, 1, CABLE_R_NIACT_JUSTIFY, NULL);
}

int cable_parse(cable_t *c, const char *text, size_t len, const cable_parse_opts_t *opts)
{
    cable__ctx_t x;
    const char  *p, *text_start;
    uint32_t     text_no;
    int          seen;

    cable_reset(c);
    memset(&x, 0, sizeof(x));
    x.c = c;
    x.text = text ? text : "";
    x.end = x.text + (text ? len : 0);
    x.strict = opts && opts->strict;
    x.line0 = opts && opts->first_line ? opts->first_line : 1;
    c->file = opts ? opts->file : NULL;
    c->first_line = x.line0;

    for (p = x.text; p < x.end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'); p++)
        ;
    if (p >= x.end) {
        cable__diag(&x, x.line0, 1, CABLE_R_INPUT_EMPTY, NULL);
        return SIM_EPARSE;
    }
    {
        const char *ctl, *bad;
        scan_bytes(x.text, len, &ctl, &bad);
        if (ctl) {
            uint32_t line, col;
            position(&x, ctl, &line, &col);
            cable__diagf(&x, line, col, CABLE_R_INPUT_BINARY, "byte 0x%02x",
                         (unsigned)(unsigned char)*ctl);
        }
        if (bad) {
            uint32_t line, col;
            position(&x, bad, &line, &col);
            cable__diagf(&x, line, col, CABLE_R_UTF8, "byte 0x%02x", (unsigned)(unsigned char)*bad);
        }
    }

    if (opts && opts->split_guessed)
        cable__diag(&x, x.line0, 1, CABLE_R_SPLIT_GUESSED, NULL);
    seen = cable__parse_header(&x, x.text, x.line0, &text_start, &text_no);
    c->text_line = text_no;
    cable__parse_text(&x, text_start, text_no);
    cross_checks(&x, seen);
    if (c->diags.n > 1)
        qsort(c->diags.v, c->diags.n, sizeof(*c->diags.v), diag_cmp);
    return c->n_errors ? SIM_EPARSE : 0;
}
