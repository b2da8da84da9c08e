/* cmd_quotes.c: voc quotes --theme X — what customers actually wrote about
 * a theme, strongest matches first, evidence marked. */
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
    {"theme", VOC_OPT_STR, NULL, NULL, "PREFIX", "the theme (its sub-themes included); required"},
    {"limit", VOC_OPT_INT, "10", NULL, "N", "at most N quotes (0: all)"},
    {"format", VOC_OPT_STR, "table", NULL, "FMT", "table, csv or json"},
    {0},
};

static void s_marked(const char *text, const char *evidence, bool color)
{
    size_t len = strlen(text);
    unsigned char *mark = calloc(len + 1, 1);
    cJSON *ev = evidence ? cJSON_Parse(evidence) : NULL, *e;
    cJSON_ArrayForEach(e, ev)
    {
        size_t a = (size_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "start"));
        size_t b = (size_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "end"));
        for (size_t i = a; i < b && i < len; i++)
            mark[i] = 1;
    }
    cJSON_Delete(ev);
    bool in = false;
    fputs("  ", stdout);
    for (size_t i = 0; i < len; i++) {
        if (mark[i] != in) {
            fputs(mark[i] ? (color ? "\033[1m" : "[") : (color ? "\033[0m" : "]"), stdout);
            in = mark[i];
        }
        putchar(text[i]);
        if (text[i] == '\n') fputs("  ", stdout);
    }
    if (in) fputs(color ? "\033[0m" : "]", stdout);
    putchar('\n');
    free(mark);
}

int voc_cmd_quotes(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_store *st = NULL;
    voc_filter f = voc_filter_all();
    voc_quote *q = NULL;
    size_t n = 0;
    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc quotes", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout,
                            "voc quotes --theme X [--negative] [--since 30d] [--limit N] "
                            "[--format table|csv|json]",
                            "What customers wrote about a theme, strongest matches first, with "
                            "the evidence marked.",
                            s_options);
        status = VOC_EXIT_OK;
        goto out;
    }
    const char *fmt = voc_opts_str(o, "format");
    long long limit = voc_opts_int(o, "limit");
    if (!voc_opts_str(o, "theme") || limit < 0 ||
        (strcmp(fmt, "table") && strcmp(fmt, "csv") && strcmp(fmt, "json"))) {
        fprintf(stderr, "voc quotes: --theme X is required; --limit must be 0 or more; "
                        "--format table, csv or json\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    if (voc_cli_filter(o, &f, &err) || voc_cli_segment(o, &f, &err)) {
        status = voc_cli_fail("voc quotes", &err);
        goto out;
    }
    f.theme = voc_opts_str(o, "theme");
    if (voc_cli_open_store(o, &st, &err) || voc_store_quotes(st, &f, (size_t)limit, &q, &n, &err)) {
        status = voc_cli_fail("voc quotes", &err);
        goto out;
    }
    char tb[VOC_TIME_BUF];
    if (strcmp(fmt, "json") == 0) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "uid", q[i].uid);
            cJSON_AddStringToObject(x, "theme", q[i].theme);
            cJSON_AddStringToObject(x, "created_at", voc_time_format(q[i].created_at, tb));
            cJSON_AddNumberToObject(x, "score", q[i].score);
            if (!isnan(q[i].sentiment)) cJSON_AddNumberToObject(x, "sentiment", q[i].sentiment);
            if (q[i].nps >= 0) cJSON_AddNumberToObject(x, "nps_score", q[i].nps);
            cJSON_AddStringToObject(x, "text", q[i].text);
            cJSON *ev = q[i].evidence ? cJSON_Parse(q[i].evidence) : NULL;
            if (ev) cJSON_AddItemToObject(x, "evidence", ev);
            cJSON_AddItemToArray(arr, x);
        }
        char *s = cJSON_PrintUnformatted(arr);
        puts(s);
        free(s);
        cJSON_Delete(arr);
    } else if (strcmp(fmt, "csv") == 0) {
        printf("uid,theme,created_at,score,sentiment,nps_score,text\n");
        for (size_t i = 0; i < n; i++) {
            voc_cli_csv_field(stdout, q[i].uid);
            putchar(',');
            voc_cli_csv_field(stdout, q[i].theme);
            printf(",%s,%.2f,", voc_time_format(q[i].created_at, tb), q[i].score);
            if (!isnan(q[i].sentiment)) printf("%.3f", q[i].sentiment);
            putchar(',');
            if (q[i].nps >= 0) printf("%d", q[i].nps);
            putchar(',');
            voc_cli_csv_field(stdout, q[i].text);
            putchar('\n');
        }
    } else {
        bool color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
        if (!n) printf("No items with theme %s in this window.\n", f.theme);
        for (size_t i = 0; i < n; i++) {
            printf("%s%s  %s  %s", i ? "\n" : "", q[i].uid, q[i].theme,
                   voc_time_format_date(q[i].created_at, tb));
            if (!isnan(q[i].sentiment)) printf("  sentiment %+.2f", q[i].sentiment);
            if (q[i].nps >= 0) printf("  NPS %d", q[i].nps);
            putchar('\n');
            s_marked(q[i].text, q[i].evidence, color);
        }
    }
    status = VOC_EXIT_OK;
out:
    voc_quotes_free(q, n);
    voc_cli_segment_free(&f);
    voc_store_destroy(&st);
    voc_opts_destroy(&o);
    return status;
}
