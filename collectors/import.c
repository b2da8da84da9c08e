/* import.c: JSON Lines and CSV importers (see import.h). CSV is parsed with
 * libcsv (RFC 4180 quoting, embedded newlines, CRLF); a UTF-8 BOM is
 * skipped. Every record goes through the one item decoder and encoder in
 * common/item.c, so what the collector sends is what the processor expects. */
#include "collectors/import.h"

#include "common/alloc.h"
#include "common/opts.h"
#include "common/vtime.h"

#include <cjson/cJSON.h>
#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int voc_import_format_parse(const char *s, voc_import_format *out)
{
    if (strcmp(s, "auto") == 0)
        *out = VOC_IMPORT_AUTO;
    else if (strcmp(s, "jsonl") == 0 || strcmp(s, "ndjson") == 0)
        *out = VOC_IMPORT_JSONL;
    else if (strcmp(s, "csv") == 0)
        *out = VOC_IMPORT_CSV;
    else
        return VOC_EINVAL;
    return 0;
}

static const char *s_base(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
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

static int s_import_jsonl(FILE *fp, const char *name, const voc_import_config *cfg,
                          voc_import_emit_fn emit, void *user, size_t *records, voc_err *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    size_t lineno = 0;
    int rc = 0;
    char origin[512];
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
        size_t k = 0;
        while (k < len && isspace((unsigned char)p[k]))
            k++;
        if (k == len)
            continue; /* blank line */
        snprintf(origin, sizeof origin, "%s:%zu", name, lineno);
        (*records)++;
        if ((rc = s_emit_record(cfg, p, len, origin, emit, user, err)))
            break;
    }
    if (rc == 0 && ferror(fp))
        rc = voc_err_set(err, VOC_EIO, "%s: read error: %s", name, strerror(errno));
    free(line);
    return rc;
}

/* ---- CSV ------------------------------------------------------------------ */

static const char *const s_fields[] = {"uid",        "text",        "subject",     "score",
                                       "scale",      "created_at",  "received_at", "customer_id",
                                       "account",    "kind",        "source",      NULL};

/* Header names recognised without a --map, per field, lower case. */
static const char *const s_auto[][8] = {
    {"uid", "id", "response id", "response_id", "ticket id", "ticket_id", NULL},
    {"text", "comment", "comments", "feedback", "body", "message", "description", NULL},
    {"subject", "title", NULL},
    {"score", "nps", "nps score", "rating", NULL},
    {"scale", NULL},
    {"created_at", "date", "created", "created at", "timestamp", "submitted at", NULL},
    {"received_at", NULL},
    {"customer_id", "customer", "customer id", "user id", NULL},
    {"account", "company", "organization", NULL},
    {"kind", "type", NULL},
    {"source", NULL},
};

/* Attribute columns recognised without a --map (header name = attr name). */
static const char *const s_auto_attrs[] = {"plan", "region", "segment", "tier", "country",
                                           "language", NULL};

typedef struct s_mapping {
    char *target; /* a field name or "attr:NAME" */
    char *column; /* header name */
    long index;   /* column index once the header is read */
} s_mapping;

typedef struct s_csv {
    const voc_import_config *cfg;
    const char *name;
    voc_import_emit_fn emit;
    void *user;
    size_t *records;
    s_mapping *maps;
    size_t nmaps;
    char **row;
    size_t nrow;
    size_t caprow;
    char **header;
    size_t nheader;
    size_t rowno; /* spreadsheet row of the record being built (header = 1) */
    int rc;
    voc_err *err;
} s_csv;

