/* cluster.c: the numeric core of clustering (see cluster.h): TF-IDF, SimHash
 * and near-duplicate grouping, spherical k-means with k-means++ seeding, the
 * silhouette choice of k, and NMI / purity.
 *
 * Rows are unit-length sparse vectors with non-negative weights, so cosine
 * similarity is a dot product and lies in [0, 1]. Centroids are dense and
 * kept column-major (term x cluster) while clustering: scoring one row
 * against every centroid then reads k contiguous floats per term, which the
 * compiler vectorises. Random numbers come from one xoshiro256** stream per
 * run, seeded through splitmix64, so a seed gives the same result on every
 * platform. */
#include "processor/cluster.h"
#include "processor/cluster_int.h"

#include "common/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers --------------------------------------------------------- */

typedef struct s_rng {
    uint64_t s[4];
} s_rng;

static uint64_t s_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void s_rng_seed(s_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = s_splitmix(&seed);
}

static uint64_t s_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t s_rng_next(s_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = s_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s_rotl(s[3], 45);
    return out;
}

/* Uniform in [0, 1). */
static double s_rng_unit(s_rng *r)
{
    return (double)(s_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---- sparse rows ------------------------------------------------------------ */

void voc_csr_clear(voc_csr *m)
{
    if (!m) return;
    free(m->row_ptr);
    free(m->col);
    free(m->val);
    memset(m, 0, sizeof *m);
}

float voc_csr_dot(const voc_csr *m, size_t a, size_t b)
{
    size_t i = m->row_ptr[a], ie = m->row_ptr[a + 1];
    size_t j = m->row_ptr[b], je = m->row_ptr[b + 1];
    double s = 0;
    while (i < ie && j < je) {
        if (m->col[i] < m->col[j])
            i++;
        else if (m->col[i] > m->col[j])
            j++;
        else
            s += (double)m->val[i++] * m->val[j++];
    }
    return (float)s;
}

void voc_tfidf_apply(voc_csr *m, const uint32_t *df, size_t n_docs, bool sublinear)
{
    double *idf = voc_malloc((m->cols ? m->cols : 1) * sizeof *idf);
    for (size_t j = 0; j < m->cols; j++)
        idf[j] = log((1.0 + (double)n_docs) / (1.0 + (double)df[j])) + 1.0;
    for (size_t i = 0; i < m->rows; i++) {
        double norm = 0;
        for (size_t p = m->row_ptr[i]; p < m->row_ptr[i + 1]; p++) {
            double tf = m->val[p];
            if (sublinear && tf > 0) tf = 1.0 + log(tf);
            double w = tf * idf[m->col[p]];
            m->val[p] = (float)w;
            norm += w * w;
        }
        if (norm <= 0) continue;
        double inv = 1.0 / sqrt(norm);
        for (size_t p = m->row_ptr[i]; p < m->row_ptr[i + 1]; p++)
            m->val[p] = (float)(m->val[p] * inv);
    }
    free(idf);
}

/* ---- SimHash and near-duplicates --------------------------------------------- */

uint64_t voc_simhash(const uint32_t *col, const float *val, size_t n, const uint64_t *col_hash)
{
    double acc[64] = {0};
    for (size_t p = 0; p < n; p++) {
        uint64_t h = col_hash[col[p]];
        double v = val[p];
        for (int b = 0; b < 64; b++)
            acc[b] += (h >> b & 1) ? v : -v;
    }
    uint64_t out = 0;
    for (int b = 0; b < 64; b++)
        if (acc[b] > 0) out |= 1ULL << b;
    return out;
}

#define S_BANDS 4
#define S_BAND_SLOTS 65536
/* Leaders looked at per band bucket: a bucket crowded by one common band
 * value must not make grouping quadratic. */
#define S_BUCKET_SCAN 256

size_t voc_near_dupes(const uint64_t *hash, size_t n, int max_distance, const voc_csr *m,
                      float min_cosine, const bool *skip, uint32_t *leader)
{
    uint32_t *head = voc_malloc((size_t)S_BANDS * S_BAND_SLOTS * sizeof *head);
    uint32_t *next = voc_malloc((n ? n : 1) * S_BANDS * sizeof *next);
    memset(head, 0xff, (size_t)S_BANDS * S_BAND_SLOTS * sizeof *head);
    size_t groups = 0;
    for (size_t i = 0; i < n; i++) {
        leader[i] = (uint32_t)i;
        if (skip && skip[i]) {
            groups++;
            continue;
        }
        uint64_t h = hash[i];
        uint32_t best = UINT32_MAX;
        for (int b = 0; b < S_BANDS; b++) {
            uint32_t slot = (uint32_t)(h >> (16 * b) & 0xffff);
            uint32_t l = head[(size_t)b * S_BAND_SLOTS + slot];
            for (int seen = 0; l != UINT32_MAX && seen < S_BUCKET_SCAN;
                 l = next[(size_t)l * S_BANDS + b], seen++) {
                if (l >= best) continue;
                if (__builtin_popcountll(h ^ hash[l]) > max_distance) continue;
                if (m && voc_csr_dot(m, i, l) < min_cosine) continue;
                best = l;
            }
        }
        if (best != UINT32_MAX) {
            leader[i] = best;
            continue;
        }
        groups++;
        for (int b = 0; b < S_BANDS; b++) {
            uint32_t slot = (uint32_t)(h >> (16 * b) & 0xffff);
            next[i * S_BANDS + (size_t)b] = head[(size_t)b * S_BAND_SLOTS + slot];
            head[(size_t)b * S_BAND_SLOTS + slot] = (uint32_t)i;
        }
    }
    free(head);
    free(next);
    return groups;
}

/* ---- spherical k-means --------------------------------------------------------- */

voc_kmeans_opts voc_kmeans_opts_default(void)
{
    return (voc_kmeans_opts){.seed = 1, .restarts = 4, .max_iter = 40, .init = NULL};
}

void voc_kmeans_clear(voc_kmeans *km)
{
    if (!km) return;
    free(km->centroid);
    free(km->assign);
    free(km->sim);
    memset(km, 0, sizeof *km);
}

static bool s_row_empty(const voc_csr *x, size_t i)
{
    return x->row_ptr[i] == x->row_ptr[i + 1];
}

static float s_w(const float *weight, size_t i)
{
    return weight ? weight[i] : 1.0f;
}

/* Score every row against the centroids ct (cols x k): best cluster and its
 * cosine. Returns the weighted objective; *changed counts moved rows. */
static double s_assign(const voc_csr *x, const float *weight, const float *ct, size_t k,
                       uint32_t *assign, float *sim, float *scratch, size_t *changed)
{
    double obj = 0;
    size_t moved = 0;
    for (size_t i = 0; i < x->rows; i++) {
        if (s_row_empty(x, i)) {
            assign[i] = 0;
            sim[i] = 0;
            continue;
        }
        memset(scratch, 0, k * sizeof *scratch);
        for (size_t p = x->row_ptr[i]; p < x->row_ptr[i + 1]; p++) {
            const float *c = ct + (size_t)x->col[p] * k;
            float v = x->val[p];
            for (size_t j = 0; j < k; j++)
                scratch[j] += v * c[j];
        }
        uint32_t best = 0;
        for (size_t j = 1; j < k; j++)
            if (scratch[j] > scratch[best]) best = (uint32_t)j;
        if (assign[i] != best) moved++;
        assign[i] = best;
        sim[i] = scratch[best];
        obj += (double)s_w(weight, i) * scratch[best];
    }
    *changed = moved;
    return obj;
}

/* Column j of ct := row i of x. */
static void s_set_centroid_row(const voc_csr *x, size_t i, float *ct, size_t k, size_t j)
{
    for (size_t t = 0; t < x->cols; t++)
        ct[t * k + j] = 0;
    for (size_t p = x->row_ptr[i]; p < x->row_ptr[i + 1]; p++)
        ct[(size_t)x->col[p] * k + j] = x->val[p];
}

/* Centroids := normalised weighted sums of their rows. An empty cluster
 * takes the row served worst (lowest similarity) that no other empty
 * cluster took. */
static void s_update(const voc_csr *x, const float *weight, float *ct, size_t k,
                     const uint32_t *assign, const float *sim, double *norm)
{
    memset(ct, 0, x->cols * k * sizeof *ct);
    for (size_t i = 0; i < x->rows; i++) {
        float w = s_w(weight, i);
        size_t j = assign[i];
        for (size_t p = x->row_ptr[i]; p < x->row_ptr[i + 1]; p++)
            ct[(size_t)x->col[p] * k + j] += w * x->val[p];
    }
    memset(norm, 0, k * sizeof *norm);
    for (size_t t = 0; t < x->cols; t++)
        for (size_t j = 0; j < k; j++)
            norm[j] += (double)ct[t * k + j] * ct[t * k + j];
    for (size_t j = 0; j < k; j++)
        norm[j] = norm[j] > 0 ? 1.0 / sqrt(norm[j]) : 0;
    for (size_t t = 0; t < x->cols; t++)
        for (size_t j = 0; j < k; j++)
            ct[t * k + j] = (float)(ct[t * k + j] * norm[j]);
    bool *taken = NULL;
    for (size_t j = 0; j < k; j++) {
        if (norm[j] > 0) continue;
        if (!taken) taken = voc_calloc(x->rows ? x->rows : 1, sizeof *taken);
        size_t worst = SIZE_MAX;
        for (size_t i = 0; i < x->rows; i++) {
            if (s_row_empty(x, i) || taken[i]) continue;
            if (worst == SIZE_MAX || sim[i] < sim[worst]) worst = i;
        }
        if (worst == SIZE_MAX) continue;
        s_set_centroid_row(x, worst, ct, k, j);
        taken[worst] = true;
    }
    free(taken);
}

/* Cosine of every row to row c of x, via a dense copy of row c. */
static void s_sims_to_row(const voc_csr *x, size_t c, float *dense, float *out)
{
    for (size_t p = x->row_ptr[c]; p < x->row_ptr[c + 1]; p++)
        dense[x->col[p]] = x->val[p];
    for (size_t i = 0; i < x->rows; i++) {
        float s = 0;
        for (size_t p = x->row_ptr[i]; p < x->row_ptr[i + 1]; p++)
            s += x->val[p] * dense[x->col[p]];
        out[i] = s;
    }
    for (size_t p = x->row_ptr[c]; p < x->row_ptr[c + 1]; p++)
        dense[x->col[p]] = 0;
}

/* Draw a row with probability proportional to p[i]; -1 when all are 0. */
static long s_draw(s_rng *r, const double *p, size_t n, double total)
{
    if (!(total > 0)) return -1;
    double u = s_rng_unit(r) * total, acc = 0;
    long last = -1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] <= 0) continue;
        acc += p[i];
        last = (long)i;
        if (u < acc) return (long)i;
    }
    return last;
}

