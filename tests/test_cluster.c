/* test_cluster.c: clustering, from the numbers up. Unit tests of the
 * numeric core and the corpus layer against processor/cluster.h (TF-IDF
 * weights computed by hand, SimHash, the SVD against known singular values,
 * the von Mises-Fisher pieces against closed forms, the bisecting mixture on
 * toy groups, NMI and purity),
 * then `voc clusters` and `voc dupes` as real commands on stores filled by
 * the real processor: the emerging-theme drill (a complaint no rule covers
 * must come out first, and its suggested rule must tag it and little else),
 * stable cluster ids across runs, and near-identical feedback. */
#include "processor/cluster.h"
#include "processor/tokenize.h"
#include "tests/support/proc.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers ---------------------------------------------------------------------- */

/* A corpus from texts (all in scope unless in_scope says otherwise). */
static voc_corpus *s_corpus(const char *const *texts, size_t n, const bool *in_scope,
                            const voc_corpus_opts *o)
{
    voc_tokenizer *tok = NULL;
    voc_corpus *c = NULL;
    cr_assert_eq(voc_tokenizer_new(&tok, NULL, NULL), 0);
    cr_assert_eq(voc_corpus_new(&c, o, NULL), 0);
    voc_buf arena = {0};
    for (size_t i = 0; i < n; i++) {
        voc_token *t = NULL;
        size_t nt = 0;
        voc_buf_reset(&arena);
        cr_assert_eq(voc_tokenize_text(tok, texts[i], strlen(texts[i]), &t, &nt, &arena, NULL), 0);
        voc_corpus_add(c, texts[i], t, nt, arena.data, in_scope ? in_scope[i] : true);
        free(t);
    }
    voc_buf_free(&arena);
    voc_tokenizer_destroy(&tok);
    cr_assert_eq(voc_corpus_finish(c, NULL), 0);
    return c;
}

/* The weight of term in row r of m, 0 when absent. */
static float s_weight(const voc_corpus *c, size_t r, const char *term)
{
    const voc_csr *m = voc_corpus_matrix(c);
    long j = voc_corpus_term_index(c, term);
    if (j < 0) return 0;
    for (size_t p = m->row_ptr[r]; p < m->row_ptr[r + 1]; p++)
        if (m->col[p] == (uint32_t)j) return m->val[p];
    return 0;
}

/* A tiny deterministic generator for test texts. */
static uint64_t s_state;
static size_t s_pick(size_t n)
{
    s_state = s_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (size_t)((s_state >> 33) % n);
}
#define S_N(a) (sizeof(a) / sizeof((a)[0]))
#define S_ONE(a) (a)[s_pick(S_N(a))]

/* ---- numeric core ------------------------------------------------------------------ */

Test(cluster_numeric, tfidf_matches_hand_computed_weights)
{
    /* Three documents over terms a, b, c: counts {a:2, b:1}, {a:1, c:1}, {c:3}. */
    size_t ptr[] = {0, 2, 4, 5};
    uint32_t col[] = {0, 1, 0, 2, 2};
    float val[] = {2, 1, 1, 1, 3};
    uint32_t df[] = {2, 1, 2};
    voc_csr m = {.rows = 3, .cols = 3, .row_ptr = ptr, .col = col, .val = val};
    voc_tfidf_apply(&m, df, 3, true);
    /* tf = 1 + ln(count), idf = ln((1 + n) / (1 + df)) + 1, then unit rows
     * (the same as scikit-learn's TfidfVectorizer(sublinear_tf=True)). */
    cr_assert_float_eq(val[0], 0.7898069f, 1e-6);
    cr_assert_float_eq(val[1], 0.6133555f, 1e-6);
    cr_assert_float_eq(val[2], 0.7071068f, 1e-6);
    cr_assert_float_eq(val[3], 0.7071068f, 1e-6);
    cr_assert_float_eq(val[4], 1.0f, 1e-6);
    /* An empty row stays empty; raw tf without sublinear scaling. */
    size_t ptr2[] = {0, 0, 1};
    uint32_t col2[] = {0};
    float val2[] = {4};
    uint32_t df2[] = {1};
    voc_csr e = {.rows = 2, .cols = 1, .row_ptr = ptr2, .col = col2, .val = val2};
    voc_tfidf_apply(&e, df2, 2, false);
    cr_assert_float_eq(val2[0], 1.0f, 1e-6);
}

Test(cluster_numeric, simhash_is_close_for_near_duplicates_only)
{
    uint64_t hash[64];
    for (size_t i = 0; i < 64; i++) {
        uint64_t x = i * 0x9e3779b97f4a7c15ULL + 1;
        x ^= x >> 31;
        x *= 0xbf58476d1ce4e5b9ULL;
        hash[i] = x ^ (x >> 29);
    }
    /* 40 terms of equal weight; b changes one light term; c is unrelated. */
    uint32_t ca[40], cc[20];
    float va[40], vb[40], vc[20];
    for (size_t i = 0; i < 40; i++) {
        ca[i] = (uint32_t)i;
        va[i] = vb[i] = 1.0f;
    }
    vb[39] = 0.05f;
    for (size_t i = 0; i < 20; i++) {
        cc[i] = (uint32_t)(40 + i % 24);
        vc[i] = 1.0f;
    }
    uint64_t a = voc_simhash(ca, va, 40, hash), b = voc_simhash(ca, vb, 40, hash);
    uint64_t c = voc_simhash(cc, vc, 20, hash);
    cr_assert_eq(a, voc_simhash(ca, va, 40, hash), "deterministic");
    cr_assert_leq(__builtin_popcountll(a ^ b), 3);
    cr_assert_gt(__builtin_popcountll(a ^ c), 12);

    /* Grouping by leader: 0, 2 and 3 are one group (2 and 3 are within 3
     * bits of 0), 1 is alone, 4 is skipped. */
    uint64_t fp[] = {0xF0F0F0F0F0F0F0F0ULL, 0x0F0F0F0F0F0F0F0FULL, 0xF0F0F0F0F0F0F0F1ULL,
                     0xF0F0F0F0F0F0F0F7ULL, 0xF0F0F0F0F0F0F0F0ULL};
    bool skip[] = {false, false, false, false, true};
    uint32_t leader[5];
    size_t groups = voc_near_dupes(fp, 5, 3, NULL, 0, skip, leader);
    cr_assert_eq(groups, 3);
    cr_assert_eq(leader[0], 0);
    cr_assert_eq(leader[1], 1);
    cr_assert_eq(leader[2], 0);
    cr_assert_eq(leader[3], 0);
    cr_assert_eq(leader[4], 4);
}

