/*
 * rtr_dlog.c - writing and reading delivery logs (see rtr_dlog.h). Records
 * are msgpack maps appended to a 64 KiB buffer and written with one write()
 * when it fills or on flush; reading uses msgpack-c's streaming unpacker and
 * a record-size limit so a corrupt file cannot make it allocate without
 * bound.
 */
#include "rtr_dlog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define DLOG_BUF (64 * 1024)
#define DLOG_MAX_RECORD (64 * 1024)

static const char *const event_names[] = {
#define RTR_DLOG_NAME(name, word) word,
    RTR_DLOG_EVENTS(RTR_DLOG_NAME)
#undef RTR_DLOG_NAME
};

const char *rtr_dlog_event_name(rtr_dlog_event_t e)
{
    return (unsigned)e < RTR_DLOG_EVENT_COUNT ? event_names[e] : "?";
}

int rtr_dlog_event_from_name(const char *name)
{
    for (int i = 0; i < RTR_DLOG_EVENT_COUNT; i++)
        if (strcmp(event_names[i], name) == 0)
            return i;
    return -1;
}

struct rtr_dlog {
    int             fd;
    msgpack_sbuffer sb;
    msgpack_packer  pk;
    int             err;
    uint64_t        count;
};

static int mkdir_p(const char *dir)
{
    char   tmp[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(tmp))
        return -ENAMETOOLONG;
    memcpy(tmp, dir, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

rtr_dlog_t *rtr_dlog_open(const char *dir, const char *party, int *err)
{
    char        path[4096], name[256];
    rtr_dlog_t *d;
    int         rc = mkdir_p(dir), fd = -1;
    if (rc < 0) {
        *err = rc;
        return NULL;
    }
    snprintf(name, sizeof(name), "%s", party);
    for (char *p = name; *p; p++)
        if (*p == '/' || *p == ' ')
            *p = '_';
    /* Each run of a party writes a file of its own (NAME.dlog, then
     * NAME.1.dlog, ...): a record torn by a crash stays at the end of the
     * old file, where readers skip it, instead of in the middle of a log. */
    for (unsigned k = 0; k < 100000 && fd < 0; k++) {
        if (k == 0)
            snprintf(path, sizeof(path), "%s/%s.dlog", dir, name);
        else
            snprintf(path, sizeof(path), "%s/%s.%u.dlog", dir, name, k);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) {
            *err = -errno;
            return NULL;
        }
    }
    if (fd < 0) {
        *err = -EEXIST;
        return NULL;
    }
    d = sim_xcalloc(1, sizeof(*d));
    d->fd = fd;
    msgpack_sbuffer_init(&d->sb);
    msgpack_packer_init(&d->pk, &d->sb, msgpack_sbuffer_write);
    return d;
}

static void pack_str(msgpack_packer *pk, const char *k, const char *v)
{
    size_t kl = strlen(k), vl = strlen(v);
    msgpack_pack_str(pk, kl);
    msgpack_pack_str_body(pk, k, kl);
    msgpack_pack_str(pk, vl);
    msgpack_pack_str_body(pk, v, vl);
}

static void pack_int(msgpack_packer *pk, const char *k, int64_t v)
{
    size_t kl = strlen(k);
    msgpack_pack_str(pk, kl);
    msgpack_pack_str_body(pk, k, kl);
    msgpack_pack_int64(pk, v);
}

int rtr_dlog_write(rtr_dlog_t *d, const rtr_dlog_rec_t *r)
{
    msgpack_packer *pk = &d->pk;
    size_t          n = 4;
    char            prec[2] = {cable_prec_letter(r->precedence), 0};
    n += r->party != NULL;
    n += r->id != NULL;
    n += r->precedence != CABLE_PREC_NONE;
    n += r->link != NULL;
    n += r->csn >= 0;
    n += r->addressee != NULL;
    n += r->detail != NULL;
    n += r->value != 0;
    msgpack_pack_map(pk, n);
    pack_str(pk, "v", "1");
    pack_int(pk, "sim_time", r->sim_time);
    pack_int(pk, "wall_time", r->wall_time);
    pack_str(pk, "event", rtr_dlog_event_name(r->event));
    if (r->party)
        pack_str(pk, "party", r->party);
    if (r->id)
        pack_str(pk, "id", r->id);
    if (r->precedence != CABLE_PREC_NONE)
        pack_str(pk, "precedence", prec);
    if (r->link)
        pack_str(pk, "link", r->link);
    if (r->csn >= 0)
        pack_int(pk, "csn", r->csn);
    if (r->addressee)
        pack_str(pk, "addressee", r->addressee);
    if (r->detail)
        pack_str(pk, "detail", r->detail);
    if (r->value != 0)
        pack_int(pk, "value", r->value);
    d->count++;
    if (d->sb.size >= DLOG_BUF)
        return rtr_dlog_flush(d);
    return d->err;
}

int rtr_dlog_flush(rtr_dlog_t *d)
{
    size_t off = 0;
    while (off < d->sb.size) {
        ssize_t w = write(d->fd, d->sb.data + off, d->sb.size - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            d->err = -errno;
            break;
        }
        off += (size_t)w;
    }
    msgpack_sbuffer_clear(&d->sb);
    return d->err;
}

int rtr_dlog_close(rtr_dlog_t *d)
{
    int rc;
    if (!d)
        return 0;
    rtr_dlog_flush(d);
    rc = d->err;
    if (close(d->fd) != 0 && !rc)
        rc = -errno;
    msgpack_sbuffer_destroy(&d->sb);
    free(d);
    return rc;
}

uint64_t rtr_dlog_count(const rtr_dlog_t *d)
{
    return d->count;
}

/* --- reading ------------------------------------------------------------ */

typedef struct rec_vec {
    rtr_dlog_rec_t  *v;
    uint64_t        *order;
    size_t           n, cap;
    sim_arena_t      strings;
    rtr_dlog_keep_fn keep;    /* NULL: keep every record */
    void            *keep_ud;
    sim_arena_t      scratch; /* a record's strings until it is kept */
} rec_vec_t;

static const char *obj_str(rec_vec_t *rv, const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return NULL;
    return sim_arena_strndup(rv->keep ? &rv->scratch : &rv->strings, o->via.str.ptr,
                             o->via.str.size);
}

static const char *keep_str(rec_vec_t *rv, const char *s)
{
    return s ? sim_arena_strndup(&rv->strings, s, strlen(s)) : NULL;
}

static bool obj_int(const msgpack_object *o, int64_t *v)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX) {
        *v = (int64_t)o->via.u64;
        return true;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *v = o->via.i64;
        return true;
    }
    return false;
}

