/* import.c: the file importers (see import.h). CSV is parsed with libcsv
 * (RFC 4180 quoting, embedded newlines, CRLF); a UTF-8 BOM is skipped.
 * Plain CSV and the vendor CSV exports share one reader: after the header
 * rows a "plan" maps columns to item fields (the user's --map first, then
 * the vendor's layout or well-known header names), and every row is built
 * from the plan. Zendesk tickets are JSON, mapped by key path. Every record
 * goes through the one item decoder and encoder in common/item.c, so what
 * the collector sends is what the processor expects. */
#include "collectors/import.h"

#include "common/alloc.h"
#include "common/opts.h"
#include "common/utf8.h"
#include "common/vtime.h"

#include <cjson/cJSON.h>
#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_SNIFF (64 * 1024)
#define S_MAX_VENDOR_ATTRS 32 /* the decoder allows 64; leave room for --map */
#define S_MAX_ATTR_KEY 64     /* as the decoder enforces */
#define S_MAX_ATTR_VALUE 1024
#define S_MAX_JSON_DOC (512u << 20)

static const struct {
    voc_import_format format;
    const char *name;
} s_formats[] = {
    {VOC_IMPORT_AUTO, "auto"},
    {VOC_IMPORT_JSONL, "jsonl"},
    {VOC_IMPORT_CSV, "csv"},
    {VOC_IMPORT_QUALTRICS, "qualtrics"},
    {VOC_IMPORT_DELIGHTED_CSV, "delighted-csv"},
    {VOC_IMPORT_TYPEFORM_CSV, "typeform-csv"},
    {VOC_IMPORT_ZENDESK_JSON, "zendesk-json"},
};

int voc_import_format_parse(const char *s, voc_import_format *out)
{
    if (strcmp(s, "ndjson") == 0) {
        *out = VOC_IMPORT_JSONL;
        return 0;
    }
    for (size_t i = 0; i < sizeof s_formats / sizeof s_formats[0]; i++) {
        if (strcmp(s, s_formats[i].name) == 0) {
            *out = s_formats[i].format;
            return 0;
        }
    }
    return VOC_EINVAL;
}

const char *voc_import_format_name(voc_import_format f)
{
    for (size_t i = 0; i < sizeof s_formats / sizeof s_formats[0]; i++)
        if (s_formats[i].format == f) return s_formats[i].name;
    return "?";
}

static const char *s_base(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static bool s_has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static bool s_blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

/* Case-insensitive substring search. */
static bool s_contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0) return true;
    return false;
}

/* Normalize one record: decode it as an item with the defaults filled in
 * and encode it again; if it cannot be decoded, pass the raw bytes on. */
static int s_emit_record(const voc_import_config *cfg, const char *data, size_t len,
                         const char *origin, voc_import_emit_fn emit, void *user, voc_err *err)
{
    voc_item it;
    voc_err why;
    voc_item_defaults def = {.source = cfg->source ? cfg->source : "import",
                             .kind = cfg->kind,
                             .received_at = voc_time_now()};
    if (voc_item_from_json(&it, data, len, NULL, &def, &why) != 0)
        return emit(user, data, len, origin, err);
    char *json = voc_item_to_json(&it, 0);
    int rc = emit(user, json, strlen(json), origin, err);
    free(json);
    voc_item_clear(&it);
    return rc;
}

/* ---- JSON Lines -------------------------------------------------------- */

/* Read lines, skipping a BOM and blank lines; calls fn for each other line
 * with its number. Shared by JSON Lines and Zendesk's line-per-ticket export. */
typedef int (*s_line_fn)(void *ctx, char *line, size_t len, size_t lineno);

static int s_each_line(FILE *fp, const char *name, s_line_fn fn, void *ctx, voc_err *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    size_t lineno = 0;
    int rc = 0;
    while ((n = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        char *p = line;
        size_t len = (size_t)n;
        if (lineno == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
            p += 3;
            len -= 3;
        }
        while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
            len--;
        p[len] = '\0';
        size_t k = 0;
        while (k < len && isspace((unsigned char)p[k]))
            k++;
        if (k == len) continue; /* blank line */
        if ((rc = fn(ctx, p, len, lineno))) break;
    }
    if (rc == 0 && ferror(fp))
        rc = voc_err_set(err, VOC_EIO, "%s: read error: %s", name, strerror(errno));
    free(line);
    return rc;
}

typedef struct s_jsonl {
    const voc_import_config *cfg;
    const char *name;
    voc_import_emit_fn emit;
    void *user;
    size_t *records;
    voc_err *err;
} s_jsonl;

static int s_jsonl_line(void *ctx, char *line, size_t len, size_t lineno)
{
    s_jsonl *j = ctx;
    char origin[512];
    snprintf(origin, sizeof origin, "%s:%zu", j->name, lineno);
    (*j->records)++;
    return s_emit_record(j->cfg, line, len, origin, j->emit, j->user, j->err);
}

static int s_import_jsonl(FILE *fp, const char *name, const voc_import_config *cfg,
                          voc_import_emit_fn emit, void *user, size_t *records, voc_err *err)
{
    s_jsonl j = {cfg, name, emit, user, records, err};
    return s_each_line(fp, name, s_jsonl_line, &j, err);
}

/* ---- Field mappings (--map) ------------------------------------------------ */

enum {
    S_F_UID,
    S_F_TEXT,
    S_F_SUBJECT,
    S_F_SCORE,
    S_F_SCALE,
    S_F_CREATED,
    S_F_RECEIVED,
    S_F_CUSTOMER,
    S_F_ACCOUNT,
    S_F_KIND,
    S_F_SOURCE,
    S_NFIELDS,
    S_F_ATTR = -1,
};

static const char *const s_fields[S_NFIELDS + 1] = {
    "uid",         "text",        "subject", "score", "scale",  "created_at",
    "received_at", "customer_id", "account", "kind",  "source", NULL};

static int s_field_index(const char *target)
{
    for (int i = 0; i < S_NFIELDS; i++)
        if (strcmp(target, s_fields[i]) == 0) return i;
    return S_F_ATTR;
}

/* How a cell's value is turned into the field's value. */
typedef enum s_how {
    S_AS_IS = 0,
    S_VENDOR_ATTR,     /* control characters to spaces; dropped past 1 KiB */
    S_LEADING_INT,     /* "10 - Extremely likely" (Qualtrics choice text) -> "10" */
    S_NPS_GROUP,       /* 1/2/3 or Detractor/Passive/Promoter -> detractor/... */
    S_DELIGHTED_SCALE, /* survey type -> "nps", "rating", or "-" (no voc scale) */
} s_how;

typedef struct s_mapping {
    char *target; /* a field name or "attr:NAME" */
    char *column; /* header name (CSV) or key path (JSON) */
    long index;   /* CSV column index once the header is read */
    int field;    /* S_F_*, or S_F_ATTR */
    bool user;    /* from --map: overrides the vendor's layout */
    s_how how;
} s_mapping;

typedef struct s_maps {
    s_mapping *v;
    size_t n;
} s_maps;

static s_mapping *s_maps_add(s_maps *m, const char *target, const char *column, long index,
                             bool user, s_how how)
{
    m->v = voc_realloc(m->v, (m->n + 1) * sizeof *m->v);
    m->v[m->n] = (s_mapping){
        voc_strdup(target), voc_strdup(column), index, s_field_index(target), user, how};
    return &m->v[m->n++];
}

static void s_maps_free(s_maps *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].target);
        free(m->v[i].column);
    }
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