Test(cluster_numeric, svd_finds_known_singular_values_and_vectors)
{
    /* A = sum_j sigma_j u_j v_j^T with sigma = 4, 2, 1, 0.5, orthonormal
     * u_j (6 rows; rows 4 and 5 carry the last two) and v_j the rows of
     * the 4 x 4 Hadamard matrix / 2. */
    const double sig[4] = {4, 2, 1, 0.5}, r2 = sqrt(0.5);
    const double u[4][6] = {{r2, r2, 0, 0, 0, 0},
                            {r2, -r2, 0, 0, 0, 0},
                            {0, 0, 0.5, 0.5, 0.5, 0.5},
                            {0, 0, 0.5, -0.5, 0.5, -0.5}};
    const double h[4][4] = {{0.5, 0.5, 0.5, 0.5},
                            {0.5, -0.5, 0.5, -0.5},
                            {0.5, 0.5, -0.5, -0.5},
                            {0.5, -0.5, -0.5, 0.5}};
    size_t ptr[7];
    uint32_t col[24];
    float val[24];
    for (size_t i = 0; i < 6; i++) {
        ptr[i] = i * 4;
        for (size_t t = 0; t < 4; t++) {
            double a = 0;
            for (size_t j = 0; j < 4; j++)
                a += sig[j] * u[j][i] * h[j][t];
            col[i * 4 + t] = (uint32_t)t;
            val[i * 4 + t] = (float)a;
        }
    }
    ptr[6] = 24;
    voc_csr m = {.rows = 6, .cols = 4, .row_ptr = ptr, .col = col, .val = val};
    float v[16];
    double sigma[4];
    cr_assert_eq(voc_csr_svd(&m, NULL, 4, 2, 3, v, sigma, NULL), 0);
    for (size_t j = 0; j < 4; j++) {
        cr_assert_float_eq(sigma[j], sig[j], 1e-5, "sigma %zu: %f", j, sigma[j]);
        double d = 0;
        for (size_t t = 0; t < 4; t++)
            d += v[t * 4 + j] * h[j][t];
        cr_assert_float_eq(fabs(d), 1.0, 1e-5, "direction %zu", j);
    }
    /* The top two only (a range finder with fewer columns than the
     * matrix), and rows scaled by 2 scale the singular values. */
    float v2[8];
    float scale[6] = {2, 2, 2, 2, 2, 2};
    cr_assert_eq(voc_csr_svd(&m, scale, 2, 2, 9, v2, sigma, NULL), 0);
    cr_assert_float_eq(sigma[0], 8.0, 1e-4);
    cr_assert_float_eq(sigma[1], 4.0, 1e-4);
    /* Row 0 in the reduced space: (4, 2) / sqrt(20) up to the directions'
     * signs. */
    float z[2];
    cr_assert(voc_csr_project(&m, 0, v2, 2, z));
    cr_assert_float_eq(fabsf(z[0]), 4 / sqrtf(20), 1e-5);
    cr_assert_float_eq(fabsf(z[1]), 2 / sqrtf(20), 1e-5);
    cr_assert_eq(voc_csr_svd(&m, NULL, 5, 2, 1, v, sigma, NULL), VOC_EINVAL);
    cr_assert_eq(voc_csr_svd(&m, NULL, 0, 2, 1, v, sigma, NULL), VOC_EINVAL);
}

/* ln I_nu(x) by its power series, in long double. */
static double s_log_bessel_ref(double nu, double x)
{
    long double s = 0;
    for (int k = 0; k < 4000; k++) {
        long double t = expl((2 * k + nu) * logl(x / 2) - lgammal(k + 1) - lgammal(k + nu + 1));
        s += t;
        if (k > x && t < s * 1e-30L) break;
    }
    return (double)logl(s);
}

Test(cluster_numeric, vmf_density_pieces_match_closed_forms)
{
    /* Half-integer orders have closed forms. */
    double xs[] = {0.3, 4, 40, 120};
    for (size_t i = 0; i < 4; i++) {
        double x = xs[i], c = 0.5 * log(2 / (M_PI * x));
        double half = c + log(sinh(x)), three_halves = c + log(cosh(x) - sinh(x) / x);
        cr_assert_float_eq(voc_log_bessel_i(0.5, x), half, 1e-6, "x = %f", x);
        cr_assert_float_eq(voc_log_bessel_i(1.5, x), three_halves, 1e-6, "x = %f", x);
    }
    /* Order 49 (100 dimensions): the asymptotic expansion. */
    double big[] = {1, 10, 100, 1000};
    for (size_t i = 0; i < 4; i++)
        cr_assert_float_eq(voc_log_bessel_i(49, big[i]), s_log_bessel_ref(49, big[i]), 1e-6,
                           "x = %f", big[i]);
    /* On the sphere in 3 dimensions C(kappa) = kappa / (4 pi sinh kappa). */
    cr_assert_float_eq(voc_vmf_log_norm(3, 2.0), log(2.0 / (4 * M_PI * sinh(2.0))), 1e-6);
    /* Concentration from the mean length: r (d - r^2) / (1 - r^2), capped. */
    cr_assert_float_eq(voc_vmf_kappa(0.5, 3), 0.5 * 2.75 / 0.75, 1e-12);
    cr_assert_gt(voc_vmf_kappa(0.9, 100), voc_vmf_kappa(0.5, 100));
    cr_assert_float_eq(voc_vmf_kappa(1.0, 100), voc_vmf_kappa(0.99, 100), 1e-9);
}

