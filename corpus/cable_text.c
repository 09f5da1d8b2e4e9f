/*
 * cable_text.c - the text of a cable: the classification line (with SECTION
 * n OF m, post and cable number), handling captions, E.O., TAGS, SUBJECT and
 * REF, the signature, and the BT / #SSN / NNNN trailer. Only the first lines
 * of the text and its last lines are read: the body in between is a span, so
 * the cost does not grow with the length of the body.
 */
#include "cable_int.h"

#include <stdio.h>
#include <stdlib.h>

/* Classification keywords, spaces removed. */
static const struct {
    const char   *word;
    cable_class_t cls;
} class_words[] = {
    {"TOPSECRET", CABLE_CLASS_TOP_SECRET},       {"CONFIDENTIAL", CABLE_CLASS_CONFIDENTIAL},
    {"SECRET", CABLE_CLASS_SECRET},              {"UNCLASSIFIED", CABLE_CLASS_UNCLASSIFIED},
    {"UNCLAS", CABLE_CLASS_UNCLASSIFIED},        {"LIMITEDOFFICIALUSE", CABLE_CLASS_UNCLASSIFIED},
};

static int upcase(int ch)
{
    return ch >= 'a' && ch <= 'z' ? ch - 32 : ch;
}

/* Matches a classification word at the start of [p, e), letters optionally
 * separated by single spaces, case-insensitive, allowing the first letter to
 * be doubled ("CC O N F ..."). Returns the bytes consumed, 0 when none. */
static size_t class_match(const char *p, const char *e, cable_class_t *cls, bool *odd)
{
    for (size_t k = 0; k < SIM_ARRAY_LEN(class_words); k++) {
        const char *w = class_words[k].word, *q = p;
        bool        spaced = false, unspaced = false, doubled = false, lower = false;
        size_t      i = 0, wl = strlen(w);
        if (e - q >= 2 && upcase(q[0]) == w[0] && upcase(q[1]) == w[0] && w[1] != w[0]) {
            q++;
            doubled = true;
        }
        while (i < wl && q < e) {
            if (upcase((unsigned char)*q) != w[i])
                break;
            if (*q != w[i])
                lower = true;
            q++;
            i++;
            if (i < wl && q + 1 < e && *q == ' ' && upcase((unsigned char)q[1]) == w[i]) {
                q++;
                spaced = true;
            } else if (i < wl) {
                unspaced = true;
            }
        }
        if (i != wl)
            continue;
        if (q < e && cable__upper(upcase((unsigned char)*q)) && !(spaced && *q != ' '))
            continue; /* "SECRETARY" */
        if (q < e && cable__upper(upcase((unsigned char)*q)))
            continue;
        *cls = class_words[k].cls;
        /* Canonical: UNCLAS / UNCLASSIFIED unspaced, the others spaced out. */
        if (class_words[k].cls == CABLE_CLASS_UNCLASSIFIED)
            *odd = doubled || lower || spaced;
        else
            *odd = doubled || lower || unspaced || !spaced;
        if (class_words[k].cls == CABLE_CLASS_TOP_SECRET && spaced)
            *odd = doubled || lower; /* "T O P S E C R E T" or "T O P  S E C R E T" */
        return (size_t)(q - p);
    }
    return 0;
}

bool cable__is_class_line(const cable__line_t *l)
{
    cable_class_t cls;
    bool          odd;
    return class_match(l->p, l->p + l->len, &cls, &odd) > 0;
}

bool cable__is_class_line_strong(const cable__line_t *l)
{
    cable_class_t cls;
    bool          odd;
    return class_match(l->p, l->p + l->len, &cls, &odd) > 0 && !odd;
}

