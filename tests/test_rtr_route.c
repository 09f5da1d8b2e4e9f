/*
 * test_rtr_route.c - routing (router/rtr_route.h): the routing table of
 * each router of a small network written inline (three routers in a line,
 * alpha - bravo - charlie), hops local / one trunk / two trunks, RI
 * prefixes and the default route, the tie order of paths, address
 * resolution (RI, PLA, collectives, XMT, ZEN/, unknown), routing-line
 * segregation at the origin and the relay filter, and the agreement between
 * a plan walked across the network and rtr_expected_deliveries.
 */
#include "testutil.h"
#include "rtr_route.h"

#include <stdio.h>
#include <stdlib.h>

/* Router indices follow the file: alpha 0, bravo 1, charlie 2. */
enum { ALPHA = 0, BRAVO = 1, CHARLIE = 2 };

static const char line_yaml[] =
    "routers:\n"
    "  - {name: alpha, listen: '127.0.0.1:47201'}\n"
    "  - {name: bravo, listen: '127.0.0.1:47202'}\n"
    "  - {name: charlie, listen: '127.0.0.1:47203'}\n"
    "trunks:\n"
    "  - {a: charlie, b: bravo}\n" /* written backwards on purpose */
    "  - {a: alpha, b: bravo}\n"
    "stations:\n"
    "  - {ri: RUEHC, pla: [SECSTATE WASHDC, DOI WASHDC], kind: department, router: alpha}\n"
    "  - {ri: RUEHLO, pla: AMEMBASSY LONDON, router: alpha}\n"
    "  - {ri: RUEHBW, pla: AMEMBASSY BELGRADE, router: alpha}\n"
    "  - {ri: RUEKJCS, pla: [JOINT STAFF WASHDC, SECDEF WASHDC], router: bravo}\n"
    "  - {ri: RHMFISS, pla: [HQ USEUCOM VAIHINGEN GE, CDR USCENTCOM MACDILL AFB FL],\n"
    "     router: bravo}\n"
    "  - {ri: RUCNDT, pla: USMISSION USUN NEW YORK, router: charlie}\n"
    "  - {ri: RUEAIIA, pla: CIA WASHINGTON DC, router: charlie}\n"
    "  - {ri: RUEATRS, pla: TREASURY WASHDC, router: charlie}\n"
    "collectives:\n"
    "  - {ri: RUEHZL, pla: EUROPEAN POLITICAL COLLECTIVE,\n"
    "     members: [RUEHLO, RUEHBW, RUEKJCS, RUCNDT]}\n"
    "  - {ri: RUEHXK, pla: ARAB ISRAELI COLLECTIVE, members: [RUEHC, RUEAIIA]}\n"
    "routes:\n"
    "  prefixes:\n"
    "    - {prefix: RUEH, router: alpha}\n"
    "    - {prefix: RUEK, router: bravo}\n"
    "    - {prefix: RUEA, router: charlie}\n"
    "    - {prefix: RUEAHQ, router: bravo}\n"
    "  default: charlie\n";

/* Four routers in a square (a-b, a-c, b-d, c-d), no default route. */
static const char square_yaml[] =
    "routers:\n"
    "  - {name: a, listen: '127.0.0.1:47301'}\n"
    "  - {name: b, listen: '127.0.0.1:47302'}\n"
    "  - {name: c, listen: '127.0.0.1:47303'}\n"
    "  - {name: d, listen: '127.0.0.1:47304'}\n"
    "trunks:\n"
    "  - {a: d, b: c}\n"
    "  - {a: a, b: c}\n"
    "  - {a: d, b: b}\n"
    "  - {a: b, b: a}\n"
    "stations:\n"
    "  - {ri: RUEHA, pla: STATION A, router: a}\n"
    "  - {ri: RUEHD, pla: STATION D, router: d}\n"
    "routes:\n"
    "  prefixes:\n"
    "    - {prefix: RUEK, router: d}\n";

static net_network_t *g_net;

static net_network_t *load(const char *yaml)
{
    net_errors_t   errs = {0};
    net_network_t *net = net_load_mem("t.yaml", yaml, strlen(yaml), &errs);
    if (!net) {
        net_errors_fprint(stderr, "t.yaml", &errs);
        net_errors_destroy(&errs);
        fail_msg("the network did not load");
    }
    net_errors_destroy(&errs);
    return net;
}

static int group_setup(void **state)
{
    (void)state;
    g_net = load(line_yaml);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    net_free(g_net);
    return 0;
}

static uint32_t st(const char *ri)
{
    int32_t s = net_station_by_ri(g_net, ri, strlen(ri));
    if (s < 0)
        fail_msg("no station %s", ri);
    return (uint32_t)s;
}

/* ---- a test cable --------------------------------------------------------------- */

typedef struct tcable {
    char    text[8192];
    cable_t c;
} tcable_t;

/* Parse a cable whose format line 2 carries 'fl2' and whose heading goes
 * on with 'addr' (TO / INFO / XMT lines, each ending in a newline). The DTG
 * line gives IMMEDIATE to action and PRIORITY to info addressees. */
