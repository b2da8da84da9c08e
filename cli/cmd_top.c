/* cmd_top.c: voc top — themes ranked by number of items in a window, each
 * with its share of all items, the change against the previous window of
 * equal length, mean sentiment, NPS among scored items, and one typical
 * quote with its evidence. */
#include "cli/cli.h"

#include "common/vtime.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const voc_opt s_options[] = {
    VOC_CLI_FILTER_OPTS,
    VOC_CLI_SEGMENT_OPTS,
    {"theme", VOC_OPT_STR, NULL, NULL, "PREFIX", "drill into a theme and its sub-themes"},
    {"limit", VOC_OPT_INT, "10", NULL, "N", "show at most N themes (0: all)"},
    {"format", VOC_OPT_STR, "table", NULL, "FMT", "table, csv or json"},
    {"dedup", VOC_OPT_BOOL, "false", NULL, NULL, "count each group of near-identical items once"},
    {0},
};

static double s_change_pct(const voc_top_row *r)
{
    if (r->prev_items <= 0) return NAN;
    return 100.0 * (double)(r->items - r->prev_items) / (double)r->prev_items;
}

/* The quote with its evidence spans in [brackets] (bold on a terminal),
 * clipped to cols columns around the first span. */
static void s_quote(const voc_top_row *r, size_t cols, bool color)
{
    const char *text = r->quote;
    size_t len = strlen(text);
    unsigned char *mark = calloc(len + 1, 1);
    cJSON *ev = r->quote_evidence ? cJSON_Parse(r->quote_evidence) : NULL, *e;
    size_t first = len;
    cJSON_ArrayForEach(e, ev)
    {
        double a = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "start"));
        double b = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "end"));
        for (size_t i = (size_t)a; i < (size_t)b && i < len; i++)
            mark[i] = 1;
        if ((size_t)a < first) first = (size_t)a;
    }
    cJSON_Delete(ev);
    /* Start a little before the first span so it shows. */
    size_t start = first > 60 && first < len ? first - 50 : 0;
    while (start > 0 && start < len && (text[start] & 0xC0) == 0x80)
        start--;
    size_t used = 0;
    bool in = false;
    fputs("    \"", stdout);
    if (start) fputs("…", stdout);
    for (size_t i = start; i < len && used < cols; i++) {
        unsigned char c = (unsigned char)text[i];
        if (mark[i] && !in) {
            fputs(color ? "\033[1m" : "[", stdout);
            in = true;
        } else if (!mark[i] && in) {
            fputs(color ? "\033[0m" : "]", stdout);
            in = false;
        }
        putchar(c == '\n' || c == '\t' ? ' ' : c);
        if ((c & 0xC0) != 0x80) used++;
        if (used >= cols && i + 1 < len) {
            if (in) fputs(color ? "\033[0m" : "]", stdout);
            in = false;
            fputs("…", stdout);
        }
    }
    if (in) fputs(color ? "\033[0m" : "]", stdout);
    fputs("\"\n", stdout);
    free(mark);
}

static void s_print_table(const voc_top *t, const voc_filter *f)
{
    char a[VOC_TIME_BUF], b[VOC_TIME_BUF];
    if (f->since == INT64_MIN && f->until == INT64_MAX)
        printf("Top themes, all time: %lld items, %lld tagged\n\n", (long long)t->total_items,
               (long long)t->tagged_items);
    else
        printf("Top themes, %s to %s: %lld items, %lld tagged\n\n",
               f->since == INT64_MIN ? "start" : voc_time_format_date(f->since, a),
               f->until == INT64_MAX ? "now" : voc_time_format_date(f->until, b),
               (long long)t->total_items, (long long)t->tagged_items);
    if (t->count == 0) {
        printf("No tagged items in this window.\n");
        return;
    }
    bool color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    /* 80 columns: 3 + 28 + 7 + 7 + 9 + 6 + 7 = 67 plus spaces */
    printf(" # %-28s %7s %6s %9s %6s %6s\n", "THEME", "ITEMS", "SHARE", "CHANGE", "SENT", "NPS");
    for (size_t i = 0; i < t->count; i++) {
        const voc_top_row *r = &t->rows[i];
        printf("%2zu ", i + 1);
        if (strlen(r->theme) <= 28)
            printf("%-28s", r->theme);
        else
            voc_cli_put_clipped(stdout, r->theme, 28);
        printf(" %7lld %5.1f%%", (long long)r->items, r->share * 100.0);
        double ch = s_change_pct(r);
        if (r->prev_items < 0)
            printf(" %9s", "");
        else if (isnan(ch))
            printf(" %9s", "new");
        else
            printf(" %+8.0f%%", ch);
        if (isnan(r->sentiment))
            printf(" %6s", "-");
        else
            printf(" %+6.2f", r->sentiment);
        if (isnan(r->nps))
            printf(" %6s\n", "-");
        else
            printf(" %+6.0f\n", r->nps);
        if (r->quote) s_quote(r, 70, color);
    }
}

static void s_num_or_empty(double v, const char *fmt)
{
    if (!isnan(v)) printf(fmt, v);
}

