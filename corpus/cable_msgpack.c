/*
 * cable_msgpack.c - the msgpack form of a cable (schema in cable_msgpack.md).
 *
 * Both directions are driven by one list of fields (CABLE_MP_FIELDS below),
 * so the encoder, the decoder and the error messages cannot drift apart: the
 * list gives each field its key, its kind (string, list of strings, list of
 * addressees, precedence, ...) and the member of cable_t it maps to, and the
 * per-kind functions do the work with the member's real C type.
 *
 * Decoding reads the fields straight from the bytes in one pass (no tree
 * of objects is built, no msgpack_unpack): every length is checked against
 * the input and the limits as it is met, so truncated, malformed, over-long,
 * over-deep or over-counted input is refused without reading outside it or
 * allocating for it. Every string is copied into the cable's arena (or, for
 * a view, left pointing into the input), so nothing is malloc'ed per field,
 * and the encoder's budget is taken as the fields come, so that whatever
 * decodes encodes again. The decoder runs for every cable a router receives:
 * keys are matched against the field list starting where the previous key
 * matched, so a map in the encoder's own order costs one comparison per key.
 */
#include "cable_msgpack.h"

#include <limits.h>
#include <stdlib.h>

/* X(key, kind, member): the top-level fields. A field's number, its key in
 * the maps this build writes, is its place in this list (from 1); its name,
 * the key of schema version 1, is what error messages call it. The encoder
 * writes "v", then "text" (the fields of kind TSPAN and TSPANS may refer to
 * it), then the others in this order, leaving out every field at its
 * cable_reset value. Kinds are the suffixes of the mp_get_* / mp_put_* /
 * mp_chk_* / mp_dflt_* functions. Adding a field means adding a line at the
 * end of the list and to the schema. */
#define CABLE_MP_FIELDS(X)                                                                         \
    X("tid", SPAN, transmission_id)                                                                \
    X("chan", SPAN, channel)                                                                       \
    X("csn", OPTI32, csn)                                                                          \
    X("csnw", U8, csn_digits)                                                                      \
    X("p2", PREC, fl2_prec)                                                                        \
    X("ps2", SPAN, fl2_prosign)                                                                    \
    X("ris", SPANS, routing_indicators)                                                            \
    X("ori", SPAN, origin_ri)                                                                      \
    X("ssn", OPTI32, station_serial)                                                               \
    X("sec", U16, section)                                                                         \
    X("secs", U16, sections)                                                                       \
    X("desec", BOOL, de_has_section)                                                               \
    X("filed", SPAN, filed)                                                                        \
    X("secu", SPAN, security)                                                                      \
    X("sig", SPANS, signals)                                                                       \
    X("ctl", SPANS, controls)                                                                      \
    X("sig4", U16, fl4_signals)                                                                    \
    X("ctl4", U16, fl4_controls)                                                                   \
    X("ccy", BOOL, corrected_copy)                                                                 \
    X("dp", PREC, dtg_prec)                                                                        \
    X("dpi", PREC, dtg_info_prec)                                                                  \
    X("dtg", DTG, dtg)                                                                             \
    X("dsig", SPAN, dtg_signals)                                                                   \
    X("fm", SPAN, from)                                                                            \
    X("to", ADDRS, to)                                                                             \
    X("info", ADDRS, info)                                                                         \
    X("xmt", ADDRS, xmt)                                                                           \
    X("cls", CLASS, classification)                                                                \
    X("clsl", TSPAN, classification_line)                                                           \
    X("post", TSPAN, post)                                                                          \
    X("cno", OPTI32, cable_number)                                                                 \
    X("cap", TSPANS, captions)                                                                      \
    X("eo", TSPAN, eo)                                                                              \
    X("tags", TSPANS, tags)                                                                         \
    X("subj", TSPAN, subject)                                                                       \
    X("ref", TSPAN, ref)                                                                            \
    X("text", SPAN, text)                                                                          \
    X("sgn", TSPAN, signature)                                                                      \
    X("bb", U32, body_bytes)                                                                       \
    X("bt", BOOL, has_bt)                                                                          \
    X("trl", BOOL, has_trailer)                                                                    \
    X("tssn", OPTI32, trailer_ssn)

/* The fields of one addressee map, numbered and written the same way. */
#define CABLE_MP_ADDR_FIELDS(X)                                                                    \
    X("ri", SPAN, ri)                                                                              \
    X("pla", SPAN, pla)                                                                            \
    X("pw", SPAN, prec_word)                                                                       \
    X("ser", SPAN, serial)                                                                         \
    X("lo", OPTI32, serial_lo)                                                                     \
    X("hi", OPTI32, serial_hi)                                                                     \
    X("p", PREC, prec)                                                                             \
    X("niact", BOOL, niact)                                                                        \
    X("zen", BOOL, zen)

/* What a value of each kind must be, and what its range is, in words. */
#define MP_TYPE_SPAN "must be a string or nil"
#define MP_RANGE_SPAN "is longer than the size limit"
#define MP_TYPE_TSPAN "must be a string, nil or an [offset, length] of the text"
#define MP_RANGE_TSPAN "is longer than the size limit or outside the text"
#define MP_TYPE_TSPANS "must be an array of strings or [offset, length] of the text"
#define MP_RANGE_TSPANS "has too many items, too long a string or one outside the text"
#define MP_TYPE_SPANS "must be an array of strings"
#define MP_RANGE_SPANS "has too many items or too long a string"
#define MP_TYPE_ADDRS "must be an array of addressee maps"
#define MP_RANGE_ADDRS "has too many addressees"
#define MP_TYPE_PREC "must be an integer"
#define MP_RANGE_PREC "must be a precedence from 0 to 5"
#define MP_TYPE_CLASS "must be an integer"
#define MP_RANGE_CLASS "must be a classification from 0 to 4"
#define MP_TYPE_OPTI32 "must be an integer or nil"
#define MP_RANGE_OPTI32 "must fit in a signed 32-bit integer"
#define MP_TYPE_U8 "must be an integer"
#define MP_RANGE_U8 "must be from 0 to 255"
#define MP_TYPE_U16 "must be an integer"
#define MP_RANGE_U16 "must be from 0 to 65535"
#define MP_TYPE_U32 "must be an integer"
#define MP_RANGE_U32 "must be from 0 to 4294967295"
#define MP_TYPE_BOOL "must be true or false"
#define MP_RANGE_BOOL "must be true or false"
#define MP_TYPE_DTG "must be nil or an array [year, month, day, hour, minute] of integers"
#define MP_RANGE_DTG "must be a date and time that exists, year 0 to 9999"

typedef struct mp_field {
    const char *key;
    uint32_t    keylen;
    const char *etype;  /* the value has the wrong type */
    const char *erange; /* the value is out of range or too big */
    const char *edup;   /* the key appears twice */
} mp_field_t;

/* clang-format off */
enum {
#define MP_ENUM(key, kind, member) MP_F_##member,
    CABLE_MP_FIELDS(MP_ENUM)
#undef MP_ENUM
    MP_F_COUNT
};
/* clang-format on */

