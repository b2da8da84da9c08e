/* cluster.h: grouping similar feedback (libvoc_analysis), behind `voc clusters`
 * and `voc dupes`. docs/clustering.md describes the method.
 *
 * Two layers share this header. The numeric core (cluster.c) works on sparse
 * rows: TF-IDF weighting, SimHash fingerprints and near-duplicate grouping,
 * spherical k-means with k-means++ seeding, the choice of k by silhouette on
 * a sample, and NMI and purity for evaluation. The corpus layer
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

typedef struct voc_kmeans_opts {
    uint64_t seed;
    unsigned restarts; /* k-means++ seedings tried (>= 1); the best objective wins */
    unsigned max_iter; /* Lloyd iterations per seeding */
    const float *init; /* k x cols starting centroids (used instead of seeding), or NULL */
} voc_kmeans_opts;

voc_kmeans_opts voc_kmeans_opts_default(void);

/* A clustering of the rows of a matrix. Owned arrays; voc_kmeans_clear. */
typedef struct voc_kmeans {
    size_t k;
    size_t cols;
    float *centroid;  /* k x cols, row-major; unit length, or zero when empty */
    uint32_t *assign; /* rows entries: the cluster of each row */
    float *sim;       /* rows entries: cosine of each row to its centroid */
    double objective; /* sum over rows of weight x sim (higher is better) */
    unsigned iterations;
} voc_kmeans;

void voc_kmeans_clear(voc_kmeans *km);

/* Spherical k-means: maximise the weighted sum of cosines between unit rows
 * and unit centroids. weight may be NULL (all 1). Seeding is k-means++ with
 * probabilities proportional to weight x (1 - best cosine); an emptied
 * cluster is re-seeded with the worst-served row. Empty rows are assigned
 * to cluster 0 with similarity 0 and do not move centroids.
 * Errors: VOC_EINVAL (k is 0 or more than the rows). */
int voc_kmeans_run(const voc_csr *x, const float *weight, size_t k, const voc_kmeans_opts *o,
                   voc_kmeans *out, voc_err *err);

/* The choice of k. A sample of at most `sample` rows (drawn with o->seed) is
 * clustered for every k in [k_min, k_max]; each clustering is scored by its
 * mean silhouette under cosine distance (weighted by weight), and the best
 * scoring k wins (ties: the smaller k). scores, when not NULL, receives
 * k_max - k_min + 1 scores. init_out, when not NULL, receives the winning
 * sample centroids (best_k x cols; caller frees with free()) to seed the
 * full run. Errors: VOC_EINVAL (bad range). */
int voc_kmeans_choose_k(const voc_csr *x, const float *weight, size_t k_min, size_t k_max,
                        size_t sample, const voc_kmeans_opts *o, size_t *best_k, double *scores,
                        float **init_out, voc_err *err);

/* Mean silhouette of an assignment, given the full symmetric n x n cosine
 * similarity matrix of the points (distance = 1 - similarity). weight may
 * be NULL. Points alone in their cluster score 0. */
double voc_silhouette(const float *sim, size_t n, const uint32_t *assign, size_t k,
                      const float *weight);

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
    size_t k;     /* clusters (new ones when priors are given); 0: choose */
    size_t k_min; /* range for the choice */
    size_t k_max;
    size_t min_size; /* smaller groups are folded into their nearest cluster */
    uint64_t seed;
    unsigned restarts;  /* k-means++ seedings per k */
    size_t sample;      /* rows scored when choosing k */
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
    size_t k_chosen;  /* clusters k-means made (before folding small ones) */
    double *k_scores; /* silhouette per k from k_min when k was chosen; else NULL */
    size_t k_score_count;
    size_t k_min;
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
 * other documents join the priors they fit, cluster the rest with spherical
 * k-means (k chosen by silhouette when p->k is 0), merge new clusters that
 * are pieces of one theme, fold groups under min_size into their nearest
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
