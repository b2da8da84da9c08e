/* rollup.h: the daily rollups (item_day, theme_day, theme_day_all) kept in
 * step by the store's own write path.
 *
 * Every change the store makes to items and item_themes adds or subtracts
 * that row's contribution here, in memory; voc_rollup_flush applies the
 * summed deltas with one upsert per (day, kind, source), per (day, theme,
 * kind, source) and per (day, theme) just before the transaction commits. A batch of thousands
 * of items touches a few dozen rollup rows, so this costs a fraction of a
 * per-row trigger. Internal to store/. */
#ifndef VOC_STORE_ROLLUP_H
#define VOC_STORE_ROLLUP_H

#include "common/err.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct voc_rollup voc_rollup;

voc_rollup *voc_rollup_new(void);
void voc_rollup_free(voc_rollup *r);

/* Forget the pending deltas (after a rollback). */
void voc_rollup_reset(voc_rollup *r);

/* One item row: sign +1 when it is added, -1 when it goes. nps_score < 0
 * when the item has no NPS score; has_sentiment false when it has none. */
void voc_rollup_item(voc_rollup *r, int64_t created_at, const char *kind, const char *source,
                     int sign, int nps_score, bool has_sentiment, double sentiment);

/* The item's tagged flag moved by delta (+1: it gained its first theme). */
void voc_rollup_tagged(voc_rollup *r, int64_t created_at, const char *kind, const char *source,
                       int delta);

/* The item's sentiment changed from old to new (either may be absent). */
void voc_rollup_sentiment(voc_rollup *r, int64_t created_at, const char *kind, const char *source,
                          bool had, double old_value, bool has, double new_value);

/* One theme row, as voc_rollup_item (counted in theme_day and
 * theme_day_all). */
void voc_rollup_theme(voc_rollup *r, int64_t created_at, const char *theme, const char *kind,
                      const char *source, int sign, int nps_score, bool has_sentiment,
                      double sentiment);

/* Apply the pending deltas to db (inside the caller's transaction) and
 * forget them. Errors: VOC_EDB, VOC_EFULL, VOC_EBUSY. */
int voc_rollup_flush(voc_rollup *r, sqlite3 *db, voc_err *err);

/* Day number of a time: floor(t / 86400). */
int64_t voc_rollup_day(int64_t t);

#endif
