/* cmd_report.c: voc report — one self-contained HTML page about a window
 * of feedback (the last 90 days unless told otherwise), to open in a
 * browser, print, or attach to an email: headline numbers, the top themes
 * with their change against the previous window, weekly trend lines, NPS
 * impact by theme, and negative quotes per top theme with the evidence
 * marked.
 *
 * The page needs nothing else: no scripts, fonts, images or links. Charts
 * are inline SVG drawn by cli/svg.c (the same code as voc trends --format
 * svg), styles sit in one <style> block, and every string that comes from
 * the store (customer text, theme names, uids, filter values) passes
 * through voc_svg_escape, so feedback that contains markup shows as text.
 *
 * Where the numbers come from: the table is voc_store_top (the same figures
 * as voc top); the headline is voc_store_summary, the weekly lines
 * voc_store_trends_exact (the window's own bounds, not whole days) and NPS
 * by theme voc_store_nps. All of them honour every filter (--where,
 * --theme, --negative) alike, and answer from the daily rollups when there
 * is none of those; the quotes are voc_store_quotes with the negative
 * filter. */
#include "cli/cli.h"
#include "cli/svg.h"

#include "common/alloc.h"
#include "common/vtime.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Not const: s_window_default() gives --since the report's own default. */
static voc_opt s_options[] = {
    VOC_CLI_FILTER_OPTS,
    VOC_CLI_SEGMENT_OPTS,
    {"theme", VOC_OPT_STR, NULL, NULL, "PREFIX", "only this theme and its sub-themes"},
    {"top", VOC_OPT_INT, "8", NULL, "N", "themes in the table, the charts and the quotes (1-50)"},
    {"quotes", VOC_OPT_INT, "3", NULL, "N", "negative quotes per top theme (0: none)"},
    {"title", VOC_OPT_STR, "Voice of the customer", NULL, "TEXT", "the report's heading"},
    {"out", VOC_OPT_STR, "-", NULL, "FILE", "the HTML file to write (-: standard output)"},
    {0},
};

/* The shared filter options open the window at all time; a report covers
 * the last 90 days unless --since says otherwise. */
static void s_window_default(void)
{
    for (voc_opt *o = s_options; o->name; o++) {
        if (strcmp(o->name, "since") == 0) {
            o->def = "90d";
            o->help = "start of the window: 30d, 12w, 6m, 1y or a date";
        }
    }
}

enum { S_MAX_TOP = 50, S_QUOTE_BYTES = 600 };

/* NPS counts among a theme's scored items. */
typedef struct s_theme_nps {
    char *theme;
    int64_t responses, promoters, passives, detractors;
} s_theme_nps;

/* What the report shows beside the theme table. */
typedef struct s_tally {
    const voc_top *top; /* borrowed: the table's themes get weekly lines */
    int64_t items, tagged, sent_n;
    double sent_sum;
    int64_t responses, promoters, passives, detractors;
    s_theme_nps *themes; /* NPS by theme (themes with responses) */
    size_t theme_count;
    bool have_week0;
    int64_t week0;        /* day number of the first week's Monday */
    size_t week_count;    /* weeks from week0 */
    size_t week_cap;      /* allocated elements of week_counts */
    int64_t *week_counts; /* week_count x top->count, row-major by week */
} s_tally;

static void s_tally_clear(s_tally *t)
{
    for (size_t i = 0; i < t->theme_count; i++)
        free(t->themes[i].theme);
    free(t->themes);
    free(t->week_counts);
    memset(t, 0, sizeof *t);
}

static double s_nps(int64_t n, int64_t promoters, int64_t detractors)
{
    return n ? 100.0 * (double)(promoters - detractors) / (double)n : NAN;
}

static int64_t s_floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Day number of the Monday of the ISO week holding epoch second t. */
static int64_t s_monday(int64_t t)
{
    int64_t d = s_floor_div(t, 86400);
    return d - ((d % 7 + 7 + 3) % 7); /* 1970-01-01 was a Thursday */
}

