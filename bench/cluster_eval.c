/* cluster_eval.c: voc-cluster-eval, the quality check of the clustering
 * method on labelled text: the real CFPB complaint narratives
 * (consumer_complaint_narrative, with product and issue as labels). It
 * clusters them as `voc clusters` does (same corpus code, same method) and
 * reports NMI and purity against product and issue, beside two baselines
 * in the same run: random assignment to as many clusters, and plain
 * (Euclidean) k-means on raw term counts with k-means++ seeding.
 * --sweep K1:K2 also runs the method at every fixed k in the range.
 *
 * Redaction marks (XXXX, XX/XX/XXXX, {$00.00}) are dropped by the corpus
 * layer, as in production. Labels are used only for scoring. */
#include "common/alloc.h"
#include "common/err.h"
#include "common/opts.h"
#include "processor/cluster.h"
#include "processor/tokenize.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { S_EXIT_OK = 0, S_EXIT_RUNTIME = 1, S_EXIT_USAGE = 2 };

static const voc_opt s_opts[] = {
    {"input", VOC_OPT_STR, "../shared/data/cfpb_complaint_narratives.jsonl", NULL, "FILE",
     "JSON Lines with consumer_complaint_narrative, product and issue"},
    {"k", VOC_OPT_STR, "auto", NULL, "auto|N", "clusters, or auto (as voc clusters)"},
    {"seed", VOC_OPT_INT, "1", NULL, "N", "random seed (the first of --seeds)"},
    {"seeds", VOC_OPT_INT, "1", NULL, "N", "average over N seeds"},
    {"min-size", VOC_OPT_INT, "5", NULL, "N", "fold smaller clusters"},
    {"min-df", VOC_OPT_STR, "0.003", NULL, "X", "minimum document frequency (< 1: a share)"},
    {"max-df", VOC_OPT_STR, "0.9", NULL, "X", "maximum document frequency share"},
    {"max-terms", VOC_OPT_INT, "0", NULL, "N", "keep the N most frequent terms (0: all)"},
    {"no-bigrams", VOC_OPT_BOOL, "false", NULL, NULL, "unigrams only"},
    {"no-dedup", VOC_OPT_BOOL, "false", NULL, NULL, "no near-duplicate collapse"},
    {"k-max", VOC_OPT_INT, "20", NULL, "N", "most clusters auto makes"},
    {"min-share", VOC_OPT_STR, "0.05", NULL, "X",
     "auto: each part of a split holds at least this share of the items"},
    {"dims", VOC_OPT_INT, "100", NULL, "N", "LSA dimensions"},
    {"sample", VOC_OPT_INT, "3000", NULL, "N", "rows the mixture is fitted on"},
    {"restarts", VOC_OPT_INT, "3", NULL, "N", "seedings per split"},
    {"merge-z", VOC_OPT_STR, "3", NULL, "Z",
     "merge clusters whose centroids stand out this much (0: never)"},
    {"sweep", VOC_OPT_STR, NULL, NULL, "K1:K2", "also score every fixed k in the range"},
    {"json", VOC_OPT_BOOL, "false", NULL, NULL, "print one JSON object"},
    {NULL},
};

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Label strings to small integers, first seen first. */
typedef struct s_labels {
    char **names;
    size_t count, cap;
} s_labels;

static uint32_t s_label_id(s_labels *l, const char *name)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->names[i], name) == 0) return (uint32_t)i;
    voc_grow((void **)&l->names, &l->cap, l->count + 1, sizeof *l->names);
    l->names[l->count] = voc_strdup(name);
    return (uint32_t)l->count++;
}

static void s_labels_free(s_labels *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->names[i]);
    free(l->names);
}

typedef struct s_score {
    const char *method;
    size_t k;
    double nmi_product, nmi_issue, purity_product, purity_issue, seconds;
} s_score;

static s_score s_eval(const char *method, size_t k, const uint32_t *pred, const uint32_t *product,
                      const uint32_t *issue, size_t n, double seconds)
{
    return (s_score){method,
                     k,
                     voc_cluster_nmi(pred, product, n),
                     voc_cluster_nmi(pred, issue, n),
                     voc_cluster_purity(pred, product, n),
                     voc_cluster_purity(pred, issue, n),
                     seconds};
}

/* Plain k-means (squared Euclidean) on raw count rows, k-means++ seeded;
 * the best of `restarts` runs by inertia. */
