/*
 * test_network_gen.c - the network generated from a corpus
 * (corpus/network_gen.h, `cablesim net --from-corpus`).
 *
 * A small corpus written for these tests covers the cases the rules are
 * about: addressees with RI and address, addressees without RI (one of
 * them known elsewhere with its RI), a cable without DE line whose FM
 * address has no RI anywhere, a collective with an RI and one without,
 * an RI serving two addresses, an address seen with two RIs, a collective
 * address also written after a station's RI, an RI seen only on format
 * line 2, ZEN/ and XMT lines, an address that YAML would read as null,
 * and an entry with a parse error. The tests check the stations, the
 * collectives, the routers and routes, that every TO and INFO line of
 * every cable resolves in the generated network both by the directory
 * lookups and by the router's own resolution (rtr_expected_deliveries),
 * that the output is the same bytes twice, the options and the command
 * line. When the shared real corpus is present, a network is generated
 * from it and checked the same way (skipped visibly otherwise).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "network_gen.h"
#include "rtr_route.h"

static const char corpus_text[] =
    /* 1: DE line; RI+address lines, a collective with its RI, an address
     *    without RI that appears nowhere else. */
    "VZCZCXRO0101\n"
    "OO RUEHC RUEHLO RUEHZL RHMFISS\n"
    "DE RUEHFR #0101/01 1231200\n"
    "ZNY CCCCC\n"
    "O 031200Z MAY 07\n"
    "FM AMEMBASSY PARIS\n"
    "TO RUEHC/SECSTATE WASHDC IMMEDIATE 0101\n"
    "INFO RUEHLO/AMEMBASSY LONDON PRIORITY 0202\n"
    "RUEHZL/EUROPEAN POLITICAL COLLECTIVE\n"
    "RHMFISS/CDR USSOUTHCOM MIAMI FL\n"
    "AMEMBASSY VALLETTA\n"
    "BT\n"
    "C O N F I D E N T I A L PARIS 000101\n"
    "\n"
    "E.O. 12958: DECL: 05/03/2017\n"
    "TAGS: PREL FR\n"
    "SUBJECT: FIRST CABLE OF THE NETWORK GENERATOR TESTS\n"
    "\n"
    "1. (C) Written for the tests of the network generator.\n"
    "\n"
    "JONES\n"
    "BT\n"
    "#0101\n"
    "NNNN\n"
    /* 2: an RI with two addresses (one seen twice), ZEN/ and XMT lines,
     *    an RI only on format line 2 (RUEKJCS). */
    "VZCZCXRO0102\n"
    "RR RUEHFR RHMFISS RUEKJCS\n"
    "DE RUEHC #0202 1241300\n"
    "ZNR UUUUU\n"
    "R 041300Z MAY 07\n"
    "FM SECSTATE WASHDC\n"
    "TO RUEHFR/AMEMBASSY PARIS 0303\n"
    "RHMFISS/CDR USSOUTHCOM MIAMI FL\n"
    "INFO RHMFISS/HQ USCENTCOM MACDILL AFB FL\n"
    "ZEN/AMEMBASSY ATLANTIS\n"
    "XMT AMEMBASSY ELDORADO\n"
    "BT\n"
    "UNCLAS STATE 000202\n"
    "\n"
    "E.O. 12958: N/A\n"
    "TAGS: AMGT\n"
    "SUBJECT: SECOND CABLE OF THE NETWORK GENERATOR TESTS\n"
    "\n"
    "1. Nothing of substance: an exercise in addressing.\n"
    "\n"
    "SMITH\n"
    "BT\n"
    "#0202\n"
    "NNNN\n"
    /* 3: no format lines and no DE line; FM address never seen with an
     *    RI; addressees without RI: known ones, a collective, and NULL. */
    "P 051400Z MAY 07\n"
    "FM AMCONSUL ELSEWHERE\n"
    "TO SECSTATE WASHDC PRIORITY\n"
    "INFO AMEMBASSY LONDON\n"
    "NORDIC POSTS COLLECTIVE\n"
    "NULL\n"
    "\n"
    "UNCLAS ELSEWHERE 000303\n"
    "\n"
    "E.O. 12958: N/A\n"
    "TAGS: AMGT\n"
    "SUBJECT: THIRD CABLE, WITHOUT FORMAT LINES\n"
    "\n"
    "1. A cable with no DE line, as many in the archives.\n"
    "\n"
    "BROWN\n"
    "NNNN\n"
    /* 4: no date-time group: a parse error, skipped. */
    "VZCZCXRO0104\n"
    "RR RUEHC\n"
    "DE RUEHLO #0404 1251500\n"
    "ZNR UUUUU\n"
    "FM AMEMBASSY LONDON\n"
    "TO RUEHC/SECSTATE WASHDC\n"
    "BT\n"
    "UNCLAS LONDON 000404\n"
    "\n"
    "1. This one has no date-time group line and is skipped.\n"
    "BT\n"
    "#0404\n"
    "NNNN\n"
    /* 5: AMEMBASSY LONDON with a second RI (a tie that the smaller RI
     *    wins); OPEC COLLECTIVE after a collective RI and after RUEHC
     *    (a tie that the collective RI wins by class). */
    "VZCZCXRO0105\n"
    "RR RUHO RUEHHH RUEHC\n"
    "DE RUEHFR #0505 1261600\n"
    "ZNR UUUUU\n"
    "R 061600Z MAY 07\n"
    "FM AMEMBASSY PARIS\n"
    "TO RUHO/AMEMBASSY LONDON\n"
    "RUEHHH/OPEC COLLECTIVE\n"
    "INFO RUEHC/OPEC COLLECTIVE\n"
    "BT\n"
    "UNCLAS PARIS 000505\n"
    "\n"
    "E.O. 12958: N/A\n"
    "TAGS: EPET\n"
    "SUBJECT: FIFTH CABLE OF THE NETWORK GENERATOR TESTS\n"
    "\n"
    "1. Another exercise in addressing.\n"
    "\n"
    "JONES\n"
    "BT\n"
    "#0505\n"
    "NNNN\n";

