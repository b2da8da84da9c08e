/* rollup.c: in-memory deltas for item_day, theme_day and theme_day_all
 * (see rollup.h). An open-addressing table keyed by (day, theme, kind,
 * source): theme NULL for item_day rows, kind and source NULL for
 * theme_day_all rows (a theme's day over every kind and source). It is
 * emptied by every flush, so it stays as small as the set of rollup rows
 * one transaction touches. */
#include "store/rollup.h"

#include "common/alloc.h"

#include <stdlib.h>
#include <string.h>

typedef struct s_entry {
    uint64_t hash; /* 0: empty slot */
    int64_t day;
    char *theme; /* NULL: an item_day row */
    char *kind;  /* NULL (with source): a theme_day_all row */
    char *source;
    int64_t items, tagged, scored, promoters, detractors, sentiment_n;
    double sentiment_sum;
} s_entry;

struct voc_rollup {
    s_entry *slots;
    size_t cap; /* power of two */
    size_t used;
    sqlite3 *db; /* the statements below belong to it */
    sqlite3_stmt *item_st, *theme_st, *theme_all_st;
};

int64_t voc_rollup_day(int64_t t)
{
    return t / 86400 - (t % 86400 < 0);
}

voc_rollup *voc_rollup_new(void)
{
    voc_rollup *r = voc_calloc(1, sizeof *r);
    r->cap = 256;
    r->slots = voc_calloc(r->cap, sizeof *r->slots);
    return r;
}

static void s_clear_slots(voc_rollup *r)
{
    for (size_t i = 0; i < r->cap; i++) {
        s_entry *e = &r->slots[i];
        if (!e->hash) continue;
        free(e->theme);
        free(e->kind);
        free(e->source);
        memset(e, 0, sizeof *e);
    }
    r->used = 0;
}

void voc_rollup_reset(voc_rollup *r)
{
    if (r) s_clear_slots(r);
}

void voc_rollup_free(voc_rollup *r)
{
    if (!r) return;
    s_clear_slots(r);
    free(r->slots);
    sqlite3_finalize(r->item_st);
    sqlite3_finalize(r->theme_st);
    sqlite3_finalize(r->theme_all_st);
    free(r);
}

static uint64_t s_mix(uint64_t h, const char *s)
{
    /* FNV-1a over the string and a separator, so ("ab","c") != ("a","bc"). */
    if (s)
        for (; *s; s++)
            h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return (h ^ 0xffu) * 0x100000001b3ull;
}

static bool s_str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static void s_grow(voc_rollup *r)
{
    s_entry *old = r->slots;
    size_t old_cap = r->cap;
    r->cap *= 2;
    r->slots = voc_calloc(r->cap, sizeof *r->slots);
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].hash) continue;
        size_t j = old[i].hash & (r->cap - 1);
        while (r->slots[j].hash)
            j = (j + 1) & (r->cap - 1);
        r->slots[j] = old[i];
    }
    free(old);
}

static s_entry *s_find(voc_rollup *r, int64_t created_at, const char *theme, const char *kind,
                       const char *source)
{
    int64_t day = voc_rollup_day(created_at);
    uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)day;
    h *= 0x100000001b3ull;
    h = s_mix(s_mix(s_mix(h, theme ? theme : ""), kind), source);
    h += theme ? 0 : 1; /* item rows and a theme named "" differ */
    if (h == 0) h = 1;
    size_t j = h & (r->cap - 1);
    for (;; j = (j + 1) & (r->cap - 1)) {
        s_entry *e = &r->slots[j];
        if (!e->hash) break;
        if (e->hash == h && e->day == day && (e->theme == NULL) == (theme == NULL) &&
            s_str_eq(e->theme, theme) && s_str_eq(e->kind, kind) && s_str_eq(e->source, source))
            return e;
    }
    if ((r->used + 1) * 4 > r->cap * 3) {
        s_grow(r);
        return s_find(r, created_at, theme, kind, source);
    }
    s_entry *e = &r->slots[j];
    e->hash = h;
    e->day = day;
    e->theme = theme ? voc_strdup(theme) : NULL;
    e->kind = voc_strdup(kind);
    e->source = voc_strdup(source);
    r->used++;
    return e;
}

static void s_add(s_entry *e, int sign, int nps_score, bool has_sentiment, double sentiment)
{
    e->items += sign;
    if (nps_score >= 0) {
        e->scored += sign;
        e->promoters += nps_score >= 9 ? sign : 0;
        e->detractors += nps_score <= 6 ? sign : 0;
    }
    if (has_sentiment) {
        e->sentiment_n += sign;
        e->sentiment_sum += sign * sentiment;
    }
}

void voc_rollup_item(voc_rollup *r, int64_t created_at, const char *kind, const char *source,
                     int sign, int nps_score, bool has_sentiment, double sentiment)
{
    s_add(s_find(r, created_at, NULL, kind, source), sign, nps_score, has_sentiment, sentiment);
}

void voc_rollup_tagged(voc_rollup *r, int64_t created_at, const char *kind, const char *source,
                       int delta)
{
    if (delta) s_find(r, created_at, NULL, kind, source)->tagged += delta;
}

void voc_rollup_sentiment(voc_rollup *r, int64_t created_at, const char *kind, const char *source,
                          bool had, double old_value, bool has, double new_value)
{
    if (had == has && (!has || old_value == new_value)) return;
    s_entry *e = s_find(r, created_at, NULL, kind, source);
    if (had) {
        e->sentiment_n--;
        e->sentiment_sum -= old_value;
    }
    if (has) {
        e->sentiment_n++;
        e->sentiment_sum += new_value;
    }
}

