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
    cr_assert_eq(voc_sentiment_new(&s_sent, NULL, &err), 0, "%s", err.msg);
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
    cr_assert_eq(voc_sentiment_new(&s, neg, &err), 0);
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
