/*
 * link_frame.c - encode, delimit and decode the frames of the link protocol
 * (PROTOCOL.md), and the streaming reader that cuts a byte stream into them.
 *
 * Encoding packs one map with msgpack-c into the caller's sbuffer behind a
 * 4-byte length that is patched once the map is written; any failure rolls
 * the sbuffer back to where it was, so a half frame never reaches a socket.
 *
 * Decoding does not go through msgpack_unpack: msgpack-c allocates the
 * elements of an array or map as soon as it reads the count a peer claims,
 * and copies or references every value whether we need it or not. A frame is
 * one flat map of scalars, two short lists and one bin, so a cursor reads it
 * in place instead: each value's header is checked against the bytes left
 * before anything is used, strings and the cable bytes become spans into the
 * payload, and only the two lists (HELLO links, CABLE ids) are allocated, in
 * the caller's msgpack_zone, after their count was checked against the bytes
 * that could hold them. A frame that starts as every encoder writes it
 * ("v": 1, then "t") is read in one pass. Any other is walked twice: first
 * for "v" and "t" (so a frame of another version is reported as such,
 * whatever its other keys), then for the keys of that type. Unknown keys are skipped, whatever they
 * hold, without recursion. Every failure is a code and a static sentence;
 * nothing in here can read outside the payload or abort on input.
 *
 * The reader owns one buffer whose size never passes max_frame + read_size.
 * It hands out frames in place; the unread tail is moved to the front only
 * when the next read needs the room, so payloads stay valid until then.
 */
#include "link_frame.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* --- names ---------------------------------------------------------------- */

static const char *const link__type_names[LINK_T_COUNT] = {
    NULL, "hello", "cable", "ack", "svc", "abort", "hb", "promise",
};

static const char *const link__role_names[] = {NULL, "station", "router", "host", "clock"};

static const char *const link__svc_names[LINK_SVC_COUNT] = {
    NULL,       "unknown-ri", "gap",     "garbled", "duplicate", "undeliverable",
    "impersonation", "protocol", "busy", "version", "too-big",   "closed",
};

const char *link_type_name(link_type_t t)
{
    if ((int)t <= 0 || (int)t >= LINK_T_COUNT)
        return NULL;
    return link__type_names[t];
}

const char *link_role_name(link_role_t r)
{
    if ((int)r <= 0 || (size_t)r >= SIM_ARRAY_LEN(link__role_names))
        return NULL;
    return link__role_names[r];
}

const char *link_svc_code_name(link_svc_code_t c)
{
    if ((int)c <= 0 || (int)c >= LINK_SVC_COUNT)
        return NULL;
    return link__svc_names[c];
}

link_svc_code_t link_svc_code_from(sim_span_t s)
{
    for (int i = 1; i < LINK_SVC_COUNT; i++)
        if (sim_span_eq_str(s, link__svc_names[i]))
            return (link_svc_code_t)i;
    return LINK_SVC_OTHER;
}

static link_type_t link__type_from(sim_span_t s)
{
    for (int i = 1; i < LINK_T_COUNT; i++)
        if (sim_span_eq_str(s, link__type_names[i]))
            return (link_type_t)i;
    return LINK_T_NONE;
}

static link_role_t link__role_from(sim_span_t s)
{
    for (size_t i = 1; i < SIM_ARRAY_LEN(link__role_names); i++)
        if (sim_span_eq_str(s, link__role_names[i]))
            return (link_role_t)i;
    return LINK_ROLE_NONE;
}

size_t link_svc_gap_text(char *buf, size_t size, int from, int to)
{
    int n;
    if (from == to)
        n = snprintf(buf, size, "GAP CSN %04d PLS RPT", from);
    else
        n = snprintf(buf, size, "GAP CSN %04d-%04d PLS RPT", from, to);
    return n < 0 ? 0 : (size_t)n;
}

void link_frame_init(link_frame_t *f, link_type_t type)
{
    memset(f, 0, sizeof(*f));
    f->type = type;
    f->version = LINK_VERSION;
    f->csn = -1;
    if (type == LINK_T_SVC) {
        f->svc.from = -1;
        f->svc.to = -1;
    }
    if (type == LINK_T_ACK)
        f->ack.n = 1;
}

/* --- encoding ------------------------------------------------------------- */

/* One pack step; any failure ends the frame. */
#define LINK__PK(call)                                                                            \
    do {                                                                                          \
        if ((call) != 0)                                                                          \
            return SIM_EIO;                                                                       \
    } while (0)

static int link__put_key(msgpack_packer *pk, const char *key)
{
    size_t n = strlen(key);
    LINK__PK(msgpack_pack_str(pk, n));
    LINK__PK(msgpack_pack_str_body(pk, key, n));
    return 0;
}

static int link__put_str(msgpack_packer *pk, const char *key, sim_span_t s)
{
    LINK__PK(link__put_key(pk, key));
    LINK__PK(msgpack_pack_str(pk, s.len));
    if (s.len)
        LINK__PK(msgpack_pack_str_body(pk, s.p, s.len));
    return 0;
}

static int link__put_u64(msgpack_packer *pk, const char *key, uint64_t v)
{
    LINK__PK(link__put_key(pk, key));
    LINK__PK(msgpack_pack_uint64(pk, v));
    return 0;
}

static int link__put_i64(msgpack_packer *pk, const char *key, int64_t v)
{
    LINK__PK(link__put_key(pk, key));
    LINK__PK(msgpack_pack_int64(pk, v));
    return 0;
}

static bool link__csn_ok(int32_t csn)
{
    return csn >= 0 && csn < LINK_CSN_MOD;
}

static bool link__present(sim_span_t s)
{
    return s.p != NULL;
}

