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

#include <stdbool.h>
#include <stdint.h>

typedef struct voc_store voc_store;

enum {
    VOC_STORE_READONLY = 1 << 0, /* open for queries only; never migrates */
};

#define VOC_STORE_SCHEMA_VERSION 7

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
int voc_store_put_dead_letter(voc_store *s, const char *source, const char *uid, const char *reason,
                              const void *payload, size_t len, voc_err *err);

/* ---- queries ------------------------------------------------------------- */

/* Which items a query looks at. Times are [since, until) in epoch seconds;
 * NULL strings do not filter. voc_filter_all() gives every item. */
typedef struct voc_filter {
    int64_t since;
    int64_t until;
    const char *kind;
    const char *source;
    const char *theme;             /* a theme and its sub-themes ("billing" covers billing.*) */
    const char *const *where_keys; /* attrs that must equal where_values */
    const char *const *where_values;
    size_t where_count;
    bool negative; /* only negative sentiment or NPS detractors */
} voc_filter;

voc_filter voc_filter_all(void);

/* ---- single items and retagging ----------------------------------------- */

/* Where a stored item sits: its row id, when it was stored, and the rule set
 * that produced its themes (name and hash NULL when none). */
typedef struct voc_item_meta {
    int64_t id;
    int64_t stored_at;
    int64_t rule_set_id;
    char *rule_set_name;
    char *rule_set_hash;
} voc_item_meta;

void voc_item_meta_clear(voc_item_meta *m);

/* Load the item with this uid, its themes and their evidence, and (if meta
 * is not NULL) its meta. Caller clears *out with voc_item_clear and *meta
 * with voc_item_meta_clear. Errors: VOC_ENOTFOUND, VOC_EDB. */
int voc_store_get_item(voc_store *s, const char *uid, voc_item *out, voc_item_meta *meta,
                       voc_err *err);

/* A rule set version as recorded in rule_sets. */
typedef struct voc_rule_set_info {
    int64_t id;
    int64_t loaded_at;
    char *hash;
    char *name;
    char *body;
} voc_rule_set_info;

void voc_rule_set_info_clear(voc_rule_set_info *r);

/* The most recently loaded rule set. Errors: VOC_ENOTFOUND (none yet). */
int voc_store_latest_rule_set(voc_store *s, voc_rule_set_info *out, voc_err *err);

/* A scanned item's row id and the sentiment stored with it. */
typedef struct voc_retag_ref {
    int64_t id;
    bool had_sentiment;
    double sentiment;
} voc_retag_ref;

/* Items in f whose themes were not produced by rule_set_id: how many, and
 * the next `limit` of them after row id after_id, in row-id order (uid,
 * source, kind, created_at, text and score filled; refs[i] is items[i]'s).
 * Because an item retagged with rule_set_id no longer qualifies, an
 * interrupted retag resumes where it stopped. */
int voc_store_retag_count(voc_store *s, const voc_filter *f, int64_t rule_set_id, int64_t *out,
                          voc_err *err);
int voc_store_retag_scan(voc_store *s, const voc_filter *f, int64_t rule_set_id, int64_t after_id,
                         size_t limit, voc_item *items, voc_retag_ref *refs, size_t *count,
                         voc_err *err);

/* Replace the themes and sentiment of the scanned item ref with it's
 * (inside a transaction) and stamp it and its tags with rule_set_id: the
 * item never carries tags of two versions. Tags that stay the same are only
 * restamped, so a small rule edit rewrites little. */
int voc_store_set_analysis(voc_store *s, const voc_retag_ref *ref, const voc_item *it,
                           int64_t rule_set_id, voc_err *err);

/* Tune the connection for a long bulk rewrite such as voc retag: a page
 * cache of cache_mib MiB and memory-mapped reads. */
int voc_store_bulk_mode(voc_store *s, int cache_mib, voc_err *err);

/* Drop (present false) or build again (true) the two secondary indexes of
 * the tag table, for a retag that rewrites most tags. Queries stay correct
 * meanwhile, only slower; a writable open builds missing ones. */
int voc_store_tag_indexes(voc_store *s, bool present, voc_err *err);

/* Tag rows inserted, changed or deleted by voc_store_set_analysis so far
 * on this connection (tags that stayed the same are not counted). */
int64_t voc_store_tag_writes(const voc_store *s);

