/*
 * cable_header.c - the heading of a cable: format lines 1 to 9 (FL1
 * transmission identification, FL2 precedence and routing indicators, FL3 DE,
 * FL4 security and operating signals, FL5 DTG, FL6 FM, FL7-FL9 TO / INFO /
 * XMT). Lenient about order and debris as real traffic is: lines it cannot
 * place are reported as debris and skipped. Returns a mask of what it saw.
 */
#include "cable_int.h"

#include <stdio.h>

enum {
    ST_NONE = 0,
    ST_FL1  = 1,
    ST_FL2  = 2,
    ST_DE   = 3,
    ST_FL4  = 4,
    ST_DTG  = 5,
    ST_FM   = 6,
    ST_ADDR = 7,
};

static void parse_fl1(cable__ctx_t *x, const cable__line_t *l)
{
    cable_t    *c = x->c;
    const char *p = l->p + 5;
    uint32_t    n = l->len - 5, digits = 0;
    c->transmission_id = sim_span(l->p, l->len);
    if (n >= 3 && cable__upper((unsigned char)p[0]) && cable__upper((unsigned char)p[1]) &&
        cable__upper((unsigned char)p[2])) {
        c->channel = sim_span(p, 3);
        while (3 + digits < n && cable__digit((unsigned char)p[3 + digits]))
            digits++;
        if (digits >= 3 && digits <= 4 && 3 + digits == n) {
            c->csn = cable__digits(p + 3, digits);
            c->csn_digits = (uint8_t)digits;
            if (digits == 3)
                cable__diag(x, l->no, 9, CABLE_R_FL1_CSN_WIDTH, NULL);
            return;
        }
    }
    cable__diagf(x, l->no, 6, CABLE_R_FL1_MALFORMED, "'%.*s'", (int)SIM_MIN(l->len, 40u), l->p);
}

static bool is_fl2_line(const cable__line_t *l)
{
    return l->len >= 2 && cable__upper((unsigned char)l->p[0]) && l->p[1] == l->p[0] &&
           (l->len == 2 || l->p[2] == ' ');
}

static bool is_ri_line(const cable__line_t *l)
{
    const char *p = l->p, *e = l->p + l->len;
    sim_span_t  t;
    int         n = 0;
    while (cable__token(&p, e, &t)) {
        if (!cable__is_ri(t.p, t.len))
            return false;
        n++;
    }
    return n > 0;
}

static void parse_ris(cable__ctx_t *x, const cable__line_t *l, const char *p)
{
    const char *e = l->p + l->len;
    sim_span_t  t;
    while (cable__token(&p, e, &t)) {
        if (!cable__is_ri(t.p, t.len)) {
            cable__diagf(x, l->no, (uint32_t)(t.p - l->p) + 1, CABLE_R_FL2_RI, "'%.*s'",
                         (int)SIM_MIN(t.len, 40u), t.p);
            continue;
        }
        cable__push_span(&x->c->arena, &x->c->routing_indicators, t);
    }
}

static void parse_fl2(cable__ctx_t *x, const cable__line_t *l)
{
    cable_t *c = x->c;
    c->fl2_prosign = sim_span(l->p, 2);
    c->fl2_prec = cable_prec_from_letter((unsigned char)l->p[0]);
    if (c->fl2_prec == CABLE_PREC_NONE)
        cable__diagf(x, l->no, 1, CABLE_R_FL2_PROSIGN, "'%.2s'", l->p);
    parse_ris(x, l, l->p + 2);
}

