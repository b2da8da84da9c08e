/* cmd_rules.c: voc rules check|test|eval — the tools a team uses to edit a
 * rule set with confidence: lint it, try it on text, and measure it against
 * labeled examples. None of them needs a database. */
#include "cli/cli.h"

#include "common/alloc.h"
#include "processor/pipeline.h"
#include "processor/rules.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- check -------------------------------------------------------------- */

static const voc_opt s_check_opts[] = {
    {"format", VOC_OPT_STR, "text", NULL, "FMT", "text or json"},
    {0},
};

static int s_check(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_rules *r = NULL;
    voc_rules_problem *probs = NULL;
    size_t nprobs = 0;
    if (voc_opts_parse(&o, s_check_opts, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc rules check", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout, "voc rules check FILE",
                            "Load a rule set and report every problem: JSON and PCRE2 errors "
                            "(with theme id and position), unknown keys, duplicate ids, patterns "
                            "that match the empty string or blow the match limit, thresholds "
                            "that cannot be reached. Exit 0 when clean, 1 when not.",
                            s_check_opts);
        status = VOC_EXIT_OK;
        goto out;
    }
    const char *const *args;
    if (voc_opts_args(o, &args) != 1) {
        fprintf(stderr, "voc rules check: give one rule file\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    bool json = strcmp(voc_opts_str(o, "format"), "json") == 0;
    if (voc_rules_load(&r, args[0], &err)) {
        if (json) {
            cJSON *res = cJSON_CreateObject();
            cJSON_AddBoolToObject(res, "ok", 0);
            cJSON_AddStringToObject(res, "error", err.msg);
            char *s = cJSON_PrintUnformatted(res);
            puts(s);
            free(s);
            cJSON_Delete(res);
        } else {
            printf("error: %s\n", err.msg);
        }
        goto out; /* exit 1: the file does not load */
    }
    voc_rules_lint(r, &probs, &nprobs);
    if (json) {
        cJSON *res = cJSON_CreateObject();
        cJSON_AddBoolToObject(res, "ok", nprobs == 0);
        cJSON_AddStringToObject(res, "name", voc_rules_name(r));
        cJSON_AddStringToObject(res, "hash", voc_rules_hash(r));
        cJSON_AddNumberToObject(res, "themes", (double)voc_rules_theme_count(r));
        cJSON *arr = cJSON_AddArrayToObject(res, "problems");
        for (size_t i = 0; i < nprobs; i++) {
            cJSON *p = cJSON_CreateObject();
            cJSON_AddStringToObject(p, "theme", probs[i].theme);
            cJSON_AddStringToObject(p, "where", probs[i].where);
            cJSON_AddStringToObject(p, "message", probs[i].message);
            cJSON_AddItemToArray(arr, p);
        }
        char *s = cJSON_PrintUnformatted(res);
        puts(s);
        free(s);
        cJSON_Delete(res);
    } else {
        for (size_t i = 0; i < nprobs; i++)
            printf("%s: theme \"%s\": %s: %s\n", args[0], probs[i].theme, probs[i].where,
                   probs[i].message);
        printf("%s: %zu themes, %zu problem%s (rule set \"%s\", sha256 %.12s)\n", args[0],
               voc_rules_theme_count(r), nprobs, nprobs == 1 ? "" : "s", voc_rules_name(r),
               voc_rules_hash(r));
    }
    status = nprobs ? VOC_EXIT_RUNTIME : VOC_EXIT_OK;
out:
    voc_rules_problems_free(probs, nprobs);
    voc_rules_destroy(&r);
    voc_opts_destroy(&o);
    return status;
}

/* ---- shared by test and eval -------------------------------------------- */

/* Build an item from one input line: {"text": ..., optional "kind",
 * "source", "subject"}. */
static int s_item_from_line(const cJSON *o, voc_item *it, voc_err *err)
{
    voc_item_init(it);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text");
    if (!cJSON_IsString(t)) return voc_err_set(err, VOC_EPARSE, "\"text\" must be a string");
    it->text = voc_strdup(t->valuestring);
    it->text_len = strlen(it->text);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "kind");
    if (cJSON_IsString(k) && voc_kind_parse(k->valuestring, &it->kind))
        return voc_err_set(err, VOC_EINVAL, "kind: '%s' is not a kind", k->valuestring);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "source");
    it->source = voc_strdup(cJSON_IsString(s) ? s->valuestring : "api");
    it->uid = voc_strdup("test");
    return 0;
}

