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

#include <cjson/cJSON.h>
#include <errno.h>
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const voc_opt s_opts[] = {
    {"rules", VOC_OPT_STR, "rules/default.json", NULL, "FILE", "rule set to tag with"},
    {"input", VOC_OPT_STR, NULL, NULL, "FILE", "JSON Lines items (voc-gen output)"},
    {"rounds", VOC_OPT_INT, "3", NULL, "N", "timed passes; the best is reported"},
    {"json", VOC_OPT_BOOL, "false", NULL, NULL, "print one JSON object"},
    {"tag-only", VOC_OPT_BOOL, "false", NULL, NULL,
     "time only the tag stage (skip the every-pattern reference; for a profiler)"},
    {NULL},
};

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every pattern and exclude of the rule file, in file order (caller frees
 * the array, not the strings, and deletes *root). */
static void s_collect(const cJSON *themes, const char ***out, size_t *n, size_t *cap)
{
    const cJSON *th;
    cJSON_ArrayForEach(th, themes)
    {
        const char *keys[] = {"patterns", "exclude"};
        for (int k = 0; k < 2; k++) {
            const cJSON *p;
            cJSON_ArrayForEach(p, cJSON_GetObjectItem(th, keys[k]))
            {
                const cJSON *rx = cJSON_IsString(p) ? p : cJSON_GetObjectItem(p, "regex");
                if (cJSON_IsString(rx)) {
                    voc_grow((void **)out, cap, *n + 1, sizeof **out);
                    (*out)[(*n)++] = rx->valuestring;
                }
            }
        }
        s_collect(cJSON_GetObjectItem(th, "themes"), out, n, cap);
    }
}

static int s_on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                      void *ctx)
{
    (void)id;
    (void)from;
    (void)to;
    (void)flags;
    (*(size_t *)ctx)++;
    return 0;
}

/* The speed-of-light reference: every pattern of the rule set compiled into
 * one Vectorscan database (exact where Vectorscan can, prefilter otherwise)
 * and each item scanned once, with no PCRE2 and no evidence. Returns the
 * best items/s, or 0 when it cannot compile. */
