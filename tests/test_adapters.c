/* test_adapters.c: the vendor webhook adapters of voc-collect http
 * (collectors/adapter.h): for each vendor, the saved delivery in
 * tests/data/webhooks/ (signature headers computed with openssl, see the
 * README there) verifies and maps to the expected items; a wrong or
 * missing signature is VOC_EAUTH; a body of the wrong shape is a parse
 * error naming the field; a replay maps to the same uid and content. */
#include "collectors/adapter.h"
#include "common/vtime.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TYPEFORM_SECRET "tf-test-secret-3b7c"
#define DELIGHTED_SECRET "dl-test-api-key-91e2"
#define FORMBRICKS_SECRET "whsec_dm9jLXRlc3QtZm9ybWJyaWNrcy1rZXktMzJieXRlcyE="
#define ZENDESK_SECRET "zd-test-signing-secret-5a0f"
#define INTERCOM_SECRET "ic-test-client-secret-77d1"
#define FORMBRICKS_TS 1767225630 /* webhook-timestamp in the saved headers */

/* ---- a request as the HTTP server would hand it over ------------------- */

typedef struct s_req {
    voc_http_req req;
    char *body;
    char *name[8];
    char *value[8];
    size_t n;
} s_req;

static const char *s_header(const voc_http_req *req, const char *name)
{
    const s_req *r = req->impl;
    for (size_t i = 0; i < r->n; i++)
        if (strcasecmp(r->name[i], name) == 0) return r->value[i];
    return NULL;
}

/* Set (value) or remove (NULL) a header. */
static void s_set_header(s_req *r, const char *name, const char *value)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcasecmp(r->name[i], name) == 0) {
            free(r->name[i]);
            free(r->value[i]);
            r->n--;
            r->name[i] = r->name[r->n];
            r->value[i] = r->value[r->n];
            break;
        }
    if (!value) return;
    cr_assert_lt(r->n, 8);
    r->name[r->n] = strdup(name);
    r->value[r->n] = strdup(value);
    r->n++;
}

static void s_set_body(s_req *r, const char *body)
{
    free(r->body);
    r->body = strdup(body);
    r->req.body = r->body;
    r->req.body_len = strlen(body);
}

static char *s_read(const char *name)
{
    char path[512];
    const char *dir = getenv("VOC_TEST_DATA");
    snprintf(path, sizeof path, "%s/webhooks/%s", dir ? dir : "tests/data", name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    char *buf = NULL;
    size_t cap = 0, len = 0, got;
    do {
        if (len + 4096 + 1 > cap) buf = realloc(buf, cap = 2 * cap + 8192);
        got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
    } while (got > 0);
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* NAME.json as the body, NAME.headers as the headers. */
static void s_load(s_req *r, const char *name, int64_t now)
{
    memset(r, 0, sizeof *r);
    r->req.header = s_header;
    r->req.impl = r;
    r->req.now = now;
    char file[128];
    snprintf(file, sizeof file, "%s.json", name);
    char *body = s_read(file);
    s_set_body(r, body);
    free(body);
    snprintf(file, sizeof file, "%s.headers", name);
    char *headers = s_read(file), *save = NULL;
    for (char *line = strtok_r(headers, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        cr_assert(colon, "bad header line %s", line);
        *colon = '\0';
        s_set_header(r, line, colon + 2);
    }
    free(headers);
}

/* A request with this body and no headers. */
static void s_plain(s_req *r, const char *body, int64_t now)
{
    memset(r, 0, sizeof *r);
    r->req.header = s_header;
    r->req.impl = r;
    r->req.now = now;
    s_set_body(r, body);
}

static void s_free_req(s_req *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->name[i]);
        free(r->value[i]);
    }
    free(r->body);
}

static const voc_adapter *s_adapter(const char *name)
{
    const voc_adapter *a = voc_adapter_find(name);
    cr_assert(a, "no adapter %s", name);
    return a;
}

/* What the server does: verify over the raw bytes, then parse. */
static int s_run(const char *vendor, const s_req *r, const char *secret, voc_item_list *out,
                 voc_err *err)
{
    const voc_adapter *a = s_adapter(vendor);
    int rc = a->verify(&r->req, secret, err);
    if (rc) return rc;
    return a->parse(&r->req, out, err);
}

static int s_parse(const char *vendor, const char *body, voc_item_list *out, voc_err *err)
{
    s_req r;
    s_plain(&r, body, 1767225600);
    int rc = s_adapter(vendor)->parse(&r.req, out, err);
    s_free_req(&r);
    return rc;
}

static const char *s_time(int64_t t)
{
    static char buf[VOC_TIME_BUF];
    return voc_time_format(t, buf);
}

static const char *s_str(const char *s)
{
    return s ? s : "(null)";
}

/* ---- the table --------------------------------------------------------- */

Test(adapters, table_lists_the_five_vendors)
{
    static const char *const names[] = {"typeform", "delighted", "formbricks", "zendesk",
                                        "intercom"};
    size_t n;
    const voc_adapter *a = voc_adapters(&n);
    cr_assert_eq(n, 5);
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(a[i].name, names[i]);
        cr_assert(a[i].description && a[i].secret_help && a[i].verify && a[i].parse);
        cr_assert_eq(voc_adapter_find(names[i]), &a[i]);
    }
    cr_assert_null(voc_adapter_find("surveymonkey"));
}

Test(adapters, every_vendor_refuses_without_secret_or_signature)
{
    size_t n;
    const voc_adapter *a = voc_adapters(&n);
    for (size_t i = 0; i < n; i++) {
        s_req r;
        s_plain(&r, "{}", 1767225600);
        voc_err err = {0};
        cr_assert_eq(a[i].verify(&r.req, NULL, &err), VOC_EAUTH, "%s", a[i].name);
        char want[64];
        snprintf(want, sizeof want, "%s-secret", a[i].name);
        cr_assert(strstr(err.msg, want), "%s: %s", a[i].name, err.msg);
        cr_assert_eq(a[i].verify(&r.req, "", &err), VOC_EAUTH, "%s", a[i].name);
        /* A secret but no signature headers at all. */
        err = (voc_err){0};
        cr_assert_eq(a[i].verify(&r.req, "c2VjcmV0", &err), VOC_EAUTH, "%s", a[i].name);
        cr_assert(strstr(err.msg, "missing"), "%s: %s", a[i].name, err.msg);
        s_free_req(&r);
    }
}