static char *s_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Parse the --map specs into user mappings (index -1 until resolved). */
static int s_parse_maps(const voc_import_config *cfg, s_maps *out, voc_err *err)
{
    for (size_t m = 0; m < cfg->map_count; m++) {
        char *spec = voc_strdup(cfg->maps[m]);
        char *save = NULL;
        for (char *tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(tok, '=');
            if (!eq) {
                int rc = voc_err_set(err, VOC_EINVAL,
                                     "--map '%s': expected FIELD=Column, e.g. text=Comment", tok);
                free(spec);
                return rc;
            }
            *eq = '\0';
            char *target = s_trim(tok), *column = s_trim(eq + 1);
            bool is_attr = strncmp(target, "attr:", 5) == 0 && target[5];
            if (!is_attr && s_field_index(target) == S_F_ATTR) {
                const char *near = voc_nearest(target, s_fields);
                int rc = voc_err_set(err, VOC_EINVAL,
                                     "--map: unknown field '%s'%s%s%s (fields: uid, text, "
                                     "subject, score, scale, created_at, received_at, "
                                     "customer_id, account, kind, source, attr:NAME)",
                                     target, near ? " (did you mean '" : "", near ? near : "",
                                     near ? "'?)" : "");
                free(spec);
                return rc;
            }
            s_maps_add(out, target, column, -1, true, S_AS_IS);
        }
        free(spec);
    }
    return 0;
}

static bool s_user_mapped(const s_maps *m, const char *target)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].user && strcmp(m->v[i].target, target) == 0) return true;
    return false;
}

static bool s_mapped(const s_maps *m, const char *target)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].target, target) == 0) return true;
    return false;
}

/* ---- Row assembly (CSV rows and Zendesk tickets) -------------------------- */

/* What one record maps to, before it becomes item JSON. Values are borrowed
 * from the record or from scratch space in the row. */
typedef struct s_rec {
    const char *val[S_NFIELDS];
    char scratch[S_NFIELDS][64];
    voc_buf text;
    cJSON *attrs; /* owned until s_rec_json */
} s_rec;

typedef struct s_consts {
    const char *source; /* vendor name; NULL: the decoder's default */
    const char *kind;   /* "nps", "survey", "ticket"; NULL: the default */
    const char *scale;  /* for a score with no scale column; NULL: by kind */
} s_consts;

static const char *s_transform(s_how how, const char *v, char *scratch, size_t cap)
{
    switch (how) {
    case S_LEADING_INT: {
        size_t n = strspn(v, "0123456789");
        if (n == 0 || n >= cap || (v[n] && !isspace((unsigned char)v[n]) && v[n] != '-'))
            return v; /* not that shape: leave it to the decoder to judge */
        memcpy(scratch, v, n);
        scratch[n] = '\0';
        return scratch;
    }
    case S_NPS_GROUP:
        if (strcmp(v, "1") == 0 || strcasecmp(v, "detractor") == 0) return "detractor";
        if (strcmp(v, "2") == 0 || strcasecmp(v, "passive") == 0) return "passive";
        if (strcmp(v, "3") == 0 || strcasecmp(v, "promoter") == 0) return "promoter";
        return v;
    case S_DELIGHTED_SCALE:
        if (strcasecmp(v, "nps") == 0 || strcasecmp(v, "enps") == 0) return "nps";
        if (strcasecmp(v, "csat") == 0 || strcasecmp(v, "five_star") == 0 ||
            strcasecmp(v, "five-star") == 0 || strcasecmp(v, "smileys") == 0)
            return "rating";
        return "-";
    case S_AS_IS:
    case S_VENDOR_ATTR:
        break;
    }
    return v;
}

/* Strip a trailing " UTC"/" GMT" (Delighted, spreadsheet exports): those
 * times are UTC, which is what voc reads a zone-less time as. */
static const char *s_time_norm(const char *v, char *scratch, size_t cap)
{
    size_t n = strlen(v);
    if (n < cap && n > 4 && (s_has_suffix(v, " UTC") || s_has_suffix(v, " GMT"))) {
        memcpy(scratch, v, n - 4);
        scratch[n - 4] = '\0';
        return scratch;
    }
    return v;
}

/* Add one mapped value to the record: text accumulates, other fields keep
 * the first non-empty value, an attribute the first for its key. */
static void s_rec_put(s_rec *r, const s_mapping *m, const char *v)
{
    if (s_blank(v)) return;
    if (m->field == S_F_ATTR) {
        const char *key = m->target + 5;
        if (!r->attrs) r->attrs = cJSON_CreateObject();
        if (cJSON_GetObjectItemCaseSensitive(r->attrs, key)) return;
        if (m->how == S_VENDOR_ATTR) {
            size_t n = strlen(v);
            if (n > S_MAX_ATTR_VALUE) return;
            char *clean = voc_strdup(v);
            for (char *p = clean; *p; p++)
                if ((unsigned char)*p < 0x20) *p = ' ';
            cJSON_AddStringToObject(r->attrs, key, s_trim(clean));
            free(clean);
            return;
        }
        char tmp[64];
        cJSON_AddStringToObject(r->attrs, key, s_transform(m->how, v, tmp, sizeof tmp));
        return;
    }
    if (m->field == S_F_TEXT) {
        if (r->text.len) voc_buf_puts(&r->text, "\n\n");
        voc_buf_puts(&r->text, v);
        return;
    }
    if (r->val[m->field]) return;
    char *scratch = r->scratch[m->field];
    if (m->field == S_F_CREATED || m->field == S_F_RECEIVED)
        r->val[m->field] = s_time_norm(v, scratch, sizeof r->scratch[0]);
    else
        r->val[m->field] = s_transform(m->how, v, scratch, sizeof r->scratch[0]);
}

/* Build the item JSON (caller frees) and release the record. */
static char *s_rec_json(s_rec *r, const s_consts *k, const voc_import_config *cfg)
{
    cJSON *o = cJSON_CreateObject();
    const char *source = r->val[S_F_SOURCE] ? r->val[S_F_SOURCE]
                         : k->source        ? k->source
                         : cfg->source      ? cfg->source
                                            : "import";
    if (r->val[S_F_SOURCE] || k->source) cJSON_AddStringToObject(o, "source", source);
    if (r->val[S_F_UID]) {
        /* Ids from files are scoped by source, as vendor ids are. */
        char *uid = voc_asprintf("%s:%s", source, r->val[S_F_UID]);
        cJSON_AddStringToObject(o, "uid", uid);
        free(uid);
    }
    const char *scale = NULL;
    if (r->val[S_F_SCORE]) {
        scale = r->val[S_F_SCALE] ? r->val[S_F_SCALE] : k->scale;
        if (scale && strcmp(scale, "-") == 0) {
            /* A score on a scale voc does not have (Delighted CES, PMF):
             * kept as an attribute rather than rejected. */
            if (!r->attrs) r->attrs = cJSON_CreateObject();
            if (!cJSON_GetObjectItemCaseSensitive(r->attrs, "score"))
                cJSON_AddStringToObject(r->attrs, "score", r->val[S_F_SCORE]);
        } else {
            cJSON_AddStringToObject(o, "score", r->val[S_F_SCORE]);
            if (scale) cJSON_AddStringToObject(o, "scale", scale);
        }
    }
    const char *kind = r->val[S_F_KIND];
    if (!kind && k->kind) {
        /* An NPS export row whose score is on another scale is a survey. */
        bool nps = strcmp(k->kind, "nps") == 0;
        kind = nps && scale && strcmp(scale, "nps") != 0 ? "survey" : k->kind;
    }
    if (kind) cJSON_AddStringToObject(o, "kind", kind);
    static const int plain[] = {S_F_SUBJECT, S_F_CREATED, S_F_RECEIVED, S_F_CUSTOMER, S_F_ACCOUNT};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (r->val[plain[i]]) cJSON_AddStringToObject(o, s_fields[plain[i]], r->val[plain[i]]);
    if (r->text.len) cJSON_AddStringToObject(o, "text", r->text.data);
    if (r->attrs) {
        cJSON_AddItemToObject(o, "attrs", r->attrs);
        r->attrs = NULL;
    }
    char *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    voc_buf_free(&r->text);
    return json;
}

