/*
 * test_link_chan.c - channel accounting: csn assignment and wrap-around, the
 * window of unsettled numbers (per-csn acknowledgements, the cumulative fast
 * path, ABORTs, releases for repeats, a full window), what is sent again
 * after a reconnect, the receiver's continuity checks (next, gap with its
 * range, repeat, wrap), and the bounded duplicate set, exact at its size.
 */
#include "testutil.h"
#include "link/link_chan.h"
#include "link/link_frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- sending side ------------------------------------------------------- */

static void test_tx_wraps(void **state)
{
    link_tx_t t;
    int       csn;
    uint64_t  cookie;
    (void)state;
    link_tx_init(&t, 8, 9998);
    assert_int_equal(link_tx_send(&t, 100, &csn), 0);
    assert_int_equal(csn, 9998);
    assert_int_equal(link_tx_send(&t, 101, &csn), 0);
    assert_int_equal(csn, 9999);
    assert_int_equal(link_tx_send(&t, 102, &csn), 0);
    assert_int_equal(csn, 0);
    assert_int_equal(link_tx_send(&t, 103, &csn), 0);
    assert_int_equal(csn, 1);
    assert_int_equal(t.next_csn, 2);
    assert_int_equal(link_tx_ack(&t, 0, &cookie), 0);
    assert_int_equal(cookie, 102);
    assert_int_equal(t.count, 4); /* 9998 still open */
    assert_int_equal(link_tx_ack(&t, 9998, &cookie), 0);
    assert_int_equal(cookie, 100);
    assert_int_equal(link_tx_ack(&t, 9999, &cookie), 0);
    assert_int_equal(cookie, 101);
    assert_int_equal(t.count, 1);
    assert_int_equal(t.head_csn, 1);
    /* 1 unacknowledged holds the head: acknowledged numbers after it still
     * fill the window. */
    for (int i = 0; i < 7; i++) {
        assert_int_equal(link_tx_send(&t, 0, &csn), 0);
        assert_int_equal(link_tx_ack(&t, csn, &cookie), 0);
    }
    assert_int_equal(link_tx_send(&t, 0, &csn), SIM_EFULL);
    assert_int_equal(link_tx_ack(&t, 1, &cookie), 0);
    assert_int_equal(cookie, 103);
    assert_int_equal(t.count, 0);
    assert_int_equal(t.head_csn, 9);
    /* Three whole turns of the channel, acknowledged as they go. */
    for (int i = 0; i < 3 * LINK_CSN_MOD; i++) {
        assert_int_equal(link_tx_send(&t, (uint64_t)i, &csn), 0);
        assert_int_equal(csn, (9 + i) % LINK_CSN_MOD);
        assert_int_equal(link_tx_ack(&t, csn, &cookie), 0);
        assert_int_equal(cookie, (uint64_t)i);
    }
    assert_int_equal(t.count, 0);
    assert_int_equal(t.sent, 3 * LINK_CSN_MOD + 11);
    link_tx_destroy(&t);
}

