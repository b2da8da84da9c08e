/* processor.c: the voc-processor service loop (see processor.h).
 *
 * Two threads. The main thread owns the sockets: it receives batches,
 * decodes and analyses every item (the CPU-bound part) and hands each
 * analysed batch to the writer thread as a job. The writer owns the SQLite
 * store: it takes every job waiting (up to max_group_items) into one
 * transaction, commits, and hands the jobs back; the main thread then sends
 * each ACK (or NACK when the transaction failed) and the PUB copies. So
 * analysis of the next batches overlaps the writes and fsync of the last
 * ones, and an ACK still goes out only after its items are durable.
 *
 * Group commit: with synchronous=FULL a commit costs an fsync, so grouping
 * whatever queued up while the last transaction ran keeps durable acks cheap
 * under load, while a lone batch is still acked at once. */
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
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/curve.h"

/* An item the pipeline rejected, to keep in the dead-letter table. */
typedef struct s_dead {
    char *source, *uid, *reason;
    void *payload;
    size_t len;
} s_dead;

/* One analysed batch on its way through the writer and back. */
typedef struct s_job {
    struct s_job *next;
    void *rid; /* routing id of the collector */
    size_t rid_len;
    uint64_t seq;
    voc_item *items; /* analysed, valid */
    size_t count;
    s_dead *dead;
    size_t dead_count;
    voc_wire_ack ack;
    char **pub; /* JSON of the items stored (for PUB); writer fills */
    size_t pub_count;
    size_t weight; /* items and dead letters received, for the queue bounds */
    bool failed;   /* the transaction failed: NACK with error */
    bool first;    /* first job of its transaction (for the transaction count) */
    char error[256];
} s_job;

typedef struct s_queue {
    s_job *head, *tail;
    size_t items; /* items and dead letters queued */
} s_queue;

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
    voc_zmsg msg; /* the batch being received */

    /* main thread -> writer, and back */
    pthread_t writer;
    bool writer_started;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* todo has jobs, or stop */
    s_queue todo, done;
    size_t in_flight; /* items handed to the writer and not yet answered */
    bool stop;
    int done_pipe[2]; /* the writer writes a byte when done has jobs */
    /* Fault drill (tests only): VOC_FAULT_EXIT_AFTER_COMMIT=N makes the
     * process die right after its Nth commit, before any ACK goes out. */
    long fault_exit_after;
    long commits;
};

static void *s_writer_main(void *arg);
static void s_stop_writer(voc_processor *p);
static void s_queue_free(s_queue *q);

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
    /* A libzmq built without CURVE refuses these: then refuse to start,
     * never serve in plain text while claiming CURVE. */
    bool ok = zmq_has("curve") && s_set_int(p->router, ZMQ_CURVE_SERVER, 1) == 0 &&
              zmq_setsockopt(p->router, ZMQ_CURVE_SECRETKEY, k.secret_key, VOC_CURVE_Z85) == 0 &&
              zmq_setsockopt(p->router, ZMQ_ZAP_DOMAIN, "voc", 3) == 0;
    memset(&k, 0, sizeof k);
    if (!ok)
        return voc_err_set(err, VOC_EZMQ, "cannot serve CURVE: %s (is libzmq built with CURVE?)",
                           zmq_strerror(errno));
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
    const char *fault = getenv("VOC_FAULT_EXIT_AFTER_COMMIT");
    if (fault) p->fault_exit_after = strtol(fault, NULL, 10);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->done_pipe[0] = p->done_pipe[1] = -1;
    if (pipe(p->done_pipe) != 0) {
        rc = voc_err_set(err, VOC_EIO, "pipe: %s", strerror(errno));
        goto out;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(p->done_pipe[i], F_SETFD, FD_CLOEXEC);
        fcntl(p->done_pipe[i], F_SETFL, O_NONBLOCK);
    }

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
    if (pthread_create(&p->writer, NULL, s_writer_main, p) != 0) {
        rc = voc_err_set(err, VOC_EIO, "cannot start the writer thread");
        goto out;
    }
    p->writer_started = true;
out:
    if (rc) voc_processor_destroy(&p);
    *out = p;
    return rc;
}

