/* rules.c: the theme rule engine (see rules.h and docs/rules.md).
 *
 * Loading turns the JSON tree into a flat array of themes in pre-order
 * (parents before children, each theme knowing where its subtree ends), with
 * every PCRE2 pattern compiled and JIT-compiled once, and keyword phrases
 * reduced to stem sequences indexed by their first stem. Matching an item is
 * then one pass over the themes (scope, excludes, patterns), one pass over
 * the item's tokens (keywords), thresholds, and parent implication. */
#include "processor/rules.h"

#include "common/alloc.h"
#include "common/log.h"
#include "common/opts.h"
#include "common/utf8.h"
#include "processor/tokenize.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <hs/hs.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_THEMES 10000
#define S_MAX_PATTERN 4096
#define S_MAX_DEPTH 8
#define S_MAX_EVIDENCE 16
#define S_MAX_PHRASE 8

typedef struct s_pattern {
    char *src;
    pcre2_code *code;
    double weight;
    uint32_t gid;   /* index among every pattern and exclude of the rule set */
    bool prefilter; /* in the Vectorscan database: run PCRE2 only on a hit */
} s_pattern;

typedef struct s_keyword {
    char *word;   /* as written in the rule set */
    char **stems; /* non-stop stems of the phrase, in order */
    size_t stem_count;
    double weight;
} s_keyword;

typedef struct s_theme {
    char *id;
    char *name;
    char *description;
    double threshold;
    s_pattern *patterns;
    size_t pattern_count;
    s_pattern *excludes;
    size_t exclude_count;
    s_keyword *keywords;
    size_t keyword_count;
    size_t keyword_base; /* index of keywords[0] among all keywords */
    unsigned kinds;      /* bit per voc_kind; 0 = every kind */
    char **sources;
    size_t source_count;
    long parent;        /* index, -1 for a top-level theme */
    size_t subtree_end; /* one past the last descendant */
} s_theme;

/* A keyword occurrence to check: theme index and keyword index within it. */
typedef struct s_kwref {
    uint32_t theme;
    uint32_t keyword;
} s_kwref;

typedef struct s_kwslot {
    char *stem;    /* first stem; NULL = empty slot */
    uint32_t hash; /* voc_stem_hash */
    s_kwref *refs;
    size_t ref_count;
    size_t ref_cap;
} s_kwslot;

struct voc_rules {
    char *name;
    char *description;
    char hash[65];
    char *body;
    size_t body_len;
    char **stop_words;       /* NULL-terminated */
    char **negations;        /* NULL-terminated */
    voc_redact_rule *redact; /* strings owned */
    size_t redact_count;
    voc_lexicon_entry *lexicon; /* words owned */
    size_t lexicon_count;
    s_theme *themes;
    size_t theme_count;
    size_t theme_cap;
    size_t keyword_total;
    s_kwslot *kwindex; /* open addressing on first stem */
    size_t kwindex_cap;
    uint64_t kw_bloom[64]; /* bit (hash >> 20) & 4095 set for every first stem */
    bool jit;
    hs_database_t *hs_db; /* prefilter over every pattern it accepts; may be NULL */
    /* The same patterns as written, without Unicode classes: exact for text
     * that is all ASCII, where they mean what they mean under UCP, and
     * cheaper to scan than the widened superset. NULL: use hs_db. */
    hs_database_t *hs_ascii;
    size_t pattern_total;
    size_t prefiltered;   /* patterns in hs_db */
    uint32_t *gid_theme;  /* pattern gid -> theme index */
    uint8_t *gid_exclude; /* pattern gid -> 1 for an exclude */
    uint32_t *always;     /* themes with a pattern outside the prefilter */
    size_t always_count;
};

/* ---- loading ------------------------------------------------------------ */

static const char *const s_top_keys[] = {"name",    "description", "stop_words", "negations",
                                         "lexicon", "redact",      "themes",     NULL};
static const char *const s_redact_keys[] = {"name", "regex", NULL};
static const char *const s_theme_keys[] = {"id",       "name",     "description", "threshold",
                                           "patterns", "keywords", "exclude",     "kinds",
                                           "sources",  "themes",   NULL};
static const char *const s_pattern_keys[] = {"regex", "weight", NULL};

static int s_check_keys(const cJSON *obj, const char *const *known, const char *where, voc_err *err)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        bool ok = false;
        for (size_t i = 0; known[i]; i++)
            ok = ok || strcmp(c->string, known[i]) == 0;
        if (ok) continue;
        const char *near = voc_nearest(c->string, known);
        if (near)
            return voc_err_set(err, VOC_EPARSE, "%sunknown key \"%s\" (did you mean \"%s\"?)",
                               where, c->string, near);
        return voc_err_set(err, VOC_EPARSE, "%sunknown key \"%s\"", where, c->string);
    }
    return 0;
}

/* Most words of a text start no keyword: a 4096-bit filter on the stem's
 * hash turns most of them away before the table is probed. */
static s_kwslot *s_kwindex_find(const voc_rules *r, const char *stem, uint32_t h)
{
    if (!r->kwindex_cap) return NULL;
    unsigned b = (h >> 20) & 4095;
    if (!(r->kw_bloom[b >> 6] & (1ull << (b & 63)))) return NULL;
    size_t mask = r->kwindex_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        s_kwslot *s = &r->kwindex[i];
        if (!s->stem || (s->hash == h && strcmp(s->stem, stem) == 0)) return s;
    }
}

static void s_kwindex_build(voc_rules *r)
{
    size_t cap = 16;
    while (cap < r->keyword_total * 2 + 2)
        cap *= 2;
    r->kwindex = voc_calloc(cap, sizeof *r->kwindex);
    r->kwindex_cap = cap;
    for (size_t t = 0; t < r->theme_count; t++) {
        const s_theme *th = &r->themes[t];
        for (size_t k = 0; k < th->keyword_count; k++) {
            const char *first = th->keywords[k].stems[0];
            uint32_t h = voc_stem_hash(first, strlen(first));
            unsigned b = (h >> 20) & 4095;
            r->kw_bloom[b >> 6] |= 1ull << (b & 63);
            s_kwslot *slot = s_kwindex_find(r, first, h);
            if (!slot->stem) {
                slot->stem = voc_strdup(first);
                slot->hash = h;
            }
            voc_grow((void **)&slot->refs, &slot->ref_cap, slot->ref_count + 1, sizeof *slot->refs);
            slot->refs[slot->ref_count++] = (s_kwref){(uint32_t)t, (uint32_t)k};
        }
    }
}

static int s_valid_segment(const char *s, size_t len)
{
    if (len == 0 || len > 64) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return 0;
    }
    return 1;
}