/* Greedy k-means++ (as scikit-learn): each new centre is the best of a few
 * candidates drawn with probability weight x (1 - best cosine so far). */
static void s_seed(const voc_csr *x, const float *weight, size_t k, s_rng *r, float *ct)
{
    size_t n = x->rows, trials = 2 + (size_t)log((double)k);
    float *best = voc_malloc(n * sizeof *best);
    float *cand = voc_malloc(trials * n * sizeof *cand);
    double *p = voc_malloc(n * sizeof *p);
    float *dense = voc_calloc(x->cols ? x->cols : 1, sizeof *dense);
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        p[i] = s_row_empty(x, i) ? 0 : s_w(weight, i);
        total += p[i];
        best[i] = 0;
    }
    memset(ct, 0, x->cols * k * sizeof *ct);
    for (size_t j = 0; j < k; j++) {
        long pick = -1;
        double pick_pot = INFINITY;
        size_t pick_t = 0;
        for (size_t t = 0; t < (j ? trials : 1); t++) {
            long c = s_draw(r, p, n, total);
            if (c < 0) break;
            float *sims = cand + t * n;
            s_sims_to_row(x, (size_t)c, dense, sims);
            double pot = 0;
            for (size_t i = 0; i < n; i++)
                if (!s_row_empty(x, i)) pot += s_w(weight, i) * (1.0 - fmax(best[i], sims[i]));
            if (pot < pick_pot) {
                pick_pot = pot;
                pick = c;
                pick_t = t;
            }
        }
        if (pick < 0) {
            /* Every row sits on a centre already: take the worst served. */
            for (size_t i = 0; i < n; i++)
                if (!s_row_empty(x, i) && (pick < 0 || best[i] < best[pick])) pick = (long)i;
            if (pick < 0) break;
            s_sims_to_row(x, (size_t)pick, dense, cand);
            pick_t = 0;
        }
        s_set_centroid_row(x, (size_t)pick, ct, k, j);
        const float *sims = cand + pick_t * n;
        total = 0;
        for (size_t i = 0; i < n; i++) {
            if (sims[i] > best[i]) best[i] = sims[i];
            p[i] = s_row_empty(x, i) ? 0 : s_w(weight, i) * fmax(0.0, 1.0 - best[i]);
            total += p[i];
        }
    }
    free(best);
    free(cand);
    free(p);
    free(dense);
}

