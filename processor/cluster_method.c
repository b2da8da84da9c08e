/* cluster_method.c: the clustering method over a finished corpus (see
 * cluster.h and docs/clustering.md): near-duplicate collapse, saved
 * clusters, the reduced space (LSA) and the von Mises-Fisher mixture that
 * chooses k, folding small groups, then each cluster's label, quotes, saved
 * centroid and suggested rule.
 *
 * Clusters are built in "slots": saved clusters (priors) first, then the
 * clusters the mixture finds among the rows no prior took. New slots that are
 * pieces of one theme merge; slots that end up too small are emptied into
 * their nearest neighbour; the rest become the result, ranked by how much
 * of each its suggested rule captures. */
#include "processor/cluster.h"
#include "processor/cluster_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S_NONE VOC_CORPUS_NONE
/* Most candidate keywords a suggested rule is built from (mask bits), and
 * the F1 a keyword must add to join the rule. */
#define S_RULE_CANDIDATES 12
#define S_KEYWORD_COST 0.005
/* Distinctive terms kept per cluster. */
#define S_CLUSTER_TERMS 20
/* A new cluster this close to a saved one is the saved one. */
#define S_MERGE_COSINE 0.5f
/* Merging close clusters: never below this cosine, and only with enough
 * clusters to tell what "close" means here. */
#define S_MERGE_MIN 0.2
#define S_MERGE_AVG 0.75
#define S_MERGE_MIN_K 4
/* The cosine a new item needs to join a saved cluster: S_FIT_SLACK times
 * the lowest of its members' (the slack absorbs the drift of IDF weights
 * between windows), within these bounds. */
#define S_FIT_SLACK 0.75f
#define S_FIT_MIN 0.1f
#define S_FIT_MAX 0.9f
/* Fingerprints of rows with a cosine of 0.9 or more differ in about 9 of
 * 64 bits (sd 3): candidates further apart skip the exact cosine. */
#define S_DUPE_BITS 20
/* Core members: at least this share of the median member's cosine. */
#define S_CORE 0.5f
/* Power iterations of the randomized SVD. */
#define S_POWER_ITERS 2
/* k auto: the coarse grain (parts of min_share) failed when it made fewer
 * clusters than this, or one holding more than this share of the items. */
#define S_COARSE_MIN_K 3
#define S_COARSE_MAX_SHARE (2.0 / 3.0)

voc_cluster_params voc_cluster_params_default(void)
{
    return (voc_cluster_params){.k = 0,
                                .k_max = 20,
                                .min_share = 0.05,
                                .min_size = 5,
                                .seed = 1,
                                .dims = 100,
                                .svd_rows = 10000,
                                .sample = 3000,
                                .restarts = 3,
                                .dupe_cosine = 0.95,
                                .merge_z = 3.0,
                                .top_terms = 200};
}

void voc_clustering_clear(voc_clustering *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->count; i++) {
        voc_cluster *k = &r->clusters[i];
        free(k->docs);
        free(k->sims);
        free(k->terms);
        free(k->label);
        free(k->slug);
        for (size_t j = 0; j < k->centroid_count; j++)
            free(k->centroid_terms[j]);
        free(k->centroid_terms);
        free(k->centroid_weights);
        for (size_t j = 0; j < k->keyword_count; j++)
            free(k->keywords[j].words);
        free(k->keywords);
    }
    free(r->clusters);
    free(r->split_gain);
    free(r->assign);
    free(r->centroids);
    memset(r, 0, sizeof *r);
}

static bool s_empty(const voc_csr *x, size_t i)
{
    return x->row_ptr[i] == x->row_ptr[i + 1];
}

static float s_dot_dense(const voc_csr *x, size_t i, const float *dense)
{
    float s = 0;
    for (size_t p = x->row_ptr[i]; p < x->row_ptr[i + 1]; p++)
        s += x->val[p] * dense[x->col[p]];
    return s;
}

static void s_normalize(float *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)v[i] * v[i];
    if (s <= 0) return;
    double inv = 1.0 / sqrt(s);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(v[i] * inv);
}

/* ---- slots --------------------------------------------------------------------------- */

typedef struct s_slot {
    const voc_cluster_prior *prior; /* NULL for a new cluster */
    float *centroid;                /* dense, cols */
    double weight;                  /* rows (duplicates included) */
    bool alive;
} s_slot;

typedef struct s_run {
    voc_corpus *c;
    const voc_csr *x;
    size_t n, cols;
    voc_cluster_params p;
    uint32_t *leader; /* row -> leader row */
    uint32_t *reps;   /* rep index -> row */
    float *repw;      /* rep index -> rows it stands for */
    size_t rep_count;
    size_t empty;     /* rows with no term */
    uint32_t *rep_of; /* row -> rep index (leaders only) */
    uint32_t *rep_slot;
    s_slot *slots;
    size_t slot_count;
} s_run;

static size_t s_add_slot(s_run *r, const voc_cluster_prior *prior, const float *centroid)
{
    r->slots = voc_realloc(r->slots, (r->slot_count + 1) * sizeof *r->slots);
    s_slot *s = &r->slots[r->slot_count];
    s->prior = prior;
    s->centroid = voc_calloc(r->cols ? r->cols : 1, sizeof *s->centroid);
    if (centroid) memcpy(s->centroid, centroid, r->cols * sizeof *s->centroid);
    s->weight = 0;
    s->alive = true;
    return r->slot_count++;
}

/* The best slot for row i among alive slots (or priors only): index and
 * cosine, S_NONE when no slot shares a term with it. */
static uint32_t s_best_slot(const s_run *r, size_t row, bool priors_only, float *cos_out)
{
    uint32_t best = S_NONE;
    float bs = 0;
    for (size_t j = 0; j < r->slot_count; j++) {
        const s_slot *s = &r->slots[j];
        if (!s->alive || (priors_only && !s->prior)) continue;
        float d = s_dot_dense(r->x, row, s->centroid);
        if (d > bs) {
            bs = d;
            best = (uint32_t)j;
        }
    }
    *cos_out = bs;
    return best;
}

