/* test_store.c: schema and migrations, idempotent writes on uid, dead
 * letters, and the top-themes query (store/store.h), on real files. */
#include "store/store.h"

#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[64];
static char s_path[128];

static void s_setup(void)
{
    strcpy(s_dir, "/tmp/voc-store-XXXXXX");
    cr_assert_not_null(mkdtemp(s_dir));
    snprintf(s_path, sizeof s_path, "%s/voc.db", s_dir);
}

static void s_teardown(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    cr_assert_eq(system(cmd), 0);
}

static int64_t s_scalar(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open_v2(s_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void s_item(voc_item *it, const char *uid, const char *text, int64_t created,
                   const char *theme)
{
    voc_item_init(it);
    it->uid = strdup(uid);
    it->source = strdup("api");
    it->kind = VOC_KIND_TICKET;
    it->created_at = created;
    it->received_at = created + 5;
    it->text = strdup(text);
    it->text_len = strlen(text);
    if (theme) {
        voc_item_theme *t = voc_item_add_theme(it, theme, 1.0);
        voc_item_theme_add_evidence(t, "pattern:0", 0, 3);
    }
}

static voc_put_result s_put(voc_store *s, const voc_item *it)
{
    voc_put_result r = 0;
    voc_err err;
    cr_assert_eq(voc_store_begin(s, &err), 0, "%s", err.msg);
    cr_assert_eq(voc_store_put_item(s, it, 0, &r, &err), 0, "%s", err.msg);
    cr_assert_eq(voc_store_commit(s, &err), 0, "%s", err.msg);
    return r;
}

TestSuite(store, .init = s_setup, .fini = s_teardown);

Test(store, creates_schema_private_and_migrated)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0, "%s", err.msg);
    voc_store_destroy(&s);
    cr_assert_null(s);
    struct stat st;
    cr_assert_eq(stat(s_path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(s_scalar("PRAGMA user_version"), VOC_STORE_SCHEMA_VERSION);
    cr_assert_eq(s_scalar("SELECT count(*) FROM sqlite_master WHERE name IN "
                          "('items','item_themes','dead_letters','rule_sets')"),
                 4);
    /* Reopening an up-to-date store changes nothing. */
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0);
    voc_store_destroy(&s);
    cr_assert_eq(s_scalar("SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"),
                 1);
}

Test(store, readonly_missing_is_not_found)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, VOC_STORE_READONLY, &err), VOC_ENOTFOUND);
    cr_assert(strstr(err.msg, s_path) != NULL, "%s", err.msg);
    cr_assert_null(s);
}

Test(store, newer_schema_is_refused)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(s_path, &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(db);
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), VOC_ESTATE);
    cr_assert(strstr(err.msg, "99") != NULL, "%s", err.msg);
}

Test(store, idempotent_on_uid)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0);
    voc_item a;
    s_item(&a, "u1", "refund please", 1000, "billing");
    cr_assert_eq(s_put(s, &a), VOC_PUT_INSERTED);
    cr_assert_eq(s_put(s, &a), VOC_PUT_DUPLICATE);
    /* received_at alone does not make it different */
    a.received_at += 100;
    cr_assert_eq(s_put(s, &a), VOC_PUT_DUPLICATE);
    voc_item_clear(&a);

    /* Same uid, new text and themes: updated in place, themes replaced. */
    s_item(&a, "u1", "the app is slow", 1000, "performance");
    voc_item_add_theme(&a, "reliability", 2.0);
    cr_assert_eq(s_put(s, &a), VOC_PUT_UPDATED);
    voc_item_clear(&a);
    voc_store_destroy(&s);

    cr_assert_eq(s_scalar("SELECT count(*) FROM items"), 1);
    cr_assert_eq(s_scalar("SELECT count(*) FROM items WHERE text = 'the app is slow'"), 1);
    cr_assert_eq(s_scalar("SELECT count(*) FROM item_themes"), 2);
    cr_assert_eq(s_scalar("SELECT count(*) FROM item_themes WHERE theme = 'billing'"), 0);
    cr_assert_eq(s_scalar("SELECT count(*) FROM item_themes WHERE theme = 'performance' AND "
                          "json_extract(evidence, '$[0].rule') = 'pattern:0'"),
                 1);
}

Test(store, rollback_leaves_nothing)
{
    voc_store *s = NULL;
    voc_err err;
    voc_put_result r;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0);
    voc_item a;
    s_item(&a, "u2", "text", 1000, "x");
    cr_assert_eq(voc_store_begin(s, &err), 0);
    cr_assert_eq(voc_store_put_item(s, &a, 0, &r, &err), 0);
    voc_store_rollback(s);
    voc_item_clear(&a);
    voc_store_destroy(&s);
    cr_assert_eq(s_scalar("SELECT count(*) FROM items"), 0);
    cr_assert_eq(s_scalar("SELECT count(*) FROM item_themes"), 0);
}

Test(store, dead_letters_kept_once)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0);
    cr_assert_eq(voc_store_begin(s, &err), 0);
    cr_assert_eq(voc_store_put_dead_letter(s, NULL, NULL, "not valid JSON", "{oops", 5, &err), 0);
    cr_assert_eq(voc_store_put_dead_letter(s, NULL, NULL, "not valid JSON", "{oops", 5, &err), 0);
    cr_assert_eq(voc_store_put_dead_letter(s, "api", "u9", "text: missing", "{}", 2, &err), 0);
    cr_assert_eq(voc_store_commit(s, &err), 0);
    voc_store_destroy(&s);
    cr_assert_eq(s_scalar("SELECT count(*) FROM dead_letters"), 2);
    cr_assert_eq(s_scalar("SELECT length(payload) FROM dead_letters WHERE reason = "
                          "'not valid JSON'"),
                 5);
}

Test(store, rule_sets_by_hash)
{
    voc_store *s = NULL;
    voc_err err;
    int64_t a, b, c;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0);
    cr_assert_eq(voc_store_rule_set(s, "aaa", "default", "{}", &a, &err), 0);
    cr_assert_eq(voc_store_rule_set(s, "aaa", "default", "{}", &b, &err), 0);
    cr_assert_eq(voc_store_rule_set(s, "bbb", "other", "{ }", &c, &err), 0);
    cr_assert_eq(a, b);
    cr_assert_neq(a, c);
    voc_store_destroy(&s);
}

