/*
 * test_cable_msgpack.c - the msgpack form of a cable: round trips of cables
 * built by hand (every field, absent against empty), and a decoder that
 * answers every bad input (each prefix of a valid encoding, each key with a
 * wrong type, out-of-range values, unknown versions, absurd lengths, random
 * and mutated bytes) with an error code and a message instead of a crash.
 * The fuzz seeds named ok-* and bad-* are checked here too, so the seed
 * generator's independent encoder keeps agreeing with the schema.
 */
#include "testutil.h"
#include "cable_msgpack.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A string literal as (bytes, length), for inputs with NUL bytes in them. */
#define RAW(s) s, sizeof(s) - 1

/* --- building cables ---------------------------------------------------- */

static cable_span_list_t spans_of(sim_arena_t *a, const char *const *words, uint32_t n)
{
    cable_span_list_t l = {NULL, 0, 0};
    l.v = sim_arena_grow(a, NULL, &l.cap, n, sizeof(*l.v));
    for (uint32_t i = 0; i < n; i++)
        l.v[i] = words[i] ? sim_span_str(words[i]) : SIM_SPAN_NULL;
    l.n = n;
    return l;
}

static cable_addr_t addr_make(const char *ri, const char *pla, const char *pw, const char *serial,
                              int32_t lo, int32_t hi, cable_prec_t p, bool niact, bool zen)
{
    cable_addr_t a;
    memset(&a, 0, sizeof(a));
    a.ri = ri ? sim_span_str(ri) : SIM_SPAN_NULL;
    a.pla = pla ? sim_span_str(pla) : SIM_SPAN_NULL;
    a.prec_word = pw ? sim_span_str(pw) : SIM_SPAN_NULL;
    a.serial = serial ? sim_span_str(serial) : SIM_SPAN_NULL;
    a.serial_lo = lo;
    a.serial_hi = hi;
    a.prec = p;
    a.niact = niact;
    a.zen = zen;
    a.line = 7; /* not part of the form */
    return a;
}

static const char sample_text[] =
    "C O N F I D E N T I A L USUN NEW YORK 000352\n\nSIPDIS\n\nE.O. 12958: DECL: 05/04/2017\n"
    "TAGS: PGOV PREL UNSC\nSUBJECT: KOSOVO AT UNSC: RUSSIANS ARGUE FOR DELAY LEADING\n"
    "TO MORE DELAY\n\n1. (C) SUMMARY. A test body with \"quotes\", a tab\t and bytes \xc3\xa9.\n"
    "KHALILZAD\n";

/* A cable with every field of the model set to something other than its
 * default, the way the parser could have produced it. */
static void full_cable(cable_t *c)
{
    static const char *const ris[] = {"RUEHWEB", "RUEHC"};
    static const char *const sigs[] = {"ZZH", "ZDK"};
    static const char *const ctls[] = {"(CCY TEXT AD0B6901C TOQ0434 536)"};
    static const char *const caps[] = {"SIPDIS", "NOFORN", ""};
    static const char *const tags[] = {"PGOV", "PREL", "UNSC"};
    cable_init(c);
    c->file = "hand-made";
    c->transmission_id = sim_span_str("VZCZCXYZ0010");
    c->channel = sim_span_str("XYZ");
    c->csn = 10;
    c->csn_digits = 4;
    c->fl2_prec = CABLE_PREC_O;
    c->fl2_prosign = sim_span_str("OO");
    c->routing_indicators = spans_of(&c->arena, ris, 2);
    c->origin_ri = sim_span_str("RUCNDT");
    c->station_serial = 352;
    c->section = 2;
    c->sections = 3;
    c->de_has_section = true;
    c->filed = sim_span_str("1271302");
    c->security = sim_span_str("ZNY CCCCC");
    c->signals = spans_of(&c->arena, sigs, 2);
    c->controls = spans_of(&c->arena, ctls, 1);
    c->fl4_signals = 1; /* ZZH on format line 4, ZDK after the DTG */
    c->fl4_controls = 1;
    c->corrected_copy = true;
    c->dtg_prec = CABLE_PREC_O;
    c->dtg_info_prec = CABLE_PREC_P;
    c->dtg = (cable_dtg_t){2007, 5, 7, 13, 2, true};
    c->dtg_signals = sim_span_str("ZFF4");
    c->from = sim_span_str("USMISSION USUN NEW YORK");
    c->to.v = sim_arena_grow(&c->arena, NULL, &c->to.cap, 2, sizeof(cable_addr_t));
    c->to.v[0] = addr_make("RUEHC", "SECSTATE WASHDC", "IMMEDIATE", "1834", 1834, 1834,
                           CABLE_PREC_O, false, false);
    c->to.v[1] = addr_make("RUEHBW", "AMEMBASSY BELGRADE", "NIACT IMMEDIATE", "2276-2279", 2276,
                           2279, CABLE_PREC_O, true, false);
    c->to.n = 2;
    c->info.v = sim_arena_grow(&c->arena, NULL, &c->info.cap, 1, sizeof(cable_addr_t));
    c->info.v[0] =
        addr_make(NULL, "AMEMBASSY BELGRADE", NULL, NULL, -1, -1, CABLE_PREC_NONE, false, false);
    c->info.n = 1;
    c->xmt.v = sim_arena_grow(&c->arena, NULL, &c->xmt.cap, 1, sizeof(cable_addr_t));
    c->xmt.v[0] =
        addr_make(NULL, "AMCONSUL JERUSALEM", NULL, NULL, -1, -1, CABLE_PREC_R, false, true);
    c->xmt.n = 1;
    c->classification = CABLE_CLASS_CONFIDENTIAL;
    c->classification_line = sim_span_str("C O N F I D E N T I A L USUN NEW YORK 000352");
    c->post = sim_span_str("USUN NEW YORK");
    c->cable_number = 352;
    c->captions = spans_of(&c->arena, caps, 3);
    c->eo = sim_span_str("DECL: 05/04/2017");
    c->tags = spans_of(&c->arena, tags, 3);
    c->subject = sim_span_str("KOSOVO AT UNSC: RUSSIANS ARGUE FOR DELAY LEADING TO MORE DELAY");
    c->ref = sim_span_str("A. USUN 340 B. STATE 1234");
    c->text = sim_span(sample_text, sizeof(sample_text) - 1);
    c->signature = sim_span_str("KHALILZAD");
    c->body_bytes = (uint32_t)(sizeof(sample_text) - 1);
    c->has_bt = true;
    c->has_trailer = true;
    c->trailer_ssn = 352;
    c->first_line = 3;
    c->text_line = 12;
}

static void encode_ok(const cable_t *c, char **buf, size_t *len)
{
    int rc = cable_msgpack_encode(c, buf, len);
    assert_int_equal(rc, 0);
    assert_non_null(*buf);
    assert_true(*len > 0);
}

/* Decodes a copy of buf[0..len) in a buffer of exactly len bytes, so that
 * the sanitizer build catches any read past the end. */
static int decode_exact(cable_t *c, const char *buf, size_t len, const char **err)
{
    char *copy = malloc(len ? len : 1);
    int   rc;
    assert_non_null(copy);
    if (len)
        memcpy(copy, buf, len);
    *err = NULL;
    rc = cable_msgpack_decode(c, len ? copy : NULL, len, err);
    free(copy);
    if (rc < 0) {
        assert_non_null(*err);
        assert_true(strlen(*err) > 10);
        assert_true(rc == SIM_EPARSE || rc == SIM_ETOOBIG || rc == SIM_ETYPE || rc == SIM_EVERSION);
    }
    return rc;
}

