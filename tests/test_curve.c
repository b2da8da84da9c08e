/* test_curve.c: CURVE keys and CURVE between hosts.
 *
 * common/curve.h against libzmq itself: Z85 per RFC 32 (its test vector,
 * round trips, libzmq's own codec agreeing, bad text refused), and key pairs
 * from libcrypto that libzmq accepts: it derives the same public key from
 * the secret, and two libzmq sockets talk CURVE with them.
 *
 * Then real processes on tcp: voc keygen writes key files with the right
 * modes; a collector with an allowed key delivers; one with another key is
 * refused, logged, and stores nothing. */
#include "common/curve.h"
#include "tests/support/proc.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

TestSuite(curve_keys, .timeout = 60);

/* RFC 32's test vector. */
static const unsigned char s_hello[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};

Test(curve_keys, z85_rfc_vector)
{
    char text[11];
    cr_assert_eq(voc_curve_z85_encode(text, sizeof text, s_hello, sizeof s_hello, NULL), 0);
    cr_assert_str_eq(text, "HelloWorld");
    unsigned char raw[8] = {0};
    cr_assert_eq(voc_curve_z85_decode(raw, sizeof raw, "HelloWorld", NULL), 0);
    cr_assert_arr_eq(raw, s_hello, sizeof raw);
}

/* Deterministic bytes that reach every digit value, 0x00 and 0xff groups. */
static void s_fill(unsigned char *buf, size_t len, uint32_t seed)
{
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (unsigned char)(seed >> 16);
    }
    if (len >= 8) {
        memset(buf, 0x00, 4);
        memset(buf + 4, 0xff, 4);
    }
}

Test(curve_keys, z85_round_trip_and_agrees_with_libzmq)
{
    for (size_t len = 0; len <= 64; len += 4) {
        for (uint32_t seed = 1; seed <= 20; seed++) {
            unsigned char data[64], back[64], theirs[64];
            char text[81], ztext[81];
            s_fill(data, len, seed * 977u + (uint32_t)len);
            cr_assert_eq(voc_curve_z85_encode(text, sizeof text, data, len, NULL), 0);
            cr_assert_eq(strlen(text), len / 4 * 5);
            cr_assert_eq(voc_curve_z85_decode(back, sizeof back, text, NULL), 0);
            cr_assert_arr_eq(back, data, len, "round trip of %zu bytes", len);
            if (len == 0) continue; /* libzmq refuses empty input */
            cr_assert_not_null(zmq_z85_encode(ztext, data, len));
            cr_assert_str_eq(text, ztext, "libzmq encodes %zu bytes the same", len);
            cr_assert_not_null(zmq_z85_decode(theirs, text));
            cr_assert_arr_eq(theirs, data, len);
        }
    }
}

Test(curve_keys, z85_refuses_bad_input)
{
    unsigned char raw[32];
    char text[64];
    voc_err err = {0};
    cr_assert_eq(voc_curve_z85_encode(text, sizeof text, s_hello, 7, &err), VOC_EINVAL);
    cr_assert_eq(voc_curve_z85_encode(text, 10, s_hello, 8, &err), VOC_EINVAL, "no room for NUL");
    cr_assert_eq(voc_curve_z85_decode(raw, sizeof raw, "HelloWorl", &err), VOC_EPARSE);
    cr_assert_eq(voc_curve_z85_decode(raw, 7, "HelloWorld", &err), VOC_EINVAL);
    const char *bad[] = {"Hello orld",    "Hello\"orld",      "Hello,orld", "Hello~orld",
                         "Hello\x7forld", "Hello\xc3\xa9rld", "%%%%%",      "%nSc1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(strlen(bad[i]) % 5, 0, "the length check would hide the character check");
        cr_assert_eq(voc_curve_z85_decode(raw, sizeof raw, bad[i], &err), VOC_EPARSE, "%s", bad[i]);
        cr_assert_neq(err.msg[0], '\0');
    }
    /* 2^32 - 1, the largest group, still decodes. */
    cr_assert_eq(voc_curve_z85_decode(raw, sizeof raw, "%nSc0", NULL), 0);
    cr_assert_eq(raw[0] & raw[1] & raw[2] & raw[3], 0xff);
}

