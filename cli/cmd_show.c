/* cmd_show.c: voc show UID — one stored item with its themes, their scores
 * and the evidence that produced them, highlighted in the text. */
#include "cli/cli.h"

#include "common/alloc.h"
#include "common/vtime.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const voc_opt s_options[] = {
    {"db", VOC_OPT_STR, "voc.db", "VOC_DB", "PATH", "database to read"},
    {"format", VOC_OPT_STR, "text", NULL, "FMT", "text or json"},
    {"color", VOC_OPT_STR, "auto", NULL, "WHEN",
     "highlight evidence with color: auto, always, never"},
    {0},
};

/* Print text with every evidence span marked: bold yellow on a terminal,
 * [brackets] otherwise. Overlapping spans merge. */
static void s_print_highlighted(const voc_item *it, bool color)
{
    unsigned char *mark = calloc(it->text_len + 1, 1);
    for (size_t t = 0; t < it->theme_count; t++) {
        for (size_t e = 0; e < it->themes[t].evidence_count; e++) {
            const voc_evidence *ev = &it->themes[t].evidence[e];
            if (strncmp(ev->rule, "theme:", 6) == 0)
                continue; /* a parent's pointer to its child's span */
            for (uint32_t b = ev->start; b < ev->end && b < it->text_len; b++)
                mark[b] = 1;
        }
    }
    const char *on = color ? "\033[1;33m" : "[", *off = color ? "\033[0m" : "]";
    fputs("  ", stdout);
    bool in = false;
    for (size_t i = 0; i < it->text_len; i++) {
        if (mark[i] && !in) {
            fputs(on, stdout);
            in = true;
        } else if (!mark[i] && in) {
            fputs(off, stdout);
            in = false;
        }
        putchar(it->text[i]);
        if (it->text[i] == '\n') fputs("  ", stdout);
    }
    if (in) fputs(off, stdout);
    putchar('\n');
    free(mark);
}

static void s_print_text(const voc_item *it, const voc_item_meta *m, bool color)
{
    char tb[VOC_TIME_BUF];
    printf("uid        %s\n", it->uid);
    printf("kind       %s from %s\n", voc_kind_name(it->kind), it->source);
    printf("created    %s\n", voc_time_format(it->created_at, tb));
    printf("stored     %s\n", voc_time_format(m->stored_at, tb));
    if (it->customer_id || it->account)
        printf("customer   %s%s%s\n", it->customer_id ? it->customer_id : "",
               it->customer_id && it->account ? " · " : "", it->account ? it->account : "");
    if (it->scale != VOC_SCALE_NONE)
        printf("score      %d/%d (%s)\n", it->score, it->scale == VOC_SCALE_NPS ? 10 : 5,
               voc_scale_name(it->scale));
    if (it->attr_count) {
        printf("attrs     ");
        for (size_t i = 0; i < it->attr_count; i++)
            printf(" %s=%s", it->attrs[i].key, it->attrs[i].value);
        putchar('\n');
    }
    if (it->has_sentiment)
        printf("sentiment  %+.2f (%s)\n", it->sentiment,
               it->sentiment <= -0.05  ? "negative"
               : it->sentiment >= 0.05 ? "positive"
                                       : "neutral");
    if (m->rule_set_hash)
        printf("rules      %s (%.12s)\n", m->rule_set_name ? m->rule_set_name : "?",
               m->rule_set_hash);
    if (it->subject) printf("subject    %s\n", it->subject);
    printf("\n");
    s_print_highlighted(it, color);
    printf("\n");
    if (!it->theme_count) {
        printf("No themes.\n");
        return;
    }
    printf("%-28s %6s %6s  %s\n", "THEME", "SCORE", "SENT", "EVIDENCE");
    for (size_t t = 0; t < it->theme_count; t++) {
        const voc_item_theme *th = &it->themes[t];
        printf("%-28s %6.2f ", th->id, th->score);
        if (th->has_sentiment)
            printf("%+6.2f ", th->sentiment);
        else
            printf("%6s ", "-");
        for (size_t e = 0; e < th->evidence_count; e++) {
            const voc_evidence *ev = &th->evidence[e];
            if (e) printf("%-36s", "");
            printf(" %s", ev->rule);
            if (strncmp(ev->rule, "theme:", 6) != 0 && ev->end <= it->text_len &&
                ev->start < ev->end)
                printf(" \"%.*s\" @%u-%u", (int)(ev->end - ev->start), it->text + ev->start,
                       ev->start, ev->end);
            putchar('\n');
        }
        if (!th->evidence_count) putchar('\n');
    }
}

