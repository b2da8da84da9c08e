/* outbox.h: the collector's durable outbox, a local SQLite file.
 *
 * A collector writes each item here before it answers its source (a webhook
 * gets 2xx only after the item is in the outbox; a file import may stop and
 * resume); the sender reads rows in id order, and deletes them only when the
 * processor acknowledged the batch. An outbox is used by one process at a
 * time: open takes an exclusive lock on the file.
 *
 * Threads: an outbox belongs to one thread, unless voc_outbox_share() split
 * it between a writer thread (begin, put, commit, rollback,
 * voc_outbox_flush_deletes) and a reader thread (read, delete); then the
 * writer's commit (and its fsync) never holds up the reader, and the reader
 * never takes the write lock: its deletes wait in memory for the writer's
 * next transaction. */
#ifndef VOC_OUTBOX_H
#define VOC_OUTBOX_H

#include "common/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct voc_outbox voc_outbox;

typedef struct voc_outbox_row {
    int64_t id;
    char *payload; /* item JSON (or the raw bytes the collector could not read) */
    size_t len;
    char *origin; /* where it came from, e.g. "feedback.jsonl:17"; may be NULL */
} voc_outbox_row;

/* Open or create the outbox at path (mode 0600, parent directories made).
 * durable: synchronous=FULL (webhooks) rather than NORMAL (file imports,
 * whose source file is still there). Errors: VOC_EDB, VOC_EIO, VOC_EBUSY
 * (another process holds it). Caller owns *out; voc_outbox_destroy. */
int voc_outbox_open(voc_outbox **out, const char *path, bool durable, voc_err *err);
void voc_outbox_destroy(voc_outbox **self_p);

/* Split the outbox between a writer thread and a reader thread (see the top
 * of this file): reads go through a second, read-only connection, which sees
 * committed rows only (WAL: it never waits for a commit), and
 * voc_outbox_delete queues the range for the writer. Call once, before the
 * threads start. Errors: VOC_EDB. */
int voc_outbox_share(voc_outbox *ob, voc_err *err);

/* A transaction. In a shared outbox, begin first applies the deletes the
 * reader queued, so they ride along with the writer's commit. */
int voc_outbox_begin(voc_outbox *ob, voc_err *err);
int voc_outbox_commit(voc_outbox *ob, voc_err *err);
/* Undo an open transaction (no-op without one). */
void voc_outbox_rollback(voc_outbox *ob);

/* Shared outbox, writer thread, outside a transaction: apply the queued
 * deletes now, in a transaction of their own (without an fsync: see
 * voc_outbox_delete). For a writer with nothing else to write. */
int voc_outbox_flush_deletes(voc_outbox *ob, voc_err *err);
/* Deletes queued and not yet applied (any thread). */
bool voc_outbox_deletes_pending(voc_outbox *ob);

/* Append one row (inside begin/commit for speed, or alone). */
int voc_outbox_put(voc_outbox *ob, const void *payload, size_t len, const char *origin,
                   voc_err *err);

/* Read up to max_rows rows with id > after_id in id order, stopping before
 * max_bytes is passed (at least one row). Caller frees with
 * voc_outbox_rows_free. */
int voc_outbox_read(voc_outbox *ob, int64_t after_id, size_t max_rows, size_t max_bytes,
                    voc_outbox_row **rows, size_t *count, voc_err *err);
void voc_outbox_rows_free(voc_outbox_row *rows, size_t count);

/* Delete rows first_id..last_id inclusive (an acked batch). In a shared
 * outbox this only queues the range (see voc_outbox_share); a delete lost to
 * a crash means the rows are sent again, and the processor stores them
 * once. */
int voc_outbox_delete(voc_outbox *ob, int64_t first_id, int64_t last_id, voc_err *err);

/* Rows waiting (in a shared outbox: committed, minus queued deletes; safe
 * from any thread). */
int64_t voc_outbox_depth(voc_outbox *ob);

#endif