Test(store, top_counts_share_quote_and_filters)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0);
    cr_assert_eq(voc_store_begin(s, &err), 0);
    /* 6 billing, 3 performance (1 outside the window), 2 untagged */
    for (int i = 0; i < 11; i++) {
        voc_item it;
        char uid[16];
        snprintf(uid, sizeof uid, "i%d", i);
        const char *theme = i < 6 ? "billing" : i < 9 ? "performance" : NULL;
        int64_t when = i == 8 ? 100 : 1000 + i;
        s_item(&it, uid, i == 2 ? "a representative billing complaint" : "billing", when, theme);
        if (i == 2) it.themes[0].score = 3.0;
        if (i == 7) {
            free(it.source);
            it.source = strdup("zendesk");
        }
        voc_put_result r;
        cr_assert_eq(voc_store_put_item(s, &it, 0, &r, &err), 0, "%s", err.msg);
        voc_item_clear(&it);
    }
    cr_assert_eq(voc_store_commit(s, &err), 0);
    voc_store_destroy(&s);

    cr_assert_eq(voc_store_open(&s, s_path, VOC_STORE_READONLY, &err), 0, "%s", err.msg);
    voc_filter f = voc_filter_all();
    f.since = 500;
    voc_top top;
    cr_assert_eq(voc_store_top(s, &f, 0, &top, &err), 0, "%s", err.msg);
    cr_assert_eq(top.total_items, 10);
    cr_assert_eq(top.tagged_items, 8);
    cr_assert_eq(top.count, 2);
    cr_assert_str_eq(top.rows[0].theme, "billing");
    cr_assert_eq(top.rows[0].items, 6);
    cr_assert_float_eq(top.rows[0].share, 0.6, 1e-9);
    cr_assert_str_eq(top.rows[0].quote, "a representative billing complaint");
    cr_assert_str_eq(top.rows[0].quote_uid, "i2");
    cr_assert_str_eq(top.rows[1].theme, "performance");
    cr_assert_eq(top.rows[1].items, 2);
    voc_top_clear(&top);

    f.source = "zendesk";
    cr_assert_eq(voc_store_top(s, &f, 0, &top, &err), 0);
    cr_assert_eq(top.total_items, 1);
    cr_assert_eq(top.count, 1);
    cr_assert_str_eq(top.rows[0].theme, "performance");
    voc_top_clear(&top);

    f = voc_filter_all();
    f.kind = "nps";
    cr_assert_eq(voc_store_top(s, &f, 0, &top, &err), 0);
    cr_assert_eq(top.total_items, 0);
    cr_assert_eq(top.count, 0);
    voc_top_clear(&top);

    f = voc_filter_all();
    cr_assert_eq(voc_store_top(s, &f, 1, &top, &err), 0);
    cr_assert_eq(top.count, 1, "limit applies");
    voc_top_clear(&top);

    voc_store_stats st;
    cr_assert_eq(voc_store_stats_get(s, &st, &err), 0);
    cr_assert_eq(st.items, 11);
    cr_assert_eq(st.tagged_items, 9);
    voc_store_destroy(&s);
}

/* Raw theme counts in [since, until) with optional kind, straight from the
 * rows: what the rollups must agree with. */
static int64_t s_raw(const char *theme, int64_t since, int64_t until, const char *kind)
{
    char sql[400];
    if (theme)
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM item_themes WHERE theme = '%s' AND created_at >= %lld AND "
                 "created_at < %lld%s%s%s",
                 theme, (long long)since, (long long)until, kind ? " AND kind = '" : "",
                 kind ? kind : "", kind ? "'" : "");
    else
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM items WHERE created_at >= %lld AND created_at < %lld%s%s%s",
                 (long long)since, (long long)until, kind ? " AND kind = '" : "", kind ? kind : "",
                 kind ? "'" : "");
    return s_scalar(sql);
}

/* Rows of the rollup tables (item_day, theme_day, theme_day_all) that
 * differ from the same rollups computed from scratch (zero rows left by
 * deletions are ignored). */
static int64_t s_rollup_diff(void)
{
    static const char *const item_day_now =
        "SELECT day, kind, source, items, tagged, scored, promoters, detractors, sentiment_n,"
        " round(sentiment_sum, 6) FROM item_day WHERE items != 0 OR tagged != 0";
    static const char *const item_day_fresh =
        "SELECT i.created_at / 86400 - (i.created_at % 86400 < 0) AS d, i.kind, i.source,"
        " count(*), sum(EXISTS (SELECT 1 FROM item_themes t WHERE t.item_id = i.id)),"
        " sum(i.scale IS 'nps'), sum(i.scale IS 'nps' AND i.score >= 9),"
        " sum(i.scale IS 'nps' AND i.score <= 6), count(i.sentiment),"
        " round(coalesce(sum(i.sentiment), 0), 6) FROM items i GROUP BY d, i.kind, i.source";
    static const char *const theme_day_now =
        "SELECT day, theme, kind, source, items, scored, promoters, detractors, sentiment_n,"
        " round(sentiment_sum, 6) FROM theme_day WHERE items != 0";
    static const char *const theme_day_fresh =
        "SELECT created_at / 86400 - (created_at % 86400 < 0) AS d, theme, kind, source,"
        " count(*), count(nps_score), coalesce(sum(nps_score >= 9), 0),"
        " coalesce(sum(nps_score <= 6), 0), count(sentiment),"
        " round(coalesce(sum(sentiment), 0), 6) FROM item_themes GROUP BY d, theme, kind, source";
    static const char *const theme_all_now =
        "SELECT day, theme, items, scored, promoters, detractors, sentiment_n,"
        " round(sentiment_sum, 6) FROM theme_day_all WHERE items != 0";
    static const char *const theme_all_fresh =
        "SELECT created_at / 86400 - (created_at % 86400 < 0) AS d, theme,"
        " count(*), count(nps_score), coalesce(sum(nps_score >= 9), 0),"
        " coalesce(sum(nps_score <= 6), 0), count(sentiment),"
        " round(coalesce(sum(sentiment), 0), 6) FROM item_themes GROUP BY d, theme";
    char sql[2400];
    int64_t n = 0;
    const char *pairs[][2] = {{item_day_now, item_day_fresh},
                              {theme_day_now, theme_day_fresh},
                              {theme_all_now, theme_all_fresh}};
    for (size_t i = 0; i < 3; i++) {
        snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s EXCEPT %s)", pairs[i][0], pairs[i][1]);
        n += s_scalar(sql);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s EXCEPT %s)", pairs[i][1], pairs[i][0]);
        n += s_scalar(sql);
    }
    return n;
}

/* Inserts, updates that move items between days and kinds, theme changes
 * and retags: voc_store_top (daily rollups plus raw edges) always equals
 * counting the rows, for windows on and off day boundaries. */
