/*
 * cable_msgpack.c - the msgpack form of a cable (schema in cable_msgpack.md).
 *
 * Both directions are driven by one list of fields (CABLE_MP_FIELDS below),
 * so the encoder, the decoder and the error messages cannot drift apart: the
 * list gives each field its key, its kind (string, list of strings, list of
 * addressees, precedence, ...) and the member of cable_t it maps to, and the
 * per-kind functions do the work with the member's real C type.
 *
 * Decoding from bytes is three steps. A structural scan walks the bytes once
 * without allocating and rejects truncated, malformed, over-long, over-deep
 * or over-counted input; msgpack-c allocates the elements of an array or map
 * as soon as it reads the claimed count, so nothing unchecked may reach it.
 * The same scan sizes a msgpack_zone on the stack, which msgpack_unpack then
 * fills with one chunk allocation. Last, the object is walked and every string
 * copied into the cable's arena, so the cable owns its data and nothing is
 * malloc'ed per field. The decoder runs for every cable a router receives:
 * keys are matched against the field list starting where the previous key
 * matched, so a map in the encoder's own order costs one comparison per key.
 */
#include "cable_msgpack.h"

#include <limits.h>
#include <stdlib.h>

/* X(key, kind, member): the top-level keys, in the order the encoder writes
 * them after "v". Kinds are the suffixes of the mp_get_* / mp_put_* / mp_chk_*
 * functions. Adding a field means adding a line here and to the schema. */
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
    X("clsl", SPAN, classification_line)                                                           \
    X("post", SPAN, post)                                                                          \
    X("cno", OPTI32, cable_number)                                                                 \
    X("cap", SPANS, captions)                                                                      \
    X("eo", SPAN, eo)                                                                              \
    X("tags", SPANS, tags)                                                                         \
    X("subj", SPAN, subject)                                                                       \
    X("ref", SPAN, ref)                                                                            \
    X("text", SPAN, text)                                                                          \
    X("sgn", SPAN, signature)                                                                      \
    X("bb", U32, body_bytes)                                                                       \
    X("bt", BOOL, has_bt)                                                                          \
    X("trl", BOOL, has_trailer)                                                                    \
    X("tssn", OPTI32, trailer_ssn)

/* The keys of one addressee map, in the encoder's order. */
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

/* Values of one encoded cable, counted the way the scan counts them: the
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
    uint64_t bytes;
    uint64_t values;
    int      rc; /* first failure, 0 while fine */
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