static void tc_parse(tcable_t *t, const char *fl2, const char *addr)
{
    int n = snprintf(t->text, sizeof(t->text),
                     "VZCZCXYZ0001\n"
                     "OO %s\n"
                     "DE RUEHC #0001/01 1271302\n"
                     "ZNY CCCCC ZZH\n"
                     "O P 071302Z MAY 07\n"
                     "FM SECSTATE WASHDC\n"
                     "%s"
                     "BT\n"
                     "C O N F I D E N T I A L STATE 000001\n"
                     "\n"
                     "E.O. 12958: DECL: 05/07/2017\n"
                     "TAGS: PREL\n"
                     "SUBJECT: ROUTING TEST\n"
                     "\n"
                     "1. (C) TEXT.\n"
                     "BT\n"
                     "#0001\n"
                     "NNNN\n",
                     fl2, addr);
    assert_true(n > 0 && (size_t)n < sizeof(t->text));
    cable_init(&t->c);
    if (cable_parse(&t->c, t->text, (size_t)n, NULL) != 0)
        fail_msg("the test cable has %u errors", t->c.n_errors);
}

static void tc_free(tcable_t *t)
{
    cable_destroy(&t->c);
}

/* The RIs of a copy's format line 2, joined by blanks, into buf. */
static const char *copy_fl2(const rtr_plan_t *p, const rtr_copy_t *cp, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < cp->n; i++) {
        sim_span_t ri = p->fl2[cp->first + i];
        int        n = snprintf(buf + o, size - o, "%s%.*s", i ? " " : "", (int)ri.len, ri.p);
        assert_true(n > 0 && (size_t)n < size - o);
        o += (size_t)n;
    }
    return buf;
}

/* The delivery of the plan to station 'ri', or NULL. */
static const rtr_delivery_t *find_delivery(const rtr_plan_t *p, const char *ri)
{
    uint32_t s = st(ri);
    for (uint32_t i = 0; i < p->n_deliveries; i++)
        if (p->deliveries[i].station == s)
            return &p->deliveries[i];
    return NULL;
}

/* ---- the routing table ------------------------------------------------------------ */

static void test_table_alpha(void **state)
{
    rtr_table_t t;
    (void)state;

    assert_int_equal(rtr_table_init(&t, g_net, ALPHA), 0);
    /* One trunk (to bravo), then the three local links in RI order. */
    assert_int_equal(t.n_hops, 4);
    assert_int_equal(t.n_trunk_hops, 1);
    assert_int_equal(t.hops[0].kind, RTR_HOP_TRUNK);
    assert_int_equal(t.hops[0].router, BRAVO);
    assert_int_equal(t.hops[0].station, RTR_HOP_NONE);
    assert_string_equal(g_net->routers[g_net->trunks[t.hops[0].trunk].a].name, "alpha");
    assert_int_equal(t.hops[1].kind, RTR_HOP_LOCAL);
    assert_int_equal(t.hops[1].station, st("RUEHBW"));
    assert_int_equal(t.hops[2].station, st("RUEHC"));
    assert_int_equal(t.hops[3].station, st("RUEHLO"));
    assert_int_equal(t.hops[3].trunk, RTR_HOP_NONE);
    assert_int_equal(t.hops[3].router, ALPHA);

    /* Local, one trunk, two trunks. */
    assert_int_equal(rtr_table_station_hop(&t, st("RUEHC")), 2);
    assert_int_equal(rtr_table_station_hop(&t, st("RUEKJCS")), 0);
    assert_int_equal(rtr_table_station_hop(&t, st("RUCNDT")), 0);
    assert_int_equal(rtr_table_distance(&t, ALPHA), 0);
    assert_int_equal(rtr_table_distance(&t, BRAVO), 1);
    assert_int_equal(rtr_table_distance(&t, CHARLIE), 2);
    assert_int_equal(rtr_table_toward(&t, ALPHA), RTR_HOP_NONE);
    assert_int_equal(rtr_table_toward(&t, CHARLIE), 0);
    assert_int_equal(rtr_table_toward(&t, 99), RTR_HOP_NONE);
    assert_int_equal(rtr_table_station_hop(&t, 999), RTR_HOP_NONE);
    rtr_table_destroy(&t);
    rtr_table_destroy(&t); /* a destroyed table is empty */
}

static void test_table_middle_and_end(void **state)
{
    rtr_table_t b, c;
    (void)state;

    assert_int_equal(rtr_table_init(&b, g_net, BRAVO), 0);
    /* Trunks in neighbour order whatever the file's order: alpha, charlie. */
    assert_int_equal(b.n_trunk_hops, 2);
    assert_int_equal(b.hops[0].router, ALPHA);
    assert_int_equal(b.hops[1].router, CHARLIE);
    assert_int_equal(b.n_hops, 4);
    assert_int_equal(b.hops[2].station, st("RHMFISS"));
    assert_int_equal(b.hops[3].station, st("RUEKJCS"));
    assert_int_equal(rtr_table_station_hop(&b, st("RUEHLO")), 0);
    assert_int_equal(rtr_table_station_hop(&b, st("RUEATRS")), 1);
    assert_int_equal(rtr_table_station_hop(&b, st("RUEKJCS")), 3);

    assert_int_equal(rtr_table_init(&c, g_net, CHARLIE), 0);
    assert_int_equal(c.n_trunk_hops, 1);
    assert_int_equal(c.hops[0].router, BRAVO);
    assert_int_equal(rtr_table_station_hop(&c, st("RUEHC")), 0); /* two trunks */
    assert_int_equal(rtr_table_distance(&c, ALPHA), 2);
    assert_int_equal(c.hops[1].station, st("RUCNDT"));
    assert_int_equal(c.hops[2].station, st("RUEAIIA"));
    assert_int_equal(c.hops[3].station, st("RUEATRS"));
    rtr_table_destroy(&b);
    rtr_table_destroy(&c);

    assert_int_equal(rtr_table_init(&c, g_net, 3), SIM_EUSAGE);
    rtr_table_destroy(&c);
}

