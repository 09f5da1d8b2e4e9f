/*
 * network_gen.c - a network file generated from a corpus (network_gen.h):
 * every routing indicator and plain-language address the cables name
 * becomes a station or a collective, the stations are grouped into relay
 * routers by RI prefix, and the result is written as YAML by libyaml's
 * emitter, then loaded back and checked.
 *
 * How it works. One pass over the corpus records sightings: (RI, address)
 * pairs from the TO and INFO lines and from the DE line with its FM
 * address, RIs alone from format line 2, and addresses alone from lines
 * written without RI and from the FM line of a cable without DE. ZEN/ and
 * XMT lines are not routed and leave no sighting. The sightings are sorted
 * and merged into counts (no hash table: two sorts do the grouping), then:
 *   - every address gets one owner: among the RIs seen with it, one of its
 *     own class (a collective address prefers a collective RI, any other
 *     address a station RI), then the most sightings, then the smaller RI;
 *   - an RI is a collective when it never originates a cable and the
 *     address seen with it most often is a collective one; it becomes a
 *     collective whose only member is a made-up "stand-in" station
 *     ("<ADDRESS> MEMBERS"), because the corpus says nothing about who the
 *     members are; every other RI is a station with the addresses it owns,
 *     most frequent first;
 *   - an address seen with no RI at all gets a synthetic RI: a two-letter
 *     head that starts no RI of the corpus (XZ unless taken) and five
 *     letters from a hash of the address, probed in the order of the
 *     addresses until it collides with nothing;
 *   - an RI left without an address of its own gets "<ITS ADDRESS> (<RI>)"
 *     or "UNKNOWN ADDRESS (<RI>)".
 * Routers: the first prefix_len letters of a station's RI name its group
 * (synthetic stations form their own group); a group of at least
 * min_group stations, or with at least min_share percent of the sightings,
 * gets a router, the others share a catch-all one; the router of the
 * group with the most sightings is the hub, first in the file, and trunks
 * make a star around it. corpus/network.md documents the same rules for
 * users.
 *
 * Ownership: everything is built in one arena and a few arrays of the
 * generator state, freed before returning; the caller gets only the text.
 * Deterministic: no clock, no address of memory and no hash seed reaches
 * the output, and every order is a sort on strings.
 */
#include "network_gen.h"
#include "network_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <yaml.h>

enum {
    SIGHT_ORIGIN = 1, /* the RI of a DE line (with its FM address, if any) */
    SIGHT_FROM = 2,   /* the FM address of a cable without DE line */
    SIGHT_LINE = 4,   /* a TO or INFO line */
};

#define GEN_SYNTH_LETTERS 5  /* after the two-letter head: 7 letters in all */
#define GEN_HUB_PROCESSING 5 /* ms: the hub switches most of the traffic */
#define GEN_RELAY_PROCESSING 3

typedef struct sight {
    const char *ri;  /* arena; NULL when none */
    const char *pla; /* canonical, arena; NULL when none */
    uint32_t    n;
    uint32_t    flags;
    int32_t     rix; /* index into gen.ri once that table is built */
} sight_t;

typedef struct gowned {
    uint32_t n;   /* sightings with this RI */
    uint32_t pla; /* index into gen.pla */
} gowned_t;

typedef struct gri {
    const char *ri;
    bool        origin; /* on a DE line: a station, never a collective */
    uint64_t    seen;   /* sightings of the RI: DE, format line 2, lines */
    bool        collective;
    int32_t     best;  /* the address seen with it most often, or -1 */
    gowned_t   *owned; /* the addresses it owns */
    uint32_t    n_owned, cap_owned;
} gri_t;

typedef struct gpla {
    const char *pla;
    bool        collective; /* ends in COLLECTIVE and never an originator's */
    uint32_t    flags;
    int32_t     owner;   /* index into gen.ri; -1 when seen without RI only */
    uint64_t    bare;    /* sightings without RI (lines, FM) */
    uint32_t    owner_n; /* sightings with its owner */
} gpla_t;

typedef struct gstation {
    const char  *ri; /* NULL until a synthetic one is given */
    const char **pla;
    uint32_t     n_pla, cap_pla;
    const char  *key;     /* group key */
    uint64_t     traffic; /* sightings of its RI and of its addresses without RI */
    uint32_t     router;
    bool         synthetic;
} gstation_t;

typedef struct gcoll {
    const char *ri; /* NULL until a synthetic one is given */
    const char *pla;
    uint32_t    stand_in; /* station index */
} gcoll_t;

typedef struct greq {
    const char *src; /* the address the synthetic RI is made from */
    bool        coll;
    uint32_t    idx;
} greq_t;

typedef struct ggroup {
    const char *key;
    uint32_t    n;
    uint64_t    traffic;
    bool        own; /* a router of its own, else the catch-all */
    uint32_t    router;
} ggroup_t;

typedef struct gstrset {
    const char **v; /* sorted */
    uint32_t     n, cap;
} gstrset_t;

typedef struct gbuf {
    char  *p;
    size_t n, cap;
} gbuf_t;

typedef struct gen {
    sim_arena_t    a;
    uint32_t       prefix_len, min_group, min_share, base_port;
    sight_t       *s;
    size_t         n_s, cap_s;
    gri_t         *ri;
    uint32_t       n_ri;
    gpla_t        *pla;
    uint32_t       n_pla;
    gstrset_t      made_pla, made_ri; /* synthetic addresses and RIs given out */
    gstation_t    *st;
    uint32_t       n_st, cap_st;
    gcoll_t       *co;
    uint32_t       n_co, cap_co;
    greq_t        *req;
    uint32_t       n_req, cap_req;
    ggroup_t      *gr;
    uint32_t       n_gr;
    char           head[3];
    const char   **routers; /* names; [0] is the hub */
    uint32_t       n_routers;
    uint32_t       catch_all; /* router index, or UINT32_MAX */
    yaml_emitter_t em;
    gbuf_t         out;
} gen_t;

