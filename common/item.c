/* item.c: voc_item lifecycle and its one JSON encoder and decoder.
 *
 * cJSON parses the structure, but two of its behaviours would let bad input
 * through silently: it copies invalid UTF-8 into strings unchanged, and it
 * cuts a string at an escaped NUL (\u0000). s_prescan() walks the raw bytes
 * first and rejects both, naming the field they sit in. */
#include "common/item.h"

#include "common/alloc.h"
#include "common/utf8.h"
#include "common/vtime.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_DEPTH_TRACK 16
#define S_KEY_MAX 48
#define S_MAX_ID 256
#define S_MAX_SOURCE 64
#define S_MAX_ATTR_KEY 64
#define S_MAX_ATTR_VALUE 1024

static const char *const s_kind_names[VOC_KIND_COUNT_] = {"other", "survey", "nps", "ticket",
                                                          "review"};

const char *voc_kind_name(voc_kind k)
{
    return (unsigned)k < VOC_KIND_COUNT_ ? s_kind_names[k] : "other";
}

int voc_kind_parse(const char *s, voc_kind *out)
{
    for (int i = 0; i < VOC_KIND_COUNT_; i++) {
        if (strcmp(s, s_kind_names[i]) == 0) {
            *out = (voc_kind)i;
            return 0;
        }
    }
    return VOC_EINVAL;
}

const char *voc_scale_name(voc_scale s)
{
    return s == VOC_SCALE_NPS ? "nps" : s == VOC_SCALE_RATING ? "rating" : "none";
}

voc_item_limits voc_item_limits_default(void)
{
    return (voc_item_limits){
        .max_text = 64 * 1024, .max_subject = 1024, .max_attrs = 64, .max_depth = 8};
}

void voc_item_init(voc_item *it)
{
    memset(it, 0, sizeof *it);
}

void voc_item_clear_themes(voc_item *it)
{
    for (size_t i = 0; i < it->theme_count; i++) {
        voc_item_theme *t = &it->themes[i];
        for (size_t k = 0; k < t->evidence_count; k++)
            free(t->evidence[k].rule);
        free(t->evidence);
        free(t->id);
    }
    free(it->themes);
    it->themes = NULL;
    it->theme_count = 0;
}

void voc_item_clear_analysis(voc_item *it)
{
    free(it->tokens);
    free(it->token_arena);
    voc_item_clear_themes(it);
    it->tokens = NULL;
    it->token_arena = NULL;
    it->token_count = it->token_arena_len = 0;
    it->sentiment = 0;
    it->has_sentiment = false;
}

void voc_item_clear(voc_item *it)
{
    if (!it) return;
    voc_item_clear_analysis(it);
    free(it->uid);
    free(it->source);
    free(it->customer_id);
    free(it->account);
    for (size_t i = 0; i < it->attr_count; i++) {
        free(it->attrs[i].key);
        free(it->attrs[i].value);
    }
    free(it->attrs);
    free(it->subject);
    free(it->text);
    voc_item_init(it);
}

void voc_item_set_attr(voc_item *it, const char *key, const char *value)
{
    for (size_t i = 0; i < it->attr_count; i++) {
        if (strcmp(it->attrs[i].key, key) == 0) {
            free(it->attrs[i].value);
            it->attrs[i].value = voc_strdup(value);
            return;
        }
    }
    it->attrs = voc_realloc(it->attrs, (it->attr_count + 1) * sizeof *it->attrs);
    it->attrs[it->attr_count].key = voc_strdup(key);
    it->attrs[it->attr_count].value = voc_strdup(value);
    it->attr_count++;
}

const char *voc_item_attr(const voc_item *it, const char *key)
{
    for (size_t i = 0; i < it->attr_count; i++)
        if (strcmp(it->attrs[i].key, key) == 0) return it->attrs[i].value;
    return NULL;
}

voc_item_theme *voc_item_add_theme(voc_item *it, const char *id, double score)
{
    it->themes = voc_realloc(it->themes, (it->theme_count + 1) * sizeof *it->themes);
    voc_item_theme *t = &it->themes[it->theme_count++];
    memset(t, 0, sizeof *t);
    t->id = voc_strdup(id);
    t->score = score;
    return t;
}

void voc_item_theme_add_evidence(voc_item_theme *t, const char *rule, uint32_t start, uint32_t end)
{
    t->evidence = voc_realloc(t->evidence, (t->evidence_count + 1) * sizeof *t->evidence);
    t->evidence[t->evidence_count++] = (voc_evidence){voc_strdup(rule), start, end};
}

