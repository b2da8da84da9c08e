/* cmd_clusters.c: voc clusters — groups of similar feedback, so a theme
 * nobody has written a rule for yet shows up; and voc dupes — groups of
 * near-identical feedback.
 *
 * Both read the window's items through the cluster store, tokenize them as
 * the processor does and hand them to the clustering code
 * (processor/cluster.h, docs/clustering.md). voc clusters also reads the
 * clusters saved by earlier runs of the same scope, so an item that fits a
 * known cluster joins it and the cluster keeps its id, and records the run
 * (unless --no-save). Each cluster comes with the words that set it apart,
 * its size and change against the previous window, three quotes and a
 * suggested theme rule that `--emit-rules` writes as a rule set. */
#include "cli/cli.h"

#include "common/alloc.h"
#include "common/vtime.h"
#include "processor/cluster.h"
#include "processor/tokenize.h"
#include "store/clusters.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const voc_opt s_options[] = {
    VOC_CLI_FILTER_OPTS,
    {"untagged", VOC_OPT_BOOL, "false", NULL, NULL, "only items no theme rule tagged"},
    {"theme", VOC_OPT_STR, NULL, NULL, "PREFIX", "only items of this theme (sub-themes included)"},
    {"k", VOC_OPT_STR, "auto", NULL, "auto|N",
     "clusters to find; auto: split themes while each part holds 5% of the items (at most "
     "20)"},
    {"min-size", VOC_OPT_INT, "5", NULL, "N",
     "smallest cluster; smaller groups join their nearest"},
    {"seed", VOC_OPT_INT, "1", NULL, "N",
     "random seed: the same seed and items give the same result"},
    {"limit", VOC_OPT_INT, "10", NULL, "N", "show at most N clusters (0: all)"},
    {"format", VOC_OPT_STR, "table", NULL, "FMT", "table or json"},
    {"emit-rules", VOC_OPT_STR, NULL, NULL, "FILE",
     "write the shown clusters' suggested rules as a rule set"},
    {"history", VOC_OPT_BOOL, "false", NULL, NULL,
     "show how the saved clusters of this scope grew, run by run"},
    {"no-save", VOC_OPT_BOOL, "false", NULL, NULL,
     "do not record this run (saved clusters are still used)"},
    {0},
};

static const voc_opt s_dupe_options[] = {
    VOC_CLI_FILTER_OPTS,
    {"min-words", VOC_OPT_INT, "3", NULL, "N",
     "ignore texts with fewer content words (\"Great!\" is not a duplicate)"},
    {"limit", VOC_OPT_INT, "20", NULL, "N", "show at most N groups (0: all)"},
    {"format", VOC_OPT_STR, "table", NULL, "FMT", "table or json"},
    {0},
};

/* ---- loading items into a corpus ------------------------------------------------- */

typedef struct s_doc {
    int64_t id;
    int64_t created_at;
    char *uid;
    char *text;   /* in-scope documents only */
    char *themes; /* space-separated, when the scan asked for them */
} s_doc;

typedef struct s_load {
    voc_tokenizer *tok;
    voc_corpus *corpus;
    s_doc *docs;
    size_t count, cap;
    size_t in_scope;
    voc_buf arena;
    voc_err *err;
    int rc;
    /* Previous window: counts per cluster of the result. */
    const voc_clustering *result;
    int64_t *prev;
    uint32_t *col;
    float *val;
} s_load;

static int s_tokenize(s_load *l, const voc_cluster_item *it, voc_token **toks, size_t *nt)
{
    voc_buf_reset(&l->arena);
    *toks = NULL;
    *nt = 0;
    return voc_tokenize_text(l->tok, it->text, it->text_len, toks, nt, &l->arena, l->err);
}

static int s_add_item(void *user, const voc_cluster_item *it)
{
    s_load *l = user;
    voc_token *toks;
    size_t nt;
    if ((l->rc = s_tokenize(l, it, &toks, &nt))) return 1;
    voc_corpus_add(l->corpus, it->text, toks, nt, l->arena.data, it->in_scope);
    free(toks);
    voc_grow((void **)&l->docs, &l->cap, l->count + 1, sizeof *l->docs);
    l->docs[l->count++] = (s_doc){.id = it->id,
                                  .created_at = it->created_at,
                                  .uid = voc_strdup(it->uid),
                                  .text = it->in_scope ? voc_strdup(it->text) : NULL,
                                  .themes = voc_strdup(it->themes)};
    l->in_scope += it->in_scope;
    return 0;
}

static int s_count_prev(void *user, const voc_cluster_item *it)
{
    s_load *l = user;
    voc_token *toks;
    size_t nt, n;
    if ((l->rc = s_tokenize(l, it, &toks, &nt))) return 1;
    voc_corpus_project(l->corpus, it->text, toks, nt, l->arena.data, l->col, l->val, &n);
    free(toks);
    long ci = voc_clustering_fit(l->result, l->corpus, l->col, l->val, n);
    if (ci >= 0) l->prev[ci]++;
    return 0;
}

static void s_load_clear(s_load *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->docs[i].uid);
        free(l->docs[i].text);
        free(l->docs[i].themes);
    }
    free(l->docs);
    voc_buf_free(&l->arena);
    voc_corpus_destroy(&l->corpus);
    voc_tokenizer_destroy(&l->tok);
    free(l->prev);
    free(l->col);
    free(l->val);
}

/* The latest rule set's extra stop words (a product name, "hi", ...):
 * NULL-terminated, caller frees each and the array. NULL when none. */
