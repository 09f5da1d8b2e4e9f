/*
 * test_link_frame.c - the link protocol's frames: round trips of every frame
 * type (every field, and the least a frame may carry), prefixes that must
 * ask for more bytes, lengths refused before anything is buffered, malformed
 * maps and wrong types answered with their code and a sentence, the
 * streaming reader fed one byte stream split at every possible place, and
 * random and mutated bytes that must never crash the decoder.
 */
#include "testutil.h"
#include "link/link_frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- sample frames ---------------------------------------------------------- */

static const char cable_bytes[] = "\x8a\xa1v\x01 pretend this is a cable map \x00\xff";

static const link_hello_link_t host_links[] = {
    {{"RUEHC", 5}, 531},
    {{"RUEHWEB", 7}, -1},
    {{"RUCNDT", 6}, 9999},
};

static const link_hello_link_t trunk_link[] = {{{"", 0}, 0}};

static const sim_span_t cable_ids[] = {
    {"SECSTATE WASHDC", 15},
    {"AMEMBASSY BELGRADE", 18},
    {"", 0},
};

/* Fills f with sample frame number i; returns false past the last one. */
static bool sample_frame(int i, link_frame_t *f)
{
    switch (i) {
    case 0: /* a host with three stations, every field */
        link_frame_init(f, LINK_T_HELLO);
        f->hello.role = LINK_ROLE_HOST;
        f->hello.name = sim_span_str("washington-host");
        f->hello.links = host_links;
        f->hello.n_links = 3;
        f->hello.vmax = 1;
        f->hello.hb_ms = 5000;
        f->hello.asap = true;
        f->has_at = true;
        f->at = 1178542920000000LL;
        return true;
    case 1: /* a station: the least a hello carries */
        link_frame_init(f, LINK_T_HELLO);
        f->hello.role = LINK_ROLE_STATION;
        f->hello.links = host_links + 1;
        f->hello.n_links = 1;
        return true;
    case 2: /* a router trunk */
        link_frame_init(f, LINK_T_HELLO);
        f->hello.role = LINK_ROLE_ROUTER;
        f->hello.name = sim_span_str("RELAY-EAST");
        f->hello.links = trunk_link;
        f->hello.n_links = 1;
        return true;
    case 3: /* a cable, every field */
        link_frame_init(f, LINK_T_CABLE);
        f->ln = sim_span_str("RUEHC");
        f->csn = 531;
        f->has_at = true;
        f->at = 1178542920123456LL;
        f->cable.c = sim_span(cable_bytes, sizeof(cable_bytes) - 1);
        f->cable.ids = cable_ids;
        f->cable.n_ids = 3;
        f->cable.id = sim_span_str("RUCNDT#0352/01 071302Z MAY 07");
        f->cable.prec = 3;
        f->cable.hops = 2;
        f->cable.rpt = true;
        return true;
    case 4: /* a cable, the least it carries; a negative sim-time */
        link_frame_init(f, LINK_T_CABLE);
        f->csn = 0;
        f->has_at = true;
        f->at = -86400000000LL;
        f->cable.c = sim_span("\x80", 1);
        return true;
    case 5: /* a cable with an empty list of ids and an empty link name */
        link_frame_init(f, LINK_T_CABLE);
        f->ln = sim_span("", 0);
        f->csn = 9999;
        f->has_at = true;
        f->at = INT64_MAX;
        f->cable.c = sim_span(cable_bytes, 3);
        f->cable.ids = cable_ids;
        f->cable.n_ids = 0;
        return true;
    case 6:
        link_frame_init(f, LINK_T_ACK);
        f->csn = 17;
        return true;
    case 7:
        link_frame_init(f, LINK_T_ACK);
        f->ln = sim_span_str("RUEHWEB");
        f->csn = 9998;
        f->ack.n = 4;
        f->has_at = true;
        f->at = 1;
        return true;
    case 8:
        link_frame_init(f, LINK_T_SVC);
        f->ln = sim_span_str("RUEHC");
        f->svc.code = LINK_SVC_GAP;
        f->svc.text = sim_span_str("GAP CSN 0531-0533 PLS RPT");
        f->svc.from = 531;
        f->svc.to = 533;
        f->has_at = true;
        f->at = 42;
        return true;
    case 9:
        link_frame_init(f, LINK_T_SVC);
        f->svc.code = LINK_SVC_UNDELIVERABLE;
        f->svc.text = sim_span_str("RUCNDT#0352/01 071302Z MAY 07 UNDLVBL AMEMBASSY ATLANTIS");
        f->svc.id = sim_span_str("RUCNDT#0352/01 071302Z MAY 07");
        f->svc.ri = sim_span_str("RUEHZZ");
        f->csn = 12;
        return true;
    case 10: /* a code from a newer peer */
        link_frame_init(f, LINK_T_SVC);
        f->svc.code = LINK_SVC_OTHER;
        f->svc.code_text = sim_span_str("trace");
        f->svc.text = sim_span("", 0);
        f->svc.from = 7;
        return true;
    case 11:
        link_frame_init(f, LINK_T_ABORT);
        f->ln = sim_span_str("RUEHC");
        f->csn = 532;
        f->has_at = true;
        f->at = 1178542921000000LL;
        f->abort.id = sim_span_str("RUEHBC#0945/01 071615Z NOV 07");
        return true;
    case 12:
        link_frame_init(f, LINK_T_ABORT);
        f->csn = 1;
        return true;
    case 13:
        link_frame_init(f, LINK_T_HEARTBEAT);
        return true;
    case 14:
        link_frame_init(f, LINK_T_HEARTBEAT);
        f->has_at = true;
        f->at = 77;
        return true;
    case 15:
        link_frame_init(f, LINK_T_PROMISE);
        f->has_at = true;
        f->at = 1178542925000000LL;
        return true;
    case 16:
        link_frame_init(f, LINK_T_PROMISE);
        f->ln = sim_span_str("RUEHWEB");
        f->has_at = true;
        f->at = 0;
        return true;
    default:
        return false;
    }
}

