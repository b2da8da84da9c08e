/* cmd_trends.c: voc trends — a period x theme matrix of item counts (or
 * shares of all items in the period), as a table, CSV (one row per period,
 * one column per theme), JSON, or an SVG line chart for a slide. */
#include "cli/cli.h"

#include "common/alloc.h"
#include "common/vtime.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const voc_opt s_options[] = {
    VOC_CLI_FILTER_OPTS,
    {"interval", VOC_OPT_STR, "week", NULL, "IV", "day, week (ISO, from Monday) or month"},
    {"theme", VOC_OPT_LIST, NULL, NULL, "PREFIX",
     "only these themes and their sub-themes (repeatable)"},
    {"top", VOC_OPT_INT, "8", NULL, "N", "without --theme: the N largest themes (0: all)"},
    {"share", VOC_OPT_BOOL, "false", NULL, NULL, "share of the period's items, not counts"},
    {"format", VOC_OPT_STR, "table", NULL, "FMT", "table, csv, json or svg"},
    {0},
};

/* "2026-W14", "2026-03", "2026-03-04". */
static void s_label(voc_interval iv, int64_t t, char *out, size_t cap)
{
    int64_t days = t / 86400, y;
    unsigned m, d;
    voc_civil_from_days(days, &y, &m, &d);
    if (iv == VOC_INTERVAL_DAY) {
        snprintf(out, cap, "%04lld-%02u-%02u", (long long)y, m, d);
    } else if (iv == VOC_INTERVAL_MONTH) {
        snprintf(out, cap, "%04lld-%02u", (long long)y, m);
    } else {
        /* ISO week: the week's Thursday decides the year. */
        int64_t thu = days + 3, ty;
        unsigned tm, td;
        voc_civil_from_days(thu, &ty, &tm, &td);
        int64_t jan1 = voc_days_from_civil(ty, 1, 1);
        snprintf(out, cap, "%04lld-W%02lld", (long long)ty, (long long)((thu - jan1) / 7 + 1));
    }
}

static double s_value(const voc_trends *t, size_t p, size_t th, bool share)
{
    int64_t n = t->counts[p * t->theme_count + th];
    if (!share) return (double)n;
    return t->totals[p] ? (double)n / (double)t->totals[p] : 0.0;
}

static void s_table(const voc_trends *t, bool share)
{
    char lab[32];
    printf("%-10s", share ? "PERIOD %" : "PERIOD");
    for (size_t k = 0; k < t->theme_count; k++) {
        printf(" ");
        voc_cli_put_clipped(stdout, t->themes[k], 12);
        size_t len = strlen(t->themes[k]);
        for (size_t pad = len < 11 ? len : 11; pad < 11; pad++)
            putchar(' ');
    }
    printf(" %8s\n", "ITEMS");
    for (size_t p = 0; p < t->period_count; p++) {
        s_label(t->interval, t->period_start[p], lab, sizeof lab);
        printf("%-10s", lab);
        for (size_t k = 0; k < t->theme_count; k++) {
            if (share)
                printf(" %10.1f%%", 100 * s_value(t, p, k, true));
            else
                printf(" %11lld", (long long)t->counts[p * t->theme_count + k]);
        }
        printf(" %8lld\n", (long long)t->totals[p]);
    }
}

static void s_csv(const voc_trends *t, bool share)
{
    char lab[32];
    printf("period,period_start");
    for (size_t k = 0; k < t->theme_count; k++) {
        putchar(',');
        voc_cli_csv_field(stdout, t->themes[k]);
    }
    printf(",items\n");
    for (size_t p = 0; p < t->period_count; p++) {
        char ts[VOC_TIME_BUF];
        s_label(t->interval, t->period_start[p], lab, sizeof lab);
        printf("%s,%s", lab, voc_time_format_date(t->period_start[p], ts));
        for (size_t k = 0; k < t->theme_count; k++) {
            if (share)
                printf(",%.4f", s_value(t, p, k, true));
            else
                printf(",%lld", (long long)t->counts[p * t->theme_count + k]);
        }
        printf(",%lld\n", (long long)t->totals[p]);
    }
}