/* ---- CSV -------------------------------------------------------------------- */

/* Header names recognised in a plain CSV without a --map, per field, lower case. */
static const char *const s_auto[S_NFIELDS][8] = {
    [S_F_UID] = {"uid", "id", "response id", "response_id", "ticket id", "ticket_id", NULL},
    [S_F_TEXT] = {"text", "comment", "comments", "feedback", "body", "message", "description",
                  NULL},
    [S_F_SUBJECT] = {"subject", "title", NULL},
    [S_F_SCORE] = {"score", "nps", "nps score", "rating", NULL},
    [S_F_SCALE] = {"scale", NULL},
    [S_F_CREATED] = {"created_at", "date", "created", "created at", "timestamp", "submitted at",
                     NULL},
    [S_F_RECEIVED] = {"received_at", NULL},
    [S_F_CUSTOMER] = {"customer_id", "customer", "customer id", "user id", NULL},
    [S_F_ACCOUNT] = {"account", "company", "organization", NULL},
    [S_F_KIND] = {"kind", "type", NULL},
    [S_F_SOURCE] = {"source", NULL},
};

/* Attribute columns recognised without a --map (header name = attr name). */
static const char *const s_auto_attrs[] = {"plan",    "region",   "segment", "tier",
                                           "country", "language", NULL};

typedef struct s_csv s_csv;

/* A vendor's CSV layout. */
typedef struct s_vendor {
    voc_import_format format;
    const char *source;
    int extra_header_rows; /* rows after the first that may be headers too */
    void (*plan)(s_csv *c);
} s_vendor;

struct s_csv {
    const voc_import_config *cfg;
    const s_vendor *vendor; /* NULL: plain CSV */
    const char *name;
    voc_import_emit_fn emit;
    void *user;
    size_t *records;
    s_maps maps;
    s_consts consts;
    size_t vendor_attrs;
    char **row;
    size_t nrow;
    size_t caprow;
    char **header;
    size_t nheader;
    char **questions; /* Qualtrics row 2 (question texts), or NULL */
    size_t nquestions;
    char **import_ids; /* Qualtrics row 3 ImportIds (NULL cells when absent) */
    size_t nimport;
    int extra_rows; /* header rows still to come */
    bool planned;
    size_t rowno;  /* spreadsheet row of the record being built (header = 1) */
    size_t lineno; /* physical line it starts on */
    int rc;
    voc_err *err;
};

static long s_col(const s_csv *c, const char *name)
{
    for (size_t k = 0; k < c->nheader; k++)
        if (strcasecmp(c->header[k], name) == 0) return (long)k;
    return -1;
}

static bool s_column_used(const s_csv *c, long col)
{
    for (size_t i = 0; i < c->maps.n; i++)
        if (c->maps.v[i].index == col) return true;
    return false;
}

/* A vendor mapping: skipped when the user mapped that target or the column
 * is absent. A target may get several columns: text joins them, any other
 * field takes the first that is not empty in a row (a fallback). */
static bool s_plan_add(s_csv *c, const char *target, long col, s_how how)
{
    if (col < 0 || s_user_mapped(&c->maps, target)) return false;
    for (size_t i = 0; i < c->maps.n; i++)
        if (c->maps.v[i].index == col && strcmp(c->maps.v[i].target, target) == 0) return false;
    if (strncmp(target, "attr:", 5) == 0) {
        if (c->vendor_attrs >= S_MAX_VENDOR_ATTRS || strlen(target + 5) > S_MAX_ATTR_KEY)
            return false;
        c->vendor_attrs++;
        if (how == S_AS_IS) how = S_VENDOR_ATTR;
    }
    s_maps_add(&c->maps, target, c->header[col], col, false, how);
    return true;
}

/* The same for each of names that is a column, in order of preference. */
static void s_plan_add_each(s_csv *c, const char *target, const char *const *names, s_how how)
{
    for (size_t i = 0; names[i]; i++)
        s_plan_add(c, target, s_col(c, names[i]), how);
}

/* An attribute named after its column: identifiers as they are ("plan",
 * "CustomerTier"), human labels in snake case ("Delighted Source" ->
 * "delighted_source"). Columns that read like questions are not attributes. */
static void s_plan_attr_column(s_csv *c, long col)
{
    const char *h = c->header[col];
    size_t n = strlen(h);
    if (n == 0 || n > 48 || strchr(h, '?') || strchr(h, '\n')) return;
    bool label = strchr(h, ' ') != NULL;
    char key[S_MAX_ATTR_KEY + 6] = "attr:";
    size_t k = 5;
    for (const char *p = h; *p && k + 1 < sizeof key; p++) {
        unsigned char ch = (unsigned char)*p;
        if (isspace(ch) || ch == '-') {
            if (key[k - 1] != '_') key[k++] = '_';
        } else if (isalnum(ch) || ch == '_' || ch == '.') {
            key[k++] = label ? (char)tolower(ch) : (char)ch;
        }
    }
    while (k > 5 && key[k - 1] == '_')
        k--;
    key[k] = '\0';
    if (k > 5) s_plan_add(c, key, col, S_AS_IS);
}

/* Free-text questions, by the words their titles use. */
static bool s_free_text_title(const char *t)
{
    static const char *const cues[] = {"why",
                                       "tell us",
                                       "comment",
                                       "feedback",
                                       "improve",
                                       "anything else",
                                       "suggest",
                                       "describe",
                                       "explain",
                                       "reason",
                                       "how can we",
                                       "what could",
                                       "what would",
                                       "what can we",
                                       "what did you like",
                                       "other thoughts",
                                       "in your own words",
                                       NULL};
    for (size_t i = 0; cues[i]; i++)
        if (s_contains(t, cues[i])) return true;
    return false;
}

static bool s_nps_title(const char *t)
{
    return s_contains(t, "recommend") || s_contains(t, "how likely") ||
           s_contains(t, "net promoter") || strcasecmp(t, "nps") == 0;
}

/* ---- Qualtrics ---- */

static const char *const s_qualtrics_meta[] = {
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
    "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
    "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel",
    "UserLanguage",
    /* legacy exports */
    "ResponseID", "ResponseSet", "Name", "ExternalDataReference", "EmailAddress", NULL};

static bool s_in(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcasecmp(s, list[i]) == 0) return true;
    return false;
}

static const char *s_import_id(const s_csv *c, size_t col)
{
    return col < c->nimport ? c->import_ids[col] : NULL;
}

/* A question's column: Q1, Q2_TEXT, QID5, Q3_NPS_GROUP, or an ImportId
 * QIDn...; Q_ columns are Qualtrics internals (Q_RecaptchaScore). */