Test(store, rollups_match_raw_counts)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0, "%s", err.msg);
    const char *themes[] = {"billing", "performance", "support"};
    uint64_t seed = 7;
    int64_t base = 1767225600; /* 2026-01-01 */
    for (int round = 0; round < 3; round++) {
        cr_assert_eq(voc_store_begin(s, &err), 0);
        for (int i = 0; i < 400; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            char uid[32];
            snprintf(uid, sizeof uid, "r-%d", (int)((seed >> 40) % 500));
            voc_item it;
            s_item(&it, uid, "some text", base + (int64_t)((seed >> 20) % (20 * 86400)), NULL);
            it.kind = (seed >> 8) % 2 ? VOC_KIND_TICKET : VOC_KIND_NPS;
            if ((seed >> 12) % 3) {
                it.scale = VOC_SCALE_NPS;
                it.score = (int)((seed >> 14) % 11);
            }
            it.sentiment = (double)((seed >> 18) % 200) / 100.0 - 1.0;
            it.has_sentiment = true;
            voc_item_set_attr(&it, "plan", "all");
            for (int t = 0; t < 3; t++)
                if ((seed >> (30 + t)) & 1) {
                    voc_item_theme *th = voc_item_add_theme(&it, themes[t], 1.0);
                    th->sentiment = (double)((seed >> (34 + t)) % 100) / 50.0 - 1.0;
                    th->has_sentiment = true;
                }
            voc_put_result r;
            cr_assert_eq(voc_store_put_item(s, &it, round + 1, &r, &err), 0, "%s", err.msg);
            voc_item_clear(&it);
        }
        cr_assert_eq(voc_store_commit(s, &err), 0);
        cr_assert_eq(s_rollup_diff(), 0, "rollups after round %d", round);
    }
    /* A retag that drops every theme of a few items. */
    voc_filter all = voc_filter_all();
    voc_item items[50];
    voc_retag_ref refs[50];
    size_t n = 0;
    cr_assert_eq(voc_store_retag_scan(s, &all, 99, 0, 50, items, refs, &n, &err), 0);
    cr_assert_eq(voc_store_begin(s, &err), 0);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(voc_store_set_analysis(s, &refs[i], &items[i], 99, &err), 0);
        voc_item_clear(&items[i]);
    }
    cr_assert_eq(voc_store_commit(s, &err), 0);
    cr_assert_eq(s_rollup_diff(), 0, "rollups after the retag");

    /* Retags that keep some tags as they were, move the score or sentiment
     * of others, drop some and add new ones: the row-by-row rewrite keeps
     * rows and rollups exact. Pass 2 gives the even items pass 1's tags. */
    for (int pass = 1; pass <= 2; pass++) {
        int64_t version = 100 + pass, expect_rows = 0, after = 0;
        for (;;) {
            cr_assert_eq(voc_store_retag_scan(s, &all, version, after, 50, items, refs, &n, &err),
                         0);
            if (n == 0) break;
            cr_assert_eq(voc_store_begin(s, &err), 0);
            for (size_t i = 0; i < n; i++) {
                uint64_t h = (uint64_t)refs[i].id * 2654435761u;
                if (pass == 2 && refs[i].id % 2) h ^= 0x5bd1e995u;
                for (int t = 0; t < 3; t++)
                    if ((h >> (t + 3)) & 1) {
                        voc_item_theme *th =
                            voc_item_add_theme(&items[i], themes[t], 1.0 + (double)((h >> 9) & 1));
                        th->has_sentiment = (h >> 11) & 1;
                        th->sentiment = th->has_sentiment ? (double)((h >> 12) % 9) / 10.0 : 0;
                        voc_item_theme_add_evidence(th, "keyword:x\"y", 0, 4);
                        expect_rows++;
                    }
                items[i].has_sentiment = (h >> 16) & 1;
                items[i].sentiment = (double)((h >> 17) % 7) / 10.0;
                cr_assert_eq(voc_store_set_analysis(s, &refs[i], &items[i], version, &err), 0, "%s",
                             err.msg);
                after = refs[i].id;
                voc_item_clear(&items[i]);
            }
            cr_assert_eq(voc_store_commit(s, &err), 0);
        }
        cr_assert_eq(s_rollup_diff(), 0, "rollups after retag pass %d", pass);
        cr_assert_eq(s_scalar("SELECT count(*) FROM item_themes"), expect_rows);
        char sql[120];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM item_themes WHERE rule_set_id IS NOT %lld",
                 (long long)version);
        cr_assert_eq(s_scalar(sql), 0, "every tag carries the new version");
        cr_assert_eq(s_scalar("SELECT count(*) FROM item_themes WHERE evidence !="
                              " '[{\"rule\":\"keyword:x\\\"y\",\"start\":0,\"end\":4}]'"),
                     0, "evidence JSON escaped");
    }

    /* Trends agree with the rows: counts and tag sentiments per theme. */
    voc_trends tr;
    cr_assert_eq(voc_store_trends(s, &all, VOC_INTERVAL_WEEK, NULL, 0, &tr, &err), 0, "%s",
                 err.msg);
    for (size_t k = 0; k < tr.theme_count; k++) {
        int64_t c = 0, sn = 0;
        double ss = 0;
        for (size_t p = 0; p < tr.period_count; p++) {
            c += tr.counts[p * tr.theme_count + k];
            sn += tr.sentiment_n[p * tr.theme_count + k];
            ss += tr.sentiment_sum[p * tr.theme_count + k];
        }
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM item_themes WHERE theme = '%s'",
                 tr.themes[k]);
        cr_assert_eq(c, s_scalar(sql), "%s", tr.themes[k]);
        snprintf(sql, sizeof sql, "SELECT count(sentiment) FROM item_themes WHERE theme = '%s'",
                 tr.themes[k]);
        cr_assert_eq(sn, s_scalar(sql), "%s", tr.themes[k]);
        snprintf(sql, sizeof sql,
                 "SELECT CAST(round(coalesce(sum(sentiment), 0) * 1000) AS INTEGER) FROM"
                 " item_themes WHERE theme = '%s'",
                 tr.themes[k]);
        cr_assert_eq((int64_t)llround(ss * 1000), s_scalar(sql), "%s", tr.themes[k]);
    }
    voc_trends_clear(&tr);

    int64_t windows[][2] = {{INT64_MIN, INT64_MAX},
                            {base, base + 7 * 86400},
                            {base + 3600, base + 5 * 86400 + 7200},
                            {base + 100, base + 200},
                            {base + 86399, base + 86401},
                            {base + 2 * 86400 + 1, INT64_MAX}};
    for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
        for (int k = 0; k < 2; k++) {
            voc_filter f = voc_filter_all();
            f.since = windows[w][0];
            f.until = windows[w][1];
            f.kind = k ? "ticket" : NULL;
            voc_top top;
            cr_assert_eq(voc_store_top(s, &f, 0, &top, &err), 0, "%s", err.msg);
            cr_assert_eq(top.total_items, s_raw(NULL, f.since, f.until, f.kind), "window %zu", w);
            for (size_t t = 0; t < 3; t++) {
                int64_t got = 0;
                for (size_t r = 0; r < top.count; r++)
                    if (strcmp(top.rows[r].theme, themes[t]) == 0) got = top.rows[r].items;
                cr_assert_eq(got, s_raw(themes[t], f.since, f.until, f.kind),
                             "window %zu kind %d theme %s", w, k, themes[t]);
            }
            char sql[300];
            snprintf(sql, sizeof sql,
                     "SELECT count(DISTINCT item_id) FROM item_themes WHERE created_at >= %lld AND"
                     " created_at < %lld%s",
                     (long long)f.since, (long long)f.until, k ? " AND kind = 'ticket'" : "");
            cr_assert_eq(top.tagged_items, s_scalar(sql), "tagged, window %zu", w);
            /* The raw path (an attribute filter every item passes) agrees with
             * the rollups on everything, sentiment and NPS included. */
            const char *wk[] = {"plan"}, *wv[] = {"all"};
            voc_filter g = f;
            g.where_keys = wk;
            g.where_values = wv;
            g.where_count = 1;
            voc_top raw;
            cr_assert_eq(voc_store_top(s, &g, 0, &raw, &err), 0, "%s", err.msg);
            cr_assert_eq(raw.total_items, top.total_items);
            cr_assert_eq(raw.tagged_items, top.tagged_items);
            cr_assert_eq(raw.count, top.count);
            for (size_t r = 0; r < top.count; r++) {
                cr_assert_str_eq(raw.rows[r].theme, top.rows[r].theme);
                cr_assert_eq(raw.rows[r].items, top.rows[r].items);
                cr_assert_eq(raw.rows[r].prev_items, top.rows[r].prev_items);
                cr_assert_eq(raw.rows[r].scored, top.rows[r].scored);
                cr_assert((isnan(raw.rows[r].nps) && isnan(top.rows[r].nps)) ||
                              fabs(raw.rows[r].nps - top.rows[r].nps) < 1e-9,
                          "nps window %zu theme %s", w, top.rows[r].theme);
                cr_assert(fabs(raw.rows[r].sentiment - top.rows[r].sentiment) < 1e-9,
                          "sentiment window %zu theme %s: %f vs %f", w, top.rows[r].theme,
                          raw.rows[r].sentiment, top.rows[r].sentiment);
            }
            voc_top_clear(&raw);
            voc_top_clear(&top);
        }
    }
    voc_store_destroy(&s);
}

