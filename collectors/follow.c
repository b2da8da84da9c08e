/* follow.c: the drop folder for voc-collect file --follow (see follow.h).
 * inotify for new names, openat(O_NOFOLLOW) on the directory descriptor and
 * fstat checks before anything is read, SHA-256 from libcrypto, and the
 * state of each content in a small SQLite file. */
#include "collectors/follow.h"

#include "common/alloc.h"
#include "common/log.h"
#include "common/vtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

enum { S_LOOKUP, S_REMEMBER, S_NSTMT };

static const char *const s_sql[S_NSTMT] = {
    [S_LOOKUP] = "SELECT state, name FROM follow_files WHERE hash = ?1",
    [S_REMEMBER] = "INSERT INTO follow_files (hash, name, state, records, updated_at)"
                   " VALUES (?1, ?2, ?3, ?4, ?5)"
                   " ON CONFLICT (hash) DO UPDATE SET state = excluded.state,"
                   " records = max(records, excluded.records), updated_at = excluded.updated_at",
};

struct voc_follow {
    char *dir; /* realpath */
    int dir_fd;
    int done_fd;
    int failed_fd;
    int inotify_fd;
    sqlite3 *db;
    sqlite3_stmt *st[S_NSTMT];
    char **queue; /* names waiting, in arrival order */
    size_t nqueue;
    size_t capqueue;
};

static bool s_ignored(const char *name)
{
    return name[0] == '.' || strcmp(name, "done") == 0 || strcmp(name, "failed") == 0;
}

static void s_enqueue(voc_follow *f, const char *name)
{
    if (s_ignored(name) || strchr(name, '/')) return;
    for (size_t i = 0; i < f->nqueue; i++)
        if (strcmp(f->queue[i], name) == 0) return;
    voc_grow((void **)&f->queue, &f->capqueue, f->nqueue + 1, sizeof *f->queue);
    f->queue[f->nqueue++] = voc_strdup(name);
}

static int s_scan(voc_follow *f, voc_err *err)
{
    struct dirent **list = NULL;
    int n = scandir(f->dir, &list, NULL, alphasort);
    if (n < 0) return voc_err_set(err, VOC_EIO, "cannot list %s: %s", f->dir, strerror(errno));
    for (int i = 0; i < n; i++) {
        if (list[i]->d_type != DT_DIR) s_enqueue(f, list[i]->d_name);
        free(list[i]);
    }
    free(list);
    return 0;
}

/* done/ and failed/: real directories inside DIR, never links elsewhere. */
static int s_open_subdir(voc_follow *f, const char *name, int *out, voc_err *err)
{
    if (mkdirat(f->dir_fd, name, 0750) != 0 && errno != EEXIST)
        return voc_err_set(err, VOC_EIO, "cannot create %s/%s: %s", f->dir, name, strerror(errno));
    *out = openat(f->dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*out < 0)
        return voc_err_set(err, errno == ELOOP || errno == ENOTDIR ? VOC_EINVAL : VOC_EIO,
                           "%s/%s must be a directory (not a link): %s", f->dir, name,
                           strerror(errno));
    return 0;
}

static int s_db_err(voc_follow *f, voc_err *err, const char *what)
{
    return voc_err_set(err, VOC_EDB, "follow state %s: %s", what, sqlite3_errmsg(f->db));
}