/* Read stdin or a file line by line; NULL at the end. Caller frees. */
static char *s_getline(FILE *fp, size_t *len)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, fp);
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    *len = (size_t)n;
    return line;
}

/* ---- test --------------------------------------------------------------- */

static const voc_opt s_test_opts[] = {
    {"text", VOC_OPT_STR, NULL, NULL, "TEXT", "text to tag (else JSON Lines on stdin)"},
    {"kind", VOC_OPT_STR, NULL, NULL, "KIND", "kind of the --text item"},
    {"source", VOC_OPT_STR, NULL, NULL, "SOURCE", "source of the --text item"},
    {"format", VOC_OPT_STR, "text", NULL, "FMT", "text or json (one object per input line)"},
    {0},
};

static cJSON *s_result_json(const voc_rules *r, const voc_item *it)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", it->text);
    cJSON *arr = cJSON_AddArrayToObject(o, "themes");
    for (size_t t = 0; t < it->theme_count; t++) {
        const voc_item_theme *th = &it->themes[t];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "id", th->id);
        long idx = voc_rules_theme_index(r, th->id);
        if (idx >= 0) cJSON_AddStringToObject(x, "name", voc_rules_theme_name(r, (size_t)idx));
        cJSON_AddNumberToObject(x, "score", th->score);
        if (th->has_sentiment)
            cJSON_AddNumberToObject(x, "sentiment", round(th->sentiment * 1000) / 1000);
        cJSON *ev = cJSON_AddArrayToObject(x, "evidence");
        for (size_t e = 0; e < th->evidence_count; e++) {
            const voc_evidence *v = &th->evidence[e];
            cJSON *y = cJSON_CreateObject();
            cJSON_AddStringToObject(y, "rule", v->rule);
            cJSON_AddNumberToObject(y, "start", v->start);
            cJSON_AddNumberToObject(y, "end", v->end);
            if (v->end <= it->text_len && v->start < v->end) {
                char *m = voc_strndup(it->text + v->start, v->end - v->start);
                cJSON_AddStringToObject(y, "match", m);
                free(m);
            }
            cJSON_AddItemToArray(ev, y);
        }
        cJSON_AddItemToArray(arr, x);
    }
    cJSON_AddNumberToObject(o, "sentiment", round(it->sentiment * 1000) / 1000);
    return o;
}

static void s_result_text(const voc_item *it)
{
    printf("\"");
    voc_cli_put_clipped(stdout, it->text, 76);
    printf("\"\n");
    if (!it->theme_count) printf("  (no themes)\n");
    for (size_t t = 0; t < it->theme_count; t++) {
        const voc_item_theme *th = &it->themes[t];
        printf("  %-26s %5.2f ", th->id, th->score);
        for (size_t e = 0; e < th->evidence_count; e++) {
            const voc_evidence *v = &th->evidence[e];
            printf(" %s", v->rule);
            if (v->end <= it->text_len && v->start < v->end && strncmp(v->rule, "theme:", 6))
                printf("=\"%.*s\"@%u", (int)(v->end - v->start), it->text + v->start, v->start);
        }
        putchar('\n');
    }
    printf("  sentiment %+.2f\n", it->sentiment);
}

