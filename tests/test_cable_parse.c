/*
 * test_cable_parse.c - the ACP 127 parser, rule by rule: the seed cable
 * field by field, a canonical cable clean under --strict, each departure
 * from the canonical form with its rule id and position, and inputs that
 * must never crash (empty, binary, NUL, invalid UTF-8, CRLF, a 1 MB line,
 * a heading cut at every byte, dates that do not exist, unknown prosigns).
 */
#include "testutil.h"
#include "cable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char canonical[] =
    "VZCZCXRO0042\n"
    "OO RUEHC RUEHLO\n"
    "DE RUEHFR #0123/01 0651430\n"
    "ZNY CCCCC ZZH\n"
    "O P 061430Z MAR 09\n"
    "FM AMEMBASSY PARIS\n"
    "TO RUEHC/SECSTATE WASHDC IMMEDIATE 4567\n"
    "INFO RUEHLO/AMEMBASSY LONDON PRIORITY 0890\n"
    "BT\n"
    "C O N F I D E N T I A L SECTION 01 OF 02 PARIS 000123\n"
    "\n"
    "SIPDIS\n"
    "\n"
    "E.O. 12958: DECL: 03/06/2019\n"
    "TAGS: PREL PGOV FR\n"
    "SUBJECT: TRAINING CABLE FOR THE PARSER TESTS, WITH A SUBJECT\n"
    "THAT CONTINUES\n"
    "\n"
    "REF: STATE 000001\n"
    "\n"
    "1. (C) This paragraph was written for the tests.\n"
    "\n"
    "SMITH\n"
    "BT\n"
    "#0123\n"
    "NNNN\n";

static cable_t c;

static int setup(void **state)
{
    (void)state;
    cable_init(&c);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cable_destroy(&c);
    return 0;
}

static int parse(const char *text, size_t len, bool strict)
{
    cable_parse_opts_t o = {.strict = strict, .file = "t.cable"};
    return cable_parse(&c, text, len, &o);
}

static int parse_str(const char *text, bool strict)
{
    return parse(text, strlen(text), strict);
}

/* The diagnostic with this rule id, or NULL. */
static const cable_diag_t *find(const char *rule)
{
    for (uint32_t i = 0; i < c.diags.n; i++)
        if (strcmp(cable_rule_info((cable_rule_t)c.diags.v[i].rule)->id, rule) == 0)
            return &c.diags.v[i];
    return NULL;
}

static void expect(const char *rule, uint32_t line, uint32_t col, cable_sev_t sev)
{
    const cable_diag_t *d = find(rule);
    if (!d) {
        for (uint32_t i = 0; i < c.diags.n; i++) {
            char buf[512];
            cable_diag_format("t", &c.diags.v[i], buf, sizeof(buf));
            print_message("have: %s\n", buf);
        }
        fail_msg("no diagnostic %s", rule);
    }
    assert_int_equal(d->line, line);
    if (col)
        assert_int_equal(d->col, col);
    assert_int_equal(d->severity, sev);
}

static void assert_span(sim_span_t s, const char *want)
{
    if (!sim_span_eq_str(s, want))
        fail_msg("got '%.*s', want '%s'", (int)s.len, s.p ? s.p : "", want);
}

/* Replace the first 'from' in canonical by 'to'. Returns an owned string. */
static char *variant(const char *from, const char *to)
{
    const char *at = strstr(canonical, from);
    size_t      n = strlen(canonical) - strlen(from) + strlen(to);
    char       *out = malloc(n + 1);
    assert_non_null(at);
    memcpy(out, canonical, (size_t)(at - canonical));
    strcpy(out + (at - canonical), to);
    strcat(out, at + strlen(from));
    return out;
}