static int s_compile(voc_rules *r, const char *src, const char *where, pcre2_code **out,
                     voc_err *err)
{
    size_t len = strlen(src);
    if (len == 0) return voc_err_set(err, VOC_EINVAL, "%sempty pattern", where);
    if (len > S_MAX_PATTERN)
        return voc_err_set(err, VOC_ELIMIT, "%spattern of %zu bytes is over the limit of %d", where,
                           len, S_MAX_PATTERN);
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)src, len,
                                   PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF,
                                   &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof msg);
        return voc_err_set(err, VOC_EPARSE, "%scompile error at offset %zu: %s", where, (size_t)off,
                           (const char *)msg);
    }
    if (r->jit && pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) != 0) {
        /* JIT unavailable (e.g. an SELinux policy): the interpreter gives the
         * same answers, slower. */
        VOC_LOG_DEBUG("rules", "JIT unavailable; using the interpreter");
        r->jit = false;
    }
    *out = re;
    return 0;
}

static int s_parse_weight(const cJSON *v, const char *where, double *out, voc_err *err)
{
    if (!cJSON_IsNumber(v)) return voc_err_set(err, VOC_EPARSE, "%sweight must be a number", where);
    double w = v->valuedouble;
    if (!isfinite(w) || w <= 0 || w > 1000)
        return voc_err_set(err, VOC_EINVAL, "%sweight %g is out of range (0, 1000]", where, w);
    *out = w;
    return 0;
}

static int s_parse_patterns(voc_rules *r, const cJSON *arr, const char *tid, const char *key,
                            bool weighted, s_pattern **out, size_t *count, voc_err *err)
{
    char where[200];
    if (!cJSON_IsArray(arr))
        return voc_err_set(err, VOC_EPARSE, "theme \"%s\": %s must be an array", tid, key);
    size_t n = (size_t)cJSON_GetArraySize(arr);
    *out = voc_calloc(n ? n : 1, sizeof **out);
    *count = 0;
    size_t i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        snprintf(where, sizeof where, "theme \"%s\": %s[%zu]: ", tid, key, i);
        s_pattern *p = &(*out)[i];
        p->weight = 1.0;
        const char *src = NULL;
        if (cJSON_IsString(e)) {
            src = e->valuestring;
        } else if (cJSON_IsObject(e) && weighted) {
            int rc = s_check_keys(e, s_pattern_keys, where, err);
            if (rc) return rc;
            const cJSON *rx = cJSON_GetObjectItemCaseSensitive(e, "regex");
            if (!cJSON_IsString(rx))
                return voc_err_set(err, VOC_EPARSE, "%s\"regex\" must be a string", where);
            src = rx->valuestring;
            const cJSON *w = cJSON_GetObjectItemCaseSensitive(e, "weight");
            if (w && (rc = s_parse_weight(w, where, &p->weight, err))) return rc;
        } else {
            return voc_err_set(err, VOC_EPARSE, "%smust be a string%s", where,
                               weighted ? " or {\"regex\", \"weight\"}" : "");
        }
        p->src = voc_strdup(src);
        (*count)++;
        int rc = s_compile(r, src, where, &p->code, err);
        if (rc) return rc;
    }
    return 0;
}

static int s_parse_keyword(voc_tokenizer *tok, const char *tid, const char *word, double weight,
                           s_keyword *kw, voc_err *err)
{
    voc_token *toks = NULL;
    size_t n = 0;
    voc_buf arena = {0};
    int rc = voc_tokenize_text(tok, word, strlen(word), &toks, &n, &arena, err);
    if (rc) goto out;
    kw->word = voc_strdup(word);
    kw->weight = weight;
    kw->stems = voc_calloc(n ? n : 1, sizeof *kw->stems);
    for (size_t i = 0; i < n; i++) {
        if (toks[i].flags & VOC_TOKEN_STOP) continue;
        kw->stems[kw->stem_count++] = voc_strdup(arena.data + toks[i].stem);
    }
    if (kw->stem_count == 0)
        rc = voc_err_set(err, VOC_EINVAL,
                         "theme \"%s\": keyword \"%s\" has no words left after stop words; "
                         "use a pattern instead",
                         tid, word);
    else if (kw->stem_count > S_MAX_PHRASE)
        rc = voc_err_set(err, VOC_ELIMIT, "theme \"%s\": keyword \"%s\" has more than %d words",
                         tid, word, S_MAX_PHRASE);
out:
    free(toks);
    voc_buf_free(&arena);
    return rc;
}

static int s_parse_keywords(voc_tokenizer *tok, const cJSON *v, s_theme *th, voc_err *err)
{
    bool obj = cJSON_IsObject(v);
    if (!obj && !cJSON_IsArray(v))
        return voc_err_set(err, VOC_EPARSE,
                           "theme \"%s\": keywords must be an object {\"word\": weight} or an "
                           "array of words",
                           th->id);
    size_t n = (size_t)cJSON_GetArraySize(v);
    th->keywords = voc_calloc(n ? n : 1, sizeof *th->keywords);
    for (const cJSON *e = v->child; e; e = e->next) {
        double w = 1.0;
        const char *word;
        char where[200];
        if (obj) {
            word = e->string;
            snprintf(where, sizeof where, "theme \"%s\": keyword \"%s\": ", th->id, word);
            int rc = s_parse_weight(e, where, &w, err);
            if (rc) return rc;
        } else {
            if (!cJSON_IsString(e))
                return voc_err_set(err, VOC_EPARSE, "theme \"%s\": keywords[] must be strings",
                                   th->id);
            word = e->valuestring;
        }
        int rc = s_parse_keyword(tok, th->id, word, w, &th->keywords[th->keyword_count++], err);
        if (rc) return rc;
    }
    return 0;
}

static int s_parse_strings(const cJSON *v, const char *what, const char *tid, char ***out,
                           size_t *count, voc_err *err)
{
    if (!cJSON_IsArray(v))
        return voc_err_set(err, VOC_EPARSE, "%s%s%s%s must be an array of strings",
                           tid ? "theme \"" : "", tid ? tid : "", tid ? "\": " : "", what);
    size_t n = (size_t)cJSON_GetArraySize(v);
    char **list = voc_calloc(n + 1, sizeof *list);
    size_t i = 0;
    for (const cJSON *e = v->child; e; e = e->next) {
        if (!cJSON_IsString(e)) {
            for (size_t j = 0; j < i; j++)
                free(list[j]);
            free(list);
            return voc_err_set(err, VOC_EPARSE, "%s%s%s%s[%zu] must be a string",
                               tid ? "theme \"" : "", tid ? tid : "", tid ? "\": " : "", what, i);
        }
        list[i++] = voc_strdup(e->valuestring);
    }
    *out = list;
    if (count) *count = i;
    return 0;
}