static void parse_de(cable__ctx_t *x, const cable__line_t *l)
{
    cable_t    *c = x->c;
    const char *p = l->p + 3, *e = l->p + l->len;
    sim_span_t  t;
    if (!cable__token(&p, e, &t) || !cable__is_ri(t.p, t.len)) {
        cable__diag(x, l->no, 4, CABLE_R_DE_MALFORMED, "no originating station routing indicator");
        return;
    }
    c->origin_ri = t;
    if (!cable__token(&p, e, &t) || t.p[0] != '#') {
        cable__diag(x, l->no, (uint32_t)(p - l->p) + 1, CABLE_R_DE_MALFORMED,
                    "no '#' station serial number");
        return;
    }
    {
        const char *s = t.p + 1, *te = t.p + t.len, *slash = memchr(s, '/', (size_t)(te - s));
        const char *de = slash ? slash : te;
        int32_t     v = cable__digits(s, (size_t)(de - s));
        if (v < 0 || de - s < 3) {
            cable__diag(x, l->no, (uint32_t)(t.p - l->p) + 1, CABLE_R_DE_MALFORMED,
                        "station serial number is not 3 to 5 digits");
        } else {
            c->station_serial = v;
        }
        if (slash) {
            int32_t sec = cable__digits(slash + 1, (size_t)(te - slash - 1));
            if (sec <= 0 || sec > 999)
                cable__diag(x, l->no, (uint32_t)(slash - l->p) + 2, CABLE_R_DE_MALFORMED,
                            "section after '/' is not a number");
            else {
                c->section = (uint16_t)sec;
                c->de_has_section = true;
            }
        }
    }
    if (!cable__token(&p, e, &t)) {
        cable__diag(x, l->no, l->len + 1, CABLE_R_DE_MALFORMED, "no time of file (JJJHHMM)");
        return;
    }
    c->filed = t;
    if (t.len != 7 || cable__digits(t.p, 7) < 0) {
        cable__diag(x, l->no, (uint32_t)(t.p - l->p) + 1, CABLE_R_DE_MALFORMED,
                    "time of file is not seven digits JJJHHMM");
    } else {
        int jd = cable__digits(t.p, 3), hh = cable__digits(t.p + 3, 2), mm = cable__digits(t.p + 5, 2);
        if (jd < 1 || jd > 366 || hh > 23 || mm > 59)
            cable__diagf(x, l->no, (uint32_t)(t.p - l->p) + 1, CABLE_R_DE_FILED, "'%.7s'", t.p);
    }
    if (cable__token(&p, e, &t))
        cable__diagf(x, l->no, (uint32_t)(t.p - l->p) + 1, CABLE_R_DE_MALFORMED,
                     "unexpected '%.*s' after the time of file", (int)SIM_MIN(t.len, 40u), t.p);
}

/* ZNR or ZNY, then a blank or the end of the line ("ZNYUEHC" is no
 * security warning: it reads as a routing indicator). */
static bool is_fl4_line(const cable__line_t *l)
{
    return (cable__starts(l, "ZNR") || cable__starts(l, "ZNY")) &&
           (l->len == 3 || cable__blank((unsigned char)l->p[3]));
}

static void parse_fl4(cable__ctx_t *x, const cable__line_t *l)
{
    cable_t    *c = x->c;
    const char *p = l->p + 3, *e = l->p + l->len;
    sim_span_t  t;
    const char *save = p;
    if (!cable__token(&p, e, &t) || t.p[0] == '(') {
        c->security = sim_span(l->p, 3);
        cable__diag(x, l->no, 5, CABLE_R_FL4_MALFORMED, "no classification letters");
        p = save;
    } else {
        bool ok = (t.len == 5 || (t.len == 11 && t.p[5] == '/'));
        for (uint32_t i = 0; ok && i < 5; i++)
            ok = cable__upper((unsigned char)t.p[i]);
        if (ok)
            ok = t.p[0] == t.p[1] && t.p[1] == t.p[2] && strchr("UECST", t.p[0]) != NULL;
        if (!ok)
            cable__diagf(x, l->no, (uint32_t)(t.p - l->p) + 1, CABLE_R_FL4_MALFORMED,
                         "'%.*s' is not five classification letters", (int)SIM_MIN(t.len, 20u),
                         t.p);
        c->security = sim_span(l->p, (size_t)(t.p + t.len - l->p));
    }
    cable__parse_signals(x, l, p, true);
}

static void parse_dtg(cable__ctx_t *x, const cable__line_t *l)
{
    cable_t    *c = x->c;
    const char *p = l->p, *e = l->p + l->len;
    int         day, hour, minute, month, yy, year;
    c->dtg_prec = cable_prec_from_letter((unsigned char)p[0]);
    c->dtg_info_prec = c->dtg_prec;
    if (c->dtg_prec == CABLE_PREC_NONE)
        cable__diagf(x, l->no, 1, CABLE_R_DTG_MALFORMED, "'%c' is not a precedence letter", p[0]);
    p += 2;
    while (p < e && *p == ' ')
        p++;
    if (p + 1 < e && cable__upper((unsigned char)p[0]) && p[1] == ' ') {
        c->dtg_info_prec = cable_prec_from_letter((unsigned char)p[0]);
        if (c->dtg_info_prec == CABLE_PREC_NONE) {
            cable__diagf(x, l->no, (uint32_t)(p - l->p) + 1, CABLE_R_DTG_MALFORMED,
                         "'%c' is not a precedence letter", p[0]);
            c->dtg_info_prec = c->dtg_prec;
        }
        p += 2;
        while (p < e && *p == ' ')
            p++;
    }
    day = cable__digits(p, 2);
    hour = cable__digits(p + 2, 2);
    minute = cable__digits(p + 4, 2);
    month = cable__month(p + 8);
    yy = cable__digits(p + 12, 2);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    if (!month || !cable_dtg_exists(year, month, day, hour, minute)) {
        cable__diagf(x, l->no, (uint32_t)(p - l->p) + 1, CABLE_R_DTG_INVALID, "'%.14s'", p);
    } else {
        c->dtg.year = (int16_t)year;
        c->dtg.month = (uint8_t)month;
        c->dtg.day = (uint8_t)day;
        c->dtg.hour = (uint8_t)hour;
        c->dtg.minute = (uint8_t)minute;
        c->dtg.valid = true;
    }
    p += 14;
    if (p < e && !cable__blank((unsigned char)*p)) {
        cable__diag(x, l->no, (uint32_t)(p - l->p) + 1, CABLE_R_DTG_MALFORMED,
                    "no blank after the year");
    }
    {
        sim_span_t rest = cable__trim(sim_span(p, (size_t)(e - p)));
        if (rest.len) {
            c->dtg_signals = rest;
            cable__parse_signals(x, l, rest.p, false);
        }
    }
}

