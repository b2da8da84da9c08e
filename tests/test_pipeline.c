/* test_pipeline.c: the whole pipeline end to end. Starts the real
 * voc-processor, runs the real voc-collect over ipc:// and tcp://127.0.0.1
 * into a real SQLite file, and checks the store and `voc top` against
 * counts known from how the input was written. */
#include "tests/support/proc.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *s_dir;
static char s_db[256], s_log[256], s_outbox[256], s_ipc[300];
static vt_proc s_proc;
static bool s_running;

static void s_setup(void)
{
    s_dir = vt_tmpdir("pipeline");
    cr_assert_not_null(s_dir);
    snprintf(s_db, sizeof s_db, "%s/voc.db", s_dir);
    snprintf(s_log, sizeof s_log, "%s/processor.log", s_dir);
    snprintf(s_outbox, sizeof s_outbox, "%s/outbox.db", s_dir);
    snprintf(s_ipc, sizeof s_ipc, "ipc://%s/processor.sock", s_dir);
}

static void s_teardown(void)
{
    if (s_running) vt_stop(&s_proc, SIGKILL, 5000);
    s_running = false;
    vt_rmtree(s_dir);
    free(s_dir);
}

TestSuite(pipeline, .init = s_setup, .fini = s_teardown, .timeout = 300);

static void s_start_processor(const char *endpoint)
{
    char *bin = vt_bin("voc-processor");
    char *rules = vt_data("pipeline.rules.json");
    char *argv[] = {
        bin, "--db", s_db, "--listen", (char *)endpoint, "--rules", rules, "--stats-interval",
        "1", NULL};
    size_t before = 0;
    char *old = vt_read_file(s_log);
    if (old) {
        /* Restarts append to the same log: wait for a new "ready" line. */
        for (char *p = old; (p = strstr(p, "ready db=")); p++)
            before++;
        free(old);
    }
    cr_assert_eq(vt_spawn(&s_proc, argv, NULL, s_log), 0);
    s_running = true;
    bool ready = false;
    for (int i = 0; i < 500 && !ready; i++) {
        vt_wait_for_text(s_log, "ready db=", 20);
        char *log = vt_read_file(s_log);
        size_t n = 0;
        for (char *p = log; p && (p = strstr(p, "ready db=")); p++)
            n++;
        ready = n > before;
        free(log);
        cr_assert_lt(vt_wait(&s_proc, 0), 0, "voc-processor exited early");
    }
    cr_assert(ready, "voc-processor did not become ready");
    free(bin);
    free(rules);
}

static void s_stop_processor_cleanly(void)
{
    cr_assert_eq(vt_stop(&s_proc, SIGTERM, 20000), 0, "voc-processor did not exit 0 on SIGTERM");
    s_running = false;
    char *log = vt_read_file(s_log);
    cr_assert(strstr(log, "stopped cleanly") != NULL, "log: %s", log);
    free(log);
}

/* voc-collect file PATH --connect EP --outbox ... --json [extra...] */
static int s_collect(const char *path, const char *endpoint, char **out, const char *const *extra)
{
    char *bin = vt_bin("voc-collect");
    char *argv[32] = {bin,        "file",   (char *)path, "--connect",     (char *)endpoint,
                      "--outbox", s_outbox, "--json",     "--ack-timeout", "2000"};
    size_t n = 10;
    for (size_t i = 0; extra && extra[i]; i++)
        argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    char *err = NULL;
    int st = vt_run(argv, 240000, out, &err);
    if (st != 0) fprintf(stderr, "voc-collect exited %d: %s\n", st, err ? err : "");
    free(err);
    free(bin);
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

static double s_num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    cr_assert(cJSON_IsNumber(v), "no number '%s'", k);
    return v->valuedouble;
}

/* n items; item i mentions a refund when i % 3 == 0, "charged twice" when
 * i % 10 == 0, slowness when i % 5 == 0, an agent when i % 7 == 0. */
static char *s_write_corpus(const char *name, int n, int first)
{
    char *path = malloc(strlen(s_dir) + strlen(name) + 2);
    sprintf(path, "%s/%s", s_dir, name);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    for (int k = 0; k < n; k++) {
        int i = first + k;
        char text[256] = "";
        strcat(text, "Customer ");
        if (i % 3 == 0) strcat(text, "wants a REFUND for last month. ");
        if (i % 10 == 0) strcat(text, "I was charged twice! ");
        if (i % 5 == 0) strcat(text, "The dashboard is slow. ");
        if (i % 7 == 0) strcat(text, "The agents were kind. ");
        strcat(text, "Thanks \xe2\x80\x94 caf\xc3\xa9.");
        fprintf(fp,
                "{\"uid\":\"t-%d\",\"source\":\"test\",\"kind\":\"%s\",\"created_at\":"
                "\"2026-0%d-1%dT10:00:00Z\",\"attrs\":{\"plan\":\"%s\"},%s\"text\":\"%s\"}\n",
                i, i % 2 ? "nps" : "ticket", 1 + i % 9, i % 10, i % 4 ? "pro" : "free",
                i % 2 ? (i % 11 ? "\"score\":9," : "\"score\":2,") : "", text);
    }
    fclose(fp);
    return path;
}