static int n_samples(void)
{
    link_frame_t f;
    int          n = 0;
    while (sample_frame(n, &f))
        n++;
    return n;
}

/* The encoding of sample i, owned by the caller (free()). */
static char *encode_sample(int i, size_t *len)
{
    msgpack_sbuffer sb;
    link_frame_t    f;

    assert_true(sample_frame(i, &f));
    msgpack_sbuffer_init(&sb);
    assert_int_equal(link_frame_encode(&f, &sb), 0);
    *len = sb.size;
    return msgpack_sbuffer_release(&sb);
}

/* The payload of a frame built by packing with 'pk' (after the prefix). */
typedef struct mp_build {
    msgpack_sbuffer sb;
    msgpack_packer  pk;
} mp_build_t;

static void mb_init(mp_build_t *b)
{
    msgpack_sbuffer_init(&b->sb);
    msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
}

static void mb_str(mp_build_t *b, const char *s)
{
    assert_int_equal(msgpack_pack_str(&b->pk, strlen(s)), 0);
    assert_int_equal(msgpack_pack_str_body(&b->pk, s, strlen(s)), 0);
}

static void mb_kstr(mp_build_t *b, const char *k, const char *v)
{
    mb_str(b, k);
    mb_str(b, v);
}

static void mb_kint(mp_build_t *b, const char *k, int64_t v)
{
    mb_str(b, k);
    assert_int_equal(msgpack_pack_int64(&b->pk, v), 0);
}

static int mb_decode(mp_build_t *b, link_frame_t *f, const char **err)
{
    msgpack_zone zone;
    int          rc;
    msgpack_zone_init(&zone, 1024);
    rc = link_frame_decode(b->sb.data, b->sb.size, f, &zone, err);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&b->sb);
    return rc;
}

/* --- round trips -------------------------------------------------------------- */

static void test_round_trip_every_type(void **state)
{
    bool seen[LINK_T_COUNT] = {false};
    (void)state;
    for (int i = 0; i < n_samples(); i++) {
        link_frame_t f, g;
        msgpack_zone zone;
        const char  *err = NULL;
        size_t       len, flen = 0;
        char        *buf = encode_sample(i, &len);

        sample_frame(i, &f);
        seen[f.type] = true;
        assert_int_equal(link_frame_peek(buf, len, LINK_FRAME_MAX, &flen), 0);
        assert_int_equal(flen, len);
        msgpack_zone_init(&zone, 256);
        if (link_frame_decode(buf + LINK_PREFIX, len - LINK_PREFIX, &g, &zone, &err) != 0)
            fail_msg("sample %d does not decode: %s", i, err);
        assert_true(link_frame_equal(&f, &g));
        if (f.type == LINK_T_CABLE) /* zero copy: the cable bytes stay in the payload */
            assert_true(g.cable.c.p > buf && g.cable.c.p + g.cable.c.len <= buf + len);

        /* Canonical: the decoded frame encodes to the very same bytes. */
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        assert_int_equal(link_frame_encode(&g, &sb), 0);
        assert_int_equal(sb.size, len);
        assert_memory_equal(sb.data, buf, len);
        msgpack_sbuffer_destroy(&sb);
        msgpack_zone_destroy(&zone);
        free(buf);
    }
    for (int t = 1; t < LINK_T_COUNT; t++)
        assert_true(seen[t]);
}

static void test_encode_appends(void **state)
{
    msgpack_sbuffer sb;
    link_frame_t    f;
    size_t          off = 0, flen;
    (void)state;
    msgpack_sbuffer_init(&sb);
    msgpack_sbuffer_write(&sb, "xyz", 3);
    for (int i = 0; i < n_samples(); i++) {
        sample_frame(i, &f);
        assert_int_equal(link_frame_encode(&f, &sb), 0);
    }
    off = 3;
    for (int i = 0; i < n_samples(); i++) {
        assert_int_equal(link_frame_peek(sb.data + off, sb.size - off, LINK_FRAME_MAX, &flen), 0);
        off += flen;
    }
    assert_int_equal(off, sb.size);
    assert_memory_equal(sb.data, "xyz", 3);
    /* The same frames onto a plain buffer, from none at all: the same bytes. */
    {
        char  *buf = NULL;
        size_t len = 0, cap = 0;
        for (int i = 0; i < n_samples(); i++) {
            sample_frame(i, &f);
            assert_int_equal(link_frame_append(&f, &buf, &len, &cap), 0);
            assert_true(len <= cap);
        }
        assert_int_equal(len, sb.size - 3);
        assert_memory_equal(buf, sb.data + 3, len);
        /* A frame that cannot be encoded leaves the buffer as it was. */
        link_frame_init(&f, LINK_T_ACK); /* no csn */
        assert_int_equal(link_frame_append(&f, &buf, &len, &cap), SIM_EUSAGE);
        assert_int_equal(len, sb.size - 3);
        free(buf);
    }
    msgpack_sbuffer_destroy(&sb);
}

