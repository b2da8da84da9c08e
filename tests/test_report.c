/* test_report.c: voc report end to end. A store filled by the real
 * processor and collector (items in the last 90 days and the 90 before,
 * NPS responses, attributes, and one comment carrying markup), then the
 * real voc binary writes the HTML page; the tests check it is
 * self-contained, escapes customer text, and agrees with the store. The
 * browser test opens the page in headless Chromium (Debian's chromium
 * package, installed by scripts/install-deps.sh): the DOM has the charts'
 * SVG elements and the screenshot is not blank (tests/png_colors.py). */
#include "tests/support/proc.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *s_dir;

static void s_setup(void)
{
    s_dir = vt_tmpdir("report");
}
static void s_teardown(void)
{
    vt_rmtree(s_dir);
    free(s_dir);
}

TestSuite(report, .init = s_setup, .fini = s_teardown, .timeout = 180);

static char *s_path(const char *name)
{
    char *p = malloc(strlen(s_dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", s_dir, name);
    return p;
}

/* 200 items, one every 9 hours back from 2 hours ago (the last ~75 days),
 * 60 more 100-160 days ago (the previous window), and the comment with
 * markup as the newest item: an NPS detractor, so it is a negative quote
 * of billing. Returns the database path (caller frees). */
static char *s_build_store(void)
{
    char *db = s_path("voc.db"), *log = s_path("proc.log"), *ob = s_path("outbox.db");
    char *sock = s_path("p.sock"), *in = s_path("items.jsonl");
    char ep[512];
    snprintf(ep, sizeof ep, "ipc://%s", sock);
    static const char *const texts[] = {
        "I want a refund, the invoice was wrong",
        "The app is slow and the lag is awful",
        "The agent was rude and did not help",
        "I love it, great tool",
        "ok thanks",
    };
    FILE *fp = fopen(in, "w");
    cr_assert_not_null(fp);
    time_t now = time(NULL);
    for (int i = 0; i < 260; i++) {
        long long at = i < 200 ? (long long)now - 3 * 3600 - i * 9 * 3600LL
                               : (long long)now - (100 + (i - 200)) * 86400LL;
        fprintf(fp, "{\"uid\":\"r-%d\",\"created_at\":%lld,\"text\":\"%s\",\"kind\":\"%s\"", i, at,
                texts[i % 5],
                i % 5 == 2   ? "ticket"
                : i % 3 == 0 ? "nps"
                             : "survey");
        if (i % 3 == 0 && i % 5 != 2) fprintf(fp, ",\"score\":%d,\"scale\":\"nps\"", (i * 7) % 11);
        fprintf(fp, ",\"attrs\":{\"plan\":\"%s\"}}\n", i % 2 ? "pro" : "enterprise");
    }
    fprintf(fp,
            "{\"uid\":\"evil-1\",\"created_at\":%lld,\"kind\":\"nps\",\"score\":2,"
            "\"scale\":\"nps\",\"text\":\"I need a refund <script>alert(1)</script> & my "
            "invoice is wrong\"}\n",
            (long long)now - 3600);
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
    free(log);
    free(ob);
    free(sock);
    free(in);
    free(pbin);
    free(cbin);
    free(rules);
    return db;
}

/* Run voc with args (NULL-terminated); stdout into *out when not NULL. */
static int s_voc(char **out, const char *const *args)
{
    char *bin = vt_bin("voc");
    char *argv[32] = {bin};
    size_t n = 1;
    for (; args[n - 1]; n++) {
        cr_assert_lt(n, 31);
        argv[n] = (char *)args[n - 1];
    }
    argv[n] = NULL;
    char *err = NULL;
    int st = vt_run(argv, 60000, out, &err);
    if (st != 0) fprintf(stderr, "voc %s: exit %d: %s\n", args[0], st, err ? err : "");
    free(err);
    free(bin);
    return st;
}

static double s_query(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    double v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

/* The data-value of the element with this id in the page. */
static double s_value(const char *html, const char *id)
{
    char needle[96];
    snprintf(needle, sizeof needle, "id=\"%s\" data-value=\"", id);
    const char *p = strstr(html, needle);
    cr_assert_not_null(p, "no element #%s with a data-value", id);
    return strtod(p + strlen(needle), NULL);
}

static size_t s_occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Does hay contain needle (ASCII letters in any case)? */
static bool s_has_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0) return true;
    return false;
}

/* No external resource and no script element; the markup in the comment is
 * text. */
static void s_assert_self_contained(const char *html)
{
    cr_assert_null(strstr(html, "http://"), "a URL in the page");
    cr_assert_null(strstr(html, "https://"), "a URL in the page");
    cr_assert_not(s_has_ci(html, "<script"), "a script element in the page");
    cr_assert_not(s_has_ci(html, "<link"), "a link element in the page");
    cr_assert_null(strstr(html, "url("), "a CSS url() in the page");
    cr_assert_null(strstr(html, "@import"), "a CSS import in the page");
}

#define S_WINDOW "created_at >= strftime('%s', 'now') - 90 * 86400"

Test(report, agrees_with_the_store_and_escapes_customer_text)
{
    char *db = s_build_store(), *out = s_path("report.html");
    const char *args[] = {"report", "--db", db, "--out", out, "--title", "Q3 <review> & co", NULL};
    cr_assert_eq(s_voc(NULL, args), 0);
    char *html = vt_read_file(out);
    cr_assert_not_null(html);
    cr_assert(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    cr_assert(strstr(html, "</html>\n"));
    s_assert_self_contained(html);
    cr_assert(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; my invoice"),
              "the comment with markup is escaped text");
    cr_assert(strstr(html, "<h1>Q3 &lt;review&gt; &amp; co</h1>"));
    cr_assert_geq(s_occurrences(html, "<svg"), 2);
    cr_assert(strstr(html, "<polyline"), "the trend lines");
    cr_assert(strstr(html, "<rect class=\"bar"), "the NPS impact bars");
    cr_assert(strstr(html, "<mark>refund</mark>"), "evidence highlighted in a quote");
    for (const char *const *t = (const char *const[]){"billing", "billing.refund", "performance",
                                                      "support", "praise", NULL};
         *t; t++) {
        char cell[64];
        snprintf(cell, sizeof cell, "</span>%s</td>", *t);
        cr_assert(strstr(html, cell), "theme %s in the table", *t);
    }

    /* Headline numbers against the store. */
    cr_assert_eq(s_value(html, "items"), s_query(db, "SELECT count(*) FROM items WHERE " S_WINDOW));
    cr_assert_eq(s_value(html, "items"), 201);
    cr_assert_eq(s_value(html, "tagged-items"),
                 s_query(db, "SELECT count(*) FROM items i WHERE " S_WINDOW
                             " AND EXISTS (SELECT 1 FROM item_themes t WHERE t.item_id = i.id)"));
    cr_assert_float_eq(
        s_value(html, "sentiment"),
        s_query(db, "SELECT avg(sentiment) FROM items WHERE sentiment IS NOT NULL AND " S_WINDOW),
        1e-4);
    double p =
        s_query(db, "SELECT count(*) FROM items WHERE scale = 'nps' AND score >= 9 AND " S_WINDOW);
    double pa = s_query(db, "SELECT count(*) FROM items WHERE scale = 'nps' AND score IN (7, 8)"
                            " AND " S_WINDOW);
    double d =
        s_query(db, "SELECT count(*) FROM items WHERE scale = 'nps' AND score <= 6 AND " S_WINDOW);
    cr_assert_gt(p, 0);
    cr_assert_gt(d, 0);
    cr_assert_eq(s_value(html, "promoters"), p);
    cr_assert_eq(s_value(html, "passives"), pa);
    cr_assert_eq(s_value(html, "detractors"), d);
    cr_assert_eq(s_value(html, "responses"), p + pa + d);
    cr_assert_float_eq(s_value(html, "nps"), 100.0 * (p - d) / (p + pa + d), 0.051);

    /* Written through a temporary file that is gone now. */
    DIR *dir = opendir(s_dir);
    for (struct dirent *e; (e = readdir(dir));)
        cr_assert(strncmp(e->d_name, ".report.html.", 13) != 0, "left behind: %s", e->d_name);
    closedir(dir);
    free(html);
    free(out);
    free(db);
}

/* The headline cards of a report against the items of the window that
 * pass cond (SQL over items). */
static void s_assert_headline(const char *html, const char *db, const char *cond)
{
    const char *window = S_WINDOW;
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM items WHERE %s AND %s", cond, window);
    cr_assert_eq(s_value(html, "items"), s_query(db, sql), "%s", cond);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM items WHERE %s AND %s"
             " AND EXISTS (SELECT 1 FROM item_themes u WHERE u.item_id = items.id)",
             cond, window);
    cr_assert_eq(s_value(html, "tagged-items"), s_query(db, sql), "%s", cond);
    snprintf(sql, sizeof sql,
             "SELECT coalesce(avg(sentiment), 0) FROM items WHERE sentiment IS NOT NULL AND %s"
             " AND %s",
             cond, window);
    double sent = s_query(db, sql);
    if (sent != 0) cr_assert_float_eq(s_value(html, "sentiment"), sent, 1e-4, "%s", cond);
    static const char *const groups[][2] = {
        {"promoters", "score >= 9"}, {"passives", "score IN (7, 8)"}, {"detractors", "score <= 6"}};
    for (size_t i = 0; i < 3; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM items WHERE scale = 'nps' AND %s AND %s AND %s",
                 groups[i][1], cond, window);
        cr_assert_eq(s_value(html, groups[i][0]), s_query(db, sql), "%s %s", groups[i][0], cond);
    }
}