/* ---- helpers ------------------------------------------------------------------ */

static void corpus_of(cable_corpus_t *cp, const char *text)
{
    cable_corpus_init(cp);
    cable_corpus_add_mem(cp, "t.txt", text, strlen(text));
}

static net_network_t *load(const char *yaml, size_t len)
{
    net_errors_t   errs = {0};
    net_network_t *net = net_load_mem("generated.yaml", yaml, len, &errs);
    if (!net) {
        net_errors_fprint(stderr, "generated.yaml", &errs);
        fprintf(stderr, "%s", yaml);
    }
    net_errors_destroy(&errs);
    assert_non_null(net);
    return net;
}

/* Generate from the test corpus with 'o'; the network comes back loaded. */
static net_network_t *gen(const net_gen_opts_t *o, net_gen_stats_t *st, char **yaml)
{
    cable_corpus_t  cp;
    net_gen_stats_t local;
    net_errors_t    errs = {0};
    char           *text;
    size_t          len;
    int             rc;
    net_network_t  *net;

    corpus_of(&cp, corpus_text);
    rc = net_gen_from_corpus(&cp, o, &text, &len, st ? st : &local, &errs);
    if (rc != 0)
        net_errors_fprint(stderr, "generated", &errs);
    assert_int_equal(rc, 0);
    assert_int_equal(errs.n, 0);
    assert_int_equal(strlen(text), len);
    net = load(text, len);
    if (yaml)
        *yaml = text;
    else
        free(text);
    cable_corpus_destroy(&cp);
    return net;
}

static const net_station_t *station(const net_network_t *net, const char *ri)
{
    int32_t s = net_station_by_ri(net, ri, strlen(ri));
    if (s < 0)
        fail_msg("no station %s", ri);
    return &net->stations[s];
}

static const net_station_t *station_of_pla(const net_network_t *net, const char *pla)
{
    int32_t s = net_station_by_pla(net, pla, strlen(pla));
    if (s < 0)
        fail_msg("no station for %s", pla);
    return &net->stations[s];
}

static bool is_synthetic_ri(const char *ri)
{
    if (strlen(ri) != 7 || strncmp(ri, "XZ", 2) != 0)
        return false;
    for (const char *p = ri; *p; p++)
        if (*p < 'A' || *p > 'Z')
            return false;
    return true;
}

static const char *router_of(const net_network_t *net, const net_station_t *st)
{
    return net->routers[st->router].name;
}

