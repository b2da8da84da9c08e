/* test_sentiment.c: the sentiment stage (processor/sentiment.h): signs,
 * negation, intensifiers, "but" clauses, inflections, bounds. */
#include "processor/sentiment.h"
#include "processor/tokenize.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static voc_sentiment *s_sent;
static voc_tokenizer *s_tok;

static void s_setup(void)
{
    voc_err err = {0};
    cr_assert_eq(voc_sentiment_new(&s_sent, NULL, NULL, 0, &err), 0, "%s", err.msg);
    cr_assert_eq(voc_tokenizer_new(&s_tok, NULL, &err), 0, "%s", err.msg);
}

static void s_teardown(void)
{
    voc_sentiment_destroy(&s_sent);
    voc_tokenizer_destroy(&s_tok);
    cr_assert_null(s_sent);
}

TestSuite(sentiment, .init = s_setup, .fini = s_teardown);

static double s_score(const char *text)
{
    voc_item it;
    voc_item_init(&it);
    it.text = strdup(text);
    it.text_len = strlen(text);
    voc_err err = {0};
    cr_assert_eq(voc_tokenize_item(s_tok, &it, &err), 0, "%s", err.msg);
    voc_sentiment_score(s_sent, &it);
    cr_assert(it.has_sentiment);
    double v = it.sentiment;
    voc_item_clear(&it);
    cr_assert(v > -1.0 && v < 1.0, "%s: %f out of bounds", text, v);
    return v;
}

Test(sentiment, signs)
{
    cr_assert_gt(s_score("I love this product, the team is amazing"), 0.5);
    cr_assert_lt(s_score("Terrible experience, the app crashes and support is useless"), -0.5);
    cr_assert_float_eq(s_score("We use it for invoices every Monday"), 0.0, 1e-9);
    cr_assert_float_eq(s_score(""), 0.0, 1e-9);
}

Test(sentiment, complaints_of_the_domain_are_negative)
{
    cr_assert_lt(s_score("Dashboards are slow and laggy"), -0.2);
    cr_assert_lt(s_score("way overpriced for what it does"), -0.2);
    cr_assert_lt(s_score("Export failed again with an error"), -0.3);
}

Test(sentiment, negation_flips_and_dampens)
{
    double good = s_score("the support was good");
    double not_good = s_score("the support was not good");
    double awful = s_score("the support was awful");
    cr_assert_gt(good, 0);
    cr_assert_lt(not_good, 0, "not good must be negative");
    cr_assert_gt(not_good, awful, "not good is milder than awful");
    cr_assert_gt(s_score("The app doesn\xe2\x80\x99t crash anymore"), 0,
                 "curly apostrophe negation");
    cr_assert_gt(s_score("never had a problem"), 0);
}

Test(sentiment, negation_reach_is_limited)
{
    /* "not" far before "great" must not flip it. */
    cr_assert_gt(s_score("not sure why people complain, honestly the editor is great"),
                 s_score("not great"));
}

Test(sentiment, intensifiers_and_diminishers)
{
    double slow = s_score("it is slow");
    cr_assert_lt(s_score("it is very slow"), slow);
    cr_assert_gt(s_score("it is a bit slow"), slow);
}

Test(sentiment, clause_after_but_weighs_more)
{
    cr_assert_lt(s_score("Great features but the support is terrible"), 0);
    cr_assert_gt(s_score("Support was terrible but the features are great"), 0);
}

Test(sentiment, inflections_count)
{
    cr_assert_lt(voc_sentiment_word(s_sent, "crashed"), 0);
    cr_assert_lt(voc_sentiment_word(s_sent, "Crashing"), 0);
    cr_assert_gt(voc_sentiment_word(s_sent, "loved"), 0);
    cr_assert_float_eq(voc_sentiment_word(s_sent, "invoice"), 0.0, 1e-9);
}

Test(sentiment, custom_negations)
{
    voc_sentiment *s = NULL;
    const char *neg[] = {"nie", NULL};
    voc_err err = {0};
    cr_assert_eq(voc_sentiment_new(&s, neg, NULL, 0, &err), 0);
    voc_item it;
    voc_item_init(&it);
    it.text = strdup("nie good");
    it.text_len = strlen(it.text);
    cr_assert_eq(voc_tokenize_item(s_tok, &it, &err), 0);
    voc_sentiment_score(s, &it);
    cr_assert_lt(it.sentiment, 0);
    voc_item_clear(&it);
    voc_sentiment_destroy(&s);
}

