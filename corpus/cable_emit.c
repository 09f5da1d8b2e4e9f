/*
 * cable_emit.c - the canonical ACP 127 text of a cable model: format lines
 * 1-9, BT, the text as it is, BT, the validation line #SSN and NNNN. What is
 * absent from the model is not written (a cable without a DE line has none),
 * so that parsing the result gives the same fields back.
 */
#include "cable.h"
#include "cable_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define EMIT_WIDTH 69

typedef struct obuf {
    char  *p;
    size_t len, cap;
    bool   count_only; /* measure, write nothing */
} obuf_t;

static void ob_put(obuf_t *b, const char *s, size_t n)
{
    if (b->count_only) {
        b->len += n;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (b->len + n + 1 > cap)
            cap *= 2;
        b->p = sim_xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void ob_str(obuf_t *b, const char *s)
{
    ob_put(b, s, strlen(s));
}

static void ob_span(obuf_t *b, sim_span_t s)
{
    if (s.len)
        ob_put(b, s.p, s.len);
}

static void ob_fmt(obuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ob_fmt(obuf_t *b, const char *fmt, ...)
{
    char    tmp[64];
    va_list ap;
    int     n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        ob_put(b, tmp, (size_t)SIM_MIN((size_t)n, sizeof(tmp) - 1));
}

static void emit_addrs(obuf_t *b, const char *word, const cable_addr_list_t *l)
{
    for (uint32_t i = 0; i < l->n; i++) {
        const cable_addr_t *a = &l->v[i];
        /* Continuation lines go without the keyword, unless the address
         * would then read as something else. */
        if (i == 0 || (!a->ri.len && cable__addr_line_ambiguous(a->pla))) {
            ob_str(b, word);
            ob_str(b, " ");
        }
        if (a->ri.len) {
            ob_span(b, a->ri);
            ob_str(b, "/");
        }
        ob_span(b, a->pla);
        if (a->prec_word.len) {
            ob_str(b, " ");
            ob_span(b, a->prec_word);
        }
        if (a->serial.len) {
            ob_str(b, " ");
            ob_span(b, a->serial);
        }
        ob_str(b, "\n");
    }
}

static void emit(const cable_t *c, obuf_t *out);

char *cable_emit(const cable_t *c, size_t *len_out)
{
    obuf_t b = {0};
    emit(c, &b);
    if (len_out)
        *len_out = b.len;
    return b.p;
}

size_t cable_emit_len(const cable_t *c)
{
    obuf_t b = {0};
    b.count_only = true;
    emit(c, &b);
    return b.len;
}

static void emit(const cable_t *c, obuf_t *out)
{
    obuf_t b = *out;

    /* FL1 */
    if (c->transmission_id.len) {
        ob_span(&b, c->transmission_id);
        ob_str(&b, "\n");
    } else if (c->channel.len == 3 && c->csn >= 0) {
        ob_str(&b, "VZCZC");
        ob_span(&b, c->channel);
        ob_fmt(&b, "%04d\n", c->csn % 10000);
    }
    /* FL2: prosign and routing indicators, wrapped on RI-only lines. */
    if (c->fl2_prosign.len || c->routing_indicators.n) {
        size_t col;
        if (c->fl2_prosign.len)
            ob_span(&b, c->fl2_prosign);
        else {
            char pp[2] = {cable_prec_letter(cable_precedence(c)), 0};
            pp[1] = pp[0];
            ob_put(&b, pp, 2);
        }
        col = 2;
        for (uint32_t i = 0; i < c->routing_indicators.n; i++) {
            sim_span_t ri = c->routing_indicators.v[i];
            if (col + 1 + ri.len > EMIT_WIDTH && col > 2) {
                ob_str(&b, "\n");
                col = 0;
            } else {
                ob_str(&b, " ");
                col++;
            }
            ob_span(&b, ri);
            col += ri.len;
        }
        ob_str(&b, "\n");
    }
    /* FL3 */
    if (c->origin_ri.len) {
        ob_str(&b, "DE ");
        ob_span(&b, c->origin_ri);
        if (c->station_serial >= 0) {
            ob_fmt(&b, " #%04d", c->station_serial);
            if (c->de_has_section)
                ob_fmt(&b, "/%02u", (unsigned)c->section);
            if (c->filed.len) {
                ob_str(&b, " ");
                ob_span(&b, c->filed);
            }
        }
        ob_str(&b, "\n");
    }
    /* FL4 */
    if (c->security.len) {
        ob_span(&b, c->security);
        for (uint32_t i = 0; i < c->fl4_signals && i < c->signals.n; i++) {
            ob_str(&b, " ");
            ob_span(&b, c->signals.v[i]);
        }
        for (uint32_t i = 0; i < c->fl4_controls && i < c->controls.n; i++) {
            ob_str(&b, " ");
            ob_span(&b, c->controls.v[i]);
        }
        ob_str(&b, "\n");
    }
    /* FL5 */
    if (c->dtg.valid) {
        char dtg[15];
        cable_dtg_text(&c->dtg, dtg);
        ob_fmt(&b, "%c ", cable_prec_letter(c->dtg_prec));
        if (c->dtg_info_prec != c->dtg_prec && c->dtg_info_prec != CABLE_PREC_NONE)
            ob_fmt(&b, "%c ", cable_prec_letter(c->dtg_info_prec));
        ob_str(&b, dtg);
        if (c->dtg_signals.len) {
            ob_str(&b, " ");
            ob_span(&b, c->dtg_signals);
        }
        ob_str(&b, "\n");
    }
    if (c->from.len) {
        ob_str(&b, "FM ");
        ob_span(&b, c->from);
        ob_str(&b, "\n");
    }
    emit_addrs(&b, "TO", &c->to);
    emit_addrs(&b, "INFO", &c->info);
    emit_addrs(&b, "XMT", &c->xmt);
    ob_str(&b, "BT\n");
    if (c->text.len) {
        ob_span(&b, c->text);
        ob_str(&b, "\n");
    }
    ob_str(&b, "BT\n");
    if (c->station_serial >= 0)
        ob_fmt(&b, "#%04d\n", c->station_serial % 10000);
    else if (c->cable_number >= 0)
        ob_fmt(&b, "#%04d\n", c->cable_number % 10000);
    ob_str(&b, "NNNN\n");
    *out = b;
}