static void test_encode_refuses_bad_frames(void **state)
{
    msgpack_sbuffer sb;
    link_frame_t    f;
    (void)state;
    msgpack_sbuffer_init(&sb);
    msgpack_sbuffer_write(&sb, "keep", 4);

#define REFUSE(setup)                                                                             \
    do {                                                                                          \
        setup;                                                                                    \
        assert_int_equal(link_frame_encode(&f, &sb), SIM_EUSAGE);                                 \
        assert_int_equal(sb.size, 4);                                                             \
    } while (0)

    REFUSE(sample_frame(3, &f); f.csn = 10000);
    REFUSE(sample_frame(3, &f); f.csn = -1);
    REFUSE(sample_frame(3, &f); f.has_at = false);
    REFUSE(sample_frame(3, &f); f.cable.c = SIM_SPAN_NULL);
    REFUSE(sample_frame(3, &f); f.cable.prec = 6);
    REFUSE(sample_frame(6, &f); f.ack.n = 0);
    REFUSE(sample_frame(6, &f); f.ack.n = LINK_ACK_MAX_RUN + 1);
    REFUSE(sample_frame(0, &f); f.hello.role = LINK_ROLE_NONE);
    REFUSE(sample_frame(0, &f); f.hello.n_links = 0);
    REFUSE(sample_frame(0, &f); f.hello.name = SIM_SPAN_NULL);
    REFUSE(sample_frame(1, &f); f.hello.n_links = 2; f.hello.links = host_links);
    REFUSE(sample_frame(8, &f); f.svc.code = LINK_SVC_OTHER);
    REFUSE(sample_frame(10, &f); f.svc.code_text = sim_span_str("gap"));
    REFUSE(sample_frame(8, &f); f.svc.from = -1);
    REFUSE(sample_frame(15, &f); f.has_at = false);
    REFUSE(sample_frame(13, &f); f.csn = 3);
    REFUSE(sample_frame(13, &f); f.version = 2);
    REFUSE(link_frame_init(&f, LINK_T_NONE));
#undef REFUSE
    assert_memory_equal(sb.data, "keep", 4);
    msgpack_sbuffer_destroy(&sb);
}

static void test_encode_too_big(void **state)
{
    msgpack_sbuffer sb;
    link_frame_t    f;
    char           *text = malloc(LINK_FRAME_MAX);
    (void)state;
    memset(text, 'A', LINK_FRAME_MAX);
    msgpack_sbuffer_init(&sb);
    msgpack_sbuffer_write(&sb, "keep", 4);
    /* Refused before the bytes are read. */
    sample_frame(3, &f);
    f.cable.c = sim_span(cable_bytes, LINK_FRAME_MAX + 1);
    assert_int_equal(link_frame_encode(&f, &sb), SIM_ETOOBIG);
    assert_int_equal(sb.size, 4);
    /* Refused once packed: the buffer rolls back. */
    sample_frame(8, &f);
    f.svc.text = sim_span(text, LINK_FRAME_MAX - 16);
    assert_int_equal(link_frame_encode(&f, &sb), SIM_ETOOBIG);
    assert_int_equal(sb.size, 4);
    /* Just under the limit is fine, and decodes. */
    sample_frame(8, &f);
    f.svc.text = sim_span(text, LINK_FRAME_MAX - 200);
    assert_int_equal(link_frame_encode(&f, &sb), 0);
    size_t flen;
    assert_int_equal(link_frame_peek(sb.data + 4, sb.size - 4, LINK_FRAME_MAX, &flen), 0);
    assert_true(flen <= LINK_FRAME_MAX);
    assert_int_equal(flen, sb.size - 4);
    msgpack_sbuffer_destroy(&sb);
    free(text);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(link_type_name(LINK_T_PROMISE), "promise");
    assert_null(link_type_name(LINK_T_NONE));
    assert_null(link_type_name((link_type_t)99));
    assert_string_equal(link_role_name(LINK_ROLE_HOST), "host");
    for (int c = 1; c < LINK_SVC_COUNT; c++)
        assert_int_equal(link_svc_code_from(sim_span_str(link_svc_code_name((link_svc_code_t)c))),
                         c);
    assert_int_equal(link_svc_code_from(sim_span_str("gap ")), LINK_SVC_OTHER);
    assert_string_equal(link_svc_code_name(LINK_SVC_UNKNOWN_RI), "unknown-ri");
    assert_null(link_svc_code_name(LINK_SVC_OTHER));

    char buf[64];
    assert_int_equal(link_svc_gap_text(buf, sizeof(buf), 531, 533), 25);
    assert_string_equal(buf, "GAP CSN 0531-0533 PLS RPT");
    link_svc_gap_text(buf, sizeof(buf), 7, 7);
    assert_string_equal(buf, "GAP CSN 0007 PLS RPT");
    link_svc_gap_text(buf, sizeof(buf), 9998, 1);
    assert_string_equal(buf, "GAP CSN 9998-0001 PLS RPT");
}

/* --- delimiting ------------------------------------------------------------- */

static void test_every_prefix_needs_more(void **state)
{
    (void)state;
    for (int i = 0; i < n_samples(); i++) {
        size_t len, flen;
        char  *buf = encode_sample(i, &len);
        for (size_t k = 0; k < len; k++) {
            char *copy = k ? malloc(k) : NULL; /* exact size: ASan sees any overread */
            if (k)
                memcpy(copy, buf, k);
            assert_int_equal(link_frame_peek(copy, k, LINK_FRAME_MAX, &flen), LINK_AGAIN);
            free(copy);
        }
        /* A payload cut short never decodes. */
        for (size_t k = 0; k + LINK_PREFIX < len; k++) {
            link_frame_t f;
            msgpack_zone zone;
            const char  *err = NULL;
            char        *copy = malloc(k ? k : 1);
            memcpy(copy, buf + LINK_PREFIX, k);
            msgpack_zone_init(&zone, 256);
            int rc = link_frame_decode(copy, k, &f, &zone, &err);
            assert_true(rc < 0);
            assert_non_null(err);
            msgpack_zone_destroy(&zone);
            free(copy);
        }
        free(buf);
    }
}