static const char *route_for(const net_network_t *net, const char *prefix)
{
    for (uint32_t i = 0; i < net->n_routes; i++)
        if (strcmp(net->routes[i].prefix, prefix) == 0)
            return net->routers[net->routes[i].router].name;
    return NULL;
}

typedef struct resolved {
    size_t cables, lines, exempted;
} resolved_t;

/* Every TO and INFO line of every cable of 'cp' that parses resolves in
 * 'net' (by RI when written with one, else through the directory), the
 * originator too, and the router's resolution finds nothing undeliverable. */
static resolved_t check_all_resolve(const cable_corpus_t *cp, const net_network_t *net)
{
    resolved_t r = {0, 0, 0};
    rtr_plan_t plan;
    cable_t    c;

    rtr_plan_init(&plan, net);
    cable_init(&c);
    for (size_t i = 0; i < cp->n_entries; i++) {
        cable_reset(&c);
        if (cable_corpus_parse(cp, i, &c, false) < 0)
            continue;
        r.cables++;
        for (int l = 0; l < 2; l++) {
            const cable_addr_list_t *list = l ? &c.info : &c.to;
            for (uint32_t k = 0; k < list->n; k++) {
                const cable_addr_t *a = &list->v[k];
                if (a->zen)
                    continue;
                r.lines++;
                if (a->ri.len) {
                    if (net_station_by_ri(net, a->ri.p, a->ri.len) < 0 &&
                        net_collective_by_ri(net, a->ri.p, a->ri.len) < 0)
                        fail_msg("entry %zu: RI %.*s does not resolve", i, (int)a->ri.len, a->ri.p);
                } else if (!net_dir_lookup(net, a->pla.p, a->pla.len)) {
                    fail_msg("entry %zu: address '%.*s' does not resolve", i, (int)a->pla.len,
                             a->pla.p);
                }
            }
        }
        if (c.origin_ri.len) {
            assert_true(net_station_by_ri(net, c.origin_ri.p, c.origin_ri.len) >= 0);
        } else {
            const net_dir_entry_t *e = net_dir_lookup(net, c.from.p, c.from.len);
            if (!e || e->station < 0)
                fail_msg("entry %zu: FM '%.*s' is no station", i, (int)c.from.len, c.from.p);
        }
        assert_true(rtr_expected_deliveries(&plan, &c) >= 0);
        if (plan.n_undeliverable)
            fail_msg("entry %zu: %u undeliverable lines", i, plan.n_undeliverable);
        r.exempted += plan.n_exempted;
    }
    cable_destroy(&c);
    rtr_plan_destroy(&plan);
    return r;
}

/* ---- the small corpus ------------------------------------------------------------ */

