/* test_tokenize.c: the tokenize stage (processor/tokenize.h): word
 * boundaries on Unicode categories, apostrophes, case folding, stop words,
 * stems, numbers, byte offsets, and robustness to invalid UTF-8. */
#include "processor/tokenize.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static voc_tokenizer *s_tok;

static void s_setup(void)
{
    voc_err err = {0};
    const char *extra[] = {"Acme", NULL};
    cr_assert_eq(voc_tokenizer_new(&s_tok, extra, &err), 0, "%s", err.msg);
}

static void s_teardown(void)
{
    voc_tokenizer_destroy(&s_tok);
    cr_assert_null(s_tok);
}

TestSuite(tokenize, .init = s_setup, .fini = s_teardown);

typedef struct s_result {
    voc_token *toks;
    size_t n;
    voc_buf arena;
    const char *text;
} s_result;

static s_result s_run(const char *text)
{
    s_result r = {.text = text};
    voc_err err = {0};
    cr_assert_eq(voc_tokenize_text(s_tok, text, strlen(text), &r.toks, &r.n, &r.arena, &err), 0,
                 "%s", err.msg);
    return r;
}

static void s_free(s_result *r)
{
    free(r->toks);
    voc_buf_free(&r->arena);
}

static const char *s_norm(const s_result *r, size_t i)
{
    return r->arena.data + r->toks[i].norm;
}
static const char *s_stem(const s_result *r, size_t i)
{
    return r->arena.data + r->toks[i].stem;
}

/* The token's bytes in the original text. */
static void s_assert_span(const s_result *r, size_t i, const char *want)
{
    size_t len = r->toks[i].end - r->toks[i].start;
    cr_assert_eq(len, strlen(want), "token %zu spans %zu bytes, want \"%s\"", i, len, want);
    cr_assert(memcmp(r->text + r->toks[i].start, want, len) == 0, "token %zu is \"%.*s\"", i,
              (int)len, r->text + r->toks[i].start);
}

/* Compare norms with a space-separated expectation. */
static void s_assert_norms(const s_result *r, const char *want)
{
    char got[512] = "";
    for (size_t i = 0; i < r->n; i++) {
        if (i) strcat(got, " ");
        strcat(got, s_norm(r, i));
    }
    cr_assert_str_eq(got, want);
}

Test(tokenize, splits_on_punctuation_and_space)
{
    s_result r = s_run("Hello, world!  Export-to-CSV\tfails.");
    s_assert_norms(&r, "hello world export to csv fails");
    s_assert_span(&r, 0, "Hello");
    s_assert_span(&r, 2, "Export");
    s_assert_span(&r, 5, "fails");
    s_free(&r);
}

Test(tokenize, apostrophes_inside_words_only)
{
    s_result r = s_run("Don't 'quote' customers' data rock'n'roll");
    s_assert_norms(&r, "don't quote customers data rock'n'roll");
    cr_assert(r.toks[0].flags & VOC_TOKEN_STOP, "don't is a stop word");
    s_assert_span(&r, 2, "customers");
    s_free(&r);
}

Test(tokenize, curly_apostrophe_folds_to_ascii)
{
    s_result r = s_run("I don\xe2\x80\x99t know");
    s_assert_norms(&r, "i don't know");
    s_assert_span(&r, 1, "don\xe2\x80\x99t");
    cr_assert(r.toks[1].flags & VOC_TOKEN_STOP);
    s_free(&r);
}

Test(tokenize, unicode_case_folding_and_letters)
{
    s_result r = s_run("\xc3\x89"
                       "COLE Stra\xc3\x9f"
                       "e \xce\x9a\xce\x91\xce\x9b\xce\x97");
    s_assert_norms(&r, "\xc3\xa9"
                       "cole stra\xc3\x9f"
                       "e \xce\xba\xce\xb1\xce\xbb\xce\xb7");
    s_free(&r);
}

Test(tokenize, combining_marks_stay_in_the_word)
{
    s_result r = s_run("cafe\xcc\x81 ok");
    cr_assert_eq(r.n, 2);
    s_assert_span(&r, 0, "cafe\xcc\x81");
    s_free(&r);
}

Test(tokenize, emoji_and_symbols_separate)
{
    s_result r = s_run("slow\xf0\x9f\x98\xa1"
                       "app\xe2\x80\x94sync");
    s_assert_norms(&r, "slow app sync");
    s_free(&r);
}