static char **s_rule_stop_words(const voc_opts *o)
{
    voc_store *st = NULL;
    voc_rule_set_info info = {0};
    char **words = NULL;
    if (voc_cli_open_store(o, &st, NULL) || voc_store_latest_rule_set(st, &info, NULL)) goto out;
    cJSON *body = info.body ? cJSON_Parse(info.body) : NULL, *w;
    size_t n = 0;
    cJSON_ArrayForEach(w, cJSON_GetObjectItem(body, "stop_words"))
    {
        if (!cJSON_IsString(w)) continue;
        words = voc_realloc(words, (n + 2) * sizeof *words);
        words[n++] = voc_strdup(w->valuestring);
        words[n] = NULL;
    }
    cJSON_Delete(body);
out:
    voc_rule_set_info_clear(&info);
    voc_store_destroy(&st);
    return words;
}

static void s_free_words(char **w)
{
    for (size_t i = 0; w && w[i]; i++)
        free(w[i]);
    free(w);
}

/* ---- output -------------------------------------------------------------------- */

static char *s_scope_name(const voc_filter *f, bool untagged)
{
    voc_buf b = {0};
    if (untagged)
        voc_buf_puts(&b, "untagged");
    else if (f->theme)
        voc_buf_printf(&b, "theme:%s", f->theme);
    else
        voc_buf_puts(&b, "all");
    if (f->kind) voc_buf_printf(&b, " kind=%s", f->kind);
    if (f->source) voc_buf_printf(&b, " source=%s", f->source);
    return b.data;
}

/* The suggested theme of cluster k as rule-set JSON (caller deletes). */
static cJSON *s_rule_theme(const voc_cluster *k, const char *scope, size_t scope_items)
{
    cJSON *t = cJSON_CreateObject();
    char *id = voc_asprintf("emerging.%s", k->slug);
    cJSON_AddStringToObject(t, "id", id);
    free(id);
    char *name = voc_strdup(k->label);
    if (name[0] >= 'a' && name[0] <= 'z') name[0] = (char)(name[0] - 32);
    cJSON_AddStringToObject(t, "name", name);
    free(name);
    char day[VOC_TIME_BUF];
    char *desc = voc_asprintf("Suggested by voc clusters on %s from %zu of %zu items (scope %s). "
                              "On those items it tags %.0f%% of the cluster and %.1f%% of the "
                              "rest; review the keywords before you rely on it.",
                              voc_time_format_date(voc_time_now(), day), k->size, scope_items,
                              scope, 100.0 * k->rule_recall, 100.0 * k->rule_fpr);
    cJSON_AddStringToObject(t, "description", desc);
    free(desc);
    cJSON *kw = cJSON_AddObjectToObject(t, "keywords");
    for (size_t i = 0; i < k->keyword_count; i++)
        cJSON_AddNumberToObject(kw, k->keywords[i].words, k->keywords[i].weight);
    cJSON_AddNumberToObject(t, "threshold", k->threshold);
    return t;
}