static void test_stations(void **state)
{
    net_gen_stats_t      st;
    net_network_t       *net = gen(NULL, &st, NULL);
    const net_station_t *s;
    (void)state;

    assert_int_equal(st.entries, 5);
    assert_int_equal(st.skipped, 1);
    assert_int_equal(st.skipped_at[0], 3);
    assert_int_equal(st.addressees, 15); /* ZEN/ and XMT lines are not counted */
    assert_int_equal(st.unusable, 0);

    /* Real RIs: DE lines, addressee lines, format line 2. */
    s = station(net, "RUEHFR");
    assert_int_equal(s->n_pla, 1);
    assert_string_equal(s->pla[0], "AMEMBASSY PARIS");
    assert_int_equal(s->kind, NET_KIND_MISSION);
    s = station(net, "RUEHC");
    assert_int_equal(s->n_pla, 1); /* OPEC COLLECTIVE went to the collective RI */
    assert_string_equal(s->pla[0], "SECSTATE WASHDC");
    assert_int_equal(s->kind, NET_KIND_DEPARTMENT);
    s = station(net, "RHMFISS");
    assert_int_equal(s->n_pla, 2); /* the most frequent address first */
    assert_string_equal(s->pla[0], "CDR USSOUTHCOM MIAMI FL");
    assert_string_equal(s->pla[1], "HQ USCENTCOM MACDILL AFB FL");
    s = station(net, "RUEHLO");
    assert_string_equal(s->pla[0], "AMEMBASSY LONDON");
    s = station(net, "RUHO"); /* lost the address to RUEHLO: a made-up one */
    assert_int_equal(s->n_pla, 1);
    assert_string_equal(s->pla[0], "AMEMBASSY LONDON (RUHO)");
    s = station(net, "RUEKJCS"); /* only on format line 2 */
    assert_string_equal(s->pla[0], "UNKNOWN ADDRESS (RUEKJCS)");

    /* Addresses never written with an RI: synthetic RIs. */
    assert_true(is_synthetic_ri(station_of_pla(net, "AMEMBASSY VALLETTA")->ri));
    assert_true(is_synthetic_ri(station_of_pla(net, "AMCONSUL ELSEWHERE")->ri));
    assert_true(is_synthetic_ri(station_of_pla(net, "NULL")->ri));
    assert_string_not_equal(station_of_pla(net, "AMEMBASSY VALLETTA")->ri,
                            station_of_pla(net, "AMCONSUL ELSEWHERE")->ri);
    /* An address without RI that is known with one resolves to that RI. */
    assert_string_equal(station_of_pla(net, "AMEMBASSY LONDON")->ri, "RUEHLO");

    /* ZEN/ and XMT lines make no station. */
    assert_null(net_dir_lookup(net, "AMEMBASSY ATLANTIS", 18));
    assert_null(net_dir_lookup(net, "AMEMBASSY ELDORADO", 18));

    /* Stations by RI, in the file too. */
    for (uint32_t i = 1; i < net->n_stations; i++)
        assert_true(strcmp(net->stations[i - 1].ri, net->stations[i].ri) < 0);
    assert_int_equal(net->n_stations, 12);
    assert_int_equal(st.stations, 12);
    assert_int_equal(st.synthetic_ris, 7); /* 3 addresses, 3 stand-ins, 1 collective */
    assert_int_equal(st.stand_ins, 3);
    assert_int_equal(st.synthetic_collectives, 1);
    assert_int_equal(st.synthetic_plas, 5); /* 3 stand-ins, RUHO, RUEKJCS */
    net_free(net);
}

static void test_collectives(void **state)
{
    net_network_t          *net = gen(NULL, NULL, NULL);
    const net_collective_t *co;
    const net_station_t    *m;
    int32_t                 c;
    (void)state;

    assert_int_equal(net->n_collectives, 3);
    /* A collective RI of the corpus: its member stands in for the members
     * the corpus does not name. */
    c = net_collective_by_ri(net, "RUEHZL", 6);
    assert_true(c >= 0);
    co = &net->collectives[c];
    assert_string_equal(co->pla, "EUROPEAN POLITICAL COLLECTIVE");
    assert_int_equal(co->n_members, 1);
    m = &net->stations[co->member_stations[0]];
    assert_true(is_synthetic_ri(m->ri));
    assert_string_equal(m->pla[0], "EUROPEAN POLITICAL COLLECTIVE MEMBERS");

    /* RUEHHH and RUEHC had OPEC COLLECTIVE once each: the collective RI
     * takes it. */
    c = net_collective_by_pla(net, "OPEC COLLECTIVE", 15);
    assert_true(c >= 0);
    assert_string_equal(net->collectives[c].ri, "RUEHHH");
    assert_true(net_station_by_ri(net, "RUEHHH", 6) < 0);

    /* A collective address without RI: a synthetic one. */
    c = net_collective_by_pla(net, "NORDIC POSTS COLLECTIVE", 23);
    assert_true(c >= 0);
    co = &net->collectives[c];
    assert_true(is_synthetic_ri(co->ri));
    assert_int_equal(co->n_members, 1);
    assert_string_equal(net->stations[co->member_stations[0]].pla[0],
                        "NORDIC POSTS COLLECTIVE MEMBERS");
    net_free(net);
}

