/* outbox.c: SQLite-backed durable outbox (see outbox.h).
 *
 * Shared mode (voc_outbox_share) gives the reader thread its own read-only
 * connection and a queue of delete ranges; the writer's connection applies
 * the queue at the start of its next transaction. Depth is one atomic
 * counter either thread may read. */
#include "collectors/outbox.h"

#include "common/alloc.h"
#include "common/vtime.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

enum { S_PUT, S_READ, S_DELETE, S_DEPTH, S_NSTMT };
/* The reader connection's statements (shared mode). */
enum { S_R_READ, S_R_COUNT, S_NRSTMT };

static const char *const s_sql[S_NSTMT] = {
    [S_PUT] = "INSERT INTO outbox (payload, origin, enqueued_at) VALUES (?1, ?2, ?3)",
    [S_READ] = "SELECT id, payload, origin FROM outbox WHERE id > ?1 ORDER BY id LIMIT ?2",
    [S_DELETE] = "DELETE FROM outbox WHERE id BETWEEN ?1 AND ?2",
    [S_DEPTH] = "SELECT count(*) FROM outbox",
};

static const char *const s_rsql[S_NRSTMT] = {
    [S_R_READ] = "SELECT id, payload, origin FROM outbox WHERE id > ?1 ORDER BY id LIMIT ?2",
    [S_R_COUNT] = "SELECT count(*) FROM outbox WHERE id BETWEEN ?1 AND ?2",
};

typedef struct s_range {
    int64_t first, last;
} s_range;

typedef struct s_ranges {
    s_range *v;
    size_t count, cap;
} s_ranges;

struct voc_outbox {
    sqlite3 *db; /* the writer's connection (the only one unless shared) */
    sqlite3_stmt *st[S_NSTMT];
    sqlite3 *rdb; /* shared: the reader's read-only connection */
    sqlite3_stmt *rst[S_NRSTMT];
    int lock_fd;
    /* Rows in the table, kept as rows come and go (count(*) reads every
     * row, and the depth is asked for after each commit); in a shared
     * outbox, minus the rows of queued deletes. pending is the change made
     * by the open transaction (writer only). */
    atomic_llong depth;
    int64_t pending;
    bool durable;
    bool shared;
    pthread_mutex_t queue_lock;
    s_ranges queued; /* deletes the reader asked for */
    s_ranges taken;  /* the writer's: applied in the open transaction */
};

static void s_moved(voc_outbox *ob, int64_t n)
{
    if (sqlite3_get_autocommit(ob->db))
        atomic_fetch_add(&ob->depth, n);
    else
        ob->pending += n;
}

static int s_err_db(sqlite3 *db, voc_err *err, const char *what)
{
    int rc = sqlite3_errcode(db) & 0xff;
    int code = rc == SQLITE_FULL ? VOC_EFULL : rc == SQLITE_BUSY ? VOC_EBUSY : VOC_EDB;
    return voc_err_set(err, code, "outbox %s: %s", what, sqlite3_errmsg(db));
}

static int s_err(voc_outbox *ob, voc_err *err, const char *what)
{
    return s_err_db(ob->db, err, what);
}