static bool s_qualtrics_question(const s_csv *c, size_t col)
{
    const char *h = c->header[col];
    const char *id = s_import_id(c, col);
    if (id) return strncmp(id, "QID", 3) == 0 || strncmp(id, "Q_", 2) == 0 || id[0] == '_';
    return (h[0] == 'Q' && (isdigit((unsigned char)h[1]) || h[1] == '_')) ||
           strncmp(h, "QID", 3) == 0 || s_has_suffix(h, "_TEXT") || s_has_suffix(h, "_NPS_GROUP");
}

static void s_plan_qualtrics(s_csv *c)
{
    s_plan_add_each(c, "uid", (const char *const[]){"ResponseId", "ResponseID", NULL}, S_AS_IS);
    s_plan_add_each(c, "created_at",
                    (const char *const[]){"RecordedDate", "EndDate", "StartDate", NULL}, S_AS_IS);
    s_plan_add_each(c, "customer_id",
                    (const char *const[]){"ExternalReference", "ExternalDataReference",
                                          "RecipientEmail", "EmailAddress", NULL},
                    S_AS_IS);
    s_plan_add(c, "attr:channel", s_col(c, "DistributionChannel"), S_AS_IS);
    s_plan_add(c, "attr:language", s_col(c, "UserLanguage"), S_AS_IS);

    /* The NPS question is the one Qualtrics adds a Q_NPS_GROUP column for. */
    long nps = -1, group = -1;
    for (size_t k = 0; k < c->nheader && nps < 0; k++) {
        const char *h = c->header[k];
        size_t n = strlen(h);
        if (n <= 10 || strcmp(h + n - 10, "_NPS_GROUP") != 0) continue;
        char *base = voc_strndup(h, n - 10);
        nps = s_col(c, base);
        free(base);
        if (nps >= 0) group = (long)k;
    }
    if (nps >= 0) {
        s_plan_add(c, "score", nps, S_LEADING_INT);
        s_plan_add(c, "attr:nps_group", group, S_NPS_GROUP);
        c->consts.scale = "nps";
        c->consts.kind = "nps";
    } else {
        c->consts.kind = "survey";
    }

    /* Text-entry answers: ImportId QIDn_TEXT (also "other, please specify"
     * boxes, QIDn_m_TEXT); without the ImportId row, column ids ending _TEXT;
     * failing both, questions whose wording asks for free text. */
    size_t texts = 0;
    for (size_t k = 0; k < c->nheader; k++) {
        const char *id = s_import_id(c, k);
        if ((long)k != nps && s_has_suffix(id ? id : c->header[k], "_TEXT") &&
            !s_column_used(c, (long)k))
            texts += s_plan_add(c, "text", (long)k, S_AS_IS);
    }
    for (size_t k = 0; texts == 0 && k < c->nheader && k < c->nquestions; k++)
        if ((long)k != nps && (long)k != group && s_qualtrics_question(c, k) &&
            s_free_text_title(c->questions[k]))
            s_plan_add(c, "text", (long)k, S_AS_IS);

    /* Embedded data: what is neither metadata nor a question. */
    for (size_t k = 0; k < c->nheader; k++)
        if (!s_in(c->header[k], s_qualtrics_meta) && !s_qualtrics_question(c, k) &&
            !s_column_used(c, (long)k))
            s_plan_attr_column(c, (long)k);
}

/* ---- Typeform ---- */

static const char *const s_typeform_meta[] = {"#",
                                              "Response Type",
                                              "Start Date (UTC)",
                                              "Stage Date (UTC)",
                                              "Submit Date (UTC)",
                                              "Network ID",
                                              "Tags",
                                              "Ending",
                                              NULL};

/* Typeform hidden fields are identifiers (lower case, digits, _). */
static bool s_identifier(const char *s)
{
    if (!*s || strlen(s) > S_MAX_ATTR_KEY) return false;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_') return false;
    return true;
}

static void s_plan_typeform(s_csv *c)
{
    s_plan_add(c, "uid", s_col(c, "#"), S_AS_IS);
    s_plan_add_each(c, "created_at",
                    (const char *const[]){"Submit Date (UTC)", "Start Date (UTC)", NULL}, S_AS_IS);
    s_plan_add(c, "attr:response_type", s_col(c, "Response Type"), S_AS_IS);
    s_plan_add(c, "attr:tags", s_col(c, "Tags"), S_AS_IS);

    /* Hidden fields: who the customer is, then the rest as attributes. */
    static const char *const ids[] = {"customer_id", "user_id", "userid", "email", NULL};
    for (size_t i = 0; ids[i]; i++) {
        long k = s_col(c, ids[i]);
        if (k >= 0 && strcmp(c->header[k], ids[i]) == 0) s_plan_add(c, "customer_id", k, S_AS_IS);
    }
    static const char *const accounts[] = {"account", "account_id", "company", NULL};
    for (size_t i = 0; accounts[i]; i++) {
        long k = s_col(c, accounts[i]);
        if (k >= 0 && strcmp(c->header[k], accounts[i]) == 0) s_plan_add(c, "account", k, S_AS_IS);
    }
    long last_question = -1;
    size_t texts = 0;
    for (size_t k = 0; k < c->nheader; k++) {
        const char *h = c->header[k];
        if (s_in(h, s_typeform_meta) || s_column_used(c, (long)k)) continue;
        if (s_identifier(h)) {
            if (strcmp(h, "email") == 0) continue; /* an address is not a segment */
            char key[S_MAX_ATTR_KEY + 6];
            snprintf(key, sizeof key, "attr:%s", h);
            s_plan_add(c, key, (long)k, S_AS_IS);
        } else if (!s_mapped(&c->maps, "score") && s_nps_title(h)) {
            s_plan_add(c, "score", (long)k, S_LEADING_INT);
            c->consts.scale = "nps";
        } else {
            last_question = (long)k;
            if (s_free_text_title(h)) texts += s_plan_add(c, "text", (long)k, S_AS_IS);
        }
    }
    if (texts == 0) s_plan_add(c, "text", last_question, S_AS_IS);
    c->consts.kind = c->consts.scale ? "nps" : "survey";
}

/* ---- Delighted ---- */

static const char *const s_delighted_skip[] = {
    "Response ID", "Response Id", "ID",         "Name",    "Phone number",        "Phone",
    "Notes",       "Permalink",   "Updated at", "Updated", "Delighted Person ID", "Person ID",
    "Email",       NULL};

static void s_plan_delighted(s_csv *c)
{
    s_plan_add_each(c, "uid", (const char *const[]){"Response ID", "ID", NULL}, S_AS_IS);
    s_plan_add_each(c, "created_at",
                    (const char *const[]){"Response timestamp", "Date", "Created at", "Created",
                                          "Timestamp", "Response date", "Submitted at", NULL},
                    S_AS_IS);
    s_plan_add(c, "score", s_col(c, "Score"), S_LEADING_INT);
    s_plan_add(c, "scale", s_col(c, "Survey type"), S_DELIGHTED_SCALE);
    s_plan_add(c, "attr:survey_type", s_col(c, "Survey type"), S_AS_IS);
    s_plan_add(c, "text", s_col(c, "Comment"), S_AS_IS);
    s_plan_add_each(c, "customer_id",
                    (const char *const[]){"Customer ID", "customer_id", "User ID", "user_id",
                                          "Email", "Person ID", "Delighted Person ID", NULL},
                    S_AS_IS);
    s_plan_add_each(c, "account", (const char *const[]){"Company", "Account", NULL}, S_AS_IS);
    s_plan_add(c, "attr:tags", s_col(c, "Tags"), S_AS_IS);
    c->consts.scale = "nps"; /* Delighted's default survey type */
    c->consts.kind = s_mapped(&c->maps, "score") ? "nps" : "survey";
    /* Person properties, including Delighted's own (Delighted Source, ...). */
    for (size_t k = 0; k < c->nheader; k++)
        if (!s_column_used(c, (long)k) && !s_in(c->header[k], s_delighted_skip))
            s_plan_attr_column(c, (long)k);
}