/* n unit vectors in 6 dimensions around e_g for group g = i % groups,
 * with noise of the given size on the other axes. */
static void s_blobs(float *z, uint32_t *truth, size_t n, size_t groups, float noise)
{
    for (size_t i = 0; i < n; i++) {
        float *x = z + i * 6, s = 0;
        truth[i] = (uint32_t)(i % groups);
        for (size_t j = 0; j < 6; j++)
            x[j] = noise * ((float)s_pick(1000) / 500.0f - 1.0f);
        x[truth[i]] = 1.0f;
        for (size_t j = 0; j < 6; j++)
            s += x[j] * x[j];
        for (size_t j = 0; j < 6; j++)
            x[j] /= sqrtf(s);
    }
}

Test(cluster_numeric, bisecting_mixture_finds_its_own_k_deterministically)
{
    s_state = 11;
    float z[90 * 6];
    uint32_t truth[90];
    s_blobs(z, truth, 90, 3, 0.3f);
    voc_vmf_opts o = {
        .seed = 7, .k = 0, .k_max = 10, .min_share = 0.05, .min_weight = 2, .restarts = 3};
    voc_vmf_mix a, b;
    cr_assert_eq(voc_vmf_bisect(z, 90, 6, NULL, &o, &a, NULL), 0);
    cr_assert_eq(a.k, 3, "%zu components", a.k);
    cr_assert_float_eq(voc_cluster_nmi(a.assign, truth, 90), 1.0, 1e-9);
    cr_assert_gt(a.gain[0], 0);
    cr_assert_gt(a.gain[1], 0);
    cr_assert_eq(voc_vmf_bisect(z, 90, 6, NULL, &o, &b, NULL), 0);
    cr_assert_arr_eq(a.assign, b.assign, 90 * sizeof *a.assign, "same seed, same clusters");
    /* A point on an axis belongs to its group's component. */
    float e1[6] = {0, 1, 0, 0, 0, 0};
    cr_assert_eq(voc_vmf_mix_best(&a, e1), a.assign[1]);
    voc_vmf_mix_clear(&b);
    /* A fixed k, and a share no split can leave on both sides. */
    o.k = 2;
    cr_assert_eq(voc_vmf_bisect(z, 90, 6, NULL, &o, &b, NULL), 0);
    cr_assert_eq(b.k, 2);
    voc_vmf_mix_clear(&b);
    o.k = 0;
    o.min_share = 0.4;
    cr_assert_eq(voc_vmf_bisect(z, 90, 6, NULL, &o, &b, NULL), 0);
    cr_assert_eq(b.k, 1);
    voc_vmf_mix_clear(&b);
    /* One group alone: nothing worth its parameters to split. */
    float one[60 * 6];
    uint32_t t1[60];
    s_blobs(one, t1, 60, 1, 0.3f);
    o.min_share = 0.05;
    cr_assert_eq(voc_vmf_bisect(one, 60, 6, NULL, &o, &b, NULL), 0);
    cr_assert_eq(b.k, 1, "%zu components", b.k);
    voc_vmf_mix_clear(&b);
    /* Weights: one heavy point is as many points. */
    float w[90];
    for (size_t i = 0; i < 90; i++)
        w[i] = 1;
    w[0] = 30;
    cr_assert_eq(voc_vmf_bisect(z, 90, 6, w, &o, &b, NULL), 0);
    cr_assert_eq(b.k, 3);
    voc_vmf_mix_clear(&a);
    voc_vmf_mix_clear(&b);
    cr_assert_eq(voc_vmf_bisect(z, 0, 6, NULL, &o, &b, NULL), VOC_EINVAL);
}

Test(cluster_numeric, nmi_and_purity_known_values)
{
    uint32_t t[] = {0, 0, 0, 1, 1, 1}, p[] = {0, 0, 1, 1, 2, 2}, q[] = {5, 5, 5, 9, 9, 9};
    cr_assert_float_eq(voc_cluster_nmi(t, p, 6), 0.5158037429793888, 1e-12);
    cr_assert_float_eq(voc_cluster_nmi(t, q, 6), 1.0, 1e-12, "labels are names only");
    cr_assert_float_eq(voc_cluster_purity(p, t, 6), 5.0 / 6.0, 1e-12);
    cr_assert_float_eq(voc_cluster_purity(q, t, 6), 1.0, 1e-12);
    uint32_t one[] = {0, 0, 0, 0}, ind[] = {0, 1, 0, 1};
    cr_assert_float_eq(voc_cluster_nmi(one, ind, 4), 0.0, 1e-12);
}

/* ---- corpus ------------------------------------------------------------------------ */

