/* test_follow.c: the drop folder, end to end. Starts the real voc-processor
 * and `voc-collect file --follow DIR` over ipc://, drops files into DIR the
 * way people and tools do (written in place, renamed in, linked), and
 * checks where each file lands (done/, failed/ with its reason), what the
 * store holds, and that nothing is imported twice: not the same content
 * under another name, not after a restart, not while the processor was
 * down. Every wait polls against a deadline. */
#include "tests/support/proc.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_DEADLINE_MS 30000

static char *s_dir;
static char s_db[256], s_plog[256], s_outbox[256], s_state[256], s_ipc[300];
static char s_drop[256], s_out[256], s_err[256];
static vt_proc s_proc, s_follower;
static bool s_proc_running, s_follower_running;

static void s_setup(void)
{
    s_dir = vt_tmpdir("follow");
    cr_assert_not_null(s_dir);
    snprintf(s_db, sizeof s_db, "%s/voc.db", s_dir);
    snprintf(s_plog, sizeof s_plog, "%s/processor.log", s_dir);
    snprintf(s_outbox, sizeof s_outbox, "%s/outbox.db", s_dir);
    snprintf(s_state, sizeof s_state, "%s/outbox.follow.db", s_dir);
    snprintf(s_ipc, sizeof s_ipc, "ipc://%s/processor.sock", s_dir);
    snprintf(s_drop, sizeof s_drop, "%s/drop", s_dir);
    snprintf(s_out, sizeof s_out, "%s/follow.out", s_dir);
    snprintf(s_err, sizeof s_err, "%s/follow.err", s_dir);
}

static void s_teardown(void)
{
    if (s_follower_running) vt_stop(&s_follower, SIGKILL, 5000);
    if (s_proc_running) vt_stop(&s_proc, SIGKILL, 5000);
    s_follower_running = s_proc_running = false;
    vt_rmtree(s_dir);
    free(s_dir);
}

TestSuite(follow, .init = s_setup, .fini = s_teardown, .timeout = 240);

static size_t s_occurrences(const char *path, const char *needle)
{
    char *text = vt_read_file(path);
    size_t n = 0;
    for (char *p = text; p && (p = strstr(p, needle)); p++)
        n++;
    free(text);
    return n;
}

/* Poll until path holds more than `before` copies of needle. */
static bool s_wait_for_count(const char *path, const char *needle, size_t before, int timeout_ms)
{
    struct timespec nap = {0, 20 * 1000000L};
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        if (s_occurrences(path, needle) > before) return true;
        nanosleep(&nap, NULL);
    }
    return false;
}

static void s_start_processor(void)
{
    char *bin = vt_bin("voc-processor");
    char *rules = vt_data("pipeline.rules.json");
    char *argv[] = {bin, "--db", s_db, "--listen", s_ipc, "--rules", rules, NULL};
    size_t before = s_occurrences(s_plog, "ready db=");
    cr_assert_eq(vt_spawn(&s_proc, argv, NULL, s_plog), 0);
    s_proc_running = true;
    cr_assert(s_wait_for_count(s_plog, "ready db=", before, S_DEADLINE_MS),
              "voc-processor did not become ready");
    free(bin);
    free(rules);
}

static void s_stop_processor(void)
{
    cr_assert_eq(vt_stop(&s_proc, SIGTERM, 20000), 0, "voc-processor did not exit 0");
    s_proc_running = false;
}

static void s_start_follower(void)
{
    char *bin = vt_bin("voc-collect");
    char *argv[] = {bin,        "file",   "--follow",      s_drop, "--connect", s_ipc,
                    "--outbox", s_outbox, "--ack-timeout", "2000", "--json",    NULL};
    size_t before = s_occurrences(s_err, "voc-collect: following ");
    cr_assert_eq(vt_spawn(&s_follower, argv, s_out, s_err), 0);
    s_follower_running = true;
    cr_assert(s_wait_for_count(s_err, "voc-collect: following ", before, S_DEADLINE_MS),
              "the follower did not start");
    free(bin);
}

static void s_stop_follower(void)
{
    cr_assert_eq(vt_stop(&s_follower, SIGTERM, 20000), 0, "voc-collect did not exit 0");
    s_follower_running = false;
}

static int64_t s_count(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static bool s_wait_count(const char *db, const char *sql, int64_t want, int timeout_ms)
{
    struct timespec nap = {0, 20 * 1000000L};
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        struct stat st;
        if (stat(db, &st) == 0 && s_count(db, sql) == want) return true;
        nanosleep(&nap, NULL);
    }
    return false;
}

