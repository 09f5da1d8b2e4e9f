/*
 * cable_stream.c - splitting streams into cables, and corpora of files,
 * directories and standard input (see cable_stream.h for the rules).
 */
#include "cable_stream.h"
#include "cable_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct seg_vec {
    cable_seg_t *v;
    size_t       n, cap;
} seg_vec_t;

static void seg_push(seg_vec_t *s, const char *p, size_t len, uint32_t line, bool guessed)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = sim_xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n].p = p;
    s->v[s->n].len = len;
    s->v[s->n].first_line = line;
    s->v[s->n].guessed = guessed;
    s->n++;
}

typedef struct sline {
    const char *p;
    size_t      len; /* trimmed of CR and trailing blanks */
    const char *next;
} sline_t;

static void sline_at(const char *p, const char *end, sline_t *l)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *e = nl ? nl : end;
    l->p = p;
    l->next = nl ? nl + 1 : end;
    while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
        e--;
    l->len = (size_t)(e - p);
}

static bool sline_dtg(const sline_t *l)
{
    cable__line_t cl;
    cl.p = l->p;
    cl.len = (uint32_t)SIM_MIN(l->len, (size_t)CABLE__LINE_MAX);
    return cable__is_dtg_line(&cl);
}

static bool blank_span(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return false;
    return true;
}

/* Splits one segment with no VZCZC and no NNNN at DTG+FM lines after a text. */
static void split_guessed(const char *p, size_t len, uint32_t line, bool first_guessed,
                          seg_vec_t *out)
{
    const char *end = p + len, *seg = p, *q = p;
    uint32_t    no = line, seg_line = line;
    bool        header = false, text = false, guessed = first_guessed;
    sline_t     l;
    while (q < end) {
        sline_at(q, end, &l);
        if (l.len && sline_dtg(&l)) {
            if (header && text) {
                /* A DTG line followed by an FM line: a new cable. */
                sline_t nx;
                const char *r = l.next;
                nx.len = 0;
                while (r < end) {
                    sline_at(r, end, &nx);
                    if (nx.len)
                        break;
                    r = nx.next;
                }
                if (nx.len >= 3 && memcmp(nx.p, "FM ", 3) == 0) {
                    seg_push(out, seg, (size_t)(q - seg), seg_line, guessed);
                    seg = q;
                    seg_line = no;
                    guessed = true;
                    text = false;
                }
            }
            header = true;
        } else if (l.len && header) {
            text = true;
        }
        q = l.next;
        no++;
    }
    seg_push(out, seg, (size_t)(end - seg), seg_line, guessed);
}

size_t cable_stream_split(const char *buf, size_t len, cable_seg_t **segs)
{
    seg_vec_t   raw = {0}, out = {0};
    const char *end = buf + len, *q = buf, *seg = buf;
    uint32_t    no = 1, seg_line = 1;
    bool        header = false, text = false, marked = false;
    sline_t     l;

    /* Pass 1: VZCZC and NNNN boundaries. 'marked' records whether a segment
     * had either, so that guessing is left for streams without them. */
    while (q < end) {
        sline_at(q, end, &l);
        if (l.len >= 5 && memcmp(l.p, "VZCZC", 5) == 0) {
            /* A cable starts here. What the segment holds so far is the
             * previous cable's (a trailer after an NNNN inside its text), or,
             * at the start of the stream, debris before this heading. */
            if (header || (raw.n > 0 && q > seg && !blank_span(seg, (size_t)(q - seg)))) {
                seg_push(&raw, seg, (size_t)(q - seg), seg_line, marked);
                seg = q;
                seg_line = no;
                text = false;
            }
            header = true;
            marked = true;
        } else if (l.len == 4 && memcmp(l.p, "NNNN", 4) == 0) {
            if (header && text) {
                seg_push(&raw, seg, (size_t)(l.next - seg), seg_line, true);
                seg = l.next;
                seg_line = no + 1;
                header = text = marked = false;
            }
        } else if (l.len) {
            if (header)
                text = true;
            else if (sline_dtg(&l))
                header = true;
        }
        q = l.next;
        no++;
    }
    if (seg < end || raw.n == 0)
        seg_push(&raw, seg, (size_t)(end - seg), seg_line, marked);

    /* Pass 2: drop blank tails, merge pieces without a heading into the cable
     * before them, and guess splits in unmarked segments. */
    for (size_t i = 0; i < raw.n; i++) {
        cable_seg_t *s = &raw.v[i];
        bool         has_head = false;
        const char  *r = s->p, *se = s->p + s->len;
        if (blank_span(s->p, s->len) && (out.n > 0 || i + 1 < raw.n)) {
            if (out.n > 0)
                out.v[out.n - 1].len = (size_t)(se - out.v[out.n - 1].p);
            continue;
        }
        while (r < se && !has_head) {
            sline_at(r, se, &l);
            has_head = (l.len >= 5 && memcmp(l.p, "VZCZC", 5) == 0) || (l.len && sline_dtg(&l));
            r = l.next;
        }
        if (!has_head && out.n > 0) {
            out.v[out.n - 1].len = (size_t)(se - out.v[out.n - 1].p);
            continue;
        }
        if (!s->guessed) /* 'guessed' held 'marked' in pass 1 */
            split_guessed(s->p, s->len, s->first_line, false, &out);
        else
            seg_push(&out, s->p, s->len, s->first_line, false);
    }
    free(raw.v);
    if (out.n == 0)
        seg_push(&out, buf, len, 1, false);
    *segs = out.v;
    return out.n;
}