static void expect_route(const rtr_table_t *t, const char *ri, int rc, uint32_t hop,
                         int32_t router, rtr_why_t why)
{
    rtr_route_t r;
    assert_int_equal(rtr_route_ri(t, ri, strlen(ri), &r), rc);
    assert_int_equal(r.hop, hop);
    assert_int_equal(r.router, router);
    assert_int_equal(r.why, why);
}

static void test_route_ri(void **state)
{
    rtr_table_t a, b, c;
    rtr_route_t r;
    (void)state;

    assert_int_equal(rtr_table_init(&a, g_net, ALPHA), 0);
    assert_int_equal(rtr_table_init(&b, g_net, BRAVO), 0);
    assert_int_equal(rtr_table_init(&c, g_net, CHARLIE), 0);

    /* Stations: their home router wins over the prefixes (RUEHC is RUEH,
     * RHMFISS matches no prefix and would take the default). */
    assert_int_equal(rtr_route_ri(&c, "RHMFISS", 7, &r), 0);
    assert_int_equal(r.station, (int32_t)st("RHMFISS"));
    assert_int_equal(r.router, BRAVO);
    assert_int_equal(r.hop, 0);
    expect_route(&a, "RUEHC", 0, 2, ALPHA, RTR_WHY_NONE);

    /* No station: the longest prefix, then the default. */
    expect_route(&b, "RUEAXX", 0, 1, CHARLIE, RTR_WHY_NONE);  /* RUEA -> charlie */
    expect_route(&c, "RUEAHQZ", 0, 0, BRAVO, RTR_WHY_NONE);   /* RUEAHQ beats RUEA */
    expect_route(&a, "RUEAHQZ", 0, 0, BRAVO, RTR_WHY_NONE);
    expect_route(&b, "RUEHZZZ", 0, 0, ALPHA, RTR_WHY_NONE);   /* RUEH -> alpha */
    expect_route(&a, "RUEKXYZ", 0, 0, BRAVO, RTR_WHY_NONE);   /* one trunk */
    expect_route(&a, "RQQQ", 0, 0, CHARLIE, RTR_WHY_NONE);    /* default, two trunks */
    expect_route(&b, "RQQQ", 0, 1, CHARLIE, RTR_WHY_NONE);
    /* The route leads here, and here there is no such station. */
    expect_route(&c, "RQQQ", SIM_ENOROUTE, RTR_HOP_NONE, CHARLIE, RTR_WHY_UNKNOWN_RI);
    expect_route(&b, "RUEAHQZ", SIM_ENOROUTE, RTR_HOP_NONE, BRAVO, RTR_WHY_UNKNOWN_RI);
    /* A prefix only matches whole: "RUE" is shorter than every prefix. */
    expect_route(&a, "RUE", 0, 0, CHARLIE, RTR_WHY_NONE);

    rtr_table_destroy(&a);
    rtr_table_destroy(&b);
    rtr_table_destroy(&c);
}

static void test_square_ties_and_no_route(void **state)
{
    net_network_t *net = load(square_yaml);
    rtr_table_t    t;
    (void)state;

    /* From a, d is two trunks away through b or c: b (index 1) wins. */
    assert_int_equal(rtr_table_init(&t, net, 0), 0);
    assert_int_equal(t.n_trunk_hops, 2);
    assert_int_equal(t.hops[0].router, 1);
    assert_int_equal(t.hops[1].router, 2);
    assert_int_equal(rtr_table_toward(&t, 3), 0);
    assert_int_equal(rtr_table_distance(&t, 3), 2);
    expect_route(&t, "RUEHD", 0, 0, 3, RTR_WHY_NONE);
    expect_route(&t, "RUEKAB", 0, 0, 3, RTR_WHY_NONE);
    /* No prefix matches and there is no default. */
    expect_route(&t, "RXXX", SIM_ENOROUTE, RTR_HOP_NONE, -1, RTR_WHY_NO_ROUTE);
    rtr_table_destroy(&t);

    /* From d, a is reached through b as well (its lowest neighbour). */
    assert_int_equal(rtr_table_init(&t, net, 3), 0);
    assert_int_equal(t.hops[rtr_table_toward(&t, 0)].router, 1);
    assert_int_equal(rtr_table_toward(&t, 1), 0);
    assert_int_equal(rtr_table_toward(&t, 2), 1);
    rtr_table_destroy(&t);
    net_free(net);
}

/* ---- address resolution ------------------------------------------------------------ */

