/* cluster.c: the sparse part of the numeric core of clustering (see
 * cluster.h): TF-IDF, SimHash and near-duplicate grouping, row subsets, and
 * NMI / purity. The reduced space is in cluster_svd.c, the mixture in
 * cluster_vmf.c.
 *
 * Rows are unit-length sparse vectors with non-negative weights, so cosine
 * similarity is a dot product and lies in [0, 1]. */
#include "processor/cluster.h"
#include "processor/cluster_int.h"

#include "common/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
