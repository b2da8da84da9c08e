/* cluster_corpus.c: texts to TF-IDF rows, and the clustering method on top
 * of the numeric core (see cluster.h, docs/clustering.md).
 *
 * Terms are interned once in an open-addressing table: unigram stems and
 * bigrams ("stem stem"). Each document keeps its terms with their counts
 * (all documents, in scope or not, because suggested rules are checked
 * against everything). finish() keeps the terms within the df limits over
 * the in-scope documents, renumbers them in first-seen order and weighs the
 * in-scope rows. The surface form of a stem is the lower-cased word that
 * produced it most often, so labels and rules read "exports", not "export".
 *
 * The method: near-duplicates collapse into one weighted row; rows that fit
 * a saved cluster join it; the rest are projected onto their top LSA
 * directions and split top-down by a von Mises-Fisher mixture, which
 * chooses k (cluster_method.c); groups under min_size fold into their
 * nearest cluster. A
 * suggested rule is searched over the candidates' presence masks: every
 * document is reduced to the bitmask of candidate terms it contains, so a
 * weighting is scored over a few thousand distinct masks, not the corpus. */
#include "processor/cluster.h"
#include "processor/cluster_int.h"

#include "common/alloc.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S_NONE VOC_CORPUS_NONE

/* Words that say how a customer tells a story, not what it is about: the
 * rest of the usual English function-word list (the tokenizer keeps the
 * shortest one, for rule keywords) and the fillers of support narratives
 * ("told", "called", "days", "please"). Dropped for clustering only; like
 * numbers they end a bigram, because rule keywords do not skip them. */
static const char *const s_filler[] = {
    "above",      "across",    "actually",   "afterwards", "again",        "against",
    "ago",        "almost",    "alone",      "along",      "already",      "although",
    "always",     "among",     "amongst",    "another",    "anyhow",       "anyone",
    "anything",   "anyway",    "anywhere",   "around",     "ask",          "asked",
    "asking",     "back",      "became",     "become",     "becomes",      "becoming",
    "beforehand", "behind",    "below",      "beside",     "besides",      "beyond",
    "called",     "calling",   "came",       "come",       "couldnt",      "day",
    "days",       "dear",      "done",       "due",        "eight",        "eleven",
    "elsewhere",  "enough",    "etc",        "even",       "everyone",     "everything",
    "everywhere", "except",    "fifteen",    "fifty",      "first",        "five",
    "former",     "formerly",  "forty",      "four",       "further",      "gave",
    "getting",    "give",      "go",         "going",      "gone",         "hasnt",
    "hello",      "hence",     "hereafter",  "hereby",     "herein",       "hereupon",
    "hey",        "hi",        "however",    "hundred",    "indeed",       "knew",
    "know",       "last",      "latter",     "latterly",   "let",          "lets",
    "like",       "made",      "make",       "many",       "may",          "maybe",
    "meanwhile",  "month",     "months",     "moreover",   "most",         "mostly",
    "namely",     "need",      "needed",     "neither",    "nevertheless", "next",
    "nine",       "nobody",    "none",       "noone",      "nothing",      "nowhere",
    "often",      "one",       "only",       "onto",       "other",        "others",
    "otherwise",  "over",      "own",        "per",        "perhaps",      "please",
    "put",        "rather",    "really",     "receive",    "received",     "receiving",
    "regards",    "said",      "same",       "say",        "saying",       "says",
    "second",     "see",       "seem",       "seemed",     "seeming",      "seems",
    "send",       "sending",   "sent",       "several",    "since",        "sincere",
    "sincerely",  "six",       "sixty",      "somehow",    "someone",      "something",
    "sometime",   "sometimes", "somewhere",  "still",      "take",         "tell",
    "telling",    "ten",       "thank",      "thanks",     "thence",       "thereafter",
    "thereby",    "therefore", "therein",    "thereupon",  "thing",        "things",
    "third",      "three",     "throughout", "thru",       "thus",         "today",
    "together",   "told",      "took",       "toward",     "towards",      "tried",
    "try",        "trying",    "twelve",     "twenty",     "two",          "under",
    "via",        "want",      "wanted",     "way",        "week",         "weeks",
    "well",       "went",      "whatever",   "whence",     "whenever",     "whereafter",
    "whereas",    "whereby",   "wherein",    "whereupon",  "wherever",     "whither",
    "whoever",    "whole",     "whose",      "within",     "without",      "year",
    "years",      "yesterday",
};