/* The DTG line's letters must be precedence prosigns; a line of DTG shape
 * with another letter is no DTG line (and is reported). */
static bool dtg_letters_ok(const cable__line_t *l)
{
    const char *p = l->p + 2, *e = l->p + l->len;
    if (cable_prec_from_letter((unsigned char)l->p[0]) == CABLE_PREC_NONE)
        return false;
    while (p < e && *p == ' ')
        p++;
    if (p + 1 < e && cable__upper((unsigned char)p[0]) && p[1] == ' ')
        return cable_prec_from_letter((unsigned char)p[0]) != CABLE_PREC_NONE;
    return true;
}

static bool is_dtg(cable__ctx_t *x, const cable__line_t *l)
{
    if (!cable__is_dtg_line(l))
        return false;
    if (dtg_letters_ok(l))
        return true;
    cable__diagf(x, l->no, 1, CABLE_R_DTG_MALFORMED,
                 "'%.*s': the precedence letters must be Y, Z, O, P or R",
                 (int)SIM_MIN(l->len, 40u), l->p);
    return false;
}

bool cable__addr_line_ambiguous(sim_span_t pla)
{
    cable__line_t l;
    l.p = pla.p;
    l.len = l.raw = pla.len;
    return pla.len == 0 || sim_span_eq_str(pla, "BT") ||
           (pla.len >= 3 && memcmp(pla.p, "TO ", 3) == 0) ||
           (pla.len >= 5 && memcmp(pla.p, "INFO ", 5) == 0) ||
           (pla.len >= 4 && memcmp(pla.p, "XMT ", 4) == 0) ||
           (pla.len >= 6 && memcmp(pla.p, "PAGE ", 5) == 0 && cable__digit((unsigned char)pla.p[5])) ||
           cable__is_class_line_strong(&l);
}

/* A page-break stamp such as "PAGE 02  STATE 023763 071504Z". */
static bool is_page_debris(const char *p, const char *e)
{
    return e - p >= 7 && memcmp(p, "PAGE ", 5) == 0 && cable__digit((unsigned char)p[5]);
}

static bool line_is_blank(const cable__line_t *l)
{
    return l->len == 0;
}

/* The next non-blank line after l, or false at the end of input. */
static bool peek_nonblank(cable__ctx_t *x, const cable__line_t *l, cable__line_t *out)
{
    const char *p = l->next;
    uint32_t    no = l->no + 1;
    while (p < x->end) {
        cable__line_at(x, p, no, out);
        if (!line_is_blank(out))
            return true;
        p = out->next;
        no++;
    }
    return false;
}

static bool is_addr_start(const cable__line_t *l)
{
    return cable__starts(l, "TO ") || cable__starts(l, "INFO ") || cable__starts(l, "XMT ");
}

