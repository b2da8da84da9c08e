/* store.c: SQLite implementation of libvoc_store (see store.h).
 *
 * Every statement is prepared once at open and bound per call; nothing is
 * built with printf. Migrations are an ordered list of SQL scripts; the
 * database's PRAGMA user_version says how many have run. */
#include "store/store.h"

#include "store/rollup.h"

#include "common/alloc.h"
#include "common/log.h"
#include "common/vtime.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Each entry moves the schema from version i to i + 1. Never edit a shipped
 * entry: append a new one. */
static const char *const s_migrations[] = {
    /* 1: initial schema */
    "CREATE TABLE rule_sets ("
    "  id INTEGER PRIMARY KEY,"
    "  hash TEXT NOT NULL UNIQUE,"
    "  name TEXT,"
    "  loaded_at INTEGER NOT NULL,"
    "  body TEXT);"
    "CREATE TABLE items ("
    "  id INTEGER PRIMARY KEY,"
    "  uid TEXT NOT NULL UNIQUE,"
    "  source TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  received_at INTEGER NOT NULL,"
    "  stored_at INTEGER NOT NULL,"
    "  customer_id TEXT,"
    "  account TEXT,"
    "  score INTEGER,"
    "  scale TEXT,"
    "  subject TEXT,"
    "  text TEXT NOT NULL,"
    "  sentiment REAL,"
    "  attrs TEXT NOT NULL DEFAULT '{}',"
    "  content_hash TEXT NOT NULL,"
    "  rule_set_id INTEGER REFERENCES rule_sets(id));"
    "CREATE INDEX items_created_at ON items(created_at);"
    "CREATE TABLE item_themes ("
    "  item_id INTEGER NOT NULL REFERENCES items(id),"
    "  theme TEXT NOT NULL,"
    "  score REAL NOT NULL,"
    "  evidence TEXT NOT NULL DEFAULT '[]',"
    "  rule_set_id INTEGER REFERENCES rule_sets(id),"
    "  created_at INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  PRIMARY KEY (item_id, theme)) WITHOUT ROWID;"
    "CREATE INDEX item_themes_window ON item_themes(created_at, theme, kind, source);"
    "CREATE INDEX item_themes_theme ON item_themes(theme, created_at);"
    "CREATE TABLE dead_letters ("
    "  id INTEGER PRIMARY KEY,"
    "  received_at INTEGER NOT NULL,"
    "  source TEXT,"
    "  uid TEXT,"
    "  reason TEXT NOT NULL,"
    "  payload BLOB NOT NULL,"
    "  payload_hash TEXT NOT NULL UNIQUE);"
    "CREATE INDEX dead_letters_received_at ON dead_letters(received_at);",
    /* 2: per-tag sentiment (the clauses holding the theme's evidence) */
    "ALTER TABLE item_themes ADD COLUMN sentiment REAL;",
    /* 3: daily rollups kept by triggers, so window counts over millions of
     * items read a few thousand rows. day = floor(created_at / 86400). */
    "CREATE TABLE item_day ("
    "  day INTEGER NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL,"
    "  items INTEGER NOT NULL DEFAULT 0, tagged INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (day, kind, source)) WITHOUT ROWID;"
    "CREATE TABLE theme_day ("
    "  day INTEGER NOT NULL, theme TEXT NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL,"
    "  items INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (day, theme, kind, source)) WITHOUT ROWID;"
    "CREATE TRIGGER items_day_ins AFTER INSERT ON items BEGIN"
    "  INSERT INTO item_day (day, kind, source, items) VALUES"
    "   (NEW.created_at / 86400 - (NEW.created_at % 86400 < 0), NEW.kind, NEW.source, 1)"
    "   ON CONFLICT DO UPDATE SET items = items + 1; END;"
    "CREATE TRIGGER items_day_del AFTER DELETE ON items BEGIN"
    "  UPDATE item_day SET items = items - 1"
    "   WHERE day = OLD.created_at / 86400 - (OLD.created_at % 86400 < 0)"
    "   AND kind = OLD.kind AND source = OLD.source; END;"
    "CREATE TRIGGER items_day_upd AFTER UPDATE OF created_at, kind, source ON items"
    "  WHEN OLD.created_at != NEW.created_at OR OLD.kind != NEW.kind OR OLD.source != NEW.source"
    "  BEGIN"
    "  UPDATE item_day SET items = items - 1"
    "   WHERE day = OLD.created_at / 86400 - (OLD.created_at % 86400 < 0)"
    "   AND kind = OLD.kind AND source = OLD.source;"
    "  INSERT INTO item_day (day, kind, source, items) VALUES"
    "   (NEW.created_at / 86400 - (NEW.created_at % 86400 < 0), NEW.kind, NEW.source, 1)"
    "   ON CONFLICT DO UPDATE SET items = items + 1; END;"
    /* tagged counts an item once: on its first theme row and after its last
     * one goes, keyed by the theme rows' own copy of time, kind, source. */
    "CREATE TRIGGER themes_day_ins AFTER INSERT ON item_themes BEGIN"
    "  INSERT INTO theme_day (day, theme, kind, source, items) VALUES"
    "   (NEW.created_at / 86400 - (NEW.created_at % 86400 < 0), NEW.theme, NEW.kind,"
    "    NEW.source, 1) ON CONFLICT DO UPDATE SET items = items + 1;"
    "  INSERT INTO item_day (day, kind, source, tagged)"
    "   SELECT NEW.created_at / 86400 - (NEW.created_at % 86400 < 0), NEW.kind, NEW.source, 1"
    "   WHERE (SELECT count(*) FROM item_themes WHERE item_id = NEW.item_id) = 1"
    "   ON CONFLICT DO UPDATE SET tagged = tagged + 1; END;"
    "CREATE TRIGGER themes_day_del AFTER DELETE ON item_themes BEGIN"
    "  UPDATE theme_day SET items = items - 1"
    "   WHERE day = OLD.created_at / 86400 - (OLD.created_at % 86400 < 0)"
    "   AND theme = OLD.theme AND kind = OLD.kind AND source = OLD.source;"
    "  UPDATE item_day SET tagged = tagged - 1"
    "   WHERE day = OLD.created_at / 86400 - (OLD.created_at % 86400 < 0)"
    "   AND kind = OLD.kind AND source = OLD.source"
    "   AND NOT EXISTS (SELECT 1 FROM item_themes WHERE item_id = OLD.item_id); END;"
    "INSERT INTO item_day (day, kind, source, items)"
    "  SELECT created_at / 86400 - (created_at % 86400 < 0) AS d, kind, source, count(*)"
    "  FROM items GROUP BY d, kind, source;"
    "INSERT INTO item_day (day, kind, source, tagged)"
    "  SELECT d, kind, source, count(*) FROM (SELECT DISTINCT item_id,"
    "   created_at / 86400 - (created_at % 86400 < 0) AS d, kind, source FROM item_themes)"
    "  WHERE true GROUP BY d, kind, source ON CONFLICT DO UPDATE SET tagged = excluded.tagged;"
    "INSERT INTO theme_day (day, theme, kind, source, items)"
    "  SELECT created_at / 86400 - (created_at % 86400 < 0) AS d, theme, kind, source, count(*)"
    "  FROM item_themes GROUP BY d, theme, kind, source;",
    /* 4: NPS and sentiment in the rollups, so voc top answers "how do the
     * customers who raise this feel" from them too. item_themes keeps a copy
     * of its item's NPS score, so the triggers subtract exactly what they
     * once added even after the item's score changed. */
    "ALTER TABLE item_themes ADD COLUMN nps_score INTEGER;"
    "UPDATE item_themes SET nps_score ="
    "  (SELECT score FROM items WHERE items.id = item_themes.item_id AND scale = 'nps');"
    "ALTER TABLE item_day ADD COLUMN scored INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE item_day ADD COLUMN promoters INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE item_day ADD COLUMN detractors INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE item_day ADD COLUMN sentiment_sum REAL NOT NULL DEFAULT 0;"
    "ALTER TABLE item_day ADD COLUMN sentiment_n INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE theme_day ADD COLUMN scored INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE theme_day ADD COLUMN promoters INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE theme_day ADD COLUMN detractors INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE theme_day ADD COLUMN sentiment_sum REAL NOT NULL DEFAULT 0;"
    "ALTER TABLE theme_day ADD COLUMN sentiment_n INTEGER NOT NULL DEFAULT 0;"
    "DROP TRIGGER items_day_ins; DROP TRIGGER items_day_del; DROP TRIGGER items_day_upd;"
    "DROP TRIGGER themes_day_ins; DROP TRIGGER themes_day_del;"
    "CREATE TRIGGER items_day_ins AFTER INSERT ON items BEGIN"
    "  INSERT INTO item_day (day, kind, source, items, scored, promoters, detractors,"
    "   sentiment_sum, sentiment_n) VALUES (NEW.created_at / 86400 - (NEW.created_at % 86400 < 0),"
    "   NEW.kind, NEW.source, 1, NEW.scale IS 'nps', NEW.scale IS 'nps' AND NEW.score >= 9,"
    "   NEW.scale IS 'nps' AND NEW.score <= 6, coalesce(NEW.sentiment, 0), NEW.sentiment IS NOT "
    "NULL)"
    "   ON CONFLICT DO UPDATE SET items = items + 1, scored = scored + excluded.scored,"
    "   promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors,"
    "   sentiment_sum = sentiment_sum + excluded.sentiment_sum,"
    "   sentiment_n = sentiment_n + excluded.sentiment_n;"
    " END;"
    "CREATE TRIGGER items_day_del AFTER DELETE ON items BEGIN"
    "  UPDATE item_day SET items = items - 1, scored = scored - (OLD.scale IS 'nps'),"
    "   promoters = promoters - (OLD.scale IS 'nps' AND OLD.score >= 9),"
    "   detractors = detractors - (OLD.scale IS 'nps' AND OLD.score <= 6),"
    "   sentiment_sum = sentiment_sum - coalesce(OLD.sentiment, 0),"
    "   sentiment_n = sentiment_n - (OLD.sentiment IS NOT NULL)"
    "   WHERE day = OLD.created_at / 86400 - (OLD.created_at % 86400 < 0)"
    "   AND kind = OLD.kind AND source = OLD.source;"
    " END;"
    "CREATE TRIGGER items_day_upd AFTER UPDATE OF created_at, kind, source, score, scale,"
    "  sentiment ON items BEGIN"
    "  UPDATE item_day SET items = items - 1, scored = scored - (OLD.scale IS 'nps'),"
    "   promoters = promoters - (OLD.scale IS 'nps' AND OLD.score >= 9),"
    "   detractors = detractors - (OLD.scale IS 'nps' AND OLD.score <= 6),"
    "   sentiment_sum = sentiment_sum - coalesce(OLD.sentiment, 0),"
    "   sentiment_n = sentiment_n - (OLD.sentiment IS NOT NULL)"
    "   WHERE day = OLD.created_at / 86400 - (OLD.created_at % 86400 < 0)"
    "   AND kind = OLD.kind AND source = OLD.source;"
    "  INSERT INTO item_day (day, kind, source, items, scored, promoters, detractors,"
    "   sentiment_sum, sentiment_n) VALUES (NEW.created_at / 86400 - (NEW.created_at % 86400 < 0),"
    "   NEW.kind, NEW.source, 1, NEW.scale IS 'nps', NEW.scale IS 'nps' AND NEW.score >= 9,"
    "   NEW.scale IS 'nps' AND NEW.score <= 6, coalesce(NEW.sentiment, 0), NEW.sentiment IS NOT "
    "NULL)"
    "   ON CONFLICT DO UPDATE SET items = items + 1, scored = scored + excluded.scored,"
    "   promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors,"
    "   sentiment_sum = sentiment_sum + excluded.sentiment_sum,"
    "   sentiment_n = sentiment_n + excluded.sentiment_n;"
    " END;"
    "CREATE TRIGGER themes_day_ins AFTER INSERT ON item_themes BEGIN"
    "  INSERT INTO theme_day (day, theme, kind, source, items, scored, promoters, detractors,"
    "   sentiment_sum, sentiment_n) VALUES (NEW.created_at / 86400 - (NEW.created_at % 86400 < 0), "
    "NEW.theme, NEW.kind, NEW.source, 1,"
    "   NEW.nps_score IS NOT NULL, coalesce(NEW.nps_score >= 9, 0), coalesce(NEW.nps_score <= 6, "
    "0),"
    "   coalesce(NEW.sentiment, 0), NEW.sentiment IS NOT NULL)"
    "   ON CONFLICT DO UPDATE SET items = items + 1, scored = scored + excluded.scored,"
    "   promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors,"
    "   sentiment_sum = sentiment_sum + excluded.sentiment_sum,"
    "   sentiment_n = sentiment_n + excluded.sentiment_n;"
    "  INSERT INTO item_day (day, kind, source, tagged)"
    "   SELECT NEW.created_at / 86400 - (NEW.created_at % 86400 < 0), NEW.kind, NEW.source, 1"
    "   WHERE (SELECT count(*) FROM item_themes WHERE item_id = NEW.item_id) = 1"
    "   ON CONFLICT DO UPDATE SET tagged = tagged + 1; END;"
    "CREATE TRIGGER themes_day_del AFTER DELETE ON item_themes BEGIN"
    "  UPDATE theme_day SET items = items - 1, scored = scored - (OLD.nps_score IS NOT NULL),"
    "   promoters = promoters - coalesce(OLD.nps_score >= 9, 0),"
    "   detractors = detractors - coalesce(OLD.nps_score <= 6, 0),"
    "   sentiment_sum = sentiment_sum - coalesce(OLD.sentiment, 0),"
    "   sentiment_n = sentiment_n - (OLD.sentiment IS NOT NULL)"
    "   WHERE day = OLD.created_at / 86400 - (OLD.created_at % 86400 < 0) AND theme = OLD.theme "
    "AND kind = OLD.kind AND source = OLD.source;"
    "  UPDATE item_day SET tagged = tagged - 1"
    "   WHERE day = OLD.created_at / 86400 - (OLD.created_at % 86400 < 0) AND kind = OLD.kind AND "
    "source = OLD.source"
    "   AND NOT EXISTS (SELECT 1 FROM item_themes WHERE item_id = OLD.item_id); END;"
    "DELETE FROM item_day; DELETE FROM theme_day;"
    "INSERT INTO item_day (day, kind, source, items, scored, promoters, detractors,"
    "  sentiment_sum, sentiment_n)"
    "  SELECT created_at / 86400 - (created_at % 86400 < 0) AS d, kind, source, count(*),"
    "  sum(scale IS 'nps'), sum(scale IS 'nps' AND score >= 9),"
    "  sum(scale IS 'nps' AND score <= 6),"
    "  coalesce(sum(sentiment), 0), count(sentiment) FROM items GROUP BY d, kind, source;"
    "INSERT INTO item_day (day, kind, source, tagged)"
    "  SELECT d, kind, source, count(*) FROM (SELECT DISTINCT item_id,"
    "   created_at / 86400 - (created_at % 86400 < 0) AS d, kind, source FROM item_themes)"
    "  WHERE true GROUP BY d, kind, source ON CONFLICT DO UPDATE SET tagged = excluded.tagged;"
    "INSERT INTO theme_day (day, theme, kind, source, items, scored, promoters, detractors,"
    "  sentiment_sum, sentiment_n)"
    "  SELECT created_at / 86400 - (created_at % 86400 < 0) AS d, theme, kind, source, count(*),"
    "  count(nps_score), coalesce(sum(nps_score >= 9), 0), coalesce(sum(nps_score <= 6), 0),"
    "  coalesce(sum(sentiment), 0), count(sentiment)"
    "  FROM item_themes GROUP BY d, theme, kind, source;",
    /* 5: full-text search over text and subject (voc search): an external
     * content FTS5 index. New items are indexed lazily by voc search
     * (voc_store_search_catch_up), which keeps the processor's write path
     * lean; changes to rows already indexed are kept in step by triggers. */
    "CREATE VIRTUAL TABLE items_fts USING fts5(text, subject, content='items',"
    "  content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');"
    /* items with id <= upto are in the index (an external content table
     * cannot answer that itself: its rowids come from items) */
    "CREATE TABLE fts_state (upto INTEGER NOT NULL);"
    "INSERT INTO fts_state VALUES (0);"
    "CREATE TRIGGER items_fts_del AFTER DELETE ON items"
    "  WHEN OLD.id <= (SELECT upto FROM fts_state)"
    "  BEGIN INSERT INTO items_fts (items_fts, rowid, text, subject)"
    "   VALUES ('delete', OLD.id, OLD.text, OLD.subject); END;"
    "CREATE TRIGGER items_fts_upd AFTER UPDATE OF text, subject ON items"
    "  WHEN OLD.id <= (SELECT upto FROM fts_state)"
    "  BEGIN INSERT INTO items_fts (items_fts, rowid, text, subject)"
    "   VALUES ('delete', OLD.id, OLD.text, OLD.subject);"
    "  INSERT INTO items_fts (rowid, text, subject) VALUES (NEW.id, NEW.text, NEW.subject); END;",
    /* 6: the rollups are kept by the store's write path (store/rollup.c),
     * which sums a transaction's changes and upserts each touched rollup
     * row once at commit, instead of by a trigger per row. */
    "DROP TRIGGER items_day_ins; DROP TRIGGER items_day_del;"
    " DROP TRIGGER items_day_upd;"
    " DROP TRIGGER themes_day_ins; DROP TRIGGER themes_day_del;",
    /* 7: reads that stay off the big rows. theme_day_all is theme_day summed
     * over kind and source (kept by store/rollup.c like the others): a
     * window without a kind or source filter reads ~30 rows a day instead of
     * ~250. The two item_themes indexes carry every column the window
     * queries read (the edges of voc top, the quote candidates), so those
     * never visit the table rows that hold the evidence JSON. */
    "CREATE TABLE theme_day_all ("
    "  day INTEGER NOT NULL, theme TEXT NOT NULL,"
    "  items INTEGER NOT NULL DEFAULT 0, scored INTEGER NOT NULL DEFAULT 0,"
    "  promoters INTEGER NOT NULL DEFAULT 0, detractors INTEGER NOT NULL DEFAULT 0,"
    "  sentiment_sum REAL NOT NULL DEFAULT 0, sentiment_n INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (day, theme)) WITHOUT ROWID;"
    "INSERT INTO theme_day_all (day, theme, items, scored, promoters, detractors,"
    "  sentiment_sum, sentiment_n)"
    "  SELECT day, theme, sum(items), sum(scored), sum(promoters), sum(detractors),"
    "  sum(sentiment_sum), sum(sentiment_n) FROM theme_day GROUP BY day, theme;"
    "DROP INDEX item_themes_window;"
    "CREATE INDEX item_themes_window ON item_themes(created_at, theme, kind, source,"
    "  nps_score, sentiment);"
    "DROP INDEX item_themes_theme;"
    "CREATE INDEX item_themes_theme ON item_themes(theme, created_at, item_id, score,"
    "  sentiment, nps_score, kind, source);",
};