static const char *s_str_field(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int s_parse_theme(voc_rules *r, voc_tokenizer *tok, const cJSON *obj, long parent, int depth,
                         voc_err *err);

static int s_parse_theme_list(voc_rules *r, voc_tokenizer *tok, const cJSON *arr, long parent,
                              int depth, voc_err *err)
{
    if (!cJSON_IsArray(arr))
        return voc_err_set(err, VOC_EPARSE, "%s%s%sthemes must be an array",
                           parent >= 0 ? "theme \"" : "", parent >= 0 ? r->themes[parent].id : "",
                           parent >= 0 ? "\": " : "");
    if (depth > S_MAX_DEPTH)
        return voc_err_set(err, VOC_ELIMIT, "themes nest deeper than %d levels", S_MAX_DEPTH);
    for (const cJSON *e = arr->child; e; e = e->next) {
        int rc = s_parse_theme(r, tok, e, parent, depth, err);
        if (rc) return rc;
    }
    return 0;
}

static int s_parse_theme(voc_rules *r, voc_tokenizer *tok, const cJSON *obj, long parent, int depth,
                         voc_err *err)
{
    int rc;
    char where[160];
    if (!cJSON_IsObject(obj)) return voc_err_set(err, VOC_EPARSE, "every theme must be an object");
    const char *id = s_str_field(obj, "id");
    if (!id)
        return voc_err_set(err, VOC_EPARSE, "a theme%s%s%s has no \"id\" string",
                           parent >= 0 ? " under \"" : "", parent >= 0 ? r->themes[parent].id : "",
                           parent >= 0 ? "\"" : "");
    snprintf(where, sizeof where, "theme \"%.100s\": ", id);
    if ((rc = s_check_keys(obj, s_theme_keys, where, err))) return rc;
    /* Ids: lower-case segments joined by dots; a child extends its parent. */
    const char *seg = id;
    if (parent >= 0) {
        const char *pid = r->themes[parent].id;
        size_t pl = strlen(pid);
        if (strncmp(id, pid, pl) != 0 || id[pl] != '.')
            return voc_err_set(err, VOC_EINVAL,
                               "%sa sub-theme of \"%s\" must have an id \"%s.NAME\"", where, pid,
                               pid);
        seg = id + pl + 1;
    }
    if (strchr(seg, '.') || !s_valid_segment(seg, strlen(seg)))
        return voc_err_set(err, VOC_EINVAL,
                           "%sid segment \"%s\" must be 1-64 characters of a-z, 0-9, _ or -", where,
                           seg);
    for (size_t i = 0; i < r->theme_count; i++)
        if (strcmp(r->themes[i].id, id) == 0)
            return voc_err_set(err, VOC_EINVAL, "%sduplicate theme id", where);
    if (r->theme_count >= S_MAX_THEMES)
        return voc_err_set(err, VOC_ELIMIT, "more than %d themes", S_MAX_THEMES);

    voc_grow((void **)&r->themes, &r->theme_cap, r->theme_count + 1, sizeof *r->themes);
    size_t idx = r->theme_count++;
    s_theme *th = &r->themes[idx];
    memset(th, 0, sizeof *th);
    th->id = voc_strdup(id);
    th->parent = parent;
    th->threshold = 1.0;
    const char *s;
    th->name = voc_strdup((s = s_str_field(obj, "name")) ? s : id);
    th->description = voc_strdup((s = s_str_field(obj, "description")) ? s : "");
    if (cJSON_GetObjectItemCaseSensitive(obj, "name") && !s_str_field(obj, "name"))
        return voc_err_set(err, VOC_EPARSE, "%sname must be a string", where);

    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(obj, "threshold"))) {
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble <= 0)
            return voc_err_set(err, VOC_EINVAL, "%sthreshold must be a number above 0", where);
        th->threshold = v->valuedouble;
    }
    /* Each s_parse_* may reallocate nothing in r->themes, so th stays valid
     * until the recursive call below. */
    if ((v = cJSON_GetObjectItemCaseSensitive(obj, "patterns")) &&
        (rc = s_parse_patterns(r, v, id, "patterns", true, &th->patterns, &th->pattern_count, err)))
        return rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(obj, "exclude")) &&
        (rc = s_parse_patterns(r, v, id, "exclude", false, &th->excludes, &th->exclude_count, err)))
        return rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(obj, "keywords")) &&
        (rc = s_parse_keywords(tok, v, th, err)))
        return rc;
    th->keyword_base = r->keyword_total;
    r->keyword_total += th->keyword_count;
    if ((v = cJSON_GetObjectItemCaseSensitive(obj, "kinds"))) {
        char **kinds = NULL;
        size_t n = 0;
        if ((rc = s_parse_strings(v, "kinds", id, &kinds, &n, err))) return rc;
        for (size_t i = 0; i < n && rc == 0; i++) {
            voc_kind k;
            if (voc_kind_parse(kinds[i], &k))
                rc = voc_err_set(err, VOC_EINVAL,
                                 "%skinds[%zu]: \"%s\" is not one of survey, nps, ticket, "
                                 "review, other",
                                 where, i, kinds[i]);
            else
                th->kinds |= 1u << k;
        }
        for (size_t i = 0; i < n; i++)
            free(kinds[i]);
        free(kinds);
        if (rc) return rc;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(obj, "sources")) &&
        (rc = s_parse_strings(v, "sources", id, &th->sources, &th->source_count, err)))
        return rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(obj, "themes")) &&
        (rc = s_parse_theme_list(r, tok, v, (long)idx, depth + 1, err)))
        return rc;
    r->themes[idx].subtree_end = r->theme_count;
    return 0;
}

static int s_parse_redact(voc_rules *r, const cJSON *v, voc_err *err)
{
    if (!cJSON_IsArray(v))
        return voc_err_set(err, VOC_EPARSE,
                           "redact must be an array of {\"name\": ..., \"regex\": ...}");
    r->redact = voc_calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof *r->redact);
    size_t i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        char where[64];
        snprintf(where, sizeof where, "redact[%zu]: ", i);
        if (!cJSON_IsObject(e)) return voc_err_set(err, VOC_EPARSE, "%smust be an object", where);
        int rc = s_check_keys(e, s_redact_keys, where, err);
        if (rc) return rc;
        const char *name = s_str_field(e, "name"), *rx = s_str_field(e, "regex");
        if (!name || !s_valid_segment(name, strlen(name)))
            return voc_err_set(err, VOC_EINVAL,
                               "%s\"name\" must be 1-64 characters of a-z, "
                               "0-9, _ or -",
                               where);
        if (!rx || !*rx)
            return voc_err_set(err, VOC_EPARSE, "%s\"regex\" must be a non-empty string", where);
        pcre2_code *re = NULL;
        if ((rc = s_compile(r, rx, where, &re, err))) return rc;
        pcre2_code_free(re);
        r->redact[r->redact_count++] = (voc_redact_rule){voc_strdup(name), voc_strdup(rx)};
    }
    return 0;
}

static int s_parse_lexicon(voc_rules *r, const cJSON *v, voc_err *err)
{
    if (!cJSON_IsObject(v))
        return voc_err_set(err, VOC_EPARSE, "lexicon must be an object {\"word\": valence}");
    r->lexicon = voc_calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof *r->lexicon);
    for (const cJSON *e = v->child; e; e = e->next) {
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble) || e->valuedouble < -5 ||
            e->valuedouble > 5)
            return voc_err_set(err, VOC_EINVAL,
                               "lexicon \"%s\": valence must be a number "
                               "from -5 to 5",
                               e->string);
        r->lexicon[r->lexicon_count++] = (voc_lexicon_entry){voc_strdup(e->string), e->valuedouble};
    }
    return 0;
}

/* Compile every pattern and exclude into one Vectorscan database in
 * prefilter mode: one scan of the text then names a superset of the
 * patterns that can match, and only those run in PCRE2 (which decides and
 * locates). A pattern Vectorscan rejects is left out and always runs. */