static void test_routers_by_prefix(void **state)
{
    net_network_t *net = gen(NULL, NULL, NULL);
    const char    *names[] = {"relay-rueh", "relay-rhmf", "relay-ruek", "relay-ruho", "relay-xz"};
    (void)state;

    /* In so small a corpus every group carries more than 1% of the
     * traffic: each has a router; RUEH carries the most and is the hub. */
    assert_int_equal(net->n_routers, 5);
    for (uint32_t r = 0; r < 5; r++) {
        assert_string_equal(net->routers[r].name, names[r]);
        assert_string_equal(net->routers[r].listen_host, "127.0.0.1");
        assert_int_equal(net->routers[r].listen_port, NET_GEN_BASE_PORT + r);
    }
    assert_int_equal(net->n_trunks, 4);
    for (uint32_t t = 0; t < net->n_trunks; t++) {
        assert_int_equal(net->trunks[t].a, 0);
        assert_int_equal(net->trunks[t].b, t + 1);
        assert_int_equal(net->trunks[t].link.bps, NET_GEN_TRUNK_BPS);
    }
    assert_int_equal(net->station_link_defaults.bps, NET_GEN_STATION_BPS);
    assert_true(net->station_link_defaults.o_preempts);
    assert_string_equal(router_of(net, station(net, "RUEHC")), "relay-rueh");
    assert_string_equal(router_of(net, station(net, "RHMFISS")), "relay-rhmf");
    assert_string_equal(router_of(net, station_of_pla(net, "AMEMBASSY VALLETTA")), "relay-xz");
    assert_int_equal(net->n_routes, 5);
    assert_string_equal(route_for(net, "RUEH"), "relay-rueh");
    assert_string_equal(route_for(net, "RUEK"), "relay-ruek");
    assert_string_equal(route_for(net, "XZ"), "relay-xz");
    assert_int_equal(net->default_router, 0);
    /* An RI that is no station goes by its prefix, else to the hub. */
    assert_int_equal(net_route_lookup(net, "RHMFIUU", 7), 1);
    assert_int_equal(net_route_lookup(net, "RUCNDT", 6), 0);
    net_free(net);
}

static void test_routers_catch_all(void **state)
{
    net_gen_opts_t  o = {.min_share = 101, .base_port = 50000};
    net_gen_stats_t st;
    net_network_t  *net = gen(&o, &st, NULL);
    (void)state;

    /* Groups of fewer than 3 stations share the catch-all, last. */
    assert_int_equal(net->n_routers, 3);
    assert_string_equal(net->routers[0].name, "relay-rueh");
    assert_string_equal(net->routers[1].name, "relay-xz");
    assert_string_equal(net->routers[2].name, "relay-catchall");
    assert_int_equal(net->routers[2].listen_port, 50002);
    assert_string_equal(router_of(net, station(net, "RHMFISS")), "relay-catchall");
    assert_string_equal(router_of(net, station(net, "RUEKJCS")), "relay-catchall");
    assert_string_equal(router_of(net, station(net, "RUHO")), "relay-catchall");
    assert_string_equal(route_for(net, "RHMF"), "relay-catchall");
    assert_int_equal(st.catch_all, 3);
    assert_string_equal(st.hub, "relay-rueh");
    net_free(net);

    /* Two letters: RU and XZ have routers, RH is alone. */
    o.prefix_len = 2;
    net = gen(&o, &st, NULL);
    assert_int_equal(net->n_routers, 3);
    assert_string_equal(net->routers[0].name, "relay-ru");
    assert_string_equal(router_of(net, station(net, "RUEKJCS")), "relay-ru");
    assert_string_equal(router_of(net, station(net, "RHMFISS")), "relay-catchall");
    assert_string_equal(route_for(net, "RU"), "relay-ru");
    assert_string_equal(route_for(net, "XZ"), "relay-xz");
    net_free(net);

    /* One letter: R and X (the synthetic head cut to one letter). */
    o.prefix_len = 1;
    o.min_group = 1;
    net = gen(&o, &st, NULL);
    assert_int_equal(net->n_routers, 2);
    assert_string_equal(net->routers[0].name, "relay-r");
    assert_string_equal(net->routers[1].name, "relay-x");
    assert_int_equal(net->n_trunks, 1);
    assert_int_equal(st.catch_all, 0);
    net_free(net);

    /* Every group small: the catch-all is the only router, no trunk. */
    o = (net_gen_opts_t){.min_group = 1000, .min_share = 101};
    net = gen(&o, &st, NULL);
    assert_int_equal(net->n_routers, 1);
    assert_string_equal(net->routers[0].name, "relay-catchall");
    assert_int_equal(net->n_trunks, 0);
    assert_int_equal(net->default_router, 0);
    assert_int_equal(st.catch_all, 12);
    net_free(net);
}

