/* sender.c: the acked sender (see sender.h and docs/protocol.md). */
#include "collectors/sender.h"

#include "common/alloc.h"
#include "common/log.h"
#include "common/wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "common/curve.h"

#define S_MAX_BACKOFF_MS 60000

typedef struct s_batch {
    uint64_t seq;
    voc_outbox_row *rows;
    size_t count, cap;
    size_t bytes;
    int64_t opened_ms; /* when its first row was read (the linger runs from here) */
    bool full;         /* no more rows go in (the next one is too big for it) */
    bool sent;
    int attempts;
    int64_t due_ms; /* when to (re)send */
} s_batch;

struct voc_sender {
    voc_sender_config cfg;
    voc_outbox *ob;
    void *dealer;
    void *monitor;
    s_batch *flight;
    size_t nflight;
    int64_t last_read_id;
    uint64_t next_seq;
    bool outbox_drained; /* last read found nothing */
    int connects;
    int64_t last_reply_ms;
    voc_sender_stats stats;
    voc_sender_reject_fn on_reject;
    void *reject_user;
    voc_zmsg msg;
};

int64_t voc_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int voc_sender_new(voc_sender **out, void *zmq_ctx, voc_outbox *ob, const voc_sender_config *cfg,
                   voc_err *err)
{
    int rc = 0;
    voc_sender *s = voc_calloc(1, sizeof *s);
    s->cfg = *cfg;
    if (!s->cfg.batch_items) s->cfg.batch_items = 500;
    if (s->cfg.batch_items > VOC_WIRE_MAX_ITEMS) s->cfg.batch_items = VOC_WIRE_MAX_ITEMS;
    if (!s->cfg.batch_bytes) s->cfg.batch_bytes = 4u << 20;
    if (!s->cfg.window) s->cfg.window = 8;
    if (s->cfg.ack_timeout_ms <= 0) s->cfg.ack_timeout_ms = 10000;
    s->ob = ob;
    s->next_seq = 1;
    s->flight = voc_calloc(s->cfg.window, sizeof *s->flight);
    *out = NULL;

    s->dealer = zmq_socket(zmq_ctx, ZMQ_DEALER);
    if (!s->dealer) {
        rc = voc_err_set(err, VOC_EZMQ, "dealer socket: %s", zmq_strerror(errno));
        goto out;
    }
    int zero = 0, one = 1;
    /* Unacked data lives in the outbox, so nothing needs to linger; and with
     * IMMEDIATE a send fails fast while no processor is connected instead of
     * queueing into the void. */
    zmq_setsockopt(s->dealer, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s->dealer, ZMQ_IMMEDIATE, &one, sizeof one);
    char mon_ep[64];
    snprintf(mon_ep, sizeof mon_ep, "inproc://voc-sender-monitor-%p", (void *)s);
    if (zmq_socket_monitor(s->dealer, mon_ep, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED) == 0) {
        s->monitor = zmq_socket(zmq_ctx, ZMQ_PAIR);
        zmq_setsockopt(s->monitor, ZMQ_LINGER, &zero, sizeof zero);
        if (zmq_connect(s->monitor, mon_ep) != 0) {
            zmq_close(s->monitor);
            s->monitor = NULL;
        }
    }
    if (cfg->curve_server_key || cfg->curve_secret_key) {
        voc_curve_pair server, mine;
        if (!cfg->curve_server_key || !cfg->curve_secret_key) {
            rc = voc_err_set(err, VOC_EINVAL,
                             "CURVE needs both --curve-server-key and "
                             "--curve-secret-key");
            goto out;
        }
        if ((rc = voc_curve_load(cfg->curve_server_key, 0, &server, err)) ||
            (rc = voc_curve_load(cfg->curve_secret_key, 1, &mine, err)))
            goto out;
        /* A libzmq without CURVE refuses these: never send in plain text. */
        bool ok =
            zmq_setsockopt(s->dealer, ZMQ_CURVE_SERVERKEY, server.public_key, VOC_CURVE_Z85) == 0 &&
            zmq_setsockopt(s->dealer, ZMQ_CURVE_PUBLICKEY, mine.public_key, VOC_CURVE_Z85) == 0 &&
            zmq_setsockopt(s->dealer, ZMQ_CURVE_SECRETKEY, mine.secret_key, VOC_CURVE_Z85) == 0;
        memset(&mine, 0, sizeof mine);
        if (!ok) {
            rc = voc_err_set(err, VOC_EZMQ, "cannot use CURVE: %s (is libzmq built with CURVE?)",
                             zmq_strerror(errno));
            goto out;
        }
    }
    if (zmq_connect(s->dealer, cfg->endpoint) != 0) {
        rc = voc_err_set(err, VOC_EZMQ, "cannot connect to %s: %s", cfg->endpoint,
                         zmq_strerror(errno));
        goto out;
    }
out:
    if (rc) voc_sender_destroy(&s);
    *out = s;
    return rc;
}