static int take_record(rec_vec_t *rv, const msgpack_object *o)
{
    rtr_dlog_rec_t r;
    bool           have_time = false, have_event = false;
    if (o->type != MSGPACK_OBJECT_MAP)
        return SIM_ETYPE;
    memset(&r, 0, sizeof(r));
    r.csn = -1;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;
        char                  key[16];
        int64_t               n;
        if (k->type != MSGPACK_OBJECT_STR || k->via.str.size >= sizeof(key))
            continue;
        memcpy(key, k->via.str.ptr, k->via.str.size);
        key[k->via.str.size] = '\0';
        if (strcmp(key, "sim_time") == 0 && obj_int(v, &n)) {
            r.sim_time = n;
            have_time = true;
        } else if (strcmp(key, "wall_time") == 0 && obj_int(v, &n)) {
            r.wall_time = n;
        } else if (strcmp(key, "event") == 0 && v->type == MSGPACK_OBJECT_STR) {
            char name[32];
            int  e;
            if (v->via.str.size >= sizeof(name))
                return SIM_EPARSE;
            memcpy(name, v->via.str.ptr, v->via.str.size);
            name[v->via.str.size] = '\0';
            e = rtr_dlog_event_from_name(name);
            if (e < 0)
                return SIM_EPARSE;
            r.event = (rtr_dlog_event_t)e;
            have_event = true;
        } else if (strcmp(key, "party") == 0) {
            r.party = obj_str(rv, v);
        } else if (strcmp(key, "id") == 0) {
            r.id = obj_str(rv, v);
        } else if (strcmp(key, "precedence") == 0 && v->type == MSGPACK_OBJECT_STR &&
                   v->via.str.size == 1) {
            r.precedence = cable_prec_from_letter((unsigned char)v->via.str.ptr[0]);
        } else if (strcmp(key, "link") == 0) {
            r.link = obj_str(rv, v);
        } else if (strcmp(key, "csn") == 0 && obj_int(v, &n) && n >= 0 && n <= INT32_MAX) {
            r.csn = (int32_t)n;
        } else if (strcmp(key, "addressee") == 0) {
            r.addressee = obj_str(rv, v);
        } else if (strcmp(key, "detail") == 0) {
            r.detail = obj_str(rv, v);
        } else if (strcmp(key, "value") == 0 && obj_int(v, &n)) {
            r.value = n;
        }
    }
    if (!have_time || !have_event)
        return SIM_EPARSE;
    if (rv->keep) {
        bool keep = rv->keep(&r, rv->keep_ud);
        if (keep) {
            r.party = keep_str(rv, r.party);
            r.id = keep_str(rv, r.id);
            r.link = keep_str(rv, r.link);
            r.addressee = keep_str(rv, r.addressee);
            r.detail = keep_str(rv, r.detail);
        }
        sim_arena_reset(&rv->scratch);
        if (!keep)
            return 0;
    }
    if (rv->n == rv->cap) {
        rv->cap = rv->cap ? rv->cap * 2 : 1024;
        rv->v = sim_xrealloc(rv->v, rv->cap * sizeof(*rv->v));
        rv->order = sim_xrealloc(rv->order, rv->cap * sizeof(*rv->order));
    }
    rv->order[rv->n] = rv->n;
    rv->v[rv->n++] = r;
    return 0;
}