Test(report, filters_apply_to_every_number)
{
    char *db = s_build_store(), *out = NULL;
    const char *args[] = {"report", "--db", db,         "--where", "plan=enterprise",
                          "--top",  "3",    "--quotes", "1",       NULL};
    cr_assert_eq(s_voc(&out, args), 0, "the default is standard output");
    s_assert_self_contained(out);
    cr_assert(strstr(out, "Only plan=enterprise."), "the filter is stated");
    cr_assert_eq(s_value(out, "items"),
                 s_query(db, "SELECT count(*) FROM items WHERE json_extract(attrs, '$.plan') ="
                             " 'enterprise' AND " S_WINDOW));
    cr_assert_eq(s_value(out, "responses"),
                 s_query(db, "SELECT count(*) FROM items WHERE scale = 'nps' AND"
                             " json_extract(attrs, '$.plan') = 'enterprise' AND " S_WINDOW));
    s_assert_headline(out, db, "json_extract(attrs, '$.plan') = 'enterprise'");
    cr_assert_eq(s_occurrences(out, "<tr><td>"), 3, "--top 3: three table rows");
    cr_assert_leq(s_occurrences(out, "<blockquote>"), 3, "--quotes 1: one per theme");
    free(out);

    const char *a2[] = {"report", "--db", db, "--theme", "billing", "--kind", "nps", NULL};
    cr_assert_eq(s_voc(&out, a2), 0);
    cr_assert_eq(s_value(out, "items"),
                 s_query(db, "SELECT count(*) FROM items i WHERE kind = 'nps' AND " S_WINDOW
                             " AND EXISTS (SELECT 1 FROM item_themes t WHERE t.item_id = i.id"
                             " AND (t.theme = 'billing' OR t.theme LIKE 'billing.%'))"));
    cr_assert_null(strstr(out, "performance"), "outside the theme");
    s_assert_headline(
        out, db,
        "kind = 'nps' AND EXISTS (SELECT 1 FROM item_themes t WHERE"
        " t.item_id = items.id AND (t.theme = 'billing' OR t.theme LIKE 'billing.%'))");
    free(out);

    /* Negative feedback only: an item filter like the others. */
    const char *a3[] = {"report", "--db", db, "--negative", NULL};
    cr_assert_eq(s_voc(&out, a3), 0);
    s_assert_headline(out, db, "(sentiment < -0.05 OR (scale = 'nps' AND score <= 6))");
    free(out);

    const char *bad[] = {"report", "--db", db, "--top", "0", NULL};
    cr_assert_eq(s_voc(&out, bad), 2, "a usage error");
    free(out);
    free(db);
}