static void test_tx_acks_out_of_order(void **state)
{
    link_tx_t t;
    int       csn;
    uint64_t  cookie;
    (void)state;
    link_tx_init(&t, 16, 0);
    for (int i = 0; i < 6; i++)
        assert_int_equal(link_tx_send(&t, 1000 + (uint64_t)i, &csn), 0);
    /* FLASH 3 and 4 acknowledged before the ROUTINE ones around them. */
    assert_int_equal(link_tx_ack(&t, 3, &cookie), 0);
    assert_int_equal(cookie, 1003);
    assert_int_equal(link_tx_ack(&t, 4, &cookie), 0);
    assert_int_equal(t.count, 6);
    assert_int_equal(link_tx_ack(&t, 3, &cookie), LINK_TX_STALE); /* again */
    assert_int_equal(link_tx_ack(&t, 1, &cookie), 0);
    assert_int_equal(t.count, 6);
    assert_int_equal(link_tx_ack(&t, 0, &cookie), 0);
    assert_int_equal(t.count, 4); /* 0 and 1 gone; 2 holds the head */
    assert_int_equal(t.head_csn, 2);
    assert_int_equal(link_tx_ack(&t, 2, &cookie), 0);
    assert_int_equal(t.count, 1); /* the fast path runs over 3 and 4 */
    assert_int_equal(t.head_csn, 5);
    /* Stale, never sent, out of range. */
    assert_int_equal(link_tx_ack(&t, 0, &cookie), LINK_TX_STALE);
    assert_int_equal(link_tx_ack(&t, 9000, &cookie), LINK_TX_STALE);
    assert_int_equal(link_tx_ack(&t, 6, &cookie), SIM_EPARSE);
    assert_int_equal(link_tx_ack(&t, 4000, &cookie), SIM_EPARSE);
    assert_int_equal(link_tx_ack(&t, -1, &cookie), SIM_EPARSE);
    assert_int_equal(link_tx_ack(&t, 10000, &cookie), SIM_EPARSE);
    assert_int_equal(link_tx_ack(&t, 5, &cookie), 0);
    assert_int_equal(cookie, 1005);
    assert_int_equal(t.count, 0);
    link_tx_destroy(&t);
}

static void test_tx_full_window(void **state)
{
    link_tx_t t;
    int       csn;
    uint64_t  cookie;
    (void)state;
    link_tx_init(&t, 3, 50);
    for (int i = 0; i < 3; i++)
        assert_int_equal(link_tx_send(&t, (uint64_t)i, &csn), 0);
    assert_true(link_tx_full(&t));
    assert_int_equal(link_tx_send(&t, 9, &csn), SIM_EFULL);
    assert_int_equal(t.next_csn, 53);
    /* An acknowledgement in the middle does not open the window... */
    assert_int_equal(link_tx_ack(&t, 51, &cookie), 0);
    assert_true(link_tx_full(&t));
    /* ... the head's does. */
    assert_int_equal(link_tx_ack(&t, 50, &cookie), 0);
    assert_false(link_tx_full(&t));
    assert_int_equal(link_tx_send(&t, 9, &csn), 0);
    assert_int_equal(csn, 53);
    link_tx_destroy(&t);

    /* The window is capped below half the numbers. */
    link_tx_init(&t, 100000, 0);
    assert_int_equal(t.window, LINK_WINDOW_MAX);
    for (uint32_t i = 0; i < LINK_WINDOW_MAX; i++)
        assert_int_equal(link_tx_send(&t, i, &csn), 0);
    assert_int_equal(link_tx_send(&t, 0, &csn), SIM_EFULL);
    assert_int_equal(link_tx_ack(&t, LINK_WINDOW_MAX - 1, &cookie), 0);
    assert_int_equal(cookie, LINK_WINDOW_MAX - 1);
    assert_int_equal(link_tx_ack(&t, LINK_WINDOW_MAX, &cookie), SIM_EPARSE);
    link_tx_destroy(&t);
}