/* ---- hashing and interning ------------------------------------------------------ */

static uint64_t s_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    /* FNV-1a's high bits are weak for short keys; SimHash reads all 64. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static const char *s_str(const voc_corpus *c, uint32_t off)
{
    return c->strs.data + off;
}

/* Find key in t. Returns the record index or S_NONE; *slot_out the slot
 * to insert at. */
static uint32_t s_find(const voc_corpus *c, const voc_ctable *t, const char *key, size_t len,
                       uint64_t h, size_t *slot_out)
{
    if (!t->cap) {
        *slot_out = 0;
        return S_NONE;
    }
    size_t mask = t->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const voc_cslot *e = &t->slot[i];
        if (!e->id1) {
            *slot_out = i;
            return S_NONE;
        }
        const char *rs = s_str(c, e->str);
        if (e->hash == h && strncmp(rs, key, len) == 0 && rs[len] == '\0') return e->id1 - 1;
    }
}

/* Make room for one more entry (keeps the load under one half). */
static void s_table_grow(voc_ctable *t)
{
    if ((t->count + 1) * 2 <= t->cap) return;
    size_t cap = t->cap ? t->cap * 2 : 1024;
    voc_cslot *slot = voc_calloc(cap, sizeof *slot);
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slot[i].id1) continue;
        size_t j = t->slot[i].hash & (cap - 1);
        while (slot[j].id1)
            j = (j + 1) & (cap - 1);
        slot[j] = t->slot[i];
    }
    free(t->slot);
    t->slot = slot;
    t->cap = cap;
}

/* Insert (key at string offset str, hash h) -> id; key must be absent. */
static void s_table_put(const voc_corpus *c, voc_ctable *t, const char *key, size_t len, uint64_t h,
                        uint32_t str, uint32_t id)
{
    size_t slot;
    s_table_grow(t);
    s_find(c, t, key, len, h, &slot);
    t->slot[slot] = (voc_cslot){.hash = h, .str = str, .id1 = id + 1};
    t->count++;
}

static uint32_t s_strs_add(voc_corpus *c, const char *s, size_t len)
{
    uint32_t off = (uint32_t)c->strs.len;
    voc_buf_append(&c->strs, s, len);
    voc_buf_putc(&c->strs, '\0');
    return off;
}

/* The term for key (inserting it when insert), or S_NONE. */
static uint32_t s_term_get(voc_corpus *c, const char *key, size_t len, bool insert, uint32_t a,
                           uint32_t b)
{
    uint64_t h = s_hash(key, len);
    size_t slot;
    uint32_t id = s_find(c, &c->term_index, key, len, h, &slot);
    if (id != S_NONE || !insert) return id;
    voc_grow((void **)&c->terms, &c->term_cap, c->term_count + 1, sizeof *c->terms);
    id = (uint32_t)c->term_count++;
    uint32_t str = s_strs_add(c, key, len);
    c->terms[id] = (voc_cterm){.hash = h, .str = str, .kept = S_NONE, .a = a, .b = b};
    s_table_put(c, &c->term_index, key, len, h, str, id);
    return id;
}

/* Count one sighting of word (a lower-cased surface form) for term. */
static void s_norm_count(voc_corpus *c, const char *word, size_t len, uint32_t term)
{
    /* A word always stems the same way, so the word alone is the key. */
    uint64_t h = s_hash(word, len);
    size_t slot;
    uint32_t id = s_find(c, &c->norm_index, word, len, h, &slot);
    if (id == S_NONE) {
        voc_grow((void **)&c->norms, &c->norm_cap, c->norm_count + 1, sizeof *c->norms);
        id = (uint32_t)c->norm_count++;
        uint32_t str = s_strs_add(c, word, len);
        c->norms[id] = (voc_cnorm){.str = str, .term = term};
        s_table_put(c, &c->norm_index, word, len, h, str, id);
    }
    c->norms[id].count++;
}