static void test_resolve_by_pla(void **state)
{
    tcable_t   tc;
    rtr_plan_t p;
    (void)state;

    rtr_plan_init(&p, g_net);
    tc_parse(&tc, "RUEHC",
             "TO  secstate   WASHDC\n"
             "INFO amembassy   Belgrade\n"
             "DOI WASHDC\n" /* another address of RUEHC: the same delivery */
             "JOINT  STAFF WASHDC IMMEDIATE\n");
    assert_int_equal(rtr_expected_deliveries(&p, &tc.c), 3);
    /* In RI order. */
    assert_int_equal(p.deliveries[0].station, st("RUEHBW"));
    assert_int_equal(p.deliveries[1].station, st("RUEHC"));
    assert_int_equal(p.deliveries[2].station, st("RUEKJCS"));
    assert_int_equal(p.deliveries[0].list, RTR_LIST_INFO);
    assert_int_equal(p.deliveries[0].index, 0);
    assert_int_equal(p.deliveries[0].prec, CABLE_PREC_P);
    assert_int_equal(p.deliveries[1].list, RTR_LIST_TO);
    assert_true(p.deliveries[1].action);
    assert_int_equal(p.deliveries[1].prec, CABLE_PREC_O);
    assert_false(p.deliveries[2].action);
    assert_int_equal(p.deliveries[2].prec, CABLE_PREC_O);
    assert_int_equal(p.deliveries[2].hop, RTR_HOP_NONE);
    assert_int_equal(p.n_copies, 0);
    assert_int_equal(p.n_undeliverable, 0);
    assert_int_equal(p.n_exempted, 0);
    assert_int_equal(p.prec, CABLE_PREC_O);
    tc_free(&tc);
    rtr_plan_destroy(&p);
}

static void test_collectives(void **state)
{
    tcable_t   tc;
    rtr_plan_t p;
    (void)state;

    rtr_plan_init(&p, g_net);
    /* By RI ... */
    tc_parse(&tc, "RUEHC", "TO RUEHZL/EUROPEAN POLITICAL COLLECTIVE\n");
    assert_int_equal(rtr_expected_deliveries(&p, &tc.c), 4);
    assert_int_equal(p.deliveries[0].station, st("RUCNDT"));
    assert_int_equal(p.deliveries[1].station, st("RUEHBW"));
    assert_int_equal(p.deliveries[2].station, st("RUEHLO"));
    assert_int_equal(p.deliveries[3].station, st("RUEKJCS"));
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(p.deliveries[i].collective, net_collective_by_ri(g_net, "RUEHZL", 6));
        assert_true(p.deliveries[i].action);
        assert_int_equal(p.deliveries[i].prec, CABLE_PREC_O);
    }
    tc_free(&tc);

    /* ... and by address without RI, messy spacing and case. */
    tc_parse(&tc, "RUEHC", "TO RUEHC/SECSTATE WASHDC\nINFO arab  ISRAELI collective IMMEDIATE\n");
    assert_int_equal(rtr_expected_deliveries(&p, &tc.c), 2);
    assert_int_equal(p.deliveries[0].station, st("RUEAIIA"));
    assert_int_equal(p.deliveries[0].collective, net_collective_by_ri(g_net, "RUEHXK", 6));
    assert_false(p.deliveries[0].action);
    assert_int_equal(p.deliveries[0].prec, CABLE_PREC_O);
    /* RUEHC is both a TO line and a member: once, action, the TO line. */
    assert_int_equal(p.deliveries[1].station, st("RUEHC"));
    assert_true(p.deliveries[1].action);
    assert_int_equal(p.deliveries[1].list, RTR_LIST_TO);
    assert_int_equal(p.deliveries[1].collective, -1);
    tc_free(&tc);
    rtr_plan_destroy(&p);
}

static void test_xmt_zen_exempted(void **state)
{
    tcable_t   tc;
    rtr_plan_t p;
    (void)state;

    rtr_plan_init(&p, g_net);
    tc_parse(&tc, "RUEHC",
             "TO RUEHZL/EUROPEAN POLITICAL COLLECTIVE\n"
             "ZEN/USMISSION USUN NEW YORK NIACT IMMEDIATE 2276-2279\n"
             "INFO RUEAIIA/CIA WASHINGTON DC\n"
             "XMT AMEMBASSY LONDON\n"
             "CIA WASHINGTON DC\n");
    /* RUEHZL minus London (XMT) and USUN (ZEN/): Belgrade and the Joint
     * Staff; CIA is named on an INFO line itself, so XMT does not stop it. */
    assert_int_equal(rtr_expected_deliveries(&p, &tc.c), 3);
    assert_int_equal(p.deliveries[0].station, st("RUEAIIA"));
    assert_int_equal(p.deliveries[1].station, st("RUEHBW"));
    assert_int_equal(p.deliveries[2].station, st("RUEKJCS"));
    assert_int_equal(p.n_undeliverable, 0);
    assert_int_equal(p.n_exempted, 3);
    assert_int_equal(p.exempted[0].why, RTR_WHY_ZEN);
    assert_int_equal(p.exempted[0].list, RTR_LIST_TO);
    assert_int_equal(p.exempted[0].index, 1);
    assert_int_equal(p.exempted[0].station, (int32_t)st("RUCNDT"));
    assert_int_equal(p.exempted[0].prec, CABLE_PREC_O);
    assert_int_equal(p.exempted[1].why, RTR_WHY_XMT);
    assert_int_equal(p.exempted[1].list, RTR_LIST_XMT);
    assert_int_equal(p.exempted[1].index, 0);
    assert_int_equal(p.exempted[1].station, (int32_t)st("RUEHLO"));
    assert_int_equal(p.exempted[2].index, 1);
    assert_string_equal(rtr_why_word(p.exempted[1].why), "XMT");
    assert_string_equal(rtr_why_word(p.exempted[0].why), "ZEN");
    tc_free(&tc);
    rtr_plan_destroy(&p);
}

