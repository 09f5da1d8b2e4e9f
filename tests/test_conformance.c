/*
 * test_conformance.c - the parser against the real corpus (CABLESIM_SHARED,
 * default ../shared): of the cables that carry a VZCZC header, at least
 * 99.5% parse with no error in lenient mode, their fields agree with the
 * file name (station serial = cable number, DTG year = year prefix) for at
 * least 99.5%, and every one that parses round-trips through emit and
 * through msgpack. Skipped, visibly, when the corpus is absent (and failed
 * instead when CABLESIM_REQUIRE_SHARED is set, as in CI).
 */
#include "testutil.h"
#include "cable.h"
#include "cable_msgpack.h"
#include "cable_stream.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "07TRIPOLI945.txt" -> year 7, number 945. */
static bool name_fields(const char *name, int *yy, long *number)
{
    size_t n = strlen(name), e = n - 4, s = e;
    if (n < 7 || !isdigit((unsigned char)name[0]) || !isdigit((unsigned char)name[1]))
        return false;
    while (s > 2 && isdigit((unsigned char)name[s - 1]))
        s--;
    if (s == e)
        return false;
    *yy = (name[0] - '0') * 10 + (name[1] - '0');
    *number = strtol(name + s, NULL, 10);
    return true;
}

static void test_real_corpus(void **state)
{
    const char *dir = tu_real_corpus();
    char      **names;
    size_t      n, headed = 0, clean = 0, agree = 0, emit_ok = 0, mp_ok = 0;
    cable_t     c, d;
    (void)state;
    if (!dir) {
        skip();
        return;
    }
    n = tu_list_txt(dir, &names);
    assert_true(n > 1000);
    cable_init(&c);
    cable_init(&d);
    for (size_t i = 0; i < n; i++) {
        char        path[4096];
        size_t      len, nseg;
        char       *buf;
        cable_seg_t *segs;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        buf = tu_read_file(path, &len);
        assert_non_null(buf);
        nseg = cable_stream_split(buf, len, &segs);
        for (size_t s = 0; s < nseg; s++) {
            cable_parse_opts_t o = {.file = names[i], .first_line = segs[s].first_line};
            int                yy;
            long               number;
            int                 rc;
            if (s > 0)
                continue; /* repeated copies inside database exports */
            rc = cable_parse(&c, segs[s].p, segs[s].len, &o);
            if (!c.transmission_id.len)
                continue; /* no VZCZC header */
            headed++;
            if (rc != 0) {
                char line[512];
                cable_diag_format(names[i], &c.diags.v[0], line, sizeof(line));
                for (uint32_t k = 0; k < c.diags.n; k++)
                    if (c.diags.v[k].severity == CABLE_SEV_ERROR) {
                        cable_diag_format(names[i], &c.diags.v[k], line, sizeof(line));
                        break;
                    }
                fprintf(stderr, "not clean: %s\n", line);
                continue;
            }
            clean++;
            if (name_fields(names[i], &yy, &number) && c.station_serial == number % 10000 &&
                c.dtg.valid && c.dtg.year % 100 == yy)
                agree++;
            else
                fprintf(stderr, "fields disagree with the name: %s (serial %d, year %d)\n",
                        names[i], c.station_serial, c.dtg.year);
            {
                size_t      elen;
                char       *text = cable_emit(&c, &elen);
                assert_int_equal(cable_emit_len(&c), elen);
                const char *why = "?";
                cable_parse_opts_t eo = {.strict = false};
                cable_parse(&d, text, elen, &eo);
                if (cable_fields_equal(&c, &d, &why))
                    emit_ok++;
                else
                    fprintf(stderr, "emit round trip differs: %s: %s\n", names[i], why);
                free(text);
            }
            {
                char       *mp;
                size_t      mlen;
                const char *err = NULL, *why = "?";
                if (cable_msgpack_encode(&c, &mp, &mlen) == 0) {
                    if (cable_msgpack_decode(&d, mp, mlen, &err) == 0 &&
                        cable_fields_equal(&c, &d, &why))
                        mp_ok++;
                    else
                        fprintf(stderr, "msgpack round trip differs: %s: %s %s\n", names[i],
                                err ? err : "", why);
                    free(mp);
                }
            }
        }
        free(segs);
        free(buf);
    }
    cable_destroy(&c);
    cable_destroy(&d);
    tu_free_list(names, n);
    fprintf(stderr,
            "conformance: %zu cables with a VZCZC header; %zu parse without error (%.2f%%); "
            "%zu agree with their file name (%.2f%%); %zu/%zu round-trip through emit, "
            "%zu/%zu through msgpack\n",
            headed, clean, 100.0 * (double)clean / (double)headed, agree,
            100.0 * (double)agree / (double)headed, emit_ok, clean, mp_ok, clean);
    assert_true(headed > 2500);
    assert_true(clean * 1000 >= headed * 995);
    assert_true(agree * 1000 >= headed * 995);
    assert_int_equal(emit_ok, clean);
    assert_int_equal(mp_ok, clean);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_corpus),
    };
    return cmocka_run_group_tests_name("conformance", tests, NULL, NULL);
}