/* Write the rule set atomically: a temporary file renamed over path. */
static int s_emit_rules(const char *path, const voc_clustering *r, size_t shown, const char *scope,
                        voc_err *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "name", "emerging-themes");
    cJSON_AddStringToObject(root, "description",
                            "Themes suggested by voc clusters; merge the ones you keep into your "
                            "rule set (under a theme of your own, or as they are).");
    cJSON *themes = cJSON_AddArrayToObject(root, "themes");
    cJSON *parent = cJSON_CreateObject();
    cJSON_AddStringToObject(parent, "id", "emerging");
    cJSON_AddStringToObject(parent, "name", "Emerging themes");
    cJSON_AddStringToObject(parent, "description", "Groups of feedback no rule covered yet");
    cJSON *kids = cJSON_AddArrayToObject(parent, "themes");
    cJSON_AddItemToArray(themes, parent);
    for (size_t i = 0; i < shown; i++)
        if (r->clusters[i].keyword_count)
            cJSON_AddItemToArray(kids, s_rule_theme(&r->clusters[i], scope, r->docs));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    char *tmp = voc_asprintf("%s.tmp.%ld", path, (long)getpid());
    int rc = 0;
    FILE *fp = fopen(tmp, "w");
    if (!fp) {
        rc = voc_err_set(err, VOC_EIO, "--emit-rules: cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    bool ok = fputs(text, fp) >= 0 && fputc('\n', fp) != EOF;
    if (fclose(fp) != 0 || !ok) {
        rc = voc_err_set(err, VOC_EIO, "--emit-rules: writing %s failed", tmp);
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rc = voc_err_set(err, VOC_EIO, "--emit-rules: cannot create %s: %s", path, strerror(errno));
        unlink(tmp);
    }
out:
    free(tmp);
    free(text);
    return rc;
}

typedef struct s_view {
    const voc_clustering *r;
    const voc_corpus *corpus;
    const s_doc *docs;
    const int64_t *ids;  /* per cluster: saved id, or 0 */
    const bool *is_new;  /* per cluster: first seen in this run */
    const int64_t *prev; /* per cluster, or NULL without a previous window */
    size_t shown;
    const char *scope;
    const voc_filter *f;
    int64_t run_id;
    size_t k_asked;
} s_view;

static void s_print_json(const s_view *v)
{
    const voc_clustering *r = v->r;
    char tb[VOC_TIME_BUF];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "scope", v->scope);
    if (v->f->since != INT64_MIN)
        cJSON_AddStringToObject(o, "since", voc_time_format(v->f->since, tb));
    if (v->f->until != INT64_MAX)
        cJSON_AddStringToObject(o, "until", voc_time_format(v->f->until, tb));
    cJSON_AddNumberToObject(o, "items", (double)r->docs);
    cJSON_AddNumberToObject(o, "cluster_count", (double)r->count);
    cJSON_AddNumberToObject(o, "unclustered", (double)r->unclustered);
    cJSON_AddNumberToObject(o, "near_duplicate_groups", (double)r->groups);
    if (v->run_id) cJSON_AddNumberToObject(o, "run", (double)v->run_id);
    cJSON *k = cJSON_AddObjectToObject(o, "k");
    cJSON_AddNumberToObject(k, "found", (double)r->k_chosen);
    cJSON_AddStringToObject(k, "chosen_by",
                            v->k_asked  ? "--k"
                            : r->k_auto ? "splits"
                                        : "too few items");
    if (r->k_auto) cJSON_AddNumberToObject(k, "min_share", r->min_share);
    if (r->split_gain) {
        cJSON *sg = cJSON_AddArrayToObject(k, "split_gain");
        for (size_t i = 0; i + 1 < r->k_chosen; i++)
            cJSON_AddItemToArray(sg, cJSON_CreateNumber(r->split_gain[i]));
    }
    cJSON *arr = cJSON_AddArrayToObject(o, "clusters");
    for (size_t i = 0; i < v->shown; i++) {
        const voc_cluster *c = &r->clusters[i];
        cJSON *x = cJSON_CreateObject();
        if (v->ids[i])
            cJSON_AddNumberToObject(x, "id", (double)v->ids[i]);
        else
            cJSON_AddNullToObject(x, "id");
        cJSON_AddStringToObject(x, "slug", c->slug);
        cJSON_AddStringToObject(x, "label", c->label);
        cJSON_AddBoolToObject(x, "new", v->is_new[i]);
        cJSON_AddNumberToObject(x, "items", (double)c->size);
        cJSON_AddNumberToObject(x, "share", r->docs ? (double)c->size / (double)r->docs : 0);
        if (v->prev) {
            cJSON_AddNumberToObject(x, "prev_items", (double)v->prev[i]);
            if (v->prev[i] > 0)
                cJSON_AddNumberToObject(
                    x, "change", ((double)c->size - (double)v->prev[i]) / (double)v->prev[i]);
            else
                cJSON_AddNullToObject(x, "change");
        }
        cJSON *terms = cJSON_AddArrayToObject(x, "terms");
        for (size_t t = 0; t < c->term_count && t < 10; t++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "words", voc_corpus_surface(v->corpus, c->terms[t].term));
            cJSON_AddNumberToObject(e, "score", c->terms[t].score);
            cJSON_AddItemToArray(terms, e);
        }
        cJSON *quotes = cJSON_AddArrayToObject(x, "quotes");
        for (size_t q = 0; q < c->quote_count; q++) {
            const s_doc *d = &v->docs[c->quotes[q]];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "uid", d->uid);
            cJSON_AddStringToObject(e, "created_at", voc_time_format(d->created_at, tb));
            for (size_t m = 0; m < c->size; m++)
                if (c->docs[m] == c->quotes[q]) {
                    cJSON_AddNumberToObject(e, "similarity", c->sims[m]);
                    break;
                }
            cJSON_AddStringToObject(e, "text", d->text ? d->text : "");
            cJSON_AddItemToArray(quotes, e);
        }
        if (c->keyword_count) {
            cJSON_AddItemToObject(x, "rule", s_rule_theme(c, v->scope, r->docs));
            cJSON_AddNumberToObject(x, "rule_recall", c->rule_recall);
            cJSON_AddNumberToObject(x, "rule_false_positive_rate", c->rule_fpr);
        }
        cJSON_AddItemToArray(arr, x);
    }
    char *s = cJSON_PrintUnformatted(o);
    puts(s);
    free(s);
    cJSON_Delete(o);
}

static void s_print_table(const s_view *v)
{
    const voc_clustering *r = v->r;
    char a[VOC_TIME_BUF], b[VOC_TIME_BUF];
    printf("Clusters of %s items, ", strcmp(v->scope, "all") == 0 ? "all" : v->scope);
    if (v->f->since == INT64_MIN && v->f->until == INT64_MAX)
        printf("all time");
    else
        printf("%s to %s",
               v->f->since == INT64_MIN ? "start" : voc_time_format_date(v->f->since, a),
               v->f->until == INT64_MAX ? "now" : voc_time_format_date(v->f->until, b));
    printf(": %zu items, %zu clusters", r->docs, r->count);
    if (v->k_asked)
        printf(" (k = %zu asked)", v->k_asked);
    else if (r->k_auto)
        printf(" (k = %zu by splitting)", r->k_chosen);
    printf(", %zu unclustered, %zu near-duplicates collapsed.\nRanked by the items one rule "
           "would capture (size x the F1 of its suggested rule).\n\n",
           r->unclustered, r->docs - r->empty - r->groups);
    if (!r->count) {
        printf("Too few items with words in common to cluster.\n");
        return;
    }
    printf(" # %5s  %-40s %6s %6s %7s\n", "ID", "CLUSTER", "ITEMS", "SHARE", "CHANGE");
    for (size_t i = 0; i < v->shown; i++) {
        const voc_cluster *c = &r->clusters[i];
        printf("%2zu ", i + 1);
        if (v->ids[i])
            printf("%5lld  ", (long long)v->ids[i]);
        else
            printf("%5s  ", "-");
        if (strlen(c->label) <= 40)
            printf("%-40s", c->label);
        else
            voc_cli_put_clipped(stdout, c->label, 40);
        printf(" %6zu %5.1f%%", c->size, r->docs ? 100.0 * (double)c->size / (double)r->docs : 0);
        if (!v->prev)
            printf(" %7s", v->is_new[i] ? "new" : "");
        else if (v->prev[i] == 0)
            printf(" %7s", "new");
        else
            printf(" %+6.0f%%",
                   100.0 * ((double)c->size - (double)v->prev[i]) / (double)v->prev[i]);
        putchar('\n');
        for (size_t q = 0; q < c->quote_count; q++) {
            const s_doc *d = &v->docs[c->quotes[q]];
            fputs("      \"", stdout);
            voc_cli_put_clipped(stdout, d->text ? d->text : "", 72);
            fputs("\"\n", stdout);
        }
        if (c->keyword_count) {
            printf("      rule emerging.%s:", c->slug);
            for (size_t kw = 0; kw < c->keyword_count; kw++)
                printf("%s \"%s\" %g", kw ? "," : "", c->keywords[kw].words,
                       c->keywords[kw].weight);
            printf(" (threshold %g): tags %.0f%% of it, %.1f%% of the rest\n", c->threshold,
                   100.0 * c->rule_recall, 100.0 * c->rule_fpr);
        }
    }
    if (v->shown < r->count)
        printf("\n%zu more clusters (--limit 0 shows all).\n", r->count - v->shown);
}