/* How many tag rows the store holds (from the rollups: no scan). */
int voc_store_tag_total(voc_store *s, int64_t *out, voc_err *err);

typedef struct voc_top_row {
    char *theme;
    int64_t items;
    double share;       /* items / items in the window */
    int64_t prev_items; /* in the previous window of equal length; -1 when none */
    double sentiment;   /* mean sentiment of the tags; NAN when none */
    int64_t scored;     /* items with an NPS score */
    double nps;         /* NPS among them; NAN when none */
    char *quote;        /* representative text; NULL if none */
    char *quote_uid;
    char *quote_evidence; /* JSON evidence of the quote for this theme */
} voc_top_row;

typedef struct voc_top {
    int64_t total_items; /* items in the window, tagged or not */
    int64_t tagged_items;
    voc_top_row *rows;
    size_t count;
} voc_top;

/* Themes ranked by number of items in the window, at most limit rows
 * (0: all), with the change against the previous window of equal length,
 * mean sentiment, NPS and a representative quote. Daily rollups answer it
 * unless f filters on attributes or negativity. Caller clears *out with voc_top_clear. */
int voc_store_top(voc_store *s, const voc_filter *f, size_t limit, voc_top *out, voc_err *err);
void voc_top_clear(voc_top *t);

/* Theme counts per period (trends). */
typedef enum voc_interval { VOC_INTERVAL_DAY, VOC_INTERVAL_WEEK, VOC_INTERVAL_MONTH } voc_interval;

typedef struct voc_trends {
    voc_interval interval;
    size_t period_count;
    int64_t *period_start; /* epoch seconds, UTC; ISO weeks start on Monday */
    int64_t *totals;       /* items per period (tagged or not) */
    size_t theme_count;
    char **themes;         /* ranked by items over the whole window */
    int64_t *counts;       /* period_count x theme_count, row-major by period */
    double *sentiment_sum; /* same shape: sum and count of tag sentiments */
    int64_t *sentiment_n;
} voc_trends;

/* Count items per period and theme over f (whole UTC days: since is rounded
 * down to its day, until up), periods without items included as zeros.
 * themes: NULL-terminated prefixes ("billing" covers billing.*), or NULL
 * for the top `top` themes (0: all). Daily rollups answer it unless f
 * filters on attributes, negativity or a theme; those are item filters as
 * in voc_store_export, and f->theme also keeps only its subtree's themes.
 * Caller clears with voc_trends_clear. */
int voc_store_trends(voc_store *s, const voc_filter *f, voc_interval interval,
                     const char *const *themes, size_t top, voc_trends *out, voc_err *err);

/* As voc_store_trends, but counting exactly the items in [f->since,
 * f->until): the periods are laid out the same, and those at the window's
 * edges hold only their part of it (what voc report draws). */
int voc_store_trends_exact(voc_store *s, const voc_filter *f, voc_interval interval,
                           const char *const *themes, size_t top, voc_trends *out, voc_err *err);
void voc_trends_clear(voc_trends *t);

/* NPS: promoters (9-10), passives (7-8), detractors (0-6) among items with
 * an NPS score, grouped. */
typedef enum voc_nps_by {
    VOC_NPS_BY_THEME,
    VOC_NPS_BY_SOURCE,
    VOC_NPS_BY_KIND,
    VOC_NPS_BY_ATTR, /* by attrs.NAME */
} voc_nps_by;

typedef struct voc_nps_row {
    char *key; /* group value; "(none)" for items without the attribute */
    int64_t responses;
    int64_t promoters;
    int64_t passives;
    int64_t detractors;
} voc_nps_row;

/* overall gets every scored item in f; rows one per group (largest first).
 * Daily rollups answer theme, source and kind unless f filters on
 * attributes, negativity or a theme (item filters, as in voc_store_export;
 * with f->theme, by theme keeps only its subtree's themes). Caller frees
 * rows with voc_nps_rows_free. */
int voc_store_nps(voc_store *s, const voc_filter *f, voc_nps_by by, const char *attr,
                  voc_nps_row *overall, voc_nps_row **rows, size_t *count, voc_err *err);
void voc_nps_rows_free(voc_nps_row *rows, size_t count);

/* The headline figures of f, every filter applied alike (theme, where and
 * negative are item filters, as in voc_store_export): daily rollups answer
 * it unless f has one of those. */