static int s_open_state(voc_follow *f, const char *path, voc_err *err)
{
    char *msg = NULL;
    if (sqlite3_open_v2(path, &f->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        return voc_err_set(err, VOC_EDB, "cannot open follow state %s: %s", path,
                           f->db ? sqlite3_errmsg(f->db) : "out of memory");
    sqlite3_busy_timeout(f->db, 5000);
    if (sqlite3_exec(f->db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     "CREATE TABLE IF NOT EXISTS follow_files ("
                     " hash TEXT PRIMARY KEY," /* SHA-256 of the content, hex */
                     " name TEXT NOT NULL,"    /* the name it was first seen under */
                     " state TEXT NOT NULL CHECK (state IN ('queued', 'done')),"
                     " records INTEGER NOT NULL,"
                     " updated_at INTEGER NOT NULL)",
                     NULL, NULL, &msg) != SQLITE_OK) {
        int rc = voc_err_set(err, VOC_EDB, "follow state %s: %s", path, msg ? msg : "setup failed");
        sqlite3_free(msg);
        return rc;
    }
    for (int i = 0; i < S_NSTMT; i++)
        if (sqlite3_prepare_v3(f->db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &f->st[i], NULL) !=
            SQLITE_OK)
            return s_db_err(f, err, "prepare");
    return 0;
}

int voc_follow_new(voc_follow **out, const char *dir, const char *state_path, voc_err *err)
{
    int rc = 0;
    voc_follow *f = voc_calloc(1, sizeof *f);
    f->dir_fd = f->done_fd = f->failed_fd = f->inotify_fd = -1;
    *out = NULL;
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        rc = voc_err_set(err, VOC_EIO, "cannot create %s: %s", dir, strerror(errno));
        goto out;
    }
    char real[PATH_MAX];
    if (!realpath(dir, real)) {
        rc = voc_err_set(err, VOC_EIO, "%s: %s", dir, strerror(errno));
        goto out;
    }
    f->dir = voc_strdup(real);
    f->dir_fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (f->dir_fd < 0) {
        rc = voc_err_set(err, VOC_EIO, "cannot open %s: %s", f->dir, strerror(errno));
        goto out;
    }
    if ((rc = s_open_subdir(f, "done", &f->done_fd, err)) ||
        (rc = s_open_subdir(f, "failed", &f->failed_fd, err)))
        goto out;
    /* Watch before the first scan, so nothing put there in between is missed
     * (a name seen twice is queued once). IN_CREATE is for links, which get
     * no close event; a new regular file waits for IN_CLOSE_WRITE. */
    f->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (f->inotify_fd < 0 ||
        inotify_add_watch(f->inotify_fd, f->dir,
                          IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF |
                              IN_ONLYDIR) < 0) {
        rc = voc_err_set(err, VOC_EIO, "cannot watch %s: %s", f->dir, strerror(errno));
        goto out;
    }
    if ((rc = s_open_state(f, state_path, err))) goto out;
    rc = s_scan(f, err);
out:
    if (rc) voc_follow_destroy(&f);
    *out = f;
    return rc;
}

void voc_follow_destroy(voc_follow **self_p)
{
    if (!self_p || !*self_p) return;
    voc_follow *f = *self_p;
    for (int i = 0; i < S_NSTMT; i++)
        sqlite3_finalize(f->st[i]);
    sqlite3_close(f->db);
    int fds[] = {f->dir_fd, f->done_fd, f->failed_fd, f->inotify_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0) close(fds[i]);
    for (size_t i = 0; i < f->nqueue; i++)
        free(f->queue[i]);
    free(f->queue);
    free(f->dir);
    free(f);
    *self_p = NULL;
}

const char *voc_follow_dir(const voc_follow *f)
{
    return f->dir;
}

int voc_follow_fd(const voc_follow *f)
{
    return f->inotify_fd;
}

int voc_follow_read_events(voc_follow *f, voc_err *err)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(f->inotify_fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            if (errno == EINTR) continue;
            return voc_err_set(err, VOC_EIO, "inotify on %s: %s", f->dir, strerror(errno));
        }
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            p += sizeof *ev + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                VOC_LOG_WARN("follow", "inotify queue overflowed; rescanning %s", f->dir);
                int rc = s_scan(f, err);
                if (rc) return rc;
                continue;
            }
            if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
                return voc_err_set(err, VOC_EIO, "%s was removed or moved away", f->dir);
            if (!ev->len || (ev->mask & IN_ISDIR)) continue;
            if (ev->mask & IN_CREATE) {
                /* A new regular file waits for its close; a link (symbolic
                 * or hard) gets no close event, so it is looked at now. */
                struct stat st;
                if (fstatat(f->dir_fd, ev->name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
                    (S_ISREG(st.st_mode) && st.st_nlink < 2))
                    continue;
            }
            s_enqueue(f, ev->name);
        }
    }
}

