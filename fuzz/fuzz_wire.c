/* fuzz_wire.c: fuzz target for the VOC/1 frame decoder (common/wire.c):
 * what the processor reads from collectors and collectors read back.
 *
 * Input: a sequence of frames, each a 2-byte big-endian length and that
 * many bytes (a short last frame takes what is left). The frames are
 * decoded as a message; a BATCH's item frames are decoded as items, an
 * ACK body is decoded, encoded and decoded again to the same counts, and a
 * NACK or ERROR body is decoded. */
#include "fuzz/fuzz.h"

#include "common/item.h"
#include "common/wire.h"

#include <stdlib.h>
#include <string.h>

#define S_MAX_FRAMES 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    voc_fuzz_quiet();
    return 0;
}

static void s_check_ack(const char *body, size_t len)
{
    voc_wire_ack ack, again;
    voc_err err;
    if (voc_wire_ack_decode(body, len, &ack, &err)) return;
    char *json = voc_wire_ack_encode(&ack);
    if (voc_wire_ack_decode(json, strlen(json), &again, &err)) voc_fuzz_fail(err.msg);
    if (again.items != ack.items || again.inserted != ack.inserted ||
        again.updated != ack.updated || again.duplicates != ack.duplicates ||
        again.rejected_count != ack.rejected_count)
        voc_fuzz_fail("ACK round trip changed the counts");
    voc_wire_ack_clear(&again);
    voc_wire_ack_clear(&ack);
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    voc_frame frames[S_MAX_FRAMES];
    size_t n = 0, at = 0;
    while (at < size && n < S_MAX_FRAMES) {
        size_t len = at + 1 < size ? (size_t)data[at] << 8 | data[at + 1] : 0;
        at += at + 1 < size ? 2 : 1;
        if (len > size - at) len = size - at;
        frames[n++] = (voc_frame){data + at, len};
        at += len;
    }

    voc_wire_msg msg;
    voc_err err;
    if (voc_wire_decode(frames, n, &msg, &err)) return 0;
    switch (msg.type) {
    case VOC_MSG_BATCH:
        for (size_t i = 0; i < msg.item_count; i++) {
            voc_item it;
            if (voc_item_from_json(&it, msg.items[i].data, msg.items[i].len, NULL, NULL, &err) == 0)
                voc_item_clear(&it);
        }
        break;
    case VOC_MSG_ACK:
        s_check_ack(msg.body, msg.body_len);
        break;
    case VOC_MSG_NACK:
    case VOC_MSG_ERROR: {
        char *error = NULL;
        long retry = 0;
        if (voc_wire_error_decode(msg.body, msg.body_len, &error, &retry, &err) == 0) free(error);
        break;
    }
    }
    return 0;
}