static void test_oversized_and_zero_length(void **state)
{
    size_t        flen = 0;
    link_reader_t r;
    const char   *payload;
    size_t        len;
    (void)state;

    assert_int_equal(link_frame_peek("\xff\xff\xff\xff", 4, LINK_FRAME_MAX, &flen), SIM_ETOOBIG);
    assert_int_equal(link_frame_peek("\x00\x00\x00\x00", 4, LINK_FRAME_MAX, &flen), SIM_EPARSE);
    /* Exactly at the limit is accepted, one more byte is not. */
    assert_int_equal(link_frame_peek("\x00\x00\x00\x10", 4, 20, &flen), LINK_AGAIN);
    assert_int_equal(link_frame_peek("\x00\x00\x00\x11", 4, 20, &flen), SIM_ETOOBIG);

    /* The reader refuses from the prefix alone and stays small and broken. */
    link_reader_init(&r, 0, 512);
    assert_int_equal(link_reader_feed(&r, "\x7f\xff\xff\xf0", 4), 4);
    assert_int_equal(link_reader_next(&r, &payload, &len), SIM_ETOOBIG);
    assert_true(r.cap <= 4096);
    assert_int_equal(link_reader_next(&r, &payload, &len), SIM_ETOOBIG);
    assert_int_equal(link_reader_feed(&r, "abc", 3), 0);
    size_t room = 1;
    assert_null(link_reader_space(&r, &room));
    assert_int_equal(room, 0);
    link_reader_destroy(&r);

    /* A frame over a reader's own limit, announced in a valid stream. */
    size_t elen;
    char  *enc = encode_sample(3, &elen);
    link_reader_init(&r, elen - 1, 16);
    assert_int_equal(link_reader_feed(&r, enc, 4), 4);
    assert_int_equal(link_reader_next(&r, &payload, &len), SIM_ETOOBIG);
    link_reader_destroy(&r);
    link_reader_init(&r, elen, 16);
    assert_int_equal(link_reader_feed(&r, enc, elen), elen);
    assert_int_equal(link_reader_next(&r, &payload, &len), 0);
    assert_int_equal(len, elen - LINK_PREFIX);
    assert_int_equal(link_reader_next(&r, &payload, &len), LINK_AGAIN);
    link_reader_destroy(&r);
    free(enc);

    /* Zero length in a stream. */
    link_reader_init(&r, 0, 0);
    assert_int_equal(link_reader_feed(&r, "\0\0\0\0\x80", 5), 5);
    assert_int_equal(link_reader_next(&r, &payload, &len), SIM_EPARSE);
    link_reader_destroy(&r);
}

/* --- malformed input -------------------------------------------------------- */

static void expect_error(const char *bytes, size_t len, int code, const char *what)
{
    link_frame_t f;
    msgpack_zone zone;
    const char  *err = NULL;
    char        *copy = malloc(len ? len : 1);
    int          rc;

    memcpy(copy, bytes, len);
    msgpack_zone_init(&zone, 256);
    rc = link_frame_decode(copy, len, &f, &zone, &err);
    if (rc != code)
        fail_msg("%s: got %d (%s), wanted %d", what, rc, err ? err : "-", code);
    assert_non_null(err);
    msgpack_zone_destroy(&zone);
    free(copy);
}

#define RAW(s) s, sizeof(s) - 1

static void test_malformed_bytes(void **state)
{
    (void)state;
    expect_error(RAW(""), SIM_EPARSE, "empty");
    expect_error(RAW("\xc1"), SIM_EPARSE, "reserved byte");
    expect_error(RAW("\x92\x01\x02"), SIM_ETYPE, "an array, not a map");
    expect_error(RAW("\x01"), SIM_ETYPE, "an integer, not a map");
    expect_error(RAW("\x82\xa1v\x01"), SIM_EPARSE, "map shorter than its count");
    expect_error(RAW("\x83\xa1v\x01\xa1t\xa2hb"), SIM_EPARSE, "one key short");
    expect_error(RAW("\xdf\xff\xff\xff\xff"), SIM_EPARSE, "map claiming 2^32 keys");
    expect_error(RAW("\x81\xa1x\xdd\xff\xff\xff\xff"), SIM_EPARSE, "array claiming 2^32 items");
    expect_error(RAW("\x81\xa1x\xdb\xff\xff\xff\xf0"), SIM_EPARSE, "string past the end");
    expect_error(RAW("\x81\xa1x\xc6\x00\x00\x01\x00"), SIM_EPARSE, "bin past the end");
    expect_error(RAW("\x81\xa1x\xc9\x00\x00\x00\x09\x01"), SIM_EPARSE, "ext past the end");
    expect_error(RAW("\x81\xa1x\xcf\x00\x00"), SIM_EPARSE, "uint64 cut short");
    expect_error(RAW("\x81\x01\x02"), SIM_ETYPE, "integer key");
    expect_error(RAW("\x82\xa1v\x01\xa1t\xa2hb\xc0"), SIM_EPARSE, "trailing byte");
    expect_error(RAW("\x80"), SIM_EPARSE, "no v");
    expect_error(RAW("\x81\xa1v\x01"), SIM_EPARSE, "no t");
    expect_error(RAW("\x82\xa1v\xa1\x31\xa1t\xa2hb"), SIM_ETYPE, "v a string");
    expect_error(RAW("\x82\xa1v\x02\xa1t\xa2hb"), SIM_EVERSION, "v 2");
    expect_error(RAW("\x82\xa1v\xff\xa1t\xa2hb"), SIM_EVERSION, "v -1");
    expect_error(RAW("\x82\xa1v\x00\xa1t\xa2hb"), SIM_EVERSION, "v 0");
    expect_error(RAW("\x83\xa1v\x01\xa1t\xa2hb\xa1v\x01"), SIM_EPARSE, "v twice");
    expect_error(RAW("\x83\xa1v\x01\xa1t\xa2hb\xa1t\xa2hb"), SIM_EPARSE, "t twice");
    expect_error(RAW("\x83\xa1t\xa2hb\xa1v\x01\xa1t\xa2hb"), SIM_EPARSE, "t twice, t first");
    expect_error(RAW("\x82\xa1v\x01\xa1t\xa2hb\x01"), SIM_EPARSE, "byte after a v-t frame");
    expect_error(RAW("\x82\xa1v\x01\xa1t\x01"), SIM_ETYPE, "t an integer");
    expect_error(RAW("\x82\xa1v\x01\xa1t\xa4ping"), SIM_EPARSE, "unknown type");
    expect_error(RAW("\x82\xa1v\x01\xa1t\xa2HB"), SIM_EPARSE, "type in capitals");
    /* Version before anything else: a v2 frame with fields v1 rejects. */
    expect_error(RAW("\x83\xa1t\xa5\x63\x61\x62le\xa3\x63sn\xa1x\xa1v\x02"), SIM_EVERSION,
                 "v2 cable with a string csn");
    /* Unknown keys are skipped whatever they hold; ext and floats too. */
    link_frame_t f;
    mp_build_t   b;
    /* "t" before "v" (not as the encoder writes it): read in two passes,
     * the same frame. */
    assert_int_equal(link_frame_decode(RAW("\x82\xa1t\xa2hb\xa1v\x01"), &f, NULL, NULL), 0);
    assert_int_equal(f.type, LINK_T_HEARTBEAT);
    mb_init(&b);
    msgpack_pack_map(&b.pk, 6);
    mb_kint(&b, "v", 1);
    mb_kstr(&b, "t", "hb");
    mb_str(&b, "future");
    msgpack_pack_map(&b.pk, 2);
    mb_str(&b, "deep");
    msgpack_pack_array(&b.pk, 3);
    msgpack_pack_nil(&b.pk);
    msgpack_pack_double(&b.pk, 1.5);
    msgpack_pack_ext(&b.pk, 3, 7);
    msgpack_pack_ext_body(&b.pk, "abc", 3);
    msgpack_pack_float(&b.pk, 2.5f);
    msgpack_pack_bin(&b.pk, 2);
    msgpack_pack_bin_body(&b.pk, "zz", 2);
    mb_kint(&b, "csn", 5); /* not a field of a heartbeat: ignored */
    mb_kint(&b, "ack-later", -5000000000LL);
    mb_str(&b, "fx");
    msgpack_pack_ext(&b.pk, 16, -1);
    msgpack_pack_ext_body(&b.pk, "0123456789abcdef", 16);
    assert_int_equal(mb_decode(&b, &f, NULL), 0);
    assert_int_equal(f.type, LINK_T_HEARTBEAT);
    assert_int_equal(f.csn, -1);
    assert_false(f.has_at);
}

