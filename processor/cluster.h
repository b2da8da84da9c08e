/* cluster.h: grouping similar feedback (libvoc_analysis), behind `voc clusters`
 * and `voc dupes`. docs/clustering.md describes the method.
 *
 * Two layers share this header. The numeric core works on sparse rows:
 * TF-IDF weighting, SimHash fingerprints and near-duplicate grouping, NMI
 * and purity for evaluation (cluster.c); the reduced space of latent
 * semantic analysis, a randomized truncated SVD (cluster_svd.c); and a
 * mixture of von Mises-Fisher distributions grown by bisection, which finds
 * its own k (cluster_vmf.c). The corpus layer
 * (cluster_corpus.c) turns tokenized texts into those rows (stemmed unigrams
 * and bigrams; stop words, numbers and redaction marks such as XXXX dropped),
 * runs the whole method, and describes each cluster in the customers' own
 * words: a label, the items closest to its centre, and a suggested theme
 * rule that the rule engine can load.
 *
 * Everything is deterministic for a given seed and input order. Objects are
 * not thread-safe; use one per thread. */
#ifndef VOC_CLUSTER_H
#define VOC_CLUSTER_H

#include "common/err.h"
#include "common/item.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- numeric core --------------------------------------------------------- */

/* A sparse matrix in compressed rows: row i holds col[row_ptr[i] ..
 * row_ptr[i + 1]) with values val[...] (columns ascending within a row).
 * Owned arrays; release with voc_csr_clear. */
typedef struct voc_csr {
    size_t rows;
    size_t cols;
    size_t *row_ptr; /* rows + 1 entries */
    uint32_t *col;
    float *val;
} voc_csr;

void voc_csr_clear(voc_csr *m);

/* TF-IDF in place. m holds raw term counts; df[j] is the number of the
 * n_docs documents that contain column j. Each count becomes
 * tf x idf with tf = 1 + ln(count) when sublinear (else count) and
 * idf = ln((1 + n_docs) / (1 + df)) + 1; each row is then scaled to unit
 * length (an empty row stays empty). */
void voc_tfidf_apply(voc_csr *m, const uint32_t *df, size_t n_docs, bool sublinear);

/* 64-bit SimHash (Charikar) of one weighted row: bit b is set when the
 * weights of the columns whose col_hash has bit b set outweigh the others.
 * Rows with similar content get fingerprints a few bits apart. */
uint64_t voc_simhash(const uint32_t *col, const float *val, size_t n, const uint64_t *col_hash);

/* Near-duplicate groups over fingerprints, in order: item i joins the first
 * earlier group leader it is close to, else it leads a group of its own.
 * Candidates are the leaders that share one of the fingerprint's four
 * 16-bit bands with it (any two fingerprints at most 3 bits apart do); a
 * candidate is close when the fingerprints are at most max_distance bits
 * apart and, when m is given, the two rows' cosine reaches min_cosine (then
 * max_distance is only a cheap first cut: about 20 bits for a cosine of
 * 0.9). leader[i] receives the leader's index (i for a leader); skip[i]
 * true (skip may be NULL) keeps i alone, for empty rows. Returns the number
 * of groups. */
size_t voc_near_dupes(const uint64_t *hash, size_t n, int max_distance, const voc_csr *m,
                      float min_cosine, const bool *skip, uint32_t *leader);

/* Dot product of two sparse rows of m. */
float voc_csr_dot(const voc_csr *m, size_t a, size_t b);

/* ---- the reduced space (cluster_svd.c) -------------------------------------- */

/* The top `rank` right singular vectors of x, whose row i is scaled by
 * row_scale[i] (NULL: 1), by randomized range finding with power_iters
 * power iterations (Halko, Martinsson and Tropp 2011): 2 to 4 give the
 * leading directions of a term matrix to a few digits. v (caller-provided,
 * cols x rank) receives them row-major: v[t * rank + j] is term t's weight
 * in direction j; sigma (rank) the singular values, largest first.
 * Deterministic for a seed. Errors: VOC_EINVAL (rank 0 or above
 * min(rows, cols)). */
int voc_csr_svd(const voc_csr *x, const float *row_scale, size_t rank, unsigned power_iters,
                uint64_t seed, float *v, double *sigma, voc_err *err);

/* Row i of x in the reduced space: z = x_i V (v as voc_csr_svd fills it),
 * scaled to unit length. Returns false (z zero) when the row has no weight
 * there. */
