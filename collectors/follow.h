/* follow.h: the drop folder behind voc-collect file --follow DIR.
 *
 * Watches DIR with inotify and hands out each regular file put there (and
 * each one already there at start) once, opened safely: symbolic links,
 * hard links, anything that is not a regular file or resolves outside DIR
 * is refused, moved (the link itself, never its target) to DIR/failed/ with
 * a NAME.reason file, and logged. Each file's content is identified by its
 * SHA-256; a small SQLite state file remembers which contents were queued
 * (their items are in the outbox) and which are done, so a restart or the
 * same content dropped again under another name imports nothing twice.
 *
 * The caller (cmd_file.c) imports the file, waits until the processor has
 * acked its items, then remembers it as done and moves it to DIR/done/, or
 * moves it to DIR/failed/ with the reason it could not be read. Names that
 * start with a dot are ignored, so a writer can upload to .NAME and rename
 * it into place; empty files are left alone until they are written. */
#ifndef VOC_FOLLOW_H
#define VOC_FOLLOW_H

#include "common/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct voc_follow voc_follow;

typedef enum voc_follow_seen {
    VOC_FOLLOW_NEW = 0, /* content never imported */
    VOC_FOLLOW_QUEUED,  /* imported into the outbox, not yet all acked (after a restart) */
    VOC_FOLLOW_DONE,    /* imported and acked before: a duplicate */
} voc_follow_seen;

/* One file taken from the folder. Fields are owned; voc_follow_file_clear. */
typedef struct voc_follow_file {
    char *name;     /* entry name in DIR */
    FILE *fp;       /* open for reading, at offset 0 */
    char hash[65];  /* SHA-256 of the content, lower-case hex */
    long long size; /* bytes */
    voc_follow_seen seen;
    char *seen_name; /* name the content was first imported under (QUEUED, DONE) */
} voc_follow_file;

/* Watch dir (created if missing, with done/ and failed/ inside) and open
 * the state file at state_path. Files already in dir are queued, sorted by
 * name. Errors: VOC_EIO (dir, inotify), VOC_EINVAL (done/ or failed/ is not
 * a directory), VOC_EDB (state file). Caller owns *out; voc_follow_destroy. */
int voc_follow_new(voc_follow **out, const char *dir, const char *state_path, voc_err *err);
void voc_follow_destroy(voc_follow **self_p);

/* The watched directory, resolved (borrowed). */
const char *voc_follow_dir(const voc_follow *f);

/* A descriptor that is readable when inotify has events (for poll). */
int voc_follow_fd(const voc_follow *f);

/* Read pending events without blocking and queue the names they name. */
int voc_follow_read_events(voc_follow *f, voc_err *err);

/* Take the next queued file: returns 1 with *file filled, 0 when nothing is
 * waiting. Refused entries are moved to failed/ and skipped; names that
 * vanished are skipped. Errors: VOC_EIO, VOC_EDB. */
int voc_follow_next(voc_follow *f, voc_follow_file *file, voc_err *err);
void voc_follow_file_clear(voc_follow_file *file);

/* Remember the file's content as queued (its items are committed to the
 * outbox) or done (all acked). Errors: VOC_EDB. */
int voc_follow_remember(voc_follow *f, const voc_follow_file *file, bool done, size_t records,
                        voc_err *err);

/* Move the file to done/ (reason NULL) or to failed/ with NAME.reason
 * holding reason. A name already taken there gets a number (a.2.csv).
 * *moved_to (if not NULL) receives "done/NAME" or "failed/NAME"; caller
 * frees. Errors: VOC_EIO. */
int voc_follow_move(voc_follow *f, const voc_follow_file *file, const char *reason, char **moved_to,
                    voc_err *err);

#endif
