/* cmd_http.c: voc-collect http, the webhook receiver.
 *
 * libmicrohttpd serves the routes on a small thread pool; each request's
 * body is collected (bounded), authenticated (bearer token for our own API,
 * each vendor's signature scheme for its webhook, checked over the raw bytes
 * before parsing), mapped to items, and handed to the committer thread; the
 * connection is suspended (its pool thread moves on to other connections)
 * until the committer has written the items to the durable outbox, and only
 * then does the 2xx go out. The committer writes everything that queued up
 * during its previous commit in one transaction, so one fsync serves every
 * request waiting at that moment. The main thread runs the acked sender that
 * delivers the outbox to voc-processor (through the outbox's own reader
 * connection: it never waits for a commit), and enforces a per-request
 * deadline that an inactivity timeout alone cannot (a client sending one
 * byte a second is never inactive).
 *
 *   POST /v1/items               item JSON: an object, an array or JSON Lines
 *   POST /v1/webhooks/VENDOR     typeform, delighted, formbricks, zendesk, intercom
 *   GET  /healthz                200 "ok" (503 when the outbox is full)
 *   GET  /metrics                Prometheus text format */
#include "collectors/adapter.h"
#include "collectors/collect.h"
#include "collectors/outbox.h"
#include "collectors/sender.h"
#include "common/alloc.h"
#include "common/log.h"
#include "common/opts.h"
#include "common/utf8.h"
#include "common/vtime.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static const voc_opt s_options[] = {
    {"listen", VOC_OPT_STR, "127.0.0.1:8080", "VOC_HTTP_LISTEN", "HOST:PORT",
     "address to serve on (loopback by default; put a TLS proxy in front)"},
    {"connect", VOC_OPT_STR, NULL, "VOC_CONNECT", "ENDPOINT", "voc-processor endpoint"},
    {"outbox", VOC_OPT_STR, NULL, "VOC_OUTBOX", "PATH",
     "durable outbox file [default: ~/.local/state/voc/http-outbox.db]"},
    {"token", VOC_OPT_LIST, NULL, "VOC_HTTP_TOKEN", "TOKEN", "bearer token accepted on /v1/items"},
    {"typeform-secret", VOC_OPT_STR, NULL, "VOC_TYPEFORM_SECRET", "SECRET",
     "Typeform webhook secret"},
    {"delighted-secret", VOC_OPT_STR, NULL, "VOC_DELIGHTED_SECRET", "SECRET",
     "Delighted webhook signing secret"},
    {"formbricks-secret", VOC_OPT_STR, NULL, "VOC_FORMBRICKS_SECRET", "whsec_...",
     "Formbricks (Standard Webhooks) secret"},
    {"zendesk-secret", VOC_OPT_STR, NULL, "VOC_ZENDESK_SECRET", "SECRET",
     "Zendesk webhook signing secret"},
    {"intercom-secret", VOC_OPT_STR, NULL, "VOC_INTERCOM_SECRET", "SECRET",
     "Intercom app client secret (X-Hub-Signature)"},
    {"max-body", VOC_OPT_INT, "1048576", NULL, "BYTES", "larger bodies get 413"},
    {"max-header", VOC_OPT_INT, "16384", NULL, "BYTES", "larger request headers get 431"},
    {"max-connections", VOC_OPT_INT, "256", NULL, "N", "concurrent connections"},
    {"deadline", VOC_OPT_INT, "30", NULL, "SECONDS",
     "a request must be complete within this time of its connection opening"},
    {"max-outbox", VOC_OPT_INT, "1000000", NULL, "ROWS",
     "with this many items waiting for the processor, answer 503"},
    {"threads", VOC_OPT_INT, "4", NULL, "N", "request threads"},
    {"curve-server-key", VOC_OPT_STR, NULL, "VOC_CURVE_SERVER_KEY", "FILE",
     "the processor's public key (NAME.pub): encrypt and authenticate with CURVE"},
    {"curve-secret-key", VOC_OPT_STR, NULL, "VOC_CURVE_SECRET_KEY", "FILE",
     "this collector's key pair (NAME.key from voc keygen)"},
    {"log-level", VOC_OPT_STR, "info", "VOC_LOG_LEVEL", "LEVEL", "debug, info, warn or error"},
    {"config", VOC_OPT_STR, NULL, "VOC_HTTP_CONFIG", "FILE",
     "JSON file of these options (keep secrets here, mode 0600)"},
    {0},
};

#define S_JSON_MAX_DEPTH 32

/* Delivery to the processor: batches of up to S_SEND_BATCH items, and a
 * batch that is not full waits up to S_SEND_LINGER_MS for more. Webhooks
 * trickle in; without the linger each sender round would carry the few
 * items committed since the last one, and the processor would spend a
 * transaction on each (at 5,000 webhooks/s here, batches of ~130 cost the
 * processor 57-74 µs of CPU per item, against 40-44 µs with a 250 ms
 * linger). The outbox is durable, so the wait costs no safety, only
 * delivery latency. */