static void mp_chk_SPANS(const cable_span_list_t *l, mp_budget_t *b)
{
    if (l->n > CABLE_MSGPACK_MAX_ITEMS || (l->n && !l->v)) {
        mp_refuse(b, l->n > CABLE_MSGPACK_MAX_ITEMS ? SIM_ETOOBIG : SIM_EUSAGE);
        return;
    }
    b->values += l->n;
    for (uint32_t i = 0; i < l->n; i++) {
        b->bytes += 5;
        mp_chk_SPAN(&l->v[i], b);
    }
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

/* The checks of cable_msgpack_pack: 0, SIM_EUSAGE or SIM_ETOOBIG. */
static int mp_check(const cable_t *c)
{
    mp_budget_t b = {5 + (MP_F_COUNT + 1) * MP_BYTES_PER_KEY, MP_VALUES_FIXED, 0};
#define MP_CHK(key, kind, member) mp_chk_##kind(&c->member, &b);
    CABLE_MP_FIELDS(MP_CHK)
#undef MP_CHK
    if (c->fl4_signals > c->signals.n || c->fl4_controls > c->controls.n)
        mp_refuse(&b, SIM_EUSAGE); /* more on format line 4 than there are */
    if (b.rc)
        return b.rc;
    if (b.bytes > CABLE_MSGPACK_MAX_BYTES || b.values > CABLE_MSGPACK_MAX_VALUES)
        return SIM_ETOOBIG;
    return 0;
}

/* Each put returns msgpack-c's result: 0, or non-zero when the writer failed. */
static int mp_put_key(msgpack_packer *pk, const mp_field_t *f)
{
    return msgpack_pack_str_with_body(pk, f->key, f->keylen);
}

static int mp_put_SPAN(msgpack_packer *pk, const sim_span_t *s)
{
    if (!s->p)
        return msgpack_pack_nil(pk);
    return msgpack_pack_str_with_body(pk, s->p, s->len);
}

static int mp_put_SPANS(msgpack_packer *pk, const cable_span_list_t *l)
{
    if (msgpack_pack_array(pk, l->n) != 0)
        return -1;
    for (uint32_t i = 0; i < l->n; i++)
        if (mp_put_SPAN(pk, &l->v[i]) != 0)
            return -1;
    return 0;
}

static int mp_put_PREC(msgpack_packer *pk, const cable_prec_t *p)
{
    return msgpack_pack_uint8(pk, (uint8_t)*p);
}

static int mp_put_CLASS(msgpack_packer *pk, const cable_class_t *c)
{
    return msgpack_pack_uint8(pk, (uint8_t)*c);
}

static int mp_put_OPTI32(msgpack_packer *pk, const int32_t *v)
{
    if (*v == -1)
        return msgpack_pack_nil(pk);
    return msgpack_pack_int32(pk, *v);
}

static int mp_put_U8(msgpack_packer *pk, const uint8_t *v)
{
    return msgpack_pack_uint8(pk, *v);
}

static int mp_put_U16(msgpack_packer *pk, const uint16_t *v)
{
    return msgpack_pack_uint16(pk, *v);
}

static int mp_put_U32(msgpack_packer *pk, const uint32_t *v)
{
    return msgpack_pack_uint32(pk, *v);
}

static int mp_put_BOOL(msgpack_packer *pk, const bool *v)
{
    return *v ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
}

static int mp_put_DTG(msgpack_packer *pk, const cable_dtg_t *d)
{
    if (!d->valid)
        return msgpack_pack_nil(pk);
    if (msgpack_pack_array(pk, MP_VALUES_DTG) != 0 || msgpack_pack_int16(pk, d->year) != 0 ||
        msgpack_pack_uint8(pk, d->month) != 0 || msgpack_pack_uint8(pk, d->day) != 0 ||
        msgpack_pack_uint8(pk, d->hour) != 0 || msgpack_pack_uint8(pk, d->minute) != 0)
        return -1;
    return 0;
}

static int mp_put_ADDRS(msgpack_packer *pk, const cable_addr_list_t *l)
{
    if (msgpack_pack_array(pk, l->n) != 0)
        return -1;
    for (uint32_t i = 0; i < l->n; i++) {
        const cable_addr_t *a = &l->v[i];
        if (msgpack_pack_map(pk, MP_A_COUNT) != 0)
            return -1;
#define MP_PUT(key, kind, member)                                                                  \
    if (mp_put_key(pk, &mp_addr_fields[MP_A_##member]) != 0 || mp_put_##kind(pk, &a->member) != 0) \
        return -1;
        CABLE_MP_ADDR_FIELDS(MP_PUT)
#undef MP_PUT
    }
    return 0;
}

int cable_msgpack_pack(const cable_t *c, msgpack_packer *pk)
{
    static const mp_field_t version = {"v", 1, NULL, NULL, NULL};
    int                     rc = mp_check(c);
    if (rc < 0)
        return rc;
    if (msgpack_pack_map(pk, MP_F_COUNT + 1) != 0 || mp_put_key(pk, &version) != 0 ||
        msgpack_pack_uint8(pk, CABLE_MSGPACK_VERSION) != 0)
        return SIM_EIO;
#define MP_PUT(key, kind, member)                                                                  \
    if (mp_put_key(pk, &mp_fields[MP_F_##member]) != 0 || mp_put_##kind(pk, &c->member) != 0)      \
        return SIM_EIO;
    CABLE_MP_FIELDS(MP_PUT)
#undef MP_PUT
    return 0;
}

int cable_msgpack_encode(const cable_t *c, char **out, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer  pk;
    int             rc;

    *out = NULL;
    *len = 0;
    msgpack_sbuffer_init(&sb);
    /* One allocation in the usual case: the text plus room for the heading. */
    sb.alloc = (size_t)c->text.len + c->subject.len + 1024 +
               64 * ((size_t)c->to.n + c->info.n + c->xmt.n + c->routing_indicators.n);
    sb.data = sim_xmalloc(sb.alloc);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    rc = cable_msgpack_pack(c, &pk);
    if (rc == SIM_EIO) /* an sbuffer fails only when realloc does */
        sim_panic("%s: out of memory", __func__);
    if (rc < 0) {
        msgpack_sbuffer_destroy(&sb);
        return rc;
    }
    *len = sb.size;
    *out = msgpack_sbuffer_release(&sb);
    return 0;
}

/* ======================================================================
 * Structural scan of the bytes
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

/* mp_scan - check that p[0..len) is exactly one complete msgpack value
 * within the limits, without allocating. On 0, *zone_bytes is what
 * msgpack_unpack will allocate for the elements of its arrays and maps. */
static int mp_scan(const unsigned char *p, size_t len, size_t *zone_bytes, const char **err)
{
    uint32_t rem[CABLE_MSGPACK_MAX_DEPTH + 1]; /* values still expected per open level */
    unsigned depth = 1;                        /* level 0 expects the root value */
    size_t   pos = 0, values = 1, zone = 0;

    rem[0] = 1;
    while (depth > 0) {
        unsigned      lenbytes = 0;  /* big-endian length that follows the type byte */
        size_t        fixed = 0;     /* payload bytes besides a length's */
        int           container = 0; /* 1 array, 2 map */
        uint32_t      n = 0;
        unsigned char b;

        if (rem[depth - 1] == 0) {
            depth--;
            continue;
        }
        rem[depth - 1]--;
        if (pos >= len) {
            *err = "the input ends in the middle of a value";
            return SIM_EPARSE;
        }
        b = p[pos++];
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            /* fixint, nil, false, true: nothing follows */
        } else if (b <= 0x8f) {
            container = 2;
            n = b & 0x0fu;
        } else if (b <= 0x9f) {
            container = 1;
            n = b & 0x0fu;
        } else if (b <= 0xbf) {
            fixed = b & 0x1fu;
        } else if (b == 0xc1) {
            *err = "the input holds a byte that starts no msgpack value";
            return SIM_EPARSE;
        } else {
            lenbytes = mp_types[b - 0xc4].lenbytes;
            fixed = mp_types[b - 0xc4].fixed;
            container = mp_types[b - 0xc4].container;
        }
        if (lenbytes) {
            uint32_t v;
            if (len - pos < lenbytes) {
                *err = "the input ends in the middle of a value";
                return SIM_EPARSE;
            }
            v = mp_be(p + pos, lenbytes);
            pos += lenbytes;
            if (container) {
                n = v;
            } else {
                if (v > CABLE_MSGPACK_MAX_BYTES) {
                    *err = "a string or binary value claims more than the size limit";
                    return SIM_ETOOBIG;
                }
                fixed += v;
            }
        }
        if (container) {
            size_t children = container == 2 ? 2 * (size_t)n : n;
            if (n > CABLE_MSGPACK_MAX_ITEMS) {
                *err = "an array or map claims more elements than the limit";
                return SIM_ETOOBIG;
            }
            values += children;
            if (values > CABLE_MSGPACK_MAX_VALUES) {
                *err = "the input holds more values than the limit";
                return SIM_ETOOBIG;
            }
            if (children > len - pos) { /* every value takes at least one byte */
                *err = "the input ends before the elements of an array or map";
                return SIM_EPARSE;
            }
            if (depth > CABLE_MSGPACK_MAX_DEPTH) {
                *err = "arrays and maps are nested deeper than the limit";
                return SIM_EPARSE;
            }
            zone += container == 2 ? n * sizeof(msgpack_object_kv) : n * sizeof(msgpack_object);
            if (children)
                rem[depth++] = (uint32_t)children;
        } else if (fixed > len - pos) {
            *err = "the input ends in the middle of a value";
            return SIM_EPARSE;
        } else {
            pos += fixed;
        }
    }
    if (pos != len) {
        *err = "bytes follow the end of the cable map";
        return SIM_EPARSE;
    }
    *zone_bytes = zone;
    return 0;
}

/* ======================================================================
 * Decoding an object
 * ====================================================================== */

typedef struct mp_ctx {
    sim_arena_t *arena;
    const char **err;
    bool         borrow; /* strings point into the input instead of the arena */
} mp_ctx_t;

static int mp_fail(mp_ctx_t *x, int code, const char *msg)
{
    *x->err = msg;
    return code;
}

/* An integer of either sign; values above INT64_MAX saturate (and then fail
 * every range check). False when o is not an integer. */
static bool mp_int(const msgpack_object *o, int64_t *v)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        *v = o->via.u64 > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)o->via.u64;
        return true;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *v = o->via.i64;
        return true;
    }
    return false;
}

static int mp_int_in(mp_ctx_t *x, const msgpack_object *o, const mp_field_t *f, int64_t lo,
                     int64_t hi, int64_t *v)
{
    if (!mp_int(o, v))
        return mp_fail(x, SIM_ETYPE, f->etype);
    if (*v < lo || *v > hi)
        return mp_fail(x, SIM_EPARSE, f->erange);
    return 0;
}

static bool mp_key_is(const msgpack_object *k, const char *s, uint32_t n)
{
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, s, n) == 0;
}

/* The index of key k in table t, searching from *hint (one past the last
 * match) round to it; -1 when k is not a key of t. */
static int mp_lookup(const mp_field_t *t, unsigned n, const msgpack_object_str *k, unsigned *hint)
{
    unsigned start = *hint < n ? *hint : 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned j = start + i < n ? start + i : start + i - n;
        if (t[j].keylen == k->size && memcmp(t[j].key, k->ptr, k->size) == 0) {
            *hint = j + 1;
            return (int)j;
        }
    }
    return -1;
}

/* A string copied into the arena; "" stays present (non-NULL). */
static int mp_str(mp_ctx_t *x, const msgpack_object *o, const mp_field_t *f, sim_span_t *out)
{
    uint32_t n = o->via.str.size;
    if (n > CABLE_MSGPACK_MAX_BYTES)
        return mp_fail(x, SIM_ETOOBIG, f->erange);
    if (x->borrow)
        *out = sim_span(n ? o->via.str.ptr : "", n);
    else
        *out = sim_span(sim_arena_strndup(x->arena, n ? o->via.str.ptr : "", n), n);
    return 0;
}

static int mp_get_SPAN(mp_ctx_t *x, const msgpack_object *o, const mp_field_t *f, sim_span_t *out)
{
    if (o->type == MSGPACK_OBJECT_NIL) {
        *out = SIM_SPAN_NULL;
        return 0;
    }
    if (o->type != MSGPACK_OBJECT_STR)
        return mp_fail(x, SIM_ETYPE, f->etype);
    return mp_str(x, o, f, out);
}

/* The shared start of a list field: an array of at most
 * CABLE_MSGPACK_MAX_ITEMS elements. Returns 1 with *n set, 0 for an empty
 * array, or an error. */
static int mp_array(mp_ctx_t *x, const msgpack_object *o, const mp_field_t *f, uint32_t *n)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return mp_fail(x, SIM_ETYPE, f->etype);
    *n = o->via.array.size;
    if (*n > CABLE_MSGPACK_MAX_ITEMS)
        return mp_fail(x, SIM_ETOOBIG, f->erange);
    return *n ? 1 : 0;
}

