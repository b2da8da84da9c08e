/* test_theme_tools.c: the theme tools a CS lead uses, run as real
 * commands: voc rules check / test / eval on files and stdin, and voc show
 * and voc retag on a database filled by the real processor and collector. */
#include "tests/support/proc.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *s_dir;

static void s_setup(void)
{
    s_dir = vt_tmpdir("themetools");
}
static void s_teardown(void)
{
    vt_rmtree(s_dir);
    free(s_dir);
}

TestSuite(theme_tools, .init = s_setup, .fini = s_teardown, .timeout = 120);

static char *s_path(const char *name)
{
    char *p = malloc(strlen(s_dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", s_dir, name);
    return p;
}

static void s_write(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Run voc with args; stdin from in_path when not NULL. */
static int s_voc(char **out, const char *in_path, const char *const *args)
{
    char *bin = vt_bin("voc");
    char cmd[4096];
    int n = snprintf(cmd, sizeof cmd, "'%s'", bin);
    for (size_t i = 0; args[i]; i++)
        n += snprintf(cmd + n, sizeof cmd - (size_t)n, " '%s'", args[i]);
    if (in_path) n += snprintf(cmd + n, sizeof cmd - (size_t)n, " < '%s'", in_path);
    char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    int st = vt_run(argv, 60000, out, NULL);
    free(bin);
    return st;
}

Test(theme_tools, check_reports_each_problem_and_fails)
{
    char *bad = s_path("bad.json");
    s_write(bad, "{\"name\":\"lint\",\"themes\":["
                 "{\"id\":\"empty\",\"patterns\":[\"\\\\bfoo|\"]},"
                 "{\"id\":\"unreachable\",\"threshold\":3,\"keywords\":{\"slow\":1}},"
                 "{\"id\":\"evil\",\"patterns\":[\"(a+)+$\"]},"
                 "{\"id\":\"ok\",\"patterns\":[\"\\\\bfine\\\\b\"]}]}");
    char *out = NULL;
    const char *a1[] = {"rules", "check", bad, "--format", "json", NULL};
    cr_assert_eq(s_voc(&out, NULL, a1), 1);
    cJSON *res = cJSON_Parse(out);
    cr_assert_not_null(res, "%s", out);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(res, "ok")));
    cJSON *probs = cJSON_GetObjectItem(res, "problems"), *p;
    const char *want[] = {"empty", "unreachable", "evil"};
    cr_assert_eq(cJSON_GetArraySize(probs), 3, "%s", out);
    int i = 0;
    cJSON_ArrayForEach(p, probs)
        cr_assert_str_eq(cJSON_GetObjectItem(p, "theme")->valuestring, want[i++]);
    cJSON_Delete(res);
    free(out);

    /* A typo: the error names the theme, the key and the nearest known key. */
    s_write(bad, "{\"themes\":[{\"id\":\"billing\",\"keywrods\":{\"refund\":1}}]}");
    const char *a2[] = {"rules", "check", bad, NULL};
    cr_assert_eq(s_voc(&out, NULL, a2), 1);
    cr_assert(strstr(out, "theme \"billing\"") && strstr(out, "\"keywrods\"") &&
                  strstr(out, "did you mean \"keywords\""),
              "%s", out);
    free(out);

    char *good = vt_data("rules/engine.rules.json");
    const char *a3[] = {"rules", "check", good, NULL};
    cr_assert_eq(s_voc(&out, NULL, a3), 0, "%s", out);
    cr_assert(strstr(out, "0 problems"), "%s", out);
    free(out);
    free(good);
    free(bad);
}

Test(theme_tools, test_prints_one_json_object_per_line_in_order)
{
    char *in = s_path("in.jsonl");
    s_write(in, "{\"text\": \"I want my money back, the app is slow and lagging\"}\n"
                "\n"
                "{\"text\": \"The agent was rude\", \"kind\": \"ticket\"}\n"
                "{\"text\": \"I love it\"}\n");
    char *rules = vt_data("rules/engine.rules.json");
    const char *args[] = {"rules", "test", rules, "--format", "json", NULL};
    char *out = NULL;
    cr_assert_eq(s_voc(&out, in, args), 0, "%s", out);
    const char *want[3][3] = {{"billing", "billing.refund", "performance"},
                              {"support", NULL, NULL},
                              {"praise", NULL, NULL}};
    int line = 0;
    for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"), line++) {
        cr_assert_lt(line, 3);
        cJSON *o = cJSON_Parse(l);
        cr_assert_not_null(o, "%s", l);
        cJSON *themes = cJSON_GetObjectItem(o, "themes"), *t;
        int k = 0;
        cJSON_ArrayForEach(t, themes)
        {
            cr_assert_str_eq(cJSON_GetObjectItem(t, "id")->valuestring, want[line][k]);
            cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(t, "score")));
            cJSON *ev = cJSON_GetObjectItem(t, "evidence");
            cr_assert_gt(cJSON_GetArraySize(ev), 0);
            k++;
        }
        cr_assert(k == 3 || want[line][k] == NULL, "line %d: %d themes", line, k);
        cJSON *s = cJSON_GetObjectItem(o, "sentiment");
        cr_assert(cJSON_IsNumber(s));
        if (line == 2) cr_assert_gt(s->valuedouble, 0);
        cJSON_Delete(o);
    }
    cr_assert_eq(line, 3);
    free(out);

    /* --text, human format: evidence with the matched words. */
    const char *a2[] = {"rules", "test", rules, "--text", "They charged me twice", NULL};
    cr_assert_eq(s_voc(&out, NULL, a2), 0);
    cr_assert(strstr(out, "billing.double_charge") && strstr(out, "\"charged me twice\""), "%s",
              out);
    free(out);
    free(rules);
    free(in);
}