/* Collapse near-duplicates: leaders become weighted representatives. */
static void s_collapse(s_run *r, voc_clustering *out)
{
    const voc_csr *x = r->x;
    size_t n = r->n;
    bool *empty = voc_malloc((n ? n : 1) * sizeof *empty);
    r->leader = voc_malloc((n ? n : 1) * sizeof *r->leader);
    for (size_t i = 0; i < n; i++) {
        empty[i] = s_empty(x, i);
        if (empty[i]) out->empty++;
    }
    r->empty = out->empty;
    if (r->p.dupe_cosine > 0) {
        uint64_t *h = voc_malloc((n ? n : 1) * sizeof *h);
        for (size_t i = 0; i < n; i++)
            h[i] = empty[i] ? 0
                            : voc_simhash(x->col + x->row_ptr[i], x->val + x->row_ptr[i],
                                          x->row_ptr[i + 1] - x->row_ptr[i], r->c->col_hash);
        voc_near_dupes(h, n, S_DUPE_BITS, x, (float)r->p.dupe_cosine, empty, r->leader);
        free(h);
    } else {
        for (size_t i = 0; i < n; i++)
            r->leader[i] = (uint32_t)i;
    }
    r->rep_of = voc_malloc((n ? n : 1) * sizeof *r->rep_of);
    r->reps = voc_malloc((n ? n : 1) * sizeof *r->reps);
    r->repw = voc_calloc(n ? n : 1, sizeof *r->repw);
    for (size_t i = 0; i < n; i++) {
        r->rep_of[i] = S_NONE;
        if (empty[i] || r->leader[i] != i) continue;
        r->rep_of[i] = (uint32_t)r->rep_count;
        r->reps[r->rep_count++] = (uint32_t)i;
    }
    for (size_t i = 0; i < n; i++)
        if (!empty[i]) r->repw[r->rep_of[r->leader[i]]] += 1.0f;
    out->groups = r->rep_count;
    free(empty);
}

typedef struct s_id_index {
    int64_t id;
    uint32_t index;
} s_id_index;