/* Trends: per-period counts add up to the raw rows, weeks start on Monday,
 * empty periods are zeros, theme prefixes select sub-themes. */
Test(store, trends_periods_and_counts)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0, "%s", err.msg);
    /* 2026-01-05 is a Monday. Items on Jan 5, 6, 11 (week 2), Jan 26 (week 5). */
    int64_t jan5 = 1767571200;
    int64_t when[] = {jan5, jan5 + 86400, jan5 + 6 * 86400 + 3600, jan5 + 21 * 86400};
    const char *theme[] = {"billing.refund", "billing", "support", "billing.refund"};
    cr_assert_eq(voc_store_begin(s, &err), 0);
    for (int i = 0; i < 4; i++) {
        char uid[16];
        snprintf(uid, sizeof uid, "t-%d", i);
        voc_item it;
        s_item(&it, uid, "x", when[i], theme[i]);
        if (strchr(theme[i], '.')) voc_item_add_theme(&it, "billing", 1.0);
        voc_put_result r;
        cr_assert_eq(voc_store_put_item(s, &it, 0, &r, &err), 0);
        voc_item_clear(&it);
    }
    cr_assert_eq(voc_store_commit(s, &err), 0);
    voc_filter f = voc_filter_all();
    voc_trends t;
    cr_assert_eq(voc_store_trends(s, &f, VOC_INTERVAL_WEEK, NULL, 0, &t, &err), 0, "%s", err.msg);
    cr_assert_eq(t.period_count, 4, "weeks 2..5, with two empty ones");
    cr_assert_eq(t.period_start[0], jan5);
    cr_assert_eq(t.period_start[3], jan5 + 21 * 86400);
    cr_assert_str_eq(t.themes[0], "billing"); /* 3 items */
    cr_assert_eq(t.counts[0 * t.theme_count + 0], 2);
    cr_assert_eq(t.counts[1 * t.theme_count + 0], 0);
    cr_assert_eq(t.counts[3 * t.theme_count + 0], 1);
    cr_assert_eq(t.totals[0], 3);
    cr_assert_eq(t.totals[2], 0);
    voc_trends_clear(&t);

    const char *only[] = {"billing", NULL};
    cr_assert_eq(voc_store_trends(s, &f, VOC_INTERVAL_MONTH, only, 0, &t, &err), 0);
    cr_assert_eq(t.period_count, 1);
    cr_assert_eq(t.theme_count, 2, "billing and billing.refund, not support");
    voc_trends_clear(&t);
    voc_store_destroy(&s);
}

Test(store, nps_groups)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0, "%s", err.msg);
    int scores[] = {10, 9, 3, 7, 5};
    const char *themes[] = {"billing", NULL, "billing", NULL, NULL};
    cr_assert_eq(voc_store_begin(s, &err), 0);
    for (int i = 0; i < 5; i++) {
        char uid[16];
        snprintf(uid, sizeof uid, "n-%d", i);
        voc_item it;
        s_item(&it, uid, "x", 1767571200 + i, themes[i]);
        if (i < 4) {
            it.scale = VOC_SCALE_NPS;
            it.score = scores[i];
        } /* the fifth has no score: not a response */
        voc_item_set_attr(&it, "plan", i % 2 ? "pro" : "free");
        voc_put_result r;
        cr_assert_eq(voc_store_put_item(s, &it, 0, &r, &err), 0);
        voc_item_clear(&it);
    }
    cr_assert_eq(voc_store_commit(s, &err), 0);
    voc_filter f = voc_filter_all();
    voc_nps_row all, *rows;
    size_t n;
    cr_assert_eq(voc_store_nps(s, &f, VOC_NPS_BY_THEME, NULL, &all, &rows, &n, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(all.responses, 4);
    cr_assert_eq(all.promoters, 2);
    cr_assert_eq(all.passives, 1);
    cr_assert_eq(all.detractors, 1);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(rows[0].key, "billing");
    cr_assert_eq(rows[0].responses, 2);
    cr_assert_eq(rows[0].promoters, 1);
    cr_assert_eq(rows[0].detractors, 1);
    voc_nps_rows_free(rows, n);
    free(all.key);
    cr_assert_eq(voc_store_nps(s, &f, VOC_NPS_BY_ATTR, "plan", &all, &rows, &n, &err), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(rows[0].key, "free"); /* 10, 3 */
    cr_assert_eq(rows[0].detractors, 1);
    voc_nps_rows_free(rows, n);
    free(all.key);
    voc_store_destroy(&s);
}

/* Full-text index: new items indexed by catch-up; an edited item that was
 * already indexed is found by its new words only. */
Test(store, search_index_follows_edits)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0, "%s", err.msg);
    voc_item a, b;
    s_item(&a, "s-1", "the invoices are wrong", 1767571200, NULL);
    s_item(&b, "s-2", "refunds take ages", 1767571200, NULL);
    s_put(s, &a);
    s_put(s, &b);
    int64_t pending = 0, done = 0;
    cr_assert_eq(voc_store_search_pending(s, &pending, &err), 0);
    cr_assert_eq(pending, 2);
    cr_assert_eq(voc_store_search_catch_up(s, &done, &err), 0, "%s", err.msg);
    cr_assert_eq(done, 2);
    voc_filter f = voc_filter_all();
    voc_search_hit *h;
    size_t n;
    cr_assert_eq(voc_store_search(s, &f, "refund", 0, "<", ">", &h, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 1, "stemmed: refund finds refunds");
    cr_assert_str_eq(h[0].uid, "s-2");
    cr_assert(strstr(h[0].snippet, "<refunds>"), "%s", h[0].snippet);
    voc_search_hits_free(h, n);
    /* Edit s-2 (same uid, new text): the index follows. */
    voc_item_clear(&b);
    s_item(&b, "s-2", "the export is slow", 1767571200, NULL);
    s_put(s, &b);
    cr_assert_eq(voc_store_search(s, &f, "refund", 0, "<", ">", &h, &n, &err), 0);
    cr_assert_eq(n, 0);
    voc_search_hits_free(h, n);
    cr_assert_eq(voc_store_search(s, &f, "export", 0, "<", ">", &h, &n, &err), 0);
    cr_assert_eq(n, 1);
    voc_search_hits_free(h, n);
    cr_assert_eq(voc_store_search(s, &f, "AND AND", 0, "<", ">", &h, &n, &err), VOC_EINVAL);
    voc_item_clear(&a);
    voc_item_clear(&b);
    voc_store_destroy(&s);
}

/* ---- read paths against the rows (schema 7) ------------------------------ */

/* A reference connection for the raw answers the fast paths must match. */
static sqlite3 *s_ref_open(void)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(s_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return db;
}

/* One row of a reference query built from fmt (test data only). */
static sqlite3_stmt *s_ref(sqlite3 *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
                 sqlite3_errmsg(db));
    sqlite3_free(sql);
    return st;
}