static double s_get(cJSON *o, const char *path1, const char *path2)
{
    cJSON *x = cJSON_GetObjectItem(o, path1);
    if (path2) x = cJSON_GetObjectItem(x, path2);
    cr_assert(cJSON_IsNumber(x), "%s.%s", path1, path2 ? path2 : "");
    return x->valuedouble;
}

Test(theme_tools, eval_computes_precision_recall_f1)
{
    char *rules = vt_data("rules/engine.rules.json");
    char *labeled = vt_data("rules/engine.labeled.jsonl");
    const char *args[] = {"rules", "eval", rules, "--labeled", labeled, "--format", "json", NULL};
    char *out = NULL;
    cr_assert_eq(s_voc(&out, NULL, args), 0, "%s", out);
    cJSON *o = cJSON_Parse(out);
    cr_assert_not_null(o, "%s", out);
    cr_assert_eq(s_get(o, "examples", NULL), 8);
    /* By construction of engine.labeled.jsonl: performance is missed once
     * ("forever to load": loading alone is half the threshold) and praise
     * fires once where not labeled ("Great, another invoice error"). */
    cJSON *t;
    bool seen_perf = false, seen_praise = false;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(o, "themes"))
    {
        const char *id = cJSON_GetObjectItem(t, "id")->valuestring;
        if (strcmp(id, "performance") == 0) {
            seen_perf = true;
            cr_assert_eq(s_get(t, "tp", NULL), 1);
            cr_assert_eq(s_get(t, "fn", NULL), 1);
            cr_assert_float_eq(s_get(t, "recall", NULL), 0.5, 1e-9);
        }
        if (strcmp(id, "praise") == 0) {
            seen_praise = true;
            cr_assert_eq(s_get(t, "fp", NULL), 1);
            cr_assert_float_eq(s_get(t, "precision", NULL), 0.5, 1e-9);
        }
    }
    cr_assert(seen_perf && seen_praise);
    /* Micro: labels expand to parents (billing.refund implies billing). */
    double p = s_get(o, "micro", "precision"), r = s_get(o, "micro", "recall");
    cr_assert_float_eq(s_get(o, "micro", "f1"), 2 * p * r / (p + r), 1e-9);
    cr_assert_lt(r, 1.0);
    cr_assert_lt(p, 1.0);
    cJSON *fps = cJSON_GetObjectItem(o, "false_positives");
    cr_assert_eq(cJSON_GetArraySize(fps), 1);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(fps, 0), "theme")->valuestring,
                     "praise");
    cJSON_Delete(o);
    free(out);
    free(rules);
    free(labeled);
}