static void test_every_addressee_resolves(void **state)
{
    cable_corpus_t cp;
    net_network_t *net = gen(NULL, NULL, NULL);
    resolved_t     r;
    (void)state;

    corpus_of(&cp, corpus_text);
    r = check_all_resolve(&cp, net);
    assert_int_equal(r.cables, 4);
    assert_int_equal(r.lines, 15);
    assert_int_equal(r.exempted, 2); /* the ZEN/ and the XMT line of cable 2 */
    cable_corpus_destroy(&cp);
    net_free(net);
}

static void test_deterministic_yaml(void **state)
{
    char          *a, *b;
    net_network_t *na = gen(NULL, NULL, &a), *nb = gen(NULL, NULL, &b);
    (void)state;

    assert_string_equal(a, b);
    /* A text file, written by an emitter that quotes what YAML would
     * misread: the address NULL stays a string. */
    assert_true(a[strlen(a) - 1] == '\n');
    assert_non_null(strstr(a, "\"NULL\""));
    assert_non_null(strstr(a, "- {ri: RUEHC, pla: SECSTATE WASHDC, kind: department, "
                              "router: relay-rueh}\n"));
    free(a);
    free(b);
    net_free(na);
    net_free(nb);
}

/* Addresses that YAML would misread, or that need quoting in a flow
 * collection, come back as the same strings. */
static void test_odd_addresses(void **state)
{
    static const char text[] = "R 061600Z MAY 07\n"
                               "FM AMEMBASSY PARIS\n"
                               "TO SECSTATE WASHDC\n"
                               "INFO &ANCHOR POST\n"
                               "*ALIAS POST\n"
                               "!TAG POST\n"
                               "'QUOTED POST\n"
                               "FOO: BAR\n"
                               "\"DQ\" POST\n"
                               "YES\n"
                               "~\n"
                               "-1\n"
                               "0X10\n"
                               "[LIST]\n"
                               "{MAP}\n"
                               "A, B, C\n"
                               "HASH # MARK\n"
                               "%PERCENT\n"
                               "? QUESTION\n"
                               "BACK\\SLASH\n"
                               "RUEHXX/NO\n"
                               "TRUE/NULL\n"
                               "\n"
                               "UNCLAS PARIS 000505\n"
                               "\n"
                               "1. Odd addresses.\n"
                               "NNNN\n";
    cable_corpus_t    cp;
    net_gen_stats_t   st;
    net_errors_t      errs = {0};
    net_network_t    *net;
    resolved_t        r;
    char             *yaml;
    size_t            len;
    (void)state;

    corpus_of(&cp, text);
    assert_int_equal(net_gen_from_corpus(&cp, NULL, &yaml, &len, &st, &errs), 0);
    net = load(yaml, len);
    r = check_all_resolve(&cp, net);
    assert_int_equal(r.lines, 20);
    assert_string_equal(station(net, "RUEHXX")->pla[0], "NO");
    assert_string_equal(station(net, "TRUE")->pla[0], "NULL");
    assert_non_null(net_dir_lookup(net, "\"DQ\" POST", 9));
    assert_non_null(net_dir_lookup(net, "BACK\\SLASH", 10));
    assert_non_null(net_dir_lookup(net, "~", 1));
    free(yaml);
    net_free(net);
    cable_corpus_destroy(&cp);
}

static void test_options_and_empty(void **state)
{
    cable_corpus_t  cp;
    net_gen_opts_t  o = {.prefix_len = 8};
    net_gen_stats_t st;
    net_errors_t    errs = {0};
    char           *yaml;
    size_t          len;
    (void)state;

    corpus_of(&cp, corpus_text);
    assert_int_equal(net_gen_from_corpus(&cp, &o, &yaml, &len, &st, &errs), SIM_EUSAGE);
    assert_null(yaml);
    /* Five routers cannot start at port 65533. */
    o = (net_gen_opts_t){.base_port = 65533};
    assert_int_equal(net_gen_from_corpus(&cp, &o, &yaml, &len, &st, &errs), SIM_EUSAGE);
    assert_null(yaml);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.v[0].message, "65533"));
    net_errors_destroy(&errs);
    cable_corpus_destroy(&cp);

    /* Nothing usable: every entry has errors. */
    corpus_of(&cp, "FM AMEMBASSY NOWHERE\nTO SECSTATE WASHDC\n\nNo date.\n");
    assert_int_equal(net_gen_from_corpus(&cp, NULL, &yaml, &len, &st, &errs), SIM_EPARSE);
    assert_null(yaml);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.skipped, 1);
    cable_corpus_destroy(&cp);
}