/* ---- small helpers ------------------------------------------------------- */

static int strcmp_null(const char *x, const char *y)
{
    if (!x || !y)
        return x ? 1 : y ? -1 : 0;
    return strcmp(x, y);
}

static void *grow(void *v, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return v;
    *cap = *cap ? *cap * 2 : 16;
    if (*cap < need)
        *cap = need;
    return sim_xrealloc(v, (size_t)*cap * elem);
}

/* Index of s in the sorted set, or -(insertion point) - 1. */
static int64_t strset_find(const gstrset_t *set, const char *s)
{
    uint32_t lo = 0, hi = set->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int      c = strcmp(set->v[mid], s);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(int64_t)lo - 1;
}

static void strset_add(gstrset_t *set, const char *s)
{
    int64_t at = strset_find(set, s);
    if (at >= 0)
        return;
    at = -at - 1;
    set->v = grow(set->v, &set->cap, set->n + 1, sizeof(*set->v));
    memmove(&set->v[at + 1], &set->v[at], (set->n - (uint32_t)at) * sizeof(*set->v));
    set->v[at] = s;
    set->n++;
}

static int32_t ri_find(const gen_t *g, const char *ri)
{
    uint32_t lo = 0, hi = g->n_ri;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int      c = strcmp(g->ri[mid].ri, ri);
        if (c == 0)
            return (int32_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int32_t pla_find(const gen_t *g, const char *pla)
{
    uint32_t lo = 0, hi = g->n_pla;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int      c = strcmp(g->pla[mid].pla, pla);
        if (c == 0)
            return (int32_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* True when some RI of the corpus starts with 'prefix'. */
static bool ri_prefix_used(const gen_t *g, const char *prefix)
{
    size_t   len = strlen(prefix);
    uint32_t lo = 0, hi = g->n_ri;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (strcmp(g->ri[mid].ri, prefix) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < g->n_ri && strncmp(g->ri[lo].ri, prefix, len) == 0;
}

/* ---- the rules on addresses ------------------------------------------------ */

bool net_gen_is_collective_pla(const char *pla)
{
    static const char word[] = "COLLECTIVE";
    size_t            len = strlen(pla), w = sizeof(word) - 1;
    if (len < w || strcmp(pla + len - w, word) != 0)
        return false;
    return len == w || pla[len - w - 1] == ' ';
}

/* True when 'words' stands in 'pla' as whole words: after the start or a
 * blank, before the end, a blank or a '/' (DA WASHINGTON DC//DAPE//). */
static bool has_words(const char *pla, const char *words)
{
    size_t w = strlen(words);
    for (const char *p = strstr(pla, words); p; p = strstr(p + 1, words)) {
        bool start = p == pla || p[-1] == ' ';
        bool end = p[w] == '\0' || p[w] == ' ' || p[w] == '/';
        if (start && end)
            return true;
    }
    return false;
}

net_kind_t net_gen_kind(const char *pla)
{
    static const char *const heads[] = {"SECSTATE", "SECDEF", "SECTREAS", "SECNAV",
                                        "SECARMY",  "SECAF",  "DEPT",     "DEPARTMENT"};
    static const char *const places[] = {"WASHDC", "WASH DC", "WASHINGTON DC", "WASHINGTON D C",
                                         "WASHINGTON D.C."};
    const char              *sp = strchr(pla, ' ');
    size_t                   first = sp ? (size_t)(sp - pla) : strlen(pla);
    size_t                   len = strlen(pla);

    for (size_t i = 0; i < SIM_ARRAY_LEN(heads); i++)
        if (strlen(heads[i]) == first && strncmp(pla, heads[i], first) == 0)
            return NET_KIND_DEPARTMENT;
    for (size_t i = 0; i < SIM_ARRAY_LEN(places); i++)
        if (has_words(pla, places[i]))
            return NET_KIND_DEPARTMENT;
    if (len >= 11 && strcmp(pla + len - 10, "WASHINGTON") == 0 && pla[len - 11] == ' ')
        return NET_KIND_DEPARTMENT;
    return NET_KIND_MISSION;
}

/* The canonical form of an address as the network file keeps it, in the
 * arena; NULL when the network could not hold it (not printable ASCII, or
 * empty or longer than NET_MAX_PLA once blanks are folded). */
static const char *pla_canon(gen_t *g, sim_span_t s)
{
    char  *out;
    size_t n;

    if (s.len == 0)
        return NULL;
    out = sim_arena_alloc(&g->a, (size_t)s.len + 1);
    n = net__pla_norm(out, s.p, s.len);
    if (n == 0 || n > NET_MAX_PLA)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
            return NULL;
    return out;
}

static const char *ri_valid(gen_t *g, sim_span_t s)
{
    if (!net__is_upper_word(s.p, s.len, 4, 7))
        return NULL;
    return sim_arena_strndup(&g->a, s.p, s.len);
}

/* ---- pass 1: sightings ------------------------------------------------------- */

static void sight(gen_t *g, const char *ri, const char *pla, uint32_t flags)
{
    if (g->n_s == g->cap_s) {
        g->cap_s = g->cap_s ? g->cap_s * 2 : 1024;
        g->s = sim_xrealloc(g->s, g->cap_s * sizeof(*g->s));
    }
    g->s[g->n_s++] = (sight_t){ri, pla, 1, flags, -1};
}

static void sight_lines(gen_t *g, const cable_addr_list_t *l, net_gen_stats_t *st)
{
    for (uint32_t i = 0; i < l->n; i++) {
        const cable_addr_t *a = &l->v[i];
        const char         *ri, *pla;

        if (a->zen)
            continue;
        st->addressees++;
        pla = pla_canon(g, a->pla);
        if (a->ri.len) {
            /* The router takes a written RI as it stands: a malformed one
             * can name nothing, whatever the network. */
            ri = ri_valid(g, a->ri);
            if (ri)
                sight(g, ri, pla, SIGHT_LINE);
            else
                st->unusable++;
        } else if (pla) {
            sight(g, NULL, pla, SIGHT_LINE);
        } else {
            st->unusable++;
        }
    }
}

static void sight_cable(gen_t *g, const cable_t *c, net_gen_stats_t *st)
{
    const char *de = c->origin_ri.len ? ri_valid(g, c->origin_ri) : NULL;
    const char *fm = pla_canon(g, c->from);

    /* The FM address of a cable with a DE line is that RI's; without one,
     * the replay finds the originator through the FM address. */
    if (de)
        sight(g, de, fm, SIGHT_ORIGIN);
    else if (fm)
        sight(g, NULL, fm, SIGHT_FROM);
    for (uint32_t i = 0; i < c->routing_indicators.n; i++) {
        const char *ri = ri_valid(g, c->routing_indicators.v[i]);
        if (ri)
            sight(g, ri, NULL, 0);
    }
    sight_lines(g, &c->to, st);
    sight_lines(g, &c->info, st);
}

static int sight_cmp(const void *x, const void *y)
{
    const sight_t *a = x, *b = y;
    int            c = strcmp_null(a->ri, b->ri);
    return c ? c : strcmp_null(a->pla, b->pla);
}

/* Sort the sightings by (RI, address), none first, and merge equal ones. */
static void sights_merge(gen_t *g)
{
    size_t o = 0;
    if (g->n_s == 0)
        return;
    qsort(g->s, g->n_s, sizeof(*g->s), sight_cmp);
    for (size_t i = 1; i < g->n_s; i++) {
        if (sight_cmp(&g->s[o], &g->s[i]) == 0) {
            g->s[o].n += g->s[i].n;
            g->s[o].flags |= g->s[i].flags;
        } else {
            g->s[++o] = g->s[i];
        }
    }
    g->n_s = o + 1;
}

/* ---- pass 2: RIs, addresses, owners ----------------------------------------- */

static void build_ris(gen_t *g)
{
    g->ri = sim_xcalloc(g->n_s ? g->n_s : 1, sizeof(*g->ri));
    for (size_t i = 0; i < g->n_s; i++) {
        sight_t *s = &g->s[i];
        if (!s->ri)
            continue;
        if (g->n_ri == 0 || strcmp(g->ri[g->n_ri - 1].ri, s->ri) != 0)
            g->ri[g->n_ri++] = (gri_t){.ri = s->ri, .best = -1};
        s->rix = (int32_t)(g->n_ri - 1);
        g->ri[s->rix].seen += s->n;
        if (s->flags & SIGHT_ORIGIN)
            g->ri[s->rix].origin = true;
    }
}

static int pla_order_cmp(const void *x, const void *y)
{
    const sight_t *a = x, *b = y;
    int            c = strcmp(a->pla, b->pla);
    return c ? c : strcmp_null(a->ri, b->ri);
}

/* Is candidate a (sightings n of RI rix) a better owner for address p than
 * the current one? Own class first, then count, then the smaller RI (rix
 * follows RI order). */
static bool better_owner(const gen_t *g, const gpla_t *p, int32_t rix, uint32_t n)
{
    bool match, cur_match;
    if (p->owner < 0)
        return true;
    match = g->ri[rix].collective == p->collective;
    cur_match = g->ri[p->owner].collective == p->collective;
    if (match != cur_match)
        return match;
    if (n != p->owner_n)
        return n > p->owner_n;
    return rix < p->owner;
}

static void build_plas(gen_t *g)
{
    sight_t *ix = sim_xmalloc((g->n_s ? g->n_s : 1) * sizeof(*ix)); /* by address */
    size_t   n_ix = 0;
    uint32_t first = 0;

    for (size_t i = 0; i < g->n_s; i++)
        if (g->s[i].pla)
            ix[n_ix++] = g->s[i];
    qsort(ix, n_ix, sizeof(*ix), pla_order_cmp);

    g->pla = sim_xcalloc(n_ix ? n_ix : 1, sizeof(*g->pla));
    /* The addresses and their class. */
    for (size_t k = 0; k < n_ix; k++) {
        const sight_t *s = &ix[k];
        if (g->n_pla == 0 || strcmp(g->pla[g->n_pla - 1].pla, s->pla) != 0)
            g->pla[g->n_pla++] = (gpla_t){.pla = s->pla, .owner = -1};
        g->pla[g->n_pla - 1].flags |= s->flags;
        if (!s->ri)
            g->pla[g->n_pla - 1].bare += s->n;
    }
    for (uint32_t p = 0; p < g->n_pla; p++)
        g->pla[p].collective = net_gen_is_collective_pla(g->pla[p].pla) &&
                               !(g->pla[p].flags & (SIGHT_ORIGIN | SIGHT_FROM));

    /* Each RI's most frequent address (ties: the first in address order),
     * which says whether the RI is a collective. */
    for (size_t i = 0; i < g->n_s; i++) {
        const sight_t *s = &g->s[i];
        gri_t         *r;
        if (!s->ri || !s->pla)
            continue;
        r = &g->ri[s->rix];
        if (r->best < 0 || s->n > g->s[(size_t)r->best].n)
            r->best = (int32_t)i; /* a sight index for now */
    }
    for (uint32_t r = 0; r < g->n_ri; r++) {
        gri_t *ri = &g->ri[r];
        if (ri->best >= 0) {
            ri->best = pla_find(g, g->s[(size_t)ri->best].pla);
            ri->collective = !ri->origin && g->pla[ri->best].collective;
        }
    }

    /* Owners. */
    for (size_t k = 0; k < n_ix; k++) {
        const sight_t *s = &ix[k];
        gpla_t        *p;
        while (strcmp(g->pla[first].pla, s->pla) != 0)
            first++;
        p = &g->pla[first];
        if (s->ri && better_owner(g, p, s->rix, s->n)) {
            p->owner = s->rix;
            p->owner_n = s->n;
        }
    }
    free(ix);
    for (uint32_t p = 0; p < g->n_pla; p++) {
        gri_t *r;
        if (g->pla[p].owner < 0)
            continue;
        r = &g->ri[g->pla[p].owner];
        r->owned = grow(r->owned, &r->cap_owned, r->n_owned + 1, sizeof(*r->owned));
        r->owned[r->n_owned++] = (gowned_t){g->pla[p].owner_n, p};
    }
}

/* The most sightings first; ties in address order. */
static int owned_cmp(const void *x, const void *y)
{
    const gowned_t *a = x, *b = y;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return a->pla < b->pla ? -1 : a->pla > b->pla ? 1 : 0;
}

/* ---- pass 3: stations and collectives ---------------------------------------- */

/* A made-up address: base (cut to fit) + suffix, and " 2", " 3" ... until
 * it is no address of the corpus and none made before. */
static const char *made_pla(gen_t *g, const char *base, const char *suffix)
{
    char num[16] = "";
    for (uint32_t k = 1;; k++) {
        size_t room, blen = strlen(base), slen = strlen(suffix), nlen;
        char   buf[NET_MAX_PLA + 1];

        if (k > 1)
            snprintf(num, sizeof(num), " %u", k);
        nlen = strlen(num);
        room = NET_MAX_PLA - slen - nlen;
        if (blen > room)
            blen = room;
        while (blen > 0 && base[blen - 1] == ' ')
            blen--;
        snprintf(buf, sizeof(buf), "%.*s%s%s", (int)blen, base, suffix, num);
        if (pla_find(g, buf) < 0 && strset_find(&g->made_pla, buf) < 0) {
            const char *s = sim_arena_strndup(&g->a, buf, strlen(buf));
            strset_add(&g->made_pla, s);
            return s;
        }
    }
}

static uint32_t station_new(gen_t *g, const char *ri)
{
    gstation_t *st;
    g->st = grow(g->st, &g->cap_st, g->n_st + 1, sizeof(*g->st));
    st = &g->st[g->n_st];
    memset(st, 0, sizeof(*st));
    st->ri = ri;
    st->synthetic = ri == NULL;
    return g->n_st++;
}

static void station_pla(gen_t *g, uint32_t s, const char *pla)
{
    gstation_t *st = &g->st[s];
    st->pla = grow(st->pla, &st->cap_pla, st->n_pla + 1, sizeof(*st->pla));
    st->pla[st->n_pla++] = pla;
}

static void request_ri(gen_t *g, const char *src, bool coll, uint32_t idx)
{
    g->req = grow(g->req, &g->cap_req, g->n_req + 1, sizeof(*g->req));
    g->req[g->n_req++] = (greq_t){src, coll, idx};
}

/* A collective (RI known, or NULL for a synthetic one) with its stand-in
 * member; 'extra' are further addresses for the stand-in. */
static void collective_new(gen_t *g, const char *ri, const char *pla, const uint32_t *extra,
                           uint32_t n_extra, uint64_t traffic)
{
    uint32_t s = station_new(g, NULL);
    gcoll_t *co;

    g->st[s].traffic = traffic;
    station_pla(g, s, made_pla(g, pla, " MEMBERS"));
    for (uint32_t i = 0; i < n_extra; i++) {
        station_pla(g, s, g->pla[extra[i]].pla);
        g->st[s].traffic += g->pla[extra[i]].bare;
    }
    request_ri(g, g->st[s].pla[0], false, s);
    g->co = grow(g->co, &g->cap_co, g->n_co + 1, sizeof(*g->co));
    co = &g->co[g->n_co];
    co->ri = ri;
    co->pla = pla;
    co->stand_in = s;
    if (!ri)
        request_ri(g, pla, true, g->n_co);
    g->n_co++;
}

static void build_entities(gen_t *g)
{
    uint32_t *rest = NULL;
    uint32_t  cap_rest = 0;

    for (uint32_t r = 0; r < g->n_ri; r++) {
        gri_t *ri = &g->ri[r];
        if (ri->n_owned > 1)
            qsort(ri->owned, ri->n_owned, sizeof(*ri->owned), owned_cmp);
    }

    for (uint32_t r = 0; r < g->n_ri; r++) {
        gri_t      *ri = &g->ri[r];
        const char *best = ri->best >= 0 ? g->pla[ri->best].pla : "UNKNOWN ADDRESS";
        char        suffix[16];

        snprintf(suffix, sizeof(suffix), " (%s)", ri->ri);
        if (ri->collective) {
            const char *cpla = NULL;
            uint32_t    n_rest = 0;
            uint64_t    traffic = ri->seen;
            for (uint32_t i = 0; i < ri->n_owned; i++) {
                uint32_t p = ri->owned[i].pla;
                if (!cpla && g->pla[p].collective) {
                    cpla = g->pla[p].pla;
                    traffic += g->pla[p].bare;
                    continue;
                }
                rest = grow(rest, &cap_rest, n_rest + 1, sizeof(*rest));
                rest[n_rest++] = p;
            }
            if (!cpla)
                cpla = made_pla(g, best, suffix);
            collective_new(g, ri->ri, cpla, rest, n_rest, traffic);
        } else {
            uint32_t s = station_new(g, ri->ri);
            g->st[s].traffic = ri->seen;
            for (uint32_t i = 0; i < ri->n_owned; i++) {
                station_pla(g, s, g->pla[ri->owned[i].pla].pla);
                g->st[s].traffic += g->pla[ri->owned[i].pla].bare;
            }
            if (ri->n_owned == 0)
                station_pla(g, s, made_pla(g, best, suffix));
        }
    }
    for (uint32_t p = 0; p < g->n_pla; p++) {
        const gpla_t *pl = &g->pla[p];
        if (pl->owner >= 0)
            continue;
        if (pl->collective) {
            collective_new(g, NULL, pl->pla, NULL, 0, pl->bare);
        } else {
            uint32_t s = station_new(g, NULL);
            station_pla(g, s, pl->pla);
            g->st[s].traffic = pl->bare;
            request_ri(g, pl->pla, false, s);
        }
    }
    free(rest);
}

/* ---- synthetic RIs ------------------------------------------------------------ */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static int req_cmp(const void *x, const void *y)
{
    return strcmp(((const greq_t *)x)->src, ((const greq_t *)y)->src);
}

/* The head of synthetic RIs: the first of XZ, XY ... XA, WZ ... that starts
 * no RI of the corpus (XZ when every one does). */
static void choose_head(gen_t *g)
{
    for (int a = 'X'; a >= 'A'; a--) {
        for (int b = 'Z'; b >= 'A'; b--) {
            char h[3] = {(char)a, (char)b, '\0'};
            if (!ri_prefix_used(g, h)) {
                memcpy(g->head, h, sizeof(h));
                return;
            }
        }
    }
    memcpy(g->head, "XZ", 3);
}

static void assign_synthetic(gen_t *g)
{
    choose_head(g);
    if (g->n_req > 1)
        qsort(g->req, g->n_req, sizeof(*g->req), req_cmp);
    for (uint32_t i = 0; i < g->n_req; i++) {
        const greq_t *q = &g->req[i];
        uint64_t      base = fnv1a(q->src);
        char          ri[3 + GEN_SYNTH_LETTERS];
        const char   *s;

        for (uint64_t k = 0;; k++) {
            uint64_t h = mix64(base + k * 0x9e3779b97f4a7c15ULL);
            ri[0] = g->head[0];
            ri[1] = g->head[1];
            for (int j = 0; j < GEN_SYNTH_LETTERS; j++) {
                ri[2 + j] = (char)('A' + h % 26);
                h /= 26;
            }
            ri[2 + GEN_SYNTH_LETTERS] = '\0';
            if (ri_find(g, ri) < 0 && strset_find(&g->made_ri, ri) < 0)
                break;
        }
        s = sim_arena_strndup(&g->a, ri, strlen(ri));
        strset_add(&g->made_ri, s);
        if (q->coll)
            g->co[q->idx].ri = s;
        else
            g->st[q->idx].ri = s;
    }
}

/* ---- routers ------------------------------------------------------------------ */

static int station_cmp(const void *x, const void *y)
{
    return strcmp(((const gstation_t *)x)->ri, ((const gstation_t *)y)->ri);
}

static int group_cmp(const void *x, const void *y)
{
    return strcmp(((const ggroup_t *)x)->key, ((const ggroup_t *)y)->key);
}

static int32_t group_find(const gen_t *g, const char *key)
{
    for (uint32_t lo = 0, hi = g->n_gr; lo < hi;) {
        uint32_t mid = lo + (hi - lo) / 2;
        int      c = strcmp(g->gr[mid].key, key);
        if (c == 0)
            return (int32_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static const char *router_name(gen_t *g, const char *key)
{
    char buf[32];
    int  n = snprintf(buf, sizeof(buf), "relay-%s", key);
    for (int i = 6; i < n; i++)
        buf[i] = (char)(buf[i] - 'A' + 'a');
    return sim_arena_strndup(&g->a, buf, (size_t)n);
}

/* Order the stations by RI (stand-ins move: the collectives follow them),
 * give each its group, and the groups their routers. */
static void build_routers(gen_t *g)
{
    uint32_t *new_index = sim_xmalloc((g->n_st ? g->n_st : 1) * sizeof(*new_index));
    uint32_t  hub = UINT32_MAX, k;
    uint64_t  total = 0;

    /* Remember where each station goes when sorted: tag with the old index. */
    for (uint32_t i = 0; i < g->n_st; i++)
        g->st[i].router = i;
    qsort(g->st, g->n_st, sizeof(*g->st), station_cmp);
    for (uint32_t i = 0; i < g->n_st; i++)
        new_index[g->st[i].router] = i;
    for (uint32_t c = 0; c < g->n_co; c++)
        g->co[c].stand_in = new_index[g->co[c].stand_in];
    free(new_index);

    /* One group entry per station, sorted by key and merged. */
    g->gr = sim_xcalloc(g->n_st ? g->n_st : 1, sizeof(*g->gr));
    for (uint32_t i = 0; i < g->n_st; i++) {
        gstation_t *st = &g->st[i];
        size_t      klen = st->synthetic ? SIM_MIN(g->prefix_len, 2u) : g->prefix_len;
        const char *from = st->synthetic ? g->head : st->ri;
        klen = SIM_MIN(klen, strlen(from));
        st->key = sim_arena_strndup(&g->a, from, klen);
        g->gr[i] = (ggroup_t){st->key, 1, st->traffic, false, UINT32_MAX};
        total += st->traffic;
    }
    qsort(g->gr, g->n_st, sizeof(*g->gr), group_cmp);
    for (uint32_t i = 0; i < g->n_st; i++) {
        if (g->n_gr && strcmp(g->gr[g->n_gr - 1].key, g->gr[i].key) == 0) {
            g->gr[g->n_gr - 1].n++;
            g->gr[g->n_gr - 1].traffic += g->gr[i].traffic;
        } else {
            g->gr[g->n_gr++] = g->gr[i];
        }
    }

    /* A group has a router of its own when it has min_group stations or
     * carries min_share percent of the sightings (RHMFISS alone serves a
     * hundred commands); the others share the catch-all. */
    for (k = 0; k < g->n_gr; k++)
        g->gr[k].own =
            g->gr[k].n >= g->min_group || g->gr[k].traffic * 100 >= total * (uint64_t)g->min_share;

    /* The hub: the group with a router of its own that carries the most
     * traffic (ties: more stations, then the first key); then the other
     * such groups in key order; then the catch-all when a small group is
     * left. */
    for (k = 0; k < g->n_gr; k++) {
        const ggroup_t *x = &g->gr[k], *h = hub == UINT32_MAX ? NULL : &g->gr[hub];
        if (x->own && (!h || x->traffic > h->traffic || (x->traffic == h->traffic && x->n > h->n)))
            hub = k;
    }
    g->routers = sim_xcalloc(g->n_gr + 1, sizeof(*g->routers));
    g->catch_all = UINT32_MAX;
    if (hub != UINT32_MAX) {
        g->gr[hub].router = g->n_routers;
        g->routers[g->n_routers++] = router_name(g, g->gr[hub].key);
    }
    for (k = 0; k < g->n_gr; k++) {
        if (k == hub || !g->gr[k].own)
            continue;
        g->gr[k].router = g->n_routers;
        g->routers[g->n_routers++] = router_name(g, g->gr[k].key);
    }
    for (k = 0; k < g->n_gr; k++) {
        if (g->gr[k].router != UINT32_MAX)
            continue;
        if (g->catch_all == UINT32_MAX) {
            g->catch_all = g->n_routers;
            g->routers[g->n_routers++] = NET_GEN_CATCH_ALL;
        }
        g->gr[k].router = g->catch_all;
    }
    for (uint32_t i = 0; i < g->n_st; i++)
        g->st[i].router = g->gr[group_find(g, g->st[i].key)].router;
}

/* ---- YAML out ------------------------------------------------------------------ */

static int out_write(void *data, unsigned char *buffer, size_t size)
{
    gbuf_t *b = data;
    if (b->n + size + 1 > b->cap) {
        while (b->n + size + 1 > b->cap)
            b->cap = b->cap ? b->cap * 2 : 65536;
        b->p = sim_xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, buffer, size);
    b->n += size;
    b->p[b->n] = '\0';
    return 1;
}

static void y_emit(gen_t *g, yaml_event_t *ev, int ok)
{
    /* The events are ours and well formed; the emitter fails only on a bug
     * here or on memory exhaustion, both fatal like sim_xmalloc. */
    if (!ok || !yaml_emitter_emit(&g->em, ev))
        sim_panic("%s: libyaml emitter: %s", __func__,
                  g->em.problem ? g->em.problem : "cannot build the event");
}

/* A string that a YAML reader would take for something else when plain
 * (null, a boolean of YAML 1.1 or 1.2, a number) is written in quotes; the
 * emitter quotes whatever else needs it. */
static bool y_needs_quotes(const char *s)
{
    static const char *const words[] = {"null", "true", "false", "yes", "no",
                                        "on",   "off",  "y",     "n"};
    char                     c = s[0];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
        return true;
    for (size_t i = 0; i < SIM_ARRAY_LEN(words); i++) {
        size_t n = strlen(words[i]), k;
        if (strlen(s) != n)
            continue;
        for (k = 0; k < n; k++)
            if ((s[k] | 0x20) != words[i][k])
                break;
        if (k == n)
            return true;
    }
    return false;
}

static void y_str(gen_t *g, const char *s)
{
    yaml_event_t ev;
    int          ok = yaml_scalar_event_initialize(
                 &ev, NULL, NULL, (yaml_char_t *)(uintptr_t)s, (int)strlen(s), 1, 1,
        y_needs_quotes(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
    y_emit(g, &ev, ok);
}

static void y_num(gen_t *g, uint64_t v)
{
    char         buf[24];
    yaml_event_t ev;
    int          n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    int          ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)buf, n, 1, 0,
                                                   YAML_PLAIN_SCALAR_STYLE);
    y_emit(g, &ev, ok);
}

static void y_bool(gen_t *g, bool v)
{
    yaml_event_t ev;
    const char  *s = v ? "true" : "false";
    int          ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)(uintptr_t)s,
                                                   (int)strlen(s), 1, 0, YAML_PLAIN_SCALAR_STYLE);
    y_emit(g, &ev, ok);
}

static void y_map(gen_t *g, bool flow)
{
    yaml_event_t ev;
    int          ok = yaml_mapping_start_event_initialize(
                 &ev, NULL, NULL, 1, flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
    y_emit(g, &ev, ok);
}

static void y_map_end(gen_t *g)
{
    yaml_event_t ev;
    y_emit(g, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void y_seq(gen_t *g, bool flow)
{
    yaml_event_t ev;
    int          ok = yaml_sequence_start_event_initialize(
                 &ev, NULL, NULL, 1, flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
    y_emit(g, &ev, ok);
}

static void y_seq_end(gen_t *g)
{
    yaml_event_t ev;
    y_emit(g, &ev, yaml_sequence_end_event_initialize(&ev));
}

static void y_kv(gen_t *g, const char *k, const char *v)
{
    y_str(g, k);
    y_str(g, v);
}

static void y_kn(gen_t *g, const char *k, uint64_t v)
{
    y_str(g, k);
    y_num(g, v);
}

static void y_link(gen_t *g, const char *k, uint64_t bps, uint64_t latency_ms)
{
    y_str(g, k);
    y_map(g, true);
    y_kn(g, "bps", bps);
    y_kn(g, "latency_ms", latency_ms);
    y_str(g, "o_preempts");
    y_bool(g, true);
    y_map_end(g);
}

static void emit_network(gen_t *g)
{
    yaml_event_t ev;
    char         listen[32];

    yaml_emitter_initialize(&g->em);
    yaml_emitter_set_output(&g->em, out_write, &g->out);
    yaml_emitter_set_width(&g->em, -1); /* one line per station */
    yaml_emitter_set_unicode(&g->em, 0);
    yaml_emitter_set_break(&g->em, YAML_LN_BREAK);
    y_emit(g, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
    y_emit(g, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
    y_map(g, false);

    y_str(g, "routers");
    y_seq(g, false);
    for (uint32_t r = 0; r < g->n_routers; r++) {
        snprintf(listen, sizeof(listen), "127.0.0.1:%u", g->base_port + r);
        y_map(g, true);
        y_kv(g, "name", g->routers[r]);
        y_str(g, "listen");
        {
            int ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)listen,
                                                  (int)strlen(listen), 1, 1,
                                                  YAML_DOUBLE_QUOTED_SCALAR_STYLE);
            y_emit(g, &ev, ok);
        }
        y_kn(g, "processing_ms", r == 0 ? GEN_HUB_PROCESSING : GEN_RELAY_PROCESSING);
        y_map_end(g);
    }
    y_seq_end(g);

    if (g->n_routers > 1) {
        y_str(g, "trunks");
        y_seq(g, false);
        for (uint32_t r = 1; r < g->n_routers; r++) {
            y_map(g, true);
            y_kv(g, "a", g->routers[0]);
            y_kv(g, "b", g->routers[r]);
            y_map_end(g);
        }
        y_seq_end(g);
    }

    y_str(g, "links");
    y_map(g, false);
    y_link(g, "defaults", NET_GEN_STATION_BPS, NET_GEN_STATION_LATENCY_MS);
    y_link(g, "trunk_defaults", NET_GEN_TRUNK_BPS, NET_GEN_TRUNK_LATENCY_MS);
    y_map_end(g);

    y_str(g, "stations");
    y_seq(g, false);
    for (uint32_t i = 0; i < g->n_st; i++) {
        const gstation_t *st = &g->st[i];
        y_map(g, true);
        y_kv(g, "ri", st->ri);
        y_str(g, "pla");
        if (st->n_pla == 1) {
            y_str(g, st->pla[0]);
        } else {
            y_seq(g, true);
            for (uint32_t k = 0; k < st->n_pla; k++)
                y_str(g, st->pla[k]);
            y_seq_end(g);
        }
        y_kv(g, "kind", net_kind_name(net_gen_kind(st->pla[0])));
        y_kv(g, "router", g->routers[st->router]);
        y_map_end(g);
    }
    y_seq_end(g);

    if (g->n_co) {
        y_str(g, "collectives");
        y_seq(g, false);
        for (uint32_t c = 0; c < g->n_co; c++) {
            y_map(g, true);
            y_kv(g, "ri", g->co[c].ri);
            y_kv(g, "pla", g->co[c].pla);
            y_str(g, "members");
            y_seq(g, true);
            y_str(g, g->st[g->co[c].stand_in].ri);
            y_seq_end(g);
            y_map_end(g);
        }
        y_seq_end(g);
    }

    y_str(g, "routes");
    y_map(g, false);
    y_str(g, "prefixes");
    y_seq(g, false);
    for (uint32_t k = 0; k < g->n_gr; k++) {
        y_map(g, true);
        y_kv(g, "prefix", g->gr[k].key);
        y_kv(g, "router", g->routers[g->gr[k].router]);
        y_map_end(g);
    }
    y_seq_end(g);
    y_kv(g, "default", g->routers[0]);
    y_map_end(g);

    y_map_end(g);
    y_emit(g, &ev, yaml_document_end_event_initialize(&ev, 1));
    y_emit(g, &ev, yaml_stream_end_event_initialize(&ev));
    if (!yaml_emitter_flush(&g->em))
        sim_panic("%s: libyaml emitter: cannot flush", __func__);
    yaml_emitter_delete(&g->em);
    /* An implicit document end leaves the last line open: a text file
     * ends in a newline. */
    if (g->out.n && g->out.p[g->out.n - 1] != '\n')
        out_write(&g->out, (unsigned char *)"\n", 1);
}

/* ---- the check ------------------------------------------------------------------ */

/* Every RI and address of the corpus must resolve in the loaded network as
 * the router resolves a line: an RI to a station or collective (an
 * originating RI to a station), an address through the directory (an FM
 * address to a station). */
static void check_resolves(const gen_t *g, const net_network_t *net, net__cx_t *cx)
{
    for (uint32_t r = 0; r < g->n_ri; r++) {
        const gri_t *ri = &g->ri[r];
        size_t       len = strlen(ri->ri);
        int32_t      s = net_station_by_ri(net, ri->ri, len);
        if (s < 0 && (ri->origin || net_collective_by_ri(net, ri->ri, len) < 0))
            net__error(cx, 0, 0, "RI '%s' of the corpus does not resolve to a %s", ri->ri,
                       ri->origin ? "station" : "station or collective");
    }
    for (uint32_t p = 0; p < g->n_pla; p++) {
        const gpla_t          *pl = &g->pla[p];
        const net_dir_entry_t *e = net_dir_lookup(net, pl->pla, strlen(pl->pla));
        if (!e || ((pl->flags & SIGHT_FROM) && e->station < 0))
            net__error(cx, 0, 0, "address '%s' of the corpus does not resolve to a %s", pl->pla,
                       (pl->flags & SIGHT_FROM) ? "station" : "station or collective");
    }
}

static void gen_destroy(gen_t *g)
{
    for (uint32_t r = 0; r < g->n_ri; r++)
        free(g->ri[r].owned);
    for (uint32_t i = 0; i < g->n_st; i++)
        free(g->st[i].pla);
    free(g->s);
    free(g->ri);
    free(g->pla);
    free(g->made_pla.v);
    free(g->made_ri.v);
    free(g->st);
    free(g->co);
    free(g->req);
    free(g->gr);
    free(g->routers);
    free(g->out.p);
    sim_arena_destroy(&g->a);
}

int net_gen_from_corpus(const cable_corpus_t *cp, const net_gen_opts_t *o, char **yaml_out,
                        size_t *len_out, net_gen_stats_t *stats, net_errors_t *errs)
{
    gen_t           g;
    net_gen_stats_t st_local, *st = stats ? stats : &st_local;
    cable_t         c;
    net__cx_t       cx;
    net_network_t  *net;
    int             rc = 0;

    memset(st, 0, sizeof(*st));
    *yaml_out = NULL;
    *len_out = 0;
    memset(&g, 0, sizeof(g));
    g.prefix_len = o && o->prefix_len ? o->prefix_len : NET_GEN_PREFIX_LEN;
    g.min_group = o && o->min_group ? o->min_group : NET_GEN_MIN_GROUP;
    g.min_share = o && o->min_share ? o->min_share : NET_GEN_MIN_SHARE;
    g.base_port = o && o->base_port ? o->base_port : NET_GEN_BASE_PORT;
    if (g.prefix_len > 7 || g.base_port > 65535 || g.min_share > 101)
        return SIM_EUSAGE;
    sim_arena_init(&g.a);

    cable_init(&c);
    for (size_t i = 0; i < cp->n_entries; i++) {
        cable_reset(&c);
        st->entries++;
        if (cable_corpus_parse(cp, i, &c, false) < 0) {
            if (st->skipped < NET_GEN_SKIPPED_SHOWN)
                st->skipped_at[st->skipped] = i;
            st->skipped++;
            continue;
        }
        sight_cable(&g, &c, st);
    }
    cable_destroy(&c);

    sights_merge(&g);
    build_ris(&g);
    build_plas(&g);
    build_entities(&g);
    if (g.n_st == 0) {
        gen_destroy(&g);
        return SIM_EPARSE;
    }
    assign_synthetic(&g);
    build_routers(&g);

    memset(&cx, 0, sizeof(cx));
    if ((uint64_t)g.base_port + g.n_routers - 1 > 65535) {
        net__error(&cx, 0, 0, "%u routers do not fit in the ports from %u to 65535", g.n_routers,
                   g.base_port);
        net__errors_move(&cx, errs);
        gen_destroy(&g);
        return SIM_EUSAGE;
    }
    emit_network(&g);

    net = net_load_mem("generated network", g.out.p, g.out.n, errs);
    if (net) {
        check_resolves(&g, net, &cx);
        st->stations = net->n_stations;
        st->routers = net->n_routers;
        st->collectives = net->n_collectives;
        st->trunks = net->n_trunks;
        st->routes = net->n_routes;
        snprintf(st->hub, sizeof(st->hub), "%s", net->routers[0].name);
        net_free(net);
    }
    if (!net || cx.errs.n)
        rc = SIM_EIO;
    net__errors_move(&cx, errs);

    st->synthetic_ris = g.made_ri.n;
    st->synthetic_plas = g.made_pla.n;
    st->stand_ins = g.n_co;
    for (uint32_t i = 0; i < g.n_req; i++)
        st->synthetic_collectives += g.req[i].coll;
    if (g.catch_all != UINT32_MAX)
        for (uint32_t i = 0; i < g.n_st; i++)
            st->catch_all += g.st[i].router == g.catch_all;

    *yaml_out = g.out.p;
    *len_out = g.out.n;
    g.out.p = NULL;
    gen_destroy(&g);
    return rc;
}