/* The expression the prefilter scans for a pattern: Vectorscan compiles
 * Unicode classes (\w, \d, \s under UCP) into huge automata, and a few
 * "(\w+ ){0,3}" turn seconds of compile into minutes. A prefilter only has
 * to match whenever the pattern does, so outside UCP each of those classes
 * is widened by every non-ASCII code point, a superset of its Unicode
 * meaning; the ASCII-only \W, \S and \D are supersets already. Word
 * boundaries are dropped (an ASCII \b would miss the one after "noë"), and
 * bounded repeats {m,n} become {m,}. Patterns this does not
 * hold for (non- ASCII bytes, \B, \p, POSIX classes, \Q) return NULL and keep UCP. */
static char *s_prefilter_expr(const char *src)
{
    for (const char *c = src; *c; c++) {
        if ((unsigned char)*c >= 0x80) return NULL;
        if (c[0] == '[' && c[1] == ':') return NULL;
        if (c[0] == '\\' && c[1]) {
            if (strchr("BpPXQRhHvVN", c[1])) return NULL;
            c++;
        }
    }
    voc_buf o = {0};
    bool in_class = false, negated = false;
    for (const char *c = src; *c; c++) {
        if (c[0] == '\\' && c[1]) {
            char d = c[1];
            c++;
            if (d == 'b' && !in_class) continue; /* see below */
            if (d == 'w' || d == 'd' || d == 's') {
                if (!in_class)
                    voc_buf_printf(&o, "[\\%c\\x{80}-\\x{10FFFF}]", d);
                else if (!negated)
                    voc_buf_printf(&o, "\\%c\\x{80}-\\x{10FFFF}", d);
                else
                    voc_buf_printf(&o, "\\%c", d);
            } else {
                voc_buf_putc(&o, '\\');
                voc_buf_putc(&o, d);
            }
            continue;
        }
        if (!in_class && c[0] == '[') {
            in_class = true;
            negated = c[1] == '^';
            voc_buf_putc(&o, '[');
            if (negated) voc_buf_putc(&o, *++c);
            if (c[1] == ']') voc_buf_putc(&o, *++c); /* a literal ] first */
            continue;
        }
        if (in_class && c[0] == ']') in_class = false;
        /* {m,n} -> {m,}: bounded repeats are what Vectorscan compiles
         * slowest, and the unbounded one matches whatever the bounded did */
        unsigned lo, hi;
        int used = 0;
        if (!in_class && c[0] == '{' && sscanf(c, "{%u,%u}%n", &lo, &hi, &used) == 2 && used > 0 &&
            hi > lo) {
            voc_buf_printf(&o, "{%u,}", lo);
            c += used - 1;
            continue;
        }
        voc_buf_putc(&o, *c);
    }
    if (!o.data) voc_buf_puts(&o, "");
    return o.data;
}

static void s_prefilter_build(voc_rules *r)
{
    size_t n = 0;
    for (size_t t = 0; t < r->theme_count; t++)
        n += r->themes[t].pattern_count + r->themes[t].exclude_count;
    r->pattern_total = n;
    if (n == 0) return;
    s_pattern **all = voc_calloc(n, sizeof *all);
    const char **exprs = voc_calloc(n, sizeof *exprs);
    unsigned *flags = voc_calloc(n, sizeof *flags);
    unsigned *ids = voc_calloc(n, sizeof *ids);
    size_t k = 0;
    for (size_t t = 0; t < r->theme_count; t++) {
        s_theme *th = &r->themes[t];
        for (size_t i = 0; i < th->pattern_count; i++)
            all[k++] = &th->patterns[i];
        for (size_t i = 0; i < th->exclude_count; i++)
            all[k++] = &th->excludes[i];
    }
    r->gid_theme = voc_calloc(n, sizeof *r->gid_theme);
    r->gid_exclude = voc_calloc(n, 1);
    k = 0;
    for (size_t t = 0; t < r->theme_count; t++) {
        for (size_t i = 0; i < r->themes[t].pattern_count + r->themes[t].exclude_count; i++) {
            r->gid_theme[k] = (uint32_t)t;
            r->gid_exclude[k] = i >= r->themes[t].pattern_count;
            k++;
        }
    }
    char **wide = voc_calloc(n, sizeof *wide);
    for (size_t i = 0; i < n; i++) {
        all[i]->gid = (uint32_t)i;
        all[i]->prefilter = true;
        wide[i] = s_prefilter_expr(all[i]->src);
    }
    for (size_t attempt = 0; attempt <= n; attempt++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (!all[i]->prefilter) continue;
            exprs[m] = wide[i] ? wide[i] : all[i]->src;
            flags[m] = HS_FLAG_CASELESS | HS_FLAG_UTF8 | HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH |
                       (wide[i] ? 0 : HS_FLAG_UCP);
            ids[m] = (unsigned)i;
            m++;
        }
        if (m == 0) break;
        hs_compile_error_t *cerr = NULL;
        hs_database_t *db = NULL;
        if (hs_compile_multi(exprs, flags, ids, (unsigned)m, HS_MODE_BLOCK, NULL, &db, &cerr) ==
            HS_SUCCESS) {
            r->hs_db = db;
            r->prefiltered = m;
            for (size_t j = 0; j < m; j++)
                if (wide[ids[j]]) {
                    exprs[j] = all[ids[j]]->src;
                    flags[j] =
                        HS_FLAG_CASELESS | HS_FLAG_UTF8 | HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH;
                }
            hs_compile_error_t *aerr = NULL;
            if (hs_compile_multi(exprs, flags, ids, (unsigned)m, HS_MODE_BLOCK, NULL, &r->hs_ascii,
                                 &aerr) != HS_SUCCESS) {
                VOC_LOG_DEBUG("rules", "no ASCII prefilter: %s", aerr ? aerr->message : "?");
                r->hs_ascii = NULL;
            }
            hs_free_compile_error(aerr);
            break;
        }
        int bad = cerr ? cerr->expression : -1;
        if (bad >= 0 && (size_t)bad < m) {
            VOC_LOG_DEBUG("rules", "pattern \"%s\" runs without prefilter: %s", exprs[bad],
                          cerr->message);
            all[ids[bad]]->prefilter = false;
        } else {
            VOC_LOG_WARN("rules", "prefilter unavailable (%s); every pattern runs on every item",
                         cerr ? cerr->message : "?");
            for (size_t i = 0; i < n; i++)
                all[i]->prefilter = false;
        }
        hs_free_compile_error(cerr);
    }
    r->always = voc_calloc(r->theme_count ? r->theme_count : 1, sizeof *r->always);
    for (size_t t = 0; t < r->theme_count; t++) {
        bool always = false;
        for (size_t i = 0; i < r->themes[t].pattern_count; i++)
            always = always || !r->themes[t].patterns[i].prefilter;
        if (always) r->always[r->always_count++] = (uint32_t)t;
    }
    for (size_t i = 0; i < n; i++)
        free(wide[i]);
    free(wide);
    free(all);
    free(exprs);
    free(flags);
    free(ids);
}

static void s_sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < mdlen && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = '\0';
}