static void assert_equal_cables(const cable_t *a, const cable_t *b)
{
    const char *why = NULL;
    if (!cable_fields_equal(a, b, &why))
        fail_msg("cables differ in field '%s'", why);
}

/* --- building msgpack by hand ------------------------------------------ */

typedef struct mpb {
    msgpack_sbuffer sb;
    msgpack_packer  pk;
} mpb_t;

static void mpb_init(mpb_t *b)
{
    msgpack_sbuffer_init(&b->sb);
    msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
}

static void mpb_destroy(mpb_t *b)
{
    msgpack_sbuffer_destroy(&b->sb);
}

static void pk_str(msgpack_packer *pk, const char *s)
{
    assert_int_equal(msgpack_pack_str_with_body(pk, s, strlen(s)), 0);
}

/* A map {"v": version, key: <value written by put>}, decoded. */
typedef void (*put_fn)(msgpack_packer *pk);

static int decode_pair(int version, const char *key, put_fn put, const char **err)
{
    mpb_t   b;
    cable_t c;
    int     rc;
    mpb_init(&b);
    msgpack_pack_map(&b.pk, key ? 2 : 1);
    pk_str(&b.pk, "v");
    msgpack_pack_int(&b.pk, version);
    if (key) {
        pk_str(&b.pk, key);
        put(&b.pk);
    }
    cable_init(&c);
    rc = decode_exact(&c, b.sb.data, b.sb.size, err);
    if (rc < 0)
        assert_null(c.transmission_id.p); /* left reset */
    cable_destroy(&c);
    mpb_destroy(&b);
    return rc;
}

static void put_int7(msgpack_packer *pk)
{
    msgpack_pack_int(pk, 7);
}
static void put_true(msgpack_packer *pk)
{
    msgpack_pack_true(pk);
}
static void put_nil(msgpack_packer *pk)
{
    msgpack_pack_nil(pk);
}
static void put_double(msgpack_packer *pk)
{
    msgpack_pack_double(pk, 1.5);
}
static void put_str(msgpack_packer *pk)
{
    pk_str(pk, "7");
}
static void put_bin(msgpack_packer *pk)
{
    msgpack_pack_bin_with_body(pk, "ab", 2);
}
static void put_empty_array(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 0);
}
static void put_empty_map(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 0);
}

static void put_array_of_int(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    pk_str(pk, "RUEHC");
    msgpack_pack_int(pk, 5);
}

static void put_dtg_short(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 4);
    for (int i = 0; i < 4; i++)
        msgpack_pack_int(pk, 1 + i);
}

static void put_dtg_str_minute(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 5);
    msgpack_pack_int(pk, 2007);
    msgpack_pack_int(pk, 5);
    msgpack_pack_int(pk, 7);
    msgpack_pack_int(pk, 13);
    pk_str(pk, "02");
}

static void put_addr_ri_int(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 1);
    pk_str(pk, "ri");
    msgpack_pack_int(pk, 5);
}

static void put_addr_niact_str(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 2);
    pk_str(pk, "pla");
    pk_str(pk, "SECSTATE WASHDC");
    pk_str(pk, "niact");
    pk_str(pk, "yes");
}

static void put_addr_nil_key(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 1);
    msgpack_pack_nil(pk);
    pk_str(pk, "x");
}

static void put_addr_lo_str(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 1);
    pk_str(pk, "lo");
    pk_str(pk, "12");
}

/* The schema's keys and kinds, written down again independently of the
 * encoder: s string, i integer, b bool, l list of strings, a addressees,
 * d DTG. test_keys_match_schema checks the encoder writes exactly these. */
static const struct {
    const char *key;
    char        kind;
} schema_keys[] = {
    {"tid", 's'},   {"chan", 's'}, {"csn", 'i'}, {"csnw", 'i'}, {"p2", 'i'},   {"ps2", 's'},
    {"ris", 'l'},   {"ori", 's'},  {"ssn", 'i'}, {"sec", 'i'},  {"secs", 'i'}, {"desec", 'b'},
    {"filed", 's'}, {"secu", 's'}, {"sig", 'l'}, {"ctl", 'l'},  {"sig4", 'i'}, {"ctl4", 'i'},
    {"ccy", 'b'},   {"dp", 'i'},   {"dpi", 'i'}, {"dtg", 'd'},  {"dsig", 's'}, {"fm", 's'},
    {"to", 'a'},    {"info", 'a'}, {"xmt", 'a'}, {"cls", 'i'},  {"clsl", 's'}, {"post", 's'},
    {"cno", 'i'},   {"cap", 'l'},  {"eo", 's'},  {"tags", 'l'}, {"subj", 's'}, {"ref", 's'},
    {"text", 's'},  {"sgn", 's'},  {"bb", 'i'},  {"bt", 'b'},   {"trl", 'b'},  {"tssn", 'i'},
};

/* --- round trips -------------------------------------------------------- */

static void test_roundtrip_full(void **state)
{
    cable_t     a, b;
    char       *buf;
    size_t      len;
    const char *err = NULL;
    (void)state;
    full_cable(&a);
    encode_ok(&a, &buf, &len);
    cable_init(&b);
    b.file = "kept";
    assert_int_equal(cable_msgpack_decode(&b, buf, len, &err), 0);
    /* The decoded cable owns its strings: scribble over the input first. */
    memset(buf, 0xA5, len);
    free(buf);
    assert_equal_cables(&a, &b);
    assert_string_equal(b.file, "kept");

    assert_true(sim_span_eq_str(b.transmission_id, "VZCZCXYZ0010"));
    assert_ptr_not_equal(b.transmission_id.p, a.transmission_id.p);
    assert_int_equal(b.csn, 10);
    assert_int_equal(b.csn_digits, 4);
    assert_int_equal(b.fl2_prec, CABLE_PREC_O);
    assert_int_equal(b.routing_indicators.n, 2);
    assert_true(sim_span_eq_str(b.routing_indicators.v[1], "RUEHC"));
    assert_int_equal(b.fl4_signals, 1);
    assert_int_equal(b.fl4_controls, 1);
    assert_int_equal(b.section, 2);
    assert_int_equal(b.sections, 3);
    assert_true(b.de_has_section);
    assert_true(b.dtg.valid);
    assert_int_equal(b.dtg.year, 2007);
    assert_int_equal(b.dtg.month, 5);
    assert_int_equal(b.dtg.day, 7);
    assert_int_equal(b.dtg.hour, 13);
    assert_int_equal(b.dtg.minute, 2);
    assert_int_equal(b.dtg_info_prec, CABLE_PREC_P);
    assert_int_equal(b.to.n, 2);
    assert_true(sim_span_eq_str(b.to.v[1].pla, "AMEMBASSY BELGRADE"));
    assert_true(sim_span_eq_str(b.to.v[1].serial, "2276-2279"));
    assert_int_equal(b.to.v[1].serial_lo, 2276);
    assert_int_equal(b.to.v[1].serial_hi, 2279);
    assert_true(b.to.v[1].niact);
    assert_null(b.info.v[0].ri.p);
    assert_int_equal(b.info.v[0].serial_lo, -1);
    assert_true(b.xmt.v[0].zen);
    assert_int_equal(b.xmt.v[0].prec, CABLE_PREC_R);
    assert_int_equal(b.classification, CABLE_CLASS_CONFIDENTIAL);
    assert_int_equal(b.cable_number, 352);
    assert_int_equal(b.text.len, sizeof(sample_text) - 1);
    assert_memory_equal(b.text.p, sample_text, sizeof(sample_text) - 1);
    assert_int_equal(b.body_bytes, sizeof(sample_text) - 1);
    /* Not compared by cable_fields_equal, but carried. */
    assert_true(b.has_bt);
    assert_true(b.has_trailer);
    assert_int_equal(b.trailer_ssn, 352);
    /* Source positions and diagnostics are not part of the form. */
    assert_int_equal(b.first_line, 0);
    assert_int_equal(b.to.v[0].line, 0);
    assert_int_equal(b.diags.n, 0);
    cable_destroy(&a);
    cable_destroy(&b);
}