static int s_expected(int n, int every)
{
    return (n + every - 1) / every;
}

static void s_check_top(int n)
{
    char *bin = vt_bin("voc");
    char *argv[] = {bin, "top", "--db", s_db, "--limit", "0", "--format", "json", NULL};
    char *out = NULL;
    cr_assert_eq(vt_run(argv, 60000, &out, NULL), 0);
    cJSON *arr = cJSON_Parse(out);
    cr_assert(cJSON_IsArray(arr), "voc top --format json: %s", out);
    /* every 3rd, every 10th (+ implied parent, already counted), every 5th,
     * every 7th */
    struct {
        const char *theme;
        int count;
    } want[] = {{"billing", s_expected(n, 3) + s_expected(n, 10) - s_expected(n, 30)},
                {"performance", s_expected(n, 5)},
                {"support", s_expected(n, 7)},
                {"billing.double_charge", s_expected(n, 10)}};
    cr_assert_eq(cJSON_GetArraySize(arr), 4, "%s", out);
    for (size_t w = 0; w < 4; w++) {
        bool found = false;
        const cJSON *row;
        cJSON_ArrayForEach(row, arr)
        {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(row, "theme");
            if (!cJSON_IsString(t) || strcmp(t->valuestring, want[w].theme)) continue;
            found = true;
            cr_assert_eq((int)s_num(row, "items"), want[w].count, "%s", want[w].theme);
            cr_assert_float_eq(s_num(row, "share"), (double)want[w].count / n, 1e-9);
            const cJSON *q = cJSON_GetObjectItemCaseSensitive(row, "quote");
            cr_assert(cJSON_IsString(q) && strlen(q->valuestring) > 10);
        }
        cr_assert(found, "theme %s missing from %s", want[w].theme, out);
    }
    /* Ranked by items, descending. */
    int prev = 1 << 30;
    const cJSON *row;
    cJSON_ArrayForEach(row, arr)
    {
        int items = (int)s_num(row, "items");
        cr_assert_leq(items, prev);
        prev = items;
    }
    cJSON_Delete(arr);
    free(out);
    free(bin);
}

static cJSON *s_summary(const char *out)
{
    cJSON *o = cJSON_Parse(out);
    cr_assert(cJSON_IsObject(o), "summary is not JSON: %s", out ? out : "(none)");
    return o;
}

static void s_import_10k(const char *endpoint)
{
    const int n = 10000;
    char *path = s_write_corpus("items.jsonl", n, 0);
    char *out = NULL;
    cr_assert_eq(s_collect(path, endpoint, &out, NULL), 0);
    cJSON *sum = s_summary(out);
    cr_assert_eq(s_num(sum, "read"), n);
    cr_assert_eq(s_num(sum, "stored"), n);
    cr_assert_eq(s_num(sum, "inserted"), n);
    cr_assert_eq(s_num(sum, "rejected"), 0);
    cr_assert_eq(s_num(sum, "left_in_outbox"), 0);
    cJSON_Delete(sum);
    free(out);
    cr_assert_eq(s_count("SELECT count(*) FROM items"), n);
    cr_assert_eq(s_count("SELECT count(DISTINCT uid) FROM items"), n);
    cr_assert_eq(s_count("SELECT count(*) FROM items WHERE kind = 'nps' AND score IS NOT NULL"),
                 n / 2);
    s_check_top(n);

    /* The same file again: nothing new, still exactly n rows. */
    cr_assert_eq(s_collect(path, endpoint, &out, NULL), 0);
    sum = s_summary(out);
    cr_assert_eq(s_num(sum, "duplicates"), n);
    cr_assert_eq(s_num(sum, "inserted"), 0);
    cJSON_Delete(sum);
    free(out);
    cr_assert_eq(s_count("SELECT count(*) FROM items"), n);
    s_check_top(n);
    free(path);
}

Test(pipeline, ipc_10k_items_idempotent_with_top)
{
    s_start_processor(s_ipc);
    s_import_10k(s_ipc);
    s_stop_processor_cleanly();
}

