/*
 * fuzz_msgpack.c - libFuzzer target for the msgpack form of a cable.
 *
 * Feeds arbitrary bytes to cable_msgpack_decode, which must answer with 0 or
 * one of its documented error codes and a message, and never read outside
 * the input. When the bytes decode, the cable must encode again, decode back
 * to equal fields, and re-encode to the very same bytes (the encoding of a
 * cable is canonical). The decoder reads the bytes itself: whatever it takes
 * must also be one complete value to msgpack-c. Any broken promise aborts,
 * which libFuzzer reports.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cable_msgpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_msgpack: %s: %s\n", what, detail ? detail : "-");
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cable_t     c, d, v;
    const char *err = NULL, *why = NULL;
    char       *enc = NULL, *enc2 = NULL, *enc3 = NULL;
    size_t      len = 0, len2 = 0, len3 = 0;
    int         rc, rcv;

    cable_init(&c);
    cable_init(&d);
    cable_init(&v);
    rc = cable_msgpack_decode(&c, (const char *)data, size, &err);
    /* The view decoder (strings left in the input) agrees in everything. */
    rcv = cable_msgpack_decode_view(&v, (const char *)data, size, NULL);
    if (rcv != rc)
        fuzz_fail("decode and decode_view disagree", err);
    if (rc < 0) {
        if (rc != SIM_EPARSE && rc != SIM_ETOOBIG && rc != SIM_ETYPE && rc != SIM_EVERSION)
            fuzz_fail("undocumented error code", sim_strerror(rc));
        if (!err || !*err)
            fuzz_fail("error without a message", sim_strerror(rc));
        if (c.transmission_id.p || c.to.n || c.text.p)
            fuzz_fail("cable not reset after an error", err);
        goto out;
    }
    {
        msgpack_unpacked u;
        size_t           off = 0;
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, (const char *)data, size, &off) != MSGPACK_UNPACK_SUCCESS ||
            off != size || u.data.type != MSGPACK_OBJECT_MAP)
            fuzz_fail("decoded bytes that are not one msgpack map", NULL);
        msgpack_unpacked_destroy(&u);
    }
    if ((rc = cable_msgpack_encode(&c, &enc, &len)) != 0)
        fuzz_fail("a decoded cable does not encode", sim_strerror(rc));
    if ((rc = cable_msgpack_decode(&d, enc, len, &err)) != 0)
        fuzz_fail("an encoded cable does not decode", err);
    if (!cable_fields_equal(&c, &d, &why))
        fuzz_fail("round trip changed a field", why);
    if (c.has_bt != d.has_bt || c.has_trailer != d.has_trailer || c.trailer_ssn != d.trailer_ssn ||
        c.csn_digits != d.csn_digits)
        fuzz_fail("round trip changed a field", "trailer or csn width");
    if ((rc = cable_msgpack_encode(&d, &enc2, &len2)) != 0)
        fuzz_fail("a decoded cable does not encode", sim_strerror(rc));
    if (len != len2 || memcmp(enc, enc2, len) != 0)
        fuzz_fail("the encoding is not canonical", NULL);
    if (!cable_fields_equal(&c, &v, &why))
        fuzz_fail("decode_view read another field", why);
    if ((rc = cable_msgpack_encode(&v, &enc3, &len3)) != 0)
        fuzz_fail("a view-decoded cable does not encode", sim_strerror(rc));
    if (len != len3 || memcmp(enc, enc3, len) != 0)
        fuzz_fail("a view-decoded cable encodes otherwise", NULL);
out:
    free(enc);
    free(enc2);
    free(enc3);
    cable_destroy(&c);
    cable_destroy(&d);
    cable_destroy(&v);
    return 0;
}
