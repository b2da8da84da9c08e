/* tokenize.c: the processor's tokenize stage (see tokenize.h).
 *
 * One pass over the text: code points are classified with utf8proc, words are
 * lower-cased into an arena, checked against a stop-word hash set and stemmed
 * with libstemmer. Plain ASCII takes a fast path that never calls utf8proc;
 * invalid UTF-8 bytes are treated as separators so a bad byte can never stop
 * an item from being analysed. */
#include "processor/tokenize.h"

#include <libstemmer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Words longer than this are kept as tokens but not stemmed (URLs, hashes,
 * base64 blobs): the stemmer has nothing useful to say about them. */
#define S_STEM_MAX 64

/* English function words: frequent, carry no theme. Negations ("not", "no",
 * "never") are stop words too; the sentiment stage reads them from the token
 * flags, not from keyword matching. */
static const char *const s_english_stop[] = {
    "a",       "about",   "after",    "all",    "also",      "am",       "an",         "and",
    "any",     "are",     "aren't",   "as",     "at",        "be",       "because",    "been",
    "before",  "being",   "between",  "both",   "but",       "by",       "can",        "can't",
    "cannot",  "could",   "couldn't", "did",    "didn't",    "do",       "does",       "doesn't",
    "doing",   "don't",   "during",   "each",   "either",    "else",     "ever",       "every",
    "for",     "from",    "get",      "gets",   "got",       "had",      "hadn't",     "has",
    "hasn't",  "have",    "haven't",  "having", "he",        "he'd",     "he'll",      "he's",
    "her",     "here",    "here's",   "hers",   "herself",   "him",      "himself",    "his",
    "how",     "how's",   "i",        "i'd",    "i'll",      "i'm",      "i've",       "if",
    "in",      "into",    "is",       "isn't",  "it",        "it's",     "its",        "itself",
    "just",    "let's",   "me",       "might",  "much",      "must",     "mustn't",    "my",
    "myself",  "no",      "nor",      "not",    "now",       "of",       "on",         "once",
    "or",      "ought",   "our",      "ours",   "ourselves", "shall",    "shan't",     "she",
    "she'd",   "she'll",  "she's",    "should", "shouldn't", "so",       "some",       "such",
    "than",    "that",    "that's",   "the",    "their",     "theirs",   "them",       "themselves",
    "then",    "there",   "there's",  "these",  "they",      "they'd",   "they'll",    "they're",
    "they've", "this",    "those",    "though", "through",   "to",       "until",      "upon",
    "us",      "was",     "wasn't",   "we",     "we'd",      "we'll",    "we're",      "we've",
    "were",    "weren't", "what",     "what's", "when",      "when's",   "where",      "where's",
    "whether", "which",   "while",    "who",    "who's",     "whom",     "why",        "why's",
    "will",    "with",    "won't",    "would",  "wouldn't",  "yet",      "you",        "you'd",
    "you'll",  "you're",  "you've",   "your",   "yours",     "yourself", "yourselves", "never",
    "im",      "ive",     "dont",     "cant",   "wont",      "didnt",    "doesnt",     "isnt",
    "its",     "thats"};

/* Feedback repeats a small vocabulary, and Snowball costs more than a
 * lookup: a direct-mapped cache of short words and their stems roughly
 * doubles tokenizing speed. Longer words skip it. */
#define S_CACHE_SLOTS 16384
#define S_CACHE_WORD 24

typedef struct s_cache_slot {
    uint8_t word_len; /* 0: empty */
    uint8_t stem_len;
    uint32_t stem_hash;
    char word[S_CACHE_WORD];
    char stem[S_CACHE_WORD];
} s_cache_slot;

struct voc_tokenizer {
    struct sb_stemmer *stemmer;
    /* Open-addressing set of owned, lower-cased stop words. */
    char **stop;
    size_t stop_cap; /* power of two */
    size_t stop_count;
    voc_buf word;        /* scratch: the current lower-cased word */
    s_cache_slot *cache; /* word -> stem, direct-mapped */
    uint64_t cache_hits;
    uint64_t cache_misses;
};

static uint64_t s_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static bool s_stop_lookup(const voc_tokenizer *t, const char *w, size_t len)
{
    if (!t->stop_cap) return false;
    size_t mask = t->stop_cap - 1;
    for (size_t i = s_hash(w, len) & mask;; i = (i + 1) & mask) {
        const char *s = t->stop[i];
        if (!s) return false;
        if (strncmp(s, w, len) == 0 && s[len] == '\0') return true;
    }
}