Test(report, an_empty_window_is_a_valid_report)
{
    char *db = s_build_store(), *out = s_path("empty.html");
    const char *args[] = {"report",  "--db",       db,      "--since", "2001-01-01",
                          "--until", "2001-04-01", "--out", out,       NULL};
    cr_assert_eq(s_voc(NULL, args), 0);
    char *html = vt_read_file(out);
    cr_assert(strncmp(html, "<!DOCTYPE html>", 15) == 0 && strstr(html, "</html>\n"));
    cr_assert(strstr(html, "No feedback in this window."), "%s", html);
    cr_assert(strstr(html, "2001-01-01 to 2001-03-31"));
    s_assert_self_contained(html);
    free(html);
    free(out);
    free(db);
}

/* voc trends --format svg draws with the same chart code (cli/svg.c). */
Test(report, trends_svg_is_still_a_standalone_chart)
{
    char *db = s_build_store(), *out = NULL;
    const char *args[] = {"trends", "--db", db, "--since", "90d", "--format", "svg", NULL};
    cr_assert_eq(s_voc(&out, args), 0);
    cr_assert(strncmp(out, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0, "%.80s", out);
    cr_assert(strstr(out, "<polyline class=\"series\" data-theme=\"billing\""));
    cr_assert(strstr(out, "Items per theme by week"));
    cr_assert(strstr(out, "</svg>\n"));
    free(out);
    free(db);
}

static char *s_find_on_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path) return NULL;
    char *copy = strdup(path), *save = NULL, *found = NULL;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *full = malloc(strlen(d) + strlen(name) + 2);
        sprintf(full, "%s/%s", d, name);
        if (access(full, X_OK) == 0)
            found = full;
        else
            free(full);
    }
    free(copy);
    return found;
}