static void s_json(const voc_trends *t, bool share)
{
    static const char *const names[] = {"day", "week", "month"};
    char lab[32], ts[VOC_TIME_BUF];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "interval", names[t->interval]);
    cJSON_AddBoolToObject(o, "share", share);
    cJSON *th = cJSON_AddArrayToObject(o, "themes");
    for (size_t k = 0; k < t->theme_count; k++)
        cJSON_AddItemToArray(th, cJSON_CreateString(t->themes[k]));
    cJSON *ps = cJSON_AddArrayToObject(o, "periods");
    for (size_t p = 0; p < t->period_count; p++) {
        cJSON *x = cJSON_CreateObject();
        s_label(t->interval, t->period_start[p], lab, sizeof lab);
        cJSON_AddStringToObject(x, "period", lab);
        cJSON_AddStringToObject(x, "start", voc_time_format_date(t->period_start[p], ts));
        cJSON_AddNumberToObject(x, "items", (double)t->totals[p]);
        cJSON *v = cJSON_AddObjectToObject(x, "values");
        for (size_t k = 0; k < t->theme_count; k++)
            cJSON_AddNumberToObject(v, t->themes[k], s_value(t, p, k, share));
        cJSON_AddItemToArray(ps, x);
    }
    char *s = cJSON_PrintUnformatted(o);
    puts(s);
    free(s);
    cJSON_Delete(o);
}

/* Text for SVG: theme ids are [a-z0-9_.-], but escape anyway. */
static void s_xml(const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", stdout);
            break;
        case '>':
            fputs("&gt;", stdout);
            break;
        case '&':
            fputs("&amp;", stdout);
            break;
        case '"':
            fputs("&quot;", stdout);
            break;
        default:
            putchar(*s);
        }
    }
}

