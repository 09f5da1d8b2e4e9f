/*
 * cable_json.c - cable to JSON with jansson (never hand-escaped printf).
 * Strings that are not valid UTF-8 (real cables hold a few stray bytes) are
 * passed through with the invalid bytes replaced by U+FFFD.
 */
#include "cable_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copy of s with invalid UTF-8 replaced, for json_stringn. */
static json_t *json_span_str(const char *p, size_t n)
{
    json_t *v = json_stringn(p, n);
    char   *buf;
    size_t  o = 0;
    if (v)
        return v;
    buf = malloc(n * 3 + 1);
    if (!buf)
        return json_null();
    for (size_t i = 0; i < n;) {
        unsigned char ch = (unsigned char)p[i];
        size_t        len = ch < 0x80 ? 1 : ch >= 0xC2 && ch <= 0xDF ? 2
                          : ch >= 0xE0 && ch <= 0xEF               ? 3
                          : ch >= 0xF0 && ch <= 0xF4               ? 4
                                                                     : 0;
        json_t       *probe = len && i + len <= n ? json_stringn(p + i, len) : NULL;
        if (probe && ch != 0) {
            memcpy(buf + o, p + i, len);
            o += len;
            i += len;
            json_decref(probe);
        } else {
            if (probe)
                json_decref(probe);
            memcpy(buf + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    v = json_stringn(buf, o);
    free(buf);
    return v ? v : json_null();
}

json_t *cable_json_span(sim_span_t s)
{
    if (!s.p)
        return json_null();
    return json_span_str(s.p, s.len);
}

static json_t *spans(const cable_span_list_t *l)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < l->n; i++)
        json_array_append_new(a, cable_json_span(l->v[i]));
    return a;
}

static json_t *prec_or_null(cable_prec_t p)
{
    const char *w = cable_prec_word(p);
    return w ? json_string(w) : json_null();
}

static json_t *addrs(const cable_addr_list_t *l)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < l->n; i++) {
        const cable_addr_t *ad = &l->v[i];
        json_t             *o = json_object();
        json_object_set_new(o, "ri", ad->ri.len ? cable_json_span(ad->ri) : json_null());
        json_object_set_new(o, "pla", cable_json_span(ad->pla));
        json_object_set_new(o, "precedence",
                            ad->prec_word.len ? cable_json_span(ad->prec_word) : json_null());
        json_object_set_new(o, "niact", json_boolean(ad->niact));
        if (ad->serial_lo < 0)
            json_object_set_new(o, "serial", json_null());
        else if (ad->serial_hi != ad->serial_lo || ad->serial.len > 4)
            json_object_set_new(o, "serial", cable_json_span(ad->serial));
        else
            json_object_set_new(o, "serial", json_integer(ad->serial_lo));
        if (ad->zen)
            json_object_set_new(o, "zen", json_true());
        json_array_append_new(a, o);
    }
    return a;
}

json_t *cable_json(const cable_t *c)
{
    json_t *o = json_object();
    char    buf[64];
    size_t  n;

    json_object_set_new(o, "transmission_id", c->transmission_id.len
                                                  ? cable_json_span(c->transmission_id)
                                                  : json_null());
    n = cable_id(c, buf, sizeof(buf));
    json_object_set_new(o, "id", json_stringn(buf, n));
    json_object_set_new(o, "precedence", prec_or_null(cable_precedence(c)));
    json_object_set_new(o, "info_precedence", prec_or_null(cable_info_precedence(c)));
    json_object_set_new(o, "routing_indicators", spans(&c->routing_indicators));
    json_object_set_new(o, "origin_ri", c->origin_ri.len ? cable_json_span(c->origin_ri) : json_null());
    json_object_set_new(o, "station_serial",
                        c->station_serial >= 0 ? json_integer(c->station_serial) : json_null());
    json_object_set_new(o, "section", json_integer(c->section));
    json_object_set_new(o, "sections", json_integer(c->sections));
    json_object_set_new(o, "filed", c->filed.len ? cable_json_span(c->filed) : json_null());
    json_object_set_new(o, "security", c->security.len ? cable_json_span(c->security) : json_null());
    json_object_set_new(o, "signals", spans(&c->signals));
    json_object_set_new(o, "controls", spans(&c->controls));
    json_object_set_new(o, "corrected_copy", json_boolean(c->corrected_copy));
    if (c->dtg.valid) {
        char iso[21];
        cable_dtg_iso(&c->dtg, iso);
        json_object_set_new(o, "dtg", json_string(iso));
    } else {
        json_object_set_new(o, "dtg", json_null());
    }
    json_object_set_new(o, "from", c->from.len ? cable_json_span(c->from) : json_null());
    json_object_set_new(o, "to", addrs(&c->to));
    json_object_set_new(o, "info", addrs(&c->info));
    json_object_set_new(o, "xmt", addrs(&c->xmt));
    json_object_set_new(o, "classification", c->classification
                                                 ? json_string(cable_class_word(c->classification))
                                                 : json_null());
    json_object_set_new(o, "post", c->post.len ? cable_json_span(c->post) : json_null());
    json_object_set_new(o, "cable_number",
                        c->cable_number >= 0 ? json_integer(c->cable_number) : json_null());
    json_object_set_new(o, "captions", spans(&c->captions));
    json_object_set_new(o, "eo", c->eo.len ? cable_json_span(c->eo) : json_null());
    json_object_set_new(o, "subject", c->subject.len ? cable_json_span(c->subject) : json_null());
    json_object_set_new(o, "ref", c->ref.len ? cable_json_span(c->ref) : json_null());
    json_object_set_new(o, "tags", spans(&c->tags));
    json_object_set_new(o, "signature", c->signature.len ? cable_json_span(c->signature) : json_null());
    json_object_set_new(o, "body_bytes", json_integer(c->body_bytes));
    return o;
}

json_t *cable_json_diags(const cable_t *c)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < c->diags.n; i++) {
        const cable_diag_t      *d = &c->diags.v[i];
        const cable_rule_info_t *r = cable_rule_info((cable_rule_t)d->rule);
        json_t                  *o = json_object();
        char                     msg[512];
        snprintf(msg, sizeof(msg), "%s%s%s", r->message, d->detail ? ": " : "",
                 d->detail ? d->detail : "");
        json_object_set_new(o, "line", json_integer(d->line));
        json_object_set_new(o, "col", json_integer(d->col));
        json_object_set_new(o, "severity", json_string(cable_sev_word((cable_sev_t)d->severity)));
        json_object_set_new(o, "rule", json_string(r->id));
        json_object_set_new(o, "message", json_span_str(msg, strlen(msg)));
        json_array_append_new(a, o);
    }
    return a;
}
