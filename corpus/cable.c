/*
 * cable.c - the cable model: precedence and classification words, date-time
 * groups, identities, comparing and copying cables.
 */
#include "cable.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const prec_words[CABLE_PREC_COUNT] = {
    NULL, "ROUTINE", "PRIORITY", "IMMEDIATE", "FLASH", "EMERGENCY COMMAND",
};
static const char prec_letters[CABLE_PREC_COUNT] = {'?', 'R', 'P', 'O', 'Z', 'Y'};
static const int64_t prec_objectives[CABLE_PREC_COUNT] = {
    6 * 3600, 6 * 3600, 3 * 3600, 30 * 60, 10 * 60, 10 * 60,
};

const char *cable_prec_word(cable_prec_t p)
{
    return (unsigned)p < CABLE_PREC_COUNT ? prec_words[p] : NULL;
}

char cable_prec_letter(cable_prec_t p)
{
    return (unsigned)p < CABLE_PREC_COUNT ? prec_letters[p] : '?';
}

cable_prec_t cable_prec_from_letter(int ch)
{
    switch (ch) {
    case 'R': return CABLE_PREC_R;
    case 'P': return CABLE_PREC_P;
    case 'O': return CABLE_PREC_O;
    case 'Z': return CABLE_PREC_Z;
    case 'Y': return CABLE_PREC_Y;
    default: return CABLE_PREC_NONE;
    }
}

cable_prec_t cable_prec_from_word(const char *p, size_t len)
{
    sim_span_t s = sim_span(p, len);
    if (sim_span_eq_str(s, "ROUTINE"))
        return CABLE_PREC_R;
    if (sim_span_eq_str(s, "PRIORITY"))
        return CABLE_PREC_P;
    if (sim_span_eq_str(s, "IMMEDIATE") || sim_span_eq_str(s, "NIACT IMMEDIATE") ||
        sim_span_eq_str(s, "NIACT"))
        return CABLE_PREC_O;
    if (sim_span_eq_str(s, "FLASH"))
        return CABLE_PREC_Z;
    if (sim_span_eq_str(s, "EMERGENCY COMMAND") || sim_span_eq_str(s, "ECP") ||
        sim_span_eq_str(s, "EMERGENCY COMMAND PRECEDENCE"))
        return CABLE_PREC_Y;
    return CABLE_PREC_NONE;
}

int64_t cable_prec_objective_s(cable_prec_t p)
{
    return (unsigned)p < CABLE_PREC_COUNT ? prec_objectives[p] : prec_objectives[0];
}

const char *cable_class_word(cable_class_t c)
{
    switch (c) {
    case CABLE_CLASS_UNCLASSIFIED: return "UNCLASSIFIED";
    case CABLE_CLASS_CONFIDENTIAL: return "CONFIDENTIAL";
    case CABLE_CLASS_SECRET: return "SECRET";
    case CABLE_CLASS_TOP_SECRET: return "TOP SECRET";
    default: return NULL;
    }
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t  era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int days_in_month(int year, int month)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return dm[month - 1];
}

bool cable_dtg_exists(int year, int month, int day, int hour, int minute)
{
    if (month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59)
        return false;
    return day <= days_in_month(year, month);
}

int64_t cable_dtg_epoch(const cable_dtg_t *d)
{
    return days_from_civil(d->year, d->month, d->day) * 86400 + d->hour * 3600 + d->minute * 60;
}

cable_dtg_t cable_dtg_from_epoch(int64_t t)
{
    cable_dtg_t d;
    int64_t     z = (t >= 0 ? t : t - 86399) / 86400;
    int64_t     secs = t - z * 86400;
    int64_t     era, y;
    unsigned    doe, yoe, doy, mp, dd, mm;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = (int64_t)yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    dd = doy - (153 * mp + 2) / 5 + 1;
    mm = mp < 10 ? mp + 3 : mp - 9;
    d.year = (int16_t)(y + (mm <= 2));
    d.month = (uint8_t)mm;
    d.day = (uint8_t)dd;
    d.hour = (uint8_t)(secs / 3600);
    d.minute = (uint8_t)((secs % 3600) / 60);
    d.valid = true;
    return d;
}

static const char *const month_names[12] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