static int read_file(rec_vec_t *rv, const char *path, size_t *torn, char *err, size_t errlen)
{
    int              fd = open(path, O_RDONLY | O_CLOEXEC);
    msgpack_unpacker up;
    msgpack_unpacked res;
    int              rc = 0;
    uint64_t         nrec = 0;
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -errno;
    }
    if (!msgpack_unpacker_init(&up, 64 * 1024))
        sim_panic("%s: out of memory", __func__);
    msgpack_unpacked_init(&res);
    for (;;) {
        ssize_t n;
        if (!msgpack_unpacker_reserve_buffer(&up, 64 * 1024))
            sim_panic("%s: out of memory", __func__);
        n = read(fd, msgpack_unpacker_buffer(&up), msgpack_unpacker_buffer_capacity(&up));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            break;
        }
        if (n == 0) {
            if (msgpack_unpacker_message_size(&up) > 0) {
                /* An unfinished value at the end: a record cut by a crash
                 * begins as every record does, with a map; anything else is
                 * not a delivery log. (The value starts message_size bytes
                 * before the end of the data, msgpack-c's 'used'.) */
                unsigned char b0 =
                    (unsigned char)up.buffer[up.used - msgpack_unpacker_message_size(&up)];
                if ((b0 & 0xf0) != 0x80 && b0 != 0xde && b0 != 0xdf) {
                    rc = SIM_EPARSE;
                    snprintf(err, errlen, "%s: record %llu is not a delivery-log record", path,
                             (unsigned long long)nrec + 1);
                    break;
                }
                (*torn)++;
            }
            break;
        }
        msgpack_unpacker_buffer_consumed(&up, (size_t)n);
        for (;;) {
            msgpack_unpack_return ret = msgpack_unpacker_next(&up, &res);
            if (ret == MSGPACK_UNPACK_SUCCESS) {
                if (take_record(rv, &res.data) < 0) {
                    rc = SIM_EPARSE;
                    snprintf(err, errlen, "%s: record %llu is not a delivery-log record", path,
                             (unsigned long long)nrec + 1);
                    goto out;
                }
                nrec++;
                continue;
            }
            if (ret == MSGPACK_UNPACK_CONTINUE) {
                if (msgpack_unpacker_message_size(&up) > DLOG_MAX_RECORD) {
                    rc = SIM_ETOOBIG;
                    snprintf(err, errlen, "%s: record %llu is larger than %d bytes", path,
                             (unsigned long long)nrec + 1, DLOG_MAX_RECORD);
                    goto out;
                }
                break;
            }
            rc = SIM_EPARSE;
            snprintf(err, errlen, "%s: record %llu is not valid msgpack", path,
                     (unsigned long long)nrec + 1);
            goto out;
        }
    }