Test(cluster_corpus, drops_redaction_marks_numbers_and_fillers)
{
    const char *texts[] = {
        "On XX/XX/XXXX I paid {$00.00} to XXXX and they told me 3 times",
        "The CSV exports garbled my characters. Exported CSV files again!",
        "csv export garbled",
    };
    voc_corpus_opts o = voc_corpus_opts_default();
    o.min_df = 1;
    o.max_df = 1;
    voc_corpus *c = s_corpus(texts, 3, NULL, &o);
    cr_assert_lt(voc_corpus_term_index(c, "xxxx"), 0);
    cr_assert_lt(voc_corpus_term_index(c, "xx"), 0);
    cr_assert_lt(voc_corpus_term_index(c, "00"), 0);
    cr_assert_lt(voc_corpus_term_index(c, "told"), 0, "a narrative filler");
    cr_assert_geq(voc_corpus_term_index(c, "paid"), 0);
    /* Bigrams skip stop words ("garbled my characters") but not a clause
     * break ("characters. Exported"). */
    cr_assert_geq(voc_corpus_term_index(c, "garbl charact"), 0);
    cr_assert_lt(voc_corpus_term_index(c, "charact export"), 0);
    cr_assert_geq(voc_corpus_term_index(c, "csv export"), 0);
    /* Surface forms are the words customers used most. */
    long j = voc_corpus_term_index(c, "csv export");
    cr_assert_str_eq(voc_corpus_surface(c, (size_t)j), "csv exports");
    cr_assert_str_eq(voc_corpus_surface(c, (size_t)voc_corpus_term_index(c, "garbl")), "garbled");
    /* Rows are unit length TF-IDF; the repeated word weighs more. */
    cr_assert_gt(s_weight(c, 1, "csv"), s_weight(c, 1, "garbl"));
    /* Projecting a new text gives the same row as adding it would. */
    voc_tokenizer *tok;
    cr_assert_eq(voc_tokenizer_new(&tok, NULL, NULL), 0);
    voc_token *t = NULL;
    size_t nt;
    voc_buf arena = {0};
    cr_assert_eq(voc_tokenize_text(tok, texts[2], strlen(texts[2]), &t, &nt, &arena, NULL), 0);
    uint32_t col[64];
    float val[64];
    size_t n;
    voc_corpus_project(c, texts[2], t, nt, arena.data, col, val, &n);
    const voc_csr *m = voc_corpus_matrix(c);
    cr_assert_eq(n, m->row_ptr[3] - m->row_ptr[2]);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(col[i], m->col[m->row_ptr[2] + i]);
        cr_assert_float_eq(val[i], m->val[m->row_ptr[2] + i], 1e-6);
    }
    free(t);
    voc_buf_free(&arena);
    voc_tokenizer_destroy(&tok);
    voc_corpus_destroy(&c);
    voc_corpus_destroy(&c); /* destroy takes NULL */
    cr_assert_null(c);
}

/* Four complaints, each told in many ways: a subject, a predicate and a
 * tail, drawn independently. */
typedef struct s_topic {
    const char *const *subject;
    size_t subjects;
    const char *const *predicate;
    size_t predicates;
} s_topic;

static const char *const s_vat_s[] = {"The invoice", "Our last invoice", "This month's invoice",
                                      "Every invoice", "The invoice PDF"};
static const char *const s_vat_p[] = {"shows the wrong VAT rate", "has the wrong VAT amount",
                                      "lists the wrong VAT percentage", "uses a wrong VAT rate",
                                      "applies the wrong VAT"};
static const char *const s_app_s[] = {"The iPhone app", "The Android app", "The mobile app",
                                      "Your app", "The app"};
static const char *const s_app_p[] = {
    "crashes right after I log in", "crashes as soon as I sign in",
    "crashes whenever I open a project", "keeps crashing on startup", "crashes on login"};
static const char *const s_dash_s[] = {"The dashboard", "Our dashboard", "The main dashboard",
                                       "The reports dashboard", "The team dashboard"};
static const char *const s_dash_p[] = {"takes ages to load", "takes forever to load",
                                       "is painfully slow to load", "needs a minute to load",
                                       "loads so slowly"};
static const char *const s_cal_s[] = {"Calendar sync", "The calendar sync", "Syncing the calendar",
                                      "The Outlook calendar sync", "Google calendar sync"};
static const char *const s_cal_p[] = {"creates duplicate events", "makes duplicate meetings",
                                      "adds duplicate entries", "produces duplicate appointments",
                                      "duplicates every event"};
static const s_topic s_topic_a = {s_vat_s, S_N(s_vat_s), s_vat_p, S_N(s_vat_p)};
static const s_topic s_topic_b = {s_app_s, S_N(s_app_s), s_app_p, S_N(s_app_p)};
static const s_topic s_topic_c = {s_dash_s, S_N(s_dash_s), s_dash_p, S_N(s_dash_p)};
static const s_topic s_topic_d = {s_cal_s, S_N(s_cal_s), s_cal_p, S_N(s_cal_p)};
static const char *const s_tails[] = {"",
                                      ". Please fix",
                                      " again",
                                      ". Not great",
                                      "!",
                                      ". Since Tuesday",
                                      " for our whole team",
                                      " every morning"};

static char *s_topic_text(const s_topic *t)
{
    const char *a = t->subject[s_pick(t->subjects)], *b = t->predicate[s_pick(t->predicates)];
    const char *tail = S_ONE(s_tails);
    char *s = malloc(strlen(a) + strlen(b) + strlen(tail) + 2);
    sprintf(s, "%s %s%s", a, b, tail);
    return s;
}