void cable_dtg_iso(const cable_dtg_t *d, char buf[21])
{
    snprintf(buf, 21, "%04u-%02u-%02uT%02u:%02u:00Z", (unsigned)d->year % 10000u,
             d->month % 13u, d->day % 32u, d->hour % 24u, d->minute % 60u);
}

/* v in at least 'min' decimal digits at o; returns the end. */
static char *put_dec(char *o, unsigned v, int min)
{
    char t[10];
    int  n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < min)
        t[n++] = '0';
    while (n)
        *o++ = t[--n];
    return o;
}

/* Identities and DTGs are formatted for every cable a router takes, so by
 * hand rather than with snprintf (which was a twentieth of its time). */
void cable_dtg_text(const cable_dtg_t *d, char buf[15])
{
    const char *mon = d->month >= 1 && d->month <= 12 ? month_names[d->month - 1] : "???";
    char       *o = buf;
    o = put_dec(o, d->day % 32u, 2);
    o = put_dec(o, d->hour % 24u, 2);
    o = put_dec(o, d->minute % 60u, 2);
    *o++ = 'Z';
    *o++ = ' ';
    memcpy(o, mon, 3);
    o += 3;
    *o++ = ' ';
    o = put_dec(o, (unsigned)d->year % 100u, 2);
    *o = '\0';
}

cable_prec_t cable_precedence(const cable_t *c)
{
    cable_prec_t p = SIM_MAX(c->fl2_prec, SIM_MAX(c->dtg_prec, c->dtg_info_prec));
    for (uint32_t i = 0; i < c->to.n; i++)
        p = SIM_MAX(p, c->to.v[i].prec);
    for (uint32_t i = 0; i < c->info.n; i++)
        p = SIM_MAX(p, c->info.v[i].prec);
    return p;
}

cable_prec_t cable_info_precedence(const cable_t *c)
{
    if (c->dtg_info_prec != CABLE_PREC_NONE)
        return c->dtg_info_prec;
    return cable_precedence(c);
}

cable_prec_t cable_addr_precedence(const cable_t *c, const cable_addr_t *a, bool info)
{
    if (a->prec != CABLE_PREC_NONE)
        return a->prec;
    if (info && c->dtg_info_prec != CABLE_PREC_NONE)
        return c->dtg_info_prec;
    if (c->dtg_prec != CABLE_PREC_NONE)
        return c->dtg_prec;
    return cable_precedence(c);
}

int32_t cable_serial(const cable_t *c)
{
    if (c->station_serial >= 0)
        return c->station_serial % 10000;
    if (c->cable_number >= 0)
        return c->cable_number % 10000;
    return -1;
}

size_t cable_id(const cable_t *c, char *buf, size_t size)
{
    char    tail[40], *o = tail; /* "#0352/01 071302Z MAY 07" */
    int32_t serial = cable_serial(c);
    size_t  rl = c->origin_ri.len ? c->origin_ri.len : 1, tl, n;
    *o++ = '#';
    if (serial >= 0)
        o = put_dec(o, (unsigned)serial, 4);
    else
        *o++ = '?';
    *o++ = '/';
    o = put_dec(o, c->section, 2);
    *o++ = ' ';
    if (c->dtg.valid) {
        cable_dtg_text(&c->dtg, o);
        o += strlen(o);
    } else {
        *o++ = '?';
    }
    tl = (size_t)(o - tail);
    /* As snprintf: the whole length returned, what fits written. */
    if (size) {
        n = SIM_MIN(rl, size - 1);
        memcpy(buf, c->origin_ri.len ? c->origin_ri.p : "?", n);
        memcpy(buf + n, tail, SIM_MIN(tl, size - 1 - n));
        buf[n + SIM_MIN(tl, size - 1 - n)] = '\0';
    }
    return rl + tl;
}

void cable_init(cable_t *c)
{
    memset(c, 0, sizeof(*c));
    sim_arena_init(&c->arena);
    cable_reset(c);
}

void cable_destroy(cable_t *c)
{
    sim_arena_destroy(&c->arena);
    memset(c, 0, sizeof(*c));
}