static const s_vendor s_vendors[] = {
    {VOC_IMPORT_QUALTRICS, "qualtrics", 2, s_plan_qualtrics},
    {VOC_IMPORT_DELIGHTED_CSV, "delighted", 0, s_plan_delighted},
    {VOC_IMPORT_TYPEFORM_CSV, "typeform", 0, s_plan_typeform},
};

/* ---- plain CSV ---- */

static void s_plan_plain(s_csv *c)
{
    for (size_t f = 0; f < S_NFIELDS; f++) {
        if (s_mapped(&c->maps, s_fields[f])) continue;
        for (size_t a = 0; s_auto[f][a]; a++) {
            long k = s_col(c, s_auto[f][a]);
            if (k >= 0 && !s_column_used(c, k)) {
                s_maps_add(&c->maps, s_fields[f], c->header[k], k, false, S_AS_IS);
                break;
            }
        }
    }
    for (size_t a = 0; s_auto_attrs[a]; a++) {
        char target[64];
        snprintf(target, sizeof target, "attr:%s", s_auto_attrs[a]);
        long k = s_col(c, s_auto_attrs[a]);
        if (k >= 0 && !s_mapped(&c->maps, target) && !s_column_used(c, k))
            s_maps_add(&c->maps, target, c->header[k], k, false, S_AS_IS);
    }
}

/* Resolve the user's mappings against the header, then the layout. */
static int s_plan(s_csv *c)
{
    c->planned = true;
    for (size_t i = 0; i < c->maps.n; i++) {
        s_mapping *m = &c->maps.v[i];
        if (!m->user) continue;
        m->index = s_col(c, m->column);
        if (m->index < 0) {
            const char *near = voc_nearest(m->column, (const char *const *)c->header);
            return voc_err_set(c->err, VOC_EINVAL,
                               "%s: --map %s=%s: no column '%s' in the header%s%s%s", c->name,
                               m->target, m->column, m->column, near ? " (did you mean '" : "",
                               near ? near : "", near ? "'?)" : "");
        }
    }
    if (c->vendor) {
        c->consts.source = c->vendor->source;
        c->vendor->plan(c);
    } else {
        s_plan_plain(c);
    }
    if (!s_mapped(&c->maps, "text"))
        return voc_err_set(c->err, VOC_EINVAL,
                           "%s: no text column: map one with --map text=COLUMN (columns: %s%s%s%s)",
                           c->name, c->nheader > 0 ? c->header[0] : "", c->nheader > 1 ? ", " : "",
                           c->nheader > 1 ? c->header[1] : "", c->nheader > 2 ? ", ..." : "");
    return 0;
}

static void s_on_field(void *data, size_t len, void *user)
{
    s_csv *c = user;
    voc_grow((void **)&c->row, &c->caprow, c->nrow + 1, sizeof *c->row);
    c->row[c->nrow++] = voc_strndup(data ? data : "", data ? len : 0);
}

static void s_free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Take the current row's cells (the row array is reused). */
static char **s_take_row(s_csv *c, size_t *n)
{
    char **v = voc_calloc(c->nrow + 1, sizeof *v);
    memcpy(v, c->row, c->nrow * sizeof *v);
    *n = c->nrow;
    c->nrow = 0;
    return v;
}

static void s_free_row(s_csv *c)
{
    for (size_t i = 0; i < c->nrow; i++)
        free(c->row[i]);
    c->nrow = 0;
}

static void s_emit_row(s_csv *c)
{
    s_rec r = {0};
    for (size_t i = 0; i < c->maps.n; i++) {
        const s_mapping *m = &c->maps.v[i];
        if (m->index >= 0 && (size_t)m->index < c->nrow) s_rec_put(&r, m, c->row[m->index]);
    }
    char *json = s_rec_json(&r, &c->consts, c->cfg);
    char origin[512];
    if (c->lineno != c->rowno)
        snprintf(origin, sizeof origin, "%s:row %zu (line %zu)", c->name, c->rowno, c->lineno);
    else
        snprintf(origin, sizeof origin, "%s:row %zu", c->name, c->rowno);
    (*c->records)++;
    c->rc = s_emit_record(c->cfg, json, strlen(json), origin, c->emit, c->user, c->err);
    free(json);
}

/* Qualtrics' third header row: {"ImportId":"QID2_TEXT"} per cell. */
static bool s_import_id_row(char **row, size_t n, char ***ids)
{
    if (n == 0 || strncmp(row[0], "{\"ImportId\"", 11) != 0) return false;
    *ids = voc_calloc(n + 1, sizeof **ids);
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_Parse(row[i]);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "ImportId");
        if (cJSON_IsString(id)) (*ids)[i] = voc_strdup(id->valuestring);
        cJSON_Delete(o);
    }
    return true;
}

static void s_on_row(int term, void *user)
{
    (void)term;
    s_csv *c = user;
    if (c->rc) goto out;
    if (!c->header) {
        if (c->nrow && strncmp(c->row[0], "\xEF\xBB\xBF", 3) == 0)
            memmove(c->row[0], c->row[0] + 3, strlen(c->row[0] + 3) + 1);
        c->header = s_take_row(c, &c->nheader);
        for (size_t i = 0; i < c->nheader; i++) {
            char *t = s_trim(c->header[i]);
            memmove(c->header[i], t, strlen(t) + 1);
        }
        c->extra_rows = c->vendor ? c->vendor->extra_header_rows : 0;
        if (c->extra_rows == 0) c->rc = s_plan(c);
        goto out;
    }
    if (c->extra_rows == 2) { /* Qualtrics: the question texts */
        c->questions = s_take_row(c, &c->nquestions);
        c->extra_rows = 1;
        goto out;
    }
    if (c->extra_rows == 1) { /* Qualtrics: ImportIds, absent in legacy exports */
        c->extra_rows = 0;
        bool ids = s_import_id_row(c->row, c->nrow, &c->import_ids);
        if (ids) c->nimport = c->nrow;
        if ((c->rc = s_plan(c)) || ids) goto out;
    }
    bool blank = true;
    for (size_t i = 0; i < c->nrow && blank; i++)
        blank = c->row[i][0] == '\0';
    if (!blank) s_emit_row(c);
out:
    s_free_row(c);
}