static int64_t s_ref_int(sqlite3 *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    sqlite3_stmt *st = s_ref(db, "%s", sql);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_free(sql);
    return v;
}

static const char *const s_mixed_themes[] = {"billing", "billing.refund", "performance", "support",
                                             "support.agent"};

/* 700 items over 20 days from 2026-01-01 (a Thursday), with kinds,
 * sources, plans, NPS scores, sentiments (some missing), themes with
 * sub-themes (the parent always present), few distinct scores, sentiments
 * and text lengths (so ties are common), some updates that move items. */
static void s_fill_mixed(voc_store *s)
{
    static const char *const texts[] = {"short", "a medium length complaint about things", "short"};
    voc_err err;
    uint64_t seed = 42;
    cr_assert_eq(voc_store_begin(s, &err), 0);
    for (int i = 0; i < 700; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        char uid[32];
        snprintf(uid, sizeof uid, "m-%d", (int)((seed >> 40) % 640));
        voc_item it;
        s_item(&it, uid, texts[(seed >> 9) % 3],
               1767225600 + (int64_t)((seed >> 20) % (20 * 86400)), NULL);
        it.kind = (seed >> 8) % 3 == 0   ? VOC_KIND_TICKET
                  : (seed >> 8) % 3 == 1 ? VOC_KIND_NPS
                                         : VOC_KIND_SURVEY;
        if ((seed >> 11) & 1) {
            free(it.source);
            it.source = strdup("zendesk");
        }
        if ((seed >> 12) % 3) {
            it.scale = VOC_SCALE_NPS;
            it.score = (int)((seed >> 14) % 11);
        }
        if ((seed >> 18) % 5) {
            it.sentiment = (double)((seed >> 19) % 7) / 3.0 - 1.0;
            it.has_sentiment = true;
        }
        voc_item_set_attr(&it, "plan", (seed >> 24) & 1 ? "pro" : "free");
        bool chosen[5];
        for (int t = 0; t < 5; t++)
            chosen[t] = (seed >> (30 + t)) & 1;
        chosen[0] = chosen[0] || chosen[1]; /* a sub-theme's parent is always there */
        chosen[3] = chosen[3] || chosen[4];
        for (int t = 0; t < 5; t++) {
            if (!chosen[t]) continue;
            voc_item_theme *th =
                voc_item_add_theme(&it, s_mixed_themes[t], (seed >> (36 + t)) & 1 ? 2.0 : 1.6);
            voc_item_theme_add_evidence(th, "pattern:0", 0, 2);
            if ((seed >> (41 + t)) % 4) {
                th->sentiment = (double)((seed >> (45 + t)) % 3) / 2.0 - 0.5;
                th->has_sentiment = true;
            }
        }
        voc_put_result r;
        cr_assert_eq(voc_store_put_item(s, &it, 1, &r, &err), 0, "%s", err.msg);
        voc_item_clear(&it);
    }
    cr_assert_eq(voc_store_commit(s, &err), 0, "%s", err.msg);
}

/* A filter case and its meaning as SQL over items i. */
typedef struct s_case {
    const char *kind, *source, *theme, *plan;
    bool negative;
} s_case;

static const s_case s_cases[] = {
    {0},
    {.kind = "ticket"},
    {.source = "zendesk"},
    {.plan = "pro"},
    {.theme = "billing"},
    {.negative = true},
    {.kind = "nps", .plan = "free", .theme = "support"},
};

static const char *const s_plan_key[] = {"plan"};

static voc_filter s_case_filter(const s_case *c, int64_t since, int64_t until, const char **plan)
{
    voc_filter f = voc_filter_all();
    f.since = since;
    f.until = until;
    f.kind = c->kind;
    f.source = c->source;
    f.theme = c->theme;
    f.negative = c->negative;
    if (c->plan) {
        *plan = c->plan;
        f.where_keys = s_plan_key;
        f.where_values = plan;
        f.where_count = 1;
    }
    return f;
}

/* The item filters of c over [since, until) as SQL over items i (test data
 * only). Caller frees with sqlite3_free. */
static char *s_case_sql(const s_case *c, int64_t since, int64_t until)
{
    sqlite3_str *q = sqlite3_str_new(NULL);
    sqlite3_str_appendf(q, "i.created_at >= %lld AND i.created_at < %lld", (long long)since,
                        (long long)until);
    if (c->kind) sqlite3_str_appendf(q, " AND i.kind = %Q", c->kind);
    if (c->source) sqlite3_str_appendf(q, " AND i.source = %Q", c->source);
    if (c->theme)
        sqlite3_str_appendf(q,
                            " AND EXISTS (SELECT 1 FROM item_themes u WHERE u.item_id = i.id"
                            " AND (u.theme = %Q OR u.theme LIKE '%q.%%'))",
                            c->theme, c->theme);
    if (c->negative)
        sqlite3_str_appendall(q,
                              " AND (i.sentiment < -0.05 OR (i.scale = 'nps' AND i.score <= 6))");
    if (c->plan) sqlite3_str_appendf(q, " AND json_extract(i.attrs, '$.plan') = %Q", c->plan);
    return sqlite3_str_finish(q);
}

static const int64_t s_jan1 = 1767225600;
static const int64_t s_windows[][2] = {
    {INT64_MIN, INT64_MAX},
    {1767225600 + 3600, 1767225600 + 5 * 86400 + 7200},
    {1767225600 + 86399, 1767225600 + 86401},
    {1767225600 + 2 * 86400, 1767225600 + 9 * 86400},
    {1767225600 + 2 * 86400 + 1, INT64_MAX},
};

/* Headline figures, rollups plus edges or raw, against the rows. */
Test(store, summary_matches_the_rows)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0, "%s", err.msg);
    s_fill_mixed(s);
    sqlite3 *db = s_ref_open();
    for (size_t c = 0; c < sizeof s_cases / sizeof s_cases[0]; c++) {
        for (size_t w = 0; w < sizeof s_windows / sizeof s_windows[0]; w++) {
            const char *plan = NULL;
            voc_filter f = s_case_filter(&s_cases[c], s_windows[w][0], s_windows[w][1], &plan);
            char *where = s_case_sql(&s_cases[c], s_windows[w][0], s_windows[w][1]);
            voc_summary sum;
            cr_assert_eq(voc_store_summary(s, &f, &sum, &err), 0, "%s", err.msg);
            sqlite3_stmt *st =
                s_ref(db,
                      "SELECT count(*), coalesce(sum(EXISTS (SELECT 1 FROM item_themes t WHERE"
                      " t.item_id = i.id)), 0), count(i.sentiment), coalesce(sum(i.sentiment), 0),"
                      " coalesce(sum(i.scale = 'nps'), 0), coalesce(sum(i.scale = 'nps' AND "
                      "i.score >= 9), 0),"
                      " coalesce(sum(i.scale = 'nps' AND i.score IN (7, 8)), 0),"
                      " coalesce(sum(i.scale = 'nps' AND i.score <= 6), 0) FROM items i WHERE %s",
                      where);
            cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
            cr_assert_eq(sum.items, sqlite3_column_int64(st, 0), "case %zu window %zu", c, w);
            cr_assert_eq(sum.tagged, sqlite3_column_int64(st, 1), "case %zu window %zu", c, w);
            cr_assert_eq(sum.sentiment_n, sqlite3_column_int64(st, 2));
            cr_assert(fabs(sum.sentiment_sum - sqlite3_column_double(st, 3)) < 1e-9);
            cr_assert_eq(sum.responses, sqlite3_column_int64(st, 4), "case %zu window %zu", c, w);
            cr_assert_eq(sum.promoters, sqlite3_column_int64(st, 5));
            cr_assert_eq(sum.passives, sqlite3_column_int64(st, 6));
            cr_assert_eq(sum.detractors, sqlite3_column_int64(st, 7));
            sqlite3_finalize(st);
            sqlite3_free(where);
        }
    }
    sqlite3_close(db);
    voc_store_destroy(&s);
}

