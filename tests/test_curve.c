/* test_curve.c: CURVE between hosts, with real processes on tcp: voc keygen
 * writes key files with the right modes; a collector with an allowed key
 * delivers; one with another key is refused, logged, and stores nothing. */
#include "tests/support/proc.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