/* The secondary indexes of item_themes as the last migration defines them.
 * A retag that rewrites most tags drops them and builds them again at the
 * end (sorting once beats updating two b-trees at random places for every
 * tag); a writable open builds any that an interrupted retag left out. */
#define S_TAG_INDEXES                                                                              \
    "CREATE INDEX IF NOT EXISTS item_themes_window ON item_themes(created_at, theme, kind,"        \
    " source, nps_score, sentiment);"                                                              \
    "CREATE INDEX IF NOT EXISTS item_themes_theme ON item_themes(theme, created_at, item_id,"      \
    " score, sentiment, nps_score, kind, source);"

#define S_NMIGRATIONS (sizeof s_migrations / sizeof s_migrations[0])
_Static_assert(S_NMIGRATIONS == VOC_STORE_SCHEMA_VERSION, "one migration per schema version");

/* Page cache of a read-only connection, KiB. Readers make one pass over a
 * few hundred pages: a small cache recycles its buffers instead of faulting
 * in fresh memory for every page, which costs more than reading a page
 * again from the OS cache. The writer keeps 64 MiB. */
#define S_READ_CACHE_KIB "512"

/* Page cache while voc_store_export sorts a large window, KiB: the size of
 * the sorted runs it writes to temporary files (one merge pass for a few
 * million items), and so what the export's memory stays below. */
#define S_EXPORT_SORT_KIB "16384"

enum {
    S_FIND,
    S_INSERT,
    S_UPDATE,
    S_DEL_THEMES,
    S_INS_THEME,
    S_DEAD,
    S_RULE_INS,
    S_RULE_SEL,
    S_OLD_THEMES,
    S_RETAG_ITEM,
    S_RETAG_KEEP,
    S_RETAG_CHANGE,
    S_RETAG_DROP,
    S_NSTMT
};

static const char *const s_sql[S_NSTMT] = {
    [S_FIND] = "SELECT id, content_hash, rule_set_id, created_at, kind, source, scale, score,"
               " sentiment FROM items WHERE uid = ?1",
    [S_INSERT] = "INSERT INTO items (uid, source, kind, created_at, received_at, stored_at,"
                 " customer_id, account, score, scale, subject, text, sentiment, attrs,"
                 " content_hash, rule_set_id)"
                 " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)"
                 " ON CONFLICT (uid) DO NOTHING",
    [S_UPDATE] = "UPDATE items SET source=?2, kind=?3, created_at=?4, received_at=?5,"
                 " stored_at=?6, customer_id=?7, account=?8, score=?9, scale=?10, subject=?11,"
                 " text=?12, sentiment=?13, attrs=?14, content_hash=?15, rule_set_id=?16"
                 " WHERE uid=?1",
    [S_DEL_THEMES] = "DELETE FROM item_themes WHERE item_id = ?1",
    [S_INS_THEME] = "INSERT OR REPLACE INTO item_themes (item_id, theme, score, evidence,"
                    " rule_set_id, created_at, kind, source, sentiment, nps_score)"
                    " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
    [S_DEAD] = "INSERT OR IGNORE INTO dead_letters (received_at, source, uid, reason, payload,"
               " payload_hash) VALUES (?1,?2,?3,?4,?5,?6)",
    [S_RULE_INS] = "INSERT OR IGNORE INTO rule_sets (hash, name, loaded_at, body)"
                   " VALUES (?1,?2,?3,?4)",
    [S_RULE_SEL] = "SELECT id FROM rule_sets WHERE hash = ?1",
    [S_OLD_THEMES] = "SELECT theme, score, evidence, sentiment, nps_score, created_at, kind,"
                     " source FROM item_themes WHERE item_id = ?1 ORDER BY theme",
    [S_RETAG_ITEM] = "UPDATE items SET rule_set_id = ?2, sentiment = ?3 WHERE id = ?1",
    /* Neither column is in an index: a tag that stays touches one row. */
    [S_RETAG_KEEP] = "UPDATE item_themes SET rule_set_id = ?3, evidence = ?4"
                     " WHERE item_id = ?1 AND theme = ?2",
    [S_RETAG_CHANGE] = "UPDATE item_themes SET rule_set_id = ?3, evidence = ?4, score = ?5,"
                       " sentiment = ?6 WHERE item_id = ?1 AND theme = ?2",
    [S_RETAG_DROP] = "DELETE FROM item_themes WHERE item_id = ?1 AND theme = ?2",
};

struct voc_store {
    sqlite3 *db;
    unsigned flags;
    sqlite3_stmt *st[S_NSTMT];
    char *path;
    voc_rollup *roll;   /* rollup deltas of the open transaction */
    int64_t tag_writes; /* tag rows inserted, changed or deleted by retags */
};

static int s_db_err(voc_store *s, int rc, voc_err *err, const char *what)
{
    int code = VOC_EDB;
    int prim = rc & 0xff;
    if (prim == SQLITE_FULL)
        code = VOC_EFULL;
    else if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        code = VOC_EBUSY;
    return voc_err_set(err, code, "%s: %s", what,
                       s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

static int s_exec(voc_store *s, const char *sql, voc_err *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int code = (rc & 0xff) == SQLITE_FULL     ? VOC_EFULL
                   : ((rc & 0xff) == SQLITE_BUSY) ? VOC_EBUSY
                                                  : VOC_EDB;
        voc_err_set(err, code, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return code;
    }
    return 0;
}

static int s_user_version(voc_store *s, int *out, voc_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return 0;
    }
    sqlite3_finalize(st);
    return s_db_err(s, rc, err, "reading schema version");
}

/* Bring the schema up to date (writable stores); *out receives the version
 * found before, which a read-only store checks itself. */
static int s_migrate(voc_store *s, int *out, voc_err *err)
{
    int version, rc;
    if ((rc = s_user_version(s, &version, err))) return rc;
    *out = version;
    if (version > (int)S_NMIGRATIONS)
        return voc_err_set(err, VOC_ESTATE,
                           "%s has schema version %d; this voc knows up to %zu (upgrade voc)",
                           s->path, version, S_NMIGRATIONS);
    if (version == (int)S_NMIGRATIONS || (s->flags & VOC_STORE_READONLY)) return 0;
    if ((rc = s_exec(s, "BEGIN IMMEDIATE", err))) return rc;
    /* Re-read under the write lock: another process may have migrated. */
    if ((rc = s_user_version(s, &version, err))) goto fail;
    for (size_t v = (size_t)version; v < S_NMIGRATIONS; v++) {
        if ((rc = s_exec(s, s_migrations[v], err))) {
            voc_err_prefix(err, "migration %zu", v + 1);
            goto fail;
        }
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %zu", S_NMIGRATIONS);
    if ((rc = s_exec(s, sql, err)) || (rc = s_exec(s, "COMMIT", err))) goto fail;
    return 0;
fail:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Build the tag indexes an interrupted bulk retag left out. */
static int s_ensure_tag_indexes(voc_store *s, voc_err *err)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db,
                                 "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name"
                                 " IN ('item_themes_window', 'item_themes_theme')",
                                 -1, &st, NULL);
    if (src != SQLITE_OK) return s_db_err(s, src, err, "checking indexes");
    int have = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 2;
    sqlite3_finalize(st);
    if (have == 2) return 0;
    VOC_LOG_WARN("store", "building the tag indexes an interrupted retag left out");
    return s_exec(s, S_TAG_INDEXES, err);
}

int voc_store_open(voc_store **out, const char *path, unsigned flags, voc_err *err)
{
    int rc = 0;
    voc_store *s = voc_calloc(1, sizeof *s);
    s->flags = flags;
    s->path = voc_strdup(path);
    s->roll = voc_rollup_new();
    *out = NULL;

    if (flags & VOC_STORE_READONLY) {
        if (access(path, F_OK) != 0) {
            rc = voc_err_set(err, VOC_ENOTFOUND,
                             "no database at %s (set --db or VOC_DB, or import feedback first)",
                             path);
            goto out;
        }
    } else {
        /* Create the file ourselves so it is private from the start. */
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            rc = voc_err_set(err, VOC_EIO, "cannot open database %s: %s", path, strerror(errno));
            goto out;
        }
        close(fd);
    }
    int oflags = (flags & VOC_STORE_READONLY) ? SQLITE_OPEN_READONLY
                                              : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int src = sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        rc = s_db_err(s, src, err, path);
        goto out;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 10000);
    if (!(flags & VOC_STORE_READONLY)) {
        if ((rc = s_exec(s, "PRAGMA journal_mode=WAL", err)) ||
            (rc = s_exec(s, "PRAGMA synchronous=FULL", err)) ||
            (rc = s_exec(s, "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536", err)))
            goto out;
    } else if ((rc = s_exec(s, "PRAGMA cache_size=-" S_READ_CACHE_KIB, err))) {
        goto out;
    }
    int version;
    if ((rc = s_migrate(s, &version, err))) {
        voc_err_prefix(err, "%s", path);
        goto out;
    }
    if ((flags & VOC_STORE_READONLY) && version != (int)S_NMIGRATIONS) {
        rc = voc_err_set(err, VOC_ESTATE,
                         "%s has schema version %d, expected %zu: open it once "
                         "with voc-processor to migrate",
                         path, version, S_NMIGRATIONS);
        goto out;
    }
    if (!(flags & VOC_STORE_READONLY) && (rc = s_ensure_tag_indexes(s, err))) goto out;
    if (!(flags & VOC_STORE_READONLY)) {
        for (int i = 0; i < S_NSTMT; i++) {
            src =
                sqlite3_prepare_v3(s->db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
            if (src != SQLITE_OK) {
                rc = s_db_err(s, src, err, "prepare");
                goto out;
            }
        }
    }
out:
    if (rc) voc_store_destroy(&s);
    *out = s;
    return rc;
}

void voc_store_destroy(voc_store **self_p)
{
    if (!self_p || !*self_p) return;
    voc_store *s = *self_p;
    for (int i = 0; i < S_NSTMT; i++)
        sqlite3_finalize(s->st[i]);
    voc_rollup_free(s->roll); /* its statements, before the connection */
    sqlite3_close(s->db);
    free(s->path);
    free(s);
    *self_p = NULL;
}

int voc_store_bulk_mode(voc_store *s, int cache_mib, voc_err *err)
{
    /* synchronous=NORMAL in WAL mode: a power cut may lose the last
     * commits but never corrupts, and a rewrite that is resumable loses
     * nothing by it. */
    char sql[160];
    snprintf(sql, sizeof sql,
             "PRAGMA cache_size=-%lld; PRAGMA synchronous=NORMAL; PRAGMA threads=4",
             (long long)cache_mib * 1024);
    return s_exec(s, sql, err);
}

int voc_store_tag_indexes(voc_store *s, bool present, voc_err *err)
{
    return s_exec(s,
                  present ? S_TAG_INDEXES
                          : "BEGIN IMMEDIATE; DROP INDEX IF EXISTS item_themes_window;"
                            " DROP INDEX IF EXISTS item_themes_theme; COMMIT",
                  err);
}

int voc_store_tag_total(voc_store *s, int64_t *out, voc_err *err)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db, "SELECT coalesce(sum(items), 0) FROM theme_day_all", -1,
                                 &st, NULL);
    if (src != SQLITE_OK) return s_db_err(s, src, err, "prepare tag total");
    int rc = 0;
    if ((src = sqlite3_step(st)) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = s_db_err(s, src, err, "tag total");
    sqlite3_finalize(st);
    return rc;
}

int64_t voc_store_tag_writes(const voc_store *s)
{
    return s->tag_writes;
}

void voc_store_set_busy_timeout(voc_store *s, int ms)
{
    sqlite3_busy_timeout(s->db, ms);
}

int voc_store_begin(voc_store *s, voc_err *err)
{
    return s_exec(s, "BEGIN IMMEDIATE", err);
}

int voc_store_commit(voc_store *s, voc_err *err)
{
    int rc = voc_rollup_flush(s->roll, s->db, err);
    if (rc == 0) rc = s_exec(s, "COMMIT", err);
    if (rc) voc_store_rollback(s);
    return rc;
}

void voc_store_rollback(voc_store *s)
{
    voc_rollup_reset(s->roll);
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Writes outside a transaction of the caller's get one of their own, so
 * their rollup deltas are applied with them. */
static int s_auto_begin(voc_store *s, bool *own, voc_err *err)
{
    *own = sqlite3_get_autocommit(s->db) != 0;
    return *own ? voc_store_begin(s, err) : 0;
}

static int s_auto_end(voc_store *s, bool own, int rc, voc_err *err)
{
    if (!own) return rc;
    if (rc) {
        voc_store_rollback(s);
        return rc;
    }
    return voc_store_commit(s, err);
}

static void s_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Run a statement that returns no rows; resets it either way. */
static int s_step_done(voc_store *s, sqlite3_stmt *st, voc_err *err, const char *what)
{
    int rc = sqlite3_step(st);
    int out = rc == SQLITE_DONE ? 0 : s_db_err(s, rc, err, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return out;
}

/* The reads of one answer run in one read transaction (when the caller has
 * none open): one snapshot, so its counts, totals and quotes agree even
 * while the processor commits, and one round of WAL locks instead of one
 * per statement. */
static bool s_read_begin(voc_store *s)
{
    return sqlite3_get_autocommit(s->db) &&
           sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
}

static void s_read_end(voc_store *s, bool began)
{
    if (began && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static void s_sha256_hex(const void *data, size_t len, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
}

int voc_store_rule_set(voc_store *s, const char *hash, const char *name, const char *body,
                       int64_t *id, voc_err *err)
{
    sqlite3_stmt *st = s->st[S_RULE_INS];
    s_bind_text(st, 1, hash);
    s_bind_text(st, 2, name);
    sqlite3_bind_int64(st, 3, voc_time_now());
    s_bind_text(st, 4, body);
    int rc = s_step_done(s, st, err, "recording rule set");
    if (rc) return rc;
    st = s->st[S_RULE_SEL];
    s_bind_text(st, 1, hash);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        rc = 0;
    } else {
        rc = s_db_err(s, src, err, "reading rule set id");
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static char *s_attrs_json(const voc_item *it)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < it->attr_count; i++)
        cJSON_AddItemToObject(o, it->attrs[i].key, cJSON_CreateString(it->attrs[i].value));
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s) abort();
    return s;
}

/* A JSON string literal of s (RFC 8259 escapes; s is valid UTF-8). */
static void s_json_str(voc_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    voc_buf_putc(b, '"');
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        voc_buf_append(b, run, (size_t)(s - run));
        run = s + 1;
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        voc_buf_append(b, esc, n);
    }
    voc_buf_append(b, run, (size_t)(s - run));
    voc_buf_putc(b, '"');
}

/* The evidence column of a tag, into b (reset first; NUL-terminated). */
static void s_evidence_into(voc_buf *b, const voc_item_theme *t)
{
    voc_buf_reset(b);
    voc_buf_putc(b, '[');
    for (size_t k = 0; k < t->evidence_count; k++) {
        voc_buf_puts(b, k ? ",{\"rule\":" : "{\"rule\":");
        s_json_str(b, t->evidence[k].rule ? t->evidence[k].rule : "");
        voc_buf_printf(b, ",\"start\":%u,\"end\":%u}", t->evidence[k].start, t->evidence[k].end);
    }
    voc_buf_putc(b, ']');
    voc_buf_putc(b, '\0');
    b->len--;
}

/* Write one tag of the item (already known not to be stored). */
static int s_put_theme(voc_store *s, int64_t item_id, const voc_item *it, const voc_item_theme *t,
                       const char *ev, int64_t rule_set_id, voc_err *err)
{
    sqlite3_stmt *st = s->st[S_INS_THEME];
    sqlite3_bind_int64(st, 1, item_id);
    s_bind_text(st, 2, t->id);
    sqlite3_bind_double(st, 3, t->score);
    sqlite3_bind_text(st, 4, ev, -1, SQLITE_STATIC);
    if (rule_set_id) sqlite3_bind_int64(st, 5, rule_set_id);
    sqlite3_bind_int64(st, 6, it->created_at);
    s_bind_text(st, 7, voc_kind_name(it->kind));
    s_bind_text(st, 8, it->source);
    if (t->has_sentiment) sqlite3_bind_double(st, 9, t->sentiment);
    if (it->scale == VOC_SCALE_NPS) sqlite3_bind_int(st, 10, it->score);
    int rc = s_step_done(s, st, err, "inserting theme");
    if (rc == 0)
        voc_rollup_theme(s->roll, it->created_at, t->id, voc_kind_name(it->kind), it->source, +1,
                         it->scale == VOC_SCALE_NPS ? it->score : -1, t->has_sentiment,
                         t->sentiment);
    return rc;
}

/* Insert the item's theme rows (its old rows already deleted). */
static int s_put_themes(voc_store *s, int64_t item_id, const voc_item *it, int64_t rule_set_id,
                        voc_err *err)
{
    voc_buf ev = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < it->theme_count; i++) {
        s_evidence_into(&ev, &it->themes[i]);
        rc = s_put_theme(s, item_id, it, &it->themes[i], ev.data, rule_set_id, err);
    }
    voc_buf_free(&ev);
    if (rc == 0)
        voc_rollup_tagged(s->roll, it->created_at, voc_kind_name(it->kind), it->source,
                          it->theme_count > 0);
    return rc;
}

