/* cmd_nps.c: voc nps — Net Promoter Score (% promoters 9-10 minus %
 * detractors 0-6 over scored responses) overall and by theme, source, kind
 * or a segment attribute. By theme it also gives each theme's impact: the
 * overall NPS minus the NPS with that theme's responses left out, ranked so
 * the themes that drag NPS down most come first. */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const voc_opt s_options[] = {
    VOC_CLI_FILTER_OPTS,
    {"by", VOC_OPT_STR, "theme", NULL, "GROUP", "theme, source, kind or attr:NAME"},
    {"min", VOC_OPT_INT, "1", NULL, "N", "hide groups with fewer scored responses"},
    {"format", VOC_OPT_STR, "table", NULL, "FMT", "table, csv or json"},
    {0},
};

static double s_nps(int64_t n, int64_t p, int64_t d)
{
    return n ? 100.0 * (double)(p - d) / (double)n : NAN;
}

typedef struct s_row {
    const voc_nps_row *r;
    double nps;
    double impact; /* NAN when not by theme or nothing left without it */
} s_row;

static int s_by_impact(const void *a, const void *b)
{
    const s_row *x = a, *y = b;
    double ix = isnan(x->impact) ? 1e9 : x->impact, iy = isnan(y->impact) ? 1e9 : y->impact;
    if (ix != iy) return ix < iy ? -1 : 1;
    return (y->r->responses > x->r->responses) - (y->r->responses < x->r->responses);
}