Test(pipeline, tcp_10k_items_idempotent_with_top)
{
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", vt_free_port());
    s_start_processor(ep);
    s_import_10k(ep);
    s_stop_processor_cleanly();
}

Test(pipeline, malformed_lines_are_dead_lettered_with_reasons)
{
    char path[512];
    snprintf(path, sizeof path, "%s/mixed.jsonl", s_dir);
    FILE *fp = fopen(path, "w");
    const char *bad[10] = {
        "this is not json",
        "{\"text\": \"truncated",
        "[{\"text\":\"array\"}]",
        "{\"uid\":\"no-text\"}",
        "{\"text\":\"   \"}",
        "{\"text\":\"score\",\"kind\":\"nps\",\"score\":14}",
        "{\"text\":\"when\",\"created_at\":\"yesterday-ish\"}",
        "{\"text\":\"bad \xff byte\"}",
        "{\"text\":\"nul \\u0000 inside\"}",
        "{\"text\":\"kind\",\"kind\":\"complaint\"}",
    };
    const char *reasons[10] = {
        "not valid JSON",   "not valid JSON",      "must be a JSON object",
        "text: missing",    "text: empty",         "score: 14 is out of range",
        "created_at:",      "text: invalid UTF-8", "text: contains an escaped NUL",
        "kind: 'complaint'"};
    for (int i = 0; i < 100; i++) {
        fprintf(fp, "{\"uid\":\"good-%d\",\"text\":\"a refund for item %d\"}\n", i, i);
        if (i % 10 == 4) fprintf(fp, "%s\n", bad[i / 10]);
    }
    fclose(fp);
    s_start_processor(s_ipc);
    char *out = NULL;
    cr_assert_eq(s_collect(path, s_ipc, &out, NULL), 0, "exit 0 once every item is acked");
    cJSON *sum = s_summary(out);
    cr_assert_eq(s_num(sum, "read"), 110);
    cr_assert_eq(s_num(sum, "stored"), 100);
    cr_assert_eq(s_num(sum, "rejected"), 10);
    const cJSON *rejects = cJSON_GetObjectItemCaseSensitive(sum, "rejects");
    cr_assert_eq(cJSON_GetArraySize(rejects), 10);
    for (int i = 0; i < 10; i++) {
        const cJSON *r = cJSON_GetArrayItem(rejects, i);
        const char *origin = cJSON_GetObjectItemCaseSensitive(r, "origin")->valuestring;
        const char *reason = cJSON_GetObjectItemCaseSensitive(r, "reason")->valuestring;
        char want_origin[64];
        /* bad line i sits after good line 10*i+4, i.e. at line 11*i+6 */
        snprintf(want_origin, sizeof want_origin, "mixed.jsonl:%d", 11 * i + 6);
        cr_assert_str_eq(origin, want_origin);
        cr_assert(strstr(reason, reasons[i]) != NULL, "line %s: '%s' lacks '%s'", origin, reason,
                  reasons[i]);
    }
    cJSON_Delete(sum);
    free(out);
    cr_assert_eq(s_count("SELECT count(*) FROM items"), 100);
    cr_assert_eq(s_count("SELECT count(*) FROM dead_letters"), 10);
    cr_assert_eq(s_count("SELECT count(*) FROM dead_letters WHERE reason LIKE '%not valid JSON%'"),
                 2);
    cr_assert_eq(s_count("SELECT count(*) FROM dead_letters WHERE length(payload) > 0"), 10);
    cr_assert_eq(s_count("SELECT count(*) FROM dead_letters WHERE "
                         "CAST(payload AS TEXT) = 'this is not json'"),
                 1);
    /* The human summary names them too. */
    char *bin = vt_bin("voc-collect");
    char *argv[] = {bin, "file", path, "--connect", s_ipc, "--outbox", s_outbox, NULL};
    cr_assert_eq(vt_run(argv, 60000, &out, NULL), 0);
    cr_assert(strstr(out, "rejected 10") != NULL, "%s", out);
    cr_assert(strstr(out, "mixed.jsonl:6: not valid JSON") != NULL, "%s", out);
    cr_assert(strstr(out, "duplicates 100") != NULL, "%s", out);
    free(out);
    free(bin);
    s_stop_processor_cleanly();
    cr_assert_eq(s_count("SELECT count(*) FROM dead_letters"), 10, "resent rejects kept once");
}