static int s_print_json(const voc_item *it, const voc_item_meta *m)
{
    char *js = voc_item_to_json(it, VOC_ITEM_JSON_ANALYSIS);
    cJSON *o = cJSON_Parse(js);
    free(js);
    if (!o) return -1;
    char tb[VOC_TIME_BUF];
    cJSON_AddStringToObject(o, "stored_at", voc_time_format(m->stored_at, tb));
    if (m->rule_set_hash) {
        cJSON *r = cJSON_AddObjectToObject(o, "rule_set");
        cJSON_AddStringToObject(r, "name", m->rule_set_name ? m->rule_set_name : "");
        cJSON_AddStringToObject(r, "hash", m->rule_set_hash);
    }
    /* The matched text of each evidence span, so a script need not slice
     * UTF-8 byte offsets itself. */
    cJSON *themes = cJSON_GetObjectItem(o, "themes"), *th;
    size_t t = 0;
    cJSON_ArrayForEach(th, themes)
    {
        cJSON *ev;
        size_t e = 0;
        cJSON_ArrayForEach(ev, cJSON_GetObjectItem(th, "evidence"))
        {
            const voc_evidence *x = &it->themes[t].evidence[e++];
            if (x->end <= it->text_len && x->start < x->end) {
                char *s = voc_strndup(it->text + x->start, x->end - x->start);
                cJSON_AddStringToObject(ev, "match", s);
                free(s);
            }
        }
        t++;
    }
    char *out = cJSON_PrintUnformatted(o);
    puts(out);
    free(out);
    cJSON_Delete(o);
    return 0;
}

int voc_cmd_show(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_store *st = NULL;
    voc_item it;
    voc_item_meta meta = {0};
    voc_item_init(&it);
    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc show", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout, "voc show UID [--format text|json]",
                            "Show one item: its fields, its themes with scores, and the "
                            "evidence for each theme highlighted in the text.",
                            s_options);
        status = VOC_EXIT_OK;
        goto out;
    }
    const char *const *args;
    size_t nargs = voc_opts_args(o, &args);
    const char *fmt = voc_opts_str(o, "format"), *color = voc_opts_str(o, "color");
    if (nargs != 1) {
        fprintf(stderr, "voc show: give exactly one UID (see voc show --help)\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    if (strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0) {
        fprintf(stderr, "voc show: --format must be text or json, not '%s'\n", fmt);
        status = VOC_EXIT_USAGE;
        goto out;
    }
    if (strcmp(color, "auto") != 0 && strcmp(color, "always") != 0 && strcmp(color, "never") != 0) {
        fprintf(stderr, "voc show: --color must be auto, always or never\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    if (voc_cli_open_store(o, &st, &err) || voc_store_get_item(st, args[0], &it, &meta, &err)) {
        status = voc_cli_fail("voc show", &err);
        goto out;
    }
    if (strcmp(fmt, "json") == 0) {
        if (s_print_json(&it, &meta)) goto out;
    } else {
        bool use_color =
            strcmp(color, "always") == 0 ||
            (strcmp(color, "auto") == 0 && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
        s_print_text(&it, &meta, use_color);
    }
    status = VOC_EXIT_OK;
out:
    voc_item_clear(&it);
    voc_item_meta_clear(&meta);
    voc_store_destroy(&st);
    voc_opts_destroy(&o);
    return status;
}