/* A nice round step for about n ticks up to max. */
static double s_step(double max, int n)
{
    double raw = max / n, mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static void s_svg(const voc_trends *t, bool share)
{
    static const char *const colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                         "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
    const int W = 900, H = 460, L = 70, R = 190, T = 40, B = 70;
    int pw = W - L - R, ph = H - T - B;
    double max = 0;
    for (size_t p = 0; p < t->period_count; p++)
        for (size_t k = 0; k < t->theme_count; k++)
            max = fmax(max, s_value(t, p, k, share));
    if (max <= 0) max = share ? 0.01 : 1;
    double step = s_step(max, 5), top = ceil(max / step) * step;
    static const char *const names[] = {"day", "week", "month"};
    printf("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d "
           "%d\" font-family=\"sans-serif\" font-size=\"12\">\n",
           W, H, W, H);
    printf("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H);
    printf("<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">%s by %s</text>\n", L,
           share ? "Share of items per theme" : "Items per theme", names[t->interval]);
    /* y axis, grid and labels */
    for (double v = 0; v <= top + step / 2; v += step) {
        double y = T + ph - v / top * ph;
        printf("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n", L, y,
               L + pw, y);
        if (share)
            printf("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g%%</text>\n", L - 6, y + 4,
                   v * 100);
        else
            printf("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", L - 6, y + 4, v);
    }
    printf("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, T, L, T + ph);
    printf("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, T + ph, L + pw,
           T + ph);
    printf("<text transform=\"translate(16 %d) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
           T + ph / 2, share ? "share of items" : "items");
    /* x labels: at most about 12 */
    size_t np = t->period_count;
    double dx = np > 1 ? (double)pw / (double)(np - 1) : 0;
    size_t every = np > 12 ? (np + 11) / 12 : 1;
    char lab[32];
    for (size_t p = 0; p < np; p += every) {
        double x = L + (np > 1 ? dx * (double)p : pw / 2.0);
        s_label(t->interval, t->period_start[p], lab, sizeof lab);
        printf("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>\n", x, T + ph,
               x, T + ph + 5);
        printf("<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\" transform=\"rotate(-35 %.1f %d)\">"
               "%s</text>\n",
               x, T + ph + 18, x, T + ph + 18, lab);
    }
    /* one line per theme, with a legend entry */
    for (size_t k = 0; k < t->theme_count; k++) {
        const char *c = colors[k % (sizeof colors / sizeof colors[0])];
        printf("<polyline class=\"series\" data-theme=\"");
        s_xml(t->themes[k]);
        printf("\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", c);
        for (size_t p = 0; p < np; p++) {
            double x = L + (np > 1 ? dx * (double)p : pw / 2.0);
            double y = T + ph - s_value(t, p, k, share) / top * ph;
            printf("%s%.1f,%.1f", p ? " " : "", x, y);
        }
        printf("\"/>\n");
        int ly = T + 10 + (int)k * 20;
        printf("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>\n",
               L + pw + 16, ly, L + pw + 36, ly, c);
        printf("<text x=\"%d\" y=\"%d\">", L + pw + 42, ly + 4);
        s_xml(t->themes[k]);
        printf("</text>\n");
    }
    if (!t->theme_count)
        printf("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no tagged items in this "
               "window</text>\n",
               L + pw / 2, T + ph / 2);
    printf("</svg>\n");
}

int voc_cmd_trends(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_store *st = NULL;
    voc_trends t = {0};
    const char **prefixes = NULL;
    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc trends", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout,
                            "voc trends [--interval day|week|month] [--since 6m] [--theme X] "
                            "[--top N] [--share] [--format table|csv|json|svg]",
                            "Items per theme and period (whole UTC days; ISO weeks), empty "
                            "periods as zero.",
                            s_options);
        status = VOC_EXIT_OK;
        goto out;
    }
    voc_filter f;
    if (voc_cli_filter(o, &f, &err)) {
        status = voc_cli_fail("voc trends", &err);
        goto out;
    }
    const char *ivs = voc_opts_str(o, "interval"), *fmt = voc_opts_str(o, "format");
    voc_interval iv;
    if (strcmp(ivs, "day") == 0)
        iv = VOC_INTERVAL_DAY;
    else if (strcmp(ivs, "week") == 0)
        iv = VOC_INTERVAL_WEEK;
    else if (strcmp(ivs, "month") == 0)
        iv = VOC_INTERVAL_MONTH;
    else {
        fprintf(stderr, "voc trends: --interval must be day, week or month, not '%s'\n", ivs);
        status = VOC_EXIT_USAGE;
        goto out;
    }
    if (strcmp(fmt, "table") && strcmp(fmt, "csv") && strcmp(fmt, "json") && strcmp(fmt, "svg")) {
        fprintf(stderr, "voc trends: --format must be table, csv, json or svg\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    long long top = voc_opts_int(o, "top");
    if (top < 0) {
        fprintf(stderr, "voc trends: --top must be 0 or more\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    const char *const *themes;
    size_t nthemes = voc_opts_list(o, "theme", &themes);
    if (nthemes) {
        prefixes = voc_calloc(nthemes + 1, sizeof *prefixes);
        for (size_t i = 0; i < nthemes; i++)
            prefixes[i] = themes[i];
    }
    if (voc_cli_open_store(o, &st, &err) ||
        voc_store_trends(st, &f, iv, prefixes, (size_t)top, &t, &err)) {
        status = voc_cli_fail("voc trends", &err);
        goto out;
    }
    bool share = voc_opts_bool(o, "share");
    if (strcmp(fmt, "csv") == 0)
        s_csv(&t, share);
    else if (strcmp(fmt, "json") == 0)
        s_json(&t, share);
    else if (strcmp(fmt, "svg") == 0)
        s_svg(&t, share);
    else if (t.period_count == 0)
        printf("No items in this window.\n");
    else
        s_table(&t, share);
    status = VOC_EXIT_OK;
out:
    free(prefixes);
    voc_trends_clear(&t);
    voc_store_destroy(&st);
    voc_opts_destroy(&o);
    return status;
}

/* voc export trends: long format for BI tools, one row per period and
 * theme: period, period_start, theme, count, share, sentiment. */
static const voc_opt s_export_options[] = {
    VOC_CLI_FILTER_OPTS,
    {"interval", VOC_OPT_STR, "week", NULL, "IV", "day, week (ISO) or month"},
    {"theme", VOC_OPT_LIST, NULL, NULL, "PREFIX", "only these themes and their sub-themes"},
    {"top", VOC_OPT_INT, "0", NULL, "N", "without --theme: the N largest themes (0: all)"},
    {"format", VOC_OPT_STR, "csv", NULL, "FMT", "csv or jsonl"},
    {0},
};

int voc_cmd_export_trends(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_store *st = NULL;
    voc_trends t = {0};
    const char **prefixes = NULL;
    if (voc_opts_parse(&o, s_export_options, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc export trends", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout, "voc export trends [--interval week] [--format csv|jsonl]",
                            "Theme trends in long format for BI tools: one row per period and "
                            "theme with count, share of the period's items and mean sentiment.",
                            s_export_options);
        status = VOC_EXIT_OK;
        goto out;
    }
    voc_filter f;
    const char *ivs = voc_opts_str(o, "interval"), *fmt = voc_opts_str(o, "format");
    voc_interval iv = strcmp(ivs, "day") == 0     ? VOC_INTERVAL_DAY
                      : strcmp(ivs, "month") == 0 ? VOC_INTERVAL_MONTH
                                                  : VOC_INTERVAL_WEEK;
    bool csv = strcmp(fmt, "csv") == 0;
    if ((strcmp(ivs, "day") && strcmp(ivs, "week") && strcmp(ivs, "month")) ||
        (!csv && strcmp(fmt, "jsonl")) || voc_opts_int(o, "top") < 0) {
        fprintf(stderr, "voc export trends: --interval day|week|month, --format csv|jsonl\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    if (voc_cli_filter(o, &f, &err)) {
        status = voc_cli_fail("voc export trends", &err);
        goto out;
    }
    const char *const *themes;
    size_t nthemes = voc_opts_list(o, "theme", &themes);
    if (nthemes) {
        prefixes = voc_calloc(nthemes + 1, sizeof *prefixes);
        for (size_t i = 0; i < nthemes; i++)
            prefixes[i] = themes[i];
    }
    if (voc_cli_open_store(o, &st, &err) ||
        voc_store_trends(st, &f, iv, prefixes, (size_t)voc_opts_int(o, "top"), &t, &err)) {
        status = voc_cli_fail("voc export trends", &err);
        goto out;
    }
    if (csv) printf("period,period_start,theme,count,share,sentiment\n");
    char lab[32], ts[VOC_TIME_BUF];
    for (size_t p = 0; p < t.period_count; p++) {
        s_label(t.interval, t.period_start[p], lab, sizeof lab);
        voc_time_format_date(t.period_start[p], ts);
        for (size_t k = 0; k < t.theme_count; k++) {
            size_t i = p * t.theme_count + k;
            double share = s_value(&t, p, k, true);
            bool has_sent = t.sentiment_n[i] > 0;
            double sent = has_sent ? t.sentiment_sum[i] / (double)t.sentiment_n[i] : 0;
            if (csv) {
                printf("%s,%s,", lab, ts);
                voc_cli_csv_field(stdout, t.themes[k]);
                printf(",%lld,%.4f,", (long long)t.counts[i], share);
                if (has_sent) printf("%.3f", sent);
                putchar('\n');
            } else {
                cJSON *x = cJSON_CreateObject();
                cJSON_AddStringToObject(x, "period", lab);
                cJSON_AddStringToObject(x, "period_start", ts);
                cJSON_AddStringToObject(x, "theme", t.themes[k]);
                cJSON_AddNumberToObject(x, "count", (double)t.counts[i]);
                cJSON_AddNumberToObject(x, "share", share);
                if (has_sent)
                    cJSON_AddNumberToObject(x, "sentiment", sent);
                else
                    cJSON_AddNullToObject(x, "sentiment");
                char *s = cJSON_PrintUnformatted(x);
                puts(s);
                free(s);
                cJSON_Delete(x);
            }
        }
    }
    status = VOC_EXIT_OK;
out:
    free(prefixes);
    voc_trends_clear(&t);
    voc_store_destroy(&st);
    voc_opts_destroy(&o);
    return status;
}
