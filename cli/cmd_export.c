/* cmd_export.c: voc export — every matching item with its themes, scores,
 * sentiment and attributes, streamed (constant memory) as CSV (one row per
 * item; themes joined with ';') or JSON Lines. A CSV row is built in one
 * reused buffer and written with one call, through a 1 MiB stdio buffer. */
#include "cli/cli.h"

#include "common/alloc.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const voc_opt s_options[] = {
    VOC_CLI_FILTER_OPTS,
    VOC_CLI_SEGMENT_OPTS,
    {"theme", VOC_OPT_STR, NULL, NULL, "PREFIX", "only items with this theme or a sub-theme"},
    {"format", VOC_OPT_STR, "csv", NULL, "FMT", "csv or jsonl"},
    {0},
};

/* One CSV field (quoted when needed) appended to b; NULL is empty. */
static void s_csv_put(voc_buf *b, const char *s)
{
    if (!s) return;
    if (!strpbrk(s, ",\"\r\n")) {
        voc_buf_puts(b, s);
        return;
    }
    voc_buf_putc(b, '"');
    for (const char *q; (q = strchr(s, '"')); s = q + 1) {
        voc_buf_append(b, s, (size_t)(q - s) + 1);
        voc_buf_putc(b, '"');
    }
    voc_buf_puts(b, s);
    voc_buf_putc(b, '"');
}

/* printf("%g", x) for a tag score as JSON readers of the store see it. */
static void s_put_score(voc_buf *b, double x)
{
    x = voc_store_json_double(x);
    if (x >= 0 && x < 1e6 && x == (double)(int64_t)x && !(x == 0 && signbit(x))) {
        char digits[24];
        int n = 0;
        int64_t v = (int64_t)x;
        do {
            digits[n++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        while (n)
            voc_buf_putc(b, digits[--n]);
        return;
    }
    char g[40];
    voc_buf_append(b, g, (size_t)snprintf(g, sizeof g, "%g", x));
}

/* One CSV row, built in a reused buffer and written at once: no per-row
 * allocation and one stdio call per item. */
static int s_csv_row(void *user, const voc_export_row *r)
{
    voc_buf *b = user;
    voc_buf_reset(b);
    const char *f[] = {r->uid, r->created_at_iso, r->kind, r->source, r->customer_id, r->account};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        s_csv_put(b, f[i]);
        voc_buf_putc(b, ',');
    }
    char num[40];
    if (r->score >= 0) voc_buf_append(b, num, (size_t)snprintf(num, sizeof num, "%d", r->score));
    voc_buf_putc(b, ',');
    s_csv_put(b, r->scale);
    voc_buf_putc(b, ',');
    if (!isnan(r->sentiment))
        voc_buf_append(b, num, (size_t)snprintf(num, sizeof num, "%.3f", r->sentiment));
    voc_buf_putc(b, ',');
    /* ids joined with ';' (quoted as one field when needed), then scores */
    size_t start = b->len;
    bool quote = false;
    for (size_t i = 0; i < r->theme_count; i++) {
        if (b->len > start) voc_buf_putc(b, ';');
        voc_buf_puts(b, r->themes[i].id);
        quote = quote || strpbrk(r->themes[i].id, ",\"\r\n");
    }
    if (quote) {
        char *ids = voc_strndup(b->data + start, b->len - start);
        b->len = start;
        s_csv_put(b, ids);
        free(ids);
    }
    voc_buf_putc(b, ',');
    for (size_t i = 0; i < r->theme_count; i++) {
        if (i) voc_buf_putc(b, ';');
        s_put_score(b, r->themes[i].score);
    }
    voc_buf_putc(b, ',');
    s_csv_put(b, r->attrs_json);
    voc_buf_putc(b, ',');
    s_csv_put(b, r->subject);
    voc_buf_putc(b, ',');
    s_csv_put(b, r->text);
    voc_buf_putc(b, '\n');
    return fwrite(b->data, 1, b->len, stdout) == b->len ? 0 : -1;
}

static int s_jsonl_row(void *user, const voc_export_row *r)
{
    (void)user;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "uid", r->uid);
    cJSON_AddStringToObject(o, "created_at", r->created_at_iso);
    cJSON_AddStringToObject(o, "kind", r->kind);
    cJSON_AddStringToObject(o, "source", r->source);
    if (r->customer_id) cJSON_AddStringToObject(o, "customer_id", r->customer_id);
    if (r->account) cJSON_AddStringToObject(o, "account", r->account);
    if (r->score >= 0) {
        cJSON_AddNumberToObject(o, "score", r->score);
        cJSON_AddStringToObject(o, "scale", r->scale ? r->scale : "");
    }
    if (!isnan(r->sentiment)) cJSON_AddNumberToObject(o, "sentiment", r->sentiment);
    cJSON *a = r->attrs_json ? cJSON_Parse(r->attrs_json) : NULL;
    if (a) cJSON_AddItemToObject(o, "attrs", a);
    cJSON *themes = cJSON_AddArrayToObject(o, "themes");
    for (size_t i = 0; i < r->theme_count; i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "id", r->themes[i].id);
        cJSON_AddNumberToObject(t, "score", voc_store_json_double(r->themes[i].score));
        if (isnan(r->themes[i].sentiment))
            cJSON_AddNullToObject(t, "sentiment");
        else
            cJSON_AddNumberToObject(t, "sentiment", voc_store_json_double(r->themes[i].sentiment));
        cJSON_AddItemToArray(themes, t);
    }
    if (r->subject) cJSON_AddStringToObject(o, "subject", r->subject);
    cJSON_AddStringToObject(o, "text", r->text);
    char *s = cJSON_PrintUnformatted(o);
    puts(s);
    free(s);
    cJSON_Delete(o);
    return ferror(stdout) ? -1 : 0;
}