/* How many keys f will have, or -1 when f cannot be encoded. */
static int link__check(const link_frame_t *f)
{
    int n = 2 + link__present(f->ln) + f->has_at;
    if (f->version != LINK_VERSION)
        return -1;
    switch (f->type) {
    case LINK_T_HELLO:
        if (!link_role_name(f->hello.role) || f->hello.n_links > LINK_MAX_ITEMS ||
            (f->hello.n_links && !f->hello.links) || f->csn != -1)
            return -1;
        if (f->hello.role != LINK_ROLE_HOST ? f->hello.n_links != 1 : f->hello.n_links == 0)
            return -1;
        if (f->hello.role != LINK_ROLE_STATION && !link__present(f->hello.name))
            return -1;
        for (uint32_t i = 0; i < f->hello.n_links; i++)
            if (!link__present(f->hello.links[i].ln) ||
                (f->hello.links[i].last_rx != -1 && !link__csn_ok(f->hello.links[i].last_rx)))
                return -1;
        return n + 1 + link__present(f->hello.name) + 1 + (f->hello.vmax != 0) +
               (f->hello.hb_ms != 0) + f->hello.asap;
    case LINK_T_CABLE:
        if (!link__csn_ok(f->csn) || !f->has_at || !f->cable.c.p || f->cable.c.len == 0 ||
            f->cable.prec > 5 || f->cable.n_ids > LINK_MAX_ITEMS ||
            (f->cable.n_ids && !f->cable.ids))
            return -1;
        return n + 1 + 1 + (f->cable.ids != NULL) + link__present(f->cable.id) +
               (f->cable.prec != 0) + (f->cable.hops != 0) + f->cable.rpt + f->cable.ccy;
    case LINK_T_ACK:
        if (!link__csn_ok(f->csn) || f->ack.n == 0 || f->ack.n > LINK_ACK_MAX_RUN)
            return -1;
        return n + 1 + (f->ack.n != 1);
    case LINK_T_SVC:
        /* An unknown code travels as its text, which must not be a known one
         * (or the frame would not decode to itself). */
        if (f->svc.code == LINK_SVC_OTHER) {
            if (f->svc.code_text.len == 0 ||
                link_svc_code_from(f->svc.code_text) != LINK_SVC_OTHER)
                return -1;
        } else if (!link_svc_code_name(f->svc.code)) {
            return -1;
        }
        if ((f->csn != -1 && !link__csn_ok(f->csn)) ||
            (f->svc.from != -1 && !link__csn_ok(f->svc.from)) ||
            (f->svc.to != -1 && !link__csn_ok(f->svc.to)) ||
            (f->svc.to != -1 && f->svc.from == -1))
            return -1;
        return n + (f->csn != -1) + 2 + (f->svc.from != -1) + (f->svc.to != -1) +
               link__present(f->svc.id) + link__present(f->svc.ri);
    case LINK_T_ABORT:
        if (!link__csn_ok(f->csn))
            return -1;
        return n + 1 + link__present(f->abort.id);
    case LINK_T_HEARTBEAT:
        return f->csn == -1 ? n : -1;
    case LINK_T_PROMISE:
        return f->has_at && f->csn == -1 ? n + 3 * f->promise.has_counts : -1;
    default:
        return -1;
    }
}

static int link__pack(const link_frame_t *f, msgpack_packer *pk, int keys)
{
    LINK__PK(msgpack_pack_map(pk, (size_t)keys));
    LINK__PK(link__put_u64(pk, "v", (uint64_t)f->version));
    LINK__PK(link__put_str(pk, "t", sim_span_str(link_type_name(f->type))));
    if (link__present(f->ln))
        LINK__PK(link__put_str(pk, "ln", f->ln));
    if (f->csn != -1)
        LINK__PK(link__put_u64(pk, "csn", (uint64_t)f->csn));
    if (f->has_at)
        LINK__PK(link__put_i64(pk, "at", f->at));
    switch (f->type) {
    case LINK_T_HELLO:
        LINK__PK(link__put_str(pk, "role", sim_span_str(link_role_name(f->hello.role))));
        if (link__present(f->hello.name))
            LINK__PK(link__put_str(pk, "name", f->hello.name));
        LINK__PK(link__put_key(pk, "links"));
        LINK__PK(msgpack_pack_array(pk, f->hello.n_links));
        for (uint32_t i = 0; i < f->hello.n_links; i++) {
            const link_hello_link_t *l = &f->hello.links[i];
            LINK__PK(msgpack_pack_map(pk, 2));
            LINK__PK(link__put_str(pk, "ln", l->ln));
            LINK__PK(link__put_key(pk, "last_rx"));
            LINK__PK(l->last_rx < 0 ? msgpack_pack_nil(pk)
                                 : msgpack_pack_uint32(pk, (uint32_t)l->last_rx));
        }
        if (f->hello.vmax)
            LINK__PK(link__put_u64(pk, "vmax", f->hello.vmax));
        if (f->hello.hb_ms)
            LINK__PK(link__put_u64(pk, "hb", f->hello.hb_ms));
        if (f->hello.asap) {
            LINK__PK(link__put_key(pk, "asap"));
            LINK__PK(msgpack_pack_true(pk));
        }
        break;
    case LINK_T_CABLE:
        LINK__PK(link__put_key(pk, "c"));
        LINK__PK(msgpack_pack_bin(pk, f->cable.c.len));
        LINK__PK(msgpack_pack_bin_body(pk, f->cable.c.p, f->cable.c.len));
        if (f->cable.ids) {
            LINK__PK(link__put_key(pk, "ids"));
            LINK__PK(msgpack_pack_array(pk, f->cable.n_ids));
            for (uint32_t i = 0; i < f->cable.n_ids; i++) {
                LINK__PK(msgpack_pack_str(pk, f->cable.ids[i].len));
                if (f->cable.ids[i].len)
                    LINK__PK(msgpack_pack_str_body(pk, f->cable.ids[i].p, f->cable.ids[i].len));
            }
        }
        if (link__present(f->cable.id))
            LINK__PK(link__put_str(pk, "id", f->cable.id));
        if (f->cable.prec)
            LINK__PK(link__put_u64(pk, "p", f->cable.prec));
        if (f->cable.hops)
            LINK__PK(link__put_u64(pk, "hops", f->cable.hops));
        if (f->cable.rpt) {
            LINK__PK(link__put_key(pk, "rpt"));
            LINK__PK(msgpack_pack_true(pk));
        }
        if (f->cable.ccy) {
            LINK__PK(link__put_key(pk, "ccy"));
            LINK__PK(msgpack_pack_true(pk));
        }
        break;
    case LINK_T_ACK:
        if (f->ack.n != 1)
            LINK__PK(link__put_u64(pk, "n", f->ack.n));
        break;
    case LINK_T_SVC:
        LINK__PK(link__put_str(pk, "code", f->svc.code == LINK_SVC_OTHER
                                               ? f->svc.code_text
                                               : sim_span_str(link_svc_code_name(f->svc.code))));
        LINK__PK(link__put_str(pk, "text", f->svc.text));
        if (f->svc.from != -1)
            LINK__PK(link__put_u64(pk, "from", (uint64_t)f->svc.from));
        if (f->svc.to != -1)
            LINK__PK(link__put_u64(pk, "to", (uint64_t)f->svc.to));
        if (link__present(f->svc.id))
            LINK__PK(link__put_str(pk, "id", f->svc.id));
        if (link__present(f->svc.ri))
            LINK__PK(link__put_str(pk, "ri", f->svc.ri));
        break;
    case LINK_T_ABORT:
        if (link__present(f->abort.id))
            LINK__PK(link__put_str(pk, "id", f->abort.id));
        break;
    case LINK_T_PROMISE:
        if (f->promise.has_counts) {
            LINK__PK(link__put_u64(pk, "rnd", f->promise.rnd));
            LINK__PK(link__put_u64(pk, "sent", f->promise.sent));
            LINK__PK(link__put_u64(pk, "recv", f->promise.recv));
        }
        break;
    default:
        break;
    }
    return 0;
}