static void parse_class_line(cable__ctx_t *x, const cable__line_t *l)
{
    cable_t    *c = x->c;
    const char *e = l->p + l->len, *p;
    bool        odd = false;
    size_t      n = class_match(l->p, e, &c->classification, &odd);
    sim_span_t  t, rest;

    c->classification_line = sim_span(l->p, l->len);
    if (!n) {
        cable__diagf(x, l->no, 1, CABLE_R_CLASS_MISSING, "the text starts with '%.*s'",
                     (int)SIM_MIN(l->len, 40u), l->p);
        return;
    }
    if (odd)
        cable__diag(x, l->no, 1, CABLE_R_CLASS_MALFORMED, NULL);
    p = l->p + n;
    rest = cable__trim(sim_span(p, (size_t)(e - p)));
    /* SECTION nn OF mm */
    {
        const char *q = rest.p, *re = rest.p + rest.len;
        sim_span_t  a, b, cc, d;
        const char *save = q;
        if (cable__token(&q, re, &a) && sim_span_eq_str(a, "SECTION") &&
            cable__token(&q, re, &b) && cable__token(&q, re, &cc) && sim_span_eq_str(cc, "OF") &&
            cable__token(&q, re, &d)) {
            int32_t sn = cable__digits(b.p, b.len), sm = cable__digits(d.p, d.len);
            if (sn > 0 && sm > 0 && sn <= 999 && sm <= 999) {
                if (c->de_has_section && c->section != sn)
                    cable__diagf(x, l->no, (uint32_t)(b.p - l->p) + 1, CABLE_R_SECTION_MISMATCH,
                                 "DE line says /%02u, text says SECTION %d", c->section, sn);
                if (!c->de_has_section)
                    c->section = (uint16_t)sn;
                c->sections = (uint16_t)sm;
                if (sn > sm)
                    cable__diagf(x, l->no, (uint32_t)(b.p - l->p) + 1, CABLE_R_SECTION_MISMATCH,
                                 "section %d of %d", sn, sm);
                rest = cable__trim(sim_span(q, (size_t)(re - q)));
            }
        } else {
            (void)save;
        }
    }
    /* POST 000352 */
    if (rest.len) {
        const char *q = rest.p + rest.len;
        while (q > rest.p && !cable__blank((unsigned char)q[-1]))
            q--;
        t = sim_span(q, (size_t)(rest.p + rest.len - q));
        if (t.len >= 5 && t.len <= 9 && cable__digits(t.p, t.len) >= 0) {
            c->cable_number = cable__digits(t.p, t.len);
            c->post = cable__trim(sim_span(rest.p, (size_t)(q - rest.p)));
        } else {
            c->post = rest;
        }
    }
}

static bool is_caption_line(const cable__line_t *l)
{
    static const char *const words[] = {
        "SIPDIS", "NOFORN", "EXDIS",  "NODIS", "LIMDIS", "STADIS", "CHEROKEE", "ROGER",
        "SENSITIVE", "BUT", "UNCLASSIFIED", "SBU", "NOCONTRACT", "ORCON", "PROPIN",
        "DISSENT", "CHANNEL", "FOR", "OFFICIAL", "USE", "ONLY", "FOUO", "EFTO", "NOTAL",
        "DECAPTIONED", "HANDLE", "AS", "SPECAT", "EXCLUSIVE", "NATO", "RELEASABLE", "TO",
    };
    const char *p = l->p, *e = l->p + l->len;
    sim_span_t  t;
    int         n = 0;
    if (l->len == 0 || l->len > 60)
        return false;
    while (cable__token(&p, e, &t)) {
        bool ok = false;
        for (size_t i = 0; i < SIM_ARRAY_LEN(words) && !ok; i++)
            ok = sim_span_eq_str(t, words[i]);
        if (!ok)
            return false;
        n++;
    }
    return n > 0;
}

