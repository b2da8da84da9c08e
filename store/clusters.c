/* clusters.c: the cluster tables of the voc database (see clusters.h).
 *
 * A connection of its own, so the cluster tables never touch the store's
 * migrations: they are created here with CREATE TABLE IF NOT EXISTS and
 * only on a writable open. Statements are fixed strings with bound
 * parameters; optional filters bind NULL ("?3 IS NULL OR kind = ?3"). */
#include "store/clusters.h"

#include "common/alloc.h"
#include "common/vtime.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char s_schema[] = "CREATE TABLE IF NOT EXISTS cluster_runs ("
                               "  id INTEGER PRIMARY KEY,"
                               "  ran_at INTEGER NOT NULL,"
                               "  scope TEXT NOT NULL,"
                               "  since INTEGER,"
                               "  until INTEGER,"
                               "  seed INTEGER NOT NULL,"
                               "  items INTEGER NOT NULL,"
                               "  unclustered INTEGER NOT NULL);"
                               "CREATE TABLE IF NOT EXISTS clusters ("
                               "  id INTEGER PRIMARY KEY,"
                               "  scope TEXT NOT NULL,"
                               "  slug TEXT NOT NULL,"
                               "  label TEXT NOT NULL,"
                               "  first_run INTEGER NOT NULL REFERENCES cluster_runs(id),"
                               "  last_run INTEGER NOT NULL REFERENCES cluster_runs(id),"
                               "  fit REAL NOT NULL,"
                               "  centroid TEXT NOT NULL,"
                               "  rule TEXT,"
                               "  UNIQUE (scope, slug));"
                               "CREATE TABLE IF NOT EXISTS cluster_run_sizes ("
                               "  run_id INTEGER NOT NULL REFERENCES cluster_runs(id),"
                               "  cluster_id INTEGER NOT NULL REFERENCES clusters(id),"
                               "  label TEXT NOT NULL,"
                               "  items INTEGER NOT NULL,"
                               "  new_items INTEGER NOT NULL,"
                               "  PRIMARY KEY (cluster_id, run_id)) WITHOUT ROWID;"
                               "CREATE TABLE IF NOT EXISTS cluster_members ("
                               "  cluster_id INTEGER NOT NULL REFERENCES clusters(id),"
                               "  item_id INTEGER NOT NULL,"
                               "  first_run INTEGER NOT NULL REFERENCES cluster_runs(id),"
                               "  similarity REAL NOT NULL,"
                               "  PRIMARY KEY (cluster_id, item_id)) WITHOUT ROWID;";

struct voc_cluster_store {
    sqlite3 *db;
    bool writable;
    bool has_tables;
};