out:
    msgpack_unpacked_destroy(&res);
    msgpack_unpacker_destroy(&up);
    close(fd);
    return rc;
}

static int scmp(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static rec_vec_t *sort_rv;

static int rec_cmp(const void *pa, const void *pb)
{
    const rtr_dlog_rec_t *a = &sort_rv->v[*(const uint64_t *)pa];
    const rtr_dlog_rec_t *b = &sort_rv->v[*(const uint64_t *)pb];
    int                   r;
    if (a->sim_time != b->sim_time)
        return a->sim_time < b->sim_time ? -1 : 1;
    if (a->event != b->event)
        return a->event < b->event ? -1 : 1;
    if (a->precedence != b->precedence)
        return a->precedence > b->precedence ? -1 : 1;
    if ((r = scmp(a->id, b->id)) != 0)
        return r;
    if ((r = scmp(a->link, b->link)) != 0)
        return r;
    if ((r = scmp(a->party, b->party)) != 0)
        return r;
    return *(const uint64_t *)pa < *(const uint64_t *)pb ? -1 : 1;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int rtr_dlog_read(const char *const *dirs, size_t n_dirs, rtr_dlog_set_t *out, size_t *torn,
                  char *err, size_t errlen)
{
    return rtr_dlog_read_kept(dirs, n_dirs, NULL, NULL, out, torn, err, errlen);
}

int rtr_dlog_read_kept(const char *const *dirs, size_t n_dirs, rtr_dlog_keep_fn keep, void *ud,
                       rtr_dlog_set_t *out, size_t *torn, char *err, size_t errlen)
{
    rec_vec_t *rv = sim_xcalloc(1, sizeof(*rv));
    int        rc = 0;
    size_t     torn_local = 0;
    sim_arena_init(&rv->strings);
    sim_arena_init(&rv->scratch);
    rv->keep = keep;
    rv->keep_ud = ud;
    memset(out, 0, sizeof(*out));
    for (size_t d = 0; d < n_dirs && rc == 0; d++) {
        DIR           *dh = opendir(dirs[d]);
        struct dirent *e;
        char         **names = NULL;
        size_t         nn = 0, cap = 0;
        if (!dh) {
            rc = -errno;
            snprintf(err, errlen, "%s: %s", dirs[d], strerror(errno));
            break;
        }
        while ((e = readdir(dh)) != NULL) {
            size_t l = strlen(e->d_name);
            if (l < 6 || strcmp(e->d_name + l - 5, ".dlog") != 0)
                continue;
            if (nn == cap) {
                cap = cap ? cap * 2 : 16;
                names = sim_xrealloc(names, cap * sizeof(*names));
            }
            names[nn++] = sim_xstrdup(e->d_name);
        }
        closedir(dh);
        if (nn)
            qsort(names, nn, sizeof(*names), cmp_names);
        for (size_t i = 0; i < nn; i++) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", dirs[d], names[i]);
            if (rc == 0)
                rc = read_file(rv, path, &torn_local, err, errlen);
            free(names[i]);
        }
        free(names);
    }
    if (rc == 0 && rv->n) {
        rtr_dlog_rec_t *sorted = sim_xmalloc(rv->n * sizeof(*sorted));
        sort_rv = rv;
        qsort(rv->order, rv->n, sizeof(*rv->order), rec_cmp);
        sort_rv = NULL;
        for (size_t i = 0; i < rv->n; i++)
            sorted[i] = rv->v[rv->order[i]];
        free(rv->v);
        rv->v = sorted;
    }
    if (torn)
        *torn = torn_local;
    out->v = rv->v;
    out->n = rv->n;
    free(rv->order);
    rv->order = NULL;
    rv->v = NULL;
    sim_arena_destroy(&rv->scratch);
    out->priv = rv;
    return rc;
}

void rtr_dlog_set_free(rtr_dlog_set_t *s)
{
    rec_vec_t *rv = s->priv;
    free(s->v);
    if (rv) {
        sim_arena_destroy(&rv->strings);
        free(rv);
    }
    memset(s, 0, sizeof(*s));
}
