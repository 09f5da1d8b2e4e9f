/*
 * test_network.c - the network model (corpus/network.h): the bundled sample
 * network, lookups, defaults and overrides, one test per class of problem a
 * network file can have (each asserting the exact line and column), and
 * inputs that must be refused without a crash: empty, binary, deeply nested,
 * aliased, and every prefix of the sample.
 */
#include "testutil.h"
#include "network.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static net_network_t *load_str(const char *yaml, net_errors_t *errs)
{
    return net_load_mem("t.yaml", yaml, strlen(yaml), errs);
}

static void dump_errors(const net_errors_t *errs)
{
    net_errors_fprint(stderr, "t.yaml", errs);
}

/* The load fails, and one of its errors is at line:col and says 'needle'. */
static void expect_error(const char *yaml, uint32_t line, uint32_t col, const char *needle)
{
    net_errors_t   errs = {0};
    net_network_t *net = load_str(yaml, &errs);
    bool           found = false;

    assert_null(net);
    assert_true(errs.n > 0);
    for (uint32_t i = 0; i < errs.n; i++)
        if (errs.v[i].line == line && errs.v[i].col == col && strstr(errs.v[i].message, needle))
            found = true;
    if (!found) {
        dump_errors(&errs);
        fail_msg("no error at %u:%u containing \"%s\"", line, col, needle);
    }
    net_errors_destroy(&errs);
}

/* The load fails with exactly one error, at line:col, saying 'needle'. */
static void expect_only_error(const char *yaml, uint32_t line, uint32_t col, const char *needle)
{
    net_errors_t   errs = {0};
    net_network_t *net = load_str(yaml, &errs);

    assert_null(net);
    if (errs.n != 1) {
        dump_errors(&errs);
        fail_msg("expected one error, got %u", errs.n);
    }
    net_errors_destroy(&errs);
    expect_error(yaml, line, col, needle);
}

static net_network_t *load_ok(const char *yaml)
{
    net_errors_t   errs = {0};
    net_network_t *net = load_str(yaml, &errs);
    if (!net) {
        dump_errors(&errs);
        fail_msg("the network did not load");
    }
    assert_int_equal(errs.n, 0);
    return net;
}

/* ---- the bundled sample ---------------------------------------------------- */

static char *sample_text(size_t *len)
{
    char  path[4096];
    char *buf;
    snprintf(path, sizeof(path), "%s/network.yaml", tu_sample_dir());
    buf = tu_read_file(path, len);
    assert_non_null(buf);
    return buf;
}

static int sample_setup(void **state)
{
    char           path[4096];
    net_errors_t   errs = {0};
    net_network_t *net;

    snprintf(path, sizeof(path), "%s/network.yaml", tu_sample_dir());
    net = net_load(path, &errs);
    if (!net)
        net_errors_fprint(stderr, path, &errs);
    net_errors_destroy(&errs);
    *state = net;
    return net ? 0 : -1;
}

static int sample_teardown(void **state)
{
    net_free(*state);
    return 0;
}

static int32_t ri(const net_network_t *net, const char *s)
{
    return net_station_by_ri(net, s, strlen(s));
}

static int32_t pla(const net_network_t *net, const char *s)
{
    return net_station_by_pla(net, s, strlen(s));
}

static void test_sample_counts(void **state)
{
    const net_network_t *net = *state;
    uint32_t             on_first = 0;

    assert_int_equal(net->n_routers, 3);
    assert_int_equal(net->n_stations, 98);
    assert_int_equal(net->n_collectives, 5);
    assert_int_equal(net->n_trunks, 2);
    assert_int_equal(net->n_routes, 8);
    assert_string_equal(net->routers[0].name, "state-switch");
    assert_string_equal(net->routers[0].listen_host, "127.0.0.1");
    for (uint32_t i = 0; i < net->n_routers; i++) {
        assert_int_equal(net->routers[i].listen_port, 47101 + i);
        assert_int_equal(net_router_by_name(net, net->routers[i].name), (int32_t)i);
    }
    assert_int_equal(net_router_by_name(net, "nowhere"), -1);
    assert_true(net->routers[0].processing_ms > 0);
    for (uint32_t i = 0; i < net->n_stations; i++) {
        const net_station_t *st = &net->stations[i];
        if (st->router == 0)
            on_first++;
        assert_true(st->n_pla >= 1);
        assert_non_null(st->host);
        assert_int_equal(ri(net, st->ri), (int32_t)i);
        for (uint32_t j = 0; j < st->n_pla; j++)
            assert_int_equal(pla(net, st->pla[j]), (int32_t)i);
    }
    assert_true(on_first >= 64);
    assert_true(on_first < net->n_stations); /* the other routers have stations too */
    assert_int_equal(net->default_router, 0);
}

static void test_sample_lookup_by_ri(void **state)
{
    const net_network_t *net = *state;
    int32_t              c = ri(net, "RUEHC"), lo = ri(net, "RUEHLO"), jcs = ri(net, "RUEKJCS");

    assert_true(c >= 0 && lo >= 0 && jcs >= 0);
    assert_string_equal(net->stations[c].pla[0], "SECSTATE WASHDC");
    assert_int_equal(net->stations[c].kind, NET_KIND_DEPARTMENT);
    assert_string_equal(net_kind_name(net->stations[c].kind), "department");
    assert_string_equal(net->stations[lo].pla[0], "AMEMBASSY LONDON");
    assert_int_equal(net->stations[lo].kind, NET_KIND_MISSION);
    assert_string_equal(net_kind_name(net->stations[lo].kind), "mission");
    assert_string_equal(net->routers[net->stations[jcs].router].name, "dod-relay");
    /* The length bounds the key: "RUEHCV" cut at 5 is RUEHC. */
    assert_int_equal(net_station_by_ri(net, "RUEHCV", 5), c);
    assert_int_not_equal(net_station_by_ri(net, "RUEHCV", 6), c);
    assert_int_equal(ri(net, "RUEHQQQ"), -1);
    assert_int_equal(ri(net, "ruehc"), -1);
    assert_int_equal(ri(net, ""), -1);
    assert_int_equal(net_station_by_ri(net, NULL, 0), -1);
    /* A collective's RI is not a station's. */
    assert_int_equal(ri(net, "RUEHZL"), -1);
}

