/* pipeline.c: the analysis stages in one table (see pipeline.h). */
#include "processor/pipeline.h"

#include "common/alloc.h"
#include "processor/redact.h"
#include "processor/sentiment.h"
#include "processor/tokenize.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

struct voc_pipeline {
    voc_matcher *matcher;
    voc_tokenizer *tokenizer;
    voc_sentiment *sentiment;
    voc_redactor *redactor;
    bool keep_pii;
    voc_redact_counts redactions;
};

typedef int (*s_stage_fn)(voc_pipeline *p, voc_item *it, voc_err *err);

typedef struct s_stage {
    const char *name;
    s_stage_fn run;
} s_stage;

static bool s_is_ascii_clean(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 || (c < 0x20 && c != '\n' && c != '\t')) return false;
    }
    return true;
}

int voc_normalize_text(char **s, size_t *len, voc_err *err)
{
    char *text = *s;
    size_t n = *len;
    /* Fast path: plain ASCII with no control characters is already NFC. */
    if (!s_is_ascii_clean(text, n)) {
        utf8proc_uint8_t *out = NULL;
        utf8proc_ssize_t r =
            utf8proc_map((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)n, &out,
                         UTF8PROC_COMPOSE | UTF8PROC_STABLE | UTF8PROC_NLF2LF | UTF8PROC_REJECTNA);
        if (r < 0) return voc_err_set(err, VOC_EINVAL, "text: %s", utf8proc_errmsg(r));
        /* Drop control characters other than LF and TAB. */
        size_t w = 0;
        for (utf8proc_ssize_t i = 0; i < r; i++) {
            unsigned char c = out[i];
            if (c < 0x20 && c != '\n' && c != '\t') continue;
            if (c == 0x7f) continue;
            out[w++] = c;
        }
        out[w] = '\0';
        free(text);
        text = (char *)out;
        n = w;
    }
    size_t a = 0;
    while (a < n && (text[a] == ' ' || text[a] == '\n' || text[a] == '\t'))
        a++;
    while (n > a && (text[n - 1] == ' ' || text[n - 1] == '\n' || text[n - 1] == '\t'))
        n--;
    if (a) memmove(text, text + a, n - a);
    n -= a;
    text[n] = '\0';
    *s = text;
    *len = n;
    return 0;
}

static int s_normalize(voc_pipeline *p, voc_item *it, voc_err *err)
{
    (void)p;
    int rc = voc_normalize_text(&it->text, &it->text_len, err);
    if (rc) return rc;
    if (it->text_len == 0 && it->scale == VOC_SCALE_NONE)
        return voc_err_set(err, VOC_EINVAL, "text: empty after normalization");
    if (it->subject) {
        size_t sl = strlen(it->subject);
        if ((rc = voc_normalize_text(&it->subject, &sl, err)))
            return voc_err_prefix(err, "subject");
    }
    return 0;
}

static int s_redact(voc_pipeline *p, voc_item *it, voc_err *err)
{
    (void)err;
    if (p->keep_pii) return 0;
    voc_redact(p->redactor, &it->text, &it->text_len, &p->redactions);
    if (it->subject) {
        size_t sl = strlen(it->subject);
        voc_redact(p->redactor, &it->subject, &sl, &p->redactions);
    }
    return 0;
}

static int s_tokenize(voc_pipeline *p, voc_item *it, voc_err *err)
{
    return voc_tokenize_item(p->tokenizer, it, err);
}

static int s_tag(voc_pipeline *p, voc_item *it, voc_err *err)
{
    return p->matcher ? voc_matcher_tag(p->matcher, it, err) : 0;
}

static int s_sentiment(voc_pipeline *p, voc_item *it, voc_err *err)
{
    (void)err;
    voc_sentiment_score(p->sentiment, it);
    return 0;
}

static const s_stage s_stages[] = {
    {"normalize", s_normalize}, {"redact", s_redact}, {"tokenize", s_tokenize}, {"tag", s_tag},
    {"sentiment", s_sentiment},
};

int voc_pipeline_new(voc_pipeline **out, const voc_rules *rules, voc_err *err)
{
    int rc;
    voc_pipeline *p = voc_calloc(1, sizeof *p);
    *out = NULL;
    if ((rc = voc_tokenizer_new(&p->tokenizer, rules ? voc_rules_stop_words(rules) : NULL, err)))
        goto fail;
    if (rules && (rc = voc_matcher_new(&p->matcher, rules, NULL, err))) goto fail;
    const voc_lexicon_entry *lex = NULL;
    size_t nlex = rules ? voc_rules_lexicon(rules, &lex) : 0;
    if ((rc = voc_sentiment_new(&p->sentiment, rules ? voc_rules_negations(rules) : NULL, lex, nlex,
                                err)))
        goto fail;
    const voc_redact_rule *red = NULL;
    size_t nred = rules ? voc_rules_redactions(rules, &red) : 0;
    if ((rc = voc_redactor_new(&p->redactor, red, nred, err))) goto fail;
    *out = p;
    return 0;
fail:
    voc_pipeline_destroy(&p);
    return rc;
}

void voc_pipeline_destroy(voc_pipeline **self_p)
{
    if (!self_p || !*self_p) return;
    voc_matcher_destroy(&(*self_p)->matcher);
    voc_tokenizer_destroy(&(*self_p)->tokenizer);
    voc_sentiment_destroy(&(*self_p)->sentiment);
    voc_redactor_destroy(&(*self_p)->redactor);
    free(*self_p);
    *self_p = NULL;
}

int voc_pipeline_run(voc_pipeline *p, voc_item *it, voc_err *err)
{
    voc_item_clear_analysis(it);
    for (size_t i = 0; i < sizeof s_stages / sizeof s_stages[0]; i++) {
        int rc = s_stages[i].run(p, it, err);
        if (rc) return rc;
    }
    return 0;
}

void voc_pipeline_keep_pii(voc_pipeline *p, bool keep)
{
    p->keep_pii = keep;
}

const voc_redact_counts *voc_pipeline_redactions(const voc_pipeline *p)
{
    return &p->redactions;
}