static bool starts_ci(const cable__line_t *l, const char *w)
{
    size_t n = strlen(w);
    if (l->len < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (upcase((unsigned char)l->p[i]) != w[i])
            return false;
    return true;
}

/* "C O R R E C T E D C O P Y" with COPY spaced or not, and any run of
 * blanks between the words: the corpus writes "C O R R E C T E D COPY" and
 * "C O R R E C T E D   C O P Y". (Letter-spaced, so prose that says
 * "corrected copy" is not taken for the mark.) */
static bool is_corrected_copy(const cable__line_t *l)
{
    static const char w[] = "COPY";
    size_t            k = 0;
    if (!starts_ci(l, "C O R R E C T E D "))
        return false;
    for (uint32_t i = 18; i < l->len && k < sizeof(w) - 1; i++) {
        unsigned char ch = (unsigned char)l->p[i];
        if (ch == ' ' || ch == '\t')
            continue;
        if (upcase(ch) != w[k])
            return false;
        k++;
    }
    return k == sizeof(w) - 1;
}

/* Lines that end a SUBJECT or REF continuation. */
static bool ends_continuation(const cable__line_t *l)
{
    const unsigned char *p = (const unsigned char *)l->p;
    if (l->len == 0)
        return true;
    if (cable__digit(p[0]) || p[0] == '(' || p[0] == 0xC2 /* pilcrow */)
        return true;
    return starts_ci(l, "REF") || starts_ci(l, "CLASSIFIED") || starts_ci(l, "TAGS") ||
           starts_ci(l, "SUMMARY") || starts_ci(l, "E.O.") || starts_ci(l, "SUBJECT");
}

/* Joins a field that may continue on following lines. Returns the span and
 * leaves *lp at the last line used. */
static sim_span_t take_continued(cable__ctx_t *x, cable__line_t *l, const char *start,
                                 const char *tend, int max)
{
    cable_t      *c = x->c;
    sim_span_t    first = cable__trim(sim_span(start, (size_t)(l->p + l->len - start)));
    cable__line_t nx;
    char         *buf = NULL;
    size_t        len = 0, cap = 0;
    int           extra = 0;

    while (extra < max && l->next < tend) {
        cable__line_at(x, l->next, l->no + 1, &nx);
        if (nx.p + nx.len > tend)
            nx.len = (uint32_t)(tend - nx.p);
        if (ends_continuation(&nx))
            break;
        {
            sim_span_t piece = cable__trim(sim_span(nx.p, nx.len));
            if (!buf) {
                cap = first.len + piece.len + 256;
                buf = sim_xmalloc(cap);
                memcpy(buf, first.p, first.len);
                len = first.len;
            }
            if (len + 1 + piece.len > cap) {
                cap = (len + 1 + piece.len) * 2;
                buf = sim_xrealloc(buf, cap);
            }
            if (len)
                buf[len++] = ' ';
            memcpy(buf + len, piece.p, piece.len);
            len += piece.len;
        }
        *l = nx;
        extra++;
    }
    if (!buf)
        return first;
    {
        sim_span_t s = sim_span(sim_arena_strndup(&c->arena, buf, len), len);
        free(buf);
        return s;
    }
}

static void parse_tags(cable__ctx_t *x, const cable__line_t *l)
{
    cable_t    *c = x->c;
    const char *p = l->p + 4, *e = l->p + l->len;
    bool        odd = false;
    if (p < e && *p == ':')
        p++;
    else
        odd = true;
    while (p < e) {
        const char *s;
        while (p < e && (cable__blank((unsigned char)*p) || *p == ',')) {
            if (*p == ',')
                odd = true;
            p++;
        }
        if (p >= e)
            break;
        s = p;
        if (*p == '[') { /* [PGOV](#) */
            const char *close = memchr(p, ']', (size_t)(e - p));
            odd = true;
            if (close) {
                cable__push_span(&c->arena, &c->tags, sim_span(p + 1, (size_t)(close - p - 1)));
                p = close + 1;
                if (p < e && *p == '(') {
                    const char *cp = memchr(p, ')', (size_t)(e - p));
                    p = cp ? cp + 1 : e;
                }
                continue;
            }
        }
        while (p < e && !cable__blank((unsigned char)*p) && *p != ',')
            p++;
        cable__push_span(&c->arena, &c->tags, sim_span(s, (size_t)(p - s)));
    }
    if (odd)
        cable__diag(x, l->no, 1, CABLE_R_TAGS_FORM, NULL);
}

/* Finds the trailer (BT / #SSN / NNNN) at the end; returns where the text
 * ends: the end of the last non-blank line before the trailer. */
static const char *parse_trailer(cable__ctx_t *x, const char *start, const char *end)
{
    cable_t    *c = x->c;
    const char *e = end;
    int         step = 0; /* 0: NNNN? 1: #SSN or BT? 2: BT? */
    for (;;) {
        const char *ls;
        sim_span_t  line;
        while (e > start && (e[-1] == '\n' || e[-1] == '\r' || cable__blank((unsigned char)e[-1])))
            e--;
        if (e <= start)
            return e;
        ls = e;
        while (ls > start && ls[-1] != '\n')
            ls--;
        line = cable__trim(sim_span(ls, (size_t)(e - ls)));
        if (step == 0 && sim_span_eq_str(line, "NNNN")) {
            c->has_trailer = true;
            step = 1;
        } else if (step == 1 && line.len >= 2 && line.len <= 7 && line.p[0] == '#' &&
                   cable__digits(line.p + 1, line.len - 1) >= 0) {
            c->trailer_ssn = cable__digits(line.p + 1, line.len - 1);
            step = 2;
        } else if (step >= 1 && sim_span_eq_str(line, "BT")) {
            step = 3;
        } else {
            return e; /* this line is text */
        }
        e = ls;
        if (step == 3) {
            while (e > start && (e[-1] == '\n' || e[-1] == '\r' || cable__blank((unsigned char)e[-1])))
                e--;
            return e;
        }
    }
}

void cable__parse_text(cable__ctx_t *x, const char *start, uint32_t no)
{
    cable_t      *c = x->c;
    const char   *tend;
    cable__line_t l;
    int           scanned = 0;
    bool          seen_eo = false, seen_tags = false, seen_subject = false, in_head = true;

    /* Skip blank lines and a BT before the classification line. */
    while (start < x->end) {
        cable__line_at(x, start, no, &l);
        if (l.len == 0 || (l.len == 2 && l.p[0] == 'B' && l.p[1] == 'T')) {
            if (l.len == 2)
                c->has_bt = true;
            start = l.next;
            no++;
            continue;
        }
        break;
    }
    if (start >= x->end)
        return;
    tend = parse_trailer(x, start, x->end);
    if (tend <= start)
        return;
    c->text = sim_span(start, (size_t)(tend - start));
    c->body_bytes = c->text.len;
    c->text_line = no;
    {
        const char *ls = tend;
        while (ls > start && ls[-1] != '\n')
            ls--;
        c->signature = cable__trim(sim_span(ls, (size_t)(tend - ls)));
        if (c->signature.len && c->signature.p[c->signature.len - 1] == '\r')
            c->signature.len--;
    }

    cable__line_at(x, start, no, &l);
    parse_class_line(x, &l);
    while (l.next < tend && scanned++ < CABLE__TEXT_SCAN) {
        cable__line_at(x, l.next, l.no + 1, &l);
        if (l.p + l.len > tend)
            l.len = (uint32_t)(tend - l.p);
        if (l.len == 0)
            continue;
        if (in_head && !seen_eo && !seen_tags && !seen_subject && is_caption_line(&l)) {
            cable__push_span(&c->arena, &c->captions, sim_span(l.p, l.len));
            continue;
        }
        if (is_corrected_copy(&l)) {
            c->corrected_copy = true;
            continue;
        }
        if (!seen_eo && (starts_ci(&l, "E.O.") || starts_ci(&l, "E. O.") || starts_ci(&l, "EO 1") ||
                         starts_ci(&l, "EO:"))) {
            const char *p = l.p + (l.p[1] == '.' ? 4 : l.p[1] == ' ' ? 5 : 2);
            if (l.p[1] != '.' && l.p[1] != ' ')
                p = l.p + 2;
            if (l.p[1] != '.')
                cable__diag(x, l.no, 1, CABLE_R_EO_MALFORMED, NULL);
            c->eo = cable__trim(sim_span(p, (size_t)(l.p + l.len - p)));
            seen_eo = true;
            continue;
        }
        if (!seen_tags && starts_ci(&l, "TAGS") &&
            (l.len == 4 || l.p[4] == ':' || l.p[4] == ' ')) {
            parse_tags(x, &l);
            seen_tags = true;
            continue;
        }
        if (!seen_subject && (starts_ci(&l, "SUBJECT") || starts_ci(&l, "SUBJ:"))) {
            const char *p = l.p + (starts_ci(&l, "SUBJECT") ? 7 : 4);
            if (p < l.p + l.len && *p == ':')
                p++;
            c->subject = take_continued(x, &l, p, tend, 6);
            seen_subject = true;
            continue;
        }
        if (c->ref.len == 0 && (starts_ci(&l, "REF:") || starts_ci(&l, "REFS:") ||
                                starts_ci(&l, "REFTEL") || starts_ci(&l, "REF ") ||
                                starts_ci(&l, "REFERENCE"))) {
            const char *p = l.p + 3;
            while (p < l.p + l.len && *p != ':' && *p != ' ')
                p++;
            if (p < l.p + l.len && *p == ':')
                p++;
            c->ref = take_continued(x, &l, p, tend, 8);
            continue;
        }
        in_head = false;
        if (seen_subject)
            break;
    }

    if (!seen_tags)
        cable__diag(x, c->text_line, 1, CABLE_R_TAGS_MISSING, NULL);
    if (!seen_subject)
        cable__diag(x, c->text_line, 1, CABLE_R_SUBJECT_MISSING, NULL);
}