int voc_cmd_nps(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_store *st = NULL;
    voc_nps_row all = {0}, *rows = NULL;
    size_t n = 0;
    s_row *out = NULL;
    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc nps", &err);
        goto done;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout,
                            "voc nps [--by theme|source|kind|attr:NAME] [--since 90d] "
                            "[--format table|csv|json]",
                            "NPS overall and by group, with counts of promoters, passives and "
                            "detractors. By theme, ranked by impact: overall NPS minus NPS "
                            "without the theme's responses (negative: the theme drags NPS down).",
                            s_options);
        status = VOC_EXIT_OK;
        goto done;
    }
    voc_filter f;
    if (voc_cli_filter(o, &f, &err)) {
        status = voc_cli_fail("voc nps", &err);
        goto done;
    }
    const char *by = voc_opts_str(o, "by"), *fmt = voc_opts_str(o, "format"), *attr = NULL;
    voc_nps_by g;
    if (strcmp(by, "theme") == 0)
        g = VOC_NPS_BY_THEME;
    else if (strcmp(by, "source") == 0)
        g = VOC_NPS_BY_SOURCE;
    else if (strcmp(by, "kind") == 0)
        g = VOC_NPS_BY_KIND;
    else if (strncmp(by, "attr:", 5) == 0 && by[5] &&
             strspn(by + 5, "abcdefghijklmnopqrstuvwxyz"
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "0123456789_-") == strlen(by + 5)) {
        g = VOC_NPS_BY_ATTR;
        attr = by + 5;
    } else {
        fprintf(stderr, "voc nps: --by must be theme, source, kind or attr:NAME, not '%s'\n", by);
        status = VOC_EXIT_USAGE;
        goto done;
    }
    if (strcmp(fmt, "table") && strcmp(fmt, "csv") && strcmp(fmt, "json")) {
        fprintf(stderr, "voc nps: --format must be table, csv or json\n");
        status = VOC_EXIT_USAGE;
        goto done;
    }
    if (voc_cli_open_store(o, &st, &err) || voc_store_nps(st, &f, g, attr, &all, &rows, &n, &err)) {
        status = voc_cli_fail("voc nps", &err);
        goto done;
    }
    long long min = voc_opts_int(o, "min");
    double overall = s_nps(all.responses, all.promoters, all.detractors);
    out = calloc(n ? n : 1, sizeof *out);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].responses < min) continue;
        s_row *r = &out[m++];
        r->r = &rows[i];
        r->nps = s_nps(rows[i].responses, rows[i].promoters, rows[i].detractors);
        r->impact = NAN;
        if (g == VOC_NPS_BY_THEME && all.responses > rows[i].responses)
            r->impact = overall - s_nps(all.responses - rows[i].responses,
                                        all.promoters - rows[i].promoters,
                                        all.detractors - rows[i].detractors);
    }
    if (g == VOC_NPS_BY_THEME) qsort(out, m, sizeof *out, s_by_impact);

    if (strcmp(fmt, "json") == 0) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "responses", (double)all.responses);
        if (all.responses)
            cJSON_AddNumberToObject(j, "nps", round(overall * 10) / 10);
        else
            cJSON_AddNullToObject(j, "nps");
        cJSON_AddNumberToObject(j, "promoters", (double)all.promoters);
        cJSON_AddNumberToObject(j, "passives", (double)all.passives);
        cJSON_AddNumberToObject(j, "detractors", (double)all.detractors);
        cJSON *arr = cJSON_AddArrayToObject(j, "groups");
        for (size_t i = 0; i < m; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, g == VOC_NPS_BY_THEME ? "theme" : "group", out[i].r->key);
            cJSON_AddNumberToObject(x, "responses", (double)out[i].r->responses);
            cJSON_AddNumberToObject(x, "promoters", (double)out[i].r->promoters);
            cJSON_AddNumberToObject(x, "passives", (double)out[i].r->passives);
            cJSON_AddNumberToObject(x, "detractors", (double)out[i].r->detractors);
            cJSON_AddNumberToObject(x, "nps", round(out[i].nps * 10) / 10);
            if (!isnan(out[i].impact))
                cJSON_AddNumberToObject(x, "impact", round(out[i].impact * 10) / 10);
            cJSON_AddItemToArray(arr, x);
        }
        char *s = cJSON_PrintUnformatted(j);
        puts(s);
        free(s);
        cJSON_Delete(j);
    } else if (strcmp(fmt, "csv") == 0) {
        printf("group,responses,promoters,passives,detractors,nps,impact\n");
        printf("all,%lld,%lld,%lld,%lld,%.1f,\n", (long long)all.responses,
               (long long)all.promoters, (long long)all.passives, (long long)all.detractors,
               all.responses ? overall : 0.0);
        for (size_t i = 0; i < m; i++) {
            voc_cli_csv_field(stdout, out[i].r->key);
            printf(",%lld,%lld,%lld,%lld,%.1f,", (long long)out[i].r->responses,
                   (long long)out[i].r->promoters, (long long)out[i].r->passives,
                   (long long)out[i].r->detractors, out[i].nps);
            if (!isnan(out[i].impact)) printf("%.1f", out[i].impact);
            putchar('\n');
        }
    } else {
        if (!all.responses) {
            printf("No NPS responses in this window.\n");
        } else {
            printf("NPS %+.1f over %lld responses (%lld promoters, %lld passives, %lld "
                   "detractors)\n\n",
                   overall, (long long)all.responses, (long long)all.promoters,
                   (long long)all.passives, (long long)all.detractors);
            printf("%-30s %9s %6s %6s %7s%s\n", g == VOC_NPS_BY_THEME ? "THEME" : "GROUP",
                   "RESPONSES", "PROM%", "DETR%", "NPS", g == VOC_NPS_BY_THEME ? "  IMPACT" : "");
            for (size_t i = 0; i < m; i++) {
                const voc_nps_row *r = out[i].r;
                printf("%-30.30s %9lld %5.1f%% %5.1f%% %+7.1f", r->key, (long long)r->responses,
                       100.0 * (double)r->promoters / (double)r->responses,
                       100.0 * (double)r->detractors / (double)r->responses, out[i].nps);
                if (g == VOC_NPS_BY_THEME) {
                    if (isnan(out[i].impact))
                        printf("  %6s", "-");
                    else
                        printf("  %+6.1f", out[i].impact);
                }
                putchar('\n');
            }
        }
    }
    status = VOC_EXIT_OK;
done:
    free(out);
    free(all.key);
    voc_nps_rows_free(rows, n);
    voc_store_destroy(&st);
    voc_opts_destroy(&o);
    return status;
}