bool voc_csr_project(const voc_csr *x, size_t i, const float *v, size_t rank, float *z);

/* ---- von Mises-Fisher mixtures (cluster_vmf.c) ------------------------------ */

/* ln I_nu(x), the modified Bessel function of the first kind (x > 0): its
 * power series for nu < 10 and x <= 50, asymptotic expansions otherwise;
 * within 2e-5 of the true logarithm. */
double voc_log_bessel_i(double nu, double x);

/* ln C_d(kappa), the normalising constant of the von Mises-Fisher density
 * f(z) = C_d(kappa) exp(kappa mu . z) on the unit sphere in d dimensions. */
double voc_vmf_log_norm(size_t dims, double kappa);

/* The concentration of points whose weighted mean has length rbar
 * (Banerjee et al. 2005): rbar (d - rbar^2) / (1 - rbar^2), rbar capped at
 * 0.99 so identical points give a high but finite kappa. */
double voc_vmf_kappa(double rbar, size_t dims);

typedef struct voc_vmf_opts {
    uint64_t seed;
    size_t k;           /* leaves to reach; 0: auto (split while splits pay) */
    size_t k_max;       /* auto: at most this many leaves */
    double min_share;   /* auto: each part of a split holds at least this share of the weight */
    double min_weight;  /* each part of a split holds at least this weight */
    unsigned restarts;  /* seedings per split; the best likelihood wins */
    bool kmeans_splits; /* split by spherical 2-means (balanced parts) instead of the
                           two-component mixture's EM */
} voc_vmf_opts;

/* A mixture of von Mises-Fisher components. Owned arrays;
 * voc_vmf_mix_clear. */
typedef struct voc_vmf_mix {
    size_t k, dims;
    float *mean;       /* k x dims, unit mean directions */
    double *kappa;     /* k concentrations */
    double *log_prior; /* k: ln(mixing weight) + ln C_d(kappa) */
    double *gain;      /* k - 1: the log-likelihood gain of each split, in order */
    uint32_t *assign;  /* one per point: its most likely component */
    bool by_cosine;    /* built by 2-means splits: points go to the nearest mean */
} voc_vmf_mix;

void voc_vmf_mix_clear(voc_vmf_mix *m);

/* Divisive clustering of n unit vectors z (n x dims, row-major) with
 * weights (NULL: 1), starting from one component. Each leaf's best two-way
 * split is searched (o->restarts seedings: a k-means++ pair refined by
 * spherical 2-means, then, unless o->kmeans_splits, by soft EM of a
 * two-component vMF mixture; the highest likelihood wins). A split needs
 * two points and o->min_weight on each side; mixture splits with o->k == 0
 * also o->min_share of the total weight on each side and a log-likelihood
 * gain above its BIC cost, (dims + 1) / 2 ln(leaf weight), and go in order
 * of gain x the smaller side's share; 2-means splits split the heaviest
 * leaf first. It stops at o->k (or o->k_max) leaves or when no leaf may
 * split; every point then goes to its most likely leaf (the nearest mean
 * for 2-means splits). Errors: VOC_EINVAL (no points). */
int voc_vmf_bisect(const float *z, size_t n, size_t dims, const float *weight,
                   const voc_vmf_opts *o, voc_vmf_mix *out, voc_err *err);

/* The component of m with the highest posterior for unit vector z. */
uint32_t voc_vmf_mix_best(const voc_vmf_mix *m, const float *z);

/* Normalized mutual information between two labelings of n items
 * (arithmetic-mean normalization, as scikit-learn's default): 1 for
 * identical partitions, near 0 for independent ones. */
double voc_cluster_nmi(const uint32_t *a, const uint32_t *b, size_t n);

/* Purity: the share of items whose cluster's most common truth label is
 * their own. */
double voc_cluster_purity(const uint32_t *pred, const uint32_t *truth, size_t n);

/* ---- corpus: texts to vectors ------------------------------------------- */

typedef struct voc_corpus voc_corpus;

typedef struct voc_corpus_opts {
    bool bigrams;                  /* also pairs of neighbouring content words */
    double min_df;                 /* keep terms in at least this many in-scope documents; < 1: this
                                      share of them, but 2 to 20 documents */
    double max_df;                 /* ... and in at most this share of them (>= 1: no limit) */
    bool sublinear;                /* tf = 1 + ln(count) */
    size_t max_terms;              /* keep the most frequent terms only (0: no limit) */
    bool raw_counts;               /* rows keep term counts: no TF-IDF, no scaling (baselines) */
    const char *const *stop_words; /* more words to drop, NULL-terminated (a rule
                                      set's); copied by voc_corpus_new */
} voc_corpus_opts;

