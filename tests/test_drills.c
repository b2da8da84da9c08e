/* test_drills.c: fault drills with the real processes. Processes are killed
 * without warning at the worst moments (mid-stream, right after a commit
 * and before its ACK, right after a 2xx), the processor is kept away until
 * the HTTP collector's outbox fills, clients misbehave from another address;
 * afterwards the store must hold every accepted item exactly once. */
#include "tests/support/proc.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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
static char s_db[300], s_plog[300], s_ep[320];
static vt_proc s_proc, s_http;
static int s_port;

static void s_setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    s_dir = vt_tmpdir("drills");
    snprintf(s_db, sizeof s_db, "%s/voc.db", s_dir);
    snprintf(s_plog, sizeof s_plog, "%s/p.log", s_dir);
    snprintf(s_ep, sizeof s_ep, "ipc://%s/p.sock", s_dir);
    s_proc.status = s_http.status = 0;
}

static void s_teardown(void)
{
    if (s_http.pid > 0 && s_http.status < 0) vt_stop(&s_http, SIGKILL, 2000);
    if (s_proc.pid > 0 && s_proc.status < 0) vt_stop(&s_proc, SIGKILL, 2000);
    vt_rmtree(s_dir);
    free(s_dir);
}

TestSuite(drills, .init = s_setup, .fini = s_teardown, .timeout = 900);

/* Case-insensitive substring (strcasestr is a GNU extension). */
static const char *s_find_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; hay && *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0) return hay;
    return NULL;
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void s_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Start the processor; "ready" is counted so a restart waits for its own. */
static void s_start_processor(void)
{
    static int starts;
    char *log = vt_read_file(s_plog);
    int before = 0;
    for (const char *p = log; p && (p = strstr(p, "ready db=")); p++)
        before++;
    free(log);
    char *bin = vt_bin("voc-processor");
    char *rules = vt_source("rules/default.json");
    char *argv[] = {bin, "--db", s_db, "--listen", s_ep, "--rules", rules, NULL};
    cr_assert_eq(vt_spawn(&s_proc, argv, NULL, s_plog), 0);
    bool ready = false;
    for (int i = 0; i < 6000 && !ready; i++) { /* up to 5 min: ASan on a loaded machine */
        log = vt_read_file(s_plog);
        int n = 0;
        for (const char *p = log; p && (p = strstr(p, "ready db=")); p++)
            n++;
        free(log);
        ready = n > before;
        if (!ready) s_sleep_ms(50);
    }
    cr_assert(ready, "voc-processor start %d did not become ready", ++starts);
    free(bin);
    free(rules);
}