static void test_sample_lookup_by_messy_pla(void **state)
{
    const net_network_t *net = *state;

    assert_int_equal(pla(net, "AMEMBASSY LONDON"), ri(net, "RUEHLO"));
    assert_int_equal(pla(net, "AMEMBASSY  LONDON"), ri(net, "RUEHLO"));
    assert_int_equal(pla(net, "  amembassy \t London \r\n"), ri(net, "RUEHLO"));
    assert_int_equal(pla(net, "SecState WashDC"), ri(net, "RUEHC"));
    assert_int_equal(pla(net, "secdef washdc"), ri(net, "RUEKJCS"));
    assert_int_equal(pla(net, "JOINT STAFF WASHINGTON DC"), ri(net, "RUEKJCS"));
    /* One RI, many addresses. */
    assert_int_equal(pla(net, "HQ USCENTCOM MACDILL AFB FL"), ri(net, "RHMFISS"));
    assert_int_equal(pla(net, "CDR USSOUTHCOM  MIAMI FL"), ri(net, "RHMFISS"));
    assert_int_equal(pla(net, "USDELMC BRUSSELS BE"), ri(net, "RUEHNO"));
    /* The length bounds the query. */
    assert_int_equal(net_station_by_pla(net, "AMEMBASSY PARIS/EXTRA", 15), ri(net, "RUEHFR"));
    assert_int_equal(pla(net, "AMEMBASSY LONDONX"), -1);
    assert_int_equal(pla(net, "AMEMBASSY LON DON"), -1);
    assert_int_equal(pla(net, "AMEMBASSY"), -1);
    assert_int_equal(pla(net, ""), -1);
    assert_int_equal(pla(net, "   "), -1);
    assert_int_equal(net_station_by_pla(net, NULL, 0), -1);
    /* A collective's address is in the directory, but names no station. */
    assert_int_equal(pla(net, "ARAB LEAGUE COLLECTIVE"), -1);
}

static void test_sample_collectives(void **state)
{
    const net_network_t    *net = *state;
    int32_t                 zl = net_collective_by_ri(net, "RUEHZL", 6);
    const net_collective_t *c;
    const net_dir_entry_t  *e;
    bool                    has_london = false;

    assert_true(zl >= 0);
    c = &net->collectives[zl];
    assert_string_equal(c->pla, "EUROPEAN POLITICAL COLLECTIVE");
    assert_true(c->n_members >= 2);
    for (uint32_t i = 0; i < c->n_members; i++) {
        assert_int_equal(ri(net, c->members[i]), (int32_t)c->member_stations[i]);
        if (strcmp(c->members[i], "RUEHLO") == 0)
            has_london = true;
    }
    assert_true(has_london);
    assert_int_equal(net_collective_by_pla(net, "european  political collective", 30), zl);
    assert_int_equal(net_collective_by_pla(net, "AMEMBASSY LONDON", 16), -1);
    assert_int_equal(net_collective_by_ri(net, "RUEHC", 5), -1);
    assert_int_equal(net_collective_by_ri(net, "RUEHXK", 6) >= 0, 1);
    assert_int_equal(net_collective_by_ri(net, "RUEHZM", 6) >= 0, 1);
    assert_int_equal(net_collective_by_ri(net, "RUEHEE", 6) >= 0, 1);
    e = net_dir_lookup(net, "Arab Israeli Collective", 23);
    assert_non_null(e);
    assert_int_equal(e->station, -1);
    assert_int_equal(e->collective, net_collective_by_ri(net, "RUEHXK", 6));
    e = net_dir_lookup(net, "AMEMBASSY CAIRO", 15);
    assert_non_null(e);
    assert_int_equal(e->station, ri(net, "RUEHEG"));
    assert_int_equal(e->collective, -1);
    assert_null(net_dir_lookup(net, "NOWHERE", 7));
}

static void test_sample_closed_windows(void **state)
{
    const net_network_t *net = *state;
    const net_station_t *tripoli = &net->stations[ri(net, "RUEHTRO")];
    const net_station_t *kabul = &net->stations[ri(net, "RUEHBUL")];
    const net_station_t *london = &net->stations[ri(net, "RUEHLO")];

    assert_int_equal(tripoli->n_closed, 1);
    assert_int_equal(tripoli->closed[0].from, 1244592000); /* 2009-06-10T00:00:00Z */
    assert_int_equal(tripoli->closed[0].to, 1244764800);   /* 2009-06-12T00:00:00Z */
    assert_false(net_station_closed(tripoli, 1244592000 - 1));
    assert_true(net_station_closed(tripoli, 1244592000));
    assert_true(net_station_closed(tripoli, 1244764800 - 1));
    assert_false(net_station_closed(tripoli, 1244764800)); /* 'to' is exclusive */
    assert_int_equal(kabul->n_closed, 2);
    assert_true(net_station_closed(kabul, 1257136200));      /* 2009-11-02T04:30:00Z */
    assert_false(net_station_closed(kabul, 1257179400));     /* 2009-11-02T16:30:00Z */
    assert_true(net_station_closed(kabul, 1250726400 + 60)); /* 2009-08-20T00:01:00Z */
    assert_int_equal(london->n_closed, 0);
    assert_false(net_station_closed(london, 1244592000));
}