/* A frame of type t with one extra key k whose value is packed by 'val'. */
typedef void (*packer_fn)(msgpack_packer *pk);

static void pk_str(msgpack_packer *pk)
{
    msgpack_pack_str(pk, 1);
    msgpack_pack_str_body(pk, "x", 1);
}
static void pk_bin(msgpack_packer *pk)
{
    msgpack_pack_bin(pk, 1);
    msgpack_pack_bin_body(pk, "x", 1);
}
static void pk_neg(msgpack_packer *pk)
{
    msgpack_pack_int(pk, -1);
}
static void pk_big(msgpack_packer *pk)
{
    msgpack_pack_uint64(pk, UINT64_MAX);
}
static void pk_10000(msgpack_packer *pk)
{
    msgpack_pack_int(pk, 10000);
}
static void pk_zero(msgpack_packer *pk)
{
    msgpack_pack_int(pk, 0);
}
static void pk_nil(msgpack_packer *pk)
{
    msgpack_pack_nil(pk);
}
static void pk_float(msgpack_packer *pk)
{
    msgpack_pack_double(pk, 3.0);
}
static void pk_int(msgpack_packer *pk)
{
    msgpack_pack_int(pk, 3);
}
static void pk_true(msgpack_packer *pk)
{
    msgpack_pack_true(pk);
}
static void pk_map(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 0);
}
static void pk_arr_int(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_int(pk, 1);
}
static void pk_links_no_ln(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 1);
    msgpack_pack_str(pk, 7);
    msgpack_pack_str_body(pk, "last_rx", 7);
    msgpack_pack_int(pk, 3);
}
static void pk_links_bad_rx(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 2);
    msgpack_pack_str(pk, 2);
    msgpack_pack_str_body(pk, "ln", 2);
    msgpack_pack_str(pk, 0);
    msgpack_pack_str(pk, 7);
    msgpack_pack_str_body(pk, "last_rx", 7);
    msgpack_pack_int(pk, 10000);
}
static void pk_links_dup(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 2);
    msgpack_pack_str(pk, 2);
    msgpack_pack_str_body(pk, "ln", 2);
    msgpack_pack_str(pk, 0);
    msgpack_pack_str(pk, 2);
    msgpack_pack_str_body(pk, "ln", 2);
    msgpack_pack_str(pk, 0);
}
static void pk_links_reversed(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 3);
    msgpack_pack_str(pk, 7);
    msgpack_pack_str_body(pk, "last_rx", 7);
    msgpack_pack_nil(pk);
    msgpack_pack_str(pk, 5);
    msgpack_pack_str_body(pk, "later", 5);
    msgpack_pack_array(pk, 0);
    msgpack_pack_str(pk, 2);
    msgpack_pack_str_body(pk, "ln", 2);
    msgpack_pack_str(pk, 5);
    msgpack_pack_str_body(pk, "RUEHC", 5);
}
static void pk_links_rx_twice(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 3);
    msgpack_pack_str(pk, 2);
    msgpack_pack_str_body(pk, "ln", 2);
    msgpack_pack_str(pk, 0);
    for (int i = 0; i < 2; i++) {
        msgpack_pack_str(pk, 7);
        msgpack_pack_str_body(pk, "last_rx", 7);
        msgpack_pack_int(pk, i);
    }
}
static void pk_links_two(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    for (int i = 0; i < 2; i++) {
        msgpack_pack_map(pk, 1);
        msgpack_pack_str(pk, 2);
        msgpack_pack_str_body(pk, "ln", 2);
        msgpack_pack_str(pk, 1);
        msgpack_pack_str_body(pk, i ? "B" : "A", 1);
    }
}
static void pk_links_huge(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 70000);
    for (int i = 0; i < 70000; i++)
        msgpack_pack_map(pk, 0);
}