/* The counts row of week w (from week0), zero-filled up to it. */
static int64_t *s_week_row(s_tally *t, size_t w)
{
    size_t nt = t->top->count;
    if (w >= t->week_count) {
        size_t old = t->week_cap;
        voc_grow((void **)&t->week_counts, &t->week_cap, (w + 1) * (nt ? nt : 1),
                 sizeof *t->week_counts);
        memset(t->week_counts + old, 0, (t->week_cap - old) * sizeof *t->week_counts);
        t->week_count = w + 1;
    }
    return t->week_counts + w * nt;
}

/* The headline figures and NPS by theme of f. */
static int s_gather(voc_store *st, const voc_filter *f, s_tally *t, voc_err *err)
{
    voc_summary sum;
    voc_nps_row all = {0}, *rows = NULL;
    size_t n = 0;
    int rc = voc_store_summary(st, f, &sum, err);
    if (rc == 0) rc = voc_store_nps(st, f, VOC_NPS_BY_THEME, NULL, &all, &rows, &n, err);
    if (rc) return rc;
    t->items = sum.items;
    t->tagged = sum.tagged;
    t->sent_sum = sum.sentiment_sum;
    t->sent_n = sum.sentiment_n;
    t->responses = sum.responses;
    t->promoters = sum.promoters;
    t->passives = sum.passives;
    t->detractors = sum.detractors;
    t->themes = voc_calloc(n + 1, sizeof *t->themes);
    for (size_t i = 0; i < n; i++) {
        t->themes[i] = (s_theme_nps){rows[i].key, rows[i].responses, rows[i].promoters,
                                     rows[i].passives, rows[i].detractors};
        rows[i].key = NULL;
    }
    t->theme_count = n;
    voc_nps_rows_free(rows, n);
    free(all.key);
    return 0;
}

/* The weekly lines of the top themes: items per ISO week inside the
 * window. The weeks run from week0 (the window's first Monday, or the
 * first week with an item when it has none) to the last week with an
 * item; a week with no item of a top theme is a zero. */
static int s_weeks(voc_store *st, const voc_filter *f, s_tally *t, voc_err *err)
{
    const voc_top *top = t->top;
    const char **only = voc_calloc(top->count + 1, sizeof *only);
    for (size_t k = 0; k < top->count; k++)
        only[k] = top->rows[k].theme;
    voc_trends tr;
    int rc = voc_store_trends_exact(st, f, VOC_INTERVAL_WEEK, only, 0, &tr, err);
    free(only);
    if (rc) return rc;
    size_t *col = voc_calloc(top->count + 1, sizeof *col);
    for (size_t k = 0; k < top->count; k++) {
        col[k] = SIZE_MAX;
        for (size_t c = 0; c < tr.theme_count; c++)
            if (strcmp(tr.themes[c], top->rows[k].theme) == 0) col[k] = c;
    }
    for (size_t p = 0; p < tr.period_count; p++) {
        if (tr.totals[p] == 0) continue;
        int64_t monday = s_floor_div(tr.period_start[p], 86400);
        if (!t->have_week0) {
            t->week0 = monday;
            t->have_week0 = true;
        }
        if (monday < t->week0) continue;
        int64_t *row = s_week_row(t, (size_t)((monday - t->week0) / 7));
        for (size_t k = 0; k < top->count; k++)
            if (col[k] != SIZE_MAX) row[k] += tr.counts[p * tr.theme_count + col[k]];
    }
    free(col);
    voc_trends_clear(&tr);
    return 0;
}

/* ---- output ------------------------------------------------------------- */

/* Where the report goes: stdout for "-", else a temporary file beside path,
 * renamed over it once complete so nobody opens half a report. */