static int s_cmp_id_index(const void *a, const void *b)
{
    const s_id_index *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Saved clusters as slots, in this vocabulary; rows that fit join them. */
static void s_apply_priors(s_run *r, const voc_cluster_prior *priors, size_t np,
                           const int64_t *members)
{
    for (size_t k = 0; k < np; k++) {
        size_t j = s_add_slot(r, &priors[k], NULL);
        for (size_t t = 0; t < priors[k].term_count; t++) {
            long col = voc_corpus_term_index(r->c, priors[k].terms[t]);
            if (col >= 0) r->slots[j].centroid[col] = priors[k].weights[t];
        }
    }
    for (size_t q = 0; q < r->rep_count; q++)
        r->rep_slot[q] = S_NONE;
    /* Items a saved cluster already holds stay in it (a near-duplicate
     * group follows its first member that has a cluster), so a rerun over
     * the same items changes nothing and only new items are placed. */
    s_id_index *by_id = voc_malloc((np ? np : 1) * sizeof *by_id);
    for (size_t k = 0; k < np; k++)
        by_id[k] = (s_id_index){priors[k].id, (uint32_t)k};
    if (np > 1) qsort(by_id, np, sizeof *by_id, s_cmp_id_index);
    for (size_t i = 0; members && np && i < r->n; i++) {
        s_id_index key = {members[r->c->row_doc[i]], 0};
        uint32_t rep = r->rep_of[r->leader[i]];
        if (!key.id || rep == S_NONE || r->rep_slot[rep] != S_NONE) continue;
        const s_id_index *hit = bsearch(&key, by_id, np, sizeof *by_id, s_cmp_id_index);
        if (hit) r->rep_slot[rep] = hit->index;
    }
    free(by_id);
    for (size_t q = 0; q < r->rep_count && np; q++) {
        if (r->rep_slot[q] != S_NONE) continue;
        float cos;
        uint32_t s = s_best_slot(r, r->reps[q], true, &cos);
        r->rep_slot[q] = s != S_NONE && cos >= r->slots[s].prior->fit ? s : S_NONE;
    }
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double s_dot(const float *a, const float *b, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++)
        d += (double)a[i] * b[i];
    return d;
}

/* The mixture can split a theme told in several ways into several clusters (k is
 * chosen for the whole corpus). Two new clusters whose centroids are far
 * more alike than the pairs of clusters typically are (cosine above the
 * median pair by p.merge_z robust standard deviations, and at least
 * S_MERGE_MIN) are one theme: merge them, closest pair first (centroid
 * linkage). Centroid linkage chains (the mean of two directions is nearer a
 * third than either), so a merge also needs the pieces' average pairwise
 * cosine (average linkage) to reach S_MERGE_AVG of the limit. */
static void s_merge_close(s_run *r, size_t first)
{
    size_t k = r->slot_count - first, cols = r->cols;
    if (k < 2 || r->slot_count < S_MERGE_MIN_K || r->p.merge_z <= 0) return;
    float *sum = voc_calloc(k * (cols ? cols : 1), sizeof *sum);
    double *norm = voc_calloc(k, sizeof *norm);
    double *cos = voc_calloc(k * k, sizeof *cos), *avg = voc_calloc(k * k, sizeof *avg);
    double *pieces = voc_malloc(k * sizeof *pieces);
    for (size_t i = 0; i < k; i++)
        pieces[i] = 1;
    const voc_csr *x = r->x;
    for (size_t q = 0; q < r->rep_count; q++) {
        uint32_t s = r->rep_slot[q];
        if (s == S_NONE || s < first) continue;
        size_t row = r->reps[q];
        for (size_t p = x->row_ptr[row]; p < x->row_ptr[row + 1]; p++)
            sum[(s - first) * cols + x->col[p]] += r->repw[q] * x->val[p];
    }
    for (size_t i = 0; i < k; i++)
        norm[i] = sqrt(s_dot(sum + i * cols, sum + i * cols, cols));
    for (size_t i = 0; i < k; i++)
        for (size_t j = i + 1; j < k; j++)
            cos[i * k + j] = norm[i] > 0 && norm[j] > 0
                                 ? s_dot(sum + i * cols, sum + j * cols, cols) / (norm[i] * norm[j])
                                 : 0;
    /* How alike clusters are here (long texts share more words than short
     * ones): the median pair and its spread, robustly (median absolute
     * deviation), so that the few pairs that are one theme stand out. */
    size_t np = 0, nprior = 0;
    for (size_t i = 0; i < first; i++)
        nprior += r->slots[i].alive;
    double *pc = voc_malloc((k * k + r->slot_count * r->slot_count) * sizeof *pc);
    if (nprior >= 2) {
        /* Saved clusters are themes apart: how alike they are to each other
         * and to the new ones is the reference, even when all the new
         * clusters are pieces of one theme. */
        for (size_t i = 0; i < r->slot_count; i++)
            for (size_t j = i + 1; j < r->slot_count && i < first; j++)
                if (r->slots[i].alive && r->slots[j].alive)
                    pc[np++] = s_dot(r->slots[i].centroid, r->slots[j].centroid, cols);
    } else {
        for (size_t i = 0; i < k; i++)
            for (size_t j = i + 1; j < k; j++)
                pc[np++] = cos[i * k + j];
    }
    memcpy(avg, cos, k * k * sizeof *avg);
    qsort(pc, np, sizeof *pc, s_cmp_double);
    double median = pc[np / 2];
    for (size_t i = 0; i < np; i++)
        pc[i] = fabs(pc[i] - median);
    qsort(pc, np, sizeof *pc, s_cmp_double);
    double limit = median + r->p.merge_z * 1.4826 * pc[np / 2];
    free(pc);
    if (limit < S_MERGE_MIN) limit = S_MERGE_MIN;
    for (;;) {
        size_t bi = 0, bj = 0;
        double best = -1;
        for (size_t i = 0; i < k; i++)
            for (size_t j = i + 1; j < k; j++)
                if (r->slots[first + i].alive && r->slots[first + j].alive &&
                    cos[i * k + j] > best && avg[i * k + j] >= S_MERGE_AVG * limit) {
                    best = cos[i * k + j];
                    bi = i;
                    bj = j;
                }
        if (best < limit) break;
        for (size_t t = 0; t < cols; t++)
            sum[bi * cols + t] += sum[bj * cols + t];
        norm[bi] = sqrt(s_dot(sum + bi * cols, sum + bi * cols, cols));
        r->slots[first + bj].alive = false;
        for (size_t q = 0; q < r->rep_count; q++)
            if (r->rep_slot[q] == first + bj) r->rep_slot[q] = (uint32_t)(first + bi);
        for (size_t i = 0; i < k; i++) {
            if (i == bi || i == bj || !r->slots[first + i].alive) continue;
            size_t a = i < bi ? i : bi, b = i < bi ? bi : i;
            size_t c = i < bj ? i : bj, d = i < bj ? bj : i;
            cos[a * k + b] =
                norm[i] > 0 && norm[bi] > 0
                    ? s_dot(sum + i * cols, sum + bi * cols, cols) / (norm[i] * norm[bi])
                    : 0;
            avg[a * k + b] = (pieces[bi] * avg[a * k + b] + pieces[bj] * avg[c * k + d]) /
                             (pieces[bi] + pieces[bj]);
        }
        pieces[bi] += pieces[bj];
    }
    /* The merged clusters' centroids, for folding and for priors. */
    for (size_t i = 0; i < k; i++) {
        if (!r->slots[first + i].alive || norm[i] <= 0) continue;
        for (size_t t = 0; t < cols; t++)
            r->slots[first + i].centroid[t] = (float)(sum[i * cols + t] / norm[i]);
    }
    free(sum);
    free(norm);
    free(cos);
    free(avg);
    free(pieces);
}

/* Up to cap of the positions 0..m-1, drawn uniformly (seeded) and kept in
 * order, into sel; all of them when cap is 0 or m <= cap. Returns how many. */
static size_t s_sample(size_t m, size_t cap, uint64_t seed, uint32_t *sel)
{
    for (size_t i = 0; i < m; i++)
        sel[i] = (uint32_t)i;
    if (!cap || m <= cap) return m;
    voc_rng rng;
    voc_rng_seed(&rng, seed);
    for (size_t i = 0; i < cap; i++) {
        size_t j = i + (size_t)(voc_rng_next(&rng) % (m - i));
        uint32_t t = sel[i];
        sel[i] = sel[j];
        sel[j] = t;
    }
    qsort(sel, cap, sizeof *sel, voc_cmp_u32);
    return cap;
}

/* Did the coarse grain miss the top-level themes? (See s_cluster_rest.) */
static bool s_coarse_failed(const voc_vmf_mix *mix, const float *w, size_t n)
{
    if (mix->k < S_COARSE_MIN_K) return true;
    double *sum = voc_calloc(mix->k, sizeof *sum), total = 0, top = 0;
    for (size_t i = 0; i < n; i++) {
        sum[mix->assign[i]] += w[i];
        total += w[i];
    }
    for (size_t j = 0; j < mix->k; j++)
        if (sum[j] > top) top = sum[j];
    free(sum);
    return top > S_COARSE_MAX_SHARE * total;
}

/* Centroids of slots first.. as the normalised weighted sums of their rows. */
static void s_slot_centroids(s_run *r, size_t first)
{
    const voc_csr *x = r->x;
    for (size_t j = first; j < r->slot_count; j++)
        memset(r->slots[j].centroid, 0, r->cols * sizeof *r->slots[j].centroid);
    for (size_t q = 0; q < r->rep_count; q++) {
        uint32_t s = r->rep_slot[q];
        if (s == S_NONE || s < first) continue;
        float *cent = r->slots[s].centroid;
        size_t row = r->reps[q];
        for (size_t p = x->row_ptr[row]; p < x->row_ptr[row + 1]; p++)
            cent[x->col[p]] += r->repw[q] * x->val[p];
    }
    for (size_t j = first; j < r->slot_count; j++)
        s_normalize(r->slots[j].centroid, r->cols);
}

/* The representatives no prior took, clustered into new slots: their rows
 * projected onto the top LSA directions (a randomized SVD of a sample of
 * them, near-duplicate groups weighted), a von Mises-Fisher mixture grown
 * by bisection on a sample of the projections, then every row to its most
 * likely component. */
static int s_cluster_rest(s_run *r, voc_clustering *out, voc_err *err)
{
    size_t cap = r->rep_count ? r->rep_count : 1;
    uint32_t *rows = voc_malloc(cap * sizeof *rows), *which = voc_malloc(cap * sizeof *which);
    float *w = voc_malloc(cap * sizeof *w);
    size_t m = 0;
    double total = 0;
    for (size_t q = 0; q < r->rep_count; q++) {
        if (r->rep_slot[q] != S_NONE) continue;
        which[m] = (uint32_t)q;
        rows[m] = r->reps[q];
        w[m++] = r->repw[q];
        total += r->repw[q];
    }
    int rc = 0;
    voc_csr sub = {0}, part = {0};
    voc_vmf_mix mix = {0};
    uint32_t *sel = NULL;
    float *v = NULL, *z = NULL, *zw = NULL, *scale = NULL;
    double *sigma = NULL;
    if (m == 0) goto out;
    voc_csr_select(r->x, rows, m, &sub);
    sel = voc_malloc(m * sizeof *sel);
    size_t dims = r->p.dims < sub.cols ? r->p.dims : sub.cols;
    bool split = r->p.k ? r->p.k > 1 : total >= 2.0 * (double)r->p.min_size;
    size_t nsvd = split ? s_sample(m, r->p.svd_rows, r->p.seed ^ 0x27d4eb2f165667c5ULL, sel) : 0;
    if (dims > nsvd) dims = nsvd;
    if (split && dims >= 2) {
        voc_csr_select(&sub, sel, nsvd, &part);
        /* A near-duplicate group weighs as its items: its row counts
         * sqrt(weight) times in the sum of squares the SVD explains. */
        scale = voc_malloc(nsvd * sizeof *scale);
        for (size_t i = 0; i < nsvd; i++)
            scale[i] = sqrtf(w[sel[i]]);
        v = voc_malloc(sub.cols * dims * sizeof *v);
        sigma = voc_malloc(dims * sizeof *sigma);
        if ((rc = voc_csr_svd(&part, scale, dims, S_POWER_ITERS, r->p.seed, v, sigma, err)))
            goto out;
        size_t ns = s_sample(m, r->p.sample, r->p.seed ^ 0x165667b19e3779f9ULL, sel), nz = 0;
        z = voc_malloc(ns * dims * sizeof *z);
        zw = voc_malloc(ns * sizeof *zw);
        for (size_t q = 0; q < ns; q++)
            if (voc_csr_project(&sub, sel[q], v, dims, z + nz * dims)) zw[nz++] = w[sel[q]];
        if (nz >= 2) {
            voc_vmf_opts vo = {.seed = r->p.seed,
                               .k = r->p.k,
                               .k_max = r->p.k_max,
                               .min_share = r->p.min_share,
                               .min_weight = (double)(r->p.min_size ? r->p.min_size : 1),
                               .restarts = r->p.restarts,
                               .kmeans_splits = r->p.k != 0};
            if ((rc = voc_vmf_bisect(z, nz, dims, zw, &vo, &mix, err))) goto out;
            /* The coarse grain found no top-level themes when it made fewer
             * than three clusters or left most items in one (many small
             * themes and no big ones): then the fine grain, bisecting
             * 2-means, the heaviest leaf first, down to min_size. */
            if (!r->p.k && vo.min_share > 0 && s_coarse_failed(&mix, zw, nz)) {
                voc_vmf_mix_clear(&mix);
                vo.min_share = 0;
                vo.kmeans_splits = true;
                if ((rc = voc_vmf_bisect(z, nz, dims, zw, &vo, &mix, err))) goto out;
            }
            out->k_auto = r->p.k == 0;
            out->min_share = vo.min_share;
            out->split_gain = voc_calloc(mix.k, sizeof *out->split_gain);
            memcpy(out->split_gain, mix.gain, (mix.k - 1) * sizeof *mix.gain);
        }
    }
    size_t k = mix.k ? mix.k : 1, first = r->slot_count;
    out->k_chosen = k;
    for (size_t j = 0; j < k; j++)
        s_add_slot(r, NULL, NULL);
    /* Every row to its most likely component; a row with no weight in the
     * reduced space waits for the centroids. */
    float *zi = voc_malloc(dims ? dims * sizeof *zi : sizeof *zi);
    for (size_t i = 0; i < m; i++) {
        uint32_t s = 0;
        if (k > 1) s = voc_csr_project(&sub, i, v, dims, zi) ? voc_vmf_mix_best(&mix, zi) : S_NONE;
        r->rep_slot[which[i]] = s == S_NONE ? S_NONE : (uint32_t)(first + s);
    }
    free(zi);
    s_slot_centroids(r, first);
    for (size_t i = 0; i < m; i++) {
        if (r->rep_slot[which[i]] != S_NONE) continue;
        uint32_t best = (uint32_t)first;
        float bs = 0;
        for (size_t j = first; j < r->slot_count; j++) {
            float d = s_dot_dense(r->x, rows[i], r->slots[j].centroid);
            if (d > bs) {
                bs = d;
                best = (uint32_t)j;
            }
        }
        r->rep_slot[which[i]] = best;
    }
    s_merge_close(r, first);
    /* A new cluster that is an old one under another seed joins it. */
    for (size_t j = first; j < r->slot_count; j++) {
        if (!r->slots[j].alive) continue;
        uint32_t best = S_NONE;
        float bs = 0;
        for (size_t s = 0; s < first; s++) {
            float d = 0;
            for (size_t t = 0; t < r->cols; t++)
                d += r->slots[j].centroid[t] * r->slots[s].centroid[t];
            if (d > bs) {
                bs = d;
                best = (uint32_t)s;
            }
        }
        if (best == S_NONE || bs < S_MERGE_COSINE) continue;
        r->slots[j].alive = false;
        for (size_t q = 0; q < r->rep_count; q++)
            if (r->rep_slot[q] == j) r->rep_slot[q] = best;
    }
out:
    voc_vmf_mix_clear(&mix);
    voc_csr_clear(&sub);
    voc_csr_clear(&part);
    free(sel);
    free(v);
    free(sigma);
    free(z);
    free(zw);
    free(scale);
    free(rows);
    free(which);
    free(w);
    return rc;
}

/* Groups under min_size fold into their nearest cluster. */
static void s_fold_small(s_run *r)
{
    for (size_t j = 0; j < r->slot_count; j++)
        r->slots[j].weight = 0;
    for (size_t q = 0; q < r->rep_count; q++)
        if (r->rep_slot[q] != S_NONE) r->slots[r->rep_slot[q]].weight += r->repw[q];
    size_t alive = 0, heaviest = S_NONE;
    for (size_t j = 0; j < r->slot_count; j++) {
        s_slot *s = &r->slots[j];
        if (!s->alive) continue;
        if (heaviest == S_NONE || s->weight > r->slots[heaviest].weight) heaviest = j;
        s->alive = s->prior ? s->weight > 0 : s->weight >= (double)r->p.min_size;
        alive += s->alive;
    }
    if (!alive && heaviest != S_NONE && r->slots[heaviest].weight > 0)
        r->slots[heaviest].alive = true;
    for (size_t q = 0; q < r->rep_count; q++) {
        uint32_t s = r->rep_slot[q];
        if (s == S_NONE || r->slots[s].alive) continue;
        float cos;
        r->rep_slot[q] = s_best_slot(r, r->reps[q], false, &cos);
    }
}

/* ---- describing a cluster ---------------------------------------------------------------- */

static int s_cmp_term(const void *a, const void *b)
{
    const voc_cluster_term *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->term < y->term ? -1 : x->term > y->term;
}

/* Terms by how much more often the cluster's documents use them than the
 * others: share inside x ln(share inside / share outside). */
static void s_terms(s_run *r, voc_cluster *k, uint32_t *cnt)
{
    const voc_csr *x = r->x;
    size_t *touched = NULL, nt = 0, cap = 0;
    for (size_t i = 0; i < k->core; i++) {
        size_t row = (size_t)r->c->doc_row[k->docs[i]];
        for (size_t p = x->row_ptr[row]; p < x->row_ptr[row + 1]; p++) {
            if (!cnt[x->col[p]]++) {
                voc_grow((void **)&touched, &cap, nt + 1, sizeof *touched);
                touched[nt++] = x->col[p];
            }
        }
    }
    size_t nonempty = r->n - r->empty;
    double in_n = (double)k->core, out_n = (double)(nonempty > k->core ? nonempty - k->core : 1);
    double eps = 1.0 / (double)(nonempty ? nonempty : 1);
    voc_cluster_term *all = voc_malloc((nt ? nt : 1) * sizeof *all);
    size_t m = 0;
    for (size_t i = 0; i < nt; i++) {
        size_t t = touched[i];
        double pin = cnt[t] / in_n, pout = (r->c->df[t] - cnt[t]) / out_n;
        cnt[t] = 0;
        if (pin <= pout) continue;
        all[m++] = (voc_cluster_term){.term = t, .score = pin * log((pin + eps) / (pout + eps))};
    }
    qsort(all, m, sizeof *all, s_cmp_term);
    k->term_count = m < S_CLUSTER_TERMS ? m : S_CLUSTER_TERMS;
    k->terms = voc_realloc(all, (k->term_count ? k->term_count : 1) * sizeof *all);
    free(touched);
}

/* The unigram terms of vocabulary term t (one for a unigram, two for a
 * bigram), as original term ids. */
static size_t s_parts(const voc_corpus *c, size_t t, uint32_t part[2])
{
    const voc_cterm *ct = &c->terms[c->vocab[t]];
    if (ct->a == S_NONE) {
        part[0] = c->vocab[t];
        return 1;
    }
    part[0] = ct->a;
    part[1] = ct->b;
    return 2;
}

/* A label of up to three phrases; a bigram replaces a word it contains when
 * it is nearly as distinctive ("csv export" rather than "csv"). */
static bool s_shares_word(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (a[i] == b[j]) return true;
    return false;
}

static void s_label(s_run *r, voc_cluster *k)
{
    size_t pick[3];
    size_t np = 0;
    for (size_t i = 0; i < k->term_count && i < 10 && np < 3; i++) {
        uint32_t part[2], other[2];
        size_t n = s_parts(r->c, k->terms[i].term, part);
        /* The picked terms that share a word with this one. */
        size_t words = 0, phrases = 0, first_word = 0;
        double best_word = 0;
        for (size_t j = 0; j < np; j++) {
            size_t on = s_parts(r->c, k->terms[pick[j]].term, other);
            if (!s_shares_word(part, n, other, on)) continue;
            if (on == 2) {
                phrases++;
            } else {
                if (!words++) first_word = j;
                if (k->terms[pick[j]].score > best_word) best_word = k->terms[pick[j]].score;
            }
        }
        if (!words && !phrases) {
            pick[np++] = i;
            continue;
        }
        /* Overlap: a phrase replaces the words it contains when it is at
         * least half as distinctive; anything else would repeat a word. */
        if (n != 2 || phrases || k->terms[i].score < 0.5 * best_word) continue;
        pick[first_word] = i;
        size_t keep = 0;
        for (size_t j = 0; j < np; j++) {
            size_t on = s_parts(r->c, k->terms[pick[j]].term, other);
            if (j != first_word && on == 1 && s_shares_word(part, n, other, on)) continue;
            pick[keep++] = pick[j];
        }
        np = keep;
    }
    voc_buf b = {0};
    for (size_t j = 0; j < np; j++) {
        if (b.len) voc_buf_puts(&b, ", ");
        voc_buf_puts(&b, voc_corpus_surface(r->c, k->terms[pick[j]].term));
    }
    k->label = b.data ? b.data : voc_strdup("(no words)");
}

/* An id segment from the label: a-z, 0-9 and _, at most 40 characters. */
static char *s_slug_of(const char *label)
{
    voc_buf b = {0};
    bool sep = false;
    for (const unsigned char *p = (const unsigned char *)label; *p; p++) {
        unsigned char ch = *p;
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
            if (sep && b.len) {
                if (b.len >= 32) break;
                voc_buf_putc(&b, '_');
            }
            sep = false;
            voc_buf_putc(&b, (char)ch);
        } else if (ch >= 'A' && ch <= 'Z') {
            if (sep && b.len) voc_buf_putc(&b, '_');
            sep = false;
            voc_buf_putc(&b, (char)(ch + 32));
        } else {
            sep = true;
        }
    }
    return b.data ? b.data : voc_strdup("cluster");
}

