/* cmd_top.c: voc top — themes ranked by number of items in a window, with
 * their share of all items and one representative quote. */
#include "cli/cli.h"

#include "common/vtime.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const voc_opt s_options[] = {
    VOC_CLI_FILTER_OPTS,
    {"limit", VOC_OPT_INT, "10", NULL, "N", "show at most N themes (0: all)"},
    {"format", VOC_OPT_STR, "table", NULL, "FMT", "table, csv or json"},
    {0},
};

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
    printf(" #  %-40s %8s %7s\n", "THEME", "ITEMS", "SHARE");
    for (size_t i = 0; i < t->count; i++) {
        const voc_top_row *r = &t->rows[i];
        printf("%2zu  ", i + 1);
        /* pad the clipped theme to 40 columns */
        size_t len = strlen(r->theme);
        if (len <= 40)
            printf("%-40s", r->theme);
        else
            voc_cli_put_clipped(stdout, r->theme, 40);
        printf(" %8lld %6.1f%%\n", (long long)r->items, r->share * 100.0);
        if (r->quote) {
            printf("    \"");
            voc_cli_put_clipped(stdout, r->quote, 72);
            printf("\"\n");
        }
    }
}

static void s_print_csv(const voc_top *t)
{
    printf("theme,items,share,quote,quote_uid\n");
    for (size_t i = 0; i < t->count; i++) {
        const voc_top_row *r = &t->rows[i];
        voc_cli_csv_field(stdout, r->theme);
        printf(",%lld,%.4f,", (long long)r->items, r->share);
        voc_cli_csv_field(stdout, r->quote);
        putchar(',');
        voc_cli_csv_field(stdout, r->quote_uid);
        putchar('\n');
    }
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
        if (r->quote)
            cJSON_AddStringToObject(o, "quote", r->quote);
        else
            cJSON_AddNullToObject(o, "quote");
        if (r->quote_uid) cJSON_AddStringToObject(o, "quote_uid", r->quote_uid);
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
    voc_filter f;
    int status = VOC_EXIT_OK;

    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err))
        return voc_cli_fail("voc top", &err);
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout,
                            "voc top [--since 30d] [--kind K] [--source S] [--limit N] "
                            "[--format table|csv|json]",
                            "Themes ranked by the number of items that carry them in the "
                            "window, with their share\nof all items in the window and one "
                            "representative quote.",
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
    if (voc_cli_filter(o, &f, &err) || voc_cli_open_store(o, &store, &err) ||
        voc_store_top(store, &f, (size_t)limit, &top, &err)) {
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
    voc_top_clear(&top);
    voc_store_destroy(&store);
    voc_opts_destroy(&o);
    return status;
}
