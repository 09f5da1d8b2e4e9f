/*
 * link_frame.h - the frames of the link protocol that routers, stations and
 * station hosts speak to each other (PROTOCOL.md beside this header is the
 * wire contract; this header is the C surface of it).
 *
 * On the wire a frame is a 4-byte big-endian length L, then L bytes holding
 * exactly one MessagePack map with "v" (protocol version) and "t" (type).
 * This module encodes frames, finds frame boundaries in a byte stream, and
 * decodes one frame's map into a link_frame_t without copying: the strings
 * and the cable bytes of a decoded frame are spans into the payload buffer.
 *
 * Nothing here includes uv.h or allocates per field. The codec is pure: it
 * can be unit-tested and fuzzed without an event loop; the connection layer
 * feeds it the bytes it read and writes out the buffers it fills.
 */
#ifndef LINK_FRAME_H
#define LINK_FRAME_H

#include <msgpack.h>

#include "sim.h"
#include "../sim_sched.h"

/* The protocol version this build writes and the only one it reads. */
#define LINK_VERSION 1

/* "Need more bytes", for link_frame_peek and link_reader_next (> 0). */
#define LINK_AGAIN 1

/* Bytes of the length prefix in front of every frame. */
#define LINK_PREFIX 4u

/* Largest frame (prefix included) the protocol allows: a cable's largest
 * msgpack form plus 1 MiB for the frame's own keys (a HELLO of a host with
 * tens of thousands of stations). A receiver may configure a smaller limit. */
#define LINK_FRAME_MAX (16u * 1024u * 1024u + 1024u * 1024u + LINK_PREFIX)

/* Channel sequence numbers run 0000-9999 and wrap. */
#define LINK_CSN_MOD 10000

/* Most elements in one list of a frame (HELLO links, CABLE ids). */
#define LINK_MAX_ITEMS 65535u

/* Most frames one ACK may acknowledge ("n"). */
#define LINK_ACK_MAX_RUN 4999u

typedef enum link_type {
    LINK_T_NONE = 0,
    LINK_T_HELLO = 1,     /* "hello": who I am, where I stand on each link */
    LINK_T_CABLE = 2,     /* "cable": one copy of a cable, with a csn */
    LINK_T_ACK = 3,       /* "ack": custody taken for csn (.. csn+n-1) */
    LINK_T_SVC = 4,       /* "svc": a service message between operators */
    LINK_T_ABORT = 5,     /* "abort": the transmission of csn was preempted */
    LINK_T_HEARTBEAT = 6, /* "hb": I am alive */
    LINK_T_PROMISE = 7,   /* "promise": time promise (null message) */
} link_type_t;
#define LINK_T_COUNT 8

/* The wire name of a type ("cable"); NULL for LINK_T_NONE or out of range. */
const char *link_type_name(link_type_t t);

typedef enum link_role {
    LINK_ROLE_NONE = 0,
    LINK_ROLE_STATION = 1, /* "station": one station, one link */
    LINK_ROLE_ROUTER = 2,  /* "router": a trunk between two routers, one link */
    LINK_ROLE_HOST = 3,    /* "host": a station host multiplexing many stations */
    LINK_ROLE_CLOCK = 4,   /* "clock": a party's connection to the time keeper (--asap) */
} link_role_t;

/* "station", "router", "host", "clock"; NULL for NONE or out of range. */
const char *link_role_name(link_role_t r);

/* Service message codes. The strings are stable: they are on the wire and in
 * delivery logs. A code this build does not know decodes as LINK_SVC_OTHER,
 * with the string kept in svc.code_text, so new codes do not break old peers. */
typedef enum link_svc_code {
    LINK_SVC_OTHER = 0,         /* a code unknown to this build */
    LINK_SVC_UNKNOWN_RI = 1,    /* "unknown-ri": no route for a routing indicator */
    LINK_SVC_GAP = 2,           /* "gap": channel numbers missing, please repeat */
    LINK_SVC_GARBLED = 3,       /* "garbled": a cable could not be read, please repeat */
    LINK_SVC_DUPLICATE = 4,     /* "duplicate": suspected duplicate (ZFD) suppressed */
    LINK_SVC_UNDELIVERABLE = 5, /* "undeliverable": an addressee cannot be reached */
    LINK_SVC_IMPERSONATION = 6, /* "impersonation": an RI or name the peer may not claim */
    LINK_SVC_PROTOCOL = 7,      /* "protocol": a protocol violation; the sender closes */
    LINK_SVC_BUSY = 8,          /* "busy": custody refused for now, send again later */
    LINK_SVC_VERSION = 9,       /* "version": protocol version not supported */
    LINK_SVC_TOO_BIG = 10,      /* "too-big": frame over the receiver's limit */
    LINK_SVC_CLOSED = 11,       /* "closed": the addressee's station is closed, held */
} link_svc_code_t;
#define LINK_SVC_COUNT 12