int link_frame_encode(const link_frame_t *f, msgpack_sbuffer *out)
{
    static const char zero[LINK_PREFIX] = {0};
    size_t            start = out->size, len;
    msgpack_packer    pk;
    unsigned char    *pre;
    int               keys = link__check(f), rc;

    if (keys < 0)
        return SIM_EUSAGE;
    /* Refuse the obvious before copying megabytes; the exact check follows. */
    if (f->type == LINK_T_CABLE && f->cable.c.len > LINK_FRAME_MAX)
        return SIM_ETOOBIG;
    if (msgpack_sbuffer_write(out, zero, LINK_PREFIX) != 0) {
        out->size = start;
        return SIM_EIO;
    }
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    rc = link__pack(f, &pk, keys);
    len = out->size - start;
    if (rc == 0 && len > LINK_FRAME_MAX)
        rc = SIM_ETOOBIG;
    if (rc != 0) {
        out->size = start;
        return rc;
    }
    len -= LINK_PREFIX;
    pre = (unsigned char *)out->data + start;
    pre[0] = (unsigned char)(len >> 24);
    pre[1] = (unsigned char)(len >> 16);
    pre[2] = (unsigned char)(len >> 8);
    pre[3] = (unsigned char)len;
    return 0;
}

int link_frame_append(const link_frame_t *f, char **buf, size_t *len, size_t *cap)
{
    /* An sbuffer is (size, data, alloc) over realloc'ed memory: the output
     * buffer seen as one. */
    msgpack_sbuffer sb;
    int             rc;
    sb.size = *len;
    sb.data = *buf;
    sb.alloc = *buf ? *cap : 0;
    rc = link_frame_encode(f, &sb);
    *buf = sb.data;
    *cap = sb.alloc;
    *len = sb.size;
    return rc;
}

/* --- delimiting ----------------------------------------------------------- */

int link_frame_peek(const char *buf, size_t len, size_t max_frame, size_t *frame_len)
{
    const unsigned char *p = (const unsigned char *)buf;
    uint32_t             n;

    if (len < LINK_PREFIX)
        return LINK_AGAIN;
    n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (n == 0)
        return SIM_EPARSE;
    if ((uint64_t)n + LINK_PREFIX > max_frame)
        return SIM_ETOOBIG;
    if (len - LINK_PREFIX < n)
        return LINK_AGAIN;
    *frame_len = (size_t)n + LINK_PREFIX;
    return 0;
}

/* --- decoding: a msgpack cursor --------------------------------------------- */

typedef enum link__mp_kind {
    MPK_NIL,
    MPK_BOOL,
    MPK_UINT, /* any non-negative integer */
    MPK_NINT, /* a negative integer */
    MPK_FLOAT,
    MPK_STR,
    MPK_BIN,
    MPK_EXT,
    MPK_ARRAY,
    MPK_MAP,
} link__mp_kind_t;

typedef struct link__mp_val {
    link__mp_kind_t kind;
    bool            b;
    uint64_t        u; /* UINT; also the count of ARRAY / MAP */
    int64_t         i; /* NINT */
    sim_span_t      s; /* STR, BIN, EXT payload */
} link__mp_val_t;

typedef struct link__cur {
    const unsigned char *p;
    const unsigned char *end;
    const char         **err;
} link__cur_t;

static int link__fail(link__cur_t *c, int code, const char *msg)
{
    if (c->err)
        *c->err = msg;
    return code;
}

static uint64_t link__be(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static size_t link__left(const link__cur_t *c)
{
    return (size_t)(c->end - c->p);
}

/* Reads n bytes of header after the type byte. */
static int link__need(link__cur_t *c, size_t n)
{
    if (link__left(c) < n)
        return link__fail(c, SIM_EPARSE, "the frame is truncated inside a msgpack value");
    return 0;
}

/* Reads a payload of n bytes (string, bin, ext body) as a span. */
static int link__body(link__cur_t *c, uint64_t n, link__mp_val_t *v)
{
    if (n > link__left(c))
        return link__fail(c, SIM_EPARSE, "a msgpack string or bin runs past the end of the frame");
    v->s = sim_span((const char *)c->p, (size_t)n);
    c->p += n;
    return 0;
}

/* link__next - one value's header (and, for str/bin/ext, its body). For
 * arrays and maps only the count is read; their elements follow. */
static int link__next(link__cur_t *c, link__mp_val_t *v)
{
    unsigned b;
    int      rc;

    if (c->p >= c->end)
        return link__fail(c, SIM_EPARSE, "the frame ends where a msgpack value was expected");
    b = *c->p++;
    memset(v, 0, sizeof(*v));
    if (b <= 0x7f) {
        v->kind = MPK_UINT;
        v->u = b;
        return 0;
    }
    if (b >= 0xe0) {
        v->kind = MPK_NINT;
        v->i = (int64_t)b - 256;
        return 0;
    }
    if (b >= 0x80 && b <= 0x8f) {
        v->kind = MPK_MAP;
        v->u = b & 0x0f;
        return 0;
    }
    if (b >= 0x90 && b <= 0x9f) {
        v->kind = MPK_ARRAY;
        v->u = b & 0x0f;
        return 0;
    }
    if (b >= 0xa0 && b <= 0xbf) {
        v->kind = MPK_STR;
        return link__body(c, b & 0x1f, v);
    }
    switch (b) {
    case 0xc0:
        v->kind = MPK_NIL;
        return 0;
    case 0xc2:
    case 0xc3:
        v->kind = MPK_BOOL;
        v->b = b == 0xc3;
        return 0;
    case 0xc4:
    case 0xc5:
    case 0xc6:
    case 0xd9:
    case 0xda:
    case 0xdb: {
        unsigned w = b <= 0xc6 ? 1u << (b - 0xc4) : 1u << (b - 0xd9);
        if ((rc = link__need(c, w)) != 0)
            return rc;
        v->kind = b <= 0xc6 ? MPK_BIN : MPK_STR;
        uint64_t n = link__be(c->p, w);
        c->p += w;
        return link__body(c, n, v);
    }
    case 0xc7:
    case 0xc8:
    case 0xc9: {
        unsigned w = 1u << (b - 0xc7);
        if ((rc = link__need(c, w + 1)) != 0)
            return rc;
        uint64_t n = link__be(c->p, w);
        c->p += w + 1;
        v->kind = MPK_EXT;
        return link__body(c, n, v);
    }
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        if ((rc = link__need(c, 1)) != 0)
            return rc;
        c->p++;
        v->kind = MPK_EXT;
        return link__body(c, 1u << (b - 0xd4), v);
    case 0xca:
    case 0xcb: {
        unsigned w = b == 0xca ? 4 : 8;
        if ((rc = link__need(c, w)) != 0)
            return rc;
        c->p += w;
        v->kind = MPK_FLOAT;
        return 0;
    }
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf: {
        unsigned w = 1u << (b - 0xcc);
        if ((rc = link__need(c, w)) != 0)
            return rc;
        v->kind = MPK_UINT;
        v->u = link__be(c->p, w);
        c->p += w;
        return 0;
    }
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
        unsigned w = 1u << (b - 0xd0);
        if ((rc = link__need(c, w)) != 0)
            return rc;
        uint64_t u = link__be(c->p, w);
        c->p += w;
        /* Sign-extend from w bytes without relying on implementation-defined
         * conversions. */
        if (w < 8 && (u >> (8 * w - 1)) & 1)
            u |= ~(uint64_t)0 << (8 * w);
        if (u >> 63) {
            v->kind = MPK_NINT;
            v->i = -(int64_t)(~u) - 1;
        } else {
            v->kind = MPK_UINT;
            v->u = u;
        }
        return 0;
    }
    case 0xdc:
    case 0xdd:
    case 0xde:
    case 0xdf: {
        unsigned w = (b == 0xdc || b == 0xde) ? 2 : 4;
        if ((rc = link__need(c, w)) != 0)
            return rc;
        v->kind = b <= 0xdd ? MPK_ARRAY : MPK_MAP;
        v->u = link__be(c->p, w);
        c->p += w;
        return 0;
    }
    default: /* 0xc1 */
        return link__fail(c, SIM_EPARSE, "the frame holds the reserved msgpack byte 0xc1");
    }
}

