/*
 * cable_gen.c - the synthetic cable generator (see cable_gen.h): the PRNG,
 * the distributions of the real-corpus survey, choosing originators and
 * addressees among the stations of a network, numbering (station serials,
 * cable numbers, channel sequence numbers, message continuity numbers per
 * originator and addressee), and laying out each section's heading and text
 * as a cable model. The prose comes from cable_gen_text.c.
 *
 * Distributions (docs/cable-format.md section 6; the figures are the
 * survey's counts, used as integer weights):
 *   precedence      the caller's mix (default Z:1,O:9,P:30,R:60)
 *   dual precedence 6% of all messages, drawn among those above ROUTINE
 *   TO count        mission originators 1: 92.5%, 2: 4.5%, 3-5: 3%;
 *                   SECSTATE 1: 55%, 2: 15%, 3-5: 15%, 6-30: 15%
 *   INFO count      0: 183, 1-4: 1218, 5-9: 748, 10-19: 687, 20-49: 137,
 *                   50-53: 2 (uniform inside a bin), capped by the network
 *   collectives     each INFO slot 12% (10% of INFO lines, as surveyed), never one holding the originator or
 *                   a TO addressee, and never with its members listed too
 *   MCN             State addressees (missions, SECSTATE) TO 98%, INFO 91%;
 *                   other departments 2%; collectives none
 *   sections        1: 1638, 2: 557, 3: 354, 4: 171, 5: 142, 6: 46, 7: 25,
 *                   8: 11, 9: 5, 10: 8, 11: 6, 12: 4, 13: 3, 16, 17: 1,
 *                   18: 2, 24: 1 (FLASH and above: one section)
 *   classification  CONFIDENTIAL 1316, UNCLAS 750, SECRET 582
 *   captions        SIPDIS 90%; SENSITIVE on 55% of UNCLAS; NOFORN on 42% of
 *                   SECRET and 10% of CONFIDENTIAL; EXDIS 1.5% of classified
 *   REF             50% of messages (1-3 references)
 *   originators     SECSTATE 5%, missions by a per-station activity weight
 * Everything uses integers and the generator's own PRNG, so a seed gives the
 * same bytes everywhere. Failure modes: none at run time (allocation failure
 * aborts); cable_gen_new refuses a network with fewer than two stations.
 */
#include "cable_gen_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* --- PRNG --------------------------------------------------------------- */

