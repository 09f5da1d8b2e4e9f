/*
 * cable_stream.h - cables in streams and corpora.
 *
 * A file, a directory of files or standard input is read as streams that may
 * each hold many cables. A stream is split at each VZCZC line, then at NNNN
 * lines that follow a text, and only as a last resort at a DTG line followed
 * by an FM line after a text (the split is then marked as guessed). Text
 * that holds no heading (an NNNN inside a cable's text, say) stays with the
 * cable before it.
 *
 * A corpus owns the bytes of everything it read; its entries are spans into
 * them, parsed on demand.
 */
#ifndef CABLE_STREAM_H
#define CABLE_STREAM_H

#include "cable.h"

typedef struct cable_seg {
    const char *p;
    size_t      len;
    uint32_t    first_line; /* line of p in its stream, from 1 */
    bool        guessed;    /* boundary guessed from a DTG + FM line */
} cable_seg_t;

/* cable_stream_split - the cables of one stream. Returns the number of
 * segments and an owned array in *segs (free()). An empty or blank stream
 * gives one segment (which parses as an empty-input error). */
size_t cable_stream_split(const char *buf, size_t len, cable_seg_t **segs);

typedef struct cable_source {
    char  *name; /* file name as given/found, or "-" for stdin */
    char  *buf;  /* owned contents */
    size_t len;
} cable_source_t;

typedef struct cable_entry {
    uint32_t    source; /* index into sources */
    cable_seg_t seg;
    int64_t     dtg;    /* epoch seconds, INT64_MAX when unknown (after sorting) */
} cable_entry_t;

typedef struct cable_corpus {
    cable_source_t *sources;
    uint32_t        n_sources;
    cable_entry_t  *entries;
    size_t          n_entries;
    size_t          bytes;  /* total bytes read */
    uint32_t        cap_sources, cap_entries; /* private */
} cable_corpus_t;

void cable_corpus_init(cable_corpus_t *cp);
void cable_corpus_destroy(cable_corpus_t *cp);

/* cable_corpus_add - read PATH: a file, a directory (recursively, files
 * ending .txt or .cable, in name order) or "-" for standard input, and split
 * every stream into entries. Returns 0, or a negative code with a message in
 * err (size errlen) naming the path and what went wrong; what was read
 * before the failure stays in the corpus. */
int cable_corpus_add(cable_corpus_t *cp, const char *path, char *err, size_t errlen);
/* cable_corpus_add_mem - add a buffer (copied) as a stream named 'name'. */
void cable_corpus_add_mem(cable_corpus_t *cp, const char *name, const char *buf, size_t len);

/* cable_corpus_parse - parse entry i into c (initialised). c borrows the
 * corpus's bytes. Returns what cable_parse returns. */
int cable_corpus_parse(const cable_corpus_t *cp, size_t i, cable_t *c, bool strict);

/* cable_corpus_sort_dtg - order the entries by DTG; ties by origin RI,
 * station serial, section, then the order they were read in. Entries without
 * a valid DTG go last, in read order. Parses every entry once. */
void cable_corpus_sort_dtg(cable_corpus_t *cp);

#endif