static void test_sample_links(void **state)
{
    const net_network_t *net = *state;
    const net_station_t *c = &net->stations[ri(net, "RUEHC")];
    const net_station_t *rk = &net->stations[ri(net, "RUEHRK")];
    const net_station_t *kabul = &net->stations[ri(net, "RUEHBUL")];
    const net_station_t *cairo = &net->stations[ri(net, "RUEHEG")];

    /* links.defaults */
    assert_int_equal(net->station_link_defaults.bps, 9600);
    assert_true(net->station_link_defaults.latency_ms == 80.0);
    assert_true(net->station_link_defaults.o_preempts);
    assert_int_equal(net->station_link_defaults.ram_budget_mib, 8);
    /* A station without an override has the defaults. */
    assert_int_equal(cairo->link.bps, 9600);
    assert_true(cairo->link.latency_ms == 80.0);
    assert_true(cairo->link.o_preempts);
    assert_int_equal(cairo->link.ram_budget_mib, 8);
    /* Overrides change what they name and keep the rest. */
    assert_int_equal(c->link.bps, 56000);
    assert_true(c->link.latency_ms == 2.0);
    assert_int_equal(c->link.ram_budget_mib, 64);
    assert_true(c->link.o_preempts);
    assert_int_equal(rk->link.bps, 4800);
    assert_false(rk->link.o_preempts);
    assert_int_equal(kabul->link.bps, 9600);
    assert_true(kabul->link.latency_ms == 600.0);
    /* Trunks: trunk_defaults, and a trunk's own values. */
    assert_int_equal(net->trunk_link_defaults.bps, 1544000);
    assert_int_equal(net->trunks[0].a, 0);
    assert_int_equal(net->trunks[0].b, 1);
    assert_int_equal(net->trunks[0].link.bps, 1544000);
    assert_true(net->trunks[0].link.latency_ms == 5.0);
    assert_int_equal(net->trunks[0].link.ram_budget_mib, 32);
    assert_int_equal(net->trunks[1].link.bps, 256000);
    assert_true(net->trunks[1].link.latency_ms == 8.0);
    assert_true(net->trunks[1].link.o_preempts);
}

static void test_sample_routes_hosts_delays(void **state)
{
    const net_network_t *net = *state;
    int32_t              sw = net_router_by_name(net, "state-switch");
    int32_t              dod = net_router_by_name(net, "dod-relay");
    int32_t              civ = net_router_by_name(net, "civil-relay");

    assert_int_equal(net_route_lookup(net, "RUEHLO", 6), sw);
    assert_int_equal(net_route_lookup(net, "RHMFISS", 7), dod);
    assert_int_equal(net_route_lookup(net, "RUEKJCS", 7), dod);
    assert_int_equal(net_route_lookup(net, "RHEBAAA", 7), civ); /* longest prefix wins */
    assert_int_equal(net_route_lookup(net, "RUCNDT", 6), civ);
    assert_int_equal(net_route_lookup(net, "QQQQ", 4), sw); /* the default */
    assert_int_equal(net_route_lookup(net, "RH", 2), dod);
    assert_int_equal(net_route_lookup(net, "RUEHLO", 3), sw); /* "RUE": no prefix, default */
    assert_string_equal(net->stations[ri(net, "RUEHCV")].host, "posts-wha");
    assert_string_equal(net->stations[ri(net, "RUEHLO")].host, "state-switch");
    assert_string_equal(net->stations[ri(net, "RUEAIIA")].host, "civil-relay");
    assert_true(net->stations[ri(net, "RUEHBUL")].operator_delay_s == 300.0);
    assert_true(net->stations[ri(net, "RUEHLO")].operator_delay_s == NET_DEFAULT_OPERATOR_DELAY_S);
    assert_true(net->stations[ri(net, "RUEHLO")].line > 0);
    assert_true(net->routers[2].line > net->routers[0].line);
}

/* ---- small files: defaults ------------------------------------------------- */

static void test_minimal_defaults(void **state)
{
    net_network_t *net;
    (void)state;

    net = load_ok("routers:\n"
                  "  - name: wash\n"
                  "    listen: localhost:47101\n"
                  "stations:\n"
                  "  - ri: RUEHC\n"
                  "    pla: SECSTATE WASHDC\n"
                  "    router: wash\n"
                  "  - {ri: RUEHLO, pla: '  amembassy   london ', router: wash, kind: mission}\n");
    assert_int_equal(net->n_routers, 1);
    assert_string_equal(net->routers[0].listen_host, "localhost");
    assert_true(net->routers[0].processing_ms == 0.0);
    assert_int_equal(net->n_stations, 2);
    assert_int_equal(net->stations[0].kind, NET_KIND_MISSION);
    assert_string_equal(net->stations[0].host, "wash");
    assert_true(net->stations[0].operator_delay_s == NET_DEFAULT_OPERATOR_DELAY_S);
    assert_int_equal(net->stations[0].link.bps, NET_DEFAULT_STATION_BPS);
    assert_true(net->stations[0].link.latency_ms == NET_DEFAULT_STATION_LATENCY);
    assert_true(net->stations[0].link.latency_ms > 0);
    assert_false(net->stations[0].link.o_preempts);
    assert_int_equal(net->stations[0].link.ram_budget_mib, NET_DEFAULT_RAM_BUDGET_MIB);
    assert_int_equal(net->trunk_link_defaults.bps, NET_DEFAULT_TRUNK_BPS);
    assert_int_equal(net->n_trunks, 0);
    assert_int_equal(net->n_collectives, 0);
    assert_int_equal(net->default_router, -1);
    assert_int_equal(net_route_lookup(net, "RUEHC", 5), -1);
    /* Addresses are kept in their canonical form. */
    assert_string_equal(net->stations[1].pla[0], "AMEMBASSY LONDON");
    assert_string_equal(net->file, "t.yaml");
    net_free(net);
}

static void test_ipv6_listen_and_numbers(void **state)
{
    net_network_t *net;
    (void)state;

    net = load_ok("routers:\n"
                  "  - {name: a, listen: '[::1]:47101', processing_ms: 2.5}\n"
                  "  - {name: b, listen: 10.0.0.2:47102, processing_ms: 1e1}\n"
                  "stations:\n"
                  "  - {ri: RUEHC, pla: X, router: a, operator_delay_s: 0}\n"
                  "trunks:\n"
                  "  - {a: b, b: a, bps: 64000, latency_ms: 0, o_preempts: True}\n"
                  "routes:\n"
                  "  default: b\n");
    assert_string_equal(net->routers[0].listen_host, "::1");
    assert_int_equal(net->routers[0].listen_port, 47101);
    assert_true(net->routers[0].processing_ms == 2.5);
    assert_true(net->routers[1].processing_ms == 10.0);
    assert_true(net->stations[0].operator_delay_s == 0.0);
    assert_int_equal(net->trunks[0].link.bps, 64000);
    assert_true(net->trunks[0].link.o_preempts);
    assert_int_equal(net->default_router, 1);
    assert_int_equal(net_route_lookup(net, "RUEHC", 5), 1);
    net_free(net);
}