static void test_rules(void **state)
{
    (void)state;
    assert_true(net_gen_is_collective_pla("EUROPEAN POLITICAL COLLECTIVE"));
    assert_true(net_gen_is_collective_pla("COLLECTIVE"));
    assert_false(net_gen_is_collective_pla("NONCOLLECTIVE"));
    assert_false(net_gen_is_collective_pla("COLLECTIVE MEMBERS"));
    assert_int_equal(net_gen_kind("SECSTATE WASHDC"), NET_KIND_DEPARTMENT);
    assert_int_equal(net_gen_kind("SECDEF"), NET_KIND_DEPARTMENT);
    assert_int_equal(net_gen_kind("CIA WASHDC"), NET_KIND_DEPARTMENT);
    assert_int_equal(net_gen_kind("DEPT OF TREASURY WASHINGTON DC"), NET_KIND_DEPARTMENT);
    assert_int_equal(net_gen_kind("DA WASHINGTON DC//DAPE//"), NET_KIND_DEPARTMENT);
    assert_int_equal(net_gen_kind("WHITE HOUSE WASHINGTON"), NET_KIND_DEPARTMENT);
    assert_int_equal(net_gen_kind("AMEMBASSY PARIS"), NET_KIND_MISSION);
    assert_int_equal(net_gen_kind("CDR USSOUTHCOM MIAMI FL"), NET_KIND_MISSION);
    assert_int_equal(net_gen_kind("AMEMBASSY WASHDCX"), NET_KIND_MISSION);
    assert_int_equal(net_gen_kind("SECSTATEX WASHINGTONIAN"), NET_KIND_MISSION);
}

/* ---- the command ------------------------------------------------------------------ */

static char tmpdir[256];