static void s_euclid_kmeans(const voc_csr *x, size_t k, uint64_t seed, unsigned restarts,
                            uint32_t *best_assign)
{
    size_t n = x->rows, d = x->cols;
    double *c = voc_malloc(k * d * sizeof *c), *cn = voc_malloc(k * sizeof *cn);
    double *xn = voc_malloc(n * sizeof *xn), *dist = voc_malloc(n * sizeof *dist);
    double *cnt = voc_malloc(k * sizeof *cnt);
    uint32_t *assign = voc_malloc(n * sizeof *assign);
    double best_inertia = INFINITY;
    for (size_t i = 0; i < n; i++) {
        xn[i] = 0;
        for (size_t p = x->row_ptr[i]; p < x->row_ptr[i + 1]; p++)
            xn[i] += (double)x->val[p] * x->val[p];
    }
    for (unsigned run = 0; run < restarts; run++) {
        uint64_t st = seed * 7919 + run * 104729 + 1;
        /* k-means++ with D^2 sampling (a small LCG is plenty for a baseline). */
        memset(c, 0, k * d * sizeof *c);
        for (size_t j = 0; j < k; j++) {
            size_t pick;
            if (j == 0) {
                st = st * 6364136223846793005ULL + 1442695040888963407ULL;
                pick = (size_t)((st >> 33) % n);
            } else {
                double total = 0;
                for (size_t i = 0; i < n; i++)
                    total += dist[i];
                st = st * 6364136223846793005ULL + 1442695040888963407ULL;
                double u = (double)(st >> 11) * 0x1.0p-53 * total, acc = 0;
                pick = n - 1;
                for (size_t i = 0; i < n; i++) {
                    acc += dist[i];
                    if (u < acc) {
                        pick = i;
                        break;
                    }
                }
            }
            for (size_t p = x->row_ptr[pick]; p < x->row_ptr[pick + 1]; p++)
                c[j * d + x->col[p]] = x->val[p];
            cn[j] = xn[pick];
            for (size_t i = 0; i < n; i++) {
                double dot = 0;
                for (size_t p = x->row_ptr[i]; p < x->row_ptr[i + 1]; p++)
                    dot += x->val[p] * c[j * d + x->col[p]];
                double dd = xn[i] - 2 * dot + cn[j];
                if (j == 0 || dd < dist[i]) dist[i] = dd > 0 ? dd : 0;
            }
        }
        double inertia = 0;
        for (int iter = 0; iter < 100; iter++) {
            size_t changed = 0;
            inertia = 0;
            for (size_t i = 0; i < n; i++) {
                size_t bj = 0;
                double bd = INFINITY;
                for (size_t j = 0; j < k; j++) {
                    double dot = 0;
                    for (size_t p = x->row_ptr[i]; p < x->row_ptr[i + 1]; p++)
                        dot += x->val[p] * c[j * d + x->col[p]];
                    double dd = xn[i] - 2 * dot + cn[j];
                    if (dd < bd) {
                        bd = dd;
                        bj = j;
                    }
                }
                if (iter == 0 || assign[i] != bj) changed++;
                assign[i] = (uint32_t)bj;
                inertia += bd;
            }
            if (!changed) break;
            memset(c, 0, k * d * sizeof *c);
            memset(cnt, 0, k * sizeof *cnt);
            for (size_t i = 0; i < n; i++) {
                cnt[assign[i]]++;
                for (size_t p = x->row_ptr[i]; p < x->row_ptr[i + 1]; p++)
                    c[assign[i] * d + x->col[p]] += x->val[p];
            }
            for (size_t j = 0; j < k; j++) {
                cn[j] = 0;
                for (size_t t = 0; t < d; t++) {
                    if (cnt[j] > 0) c[j * d + t] /= cnt[j];
                    cn[j] += c[j * d + t] * c[j * d + t];
                }
            }
        }
        if (inertia < best_inertia) {
            best_inertia = inertia;
            memcpy(best_assign, assign, n * sizeof *assign);
        }
    }
    free(c);
    free(cn);
    free(xn);
    free(dist);
    free(cnt);
    free(assign);
}

