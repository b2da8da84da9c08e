/* analysis.c: voc-bench-analysis, the micro-benchmark behind `make bench`'s
 * tokenize and tag rows. It decodes a JSON Lines file of items into memory,
 * then times the tokenize stage over all of them and the rule engine over all
 * of them, separately, on one thread. Decoding is not timed. */
#include "common/alloc.h"
#include "common/err.h"
#include "common/item.h"
#include "common/opts.h"
#include "processor/pipeline.h"
#include "processor/rules.h"
#include "processor/tokenize.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const voc_opt s_opts[] = {
    {"rules", VOC_OPT_STR, "rules/default.json", NULL, "FILE", "rule set to tag with"},
    {"input", VOC_OPT_STR, NULL, NULL, "FILE", "JSON Lines items (voc-gen output)"},
    {"rounds", VOC_OPT_INT, "3", NULL, "N", "timed passes; the best is reported"},
    {"json", VOC_OPT_BOOL, "false", NULL, NULL, "print one JSON object"},
    {NULL},
};

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int s_read_items(const char *path, voc_item **out, size_t *count, voc_err *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return voc_err_set(err, VOC_EIO, "%s: %s", path, strerror(errno));
    voc_item *items = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, fp)) > 0) {
        voc_grow((void **)&items, &cap, n + 1, sizeof *items);
        voc_err why;
        if (voc_item_from_json(&items[n], line, (size_t)len, NULL, NULL, &why) != 0)
            continue; /* malformed lines are the processor's business, not ours */
        voc_err_clear(&why);
        if (voc_normalize_text(&items[n].text, &items[n].text_len, &why) != 0) {
            voc_item_clear(&items[n]);
            continue;
        }
        n++;
    }
    free(line);
    fclose(fp);
    *out = items;
    *count = n;
    return 0;
}

int main(int argc, char **argv)
{
    int status = 1;
    voc_err err = {0};
    voc_opts *opts = NULL;
    voc_rules *rules = NULL;
    voc_tokenizer *tok = NULL;
    voc_matcher *m = NULL;
    voc_item *items = NULL;
    size_t n = 0;

    if (voc_opts_parse(&opts, s_opts, argc - 1, argv + 1, &err) != 0) {
        fprintf(stderr, "voc-bench-analysis: %s\n", err.msg);
        return 2;
    }
    if (voc_opts_help(opts)) {
        voc_opts_print_help(stdout, "voc-bench-analysis --input FILE [--rules FILE]",
                            "Time the tokenize stage and the rule engine on a file of items.",
                            s_opts);
        status = 0;
        goto out;
    }
    const char *input = voc_opts_str(opts, "input");
    if (!input) {
        fprintf(stderr, "voc-bench-analysis: --input FILE is required\n");
        status = 2;
        goto out;
    }
    long long rounds = voc_opts_int(opts, "rounds");
    if (rounds < 1) rounds = 1;
    if (voc_rules_load(&rules, voc_opts_str(opts, "rules"), &err) ||
        voc_tokenizer_new(&tok, voc_rules_stop_words(rules), &err) ||
        voc_matcher_new(&m, rules, NULL, &err) || s_read_items(input, &items, &n, &err)) {
        fprintf(stderr, "voc-bench-analysis: %s\n", err.msg);
        goto out;
    }
    if (n == 0) {
        fprintf(stderr, "voc-bench-analysis: no items in %s\n", input);
        goto out;
    }

    double best_tok = 1e30, best_tag = 1e30;
    size_t bytes = 0, tokens = 0, tagged = 0;
    for (long long r = 0; r < rounds; r++) {
        bytes = tokens = tagged = 0;
        double t0 = s_now();
        for (size_t i = 0; i < n; i++) {
            voc_item_clear_analysis(&items[i]);
            if (voc_tokenize_item(tok, &items[i], &err)) {
                fprintf(stderr, "voc-bench-analysis: %s\n", err.msg);
                goto out;
            }
            bytes += items[i].text_len;
            tokens += items[i].token_count;
        }
        double t1 = s_now();
        for (size_t i = 0; i < n; i++) {
            if (voc_matcher_tag(m, &items[i], &err)) {
                fprintf(stderr, "voc-bench-analysis: %s\n", err.msg);
                goto out;
            }
            tagged += items[i].theme_count > 0;
        }
        double t2 = s_now();
        if (t1 - t0 < best_tok) best_tok = t1 - t0;
        if (t2 - t1 < best_tag) best_tag = t2 - t1;
    }
    double tok_rate = (double)n / best_tok, tag_rate = (double)n / best_tag;
    if (voc_opts_bool(opts, "json"))
        printf("{\"items\":%zu,\"bytes\":%zu,\"tokens\":%zu,\"tagged\":%zu,"
               "\"tokenize_items_per_s\":%.0f,\"tokenize_mb_per_s\":%.1f,"
               "\"tag_items_per_s\":%.0f,\"limit_hits\":%llu}\n",
               n, bytes, tokens, tagged, tok_rate, (double)bytes / best_tok / 1e6, tag_rate,
               (unsigned long long)voc_matcher_limit_hits(m));
    else
        printf("items %zu (%.1f MB, %zu tokens), tagged %zu (%.1f%%)\n"
               "tokenize  %10.0f items/s  %6.1f MB/s\n"
               "tag       %10.0f items/s  (%zu themes)\n",
               n, (double)bytes / 1e6, tokens, tagged, 100.0 * (double)tagged / (double)n, tok_rate,
               (double)bytes / best_tok / 1e6, tag_rate, voc_rules_theme_count(rules));
    status = ferror(stdout) || fflush(stdout) ? 1 : 0;
out:
    for (size_t i = 0; i < n; i++)
        voc_item_clear(&items[i]);
    free(items);
    voc_matcher_destroy(&m);
    voc_tokenizer_destroy(&tok);
    voc_rules_destroy(&rules);
    voc_opts_destroy(&opts);
    return status;
}
