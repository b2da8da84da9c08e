/* redact.c: PII redaction with PCRE2 (see redact.h).
 *
 * Each kind is one pass over the text: a loose pattern finds candidates and
 * a check decides (card numbers must pass Luhn, phone numbers must have a
 * plausible digit count and must not be a date), so "order 2026-03-04" and
 * "ticket #48213" stay readable while "4111 1111 1111 1111" does not. */
#include "processor/redact.h"

#include "common/alloc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef enum s_check { S_NONE, S_CARD, S_PHONE } s_check;

typedef struct s_pass {
    pcre2_code *code;
    char *placeholder; /* "[email]" */
    int kind;
    s_check check;
} s_pass;

struct voc_redactor {
    s_pass *passes;
    size_t count;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    voc_buf out;
};

/* \w is Unicode-aware here (PCRE2_UCP): internationalized addresses too. */
static const char s_email[] =
    "[\\w.%+-]+@\\w(?:[\\w-]*\\w)?(?:\\.\\w(?:[\\w-]*\\w)?)*\\.[A-Za-z]{2,24}";
/* Digits with optional single spaces or dashes between them. */
static const char s_card[] = "(?<![\\w.])\\d(?:[ -]?\\d){12,18}(?![\\w])";
/* An optional +country, an optional (area), then digit groups separated by
 * space, dot or dash. */
static const char s_phone[] = "(?<![\\w+])(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,4}\\)[ .-]?)?"
                              "\\d{2,4}(?:[ .-]?\\d{2,4}){1,4}(?![\\w])";

int voc_luhn_valid(const char *digits, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int d = digits[n - 1 - i] - '0';
        if (i % 2 == 1) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
    }
    return n > 0 && sum % 10 == 0;
}

static size_t s_digits(const char *s, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] >= '0' && s[i] <= '9') {
            if (n < cap) out[n] = s[i];
            n++;
        }
    return n;
}

static bool s_accept(s_check check, const char *m, size_t len)
{
    char d[64];
    size_t n = s_digits(m, len, d, sizeof d);
    switch (check) {
    case S_CARD:
        return n >= 13 && n <= 19 && voc_luhn_valid(d, n);
    case S_PHONE: {
        /* 2026-03-04, 2026.03.04: a date, not a phone. */
        if (len == 10 && (m[4] == '-' || m[4] == '.') && m[7] == m[4]) return false;
        bool plus = m[0] == '+';
        return plus ? n >= 8 && n <= 15 : n >= 10 && n <= 15;
    }
    default:
        return true;
    }
}

static int s_add(voc_redactor *r, const char *regex, const char *name, int kind, s_check check,
                 voc_err *err)
{
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF |
                                       (kind == VOC_REDACT_CUSTOM ? PCRE2_CASELESS : 0),
                                   &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof msg);
        return voc_err_set(err, VOC_EPARSE, "redact \"%s\": compile error at offset %zu: %s", name,
                           (size_t)off, (const char *)msg);
    }
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* the interpreter is the fallback */
    r->passes = voc_realloc(r->passes, (r->count + 1) * sizeof *r->passes);
    r->passes[r->count++] = (s_pass){re, voc_asprintf("[%s]", name), kind, check};
    return 0;
}

int voc_redactor_new(voc_redactor **out, const voc_redact_rule *extra, size_t extra_count,
                     voc_err *err)
{
    *out = NULL;
    voc_redactor *r = voc_calloc(1, sizeof *r);
    int rc;
    if ((rc = s_add(r, s_email, "email", VOC_REDACT_EMAIL, S_NONE, err)) ||
        (rc = s_add(r, s_card, "card", VOC_REDACT_CARD, S_CARD, err)) ||
        (rc = s_add(r, s_phone, "phone", VOC_REDACT_PHONE, S_PHONE, err)))
        goto fail;
    for (size_t i = 0; i < extra_count; i++)
        if ((rc = s_add(r, extra[i].regex, extra[i].name, VOC_REDACT_CUSTOM, S_NONE, err)))
            goto fail;
    r->md = pcre2_match_data_create(1, NULL);
    r->mctx = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(r->mctx, 1000000);
    *out = r;
    return 0;
fail:
    voc_redactor_destroy(&r);
    return rc;
}

void voc_redactor_destroy(voc_redactor **self_p)
{
    if (!self_p || !*self_p) return;
    voc_redactor *r = *self_p;
    for (size_t i = 0; i < r->count; i++) {
        pcre2_code_free(r->passes[i].code);
        free(r->passes[i].placeholder);
    }
    free(r->passes);
    pcre2_match_data_free(r->md);
    pcre2_match_context_free(r->mctx);
    voc_buf_free(&r->out);
    free(r);
    *self_p = NULL;
}

/* Cheap filters that skip a pass when it cannot match. */
static bool s_may_match(const s_pass *p, const char *s, size_t len)
{
    if (p->kind == VOC_REDACT_EMAIL) return memchr(s, '@', len) != NULL;
    if (p->kind == VOC_REDACT_CARD || p->kind == VOC_REDACT_PHONE) {
        size_t run = 0;
        for (size_t i = 0; i < len; i++) {
            run = (s[i] >= '0' && s[i] <= '9') ? run + 1 : run;
            if (run >= 8) return true;
        }
        return false;
    }
    return true;
}

size_t voc_redact(voc_redactor *r, char **s, size_t *len, voc_redact_counts *counts)
{
    size_t total = 0;
    for (size_t p = 0; p < r->count; p++) {
        const s_pass *pass = &r->passes[p];
        if (!s_may_match(pass, *s, *len)) continue;
        voc_buf_reset(&r->out);
        size_t pos = 0, copied = 0, made = 0;
        while (pos <= *len) {
            int rc = pcre2_match(pass->code, (PCRE2_SPTR)*s, *len, pos, 0, r->md, r->mctx);
            if (rc < 0) break; /* no match, or a limit: leave the rest as it is */
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
            size_t a = ov[0], b = ov[1];
            if (b == a) { /* an empty match from a custom rule: step over it */
                pos = a + 1;
                continue;
            }
            if (s_accept(pass->check, *s + a, b - a)) {
                voc_buf_append(&r->out, *s + copied, a - copied);
                voc_buf_puts(&r->out, pass->placeholder);
                copied = b;
                made++;
            }
            pos = b;
        }
        if (!made) continue;
        voc_buf_append(&r->out, *s + copied, *len - copied);
        char *copy = voc_malloc(r->out.len + 1);
        memcpy(copy, r->out.data, r->out.len + 1);
        free(*s);
        *s = copy;
        *len = r->out.len;
        total += made;
        if (counts) counts->n[pass->kind] += made;
    }
    return total;
}
