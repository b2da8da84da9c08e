/* cmd_alerts.c: voc alerts — themes whose count in the latest window
 * departs from the previous windows' mean by more than z standard
 * deviations (and by at least --min-change items, so tiny counts don't
 * alarm), and themes new in this window. Exit 0 when quiet, 3 when there
 * are alerts, so cron can act; --format json is a Slack incoming-webhook
 * payload as-is. */
#include "cli/cli.h"

#include "common/alloc.h"
#include "common/vtime.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S_EXIT_ALERTS 3

static const voc_opt s_options[] = {
    {"db", VOC_OPT_STR, "voc.db", "VOC_DB", "PATH", "database to read"},
    {"kind", VOC_OPT_STR, NULL, NULL, "KIND", "only survey, nps, ticket, review or other"},
    {"source", VOC_OPT_STR, NULL, NULL, "SOURCE", "only items from this source"},
    {"window", VOC_OPT_STR, "7d", NULL, "SPAN", "the window to check: 24h, 7d, 2w, ..."},
    {"baseline", VOC_OPT_INT, "8", NULL, "N", "previous windows to compare with"},
    {"z", VOC_OPT_STR, "2", NULL, "Z", "standard deviations that make an alert"},
    {"min-change", VOC_OPT_INT, "5", NULL, "N", "and at least this many items of difference"},
    {"until", VOC_OPT_STR, NULL, NULL, "WHEN", "end of the latest window [default: now]"},
    {"format", VOC_OPT_STR, "table", NULL, "FMT", "table or json (a Slack webhook payload)"},
    {0},
};

typedef struct s_alert {
    const char *theme;
    int64_t count;
    double mean, sd;
    bool is_new;
} s_alert;

static int64_t s_find(const voc_count_row *r, size_t n, const char *theme)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].key, theme) == 0) return r[i].count;
    return 0;
}

int voc_cmd_alerts(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_store *st = NULL;
    voc_count_row *win[65] = {0};
    size_t nwin[65] = {0};
    s_alert *alerts = NULL;
    size_t nalerts = 0;
    long long nb = 0;
    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc alerts", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout, "voc alerts [--window 7d] [--baseline 8] [--z 2]",
                            "Themes that spiked (or dropped) in the latest window against the "
                            "previous ones, and themes new in it. Exit 0 when quiet, 3 with "
                            "alerts; --format json prints a Slack incoming-webhook payload.",
                            s_options);
        status = VOC_EXIT_OK;
        goto out;
    }
    int64_t now = voc_time_now(), span, until = now;
    if (voc_time_parse_since(voc_opts_str(o, "window"), now, &span, &err) || span >= now) {
        fprintf(stderr, "voc alerts: --window: expected a span such as 7d or 24h\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    span = now - span;
    const char *u = voc_opts_str(o, "until");
    if (u && voc_time_parse_since(u, now, &until, &err)) {
        status = voc_cli_fail("voc alerts", &err);
        goto out;
    }
    nb = voc_opts_int(o, "baseline");
    double z = strtod(voc_opts_str(o, "z"), NULL);
    long long minch = voc_opts_int(o, "min-change");
    const char *fmt = voc_opts_str(o, "format");
    if (nb < 2 || nb > 64 || !(z > 0) || (strcmp(fmt, "table") && strcmp(fmt, "json"))) {
        fprintf(stderr, "voc alerts: --baseline must be 2-64, --z above 0, --format table or "
                        "json\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    if (voc_cli_open_store(o, &st, &err)) {
        status = voc_cli_fail("voc alerts", &err);
        goto out;
    }
    /* win[0] is the latest window, win[1..nb] the baseline, newest first. */
    for (long long w = 0; w <= nb; w++) {
        voc_filter f = voc_filter_all();
        f.kind = voc_opts_str(o, "kind");
        f.source = voc_opts_str(o, "source");
        f.until = until - w * span;
        f.since = f.until - span;
        int64_t total;
        if (voc_store_theme_counts(st, &f, &win[w], &nwin[w], &total, &err)) {
            status = voc_cli_fail("voc alerts", &err);
            goto out;
        }
    }
    alerts = voc_calloc(nwin[0] ? nwin[0] : 1, sizeof *alerts);
    for (size_t i = 0; i < nwin[0]; i++) {
        const char *th = win[0][i].key;
        double sum = 0, sq = 0;
        int64_t seen = 0;
        for (long long w = 1; w <= nb; w++) {
            int64_t c = s_find(win[w], nwin[w], th);
            sum += (double)c;
            sq += (double)c * (double)c;
            seen += c;
        }
        double mean = sum / (double)nb, sd = sqrt(fmax(0, sq / (double)nb - mean * mean));
        int64_t c = win[0][i].count;
        bool is_new = seen == 0 && c >= minch;
        bool spike =
            fabs((double)c - mean) > z * fmax(sd, 1.0) && fabs((double)c - mean) >= (double)minch;
        if (is_new || spike) alerts[nalerts++] = (s_alert){th, c, mean, sd, is_new};
    }
    char a[VOC_TIME_BUF], b[VOC_TIME_BUF];
    voc_time_format_date(until - span, a);
    voc_time_format_date(until, b);
    if (strcmp(fmt, "json") == 0) {
        voc_buf text = {0};
        if (nalerts)
            voc_buf_printf(&text, "*voc alerts* %s to %s (%s windows vs the previous %lld):", a, b,
                           voc_opts_str(o, "window"), nb);
        else
            voc_buf_printf(&text, "voc alerts %s to %s: all quiet", a, b);
        for (size_t i = 0; i < nalerts; i++) {
            if (alerts[i].is_new)
                voc_buf_printf(&text, "\n• `%s` is new: %lld items", alerts[i].theme,
                               (long long)alerts[i].count);
            else
                voc_buf_printf(&text, "\n• `%s`: %lld items (usual %.1f ± %.1f)", alerts[i].theme,
                               (long long)alerts[i].count, alerts[i].mean, alerts[i].sd);
        }
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "text", text.data);
        char *s = cJSON_PrintUnformatted(j);
        puts(s);
        free(s);
        cJSON_Delete(j);
        voc_buf_free(&text);
    } else {
        printf("Window %s to %s against the %lld before it\n", a, b, nb);
        if (!nalerts) printf("All quiet.\n");
        for (size_t i = 0; i < nalerts; i++) {
            if (alerts[i].is_new)
                printf("  NEW    %-30s %6lld items\n", alerts[i].theme, (long long)alerts[i].count);
            else
                printf("  %-6s %-30s %6lld items (usual %.1f ± %.1f)\n",
                       (double)alerts[i].count > alerts[i].mean ? "UP" : "DOWN", alerts[i].theme,
                       (long long)alerts[i].count, alerts[i].mean, alerts[i].sd);
        }
    }
    status = nalerts ? S_EXIT_ALERTS : VOC_EXIT_OK;
out:
    for (long long w = 0; w <= nb && w < 65; w++)
        voc_count_rows_free(win[w], nwin[w]);
    free(alerts);
    voc_store_destroy(&st);
    voc_opts_destroy(&o);
    return status;
}