static char *s_path(const char *rel)
{
    size_t n = strlen(s_drop) + strlen(rel) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", s_drop, rel);
    return p;
}

static void s_write_file(const char *path, const char *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp, "%s", path);
    cr_assert_eq(fwrite(data, 1, len, fp), len);
    cr_assert_eq(fclose(fp), 0);
}

/* Put a sample export into the drop folder: written in place (the
 * follower waits for the close), or written under a dot name and renamed
 * in, as careful uploaders do. */
static void s_drop_sample(const char *sample, const char *name, bool rename_in)
{
    char *rel = malloc(strlen(sample) + 16);
    sprintf(rel, "exports/%s", sample);
    char *src = vt_data(rel);
    char *data = vt_read_file(src);
    cr_assert_not_null(data, "%s", src);
    char *dst = s_path(name);
    if (rename_in) {
        char *tmp_name = malloc(strlen(name) + 8);
        sprintf(tmp_name, ".%s.part", name);
        char *tmp = s_path(tmp_name);
        s_write_file(tmp, data, strlen(data));
        cr_assert_eq(rename(tmp, dst), 0);
        free(tmp);
        free(tmp_name);
    } else {
        s_write_file(dst, data, strlen(data));
    }
    free(dst);
    free(data);
    free(src);
    free(rel);
}

static void s_expect_landed(const char *rel)
{
    char *p = s_path(rel);
    cr_assert(vt_wait_for_path(p, S_DEADLINE_MS), "%s did not appear", p);
    free(p);
}

static void s_expect_gone(const char *name)
{
    char *p = s_path(name);
    struct stat st;
    cr_assert_neq(lstat(p, &st), 0, "%s is still in the folder", p);
    free(p);
}

#define S_QUALTRICS_ITEMS "SELECT count(*) FROM items WHERE source = 'qualtrics'"