int voc_rules_parse(voc_rules **out, const char *json, size_t len, const char *origin, voc_err *err)
{
    int rc = 0;
    voc_rules *r = NULL;
    voc_tokenizer *tok = NULL;
    cJSON *root = NULL;
    *out = NULL;
    if (!origin) origin = "rules";

    root = cJSON_ParseWithLength(json, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = (at && at >= json && at <= json + len) ? (size_t)(at - json) : 0;
        size_t line = 1;
        for (size_t i = 0; i < off; i++)
            line += json[i] == '\n';
        rc = voc_err_set(err, VOC_EPARSE, "%s: not valid JSON near line %zu (byte %zu)", origin,
                         line, off);
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        rc = voc_err_set(err, VOC_EPARSE, "%s: a rule set must be a JSON object", origin);
        goto out;
    }
    r = voc_calloc(1, sizeof *r);
    r->jit = true;
    r->body = voc_strndup(json, len);
    r->body_len = len;
    s_sha256_hex(json, len, r->hash);
    if ((rc = s_check_keys(root, s_top_keys, "", err))) goto fail;
    const char *s;
    r->name = voc_strdup((s = s_str_field(root, "name")) ? s : origin);
    r->description = voc_strdup((s = s_str_field(root, "description")) ? s : "");
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "stop_words"))) {
        if ((rc = s_parse_strings(v, "stop_words", NULL, &r->stop_words, NULL, err))) goto fail;
    } else {
        r->stop_words = voc_calloc(1, sizeof *r->stop_words);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "redact")) && (rc = s_parse_redact(r, v, err)))
        goto fail;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "lexicon")) &&
        (rc = s_parse_lexicon(r, v, err)))
        goto fail;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "negations"))) {
        if ((rc = s_parse_strings(v, "negations", NULL, &r->negations, NULL, err))) goto fail;
    } else {
        static const char *const def[] = {"not",   "no",     "never",   "without", "nothing",
                                          "don't", "didn't", "doesn't", "isn't",   "wasn't",
                                          "can't", "cannot", "won't",   "hardly",  NULL};
        size_t n = sizeof def / sizeof def[0];
        r->negations = voc_calloc(n, sizeof *r->negations);
        for (size_t i = 0; def[i]; i++)
            r->negations[i] = voc_strdup(def[i]);
    }
    if ((rc = voc_tokenizer_new(&tok, (const char *const *)r->stop_words, err))) goto fail;
    v = cJSON_GetObjectItemCaseSensitive(root, "themes");
    if (!v) {
        rc = voc_err_set(err, VOC_EPARSE, "no \"themes\" array");
        goto fail;
    }
    if ((rc = s_parse_theme_list(r, tok, v, -1, 1, err))) goto fail;
    s_kwindex_build(r);
    s_prefilter_build(r);
    *out = r;
    goto out;
fail:
    voc_err_prefix(err, "%s", origin);
    voc_rules_destroy(&r);
out:
    voc_tokenizer_destroy(&tok);
    cJSON_Delete(root);
    return rc;
}

int voc_rules_load(voc_rules **out, const char *path, voc_err *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return voc_err_set(err, VOC_EIO, "%s: %s", path, strerror(errno));
    voc_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        voc_buf_append(&b, chunk, n);
        if (b.len > 16u << 20) {
            fclose(fp);
            voc_buf_free(&b);
            return voc_err_set(err, VOC_ELIMIT, "%s: rule file over 16 MiB", path);
        }
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        voc_buf_free(&b);
        return voc_err_set(err, VOC_EIO, "%s: read error", path);
    }
    int rc = voc_rules_parse(out, b.data ? b.data : "", b.len, path, err);
    voc_buf_free(&b);
    return rc;
}

static void s_free_patterns(s_pattern *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].src);
        pcre2_code_free(p[i].code);
    }
    free(p);
}