#define S_SEND_BATCH 1000
#define S_SEND_LINGER_MS 200

/* Latency histogram bounds, seconds. */
static const double s_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                   0.1,   0.25,   0.5,   1,    2.5,   5};
#define S_NBUCKETS (sizeof s_buckets / sizeof s_buckets[0])

enum { S_ROUTE_ITEMS, S_ROUTE_HEALTH, S_ROUTE_METRICS, S_ROUTE_OTHER, S_ROUTE_VENDOR0 };
#define S_MAX_ROUTES (S_ROUTE_VENDOR0 + 16)
static const int s_statuses[] = {200, 202, 400, 401, 404, 405, 408, 413, 431, 500, 503};
#define S_NSTATUS (sizeof s_statuses / sizeof s_statuses[0])

typedef struct s_conn {
    MHD_socket fd;
    /* When the connection opened or its last request completed: the
     * deadline runs from here, so a keep-alive client that completes its
     * requests is never cut, and one that trickles a request always is. */
    int64_t opened_ms;
    bool killed;
    struct s_conn *next;
} s_conn;

typedef struct s_server {
    struct MHD_Daemon *daemon;
    voc_outbox *ob;      /* shared: the committer writes, the main thread reads */
    voc_sender *sender;  /* the main thread's */
    atomic_ullong acked; /* the sender's counters, for /metrics */
    atomic_ullong dead_lettered;
    /* Group commit: request threads queue their requests (first in, first
     * written), the committer writes every queued request in one
     * transaction (one fsync) and resumes their connections. */
    pthread_mutex_t job_lock;
    pthread_cond_t job_ready;
    struct s_request *queue_head, *queue_tail;
    bool flush_deletes; /* the sender queued deletes: apply them when idle */
    bool writer_stop;
    pthread_t writer;
    bool writer_started;
    const char *const *tokens;
    size_t token_count;
    const char *secrets[16]; /* by adapter index */
    size_t max_body;
    int64_t deadline_ms;
    int64_t max_outbox;

    pthread_mutex_t conn_lock;
    s_conn *conns;

    pthread_mutex_t metrics_lock;
    uint64_t requests[S_MAX_ROUTES][S_NSTATUS];
    uint64_t latency_buckets[S_MAX_ROUTES][S_NBUCKETS + 1];
    double latency_sum[S_MAX_ROUTES];
    uint64_t latency_count[S_MAX_ROUTES];
    uint64_t accepted;
    uint64_t commits;
    uint64_t deadline_kills;
    /* rejected by reason: the field name part of the reason */
    char *reject_reason[64];
    uint64_t reject_count[64];
    size_t reject_kinds;
} s_server;

/* Items of one request on their way to the outbox. */
typedef struct s_batch {
    char **payloads;
    size_t count;
    size_t cap;
} s_batch;

typedef enum { S_NEW, S_QUEUED, S_STORED } s_state;

typedef struct s_request {
    voc_buf body;
    bool too_large;
    int64_t started_ms;
    int route;
    /* Set before the request is queued for the committer; the committer
     * fills rc and err, then resumes conn. */
    s_state state;
    struct MHD_Connection *conn;
    s_batch out;
    char origin[64];
    size_t good;   /* valid items among out (the others are dead letters) */
    int ok_status; /* and the response once they are stored */
    char *ok_body;
    int rc;
    voc_err err;
    struct s_request *next; /* in the committer's queue */
} s_request;

static volatile sig_atomic_t s_stop;
static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- metrics ------------------------------------------------------------ */

static const char *s_route_name(int route)
{
    switch (route) {
    case S_ROUTE_ITEMS:
        return "/v1/items";
    case S_ROUTE_HEALTH:
        return "/healthz";
    case S_ROUTE_METRICS:
        return "/metrics";
    case S_ROUTE_OTHER:
        return "other";
    default: {
        size_t n;
        const voc_adapter *a = voc_adapters(&n);
        size_t i = (size_t)(route - S_ROUTE_VENDOR0);
        return i < n ? a[i].name : "other";
    }
    }
}

static void s_count_reject(s_server *sv, const char *reason)
{
    char key[48];
    size_t n = strcspn(reason, ":");
    if (n >= sizeof key || reason[n] != ':') n = strcspn(reason, " ");
    if (n >= sizeof key) n = sizeof key - 1;
    memcpy(key, reason, n);
    key[n] = '\0';
    pthread_mutex_lock(&sv->metrics_lock);
    size_t i = 0;
    while (i < sv->reject_kinds && strcmp(sv->reject_reason[i], key) != 0)
        i++;
    if (i == sv->reject_kinds && i < 64) sv->reject_reason[sv->reject_kinds++] = voc_strdup(key);
    if (i < 64) sv->reject_count[i]++;
    pthread_mutex_unlock(&sv->metrics_lock);
}