static void test_seed_field_by_field(void **state)
{
    char        path[4096];
    const char *shared = getenv("CABLESIM_SHARED");
    char       *buf;
    size_t      len;
    char        iso[21];
    (void)state;
    if (!tu_real_corpus()) {
        skip();
        return;
    }
    if (!shared || !*shared)
        shared = getenv("CABLESIM_SHARED_DEFAULT");
    snprintf(path, sizeof(path), "%s/seed/000_238c8b85d3773a55.txt", shared ? shared : "../shared");
    buf = tu_read_file(path, &len);
    assert_non_null(buf);
    assert_int_equal(parse(buf, len, false), 0);
    assert_span(c.transmission_id, "VZCZCXYZ0010");
    assert_span(c.channel, "XYZ");
    assert_int_equal(c.csn, 10);
    assert_int_equal(c.fl2_prec, CABLE_PREC_O);
    assert_int_equal(c.routing_indicators.n, 1);
    assert_span(c.routing_indicators.v[0], "RUEHWEB");
    assert_span(c.origin_ri, "RUCNDT");
    assert_int_equal(c.station_serial, 352);
    assert_int_equal(c.section, 1);
    assert_int_equal(c.sections, 1);
    assert_span(c.filed, "1271302");
    assert_span(c.security, "ZNY CCCCC");
    assert_int_equal(c.signals.n, 2);
    assert_span(c.signals.v[0], "ZZH");
    assert_span(c.signals.v[1], "ZDK");
    assert_true(c.corrected_copy);
    assert_int_equal(cable_precedence(&c), CABLE_PREC_O);
    assert_int_equal(cable_info_precedence(&c), CABLE_PREC_O);
    cable_dtg_iso(&c.dtg, iso);
    assert_string_equal(iso, "2007-05-07T13:02:00Z");
    assert_span(c.from, "USMISSION USUN NEW YORK");
    assert_int_equal(c.to.n, 1);
    assert_span(c.to.v[0].ri, "RUEHC");
    assert_span(c.to.v[0].pla, "SECSTATE WASHDC");
    assert_span(c.to.v[0].prec_word, "IMMEDIATE");
    assert_int_equal(c.to.v[0].serial_lo, 1834);
    assert_false(c.to.v[0].niact);
    assert_int_equal(c.info.n, 1);
    assert_null(c.info.v[0].ri.p);
    assert_span(c.info.v[0].pla, "AMEMBASSY BELGRADE");
    assert_int_equal(c.info.v[0].prec, CABLE_PREC_NONE);
    assert_int_equal(c.info.v[0].serial_lo, -1);
    assert_int_equal(c.classification, CABLE_CLASS_CONFIDENTIAL);
    assert_span(c.post, "USUN NEW YORK");
    assert_int_equal(c.cable_number, 352);
    assert_int_equal(c.tags.n, 3);
    assert_span(c.tags.v[0], "PGOV");
    assert_span(c.tags.v[1], "PREL");
    assert_span(c.tags.v[2], "UNSC");
    assert_span(c.subject, "KOSOVO AT UNSC: RUSSIANS ARGUE FOR DELAY LEADING TO MORE DELAY");
    assert_span(c.signature, "KHALILZAD");
    assert_int_equal(c.n_errors, 0);
    {
        char   id[64];
        size_t n = cable_id(&c, id, sizeof(id));
        assert_int_equal(n, strlen("RUCNDT#0352/01 071302Z MAY 07"));
        assert_string_equal(id, "RUCNDT#0352/01 071302Z MAY 07");
        /* Cut as snprintf cuts: the whole length returned. */
        assert_int_equal(cable_id(&c, id, 9), n);
        assert_string_equal(id, "RUCNDT#0");
        assert_int_equal(cable_id(&c, id, 4), n);
        assert_string_equal(id, "RUC");
        assert_int_equal(cable_id(&c, id, 0), n);
        /* Absent fields print as "?"; a section has at least two digits. */
        c.station_serial = -1;
        c.cable_number = -1;
        c.section = 12345;
        c.dtg.valid = false;
        assert_int_equal(cable_id(&c, id, sizeof(id)), strlen("RUCNDT#?/12345 ?"));
        assert_string_equal(id, "RUCNDT#?/12345 ?");
        c.origin_ri = SIM_SPAN_NULL;
        c.station_serial = 7;
        c.section = 3;
        c.dtg.valid = true;
        c.dtg.month = 13;
        c.dtg.year = 2105;
        cable_id(&c, id, sizeof(id));
        assert_string_equal(id, "?#0007/03 071302Z ??? 05");
    }
    free(buf);
}