static int s_db_err(sqlite3 *db, int rc, voc_err *err, const char *what)
{
    int prim = rc & 0xff;
    int code = prim == SQLITE_BUSY || prim == SQLITE_LOCKED ? VOC_EBUSY : VOC_EDB;
    return voc_err_set(err, code, "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* Is there a table of that name? */
static int s_has_table(sqlite3 *db, const char *name, bool *out, voc_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return s_db_err(db, rc, err, "reading the schema");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : s_db_err(db, rc, err, "reading the schema");
}

int voc_cluster_store_open(voc_cluster_store **out, const char *path, bool writable, voc_err *err)
{
    *out = NULL;
    if (access(path, F_OK) != 0)
        return voc_err_set(err, VOC_ENOTFOUND,
                           "no database at %s (set --db or VOC_DB, or import feedback first)",
                           path);
    voc_cluster_store *cs = voc_calloc(1, sizeof *cs);
    cs->writable = writable;
    int rc = 0;
    int flags = (writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX;
    int src = sqlite3_open_v2(path, &cs->db, flags, NULL);
    if (src != SQLITE_OK) {
        rc = s_db_err(cs->db, src, err, path);
        goto out;
    }
    sqlite3_extended_result_codes(cs->db, 1);
    sqlite3_busy_timeout(cs->db, 10000);
    /* A run reads every item of its window once: map (up to 256 MiB of)
     * the file rather than read it a page per system call. Mapped pages are
     * the page cache, shared and reclaimable, but they count in the
     * process's resident size. */
    sqlite3_exec(cs->db, "PRAGMA mmap_size=268435456", NULL, NULL, NULL);
    bool items;
    if ((rc = s_has_table(cs->db, "items", &items, err))) goto out;
    if (!items) {
        rc = voc_err_set(err, VOC_ENOTFOUND, "%s is not a voc database (no items table)", path);
        goto out;
    }
    if (writable) {
        char *msg = NULL;
        src = sqlite3_exec(cs->db, s_schema, NULL, NULL, &msg);
        if (src != SQLITE_OK) {
            rc = voc_err_set(err, VOC_EDB, "creating the cluster tables in %s: %s", path,
                             msg ? msg : sqlite3_errstr(src));
            sqlite3_free(msg);
            goto out;
        }
        cs->has_tables = true;
    } else if ((rc = s_has_table(cs->db, "clusters", &cs->has_tables, err))) {
        goto out;
    }
out:
    if (rc)
        voc_cluster_store_destroy(&cs);
    else
        *out = cs;
    return rc;
}

void voc_cluster_store_destroy(voc_cluster_store **self_p)
{
    if (!self_p || !*self_p) return;
    sqlite3_close((*self_p)->db);
    free(*self_p);
    *self_p = NULL;
}

/* ---- scanning items ----------------------------------------------------------- */

static const char s_scan_sql[] =
    "SELECT id, uid, created_at, text, in_scope, themes FROM ("
    " SELECT i.id, i.uid, i.created_at, i.text,"
    "  CASE WHEN ?5 THEN NOT EXISTS (SELECT 1 FROM item_themes t WHERE t.item_id = i.id)"
    "       WHEN ?6 IS NOT NULL THEN EXISTS (SELECT 1 FROM item_themes t"
    "         WHERE t.item_id = i.id AND (t.theme = ?6"
    "           OR substr(t.theme, 1, length(?6) + 1) = ?6 || '.'))"
    "       ELSE 1 END AS in_scope,"
    "  CASE WHEN ?8 THEN coalesce((SELECT group_concat(theme, ' ') FROM item_themes t"
    "         WHERE t.item_id = i.id), '') END AS themes"
    " FROM items i"
    " WHERE i.created_at >= ?1 AND i.created_at < ?2"
    "   AND (?3 IS NULL OR i.kind = ?3) AND (?4 IS NULL OR i.source = ?4)"
    " ORDER BY i.created_at, i.id)"
    " WHERE NOT ?7 OR in_scope";

int voc_cluster_store_scan(voc_cluster_store *cs, const voc_cluster_scan *scan,
                           int (*fn)(void *user, const voc_cluster_item *it), void *user,
                           voc_err *err)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(cs->db, s_scan_sql, -1, &st, NULL);
    if (src != SQLITE_OK) return s_db_err(cs->db, src, err, "prepare scan");
    const voc_filter *f = scan->filter;
    sqlite3_bind_int64(st, 1, f->since);
    sqlite3_bind_int64(st, 2, f->until);
    if (f->kind) sqlite3_bind_text(st, 3, f->kind, -1, SQLITE_STATIC);
    if (f->source) sqlite3_bind_text(st, 4, f->source, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, scan->untagged);
    if (f->theme) sqlite3_bind_text(st, 6, f->theme, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, scan->scope_only);
    sqlite3_bind_int(st, 8, scan->themes);
    int rc = 0;
    while (rc == 0 && (src = sqlite3_step(st)) == SQLITE_ROW) {
        voc_cluster_item it = {
            .id = sqlite3_column_int64(st, 0),
            .uid = (const char *)sqlite3_column_text(st, 1),
            .created_at = sqlite3_column_int64(st, 2),
            .text = (const char *)sqlite3_column_text(st, 3),
            .text_len = (size_t)sqlite3_column_bytes(st, 3),
            .in_scope = sqlite3_column_int(st, 4) != 0,
            .themes = (const char *)sqlite3_column_text(st, 5),
        };
        if (!it.text) it.text = "";
        if (fn(user, &it)) rc = voc_err_set(err, VOC_EIO, "scan stopped");
    }
    if (rc == 0 && src != SQLITE_DONE) rc = s_db_err(cs->db, src, err, "scan");
    sqlite3_finalize(st);
    return rc;
}

/* ---- saved clusters ------------------------------------------------------------- */

void voc_saved_clusters_free(voc_saved_cluster *c, size_t count)
{
    for (size_t i = 0; c && i < count; i++) {
        free(c[i].slug);
        free(c[i].label);
        for (size_t j = 0; j < c[i].term_count; j++)
            free(c[i].terms[j]);
        free(c[i].terms);
        free(c[i].weights);
    }
    free(c);
}

/* The centroid column: {"term": weight, ...}. */
static void s_parse_centroid(const char *json, voc_saved_cluster *c)
{
    cJSON *o = json ? cJSON_Parse(json) : NULL, *e;
    size_t n = (size_t)cJSON_GetArraySize(o), i = 0;
    c->terms = voc_calloc(n ? n : 1, sizeof *c->terms);
    c->weights = voc_calloc(n ? n : 1, sizeof *c->weights);
    cJSON_ArrayForEach(e, o)
    {
        if (!cJSON_IsNumber(e) || !e->string) continue;
        c->terms[i] = voc_strdup(e->string);
        c->weights[i++] = (float)e->valuedouble;
    }
    c->term_count = i;
    cJSON_Delete(o);
}

int voc_cluster_store_load(voc_cluster_store *cs, const char *scope, voc_saved_cluster **out,
                           size_t *count, voc_err *err)
{
    *out = NULL;
    *count = 0;
    if (!cs->has_tables) return 0;
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(cs->db,
                                 "SELECT id, slug, label, fit, centroid FROM clusters"
                                 " WHERE scope = ?1 ORDER BY id",
                                 -1, &st, NULL);
    if (src != SQLITE_OK) return s_db_err(cs->db, src, err, "prepare load clusters");
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
    size_t cap = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        voc_grow((void **)out, &cap, *count + 1, sizeof **out);
        voc_saved_cluster *c = &(*out)[(*count)++];
        memset(c, 0, sizeof *c);
        c->id = sqlite3_column_int64(st, 0);
        c->slug = voc_strdup((const char *)sqlite3_column_text(st, 1));
        c->label = voc_strdup((const char *)sqlite3_column_text(st, 2));
        c->fit = (float)sqlite3_column_double(st, 3);
        s_parse_centroid((const char *)sqlite3_column_text(st, 4), c);
    }
    int rc = src == SQLITE_DONE ? 0 : s_db_err(cs->db, src, err, "load clusters");
    sqlite3_finalize(st);
    if (rc) {
        voc_saved_clusters_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return rc;
}

typedef struct s_member {
    int64_t item;
    int64_t cluster;
    int64_t run;
} s_member;

static int s_cmp_member(const void *a, const void *b)
{
    const s_member *x = a, *y = b;
    if (x->item != y->item) return x->item < y->item ? -1 : 1;
    if (x->run != y->run) return x->run > y->run ? -1 : 1;
    return x->cluster < y->cluster ? -1 : x->cluster > y->cluster;
}

int voc_cluster_store_members(voc_cluster_store *cs, const char *scope, int64_t **item_ids,
                              int64_t **cluster_ids, size_t *count, voc_err *err)
{
    *item_ids = *cluster_ids = NULL;
    *count = 0;
    if (!cs->has_tables) return 0;
    sqlite3_stmt *st = NULL;
    int src =
        sqlite3_prepare_v2(cs->db,
                           "SELECT m.item_id, m.cluster_id, m.first_run FROM cluster_members m"
                           " JOIN clusters c ON c.id = m.cluster_id WHERE c.scope = ?1",
                           -1, &st, NULL);
    if (src != SQLITE_OK) return s_db_err(cs->db, src, err, "prepare members");
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
    s_member *m = NULL;
    size_t n = 0, cap = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        voc_grow((void **)&m, &cap, n + 1, sizeof *m);
        m[n++] = (s_member){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                            sqlite3_column_int64(st, 2)};
    }
    int rc = src == SQLITE_DONE ? 0 : s_db_err(cs->db, src, err, "members");
    sqlite3_finalize(st);
    if (rc) {
        free(m);
        return rc;
    }
    /* Sorting here is cheaper than an index the writes would keep up. */
    if (n > 1) qsort(m, n, sizeof *m, s_cmp_member);
    *item_ids = voc_malloc((n ? n : 1) * sizeof **item_ids);
    *cluster_ids = voc_malloc((n ? n : 1) * sizeof **cluster_ids);
    for (size_t i = 0; i < n; i++) {
        if (i && m[i].item == m[i - 1].item) continue;
        (*item_ids)[*count] = m[i].item;
        (*cluster_ids)[(*count)++] = m[i].cluster;
    }
    free(m);
    return 0;
}

static char *s_centroid_json(const voc_cluster_save *c)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < c->term_count; i++)
        cJSON_AddNumberToObject(o, c->terms[i], (double)c->weights[i]);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