static void test_tx_abort_and_release(void **state)
{
    link_tx_t      t;
    int            csn;
    uint64_t       cookie;
    link_tx_item_t it;
    uint32_t       pos = 0;
    (void)state;
    link_tx_init(&t, 8, 10);
    assert_int_equal(link_tx_send(&t, 1, &csn), 0);   /* 10 ROUTINE */
    assert_int_equal(link_tx_abort(&t, 10, &cookie), 0); /* preempted by a FLASH */
    assert_int_equal(cookie, 1);
    assert_int_equal(link_tx_abort(&t, 10, &cookie), LINK_TX_STALE);
    assert_int_equal(link_tx_send(&t, 2, &csn), 0); /* 11 the FLASH */
    assert_int_equal(link_tx_send(&t, 1, &csn), 0); /* 12 the ROUTINE again */
    assert_int_equal(csn, 12);
    /* The peer must not acknowledge an ABORT. */
    assert_int_equal(link_tx_ack(&t, 10, &cookie), SIM_EPARSE);
    /* The ABORT holds the head until a later number is acknowledged. */
    assert_int_equal(link_tx_ack(&t, 12, &cookie), 0);
    assert_int_equal(cookie, 1);
    assert_int_equal(t.head_csn, 11);
    assert_int_equal(t.count, 2);
    assert_true(link_tx_resend_next(&t, &pos, &it));
    assert_int_equal(it.csn, 11);
    assert_false(it.abort);
    assert_false(link_tx_resend_next(&t, &pos, &it));

    /* A repeat asked for by a "gap": the number is settled, the cable comes
     * back to be sent with a new one. */
    assert_int_equal(link_tx_release(&t, 11, &cookie), 0);
    assert_int_equal(cookie, 2);
    assert_int_equal(t.count, 0);
    assert_int_equal(link_tx_release(&t, 11, &cookie), LINK_TX_STALE);
    assert_int_equal(link_tx_release(&t, 13, &cookie), SIM_EPARSE);
    link_tx_destroy(&t);
}

static void test_tx_resume(void **state)
{
    link_tx_t      t;
    int            csn;
    uint64_t       cookie;
    link_tx_item_t it;
    uint32_t       pos = 0;
    int            want_csn[8], n = 0;
    bool           want_abort[8];
    (void)state;

    /* Sent 100..107; 102 aborted; 100 and 101 acknowledged; the connection
     * drops. The peer had received up to 104. */
    link_tx_init(&t, 16, 100);
    for (int i = 0; i < 8; i++)
        assert_int_equal(link_tx_send(&t, 500 + (uint64_t)i, &csn), 0);
    assert_int_equal(link_tx_abort(&t, 102, &cookie), 0);
    assert_int_equal(link_tx_abort(&t, 106, &cookie), 0);
    assert_int_equal(link_tx_ack(&t, 100, &cookie), 0);
    assert_int_equal(link_tx_ack(&t, 101, &cookie), 0);
    assert_int_equal(t.head_csn, 102);

    /* Resent: 103 and 104 (repeats, the peer suppresses and acknowledges),
     * 105 and 107 (new to the peer) and the ABORT of 106. The ABORT of 102
     * is at or before 104: settled. */
    assert_int_equal(link_tx_resume(&t, 104), 5);
    assert_int_equal(t.head_csn, 103);
    while (link_tx_resend_next(&t, &pos, &it)) {
        want_csn[n] = it.csn;
        want_abort[n] = it.abort;
        if (!it.abort)
            assert_int_equal(it.cookie, 500 + (uint64_t)(it.csn - 100));
        n++;
    }
    assert_int_equal(n, 5);
    assert_int_equal(want_csn[0], 103);
    assert_int_equal(want_csn[1], 104);
    assert_int_equal(want_csn[2], 105);
    assert_int_equal(want_csn[3], 106);
    assert_true(want_abort[3]);
    assert_false(want_abort[2]);
    assert_int_equal(want_csn[4], 107);

    /* A peer without history gets everything again. */
    assert_int_equal(link_tx_resume(&t, -1), 5);
    /* A peer claiming numbers never sent settles nothing. */
    assert_int_equal(link_tx_resume(&t, 5000), 5);
    link_tx_destroy(&t);

    /* Nothing in flight: continue after the peer's number, so it sees no gap. */
    link_tx_init(&t, 4, 0);
    assert_int_equal(link_tx_resume(&t, 9999), 0);
    assert_int_equal(link_tx_send(&t, 1, &csn), 0);
    assert_int_equal(csn, 0);
    assert_int_equal(link_tx_ack(&t, 0, &cookie), 0);
    assert_int_equal(link_tx_resume(&t, 41), 0);
    assert_int_equal(link_tx_send(&t, 1, &csn), 0);
    assert_int_equal(csn, 42);
    link_tx_destroy(&t);
}

/* Random operations against a plain model that numbers transmissions with
 * 64-bit sequence numbers instead of a ring of csns: the two must agree on
 * every verdict, cookie, window and resend list, across many wraps of both
 * the ring and the channel. */
