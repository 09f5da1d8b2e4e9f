/*
 * fuzz_cable.c - libFuzzer target for the ACP 127 text parser and emitter.
 *
 * Feeds arbitrary bytes to cable_parse, first lenient and then strict; the
 * parser must never read outside the input, whatever it holds (NUL bytes,
 * invalid UTF-8, cut-off headers). When a parse finds no error, the cable is
 * emitted in canonical form, and that text must parse again without error in
 * the same mode and emit to the same text (canonical form is a fixed point).
 * The parsed cable must also survive its msgpack form unchanged. Any broken
 * promise aborts, which libFuzzer reports.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cable.h"
#include "cable_msgpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_cable: %s: %s\n", what, detail ? detail : "-");
    abort();
}

static void check_msgpack(const cable_t *c)
{
    cable_t     d;
    char       *enc = NULL;
    size_t      len = 0;
    const char *err = NULL, *why = NULL;
    int         rc = cable_msgpack_encode(c, &enc, &len);
    if (rc == SIM_ETOOBIG)
        return; /* a cable too big for its msgpack form is refused, not mangled */
    if (rc != 0)
        fuzz_fail("a parsed cable does not encode to msgpack", sim_strerror(rc));
    cable_init(&d);
    if (cable_msgpack_decode(&d, enc, len, &err) != 0)
        fuzz_fail("the msgpack form of a parsed cable does not decode", err);
    if (!cable_fields_equal(c, &d, &why))
        fuzz_fail("the msgpack round trip changed a field", why);
    cable_destroy(&d);
    free(enc);
}

static void check_mode(const uint8_t *data, size_t size, bool strict)
{
    cable_parse_opts_t opts;
    cable_t            c, again;
    char              *text, *text2;
    size_t             len = 0, len2 = 0;

    memset(&opts, 0, sizeof(opts));
    opts.strict = strict;
    opts.file = "fuzz";
    opts.first_line = 1;
    cable_init(&c);
    if (cable_parse(&c, (const char *)data, size, &opts) != 0) {
        cable_destroy(&c);
        return;
    }
    check_msgpack(&c);
    text = cable_emit(&c, &len);
    if (!text)
        fuzz_fail("cable_emit returned nothing for a cable without errors", NULL);
    cable_init(&again);
    if (cable_parse(&again, text, len, &opts) != 0)
        fuzz_fail("the emitted text of a cable without errors has errors",
                  strict ? "strict" : "lenient");
    text2 = cable_emit(&again, &len2);
    if (!text2 || len != len2 || memcmp(text, text2, len) != 0)
        fuzz_fail("emitting is not a fixed point", strict ? "strict" : "lenient");
    free(text);
    free(text2);
    cable_destroy(&again);
    cable_destroy(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_mode(data, size, false);
    check_mode(data, size, true);
    return 0;
}