static void s_print_csv(const voc_top *t)
{
    printf("theme,items,share,prev_items,change,sentiment,nps,scored,quote,quote_uid\n");
    for (size_t i = 0; i < t->count; i++) {
        const voc_top_row *r = &t->rows[i];
        voc_cli_csv_field(stdout, r->theme);
        printf(",%lld,%.4f,", (long long)r->items, r->share);
        if (r->prev_items >= 0) printf("%lld", (long long)r->prev_items);
        putchar(',');
        if (r->prev_items >= 0) printf("%lld", (long long)(r->items - r->prev_items));
        putchar(',');
        s_num_or_empty(r->sentiment, "%.3f");
        putchar(',');
        s_num_or_empty(r->nps, "%.1f");
        printf(",%lld,", (long long)r->scored);
        voc_cli_csv_field(stdout, r->quote);
        putchar(',');
        voc_cli_csv_field(stdout, r->quote_uid);
        putchar('\n');
    }
}

static void s_add_num(cJSON *o, const char *k, double v)
{
    if (isnan(v))
        cJSON_AddNullToObject(o, k);
    else
        cJSON_AddNumberToObject(o, k, v);
}

static void s_print_json(const voc_top *t)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < t->count; i++) {
        const voc_top_row *r = &t->rows[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "theme", r->theme);
        cJSON_AddNumberToObject(o, "items", (double)r->items);
        cJSON_AddNumberToObject(o, "share", r->share);
        if (r->prev_items >= 0) {
            cJSON_AddNumberToObject(o, "prev_items", (double)r->prev_items);
            cJSON_AddNumberToObject(o, "change", (double)(r->items - r->prev_items));
            s_add_num(o, "change_pct", round(s_change_pct(r) * 10) / 10);
        }
        s_add_num(o, "sentiment", round(r->sentiment * 1000) / 1000);
        s_add_num(o, "nps", round(r->nps * 10) / 10);
        cJSON_AddNumberToObject(o, "scored", (double)r->scored);
        if (r->quote)
            cJSON_AddStringToObject(o, "quote", r->quote);
        else
            cJSON_AddNullToObject(o, "quote");
        if (r->quote_uid) cJSON_AddStringToObject(o, "quote_uid", r->quote_uid);
        cJSON *ev = r->quote_evidence ? cJSON_Parse(r->quote_evidence) : NULL;
        if (ev) cJSON_AddItemToObject(o, "quote_evidence", ev);
        cJSON_AddItemToArray(arr, o);
    }
    char *s = cJSON_Print(arr);
    printf("%s\n", s ? s : "[]");
    free(s);
    cJSON_Delete(arr);
}

int voc_cmd_top(int argc, char **argv)
{
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_store *store = NULL;
    voc_top top = {0};
    voc_filter f = voc_filter_all();
    int status = VOC_EXIT_OK;

    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err))
        return voc_cli_fail("voc top", &err);
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout,
                            "voc top [--since 30d] [--kind K] [--source S] [--where plan=pro] "
                            "[--theme PREFIX] [--negative] [--limit N] [--format table|csv|json]",
                            "Themes ranked by the number of items that carry them in the "
                            "window: share of all items,\nchange against the previous window of "
                            "equal length, mean sentiment, NPS among scored\nitems, and one "
                            "typical quote with its evidence.",
                            s_options);
        goto out;
    }
    const char *const *args;
    if (voc_opts_args(o, &args)) {
        voc_err_set(&err, VOC_EINVAL, "unexpected argument '%s'", args[0]);
        status = voc_cli_fail("voc top", &err);
        goto out;
    }
    const char *fmt = voc_opts_str(o, "format");
    if (strcmp(fmt, "table") && strcmp(fmt, "csv") && strcmp(fmt, "json")) {
        voc_err_set(&err, VOC_EINVAL, "--format: '%s' is not table, csv or json", fmt);
        status = voc_cli_fail("voc top", &err);
        goto out;
    }
    long long limit = voc_opts_int(o, "limit");
    if (limit < 0) {
        voc_err_set(&err, VOC_EINVAL, "--limit must be 0 or more");
        status = voc_cli_fail("voc top", &err);
        goto out;
    }
    if (voc_cli_filter(o, &f, &err) || voc_cli_segment(o, &f, &err)) {
        status = voc_cli_fail("voc top", &err);
        goto out;
    }
    f.theme = voc_opts_str(o, "theme");
    if (voc_cli_open_store(o, &store, &err) ||
        (voc_opts_bool(o, "dedup") ? voc_cli_top_dedup(o, &f, (size_t)limit, &top, &err)
                                   : voc_store_top(store, &f, (size_t)limit, &top, &err))) {
        status = voc_cli_fail("voc top", &err);
        goto out;
    }
    if (strcmp(fmt, "json") == 0)
        s_print_json(&top);
    else if (strcmp(fmt, "csv") == 0)
        s_print_csv(&top);
    else
        s_print_table(&top, &f);
out:
    voc_cli_segment_free(&f);
    voc_top_clear(&top);
    voc_store_destroy(&store);
    voc_opts_destroy(&o);
    return status;
}
