/* test_item.c: voc_item JSON decoding, validation errors and round trip. */
#include "common/item.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static int s_decode(voc_item *it, const char *json, voc_err *err)
{
    return voc_item_from_json(it, json, strlen(json), NULL, NULL, err);
}

/* Decoding must fail, and the message must contain `needle`. */
static void s_expect_reject(const char *json, const char *needle)
{
    voc_item it;
    voc_err err = {0};
    int rc = s_decode(&it, json, &err);
    cr_assert_neq(rc, 0, "accepted: %s", json);
    cr_assert(strstr(err.msg, needle) != NULL, "for %s: message '%s' lacks '%s'", json, err.msg,
              needle);
    cr_assert_null(it.text, "item not cleared after rejection");
}

Test(item, decodes_every_field)
{
    const char *json =
        "{\"uid\":\"typeform:abc\",\"source\":\"typeform\",\"kind\":\"nps\","
        "\"created_at\":\"2026-03-04T10:11:12Z\",\"received_at\":1772619100,"
        "\"customer_id\":\"cus_1\",\"account\":\"Acme\",\"attrs\":{\"plan\":\"pro\",\"seats\":12,"
        "\"trial\":true},\"score\":3,\"subject\":\"Billing\",\"text\":\"Charged twice\"}";
    voc_item it;
    voc_err err;
    cr_assert_eq(s_decode(&it, json, &err), 0, "%s", err.msg);
    cr_assert_str_eq(it.uid, "typeform:abc");
    cr_assert_str_eq(it.source, "typeform");
    cr_assert_eq(it.kind, VOC_KIND_NPS);
    cr_assert_eq(it.created_at, 1772619072);
    cr_assert_eq(it.received_at, 1772619100);
    cr_assert_str_eq(it.customer_id, "cus_1");
    cr_assert_str_eq(it.account, "Acme");
    cr_assert_eq(it.attr_count, 3);
    cr_assert_str_eq(voc_item_attr(&it, "plan"), "pro");
    cr_assert_str_eq(voc_item_attr(&it, "seats"), "12");
    cr_assert_str_eq(voc_item_attr(&it, "trial"), "true");
    cr_assert_eq(it.scale, VOC_SCALE_NPS);
    cr_assert_eq(it.score, 3);
    cr_assert_str_eq(it.subject, "Billing");
    cr_assert_str_eq(it.text, "Charged twice");
    cr_assert_eq(it.text_len, 13);
    voc_item_clear(&it);
}

Test(item, round_trip_is_stable)
{
    const char *json = "{\"uid\":\"u1\",\"source\":\"api\",\"kind\":\"survey\","
                       "\"created_at\":\"2026-01-02\",\"attrs\":{\"region\":\"emea\"},"
                       "\"score\":4,\"scale\":\"rating\",\"text\":\"Caf\xc3\xa9 \\\"quoted\\\"\\n"
                       "line two\"}";
    voc_item a, b;
    voc_err err;
    cr_assert_eq(s_decode(&a, json, &err), 0, "%s", err.msg);
    char *enc = voc_item_to_json(&a, 0);
    cr_assert_eq(s_decode(&b, enc, &err), 0, "%s: %s", enc, err.msg);
    char *enc2 = voc_item_to_json(&b, 0);
    cr_assert_str_eq(enc, enc2);
    cr_assert_str_eq(b.text, "Caf\xc3\xa9 \"quoted\"\nline two");
    cr_assert_eq(b.scale, VOC_SCALE_RATING);
    cr_assert_eq(b.score, 4);
    cr_assert_eq(b.created_at, a.created_at);
    char h1[17], h2[17];
    voc_item_content_hash(&a, h1);
    voc_item_content_hash(&b, h2);
    cr_assert_str_eq(h1, h2);
    free(enc);
    free(enc2);
    voc_item_clear(&a);
    voc_item_clear(&b);
}

