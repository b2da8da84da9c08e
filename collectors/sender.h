/* sender.h: the acked sender. It reads the outbox in order, sends numbered
 * VOC/1 batches over a DEALER socket, keeps up to `window` batches in
 * flight, and deletes a batch's rows from the outbox only when the processor
 * ACKs it. A batch is resent when its ACK does not come within the timeout
 * (backing off), when the processor NACKs it (after the delay it asks for),
 * and when the connection is re-established. The processor stores a resent
 * batch once (uids are idempotent), so resending is always safe.
 *
 * With a linger, a batch that is not full yet waits up to that long for
 * more rows before it goes out: a trickle of webhooks then reaches the
 * processor as a few big batches (one transaction each) rather than many
 * small ones. */
#ifndef VOC_SENDER_H
#define VOC_SENDER_H

#include "collectors/outbox.h"
#include "common/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct voc_sender voc_sender;

typedef struct voc_sender_config {
    const char *endpoint;
    size_t batch_items;           /* default 500 */
    size_t batch_bytes;           /* default 4 MiB */
    size_t window;                /* batches in flight; default 8 */
    int ack_timeout_ms;           /* default 10000; doubles per resend up to 60 s */
    int linger_ms;                /* wait for a batch to fill; default 0: send at once */
    const char *curve_server_key; /* key file with the processor's public key, or NULL */
    const char *curve_secret_key; /* our key pair file (voc keygen), with the above */
} voc_sender_config;

typedef struct voc_sender_stats {
    uint64_t batches_sent;
    uint64_t batches_resent;
    uint64_t items_sent; /* first sends only */
    uint64_t items_acked;
    uint64_t inserted;
    uint64_t updated;
    uint64_t duplicates;
    uint64_t rejected;
    uint64_t nacks;
} voc_sender_stats;

/* Called once per item the processor rejected. origin is the outbox row's
 * origin (may be NULL). */
typedef void (*voc_sender_reject_fn)(void *user, const char *origin, const char *uid,
                                     const char *reason);

/* zmq_ctx and ob are borrowed. Caller owns *out; voc_sender_destroy. */
int voc_sender_new(voc_sender **out, void *zmq_ctx, voc_outbox *ob, const voc_sender_config *cfg,
                   voc_err *err);
void voc_sender_destroy(voc_sender **self_p);
void voc_sender_on_reject(voc_sender *s, voc_sender_reject_fn fn, void *user);

/* Do one round: fill the window from the outbox, send what is due, and wait
 * up to timeout_ms for replies. Errors: VOC_EZMQ, VOC_EDB (outbox), VOC_EPARSE
 * (the processor answered ERROR: a protocol fault that resending won't fix). */
int voc_sender_pump(voc_sender *s, int timeout_ms, voc_err *err);

/* The DEALER socket, for a caller's own zmq_poll between pumps (the same
 * thread only). Borrowed. */
void *voc_sender_socket(voc_sender *s);

/* True when nothing is in flight and the outbox has nothing unread. */
bool voc_sender_idle(voc_sender *s);
size_t voc_sender_in_flight(const voc_sender *s);
/* Monotonic ms of the last ACK or NACK (0: none yet): a stall detector. */
int64_t voc_sender_last_reply_ms(const voc_sender *s);
const voc_sender_stats *voc_sender_get_stats(const voc_sender *s);

/* Monotonic clock in ms, shared by collectors for deadlines. */
int64_t voc_monotonic_ms(void);

#endif