static void test_canonical_is_strict_clean(void **state)
{
    char iso[21];
    (void)state;
    assert_int_equal(parse_str(canonical, true), 0);
    assert_int_equal(c.diags.n, 0);
    assert_int_equal(c.csn, 42);
    assert_int_equal(c.routing_indicators.n, 2);
    assert_int_equal(c.dtg_prec, CABLE_PREC_O);
    assert_int_equal(c.dtg_info_prec, CABLE_PREC_P);
    assert_int_equal(cable_info_precedence(&c), CABLE_PREC_P);
    cable_dtg_iso(&c.dtg, iso);
    assert_string_equal(iso, "2009-03-06T14:30:00Z");
    assert_int_equal(c.section, 1);
    assert_int_equal(c.sections, 2);
    assert_true(c.de_has_section);
    assert_int_equal(c.info.v[0].prec, CABLE_PREC_P);
    assert_int_equal(c.info.v[0].serial_lo, 890);
    assert_int_equal(c.captions.n, 1);
    assert_span(c.subject, "TRAINING CABLE FOR THE PARSER TESTS, WITH A SUBJECT THAT CONTINUES");
    assert_span(c.ref, "STATE 000001");
    assert_span(c.eo, "12958: DECL: 03/06/2019");
    assert_true(c.has_bt);
    assert_true(c.has_trailer);
    assert_int_equal(c.trailer_ssn, 123);
    assert_span(c.signature, "SMITH");
    assert_int_equal(cable_addr_precedence(&c, &c.info.v[0], true), CABLE_PREC_P);
    assert_int_equal(cable_addr_precedence(&c, &c.to.v[0], false), CABLE_PREC_O);
}

static void test_emit_round_trip(void **state)
{
    cable_t     d;
    size_t      len;
    char       *text;
    const char *why = NULL;
    (void)state;
    assert_int_equal(parse_str(canonical, true), 0);
    text = cable_emit(&c, &len);
    assert_string_equal(text, canonical); /* canonical in, the same bytes out */
    assert_int_equal(cable_emit_len(&c), len);
    cable_init(&d);
    {
        cable_parse_opts_t o = {.strict = true};
        assert_int_equal(cable_parse(&d, text, len, &o), 0);
    }
    assert_true(cable_fields_equal(&c, &d, &why));
    /* A copy owns its strings. */
    {
        cable_t e;
        cable_init(&e);
        cable_copy(&e, &d);
        memset(text, 'x', len);
        cable_destroy(&d);
        assert_true(cable_fields_equal(&e, &c, &why) || why);
        assert_span(e.subject, "TRAINING CABLE FOR THE PARSER TESTS, WITH A SUBJECT THAT CONTINUES");
        cable_destroy(&e);
    }
    free(text);
}

typedef struct rule_case {
    const char *from, *to, *rule;
    uint32_t    line, col;
    bool        always_error;
} rule_case_t;

