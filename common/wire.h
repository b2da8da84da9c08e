/* wire.h: the VOC/1 protocol between collectors (ZeroMQ DEALER) and the
 * processor (ZeroMQ ROUTER). docs/protocol.md is the full specification; in
 * short, every message is a multipart ZeroMQ message:
 *
 *   collector -> processor   BATCH
 *     frame 0  "VOC/1"
 *     frame 1  "BATCH"
 *     frame 2  sequence number: 8 bytes, unsigned, big-endian
 *     frame 3.. one item per frame: UTF-8 JSON object (docs/protocol.md)
 *
 *   processor -> collector   ACK | NACK | ERROR
 *     frame 0  "VOC/1"
 *     frame 1  "ACK", "NACK" or "ERROR"
 *     frame 2  the sequence number of the batch answered (8 bytes)
 *     frame 3  UTF-8 JSON body:
 *              ACK   {"items":N,"inserted":I,"updated":U,"duplicates":D,
 *                     "rejected":[{"index":i,"uid":"..."|null,"reason":"..."}]}
 *              NACK  {"error":"...","retry_after_ms":M}  batch not stored; resend
 *              ERROR {"error":"..."}  envelope unusable; do not resend as is
 *
 * (The ROUTER side sees the peer's routing id as an extra first frame; the
 * helpers here strip and add it.) */
#ifndef VOC_WIRE_H
#define VOC_WIRE_H

#include "common/err.h"

#include <stddef.h>
#include <stdint.h>

#define VOC_WIRE_VERSION "VOC/1"
#define VOC_WIRE_MAX_ITEMS 10000          /* items per batch */
#define VOC_WIRE_MAX_FRAME (16u << 20)    /* bytes per frame */
#define VOC_WIRE_MAX_RETRY_MS 3600000     /* a NACK's retry_after_ms is cut to this */

/* Frame indexes, counted without the ROUTER's routing-id frame. */
enum {
    VOC_WIRE_F_VERSION = 0,
    VOC_WIRE_F_TYPE = 1,
    VOC_WIRE_F_SEQ = 2,
    VOC_WIRE_F_ITEMS = 3, /* BATCH: first item frame */
    VOC_WIRE_F_BODY = 3,  /* ACK/NACK/ERROR: the JSON body */
};

typedef enum voc_msg_type {
    VOC_MSG_BATCH = 1,
    VOC_MSG_ACK,
    VOC_MSG_NACK,
    VOC_MSG_ERROR,
} voc_msg_type;

/* A borrowed view of one frame. */
typedef struct voc_frame {
    const void *data;
    size_t len;
} voc_frame;

/* A decoded message: views into the frames it was decoded from. */
typedef struct voc_wire_msg {
    voc_msg_type type;
    uint64_t seq;
    const voc_frame *items; /* BATCH */
    size_t item_count;
    const char *body; /* ACK/NACK/ERROR, not NUL-terminated */
    size_t body_len;
} voc_wire_msg;

/* Decode frames[0..n) (without a routing id). Errors: VOC_EPARSE naming the
 * frame and problem, VOC_ELIMIT for too many items. On error *out->seq holds
 * the sequence number when frame 2 was readable, else 0. */
int voc_wire_decode(const voc_frame *frames, size_t n, voc_wire_msg *out, voc_err *err);

void voc_wire_put_seq(unsigned char out[8], uint64_t seq);
uint64_t voc_wire_get_seq(const unsigned char in[8]);
const char *voc_wire_type_name(voc_msg_type t);

/* One rejected item of a batch. */
typedef struct voc_wire_reject {
    uint32_t index; /* position in the batch, from 0 */
    char *uid;      /* NULL when the item had no readable uid */
    char *reason;
} voc_wire_reject;

typedef struct voc_wire_ack {
    uint32_t items;
    uint32_t inserted;
    uint32_t updated;
    uint32_t duplicates; /* same uid and content already stored */
    voc_wire_reject *rejected;
    size_t rejected_count;
} voc_wire_ack;

/* Encode an ACK body. Caller owns; free with free(). */
char *voc_wire_ack_encode(const voc_wire_ack *ack);
/* Decode an ACK body; on success the caller clears with voc_wire_ack_clear. */
int voc_wire_ack_decode(const char *body, size_t len, voc_wire_ack *out, voc_err *err);
void voc_wire_ack_add_reject(voc_wire_ack *ack, uint32_t index, const char *uid,
                             const char *reason);
void voc_wire_ack_clear(voc_wire_ack *ack);

/* Decode a NACK or ERROR body {"error":..., "retry_after_ms":...}. *error is
 * caller-owned (free()). retry_after_ms may be NULL; it gets 0 when the body
 * has no positive number, else at most VOC_WIRE_MAX_RETRY_MS. */
int voc_wire_error_decode(const char *body, size_t len, char **error, long *retry_after_ms,
                          voc_err *err);

/* ---- ZeroMQ helpers ---------------------------------------------------- */

/* Received multipart message; frames owned by the struct. */
typedef struct voc_zmsg {
    void *parts; /* zmq_msg_t[] */
    voc_frame *frames;
    size_t count;
    size_t cap;
} voc_zmsg;

/* Receive every part of one message. flags as zmq_msg_recv (ZMQ_DONTWAIT).
 * Returns 0, VOC_EBUSY when DONTWAIT and nothing is waiting, VOC_EZMQ
 * (err says why; errno ETERM means the context is shutting down). */
int voc_zmsg_recv(voc_zmsg *m, void *socket, int flags, voc_err *err);
void voc_zmsg_close(voc_zmsg *m); /* frees parts; m can be reused */

/* Send frames[0..n) as one message. Retries EINTR. flags: ZMQ_DONTWAIT or 0. */
int voc_zmq_send_frames(void *socket, const voc_frame *frames, size_t n, int flags,
                        voc_err *err);

/* Send a reply (ACK/NACK/ERROR) with optional routing id first. */
int voc_wire_send_reply(void *socket, const voc_frame *routing_id, voc_msg_type type,
                        uint64_t seq, const char *body, voc_err *err);

#endif