static void s_print_history(const voc_cluster_history_row *h, size_t n, const char *scope,
                            bool json)
{
    char tb[VOC_TIME_BUF];
    if (json) {
        cJSON *arr = cJSON_CreateArray(), *cur = NULL, *runs = NULL;
        for (size_t i = 0; i < n; i++) {
            if (!i || h[i].cluster_id != h[i - 1].cluster_id) {
                cur = cJSON_CreateObject();
                cJSON_AddNumberToObject(cur, "id", (double)h[i].cluster_id);
                cJSON_AddStringToObject(cur, "slug", h[i].slug);
                runs = cJSON_AddArrayToObject(cur, "runs");
                cJSON_AddItemToArray(arr, cur);
            }
            /* The latest label names the cluster. */
            cJSON_DeleteItemFromObject(cur, "label");
            cJSON_AddStringToObject(cur, "label", h[i].label);
            cJSON *r = cJSON_CreateObject();
            cJSON_AddNumberToObject(r, "run", (double)h[i].run_id);
            cJSON_AddStringToObject(r, "ran_at", voc_time_format(h[i].ran_at, tb));
            cJSON_AddNumberToObject(r, "items", (double)h[i].items);
            cJSON_AddNumberToObject(r, "new_items", (double)h[i].new_items);
            cJSON_AddItemToArray(runs, r);
        }
        char *s = cJSON_PrintUnformatted(arr);
        puts(s);
        free(s);
        cJSON_Delete(arr);
        return;
    }
    if (!n) {
        printf("No saved clusters for scope %s yet: run voc clusters first.\n", scope);
        return;
    }
    printf("Saved clusters of scope %s, run by run (items in the run's window, +new members)\n",
           scope);
    for (size_t i = 0; i < n; i++) {
        if (!i || h[i].cluster_id != h[i - 1].cluster_id) {
            size_t last = i;
            while (last + 1 < n && h[last + 1].cluster_id == h[i].cluster_id)
                last++;
            printf("\n%5lld  %s  (emerging.%s)\n", (long long)h[i].cluster_id, h[last].label,
                   h[i].slug);
        }
        printf("       run %-4lld %s %7lld items  %+lld\n", (long long)h[i].run_id,
               voc_time_format(h[i].ran_at, tb), (long long)h[i].items, (long long)h[i].new_items);
    }
}

/* ---- voc clusters ------------------------------------------------------------------ */