static int s_import_csv(FILE *fp, const char *name, const voc_import_config *cfg,
                        const s_vendor *vendor, voc_import_emit_fn emit, void *user,
                        size_t *records, voc_err *err)
{
    struct csv_parser p;
    bool parser = false;
    s_csv c = {.cfg = cfg,
               .vendor = vendor,
               .name = name,
               .emit = emit,
               .user = user,
               .records = records,
               .err = err};
    int rc = s_parse_maps(cfg, &c.maps, err);
    if (rc) goto out;
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        rc = voc_err_set(err, VOC_EINVAL, "csv_init failed");
        goto out;
    }
    parser = true;
    char buf[65536];
    size_t n;
    /* Count physical lines, and rows as a spreadsheet does (a newline inside
     * quotes continues the row), so each record names where it starts. */
    size_t line = 1, row = 1;
    c.rowno = c.lineno = 1;
    while (c.rc == 0 && (n = fread(buf, 1, sizeof buf, fp)) > 0) {
        /* Feed line by line so the counters are right when a record completes. */
        size_t start = 0;
        for (size_t i = 0; i < n && c.rc == 0; i++) {
            if (buf[i] != '\n') continue;
            if (csv_parse(&p, buf + start, i + 1 - start, s_on_field, s_on_row, &c) !=
                i + 1 - start) {
                rc = voc_err_set(err, VOC_EPARSE, "%s:%zu: %s", name, line,
                                 csv_strerror(csv_error(&p)));
                break;
            }
            start = i + 1;
            line++;
            if (p.pstate == 0 || p.pstate == 1) {
                /* not inside a quoted field: the next record starts here */
                row++;
                c.rowno = row;
                c.lineno = line;
            }
        }
        if (rc) break;
        if (start < n && c.rc == 0 &&
            csv_parse(&p, buf + start, n - start, s_on_field, s_on_row, &c) != n - start) {
            rc =
                voc_err_set(err, VOC_EPARSE, "%s:%zu: %s", name, line, csv_strerror(csv_error(&p)));
            break;
        }
    }
    if (rc == 0 && c.rc == 0) csv_fini(&p, s_on_field, s_on_row, &c);
    if (rc == 0) rc = c.rc;
    if (rc == 0 && ferror(fp))
        rc = voc_err_set(err, VOC_EIO, "%s: read error: %s", name, strerror(errno));
    if (rc == 0 && !c.header)
        rc = voc_err_set(err, VOC_EPARSE, "%s: empty file: a CSV needs a header row", name);
    if (rc == 0 && !c.planned) rc = s_plan(&c); /* header rows only: still report a bad mapping */
out:
    if (parser) csv_free(&p);
    s_free_row(&c);
    free(c.row);
    s_maps_free(&c.maps);
    s_free_strv(c.header, c.nheader);
    s_free_strv(c.questions, c.nquestions);
    s_free_strv(c.import_ids, c.nimport);
    return rc;
}

/* ---- Zendesk tickets (JSON) ---------------------------------------------- */

/* Default mappings: target <- key path; the first non-empty value wins. */
static const struct {
    const char *target;
    const char *path;
} s_zendesk_map[] = {
    {"uid", "id"},
    {"subject", "subject"},
    {"subject", "raw_subject"},
    {"text", "description"},
    {"created_at", "created_at"},
    {"customer_id", "requester_id"},
    {"account", "organization_id"},
    {"attr:tags", "tags"},
    {"attr:status", "status"},
    {"attr:priority", "priority"},
    {"attr:type", "type"},
    {"attr:channel", "via.channel"},
    {"attr:satisfaction", "satisfaction_rating.score"},
};

static const cJSON *s_json_path(const cJSON *o, const char *path)
{
    char *copy = voc_strdup(path), *save = NULL;
    const cJSON *v = o;
    for (char *k = strtok_r(copy, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
        v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, k) : NULL;
    free(copy);
    return v;
}

/* A JSON value as text: strings, whole numbers without a fraction, arrays
 * of scalars comma-joined (Zendesk tags). Caller frees; NULL when none. */
static char *s_json_text(const cJSON *v)
{
    if (cJSON_IsString(v)) return voc_strdup(v->valuestring);
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        /* Range first: converting a double beyond long long is undefined. */
        if (fabs(d) < 9223372036854775808.0 && d == (double)(long long)d)
            return voc_asprintf("%lld", (long long)d);
        return voc_asprintf("%g", d);
    }
    if (cJSON_IsBool(v)) return voc_strdup(cJSON_IsTrue(v) ? "true" : "false");
    if (cJSON_IsArray(v)) {
        voc_buf b = {0};
        const cJSON *e;
        cJSON_ArrayForEach(e, v)
        {
            char *s = cJSON_IsArray(e) ? NULL : s_json_text(e);
            if (s && *s) {
                if (b.len) voc_buf_putc(&b, ',');
                voc_buf_puts(&b, s);
            }
            free(s);
        }
        return b.data;
    }
    return NULL;
}

typedef struct s_zendesk {
    const voc_import_config *cfg;
    const char *name;
    voc_import_emit_fn emit;
    void *user;
    size_t *records;
    s_maps maps; /* the user's --map, key paths */
    voc_err *err;
} s_zendesk;

static int s_zendesk_ticket(s_zendesk *z, const cJSON *t, const char *origin)
{
    (*z->records)++;
    if (!cJSON_IsObject(t)) {
        char *raw = cJSON_PrintUnformatted(t);
        int rc = z->emit(z->user, raw, strlen(raw), origin, z->err);
        free(raw);
        return rc;
    }
    s_rec r = {0};
    /* Long single values (subject) do not fit the record's scratch space;
     * keep the strings alive here until the JSON is built. */
    char *owned[S_NFIELDS] = {0};
    for (size_t i = 0; i < z->maps.n; i++) {
        const s_mapping *m = &z->maps.v[i];
        char *s = s_json_text(s_json_path(t, m->column));
        if (!s) continue;
        if (m->field >= 0 && m->field != S_F_TEXT && !r.val[m->field] && !s_blank(s)) {
            free(owned[m->field]);
            owned[m->field] = s;
            s_rec_put(&r, m, s);
        } else {
            s_rec_put(&r, m, s);
            free(s);
        }
    }
    for (size_t i = 0; i < sizeof s_zendesk_map / sizeof s_zendesk_map[0]; i++) {
        const char *target = s_zendesk_map[i].target;
        if (s_user_mapped(&z->maps, target)) continue;
        const cJSON *v = s_json_path(t, s_zendesk_map[i].path);
        if (strcmp(target, "attr:satisfaction") == 0 &&
            !(cJSON_IsString(v) &&
              (strcmp(v->valuestring, "good") == 0 || strcmp(v->valuestring, "bad") == 0)))
            continue; /* "offered", "unoffered": nobody rated */
        char *s = s_json_text(v);
        if (!s) continue;
        s_mapping m = {.target = (char *)target,
                       .field = s_field_index(target),
                       .how = strncmp(target, "attr:", 5) == 0 ? S_VENDOR_ATTR : S_AS_IS};
        if (m.field >= 0 && m.field != S_F_TEXT && !r.val[m.field] && !s_blank(s)) {
            free(owned[m.field]);
            owned[m.field] = s;
            s_rec_put(&r, &m, s);
        } else {
            s_rec_put(&r, &m, s);
            free(s);
        }
    }
    /* No description: the first comment is the customer's message. */
    if (!r.text.len && !s_user_mapped(&z->maps, "text")) {
        const cJSON *comments = cJSON_GetObjectItemCaseSensitive(t, "comments");
        const cJSON *first = cJSON_IsArray(comments) ? cJSON_GetArrayItem(comments, 0) : NULL;
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(first, "plain_body");
        if (!cJSON_IsString(body)) body = cJSON_GetObjectItemCaseSensitive(first, "body");
        if (cJSON_IsString(body) && !s_blank(body->valuestring))
            voc_buf_puts(&r.text, body->valuestring);
    }
    s_consts k = {.source = "zendesk", .kind = "ticket"};
    char *json = s_rec_json(&r, &k, z->cfg);
    for (size_t i = 0; i < S_NFIELDS; i++)
        free(owned[i]);
    int rc = s_emit_record(z->cfg, json, strlen(json), origin, z->emit, z->user, z->err);
    free(json);
    return rc;
}

