/* test_rules.c: the rule engine (processor/rules.h). Matching behaviour is
 * data-driven: tests/data/rules/engine.cases.jsonl lists text → expected
 * themes and evidence against engine.rules.json. The rest covers load
 * errors (each must name the theme and the problem), match limits on
 * pathological patterns, invalid UTF-8 and the content hash. */
#include "processor/rules.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *s_read(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/rules/%s", getenv("VOC_TEST_DATA"), name);
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "%s", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    rewind(fp);
    char *buf = malloc((size_t)n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static voc_rules *s_load(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/rules/%s", getenv("VOC_TEST_DATA"), name);
    voc_rules *r = NULL;
    voc_err err = {0};
    cr_assert_eq(voc_rules_load(&r, path, &err), 0, "%s", err.msg);
    return r;
}

static void s_item(voc_item *it, const char *text, voc_kind kind, const char *source)
{
    voc_item_init(it);
    it->uid = strdup("t-1");
    it->source = strdup(source);
    it->kind = kind;
    it->text_len = strlen(text);
    it->text = malloc(it->text_len + 1);
    memcpy(it->text, text, it->text_len + 1);
}

static const voc_item_theme *s_theme(const voc_item *it, const char *id)
{
    for (size_t i = 0; i < it->theme_count; i++)
        if (strcmp(it->themes[i].id, id) == 0) return &it->themes[i];
    return NULL;
}

Test(rules, cases_from_data_file)
{
    voc_rules *r = s_load("engine.rules.json");
    voc_matcher *m = NULL;
    voc_err err = {0};
    cr_assert_eq(voc_matcher_new(&m, r, NULL, &err), 0, "%s", err.msg);
    char *cases = s_read("engine.cases.jsonl");
    size_t ncases = 0;
    for (char *line = strtok(cases, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *c = cJSON_Parse(line);
        cr_assert_not_null(c, "bad case line: %s", line);
        const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
        const char *text = cJSON_GetObjectItem(c, "text")->valuestring;
        cJSON *k = cJSON_GetObjectItem(c, "kind"), *s = cJSON_GetObjectItem(c, "source");
        voc_kind kind = VOC_KIND_OTHER;
        if (k) cr_assert_eq(voc_kind_parse(k->valuestring, &kind), 0);
        voc_item it;
        s_item(&it, text, kind, s ? s->valuestring : "api");
        cr_assert_eq(voc_matcher_tag(m, &it, &err), 0, "%s: %s", name, err.msg);

        /* Exactly the expected themes, in rule-set order. */
        cJSON *want = cJSON_GetObjectItem(c, "themes");
        char got_s[256] = "", want_s[256] = "";
        for (size_t i = 0; i < it.theme_count; i++)
            snprintf(got_s + strlen(got_s), sizeof got_s - strlen(got_s), "%s ", it.themes[i].id);
        cJSON *w;
        cJSON_ArrayForEach(w, want) snprintf(want_s + strlen(want_s),
                                             sizeof want_s - strlen(want_s), "%s ", w->valuestring);
        cr_assert_str_eq(got_s, want_s, "case \"%s\"", name);

        /* Evidence: the rule that fired and the exact text it points at. */
        cJSON *ev = cJSON_GetObjectItem(c, "evidence");
        cJSON *th;
        cJSON_ArrayForEach(th, ev)
        {
            const voc_item_theme *t = s_theme(&it, th->string);
            cr_assert_not_null(t, "case \"%s\": theme %s", name, th->string);
            cJSON *pair;
            cJSON_ArrayForEach(pair, th)
            {
                const char *rule = cJSON_GetArrayItem(pair, 0)->valuestring;
                const char *span = cJSON_GetArrayItem(pair, 1)->valuestring;
                bool found = false;
                for (size_t e = 0; e < t->evidence_count && !found; e++) {
                    const voc_evidence *x = &t->evidence[e];
                    if (strcmp(x->rule, rule) != 0) continue;
                    cr_assert(x->end >= x->start && x->end <= it.text_len);
                    cr_assert_eq(x->end - x->start, strlen(span),
                                 "case \"%s\": %s points at \"%.*s\", want \"%s\"", name, rule,
                                 (int)(x->end - x->start), it.text + x->start, span);
                    cr_assert(memcmp(it.text + x->start, span, strlen(span)) == 0,
                              "case \"%s\": %s points at \"%.*s\", want \"%s\"", name, rule,
                              (int)(x->end - x->start), it.text + x->start, span);
                    found = true;
                }
                cr_assert(found, "case \"%s\": theme %s has no evidence %s", name, th->string,
                          rule);
            }
        }
        voc_item_clear(&it);
        cJSON_Delete(c);
        ncases++;
    }
    cr_assert_geq(ncases, 15);
    cr_assert_eq(voc_matcher_limit_hits(m), 0);
    free(cases);
    voc_matcher_destroy(&m);
    voc_rules_destroy(&r);
    cr_assert_null(r);
}

Test(rules, accessors_and_order)
{
    voc_rules *r = s_load("engine.rules.json");
    cr_assert_str_eq(voc_rules_name(r), "engine-test");
    cr_assert_eq(voc_rules_theme_count(r), 8);
    cr_assert_str_eq(voc_rules_theme_id(r, 0), "billing");
    cr_assert_str_eq(voc_rules_theme_id(r, 1), "billing.refund");
    cr_assert_str_eq(voc_rules_theme_id(r, 3), "performance");
    cr_assert_str_eq(voc_rules_theme_name(r, 2), "Double charge");
    cr_assert_null(voc_rules_theme_id(r, 8));
    cr_assert_str_eq(voc_rules_stop_words(r)[0], "acme");
    cr_assert_null(voc_rules_stop_words(r)[1]);
    cr_assert_str_eq(voc_rules_negations(r)[1], "never");
    voc_rules_destroy(&r);
}

Test(rules, hash_is_sha256_of_the_exact_bytes)
{
    const char *a = "{\"themes\": [{\"id\": \"x\", \"patterns\": [\"x\"]}]}";
    const char *b = "{\"themes\": [{\"id\": \"x\", \"patterns\": [\"x\"]}]} ";
    voc_rules *ra = NULL, *rb = NULL, *ra2 = NULL;
    voc_err err = {0};
    cr_assert_eq(voc_rules_parse(&ra, a, strlen(a), "a", &err), 0, "%s", err.msg);
    cr_assert_eq(voc_rules_parse(&rb, b, strlen(b), "b", &err), 0, "%s", err.msg);
    cr_assert_eq(voc_rules_parse(&ra2, a, strlen(a), "a2", &err), 0, "%s", err.msg);
    cr_assert_eq(strlen(voc_rules_hash(ra)), 64);
    cr_assert_str_neq(voc_rules_hash(ra), voc_rules_hash(rb));
    cr_assert_str_eq(voc_rules_hash(ra), voc_rules_hash(ra2));
    cr_assert_str_eq(voc_rules_body(rb), b);
    cr_assert_str_eq(voc_rules_name(ra), "a", "origin names an unnamed rule set");
    voc_rules_destroy(&ra);
    voc_rules_destroy(&rb);
    voc_rules_destroy(&ra2);
}

Test(rules, known_sha256_vector)
{
    /* printf '{"themes":[]}' | sha256sum */
    const char *j = "{\"themes\":[]}";
    voc_rules *r = NULL;
    voc_err err = {0};
    cr_assert_eq(voc_rules_parse(&r, j, strlen(j), "v", &err), 0, "%s", err.msg);
    cr_assert_str_eq(voc_rules_hash(r),
                     "2c377657f003512038100cfc5f844d1fb0be4b16d6fe22cc6a045b2e3cc36e80");
    voc_rules_destroy(&r);
}

/* Each bad rule set must fail with a message containing every fragment. */
typedef struct s_bad {
    const char *json;
    int code;
    const char *want[3];
} s_bad;

static const s_bad s_bad_cases[] = {
    {"{\"themes\": [", VOC_EPARSE, {"not valid JSON", "line 1"}},
    {"[]", VOC_EPARSE, {"must be a JSON object"}},
    {"{\"themse\": []}", VOC_EPARSE, {"unknown key \"themse\"", "did you mean \"themes\""}},
    {"{\"themes\": [{\"id\": \"a\", \"patern\": [\"x\"]}]}",
     VOC_EPARSE,
     {"theme \"a\"", "\"patern\"", "did you mean \"patterns\""}},
    {"{\"themes\": [{\"id\": \"a\", \"patterns\": [\"ok\", \"(unclosed\"]}]}",
     VOC_EPARSE,
     {"theme \"a\"", "patterns[1]", "offset 9"}},
    {"{\"themes\": [{\"id\": \"a\"}, {\"id\": \"a\"}]}", VOC_EINVAL, {"theme \"a\"", "duplicate"}},
    {"{\"themes\": [{\"id\": \"a\", \"themes\": [{\"id\": \"b\"}]}]}",
     VOC_EINVAL,
     {"theme \"b\"", "\"a.NAME\""}},
    {"{\"themes\": [{\"id\": \"Billing\"}]}", VOC_EINVAL, {"theme \"Billing\"", "a-z"}},
    {"{\"themes\": [{\"name\": \"x\"}]}", VOC_EPARSE, {"no \"id\""}},
    {"{\"themes\": [{\"id\": \"a\", \"keywords\": {\"the\": 1}}]}",
     VOC_EINVAL,
     {"theme \"a\"", "keyword \"the\"", "stop words"}},
    {"{\"themes\": [{\"id\": \"a\", \"keywords\": {\"x\": -1}}]}",
     VOC_EINVAL,
     {"keyword \"x\"", "out of range"}},
    {"{\"themes\": [{\"id\": \"a\", \"patterns\": [{\"regex\": \"x\", \"weight\": \"1\"}]}]}",
     VOC_EPARSE,
     {"patterns[0]", "weight must be a number"}},
    {"{\"themes\": [{\"id\": \"a\", \"kinds\": [\"chat\"]}]}",
     VOC_EINVAL,
     {"kinds[0]", "\"chat\""}},
    {"{\"themes\": [{\"id\": \"a\", \"threshold\": 0}]}", VOC_EINVAL, {"threshold"}},
    {"{\"themes\": [{\"id\": \"a\", \"patterns\": [\"\"]}]}", VOC_EINVAL, {"empty pattern"}},
    {"{\"themes\": [{\"id\": \"a\", \"exclude\": [{\"regex\": \"x\"}]}]}",
     VOC_EPARSE,
     {"exclude[0]", "must be a string"}},
};

Test(rules, load_errors_name_theme_and_problem)
{
    for (size_t i = 0; i < sizeof s_bad_cases / sizeof s_bad_cases[0]; i++) {
        const s_bad *c = &s_bad_cases[i];
        voc_rules *r = NULL;
        voc_err err = {0};
        int rc = voc_rules_parse(&r, c->json, strlen(c->json), "bad.json", &err);
        cr_assert_eq(rc, c->code, "case %zu (%s): rc %d, msg %s", i, c->json, rc, err.msg);
        cr_assert_null(r);
        cr_assert(strncmp(err.msg, "bad.json", 8) == 0, "case %zu: %s", i, err.msg);
        for (size_t k = 0; k < 3 && c->want[k]; k++)
            cr_assert(strstr(err.msg, c->want[k]), "case %zu: \"%s\" lacks \"%s\"", i, err.msg,
                      c->want[k]);
    }
}

Test(rules, load_missing_file)
{
    voc_rules *r = NULL;
    voc_err err = {0};
    cr_assert_eq(voc_rules_load(&r, "/nonexistent/rules.json", &err), VOC_EIO);
    cr_assert(strstr(err.msg, "/nonexistent/rules.json"));
}

/* A catastrophic pattern hits its limit on every item; the other rules still
 * tag the item and the call returns promptly. */
Test(rules, pathological_pattern_hits_limit_and_others_still_tag)
{
    const char *j = "{\"themes\": ["
                    "{\"id\": \"evil\", \"patterns\": [\"(a+)+b\", \"(a|aa)+$\"]},"
                    "{\"id\": \"billing\", \"keywords\": [\"refund\"]},"
                    "{\"id\": \"after\", \"patterns\": [\"\\\\brefund\\\\b\"]}]}";
    voc_rules *r = NULL;
    voc_matcher *m = NULL;
    voc_err err = {0};
    cr_assert_eq(voc_rules_parse(&r, j, strlen(j), "evil", &err), 0, "%s", err.msg);
    cr_assert_eq(voc_matcher_new(&m, r, NULL, &err), 0, "%s", err.msg);
    size_t n = 10 * 1024;
    char *text = malloc(n + 16);
    memset(text, 'a', n);
    strcpy(text + n, " ab refund"); /* "ab" gets past the prefilter */
    voc_item it;
    s_item(&it, text, VOC_KIND_TICKET, "api");
    cr_assert_eq(voc_matcher_tag(m, &it, &err), 0, "%s", err.msg);
    cr_assert_geq(voc_matcher_limit_hits(m), 1, "the nested quantifier must report its limit");
    cr_assert_null(s_theme(&it, "evil"));
    cr_assert_not_null(s_theme(&it, "billing"));
    cr_assert_not_null(s_theme(&it, "after"), "patterns after the bad one still run");
    voc_item_clear(&it);

    /* All 'a': (a|aa)+$ needs a deep JIT stack; with the default 1 MiB the
     * match must either succeed or report a limit, never silently fail. */
    memset(text, 'a', n);
    text[n] = '\0';
    s_item(&it, text, VOC_KIND_TICKET, "api");
    uint64_t before = voc_matcher_limit_hits(m);
    cr_assert_eq(voc_matcher_tag(m, &it, &err), 0, "%s", err.msg);
    cr_assert(s_theme(&it, "evil") || voc_matcher_limit_hits(m) > before);
    voc_item_clear(&it);

    /* A tiny JIT stack: the same text must be reported as a limit hit. */
    voc_matcher *small = NULL;
    voc_match_limits lim = voc_match_limits_default();
    lim.jit_stack_max = 32 * 1024;
    cr_assert_eq(voc_matcher_new(&small, r, &lim, &err), 0, "%s", err.msg);
    s_item(&it, text, VOC_KIND_TICKET, "api");
    cr_assert_eq(voc_matcher_tag(small, &it, &err), 0, "%s", err.msg);
    cr_assert_geq(voc_matcher_limit_hits(small), 1, "32 KiB JIT stack runs out on (a|aa)+$");
    voc_item_clear(&it);
    voc_matcher_destroy(&small);

    free(text);
    voc_matcher_destroy(&m);
    voc_rules_destroy(&r);
}

Test(rules, invalid_utf8_text_is_still_tagged)
{
    voc_rules *r = s_load("engine.rules.json");
    voc_matcher *m = NULL;
    voc_err err = {0};
    cr_assert_eq(voc_matcher_new(&m, r, NULL, &err), 0, "%s", err.msg);
    voc_item it;
    s_item(&it, "refund \xff\xfe please \xc3 where is the invoice \xe2\x82", VOC_KIND_TICKET,
           "api");
    cr_assert_eq(voc_matcher_tag(m, &it, &err), 0, "%s", err.msg);
    cr_assert_not_null(s_theme(&it, "billing.refund"));
    const voc_item_theme *b = s_theme(&it, "billing");
    cr_assert_not_null(b);
    cr_assert_str_eq(b->evidence[0].rule, "pattern:0");
    cr_assert(memcmp(it.text + b->evidence[0].start, "invoice", 7) == 0);
    cr_assert_eq(voc_matcher_limit_hits(m), 0);
    voc_item_clear(&it);
    voc_matcher_destroy(&m);
    voc_rules_destroy(&r);
}

Test(rules, retagging_an_item_replaces_nothing_it_should_not)
{
    /* Tagging twice with the same matcher gives the same result: the
     * per-item state is reset between items. */
    voc_rules *r = s_load("engine.rules.json");
    voc_matcher *m = NULL;
    voc_err err = {0};
    cr_assert_eq(voc_matcher_new(&m, r, NULL, &err), 0, "%s", err.msg);
    voc_item a, b;
    s_item(&a, "slow and lagging, need a refund", VOC_KIND_SURVEY, "api");
    s_item(&b, "all good", VOC_KIND_SURVEY, "api");
    cr_assert_eq(voc_matcher_tag(m, &a, &err), 0);
    cr_assert_eq(voc_matcher_tag(m, &b, &err), 0);
    cr_assert_eq(b.theme_count, 0, "state leaked from the previous item");
    cr_assert_eq(a.theme_count, 3);
    voc_item_clear(&a);
    voc_item_clear(&b);
    voc_matcher_destroy(&m);
    voc_rules_destroy(&r);
}

/* The Vectorscan prefilter only skips patterns that cannot match: tagging
 * with and without it gives the same themes, scores and evidence. */
Test(rules, prefilter_changes_nothing)
{
    voc_rules *r = s_load("engine.rules.json");
    cr_assert_gt(voc_rules_prefiltered_count(r), 0, "prefilter built");
    cr_assert_eq(voc_rules_prefiltered_count(r), voc_rules_pattern_count(r));
    voc_matcher *fast = NULL, *slow = NULL;
    voc_match_limits lim = voc_match_limits_default();
    lim.no_prefilter = true;
    voc_err err = {0};
    cr_assert_eq(voc_matcher_new(&fast, r, NULL, &err), 0);
    cr_assert_eq(voc_matcher_new(&slow, r, &lim, &err), 0);
    static const char *const words[] = {
        "invoice", "INVOICES", "refund", "no",     "billing",     "problem",      "double-charged",
        "double",  "charged",  "love",   "great",  "crash",       "app",          "slow",
        "lag",     "acme",     "widget", "the",    "caf\xc3\xa9", "\xe2\x80\x99", "!",
        "\xff",    "Love",     "Great!", "invoic", "lovely"};
    uint64_t seed = 42;
    for (int n = 0; n < 3000; n++) {
        char text[400] = "";
        int len = 1 + (int)(seed % 12);
        for (int w = 0; w < len; w++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            strcat(text, words[(seed >> 33) % (sizeof words / sizeof words[0])]);
            strcat(text, (seed >> 20) % 5 ? " " : ", ");
        }
        voc_item a, b;
        s_item(&a, text, VOC_KIND_TICKET, "appstore");
        s_item(&b, text, VOC_KIND_TICKET, "appstore");
        cr_assert_eq(voc_matcher_tag(fast, &a, &err), 0);
        cr_assert_eq(voc_matcher_tag(slow, &b, &err), 0);
        cr_assert_eq(a.theme_count, b.theme_count, "text \"%s\"", text);
        for (size_t t = 0; t < a.theme_count; t++) {
            cr_assert_str_eq(a.themes[t].id, b.themes[t].id, "text \"%s\"", text);
            cr_assert_float_eq(a.themes[t].score, b.themes[t].score, 1e-9);
            cr_assert_eq(a.themes[t].evidence_count, b.themes[t].evidence_count);
            for (size_t e = 0; e < a.themes[t].evidence_count; e++) {
                cr_assert_str_eq(a.themes[t].evidence[e].rule, b.themes[t].evidence[e].rule);
                cr_assert_eq(a.themes[t].evidence[e].start, b.themes[t].evidence[e].start);
            }
        }
        voc_item_clear(&a);
        voc_item_clear(&b);
    }
    voc_matcher_destroy(&fast);
    voc_matcher_destroy(&slow);
    voc_rules_destroy(&r);
}

/* The prefilter scans an ASCII superset of each pattern (\w, \d, \s widened
 * by all non-ASCII code points, bounded repeats unbounded): on text full of
 * non-ASCII letters, digits and spaces it still never skips a pattern that
 * matches. */
Test(rules, widened_prefilter_changes_nothing_on_unicode_text)
{
    static const char json[] =
        "{\"name\":\"wide\",\"themes\":["
        "{\"id\":\"a\",\"patterns\":[\"\\\\btook (\\\\w+ ){0,3}(days|d\\u00edas)\\\\b\"]},"
        "{\"id\":\"b\",\"patterns\":[\"\\\\bwaited \\\\d+ ?days\\\\b\", \"x\\\\sy\"]},"
        "{\"id\":\"c\",\"patterns\":[\"\\\\bcaf\\\\w\\\\b\", \"[\\\\w-]+ would be\"]},"
        "{\"id\":\"d\",\"patterns\":[\"\\\\bno[^\\\\s]{1,3}\\\\b\", \"\\\\bbig.{0,6}slow\\\\b\"]},"
        "{\"id\":\"e\",\"patterns\":[\"\\\\W{2}end\\\\b\", \"\\\\Bly\\\\b\"]}]}";
    voc_rules *r = NULL;
    voc_err err = {0};
    cr_assert_eq(voc_rules_parse(&r, json, sizeof json - 1, "inline", &err), 0, "%s", err.msg);
    cr_assert_eq(voc_rules_prefiltered_count(r), voc_rules_pattern_count(r));
    voc_matcher *fast = NULL, *slow = NULL;
    voc_match_limits lim = voc_match_limits_default();
    lim.no_prefilter = true;
    cr_assert_eq(voc_matcher_new(&fast, r, NULL, &err), 0);
    cr_assert_eq(voc_matcher_new(&slow, r, &lim, &err), 0);
    static const char *const words[] = {"took",
                                        "days",
                                        "d\xc3\xad"
                                        "as",
                                        "waited",
                                        "\xd9\xa3",
                                        "3",
                                        "x",
                                        "y",
                                        "x\xc2\xa0y",
                                        "caf\xc3\xa9",
                                        "cafe",
                                        "caf\xc3\xa9s",
                                        "an",
                                        "\xc3\xbc"
                                        "ber-app",
                                        "would",
                                        "be",
                                        "no\xc3\xab",
                                        "no",
                                        "big",
                                        "\xe2\x80\x94",
                                        "slow",
                                        "end",
                                        "\xc2\xbf",
                                        "kindly",
                                        "\xc3\xa9ly",
                                        "al\xc3\xbc"};
    uint64_t seed = 7;
    size_t tagged = 0;
    for (int n = 0; n < 4000; n++) {
        char text[600] = "";
        int len = 1 + (int)(seed % 10);
        for (int w = 0; w < len; w++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            strcat(text, words[(seed >> 33) % (sizeof words / sizeof words[0])]);
            strcat(text, (seed >> 20) % 7 ? " " : (seed >> 24) % 2 ? "\xc2\xa0" : ", ");
        }
        voc_item a, b;
        s_item(&a, text, VOC_KIND_TICKET, "appstore");
        s_item(&b, text, VOC_KIND_TICKET, "appstore");
        cr_assert_eq(voc_matcher_tag(fast, &a, &err), 0);
        cr_assert_eq(voc_matcher_tag(slow, &b, &err), 0);
        cr_assert_eq(a.theme_count, b.theme_count, "text \"%s\"", text);
        for (size_t t = 0; t < a.theme_count; t++) {
            cr_assert_str_eq(a.themes[t].id, b.themes[t].id, "text \"%s\"", text);
            cr_assert_float_eq(a.themes[t].score, b.themes[t].score, 1e-9, "text \"%s\"", text);
        }
        tagged += a.theme_count > 0;
        voc_item_clear(&a);
        voc_item_clear(&b);
    }
    cr_assert_gt(tagged, 500, "the texts exercise the patterns");
    voc_matcher_destroy(&fast);
    voc_matcher_destroy(&slow);
    voc_rules_destroy(&r);
}