/* Take an item's theme rows out of the rollups (before they are deleted);
 * *count receives how many there were. */
static int s_unroll_themes(voc_store *s, int64_t item_id, size_t *count, voc_err *err)
{
    sqlite3_stmt *st = s->st[S_OLD_THEMES];
    sqlite3_bind_int64(st, 1, item_id);
    int src;
    *count = 0;
    int64_t created_at = 0;
    char kind[32] = "", source[256] = "";
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        created_at = sqlite3_column_int64(st, 5);
        snprintf(kind, sizeof kind, "%s", (const char *)sqlite3_column_text(st, 6));
        snprintf(source, sizeof source, "%s", (const char *)sqlite3_column_text(st, 7));
        voc_rollup_theme(s->roll, created_at, (const char *)sqlite3_column_text(st, 0), kind,
                         source, -1,
                         sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 4),
                         sqlite3_column_type(st, 3) != SQLITE_NULL, sqlite3_column_double(st, 3));
        (*count)++;
    }
    int rc = src == SQLITE_DONE ? 0 : s_db_err(s, src, err, "reading themes");
    sqlite3_reset(st);
    if (rc == 0 && *count) voc_rollup_tagged(s->roll, created_at, kind, source, -1);
    return rc;
}

static void s_bind_item(sqlite3_stmt *st, const voc_item *it, const char *attrs, const char *hash,
                        int64_t rule_set_id)
{
    s_bind_text(st, 1, it->uid);
    s_bind_text(st, 2, it->source);
    s_bind_text(st, 3, voc_kind_name(it->kind));
    sqlite3_bind_int64(st, 4, it->created_at);
    sqlite3_bind_int64(st, 5, it->received_at);
    sqlite3_bind_int64(st, 6, voc_time_now());
    s_bind_text(st, 7, it->customer_id);
    s_bind_text(st, 8, it->account);
    if (it->scale != VOC_SCALE_NONE) {
        sqlite3_bind_int(st, 9, it->score);
        s_bind_text(st, 10, voc_scale_name(it->scale));
    }
    s_bind_text(st, 11, it->subject);
    sqlite3_bind_text(st, 12, it->text, (int)it->text_len, SQLITE_STATIC);
    if (it->has_sentiment) sqlite3_bind_double(st, 13, it->sentiment);
    s_bind_text(st, 14, attrs);
    s_bind_text(st, 15, hash);
    if (rule_set_id) sqlite3_bind_int64(st, 16, rule_set_id);
}

static int s_put_existing(voc_store *s, const voc_item *it, int64_t rule_set_id,
                          voc_put_result *result, voc_err *err);

/* A new uid is inserted at once (the common case: one b-tree probe, the
 * UNIQUE check's own); a uid already stored takes the longer path. */
int voc_store_put_item(voc_store *s, const voc_item *it, int64_t rule_set_id,
                       voc_put_result *result, voc_err *err)
{
    bool own;
    int rc = s_auto_begin(s, &own, err);
    if (rc) return rc;
    char hash[17];
    voc_item_content_hash(it, hash);
    char *attrs = s_attrs_json(it);
    sqlite3_stmt *st = s->st[S_INSERT];
    s_bind_item(st, it, attrs, hash, rule_set_id);
    rc = s_step_done(s, st, err, "inserting item");
    free(attrs);
    if (rc == 0 && sqlite3_changes(s->db) == 1) {
        voc_rollup_item(s->roll, it->created_at, voc_kind_name(it->kind), it->source, +1,
                        it->scale == VOC_SCALE_NPS ? it->score : -1, it->has_sentiment,
                        it->sentiment);
        rc = s_put_themes(s, sqlite3_last_insert_rowid(s->db), it, rule_set_id, err);
        if (rc == 0) *result = VOC_PUT_INSERTED;
    } else if (rc == 0) {
        rc = s_put_existing(s, it, rule_set_id, result, err);
    }
    return s_auto_end(s, own, rc, err);
}

static int s_put_existing(voc_store *s, const voc_item *it, int64_t rule_set_id,
                          voc_put_result *result, voc_err *err)
{
    int rc = 0;
    char hash[17];
    char *attrs = NULL;
    voc_item copy;

    sqlite3_stmt *st = s->st[S_FIND];
    s_bind_text(st, 1, it->uid);
    int src = sqlite3_step(st);
    int64_t item_id = 0;
    bool exists = false, same = false;
    if (src == SQLITE_ROW && it->created_defaulted) {
        /* The resend names no created_at: keep the one stored first rather
         * than moving the item to the time of the resend. */
        copy = *it;
        copy.created_at = sqlite3_column_int64(st, 3);
        it = &copy;
    }
    voc_item_content_hash(it, hash);
    /* the stored row's place in the rollups, to take out if it changes */
    int64_t old_created = 0;
    char old_kind[32] = "", old_source[256] = "";
    int old_nps = -1;
    bool old_has_sent = false;
    double old_sent = 0;
    if (src == SQLITE_ROW) {
        exists = true;
        item_id = sqlite3_column_int64(st, 0);
        const char *old = (const char *)sqlite3_column_text(st, 1);
        same = old && strcmp(old, hash) == 0 && sqlite3_column_int64(st, 2) == rule_set_id;
        old_created = sqlite3_column_int64(st, 3);
        snprintf(old_kind, sizeof old_kind, "%s", (const char *)sqlite3_column_text(st, 4));
        snprintf(old_source, sizeof old_source, "%s", (const char *)sqlite3_column_text(st, 5));
        const char *scale = (const char *)sqlite3_column_text(st, 6);
        if (scale && strcmp(scale, "nps") == 0) old_nps = sqlite3_column_int(st, 7);
        old_has_sent = sqlite3_column_type(st, 8) != SQLITE_NULL;
        old_sent = sqlite3_column_double(st, 8);
    } else if (src != SQLITE_DONE) {
        rc = s_db_err(s, src, err, "looking up uid");
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc) return rc;
    if (same) {
        *result = VOC_PUT_DUPLICATE;
        return 0;
    }

    attrs = s_attrs_json(it);
    st = s->st[exists ? S_UPDATE : S_INSERT];
    s_bind_item(st, it, attrs, hash, rule_set_id);
    if ((rc = s_step_done(s, st, err, exists ? "updating item" : "inserting item"))) goto out;
    if (exists) {
        voc_rollup_item(s->roll, old_created, old_kind, old_source, -1, old_nps, old_has_sent,
                        old_sent);
        size_t old_themes;
        if ((rc = s_unroll_themes(s, item_id, &old_themes, err))) goto out;
        st = s->st[S_DEL_THEMES];
        sqlite3_bind_int64(st, 1, item_id);
        if ((rc = s_step_done(s, st, err, "replacing themes"))) goto out;
    } else {
        item_id = sqlite3_last_insert_rowid(s->db);
    }
    voc_rollup_item(s->roll, it->created_at, voc_kind_name(it->kind), it->source, +1,
                    it->scale == VOC_SCALE_NPS ? it->score : -1, it->has_sentiment, it->sentiment);
    if ((rc = s_put_themes(s, item_id, it, rule_set_id, err))) goto out;
    *result = exists ? VOC_PUT_UPDATED : VOC_PUT_INSERTED;
out:
    free(attrs);
    return rc;
}

int voc_store_put_dead_letter(voc_store *s, const char *source, const char *uid, const char *reason,
                              const void *payload, size_t len, voc_err *err)
{
    char hash[65];
    s_sha256_hex(payload, len, hash);
    sqlite3_stmt *st = s->st[S_DEAD];
    sqlite3_bind_int64(st, 1, voc_time_now());
    s_bind_text(st, 2, source);
    s_bind_text(st, 3, uid);
    s_bind_text(st, 4, reason);
    sqlite3_bind_blob(st, 5, len ? payload : "", (int)len, SQLITE_STATIC);
    s_bind_text(st, 6, hash);
    return s_step_done(s, st, err, "storing dead letter");
}

/* ---- queries --------------------------------------------------------------- */

voc_filter voc_filter_all(void)
{
    return (voc_filter){.since = INT64_MIN, .until = INT64_MAX};
}

/* Bind the common filter parameters ?1..?4 of a query. */
static void s_bind_filter(sqlite3_stmt *st, const voc_filter *f)
{
    sqlite3_bind_int64(st, 1, f->since);
    sqlite3_bind_int64(st, 2, f->until);
    s_bind_text(st, 3, f->kind);
    s_bind_text(st, 4, f->source);
}

#define S_FILTER_T                                                                                 \
    " t.created_at >= ?1 AND t.created_at < ?2 AND (?3 IS NULL OR t.kind = ?3)"                    \
    " AND (?4 IS NULL OR t.source = ?4)"
#define S_FILTER_I                                                                                 \
    " i.created_at >= ?1 AND i.created_at < ?2 AND (?3 IS NULL OR i.kind = ?3)"                    \
    " AND (?4 IS NULL OR i.source = ?4)"

void voc_top_clear(voc_top *t)
{
    for (size_t i = 0; i < t->count; i++) {
        free(t->rows[i].theme);
        free(t->rows[i].quote);
        free(t->rows[i].quote_uid);
        free(t->rows[i].quote_evidence);
    }
    free(t->rows);
    memset(t, 0, sizeof *t);
}

/* A window [since, until) as whole days served by the rollups, [d0, d1),
 * plus the partial days at either edge served by the raw rows:
 * [since, lead_end) and [tail_start, until). */
typedef struct s_window {
    int64_t d0, d1, lead_end, tail_start;
} s_window;

static int64_t s_floor_day(int64_t t)
{
    return t / 86400 - (t % 86400 < 0);
}

static s_window s_split(const voc_filter *f)
{
    s_window w;
    w.d0 = f->since == INT64_MIN ? INT64_MIN / 86400 - 1
                                 : s_floor_day(f->since) + (f->since % 86400 != 0);
    w.d1 = f->until == INT64_MAX ? INT64_MAX / 86400 : s_floor_day(f->until);
    if (w.d0 >= w.d1) { /* less than a whole day: all raw */
        w.d0 = w.d1 = 0;
        w.lead_end = f->until;
        w.tail_start = f->until;
        return w;
    }
    w.lead_end = f->since == INT64_MIN ? f->since : w.d0 * 86400;
    w.tail_start = f->until == INT64_MAX ? f->until : w.d1 * 86400;
    return w;
}

/* ?1 since ?2 until ?3 kind ?4 source, ?6 d0 ?7 d1 ?8 lead_end ?9 tail_start */
static void s_bind_window(sqlite3_stmt *st, const voc_filter *f, const s_window *w)
{
    s_bind_filter(st, f);
    sqlite3_bind_int64(st, 6, w->d0);
    sqlite3_bind_int64(st, 7, w->d1);
    sqlite3_bind_int64(st, 8, w->lead_end);
    sqlite3_bind_int64(st, 9, w->tail_start);
}

#define S_KS(p) " AND (?3 IS NULL OR " p "kind = ?3) AND (?4 IS NULL OR " p "source = ?4)"

/* Does f's window hold an eighth or more of the store's items (estimated
 * from item_day)? Then a query that must read the item rows of the window
 * scans the table in row order (NOT INDEXED, CROSS JOIN to the tags by
 * their primary key) instead of visiting the rows in time order through
 * items_created_at: one random page read per item. */
static int s_large_window(voc_store *s, const voc_filter *f, bool *large, voc_err *err)
{
    sqlite3_stmt *st = NULL;
    int64_t lo = f->since == INT64_MIN ? INT64_MIN / 86400 : s_floor_day(f->since);
    int64_t hi = f->until == INT64_MAX ? INT64_MAX / 86400 : s_floor_day(f->until - 1) + 1;
    int src = sqlite3_prepare_v2(s->db,
                                 "SELECT coalesce(sum(items) FILTER (WHERE day >= ?1 AND"
                                 " day < ?2), 0), coalesce(sum(items), 0) FROM item_day",
                                 -1, &st, NULL);
    int rc = 0;
    if (src == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, lo);
        sqlite3_bind_int64(st, 2, hi);
        src = sqlite3_step(st);
    }
    if (src == SQLITE_ROW)
        *large = sqlite3_column_int64(st, 0) * 8 > sqlite3_column_int64(st, 1);
    else
        rc = s_db_err(s, src, err, "window size");
    sqlite3_finalize(st);
    return rc;
}

/* The items of a window, and its items with their tags (i, t). */
#define S_ITEMS(large) ((large) ? " items i NOT INDEXED" : " items i")
#define S_ITEM_TAGS(large)                                                                         \
    ((large) ? " items i NOT INDEXED CROSS JOIN item_themes t ON t.item_id = i.id"                 \
             : " item_themes t JOIN items i ON i.id = t.item_id")

