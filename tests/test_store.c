/* test_store.c: schema and migrations, idempotent writes on uid, dead
 * letters, and the top-themes query (store/store.h), on real files. */
#include "store/store.h"

#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
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

/* Rows of the rollup tables that differ from the same rollups computed
 * from scratch (zero rows left by deletions are ignored). */
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
    char sql[2400];
    int64_t n = 0;
    const char *pairs[][2] = {{item_day_now, item_day_fresh}, {theme_day_now, theme_day_fresh}};
    for (size_t i = 0; i < 2; i++) {
        snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s EXCEPT %s)", pairs[i][0],
                 pairs[i][1]);
        n += s_scalar(sql);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s EXCEPT %s)", pairs[i][1],
                 pairs[i][0]);
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
    int64_t ids[50];
    size_t n = 0;
    cr_assert_eq(voc_store_retag_scan(s, &all, 99, 0, 50, items, ids, &n, &err), 0);
    cr_assert_eq(voc_store_begin(s, &err), 0);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(voc_store_set_analysis(s, ids[i], &items[i], 99, &err), 0);
        voc_item_clear(&items[i]);
    }
    cr_assert_eq(voc_store_commit(s, &err), 0);
    cr_assert_eq(s_rollup_diff(), 0, "rollups after the retag");

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
