/* cluster_svd.c: the reduced space of clustering (see cluster.h): the top
 * singular vectors of the TF-IDF rows (latent semantic analysis), and rows
 * projected onto them.
 *
 * Randomized range finding with power iterations (Halko, Martinsson and
 * Tropp, "Finding structure with randomness", 2011, algorithms 4.4 and
 * 5.1): Y = A G for a Gaussian G with a few more columns than wanted,
 * refined by Y = A (A^T Y) with re-orthonormalisation, so that Q = orth(Y)
 * spans the top singular directions; then the small matrix B = Q^T A gives
 * them exactly, through the eigenvectors of B B^T (cyclic Jacobi). Working
 * matrices are dense, row-major and in double; A stays sparse. */
#include "processor/cluster.h"
#include "processor/cluster_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Columns beyond the rank asked for: the range finder's safety margin. */
#define S_OVERSAMPLE 10
#define S_JACOBI_SWEEPS 60

/* Standard normal (Box-Muller). */
static double s_gauss(voc_rng *r)
{
    double u = voc_rng_unit(r), v = voc_rng_unit(r);
    if (u < 1e-300) u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

static double s_scale(const float *row_scale, size_t i)
{
    return row_scale ? row_scale[i] : 1.0;
}

/* out (rows x l) = A in (cols x l). */
static void s_mul(const voc_csr *x, const float *row_scale, const double *in, size_t l, double *out)
{
    memset(out, 0, x->rows * l * sizeof *out);
    for (size_t i = 0; i < x->rows; i++) {
        double *o = out + i * l, s = s_scale(row_scale, i);
        for (size_t p = x->row_ptr[i]; p < x->row_ptr[i + 1]; p++) {
            const double *r = in + (size_t)x->col[p] * l;
            double v = s * x->val[p];
            for (size_t j = 0; j < l; j++)
                o[j] += v * r[j];
        }
    }
}

/* out (cols x l) = A^T in (rows x l). */
static void s_mul_t(const voc_csr *x, const float *row_scale, const double *in, size_t l,
                    double *out)
{
    memset(out, 0, x->cols * l * sizeof *out);
    for (size_t i = 0; i < x->rows; i++) {
        const double *r = in + i * l;
        double s = s_scale(row_scale, i);
        for (size_t p = x->row_ptr[i]; p < x->row_ptr[i + 1]; p++) {
            double *o = out + (size_t)x->col[p] * l, v = s * x->val[p];
            for (size_t j = 0; j < l; j++)
                o[j] += v * r[j];
        }
    }
}

/* Orthonormal columns (modified Gram-Schmidt, twice for accuracy) of the
 * m x l row-major matrix a, in place; t is m x l scratch. The columns are
 * worked on transposed, so every dot product and update runs over
 * contiguous memory. A column that vanishes (rank lower than l) becomes
 * zero. */
static void s_orth(double *a, size_t m, size_t l, double *t)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < l; j++)
            t[j * m + i] = a[i * l + j];
    for (int pass = 0; pass < 2; pass++) {
        for (size_t j = 0; j < l; j++) {
            double *cj = t + j * m;
            for (size_t k = 0; k < j; k++) {
                const double *ck = t + k * m;
                double d = 0;
                for (size_t i = 0; i < m; i++)
                    d += cj[i] * ck[i];
                for (size_t i = 0; i < m; i++)
                    cj[i] -= d * ck[i];
            }
            double n = 0;
            for (size_t i = 0; i < m; i++)
                n += cj[i] * cj[i];
            n = sqrt(n);
            double inv = n > 1e-12 ? 1.0 / n : 0;
            for (size_t i = 0; i < m; i++)
                cj[i] *= inv;
        }
    }
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < l; j++)
            a[i * l + j] = t[j * m + i];
}

/* Eigen-decomposition of the symmetric l x l matrix g (destroyed) by
 * cyclic Jacobi rotations: eigenvalues in val, eigenvectors in the columns
 * of vec (row-major), sorted by eigenvalue, largest first. */