/* ---- hashing ---------------------------------------------------------- */

static void s_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void voc_item_derive_uid(voc_item *it)
{
    voc_buf b = {0};
    voc_buf_printf(&b, "%s\x1f%lld\x1f%s\x1f", it->source ? it->source : "",
                   (long long)it->created_at, it->customer_id ? it->customer_id : "");
    if (it->text) voc_buf_append(&b, it->text, it->text_len);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_Digest(b.data, b.len, md, &md_len, EVP_sha256(), NULL);
    voc_buf_free(&b);
    char hex[33];
    s_hex(md, 16, hex);
    free(it->uid);
    it->uid = voc_asprintf("h-%s", hex);
}

static uint64_t s_fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t s_fnv_str(uint64_t h, const char *s)
{
    h = s_fnv(h, s ? s : "", s ? strlen(s) : 0);
    return s_fnv(h, "\x1f", 1);
}

void voc_item_content_hash(const voc_item *it, char out[17])
{
    uint64_t h = 0xcbf29ce484222325ULL;
    h = s_fnv_str(h, it->uid);
    h = s_fnv_str(h, it->source);
    h = s_fnv_str(h, voc_kind_name(it->kind));
    h = s_fnv(h, &it->created_at, sizeof it->created_at);
    h = s_fnv_str(h, it->customer_id);
    h = s_fnv_str(h, it->account);
    for (size_t i = 0; i < it->attr_count; i++) {
        h = s_fnv_str(h, it->attrs[i].key);
        h = s_fnv_str(h, it->attrs[i].value);
    }
    int score[2] = {(int)it->scale, it->scale ? it->score : 0};
    h = s_fnv(h, score, sizeof score);
    h = s_fnv_str(h, it->subject);
    h = s_fnv(h, it->text ? it->text : "", it->text_len);
    unsigned char bytes[8];
    for (int i = 0; i < 8; i++)
        bytes[i] = (unsigned char)(h >> (56 - 8 * i));
    s_hex(bytes, 8, out);
}

/* ---- decoding ----------------------------------------------------------- */

typedef struct s_scan {
    char keys[S_MAX_DEPTH_TRACK][S_KEY_MAX];
    bool is_obj[S_MAX_DEPTH_TRACK];
    bool expect_key[S_MAX_DEPTH_TRACK];
} s_scan;

/* The dotted path of object keys leading to the current position. */
static void s_scan_path(const s_scan *sc, int depth, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (int d = 1; d <= depth && d < S_MAX_DEPTH_TRACK; d++) {
        if (!sc->is_obj[d] || !sc->keys[d][0]) continue;
        int w = snprintf(out + n, cap - n, "%s%s", n ? "." : "", sc->keys[d]);
        if (w < 0 || (size_t)w >= cap - n) break;
        n += (size_t)w;
    }
    if (!out[0]) snprintf(out, cap, "item");
}

