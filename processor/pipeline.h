/* pipeline.h: the processor's analysis stages, in order:
 *
 *   normalize  NFC, newlines to LF, control characters dropped, trimmed
 *   redact     e-mails, card and phone numbers, rule-set patterns replaced
 *              by placeholders (redact.h)
 *   tokenize   words, case folding, stop words, stems (tokenize.h)
 *   tag        themes from the rule set (rules.h)
 *   sentiment  -1 .. +1 from an opinion lexicon (sentiment.h)
 *
 * Every stage has one signature and sits in one array; a stage adds fields
 * to the item or rejects it with a reason. Decoding and validation happen
 * before, in voc_item_from_json. A pipeline is per thread. */
#ifndef VOC_PIPELINE_H
#define VOC_PIPELINE_H

#include "common/err.h"
#include "common/item.h"
#include "processor/redact.h"
#include "processor/rules.h"

#include <stdbool.h>

typedef struct voc_pipeline voc_pipeline;

/* rules is borrowed and must outlive the pipeline. */
int voc_pipeline_new(voc_pipeline **out, const voc_rules *rules, voc_err *err);
void voc_pipeline_destroy(voc_pipeline **self_p);

/* Run every stage on it. On error the message names the stage. */
int voc_pipeline_run(voc_pipeline *p, voc_item *it, voc_err *err);

/* Keep personal data (skip the redact stage): voc-processor --keep-pii. */
void voc_pipeline_keep_pii(voc_pipeline *p, bool keep);
/* Redactions made by this pipeline so far. Borrowed. */
const voc_redact_counts *voc_pipeline_redactions(const voc_pipeline *p);

/* Normalize a string in place (the normalize stage on one field): NFC,
 * CRLF/CR to LF, other control characters except TAB removed, surrounding
 * whitespace trimmed. *s must be malloc'ed valid UTF-8; *len is updated. */
int voc_normalize_text(char **s, size_t *len, voc_err *err);

#endif