enum { S_RUN, S_NEW, S_UPDATE, S_SIZE, S_MEMBER, S_NSTMT };

static const char *const s_save_sql[S_NSTMT] = {
    [S_RUN] = "INSERT INTO cluster_runs (ran_at, scope, since, until, seed, items, unclustered)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_NEW] = "INSERT INTO clusters (scope, slug, label, first_run, last_run, fit, centroid, rule)"
              " VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7)",
    [S_UPDATE] = "UPDATE clusters SET label = ?2, last_run = ?3, fit = ?4, centroid = ?5,"
                 " rule = ?6 WHERE id = ?1",
    [S_SIZE] = "INSERT INTO cluster_run_sizes (run_id, cluster_id, label, items, new_items)"
               " VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_MEMBER] = "INSERT OR IGNORE INTO cluster_members (cluster_id, item_id, first_run,"
                 " similarity) VALUES (?1, ?2, ?3, ?4)",
};

/* Step a write statement to completion and reset it. */
static int s_step(sqlite3 *db, sqlite3_stmt *st, voc_err *err, const char *what)
{
    int src = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return src == SQLITE_DONE ? 0 : s_db_err(db, src, err, what);
}

int voc_cluster_store_save(voc_cluster_store *cs, const voc_cluster_run_info *run,
                           voc_cluster_save *clusters, size_t count, int64_t *run_id, voc_err *err)
{
    if (!cs->writable) return voc_err_set(err, VOC_ESTATE, "cluster store opened read-only");
    sqlite3_stmt *st[S_NSTMT] = {0};
    char *centroid = NULL;
    int rc = 0, src;
    bool began = false;
    for (int i = 0; i < S_NSTMT; i++)
        if ((src = sqlite3_prepare_v2(cs->db, s_save_sql[i], -1, &st[i], NULL)) != SQLITE_OK) {
            rc = s_db_err(cs->db, src, err, "prepare save");
            goto out;
        }
    if ((src = sqlite3_exec(cs->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK) {
        rc = s_db_err(cs->db, src, err, "begin");
        goto out;
    }
    began = true;
    sqlite3_stmt *q = st[S_RUN];
    sqlite3_bind_int64(q, 1, voc_time_now());
    sqlite3_bind_text(q, 2, run->scope, -1, SQLITE_STATIC);
    if (run->since != INT64_MIN) sqlite3_bind_int64(q, 3, run->since);
    if (run->until != INT64_MAX) sqlite3_bind_int64(q, 4, run->until);
    sqlite3_bind_int64(q, 5, (int64_t)run->seed);
    sqlite3_bind_int64(q, 6, run->items);
    sqlite3_bind_int64(q, 7, run->unclustered);
    if ((rc = s_step(cs->db, q, err, "save run"))) goto out;
    *run_id = sqlite3_last_insert_rowid(cs->db);
    for (size_t i = 0; i < count; i++) {
        voc_cluster_save *c = &clusters[i];
        free(centroid);
        centroid = s_centroid_json(c);
        if (c->id) {
            q = st[S_UPDATE];
            sqlite3_bind_int64(q, 1, c->id);
            sqlite3_bind_text(q, 2, c->label, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 3, *run_id);
            sqlite3_bind_double(q, 4, c->fit);
            sqlite3_bind_text(q, 5, centroid, -1, SQLITE_STATIC);
            if (c->rule_json) sqlite3_bind_text(q, 6, c->rule_json, -1, SQLITE_STATIC);
            if ((rc = s_step(cs->db, q, err, "update cluster"))) goto out;
        } else {
            q = st[S_NEW];
            sqlite3_bind_text(q, 1, run->scope, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, c->slug, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 3, c->label, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 4, *run_id);
            sqlite3_bind_double(q, 5, c->fit);
            sqlite3_bind_text(q, 6, centroid, -1, SQLITE_STATIC);
            if (c->rule_json) sqlite3_bind_text(q, 7, c->rule_json, -1, SQLITE_STATIC);
            if ((rc = s_step(cs->db, q, err, "new cluster"))) goto out;
            c->id = sqlite3_last_insert_rowid(cs->db);
        }
        c->new_items = 0;
        q = st[S_MEMBER];
        for (size_t m = 0; m < c->item_count; m++) {
            sqlite3_bind_int64(q, 1, c->id);
            sqlite3_bind_int64(q, 2, c->item_ids[m]);
            sqlite3_bind_int64(q, 3, *run_id);
            sqlite3_bind_double(q, 4, c->sims ? c->sims[m] : 0);
            if ((rc = s_step(cs->db, q, err, "cluster member"))) goto out;
            c->new_items += sqlite3_changes(cs->db);
        }
        q = st[S_SIZE];
        sqlite3_bind_int64(q, 1, *run_id);
        sqlite3_bind_int64(q, 2, c->id);
        sqlite3_bind_text(q, 3, c->label, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 4, (int64_t)c->item_count);
        sqlite3_bind_int64(q, 5, c->new_items);
        if ((rc = s_step(cs->db, q, err, "cluster size"))) goto out;
    }
    if ((src = sqlite3_exec(cs->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
        rc = s_db_err(cs->db, src, err, "commit");
        goto out;
    }
    began = false;
out:
    if (began) sqlite3_exec(cs->db, "ROLLBACK", NULL, NULL, NULL);
    for (int i = 0; i < S_NSTMT; i++)
        sqlite3_finalize(st[i]);
    free(centroid);
    return rc;
}

/* ---- history ----------------------------------------------------------------------- */

void voc_cluster_history_free(voc_cluster_history_row *rows, size_t count)
{
    for (size_t i = 0; rows && i < count; i++) {
        free(rows[i].slug);
        free(rows[i].label);
    }
    free(rows);
}

int voc_cluster_store_history(voc_cluster_store *cs, const char *scope,
                              voc_cluster_history_row **rows, size_t *count, voc_err *err)
{
    *rows = NULL;
    *count = 0;
    if (!cs->has_tables) return 0;
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(
        cs->db,
        "SELECT c.id, c.slug, s.label, r.id, r.ran_at, s.items, s.new_items"
        " FROM clusters c JOIN cluster_run_sizes s ON s.cluster_id = c.id"
        " JOIN cluster_runs r ON r.id = s.run_id WHERE c.scope = ?1 ORDER BY c.id, r.id",
        -1, &st, NULL);
    if (src != SQLITE_OK) return s_db_err(cs->db, src, err, "prepare history");
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
    size_t cap = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        voc_grow((void **)rows, &cap, *count + 1, sizeof **rows);
        voc_cluster_history_row *r = &(*rows)[(*count)++];
        r->cluster_id = sqlite3_column_int64(st, 0);
        r->slug = voc_strdup((const char *)sqlite3_column_text(st, 1));
        r->label = voc_strdup((const char *)sqlite3_column_text(st, 2));
        r->run_id = sqlite3_column_int64(st, 3);
        r->ran_at = sqlite3_column_int64(st, 4);
        r->items = sqlite3_column_int64(st, 5);
        r->new_items = sqlite3_column_int64(st, 6);
    }
    int rc = src == SQLITE_DONE ? 0 : s_db_err(cs->db, src, err, "history");
    sqlite3_finalize(st);
    if (rc) {
        voc_cluster_history_free(*rows, *count);
        *rows = NULL;
        *count = 0;
    }
    return rc;
}