void cable_reset(cable_t *c)
{
    sim_arena_t a = c->arena;
    sim_arena_reset(&a);
    memset(c, 0, sizeof(*c));
    c->arena = a;
    c->csn = -1;
    c->station_serial = -1;
    c->section = 1;
    c->sections = 1;
    c->cable_number = -1;
    c->trailer_ssn = -1;
}

/* --- comparing ---------------------------------------------------------- */

static bool addr_eq(const cable_addr_t *a, const cable_addr_t *b)
{
    return sim_span_eq(a->ri, b->ri) && sim_span_eq(a->pla, b->pla) &&
           sim_span_eq(a->prec_word, b->prec_word) && sim_span_eq(a->serial, b->serial) &&
           a->serial_lo == b->serial_lo && a->serial_hi == b->serial_hi && a->prec == b->prec &&
           a->niact == b->niact && a->zen == b->zen;
}

static bool addrs_eq(const cable_addr_list_t *a, const cable_addr_list_t *b)
{
    if (a->n != b->n)
        return false;
    for (uint32_t i = 0; i < a->n; i++)
        if (!addr_eq(&a->v[i], &b->v[i]))
            return false;
    return true;
}

static bool spans_eq(const cable_span_list_t *a, const cable_span_list_t *b)
{
    if (a->n != b->n)
        return false;
    for (uint32_t i = 0; i < a->n; i++)
        if (!sim_span_eq(a->v[i], b->v[i]))
            return false;
    return true;
}

static bool dtg_eq(const cable_dtg_t *a, const cable_dtg_t *b)
{
    if (a->valid != b->valid)
        return false;
    return !a->valid || (a->year == b->year && a->month == b->month && a->day == b->day &&
                         a->hour == b->hour && a->minute == b->minute);
}

bool cable_fields_equal(const cable_t *a, const cable_t *b, const char **why)
{
#define CHECK(cond, name)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            if (why)                                                                               \
                *why = name;                                                                       \
            return false;                                                                          \
        }                                                                                          \
    } while (0)
    CHECK(sim_span_eq(a->transmission_id, b->transmission_id), "transmission_id");
    CHECK(sim_span_eq(a->channel, b->channel), "channel");
    CHECK(a->csn == b->csn, "csn");
    CHECK(a->fl2_prec == b->fl2_prec, "fl2_prec");
    CHECK(sim_span_eq(a->fl2_prosign, b->fl2_prosign), "fl2_prosign");
    CHECK(spans_eq(&a->routing_indicators, &b->routing_indicators), "routing_indicators");
    CHECK(sim_span_eq(a->origin_ri, b->origin_ri), "origin_ri");
    CHECK(a->station_serial == b->station_serial, "station_serial");
    CHECK(a->section == b->section, "section");
    CHECK(a->sections == b->sections, "sections");
    CHECK(a->de_has_section == b->de_has_section, "de_has_section");
    CHECK(sim_span_eq(a->filed, b->filed), "filed");
    CHECK(sim_span_eq(a->security, b->security), "security");
    CHECK(spans_eq(&a->signals, &b->signals), "signals");
    CHECK(spans_eq(&a->controls, &b->controls), "controls");
    CHECK(a->fl4_signals == b->fl4_signals, "fl4_signals");
    CHECK(a->fl4_controls == b->fl4_controls, "fl4_controls");
    CHECK(a->corrected_copy == b->corrected_copy, "corrected_copy");
    CHECK(a->dtg_prec == b->dtg_prec, "dtg_prec");
    CHECK(a->dtg_info_prec == b->dtg_info_prec, "dtg_info_prec");
    CHECK(dtg_eq(&a->dtg, &b->dtg), "dtg");
    CHECK(sim_span_eq(a->dtg_signals, b->dtg_signals), "dtg_signals");
    CHECK(sim_span_eq(a->from, b->from), "from");
    CHECK(addrs_eq(&a->to, &b->to), "to");
    CHECK(addrs_eq(&a->info, &b->info), "info");
    CHECK(addrs_eq(&a->xmt, &b->xmt), "xmt");
    CHECK(a->classification == b->classification, "classification");
    CHECK(sim_span_eq(a->classification_line, b->classification_line), "classification_line");
    CHECK(sim_span_eq(a->post, b->post), "post");
    CHECK(a->cable_number == b->cable_number, "cable_number");
    CHECK(spans_eq(&a->captions, &b->captions), "captions");
    CHECK(sim_span_eq(a->eo, b->eo), "eo");
    CHECK(spans_eq(&a->tags, &b->tags), "tags");
    CHECK(sim_span_eq(a->subject, b->subject), "subject");
    CHECK(sim_span_eq(a->ref, b->ref), "ref");
    CHECK(sim_span_eq(a->text, b->text), "text");
    CHECK(sim_span_eq(a->signature, b->signature), "signature");
    CHECK(a->body_bytes == b->body_bytes, "body_bytes");