static void test_unknown_undeliverable(void **state)
{
    tcable_t    tc;
    rtr_plan_t  p;
    rtr_table_t t;
    (void)state;

    rtr_plan_init(&p, g_net);
    assert_int_equal(rtr_table_init(&t, g_net, ALPHA), 0);
    tc_parse(&tc, "RUEHC",
             "TO RUEHXX/AMEMBASSY NOWHERE IMMEDIATE\n"
             "RUEHLO/AMEMBASSY LONDON\n"
             "INFO AMEMBASSY ATLANTIS\n"
             "RUEAHQX/AMEMBASSY LONDON\n"); /* the RI is used as written: unknown */
    assert_int_equal(rtr_plan_build(&p, &t, &tc.c, RTR_ROLE_ORIGIN), 1);
    assert_int_equal(p.deliveries[0].station, st("RUEHLO"));
    assert_int_equal(p.n_undeliverable, 3);
    assert_int_equal(p.undeliverable[0].why, RTR_WHY_UNKNOWN_RI);
    assert_int_equal(p.undeliverable[0].list, RTR_LIST_TO);
    assert_int_equal(p.undeliverable[0].index, 0);
    assert_int_equal(p.undeliverable[0].prec, CABLE_PREC_O);
    assert_int_equal(p.undeliverable[1].why, RTR_WHY_UNKNOWN_PLA);
    assert_int_equal(p.undeliverable[1].list, RTR_LIST_INFO);
    assert_int_equal(p.undeliverable[1].index, 0);
    assert_int_equal(p.undeliverable[1].prec, CABLE_PREC_P);
    assert_int_equal(p.undeliverable[2].why, RTR_WHY_UNKNOWN_RI);
    assert_int_equal(p.undeliverable[2].index, 1);
    assert_string_equal(rtr_why_word(RTR_WHY_UNKNOWN_PLA), "unknown PLA");
    assert_null(rtr_why_word(RTR_WHY_NONE));

    /* The accounting agrees: one delivery, three undeliverable lines. */
    assert_int_equal(rtr_expected_deliveries(&p, &tc.c), 1);
    assert_int_equal(p.n_undeliverable, 3);
    tc_free(&tc);
    rtr_table_destroy(&t);
    rtr_plan_destroy(&p);
}

/* ---- the per-cable plan ------------------------------------------------------------ */

/* Five stations over three hops of bravo: two behind alpha, two behind
 * charlie, one local. Action IMMEDIATE, info PRIORITY unless a line says. */
static const char five_addr[] =
    "TO RUEKJCS/JOINT STAFF WASHDC\n"
    "RUEHLO/AMEMBASSY LONDON FLASH\n"
    "INFO RUEHC/SECSTATE WASHDC\n"
    "RUEAIIA/CIA WASHINGTON DC\n"
    "RUCNDT/USMISSION USUN NEW YORK IMMEDIATE\n";

static void test_segregation(void **state)
{
    tcable_t          tc;
    rtr_plan_t        p;
    rtr_table_t       t;
    char              buf[256];
    const rtr_copy_t *cp;
    (void)state;

    rtr_plan_init(&p, g_net);
    assert_int_equal(rtr_table_init(&t, g_net, BRAVO), 0);
    /* The format line 2 the cable came with is not trusted at the origin. */
    tc_parse(&tc, "RUEHWEB", five_addr);
    assert_int_equal(rtr_plan_build(&p, &t, &tc.c, RTR_ROLE_ORIGIN), 5);
    assert_int_equal(p.n_copies, 3);

    cp = &p.copies[0]; /* the trunk to alpha */
    assert_int_equal(cp->hop, 0);
    assert_int_equal(t.hops[cp->hop].router, ALPHA);
    assert_string_equal(copy_fl2(&p, cp, buf, sizeof(buf)), "RUEHC RUEHLO");
    assert_int_equal(cp->prec, CABLE_PREC_Z);

    cp = &p.copies[1]; /* the trunk to charlie */
    assert_int_equal(cp->hop, 1);
    assert_string_equal(copy_fl2(&p, cp, buf, sizeof(buf)), "RUCNDT RUEAIIA");
    assert_int_equal(cp->prec, CABLE_PREC_O);

    cp = &p.copies[2]; /* the Joint Staff's own link */
    assert_int_equal(t.hops[cp->hop].kind, RTR_HOP_LOCAL);
    assert_int_equal(t.hops[cp->hop].station, st("RUEKJCS"));
    assert_string_equal(copy_fl2(&p, cp, buf, sizeof(buf)), "RUEKJCS");
    assert_int_equal(cp->prec, CABLE_PREC_O);

    /* Each delivery keeps its own precedence and role. */
    assert_int_equal(find_delivery(&p, "RUEHC")->prec, CABLE_PREC_P);
    assert_false(find_delivery(&p, "RUEHC")->action);
    assert_int_equal(find_delivery(&p, "RUEHLO")->prec, CABLE_PREC_Z);
    assert_true(find_delivery(&p, "RUEHLO")->action);
    assert_int_equal(find_delivery(&p, "RUEAIIA")->prec, CABLE_PREC_P);
    assert_int_equal(find_delivery(&p, "RUCNDT")->prec, CABLE_PREC_O);
    assert_false(find_delivery(&p, "RUCNDT")->action);
    assert_int_equal(find_delivery(&p, "RUEKJCS")->prec, CABLE_PREC_O);
    assert_true(find_delivery(&p, "RUEKJCS")->action);
    for (uint32_t i = 0; i < p.n_deliveries; i++)
        assert_int_equal(p.deliveries[i].hop, rtr_table_station_hop(&t, p.deliveries[i].station));
    assert_int_equal(p.prec, CABLE_PREC_Z);
    assert_int_equal(p.n_undeliverable, 0);
    tc_free(&tc);

    /* From alpha, everything behind bravo is one copy. */
    rtr_table_destroy(&t);
    assert_int_equal(rtr_table_init(&t, g_net, ALPHA), 0);
    tc_parse(&tc, "RUEHC", five_addr);
    assert_int_equal(rtr_plan_build(&p, &t, &tc.c, RTR_ROLE_ORIGIN), 5);
    assert_int_equal(p.n_copies, 3);
    assert_string_equal(copy_fl2(&p, &p.copies[0], buf, sizeof(buf)), "RUCNDT RUEAIIA RUEKJCS");
    assert_int_equal(p.copies[0].prec, CABLE_PREC_O);
    assert_string_equal(copy_fl2(&p, &p.copies[1], buf, sizeof(buf)), "RUEHC");
    assert_string_equal(copy_fl2(&p, &p.copies[2], buf, sizeof(buf)), "RUEHLO");
    assert_true(p.copies[1].hop < p.copies[2].hop);
    tc_free(&tc);
    rtr_table_destroy(&t);
    rtr_plan_destroy(&p);
}