static void s_free_list(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

void voc_rules_destroy(voc_rules **self_p)
{
    if (!self_p || !*self_p) return;
    voc_rules *r = *self_p;
    for (size_t t = 0; t < r->theme_count; t++) {
        s_theme *th = &r->themes[t];
        free(th->id);
        free(th->name);
        free(th->description);
        s_free_patterns(th->patterns, th->pattern_count);
        s_free_patterns(th->excludes, th->exclude_count);
        for (size_t k = 0; k < th->keyword_count; k++) {
            free(th->keywords[k].word);
            for (size_t j = 0; j < th->keywords[k].stem_count; j++)
                free(th->keywords[k].stems[j]);
            free(th->keywords[k].stems);
        }
        free(th->keywords);
        for (size_t i = 0; i < th->source_count; i++)
            free(th->sources[i]);
        free(th->sources);
    }
    free(r->themes);
    for (size_t i = 0; i < r->kwindex_cap; i++) {
        free(r->kwindex[i].stem);
        free(r->kwindex[i].refs);
    }
    free(r->kwindex);
    hs_free_database(r->hs_db);
    hs_free_database(r->hs_ascii);
    free(r->gid_theme);
    free(r->gid_exclude);
    free(r->always);
    s_free_list(r->stop_words);
    s_free_list(r->negations);
    for (size_t i = 0; i < r->redact_count; i++) {
        free((char *)r->redact[i].name);
        free((char *)r->redact[i].regex);
    }
    free(r->redact);
    for (size_t i = 0; i < r->lexicon_count; i++)
        free((char *)r->lexicon[i].word);
    free(r->lexicon);
    free(r->name);
    free(r->description);
    free(r->body);
    free(r);
    *self_p = NULL;
}

const char *voc_rules_name(const voc_rules *r)
{
    return r->name;
}
const char *voc_rules_hash(const voc_rules *r)
{
    return r->hash;
}
const char *voc_rules_body(const voc_rules *r)
{
    return r->body;
}
size_t voc_rules_theme_count(const voc_rules *r)
{
    return r->theme_count;
}
size_t voc_rules_pattern_count(const voc_rules *r)
{
    return r->pattern_total;
}
size_t voc_rules_prefiltered_count(const voc_rules *r)
{
    return r->prefiltered;
}
const char *voc_rules_theme_id(const voc_rules *r, size_t i)
{
    return i < r->theme_count ? r->themes[i].id : NULL;
}
size_t voc_rules_redactions(const voc_rules *r, const voc_redact_rule **out)
{
    *out = r->redact;
    return r->redact_count;
}
size_t voc_rules_lexicon(const voc_rules *r, const voc_lexicon_entry **out)
{
    *out = r->lexicon;
    return r->lexicon_count;
}
long voc_rules_theme_index(const voc_rules *r, const char *id)
{
    for (size_t i = 0; i < r->theme_count; i++)
        if (strcmp(r->themes[i].id, id) == 0) return (long)i;
    return -1;
}
const char *voc_rules_theme_name(const voc_rules *r, size_t i)
{
    return i < r->theme_count ? r->themes[i].name : NULL;
}
const char *const *voc_rules_stop_words(const voc_rules *r)
{
    return (const char *const *)r->stop_words;
}
const char *const *voc_rules_negations(const voc_rules *r)
{
    return (const char *const *)r->negations;
}

/* ---- matching ----------------------------------------------------------- */

voc_match_limits voc_match_limits_default(void)
{
    return (voc_match_limits){.match_limit = 1000000,
                              .depth_limit = 10000,
                              .heap_limit_kib = 20480,
                              .jit_stack_max = 1u << 20};
}

typedef struct s_hit {
    char *rule; /* owned */
    uint32_t start;
    uint32_t end;
} s_hit;

typedef struct s_state {
    double score;
    int8_t active; /* in scope, not vetoed, parent active: -1 not known yet, 0, 1 */
    bool touched;  /* looked at for this item (reset through m->touched) */
    bool patterns_done;
    bool tagged;
    long implied_by; /* child that implied it, -1 */
    s_hit hits[S_MAX_EVIDENCE];
    size_t hit_count;
} s_state;

/* Matching visits only the themes the item can concern: those with a
 * prefilter hit, a keyword hit or a pattern outside the prefilter, and their
 * ancestors. Per-theme state is reset through the list of themes touched, so
 * a 1,000-theme rule set costs little more than a small one on an item that
 * mentions two themes. */
struct voc_matcher {
    const voc_rules *rules;
    voc_tokenizer *tokenizer;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit_stack;
    uint64_t limit_hits;
    s_state *state;    /* per theme */
    uint32_t *touched; /* themes touched for the current item */
    size_t touched_count;
    uint8_t *kw_seen; /* per keyword, over all themes */
    hs_scratch_t *hs_scratch;
    uint8_t *cand;       /* per pattern gid: the prefilter saw a possible match */
    uint32_t *cand_list; /* the gids set in cand */
    size_t cand_count;
    bool use_cand; /* cand is valid for the current item */
    bool no_prefilter;
};

int voc_matcher_new(voc_matcher **out, const voc_rules *rules, const voc_match_limits *limits,
                    voc_err *err)
{
    *out = NULL;
    voc_match_limits lim = limits ? *limits : voc_match_limits_default();
    voc_matcher *m = voc_calloc(1, sizeof *m);
    m->rules = rules;
    int rc = voc_tokenizer_new(&m->tokenizer, voc_rules_stop_words(rules), err);
    if (rc) {
        free(m);
        return rc;
    }
    m->md = pcre2_match_data_create(1, NULL);
    m->mctx = pcre2_match_context_create(NULL);
    if (!m->md || !m->mctx) {
        voc_matcher_destroy(&m);
        return voc_err_set(err, VOC_EINVAL, "out of memory creating PCRE2 match data");
    }
    pcre2_set_match_limit(m->mctx, lim.match_limit);
    pcre2_set_depth_limit(m->mctx, lim.depth_limit);
    pcre2_set_heap_limit(m->mctx, lim.heap_limit_kib);
    size_t jmax = lim.jit_stack_max < 32768 ? 32768 : lim.jit_stack_max;
    m->jit_stack = pcre2_jit_stack_create(32768, jmax, NULL);
    if (m->jit_stack) pcre2_jit_stack_assign(m->mctx, NULL, m->jit_stack);
    size_t nt = rules->theme_count ? rules->theme_count : 1;
    m->state = voc_calloc(nt, sizeof *m->state);
    m->touched = voc_calloc(nt, sizeof *m->touched);
    m->kw_seen = voc_calloc(rules->keyword_total ? rules->keyword_total : 1, 1);
    m->cand = voc_calloc(rules->pattern_total ? rules->pattern_total : 1, 1);
    m->cand_list =
        voc_calloc(rules->pattern_total ? rules->pattern_total : 1, sizeof *m->cand_list);
    m->no_prefilter = lim.no_prefilter;
    if (rules->hs_db && !lim.no_prefilter &&
        (hs_alloc_scratch(rules->hs_db, &m->hs_scratch) != HS_SUCCESS ||
         (rules->hs_ascii && hs_alloc_scratch(rules->hs_ascii, &m->hs_scratch) != HS_SUCCESS))) {
        voc_matcher_destroy(&m);
        return voc_err_set(err, VOC_EINVAL, "cannot allocate Vectorscan scratch space");
    }
    *out = m;
    return 0;
}

static void s_reset(voc_matcher *m)
{
    for (size_t i = 0; i < m->touched_count; i++) {
        s_state *st = &m->state[m->touched[i]];
        for (size_t h = 0; h < st->hit_count; h++)
            free(st->hits[h].rule);
        st->hit_count = 0;
        st->touched = false;
    }
    m->touched_count = 0;
}

void voc_matcher_destroy(voc_matcher **self_p)
{
    if (!self_p || !*self_p) return;
    voc_matcher *m = *self_p;
    if (m->state) s_reset(m);
    voc_tokenizer_destroy(&m->tokenizer);
    pcre2_match_data_free(m->md);
    pcre2_match_context_free(m->mctx);
    pcre2_jit_stack_free(m->jit_stack);
    free(m->state);
    free(m->touched);
    free(m->kw_seen);
    free(m->cand);
    free(m->cand_list);
    if (m->hs_scratch) hs_free_scratch(m->hs_scratch);
    free(m);
    *self_p = NULL;
}

uint64_t voc_matcher_limit_hits(const voc_matcher *m)
{
    return m->limit_hits;
}

static void s_add_hit(s_state *st, char *rule, uint32_t start, uint32_t end)
{
    if (st->hit_count >= S_MAX_EVIDENCE) {
        free(rule);
        return;
    }
    st->hits[st->hit_count++] = (s_hit){rule, start, end};
}

/* Run one pattern; returns 1 on a match (offsets in start and end), 0 on no
 * match, -1 when the match failed (match, depth or heap limit, JIT stack
 * exhausted), which is counted and logged: never read as "no match". */
static int s_match(voc_matcher *m, const s_theme *th, const char *kind, size_t idx,
                   const s_pattern *p, const voc_item *it, uint32_t *start, uint32_t *end)
{
    if (m->use_cand && p->prefilter && !m->cand[p->gid]) return 0;
    /* the text was found valid UTF-8 before the prefilter ran */
    uint32_t opts = m->use_cand ? PCRE2_NO_UTF_CHECK : 0;
    int rc = pcre2_match(p->code, (PCRE2_SPTR)it->text, it->text_len, 0, opts, m->md, m->mctx);
    if (rc >= 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
        *start = (uint32_t)ov[0];
        *end = (uint32_t)ov[1];
        return 1;
    }
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    m->limit_hits++;
    if (m->limit_hits <= 10 || m->limit_hits % 1000 == 0) {
        PCRE2_UCHAR msg[120];
        pcre2_get_error_message(rc, msg, sizeof msg);
        VOC_LOG_WARN("rules", "pattern failed theme=%s %s=%zu uid=%s reason=\"%s\" count=%llu",
                     th->id, kind, idx, it->uid ? it->uid : "-", (const char *)msg,
                     (unsigned long long)m->limit_hits);
    }
    return -1;
}

static bool s_is_ascii(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull) return false;
    }
    for (; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return false;
    return true;
}

