/* cluster_vmf.c: clustering in the reduced space (see cluster.h): a
 * mixture of von Mises-Fisher distributions on the unit sphere, grown by
 * bisection.
 *
 * A vMF component is a mean direction and a concentration kappa, so unlike
 * spherical k-means a broad theme (low kappa) and a tight one (high kappa)
 * can sit side by side, and mixing weights let one theme hold half of the
 * items (Banerjee, Dhillon, Ghosh and Sra, "Clustering on the unit
 * hypersphere using von Mises-Fisher distributions", JMLR 2005). The
 * mixture is built top-down: every leaf's best two-way split (soft EM from
 * a spherical 2-means seeding, best of a few seedings) is scored by its
 * gain in log-likelihood, and the leaf with the largest gain splits next.
 * With a fixed k that continues until k leaves; with k auto a split must
 * also pay for its parameters (BIC) and leave each part at least a given
 * share of the items, so a leaf whose strongest structure is a small tight
 * group stays whole: the top level of themes comes out, not the fine
 * grain below it. Points carry weights (near-duplicate groups). */
#include "processor/cluster.h"
#include "processor/cluster_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A mean resultant length of 1 (identical points) means an infinite
 * concentration; capped, so a tight group scores high but finite. */
#define S_RBAR_MAX 0.99
#define S_KMEANS_ITERS 20
#define S_EM_ITERS 60
#define S_EM_TOL 1e-7

/* ---- the density ------------------------------------------------------------ */

/* ln I_nu(x) by its power series (exact up to rounding; for small nu),
 * summed in the log domain: terms rise to a peak near m = x / 2, then fall
 * fast. */
static double s_log_bessel_series(double nu, double x)
{
    double lx2 = log(x / 2), best = -INFINITY, sum = 0;
    for (int m = 0; m < 1000; m++) {
        double v = (2.0 * m + nu) * lx2 - lgamma(m + 1.0) - lgamma(m + nu + 1);
        if (v > best) {
            sum = sum * exp(best - v) + 1;
            best = v;
        } else {
            sum += exp(v - best);
        }
        if (m > x && v < best - 40) break;
    }
    return best + log(sum);
}

double voc_log_bessel_i(double nu, double x)
{
    if (x <= 0) return nu == 0 ? 0 : -INFINITY;
    if (nu < 10 && x <= 50) return s_log_bessel_series(nu, x);
    if (nu < 2) {
        /* Large argument: e^x / sqrt(2 pi x) (1 - (mu-1)/8x + (mu-1)(mu-9)/2(8x)^2). */
        double mu = 4 * nu * nu, e = 8 * x;
        return x - 0.5 * log(2 * M_PI * x) +
               log(1 - (mu - 1) / e + (mu - 1) * (mu - 9) / (2 * e * e));
    }
    /* Uniform asymptotic expansion in nu (Abramowitz and Stegun 9.7.7), two
     * correction terms: the error of the logarithm is under 2e-5 from
     * nu = 10 on, and for nu >= 2 once x > 50. */
    double z = x / nu, s = sqrt(1 + z * z), tt = 1 / s;
    double eta = s + log(z / (1 + s));
    double t2 = tt * tt;
    double u1 = tt * (3 - 5 * t2) / 24;
    double u2 = t2 * (81 - 462 * t2 + 385 * t2 * t2) / 1152;
    return nu * eta - 0.5 * log(2 * M_PI * nu) - 0.5 * log(s) + log(1 + u1 / nu + u2 / (nu * nu));
}

double voc_vmf_log_norm(size_t dims, double kappa)
{
    double d = (double)dims, nu = d / 2 - 1;
    if (kappa < 1e-8) kappa = 1e-8;
    return nu * log(kappa) - d / 2 * log(2 * M_PI) - voc_log_bessel_i(nu, kappa);
}

double voc_vmf_kappa(double rbar, size_t dims)
{
    double d = (double)dims;
    if (rbar < 1e-9) rbar = 1e-9;
    if (rbar > S_RBAR_MAX) rbar = S_RBAR_MAX;
    return rbar * (d - rbar * rbar) / (1 - rbar * rbar);
}

/* ---- fitting ------------------------------------------------------------------ */

static double s_dot(const float *a, const float *b, size_t d)
{
    double s = 0;
    for (size_t j = 0; j < d; j++)
        s += (double)a[j] * b[j];
    return s;
}

/* One weighted component from its sum of weighted points: mean direction
 * into mean, returns kappa; *ll receives the component's log-likelihood of
 * those points, W ln C(kappa) + kappa |sum|. */
