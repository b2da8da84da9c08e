/* test_redact.c: PII redaction (processor/redact.h): what is replaced, what
 * must stay readable, the Luhn check, rule-set patterns, counts. */
#include "processor/redact.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static voc_redactor *s_red;

static void s_setup(void)
{
    voc_err err = {0};
    voc_redact_rule extra[] = {{"account_id", "\\bACC-\\d{6}\\b"}};
    cr_assert_eq(voc_redactor_new(&s_red, extra, 1, &err), 0, "%s", err.msg);
}

static void s_teardown(void)
{
    voc_redactor_destroy(&s_red);
}

TestSuite(redact, .init = s_setup, .fini = s_teardown);

typedef struct s_case {
    const char *in;
    const char *out;
} s_case;

static const s_case s_cases[] = {
    {"mail me at jane.doe+vip@example.co.uk please", "mail me at [email] please"},
    {"Two: a@b.io, c_d@mail.example.com.", "Two: [email], [email]."},
    {"card 4111 1111 1111 1111 was charged", "card [card] was charged"},
    {"card 4111-1111-1111-1111", "card [card]"},
    {"amex 378282246310005 ok", "amex [card] ok"},
    {"not a card: 4111 1111 1111 1112", "not a card: 4111 1111 1111 1112"},
    {"call (555) 123-4567 or +44 20 7946 0958", "call [phone] or [phone]"},
    {"call 555-123-4567.", "call [phone]."},
    {"order #48213 on 2026-03-04 at 10:31, v2.4.1, 3 seats, $1,200.00",
     "order #48213 on 2026-03-04 at 10:31, v2.4.1, 3 seats, $1,200.00"},
    {"my account ACC-123456 is locked", "my account [account_id] is locked"},
    {"caf\xc3\xa9 owner ren\xc3\xa9@caf\xc3\xa9.fr", "caf\xc3\xa9 owner [email]"},
    {"", ""},
};

Test(redact, cases)
{
    voc_redact_counts counts = {0};
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        char *s = strdup(s_cases[i].in);
        size_t len = strlen(s);
        voc_redact(s_red, &s, &len, &counts);
        cr_assert_str_eq(s, s_cases[i].out, "case %zu", i);
        cr_assert_eq(len, strlen(s));
        free(s);
    }
    cr_assert_eq(counts.n[VOC_REDACT_EMAIL], 4);
    cr_assert_eq(counts.n[VOC_REDACT_CARD], 3);
    cr_assert_eq(counts.n[VOC_REDACT_PHONE], 3);
    cr_assert_eq(counts.n[VOC_REDACT_CUSTOM], 1);
}

Test(redact, luhn)
{
    cr_assert(voc_luhn_valid("4111111111111111", 16));
    cr_assert(voc_luhn_valid("79927398713", 11));
    cr_assert_not(voc_luhn_valid("79927398710", 11));
    cr_assert_not(voc_luhn_valid("", 0));
}

Test(redact, bad_custom_pattern_names_the_rule)
{
    voc_redactor *r = NULL;
    voc_err err = {0};
    voc_redact_rule bad[] = {{"broken", "(unclosed"}};
    cr_assert_eq(voc_redactor_new(&r, bad, 1, &err), VOC_EPARSE);
    cr_assert(strstr(err.msg, "broken"), "%s", err.msg);
    cr_assert_null(r);
}

Test(redact, returns_count_and_leaves_clean_text_alone)
{
    char *s = strdup("nothing personal here, just slow dashboards");
    char *orig = s;
    size_t len = strlen(s);
    cr_assert_eq(voc_redact(s_red, &s, &len, NULL), 0);
    cr_assert_eq(s, orig, "clean text is not copied");
    free(s);
}