/* link__skip - step over one whole value, however nested, without recursion:
 * 'todo' counts the values still to read. Each needs at least one byte, so a
 * count larger than the bytes left is refused at once. */
static int link__skip(link__cur_t *c)
{
    uint64_t       todo = 1;
    link__mp_val_t v;
    int            rc;

    while (todo > 0) {
        if ((rc = link__next(c, &v)) != 0)
            return rc;
        todo--;
        if (v.kind == MPK_ARRAY || v.kind == MPK_MAP) {
            uint64_t more = v.kind == MPK_MAP ? 2 * v.u : v.u;
            if (more > link__left(c) || todo + more > link__left(c))
                return link__fail(c, SIM_EPARSE,
                                  "a msgpack array or map claims more items than the frame holds");
            todo += more;
        }
    }
    return 0;
}

/* --- decoding: fields ----------------------------------------------------- */

/* The keys a frame may have; a bit each, to find keys given twice. */
enum {
    K_V, K_T, K_LN, K_AT, K_CSN,
    K_ROLE, K_NAME, K_LINKS, K_VMAX, K_HB, K_ASAP,
    K_C, K_IDS, K_ID, K_P, K_HOPS, K_RPT, K_CCY,
    K_N,
    K_CODE, K_TEXT, K_FROM, K_TO, K_RI,
    K_RND, K_SENT, K_RECV,
    K_COUNT
};

/* The keys, with their lengths, in the order of the K_ constants. */
#define LINK__KEY(s) {s, sizeof(s) - 1}
static const struct link__keydef {
    const char *s;
    uint32_t    n;
} link__keys[K_COUNT] = {
    LINK__KEY("v"),    LINK__KEY("t"),    LINK__KEY("ln"),    LINK__KEY("at"),   LINK__KEY("csn"),
    LINK__KEY("role"), LINK__KEY("name"), LINK__KEY("links"), LINK__KEY("vmax"), LINK__KEY("hb"),
    LINK__KEY("asap"), LINK__KEY("c"),    LINK__KEY("ids"),   LINK__KEY("id"),   LINK__KEY("p"),
    LINK__KEY("hops"), LINK__KEY("rpt"),  LINK__KEY("ccy"),   LINK__KEY("n"),    LINK__KEY("code"),
    LINK__KEY("text"), LINK__KEY("from"), LINK__KEY("to"),    LINK__KEY("ri"),   LINK__KEY("rnd"),
    LINK__KEY("sent"), LINK__KEY("recv"),
};
#undef LINK__KEY

/* Which keys each type reads (beyond v and t); others are skipped. */
#define KB(k) (1u << (k))
static const uint32_t link__type_keys[LINK_T_COUNT] = {
    [LINK_T_HELLO] = KB(K_LN) | KB(K_AT) | KB(K_ROLE) | KB(K_NAME) | KB(K_LINKS) | KB(K_VMAX) |
                     KB(K_HB) | KB(K_ASAP),
    [LINK_T_CABLE] = KB(K_LN) | KB(K_AT) | KB(K_CSN) | KB(K_C) | KB(K_IDS) | KB(K_ID) | KB(K_P) |
                     KB(K_HOPS) | KB(K_RPT) | KB(K_CCY),
    [LINK_T_ACK] = KB(K_LN) | KB(K_AT) | KB(K_CSN) | KB(K_N),
    [LINK_T_SVC] = KB(K_LN) | KB(K_AT) | KB(K_CSN) | KB(K_CODE) | KB(K_TEXT) | KB(K_FROM) |
                   KB(K_TO) | KB(K_ID) | KB(K_RI),
    [LINK_T_ABORT] = KB(K_LN) | KB(K_AT) | KB(K_CSN) | KB(K_ID),
    [LINK_T_HEARTBEAT] = KB(K_AT),
    [LINK_T_PROMISE] = KB(K_LN) | KB(K_AT) | KB(K_RND) | KB(K_SENT) | KB(K_RECV),
};