static bool s_slug_taken(const voc_clustering *out, size_t upto, const voc_cluster_prior *priors,
                         size_t np, const char *slug)
{
    for (size_t i = 0; i < upto; i++)
        if (out->clusters[i].slug && strcmp(out->clusters[i].slug, slug) == 0) return true;
    for (size_t i = 0; i < np; i++)
        if (priors[i].slug && strcmp(priors[i].slug, slug) == 0) return true;
    return false;
}

/* F1 of a weighting over the candidate masks. */
static double s_rule_f1(const double *w, size_t nc, const uint32_t *masks, size_t nm,
                        const uint32_t *in, const uint32_t *outc, double size, double *tp_out,
                        double *fp_out)
{
    double tp = 0, fp = 0;
    for (size_t i = 0; i < nm; i++) {
        uint32_t m = masks[i];
        double s = 0;
        for (size_t b = 0; b < nc; b++)
            if (m >> b & 1) s += w[b];
        if (s >= 1.0 - 1e-9) {
            tp += in[m];
            fp += outc[m];
        }
    }
    if (tp_out) *tp_out = tp;
    if (fp_out) *fp_out = fp;
    return tp > 0 ? 2 * tp / (2 * tp + fp + (size - tp)) : 0;
}

/* The suggested rule: keywords from the most distinctive terms, weights
 * from {1/3, 1/2, 1} (written 0.34, 0.5, 1) and threshold 1, chosen by
 * coordinate ascent on F1 against every document of the corpus. */
