/* store.h: libvoc_store, the SQLite store of tagged feedback.
 *
 * Writers (the processor) put items one batch per transaction: begin, put
 * each item or dead letter, commit. Writes are idempotent on the item's uid:
 * the same uid again updates that row and replaces its tags, never a second
 * row. Readers (the CLI) run the queries below. docs/store.md documents every
 * table so other tools can read the file directly.
 *
 * The database runs in WAL mode with synchronous=FULL: once voc_store_commit
 * returns 0 the batch survives a power cut. */
#ifndef VOC_STORE_H
#define VOC_STORE_H

#include "common/err.h"
#include "common/item.h"

#include <stdint.h>

typedef struct voc_store voc_store;

enum {
    VOC_STORE_READONLY = 1 << 0, /* open for queries only; never migrates */
};

#define VOC_STORE_SCHEMA_VERSION 1

/* Open (creating and migrating when writable) the database at path. The file
 * is created mode 0600. Caller owns *out; free with voc_store_destroy.
 * Errors: VOC_EDB, VOC_ENOTFOUND (read-only and missing), VOC_ESTATE (schema
 * newer than this build). */
int voc_store_open(voc_store **out, const char *path, unsigned flags, voc_err *err);
void voc_store_destroy(voc_store **self_p);

/* Milliseconds a statement waits on a lock held by another connection. */
void voc_store_set_busy_timeout(voc_store *s, int ms);

/* Transactions. begin takes the write lock at once (BEGIN IMMEDIATE).
 * Errors: VOC_EDB, VOC_EBUSY (lock not obtained in time), VOC_EFULL (disk or
 * database full: the transaction is rolled back). */
int voc_store_begin(voc_store *s, voc_err *err);
int voc_store_commit(voc_store *s, voc_err *err);
void voc_store_rollback(voc_store *s);

/* Record a rule set by content hash (hex) and return its id; an existing hash
 * returns the existing id. name and body may be NULL. */
int voc_store_rule_set(voc_store *s, const char *hash, const char *name, const char *body,
                       int64_t *id, voc_err *err);

typedef enum voc_put_result {
    VOC_PUT_INSERTED = 1,
    VOC_PUT_UPDATED,
    VOC_PUT_DUPLICATE, /* same uid, same content, same rule set: nothing to do */
} voc_put_result;

/* Insert or update one item with its themes (inside a transaction).
 * rule_set_id 0 means none. Errors: VOC_EDB, VOC_EFULL, VOC_EBUSY. */
int voc_store_put_item(voc_store *s, const voc_item *it, int64_t rule_set_id,
                       voc_put_result *result, voc_err *err);

/* Keep a rejected payload with its reason. The same payload bytes are kept
 * once. source and uid may be NULL. */
int voc_store_put_dead_letter(voc_store *s, const char *source, const char *uid,
                              const char *reason, const void *payload, size_t len,
                              voc_err *err);

/* ---- queries ------------------------------------------------------------- */

/* Which items a query looks at. Times are [since, until) in epoch seconds;
 * NULL strings do not filter. voc_filter_all() gives every item. */
typedef struct voc_filter {
    int64_t since;
    int64_t until;
    const char *kind;
    const char *source;
} voc_filter;

voc_filter voc_filter_all(void);

typedef struct voc_top_row {
    char *theme;
    int64_t items;
    double share;     /* items / items in the window */
    char *quote;      /* representative text; NULL if none */
    char *quote_uid;
} voc_top_row;

typedef struct voc_top {
    int64_t total_items; /* items in the window, tagged or not */
    int64_t tagged_items;
    voc_top_row *rows;
    size_t count;
} voc_top;

/* Themes ranked by number of items in the window, at most limit rows
 * (0: all). Caller clears *out with voc_top_clear. */
int voc_store_top(voc_store *s, const voc_filter *f, size_t limit, voc_top *out, voc_err *err);
void voc_top_clear(voc_top *t);

typedef struct voc_store_stats {
    int64_t items;
    int64_t tagged_items;
    int64_t theme_rows;
    int64_t dead_letters;
    int64_t rule_sets;
    int64_t first_created_at; /* 0 when empty */
    int64_t last_created_at;
} voc_store_stats;

int voc_store_stats_get(voc_store *s, voc_store_stats *out, voc_err *err);

#endif