static int mp_get_SPANS(mp_ctx_t *x, const msgpack_object *o, const mp_field_t *f,
                        cable_span_list_t *out)
{
    uint32_t n;
    int      rc;
    out->v = NULL;
    out->n = out->cap = 0;
    if ((rc = mp_array(x, o, f, &n)) <= 0)
        return rc;
    out->v = sim_arena_alloc(x->arena, (size_t)n * sizeof(*out->v));
    out->cap = n;
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        if (e->type == MSGPACK_OBJECT_NIL)
            out->v[i] = SIM_SPAN_NULL;
        else if (e->type != MSGPACK_OBJECT_STR)
            return mp_fail(x, SIM_ETYPE, f->etype);
        else if ((rc = mp_str(x, e, f, &out->v[i])) < 0)
            return rc;
        out->n = i + 1;
    }
    return 0;
}

static int mp_get_PREC(mp_ctx_t *x, const msgpack_object *o, const mp_field_t *f, cable_prec_t *out)
{
    int64_t v;
    int     rc = mp_int_in(x, o, f, CABLE_PREC_NONE, CABLE_PREC_Y, &v);
    if (rc == 0)
        *out = (cable_prec_t)v;
    return rc;
}

static int mp_get_CLASS(mp_ctx_t *x, const msgpack_object *o, const mp_field_t *f,
                        cable_class_t *out)
{
    int64_t v;
    int     rc = mp_int_in(x, o, f, CABLE_CLASS_NONE, CABLE_CLASS_TOP_SECRET, &v);
    if (rc == 0)
        *out = (cable_class_t)v;
    return rc;
}