void voc_sender_destroy(voc_sender **self_p)
{
    if (!self_p || !*self_p) return;
    voc_sender *s = *self_p;
    for (size_t i = 0; i < s->nflight; i++)
        voc_outbox_rows_free(s->flight[i].rows, s->flight[i].count);
    free(s->flight);
    voc_zmsg_close(&s->msg);
    free(s->msg.parts);
    free(s->msg.frames);
    if (s->dealer) {
        zmq_socket_monitor(s->dealer, NULL, 0);
        zmq_close(s->dealer);
    }
    if (s->monitor) zmq_close(s->monitor);
    free(s);
    *self_p = NULL;
}

void voc_sender_on_reject(voc_sender *s, voc_sender_reject_fn fn, void *user)
{
    s->on_reject = fn;
    s->reject_user = user;
}

bool voc_sender_idle(voc_sender *s)
{
    if (s->nflight) return false;
    voc_outbox_row *rows;
    size_t n = 0;
    voc_err e;
    if (voc_outbox_read(s->ob, s->last_read_id, 1, 1, &rows, &n, &e)) return false;
    voc_outbox_rows_free(rows, n);
    return n == 0;
}

size_t voc_sender_in_flight(const voc_sender *s)
{
    return s->nflight;
}

int64_t voc_sender_last_reply_ms(const voc_sender *s)
{
    return s->last_reply_ms;
}

const voc_sender_stats *voc_sender_get_stats(const voc_sender *s)
{
    return &s->stats;
}

/* A batch still taking rows: not sent, not full. */
static bool s_open(const voc_sender *s, const s_batch *b)
{
    return !b->sent && !b->full && b->count < s->cfg.batch_items && b->bytes < s->cfg.batch_bytes;
}

/* An open batch waiting for more rows (false without a linger). */
static bool s_lingering(const voc_sender *s, const s_batch *b, int64_t now)
{
    return s->cfg.linger_ms > 0 && s_open(s, b) && now - b->opened_ms < s->cfg.linger_ms;
}

/* Read the outbox into the window: first into the last batch while it is
 * open (with a linger), then into new batches while the window has room. */
static int s_fill_window(voc_sender *s, int64_t now, voc_err *err)
{
    for (;;) {
        s_batch *b = s->nflight ? &s->flight[s->nflight - 1] : NULL;
        if (!b || s->cfg.linger_ms <= 0 || !s_open(s, b)) {
            if (s->nflight >= s->cfg.window) break;
            b = NULL;
        }
        size_t room = b ? s->cfg.batch_items - b->count : s->cfg.batch_items;
        size_t byte_room = b ? s->cfg.batch_bytes - b->bytes : s->cfg.batch_bytes;
        voc_outbox_row *rows = NULL;
        size_t n = 0;
        int rc = voc_outbox_read(s->ob, s->last_read_id, room, byte_room, &rows, &n, err);
        if (rc) return rc;
        if (n == 0) break;
        if (b && rows[0].len > byte_room) {
            /* A read returns at least one row: this one opens the next batch. */
            voc_outbox_rows_free(rows, n);
            b->full = true;
            continue;
        }
        if (!b) {
            b = &s->flight[s->nflight++];
            memset(b, 0, sizeof *b);
            b->seq = s->next_seq++;
            b->opened_ms = now;
        }
        voc_grow((void **)&b->rows, &b->cap, b->count + n, sizeof *b->rows);
        memcpy(b->rows + b->count, rows, n * sizeof *rows);
        b->count += n;
        for (size_t i = 0; i < n; i++)
            b->bytes += rows[i].len;
        s->last_read_id = rows[n - 1].id;
        free(rows); /* the rows' contents moved into the batch */
    }
    return 0;
}