static char *s_col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    return v ? voc_strndup((const char *)v, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

typedef struct s_agg {
    char *theme;
    int64_t items, scored, promoters, detractors, sent_n;
    double sent_sum;
} s_agg;

/* ?10: theme prefix; ?11..: where pairs; the negative flag is SQL text. */
#define S_THEME_P(p)                                                                               \
    " AND (?10 IS NULL OR " p "theme = ?10 OR substr(" p "theme, 1, length(?10) + 1) = ?10 || "    \
    "'.')"

static void s_where_sql(voc_buf *b, const voc_filter *f)
{
    for (size_t i = 0; i < f->where_count; i++)
        voc_buf_printf(b, " AND json_extract(i.attrs, '$.' || ?%zu) = ?%zu", 11 + 2 * i,
                       12 + 2 * i);
}

/* Item-level filters of f for a query over items i: theme (any tag in the
 * subtree), negativity, attributes. */
static void s_item_filter_sql(voc_buf *q, const voc_filter *f)
{
    if (f->theme)
        voc_buf_puts(q, " AND EXISTS (SELECT 1 FROM item_themes t WHERE t.item_id = i.id" S_THEME_P(
                            "t.") ")");
    if (f->negative)
        voc_buf_puts(q, " AND (i.sentiment < -0.05 OR (i.scale = 'nps' AND i.score <= 6))");
    s_where_sql(q, f);
}

static void s_bind_where(sqlite3_stmt *st, const voc_filter *f)
{
    s_bind_text(st, 10, f->theme);
    for (size_t i = 0; i < f->where_count; i++) {
        s_bind_text(st, (int)(11 + 2 * i), f->where_keys[i]);
        s_bind_text(st, (int)(12 + 2 * i), f->where_values[i]);
    }
}

static void s_aggs_free(s_agg *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(a[i].theme);
    free(a);
}

/* The rollup a theme aggregate reads: theme_day_all (a theme's day over
 * every kind and source) unless f filters on kind or source. */
static bool s_all_kinds(const voc_filter *f)
{
    return !f->kind && !f->source;
}

/* Is theme in the subtree of prefix ("billing" covers billing.*)? */
static bool s_in_subtree(const char *theme, const char *prefix)
{
    if (!prefix) return true;
    size_t n = strlen(prefix);
    return strncmp(theme, prefix, n) == 0 && (theme[n] == '\0' || theme[n] == '.');
}

/* Per-theme sums gathered in C: aggs sorted by theme. */
typedef struct s_aggs {
    s_agg *v;
    size_t n, cap;
    size_t next; /* the slot after the last one found: rollup rows come in
                    theme order within a day, so usually the next one */
} s_aggs;

static s_agg *s_agg_slot(s_aggs *a, const char *theme)
{
    if (a->next < a->n && strcmp(a->v[a->next].theme, theme) == 0) return &a->v[a->next++];
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(a->v[mid].theme, theme);
        if (c == 0) {
            a->next = mid + 1;
            return &a->v[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    voc_grow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v);
    memmove(&a->v[lo + 1], &a->v[lo], (a->n - lo) * sizeof *a->v);
    a->n++;
    a->v[lo] = (s_agg){.theme = voc_strdup(theme)};
    a->next = lo + 1;
    return &a->v[lo];
}

/* ?1..?2 a day range, ?3 kind, ?4 source. */
static void s_bind_days(sqlite3_stmt *st, int64_t d0, int64_t d1, const voc_filter *f)
{
    sqlite3_bind_int64(st, 1, d0);
    sqlite3_bind_int64(st, 2, d1);
    s_bind_text(st, 3, f->kind);
    s_bind_text(st, 4, f->source);
}

static int s_prepare(voc_store *s, const char *sql, sqlite3_stmt **st, voc_err *err)
{
    int src = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    return src == SQLITE_OK ? 0 : s_db_err(s, src, err, "prepare");
}

/* A part of a window that the rollups answer: whole days [d0, d1) added
 * with sign, or raw rows [t0, t1) (within a day or two) added with sign. */
typedef struct s_part {
    bool raw;
    int sign;
    int64_t lo, hi;
} s_part;

/* The parts of f's window: its whole days, and each partial day at an edge
 * either read as it is or, when it is more than half its day, as the day's
 * rollup rows minus the rest of the day (the shorter read). At most five. */
static size_t s_window_parts(const voc_filter *f, s_part parts[5])
{
    s_window w = s_split(f);
    size_t n = 0;
    if (w.d0 < w.d1) parts[n++] = (s_part){false, +1, w.d0, w.d1};
    int64_t edges[2][2] = {{f->since, w.lead_end}, {w.tail_start, f->until}};
    for (int e = 0; e < 2; e++) {
        int64_t a = edges[e][0], b = edges[e][1];
        if (a >= b) continue;
        int64_t d = s_floor_day(a);
        bool one_day = a != INT64_MIN && b != INT64_MAX && b <= (d + 1) * 86400;
        if (!one_day || b - a <= 43200) {
            parts[n++] = (s_part){true, +1, a, b};
            continue;
        }
        parts[n++] = (s_part){false, +1, d, d + 1};
        if (d * 86400 < a) parts[n++] = (s_part){true, -1, d * 86400, a};
        if (b < (d + 1) * 86400) parts[n++] = (s_part){true, -1, b, (d + 1) * 86400};
    }
    return n;
}

/* The sums of one raw range [lo, hi): per theme (in f's subtree), tagged
 * items and (has_totals) items. voc_store_top keeps the last one: its
 * window and the previous one meet in the middle of a day, and both read
 * the same shorter part of that day. */
typedef struct s_range {
    bool valid, has_totals;
    int64_t lo, hi;
    s_aggs aggs;
    int64_t items, tagged;
} s_range;

static void s_range_clear(s_range *r)
{
    s_aggs_free(r->aggs.v, r->aggs.n);
    memset(r, 0, sizeof *r);
}

static int s_range_read(voc_store *s, const voc_filter *f, sqlite3_stmt *tags, sqlite3_stmt *items,
                        int64_t lo, int64_t hi, s_range *r, int64_t **ids, size_t *id_cap,
                        voc_err *err)
{
    int src;
    size_t nids = 0; /* item ids of the rows at the current created_at */
    int64_t at = INT64_MIN;
    *r = (s_range){.valid = true, .has_totals = items != NULL, .lo = lo, .hi = hi};
    if (items) {
        s_bind_days(items, lo, hi, f);
        if ((src = sqlite3_step(items)) == SQLITE_ROW) r->items = sqlite3_column_int64(items, 0);
        sqlite3_reset(items);
        if (src != SQLITE_ROW) return s_db_err(s, src, err, "totals");
    }
    s_bind_days(tags, lo, hi, f);
    while ((src = sqlite3_step(tags)) == SQLITE_ROW) {
        /* An item's tags share its created_at, and the rows come in
         * created_at order: an id is new unless seen at the same second. */
        int64_t id = sqlite3_column_int64(tags, 3), when = sqlite3_column_int64(tags, 4);
        if (when != at) {
            at = when;
            nids = 0;
        }
        size_t k = 0;
        while (k < nids && (*ids)[k] != id)
            k++;
        if (k == nids) {
            voc_grow((void **)ids, id_cap, nids + 1, sizeof **ids);
            (*ids)[nids++] = id;
            r->tagged++;
        }
        const char *theme = (const char *)sqlite3_column_text(tags, 0);
        if (!s_in_subtree(theme, f->theme)) continue;
        s_agg *g = s_agg_slot(&r->aggs, theme);
        g->items++;
        if (sqlite3_column_type(tags, 1) != SQLITE_NULL) {
            int nps = sqlite3_column_int(tags, 1);
            g->scored++;
            g->promoters += nps >= 9;
            g->detractors += nps <= 6;
        }
        if (sqlite3_column_type(tags, 2) != SQLITE_NULL) {
            g->sent_sum += sqlite3_column_double(tags, 2);
            g->sent_n++;
        }
    }
    sqlite3_reset(tags);
    return src == SQLITE_DONE ? 0 : s_db_err(s, src, err, "top");
}

/* s_top_counts from the daily rollups plus the raw tags of the partial days
 * (s_window_parts). Every read is a plain range summed here: the raw columns
 * all come from item_themes_window, and one pass over a partial day gives
 * both its theme sums and its tagged items (distinct item ids). */
static int s_top_rollup(voc_store *s, const voc_filter *f, s_range *memo, s_aggs *a, int64_t *total,
                        int64_t *tagged, voc_err *err)
{
    int rc = 0, src;
    sqlite3_stmt *days = NULL, *day_totals = NULL, *tags = NULL, *items = NULL;
    int64_t *ids = NULL;
    size_t id_cap = 0;
    s_part parts[5];
    size_t nparts = s_window_parts(f, parts);
    if (total) *total = *tagged = 0;
    if ((rc = s_prepare(s,
                        s_all_kinds(f) ? "SELECT theme, items, scored, promoters, detractors,"
                                         " sentiment_sum, sentiment_n FROM theme_day_all"
                                         " WHERE day >= ?1 AND day < ?2"
                                       : "SELECT theme, items, scored, promoters, detractors,"
                                         " sentiment_sum, sentiment_n FROM theme_day"
                                         " WHERE day >= ?1 AND day < ?2" S_KS(""),
                        &days, err)) ||
        (rc = s_prepare(s,
                        s_all_kinds(f) ? "SELECT t.theme, t.nps_score, t.sentiment, t.item_id,"
                                         " t.created_at FROM item_themes t WHERE"
                                         " t.created_at >= ?1 AND t.created_at < ?2"
                                         " ORDER BY t.created_at"
                                       : "SELECT t.theme, t.nps_score, t.sentiment, t.item_id,"
                                         " t.created_at FROM item_themes t WHERE"
                                         " t.created_at >= ?1 AND t.created_at < ?2" S_KS(
                                             "t.") " ORDER BY t.created_at",
                        &tags, err)))
        goto out;
    if (total &&
        ((rc = s_prepare(s,
                         "SELECT coalesce(sum(items), 0), coalesce(sum(tagged), 0) FROM item_day"
                         " WHERE day >= ?1 AND day < ?2" S_KS(""),
                         &day_totals, err)) ||
         (rc = s_prepare(s,
                         s_all_kinds(f) ? "SELECT count(*), 0 FROM items i WHERE"
                                          " i.created_at >= ?1 AND i.created_at < ?2"
                                        : "SELECT count(*), 0 FROM items i WHERE"
                                          " i.created_at >= ?1 AND i.created_at < ?2" S_KS("i."),
                         &items, err))))
        goto out;
    for (size_t p = 0; p < nparts; p++) {
        const s_part *part = &parts[p];
        int sign = part->sign;
        if (part->raw) {
            s_range fresh = {0}, *r = memo;
            if (!r || !r->valid || r->lo != part->lo || r->hi != part->hi ||
                (total && !r->has_totals)) {
                r = &fresh;
                rc = s_range_read(s, f, tags, total ? items : NULL, part->lo, part->hi, r, &ids,
                                  &id_cap, err);
            }
            for (size_t i = 0; rc == 0 && i < r->aggs.n; i++) {
                const s_agg *x = &r->aggs.v[i];
                s_agg *g = s_agg_slot(a, x->theme);
                g->items += sign * x->items;
                g->scored += sign * x->scored;
                g->promoters += sign * x->promoters;
                g->detractors += sign * x->detractors;
                g->sent_sum += sign * x->sent_sum;
                g->sent_n += sign * x->sent_n;
            }
            if (rc == 0 && total) {
                *total += sign * r->items;
                *tagged += sign * r->tagged;
            }
            if (r == &fresh && memo && !memo->valid && rc == 0) {
                *memo = fresh; /* the first raw part: where this window meets the next */
            } else if (r == &fresh) {
                s_range_clear(&fresh);
            }
            if (rc) goto out;
            continue;
        }
        if (total) {
            sqlite3_stmt *st = day_totals;
            s_bind_days(st, part->lo, part->hi, f);
            if ((src = sqlite3_step(st)) != SQLITE_ROW) {
                rc = s_db_err(s, src, err, "totals");
                goto out;
            }
            *total += sign * sqlite3_column_int64(st, 0);
            *tagged += sign * sqlite3_column_int64(st, 1);
            sqlite3_reset(st);
        }
        s_bind_days(days, part->lo, part->hi, f);
        while ((src = sqlite3_step(days)) == SQLITE_ROW) {
            const char *theme = (const char *)sqlite3_column_text(days, 0);
            if (!s_in_subtree(theme, f->theme)) continue;
            s_agg *g = s_agg_slot(a, theme);
            g->items += sign * sqlite3_column_int64(days, 1);
            g->scored += sign * sqlite3_column_int64(days, 2);
            g->promoters += sign * sqlite3_column_int64(days, 3);
            g->detractors += sign * sqlite3_column_int64(days, 4);
            g->sent_sum += sign * sqlite3_column_double(days, 5);
            g->sent_n += sign * sqlite3_column_int64(days, 6);
        }
        sqlite3_reset(days);
        if (src != SQLITE_DONE) {
            rc = s_db_err(s, src, err, "top");
            goto out;
        }
    }
    /* Rows left at zero by deletions are not themes of the window. */
    size_t kept = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i].items > 0)
            a->v[kept++] = a->v[i];
        else
            free(a->v[i].theme);
    }
    a->n = kept;
out:
    sqlite3_finalize(days);
    sqlite3_finalize(day_totals);
    sqlite3_finalize(tags);
    sqlite3_finalize(items);
    free(ids);
    return rc;
}

/* Per-theme aggregates and (unless total is NULL) window totals for f. */
static int s_top_counts(voc_store *s, const voc_filter *f, s_range *memo, s_agg **out,
                        size_t *count, int64_t *total, int64_t *tagged, voc_err *err)
{
    int rc = 0, src;
    sqlite3_stmt *st = NULL;
    voc_buf q = {0};
    *out = NULL;
    *count = 0;
    if (!f->where_count && !f->negative) {
        s_aggs a = {0};
        rc = s_top_rollup(s, f, memo, &a, total, tagged, err);
        if (rc) {
            s_aggs_free(a.v, a.n);
            return rc;
        }
        *out = a.v;
        *count = a.n;
        return 0;
    }
    size_t cap = 0;
    s_window w = s_split(f);
    const char *neg = f->negative ? " AND (i.sentiment < -0.05 OR (i.scale = 'nps' AND"
                                    " i.score <= 6))"
                                  : "";
    bool large;
    if ((rc = s_large_window(s, f, &large, err))) goto out;
    if (total) {
        voc_buf_printf(&q,
                       "SELECT count(*), coalesce(sum(EXISTS (SELECT 1 FROM item_themes t"
                       " WHERE t.item_id = i.id)), 0) FROM%s WHERE i.created_at >= ?1 AND"
                       " i.created_at < ?2" S_KS("i.") "%s",
                       S_ITEMS(large), neg);
        s_where_sql(&q, f);
        src = sqlite3_prepare_v2(s->db, q.data, -1, &st, NULL);
        if (src != SQLITE_OK) {
            rc = s_db_err(s, src, err, "prepare totals");
            goto out;
        }
        s_bind_window(st, f, &w);
        s_bind_where(st, f);
        if ((src = sqlite3_step(st)) != SQLITE_ROW) {
            rc = s_db_err(s, src, err, "totals");
            goto out;
        }
        *total = sqlite3_column_int64(st, 0);
        *tagged = sqlite3_column_int64(st, 1);
        sqlite3_finalize(st);
        st = NULL;
    }

    voc_buf_reset(&q);
    voc_buf_printf(&q,
                   "SELECT t.theme, count(*), count(t.nps_score),"
                   " coalesce(sum(t.nps_score >= 9), 0), coalesce(sum(t.nps_score <= 6), 0),"
                   " coalesce(sum(t.sentiment), 0), count(t.sentiment) FROM%s"
                   " WHERE i.created_at >= ?1 AND i.created_at < ?2"
                   " AND t.created_at >= ?1 AND t.created_at < ?2" S_KS("t.") S_THEME_P("t.") "%s",
                   S_ITEM_TAGS(large),
                   f->negative ? " AND (t.sentiment < -0.05 OR t.nps_score <= 6)" : "");
    s_where_sql(&q, f);
    voc_buf_puts(&q, " GROUP BY t.theme");
    src = sqlite3_prepare_v2(s->db, q.data, -1, &st, NULL);
    if (src != SQLITE_OK) {
        rc = s_db_err(s, src, err, "prepare top");
        goto out;
    }
    s_bind_window(st, f, &w);
    s_bind_where(st, f);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        voc_grow((void **)out, &cap, *count + 1, sizeof **out);
        s_agg *g = &(*out)[(*count)++];
        g->theme = voc_strdup((const char *)sqlite3_column_text(st, 0));
        g->items = sqlite3_column_int64(st, 1);
        g->scored = sqlite3_column_int64(st, 2);
        g->promoters = sqlite3_column_int64(st, 3);
        g->detractors = sqlite3_column_int64(st, 4);
        g->sent_sum = sqlite3_column_double(st, 5);
        g->sent_n = sqlite3_column_int64(st, 6);
    }
    if (src != SQLITE_DONE) rc = s_db_err(s, src, err, "top");
out:
    sqlite3_finalize(st);
    voc_buf_free(&q);
    if (rc) {
        s_aggs_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return rc;
}

static int s_agg_cmp(const void *a, const void *b)
{
    const s_agg *x = a, *y = b;
    if (x->items != y->items) return x->items < y->items ? 1 : -1;
    return strcmp(x->theme, y->theme);
}

/* The statements that pick a theme's representative quote. */
typedef struct s_quote_sts {
    sqlite3_stmt *cand; /* the latest tags: item_id, score, sentiment, created_at */
    sqlite3_stmt *len;  /* length(text) of one item, to break ties */
    sqlite3_stmt *get;  /* uid, text, evidence of the winner */
} s_quote_sts;

enum { S_QUOTE_CANDIDATES = 64 };

typedef struct s_cand {
    int64_t item_id, created_at, len_dist;
    double score, sent_dist;
} s_cand;

/* The representative quote: among the theme's latest S_QUOTE_CANDIDATES
 * tags in the window (and the filters), the one the rules matched most
 * strongly, then the one whose sentiment is closest to the theme's mean
 * (typical, not extreme), then readable length (near 160 characters), then
 * the most recent. The candidates come from item_themes_theme alone (it
 * carries score and sentiment); only candidates still tied after the first
 * two keys have their text looked up, and then the winner. */
static int s_pick_quote(voc_store *s, const voc_filter *f, s_quote_sts *q, voc_top_row *r,
                        voc_err *err)
{
    s_cand c[S_QUOTE_CANDIDATES];
    size_t n = 0;
    int rc = 0, src;
    double mean = isnan(r->sentiment) ? 0 : r->sentiment;
    s_bind_filter(q->cand, f);
    s_bind_where(q->cand, f);
    sqlite3_bind_null(q->cand, 10);
    sqlite3_bind_text(q->cand, 5, r->theme, -1, SQLITE_STATIC);
    while (n < S_QUOTE_CANDIDATES && (src = sqlite3_step(q->cand)) == SQLITE_ROW) {
        s_cand *x = &c[n++];
        x->item_id = sqlite3_column_int64(q->cand, 0);
        x->score = sqlite3_column_double(q->cand, 1);
        /* as SQL's abs(coalesce(sentiment, 0) - mean): the same doubles */
        x->sent_dist = fabs((sqlite3_column_type(q->cand, 2) == SQLITE_NULL
                                 ? 0.0
                                 : sqlite3_column_double(q->cand, 2)) -
                            mean);
        x->created_at = sqlite3_column_int64(q->cand, 3);
        x->len_dist = -1;
    }
    if (n < S_QUOTE_CANDIDATES && src != SQLITE_DONE) rc = s_db_err(s, src, err, "quote");
    sqlite3_reset(q->cand);
    if (rc || n == 0) return rc;
    /* Best score, then closest sentiment: the tied set keeps scan order
     * (newest first). */
    size_t best = 0, tied = 1;
    for (size_t i = 1; i < n; i++) {
        if (c[i].score > c[best].score ||
            (c[i].score == c[best].score && c[i].sent_dist < c[best].sent_dist)) {
            best = i;
            tied = 1;
        } else if (c[i].score == c[best].score && c[i].sent_dist == c[best].sent_dist) {
            tied++;
        }
    }
    if (tied > 1) {
        size_t win = SIZE_MAX;
        for (size_t i = best; i < n; i++) {
            if (c[i].score != c[best].score || c[i].sent_dist != c[best].sent_dist) continue;
            sqlite3_bind_int64(q->len, 1, c[i].item_id);
            if ((src = sqlite3_step(q->len)) == SQLITE_ROW) {
                int64_t len = sqlite3_column_int64(q->len, 0);
                c[i].len_dist = len > 160 ? len - 160 : 160 - len;
            } else if (src != SQLITE_DONE) {
                rc = s_db_err(s, src, err, "quote length");
            }
            sqlite3_reset(q->len);
            if (rc) return rc;
            if (c[i].len_dist < 0) continue; /* the item is gone */
            if (win == SIZE_MAX || c[i].len_dist < c[win].len_dist ||
                (c[i].len_dist == c[win].len_dist && c[i].created_at > c[win].created_at))
                win = i;
        }
        if (win == SIZE_MAX) return 0;
        best = win;
    }
    sqlite3_bind_int64(q->get, 1, c[best].item_id);
    sqlite3_bind_text(q->get, 2, r->theme, -1, SQLITE_STATIC);
    if ((src = sqlite3_step(q->get)) == SQLITE_ROW) {
        r->quote_uid = s_col_dup(q->get, 0);
        r->quote = s_col_dup(q->get, 1);
        r->quote_evidence = s_col_dup(q->get, 2);
    } else if (src != SQLITE_DONE) {
        rc = s_db_err(s, src, err, "quote");
    }
    sqlite3_reset(q->get);
    return rc;
}