static void s_add_map(s_csv *c, const char *target, size_t tlen, const char *column, size_t clen)
{
    c->maps = voc_realloc(c->maps, (c->nmaps + 1) * sizeof *c->maps);
    c->maps[c->nmaps++] = (s_mapping){voc_strndup(target, tlen), voc_strndup(column, clen), -1};
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

static int s_parse_maps(s_csv *c, voc_err *err)
{
    for (size_t m = 0; m < c->cfg->map_count; m++) {
        char *spec = voc_strdup(c->cfg->maps[m]);
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
            bool known = is_attr;
            for (size_t i = 0; s_fields[i] && !known; i++)
                known = strcmp(target, s_fields[i]) == 0;
            if (!known) {
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
            s_add_map(c, target, strlen(target), column, strlen(column));
        }
        free(spec);
    }
    return 0;
}

static bool s_mapped(const s_csv *c, const char *target)
{
    for (size_t i = 0; i < c->nmaps; i++)
        if (strcmp(c->maps[i].target, target) == 0)
            return true;
    return false;
}

static bool s_column_used(const s_csv *c, size_t col)
{
    for (size_t i = 0; i < c->nmaps; i++)
        if (c->maps[i].index == (long)col)
            return true;
    return false;
}

static int s_resolve_header(s_csv *c)
{
    /* Explicit mappings first; they must name real columns. */
    for (size_t i = 0; i < c->nmaps; i++) {
        for (size_t k = 0; k < c->nheader; k++)
            if (strcasecmp(c->maps[i].column, c->header[k]) == 0)
                c->maps[i].index = (long)k;
        if (c->maps[i].index < 0) {
            const char *near = voc_nearest(c->maps[i].column, (const char *const *)c->header);
            return voc_err_set(c->err, VOC_EINVAL,
                               "%s: --map %s=%s: no column '%s' in the header%s%s%s", c->name,
                               c->maps[i].target, c->maps[i].column, c->maps[i].column,
                               near ? " (did you mean '" : "", near ? near : "",
                               near ? "'?)" : "");
        }
    }
    /* Then well-known header names for fields nobody mapped. */
    for (size_t f = 0; s_fields[f]; f++) {
        if (s_mapped(c, s_fields[f]))
            continue;
        for (size_t a = 0; s_auto[f][a]; a++) {
            bool found = false;
            for (size_t k = 0; k < c->nheader && !found; k++) {
                if (strcasecmp(s_auto[f][a], c->header[k]) == 0 && !s_column_used(c, k)) {
                    s_add_map(c, s_fields[f], strlen(s_fields[f]), c->header[k],
                              strlen(c->header[k]));
                    c->maps[c->nmaps - 1].index = (long)k;
                    found = true;
                }
            }
            if (found)
                break;
        }
    }
    for (size_t a = 0; s_auto_attrs[a]; a++) {
        char target[64];
        snprintf(target, sizeof target, "attr:%s", s_auto_attrs[a]);
        if (s_mapped(c, target))
            continue;
        for (size_t k = 0; k < c->nheader; k++) {
            if (strcasecmp(s_auto_attrs[a], c->header[k]) == 0 && !s_column_used(c, k)) {
                s_add_map(c, target, strlen(target), c->header[k], strlen(c->header[k]));
                c->maps[c->nmaps - 1].index = (long)k;
                break;
            }
        }
    }
    if (!s_mapped(c, "text"))
        return voc_err_set(c->err, VOC_EINVAL,
                           "%s: no text column: map one with --map text=COLUMN (columns: %s%s%s%s)",
                           c->name, c->nheader > 0 ? c->header[0] : "",
                           c->nheader > 1 ? ", " : "", c->nheader > 1 ? c->header[1] : "",
                           c->nheader > 2 ? ", ..." : "");
    return 0;
}

static void s_on_field(void *data, size_t len, void *user)
{
    s_csv *c = user;
    voc_grow((void **)&c->row, &c->caprow, c->nrow + 1, sizeof *c->row);
    c->row[c->nrow++] = voc_strndup(data ? data : "", data ? len : 0);
}

static void s_free_row(s_csv *c)
{
    for (size_t i = 0; i < c->nrow; i++)
        free(c->row[i]);
    c->nrow = 0;
}

static void s_emit_row(s_csv *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *attrs = NULL;
    const char *source = c->cfg->source ? c->cfg->source : "import";
    for (size_t i = 0; i < c->nmaps; i++) {
        const s_mapping *m = &c->maps[i];
        if (m->index < 0 || (size_t)m->index >= c->nrow)
            continue;
        if (strcmp(m->target, "source") == 0 && c->row[m->index][0])
            source = c->row[m->index];
    }
    for (size_t i = 0; i < c->nmaps; i++) {
        const s_mapping *m = &c->maps[i];
        if (m->index < 0 || (size_t)m->index >= c->nrow)
            continue;
        const char *v = c->row[m->index];
        if (!v[0])
            continue;
        if (strncmp(m->target, "attr:", 5) == 0) {
            if (!attrs)
                attrs = cJSON_AddObjectToObject(o, "attrs");
            cJSON_AddStringToObject(attrs, m->target + 5, v);
        } else if (strcmp(m->target, "uid") == 0) {
            /* Ids from files are scoped by source, as vendor ids are. */
            char *uid = voc_asprintf("%s:%s", source, v);
            cJSON_AddStringToObject(o, "uid", uid);
            free(uid);
        } else {
            cJSON_AddStringToObject(o, m->target, v);
        }
    }
    char *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char origin[512];
    snprintf(origin, sizeof origin, "%s:row %zu", c->name, c->rowno);
    (*c->records)++;
    c->rc = s_emit_record(c->cfg, json, strlen(json), origin, c->emit, c->user, c->err);
    free(json);
}

static void s_on_row(int term, void *user)
{
    (void)term;
    s_csv *c = user;
    if (c->rc)
        goto out;
    if (!c->header) {
        if (c->nrow && strncmp(c->row[0], "\xEF\xBB\xBF", 3) == 0)
            memmove(c->row[0], c->row[0] + 3, strlen(c->row[0] + 3) + 1);
        c->header = voc_calloc(c->nrow + 1, sizeof *c->header);
        for (size_t i = 0; i < c->nrow; i++)
            c->header[i] = voc_strdup(s_trim(c->row[i]));
        c->nheader = c->nrow;
        c->rc = s_resolve_header(c);
        goto out;
    }
    bool blank = true;
    for (size_t i = 0; i < c->nrow && blank; i++)
        blank = c->row[i][0] == '\0';
    if (!blank)
        s_emit_row(c);
out:
    s_free_row(c);
}

static int s_import_csv(FILE *fp, const char *name, const voc_import_config *cfg,
                        voc_import_emit_fn emit, void *user, size_t *records, voc_err *err)
{
    struct csv_parser p;
    s_csv c = {.cfg = cfg, .name = name, .emit = emit, .user = user, .records = records,
               .err = err};
    int rc = s_parse_maps(&c, err);
    if (rc)
        goto out;
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        rc = voc_err_set(err, VOC_EINVAL, "csv_init failed");
        goto out;
    }
    char buf[65536];
    size_t n;
    /* Count physical lines so each record can name the row it started on. */
    size_t line = 1;
    c.rowno = 1;
    while (c.rc == 0 && (n = fread(buf, 1, sizeof buf, fp)) > 0) {
        /* Feed line by line so rowno is right when a record completes. */
        size_t start = 0;
        for (size_t i = 0; i < n && c.rc == 0; i++) {
            if (buf[i] != '\n')
                continue;
            if (csv_parse(&p, buf + start, i + 1 - start, s_on_field, s_on_row, &c) !=
                i + 1 - start) {
                rc = voc_err_set(err, VOC_EPARSE, "%s:%zu: %s", name, line,
                                 csv_strerror(csv_error(&p)));
                break;
            }
            start = i + 1;
            line++;
            if (p.pstate == 0 || p.pstate == 1)
                c.rowno = line; /* not inside a quoted field: next record starts here */
        }
        if (rc)
            break;
        if (start < n && c.rc == 0 &&
            csv_parse(&p, buf + start, n - start, s_on_field, s_on_row, &c) != n - start) {
            rc = voc_err_set(err, VOC_EPARSE, "%s:%zu: %s", name, line,
                             csv_strerror(csv_error(&p)));
            break;
        }
    }
    if (rc == 0 && c.rc == 0)
        csv_fini(&p, s_on_field, s_on_row, &c);
    csv_free(&p);
    if (rc == 0)
        rc = c.rc;
    if (rc == 0 && ferror(fp))
        rc = voc_err_set(err, VOC_EIO, "%s: read error: %s", name, strerror(errno));
    if (rc == 0 && !c.header)
        rc = voc_err_set(err, VOC_EPARSE, "%s: empty file: a CSV needs a header row", name);
out:
    s_free_row(&c);
    free(c.row);
    for (size_t i = 0; i < c.nmaps; i++) {
        free(c.maps[i].target);
        free(c.maps[i].column);
    }
    free(c.maps);
    for (size_t i = 0; i < c.nheader; i++)
        free(c.header[i]);
    free(c.header);
    return rc;
}

int voc_import_file(const char *path, const voc_import_config *cfg, voc_import_emit_fn emit,
                    void *user, size_t *records, voc_err *err)
{
    voc_import_format fmt = cfg->format;
    bool is_stdin = strcmp(path, "-") == 0;
    if (fmt == VOC_IMPORT_AUTO) {
        size_t n = strlen(path);
        fmt = n > 4 && strcasecmp(path + n - 4, ".csv") == 0 ? VOC_IMPORT_CSV : VOC_IMPORT_JSONL;
    }
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp)
        return voc_err_set(err, VOC_EIO, "cannot open %s: %s", path, strerror(errno));
    const char *name = is_stdin ? "stdin" : s_base(path);
    int rc = fmt == VOC_IMPORT_CSV ? s_import_csv(fp, name, cfg, emit, user, records, err)
                                   : s_import_jsonl(fp, name, cfg, emit, user, records, err);
    if (!is_stdin)
        fclose(fp);
    return rc;
}