static void test_roundtrip_defaults(void **state)
{
    cable_t     a, b;
    char       *buf;
    size_t      len;
    const char *err;
    (void)state;
    cable_init(&a);
    encode_ok(&a, &buf, &len);
    cable_init(&b);
    full_cable(&b); /* decoding must replace all of it */
    assert_int_equal(cable_msgpack_decode(&b, buf, len, &err), 0);
    free(buf);
    assert_equal_cables(&a, &b);
    assert_null(b.transmission_id.p);
    assert_null(b.text.p);
    assert_int_equal(b.csn, -1);
    assert_int_equal(b.station_serial, -1);
    assert_int_equal(b.cable_number, -1);
    assert_int_equal(b.trailer_ssn, -1);
    assert_int_equal(b.section, 1);
    assert_int_equal(b.sections, 1);
    assert_false(b.dtg.valid);
    assert_int_equal(b.to.n, 0);
    assert_false(b.has_bt);
    cable_destroy(&a);
    cable_destroy(&b);
}

static void test_absent_and_empty_stay_apart(void **state)
{
    static const char *const mixed[] = {"", NULL, "ZZH"};
    cable_t                  a, b;
    char                    *buf;
    size_t                   len;
    const char              *err;
    (void)state;
    cable_init(&a);
    a.transmission_id = sim_span("", 0); /* present, empty */
    a.subject = sim_span("", 0);
    a.from = SIM_SPAN_NULL; /* absent */
    a.signals = spans_of(&a.arena, mixed, 3);
    a.to.v = sim_arena_grow(&a.arena, NULL, &a.to.cap, 1, sizeof(cable_addr_t));
    a.to.v[0] = addr_make("", NULL, "", NULL, 0, 0, CABLE_PREC_NONE, false, false);
    a.to.n = 1;
    a.csn = 0; /* zero is a value, not absence */
    encode_ok(&a, &buf, &len);
    cable_init(&b);
    assert_int_equal(cable_msgpack_decode(&b, buf, len, &err), 0);
    free(buf);
    assert_equal_cables(&a, &b);
    assert_non_null(b.transmission_id.p);
    assert_int_equal(b.transmission_id.len, 0);
    assert_non_null(b.subject.p);
    assert_null(b.from.p);
    assert_null(b.channel.p);
    assert_non_null(b.signals.v[0].p);
    assert_int_equal(b.signals.v[0].len, 0);
    assert_null(b.signals.v[1].p);
    assert_true(sim_span_eq_str(b.signals.v[2], "ZZH"));
    assert_non_null(b.to.v[0].ri.p);
    assert_null(b.to.v[0].pla.p);
    assert_non_null(b.to.v[0].prec_word.p);
    assert_null(b.to.v[0].serial.p);
    assert_int_equal(b.to.v[0].serial_lo, 0);
    assert_int_equal(b.csn, 0);
    cable_destroy(&a);
    cable_destroy(&b);
}

static void test_extreme_values(void **state)
{
    cable_t     a, b;
    char       *buf;
    size_t      len;
    const char *err;
    (void)state;
    cable_init(&a);
    a.csn = INT32_MIN;
    a.station_serial = INT32_MAX;
    a.cable_number = -2; /* only -1 means absent */
    a.trailer_ssn = 0;
    a.section = 0;
    a.sections = UINT16_MAX;
    a.csn_digits = UINT8_MAX;
    a.body_bytes = UINT32_MAX;
    a.fl2_prec = CABLE_PREC_Y;
    a.classification = CABLE_CLASS_TOP_SECRET;
    a.dtg = (cable_dtg_t){9999, 12, 31, 23, 59, true};
    encode_ok(&a, &buf, &len);
    cable_init(&b);
    assert_int_equal(cable_msgpack_decode(&b, buf, len, &err), 0);
    free(buf);
    assert_equal_cables(&a, &b);
    assert_int_equal(b.csn_digits, UINT8_MAX);
    assert_int_equal(b.cable_number, -2);
    assert_int_equal(b.trailer_ssn, 0);
    cable_destroy(&a);
    cable_destroy(&b);
}