Test(cluster_corpus, finds_topics_with_labels_rules_and_stable_ids)
{
    s_state = 42;
    char *texts[160];
    const s_topic *topics[] = {&s_topic_a, &s_topic_b, &s_topic_c};
    for (size_t i = 0; i < 120; i++)
        texts[i] = s_topic_text(topics[i % 3]);
    voc_corpus *c = s_corpus((const char *const *)texts, 120, NULL, NULL);
    voc_clustering r;
    cr_assert_eq(voc_cluster_run(c, NULL, NULL, 0, NULL, &r, NULL), 0);
    cr_assert_eq(r.count, 3, "%zu clusters", r.count);
    uint32_t truth[120], pred[120];
    for (size_t i = 0; i < 120; i++) {
        truth[i] = (uint32_t)(i % 3);
        pred[i] = r.assign[i];
    }
    cr_assert_float_eq(voc_cluster_nmi(pred, truth, 120), 1.0, 1e-9);
    for (size_t i = 0; i < r.count; i++) {
        const voc_cluster *k = &r.clusters[i];
        cr_assert_eq(k->size, 40);
        cr_assert_eq(k->quote_count, 3);
        cr_assert_gt(k->keyword_count, 0);
        cr_assert_geq(k->rule_recall, 0.9, "%s", k->label);
        cr_assert_leq(k->rule_fpr, 0.01, "%s", k->label);
        size_t topic = k->docs[0] % 3;
        const char *want[] = {"invoice", "app", "dashboard"};
        cr_assert(strstr(k->label, want[topic]) || strstr(k->label, topic ? "load" : "vat"),
                  "label \"%s\"", k->label);
    }
    /* Saved as priors, the clusters keep their ids when a fourth topic and
     * more of the first arrive. */
    voc_cluster_prior pri[3];
    for (size_t i = 0; i < 3; i++)
        pri[i] = (voc_cluster_prior){.id = 100 + (int64_t)i,
                                     .slug = r.clusters[i].slug,
                                     .term_count = r.clusters[i].centroid_count,
                                     .terms = (const char *const *)r.clusters[i].centroid_terms,
                                     .weights = r.clusters[i].centroid_weights,
                                     .fit = r.clusters[i].fit};
    int64_t id_of_topic[3];
    for (size_t i = 0; i < 3; i++)
        id_of_topic[r.clusters[i].docs[0] % 3] = pri[i].id;
    for (size_t i = 120; i < 160; i++)
        texts[i] = s_topic_text(i < 150 ? &s_topic_d : &s_topic_a);
    voc_corpus *c2 = s_corpus((const char *const *)texts, 160, NULL, NULL);
    voc_clustering r2;
    cr_assert_eq(voc_cluster_run(c2, NULL, pri, 3, NULL, &r2, NULL), 0);
    cr_assert_eq(r2.count, 4, "%zu clusters", r2.count);
    size_t fresh = 0;
    for (size_t i = 0; i < r2.count; i++) {
        const voc_cluster *k = &r2.clusters[i];
        if (!k->prior_id) {
            fresh++;
            cr_assert(strstr(k->label, "calendar") || strstr(k->label, "duplicate"), "%s",
                      k->label);
            cr_assert_eq(k->size, 30);
            continue;
        }
        /* Every old item stays with its old cluster. */
        for (size_t d = 0; d < k->size; d++)
            if (k->docs[d] < 120) cr_assert_eq(k->prior_id, id_of_topic[k->docs[d] % 3]);
        if (k->prior_id == id_of_topic[0]) cr_assert_eq(k->size, 50);
    }
    cr_assert_eq(fresh, 1);
    voc_clustering_clear(&r);
    voc_clustering_clear(&r2);
    voc_corpus_destroy(&c);
    voc_corpus_destroy(&c2);
    for (size_t i = 0; i < 160; i++)
        free(texts[i]);
}

/* ---- the commands --------------------------------------------------------------------- */

static char *s_dir;

static void s_setup(void)
{
    s_dir = vt_tmpdir("clusters");
}
static void s_teardown(void)
{
    vt_rmtree(s_dir);
    free(s_dir);
}

TestSuite(clusters_cli, .init = s_setup, .fini = s_teardown, .timeout = 900);

static char *s_path(const char *name)
{
    char *p = malloc(strlen(s_dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", s_dir, name);
    return p;
}

/* Run voc with args; stdin from in_path when not NULL. */
static int s_voc(char **out, const char *in_path, const char *const *args)
{
    char *bin = vt_bin("voc");
    char cmd[8192];
    int n = snprintf(cmd, sizeof cmd, "'%s'", bin);
    for (size_t i = 0; args[i]; i++)
        n += snprintf(cmd + n, sizeof cmd - (size_t)n, " '%s'", args[i]);
    if (in_path) n += snprintf(cmd + n, sizeof cmd - (size_t)n, " < '%s'", in_path);
    char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    int st = vt_run(argv, 120000, out, NULL);
    free(bin);
    return st;
}

/* Import a JSON Lines file into db through a real processor (rules may be
 * NULL: items stay untagged). */
static void s_import(const char *db, const char *jsonl, const char *rules, const char *tag)
{
    char name[64];
    snprintf(name, sizeof name, "%s.sock", tag);
    char *sock = s_path(name);
    snprintf(name, sizeof name, "%s.log", tag);
    char *log = s_path(name);
    snprintf(name, sizeof name, "%s.outbox", tag);
    char *ob = s_path(name);
    char ep[600];
    snprintf(ep, sizeof ep, "ipc://%s", sock);
    char *pbin = vt_bin("voc-processor"), *cbin = vt_bin("voc-collect");
    char *argv[] = {pbin,          "--db", (char *)db, "--listen", ep, rules ? "--rules" : NULL,
                    (char *)rules, NULL};
    vt_proc p;
    cr_assert_eq(vt_spawn(&p, argv, NULL, log), 0);
    /* Compiling a large rule set takes a while under the sanitizers. */
    cr_assert(vt_wait_for_text(log, "ready db=", 300000));
    char *cargv[] = {cbin, "file", (char *)jsonl, "--connect", ep, "--outbox", ob, NULL};
    cr_assert_eq(vt_run(cargv, 120000, NULL, NULL), 0);
    cr_assert_eq(vt_stop(&p, SIGTERM, 60000), 0);
    free(sock);
    free(log);
    free(ob);
    free(pbin);
    free(cbin);
}

static cJSON *s_json(const char *out)
{
    cJSON *o = cJSON_Parse(out);
    cr_assert_not_null(o, "%s", out);
    return o;
}

static const char *s_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    cr_assert(cJSON_IsString(v), "%s", key);
    return v->valuestring;
}

static double s_num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    cr_assert(cJSON_IsNumber(v), "%s", key);
    return v->valuedouble;
}

/* 200 complaints about a CSV export that garbles characters, told in many
 * ways: templates, synonyms, openers and endings. No default rule covers
 * them (checked by the drill). */