/* ---- one test per class of problem ---------------------------------------- */

#define ROUTER_WASH "routers:\n  - {name: wash, listen: '127.0.0.1:47101'}\n" /* lines 1-2 */
#define STATIONS_C "stations:\n  - {ri: RUEHC, pla: SECSTATE WASHDC, router: wash}\n" /* 3-4 */

static void test_err_yaml_syntax(void **state)
{
    (void)state;
    expect_only_error(ROUTER_WASH "stations:\n  - {ri: RUEHC, pla: [A, B}\n", 4, 27,
                      "YAML syntax error");
    expect_only_error("routers:\n  - name: a\n   listen: x\n", 3, 4, "YAML syntax error");
    expect_only_error("routers: 'open\n", 2, 1, "YAML syntax error");
}

static void test_err_wrong_types(void **state)
{
    (void)state;
    expect_error("routers: {name: wash}\n" STATIONS_C, 1, 10, "'routers' must be a list");
    expect_error(ROUTER_WASH "stations:\n  - RUEHC\n", 4, 5, "a station must be a mapping");
    expect_error(ROUTER_WASH "stations:\n  - {ri: [RUEHC], pla: X, router: wash}\n", 4, 10,
                 "'ri' must be a string, got a list");
    expect_error(ROUTER_WASH "stations:\n  - {ri: RUEHC, pla: {a: b}, router: wash}\n", 4, 22,
                 "'pla' must be a string, got a mapping");
    expect_error(ROUTER_WASH "stations:\n  - {ri: RUEHC, pla: X, router: }\n", 4, 33,
                 "'router' must be a string, got nothing");
    expect_error(ROUTER_WASH STATIONS_C "links: [1]\n", 5, 8, "'links' must be a mapping");
    expect_error("- a\n- b\n", 1, 1, "a network file must be a mapping");
    expect_error("just a word\n", 1, 1, "a network file must be a mapping");
}

static void test_err_unknown_key(void **state)
{
    (void)state;
    expect_only_error(ROUTER_WASH STATIONS_C "stationz: []\n", 5, 1,
                      "unknown key 'stationz' in a network file; allowed keys: routers, "
                      "stations, links, trunks, collectives, routes");
    expect_only_error(
        ROUTER_WASH "stations:\n  - {ri: RUEHC, pla: SECSTATE WASHDC, router: wash, colour: red}\n",
        4, 53,
        "unknown key 'colour' in a station; allowed keys: ri, pla, kind, router, "
        "host, closed, operator_delay_s");
    expect_only_error(ROUTER_WASH STATIONS_C "links:\n  defaults: {speed: 9600}\n", 6, 14,
                      "unknown key 'speed' in 'links.defaults'; allowed keys: bps, latency_ms, "
                      "o_preempts, ram_budget_mib");
    expect_only_error(ROUTER_WASH STATIONS_C "routes:\n  - {prefix: RUEH, router: wash}\n", 6, 3,
                      "'routes' must be a mapping");
}

static void test_err_missing_key(void **state)
{
    (void)state;
    expect_only_error(ROUTER_WASH, 1, 1, "missing required key 'stations' in a network file");
    expect_error(STATIONS_C, 1, 1, "missing required key 'routers'");
    expect_only_error(ROUTER_WASH "stations:\n  - {pla: X, router: wash}\n", 4, 5,
                      "missing required key 'ri' in a station");
    expect_only_error(ROUTER_WASH "stations:\n  - ri: RUEHC\n    router: wash\n", 4, 5,
                      "missing required key 'pla' in a station");
    expect_only_error("routers:\n  - {name: wash}\n" STATIONS_C, 2, 5,
                      "missing required key 'listen' in a router");
    expect_only_error(ROUTER_WASH STATIONS_C "collectives:\n  - {ri: RUEHXK, pla: ARAB}\n", 6, 5,
                      "missing required key 'members' in a collective");
    expect_only_error(ROUTER_WASH
                      "stations:\n  - {ri: RUEHC, pla: X, router: wash, closed: [{from: "
                      "2009-05-01T00:00:00Z}]}\n",
                      4, 48, "missing required key 'to' in a closed window");
}

static void test_err_duplicate_key(void **state)
{
    (void)state;
    expect_only_error(ROUTER_WASH "stations:\n  - {ri: RUEHC, pla: X, router: wash, ri: RUEHLO}\n",
                      4, 39, "key 'ri' appears twice in a station (first at line 4)");
    expect_only_error(ROUTER_WASH STATIONS_C "routers: []\n", 5, 1,
                      "key 'routers' appears twice in a network file (first at line 1)");
}

static void test_err_duplicate_station_ri(void **state)
{
    (void)state;
    expect_only_error(ROUTER_WASH STATIONS_C
                      "  - {ri: RUEHLO, pla: AMEMBASSY LONDON, router: wash}\n"
                      "  - {ri: RUEHC, pla: DOI WASHDC, router: wash}\n",
                      6, 10, "station RI 'RUEHC' is defined twice (first at line 4)");
}

static void test_err_duplicate_pla(void **state)
{
    (void)state;
    /* Between stations, after normalisation. */
    expect_only_error(ROUTER_WASH STATIONS_C "  - {ri: RUEHLO, pla: [AMEMBASSY LONDON, secstate  "
                                             "washdc], router: wash}\n",
                      5, 42,
                      "plain-language address 'SECSTATE WASHDC' already names station RUEHC "
                      "(line 4)");
    /* A collective taking a station's address. */
    expect_only_error(ROUTER_WASH STATIONS_C
                      "collectives:\n  - {ri: RUEHXK, pla: SECSTATE WASHDC, members: [RUEHC]}\n",
                      6, 23, "already names station RUEHC (line 4)");
    /* A station taking a collective's address (the collective comes later in the file). */
    expect_only_error(ROUTER_WASH "stations:\n  - {ri: RUEHC, pla: [SECSTATE WASHDC, GULF], "
                                  "router: wash}\n"
                                  "collectives:\n  - {ri: RUEHZM, pla: gulf, members: [RUEHC]}\n",
                      6, 23, "plain-language address 'GULF' already names station RUEHC");
    /* Twice in one station's list. */
    expect_only_error(ROUTER_WASH "stations:\n  - {ri: RUEHC, pla: [A B, a  b], router: wash}\n", 4,
                      28, "'A B' already names station RUEHC");
}