/* A free name in the directory dfd: name, else stem.N.ext. With a reason
 * file, NAME.reason must be free too. Caller frees. */
static char *s_free_name(int dfd, const char *name, bool reason)
{
    const char *dot = strrchr(name, '.');
    size_t stem = dot && dot != name ? (size_t)(dot - name) : strlen(name);
    for (unsigned n = 1; n < 100000; n++) {
        char *cand =
            n == 1 ? voc_strdup(name) : voc_asprintf("%.*s.%u%s", (int)stem, name, n, name + stem);
        struct stat st;
        bool taken = fstatat(dfd, cand, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (!taken && reason) {
            char *r = voc_asprintf("%s.reason", cand);
            taken = fstatat(dfd, r, &st, AT_SYMLINK_NOFOLLOW) == 0;
            free(r);
        }
        if (!taken) return cand;
        free(cand);
    }
    return voc_asprintf("%s.%lld", name, (long long)voc_time_now());
}

static int s_move(voc_follow *f, const char *name, const char *reason, char **moved_to,
                  voc_err *err)
{
    int to_fd = reason ? f->failed_fd : f->done_fd;
    const char *to_dir = reason ? "failed" : "done";
    char *target = s_free_name(to_fd, name, reason != NULL);
    int rc = 0;
    if (reason) {
        char *rname = voc_asprintf("%s.reason", target);
        int fd = openat(to_fd, rname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
        free(rname);
        if (fd >= 0) {
            size_t len = strlen(reason);
            bool ok = write(fd, reason, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
            if (close(fd) != 0 || !ok)
                VOC_LOG_WARN("follow", "could not write %s/%s.reason: %s", to_dir, target,
                             strerror(errno));
        } else {
            VOC_LOG_WARN("follow", "could not create %s/%s.reason: %s", to_dir, target,
                         strerror(errno));
        }
    }
    if (renameat(f->dir_fd, name, to_fd, target) != 0) {
        rc = voc_err_set(err, VOC_EIO, "cannot move %s to %s/: %s", name, to_dir, strerror(errno));
    } else if (moved_to) {
        *moved_to = voc_asprintf("%s/%s", to_dir, target);
    }
    free(target);
    return rc;
}

/* Refuse an entry: log why and move it (a link is moved, not followed) to
 * failed/ with the reason, so it is not looked at again. */
static void s_refuse(voc_follow *f, const char *name, const char *why)
{
    char *reason = voc_asprintf("refused %s: %s", name, why);
    voc_err e;
    char *to = NULL;
    if (s_move(f, name, reason, &to, &e) == 0)
        VOC_LOG_WARN("follow", "%s; moved to %s", reason, to);
    else
        VOC_LOG_WARN("follow", "%s; and %s", reason, e.msg);
    free(to);
    free(reason);
}

static int s_hash(int fd, char out[65], voc_err *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char buf[65536];
    ssize_t n;
    int rc = 0;
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = voc_err_set(err, VOC_EIO, "read error: %s", strerror(errno));
            goto out;
        }
        EVP_DigestUpdate(ctx, buf, (size_t)n);
    }
    EVP_DigestFinal_ex(ctx, md, &md_len);
    for (unsigned i = 0; i < md_len && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    if (lseek(fd, 0, SEEK_SET) != 0)
        rc = voc_err_set(err, VOC_EIO, "cannot rewind: %s", strerror(errno));
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

static int s_lookup(voc_follow *f, voc_follow_file *file, voc_err *err)
{
    sqlite3_stmt *st = f->st[S_LOOKUP];
    sqlite3_bind_text(st, 1, file->hash, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    int rc = 0;
    file->seen = VOC_FOLLOW_NEW;
    if (src == SQLITE_ROW) {
        const char *state = (const char *)sqlite3_column_text(st, 0);
        file->seen = state && strcmp(state, "done") == 0 ? VOC_FOLLOW_DONE : VOC_FOLLOW_QUEUED;
        file->seen_name = voc_strdup((const char *)sqlite3_column_text(st, 1));
    } else if (src != SQLITE_DONE) {
        rc = s_db_err(f, err, "lookup");
    }
    sqlite3_reset(st);
    return rc;
}

/* Open one entry, checked: 1 = ready, 0 = skip it, < 0 = error. */
static int s_open_entry(voc_follow *f, const char *name, voc_follow_file *file, voc_err *err)
{
    struct stat lst, st;
    char why[160];
    if (fstatat(f->dir_fd, name, &lst, AT_SYMLINK_NOFOLLOW) != 0)
        return 0; /* gone already (moved away, or a temporary file) */
    if (S_ISLNK(lst.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(f->dir_fd, name, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        snprintf(why, sizeof why, "a symbolic link (to %.100s); links are not followed", target);
        s_refuse(f, name, why);
        return 0;
    }
    if (S_ISDIR(lst.st_mode)) return 0;
    if (!S_ISREG(lst.st_mode)) {
        s_refuse(f, name, "not a regular file");
        return 0;
    }
    if (lst.st_nlink > 1) {
        snprintf(why, sizeof why,
                 "a hard link (%ju links); it could expose a file from outside the folder",
                 (uintmax_t)lst.st_nlink);
        s_refuse(f, name, why);
        return 0;
    }
    if (lst.st_size == 0)
        return 0; /* still being written, or nothing to import: wait for a write */
    /* Resolve it: it must be this very entry of DIR, nothing else. */
    char *path = voc_asprintf("%s/%s", f->dir, name);
    char real[PATH_MAX];
    bool inside = realpath(path, real) && strcmp(real, path) == 0;
    free(path);
    if (!inside) {
        s_refuse(f, name, "resolves outside the folder");
        return 0;
    }
    int fd = openat(f->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 0;
        snprintf(why, sizeof why, "cannot open it: %s", strerror(errno));
        s_refuse(f, name, why);
        return 0;
    }
    /* The entry opened must be the one checked (not swapped in between). */
    if (fstat(fd, &st) != 0 || st.st_dev != lst.st_dev || st.st_ino != lst.st_ino ||
        !S_ISREG(st.st_mode)) {
        close(fd);
        return 0; /* changed under us: its new version comes with its own event */
    }
    voc_err why_err;
    if (s_hash(fd, file->hash, &why_err)) {
        close(fd);
        s_refuse(f, name, why_err.msg);
        return 0;
    }
    file->fp = fdopen(fd, "rb");
    if (!file->fp) {
        close(fd);
        return voc_err_set(err, VOC_EIO, "fdopen: %s", strerror(errno));
    }
    file->name = voc_strdup(name);
    file->size = (long long)st.st_size;
    int rc = s_lookup(f, file, err);
    return rc ? rc : 1;
}

int voc_follow_next(voc_follow *f, voc_follow_file *file, voc_err *err)
{
    memset(file, 0, sizeof *file);
    while (f->nqueue > 0) {
        char *name = f->queue[0];
        memmove(f->queue, f->queue + 1, (f->nqueue - 1) * sizeof *f->queue);
        f->nqueue--;
        int rc = s_open_entry(f, name, file, err);
        free(name);
        if (rc != 0) {
            if (rc < 0) voc_follow_file_clear(file);
            return rc;
        }
        voc_follow_file_clear(file);
    }
    return 0;
}

void voc_follow_file_clear(voc_follow_file *file)
{
    if (!file) return;
    if (file->fp) fclose(file->fp);
    free(file->name);
    free(file->seen_name);
    memset(file, 0, sizeof *file);
}

int voc_follow_remember(voc_follow *f, const voc_follow_file *file, bool done, size_t records,
                        voc_err *err)
{
    sqlite3_stmt *st = f->st[S_REMEMBER];
    sqlite3_bind_text(st, 1, file->hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, file->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, done ? "done" : "queued", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)records);
    sqlite3_bind_int64(st, 5, voc_time_now());
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : s_db_err(f, err, "update");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

int voc_follow_move(voc_follow *f, const voc_follow_file *file, const char *reason, char **moved_to,
                    voc_err *err)
{
    if (moved_to) *moved_to = NULL;
    return s_move(f, file->name, reason, moved_to, err);
}