static int64_t s_count(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

Test(theme_tools, show_and_retag_on_a_real_store)
{
    char *db = s_path("voc.db"), *log = s_path("proc.log"), *ob = s_path("outbox.db");
    char *sock = s_path("p.sock");
    char ep[512];
    snprintf(ep, sizeof ep, "ipc://%s", sock);
    char *proc_bin = vt_bin("voc-processor"), *coll = vt_bin("voc-collect");
    char *rules_a = vt_data("pipeline.rules.json"), *rules_b = vt_data("rules/engine.rules.json");
    char *argv[] = {proc_bin, "--db", db, "--listen", ep, "--rules", rules_a, NULL};
    vt_proc p;
    cr_assert_eq(vt_spawn(&p, argv, NULL, log), 0);
    cr_assert(vt_wait_for_text(log, "ready db=", 10000));

    /* 300 items: every 3rd asks for a refund, every 5th is slow, every
     * 15th is slow and lagging. */
    char *in = s_path("items.jsonl");
    FILE *fp = fopen(in, "w");
    for (int i = 0; i < 300; i++)
        fprintf(
            fp,
            "{\"uid\":\"r-%d\",\"created_at\":\"2026-05-%02dT10:00:00Z\",\"text\":\"%s%s%s ok\"}\n",
            i, 1 + i % 28, i % 3 == 0 ? "I need a refund. " : "", i % 5 == 0 ? "It is slow. " : "",
            i % 15 == 0 ? "So much lagging. " : "");
    fclose(fp);
    char *cargv[] = {coll, "file", in, "--connect", ep, "--outbox", ob, NULL};
    cr_assert_eq(vt_run(cargv, 60000, NULL, NULL), 0);
    cr_assert_eq(vt_stop(&p, SIGTERM, 10000), 0);

    /* voc show: themes with evidence pointing at the words. */
    char *out = NULL;
    const char *s1[] = {"show", "r-15", "--db", db, "--format", "json", NULL};
    cr_assert_eq(s_voc(&out, NULL, s1), 0, "%s", out);
    cJSON *o = cJSON_Parse(out);
    cr_assert_not_null(o, "%s", out);
    cJSON *t;
    int n = 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(o, "themes"))
    {
        cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItem(t, "evidence"), 0);
        const char *id = cJSON_GetObjectItem(t, "id")->valuestring;
        const char *m = cJSON_GetObjectItem(ev, "match")->valuestring;
        if (strcmp(id, "billing") == 0)
            cr_assert_str_eq(m, "refund");
        else if (strcmp(id, "performance") == 0)
            cr_assert_str_eq(m, "slow");
        else
            cr_assert_fail("unexpected theme %s", id);
        n++;
    }
    cr_assert_eq(n, 2);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "rule_set"), "name")->valuestring,
                     "pipeline-test");
    cJSON_Delete(o);
    free(out);
    const char *s2[] = {"show", "r-15", "--db", db, "--color", "never", NULL};
    cr_assert_eq(s_voc(&out, NULL, s2), 0);
    cr_assert(strstr(out, "[refund]") && strstr(out, "[slow]"), "%s", out);
    free(out);
    const char *s3[] = {"show", "no-such-uid", "--db", db, NULL};
    cr_assert_eq(s_voc(&out, NULL, s3), 1);
    free(out);

    cr_assert_eq(s_count(db, "SELECT count(*) FROM item_themes WHERE theme='performance'"), 60);

    /* Retag with the engine rules: performance now needs slow AND lag. In
     * batches of 50, with the tag indexes dropped after the first batch and
     * built again at the end. */
    const char *r1[] = {"retag", "--db",      db,        "--rules", rules_b, "--batch",
                        "50",    "--indexes", "rebuild", "--json",  NULL};
    cr_assert_eq(s_voc(&out, NULL, r1), 0, "%s", out);
    o = cJSON_Parse(out);
    cr_assert_eq(s_get(o, "items", NULL), 300);
    cJSON_Delete(o);
    free(out);
    const char *ix_sql = "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN"
                         " ('item_themes_window', 'item_themes_theme')";
    cr_assert_eq(s_count(db, ix_sql), 2, "the tag indexes are back");
    cr_assert_eq(s_count(db, "SELECT count(*) FROM item_themes WHERE theme='performance'"), 20);
    cr_assert_eq(s_count(db, "SELECT count(*) FROM item_themes WHERE theme='billing.refund'"), 100);
    /* One version everywhere, items and tags alike. */
    cr_assert_eq(s_count(db, "SELECT count(DISTINCT rule_set_id) FROM items"), 1);
    cr_assert_eq(s_count(db, "SELECT count(*) FROM item_themes t JOIN items i ON i.id=t.item_id"
                             " WHERE t.rule_set_id != i.rule_set_id"),
                 0);
    cr_assert_eq(s_count(db, "SELECT count(*) FROM items WHERE sentiment IS NULL"), 0);

    /* Again: nothing left to do (an interrupted retag resumes this way).
     * One killed while the indexes were down left them missing: a writable
     * open builds them. */
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(h, "DROP INDEX item_themes_window; DROP INDEX item_themes_theme",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(h);
    cr_assert_eq(s_count(db, ix_sql), 0);
    /* Readers keep answering meanwhile (no index hint on a missing index). */
    const char *q0[] = {"quotes", "--db", db, "--theme", "billing", "--format", "json", NULL};
    cr_assert_eq(s_voc(&out, NULL, q0), 0, "%s", out);
    cr_assert(strstr(out, "refund"), "%s", out);
    free(out);
    const char *r2[] = {"retag", "--db", db, "--json", NULL};
    cr_assert_eq(s_voc(&out, NULL, r2), 0, "%s", out);
    cr_assert_eq(s_count(db, ix_sql), 2, "the open built the missing indexes");
    o = cJSON_Parse(out);
    cr_assert_eq(s_get(o, "items", NULL), 0, "%s", out);
    cJSON_Delete(o);
    free(out);

    /* A window: only May 1-10 back to rules A. */
    const char *r3[] = {"retag",      "--db",    db,           "--rules", rules_a, "--since",
                        "2026-05-01", "--until", "2026-05-11", "--json",  NULL};
    cr_assert_eq(s_voc(&out, NULL, r3), 0, "%s", out);
    o = cJSON_Parse(out);
    double win = s_get(o, "items", NULL);
    cr_assert(win > 90 && win < 120, "%f", win);
    cJSON_Delete(o);
    free(out);
    cr_assert_eq(s_count(db, "SELECT count(DISTINCT rule_set_id) FROM items"), 2);

    /* voc quotes: the deepest theme speaks for each item, evidence attached. */
    const char *qa[] = {"quotes",  "--db", db,         "--theme", "billing",
                        "--limit", "0",    "--format", "json",    NULL};
    cr_assert_eq(s_voc(&out, NULL, qa), 0, "%s", out);
    o = cJSON_Parse(out);
    cr_assert_not_null(o, "%s", out);
    cr_assert_eq(cJSON_GetArraySize(o),
                 (int)s_count(db, "SELECT count(DISTINCT item_id) FROM item_themes"
                                  " WHERE theme LIKE 'billing%'"));
    cJSON *qi;
    cJSON_ArrayForEach(qi, o)
    {
        const char *qt = cJSON_GetObjectItem(qi, "theme")->valuestring;
        cr_assert(strcmp(qt, "billing") == 0 || strncmp(qt, "billing.", 8) == 0, "%s", qt);
        cr_assert_gt(cJSON_GetArraySize(cJSON_GetObjectItem(qi, "evidence")), 0);
    }
    cJSON_Delete(o);
    free(out);

    /* voc export: one JSON line per item, themes included. */
    const char *ex[] = {"export", "--db", db, "--format", "jsonl", "--theme", "billing", NULL};
    cr_assert_eq(s_voc(&out, NULL, ex), 0);
    int lines = 0;
    for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"), lines++) {
        cJSON *x = cJSON_Parse(l);
        cr_assert_not_null(x, "%s", l);
        cr_assert_gt(cJSON_GetArraySize(cJSON_GetObjectItem(x, "themes")), 0);
        cJSON_Delete(x);
    }
    cr_assert_eq(lines, s_count(db, "SELECT count(DISTINCT item_id) FROM item_themes"
                                    " WHERE theme LIKE 'billing%'"));
    free(out);

    /* voc search: stemmed full-text match, marked in the snippet. */
    const char *se[] = {"search", "--db", db, "refunds", "--limit", "0", "--format", "json", NULL};
    cr_assert_eq(s_voc(&out, NULL, se), 0, "%s", out);
    o = cJSON_Parse(out);
    cr_assert_not_null(o, "%s", out);
    cr_assert_eq(cJSON_GetArraySize(o), 100, "every refund item (i %% 3 == 0)");
    cr_assert(
        strstr(cJSON_GetObjectItem(cJSON_GetArrayItem(o, 0), "snippet")->valuestring, "[refund]"));
    cJSON_Delete(o);
    free(out);
    const char *bad[] = {"search", "--db", db, "AND AND", NULL};
    cr_assert_eq(s_voc(&out, NULL, bad), 2, "a malformed query is a usage error");
    free(out);

    /* voc stats agrees with the rows. */
    const char *st[] = {"stats", "--db", db, "--format", "json", NULL};
    cr_assert_eq(s_voc(&out, NULL, st), 0, "%s", out);
    o = cJSON_Parse(out);
    cr_assert_not_null(o, "%s", out);
    cr_assert_eq(s_get(o, "items", NULL), 300);
    cr_assert_eq(s_get(o, "tagged", NULL),
                 (double)s_count(db, "SELECT count(DISTINCT item_id) FROM item_themes"));
    cr_assert_eq(s_get(o, "dead_letters", NULL), 0);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "rule_sets")), 2);
    cJSON_Delete(o);
    free(out);

    free(in);
    free(db);
    free(log);
    free(ob);
    free(sock);
    free(proc_bin);
    free(coll);
    free(rules_a);
    free(rules_b);
}