static int mp_get_OPTI32(mp_ctx_t *x, const msgpack_object *o, const mp_field_t *f, int32_t *out)
{
    int64_t v;
    int     rc;
    if (o->type == MSGPACK_OBJECT_NIL) {
        *out = -1;
        return 0;
    }
    rc = mp_int_in(x, o, f, INT32_MIN, INT32_MAX, &v);
    if (rc == 0)
        *out = (int32_t)v;
    return rc;
}

static int mp_get_U8(mp_ctx_t *x, const msgpack_object *o, const mp_field_t *f, uint8_t *out)
{
    int64_t v;
    int     rc = mp_int_in(x, o, f, 0, UINT8_MAX, &v);
    if (rc == 0)
        *out = (uint8_t)v;
    return rc;
}

static int mp_get_U16(mp_ctx_t *x, const msgpack_object *o, const mp_field_t *f, uint16_t *out)
{
    int64_t v;
    int     rc = mp_int_in(x, o, f, 0, UINT16_MAX, &v);
    if (rc == 0)
        *out = (uint16_t)v;
    return rc;
}

static int mp_get_U32(mp_ctx_t *x, const msgpack_object *o, const mp_field_t *f, uint32_t *out)
{
    int64_t v;
    int     rc = mp_int_in(x, o, f, 0, UINT32_MAX, &v);
    if (rc == 0)
        *out = (uint32_t)v;
    return rc;
}