static double s_vectorscan_only(const char *rules_path, const voc_item *items, size_t n,
                                long long rounds)
{
    FILE *fp = fopen(rules_path, "rb");
    if (!fp) return 0;
    voc_buf b = {0};
    char chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, fp)) > 0)
        voc_buf_append(&b, chunk, k);
    fclose(fp);
    cJSON *root = cJSON_Parse(b.data ? b.data : "");
    voc_buf_free(&b);
    const char **pats = NULL;
    size_t np = 0, cap = 0;
    s_collect(cJSON_GetObjectItem(root, "themes"), &pats, &np, &cap);
    unsigned *flags = calloc(np + 1, sizeof *flags), *ids = calloc(np + 1, sizeof *ids);
    hs_database_t *db = NULL;
    for (size_t i = 0; i < np; i++) {
        /* ASCII classes: exact UCP word boundaries make Vectorscan compile a
         * large rule set for minutes, and a reference only needs the scan. */
        flags[i] = HS_FLAG_CASELESS | HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH;
        ids[i] = (unsigned)i;
    }
    for (size_t attempt = 0; attempt <= np && np; attempt++) {
        hs_compile_error_t *ce = NULL;
        if (hs_compile_multi(pats, flags, ids, (unsigned)np, HS_MODE_BLOCK, NULL, &db, &ce) ==
            HS_SUCCESS)
            break;
        int bad = ce ? ce->expression : -1;
        if (bad >= 0 && (flags[bad] & HS_FLAG_PREFILTER)) /* Vectorscan cannot take it at all */
            fprintf(stderr, "voc-bench-analysis: reference leaves out \"%s\": %s\n", pats[bad],
                    ce->message);
        hs_free_compile_error(ce);
        db = NULL;
        if (bad < 0) break;
        if (flags[bad] & HS_FLAG_PREFILTER) {
            pats[bad] = pats[np - 1];
            flags[bad] = flags[np - 1];
            ids[bad] = ids[np - 1];
            np--;
        } else {
            flags[bad] |= HS_FLAG_PREFILTER;
        }
    }
    double best = 0;
    hs_scratch_t *scratch = NULL;
    if (db && hs_alloc_scratch(db, &scratch) == HS_SUCCESS) {
        for (long long r = 0; r < rounds; r++) {
            size_t hits = 0;
            double t0 = s_now();
            for (size_t i = 0; i < n; i++)
                hs_scan(db, items[i].text, (unsigned)items[i].text_len, 0, scratch, s_on_match,
                        &hits);
            double rate = (double)n / (s_now() - t0);
            if (rate > best) best = rate;
        }
        hs_free_scratch(scratch);
    }
    hs_free_database(db);
    free(pats);
    free(flags);
    free(ids);
    cJSON_Delete(root);
    return best;
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
    voc_matcher *m = NULL, *m_all = NULL;
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
    voc_match_limits all = voc_match_limits_default();
    all.no_prefilter = true;
    if (voc_matcher_new(&m_all, rules, &all, &err)) {
        fprintf(stderr, "voc-bench-analysis: %s\n", err.msg);
        goto out;
    }
    if (n == 0) {
        fprintf(stderr, "voc-bench-analysis: no items in %s\n", input);
        goto out;
    }

    double best_tok = 1e30, best_tag = 1e30, best_all = 1e30;
    bool tag_only = voc_opts_bool(opts, "tag-only");
    size_t bytes = 0, tokens = 0, tagged = 0;
    for (long long r = 0; r < rounds; r++) {
        if (!(tag_only && r > 0)) bytes = tokens = 0;
        tagged = 0;
        double t0 = s_now();
        for (size_t i = 0; i < n && !(tag_only && r > 0); i++) {
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
            voc_item_clear_themes(&items[i]);
            if (voc_matcher_tag(m, &items[i], &err)) {
                fprintf(stderr, "voc-bench-analysis: %s\n", err.msg);
                goto out;
            }
            tagged += items[i].theme_count > 0;
        }
        double t2 = s_now();
        if (tag_only) {
            if (t2 - t1 < best_tag) best_tag = t2 - t1;
            continue;
        }
        /* The same tagging with every pattern run on every item: what the
         * prefilter saves. */
        for (size_t i = 0; i < n; i++) {
            voc_item_clear_analysis(&items[i]);
            if (voc_tokenize_item(tok, &items[i], &err)) {
                fprintf(stderr, "voc-bench-analysis: %s\n", err.msg);
                goto out;
            }
        }
        double t3 = s_now();
        for (size_t i = 0; i < n; i++) {
            if (voc_matcher_tag(m_all, &items[i], &err)) {
                fprintf(stderr, "voc-bench-analysis: %s\n", err.msg);
                goto out;
            }
        }
        double t4 = s_now();
        if (t1 - t0 < best_tok) best_tok = t1 - t0;
        if (t2 - t1 < best_tag) best_tag = t2 - t1;
        if (t4 - t3 < best_all) best_all = t4 - t3;
    }
    double tok_rate = (double)n / best_tok, tag_rate = (double)n / best_tag;
    double all_rate = (double)n / best_all;
    double hs_rate = s_vectorscan_only(voc_opts_str(opts, "rules"), items, n, rounds);
    if (voc_opts_bool(opts, "json"))
        printf("{\"items\":%zu,\"bytes\":%zu,\"tokens\":%zu,\"tagged\":%zu,"
               "\"tokenize_items_per_s\":%.0f,\"tokenize_mb_per_s\":%.1f,"
               "\"tag_items_per_s\":%.0f,\"tag_no_prefilter_items_per_s\":%.0f,"
               "\"vectorscan_items_per_s\":%.0f,\"themes\":%zu,\"patterns\":%zu,"
               "\"prefiltered\":%zu,\"limit_hits\":%llu}\n",
               n, bytes, tokens, tagged, tok_rate, (double)bytes / best_tok / 1e6, tag_rate,
               all_rate, hs_rate, voc_rules_theme_count(rules), voc_rules_pattern_count(rules),
               voc_rules_prefiltered_count(rules), (unsigned long long)voc_matcher_limit_hits(m));
    else
        printf("items %zu (%.1f MB, %zu tokens), tagged %zu (%.1f%%)\n"
               "tokenize                           %10.0f items/s  %6.1f MB/s\n"
               "tag                                %10.0f items/s  (%zu themes, %zu patterns, "
               "%zu prefiltered)\n"
               "tag, every pattern on every item   %10.0f items/s\n"
               "Vectorscan scan only (reference)   %10.0f items/s\n",
               n, (double)bytes / 1e6, tokens, tagged, 100.0 * (double)tagged / (double)n, tok_rate,
               (double)bytes / best_tok / 1e6, tag_rate, voc_rules_theme_count(rules),
               voc_rules_pattern_count(rules), voc_rules_prefiltered_count(rules), all_rate,
               hs_rate);
    status = ferror(stdout) || fflush(stdout) ? 1 : 0;
out:
    for (size_t i = 0; i < n; i++)
        voc_item_clear(&items[i]);
    free(items);
    voc_matcher_destroy(&m);
    voc_matcher_destroy(&m_all);
    voc_tokenizer_destroy(&tok);
    voc_rules_destroy(&rules);
    voc_opts_destroy(&opts);
    return status;
}