static void s_stop_add(voc_tokenizer *t, const char *w)
{
    size_t len = strlen(w);
    if (len == 0 || s_stop_lookup(t, w, len)) return;
    if ((t->stop_count + 1) * 2 > t->stop_cap) {
        size_t old_cap = t->stop_cap;
        char **old = t->stop;
        t->stop_cap = old_cap ? old_cap * 2 : 512;
        t->stop = voc_calloc(t->stop_cap, sizeof *t->stop);
        for (size_t i = 0; i < old_cap; i++) {
            if (!old[i]) continue;
            size_t mask = t->stop_cap - 1, j = s_hash(old[i], strlen(old[i])) & mask;
            while (t->stop[j])
                j = (j + 1) & mask;
            t->stop[j] = old[i];
        }
        free(old);
    }
    size_t mask = t->stop_cap - 1, j = s_hash(w, len) & mask;
    while (t->stop[j])
        j = (j + 1) & mask;
    t->stop[j] = voc_strdup(w);
    t->stop_count++;
}

int voc_tokenizer_new(voc_tokenizer **out, const char *const *extra_stop_words, voc_err *err)
{
    *out = NULL;
    voc_tokenizer *t = voc_calloc(1, sizeof *t);
    t->stemmer = sb_stemmer_new("english", "UTF_8");
    t->cache = voc_calloc(S_CACHE_SLOTS, sizeof *t->cache);
    if (!t->stemmer) {
        voc_tokenizer_destroy(&t);
        return voc_err_set(err, VOC_EINVAL, "libstemmer has no English UTF-8 stemmer");
    }
    for (size_t i = 0; i < sizeof s_english_stop / sizeof s_english_stop[0]; i++)
        s_stop_add(t, s_english_stop[i]);
    for (size_t i = 0; extra_stop_words && extra_stop_words[i]; i++) {
        /* Extra words go through the same folding as text so "Acme" and
         * "acme" are one stop word. */
        voc_token *toks = NULL;
        size_t n = 0;
        voc_buf arena = {0};
        const char *w = extra_stop_words[i];
        int rc = voc_tokenize_text(t, w, strlen(w), &toks, &n, &arena, err);
        if (rc == 0 && n == 1)
            s_stop_add(t, arena.data + toks[0].norm);
        else if (rc == 0)
            s_stop_add(t, w);
        free(toks);
        voc_buf_free(&arena);
        if (rc) {
            voc_tokenizer_destroy(&t);
            return rc;
        }
    }
    *out = t;
    return 0;
}

void voc_tokenizer_destroy(voc_tokenizer **self_p)
{
    if (!self_p || !*self_p) return;
    voc_tokenizer *t = *self_p;
    if (t->stemmer) sb_stemmer_delete(t->stemmer);
    for (size_t i = 0; i < t->stop_cap; i++)
        free(t->stop[i]);
    free(t->stop);
    free(t->cache);
    voc_buf_free(&t->word);
    free(t);
    *self_p = NULL;
}

bool voc_tokenizer_is_stop(const voc_tokenizer *t, const char *word)
{
    return s_stop_lookup(t, word, strlen(word));
}

void voc_tokenizer_stem(voc_tokenizer *t, const char *word, size_t len, char *out, size_t cap)
{
    if (cap == 0) return;
    const char *src = word;
    size_t n = len;
    if (len <= S_STEM_MAX) {
        const sb_symbol *s = sb_stemmer_stem(t->stemmer, (const sb_symbol *)word, (int)len);
        if (s) {
            src = (const char *)s;
            n = (size_t)sb_stemmer_length(t->stemmer);
        }
    }
    if (n >= cap) n = cap - 1;
    memcpy(out, src, n);
    out[n] = '\0';
}

static size_t s_stem_cached(voc_tokenizer *t, const char *w, size_t len, char *out, size_t cap,
                            uint32_t *stem_hash)
{
    if (len >= S_CACHE_WORD) {
        voc_tokenizer_stem(t, w, len, out, cap);
        size_t sl = strlen(out);
        *stem_hash = voc_stem_hash(out, sl);
        return sl;
    }
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)w[i];
        h *= 1099511628211ULL;
    }
    s_cache_slot *c = &t->cache[h & (S_CACHE_SLOTS - 1)];
    if (c->word_len == len && memcmp(c->word, w, len) == 0) {
        memcpy(out, c->stem, c->stem_len);
        out[c->stem_len] = '\0';
        *stem_hash = c->stem_hash;
        t->cache_hits++;
        return c->stem_len;
    }
    t->cache_misses++;
    voc_tokenizer_stem(t, w, len, out, cap);
    size_t sl = strlen(out);
    *stem_hash = voc_stem_hash(out, sl);
    if (sl < S_CACHE_WORD) {
        c->word_len = (uint8_t)len;
        memcpy(c->word, w, len);
        c->stem_len = (uint8_t)sl;
        memcpy(c->stem, out, sl);
        c->stem_hash = *stem_hash;
    }
    return sl;
}

typedef enum s_class { S_SEP, S_LETTER, S_DIGIT, S_APOS } s_class;