static void test_rules_by_variant(void **state)
{
    static const rule_case_t cases[] = {
        {"VZCZCXRO0042\n", "", "fl1-missing", 1, 1, false},
        {"VZCZCXRO0042\n", "VZCZCXRO042\n", "fl1-csn-width", 1, 9, false},
        {"VZCZCXRO0042\n", "VZCZCX1\n", "fl1-malformed", 1, 6, false},
        {"OO RUEHC RUEHLO\n", "NN RUEHC RUEHLO\n", "fl2-prosign-unknown", 2, 1, false},
        {"OO RUEHC RUEHLO\n", "OO RUEHC RU3HLO\n", "fl2-ri-malformed", 2, 10, false},
        {"OO RUEHC RUEHLO\n", "PP RUEHC RUEHLO\n", "fl2-not-highest", 1, 1, false},
        {"OO RUEHC RUEHLO\n", "OO RUEHC\nRUEHLO\n\n", "header-blank-line", 4, 1, false},
        {"DE RUEHFR #0123/01 0651430\n", "", "de-missing", 1, 1, false},
        {"DE RUEHFR #0123/01 0651430\n", "DE RUEHFR 0123 0651430\n", "de-malformed", 3, 0, false},
        {"DE RUEHFR #0123/01 0651430\n", "DE RUEHFR #0123/01 4001430\n", "de-filed-time", 3, 20,
         false},
        {"ZNY CCCCC ZZH\n", "", "fl4-missing", 1, 1, false},
        {"ZNY CCCCC ZZH\n", "ZNY CCCC ZZH\n", "fl4-malformed", 4, 5, false},
        {"ZNY CCCCC ZZH\n", "ZNY CCCCC ZZH ZQQ\n", "signal-unknown", 4, 15, false},
        {"ZNY CCCCC ZZH\n", "ZNY SSSSS ZZH\n", "classification-mismatch", 10, 1, false},
        {"O P 061430Z MAR 09\n", "", "dtg-missing", 1, 1, true},
        {"O P 061430Z MAR 09\n", "O P 451430Z MAR 09\n", "dtg-invalid", 5, 5, true},
        {"O P 061430Z MAR 09\n", "O P 062530Z MAR 09\n", "dtg-invalid", 5, 5, true},
        {"O P 061430Z MAR 09\n", "O P 061430Z MAY 09\n", "de-filed-time", 0, 0, false},
        {"O P 061430Z MAR 09\n", "X P 061430Z MAR 09\n", "dtg-malformed", 5, 1, false},
        {"FM AMEMBASSY PARIS\n", "", "fm-missing", 1, 1, true},
        {"TO RUEHC/SECSTATE WASHDC IMMEDIATE 4567\nINFO RUEHLO/AMEMBASSY LONDON PRIORITY 0890\n",
         "", "addressee-missing", 1, 1, true},
        {"TO RUEHC/SECSTATE WASHDC", "TO SECSTATE WASHDC", "addressee-no-ri", 7, 4, false},
        {"INFO RUEHLO/AMEMBASSY LONDON PRIORITY 0890\n",
         "INFO RUEHLO/AMEMBASSY LONDON NIACT IMMEDIATE 0890\n", "niact-info", 8, 30, false},
        {"TO RUEHC/SECSTATE WASHDC IMMEDIATE", "TO RUEHC/SECSTATE WASHDC NIACT IMMEDIATE",
         "niact-justification", 10, 1, false},
        {"TO RUEHC/SECSTATE WASHDC IMMEDIATE", "TO RUEHC/SECSTATE  WASHDC IMMEDIATE",
         "double-space", 7, 18, false},
        {"FM AMEMBASSY PARIS\n", "FM AMEMBASSY Paris\n", "header-lower-case", 6, 15, false},
        {"FM AMEMBASSY PARIS\n", "FM AMEMBASSY PARIS  \n", "trailing-blank", 6, 19, false},
        {"BT\nC O N", "C O N", "bt-missing", 0, 0, false},
        {"C O N F I D E N T I A L SECTION", "CONFIDENTIAL SECTION", "classification-malformed",
         10, 1, false},
        {"C O N F I D E N T I A L SECTION", "SECTION", "classification-missing", 10, 1, false},
        {"SECTION 01 OF 02", "SECTION 02 OF 02", "section-mismatch", 10, 33, false},
        {"PARIS 000123\n", "PARIS 000124\n", "serial-mismatch", 10, 1, false},
        {"E.O. 12958", "EO 12958", "eo-malformed", 14, 1, false},
        {"TAGS: PREL PGOV FR\n", "", "tags-missing", 10, 1, false},
        {"TAGS: PREL PGOV FR\n", "TAGS PREL, PGOV, FR\n", "tags-form", 15, 1, false},
        {"TAGS: PREL PGOV FR\n", "TAGS: [PREL](#) [PGOV](#)\n", "tags-form", 15, 1, false},
        {"SUBJECT: TRAINING CABLE FOR THE PARSER TESTS, WITH A SUBJECT\nTHAT CONTINUES\n", "",
         "subject-missing", 10, 1, false},
        {"BT\n#0123\nNNNN\n", "", "trailer-missing", 0, 0, false},
        {"#0123\nNNNN\n", "#0124\nNNNN\n", "trailer-ssn", 0, 0, false},
        {"VZCZCXRO0042\n", "ACTION NEA-00\nINFO  LOG-00   EEB-00\nVZCZCXRO0042\n", "debris", 1,
         1, false},
        {"INFO RUEHLO/AMEMBASSY LONDON PRIORITY 0890\n",
         "INFO RUEHLO/AMEMBASSY LONDON PRIORITY 0890\nPAGE 02 PARIS 000123 061430Z\n", "debris",
         9, 1, false},
        {"FM AMEMBASSY PARIS\n", "FM AMEMBASSY PARIS\r\n", "crlf", 6, 19, false},
        {"This paragraph", "This \xff paragraph", "utf8-invalid", 21, 13, false},
        {"FM AMEMBASSY PARIS\n", "FM AMEMBASSY PAR\xc3\x89S\n", "header-non-ascii", 6, 17, false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const rule_case_t *k = &cases[i];
        char              *t = variant(k->from, k->to);
        print_message("case %zu: %s\n", i, k->rule);
        /* lenient: warning (unless always an error) */
        parse_str(t, false);
        if (k->line)
            expect(k->rule, k->line, k->col,
                   k->always_error ? CABLE_SEV_ERROR : CABLE_SEV_WARNING);
        else
            assert_non_null(find(k->rule));
        if (k->always_error)
            assert_true(c.n_errors > 0);
        /* strict: always an error */
        assert_int_equal(parse_str(t, true), SIM_EPARSE);
        assert_int_equal(find(k->rule)->severity, CABLE_SEV_ERROR);
        free(t);
    }
}

static void test_prosign_nn_takes_dtg_precedence(void **state)
{
    char *t = variant("OO RUEHC RUEHLO\n", "NN RUEHC RUEHLO\n");
    (void)state;
    assert_int_equal(parse_str(t, false), 0);
    assert_int_equal(c.fl2_prec, CABLE_PREC_NONE);
    assert_span(c.fl2_prosign, "NN");
    assert_int_equal(cable_precedence(&c), CABLE_PREC_O);
    free(t);
}

static void test_addressee_forms(void **state)
{
    char *t = variant("INFO RUEHLO/AMEMBASSY LONDON PRIORITY 0890\n",
                      "INFO ZEN/AMEMBASSY BELMOPAN IMMEDIATE 2276-2279\n"
                      "RHMFISS/HQ USCENTCOM MACDILL AFB FL\n"
                      "GULF COOPERATION COUNCIL COLLECTIVE IMMEDIATE\n"
                      "RUEHKV/AMEMBASSY KYIV 0000\n"
                      "XMT AMEMBASSY ROME\n");
    (void)state;
    parse_str(t, false);
    assert_int_equal(c.n_errors, 0);
    assert_int_equal(c.info.n, 4);
    assert_true(c.info.v[0].zen);
    assert_span(c.info.v[0].pla, "AMEMBASSY BELMOPAN");
    assert_int_equal(c.info.v[0].serial_lo, 2276);
    assert_int_equal(c.info.v[0].serial_hi, 2279);
    assert_span(c.info.v[0].serial, "2276-2279");
    assert_span(c.info.v[1].ri, "RHMFISS");
    assert_span(c.info.v[1].pla, "HQ USCENTCOM MACDILL AFB FL");
    assert_int_equal(c.info.v[1].serial_lo, -1);
    assert_null(c.info.v[2].ri.p);
    assert_span(c.info.v[2].pla, "GULF COOPERATION COUNCIL COLLECTIVE");
    assert_int_equal(c.info.v[2].prec, CABLE_PREC_O);
    assert_int_equal(c.info.v[3].serial_lo, 0);
    assert_int_equal(c.xmt.n, 1);
    assert_span(c.xmt.v[0].pla, "AMEMBASSY ROME");
    free(t);
}

static void test_niact_and_flash(void **state)
{
    char *t = variant("TO RUEHC/SECSTATE WASHDC IMMEDIATE 4567\n",
                      "TO RUEHC/SECSTATE WASHDC NIACT IMMEDIATE 4567\n");
    char *u;
    (void)state;
    parse_str(t, false);
    assert_true(c.to.v[0].niact);
    assert_span(c.to.v[0].prec_word, "NIACT IMMEDIATE");
    assert_int_equal(c.to.v[0].prec, CABLE_PREC_O);
    free(t);
    t = variant("OO RUEHC RUEHLO\n", "ZZ RUEHC RUEHLO\n");
    u = variant("O P 061430Z MAR 09", "Z 061430Z MAR 09");
    parse_str(u, false);
    free(u);
    u = malloc(strlen(t) + 64);
    strcpy(u, t);
    {
        char *at = strstr(u, "O P 061430Z");
        memcpy(at, "Z P 061430Z", 11);
    }
    parse_str(u, false);
    assert_int_equal(cable_precedence(&c), CABLE_PREC_Z);
    assert_int_equal(c.dtg_prec, CABLE_PREC_Z);
    free(t);
    free(u);
}

static void test_continuation_ris_and_signals_after_dtg(void **state)
{
    char *t = variant("OO RUEHC RUEHLO\n", "OO RUEHC RUEHLO RUEHFR\nRUEHRO RUEHMD\n");
    char *u;
    (void)state;
    parse_str(t, true);
    assert_int_equal(c.routing_indicators.n, 5);
    assert_span(c.routing_indicators.v[4], "RUEHMD");
    u = variant("O P 061430Z MAR 09\n", "O P 061430Z MAR 09 ZDK CTG NUMEROUS SERVICES\n");
    parse_str(u, false);
    assert_span(c.dtg_signals, "ZDK CTG NUMEROUS SERVICES");
    assert_int_equal(c.signals.n, 2);
    assert_int_equal(c.fl4_signals, 1);
    assert_span(c.signals.v[1], "ZDK");
    free(t);
    free(u);
}

static void test_no_vzczc_old_style(void **state)
{
    static const char old[] = "ACTION NEA-00\n"
                              "INFO  LOG-00   EEB-00   AF-00\n"
                              "      MEPP-00  SANA-00    /000W\n"
                              "\n"
                              "O 311005Z AUG 09\n"
                              "FM AMEMBASSY ABU DHABI\n"
                              "TO NSC WASHDC IMMEDIATE\n"
                              "SECSTATE WASHDC IMMEDIATE 2881\n"
                              "INFO SECDEF WASHINGTON DC\n"
                              "\n"
                              "S E C R E T ABU DHABI 000862\n"
                              "\n"
                              "TAGS: PREL AE\n"
                              "SUBJECT: A TEST\n"
                              "\n"
                              "1. (S) Words.\n";
    (void)state;
    assert_int_equal(parse_str(old, false), 0);
    expect("debris", 1, 1, CABLE_SEV_WARNING);
    expect("fl1-missing", 1, 1, CABLE_SEV_WARNING);
    assert_int_equal(c.to.n, 2);
    assert_span(c.to.v[1].pla, "SECSTATE WASHDC");
    assert_int_equal(c.cable_number, 862);
    assert_int_equal(c.station_serial, -1);
    {
        char id[64];
        cable_id(&c, id, sizeof(id));
        assert_string_equal(id, "?#0862/01 311005Z AUG 09");
    }
}

static void test_empty_and_binary(void **state)
{
    static const char nul[] = "VZCZCXRO0042\nOO RUEHC\0\0\0\n";
    unsigned char     bin[4096];
    (void)state;
    assert_int_equal(parse("", 0, false), SIM_EPARSE);
    expect("input-empty", 1, 1, CABLE_SEV_ERROR);
    assert_int_equal(parse_str(" \n\n\t\r\n", false), SIM_EPARSE);
    expect("input-empty", 1, 1, CABLE_SEV_ERROR);
    assert_int_equal(parse(NULL, 0, false), SIM_EPARSE);
    assert_int_equal(parse(nul, sizeof(nul) - 1, false), SIM_EPARSE);
    expect("input-binary", 2, 9, CABLE_SEV_ERROR);
    for (size_t i = 0; i < sizeof(bin); i++)
        bin[i] = (unsigned char)((i * 2654435761u) >> 13);
    assert_int_equal(parse((const char *)bin, sizeof(bin), false), SIM_EPARSE);
    assert_non_null(find("input-binary"));
    /* A control byte deep in a long text is found too. */
    {
        size_t n = strlen(canonical), pad = 20000;
        char  *t = malloc(n + pad);
        char  *at = strstr(canonical, "1. (C)");
        size_t head = (size_t)(at - canonical);
        memcpy(t, canonical, head);
        memset(t + head, 'A', pad);
        for (size_t i = 69; i < pad; i += 70)
            t[head + i] = '\n';
        t[head + 15000] = 0x1b;
        memcpy(t + head + pad, at, n - head);
        assert_int_equal(parse(t, n + pad, false), SIM_EPARSE);
        assert_non_null(find("input-binary"));
        free(t);
    }
}

static void test_heading_cut_at_every_byte(void **state)
{
    const char *bt = strstr(canonical, "BT\n");
    size_t      head = (size_t)(bt - canonical);
    (void)state;
    for (size_t n = 1; n < sizeof(canonical) - 1; n++) {
        char *cut = malloc(n); /* exact size: ASan catches any read past it */
        memcpy(cut, canonical, n);
        parse(cut, n, false);
        if (n <= head)
            assert_true(c.n_errors > 0); /* cut inside the heading: an error */
        free(cut);
    }
}

static void test_huge_line_and_crlf(void **state)
{
    size_t big = 1024 * 1024;
    char  *t = malloc(sizeof(canonical) + big + 16);
    char  *crlf;
    size_t o = 0;
    (void)state;
    /* A 1 MB line in the middle of the heading. */
    {
        const char *fm = strstr(canonical, "FM ");
        memcpy(t, canonical, (size_t)(fm - canonical));
        o = (size_t)(fm - canonical);
        memset(t + o, 'A', big);
        o += big;
        t[o++] = '\n';
        memcpy(t + o, fm, strlen(fm));
        o += strlen(fm);
    }
    parse(t, o, false);
    assert_non_null(find("line-too-long"));
    assert_int_equal(c.n_errors, 0);
    free(t);
    /* CR LF line ends everywhere: same fields, one warning. */
    crlf = malloc(sizeof(canonical) * 2);
    o = 0;
    for (const char *p = canonical; *p; p++) {
        if (*p == '\n')
            crlf[o++] = '\r';
        crlf[o++] = *p;
    }
    assert_int_equal(parse(crlf, o, false), 0);
    expect("crlf", 1, 13, CABLE_SEV_WARNING);
    assert_span(c.subject, "TRAINING CABLE FOR THE PARSER TESTS, WITH A SUBJECT THAT CONTINUES");
    assert_span(c.signature, "SMITH");
    assert_int_equal(c.trailer_ssn, 123);
    free(crlf);
}

/* Many blank lines between the FM line and the address lines: the heading
 * still reads right (the blank run is read once, not once per line). */
static void test_blank_run_in_heading(void **state)
{
    const char *fm = strstr(canonical, "TO RUEHC");
    size_t      head = (size_t)(fm - canonical), n = 200000, rest = strlen(fm);
    char       *t = malloc(head + n + rest);
    (void)state;
    memcpy(t, canonical, head);
    memset(t + head, '\n', n);
    memcpy(t + head + n, fm, rest);
    assert_int_equal(parse(t, head + n + rest, false), 0);
    assert_int_equal(c.to.n, 1);
    assert_int_equal(c.info.n, 1);
    expect("header-blank-line", 7, 1, CABLE_SEV_WARNING);
    assert_span(c.signature, "SMITH");
    free(t);
}

static void test_explain_every_rule(void **state)
{
    (void)state;
    for (int i = 0; i < CABLE_RULE_COUNT; i++) {
        const cable_rule_info_t *r = cable_rule_info((cable_rule_t)i);
        assert_non_null(r->id);
        assert_non_null(r->message);
        assert_true(strlen(r->explain) > 40);
        assert_ptr_equal(cable_rule_lookup(r->id), r);
    }
    assert_null(cable_rule_lookup("no-such-rule"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_seed_field_by_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_canonical_is_strict_clean, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_by_variant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prosign_nn_takes_dtg_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_addressee_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_niact_and_flash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_continuation_ris_and_signals_after_dtg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_vzczc_old_style, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_binary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heading_cut_at_every_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_line_and_crlf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blank_run_in_heading, setup, teardown),
        cmocka_unit_test(test_explain_every_rule),
    };
    return cmocka_run_group_tests_name("cable_parse", tests, NULL, NULL);
}