static void s_jacobi(double *g, size_t l, double *val, double *vec)
{
    for (size_t i = 0; i < l; i++)
        for (size_t j = 0; j < l; j++)
            vec[i * l + j] = i == j;
    for (int sweep = 0; sweep < S_JACOBI_SWEEPS; sweep++) {
        double off = 0, diag = 0;
        for (size_t i = 0; i < l; i++) {
            diag += g[i * l + i] * g[i * l + i];
            for (size_t j = i + 1; j < l; j++)
                off += g[i * l + j] * g[i * l + j];
        }
        if (off <= 1e-30 * (diag > 0 ? diag : 1)) break;
        for (size_t p = 0; p < l; p++) {
            for (size_t q = p + 1; q < l; q++) {
                double apq = g[p * l + q];
                if (fabs(apq) < 1e-300) continue;
                double theta = (g[q * l + q] - g[p * l + p]) / (2 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (size_t k = 0; k < l; k++) {
                    double gkp = g[k * l + p], gkq = g[k * l + q];
                    g[k * l + p] = c * gkp - s * gkq;
                    g[k * l + q] = s * gkp + c * gkq;
                }
                for (size_t k = 0; k < l; k++) {
                    double gpk = g[p * l + k], gqk = g[q * l + k];
                    g[p * l + k] = c * gpk - s * gqk;
                    g[q * l + k] = s * gpk + c * gqk;
                }
                for (size_t k = 0; k < l; k++) {
                    double vkp = vec[k * l + p], vkq = vec[k * l + q];
                    vec[k * l + p] = c * vkp - s * vkq;
                    vec[k * l + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    for (size_t i = 0; i < l; i++)
        val[i] = g[i * l + i];
    /* Selection sort of the (few) pairs, largest first. */
    for (size_t i = 0; i < l; i++) {
        size_t best = i;
        for (size_t j = i + 1; j < l; j++)
            if (val[j] > val[best]) best = j;
        if (best == i) continue;
        double t = val[i];
        val[i] = val[best];
        val[best] = t;
        for (size_t k = 0; k < l; k++) {
            t = vec[k * l + i];
            vec[k * l + i] = vec[k * l + best];
            vec[k * l + best] = t;
        }
    }
}

int voc_csr_svd(const voc_csr *x, const float *row_scale, size_t rank, unsigned power_iters,
                uint64_t seed, float *v, double *sigma, voc_err *err)
{
    size_t m = x->rows, n = x->cols;
    if (rank == 0 || rank > m || rank > n)
        return voc_err_set(err, VOC_EINVAL, "rank %zu of a %zu x %zu matrix: need 1..min", rank, m,
                           n);
    size_t l = rank + S_OVERSAMPLE;
    if (l > m) l = m;
    if (l > n) l = n;
    double *y = voc_malloc(m * l * sizeof *y), *w = voc_malloc(n * l * sizeof *w);
    double *g = voc_malloc(l * l * sizeof *g), *val = voc_malloc(l * sizeof *val);
    double *vec = voc_malloc(l * l * sizeof *vec);
    double *scratch = voc_malloc((m > n ? m : n) * l * sizeof *scratch);
    voc_rng rng;
    voc_rng_seed(&rng, seed ^ 0x5bd1e995a3c4f2e1ULL);
    for (size_t i = 0; i < n * l; i++)
        w[i] = s_gauss(&rng);
    s_mul(x, row_scale, w, l, y);
    for (unsigned it = 0; it < power_iters; it++) {
        s_orth(y, m, l, scratch);
        s_mul_t(x, row_scale, y, l, w);
        s_orth(w, n, l, scratch);
        s_mul(x, row_scale, w, l, y);
    }
    s_orth(y, m, l, scratch);
    /* B^T = A^T Q (n x l); B B^T = (B^T)^T B^T. */
    s_mul_t(x, row_scale, y, l, w);
    for (size_t a = 0; a < l; a++)
        for (size_t b = a; b < l; b++) {
            double d = 0;
            for (size_t t = 0; t < n; t++)
                d += w[t * l + a] * w[t * l + b];
            g[a * l + b] = g[b * l + a] = d;
        }
    s_jacobi(g, l, val, vec);
    /* Right singular vectors: V = B^T E / sigma. */
    for (size_t j = 0; j < rank; j++) {
        double s = val[j] > 0 ? sqrt(val[j]) : 0;
        sigma[j] = s;
        for (size_t t = 0; t < n; t++) {
            double d = 0;
            for (size_t a = 0; a < l; a++)
                d += w[t * l + a] * vec[a * l + j];
            v[t * rank + j] = s > 0 ? (float)(d / s) : 0.0f;
        }
    }
    free(y);
    free(w);
    free(g);
    free(val);
    free(vec);
    free(scratch);
    return 0;
}

bool voc_csr_project(const voc_csr *x, size_t i, const float *v, size_t rank, float *z)
{
    memset(z, 0, rank * sizeof *z);
    for (size_t p = x->row_ptr[i]; p < x->row_ptr[i + 1]; p++) {
        const float *r = v + (size_t)x->col[p] * rank;
        float a = x->val[p];
        for (size_t j = 0; j < rank; j++)
            z[j] += a * r[j];
    }
    double s = 0;
    for (size_t j = 0; j < rank; j++)
        s += (double)z[j] * z[j];
    if (s < 1e-20) return false;
    float inv = (float)(1.0 / sqrt(s));
    for (size_t j = 0; j < rank; j++)
        z[j] *= inv;
    return true;
}