static bool s_ticket_like(const cJSON *o)
{
    return cJSON_IsObject(o) && cJSON_GetObjectItemCaseSensitive(o, "id") &&
           (cJSON_GetObjectItemCaseSensitive(o, "requester_id") ||
            cJSON_GetObjectItemCaseSensitive(o, "submitter_id") ||
            cJSON_GetObjectItemCaseSensitive(o, "ticket_form_id") ||
            cJSON_GetObjectItemCaseSensitive(o, "via"));
}

static int s_zendesk_line(void *ctx, char *line, size_t len, size_t lineno)
{
    s_zendesk *z = ctx;
    char origin[512];
    snprintf(origin, sizeof origin, "%s:%zu", z->name, lineno);
    cJSON *t = cJSON_ParseWithLength(line, len);
    if (!t) {
        (*z->records)++;
        return z->emit(z->user, line, len, origin, z->err); /* rejected with a reason */
    }
    int rc = s_zendesk_ticket(z, t, origin);
    cJSON_Delete(t);
    return rc;
}

/* A whole document: {"tickets": [...]} (the API's list and incremental
 * export) or [...]. */
static int s_zendesk_document(s_zendesk *z, const char *doc, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(doc, len);
    int rc = 0;
    if (!root)
        return voc_err_set(z->err, VOC_EPARSE,
                           "%s: not valid JSON: a Zendesk export is one ticket per line, or "
                           "{\"tickets\": [...]}",
                           z->name);
    const cJSON *list =
        cJSON_IsArray(root) ? root : cJSON_GetObjectItemCaseSensitive(root, "tickets");
    if (!cJSON_IsArray(list) && s_ticket_like(root)) {
        char origin[512];
        snprintf(origin, sizeof origin, "%s:ticket 1", z->name);
        rc = s_zendesk_ticket(z, root, origin);
    } else if (!cJSON_IsArray(list)) {
        rc = voc_err_set(z->err, VOC_EPARSE,
                         "%s: no \"tickets\" array: not a Zendesk tickets export", z->name);
    } else {
        size_t i = 0;
        const cJSON *t;
        cJSON_ArrayForEach(t, list)
        {
            char origin[512];
            snprintf(origin, sizeof origin, "%s:ticket %zu", z->name, ++i);
            if ((rc = s_zendesk_ticket(z, t, origin))) break;
        }
    }
    cJSON_Delete(root);
    return rc;
}

static int s_import_zendesk(FILE *fp, const char *name, const voc_import_config *cfg,
                            voc_import_emit_fn emit, void *user, size_t *records, voc_err *err)
{
    s_zendesk z = {cfg, name, emit, user, records, {0}, err};
    voc_buf doc = {0};
    char *first = NULL;
    size_t cap = 0;
    int rc = s_parse_maps(cfg, &z.maps, err);
    if (rc) goto out;
    /* The first line decides: a ticket object on its own line means the
     * line-per-ticket export; anything else is read as one document. */
    ssize_t n = getline(&first, &cap, fp);
    if (n < 0) {
        if (ferror(fp)) rc = voc_err_set(err, VOC_EIO, "%s: read error: %s", name, strerror(errno));
        goto out; /* empty: no tickets */
    }
    char *p = first;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    size_t plen = strlen(p);
    while (plen && (p[plen - 1] == '\n' || p[plen - 1] == '\r'))
        p[--plen] = '\0';
    cJSON *head = cJSON_Parse(p);
    bool per_line = cJSON_IsObject(head) && !cJSON_GetObjectItemCaseSensitive(head, "tickets");
    cJSON_Delete(head);
    if (per_line) {
        if ((rc = s_zendesk_line(&z, p, plen, 1)) == 0) {
            /* the rest, numbered from line 2 */
            size_t base = 1;
            char *line = NULL;
            size_t lcap = 0;
            ssize_t k;
            while ((k = getline(&line, &lcap, fp)) >= 0) {
                base++;
                size_t len = (size_t)k;
                while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                    line[--len] = '\0';
                if (s_blank(line)) continue;
                if ((rc = s_zendesk_line(&z, line, len, base))) break;
            }
            free(line);
            if (rc == 0 && ferror(fp))
                rc = voc_err_set(err, VOC_EIO, "%s: read error: %s", name, strerror(errno));
        }
        goto out;
    }
    voc_buf_puts(&doc, p);
    voc_buf_putc(&doc, '\n');
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (doc.len + got > S_MAX_JSON_DOC) {
            rc = voc_err_set(err, VOC_ELIMIT,
                             "%s: a JSON document over %u MiB; use the line-per-ticket export",
                             name, S_MAX_JSON_DOC >> 20);
            goto out;
        }
        voc_buf_append(&doc, chunk, got);
    }
    if (ferror(fp)) {
        rc = voc_err_set(err, VOC_EIO, "%s: read error: %s", name, strerror(errno));
        goto out;
    }
    rc = s_zendesk_document(&z, doc.data, doc.len);
out:
    free(first);
    voc_buf_free(&doc);
    s_maps_free(&z.maps);
    return rc;
}

/* ---- Detection ------------------------------------------------------------- */

typedef struct s_peek {
    char **rows[3];
    size_t n[3];
    size_t cap[3];
    size_t nrows;
} s_peek;

static void s_peek_field(void *data, size_t len, void *user)
{
    s_peek *pk = user;
    if (pk->nrows >= 3) return;
    size_t r = pk->nrows;
    voc_grow((void **)&pk->rows[r], &pk->cap[r], pk->n[r] + 1, sizeof *pk->rows[r]);
    pk->rows[r][pk->n[r]++] = voc_strndup(data ? data : "", data ? len : 0);
}

static void s_peek_row(int term, void *user)
{
    (void)term;
    s_peek *pk = user;
    if (pk->nrows < 3) pk->nrows++;
}

static bool s_peek_has(const s_peek *pk, const char *name)
{
    for (size_t i = 0; pk->nrows && i < pk->n[0]; i++)
        if (strcasecmp(s_trim(pk->rows[0][i]), name) == 0) return true;
    return false;
}

