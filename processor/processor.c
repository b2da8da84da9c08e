/* processor.c: the voc-processor service loop (see processor.h).
 *
 * Group commit: after one batch arrives, every batch already waiting on the
 * socket (up to max_group_items) joins the same transaction. With
 * synchronous=FULL a commit costs an fsync, so grouping is what keeps
 * durable acks cheap under load, while a lone batch is still acked at once. */
#include "processor/processor.h"

#include "common/alloc.h"
#include "common/log.h"
#include "common/vtime.h"
#include "common/wire.h"
#include "processor/pipeline.h"
#include "processor/rules.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/curve.h"

#define S_MAX_GROUP_BATCHES 64

struct voc_processor {
    voc_processor_config cfg;
    void *router;
    void *zap; /* ZAP handler (REP on inproc://zeromq.zap.01) when serving CURVE */
    char (*allowed)[VOC_CURVE_Z85];
    size_t allowed_count;
    uint64_t refused;
    void *pub;
    voc_store *store;
    voc_rules *rules;
    voc_pipeline *pipeline;
    int64_t rule_set_id;
    voc_processor_stats stats;
    voc_processor_stats last_summary;
    voc_zmsg pending[S_MAX_GROUP_BATCHES];
    voc_wire_ack acks[S_MAX_GROUP_BATCHES];
    uint64_t seqs[S_MAX_GROUP_BATCHES];
    size_t npending;
    char **pub_queue; /* tagged items of the open transaction, for PUB */
    size_t pub_count;
    size_t pub_cap;
};

static void s_publish_queue(voc_processor *p, bool commit);

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int s_set_int(void *sock, int opt, int val)
{
    return zmq_setsockopt(sock, opt, &val, sizeof val);
}

/* Serve CURVE with our secret key, and answer ZAP requests ourselves: a
 * CURVE server without a ZAP handler would accept any client key. The ZAP
 * socket is bound before the router binds, so no handshake can slip past. */
static int s_setup_curve(voc_processor *p, void *zmq_ctx, voc_err *err)
{
    voc_curve_pair k;
    int rc;
    if (!p->cfg.allow_keys_dir)
        return voc_err_set(err, VOC_EINVAL,
                           "--curve-secret-key needs --allow-keys DIR (the "
                           "public keys of the collectors to accept)");
    if ((rc = voc_curve_load(p->cfg.curve_secret_key, 1, &k, err)) ||
        (rc = voc_curve_load_dir(p->cfg.allow_keys_dir, &p->allowed, &p->allowed_count, err)))
        return rc;
    p->zap = zmq_socket(zmq_ctx, ZMQ_REP);
    if (!p->zap || zmq_bind(p->zap, "inproc://zeromq.zap.01") != 0) {
        memset(&k, 0, sizeof k);
        return voc_err_set(err, VOC_EZMQ, "ZAP handler: %s", zmq_strerror(errno));
    }
    s_set_int(p->zap, ZMQ_LINGER, 0);
    s_set_int(p->router, ZMQ_CURVE_SERVER, 1);
    zmq_setsockopt(p->router, ZMQ_CURVE_SECRETKEY, k.secret_key, VOC_CURVE_Z85);
    zmq_setsockopt(p->router, ZMQ_ZAP_DOMAIN, "voc", 3);
    memset(&k, 0, sizeof k);
    VOC_LOG_INFO("processor", "CURVE on, %zu client keys allowed", p->allowed_count);
    return 0;
}

/* One ZAP request (RFC 27): version, request id, domain, address, identity,
 * mechanism, credentials. Allow CURVE clients whose key is in the list. */
