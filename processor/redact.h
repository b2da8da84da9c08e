/* redact.h: the redact stage. Personal data is replaced by a placeholder
 * before anything is tokenized, tagged or stored, so the database never
 * holds it:
 *
 *   e-mail addresses            -> [email]
 *   payment card numbers        -> [card]   (13-19 digits, Luhn-checked)
 *   phone numbers               -> [phone]  (10-15 digits, or 8+ after "+")
 *   a rule set's own patterns   -> [NAME]   ("redact" in docs/rules.md)
 *
 * Patterns are compiled once; a voc_redactor keeps its match data, so use
 * one per thread. */
#ifndef VOC_REDACT_H
#define VOC_REDACT_H

#include "common/err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct voc_redactor voc_redactor;

/* An extra pattern: matches are replaced by "[name]". */
typedef struct voc_redact_rule {
    const char *name;
    const char *regex;
} voc_redact_rule;

enum { VOC_REDACT_EMAIL, VOC_REDACT_CARD, VOC_REDACT_PHONE, VOC_REDACT_CUSTOM, VOC_REDACT_KINDS };

/* Redactions made so far, by kind. */
typedef struct voc_redact_counts {
    uint64_t n[VOC_REDACT_KINDS];
} voc_redact_counts;

/* extra may be NULL. Errors: VOC_EPARSE naming the rule whose regex does not
 * compile. Caller owns *out; free with voc_redactor_destroy. */
int voc_redactor_new(voc_redactor **out, const voc_redact_rule *extra, size_t extra_count,
                     voc_err *err);
void voc_redactor_destroy(voc_redactor **self_p);

/* Redact the malloc'ed UTF-8 string *s of *len bytes in place (it may be
 * reallocated). Adds what it replaced to counts (may be NULL); returns the
 * number of replacements. */
size_t voc_redact(voc_redactor *r, char **s, size_t *len, voc_redact_counts *counts);

/* True when digits[0..n) (ASCII digits only) pass the Luhn check. */
int voc_luhn_valid(const char *digits, size_t n);

#endif