Test(item, defaults_and_derived_uid)
{
    voc_item a, b;
    voc_err err;
    voc_item_defaults def = {.source = "helpdesk", .kind = VOC_KIND_TICKET, .received_at = 1000};
    const char *json = "{\"text\":\"The app is slow\",\"created_at\":\"2026-01-01\"}";
    cr_assert_eq(voc_item_from_json(&a, json, strlen(json), NULL, &def, &err), 0);
    cr_assert_str_eq(a.source, "helpdesk");
    cr_assert_eq(a.kind, VOC_KIND_TICKET);
    cr_assert_eq(a.received_at, 1000);
    cr_assert(strncmp(a.uid, "h-", 2) == 0 && strlen(a.uid) == 34, "uid %s", a.uid);
    /* Same content, later delivery: same uid (re-imports are idempotent). */
    def.received_at = 2000;
    cr_assert_eq(voc_item_from_json(&b, json, strlen(json), NULL, &def, &err), 0);
    cr_assert_str_eq(a.uid, b.uid);
    voc_item_clear(&b);
    /* Different text: different uid. */
    const char *json2 = "{\"text\":\"The app is fast\",\"created_at\":\"2026-01-01\"}";
    cr_assert_eq(voc_item_from_json(&b, json2, strlen(json2), NULL, &def, &err), 0);
    cr_assert_str_neq(a.uid, b.uid);
    voc_item_clear(&a);
    voc_item_clear(&b);
}

Test(item, missing_created_at_uses_received_at)
{
    voc_item it;
    voc_err err;
    cr_assert_eq(s_decode(&it, "{\"text\":\"hi\",\"received_at\":\"2026-05-05\"}", &err), 0);
    cr_assert_eq(it.created_at, it.received_at);
    voc_item_clear(&it);
}

Test(item, nps_kind_implies_nps_scale_and_vice_versa)
{
    voc_item it;
    voc_err err;
    cr_assert_eq(s_decode(&it, "{\"text\":\"ok\",\"kind\":\"nps\",\"score\":9}", &err), 0);
    cr_assert_eq(it.scale, VOC_SCALE_NPS);
    voc_item_clear(&it);
    cr_assert_eq(s_decode(&it, "{\"text\":\"ok\",\"scale\":\"nps\",\"score\":0}", &err), 0);
    cr_assert_eq(it.kind, VOC_KIND_NPS);
    cr_assert_eq(it.score, 0);
    voc_item_clear(&it);
    /* Numeric strings from CSV cells are scores too; an empty cell is none. */
    cr_assert_eq(s_decode(&it, "{\"text\":\"ok\",\"kind\":\"nps\",\"score\":\" 7 \"}", &err), 0);
    cr_assert_eq(it.score, 7);
    voc_item_clear(&it);
    cr_assert_eq(s_decode(&it, "{\"text\":\"ok\",\"score\":\"\"}", &err), 0);
    cr_assert_eq(it.scale, VOC_SCALE_NONE);
    voc_item_clear(&it);
}

Test(item, rejects_missing_or_empty_text)
{
    s_expect_reject("{\"uid\":\"x\"}", "text: missing");
    s_expect_reject("{\"text\":\"   \\n\"}", "text: empty");
    s_expect_reject("{\"text\":null}", "text: missing");
    s_expect_reject("{\"text\":42}", "text: must be a string");
    s_expect_reject("{\"text\":\"\",\"score\":\"\"}", "text: empty");
}

Test(item, a_score_alone_is_an_item_with_empty_text)
{
    voc_item it;
    voc_err err;
    cr_assert_eq(s_decode(&it, "{\"uid\":\"n1\",\"kind\":\"nps\",\"score\":9}", &err), 0, "%s",
                 err.msg);
    cr_assert_str_eq(it.text, "");
    cr_assert_eq(it.text_len, 0);
    cr_assert_eq(it.score, 9);
    cr_assert_eq(it.scale, VOC_SCALE_NPS);
    voc_item_clear(&it);
    cr_assert_eq(s_decode(&it, "{\"text\":\"  \",\"score\":3,\"scale\":\"nps\"}", &err), 0);
    cr_assert_str_eq(it.text, "");
    voc_item_clear(&it);
}