void voc_processor_destroy(voc_processor **self_p)
{
    if (!self_p || !*self_p) return;
    voc_processor *p = *self_p;
    s_stop_writer(p);
    s_queue_free(&p->todo);
    s_queue_free(&p->done);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    for (int i = 0; i < 2; i++)
        if (p->done_pipe[i] >= 0) close(p->done_pipe[i]);
    voc_zmsg_close(&p->msg);
    free(p->msg.parts);
    free(p->msg.frames);
    if (p->router) zmq_close(p->router);
    if (p->zap) zmq_close(p->zap);
    free(p->allowed);
    if (p->pub) zmq_close(p->pub);
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

/* ---- jobs ----------------------------------------------------------------- */

static void s_job_free(s_job *j)
{
    free(j->rid);
    for (size_t i = 0; i < j->count; i++)
        voc_item_clear(&j->items[i]);
    free(j->items);
    for (size_t i = 0; i < j->dead_count; i++) {
        free(j->dead[i].source);
        free(j->dead[i].uid);
        free(j->dead[i].reason);
        free(j->dead[i].payload);
    }
    free(j->dead);
    for (size_t i = 0; i < j->pub_count; i++)
        free(j->pub[i]);
    free(j->pub);
    voc_wire_ack_clear(&j->ack);
    free(j);
}

static size_t s_job_weight(const s_job *j)
{
    return j->weight;
}

static void s_queue_push(s_queue *q, s_job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    q->items += s_job_weight(j);
}

static s_job *s_queue_pop(s_queue *q)
{
    s_job *j = q->head;
    if (!j) return NULL;
    q->head = j->next;
    if (!q->head) q->tail = NULL;
    q->items -= s_job_weight(j);
    j->next = NULL;
    return j;
}

static void s_queue_free(s_queue *q)
{
    s_job *j;
    while ((j = s_queue_pop(q)))
        s_job_free(j);
}

/* ---- the writer thread ---------------------------------------------------- */

/* Store one job's items and dead letters in the open transaction. */
static int s_store_job(voc_processor *p, s_job *j, voc_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < j->dead_count; i++) {
        s_dead *d = &j->dead[i];
        rc = voc_store_put_dead_letter(p->store, d->source, d->uid, d->reason, d->payload, d->len,
                                       err);
    }
    for (size_t i = 0; rc == 0 && i < j->count; i++) {
        voc_put_result res;
        rc = voc_store_put_item(p->store, &j->items[i], p->rule_set_id, &res, err);
        if (rc) break;
        if (res == VOC_PUT_INSERTED)
            j->ack.inserted++;
        else if (res == VOC_PUT_UPDATED)
            j->ack.updated++;
        else
            j->ack.duplicates++;
        if (p->pub && res != VOC_PUT_DUPLICATE) {
            j->pub = voc_realloc(j->pub, (j->pub_count + 1) * sizeof *j->pub);
            j->pub[j->pub_count++] = voc_item_to_json(&j->items[i], VOC_ITEM_JSON_ANALYSIS);
        }
    }
    return rc;
}

/* Write one group of jobs in one transaction; mark them failed if it fails. */
static void s_write_group(voc_processor *p, s_job *group)
{
    voc_err err;
    int rc = voc_store_begin(p->store, &err);
    for (s_job *j = group; rc == 0 && j; j = j->next)
        rc = s_store_job(p, j, &err);
    if (rc == 0)
        rc = voc_store_commit(p->store, &err);
    else
        voc_store_rollback(p->store);
    if (rc == 0 && p->fault_exit_after > 0 && ++p->commits == p->fault_exit_after) {
        VOC_LOG_WARN("processor", "fault drill: exiting after commit %ld, before its ACKs",
                     p->commits);
        _exit(75);
    }
    group->first = true;
    for (s_job *j = group; j; j = j->next) {
        /* the items are stored (or not); only the answer is left */
        for (size_t i = 0; i < j->count; i++)
            voc_item_clear(&j->items[i]);
        j->count = 0;
        if (rc) {
            j->failed = true;
            snprintf(j->error, sizeof j->error, "%s", err.msg);
            j->ack.inserted = j->ack.updated = j->ack.duplicates = 0;
            for (size_t i = 0; i < j->pub_count; i++)
                free(j->pub[i]);
            j->pub_count = 0;
        }
    }
    if (rc) VOC_LOG_ERROR("processor", "transaction failed, batches not acked: %s", err.msg);
}