int voc_cmd_clusters(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_store *st = NULL;
    voc_cluster_store *cs = NULL;
    voc_filter f = voc_filter_all();
    char *scope = NULL;
    char **stop = NULL;
    s_load l = {.err = &err};
    voc_saved_cluster *saved = NULL;
    size_t nsaved = 0;
    voc_cluster_prior *priors = NULL;
    int64_t *held_items = NULL, *held_by = NULL, *members = NULL;
    size_t nheld = 0;
    voc_clustering r = {0};
    voc_cluster_save *save = NULL;
    int64_t *ids = NULL;
    bool *is_new = NULL;
    voc_cluster_history_row *hist = NULL;
    size_t nhist = 0;
    char **rule_json = NULL;
    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc clusters", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(
            stdout,
            "voc clusters [--since 30d] [--untagged | --theme X] [--k auto|N] [--min-size N] "
            "[--seed N] [--format table|json] [--emit-rules FILE] [--history]",
            "Group similar feedback (TF-IDF, LSA, a vMF mixture; docs/clustering.md). Each\n"
            "cluster: the words that set it apart, size, share, change against the previous\n"
            "window, three typical quotes and a suggested rule. Clusters are saved in the\n"
            "store: on a rerun items keep their cluster and new items join one they fit,\n"
            "so ids stay; new groups get new ids.",
            s_options);
        status = VOC_EXIT_OK;
        goto out;
    }
    const char *fmt = voc_opts_str(o, "format"), *ks = voc_opts_str(o, "k");
    long long min_size = voc_opts_int(o, "min-size"), limit = voc_opts_int(o, "limit");
    bool untagged = voc_opts_bool(o, "untagged");
    char *end = NULL;
    long long kval = strcmp(ks, "auto") == 0 ? 0 : strtoll(ks, &end, 10);
    if ((strcmp(ks, "auto") && (!end || *end || kval < 1 || kval > 1000)) || min_size < 1 ||
        limit < 0 || (strcmp(fmt, "table") && strcmp(fmt, "json")) ||
        (untagged && voc_opts_str(o, "theme"))) {
        fprintf(stderr, "voc clusters: --k is auto or 1-1000; --min-size at least 1; --limit 0 "
                        "or more; --format table or json; --untagged and --theme exclude each "
                        "other\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    if (voc_cli_filter(o, &f, &err)) {
        status = voc_cli_fail("voc clusters", &err);
        goto out;
    }
    f.theme = voc_opts_str(o, "theme");
    scope = s_scope_name(&f, untagged);
    bool history = voc_opts_bool(o, "history");
    bool save_run = !voc_opts_bool(o, "no-save") && !history;
    /* The store's own checks (missing file, schema) come first. */
    if (voc_cli_open_store(o, &st, &err)) {
        status = voc_cli_fail("voc clusters", &err);
        goto out;
    }
    voc_store_destroy(&st);
    if (voc_cluster_store_open(&cs, voc_opts_str(o, "db"), save_run, &err)) {
        if (save_run) voc_err_prefix(&err, "saving clusters needs a writable database (--no-save)");
        status = voc_cli_fail("voc clusters", &err);
        goto out;
    }
    if (history) {
        if (voc_cluster_store_history(cs, scope, &hist, &nhist, &err)) {
            status = voc_cli_fail("voc clusters", &err);
            goto out;
        }
        s_print_history(hist, nhist, scope, strcmp(fmt, "json") == 0);
        status = VOC_EXIT_OK;
        goto out;
    }

    /* Every item of the window: in scope to be clustered, the rest as
     * counter-examples for the suggested rules. */
    stop = s_rule_stop_words(o);
    voc_corpus_opts co = voc_corpus_opts_default();
    co.stop_words = (const char *const *)stop;
    if (voc_tokenizer_new(&l.tok, NULL, &err) || voc_corpus_new(&l.corpus, &co, &err)) {
        status = voc_cli_fail("voc clusters", &err);
        goto out;
    }
    voc_cluster_scan scan = {.filter = &f, .untagged = untagged};
    if (voc_cluster_store_scan(cs, &scan, s_add_item, &l, &err) || l.rc ||
        voc_corpus_finish(l.corpus, &err)) {
        status = voc_cli_fail("voc clusters", &err);
        goto out;
    }
    if (voc_cluster_store_load(cs, scope, &saved, &nsaved, &err)) {
        status = voc_cli_fail("voc clusters", &err);
        goto out;
    }
    priors = voc_calloc(nsaved ? nsaved : 1, sizeof *priors);
    for (size_t i = 0; i < nsaved; i++)
        priors[i] = (voc_cluster_prior){.id = saved[i].id,
                                        .slug = saved[i].slug,
                                        .term_count = saved[i].term_count,
                                        .terms = (const char *const *)saved[i].terms,
                                        .weights = saved[i].weights,
                                        .fit = saved[i].fit};
    /* Items saved clusters already hold stay there. */
    if (voc_cluster_store_members(cs, scope, &held_items, &held_by, &nheld, &err)) {
        status = voc_cli_fail("voc clusters", &err);
        goto out;
    }
    members = voc_calloc(l.count ? l.count : 1, sizeof *members);
    for (size_t d = 0; d < l.count && nheld; d++) {
        /* Documents come in created_at order, memberships by item id. */
        size_t lo = 0, hi = nheld;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (held_items[mid] < l.docs[d].id)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < nheld && held_items[lo] == l.docs[d].id) members[d] = held_by[lo];
    }
    voc_cluster_params p = voc_cluster_params_default();
    p.k = (size_t)kval;
    p.min_size = (size_t)min_size;
    p.seed = (uint64_t)voc_opts_int(o, "seed");
    if (voc_cluster_run(l.corpus, &p, priors, nsaved, members, &r, &err)) {
        status = voc_cli_fail("voc clusters", &err);
        goto out;
    }
    size_t shown = limit == 0 || (size_t)limit > r.count ? r.count : (size_t)limit;

    /* The previous window of equal length: how many of its items fit. */
    int64_t *prev = NULL;
    if (f.since != INT64_MIN) {
        int64_t until = f.until == INT64_MAX ? voc_time_now() : f.until;
        voc_filter pf = f;
        pf.until = f.since;
        pf.since = f.since - (until - f.since);
        l.result = &r;
        l.prev = voc_calloc(r.count ? r.count : 1, sizeof *l.prev);
        size_t terms = voc_corpus_term_count(l.corpus);
        l.col = voc_malloc((terms ? terms : 1) * sizeof *l.col);
        l.val = voc_malloc((terms ? terms : 1) * sizeof *l.val);
        voc_cluster_scan ps = {.filter = &pf, .untagged = untagged, .scope_only = true};
        if (voc_cluster_store_scan(cs, &ps, s_count_prev, &l, &err) || l.rc) {
            status = voc_cli_fail("voc clusters", &err);
            goto out;
        }
        prev = l.prev;
    }

    ids = voc_calloc(r.count ? r.count : 1, sizeof *ids);
    is_new = voc_calloc(r.count ? r.count : 1, sizeof *is_new);
    for (size_t i = 0; i < r.count; i++) {
        ids[i] = r.clusters[i].prior_id;
        is_new[i] = r.clusters[i].prior_id == 0;
    }
    int64_t run_id = 0;
    if (save_run) {
        save = voc_calloc(r.count ? r.count : 1, sizeof *save);
        rule_json = voc_calloc(r.count ? r.count : 1, sizeof *rule_json);
        for (size_t i = 0; i < r.count; i++) {
            const voc_cluster *c = &r.clusters[i];
            int64_t *ids_of = voc_malloc((c->size ? c->size : 1) * sizeof *ids_of);
            for (size_t m = 0; m < c->size; m++)
                ids_of[m] = l.docs[c->docs[m]].id;
            if (c->keyword_count) {
                cJSON *t = s_rule_theme(c, scope, r.docs);
                rule_json[i] = cJSON_PrintUnformatted(t);
                cJSON_Delete(t);
            }
            save[i] = (voc_cluster_save){.id = c->prior_id,
                                         .slug = c->slug,
                                         .label = c->label,
                                         .fit = c->fit,
                                         .term_count = c->centroid_count,
                                         .terms = (const char *const *)c->centroid_terms,
                                         .weights = c->centroid_weights,
                                         .rule_json = rule_json[i],
                                         .item_ids = ids_of,
                                         .sims = c->sims,
                                         .item_count = c->size};
        }
        voc_cluster_run_info ri = {.scope = scope,
                                   .since = f.since,
                                   .until = f.until,
                                   .seed = p.seed,
                                   .items = (int64_t)r.docs,
                                   .unclustered = (int64_t)r.unclustered};
        if (voc_cluster_store_save(cs, &ri, save, r.count, &run_id, &err)) {
            status = voc_cli_fail("voc clusters", &err);
            goto out;
        }
        for (size_t i = 0; i < r.count; i++)
            ids[i] = save[i].id;
    }
    const char *emit = voc_opts_str(o, "emit-rules");
    if (emit && s_emit_rules(emit, &r, shown, scope, &err)) {
        status = voc_cli_fail("voc clusters", &err);
        goto out;
    }
    s_view v = {.r = &r,
                .corpus = l.corpus,
                .docs = l.docs,
                .ids = ids,
                .is_new = is_new,
                .prev = prev,
                .shown = shown,
                .scope = scope,
                .f = &f,
                .run_id = run_id,
                .k_asked = (size_t)kval};
    if (strcmp(fmt, "json") == 0)
        s_print_json(&v);
    else
        s_print_table(&v);
    status = VOC_EXIT_OK;