static void s_observe(s_server *sv, int route, int status, double secs)
{
    size_t si = 0;
    while (si < S_NSTATUS && s_statuses[si] != status)
        si++;
    pthread_mutex_lock(&sv->metrics_lock);
    if (si < S_NSTATUS) sv->requests[route][si]++;
    size_t b = 0;
    while (b < S_NBUCKETS && secs > s_buckets[b])
        b++;
    sv->latency_buckets[route][b]++;
    sv->latency_sum[route] += secs;
    sv->latency_count[route]++;
    pthread_mutex_unlock(&sv->metrics_lock);
}

static char *s_metrics_text(s_server *sv)
{
    voc_buf b = {0};
    uint64_t acked = atomic_load(&sv->acked);
    uint64_t rejected_by_processor = atomic_load(&sv->dead_lettered);
    pthread_mutex_lock(&sv->metrics_lock);
    voc_buf_puts(&b, "# HELP voc_http_requests_total HTTP requests by route and status.\n"
                     "# TYPE voc_http_requests_total counter\n");
    for (int r = 0; r < S_MAX_ROUTES; r++)
        for (size_t si = 0; si < S_NSTATUS; si++)
            if (sv->requests[r][si])
                voc_buf_printf(&b, "voc_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                               s_route_name(r), s_statuses[si],
                               (unsigned long long)sv->requests[r][si]);
    voc_buf_printf(&b,
                   "# HELP voc_items_accepted_total Items written to the outbox.\n"
                   "# TYPE voc_items_accepted_total counter\n"
                   "voc_items_accepted_total %llu\n"
                   "# HELP voc_outbox_commits_total Outbox transactions that stored requests "
                   "(one fsync each).\n"
                   "# TYPE voc_outbox_commits_total counter\n"
                   "voc_outbox_commits_total %llu\n",
                   (unsigned long long)sv->accepted, (unsigned long long)sv->commits);
    voc_buf_puts(&b, "# HELP voc_items_rejected_total Items refused at the door, by reason.\n"
                     "# TYPE voc_items_rejected_total counter\n");
    for (size_t i = 0; i < sv->reject_kinds; i++)
        voc_buf_printf(&b, "voc_items_rejected_total{reason=\"%s\"} %llu\n", sv->reject_reason[i],
                       (unsigned long long)sv->reject_count[i]);
    voc_buf_printf(&b,
                   "# HELP voc_outbox_depth Items waiting for the processor's ack.\n"
                   "# TYPE voc_outbox_depth gauge\n"
                   "voc_outbox_depth %lld\n"
                   "# HELP voc_items_acked_total Items the processor acknowledged.\n"
                   "# TYPE voc_items_acked_total counter\n"
                   "voc_items_acked_total %llu\n"
                   "# HELP voc_items_dead_lettered_total Items the processor rejected.\n"
                   "# TYPE voc_items_dead_lettered_total counter\n"
                   "voc_items_dead_lettered_total %llu\n"
                   "# HELP voc_http_deadline_closed_total Connections closed at the deadline.\n"
                   "# TYPE voc_http_deadline_closed_total counter\n"
                   "voc_http_deadline_closed_total %llu\n",
                   (long long)voc_outbox_depth(sv->ob), (unsigned long long)acked,
                   (unsigned long long)rejected_by_processor,
                   (unsigned long long)sv->deadline_kills);
    voc_buf_puts(&b, "# HELP voc_http_request_duration_seconds Request latency by route.\n"
                     "# TYPE voc_http_request_duration_seconds histogram\n");
    for (int r = 0; r < S_MAX_ROUTES; r++) {
        if (!sv->latency_count[r]) continue;
        uint64_t cum = 0;
        for (size_t k = 0; k <= S_NBUCKETS; k++) {
            cum += sv->latency_buckets[r][k];
            if (k < S_NBUCKETS)
                voc_buf_printf(&b,
                               "voc_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
                               "%llu\n",
                               s_route_name(r), s_buckets[k], (unsigned long long)cum);
            else
                voc_buf_printf(&b,
                               "voc_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"}"
                               " %llu\n",
                               s_route_name(r), (unsigned long long)cum);
        }
        voc_buf_printf(&b, "voc_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                       s_route_name(r), sv->latency_sum[r]);
        voc_buf_printf(&b, "voc_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                       s_route_name(r), (unsigned long long)sv->latency_count[r]);
    }
    pthread_mutex_unlock(&sv->metrics_lock);
    return b.data;
}

/* ---- responses ---------------------------------------------------------- */

static enum MHD_Result s_respond(struct MHD_Connection *c, int status, const char *type, char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", type);
    if (status == 503) MHD_add_response_header(r, "Retry-After", "5");
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result s_error(struct MHD_Connection *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum MHD_Result s_error(struct MHD_Connection *c, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", msg);
    cJSON_AddNumberToObject(o, "status", status);
    char *body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s_respond(c, status, "application/json", body);
}

/* ---- headers for adapters ----------------------------------------------- */

static const char *s_header(const voc_http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->impl, MHD_HEADER_KIND, name);
}

/* ---- writing to the outbox ---------------------------------------------- */

static void s_batch_add(s_batch *b, char *payload)
{
    voc_grow((void **)&b->payloads, &b->cap, b->count + 1, sizeof *b->payloads);
    b->payloads[b->count++] = payload;
}

static void s_batch_free(s_batch *b)
{
    for (size_t i = 0; i < b->count; i++)
        free(b->payloads[i]);
    free(b->payloads);
    memset(b, 0, sizeof *b);
}

/* Write a queue of requests in one transaction: a failed transaction fails
 * every request in it; nothing partial is kept, and nobody gets a 2xx for
 * it. */
static void s_write(s_server *sv, s_request *queue)
{
    voc_err err = {0};
    int rc = voc_outbox_begin(sv->ob, &err);
    for (s_request *rq = queue; rq && rc == 0; rq = rq->next)
        for (size_t i = 0; i < rq->out.count && rc == 0; i++)
            rc = voc_outbox_put(sv->ob, rq->out.payloads[i], strlen(rq->out.payloads[i]),
                                rq->origin, &err);
    if (rc == 0)
        rc = voc_outbox_commit(sv->ob, &err);
    else
        voc_outbox_rollback(sv->ob);
    if (rc == 0) {
        uint64_t good = 0;
        for (s_request *rq = queue; rq; rq = rq->next)
            good += rq->good;
        pthread_mutex_lock(&sv->metrics_lock);
        sv->accepted += good;
        sv->commits++;
        pthread_mutex_unlock(&sv->metrics_lock);
    }
    for (s_request *rq = queue, *next; rq; rq = next) {
        next = rq->next; /* rq may be gone once its connection resumes */
        rq->rc = rc;
        rq->err = err;
        rq->state = S_STORED;
        MHD_resume_connection(rq->conn);
    }
}

/* The committer thread: take every queued request, write them all in one
 * transaction, commit (synchronous=FULL: one fsync for all of them), then
 * resume their connections. The requests that arrive meanwhile make the
 * next transaction. With nothing to write it applies the sender's deletes,
 * which otherwise ride along with the next commit. */
static void *s_committer(void *arg)
{
    s_server *sv = arg;
    pthread_mutex_lock(&sv->job_lock);
    for (;;) {
        while (!sv->queue_head && !sv->writer_stop && !sv->flush_deletes)
            pthread_cond_wait(&sv->job_ready, &sv->job_lock);
        if (!sv->queue_head && sv->writer_stop) break;
        s_request *queue = sv->queue_head;
        sv->queue_head = sv->queue_tail = NULL;
        sv->flush_deletes = false;
        pthread_mutex_unlock(&sv->job_lock);
        if (queue) {
            s_write(sv, queue);
        } else {
            voc_err err;
            if (voc_outbox_flush_deletes(sv->ob, &err))
                VOC_LOG_WARN("http", "outbox: %s (the rows are deleted later)", err.msg);
        }
        pthread_mutex_lock(&sv->job_lock);
    }
    pthread_mutex_unlock(&sv->job_lock);
    return NULL;
}

/* Queue the request for the committer and suspend its connection; the
 * access handler runs again when the committer resumes it. All or nothing:
 * the 2xx promises every payload is durable. */
static enum MHD_Result s_submit(s_server *sv, struct MHD_Connection *c, s_request *rq)
{
    pthread_mutex_lock(&sv->job_lock);
    if (sv->writer_stop) {
        pthread_mutex_unlock(&sv->job_lock);
        return s_error(c, 503, "shutting down; retry later");
    }
    /* Suspended before the committer can see it, so its resume always
     * comes after. */
    MHD_suspend_connection(c);
    rq->conn = c;
    rq->state = S_QUEUED;
    rq->next = NULL;
    if (sv->queue_tail)
        sv->queue_tail->next = rq;
    else
        sv->queue_head = rq;
    sv->queue_tail = rq;
    pthread_cond_signal(&sv->job_ready);
    pthread_mutex_unlock(&sv->job_lock);
    return MHD_YES;
}

/* The committer is done with the request: answer. */
static enum MHD_Result s_stored(struct MHD_Connection *c, s_request *rq)
{
    if (rq->rc) {
        VOC_LOG_ERROR("http", "outbox write failed: %s", rq->err.msg);
        return s_error(c, 503, "could not store the items (%s); retry later", rq->err.msg);
    }
    char *body = rq->ok_body;
    rq->ok_body = NULL;
    return s_respond(c, rq->ok_status, "application/json", body);
}

/* ---- POST /v1/items ----------------------------------------------------- */

static bool s_token_ok(s_server *sv, struct MHD_Connection *c)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0) return false;
    const char *tok = auth + 7;
    bool ok = false;
    for (size_t i = 0; i < sv->token_count; i++)
        ok |= voc_ct_equal(tok, strlen(tok), sv->tokens[i], strlen(sv->tokens[i])) != 0;
    return ok;
}

