/* test_wire.c: VOC/1 frame encoding and decoding, ACK bodies, and a real
 * DEALER/ROUTER exchange over inproc with the zmq helpers. */
#include "common/wire.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static voc_frame s_f(const char *s)
{
    return (voc_frame){s, strlen(s)};
}

Test(wire, seq_is_big_endian)
{
    unsigned char b[8];
    voc_wire_put_seq(b, 0x0102030405060708ULL);
    const unsigned char want[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    cr_assert_arr_eq(b, want, 8);
    cr_assert_eq(voc_wire_get_seq(b), 0x0102030405060708ULL);
}

Test(wire, decodes_batch)
{
    unsigned char seq[8];
    voc_wire_put_seq(seq, 42);
    voc_frame f[] = {s_f("VOC/1"), s_f("BATCH"), {seq, 8}, s_f("{\"text\":\"a\"}"),
                     s_f("garbage")};
    voc_wire_msg m;
    voc_err err;
    cr_assert_eq(voc_wire_decode(f, 5, &m, &err), 0, "%s", err.msg);
    cr_assert_eq(m.type, VOC_MSG_BATCH);
    cr_assert_eq(m.seq, 42);
    cr_assert_eq(m.item_count, 2);
    cr_assert_eq(m.items[1].len, 7);
    /* An empty batch is legal (a ping that gets an ACK). */
    cr_assert_eq(voc_wire_decode(f, 3, &m, &err), 0);
    cr_assert_eq(m.item_count, 0);
}

Test(wire, rejects_bad_envelopes)
{
    unsigned char seq[8] = {0};
    voc_wire_msg m;
    voc_err err;
    voc_frame v2[] = {s_f("VOC/2"), s_f("BATCH"), {seq, 8}};
    cr_assert_eq(voc_wire_decode(v2, 3, &m, &err), VOC_EPARSE);
    cr_assert(strstr(err.msg, "frame 0") != NULL, "%s", err.msg);
    voc_frame shortseq[] = {s_f("VOC/1"), s_f("BATCH"), {seq, 4}};
    cr_assert_eq(voc_wire_decode(shortseq, 3, &m, &err), VOC_EPARSE);
    cr_assert(strstr(err.msg, "frame 2") != NULL, "%s", err.msg);
    voc_frame type[] = {s_f("VOC/1"), s_f("HELLO"), {seq, 8}};
    cr_assert_eq(voc_wire_decode(type, 3, &m, &err), VOC_EPARSE);
    cr_assert(strstr(err.msg, "frame 1") != NULL, "%s", err.msg);
    cr_assert_eq(voc_wire_decode(type, 2, &m, &err), VOC_EPARSE);
    voc_frame ack[] = {s_f("VOC/1"), s_f("ACK"), {seq, 8}};
    cr_assert_eq(voc_wire_decode(ack, 3, &m, &err), VOC_EPARSE);

    size_t n = VOC_WIRE_MAX_ITEMS + 4;
    voc_frame *big = calloc(n, sizeof *big);
    big[0] = s_f("VOC/1");
    big[1] = s_f("BATCH");
    big[2] = (voc_frame){seq, 8};
    for (size_t i = 3; i < n; i++)
        big[i] = s_f("{}");
    cr_assert_eq(voc_wire_decode(big, n, &m, &err), VOC_ELIMIT);
    cr_assert_eq(voc_wire_decode(big, n - 1, &m, &err), 0);
    free(big);
}

Test(wire, ack_body_round_trip)
{
    voc_wire_ack a = {.items = 5, .inserted = 2, .updated = 1, .duplicates = 1};
    voc_wire_ack_add_reject(&a, 3, NULL, "text: missing");
    char *body = voc_wire_ack_encode(&a);
    cr_assert_str_eq(body, "{\"items\":5,\"inserted\":2,\"updated\":1,\"duplicates\":1,"
                           "\"rejected\":[{\"index\":3,\"uid\":null,\"reason\":\"text: "
                           "missing\"}]}");
    voc_wire_ack b;
    voc_err err;
    cr_assert_eq(voc_wire_ack_decode(body, strlen(body), &b, &err), 0, "%s", err.msg);
    cr_assert_eq(b.items, 5);
    cr_assert_eq(b.inserted, 2);
    cr_assert_eq(b.rejected_count, 1);
    cr_assert_eq(b.rejected[0].index, 3);
    cr_assert_null(b.rejected[0].uid);
    cr_assert_str_eq(b.rejected[0].reason, "text: missing");
    free(body);
    voc_wire_ack_clear(&a);
    voc_wire_ack_clear(&b);
    cr_assert_neq(voc_wire_ack_decode("{\"items\":-1}", 12, &b, &err), 0);
    cr_assert_neq(voc_wire_ack_decode("nope", 4, &b, &err), 0);
}

Test(wire, error_body_retry_is_clamped)
{
    /* A retry_after_ms beyond long's range once converted with undefined
     * behaviour (fuzz_wire). */
    static const struct {
        const char *body;
        long want;
    } cases[] = {
        {"{\"error\":\"x\",\"retry_after_ms\":250}", 250},
        {"{\"error\":\"x\",\"retry_after_ms\":1e300}", VOC_WIRE_MAX_RETRY_MS},
        {"{\"error\":\"x\",\"retry_after_ms\":-1e300}", 0},
        {"{\"error\":\"x\",\"retry_after_ms\":\"9\"}", 0},
        {"{\"error\":\"x\"}", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *error = NULL;
        long retry = -7;
        voc_err err;
        cr_assert_eq(
            voc_wire_error_decode(cases[i].body, strlen(cases[i].body), &error, &retry, &err), 0,
            "%s", err.msg);
        cr_assert_str_eq(error, "x");
        cr_assert_eq(retry, cases[i].want, "%s: %ld", cases[i].body, retry);
        free(error);
    }
}

Test(wire, dealer_router_exchange)
{
    void *ctx = zmq_ctx_new();
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    void *dealer = zmq_socket(ctx, ZMQ_DEALER);
    cr_assert_eq(zmq_bind(router, "inproc://wire-test"), 0);
    cr_assert_eq(zmq_connect(dealer, "inproc://wire-test"), 0);
    unsigned char seq[8];
    voc_wire_put_seq(seq, 7);
    voc_frame out[] = {s_f("VOC/1"), s_f("BATCH"), {seq, 8}, s_f("{\"text\":\"x\"}")};
    voc_err err;
    cr_assert_eq(voc_zmq_send_frames(dealer, out, 4, 0, &err), 0);

    voc_zmsg in = {0};
    cr_assert_eq(voc_zmsg_recv(&in, router, 0, &err), 0, "%s", err.msg);
    cr_assert_eq(in.count, 5); /* routing id + 4 */
    voc_wire_msg m;
    cr_assert_eq(voc_wire_decode(in.frames + 1, in.count - 1, &m, &err), 0);
    cr_assert_eq(m.seq, 7);
    cr_assert_eq(voc_wire_send_reply(router, &in.frames[0], VOC_MSG_ACK, m.seq,
                                     "{\"items\":1,\"inserted\":1,\"updated\":0,\"duplicates\":0,"
                                     "\"rejected\":[]}",
                                     &err),
                 0);
    voc_zmsg reply = {0};
    cr_assert_eq(voc_zmsg_recv(&reply, dealer, 0, &err), 0);
    cr_assert_eq(voc_wire_decode(reply.frames, reply.count, &m, &err), 0, "%s", err.msg);
    cr_assert_eq(m.type, VOC_MSG_ACK);
    cr_assert_eq(m.seq, 7);
    /* Nothing else waiting: DONTWAIT says busy. */
    cr_assert_eq(voc_zmsg_recv(&reply, dealer, ZMQ_DONTWAIT, &err), VOC_EBUSY);

    voc_zmsg_close(&in);
    free(in.parts);
    free(in.frames);
    voc_zmsg_close(&reply);
    free(reply.parts);
    free(reply.frames);
    int zero = 0;
    zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(router);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
}
