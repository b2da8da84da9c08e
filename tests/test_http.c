/* test_http.c: voc-collect http end to end: the real collector on a real
 * TCP port, the real processor and database, requests written byte by byte
 * over sockets (so the tests can also misbehave: huge headers, lying
 * Content-Length, a client that trickles), and vendor webhooks posted as
 * the saved, signed deliveries in tests/data/webhooks/. */
#include "tests/support/proc.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char *s_dir;
static char s_db[300], s_plog[300], s_hlog[300], s_ob[300], s_ep[320];
static int s_port;
static vt_proc s_proc, s_http;

static void s_start(const char *const *extra)
{
    s_dir = vt_tmpdir("http");
    snprintf(s_db, sizeof s_db, "%s/voc.db", s_dir);
    snprintf(s_plog, sizeof s_plog, "%s/p.log", s_dir);
    snprintf(s_hlog, sizeof s_hlog, "%s/h.log", s_dir);
    snprintf(s_ob, sizeof s_ob, "%s/outbox.db", s_dir);
    snprintf(s_ep, sizeof s_ep, "ipc://%s/p.sock", s_dir);
    char *pbin = vt_bin("voc-processor"), *cbin = vt_bin("voc-collect");
    char *rules = vt_data("rules/engine.rules.json");
    char *pargv[] = {pbin, "--db", s_db, "--listen", s_ep, "--rules", rules, NULL};
    cr_assert_eq(vt_spawn(&s_proc, pargv, NULL, s_plog), 0);
    cr_assert(vt_wait_for_text(s_plog, "ready db=", 10000));
    s_port = vt_free_port();
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s_port);
    char *hargv[32] = {cbin,         "http",     "--listen",   listen,    "--connect",
                       s_ep,         "--outbox", s_ob,         "--token", "t0ken",
                       "--max-body", "4096",     "--deadline", "2"};
    size_t n = 14;
    for (size_t i = 0; extra && extra[i]; i++)
        hargv[n++] = (char *)extra[i];
    hargv[n] = NULL;
    cr_assert_eq(vt_spawn(&s_http, hargv, NULL, s_hlog), 0);
    cr_assert(vt_wait_for_text(s_hlog, "ready listen=", 10000), "%s", vt_read_file(s_hlog));
    free(pbin);
    free(cbin);
    free(rules);
}

static void s_stop(void)
{
    cr_assert_eq(vt_stop(&s_http, SIGTERM, 10000), 0, "voc-collect http exits 0 on SIGTERM");
    cr_assert_eq(vt_stop(&s_proc, SIGTERM, 10000), 0);
}

static char *s_cfg_dir; /* a config file's directory, for tests that write one */

static void s_cleanup(void)
{
    if (s_http.status < 0) vt_stop(&s_http, SIGKILL, 2000);
    if (s_proc.status < 0) vt_stop(&s_proc, SIGKILL, 2000);
    vt_rmtree(s_dir);
    free(s_dir);
    if (s_cfg_dir) vt_rmtree(s_cfg_dir);
    free(s_cfg_dir);
    s_cfg_dir = NULL;
}

TestSuite(http, .fini = s_cleanup, .timeout = 120);

static int s_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s_port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static const char *s_find_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0) return hay;
    return NULL;
}

/* Read the whole response (until the server closes or 5 s pass); returns
 * the status code and the body in *body (malloc'ed). */
static int s_read_response(int fd, char **body)
{
    char buf[65536];
    size_t n = 0;
    struct pollfd p = {fd, POLLIN, 0};
    while (n < sizeof buf - 1 && poll(&p, 1, 5000) > 0) {
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
        buf[n] = '\0';
        char *hdr_end = strstr(buf, "\r\n\r\n");
        const char *cl = s_find_ci(buf, "Content-Length:");
        if (hdr_end && cl && n >= (size_t)(hdr_end + 4 - buf) + strtoul(cl + 15, NULL, 10)) break;
    }
    buf[n] = '\0';
    int status = 0;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    char *b = strstr(buf, "\r\n\r\n");
    if (body) *body = strdup(b ? b + 4 : "");
    return status;
}