/* The wire string of a code ("gap"); NULL for OTHER or out of range. */
const char     *link_svc_code_name(link_svc_code_t c);
/* The code of a wire string; LINK_SVC_OTHER when unknown. */
link_svc_code_t link_svc_code_from(sim_span_t s);

/* One entry of a HELLO's "links": a link the connection carries and the last
 * channel sequence number the sender of the HELLO received on it. */
typedef struct link_hello_link {
    sim_span_t ln; /* link name: the station's RI; "" on a router trunk */
    int32_t    last_rx; /* last csn received on that link, 0-9999; -1 unknown */
} link_hello_link_t;

/*
 * A frame, decoded or to encode. 'type' says which member of the union is
 * meaningful; the common fields before it apply to every type that has them.
 *
 * Absent values: spans {NULL, 0} (a present empty string has a non-NULL
 * pointer), csn/from/to/last_rx -1, has_at false, prec 0.
 *
 * Lifetimes of a decoded frame: every span (strings, the cable bytes) points
 * into the payload passed to link_frame_decode and is valid as long as that
 * buffer is unchanged; the arrays hello.links and cable.ids live in the
 * msgpack_zone passed to it and are valid until that zone is cleared or
 * destroyed. Copy what must outlive both.
 */
typedef struct link_frame {
    link_type_t type;
    int         version; /* "v"; LINK_VERSION when encoding */

    /* Common fields. */
    sim_span_t ln;     /* "ln": link name; absent = the connection's only link */
    bool       has_at; /* "at" present */
    sim_time_t at;     /* "at": sim-time (us) at which the frame takes effect */
    int32_t    csn;    /* "csn": 0-9999; -1 absent */

    union {
        struct link_frame_hello {
            link_role_t              role;    /* "role", required */
            sim_span_t               name;    /* "name": router or host name */
            const link_hello_link_t *links;   /* "links", required, in order */
            uint32_t                 n_links;
            uint32_t                 vmax;    /* "vmax": highest version spoken; 0 absent */
            uint32_t                 hb_ms;   /* "hb": heartbeat interval, ms; 0 none */
            bool                     asap;    /* "asap": virtual time, sends PROMISEs */
        } hello;
        struct link_frame_cable {
            sim_span_t        c;     /* "c": the cable's msgpack form (bin), required */
            const sim_span_t *ids;   /* "ids": addressees this copy is for */
            uint32_t          n_ids;
            sim_span_t        id;    /* "id": the cable's identity, as text */
            uint8_t           prec;  /* "p": precedence of this copy, 1-5; 0 absent */
            uint8_t           hops;  /* "hops": routers passed so far; 0 absent */
            bool              rpt;   /* "rpt": a repeated copy (ZDK) */
            bool              ccy;   /* "ccy": the cable is a corrected copy */
        } cable;
        struct link_frame_ack {
            uint32_t n; /* "n": csn, csn+1, ... csn+n-1 (wrapping); 1 when absent */
        } ack;
        struct link_frame_svc {
            link_svc_code_t code;      /* "code", required */
            sim_span_t      code_text; /* the code as on the wire (OTHER keeps it) */
            sim_span_t      text;      /* "text", required: operator text */
            int32_t         from, to;  /* "from"/"to": csn range concerned; -1 absent */
            sim_span_t      id;        /* "id": the cable concerned, as text */
            sim_span_t      ri;        /* "ri": the routing indicator concerned */
        } svc;
        struct link_frame_abort {
            sim_span_t id; /* "id": the preempted cable, as text */
        } abort;
        struct link_frame_promise {
            /* On a clock connection (PROTOCOL.md 8): the round ("rnd") and
             * the reporting party's counts of time-stamped frames sent and
             * received ("sent", "recv"); has_counts when all three are set. */
            bool     has_counts;
            uint64_t rnd, sent, recv;
        } promise;
    };
} link_frame_t;

/* link_frame_init - f emptied to 'type' with every field absent. */
void link_frame_init(link_frame_t *f, link_type_t type);

/* link_frame_encode - append f (borrowed) to 'out' (borrowed) as one frame:
 * length prefix, then the map. Returns 0; SIM_EUSAGE when a field of f is out
 * of its range or a required one is missing; SIM_ETOOBIG when the frame would
 * exceed LINK_FRAME_MAX; SIM_EIO when the buffer could not grow. On failure
 * 'out' is left exactly as it was. */
int link_frame_encode(const link_frame_t *f, msgpack_sbuffer *out);

/* link_frame_append - the same onto the end of a plain output buffer
 * (*buf, malloc'ed or NULL, holding *len of *cap bytes), grown with realloc
 * as needed: what a connection writes, with no copy in between. Same
 * returns; on failure the buffer's contents are left as they were. */
int link_frame_append(const link_frame_t *f, char **buf, size_t *len, size_t *cap);

/* link_frame_peek - is there one whole frame at buf[0..len) (borrowed)?
 * Returns 0 with *frame_len the frame's bytes, prefix included; LINK_AGAIN
 * when more bytes are needed; SIM_ETOOBIG when the prefix announces a frame
 * over max_frame bytes (prefix included; decided from the prefix alone,
 * before anything is buffered for it); SIM_EPARSE for a zero length. */