out:
    if (save)
        for (size_t i = 0; i < r.count; i++)
            free((void *)save[i].item_ids);
    free(save);
    if (rule_json)
        for (size_t i = 0; i < r.count; i++)
            cJSON_free(rule_json[i]);
    free(rule_json);
    free(ids);
    free(is_new);
    voc_clustering_clear(&r);
    free(priors);
    free(held_items);
    free(held_by);
    free(members);
    voc_saved_clusters_free(saved, nsaved);
    voc_cluster_history_free(hist, nhist);
    s_load_clear(&l);
    s_free_words(stop);
    free(scope);
    voc_cluster_store_destroy(&cs);
    voc_store_destroy(&st);
    voc_opts_destroy(&o);
    return status;
}

/* ---- near-identical groups ------------------------------------------------------------- */

/* Load the window (every item) into l with no document-frequency cut and
 * group near-identical items: leader[d] for every document; texts with
 * fewer than min_words content words stay alone. Caller frees *leader. */
static int s_group_dupes(voc_cluster_store *cs, const voc_filter *f, bool themes, size_t min_words,
                         s_load *l, uint32_t **leader, voc_err *err)
{
    voc_corpus_opts co = voc_corpus_opts_default();
    co.min_df = 1;
    co.max_df = 1;
    voc_cluster_scan scan = {.filter = f, .themes = themes};
    *leader = NULL;
    if (voc_tokenizer_new(&l->tok, NULL, err) || voc_corpus_new(&l->corpus, &co, err))
        return err->code;
    if (voc_cluster_store_scan(cs, &scan, s_add_item, l, err)) return err->code;
    if (l->rc) return l->rc;
    if (voc_corpus_finish(l->corpus, err)) return err->code;
    size_t n = voc_corpus_doc_count(l->corpus);
    uint32_t *lead = voc_malloc((n ? n : 1) * sizeof *lead);
    voc_corpus_dupes(l->corpus, 20, 0.9f, lead);
    const voc_csr *m = voc_corpus_matrix(l->corpus);
    for (size_t d = 0; d < n; d++) {
        long row = voc_corpus_row_of_doc(l->corpus, lead[d]);
        /* Unigrams only count as words; a row also holds bigrams. */
        size_t words = 0;
        for (size_t q = m->row_ptr[row]; q < m->row_ptr[row + 1]; q++)
            words += strchr(voc_corpus_term(l->corpus, m->col[q]), ' ') == NULL;
        if (words < min_words) lead[d] = (uint32_t)d;
    }
    *leader = lead;
    return 0;
}

/* ---- voc top --dedup -------------------------------------------------------------------- */

typedef struct s_pair {
    const char *theme;
    uint32_t group;
    uint32_t doc;
} s_pair;

static int s_cmp_pair(const void *a, const void *b)
{
    const s_pair *x = a, *y = b;
    int c = strcmp(x->theme, y->theme);
    if (c) return c;
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    return x->doc < y->doc ? -1 : x->doc > y->doc;
}

typedef struct s_theme_count {
    char *theme;
    int64_t groups;
    uint32_t last_doc; /* the newest item with the theme: the quote */
} s_theme_count;