static void s_write_csv_complaints(FILE *fp, size_t count, int day0)
{
    static const char *const opener[] = {"",        "Hi, ",          "Hello team, ",
                                         "FYI: ",   "Quick one: ",   "Ugh. ",
                                         "Again: ", "Since Monday ", "PSA: "};
    static const char *const subj[] = {
        "The CSV export",        "Our CSV export", "The export to CSV", "Every CSV export",
        "The exported CSV file", "CSV exports",    "The CSV download",  "Exporting to CSV"};
    static const char *const verb[] = {"turns",     "mangles",  "garbles",
                                       "scrambles", "corrupts", "messes up"};
    static const char *const what[] = {
        "accented names",          "customer names with accents", "umlauts",
        "special characters",      "non-English names",           "French and German names",
        "any name with an accent", "Spanish characters"};
    static const char *const into[] = {"into garbage",
                                       "into gibberish",
                                       "into question marks",
                                       "into weird symbols",
                                       "into unreadable characters",
                                       "into junk characters"};
    static const char *const tail[] = {"",
                                       " when we open it in Excel",
                                       " every single time",
                                       " since the last release",
                                       " for our European customers",
                                       " in every row",
                                       " and finance is furious",
                                       " so we fix it by hand"};
    static const char *const t2a[] = {"Exported CSV files", "The CSV we export", "Our CSV exports",
                                      "CSV files from the export"};
    static const char *const t2b[] = {"show garbled characters", "are full of garbled characters",
                                      "come out with garbled text", "have mangled characters",
                                      "contain garbled symbols"};
    static const char *const t3[] = {
        "When I export to CSV the characters come out garbled",
        "After export the CSV shows \\u00c3\\u00a9 instead of \\u00e9 and other garbled characters",
        "CSV export encoding looks wrong: characters are garbled",
        "The CSV export seems to use the wrong encoding, so characters are garbled",
        "Characters get garbled in the CSV export"};
    static const char *const ending[] = {"",
                                         ". Please fix!",
                                         ". Any workaround?",
                                         ". This worked fine before.",
                                         ". Our accountants noticed first.",
                                         "!!",
                                         " - thanks."};
    for (size_t i = 0; i < count; i++) {
        char text[512];
        size_t form = s_pick(100);
        int n = snprintf(text, sizeof text, "%s", S_ONE(opener));
        if (form < 45)
            n += snprintf(text + n, sizeof text - (size_t)n, "%s %s %s %s%s", S_ONE(subj),
                          S_ONE(verb), S_ONE(what), S_ONE(into), S_ONE(tail));
        else if (form < 75)
            n += snprintf(text + n, sizeof text - (size_t)n, "%s %s%s", S_ONE(t2a), S_ONE(t2b),
                          S_ONE(tail));
        else
            n += snprintf(text + n, sizeof text - (size_t)n, "%s%s", S_ONE(t3), S_ONE(tail));
        snprintf(text + n, sizeof text - (size_t)n, "%s", S_ONE(ending));
        fprintf(fp,
                "{\"uid\":\"csv-%zu\",\"kind\":\"ticket\",\"source\":\"zendesk\","
                "\"created_at\":\"2026-06-%02dT%02zu:00:00Z\",\"text\":\"%s\"}\n",
                i, day0 + (int)(i % 20), i % 24, text);
    }
}

/* The drill: voc-gen feedback tagged with the default rules, plus 200
 * complaints about something no rule covers. */
Test(clusters_cli, emerging_theme_comes_first_and_its_rule_holds)
{
    s_state = 2026;
    char *gen = vt_bin("voc-gen"), *all = s_path("all.jsonl"), *db = s_path("drill.db");
    char *rules = vt_source("rules/default.json"), *emit = s_path("emerging.json");
    char *gargv[] = {gen,          "--count", "2500", "--seed", "5", "--start",
                     "2026-01-01", "--days",  "180",  "--out",  all, NULL};
    cr_assert_eq(vt_run(gargv, 60000, NULL, NULL), 0);
    FILE *fp = fopen(all, "a");
    cr_assert_not_null(fp);
    s_write_csv_complaints(fp, 200, 5);
    fclose(fp);
    s_import(db, all, rules, "drill");

    /* None of the 200 carries a theme: the complaint is new to the rules. */
    sqlite3 *h;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(h,
                                    "SELECT count(*) FROM items i WHERE uid LIKE 'csv-%' AND "
                                    "EXISTS (SELECT 1 FROM item_themes t WHERE t.item_id = i.id)",
                                    -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    sqlite3_close(h);

    char *out = NULL;
    const char *a1[] = {"clusters", "--db",         db,   "--untagged", "--format",
                        "json",     "--emit-rules", emit, NULL};
    cr_assert_eq(s_voc(&out, NULL, a1), 0, "%s", out);
    cJSON *o = s_json(out);
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "clusters"), 0);
    cr_assert_not_null(first, "%s", out);
    char *label = strdup(s_str(first, "label"));
    cr_assert(strstr(label, "csv"), "label \"%s\"", label);
    cr_assert(strstr(label, "export") || strstr(label, "garbled") || strstr(label, "characters"),
              "label \"%s\"", label);
    cr_assert_geq(s_num(first, "items"), 200);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(first, "quotes")), 3);
    cJSON *q;
    cJSON_ArrayForEach(q, cJSON_GetObjectItem(first, "quotes"))
        cr_assert(strncmp(s_str(q, "uid"), "csv-", 4) == 0, "quote %s", s_str(q, "text"));
    char *theme_id = strdup(s_str(cJSON_GetObjectItem(first, "rule"), "id"));
    cr_assert(strncmp(theme_id, "emerging.", 9) == 0, "%s", theme_id);
    cJSON_Delete(o);
    free(out);

    /* The emitted rule set is one voc accepts... */
    const char *a2[] = {"rules", "check", emit, NULL};
    cr_assert_eq(s_voc(&out, NULL, a2), 0, "%s", out);
    free(out);
    /* ...and its rule tags the new complaint and little else. */
    const char *a3[] = {"rules", "test", emit, "--format", "json", NULL};
    cr_assert_eq(s_voc(&out, all, a3), 0);
    size_t line = 0, hit_new = 0, hit_rest = 0, rest = 0;
    for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"), line++) {
        cJSON *x = s_json(l);
        bool hit = false;
        cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(x, "themes")) hit |=
            strcmp(s_str(t, "id"), theme_id) == 0;
        if (line >= 2500)
            hit_new += hit;
        else {
            rest++;
            hit_rest += hit;
        }
        cJSON_Delete(x);
    }
    cr_assert_eq(line, 2700);
    cr_log_info("drill: \"%s\" first; %s tags %zu of the 200 and %zu of the other %zu items", label,
                theme_id, hit_new, hit_rest, rest);
    cr_assert_geq(hit_new, 160, "the rule tags %zu of the 200", hit_new);
    cr_assert_lt((double)hit_rest, 0.01 * (double)rest, "the rule tags %zu of the other %zu",
                 hit_rest, rest);
    free(out);
    free(theme_id);
    free(label);
    free(gen);
    free(all);
    free(db);
    free(rules);
    free(emit);
}