/* NPS by theme, source and kind, rollups plus edges or raw, against the
 * rows: the same groups in the same order. */
Test(store, nps_groups_match_the_rows)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0, "%s", err.msg);
    s_fill_mixed(s);
    sqlite3 *db = s_ref_open();
    static const char *const key[] = {[VOC_NPS_BY_THEME] = "t.theme",
                                      [VOC_NPS_BY_SOURCE] = "i.source",
                                      [VOC_NPS_BY_KIND] = "i.kind"};
    for (size_t c = 0; c < sizeof s_cases / sizeof s_cases[0]; c++) {
        for (size_t w = 0; w < sizeof s_windows / sizeof s_windows[0]; w++) {
            for (int by = VOC_NPS_BY_THEME; by <= VOC_NPS_BY_KIND; by++) {
                const char *plan = NULL;
                voc_filter f = s_case_filter(&s_cases[c], s_windows[w][0], s_windows[w][1], &plan);
                char *where = s_case_sql(&s_cases[c], s_windows[w][0], s_windows[w][1]);
                char *subtree = s_cases[c].theme && by == VOC_NPS_BY_THEME
                                    ? sqlite3_mprintf(" AND (t.theme = %Q OR t.theme LIKE '%q.%%')",
                                                      s_cases[c].theme, s_cases[c].theme)
                                    : sqlite3_mprintf("");
                voc_nps_row all, *rows;
                size_t n;
                cr_assert_eq(voc_store_nps(s, &f, (voc_nps_by)by, NULL, &all, &rows, &n, &err), 0,
                             "%s", err.msg);
                sqlite3_stmt *st =
                    s_ref(db,
                          "SELECT %s, count(*), sum(i.score >= 9), sum(i.score IN (7, 8)),"
                          " sum(i.score <= 6) FROM %s WHERE i.scale = 'nps' AND %s%s GROUP BY 1"
                          " ORDER BY 2 DESC, 1",
                          key[by],
                          by == VOC_NPS_BY_THEME ? "item_themes t JOIN items i ON i.id = t.item_id"
                                                 : "items i",
                          where, subtree);
                size_t k = 0;
                while (sqlite3_step(st) == SQLITE_ROW) {
                    cr_assert_lt(k, n, "case %zu window %zu by %d: too few groups", c, w, by);
                    cr_assert_str_eq(rows[k].key, (const char *)sqlite3_column_text(st, 0),
                                     "case %zu window %zu by %d", c, w, by);
                    cr_assert_eq(rows[k].responses, sqlite3_column_int64(st, 1));
                    cr_assert_eq(rows[k].promoters, sqlite3_column_int64(st, 2));
                    cr_assert_eq(rows[k].passives, sqlite3_column_int64(st, 3));
                    cr_assert_eq(rows[k].detractors, sqlite3_column_int64(st, 4));
                    k++;
                }
                cr_assert_eq(k, n, "case %zu window %zu by %d: too many groups", c, w, by);
                sqlite3_finalize(st);
                cr_assert_eq(all.responses,
                             s_ref_int(db,
                                       "SELECT count(*) FROM items i WHERE i.scale = 'nps'"
                                       " AND %s",
                                       where));
                voc_nps_rows_free(rows, n);
                free(all.key);
                sqlite3_free(subtree);
                sqlite3_free(where);
            }
        }
    }
    sqlite3_close(db);
    voc_store_destroy(&s);
}

/* Trends, whole days and exact, by day and week, every filter: each
 * period's count per theme and its total items against the rows. */
Test(store, trends_match_the_rows_with_filters_and_exact_edges)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0, "%s", err.msg);
    s_fill_mixed(s);
    sqlite3 *db = s_ref_open();
    for (size_t c = 0; c < sizeof s_cases / sizeof s_cases[0]; c++) {
        for (size_t w = 0; w < sizeof s_windows / sizeof s_windows[0]; w++) {
            for (int exact = 0; exact < 2; exact++) {
                for (int iv = VOC_INTERVAL_DAY; iv <= VOC_INTERVAL_WEEK; iv++) {
                    const char *plan = NULL;
                    voc_filter f =
                        s_case_filter(&s_cases[c], s_windows[w][0], s_windows[w][1], &plan);
                    voc_trends t;
                    int rc =
                        exact ? voc_store_trends_exact(s, &f, (voc_interval)iv, NULL, 0, &t, &err)
                              : voc_store_trends(s, &f, (voc_interval)iv, NULL, 0, &t, &err);
                    cr_assert_eq(rc, 0, "%s", err.msg);
                    int64_t step = iv == VOC_INTERVAL_DAY ? 86400 : 7 * 86400;
                    for (size_t p = 0; p < t.period_count; p++) {
                        /* The period, cut to the window (exact) or to its whole days. */
                        int64_t a = t.period_start[p], b = a + step;
                        int64_t lo = f.since, hi = f.until;
                        if (!exact) {
                            lo = f.since == INT64_MIN ? INT64_MIN
                                                      : f.since - (f.since % 86400 + 86400) % 86400;
                            hi = f.until == INT64_MAX ? INT64_MAX
                                                      : f.until + (86400 - f.until % 86400) % 86400;
                        }
                        if (lo > a) a = lo;
                        if (hi < b) b = hi;
                        char *where = s_case_sql(&s_cases[c], a, b);
                        cr_assert_eq(t.totals[p],
                                     s_ref_int(db, "SELECT count(*) FROM items i WHERE %s", where),
                                     "case %zu window %zu exact %d iv %d period %zu", c, w, exact,
                                     iv, p);
                        for (size_t k = 0; k < t.theme_count; k++) {
                            int64_t want =
                                s_ref_int(db,
                                          "SELECT count(*) FROM items i JOIN item_themes t ON"
                                          " t.item_id = i.id WHERE t.theme = %Q AND %s",
                                          t.themes[k], where);
                            cr_assert_eq(t.counts[p * t.theme_count + k], want,
                                         "case %zu window %zu exact %d iv %d period %zu %s", c, w,
                                         exact, iv, p, t.themes[k]);
                        }
                        sqlite3_free(where);
                    }
                    /* Every theme of the window is there (in the subtree of
                     * f.theme). */
                    char *where = s_case_sql(&s_cases[c], s_windows[w][0], s_windows[w][1]);
                    if (exact && t.period_count)
                        cr_assert_eq((int64_t)t.theme_count,
                                     s_ref_int(db,
                                               "SELECT count(DISTINCT t.theme) FROM items i JOIN"
                                               " item_themes t ON t.item_id = i.id WHERE %s"
                                               " AND (%Q IS NULL OR t.theme = %Q OR"
                                               " t.theme LIKE %Q || '.%%')",
                                               where, s_cases[c].theme, s_cases[c].theme,
                                               s_cases[c].theme),
                                     "case %zu window %zu", c, w);
                    sqlite3_free(where);
                    voc_trends_clear(&t);
                }
            }
        }
    }
    sqlite3_close(db);
    voc_store_destroy(&s);
}