static int s_on_hit(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx)
{
    (void)from;
    (void)to;
    (void)flags;
    voc_matcher *m = ctx;
    if (!m->cand[id]) {
        m->cand[id] = 1;
        m->cand_list[m->cand_count++] = id;
    }
    return 0;
}

static bool s_in_scope(const s_theme *th, const voc_item *it)
{
    if (th->kinds && !(th->kinds & (1u << it->kind))) return false;
    if (th->source_count) {
        for (size_t i = 0; i < th->source_count; i++)
            if (it->source && strcmp(th->sources[i], it->source) == 0) return true;
        return false;
    }
    return true;
}

static s_state *s_touch(voc_matcher *m, size_t t)
{
    s_state *st = &m->state[t];
    if (!st->touched) {
        st->touched = true;
        st->score = 0;
        st->active = -1;
        st->patterns_done = false;
        st->tagged = false;
        st->implied_by = -1;
        st->hit_count = 0;
        m->touched[m->touched_count++] = (uint32_t)t;
    }
    return st;
}

/* In scope, not vetoed by an exclude, and its parent active too. */
static bool s_active(voc_matcher *m, const voc_item *it, size_t t)
{
    s_state *st = s_touch(m, t);
    if (st->active >= 0) return st->active;
    const s_theme *th = &m->rules->themes[t];
    bool ok = (th->parent < 0 || s_active(m, it, (size_t)th->parent)) && s_in_scope(th, it);
    for (size_t e = 0; ok && e < th->exclude_count; e++) {
        uint32_t a, b;
        if (s_match(m, th, "exclude", e, &th->excludes[e], it, &a, &b) == 1) ok = false;
    }
    st = &m->state[t];
    st->active = ok;
    return ok;
}

static void s_run_patterns(voc_matcher *m, const voc_item *it, size_t t)
{
    s_state *st = s_touch(m, t);
    if (st->patterns_done) return;
    st->patterns_done = true;
    if (!s_active(m, it, t)) return;
    const s_theme *th = &m->rules->themes[t];
    for (size_t p = 0; p < th->pattern_count; p++) {
        uint32_t a, b;
        if (s_match(m, th, "pattern", p, &th->patterns[p], it, &a, &b) == 1) {
            st->score += th->patterns[p].weight;
            s_add_hit(st, voc_asprintf("pattern:%zu", p), a, b);
        }
    }
}

/* The next token after i that is not a stop word, or count. */
static size_t s_next_content(const voc_item *it, size_t i)
{
    for (i++; i < it->token_count && (it->tokens[i].flags & VOC_TOKEN_STOP); i++) {
    }
    return i;
}

static void s_match_keywords(voc_matcher *m, voc_item *it)
{
    const voc_rules *r = m->rules;
    if (!r->keyword_total) return;
    memset(m->kw_seen, 0, r->keyword_total);
    for (size_t i = 0; i < it->token_count; i++) {
        const voc_token *tk = &it->tokens[i];
        unsigned b = (tk->stem_hash >> 20) & 4095;
        if ((tk->flags & VOC_TOKEN_STOP) || !(r->kw_bloom[b >> 6] & (1ull << (b & 63)))) continue;
        const s_kwslot *slot = s_kwindex_find(r, it->token_arena + tk->stem, tk->stem_hash);
        if (!slot || !slot->stem) continue;
        for (size_t j = 0; j < slot->ref_count; j++) {
            size_t t = slot->refs[j].theme;
            const s_theme *th = &r->themes[t];
            const s_keyword *kw = &th->keywords[slot->refs[j].keyword];
            size_t g = th->keyword_base + slot->refs[j].keyword;
            if (m->kw_seen[g]) continue;
            /* a phrase: its other stems on the following content words */
            size_t last = i;
            bool ok = true;
            for (size_t s = 1; s < kw->stem_count && ok; s++) {
                last = s_next_content(it, last);
                ok = last < it->token_count &&
                     strcmp(it->token_arena + it->tokens[last].stem, kw->stems[s]) == 0;
            }
            if (!ok || !s_active(m, it, t)) continue;
            m->kw_seen[g] = 1;
            s_state *st = &m->state[t];
            st->score += kw->weight;
            s_add_hit(st, voc_asprintf("keyword:%s", kw->word), tk->start, it->tokens[last].end);
        }
    }
}

static int s_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int voc_matcher_tag(voc_matcher *m, voc_item *it, voc_err *err)
{
    const voc_rules *r = m->rules;
    int rc;
    if (!it->text) return voc_err_set(err, VOC_EINVAL, "item has no text");
    if (!it->tokens && it->text_len && (rc = voc_tokenize_item(m->tokenizer, it, err))) return rc;
    s_reset(m);

    /* One Vectorscan pass names the patterns that may match. Vectorscan's
     * UTF-8 mode requires valid input; other text runs every pattern. */
    for (size_t i = 0; i < m->cand_count; i++)
        m->cand[m->cand_list[i]] = 0;
    m->cand_count = 0;
    m->use_cand = false;
    bool ascii = s_is_ascii(it->text, it->text_len);
    if (r->hs_db && !m->no_prefilter && it->text_len <= UINT32_MAX &&
        (ascii || voc_utf8_valid(it->text, it->text_len, NULL))) {
        hs_database_t *db = ascii && r->hs_ascii ? r->hs_ascii : r->hs_db;
        if (hs_scan(db, it->text, (unsigned)it->text_len, 0, m->hs_scratch, s_on_hit, m) ==
            HS_SUCCESS) {
            m->use_cand = true;
        } else {
            for (size_t i = 0; i < m->cand_count; i++)
                m->cand[m->cand_list[i]] = 0;
            m->cand_count = 0;
        }
    }
    if (m->use_cand) {
        for (size_t i = 0; i < m->cand_count; i++)
            if (!r->gid_exclude[m->cand_list[i]])
                s_run_patterns(m, it, r->gid_theme[m->cand_list[i]]);
        for (size_t i = 0; i < r->always_count; i++)
            s_run_patterns(m, it, r->always[i]);
    } else {
        for (size_t t = 0; t < r->theme_count; t++)
            if (r->themes[t].pattern_count) s_run_patterns(m, it, t);
    }
    s_match_keywords(m, it);

    size_t n = m->touched_count;
    for (size_t i = 0; i < n; i++) {
        s_state *st = &m->state[m->touched[i]];
        st->tagged = st->active == 1 && st->score >= r->themes[m->touched[i]].threshold - 1e-9;
    }
    /* A sub-theme implies its parent, and on up: its ancestors were touched
     * (and found active) when the sub-theme was. */
    for (size_t i = 0; i < n; i++) {
        size_t c = m->touched[i];
        if (!m->state[c].tagged || m->state[c].implied_by >= 0) continue;
        for (long p = r->themes[c].parent; p >= 0; c = (size_t)p, p = r->themes[p].parent) {
            s_state *ps = &m->state[p];
            if (ps->tagged && ps->implied_by < 0)
                break; /* tagged on its own: it carries its ancestors itself */
            if (!ps->tagged) {
                ps->tagged = true;
                ps->implied_by = (long)c;
            }
            if (m->state[c].score > ps->score) ps->score = m->state[c].score;
        }
    }
    /* Emit in rule-set order (pre-order: parents before children). */
    qsort(m->touched, n, sizeof *m->touched, s_cmp_u32);
    for (size_t i = 0; i < n; i++) {
        size_t t = m->touched[i];
        s_state *st = &m->state[t];
        if (!st->tagged) continue;
        voc_item_theme *th = voc_item_add_theme(it, r->themes[t].id, st->score);
        for (size_t h = 0; h < st->hit_count; h++)
            voc_item_theme_add_evidence(th, st->hits[h].rule, st->hits[h].start, st->hits[h].end);
        if (st->implied_by >= 0) {
            const s_state *cs = &m->state[st->implied_by];
            char *rule = voc_asprintf("theme:%s", r->themes[st->implied_by].id);
            uint32_t a = cs->hit_count ? cs->hits[0].start : 0;
            uint32_t b = cs->hit_count ? cs->hits[0].end : 0;
            voc_item_theme_add_evidence(th, rule, a, b);
            free(rule);
        }
    }
    return 0;
}