int voc_kmeans_run(const voc_csr *x, const float *weight, size_t k, const voc_kmeans_opts *o,
                   voc_kmeans *out, voc_err *err)
{
    memset(out, 0, sizeof *out);
    if (k == 0 || k > x->rows)
        return voc_err_set(err, VOC_EINVAL, "k = %zu for %zu rows: need 1 <= k <= rows", k,
                           x->rows);
    voc_kmeans_opts def = voc_kmeans_opts_default();
    if (!o) o = &def;
    size_t n = x->rows, cols = x->cols ? x->cols : 1;
    float *ct = voc_malloc(cols * k * sizeof *ct), *best_ct = voc_malloc(cols * k * sizeof *ct);
    uint32_t *assign = voc_malloc(n * sizeof *assign);
    float *sim = voc_malloc(n * sizeof *sim);
    float *scratch = voc_malloc(k * sizeof *scratch);
    double *norm = voc_malloc(k * sizeof *norm);
    out->k = k;
    out->cols = x->cols;
    out->assign = voc_malloc(n * sizeof *out->assign);
    out->sim = voc_malloc(n * sizeof *out->sim);
    out->objective = -INFINITY;
    unsigned restarts = o->init ? 1 : (o->restarts ? o->restarts : 1);
    for (unsigned run = 0; run < restarts; run++) {
        s_rng rng;
        s_rng_seed(&rng, o->seed * 0x100000001b3ULL + run);
        if (o->init) {
            for (size_t j = 0; j < k; j++)
                for (size_t t = 0; t < x->cols; t++)
                    ct[t * k + j] = o->init[j * x->cols + t];
        } else {
            s_seed(x, weight, k, &rng, ct);
        }
        memset(assign, 0xff, n * sizeof *assign);
        double obj = 0;
        unsigned iter = 0;
        for (;; iter++) {
            size_t changed;
            obj = s_assign(x, weight, ct, k, assign, sim, scratch, &changed);
            if ((iter > 0 && changed == 0) || iter >= o->max_iter) break;
            s_update(x, weight, ct, k, assign, sim, norm);
        }
        if (run == 0 || obj > out->objective) {
            out->objective = obj;
            out->iterations = iter;
            memcpy(out->assign, assign, n * sizeof *assign);
            memcpy(out->sim, sim, n * sizeof *sim);
            memcpy(best_ct, ct, cols * k * sizeof *ct);
        }
    }
    out->centroid = voc_malloc(cols * k * sizeof *out->centroid);
    for (size_t j = 0; j < k; j++)
        for (size_t t = 0; t < x->cols; t++)
            out->centroid[j * x->cols + t] = best_ct[t * k + j];
    free(ct);
    free(best_ct);
    free(assign);
    free(sim);
    free(scratch);
    free(norm);
    return 0;
}