/* voc top's quote is the one the original query picked: among the
 * theme's latest 64 tags, best score, sentiment nearest the theme's mean,
 * length nearest 160, newest (here with many ties). */
Test(store, top_quote_matches_the_reference_query)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0, "%s", err.msg);
    s_fill_mixed(s);
    sqlite3 *db = s_ref_open();
    for (size_t c = 0; c < sizeof s_cases / sizeof s_cases[0]; c++) {
        for (size_t w = 0; w < sizeof s_windows / sizeof s_windows[0]; w++) {
            const char *plan = NULL;
            voc_filter f = s_case_filter(&s_cases[c], s_windows[w][0], s_windows[w][1], &plan);
            voc_top top;
            cr_assert_eq(voc_store_top(s, &f, 0, &top, &err), 0, "%s", err.msg);
            for (size_t r = 0; r < top.count; r++) {
                const voc_top_row *row = &top.rows[r];
                double mean = isnan(row->sentiment) ? 0 : row->sentiment;
                /* the original query, with an explicit order for full ties */
                sqlite3_stmt *st = s_ref(
                    db,
                    "SELECT i.uid FROM (SELECT t.item_id, t.score, t.created_at, t.sentiment"
                    " FROM item_themes t JOIN items i ON i.id = t.item_id WHERE t.theme = %Q"
                    " AND t.created_at >= %lld AND t.created_at < %lld"
                    " AND (%Q IS NULL OR t.kind = %Q) AND (%Q IS NULL OR t.source = %Q)%s"
                    " AND (%Q IS NULL OR json_extract(i.attrs, '$.plan') = %Q)"
                    " ORDER BY t.created_at DESC, t.item_id DESC LIMIT 64) x"
                    " JOIN items i ON i.id = x.item_id ORDER BY x.score DESC,"
                    " abs(coalesce(x.sentiment, 0) - ?1), abs(length(i.text) - 160),"
                    " x.created_at DESC, x.item_id DESC LIMIT 1",
                    row->theme, (long long)f.since, (long long)f.until, f.kind, f.kind, f.source,
                    f.source, f.negative ? " AND (t.sentiment < -0.05 OR t.nps_score <= 6)" : "",
                    plan, plan);
                sqlite3_bind_double(st, 1, mean);
                cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", row->theme);
                cr_assert_not_null(row->quote_uid, "%s", row->theme);
                cr_assert_str_eq(row->quote_uid, (const char *)sqlite3_column_text(st, 0),
                                 "case %zu window %zu theme %s", c, w, row->theme);
                sqlite3_finalize(st);
            }
            voc_top_clear(&top);
        }
    }
    sqlite3_close(db);
    voc_store_destroy(&s);
}

/* voc_store_quotes gives what the original single query gave: one row per
 * item (its deepest matching theme), strongest first, ties in window-index
 * order. */
Test(store, quotes_match_the_reference_query)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0, "%s", err.msg);
    s_fill_mixed(s);
    sqlite3 *db = s_ref_open();
    const char *themes[] = {"billing", "support", "performance", NULL};
    for (size_t c = 0; c < sizeof s_cases / sizeof s_cases[0]; c++) {
        for (size_t w = 0; w < sizeof s_windows / sizeof s_windows[0]; w++) {
            for (size_t k = 0; k < sizeof themes / sizeof themes[0]; k++) {
                for (size_t limit = 0; limit <= 5; limit += 5) {
                    const char *plan = NULL;
                    voc_filter f =
                        s_case_filter(&s_cases[c], s_windows[w][0], s_windows[w][1], &plan);
                    f.theme = themes[k];
                    voc_quote *q;
                    size_t n;
                    cr_assert_eq(voc_store_quotes(s, &f, limit, &q, &n, &err), 0, "%s", err.msg);
                    sqlite3_stmt *st = s_ref(
                        db,
                        "SELECT i.uid, t.theme FROM item_themes t JOIN items i ON"
                        " i.id = t.item_id WHERE t.created_at >= %lld AND t.created_at < %lld"
                        " AND (%Q IS NULL OR t.kind = %Q) AND (%Q IS NULL OR t.source = %Q)"
                        " AND (%Q IS NULL OR t.theme = %Q OR t.theme LIKE %Q || '.%%')%s"
                        " AND (%Q IS NULL OR json_extract(i.attrs, '$.plan') = %Q)"
                        " AND NOT EXISTS (SELECT 1 FROM item_themes u WHERE u.item_id ="
                        " t.item_id AND length(u.theme) > length(t.theme) AND"
                        " substr(u.theme, 1, length(t.theme) + 1) = t.theme || '.')"
                        " ORDER BY t.score DESC, t.created_at DESC, t.theme, t.kind, t.source,"
                        " t.item_id LIMIT %lld",
                        (long long)f.since, (long long)f.until, f.kind, f.kind, f.source, f.source,
                        f.theme, f.theme, f.theme,
                        f.negative ? " AND (t.sentiment < -0.05 OR t.nps_score <= 6)" : "", plan,
                        plan, limit ? (long long)limit : -1LL);
                    size_t m = 0;
                    while (sqlite3_step(st) == SQLITE_ROW) {
                        cr_assert_lt(m, n, "case %zu window %zu theme %s", c, w, themes[k]);
                        cr_assert_str_eq(q[m].uid, (const char *)sqlite3_column_text(st, 0),
                                         "case %zu window %zu theme %s #%zu", c, w, themes[k], m);
                        cr_assert_str_eq(q[m].theme, (const char *)sqlite3_column_text(st, 1));
                        m++;
                    }
                    cr_assert_eq(m, n, "case %zu window %zu theme %s", c, w, themes[k]);
                    sqlite3_finalize(st);
                    voc_quotes_free(q, n);
                }
            }
        }
    }
    sqlite3_close(db);
    voc_store_destroy(&s);
}

/* The export's rows against the rows, in time order: through the index
 * for a small window, through the table and a sort for the whole store. */
typedef struct s_export_check {
    sqlite3_stmt *items, *tags;
    size_t rows;
} s_export_check;