/* The clustering stop words: s_filler and the caller's extra words. */
static void s_stop_add(voc_corpus *c, const char *w)
{
    size_t len = strlen(w), slot;
    uint64_t h = s_hash(w, len);
    if (s_find(c, &c->stop_index, w, len, h, &slot) != S_NONE) return;
    s_table_put(c, &c->stop_index, w, len, h, s_strs_add(c, w, len), (uint32_t)c->stop_index.count);
}

static bool s_is_stop(const voc_corpus *c, const char *w)
{
    size_t len = strlen(w), slot;
    return s_find(c, &c->stop_index, w, len, s_hash(w, len), &slot) != S_NONE;
}

/* ---- documents ---------------------------------------------------------------------- */

voc_corpus_opts voc_corpus_opts_default(void)
{
    return (voc_corpus_opts){
        .bigrams = true, .min_df = 0.003, .max_df = 0.9, .sublinear = true, .max_terms = 0};
}

int voc_corpus_new(voc_corpus **out, const voc_corpus_opts *opts, voc_err *err)
{
    voc_corpus_opts o = opts ? *opts : voc_corpus_opts_default();
    *out = NULL;
    if (o.min_df < 0 || o.max_df <= 0)
        return voc_err_set(err, VOC_EINVAL, "min_df must be >= 0 and max_df > 0");
    voc_corpus *c = voc_calloc(1, sizeof *c);
    c->opts = o;
    c->doc_ptr = voc_malloc(sizeof *c->doc_ptr);
    c->doc_cap = 1;
    c->doc_ptr[0] = 0;
    voc_buf_putc(&c->strs, '\0'); /* offset 0: the empty string */
    for (size_t i = 0; i < sizeof s_filler / sizeof s_filler[0]; i++)
        s_stop_add(c, s_filler[i]);
    for (size_t i = 0; o.stop_words && o.stop_words[i]; i++) {
        char *w = voc_strdup(o.stop_words[i]);
        for (char *p = w; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
        s_stop_add(c, w);
        free(w);
    }
    c->opts.stop_words = NULL; /* borrowed: not kept */
    *out = c;
    return 0;
}

void voc_corpus_destroy(voc_corpus **self_p)
{
    if (!self_p || !*self_p) return;
    voc_corpus *c = *self_p;
    voc_buf_free(&c->strs);
    free(c->terms);
    free(c->term_index.slot);
    free(c->norms);
    free(c->norm_index.slot);
    free(c->stop_index.slot);
    free(c->doc_ptr);
    free(c->dterm);
    free(c->dcount);
    free(c->in_scope);
    free(c->scratch);
    voc_buf_free(&c->key);
    voc_csr_clear(&c->m);
    free(c->row_doc);
    free(c->doc_row);
    free(c->vocab);
    free(c->df);
    free(c->col_hash);
    if (c->surface)
        for (size_t j = 0; j < c->vocab_count; j++)
            free(c->surface[j]);
    free(c->surface);
    free(c);
    *self_p = NULL;
}

/* Redaction marks (XXXX, XX/XX/XXXX as xx and xxxx) and one-letter words. */
static bool s_noise(const char *w)
{
    size_t len = strlen(w);
    if (len < 2) return true;
    for (size_t i = 0; i < len; i++)
        if (w[i] != 'x') return false;
    return true;
}

/* Punctuation that ends a clause: no bigram reaches across it. */
static bool s_clause_break(const char *text, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++)
        if (strchr(".,;:!?()[]{}\"|\n", text[i]) && text[i]) return true;
    return false;
}

static void s_scratch_push(voc_corpus *c, size_t *n, uint32_t v)
{
    voc_grow((void **)&c->scratch, &c->scratch_cap, *n + 1, sizeof *c->scratch);
    c->scratch[(*n)++] = v;
}