/* --- corpora ------------------------------------------------------------ */

void cable_corpus_init(cable_corpus_t *cp)
{
    memset(cp, 0, sizeof(*cp));
}

void cable_corpus_destroy(cable_corpus_t *cp)
{
    for (uint32_t i = 0; i < cp->n_sources; i++) {
        free(cp->sources[i].name);
        free(cp->sources[i].buf);
    }
    free(cp->sources);
    free(cp->entries);
    memset(cp, 0, sizeof(*cp));
}

static void add_source(cable_corpus_t *cp, char *name, char *buf, size_t len)
{
    cable_seg_t *segs;
    size_t       n;
    uint32_t     si = cp->n_sources;
    if (cp->n_sources == cp->cap_sources) {
        cp->cap_sources = cp->cap_sources ? cp->cap_sources * 2 : 64;
        cp->sources = sim_xrealloc(cp->sources, cp->cap_sources * sizeof(*cp->sources));
    }
    cp->sources[si].name = name;
    cp->sources[si].buf = buf;
    cp->sources[si].len = len;
    cp->n_sources++;
    cp->bytes += len;
    n = cable_stream_split(buf, len, &segs);
    for (size_t i = 0; i < n; i++) {
        if (cp->n_entries == cp->cap_entries) {
            cp->cap_entries = cp->cap_entries ? cp->cap_entries * 2 : 256;
            cp->entries = sim_xrealloc(cp->entries, cp->cap_entries * sizeof(*cp->entries));
        }
        cp->entries[cp->n_entries].source = si;
        cp->entries[cp->n_entries].seg = segs[i];
        cp->entries[cp->n_entries].dtg = INT64_MAX;
        cp->n_entries++;
    }
    free(segs);
}

void cable_corpus_add_mem(cable_corpus_t *cp, const char *name, const char *buf, size_t len)
{
    char *copy = sim_xmalloc(len + 1);
    memcpy(copy, buf, len);
    copy[len] = '\0';
    add_source(cp, sim_xstrdup(name), copy, len);
}