static int s_out_open(const char *path, FILE **fp, char **tmp, voc_err *err)
{
    *fp = NULL;
    *tmp = NULL;
    if (strcmp(path, "-") == 0) {
        *fp = stdout;
        return 0;
    }
    const char *slash = strrchr(path, '/');
    char *t = slash ? voc_asprintf("%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1)
                    : voc_asprintf(".%s.XXXXXX", path);
    int fd = mkstemp(t);
    if (fd < 0) {
        int rc =
            voc_err_set(err, VOC_EIO, "cannot create a file beside %s: %s", path, strerror(errno));
        free(t);
        return rc;
    }
    /* mkstemp makes it 0600; a report is for sharing, as the umask allows. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || !(*fp = fdopen(fd, "w"))) {
        int rc = voc_err_set(err, VOC_EIO, "%s: %s", t, strerror(errno));
        close(fd);
        unlink(t);
        free(t);
        return rc;
    }
    *tmp = t;
    return 0;
}

/* Finish the file: flush and sync, then rename it into place when ok, or
 * remove it. Frees tmp. stdout is left to main, which checks it. */
static int s_out_close(FILE *fp, char *tmp, const char *path, bool ok, voc_err *err)
{
    int rc = 0;
    if (!fp || fp == stdout) return 0;
    if (fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) != 0)
        rc = voc_err_set(err, VOC_EIO, "writing %s: %s", path, strerror(errno));
    if (fclose(fp) != 0 && !rc)
        rc = voc_err_set(err, VOC_EIO, "writing %s: %s", path, strerror(errno));
    if (!rc && ok && rename(tmp, path) != 0)
        rc = voc_err_set(err, VOC_EIO, "renaming %s to %s: %s", tmp, path, strerror(errno));
    if (rc || !ok) unlink(tmp);
    free(tmp);
    return rc;
}

static const char s_css[] =
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:#f3f4f6;color:#1f2933;"
    "font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif}\n"
    "main{max-width:980px;margin:0 auto;padding:28px 32px 40px;background:#fff}\n"
    "h1{font-size:28px;margin:0 0 4px}\n"
    "h2{font-size:20px;margin:36px 0 12px;padding-bottom:4px;border-bottom:2px solid #e4e7eb}\n"
    "h3{font-size:16px;margin:22px 0 8px}\n"
    ".period{margin:0;color:#52606d}\n"
    ".filters{margin:4px 0 0;color:#52606d;font-size:13px}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px}\n"
    ".card{border:1px solid #e4e7eb;border-radius:8px;padding:12px 16px}\n"
    ".card .value{font-size:30px;font-weight:700;line-height:1.2}\n"
    ".card .label{color:#52606d;font-size:13px}\n"
    "table{border-collapse:collapse;width:100%;font-size:14px}\n"
    "th,td{padding:6px 8px;border-bottom:1px solid #e4e7eb;text-align:right;"
    "font-variant-numeric:tabular-nums}\n"
    "th{background:#f3f4f6;font-weight:600}\n"
    "th.theme,td.theme{text-align:left}\n"
    "tbody tr:nth-child(even) td{background:#f9fafb}\n"
    ".swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:8px}\n"
    "figure{margin:8px 0 0}\n"
    "figcaption{color:#52606d;font-size:13px;margin-top:4px}\n"
    "svg{display:block;max-width:100%;height:auto}\n"
    "blockquote{margin:0 0 12px;padding:8px 14px;border-left:4px solid #d9534f;"
    "background:#fdf6f6}\n"
    "blockquote p{margin:0;white-space:pre-line}\n"
    "blockquote footer{margin-top:4px;color:#52606d;font-size:12px}\n"
    "mark{background:#ffe58f;color:inherit;padding:0 1px;border-radius:2px}\n"
    ".empty{color:#52606d;font-style:italic}\n"
    ".note{color:#52606d;font-size:13px}\n"
    "body>main>footer{margin-top:40px;color:#7b8794;font-size:12px}\n"
    "@page{margin:14mm}\n"
    "@media print{body{background:#fff;font-size:11pt}main{max-width:none;padding:0}"
    ".cards,figure,blockquote,tr{break-inside:avoid}h2,h3{break-after:avoid}"
    "mark{print-color-adjust:exact;-webkit-print-color-adjust:exact}}\n";

/* 12345 -> "12,345". */
static void s_put_count(FILE *fp, int64_t n)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%lld", (long long)(n < 0 ? -n : n));
    if (n < 0) fputc('-', fp);
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0) fputc(',', fp);
        fputc(digits[i], fp);
    }
}

static void s_put_signed(FILE *fp, double v, int decimals)
{
    if (isnan(v))
        fputs("–", fp);
    else
        fprintf(fp, "%+.*f", decimals, fabs(v) < 0.5 * pow(10, -decimals) ? 0.0 : v);
}