/* Score a text with themes whose evidence spans the given words. */
static voc_item s_scored_with_themes(const char *text, const char *const *ids,
                                     const char *const *words, size_t n)
{
    voc_item it;
    voc_item_init(&it);
    it.text = strdup(text);
    it.text_len = strlen(text);
    voc_err err = {0};
    cr_assert_eq(voc_tokenize_item(s_tok, &it, &err), 0);
    for (size_t i = 0; i < n; i++) {
        const char *at = strstr(text, words[i]);
        cr_assert_not_null(at);
        voc_item_theme *t = voc_item_add_theme(&it, ids[i], 1.0);
        voc_item_theme_add_evidence(t, "keyword:x", (uint32_t)(at - text),
                                    (uint32_t)(at - text + strlen(words[i])));
    }
    voc_sentiment_score(s_sent, &it);
    return it;
}

Test(sentiment, per_theme_from_its_clause)
{
    const char *ids[] = {"support", "billing"}, *words[] = {"support", "billing"};
    voc_item it = s_scored_with_themes("Great support, terrible billing", ids, words, 2);
    cr_assert(it.themes[0].has_sentiment && it.themes[1].has_sentiment);
    cr_assert_gt(it.themes[0].sentiment, 0.3, "support: %f", it.themes[0].sentiment);
    cr_assert_lt(it.themes[1].sentiment, -0.3, "billing: %f", it.themes[1].sentiment);
    voc_item_clear(&it);

    /* A neutral clause falls back to the item's sentiment. */
    const char *ids2[] = {"billing"}, *words2[] = {"invoice"};
    it = s_scored_with_themes("Where is the invoice? The app is awful", ids2, words2, 1);
    cr_assert_float_eq(it.themes[0].sentiment, it.sentiment, 1e-9);
    cr_assert_lt(it.sentiment, 0);
    voc_item_clear(&it);
}

Test(sentiment, nps_score_is_blended_in)
{
    voc_item it;
    voc_item_init(&it);
    it.text = strdup("the invoice arrived");
    it.text_len = strlen(it.text);
    it.scale = VOC_SCALE_NPS;
    it.score = 0;
    voc_err err = {0};
    cr_assert_eq(voc_tokenize_item(s_tok, &it, &err), 0);
    voc_sentiment_score(s_sent, &it);
    cr_assert_float_eq(it.sentiment, -0.5, 1e-9, "no opinion words: half the score's pull");
    it.score = 10;
    voc_sentiment_score(s_sent, &it);
    cr_assert_float_eq(it.sentiment, 0.5, 1e-9);
    voc_item_clear(&it);

    /* Opinion words and a detractor score: both count. */
    voc_item_init(&it);
    it.text = strdup("I love the editor");
    it.text_len = strlen(it.text);
    cr_assert_eq(voc_tokenize_item(s_tok, &it, &err), 0);
    voc_sentiment_score(s_sent, &it);
    double text_only = it.sentiment;
    it.scale = VOC_SCALE_NPS;
    it.score = 2;
    voc_sentiment_score(s_sent, &it);
    cr_assert_lt(it.sentiment, text_only);
    cr_assert_gt(it.sentiment, 0);
    voc_item_clear(&it);
}

Test(sentiment, team_lexicon_overrides_and_adds)
{
    voc_sentiment *s = NULL;
    voc_lexicon_entry lex[] = {{"Sunset", -2.0}, {"slow", 0}};
    voc_err err = {0};
    cr_assert_eq(voc_sentiment_new(&s, NULL, lex, 2, &err), 0);
    cr_assert_float_eq(voc_sentiment_word(s, "sunsetting"), -2.0, 1e-9, "stemmed team word");
    cr_assert_float_eq(voc_sentiment_word(s, "slow"), 0.0, 1e-9, "0 removes a built-in word");
    voc_item it;
    voc_item_init(&it);
    it.text = strdup("so slow");
    it.text_len = strlen(it.text);
    cr_assert_eq(voc_tokenize_item(s_tok, &it, &err), 0);
    voc_sentiment_score(s, &it);
    cr_assert_float_eq(it.sentiment, 0.0, 1e-9);
    voc_item_clear(&it);
    voc_sentiment_destroy(&s);
}