static int s_request(const char *method, const char *path, const char *headers, const char *body,
                     char **resp)
{
    int fd = s_connect();
    char head[2048];
    snprintf(head, sizeof head,
             "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n",
             method, path, headers ? headers : "", body ? strlen(body) : 0);
    cr_assert_gt(write(fd, head, strlen(head)), 0);
    if (body && *body) cr_assert_gt(write(fd, body, strlen(body)), 0);
    int st = s_read_response(fd, resp);
    close(fd);
    return st;
}

static int64_t s_count(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open_v2(s_db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Poll the database until the count reaches want (the sender delivers
 * asynchronously) or 10 s pass. */
static int64_t s_wait_count(const char *sql, int64_t want)
{
    int64_t v = -1;
    for (int i = 0; i < 200; i++) {
        v = s_count(sql);
        if (v == want) break;
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
    return v;
}

#define AUTH "Authorization: Bearer t0ken\r\nContent-Type: application/json\r\n"

/* Poll /metrics until it holds line (the sender acks asynchronously, and a
 * request is counted when it completes, just after its response went out). */
static bool s_wait_metric(const char *line)
{
    for (int i = 0; i < 200; i++) {
        char *r = NULL;
        bool found = s_request("GET", "/metrics", NULL, NULL, &r) == 200 && strstr(r, line);
        free(r);
        if (found) return true;
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

Test(http, items_api_object_array_and_jsonl)
{
    s_start(NULL);
    char *r = NULL;
    cr_assert_eq(s_request("POST", "/v1/items", AUTH,
                           "{\"uid\":\"h-1\",\"text\":\"I need a refund\",\"kind\":\"ticket\"}",
                           &r),
                 202, "%s", r);
    cr_assert(strstr(r, "\"accepted\":1"), "%s", r);
    free(r);
    cr_assert_eq(s_request("POST", "/v1/items", AUTH,
                           "[{\"uid\":\"h-2\",\"text\":\"slow and lagging\"},"
                           "{\"uid\":\"h-3\",\"text\":\"love it\",\"score\":10,\"scale\":\"nps\"}]",
                           &r),
                 202, "%s", r);
    free(r);
    cr_assert_eq(s_request("POST", "/v1/items", AUTH,
                           "{\"uid\":\"h-4\",\"text\":\"invoice missing\"}\n\n"
                           "{\"uid\":\"h-5\",\"text\":\"bad\",\"score\":99,\"scale\":\"nps\"}\n",
                           &r),
                 202, "%s", r);
    cr_assert(strstr(r, "\"accepted\":1") && strstr(r, "score: 99 is out of range"), "%s", r);
    free(r);
    cr_assert_eq(s_wait_count("SELECT count(*) FROM items", 4), 4);
    cr_assert_eq(s_wait_count("SELECT count(*) FROM dead_letters", 1), 1, "bad item dead-lettered");
    cr_assert_eq(s_count("SELECT count(*) FROM item_themes WHERE theme = 'billing.refund'"), 1);

    /* A replay stores nothing new. */
    cr_assert_eq(s_request("POST", "/v1/items", AUTH,
                           "{\"uid\":\"h-1\",\"text\":\"I need a refund\",\"kind\":\"ticket\"}",
                           &r),
                 202);
    free(r);
    cr_assert(s_wait_metric("voc_http_requests_total{route=\"/v1/items\",status=\"202\"} 4"));
    cr_assert_eq(s_request("GET", "/metrics", NULL, NULL, &r), 200);
    cr_assert(strstr(r, "voc_items_accepted_total 5"), "%s", r);
    cr_assert(strstr(r, "voc_http_requests_total{route=\"/v1/items\",status=\"202\"} 4"), "%s", r);
    cr_assert(
        strstr(r, "voc_http_request_duration_seconds_bucket{route=\"/v1/items\",le=\"+Inf\"} 4"),
        "%s", r);
    cr_assert(strstr(r, "voc_items_rejected_total{reason=\"score\"} 1"), "%s", r);
    free(r);
    cr_assert_eq(s_wait_count("SELECT count(*) FROM items", 4), 4);
    s_stop();
}

Test(http, auth_limits_and_bad_input)
{
    s_start(NULL);
    char *r = NULL;
    cr_assert_eq(s_request("POST", "/v1/items", "Content-Type: application/json\r\n",
                           "{\"text\":\"x\"}", &r),
                 401);
    free(r);
    cr_assert_eq(
        s_request("POST", "/v1/items", "Authorization: Bearer wrong\r\n", "{\"text\":\"x\"}", &r),
        401);
    free(r);
    cr_assert_eq(s_request("GET", "/healthz", NULL, NULL, &r), 200);
    free(r);
    cr_assert_eq(s_request("GET", "/nope", NULL, NULL, &r), 404);
    free(r);
    cr_assert_eq(s_request("DELETE", "/v1/items", AUTH, NULL, &r), 405);
    free(r);
    cr_assert_eq(s_request("POST", "/v1/items", AUTH, "{\"text\": ", &r), 400);
    cr_assert(strstr(r, "\"error\""), "%s", r);
    free(r);
    cr_assert_eq(s_request("POST", "/v1/items", AUTH, "{\"text\":\"bad \xff byte\"}", &r), 400);
    cr_assert(strstr(r, "invalid UTF-8"), "%s", r);
    free(r);
    /* 413 from Content-Length, before the body is read. */
    char big[6000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_assert_eq(s_request("POST", "/v1/items", AUTH, big, &r), 413);
    free(r);
    /* 413 on a chunked body that grows past the limit. */
    int fd = s_connect();
    const char *h = "POST /v1/items HTTP/1.1\r\nHost: x\r\n" AUTH
                    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    cr_assert_gt(write(fd, h, strlen(h)), 0);
    for (int i = 0; i < 5; i++) {
        char chunk[1100];
        int n = snprintf(chunk, sizeof chunk, "3e8\r\n");
        memset(chunk + n, 'b', 1000);
        memcpy(chunk + n + 1000, "\r\n", 2);
        cr_assert_gt(write(fd, chunk, (size_t)n + 1002), 0);
    }
    cr_assert_gt(write(fd, "0\r\n\r\n", 5), 0);
    cr_assert_eq(s_read_response(fd, NULL), 413);
    close(fd);
    /* 431 for a header block over the limit. */
    fd = s_connect();
    char hdr[40000];
    int n = snprintf(hdr, sizeof hdr, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(hdr + n, 'h', 30000);
    strcpy(hdr + n + 30000, "\r\n\r\n");
    ssize_t w = write(fd, hdr, strlen(hdr));
    (void)w;
    int st = s_read_response(fd, NULL);
    cr_assert(st == 431 || st == 413, "header flood answered %d", st);
    close(fd);
    /* Still serving. */
    cr_assert_eq(s_request("GET", "/healthz", NULL, NULL, &r), 200);
    free(r);
    cr_assert_eq(s_count("SELECT count(*) FROM items"), 0, "nothing stored from refused requests");
    s_stop();
}

Test(http, slow_client_is_cut_at_the_deadline)
{
    s_start(NULL);
    int fd = s_connect();
    const char *h = "POST /v1/items HTTP/1.1\r\nHost: x\r\n";
    cr_assert_gt(write(fd, h, strlen(h)), 0);
    /* One header byte every 300 ms: never idle, but never done. */
    time_t t0 = time(NULL);
    bool closed = false;
    for (int i = 0; i < 40 && !closed; i++) {
        struct timespec ts = {0, 300 * 1000000};
        nanosleep(&ts, NULL);
        if (write(fd, "X", 1) < 0) closed = true;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 0) > 0) {
            char b[256];
            if (read(fd, b, sizeof b) <= 0) closed = true;
        }
    }
    cr_assert(closed, "the trickling connection was not closed");
    cr_assert_leq(time(NULL) - t0, 8, "closed near the 2 s deadline");
    close(fd);
    char *r = NULL;
    cr_assert_eq(s_request("GET", "/metrics", NULL, NULL, &r), 200);
    cr_assert(strstr(r, "voc_http_deadline_closed_total 1"), "%s", r);
    free(r);
    s_stop();
}

/* ---- vendor webhooks ---------------------------------------------------- */

/* A saved delivery (tests/data/webhooks/NAME.json and the signature headers
 * in NAME.headers, as CRLF header lines). */
typedef struct s_delivery {
    char *body;
    char *headers;
} s_delivery;

static s_delivery s_load_delivery(const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "webhooks/%s.json", name);
    char *path = vt_data(rel);
    s_delivery d = {vt_read_file(path), NULL};
    cr_assert(d.body, "cannot read %s", path);
    free(path);
    snprintf(rel, sizeof rel, "webhooks/%s.headers", name);
    path = vt_data(rel);
    char *raw = vt_read_file(path);
    cr_assert(raw, "cannot read %s", path);
    free(path);
    d.headers = malloc(2 * strlen(raw) + 64);
    char *o = d.headers;
    o += sprintf(o, "Content-Type: application/json\r\n");
    for (const char *p = raw; *p; p++) {
        if (*p == '\n') *o++ = '\r';
        *o++ = *p;
    }
    *o = '\0';
    free(raw);
    return d;
}

static void s_free_delivery(s_delivery *d)
{
    free(d->body);
    free(d->headers);
}

static char *s_text_of(const char *uid)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    char *text = NULL;
    cr_assert_eq(sqlite3_open_v2(s_db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT text || ' | ' || score FROM items WHERE uid = ?1",
                                    -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) text = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return text;
}

Test(http, vendor_webhooks_signed_deduplicated_and_updated)
{
    /* Secrets from the config file, as the README recommends. */
    s_cfg_dir = vt_tmpdir("httpcfg");
    char cfg[300];
    snprintf(cfg, sizeof cfg, "%s/http.json", s_cfg_dir);
    FILE *f = fopen(cfg, "w");
    cr_assert(f);
    fputs("{\"typeform-secret\": \"tf-test-secret-3b7c\","
          " \"delighted-secret\": \"dl-test-api-key-91e2\"}\n",
          f);
    fclose(f);
    const char *extra[] = {"--config", cfg, NULL};
    s_start(extra);
    char *r = NULL;

    /* A forged signature: 401, nothing stored. */
    s_delivery tf = s_load_delivery("typeform_form_response");
    char *forged = strdup(tf.headers);
    char *sig = strstr(forged, "sha256=") + 7;
    sig[0] = sig[0] == 'A' ? 'B' : 'A';
    cr_assert_eq(s_request("POST", "/v1/webhooks/typeform", forged, tf.body, &r), 401, "%s", r);
    cr_assert(strstr(r, "Typeform-Signature"), "%s", r);
    free(r);
    free(forged);
    cr_assert_eq(s_request("POST", "/v1/webhooks/typeform", "Content-Type: application/json\r\n",
                           tf.body, &r),
                 401);
    free(r);

    /* Signed: stored once, however often it is delivered. */
    cr_assert_eq(s_request("POST", "/v1/webhooks/typeform", tf.headers, tf.body, &r), 202, "%s", r);
    cr_assert(strstr(r, "\"typeform:7f3c1d9e2b8a4f60a1c5e9d3b7f2a6c4\""), "%s", r);
    free(r);
    cr_assert_eq(s_wait_count("SELECT count(*) FROM items WHERE source = 'typeform'", 1), 1);
    cr_assert(s_wait_metric("voc_items_acked_total 1\n"));
    cr_assert_eq(s_request("POST", "/v1/webhooks/typeform", tf.headers, tf.body, &r), 202, "%s", r);
    free(r);
    cr_assert(s_wait_metric("voc_items_acked_total 2\n"));
    cr_assert_eq(s_count("SELECT count(*) FROM items WHERE source = 'typeform'"), 1);
    cr_assert_eq(s_count("SELECT count(*) FROM items WHERE uid = "
                         "'typeform:7f3c1d9e2b8a4f60a1c5e9d3b7f2a6c4' AND score = 6 AND "
                         "kind = 'nps' AND json_extract(attrs, '$.plan') = 'team'"),
                 1);
    s_free_delivery(&tf);

    /* Delighted: the score alone is stored (NPS counts it); the comment
     * arrives with the update of the same item, then an edit replaces it. */
    s_delivery created = s_load_delivery("delighted_created");
    cr_assert_eq(s_request("POST", "/v1/webhooks/delighted", created.headers, created.body, &r),
                 202, "%s", r);
    cr_assert(strstr(r, "\"accepted\":1"), "%s", r);
    free(r);
    s_free_delivery(&created);
    s_delivery updated = s_load_delivery("delighted_updated");
    cr_assert_eq(s_request("POST", "/v1/webhooks/delighted", updated.headers, updated.body, &r),
                 202, "%s", r);
    free(r);
    s_free_delivery(&updated);
    cr_assert(s_wait_metric("voc_items_acked_total 4\n"));
    char *text = s_text_of("delighted:918273");
    cr_assert_str_eq(text,
                     "Exports to CSV take forever and the support chat never answered me. | 4");
    free(text);

    s_delivery edited = s_load_delivery("delighted_edited");
    for (int i = 0; i < 2; i++) { /* the same delivery twice */
        cr_assert_eq(s_request("POST", "/v1/webhooks/delighted", edited.headers, edited.body, &r),
                     202, "%s", r);
        free(r);
    }
    cr_assert(s_wait_metric("voc_items_acked_total 6\n"));
    cr_assert_eq(s_count("SELECT count(*) FROM items WHERE source = 'delighted'"), 1);
    text = s_text_of("delighted:918273");
    cr_assert_str_eq(text,
                     "Exports to CSV take forever. Support did answer in the end, thanks. | 5");
    free(text);
    cr_assert_eq(s_count("SELECT count(*) FROM items WHERE uid = 'delighted:918273' AND "
                         "customer_id = 'cus_40917' AND attrs NOT LIKE '%pat.quill%'"),
                 1);

    /* A forged Delighted delivery changes nothing. */
    char *bad = strdup(edited.headers);
    char *hex = strstr(bad, "sha256=") + 7;
    hex[0] = hex[0] == '0' ? '1' : '0';
    cr_assert_eq(s_request("POST", "/v1/webhooks/delighted", bad, edited.body, &r), 401, "%s", r);
    free(r);
    free(bad);
    s_free_delivery(&edited);

    /* A vendor without a configured secret refuses everything. */
    cr_assert_eq(
        s_request("POST", "/v1/webhooks/zendesk", "Content-Type: application/json\r\n", "{}", &r),
        401);
    cr_assert(strstr(r, "zendesk-secret"), "%s", r);
    free(r);
    cr_assert(s_wait_metric("voc_http_requests_total{route=\"typeform\",status=\"401\"} 2"));
    cr_assert(s_wait_metric("voc_http_requests_total{route=\"typeform\",status=\"202\"} 2"));
    cr_assert(s_wait_metric("voc_http_requests_total{route=\"delighted\",status=\"202\"} 4"));
    cr_assert_eq(s_count("SELECT count(*) FROM items"), 2);
    cr_assert_eq(s_count("SELECT count(*) FROM dead_letters"), 0);
    s_stop();
    /* The processor counted the replays as duplicates: nothing new stored.
     * (At least two: a batch resent after a slow ack is one more.) */
    char *plog = vt_read_file(s_plog);
    const char *summary = strstr(plog, "inserted=2 updated=2 duplicates=");
    cr_assert(summary, "%s", plog);
    unsigned dups = 0, rejected = 1;
    cr_assert_eq(
        sscanf(summary, "inserted=2 updated=2 duplicates=%u rejected=%u", &dups, &rejected), 2);
    cr_assert_geq(dups, 2, "%s", plog);
    cr_assert_eq(rejected, 0, "%s", plog);
    free(plog);
}

/* Security review: no secret reaches a log, even at debug level and on the
 * requests that fail authentication; the server listens on loopback unless
 * told otherwise. */
Test(http, secrets_never_logged_and_loopback_by_default)
{
    static const char *const secrets[] = {
        "tf-secret-7d1e9a", "dl-secret-44c0b2", "whsec_c2VjcmV0LWZvcm1icmlja3MtOTk=",
        "zd-secret-0a8f3c", "ic-secret-5e6b21", "t0ken"};
    s_cfg_dir = vt_tmpdir("httpsec");
    char cfg[300];
    snprintf(cfg, sizeof cfg, "%s/http.json", s_cfg_dir);
    FILE *f = fopen(cfg, "w");
    cr_assert(f);
    fprintf(f,
            "{\"typeform-secret\": \"%s\", \"delighted-secret\": \"%s\","
            " \"formbricks-secret\": \"%s\", \"zendesk-secret\": \"%s\","
            " \"intercom-secret\": \"%s\"}\n",
            secrets[0], secrets[1], secrets[2], secrets[3], secrets[4]);
    fclose(f);
    const char *extra[] = {"--config", cfg, "--log-level", "debug", NULL};
    s_start(extra);
    char *r = NULL;
    /* Every vendor route with a forged signature, and our API with a wrong
     * and the right token (s_start passes --token t0ken). */
    static const char *const routes[] = {"typeform", "delighted", "formbricks", "zendesk",
                                         "intercom"};
    for (size_t i = 0; i < 5; i++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/webhooks/%s", routes[i]);
        cr_assert_eq(s_request("POST", path,
                               "Typeform-Signature: sha256=AAAA\r\n"
                               "X-Delighted-Webhook-Signature: AAAA\r\n"
                               "webhook-id: msg_1\r\nwebhook-timestamp: 1\r\n"
                               "webhook-signature: v1,AAAA\r\n"
                               "X-Zendesk-Webhook-Signature: AAAA\r\n"
                               "X-Zendesk-Webhook-Signature-Timestamp: 1\r\n"
                               "X-Hub-Signature: sha1=00\r\n",
                               "{\"event_type\":\"x\"}", &r),
                     401, "%s: %s", routes[i], r);
        free(r);
    }
    cr_assert_eq(s_request("POST", "/v1/items", "Authorization: Bearer not-the-token\r\n",
                           "{\"uid\":\"s-1\",\"text\":\"hello\"}", &r),
                 401);
    free(r);
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", secrets[5]);
    cr_assert_eq(s_request("POST", "/v1/items", auth, "{\"uid\":\"s-2\",\"text\":\"hello\"}", &r),
                 202, "%s", r);
    free(r);
    /* The metrics page shows no secret either. */
    cr_assert_eq(s_request("GET", "/metrics", NULL, NULL, &r), 200);
    for (size_t i = 0; i < 6; i++)
        cr_assert_null(strstr(r, secrets[i]), "metrics show %s", secrets[i]);
    free(r);
    s_stop();
    char *logs[] = {vt_read_file(s_hlog), vt_read_file(s_plog)};
    cr_assert(strstr(logs[0], "intercom webhook refused"), "the refusals are logged:\n%s", logs[0]);
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; i < 6; i++)
            cr_assert_null(strstr(logs[l], secrets[i]), "log %zu holds %s:\n%s", l, secrets[i],
                           logs[l]);
        free(logs[l]);
    }

    /* Loopback unless told otherwise: the documented default. */
    char *cbin = vt_bin("voc-collect"), *out = NULL;
    char *hargv[] = {cbin, "http", "--help", NULL};
    cr_assert_eq(vt_run(hargv, 10000, &out, NULL), 0);
    cr_assert(strstr(out, "127.0.0.1:8080"), "%s", out);
    free(out);
    free(cbin);
}