static void s_rule(s_run *r, voc_clustering *out, size_t ci, int8_t *bit_of, uint8_t *mark)
{
    static const double levels[] = {0, 0.34, 0.5, 1.0};
    voc_cluster *k = &out->clusters[ci];
    const voc_corpus *c = r->c;
    size_t nc = 0;
    size_t cand[S_RULE_CANDIDATES];
    for (size_t i = 0; i < k->term_count && nc < S_RULE_CANDIDATES; i++) {
        cand[nc] = k->terms[i].term;
        bit_of[c->vocab[cand[nc]]] = (int8_t)nc;
        nc++;
    }
    k->threshold = 1.0;
    if (!nc) return;
    /* The rule is fitted to the core; fringe members count for nothing. */
    for (size_t i = 0; i < k->size; i++)
        mark[k->docs[i]] = i < k->core ? 1 : 2;
    size_t nmask = (size_t)1 << nc;
    uint32_t *in = voc_calloc(nmask, sizeof *in), *outc = voc_calloc(nmask, sizeof *outc);
    for (size_t d = 0; d < c->doc_count; d++) {
        uint32_t m = 0;
        for (size_t p = c->doc_ptr[d]; p < c->doc_ptr[d + 1]; p++) {
            int8_t b = bit_of[c->dterm[p]];
            if (b >= 0) m |= 1u << b;
        }
        if (!m) continue;
        if (mark[d] == 1)
            in[m]++;
        else if (mark[d] == 0)
            outc[m]++;
    }
    for (size_t i = 0; i < nc; i++)
        bit_of[c->vocab[cand[i]]] = -1;
    for (size_t i = 0; i < k->size; i++)
        mark[k->docs[i]] = 0;
    uint32_t *masks = voc_malloc(nmask * sizeof *masks);
    size_t nm = 0;
    for (size_t m = 1; m < nmask; m++)
        if (in[m] || outc[m]) masks[nm++] = (uint32_t)m;
    double w[S_RULE_CANDIDATES] = {0}, best = 0, size = (double)k->core;
    size_t used = 0;
    for (int pass = 0; pass < 10; pass++) {
        bool improved = false;
        for (size_t b = 0; b < nc; b++) {
            for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
                double old = w[b];
                if (levels[l] == old) continue;
                w[b] = levels[l];
                size_t u = used + (old == 0) - (levels[l] == 0);
                /* Each keyword must earn its place: short rules read better
                 * and generalise better. */
                double f = s_rule_f1(w, nc, masks, nm, in, outc, size, NULL, NULL) -
                           S_KEYWORD_COST * (double)u;
                if (f > best + 1e-9) {
                    used = u;
                    best = f;
                    improved = true;
                } else {
                    w[b] = old;
                }
            }
        }
        if (!improved) break;
    }
    double tp, fp;
    k->rule_f1 = s_rule_f1(w, nc, masks, nm, in, outc, size, &tp, &fp);
    k->rule_precision = tp + fp > 0 ? tp / (tp + fp) : 0;
    double others = (double)c->doc_count - (double)k->size;
    k->rule_recall = size > 0 ? tp / size : 0;
    k->rule_fpr = others > 0 ? fp / others : 0;
    k->keywords = voc_calloc(nc, sizeof *k->keywords);
    /* Heaviest first, then in order of distinctiveness. */
    for (size_t l = sizeof levels / sizeof levels[0] - 1; l > 0; l--)
        for (size_t b = 0; b < nc; b++)
            if (w[b] == levels[l])
                k->keywords[k->keyword_count++] = (voc_rule_keyword){
                    .words = voc_strdup(voc_corpus_surface(c, cand[b])), .weight = w[b]};
    free(in);
    free(outc);
    free(masks);
}