static int64_t s_count(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open_v2(s_db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static int64_t s_wait_count(const char *sql, int64_t want, int timeout_ms)
{
    int64_t v = -1;
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        if (access(s_db, F_OK) == 0 && (v = s_count(sql)) == want) break;
        s_sleep_ms(50);
    }
    return v;
}

/* Collectors whose processor dies mid-send: libzmq leaks the frames of a
 * half-sent multipart batch (see tests/lsan-libzmq-partial-send.supp). */
static int s_spawn_collector(vt_proc *p, char **argv, const char *out, const char *err)
{
    char *supp = vt_source("tests/lsan-libzmq-partial-send.supp");
    char opt[600];
    snprintf(opt, sizeof opt, "suppressions=%s:print_suppressions=0", supp);
    free(supp);
    const char *old = getenv("LSAN_OPTIONS");
    char *saved = old ? strdup(old) : NULL;
    setenv("LSAN_OPTIONS", opt, 1);
    int rc = vt_spawn(p, argv, out, err);
    if (saved) {
        setenv("LSAN_OPTIONS", saved, 1);
        free(saved);
    } else {
        unsetenv("LSAN_OPTIONS");
    }
    return rc;
}

/* voc-gen: n items with seed into DIR/name; returns the path. */
static char *s_gen(const char *name, int n, int seed)
{
    char *bin = vt_bin("voc-gen");
    char *path = malloc(strlen(s_dir) + strlen(name) + 2);
    sprintf(path, "%s/%s", s_dir, name);
    char count[16], sd[16];
    snprintf(count, sizeof count, "%d", n);
    snprintf(sd, sizeof sd, "%d", seed);
    char *argv[] = {bin, "--count", count, "--seed", sd, "--out", path, NULL};
    cr_assert_eq(vt_run(argv, 60000, NULL, NULL), 0);
    free(bin);
    return path;
}

/* ---- processes killed mid-stream ---------------------------------------- */

Test(drills, processor_killed_while_three_collectors_send_100k)
{
    const int per[3] = {33334, 33333, 33333};
    char *files[3];
    vt_proc coll[3];
    char *bin = vt_bin("voc-collect");
    s_start_processor();
    for (int c = 0; c < 3; c++) {
        char name[32], ob[300], err[300];
        snprintf(name, sizeof name, "c%d.jsonl", c);
        files[c] = s_gen(name, per[c], 101 + c);
        snprintf(ob, sizeof ob, "%s/outbox%d.db", s_dir, c);
        snprintf(err, sizeof err, "%s/c%d.err", s_dir, c);
        char *argv[] = {bin, "file",   files[c],        "--connect", s_ep, "--outbox",
                        ob,  "--json", "--ack-timeout", "2000",      NULL};
        cr_assert_eq(s_spawn_collector(&coll[c], argv, NULL, err), 0);
    }
    /* Kill the processor without warning once a good part has landed. */
    for (int i = 0;
         i < 2400 && (access(s_db, F_OK) != 0 || s_count("SELECT count(*) FROM items") < 20000);
         i++)
        s_sleep_ms(25);
    int64_t at_kill = s_count("SELECT count(*) FROM items");
    cr_assert_eq(vt_stop(&s_proc, SIGKILL, 5000), 128 + SIGKILL);
    cr_assert_gt(at_kill, 0);
    cr_assert_lt(at_kill, 100000, "the kill came too late to test anything");
    s_sleep_ms(500);
    s_start_processor();
    for (int c = 0; c < 3; c++) {
        char err[300];
        snprintf(err, sizeof err, "%s/c%d.err", s_dir, c);
        int st = vt_wait(&coll[c], 600000);
        char *e = vt_read_file(err);
        cr_assert_eq(st, 0, "collector %d exit %d: %s", c, st, e ? e : "");
        free(e);
        free(files[c]);
    }
    cr_assert_eq(s_count("SELECT count(*) FROM items"), 100000);
    cr_assert_eq(s_count("SELECT count(DISTINCT uid) FROM items"), 100000);
    cr_assert_eq(s_count("SELECT sum(items) FROM item_day"), 100000, "rollups agree");
    cr_assert_eq(vt_stop(&s_proc, SIGTERM, 20000), 0);
    free(bin);
}

Test(drills, processor_dies_after_commit_before_ack)
{
    char *file = s_gen("items.jsonl", 5000, 7);
    char *bin = vt_bin("voc-collect");
    char ob[300], err[300], out[300];
    snprintf(ob, sizeof ob, "%s/outbox.db", s_dir);
    snprintf(err, sizeof err, "%s/c.err", s_dir);
    snprintf(out, sizeof out, "%s/c.out", s_dir);
    setenv("VOC_FAULT_EXIT_AFTER_COMMIT", "3", 1);
    s_start_processor();
    unsetenv("VOC_FAULT_EXIT_AFTER_COMMIT");
    char *argv[] = {bin,      "file",    file,  "--connect", s_ep, "--outbox",      ob,
                    "--json", "--batch", "100", "--window",  "2",  "--ack-timeout", "1000",
                    NULL};
    vt_proc c;
    cr_assert_eq(s_spawn_collector(&c, argv, out, err), 0);
    /* The processor exits by itself after its third commit, its ACKs unsent. */
    int pst = vt_wait(&s_proc, 60000);
    cr_assert_eq(pst, 75, "the drill's exit after the third commit (got %d)", pst);
    int64_t stored = s_count("SELECT count(*) FROM items");
    cr_assert_gt(stored, 0, "the third commit reached the disk");
    s_start_processor();
    int st = vt_wait(&c, 300000);
    char *e = vt_read_file(err);
    cr_assert_eq(st, 0, "collector exit %d: %s", st, e ? e : "");
    free(e);
    char *o = vt_read_file(out);
    cr_assert(o && strstr(o, "\"left_in_outbox\":0"), "%s", o ? o : "");
    /* The batches committed but never acked came again: counted as
     * duplicates, stored once. */
    const char *d = strstr(o, "\"duplicates\":");
    cr_assert(d && atoi(d + 13) > 0, "resent batches were duplicates: %s", o);
    free(o);
    cr_assert_eq(s_count("SELECT count(*) FROM items"), 5000);
    cr_assert_eq(s_count("SELECT sum(items) FROM item_day"), 5000);
    cr_assert_eq(vt_stop(&s_proc, SIGTERM, 20000), 0);
    free(file);
    free(bin);
}

/* ---- the HTTP collector ------------------------------------------------- */

#define AUTH "Authorization: Bearer t0ken\r\nContent-Type: application/json\r\n"

static void s_start_http(const char *const *extra)
{
    char *bin = vt_bin("voc-collect");
    char ob[300], log[300], listen[64];
    snprintf(ob, sizeof ob, "%s/http-outbox.db", s_dir);
    snprintf(log, sizeof log, "%s/h.log", s_dir);
    if (!s_port) s_port = vt_free_port();
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s_port);
    char *argv[32] = {bin,        "http", "--listen", listen,  "--connect",  s_ep,
                      "--outbox", ob,     "--token",  "t0ken", "--deadline", "2"};
    size_t n = 12;
    for (size_t i = 0; extra && extra[i]; i++)
        argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    char *before = vt_read_file(log);
    size_t skip = before ? strlen(before) : 0;
    free(before);
    cr_assert_eq(s_spawn_collector(&s_http, argv, NULL, log), 0);
    bool ready = false;
    for (int i = 0; i < 200 && !ready; i++) {
        char *l = vt_read_file(log);
        ready = l && strlen(l) > skip && strstr(l + skip, "ready listen=");
        free(l);
        if (!ready) s_sleep_ms(50);
    }
    cr_assert(ready, "voc-collect http did not become ready");
    free(bin);
}

