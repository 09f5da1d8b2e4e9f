/*
 * cable_gen.h - the synthetic cable generator: realistic, deterministic
 * ACP 127 / State Department cables addressed between the stations of a
 * network (DESIGN.md, `cablesim gen`).
 *
 * The generator draws messages from distributions modelled on the survey of
 * the real corpus (docs/cable-format.md section 6): precedence by a mix,
 * dual precedence, TO and INFO counts, collectives, message continuity
 * numbers, sections, classification, captions, body sizes. Each section of
 * a message is its own cable; the sections of one message come out of
 * cable_gen_next as consecutive cables sharing origin, serial and DTG.
 *
 * Everything is a function of the seed, the network and the options: the
 * same inputs give the same cables, byte for byte, on every machine (the
 * generator uses its own PRNG and integer arithmetic only, never rand() or
 * libm). The prose is built from the project's own small vocabulary.
 *
 * Every cable is canonical: cable_emit() of it is clean under lint --strict,
 * and cable_parse() of that text gives back the model's fields
 * (cable_fields_equal).
 */
#ifndef CABLE_GEN_H
#define CABLE_GEN_H

#include "cable.h"
#include "network.h"

/* 2009-03-02T00:00:00Z, the default DTG of the first message. */
#define CABLE_GEN_DEFAULT_START 1235952000
/* Mean interval between messages, seconds. */
#define CABLE_GEN_DEFAULT_INTERVAL_S 300
/* The default precedence mix (DESIGN.md): "Z:1,O:9,P:30,R:60". */
#define CABLE_GEN_DEFAULT_MIX "Z:1,O:9,P:30,R:60"

typedef struct cable_gen_opts {
    uint64_t seed;
    /* Relative weight of each message precedence, indexed by cable_prec_t
     * (R, P, O, Z, Y); all zero means CABLE_GEN_DEFAULT_MIX. */
    uint32_t mix[CABLE_PREC_COUNT];
    /* Epoch seconds of the first message's DTG; 0 means the default. */
    int64_t  start;
    /* Mean seconds between messages (exponential gaps); 0 means the default. */
    uint32_t interval_s;
    /* Bytes of each emitted cable (cable_emit length, trailer included):
     * 0 means the survey-like size distribution with multi-section
     * messages; otherwise every message has one section and its emitted
     * text is exactly this long when the heading leaves room (INFO
     * addressees, then TO addressees but the first, are dropped to make
     * room), else as short as it can be. In practice 600 bytes and up are
     * met exactly. */
    uint32_t size;
    /* One TO addressee and no INFO (a message of one delivery, for load
     * tests); with 'size' the text is still exactly that long. */
    bool single;
    /* Stations that may originate and receive (indices into the network);
     * NULL means all stations. Borrowed for cable_gen_new only. */
    const uint32_t *stations;
    uint32_t        n_stations;
} cable_gen_opts_t;

typedef struct cable_gen cable_gen_t;

/* cable_gen_opts_init - the defaults: seed 0, default mix, start, interval,
 * survey sizes, all stations. */
void cable_gen_opts_init(cable_gen_opts_t *o);

/* cable_gen_parse_mix - parse "Z:1,O:9,P:30,R:60" (letters Y Z O P R, each
 * at most once, non-negative integer weights, at least one above zero) into
 * mix[] indexed by cable_prec_t (unnamed letters get 0). Returns 0, or
 * SIM_EUSAGE with a one-line English reason in err (when err is non-NULL). */
int cable_gen_parse_mix(const char *s, uint32_t mix[CABLE_PREC_COUNT], char *err, size_t errsize);

/* cable_gen_new - a generator over 'net' (borrowed: it must outlive the
 * generator). Returns owned (cable_gen_free), or NULL when the network (or
 * the chosen station subset) has fewer than two stations to write between;
 * that is the only failure. */
cable_gen_t *cable_gen_new(const net_network_t *net, const cable_gen_opts_t *opts);

/* cable_gen_next - fill 'c' (initialised with cable_init; it is reset) with
 * the next cable: the next section of the current message, or the first
 * section of a new one. Every string lives in c->arena. Returns 0. */
int cable_gen_next(cable_gen_t *g, cable_t *c);

/* A request for the next message, for callers that schedule traffic
 * themselves (the load generator, a station's own originator). */
typedef struct cable_gen_req {
    int32_t      origin; /* station index, or -1: drawn as usual */
    int64_t      when;   /* DTG in epoch seconds, or 0: the generator's clock */
    cable_prec_t prec;   /* message precedence, or NONE: drawn from the mix */
} cable_gen_req_t;

/* cable_gen_next_req - like cable_gen_next, but a new message follows 'req'.
 * The remaining sections of a message already started come first and ignore
 * 'req' (with opts.size set every message has one section). An origin outside
 * the network or the station subset is SIM_EUSAGE and 'c' is left reset. A
 * 'when' earlier than the clock moves the clock back to it. */
int cable_gen_next_req(cable_gen_t *g, const cable_gen_req_t *req, cable_t *c);

/* cable_gen_free - release the generator; NULL is fine. */
void cable_gen_free(cable_gen_t *g);

#endif