Test(tokenize, numbers_are_flagged_and_not_stemmed)
{
    s_result r = s_run("Error 404 after 2FA on v2");
    s_assert_norms(&r, "error 404 after 2fa on v2");
    cr_assert(r.toks[1].flags & VOC_TOKEN_NUMBER);
    cr_assert_str_eq(s_stem(&r, 1), "404");
    cr_assert_not(r.toks[3].flags & VOC_TOKEN_NUMBER, "2fa has a letter");
    cr_assert_not(r.toks[5].flags & VOC_TOKEN_NUMBER);
    s_free(&r);
}

Test(tokenize, inflections_share_a_stem)
{
    s_result r = s_run("refund refunds refunded refunding Refunds");
    cr_assert_eq(r.n, 5);
    for (size_t i = 1; i < r.n; i++)
        cr_assert_str_eq(s_stem(&r, i), s_stem(&r, 0), "token %zu", i);
    cr_assert_str_eq(s_stem(&r, 0), "refund");
    s_free(&r);
}

Test(tokenize, stems_differ_from_norms_where_snowball_says)
{
    s_result r = s_run("connection connected charges");
    cr_assert_str_eq(s_stem(&r, 0), "connect");
    cr_assert_str_eq(s_stem(&r, 1), "connect");
    cr_assert_str_eq(s_stem(&r, 2), "charg");
    cr_assert_str_eq(s_norm(&r, 2), "charges");
    s_free(&r);
}

Test(tokenize, stop_words_builtin_and_extra)
{
    s_result r = s_run("The ACME app is down");
    s_assert_norms(&r, "the acme app is down");
    cr_assert(r.toks[0].flags & VOC_TOKEN_STOP);
    cr_assert(r.toks[1].flags & VOC_TOKEN_STOP, "extra stop word, folded");
    cr_assert_not(r.toks[2].flags & VOC_TOKEN_STOP);
    cr_assert(r.toks[3].flags & VOC_TOKEN_STOP);
    cr_assert_not(r.toks[4].flags & VOC_TOKEN_STOP, "'down' means an outage here");
    cr_assert(voc_tokenizer_is_stop(s_tok, "the"));
    cr_assert_not(voc_tokenizer_is_stop(s_tok, "refund"));
    s_free(&r);
}

Test(tokenize, invalid_utf8_bytes_are_separators)
{
    s_result r = s_run("abc\xff\xfe"
                       "def \xc3 ghi \xe2\x82");
    s_assert_norms(&r, "abc def ghi");
    s_assert_span(&r, 1, "def");
    s_free(&r);
}

Test(tokenize, empty_and_separator_only_text)
{
    s_result r = s_run("");
    cr_assert_eq(r.n, 0);
    s_free(&r);
    r = s_run(" ... !!! \xf0\x9f\x91\x8d ");
    cr_assert_eq(r.n, 0);
    s_free(&r);
}

Test(tokenize, very_long_word_is_kept_unstemmed)
{
    char text[300];
    memset(text, 'x', 250);
    strcpy(text + 250, "ing end");
    s_result r = s_run(text);
    cr_assert_eq(r.n, 2);
    cr_assert_eq(strlen(s_norm(&r, 0)), 253);
    cr_assert_str_eq(s_stem(&r, 0), s_norm(&r, 0));
    s_free(&r);
}

Test(tokenize, item_tokens_replace_earlier_ones)
{
    voc_item it;
    voc_item_init(&it);
    it.text = strdup("Slow exports");
    it.text_len = strlen(it.text);
    voc_err err = {0};
    cr_assert_eq(voc_tokenize_item(s_tok, &it, &err), 0, "%s", err.msg);
    cr_assert_eq(it.token_count, 2);
    cr_assert_eq(voc_tokenize_item(s_tok, &it, &err), 0);
    cr_assert_eq(it.token_count, 2);
    cr_assert_str_eq(it.token_arena + it.tokens[1].stem, "export");
    voc_item_clear(&it);
}

Test(tokenize, stem_helper_truncates_to_capacity)
{
    char out[4];
    voc_tokenizer_stem(s_tok, "connections", 11, out, sizeof out);
    cr_assert_str_eq(out, "con");
}