Test(item, rejects_out_of_range_scores)
{
    s_expect_reject("{\"text\":\"a\",\"kind\":\"nps\",\"score\":11}",
                    "score: 11 is out of range 0-10 for scale nps");
    s_expect_reject("{\"text\":\"a\",\"kind\":\"nps\",\"score\":-1}", "out of range 0-10");
    s_expect_reject("{\"text\":\"a\",\"kind\":\"survey\",\"score\":0}",
                    "score: 0 is out of range 1-5 for scale rating");
    s_expect_reject("{\"text\":\"a\",\"score\":7.5}", "score: 7.5 must be a whole number");
    s_expect_reject("{\"text\":\"a\",\"score\":\"seven\"}", "score: 'seven' is not a number");
    s_expect_reject("{\"text\":\"a\",\"score\":3,\"scale\":\"stars\"}",
                    "scale: 'stars' is not nps or rating");
    s_expect_reject("{\"text\":\"a\",\"scale\":\"nps\"}", "scale: given without a score");
}

Test(item, rejects_bad_times)
{
    s_expect_reject("{\"text\":\"a\",\"created_at\":\"yesterday\"}", "created_at:");
    s_expect_reject("{\"text\":\"a\",\"created_at\":\"2026-02-30\"}", "created_at:");
    s_expect_reject("{\"text\":\"a\",\"received_at\":\"2026-13-01\"}", "received_at:");
    s_expect_reject("{\"text\":\"a\",\"created_at\":1.5}", "created_at:");
    s_expect_reject("{\"text\":\"a\",\"created_at\":[]}", "created_at: must be");
    /* 12 digits are neither seconds nor milliseconds (fuzz_item). */
    s_expect_reject("{\"text\":\"a\",\"created_at\":886119072000}", "created_at:");
    s_expect_reject("{\"text\":\"a\",\"created_at\":10000000000000}", "created_at:");
}

Test(item, rejects_invalid_utf8_naming_the_field)
{
    s_expect_reject("{\"text\":\"bad \xff byte\"}", "text: invalid UTF-8");
    s_expect_reject("{\"text\":\"ok\",\"subject\":\"\xc3\x28\"}", "subject: invalid UTF-8");
    s_expect_reject("{\"text\":\"ok\",\"attrs\":{\"plan\":\"\xed\xa0\x80\"}}",
                    "attrs.plan: invalid UTF-8");
    /* overlong encoding of '/' */
    s_expect_reject("{\"text\":\"\xc0\xaf\"}", "text: invalid UTF-8");
}

Test(item, rejects_escaped_and_raw_nul)
{
    s_expect_reject("{\"text\":\"before\\u0000after\"}", "text: contains an escaped NUL");
    /* An escaped backslash followed by u0000 is just text. */
    voc_item it;
    voc_err err;
    cr_assert_eq(s_decode(&it, "{\"text\":\"path \\\\u0000 literal\"}", &err), 0, "%s", err.msg);
    cr_assert_str_eq(it.text, "path \\u0000 literal");
    voc_item_clear(&it);
    const char raw[] = "{\"text\":\"a\0b\"}";
    cr_assert_neq(voc_item_from_json(&it, raw, sizeof raw - 1, NULL, NULL, &err), 0);
    cr_assert(strstr(err.msg, "NUL byte") != NULL, "%s", err.msg);
}

Test(item, rejects_text_over_limit_without_truncating)
{
    voc_item_limits lim = voc_item_limits_default();
    lim.max_text = 10;
    voc_item it;
    voc_err err;
    const char *json = "{\"text\":\"0123456789A\"}";
    cr_assert_eq(voc_item_from_json(&it, json, strlen(json), &lim, NULL, &err), VOC_ELIMIT);
    cr_assert(strstr(err.msg, "text: 11 bytes exceeds the 10-byte limit") != NULL, "%s", err.msg);
    const char *ok = "{\"text\":\"0123456789\"}";
    cr_assert_eq(voc_item_from_json(&it, ok, strlen(ok), &lim, NULL, &err), 0);
    cr_assert_eq(it.text_len, 10);
    voc_item_clear(&it);
    /* The default limit is 64 KiB. */
    cr_assert_eq(voc_item_limits_default().max_text, 65536);
}