/* ... and which of them are required. */
static const uint32_t link__type_required[LINK_T_COUNT] = {
    [LINK_T_HELLO] = KB(K_ROLE) | KB(K_LINKS),
    [LINK_T_CABLE] = KB(K_CSN) | KB(K_AT) | KB(K_C),
    [LINK_T_ACK] = KB(K_CSN),
    [LINK_T_SVC] = KB(K_CODE) | KB(K_TEXT),
    [LINK_T_ABORT] = KB(K_CSN),
    [LINK_T_PROMISE] = KB(K_AT),
};

/* The error sentences, one per key, so that each names its field. */
static const char *const link__missing[K_COUNT] = {
    [K_ROLE] = "a hello frame needs 'role'",
    [K_LINKS] = "a hello frame needs 'links'",
    [K_CSN] = "this frame type needs 'csn'",
    [K_AT] = "this frame type needs 'at'",
    [K_C] = "a cable frame needs 'c'",
    [K_CODE] = "an svc frame needs 'code'",
    [K_TEXT] = "an svc frame needs 'text'",
};

static int link__key(sim_span_t s)
{
    /* Keys are a few letters: length and first letter first, the rest in
     * line (no strlen, no call). */
    for (int k = 0; k < K_COUNT; k++) {
        const struct link__keydef *d = &link__keys[k];
        uint32_t                   i = 1;
        if (d->n != s.len || d->s[0] != s.p[0])
            continue;
        while (i < s.len && d->s[i] == s.p[i])
            i++;
        if (i == s.len)
            return k;
    }
    return -1;
}

static int link__get_str(link__cur_t *c, sim_span_t *out, const char *etype)
{
    link__mp_val_t v;
    int            rc = link__next(c, &v);
    if (rc != 0)
        return rc;
    if (v.kind != MPK_STR)
        return link__fail(c, SIM_ETYPE, etype);
    *out = v.s; /* never NULL, even when empty: present is not absent */
    return 0;
}

static int link__get_uint(link__cur_t *c, uint64_t max, uint64_t *out, const char *etype,
                          const char *erange)
{
    link__mp_val_t v;
    int            rc = link__next(c, &v);
    if (rc != 0)
        return rc;
    if (v.kind == MPK_NINT)
        return link__fail(c, SIM_EPARSE, erange);
    if (v.kind != MPK_UINT)
        return link__fail(c, SIM_ETYPE, etype);
    if (v.u > max)
        return link__fail(c, SIM_EPARSE, erange);
    *out = v.u;
    return 0;
}

static int link__get_csn(link__cur_t *c, int32_t *out, const char *etype, const char *erange)
{
    uint64_t u;
    int      rc = link__get_uint(c, LINK_CSN_MOD - 1, &u, etype, erange);
    if (rc == 0)
        *out = (int32_t)u;
    return rc;
}

static int link__get_bool(link__cur_t *c, bool *out, const char *etype)
{
    link__mp_val_t v;
    int            rc = link__next(c, &v);
    if (rc != 0)
        return rc;
    if (v.kind != MPK_BOOL)
        return link__fail(c, SIM_ETYPE, etype);
    *out = v.b;
    return 0;
}

static int link__get_time(link__cur_t *c, sim_time_t *out)
{
    link__mp_val_t v;
    int            rc = link__next(c, &v);
    if (rc != 0)
        return rc;
    if (v.kind == MPK_NINT) {
        *out = v.i;
        return 0;
    }
    if (v.kind != MPK_UINT)
        return link__fail(c, SIM_ETYPE, "field 'at' must be an integer (sim-time in microseconds)");
    if (v.u > (uint64_t)INT64_MAX)
        return link__fail(c, SIM_EPARSE, "field 'at' must fit in a signed 64-bit integer");
    *out = (sim_time_t)v.u;
    return 0;
}

/* An array header whose count is checked against LINK_MAX_ITEMS and the
 * bytes left (every element takes at least min_item bytes). */
static int link__get_array(link__cur_t *c, uint32_t *n, size_t min_item, const char *etype)
{
    link__mp_val_t v;
    int            rc = link__next(c, &v);
    if (rc != 0)
        return rc;
    if (v.kind != MPK_ARRAY)
        return link__fail(c, SIM_ETYPE, etype);
    if (v.u > LINK_MAX_ITEMS)
        return link__fail(c, SIM_ETOOBIG, "a list of the frame has more than 65535 items");
    if (v.u * min_item > link__left(c))
        return link__fail(c, SIM_EPARSE, "a list claims more items than the frame holds");
    *n = (uint32_t)v.u;
    return 0;
}

static void *link__zalloc(msgpack_zone *zone, size_t n)
{
    void *p;
    if (!zone)
        sim_panic("%s: link_frame_decode needs a zone for the frame's lists", __func__);
    if (n == 0)
        n = 1;
    p = msgpack_zone_malloc(zone, n);
    if (!p)
        sim_panic("%s: out of memory (%zu bytes)", __func__, n);
    return p;
}

static int link__get_links(link__cur_t *c, link_frame_t *f, msgpack_zone *zone)
{
    static const char etype[] = "field 'links' must be an array of maps {ln, last_rx}";
    link_hello_link_t *links;
    uint32_t           n;
    int                rc;

    if ((rc = link__get_array(c, &n, 1, etype)) != 0)
        return rc;
    links = link__zalloc(zone, (size_t)n * sizeof(*links));
    for (uint32_t i = 0; i < n; i++) {
        link__mp_val_t m;
        uint32_t       seen = 0;
        if ((rc = link__next(c, &m)) != 0)
            return rc;
        if (m.kind != MPK_MAP)
            return link__fail(c, SIM_ETYPE, etype);
        if (m.u * 2 > link__left(c))
            return link__fail(c, SIM_EPARSE, "a map claims more items than the frame holds");
        links[i].ln = SIM_SPAN_NULL;
        links[i].last_rx = -1;
        for (uint64_t j = 0; j < m.u; j++) {
            sim_span_t key;
            if ((rc = link__get_str(c, &key, "the keys of a 'links' entry must be strings")) != 0)
                return rc;
            if (sim_span_eq_str(key, "ln") || sim_span_eq_str(key, "last_rx")) {
                unsigned bit = sim_span_eq_str(key, "ln") ? 1u : 2u;
                if (seen & bit)
                    return link__fail(c, SIM_EPARSE, "a 'links' entry has a key twice");
                seen |= bit;
                if (bit == 1) {
                    rc = link__get_str(c, &links[i].ln, "field 'links.ln' must be a string");
                } else {
                    link__mp_val_t nil;
                    const unsigned char *save = c->p;
                    if ((rc = link__next(c, &nil)) == 0 && nil.kind != MPK_NIL) {
                        c->p = save;
                        rc = link__get_csn(c, &links[i].last_rx,
                                           "field 'links.last_rx' must be an integer or nil",
                                           "field 'links.last_rx' must be a csn from 0 to 9999");
                    }
                }
            } else {
                rc = link__skip(c);
            }
            if (rc != 0)
                return rc;
        }
        if (!(seen & 1))
            return link__fail(c, SIM_EPARSE, "a 'links' entry needs 'ln'");
    }
    f->hello.links = links;
    f->hello.n_links = n;
    return 0;
}