static int s_send(voc_sender *s, s_batch *b, int64_t now, voc_err *err)
{
    unsigned char seq[8];
    voc_wire_put_seq(seq, b->seq);
    voc_frame *f = voc_malloc((b->count + VOC_WIRE_F_ITEMS) * sizeof *f);
    f[VOC_WIRE_F_VERSION] = (voc_frame){VOC_WIRE_VERSION, strlen(VOC_WIRE_VERSION)};
    f[VOC_WIRE_F_TYPE] = (voc_frame){"BATCH", 5};
    f[VOC_WIRE_F_SEQ] = (voc_frame){seq, 8};
    for (size_t i = 0; i < b->count; i++)
        f[VOC_WIRE_F_ITEMS + i] = (voc_frame){b->rows[i].payload, b->rows[i].len};
    int rc = voc_zmq_send_frames(s->dealer, f, b->count + VOC_WIRE_F_ITEMS, ZMQ_DONTWAIT, err);
    free(f);
    if (rc == VOC_EBUSY) return rc; /* not connected yet (IMMEDIATE): try again later */
    if (rc) return rc;
    if (b->sent) {
        s->stats.batches_resent++;
        VOC_LOG_INFO("sender", "resent batch seq=%llu items=%zu attempt=%d",
                     (unsigned long long)b->seq, b->count, b->attempts + 1);
    } else {
        s->stats.batches_sent++;
        s->stats.items_sent += b->count;
    }
    b->sent = true;
    int64_t backoff = (int64_t)s->cfg.ack_timeout_ms << (b->attempts < 6 ? b->attempts : 6);
    if (backoff > S_MAX_BACKOFF_MS) backoff = S_MAX_BACKOFF_MS;
    b->attempts++;
    b->due_ms = now + backoff;
    return 0;
}

static s_batch *s_find(voc_sender *s, uint64_t seq)
{
    for (size_t i = 0; i < s->nflight; i++)
        if (s->flight[i].seq == seq) return &s->flight[i];
    return NULL;
}

static void s_remove(voc_sender *s, s_batch *b)
{
    voc_outbox_rows_free(b->rows, b->count);
    size_t i = (size_t)(b - s->flight);
    memmove(&s->flight[i], &s->flight[i + 1], (s->nflight - i - 1) * sizeof *b);
    s->nflight--;
}

static int s_on_ack(voc_sender *s, s_batch *b, const voc_wire_msg *m, voc_err *err)
{
    voc_wire_ack ack;
    int rc = voc_wire_ack_decode(m->body, m->body_len, &ack, err);
    if (rc) return rc;
    for (size_t i = 0; i < ack.rejected_count; i++) {
        const voc_wire_reject *r = &ack.rejected[i];
        const char *origin = r->index < b->count ? b->rows[r->index].origin : NULL;
        if (s->on_reject) s->on_reject(s->reject_user, origin, r->uid, r->reason);
    }
    s->stats.items_acked += ack.items;
    s->stats.inserted += ack.inserted;
    s->stats.updated += ack.updated;
    s->stats.duplicates += ack.duplicates;
    s->stats.rejected += ack.rejected_count;
    voc_wire_ack_clear(&ack);
    if ((rc = voc_outbox_delete(s->ob, b->rows[0].id, b->rows[b->count - 1].id, err))) return rc;
    VOC_LOG_DEBUG("sender", "acked seq=%llu items=%zu", (unsigned long long)b->seq, b->count);
    s_remove(s, b);
    return 0;
}