static int mp_get_BOOL(mp_ctx_t *x, const msgpack_object *o, const mp_field_t *f, bool *out)
{
    if (o->type != MSGPACK_OBJECT_BOOLEAN)
        return mp_fail(x, SIM_ETYPE, f->etype);
    *out = o->via.boolean;
    return 0;
}

static int mp_get_DTG(mp_ctx_t *x, const msgpack_object *o, const mp_field_t *f, cable_dtg_t *out)
{
    int64_t v[MP_VALUES_DTG];
    memset(out, 0, sizeof(*out));
    if (o->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != MP_VALUES_DTG)
        return mp_fail(x, SIM_ETYPE, f->etype);
    for (unsigned i = 0; i < MP_VALUES_DTG; i++)
        if (!mp_int(&o->via.array.ptr[i], &v[i]))
            return mp_fail(x, SIM_ETYPE, f->etype);
    for (unsigned i = 0; i < MP_VALUES_DTG; i++)
        if (v[i] < INT_MIN || v[i] > INT_MAX)
            return mp_fail(x, SIM_EPARSE, f->erange);
    if (!mp_dtg_ok((int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4]))
        return mp_fail(x, SIM_EPARSE, f->erange);
    out->year = (int16_t)v[0];
    out->month = (uint8_t)v[1];
    out->day = (uint8_t)v[2];
    out->hour = (uint8_t)v[3];
    out->minute = (uint8_t)v[4];
    out->valid = true;
    return 0;
}