static char *s_text_of(const char *db, const char *uid)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT text FROM items WHERE uid = ?1", -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no item %s", uid);
    char *t = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return t;
}

/* Import two items through a real processor; keep_pii selects the flag. */
static void s_import_pii(const char *tag, bool keep_pii, char **db_out, char **log_out)
{
    char name[64];
    snprintf(name, sizeof name, "%s.db", tag);
    char *db = s_path(name);
    snprintf(name, sizeof name, "%s.log", tag);
    char *log = s_path(name);
    snprintf(name, sizeof name, "%s.outbox", tag);
    char *ob = s_path(name);
    snprintf(name, sizeof name, "%s.sock", tag);
    char *sock = s_path(name);
    char ep[512];
    snprintf(ep, sizeof ep, "ipc://%s", sock);
    char *proc_bin = vt_bin("voc-processor"), *coll = vt_bin("voc-collect");
    char *rules = vt_data("rules/engine.rules.json");
    char *argv[] = {proc_bin, "--db",    db,    "--listen",
                    ep,       "--rules", rules, keep_pii ? "--keep-pii" : NULL,
                    NULL};
    vt_proc p;
    cr_assert_eq(vt_spawn(&p, argv, NULL, log), 0);
    cr_assert(vt_wait_for_text(log, "ready db=", 10000));
    char *in = s_path("pii.jsonl");
    s_write(in, "{\"uid\":\"p-1\",\"text\":\"Refund to jane@example.com, card 4111 1111 1111 "
                "1111 please\"}\n"
                "{\"uid\":\"p-2\",\"subject\":\"call me 555-123-4567\",\"text\":\"my account "
                "ACC-123456\"}\n");
    char *cargv[] = {coll, "file", in, "--connect", ep, "--outbox", ob, NULL};
    cr_assert_eq(vt_run(cargv, 60000, NULL, NULL), 0);
    cr_assert_eq(vt_stop(&p, SIGTERM, 10000), 0);
    *db_out = db;
    *log_out = log;
    free(ob);
    free(sock);
    free(proc_bin);
    free(coll);
    free(rules);
    free(in);
}