/* ---- lint ------------------------------------------------------------- */

static void s_problem(voc_rules_problem **out, size_t *count, size_t *cap, const char *theme,
                      char *where, char *message)
{
    voc_grow((void **)out, cap, *count + 1, sizeof **out);
    (*out)[(*count)++] = (voc_rules_problem){voc_strdup(theme), where, message};
}

/* Texts that make backtracking patterns explode or exhaust a JIT stack. */
static char *s_probe(int which, size_t *len)
{
    size_t n = 20000;
    char *t = voc_malloc(n + 2);
    for (size_t i = 0; i < n; i++) {
        switch (which) {
        case 0:
            t[i] = 'a';
            break;
        case 1:
            t[i] = "refund "[i % 7];
            break;
        case 2:
            t[i] = (char)('a' + (i % 26));
            break;
        default:
            t[i] = (i % 2) ? ' ' : 'x';
            break;
        }
    }
    t[n] = '!'; /* a non-matching tail forces backtracking over the whole run */
    t[n + 1] = '\0';
    *len = n + 1;
    return t;
}

static void s_lint_patterns(const s_theme *th, const s_pattern *ps, size_t n, const char *key,
                            pcre2_match_data *md, pcre2_match_context *mctx, char **probes,
                            const size_t *probe_len, voc_rules_problem **out, size_t *count,
                            size_t *cap)
{
    for (size_t i = 0; i < n; i++) {
        int rc = pcre2_match(ps[i].code, (PCRE2_SPTR) "", 0, 0, 0, md, mctx);
        if (rc >= 0)
            s_problem(out, count, cap, th->id, voc_asprintf("%s[%zu]", key, i),
                      voc_asprintf("\"%s\" matches the empty string, so it matches every item",
                                   ps[i].src));
        /* Beside the shared probes, a long run of each letter the pattern
         * itself names: "(x+x+)+y" only explodes on a run of x. */
        char own[8][5002];
        size_t nown = 0;
        for (const char *c = ps[i].src; *c && nown < 8; c++) {
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))) continue;
            bool seen = false;
            for (size_t k = 0; k < nown; k++)
                seen = seen || own[k][0] == *c;
            if (seen) continue;
            memset(own[nown], *c, 5000);
            own[nown][5000] = '!';
            own[nown][5001] = '\0';
            nown++;
        }
        for (size_t p = 0; p < 4 + nown; p++) {
            const char *probe = p < 4 ? probes[p] : own[p - 4];
            size_t plen = p < 4 ? probe_len[p] : 5001;
            rc = pcre2_match(ps[i].code, (PCRE2_SPTR)probe, plen, 0, 0, md, mctx);
            if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
                PCRE2_UCHAR msg[120];
                pcre2_get_error_message(rc, msg, sizeof msg);
                s_problem(out, count, cap, th->id, voc_asprintf("%s[%zu]", key, i),
                          voc_asprintf("\"%s\" fails on a long probe text (%s): it backtracks "
                                       "too much; avoid nested quantifiers",
                                       ps[i].src, (const char *)msg));
                break;
            }
        }
    }
}

void voc_rules_lint(const voc_rules *r, voc_rules_problem **out, size_t *count)
{
    size_t cap = 0;
    *out = NULL;
    *count = 0;
    voc_match_limits lim = voc_match_limits_default();
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    pcre2_match_context *mctx = pcre2_match_context_create(NULL);
    pcre2_jit_stack *js = pcre2_jit_stack_create(32768, lim.jit_stack_max, NULL);
    pcre2_set_match_limit(mctx, lim.match_limit);
    pcre2_set_depth_limit(mctx, lim.depth_limit);
    pcre2_set_heap_limit(mctx, lim.heap_limit_kib);
    if (js) pcre2_jit_stack_assign(mctx, NULL, js);
    char *probes[4];
    size_t probe_len[4];
    for (int p = 0; p < 4; p++)
        probes[p] = s_probe(p, &probe_len[p]);

    for (size_t t = 0; t < r->theme_count; t++) {
        const s_theme *th = &r->themes[t];
        bool has_children = th->subtree_end > t + 1;
        s_lint_patterns(th, th->patterns, th->pattern_count, "patterns", md, mctx, probes,
                        probe_len, out, count, &cap);
        s_lint_patterns(th, th->excludes, th->exclude_count, "exclude", md, mctx, probes, probe_len,
                        out, count, &cap);
        double total = 0;
        for (size_t i = 0; i < th->pattern_count; i++)
            total += th->patterns[i].weight;
        for (size_t i = 0; i < th->keyword_count; i++)
            total += th->keywords[i].weight;
        if (!th->pattern_count && !th->keyword_count && !has_children)
            s_problem(out, count, &cap, th->id, voc_strdup("theme"),
                      voc_strdup("has no patterns, keywords or sub-themes: it can never match"));
        else if (total + 1e-9 < th->threshold && !has_children)
            s_problem(out, count, &cap, th->id, voc_strdup("threshold"),
                      voc_asprintf("%g can never be reached: all its patterns and keywords "
                                   "together weigh %g",
                                   th->threshold, total));
        /* Duplicate keywords (after stemming) count once; say so. */
        for (size_t i = 0; i < th->keyword_count; i++) {
            for (size_t j = 0; j < i; j++) {
                const s_keyword *a = &th->keywords[i], *b = &th->keywords[j];
                bool same = a->stem_count == b->stem_count;
                for (size_t k = 0; same && k < a->stem_count; k++)
                    same = strcmp(a->stems[k], b->stems[k]) == 0;
                if (same) {
                    s_problem(
                        out, count, &cap, th->id, voc_asprintf("keywords[\"%s\"]", a->word),
                        voc_asprintf("same stems as \"%s\"; it can only count once", b->word));
                    break;
                }
            }
        }
    }
    for (int p = 0; p < 4; p++)
        free(probes[p]);
    pcre2_jit_stack_free(js);
    pcre2_match_context_free(mctx);
    pcre2_match_data_free(md);
}

void voc_rules_problems_free(voc_rules_problem *p, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(p[i].theme);
        free(p[i].where);
        free(p[i].message);
    }
    free(p);
}
