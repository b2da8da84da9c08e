/* clusters.h: libvoc_store's side of `voc clusters` and `voc dupes`: reading
 * the items to cluster, and keeping clusters stable from run to run.
 *
 * A voc_cluster_store is a second SQLite connection to the voc database. It
 * owns four tables of its own, created on a writable open with CREATE TABLE
 * IF NOT EXISTS (they are not part of the store's numbered migrations):
 *
 *   cluster_runs       one row per saved run: when, scope, window, seed
 *   clusters           one row per cluster ever found: slug, label, the
 *                      centroid it is matched against (JSON), the cosine an
 *                      item needs to join it, its latest suggested rule
 *   cluster_run_sizes  items per cluster and run, and how many were new
 *   cluster_members    which items a cluster has held (first run it did)
 *
 * docs/clustering.md documents the columns. Clusters belong to a scope (a
 * string such as "untagged" or "theme:billing", with kind and source when
 * filtered): a run only sees the saved clusters of its own scope. */
#ifndef VOC_CLUSTERS_H
#define VOC_CLUSTERS_H

#include "common/err.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct voc_cluster_store voc_cluster_store;

/* Open the voc database at path (it must exist). writable: create the
 * cluster tables if needed, so runs can be saved. Caller owns *out; free
 * with voc_cluster_store_destroy. Errors: VOC_ENOTFOUND (no database, or
 * not a voc database), VOC_EDB. */
int voc_cluster_store_open(voc_cluster_store **out, const char *path, bool writable, voc_err *err);
void voc_cluster_store_destroy(voc_cluster_store **self_p);

/* One item as the scan sees it. Borrowed strings, valid during the
 * callback only. */
typedef struct voc_cluster_item {
    int64_t id; /* items.id */
    const char *uid;
    int64_t created_at;
    const char *text;
    size_t text_len;
    bool in_scope;
    const char *themes; /* space-separated theme ids ("" for none), when asked */
} voc_cluster_item;

typedef struct voc_cluster_scan {
    const voc_filter *filter; /* window, kind and source; filter->theme is the scope's
                                 theme (its sub-themes included); where and negative
                                 are not applied */
    bool untagged;            /* scope: items without any theme */
    bool scope_only;          /* pass only in-scope items */
    bool themes;              /* fill voc_cluster_item.themes */
} voc_cluster_scan;

/* Stream the items of the window to fn in created_at order, each marked
 * in_scope (untagged, or carrying the scope theme, or always when neither
 * is asked for). fn returns non-zero to stop (then VOC_EIO). */
int voc_cluster_store_scan(voc_cluster_store *cs, const voc_cluster_scan *scan,
                           int (*fn)(void *user, const voc_cluster_item *it), void *user,
                           voc_err *err);

/* A cluster saved by an earlier run. */
typedef struct voc_saved_cluster {
    int64_t id;
    char *slug;
    char *label;
    float fit;
    size_t term_count;
    char **terms;   /* centroid terms (stems, "csv export") */
    float *weights; /* unit-length centroid over them */
} voc_saved_cluster;

/* Every saved cluster of scope, oldest first. Caller frees with
 * voc_saved_clusters_free. No tables yet: none. */
int voc_cluster_store_load(voc_cluster_store *cs, const char *scope, voc_saved_cluster **out,
                           size_t *count, voc_err *err);
void voc_saved_clusters_free(voc_saved_cluster *c, size_t count);

/* Which saved cluster of scope holds each item: item_ids[i] is held by
 * cluster_ids[i], ascending by item id, one cluster per item (the one that
 * took it last). Caller frees both arrays with free(). No tables: none. */
int voc_cluster_store_members(voc_cluster_store *cs, const char *scope, int64_t **item_ids,
                              int64_t **cluster_ids, size_t *count, voc_err *err);

/* A run to save. */
typedef struct voc_cluster_run_info {
    const char *scope;
    int64_t since; /* INT64_MIN: open */
    int64_t until; /* INT64_MAX: open */
    uint64_t seed;
    int64_t items; /* in scope */
    int64_t unclustered;
} voc_cluster_run_info;

/* One cluster of the run: an existing one (id set) or a new one (id 0; the
 * id is filled in). new_items is filled in: members it never held before. */
typedef struct voc_cluster_save {
    int64_t id;
    const char *slug;
    const char *label;
    float fit;
    size_t term_count;
    const char *const *terms;
    const float *weights;
    const char *rule_json;   /* the suggested theme, or NULL */
    const int64_t *item_ids; /* its items in this run (items.id) */
    const float *sims;       /* and their cosines to the centroid */
    size_t item_count;
    int64_t new_items;
} voc_cluster_save;

/* Record a run and its clusters in one transaction. *run_id receives the
 * run's id. Errors: VOC_EDB, VOC_EBUSY, VOC_ESTATE (opened read-only). */
int voc_cluster_store_save(voc_cluster_store *cs, const voc_cluster_run_info *run,
                           voc_cluster_save *clusters, size_t count, int64_t *run_id, voc_err *err);

/* How the clusters of a scope grew: one row per cluster and run, by
 * cluster id, then run. */
typedef struct voc_cluster_history_row {
    int64_t cluster_id;
    char *slug;
    char *label; /* as of that run */
    int64_t run_id;
    int64_t ran_at;
    int64_t items;
    int64_t new_items;
} voc_cluster_history_row;

int voc_cluster_store_history(voc_cluster_store *cs, const char *scope,
                              voc_cluster_history_row **rows, size_t *count, voc_err *err);
void voc_cluster_history_free(voc_cluster_history_row *rows, size_t count);

#endif
