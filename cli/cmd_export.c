/* cmd_export.c: voc export — every matching item with its themes, scores,
 * sentiment and attributes, streamed (constant memory) as CSV (one row per
 * item; themes joined with ';') or JSON Lines. */
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

static int s_csv_row(void *user, const voc_export_row *r)
{
    (void)user;
    cJSON *themes = r->themes_json ? cJSON_Parse(r->themes_json) : NULL, *t;
    voc_buf ids = {0}, scores = {0};
    cJSON_ArrayForEach(t, themes)
    {
        const cJSON *id = cJSON_GetObjectItem(t, "id");
        voc_buf_printf(&ids, "%s%s", ids.len ? ";" : "", cJSON_IsString(id) ? id->valuestring : "");
        voc_buf_printf(&scores, "%s%g", scores.len ? ";" : "",
                       cJSON_GetNumberValue(cJSON_GetObjectItem(t, "score")));
    }
    cJSON_Delete(themes);
    const char *f[] = {r->uid, r->created_at_iso, r->kind, r->source, r->customer_id, r->account};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        voc_cli_csv_field(stdout, f[i]);
        putchar(',');
    }
    if (r->score >= 0) printf("%d", r->score);
    putchar(',');
    voc_cli_csv_field(stdout, r->scale);
    putchar(',');
    if (!isnan(r->sentiment)) printf("%.3f", r->sentiment);
    putchar(',');
    voc_cli_csv_field(stdout, ids.data ? ids.data : "");
    putchar(',');
    voc_cli_csv_field(stdout, scores.data ? scores.data : "");
    putchar(',');
    voc_cli_csv_field(stdout, r->attrs_json);
    putchar(',');
    voc_cli_csv_field(stdout, r->subject);
    putchar(',');
    voc_cli_csv_field(stdout, r->text);
    putchar('\n');
    voc_buf_free(&ids);
    voc_buf_free(&scores);
    return ferror(stdout) ? -1 : 0;
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
    cJSON *t = r->themes_json ? cJSON_Parse(r->themes_json) : NULL;
    cJSON_AddItemToObject(o, "themes", t ? t : cJSON_CreateArray());
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
    if (csv)
        printf("uid,created_at,kind,source,customer_id,account,score,scale,sentiment,themes,"
               "theme_scores,attrs,subject,text\n");
    if (voc_store_export(st, &f, csv ? s_csv_row : s_jsonl_row, NULL, &err)) {
        status = voc_cli_fail("voc export", &err);
        goto out;
    }
    status = VOC_EXIT_OK;
out:
    voc_cli_segment_free(&f);
    voc_store_destroy(&st);
    voc_opts_destroy(&o);
    return status;
}