Test(theme_tools, pii_is_redacted_before_storage_unless_kept)
{
    char *db, *log;
    s_import_pii("red", false, &db, &log);
    char *t = s_text_of(db, "p-1");
    cr_assert_str_eq(t, "Refund to [email], card [card] please");
    free(t);
    cr_assert_eq(s_count(db, "SELECT count(*) FROM items WHERE text LIKE '%example.com%'"
                             " OR subject LIKE '%4567%'"),
                 0);
    cr_assert_eq(s_count(db, "SELECT count(*) FROM items WHERE subject = 'call me [phone]'"), 1);
    /* Evidence offsets point into the redacted text. */
    char *out = NULL;
    const char *a[] = {"show", "p-1", "--db", db, "--format", "json", NULL};
    cr_assert_eq(s_voc(&out, NULL, a), 0);
    cr_assert(strstr(out, "\"match\":\"Refund\""), "%s", out);
    free(out);
    char *l = vt_read_file(log);
    cr_assert(strstr(l, "redacted=3 (email=1 card=1 phone=1"), "%s", l);
    free(l);
    free(db);
    free(log);

    s_import_pii("keep", true, &db, &log);
    t = s_text_of(db, "p-1");
    cr_assert(strstr(t, "jane@example.com"), "%s", t);
    free(t);
    free(db);
    free(log);
}