/* ---- choosing k -------------------------------------------------------------------- */

double voc_silhouette(const float *sim, size_t n, const uint32_t *assign, size_t k,
                      const float *weight)
{
    double *wsum = voc_calloc(k ? k : 1, sizeof *wsum);
    double *dsum = voc_malloc((k ? k : 1) * sizeof *dsum);
    for (size_t i = 0; i < n; i++)
        wsum[assign[i]] += s_w(weight, i);
    double total = 0, tw = 0;
    for (size_t i = 0; i < n; i++) {
        memset(dsum, 0, k * sizeof *dsum);
        const float *row = sim + i * n;
        for (size_t j = 0; j < n; j++)
            if (j != i) dsum[assign[j]] += s_w(weight, j) * (1.0 - row[j]);
        size_t own = assign[i];
        /* A weighted point stands for that many copies of itself at
         * distance 0: only one copy leaves its cluster's average. */
        double w_own = wsum[own] - 1.0, s = 0;
        if (w_own > 1e-9) {
            double a = dsum[own] / w_own, b = INFINITY;
            for (size_t c = 0; c < k; c++)
                if (c != own && wsum[c] > 0 && dsum[c] / wsum[c] < b) b = dsum[c] / wsum[c];
            double m = fmax(a, b);
            if (isfinite(b) && m > 0) s = (b - a) / m;
        }
        total += s_w(weight, i) * s;
        tw += s_w(weight, i);
    }
    free(wsum);
    free(dsum);
    return tw > 0 ? total / tw : 0;
}