Test(adapters, every_vendor_rejects_a_body_that_is_not_json)
{
    size_t n;
    const voc_adapter *a = voc_adapters(&n);
    const char *bodies[] = {"", "   ", "{\"event_type\": ", "not json", "{} trailing", NULL};
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; bodies[k]; k++) {
            voc_item_list out = {0};
            voc_err err = {0};
            cr_assert_eq(s_parse(a[i].name, bodies[k], &out, &err), VOC_EPARSE, "%s '%s'",
                         a[i].name, bodies[k]);
            cr_assert(strncmp(err.msg, "body", 4) == 0, "%s: %s", a[i].name, err.msg);
            cr_assert_eq(out.count, 0);
            voc_item_list_clear(&out);
        }
}

/* ---- Typeform ---------------------------------------------------------- */

Test(adapters, typeform_form_response)
{
    s_req r;
    s_load(&r, "typeform_form_response", 1770801300);
    voc_item_list out = {0};
    voc_err err = {0};
    cr_assert_eq(s_run("typeform", &r, TYPEFORM_SECRET, &out, &err), 0, "%s", err.msg);
    cr_assert_eq(out.count, 1);
    const voc_item *it = &out.items[0];
    cr_assert_str_eq(it->uid, "typeform:7f3c1d9e2b8a4f60a1c5e9d3b7f2a6c4");
    cr_assert_str_eq(it->source, "typeform");
    cr_assert_eq(it->kind, VOC_KIND_NPS);
    cr_assert_eq(it->scale, VOC_SCALE_NPS);
    cr_assert_eq(it->score, 6);
    cr_assert_str_eq(it->text,
                     "Bank sync drops the connection every few days and I have to log in again."
                     "\n\nThe new invoice templates are lovely though.");
    cr_assert_eq(it->text_len, strlen(it->text));
    cr_assert_str_eq(s_time(it->created_at), "2026-02-11T09:14:47Z");
    cr_assert_not(it->created_defaulted);
    cr_assert_str_eq(s_str(it->customer_id), "u-20417"); /* hidden user_id */
    cr_assert_str_eq(s_str(voc_item_attr(it, "plan")), "team");
    cr_assert_str_eq(s_str(voc_item_attr(it, "form_id")), "qX7pL2");
    cr_assert_null(voc_item_attr(it, "email"));
    char *json = voc_item_to_json(it, 0);
    cr_assert_null(strstr(json, "example.org"), "no e-mail address: %s", json);
    cr_assert_null(strstr(json, "Which features"), "question titles are not text: %s", json);
    free(json);
    voc_item_list_clear(&out);
    s_free_req(&r);
}