static voc_import_format s_detect_csv(const char *buf, size_t len, const char *name)
{
    s_peek pk = {0};
    struct csv_parser p;
    voc_import_format fmt = VOC_IMPORT_AUTO;
    if (csv_init(&p, CSV_APPEND_NULL) == 0) {
        csv_parse(&p, buf, len, s_peek_field, s_peek_row, &pk);
        if (pk.nrows < 3) csv_fini(&p, s_peek_field, s_peek_row, &pk);
        csv_free(&p);
    }
    if (pk.nrows > 0) {
        bool qualtrics_ids =
            pk.nrows >= 3 && pk.n[2] > 0 && strncmp(pk.rows[2][0], "{\"ImportId\"", 11) == 0;
        bool has_delighted_col = false;
        for (size_t i = 0; i < pk.n[0]; i++)
            has_delighted_col |= strncasecmp(pk.rows[0][i], "Delighted ", 10) == 0;
        if (qualtrics_ids || ((s_peek_has(&pk, "ResponseId") || s_peek_has(&pk, "ResponseID")) &&
                              (s_peek_has(&pk, "StartDate") || s_peek_has(&pk, "RecordedDate") ||
                               s_peek_has(&pk, "EndDate"))))
            fmt = VOC_IMPORT_QUALTRICS;
        else if (pk.n[0] > 0 && strcmp(s_trim(pk.rows[0][0]), "#") == 0 &&
                 (s_peek_has(&pk, "Submit Date (UTC)") || s_peek_has(&pk, "Start Date (UTC)") ||
                  s_peek_has(&pk, "Network ID")))
            fmt = VOC_IMPORT_TYPEFORM_CSV;
        else if (s_peek_has(&pk, "Score") && s_peek_has(&pk, "Comment") &&
                 (has_delighted_col || s_peek_has(&pk, "Permalink") ||
                  s_peek_has(&pk, "Survey type") || s_contains(s_base(name), "delighted")))
            fmt = VOC_IMPORT_DELIGHTED_CSV;
        else if (pk.n[0] >= 2 || s_has_suffix(name, ".csv"))
            fmt = VOC_IMPORT_CSV;
    }
    for (size_t r = 0; r < 3; r++)
        s_free_strv(pk.rows[r], pk.n[r]);
    return fmt;
}

static voc_import_format s_detect_json(const char *buf, size_t len)
{
    const char *nl = memchr(buf, '\n', len);
    cJSON *head = cJSON_ParseWithLength(buf, nl ? (size_t)(nl - buf) : len);
    voc_import_format fmt = VOC_IMPORT_JSONL;
    if (head) {
        const cJSON *tickets = cJSON_GetObjectItemCaseSensitive(head, "tickets");
        if (cJSON_IsArray(tickets) || s_ticket_like(head) ||
            (cJSON_IsArray(head) && s_ticket_like(cJSON_GetArrayItem(head, 0))))
            fmt = VOC_IMPORT_ZENDESK_JSON;
        cJSON_Delete(head);
        return fmt;
    }
    /* A document over several lines: look for Zendesk's keys. */
    static const char *const keys[] = {"\"tickets\"", "\"requester_id\"", "\"ticket_form_id\"",
                                       NULL};
    for (size_t i = 0; keys[i]; i++) {
        size_t k = strlen(keys[i]);
        for (size_t at = 0; at + k <= len; at++)
            if (memcmp(buf + at, keys[i], k) == 0) return VOC_IMPORT_ZENDESK_JSON;
    }
    return fmt;
}

static int s_detect(const char *buf, size_t len, bool complete, const char *name,
                    voc_import_format *out, voc_err *err)
{
    if (len >= 2 && (memcmp(buf, "\xFF\xFE", 2) == 0 || memcmp(buf, "\xFE\xFF", 2) == 0))
        return voc_err_set(err, VOC_EPARSE, "%s is UTF-16 text; export or save it as UTF-8", name);
    /* A stray bad byte or NUL is one malformed record, dead-lettered on
     * its own; a file where they are common is not a text export at all. */
    size_t junk = 0, nuls = 0, first = len;
    for (size_t at = 0; at < len;) {
        size_t bad;
        if (voc_utf8_valid(buf + at, len - at, &bad)) break;
        if (!complete && at + bad + 4 >= len) break; /* a character cut by the sniff window */
        if (first == len) first = at + bad;
        junk++;
        at += bad + 1;
    }
    for (const char *p = buf; (p = memchr(p, '\0', (size_t)(buf + len - p))); p++) {
        nuls++;
        if ((size_t)(p - buf) < first) first = (size_t)(p - buf);
    }
    if (nuls > 1 && nuls * 50 > len)
        return voc_err_set(err, VOC_EPARSE,
                           "%s holds binary data (%zu NUL bytes in its first %zu), not a text "
                           "export",
                           name, nuls, len);
    if (junk + nuls > 1 && (junk + nuls) * 50 > len)
        return voc_err_set(err, VOC_EPARSE,
                           "%s is not UTF-8 text (%zu bad bytes in its first %zu, the first at "
                           "offset %zu: 0x%02x); export or save it as UTF-8",
                           name, junk + nuls, len, first, (unsigned char)buf[first]);
    size_t at = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (at < len && isspace((unsigned char)buf[at]))
        at++;
    if (at < len && (buf[at] == '{' || buf[at] == '[')) {
        *out = s_detect_json(buf + at, len - at);
        return 0;
    }
    if (at < len) {
        size_t start = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        voc_import_format f = s_detect_csv(buf + start, len - start, name);
        if (f != VOC_IMPORT_AUTO) {
            *out = f;
            return 0;
        }
    }
    *out = s_has_suffix(name, ".csv") ? VOC_IMPORT_CSV : VOC_IMPORT_JSONL;
    return 0;
}

int voc_import_detect(FILE *fp, const char *name, voc_import_format *out, voc_err *err)
{
    char *buf = voc_malloc(S_SNIFF);
    size_t n = fread(buf, 1, S_SNIFF, fp);
    int rc = 0;
    if (ferror(fp))
        rc = voc_err_set(err, VOC_EIO, "%s: read error: %s", name, strerror(errno));
    else if (fseek(fp, 0, SEEK_SET) != 0)
        rc = voc_err_set(err, VOC_EIO, "%s: cannot detect the format of a stream; give --format",
                         name);
    else
        rc = s_detect(buf, n, n < S_SNIFF, name, out, err);
    free(buf);
    return rc;
}

/* ---- Entry points ------------------------------------------------------------ */

int voc_import_stream(FILE *fp, const char *name, const voc_import_config *cfg,
                      voc_import_emit_fn emit, void *user, size_t *records, voc_err *err)
{
    voc_import_format fmt = cfg->format;
    int rc;
    if (fmt == VOC_IMPORT_AUTO && (rc = voc_import_detect(fp, name, &fmt, err))) return rc;
    switch (fmt) {
    case VOC_IMPORT_CSV:
        return s_import_csv(fp, name, cfg, NULL, emit, user, records, err);
    case VOC_IMPORT_QUALTRICS:
    case VOC_IMPORT_DELIGHTED_CSV:
    case VOC_IMPORT_TYPEFORM_CSV:
        for (size_t i = 0; i < sizeof s_vendors / sizeof s_vendors[0]; i++)
            if (s_vendors[i].format == fmt)
                return s_import_csv(fp, name, cfg, &s_vendors[i], emit, user, records, err);
        break;
    case VOC_IMPORT_ZENDESK_JSON:
        return s_import_zendesk(fp, name, cfg, emit, user, records, err);
    case VOC_IMPORT_AUTO:
    case VOC_IMPORT_JSONL:
        break;
    }
    return s_import_jsonl(fp, name, cfg, emit, user, records, err);
}

int voc_import_file(const char *path, const voc_import_config *cfg, voc_import_emit_fn emit,
                    void *user, size_t *records, voc_err *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp) return voc_err_set(err, VOC_EIO, "cannot open %s: %s", path, strerror(errno));
    voc_import_config c = *cfg;
    if (is_stdin && c.format == VOC_IMPORT_AUTO)
        c.format = VOC_IMPORT_JSONL; /* a pipe cannot be rewound after sniffing */
    int rc = voc_import_stream(fp, is_stdin ? "stdin" : s_base(path), &c, emit, user, records, err);
    if (!is_stdin) fclose(fp);
    return rc;
}