/* Sample frame 'base' re-packed with key k replaced by the value of 'val'
 * (or added when the sample lacks it), then decoded. */
static int decode_with(int base, const char *k, packer_fn val, const char **err)
{
    size_t          len;
    char           *buf = encode_sample(base, &len);
    link_frame_t    f;
    msgpack_zone    zone;
    msgpack_sbuffer sb;
    msgpack_packer  pk;
    msgpack_object  obj;
    msgpack_unpacked un;
    int             rc;

    /* Re-pack the sample's map with msgpack-c itself, swapping one key. */
    msgpack_unpacked_init(&un);
    assert_int_equal(msgpack_unpack_next(&un, buf + LINK_PREFIX, len - LINK_PREFIX, NULL),
                     MSGPACK_UNPACK_SUCCESS);
    obj = un.data;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    bool has = false;
    for (uint32_t i = 0; i < obj.via.map.size; i++) {
        const msgpack_object_str *key = &obj.via.map.ptr[i].key.via.str;
        if (key->size == strlen(k) && memcmp(key->ptr, k, key->size) == 0)
            has = true;
    }
    msgpack_pack_map(&pk, obj.via.map.size + !has);
    for (uint32_t i = 0; i < obj.via.map.size; i++) {
        const msgpack_object_str *key = &obj.via.map.ptr[i].key.via.str;
        msgpack_pack_object(&pk, obj.via.map.ptr[i].key);
        if (key->size == strlen(k) && memcmp(key->ptr, k, key->size) == 0)
            val(&pk);
        else
            msgpack_pack_object(&pk, obj.via.map.ptr[i].val);
    }
    if (!has) {
        msgpack_pack_str(&pk, strlen(k));
        msgpack_pack_str_body(&pk, k, strlen(k));
        val(&pk);
    }
    msgpack_zone_init(&zone, 256);
    rc = link_frame_decode(sb.data, sb.size, &f, &zone, err);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
    msgpack_unpacked_destroy(&un);
    free(buf);
    return rc;
}

/* Sample 'base' without key k. */
static int decode_without(int base, const char *k, const char **err)
{
    size_t           len;
    char            *buf = encode_sample(base, &len);
    link_frame_t     f;
    msgpack_zone     zone;
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    msgpack_unpacked un;
    uint32_t         n = 0;
    int              rc;

    msgpack_unpacked_init(&un);
    assert_int_equal(msgpack_unpack_next(&un, buf + LINK_PREFIX, len - LINK_PREFIX, NULL),
                     MSGPACK_UNPACK_SUCCESS);
    msgpack_object_map *m = &un.data.via.map;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    for (uint32_t i = 0; i < m->size; i++)
        n += !(m->ptr[i].key.via.str.size == strlen(k) &&
               memcmp(m->ptr[i].key.via.str.ptr, k, strlen(k)) == 0);
    assert_int_equal(n, m->size - 1);
    msgpack_pack_map(&pk, n);
    for (uint32_t i = 0; i < m->size; i++) {
        if (m->ptr[i].key.via.str.size == strlen(k) &&
            memcmp(m->ptr[i].key.via.str.ptr, k, strlen(k)) == 0)
            continue;
        msgpack_pack_object(&pk, m->ptr[i].key);
        msgpack_pack_object(&pk, m->ptr[i].val);
    }
    msgpack_zone_init(&zone, 256);
    rc = link_frame_decode(sb.data, sb.size, &f, &zone, err);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
    msgpack_unpacked_destroy(&un);
    free(buf);
    return rc;
}

static void test_wrong_types_and_ranges(void **state)
{
    static const struct {
        int         base;
        const char *key;
        packer_fn   val;
        int         code;
    } cases[] = {
        {3, "csn", pk_str, SIM_ETYPE},     {3, "csn", pk_neg, SIM_EPARSE},
        {3, "csn", pk_10000, SIM_EPARSE},  {3, "csn", pk_big, SIM_EPARSE},
        {3, "csn", pk_float, SIM_ETYPE},   {3, "csn", pk_nil, SIM_ETYPE},
        {3, "at", pk_str, SIM_ETYPE},      {3, "at", pk_big, SIM_EPARSE},
        {3, "at", pk_float, SIM_ETYPE},    {3, "c", pk_str, SIM_ETYPE},
        {3, "ln", pk_bin, SIM_ETYPE},      {3, "ln", pk_nil, SIM_ETYPE},
        {3, "ids", pk_str, SIM_ETYPE},     {3, "ids", pk_arr_int, SIM_ETYPE},
        {3, "id", pk_int, SIM_ETYPE},      {3, "p", pk_zero, SIM_EPARSE},
        {3, "p", pk_str, SIM_ETYPE},       {3, "p", pk_10000, SIM_EPARSE},
        {3, "hops", pk_10000, SIM_EPARSE}, {3, "rpt", pk_int, SIM_ETYPE},
        {6, "n", pk_zero, SIM_EPARSE},     {6, "n", pk_10000, SIM_EPARSE},
        {6, "n", pk_true, SIM_ETYPE},      {0, "role", pk_str, SIM_EPARSE},
        {0, "role", pk_int, SIM_ETYPE},    {0, "name", pk_map, SIM_ETYPE},
        {0, "links", pk_map, SIM_ETYPE},   {0, "links", pk_arr_int, SIM_ETYPE},
        {0, "links", pk_links_no_ln, SIM_EPARSE}, {0, "links", pk_links_bad_rx, SIM_EPARSE},
        {0, "links", pk_links_dup, SIM_EPARSE},   {0, "links", pk_links_huge, SIM_ETOOBIG},
        {1, "links", pk_links_two, SIM_EPARSE},   {1, "links", pk_links_reversed, 0},
        {1, "links", pk_links_rx_twice, SIM_EPARSE},   {0, "vmax", pk_zero, SIM_EPARSE},
        {0, "hb", pk_neg, SIM_EPARSE},     {0, "asap", pk_nil, SIM_ETYPE},
        {8, "code", pk_int, SIM_ETYPE},    {8, "text", pk_nil, SIM_ETYPE},
        {8, "from", pk_10000, SIM_EPARSE}, {8, "to", pk_str, SIM_ETYPE},
        {8, "ri", pk_bin, SIM_ETYPE},      {10, "to", pk_int, 0},
        {11, "csn", pk_neg, SIM_EPARSE},   {15, "at", pk_nil, SIM_ETYPE},
        {13, "at", pk_str, SIM_ETYPE},
    };
    (void)state;
    for (size_t i = 0; i < SIM_ARRAY_LEN(cases); i++) {
        const char *err = NULL;
        int         rc = decode_with(cases[i].base, cases[i].key, cases[i].val, &err);
        if (rc != cases[i].code)
            fail_msg("case %zu (%s): got %d (%s), wanted %d", i, cases[i].key, rc,
                     err ? err : "-", cases[i].code);
        if (rc != 0)
            assert_non_null(err);
    }
}

