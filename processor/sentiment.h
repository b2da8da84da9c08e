/* sentiment.h: the sentiment stage, a lexicon scorer over the item's tokens.
 *
 * Each token whose stem is in a built-in English lexicon of opinion words
 * ("love" +3, "slow" -1.5, "useless" -2.5, ...) adds its valence; a
 * negation cue among the three tokens before it flips and dampens it ("not
 * good" is mildly negative), an intensifier before it ("very", "really")
 * strengthens it, and words after "but" count more than words before it. The
 * sum is squashed into -1 .. +1. Clauses end at . , ; : ! ? and line breaks
 * and at "but"/"however"; cues do not reach across them. It runs after tokenize and reads only
 * tokens, so it costs one hash lookup per token. */
#ifndef VOC_SENTIMENT_H
#define VOC_SENTIMENT_H

#include "common/err.h"
#include "common/item.h"

typedef struct voc_sentiment voc_sentiment;

/* A team's own lexicon entry (a rule set's "lexicon"): word -> valence. */
typedef struct voc_lexicon_entry {
    const char *word;
    double valence; /* -5 .. +5; 0 removes a built-in word */
} voc_lexicon_entry;

/* negations: NULL-terminated negation cues (lower case; a rule set's
 * "negations"), or NULL for the built-in English list. lexicon entries
 * (may be NULL) add to and override the built-in lexicon. Caller owns *out;
 * free with voc_sentiment_destroy. Read-only after creation: may be shared
 * by threads. */
int voc_sentiment_new(voc_sentiment **out, const char *const *negations,
                      const voc_lexicon_entry *lexicon, size_t lexicon_count, voc_err *err);
void voc_sentiment_destroy(voc_sentiment **self_p);

/* Score it from its tokens (it must be tokenized): sets it->sentiment in
 * -1 .. +1 and it->has_sentiment. 0 means neutral or no opinion words. When
 * the item has a score, it is blended in (NPS 0 -> -1, 5 -> 0, 10 -> +1;
 * ratings 1 .. 5 likewise). Each theme already on the item gets the
 * sentiment of the clauses that hold its evidence ("great support, terrible
 * billing" is positive for support, negative for billing), or the item's
 * when those clauses carry no opinion. */
void voc_sentiment_score(const voc_sentiment *s, voc_item *it);

/* The valence of one word (any inflection) in the lexicon, 0 when absent. */
double voc_sentiment_word(const voc_sentiment *s, const char *word);

#endif
