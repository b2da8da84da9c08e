/* cmd_trends.c: voc trends — a period x theme matrix of item counts (or
 * shares of all items in the period), as a table, CSV (one row per period,
 * one column per theme), JSON, or an SVG line chart for a slide. */
#include "cli/cli.h"
#include "cli/svg.h"

#include "common/alloc.h"
#include "common/vtime.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const voc_opt s_options[] = {
    VOC_CLI_FILTER_OPTS,
    {"interval", VOC_OPT_STR, "week", NULL, "IV", "day, week (ISO, from Monday) or month"},
    {"theme", VOC_OPT_LIST, NULL, NULL, "PREFIX", "only these themes and their sub-themes"},
    {"top", VOC_OPT_INT, "8", NULL, "N", "without --theme: the N largest themes (0: all)"},
    {"share", VOC_OPT_BOOL, "false", NULL, NULL, "share of the period's items, not counts"},
    {"format", VOC_OPT_STR, "table", NULL, "FMT", "table, csv, json or svg"},
    {0},
};

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
        voc_svg_period_label(t->interval, t->period_start[p], lab, sizeof lab);
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
        voc_svg_period_label(t->interval, t->period_start[p], lab, sizeof lab);
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
        voc_svg_period_label(t->interval, t->period_start[p], lab, sizeof lab);
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

/* The chart as an SVG file of its own (voc report draws the same chart
 * inline). */
static void s_svg(const voc_trends *t, bool share)
{
    static const char *const names[] = {"day", "week", "month"};
    size_t np = t->period_count, nt = t->theme_count;
    char(*labels)[32] = voc_calloc(np + 1, sizeof *labels);
    const char **label_ptrs = voc_calloc(np + 1, sizeof *label_ptrs);
    double *values = voc_calloc(np * nt + 1, sizeof *values);
    for (size_t p = 0; p < np; p++) {
        voc_svg_period_label(t->interval, t->period_start[p], labels[p], sizeof labels[p]);
        label_ptrs[p] = labels[p];
        for (size_t k = 0; k < nt; k++)
            values[p * nt + k] = s_value(t, p, k, share);
    }
    char title[64];
    snprintf(title, sizeof title, "%s by %s",
             share ? "Share of items per theme" : "Items per theme", names[t->interval]);
    voc_svg_lines chart = {
        .title = title,
        .y_label = share ? "share of items" : "items",
        .percent = share,
        .standalone = true,
        .point_count = np,
        .x_labels = label_ptrs,
        .series_count = nt,
        .names = (const char *const *)t->themes,
        .values = values,
        .empty_text = "no tagged items in this window",
    };
    voc_svg_line_chart(stdout, &chart);
    free(values);
    free(label_ptrs);
    free(labels);
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
        voc_svg_period_label(t.interval, t.period_start[p], lab, sizeof lab);
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