static int s_prescan(const char *json, size_t len, size_t max_depth, voc_err *err)
{
    s_scan sc;
    memset(&sc, 0, sizeof sc);
    int depth = 0;
    bool in_str = false, is_key = false;
    size_t key_len = 0;
    char keybuf[S_KEY_MAX];
    char path[160];
    const unsigned char *s = (const unsigned char *)json;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (c == 0)
            return voc_err_set(err, VOC_EPARSE, "payload contains a NUL byte at offset %zu", i);
        if (in_str) {
            if (c == '\\' && i + 1 < len) {
                if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0) {
                    s_scan_path(&sc, depth, path, sizeof path);
                    return voc_err_set(err, VOC_EPARSE,
                                       "%s: contains an escaped NUL (\\u0000) at offset %zu",
                                       is_key ? "field name" : path, i);
                }
                if (is_key && key_len + 2 < S_KEY_MAX) {
                    keybuf[key_len++] = (char)c;
                    keybuf[key_len++] = (char)s[i + 1];
                }
                i++;
            } else if (c == '"') {
                in_str = false;
                if (is_key && depth < S_MAX_DEPTH_TRACK) {
                    keybuf[key_len] = '\0';
                    memcpy(sc.keys[depth], keybuf, key_len + 1);
                }
            } else if (c >= 0x80) {
                size_t bad;
                size_t n = len - i < 4 ? len - i : 4;
                /* Validate just this sequence: find its length from the lead. */
                size_t seq = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
                if (seq > n || !voc_utf8_valid((const char *)s + i, seq, &bad)) {
                    s_scan_path(&sc, depth, path, sizeof path);
                    return voc_err_set(err, VOC_EPARSE, "%s: invalid UTF-8 at offset %zu",
                                       is_key ? "field name" : path, i);
                }
                if (is_key && key_len + seq < S_KEY_MAX) {
                    memcpy(keybuf + key_len, s + i, seq);
                    key_len += seq;
                }
                i += seq - 1;
            } else if (is_key && key_len + 1 < S_KEY_MAX) {
                keybuf[key_len++] = (char)c;
            }
            continue;
        }
        switch (c) {
        case '"':
            in_str = true;
            is_key =
                depth > 0 && depth < S_MAX_DEPTH_TRACK && sc.is_obj[depth] && sc.expect_key[depth];
            key_len = 0;
            break;
        case '{':
        case '[':
            depth++;
            if ((size_t)depth > max_depth || depth >= S_MAX_DEPTH_TRACK)
                return voc_err_set(err, VOC_ELIMIT, "JSON nested deeper than %zu levels",
                                   max_depth);
            sc.is_obj[depth] = c == '{';
            sc.expect_key[depth] = true;
            sc.keys[depth][0] = '\0';
            break;
        case '}':
        case ']':
            if (depth > 0) depth--;
            break;
        case ':':
            if (depth > 0) sc.expect_key[depth] = false;
            break;
        case ',':
            if (depth > 0 && sc.is_obj[depth]) sc.expect_key[depth] = true;
            break;
        default:
            if (c >= 0x80)
                return voc_err_set(err, VOC_EPARSE,
                                   "invalid byte 0x%02x outside a string at "
                                   "offset %zu",
                                   c, i);
        }
    }
    return 0;
}

static const char *const s_known_keys[] = {
    "uid",   "source", "kind",    "created_at", "received_at", "customer_id", "account", "attrs",
    "score", "scale",  "subject", "text",       "themes",      "sentiment",   NULL};

/* Levenshtein distance, capped; used to suggest the nearest known key. */
static size_t s_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40) return 99;
    size_t row[41];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev + cost;
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

static const char *s_nearest_key(const char *key)
{
    const char *best = NULL;
    size_t best_d = 4;
    for (size_t i = 0; s_known_keys[i]; i++) {
        size_t d = s_edit_distance(key, s_known_keys[i]);
        if (d < best_d) {
            best_d = d;
            best = s_known_keys[i];
        }
    }
    return best;
}

/* Copy a string-ish field: strings as-is, integral numbers as decimal text.
 * null or "" leave *out NULL. */
static int s_get_text(const cJSON *v, const char *field, size_t max, bool allow_number, char **out,
                      voc_err *err)
{
    if (cJSON_IsNull(v)) return 0;
    if (allow_number && cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d != floor(d) || fabs(d) > 9e15)
            return voc_err_set(err, VOC_EINVAL, "%s: number must be an integer", field);
        *out = voc_asprintf("%lld", (long long)d);
        return 0;
    }
    if (!cJSON_IsString(v)) return voc_err_set(err, VOC_EPARSE, "%s: must be a string", field);
    size_t n = strlen(v->valuestring);
    if (n > max)
        return voc_err_set(err, VOC_ELIMIT, "%s: %zu bytes exceeds the %zu-byte limit", field, n,
                           max);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v->valuestring[i] < 0x20)
            return voc_err_set(err, VOC_EINVAL, "%s: contains a control character", field);
    if (n) *out = voc_strndup(v->valuestring, n);
    return 0;
}

static int s_get_time(const cJSON *v, const char *field, int64_t *out, bool *set, voc_err *err)
{
    if (cJSON_IsNull(v)) return 0;
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        /* The ranges of the digit strings voc_time_parse takes: seconds of
         * 1-11 digits, milliseconds of 13. A 12-digit number read as
         * seconds would be a year past 9999, which no time string names. */
        if (d != floor(d) || d < 0 || (d >= 1e11 && d < 1e12) || d >= 1e13)
            return voc_err_set(err, VOC_EINVAL,
                               "%s: %g is not epoch seconds (1-11 digits) or milliseconds (13)",
                               field, d);
        *out = d >= 1e12 ? (int64_t)(d / 1000) : (int64_t)d;
        *set = true;
        return 0;
    }
    if (!cJSON_IsString(v))
        return voc_err_set(err, VOC_EPARSE, "%s: must be a time string or epoch seconds", field);
    if (!v->valuestring[0]) return 0;
    voc_err e;
    if (voc_time_parse(v->valuestring, out, &e))
        return voc_err_set(err, VOC_EINVAL, "%s: %s", field, e.msg);
    *set = true;
    return 0;
}