void voc_csr_select(const voc_csr *x, const uint32_t *rows, size_t m, voc_csr *out)
{
    size_t nnz = 0;
    for (size_t r = 0; r < m; r++)
        nnz += x->row_ptr[rows[r] + 1] - x->row_ptr[rows[r]];
    out->rows = m;
    out->cols = x->cols;
    out->row_ptr = voc_malloc((m + 1) * sizeof *out->row_ptr);
    out->col = voc_malloc((nnz ? nnz : 1) * sizeof *out->col);
    out->val = voc_malloc((nnz ? nnz : 1) * sizeof *out->val);
    size_t q = 0;
    for (size_t r = 0; r < m; r++) {
        out->row_ptr[r] = q;
        size_t a = x->row_ptr[rows[r]], b = x->row_ptr[rows[r] + 1];
        memcpy(out->col + q, x->col + a, (b - a) * sizeof *out->col);
        memcpy(out->val + q, x->val + a, (b - a) * sizeof *out->val);
        q += b - a;
    }
    out->row_ptr[m] = q;
}

int voc_kmeans_choose_k(const voc_csr *x, const float *weight, size_t k_min, size_t k_max,
                        size_t sample, const voc_kmeans_opts *o, size_t *best_k, double *scores,
                        float **init_out, voc_err *err)
{
    if (k_min < 2 || k_max < k_min)
        return voc_err_set(err, VOC_EINVAL, "k range %zu..%zu: need 2 <= min <= max", k_min, k_max);
    voc_kmeans_opts def = voc_kmeans_opts_default();
    if (!o) o = &def;
    /* The sample: non-empty rows, all of them or a uniform draw. */
    uint32_t *idx = voc_malloc((x->rows ? x->rows : 1) * sizeof *idx);
    size_t m = 0;
    for (size_t i = 0; i < x->rows; i++)
        if (!s_row_empty(x, i)) idx[m++] = (uint32_t)i;
    if (sample && m > sample) {
        s_rng rng;
        s_rng_seed(&rng, o->seed ^ 0x5eed5a3b1eULL);
        for (size_t i = 0; i < sample; i++) {
            size_t j = i + (size_t)(s_rng_next(&rng) % (m - i));
            uint32_t t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        m = sample;
        qsort(idx, m, sizeof *idx, voc_cmp_u32);
    }
    if (m < k_min + 1) {
        free(idx);
        return voc_err_set(err, VOC_EINVAL, "%zu distinct texts are too few for %zu clusters", m,
                           k_min);
    }
    voc_csr sub = {0};
    voc_csr_select(x, idx, m, &sub);
    float *w = NULL;
    if (weight) {
        w = voc_malloc(m * sizeof *w);
        for (size_t r = 0; r < m; r++)
            w[r] = weight[idx[r]];
    }
    /* All pairwise cosines of the sample, once for every k. */
    float *sim = voc_malloc(m * m * sizeof *sim);
    float *dense = voc_calloc(sub.cols ? sub.cols : 1, sizeof *dense);
    for (size_t i = 0; i < m; i++) {
        for (size_t p = sub.row_ptr[i]; p < sub.row_ptr[i + 1]; p++)
            dense[sub.col[p]] = sub.val[p];
        sim[i * m + i] = 1.0f;
        for (size_t j = i + 1; j < m; j++) {
            float s = 0;
            for (size_t p = sub.row_ptr[j]; p < sub.row_ptr[j + 1]; p++)
                s += sub.val[p] * dense[sub.col[p]];
            sim[i * m + j] = sim[j * m + i] = s;
        }
        for (size_t p = sub.row_ptr[i]; p < sub.row_ptr[i + 1]; p++)
            dense[sub.col[p]] = 0;
    }
    free(dense);
    size_t k_last = k_max;
    if (k_max > m - 1) k_max = m - 1;
    double best = -INFINITY;
    size_t bk = k_min;
    float *best_c = NULL;
    int rc = 0;
    for (size_t k = k_min; k <= k_max; k++) {
        voc_kmeans km;
        voc_kmeans_opts ko = *o;
        ko.init = NULL;
        if ((rc = voc_kmeans_run(&sub, w, k, &ko, &km, err))) break;
        double s = voc_silhouette(sim, m, km.assign, k, w);
        if (scores) scores[k - k_min] = s;
        if (s > best + 1e-12) {
            best = s;
            bk = k;
            free(best_c);
            best_c = km.centroid;
            km.centroid = NULL;
        }
        voc_kmeans_clear(&km);
    }
    if (scores)
        for (size_t k = k_max + 1; k <= k_last; k++)
            scores[k - k_min] = NAN;
    free(sim);
    free(w);
    free(idx);
    voc_csr_clear(&sub);
    if (rc) {
        free(best_c);
        return rc;
    }
    *best_k = bk;
    if (init_out)
        *init_out = best_c;
    else
        free(best_c);
    return 0;
}

/* ---- evaluation ------------------------------------------------------------------ */

static int s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sizes of the classes of labels (any values): counts in *out, returns how
 * many classes; code[i] receives each item's dense class number. */
static size_t s_classes(const uint32_t *labels, size_t n, uint32_t *code, size_t **out)
{
    uint32_t *u = voc_malloc((n ? n : 1) * sizeof *u);
    memcpy(u, labels, n * sizeof *u);
    qsort(u, n, sizeof *u, voc_cmp_u32);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || u[i] != u[m - 1]) u[m++] = u[i];
    size_t *cnt = voc_calloc(m ? m : 1, sizeof *cnt);
    for (size_t i = 0; i < n; i++) {
        uint32_t *hit = bsearch(&labels[i], u, m, sizeof *u, voc_cmp_u32);
        code[i] = (uint32_t)(hit - u);
        cnt[code[i]]++;
    }
    free(u);
    *out = cnt;
    return m;
}