/* A headline card; value_attr is the raw number for scripts and tests. */
static void s_card_open(FILE *fp, const char *id, const char *value_attr)
{
    fprintf(fp, "<div class=\"card\"><div class=\"value\" id=\"%s\" data-value=\"%s\">", id,
            value_attr);
}

static void s_header(FILE *fp, const char *title, const voc_filter *f, int64_t since, int64_t end,
                     const char *const *where, size_t where_count)
{
    char a[VOC_TIME_BUF], b[VOC_TIME_BUF];
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"voc report\">\n<title>",
          fp);
    voc_svg_escape(fp, title);
    fprintf(fp, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n<header>\n<h1>", s_css);
    voc_svg_escape(fp, title);
    fputs("</h1>\n<p class=\"period\">", fp);
    long long days = (long long)llround((double)(end - since) / 86400.0);
    fprintf(fp, "%s to %s (%lld day%s)", voc_time_format_date(since, a),
            voc_time_format_date(end - 1, b), days, days == 1 ? "" : "s");
    fputs("</p>\n", fp);
    if (f->kind || f->source || f->theme || where_count || f->negative) {
        fputs("<p class=\"filters\">Only ", fp);
        const char *sep = "";
        if (f->kind) {
            fputs("kind ", fp);
            voc_svg_escape(fp, f->kind);
            sep = "; ";
        }
        if (f->source) {
            fprintf(fp, "%ssource ", sep);
            voc_svg_escape(fp, f->source);
            sep = "; ";
        }
        if (f->theme) {
            fprintf(fp, "%stheme ", sep);
            voc_svg_escape(fp, f->theme);
            fputs(" and its sub-themes", fp);
            sep = "; ";
        }
        for (size_t i = 0; i < where_count; i++) {
            fputs(sep, fp);
            voc_svg_escape(fp, where[i]);
            sep = "; ";
        }
        if (f->negative) fprintf(fp, "%snegative feedback", sep);
        fputs(".</p>\n", fp);
    }
    fputs("</header>\n", fp);
}

static void s_headline(FILE *fp, const s_tally *t)
{
    char num[64];
    fputs("<section id=\"headline\">\n<h2>Headline</h2>\n<div class=\"cards\">\n", fp);
    snprintf(num, sizeof num, "%lld", (long long)t->items);
    s_card_open(fp, "items", num);
    s_put_count(fp, t->items);
    fputs("</div><div class=\"label\">feedback items</div></div>\n", fp);

    double share = t->items ? (double)t->tagged / (double)t->items : 0;
    snprintf(num, sizeof num, "%.4f", share);
    s_card_open(fp, "tagged", num);
    fprintf(fp,
            "%.0f%%</div><div class=\"label\">tagged: <span id=\"tagged-items\" "
            "data-value=\"%lld\">",
            100 * share, (long long)t->tagged);
    s_put_count(fp, t->tagged);
    fputs("</span> items carry a theme</div></div>\n", fp);

    double sent = t->sent_n ? t->sent_sum / (double)t->sent_n : NAN;
    num[0] = '\0';
    if (!isnan(sent)) snprintf(num, sizeof num, "%.4f", sent);
    s_card_open(fp, "sentiment", num);
    s_put_signed(fp, sent, 2);
    fputs("</div><div class=\"label\">average sentiment (−1 negative to +1 positive)</div>"
          "</div>\n",
          fp);

    double nps = s_nps(t->responses, t->promoters, t->detractors);
    num[0] = '\0';
    if (!isnan(nps)) snprintf(num, sizeof num, "%.1f", nps);
    s_card_open(fp, "nps", num);
    s_put_signed(fp, nps, 0);
    fprintf(fp,
            "</div><div class=\"label\">NPS over <span id=\"responses\" data-value=\"%lld\">%lld"
            "</span> responses: <span id=\"promoters\" data-value=\"%lld\">%lld</span> "
            "promoters, <span id=\"passives\" data-value=\"%lld\">%lld</span> passives, "
            "<span id=\"detractors\" data-value=\"%lld\">%lld</span> detractors</div></div>\n",
            (long long)t->responses, (long long)t->responses, (long long)t->promoters,
            (long long)t->promoters, (long long)t->passives, (long long)t->passives,
            (long long)t->detractors, (long long)t->detractors);
    fputs("</div>\n</section>\n", fp);
}