#undef CHECK
    return true;
}

/* --- copying ------------------------------------------------------------ */

/* The copy of span s of cable src into dst: a span that lies within src's
 * text points to the same place of dst's text (copied already), so that a
 * copy keeps what its msgpack form writes as [offset, length] of the text;
 * anything else is copied into the arena. */
static sim_span_t copy_span(cable_t *dst, const cable_t *src, sim_span_t s)
{
    if (sim_span_within(src->text, s))
        return sim_span(dst->text.p + (s.p - src->text.p), s.len);
    return sim_arena_span(&dst->arena, s);
}

static void copy_spans(cable_t *dst, const cable_t *src, cable_span_list_t *d,
                       const cable_span_list_t *s)
{
    d->n = d->cap = 0;
    d->v = NULL;
    if (!s->n)
        return;
    d->v = sim_arena_alloc(&dst->arena, s->n * sizeof(*d->v));
    for (uint32_t i = 0; i < s->n; i++)
        d->v[i] = copy_span(dst, src, s->v[i]);
    d->n = d->cap = s->n;
}

static void copy_addrs(sim_arena_t *ar, cable_addr_list_t *d, const cable_addr_list_t *s)
{
    d->n = d->cap = 0;
    d->v = NULL;
    if (!s->n)
        return;
    d->v = sim_arena_alloc(ar, s->n * sizeof(*d->v));
    for (uint32_t i = 0; i < s->n; i++) {
        d->v[i] = s->v[i];
        d->v[i].ri = sim_arena_span(ar, s->v[i].ri);
        d->v[i].pla = sim_arena_span(ar, s->v[i].pla);
        d->v[i].prec_word = sim_arena_span(ar, s->v[i].prec_word);
        d->v[i].serial = sim_arena_span(ar, s->v[i].serial);
    }
    d->n = d->cap = s->n;
}

void cable_copy(cable_t *dst, const cable_t *src)
{
    sim_arena_t ar = dst->arena;
    sim_arena_reset(&ar);
    *dst = *src;
    dst->arena = ar;
    dst->text = sim_arena_span(&dst->arena, src->text); /* first: copy_span points into it */
#define S(f) dst->f = copy_span(dst, src, src->f)
    S(transmission_id);
    S(channel);
    S(fl2_prosign);
    S(origin_ri);
    S(filed);
    S(security);
    S(dtg_signals);
    S(from);
    S(classification_line);
    S(post);
    S(eo);
    S(subject);
    S(ref);
    S(signature);
#undef S
    copy_spans(dst, src, &dst->routing_indicators, &src->routing_indicators);
    copy_spans(dst, src, &dst->signals, &src->signals);
    copy_spans(dst, src, &dst->controls, &src->controls);
    copy_spans(dst, src, &dst->captions, &src->captions);
    copy_spans(dst, src, &dst->tags, &src->tags);
    copy_addrs(&dst->arena, &dst->to, &src->to);
    copy_addrs(&dst->arena, &dst->info, &src->info);
    copy_addrs(&dst->arena, &dst->xmt, &src->xmt);
    dst->diags.n = dst->diags.cap = 0;
    dst->diags.v = NULL;
    if (src->diags.n) {
        dst->diags.v = sim_arena_alloc(&dst->arena, src->diags.n * sizeof(cable_diag_t));
        for (uint32_t i = 0; i < src->diags.n; i++) {
            dst->diags.v[i] = src->diags.v[i];
            if (src->diags.v[i].detail)
                dst->diags.v[i].detail = sim_arena_strndup(&dst->arena, src->diags.v[i].detail,
                                                           strlen(src->diags.v[i].detail));
        }
        dst->diags.n = dst->diags.cap = src->diags.n;
    }
    dst->file = src->file;
}