typedef struct s_doc_sim {
    size_t doc;
    float sim;
} s_doc_sim;

static int s_cmp_doc_sim(const void *a, const void *b)
{
    const s_doc_sim *x = a, *y = b;
    if (x->sim != y->sim) return x->sim > y->sim ? -1 : 1;
    return x->doc < y->doc ? -1 : x->doc > y->doc;
}

typedef struct s_order {
    size_t slot;
    double weight;
} s_order;

static int s_cmp_order(const void *a, const void *b)
{
    const s_order *x = a, *y = b;
    if (x->weight != y->weight) return x->weight > y->weight ? -1 : 1;
    return x->slot < y->slot ? -1 : x->slot > y->slot;
}

typedef struct s_wt {
    uint32_t t;
    float w;
} s_wt;

static int s_cmp_wt(const void *a, const void *b)
{
    const s_wt *x = a, *y = b;
    if (x->w != y->w) return x->w > y->w ? -1 : 1;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* Final centroid of slot j: its rows' mean (blended with the saved centroid
 * for a prior), cut to the top_terms heaviest terms and renormalised, so
 * what is saved is exactly what is measured against. */
static void s_final_centroid(s_run *r, size_t j, float *cent, voc_cluster *k)
{
    const voc_csr *x = r->x;
    memset(cent, 0, r->cols * sizeof *cent);
    for (size_t q = 0; q < r->rep_count; q++) {
        if (r->rep_slot[q] != j) continue;
        size_t row = r->reps[q];
        for (size_t p = x->row_ptr[row]; p < x->row_ptr[row + 1]; p++)
            cent[x->col[p]] += r->repw[q] * x->val[p];
    }
    s_normalize(cent, r->cols);
    if (r->slots[j].prior) {
        for (size_t t = 0; t < r->cols; t++)
            cent[t] += r->slots[j].centroid[t];
        s_normalize(cent, r->cols);
    }
    s_wt *all = voc_malloc((r->cols ? r->cols : 1) * sizeof *all);
    size_t m = 0;
    for (size_t t = 0; t < r->cols; t++)
        if (cent[t] > 0) all[m++] = (s_wt){(uint32_t)t, cent[t]};
    qsort(all, m, sizeof *all, s_cmp_wt);
    size_t keep = r->p.top_terms && m > r->p.top_terms ? r->p.top_terms : m;
    memset(cent, 0, r->cols * sizeof *cent);
    for (size_t i = 0; i < keep; i++)
        cent[all[i].t] = all[i].w;
    s_normalize(cent, r->cols);
    k->centroid_count = keep;
    k->centroid_terms = voc_malloc((keep ? keep : 1) * sizeof *k->centroid_terms);
    k->centroid_weights = voc_malloc((keep ? keep : 1) * sizeof *k->centroid_weights);
    for (size_t i = 0; i < keep; i++) {
        k->centroid_terms[i] = voc_strdup(voc_corpus_term(r->c, all[i].t));
        k->centroid_weights[i] = cent[all[i].t];
    }
    free(all);
}