static void test_missing_fields(void **state)
{
    static const struct {
        int         base;
        const char *key;
    } cases[] = {
        {0, "role"}, {0, "links"}, {0, "name"}, {2, "name"}, {3, "csn"}, {3, "at"}, {3, "c"},
        {6, "csn"},  {8, "code"},  {8, "text"}, {8, "from"}, {11, "csn"}, {15, "at"},
    };
    (void)state;
    for (size_t i = 0; i < SIM_ARRAY_LEN(cases); i++) {
        const char *err = NULL;
        int         rc = decode_without(cases[i].base, cases[i].key, &err);
        if (rc != SIM_EPARSE)
            fail_msg("without %s: got %d (%s)", cases[i].key, rc, err ? err : "-");
        assert_non_null(err);
    }
    /* Optional ones may go. */
    assert_int_equal(decode_without(3, "ids", NULL), 0);
    assert_int_equal(decode_without(3, "ln", NULL), 0);
    assert_int_equal(decode_without(0, "vmax", NULL), 0);
    assert_int_equal(decode_without(8, "to", NULL), 0);
    assert_int_equal(decode_without(14, "at", NULL), 0);
}

static void test_duplicate_key(void **state)
{
    link_frame_t f;
    mp_build_t   b;
    const char  *err = NULL;
    (void)state;
    mb_init(&b);
    msgpack_pack_map(&b.pk, 4);
    mb_kint(&b, "v", 1);
    mb_kstr(&b, "t", "ack");
    mb_kint(&b, "csn", 1);
    mb_kint(&b, "csn", 2);
    assert_int_equal(mb_decode(&b, &f, &err), SIM_EPARSE);
    assert_non_null(strstr(err, "twice"));
}

/* --- the streaming reader --------------------------------------------------- */

typedef struct stream {
    char  *bytes;
    size_t len;
    int    n;
} stream_t;

/* Every sample frame, twice, one after the other. */
static stream_t make_stream(void)
{
    msgpack_sbuffer sb;
    link_frame_t    f;
    stream_t        s;
    msgpack_sbuffer_init(&sb);
    s.n = 0;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < n_samples(); i++, s.n++) {
            sample_frame(i, &f);
            assert_int_equal(link_frame_encode(&f, &sb), 0);
        }
    s.len = sb.size;
    s.bytes = msgpack_sbuffer_release(&sb);
    return s;
}

/* Takes every whole frame out of r, checking each against the samples. */
static void drain(link_reader_t *r, int *got)
{
    const char *payload;
    size_t      len;
    int         rc;
    while ((rc = link_reader_next(r, &payload, &len)) == 0) {
        link_frame_t f, want;
        msgpack_zone zone;
        const char  *err = NULL;
        msgpack_zone_init(&zone, 256);
        if (link_frame_decode(payload, len, &f, &zone, &err) != 0)
            fail_msg("frame %d: %s", *got, err);
        sample_frame(*got % n_samples(), &want);
        assert_true(link_frame_equal(&f, &want));
        msgpack_zone_destroy(&zone);
        (*got)++;
    }
    assert_int_equal(rc, LINK_AGAIN);
}

static void test_reader_every_split(void **state)
{
    stream_t s = make_stream();
    (void)state;
    for (size_t cut = 0; cut <= s.len; cut++) {
        link_reader_t r;
        int           got = 0;
        link_reader_init(&r, 0, 64);
        assert_int_equal(link_reader_feed(&r, s.bytes, cut), cut);
        drain(&r, &got);
        size_t off = cut;
        while (off < s.len) {
            size_t n = link_reader_feed(&r, s.bytes + off, s.len - off);
            off += n;
            drain(&r, &got);
            assert_true(n > 0);
        }
        assert_int_equal(got, s.n);
        assert_int_equal(link_reader_buffered(&r), 0);
        link_reader_destroy(&r);
    }
    free(s.bytes);
}

