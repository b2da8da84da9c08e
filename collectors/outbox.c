/* outbox.c: SQLite-backed durable outbox (see outbox.h). */
#include "collectors/outbox.h"

#include "common/alloc.h"
#include "common/vtime.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

enum { S_PUT, S_READ, S_DELETE, S_DEPTH, S_NSTMT };

static const char *const s_sql[S_NSTMT] = {
    [S_PUT] = "INSERT INTO outbox (payload, origin, enqueued_at) VALUES (?1, ?2, ?3)",
    [S_READ] = "SELECT id, payload, origin FROM outbox WHERE id > ?1 ORDER BY id LIMIT ?2",
    [S_DELETE] = "DELETE FROM outbox WHERE id BETWEEN ?1 AND ?2",
    [S_DEPTH] = "SELECT count(*) FROM outbox",
};

struct voc_outbox {
    sqlite3 *db;
    sqlite3_stmt *st[S_NSTMT];
    int lock_fd;
    /* Rows in the table, kept as rows come and go (count(*) reads every
     * row, and the depth is asked for after each commit); pending is the
     * change made by the open transaction. */
    int64_t depth, pending;
    bool durable;
};

static int s_delete(voc_outbox *ob, int64_t first_id, int64_t last_id, voc_err *err);

static void s_moved(voc_outbox *ob, int64_t n)
{
    if (sqlite3_get_autocommit(ob->db))
        ob->depth += n;
    else
        ob->pending += n;
}

static int s_err(voc_outbox *ob, voc_err *err, const char *what)
{
    int rc = sqlite3_errcode(ob->db) & 0xff;
    int code = rc == SQLITE_FULL ? VOC_EFULL : rc == SQLITE_BUSY ? VOC_EBUSY : VOC_EDB;
    return voc_err_set(err, code, "outbox %s: %s", what, sqlite3_errmsg(ob->db));
}

static void s_mkdirs(const char *path)
{
    char *dir = voc_strdup(path);
    for (char *p = dir + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0700);
            *p = '/';
        }
    }
    free(dir);
}