/* Split the body into item payloads: one object, an array of objects, or
 * JSON Lines. Each element is validated; good ones are re-encoded with the
 * defaults filled, bad ones pass on raw so the processor keeps them as dead
 * letters, and the response lists them. */
static enum MHD_Result s_items(s_server *sv, struct MHD_Connection *c, s_request *rq)
{
    const char *body = rq->body.data ? rq->body.data : "";
    size_t len = rq->body.len;
    size_t k = 0;
    while (k < len && (body[k] == ' ' || body[k] == '\n' || body[k] == '\r' || body[k] == '\t'))
        k++;
    if (k == len) return s_error(c, 400, "empty body: send an item object, an array or JSON Lines");
    size_t bad_at;
    if (!voc_utf8_valid(body, len, &bad_at))
        return s_error(c, 400, "body: invalid UTF-8 at byte %zu", bad_at);

    /* Pieces to decode: array elements, or lines. */
    s_batch pieces = {0};
    cJSON *arr = NULL;
    if (body[k] == '[') {
        arr = cJSON_ParseWithLength(body, len);
        if (!arr || !cJSON_IsArray(arr)) {
            cJSON_Delete(arr);
            return s_error(c, 400, "body: not a valid JSON array");
        }
        const cJSON *e;
        cJSON_ArrayForEach(e, arr) s_batch_add(&pieces, cJSON_PrintUnformatted(e));
        cJSON_Delete(arr);
    } else {
        size_t start = k;
        while (start < len) {
            const char *nl = memchr(body + start, '\n', len - start);
            size_t end = nl ? (size_t)(nl - body) : len;
            size_t a = start, z = end;
            while (a < z && (body[a] == ' ' || body[a] == '\t' || body[a] == '\r'))
                a++;
            while (z > a && (body[z - 1] == ' ' || body[z - 1] == '\t' || body[z - 1] == '\r'))
                z--;
            if (z > a) s_batch_add(&pieces, voc_strndup(body + a, z - a));
            start = end + 1;
        }
    }
    if (pieces.count == 0) {
        s_batch_free(&pieces);
        return s_error(c, 400, "body: no items");
    }
    s_batch *out = &rq->out;
    cJSON *res = cJSON_CreateObject();
    cJSON *uids = cJSON_CreateArray(), *rejected = cJSON_CreateArray();
    voc_item_defaults def = {.source = "api", .received_at = voc_time_now()};
    size_t good = 0;
    for (size_t i = 0; i < pieces.count; i++) {
        voc_item it;
        voc_err why;
        if (voc_item_from_json(&it, pieces.payloads[i], strlen(pieces.payloads[i]), NULL, &def,
                               &why) == 0) {
            cJSON_AddItemToArray(uids, cJSON_CreateString(it.uid));
            s_batch_add(out, voc_item_to_json(&it, 0));
            voc_item_clear(&it);
            good++;
        } else {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddNumberToObject(r, "index", (double)i);
            cJSON_AddStringToObject(r, "reason", why.msg);
            cJSON_AddItemToArray(rejected, r);
            s_count_reject(sv, why.msg);
            s_batch_add(out, voc_strdup(pieces.payloads[i]));
        }
    }
    s_batch_free(&pieces);
    /* The answer once the items are stored (bad ones too, as dead letters). */
    if (!good) cJSON_AddStringToObject(res, "error", "no valid items; see rejected");
    cJSON_AddNumberToObject(res, "accepted", (double)good);
    cJSON_AddItemToObject(res, "uids", uids);
    cJSON_AddItemToObject(res, "rejected", rejected);
    rq->ok_status = good ? 202 : 400;
    rq->ok_body = cJSON_PrintUnformatted(res);
    cJSON_Delete(res);
    rq->good = good;
    snprintf(rq->origin, sizeof rq->origin, "http:/v1/items");
    return s_submit(sv, c, rq);
}