Test(item, rejects_wrong_shapes)
{
    s_expect_reject("not json", "not valid JSON");
    s_expect_reject("{\"text\":\"a\"", "not valid JSON");
    s_expect_reject("[{\"text\":\"a\"}]", "must be a JSON object");
    s_expect_reject("{\"text\":\"a\"} {\"text\":\"b\"}", "unexpected data after");
    s_expect_reject("", "empty payload");
    s_expect_reject("{\"txt\":\"a\"}", "unknown field 'txt' (did you mean 'text'?)");
    s_expect_reject("{\"text\":\"a\",\"kind\":\"complaint\"}", "kind: 'complaint' is not one of");
    s_expect_reject("{\"text\":\"a\",\"text\":\"b\"}", "text: field appears twice");
    s_expect_reject("{\"text\":\"a\",\"source\":\"has space\"}", "source:");
    s_expect_reject("{\"text\":\"a\",\"attrs\":[1]}", "attrs: must be an object");
    s_expect_reject("{\"text\":\"a\",\"attrs\":{\"x\":{\"y\":{\"z\":{\"w\":{\"v\":{\"u\":{\"t\":"
                    "{\"s\":1}}}}}}}}}",
                    "nested deeper");
}

Test(item, analysis_fields_are_encoded_on_request)
{
    voc_item it;
    voc_err err;
    cr_assert_eq(s_decode(&it, "{\"uid\":\"a\",\"text\":\"refund please\"}", &err), 0);
    voc_item_theme *t = voc_item_add_theme(&it, "billing.refund", 1.5);
    voc_item_theme_add_evidence(t, "keyword:refund", 0, 6);
    it.sentiment = -0.5;
    it.has_sentiment = true;
    char *plain = voc_item_to_json(&it, 0);
    char *full = voc_item_to_json(&it, VOC_ITEM_JSON_ANALYSIS);
    cr_assert_null(strstr(plain, "themes"));
    cr_assert(strstr(full, "\"themes\":[{\"id\":\"billing.refund\",\"score\":1.5,\"evidence\":"
                           "[{\"rule\":\"keyword:refund\",\"start\":0,\"end\":6}]}]") != NULL,
              "%s", full);
    cr_assert(strstr(full, "\"sentiment\":-0.5") != NULL, "%s", full);
    /* An export with analysis can be imported again (themes are recomputed). */
    voc_item back;
    cr_assert_eq(s_decode(&back, full, &err), 0, "%s", err.msg);
    cr_assert_eq(back.theme_count, 0);
    voc_item_clear(&back);
    free(plain);
    free(full);
    voc_item_clear(&it);
}

/* An item without created_at: its derived uid does not depend on arrival
 * time, and its defaulted created_at is not sent on as if it were real. */
Test(item, missing_created_at_is_stable_across_resends)
{
    const char *j = "{\"text\":\"refund please\",\"source\":\"x\"}";
    voc_item a, b;
    voc_item_defaults d1 = {.received_at = 1700000000}, d2 = {.received_at = 1700000999};
    voc_err err = {0};
    cr_assert_eq(voc_item_from_json(&a, j, strlen(j), NULL, &d1, &err), 0, "%s", err.msg);
    cr_assert_eq(voc_item_from_json(&b, j, strlen(j), NULL, &d2, &err), 0, "%s", err.msg);
    cr_assert_str_eq(a.uid, b.uid);
    cr_assert(a.created_defaulted);
    cr_assert_eq(a.created_at, 1700000000);
    char *out = voc_item_to_json(&a, 0);
    cr_assert_null(strstr(out, "created_at"), "%s", out);
    free(out);
    out = voc_item_to_json(&a, VOC_ITEM_JSON_ANALYSIS);
    cr_assert_not_null(strstr(out, "created_at"), "%s", out);
    free(out);
    voc_item_clear(&a);
    voc_item_clear(&b);
}