enum { M_SENT = 1, M_ACKED, M_ABORT, M_DONE };

typedef struct model {
    uint8_t  *state;
    uint64_t *cookie;
    uint64_t  head, next, cap;
} model_t;

static int model_csn(uint64_t seq, int first)
{
    return (int)((seq + (uint64_t)first) % LINK_CSN_MOD);
}

static void model_pop(model_t *m)
{
    while (m->head < m->next && (m->state[m->head] == M_ACKED || m->state[m->head] == M_DONE))
        m->head++;
}

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return rnd_state >> 8;
}

static void test_tx_against_model(void **state)
{
    const int      first = 9990;
    const uint32_t window = 7;
    link_tx_t      t;
    model_t        m = {0};
    (void)state;
    m.cap = 200000;
    m.state = calloc(m.cap, 1);
    m.cookie = calloc(m.cap, sizeof(uint64_t));
    link_tx_init(&t, window, first);
    for (int step = 0; step < 400000 && m.next + 1 < m.cap; step++) {
        uint32_t op = rnd() % 10;
        uint64_t cookie = 0;
        int      csn, rc, want;
        if (op < 4) {
            rc = link_tx_send(&t, m.next * 3, &csn);
            if (m.next - m.head >= window) {
                assert_int_equal(rc, SIM_EFULL);
                continue;
            }
            assert_int_equal(rc, 0);
            assert_int_equal(csn, model_csn(m.next, first));
            m.state[m.next] = M_SENT;
            m.cookie[m.next] = m.next * 3;
            m.next++;
            continue;
        }
        /* A number in or near the window, or anywhere. */
        uint64_t seq;
        if (rnd() % 8 == 0) {
            csn = (int)(rnd() % LINK_CSN_MOD);
            seq = UINT64_MAX;
            for (uint64_t s2 = m.head; s2 < m.next; s2++)
                if (model_csn(s2, first) == csn)
                    seq = s2;
        } else {
            uint64_t lo = m.head > 3 ? m.head - 3 : 0;
            seq = lo + rnd() % (m.next - lo + 3);
            csn = model_csn(seq, first);
            if (seq >= m.next || seq < m.head)
                seq = UINT64_MAX;
        }
        if (seq == UINT64_MAX) {
            int ahead = link_csn_dist(model_csn(m.next, first), csn) < LINK_CSN_MOD / 2;
            want = ahead ? SIM_EPARSE : LINK_TX_STALE;
        } else if (op < 7) {
            want = m.state[seq] == M_SENT    ? 0
                   : m.state[seq] == M_ABORT ? SIM_EPARSE
                                             : LINK_TX_STALE;
        } else {
            want = m.state[seq] == M_SENT ? 0 : LINK_TX_STALE;
        }
        if (op < 7)
            rc = link_tx_ack(&t, csn, &cookie);
        else if (op < 8)
            rc = link_tx_abort(&t, csn, &cookie);
        else if (op < 9)
            rc = link_tx_release(&t, csn, &cookie);
        else {
            /* A reconnect: the peer says it received up to some number. */
            uint64_t rx = m.head + rnd() % (m.next - m.head + 1);
            uint32_t n = 0, it = 0;
            link_tx_item_t item;
            if (m.next == m.head)
                continue; /* (an empty window would renumber; tested above) */
            if (rx > m.head) {
                for (uint64_t s2 = m.head; s2 < rx; s2++)
                    if (m.state[s2] == M_ABORT)
                        m.state[s2] = M_DONE;
                model_pop(&m);
            }
            for (uint64_t s2 = m.head; s2 < m.next; s2++)
                n += m.state[s2] == M_SENT || m.state[s2] == M_ABORT;
            assert_int_equal(link_tx_resume(&t, model_csn(rx + LINK_CSN_MOD - 1, first)), n);
            for (uint64_t s2 = m.head; s2 < m.next; s2++) {
                if (m.state[s2] != M_SENT && m.state[s2] != M_ABORT)
                    continue;
                assert_true(link_tx_resend_next(&t, &it, &item));
                assert_int_equal(item.csn, model_csn(s2, first));
                assert_int_equal(item.abort, m.state[s2] == M_ABORT);
                if (!item.abort)
                    assert_int_equal(item.cookie, m.cookie[s2]);
            }
            assert_false(link_tx_resend_next(&t, &it, &item));
            continue;
        }
        assert_int_equal(rc, want);
        if (rc != 0)
            continue;
        assert_int_equal(cookie, m.cookie[seq]);
        if (op < 7) {
            m.state[seq] = M_ACKED;
            for (uint64_t s2 = m.head; s2 < seq; s2++)
                if (m.state[s2] == M_ABORT)
                    m.state[s2] = M_DONE;
        } else {
            m.state[seq] = op < 8 ? M_ABORT : M_DONE;
        }
        model_pop(&m);
        assert_int_equal(t.count, m.next - m.head);
        assert_int_equal(t.head_csn, model_csn(m.head, first));
    }
    if (m.next <= 3 * LINK_CSN_MOD) /* the channel must have wrapped several times */
        fail_msg("only %llu numbers sent", (unsigned long long)m.next);
    link_tx_destroy(&t);
    free(m.state);
    free(m.cookie);
}