static int read_fd(int fd, char **out, size_t *len)
{
    size_t cap = 64 * 1024, n = 0;
    char  *buf = sim_xmalloc(cap);
    for (;;) {
        ssize_t r;
        if (n + 1 >= cap) {
            cap *= 2;
            buf = sim_xrealloc(buf, cap);
        }
        r = read(fd, buf + n, cap - n - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            free(buf);
            return -errno;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static int add_file(cable_corpus_t *cp, const char *path, char *err, size_t errlen)
{
    int    fd = open(path, O_RDONLY | O_CLOEXEC);
    char  *buf;
    size_t len;
    int    rc;
    if (fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-rc));
        return rc;
    }
    rc = read_fd(fd, &buf, &len);
    close(fd);
    if (rc < 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
        return rc;
    }
    add_source(cp, sim_xstrdup(path), buf, len);
    return 0;
}

static bool wanted(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && strcmp(name + n - 4, ".txt") == 0) ||
           (n > 6 && strcmp(name + n - 6, ".cable") == 0);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_dir(cable_corpus_t *cp, const char *path, char *err, size_t errlen, int depth)
{
    DIR           *d;
    struct dirent *e;
    char         **names = NULL;
    size_t         n = 0, cap = 0;
    int            rc = 0;
    if (depth > 32) {
        snprintf(err, errlen, "%s: directories nested too deep", path);
        return SIM_ETOOBIG;
    }
    d = opendir(path);
    if (!d) {
        rc = -errno;
        snprintf(err, errlen, "%s: cannot open directory: %s", path, strerror(-rc));
        return rc;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = sim_xrealloc(names, cap * sizeof(*names));
        }
        names[n++] = sim_xstrdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t      pl = strlen(path) + strlen(names[i]) + 2;
        char       *full = sim_xmalloc(pl);
        struct stat st;
        snprintf(full, pl, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", names[i]);
        if (stat(full, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                rc = add_dir(cp, full, err, errlen, depth + 1);
            else if (S_ISREG(st.st_mode) && wanted(names[i]))
                rc = add_file(cp, full, err, errlen);
        }
        free(full);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int cable_corpus_add(cable_corpus_t *cp, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (strcmp(path, "-") == 0) {
        char  *buf;
        size_t len;
        int    rc = read_fd(STDIN_FILENO, &buf, &len);
        if (rc < 0) {
            snprintf(err, errlen, "-: cannot read standard input: %s", strerror(-rc));
            return rc;
        }
        add_source(cp, sim_xstrdup("-"), buf, len);
        return 0;
    }
    if (stat(path, &st) != 0) {
        int rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return rc;
    }
    if (S_ISDIR(st.st_mode))
        return add_dir(cp, path, err, errlen, 0);
    return add_file(cp, path, err, errlen);
}

int cable_corpus_parse(const cable_corpus_t *cp, size_t i, cable_t *c, bool strict)
{
    const cable_entry_t *e = &cp->entries[i];
    cable_parse_opts_t   o = {0};
    o.strict = strict;
    o.file = cp->sources[e->source].name;
    o.first_line = e->seg.first_line;
    o.split_guessed = e->seg.guessed;
    return cable_parse(c, e->seg.p, e->seg.len, &o);
}

typedef struct sort_key {
    int64_t  dtg;
    char     ri[8];
    int32_t  serial;
    uint16_t section;
    size_t   order;
} sort_key_t;

static int cmp_keys(const void *a, const void *b)
{
    const sort_key_t *x = a, *y = b;
    int               r;
    if (x->dtg != y->dtg)
        return x->dtg < y->dtg ? -1 : 1;
    if ((r = strcmp(x->ri, y->ri)) != 0)
        return r;
    if (x->serial != y->serial)
        return x->serial < y->serial ? -1 : 1;
    if (x->section != y->section)
        return x->section < y->section ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

void cable_corpus_sort_dtg(cable_corpus_t *cp)
{
    sort_key_t    *keys = sim_xcalloc(cp->n_entries ? cp->n_entries : 1, sizeof(*keys));
    cable_entry_t *sorted;
    cable_t        c;
    cable_init(&c);
    for (size_t i = 0; i < cp->n_entries; i++) {
        cable_corpus_parse(cp, i, &c, false);
        keys[i].dtg = c.dtg.valid ? cable_dtg_epoch(&c.dtg) : INT64_MAX;
        memcpy(keys[i].ri, c.origin_ri.p ? c.origin_ri.p : "", SIM_MIN(c.origin_ri.len, 7u));
        keys[i].serial = c.station_serial >= 0 ? c.station_serial : c.cable_number;
        keys[i].section = c.section;
        keys[i].order = i;
        cp->entries[i].dtg = keys[i].dtg;
    }
    cable_destroy(&c);
    qsort(keys, cp->n_entries, sizeof(*keys), cmp_keys);
    sorted = sim_xmalloc((cp->n_entries ? cp->n_entries : 1) * sizeof(*sorted));
    for (size_t i = 0; i < cp->n_entries; i++)
        sorted[i] = cp->entries[keys[i].order];
    free(cp->entries);
    cp->entries = sorted;
    cp->cap_entries = (uint32_t)cp->n_entries;
    free(keys);
}