Test(adapters, typeform_signature_checks)
{
    s_req r;
    s_load(&r, "typeform_form_response", 1770801300);
    voc_item_list out = {0};
    voc_err err = {0};
    cr_assert_eq(s_run("typeform", &r, "another-secret", &out, &err), VOC_EAUTH);
    cr_assert(strstr(err.msg, "Typeform-Signature"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, "another-secret"), "the secret is never echoed");

    s_set_header(&r, "Typeform-Signature", "sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    cr_assert_eq(s_run("typeform", &r, TYPEFORM_SECRET, &out, &err), VOC_EAUTH);
    s_set_header(&r, "Typeform-Signature", "sha1=abcdef");
    cr_assert_eq(s_run("typeform", &r, TYPEFORM_SECRET, &out, &err), VOC_EAUTH);
    s_set_header(&r, "Typeform-Signature", NULL);
    cr_assert_eq(s_run("typeform", &r, TYPEFORM_SECRET, &out, &err), VOC_EAUTH);
    cr_assert(strstr(err.msg, "missing Typeform-Signature"), "%s", err.msg);
    s_free_req(&r);

    /* One byte changed in the body: the saved signature no longer fits. */
    s_load(&r, "typeform_form_response", 1770801300);
    r.body[strlen(r.body) - 3] = ' ';
    cr_assert_eq(s_run("typeform", &r, TYPEFORM_SECRET, &out, &err), VOC_EAUTH);
    cr_assert_eq(out.count, 0, "nothing parsed before the signature is good");
    s_free_req(&r);
}

Test(adapters, typeform_without_feedback_or_other_events_gives_no_items)
{
    s_req r;
    s_load(&r, "typeform_no_feedback", 1770801300);
    voc_item_list out = {0};
    voc_err err = {0};
    cr_assert_eq(s_run("typeform", &r, TYPEFORM_SECRET, &out, &err), 0, "%s", err.msg);
    cr_assert_eq(out.count, 0, "choices and an e-mail are no feedback");
    s_free_req(&r);
    cr_assert_eq(s_parse("typeform", "{\"event_type\":\"form_response_partial\"}", &out, &err), 0);
    cr_assert_eq(out.count, 0);
    /* A score with no words: an item with empty text (NPS counts it). */
    cr_assert_eq(s_parse("typeform",
                         "{\"event_type\":\"form_response\",\"form_response\":{\"token\":\"t1\","
                         "\"answers\":[{\"type\":\"number\",\"number\":9,\"field\":{\"id\":\"a\","
                         "\"type\":\"nps\"}}]}}",
                         &out, &err),
                 0, "%s", err.msg);
    cr_assert_eq(out.count, 1);
    cr_assert_str_eq(out.items[0].text, "");
    cr_assert_eq(out.items[0].score, 9);
    voc_item_list_clear(&out);
}

Test(adapters, typeform_scales)
{
    const char *fmt =
        "{\"event_type\":\"form_response\",\"form_response\":{\"token\":\"t2\","
        "\"definition\":{\"fields\":[{\"id\":\"q\",\"type\":\"%s\",\"properties\":%s}]},"
        "\"answers\":[{\"type\":\"number\",\"number\":%d,\"field\":{\"id\":\"q\",\"type\":\"%s\"}},"
        "{\"type\":\"text\",\"text\":\"  fine  "
        "\",\"field\":{\"id\":\"t\",\"type\":\"long_text\"}}]}}";
    struct {
        const char *type, *props;
        int number;
        voc_scale scale;
        voc_kind kind;
        const char *score_attr;
    } cases[] = {
        {"opinion_scale", "{}", 8, VOC_SCALE_NPS, VOC_KIND_NPS, NULL},
        {"opinion_scale", "{\"steps\":5,\"start_at_one\":true}", 4, VOC_SCALE_RATING,
         VOC_KIND_SURVEY, NULL},
        {"opinion_scale", "{\"steps\":7,\"start_at_one\":true}", 6, VOC_SCALE_NONE, VOC_KIND_SURVEY,
         "6"},
        {"rating", "{\"steps\":5}", 5, VOC_SCALE_RATING, VOC_KIND_SURVEY, NULL},
        {"rating", "{\"steps\":10}", 9, VOC_SCALE_NONE, VOC_KIND_SURVEY, "9"},
        {"nps", "{}", 0, VOC_SCALE_NPS, VOC_KIND_NPS, NULL},
        {"number", "{}", 12, VOC_SCALE_NONE, VOC_KIND_SURVEY, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[1024];
        snprintf(body, sizeof body, fmt, cases[i].type, cases[i].props, cases[i].number,
                 cases[i].type);
        voc_item_list out = {0};
        voc_err err = {0};
        cr_assert_eq(s_parse("typeform", body, &out, &err), 0, "%s", err.msg);
        cr_assert_eq(out.count, 1);
        const voc_item *it = &out.items[0];
        cr_assert_eq(it->scale, cases[i].scale, "case %zu", i);
        cr_assert_eq(it->kind, cases[i].kind, "case %zu", i);
        if (cases[i].scale != VOC_SCALE_NONE) cr_assert_eq(it->score, cases[i].number);
        cr_assert_str_eq(s_str(voc_item_attr(it, "score")), s_str(cases[i].score_attr), "case %zu",
                         i);
        cr_assert_str_eq(it->text, "fine");
        cr_assert(it->created_defaulted, "no submitted_at: defaulted, off the wire");
        voc_item_list_clear(&out);
    }
}

Test(adapters, typeform_wrong_shapes_name_the_field)
{
    struct {
        const char *body, *field;
    } cases[] = {
        {"[]", "body"},
        {"{\"form_response\":{}}", "event_type"},
        {"{\"event_type\":\"form_response\"}", "form_response"},
        {"{\"event_type\":\"form_response\",\"form_response\":[]}", "form_response"},
        {"{\"event_type\":\"form_response\",\"form_response\":{}}", "form_response.token"},
        {"{\"event_type\":\"form_response\",\"form_response\":{\"token\":{}}}",
         "form_response.token"},
        {"{\"event_type\":\"form_response\",\"form_response\":{\"token\":\"t\",\"answers\":{}}}",
         "form_response.answers"},
        {"{\"event_type\":\"form_response\",\"form_response\":{\"token\":\"t\",\"answers\":[1]}}",
         "form_response.answers[0]"},
        {"{\"event_type\":\"form_response\",\"form_response\":{\"token\":\"t\","
         "\"submitted_at\":\"last tuesday\"}}",
         "form_response.submitted_at"},
        {"{\"event_type\":\"form_response\",\"form_response\":{\"token\":\"t\",\"hidden\":[]}}",
         "form_response.hidden"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        voc_item_list out = {0};
        voc_err err = {0};
        int rc = s_parse("typeform", cases[i].body, &out, &err);
        cr_assert(rc == VOC_EPARSE || rc == VOC_EINVAL, "%s: rc %d", cases[i].body, rc);
        cr_assert(strncmp(err.msg, cases[i].field, strlen(cases[i].field)) == 0, "%s: %s",
                  cases[i].body, err.msg);
        voc_item_list_clear(&out);
    }
}

/* ---- Delighted --------------------------------------------------------- */

Test(adapters, delighted_score_first_then_comment)
{
    s_req r;
    s_load(&r, "delighted_created", 1767601300);
    voc_item_list out = {0};
    voc_err err = {0};
    cr_assert_eq(s_run("delighted", &r, DELIGHTED_SECRET, &out, &err), 0, "%s", err.msg);
    cr_assert_eq(out.count, 1, "a score without a comment is an item (NPS counts it)");
    cr_assert_str_eq(out.items[0].uid, "delighted:918273");
    cr_assert_str_eq(out.items[0].text, "");
    cr_assert_eq(out.items[0].scale, VOC_SCALE_NPS);
    voc_item_list_clear(&out);
    s_free_req(&r);

    s_load(&r, "delighted_updated", 1767601700);
    cr_assert_eq(s_run("delighted", &r, DELIGHTED_SECRET, &out, &err), 0, "%s", err.msg);
    cr_assert_eq(out.count, 1);
    const voc_item *it = &out.items[0];
    cr_assert_str_eq(it->uid, "delighted:918273");
    cr_assert_str_eq(it->source, "delighted");
    cr_assert_eq(it->kind, VOC_KIND_NPS);
    cr_assert_eq(it->scale, VOC_SCALE_NPS);
    cr_assert_eq(it->score, 4);
    cr_assert_str_eq(it->text,
                     "Exports to CSV take forever and the support chat never answered me.");
    cr_assert_eq(it->created_at, 1767601260);
    cr_assert_str_eq(s_str(it->customer_id), "cus_40917");
    cr_assert_str_eq(s_str(voc_item_attr(it, "delighted_source")), "Email");
    cr_assert_str_eq(s_str(voc_item_attr(it, "Plan")), "pro");
    cr_assert_str_eq(s_str(voc_item_attr(it, "survey_type")), "nps");
    cr_assert_str_eq(s_str(voc_item_attr(it, "tags")), "exports,support");
    char *json = voc_item_to_json(it, 0);
    cr_assert_null(strstr(json, "pat.quill"), "no e-mail address: %s", json);
    cr_assert_null(strstr(json, "Pat Quill"), "no name: %s", json);
    cr_assert_null(strstr(json, "Reporting"), "a choice is not text: %s", json);
    free(json);
    voc_item_list_clear(&out);
    s_free_req(&r);
}

Test(adapters, delighted_created_then_updated_share_the_uid)
{
    /* A created event that already has a comment, then the update that
     * edits it: one uid, the later content differs (so it replaces). */
    char *created = s_read("delighted_created.json");
    char *at = strstr(created, "\"comment\": null");
    cr_assert(at);
    char body[4096];
    snprintf(body, sizeof body, "%.*s\"comment\": \"Exports are slow.\"%s", (int)(at - created),
             created, at + strlen("\"comment\": null"));
    free(created);
    voc_item_list first = {0}, second = {0};
    voc_err err = {0};
    cr_assert_eq(s_parse("delighted", body, &first, &err), 0, "%s", err.msg);
    char *updated = s_read("delighted_updated.json");
    cr_assert_eq(s_parse("delighted", updated, &second, &err), 0, "%s", err.msg);
    cr_assert_eq(first.count, 1);
    cr_assert_eq(second.count, 1);
    cr_assert_str_eq(first.items[0].uid, second.items[0].uid);
    char h1[17], h2[17];
    voc_item_content_hash(&first.items[0], h1);
    voc_item_content_hash(&second.items[0], h2);
    cr_assert_str_neq(h1, h2, "the update carries new content");

    /* The same delivery again: same uid, same content, same JSON. */
    voc_item_list again = {0};
    cr_assert_eq(s_parse("delighted", updated, &again, &err), 0);
    char h3[17];
    voc_item_content_hash(&again.items[0], h3);
    cr_assert_str_eq(h2, h3);
    char *j2 = voc_item_to_json(&second.items[0], 0), *j3 = voc_item_to_json(&again.items[0], 0);
    cr_assert_str_eq(j2, j3);
    free(j2);
    free(j3);
    free(updated);
    voc_item_list_clear(&first);
    voc_item_list_clear(&second);
    voc_item_list_clear(&again);
}

Test(adapters, delighted_signature_forms)
{
    s_req r;
    s_load(&r, "delighted_updated", 1767601700);
    voc_item_list out = {0};
    voc_err err = {0};
    /* A bare digest, and upper-case hex, verify too. */
    char sig[80];
    snprintf(sig, sizeof sig, "%s", s_header(&r.req, "X-Delighted-Webhook-Signature") + 7);
    s_set_header(&r, "X-Delighted-Webhook-Signature", sig);
    cr_assert_eq(s_adapter("delighted")->verify(&r.req, DELIGHTED_SECRET, &err), 0, "%s", err.msg);
    for (char *p = sig; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    s_set_header(&r, "X-Delighted-Webhook-Signature", sig);
    cr_assert_eq(s_adapter("delighted")->verify(&r.req, DELIGHTED_SECRET, &err), 0, "%s", err.msg);
    sig[0] = sig[0] == 'A' ? 'B' : 'A';
    s_set_header(&r, "X-Delighted-Webhook-Signature", sig);
    cr_assert_eq(s_run("delighted", &r, DELIGHTED_SECRET, &out, &err), VOC_EAUTH);
    cr_assert(strstr(err.msg, "X-Delighted-Webhook-Signature"), "%s", err.msg);
    s_set_header(&r, "X-Delighted-Webhook-Signature", NULL);
    cr_assert_eq(s_run("delighted", &r, DELIGHTED_SECRET, &out, &err), VOC_EAUTH);
    cr_assert(strstr(err.msg, "missing"), "%s", err.msg);
    s_free_req(&r);
    s_load(&r, "delighted_updated", 1767601700);
    cr_assert_eq(s_run("delighted", &r, TYPEFORM_SECRET, &out, &err), VOC_EAUTH);
    cr_assert_eq(out.count, 0);
    s_free_req(&r);
}

Test(adapters, delighted_survey_types_and_shapes)
{
    const char *fmt = "{\"event_type\":\"survey_response.updated\",\"event_data\":{\"id\":77,"
                      "\"survey_type\":\"%s\",\"score\":%d,\"comment\":\"ok then\"}}";
    char body[512];
    voc_item_list out = {0};
    voc_err err = {0};
    snprintf(body, sizeof body, fmt, "csat", 4);
    cr_assert_eq(s_parse("delighted", body, &out, &err), 0, "%s", err.msg);
    cr_assert_str_eq(out.items[0].uid, "delighted:77");
    cr_assert_eq(out.items[0].scale, VOC_SCALE_RATING);
    cr_assert_eq(out.items[0].kind, VOC_KIND_SURVEY);
    voc_item_list_clear(&out);
    snprintf(body, sizeof body, fmt, "ces", 6);
    cr_assert_eq(s_parse("delighted", body, &out, &err), 0, "%s", err.msg);
    cr_assert_eq(out.items[0].scale, VOC_SCALE_NONE);
    cr_assert_str_eq(s_str(voc_item_attr(&out.items[0], "score")), "6");
    voc_item_list_clear(&out);
    snprintf(body, sizeof body, fmt, "nps", 14);
    cr_assert_eq(s_parse("delighted", body, &out, &err), VOC_EINVAL);
    cr_assert(strstr(err.msg, "event_data.score: 14 is out of range 0-10"), "%s", err.msg);
    voc_item_list_clear(&out);

    cr_assert_eq(s_parse("delighted", "{\"event_type\":\"unsubscribe.created\",\"event_data\":{}}",
                         &out, &err),
                 0);
    cr_assert_eq(out.count, 0);
    struct {
        const char *body, *field;
    } bad[] = {
        {"{\"event_data\":{}}", "event_type"},
        {"{\"event_type\":\"survey_response.created\"}", "event_data"},
        {"{\"event_type\":\"survey_response.created\",\"event_data\":{\"score\":3}}",
         "event_data.id"},
        {"{\"event_type\":\"survey_response.created\",\"event_data\":{\"id\":\"1\","
         "\"score\":\"nine\"}}",
         "event_data.score"},
        {"{\"event_type\":\"survey_response.created\",\"event_data\":{\"id\":\"1\","
         "\"comment\":5}}",
         "event_data.comment"},
        {"{\"event_type\":\"survey_response.created\",\"event_data\":{\"id\":\"1\","
         "\"person_properties\":\"x\"}}",
         "event_data.person_properties"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(s_parse("delighted", bad[i].body, &out, &err), VOC_EPARSE, "%s", bad[i].body);
        cr_assert(strncmp(err.msg, bad[i].field, strlen(bad[i].field)) == 0, "%s: %s", bad[i].body,
                  err.msg);
        voc_item_list_clear(&out);
    }
}

/* ---- Formbricks -------------------------------------------------------- */

Test(adapters, formbricks_response_finished)
{
    s_req r;
    s_load(&r, "formbricks_response_finished", FORMBRICKS_TS + 30);
    voc_item_list out = {0};
    voc_err err = {0};
    cr_assert_eq(s_run("formbricks", &r, FORMBRICKS_SECRET, &out, &err), 0, "%s", err.msg);
    cr_assert_eq(out.count, 1);
    const voc_item *it = &out.items[0];
    cr_assert_str_eq(it->uid, "formbricks:cm5w3n1rt000bl80f6yq2e8cd");
    cr_assert_str_eq(it->source, "formbricks");
    cr_assert_eq(it->kind, VOC_KIND_NPS);
    cr_assert_eq(it->scale, VOC_SCALE_NPS);
    cr_assert_eq(it->score, 3);
    cr_assert_str_eq(it->text, "The dashboard takes almost a minute to load on Monday mornings.");
    cr_assert_str_eq(s_time(it->created_at), "2026-01-01T00:00:12Z");
    cr_assert_str_eq(s_str(it->customer_id), "acct-7731");
    cr_assert_str_eq(s_str(voc_item_attr(it, "plan")), "enterprise");
    cr_assert_str_eq(s_str(voc_item_attr(it, "region")), "emea");
    cr_assert_str_eq(s_str(voc_item_attr(it, "role")), "finance"); /* a one-word answer */
    cr_assert_str_eq(s_str(voc_item_attr(it, "country")), "DE");
    cr_assert_str_eq(s_str(voc_item_attr(it, "device")), "desktop");
    cr_assert_str_eq(s_str(voc_item_attr(it, "survey")), "Quarterly NPS");
    cr_assert_str_eq(s_str(voc_item_attr(it, "survey_id")), "cm5v8h2jk0001l50fz3w9p4ef");
    cr_assert_str_eq(s_str(voc_item_attr(it, "tags")), "performance");
    cr_assert_null(voc_item_attr(it, "language"), "\"default\" says nothing");
    cr_assert_null(voc_item_attr(it, "welcome_cta"), "a click is no answer");
    char *json = voc_item_to_json(it, 0);
    cr_assert_null(strstr(json, "robin.ash"), "no e-mail address: %s", json);
    cr_assert_null(strstr(json, "Robin"), "no first name: %s", json);
    free(json);
    voc_item_list_clear(&out);
    s_free_req(&r);

    /* The first event, a click only: nothing to store yet. */
    s_load(&r, "formbricks_response_created", FORMBRICKS_TS);
    cr_assert_eq(s_run("formbricks", &r, FORMBRICKS_SECRET, &out, &err), 0, "%s", err.msg);
    cr_assert_eq(out.count, 0);
    s_free_req(&r);
}

Test(adapters, formbricks_timestamp_tolerance)
{
    s_req r;
    voc_item_list out = {0};
    voc_err err = {0};
    s_load(&r, "formbricks_response_finished", FORMBRICKS_TS + 299);
    cr_assert_eq(s_adapter("formbricks")->verify(&r.req, FORMBRICKS_SECRET, &err), 0, "%s",
                 err.msg);
    r.req.now = FORMBRICKS_TS + 301; /* replayed six minutes later */
    cr_assert_eq(s_run("formbricks", &r, FORMBRICKS_SECRET, &out, &err), VOC_EAUTH);
    cr_assert(strstr(err.msg, "webhook-timestamp") && strstr(err.msg, "5 minutes"), "%s", err.msg);
    r.req.now = FORMBRICKS_TS - 400; /* from the future */
    cr_assert_eq(s_run("formbricks", &r, FORMBRICKS_SECRET, &out, &err), VOC_EAUTH);
    r.req.now = FORMBRICKS_TS;
    s_set_header(&r, "webhook-timestamp", "1767225631"); /* signed over the old one */
    cr_assert_eq(s_run("formbricks", &r, FORMBRICKS_SECRET, &out, &err), VOC_EAUTH);
    s_set_header(&r, "webhook-timestamp", "soon");
    cr_assert_eq(s_run("formbricks", &r, FORMBRICKS_SECRET, &out, &err), VOC_EAUTH);
    cr_assert_eq(out.count, 0);
    s_free_req(&r);
}

Test(adapters, formbricks_signature_checks)
{
    s_req r;
    voc_item_list out = {0};
    voc_err err = {0};
    s_load(&r, "formbricks_response_finished", FORMBRICKS_TS);
    char good[128];
    snprintf(good, sizeof good, "%s", s_header(&r.req, "webhook-signature"));

    /* Several signatures (a rotation): one match is enough. */
    char several[300];
    snprintf(several, sizeof several, "v1,Zm9yZ2VkLXNpZ25hdHVyZS1mb3ItdGVzdGluZy0xMjM0NTY= %s",
             good);
    s_set_header(&r, "webhook-signature", several);
    cr_assert_eq(s_adapter("formbricks")->verify(&r.req, FORMBRICKS_SECRET, &err), 0, "%s",
                 err.msg);
    /* The raw base64 key without whsec_ works as the libraries allow. */
    cr_assert_eq(
        s_adapter("formbricks")->verify(&r.req, &FORMBRICKS_SECRET[strlen("whsec_")], &err), 0,
        "%s", err.msg);

    s_set_header(&r, "webhook-signature", "v1,Zm9yZ2VkLXNpZ25hdHVyZS1mb3ItdGVzdGluZy0xMjM0NTY=");
    cr_assert_eq(s_run("formbricks", &r, FORMBRICKS_SECRET, &out, &err), VOC_EAUTH);
    cr_assert(strstr(err.msg, "webhook-signature"), "%s", err.msg);
    s_set_header(&r, "webhook-signature", good + 3); /* no v1, */
    cr_assert_eq(s_run("formbricks", &r, FORMBRICKS_SECRET, &out, &err), VOC_EAUTH);
    s_set_header(&r, "webhook-signature", good);
    cr_assert_eq(s_run("formbricks", &r, "whsec_c29tZW9uZSBlbHNlcyBrZXk=", &out, &err), VOC_EAUTH);
    cr_assert_eq(s_run("formbricks", &r, "whsec_not base64!", &out, &err), VOC_EAUTH);
    cr_assert(strstr(err.msg, "formbricks-secret"), "%s", err.msg);
    s_set_header(&r, "webhook-id", "msg_other");
    cr_assert_eq(s_run("formbricks", &r, FORMBRICKS_SECRET, &out, &err), VOC_EAUTH);
    s_set_header(&r, "webhook-id", NULL);
    cr_assert_eq(s_run("formbricks", &r, FORMBRICKS_SECRET, &out, &err), VOC_EAUTH);
    cr_assert(strstr(err.msg, "missing webhook-id"), "%s", err.msg);
    cr_assert_eq(out.count, 0);
    s_free_req(&r);
}

Test(adapters, formbricks_shapes)
{
    voc_item_list out = {0};
    voc_err err = {0};
    /* The array the docs' examples show: one item per element. */
    char *one = s_read("formbricks_response_finished.json");
    char *wrapped = malloc(strlen(one) + 3);
    sprintf(wrapped, "[%s]", one);
    cr_assert_eq(s_parse("formbricks", wrapped, &out, &err), 0, "%s", err.msg);
    cr_assert_eq(out.count, 1);
    cr_assert_str_eq(out.items[0].uid, "formbricks:cm5w3n1rt000bl80f6yq2e8cd");
    voc_item_list_clear(&out);
    free(wrapped);
    free(one);

    /* Two unnamed numbers: no score is guessed; a question named nps wins. */
    cr_assert_eq(s_parse("formbricks",
                         "{\"event\":\"responseUpdated\",\"data\":{\"id\":\"r1\",\"data\":"
                         "{\"q1\":4,\"q2\":9,\"q3\":\"too many clicks to export\"}}}",
                         &out, &err),
                 0, "%s", err.msg);
    cr_assert_eq(out.items[0].scale, VOC_SCALE_NONE);
    cr_assert_eq(out.items[0].kind, VOC_KIND_SURVEY);
    cr_assert(out.items[0].created_defaulted);
    voc_item_list_clear(&out);
    cr_assert_eq(s_parse("formbricks",
                         "{\"event\":\"responseUpdated\",\"data\":{\"id\":\"r1\",\"data\":"
                         "{\"q1\":4,\"npsScore\":9,\"q3\":\"too many clicks to export\"}}}",
                         &out, &err),
                 0, "%s", err.msg);
    cr_assert_eq(out.items[0].scale, VOC_SCALE_NPS);
    cr_assert_eq(out.items[0].score, 9);
    voc_item_list_clear(&out);
    cr_assert_eq(s_parse("formbricks", "{\"event\":\"testEndpoint\"}", &out, &err), 0);
    cr_assert_eq(out.count, 0);

    struct {
        const char *body, *field;
    } bad[] = {
        {"{\"data\":{}}", "event"},
        {"{\"event\":\"responseFinished\"}", "data"},
        {"{\"event\":\"responseFinished\",\"data\":{}}", "data.id"},
        {"{\"event\":\"responseFinished\",\"data\":{\"id\":\"r\",\"data\":[1]}}", "data.data"},
        {"{\"event\":\"responseFinished\",\"data\":{\"id\":\"r\",\"createdAt\":true}}",
         "data.createdAt"},
        {"[{\"event\":\"responseFinished\",\"data\":{\"id\":\"r\"}},{\"event\":"
         "\"responseFinished\"}]",
         "[1].data"},
        {"[3]", "body[0]"},
        {"\"responseFinished\"", "body"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(s_parse("formbricks", bad[i].body, &out, &err), VOC_EPARSE, "%s", bad[i].body);
        cr_assert(strncmp(err.msg, bad[i].field, strlen(bad[i].field)) == 0, "%s: %s", bad[i].body,
                  err.msg);
        voc_item_list_clear(&out);
    }
}

/* ---- Zendesk ----------------------------------------------------------- */

Test(adapters, zendesk_ticket_event)
{
    s_req r;
    s_load(&r, "zendesk_ticket_created", 1772460332);
    voc_item_list out = {0};
    voc_err err = {0};
    cr_assert_eq(s_run("zendesk", &r, ZENDESK_SECRET, &out, &err), 0, "%s", err.msg);
    cr_assert_eq(out.count, 1);
    const voc_item *it = &out.items[0];
    cr_assert_str_eq(it->uid, "zendesk:50817");
    cr_assert_str_eq(it->source, "zendesk");
    cr_assert_eq(it->kind, VOC_KIND_TICKET);
    cr_assert_eq(it->scale, VOC_SCALE_NONE);
    cr_assert_str_eq(it->text, "Charged twice this month\n\nHello, I was charged twice for the "
                               "March invoice (INV-3391). Could you refund the duplicate "
                               "payment?");
    cr_assert_str_eq(s_str(it->subject), "Charged twice this month");
    cr_assert_str_eq(s_time(it->created_at), "2026-03-02T14:05:31Z");
    cr_assert_str_eq(s_str(it->customer_id), "8447388090494");
    cr_assert_str_eq(s_str(it->account), "8447346622462");
    cr_assert_str_eq(s_str(voc_item_attr(it, "tags")), "billing,refund");
    cr_assert_str_eq(s_str(voc_item_attr(it, "status")), "NEW");
    cr_assert_str_eq(s_str(voc_item_attr(it, "priority")), "high");
    cr_assert_str_eq(s_str(voc_item_attr(it, "type")), "PROBLEM");
    cr_assert_str_eq(s_str(voc_item_attr(it, "channel")), "web_form");
    voc_item_list_clear(&out);

    /* Wrong secret, altered timestamp, missing headers. */
    cr_assert_eq(s_run("zendesk", &r, INTERCOM_SECRET, &out, &err), VOC_EAUTH);
    cr_assert(strstr(err.msg, "X-Zendesk-Webhook-Signature"), "%s", err.msg);
    s_set_header(&r, "X-Zendesk-Webhook-Signature-Timestamp", "2026-03-02T14:05:33Z");
    cr_assert_eq(s_run("zendesk", &r, ZENDESK_SECRET, &out, &err), VOC_EAUTH);
    s_set_header(&r, "X-Zendesk-Webhook-Signature-Timestamp", NULL);
    cr_assert_eq(s_run("zendesk", &r, ZENDESK_SECRET, &out, &err), VOC_EAUTH);
    cr_assert(strstr(err.msg, "missing X-Zendesk-Webhook-Signature-Timestamp"), "%s", err.msg);
    s_set_header(&r, "X-Zendesk-Webhook-Signature", NULL);
    cr_assert_eq(s_run("zendesk", &r, ZENDESK_SECRET, &out, &err), VOC_EAUTH);
    cr_assert_eq(out.count, 0);
    s_free_req(&r);
}

Test(adapters, zendesk_trigger_json)
{
    s_req r;
    s_load(&r, "zendesk_trigger", 1772466009);
    voc_item_list out = {0};
    voc_err err = {0};
    cr_assert_eq(s_run("zendesk", &r, ZENDESK_SECRET, &out, &err), 0, "%s", err.msg);
    cr_assert_eq(out.count, 1);
    const voc_item *it = &out.items[0];
    cr_assert_str_eq(it->uid, "zendesk:50818");
    cr_assert_eq(it->kind, VOC_KIND_TICKET);
    cr_assert_str_eq(it->text, "App crashes when I attach a receipt\n\nEvery time I attach a "
                               "photo of a receipt on Android the app closes.\n\nPhone: Pixel 8, "
                               "app version 4.12.");
    cr_assert_str_eq(s_str(voc_item_attr(it, "tags")), "android,mobile,crash");
    cr_assert_str_eq(s_str(voc_item_attr(it, "status")), "Open");
    cr_assert_str_eq(s_str(it->customer_id), "8447388091001");
    cr_assert_null(it->account);
    voc_item_list_clear(&out);
    s_free_req(&r);
}

Test(adapters, zendesk_events_and_shapes)
{
    voc_item_list out = {0};
    voc_err err = {0};
    /* A description that opens with the subject does not repeat it. */
    cr_assert_eq(s_parse("zendesk",
                         "{\"ticket\":{\"id\":7,\"subject\":\"Refund\",\"description\":\"Refund "
                         "please, order 12\",\"tags\":[\"a\",\"b\"]}}",
                         &out, &err),
                 0, "%s", err.msg);
    cr_assert_str_eq(out.items[0].text, "Refund please, order 12");
    cr_assert_str_eq(out.items[0].uid, "zendesk:7");
    cr_assert_str_eq(s_str(voc_item_attr(&out.items[0], "tags")), "a,b");
    voc_item_list_clear(&out);
    const char *none[] = {
        "{\"type\":\"zen:event-type:user.created\",\"detail\":{\"id\":\"1\"}}",
        "{\"type\":\"zen:event-type:ticket.soft_deleted\",\"detail\":{\"id\":\"1\","
        "\"subject\":\"x\"}}",
        "{\"type\":\"zen:event-type:ticket.created\",\"detail\":{\"id\":\"1\",\"subject\":\"  "
        "\",\"description\":\"\"}}",
        NULL};
    for (size_t i = 0; none[i]; i++) {
        cr_assert_eq(s_parse("zendesk", none[i], &out, &err), 0, "%s: %s", none[i], err.msg);
        cr_assert_eq(out.count, 0, "%s", none[i]);
    }
    struct {
        const char *body, *field;
    } bad[] = {
        {"{\"foo\":1}", "body"},
        {"[]", "body"},
        {"{\"type\":\"zen:event-type:ticket.created\"}", "detail"},
        {"{\"type\":\"zen:event-type:ticket.created\",\"detail\":{\"subject\":\"x\"}}",
         "detail.id"},
        {"{\"ticket\":\"50818\"}", "ticket"},
        {"{\"ticket\":{\"id\":1,\"subject\":[\"x\"]}}", "ticket.subject"},
        {"{\"ticket\":{\"id\":1,\"subject\":\"x\",\"created_at\":\"yesterday\"}}",
         "ticket.created_at"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = s_parse("zendesk", bad[i].body, &out, &err);
        cr_assert(rc == VOC_EPARSE || rc == VOC_EINVAL, "%s: %d", bad[i].body, rc);
        cr_assert(strncmp(err.msg, bad[i].field, strlen(bad[i].field)) == 0, "%s: %s", bad[i].body,
                  err.msg);
        voc_item_list_clear(&out);
    }
}

/* ---- Intercom ---------------------------------------------------------- */

#define OPENING                                                                                    \
    "Hi team & thanks for the quick fix last week!\n\nSince today's update the \"Export\" "        \
    "button does nothing <none> on Safari.\nSteps: open a report, click Export."

Test(adapters, intercom_conversation_created_html_stripped)
{
    s_req r;
    s_load(&r, "intercom_user_created", 1772460001);
    voc_item_list out = {0};
    voc_err err = {0};
    cr_assert_eq(s_run("intercom", &r, INTERCOM_SECRET, &out, &err), 0, "%s", err.msg);
    cr_assert_eq(out.count, 1);
    const voc_item *it = &out.items[0];
    cr_assert_str_eq(it->uid, "intercom:182736450011");
    cr_assert_str_eq(it->source, "intercom");
    cr_assert_eq(it->kind, VOC_KIND_TICKET);
    cr_assert_str_eq(it->text, OPENING);
    cr_assert_null(it->subject, "an empty subject is none");
    cr_assert_eq(it->created_at, 1772460000);
    cr_assert_str_eq(s_str(it->customer_id), "65f1c2d3e4a5b6c7d8e9f001");
    cr_assert_str_eq(s_str(voc_item_attr(it, "tags")), "bug,safari");
    cr_assert_str_eq(s_str(voc_item_attr(it, "channel")), "conversation");
    char *json = voc_item_to_json(it, 0);
    cr_assert_null(strstr(json, "sam.vale"), "%s", json);
    free(json);
    voc_item_list_clear(&out);
    s_free_req(&r);
}

Test(adapters, intercom_reply_is_its_own_item)
{
    s_req r;
    s_load(&r, "intercom_user_created", 1772460001);
    voc_item_list created = {0}, replied = {0};
    voc_err err = {0};
    cr_assert_eq(s_run("intercom", &r, INTERCOM_SECRET, &created, &err), 0, "%s", err.msg);
    s_free_req(&r);
    s_load(&r, "intercom_user_replied", 1772463601);
    cr_assert_eq(s_run("intercom", &r, INTERCOM_SECRET, &replied, &err), 0, "%s", err.msg);
    cr_assert_eq(replied.count, 2, "the opening message again, and the customer's reply");
    /* The opening message maps exactly as before: a duplicate downstream. */
    char h1[17], h2[17];
    voc_item_content_hash(&created.items[0], h1);
    voc_item_content_hash(&replied.items[0], h2);
    cr_assert_str_eq(replied.items[0].uid, created.items[0].uid);
    cr_assert_str_eq(h1, h2);
    const voc_item *it = &replied.items[1];
    cr_assert_str_eq(it->uid, "intercom:182736450011:9911000002");
    cr_assert_str_eq(it->text, "Safari 19.1 on macOS.\nIt still fails \xe2\x80\x94 even after "
                               "clearing the cache \xf0\x9f\x99\x81");
    cr_assert_eq(it->created_at, 1772463600);
    cr_assert_eq(it->kind, VOC_KIND_TICKET);
    for (size_t i = 0; i < replied.count; i++)
        cr_assert_null(strstr(replied.items[i].text, "Safari version?"), "admin replies skipped");
    voc_item_list_clear(&created);
    voc_item_list_clear(&replied);

    /* Wrong secret, the wrong algorithm, no header. */
    cr_assert_eq(s_run("intercom", &r, ZENDESK_SECRET, &replied, &err), VOC_EAUTH);
    cr_assert(strstr(err.msg, "X-Hub-Signature"), "%s", err.msg);
    char sig[64];
    snprintf(sig, sizeof sig, "sha256=%s", s_header(&r.req, "X-Hub-Signature") + 5);
    s_set_header(&r, "X-Hub-Signature", sig);
    cr_assert_eq(s_run("intercom", &r, INTERCOM_SECRET, &replied, &err), VOC_EAUTH);
    s_set_header(&r, "X-Hub-Signature", NULL);
    cr_assert_eq(s_run("intercom", &r, INTERCOM_SECRET, &replied, &err), VOC_EAUTH);
    cr_assert_eq(replied.count, 0);
    s_free_req(&r);
}

Test(adapters, intercom_ping_and_shapes)
{
    s_req r;
    s_load(&r, "intercom_ping", 1772459000);
    voc_item_list out = {0};
    voc_err err = {0};
    cr_assert_eq(s_run("intercom", &r, INTERCOM_SECRET, &out, &err), 0, "%s", err.msg);
    cr_assert_eq(out.count, 0);
    s_free_req(&r);
    cr_assert_eq(s_parse("intercom",
                         "{\"topic\":\"conversation.admin.replied\",\"data\":{\"item\":{}}}", &out,
                         &err),
                 0);
    cr_assert_eq(out.count, 0);
    struct {
        const char *body, *field;
    } bad[] = {
        {"{\"data\":{}}", "topic"},
        {"{\"topic\":\"conversation.user.created\"}", "data"},
        {"{\"topic\":\"conversation.user.created\",\"data\":{\"item\":7}}", "data.item"},
        {"{\"topic\":\"conversation.user.created\",\"data\":{\"item\":{\"source\":{}}}}",
         "data.item.id"},
        {"{\"topic\":\"conversation.user.created\",\"data\":{\"item\":{\"id\":\"1\","
         "\"source\":{\"author\":{\"type\":\"user\"},\"body\":7}}}}",
         "data.item.source.body"},
        {"{\"topic\":\"conversation.user.replied\",\"data\":{\"item\":{\"id\":\"1\","
         "\"conversation_parts\":{\"conversation_parts\":{}}}}}",
         "data.item.conversation_parts"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(s_parse("intercom", bad[i].body, &out, &err), VOC_EPARSE, "%s", bad[i].body);
        cr_assert(strncmp(err.msg, bad[i].field, strlen(bad[i].field)) == 0, "%s: %s", bad[i].body,
                  err.msg);
        voc_item_list_clear(&out);
    }
}

Test(adapters, html_to_text)
{
    struct {
        const char *html, *text;
    } cases[] = {
        {"<p>One</p><p>Two</p>", "One\n\nTwo"},
        {"a<br>b<br/>c<BR />d", "a\nb\nc\nd"},
        {"<p>  lots   of\n\tspace </p>", "lots of space"},
        {"<ul><li>first</li><li>second</li></ul>", "first\n\nsecond"},
        {"x &lt; y &amp;&amp; y &gt; z", "x < y && y > z"},
        {"&quot;q&quot; &#39;s&#39; &apos;a&apos;", "\"q\" 's' 'a'"},
        {"caf&#233; &#xE9;t&#XE9; &euro;5", "caf\xc3\xa9 \xc3\xa9t\xc3\xa9 \xe2\x82\xac"
                                            "5"},
        {"a&nbsp;&nbsp;b", "a b"},
        {"AT&T &unknown; &#; & done", "AT&T &unknown; &#; & done"},
        {"&#0;&#xD800;&#x110000;&#99999999;", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"bell&#7;ring", "bell ring"},
        {"1 < 2 and <3", "1 < 2 and <3"},
        {"<a href=\"https://x.test/?a>b\" title='c>d'>link</a> text", "link text"},
        {"<script>alert('x')</script>safe<style>p{}</style>", "safe"},
        {"be<!-- hidden -->fore", "before"},
        {"<div><p></p><p></p>gap</div>", "gap"},
        {"unterminated <b", "unterminated"},
        {"", ""},
        {"<p>\xf0\x9f\x98\x80 emoji</p>", "\xf0\x9f\x98\x80 emoji"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t = voc_html_to_text(cases[i].html, strlen(cases[i].html));
        cr_assert_str_eq(t, cases[i].text, "case %zu: '%s'", i, cases[i].html);
        free(t);
    }
}