/* A relay moves only the stations of format line 2 as received. */
static void test_relay_filter(void **state)
{
    tcable_t    tc;
    rtr_plan_t  p;
    rtr_table_t t;
    char        buf[256];
    (void)state;

    rtr_plan_init(&p, g_net);
    assert_int_equal(rtr_table_init(&t, g_net, CHARLIE), 0);
    tc_parse(&tc, "RUCNDT RUEAIIA", five_addr);
    assert_int_equal(rtr_plan_build(&p, &t, &tc.c, RTR_ROLE_RELAY), 2);
    assert_int_equal(p.role, RTR_ROLE_RELAY);
    assert_int_equal(p.n_copies, 2);
    assert_string_equal(copy_fl2(&p, &p.copies[0], buf, sizeof(buf)), "RUCNDT");
    assert_int_equal(p.copies[0].prec, CABLE_PREC_O);
    assert_string_equal(copy_fl2(&p, &p.copies[1], buf, sizeof(buf)), "RUEAIIA");
    assert_int_equal(p.copies[1].prec, CABLE_PREC_P);
    assert_int_equal(p.n_undeliverable, 0);
    assert_int_equal(p.n_exempted, 0);
    tc_free(&tc);

    /* A relay in the middle passes on; an RI the cable does not address,
     * and one that is no station, are reported; the lines are not (the
     * origin did that), even an unknown or exempted one. */
    rtr_table_destroy(&t);
    assert_int_equal(rtr_table_init(&t, g_net, BRAVO), 0);
    tc_parse(&tc, "RUCNDT RUEATRS RUEAIIA RUEHZZZ RUCNDT",
             "TO RUCNDT/USMISSION USUN NEW YORK\n"
             "RUEHXX/AMEMBASSY NOWHERE\n"
             "INFO RUEHZL/EUROPEAN POLITICAL COLLECTIVE\n"
             "XMT AMEMBASSY LONDON\n");
    assert_int_equal(rtr_plan_build(&p, &t, &tc.c, RTR_ROLE_RELAY), 1);
    assert_int_equal(p.n_copies, 1);
    assert_int_equal(t.hops[p.copies[0].hop].router, CHARLIE);
    assert_string_equal(copy_fl2(&p, &p.copies[0], buf, sizeof(buf)), "RUCNDT");
    assert_true(find_delivery(&p, "RUCNDT")->action);
    assert_int_equal(p.n_exempted, 0);
    assert_int_equal(p.n_undeliverable, 3);
    assert_int_equal(p.undeliverable[0].why, RTR_WHY_NOT_ADDRESSED);
    assert_int_equal(p.undeliverable[0].list, RTR_LIST_FL2);
    assert_int_equal(p.undeliverable[0].index, 1);
    assert_int_equal(p.undeliverable[0].station, (int32_t)st("RUEATRS"));
    assert_int_equal(p.undeliverable[1].index, 2);
    assert_int_equal(p.undeliverable[2].index, 3);
    assert_int_equal(p.undeliverable[2].station, -1);
    tc_free(&tc);
    rtr_table_destroy(&t);
    rtr_plan_destroy(&p);
}

static void test_station_twice_counts_once(void **state)
{
    tcable_t    tc;
    rtr_plan_t  p;
    rtr_table_t t;
    (void)state;

    rtr_plan_init(&p, g_net);
    assert_int_equal(rtr_table_init(&t, g_net, ALPHA), 0);
    tc_parse(&tc, "RUEHC",
             "TO RUEHZL/EUROPEAN POLITICAL COLLECTIVE PRIORITY\n"
             "INFO RUEKJCS/JOINT STAFF WASHDC\n"
             "RUEKJCS/SECDEF WASHDC NIACT IMMEDIATE\n"
             "HQ USEUCOM VAIHINGEN GE\n"
             "RHMFISS/CDR USCENTCOM MACDILL AFB FL\n");
    assert_int_equal(rtr_plan_build(&p, &t, &tc.c, RTR_ROLE_ORIGIN), 5);
    {
        const rtr_delivery_t *d = find_delivery(&p, "RUEKJCS");
        /* First reached by the collective on the TO line at PRIORITY, then
         * by two INFO lines: the highest precedence, action and NIACT. */
        assert_int_equal(d->list, RTR_LIST_TO);
        assert_int_equal(d->index, 0);
        assert_int_equal(d->collective, net_collective_by_ri(g_net, "RUEHZL", 6));
        assert_true(d->action);
        assert_true(d->niact);
        assert_int_equal(d->prec, CABLE_PREC_O);
        /* Two addresses of one RI: one delivery. */
        d = find_delivery(&p, "RHMFISS");
        assert_int_equal(d->list, RTR_LIST_INFO);
        assert_int_equal(d->index, 2);
        assert_false(d->action);
        assert_false(d->niact);
        assert_int_equal(d->prec, CABLE_PREC_P);
    }
    assert_int_equal(p.n_copies, 3); /* trunk: RHMFISS RUCNDT RUEKJCS; Belgrade; London */
    assert_int_equal(p.copies[0].n, 3);
    assert_int_equal(p.copies[0].prec, CABLE_PREC_O);
    assert_int_equal(rtr_expected_deliveries(&p, &tc.c), 5);
    tc_free(&tc);
    rtr_table_destroy(&t);
    rtr_plan_destroy(&p);
}