int link_frame_peek(const char *buf, size_t len, size_t max_frame, size_t *frame_len);

/* link_frame_decode - read one frame's map from payload[0..len) (borrowed;
 * the bytes after the prefix). 'zone' (borrowed, required) receives the list
 * arrays.
 * Returns 0, or a negative code with *err (when err is non-NULL) a static
 * English sentence naming the problem:
 *   SIM_EPARSE   truncated or malformed msgpack (an array or map whose
 *                count is more than the bytes left could hold included),
 *                trailing bytes, a missing required key, a key given twice,
 *                an unknown type, a value out of range
 *   SIM_ETYPE    the payload is not a map, or a value of the wrong type
 *   SIM_ETOOBIG  a list of the frame over LINK_MAX_ITEMS
 *   SIM_EVERSION a "v" other than LINK_VERSION (checked before the rest)
 * Never reads outside payload[0..len), whatever the bytes. On failure the
 * content of *f is unspecified. */
int link_frame_decode(const char *payload, size_t len, link_frame_t *f, msgpack_zone *zone,
                      const char **err);

/* link_frame_equal - true when a and b (borrowed) carry the same frame: same
 * type and the same fields, present or absent, byte for byte. */
bool link_frame_equal(const link_frame_t *a, const link_frame_t *b);

/* link_svc_gap_text - the operator text of a gap service message,
 * "GAP CSN 0531-0533 PLS RPT" (or "GAP CSN 0531 PLS RPT" when from == to),
 * into buf (NUL-terminated, truncated to size). Returns the length it needs. */
size_t link_svc_gap_text(char *buf, size_t size, int from, int to);

/*
 * A streaming reader: it owns a growable buffer that reads land in, and hands
 * out whole frames one by one, in place. Its memory never exceeds the hard
 * cap max_frame + read_size, and an announced length over max_frame is
 * refused from the prefix alone.
 *
 * Use with a socket (no copy):
 *     char *p = link_reader_space(&r, &room);   read up to room bytes into p
 *     link_reader_commit(&r, n);
 *     while ((rc = link_reader_next(&r, &payload, &len)) == 0)
 *         link_frame_decode(payload, len, ...);
 *     rc < 0: fatal, close the connection.
 * or with bytes already in memory: link_reader_feed.
 */
typedef struct link_reader {
    char  *buf;       /* private: owned */
    size_t cap;       /* private: bytes allocated */
    size_t start;     /* private: first byte not yet handed out */
    size_t end;       /* private: one past the last byte read */
    size_t max_frame; /* largest frame accepted, prefix included */
    size_t read_size; /* room offered for each read */
    int    error;     /* sticky fatal error, 0 while healthy */
} link_reader_t;

/* link_reader_init - r ready with limits max_frame (0: LINK_FRAME_MAX; at
 * least LINK_PREFIX + 1) and read_size (0: 64 KiB). Allocates nothing yet. */
void link_reader_init(link_reader_t *r, size_t max_frame, size_t read_size);

/* link_reader_destroy - frees the buffer; every payload handed out dies. */
void link_reader_destroy(link_reader_t *r);

/* link_reader_space - where the next read may write: returns borrowed memory
 * inside the reader, with room for *room bytes (at least read_size when every
 * whole frame was taken with link_reader_next), valid until the next call on
 * r. May move the unread bytes, so payloads from earlier link_reader_next
 * calls die here. *room is 0 (and NULL returned) after a fatal error. */
char *link_reader_space(link_reader_t *r, size_t *room);
/* link_reader_trim - when nothing is buffered, give the buffer back (an idle
 * connection then costs no read buffer; the next space call allocates).
 * Payloads from earlier link_reader_next calls die here. */
void link_reader_trim(link_reader_t *r);

/* link_reader_commit - n bytes were written at the last link_reader_space
 * (n at most its *room). */
void link_reader_commit(link_reader_t *r, size_t n);

/* link_reader_feed - copies as much of data[0..len) (borrowed) as fits under
 * the hard cap; returns the bytes taken (less than len only when whole frames
 * are waiting: take them with link_reader_next, then feed the rest). Payloads
 * from earlier link_reader_next calls die here. */
size_t link_reader_feed(link_reader_t *r, const char *data, size_t len);

/* link_reader_next - the next whole frame: returns 0 with *payload (borrowed,
 * valid until the next link_reader_space, _feed or _destroy) and *len, the
 * map's bytes after the prefix; LINK_AGAIN when no whole frame is buffered;
 * a negative code (SIM_ETOOBIG oversized, SIM_EPARSE zero length) when the
 * stream is broken, the same on every later call. */
int link_reader_next(link_reader_t *r, const char **payload, size_t *len);

/* link_reader_buffered - bytes read but not yet handed out as frames. */
size_t link_reader_buffered(const link_reader_t *r);

#endif