static void s_theme_table(FILE *fp, const voc_top *top, int64_t days)
{
    fputs("<section id=\"themes\">\n<h2>Top themes</h2>\n", fp);
    if (!top->count) {
        fputs("<p class=\"empty\">No tagged feedback in this window.</p>\n</section>\n", fp);
        return;
    }
    fprintf(fp, "<table>\n<thead><tr><th>#</th><th class=\"theme\">Theme</th><th>Items</th>"
                "<th>Share</th><th>Change</th><th>Change %%</th><th>Sentiment</th><th>NPS</th>"
                "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < top->count; i++) {
        const voc_top_row *r = &top->rows[i];
        fprintf(fp,
                "<tr><td>%zu</td><td class=\"theme\"><span class=\"swatch\" "
                "style=\"background:%s\"></span>",
                i + 1, voc_svg_color(i));
        voc_svg_escape(fp, r->theme);
        fputs("</td><td>", fp);
        s_put_count(fp, r->items);
        fprintf(fp, "</td><td>%.1f%%</td><td>", 100 * r->share);
        if (r->prev_items < 0) {
            fputs("–</td><td>–", fp);
        } else {
            fprintf(fp, "%+lld</td><td>", (long long)(r->items - r->prev_items));
            if (r->prev_items == 0)
                fputs("new", fp);
            else
                fprintf(fp, "%+.0f%%",
                        100.0 * (double)(r->items - r->prev_items) / (double)r->prev_items);
        }
        fputs("</td><td>", fp);
        s_put_signed(fp, r->sentiment, 2);
        fputs("</td><td>", fp);
        s_put_signed(fp, r->nps, 0);
        if (!isnan(r->nps))
            fprintf(fp, " <span class=\"note\">(%lld)</span>", (long long)r->scored);
        fputs("</td></tr>\n", fp);
    }
    fprintf(fp,
            "</tbody>\n</table>\n<p class=\"note\">Items: feedback items carrying the theme "
            "(an item can carry several). Share: of all items in the window. Change: against "
            "the %lld days before. NPS among the theme's scored items (their number in "
            "brackets).</p>\n</section>\n",
            (long long)days);
}

static void s_trend_chart(FILE *fp, const s_tally *t, const voc_top *top, int64_t since,
                          int64_t end)
{
    fputs("<section id=\"trends\">\n<h2>Weekly trend</h2>\n", fp);
    size_t np = t->week_count, nt = top->count;
    if (!nt || !np) {
        fputs("<p class=\"empty\">No tagged feedback in this window.</p>\n</section>\n", fp);
        return;
    }
    char(*labels)[VOC_TIME_BUF] = voc_calloc(np, sizeof *labels);
    const char **label_ptrs = voc_calloc(np, sizeof *label_ptrs);
    const char **names = voc_calloc(nt, sizeof *names);
    double *values = voc_calloc(np * nt, sizeof *values);
    for (size_t p = 0; p < np; p++) {
        voc_time_format_date((t->week0 + 7 * (int64_t)p) * 86400, labels[p]);
        label_ptrs[p] = labels[p];
        for (size_t k = 0; k < nt; k++)
            values[p * nt + k] = (double)t->week_counts[p * nt + k];
    }
    for (size_t k = 0; k < nt; k++)
        names[k] = top->rows[k].theme;
    voc_svg_lines chart = {
        .y_label = "items per week",
        .point_count = np,
        .x_labels = label_ptrs,
        .series_count = nt,
        .names = names,
        .values = values,
    };
    fputs("<figure>\n", fp);
    voc_svg_line_chart(fp, &chart);
    fputs("<figcaption>Items per week for each top theme; weeks start on Monday (the date "
          "shown).",
          fp);
    bool partial_first = t->week0 == s_monday(since) && since != t->week0 * 86400;
    bool partial_last = end != (s_monday(end - 1) + 7) * 86400;
    if (partial_first || partial_last)
        fprintf(fp, " The %s week%s only partly in the window.",
                partial_first && partial_last ? "first and last"
                : partial_first               ? "first"
                                              : "last",
                partial_first && partial_last ? "s are" : " is");
    fputs("</figcaption>\n</figure>\n</section>\n", fp);
    free(values);
    free(names);
    free(label_ptrs);
    free(labels);
}