uint64_t cable_gen__mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void cable_gen__rng_seed(cable_gen__rng_t *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        r->s[i] = cable_gen__mix64(x);
        x += 0x9e3779b97f4a7c15ull;
    }
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t cable_gen__rng_next(cable_gen__rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t  out = rotl(s[1] * 5, 7) * 9;
    uint64_t  t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static uint64_t below64(cable_gen__rng_t *r, uint64_t n)
{
    uint64_t x, threshold;
    if (n == 0)
        return 0;
    threshold = (0 - n) % n; /* 2^64 mod n: reject the incomplete last block */
    do
        x = cable_gen__rng_next(r);
    while (x < threshold);
    return x % n;
}

uint32_t cable_gen__below(cable_gen__rng_t *r, uint32_t n)
{
    return (uint32_t)below64(r, n);
}

uint32_t cable_gen__range(cable_gen__rng_t *r, uint32_t lo, uint32_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + cable_gen__below(r, hi - lo + 1);
}

bool cable_gen__chance(cable_gen__rng_t *r, uint32_t permille)
{
    return cable_gen__below(r, 1000) < permille;
}

uint32_t cable_gen__pick(cable_gen__rng_t *r, const uint32_t *weights, uint32_t n)
{
    uint64_t total = 0, x;
    for (uint32_t i = 0; i < n; i++)
        total += weights[i];
    if (total == 0)
        sim_panic("%s: all weights are zero", __func__);
    x = below64(r, total);
    for (uint32_t i = 0; i < n; i++) {
        if (x < weights[i])
            return i;
        x -= weights[i];
    }
    return n - 1;
}

/* --- distributions ------------------------------------------------------ */

/* Quantile tables: value at u = q[i].at (per million), linear in between. */
typedef struct quantile {
    uint32_t at;
    uint32_t value;
} quantile_t;

static uint32_t draw_quantile(cable_gen__rng_t *r, const quantile_t *q, size_t n)
{
    uint32_t u = cable_gen__below(r, 1000000);
    for (size_t i = 1; i < n; i++) {
        if (u <= q[i].at) {
            uint64_t span = q[i].at - q[i - 1].at;
            uint64_t off = u - q[i - 1].at;
            int64_t  dv = (int64_t)q[i].value - (int64_t)q[i - 1].value;
            return (uint32_t)((int64_t)q[i - 1].value + (int64_t)((int64_t)off * dv / (int64_t)span));
        }
    }
    return q[n - 1].value;
}

/* Bytes of a single-section text, of each section of a longer message (the
 * survey's multi-section cables run about 3.2 KB per section), and of a
 * FLASH text (brevity is mandatory). */
static const quantile_t size_single[] = {
    {0, 700}, {100000, 1100}, {250000, 1800}, {500000, 2900},
    {750000, 4400}, {900000, 6200}, {1000000, 11000},
};
static const quantile_t size_section[] = {
    {0, 2600}, {100000, 2900}, {500000, 3300}, {900000, 3900}, {1000000, 4400},
};
static const quantile_t size_flash[] = {{0, 500}, {500000, 900}, {1000000, 1600}};

/* -ln(1 - i/32) * 1e6: the exponential distribution's quantiles. */
static const uint32_t exp_q[32] = {
    0,       31749,   64539,   98440,   133531,  169899,  207639,  246860,
    287682,  330242,  374693,  421213,  470004,  521297,  575364,  632523,
    693147,  757686,  826679,  900787,  980829,  1067841, 1163151, 1268511,
    1386294, 1519826, 1673976, 1856298, 2079442, 2367124, 2772589, 3465736,
};

/* An exponential variate with mean 'mean' seconds, by table inversion; the
 * last 1/32 of the distribution restarts (it is memoryless). */
static uint64_t draw_exp(cable_gen__rng_t *r, uint32_t mean)
{
    uint64_t micro = 0; /* the variate for mean 1, times 1e6 */
    for (;;) {
        uint32_t u = cable_gen__below(r, 32u << 16);
        uint32_t i = u >> 16, frac = u & 0xffffu;
        if (i < 31) {
            micro += exp_q[i] + (uint64_t)(exp_q[i + 1] - exp_q[i]) * frac / 65536u;
            break;
        }
        micro += exp_q[31];
        if (micro > 40000000u) /* e^-40: never, but bounded */
            break;
    }
    return (micro * mean + 500000u) / 1000000u;
}

static const uint32_t w_sections[] = {0,  1638, 557, 354, 171, 142, 46, 25, 11, 5, 8, 6, 4,
                                      3,  0,    0,   1,   1,   2,   0,  0,  0,  0, 0, 1};
/* INFO count bins: [lo, hi] and weight. */
static const struct {
    uint32_t lo, hi, w;
} info_bins[] = {{0, 0, 183}, {1, 4, 1218}, {5, 9, 748}, {10, 19, 687}, {20, 49, 137}, {50, 53, 2}};

/* --- the generator ------------------------------------------------------ */

enum { ROLE_MISSION = 0, ROLE_STATE = 1, ROLE_AGENCY = 2 };

typedef struct gen_station {
    uint32_t    weight;  /* activity: how often it sends and is addressed */
    int32_t     csn;     /* next channel sequence number */
    int32_t     number;  /* next cable number */
    char        channel[4];
    char        post[48];
    const char *country, *ccode;
    const char *signature;
    const char *classifier;
    uint8_t     role;
    bool        in_pool;
    uint32_t    stamp;   /* == g->stamp: already used in the current message */
} gen_station_t;

typedef struct gen_coll {
    uint32_t  index;     /* into net->collectives */
    uint32_t *members;   /* station indices */
    uint32_t  n_members;
} gen_coll_t;

typedef struct gen_addr {
    int32_t      station;    /* or -1 for a collective */
    int32_t      coll;       /* index into g->colls, or -1 */
    uint32_t     pla;        /* which of the station's addresses */
    const char  *word;       /* precedence word or NULL */
    cable_prec_t prec;
    bool         niact;
    int32_t      mcn;        /* first MCN of the message, or -1 */
} gen_addr_t;

/* The message whose sections are being handed out. */
typedef struct gen_msg {
    uint32_t           origin;
    cable_prec_t       prec, info_prec;
    cable_class_t      cls;
    bool               noforn, sensitive, sipdis, exdis;
    bool               de_section;
    bool               mcn_range;
    uint32_t           sections, next; /* next section to hand out, from 1 */
    uint32_t           para;           /* paragraphs written so far */
    uint32_t           total_target;   /* text bytes planned for the message */
    bool               action_done;
    int64_t            when;
    int32_t            number;
    gen_addr_t        *to, *info;
    uint32_t           n_to, n_info, cap_to, cap_info;
    cable_gen__story_t story;
    cable_gen__buf_t   subject, tags, eo, ref, classified_by;
} gen_msg_t;

/* Message continuity numbers: open addressing, key (origin, addressee)+1. */
typedef struct mcn_table {
    uint64_t *keys;
    int32_t  *next;
    uint32_t  cap, n;
} mcn_table_t;

struct cable_gen {
    const net_network_t *net;
    cable_gen_opts_t     opts;
    cable_gen__rng_t     rng;
    gen_station_t       *st;
    uint32_t            *pool;   /* stations that may take part */
    uint32_t             n_pool;
    uint64_t            *cum;    /* cumulative addressee weights over pool */
    uint32_t            *missions; /* pool stations by role */
    uint64_t            *cum_missions;
    uint32_t             n_missions;
    uint32_t            *states;
    uint32_t             n_states;
    gen_coll_t          *colls;
    uint32_t             n_colls;
    uint32_t             stamp;
    uint32_t             coll_stamp_base;
    uint32_t            *coll_stamp;
    int64_t              clock;
    uint64_t             mix_total, mix_above_r;
    mcn_table_t          mcn;
    gen_msg_t            m;
    cable_gen__buf_t     text, scratch;
};

void cable_gen_opts_init(cable_gen_opts_t *o)
{
    memset(o, 0, sizeof(*o));
}

/* --- mix ---------------------------------------------------------------- */

static void set_error(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_error(char *err, size_t size, const char *fmt, ...)
{
    va_list ap;
    if (!err || !size)
        return;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
}

int cable_gen_parse_mix(const char *s, uint32_t mix[CABLE_PREC_COUNT], char *err, size_t errsize)
{
    bool        seen[CABLE_PREC_COUNT] = {false};
    uint64_t    total = 0;
    const char *p = s;
    for (int i = 0; i < CABLE_PREC_COUNT; i++)
        mix[i] = 0;
    if (!s || !*s) {
        set_error(err, errsize, "empty mix: expected e.g. %s", CABLE_GEN_DEFAULT_MIX);
        return SIM_EUSAGE;
    }
    for (;;) {
        cable_prec_t prec;
        uint64_t     w = 0;
        int          digits = 0;
        char         letter = *p;
        prec = cable_prec_from_letter(letter >= 'a' && letter <= 'z' ? letter - 32 : letter);
        if (prec == CABLE_PREC_NONE) {
            set_error(err, errsize,
                      "bad mix '%s' at '%.8s': expected a precedence letter Y, Z, O, P or R", s,
                      p);
            return SIM_EUSAGE;
        }
        if (seen[prec]) {
            set_error(err, errsize, "bad mix '%s': precedence %c given twice", s,
                      cable_prec_letter(prec));
            return SIM_EUSAGE;
        }
        seen[prec] = true;
        p++;
        if (*p != ':' && *p != '=') {
            set_error(err, errsize, "bad mix '%s': expected ':' and a weight after %c", s,
                      cable_prec_letter(prec));
            return SIM_EUSAGE;
        }
        p++;
        while (*p >= '0' && *p <= '9') {
            w = w * 10 + (uint64_t)(*p - '0');
            if (w > 1000000) {
                set_error(err, errsize, "bad mix '%s': weight of %c above 1000000", s,
                          cable_prec_letter(prec));
                return SIM_EUSAGE;
            }
            p++;
            digits++;
        }
        if (!digits) {
            set_error(err, errsize, "bad mix '%s': the weight of %c is not a whole number", s,
                      cable_prec_letter(prec));
            return SIM_EUSAGE;
        }
        mix[prec] = (uint32_t)w;
        total += w;
        if (*p == '\0')
            break;
        if (*p != ',') {
            set_error(err, errsize, "bad mix '%s' at '%.8s': expected ',' between weights", s, p);
            return SIM_EUSAGE;
        }
        p++;
    }
    if (total == 0) {
        set_error(err, errsize, "bad mix '%s': every weight is zero", s);
        return SIM_EUSAGE;
    }
    return 0;
}

/* --- MCN table ---------------------------------------------------------- */

static int32_t *mcn_slot(mcn_table_t *t, uint64_t key, bool *fresh)
{
    uint32_t i;
    if ((t->n + 1) * 4 >= t->cap * 3) {
        mcn_table_t nt = {0};
        nt.cap = t->cap ? t->cap * 2 : 1024;
        nt.keys = sim_xcalloc(nt.cap, sizeof(*nt.keys));
        nt.next = sim_xcalloc(nt.cap, sizeof(*nt.next));
        for (uint32_t k = 0; k < t->cap; k++) {
            if (!t->keys[k])
                continue;
            i = (uint32_t)(cable_gen__mix64(t->keys[k]) & (nt.cap - 1));
            while (nt.keys[i])
                i = (i + 1) & (nt.cap - 1);
            nt.keys[i] = t->keys[k];
            nt.next[i] = t->next[k];
        }
        nt.n = t->n;
        free(t->keys);
        free(t->next);
        *t = nt;
    }
    key++;
    i = (uint32_t)(cable_gen__mix64(key) & (t->cap - 1));
    while (t->keys[i] && t->keys[i] != key)
        i = (i + 1) & (t->cap - 1);
    *fresh = !t->keys[i];
    if (*fresh) {
        t->keys[i] = key;
        t->n++;
    }
    return &t->next[i];
}

/* Takes 'count' consecutive MCNs (1-9999, wrapping) for origin->addressee;
 * returns the first. */
static int32_t mcn_take(cable_gen_t *g, uint32_t origin, uint32_t addressee, uint32_t count)
{
    bool     fresh;
    uint64_t key = ((uint64_t)origin << 32) | addressee;
    int32_t *v = mcn_slot(&g->mcn, key, &fresh), first;
    if (fresh)
        *v = (int32_t)(cable_gen__mix64(g->opts.seed ^ (key * 0x2545f4914f6cdd1dull)) % 9000u) + 1;
    first = *v;
    *v = (int32_t)((*v - 1 + (int32_t)count) % 9999) + 1;
    return first;
}

static int32_t mcn_add(int32_t first, uint32_t k)
{
    return (int32_t)((first - 1 + (int32_t)k) % 9999) + 1;
}

/* --- set-up ------------------------------------------------------------- */

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void init_station(cable_gen_t *g, uint32_t i)
{
    const net_station_t *ns = &g->net->stations[i];
    gen_station_t       *st = &g->st[i];
    const char          *pla = ns->n_pla ? ns->pla[0] : ns->ri;
    const char          *suffix = strlen(ns->ri) > 4 ? ns->ri + 4 : ns->ri + 1;
    uint64_t             h = cable_gen__mix64(g->opts.seed * 0x9e3779b97f4a7c15ull + i);
    static const char *const classifiers[] = {
        "Ambassador", "DCM", "Political Counselor", "Economic Counselor", "Charge d'Affaires",
        "Pol/Econ Chief",
    };

    if (starts_with(pla, "SECSTATE"))
        st->role = ROLE_STATE;
    else if (ns->kind == NET_KIND_MISSION)
        st->role = ROLE_MISSION;
    else
        st->role = ROLE_AGENCY;
    /* Activity 1-8: a few busy posts, many quiet ones. */
    st->weight = 1 + (uint32_t)((h >> 8) % 8) * (uint32_t)((h >> 16) % 2 + 1) / 2;
    st->csn = (int32_t)((h >> 24) % 10000);
    if (st->role == ROLE_STATE)
        st->number = (int32_t)(10000 + (h >> 32) % 80000);
    else
        st->number = (int32_t)(1 + (h >> 32) % 1500);
    /* Channel designator: two letters of the station, then O for outgoing
     * (the handbook's example BKO is Bangkok outgoing). */
    st->channel[0] = suffix[0] ? suffix[0] : 'X';
    st->channel[1] = suffix[0] && suffix[1] ? suffix[1] : 'X';
    st->channel[2] = 'O';
    st->channel[3] = '\0';
    for (int k = 0; k < 2; k++)
        if (st->channel[k] < 'A' || st->channel[k] > 'Z')
            st->channel[k] = 'X';
    cable_gen__post_name(pla, st->post, sizeof(st->post));
    if (!st->post[0])
        snprintf(st->post, sizeof(st->post), "%s", ns->ri);
    if (!cable_gen__country(st->post, &st->country, &st->ccode))
        st->country = st->ccode = NULL;
    st->signature = cable_gen__surname(h >> 40);
    st->classifier = classifiers[(h >> 48) % SIM_ARRAY_LEN(classifiers)];
}

static void build_weights(cable_gen_t *g)
{
    uint64_t sum = 0, msum = 0;
    g->cum = sim_xmalloc(g->n_pool * sizeof(*g->cum));
    g->missions = sim_xmalloc(g->n_pool * sizeof(*g->missions));
    g->cum_missions = sim_xmalloc(g->n_pool * sizeof(*g->cum_missions));
    g->states = sim_xmalloc(g->n_pool * sizeof(*g->states));
    for (uint32_t k = 0; k < g->n_pool; k++) {
        gen_station_t *st = &g->st[g->pool[k]];
        /* Departments are addressed far more often than any one post:
         * RUEHC, RHMFISS, RUEKJCS, RHEHNSC, RUEAIIA top the survey. */
        sum += st->role == ROLE_MISSION ? st->weight : 25;
        g->cum[k] = sum;
        if (st->role == ROLE_MISSION) {
            msum += st->weight;
            g->missions[g->n_missions] = g->pool[k];
            g->cum_missions[g->n_missions++] = msum;
        } else if (st->role == ROLE_STATE) {
            g->states[g->n_states++] = g->pool[k];
        }
    }
}

static void build_collectives(cable_gen_t *g)
{
    const net_network_t *net = g->net;
    g->colls = sim_xcalloc(net->n_collectives ? net->n_collectives : 1, sizeof(*g->colls));
    g->coll_stamp = sim_xcalloc(net->n_collectives ? net->n_collectives : 1, sizeof(uint32_t));
    for (uint32_t i = 0; i < net->n_collectives; i++) {
        const net_collective_t *nc = &net->collectives[i];
        gen_coll_t             *gc = &g->colls[g->n_colls];
        bool                    ok = nc->ri && nc->ri[0] && nc->pla && nc->pla[0];
        if (!ok)
            continue;
        gc->index = i;
        gc->members = sim_xmalloc((nc->n_members ? nc->n_members : 1) * sizeof(uint32_t));
        gc->n_members = 0;
        for (uint32_t k = 0; k < nc->n_members && ok; k++) {
            int32_t s = net_station_by_ri(net, nc->members[k], strlen(nc->members[k]));
            if (s < 0)
                continue;
            if (!g->st[s].in_pool)
                ok = false; /* would deliver outside the chosen stations */
            else
                gc->members[gc->n_members++] = (uint32_t)s;
        }
        if (!ok || gc->n_members == 0) {
            free(gc->members);
            continue;
        }
        g->n_colls++;
    }
}

cable_gen_t *cable_gen_new(const net_network_t *net, const cable_gen_opts_t *opts)
{
    cable_gen_t *g;
    uint32_t     n = net ? net->n_stations : 0;
    if (n < 2)
        return NULL;
    g = sim_xcalloc(1, sizeof(*g));
    g->net = net;
    if (opts)
        g->opts = *opts;
    g->opts.stations = NULL;
    if (!g->opts.start)
        g->opts.start = CABLE_GEN_DEFAULT_START;
    if (!g->opts.interval_s)
        g->opts.interval_s = CABLE_GEN_DEFAULT_INTERVAL_S;
    {
        uint64_t t = 0;
        for (int i = 0; i < CABLE_PREC_COUNT; i++)
            t += g->opts.mix[i];
        if (t == 0)
            cable_gen_parse_mix(CABLE_GEN_DEFAULT_MIX, g->opts.mix, NULL, 0);
        g->mix_total = g->mix_above_r = 0;
        for (int i = 1; i < CABLE_PREC_COUNT; i++) {
            g->mix_total += g->opts.mix[i];
            if (i > CABLE_PREC_R)
                g->mix_above_r += g->opts.mix[i];
        }
        if (g->mix_total == 0) /* only NONE was weighted: fall back */
            cable_gen_parse_mix(CABLE_GEN_DEFAULT_MIX, g->opts.mix, NULL, 0);
        g->mix_total = g->mix_above_r = 0;
        for (int i = 1; i < CABLE_PREC_COUNT; i++) {
            g->mix_total += g->opts.mix[i];
            if (i > CABLE_PREC_R)
                g->mix_above_r += g->opts.mix[i];
        }
    }
    g->st = sim_xcalloc(n, sizeof(*g->st));
    g->pool = sim_xmalloc(n * sizeof(*g->pool));
    if (opts && opts->stations) {
        for (uint32_t k = 0; k < opts->n_stations; k++) {
            uint32_t s = opts->stations[k];
            if (s < n && !g->st[s].in_pool) {
                g->st[s].in_pool = true;
                g->pool[g->n_pool++] = s;
            }
        }
    } else {
        for (uint32_t s = 0; s < n; s++) {
            g->st[s].in_pool = true;
            g->pool[g->n_pool++] = s;
        }
    }
    if (g->n_pool < 2) {
        free(g->st);
        free(g->pool);
        free(g);
        return NULL;
    }
    cable_gen__rng_seed(&g->rng, g->opts.seed);
    for (uint32_t s = 0; s < n; s++)
        init_station(g, s);
    build_weights(g);
    build_collectives(g);
    g->clock = g->opts.start;
    return g;
}

static void msg_free(gen_msg_t *m)
{
    free(m->to);
    free(m->info);
    cable_gen__buf_free(&m->subject);
    cable_gen__buf_free(&m->tags);
    cable_gen__buf_free(&m->eo);
    cable_gen__buf_free(&m->ref);
    cable_gen__buf_free(&m->classified_by);
}

void cable_gen_free(cable_gen_t *g)
{
    if (!g)
        return;
    msg_free(&g->m);
    for (uint32_t i = 0; i < g->n_colls; i++)
        free(g->colls[i].members);
    free(g->colls);
    free(g->coll_stamp);
    free(g->st);
    free(g->pool);
    free(g->cum);
    free(g->missions);
    free(g->cum_missions);
    free(g->states);
    free(g->mcn.keys);
    free(g->mcn.next);
    cable_gen__buf_free(&g->text);
    cable_gen__buf_free(&g->scratch);
    free(g);
}

/* --- drawing stations --------------------------------------------------- */

static uint32_t search_cum(const uint64_t *cum, uint32_t n, uint64_t x)
{
    uint32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* A station not used yet in this message, by weight; missions only when
 * asked. Returns -1 when none is left. */
static int32_t draw_station(cable_gen_t *g, bool missions_only)
{
    const uint32_t *idx = missions_only ? g->missions : g->pool;
    const uint64_t *cum = missions_only ? g->cum_missions : g->cum;
    uint32_t        n = missions_only ? g->n_missions : g->n_pool;
    uint64_t        left = 0;
    if (n == 0)
        return -1;
    for (int tries = 0; tries < 48; tries++) {
        uint32_t k = search_cum(cum, n, below64(&g->rng, cum[n - 1]));
        if (g->st[idx[k]].stamp != g->stamp)
            return (int32_t)idx[k];
    }
    /* Crowded: draw among what is left. */
    for (uint32_t k = 0; k < n; k++)
        if (g->st[idx[k]].stamp != g->stamp)
            left += cum[k] - (k ? cum[k - 1] : 0);
    if (left == 0)
        return -1;
    {
        uint64_t x = below64(&g->rng, left);
        for (uint32_t k = 0; k < n; k++) {
            uint64_t w;
            if (g->st[idx[k]].stamp == g->stamp)
                continue;
            w = cum[k] - (k ? cum[k - 1] : 0);
            if (x < w)
                return (int32_t)idx[k];
            x -= w;
        }
    }
    return -1;
}

static uint32_t draw_origin(cable_gen_t *g)
{
    if (g->n_states && cable_gen__chance(&g->rng, 50))
        return g->states[cable_gen__below(&g->rng, g->n_states)];
    if (g->n_missions) {
        uint32_t k = search_cum(g->cum_missions, g->n_missions,
                                below64(&g->rng, g->cum_missions[g->n_missions - 1]));
        return g->missions[k];
    }
    return g->pool[cable_gen__below(&g->rng, g->n_pool)];
}

static cable_prec_t draw_prec(cable_gen_t *g)
{
    uint32_t w[CABLE_PREC_COUNT];
    for (int i = 0; i < CABLE_PREC_COUNT; i++)
        w[i] = i == 0 ? 0 : g->opts.mix[i];
    return (cable_prec_t)cable_gen__pick(&g->rng, w, CABLE_PREC_COUNT);
}

static gen_addr_t *push_addr(gen_addr_t **v, uint32_t *n, uint32_t *cap)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *v = sim_xrealloc(*v, *cap * sizeof(**v));
    }
    memset(&(*v)[*n], 0, sizeof(**v));
    (*v)[*n].coll = -1;
    (*v)[*n].station = -1;
    (*v)[*n].mcn = -1;
    return &(*v)[(*n)++];
}

static uint32_t pick_pla(cable_gen_t *g, uint32_t s)
{
    const net_station_t *ns = &g->net->stations[s];
    if (ns->n_pla <= 1 || cable_gen__chance(&g->rng, g->st[s].role == ROLE_STATE ? 900 : 600))
        return 0;
    return cable_gen__below(&g->rng, ns->n_pla);
}

/* May collective c join the message? None of its members is in it yet. */
static bool coll_fits(cable_gen_t *g, const gen_coll_t *c)
{
    for (uint32_t i = 0; i < c->n_members; i++)
        if (g->st[c->members[i]].stamp == g->stamp)
            return false;
    return true;
}

static int32_t draw_collective(cable_gen_t *g)
{
    uint32_t start, k;
    if (!g->n_colls)
        return -1;
    start = cable_gen__below(&g->rng, g->n_colls);
    for (k = 0; k < g->n_colls; k++) {
        uint32_t i = (start + k) % g->n_colls;
        if (g->coll_stamp[i] != g->stamp && coll_fits(g, &g->colls[i]))
            return (int32_t)i;
    }
    return -1;
}

static int cmp_pla_of(const cable_gen_t *g, const gen_addr_t *a, const gen_addr_t *b)
{
    const net_station_t *sa = &g->net->stations[a->station], *sb = &g->net->stations[b->station];
    const char *pa = sa->n_pla ? sa->pla[a->pla] : sa->ri;
    const char *pb = sb->n_pla ? sb->pla[b->pla] : sb->ri;
    return strcmp(pa, pb);
}

/* INFO order: collectives, then posts alphabetically, then departments as
 * drawn (insertion sort: lists are short). */
static void order_info(cable_gen_t *g, gen_addr_t *v, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        gen_addr_t x = v[i];
        uint32_t   j = i;
        while (j > 0) {
            const gen_addr_t *y = &v[j - 1];
            int rank_x = x.coll >= 0 ? 0 : g->st[x.station].role == ROLE_MISSION ? 1 : 2;
            int rank_y = y->coll >= 0 ? 0 : g->st[y->station].role == ROLE_MISSION ? 1 : 2;
            if (rank_y < rank_x || (rank_y == rank_x && (rank_x != 1 || cmp_pla_of(g, y, &x) <= 0)))
                break;
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* --- a new message ------------------------------------------------------ */

static const char *const class_lines[] = {
    NULL, "UNCLAS", "C O N F I D E N T I A L", "S E C R E T", "T O P S E C R E T",
};

static void choose_addressees(cable_gen_t *g, gen_msg_t *m)
{
    gen_station_t *o = &g->st[m->origin];
    uint32_t       n_to, n_info, bin, avail;
    uint32_t       w_bins[SIM_ARRAY_LEN(info_bins)];

    /* TO */
    if (o->role == ROLE_STATE) {
        static const uint32_t w[] = {550, 150, 150, 150};
        switch (cable_gen__pick(&g->rng, w, 4)) {
        case 0: n_to = 1; break;
        case 1: n_to = 2; break;
        case 2: n_to = cable_gen__range(&g->rng, 3, 5); break;
        default: n_to = cable_gen__range(&g->rng, 6, 30); break;
        }
    } else {
        static const uint32_t w[] = {925, 45, 15, 8, 7};
        n_to = 1 + cable_gen__pick(&g->rng, w, 5);
    }
    for (uint32_t k = 0; k < n_to; k++) {
        int32_t     s = -1;
        gen_addr_t *a;
        if (k == 0 && o->role != ROLE_STATE && g->n_states &&
            cable_gen__chance(&g->rng, 920)) {
            s = (int32_t)g->states[cable_gen__below(&g->rng, g->n_states)];
            if (g->st[s].stamp == g->stamp)
                s = -1;
        }
        if (s < 0)
            s = draw_station(g, o->role == ROLE_STATE && g->n_missions > 1);
        if (s < 0)
            s = draw_station(g, false);
        if (s < 0)
            break;
        g->st[s].stamp = g->stamp;
        a = push_addr(&m->to, &m->n_to, &m->cap_to);
        a->station = s;
        a->pla = pick_pla(g, (uint32_t)s);
    }

    /* INFO: how many, then which collectives, then which stations. */
    for (size_t i = 0; i < SIM_ARRAY_LEN(info_bins); i++)
        w_bins[i] = info_bins[i].w;
    bin = cable_gen__pick(&g->rng, w_bins, (uint32_t)SIM_ARRAY_LEN(info_bins));
    n_info = cable_gen__range(&g->rng, info_bins[bin].lo, info_bins[bin].hi);
    avail = g->n_pool - 1 - m->n_to + g->n_colls;
    if (n_info > avail)
        n_info = avail;
    {
        uint32_t n_coll = 0;
        for (uint32_t k = 0; k < n_info; k++)
            if (cable_gen__chance(&g->rng, 120))
                n_coll++;
        for (uint32_t k = 0; k < n_coll; k++) {
            int32_t     ci = draw_collective(g);
            gen_addr_t *a;
            if (ci < 0)
                break;
            g->coll_stamp[ci] = g->stamp;
            for (uint32_t j = 0; j < g->colls[ci].n_members; j++)
                g->st[g->colls[ci].members[j]].stamp = g->stamp;
            a = push_addr(&m->info, &m->n_info, &m->cap_info);
            a->coll = ci;
        }
    }
    while (m->n_info < n_info) {
        int32_t     s = draw_station(g, false);
        gen_addr_t *a;
        if (s < 0)
            break;
        g->st[s].stamp = g->stamp;
        a = push_addr(&m->info, &m->n_info, &m->cap_info);
        a->station = s;
        a->pla = pick_pla(g, (uint32_t)s);
    }
    order_info(g, m->info, m->n_info);
}

/* Is an addressee a State station (its lines carry MCNs)? Posts, SECSTATE
 * and whatever else the State switch serves (RUEH...). */
static bool state_station(const cable_gen_t *g, const gen_addr_t *a)
{
    return a->station >= 0 && (g->st[a->station].role != ROLE_AGENCY ||
                               starts_with(g->net->stations[a->station].ri, "RUEH"));
}

static void choose_words(cable_gen_t *g, gen_msg_t *m)
{
    const char *to_word = NULL, *info_word = NULL;
    uint32_t    x = cable_gen__below(&g->rng, 1000);

    switch (m->prec) {
    case CABLE_PREC_Y: to_word = "EMERGENCY COMMAND"; break;
    case CABLE_PREC_Z: to_word = "FLASH"; break;
    case CABLE_PREC_O: to_word = x < 980 ? "IMMEDIATE" : NULL; break;
    case CABLE_PREC_P: to_word = x < 950 ? "PRIORITY" : NULL; break;
    default: break;
    }
    x = cable_gen__below(&g->rng, 1000);
    switch (m->info_prec) {
    case CABLE_PREC_Z: info_word = x < 400 ? "IMMEDIATE" : NULL; break;
    case CABLE_PREC_O: info_word = x < 260 ? "IMMEDIATE" : x < 620 ? "PRIORITY" : NULL; break;
    case CABLE_PREC_P: info_word = x < 480 ? "PRIORITY" : NULL; break;
    default: break;
    }
    for (uint32_t k = 0; k < m->n_to; k++) {
        gen_addr_t *a = &m->to[k];
        a->word = to_word;
        if (k == 0 && m->story.niact)
            a->word = "NIACT IMMEDIATE", a->niact = true;
        a->prec = a->word ? cable_prec_from_word(a->word, strlen(a->word)) : CABLE_PREC_NONE;
        if (cable_gen__chance(&g->rng, state_station(g, a) ? 980 : 20))
            a->mcn = 0; /* numbered by take_mcns once the addressees are final */
    }
    for (uint32_t k = 0; k < m->n_info; k++) {
        gen_addr_t *a = &m->info[k];
        if (a->coll >= 0)
            continue; /* collectives: no word, no MCN */
        a->word = info_word;
        a->prec = a->word ? cable_prec_from_word(a->word, strlen(a->word)) : CABLE_PREC_NONE;
        if (cable_gen__chance(&g->rng, state_station(g, a) ? 910 : 20))
            a->mcn = 0;
    }
}

/* Numbers the MCNs of the addressees that carry one: each message takes one
 * per section from the series of its (originator, addressee) pair. */
static void take_mcns(cable_gen_t *g, gen_msg_t *m)
{
    for (uint32_t k = 0; k < m->n_to; k++)
        if (m->to[k].mcn == 0)
            m->to[k].mcn = mcn_take(g, m->origin, (uint32_t)m->to[k].station, m->sections);
    for (uint32_t k = 0; k < m->n_info; k++)
        if (m->info[k].mcn == 0)
            m->info[k].mcn = mcn_take(g, m->origin, (uint32_t)m->info[k].station, m->sections);
}

static void put_ref(cable_gen_t *g, gen_msg_t *m)
{
    static const char *const letters[] = {"A.", "B.", "C."};
    static const uint32_t    w_n[] = {600, 300, 100};
    uint32_t                 n = 1 + cable_gen__pick(&g->rng, w_n, 3);
    gen_station_t           *o = &g->st[m->origin];
    for (uint32_t k = 0; k < n; k++) {
        uint32_t x = cable_gen__below(&g->rng, 10);
        if (k)
            cable_gen__puts(&m->ref, " ");
        if (n > 1)
            cable_gen__putf(&m->ref, "%s ", letters[k]);
        if (x < 4 && m->number > 1 && o->role != ROLE_STATE) {
            /* One of the post's own earlier cables. */
            uint32_t lo = m->number > 400 ? (uint32_t)m->number - 400 : 1;
            cable_gen__putf(&m->ref, "%s %u", o->post,
                            cable_gen__range(&g->rng, lo, (uint32_t)m->number - 1));
        } else if (x < 8 || o->role == ROLE_STATE) {
            uint32_t s = g->pool[cable_gen__below(&g->rng, g->n_pool)];
            if (x < 7 && o->role != ROLE_STATE)
                cable_gen__putf(&m->ref, "STATE %u", cable_gen__range(&g->rng, 1000, 129999));
            else
                cable_gen__putf(&m->ref, "%s %u", g->st[s].post,
                                cable_gen__range(&g->rng, 1, 2999));
        } else {
            uint32_t s = g->pool[cable_gen__below(&g->rng, g->n_pool)];
            cable_gen__putf(&m->ref, "%s %u", g->st[s].post, cable_gen__range(&g->rng, 1, 2999));
        }
    }
}

static void put_eo(cable_gen_t *g, gen_msg_t *m)
{
    cable_dtg_t d = cable_dtg_from_epoch(m->when);
    unsigned    years = m->cls == CABLE_CLASS_SECRET && cable_gen__chance(&g->rng, 250) ? 25 : 10;
    unsigned    day = d.month == 2 && d.day == 29 ? 28 : d.day;
    if (m->cls == CABLE_CLASS_UNCLASSIFIED)
        cable_gen__puts(&m->eo, "12958: N/A");
    else
        cable_gen__putf(&m->eo, "12958: DECL: %02u/%02u/%04u", (unsigned)d.month, day,
                        (unsigned)d.year + years);
}

static void new_message(cable_gen_t *g, const cable_gen_req_t *req)
{
    gen_msg_t     *m = &g->m;
    gen_station_t *o;
    static const uint32_t w_class[] = {0, 750, 1316, 582};

    /* Reuse the message's buffers. */
    m->n_to = m->n_info = 0;
    m->subject.len = m->tags.len = m->eo.len = m->ref.len = m->classified_by.len = 0;
    g->stamp++;
    if (g->stamp == 0) { /* wrapped: clear the marks once */
        for (uint32_t i = 0; i < g->net->n_stations; i++)
            g->st[i].stamp = 0;
        for (uint32_t i = 0; i < g->n_colls; i++)
            g->coll_stamp[i] = 0;
        g->stamp = 1;
    }

    /* Time: exponential gaps between messages. */
    if (req && req->when > 0)
        g->clock = req->when;
    else if (g->m.sections)
        g->clock += (int64_t)draw_exp(&g->rng, g->opts.interval_s);
    m->when = g->clock;

    m->origin = req && req->origin >= 0 ? (uint32_t)req->origin : draw_origin(g);
    o = &g->st[m->origin];
    o->stamp = g->stamp;

    m->prec = req && req->prec != CABLE_PREC_NONE ? req->prec : draw_prec(g);
    m->info_prec = m->prec;
    /* Dual precedence: 6% of all messages, drawn among those above ROUTINE. */
    if (m->prec > CABLE_PREC_R &&
        below64(&g->rng, g->mix_above_r * 1000) < 60 * g->mix_total) {
        uint32_t x = cable_gen__below(&g->rng, 100);
        switch (m->prec) {
        case CABLE_PREC_P: m->info_prec = CABLE_PREC_R; break;
        case CABLE_PREC_O: m->info_prec = x < 54 ? CABLE_PREC_R : CABLE_PREC_P; break;
        case CABLE_PREC_Z:
            m->info_prec = x < 50 ? CABLE_PREC_O : x < 75 ? CABLE_PREC_P : CABLE_PREC_R;
            break;
        default:
            m->info_prec = x < 30 ? CABLE_PREC_Z : x < 70 ? CABLE_PREC_O : CABLE_PREC_P;
            break;
        }
    }

    m->cls = (cable_class_t)cable_gen__pick(&g->rng, w_class, 4);
    m->sipdis = cable_gen__chance(&g->rng, 900);
    m->sensitive = m->cls == CABLE_CLASS_UNCLASSIFIED && cable_gen__chance(&g->rng, 550);
    m->noforn = (m->cls == CABLE_CLASS_SECRET && cable_gen__chance(&g->rng, 420)) ||
                (m->cls == CABLE_CLASS_CONFIDENTIAL && cable_gen__chance(&g->rng, 100));
    m->exdis = m->cls != CABLE_CLASS_UNCLASSIFIED && cable_gen__chance(&g->rng, 15);

    m->story.niact = m->prec == CABLE_PREC_O && cable_gen__chance(&g->rng, 30);
    /* FLASH must be brief; a NIACT justification stands in paragraph 1,
     * which only a first section has. */
    if (g->opts.size || m->prec >= CABLE_PREC_Z || m->story.niact)
        m->sections = 1;
    else
        m->sections = cable_gen__pick(&g->rng, w_sections, (uint32_t)SIM_ARRAY_LEN(w_sections));
    m->next = 1;
    m->para = 0;
    m->action_done = false;
    m->de_section = m->sections > 1 || cable_gen__chance(&g->rng, 500);
    m->mcn_range = m->sections > 1 && cable_gen__chance(&g->rng, 40);

    m->number = o->number;
    o->number = o->number >= 999999 ? 1 : o->number + 1;

    {
        bool niact = m->story.niact;
        memset(&m->story, 0, sizeof(m->story));
        m->story.niact = niact;
    }
    m->story.post = o->post;
    m->story.country = o->country;
    m->story.ccode = o->ccode;
    m->story.from_state = o->role == ROLE_STATE;
    m->story.cls = m->cls;
    m->story.noforn = m->noforn;
    m->story.sensitive = m->sensitive;
    m->story.when = m->when;
    m->story.action = m->story.niact ||
                      cable_gen__chance(&g->rng, m->story.from_state ? 600 : 150);
    m->story.topic = cable_gen__below(&g->rng, cable_gen__topic_count());

    choose_addressees(g, m);
    if (g->opts.single) { /* drawn as usual (the same stream), then cut */
        m->n_to = SIM_MIN(m->n_to, 1u);
        m->n_info = 0;
    }
    choose_words(g, m);

    cable_gen__subject(&g->rng, &m->story, &m->subject);
    cable_gen__tags(&g->rng, &m->story, &m->tags);
    put_eo(g, m);
    if (cable_gen__chance(&g->rng, 500))
        put_ref(g, m);
    if (m->cls != CABLE_CLASS_UNCLASSIFIED) {
        if (m->story.from_state)
            cable_gen__putf(&m->classified_by,
                            "Classified By: Assistant Secretary %s, reasons 1.4 (b) and (d).",
                            cable_gen__surname(cable_gen__rng_next(&g->rng) >> 8));
        else
            cable_gen__putf(&m->classified_by, "Classified By: %s %s, reasons 1.4 (b) and (d).",
                            o->classifier, cable_gen__surname(cable_gen__rng_next(&g->rng) >> 8));
    }

    /* Sizes. */
    if (m->prec >= CABLE_PREC_Z)
        m->total_target = draw_quantile(&g->rng, size_flash, SIM_ARRAY_LEN(size_flash));
    else if (m->sections == 1)
        m->total_target = draw_quantile(&g->rng, size_single, SIM_ARRAY_LEN(size_single));
    else
        m->total_target = 0; /* per section, below */
}

/* --- one section as a cable --------------------------------------------- */

static sim_span_t aspan(cable_t *c, const char *s, size_t n)
{
    return sim_span(sim_arena_strndup(&c->arena, s, n), n);
}

static sim_span_t astr(cable_t *c, const char *s)
{
    return aspan(c, s, strlen(s));
}

static void push_span(cable_t *c, cable_span_list_t *l, sim_span_t s)
{
    l->v = sim_arena_grow(&c->arena, l->v, &l->cap, l->n + 1, sizeof(*l->v));
    l->v[l->n++] = s;
}

static void fill_addr(cable_gen_t *g, cable_t *c, cable_addr_list_t *l, const gen_addr_t *a,
                      uint32_t section)
{
    const gen_msg_t *m = &g->m;
    cable_addr_t    *d;
    l->v = sim_arena_grow(&c->arena, l->v, &l->cap, l->n + 1, sizeof(*l->v));
    d = &l->v[l->n++];
    memset(d, 0, sizeof(*d));
    d->serial_lo = d->serial_hi = -1;
    if (a->coll >= 0) {
        const net_collective_t *nc = &g->net->collectives[g->colls[a->coll].index];
        d->ri = astr(c, nc->ri);
        d->pla = astr(c, nc->pla);
    } else {
        const net_station_t *ns = &g->net->stations[a->station];
        d->ri = astr(c, ns->ri);
        d->pla = astr(c, ns->n_pla ? ns->pla[a->pla] : ns->ri);
    }
    if (a->word) {
        d->prec_word = astr(c, a->word);
        d->prec = a->prec;
        d->niact = a->niact;
    }
    if (a->mcn >= 0) { /* 0: a placeholder of the same width, while sizing */
        char buf[16];
        int  n;
        int32_t hi = mcn_add(a->mcn, m->sections - 1);
        if (m->mcn_range && a->mcn > 0 && hi > a->mcn) {
            d->serial_lo = a->mcn;
            d->serial_hi = hi;
            n = snprintf(buf, sizeof(buf), "%04d-%04d", a->mcn, hi);
        } else {
            d->serial_lo = d->serial_hi = mcn_add(a->mcn, section - 1);
            n = snprintf(buf, sizeof(buf), "%04d", d->serial_lo);
        }
        d->serial = aspan(c, buf, (size_t)n);
    }
}

static bool has_span(const cable_span_list_t *l, sim_span_t s)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (sim_span_eq(l->v[i], s))
            return true;
    return false;
}

/* The heading of section 'section' with the first n_to TO and n_info INFO
 * addressees of the message. */
static void fill_header(cable_gen_t *g, cable_t *c, uint32_t section, uint32_t n_to,
                        uint32_t n_info)
{
    gen_msg_t     *m = &g->m;
    gen_station_t *o = &g->st[m->origin];
    cable_dtg_t    d = cable_dtg_from_epoch(m->when);
    char           buf[64];
    int            n;

    cable_reset(c);
    /* FL1 */
    n = snprintf(buf, sizeof(buf), "VZCZC%s%04d", o->channel, o->csn);
    c->transmission_id = aspan(c, buf, (size_t)n);
    c->channel = sim_span(c->transmission_id.p + 5, 3);
    c->csn = o->csn;
    c->csn_digits = 4;
    /* FL2 */
    buf[0] = buf[1] = cable_prec_letter(m->prec);
    c->fl2_prec = m->prec;
    c->fl2_prosign = aspan(c, buf, 2);
    /* FL6-FL8 first: FL2 lists their routing indicators. */
    c->from = astr(c, g->net->stations[m->origin].n_pla ? g->net->stations[m->origin].pla[0]
                                                         : g->net->stations[m->origin].ri);
    for (uint32_t k = 0; k < n_to && k < m->n_to; k++)
        fill_addr(g, c, &c->to, &m->to[k], section);
    for (uint32_t k = 0; k < n_info && k < m->n_info; k++)
        fill_addr(g, c, &c->info, &m->info[k], section);
    for (uint32_t k = 0; k < c->to.n; k++)
        if (!has_span(&c->routing_indicators, c->to.v[k].ri))
            push_span(c, &c->routing_indicators, c->to.v[k].ri);
    for (uint32_t k = 0; k < c->info.n; k++)
        if (!has_span(&c->routing_indicators, c->info.v[k].ri))
            push_span(c, &c->routing_indicators, c->info.v[k].ri);
    /* FL3 */
    c->origin_ri = astr(c, g->net->stations[m->origin].ri);
    c->station_serial = m->number % 10000;
    c->section = (uint16_t)section;
    c->sections = (uint16_t)m->sections;
    c->de_has_section = m->de_section;
    {
        cable_dtg_t jan1 = d;
        int64_t     day;
        jan1.month = 1;
        jan1.day = 1;
        jan1.hour = jan1.minute = 0;
        day = (cable_dtg_epoch(&d) - cable_dtg_epoch(&jan1)) / 86400 + 1;
        n = snprintf(buf, sizeof(buf), "%03d%02u%02u", (int)day, (unsigned)d.hour,
                     (unsigned)d.minute);
        c->filed = aspan(c, buf, (size_t)n);
    }
    /* FL4 */
    switch (m->cls) {
    case CABLE_CLASS_UNCLASSIFIED: c->security = astr(c, "ZNR UUUUU"); break;
    case CABLE_CLASS_CONFIDENTIAL: c->security = astr(c, "ZNY CCCCC"); break;
    default: c->security = astr(c, "ZNY SSSSS"); break;
    }
    push_span(c, &c->signals, astr(c, "ZZH"));
    if (m->prec >= CABLE_PREC_Z || m->story.niact)
        push_span(c, &c->signals, astr(c, "ZZK"));
    c->fl4_signals = (uint16_t)c->signals.n;
    /* FL5 */
    c->dtg = d;
    c->dtg_prec = m->prec;
    c->dtg_info_prec = m->info_prec;
    c->classification = m->cls;
    c->cable_number = m->number;
    c->has_bt = c->has_trailer = true;
    c->trailer_ssn = c->station_serial;
}

/* The lines before the paragraphs: classification line, captions, E.O.,
 * TAGS, SUBJECT, REF and Classified By (the last two in section 1 only). */
static void put_head(cable_gen_t *g, uint32_t section, cable_gen__buf_t *t)
{
    gen_msg_t     *m = &g->m;
    gen_station_t *o = &g->st[m->origin];
    cable_gen__puts(t, class_lines[m->cls]);
    if (m->sections > 1)
        cable_gen__putf(t, " SECTION %02u OF %02u", section, m->sections);
    cable_gen__putf(t, " %s %06d\n\n", o->post, m->number);
    if (m->sensitive || m->noforn || m->exdis || m->sipdis) {
        if (m->sensitive)
            cable_gen__puts(t, "SENSITIVE\n");
        if (m->noforn)
            cable_gen__puts(t, "NOFORN\n");
        if (m->exdis)
            cable_gen__puts(t, "EXDIS\n");
        if (m->sipdis)
            cable_gen__puts(t, "SIPDIS\n");
        cable_gen__puts(t, "\n");
    }
    cable_gen__putf(t, "E.O. %s\nTAGS: %s\n", m->eo.p, m->tags.p);
    g->scratch.len = 0;
    cable_gen__puts(&g->scratch, "SUBJECT: ");
    cable_gen__put(&g->scratch, m->subject.p, m->subject.len);
    cable_gen__wrap(t, g->scratch.p, g->scratch.len, true);
    if (section == 1 && m->ref.len) {
        g->scratch.len = 0;
        cable_gen__puts(&g->scratch, "REF: ");
        cable_gen__put(&g->scratch, m->ref.p, m->ref.len);
        cable_gen__puts(t, "\n\n");
        cable_gen__wrap(t, g->scratch.p, g->scratch.len, true);
    }
    if (section == 1 && m->classified_by.len) {
        cable_gen__puts(t, "\n\n");
        cable_gen__wrap(t, m->classified_by.p, m->classified_by.len, false);
    }
}

/* Appends "\n\nN. (X) body" for the next paragraph of the message. */
static void put_para(cable_gen_t *g, cable_gen__buf_t *t, const char *body, size_t len,
                     const char *mark)
{
    g->scratch.len = 0;
    cable_gen__putf(&g->scratch, "%u. (%s) ", ++g->m.para, mark);
    cable_gen__put(&g->scratch, body, len);
    cable_gen__puts(t, "\n\n");
    cable_gen__wrap(t, g->scratch.p, g->scratch.len, false);
}

/* Survey-sized paragraphs of section 'section' into t; 'sig_len' is what
 * the signature will add after them. */
static void put_body(cable_gen_t *g, uint32_t section, cable_gen__buf_t *t, size_t sig_len)
{
    gen_msg_t       *m = &g->m;
    bool             last = section == m->sections;
    bool             long_text = m->sections > 1 || m->total_target >= 1500;
    uint32_t         target;
    size_t           start = t->len;
    cable_gen__buf_t p = {0};

    if (m->sections == 1)
        target = m->total_target;
    else {
        target = draw_quantile(&g->rng, size_section, SIM_ARRAY_LEN(size_section));
        if (last)
            target = target * cable_gen__range(&g->rng, 35, 100) / 100;
    }
    for (;;) {
        size_t            used = t->len + sig_len;
        size_t            room = target > used ? target - used : 0;
        uint32_t          n = m->para + 1;
        uint32_t          want = cable_gen__range(&g->rng, 250, 900);
        cable_gen__para_t kind = CABLE_GEN__PARA_BODY;
        if (n == 1)
            kind = long_text ? CABLE_GEN__PARA_SUMMARY : CABLE_GEN__PARA_FIRST;
        else if (n == 2 && m->story.action && !m->action_done)
            kind = CABLE_GEN__PARA_ACTION;
        else if (last && n >= 3 && long_text && room < want + 200)
            kind = CABLE_GEN__PARA_COMMENT;
        if (kind == CABLE_GEN__PARA_ACTION)
            m->action_done = true;
        if (kind == CABLE_GEN__PARA_SUMMARY || kind == CABLE_GEN__PARA_FIRST)
            want = (uint32_t)SIM_MIN((size_t)want, SIM_MAX(room, 120u));
        else if (kind == CABLE_GEN__PARA_COMMENT)
            want = (uint32_t)SIM_MAX(room, 150u);
        else
            want = (uint32_t)SIM_MIN((size_t)want, SIM_MAX(room, 120u));
        p.len = 0;
        cable_gen__paragraph(&g->rng, &m->story, kind, want, &p);
        put_para(g, t, p.p, p.len, cable_gen__mark(&g->rng, &m->story, n == 1));
        if (kind == CABLE_GEN__PARA_COMMENT)
            break;
        if (t->len + sig_len + 120 >= target && t->len > start && !(n == 1 && long_text && last))
            break;
    }
    cable_gen__buf_free(&p);
}

/* Exactly-sized text: 'room' bytes of paragraphs. Returns false when not even
 * one paragraph fits. */
static bool put_body_exact(cable_gen_t *g, cable_gen__buf_t *t, size_t room)
{
    gen_msg_t       *m = &g->m;
    cable_gen__buf_t p = {0};
    bool             ok = true;

    for (;;) {
        uint32_t    n = m->para + 1;
        const char *mark = cable_gen__mark(&g->rng, &m->story, n == 1);
        char        prefix[32];
        size_t      plen = (size_t)snprintf(prefix, sizeof(prefix), "%u. (%s) ", n, mark);
        size_t      body;
        bool        niact = n == 1 && m->story.niact;
        if (room < 2 + plen + (niact ? 12 : 6)) {
            ok = false; /* only when n == 1: later paragraphs always leave room */
            break;
        }
        body = room - 2 - plen;
        p.len = 0;
        if (room > 2 + plen + 700) {
            cable_gen__paragraph(&g->rng, &m->story,
                                 n == 1 ? CABLE_GEN__PARA_FIRST : CABLE_GEN__PARA_BODY,
                                 cable_gen__range(&g->rng, 200, 500), &p);
            if (p.len + 2 + 11 + 12 <= body - 2) {
                put_para(g, t, p.p, p.len, mark);
                room -= 2 + plen + p.len;
                continue;
            }
            p.len = 0;
        }
        /* The last paragraph: exactly what is left. */
        if (niact) {
            cable_gen__paragraph(&g->rng, &m->story, CABLE_GEN__PARA_NIACT, 0, &p);
            if (p.len == body) {
            } else if (p.len + 1 + 6 <= body) {
                cable_gen__puts(&p, " ");
                cable_gen__exact(&g->rng, &m->story, body - p.len, &p);
            } else {
                p.len = 0;
                cable_gen__puts(&p, "NIACT ");
                cable_gen__exact(&g->rng, &m->story, body - 6, &p);
            }
        } else {
            cable_gen__exact(&g->rng, &m->story, body, &p);
        }
        put_para(g, t, p.p, p.len, mark);
        break;
    }
    cable_gen__buf_free(&p);
    return ok;
}

static size_t emitted_len(const cable_t *c)
{
    size_t len = 0;
    free(cable_emit(c, &len));
    return len;
}

/* Fills the text fields of c from t (copied into the arena). */
/* s (n bytes) where it next stands in c's text from *from on, as the
 * parser would find it, else a copy in the arena. A field that lies within
 * the text takes no room of its own in the cable's msgpack form. */
static sim_span_t tspan(cable_t *c, const char **from, const char *s, size_t n)
{
    const char *te = c->text.p + c->text.len;
    for (const char *q = *from; n && (size_t)(te - q) >= n; q++) {
        q = memchr(q, s[0], (size_t)(te - q) - n + 1);
        if (!q)
            break;
        if (memcmp(q, s, n) == 0) {
            *from = q + n;
            return sim_span(q, n);
        }
    }
    return aspan(c, s, n);
}

static sim_span_t tstr(cable_t *c, const char **from, const char *s)
{
    return tspan(c, from, s, strlen(s));
}

static void set_text(cable_gen_t *g, cable_t *c, const cable_gen__buf_t *t, uint32_t section)
{
    gen_msg_t  *m = &g->m;
    const char *p = sim_arena_strndup(&c->arena, t->p, t->len), *e = p + t->len;
    const char *nl = memchr(p, '\n', t->len), *ls, *at = p;
    c->text = sim_span(p, t->len);
    c->body_bytes = (uint32_t)t->len;
    c->classification_line = sim_span(p, (size_t)((nl ? nl : e) - p));
    c->post = tstr(c, &at, g->st[m->origin].post);
    at = nl ? nl : e; /* the rest in the order the heading writes them */
    if (m->sensitive)
        push_span(c, &c->captions, tstr(c, &at, "SENSITIVE"));
    if (m->noforn)
        push_span(c, &c->captions, tstr(c, &at, "NOFORN"));
    if (m->exdis)
        push_span(c, &c->captions, tstr(c, &at, "EXDIS"));
    if (m->sipdis)
        push_span(c, &c->captions, tstr(c, &at, "SIPDIS"));
    c->eo = tspan(c, &at, m->eo.p, m->eo.len);
    {
        const char *q = m->tags.p, *te = m->tags.p + m->tags.len;
        while (q < te) {
            const char *s = q;
            while (q < te && *q != ' ')
                q++;
            push_span(c, &c->tags, tspan(c, &at, s, (size_t)(q - s)));
            while (q < te && *q == ' ')
                q++;
        }
    }
    c->subject = tspan(c, &at, m->subject.p, m->subject.len);
    if (section == 1 && m->ref.len)
        c->ref = tspan(c, &at, m->ref.p, m->ref.len);
    ls = e;
    while (ls > p && ls[-1] != '\n')
        ls--;
    c->signature = sim_span(ls, (size_t)(e - ls));
}

static void make_section(cable_gen_t *g, cable_t *c)
{
    gen_msg_t        *m = &g->m;
    gen_station_t    *o = &g->st[m->origin];
    uint32_t          section = m->next++;
    cable_gen__buf_t *t = &g->text;
    bool              last = section == m->sections;
    const char       *sig = o->signature;

    if (!g->opts.size) {
        if (section == 1)
            take_mcns(g, m);
        fill_header(g, c, section, m->n_to, m->n_info);
        t->len = 0;
        put_head(g, section, t);
        put_body(g, section, t, last ? strlen(sig) + 2 : 0);
    } else {
        /* Exact size (one section): drop INFO addressees, then TO addressees
         * but the first, until the heading leaves room for a paragraph. */
        uint32_t n_info = m->n_info, n_to = m->n_to;
        for (;;) {
            size_t fixed, total, room;
            fill_header(g, c, section, n_to, n_info);
            t->len = 0;
            put_head(g, section, t);
            fixed = t->len;
            cable_gen__puts(t, "\n\n");
            cable_gen__puts(t, sig);
            c->text = sim_span(t->p, t->len);
            total = emitted_len(c);
            room = g->opts.size > total ? g->opts.size - total : 0;
            t->len = fixed;
            t->p[t->len] = '\0';
            m->para = 0;
            if (put_body_exact(g, t, room))
                break;
            if (n_info == 0 && n_to <= 1) { /* the smallest text there is */
                put_para(g, t, m->story.niact ? "NIACT: see subject." : "Noted.",
                         m->story.niact ? 19 : 6, cable_gen__mark(&g->rng, &m->story, true));
                break;
            }
            if (n_info)
                n_info--;
            else
                n_to--;
        }
        m->n_info = n_info;
        m->n_to = n_to;
        take_mcns(g, m);
        fill_header(g, c, section, n_to, n_info);
    }
    if (last) {
        cable_gen__puts(t, "\n\n");
        cable_gen__puts(t, sig);
    }
    set_text(g, c, t, section);
    o->csn = (o->csn + 1) % 10000;
}

int cable_gen_next_req(cable_gen_t *g, const cable_gen_req_t *req, cable_t *c)
{
    if (g->m.sections && g->m.next <= g->m.sections) {
        make_section(g, c);
        return 0;
    }
    if (req && req->origin >= 0 &&
        ((uint32_t)req->origin >= g->net->n_stations || !g->st[req->origin].in_pool)) {
        cable_reset(c);
        return SIM_EUSAGE;
    }
    new_message(g, req);
    make_section(g, c);
    return 0;
}

int cable_gen_next(cable_gen_t *g, cable_t *c)
{
    return cable_gen_next_req(g, NULL, c);
}