/* --- receiving side ----------------------------------------------------- */

static void test_rx_continuity(void **state)
{
    link_rx_t      r;
    link_rx_info_t in;
    (void)state;
    link_rx_init(&r, -1);
    assert_int_equal(link_rx_last(&r), -1);
    assert_int_equal(link_rx_check(&r, 9997, &in), LINK_RX_FIRST);
    assert_int_equal(link_rx_check(&r, 9998, &in), LINK_RX_NEXT);
    assert_int_equal(link_rx_check(&r, 9999, &in), LINK_RX_NEXT);
    assert_false(in.wrapped);
    assert_int_equal(link_rx_check(&r, 0, &in), LINK_RX_NEXT);
    assert_true(in.wrapped);
    assert_int_equal(r.wraps, 1);
    assert_int_equal(link_rx_check(&r, 1, &in), LINK_RX_NEXT);
    assert_int_equal(link_rx_last(&r), 1);

    /* 2, 3, 4 missing. */
    assert_int_equal(link_rx_check(&r, 5, &in), LINK_RX_GAP);
    assert_int_equal(in.from, 2);
    assert_int_equal(in.to, 4);
    assert_int_equal(in.missing, 3);
    assert_int_equal(link_rx_last(&r), 5);
    /* A repeat of a number already seen, and of the last one. */
    assert_int_equal(link_rx_check(&r, 3, &in), LINK_RX_REPEAT);
    assert_int_equal(in.missing, 2);
    assert_int_equal(link_rx_check(&r, 5, &in), LINK_RX_REPEAT);
    assert_int_equal(in.missing, 0);
    assert_int_equal(link_rx_check(&r, 9990, &in), LINK_RX_REPEAT); /* behind, across the wrap */
    assert_int_equal(in.missing, 15);
    assert_int_equal(link_rx_last(&r), 5);
    assert_int_equal(link_rx_check(&r, 6, NULL), LINK_RX_NEXT);
    assert_int_equal(r.gaps, 1);
    assert_int_equal(r.missing, 3);
    assert_int_equal(r.repeats, 3);
    assert_int_equal(link_rx_check(&r, 10000, &in), SIM_EPARSE);
    assert_int_equal(link_rx_check(&r, -3, &in), SIM_EPARSE);

    /* A gap across the wrap: 9998, 9999, 0000 missing. */
    link_rx_init(&r, 9997);
    assert_int_equal(link_rx_check(&r, 1, &in), LINK_RX_GAP);
    assert_int_equal(in.from, 9998);
    assert_int_equal(in.to, 0);
    assert_int_equal(in.missing, 3);
    assert_true(in.wrapped);
    char buf[40];
    link_svc_gap_text(buf, sizeof(buf), in.from, in.to);
    assert_string_equal(buf, "GAP CSN 9998-0000 PLS RPT");
}