typedef struct s_impact {
    const s_theme_nps *n;
    double impact;
} s_impact;

static int s_by_magnitude(const void *a, const void *b)
{
    const s_impact *x = a, *y = b;
    double mx = fabs(x->impact), my = fabs(y->impact);
    if (mx != my) return mx < my ? 1 : -1;
    return strcmp(x->n->theme, y->n->theme);
}

static int s_by_impact(const void *a, const void *b)
{
    const s_impact *x = a, *y = b;
    if (x->impact != y->impact) return x->impact < y->impact ? -1 : 1;
    return strcmp(x->n->theme, y->n->theme);
}

/* NPS impact of a theme: overall NPS minus the NPS of the responses
 * without it (as voc nps --by theme). The `top` largest in size, worst
 * first. */
static void s_impact_chart(FILE *fp, const s_tally *t, size_t top)
{
    fputs("<section id=\"nps-impact\">\n<h2>NPS impact by theme</h2>\n", fp);
    double overall = s_nps(t->responses, t->promoters, t->detractors);
    s_impact *im = voc_calloc(t->theme_count + 1, sizeof *im);
    size_t n = 0;
    for (size_t i = 0; i < t->theme_count; i++) {
        const s_theme_nps *x = &t->themes[i];
        if (x->responses == 0 || x->responses >= t->responses) continue;
        im[n].n = x;
        im[n++].impact = overall - s_nps(t->responses - x->responses, t->promoters - x->promoters,
                                         t->detractors - x->detractors);
    }
    if (!n) {
        fprintf(fp, "<p class=\"empty\">%s</p>\n</section>\n",
                t->responses ? "Too few NPS responses with themes to compare."
                             : "No NPS responses in this window.");
        free(im);
        return;
    }
    qsort(im, n, sizeof *im, s_by_magnitude);
    if (n > top) n = top;
    qsort(im, n, sizeof *im, s_by_impact);
    const char **labels = voc_calloc(n, sizeof *labels);
    double *values = voc_calloc(n, sizeof *values);
    for (size_t i = 0; i < n; i++) {
        labels[i] = im[i].n->theme;
        values[i] = im[i].impact;
    }
    voc_svg_bars chart = {
        .x_label = "NPS points",
        .count = n,
        .labels = labels,
        .values = values,
        .value_format = "%+.1f",
    };
    fputs("<figure>\n", fp);
    voc_svg_bar_chart(fp, &chart);
    fprintf(fp,
            "<figcaption>How many points each theme moves the overall NPS (%+.0f over %lld "
            "responses): the NPS with all responses minus the NPS without the theme's. Red bars "
            "drag NPS down, green ones lift it.</figcaption>\n</figure>\n</section>\n",
            overall, (long long)t->responses);
    free(values);
    free(labels);
    free(im);
}

/* The quote's text with its evidence spans in <mark>, clipped to about
 * S_QUOTE_BYTES around the first span. Offsets are bytes into text;
 * spans are widened to whole UTF-8 characters. */
