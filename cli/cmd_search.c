/* cmd_search.c: voc search "query" — full-text search over all feedback
 * (SQLite FTS5, ranked by bm25), matches highlighted in a snippet, with the
 * same filters as the other query commands. */
#include "cli/cli.h"

#include "common/vtime.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const voc_opt s_options[] = {
    VOC_CLI_FILTER_OPTS,
    VOC_CLI_SEGMENT_OPTS,
    {"theme", VOC_OPT_STR, NULL, NULL, "PREFIX", "only items with this theme or a sub-theme"},
    {"limit", VOC_OPT_INT, "20", NULL, "N", "at most N hits (0: all)"},
    {"format", VOC_OPT_STR, "table", NULL, "FMT", "table or json"},
    {0},
};

int voc_cmd_search(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_store *st = NULL;
    voc_filter f = voc_filter_all();
    voc_search_hit *h = NULL;
    size_t n = 0;
    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc search", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout, "voc search \"QUERY\" [--since 30d] [--theme X] [--limit N]",
                            "Full-text search over all feedback, best matches first (bm25), "
                            "matches marked in a snippet. QUERY: words (stemmed: refund finds "
                            "refunds), \"exact phrases\", OR, NOT, prefix*.",
                            s_options);
        status = VOC_EXIT_OK;
        goto out;
    }
    const char *const *args;
    const char *fmt = voc_opts_str(o, "format");
    long long limit = voc_opts_int(o, "limit");
    if (voc_opts_args(o, &args) != 1 || limit < 0 ||
        (strcmp(fmt, "table") && strcmp(fmt, "json"))) {
        fprintf(stderr, "voc search: give one QUERY (quote it); --format table or json\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    if (voc_cli_filter(o, &f, &err) || voc_cli_segment(o, &f, &err)) {
        status = voc_cli_fail("voc search", &err);
        goto out;
    }
    f.theme = voc_opts_str(o, "theme");
    bool json = strcmp(fmt, "json") == 0;
    bool color = !json && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    if (voc_cli_open_store(o, &st, &err)) {
        status = voc_cli_fail("voc search", &err);
        goto out;
    }
    /* New items are indexed on first search, not on the ingest path. */
    int64_t pending = 0;
    if (voc_store_search_pending(st, &pending, &err)) {
        status = voc_cli_fail("voc search", &err);
        goto out;
    }
    if (pending > 0) {
        voc_store_destroy(&st);
        int64_t done = 0;
        if (pending > 10000)
            fprintf(stderr, "voc search: indexing %lld new items...\n", (long long)pending);
        if (voc_store_open(&st, voc_opts_str(o, "db"), 0, &err) ||
            voc_store_search_catch_up(st, &done, &err)) {
            status = voc_cli_fail("voc search", &err);
            goto out;
        }
    }
    if (voc_store_search(st, &f, args[0], (size_t)limit, color ? "\033[1m" : "[",
                         color ? "\033[0m" : "]", &h, &n, &err)) {
        status = voc_cli_fail("voc search", &err);
        goto out;
    }
    char tb[VOC_TIME_BUF];
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "uid", h[i].uid);
            cJSON_AddStringToObject(x, "created_at", voc_time_format(h[i].created_at, tb));
            cJSON_AddStringToObject(x, "kind", h[i].kind);
            cJSON_AddStringToObject(x, "source", h[i].source);
            cJSON_AddNumberToObject(x, "rank", h[i].rank);
            cJSON_AddStringToObject(x, "snippet", h[i].snippet ? h[i].snippet : "");
            cJSON_AddItemToArray(arr, x);
        }
        char *s = cJSON_PrintUnformatted(arr);
        puts(s);
        free(s);
        cJSON_Delete(arr);
    } else {
        if (!n) printf("No matches.\n");
        for (size_t i = 0; i < n; i++) {
            printf("%s  %s  %s/%s\n  ", h[i].uid, voc_time_format_date(h[i].created_at, tb),
                   h[i].kind, h[i].source);
            for (const char *c = h[i].snippet ? h[i].snippet : ""; *c; c++)
                putchar(*c == '\n' ? ' ' : *c);
            putchar('\n');
        }
    }
    status = VOC_EXIT_OK;
out:
    voc_search_hits_free(h, n);
    voc_cli_segment_free(&f);
    voc_store_destroy(&st);
    voc_opts_destroy(&o);
    return status;
}