static void s_describe(s_run *r, voc_clustering *out, const voc_cluster_prior *priors, size_t np)
{
    const voc_csr *x = r->x;
    s_order *order = voc_malloc((r->slot_count ? r->slot_count : 1) * sizeof *order);
    size_t nk = 0;
    for (size_t j = 0; j < r->slot_count; j++) {
        r->slots[j].weight = 0;
    }
    for (size_t q = 0; q < r->rep_count; q++)
        if (r->rep_slot[q] != S_NONE) r->slots[r->rep_slot[q]].weight += r->repw[q];
    for (size_t j = 0; j < r->slot_count; j++)
        if (r->slots[j].alive && r->slots[j].weight > 0)
            order[nk++] = (s_order){j, r->slots[j].weight};
    qsort(order, nk, sizeof *order, s_cmp_order);
    out->clusters = voc_calloc(nk ? nk : 1, sizeof *out->clusters);
    out->count = nk;
    out->centroids = voc_calloc((nk ? nk : 1) * (r->cols ? r->cols : 1), sizeof *out->centroids);
    uint32_t *slot_cluster = voc_malloc((r->slot_count ? r->slot_count : 1) * sizeof *slot_cluster);
    memset(slot_cluster, 0xff, (r->slot_count ? r->slot_count : 1) * sizeof *slot_cluster);
    for (size_t i = 0; i < nk; i++) {
        slot_cluster[order[i].slot] = (uint32_t)i;
        voc_cluster *k = &out->clusters[i];
        const voc_cluster_prior *pr = r->slots[order[i].slot].prior;
        k->prior_id = pr ? pr->id : 0;
        k->size = 0;
        s_final_centroid(r, order[i].slot, out->centroids + i * r->cols, k);
    }
    /* Members: every row of every representative. */
    for (size_t i = 0; i < r->n; i++) {
        if (s_empty(x, i)) continue;
        uint32_t s = r->rep_slot[r->rep_of[r->leader[i]]];
        uint32_t ci = s == S_NONE ? S_NONE : slot_cluster[s];
        size_t doc = r->c->row_doc[i];
        out->assign[doc] = ci;
        if (ci == S_NONE)
            out->unclustered++;
        else
            out->clusters[ci].size++;
    }
    out->unclustered += out->empty;
    s_doc_sim *ds = voc_malloc((r->n ? r->n : 1) * sizeof *ds);
    uint32_t *cnt = voc_calloc(r->cols ? r->cols : 1, sizeof *cnt);
    int8_t *bit_of = voc_malloc(r->c->term_count ? r->c->term_count : 1);
    uint8_t *mark = voc_calloc(r->c->doc_count ? r->c->doc_count : 1, 1);
    memset(bit_of, -1, r->c->term_count ? r->c->term_count : 1);
    for (size_t i = 0; i < nk; i++) {
        voc_cluster *k = &out->clusters[i];
        const float *cent = out->centroids + i * r->cols;
        size_t m = 0;
        for (size_t row = 0; row < r->n; row++) {
            size_t doc = r->c->row_doc[row];
            if (out->assign[doc] != i) continue;
            ds[m].doc = doc;
            ds[m++].sim = s_dot_dense(x, row, cent);
        }
        qsort(ds, m, sizeof *ds, s_cmp_doc_sim);
        k->docs = voc_malloc((m ? m : 1) * sizeof *k->docs);
        k->sims = voc_malloc((m ? m : 1) * sizeof *k->sims);
        for (size_t q = 0; q < m; q++) {
            k->docs[q] = ds[q].doc;
            k->sims[q] = ds[q].sim;
        }
        /* The core: members at least S_CORE times as close to the centre as
         * the median member. A one-word answer that landed here because
         * the centre shares its word is fringe, not theme. */
        k->core = 0;
        while (k->core < m && k->sims[k->core] >= S_CORE * k->sims[m / 2])
            k->core++;
        float fit = m ? S_FIT_SLACK * k->sims[m - 1] : S_FIT_MIN;
        k->fit = fit < S_FIT_MIN ? S_FIT_MIN : fit > S_FIT_MAX ? S_FIT_MAX : fit;
        /* Quotes: the closest documents of distinct near-duplicate groups. */
        for (size_t q = 0; q < m && k->quote_count < 3; q++) {
            uint32_t lead = r->leader[r->c->doc_row[k->docs[q]]];
            bool seen = false;
            for (size_t j = 0; j < k->quote_count; j++)
                seen |= r->leader[r->c->doc_row[k->quotes[j]]] == lead;
            if (!seen) k->quotes[k->quote_count++] = k->docs[q];
        }
        s_terms(r, k, cnt);
        s_label(r, k);
        if (k->prior_id) {
            for (size_t j = 0; j < np; j++)
                if (priors[j].id == k->prior_id) k->slug = voc_strdup(priors[j].slug);
        }
        if (!k->slug) {
            char *base = s_slug_of(k->label);
            k->slug = voc_strdup(base);
            for (int n = 2; s_slug_taken(out, i, priors, np, k->slug); n++) {
                free(k->slug);
                k->slug = voc_asprintf("%s_%d", base, n);
            }
            free(base);
        }
        s_rule(r, out, i, bit_of, mark);
    }
    free(ds);
    free(cnt);
    free(bit_of);
    free(mark);
    free(slot_cluster);
    free(order);
}