/* Topic texts as JSON Lines, dated day0 .. day0 + spread (days before now). */
static void s_write_topic(FILE *fp, const s_topic *topic, const char *prefix, size_t count,
                          int days_ago_from, int spread)
{
    time_t now = time(NULL);
    for (size_t i = 0; i < count; i++) {
        char *t = s_topic_text(topic);
        long long at =
            (long long)now - (long long)(days_ago_from - (int)(i % (size_t)spread)) * 86400 - 3600;
        fprintf(fp, "{\"uid\":\"%s-%zu\",\"created_at\":%lld,\"text\":\"%s\"}\n", prefix, i, at, t);
        free(t);
    }
}

static int64_t s_id_with(cJSON *clusters, const char *word)
{
    cJSON *c;
    cJSON_ArrayForEach(c, clusters) if (strstr(s_str(c, "label"), word)) return (int64_t)s_num(
        c, "id");
    return -1;
}

Test(clusters_cli, clusters_keep_their_ids_and_grow)
{
    s_state = 99;
    char *db = s_path("stable.db"), *in1 = s_path("one.jsonl"), *in2 = s_path("two.jsonl");
    FILE *fp = fopen(in1, "w");
    s_write_topic(fp, &s_topic_a, "vat", 40, 80, 60);
    s_write_topic(fp, &s_topic_b, "app", 40, 80, 60);
    s_write_topic(fp, &s_topic_c, "dash", 40, 80, 60);
    fclose(fp);
    s_import(db, in1, NULL, "one");

    char *out = NULL;
    const char *run[] = {"clusters", "--db", db, "--format", "json", NULL};
    cr_assert_eq(s_voc(&out, NULL, run), 0, "%s", out);
    cJSON *o = s_json(out);
    cJSON *cl = cJSON_GetObjectItem(o, "clusters");
    cr_assert_eq(cJSON_GetArraySize(cl), 3, "%s", out);
    int64_t vat = s_id_with(cl, "vat"), app = s_id_with(cl, "app"),
            dash = s_id_with(cl, "dashboard");
    cr_assert(vat > 0 && app > 0 && dash > 0, "%s", out);
    cJSON_Delete(o);
    free(out);

    /* The same items again: the same clusters, none new. */
    cr_assert_eq(s_voc(&out, NULL, run), 0, "%s", out);
    o = s_json(out);
    cl = cJSON_GetObjectItem(o, "clusters");
    cr_assert_eq(cJSON_GetArraySize(cl), 3, "%s", out);
    cr_assert_eq(s_id_with(cl, "vat"), vat);
    cr_assert_eq(s_id_with(cl, "app"), app);
    cr_assert_eq(s_id_with(cl, "dashboard"), dash);
    cJSON *c;
    cJSON_ArrayForEach(c, cl)
    {
        cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(c, "new")));
        cr_assert_eq(s_num(c, "items"), 40);
    }
    cJSON_Delete(o);
    free(out);

    /* A new complaint in the last ten days, and more of an old one. */
    fp = fopen(in2, "w");
    s_write_topic(fp, &s_topic_d, "cal", 40, 9, 9);
    s_write_topic(fp, &s_topic_a, "vat2", 20, 9, 9);
    fclose(fp);
    s_import(db, in2, NULL, "two");
    cr_assert_eq(s_voc(&out, NULL, run), 0, "%s", out);
    o = s_json(out);
    cl = cJSON_GetObjectItem(o, "clusters");
    cr_assert_eq(cJSON_GetArraySize(cl), 4, "%s", out);
    cr_assert_eq(s_id_with(cl, "vat"), vat);
    cr_assert_eq(s_id_with(cl, "app"), app);
    cr_assert_eq(s_id_with(cl, "dashboard"), dash);
    int64_t cal = s_id_with(cl, "calendar");
    cr_assert_gt(cal, dash > app ? (dash > vat ? dash : vat) : (app > vat ? app : vat), "%s", out);
    cJSON_ArrayForEach(c, cl)
    {
        int64_t id = (int64_t)s_num(c, "id");
        cr_assert_eq(cJSON_IsTrue(cJSON_GetObjectItem(c, "new")), id == cal);
        if (id == vat) cr_assert_eq(s_num(c, "items"), 60);
    }
    cJSON_Delete(o);
    free(out);

    /* The last two weeks against the two before: the calendar complaint is
     * new, and a --no-save run records nothing. */
    const char *win[] = {"clusters",  "--db",     db,     "--since", "14d",
                         "--no-save", "--format", "json", NULL};
    cr_assert_eq(s_voc(&out, NULL, win), 0, "%s", out);
    o = s_json(out);
    cl = cJSON_GetObjectItem(o, "clusters");
    cJSON_ArrayForEach(c, cl)
    {
        if (s_num(c, "id") == cal) {
            cr_assert_eq(s_num(c, "prev_items"), 0);
            cr_assert(cJSON_IsNull(cJSON_GetObjectItem(c, "change")));
            cr_assert_eq(s_num(c, "items"), 40, "%s", out);
        }
    }
    cr_assert_null(cJSON_GetObjectItem(o, "run"));
    cJSON_Delete(o);
    free(out);

    /* History: three runs; the VAT cluster grew by 20 in the last. */
    const char *hist[] = {"clusters", "--db", db, "--history", "--format", "json", NULL};
    cr_assert_eq(s_voc(&out, NULL, hist), 0, "%s", out);
    o = s_json(out);
    bool seen = false;
    cJSON_ArrayForEach(c, o)
    {
        if (s_num(c, "id") != vat) continue;
        seen = true;
        cJSON *runs = cJSON_GetObjectItem(c, "runs");
        cr_assert_eq(cJSON_GetArraySize(runs), 3, "%s", out);
        double items[] = {40, 40, 60}, fresh[] = {40, 0, 20};
        for (int i = 0; i < 3; i++) {
            cJSON *r = cJSON_GetArrayItem(runs, i);
            cr_assert_eq(s_num(r, "items"), items[i], "run %d: %s", i, out);
            cr_assert_eq(s_num(r, "new_items"), fresh[i], "run %d: %s", i, out);
        }
    }
    cr_assert(seen, "%s", out);
    cJSON_Delete(o);
    free(out);
    const char *ht[] = {"clusters", "--db", db, "--history", NULL};
    cr_assert_eq(s_voc(&out, NULL, ht), 0, "%s", out);
    cr_assert(strstr(out, "+20"), "%s", out);
    free(out);

    /* Usage errors exit 2. */
    const char *bad1[] = {"clusters", "--db", db, "--k", "zero", NULL};
    const char *bad2[] = {"clusters", "--db", db, "--untagged", "--theme", "billing", NULL};
    cr_assert_eq(s_voc(&out, NULL, bad1), 2);
    free(out);
    cr_assert_eq(s_voc(&out, NULL, bad2), 2);
    free(out);
    free(db);
    free(in1);
    free(in2);
}