static int mp_addr(mp_ctx_t *x, const msgpack_object *o, const mp_field_t *list, cable_addr_t *a)
{
    const msgpack_object_kv *kv;
    uint64_t                 seen = 0;
    unsigned                 hint = 0;
    int                      rc = 0;

    memset(a, 0, sizeof(*a));
    a->serial_lo = a->serial_hi = -1;
    if (o->type != MSGPACK_OBJECT_MAP)
        return mp_fail(x, SIM_ETYPE, list->etype);
    if (o->via.map.size > CABLE_MSGPACK_MAX_ITEMS)
        return mp_fail(x, SIM_ETOOBIG, "an addressee map has too many keys");
    kv = o->via.map.ptr;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        int idx;
        if (kv[i].key.type != MSGPACK_OBJECT_STR)
            return mp_fail(x, SIM_ETYPE, "addressee map keys must be strings");
        idx = mp_lookup(mp_addr_fields, MP_A_COUNT, &kv[i].key.via.str, &hint);
        if (idx < 0)
            continue; /* a key from a newer schema */
        if (seen & (UINT64_C(1) << idx))
            return mp_fail(x, SIM_EPARSE, mp_addr_fields[idx].edup);
        seen |= UINT64_C(1) << idx;
        switch (idx) {
#define MP_GET(key, kind, member)                                                                  \
    case MP_A_##member:                                                                            \
        rc = mp_get_##kind(x, &kv[i].val, &mp_addr_fields[idx], &a->member);                       \
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

static int mp_get_ADDRS(mp_ctx_t *x, const msgpack_object *o, const mp_field_t *f,
                        cable_addr_list_t *out)
{
    uint32_t n;
    int      rc;
    out->v = NULL;
    out->n = out->cap = 0;
    if ((rc = mp_array(x, o, f, &n)) <= 0)
        return rc;
    out->v = sim_arena_alloc(x->arena, (size_t)n * sizeof(*out->v));
    out->cap = n;
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = mp_addr(x, &o->via.array.ptr[i], f, &out->v[i])) < 0)
            return rc;
        out->n = i + 1;
    }
    return 0;
}