typedef struct voc_summary {
    int64_t items;  /* items in f */
    int64_t tagged; /* of which carry at least one theme */
    double sentiment_sum;
    int64_t sentiment_n; /* items with a sentiment */
    int64_t responses;   /* items with an NPS score, of which: */
    int64_t promoters, passives, detractors;
} voc_summary;

int voc_store_summary(voc_store *s, const voc_filter *f, voc_summary *out, voc_err *err);

/* Quotes for a theme: items carrying it in f (its sub-themes included),
 * strongest match first, then most recent. */
typedef struct voc_quote {
    char *uid;
    char *theme; /* the matching theme (the prefix or a sub-theme) */
    int64_t created_at;
    double score;
    double sentiment; /* the tag's; NAN when none */
    int nps;          /* -1 when no NPS score */
    char *text;
    char *evidence; /* JSON */
} voc_quote;

int voc_store_quotes(voc_store *s, const voc_filter *f, size_t limit, voc_quote **out,
                     size_t *count, voc_err *err);
void voc_quotes_free(voc_quote *q, size_t count);

/* One tag of an exported item. */
typedef struct voc_export_theme {
    const char *id;
    double score;
    double sentiment; /* NAN when none */
} voc_export_theme;

/* One exported item: borrowed strings and arrays, valid during the
 * callback only. */
typedef struct voc_export_row {
    const char *uid, *source, *kind, *created_at_iso, *customer_id, *account, *subject, *text;
    const char *attrs_json;         /* {"plan":"pro",...} */
    const voc_export_theme *themes; /* in id order */
    size_t theme_count;
    int score;         /* -1 when none */
    const char *scale; /* NULL when no score */
    double sentiment;  /* NAN when none */
} voc_export_row;

/* Stream every item in f (theme, where and negative filters apply to the
 * item's tags and fields) in created_at order (then row id) to fn, one at
 * a time: constant memory however large the store (a window holding most
 * of the store is read in table order and put in time order by SQLite's
 * external sort, in temporary files). fn returns non-zero to stop. */
int voc_store_export(voc_store *s, const voc_filter *f,
                     int (*fn)(void *user, const voc_export_row *row), void *user, voc_err *err);

/* x as JSON readers of the store get it back: rounded to the 15
 * significant digits SQLite's JSON functions print (voc export's JSON
 * numbers for tag scores and sentiments). */
double voc_store_json_double(double x);

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

typedef enum voc_group {
    VOC_GROUP_KIND,
    VOC_GROUP_SOURCE,
    VOC_GROUP_DEAD_REASON, /* dead letters by the field their reason names */
    VOC_GROUP_RULE_SET,    /* items by the rule set version that tagged them */
} voc_group;

typedef struct voc_count_row {
    char *key;
    int64_t count;
    int64_t tagged; /* kind and source only */
} voc_count_row;

/* Counts by group, largest first. Caller frees with voc_count_rows_free. */
int voc_store_group_counts(voc_store *s, voc_group g, voc_count_row **rows, size_t *count,
                           voc_err *err);
void voc_count_rows_free(voc_count_row *rows, size_t count);

/* Items per theme in f, without quotes (cheap: daily rollups when f has
 * no attribute or negativity filter). rows[i].key is the theme, .count its
 * items; *total the items in f. Caller frees with voc_count_rows_free. */
int voc_store_theme_counts(voc_store *s, const voc_filter *f, voc_count_row **rows, size_t *count,
                           int64_t *total, voc_err *err);

/* Full-text search (FTS5 over text and subject, Porter stems): hits ranked
 * by bm25, with a snippet whose matches are wrapped in mark_on/mark_off.
 * Errors: VOC_EINVAL for a malformed query. */
typedef struct voc_search_hit {
    char *uid;
    int64_t created_at;
    char *kind;
    char *source;
    double rank; /* bm25: lower is better */
    char *snippet;
} voc_search_hit;

int voc_store_search(voc_store *s, const voc_filter *f, const char *query, size_t limit,
                     const char *mark_on, const char *mark_off, voc_search_hit **out, size_t *count,
                     voc_err *err);
void voc_search_hits_free(voc_search_hit *h, size_t count);

/* Items not yet in the full-text index, and indexing them (one
 * transaction; needs a writable store). */
int voc_store_search_pending(voc_store *s, int64_t *pending, voc_err *err);
int voc_store_search_catch_up(voc_store *s, int64_t *indexed, voc_err *err);

#endif