/* ---- POST /v1/webhooks/VENDOR ------------------------------------------- */

static enum MHD_Result s_webhook(s_server *sv, struct MHD_Connection *c, s_request *rq, size_t ai)
{
    size_t n;
    const voc_adapter *a = &voc_adapters(&n)[ai];
    voc_http_req req = {.body = rq->body.data ? rq->body.data : "",
                        .body_len = rq->body.len,
                        .header = s_header,
                        .impl = c,
                        .now = voc_time_now()};
    voc_err why = {0};
    if (a->verify(&req, sv->secrets[ai], &why)) {
        VOC_LOG_WARN("http", "%s webhook refused: %s", a->name, why.msg);
        return s_error(c, 401, "%s", why.msg);
    }
    size_t bad_at;
    if (!voc_utf8_valid(req.body, req.body_len, &bad_at))
        return s_error(c, 400, "body: invalid UTF-8 at byte %zu", bad_at);
    if (memchr(req.body, '\0', req.body_len)) return s_error(c, 400, "body: contains a NUL byte");
    voc_item_list items = {0};
    if (a->parse(&req, &items, &why)) {
        voc_item_list_clear(&items);
        s_count_reject(sv, why.msg);
        return s_error(c, 400, "%s", why.msg);
    }
    if (items.count == 0) {
        /* A ping, a score without a comment yet, an event about something
         * else: acknowledged, nothing to keep. */
        voc_item_list_clear(&items);
        return s_respond(c, 200, "application/json", voc_strdup("{\"accepted\":0,\"uids\":[]}"));
    }
    cJSON *res = cJSON_CreateObject(), *uids = cJSON_AddArrayToObject(res, "uids");
    for (size_t i = 0; i < items.count; i++) {
        if (!items.items[i].received_at) items.items[i].received_at = req.now;
        if (!items.items[i].source) items.items[i].source = voc_strdup(a->name);
        s_batch_add(&rq->out, voc_item_to_json(&items.items[i], 0));
        cJSON_AddItemToArray(uids,
                             cJSON_CreateString(items.items[i].uid ? items.items[i].uid : ""));
    }
    voc_item_list_clear(&items);
    snprintf(rq->origin, sizeof rq->origin, "http:/v1/webhooks/%s", a->name);
    cJSON_AddNumberToObject(res, "accepted", (double)rq->out.count);
    rq->good = rq->out.count;
    rq->ok_status = 202;
    rq->ok_body = cJSON_PrintUnformatted(res);
    cJSON_Delete(res);
    return s_submit(sv, c, rq);
}