static int link__get_ids(link__cur_t *c, link_frame_t *f, msgpack_zone *zone)
{
    static const char etype[] = "field 'ids' must be an array of strings";
    sim_span_t       *ids;
    uint32_t          n;
    int               rc;

    if ((rc = link__get_array(c, &n, 1, etype)) != 0)
        return rc;
    ids = link__zalloc(zone, (size_t)n * sizeof(*ids));
    for (uint32_t i = 0; i < n; i++)
        if ((rc = link__get_str(c, &ids[i], etype)) != 0)
            return rc;
    f->cable.ids = ids;
    f->cable.n_ids = n;
    return 0;
}

/* One known key of the frame's type. */
static int link__field(link__cur_t *c, int k, link_frame_t *f, msgpack_zone *zone)
{
    uint64_t u;
    int      rc;

    switch (k) {
    case K_LN:
        return link__get_str(c, &f->ln, "field 'ln' must be a string");
    case K_AT:
        f->has_at = true;
        return link__get_time(c, &f->at);
    case K_CSN:
        return link__get_csn(c, &f->csn, "field 'csn' must be an integer",
                             "field 'csn' must be from 0 to 9999");
    case K_ROLE: {
        sim_span_t role;
        if ((rc = link__get_str(c, &role, "field 'role' must be a string")) != 0)
            return rc;
        f->hello.role = link__role_from(role);
        if (f->hello.role == LINK_ROLE_NONE)
            return link__fail(c, SIM_EPARSE, "field 'role' must be station, router, host or clock");
        return 0;
    }
    case K_NAME:
        return link__get_str(c, &f->hello.name, "field 'name' must be a string");
    case K_LINKS:
        return link__get_links(c, f, zone);
    case K_VMAX:
        if ((rc = link__get_uint(c, INT32_MAX, &u, "field 'vmax' must be an integer",
                                 "field 'vmax' must be from 1 to 2147483647")) != 0)
            return rc;
        if (u == 0)
            return link__fail(c, SIM_EPARSE, "field 'vmax' must be from 1 to 2147483647");
        f->hello.vmax = (uint32_t)u;
        return 0;
    case K_HB:
        if ((rc = link__get_uint(c, UINT32_MAX, &u, "field 'hb' must be an integer",
                                 "field 'hb' must be from 0 to 4294967295 (ms)")) != 0)
            return rc;
        f->hello.hb_ms = (uint32_t)u;
        return 0;
    case K_ASAP:
        return link__get_bool(c, &f->hello.asap, "field 'asap' must be true or false");
    case K_C: {
        link__mp_val_t v;
        if ((rc = link__next(c, &v)) != 0)
            return rc;
        if (v.kind != MPK_BIN)
            return link__fail(c, SIM_ETYPE, "field 'c' must be a bin holding the cable's msgpack");
        if (v.s.len == 0)
            return link__fail(c, SIM_EPARSE, "field 'c' must not be empty");
        f->cable.c = v.s;
        return 0;
    }
    case K_IDS:
        return link__get_ids(c, f, zone);
    case K_ID:
        return link__get_str(c, f->type == LINK_T_CABLE ? &f->cable.id
                                : f->type == LINK_T_SVC ? &f->svc.id
                                                        : &f->abort.id,
                             "field 'id' must be a string");
    case K_P:
        if ((rc = link__get_uint(c, 5, &u, "field 'p' must be an integer",
                                 "field 'p' must be a precedence from 1 to 5")) != 0)
            return rc;
        if (u == 0)
            return link__fail(c, SIM_EPARSE, "field 'p' must be a precedence from 1 to 5");
        f->cable.prec = (uint8_t)u;
        return 0;
    case K_HOPS:
        if ((rc = link__get_uint(c, 255, &u, "field 'hops' must be an integer",
                                 "field 'hops' must be from 0 to 255")) != 0)
            return rc;
        f->cable.hops = (uint8_t)u;
        return 0;
    case K_RPT:
        return link__get_bool(c, &f->cable.rpt, "field 'rpt' must be true or false");
    case K_CCY:
        return link__get_bool(c, &f->cable.ccy, "field 'ccy' must be true or false");
    case K_N:
        if ((rc = link__get_uint(c, LINK_ACK_MAX_RUN, &u, "field 'n' must be an integer",
                                 "field 'n' must be from 1 to 4999")) != 0)
            return rc;
        if (u == 0)
            return link__fail(c, SIM_EPARSE, "field 'n' must be from 1 to 4999");
        f->ack.n = (uint32_t)u;
        return 0;
    case K_CODE:
        if ((rc = link__get_str(c, &f->svc.code_text, "field 'code' must be a string")) != 0)
            return rc;
        if (f->svc.code_text.len == 0)
            return link__fail(c, SIM_EPARSE, "field 'code' must not be empty");
        f->svc.code = link_svc_code_from(f->svc.code_text);
        return 0;
    case K_TEXT:
        return link__get_str(c, &f->svc.text, "field 'text' must be a string");
    case K_FROM:
        return link__get_csn(c, &f->svc.from, "field 'from' must be an integer",
                             "field 'from' must be a csn from 0 to 9999");
    case K_TO:
        return link__get_csn(c, &f->svc.to, "field 'to' must be an integer",
                             "field 'to' must be a csn from 0 to 9999");
    case K_RI:
        return link__get_str(c, &f->svc.ri, "field 'ri' must be a string");
    case K_RND:
    case K_SENT:
    case K_RECV:
        if ((rc = link__get_uint(c, UINT64_MAX, &u, "fields 'rnd', 'sent', 'recv' must be integers",
                                 "fields 'rnd', 'sent', 'recv' must not be negative")) != 0)
            return rc;
        *(k == K_RND ? &f->promise.rnd : k == K_SENT ? &f->promise.sent : &f->promise.recv) = u;
        return 0;
    default:
        return link__skip(c);
    }
}

