/* cluster_int.h: the corpus record shared by cluster_corpus.c (building it)
 * and cluster_method.c (clustering, labels and rules read documents' terms
 * directly). Not part of the public API. */
#ifndef VOC_CLUSTER_INT_H
#define VOC_CLUSTER_INT_H

#include "common/alloc.h"
#include "processor/cluster.h"

#define VOC_CORPUS_NONE UINT32_MAX

/* Rows rows[0..m) of x as a matrix of their own (cluster.c). */
void voc_csr_select(const voc_csr *x, const uint32_t *rows, size_t m, voc_csr *out);

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