/* clang-format off */
enum {
#define MP_ENUM(key, kind, member) MP_A_##member,
    CABLE_MP_ADDR_FIELDS(MP_ENUM)
#undef MP_ENUM
    MP_A_COUNT
};
/* clang-format on */

/* Keys seen so far are bits of a uint64_t. */
_Static_assert(MP_F_COUNT < 64 && MP_A_COUNT < 64, "too many keys for the seen mask");

static const mp_field_t mp_fields[MP_F_COUNT] = {
#define MP_ROW(k, kind, member)                                                                    \
    {k, sizeof(k) - 1, "field '" k "' " MP_TYPE_##kind, "field '" k "' " MP_RANGE_##kind,          \
     "field '" k "' appears twice"},
    CABLE_MP_FIELDS(MP_ROW)
#undef MP_ROW
};

static const mp_field_t mp_addr_fields[MP_A_COUNT] = {
#define MP_ROW(k, kind, member)                                                                    \
    {k, sizeof(k) - 1, "addressee field '" k "' " MP_TYPE_##kind,                                  \
     "addressee field '" k "' " MP_RANGE_##kind, "addressee field '" k "' appears twice"},
    CABLE_MP_ADDR_FIELDS(MP_ROW)
#undef MP_ROW
};

/* Values of one encoded cable, counted the way the decoder counts them: the
 * root, plus every element of every array and both halves of every map entry. */
#define MP_VALUES_FIXED (1u + 2u * (MP_F_COUNT + 1u))
#define MP_VALUES_ADDR (1u + 2u * MP_A_COUNT)
#define MP_VALUES_DTG 5u

/* ======================================================================
 * Encoding
 * ====================================================================== */

/* An upper bound of the encoding's size and its exact count of values,
 * gathered while checking that the cable fits the schema. */
typedef struct mp_budget {
    uint64_t          bytes;
    uint64_t          values;
    int               rc;   /* first failure, 0 while fine */
    const sim_span_t *text; /* the cable's text, which TSPAN values may refer to */
} mp_budget_t;

static void mp_refuse(mp_budget_t *b, int rc)
{
    if (!b->rc)
        b->rc = rc;
}

/* Every key with its value header takes at most this many bytes besides the
 * bytes of a string value: a fixstr key of up to 5 letters, and a 9-byte
 * integer or a 5-byte string header. */
#define MP_BYTES_PER_KEY 16u

static void mp_chk_SPAN(const sim_span_t *s, mp_budget_t *b)
{
    if (!s->p && s->len)
        mp_refuse(b, SIM_EUSAGE); /* absent, yet with a length: nil could not keep it */
    if (s->len > CABLE_MSGPACK_MAX_BYTES)
        mp_refuse(b, SIM_ETOOBIG);
    b->bytes += s->len;
}

/* Whether s (present) lies within the text t (present): it is then
 * written as [offset, length] of the text. */
static bool mp_in_text(const sim_span_t *t, const sim_span_t *s)
{
    return t && sim_span_within(*t, *s);
}

/* An [offset, length] reference: an array header and two uint32 at most. */
#define MP_BYTES_REF 11u

static void mp_chk_TSPAN(const sim_span_t *s, mp_budget_t *b)
{
    if (!mp_in_text(b->text, s)) {
        mp_chk_SPAN(s, b);
        return;
    }
    b->bytes += MP_BYTES_REF;
    b->values += 2;
}

static void mp_chk_list(const cable_span_list_t *l, mp_budget_t *b, bool refs)
{
    if (l->n > CABLE_MSGPACK_MAX_ITEMS || (l->n && !l->v)) {
        mp_refuse(b, l->n > CABLE_MSGPACK_MAX_ITEMS ? SIM_ETOOBIG : SIM_EUSAGE);
        return;
    }
    b->values += l->n;
    for (uint32_t i = 0; i < l->n; i++) {
        b->bytes += 5;
        if (refs)
            mp_chk_TSPAN(&l->v[i], b);
        else
            mp_chk_SPAN(&l->v[i], b);
    }
}

static void mp_chk_TSPANS(const cable_span_list_t *l, mp_budget_t *b)
{
    mp_chk_list(l, b, true);
}

static void mp_chk_SPANS(const cable_span_list_t *l, mp_budget_t *b)
{
    mp_chk_list(l, b, false);
}

static void mp_chk_PREC(const cable_prec_t *p, mp_budget_t *b)
{
    if ((unsigned)*p >= CABLE_PREC_COUNT)
        mp_refuse(b, SIM_EUSAGE);
}

static void mp_chk_CLASS(const cable_class_t *c, mp_budget_t *b)
{
    if ((unsigned)*c > CABLE_CLASS_TOP_SECRET)
        mp_refuse(b, SIM_EUSAGE);
}

static void mp_chk_OPTI32(const int32_t *v, mp_budget_t *b)
{
    (void)v;
    (void)b;
}

static void mp_chk_U8(const uint8_t *v, mp_budget_t *b)
{
    (void)v;
    (void)b;
}

static void mp_chk_U16(const uint16_t *v, mp_budget_t *b)
{
    (void)v;
    (void)b;
}

static void mp_chk_U32(const uint32_t *v, mp_budget_t *b)
{
    (void)v;
    (void)b;
}

static void mp_chk_BOOL(const bool *v, mp_budget_t *b)
{
    (void)v;
    (void)b;
}

static bool mp_dtg_ok(int year, int month, int day, int hour, int minute)
{
    return year >= 0 && year <= 9999 && cable_dtg_exists(year, month, day, hour, minute);
}

static void mp_chk_DTG(const cable_dtg_t *d, mp_budget_t *b)
{
    if (!d->valid)
        return;
    if (!mp_dtg_ok(d->year, d->month, d->day, d->hour, d->minute))
        mp_refuse(b, SIM_EUSAGE);
    b->values += MP_VALUES_DTG;
    b->bytes += 1 + MP_VALUES_DTG * 9;
}

static void mp_chk_ADDRS(const cable_addr_list_t *l, mp_budget_t *b)
{
    if (l->n > CABLE_MSGPACK_MAX_ITEMS || (l->n && !l->v)) {
        mp_refuse(b, l->n > CABLE_MSGPACK_MAX_ITEMS ? SIM_ETOOBIG : SIM_EUSAGE);
        return;
    }
    b->values += (uint64_t)l->n * MP_VALUES_ADDR;
    for (uint32_t i = 0; i < l->n; i++) {
        const cable_addr_t *a = &l->v[i];
        b->bytes += 5 + MP_A_COUNT * MP_BYTES_PER_KEY;
#define MP_CHK(key, kind, member) mp_chk_##kind(&a->member, b);
        CABLE_MP_ADDR_FIELDS(MP_CHK)
#undef MP_CHK
    }
}

/* The checks that need the whole cable, once every field is in b: 0,
 * SIM_EUSAGE or SIM_ETOOBIG. */
static int mp_budget_end(const cable_t *c, mp_budget_t *b)
{
    if (c->fl4_signals > c->signals.n || c->fl4_controls > c->controls.n)
        mp_refuse(b, SIM_EUSAGE); /* more on format line 4 than there are */
    if (b->rc)
        return b->rc;
    if (b->bytes > CABLE_MSGPACK_MAX_BYTES || b->values > CABLE_MSGPACK_MAX_VALUES)
        return SIM_ETOOBIG;
    return 0;
}

/* The checks of cable_msgpack_pack, adding to the budget b: 0, SIM_EUSAGE
 * or SIM_ETOOBIG. */
static int mp_check_budget(const cable_t *c, mp_budget_t *b)
{
#define MP_CHK(key, kind, member) mp_chk_##kind(&c->member, b);
    CABLE_MP_FIELDS(MP_CHK)
#undef MP_CHK
    return mp_budget_end(c, b);
}

/* The writer: bytes go straight into a buffer that the budget (an
 * upper bound of the encoding's size) has made big enough, so no put checks
 * room. Every value takes the shortest form, as msgpack-c's packer writes
 * it: the encoding of a cable is canonical. */
typedef struct mp_w {
    unsigned char    *p;
    const sim_span_t *text; /* the cable's text, for TSPAN values */
} mp_w_t;

static void mp_be_put(mp_w_t *w, uint64_t v, unsigned n)
{
    for (unsigned i = n; i-- > 0;) {
        w->p[i] = (unsigned char)v;
        v >>= 8;
    }
    w->p += n;
}

static void mp_w_byte(mp_w_t *w, unsigned b)
{
    *w->p++ = (unsigned char)b;
}

/* v behind the first of a family of consecutive type bytes for 1-, 2-, 4-
 * and 8-byte values (uint 0xcc.., str 0xd9.., array 0xdc.., map 0xde..),
 * starting at 'min' bytes: the shortest that holds v. */
static void mp_w_sized(mp_w_t *w, uint64_t v, unsigned first, unsigned min)
{
    unsigned width = min, code = first;
    while (width < 8 && v >> (8 * width)) {
        width *= 2;
        code++;
    }
    mp_w_byte(w, code);
    mp_be_put(w, v, width);
}

static void mp_w_uint(mp_w_t *w, uint64_t v)
{
    if (v < 128)
        mp_w_byte(w, (unsigned)v);
    else
        mp_w_sized(w, v, 0xcc, 1);
}

static void mp_w_int(mp_w_t *w, int64_t v)
{
    if (v >= 0) {
        mp_w_uint(w, (uint64_t)v);
    } else if (v >= -32) {
        mp_w_byte(w, (unsigned)(uint8_t)(int8_t)v); /* negative fixint */
    } else if (v >= INT8_MIN) {
        mp_w_byte(w, 0xd0);
        mp_be_put(w, (uint64_t)v, 1);
    } else if (v >= INT16_MIN) {
        mp_w_byte(w, 0xd1);
        mp_be_put(w, (uint64_t)v, 2);
    } else if (v >= INT32_MIN) {
        mp_w_byte(w, 0xd2);
        mp_be_put(w, (uint64_t)v, 4);
    } else {
        mp_w_byte(w, 0xd3);
        mp_be_put(w, (uint64_t)v, 8);
    }
}

/* An array (0x90, 0xdc) or map (0x80, 0xde) header of n elements. */
static void mp_w_count(mp_w_t *w, uint32_t n, unsigned fix, unsigned b16)
{
    if (n < 16)
        mp_w_byte(w, fix | n);
    else
        mp_w_sized(w, n, b16, 2);
}

static void mp_w_str(mp_w_t *w, const char *s, uint32_t n)
{
    if (n < 32)
        mp_w_byte(w, 0xa0 | n);
    else
        mp_w_sized(w, n, 0xd9, 1);
    if (n)
        memcpy(w->p, s, n);
    w->p += n;
}

/* The key of the field at index i of its table: its number. */
static void mp_put_key(mp_w_t *w, unsigned i)
{
    mp_w_uint(w, i + 1u);
}

static void mp_put_SPAN(mp_w_t *w, const sim_span_t *s)
{
    if (!s->p)
        mp_w_byte(w, 0xc0);
    else
        mp_w_str(w, s->p, s->len);
}

static void mp_put_TSPAN(mp_w_t *w, const sim_span_t *s)
{
    if (!mp_in_text(w->text, s)) {
        mp_put_SPAN(w, s);
        return;
    }
    mp_w_byte(w, 0x92);
    mp_w_uint(w, (uint64_t)(s->p - w->text->p));
    mp_w_uint(w, s->len);
}

static void mp_put_TSPANS(mp_w_t *w, const cable_span_list_t *l)
{
    mp_w_count(w, l->n, 0x90, 0xdc);
    for (uint32_t i = 0; i < l->n; i++)
        mp_put_TSPAN(w, &l->v[i]);
}

static void mp_put_SPANS(mp_w_t *w, const cable_span_list_t *l)
{
    mp_w_count(w, l->n, 0x90, 0xdc);
    for (uint32_t i = 0; i < l->n; i++)
        mp_put_SPAN(w, &l->v[i]);
}

static void mp_put_PREC(mp_w_t *w, const cable_prec_t *p)
{
    mp_w_uint(w, (uint8_t)*p);
}

static void mp_put_CLASS(mp_w_t *w, const cable_class_t *c)
{
    mp_w_uint(w, (uint8_t)*c);
}

static void mp_put_OPTI32(mp_w_t *w, const int32_t *v)
{
    if (*v == -1)
        mp_w_byte(w, 0xc0);
    else
        mp_w_int(w, *v);
}

static void mp_put_U8(mp_w_t *w, const uint8_t *v)
{
    mp_w_uint(w, *v);
}

static void mp_put_U16(mp_w_t *w, const uint16_t *v)
{
    mp_w_uint(w, *v);
}

static void mp_put_U32(mp_w_t *w, const uint32_t *v)
{
    mp_w_uint(w, *v);
}

static void mp_put_BOOL(mp_w_t *w, const bool *v)
{
    mp_w_byte(w, *v ? 0xc3 : 0xc2);
}

static void mp_put_DTG(mp_w_t *w, const cable_dtg_t *d)
{
    if (!d->valid) {
        mp_w_byte(w, 0xc0);
        return;
    }
    mp_w_count(w, MP_VALUES_DTG, 0x90, 0xdc);
    mp_w_int(w, d->year);
    mp_w_uint(w, d->month);
    mp_w_uint(w, d->day);
    mp_w_uint(w, d->hour);
    mp_w_uint(w, d->minute);
}

/* Whether a field is at its cable_reset value (then it is not written). */
static bool mp_dflt_SPAN(const sim_span_t *v, const sim_span_t *d)
{
    (void)d;
    return !v->p;
}

static bool mp_dflt_TSPAN(const sim_span_t *v, const sim_span_t *d)
{
    return mp_dflt_SPAN(v, d);
}

static bool mp_dflt_SPANS(const cable_span_list_t *v, const cable_span_list_t *d)
{
    (void)d;
    return !v->n;
}

static bool mp_dflt_TSPANS(const cable_span_list_t *v, const cable_span_list_t *d)
{
    return mp_dflt_SPANS(v, d);
}

static bool mp_dflt_ADDRS(const cable_addr_list_t *v, const cable_addr_list_t *d)
{
    (void)d;
    return !v->n;
}

static bool mp_dflt_DTG(const cable_dtg_t *v, const cable_dtg_t *d)
{
    (void)d;
    return !v->valid;
}

#define MP_DFLT_EQ(kind, type)                                                                     \
    static bool mp_dflt_##kind(const type *v, const type *d)                                       \
    {                                                                                              \
        return *v == *d;                                                                           \
    }
MP_DFLT_EQ(PREC, cable_prec_t)
MP_DFLT_EQ(CLASS, cable_class_t)
MP_DFLT_EQ(OPTI32, int32_t)
MP_DFLT_EQ(U8, uint8_t)
MP_DFLT_EQ(U16, uint16_t)
MP_DFLT_EQ(U32, uint32_t)
MP_DFLT_EQ(BOOL, bool)
#undef MP_DFLT_EQ

/* The values cable_reset gives (test_cable_msgpack checks they agree), and
 * those of an addressee the decoder starts from. */
static const cable_t mp_dc = {.csn = -1,
                              .station_serial = -1,
                              .section = 1,
                              .sections = 1,
                              .cable_number = -1,
                              .trailer_ssn = -1};
static const cable_addr_t mp_da = {.serial_lo = -1, .serial_hi = -1};

static void mp_put_ADDRS(mp_w_t *w, const cable_addr_list_t *l)
{
    mp_w_count(w, l->n, 0x90, 0xdc);
    for (uint32_t i = 0; i < l->n; i++) {
        const cable_addr_t *a = &l->v[i];
        uint32_t            n = 0;
#define MP_COUNT(key, kind, member) n += !mp_dflt_##kind(&a->member, &mp_da.member);
        CABLE_MP_ADDR_FIELDS(MP_COUNT)
#undef MP_COUNT
        mp_w_count(w, n, 0x80, 0xde);
#define MP_PUT(key, kind, member)                                                                  \
    if (!mp_dflt_##kind(&a->member, &mp_da.member)) {                                              \
        mp_put_key(w, MP_A_##member);                                                              \
        mp_put_##kind(w, &a->member);                                                              \
    }
        CABLE_MP_ADDR_FIELDS(MP_PUT)
#undef MP_PUT
    }
}

/* The budget of c's encoding in bytes (an upper bound), or an error. */
static int mp_bound(const cable_t *c, size_t *bytes)
{
    mp_budget_t b = {5 + (MP_F_COUNT + 1) * MP_BYTES_PER_KEY, MP_VALUES_FIXED, 0, &c->text};
    int         rc = mp_check_budget(c, &b);
    *bytes = (size_t)b.bytes;
    return rc;
}

/* Writes c at buf, which holds at least mp_bound's bytes; returns the
 * length. */
static size_t mp_write(const cable_t *c, char *buf)
{
    mp_w_t   w = {(unsigned char *)buf, &c->text};
    uint32_t n = 1; /* "v" */
#define MP_COUNT(key, kind, member) n += !mp_dflt_##kind(&c->member, &mp_dc.member);
    CABLE_MP_FIELDS(MP_COUNT)
#undef MP_COUNT
    mp_w_count(&w, n, 0x80, 0xde);
    mp_w_str(&w, "v", 1);
    mp_w_uint(&w, CABLE_MSGPACK_VERSION);
    if (c->text.p) { /* first: what follows may refer to it */
        mp_put_key(&w, MP_F_text);
        mp_put_SPAN(&w, &c->text);
    }
#define MP_PUT(key, kind, member)                                                                  \
    if (MP_F_##member != MP_F_text && !mp_dflt_##kind(&c->member, &mp_dc.member)) {               \
        mp_put_key(&w, MP_F_##member);                                                             \
        mp_put_##kind(&w, &c->member);                                                             \
    }
    CABLE_MP_FIELDS(MP_PUT)
#undef MP_PUT
    return (size_t)((char *)w.p - buf);
}

int cable_msgpack_bound(const cable_t *c, size_t *bound)
{
    return mp_bound(c, bound);
}

size_t cable_msgpack_write(const cable_t *c, char *buf, size_t bound)
{
    size_t len = mp_write(c, buf);
    if (len > bound) /* the budget is wrong: memory is already overwritten */
        sim_panic("%s: wrote %zu bytes past a bound of %zu", __func__, len, bound);
    return len;
}

int cable_msgpack_encode_buf(const cable_t *c, char **buf, size_t *cap, size_t *len)
{
    size_t bound;
    int    rc = mp_bound(c, &bound);
    *len = 0;
    if (rc < 0)
        return rc;
    if (!*buf || *cap < bound) {
        *buf = sim_xrealloc(*buf, bound);
        *cap = bound;
    }
    *len = cable_msgpack_write(c, *buf, bound);
    return 0;
}

int cable_msgpack_pack(const cable_t *c, msgpack_packer *pk)
{
    char  *buf = NULL;
    size_t cap = 0, len = 0;
    int    rc = cable_msgpack_encode_buf(c, &buf, &cap, &len);
    if (rc == 0 && pk->callback(pk->data, buf, len) != 0)
        rc = SIM_EIO;
    free(buf);
    return rc;
}

int cable_msgpack_encode(const cable_t *c, char **out, size_t *len)
{
    size_t cap = 0;
    int    rc;
    *out = NULL;
    rc = cable_msgpack_encode_buf(c, out, &cap, len);
    if (rc < 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

/* ======================================================================
 * Reading the bytes
 * ====================================================================== */

static uint32_t mp_be(const unsigned char *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* What follows the type bytes from 0xc4 to 0xdf (the others are fixed
 * forms, and 0xc1 is never used): the width of a big-endian length, the
 * payload bytes besides what that length counts, and whether the value is an
 * array (1) or a map (2) whose length counts elements. */
static const struct mp_type {
    uint8_t lenbytes, fixed, container;
} mp_types[0xe0 - 0xc4] = {
    [0xc4 - 0xc4] = {1, 0, 0},  /* bin 8 */
    [0xc5 - 0xc4] = {2, 0, 0},  /* bin 16 */
    [0xc6 - 0xc4] = {4, 0, 0},  /* bin 32 */
    [0xc7 - 0xc4] = {1, 1, 0},  /* ext 8: length, type, data */
    [0xc8 - 0xc4] = {2, 1, 0},  /* ext 16 */
    [0xc9 - 0xc4] = {4, 1, 0},  /* ext 32 */
    [0xca - 0xc4] = {0, 4, 0},  /* float 32 */
    [0xcb - 0xc4] = {0, 8, 0},  /* float 64 */
    [0xcc - 0xc4] = {0, 1, 0},  /* uint 8 */
    [0xcd - 0xc4] = {0, 2, 0},  /* uint 16 */
    [0xce - 0xc4] = {0, 4, 0},  /* uint 32 */
    [0xcf - 0xc4] = {0, 8, 0},  /* uint 64 */
    [0xd0 - 0xc4] = {0, 1, 0},  /* int 8 */
    [0xd1 - 0xc4] = {0, 2, 0},  /* int 16 */
    [0xd2 - 0xc4] = {0, 4, 0},  /* int 32 */
    [0xd3 - 0xc4] = {0, 8, 0},  /* int 64 */
    [0xd4 - 0xc4] = {0, 2, 0},  /* fixext 1: type, data */
    [0xd5 - 0xc4] = {0, 3, 0},  /* fixext 2 */
    [0xd6 - 0xc4] = {0, 5, 0},  /* fixext 4 */
    [0xd7 - 0xc4] = {0, 9, 0},  /* fixext 8 */
    [0xd8 - 0xc4] = {0, 17, 0}, /* fixext 16 */
    [0xd9 - 0xc4] = {1, 0, 0},  /* str 8 */
    [0xda - 0xc4] = {2, 0, 0},  /* str 16 */
    [0xdb - 0xc4] = {4, 0, 0},  /* str 32 */
    [0xdc - 0xc4] = {2, 0, 1},  /* array 16 */
    [0xdd - 0xc4] = {4, 0, 1},  /* array 32 */
    [0xde - 0xc4] = {2, 0, 2},  /* map 16 */
    [0xdf - 0xc4] = {4, 0, 2},  /* map 32 */
};

/* ======================================================================
 * Reading the values
 * ====================================================================== */

/* The kinds of value the fields tell apart. A binary, an extension or a
 * float is OTHER: never what a field wants. */
typedef enum {
    MP_V_NIL,
    MP_V_BOOL,
    MP_V_INT,
    MP_V_STR,
    MP_V_ARRAY,
    MP_V_MAP,
    MP_V_OTHER
} mp_vtype_t;

/* One value's header. A string's bytes are in place; an array's or a map's
 * elements follow it in the input (n, or n key/value pairs). */
typedef struct mp_val {
    mp_vtype_t type;
    bool       b;
    int64_t    i; /* integers of either sign; above INT64_MAX saturated */
    const char *s;
    uint32_t   n; /* string bytes, or elements */
} mp_val_t;

/* A cursor over the input; 'values' counts the values seen or announced
 * (the root, and every element of every array and map as its header is
 * read), against CABLE_MSGPACK_MAX_VALUES. */
typedef struct mp_rd {
    const unsigned char *p, *end;
    size_t               values;
    const char         **err;
} mp_rd_t;

static int mp_bad(mp_rd_t *r, int code, const char *msg)
{
    *r->err = msg;
    return code;
}

#define MP_ENDS "the input ends in the middle of a value"

/* Reads the header at the cursor into *v and moves past it (and past a
 * string's, binary's or other payload; not past an array's or map's
 * elements), checking it against the input's end and the limits: 0, or
 * SIM_EPARSE / SIM_ETOOBIG with *r->err set. Every length is checked before
 * it is used, so no read goes outside the input whatever the bytes. */
static int mp_read_any(mp_rd_t *r, mp_val_t *v)
{
    const unsigned char *p = r->p;
    unsigned char        b;
    size_t               skip = 0;

    if (p >= r->end)
        return mp_bad(r, SIM_EPARSE, MP_ENDS);
    b = *p++;
    v->type = MP_V_OTHER;
    if (b <= 0x7f) {
        v->type = MP_V_INT;
        v->i = b;
    } else if (b >= 0xe0) {
        v->type = MP_V_INT;
        v->i = (int8_t)b;
    } else if (b <= 0x8f) {
        v->type = MP_V_MAP;
        v->n = b & 0x0fu;
    } else if (b <= 0x9f) {
        v->type = MP_V_ARRAY;
        v->n = b & 0x0fu;
    } else if (b <= 0xbf) {
        v->type = MP_V_STR;
        v->n = b & 0x1fu;
    } else if (b == 0xc0) {
        v->type = MP_V_NIL;
    } else if (b == 0xc2 || b == 0xc3) {
        v->type = MP_V_BOOL;
        v->b = b == 0xc3;
    } else if (b == 0xc1) {
        return mp_bad(r, SIM_EPARSE, "the input holds a byte that starts no msgpack value");
    } else if (b >= 0xcc && b <= 0xd3) { /* uint or int, 8..64 bits */
        unsigned w = 1u << ((b - 0xcc) & 3u);
        uint64_t u = 0;
        if ((size_t)(r->end - p) < w)
            return mp_bad(r, SIM_EPARSE, MP_ENDS);
        for (unsigned k = 0; k < w; k++)
            u = (u << 8) | p[k];
        p += w;
        v->type = MP_V_INT;
        if (b <= 0xcf) {
            v->i = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
        } else {
            if (w < 8 && (u >> (8 * w - 1)) & 1u)
                u |= ~UINT64_C(0) << (8 * w); /* sign-extend */
            v->i = (int64_t)u;
        }
    } else { /* the forms with a length, and the other fixed ones */
        const struct mp_type *t = &mp_types[b - 0xc4];
        uint32_t              len = 0;
        if ((size_t)(r->end - p) < t->lenbytes)
            return mp_bad(r, SIM_EPARSE, MP_ENDS);
        if (t->lenbytes)
            len = mp_be(p, t->lenbytes);
        p += t->lenbytes;
        if (t->container) {
            v->type = t->container == 2 ? MP_V_MAP : MP_V_ARRAY;
            v->n = len;
        } else {
            if (len > CABLE_MSGPACK_MAX_BYTES)
                return mp_bad(r, SIM_ETOOBIG,
                              "a string or binary value claims more than the size limit");
            if (b >= 0xd9 && b <= 0xdb) {
                v->type = MP_V_STR;
                v->n = len;
            } else {
                skip = (size_t)len + t->fixed;
            }
        }
    }
    if (v->type == MP_V_STR) {
        v->s = (const char *)p;
        skip = v->n;
    }
    if (v->type == MP_V_ARRAY || v->type == MP_V_MAP) {
        size_t children = v->type == MP_V_MAP ? 2 * (size_t)v->n : v->n;
        if (v->n > CABLE_MSGPACK_MAX_ITEMS)
            return mp_bad(r, SIM_ETOOBIG, "an array or map claims more elements than the limit");
        r->values += children;
        if (r->values > CABLE_MSGPACK_MAX_VALUES)
            return mp_bad(r, SIM_ETOOBIG, "the input holds more values than the limit");
        if (children > (size_t)(r->end - p)) /* every value takes at least a byte */
            return mp_bad(r, SIM_EPARSE, "the input ends before the elements of an array or map");
    } else if (skip > (size_t)(r->end - p)) {
        return mp_bad(r, SIM_EPARSE, MP_ENDS);
    }
    r->p = p + skip;
    return 0;
}

/* mp_read_any, with the forms of most values of a cable (a short string,
 * a small integer, nil) read in line: the reader is called a hundred times
 * per cable. */
static inline int mp_read(mp_rd_t *r, mp_val_t *v)
{
    if (r->p < r->end) {
        unsigned b = *r->p;
        if (b >= 0xa0 && b <= 0xbf) {
            uint32_t n = b & 0x1fu;
            if ((size_t)(r->end - r->p) > n) {
                v->type = MP_V_STR;
                v->s = (const char *)r->p + 1;
                v->n = n;
                r->p += 1 + n;
                return 0;
            }
        } else if (b <= 0x7f) {
            v->type = MP_V_INT;
            v->i = b;
            r->p++;
            return 0;
        } else if (b == 0xc0) {
            v->type = MP_V_NIL;
            r->p++;
            return 0;
        }
    }
    return mp_read_any(r, v);
}

/* Moves past one whole value at nesting 'level' (the cable map is level
 * 1), elements and all, refusing arrays and maps nested deeper than
 * CABLE_MSGPACK_MAX_DEPTH. */
static int mp_skip(mp_rd_t *r, unsigned level)
{
    uint32_t rem[CABLE_MSGPACK_MAX_DEPTH + 1]; /* values left per open level */
    unsigned top = 1;
    rem[0] = 1;
    while (top) {
        mp_val_t v;
        int      rc;
        if (rem[top - 1] == 0) {
            top--;
            continue;
        }
        rem[top - 1]--;
        if ((rc = mp_read_any(r, &v)) < 0)
            return rc;
        if (v.type != MP_V_ARRAY && v.type != MP_V_MAP)
            continue;
        if (level + top - 1 > CABLE_MSGPACK_MAX_DEPTH)
            return mp_bad(r, SIM_EPARSE, "arrays and maps are nested deeper than the limit");
        if (v.n)
            rem[top++] = v.type == MP_V_MAP ? 2 * v.n : v.n;
    }
    return 0;
}

/* ======================================================================
 * Decoding the fields
 * ====================================================================== */

typedef struct mp_ctx {
    sim_arena_t      *arena;
    const char      **err;
    bool              borrow; /* strings point into the input instead of the arena */
    mp_rd_t           rd;
    const sim_span_t *text;   /* the cable's text as decoded, once text_read */
    bool              text_read;
} mp_ctx_t;

static int mp_fail(mp_ctx_t *x, int code, const char *msg)
{
    *x->err = msg;
    return code;
}

static int mp_int_in(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f, int64_t lo, int64_t hi,
                     int64_t *out)
{
    if (v->type != MP_V_INT)
        return mp_fail(x, SIM_ETYPE, f->etype);
    if (v->i < lo || v->i > hi)
        return mp_fail(x, SIM_EPARSE, f->erange);
    *out = v->i;
    return 0;
}

/* Keys are a few letters: compared in line rather than by a call. */
static inline bool mp_same(const char *a, const char *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* The index of key k (n bytes) in table t, searching from *hint (one past
 * the last match) round to it; -1 when k is not a key of t. */
static int mp_lookup(const mp_field_t *t, unsigned nt, const char *k, uint32_t n, unsigned *hint)
{
    unsigned start = *hint < nt ? *hint : 0;
    for (unsigned i = 0; i < nt; i++) {
        unsigned j = start + i < nt ? start + i : start + i - nt;
        if (t[j].keylen == n && mp_same(t[j].key, k, n)) {
            *hint = j + 1;
            return (int)j;
        }
    }
    return -1;
}

/* A string copied into the arena; "" stays present (non-NULL). */
static int mp_str(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f, sim_span_t *out)
{
    if (v->n > CABLE_MSGPACK_MAX_BYTES)
        return mp_fail(x, SIM_ETOOBIG, f->erange);
    if (x->borrow) /* an empty one too points at its own place in the input,
                      never within the text (see mp_in_text) */
        *out = sim_span(v->s, v->n);
    else
        *out = sim_span(sim_arena_strndup(x->arena, v->n ? v->s : "", v->n), v->n);
    return 0;
}

static int mp_get_SPAN(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f, sim_span_t *out)
{
    if (v->type == MP_V_NIL) {
        *out = SIM_SPAN_NULL;
        return 0;
    }
    if (v->type != MP_V_STR)
        return mp_fail(x, SIM_ETYPE, f->etype);
    return mp_str(x, v, f, out);
}

/* An [offset, length] of the text (the array header v read): the span it
 * names, checked to lie within the text, which must come before. */
static int mp_ref(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f, sim_span_t *out)
{
    mp_val_t e[2];
    int      rc;
    if (v->n != 2)
        return mp_fail(x, SIM_ETYPE, f->etype);
    for (int k = 0; k < 2; k++) {
        if ((rc = mp_read(&x->rd, &e[k])) < 0)
            return rc;
        if (e[k].type != MP_V_INT)
            return mp_fail(x, SIM_ETYPE, f->etype);
    }
    if (!x->text_read)
        return mp_fail(x, SIM_EPARSE, "an [offset, length] of the text comes before field 'text'");
    if (!x->text->p || e[0].i < 0 || e[1].i < 0 || (uint64_t)e[0].i > x->text->len ||
        (uint64_t)e[1].i > x->text->len - (uint64_t)e[0].i)
        return mp_fail(x, SIM_EPARSE, f->erange);
    *out = sim_span(x->text->p + e[0].i, (size_t)e[1].i);
    return 0;
}

static int mp_get_TSPAN(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f, sim_span_t *out)
{
    if (v->type == MP_V_ARRAY)
        return mp_ref(x, v, f, out);
    return mp_get_SPAN(x, v, f, out);
}

/* The shared start of a list field: an array of at most
 * CABLE_MSGPACK_MAX_ITEMS elements. Returns 1 when it has elements, 0 for
 * an empty array, or an error. */
static int mp_array(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f)
{
    if (v->type != MP_V_ARRAY)
        return mp_fail(x, SIM_ETYPE, f->etype);
    if (v->n > CABLE_MSGPACK_MAX_ITEMS)
        return mp_fail(x, SIM_ETOOBIG, f->erange);
    return v->n ? 1 : 0;
}

/* A list of strings (nil, str; and with 'refs', [offset, length] of the text). */
static int mp_list(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f, cable_span_list_t *out,
                   bool refs)
{
    int rc;
    out->v = NULL;
    out->n = out->cap = 0;
    if ((rc = mp_array(x, v, f)) <= 0)
        return rc;
    out->v = sim_arena_alloc(x->arena, (size_t)v->n * sizeof(*out->v));
    out->cap = v->n;
    for (uint32_t i = 0; i < v->n; i++) {
        mp_val_t e = {.type = MP_V_NIL}; /* (all set by mp_read; for the compiler) */
        if ((rc = mp_read(&x->rd, &e)) < 0)
            return rc;
        if (e.type == MP_V_NIL || e.type == MP_V_STR || (refs && e.type == MP_V_ARRAY))
            rc = mp_get_TSPAN(x, &e, f, &out->v[i]);
        else
            rc = mp_fail(x, SIM_ETYPE, f->etype);
        if (rc < 0)
            return rc;
        out->n = i + 1;
    }
    return 0;
}

static int mp_get_SPANS(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f,
                        cable_span_list_t *out)
{
    return mp_list(x, v, f, out, false);
}

static int mp_get_TSPANS(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f,
                         cable_span_list_t *out)
{
    return mp_list(x, v, f, out, true);
}

static int mp_get_PREC(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f, cable_prec_t *out)
{
    int64_t i;
    int     rc = mp_int_in(x, v, f, CABLE_PREC_NONE, CABLE_PREC_Y, &i);
    if (rc == 0)
        *out = (cable_prec_t)i;
    return rc;
}

static int mp_get_CLASS(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f, cable_class_t *out)
{
    int64_t i;
    int     rc = mp_int_in(x, v, f, CABLE_CLASS_NONE, CABLE_CLASS_TOP_SECRET, &i);
    if (rc == 0)
        *out = (cable_class_t)i;
    return rc;
}

static int mp_get_OPTI32(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f, int32_t *out)
{
    int64_t i;
    int     rc;
    if (v->type == MP_V_NIL) {
        *out = -1;
        return 0;
    }
    rc = mp_int_in(x, v, f, INT32_MIN, INT32_MAX, &i);
    if (rc == 0)
        *out = (int32_t)i;
    return rc;
}

static int mp_get_U8(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f, uint8_t *out)
{
    int64_t i;
    int     rc = mp_int_in(x, v, f, 0, UINT8_MAX, &i);
    if (rc == 0)
        *out = (uint8_t)i;
    return rc;
}

static int mp_get_U16(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f, uint16_t *out)
{
    int64_t i;
    int     rc = mp_int_in(x, v, f, 0, UINT16_MAX, &i);
    if (rc == 0)
        *out = (uint16_t)i;
    return rc;
}

static int mp_get_U32(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f, uint32_t *out)
{
    int64_t i;
    int     rc = mp_int_in(x, v, f, 0, UINT32_MAX, &i);
    if (rc == 0)
        *out = (uint32_t)i;
    return rc;
}

static int mp_get_BOOL(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f, bool *out)
{
    if (v->type != MP_V_BOOL)
        return mp_fail(x, SIM_ETYPE, f->etype);
    *out = v->b;
    return 0;
}

static int mp_get_DTG(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f, cable_dtg_t *out)
{
    int64_t i[MP_VALUES_DTG];
    int     rc;
    memset(out, 0, sizeof(*out));
    if (v->type == MP_V_NIL)
        return 0;
    if (v->type != MP_V_ARRAY || v->n != MP_VALUES_DTG)
        return mp_fail(x, SIM_ETYPE, f->etype);
    for (unsigned k = 0; k < MP_VALUES_DTG; k++) {
        mp_val_t e;
        if ((rc = mp_read(&x->rd, &e)) < 0)
            return rc;
        if (e.type != MP_V_INT)
            return mp_fail(x, SIM_ETYPE, f->etype);
        i[k] = e.i;
    }
    for (unsigned k = 0; k < MP_VALUES_DTG; k++)
        if (i[k] < INT_MIN || i[k] > INT_MAX)
            return mp_fail(x, SIM_EPARSE, f->erange);
    if (!mp_dtg_ok((int)i[0], (int)i[1], (int)i[2], (int)i[3], (int)i[4]))
        return mp_fail(x, SIM_EPARSE, f->erange);
    out->year = (int16_t)i[0];
    out->month = (uint8_t)i[1];
    out->day = (uint8_t)i[2];
    out->hour = (uint8_t)i[3];
    out->minute = (uint8_t)i[4];
    out->valid = true;
    return 0;
}

/* The next key of a map (a field's number, or its name; else 'ekey') and
 * its index in table t (-1: not a key of t). */
static int mp_key(mp_ctx_t *x, const mp_field_t *t, unsigned nt, unsigned *hint,
                  const char *ekey, mp_val_t *k, int *idx)
{
    int rc = mp_read(&x->rd, k);
    if (rc < 0)
        return rc;
    if (k->type == MP_V_INT)
        *idx = k->i >= 1 && k->i <= (int64_t)nt ? (int)(k->i - 1) : -1;
    else if (k->type == MP_V_STR)
        *idx = mp_lookup(t, nt, k->s, k->n, hint);
    else
        return mp_fail(x, SIM_ETYPE, ekey);
    return 0;
}

static int mp_addr(mp_ctx_t *x, const mp_field_t *list, cable_addr_t *a)
{
    mp_val_t m;
    uint64_t seen = 0;
    unsigned hint = 0;
    int      rc = 0;

    *a = mp_da;
    if ((rc = mp_read(&x->rd, &m)) < 0)
        return rc;
    if (m.type != MP_V_MAP)
        return mp_fail(x, SIM_ETYPE, list->etype);
    if (m.n > CABLE_MSGPACK_MAX_ITEMS)
        return mp_fail(x, SIM_ETOOBIG, "an addressee map has too many keys");
    for (uint32_t i = 0; i < m.n; i++) {
        mp_val_t k, v;
        int      idx;
        if ((rc = mp_key(x, mp_addr_fields, MP_A_COUNT, &hint, "addressee map keys must be integers or strings",
                         &k, &idx)) < 0)
            return rc;
        if (idx < 0) {
            if ((rc = mp_skip(&x->rd, 4)) < 0) /* a key from a newer schema */
                return rc;
            continue;
        }
        if (seen & (UINT64_C(1) << idx))
            return mp_fail(x, SIM_EPARSE, mp_addr_fields[idx].edup);
        seen |= UINT64_C(1) << idx;
        if ((rc = mp_read(&x->rd, &v)) < 0)
            return rc;
        switch (idx) {
#define MP_GET(key, kind, member)                                                                  \
    case MP_A_##member:                                                                            \
        rc = mp_get_##kind(x, &v, &mp_addr_fields[idx], &a->member);                               \
        break;
            CABLE_MP_ADDR_FIELDS(MP_GET)
#undef MP_GET
        default:
            sim_panic("%s: key index %d out of the table", __func__, idx);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int mp_get_ADDRS(mp_ctx_t *x, const mp_val_t *v, const mp_field_t *f,
                        cable_addr_list_t *out)
{
    int rc;
    out->v = NULL;
    out->n = out->cap = 0;
    if ((rc = mp_array(x, v, f)) <= 0)
        return rc;
    out->v = sim_arena_alloc(x->arena, (size_t)v->n * sizeof(*out->v));
    out->cap = v->n;
    for (uint32_t i = 0; i < v->n; i++) {
        if ((rc = mp_addr(x, f, &out->v[i])) < 0)
            return rc;
        out->n = i + 1;
    }
    return 0;
}

static bool mp_is_v(const mp_val_t *k)
{
    return k->type == MP_V_STR && k->n == 1 && k->s[0] == 'v';
}

/* The schema version, wherever "v" is in the map of n entries at the
 * cursor (which does not move): it decides how to read everything else. */
static int mp_version(mp_ctx_t *x, uint32_t n)
{
    mp_rd_t  r = x->rd;
    mp_val_t ver = {.type = MP_V_OTHER};
    bool     found = false;
    int      rc;

    for (uint32_t i = 0; i < n; i++) {
        mp_rd_t  at = r;
        mp_val_t k;
        if ((rc = mp_read(&r, &k)) < 0)
            return rc;
        if (!mp_is_v(&k)) {
            r = at;
            if ((rc = mp_skip(&r, 2)) < 0 || /* the key, whatever it is */
                (rc = mp_skip(&r, 2)) < 0)   /* its value */
                return rc;
            continue;
        }
        if (found)
            return mp_fail(x, SIM_EPARSE, "field 'v' appears twice");
        found = true;
        at = r;
        if ((rc = mp_read(&r, &ver)) < 0)
            return rc;
        r = at;
        if ((rc = mp_skip(&r, 2)) < 0)
            return rc;
    }
    if (!found)
        return mp_fail(x, SIM_EPARSE, "field 'v' (the schema version) is missing");
    if (ver.type != MP_V_INT)
        return mp_fail(x, SIM_ETYPE, "field 'v' must be an integer");
    if (ver.i < CABLE_MSGPACK_VERSION_MIN || ver.i > CABLE_MSGPACK_VERSION)
        return mp_fail(x, SIM_EVERSION, "field 'v' names a schema version this build cannot read");
    return 0;
}

static int mp_cable(mp_ctx_t *x, cable_t *c)
{
    /* The encoder's budget, taken field by field as they are read. */
    mp_budget_t b = {5 + (MP_F_COUNT + 1) * MP_BYTES_PER_KEY, MP_VALUES_FIXED, 0, &c->text};
    mp_val_t    m;
    uint64_t    seen = 0;
    unsigned hint = 0;
    int      rc = 0;
    bool     v_first = false;

    if ((rc = mp_read(&x->rd, &m)) < 0)
        return rc;
    if (m.type != MP_V_MAP)
        return mp_fail(x, SIM_ETYPE, "a cable must be a map");
    if (m.n > CABLE_MSGPACK_MAX_ITEMS)
        return mp_fail(x, SIM_ETOOBIG, "the cable map has too many keys");

    /* An encoder writes "v" first, as a fixint: then nothing needs to be
     * looked for. Anywhere else, the version is found first. */
    x->text = &c->text;
    x->text_read = false;
    if (m.n && x->rd.end - x->rd.p >= 3 && x->rd.p[0] == 0xa1 && x->rd.p[1] == 'v' &&
        x->rd.p[2] >= CABLE_MSGPACK_VERSION_MIN && x->rd.p[2] <= CABLE_MSGPACK_VERSION)
        v_first = true;
    else if ((rc = mp_version(x, m.n)) < 0)
        return rc;

    for (uint32_t i = 0; i < m.n; i++) {
        mp_val_t k, v;
        int      idx;
        if ((rc = mp_key(x, mp_fields, MP_F_COUNT, &hint, "cable map keys must be integers or strings", &k,
                         &idx)) < 0)
            return rc;
        if (idx < 0) {
            /* "v", or a key from a newer schema. A second "v" after a first
             * one read above is found here. */
            if (mp_is_v(&k) && v_first && i > 0)
                return mp_fail(x, SIM_EPARSE, "field 'v' appears twice");
            if ((rc = mp_skip(&x->rd, 2)) < 0)
                return rc;
            continue;
        }
        if (seen & (UINT64_C(1) << idx))
            return mp_fail(x, SIM_EPARSE, mp_fields[idx].edup);
        seen |= UINT64_C(1) << idx;
        if ((rc = mp_read(&x->rd, &v)) < 0)
            return rc;
        switch (idx) {
#define MP_GET(key, kind, member)                                                                  \
    case MP_F_##member:                                                                            \
        rc = mp_get_##kind(x, &v, &mp_fields[idx], &c->member);                                    \
        if (rc == 0)                                                                               \
            mp_chk_##kind(&c->member, &b);                                                         \
        if (MP_F_##member == MP_F_text)                                                            \
            x->text_read = true;                                                                   \
        break;
            CABLE_MP_FIELDS(MP_GET)
#undef MP_GET
        default:
            sim_panic("%s: key index %d out of the table", __func__, idx);
        }
        if (rc < 0)
            return rc;
    }
    if (c->fl4_signals > c->signals.n)
        return mp_fail(x, SIM_EPARSE, "field 'sig4' counts more signals than 'sig' holds");
    if (c->fl4_controls > c->controls.n)
        return mp_fail(x, SIM_EPARSE, "field 'ctl4' counts more controls than 'ctl' holds");
    /* Whatever decodes must encode again (a router forwards what it reads):
     * a map of empty addressee maps, say, is small here but not re-encoded. */
    rc = mp_budget_end(c, &b);
    if (rc == SIM_ETOOBIG)
        return mp_fail(x, SIM_ETOOBIG, "the cable would exceed the limits once encoded again");
    if (rc < 0) /* every value was range-checked above: this is our bug */
        sim_panic("%s: a decoded cable fails the encoder's checks (%d)", __func__, rc);
    return 0;
}

/* cable_reset, keeping the borrowed file name the caller may have set. */
static void mp_reset(cable_t *c)
{
    const char *file = c->file;
    cable_reset(c);
    c->file = file;
}

/* One pass over the bytes (two when "v" is not first) and no allocation
 * but the cable's arena: the fields are read straight from the bytes, every
 * length checked against the input and the limits as it is met. */
static int decode(cable_t *c, const char *buf, size_t len, const char **err, bool borrow)
{
    const char *unused;
    mp_ctx_t    x;
    int         rc;

    if (!err)
        err = &unused;
    mp_reset(c);
    if (len > CABLE_MSGPACK_MAX_BYTES) {
        *err = "the input is longer than the size limit";
        return SIM_ETOOBIG;
    }
    if (!buf || !len) {
        *err = "the input is empty";
        return SIM_EPARSE;
    }
    x.arena = &c->arena;
    x.err = err;
    x.borrow = borrow;
    x.rd.p = (const unsigned char *)buf;
    x.rd.end = x.rd.p + len;
    x.rd.values = 1; /* the root */
    x.rd.err = err;
    rc = mp_cable(&x, c);
    if (rc == 0 && x.rd.p != x.rd.end) {
        *err = "bytes follow the end of the cable map";
        rc = SIM_EPARSE;
    }
    if (rc < 0)
        mp_reset(c);
    return rc;
}

int cable_msgpack_decode(cable_t *c, const char *buf, size_t len, const char **err)
{
    return decode(c, buf, len, err, false);
}

int cable_msgpack_decode_view(cable_t *c, const char *buf, size_t len, const char **err)
{
    return decode(c, buf, len, err, true);
}