static int s_top_read(voc_store *s, const voc_filter *f, size_t limit, voc_top *out, voc_err *err)
{
    int rc = 0, src;
    s_quote_sts qs = {0};
    s_range memo = {0};
    s_agg *cur = NULL, *prev = NULL;
    size_t ncur = 0, nprev = 0;
    voc_buf q = {0};
    memset(out, 0, sizeof *out);
    if ((rc = s_top_counts(s, f, &memo, &cur, &ncur, &out->total_items, &out->tagged_items, err)))
        goto out;
    /* The previous window has the same length, ending where this begins (an
     * open end counts as now). */
    int64_t end = f->until == INT64_MAX ? voc_time_now() : f->until;
    bool have_prev = f->since != INT64_MIN && end > f->since;
    if (have_prev) {
        voc_filter pf = *f;
        pf.until = f->since;
        pf.since = f->since - (end - f->since);
        if ((rc = s_top_counts(s, &pf, &memo, &prev, &nprev, NULL, NULL, err))) goto out;
    }
    if (ncur) qsort(cur, ncur, sizeof *cur, s_agg_cmp);
    size_t n = limit && limit < ncur ? limit : ncur;
    out->rows = voc_calloc(n ? n : 1, sizeof *out->rows);
    for (size_t i = 0; i < n; i++) {
        voc_top_row *r = &out->rows[out->count++];
        r->theme = voc_strdup(cur[i].theme);
        r->items = cur[i].items;
        r->share = out->total_items ? (double)r->items / (double)out->total_items : 0;
        r->prev_items = have_prev ? 0 : -1;
        for (size_t k = 0; k < nprev; k++)
            if (strcmp(prev[k].theme, r->theme) == 0) r->prev_items = prev[k].items;
        r->sentiment = cur[i].sent_n ? cur[i].sent_sum / (double)cur[i].sent_n : NAN;
        r->scored = cur[i].scored;
        r->nps = cur[i].scored ? 100.0 * (double)(cur[i].promoters - cur[i].detractors) /
                                     (double)cur[i].scored
                               : NAN;
    }
    if (out->count == 0) goto out;
    /* Newest first; ties on the second in row order, as the index holds
     * them (item_themes_theme: theme, created_at, item_id, ...). */
    voc_buf_printf(
        &q,
        "SELECT t.item_id, t.score, t.sentiment, t.created_at FROM item_themes t%s"
        " WHERE t.theme = ?5 AND t.created_at >= ?1 AND t.created_at < ?2" S_KS("t.") "%s",
        f->where_count ? " JOIN items i ON i.id = t.item_id" : "",
        f->negative ? " AND (t.sentiment < -0.05 OR t.nps_score <= 6)" : "");
    s_where_sql(&q, f);
    voc_buf_puts(&q, " ORDER BY t.created_at DESC, t.item_id DESC");
    if ((src = sqlite3_prepare_v2(s->db, q.data, -1, &qs.cand, NULL)) != SQLITE_OK ||
        (src = sqlite3_prepare_v2(s->db, "SELECT length(text) FROM items WHERE id = ?1", -1,
                                  &qs.len, NULL)) != SQLITE_OK ||
        (src = sqlite3_prepare_v2(s->db,
                                  "SELECT i.uid, i.text, t.evidence FROM items i JOIN item_themes t"
                                  " ON t.item_id = i.id AND t.theme = ?2 WHERE i.id = ?1",
                                  -1, &qs.get, NULL)) != SQLITE_OK) {
        rc = s_db_err(s, src, err, "prepare quote");
        goto out;
    }
    for (size_t i = 0; i < out->count && rc == 0; i++)
        rc = s_pick_quote(s, f, &qs, &out->rows[i], err);
out:
    sqlite3_finalize(qs.cand);
    sqlite3_finalize(qs.len);
    sqlite3_finalize(qs.get);
    voc_buf_free(&q);
    s_range_clear(&memo);
    s_aggs_free(cur, ncur);
    s_aggs_free(prev, nprev);
    if (rc) voc_top_clear(out);
    return rc;
}

int voc_store_top(voc_store *s, const voc_filter *f, size_t limit, voc_top *out, voc_err *err)
{
    bool began = s_read_begin(s);
    int rc = s_top_read(s, f, limit, out, err);
    s_read_end(s, began);
    return rc;
}

int voc_store_stats_get(voc_store *s, voc_store_stats *out, voc_err *err)
{
    static const char *const sql = "SELECT (SELECT coalesce(sum(items), 0) FROM item_day),"
                                   " (SELECT coalesce(sum(tagged), 0) FROM item_day),"
                                   " (SELECT coalesce(sum(items), 0) FROM theme_day),"
                                   " (SELECT count(*) FROM dead_letters),"
                                   " (SELECT count(*) FROM rule_sets),"
                                   " (SELECT coalesce(min(created_at), 0) FROM items),"
                                   " (SELECT coalesce(max(created_at), 0) FROM items)";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return s_db_err(s, rc, err, "prepare stats");
    rc = sqlite3_step(st);
    int out_rc = 0;
    if (rc == SQLITE_ROW) {
        out->items = sqlite3_column_int64(st, 0);
        out->tagged_items = sqlite3_column_int64(st, 1);
        out->theme_rows = sqlite3_column_int64(st, 2);
        out->dead_letters = sqlite3_column_int64(st, 3);
        out->rule_sets = sqlite3_column_int64(st, 4);
        out->first_created_at = sqlite3_column_int64(st, 5);
        out->last_created_at = sqlite3_column_int64(st, 6);
    } else {
        out_rc = s_db_err(s, rc, err, "stats");
    }
    sqlite3_finalize(st);
    return out_rc;
}

/* ---- single items and retagging ----------------------------------------- */

void voc_item_meta_clear(voc_item_meta *m)
{
    free(m->rule_set_name);
    free(m->rule_set_hash);
    memset(m, 0, sizeof *m);
}

void voc_rule_set_info_clear(voc_rule_set_info *r)
{
    free(r->hash);
    free(r->name);
    free(r->body);
    memset(r, 0, sizeof *r);
}

static void s_attrs_from_json(voc_item *it, const char *json)
{
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    for (const cJSON *a = o ? o->child : NULL; a; a = a->next)
        if (cJSON_IsString(a)) voc_item_set_attr(it, a->string, a->valuestring);
    cJSON_Delete(o);
}

static void s_evidence_from_json(voc_item_theme *t, const char *json)
{
    cJSON *arr = json ? cJSON_Parse(json) : NULL;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "rule");
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "start");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(e, "end");
        /* A hand-edited store may hold anything: keep offsets in range
         * before converting (an out-of-range cast is undefined). */
        if (cJSON_IsString(r) && cJSON_IsNumber(a) && cJSON_IsNumber(b) && a->valuedouble >= 0 &&
            b->valuedouble >= a->valuedouble && b->valuedouble <= (double)UINT32_MAX)
            voc_item_theme_add_evidence(t, r->valuestring, (uint32_t)a->valuedouble,
                                        (uint32_t)b->valuedouble);
    }
    cJSON_Delete(arr);
}

int voc_store_get_item(voc_store *s, const char *uid, voc_item *out, voc_item_meta *meta,
                       voc_err *err)
{
    int rc = 0, src;
    sqlite3_stmt *st = NULL, *tst = NULL;
    voc_item_init(out);
    if (meta) memset(meta, 0, sizeof *meta);
    src = sqlite3_prepare_v2(s->db,
                             "SELECT i.id, i.uid, i.source, i.kind, i.created_at, i.received_at,"
                             " i.stored_at, i.customer_id, i.account, i.score, i.scale,"
                             " i.subject, i.text, i.sentiment, i.attrs, i.rule_set_id, r.name,"
                             " r.hash FROM items i LEFT JOIN rule_sets r ON r.id = i.rule_set_id"
                             " WHERE i.uid = ?1",
                             -1, &st, NULL);
    if (src != SQLITE_OK) return s_db_err(s, src, err, "prepare item");
    s_bind_text(st, 1, uid);
    src = sqlite3_step(st);
    if (src == SQLITE_DONE) {
        rc = voc_err_set(err, VOC_ENOTFOUND, "no item with uid '%s'", uid);
        goto out;
    }
    if (src != SQLITE_ROW) {
        rc = s_db_err(s, src, err, "reading item");
        goto out;
    }
    int64_t id = sqlite3_column_int64(st, 0);
    out->uid = s_col_dup(st, 1);
    out->source = s_col_dup(st, 2);
    voc_kind_parse((const char *)sqlite3_column_text(st, 3), &out->kind);
    out->created_at = sqlite3_column_int64(st, 4);
    out->received_at = sqlite3_column_int64(st, 5);
    out->customer_id = s_col_dup(st, 7);
    out->account = s_col_dup(st, 8);
    if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
        out->score = sqlite3_column_int(st, 9);
        const char *scale = (const char *)sqlite3_column_text(st, 10);
        out->scale = scale && strcmp(scale, "nps") == 0 ? VOC_SCALE_NPS : VOC_SCALE_RATING;
    }
    out->subject = s_col_dup(st, 11);
    out->text = s_col_dup(st, 12);
    out->text_len = (size_t)sqlite3_column_bytes(st, 12);
    if (sqlite3_column_type(st, 13) != SQLITE_NULL) {
        out->sentiment = sqlite3_column_double(st, 13);
        out->has_sentiment = true;
    }
    s_attrs_from_json(out, (const char *)sqlite3_column_text(st, 14));
    if (meta) {
        meta->id = id;
        meta->stored_at = sqlite3_column_int64(st, 6);
        meta->rule_set_id = sqlite3_column_int64(st, 15);
        meta->rule_set_name = s_col_dup(st, 16);
        meta->rule_set_hash = s_col_dup(st, 17);
    }
    src = sqlite3_prepare_v2(
        s->db,
        "SELECT theme, score, evidence, sentiment FROM item_themes WHERE item_id = ?1"
        " ORDER BY theme",
        -1, &tst, NULL);
    if (src != SQLITE_OK) {
        rc = s_db_err(s, src, err, "prepare themes");
        goto out;
    }
    sqlite3_bind_int64(tst, 1, id);
    while ((src = sqlite3_step(tst)) == SQLITE_ROW) {
        voc_item_theme *t = voc_item_add_theme(out, (const char *)sqlite3_column_text(tst, 0),
                                               sqlite3_column_double(tst, 1));
        s_evidence_from_json(t, (const char *)sqlite3_column_text(tst, 2));
        if (sqlite3_column_type(tst, 3) != SQLITE_NULL) {
            t->sentiment = sqlite3_column_double(tst, 3);
            t->has_sentiment = true;
        }
    }
    if (src != SQLITE_DONE) rc = s_db_err(s, src, err, "reading themes");
out:
    sqlite3_finalize(st);
    sqlite3_finalize(tst);
    if (rc) {
        voc_item_clear(out);
        if (meta) voc_item_meta_clear(meta);
    }
    return rc;
}

int voc_store_latest_rule_set(voc_store *s, voc_rule_set_info *out, voc_err *err)
{
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof *out);
    int src = sqlite3_prepare_v2(s->db,
                                 "SELECT id, loaded_at, hash, name, body FROM rule_sets"
                                 " ORDER BY loaded_at DESC, id DESC LIMIT 1",
                                 -1, &st, NULL);
    if (src != SQLITE_OK) return s_db_err(s, src, err, "prepare rule set");
    int rc = 0;
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        out->loaded_at = sqlite3_column_int64(st, 1);
        out->hash = s_col_dup(st, 2);
        out->name = s_col_dup(st, 3);
        out->body = s_col_dup(st, 4);
    } else if (src == SQLITE_DONE) {
        rc = voc_err_set(err, VOC_ENOTFOUND, "no rule set recorded in %s yet", s->path);
    } else {
        rc = s_db_err(s, src, err, "reading rule set");
    }
    sqlite3_finalize(st);
    return rc;
}

#define S_RETAG_WHERE S_FILTER_I " AND (i.rule_set_id IS NULL OR i.rule_set_id != ?5)"

int voc_store_retag_count(voc_store *s, const voc_filter *f, int64_t rule_set_id, int64_t *out,
                          voc_err *err)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM items i WHERE" S_RETAG_WHERE, -1, &st,
                                 NULL);
    if (src != SQLITE_OK) return s_db_err(s, src, err, "prepare retag count");
    s_bind_filter(st, f);
    sqlite3_bind_int64(st, 5, rule_set_id);
    int rc = 0;
    if ((src = sqlite3_step(st)) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = s_db_err(s, src, err, "retag count");
    sqlite3_finalize(st);
    return rc;
}

int voc_store_retag_scan(voc_store *s, const voc_filter *f, int64_t rule_set_id, int64_t after_id,
                         size_t limit, voc_item *items, voc_retag_ref *refs, size_t *count,
                         voc_err *err)
{
    sqlite3_stmt *st = NULL;
    *count = 0;
    int src = sqlite3_prepare_v2(
        s->db,
        "SELECT i.id, i.uid, i.source, i.kind, i.created_at, i.text, i.score, i.scale,"
        " i.sentiment FROM items i WHERE i.id > ?6 AND" S_RETAG_WHERE " ORDER BY i.id LIMIT ?7",
        -1, &st, NULL);
    if (src != SQLITE_OK) return s_db_err(s, src, err, "prepare retag scan");
    s_bind_filter(st, f);
    sqlite3_bind_int64(st, 5, rule_set_id);
    sqlite3_bind_int64(st, 6, after_id);
    sqlite3_bind_int64(st, 7, (int64_t)limit);
    size_t n = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW && n < limit) {
        voc_item *it = &items[n];
        voc_item_init(it);
        refs[n].id = sqlite3_column_int64(st, 0);
        refs[n].had_sentiment = sqlite3_column_type(st, 8) != SQLITE_NULL;
        refs[n].sentiment = sqlite3_column_double(st, 8);
        it->uid = s_col_dup(st, 1);
        it->source = s_col_dup(st, 2);
        voc_kind_parse((const char *)sqlite3_column_text(st, 3), &it->kind);
        it->created_at = sqlite3_column_int64(st, 4);
        it->text = s_col_dup(st, 5);
        it->text_len = (size_t)sqlite3_column_bytes(st, 5);
        if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
            const char *scale = (const char *)sqlite3_column_text(st, 7);
            it->scale = scale && strcmp(scale, "nps") == 0 ? VOC_SCALE_NPS : VOC_SCALE_RATING;
            it->score = sqlite3_column_int(st, 6);
        }
        if (!it->text) {
            it->text = voc_strdup("");
            it->text_len = 0;
        }
        n++;
    }
    int rc = 0;
    if (src != SQLITE_DONE && src != SQLITE_ROW) {
        rc = s_db_err(s, src, err, "retag scan");
        for (size_t i = 0; i < n; i++)
            voc_item_clear(&items[i]);
        n = 0;
    }
    sqlite3_finalize(st);
    *count = n;
    return rc;
}

static int s_cmp_theme_ptr(const void *a, const void *b)
{
    const voc_item_theme *const *x = a, *const *y = b;
    return strcmp((*x)->id, (*y)->id);
}

static bool s_same_real(bool ha, double a, bool hb, double b)
{
    return ha == hb && (!ha || fabs(a - b) < 1e-12);
}

/* Bring an item's stored tags in line with it's, row by row: a tag that
 * stays with the same score and sentiment only gets the new version stamp
 * and evidence (columns no index holds), one whose numbers moved is updated
 * in place, and only tags that come or go are inserted or deleted. The
 * rollups follow every change. The old rows come ordered by theme (the
 * primary key), the new tags are sorted to match, and one merge pass pairs
 * them. */