/* voc alerts: a spike and a new theme in the latest week, against eight
 * quiet weeks; exit 3 with both named, exit 0 for a quiet window. */
Test(theme_tools, alerts_find_spikes_and_new_themes)
{
    char *db = s_path("al.db"), *log = s_path("al.log"), *ob = s_path("al.outbox");
    char *sock = s_path("al.sock"), *in = s_path("al.jsonl");
    char ep[512];
    snprintf(ep, sizeof ep, "ipc://%s", sock);
    FILE *fp = fopen(in, "w");
    time_t now = time(NULL);
    int n = 0;
    for (int week = 0; week < 9; week++) {
        int refunds = week == 0 ? 25 : 3 + week % 2; /* week 0 = the latest */
        for (int i = 0; i < refunds; i++)
            fprintf(fp, "{\"uid\":\"a-%d\",\"created_at\":%lld,\"text\":\"refund please\"}\n", n++,
                    (long long)(now - week * 7 * 86400 - 3600 - i * 60));
        for (int i = 0; week == 0 && i < 8; i++)
            fprintf(fp,
                    "{\"uid\":\"a-%d\",\"created_at\":%lld,\"kind\":\"ticket\","
                    "\"text\":\"the agent was rude\"}\n",
                    n++, (long long)(now - 7200 - i * 60));
    }
    fclose(fp);
    char *pbin = vt_bin("voc-processor"), *cbin = vt_bin("voc-collect");
    char *rules = vt_data("rules/engine.rules.json");
    char *argv[] = {pbin, "--db", db, "--listen", ep, "--rules", rules, NULL};
    vt_proc p;
    cr_assert_eq(vt_spawn(&p, argv, NULL, log), 0);
    cr_assert(vt_wait_for_text(log, "ready db=", 10000));
    char *cargv[] = {cbin, "file", in, "--connect", ep, "--outbox", ob, NULL};
    cr_assert_eq(vt_run(cargv, 60000, NULL, NULL), 0);
    cr_assert_eq(vt_stop(&p, SIGTERM, 10000), 0);

    char *out = NULL;
    const char *a1[] = {"alerts", "--db", db, "--format", "json", NULL};
    cr_assert_eq(s_voc(&out, NULL, a1), 3, "%s", out);
    cJSON *o = cJSON_Parse(out);
    cr_assert_not_null(o, "%s", out);
    const char *text = cJSON_GetObjectItem(o, "text")->valuestring;
    cr_assert(strstr(text, "`billing.refund`: 25 items"), "%s", text);
    cr_assert(strstr(text, "`support` is new: 8 items"), "%s", text);
    cJSON_Delete(o);
    free(out);
    /* The window before: quiet. */
    char until[32];
    snprintf(until, sizeof until, "%lld", (long long)(now - 7 * 86400));
    const char *a2[] = {"alerts", "--db", db, "--until", until, NULL};
    cr_assert_eq(s_voc(&out, NULL, a2), 0, "%s", out);
    cr_assert(strstr(out, "All quiet"), "%s", out);
    free(out);
    free(db);
    free(log);
    free(ob);
    free(sock);
    free(in);
    free(pbin);
    free(cbin);
    free(rules);
}