static int run(const char *args, const char *out, const char *err)
{
    char cmd[2048];
    int  st;
    snprintf(cmd, sizeof(cmd), "'%s' %s >'%s/%s' 2>'%s/%s' </dev/null", tu_bin(), args, tmpdir, out,
             tmpdir, err);
    st = system(cmd);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static char *tmp_read(const char *name)
{
    char  path[512];
    char *s;
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    s = tu_read_file(path, NULL);
    assert_non_null(s);
    return s;
}

static void test_command(void **state)
{
    const char *base = getenv("TMPDIR");
    char        args[1024], path[512];
    FILE       *f;
    char       *a, *b, *err;
    (void)state;

    snprintf(tmpdir, sizeof(tmpdir), "%s/cablesim-netgen-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(tmpdir));
    snprintf(path, sizeof(path), "%s/corpus.txt", tmpdir);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(corpus_text, 1, strlen(corpus_text), f), strlen(corpus_text));
    assert_int_equal(fclose(f), 0);

    /* stdout carries the YAML only; the figures go to stderr. */
    snprintf(args, sizeof(args), "net --from-corpus '%s/corpus.txt'", tmpdir);
    assert_int_equal(run(args, "a.yaml", "a.err"), 0);
    snprintf(args, sizeof(args), "net --from-corpus '%s/corpus.txt' --out '%s/b.yaml'", tmpdir,
             tmpdir);
    assert_int_equal(run(args, "b.out", "b.err"), 0);
    a = tmp_read("a.yaml");
    b = tmp_read("b.yaml");
    assert_string_equal(a, b);
    free(b);
    b = tmp_read("b.out");
    assert_string_equal(b, "");
    free(b);
    err = tmp_read("a.err");
    assert_non_null(strstr(err, "5 cables, 1 skipped"));
    assert_non_null(strstr(err, "skipped: ")); /* the entry without DTG, with its place */
    assert_non_null(strstr(err, "corpus.txt:66:1: error"));
    assert_non_null(strstr(err, "12 stations"));
    assert_non_null(strstr(err, "5 routers (hub relay-rueh"));
    free(err);
    free(a);

    /* The generated file passes the checker. */
    snprintf(args, sizeof(args), "net --check '%s/b.yaml'", tmpdir);
    assert_int_equal(run(args, "c.out", "c.err"), 0);

    /* Usage and I/O errors: exit 2. */
    snprintf(args, sizeof(args), "net --from-corpus '%s/corpus.txt' --routers-by 8", tmpdir);
    assert_int_equal(run(args, "d.out", "d.err"), 2);
    snprintf(args, sizeof(args), "net --from-corpus '%s/none'", tmpdir);
    assert_int_equal(run(args, "d.out", "d.err"), 2);
    snprintf(args, sizeof(args), "net --from-corpus '%s/corpus.txt' --check '%s/b.yaml'", tmpdir,
             tmpdir);
    assert_int_equal(run(args, "d.out", "d.err"), 2);
    snprintf(args, sizeof(args), "net --from-corpus '%s/corpus.txt' --out '%s/no/dir.yaml'", tmpdir,
             tmpdir);
    assert_int_equal(run(args, "d.out", "d.err"), 2);
    assert_int_equal(run("net --routers-by 3 --check x.yaml", "d.out", "d.err"), 2);
    assert_int_equal(run("net --help", "e.out", "e.err"), 0);
    a = tmp_read("e.out");
    assert_non_null(strstr(a, "--from-corpus PATH"));
    assert_non_null(strstr(a, "--routers-by N"));
    free(a);

    snprintf(args, sizeof(args), "rm -rf '%s'", tmpdir);
    assert_int_equal(system(args), 0);
}

/* ---- the real corpus ------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_real_corpus(void **state)
{
    const char     *dir = tu_real_corpus();
    cable_corpus_t  cp;
    net_gen_stats_t st;
    net_errors_t    errs = {0};
    char            err[512], *yaml, *again;
    size_t          len, len2;
    double          t0;
    net_network_t  *net;
    resolved_t      r;
    (void)state;

    if (!dir) {
        skip();
        return;
    }
    cable_corpus_init(&cp);
    assert_int_equal(cable_corpus_add(&cp, dir, err, sizeof(err)), 0);
    t0 = now_s();
    assert_int_equal(net_gen_from_corpus(&cp, NULL, &yaml, &len, &st, &errs), 0);
    print_message("real corpus: %zu entries, %zu skipped, %u stations (%u synthetic RIs, %u "
                  "stand-ins), %u collectives, %u routers (%u on the catch-all), %u routes, "
                  "%zu addressee lines, %zu unusable; %.2f s\n",
                  st.entries, st.skipped, st.stations, st.synthetic_ris, st.stand_ins,
                  st.collectives, st.routers, st.catch_all, st.routes, st.addressees, st.unusable,
                  now_s() - t0);
    assert_int_equal(errs.n, 0);
    assert_true(st.stations >= 500);
    assert_true(st.routers >= 5);
    assert_int_equal(st.unusable, 0);
    assert_string_equal(st.hub, "relay-rueh");

    net = load(yaml, len);
    /* The big prefix groups of the corpus have routers of their own. */
    assert_string_equal(route_for(net, "RUEH"), "relay-rueh");
    assert_string_equal(route_for(net, "RUCN"), "relay-rucn");
    assert_string_equal(route_for(net, "RHMF"), "relay-rhmf");
    assert_string_equal(route_for(net, "RUEK"), "relay-ruek");
    assert_string_equal(route_for(net, "RUEA"), "relay-ruea");
    assert_string_equal(router_of(net, station(net, "RUEHC")), "relay-rueh");
    assert_true(net_collective_by_ri(net, "RUEHZL", 6) >= 0);

    r = check_all_resolve(&cp, net);
    assert_int_equal(r.cables, st.entries - st.skipped);
    assert_int_equal(r.lines, st.addressees);

    assert_int_equal(net_gen_from_corpus(&cp, NULL, &again, &len2, NULL, NULL), 0);
    assert_int_equal(len2, len);
    assert_memory_equal(again, yaml, len);
    free(again);
    free(yaml);
    net_free(net);
    cable_corpus_destroy(&cp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stations),
        cmocka_unit_test(test_collectives),
        cmocka_unit_test(test_routers_by_prefix),
        cmocka_unit_test(test_routers_catch_all),
        cmocka_unit_test(test_every_addressee_resolves),
        cmocka_unit_test(test_deterministic_yaml),
        cmocka_unit_test(test_odd_addresses),
        cmocka_unit_test(test_options_and_empty),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_command),
        cmocka_unit_test(test_real_corpus),
    };
    return cmocka_run_group_tests_name("network_gen", tests, NULL, NULL);
}