static bool s_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i])) return false;
    return true;
}

static bool s_source_ok(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._:/-", *s)) return false;
    return true;
}

static int s_decode_fields(voc_item *it, const cJSON *root, const voc_item_limits *lim,
                           const voc_item_defaults *def, voc_err *err)
{
    int rc;
    bool has_created = false, has_received = false, has_kind = false;
    bool has_score = false, has_scale = false;
    double score = 0;

    for (const cJSON *f = root->child; f; f = f->next) {
        const char *k = f->string;
        for (const cJSON *g = root->child; g != f; g = g->next)
            if (strcmp(g->string, k) == 0)
                return voc_err_set(err, VOC_EPARSE, "%s: field appears twice", k);
        if (strcmp(k, "uid") == 0) {
            if ((rc = s_get_text(f, "uid", S_MAX_ID, true, &it->uid, err))) return rc;
        } else if (strcmp(k, "source") == 0) {
            if ((rc = s_get_text(f, "source", S_MAX_SOURCE, false, &it->source, err))) return rc;
            if (it->source && !s_source_ok(it->source))
                return voc_err_set(err, VOC_EINVAL,
                                   "source: '%s' may only hold letters, digits and ._:/-",
                                   it->source);
        } else if (strcmp(k, "kind") == 0) {
            if (cJSON_IsNull(f)) continue;
            if (!cJSON_IsString(f)) return voc_err_set(err, VOC_EPARSE, "kind: must be a string");
            if (voc_kind_parse(f->valuestring, &it->kind))
                return voc_err_set(err, VOC_EINVAL,
                                   "kind: '%.40s' is not one of survey, nps, ticket, review, "
                                   "other",
                                   f->valuestring);
            has_kind = true;
        } else if (strcmp(k, "created_at") == 0) {
            if ((rc = s_get_time(f, "created_at", &it->created_at, &has_created, err))) return rc;
        } else if (strcmp(k, "received_at") == 0) {
            if ((rc = s_get_time(f, "received_at", &it->received_at, &has_received, err)))
                return rc;
        } else if (strcmp(k, "customer_id") == 0) {
            if ((rc = s_get_text(f, "customer_id", S_MAX_ID, true, &it->customer_id, err)))
                return rc;
        } else if (strcmp(k, "account") == 0) {
            if ((rc = s_get_text(f, "account", S_MAX_ID, true, &it->account, err))) return rc;
        } else if (strcmp(k, "attrs") == 0) {
            if (cJSON_IsNull(f)) continue;
            if (!cJSON_IsObject(f))
                return voc_err_set(err, VOC_EPARSE, "attrs: must be an object of strings");
            for (const cJSON *a = f->child; a; a = a->next) {
                if (it->attr_count >= lim->max_attrs)
                    return voc_err_set(err, VOC_ELIMIT, "attrs: more than %zu attributes",
                                       lim->max_attrs);
                size_t kl = strlen(a->string);
                if (kl == 0 || kl > S_MAX_ATTR_KEY)
                    return voc_err_set(err, VOC_EINVAL, "attrs: key must be 1-%d bytes",
                                       S_MAX_ATTR_KEY);
                char field[S_MAX_ATTR_KEY + 8];
                snprintf(field, sizeof field, "attrs.%s", a->string);
                char *val = NULL;
                if (cJSON_IsBool(a)) {
                    val = voc_strdup(cJSON_IsTrue(a) ? "true" : "false");
                } else if ((rc = s_get_text(a, field, S_MAX_ATTR_VALUE, true, &val, err))) {
                    return rc;
                }
                if (val) {
                    voc_item_set_attr(it, a->string, val);
                    free(val);
                }
            }
        } else if (strcmp(k, "score") == 0) {
            if (cJSON_IsNull(f)) continue;
            if (cJSON_IsNumber(f)) {
                score = f->valuedouble;
            } else if (cJSON_IsString(f)) {
                const char *s = f->valuestring;
                while (isspace((unsigned char)*s))
                    s++;
                if (!*s) continue; /* empty cell: no score */
                char *end;
                score = strtod(s, &end);
                while (isspace((unsigned char)*end))
                    end++;
                if (*end || end == s)
                    return voc_err_set(err, VOC_EINVAL, "score: '%.20s' is not a number",
                                       f->valuestring);
            } else {
                return voc_err_set(err, VOC_EPARSE, "score: must be a number");
            }
            if (score != floor(score) || !isfinite(score))
                return voc_err_set(err, VOC_EINVAL, "score: %g must be a whole number", score);
            has_score = true;
        } else if (strcmp(k, "scale") == 0) {
            if (cJSON_IsNull(f)) continue;
            if (!cJSON_IsString(f)) return voc_err_set(err, VOC_EPARSE, "scale: must be a string");
            if (strcmp(f->valuestring, "nps") == 0)
                it->scale = VOC_SCALE_NPS;
            else if (strcmp(f->valuestring, "rating") == 0)
                it->scale = VOC_SCALE_RATING;
            else
                return voc_err_set(err, VOC_EINVAL, "scale: '%.20s' is not nps or rating",
                                   f->valuestring);
            has_scale = true;
        } else if (strcmp(k, "subject") == 0) {
            if ((rc = s_get_text(f, "subject", lim->max_subject, false, &it->subject, err)))
                return rc;
        } else if (strcmp(k, "text") == 0) {
            if (cJSON_IsNull(f)) continue;
            if (!cJSON_IsString(f)) return voc_err_set(err, VOC_EPARSE, "text: must be a string");
            size_t n = strlen(f->valuestring);
            if (n > lim->max_text)
                return voc_err_set(err, VOC_ELIMIT, "text: %zu bytes exceeds the %zu-byte limit", n,
                                   lim->max_text);
            it->text = voc_strndup(f->valuestring, n);
            it->text_len = n;
        } else if (strcmp(k, "themes") == 0 || strcmp(k, "sentiment") == 0) {
            /* Analysis output of an export: recomputed by the processor. */
        } else {
            const char *near = s_nearest_key(k);
            if (near)
                return voc_err_set(err, VOC_EINVAL, "unknown field '%.40s' (did you mean '%s'?)", k,
                                   near);
            return voc_err_set(err, VOC_EINVAL, "unknown field '%.40s'", k);
        }
    }

    /* A score alone is feedback too (an NPS answer with no comment): its
     * text is empty. Without a score the text is what the item is. */
    if (!has_score && !it->text) return voc_err_set(err, VOC_EINVAL, "text: missing");
    if (!has_score && s_blank(it->text, it->text_len))
        return voc_err_set(err, VOC_EINVAL, "text: empty");
    if (!it->text || s_blank(it->text, it->text_len)) {
        free(it->text);
        it->text = voc_strdup("");
        it->text_len = 0;
    }
    if (has_score) {
        if (!has_scale)
            it->scale = (has_kind ? it->kind == VOC_KIND_NPS : def->kind == VOC_KIND_NPS)
                            ? VOC_SCALE_NPS
                            : VOC_SCALE_RATING;
        int lo = it->scale == VOC_SCALE_NPS ? 0 : 1, hi = it->scale == VOC_SCALE_NPS ? 10 : 5;
        if (score < lo || score > hi)
            return voc_err_set(err, VOC_EINVAL, "score: %g is out of range %d-%d for scale %s",
                               score, lo, hi, voc_scale_name(it->scale));
        it->score = (int)score;
    } else if (has_scale) {
        return voc_err_set(err, VOC_EINVAL, "scale: given without a score");
    }
    if (!has_kind) it->kind = it->scale == VOC_SCALE_NPS ? VOC_KIND_NPS : def->kind;
    if (!it->source) it->source = voc_strdup(def->source ? def->source : "api");
    if (!has_received) it->received_at = def->received_at ? def->received_at : voc_time_now();
    /* A derived uid must not depend on when the item happened to arrive:
     * without created_at it hashes 0, so a re-import finds the same uid. */
    if (!it->uid) {
        if (!has_created) it->created_at = 0;
        voc_item_derive_uid(it);
    }
    if (!has_created) {
        it->created_at = it->received_at;
        it->created_defaulted = true;
    }
    return 0;
}

