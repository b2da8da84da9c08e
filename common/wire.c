/* wire.c: VOC/1 encoding and decoding, and the ZeroMQ multipart helpers
 * (see wire.h and docs/protocol.md). */
#include "common/wire.h"

#include "common/alloc.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static const char *const s_type_names[] = {"", "BATCH", "ACK", "NACK", "ERROR"};

const char *voc_wire_type_name(voc_msg_type t)
{
    return t >= VOC_MSG_BATCH && t <= VOC_MSG_ERROR ? s_type_names[t] : "?";
}

void voc_wire_put_seq(unsigned char out[8], uint64_t seq)
{
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)(seq >> (56 - 8 * i));
}

uint64_t voc_wire_get_seq(const unsigned char in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return v;
}

static int s_frame_is(const voc_frame *f, const char *s)
{
    size_t n = strlen(s);
    return f->len == n && memcmp(f->data, s, n) == 0;
}

int voc_wire_decode(const voc_frame *frames, size_t n, voc_wire_msg *out, voc_err *err)
{
    memset(out, 0, sizeof *out);
    if (n < 3)
        return voc_err_set(err, VOC_EPARSE, "message has %zu frames; VOC/1 needs at least 3", n);
    if (!s_frame_is(&frames[VOC_WIRE_F_VERSION], VOC_WIRE_VERSION))
        return voc_err_set(err, VOC_EPARSE, "frame 0: expected \"" VOC_WIRE_VERSION "\"");
    if (frames[VOC_WIRE_F_SEQ].len != 8)
        return voc_err_set(err, VOC_EPARSE, "frame 2: sequence number must be 8 bytes, got %zu",
                           frames[VOC_WIRE_F_SEQ].len);
    out->seq = voc_wire_get_seq(frames[VOC_WIRE_F_SEQ].data);
    const voc_frame *type = &frames[VOC_WIRE_F_TYPE];
    if (s_frame_is(type, "BATCH")) {
        out->type = VOC_MSG_BATCH;
        if (n - VOC_WIRE_F_ITEMS > VOC_WIRE_MAX_ITEMS)
            return voc_err_set(err, VOC_ELIMIT, "batch of %zu items exceeds the limit of %d",
                               n - VOC_WIRE_F_ITEMS, VOC_WIRE_MAX_ITEMS);
        out->items = frames + VOC_WIRE_F_ITEMS;
        out->item_count = n - VOC_WIRE_F_ITEMS;
        return 0;
    }
    if (s_frame_is(type, "ACK"))
        out->type = VOC_MSG_ACK;
    else if (s_frame_is(type, "NACK"))
        out->type = VOC_MSG_NACK;
    else if (s_frame_is(type, "ERROR"))
        out->type = VOC_MSG_ERROR;
    else
        return voc_err_set(err, VOC_EPARSE, "frame 1: unknown message type (%zu bytes)",
                           type->len);
    if (n != 4)
        return voc_err_set(err, VOC_EPARSE, "%s has %zu frames; expected 4",
                           voc_wire_type_name(out->type), n);
    out->body = frames[VOC_WIRE_F_BODY].data;
    out->body_len = frames[VOC_WIRE_F_BODY].len;
    return 0;
}

void voc_wire_ack_add_reject(voc_wire_ack *ack, uint32_t index, const char *uid,
                             const char *reason)
{
    ack->rejected = voc_realloc(ack->rejected, (ack->rejected_count + 1) * sizeof *ack->rejected);
    ack->rejected[ack->rejected_count++] =
        (voc_wire_reject){index, voc_strdup(uid), voc_strdup(reason)};
}

void voc_wire_ack_clear(voc_wire_ack *ack)
{
    for (size_t i = 0; i < ack->rejected_count; i++) {
        free(ack->rejected[i].uid);
        free(ack->rejected[i].reason);
    }
    free(ack->rejected);
    memset(ack, 0, sizeof *ack);
}

char *voc_wire_ack_encode(const voc_wire_ack *ack)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "items", ack->items);
    cJSON_AddNumberToObject(o, "inserted", ack->inserted);
    cJSON_AddNumberToObject(o, "updated", ack->updated);
    cJSON_AddNumberToObject(o, "duplicates", ack->duplicates);
    cJSON *arr = cJSON_AddArrayToObject(o, "rejected");
    for (size_t i = 0; i < ack->rejected_count; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "index", ack->rejected[i].index);
        if (ack->rejected[i].uid)
            cJSON_AddStringToObject(r, "uid", ack->rejected[i].uid);
        else
            cJSON_AddNullToObject(r, "uid");
        cJSON_AddStringToObject(r, "reason", ack->rejected[i].reason);
        cJSON_AddItemToArray(arr, r);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        abort();
    return s;
}

static int s_get_u32(const cJSON *o, const char *k, uint32_t *out, voc_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 4294967295.0)
        return voc_err_set(err, VOC_EPARSE, "ACK body: '%s' must be a non-negative number", k);
    *out = (uint32_t)v->valuedouble;
    return 0;
}