/* The terms of one text into c->scratch (original ids, unsorted, repeats
 * kept); unknown terms are added when insert, skipped otherwise. Surface
 * forms are counted when insert. */
static size_t s_doc_terms(voc_corpus *c, const char *text, const voc_token *tok, size_t n,
                          const char *arena, bool insert)
{
    size_t out = 0;
    uint32_t prev = S_NONE, prev_end = 0;
    const char *prev_norm = NULL;
    for (size_t i = 0; i < n; i++) {
        const voc_token *t = &tok[i];
        if (t->flags & VOC_TOKEN_STOP) continue;
        const char *norm = arena + t->norm;
        if ((t->flags & VOC_TOKEN_NUMBER) || s_noise(norm) || s_is_stop(c, norm)) {
            prev = S_NONE;
            continue;
        }
        const char *stem = arena + t->stem;
        uint32_t id = s_term_get(c, stem, strlen(stem), insert, S_NONE, S_NONE);
        if (id == S_NONE) {
            /* Not in the vocabulary: it still separates its neighbours. */
            prev = S_NONE;
            continue;
        }
        if (insert) s_norm_count(c, norm, strlen(norm), id);
        s_scratch_push(c, &out, id);
        if (c->opts.bigrams && prev != S_NONE && !s_clause_break(text, prev_end, t->start)) {
            voc_buf_reset(&c->key);
            voc_buf_puts(&c->key, s_str(c, c->terms[prev].str));
            voc_buf_putc(&c->key, ' ');
            voc_buf_puts(&c->key, stem);
            uint32_t bi = s_term_get(c, c->key.data, c->key.len, insert, prev, id);
            if (bi != S_NONE) {
                s_scratch_push(c, &out, bi);
                if (insert) {
                    voc_buf_reset(&c->key);
                    voc_buf_puts(&c->key, prev_norm);
                    voc_buf_putc(&c->key, ' ');
                    voc_buf_puts(&c->key, norm);
                    s_norm_count(c, c->key.data, c->key.len, bi);
                }
            }
        }
        prev = id;
        prev_end = t->end;
        prev_norm = norm;
    }
    return out;
}

size_t voc_corpus_add(voc_corpus *c, const char *text, const voc_token *tok, size_t n,
                      const char *arena, bool in_scope)
{
    size_t nt = s_doc_terms(c, text, tok, n, arena, true);
    if (nt > 1) qsort(c->scratch, nt, sizeof *c->scratch, voc_cmp_u32);
    size_t doc = c->doc_count;
    voc_grow((void **)&c->doc_ptr, &c->doc_cap, doc + 2, sizeof *c->doc_ptr);
    voc_grow((void **)&c->in_scope, &c->scope_cap, doc + 1, sizeof *c->in_scope);
    c->in_scope[doc] = in_scope;
    if (in_scope) c->scope_count++;
    for (size_t i = 0; i < nt;) {
        size_t j = i;
        while (j < nt && c->scratch[j] == c->scratch[i])
            j++;
        uint32_t id = c->scratch[i];
        size_t cap_before = c->dterm_cap;
        voc_grow((void **)&c->dterm, &c->dterm_cap, c->dterm_count + 1, sizeof *c->dterm);
        if (c->dterm_cap != cap_before)
            c->dcount = voc_realloc(c->dcount, c->dterm_cap * sizeof *c->dcount);
        c->dterm[c->dterm_count] = id;
        c->dcount[c->dterm_count++] = (uint16_t)(j - i > UINT16_MAX ? UINT16_MAX : j - i);
        voc_cterm *t = &c->terms[id];
        if (t->last_doc != doc + 1) {
            t->last_doc = (uint32_t)(doc + 1);
            t->df_all++;
            if (in_scope) t->df_scope++;
        }
        i = j;
    }
    c->doc_ptr[doc + 1] = c->dterm_count;
    c->doc_count++;
    return doc;
}

typedef struct s_df_id {
    uint32_t df;
    uint32_t id;
} s_df_id;