static void s_marked_text(FILE *fp, const char *text, const char *evidence)
{
    size_t len = strlen(text);
    unsigned char *mark = voc_calloc(len + 1, 1);
    cJSON *ev = evidence ? cJSON_Parse(evidence) : NULL, *e;
    size_t first = len;
    cJSON_ArrayForEach(e, ev)
    {
        double a = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "start"));
        double b = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "end"));
        if (!(a >= 0 && b > a)) continue; /* NAN or empty */
        size_t s = a < (double)len ? (size_t)a : len, x = b < (double)len ? (size_t)b : len;
        while (s > 0 && ((unsigned char)text[s] & 0xC0) == 0x80)
            s--;
        while (x < len && ((unsigned char)text[x] & 0xC0) == 0x80)
            x++;
        for (size_t i = s; i < x; i++)
            mark[i] = 1;
        if (s < first) first = s;
    }
    cJSON_Delete(ev);
    size_t start = first > S_QUOTE_BYTES / 3 && first < len ? first - S_QUOTE_BYTES / 5 : 0;
    while (start > 0 && start < len && ((unsigned char)text[start] & 0xC0) == 0x80)
        start--;
    size_t stop = len - start > S_QUOTE_BYTES ? start + S_QUOTE_BYTES : len;
    while (stop < len && ((unsigned char)text[stop] & 0xC0) == 0x80)
        stop--;
    if (start) fputs("…", fp);
    size_t run = start;
    for (size_t i = start; i <= stop; i++) {
        bool edge = i == stop || (i > start && mark[i] != mark[i - 1]);
        if (!edge) continue;
        if (mark[run]) fputs("<mark>", fp);
        voc_svg_escape_n(fp, text + run, i - run);
        if (mark[run]) fputs("</mark>", fp);
        run = i;
    }
    if (stop < len) fputs("…", fp);
    free(mark);
}

static int s_quotes(FILE *fp, voc_store *st, const voc_filter *f, const voc_top *top,
                    size_t per_theme, voc_err *err)
{
    int rc = 0;
    voc_quote *q = NULL;
    size_t n = 0;
    char date[VOC_TIME_BUF];
    fputs("<section id=\"quotes\">\n<h2>What customers said</h2>\n<p class=\"note\">The most "
          "strongly matched negative feedback per top theme (negative sentiment or an NPS "
          "detractor); the words that matched the theme are highlighted.</p>\n",
          fp);
    for (size_t i = 0; i < top->count; i++) {
        voc_filter qf = *f;
        qf.theme = top->rows[i].theme;
        qf.negative = true;
        if ((rc = voc_store_quotes(st, &qf, per_theme, &q, &n, err))) goto out;
        fputs("<h3><span class=\"swatch\" style=\"background:", fp);
        fprintf(fp, "%s\"></span>", voc_svg_color(i));
        voc_svg_escape(fp, qf.theme);
        fputs("</h3>\n", fp);
        if (!n) fputs("<p class=\"empty\">No negative feedback on this theme.</p>\n", fp);
        for (size_t k = 0; k < n; k++) {
            fputs("<blockquote><p>", fp);
            s_marked_text(fp, q[k].text ? q[k].text : "", q[k].evidence);
            fprintf(fp, "</p><footer>%s", voc_time_format_date(q[k].created_at, date));
            if (q[k].theme && strcmp(q[k].theme, qf.theme) != 0) {
                fputs(" · ", fp);
                voc_svg_escape(fp, q[k].theme);
            }
            if (q[k].nps >= 0) fprintf(fp, " · NPS score %d", q[k].nps);
            if (!isnan(q[k].sentiment)) {
                fputs(" · sentiment ", fp);
                s_put_signed(fp, q[k].sentiment, 2);
            }
            fputs(" · ", fp);
            voc_svg_escape(fp, q[k].uid);
            fputs("</footer></blockquote>\n", fp);
        }
        voc_quotes_free(q, n);
        q = NULL;
        n = 0;
    }
    fputs("</section>\n", fp);
out:
    voc_quotes_free(q, n);
    return rc;
}

static void s_footer(FILE *fp)
{
    char now[VOC_TIME_BUF];
    fprintf(fp,
            "<footer>Generated %s by voc report. Times are UTC; a window includes its start "
            "and excludes its end.</footer>\n</main>\n</body>\n</html>\n",
            voc_time_format(voc_time_now(), now));
}