/* ---- dispatch ----------------------------------------------------------- */

static int s_route(const char *url, size_t *adapter)
{
    if (strcmp(url, "/v1/items") == 0) return S_ROUTE_ITEMS;
    if (strcmp(url, "/healthz") == 0) return S_ROUTE_HEALTH;
    if (strcmp(url, "/metrics") == 0) return S_ROUTE_METRICS;
    if (strncmp(url, "/v1/webhooks/", 13) == 0) {
        size_t n;
        const voc_adapter *a = voc_adapters(&n);
        for (size_t i = 0; i < n && i < 16; i++)
            if (strcmp(url + 13, a[i].name) == 0) {
                *adapter = i;
                return S_ROUTE_VENDOR0 + (int)i;
            }
    }
    return S_ROUTE_OTHER;
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
    (void)version;
    s_server *sv = cls;
    s_request *rq = *con_cls;
    size_t ai = 0;
    if (!rq) {
        rq = voc_calloc(1, sizeof *rq);
        rq->started_ms = s_now_ms();
        rq->route = s_route(url, &ai);
        *con_cls = rq;
        bool post = strcmp(method, "POST") == 0;
        /* Decide what we can before reading a byte of the body. */
        if (rq->route == S_ROUTE_OTHER) return s_error(c, 404, "no route %s %s", method, url);
        bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
        if ((rq->route == S_ROUTE_HEALTH || rq->route == S_ROUTE_METRICS) ? !get : !post)
            return s_error(c, 405, "%s is not allowed on %s", method, url);
        if (post) {
            const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
            if (cl && strtoull(cl, NULL, 10) > sv->max_body)
                return s_error(c, 413, "body of %s bytes is over the limit of %zu", cl,
                               sv->max_body);
            if (rq->route == S_ROUTE_ITEMS && !s_token_ok(sv, c))
                return s_error(c, 401,
                               sv->token_count ? "missing or wrong bearer token"
                                               : "no API token is configured (--token)");
            int64_t depth = voc_outbox_depth(sv->ob);
            if (depth >= sv->max_outbox)
                return s_error(c, 503, "outbox full (%lld items waiting); retry later",
                               (long long)depth);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_large) {
            if (rq->body.len + *upload_size > sv->max_body) {
                rq->too_large = true; /* chunked: keep reading to discard, answer 413 */
                voc_buf_free(&rq->body);
            } else {
                voc_buf_append(&rq->body, upload, *upload_size);
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_large) return s_error(c, 413, "body is over the limit of %zu bytes", sv->max_body);
    if (rq->state == S_QUEUED) return MHD_YES; /* suspended; not called again until resumed */
    if (rq->state == S_STORED) return s_stored(c, rq);
    switch (rq->route) {
    case S_ROUTE_HEALTH:
        return voc_outbox_depth(sv->ob) >= sv->max_outbox
                   ? s_respond(c, 503, "text/plain", voc_strdup("outbox full\n"))
                   : s_respond(c, 200, "text/plain", voc_strdup("ok\n"));
    case S_ROUTE_METRICS:
        return s_respond(c, 200, "text/plain; version=0.0.4", s_metrics_text(sv));
    case S_ROUTE_ITEMS:
        return s_items(sv, c, rq);
    default:
        (void)s_route(url, &ai);
        return s_webhook(sv, c, rq, ai);
    }
}

static void s_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    s_server *sv = cls;
    s_request *rq = *con_cls;
    if (!rq) return;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
    int status = ci ? (int)ci->http_status : 0;
    int64_t now = s_now_ms();
    s_observe(sv, rq->route, status, (double)(now - rq->started_ms) / 1000.0);
    ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci && ci->socket_context) {
        pthread_mutex_lock(&sv->conn_lock);
        ((s_conn *)ci->socket_context)->opened_ms = now;
        pthread_mutex_unlock(&sv->conn_lock);
    }
    voc_buf_free(&rq->body);
    s_batch_free(&rq->out);
    free(rq->ok_body);
    free(rq);
    *con_cls = NULL;
}