voc_corpus_opts voc_corpus_opts_default(void);

/* opts may be NULL for the defaults. Caller owns *out; free with
 * voc_corpus_destroy. */
int voc_corpus_new(voc_corpus **out, const voc_corpus_opts *opts, voc_err *err);
void voc_corpus_destroy(voc_corpus **self_p);

/* Add one document from the tokens voc_tokenize_text made of text (arena
 * holds their strings). Words are stems; stop words (the tokenizer's, a
 * built-in list of narrative fillers such as "told" or "days", and
 * opts.stop_words), numbers, one-letter words and redaction marks (xx,
 * xxxx, ...) are dropped; a bigram joins
 * two content words that follow each other within a clause, stop words
 * between them skipped (as rule keywords match phrases). in_scope false:
 * the document is not clustered but counts against suggested rules (they
 * should not fire on it). Returns the document's index. Not after finish. */
size_t voc_corpus_add(voc_corpus *c, const char *text, const voc_token *tok, size_t n,
                      const char *arena, bool in_scope);

/* Fix the vocabulary (terms of the in-scope documents within the df limits)
 * and weigh the in-scope documents' rows by TF-IDF. */
int voc_corpus_finish(voc_corpus *c, voc_err *err);

/* After finish: the rows of the in-scope documents (borrowed), which
 * document each row is, and the row of a document (-1 when out of scope). */
const voc_csr *voc_corpus_matrix(const voc_corpus *c);
size_t voc_corpus_doc_of_row(const voc_corpus *c, size_t row);
long voc_corpus_row_of_doc(const voc_corpus *c, size_t doc);
size_t voc_corpus_doc_count(const voc_corpus *c);

/* Vocabulary after finish. term: stems joined by a space ("csv export");
 * surface: the words customers wrote most often for them ("CSV exports"
 * lower-cased: "csv exports"). Borrowed; valid until destroy. -1 when the
 * term is not in the vocabulary. */
size_t voc_corpus_term_count(const voc_corpus *c);
const char *voc_corpus_term(const voc_corpus *c, size_t j);
const char *voc_corpus_surface(const voc_corpus *c, size_t j);
long voc_corpus_term_index(const voc_corpus *c, const char *term);

/* A new document as a unit TF-IDF row over the finished vocabulary (unknown
 * words ignored): *n columns and values in caller-provided arrays of
 * voc_corpus_term_count() capacity. */
void voc_corpus_project(voc_corpus *c, const char *text, const voc_token *tok, size_t ntok,
                        const char *arena, uint32_t *col, float *val, size_t *n);

/* ---- the method ------------------------------------------------------------ */

/* A cluster saved by an earlier run: new items that fit it (cosine to its
 * centroid at least fit) join it and it keeps its id. Borrowed strings. */
typedef struct voc_cluster_prior {
    int64_t id;
    const char *slug;
    size_t term_count;
    const char *const *terms; /* vocabulary terms (stems), as voc_corpus_term */
    const float *weights;     /* unit-length centroid over those terms */
    float fit;
} voc_cluster_prior;

typedef struct voc_cluster_params {
    size_t k;         /* clusters (new ones when priors are given); 0: choose */
    size_t k_max;     /* at most this many when choosing */
    double min_share; /* choosing: each part of a split holds at least this share of the
                         items to cluster (the top level of themes); when that yields
                         fewer than three clusters, or one with over two thirds of the
                         items, bisecting 2-means to k_max instead */
    size_t min_size;  /* smaller groups are folded into their nearest cluster */
    uint64_t seed;
    size_t dims;        /* LSA dimensions (reduced space) */
    size_t svd_rows;    /* rows the SVD is computed from (a sample when more) */
    size_t sample;      /* rows the mixture is fitted on (a sample when more) */
    unsigned restarts;  /* seedings per split */
    double dupe_cosine; /* collapse near-duplicates (rows this alike, found through
                           SimHash bands) into one weighted row; 0: no collapse */
    double merge_z;     /* merge new clusters whose centroids are this many standard
                           deviations closer than the mean pair; 0: never */
    size_t top_terms;   /* centroid terms kept for saving */
} voc_cluster_params;

voc_cluster_params voc_cluster_params_default(void);