static double s_fit(const double *sum, double w, size_t d, float *mean, double *ll)
{
    double norm = 0;
    for (size_t j = 0; j < d; j++)
        norm += sum[j] * sum[j];
    norm = sqrt(norm);
    for (size_t j = 0; j < d; j++)
        mean[j] = norm > 0 ? (float)(sum[j] / norm) : 0.0f;
    double kappa = voc_vmf_kappa(w > 0 ? norm / w : 0, d);
    if (ll) *ll = w * voc_vmf_log_norm(d, kappa) + kappa * norm;
    return kappa;
}

static float s_w(const float *weight, size_t i)
{
    return weight ? weight[i] : 1.0f;
}

/* Draw index q of idx[0..m) with probability p[q] / total; -1 when none. */
static long s_draw(voc_rng *r, const double *p, size_t m, double total)
{
    if (!(total > 0)) return -1;
    double u = voc_rng_unit(r) * total, acc = 0;
    long last = -1;
    for (size_t q = 0; q < m; q++) {
        if (p[q] <= 0) continue;
        acc += p[q];
        last = (long)q;
        if (u < acc) return (long)q;
    }
    return last;
}

/* Scratch for one leaf's split. */
typedef struct s_split {
    size_t d;
    bool kmeans;  /* the spherical 2-means parts, no mixture EM */
    double *sum;  /* 2 x d */
    float *mean;  /* 2 x d */
    double *resp; /* m: responsibility of component 1 */
    double *p;    /* m */
    uint8_t *side, *best_side;
} s_split;

/* The best two-component mixture of the points idx[0..m): sides (0 or 1)
 * into sp->best_side; returns its log-likelihood, or -INFINITY when no
 * seeding made two components. */
static double s_split2(const float *z, const float *weight, const uint32_t *idx, size_t m,
                       unsigned restarts, voc_rng *rng, s_split *sp)
{
    size_t d = sp->d;
    double best_ll = -INFINITY;
    float *mu0 = sp->mean, *mu1 = sp->mean + d;
    for (unsigned run = 0; run < restarts; run++) {
        /* Seeding: spherical 2-means from a k-means++ pair. */
        double total = 0;
        for (size_t q = 0; q < m; q++)
            total += sp->p[q] = s_w(weight, idx[q]);
        long a = s_draw(rng, sp->p, m, total);
        if (a < 0) break;
        const float *za = z + (size_t)idx[a] * d;
        total = 0;
        for (size_t q = 0; q < m; q++) {
            double c = 1 - s_dot(z + (size_t)idx[q] * d, za, d);
            total += sp->p[q] = s_w(weight, idx[q]) * (c > 0 ? c : 0);
        }
        long b = s_draw(rng, sp->p, m, total);
        if (b < 0) continue;
        memcpy(mu0, za, d * sizeof *mu0);
        memcpy(mu1, z + (size_t)idx[b] * d, d * sizeof *mu1);
        bool ok = true;
        double w0 = 0, w1 = 0;
        for (int it = 0; it < S_KMEANS_ITERS; it++) {
            size_t moved = 0;
            w0 = w1 = 0;
            memset(sp->sum, 0, 2 * d * sizeof *sp->sum);
            for (size_t q = 0; q < m; q++) {
                const float *x = z + (size_t)idx[q] * d;
                uint8_t s = s_dot(x, mu1, d) > s_dot(x, mu0, d);
                if (it == 0 || s != sp->side[q]) moved++;
                sp->side[q] = s;
                double w = s_w(weight, idx[q]);
                if (s)
                    w1 += w;
                else
                    w0 += w;
                for (size_t j = 0; j < d; j++)
                    sp->sum[s * d + j] += w * x[j];
            }
            if (w0 <= 0 || w1 <= 0) {
                ok = false;
                break;
            }
            s_fit(sp->sum, w0, d, mu0, NULL);
            s_fit(sp->sum + d, w1, d, mu1, NULL);
            if (!moved) break;
        }
        if (!ok) continue;
        double ll = -INFINITY, prev = -INFINITY;
        if (sp->kmeans) {
            /* The two parts as they are: their classification likelihood. */
            double l0, l1;
            s_fit(sp->sum, w0, d, mu0, &l0);
            s_fit(sp->sum + d, w1, d, mu1, &l1);
            ll = l0 + l1 + w0 * log(w0 / (w0 + w1)) + w1 * log(w1 / (w0 + w1));
            if (ll > best_ll) {
                best_ll = ll;
                memcpy(sp->best_side, sp->side, m);
            }
            continue;
        }
        for (size_t q = 0; q < m; q++)
            sp->resp[q] = sp->side[q];
        /* Soft EM of the two-component mixture. */
        for (int it = 0; it < S_EM_ITERS; it++) {
            w0 = w1 = 0;
            memset(sp->sum, 0, 2 * d * sizeof *sp->sum);
            for (size_t q = 0; q < m; q++) {
                const float *x = z + (size_t)idx[q] * d;
                double w = s_w(weight, idx[q]), r1 = sp->resp[q];
                w1 += w * r1;
                w0 += w * (1 - r1);
                for (size_t j = 0; j < d; j++) {
                    sp->sum[j] += w * (1 - r1) * x[j];
                    sp->sum[d + j] += w * r1 * x[j];
                }
            }
            if (w0 < 1e-9 || w1 < 1e-9) {
                ok = false;
                break;
            }
            double k0 = s_fit(sp->sum, w0, d, mu0, NULL), k1 = s_fit(sp->sum + d, w1, d, mu1, NULL);
            double c0 = log(w0 / (w0 + w1)) + voc_vmf_log_norm(d, k0);
            double c1 = log(w1 / (w0 + w1)) + voc_vmf_log_norm(d, k1);
            ll = 0;
            for (size_t q = 0; q < m; q++) {
                const float *x = z + (size_t)idx[q] * d;
                double l0 = c0 + k0 * s_dot(x, mu0, d), l1 = c1 + k1 * s_dot(x, mu1, d);
                double hi = l0 > l1 ? l0 : l1;
                double lse = hi + log(exp(l0 - hi) + exp(l1 - hi));
                sp->resp[q] = exp(l1 - lse);
                sp->side[q] = l1 > l0;
                ll += s_w(weight, idx[q]) * lse;
            }
            if (fabs(ll - prev) <= S_EM_TOL * fabs(ll)) break;
            prev = ll;
        }
        if (!ok) continue;
        if (ll > best_ll) {
            best_ll = ll;
            memcpy(sp->best_side, sp->side, m);
        }
    }
    return best_ll;
}