Test(curve_keys, libcrypto_pair_is_a_libzmq_pair)
{
    voc_curve_pair a, b;
    cr_assert_eq(voc_curve_generate(&a, NULL), 0);
    cr_assert_eq(voc_curve_generate(&b, NULL), 0);
    cr_assert_eq(strlen(a.public_key), 40);
    cr_assert_eq(strlen(a.secret_key), 40);
    cr_assert_str_neq(a.secret_key, b.secret_key);
    cr_assert_str_neq(a.public_key, b.public_key);
    /* libzmq (libsodium) derives the same public key from the secret. */
    char derived[41];
    cr_assert_eq(zmq_curve_public(derived, a.secret_key), 0, "%s", zmq_strerror(errno));
    cr_assert_str_eq(derived, a.public_key);
    cr_assert_eq(zmq_curve_public(derived, b.secret_key), 0);
    cr_assert_str_eq(derived, b.public_key);
}

/* A CURVE REQ socket with the client pair, aimed at server_public, on a new
 * connection to ep; replies wait at most 2 s. */
static void *s_curve_client(void *ctx, const char *ep, const voc_curve_pair *mine,
                            const char *server_public)
{
    void *req = zmq_socket(ctx, ZMQ_REQ);
    cr_assert_not_null(req);
    int zero = 0, wait_ms = 2000;
    cr_assert_eq(zmq_setsockopt(req, ZMQ_LINGER, &zero, sizeof zero), 0);
    cr_assert_eq(zmq_setsockopt(req, ZMQ_RCVTIMEO, &wait_ms, sizeof wait_ms), 0);
    cr_assert_eq(zmq_setsockopt(req, ZMQ_CURVE_SERVERKEY, server_public, 40), 0);
    cr_assert_eq(zmq_setsockopt(req, ZMQ_CURVE_PUBLICKEY, mine->public_key, 40), 0);
    cr_assert_eq(zmq_setsockopt(req, ZMQ_CURVE_SECRETKEY, mine->secret_key, 40), 0);
    cr_assert_eq(zmq_connect(req, ep), 0, "%s", zmq_strerror(errno));
    return req;
}

Test(curve_keys, libcrypto_pairs_carry_a_curve_connection)
{
    if (!zmq_has("curve")) cr_skip_test("this libzmq was built without CURVE");
    voc_curve_pair server, client, stranger;
    cr_assert_eq(voc_curve_generate(&server, NULL), 0);
    cr_assert_eq(voc_curve_generate(&client, NULL), 0);
    cr_assert_eq(voc_curve_generate(&stranger, NULL), 0);
    void *ctx = zmq_ctx_new();
    void *rep = zmq_socket(ctx, ZMQ_REP);
    int one = 1, zero = 0, wait_ms = 5000;
    cr_assert_eq(zmq_setsockopt(rep, ZMQ_LINGER, &zero, sizeof zero), 0);
    cr_assert_eq(zmq_setsockopt(rep, ZMQ_RCVTIMEO, &wait_ms, sizeof wait_ms), 0);
    cr_assert_eq(zmq_setsockopt(rep, ZMQ_CURVE_SERVER, &one, sizeof one), 0);
    cr_assert_eq(zmq_setsockopt(rep, ZMQ_CURVE_SECRETKEY, server.secret_key, 40), 0);
    cr_assert_eq(zmq_bind(rep, "tcp://127.0.0.1:*"), 0, "%s", zmq_strerror(errno));
    char ep[128];
    size_t ep_len = sizeof ep;
    cr_assert_eq(zmq_getsockopt(rep, ZMQ_LAST_ENDPOINT, ep, &ep_len), 0);

    /* The right server key: a request and its reply get through. */
    void *req = s_curve_client(ctx, ep, &client, server.public_key);
    cr_assert_eq(zmq_send(req, "ping", 4, 0), 4);
    char buf[16];
    cr_assert_eq(zmq_recv(rep, buf, sizeof buf, 0), 4, "%s", zmq_strerror(errno));
    cr_assert_eq(memcmp(buf, "ping", 4), 0);
    cr_assert_eq(zmq_send(rep, "pong", 4, 0), 4);
    cr_assert_eq(zmq_recv(req, buf, sizeof buf, 0), 4, "%s", zmq_strerror(errno));
    cr_assert_eq(memcmp(buf, "pong", 4), 0);
    zmq_close(req);

    /* A client that expects another server key never completes the
     * handshake, so nothing reaches the server: the keys are really used. */
    req = s_curve_client(ctx, ep, &stranger, client.public_key);
    cr_assert_eq(zmq_send(req, "ping", 4, 0), 4);
    int short_ms = 1000;
    cr_assert_eq(zmq_setsockopt(rep, ZMQ_RCVTIMEO, &short_ms, sizeof short_ms), 0);
    cr_assert_eq(zmq_recv(rep, buf, sizeof buf, 0), -1);
    cr_assert_eq(errno, EAGAIN);
    zmq_close(req);
    zmq_close(rep);
    zmq_ctx_term(ctx);
}

