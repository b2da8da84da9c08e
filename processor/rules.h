/* rules.h: the theme rule engine (libvoc_analysis).
 *
 * A rule set is a JSON file (docs/rules.md): a tree of themes, each with
 * weighted PCRE2 patterns, weighted keywords matched on stems, exclude
 * patterns that veto the theme (and its sub-themes), a threshold, and optional
 * scoping to kinds and sources. An item gets a theme when the summed weight of
 * its distinct matching patterns and keywords reaches the threshold; a
 * sub-theme implies its parent.
 *
 * Patterns are compiled once at load (case-insensitive, UTF, Unicode
 * properties, JIT) and shared read-only; a voc_matcher holds the per-thread
 * match data, JIT stack and tokenizer. Every match runs under match, depth
 * and heap limits: a pattern that hits a limit is counted and reported, and
 * the item is still tagged by the other rules. */
#ifndef VOC_RULES_H
#define VOC_RULES_H

#include "common/err.h"
#include "common/item.h"
#include "processor/redact.h"
#include "processor/sentiment.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct voc_rules voc_rules;
typedef struct voc_matcher voc_matcher;

/* Parse and compile a rule set from JSON text. origin names it in error
 * messages (a file name). Errors: VOC_EPARSE (JSON, unknown key with the
 * nearest known key, pattern compile error with theme id and offset),
 * VOC_EINVAL (bad ids, duplicates, bad weights). Caller owns *out; free with
 * voc_rules_destroy. */
int voc_rules_parse(voc_rules **out, const char *json, size_t len, const char *origin,
                    voc_err *err);
/* Read and parse a file. Errors as voc_rules_parse, plus VOC_EIO. */
int voc_rules_load(voc_rules **out, const char *path, voc_err *err);
void voc_rules_destroy(voc_rules **self_p);

/* The rule set's name ("name" key, else the origin), SHA-256 hex of the
 * exact bytes loaded, and those bytes. Borrowed; valid until destroy. */
const char *voc_rules_name(const voc_rules *r);
const char *voc_rules_hash(const voc_rules *r);
const char *voc_rules_body(const voc_rules *r);
size_t voc_rules_theme_count(const voc_rules *r);
/* Patterns and excludes in all, and how many of them the Vectorscan
 * prefilter covers (the rest run on every item). */
size_t voc_rules_pattern_count(const voc_rules *r);
size_t voc_rules_prefiltered_count(const voc_rules *r);
/* Theme id by index (0 .. count-1), in file order, parents before children. */
const char *voc_rules_theme_id(const voc_rules *r, size_t i);

/* The rule set's own redaction patterns ("redact") and sentiment lexicon
 * entries ("lexicon"). Borrowed; valid until destroy. */
size_t voc_rules_redactions(const voc_rules *r, const voc_redact_rule **out);
size_t voc_rules_lexicon(const voc_rules *r, const voc_lexicon_entry **out);

/* Index of the theme with this id, or -1. */
long voc_rules_theme_index(const voc_rules *r, const char *id);
/* Theme display name by index (the id when the rule set gives none). */
const char *voc_rules_theme_name(const voc_rules *r, size_t i);
/* The rule set's extra stop words and negation cues, NULL-terminated.
 * Borrowed; valid until destroy. */
const char *const *voc_rules_stop_words(const voc_rules *r);
const char *const *voc_rules_negations(const voc_rules *r);

/* One finding of voc_rules_lint. */
typedef struct voc_rules_problem {
    char *theme;   /* theme id */
    char *where;   /* "patterns[2]", "exclude[0]", "threshold", ... */
    char *message; /* what is wrong, for a person */
} voc_rules_problem;

/* Problems a rule set can load with but should not ship with: patterns that
 * match the empty string, thresholds that no combination of the theme's own
 * weights can reach (and no sub-theme can imply), themes with no rules at
 * all, and patterns that hit the match limits on probe texts (long runs of
 * one letter, repeated words, a long line without spaces). Caller frees with
 * voc_rules_problems_free. */
void voc_rules_lint(const voc_rules *r, voc_rules_problem **out, size_t *count);
void voc_rules_problems_free(voc_rules_problem *p, size_t count);

/* Limits applied to every pattern match. */
typedef struct voc_match_limits {
    uint32_t match_limit;    /* PCRE2 match limit; default 1000000 */
    uint32_t depth_limit;    /* default 10000 */
    uint32_t heap_limit_kib; /* default 20480 */
    size_t jit_stack_max;    /* bytes; default 1 MiB */
    bool no_prefilter;       /* run every pattern on every item (for comparison) */
} voc_match_limits;

voc_match_limits voc_match_limits_default(void);

/* A per-thread matcher over a rule set (borrowed: the rules must outlive it).
 * limits may be NULL for the defaults. */
int voc_matcher_new(voc_matcher **out, const voc_rules *rules, const voc_match_limits *limits,
                    voc_err *err);
void voc_matcher_destroy(voc_matcher **self_p);

/* Tag it: tokenizes it->text if it has no tokens yet, then appends to
 * it->themes every theme whose score reaches its threshold, each with its
 * evidence ("pattern:N" = the theme's Nth pattern, "keyword:WORD"), parents
 * implied by sub-themes. Pattern failures (limits, JIT stack) do not fail the
 * call: they are counted in voc_matcher_limit_hits and logged. */
int voc_matcher_tag(voc_matcher *m, voc_item *it, voc_err *err);

/* Number of pattern matches that hit a limit since the matcher was made. */
uint64_t voc_matcher_limit_hits(const voc_matcher *m);

#endif
