/*
 * fuzz_frame.c - libFuzzer target for the link protocol's framing and frames.
 *
 * The input is a byte stream as a peer could send it. The first byte picks a
 * read size (1-256) and a frame limit, the rest goes through a link_reader in
 * reads of that size, the way a socket delivers it; every whole frame is
 * decoded. Promises checked, any broken one aborts:
 *   - the reader never holds more than max_frame + read_size bytes, and once
 *     it reports a broken stream it keeps reporting the same code;
 *   - the decoder answers 0 or a documented code with a sentence;
 *   - a frame that decodes encodes again, decodes to an equal frame, and
 *     encodes to the very same bytes (the encoding is canonical);
 *   - the same stream fed in one piece yields the same frames.
 *
 * The codec is compiled into this target (not linked from the router
 * library): the fuzz tree instruments only the corpus library, and the codec
 * needs no other part of the router.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../router/link/link_frame.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_frame: %s: %s\n", what, detail ? detail : "-");
    abort();
}

/* Decode one frame and check the round trip. Returns a digest of the frame
 * (its type and length) for comparing two passes. */
static uint64_t fuzz_frame(const char *payload, size_t len)
{
    link_frame_t    f, g;
    msgpack_zone    z1, z2;
    msgpack_sbuffer sb, sb2;
    const char     *err = NULL;
    uint64_t        digest;
    int             rc;

    msgpack_zone_init(&z1, 512);
    rc = link_frame_decode(payload, len, &f, &z1, &err);
    if (rc != 0) {
        if (rc != SIM_EPARSE && rc != SIM_ETYPE && rc != SIM_ETOOBIG && rc != SIM_EVERSION)
            fuzz_fail("undocumented error code", sim_strerror(rc));
        if (!err || !*err)
            fuzz_fail("error without a message", sim_strerror(rc));
        msgpack_zone_destroy(&z1);
        return (uint64_t)(-rc) << 32 | (len & 0xffffffffu);
    }
    msgpack_sbuffer_init(&sb);
    msgpack_sbuffer_init(&sb2);
    if ((rc = link_frame_encode(&f, &sb)) != 0)
        fuzz_fail("a decoded frame does not encode", sim_strerror(rc));
    msgpack_zone_init(&z2, 512);
    if ((rc = link_frame_decode(sb.data + LINK_PREFIX, sb.size - LINK_PREFIX, &g, &z2, &err)) != 0)
        fuzz_fail("an encoded frame does not decode", err);
    if (!link_frame_equal(&f, &g))
        fuzz_fail("the round trip changed the frame", link_type_name(f.type));
    if ((rc = link_frame_encode(&g, &sb2)) != 0)
        fuzz_fail("a decoded frame does not encode", sim_strerror(rc));
    if (sb.size != sb2.size || memcmp(sb.data, sb2.data, sb.size) != 0)
        fuzz_fail("the encoding is not canonical", link_type_name(f.type));
    digest = (uint64_t)f.type << 32 | (len & 0xffffffffu);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_destroy(&sb2);
    msgpack_zone_destroy(&z1);
    msgpack_zone_destroy(&z2);
    return digest;
}

#define FUZZ_MAX_FRAMES 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint64_t seen[FUZZ_MAX_FRAMES];
    link_reader_t   r;
    const char     *payload;
    size_t          len, off = 1, n_seen = 0, n_again = 0, read_size, max_frame;
    int             rc = LINK_AGAIN, end_rc;

    if (size < 1)
        return 0;
    read_size = 1 + (data[0] & 0x3f) * 4;
    max_frame = data[0] & 0x40 ? 64 : 0; /* a small limit sometimes, to hit it */

    /* In reads of read_size bytes. */
    link_reader_init(&r, max_frame, read_size);
    while (off < size && r.error == 0) {
        size_t room = 0;
        char  *p = link_reader_space(&r, &room);
        if (!p || room < read_size)
            fuzz_fail("no room for a read after every frame was taken", NULL);
        size_t k = SIM_MIN(read_size, size - off);
        memcpy(p, data + off, k);
        link_reader_commit(&r, k);
        off += k;
        if (r.cap > r.max_frame + r.read_size)
            fuzz_fail("the reader passed its hard cap", NULL);
        while ((rc = link_reader_next(&r, &payload, &len)) == 0) {
            uint64_t d = fuzz_frame(payload, len);
            if (n_seen < FUZZ_MAX_FRAMES)
                seen[n_seen] = d;
            n_seen++;
        }
        if (rc < 0 && link_reader_next(&r, &payload, &len) != rc)
            fuzz_fail("a broken stream did not stay broken", sim_strerror(rc));
        rc = LINK_AGAIN;
    }
    end_rc = r.error;
    link_reader_destroy(&r);

    /* The same stream in one piece. */
    link_reader_init(&r, max_frame, read_size);
    off = 1;
    while (off < size) {
        size_t took = link_reader_feed(&r, (const char *)data + off, size - off);
        off += took;
        while ((rc = link_reader_next(&r, &payload, &len)) == 0) {
            uint64_t d = fuzz_frame(payload, len);
            if (n_again < FUZZ_MAX_FRAMES && n_again < n_seen && seen[n_again] != d)
                fuzz_fail("the frames depend on how the stream was split", NULL);
            n_again++;
        }
        if (rc < 0 || took == 0)
            break;
    }
    if (n_again != n_seen || r.error != end_rc)
        fuzz_fail("the frames depend on how the stream was split", NULL);
    link_reader_destroy(&r);
    return 0;
}
