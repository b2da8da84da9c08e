/* cmd_stats.c: voc stats — what the store holds: items by kind and source,
 * how many carry no theme, dead letters by reason, the rule set versions
 * and the database size. */
#include "cli/cli.h"

#include "common/vtime.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const voc_opt s_options[] = {
    {"db", VOC_OPT_STR, "voc.db", "VOC_DB", "PATH", "database to read"},
    {"format", VOC_OPT_STR, "table", NULL, "FMT", "table or json"},
    {0},
};

static const char *const s_titles[] = {"by kind", "by source", "dead letters by reason",
                                       "rule set versions (items tagged)"};

static int64_t s_file_size(const char *path)
{
    struct stat st;
    char wal[4096];
    int64_t n = stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (stat(wal, &st) == 0) n += (int64_t)st.st_size;
    return n;
}

int voc_cmd_stats(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_store *st = NULL;
    voc_count_row *rows[4] = {0};
    size_t nrows[4] = {0};
    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc stats", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout, "voc stats [--db PATH] [--format table|json]",
                            "What the store holds: items by kind and source, untagged share, "
                            "dead letters by reason, rule set versions, database size.",
                            s_options);
        status = VOC_EXIT_OK;
        goto out;
    }
    const char *fmt = voc_opts_str(o, "format");
    if (strcmp(fmt, "table") != 0 && strcmp(fmt, "json") != 0) {
        fprintf(stderr, "voc stats: --format must be table or json\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    voc_store_stats s;
    if (voc_cli_open_store(o, &st, &err) || voc_store_stats_get(st, &s, &err)) {
        status = voc_cli_fail("voc stats", &err);
        goto out;
    }
    for (int g = 0; g < 4; g++)
        if (voc_store_group_counts(st, (voc_group)g, &rows[g], &nrows[g], &err)) {
            status = voc_cli_fail("voc stats", &err);
            goto out;
        }
    int64_t size = s_file_size(voc_opts_str(o, "db"));
    double untagged = s.items ? 100.0 * (double)(s.items - s.tagged_items) / (double)s.items : 0;
    char a[VOC_TIME_BUF], b[VOC_TIME_BUF];
    if (strcmp(fmt, "json") == 0) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "items", (double)s.items);
        cJSON_AddNumberToObject(j, "tagged", (double)s.tagged_items);
        cJSON_AddNumberToObject(j, "untagged_share", untagged / 100.0);
        cJSON_AddNumberToObject(j, "tags", (double)s.theme_rows);
        cJSON_AddNumberToObject(j, "dead_letters", (double)s.dead_letters);
        cJSON_AddNumberToObject(j, "database_bytes", (double)size);
        if (s.items) {
            cJSON_AddStringToObject(j, "first", voc_time_format(s.first_created_at, a));
            cJSON_AddStringToObject(j, "last", voc_time_format(s.last_created_at, b));
        }
        const char *keys[] = {"by_kind", "by_source", "dead_letters_by_reason", "rule_sets"};
        for (int g = 0; g < 4; g++) {
            cJSON *arr = cJSON_AddArrayToObject(j, keys[g]);
            for (size_t i = 0; i < nrows[g]; i++) {
                cJSON *x = cJSON_CreateObject();
                cJSON_AddStringToObject(x,
                                        g == 2   ? "reason"
                                        : g == 3 ? "rule_set"
                                                 : "name",
                                        rows[g][i].key);
                cJSON_AddNumberToObject(x, "items", (double)rows[g][i].count);
                if (g < 2) cJSON_AddNumberToObject(x, "tagged", (double)rows[g][i].tagged);
                cJSON_AddItemToArray(arr, x);
            }
        }
        char *txt = cJSON_PrintUnformatted(j);
        puts(txt);
        free(txt);
        cJSON_Delete(j);
    } else {
        printf("%s: %.1f MB\n", voc_opts_str(o, "db"), (double)size / 1e6);
        printf("items %lld, tagged %lld, untagged %.1f%%, tags %lld, dead letters %lld\n",
               (long long)s.items, (long long)s.tagged_items, untagged, (long long)s.theme_rows,
               (long long)s.dead_letters);
        if (s.items)
            printf("created %s .. %s\n", voc_time_format_date(s.first_created_at, a),
                   voc_time_format_date(s.last_created_at, b));
        for (int g = 0; g < 4; g++) {
            if (!nrows[g]) continue;
            printf("\n%s:\n", s_titles[g]);
            for (size_t i = 0; i < nrows[g]; i++) {
                printf("  %-40s %10lld", rows[g][i].key, (long long)rows[g][i].count);
                if (g < 2 && rows[g][i].count)
                    printf("  %5.1f%% tagged",
                           100.0 * (double)rows[g][i].tagged / (double)rows[g][i].count);
                putchar('\n');
            }
        }
    }
    status = VOC_EXIT_OK;
out:
    for (int g = 0; g < 4; g++)
        voc_count_rows_free(rows[g], nrows[g]);
    voc_store_destroy(&st);
    voc_opts_destroy(&o);
    return status;
}