static int s_handle_reply(voc_sender *s, int64_t now, voc_err *err)
{
    voc_wire_msg m;
    voc_err why;
    if (voc_wire_decode(s->msg.frames, s->msg.count, &m, &why)) {
        VOC_LOG_WARN("sender", "ignoring malformed reply: %s", why.msg);
        return 0;
    }
    s_batch *b = s_find(s, m.seq);
    if (!b) return 0; /* a late reply to a batch already acked */
    s->last_reply_ms = now;
    switch (m.type) {
    case VOC_MSG_ACK:
        return s_on_ack(s, b, &m, err);
    case VOC_MSG_NACK: {
        char *msg = NULL;
        long retry = 0;
        voc_wire_error_decode(m.body, m.body_len, &msg, &retry, &why);
        if (retry <= 0) retry = 1000;
        VOC_LOG_WARN("sender", "processor could not store batch seq=%llu, retrying in %ld ms: %s",
                     (unsigned long long)b->seq, retry, msg ? msg : "?");
        free(msg);
        s->stats.nacks++;
        b->due_ms = now + retry;
        return 0;
    }
    case VOC_MSG_ERROR: {
        char *msg = NULL;
        voc_wire_error_decode(m.body, m.body_len, &msg, NULL, &why);
        int rc = voc_err_set(err, VOC_EPARSE, "processor refused batch seq=%llu: %s",
                             (unsigned long long)b->seq, msg ? msg : "?");
        free(msg);
        return rc;
    }
    default:
        return 0;
    }
}

static void s_handle_monitor(voc_sender *s)
{
    voc_zmsg ev = {0};
    voc_err e;
    while (voc_zmsg_recv(&ev, s->monitor, ZMQ_DONTWAIT, &e) == 0) {
        if (ev.count >= 1 && ev.frames[0].len >= 2) {
            const unsigned char *d = ev.frames[0].data;
            uint16_t event = (uint16_t)(d[0] | (d[1] << 8)); /* host order, little-endian */
            if (event == ZMQ_EVENT_CONNECTED) {
                if (s->connects++ > 0) {
                    /* Reconnected: whatever was in flight may be lost. */
                    VOC_LOG_INFO("sender", "reconnected; resending %zu batches in flight",
                                 s->nflight);
                    for (size_t i = 0; i < s->nflight; i++)
                        s->flight[i].due_ms = 0;
                }
            } else if (event == ZMQ_EVENT_DISCONNECTED) {
                VOC_LOG_INFO("sender", "disconnected from %s", s->cfg.endpoint);
            }
        }
    }
    voc_zmsg_close(&ev);
    free(ev.parts);
    free(ev.frames);
}

int voc_sender_pump(voc_sender *s, int timeout_ms, voc_err *err)
{
    int rc;
    int64_t now = voc_monotonic_ms();
    if ((rc = s_fill_window(s, now, err))) return rc;
    int64_t next_due = now + timeout_ms;
    for (size_t i = 0; i < s->nflight; i++) {
        s_batch *b = &s->flight[i];
        if (s_lingering(s, b, now)) {
            if (b->opened_ms + s->cfg.linger_ms < next_due)
                next_due = b->opened_ms + s->cfg.linger_ms;
            continue;
        }
        if (!b->sent || b->due_ms <= now) {
            rc = s_send(s, b, now, err);
            if (rc == VOC_EBUSY) {
                /* Not connected: retry soon; the monitor wakes us on connect. */
                if (now + 100 < next_due) next_due = now + 100;
                break;
            }
            if (rc) return rc;
        }
        if (b->sent && b->due_ms < next_due) next_due = b->due_ms;
    }
    long wait = (long)(next_due - now);
    if (wait < 0) wait = 0;
    zmq_pollitem_t items[2] = {{s->dealer, 0, ZMQ_POLLIN, 0}, {s->monitor, 0, ZMQ_POLLIN, 0}};
    int n = zmq_poll(items, s->monitor ? 2 : 1, wait);
    if (n < 0) {
        if (errno == EINTR) return 0;
        return voc_err_set(err, VOC_EZMQ, "poll: %s", zmq_strerror(errno));
    }
    if (s->monitor && (items[1].revents & ZMQ_POLLIN)) s_handle_monitor(s);
    if (items[0].revents & ZMQ_POLLIN) {
        for (;;) {
            rc = voc_zmsg_recv(&s->msg, s->dealer, ZMQ_DONTWAIT, err);
            if (rc == VOC_EBUSY) break;
            if (rc) return rc;
            rc = s_handle_reply(s, voc_monotonic_ms(), err);
            voc_zmsg_close(&s->msg);
            if (rc) return rc;
        }
    }
    return 0;
}

void *voc_sender_socket(voc_sender *s)
{
    return s->dealer;
}