static int s_retag_themes(voc_store *s, int64_t item_id, const voc_item *it, int64_t rule_set_id,
                          voc_err *err)
{
    const voc_item_theme *small[16];
    const voc_item_theme **sorted = small;
    if (it->theme_count > 16) sorted = voc_calloc(it->theme_count, sizeof *sorted);
    for (size_t i = 0; i < it->theme_count; i++)
        sorted[i] = &it->themes[i];
    if (it->theme_count > 1) qsort(sorted, it->theme_count, sizeof *sorted, s_cmp_theme_ptr);

    voc_buf ev = {0};
    sqlite3_stmt *old = s->st[S_OLD_THEMES];
    sqlite3_bind_int64(old, 1, item_id);
    size_t k = 0, old_count = 0;
    int src, rc = 0;
    /* Changes wait until the read is done: the cursor must not see them. */
    enum { KEEP, CHANGE, DROP };
    struct op {
        int what;
        char *theme;
        const voc_item_theme *t;
    } *ops = NULL;
    size_t nops = 0, cap = 0;
    while ((src = sqlite3_step(old)) == SQLITE_ROW) {
        old_count++;
        const char *theme = (const char *)sqlite3_column_text(old, 0);
        /* New tags that sort before this old one are new. */
        while (k < it->theme_count && strcmp(sorted[k]->id, theme) < 0) {
            voc_grow((void **)&ops, &cap, nops + 1, sizeof *ops);
            ops[nops++] = (struct op){CHANGE + 10, NULL, sorted[k++]};
        }
        bool has_sent = sqlite3_column_type(old, 3) != SQLITE_NULL;
        double sent = sqlite3_column_double(old, 3);
        int nps = sqlite3_column_type(old, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(old, 4);
        const voc_item_theme *t =
            k < it->theme_count && strcmp(sorted[k]->id, theme) == 0 ? sorted[k++] : NULL;
        int what = DROP;
        if (t) {
            what = fabs(sqlite3_column_double(old, 1) - t->score) < 1e-12 &&
                           s_same_real(has_sent, sent, t->has_sentiment, t->sentiment)
                       ? KEEP
                       : CHANGE;
        }
        if (what != KEEP) {
            /* Out of the rollups under the values the row was counted with. */
            voc_rollup_theme(s->roll, sqlite3_column_int64(old, 5), theme,
                             (const char *)sqlite3_column_text(old, 6),
                             (const char *)sqlite3_column_text(old, 7), -1, nps, has_sent, sent);
            if (what == CHANGE)
                voc_rollup_theme(s->roll, it->created_at, t->id, voc_kind_name(it->kind),
                                 it->source, +1, it->scale == VOC_SCALE_NPS ? it->score : -1,
                                 t->has_sentiment, t->sentiment);
        }
        voc_grow((void **)&ops, &cap, nops + 1, sizeof *ops);
        ops[nops++] = (struct op){what, voc_strdup(theme), t};
    }
    if (src != SQLITE_DONE) rc = s_db_err(s, src, err, "reading themes");
    sqlite3_reset(old);
    while (rc == 0 && k < it->theme_count) {
        voc_grow((void **)&ops, &cap, nops + 1, sizeof *ops);
        ops[nops++] = (struct op){CHANGE + 10, NULL, sorted[k++]};
    }
    for (size_t i = 0; rc == 0 && i < nops; i++) {
        const struct op *o = &ops[i];
        if (o->t) s_evidence_into(&ev, o->t);
        s->tag_writes += o->what != KEEP;
        if (o->what == CHANGE + 10) {
            rc = s_put_theme(s, item_id, it, o->t, ev.data, rule_set_id, err);
            continue;
        }
        sqlite3_stmt *st = s->st[o->what == KEEP     ? S_RETAG_KEEP
                                 : o->what == CHANGE ? S_RETAG_CHANGE
                                                     : S_RETAG_DROP];
        sqlite3_bind_int64(st, 1, item_id);
        s_bind_text(st, 2, o->theme);
        if (o->what != DROP) {
            if (rule_set_id) sqlite3_bind_int64(st, 3, rule_set_id);
            sqlite3_bind_text(st, 4, ev.data, -1, SQLITE_STATIC);
        }
        if (o->what == CHANGE) {
            sqlite3_bind_double(st, 5, o->t->score);
            if (o->t->has_sentiment) sqlite3_bind_double(st, 6, o->t->sentiment);
        }
        rc = s_step_done(s, st, err, "updating themes");
    }
    if (rc == 0 && (old_count > 0) != (it->theme_count > 0))
        voc_rollup_tagged(s->roll, it->created_at, voc_kind_name(it->kind), it->source,
                          it->theme_count > 0 ? +1 : -1);
    for (size_t i = 0; i < nops; i++)
        free(ops[i].theme);
    free(ops);
    voc_buf_free(&ev);
    if (sorted != small) free(sorted);
    return rc;
}

static int s_set_analysis(voc_store *s, const voc_retag_ref *ref, const voc_item *it,
                          int64_t rule_set_id, voc_err *err)
{
    if (!s_same_real(ref->had_sentiment, ref->sentiment, it->has_sentiment, it->sentiment))
        voc_rollup_sentiment(s->roll, it->created_at, voc_kind_name(it->kind), it->source,
                             ref->had_sentiment, ref->sentiment, it->has_sentiment, it->sentiment);
    sqlite3_stmt *st = s->st[S_RETAG_ITEM];
    sqlite3_bind_int64(st, 1, ref->id);
    if (rule_set_id) sqlite3_bind_int64(st, 2, rule_set_id);
    if (it->has_sentiment) sqlite3_bind_double(st, 3, it->sentiment);
    int rc = s_step_done(s, st, err, "updating item analysis");
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        rc = voc_err_set(err, VOC_ENOTFOUND, "item %lld is gone", (long long)ref->id);
    return rc ? rc : s_retag_themes(s, ref->id, it, rule_set_id, err);
}

int voc_store_set_analysis(voc_store *s, const voc_retag_ref *ref, const voc_item *it,
                           int64_t rule_set_id, voc_err *err)
{
    bool own;
    int rc = s_auto_begin(s, &own, err);
    if (rc) return rc;
    return s_auto_end(s, own, s_set_analysis(s, ref, it, rule_set_id, err), err);
}

void voc_count_rows_free(voc_count_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(rows[i].key);
    free(rows);
}

int voc_store_group_counts(voc_store *s, voc_group g, voc_count_row **rows, size_t *count,
                           voc_err *err)
{
    static const char *const sql[] = {
        [VOC_GROUP_KIND] = "SELECT kind, sum(items), sum(tagged) FROM item_day GROUP BY kind"
                           " HAVING sum(items) > 0 ORDER BY 2 DESC",
        [VOC_GROUP_SOURCE] = "SELECT source, sum(items), sum(tagged) FROM item_day"
                             " GROUP BY source HAVING sum(items) > 0 ORDER BY 2 DESC",
        [VOC_GROUP_DEAD_REASON] = "SELECT substr(reason, 1, instr(reason || ':', ':') - 1) AS r,"
                                  " count(*), 0 FROM dead_letters GROUP BY r ORDER BY 2 DESC",
        [VOC_GROUP_RULE_SET] = "SELECT r.name || ' ' || substr(r.hash, 1, 12), count(i.id), 0"
                               " FROM rule_sets r LEFT JOIN items i ON i.rule_set_id = r.id"
                               " GROUP BY r.id ORDER BY r.loaded_at DESC",
    };
    sqlite3_stmt *st = NULL;
    *rows = NULL;
    *count = 0;
    size_t cap = 0;
    int src = sqlite3_prepare_v2(s->db, sql[g], -1, &st, NULL);
    if (src != SQLITE_OK) return s_db_err(s, src, err, "prepare group counts");
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        voc_grow((void **)rows, &cap, *count + 1, sizeof **rows);
        voc_count_row *r = &(*rows)[(*count)++];
        const unsigned char *k = sqlite3_column_text(st, 0);
        r->key = voc_strdup(k ? (const char *)k : "");
        r->count = sqlite3_column_int64(st, 1);
        r->tagged = sqlite3_column_int64(st, 2);
    }
    int rc = src == SQLITE_DONE ? 0 : s_db_err(s, src, err, "group counts");
    sqlite3_finalize(st);
    if (rc) {
        voc_count_rows_free(*rows, *count);
        *rows = NULL;
        *count = 0;
    }
    return rc;
}

/* ---- trends --------------------------------------------------------------- */

void voc_trends_clear(voc_trends *t)
{
    for (size_t i = 0; i < t->theme_count; i++)
        free(t->themes[i]);
    free(t->themes);
    free(t->period_start);
    free(t->totals);
    free(t->counts);
    free(t->sentiment_sum);
    free(t->sentiment_n);
    memset(t, 0, sizeof *t);
}

/* First day of the period holding day d (days since the epoch). */
static int64_t s_period_of(voc_interval iv, int64_t d)
{
    if (iv == VOC_INTERVAL_DAY) return d;
    if (iv == VOC_INTERVAL_WEEK) {
        int64_t wd = ((d % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday: Monday = 0 */
        return d - wd;
    }
    int64_t y;
    unsigned m, dd;
    voc_civil_from_days(d, &y, &m, &dd);
    return voc_days_from_civil(y, m, 1);
}

static int64_t s_next_period(voc_interval iv, int64_t p)
{
    if (iv == VOC_INTERVAL_DAY) return p + 1;
    if (iv == VOC_INTERVAL_WEEK) return p + 7;
    int64_t y;
    unsigned m, dd;
    voc_civil_from_days(p, &y, &m, &dd);
    return m == 12 ? voc_days_from_civil(y + 1, 1, 1) : voc_days_from_civil(y, m + 1, 1);
}

static bool s_theme_selected(const char *theme, const char *const *prefixes)
{
    if (!prefixes) return true;
    for (size_t i = 0; prefixes[i]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(theme, prefixes[i], n) == 0 && (theme[n] == '\0' || theme[n] == '.'))
            return true;
    }
    return false;
}

/* One (day, theme) contribution read for trends; theme is interned in the
 * run's s_aggs (its string does not move) and NULL for the items total. */
typedef struct s_trow {
    int64_t day, n, sn;
    double ss;
    const char *theme;
} s_trow;

typedef struct s_trend_run {
    const voc_filter *f;
    s_aggs themes; /* .items: the theme's items over the window */
    s_trow *rows;
    size_t row_count, row_cap;
} s_trend_run;

static void s_trend_add(s_trend_run *r, int64_t day, const char *theme, int64_t n, double ss,
                        int64_t sn)
{
    const char *name = NULL;
    if (theme) {
        if (!s_in_subtree(theme, r->f->theme)) return;
        s_agg *g = s_agg_slot(&r->themes, theme);
        g->items += n;
        name = g->theme;
    }
    voc_grow((void **)&r->rows, &r->row_cap, r->row_count + 1, sizeof *r->rows);
    r->rows[r->row_count++] = (s_trow){.day = day, .n = n, .sn = sn, .ss = ss, .theme = name};
}

/* Run st (bound) and add its rows: day, theme (NULL: totals), n, sentiment
 * sum, sentiment count. */
static int s_trend_rows(voc_store *s, sqlite3_stmt *st, s_trend_run *r, voc_err *err)
{
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t n = sqlite3_column_int64(st, 2);
        if (n == 0) continue;
        s_trend_add(r, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1), n,
                    sqlite3_column_double(st, 3), sqlite3_column_int64(st, 4));
    }
    int rc = src == SQLITE_DONE ? 0 : s_db_err(s, src, err, "trend rows");
    sqlite3_reset(st);
    return rc;
}