static int s_build(voc_corpus **out, const voc_corpus_opts *co, char **texts, size_t n,
                   voc_tokenizer *tok, voc_err *err)
{
    voc_corpus *c = NULL;
    int rc = voc_corpus_new(&c, co, err);
    if (rc) return rc;
    voc_buf arena = {0};
    for (size_t i = 0; i < n && rc == 0; i++) {
        voc_token *toks = NULL;
        size_t nt = 0;
        voc_buf_reset(&arena);
        rc = voc_tokenize_text(tok, texts[i], strlen(texts[i]), &toks, &nt, &arena, err);
        if (rc == 0) voc_corpus_add(c, texts[i], toks, nt, arena.data, true);
        free(toks);
    }
    voc_buf_free(&arena);
    if (rc == 0) rc = voc_corpus_finish(c, err);
    if (rc)
        voc_corpus_destroy(&c);
    else
        *out = c;
    return rc;
}

/* Our method at a given k (0: auto); pred gets one label per document,
 * unclustered documents their own label. */
static int s_method(voc_corpus *c, const voc_cluster_params *p, uint32_t *pred, size_t n,
                    size_t *k_out, voc_clustering *keep, voc_err *err)
{
    voc_clustering r;
    int rc = voc_cluster_run(c, p, NULL, 0, NULL, &r, err);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++)
        pred[i] = r.assign[i] == UINT32_MAX ? (uint32_t)r.count : r.assign[i];
    *k_out = r.count;
    if (keep)
        *keep = r;
    else
        voc_clustering_clear(&r);
    return 0;
}

static void s_print_row(const s_score *s)
{
    printf("| %s | %zu | %.3f | %.3f | %.3f | %.3f | %.2f |\n", s->method, s->k, s->nmi_product,
           s->nmi_issue, s->purity_product, s->purity_issue, s->seconds);
}