static void *s_writer_main(void *arg)
{
    voc_processor *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->todo.head && !p->stop)
            pthread_cond_wait(&p->wake, &p->lock);
        if (!p->todo.head && p->stop) break;
        /* take every job waiting, up to max_group_items */
        s_job *group = NULL, *last = NULL;
        size_t n = 0;
        while (p->todo.head &&
               (n == 0 || n + s_job_weight(p->todo.head) <= (size_t)p->cfg.max_group_items)) {
            s_job *j = s_queue_pop(&p->todo);
            n += s_job_weight(j);
            if (last)
                last->next = j;
            else
                group = j;
            last = j;
        }
        pthread_mutex_unlock(&p->lock);
        s_write_group(p, group);
        pthread_mutex_lock(&p->lock);
        for (s_job *j = group, *next; j; j = next) {
            next = j->next;
            s_queue_push(&p->done, j);
        }
        ssize_t w = write(p->done_pipe[1], "", 1); /* EAGAIN: a wakeup is pending */
        (void)w;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void s_stop_writer(voc_processor *p)
{
    if (!p->writer_started) return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->writer, NULL);
    p->writer_started = false;
}

/* ---- the main thread ------------------------------------------------------ */

/* Decode and analyse one item into the job: valid items to store, rejects
 * to the dead-letter table and the ACK. */
static void s_analyse_item(voc_processor *p, s_job *j, const voc_frame *f, uint32_t index)
{
    voc_item *it = &j->items[j->count];
    voc_err why;
    int rc = voc_item_from_json(it, f->data, f->len, &p->cfg.limits, NULL, &why);
    if (rc == 0) rc = voc_pipeline_run(p->pipeline, it, &why);
    if (rc == 0) {
        j->count++;
        return;
    }
    VOC_LOG_DEBUG("processor", "rejected index=%u reason=\"%s\"", index, why.msg);
    voc_wire_ack_add_reject(&j->ack, index, it->uid, why.msg);
    s_dead *d = &j->dead[j->dead_count++];
    d->source = it->source ? voc_strdup(it->source) : NULL;
    d->uid = it->uid ? voc_strdup(it->uid) : NULL;
    d->reason = voc_strdup(why.msg);
    d->len = f->len;
    d->payload = voc_malloc(f->len ? f->len : 1);
    if (f->len) memcpy(d->payload, f->data, f->len);
    voc_item_clear(it);
}

/* Answer the jobs the writer has finished: ACK, or NACK when their
 * transaction failed; publish what was stored. */
static void s_answer_done(voc_processor *p)
{
    char buf[64];
    while (read(p->done_pipe[0], buf, sizeof buf) > 0) {
    }
    pthread_mutex_lock(&p->lock);
    s_job *list = p->done.head;
    size_t n = p->done.items;
    p->done.head = p->done.tail = NULL;
    p->done.items = 0;
    p->in_flight -= n;
    pthread_mutex_unlock(&p->lock);
    for (s_job *j = list, *next; j; j = next) {
        next = j->next;
        voc_frame rid = {j->rid, j->rid_len};
        if (j->failed) {
            s_reply_error(p, &rid, VOC_MSG_NACK, j->seq, j->error, p->cfg.retry_after_ms);
            p->stats.nacked++;
        } else {
            if (j->first) p->stats.transactions++;
            char *body = voc_wire_ack_encode(&j->ack);
            voc_err e;
            if (voc_wire_send_reply(p->router, &rid, VOC_MSG_ACK, j->seq, body, &e))
                VOC_LOG_WARN("processor", "ack failed seq=%llu: %s", (unsigned long long)j->seq,
                             e.msg);
            free(body);
            p->stats.batches++;
            p->stats.items += j->ack.items;
            p->stats.inserted += j->ack.inserted;
            p->stats.updated += j->ack.updated;
            p->stats.duplicates += j->ack.duplicates;
            p->stats.rejected += j->ack.rejected_count;
            VOC_LOG_DEBUG("processor",
                          "batch stored seq=%llu items=%u inserted=%u updated=%u duplicates=%u "
                          "rejected=%zu",
                          (unsigned long long)j->seq, j->ack.items, j->ack.inserted, j->ack.updated,
                          j->ack.duplicates, j->ack.rejected_count);
            for (size_t i = 0; i < j->pub_count; i++) {
                voc_frame f[2] = {{"item", 4}, {j->pub[i], strlen(j->pub[i])}};
                voc_err pe;
                (void)voc_zmq_send_frames(p->pub, f, 2, ZMQ_DONTWAIT, &pe);
            }
        }
        s_job_free(j);
    }
}