/* A sender and a receiver across a dropped connection: nothing is lost,
 * the peer sees no gap, and what it had comes back only as repeats. */
static void test_reconnect_scenario(void **state)
{
    link_tx_t      t;
    link_rx_t      r;
    link_rx_info_t in;
    link_tx_item_t it;
    uint64_t       cookie;
    uint32_t       pos = 0;
    int            csn, repeats = 0, next = 0;
    bool           delivered[10] = {false};
    (void)state;
    link_tx_init(&t, 32, 9995);
    link_rx_init(&r, -1);
    for (int i = 0; i < 10; i++)
        assert_int_equal(link_tx_send(&t, (uint64_t)i, &csn), 0);
    /* The receiver got the first six (9995..0000) and acknowledged four. */
    for (int i = 0; i < 6; i++) {
        int v = link_rx_check(&r, link_csn_add(9995, i), &in);
        assert_true(v == LINK_RX_FIRST || v == LINK_RX_NEXT);
        delivered[i] = true;
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(link_tx_ack(&t, link_csn_add(9995, i), &cookie), 0);
    /* Reconnect: the receiver's HELLO says rx = 0000. */
    assert_int_equal(link_rx_last(&r), 0);
    assert_int_equal(link_tx_resume(&t, link_rx_last(&r)), 6);
    while (link_tx_resend_next(&t, &pos, &it)) {
        int v = link_rx_check(&r, it.csn, &in);
        assert_true(v == LINK_RX_NEXT || v == LINK_RX_REPEAT);
        if (v == LINK_RX_REPEAT) {
            repeats++;
            assert_true(delivered[it.cookie]); /* suppressed by the duplicate set */
        } else {
            assert_false(delivered[it.cookie]);
            delivered[it.cookie] = true;
            next++;
        }
    }
    assert_int_equal(repeats, 2);
    assert_int_equal(next, 4);
    for (int i = 0; i < 10; i++)
        assert_true(delivered[i]);
    assert_int_equal(r.gaps, 0);
    link_tx_destroy(&t);
}

/* --- duplicate suppression ------------------------------------------------ */

static link_dupkey_t key_n(int n)
{
    link_dupkey_t k;
    memset(&k, 0, sizeof(k));
    k.origin_ri = sim_span_str("RUCNDT");
    k.serial = n;
    k.section = 1;
    k.dtg = 1178542920;
    k.addressee = sim_span_str("SECSTATE WASHDC");
    return k;
}

static void test_dedup_exact_lru(void **state)
{
    link_dedup_t *d = link_dedup_new(4);
    (void)state;
    for (int i = 1; i <= 4; i++) {
        link_dupkey_t k = key_n(i);
        assert_int_equal(link_dedup_check(d, &k), 0);
    }
    for (int i = 1; i <= 4; i++) {
        link_dupkey_t k = key_n(i);
        assert_true(link_dedup_contains(d, &k));
    }
    assert_int_equal(link_dedup_count(d), 4);
    /* 1 is used again: 2 becomes the least recently used. */
    link_dupkey_t k1 = key_n(1), k2 = key_n(2), k5 = key_n(5), k6 = key_n(6);
    assert_int_equal(link_dedup_check(d, &k1), 1);
    assert_int_equal(link_dedup_check(d, &k5), 0);
    assert_false(link_dedup_contains(d, &k2));
    assert_true(link_dedup_contains(d, &k1));
    assert_int_equal(link_dedup_check(d, &k6), 0); /* forgets 3 */
    link_dupkey_t k3 = key_n(3), k4 = key_n(4);
    assert_false(link_dedup_contains(d, &k3));
    assert_true(link_dedup_contains(d, &k4));
    assert_int_equal(link_dedup_count(d), 4);
    /* A forgotten key is new again. */
    assert_int_equal(link_dedup_check(d, &k2), 0);
    link_dedup_free(d);
}

/* The table grows from a few entries to its capacity (1000, not a power of
 * two) keeping every key, then forgets the least recently used. */
static void test_dedup_grows_to_capacity(void **state)
{
    link_dedup_t *d = link_dedup_new(1000);
    link_dupkey_t k;
    (void)state;
    for (int i = 1; i <= 1000; i++) {
        k = key_n(i);
        assert_int_equal(link_dedup_check(d, &k), 0);
    }
    assert_int_equal(link_dedup_count(d), 1000);
    for (int i = 1; i <= 1000; i++) {
        k = key_n(i);
        assert_true(link_dedup_contains(d, &k));
    }
    k = key_n(1001);
    assert_int_equal(link_dedup_check(d, &k), 0);
    assert_int_equal(link_dedup_count(d), 1000);
    k = key_n(1);
    assert_false(link_dedup_contains(d, &k)); /* the oldest went */
    k = key_n(2);
    assert_int_equal(link_dedup_check(d, &k), 1);
    /* Added without a lookup (known absent): found afterwards. */
    k = key_n(5000);
    assert_false(link_dedup_contains(d, &k));
    link_dedup_add(d, &k);
    assert_true(link_dedup_contains(d, &k));
    assert_int_equal(link_dedup_count(d), 1000);
    link_dedup_free(d);
}

static void test_dedup_fields_distinguish(void **state)
{
    link_dedup_t *d = link_dedup_new(64);
    link_dupkey_t base = key_n(352), k;
    (void)state;
    assert_int_equal(link_dedup_check(d, &base), 0);
    k = base;
    assert_int_equal(link_dedup_check(d, &k), 1);
    k = base;
    k.section = 2;
    assert_int_equal(link_dedup_check(d, &k), 0);
    k = base;
    k.corrected = true; /* a corrected copy is not a repeat of the original */
    assert_int_equal(link_dedup_check(d, &k), 0);
    assert_int_equal(link_dedup_check(d, &k), 1);
    k = base;
    k.dtg += 60;
    assert_int_equal(link_dedup_check(d, &k), 0);
    k = base;
    k.addressee = sim_span_str("AMEMBASSY BELGRADE");
    assert_int_equal(link_dedup_check(d, &k), 0);
    k = base;
    k.origin_ri = sim_span_str("RUCNDTX");
    assert_int_equal(link_dedup_check(d, &k), 0);
    k = base;
    k.serial = -1;
    assert_int_equal(link_dedup_check(d, &k), 0);
    /* Boundaries between fields matter: "RUCNDT" + "X..." != "RUCNDTX" + "...". */
    k = base;
    k.origin_ri = sim_span_str("RUCND");
    k.addressee = sim_span_str("TSECSTATE WASHDC");
    assert_int_equal(link_dedup_check(d, &k), 0);
    /* A key too long for the stack buffer. */
    char long_pla[600];
    memset(long_pla, 'A', sizeof(long_pla));
    k = base;
    k.addressee = sim_span(long_pla, sizeof(long_pla));
    assert_int_equal(link_dedup_check(d, &k), 0);
    assert_int_equal(link_dedup_check(d, &k), 1);
    assert_true(link_dedup_contains(d, &k));
    assert_int_equal(link_dedup_count(d), 9);
    link_dedup_free(d);
}

static void test_dedup_bound_at_scale(void **state)
{
    const uint32_t cap = 1000;
    link_dedup_t  *d = link_dedup_new(cap);
    (void)state;
    for (int i = 0; i < 5000; i++) {
        link_dupkey_t k = key_n(i);
        assert_int_equal(link_dedup_check(d, &k), 0);
    }
    assert_int_equal(link_dedup_count(d), cap);
    for (int i = 0; i < 5000; i++) {
        link_dupkey_t k = key_n(i);
        assert_int_equal(link_dedup_contains(d, &k), i >= 5000 - (int)cap);
    }
    link_dedup_free(d);
}

/* Random checks, lookups and adds against a plain list in most-recently-used
 * order: the table must answer as the list does at every step, across
 * evictions that move entries back in their probe runs, and with long keys
 * (kept outside the entries) among short ones. */
static void test_dedup_matches_a_model(void **state)
{
    enum { CAP = 37, KEYS = 150, STEPS = 20000 };
    link_dedup_t *d = link_dedup_new(CAP);
    int           model[CAP], n = 0;
    uint64_t      rng = 88172645463325252ull;
    char          longname[100];
    (void)state;
    memset(longname, 'L', sizeof(longname));
    for (int step = 0; step < STEPS; step++) {
        link_dupkey_t k;
        int           key, op, at = -1;
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        key = (int)(rng % KEYS);
        op = (int)((rng >> 32) % 3);
        k = key_n(key);
        if (key % 5 == 0)
            k.addressee = sim_span(longname, sizeof(longname));
        for (int i = 0; i < n; i++)
            if (model[i] == key)
                at = i;
        if (op == 0) { /* check: found -> most recent; absent -> added */
            assert_int_equal(link_dedup_check(d, &k), at >= 0);
            if (at < 0)
                at = n < CAP ? n++ : CAP - 1; /* the least recent goes */
            memmove(model + 1, model, (size_t)at * sizeof(*model));
            model[0] = key;
        } else if (op == 1) {
            assert_int_equal(link_dedup_contains(d, &k), at >= 0);
        } else if (at < 0) {
            link_dedup_add(d, &k);
            at = n < CAP ? n++ : CAP - 1;
            memmove(model + 1, model, (size_t)at * sizeof(*model));
            model[0] = key;
        }
        assert_int_equal(link_dedup_count(d), n);
    }
    for (int key = 0; key < KEYS; key++) {
        link_dupkey_t k = key_n(key);
        bool          in = false;
        if (key % 5 == 0)
            k.addressee = sim_span(longname, sizeof(longname));
        for (int i = 0; i < n; i++)
            in |= model[i] == key;
        assert_int_equal(link_dedup_contains(d, &k), in);
    }
    link_dedup_free(d);
}

static void test_dupkey_of_cable(void **state)
{
    cable_t       c;
    link_dupkey_t k;
    (void)state;
    cable_init(&c);
    c.origin_ri = sim_span_str("RUCNDT");
    c.station_serial = 352;
    c.section = 1;
    c.dtg.valid = true;
    c.dtg.year = 2007;
    c.dtg.month = 5;
    c.dtg.day = 7;
    c.dtg.hour = 13;
    c.dtg.minute = 2;
    link_dupkey_of(&k, &c, sim_span_str("SECSTATE WASHDC"));
    assert_true(sim_span_eq_str(k.origin_ri, "RUCNDT"));
    assert_int_equal(k.serial, 352);
    assert_int_equal(k.section, 1);
    assert_int_equal(k.dtg, 1178542920);
    c.dtg.valid = false;
    link_dupkey_of(&k, &c, SIM_SPAN_NULL);
    assert_true(k.dtg == INT64_MIN);
    cable_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tx_wraps),
        cmocka_unit_test(test_tx_acks_out_of_order),
        cmocka_unit_test(test_tx_full_window),
        cmocka_unit_test(test_tx_abort_and_release),
        cmocka_unit_test(test_tx_resume),
        cmocka_unit_test(test_tx_against_model),
        cmocka_unit_test(test_rx_continuity),
        cmocka_unit_test(test_reconnect_scenario),
        cmocka_unit_test(test_dedup_exact_lru),
        cmocka_unit_test(test_dedup_grows_to_capacity),
        cmocka_unit_test(test_dedup_fields_distinguish),
        cmocka_unit_test(test_dedup_bound_at_scale),
        cmocka_unit_test(test_dedup_matches_a_model),
        cmocka_unit_test(test_dupkey_of_cable),
    };
    return cmocka_run_group_tests_name("link_chan", tests, NULL, NULL);
}