static int s_export_cb(void *user, const voc_export_row *r)
{
    s_export_check *x = user;
    cr_assert_eq(sqlite3_step(x->items), SQLITE_ROW, "more rows exported than stored");
    cr_assert_str_eq(r->uid, (const char *)sqlite3_column_text(x->items, 0));
    cr_assert_str_eq(r->created_at_iso, (const char *)sqlite3_column_text(x->items, 1));
    cr_assert_str_eq(r->attrs_json, (const char *)sqlite3_column_text(x->items, 2));
    cr_assert_eq(r->score, sqlite3_column_type(x->items, 3) == SQLITE_NULL
                               ? -1
                               : sqlite3_column_int(x->items, 3));
    cr_assert_eq(isnan(r->sentiment), sqlite3_column_type(x->items, 4) == SQLITE_NULL);
    if (!isnan(r->sentiment)) cr_assert_eq(r->sentiment, sqlite3_column_double(x->items, 4));
    int64_t id = sqlite3_column_int64(x->items, 5);
    sqlite3_bind_int64(x->tags, 1, id);
    size_t k = 0;
    while (sqlite3_step(x->tags) == SQLITE_ROW) {
        cr_assert_lt(k, r->theme_count, "%s", r->uid);
        cr_assert_str_eq(r->themes[k].id, (const char *)sqlite3_column_text(x->tags, 0));
        cr_assert_eq(r->themes[k].score, sqlite3_column_double(x->tags, 1));
        if (sqlite3_column_type(x->tags, 2) == SQLITE_NULL)
            cr_assert(isnan(r->themes[k].sentiment));
        else
            cr_assert_eq(r->themes[k].sentiment, sqlite3_column_double(x->tags, 2));
        k++;
    }
    sqlite3_reset(x->tags);
    cr_assert_eq(k, r->theme_count, "%s", r->uid);
    x->rows++;
    return 0;
}

Test(store, export_streams_every_row_in_time_order)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0, "%s", err.msg);
    s_fill_mixed(s);
    voc_store_destroy(&s);
    cr_assert_eq(voc_store_open(&s, s_path, VOC_STORE_READONLY, &err), 0, "%s", err.msg);
    sqlite3 *db = s_ref_open();
    /* the whole store (a sort), one day (the index), a filtered window */
    const s_case *cases[] = {&s_cases[0], &s_cases[0], &s_cases[6]};
    int64_t w[][2] = {{INT64_MIN, INT64_MAX},
                      {s_jan1 + 86400 + 5, s_jan1 + 2 * 86400},
                      {s_jan1, s_jan1 + 10 * 86400}};
    for (size_t c = 0; c < 3; c++) {
        const char *plan = NULL;
        voc_filter f = s_case_filter(cases[c], w[c][0], w[c][1], &plan);
        char *where = s_case_sql(cases[c], w[c][0], w[c][1]);
        s_export_check x = {
            .items = s_ref(db,
                           "SELECT i.uid, strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', i.created_at,"
                           " 'unixepoch'), i.attrs, i.score, i.sentiment, i.id FROM items i"
                           " WHERE %s ORDER BY i.created_at, i.id",
                           where),
            .tags = s_ref(db, "SELECT theme, score, sentiment FROM item_themes WHERE"
                              " item_id = ?1 ORDER BY theme"),
        };
        cr_assert_eq(voc_store_export(s, &f, s_export_cb, &x, &err), 0, "%s", err.msg);
        cr_assert_eq(sqlite3_step(x.items), SQLITE_DONE, "fewer rows exported than stored");
        cr_assert_gt(x.rows, 0);
        sqlite3_finalize(x.items);
        sqlite3_finalize(x.tags);
        sqlite3_free(where);
    }
    /* JSON numbers as SQLite's JSON functions print them. */
    double xs[] = {1.0, 1.6, -0.2857142857142857, 0.1 + 0.2, 1e-7, 123456.789, -0.0, 2.5e300};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        sqlite3_stmt *st = s_ref(db, "SELECT json_array(?1)");
        sqlite3_bind_double(st, 1, xs[i]);
        cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
        const char *j = (const char *)sqlite3_column_text(st, 0);
        cr_assert_eq(voc_store_json_double(xs[i]), strtod(j + 1, NULL), "%s", j);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    voc_store_destroy(&s);
}

/* Full-text hits rank by bm25, ties in row order, filters applied before
 * the limit. */
Test(store, search_ranks_by_bm25_then_row)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0, "%s", err.msg);
    const char *texts[] = {"refund", "refund please", "refund", "late refund refund", "refund"};
    for (int i = 0; i < 5; i++) {
        char uid[16];
        snprintf(uid, sizeof uid, "b-%d", i);
        voc_item it;
        s_item(&it, uid, texts[i], s_jan1 + i * 86400, NULL);
        if (i == 0) it.kind = VOC_KIND_NPS;
        s_put(s, &it);
        voc_item_clear(&it);
    }
    int64_t done;
    cr_assert_eq(voc_store_search_catch_up(s, &done, &err), 0, "%s", err.msg);
    sqlite3 *db = s_ref_open();
    for (int k = 0; k < 2; k++) {
        voc_filter f = voc_filter_all();
        f.kind = k ? "ticket" : NULL;
        voc_search_hit *h;
        size_t n;
        cr_assert_eq(voc_store_search(s, &f, "refund", 3, "[", "]", &h, &n, &err), 0, "%s",
                     err.msg);
        sqlite3_stmt *st = s_ref(db,
                                 "SELECT i.uid FROM items_fts JOIN items i ON i.id ="
                                 " items_fts.rowid WHERE items_fts MATCH 'refund' AND"
                                 " (%Q IS NULL OR i.kind = %Q) ORDER BY bm25(items_fts), i.id"
                                 " LIMIT 3",
                                 f.kind, f.kind);
        size_t m = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            cr_assert_lt(m, n);
            cr_assert_str_eq(h[m].uid, (const char *)sqlite3_column_text(st, 0), "#%zu", m);
            m++;
        }
        cr_assert_eq(m, n);
        cr_assert_eq(n, 3);
        sqlite3_finalize(st);
        voc_search_hits_free(h, n);
    }
    sqlite3_close(db);
    voc_store_destroy(&s);
}

/* A schema 6 store migrates to 7: theme_day_all is filled from theme_day,
 * the two item_themes indexes carry their new columns, and every answer
 * stays the same; a read-only open asks for the migration first. */
Test(store, migration_7_from_schema_6)
{
    voc_store *s = NULL;
    voc_err err;
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0, "%s", err.msg);
    s_fill_mixed(s);
    voc_store_destroy(&s);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(s_path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "DROP TABLE theme_day_all; DROP INDEX item_themes_window;"
                              " DROP INDEX item_themes_theme;"
                              " CREATE INDEX item_themes_window ON item_themes(created_at, theme,"
                              " kind, source);"
                              " CREATE INDEX item_themes_theme ON item_themes(theme, created_at);"
                              " PRAGMA user_version = 6;",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
    cr_assert_eq(voc_store_open(&s, s_path, VOC_STORE_READONLY, &err), VOC_ESTATE);
    cr_assert_eq(voc_store_open(&s, s_path, 0, &err), 0, "%s", err.msg);
    voc_store_destroy(&s);
    cr_assert_eq(s_scalar("PRAGMA user_version"), 7);
    cr_assert_eq(s_rollup_diff(), 0);
    cr_assert_eq(s_scalar("SELECT count(*) FROM pragma_index_info('item_themes_window')"), 6);
    cr_assert_eq(s_scalar("SELECT count(*) FROM pragma_index_info('item_themes_theme')"), 8);
    cr_assert_gt(s_scalar("SELECT count(*) FROM theme_day_all"), 0);
}