/* Decode one code point at s[i..len): its class, byte length and lower-case
 * form. Invalid bytes are one-byte separators. */
static s_class s_next(const unsigned char *s, size_t len, size_t i, size_t *adv, int32_t *lower)
{
    unsigned char c = s[i];
    if (c < 0x80) {
        *adv = 1;
        *lower = (c >= 'A' && c <= 'Z') ? c + 32 : c;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return S_LETTER;
        if (c >= '0' && c <= '9') return S_DIGIT;
        return c == '\'' ? S_APOS : S_SEP;
    }
    int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
    if (n <= 0) {
        *adv = 1;
        *lower = 0;
        return S_SEP;
    }
    *adv = (size_t)n;
    if (cp == 0x2019 || cp == 0x02BC) { /* right single quote, modifier apostrophe */
        *lower = '\'';
        return S_APOS;
    }
    utf8proc_category_t cat = utf8proc_category(cp);
    *lower = utf8proc_tolower(cp);
    if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_ME) return S_LETTER;
    if (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO) return S_DIGIT;
    return S_SEP;
}

static void s_put_cp(voc_buf *b, int32_t cp)
{
    if (cp < 0x80) {
        voc_buf_putc(b, (char)cp);
        return;
    }
    utf8proc_uint8_t enc[4];
    utf8proc_ssize_t n = utf8proc_encode_char(cp, enc);
    voc_buf_append(b, enc, (size_t)n);
}

int voc_tokenize_text(voc_tokenizer *t, const char *text, size_t len, voc_token **tokens,
                      size_t *count, voc_buf *arena, voc_err *err)
{
    const unsigned char *s = (const unsigned char *)text;
    voc_token *toks = NULL;
    size_t n = 0, cap = 0;
    if (len > UINT32_MAX)
        return voc_err_set(err, VOC_ELIMIT, "text of %zu bytes is too long to tokenize", len);
    size_t i = 0;
    while (i < len) {
        size_t adv;
        int32_t lower;
        s_class cls = s_next(s, len, i, &adv, &lower);
        if (cls != S_LETTER && cls != S_DIGIT) {
            i += adv;
            continue;
        }
        /* A word: letters, marks and digits, with apostrophes allowed between
         * two letters. */
        size_t start = i;
        bool all_digits = true;
        voc_buf_reset(&t->word);
        while (i < len) {
            cls = s_next(s, len, i, &adv, &lower);
            if (cls == S_LETTER || cls == S_DIGIT) {
                if (cls == S_LETTER) all_digits = false;
                s_put_cp(&t->word, lower);
                i += adv;
                continue;
            }
            if (cls == S_APOS && i + adv < len && !all_digits) {
                size_t adv2;
                int32_t lower2;
                if (s_next(s, len, i + adv, &adv2, &lower2) == S_LETTER) {
                    voc_buf_putc(&t->word, '\'');
                    i += adv;
                    continue;
                }
            }
            break;
        }
        voc_grow((void **)&toks, &cap, n + 1, sizeof *toks);
        voc_token *tok = &toks[n++];
        tok->start = (uint32_t)start;
        tok->end = (uint32_t)i;
        tok->flags = 0;
        tok->norm = (uint32_t)arena->len;
        voc_buf_append(arena, t->word.data, t->word.len);
        voc_buf_putc(arena, '\0');
        if (all_digits) tok->flags |= VOC_TOKEN_NUMBER;
        if (s_stop_lookup(t, t->word.data, t->word.len)) tok->flags |= VOC_TOKEN_STOP;
        if (all_digits) {
            tok->stem = tok->norm;
            tok->stem_hash = voc_stem_hash(t->word.data, t->word.len);
            continue;
        }
        char stem[S_STEM_MAX * 4 + 1];
        size_t sl = s_stem_cached(t, t->word.data, t->word.len, stem, sizeof stem, &tok->stem_hash);
        if (sl == t->word.len && memcmp(stem, t->word.data, sl) == 0) {
            tok->stem = tok->norm;
        } else {
            tok->stem = (uint32_t)arena->len;
            voc_buf_append(arena, stem, sl);
            voc_buf_putc(arena, '\0');
        }
    }
    *tokens = toks;
    *count = n;
    return 0;
}

int voc_tokenize_item(voc_tokenizer *t, voc_item *it, voc_err *err)
{
    voc_token *toks = NULL;
    size_t n = 0;
    voc_buf arena = {0};
    int rc = voc_tokenize_text(t, it->text, it->text_len, &toks, &n, &arena, err);
    if (rc) {
        voc_buf_free(&arena);
        return rc;
    }
    free(it->tokens);
    free(it->token_arena);
    it->tokens = toks;
    it->token_count = n;
    it->token_arena = arena.data;
    it->token_arena_len = arena.len;
    return 0;
}