static void s_zap(voc_processor *p)
{
    zmq_msg_t f[8];
    int n = 0, more = 1;
    while (more && n < 8) {
        zmq_msg_init(&f[n]);
        if (zmq_msg_recv(&f[n], p->zap, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&f[n]);
            break;
        }
        more = zmq_msg_more(&f[n]);
        n++;
    }
    while (more) { /* drain anything beyond what we read */
        zmq_msg_t x;
        zmq_msg_init(&x);
        if (zmq_msg_recv(&x, p->zap, 0) < 0) {
            zmq_msg_close(&x);
            break;
        }
        more = zmq_msg_more(&x);
        zmq_msg_close(&x);
    }
    bool ok = false;
    char key[VOC_CURVE_Z85] = "?", addr[64] = "?";
    if (n >= 7 && zmq_msg_size(&f[5]) == 5 && memcmp(zmq_msg_data(&f[5]), "CURVE", 5) == 0 &&
        zmq_msg_size(&f[6]) == 32) {
        zmq_z85_encode(key, zmq_msg_data(&f[6]), 32);
        for (size_t i = 0; i < p->allowed_count && !ok; i++)
            ok = strcmp(key, p->allowed[i]) == 0;
    }
    if (n >= 4)
        snprintf(addr, sizeof addr, "%.*s", (int)zmq_msg_size(&f[3]),
                 (const char *)zmq_msg_data(&f[3]));
    if (!ok) {
        p->refused++;
        VOC_LOG_WARN("processor", "refused client address=%s key=%s reason=\"key not allowed\"",
                     addr, key);
    }
    if (n >= 2) {
        const char *code = ok ? "200" : "400", *text = ok ? "OK" : "key not allowed";
        zmq_send(p->zap, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(p->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
        zmq_send(p->zap, code, 3, ZMQ_SNDMORE);
        zmq_send(p->zap, text, strlen(text), ZMQ_SNDMORE);
        zmq_send(p->zap, ok ? key : "", ok ? strlen(key) : 0, ZMQ_SNDMORE);
        zmq_send(p->zap, "", 0, 0);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

int voc_processor_new(voc_processor **out, void *zmq_ctx, const voc_processor_config *cfg,
                      voc_err *err)
{
    int rc = 0;
    voc_processor *p = voc_calloc(1, sizeof *p);
    p->cfg = *cfg;
    if (p->cfg.max_group_items <= 0) p->cfg.max_group_items = 20000;
    if (p->cfg.retry_after_ms <= 0) p->cfg.retry_after_ms = 1000;
    *out = NULL;

    if ((rc = voc_store_open(&p->store, cfg->db_path, 0, err))) goto out;
    if (cfg->rules_path) {
        if ((rc = voc_rules_load(&p->rules, cfg->rules_path, err))) goto out;
        if ((rc = voc_store_rule_set(p->store, voc_rules_hash(p->rules), voc_rules_name(p->rules),
                                     voc_rules_body(p->rules), &p->rule_set_id, err)))
            goto out;
        VOC_LOG_INFO("processor", "rules loaded name=%s themes=%zu version=%lld hash=%.12s",
                     voc_rules_name(p->rules), voc_rules_theme_count(p->rules),
                     (long long)p->rule_set_id, voc_rules_hash(p->rules));
    } else {
        VOC_LOG_WARN("processor", "no --rules given: items are stored without themes");
    }
    if ((rc = voc_pipeline_new(&p->pipeline, p->rules, err))) goto out;
    voc_pipeline_keep_pii(p->pipeline, p->cfg.keep_pii);

    p->router = zmq_socket(zmq_ctx, ZMQ_ROUTER);
    if (!p->router) {
        rc = voc_err_set(err, VOC_EZMQ, "router socket: %s", zmq_strerror(errno));
        goto out;
    }
    int64_t maxmsg = VOC_WIRE_MAX_FRAME;
    zmq_setsockopt(p->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    if (cfg->curve_secret_key && (rc = s_setup_curve(p, zmq_ctx, err))) goto out;
    s_set_int(p->router, ZMQ_LINGER, 2000);
    s_set_int(p->router, ZMQ_RCVHWM, 1000);
    for (size_t i = 0; cfg->listen && cfg->listen[i]; i++) {
        if (zmq_bind(p->router, cfg->listen[i]) != 0) {
            rc = voc_err_set(err, VOC_EZMQ, "cannot listen on %s: %s", cfg->listen[i],
                             zmq_strerror(errno));
            goto out;
        }
        VOC_LOG_INFO("processor", "listening endpoint=%s", cfg->listen[i]);
    }
    if (cfg->pub_endpoint) {
        p->pub = zmq_socket(zmq_ctx, ZMQ_PUB);
        if (!p->pub) {
            rc = voc_err_set(err, VOC_EZMQ, "pub socket: %s", zmq_strerror(errno));
            goto out;
        }
        s_set_int(p->pub, ZMQ_LINGER, 0);
        s_set_int(p->pub, ZMQ_SNDHWM, 10000);
        if (zmq_bind(p->pub, cfg->pub_endpoint) != 0) {
            rc = voc_err_set(err, VOC_EZMQ, "cannot publish on %s: %s", cfg->pub_endpoint,
                             zmq_strerror(errno));
            goto out;
        }
    }
out:
    if (rc) voc_processor_destroy(&p);
    *out = p;
    return rc;
}

void voc_processor_destroy(voc_processor **self_p)
{
    if (!self_p || !*self_p) return;
    voc_processor *p = *self_p;
    for (size_t i = 0; i < S_MAX_GROUP_BATCHES; i++) {
        voc_zmsg_close(&p->pending[i]);
        free(p->pending[i].parts);
        free(p->pending[i].frames);
        voc_wire_ack_clear(&p->acks[i]);
    }
    if (p->router) zmq_close(p->router);
    if (p->zap) zmq_close(p->zap);
    free(p->allowed);
    if (p->pub) zmq_close(p->pub);
    s_publish_queue(p, false);
    free(p->pub_queue);
    voc_pipeline_destroy(&p->pipeline);
    voc_rules_destroy(&p->rules);
    voc_store_destroy(&p->store);
    free(p);
    *self_p = NULL;
}

const voc_processor_stats *voc_processor_get_stats(const voc_processor *p)
{
    return &p->stats;
}

/* Send (commit == true) or drop the items queued for PUB. PUB may drop under
 * load; the store never does. */
static void s_publish_queue(voc_processor *p, bool commit)
{
    for (size_t i = 0; i < p->pub_count; i++) {
        if (commit) {
            voc_frame f[2] = {{"item", 4}, {p->pub_queue[i], strlen(p->pub_queue[i])}};
            voc_err e;
            (void)voc_zmq_send_frames(p->pub, f, 2, ZMQ_DONTWAIT, &e);
        }
        free(p->pub_queue[i]);
    }
    p->pub_count = 0;
}

/* Decode, analyse and store one item of a batch; rejects go to the
 * dead-letter table and the ACK. Returns non-zero only for store failures,
 * which abort the whole transaction. */
static int s_handle_item(voc_processor *p, const voc_frame *f, uint32_t index, voc_wire_ack *ack,
                         voc_err *err)
{
    voc_item it;
    voc_err why;
    int rc = voc_item_from_json(&it, f->data, f->len, &p->cfg.limits, NULL, &why);
    if (rc == 0) rc = voc_pipeline_run(p->pipeline, &it, &why);
    if (rc) {
        VOC_LOG_DEBUG("processor", "rejected index=%u reason=\"%s\"", index, why.msg);
        voc_wire_ack_add_reject(ack, index, it.uid, why.msg);
        rc = voc_store_put_dead_letter(p->store, it.source, it.uid, why.msg, f->data, f->len, err);
        voc_item_clear(&it);
        return rc;
    }
    voc_put_result res;
    rc = voc_store_put_item(p->store, &it, p->rule_set_id, &res, err);
    if (rc == 0 && p->pub && res != VOC_PUT_DUPLICATE) {
        voc_grow((void **)&p->pub_queue, &p->pub_cap, p->pub_count + 1, sizeof *p->pub_queue);
        p->pub_queue[p->pub_count++] = voc_item_to_json(&it, VOC_ITEM_JSON_ANALYSIS);
    }
    if (rc == 0) {
        if (res == VOC_PUT_INSERTED)
            ack->inserted++;
        else if (res == VOC_PUT_UPDATED)
            ack->updated++;
        else
            ack->duplicates++;
    }
    voc_item_clear(&it);
    return rc;
}

static void s_reply_error(voc_processor *p, const voc_frame *rid, voc_msg_type type, uint64_t seq,
                          const char *msg, int retry_ms)
{
    char *body;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", msg);
    if (retry_ms > 0) cJSON_AddNumberToObject(o, "retry_after_ms", retry_ms);
    body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    voc_err e;
    if (voc_wire_send_reply(p->router, rid, type, seq, body ? body : "{}", &e))
        VOC_LOG_WARN("processor", "reply failed: %s", e.msg);
    free(body);
}

/* Store every pending batch in one transaction, then answer each. */
static int s_flush(voc_processor *p)
{
    int64_t t0 = s_now_ms();
    voc_err err;
    int rc = voc_store_begin(p->store, &err);
    for (size_t b = 0; rc == 0 && b < p->npending; b++) {
        voc_zmsg *m = &p->pending[b];
        voc_wire_ack *ack = &p->acks[b];
        voc_wire_ack_clear(ack);
        ack->items = (uint32_t)(m->count - 1 - VOC_WIRE_F_ITEMS);
        for (uint32_t i = 0; rc == 0 && i < ack->items; i++)
            rc = s_handle_item(p, &m->frames[1 + VOC_WIRE_F_ITEMS + i], i, ack, &err);
    }
    if (rc == 0)
        rc = voc_store_commit(p->store, &err);
    else
        voc_store_rollback(p->store);

    if (rc) {
        VOC_LOG_ERROR("processor", "transaction failed, batches not acked: %s batches=%zu", err.msg,
                      p->npending);
        for (size_t b = 0; b < p->npending; b++) {
            s_reply_error(p, &p->pending[b].frames[0], VOC_MSG_NACK, p->seqs[b], err.msg,
                          p->cfg.retry_after_ms);
            p->stats.nacked++;
        }
    } else {
        p->stats.transactions++;
        for (size_t b = 0; b < p->npending; b++) {
            voc_wire_ack *ack = &p->acks[b];
            char *body = voc_wire_ack_encode(ack);
            voc_err e;
            if (voc_wire_send_reply(p->router, &p->pending[b].frames[0], VOC_MSG_ACK, p->seqs[b],
                                    body, &e))
                VOC_LOG_WARN("processor", "ack failed seq=%llu: %s", (unsigned long long)p->seqs[b],
                             e.msg);
            free(body);
            p->stats.batches++;
            p->stats.items += ack->items;
            p->stats.inserted += ack->inserted;
            p->stats.updated += ack->updated;
            p->stats.duplicates += ack->duplicates;
            p->stats.rejected += ack->rejected_count;
            VOC_LOG_DEBUG("processor",
                          "batch stored seq=%llu items=%u inserted=%u updated=%u duplicates=%u "
                          "rejected=%zu ms=%lld",
                          (unsigned long long)p->seqs[b], ack->items, ack->inserted, ack->updated,
                          ack->duplicates, ack->rejected_count, (long long)(s_now_ms() - t0));
        }
    }
    s_publish_queue(p, rc == 0);
    for (size_t b = 0; b < p->npending; b++) {
        voc_zmsg_close(&p->pending[b]);
        voc_wire_ack_clear(&p->acks[b]);
    }
    p->npending = 0;
    return 0;
}

/* Receive one message into the pending group; answer malformed envelopes
 * at once. Returns VOC_EBUSY when nothing is waiting. */
static int s_receive(voc_processor *p, int flags, size_t *group_items, voc_err *err)
{
    voc_zmsg *m = &p->pending[p->npending];
    int rc = voc_zmsg_recv(m, p->router, flags, err);
    if (rc) return rc;
    voc_wire_msg msg;
    voc_err why;
    if (m->count < 2) {
        voc_zmsg_close(m);
        return 0;
    }
    rc = voc_wire_decode(m->frames + 1, m->count - 1, &msg, &why);
    if (rc == 0 && msg.type != VOC_MSG_BATCH)
        rc = voc_err_set(&why, VOC_EPARSE, "processor only accepts BATCH, got %s",
                         voc_wire_type_name(msg.type));
    if (rc) {
        VOC_LOG_WARN("processor", "bad message: %s", why.msg);
        s_reply_error(p, &m->frames[0], VOC_MSG_ERROR, msg.seq, why.msg, 0);
        voc_zmsg_close(m);
        return 0;
    }
    p->seqs[p->npending] = msg.seq;
    p->npending++;
    *group_items += msg.item_count;
    return 0;
}

static void s_summary(voc_processor *p, int64_t elapsed_ms)
{
    voc_processor_stats *s = &p->stats, *l = &p->last_summary;
    const voc_redact_counts *rc = voc_pipeline_redactions(p->pipeline);
    s->redacted = 0;
    for (int k = 0; k < VOC_REDACT_KINDS; k++)
        s->redacted += rc->n[k];
    double secs = elapsed_ms > 0 ? (double)elapsed_ms / 1000.0 : 1.0;
    VOC_LOG_INFO(
        "processor",
        "summary batches=%llu items=%llu inserted=%llu updated=%llu duplicates=%llu "
        "rejected=%llu nacked=%llu redacted=%llu (email=%llu card=%llu phone=%llu "
        "custom=%llu) rate=%.0f/s",
        (unsigned long long)s->batches, (unsigned long long)s->items,
        (unsigned long long)s->inserted, (unsigned long long)s->updated,
        (unsigned long long)s->duplicates, (unsigned long long)s->rejected,
        (unsigned long long)s->nacked, (unsigned long long)s->redacted,
        (unsigned long long)rc->n[VOC_REDACT_EMAIL], (unsigned long long)rc->n[VOC_REDACT_CARD],
        (unsigned long long)rc->n[VOC_REDACT_PHONE], (unsigned long long)rc->n[VOC_REDACT_CUSTOM],
        (double)(s->items - l->items) / secs);
    *l = *s;
}

int voc_processor_run(voc_processor *p, int stop_fd, voc_err *err)
{
    int64_t last_summary = s_now_ms();
    for (;;) {
        zmq_pollitem_t items[3] = {{p->router, 0, ZMQ_POLLIN, 0},
                                   {NULL, stop_fd, ZMQ_POLLIN, 0},
                                   {p->zap, 0, ZMQ_POLLIN, 0}};
        long timeout = -1;
        if (p->cfg.stats_interval_ms > 0) {
            timeout = (long)(last_summary + p->cfg.stats_interval_ms - s_now_ms());
            if (timeout < 0) timeout = 0;
        }
        int nitems = 1;
        if (stop_fd >= 0) nitems = 2;
        if (p->zap) {
            if (stop_fd < 0) /* keep the ZAP socket at index 2 */
                items[1] = (zmq_pollitem_t){NULL, -1, 0, 0};
            nitems = 3;
        }
        int n = zmq_poll(items, nitems, timeout);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == ETERM) break;
            return voc_err_set(err, VOC_EZMQ, "poll: %s", zmq_strerror(errno));
        }
        if (p->zap && (items[2].revents & ZMQ_POLLIN)) s_zap(p);
        if (stop_fd >= 0 && (items[1].revents & ZMQ_POLLIN)) {
            VOC_LOG_INFO("processor", "stopping");
            break;
        }
        if (items[0].revents & ZMQ_POLLIN) {
            size_t group_items = 0;
            int rc = 0;
            while (p->npending < S_MAX_GROUP_BATCHES &&
                   group_items < (size_t)p->cfg.max_group_items) {
                rc = s_receive(p, ZMQ_DONTWAIT, &group_items, err);
                if (rc) break;
            }
            if (p->npending) s_flush(p);
            if (rc && rc != VOC_EBUSY) {
                if (errno == ETERM) break;
                VOC_LOG_WARN("processor", "%s", err->msg);
            }
        }
        if (p->cfg.stats_interval_ms > 0 && s_now_ms() - last_summary >= p->cfg.stats_interval_ms) {
            int64_t now = s_now_ms();
            s_summary(p, now - last_summary);
            last_summary = now;
        }
    }
    s_summary(p, s_now_ms() - last_summary);
    return 0;
}