int cable__parse_header(cable__ctx_t *x, const char *start, uint32_t no, const char **text_start,
                        uint32_t *text_no)
{
    cable_t           *c = x->c;
    const char        *p = start;
    int                stage = ST_NONE, seen = 0;
    uint32_t           debris = 0, debris_line = 0, scanned = 0;
    bool               said_blank = false;
    cable_addr_list_t *list = NULL;
    bool               info = false;
    const uint32_t     start_no = no;
    cable__line_t      l;

    *text_start = x->end;
    *text_no = no;
    while (p < x->end) {
        cable__line_at(x, p, no, &l);
        if (stage == ST_NONE) {
            if (!line_is_blank(&l)) {
                if (l.len >= 5 && memcmp(l.p, "VZCZC", 5) == 0) {
                    cable__check_header_line(x, &l);
                    parse_fl1(x, &l);
                    stage = ST_FL1;
                    seen |= 1 << ST_FL1;
                } else if (is_dtg(x, &l)) {
                    cable__check_header_line(x, &l);
                    parse_dtg(x, &l);
                    stage = ST_DTG;
                    seen |= 1 << ST_DTG;
                } else {
                    if (!debris++)
                        debris_line = l.no;
                    if (++scanned > CABLE__HEADER_SCAN)
                        break;
                }
            }
            p = l.next;
            no++;
            continue;
        }
        if (line_is_blank(&l)) {
            cable__line_t nx;
            if (stage >= ST_FM) {
                if (peek_nonblank(x, &l, &nx) && is_addr_start(&nx)) {
                    if (!said_blank) {
                        said_blank = true;
                        cable__diag(x, l.no, 1, CABLE_R_HEADER_BLANK, NULL);
                    }
                    /* Go on at that address line: the run of blank lines
                     * is read once, not once per line. */
                    p = nx.p;
                    no = nx.no;
                    continue;
                } else {
                    *text_start = l.next;
                    *text_no = no + 1;
                    break;
                }
            } else if (!said_blank) {
                said_blank = true;
                cable__diag(x, l.no, 1, CABLE_R_HEADER_BLANK, NULL);
            }
            p = l.next;
            no++;
            continue;
        }
        if (l.len == 2 && l.p[0] == 'B' && l.p[1] == 'T') {
            c->has_bt = true;
            *text_start = l.next;
            *text_no = no + 1;
            break;
        }
        if (stage >= ST_FM && cable__is_class_line_strong(&l)) {
            *text_start = l.p;
            *text_no = no;
            break;
        }
        cable__check_header_line(x, &l);
        if (stage < ST_FL2 && is_fl2_line(&l)) {
            parse_fl2(x, &l);
            stage = ST_FL2;
            seen |= 1 << ST_FL2;
        } else if (stage == ST_FL2 && is_ri_line(&l)) {
            parse_ris(x, &l, l.p);
        } else if (stage < ST_DE && cable__starts(&l, "DE ")) {
            parse_de(x, &l);
            stage = ST_DE;
            seen |= 1 << ST_DE;
        } else if (stage < ST_FL4 && is_fl4_line(&l)) {
            parse_fl4(x, &l);
            stage = ST_FL4;
            seen |= 1 << ST_FL4;
        } else if (stage < ST_DTG && is_dtg(x, &l)) {
            parse_dtg(x, &l);
            stage = ST_DTG;
            seen |= 1 << ST_DTG;
        } else if (stage < ST_FM && cable__starts(&l, "FM ")) {
            sim_span_t f = cable__trim(sim_span(l.p + 3, l.len - 3));
            c->from = f;
            if (!f.len)
                cable__diag(x, l.no, 4, CABLE_R_FM_MALFORMED, "no originator address");
            stage = ST_FM;
            seen |= 1 << ST_FM;
        } else if (stage >= ST_DTG && is_addr_start(&l)) {
            const char *a;
            if (l.p[0] == 'T') {
                list = &c->to, info = false, a = l.p + 3;
            } else if (l.p[0] == 'I') {
                list = &c->info, info = true, a = l.p + 5;
            } else {
                list = &c->xmt, info = false, a = l.p + 4;
            }
            while (a < l.p + l.len && *a == ' ')
                a++;
            if (is_page_debris(a, l.p + l.len))
                cable__diag(x, l.no, (uint32_t)(a - l.p) + 1, CABLE_R_DEBRIS, "page-break stamp");
            else
                cable__parse_addr(x, &l, a, list, info);
            stage = ST_ADDR;
            seen |= 1 << ST_ADDR;
        } else if (is_page_debris(l.p, l.p + l.len)) {
            cable__diag(x, l.no, 1, CABLE_R_DEBRIS, "page-break stamp");
        } else if (stage == ST_ADDR && list) {
            cable__parse_addr(x, &l, l.p, list, info);
        } else {
            cable__diagf(x, l.no, 1, CABLE_R_DEBRIS, "'%.*s' in the heading",
                         (int)SIM_MIN(l.len, 40u), l.p);
        }
        p = l.next;
        no++;
    }
    if (debris)
        cable__diagf(x, debris_line, 1, CABLE_R_DEBRIS, "%u line%s before the heading", debris,
                     debris == 1 ? "" : "s");
    if (stage == ST_NONE) {
        /* No heading at all: the whole input is text. */
        *text_start = start;
        *text_no = start_no;
        return 0;
    }
    return seen;
}