static void test_reader_in_place_reads(void **state)
{
    stream_t s = make_stream();
    (void)state;
    /* Reads of every size from 1 to 300 bytes through space/commit, the way
     * a socket fills the buffer; small read sizes force compaction. */
    for (size_t step = 1; step <= 300; step++) {
        link_reader_t r;
        size_t        off = 0;
        int           got = 0;
        link_reader_init(&r, 0, step);
        while (off < s.len) {
            size_t room = 0;
            char  *p = link_reader_space(&r, &room);
            assert_non_null(p);
            assert_true(room >= step);
            size_t n = SIM_MIN(SIM_MIN(room, step), s.len - off);
            memcpy(p, s.bytes + off, n);
            link_reader_commit(&r, n);
            off += n;
            drain(&r, &got);
            assert_true(r.cap <= r.max_frame + r.read_size);
        }
        assert_int_equal(got, s.n);
        link_reader_destroy(&r);
    }
    free(s.bytes);
}

static void test_reader_hard_cap(void **state)
{
    stream_t      s = make_stream();
    link_reader_t r;
    size_t        biggest = 0, off = 0, flen;
    int           got = 0;
    (void)state;
    while (off < s.len) {
        assert_int_equal(link_frame_peek(s.bytes + off, s.len - off, LINK_FRAME_MAX, &flen), 0);
        biggest = SIM_MAX(biggest, flen);
        off += flen;
    }
    /* With the limit at the largest frame, the buffer never passes
     * max_frame + read_size, and feeding stops when whole frames wait. */
    link_reader_init(&r, biggest, 8);
    off = 0;
    while (off < s.len) {
        size_t n = link_reader_feed(&r, s.bytes + off, s.len - off);
        assert_true(r.cap <= biggest + 8);
        off += n;
        drain(&r, &got);
    }
    assert_int_equal(got, s.n);
    link_reader_destroy(&r);
    free(s.bytes);
}

static void test_reader_garbage_after_frames(void **state)
{
    size_t        len;
    char         *enc = encode_sample(6, &len);
    link_reader_t r;
    const char   *payload;
    size_t        plen;
    (void)state;
    link_reader_init(&r, 1024, 0);
    link_reader_feed(&r, enc, len);
    link_reader_feed(&r, "\x00\x10\x00\x00", 4); /* 1 MiB announced, limit 1 KiB */
    assert_int_equal(link_reader_next(&r, &payload, &plen), 0);
    assert_int_equal(link_reader_next(&r, &payload, &plen), SIM_ETOOBIG);
    link_reader_destroy(&r);
    free(enc);
}

/* --- hostile bytes ------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static void check_hostile(const char *bytes, size_t len)
{
    link_frame_t f;
    msgpack_zone zone;
    const char  *err = NULL;
    char        *copy = malloc(len ? len : 1);
    int          rc;
    memcpy(copy, bytes, len);
    msgpack_zone_init(&zone, 256);
    rc = link_frame_decode(copy, len, &f, &zone, &err);
    if (rc != 0) {
        assert_true(rc == SIM_EPARSE || rc == SIM_ETYPE || rc == SIM_ETOOBIG ||
                    rc == SIM_EVERSION);
        assert_non_null(err);
    } else {
        /* Whatever decodes, encodes and decodes to itself. */
        msgpack_sbuffer sb;
        link_frame_t    g;
        msgpack_zone    z2;
        msgpack_sbuffer_init(&sb);
        assert_int_equal(link_frame_encode(&f, &sb), 0);
        msgpack_zone_init(&z2, 256);
        assert_int_equal(link_frame_decode(sb.data + LINK_PREFIX, sb.size - LINK_PREFIX, &g, &z2,
                                           &err),
                         0);
        assert_true(link_frame_equal(&f, &g));
        msgpack_zone_destroy(&z2);
        msgpack_sbuffer_destroy(&sb);
    }
    msgpack_zone_destroy(&zone);
    free(copy);
}

static void test_mutations_never_crash(void **state)
{
    (void)state;
    for (int i = 0; i < n_samples(); i++) {
        size_t len;
        char  *buf = encode_sample(i, &len);
        char  *p = buf + LINK_PREFIX;
        size_t n = len - LINK_PREFIX;
        /* Every byte set to a few telling values. */
        static const unsigned char vals[] = {0x00, 0x7f, 0x80, 0x8f, 0xa0, 0xc0, 0xc1, 0xc4,
                                             0xcf, 0xd3, 0xd9, 0xdc, 0xdd, 0xde, 0xdf, 0xff};
        for (size_t k = 0; k < n; k++) {
            char keep = p[k];
            for (size_t v = 0; v < sizeof(vals); v++) {
                p[k] = (char)vals[v];
                check_hostile(p, n);
            }
            p[k] = keep;
        }
        /* Random flips. */
        for (int round = 0; round < 300; round++) {
            char *q = malloc(n);
            memcpy(q, p, n);
            for (int m = 0; m < 1 + (int)(rng() % 4); m++)
                q[rng() % n] ^= (char)(1u << (rng() % 8));
            check_hostile(q, n);
            free(q);
        }
        free(buf);
    }
    /* Random bytes, maps in front to get past the first check. */
    for (int round = 0; round < 20000; round++) {
        unsigned char b[48];
        size_t        n = 1 + rng() % sizeof(b);
        for (size_t k = 0; k < n; k++)
            b[k] = (unsigned char)rng();
        if (round % 2)
            b[0] = (unsigned char)(0x80 | (b[0] & 0x0f));
        check_hostile((const char *)b, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_encode_appends),
        cmocka_unit_test(test_encode_refuses_bad_frames),
        cmocka_unit_test(test_encode_too_big),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_every_prefix_needs_more),
        cmocka_unit_test(test_oversized_and_zero_length),
        cmocka_unit_test(test_malformed_bytes),
        cmocka_unit_test(test_wrong_types_and_ranges),
        cmocka_unit_test(test_missing_fields),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_reader_every_split),
        cmocka_unit_test(test_reader_in_place_reads),
        cmocka_unit_test(test_reader_hard_cap),
        cmocka_unit_test(test_reader_garbage_after_frames),
        cmocka_unit_test(test_mutations_never_crash),
    };
    return cmocka_run_group_tests_name("link_frame", tests, NULL, NULL);
}