static void test_err_unknown_router(void **state)
{
    (void)state;
    expect_only_error(ROUTER_WASH "stations:\n  - {ri: RUEHC, pla: X, router: london}\n", 4, 33,
                      "'router' names an unknown router 'london'");
}

static void test_err_route_unknown_router(void **state)
{
    (void)state;
    expect_only_error(ROUTER_WASH STATIONS_C "routes:\n"
                                             "  prefixes:\n"
                                             "    - {prefix: RUEH, router: wash}\n"
                                             "    - {prefix: RH, router: pentagon}\n",
                      8, 28, "'router' names an unknown router 'pentagon'");
    expect_only_error(ROUTER_WASH STATIONS_C "routes:\n  default: relay\n", 6, 12,
                      "'default' names an unknown router 'relay'");
    expect_error(ROUTER_WASH STATIONS_C "routes:\n"
                                        "  prefixes:\n"
                                        "    - {prefix: RUEH, router: wash}\n"
                                        "    - {prefix: rueh1, router: wash}\n"
                                        "    - {prefix: RUEH, router: wash}\n",
                 8, 16, "malformed RI prefix 'rueh1'");
    expect_only_error(ROUTER_WASH STATIONS_C "routes:\n"
                                             "  prefixes:\n"
                                             "    - {prefix: RUEH, router: wash}\n"
                                             "    - {prefix: RUEH, router: wash}\n",
                      8, 16, "prefix 'RUEH' has two routes (first at line 7)");
}

#define ROUTERS_AB                                                                                 \
    "routers:\n  - {name: a, listen: '127.0.0.1:1'}\n  - {name: b, listen: '127.0.0.1:2'}\n"       \
    "stations:\n  - {ri: RUEHC, pla: X, router: a}\n" /* lines 1-5 */

static void test_err_trunks(void **state)
{
    (void)state;
    expect_only_error(ROUTERS_AB "trunks:\n  - {a: a, b: c}\n", 7, 15,
                      "'b' names an unknown router 'c'");
    expect_only_error(ROUTERS_AB "trunks:\n  - {a: a, b: b}\n  - {a: b, b: b}\n", 8, 15,
                      "a trunk joins two different routers; both ends are 'b'");
    expect_only_error(ROUTERS_AB "trunks:\n  - {a: a, b: b}\n  - {a: b, b: a}\n", 8, 5,
                      "routers 'b' and 'a' already have a trunk (line 7)");
    expect_only_error(ROUTERS_AB "trunks:\n  - {a: a}\n", 7, 5,
                      "missing required key 'b' in a trunk");
    /* Two routers without a trunk cannot deliver to each other. */
    expect_only_error(ROUTERS_AB, 3, 12, "router 'b' has no chain of trunks to router 'a'");
}

static void test_err_collective_member(void **state)
{
    (void)state;
    expect_only_error(ROUTER_WASH STATIONS_C
                      "collectives:\n  - {ri: RUEHXK, pla: ARAB ISRAELI COLLECTIVE, members: "
                      "[RUEHC, RUEHTV]}\n",
                      6, 65, "member 'RUEHTV' is not the RI of a station of this file");
    expect_only_error(ROUTER_WASH STATIONS_C
                      "collectives:\n  - {ri: RUEHXK, pla: ARAB, members: [RUEHC, RUEHC]}\n",
                      6, 46, "member 'RUEHC' is listed twice");
    expect_only_error(ROUTER_WASH STATIONS_C
                      "collectives:\n  - {ri: RUEHXK, pla: ARAB, members: []}\n",
                      6, 38, "'members' must not be empty");
    expect_only_error(ROUTER_WASH STATIONS_C
                      "collectives:\n  - {ri: RUEHC, pla: ARAB, members: [RUEHC]}\n",
                      6, 10, "collective RI 'RUEHC' is already a station's (line 4)");
    expect_only_error(ROUTER_WASH STATIONS_C
                      "collectives:\n  - {ri: RUEHXK, pla: [A, B], members: [RUEHC]}\n",
                      6, 23, "the 'pla' of a collective is one string");
}

static void test_err_malformed_ri(void **state)
{
    (void)state;
    expect_only_error(ROUTER_WASH "stations:\n  - {ri: RUEhC, pla: X, router: wash}\n", 4, 10,
                      "malformed routing indicator 'RUEhC': 4 to 7 capital letters");
    expect_only_error(ROUTER_WASH "stations:\n  - {ri: RUE, pla: X, router: wash}\n", 4, 10,
                      "malformed routing indicator 'RUE'");
    expect_only_error(ROUTER_WASH "stations:\n  - {ri: RUEHABCD, pla: X, router: wash}\n", 4, 10,
                      "malformed routing indicator 'RUEHABCD'");
    expect_only_error(ROUTER_WASH "stations:\n  - {ri: 12345, pla: X, router: wash}\n", 4, 10,
                      "malformed routing indicator '12345'");
}

static void test_err_malformed_listen(void **state)
{
    (void)state;
    expect_only_error("routers:\n  - {name: wash, listen: '127.0.0.1'}\n" STATIONS_C, 2, 26,
                      "malformed listen address '127.0.0.1': HOST:PORT expected");
    expect_only_error("routers:\n  - {name: wash, listen: '127.0.0.1:0'}\n" STATIONS_C, 2, 26,
                      "the port must be a number from 1 to 65535");
    expect_only_error("routers:\n  - {name: wash, listen: '127.0.0.1:65536'}\n" STATIONS_C, 2, 26,
                      "the port must be a number from 1 to 65535");
    expect_only_error("routers:\n  - {name: wash, listen: '127.0.0.256:1'}\n" STATIONS_C, 2, 26,
                      "the host is not a valid IPv4 address");
    expect_only_error("routers:\n  - {name: wash, listen: ':47101'}\n" STATIONS_C, 2, 26,
                      "the host is missing");
    expect_only_error("routers:\n  - {name: wash, listen: '[fe80::zz]:1'}\n" STATIONS_C, 2, 26,
                      "not a valid IPv6 address");
    expect_only_error("routers:\n  - {name: wash, listen: 'a b:1'}\n" STATIONS_C, 2, 26,
                      "not a valid host name");
    expect_error("routers:\n  - {name: wash, listen: 'x:1'}\n  - {name: b, listen: 'x:1'}\n", 3, 23,
                 "listen address 'x:1' is used by two routers (first at line 2)");
    expect_error("routers:\n  - {name: 'a/b', listen: 'x:1'}\n" STATIONS_C, 2, 12,
                 "malformed router name 'a/b'");
}