/* Terms by df (descending), then id: for max_terms. */
static int s_cmp_df(const void *a, const void *b)
{
    const s_df_id *x = a, *y = b;
    if (x->df != y->df) return x->df > y->df ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

int voc_corpus_finish(voc_corpus *c, voc_err *err)
{
    if (c->finished) return voc_err_set(err, VOC_ESTATE, "corpus already finished");
    c->finished = true;
    double n = (double)c->scope_count;
    double lo = c->opts.min_df;
    if (lo < 1) {
        /* A share: at least 2 documents (a word one text uses groups
         * nothing) and at most 20 (a small new theme keeps its words). */
        lo = ceil(lo * n);
        lo = lo < 2 ? 2 : lo > 20 ? 20 : lo;
    }
    double hi = c->opts.max_df < 1 ? floor(c->opts.max_df * n) : INFINITY;
    if (hi < lo) hi = lo; /* tiny corpora: keep what occurs */
    uint32_t *keep = voc_malloc((c->term_count ? c->term_count : 1) * sizeof *keep);
    size_t nk = 0;
    for (size_t i = 0; i < c->term_count; i++) {
        double df = c->terms[i].df_scope;
        if (df >= lo && df <= hi) keep[nk++] = (uint32_t)i;
    }
    if (c->opts.max_terms && nk > c->opts.max_terms) {
        s_df_id *by = voc_malloc(nk * sizeof *by);
        for (size_t i = 0; i < nk; i++)
            by[i] = (s_df_id){c->terms[keep[i]].df_scope, keep[i]};
        qsort(by, nk, sizeof *by, s_cmp_df);
        nk = c->opts.max_terms;
        for (size_t i = 0; i < nk; i++)
            keep[i] = by[i].id;
        free(by);
        qsort(keep, nk, sizeof *keep, voc_cmp_u32);
    }
    c->vocab = keep;
    c->vocab_count = nk;
    c->df = voc_malloc((nk ? nk : 1) * sizeof *c->df);
    c->col_hash = voc_malloc((nk ? nk : 1) * sizeof *c->col_hash);
    for (size_t j = 0; j < nk; j++) {
        voc_cterm *t = &c->terms[keep[j]];
        t->kept = (uint32_t)j;
        c->df[j] = t->df_scope;
        c->col_hash[j] = t->hash;
    }
    /* Surface forms: the most frequent lower-cased word per stem. */
    uint32_t *best = voc_malloc((c->term_count ? c->term_count : 1) * sizeof *best);
    memset(best, 0xff, (c->term_count ? c->term_count : 1) * sizeof *best);
    for (size_t i = 0; i < c->norm_count; i++) {
        const voc_cnorm *nm = &c->norms[i];
        uint32_t b = best[nm->term];
        if (b == S_NONE || nm->count > c->norms[b].count) best[nm->term] = (uint32_t)i;
    }
    c->surface = voc_calloc(nk ? nk : 1, sizeof *c->surface);
    for (size_t j = 0; j < nk; j++) {
        const voc_cterm *t = &c->terms[keep[j]];
        uint32_t b = best[keep[j]];
        if (b != S_NONE) {
            c->surface[j] = voc_strdup(s_str(c, c->norms[b].str));
        } else if (t->a == S_NONE) {
            c->surface[j] = voc_strdup(s_str(c, t->str));
        } else {
            uint32_t ba = best[t->a], bb = best[t->b];
            c->surface[j] = voc_asprintf(
                "%s %s", ba == S_NONE ? s_str(c, c->terms[t->a].str) : s_str(c, c->norms[ba].str),
                bb == S_NONE ? s_str(c, c->terms[t->b].str) : s_str(c, c->norms[bb].str));
        }
    }
    free(best);
    /* In-scope rows; original ids ascend within a document and kept ids
     * keep their order, so rows come out sorted. */
    size_t rows = c->scope_count, nnz = 0;
    c->row_doc = voc_malloc((rows ? rows : 1) * sizeof *c->row_doc);
    c->doc_row = voc_malloc((c->doc_count ? c->doc_count : 1) * sizeof *c->doc_row);
    for (size_t d = 0; d < c->doc_count; d++)
        if (c->in_scope[d])
            for (size_t p = c->doc_ptr[d]; p < c->doc_ptr[d + 1]; p++)
                if (c->terms[c->dterm[p]].kept != S_NONE) nnz++;
    c->m.rows = rows;
    c->m.cols = nk;
    c->m.row_ptr = voc_malloc((rows + 1) * sizeof *c->m.row_ptr);
    c->m.col = voc_malloc((nnz ? nnz : 1) * sizeof *c->m.col);
    c->m.val = voc_malloc((nnz ? nnz : 1) * sizeof *c->m.val);
    size_t r = 0, q = 0;
    for (size_t d = 0; d < c->doc_count; d++) {
        if (!c->in_scope[d]) {
            c->doc_row[d] = -1;
            continue;
        }
        c->doc_row[d] = (long)r;
        c->row_doc[r] = (uint32_t)d;
        c->m.row_ptr[r] = q;
        for (size_t p = c->doc_ptr[d]; p < c->doc_ptr[d + 1]; p++) {
            uint32_t k = c->terms[c->dterm[p]].kept;
            if (k == S_NONE) continue;
            c->m.col[q] = k;
            c->m.val[q++] = c->dcount[p];
        }
        r++;
    }
    c->m.row_ptr[rows] = q;
    if (!c->opts.raw_counts) voc_tfidf_apply(&c->m, c->df, rows, c->opts.sublinear);
    return 0;
}

const voc_csr *voc_corpus_matrix(const voc_corpus *c)
{
    return &c->m;
}

size_t voc_corpus_doc_of_row(const voc_corpus *c, size_t row)
{
    return c->row_doc[row];
}

long voc_corpus_row_of_doc(const voc_corpus *c, size_t doc)
{
    return doc < c->doc_count && c->doc_row ? c->doc_row[doc] : -1;
}

size_t voc_corpus_doc_count(const voc_corpus *c)
{
    return c->doc_count;
}

size_t voc_corpus_term_count(const voc_corpus *c)
{
    return c->vocab_count;
}

const char *voc_corpus_term(const voc_corpus *c, size_t j)
{
    return s_str(c, c->terms[c->vocab[j]].str);
}

const char *voc_corpus_surface(const voc_corpus *c, size_t j)
{
    return c->surface[j];
}

long voc_corpus_term_index(const voc_corpus *c, const char *term)
{
    size_t slot;
    uint32_t id = s_find(c, &c->term_index, term, strlen(term), s_hash(term, strlen(term)), &slot);
    if (id == S_NONE || c->terms[id].kept == S_NONE) return -1;
    return (long)c->terms[id].kept;
}

void voc_corpus_project(voc_corpus *c, const char *text, const voc_token *tok, size_t ntok,
                        const char *arena, uint32_t *col, float *val, size_t *n)
{
    size_t nt = s_doc_terms(c, text, tok, ntok, arena, false);
    *n = 0;
    for (size_t i = 0; i < nt; i++)
        c->scratch[i] = c->terms[c->scratch[i]].kept;
    if (nt > 1) qsort(c->scratch, nt, sizeof *c->scratch, voc_cmp_u32);
    size_t m = 0;
    for (size_t i = 0; i < nt;) {
        size_t j = i;
        while (j < nt && c->scratch[j] == c->scratch[i])
            j++;
        if (c->scratch[i] != S_NONE) {
            col[m] = c->scratch[i];
            val[m++] = (float)(j - i);
        }
        i = j;
    }
    /* One row through the same weighting as the corpus. */
    size_t ptr[2] = {0, m};
    voc_csr one = {.rows = 1, .cols = c->vocab_count, .row_ptr = ptr, .col = col, .val = val};
    if (!c->opts.raw_counts) voc_tfidf_apply(&one, c->df, c->scope_count, c->opts.sublinear);
    *n = m;
}