int voc_cmd_report(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_store *st = NULL;
    voc_filter f = voc_filter_all();
    voc_top top = {0};
    s_tally tally = {0};
    FILE *fp = NULL;
    char *tmp = NULL;
    const char *out_path = "-";
    bool written = false;

    s_window_default();
    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc report", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout,
                            "voc report [--since 90d] [--where plan=pro] [--theme PREFIX] "
                            "[--top N] [--quotes N] [--title TEXT] [--out report.html]",
                            "One self-contained HTML page about the window: headline numbers, "
                            "top themes with their change\nagainst the previous window, weekly "
                            "trend lines, NPS impact by theme and negative quotes\nper theme. "
                            "No scripts or links: open it in a browser, print it or attach it "
                            "to an email.",
                            s_options);
        status = VOC_EXIT_OK;
        goto out;
    }
    const char *const *args;
    if (voc_opts_args(o, &args)) {
        voc_err_set(&err, VOC_EINVAL, "unexpected argument '%s'", args[0]);
        status = voc_cli_fail("voc report", &err);
        goto out;
    }
    long long ntop = voc_opts_int(o, "top"), nquotes = voc_opts_int(o, "quotes");
    if (ntop < 1 || ntop > S_MAX_TOP || nquotes < 0 || nquotes > 100) {
        voc_err_set(&err, VOC_EINVAL, "--top must be 1 to %d and --quotes 0 to 100", S_MAX_TOP);
        status = voc_cli_fail("voc report", &err);
        goto out;
    }
    out_path = voc_opts_str(o, "out");
    if (!*out_path) {
        voc_err_set(&err, VOC_EINVAL, "--out: give a file name, or - for standard output");
        status = voc_cli_fail("voc report", &err);
        goto out;
    }
    if (voc_cli_filter(o, &f, &err) || voc_cli_segment(o, &f, &err)) {
        status = voc_cli_fail("voc report", &err);
        goto out;
    }
    f.theme = voc_opts_str(o, "theme");
    /* The window the report covers; an open end is now. */
    int64_t end = f.until == INT64_MAX ? voc_time_now() : f.until;
    if (voc_cli_open_store(o, &st, &err) || voc_store_top(st, &f, (size_t)ntop, &top, &err)) {
        status = voc_cli_fail("voc report", &err);
        goto out;
    }
    /* The line chart spans the window, weeks without items as zeros; a
     * window reaching back years before the data (--since 1970-01-01)
     * starts at the first item instead. */
    int64_t since = f.since;
    if (since != INT64_MIN && end - since <= 5 * 366 * 86400LL) {
        tally.week0 = s_monday(since);
        tally.have_week0 = true;
    }
    tally.top = &top;
    if (s_gather(st, &f, &tally, &err) || s_weeks(st, &f, &tally, &err)) {
        status = voc_cli_fail("voc report", &err);
        goto out;
    }
    if (tally.have_week0 && s_monday(end - 1) >= tally.week0)
        s_week_row(&tally, (size_t)((s_monday(end - 1) - tally.week0) / 7));
    if (since == INT64_MIN) since = tally.have_week0 ? tally.week0 * 86400 : end;

    if (s_out_open(out_path, &fp, &tmp, &err)) {
        status = voc_cli_fail("voc report", &err);
        goto out;
    }
    const char *const *where;
    size_t where_count = voc_opts_list(o, "where", &where);
    s_header(fp, voc_opts_str(o, "title"), &f, since, end, where, where_count);
    int64_t days = (int64_t)llround((double)(end - since) / 86400.0);
    if (tally.items == 0) {
        fputs("<section id=\"headline\">\n<p class=\"empty\" id=\"no-feedback\">No feedback in "
              "this window.</p>\n</section>\n",
              fp);
    } else {
        s_headline(fp, &tally);
        s_theme_table(fp, &top, days);
        s_trend_chart(fp, &tally, &top, since, end);
        s_impact_chart(fp, &tally, (size_t)ntop);
        if (nquotes > 0 && top.count && s_quotes(fp, st, &f, &top, (size_t)nquotes, &err)) {
            status = voc_cli_fail("voc report", &err);
            goto out;
        }
    }
    s_footer(fp);
    written = true;
    status = VOC_EXIT_OK;
out:
    if (fp && s_out_close(fp, tmp, out_path, written, &err))
        status = voc_cli_fail("voc report", &err);
    s_tally_clear(&tally);
    voc_cli_segment_free(&f);
    voc_top_clear(&top);
    voc_store_destroy(&st);
    voc_opts_destroy(&o);
    return status;
}
