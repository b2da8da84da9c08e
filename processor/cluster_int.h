/* cluster_int.h: the corpus record shared by cluster_corpus.c (building it)
 * and cluster_method.c (clustering, labels and rules read documents' terms
 * directly), and the random numbers of the clustering files. Not part of
 * the public API. */
#ifndef VOC_CLUSTER_INT_H
#define VOC_CLUSTER_INT_H

#include "common/alloc.h"
#include "processor/cluster.h"

#define VOC_CORPUS_NONE UINT32_MAX

/* Rows rows[0..m) of x as a matrix of their own (cluster.c). */
void voc_csr_select(const voc_csr *x, const uint32_t *rows, size_t m, voc_csr *out);

/* Random numbers: one xoshiro256** stream per use, seeded through
 * splitmix64, so a seed gives the same numbers on every platform. */
typedef struct voc_rng {
    uint64_t s[4];
} voc_rng;

static inline uint64_t voc_rng_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void voc_rng_seed(voc_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = voc_rng_splitmix(&seed);
}

static inline uint64_t voc_rng_next(voc_rng *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5, t = s[1] << 17;
    uint64_t out = ((x << 7) | (x >> 57)) * 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return out;
}

/* Uniform in [0, 1). */
static inline double voc_rng_unit(voc_rng *r)
{
    return (double)(voc_rng_next(r) >> 11) * 0x1.0p-53;
}

/* qsort/bsearch order of uint32_t. */
static inline int voc_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct voc_cterm {
    uint64_t hash;
    uint32_t str; /* offset in strs (NUL-terminated) */
    uint32_t df_scope;
    uint32_t df_all;
    uint32_t last_doc; /* doc + 1 that last counted it */
    uint32_t kept;     /* vocabulary index, or VOC_CORPUS_NONE */
    uint32_t a, b;     /* a bigram's unigram terms; VOC_CORPUS_NONE for a unigram */
} voc_cterm;

/* A surface form (lower-cased word, or two for a bigram) of a term. */
typedef struct voc_cnorm {
    uint32_t str;
    uint32_t term;
    uint32_t count;
} voc_cnorm;

/* Open addressing from strings (in strs) to record indexes. */
typedef struct voc_cslot {
    uint64_t hash;
    uint32_t str;
    uint32_t id1; /* record index + 1; 0: empty */
} voc_cslot;

typedef struct voc_ctable {
    voc_cslot *slot;
    size_t cap; /* power of two, or 0 */
    size_t count;
} voc_ctable;

struct voc_corpus {
    voc_corpus_opts opts;
    voc_buf strs;
    voc_cterm *terms;
    size_t term_count, term_cap;
    voc_ctable term_index;
    voc_cnorm *norms;
    size_t norm_count, norm_cap;
    voc_ctable norm_index;
    voc_ctable stop_index; /* clustering stop words (ids unused) */
    /* Documents: terms (original ids) with counts. */
    size_t *doc_ptr;
    size_t doc_count, doc_cap;
    uint32_t *dterm;
    uint16_t *dcount;
    size_t dterm_count, dterm_cap;
    bool *in_scope;
    size_t scope_cap;
    size_t scope_count;
    /* Scratch for one document. */
    uint32_t *scratch;
    size_t scratch_cap;
    voc_buf key;
    /* After finish. */
    bool finished;
    voc_csr m;
    uint32_t *row_doc; /* row -> doc */
    long *doc_row;     /* doc -> row or -1 */
    uint32_t *vocab;   /* vocabulary index -> original term */
    size_t vocab_count;
    uint32_t *df; /* per vocabulary term, in scope */
    uint64_t *col_hash;
    char **surface;
};

#endif