int voc_wire_ack_decode(const char *body, size_t len, voc_wire_ack *out, voc_err *err)
{
    memset(out, 0, sizeof *out);
    cJSON *o = cJSON_ParseWithLength(body, len);
    int rc = 0;
    if (!cJSON_IsObject(o)) {
        rc = voc_err_set(err, VOC_EPARSE, "ACK body is not a JSON object");
        goto out;
    }
    if ((rc = s_get_u32(o, "items", &out->items, err)) ||
        (rc = s_get_u32(o, "inserted", &out->inserted, err)) ||
        (rc = s_get_u32(o, "updated", &out->updated, err)) ||
        (rc = s_get_u32(o, "duplicates", &out->duplicates, err)))
        goto out;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "rejected");
    if (!cJSON_IsArray(arr)) {
        rc = voc_err_set(err, VOC_EPARSE, "ACK body: 'rejected' must be an array");
        goto out;
    }
    const cJSON *r;
    cJSON_ArrayForEach(r, arr)
    {
        uint32_t index;
        const cJSON *uid = cJSON_GetObjectItemCaseSensitive(r, "uid");
        const cJSON *reason = cJSON_GetObjectItemCaseSensitive(r, "reason");
        if ((rc = s_get_u32(r, "index", &index, err)))
            goto out;
        if (!cJSON_IsString(reason)) {
            rc = voc_err_set(err, VOC_EPARSE, "ACK body: rejected item without a reason");
            goto out;
        }
        voc_wire_ack_add_reject(out, index, cJSON_IsString(uid) ? uid->valuestring : NULL,
                                reason->valuestring);
    }
out:
    cJSON_Delete(o);
    if (rc)
        voc_wire_ack_clear(out);
    return rc;
}

int voc_wire_error_decode(const char *body, size_t len, char **error, long *retry_after_ms,
                          voc_err *err)
{
    *error = NULL;
    cJSON *o = cJSON_ParseWithLength(body, len);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    if (!cJSON_IsString(e)) {
        cJSON_Delete(o);
        return voc_err_set(err, VOC_EPARSE, "error body has no 'error' string");
    }
    *error = voc_strdup(e->valuestring);
    if (retry_after_ms) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "retry_after_ms");
        double ms = cJSON_IsNumber(r) ? r->valuedouble : 0;
        /* Clamped before converting: a double beyond long's range converts
         * with undefined behaviour, and the sender adds it to its clock. */
        *retry_after_ms =
            ms > 0 ? (long)(ms < VOC_WIRE_MAX_RETRY_MS ? ms : VOC_WIRE_MAX_RETRY_MS) : 0;
    }
    cJSON_Delete(o);
    return 0;
}

/* ---- ZeroMQ ------------------------------------------------------------- */

int voc_zmsg_recv(voc_zmsg *m, void *socket, int flags, voc_err *err)
{
    voc_zmsg_close(m);
    for (;;) {
        if (m->count == m->cap) {
            size_t cap = m->cap ? m->cap * 2 : 16;
            m->parts = voc_realloc(m->parts, cap * sizeof(zmq_msg_t));
            m->frames = voc_realloc(m->frames, cap * sizeof(voc_frame));
            m->cap = cap;
        }
        zmq_msg_t *part = (zmq_msg_t *)m->parts + m->count;
        zmq_msg_init(part);
        int rc;
        do {
            rc = zmq_msg_recv(part, socket, m->count ? 0 : flags);
        } while (rc < 0 && errno == EINTR);
        if (rc < 0) {
            int e = errno;
            zmq_msg_close(part);
            voc_zmsg_close(m);
            errno = e;
            if (e == EAGAIN)
                return voc_err_set(err, VOC_EBUSY, "no message waiting");
            return voc_err_set(err, VOC_EZMQ, "receive: %s", zmq_strerror(e));
        }
        m->count++;
        if (!zmq_msg_more(part))
            break;
    }
    for (size_t i = 0; i < m->count; i++) {
        zmq_msg_t *part = (zmq_msg_t *)m->parts + i;
        m->frames[i].data = zmq_msg_data(part);
        m->frames[i].len = zmq_msg_size(part);
    }
    return 0;
}

void voc_zmsg_close(voc_zmsg *m)
{
    for (size_t i = 0; i < m->count; i++)
        zmq_msg_close((zmq_msg_t *)m->parts + i);
    m->count = 0;
}

int voc_zmq_send_frames(void *socket, const voc_frame *frames, size_t n, int flags, voc_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int f = flags | (i + 1 < n ? ZMQ_SNDMORE : 0);
        int rc;
        do {
            rc = zmq_send(socket, frames[i].data, frames[i].len, f);
        } while (rc < 0 && errno == EINTR);
        if (rc < 0) {
            if (errno == EAGAIN && i == 0)
                return voc_err_set(err, VOC_EBUSY, "send would block");
            return voc_err_set(err, VOC_EZMQ, "send: %s", zmq_strerror(errno));
        }
    }
    return 0;
}

int voc_wire_send_reply(void *socket, const voc_frame *routing_id, voc_msg_type type,
                        uint64_t seq, const char *body, voc_err *err)
{
    unsigned char seqb[8];
    voc_wire_put_seq(seqb, seq);
    const char *tn = voc_wire_type_name(type);
    voc_frame f[5];
    size_t n = 0;
    if (routing_id)
        f[n++] = *routing_id;
    f[n++] = (voc_frame){VOC_WIRE_VERSION, strlen(VOC_WIRE_VERSION)};
    f[n++] = (voc_frame){tn, strlen(tn)};
    f[n++] = (voc_frame){seqb, 8};
    f[n++] = (voc_frame){body, strlen(body)};
    return voc_zmq_send_frames(socket, f, n, 0, err);
}