/* Track connections so the main loop can close those past the deadline. */
static void s_notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    s_server *sv = cls;
    pthread_mutex_lock(&sv->conn_lock);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        s_conn *k = voc_calloc(1, sizeof *k);
        k->fd = ci ? ci->connect_fd : MHD_INVALID_SOCKET;
        k->opened_ms = s_now_ms();
        k->next = sv->conns;
        sv->conns = k;
        *socket_context = k;
    } else {
        s_conn *k = *socket_context;
        for (s_conn **p = &sv->conns; *p; p = &(*p)->next)
            if (*p == k) {
                *p = k->next;
                free(k);
                break;
            }
        *socket_context = NULL;
    }
    pthread_mutex_unlock(&sv->conn_lock);
}

/* Shut down (not close: libmicrohttpd owns the descriptor) connections
 * whose request has taken longer than the deadline; libmicrohttpd then sees
 * the error and cleans up. */
static void s_sweep(s_server *sv)
{
    int64_t now = s_now_ms();
    pthread_mutex_lock(&sv->conn_lock);
    for (s_conn *k = sv->conns; k; k = k->next) {
        if (!k->killed && k->fd != MHD_INVALID_SOCKET && now - k->opened_ms > sv->deadline_ms) {
            shutdown(k->fd, SHUT_RDWR);
            k->killed = true;
            pthread_mutex_lock(&sv->metrics_lock);
            sv->deadline_kills++;
            pthread_mutex_unlock(&sv->metrics_lock);
            VOC_LOG_WARN("http",
                         "closed a connection after %lld ms without a complete request "
                         "(deadline %lld ms)",
                         (long long)(now - k->opened_ms), (long long)sv->deadline_ms);
        }
    }
    pthread_mutex_unlock(&sv->conn_lock);
}

/* Write what is queued, resume those connections, and stop taking more
 * (requests get 503 from now on). */
static void s_stop_committer(s_server *sv)
{
    if (!sv->writer_started) return;
    pthread_mutex_lock(&sv->job_lock);
    sv->writer_stop = true;
    pthread_cond_signal(&sv->job_ready);
    pthread_mutex_unlock(&sv->job_lock);
    pthread_join(sv->writer, NULL);
    sv->writer_started = false;
}

static int s_parse_listen(const char *s, char *host, size_t hcap, unsigned *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= hcap) return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    char *end;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (*end || p > 65535) return -1;
    *port = (unsigned)p;
    return 0;
}