/* A keyword of a suggested rule: the customers' words and a weight. */
typedef struct voc_rule_keyword {
    char *words;
    double weight;
} voc_rule_keyword;

typedef struct voc_cluster_term {
    size_t term;  /* vocabulary index */
    double score; /* distinctiveness: share inside x log of share inside / outside */
} voc_cluster_term;

/* One cluster of a result. doc indexes are the corpus' document indexes. */
typedef struct voc_cluster {
    int64_t prior_id; /* the saved cluster it continues; 0: new */
    size_t size;      /* documents, near-duplicates included */
    size_t core;      /* the first `core` docs: at least half as close to the centre as
                         the median member; terms, label and rule come from them */
    size_t *docs;     /* size entries, closest to the centre first */
    float *sims;      /* cosine of each to the centroid */
    size_t quotes[3]; /* representative documents, distinct texts */
    size_t quote_count;
    voc_cluster_term *terms; /* most distinctive first */
    size_t term_count;
    char *label;           /* "csv export, garbled characters" */
    char *slug;            /* "csv_export_garbled" (from the label, or the prior's) */
    float fit;             /* cosine an item needs to join it next time */
    char **centroid_terms; /* the heaviest centroid terms (stems), for saving */
    float *centroid_weights;
    size_t centroid_count;
    /* The suggested rule: keywords with weights and the threshold (1). On
     * this corpus it fires on rule_recall of the cluster's core documents
     * and on rule_fpr of all documents outside the cluster (in scope or
     * not); the fringe counts for neither. */
    voc_rule_keyword *keywords;
    size_t keyword_count;
    double threshold;
    double rule_recall;
    double rule_fpr;
    double rule_precision; /* of all documents it fires on, the cluster's share */
    double rule_f1;
} voc_cluster;

typedef struct voc_clustering {
    voc_cluster *clusters; /* ranked: size x the F1 of the suggested rule, highest first */
    size_t count;
    size_t k_chosen;    /* clusters the mixture made (before merging and folding) */
    bool k_auto;        /* k was chosen (not asked for, nor too few items) */
    double min_share;   /* k auto: the smallest part a split could leave, as a share
                           (0: the fine grain, bisecting 2-means) */
    double *split_gain; /* k_chosen - 1: each split's log-likelihood gain, in order */
    size_t docs;        /* documents in scope */
    size_t empty;       /* ... with no content words */
    size_t groups;      /* near-duplicate groups among them */
    size_t unclustered; /* in scope but in no cluster */
    size_t doc_count;   /* corpus documents, in scope or not */
    uint32_t *assign;   /* per corpus document: cluster index, or UINT32_MAX */
    float *centroids;   /* count x vocabulary size, row-major, unit length */
    size_t cols;
} voc_clustering;

void voc_clustering_clear(voc_clustering *r);

/* Run the method over a finished corpus: collapse near-duplicates, keep
 * the documents a saved cluster already holds in it (members[d]: the id of
 * document d's saved cluster, 0 for none; members may be NULL), let the
 * other documents join the priors they fit, cluster the rest (their rows
 * projected onto p->dims LSA directions, then a von Mises-Fisher mixture
 * grown by bisection: voc_vmf_bisect, k chosen when p->k is 0), merge new
 * clusters that are pieces of one theme, fold groups under min_size into their nearest
 * cluster, then label each cluster, pick its quotes and suggest its rule,
 * and rank the clusters by how many of their items that rule captures
 * cleanly (size x F1). p and priors may be NULL. Caller clears *out with
 * voc_clustering_clear. */
int voc_cluster_run(voc_corpus *c, const voc_cluster_params *p, const voc_cluster_prior *priors,
                    size_t prior_count, const int64_t *members, voc_clustering *out, voc_err *err);

/* The cluster of r that a projected row (voc_corpus_project) fits: the one
 * with the nearest centroid if the cosine reaches its fit, else -1. */
long voc_clustering_fit(const voc_clustering *r, const voc_corpus *c, const uint32_t *col,
                        const float *val, size_t n);

/* Near-duplicate groups among the in-scope documents (voc_near_dupes over
 * their rows' SimHash: max_distance bits as a first cut, then min_cosine):
 * leader[d] for every corpus document d (d itself for a leader, an empty or
 * out-of-scope document). Returns the number of groups with more than one
 * document. */
size_t voc_corpus_dupes(voc_corpus *c, int max_distance, float min_cosine, uint32_t *leader);

#endif