Test(pipeline, waits_for_processor_and_survives_its_crash)
{
    const int n = 20000;
    char *path = s_write_corpus("big.jsonl", n, 100000);
    char *bin = vt_bin("voc-collect");
    char out_path[512], err_path[512];
    snprintf(out_path, sizeof out_path, "%s/collect.out", s_dir);
    snprintf(err_path, sizeof err_path, "%s/collect.err", s_dir);
    char *argv[] = {bin,      "file",    path,  "--connect", s_ipc, "--outbox",      s_outbox,
                    "--json", "--batch", "100", "--window",  "2",   "--ack-timeout", "1000",
                    NULL};
    /* The collector starts before the processor exists. */
    vt_proc c;
    cr_assert_eq(vt_spawn(&c, argv, out_path, err_path), 0);
    cr_assert_lt(vt_wait(&c, 1000), 0, "collector must wait for the processor");
    s_start_processor(s_ipc);
    /* Let some batches land, then crash the processor without warning. */
    for (int i = 0; i < 1000 && s_count("SELECT count(*) FROM items") < 2000; i++)
        vt_wait(&c, 10);
    cr_assert_eq(vt_stop(&s_proc, SIGKILL, 5000), 128 + SIGKILL);
    s_running = false;
    int64_t at_crash = s_count("SELECT count(*) FROM items");
    cr_assert_gt(at_crash, 0);
    s_start_processor(s_ipc);
    int st = vt_wait(&c, 240000);
    char *err = vt_read_file(err_path);
    cr_assert_eq(st, 0, "collector exit %d: %s", st, err);
    free(err);
    char *out = vt_read_file(out_path);
    cJSON *sum = s_summary(out);
    cr_assert_eq(s_num(sum, "read"), n);
    cr_assert_eq(s_num(sum, "left_in_outbox"), 0);
    cJSON_Delete(sum);
    free(out);
    /* Batches whose ACK died with the processor were resent: stored once. */
    cr_assert_eq(s_count("SELECT count(*) FROM items"), n);
    cr_assert_eq(s_count("SELECT count(DISTINCT item_id) FROM item_themes WHERE theme = "
                         "'performance'"),
                 s_expected(n, 5));
    s_stop_processor_cleanly();
    free(path);
    free(bin);
}

Test(pipeline, csv_with_mapping_bom_crlf_and_quotes)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tickets.csv", s_dir);
    FILE *fp = fopen(path, "wb");
    fputs("\xEF\xBB\xBFResponse ID,Date,Plan,NPS,Comment\r\n"
          "R1,2026-05-01 09:30:00,pro,3,\"Refund, please: I was \"\"charged twice\"\"\r\n"
          "and nobody answered\"\r\n"
          "R2,2026-05-02,free,,The page is slow\r\n"
          "R3,2026-05-03,free,10,\r\n"
          "R4,not a date,pro,8,An agent helped\r\n",
          fp);
    fclose(fp);
    s_start_processor(s_ipc);
    char *out = NULL;
    const char *extra[] = {
        "--kind",   "nps",
        "--source", "helpdesk",
        "--map",    "uid=Response ID,created_at=Date,score=NPS,text=Comment,attr:plan=Plan",
        NULL};
    cr_assert_eq(s_collect(path, s_ipc, &out, extra), 0);
    cJSON *sum = s_summary(out);
    cr_assert_eq(s_num(sum, "read"), 4);
    cr_assert_eq(s_num(sum, "stored"), 3);
    cr_assert_eq(s_num(sum, "rejected"), 1);
    const cJSON *rejects = cJSON_GetObjectItemCaseSensitive(sum, "rejects");
    const char *o0 =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rejects, 0), "origin")->valuestring;
    cr_assert_str_eq(o0, "tickets.csv:row 5 (line 6)", "row of the bad date (R4)");
    cJSON_Delete(sum);
    free(out);
    cr_assert_eq(s_count("SELECT count(*) FROM items WHERE uid = 'helpdesk:R1' AND score = 3 AND "
                         "kind = 'nps' AND json_extract(attrs, '$.plan') = 'pro' AND "
                         "text = 'Refund, please: I was \"charged twice\"' || char(10) || "
                         "'and nobody answered' AND created_at = 1777627800"),
                 1);
    cr_assert_eq(s_count("SELECT count(*) FROM items WHERE uid = 'helpdesk:R2' AND score IS NULL"),
                 1);
    /* R3: a score and no comment is a score-only item. */
    cr_assert_eq(s_count("SELECT count(*) FROM items WHERE uid = 'helpdesk:R3' AND score = 10 AND "
                         "text = ''"),
                 1);
    cr_assert_eq(s_count("SELECT count(*) FROM item_themes t JOIN items i ON i.id = t.item_id "
                         "WHERE i.uid = 'helpdesk:R1' AND t.theme IN ('billing', "
                         "'billing.double_charge')"),
                 2);
    s_stop_processor_cleanly();
}