int voc_collect_cmd_http(int argc, char **argv)
{
    int status = 1;
    voc_err err = {0};
    voc_opts *o = NULL;
    void *ctx = NULL;
    char *outbox_path = NULL;
    s_server sv = {0};
    pthread_mutex_init(&sv.conn_lock, NULL);
    pthread_mutex_init(&sv.metrics_lock, NULL);
    pthread_mutex_init(&sv.job_lock, NULL);
    pthread_cond_init(&sv.job_ready, NULL);

    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err)) {
        fprintf(stderr, "voc-collect http: %s\n", err.msg);
        status = 2;
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout, "voc-collect http --connect ENDPOINT [--listen HOST:PORT]",
                            "Receive feedback over HTTP: our item API (bearer token) and "
                            "webhooks from Typeform, Delighted, Formbricks, Zendesk and "
                            "Intercom (each verified with the vendor's signature). Items are "
                            "durable in the outbox before the 2xx is sent, and delivered to "
                            "voc-processor with acknowledgements.",
                            s_options);
        status = 0;
        goto out;
    }
    voc_log_level lvl;
    if (voc_log_parse_level(voc_opts_str(o, "log-level"), &lvl) == 0) voc_log_threshold = lvl;
    const char *connect = voc_opts_str(o, "connect");
    char host[256];
    unsigned port;
    if (!connect) {
        fprintf(stderr, "voc-collect http: --connect ENDPOINT is required\n");
        status = 2;
        goto out;
    }
    if (s_parse_listen(voc_opts_str(o, "listen"), host, sizeof host, &port)) {
        fprintf(stderr, "voc-collect http: --listen must be HOST:PORT, not '%s'\n",
                voc_opts_str(o, "listen"));
        status = 2;
        goto out;
    }
    sv.token_count = voc_opts_list(o, "token", &sv.tokens);
    size_t na;
    const voc_adapter *ads = voc_adapters(&na);
    for (size_t i = 0; i < na && i < 16; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s-secret", ads[i].name);
        sv.secrets[i] = voc_opts_str(o, key);
    }
    sv.max_body = (size_t)voc_opts_int(o, "max-body");
    sv.deadline_ms = voc_opts_int(o, "deadline") * 1000;
    sv.max_outbox = voc_opts_int(o, "max-outbox");
    outbox_path = voc_opts_str(o, "outbox") ? voc_strdup(voc_opts_str(o, "outbox"))
                                            : voc_collect_default_outbox("http");
    if (voc_outbox_open(&sv.ob, outbox_path, true, &err) || voc_outbox_share(sv.ob, &err))
        goto fail;
    ctx = zmq_ctx_new();
    voc_sender_config scfg = {.endpoint = connect,
                              .batch_items = S_SEND_BATCH,
                              .linger_ms = S_SEND_LINGER_MS,
                              .curve_server_key = voc_opts_str(o, "curve-server-key"),
                              .curve_secret_key = voc_opts_str(o, "curve-secret-key")};
    if (voc_sender_new(&sv.sender, ctx, sv.ob, &scfg, &err)) goto fail;

    if (pthread_create(&sv.writer, NULL, s_committer, &sv) != 0) {
        voc_err_set(&err, VOC_EIO, "cannot start the outbox committer thread");
        goto fail;
    }
    sv.writer_started = true;

    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "voc-collect http: --listen host must be an IPv4 address, not '%s'\n",
                host);
        status = 2;
        goto out;
    }
    sv.daemon = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, (uint16_t)port,
        NULL, NULL, s_access, &sv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)voc_opts_int(o, "threads"),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)voc_opts_int(o, "max-connections"),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)voc_opts_int(o, "max-header") + 4096,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(sv.deadline_ms / 1000),
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, &sv, MHD_OPTION_NOTIFY_CONNECTION, s_notify_conn,
        &sv, MHD_OPTION_END);
    if (!sv.daemon) {
        voc_err_set(&err, VOC_EIO, "cannot serve on %s:%u: %s", host, port, strerror(errno));
        goto fail;
    }
    struct sigaction sa = {0};
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    VOC_LOG_INFO("http", "ready listen=%s:%u connect=%s outbox=%s tokens=%zu", host, port, connect,
                 outbox_path, sv.token_count);
    while (!s_stop) {
        int rc = voc_sender_pump(sv.sender, 0, &err);
        const voc_sender_stats *ss = voc_sender_get_stats(sv.sender);
        atomic_store(&sv.acked, ss->items_acked);
        atomic_store(&sv.dead_lettered, ss->rejected);
        if (voc_outbox_deletes_pending(sv.ob)) {
            pthread_mutex_lock(&sv.job_lock);
            sv.flush_deletes = true;
            pthread_cond_signal(&sv.job_ready);
            pthread_mutex_unlock(&sv.job_lock);
        }
        if (rc && rc != VOC_ETIMEOUT) {
            VOC_LOG_ERROR("http", "sender: %s", err.msg);
            if (rc == VOC_EPARSE) goto stop;
        }
        s_sweep(&sv);
        zmq_pollitem_t pi = {voc_sender_socket(sv.sender), 0, ZMQ_POLLIN, 0};
        (void)zmq_poll(&pi, 1, 50);
    }
    status = 0;
stop:
    s_stop_committer(&sv);
    MHD_stop_daemon(sv.daemon);
    sv.daemon = NULL;
    const voc_sender_stats *ss = voc_sender_get_stats(sv.sender);
    VOC_LOG_INFO("http", "stopped outbox_depth=%lld batches_sent=%llu items_sent=%llu",
                 (long long)voc_outbox_depth(sv.ob), (unsigned long long)ss->batches_sent,
                 (unsigned long long)ss->items_sent);
    goto out;
fail:
    fprintf(stderr, "voc-collect http: %s\n", err.msg);
out:
    /* The committer first: it resumes every suspended connection, which
     * libmicrohttpd needs before it stops. */
    s_stop_committer(&sv);
    if (sv.daemon) MHD_stop_daemon(sv.daemon);
    voc_sender_destroy(&sv.sender);
    voc_outbox_destroy(&sv.ob);
    if (ctx) zmq_ctx_term(ctx);
    while (sv.conns) {
        s_conn *k = sv.conns;
        sv.conns = k->next;
        free(k);
    }
    for (size_t i = 0; i < sv.reject_kinds; i++)
        free(sv.reject_reason[i]);
    free(outbox_path);
    voc_opts_destroy(&o);
    return status;
}