static int s_cmp_theme_count(const void *a, const void *b)
{
    const s_theme_count *x = a, *y = b;
    if (x->groups != y->groups) return x->groups > y->groups ? -1 : 1;
    return strcmp(x->theme, y->theme);
}

static bool s_under(const char *theme, const char *prefix)
{
    size_t n = strlen(prefix);
    return !prefix[0] || (strncmp(theme, prefix, n) == 0 && (theme[n] == '\0' || theme[n] == '.'));
}

/* Groups per theme in one window: counts[] (caller frees each theme and the
 * array), *total groups, *tagged groups with a theme. l keeps the items. */
static int s_dedup_window(voc_cluster_store *cs, const voc_filter *f, s_load *l,
                          s_theme_count **counts, size_t *count, int64_t *total, int64_t *tagged,
                          voc_err *err)
{
    uint32_t *leader = NULL;
    s_pair *pairs = NULL;
    size_t np = 0, cap = 0;
    *counts = NULL;
    *count = 0;
    voc_filter wf = *f;
    wf.theme = NULL; /* the scan is the whole window; themes are filtered below */
    int rc = s_group_dupes(cs, &wf, true, 3, l, &leader, err);
    if (rc) goto out;
    bool *any = voc_calloc(l->count ? l->count : 1, sizeof *any);
    *total = *tagged = 0;
    for (size_t d = 0; d < l->count; d++) {
        if (leader[d] == d) (*total)++;
        const char *t = l->docs[d].themes;
        if (t && *t) any[leader[d]] = true;
        for (char *p = l->docs[d].themes; p && *p;) {
            char *sp = strchr(p, ' ');
            if (sp) *sp = '\0';
            if (s_under(p, f->theme ? f->theme : "")) {
                voc_grow((void **)&pairs, &cap, np + 1, sizeof *pairs);
                pairs[np++] = (s_pair){p, leader[d], (uint32_t)d};
            }
            p = sp ? sp + 1 : NULL;
        }
    }
    for (size_t d = 0; d < l->count; d++)
        *tagged += any[d];
    free(any);
    if (np > 1) qsort(pairs, np, sizeof *pairs, s_cmp_pair);
    size_t cc = 0;
    for (size_t i = 0; i < np; i++) {
        bool new_theme = i == 0 || strcmp(pairs[i].theme, pairs[i - 1].theme) != 0;
        if (new_theme) {
            *counts = voc_realloc(*counts, (cc + 1) * sizeof **counts);
            (*counts)[cc++] = (s_theme_count){voc_strdup(pairs[i].theme), 0, pairs[i].doc};
        }
        s_theme_count *tc = &(*counts)[cc - 1];
        if (new_theme || pairs[i].group != pairs[i - 1].group) tc->groups++;
        if (pairs[i].doc > tc->last_doc) tc->last_doc = pairs[i].doc;
    }
    *count = cc;
out:
    free(pairs);
    free(leader);
    return rc;
}

int voc_cli_top_dedup(const voc_opts *o, const voc_filter *f, size_t limit, voc_top *out,
                      voc_err *err)
{
    voc_cluster_store *cs = NULL;
    s_load cur = {.err = err}, prev = {.err = err};
    s_theme_count *cc = NULL, *pc = NULL;
    size_t ncc = 0, npc = 0;
    int64_t ptotal, ptagged;
    memset(out, 0, sizeof *out);
    int rc;
    if (f->where_count || f->negative)
        return voc_err_set(err, VOC_EINVAL, "--dedup does not combine with --where or --negative");
    if ((rc = voc_cluster_store_open(&cs, voc_opts_str(o, "db"), false, err)) ||
        (rc = s_dedup_window(cs, f, &cur, &cc, &ncc, &out->total_items, &out->tagged_items, err)))
        goto out;
    int64_t end = f->until == INT64_MAX ? voc_time_now() : f->until;
    bool have_prev = f->since != INT64_MIN && end > f->since;
    if (have_prev) {
        voc_filter pf = *f;
        pf.until = f->since;
        pf.since = f->since - (end - f->since);
        if ((rc = s_dedup_window(cs, &pf, &prev, &pc, &npc, &ptotal, &ptagged, err))) goto out;
    }
    if (ncc > 1) qsort(cc, ncc, sizeof *cc, s_cmp_theme_count);
    size_t n = limit && limit < ncc ? limit : ncc;
    out->rows = voc_calloc(n ? n : 1, sizeof *out->rows);
    for (size_t i = 0; i < n; i++) {
        voc_top_row *r = &out->rows[out->count++];
        const s_doc *q = &cur.docs[cc[i].last_doc];
        r->theme = voc_strdup(cc[i].theme);
        r->items = cc[i].groups;
        r->share = out->total_items ? (double)r->items / (double)out->total_items : 0;
        r->prev_items = have_prev ? 0 : -1;
        for (size_t k = 0; k < npc; k++)
            if (strcmp(pc[k].theme, r->theme) == 0) r->prev_items = pc[k].groups;
        r->sentiment = NAN;
        r->nps = NAN;
        r->quote = voc_strdup(q->text);
        r->quote_uid = voc_strdup(q->uid);
    }
out:
    for (size_t i = 0; i < ncc; i++)
        free(cc[i].theme);
    for (size_t i = 0; i < npc; i++)
        free(pc[i].theme);
    free(cc);
    free(pc);
    s_load_clear(&cur);
    s_load_clear(&prev);
    voc_cluster_store_destroy(&cs);
    if (rc) voc_top_clear(out);
    return rc;
}