/* Whole days [d0, d1) from the rollups: theme rows and item totals. */
static int s_trend_rollup(voc_store *s, s_trend_run *r, int64_t d0, int64_t d1, voc_err *err)
{
    const voc_filter *f = r->f;
    sqlite3_stmt *st = NULL;
    int rc = s_prepare(s,
                       s_all_kinds(f) ? "SELECT day, theme, items, sentiment_sum, sentiment_n FROM"
                                        " theme_day_all WHERE day >= ?1 AND day < ?2"
                                      : "SELECT day, theme, items, sentiment_sum, sentiment_n FROM"
                                        " theme_day WHERE day >= ?1 AND day < ?2" S_KS(""),
                       &st, err);
    if (rc == 0) {
        s_bind_days(st, d0, d1, f);
        rc = s_trend_rows(s, st, r, err);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc == 0)
        rc = s_prepare(s,
                       "SELECT day, NULL, items, 0, 0 FROM item_day WHERE day >= ?1 AND"
                       " day < ?2" S_KS(""),
                       &st, err);
    if (rc == 0) {
        s_bind_days(st, d0, d1, f);
        rc = s_trend_rows(s, st, r, err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* The raw rows of [t0, t1) (epoch seconds), grouped by day and theme, with
 * every filter of f applied to the items. */
static int s_trend_raw(voc_store *s, s_trend_run *r, int64_t t0, int64_t t1, voc_err *err)
{
    const voc_filter *f = r->f;
    sqlite3_stmt *st = NULL;
    voc_buf q = {0};
    int rc = 0;
    if (t0 >= t1) return 0;
    voc_filter g = *f;
    g.since = t0;
    g.until = t1;
    bool large;
    if ((rc = s_large_window(s, &g, &large, err))) return rc;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        voc_buf_reset(&q);
        voc_buf_printf(&q,
                       pass == 0 ? "SELECT i.created_at / 86400 - (i.created_at %% 86400 < 0) AS d,"
                                   " t.theme, count(*), coalesce(sum(t.sentiment), 0),"
                                   " count(t.sentiment) FROM%s WHERE" S_FILTER_I S_THEME_P("t.")
                                 : "SELECT i.created_at / 86400 - (i.created_at %% 86400 < 0) AS d,"
                                   " NULL, count(*), 0, 0 FROM%s WHERE" S_FILTER_I,
                       pass == 0 ? S_ITEM_TAGS(large) : S_ITEMS(large));
        s_item_filter_sql(&q, f);
        voc_buf_puts(&q, pass == 0 ? " GROUP BY d, t.theme" : " GROUP BY d");
        if ((rc = s_prepare(s, q.data, &st, err))) break;
        s_bind_filter(st, &g);
        s_bind_where(st, f);
        rc = s_trend_rows(s, st, r, err);
        sqlite3_finalize(st);
        st = NULL;
    }
    voc_buf_free(&q);
    return rc;
}

/* The tags and items of a partial day at an edge, [t0, t1) (a window
 * shorter than a day may span two). No attribute filters. */
static int s_trend_edge(voc_store *s, s_trend_run *r, int64_t t0, int64_t t1, voc_err *err)
{
    const voc_filter *f = r->f;
    sqlite3_stmt *st = NULL;
    if (t0 >= t1) return 0;
    int rc = s_prepare(s,
                       "SELECT t.created_at / 86400 - (t.created_at % 86400 < 0) AS d, t.theme,"
                       " count(*), coalesce(sum(t.sentiment), 0), count(t.sentiment)"
                       " FROM item_themes t WHERE t.created_at >= ?1 AND t.created_at < ?2" S_KS(
                           "t.") " GROUP BY d, t.theme",
                       &st, err);
    if (rc == 0) {
        s_bind_days(st, t0, t1, f);
        rc = s_trend_rows(s, st, r, err);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc == 0)
        rc = s_prepare(s,
                       "SELECT i.created_at / 86400 - (i.created_at % 86400 < 0) AS d, NULL,"
                       " count(*), 0, 0 FROM items i WHERE i.created_at >= ?1 AND"
                       " i.created_at < ?2" S_KS("i.") " GROUP BY d",
                       &st, err);
    if (rc == 0) {
        s_bind_days(st, t0, t1, f);
        rc = s_trend_rows(s, st, r, err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* The period holding day d: the last start <= d (starts ascending). */
static size_t s_period_index(const int64_t *start, size_t n, int64_t d)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (start[mid] <= d)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static int s_cmp_rank(const void *a, const void *b)
{
    const s_agg *const *x = a, *const *y = b;
    if ((*x)->items != (*y)->items) return (*x)->items < (*y)->items ? 1 : -1;
    return strcmp((*x)->theme, (*y)->theme);
}

/* voc_store_trends and voc_store_trends_exact: exact counts only the items
 * in [since, until); otherwise the window is whole days. Rows come from the
 * rollups unless f filters on attributes, negativity or a theme (then from
 * the items, every filter applied alike); they are summed into periods
 * here, themes ranked over the whole window. */
static int s_trends(voc_store *s, const voc_filter *f, voc_interval interval,
                    const char *const *themes, size_t top, bool exact, voc_trends *out,
                    voc_err *err)
{
    int rc = 0, src;
    sqlite3_stmt *st = NULL;
    s_trend_run run = {.f = f};
    const s_agg **ranked = NULL;
    size_t *column = NULL;
    memset(out, 0, sizeof *out);
    out->interval = interval;
    /* The day range: the data's own extent when the window is open-ended. */
    int64_t d0, d1;
    src = sqlite3_prepare_v2(s->db,
                             "SELECT min(day), max(day) FROM item_day WHERE items > 0"
                             " AND day >= ?1 AND day < ?2",
                             -1, &st, NULL);
    if (src != SQLITE_OK) return s_db_err(s, src, err, "prepare trends range");
    int64_t lo = f->since == INT64_MIN ? INT64_MIN / 86400 : s_floor_day(f->since);
    int64_t hi = f->until == INT64_MAX ? INT64_MAX / 86400 : s_floor_day(f->until - 1) + 1;
    sqlite3_bind_int64(st, 1, lo);
    sqlite3_bind_int64(st, 2, hi);
    if ((src = sqlite3_step(st)) != SQLITE_ROW) {
        rc = s_db_err(s, src, err, "trends range");
        goto out;
    }
    if (sqlite3_column_type(st, 0) == SQLITE_NULL) { /* nothing in the window */
        d0 = f->since == INT64_MIN ? 0 : lo;
        d1 = f->until == INT64_MAX ? d0 + 1 : hi;
        if (f->since == INT64_MIN && f->until == INT64_MAX) goto out;
    } else {
        d0 = f->since == INT64_MIN ? sqlite3_column_int64(st, 0) : lo;
        d1 = f->until == INT64_MAX ? sqlite3_column_int64(st, 1) + 1 : hi;
    }
    sqlite3_finalize(st);
    st = NULL;

    /* Periods. */
    size_t cap = 0;
    for (int64_t p = s_period_of(interval, d0); p < d1; p = s_next_period(interval, p)) {
        if (out->period_count >= 100000) {
            rc = voc_err_set(err, VOC_ELIMIT, "more than 100000 periods; use a longer interval");
            goto out;
        }
        voc_grow((void **)&out->period_start, &cap, out->period_count + 1,
                 sizeof *out->period_start);
        out->period_start[out->period_count++] = p;
    }
    out->totals = voc_calloc(out->period_count ? out->period_count : 1, sizeof *out->totals);

    /* The window's (day, theme) rows. */
    bool raw = f->where_count || f->negative || f->theme;
    if (raw && exact) {
        rc = s_trend_raw(s, &run, f->since, f->until, err);
    } else if (raw) {
        rc = s_trend_raw(s, &run, lo * 86400, hi * 86400, err);
    } else if (exact) {
        s_window w = s_split(f);
        rc = s_trend_rollup(s, &run, w.d0, w.d1, err);
        if (rc == 0) rc = s_trend_edge(s, &run, f->since, w.lead_end, err);
        if (rc == 0) rc = s_trend_edge(s, &run, w.tail_start, f->until, err);
    } else {
        rc = s_trend_rollup(s, &run, d0, d1, err);
    }
    if (rc) goto out;

    /* Themes ranked over the window, then the ones asked for. */
    ranked = voc_calloc(run.themes.n + 1, sizeof *ranked);
    column = voc_calloc(run.themes.n + 1, sizeof *column);
    for (size_t i = 0; i < run.themes.n; i++)
        ranked[i] = &run.themes.v[i];
    if (run.themes.n) qsort(ranked, run.themes.n, sizeof *ranked, s_cmp_rank);
    out->themes = voc_calloc(run.themes.n + 1, sizeof *out->themes);
    for (size_t i = 0; i < run.themes.n; i++) {
        const s_agg *g = ranked[i];
        column[g - run.themes.v] = SIZE_MAX;
        if (g->items <= 0 || !s_theme_selected(g->theme, themes)) continue;
        if (!themes && top && out->theme_count >= top) continue;
        column[g - run.themes.v] = out->theme_count;
        out->themes[out->theme_count++] = voc_strdup(g->theme);
    }
    out->counts = voc_calloc(out->period_count * out->theme_count + 1, sizeof *out->counts);
    out->sentiment_sum =
        voc_calloc(out->period_count * out->theme_count + 1, sizeof *out->sentiment_sum);
    out->sentiment_n =
        voc_calloc(out->period_count * out->theme_count + 1, sizeof *out->sentiment_n);

    /* Rows into periods. */
    for (size_t i = 0; i < run.row_count && out->period_count; i++) {
        const s_trow *row = &run.rows[i];
        if (row->day < d0 || row->day >= d1) continue;
        size_t pi = s_period_index(out->period_start, out->period_count, row->day);
        if (!row->theme) {
            out->totals[pi] += row->n;
            continue;
        }
        size_t col = column[s_agg_slot(&run.themes, row->theme) - run.themes.v];
        if (col == SIZE_MAX) continue;
        size_t k = pi * out->theme_count + col;
        out->counts[k] += row->n;
        out->sentiment_sum[k] += row->ss;
        out->sentiment_n[k] += row->sn;
    }
    for (size_t i = 0; i < out->period_count; i++)
        out->period_start[i] *= 86400;
out:
    sqlite3_finalize(st);
    free(ranked);
    free(column);
    free(run.rows);
    s_aggs_free(run.themes.v, run.themes.n);
    if (rc) voc_trends_clear(out);
    return rc;
}

int voc_store_trends(voc_store *s, const voc_filter *f, voc_interval interval,
                     const char *const *themes, size_t top, voc_trends *out, voc_err *err)
{
    bool began = s_read_begin(s);
    int rc = s_trends(s, f, interval, themes, top, false, out, err);
    s_read_end(s, began);
    return rc;
}

int voc_store_trends_exact(voc_store *s, const voc_filter *f, voc_interval interval,
                           const char *const *themes, size_t top, voc_trends *out, voc_err *err)
{
    bool began = s_read_begin(s);
    int rc = s_trends(s, f, interval, themes, top, true, out, err);
    s_read_end(s, began);
    return rc;
}

/* ---- NPS and summary ---------------------------------------------------- */

void voc_nps_rows_free(voc_nps_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(rows[i].key);
    free(rows);
}

/* Attribute, negativity or theme filters: only the items can answer. */
static bool s_item_filtered(const voc_filter *f)
{
    return f->where_count || f->negative || f->theme;
}

#define S_SUMMARY_COLS                                                                             \
    " count(*), coalesce(sum(i.sentiment), 0), count(i.sentiment),"                                \
    " coalesce(sum(i.scale IS 'nps'), 0), coalesce(sum(i.scale IS 'nps' AND i.score >= 9), 0),"    \
    " coalesce(sum(i.scale IS 'nps' AND i.score BETWEEN 7 AND 8), 0),"                             \
    " coalesce(sum(i.scale IS 'nps' AND i.score <= 6), 0)"

static void s_summary_add(voc_summary *out, sqlite3_stmt *st)
{
    out->items += sqlite3_column_int64(st, 0);
    out->sentiment_sum += sqlite3_column_double(st, 1);
    out->sentiment_n += sqlite3_column_int64(st, 2);
    out->responses += sqlite3_column_int64(st, 3);
    out->promoters += sqlite3_column_int64(st, 4);
    out->passives += sqlite3_column_int64(st, 5);
    out->detractors += sqlite3_column_int64(st, 6);
    out->tagged += sqlite3_column_int64(st, 7);
}

static int s_summary_read(voc_store *s, const voc_filter *f, voc_summary *out, voc_err *err)
{
    sqlite3_stmt *st = NULL;
    voc_buf q = {0};
    int rc = 0, src;
    memset(out, 0, sizeof *out);
    if (s_item_filtered(f)) {
        bool large;
        if ((rc = s_large_window(s, f, &large, err))) goto out;
        voc_buf_printf(&q,
                       "SELECT" S_SUMMARY_COLS ", coalesce(sum(EXISTS (SELECT 1 FROM"
                       " item_themes t WHERE t.item_id = i.id)), 0) FROM%s WHERE" S_FILTER_I,
                       S_ITEMS(large));
        s_item_filter_sql(&q, f);
        if ((rc = s_prepare(s, q.data, &st, err))) goto out;
        s_bind_filter(st, f);
        s_bind_where(st, f);
        if ((src = sqlite3_step(st)) != SQLITE_ROW) {
            rc = s_db_err(s, src, err, "summary");
            goto out;
        }
        s_summary_add(out, st);
        goto out;
    }
    /* Whole days from item_day, the partial days at the edges from the rows. */
    s_window w = s_split(f);
    rc = s_prepare(s,
                   "SELECT coalesce(sum(items), 0), coalesce(sum(sentiment_sum), 0),"
                   " coalesce(sum(sentiment_n), 0), coalesce(sum(scored), 0),"
                   " coalesce(sum(promoters), 0),"
                   " coalesce(sum(scored - promoters - detractors), 0),"
                   " coalesce(sum(detractors), 0), coalesce(sum(tagged), 0) FROM item_day"
                   " WHERE day >= ?1 AND day < ?2" S_KS(""),
                   &st, err);
    if (rc) goto out;
    s_bind_days(st, w.d0, w.d1, f);
    if ((src = sqlite3_step(st)) != SQLITE_ROW) {
        rc = s_db_err(s, src, err, "summary");
        goto out;
    }
    s_summary_add(out, st);
    sqlite3_finalize(st);
    st = NULL;
    rc = s_prepare(
        s,
        "SELECT" S_SUMMARY_COLS ", (SELECT count(DISTINCT t.item_id) FROM item_themes t"
        " WHERE t.created_at >= ?1 AND t.created_at < ?2" S_KS(
            "t.") ")"
                  " FROM items i WHERE i.created_at >= ?1 AND i.created_at < ?2" S_KS("i."),
        &st, err);
    if (rc) goto out;
    int64_t edges[2][2] = {{f->since, w.lead_end}, {w.tail_start, f->until}};
    for (int e = 0; e < 2 && rc == 0; e++) {
        if (edges[e][0] >= edges[e][1]) continue;
        s_bind_days(st, edges[e][0], edges[e][1], f);
        if ((src = sqlite3_step(st)) == SQLITE_ROW)
            s_summary_add(out, st);
        else
            rc = s_db_err(s, src, err, "summary edges");
        sqlite3_reset(st);
    }
out:
    sqlite3_finalize(st);
    voc_buf_free(&q);
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}

int voc_store_summary(voc_store *s, const voc_filter *f, voc_summary *out, voc_err *err)
{
    bool began = s_read_begin(s);
    int rc = s_summary_read(s, f, out, err);
    s_read_end(s, began);
    return rc;
}

static int s_nps_cmp(const void *a, const void *b)
{
    const voc_nps_row *x = a, *y = b;
    if (x->responses != y->responses) return x->responses < y->responses ? 1 : -1;
    return strcmp(x->key, y->key);
}

/* NPS by theme, source or kind from the daily rollups plus the rows of
 * the partial days at the window's edges. */
static int s_nps_rollup(voc_store *s, const voc_filter *f, voc_nps_by by, voc_nps_row **rows,
                        size_t *count, voc_err *err)
{
    static const char *const day_sql[] = {
        [VOC_NPS_BY_THEME] = "SELECT theme, scored, promoters, detractors FROM theme_day"
                             " WHERE day >= ?1 AND day < ?2" S_KS(""),
        [VOC_NPS_BY_SOURCE] = "SELECT source, scored, promoters, detractors FROM item_day"
                              " WHERE day >= ?1 AND day < ?2" S_KS(""),
        [VOC_NPS_BY_KIND] = "SELECT kind, scored, promoters, detractors FROM item_day"
                            " WHERE day >= ?1 AND day < ?2" S_KS(""),
    };
    static const char *const edge_sql[] = {
        [VOC_NPS_BY_THEME] = "SELECT t.theme, 1, t.nps_score >= 9, t.nps_score <= 6 FROM"
                             " item_themes t WHERE t.created_at >= ?1 AND t.created_at < ?2" S_KS(
                                 "t.") " AND t.nps_score IS NOT NULL",
        [VOC_NPS_BY_SOURCE] =
            "SELECT i.source, 1, i.score >= 9, i.score <= 6 FROM items i"
            " WHERE i.created_at >= ?1 AND i.created_at < ?2" S_KS("i.") " AND i.scale = 'nps'",
        [VOC_NPS_BY_KIND] =
            "SELECT i.kind, 1, i.score >= 9, i.score <= 6 FROM items i"
            " WHERE i.created_at >= ?1 AND i.created_at < ?2" S_KS("i.") " AND i.scale = 'nps'",
    };
    sqlite3_stmt *st = NULL;
    s_aggs a = {0};
    s_window w = s_split(f);
    const char *sql = by == VOC_NPS_BY_THEME && s_all_kinds(f)
                          ? "SELECT theme, scored, promoters, detractors FROM theme_day_all"
                            " WHERE day >= ?1 AND day < ?2"
                          : day_sql[by];
    int rc = s_prepare(s, sql, &st, err), src;
    int64_t ranges[3][2] = {{w.d0, w.d1}, {f->since, w.lead_end}, {w.tail_start, f->until}};
    for (int pass = 0; pass < 3 && rc == 0; pass++) {
        if (pass == 1) {
            sqlite3_finalize(st);
            st = NULL;
            if ((rc = s_prepare(s, edge_sql[by], &st, err))) break;
        }
        if (ranges[pass][0] >= ranges[pass][1]) continue;
        s_bind_days(st, ranges[pass][0], ranges[pass][1], f);
        while ((src = sqlite3_step(st)) == SQLITE_ROW) {
            s_agg *g = s_agg_slot(&a, (const char *)sqlite3_column_text(st, 0));
            g->scored += sqlite3_column_int64(st, 1);
            g->promoters += sqlite3_column_int64(st, 2);
            g->detractors += sqlite3_column_int64(st, 3);
        }
        if (src != SQLITE_DONE) rc = s_db_err(s, src, err, "nps groups");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc == 0) {
        *rows = voc_calloc(a.n + 1, sizeof **rows);
        for (size_t i = 0; i < a.n; i++) {
            const s_agg *g = &a.v[i];
            if (g->scored <= 0) continue;
            (*rows)[(*count)++] =
                (voc_nps_row){voc_strdup(g->theme), g->scored, g->promoters,
                              g->scored - g->promoters - g->detractors, g->detractors};
        }
        if (*count) qsort(*rows, *count, sizeof **rows, s_nps_cmp);
    }
    s_aggs_free(a.v, a.n);
    return rc;
}

#define S_NPS_COLS                                                                                 \
    " count(*), coalesce(sum(i.score >= 9), 0), coalesce(sum(i.score BETWEEN 7 AND 8), 0),"        \
    " coalesce(sum(i.score <= 6), 0)"

static int s_nps_read(voc_store *s, const voc_filter *f, voc_nps_by by, const char *attr,
                      voc_nps_row *overall, voc_nps_row **rows, size_t *count, voc_err *err)
{
    static const char *const group_sql[] = {
        [VOC_NPS_BY_THEME] = "SELECT t.theme," S_NPS_COLS " FROM%s WHERE i.scale = 'nps'"
                             " AND" S_FILTER_I S_THEME_P("t."),
        [VOC_NPS_BY_SOURCE] = "SELECT i.source," S_NPS_COLS " FROM%s WHERE i.scale = 'nps'"
                              " AND" S_FILTER_I,
        [VOC_NPS_BY_KIND] = "SELECT i.kind," S_NPS_COLS " FROM%s WHERE i.scale = 'nps'"
                            " AND" S_FILTER_I,
        [VOC_NPS_BY_ATTR] =
            "SELECT coalesce(json_extract(i.attrs, '$.' || ?5), '(none)')," S_NPS_COLS
            " FROM%s WHERE i.scale = 'nps' AND" S_FILTER_I,
    };
    sqlite3_stmt *st = NULL;
    voc_buf q = {0};
    voc_summary sum;
    int rc = 0, src;
    *rows = NULL;
    *count = 0;
    memset(overall, 0, sizeof *overall);
    if ((rc = voc_store_summary(s, f, &sum, err))) return rc;
    *overall = (voc_nps_row){voc_strdup("all"), sum.responses, sum.promoters, sum.passives,
                             sum.detractors};
    if (by != VOC_NPS_BY_ATTR && !s_item_filtered(f)) {
        rc = s_nps_rollup(s, f, by, rows, count, err);
        goto out;
    }
    bool large;
    if ((rc = s_large_window(s, f, &large, err))) goto out;
    voc_buf_printf(&q, group_sql[by], by == VOC_NPS_BY_THEME ? S_ITEM_TAGS(large) : S_ITEMS(large));
    s_item_filter_sql(&q, f);
    voc_buf_puts(&q, " GROUP BY 1 ORDER BY 2 DESC, 1");
    if ((rc = s_prepare(s, q.data, &st, err))) goto out;
    s_bind_filter(st, f);
    s_bind_where(st, f);
    if (by == VOC_NPS_BY_ATTR) s_bind_text(st, 5, attr);
    size_t cap = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        voc_grow((void **)rows, &cap, *count + 1, sizeof **rows);
        (*rows)[(*count)++] = (voc_nps_row){
            voc_strdup((const char *)sqlite3_column_text(st, 0)), sqlite3_column_int64(st, 1),
            sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4)};
    }
    if (src != SQLITE_DONE) rc = s_db_err(s, src, err, "nps");
out:
    sqlite3_finalize(st);
    voc_buf_free(&q);
    if (rc) {
        voc_nps_rows_free(*rows, *count);
        *rows = NULL;
        *count = 0;
        free(overall->key);
        memset(overall, 0, sizeof *overall);
    }
    return rc;
}

int voc_store_nps(voc_store *s, const voc_filter *f, voc_nps_by by, const char *attr,
                  voc_nps_row *overall, voc_nps_row **rows, size_t *count, voc_err *err)
{
    bool began = s_read_begin(s);
    int rc = s_nps_read(s, f, by, attr, overall, rows, count, err);
    s_read_end(s, began);
    return rc;
}

/* ---- quotes --------------------------------------------------------------- */

void voc_quotes_free(voc_quote *q, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(q[i].uid);
        free(q[i].theme);
        free(q[i].text);
        free(q[i].evidence);
    }
    free(q);
}

static bool s_has_index(voc_store *s, const char *name)
{
    sqlite3_stmt *st = NULL;
    bool has = false;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        has = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return has;
}

static int s_quotes_read(voc_store *s, const voc_filter *f, size_t limit, voc_quote **out,
                         size_t *count, voc_err *err)
{
    voc_buf q = {0};
    sqlite3_stmt *st = NULL, *deeper = NULL, *get = NULL;
    int rc = 0, src;
    size_t cap = 0;
    *out = NULL;
    *count = 0;
    /* The candidates, strongest first, every filter applied; a theme is a
     * range of item_themes_theme ([X, X/) holds X and X.*; the exact test
     * stays), which carries every column looked at here. */
    /* With a theme, its range of item_themes_theme is narrower than any
     * window: the attributes are read for its tags only. */
    bool large = false;
    if (f->where_count && !f->theme && (rc = s_large_window(s, f, &large, err))) goto out;
    /* A bulk retag may have the index down for a while: then no hint. */
    bool ix = f->theme && s_has_index(s, "item_themes_theme");
    const char *from = large ? S_ITEM_TAGS(true)
                       : f->where_count && ix
                           ? " item_themes t INDEXED BY item_themes_theme JOIN items i"
                             " ON i.id = t.item_id"
                       : f->where_count ? " item_themes t JOIN items i ON i.id = t.item_id"
                       : ix             ? " item_themes t INDEXED BY item_themes_theme"
                                        : " item_themes t";
    voc_buf_printf(&q,
                   "SELECT t.item_id, t.theme, t.created_at, t.score, t.sentiment, t.nps_score"
                   " FROM%s WHERE t.created_at >= ?1 AND t.created_at < ?2" S_KS("t.")
                       S_THEME_P("t.") "%s%s%s",
                   from, f->where_count ? " AND i.created_at >= ?1 AND i.created_at < ?2" : "",
                   f->theme ? " AND t.theme >= ?10 AND t.theme < ?10 || '/'" : "",
                   f->negative ? " AND (t.sentiment < -0.05 OR t.nps_score <= 6)" : "");
    s_where_sql(&q, f);
    /* Ties in the order of item_themes_window, as the query that scanned it
     * gave them. */
    voc_buf_puts(&q, " ORDER BY t.score DESC, t.created_at DESC, t.theme, t.kind, t.source,"
                     " t.item_id");
    if ((rc = s_prepare(s, q.data, &st, err)) ||
        /* One row per item: the deepest matching theme (longest id) speaks
         * for it, so a tag with a sub-theme under it on the same item is
         * skipped. Checked only for candidates reached before the limit. */
        (rc = s_prepare(s,
                        "SELECT 1 FROM item_themes u WHERE u.item_id = ?1 AND"
                        " length(u.theme) > length(?2) AND"
                        " substr(u.theme, 1, length(?2) + 1) = ?2 || '.'",
                        &deeper, err)) ||
        (rc = s_prepare(s,
                        "SELECT i.uid, i.text, t.evidence FROM items i JOIN item_themes t"
                        " ON t.item_id = i.id AND t.theme = ?2 WHERE i.id = ?1",
                        &get, err)))
        goto out;
    s_bind_filter(st, f);
    s_bind_where(st, f);
    while ((!limit || *count < limit) && (src = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t item_id = sqlite3_column_int64(st, 0);
        const char *theme = (const char *)sqlite3_column_text(st, 1);
        sqlite3_bind_int64(deeper, 1, item_id);
        sqlite3_bind_text(deeper, 2, theme, -1, SQLITE_STATIC);
        int d = sqlite3_step(deeper);
        sqlite3_reset(deeper);
        if (d == SQLITE_ROW) continue;
        if (d != SQLITE_DONE) {
            rc = s_db_err(s, d, err, "quotes");
            goto out;
        }
        sqlite3_bind_int64(get, 1, item_id);
        sqlite3_bind_text(get, 2, theme, -1, SQLITE_STATIC);
        int g = sqlite3_step(get);
        if (g == SQLITE_ROW) {
            voc_grow((void **)out, &cap, *count + 1, sizeof **out);
            voc_quote *x = &(*out)[(*count)++];
            x->uid = s_col_dup(get, 0);
            x->theme = voc_strdup(theme);
            x->created_at = sqlite3_column_int64(st, 2);
            x->score = sqlite3_column_double(st, 3);
            x->sentiment =
                sqlite3_column_type(st, 4) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 4);
            x->nps = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 5);
            x->text = s_col_dup(get, 1);
            x->evidence = s_col_dup(get, 2);
        }
        sqlite3_reset(get);
        if (g != SQLITE_ROW && g != SQLITE_DONE) {
            rc = s_db_err(s, g, err, "quotes");
            goto out;
        }
    }
    if (!(limit && *count >= limit) && src != SQLITE_DONE) rc = s_db_err(s, src, err, "quotes");
out:
    sqlite3_finalize(st);
    sqlite3_finalize(deeper);
    sqlite3_finalize(get);
    voc_buf_free(&q);
    if (rc) {
        voc_quotes_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return rc;
}

int voc_store_quotes(voc_store *s, const voc_filter *f, size_t limit, voc_quote **out,
                     size_t *count, voc_err *err)
{
    bool began = s_read_begin(s);
    int rc = s_quotes_read(s, f, limit, out, count, err);
    s_read_end(s, began);
    return rc;
}

/* ---- export --------------------------------------------------------------- */

/* voc_export_themes(theme, score, sentiment): an item's tags as one blob,
 * per tag the id's length (uint32), the id and a NUL, then score and
 * sentiment (NAN for none) as doubles. Built in the buffer the function was
 * registered with (an item's tags are aggregated one item at a time), so
 * the reals never go through text on their way to the caller. */
static void s_pack_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    voc_buf *b = sqlite3_user_data(ctx);
    int *started = sqlite3_aggregate_context(ctx, sizeof *started);
    if (!started) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (!*started) {
        voc_buf_reset(b);
        *started = 1;
    }
    const unsigned char *id = sqlite3_value_text(argv[0]);
    uint32_t len = id ? (uint32_t)sqlite3_value_bytes(argv[0]) : 0;
    double score = sqlite3_value_double(argv[1]);
    double sentiment =
        sqlite3_value_type(argv[2]) == SQLITE_NULL ? NAN : sqlite3_value_double(argv[2]);
    voc_buf_append(b, &len, sizeof len);
    voc_buf_append(b, id ? (const char *)id : "", len);
    voc_buf_putc(b, '\0');
    voc_buf_append(b, &score, sizeof score);
    voc_buf_append(b, &sentiment, sizeof sentiment);
}

static void s_pack_final(sqlite3_context *ctx)
{
    voc_buf *b = sqlite3_user_data(ctx);
    int *started = sqlite3_aggregate_context(ctx, 0);
    if (started && *started)
        sqlite3_result_blob(ctx, b->data, (int)b->len, SQLITE_TRANSIENT);
    else
        sqlite3_result_null(ctx);
}

/* Unpack a voc_export_themes blob into *themes (grown, reused across
 * rows; ids point into the blob), sorted by id. */
static size_t s_unpack_themes(const unsigned char *p, size_t len, voc_export_theme **themes,
                              size_t *cap)
{
    size_t n = 0;
    while (p && len >= sizeof(uint32_t)) {
        uint32_t idlen;
        memcpy(&idlen, p, sizeof idlen);
        size_t need = sizeof idlen + idlen + 1 + 2 * sizeof(double);
        if (len < need) break;
        voc_grow((void **)themes, cap, n + 1, sizeof **themes);
        voc_export_theme *t = &(*themes)[n++];
        t->id = (const char *)p + sizeof idlen;
        memcpy(&t->score, p + sizeof idlen + idlen + 1, sizeof t->score);
        memcpy(&t->sentiment, p + sizeof idlen + idlen + 1 + sizeof t->score, sizeof t->sentiment);
        p += need;
        len -= need;
    }
    /* The tags come in primary key order, which is id order; make sure. */
    for (size_t i = 1; i < n; i++) {
        voc_export_theme t = (*themes)[i];
        size_t k = i;
        for (; k > 0 && strcmp((*themes)[k - 1].id, t.id) > 0; k--)
            (*themes)[k] = (*themes)[k - 1];
        (*themes)[k] = t;
    }
    return n;
}

/* "2026-03-04T10:11:12Z" of epoch second t, as strftime('%Y-%m-%dT%H:%M:%SZ')
 * gives it; the date part is kept in *day_buf for the next row (rows come
 * in time order, so most share the day before them). */
static const char *s_iso_time(int64_t t, int64_t *day, char buf[VOC_TIME_BUF])
{
    int64_t d = s_floor_day(t);
    if (d != *day) {
        voc_time_format(t, buf);
        *day = d;
        return buf;
    }
    int64_t tod = t - d * 86400;
    int hh = (int)(tod / 3600), mm = (int)(tod / 60 % 60), ss = (int)(tod % 60);
    char *p = buf + strlen(buf) - 9; /* "HH:MM:SSZ" */
    p[0] = (char)('0' + hh / 10);
    p[1] = (char)('0' + hh % 10);
    p[3] = (char)('0' + mm / 10);
    p[4] = (char)('0' + mm % 10);
    p[6] = (char)('0' + ss / 10);
    p[7] = (char)('0' + ss % 10);
    return buf;
}

double voc_store_json_double(double x)
{
    /* Short binary fractions print exactly: skip the text round trip. */
    if (fabs(x) < 1e9 && x * 8 == (double)(int64_t)(x * 8) && !(x == 0 && signbit(x))) return x;
    char b[64];
    sqlite3_snprintf(sizeof b, b, "%!0.15g", x);
    return strtod(b, NULL);
}

int voc_store_export(voc_store *s, const voc_filter *f,
                     int (*fn)(void *user, const voc_export_row *row), void *user, voc_err *err)
{
    voc_buf q = {0}, pack = {0};
    sqlite3_stmt *st = NULL;
    voc_export_theme *themes = NULL;
    size_t theme_cap = 0;
    bool scan = false, writable = !(s->flags & VOC_STORE_READONLY);
    int rc = s_large_window(s, f, &scan, err), src;
    if (rc) return rc;
    /* The sort spills to temporary files in runs of the page cache's size:
     * memory stays flat. */
    if (scan &&
        (rc = s_exec(s, "PRAGMA temp_store=FILE; PRAGMA cache_size=-" S_EXPORT_SORT_KIB, err)))
        goto out;
    src = sqlite3_create_function_v2(s->db, "voc_export_themes", 3, SQLITE_UTF8, &pack, NULL,
                                     s_pack_step, s_pack_final, NULL);
    if (src != SQLITE_OK) {
        rc = s_db_err(s, src, err, "export");
        goto out;
    }
    voc_buf_printf(&q,
                   "SELECT i.created_at, i.uid, i.source, i.kind, i.customer_id, i.account,"
                   " i.subject, i.text, i.attrs, (SELECT voc_export_themes(theme, score,"
                   " sentiment) FROM item_themes WHERE item_id = i.id), i.score, i.scale,"
                   " i.sentiment FROM items i%s WHERE i.created_at >= ?1 AND"
                   " i.created_at < ?2" S_KS("i."),
                   scan ? " NOT INDEXED" : "");
    s_item_filter_sql(&q, f);
    voc_buf_puts(&q, " ORDER BY i.created_at, i.id");
    if ((rc = s_prepare(s, q.data, &st, err))) goto out;
    s_bind_filter(st, f);
    s_bind_where(st, f);
    int64_t day = INT64_MIN;
    char iso[VOC_TIME_BUF];
    while (rc == 0 && (src = sqlite3_step(st)) == SQLITE_ROW) {
        voc_export_row r = {
            .created_at_iso = s_iso_time(sqlite3_column_int64(st, 0), &day, iso),
            .uid = (const char *)sqlite3_column_text(st, 1),
            .source = (const char *)sqlite3_column_text(st, 2),
            .kind = (const char *)sqlite3_column_text(st, 3),
            .customer_id = (const char *)sqlite3_column_text(st, 4),
            .account = (const char *)sqlite3_column_text(st, 5),
            .subject = (const char *)sqlite3_column_text(st, 6),
            .text = (const char *)sqlite3_column_text(st, 7),
            .attrs_json = (const char *)sqlite3_column_text(st, 8),
            .score = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 10),
            .scale = (const char *)sqlite3_column_text(st, 11),
            .sentiment =
                sqlite3_column_type(st, 12) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 12),
        };
        const unsigned char *blob = sqlite3_column_blob(st, 9);
        r.theme_count =
            s_unpack_themes(blob, (size_t)sqlite3_column_bytes(st, 9), &themes, &theme_cap);
        r.themes = themes;
        if (fn(user, &r)) rc = voc_err_set(err, VOC_EIO, "export stopped: output failed");
    }
    if (rc == 0 && src != SQLITE_DONE) rc = s_db_err(s, src, err, "export");