/* voc tail: items arrive live from the processor's PUB socket, filtered by
 * theme. PUB drops messages until the subscription is through, so the test
 * keeps importing fresh items until tail has shown two. */
Test(theme_tools, tail_shows_live_items)
{
    char *db = s_path("t.db"), *log = s_path("t.log"), *ob = s_path("t.outbox");
    char *sock = s_path("t.sock"), *pubs = s_path("t.pub"), *in = s_path("t.jsonl");
    char *tout = s_path("tail.out");
    char ep[512], pub[512];
    snprintf(ep, sizeof ep, "ipc://%s", sock);
    snprintf(pub, sizeof pub, "ipc://%s", pubs);
    char *pbin = vt_bin("voc-processor"), *cbin = vt_bin("voc-collect"), *voc = vt_bin("voc");
    char *rules = vt_data("rules/engine.rules.json");
    char *argv[] = {pbin, "--db", db, "--listen", ep, "--rules", rules, "--pub", pub, NULL};
    vt_proc p, t;
    cr_assert_eq(vt_spawn(&p, argv, NULL, log), 0);
    cr_assert(vt_wait_for_text(log, "ready db=", 10000));
    char *targv[] = {voc,       "tail", "--connect", pub,     "--theme", "billing",
                     "--count", "2",    "--format",  "jsonl", NULL};
    cr_assert_eq(vt_spawn(&t, targv, tout, NULL), 0);
    int exit_status = -1;
    for (int round = 0; round < 50 && exit_status < 0; round++) {
        FILE *fp = fopen(in, "w");
        fprintf(fp, "{\"uid\":\"tail-%d\",\"text\":\"refund please\"}\n", round);
        fprintf(fp, "{\"uid\":\"tail-x-%d\",\"text\":\"all good\"}\n", round);
        fclose(fp);
        char *cargv[] = {cbin, "file", in, "--connect", ep, "--outbox", ob, NULL};
        cr_assert_eq(vt_run(cargv, 30000, NULL, NULL), 0);
        exit_status = vt_wait(&t, 200);
    }
    cr_assert_eq(exit_status, 0, "voc tail did not see two billing items");
    char *got = vt_read_file(tout);
    int lines = 0;
    for (char *l = strtok(got, "\n"); l; l = strtok(NULL, "\n"), lines++) {
        cr_assert(strstr(l, "\"billing\""), "%s", l);
        cr_assert_null(strstr(l, "all good"), "filtered out by theme");
    }
    cr_assert_eq(lines, 2);
    free(got);
    cr_assert_eq(vt_stop(&p, SIGTERM, 10000), 0);
    free(db);
    free(log);
    free(ob);
    free(sock);
    free(pubs);
    free(in);
    free(tout);
    free(pbin);
    free(cbin);
    free(voc);
    free(rules);
}