/* ---- voc dupes ------------------------------------------------------------------------ */

typedef struct s_group {
    size_t leader; /* document */
    size_t count;
    int64_t first, last;
} s_group;

static int s_cmp_group(const void *a, const void *b)
{
    const s_group *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

int voc_cmd_dupes(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_store *st = NULL;
    voc_cluster_store *cs = NULL;
    voc_filter f = voc_filter_all();
    s_load l = {.err = &err};
    uint32_t *leader = NULL;
    s_group *groups = NULL;
    size_t *slot = NULL;
    if (voc_opts_parse(&o, s_dupe_options, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc dupes", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout,
                            "voc dupes [--since 30d] [--min-words N] [--limit N] "
                            "[--format table|json]",
                            "Groups of near-identical feedback (the same words, give or take "
                            "a few:\nSimHash of the TF-IDF vector, then cosine >= 0.9), largest "
                            "first: copy-pasted\ncomplaints, templates, resent messages.",
                            s_dupe_options);
        status = VOC_EXIT_OK;
        goto out;
    }
    const char *fmt = voc_opts_str(o, "format");
    long long limit = voc_opts_int(o, "limit"), min_words = voc_opts_int(o, "min-words");
    if (limit < 0 || min_words < 0 || (strcmp(fmt, "table") && strcmp(fmt, "json"))) {
        fprintf(stderr, "voc dupes: --limit and --min-words 0 or more; --format table or json\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    if (voc_cli_filter(o, &f, &err) || voc_cli_open_store(o, &st, &err) ||
        voc_cluster_store_open(&cs, voc_opts_str(o, "db"), false, &err)) {
        status = voc_cli_fail("voc dupes", &err);
        goto out;
    }
    if (s_group_dupes(cs, &f, false, (size_t)min_words, &l, &leader, &err)) {
        status = voc_cli_fail("voc dupes", &err);
        goto out;
    }
    size_t n = voc_corpus_doc_count(l.corpus);
    slot = voc_malloc((n ? n : 1) * sizeof *slot);
    size_t ng = 0, in_groups = 0;
    groups = voc_malloc((n ? n : 1) * sizeof *groups);
    for (size_t d = 0; d < n; d++)
        slot[d] = SIZE_MAX;
    for (size_t d = 0; d < n; d++) {
        size_t lead = leader[d];
        if (slot[lead] == SIZE_MAX) {
            slot[lead] = ng;
            groups[ng++] = (s_group){.leader = lead,
                                     .count = 0,
                                     .first = l.docs[d].created_at,
                                     .last = l.docs[d].created_at};
        }
        s_group *g = &groups[slot[lead]];
        g->count++;
        if (l.docs[d].created_at < g->first) g->first = l.docs[d].created_at;
        if (l.docs[d].created_at > g->last) g->last = l.docs[d].created_at;
    }
    size_t keep = 0;
    for (size_t i = 0; i < ng; i++)
        if (groups[i].count > 1) {
            groups[keep++] = groups[i];
            in_groups += groups[i].count;
        }
    qsort(groups, keep, sizeof *groups, s_cmp_group);
    size_t shown = limit == 0 || (size_t)limit > keep ? keep : (size_t)limit;
    char a[VOC_TIME_BUF], b[VOC_TIME_BUF];
    if (strcmp(fmt, "json") == 0) {
        cJSON *o2 = cJSON_CreateObject();
        cJSON_AddNumberToObject(o2, "items", (double)n);
        cJSON_AddNumberToObject(o2, "groups", (double)keep);
        cJSON_AddNumberToObject(o2, "items_in_groups", (double)in_groups);
        cJSON *arr = cJSON_AddArrayToObject(o2, "dupes");
        for (size_t i = 0; i < shown; i++) {
            const s_group *g = &groups[i];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "items", (double)g->count);
            cJSON_AddStringToObject(x, "first", voc_time_format(g->first, a));
            cJSON_AddStringToObject(x, "last", voc_time_format(g->last, b));
            cJSON_AddStringToObject(x, "text", l.docs[g->leader].text);
            cJSON *uids = cJSON_AddArrayToObject(x, "uids");
            for (size_t d = 0; d < n; d++)
                if (leader[d] == g->leader && slot[g->leader] != SIZE_MAX)
                    cJSON_AddItemToArray(uids, cJSON_CreateString(l.docs[d].uid));
            cJSON_AddItemToArray(arr, x);
        }
        char *s = cJSON_PrintUnformatted(o2);
        puts(s);
        free(s);
        cJSON_Delete(o2);
    } else {
        printf("Near-identical feedback: %zu groups holding %zu of %zu items\n\n", keep, in_groups,
               n);
        for (size_t i = 0; i < shown; i++) {
            const s_group *g = &groups[i];
            printf("%5zu items  %s .. %s  e.g. %s\n", g->count, voc_time_format_date(g->first, a),
                   voc_time_format_date(g->last, b), l.docs[g->leader].uid);
            fputs("      \"", stdout);
            voc_cli_put_clipped(stdout, l.docs[g->leader].text, 72);
            fputs("\"\n", stdout);
        }
        if (shown < keep) printf("\n%zu more groups (--limit 0 shows all).\n", keep - shown);
    }
    status = VOC_EXIT_OK;
out:
    free(leader);
    free(groups);
    free(slot);
    s_load_clear(&l);
    voc_cluster_store_destroy(&cs);
    voc_store_destroy(&st);
    voc_opts_destroy(&o);
    return status;
}
