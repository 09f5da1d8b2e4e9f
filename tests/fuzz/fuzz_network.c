/*
 * fuzz_network.c - libFuzzer target for the network file reader.
 *
 * Feeds arbitrary bytes to net_load_mem, which must either return a network
 * and no error, or no network and at least one error with a message and a
 * plausible place, and never read outside the input or leak. When a network
 * loads, its lookups must agree with its arrays: every station is found by
 * its RI and by each of its addresses (in a messy spelling too), every
 * collective by its RI and address, every router by its name, and every
 * collective member is a station. Any broken promise aborts, which
 * libFuzzer reports. Seeds: tests/fuzz/seeds/fuzz_network/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_network: %s: %s\n", what, detail ? detail : "-");
    abort();
}

/* The address in lower case with every space doubled: must find the same. */
static int32_t messy_lookup(const net_network_t *net, const char *pla)
{
    size_t  n = strlen(pla), o = 0;
    char   *m = malloc(2 * n + 3);
    int32_t r;
    if (!m)
        abort();
    m[o++] = ' ';
    for (size_t i = 0; i < n; i++) {
        char c = pla[i];
        m[o++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        if (c == ' ')
            m[o++] = '\t';
    }
    m[o++] = ' ';
    r = net_station_by_pla(net, m, o);
    free(m);
    return r;
}

static void check_network(const net_network_t *net)
{
    for (uint32_t i = 0; i < net->n_routers; i++)
        if (net_router_by_name(net, net->routers[i].name) != (int32_t)i)
            fuzz_fail("router not found by its name", net->routers[i].name);
    for (uint32_t i = 0; i < net->n_stations; i++) {
        const net_station_t *st = &net->stations[i];
        if (net_station_by_ri(net, st->ri, strlen(st->ri)) != (int32_t)i)
            fuzz_fail("station not found by its RI", st->ri);
        if (st->router >= net->n_routers || !st->host || st->n_pla == 0)
            fuzz_fail("station without router, host or address", st->ri);
        for (uint32_t j = 0; j < st->n_pla; j++) {
            if (net_station_by_pla(net, st->pla[j], strlen(st->pla[j])) != (int32_t)i)
                fuzz_fail("station not found by its address", st->pla[j]);
            if (messy_lookup(net, st->pla[j]) != (int32_t)i)
                fuzz_fail("station not found by a messy spelling of its address", st->pla[j]);
        }
        for (uint32_t j = 0; j < st->n_closed; j++)
            if (st->closed[j].from >= st->closed[j].to)
                fuzz_fail("empty closed window", st->ri);
    }
    for (uint32_t i = 0; i < net->n_collectives; i++) {
        const net_collective_t *c = &net->collectives[i];
        if (net_collective_by_ri(net, c->ri, strlen(c->ri)) != (int32_t)i)
            fuzz_fail("collective not found by its RI", c->ri);
        if (net_collective_by_pla(net, c->pla, strlen(c->pla)) != (int32_t)i)
            fuzz_fail("collective not found by its address", c->pla);
        if (net_station_by_ri(net, c->ri, strlen(c->ri)) >= 0)
            fuzz_fail("collective RI is also a station's", c->ri);
        for (uint32_t j = 0; j < c->n_members; j++)
            if (net_station_by_ri(net, c->members[j], strlen(c->members[j])) !=
                (int32_t)c->member_stations[j])
                fuzz_fail("collective member is not its station", c->members[j]);
    }
    for (uint32_t i = 0; i < net->n_trunks; i++)
        if (net->trunks[i].a == net->trunks[i].b || net->trunks[i].a >= net->n_routers ||
            net->trunks[i].b >= net->n_routers)
            fuzz_fail("bad trunk", NULL);
    for (uint32_t i = 0; i < net->n_routes; i++)
        if (net->routes[i].router >= net->n_routers)
            fuzz_fail("route to no router", net->routes[i].prefix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    net_errors_t   errs = {0};
    net_network_t *net = net_load_mem("fuzz.yaml", (const char *)data, size, &errs);

    if (net) {
        if (errs.n)
            fuzz_fail("a network came with errors", errs.v[0].message);
        check_network(net);
    } else {
        if (errs.n == 0)
            fuzz_fail("no network and no error", NULL);
        for (uint32_t i = 0; i < errs.n; i++) {
            if (!errs.v[i].message || !errs.v[i].message[0])
                fuzz_fail("an error without a message", NULL);
            if (errs.v[i].line > size + 1)
                fuzz_fail("an error beyond the last line", errs.v[i].message);
        }
    }
    net_free(net);
    net_errors_destroy(&errs);
    return 0;
}