int voc_outbox_open(voc_outbox **out, const char *path, bool durable, voc_err *err)
{
    int rc = 0;
    char *lock_path = NULL;
    voc_outbox *ob = voc_calloc(1, sizeof *ob);
    ob->lock_fd = -1;
    ob->durable = durable;
    *out = NULL;
    s_mkdirs(path);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = voc_err_set(err, VOC_EIO, "cannot open outbox %s: %s", path, strerror(errno));
        goto out;
    }
    close(fd);
    /* A separate lock file: SQLite's own locks on the database must not be
     * disturbed by ours. */
    lock_path = voc_asprintf("%s.lock", path);
    ob->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (ob->lock_fd < 0) {
        rc = voc_err_set(err, VOC_EIO, "cannot open %s: %s", lock_path, strerror(errno));
        goto out;
    }
    if (flock(ob->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        rc = voc_err_set(err, VOC_EBUSY,
                         "outbox %s is in use by another collector (choose another with "
                         "--outbox)",
                         path);
        goto out;
    }
    if (sqlite3_open_v2(path, &ob->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = s_err(ob, err, "open");
        goto out;
    }
    sqlite3_busy_timeout(ob->db, 5000);
    char *msg = NULL;
    const char *setup = durable ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
    if (sqlite3_exec(ob->db, setup, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(ob->db,
                     "CREATE TABLE IF NOT EXISTS outbox ("
                     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                     " payload BLOB NOT NULL,"
                     " origin TEXT,"
                     " enqueued_at INTEGER NOT NULL)",
                     NULL, NULL, &msg) != SQLITE_OK) {
        rc = voc_err_set(err, VOC_EDB, "outbox %s: %s", path, msg ? msg : "setup failed");
        sqlite3_free(msg);
        goto out;
    }
    for (int i = 0; i < S_NSTMT; i++) {
        if (sqlite3_prepare_v3(ob->db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &ob->st[i], NULL) !=
            SQLITE_OK) {
            rc = s_err(ob, err, "prepare");
            goto out;
        }
    }
    if (rc == 0) {
        sqlite3_stmt *st = ob->st[S_DEPTH];
        ob->depth = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
    }
out:
    free(lock_path);
    if (rc) voc_outbox_destroy(&ob);
    *out = ob;
    return rc;
}

void voc_outbox_destroy(voc_outbox **self_p)
{
    if (!self_p || !*self_p) return;
    voc_outbox *ob = *self_p;
    for (int i = 0; i < S_NSTMT; i++)
        sqlite3_finalize(ob->st[i]);
    sqlite3_close(ob->db);
    if (ob->lock_fd >= 0) close(ob->lock_fd); /* releases the flock */
    free(ob);
    *self_p = NULL;
}

int voc_outbox_begin(voc_outbox *ob, voc_err *err)
{
    if (sqlite3_exec(ob->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return s_err(ob, err, "begin");
    return 0;
}

int voc_outbox_commit(voc_outbox *ob, voc_err *err)
{
    if (sqlite3_exec(ob->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        int rc = s_err(ob, err, "commit");
        sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, NULL);
        ob->pending = 0;
        return rc;
    }
    ob->depth += ob->pending;
    ob->pending = 0;
    return 0;
}

void voc_outbox_rollback(voc_outbox *ob)
{
    if (!sqlite3_get_autocommit(ob->db)) sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, NULL);
    ob->pending = 0;
}

int voc_outbox_put(voc_outbox *ob, const void *payload, size_t len, const char *origin,
                   voc_err *err)
{
    sqlite3_stmt *st = ob->st[S_PUT];
    sqlite3_bind_blob(st, 1, len ? payload : "", (int)len, SQLITE_STATIC);
    if (origin)
        sqlite3_bind_text(st, 2, origin, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_int64(st, 3, voc_time_now());
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : s_err(ob, err, "put");
    if (rc == 0) s_moved(ob, 1);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

void voc_outbox_rows_free(voc_outbox_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(rows[i].payload);
        free(rows[i].origin);
    }
    free(rows);
}

int voc_outbox_read(voc_outbox *ob, int64_t after_id, size_t max_rows, size_t max_bytes,
                    voc_outbox_row **rows, size_t *count, voc_err *err)
{
    sqlite3_stmt *st = ob->st[S_READ];
    voc_outbox_row *out = NULL;
    size_t n = 0, cap = 0, bytes = 0;
    int rc = 0, src;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max_rows);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        if (n > 0 && bytes + len > max_bytes) break;
        voc_grow((void **)&out, &cap, n + 1, sizeof *out);
        const void *blob = sqlite3_column_blob(st, 1);
        out[n].id = sqlite3_column_int64(st, 0);
        out[n].payload = voc_malloc(len + 1);
        if (len) memcpy(out[n].payload, blob, len);
        out[n].payload[len] = '\0';
        out[n].len = len;
        out[n].origin = voc_strdup((const char *)sqlite3_column_text(st, 2));
        n++;
        bytes += len;
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE) rc = s_err(ob, err, "read");
    sqlite3_reset(st);
    if (rc) {
        voc_outbox_rows_free(out, n);
        out = NULL;
        n = 0;
    }
    *rows = out;
    *count = n;
    return rc;
}

/* Deleting acked rows needs no fsync of its own: a delete lost in a power
 * cut only means those rows are sent again, and the processor stores them
 * once. The next durable commit syncs it along. */
int voc_outbox_delete(voc_outbox *ob, int64_t first_id, int64_t last_id, voc_err *err)
{
    bool relax = ob->durable && sqlite3_get_autocommit(ob->db);
    if (relax) sqlite3_exec(ob->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    int rc = s_delete(ob, first_id, last_id, err);
    if (relax) sqlite3_exec(ob->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    return rc;
}

static int s_delete(voc_outbox *ob, int64_t first_id, int64_t last_id, voc_err *err)
{
    sqlite3_stmt *st = ob->st[S_DELETE];
    sqlite3_bind_int64(st, 1, first_id);
    sqlite3_bind_int64(st, 2, last_id);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : s_err(ob, err, "delete");
    if (rc == 0) s_moved(ob, -(int64_t)sqlite3_changes(ob->db));
    sqlite3_reset(st);
    return rc;
}

int64_t voc_outbox_depth(voc_outbox *ob)
{
    return ob->depth + ob->pending;
}