/* Receive one message and, when it is a batch, analyse it and hand it to
 * the writer; answer malformed envelopes at once. Returns VOC_EBUSY when
 * nothing is waiting. */
static int s_receive(voc_processor *p, voc_err *err)
{
    voc_zmsg *m = &p->msg;
    int rc = voc_zmsg_recv(m, p->router, ZMQ_DONTWAIT, err);
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
    s_job *j = voc_calloc(1, sizeof *j);
    j->rid_len = m->frames[0].len;
    j->rid = voc_malloc(j->rid_len ? j->rid_len : 1);
    memcpy(j->rid, m->frames[0].data, j->rid_len);
    j->seq = msg.seq;
    size_t n = m->count - 1 - VOC_WIRE_F_ITEMS;
    j->ack.items = (uint32_t)n;
    j->items = voc_calloc(n ? n : 1, sizeof *j->items);
    j->dead = voc_calloc(n ? n : 1, sizeof *j->dead);
    for (size_t i = 0; i < n; i++)
        s_analyse_item(p, j, &m->frames[1 + VOC_WIRE_F_ITEMS + i], (uint32_t)i);
    voc_zmsg_close(m);
    j->weight = n ? n : 1;
    pthread_mutex_lock(&p->lock);
    s_queue_push(&p->todo, j);
    p->in_flight += s_job_weight(j);
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

/* Items analysed and not yet answered. */
static size_t s_in_flight(voc_processor *p)
{
    pthread_mutex_lock(&p->lock);
    size_t n = p->in_flight;
    pthread_mutex_unlock(&p->lock);
    return n;
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
    /* Analysis runs ahead of the writer by at most this many items: beyond
     * it the main thread stops reading and the collectors' windows fill. */
    size_t ahead = 2 * (size_t)p->cfg.max_group_items;
    bool stopping = false;
    for (;;) {
        bool full = s_in_flight(p) >= ahead;
        zmq_pollitem_t items[4] = {{p->router, 0, full || stopping ? 0 : ZMQ_POLLIN, 0},
                                   {NULL, p->done_pipe[0], ZMQ_POLLIN, 0},
                                   {NULL, stop_fd, stop_fd >= 0 ? ZMQ_POLLIN : 0, 0},
                                   {p->zap, 0, ZMQ_POLLIN, 0}};
        long timeout = -1;
        if (p->cfg.stats_interval_ms > 0) {
            timeout = (long)(last_summary + p->cfg.stats_interval_ms - s_now_ms());
            if (timeout < 0) timeout = 0;
        }
        int n = zmq_poll(items, p->zap ? 4 : 3, timeout);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == ETERM) break;
            return voc_err_set(err, VOC_EZMQ, "poll: %s", zmq_strerror(errno));
        }
        if (p->zap && (items[3].revents & ZMQ_POLLIN)) s_zap(p);
        if (items[1].revents & ZMQ_POLLIN) s_answer_done(p);
        if (stop_fd >= 0 && (items[2].revents & ZMQ_POLLIN) && !stopping) {
            VOC_LOG_INFO("processor", "stopping");
            stopping = true;
        }
        if (stopping && s_in_flight(p) == 0) break;
        if (items[0].revents & ZMQ_POLLIN) {
            /* read what is waiting, a bounded amount at a time so answers
             * for finished transactions are not held back */
            int rc = 0;
            for (int k = 0; k < 16 && s_in_flight(p) < ahead; k++)
                if ((rc = s_receive(p, err))) break;
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
