/* item.h: voc_item, the one record that flows through every stage.
 *
 * A collector builds an item from a vendor payload or a file row; the
 * processor validates it, then each stage adds to it (tokens, themes,
 * sentiment) and the store writes it. Only this module turns an item into
 * JSON and back; the JSON form is documented in docs/protocol.md.
 *
 * voc_item is a plain struct that callers fill: every pointer field is owned
 * by the item and freed by voc_item_clear(). */
#ifndef VOC_ITEM_H
#define VOC_ITEM_H

#include "common/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum voc_kind {
    VOC_KIND_OTHER = 0,
    VOC_KIND_SURVEY,
    VOC_KIND_NPS,
    VOC_KIND_TICKET,
    VOC_KIND_REVIEW,
    VOC_KIND_COUNT_
} voc_kind;

typedef enum voc_scale {
    VOC_SCALE_NONE = 0, /* no score */
    VOC_SCALE_NPS,      /* 0-10 */
    VOC_SCALE_RATING,   /* 1-5 */
} voc_scale;

/* A segment attribute such as plan=pro or region=emea. */
typedef struct voc_attr {
    char *key;
    char *value;
} voc_attr;

/* One token of the item's text (filled by the processor's tokenize stage).
 * start/end are byte offsets into item.text; norm and stem index into
 * item.token_arena (NUL-terminated strings). */
typedef struct voc_token {
    uint32_t start;
    uint32_t end;
    uint32_t norm;
    uint32_t stem;
    uint32_t flags;     /* VOC_TOKEN_* */
    uint32_t stem_hash; /* voc_stem_hash of the stem, for keyword lookup */
} voc_token;

/* FNV-1a of a stem, as tokens carry it. */
static inline uint32_t voc_stem_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

enum { VOC_TOKEN_STOP = 1 << 0, VOC_TOKEN_NUMBER = 1 << 1 };

/* Why a theme was given: which rule fired and where (byte offsets in text). */
typedef struct voc_evidence {
    char *rule; /* e.g. "pattern:0", "keyword:refund" */
    uint32_t start;
    uint32_t end;
} voc_evidence;

typedef struct voc_item_theme {
    char *id; /* e.g. "billing.refund" */
    double score;
    double sentiment; /* of the clauses holding the evidence, -1 .. +1 */
    bool has_sentiment;
    voc_evidence *evidence;
    size_t evidence_count;
} voc_item_theme;

typedef struct voc_item {
    char *uid;
    char *source;
    voc_kind kind;
    int64_t created_at;     /* seconds since the epoch, UTC */
    int64_t received_at;    /* when a collector first saw it */
    bool created_defaulted; /* created_at was absent and set to received_at */
    char *customer_id;      /* NULL when unknown */
    char *account;          /* NULL when unknown */
    voc_attr *attrs;
    size_t attr_count;
    voc_scale scale;
    int score;     /* meaningful when scale != VOC_SCALE_NONE */
    char *subject; /* NULL when none */
    char *text;    /* never NULL in a valid item */
    size_t text_len;

    /* Added by the processor. */
    voc_token *tokens;
    size_t token_count;
    char *token_arena;
    size_t token_arena_len;
    voc_item_theme *themes;
    size_t theme_count;
    double sentiment; /* -1 (negative) .. +1 (positive) */
    bool has_sentiment;
} voc_item;

/* Limits the decoder enforces. voc_item_limits_default() gives 64 KiB text. */
typedef struct voc_item_limits {
    size_t max_text;    /* bytes */
    size_t max_subject; /* bytes */
    size_t max_attrs;
    size_t max_depth; /* JSON nesting */
} voc_item_limits;

/* Defaults applied by the decoder to fields the payload leaves out. */
typedef struct voc_item_defaults {
    const char *source;  /* NULL: "api" */
    voc_kind kind;       /* used when "kind" is absent and no scale implies one */
    int64_t received_at; /* 0: now */
} voc_item_defaults;

voc_item_limits voc_item_limits_default(void);

void voc_item_init(voc_item *it);
/* Free every owned field and re-initialise. NULL-safe. */
void voc_item_clear(voc_item *it);

/* Decode and validate one item from JSON text json[0..len). On failure the
 * item is left cleared and err names the field and the problem, e.g.
 * "score: 14 is out of range 0-10 for scale nps". Errors: VOC_EPARSE
 * (not JSON, bad UTF-8, NUL, wrong types), VOC_EINVAL (bad values),
 * VOC_ELIMIT (too large or too deep). lim and def may be NULL. A missing uid
 * is derived (voc_item_derive_uid). */
int voc_item_from_json(voc_item *out, const char *json, size_t len, const voc_item_limits *lim,
                       const voc_item_defaults *def, voc_err *err);

enum {
    VOC_ITEM_JSON_ANALYSIS = 1 << 0, /* include themes and sentiment */
};

/* Encode as one line of compact JSON. Caller owns; free with free(). */
char *voc_item_to_json(const voc_item *it, unsigned flags);

/* Set it->uid to "h-" + 32 hex digits of SHA-256 over source, created_at,
 * customer_id and text: stable across re-imports of the same content. */
void voc_item_derive_uid(voc_item *it);

/* 16 hex digits identifying the item's content (every field but
 * received_at): equal hashes mean a resend changed nothing. */
void voc_item_content_hash(const voc_item *it, char out[17]);

/* Add an attribute (copies key and value); replaces an existing key. */
void voc_item_set_attr(voc_item *it, const char *key, const char *value);
const char *voc_item_attr(const voc_item *it, const char *key);

/* Append a theme (copies id); returns it for adding evidence. */
voc_item_theme *voc_item_add_theme(voc_item *it, const char *id, double score);
void voc_item_theme_add_evidence(voc_item_theme *t, const char *rule, uint32_t start, uint32_t end);
/* Drop the analysis fields (tokens, themes, sentiment). */
void voc_item_clear_analysis(voc_item *it);
/* Drop only the themes (keep the tokens). */
void voc_item_clear_themes(voc_item *it);

const char *voc_kind_name(voc_kind k);
/* Parse "survey", "nps", "ticket", "review", "other". Returns 0 or VOC_EINVAL. */
int voc_kind_parse(const char *s, voc_kind *out);
const char *voc_scale_name(voc_scale s); /* "none", "nps", "rating" */

#endif