int voc_item_from_json(voc_item *out, const char *json, size_t len, const voc_item_limits *lim,
                       const voc_item_defaults *def, voc_err *err)
{
    voc_item_limits dl = voc_item_limits_default();
    voc_item_defaults dd = {0};
    if (!lim) lim = &dl;
    if (!def) def = &dd;
    voc_item_init(out);

    size_t start = 0;
    while (start < len && isspace((unsigned char)json[start]))
        start++;
    if (start == len) return voc_err_set(err, VOC_EPARSE, "empty payload");
    if (len - start > lim->max_text * 4 + 65536)
        return voc_err_set(err, VOC_ELIMIT, "payload of %zu bytes is too large", len);
    int rc = s_prescan(json + start, len - start, lim->max_depth, err);
    if (rc) return rc;

    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json + start, len - start, &end, 0);
    if (!root) {
        size_t at = end ? (size_t)(end - json) : 0;
        return voc_err_set(err, VOC_EPARSE, "not valid JSON (error near offset %zu)", at);
    }
    for (const char *p = end; p && p < json + len; p++) {
        if (!isspace((unsigned char)*p)) {
            cJSON_Delete(root);
            return voc_err_set(err, VOC_EPARSE,
                               "unexpected data after the JSON value at offset "
                               "%zu",
                               (size_t)(p - json));
        }
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return voc_err_set(err, VOC_EPARSE, "item must be a JSON object");
    }
    rc = s_decode_fields(out, root, lim, def, err);
    cJSON_Delete(root);
    if (rc) voc_item_clear(out);
    return rc;
}