static void plan_signature(const rtr_plan_t *p, char *buf, size_t size)
{
    size_t o = 0;
    for (uint32_t i = 0; i < p->n_copies; i++) {
        char fl2[256];
        int  n = snprintf(buf + o, size - o, "[%u %c %s]", p->copies[i].hop,
                          cable_prec_letter(p->copies[i].prec),
                          copy_fl2(p, &p->copies[i], fl2, sizeof(fl2)));
        assert_true(n > 0 && (size_t)n < size - o);
        o += (size_t)n;
    }
}

static void test_determinism(void **state)
{
    static const char shuffled[] =
        "TO RUCNDT/USMISSION USUN NEW YORK IMMEDIATE\n"
        "RUEHLO/AMEMBASSY LONDON FLASH\n"
        "INFO RUEAIIA/CIA WASHINGTON DC\n"
        "RUEKJCS/JOINT STAFF WASHDC IMMEDIATE\n"
        "RUEHC/SECSTATE WASHDC\n";
    tcable_t    x, y;
    rtr_plan_t  p;
    rtr_table_t t;
    char        first[1024], again[1024];
    (void)state;

    rtr_plan_init(&p, g_net);
    assert_int_equal(rtr_table_init(&t, g_net, BRAVO), 0);
    tc_parse(&x, "RUEHC", five_addr);
    tc_parse(&y, "RUEHC", shuffled);
    assert_int_equal(rtr_plan_build(&p, &t, &x.c, RTR_ROLE_ORIGIN), 5);
    plan_signature(&p, first, sizeof(first));
    assert_string_equal(first, "[0 Z RUEHC RUEHLO][1 O RUCNDT RUEAIIA][3 O RUEKJCS]");
    /* The same plan again after many others on the same plan and table,
     * and with the addressee lines in another order. */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(rtr_plan_build(&p, &t, (i & 1) ? &x.c : &y.c, RTR_ROLE_ORIGIN), 5);
    assert_int_equal(rtr_plan_build(&p, &t, &y.c, RTR_ROLE_ORIGIN), 5);
    plan_signature(&p, again, sizeof(again));
    assert_string_equal(first, again);
    /* Per-delivery values follow the lines, not their order. */
    assert_true(find_delivery(&p, "RUCNDT")->action);
    assert_int_equal(find_delivery(&p, "RUEKJCS")->prec, CABLE_PREC_O);
    tc_free(&x);
    tc_free(&y);
    rtr_table_destroy(&t);
    rtr_plan_destroy(&p);
}

static void test_plan_wrong_network(void **state)
{
    net_network_t *other = load(square_yaml);
    rtr_table_t    t;
    rtr_plan_t     p;
    tcable_t       tc;
    (void)state;

    assert_int_equal(rtr_table_init(&t, other, 0), 0);
    rtr_plan_init(&p, g_net);
    tc_parse(&tc, "RUEHC", five_addr);
    assert_int_equal(rtr_plan_build(&p, &t, &tc.c, RTR_ROLE_ORIGIN), SIM_EUSAGE);
    tc_free(&tc);
    rtr_plan_destroy(&p);
    rtr_table_destroy(&t);
    net_free(other);
}

/* ---- the whole network agrees with the accounting ----------------------------------- */

typedef struct walk {
    rtr_table_t tables[3];
    rtr_plan_t  plans[3];
    uint32_t    delivered[64]; /* station indices, in arrival order */
    uint32_t    n_delivered;
    uint32_t    transmissions;
} walk_t;

/* Plan the cable at 'router' and follow every copy: a local copy is a
 * delivery, a trunk copy arrives at the neighbour with its own FL2. */