static int mp_cable(mp_ctx_t *x, cable_t *c, const msgpack_object *o)
{
    const msgpack_object_kv *kv;
    const msgpack_object    *ver = NULL;
    uint64_t                 seen = 0;
    unsigned                 hint = 0;
    uint32_t                 n;
    int64_t                  v;
    int                      rc = 0;

    if (o->type != MSGPACK_OBJECT_MAP)
        return mp_fail(x, SIM_ETYPE, "a cable must be a map");
    n = o->via.map.size;
    kv = o->via.map.ptr;
    if (n > CABLE_MSGPACK_MAX_ITEMS)
        return mp_fail(x, SIM_ETOOBIG, "the cable map has too many keys");

    /* The version decides how to read everything else, wherever it is. */
    for (uint32_t i = 0; i < n; i++) {
        if (!mp_key_is(&kv[i].key, "v", 1))
            continue;
        if (ver)
            return mp_fail(x, SIM_EPARSE, "field 'v' appears twice");
        ver = &kv[i].val;
    }
    if (!ver)
        return mp_fail(x, SIM_EPARSE, "field 'v' (the schema version) is missing");
    if (!mp_int(ver, &v))
        return mp_fail(x, SIM_ETYPE, "field 'v' must be an integer");
    if (v != CABLE_MSGPACK_VERSION)
        return mp_fail(x, SIM_EVERSION, "field 'v' names a schema version this build cannot read");

    for (uint32_t i = 0; i < n; i++) {
        int idx;
        if (kv[i].key.type != MSGPACK_OBJECT_STR)
            return mp_fail(x, SIM_ETYPE, "cable map keys must be strings");
        idx = mp_lookup(mp_fields, MP_F_COUNT, &kv[i].key.via.str, &hint);
        if (idx < 0)
            continue; /* "v", or a key from a newer schema */
        if (seen & (UINT64_C(1) << idx))
            return mp_fail(x, SIM_EPARSE, mp_fields[idx].edup);
        seen |= UINT64_C(1) << idx;
        switch (idx) {
#define MP_GET(key, kind, member)                                                                  \
    case MP_F_##member:                                                                            \
        rc = mp_get_##kind(x, &kv[i].val, &mp_fields[idx], &c->member);                            \
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
    rc = mp_check(c);
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

static int from_object(cable_t *c, const msgpack_object *o, const char **err, bool borrow)
{
    const char *unused;
    mp_ctx_t    x = {&c->arena, err ? err : &unused, borrow};
    int         rc;

    mp_reset(c);
    rc = mp_cable(&x, c, o);
    if (rc < 0)
        mp_reset(c);
    return rc;
}

int cable_msgpack_from_object(cable_t *c, const msgpack_object *o, const char **err)
{
    return from_object(c, o, err, false);
}

/* Zone chunks up to this size are kept per thread between decodes. */
#define MP_ZONE_KEEP (64 * 1024)

static int decode(cable_t *c, const char *buf, size_t len, const char **err, bool borrow)
{
    const char           *unused;
    msgpack_zone          zone;
    msgpack_object        obj;
    msgpack_unpack_return ret;
    size_t                zone_bytes = 0, off = 0;
    int                   rc;

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
    rc = mp_scan((const unsigned char *)buf, len, &zone_bytes, err);
    if (rc < 0)
        return rc;
    /* One chunk big enough for every array and map element (plus the
     * alignment slack msgpack-c may add per allocation). A thread keeps its
     * chunk for the next small cable rather than allocating one each time. */
    if (zone_bytes + 64 <= MP_ZONE_KEEP) {
        static _Thread_local msgpack_zone *kept;
        if (!kept && !(kept = msgpack_zone_new(MP_ZONE_KEEP)))
            sim_panic("%s: out of memory", __func__);
        msgpack_zone_clear(kept);
        ret = msgpack_unpack(buf, len, &off, kept, &obj);
        if (ret == MSGPACK_UNPACK_SUCCESS)
            rc = from_object(c, &obj, err, borrow);
        else if (ret == MSGPACK_UNPACK_NOMEM_ERROR)
            sim_panic("%s: out of memory", __func__);
        else {
            *err = "the input is not valid msgpack";
            rc = SIM_EPARSE;
        }
        msgpack_zone_clear(kept);
        return rc;
    }
    if (!msgpack_zone_init(&zone, zone_bytes + 64))
        sim_panic("%s: out of memory", __func__);
    ret = msgpack_unpack(buf, len, &off, &zone, &obj);
    if (ret == MSGPACK_UNPACK_SUCCESS) {
        rc = from_object(c, &obj, err, borrow);
    } else if (ret == MSGPACK_UNPACK_NOMEM_ERROR) {
        sim_panic("%s: out of memory", __func__);
    } else {
        /* The scan accepted what msgpack-c refused: keep the promise of an
         * error rather than trusting either. */
        *err = "the input is not valid msgpack";
        rc = SIM_EPARSE;
    }
    msgpack_zone_destroy(&zone);
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