typedef struct s_rank {
    size_t index;
    double score;
} s_rank;

static int s_cmp_rank(const void *a, const void *b)
{
    const s_rank *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Rank clusters by the items one rule would capture cleanly (size x the
 * rule's F1): a coherent theme outranks a grab-bag of short, unrelated
 * answers of the same size. Reorders clusters, centroids and assign. */
static void s_rank_clusters(voc_clustering *out)
{
    size_t n = out->count, cols = out->cols ? out->cols : 1;
    if (n < 2) return;
    s_rank *rank = voc_malloc(n * sizeof *rank);
    for (size_t i = 0; i < n; i++)
        rank[i] = (s_rank){i, (double)out->clusters[i].size * out->clusters[i].rule_f1};
    qsort(rank, n, sizeof *rank, s_cmp_rank);
    voc_cluster *cl = voc_malloc(n * sizeof *cl);
    float *cent = voc_malloc(n * cols * sizeof *cent);
    uint32_t *to = voc_malloc(n * sizeof *to);
    for (size_t i = 0; i < n; i++) {
        cl[i] = out->clusters[rank[i].index];
        memcpy(cent + i * cols, out->centroids + rank[i].index * cols, cols * sizeof *cent);
        to[rank[i].index] = (uint32_t)i;
    }
    for (size_t d = 0; d < out->doc_count; d++)
        if (out->assign[d] != S_NONE) out->assign[d] = to[out->assign[d]];
    free(out->clusters);
    free(out->centroids);
    out->clusters = cl;
    out->centroids = cent;
    free(to);
    free(rank);
}

int voc_cluster_run(voc_corpus *c, const voc_cluster_params *pp, const voc_cluster_prior *priors,
                    size_t prior_count, const int64_t *members, voc_clustering *out, voc_err *err)
{
    memset(out, 0, sizeof *out);
    if (!c->finished) return voc_err_set(err, VOC_ESTATE, "finish the corpus before clustering");
    s_run r = {.c = c, .x = &c->m, .n = c->m.rows, .cols = c->m.cols};
    r.p = pp ? *pp : voc_cluster_params_default();
    if (r.p.restarts == 0) r.p.restarts = 1;
    out->docs = r.n;
    out->cols = r.cols;
    out->doc_count = c->doc_count;
    out->assign = voc_malloc((c->doc_count ? c->doc_count : 1) * sizeof *out->assign);
    memset(out->assign, 0xff, (c->doc_count ? c->doc_count : 1) * sizeof *out->assign);
    s_collapse(&r, out);
    r.rep_slot = voc_malloc((r.rep_count ? r.rep_count : 1) * sizeof *r.rep_slot);
    s_apply_priors(&r, priors, prior_count, members);
    int rc = s_cluster_rest(&r, out, err);
    if (rc == 0) {
        s_fold_small(&r);
        s_describe(&r, out, priors, prior_count);
        s_rank_clusters(out);
    }
    for (size_t j = 0; j < r.slot_count; j++)
        free(r.slots[j].centroid);
    free(r.slots);
    free(r.leader);
    free(r.reps);
    free(r.repw);
    free(r.rep_of);
    free(r.rep_slot);
    if (rc) voc_clustering_clear(out);
    return rc;
}

long voc_clustering_fit(const voc_clustering *r, const voc_corpus *c, const uint32_t *col,
                        const float *val, size_t n)
{
    (void)c;
    long best = -1;
    float bs = 0;
    for (size_t i = 0; i < r->count; i++) {
        const float *cent = r->centroids + i * r->cols;
        float s = 0;
        for (size_t p = 0; p < n; p++)
            s += val[p] * cent[col[p]];
        if (s > bs) {
            bs = s;
            best = (long)i;
        }
    }
    return best >= 0 && bs >= r->clusters[best].fit ? best : -1;
}

size_t voc_corpus_dupes(voc_corpus *c, int max_distance, float min_cosine, uint32_t *leader)
{
    const voc_csr *x = &c->m;
    size_t n = x->rows;
    uint64_t *h = voc_malloc((n ? n : 1) * sizeof *h);
    bool *empty = voc_malloc((n ? n : 1) * sizeof *empty);
    uint32_t *lead = voc_malloc((n ? n : 1) * sizeof *lead);
    for (size_t i = 0; i < n; i++) {
        empty[i] = s_empty(x, i);
        h[i] = empty[i] ? 0
                        : voc_simhash(x->col + x->row_ptr[i], x->val + x->row_ptr[i],
                                      x->row_ptr[i + 1] - x->row_ptr[i], c->col_hash);
    }
    voc_near_dupes(h, n, max_distance, x, min_cosine, empty, lead);
    for (size_t d = 0; d < c->doc_count; d++)
        leader[d] = (uint32_t)d;
    bool *has = voc_calloc(n ? n : 1, sizeof *has);
    size_t groups = 0;
    for (size_t i = 0; i < n; i++) {
        leader[c->row_doc[i]] = c->row_doc[lead[i]];
        if (lead[i] != i && !has[lead[i]]) {
            has[lead[i]] = true;
            groups++;
        }
    }
    free(has);
    free(h);
    free(empty);
    free(lead);
    return groups;
}