static void walk(walk_t *w, cable_t *c, uint32_t router, rtr_role_t role)
{
    rtr_plan_t        *p = &w->plans[router];
    const rtr_table_t *t = &w->tables[router];
    uint32_t           n_copies;
    rtr_copy_t         copies[16];
    sim_span_t         fl2[16][16];

    assert_true(rtr_plan_build(p, t, c, role) >= 0);
    assert_int_equal(p->n_undeliverable, role == RTR_ROLE_ORIGIN ? 1 : 0);
    /* The plan is reused by the next hops' walks: keep what is needed. */
    n_copies = p->n_copies;
    assert_true(n_copies <= 16);
    for (uint32_t i = 0; i < n_copies; i++) {
        copies[i] = p->copies[i];
        assert_true(copies[i].n <= 16);
        memcpy(fl2[i], &p->fl2[copies[i].first], copies[i].n * sizeof(sim_span_t));
        if (t->hops[copies[i].hop].kind == RTR_HOP_LOCAL) {
            assert_int_equal(copies[i].n, 1);
            w->delivered[w->n_delivered++] = p->deliveries[copies[i].first].station;
        }
    }
    for (uint32_t i = 0; i < n_copies; i++) {
        cable_span_list_t saved = c->routing_indicators;
        const rtr_hop_t  *h = &t->hops[copies[i].hop];
        w->transmissions++;
        if (h->kind != RTR_HOP_TRUNK)
            continue;
        c->routing_indicators.v = fl2[i];
        c->routing_indicators.n = copies[i].n;
        walk(w, c, h->router, RTR_ROLE_RELAY);
        c->routing_indicators = saved;
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void test_walk_matches_expected(void **state)
{
    walk_t      *w = calloc(1, sizeof(*w));
    tcable_t     tc;
    rtr_plan_t   expect;
    uint32_t     want[64];
    int          n;
    (void)state;

    assert_non_null(w);
    for (uint32_t r = 0; r < 3; r++) {
        assert_int_equal(rtr_table_init(&w->tables[r], g_net, r), 0);
        rtr_plan_init(&w->plans[r], g_net);
    }
    rtr_plan_init(&expect, g_net);
    tc_parse(&tc, "RUEHWEB",
             "TO RUEHZL/EUROPEAN POLITICAL COLLECTIVE\n"
             "INFO ARAB ISRAELI COLLECTIVE\n"
             "RUEHXX/AMEMBASSY NOWHERE\n"
             "RHMFISS/HQ USEUCOM VAIHINGEN GE\n"
             "TREASURY WASHDC\n"
             "RUEKJCS/SECDEF WASHDC\n"
             "XMT AMEMBASSY BELGRADE\n");
    n = rtr_expected_deliveries(&expect, &tc.c);
    /* London, Joint Staff, USUN (RUEHZL less Belgrade); SECSTATE, CIA;
     * RHMFISS; Treasury. */
    assert_int_equal(n, 7);
    for (uint32_t i = 0; i < (uint32_t)n; i++)
        want[i] = expect.deliveries[i].station;
    qsort(want, (size_t)n, sizeof(want[0]), cmp_u32);

    /* From every router as origin, each expected station exactly once. */
    for (uint32_t origin = 0; origin < 3; origin++) {
        w->n_delivered = 0;
        w->transmissions = 0;
        walk(w, &tc.c, origin, RTR_ROLE_ORIGIN);
        assert_int_equal(w->n_delivered, (uint32_t)n);
        qsort(w->delivered, w->n_delivered, sizeof(w->delivered[0]), cmp_u32);
        assert_memory_equal(w->delivered, want, (size_t)n * sizeof(want[0]));
    }
    /* From charlie: 3 local + 1 trunk, at bravo 2 local + 1 trunk, at alpha
     * 2 local. */
    assert_int_equal(w->transmissions, 9);

    tc_free(&tc);
    rtr_plan_destroy(&expect);
    for (uint32_t r = 0; r < 3; r++) {
        rtr_table_destroy(&w->tables[r]);
        rtr_plan_destroy(&w->plans[r]);
    }
    free(w);
}

/* The bundled sample: every router builds a table that reaches every
 * station, and hops are unique per local station. */
static void test_sample_network(void **state)
{
    char           path[4096];
    net_errors_t   errs = {0};
    net_network_t *net;
    (void)state;

    snprintf(path, sizeof(path), "%s/network.yaml", tu_sample_dir());
    net = net_load(path, &errs);
    if (!net) {
        net_errors_fprint(stderr, path, &errs);
        fail_msg("the sample network did not load");
    }
    net_errors_destroy(&errs);
    for (uint32_t r = 0; r < net->n_routers; r++) {
        rtr_table_t t;
        uint32_t    local = 0;
        assert_int_equal(rtr_table_init(&t, net, r), 0);
        for (uint32_t s = 0; s < net->n_stations; s++) {
            uint32_t h = rtr_table_station_hop(&t, s);
            assert_true(h < t.n_hops);
            if (net->stations[s].router == r) {
                assert_int_equal(t.hops[h].kind, RTR_HOP_LOCAL);
                assert_int_equal(t.hops[h].station, s);
                local++;
            } else {
                assert_int_equal(t.hops[h].kind, RTR_HOP_TRUNK);
            }
        }
        assert_int_equal(t.n_hops, t.n_trunk_hops + local);
        rtr_table_destroy(&t);
    }
    net_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_alpha),
        cmocka_unit_test(test_table_middle_and_end),
        cmocka_unit_test(test_route_ri),
        cmocka_unit_test(test_square_ties_and_no_route),
        cmocka_unit_test(test_resolve_by_pla),
        cmocka_unit_test(test_collectives),
        cmocka_unit_test(test_xmt_zen_exempted),
        cmocka_unit_test(test_unknown_undeliverable),
        cmocka_unit_test(test_segregation),
        cmocka_unit_test(test_relay_filter),
        cmocka_unit_test(test_station_twice_counts_once),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_plan_wrong_network),
        cmocka_unit_test(test_walk_matches_expected),
        cmocka_unit_test(test_sample_network),
    };
    return cmocka_run_group_tests_name("rtr_route", tests, group_setup, group_teardown);
}