static void test_reencode_is_identical(void **state)
{
    cable_t     a, b;
    char       *buf, *buf2;
    size_t      len, len2;
    const char *err;
    (void)state;
    full_cable(&a);
    encode_ok(&a, &buf, &len);
    cable_init(&b);
    /* The same cable decoded twice into one cable_t reuses its arena. */
    assert_int_equal(cable_msgpack_decode(&b, buf, len, &err), 0);
    assert_int_equal(cable_msgpack_decode(&b, buf, len, &err), 0);
    encode_ok(&b, &buf2, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    free(buf);
    free(buf2);
    cable_destroy(&a);
    cable_destroy(&b);
}

/* The schema's number of a key (its place in schema_keys, from 1). */
static int64_t schema_number(const char *key)
{
    for (size_t i = 0; i < SIM_ARRAY_LEN(schema_keys); i++)
        if (strcmp(schema_keys[i].key, key) == 0)
            return (int64_t)i + 1;
    fail_msg("no key '%s' in the schema", key);
    return -1;
}

static void test_keys_match_schema(void **state)
{
    cable_t          a;
    char            *buf;
    size_t           len, off = 0;
    msgpack_unpacked u;
    (void)state;
    full_cable(&a);
    encode_ok(&a, &buf, &len);
    msgpack_unpacked_init(&u);
    assert_int_equal(msgpack_unpack_next(&u, buf, len, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(u.data.type, MSGPACK_OBJECT_MAP);
    /* Every field of full_cable differs from its default: all are written. */
    assert_int_equal(u.data.via.map.size, SIM_ARRAY_LEN(schema_keys) + 1);
    {
        msgpack_object_kv *kv = u.data.via.map.ptr;
        int64_t            last = 0;
        assert_int_equal(kv[0].key.via.str.size, 1); /* "v" first, then "text" */
        assert_memory_equal(kv[0].key.via.str.ptr, "v", 1);
        assert_int_equal(kv[0].val.via.u64, CABLE_MSGPACK_VERSION);
        assert_int_equal(kv[1].key.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
        assert_int_equal(kv[1].key.via.u64, schema_number("text"));
        /* Then every other field by its number, in the schema's order. */
        for (size_t i = 2; i < u.data.via.map.size; i++) {
            assert_int_equal(kv[i].key.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
            assert_true((int64_t)kv[i].key.via.u64 > last);
            assert_true(kv[i].key.via.u64 != (uint64_t)schema_number("text"));
            last = (int64_t)kv[i].key.via.u64;
        }
        assert_int_equal(last, (int64_t)SIM_ARRAY_LEN(schema_keys));
    }
    msgpack_unpacked_destroy(&u);
    free(buf);
    cable_destroy(&a);

    /* A cable at its cable_reset values is the version alone: the encoder's
     * defaults are cable_reset's. */
    cable_init(&a);
    encode_ok(&a, &buf, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(buf, "\x81\xa1v", 3);
    assert_int_equal((unsigned char)buf[3], CABLE_MSGPACK_VERSION);
    free(buf);
    cable_destroy(&a);
}

/* Integer keys and names (version 1) name the same fields, in both the
 * cable map and addressee maps; numbers outside the schema are passed over. */
static void test_numbers_and_names(void **state)
{
    cable_t     c;
    const char *err;
    (void)state;
    cable_init(&c);
    /* {"v": 2, 1: "X", "chan": "Y", 99: [1], -3: nil, 25: [{1: "RUEHC", "pla": "P"}]} */
    assert_int_equal(decode_exact(&c,
                                  RAW("\x86\xa1v\x02\x01\xa1X\xa4" "chan\xa1Y\x63\x91\x01\xfd\xc0"
                                      "\x19\x91\x82\x01\xa5RUEHC\xa3pla\xa1P"),
                                  &err),
                     0);
    assert_true(sim_span_eq_str(c.transmission_id, "X"));
    assert_true(sim_span_eq_str(c.channel, "Y"));
    assert_int_equal(c.to.n, 1);
    assert_true(sim_span_eq_str(c.to.v[0].ri, "RUEHC"));
    assert_true(sim_span_eq_str(c.to.v[0].pla, "P"));
    assert_int_equal(c.to.v[0].serial_lo, -1); /* absent: the default */
    /* One field by number and by name: twice. */
    assert_int_equal(decode_exact(&c, RAW("\x83\xa1v\x02\x01\xa1X\xa3tid\xa1Y"), &err),
                     SIM_EPARSE);
    assert_non_null(strstr(err, "'tid' appears twice"));
    cable_destroy(&c);
}

/* Fields that lie within the text are written as [offset, length] of it,
 * and read back pointing into the decoded text. */
static void test_text_references(void **state)
{
    static const char *const tag_words[] = {"PGOV", "PREL", "UNSC"};
    cable_t     a, b, v;
    char       *ref_buf, *str_buf;
    size_t      ref_len, str_len;
    const char *err;
    const char *t = sample_text;
    (void)state;
    full_cable(&a);
    encode_ok(&a, &str_buf, &str_len); /* the fields are strings of their own */
    a.classification_line = sim_span(t, 44);
    a.post = sim_span(t + 24, 13);
    a.subject = sim_span(strstr(t, "KOSOVO"), 48);
    a.signature = sim_span(strstr(t, "KHALILZAD"), 9);
    a.eo = sim_span(strstr(t, "DECL:"), 16);
    for (uint32_t i = 0; i < 3; i++)
        a.tags.v[i] = sim_span(strstr(t, tag_words[i]), 4);
    a.captions.v[0] = sim_span(strstr(t, "SIPDIS"), 6);
    a.captions.v[2] = sim_span(t + 3, 0); /* present, empty, inside */
    encode_ok(&a, &ref_buf, &ref_len);
    assert_true(ref_len + 100 < str_len);
    cable_init(&b);
    assert_int_equal(cable_msgpack_decode(&b, ref_buf, ref_len, &err), 0);
    assert_equal_cables(&a, &b);
    assert_true(sim_span_within(b.text, b.subject));
    assert_true(sim_span_within(b.text, b.tags.v[2]));
    assert_true(sim_span_within(b.text, b.captions.v[2]));
    assert_int_equal(b.captions.v[2].len, 0);
    assert_false(sim_span_within(b.text, b.ref)); /* not in the text: a string */
    cable_init(&v);
    assert_int_equal(cable_msgpack_decode_view(&v, ref_buf, ref_len, &err), 0);
    assert_equal_cables(&a, &v);
    assert_true(sim_span_within(v.text, v.classification_line));
    /* Decoded, encoded again: the same bytes. */
    {
        char  *again;
        size_t again_len;
        encode_ok(&b, &again, &again_len);
        assert_int_equal(again_len, ref_len);
        assert_memory_equal(again, ref_buf, ref_len);
        free(again);
    }
    free(ref_buf);
    free(str_buf);
    /* References that are wrong: outside the text, before it, no text,
     * the wrong shape. 35 is "subj", 37 "text", 32 "cap". */
    assert_int_equal(decode_exact(&b, RAW("\x83\xa1v\x02\x25\xa3" "abc\x23\x92\x01\x02"), &err), 0);
    assert_true(sim_span_eq_str(b.subject, "bc"));
    assert_int_equal(decode_exact(&b, RAW("\x83\xa1v\x02\x25\xa3" "abc\x23\x92\x02\x02"), &err),
                     SIM_EPARSE);
    assert_non_null(strstr(err, "'subj'"));
    assert_int_equal(decode_exact(&b, RAW("\x83\xa1v\x02\x25\xa3" "abc\x23\x92\x04\x00"), &err),
                     SIM_EPARSE);
    assert_int_equal(decode_exact(&b, RAW("\x83\xa1v\x02\x25\xa3" "abc\x23\x92\xff\x01"), &err),
                     SIM_EPARSE);
    assert_int_equal(decode_exact(&b, RAW("\x83\xa1v\x02\x23\x92\x00\x01\x25\xa3" "abc"), &err),
                     SIM_EPARSE);
    assert_non_null(strstr(err, "before field 'text'"));
    assert_int_equal(decode_exact(&b, RAW("\x83\xa1v\x02\x25\xc0\x23\x92\x00\x00"), &err),
                     SIM_EPARSE);
    assert_int_equal(decode_exact(&b, RAW("\x83\xa1v\x02\x25\xa3" "abc\x23\x93\x00\x01\x01"), &err),
                     SIM_ETYPE);
    assert_int_equal(decode_exact(&b, RAW("\x83\xa1v\x02\x25\xa3" "abc\x23\x92\x00\xa1x"), &err),
                     SIM_ETYPE);
    assert_int_equal(decode_exact(&b, RAW("\x83\xa1v\x02\x25\xa3" "abc\x20\x92\x92\x00\x01\xa1z"),
                                  &err),
                     0);
    assert_int_equal(b.captions.n, 2);
    assert_true(sim_span_eq_str(b.captions.v[0], "a"));
    assert_true(sim_span_eq_str(b.captions.v[1], "z"));
    assert_int_equal(decode_exact(&b, RAW("\x83\xa1v\x02\x25\xa3" "abc\x20\x91\x92\x03\x01"), &err),
                     SIM_EPARSE);
    assert_non_null(strstr(err, "'cap'"));
    /* An empty text and an empty subject are two strings, read by either
     * decoder: the view's empty strings point at their own place in the
     * input, not at one shared "" that would lie "within" the empty text. */
    {
        static const char in[] = "\x83\xa1v\x02\x25\xa0\x23\xa0";
        char             *out;
        size_t            out_len;
        assert_int_equal(cable_msgpack_decode_view(&v, in, sizeof(in) - 1, &err), 0);
        assert_false(sim_span_within(v.text, v.subject));
        encode_ok(&v, &out, &out_len);
        assert_int_equal(out_len, sizeof(in) - 1);
        assert_memory_equal(out, in, out_len);
        free(out);
    }
    cable_destroy(&a);
    cable_destroy(&b);
    cable_destroy(&v);
}

static void test_keys_in_any_order_and_unknown_keys(void **state)
{
    cable_t          a, b;
    char            *buf;
    size_t           len, off = 0;
    msgpack_unpacked u;
    mpb_t            mb;
    const char      *err;
    (void)state;
    full_cable(&a);
    encode_ok(&a, &buf, &len);
    msgpack_unpacked_init(&u);
    assert_int_equal(msgpack_unpack_next(&u, buf, len, &off), MSGPACK_UNPACK_SUCCESS);
    /* Write the entries back in reverse order, with keys a newer writer
     * might add, at the top and inside an addressee. */
    mpb_init(&mb);
    msgpack_pack_map(&mb.pk, u.data.via.map.size + 3);
    pk_str(&mb.pk, "zz-future");
    msgpack_pack_array(&mb.pk, 2);
    msgpack_pack_int(&mb.pk, 1);
    msgpack_pack_map(&mb.pk, 1);
    pk_str(&mb.pk, "deep");
    msgpack_pack_double(&mb.pk, 2.5);
    pk_str(&mb.pk, "V");
    pk_str(&mb.pk, "not the version: keys are case-sensitive");
    for (uint32_t i = u.data.via.map.size; i-- > 0;) {
        msgpack_object_kv *kv = &u.data.via.map.ptr[i];
        msgpack_pack_object(&mb.pk, kv->key);
        if (kv->key.via.str.size == 4 && memcmp(kv->key.via.str.ptr, "info", 4) == 0) {
            msgpack_object_kv *akv = kv->val.via.array.ptr[0].via.map.ptr;
            uint32_t           an = kv->val.via.array.ptr[0].via.map.size;
            msgpack_pack_array(&mb.pk, 1);
            msgpack_pack_map(&mb.pk, an + 1);
            pk_str(&mb.pk, "color");
            pk_str(&mb.pk, "blue");
            for (uint32_t j = an; j-- > 0;) {
                msgpack_pack_object(&mb.pk, akv[j].key);
                msgpack_pack_object(&mb.pk, akv[j].val);
            }
        } else {
            msgpack_pack_object(&mb.pk, kv->val);
        }
    }
    pk_str(&mb.pk, "bin");
    msgpack_pack_bin_with_body(&mb.pk, "\x00\x01", 2);
    cable_init(&b);
    assert_int_equal(decode_exact(&b, mb.sb.data, mb.sb.size, &err), 0);
    assert_equal_cables(&a, &b);
    assert_int_equal(b.trailer_ssn, 352);
    mpb_destroy(&mb);
    msgpack_unpacked_destroy(&u);
    free(buf);
    cable_destroy(&a);
    cable_destroy(&b);
}

static void test_view_and_odd_keys(void **state)
{
    cable_t     a, b;
    char       *buf;
    size_t      len;
    const char *err;
    (void)state;
    full_cable(&a);
    encode_ok(&a, &buf, &len);
    /* A view: the same fields, its strings inside the input. */
    cable_init(&b);
    assert_int_equal(cable_msgpack_decode_view(&b, buf, len, &err), 0);
    assert_equal_cables(&a, &b);
    assert_true(b.text.p >= buf && b.text.p + b.text.len <= buf + len);
    free(buf);
    /* Not a map. */
    assert_int_equal(decode_exact(&b, RAW("\x92\xa1v\x01"), &err), SIM_ETYPE);
    assert_non_null(strstr(err, "map"));
    assert_null(b.transmission_id.p);
    /* Keys that are not strings are passed over while the version is looked
     * for, whatever they hold, then refused. */
    assert_int_equal(decode_exact(&b, RAW("\x82\x92\x01\x81\xa1v\x02\x03\xa1v\x01"), &err),
                     SIM_ETYPE);
    assert_non_null(strstr(err, "keys must be integers or strings"));
    assert_int_equal(decode_exact(&b, RAW("\x82\xa1v\x01\xa2to\x91\x81\xc2\x02"), &err), SIM_ETYPE);
    assert_non_null(strstr(err, "addressee map keys"));
    /* A version after a container-valued key, and a second one after it. */
    assert_int_equal(
        decode_exact(&b, RAW("\x83\xa1x\x92\x81\xa1v\x02\xc0\xa1v\x01\xa3tid\xa1Y"), &err), 0);
    assert_true(sim_span_eq_str(b.transmission_id, "Y"));
    assert_int_equal(decode_exact(&b, RAW("\x83\xa1x\x91\xc0\xa1v\x01\xa1v\x01"), &err),
                     SIM_EPARSE);
    assert_non_null(strstr(err, "twice"));
    cable_destroy(&a);
    cable_destroy(&b);
}

/* --- refusals ----------------------------------------------------------- */

static void test_every_prefix_is_an_error(void **state)
{
    cable_t     a, b;
    char       *buf;
    size_t      len;
    const char *err;
    (void)state;
    full_cable(&a);
    encode_ok(&a, &buf, &len);
    cable_init(&b);
    for (size_t n = 0; n < len; n++) {
        int rc = decode_exact(&b, buf, n, &err);
        if (rc != SIM_EPARSE)
            fail_msg("prefix of %zu bytes of %zu: rc %d (%s)", n, len, rc, err ? err : "-");
        assert_null(b.transmission_id.p);
    }
    assert_int_equal(decode_exact(&b, buf, len, &err), 0);
    /* One byte too many is an error too. */
    {
        char *more = malloc(len + 1);
        memcpy(more, buf, len);
        more[len] = (char)0xc0;
        assert_int_equal(decode_exact(&b, more, len + 1, &err), SIM_EPARSE);
        assert_non_null(strstr(err, "follow"));
        free(more);
    }
    free(buf);
    cable_destroy(&a);
    cable_destroy(&b);
}

static void expect_type_error(const char *key, put_fn put, const char *needle)
{
    const char *err = NULL;
    int         rc = decode_pair(1, key, put, &err);
    if (rc != SIM_ETYPE)
        fail_msg("key '%s': expected SIM_ETYPE, got %d (%s)", key, rc, err ? err : "-");
    if (!strstr(err, needle))
        fail_msg("key '%s': message '%s' does not name '%s'", key, err, needle);
}

static void test_wrong_types(void **state)
{
    char quoted[32];
    (void)state;
    for (size_t i = 0; i < SIM_ARRAY_LEN(schema_keys); i++) {
        const char *k = schema_keys[i].key;
        const char *err;
        snprintf(quoted, sizeof(quoted), "'%s'", k);
        switch (schema_keys[i].kind) {
        case 's':
            expect_type_error(k, put_int7, quoted);
            expect_type_error(k, put_true, quoted);
            expect_type_error(k, put_bin, quoted);
            expect_type_error(k, put_empty_array, quoted);
            assert_int_equal(decode_pair(1, k, put_nil, &err), 0);
            break;
        case 'i':
            expect_type_error(k, put_str, quoted);
            expect_type_error(k, put_true, quoted);
            expect_type_error(k, put_double, quoted);
            expect_type_error(k, put_empty_map, quoted);
            break;
        case 'b':
            expect_type_error(k, put_int7, quoted);
            expect_type_error(k, put_nil, quoted);
            expect_type_error(k, put_str, quoted);
            break;
        case 'l':
            expect_type_error(k, put_str, quoted);
            expect_type_error(k, put_nil, quoted);
            expect_type_error(k, put_empty_map, quoted);
            expect_type_error(k, put_array_of_int, quoted);
            assert_int_equal(decode_pair(1, k, put_empty_array, &err), 0);
            break;
        case 'a':
            expect_type_error(k, put_str, quoted);
            expect_type_error(k, put_nil, quoted);
            expect_type_error(k, put_array_of_int, quoted);
            expect_type_error(k, put_addr_ri_int, "'ri'");
            expect_type_error(k, put_addr_niact_str, "'niact'");
            expect_type_error(k, put_addr_lo_str, "'lo'");
            expect_type_error(k, put_addr_nil_key, "keys");
            assert_int_equal(decode_pair(1, k, put_empty_array, &err), 0);
            break;
        case 'd':
            expect_type_error(k, put_str, quoted);
            expect_type_error(k, put_int7, quoted);
            expect_type_error(k, put_dtg_short, quoted);
            expect_type_error(k, put_dtg_str_minute, quoted);
            expect_type_error(k, put_empty_map, quoted);
            assert_int_equal(decode_pair(1, k, put_nil, &err), 0);
            break;
        default:
            fail();
        }
    }
    /* Not a map at all, and keys that are not strings. */
    {
        const char *err;
        cable_t     c;
        cable_init(&c);
        assert_int_equal(decode_exact(&c, RAW("\x93\x01\x02\x03"), &err), SIM_ETYPE);
        assert_int_equal(decode_exact(&c, RAW("\xa1v"), &err), SIM_ETYPE);
        /* {"v": 1, nil: 6} */
        assert_int_equal(decode_exact(&c, RAW("\x82\xa1v\x01\xc0\x06"), &err), SIM_ETYPE);
        assert_non_null(strstr(err, "keys"));
        cable_destroy(&c);
    }
}

/* Values for the range checks: one key, one raw msgpack value. */
static void expect_raw(const char *key, const char *raw, size_t rawlen, int want,
                       const char *needle)
{
    mpb_t       b;
    cable_t     c;
    const char *err = NULL;
    int         rc;
    mpb_init(&b);
    msgpack_pack_map(&b.pk, 2);
    pk_str(&b.pk, "v");
    msgpack_pack_int(&b.pk, 1);
    pk_str(&b.pk, key);
    msgpack_sbuffer_write(&b.sb, raw, rawlen);
    cable_init(&c);
    rc = decode_exact(&c, b.sb.data, b.sb.size, &err);
    if (rc != want)
        fail_msg("key '%s': expected %d, got %d (%s)", key, want, rc, err ? err : "-");
    if (needle && !strstr(err, needle))
        fail_msg("key '%s': message '%s' does not name '%s'", key, err, needle);
    cable_destroy(&c);
    mpb_destroy(&b);
}

static void test_ranges(void **state)
{
    (void)state;
    expect_raw("p2", RAW("\x06"), SIM_EPARSE, "'p2'");
    expect_raw("dp", RAW("\xff"), SIM_EPARSE, "'dp'"); /* -1 */
    expect_raw("dpi", RAW("\x05"), 0, NULL);
    expect_raw("cls", RAW("\x05"), SIM_EPARSE, "'cls'");
    expect_raw("cls", RAW("\x04"), 0, NULL);
    expect_raw("sec", RAW("\xce\x00\x01\x00\x00"), SIM_EPARSE, "'sec'"); /* 65536 */
    expect_raw("secs", RAW("\xcd\xff\xff"), 0, NULL);
    expect_raw("secs", RAW("\xff"), SIM_EPARSE, "'secs'");
    expect_raw("csn", RAW("\xce\x80\x00\x00\x00"), SIM_EPARSE, "'csn'"); /* 2^31 */
    expect_raw("csn", RAW("\xd3\xff\xff\xff\xff\x7f\xff\xff\xff"), SIM_EPARSE, "'csn'");
    expect_raw("csn", RAW("\xd2\x80\x00\x00\x00"), 0, NULL); /* INT32_MIN */
    expect_raw("ssn", RAW("\xcf\xff\xff\xff\xff\xff\xff\xff\xff"), SIM_EPARSE, "'ssn'");
    expect_raw("csnw", RAW("\xcd\x01\x00"), SIM_EPARSE, "'csnw'");
    expect_raw("bb", RAW("\xff"), SIM_EPARSE, "'bb'");
    expect_raw("bb", RAW("\xcf\x00\x00\x00\x01\x00\x00\x00\x00"), SIM_EPARSE, "'bb'");
    expect_raw("bb", RAW("\xce\xff\xff\xff\xff"), 0, NULL);
    /* DTGs that do not exist. */
    expect_raw("dtg", RAW("\x95\xcd\x07\xd7\x0d\x07\x0d\x02"), SIM_EPARSE, "'dtg'"); /* month 13 */
    expect_raw("dtg", RAW("\x95\xcd\x07\xd7\x02\x1d\x00\x00"), SIM_EPARSE,
               "'dtg'");                                                 /* 2007-02-29 */
    expect_raw("dtg", RAW("\x95\xcd\x07\xd8\x02\x1d\x00\x00"), 0, NULL); /* 2008-02-29 */
    expect_raw("dtg", RAW("\x95\xcd\x07\xd7\x05\x07\x18\x00"), SIM_EPARSE, "'dtg'"); /* 24:00 */
    expect_raw("dtg", RAW("\x95\xcd\x27\x10\x01\x01\x00\x00"), SIM_EPARSE, "'dtg'"); /* 10000 */
    expect_raw("dtg", RAW("\x95\xff\x01\x01\x00\x00"), SIM_EPARSE, "'dtg'");         /* year -1 */
    expect_raw("dtg", RAW("\x95\xcf\xff\xff\xff\xff\xff\xff\xff\xff\x01\x01\x00\x00"), SIM_EPARSE,
               "'dtg'");
    expect_raw("sig4", RAW("\x01"), SIM_EPARSE, "'sig4'"); /* no 'sig' to count */
    expect_raw("ctl4", RAW("\x00"), 0, NULL);
    expect_raw("ctl4", RAW("\xcd\xff\xff"), SIM_EPARSE, "'ctl4'");
    /* Addressee values. */
    expect_raw("to", RAW("\x91\x81\xa1p\x06"), SIM_EPARSE, "'p'");
    expect_raw("info", RAW("\x91\x81\xa2hi\xce\x80\x00\x00\x00"), SIM_EPARSE, "'hi'");
    expect_raw("xmt", RAW("\x91\x80"), 0, NULL); /* an empty map: every part absent */
}

static void test_versions_and_duplicates(void **state)
{
    const char *err;
    cable_t     c;
    (void)state;
    assert_int_equal(decode_pair(1, NULL, NULL, &err), 0);
    assert_int_equal(decode_pair(2, NULL, NULL, &err), 0);
    assert_int_equal(decode_pair(3, NULL, NULL, &err), SIM_EVERSION);
    assert_non_null(strstr(err, "'v'"));
    assert_int_equal(decode_pair(0, NULL, NULL, &err), SIM_EVERSION);
    assert_int_equal(decode_pair(-1, NULL, NULL, &err), SIM_EVERSION);
    cable_init(&c);
    /* {"v": "1"} */
    assert_int_equal(decode_exact(&c, RAW("\x81\xa1v\xa1\x31"), &err), SIM_ETYPE);
    /* {"v": 1.0} */
    assert_int_equal(decode_exact(&c, RAW("\x81\xa1v\xcb\x3f\xf0\0\0\0\0\0\0"), &err), SIM_ETYPE);
    /* {"v": 2^64-1} */
    assert_int_equal(decode_exact(&c, RAW("\x81\xa1v\xcf\xff\xff\xff\xff\xff\xff\xff\xff"), &err),
                     SIM_EVERSION);
    /* {} and {"tid": "X"}: no version */
    assert_int_equal(decode_exact(&c, RAW("\x80"), &err), SIM_EPARSE);
    assert_non_null(strstr(err, "'v'"));
    assert_int_equal(decode_exact(&c, RAW("\x81\xa3tid\xa1X"), &err), SIM_EPARSE);
    /* An unknown version wins over bad fields: they may mean something else there. */
    assert_int_equal(decode_exact(&c, RAW("\x82\xa3tid\x05\xa1v\x07"), &err), SIM_EVERSION);
    /* The version anywhere in the map. */
    assert_int_equal(decode_exact(&c, RAW("\x82\xa3tid\xa1X\xa1v\x01"), &err), 0);
    assert_true(sim_span_eq_str(c.transmission_id, "X"));
    /* Keys twice. */
    assert_int_equal(decode_exact(&c, RAW("\x82\xa1v\x01\xa1v\x01"), &err), SIM_EPARSE);
    assert_int_equal(decode_exact(&c, RAW("\x83\xa1v\x01\xa3tid\xa1X\xa3tid\xa1Y"), &err),
                     SIM_EPARSE);
    assert_non_null(strstr(err, "'tid'"));
    assert_int_equal(decode_exact(&c, RAW("\x82\xa1v\x01\xa2to\x91\x82\xa2ri\xc0\xa2ri\xc0"), &err),
                     SIM_EPARSE);
    assert_non_null(strstr(err, "'ri'"));
    cable_destroy(&c);
}

static void test_oversized(void **state)
{
    const char *err;
    cable_t     c;
    char       *big;
    (void)state;
    cable_init(&c);
    /* Claimed lengths far beyond the input and the limits. */
    assert_int_equal(decode_exact(&c, RAW("\x82\xa1v\x01\xa3ris\xdd\xff\xff\xff\xff"), &err),
                     SIM_ETOOBIG);
    assert_int_equal(decode_exact(&c, RAW("\x82\xa1v\x01\xa4text\xdb\xff\xff\xff\xff"), &err),
                     SIM_ETOOBIG);
    assert_int_equal(decode_exact(&c, RAW("\xdf\x7f\xff\xff\xff"), &err), SIM_ETOOBIG);
    assert_int_equal(decode_exact(&c, RAW("\xc6\x7f\xff\xff\xff"), &err), SIM_ETOOBIG);
    assert_int_equal(decode_exact(&c, RAW("\xc9\x01\x00\x00\x01\x01"), &err), SIM_ETOOBIG);
    assert_int_equal(decode_exact(&c, RAW("\xdd\x00\x01\x00\x00"), &err), SIM_ETOOBIG); /* 65536 */
    /* Within the limits but beyond the input: truncated. */
    assert_int_equal(decode_exact(&c, RAW("\xdc\xff\xff"), &err), SIM_EPARSE);
    assert_int_equal(decode_exact(&c, RAW("\xdb\x00\xff\xff\xff"), &err), SIM_EPARSE);
    /* Nesting deeper than the limit, under an unknown key. */
    {
        char   nest[64];
        size_t n = 0;
        memcpy(nest, "\x82\xa1v\x01\xa1x", 6);
        n = 6;
        for (unsigned i = 0; i < CABLE_MSGPACK_MAX_DEPTH; i++)
            nest[n++] = (char)0x91;
        nest[n++] = (char)0xc0;
        assert_int_equal(decode_exact(&c, nest, n, &err), SIM_EPARSE);
        assert_non_null(strstr(err, "nested"));
        /* One level less is fine (the cable map is a level). */
        memmove(nest + 6, nest + 7, n - 7);
        assert_int_equal(decode_exact(&c, nest, n - 1, &err), 0);
    }
    /* More values than the limit: 17 arrays of 65535 nils under one key. */
    {
        mpb_t b;
        mpb_init(&b);
        msgpack_pack_map(&b.pk, 2);
        pk_str(&b.pk, "v");
        msgpack_pack_int(&b.pk, 1);
        pk_str(&b.pk, "x");
        msgpack_pack_array(&b.pk, 17);
        for (int i = 0; i < 17; i++) {
            msgpack_pack_array(&b.pk, CABLE_MSGPACK_MAX_ITEMS);
            for (unsigned j = 0; j < CABLE_MSGPACK_MAX_ITEMS; j++)
                msgpack_pack_nil(&b.pk);
        }
        assert_int_equal(decode_exact(&c, b.sb.data, b.sb.size, &err), SIM_ETOOBIG);
        mpb_destroy(&b);
    }
    /* More bytes than the limit, whatever they are. */
    big = calloc(1, (size_t)CABLE_MSGPACK_MAX_BYTES + 1);
    assert_non_null(big);
    assert_int_equal(cable_msgpack_decode(&c, big, (size_t)CABLE_MSGPACK_MAX_BYTES + 1, &err),
                     SIM_ETOOBIG);
    free(big);
    /* Empty input. */
    assert_int_equal(cable_msgpack_decode(&c, NULL, 0, &err), SIM_EPARSE);
    assert_int_equal(cable_msgpack_decode(&c, "", 0, NULL), SIM_EPARSE);
    cable_destroy(&c);
}

static void test_encoder_refuses_what_decoder_would(void **state)
{
    cable_t c;
    char   *buf = (char *)1;
    size_t  len = 99;
    (void)state;
    full_cable(&c);
    c.fl2_prec = (cable_prec_t)6;
    assert_int_equal(cable_msgpack_encode(&c, &buf, &len), SIM_EUSAGE);
    assert_null(buf);
    assert_int_equal(len, 0);
    c.fl2_prec = CABLE_PREC_O;
    c.to.v[0].prec = (cable_prec_t)9;
    assert_int_equal(cable_msgpack_encode(&c, &buf, &len), SIM_EUSAGE);
    c.to.v[0].prec = CABLE_PREC_O;
    c.classification = (cable_class_t)5;
    assert_int_equal(cable_msgpack_encode(&c, &buf, &len), SIM_EUSAGE);
    c.classification = CABLE_CLASS_SECRET;
    c.dtg.day = 31;
    c.dtg.month = 4; /* April 31st */
    assert_int_equal(cable_msgpack_encode(&c, &buf, &len), SIM_EUSAGE);
    c.dtg.valid = false; /* an invalid DTG is nil, whatever its parts say */
    assert_int_equal(cable_msgpack_encode(&c, &buf, &len), 0);
    free(buf);
    c.subject = (sim_span_t){NULL, 3};
    assert_int_equal(cable_msgpack_encode(&c, &buf, &len), SIM_EUSAGE);
    c.subject = SIM_SPAN_NULL;
    c.tags.n = CABLE_MSGPACK_MAX_ITEMS + 1;
    assert_int_equal(cable_msgpack_encode(&c, &buf, &len), SIM_ETOOBIG);
    c.tags.n = 0;
    c.fl4_signals = 3; /* only two signals */
    assert_int_equal(cable_msgpack_encode(&c, &buf, &len), SIM_EUSAGE);
    c.fl4_signals = 2;
    c.text = sim_span(sample_text, (size_t)CABLE_MSGPACK_MAX_BYTES + 1); /* never read */
    assert_int_equal(cable_msgpack_encode(&c, &buf, &len), SIM_ETOOBIG);
    cable_destroy(&c);
}

static void test_big_cable_near_the_limits(void **state)
{
    cable_t     a, b;
    char       *text, *buf;
    size_t      len;
    const char *err;
    (void)state;
    cable_init(&a);
    text = malloc(CABLE_MSGPACK_MAX_BYTES - 4096);
    memset(text, 'X', CABLE_MSGPACK_MAX_BYTES - 4096);
    a.text = sim_span(text, CABLE_MSGPACK_MAX_BYTES - 4096);
    a.body_bytes = a.text.len;
    a.to.v = sim_arena_grow(&a.arena, NULL, &a.to.cap, 1000, sizeof(cable_addr_t));
    for (uint32_t i = 0; i < 1000; i++)
        a.to.v[i] = addr_make("RUEHC", "SECSTATE WASHDC", NULL, NULL, (int32_t)i, (int32_t)i,
                              CABLE_PREC_R, false, false);
    a.to.n = 1000;
    /* The encoder's bound is conservative: it refuses what might not fit. */
    assert_int_equal(cable_msgpack_encode(&a, &buf, &len), SIM_ETOOBIG);
    a.to.n = 10;
    encode_ok(&a, &buf, &len);
    assert_true(len <= CABLE_MSGPACK_MAX_BYTES);
    cable_init(&b);
    assert_int_equal(cable_msgpack_decode(&b, buf, len, &err), 0);
    assert_equal_cables(&a, &b);
    free(buf);
    free(text);
    cable_destroy(&a);
    cable_destroy(&b);
}

/* A small deterministic generator, so failures reproduce. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void check_any_result(cable_t *c, cable_t *again, const char *buf, size_t len)
{
    const char *err;
    char       *enc;
    size_t      elen;
    if (decode_exact(c, buf, len, &err) < 0)
        return;
    /* Whatever decodes re-encodes, and decodes back to the same cable. */
    encode_ok(c, &enc, &elen);
    assert_int_equal(decode_exact(again, enc, elen, &err), 0);
    assert_equal_cables(c, again);
    free(enc);
}

static void test_garbage_and_mutations(void **state)
{
    cable_t  a, c, again;
    char    *buf, *mut, junk[256];
    size_t   len;
    uint64_t s = 0x9E3779B97F4A7C15u;
    (void)state;
    cable_init(&c);
    cable_init(&again);
    for (int i = 0; i < 20000; i++) {
        size_t n = rng_next(&s) % sizeof(junk);
        for (size_t j = 0; j < n; j++)
            junk[j] = (char)rng_next(&s);
        if (n && i % 2)
            junk[0] = (char)(0x80 | (rng_next(&s) & 0x0f)); /* start as a fixmap */
        check_any_result(&c, &again, junk, n);
    }
    full_cable(&a);
    encode_ok(&a, &buf, &len);
    mut = malloc(len);
    for (int i = 0; i < 20000; i++) {
        int flips = 1 + (int)(rng_next(&s) % 4);
        memcpy(mut, buf, len);
        for (int f = 0; f < flips; f++)
            mut[rng_next(&s) % len] = (char)rng_next(&s);
        check_any_result(&c, &again, mut, len - (i % 3 == 0 ? rng_next(&s) % 8 : 0));
    }
    free(mut);
    free(buf);
    cable_destroy(&a);
    cable_destroy(&c);
    cable_destroy(&again);
}

/* The seeds of the msgpack fuzz target come from an independent encoder
 * (tests/fuzz/make_seeds.py); ok-* must decode, bad-* must not. */
static void test_fuzz_seeds(void **state)
{
    char           dir[4096];
    const char    *data = getenv("SIM_TEST_DATA");
    DIR           *d;
    struct dirent *e;
    int            ok = 0, bad = 0;
    cable_t        c, again;
    (void)state;
    snprintf(dir, sizeof(dir), "%s/../fuzz/seeds/fuzz_msgpack", data ? data : "tests/data");
    d = opendir(dir);
    if (!d) {
        fprintf(stderr, "SKIPPED: no seed folder %s\n", dir);
        return;
    }
    cable_init(&c);
    cable_init(&again);
    while ((e = readdir(d)) != NULL) {
        char        path[8192];
        char       *buf;
        size_t      len;
        const char *err = NULL;
        int         rc;
        bool        want_ok = strncmp(e->d_name, "ok-", 3) == 0;
        if (!want_ok && strncmp(e->d_name, "bad-", 4) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        buf = tu_read_file(path, &len);
        assert_non_null(buf);
        rc = decode_exact(&c, buf, len, &err);
        if (want_ok && rc != 0)
            fail_msg("%s: %d (%s)", e->d_name, rc, err);
        if (!want_ok && rc == 0)
            fail_msg("%s decoded", e->d_name);
        if (rc == 0)
            check_any_result(&c, &again, buf, len);
        if (want_ok)
            ok++;
        else
            bad++;
        free(buf);
    }
    closedir(d);
    assert_true(ok >= 3);
    assert_true(bad >= 3);
    /* The same cable in version 1 (names, every field) and version 2
     * (numbers, defaults left out, text references), both written by the
     * seed script's own encoder, decode to the same fields. */
    {
        const char *names[2] = {"ok-full.mp", "ok-v2-full.mp"};
        char       *buf[2];
        size_t      len[2];
        const char *err;
        for (int k = 0; k < 2; k++) {
            char path[8192];
            snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
            buf[k] = tu_read_file(path, &len[k]);
            assert_non_null(buf[k]);
        }
        assert_int_equal(cable_msgpack_decode_view(&c, buf[0], len[0], &err), 0);
        assert_int_equal(cable_msgpack_decode_view(&again, buf[1], len[1], &err), 0);
        assert_equal_cables(&c, &again);
        assert_true(sim_span_within(again.text, again.subject));
        assert_true(len[1] < len[0]);
        free(buf[0]);
        free(buf[1]);
    }
    cable_destroy(&c);
    cable_destroy(&again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_full),
        cmocka_unit_test(test_roundtrip_defaults),
        cmocka_unit_test(test_absent_and_empty_stay_apart),
        cmocka_unit_test(test_extreme_values),
        cmocka_unit_test(test_reencode_is_identical),
        cmocka_unit_test(test_keys_match_schema),
        cmocka_unit_test(test_numbers_and_names),
        cmocka_unit_test(test_text_references),
        cmocka_unit_test(test_keys_in_any_order_and_unknown_keys),
        cmocka_unit_test(test_view_and_odd_keys),
        cmocka_unit_test(test_every_prefix_is_an_error),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_versions_and_duplicates),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_encoder_refuses_what_decoder_would),
        cmocka_unit_test(test_big_cable_near_the_limits),
        cmocka_unit_test(test_garbage_and_mutations),
        cmocka_unit_test(test_fuzz_seeds),
    };
    return cmocka_run_group_tests_name("cable_msgpack", tests, NULL, NULL);
}