static void test_err_time_windows(void **state)
{
    (void)state;
    expect_only_error(ROUTER_WASH
                      "stations:\n"
                      "  - ri: RUEHC\n"
                      "    pla: X\n"
                      "    router: wash\n"
                      "    closed:\n"
                      "      - {from: 2009-05-03T00:00:00Z, to: 2009-05-01T00:00:00Z}\n",
                      8, 42, "a closed window must end after it starts");
    expect_only_error(ROUTER_WASH
                      "stations:\n"
                      "  - ri: RUEHC\n"
                      "    pla: X\n"
                      "    router: wash\n"
                      "    closed:\n"
                      "      - {from: 2009-05-01T00:00:00Z, to: 2009-05-01T00:00:00Z}\n",
                      8, 42, "a closed window must end after it starts");
    expect_only_error(ROUTER_WASH
                      "stations:\n"
                      "  - ri: RUEHC\n"
                      "    pla: X\n"
                      "    router: wash\n"
                      "    closed:\n"
                      "      - {from: 2009-02-29T00:00:00Z, to: 2009-03-01T00:00:00Z}\n",
                      8, 16, "'from' must be a UTC time like 2009-05-01T00:00:00Z that exists");
    /* Both ends are checked, each at its place. */
    expect_error(ROUTER_WASH "stations:\n"
                             "  - ri: RUEHC\n"
                             "    pla: X\n"
                             "    router: wash\n"
                             "    closed:\n"
                             "      - {from: 2009-05-01, to: 2009-05-02T00:00:00+01:00}\n",
                 8, 16, "'from' must be a UTC time");
    expect_error(ROUTER_WASH "stations:\n"
                             "  - ri: RUEHC\n"
                             "    pla: X\n"
                             "    router: wash\n"
                             "    closed:\n"
                             "      - {from: 2009-05-01, to: 2009-05-02T00:00:00+01:00}\n",
                 8, 32, "'to' must be a UTC time");
    /* A leap day that exists. */
    net_network_t *net = load_ok(ROUTER_WASH "stations:\n  - {ri: RUEHC, pla: X, router: wash, "
                                             "closed: [{from: 2000-02-29T23:59:59Z, to: "
                                             "2000-03-01T00:00:00Z}]}\n");
    assert_int_equal(net->stations[0].closed[0].from, 951868799);
    assert_int_equal(net->stations[0].closed[0].to, 951868800);
    net_free(net);
}

static void test_err_numbers(void **state)
{
    (void)state;
    expect_only_error(ROUTER_WASH STATIONS_C "links:\n  defaults: {bps: 0}\n", 6, 19,
                      "'bps' must be a whole number from 1 to 100000000000, got '0'");
    expect_only_error(ROUTER_WASH STATIONS_C "links:\n  defaults: {bps: -9600}\n", 6, 19,
                      "'bps' must be a whole number");
    expect_only_error(ROUTER_WASH STATIONS_C "links:\n  defaults: {bps: 9600.5}\n", 6, 19,
                      "'bps' must be a whole number");
    expect_only_error(ROUTER_WASH STATIONS_C "links:\n  defaults: {bps: fast}\n", 6, 19,
                      "'bps' must be a number, got 'fast'");
    expect_only_error(ROUTER_WASH STATIONS_C "links:\n  defaults: {bps: '9600'}\n", 6, 19,
                      "'bps' must be a number, got a quoted string");
    expect_only_error(ROUTER_WASH STATIONS_C "links:\n  defaults: {bps: 0x2580}\n", 6, 19,
                      "'bps' must be a number");
    expect_only_error(ROUTER_WASH STATIONS_C "links:\n  defaults: {latency_ms: -1}\n", 6, 26,
                      "'latency_ms' must be a number from 0 to 600000");
    expect_only_error(ROUTER_WASH STATIONS_C "links:\n  defaults: {latency_ms: .inf}\n", 6, 26,
                      "'latency_ms' must be a number");
    expect_only_error(ROUTER_WASH STATIONS_C "links:\n  defaults: {ram_budget_mib: 0}\n", 6, 30,
                      "'ram_budget_mib' must be a whole number from 1 to 65536");
    expect_only_error(ROUTER_WASH STATIONS_C "links:\n  defaults: {o_preempts: yes}\n", 6, 26,
                      "'o_preempts' must be true or false, got 'yes'");
    expect_only_error(ROUTER_WASH STATIONS_C "trunks: []\nlinks:\n  trunk_defaults: {bps: 0}\n", 7,
                      25, "'bps' must be a whole number");
    expect_only_error(ROUTER_WASH "stations:\n  - {ri: RUEHC, pla: X, router: wash, "
                                  "operator_delay_s: -5}\n",
                      4, 57, "'operator_delay_s' must be a number from 0 to 86400");
    expect_only_error(
        "routers:\n  - {name: wash, listen: 'x:1', processing_ms: 1e400}\n" STATIONS_C, 2, 48,
        "'processing_ms' must be a number");
}

static void test_err_link_overrides(void **state)
{
    (void)state;
    expect_only_error(ROUTER_WASH STATIONS_C "links:\n  stations:\n    - {ri: RUEHLO, bps: 100}\n",
                      7, 12, "link for an unknown station 'RUEHLO'");
    expect_only_error(ROUTER_WASH STATIONS_C "links:\n  stations:\n    - {ri: RUEHC, bps: 100}\n"
                                             "    - {ri: RUEHC, bps: 200}\n",
                      8, 12, "the link of station 'RUEHC' is given twice (first at line 7)");
    expect_only_error(ROUTER_WASH STATIONS_C "links:\n  stations:\n    - {bps: 100}\n", 7, 7,
                      "missing required key 'ri' in a station link");
}