/* Cross-field rules that a single key cannot check. */
static int link__finish(link__cur_t *c, link_frame_t *f)
{
    if (f->type == LINK_T_HELLO) {
        uint32_t n = f->hello.n_links;
        if (f->hello.role == LINK_ROLE_HOST ? n == 0 : n != 1)
            return link__fail(c, SIM_EPARSE,
                              "a hello needs exactly one link for a station or router, "
                              "at least one for a host");
        if (f->hello.role != LINK_ROLE_STATION && !link__present(f->hello.name))
            return link__fail(c, SIM_EPARSE, "a hello from a router or host needs 'name'");
    }
    if (f->type == LINK_T_SVC && f->svc.to != -1 && f->svc.from == -1)
        return link__fail(c, SIM_EPARSE, "an svc frame with 'to' needs 'from'");
    return 0;
}

/* Reads the n entries at the cursor as the fields of f's type (f->type
 * set, "v" and "t" already seen), then checks what the type requires.
 * 'once': "v" and "t" were the map's first entries and nothing else was read
 * before: a repeat of either is an error here, and so are bytes after the
 * map. */
static int link__fields(link__cur_t *c, link_frame_t *f, uint64_t n, bool once,
                        msgpack_zone *zone)
{
    uint32_t   seen = KB(K_V) | KB(K_T), allowed = link__type_keys[f->type];
    sim_span_t key;
    int        rc, k;

    for (uint64_t i = 0; i < n; i++) {
        if ((rc = link__get_str(c, &key, "the keys of a frame must be strings")) != 0)
            return rc;
        k = link__key(key);
        if (once && (k == K_V || k == K_T))
            return link__fail(c, SIM_EPARSE,
                              k == K_V ? "key 'v' appears twice" : "key 't' appears twice");
        if (k == K_V || k == K_T || k < 0 || !(allowed & KB(k))) {
            rc = link__skip(c);
        } else {
            if (seen & KB(k))
                return link__fail(c, SIM_EPARSE, "a key of the frame appears twice");
            seen |= KB(k);
            rc = link__field(c, k, f, zone);
        }
        if (rc != 0)
            return rc;
    }
    if (once && c->p != c->end)
        return link__fail(c, SIM_EPARSE, "the frame has bytes after its map");
    for (k = 0; k < K_COUNT; k++)
        if ((link__type_required[f->type] & KB(k)) && !(seen & KB(k)))
            return link__fail(c, SIM_EPARSE, link__missing[k]);
    if (f->type == LINK_T_PROMISE) {
        int m = !!(seen & KB(K_RND)) + !!(seen & KB(K_SENT)) + !!(seen & KB(K_RECV));
        if (m != 0 && m != 3)
            return link__fail(c, SIM_EPARSE,
                              "a promise with 'rnd', 'sent' or 'recv' needs all three");
        f->promise.has_counts = m == 3;
    }
    return link__finish(c, f);
}

/* The frame as every encoder of this protocol writes it: "v": 1 then "t"
 * first. Then the fields are read in one pass; false (nothing consumed)
 * when the frame does not start so. */
static bool link__fast_start(link__cur_t *c, link_frame_t *f)
{
    link__cur_t    at = *c;
    link__mp_val_t v;
    link_type_t    t;
    if (link__left(c) < 5 || c->p[0] != 0xa1 || c->p[1] != 'v' || c->p[2] != LINK_VERSION ||
        c->p[3] != 0xa1 || c->p[4] != 't')
        return false;
    c->p += 5;
    if (link__next(c, &v) != 0 || v.kind != MPK_STR ||
        (t = link__type_from(v.s)) == LINK_T_NONE) {
        *c = at;
        return false;
    }
    link_frame_init(f, t);
    return true;
}

int link_frame_decode(const char *payload, size_t len, link_frame_t *f, msgpack_zone *zone,
                      const char **err)
{
    link__cur_t          c = {(const unsigned char *)payload, (const unsigned char *)payload + len,
                              err};
    const unsigned char *body;
    link__mp_val_t       map, v;
    sim_span_t           key, tname = SIM_SPAN_NULL;
    uint64_t             version = 0;
    uint32_t             seen = 0;
    bool                 have_v = false;
    int                  rc, k;

    if (err)
        *err = NULL;
    if (!payload || len == 0)
        return link__fail(&c, SIM_EPARSE, "the frame is empty");
    if ((rc = link__next(&c, &map)) != 0)
        return rc;
    if (map.kind != MPK_MAP)
        return link__fail(&c, SIM_ETYPE, "a frame must be a msgpack map");
    if (map.u * 2 > link__left(&c))
        return link__fail(&c, SIM_EPARSE, "the frame's map claims more keys than it holds");
    if (map.u >= 2 && link__fast_start(&c, f))
        return link__fields(&c, f, map.u - 2, true, zone);
    body = c.p;

    /* Pass 1: structure, keys, "v" and "t". */
    for (uint64_t i = 0; i < map.u; i++) {
        if ((rc = link__get_str(&c, &key, "the keys of a frame must be strings")) != 0)
            return rc;
        k = link__key(key);
        if (k == K_V || k == K_T) {
            if (seen & KB(k))
                return link__fail(&c, SIM_EPARSE, k == K_V ? "key 'v' appears twice"
                                                           : "key 't' appears twice");
            seen |= KB(k);
            if ((rc = link__next(&c, &v)) != 0)
                return rc;
            if (k == K_V) {
                if (v.kind == MPK_NINT)
                    version = UINT64_MAX;
                else if (v.kind != MPK_UINT)
                    return link__fail(&c, SIM_ETYPE, "field 'v' must be an integer");
                else
                    version = v.u;
                have_v = true;
            } else {
                if (v.kind != MPK_STR)
                    return link__fail(&c, SIM_ETYPE, "field 't' must be a string");
                tname = v.s;
            }
        } else if ((rc = link__skip(&c)) != 0) {
            return rc;
        }
    }
    if (c.p != c.end)
        return link__fail(&c, SIM_EPARSE, "the frame has bytes after its map");
    if (!have_v)
        return link__fail(&c, SIM_EPARSE, "a frame needs 'v'");
    if (version != LINK_VERSION)
        return link__fail(&c, SIM_EVERSION, "the frame's protocol version is not 1");
    if (!(seen & KB(K_T)))
        return link__fail(&c, SIM_EPARSE, "a frame needs 't'");

    link_frame_init(f, link__type_from(tname));
    if (f->type == LINK_T_NONE)
        return link__fail(&c, SIM_EPARSE, "unknown frame type 't'");

    /* Pass 2: the fields of this type; the structure is known to be sound. */
    c.p = body;
    return link__fields(&c, f, map.u, false, zone);
}

/* --- comparison ----------------------------------------------------------- */