Test(follow, imports_once_moves_and_refuses_outside_paths)
{
    s_start_processor();
    cr_assert_eq(mkdir(s_drop, 0700), 0);
    /* A file already there when the follower starts is imported too. */
    s_drop_sample("qualtrics_nps.csv", "qualtrics.csv", false);
    s_start_follower();

    /* Garbage that no format can read: failed/, with the reason beside it. */
    char *garbage = s_path("garbage.dat");
    s_write_file(garbage, "PK\x03\x04\x14\x00\x08\x00\x00\x00\xff\xfe", 12);
    free(garbage);

    s_expect_landed("done/qualtrics.csv");
    s_expect_gone("qualtrics.csv");
    s_expect_landed("failed/garbage.dat.reason");
    s_expect_landed("failed/garbage.dat");
    char *reason_path = s_path("failed/garbage.dat.reason");
    char *reason = vt_read_file(reason_path);
    cr_assert(reason && strstr(reason, "binary data"), "reason: %s", reason ? reason : "");
    free(reason);
    free(reason_path);

    /* Four responses stored, the one with a score and no text as a
     * score-only item (NPS counts it). */
    cr_assert_eq(s_count(s_db, S_QUALTRICS_ITEMS), 4);
    cr_assert_eq(s_count(s_db, "SELECT count(*) FROM items WHERE source = 'qualtrics' AND "
                               "kind = 'nps' AND score IS NOT NULL"),
                 3);
    cr_assert_eq(s_count(s_db, "SELECT count(*) FROM items WHERE uid LIKE '%R_3QrStUvWxYzAbCd%'"
                               " AND text = ''"),
                 1);
    cr_assert(s_wait_for_count(s_out, "\"status\":\"done\"", 0, S_DEADLINE_MS));
    cr_assert_eq(s_occurrences(s_out, "\"rejected\":0"), 1);

    /* The same content again under another name: nothing new, done/. */
    s_drop_sample("qualtrics_nps.csv", "copy.csv", true);
    s_expect_landed("done/copy.csv");
    cr_assert(s_wait_for_count(s_out, "\"status\":\"duplicate\"", 0, S_DEADLINE_MS));
    cr_assert_eq(s_count(s_db, S_QUALTRICS_ITEMS), 4);

    /* Links to files outside the folder are refused, never read: the link
     * is moved to failed/ with a reason; its target is untouched. */
    char *outside = malloc(strlen(s_dir) + 32);
    sprintf(outside, "%s/outside.jsonl", s_dir);
    const char secret[] = "{\"uid\":\"secret-1\",\"text\":\"a private file outside the folder\"}\n";
    s_write_file(outside, secret, sizeof secret - 1);
    char *link_path = s_path("link.jsonl");
    cr_assert_eq(symlink(outside, link_path), 0);
    char *hard_path = s_path("hard.jsonl");
    cr_assert_eq(link(outside, hard_path), 0);
    s_expect_landed("failed/link.jsonl.reason");
    s_expect_landed("failed/hard.jsonl.reason");
    reason_path = s_path("failed/link.jsonl.reason");
    reason = vt_read_file(reason_path);
    cr_assert(reason && strstr(reason, "symbolic link"), "reason: %s", reason ? reason : "");
    free(reason);
    free(reason_path);
    char *moved_link = s_path("failed/link.jsonl");
    struct stat st;
    cr_assert_eq(lstat(moved_link, &st), 0);
    cr_assert(S_ISLNK(st.st_mode), "the link itself was moved");
    free(moved_link);
    char *kept = vt_read_file(outside);
    cr_assert_str_eq(kept, secret);
    free(kept);
    cr_assert_eq(s_count(s_db, "SELECT count(*) FROM items WHERE uid LIKE '%secret%'"), 0);
    cr_assert_eq(s_count(s_db, "SELECT count(*) FROM dead_letters WHERE CAST(payload AS TEXT) "
                               "LIKE '%secret%'"),
                 0);
    free(link_path);
    free(hard_path);
    free(outside);

    /* Stopped, then two files arrive: a new export and the same Qualtrics
     * content once more. A restart imports the new one, remembers the old. */
    s_stop_follower();
    s_drop_sample("zendesk_tickets.json", "tickets.json", false);
    s_drop_sample("qualtrics_nps.csv", "again.csv", false);
    size_t done_before = s_occurrences(s_out, "\"status\":\"done\"");
    s_start_follower();
    s_expect_landed("done/tickets.json");
    s_expect_landed("done/again.csv");
    cr_assert(s_wait_for_count(s_out, "\"status\":\"done\"", done_before, S_DEADLINE_MS));
    cr_assert_eq(s_occurrences(s_out, "\"status\":\"done\""), done_before + 1);
    cr_assert_eq(s_occurrences(s_out, "\"status\":\"duplicate\""), 2);
    cr_assert_eq(s_count(s_db, S_QUALTRICS_ITEMS), 4);
    cr_assert_eq(s_count(s_db, "SELECT count(*) FROM items WHERE source = 'zendesk' AND "
                               "kind = 'ticket'"),
                 2);
    cr_assert_eq(s_count(s_state, "SELECT count(*) FROM follow_files WHERE state = 'done'"), 2);

    s_stop_follower();
    s_stop_processor();
    /* Everything was delivered: the outbox is empty. */
    cr_assert_eq(s_count(s_outbox, "SELECT count(*) FROM outbox"), 0);
}

Test(follow, a_file_queued_while_the_processor_is_down_is_delivered_after_a_restart)
{
    cr_assert_eq(mkdir(s_drop, 0700), 0);
    s_start_follower(); /* no processor yet */
    s_drop_sample("typeform_responses.csv", "typeform.csv", false);
    /* Its items go to the outbox and the file is remembered as queued; it
     * stays in the folder until they are acked. */
    cr_assert(s_wait_count(s_state, "SELECT count(*) FROM follow_files WHERE state = 'queued'", 1,
                           S_DEADLINE_MS));
    cr_assert_eq(s_count(s_outbox, "SELECT count(*) FROM outbox"), 3);
    s_stop_follower();
    char *still = s_path("typeform.csv");
    struct stat st;
    cr_assert_eq(stat(still, &st), 0, "the file stays until its items are acked");
    free(still);

    /* Restarted with the processor up: delivered from the outbox, not read
     * again, then moved. */
    s_start_processor();
    s_start_follower();
    s_expect_landed("done/typeform.csv");
    cr_assert_eq(s_count(s_db, "SELECT count(*) FROM items WHERE source = 'typeform'"), 2);
    cr_assert_eq(s_count(s_db, "SELECT count(*) FROM dead_letters WHERE CAST(payload AS TEXT) "
                               "LIKE '%typeform:ffeeddcc%'"),
                 1);
    cr_assert_eq(s_count(s_outbox, "SELECT count(*) FROM outbox"), 0);
    cr_assert_eq(s_count(s_state, "SELECT count(*) FROM follow_files WHERE state = 'done'"), 1);
    char *err = vt_read_file(s_err);
    cr_assert(strstr(err, "queued by an earlier run"), "%s", err);
    free(err);
    s_stop_follower();
    s_stop_processor();
}