/* ---- encoding ----------------------------------------------------------- */

static void s_add_str(cJSON *o, const char *k, const char *v)
{
    if (v) cJSON_AddItemToObject(o, k, cJSON_CreateString(v));
}

char *voc_item_to_json(const voc_item *it, unsigned flags)
{
    char tbuf[VOC_TIME_BUF];
    cJSON *o = cJSON_CreateObject();
    s_add_str(o, "uid", it->uid);
    s_add_str(o, "source", it->source);
    s_add_str(o, "kind", voc_kind_name(it->kind));
    /* A created_at that was only defaulted stays absent on the wire, so the
     * store can tell a resend from a real change of time. */
    if (!it->created_defaulted || (flags & VOC_ITEM_JSON_ANALYSIS))
        s_add_str(o, "created_at", voc_time_format(it->created_at, tbuf));
    if (it->received_at) s_add_str(o, "received_at", voc_time_format(it->received_at, tbuf));
    s_add_str(o, "customer_id", it->customer_id);
    s_add_str(o, "account", it->account);
    if (it->attr_count) {
        cJSON *a = cJSON_AddObjectToObject(o, "attrs");
        for (size_t i = 0; i < it->attr_count; i++)
            s_add_str(a, it->attrs[i].key, it->attrs[i].value);
    }
    if (it->scale != VOC_SCALE_NONE) {
        cJSON_AddNumberToObject(o, "score", it->score);
        s_add_str(o, "scale", voc_scale_name(it->scale));
    }
    s_add_str(o, "subject", it->subject);
    s_add_str(o, "text", it->text ? it->text : "");
    if (flags & VOC_ITEM_JSON_ANALYSIS) {
        if (it->has_sentiment) cJSON_AddNumberToObject(o, "sentiment", it->sentiment);
        cJSON *arr = cJSON_AddArrayToObject(o, "themes");
        for (size_t i = 0; i < it->theme_count; i++) {
            const voc_item_theme *t = &it->themes[i];
            cJSON *th = cJSON_CreateObject();
            s_add_str(th, "id", t->id);
            cJSON_AddNumberToObject(th, "score", t->score);
            if (t->has_sentiment) cJSON_AddNumberToObject(th, "sentiment", t->sentiment);
            cJSON *ev = cJSON_AddArrayToObject(th, "evidence");
            for (size_t k = 0; k < t->evidence_count; k++) {
                cJSON *e = cJSON_CreateObject();
                s_add_str(e, "rule", t->evidence[k].rule);
                cJSON_AddNumberToObject(e, "start", t->evidence[k].start);
                cJSON_AddNumberToObject(e, "end", t->evidence[k].end);
                cJSON_AddItemToArray(ev, e);
            }
            cJSON_AddItemToArray(arr, th);
        }
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s) {
        fprintf(stderr, "voc: out of memory encoding an item\n");
        abort();
    }
    return s;
}