out:
    sqlite3_finalize(st);
    sqlite3_create_function_v2(s->db, "voc_export_themes", 3, SQLITE_UTF8, NULL, NULL, NULL, NULL,
                               NULL);
    if (scan)
        sqlite3_exec(s->db,
                     writable ? "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536"
                              : "PRAGMA temp_store=DEFAULT; PRAGMA cache_size=-" S_READ_CACHE_KIB,
                     NULL, NULL, NULL);
    voc_buf_free(&q);
    voc_buf_free(&pack);
    free(themes);
    return rc;
}

static int s_theme_counts_read(voc_store *s, const voc_filter *f, voc_count_row **rows,
                               size_t *count, int64_t *total, voc_err *err)
{
    s_agg *a = NULL;
    size_t n = 0;
    int64_t tagged;
    *rows = NULL;
    *count = 0;
    int rc = s_top_counts(s, f, NULL, &a, &n, total, &tagged, err);
    if (rc) return rc;
    *rows = voc_calloc(n ? n : 1, sizeof **rows);
    for (size_t i = 0; i < n; i++) {
        (*rows)[i].key = a[i].theme;
        (*rows)[i].count = a[i].items;
        a[i].theme = NULL;
    }
    *count = n;
    s_aggs_free(a, n);
    return 0;
}

int voc_store_theme_counts(voc_store *s, const voc_filter *f, voc_count_row **rows, size_t *count,
                           int64_t *total, voc_err *err)
{
    bool began = s_read_begin(s);
    int rc = s_theme_counts_read(s, f, rows, count, total, err);
    s_read_end(s, began);
    return rc;
}

/* ---- search --------------------------------------------------------------- */

static int s_search_read(voc_store *s, const voc_filter *f, const char *query, size_t limit,
                         const char *mark_on, const char *mark_off, voc_search_hit **out,
                         size_t *count, voc_err *err)
{
    voc_buf q = {0};
    sqlite3_stmt *st = NULL;
    *out = NULL;
    *count = 0;
    /* ORDER BY rank (bm25) is answered inside FTS5: it ranks the matches by
     * rowid and score alone, and the items row, the filters and the snippet
     * are only worked out for hits in rank order until the limit is met. */
    voc_buf_puts(
        &q, "SELECT i.uid, i.created_at, i.kind, i.source, items_fts.rank,"
            " snippet(items_fts, 0, ?21, ?22, '…', 16) FROM items_fts"
            " JOIN items i ON i.id = items_fts.rowid"
            " WHERE items_fts MATCH ?20 AND i.created_at >= ?1 AND i.created_at < ?2" S_KS("i."));
    s_item_filter_sql(&q, f);
    voc_buf_puts(&q, " ORDER BY items_fts.rank LIMIT ?23");
    int src = sqlite3_prepare_v2(s->db, q.data, -1, &st, NULL);
    voc_buf_free(&q);
    if (src != SQLITE_OK) return s_db_err(s, src, err, "prepare search");
    s_bind_filter(st, f);
    s_bind_where(st, f);
    s_bind_text(st, 20, query);
    s_bind_text(st, 21, mark_on);
    s_bind_text(st, 22, mark_off);
    sqlite3_bind_int64(st, 23, limit ? (int64_t)limit : -1);
    size_t cap = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        voc_grow((void **)out, &cap, *count + 1, sizeof **out);
        voc_search_hit *h = &(*out)[(*count)++];
        h->uid = s_col_dup(st, 0);
        h->created_at = sqlite3_column_int64(st, 1);
        h->kind = s_col_dup(st, 2);
        h->source = s_col_dup(st, 3);
        h->rank = sqlite3_column_double(st, 4);
        h->snippet = s_col_dup(st, 5);
    }
    int rc = 0;
    if (src != SQLITE_DONE) {
        /* A malformed query is the user's to fix: say so plainly. */
        rc = (src & 0xff) == SQLITE_ERROR
                 ? voc_err_set(err, VOC_EINVAL,
                               "search query '%s': %s (use words, \"phrases\","
                               " OR, NOT, prefix*)",
                               query, sqlite3_errmsg(s->db))
                 : s_db_err(s, src, err, "search");
        voc_search_hits_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

int voc_store_search(voc_store *s, const voc_filter *f, const char *query, size_t limit,
                     const char *mark_on, const char *mark_off, voc_search_hit **out, size_t *count,
                     voc_err *err)
{
    bool began = s_read_begin(s);
    int rc = s_search_read(s, f, query, limit, mark_on, mark_off, out, count, err);
    s_read_end(s, began);
    return rc;
}

void voc_search_hits_free(voc_search_hit *h, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(h[i].uid);
        free(h[i].kind);
        free(h[i].source);
        free(h[i].snippet);
    }
    free(h);
}

int voc_store_search_catch_up(voc_store *s, int64_t *indexed, voc_err *err)
{
    *indexed = 0;
    int rc;
    if ((rc = voc_store_begin(s, err))) return rc;
    rc = s_exec(s,
                "INSERT INTO items_fts (rowid, text, subject) SELECT id, text, subject FROM items"
                " WHERE id > (SELECT upto FROM fts_state) ORDER BY id",
                err);
    if (rc == 0) *indexed = sqlite3_changes64(s->db);
    if (rc == 0)
        rc = s_exec(s, "UPDATE fts_state SET upto = (SELECT coalesce(max(id), 0) FROM items)", err);
    if (rc) {
        voc_store_rollback(s);
        return rc;
    }
    return voc_store_commit(s, err);
}

int voc_store_search_pending(voc_store *s, int64_t *pending, voc_err *err)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db,
                                 "SELECT count(*) FROM items WHERE id > (SELECT upto FROM"
                                 " fts_state)",
                                 -1, &st, NULL);
    if (src != SQLITE_OK) return s_db_err(s, src, err, "prepare search pending");
    int rc = 0;
    if ((src = sqlite3_step(st)) == SQLITE_ROW)
        *pending = sqlite3_column_int64(st, 0);
    else
        rc = s_db_err(s, src, err, "search pending");
    sqlite3_finalize(st);
    return rc;
}