static bool link__span_same(sim_span_t a, sim_span_t b)
{
    return (a.p == NULL) == (b.p == NULL) && sim_span_eq(a, b);
}

bool link_frame_equal(const link_frame_t *a, const link_frame_t *b)
{
    if (a->type != b->type || a->version != b->version || !link__span_same(a->ln, b->ln) ||
        a->has_at != b->has_at || (a->has_at && a->at != b->at) || a->csn != b->csn)
        return false;
    switch (a->type) {
    case LINK_T_HELLO:
        if (a->hello.role != b->hello.role || !link__span_same(a->hello.name, b->hello.name) ||
            a->hello.n_links != b->hello.n_links || a->hello.vmax != b->hello.vmax ||
            a->hello.hb_ms != b->hello.hb_ms || a->hello.asap != b->hello.asap)
            return false;
        for (uint32_t i = 0; i < a->hello.n_links; i++)
            if (!link__span_same(a->hello.links[i].ln, b->hello.links[i].ln) ||
                a->hello.links[i].last_rx != b->hello.links[i].last_rx)
                return false;
        return true;
    case LINK_T_CABLE:
        if (!sim_span_eq(a->cable.c, b->cable.c) ||
            (a->cable.ids == NULL) != (b->cable.ids == NULL) ||
            a->cable.n_ids != b->cable.n_ids || !link__span_same(a->cable.id, b->cable.id) ||
            a->cable.prec != b->cable.prec || a->cable.hops != b->cable.hops ||
            a->cable.rpt != b->cable.rpt || a->cable.ccy != b->cable.ccy)
            return false;
        for (uint32_t i = 0; i < a->cable.n_ids; i++)
            if (!sim_span_eq(a->cable.ids[i], b->cable.ids[i]))
                return false;
        return true;
    case LINK_T_ACK:
        return a->ack.n == b->ack.n;
    case LINK_T_PROMISE:
        return a->promise.has_counts == b->promise.has_counts &&
               (!a->promise.has_counts ||
                (a->promise.rnd == b->promise.rnd && a->promise.sent == b->promise.sent &&
                 a->promise.recv == b->promise.recv));
    case LINK_T_SVC:
        if (a->svc.code != b->svc.code ||
            (a->svc.code == LINK_SVC_OTHER && !sim_span_eq(a->svc.code_text, b->svc.code_text)))
            return false;
        return sim_span_eq(a->svc.text, b->svc.text) && a->svc.from == b->svc.from &&
               a->svc.to == b->svc.to && link__span_same(a->svc.id, b->svc.id) &&
               link__span_same(a->svc.ri, b->svc.ri);
    case LINK_T_ABORT:
        return link__span_same(a->abort.id, b->abort.id);
    default:
        return true;
    }
}

/* --- the streaming reader --------------------------------------------------- */

#define LINK__READ_DEFAULT (64u * 1024u)
#define LINK__BUF_MIN      4096u

void link_reader_init(link_reader_t *r, size_t max_frame, size_t read_size)
{
    memset(r, 0, sizeof(*r));
    if (max_frame == 0)
        max_frame = LINK_FRAME_MAX;
    if (max_frame < LINK_PREFIX + 1)
        max_frame = LINK_PREFIX + 1;
    r->max_frame = max_frame;
    r->read_size = read_size ? read_size : LINK__READ_DEFAULT;
}

void link_reader_destroy(link_reader_t *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = r->start = r->end = 0;
}

size_t link_reader_buffered(const link_reader_t *r)
{
    return r->end - r->start;
}

static size_t link__hard_cap(const link_reader_t *r)
{
    return r->max_frame + r->read_size;
}

/* Make room for 'want' more bytes after the unread ones, moving them to the
 * front and growing the buffer up to the hard cap. Returns the room. */
static size_t link__reserve(link_reader_t *r, size_t want)
{
    size_t unread = r->end - r->start, need, cap;

    if (r->cap - r->end >= want)
        return r->cap - r->end;
    if (r->start > 0) {
        if (unread)
            memmove(r->buf, r->buf + r->start, unread);
        r->start = 0;
        r->end = unread;
        if (r->cap - r->end >= want)
            return r->cap - r->end;
    }
    need = unread + want;
    if (need > link__hard_cap(r))
        need = link__hard_cap(r);
    if (need > r->cap) {
        cap = r->cap ? r->cap : LINK__BUF_MIN;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        if (cap > link__hard_cap(r))
            cap = link__hard_cap(r);
        r->buf = sim_xrealloc(r->buf, cap);
        r->cap = cap;
    }
    return r->cap - r->end;
}

char *link_reader_space(link_reader_t *r, size_t *room)
{
    *room = 0;
    if (r->error)
        return NULL;
    /* Empty again after a large frame: give the large buffer back. */
    if (r->start == r->end) {
        r->start = r->end = 0;
        if (r->cap > 4 * (r->read_size + LINK__BUF_MIN)) {
            free(r->buf);
            r->buf = NULL;
            r->cap = 0;
        }
    }
    *room = link__reserve(r, r->read_size);
    return *room ? r->buf + r->end : NULL;
}

void link_reader_trim(link_reader_t *r)
{
    if (r->start == r->end && r->buf) {
        free(r->buf);
        r->buf = NULL;
        r->cap = r->start = r->end = 0;
    }
}

void link_reader_commit(link_reader_t *r, size_t n)
{
    if (n > r->cap - r->end)
        sim_panic("%s: %zu bytes committed, only %zu reserved", __func__, n, r->cap - r->end);
    r->end += n;
}

size_t link_reader_feed(link_reader_t *r, const char *data, size_t len)
{
    size_t taken = 0;
    while (taken < len && !r->error) {
        size_t room = 0, n;
        if (r->start == r->end)
            r->start = r->end = 0;
        room = link__reserve(r, SIM_MIN(len - taken, r->read_size));
        if (room == 0)
            break;
        n = SIM_MIN(room, len - taken);
        memcpy(r->buf + r->end, data + taken, n);
        r->end += n;
        taken += n;
    }
    return taken;
}

int link_reader_next(link_reader_t *r, const char **payload, size_t *len)
{
    size_t flen = 0;
    int    rc;

    if (r->error)
        return r->error;
    rc = link_frame_peek(r->buf ? r->buf + r->start : "", r->end - r->start, r->max_frame, &flen);
    if (rc < 0) {
        r->error = rc;
        return rc;
    }
    if (rc > 0)
        return LINK_AGAIN;
    *payload = r->buf + r->start + LINK_PREFIX;
    *len = flen - LINK_PREFIX;
    r->start += flen;
    return 0;
}