static void test_err_aliases_anchors_tags(void **state)
{
    (void)state;
    expect_error(ROUTER_WASH "stations:\n  - &c {ri: RUEHC, pla: X, router: wash}\n  - *c\n", 4, 5,
                 "YAML anchors (&c) are not supported");
    expect_error(ROUTER_WASH "stations:\n  - &c {ri: RUEHC, pla: X, router: wash}\n  - *c\n", 5, 5,
                 "YAML aliases (*c) are not supported");
    expect_only_error(ROUTER_WASH "stations:\n  - {ri: !!str RUEHC, pla: X, router: wash}\n", 4, 10,
                      "YAML tags (!!str) are not supported");
    expect_only_error(ROUTER_WASH STATIONS_C "---\nrouters: []\n", 5, 1,
                      "a network file holds one YAML document");
}

/* A "billion laughs" file must be refused at once, not expanded. */
static void test_billion_laughs(void **state)
{
    char           buf[4096];
    size_t         o = 0;
    net_errors_t   errs = {0};
    net_network_t *net;
    (void)state;

    o += (size_t)snprintf(buf + o, sizeof(buf) - o, "a0: &a0 [lol, lol, lol, lol, lol]\n");
    for (int i = 1; i < 30; i++)
        o +=
            (size_t)snprintf(buf + o, sizeof(buf) - o, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d]\n",
                             i, i, i - 1, i - 1, i - 1, i - 1, i - 1);
    net = net_load_mem("laughs.yaml", buf, o, &errs);
    assert_null(net);
    assert_true(errs.n >= 30);
    net_errors_destroy(&errs);
}

static void test_deep_nesting(void **state)
{
    size_t         n = 100000;
    char          *buf = malloc(n * 2 + 16);
    net_errors_t   errs = {0};
    net_network_t *net;
    (void)state;

    assert_non_null(buf);
    memset(buf, '[', n);
    memset(buf + n, ']', n);
    net = net_load_mem("deep.yaml", buf, 2 * n, &errs);
    assert_null(net);
    assert_int_equal(errs.n, 1);
    assert_int_equal(errs.v[0].line, 1);
    assert_int_equal(errs.v[0].col, 65);
    assert_non_null(strstr(errs.v[0].message, "nested more than 64 levels"));
    net_errors_destroy(&errs);
    /* Block style nesting too. */
    {
        size_t o = 0;
        for (int i = 0; i < 100 && o + 256 < 2 * n; i++) {
            memset(buf + o, ' ', (size_t)i);
            o += (size_t)i;
            o += (size_t)snprintf(buf + o, 16, "k%d:\n", i);
        }
        net = net_load_mem("deep.yaml", buf, o, &errs);
        assert_null(net);
        assert_true(errs.n >= 1);
        net_errors_destroy(&errs);
    }
    free(buf);
}

static void test_too_many_nodes(void **state)
{
    size_t         n = 2100000;
    char          *buf = malloc(n * 2 + 4);
    size_t         o = 0;
    net_errors_t   errs = {0};
    net_network_t *net;
    (void)state;

    assert_non_null(buf);
    buf[o++] = '[';
    for (size_t i = 0; i < n; i++) {
        buf[o++] = '1';
        buf[o++] = ',';
    }
    buf[o - 1] = ']';
    net = net_load_mem("big.yaml", buf, o, &errs);
    assert_null(net);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.v[0].message, "more than 2000000 YAML nodes"));
    net_errors_destroy(&errs);
    free(buf);
}

/* Every problem of a file is listed, in file order, and capped. */
static void test_all_errors_collected_and_sorted(void **state)
{
    net_errors_t   errs = {0};
    net_network_t *net;
    char          *buf;
    size_t         o = 0, cap = 5000 * 64;
    (void)state;

    net = load_str("routers:\n"
                   "  - {name: wash, listen: nowhere}\n"
                   "stations:\n"
                   "  - {ri: RUEHC, pla: X, router: wash}\n"
                   "  - {ri: bad, pla: Y, router: wash}\n"
                   "  - {ri: RUEHLO, pla: x, router: wash}\n"
                   "collectives:\n"
                   "  - {ri: RUEHXK, pla: Z, members: [RUEHQQ]}\n",
                   &errs);
    assert_null(net);
    assert_int_equal(errs.n, 4);
    for (uint32_t i = 1; i < errs.n; i++)
        assert_true(errs.v[i - 1].line <= errs.v[i].line);
    assert_int_equal(errs.v[0].line, 2);
    assert_int_equal(errs.v[3].line, 8);
    /* Appending to a list that already holds errors. */
    net = load_str("", &errs);
    assert_null(net);
    assert_int_equal(errs.n, 5);
    assert_non_null(strstr(errs.v[4].message, "the file is empty"));
    net_errors_destroy(&errs);
    assert_int_equal(errs.n, 0);
    assert_null(errs.v);
    /* NULL for errs is allowed. */
    assert_null(load_str("routers: 1\n", NULL));

    buf = malloc(cap);
    assert_non_null(buf);
    o += (size_t)snprintf(buf + o, cap - o, ROUTER_WASH "stations:\n");
    for (int i = 0; i < 3000; i++)
        o += (size_t)snprintf(buf + o, cap - o, "  - {ri: x%d, pla: P%d, router: wash}\n", i, i);
    net = net_load_mem("many.yaml", buf, o, &errs);
    assert_null(net);
    assert_int_equal(errs.n, NET_MAX_ERRORS + 1);
    assert_int_equal(errs.v[NET_MAX_ERRORS].line, 0);
    assert_non_null(strstr(errs.v[NET_MAX_ERRORS].message, "too many problems"));
    net_errors_destroy(&errs);
    free(buf);
}

