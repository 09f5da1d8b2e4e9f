/*
 * cable_msgpack.h - the msgpack form of a cable: one versioned map, the way
 * cables travel in link frames and sit in journals.
 *
 * The schema (every key, its type, nil rules, versioning, limits) is written
 * down in cable_msgpack.md next to this header. In short: a map with "v": 2
 * and one small integer key per content field of the model that is not at
 * its cable_reset value; absent strings are nil, empty ones are ""; a field
 * that lies within the text is written as [offset, length] of it; unknown
 * keys are ignored so that a newer writer can add fields without breaking an
 * older reader. Version 1 maps (string keys, every field) are read too.
 *
 * A decoded cable owns all its data: every string is copied into the cable's
 * arena, so the input buffer or msgpack object may be freed right after.
 * Source positions and diagnostics are not part of the form.
 */
#ifndef CABLE_MSGPACK_H
#define CABLE_MSGPACK_H

#include <msgpack.h>

#include "cable.h"

/* The schema version this build writes, and the oldest it reads. */
#define CABLE_MSGPACK_VERSION 2
#define CABLE_MSGPACK_VERSION_MIN 1

/* Limits the decoder enforces (SIM_ETOOBIG beyond them) and the encoder
 * respects, so that whatever the encoder accepts the decoder accepts too. */
#define CABLE_MSGPACK_MAX_BYTES (16u * 1024u * 1024u) /* whole encoding; any one string */
#define CABLE_MSGPACK_MAX_ITEMS 65535u                /* elements of one array or map */
#define CABLE_MSGPACK_MAX_VALUES (1u << 20)           /* values in the whole encoding */
#define CABLE_MSGPACK_MAX_DEPTH 8u                    /* nesting of arrays and maps */

/* cable_msgpack_pack - append the map of c to pk. Borrows c and pk.
 * Returns 0; SIM_EUSAGE when a field of c is out of the schema's range (an
 * unknown precedence, a DTG marked valid that does not exist, ...) and
 * SIM_ETOOBIG when c could not be decoded within the limits above (in both
 * cases nothing was written); SIM_EIO when pk's writer failed part way. */
int cable_msgpack_pack(const cable_t *c, msgpack_packer *pk);

/* cable_msgpack_encode - the msgpack form of c (borrowed) in a new buffer.
 * On 0, *out is returned owned (release with free()) and *len is its length;
 * on failure (the codes of cable_msgpack_pack) *out is NULL and *len 0. */
int cable_msgpack_encode(const cable_t *c, char **out, size_t *len);

/* cable_msgpack_encode_buf - the msgpack form of c (borrowed) into *buf,
 * a buffer of *cap bytes the caller owns and keeps for the next cable
 * (NULL and 0 at first): it is grown (realloc) when c's encoding may not
 * fit. Returns 0 with *len the encoding's length, or the codes of
 * cable_msgpack_pack (except SIM_EIO) with *len 0. For a caller that encodes
 * many cables one after the other. */
int cable_msgpack_encode_buf(const cable_t *c, char **buf, size_t *cap, size_t *len);

/* cable_msgpack_bound - an upper bound of the length of c's msgpack form in
 * *bound, checking c as cable_msgpack_pack does: 0, SIM_EUSAGE or
 * SIM_ETOOBIG. cable_msgpack_write - write it at buf, which holds at least
 * that bound (given again, checked), and return its length. For a caller
 * that encodes straight into a buffer of its own kind (a station's custody
 * buffer). */
int    cable_msgpack_bound(const cable_t *c, size_t *bound);
size_t cable_msgpack_write(const cable_t *c, char *buf, size_t bound);

/* cable_msgpack_decode - read exactly one cable map from buf[0..len)
 * (borrowed; nothing is kept pointing into it). c must be initialised
 * (cable_init); it is reset first, keeping c->file, so its arena memory is
 * reused and keys missing from the map leave the cable_reset defaults.
 * Returns 0, or on failure a negative code with c reset again:
 *   SIM_EPARSE   truncated or malformed bytes, trailing bytes, a missing "v",
 *                a value out of range, a key given twice
 *   SIM_ETOOBIG  more than CABLE_MSGPACK_MAX_BYTES of input, or a length or
 *                count beyond the limits above
 *   SIM_ETYPE    a value of the wrong type
 *   SIM_EVERSION a "v" outside CABLE_MSGPACK_VERSION_MIN..CABLE_MSGPACK_VERSION
 * and, when err is non-NULL, *err a static English sentence naming the field
 * ("field 'to' must be an array of addressee maps"). Never reads outside
 * buf[0..len), whatever the bytes. */
int cable_msgpack_decode(cable_t *c, const char *buf, size_t len, const char **err);

/* cable_msgpack_decode_view - like cable_msgpack_decode, but the cable's
 * strings point into buf (borrowed: it must stay unchanged as long as c is
 * used) instead of being copied into c's arena; arrays still live in the
 * arena. For a router that reads a cable only to route it. */
int cable_msgpack_decode_view(cable_t *c, const char *buf, size_t len, const char **err);

#endif