Test(clusters_cli, dupes_groups_near_identical_feedback)
{
    s_state = 7;
    char *db = s_path("dupes.db"), *in = s_path("dupes.jsonl");
    char *rules = vt_data("rules/engine.rules.json");
    FILE *fp = fopen(in, "w");
    /* Twelve copies of one refund request: other numbers, case, punctuation
     * and greetings; they are one group. Eight other refund requests, each
     * its own. */
    static const char *const greet[] = {"", "Hi, ", "Hello, ", "Hey there, "};
    for (int i = 0; i < 12; i++)
        fprintf(fp,
                "{\"uid\":\"dup-%d\",\"text\":\"%sMy order #%d arrived with a cracked screen "
                "protector, I want a refund and the replacement order #%d was never shipped%s\"}\n",
                i, greet[i % 4], 1000 + i * 7, 2000 + i, i % 2 ? "!" : ".");
    static const char *const why[] = {"the course was cancelled",
                                      "I was billed for a seat I removed",
                                      "the hotel overbooked",
                                      "the concert moved to another city",
                                      "my subscription renewed by mistake",
                                      "the parcel never arrived",
                                      "the size chart was wrong",
                                      "the trial converted without warning"};
    for (int i = 0; i < 8; i++)
        fprintf(fp, "{\"uid\":\"ref-%d\",\"text\":\"Please refund me, %s\"}\n", i, why[i]);
    for (int i = 0; i < 60; i++) {
        char *t = s_topic_text(i % 2 ? &s_topic_b : &s_topic_c);
        fprintf(fp, "{\"uid\":\"other-%d\",\"text\":\"%s\"}\n", i, t);
        free(t);
    }
    fclose(fp);
    s_import(db, in, rules, "dupes");
    char *out = NULL;
    const char *a[] = {"dupes", "--db", db, "--format", "json", NULL};
    cr_assert_eq(s_voc(&out, NULL, a), 0, "%s", out);
    cJSON *o = s_json(out);
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "dupes"), 0);
    cr_assert_not_null(first, "%s", out);
    cr_assert_eq(s_num(first, "items"), 12, "%s", out);
    cJSON *u;
    cJSON_ArrayForEach(u, cJSON_GetObjectItem(first, "uids"))
        cr_assert(strncmp(u->valuestring, "dup-", 4) == 0, "%s", u->valuestring);
    cr_assert(strstr(s_str(first, "text"), "cracked screen protector"));
    cJSON_Delete(o);
    free(out);
    const char *t[] = {"dupes", "--db", db, NULL};
    cr_assert_eq(s_voc(&out, NULL, t), 0, "%s", out);
    cr_assert(strstr(out, "12 items"), "%s", out);
    free(out);

    /* voc top counts the twelve copies once with --dedup. */
    double plain = -1, dedup = -1;
    for (int pass = 0; pass < 2; pass++) {
        const char *top[] = {"top", "--db", db, "--format", "json", pass ? "--dedup" : NULL, NULL};
        cr_assert_eq(s_voc(&out, NULL, top), 0, "%s", out);
        o = s_json(out);
        cJSON *r;
        cJSON_ArrayForEach(r, o) if (strcmp(s_str(r, "theme"), "billing.refund") == 0) *
            (pass ? &dedup : &plain) = s_num(r, "items");
        cJSON_Delete(o);
        free(out);
    }
    cr_assert_eq(plain, 20);
    cr_assert_eq(dedup, 9);
    free(db);
    free(in);
    free(rules);
}