void voc_vmf_mix_clear(voc_vmf_mix *m)
{
    if (!m) return;
    free(m->mean);
    free(m->kappa);
    free(m->log_prior);
    free(m->gain);
    free(m->assign);
    memset(m, 0, sizeof *m);
}

uint32_t voc_vmf_mix_best(const voc_vmf_mix *m, const float *z)
{
    uint32_t best = 0;
    double bs = -INFINITY;
    for (size_t j = 0; j < m->k; j++) {
        double c = s_dot(z, m->mean + j * m->dims, m->dims);
        double s = m->by_cosine ? c : m->log_prior[j] + m->kappa[j] * c;
        if (s > bs) {
            bs = s;
            best = (uint32_t)j;
        }
    }
    return best;
}

enum { S_UNKNOWN, S_CANDIDATE, S_FINAL };

int voc_vmf_bisect(const float *z, size_t n, size_t dims, const float *weight,
                   const voc_vmf_opts *o, voc_vmf_mix *out, voc_err *err)
{
    memset(out, 0, sizeof *out);
    if (n == 0 || dims == 0) return voc_err_set(err, VOC_EINVAL, "nothing to cluster");
    size_t target = o->k ? o->k : o->k_max ? o->k_max : 1;
    if (target > n) target = n;
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += s_w(weight, i);
    double min_child = o->min_weight;
    if (!o->k && o->min_share * total > min_child) min_child = o->min_share * total;
    uint32_t *leaf = voc_calloc(n, sizeof *leaf), *idx = voc_malloc(n * sizeof *idx);
    uint8_t *side = voc_calloc(n, 1);
    uint8_t *status = voc_calloc(target, 1);
    double *gain = voc_calloc(target, sizeof *gain), *rank = voc_calloc(target, sizeof *rank);
    out->gain = voc_calloc(target, sizeof *out->gain);
    s_split sp = {.d = dims,
                  .kmeans = o->kmeans_splits,
                  .sum = voc_malloc(2 * dims * sizeof *sp.sum),
                  .mean = voc_malloc(2 * dims * sizeof *sp.mean),
                  .resp = voc_malloc(n * sizeof *sp.resp),
                  .p = voc_malloc(n * sizeof *sp.p),
                  .side = voc_malloc(n),
                  .best_side = voc_malloc(n)};
    voc_rng rng;
    voc_rng_seed(&rng, o->seed * 0x9e3779b97f4a7c15ULL + 0x6a09e667f3bcc909ULL);
    size_t leaves = 1;
    unsigned restarts = o->restarts ? o->restarts : 1;
    while (leaves < target) {
        for (size_t c = 0; c < leaves; c++) {
            if (status[c] != S_UNKNOWN) continue;
            size_t m = 0;
            double w = 0, sw[2] = {0, 0};
            for (size_t i = 0; i < n; i++)
                if (leaf[i] == c) {
                    idx[m++] = (uint32_t)i;
                    w += s_w(weight, i);
                }
            status[c] = S_FINAL;
            if (m < 4 || w < 2 * min_child) continue;
            double ll2 = s_split2(z, weight, idx, m, restarts, &rng, &sp);
            if (ll2 == -INFINITY) continue;
            /* The leaf as one component. */
            memset(sp.sum, 0, dims * sizeof *sp.sum);
            size_t count[2] = {0, 0};
            for (size_t q = 0; q < m; q++) {
                const float *x = z + (size_t)idx[q] * dims;
                for (size_t j = 0; j < dims; j++)
                    sp.sum[j] += s_w(weight, idx[q]) * x[j];
                side[idx[q]] = sp.best_side[q];
                sw[sp.best_side[q]] += s_w(weight, idx[q]);
                count[sp.best_side[q]]++;
            }
            double ll1;
            s_fit(sp.sum, w, dims, sp.mean, &ll1);
            gain[c] = ll2 - ll1;
            /* Mixture splits: the most separating first, discounted when it
             * only peels a small group off. 2-means: the heaviest leaf. */
            rank[c] = o->kmeans_splits ? w : gain[c] * (sw[0] < sw[1] ? sw[0] : sw[1]) / w;
            /* Each part must hold two points and min_child; with k auto
             * the gain must also pay for the parameters a component adds
             * (a mean direction, a concentration, a weight: BIC). */
            double need = o->kmeans_splits ? -INFINITY
                          : o->k           ? 0
                                           : 0.5 * (double)(dims + 1) * log(w);
            if (count[0] >= 2 && count[1] >= 2 && sw[0] >= min_child && sw[1] >= min_child &&
                gain[c] > need)
                status[c] = S_CANDIDATE;
        }
        size_t best = SIZE_MAX;
        for (size_t c = 0; c < leaves; c++)
            if (status[c] == S_CANDIDATE && (best == SIZE_MAX || rank[c] > rank[best])) best = c;
        if (best == SIZE_MAX) break;
        for (size_t i = 0; i < n; i++)
            if (leaf[i] == best && side[i]) leaf[i] = (uint32_t)leaves;
        out->gain[leaves - 1] = gain[best];
        status[best] = status[leaves] = S_UNKNOWN;
        leaves++;
    }
    /* The mixture of the leaves; every point goes to its most likely one. */
    out->k = leaves;
    out->dims = dims;
    out->by_cosine = o->kmeans_splits;
    out->mean = voc_calloc(leaves * dims, sizeof *out->mean);
    out->kappa = voc_calloc(leaves, sizeof *out->kappa);
    out->log_prior = voc_calloc(leaves, sizeof *out->log_prior);
    out->assign = voc_malloc(n * sizeof *out->assign);
    double *sum = voc_calloc(leaves * dims, sizeof *sum), *lw = voc_calloc(leaves, sizeof *lw);
    for (size_t i = 0; i < n; i++) {
        double w = s_w(weight, i);
        lw[leaf[i]] += w;
        for (size_t j = 0; j < dims; j++)
            sum[leaf[i] * dims + j] += w * z[i * dims + j];
    }
    for (size_t c = 0; c < leaves; c++) {
        out->kappa[c] = s_fit(sum + c * dims, lw[c], dims, out->mean + c * dims, NULL);
        out->log_prior[c] = log(lw[c] / total) + voc_vmf_log_norm(dims, out->kappa[c]);
    }
    for (size_t i = 0; i < n; i++)
        out->assign[i] = voc_vmf_mix_best(out, z + i * dims);
    free(sum);
    free(lw);
    free(leaf);
    free(idx);
    free(side);
    free(status);
    free(gain);
    free(rank);
    free(sp.sum);
    free(sp.mean);
    free(sp.resp);
    free(sp.p);
    free(sp.side);
    free(sp.best_side);
    return 0;
}