int voc_cmd_export(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_store *st = NULL;
    voc_filter f = voc_filter_all();
    voc_buf row = {0};
    if (argc >= 2 && strcmp(argv[1], "trends") == 0)
        return voc_cmd_export_trends(argc - 1, argv + 1);
    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc export", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout,
                            "voc export [--format csv|jsonl] [--since 90d] [filters]\n"
                            "       voc export trends --interval week (see its --help)",
                            "Stream every matching item with its themes, scores, sentiment and "
                            "attributes: one CSV row or JSON line per item, in time order, in "
                            "constant memory.",
                            s_options);
        status = VOC_EXIT_OK;
        goto out;
    }
    const char *fmt = voc_opts_str(o, "format");
    bool csv = strcmp(fmt, "csv") == 0;
    if (!csv && strcmp(fmt, "jsonl") != 0) {
        fprintf(stderr, "voc export: --format must be csv or jsonl\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    if (voc_cli_filter(o, &f, &err) || voc_cli_segment(o, &f, &err)) {
        status = voc_cli_fail("voc export", &err);
        goto out;
    }
    f.theme = voc_opts_str(o, "theme");
    if (voc_cli_open_store(o, &st, &err)) {
        status = voc_cli_fail("voc export", &err);
        goto out;
    }
    /* Big writes: a million rows are a few hundred MB. */
    setvbuf(stdout, NULL, _IOFBF, 1 << 20);
    if (csv)
        printf("uid,created_at,kind,source,customer_id,account,score,scale,sentiment,themes,"
               "theme_scores,attrs,subject,text\n");
    if (voc_store_export(st, &f, csv ? s_csv_row : s_jsonl_row, &row, &err)) {
        status = voc_cli_fail("voc export", &err);
        goto out;
    }
    status = VOC_EXIT_OK;
out:
    voc_buf_free(&row);
    voc_cli_segment_free(&f);
    voc_store_destroy(&st);
    voc_opts_destroy(&o);
    return status;
}