int main(int argc, char **argv)
{
    int status = S_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_tokenizer *tok = NULL;
    voc_corpus *corpus = NULL, *raw = NULL;
    FILE *fp = NULL;
    char *line = NULL, **texts = NULL;
    uint32_t *product = NULL, *issue = NULL, *pred = NULL, *base = NULL;
    s_labels products = {0}, issues = {0};
    size_t n = 0, cap = 0, lcap = 0;
    voc_clustering best = {0};
    if (voc_opts_parse(&o, s_opts, argc - 1, argv + 1, &err)) {
        fprintf(stderr, "voc-cluster-eval: %s\n", err.msg);
        status = S_EXIT_USAGE;
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout, "voc-cluster-eval [--input FILE] [--k auto|N] [--sweep K1:K2]",
                            "Cluster labelled complaints and report NMI and purity against "
                            "their product and issue, beside random and raw-count k-means "
                            "baselines.",
                            s_opts);
        status = S_EXIT_OK;
        goto out;
    }
    const char *path = voc_opts_str(o, "input");
    if (!(fp = fopen(path, "rb"))) {
        fprintf(stderr, "voc-cluster-eval: cannot open %s\n", path);
        goto out;
    }
    ssize_t len;
    while ((len = getline(&line, &lcap, fp)) > 0) {
        cJSON *j = cJSON_ParseWithLength(line, (size_t)len);
        const char *t =
            cJSON_GetStringValue(cJSON_GetObjectItem(j, "consumer_complaint_narrative"));
        const char *pr = cJSON_GetStringValue(cJSON_GetObjectItem(j, "product"));
        const char *is = cJSON_GetStringValue(cJSON_GetObjectItem(j, "issue"));
        if (t && *t && pr && is) {
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                texts = voc_realloc(texts, cap * sizeof *texts);
                product = voc_realloc(product, cap * sizeof *product);
                issue = voc_realloc(issue, cap * sizeof *issue);
            }
            texts[n] = voc_strdup(t);
            product[n] = s_label_id(&products, pr);
            issue[n++] = s_label_id(&issues, is);
        }
        cJSON_Delete(j);
    }
    if (n < 10) {
        fprintf(stderr, "voc-cluster-eval: %zu usable lines in %s\n", n, path);
        goto out;
    }
    if (voc_tokenizer_new(&tok, NULL, &err)) goto fail;
    voc_corpus_opts co = voc_corpus_opts_default();
    co.min_df = atof(voc_opts_str(o, "min-df"));
    co.max_df = atof(voc_opts_str(o, "max-df"));
    co.bigrams = !voc_opts_bool(o, "no-bigrams");
    co.max_terms = (size_t)voc_opts_int(o, "max-terms");
    double t0 = s_now();
    if (s_build(&corpus, &co, texts, n, tok, &err)) goto fail;
    double t_corpus = s_now() - t0;
    voc_cluster_params p = voc_cluster_params_default();
    p.seed = (uint64_t)voc_opts_int(o, "seed");
    p.min_size = (size_t)voc_opts_int(o, "min-size");
    p.k_max = (size_t)voc_opts_int(o, "k-max");
    p.restarts = (unsigned)voc_opts_int(o, "restarts");
    p.min_share = atof(voc_opts_str(o, "min-share"));
    p.dims = (size_t)voc_opts_int(o, "dims");
    p.sample = (size_t)voc_opts_int(o, "sample");
    if (voc_opts_bool(o, "no-dedup")) p.dupe_cosine = 0;
    p.merge_z = atof(voc_opts_str(o, "merge-z"));
    const char *ks = voc_opts_str(o, "k");
    p.k = strcmp(ks, "auto") == 0 ? 0 : (size_t)atol(ks);
    pred = voc_malloc(n * sizeof *pred);
    base = voc_malloc(n * sizeof *base);
    voc_corpus_opts ro = voc_corpus_opts_default();
    ro.bigrams = false;
    ro.min_df = 2;
    ro.max_df = 1.0;
    ro.raw_counts = true;
    if (s_build(&raw, &ro, texts, n, tok, &err)) goto fail;
    /* Each seed: the method, then both baselines at the k it found. */
    long long seeds = voc_opts_int(o, "seeds");
    if (seeds < 1) seeds = 1;
    s_score ours = {0}, rnd = {0}, km = {0};
    double k_sum = 0, nmi_min = INFINITY, nmi_max = -INFINITY;
    uint64_t seed0 = (uint64_t)voc_opts_int(o, "seed");
    for (long long si = 0; si < seeds; si++) {
        p.seed = seed0 + (uint64_t)si;
        size_t k = 0;
        voc_clustering *keep = si == 0 ? &best : NULL;
        t0 = s_now();
        if (s_method(corpus, &p, pred, n, &k, keep, &err)) goto fail;
        s_score a = s_eval("", k, pred, product, issue, n, s_now() - t0 + t_corpus);
        uint64_t st = p.seed * 2654435761u + 17;
        for (size_t i = 0; i < n; i++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            base[i] = (uint32_t)((st >> 33) % k);
        }
        s_score b = s_eval("", k, base, product, issue, n, 0);
        t0 = s_now();
        s_euclid_kmeans(voc_corpus_matrix(raw), k, p.seed, p.restarts, base);
        s_score c = s_eval("", k, base, product, issue, n, s_now() - t0);
        s_score *acc[] = {&ours, &rnd, &km}, *add[] = {&a, &b, &c};
        for (int q = 0; q < 3; q++) {
            acc[q]->nmi_product += add[q]->nmi_product / (double)seeds;
            acc[q]->nmi_issue += add[q]->nmi_issue / (double)seeds;
            acc[q]->purity_product += add[q]->purity_product / (double)seeds;
            acc[q]->purity_issue += add[q]->purity_issue / (double)seeds;
            acc[q]->seconds += add[q]->seconds / (double)seeds;
        }
        k_sum += (double)k;
        if (a.nmi_product < nmi_min) nmi_min = a.nmi_product;
        if (a.nmi_product > nmi_max) nmi_max = a.nmi_product;
        if (seeds > 1)
            fprintf(stderr, "seed %llu: k %zu, NMI product %.3f (random %.3f, raw k-means %.3f)\n",
                    (unsigned long long)p.seed, k, a.nmi_product, b.nmi_product, c.nmi_product);
    }
    size_t k = (size_t)(k_sum / (double)seeds + 0.5);
    ours.method = p.k ? "voc: TF-IDF + LSA + bisecting spherical 2-means, fixed k"
                      : "voc: TF-IDF + LSA + bisecting vMF mixture, k auto";
    rnd.method = "random assignment, same k";
    km.method = "k-means on raw term counts (Euclidean), same k";
    ours.k = rnd.k = km.k = k;
    bool json = voc_opts_bool(o, "json");
    if (json) {
        cJSON *res = cJSON_CreateObject();
        cJSON_AddNumberToObject(res, "documents", (double)n);
        cJSON_AddNumberToObject(res, "products", (double)products.count);
        cJSON_AddNumberToObject(res, "issues", (double)issues.count);
        cJSON_AddNumberToObject(res, "terms", (double)voc_corpus_term_count(corpus));
        cJSON_AddNumberToObject(res, "seeds", (double)seeds);
        cJSON_AddNumberToObject(res, "nmi_product_min", nmi_min);
        cJSON_AddNumberToObject(res, "nmi_product_max", nmi_max);
        cJSON *rows = cJSON_AddArrayToObject(res, "methods");
        const s_score *all[] = {&ours, &rnd, &km};
        for (size_t i = 0; i < 3; i++) {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "method", all[i]->method);
            cJSON_AddNumberToObject(r, "k", (double)all[i]->k);
            cJSON_AddNumberToObject(r, "nmi_product", all[i]->nmi_product);
            cJSON_AddNumberToObject(r, "nmi_issue", all[i]->nmi_issue);
            cJSON_AddNumberToObject(r, "purity_product", all[i]->purity_product);
            cJSON_AddNumberToObject(r, "purity_issue", all[i]->purity_issue);
            cJSON_AddNumberToObject(r, "seconds", all[i]->seconds);
            cJSON_AddItemToArray(rows, r);
        }
        char *s = cJSON_PrintUnformatted(res);
        puts(s);
        free(s);
        cJSON_Delete(res);
    } else {
        printf("%zu complaints, %zu products, %zu issues; %zu terms; %zu near-duplicate groups\n\n",
               n, products.count, issues.count, voc_corpus_term_count(corpus), best.groups);
        if (seeds > 1)
            printf("Means over %lld seeds (the method's NMI vs product ranged %.3f-%.3f):\n\n",
                   seeds, nmi_min, nmi_max);
        printf("| method | k | NMI product | NMI issue | purity product | purity issue | "
               "seconds |\n|---|---|---|---|---|---|---|\n");
        s_print_row(&ours);
        s_print_row(&rnd);
        s_print_row(&km);
        if (best.split_gain) {
            printf("\nlog-likelihood gain of each split:");
            for (size_t i = 0; i + 1 < best.k_chosen; i++)
                printf(" %.0f", best.split_gain[i]);
            printf("\nseed %llu: the mixture made %zu clusters; %zu after merging and folding "
                   "groups under %zu\n",
                   (unsigned long long)seed0, best.k_chosen, best.count, p.min_size);
        }
        printf("\nclusters:\n");
        for (size_t i = 0; i < best.count; i++) {
            /* Majority product of the cluster, for reading. */
            size_t *cnt = voc_calloc(products.count, sizeof *cnt), top = 0;
            for (size_t d = 0; d < best.clusters[i].size; d++)
                cnt[product[best.clusters[i].docs[d]]]++;
            for (size_t q = 1; q < products.count; q++)
                if (cnt[q] > cnt[top]) top = q;
            printf("  %4zu  %-50s %3.0f%% %s\n", best.clusters[i].size, best.clusters[i].label,
                   100.0 * (double)cnt[top] / (double)best.clusters[i].size, products.names[top]);
            free(cnt);
        }
    }
    const char *sweep = voc_opts_str(o, "sweep");
    if (sweep) {
        size_t a = 0, b = 0;
        if (sscanf(sweep, "%zu:%zu", &a, &b) != 2 || a < 1 || b < a) {
            fprintf(stderr, "voc-cluster-eval: --sweep K1:K2\n");
            status = S_EXIT_USAGE;
            goto out;
        }
        printf("\n| k | clusters | NMI product | NMI issue | purity product | purity issue |\n"
               "|---|---|---|---|---|---|\n");
        for (size_t kk = a; kk <= b; kk++) {
            voc_cluster_params q = p;
            q.k = kk;
            size_t got;
            if (s_method(corpus, &q, pred, n, &got, NULL, &err)) goto fail;
            s_score s = s_eval("", got, pred, product, issue, n, 0);
            printf("| %zu | %zu | %.3f | %.3f | %.3f | %.3f |\n", kk, got, s.nmi_product,
                   s.nmi_issue, s.purity_product, s.purity_issue);
        }
    }
    status = S_EXIT_OK;
    goto out;
fail:
    fprintf(stderr, "voc-cluster-eval: %s\n", err.msg);
out:
    voc_clustering_clear(&best);
    voc_corpus_destroy(&corpus);
    voc_corpus_destroy(&raw);
    voc_tokenizer_destroy(&tok);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    free(product);
    free(issue);
    free(pred);
    free(base);
    s_labels_free(&products);
    s_labels_free(&issues);
    free(line);
    if (fp) fclose(fp);
    voc_opts_destroy(&o);
    return status;
}