static void test_file_errors(void **state)
{
    net_errors_t errs = {0};
    char        *buf;
    size_t       len;
    (void)state;

    assert_null(net_load("/nonexistent/network.yaml", &errs));
    assert_int_equal(errs.n, 1);
    assert_int_equal(errs.v[0].line, 0);
    assert_non_null(strstr(errs.v[0].message, "cannot read the file"));
    net_errors_destroy(&errs);
    assert_int_equal(net_file_read("/nonexistent/network.yaml", &buf, &len), -ENOENT);
    assert_null(buf);
    /* A length beyond the limit is refused before the bytes are looked at. */
    assert_null(net_load_mem("huge.yaml", "routers:", (size_t)NET_MAX_FILE_BYTES + 1, &errs));
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.v[0].message, "larger than 64 MiB"));
    net_errors_destroy(&errs);
}

/* ---- garbage: never a crash ------------------------------------------------- */

static void load_and_drop(const char *buf, size_t len)
{
    net_errors_t   errs = {0};
    net_network_t *net = net_load_mem("g.yaml", buf, len, &errs);
    if (net)
        assert_int_equal(errs.n, 0);
    else
        assert_true(errs.n > 0);
    for (uint32_t i = 0; i < errs.n; i++)
        assert_non_null(errs.v[i].message);
    net_free(net);
    net_errors_destroy(&errs);
}

static void test_garbage_inputs(void **state)
{
    static const char *const cases[] = {
        "",
        "\n\n\n",
        "# only a comment\n",
        "---\n",
        "...\n",
        "~\n",
        "[]\n",
        "{}\n",
        "routers:\n",
        "routers: []\nstations: []\n",
        "routers: [{}]\nstations: [{}]\n",
        "routers: [[[]]]\nstations: {{}: {}}\n",
        "? [a]\n: b\n",
        "routers:\n  - {name: wash, listen: 'x:1'}\nstations:\n  - {ri: RUEHC, pla: \"\\0\", "
        "router: wash}\n",
        "routers: \"\\x01\\u00e9\"\n",
        "\xef\xbb\xbfrouters: 1\n",
        "\t\t\t",
        "%YAML 1.1\n---\na: 1\n",
        "%TAG ! tag:x,2000:\n---\n!foo a: 1\n",
        "a: |\n  block\n  text\nb: >\n  folded\n",
    };
    unsigned char rnd[4096];
    uint32_t      seed = 12345;
    (void)state;

    for (size_t i = 0; i < SIM_ARRAY_LEN(cases); i++)
        load_and_drop(cases[i], strlen(cases[i]));
    load_and_drop("routers\0: 1", 11);
    load_and_drop(NULL, 0);
    for (int round = 0; round < 200; round++) {
        size_t len = (size_t)(round * 20) % sizeof(rnd);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            rnd[i] = (unsigned char)(seed >> 16);
        }
        load_and_drop((const char *)rnd, len);
    }
}

/* Every prefix of the sample: a file cut anywhere must be refused or
 * accepted, never crash (most prefixes end inside a station). */
static void test_sample_every_prefix(void **state)
{
    size_t len;
    char  *text = sample_text(&len);
    (void)state;

    for (size_t n = 0; n <= len; n++) {
        char *copy = malloc(n ? n : 1); /* exact size, so ASan sees any overread */
        assert_non_null(copy);
        memcpy(copy, text, n);
        load_and_drop(copy, n);
        free(copy);
    }
    free(text);
}

/* The sample with one byte changed, at many places: never a crash. */
static void test_sample_mutations(void **state)
{
    static const char bytes[] = {':', '-', '[', '{', '}', ']',  ' ',  '\n',       '\'', '"',
                                 '&', '*', '!', '0', 'a', '\t', '\0', (char)0xff, '#',  ','};
    size_t            len;
    char             *text = sample_text(&len);
    uint32_t          seed = 777;
    (void)state;

    for (int round = 0; round < 3000; round++) {
        size_t at;
        char   keep;
        seed = seed * 1103515245u + 12345u;
        at = (seed >> 8) % len;
        keep = text[at];
        text[at] = bytes[(seed >> 3) % sizeof(bytes)];
        load_and_drop(text, len);
        text[at] = keep;
    }
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sample_counts, sample_setup, sample_teardown),
        cmocka_unit_test_setup_teardown(test_sample_lookup_by_ri, sample_setup, sample_teardown),
        cmocka_unit_test_setup_teardown(test_sample_lookup_by_messy_pla, sample_setup,
                                        sample_teardown),
        cmocka_unit_test_setup_teardown(test_sample_collectives, sample_setup, sample_teardown),
        cmocka_unit_test_setup_teardown(test_sample_closed_windows, sample_setup, sample_teardown),
        cmocka_unit_test_setup_teardown(test_sample_links, sample_setup, sample_teardown),
        cmocka_unit_test_setup_teardown(test_sample_routes_hosts_delays, sample_setup,
                                        sample_teardown),
        cmocka_unit_test(test_minimal_defaults),
        cmocka_unit_test(test_ipv6_listen_and_numbers),
        cmocka_unit_test(test_err_yaml_syntax),
        cmocka_unit_test(test_err_wrong_types),
        cmocka_unit_test(test_err_unknown_key),
        cmocka_unit_test(test_err_missing_key),
        cmocka_unit_test(test_err_duplicate_key),
        cmocka_unit_test(test_err_duplicate_station_ri),
        cmocka_unit_test(test_err_duplicate_pla),
        cmocka_unit_test(test_err_unknown_router),
        cmocka_unit_test(test_err_route_unknown_router),
        cmocka_unit_test(test_err_trunks),
        cmocka_unit_test(test_err_collective_member),
        cmocka_unit_test(test_err_malformed_ri),
        cmocka_unit_test(test_err_malformed_listen),
        cmocka_unit_test(test_err_time_windows),
        cmocka_unit_test(test_err_numbers),
        cmocka_unit_test(test_err_link_overrides),
        cmocka_unit_test(test_err_aliases_anchors_tags),
        cmocka_unit_test(test_billion_laughs),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_too_many_nodes),
        cmocka_unit_test(test_all_errors_collected_and_sorted),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_garbage_inputs),
        cmocka_unit_test(test_sample_every_prefix),
        cmocka_unit_test(test_sample_mutations),
    };
    return cmocka_run_group_tests_name("network", tests, NULL, NULL);
}