void voc_rollup_theme(voc_rollup *r, int64_t created_at, const char *theme, const char *kind,
                      const char *source, int sign, int nps_score, bool has_sentiment,
                      double sentiment)
{
    s_add(s_find(r, created_at, theme, kind, source), sign, nps_score, has_sentiment, sentiment);
    s_add(s_find(r, created_at, theme, NULL, NULL), sign, nps_score, has_sentiment, sentiment);
}

static int s_fail(sqlite3 *db, int rc, voc_err *err, const char *what)
{
    int prim = rc & 0xff;
    int code = prim == SQLITE_FULL                            ? VOC_EFULL
               : prim == SQLITE_BUSY || prim == SQLITE_LOCKED ? VOC_EBUSY
                                                              : VOC_EDB;
    return voc_err_set(err, code, "%s: %s", what, sqlite3_errmsg(db));
}

#define S_UPSERT_SET                                                                               \
    " ON CONFLICT DO UPDATE SET items = items + excluded.items,"                                   \
    " scored = scored + excluded.scored, promoters = promoters + excluded.promoters,"              \
    " detractors = detractors + excluded.detractors,"                                              \
    " sentiment_sum = sentiment_sum + excluded.sentiment_sum,"                                     \
    " sentiment_n = sentiment_n + excluded.sentiment_n"

static int s_prepare(voc_rollup *r, sqlite3 *db, voc_err *err)
{
    if (r->db == db && r->item_st) return 0;
    sqlite3_finalize(r->item_st);
    sqlite3_finalize(r->theme_st);
    sqlite3_finalize(r->theme_all_st);
    r->item_st = r->theme_st = r->theme_all_st = NULL;
    r->db = db;
    int rc = sqlite3_prepare_v3(
        db,
        "INSERT INTO item_day (day, kind, source, items, tagged, scored, promoters, detractors,"
        " sentiment_sum, sentiment_n) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)" S_UPSERT_SET
        ", tagged = tagged + excluded.tagged",
        -1, SQLITE_PREPARE_PERSISTENT, &r->item_st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(
            db,
            "INSERT INTO theme_day (day, theme, kind, source, items, scored, promoters,"
            " detractors, sentiment_sum, sentiment_n) VALUES "
            "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)" S_UPSERT_SET,
            -1, SQLITE_PREPARE_PERSISTENT, &r->theme_st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(
            db,
            "INSERT INTO theme_day_all (day, theme, items, scored, promoters, detractors,"
            " sentiment_sum, sentiment_n) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)" S_UPSERT_SET,
            -1, SQLITE_PREPARE_PERSISTENT, &r->theme_all_st, NULL);
    return rc == SQLITE_OK ? 0 : s_fail(db, rc, err, "preparing rollups");
}

/* Flush order: by table, then by the table's key, so the upserts walk each
 * b-tree from left to right instead of jumping about in hash order (a
 * large transaction touches tens of thousands of rows). */
static int s_table_of(const s_entry *e)
{
    return !e->theme ? 0 : e->kind ? 1 : 2;
}

static int s_cmp_str(const char *a, const char *b)
{
    return a == b ? 0 : !a ? -1 : !b ? 1 : strcmp(a, b);
}

static int s_cmp_entry(const void *pa, const void *pb)
{
    const s_entry *a = *(const s_entry *const *)pa, *b = *(const s_entry *const *)pb;
    int c = s_table_of(a) - s_table_of(b);
    if (c) return c;
    if (a->day != b->day) return a->day < b->day ? -1 : 1;
    if ((c = s_cmp_str(a->theme, b->theme))) return c;
    if ((c = s_cmp_str(a->kind, b->kind))) return c;
    return s_cmp_str(a->source, b->source);
}

int voc_rollup_flush(voc_rollup *r, sqlite3 *db, voc_err *err)
{
    if (r->used == 0) return 0;
    int rc = s_prepare(r, db, err);
    const s_entry **order = voc_calloc(r->used, sizeof *order);
    size_t n = 0;
    for (size_t i = 0; i < r->cap; i++) {
        const s_entry *e = &r->slots[i];
        if (!e->hash) continue;
        if (!e->items && !e->tagged && !e->scored && !e->promoters && !e->detractors &&
            !e->sentiment_n && e->sentiment_sum == 0)
            continue;
        order[n++] = e;
    }
    if (n > 1) qsort(order, n, sizeof *order, s_cmp_entry);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const s_entry *e = order[i];
        sqlite3_stmt *st = !e->theme ? r->item_st : e->kind ? r->theme_st : r->theme_all_st;
        int k = 1;
        sqlite3_bind_int64(st, k++, e->day);
        if (e->theme) sqlite3_bind_text(st, k++, e->theme, -1, SQLITE_STATIC);
        if (e->kind) {
            sqlite3_bind_text(st, k++, e->kind, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, k++, e->source, -1, SQLITE_STATIC);
        }
        sqlite3_bind_int64(st, k++, e->items);
        if (!e->theme) sqlite3_bind_int64(st, k++, e->tagged);
        sqlite3_bind_int64(st, k++, e->scored);
        sqlite3_bind_int64(st, k++, e->promoters);
        sqlite3_bind_int64(st, k++, e->detractors);
        sqlite3_bind_double(st, k++, e->sentiment_sum);
        sqlite3_bind_int64(st, k++, e->sentiment_n);
        int src = sqlite3_step(st);
        if (src != SQLITE_DONE) rc = s_fail(db, src, err, "updating rollups");
        sqlite3_reset(st);
    }
    free(order);
    s_clear_slots(r);
    return rc;
}