static double s_entropy(const size_t *cnt, size_t m, size_t n)
{
    double h = 0;
    for (size_t i = 0; i < m; i++)
        if (cnt[i]) {
            double p = (double)cnt[i] / (double)n;
            h -= p * log(p);
        }
    return h;
}

/* Pairs (a, b) of dense class codes, sorted: runs are contingency cells. */
static uint64_t *s_pairs(const uint32_t *ca, const uint32_t *cb, size_t n)
{
    uint64_t *pr = voc_malloc((n ? n : 1) * sizeof *pr);
    for (size_t i = 0; i < n; i++)
        pr[i] = (uint64_t)ca[i] << 32 | cb[i];
    qsort(pr, n, sizeof *pr, s_cmp_u64);
    return pr;
}

double voc_cluster_nmi(const uint32_t *a, const uint32_t *b, size_t n)
{
    if (n == 0) return 1.0;
    uint32_t *ca = voc_malloc(n * sizeof *ca), *cb = voc_malloc(n * sizeof *cb);
    size_t *na, *nb;
    size_t ma = s_classes(a, n, ca, &na), mb = s_classes(b, n, cb, &nb);
    double ha = s_entropy(na, ma, n), hb = s_entropy(nb, mb, n), mi = 0;
    uint64_t *pr = s_pairs(ca, cb, n);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && pr[j] == pr[i])
            j++;
        double nij = (double)(j - i);
        size_t x = (size_t)(pr[i] >> 32), y = (size_t)(pr[i] & 0xffffffffu);
        mi += nij / (double)n * log((double)n * nij / ((double)na[x] * (double)nb[y]));
        i = j;
    }
    free(pr);
    free(ca);
    free(cb);
    free(na);
    free(nb);
    if (ha + hb <= 0) return 1.0;
    double v = mi / ((ha + hb) / 2);
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

double voc_cluster_purity(const uint32_t *pred, const uint32_t *truth, size_t n)
{
    if (n == 0) return 1.0;
    uint32_t *ca = voc_malloc(n * sizeof *ca), *cb = voc_malloc(n * sizeof *cb);
    size_t *na, *nb;
    s_classes(pred, n, ca, &na);
    s_classes(truth, n, cb, &nb);
    uint64_t *pr = s_pairs(ca, cb, n);
    size_t hit = 0, best = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && pr[j] == pr[i])
            j++;
        if (j - i > best) best = j - i;
        /* End of a predicted cluster: count its majority. */
        if (j == n || pr[j] >> 32 != pr[i] >> 32) {
            hit += best;
            best = 0;
        }
        i = j;
    }
    free(pr);
    free(ca);
    free(cb);
    free(na);
    free(nb);
    return (double)hit / (double)n;
}