Test(report, renders_in_headless_chromium, .timeout = 300)
{
    char *chromium = s_find_on_path("chromium");
    if (!chromium)
        cr_assert_fail("chromium is not on PATH: this test renders the report in a real "
                       "browser; install it with scripts/install-deps.sh (Debian package "
                       "'chromium')");
    char *db = s_build_store(), *html = s_path("report.html"), *png = s_path("shot.png");
    char *profile = s_path("chromium-profile");
    const char *args[] = {"report", "--db", db, "--out", html, NULL};
    cr_assert_eq(s_voc(NULL, args), 0);
    char url[1024], shot_arg[1024], profile_arg[1024];
    snprintf(url, sizeof url, "file://%s", html);
    snprintf(shot_arg, sizeof shot_arg, "--screenshot=%s", png);
    snprintf(profile_arg, sizeof profile_arg, "--user-data-dir=%s", profile);

    char *shot[] = {chromium,        "--headless", "--no-sandbox",
                    "--disable-gpu", shot_arg,     "--window-size=1200,2000",
                    profile_arg,     url,          NULL};
    char *err = NULL;
    cr_assert_eq(vt_run(shot, 120000, NULL, &err), 0, "chromium --screenshot: %s", err);
    free(err);
    char *dom = NULL;
    char *dump[] = {
        chromium, "--headless", "--no-sandbox", "--disable-gpu", profile_arg, "--dump-dom",
        url,      NULL};
    cr_assert_eq(vt_run(dump, 120000, &dom, &err), 0, "chromium --dump-dom: %s", err);
    free(err);

    /* The browser built the charts from the markup... */
    cr_assert_geq(s_occurrences(dom, "<svg"), 2, "%.400s", dom);
    cr_assert(strstr(dom, "<polyline"), "trend lines in the DOM");
    cr_assert(strstr(dom, "<path") || strstr(dom, "<circle"), "line markers in the DOM");
    cr_assert(strstr(dom, "<rect class=\"bar"), "NPS impact bars in the DOM");
    cr_assert(strstr(dom, "<mark>"), "highlighted evidence in the DOM");
    /* ...and the comment's markup stayed text: no script element. */
    cr_assert_not(s_has_ci(dom, "<script"), "a script element in the DOM");
    cr_assert(strstr(dom, "&lt;script&gt;alert(1)&lt;/script&gt;"));

    /* The screenshot is not blank: many colours, a fair share not white. */
    struct stat sb;
    cr_assert_eq(stat(png, &sb), 0, "no screenshot at %s", png);
    cr_assert_gt(sb.st_size, 20000, "a %lld-byte screenshot is suspiciously small",
                 (long long)sb.st_size);
    char *script = vt_source("tests/png_colors.py"), *colors = NULL;
    char *py[] = {"/usr/bin/env", "python3", script, png, NULL};
    cr_assert_eq(vt_run(py, 120000, &colors, &err), 0, "png_colors.py: %s", err);
    free(err);
    int ncolors = 0, width = 0, height = 0;
    double nonwhite = 0;
    cr_assert_eq(sscanf(colors, "colors=%d nonwhite=%lf width=%d height=%d", &ncolors, &nonwhite,
                        &width, &height),
                 4, "%s", colors);
    cr_assert_eq(width, 1200);
    cr_assert_eq(height, 2000);
    cr_assert_gt(ncolors, 10, "%s", colors);
    cr_assert_gt(nonwhite, 0.05, "%s", colors);
    free(colors);
    free(script);
    free(dom);
    free(profile);
    free(png);
    free(html);
    free(db);
    free(chromium);
}
