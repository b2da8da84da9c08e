/* tokenize.h: UTF-8 aware word splitting, case folding, stop words and
 * Snowball English stemming: the processor's tokenize stage, shared with the
 * rule engine (keywords match on stems) and the CLI.
 *
 * A token is a maximal run of letters, marks and digits (Unicode categories
 * L*, M*, N*); an apostrophe (' or U+2019) between two letters stays inside
 * the word ("don't"). Tokens are lower-cased per code point and stemmed with
 * libstemmer's "english" algorithm. A voc_tokenizer is not thread-safe (the
 * stemmer keeps state): use one per thread. */
#ifndef VOC_TOKENIZE_H
#define VOC_TOKENIZE_H

#include "common/alloc.h"
#include "common/err.h"
#include "common/item.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct voc_tokenizer voc_tokenizer;

/* extra_stop_words: NULL-terminated list added to the built-in English stop
 * words (may be NULL). Caller owns *out; free with voc_tokenizer_destroy. */
int voc_tokenizer_new(voc_tokenizer **out, const char *const *extra_stop_words, voc_err *err);
void voc_tokenizer_destroy(voc_tokenizer **self_p);

/* Tokenize text[0..len) (valid UTF-8) into *tokens (caller frees with
 * free()), with their strings appended to arena (norm and stem are offsets
 * into arena->data). */
int voc_tokenize_text(voc_tokenizer *t, const char *text, size_t len, voc_token **tokens,
                      size_t *count, voc_buf *arena, voc_err *err);

/* The tokenize stage: fill it->tokens, token_count, token_arena from it->text,
 * replacing any earlier tokens. */
int voc_tokenize_item(voc_tokenizer *t, voc_item *it, voc_err *err);

/* True when the lower-cased word is a stop word. */
bool voc_tokenizer_is_stop(const voc_tokenizer *t, const char *word);

/* Stem one lower-cased word into out (NUL-terminated, truncated to cap). */
void voc_tokenizer_stem(voc_tokenizer *t, const char *word, size_t len, char *out, size_t cap);

#endif