static int s_test(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_rules *r = NULL;
    voc_pipeline *p = NULL;
    if (voc_opts_parse(&o, s_test_opts, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc rules test", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout,
                            "voc rules test FILE --text \"...\"\n"
                            "       voc rules test FILE [--format json] < items.jsonl",
                            "Tag text with a rule set and show the themes, scores and evidence, "
                            "and the sentiment. Input lines are {\"text\": ..., \"kind\": ..., "
                            "\"source\": ...}; with --format json one JSON object is printed "
                            "per input line, in order.",
                            s_test_opts);
        status = VOC_EXIT_OK;
        goto out;
    }
    const char *const *args;
    if (voc_opts_args(o, &args) != 1) {
        fprintf(stderr, "voc rules test: give one rule file\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    const char *fmt = voc_opts_str(o, "format");
    if (strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0) {
        fprintf(stderr, "voc rules test: --format must be text or json\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    bool json = strcmp(fmt, "json") == 0;
    if (voc_rules_load(&r, args[0], &err) || voc_pipeline_new(&p, r, &err)) {
        status = voc_cli_fail("voc rules test", &err);
        goto out;
    }
    const char *text = voc_opts_str(o, "text");
    size_t lineno = 0, bad = 0;
    for (;;) {
        cJSON *in = NULL;
        char *line = NULL;
        size_t len;
        if (text) {
            if (lineno++) break;
            in = cJSON_CreateObject();
            cJSON_AddStringToObject(in, "text", text);
            if (voc_opts_str(o, "kind"))
                cJSON_AddStringToObject(in, "kind", voc_opts_str(o, "kind"));
            if (voc_opts_str(o, "source"))
                cJSON_AddStringToObject(in, "source", voc_opts_str(o, "source"));
        } else {
            if (!(line = s_getline(stdin, &len))) break;
            lineno++;
            if (len == 0) {
                free(line);
                continue;
            }
            in = cJSON_ParseWithLength(line, len);
        }
        voc_item it;
        voc_err why = {0};
        int rc =
            in ? s_item_from_line(in, &it, &why) : voc_err_set(&why, VOC_EPARSE, "not valid JSON");
        if (rc == 0) rc = voc_pipeline_run(p, &it, &why);
        if (rc) {
            bad++;
            fprintf(stderr, "voc rules test: line %zu: %s\n", lineno, why.msg);
            if (json) {
                cJSON *e = cJSON_CreateObject();
                cJSON_AddNumberToObject(e, "line", (double)lineno);
                cJSON_AddStringToObject(e, "error", why.msg);
                cJSON_AddArrayToObject(e, "themes");
                char *s = cJSON_PrintUnformatted(e);
                puts(s);
                free(s);
                cJSON_Delete(e);
            }
        } else if (json) {
            cJSON *res = s_result_json(r, &it);
            char *s = cJSON_PrintUnformatted(res);
            puts(s);
            free(s);
            cJSON_Delete(res);
        } else {
            s_result_text(&it);
        }
        voc_item_clear(&it);
        cJSON_Delete(in);
        free(line);
    }
    status = bad ? VOC_EXIT_RUNTIME : VOC_EXIT_OK;
out:
    voc_pipeline_destroy(&p);
    voc_rules_destroy(&r);
    voc_opts_destroy(&o);
    return status;
}

/* ---- eval --------------------------------------------------------------- */

static const voc_opt s_eval_opts[] = {
    {"labeled", VOC_OPT_STR, NULL, NULL, "FILE",
     "JSON Lines of {\"text\": ..., \"themes\": [...]} (required)"},
    {"show", VOC_OPT_INT, "5", NULL, "N", "worst false positives and negatives to list"},
    {"format", VOC_OPT_STR, "text", NULL, "FMT", "text or json"},
    {0},
};

typedef struct s_counts {
    const char *id;
    int64_t tp, fp, fn;
    bool labeled; /* the theme or one of its sub-themes occurs in the labels */
    bool scored;  /* see s_mark_scored */
} s_counts;

/* A theme is scored unless the labels never name it while they do name an
 * ancestor: a set labeled with top-level themes only then evaluates a rule
 * set with sub-themes fairly (the sub-themes count through their parent). */
static void s_mark_scored(s_counts *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        c[i].scored = true;
        if (c[i].labeled) continue;
        size_t il = strlen(c[i].id);
        for (size_t k = 0; k < n; k++) {
            size_t kl = strlen(c[k].id);
            if (k != i && c[k].labeled && kl < il && c[i].id[kl] == '.' &&
                strncmp(c[i].id, c[k].id, kl) == 0)
                c[i].scored = false;
        }
    }
}

typedef struct s_miss {
    size_t line;
    char *theme;
    char *text;
    double score; /* false positive: the score that wrongly passed */
    bool fp;
} s_miss;

static bool s_has(const char *const *set, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(set[i], id) == 0) return true;
    return false;
}

static double s_f1(double p, double r)
{
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
}
static double s_div(int64_t a, int64_t b)
{
    return b ? (double)a / (double)b : 0;
}

static int s_miss_cmp(const void *a, const void *b)
{
    const s_miss *x = a, *y = b;
    return x->score < y->score   ? 1
           : x->score > y->score ? -1
                                 : (x->line > y->line) - (x->line < y->line);
}

static int s_eval(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_rules *r = NULL;
    voc_pipeline *p = NULL;
    FILE *fp = NULL;
    s_counts *c = NULL;
    s_miss *miss = NULL;
    size_t nmiss = 0, miss_cap = 0, nthemes = 0;
    if (voc_opts_parse(&o, s_eval_opts, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc rules eval", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout, "voc rules eval FILE --labeled LABELED.jsonl",
                            "Measure a rule set against labeled examples: precision, recall and "
                            "F1 per theme, micro and macro averages, and the worst false "
                            "positives and negatives. A labeled sub-theme implies its parent; "
                            "sub-themes the labels never name while they name the parent "
                            "count through the parent only.",
                            s_eval_opts);
        status = VOC_EXIT_OK;
        goto out;
    }
    const char *const *args;
    const char *labeled = voc_opts_str(o, "labeled");
    if (voc_opts_args(o, &args) != 1 || !labeled) {
        fprintf(stderr, "voc rules eval: give one rule file and --labeled FILE\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    if (voc_rules_load(&r, args[0], &err) || voc_pipeline_new(&p, r, &err)) {
        status = voc_cli_fail("voc rules eval", &err);
        goto out;
    }
    if (!(fp = fopen(labeled, "r"))) {
        fprintf(stderr, "voc rules eval: cannot open %s\n", labeled);
        goto out;
    }
    nthemes = voc_rules_theme_count(r);
    c = voc_calloc(nthemes ? nthemes : 1, sizeof *c);
    for (size_t i = 0; i < nthemes; i++)
        c[i].id = voc_rules_theme_id(r, i);
    char *line;
    size_t len, lineno = 0, examples = 0, unknown = 0;
    while ((line = s_getline(fp, &len))) {
        lineno++;
        if (len == 0) {
            free(line);
            continue;
        }
        cJSON *in = cJSON_ParseWithLength(line, len);
        free(line);
        voc_item it;
        voc_err why = {0};
        const cJSON *labels = in ? cJSON_GetObjectItemCaseSensitive(in, "themes") : NULL;
        int rc = !in ? voc_err_set(&why, VOC_EPARSE, "not valid JSON")
                 : !cJSON_IsArray(labels)
                     ? voc_err_set(&why, VOC_EPARSE, "\"themes\" must be an array")
                     : s_item_from_line(in, &it, &why);
        if (rc == 0 && (rc = voc_pipeline_run(p, &it, &why))) voc_item_clear(&it);
        if (rc) {
            fprintf(stderr, "voc rules eval: %s:%zu: %s\n", labeled, lineno, why.msg);
            cJSON_Delete(in);
            status = VOC_EXIT_USAGE;
            goto out;
        }
        /* Expected set: the labels and their ancestors. */
        const char *want[64];
        size_t nwant = 0;
        const cJSON *l;
        cJSON_ArrayForEach(l, labels)
        {
            if (!cJSON_IsString(l)) continue;
            if (voc_rules_theme_index(r, l->valuestring) < 0) {
                if (unknown++ < 5)
                    fprintf(stderr, "voc rules eval: %s:%zu: label '%s' is not a theme of %s\n",
                            labeled, lineno, l->valuestring, args[0]);
                continue;
            }
            for (size_t i = 0; i < nthemes && nwant < 64; i++) {
                size_t il = strlen(c[i].id);
                if ((strncmp(l->valuestring, c[i].id, il) == 0 &&
                     (l->valuestring[il] == '\0' || l->valuestring[il] == '.')) &&
                    !s_has(want, nwant, c[i].id))
                    want[nwant++] = c[i].id;
            }
        }
        for (size_t i = 0; i < nthemes; i++) {
            if (s_has(want, nwant, c[i].id)) c[i].labeled = true;
            const voc_item_theme *got = NULL;
            for (size_t t = 0; t < it.theme_count; t++)
                if (strcmp(it.themes[t].id, c[i].id) == 0) got = &it.themes[t];
            bool w = s_has(want, nwant, c[i].id);
            if (got && w)
                c[i].tp++;
            else if (got || w) {
                if (got)
                    c[i].fp++;
                else
                    c[i].fn++;
                voc_grow((void **)&miss, &miss_cap, nmiss + 1, sizeof *miss);
                miss[nmiss++] = (s_miss){lineno, voc_strdup(c[i].id), voc_strdup(it.text),
                                         got ? got->score : 0, got != NULL};
            }
        }
        examples++;
        voc_item_clear(&it);
        cJSON_Delete(in);
    }
    if (unknown > 5)
        fprintf(stderr, "voc rules eval: %zu labels in all are not themes of the rule set\n",
                unknown);

    s_mark_scored(c, nthemes);
    {
        size_t keep = 0;
        for (size_t i = 0; i < nmiss; i++) {
            long k = voc_rules_theme_index(r, miss[i].theme);
            if (k >= 0 && !c[k].scored) {
                free(miss[i].theme);
                free(miss[i].text);
            } else {
                miss[keep++] = miss[i];
            }
        }
        nmiss = keep;
    }
    int64_t TP = 0, FP = 0, FN = 0;
    double sp = 0, sr = 0, sf = 0;
    size_t nmacro = 0;
    for (size_t i = 0; i < nthemes; i++) {
        if (!c[i].scored) continue;
        TP += c[i].tp;
        FP += c[i].fp;
        FN += c[i].fn;
        if (c[i].tp + c[i].fn > 0) { /* macro over themes that occur in the labels */
            double pr = s_div(c[i].tp, c[i].tp + c[i].fp), rc = s_div(c[i].tp, c[i].tp + c[i].fn);
            sp += pr;
            sr += rc;
            sf += s_f1(pr, rc);
            nmacro++;
        }
    }
    double mp = s_div(TP, TP + FP), mr = s_div(TP, TP + FN);
    if (nmiss) qsort(miss, nmiss, sizeof *miss, s_miss_cmp);
    long long show = voc_opts_int(o, "show");
    bool json = strcmp(voc_opts_str(o, "format"), "json") == 0;
    if (json) {
        cJSON *res = cJSON_CreateObject();
        cJSON_AddNumberToObject(res, "examples", (double)examples);
        cJSON *arr = cJSON_AddArrayToObject(res, "themes");
        for (size_t i = 0; i < nthemes; i++) {
            if (!c[i].scored || (!c[i].tp && !c[i].fp && !c[i].fn)) continue;
            double pr = s_div(c[i].tp, c[i].tp + c[i].fp), rc = s_div(c[i].tp, c[i].tp + c[i].fn);
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "id", c[i].id);
            cJSON_AddNumberToObject(x, "tp", (double)c[i].tp);
            cJSON_AddNumberToObject(x, "fp", (double)c[i].fp);
            cJSON_AddNumberToObject(x, "fn", (double)c[i].fn);
            cJSON_AddNumberToObject(x, "precision", pr);
            cJSON_AddNumberToObject(x, "recall", rc);
            cJSON_AddNumberToObject(x, "f1", s_f1(pr, rc));
            cJSON_AddItemToArray(arr, x);
        }
        cJSON *mi = cJSON_AddObjectToObject(res, "micro");
        cJSON_AddNumberToObject(mi, "precision", mp);
        cJSON_AddNumberToObject(mi, "recall", mr);
        cJSON_AddNumberToObject(mi, "f1", s_f1(mp, mr));
        cJSON *ma = cJSON_AddObjectToObject(res, "macro");
        cJSON_AddNumberToObject(ma, "precision", nmacro ? sp / (double)nmacro : 0);
        cJSON_AddNumberToObject(ma, "recall", nmacro ? sr / (double)nmacro : 0);
        cJSON_AddNumberToObject(ma, "f1", nmacro ? sf / (double)nmacro : 0);
        cJSON *fps = cJSON_AddArrayToObject(res, "false_positives");
        cJSON *fns = cJSON_AddArrayToObject(res, "false_negatives");
        long long nfp = 0, nfn = 0;
        for (size_t i = 0; i < nmiss; i++) {
            if (miss[i].fp ? nfp++ >= show : nfn++ >= show) continue;
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "line", (double)miss[i].line);
            cJSON_AddStringToObject(x, "theme", miss[i].theme);
            if (miss[i].fp) cJSON_AddNumberToObject(x, "score", miss[i].score);
            cJSON_AddStringToObject(x, "text", miss[i].text);
            cJSON_AddItemToArray(miss[i].fp ? fps : fns, x);
        }
        char *s = cJSON_PrintUnformatted(res);
        puts(s);
        free(s);
        cJSON_Delete(res);
    } else {
        printf("%zu labeled examples\n\n%-30s %5s %5s %5s %9s %7s %6s\n", examples, "THEME", "TP",
               "FP", "FN", "PRECISION", "RECALL", "F1");
        for (size_t i = 0; i < nthemes; i++) {
            if (!c[i].scored || (!c[i].tp && !c[i].fp && !c[i].fn)) continue;
            double pr = s_div(c[i].tp, c[i].tp + c[i].fp), rc = s_div(c[i].tp, c[i].tp + c[i].fn);
            printf("%-30s %5lld %5lld %5lld %9.3f %7.3f %6.3f\n", c[i].id, (long long)c[i].tp,
                   (long long)c[i].fp, (long long)c[i].fn, pr, rc, s_f1(pr, rc));
        }
        printf("%-30s %5lld %5lld %5lld %9.3f %7.3f %6.3f\n", "micro average", (long long)TP,
               (long long)FP, (long long)FN, mp, mr, s_f1(mp, mr));
        if (nmacro)
            printf("%-30s %5s %5s %5s %9.3f %7.3f %6.3f\n", "macro average", "", "", "",
                   sp / (double)nmacro, sr / (double)nmacro, sf / (double)nmacro);
        for (int pass = 0; pass < 2; pass++) {
            printf("\n%s:\n", pass == 0 ? "Worst false positives (tagged, not labeled)"
                                        : "False negatives (labeled, not tagged)");
            long long shown = 0;
            for (size_t i = 0; i < nmiss && shown < show; i++) {
                if (miss[i].fp != (pass == 0)) continue;
                printf("  line %-5zu %-24s ", miss[i].line, miss[i].theme);
                if (pass == 0) printf("%.2f ", miss[i].score);
                printf("\"");
                voc_cli_put_clipped(stdout, miss[i].text, 60);
                printf("\"\n");
                shown++;
            }
            if (!shown) printf("  none\n");
        }
    }
    status = VOC_EXIT_OK;
out:
    for (size_t i = 0; i < nmiss; i++) {
        free(miss[i].theme);
        free(miss[i].text);
    }
    free(miss);
    free(c);
    if (fp) fclose(fp);
    voc_pipeline_destroy(&p);
    voc_rules_destroy(&r);
    voc_opts_destroy(&o);
    return status;
}

/* ---- dispatch ----------------------------------------------------------- */

int voc_cmd_rules(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
        const char *summary;
    } subs[] = {
        {"check", s_check, "lint a rule set"},
        {"test", s_test, "tag text with a rule set and show the evidence"},
        {"eval", s_eval, "precision, recall and F1 against labeled examples"},
    };
    if (argc >= 2) {
        for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
            if (strcmp(argv[1], subs[i].name) == 0) return subs[i].run(argc - 1, argv + 1);
    }
    bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    FILE *out = help ? stdout : stderr;
    if (argc >= 2 && !help) fprintf(stderr, "voc rules: unknown subcommand '%s'\n\n", argv[1]);
    fprintf(out, "usage: voc rules SUBCOMMAND FILE [options]\n\nsubcommands:\n");
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        fprintf(out, "  %-6s %s\n", subs[i].name, subs[i].summary);
    fprintf(out, "\nRun 'voc rules SUBCOMMAND --help' for its options.\n");
    return help ? VOC_EXIT_OK : VOC_EXIT_USAGE;
}