static void s_ranges_add(s_ranges *r, int64_t first, int64_t last)
{
    /* Acks mostly come in order: extend the last range when adjacent. */
    if (r->count && r->v[r->count - 1].last + 1 == first) {
        r->v[r->count - 1].last = last;
        return;
    }
    voc_grow((void **)&r->v, &r->cap, r->count + 1, sizeof *r->v);
    r->v[r->count++] = (s_range){first, last};
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
    atomic_init(&ob->depth, 0);
    pthread_mutex_init(&ob->queue_lock, NULL);
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
    /* NOMUTEX: a connection is only ever used by one thread at a time. */
    if (sqlite3_open_v2(path, &ob->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
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
        atomic_store(&ob->depth, sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0);
        sqlite3_reset(st);
    }
out:
    free(lock_path);
    if (rc) voc_outbox_destroy(&ob);
    *out = ob;
    return rc;
}

int voc_outbox_share(voc_outbox *ob, voc_err *err)
{
    if (ob->shared) return 0;
    const char *path = sqlite3_db_filename(ob->db, "main");
    if (sqlite3_open_v2(path, &ob->rdb, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK)
        return s_err_db(ob->rdb, err, "open reader");
    sqlite3_busy_timeout(ob->rdb, 5000);
    for (int i = 0; i < S_NRSTMT; i++)
        if (sqlite3_prepare_v3(ob->rdb, s_rsql[i], -1, SQLITE_PREPARE_PERSISTENT, &ob->rst[i],
                               NULL) != SQLITE_OK)
            return s_err_db(ob->rdb, err, "prepare reader");
    ob->shared = true;
    return 0;
}

static int s_apply(voc_outbox *ob, const s_ranges *r, voc_err *err);

void voc_outbox_destroy(voc_outbox **self_p)
{
    if (!self_p || !*self_p) return;
    voc_outbox *ob = *self_p;
    /* Deletes still queued at exit: apply them, or a restart resends those
     * rows (harmless, but avoidable). */
    if (ob->db && ob->queued.count && sqlite3_get_autocommit(ob->db))
        (void)voc_outbox_flush_deletes(ob, NULL);
    for (int i = 0; i < S_NRSTMT; i++)
        sqlite3_finalize(ob->rst[i]);
    sqlite3_close(ob->rdb);
    for (int i = 0; i < S_NSTMT; i++)
        sqlite3_finalize(ob->st[i]);
    sqlite3_close(ob->db);
    if (ob->lock_fd >= 0) close(ob->lock_fd); /* releases the flock */
    pthread_mutex_destroy(&ob->queue_lock);
    free(ob->queued.v);
    free(ob->taken.v);
    free(ob);
    *self_p = NULL;
}

/* Writer: move the reader's queued deletes to taken (and back on failure). */
static void s_take(voc_outbox *ob)
{
    pthread_mutex_lock(&ob->queue_lock);
    s_ranges t = ob->taken;
    ob->taken = ob->queued;
    ob->queued = t;
    ob->queued.count = 0;
    pthread_mutex_unlock(&ob->queue_lock);
}

static void s_untake(voc_outbox *ob)
{
    if (!ob->taken.count) return;
    pthread_mutex_lock(&ob->queue_lock);
    for (size_t i = 0; i < ob->taken.count; i++)
        s_ranges_add(&ob->queued, ob->taken.v[i].first, ob->taken.v[i].last);
    pthread_mutex_unlock(&ob->queue_lock);
    ob->taken.count = 0;
}

int voc_outbox_begin(voc_outbox *ob, voc_err *err)
{
    if (sqlite3_exec(ob->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return s_err(ob, err, "begin");
    if (ob->shared && voc_outbox_deletes_pending(ob)) {
        s_take(ob);
        int rc = s_apply(ob, &ob->taken, err);
        if (rc) {
            voc_outbox_rollback(ob);
            return rc;
        }
    }
    return 0;
}

int voc_outbox_commit(voc_outbox *ob, voc_err *err)
{
    if (sqlite3_exec(ob->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        int rc = s_err(ob, err, "commit");
        voc_outbox_rollback(ob);
        return rc;
    }
    atomic_fetch_add(&ob->depth, ob->pending);
    ob->pending = 0;
    ob->taken.count = 0;
    return 0;
}

void voc_outbox_rollback(voc_outbox *ob)
{
    if (!sqlite3_get_autocommit(ob->db)) sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, NULL);
    ob->pending = 0;
    s_untake(ob);
}

bool voc_outbox_deletes_pending(voc_outbox *ob)
{
    pthread_mutex_lock(&ob->queue_lock);
    bool any = ob->queued.count > 0;
    pthread_mutex_unlock(&ob->queue_lock);
    return any;
}

int voc_outbox_flush_deletes(voc_outbox *ob, voc_err *err)
{
    if (!voc_outbox_deletes_pending(ob)) return 0;
    if (!sqlite3_get_autocommit(ob->db))
        return voc_err_set(err, VOC_ESTATE, "outbox: flush_deletes inside a transaction");
    if (ob->durable) sqlite3_exec(ob->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    int rc = voc_outbox_begin(ob, err);
    if (rc == 0) rc = voc_outbox_commit(ob, err);
    if (ob->durable) sqlite3_exec(ob->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    return rc;
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
    sqlite3 *db = ob->shared ? ob->rdb : ob->db;
    sqlite3_stmt *st = ob->shared ? ob->rst[S_R_READ] : ob->st[S_READ];
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
    if (src != SQLITE_ROW && src != SQLITE_DONE) rc = s_err_db(db, err, "read");
    sqlite3_reset(st); /* ends the read transaction: a checkpoint may reset the WAL */
    if (rc) {
        voc_outbox_rows_free(out, n);
        out = NULL;
        n = 0;
    }
    *rows = out;
    *count = n;
    return rc;
}

static int s_delete(voc_outbox *ob, int64_t first_id, int64_t last_id, voc_err *err)
{
    sqlite3_stmt *st = ob->st[S_DELETE];
    sqlite3_bind_int64(st, 1, first_id);
    sqlite3_bind_int64(st, 2, last_id);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : s_err(ob, err, "delete");
    /* A shared outbox counted these rows out when they were queued. */
    if (rc == 0 && !ob->shared) s_moved(ob, -(int64_t)sqlite3_changes(ob->db));
    sqlite3_reset(st);
    return rc;
}

static int s_apply(voc_outbox *ob, const s_ranges *r, voc_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < r->count && rc == 0; i++)
        rc = s_delete(ob, r->v[i].first, r->v[i].last, err);
    return rc;
}

/* Shared: count the range's rows out of the depth now (the reader saw
 * them committed), and leave the delete to the writer. */
static int s_queue_delete(voc_outbox *ob, int64_t first_id, int64_t last_id, voc_err *err)
{
    sqlite3_stmt *st = ob->rst[S_R_COUNT];
    sqlite3_bind_int64(st, 1, first_id);
    sqlite3_bind_int64(st, 2, last_id);
    int src = sqlite3_step(st);
    int64_t n = src == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    int rc = src == SQLITE_ROW ? 0 : s_err_db(ob->rdb, err, "count");
    sqlite3_reset(st);
    if (rc) return rc;
    pthread_mutex_lock(&ob->queue_lock);
    s_ranges_add(&ob->queued, first_id, last_id);
    pthread_mutex_unlock(&ob->queue_lock);
    atomic_fetch_sub(&ob->depth, n);
    return 0;
}

/* Deleting acked rows needs no fsync of its own: a delete lost in a power
 * cut only means those rows are sent again, and the processor stores them
 * once. The next durable commit syncs it along. */
int voc_outbox_delete(voc_outbox *ob, int64_t first_id, int64_t last_id, voc_err *err)
{
    if (ob->shared) return s_queue_delete(ob, first_id, last_id, err);
    bool relax = ob->durable && sqlite3_get_autocommit(ob->db);
    if (relax) sqlite3_exec(ob->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    int rc = s_delete(ob, first_id, last_id, err);
    if (relax) sqlite3_exec(ob->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    return rc;
}

int64_t voc_outbox_depth(voc_outbox *ob)
{
    return atomic_load(&ob->depth) + (ob->shared ? 0 : ob->pending);
}