static int s_connect_from(const char *from)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (from) {
        struct sockaddr_in b = {.sin_family = AF_INET};
        inet_pton(AF_INET, from, &b.sin_addr);
        cr_assert_eq(bind(fd, (struct sockaddr *)&b, sizeof b), 0, "bind %s", from);
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s_port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Read a response until the server closes or Content-Length is met. */
static int s_read_status(int fd, char **hdrs)
{
    char buf[16384];
    size_t n = 0;
    struct pollfd p = {fd, POLLIN, 0};
    while (n < sizeof buf - 1 && poll(&p, 1, 5000) > 0) {
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
        buf[n] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        const char *cl = s_find_ci(buf, "Content-Length:");
        if (end && cl && n >= (size_t)(end + 4 - buf) + strtoul(cl + 15, NULL, 10)) break;
    }
    buf[n] = '\0';
    int status = 0;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    if (hdrs) *hdrs = strdup(buf);
    return status;
}

static int s_post(const char *path, const char *headers, const char *body, char **resp)
{
    int fd = s_connect_from(NULL);
    char head[4096];
    snprintf(head, sizeof head,
             "POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n",
             path, headers, strlen(body));
    cr_assert_gt(write(fd, head, strlen(head)), 0);
    cr_assert_gt(write(fd, body, strlen(body)), 0);
    int st = s_read_status(fd, resp);
    close(fd);
    return st;
}

Test(drills, http_collector_killed_right_after_2xx)
{
    /* No processor yet: what the collector accepts can only be in its outbox. */
    s_start_http(NULL);
    const int n = 300;
    for (int i = 0; i < n; i++) {
        char body[200];
        snprintf(body, sizeof body,
                 "{\"uid\":\"drill-%d\",\"text\":\"answer %d: the export keeps timing out\"}", i,
                 i);
        cr_assert_eq(s_post("/v1/items", AUTH, body, NULL), 202, "item %d", i);
    }
    cr_assert_eq(vt_stop(&s_http, SIGKILL, 5000), 128 + SIGKILL);
    s_start_processor();
    s_start_http(NULL);
    cr_assert_eq(s_wait_count("SELECT count(*) FROM items WHERE uid LIKE 'drill-%'", n, 30000), n,
                 "every item answered 2xx reached the store");
    cr_assert_eq(vt_stop(&s_http, SIGTERM, 10000), 0);
    cr_assert_eq(vt_stop(&s_proc, SIGTERM, 10000), 0);
}

Test(drills, outbox_bound_gives_503_then_everything_arrives)
{
    const char *extra[] = {"--max-outbox", "40", NULL};
    s_start_http(extra);
    int accepted = 0, refused = 0;
    for (int i = 0; i < 60; i++) {
        char body[160], *resp = NULL;
        snprintf(body, sizeof body, "{\"uid\":\"bound-%d\",\"text\":\"billing page broken %d\"}", i,
                 i);
        int st = s_post("/v1/items", AUTH, body, &resp);
        if (st == 202) {
            accepted++;
        } else {
            cr_assert_eq(st, 503, "%s", resp);
            cr_assert(s_find_ci(resp, "Retry-After:"), "503 names when to retry: %s", resp);
            refused++;
        }
        free(resp);
    }
    cr_assert_eq(accepted, 40, "accepted up to the bound");
    cr_assert_eq(refused, 20);
    s_start_processor();
    cr_assert_eq(s_wait_count("SELECT count(*) FROM items", accepted, 30000), accepted);
    /* Room again: the next request is accepted. */
    cr_assert_eq(
        s_post("/v1/items", AUTH, "{\"uid\":\"bound-after\",\"text\":\"works again\"}", NULL), 202);
    cr_assert_eq(s_wait_count("SELECT count(*) FROM items", accepted + 1, 30000), accepted + 1);
    cr_assert_eq(vt_stop(&s_http, SIGTERM, 10000), 0);
    cr_assert_eq(vt_stop(&s_proc, SIGTERM, 10000), 0);
}

Test(drills, huge_body_and_a_slow_client_elsewhere_do_not_hold_others)
{
    s_start_processor();
    s_start_http(NULL);
    /* 50 MB announced: 413 before the body is read, within a second. */
    int fd = s_connect_from(NULL);
    const char *h =
        "POST /v1/items HTTP/1.1\r\nHost: x\r\n" AUTH "Content-Length: 52428800\r\n\r\n";
    double t0 = s_now();
    cr_assert_gt(write(fd, h, strlen(h)), 0);
    static char chunk[65536];
    memset(chunk, 'a', sizeof chunk);
    for (int i = 0; i < 16; i++) /* some of the body; the server may close */
        if (send(fd, chunk, sizeof chunk, MSG_DONTWAIT) < 0) break;
    int st = s_read_status(fd, NULL);
    double took = s_now() - t0;
    close(fd);
    cr_assert_eq(st, 413);
    cr_assert_lt(took, 1.0, "413 took %.2f s", took);

    /* A client on 127.0.0.2 trickles one byte a second; one on 127.0.0.1
     * keeps getting answers within a second meanwhile. */
    int slow = s_connect_from("127.0.0.2");
    const char *sh = "POST /v1/items HTTP/1.1\r\nHost: x\r\n";
    cr_assert_gt(write(slow, sh, strlen(sh)), 0);
    double start = s_now();
    bool closed = false;
    int posted = 0;
    while (s_now() - start < 8 && !closed) {
        if (write(slow, "X", 1) < 0) closed = true;
        struct pollfd p = {slow, POLLIN, 0};
        if (!closed && poll(&p, 1, 0) > 0) {
            char b[256];
            if (read(slow, b, sizeof b) <= 0) closed = true;
        }
        double a = s_now();
        char body[120];
        snprintf(body, sizeof body, "{\"uid\":\"fast-%d\",\"text\":\"quick answer %d\"}", posted,
                 posted);
        cr_assert_eq(s_post("/v1/items", AUTH, body, NULL), 202);
        cr_assert_lt(s_now() - a, 1.0, "a normal request waited %.2f s", s_now() - a);
        posted++;
        s_sleep_ms(1000 - (int)((s_now() - a) * 1000) % 1000);
    }
    cr_assert(closed, "the trickling client was not dropped");
    cr_assert_lt(s_now() - start, 6.0, "dropped near the 2 s deadline");
    close(slow);
    cr_assert_eq(s_wait_count("SELECT count(*) FROM items WHERE uid LIKE 'fast-%'", posted, 30000),
                 posted);
    cr_assert_eq(vt_stop(&s_http, SIGTERM, 10000), 0);
    cr_assert_eq(vt_stop(&s_proc, SIGTERM, 10000), 0);
}

/* ---- refused senders ---------------------------------------------------- */

static char *s_b64(const unsigned char *d, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, d, (int)n);
    return out;
}