static char *s_dir;
static void s_fini(void)
{
    vt_rmtree(s_dir);
    free(s_dir);
}
TestSuite(curve, .fini = s_fini, .timeout = 120);

static char *s_path(const char *name)
{
    char *p = malloc(strlen(s_dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", s_dir, name);
    return p;
}

static void s_keygen(const char *name)
{
    char *voc = vt_bin("voc"), *base = s_path(name);
    char *argv[] = {voc, "keygen", base, NULL};
    cr_assert_eq(vt_run(argv, 10000, NULL, NULL), 0);
    char key[600];
    snprintf(key, sizeof key, "%s.key", base);
    struct stat st;
    cr_assert_eq(stat(key, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "secret key file is private");
    cr_assert_neq(vt_run(argv, 10000, NULL, NULL), 0, "never overwrites a key");
    free(voc);
    free(base);
}

static int64_t s_items(const char *db)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT count(*) FROM items", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

Test(curve, allowed_key_delivers_other_key_is_refused)
{
    s_dir = vt_tmpdir("curve");
    char *allow = s_path("allow");
    cr_assert_eq(mkdir(allow, 0700), 0);
    s_keygen("server");
    s_keygen("allow/client");
    s_keygen("intruder");
    char *db = s_path("voc.db"), *log = s_path("p.log"), *in = s_path("a.jsonl");
    char *skey = s_path("server.key"), *spub = s_path("server.pub");
    char *ckey = s_path("allow/client.key"), *ikey = s_path("intruder.key");
    FILE *fp = fopen(in, "w");
    fputs("{\"uid\":\"c-1\",\"text\":\"refund please\"}\n{\"uid\":\"c-2\",\"text\":\"slow\"}\n",
          fp);
    fclose(fp);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", vt_free_port());
    char *pbin = vt_bin("voc-processor"), *cbin = vt_bin("voc-collect");
    char *pargv[] = {pbin, "--db",         db,    "--listen", ep, "--curve-secret-key",
                     skey, "--allow-keys", allow, NULL};
    vt_proc p;
    cr_assert_eq(vt_spawn(&p, pargv, NULL, log), 0);
    cr_assert(vt_wait_for_text(log, "ready db=", 10000));
    cr_assert(vt_wait_for_text(log, "CURVE on, 1 client keys allowed", 1000));

    char *ob1 = s_path("ob1.db"), *ob2 = s_path("ob2.db"), *ob3 = s_path("ob3.db");
    char *ok_argv[] = {cbin, "file",
                       in,   "--connect",
                       ep,   "--outbox",
                       ob1,  "--curve-server-key",
                       spub, "--curve-secret-key",
                       ckey, NULL};
    cr_assert_eq(vt_run(ok_argv, 30000, NULL, NULL), 0);
    cr_assert_eq(s_items(db), 2);

    char *bad_argv[] = {cbin, "file",
                        in,   "--connect",
                        ep,   "--outbox",
                        ob2,  "--curve-server-key",
                        spub, "--curve-secret-key",
                        ikey, "--timeout",
                        "3",  NULL};
    cr_assert_neq(vt_run(bad_argv, 30000, NULL, NULL), 0, "refused collector does not succeed");
    cr_assert(vt_wait_for_text(log, "refused client", 5000));
    /* Plain (no CURVE) is refused too. */
    char *plain_argv[] = {cbin,       "file", in,          "--connect", ep,
                          "--outbox", ob3,    "--timeout", "3",         NULL};
    cr_assert_neq(vt_run(plain_argv, 30000, NULL, NULL), 0);
    cr_assert_eq(vt_stop(&p, SIGTERM, 10000), 0);
    cr_assert_eq(s_items(db), 2, "nothing from refused clients");

    /* CURVE without an allow list is a configuration error, said at start. */
    char *noallow[] = {pbin, "--db", db, "--listen", ep, "--curve-secret-key", skey, NULL};
    char *err = NULL;
    cr_assert_neq(vt_run(noallow, 10000, NULL, &err), 0);
    cr_assert(strstr(err, "--allow-keys"), "%s", err);
    free(err);
    free(allow);
    free(db);
    free(log);
    free(in);
    free(skey);
    free(spub);
    free(ckey);
    free(ikey);
    free(pbin);
    free(cbin);
    free(ob1);
    free(ob2);
    free(ob3);
}