Test(drills, forged_stale_and_unknown_senders_store_nothing)
{
    char cfg[300];
    snprintf(cfg, sizeof cfg, "%s/http.json", s_dir);
    FILE *f = fopen(cfg, "w");
    /* whsec_ + base64("drill-formbricks-key") */
    fputs("{\"typeform-secret\": \"drill-typeform\","
          " \"formbricks-secret\": \"whsec_ZHJpbGwtZm9ybWJyaWNrcy1rZXk=\"}",
          f);
    fclose(f);
    const char *extra[] = {"--config", cfg, NULL};
    s_start_processor();
    s_start_http(extra);
    char *resp = NULL;
    /* An unknown bearer token. */
    cr_assert_eq(s_post("/v1/items",
                        "Authorization: Bearer not-ours\r\nContent-Type: application/json\r\n",
                        "{\"uid\":\"evil-1\",\"text\":\"injected\"}", &resp),
                 401);
    free(resp);
    /* A Typeform delivery signed with the wrong secret. */
    const char *tf = "{\"event_id\":\"e1\",\"event_type\":\"form_response\",\"form_response\":"
                     "{\"form_id\":\"f\",\"token\":\"evil-2\",\"submitted_at\":"
                     "\"2026-11-01T10:00:00Z\",\"answers\":[{\"type\":\"text\",\"text\":"
                     "\"forged feedback\",\"field\":{\"id\":\"a\",\"type\":\"long_text\"}}]}}";
    unsigned char mac[32];
    unsigned int ml = 0;
    HMAC(EVP_sha256(), "wrong-secret", 12, (const unsigned char *)tf, strlen(tf), mac, &ml);
    char *sig = s_b64(mac, ml);
    char hdr[512];
    snprintf(hdr, sizeof hdr, "Content-Type: application/json\r\nTypeform-Signature: sha256=%s\r\n",
             sig);
    cr_assert_eq(s_post("/v1/webhooks/typeform", hdr, tf, &resp), 401, "%s", resp);
    free(resp);
    free(sig);
    /* A Formbricks delivery correctly signed but ten minutes old. */
    const char *fb = "{\"webhookId\":\"w\",\"event\":\"responseFinished\",\"data\":{\"id\":"
                     "\"evil-3\",\"surveyId\":\"s\",\"finished\":true,\"data\":{\"q1\":"
                     "\"a stale but signed answer\"}}}";
    long ts = (long)time(NULL) - 600;
    char signed_part[2048];
    int sl = snprintf(signed_part, sizeof signed_part, "msg_1.%ld.%s", ts, fb);
    HMAC(EVP_sha256(), "drill-formbricks-key", 20, (const unsigned char *)signed_part, (size_t)sl,
         mac, &ml);
    sig = s_b64(mac, ml);
    snprintf(hdr, sizeof hdr,
             "Content-Type: application/json\r\nwebhook-id: msg_1\r\nwebhook-timestamp: %ld\r\n"
             "webhook-signature: v1,%s\r\n",
             ts, sig);
    cr_assert_eq(s_post("/v1/webhooks/formbricks", hdr, fb, &resp), 401, "%s", resp);
    free(resp);
    /* The same delivery signed now is accepted: the refusal was the age. */
    ts = (long)time(NULL);
    sl = snprintf(signed_part, sizeof signed_part, "msg_1.%ld.%s", ts, fb);
    HMAC(EVP_sha256(), "drill-formbricks-key", 20, (const unsigned char *)signed_part, (size_t)sl,
         mac, &ml);
    free(sig);
    sig = s_b64(mac, ml);
    snprintf(hdr, sizeof hdr,
             "Content-Type: application/json\r\nwebhook-id: msg_1\r\nwebhook-timestamp: %ld\r\n"
             "webhook-signature: v1,%s\r\n",
             ts, sig);
    int st = s_post("/v1/webhooks/formbricks", hdr, fb, &resp);
    cr_assert(st == 200 || st == 202, "fresh signature: %d %s", st, resp);
    free(resp);
    free(sig);
    cr_assert_eq(s_wait_count("SELECT count(*) FROM items", 1, 30000), 1);
    cr_assert_eq(s_count("SELECT count(*) FROM items WHERE uid LIKE '%evil-1%' OR uid LIKE "
                         "'%evil-2%'"),
                 0, "nothing from refused senders");
    cr_assert_eq(s_count("SELECT count(*) FROM dead_letters"), 0);
    cr_assert_eq(vt_stop(&s_http, SIGTERM, 10000), 0);
    cr_assert_eq(vt_stop(&s_proc, SIGTERM, 10000), 0);
}
