/* vtime.h: time parsing and formatting. voc stores every time as signed
 * seconds since the Unix epoch, UTC (int64_t).
 *
 * Accepted absolute forms (voc_time_parse):
 *   RFC 3339                 2026-03-04T10:11:12Z, 2026-03-04T10:11:12.5+02:00
 *   date and time, UTC       2026-03-04 10:11:12 (also with 'T', no zone)
 *   date, UTC midnight       2026-03-04
 *   epoch seconds            1772619072 (1 to 11 digits)
 *   epoch milliseconds       1772619072000 (exactly 13 digits)
 * Relative forms (voc_time_parse_since only): 24h, 30d, 12w, 6m, 1y: that long
 * before `now` (months and years are calendar months and years). */
#ifndef VOC_VTIME_H
#define VOC_VTIME_H

#include "common/err.h"

#include <stdint.h>

#define VOC_TIME_BUF 32

/* Parse an absolute time. Errors: VOC_EPARSE with what was wrong. */
int voc_time_parse(const char *s, int64_t *out, voc_err *err);

/* Parse an absolute or relative time (see above). */
int voc_time_parse_since(const char *s, int64_t now, int64_t *out, voc_err *err);

/* Format as RFC 3339 UTC, "2026-03-04T10:11:12Z", into buf; returns buf. */
char *voc_time_format(int64_t t, char buf[VOC_TIME_BUF]);

/* Format the date only, "2026-03-04". */
char *voc_time_format_date(int64_t t, char buf[VOC_TIME_BUF]);

/* Current wall-clock time in seconds. */
int64_t voc_time_now(void);

/* Days since 1970-01-01 of a civil date, and back. Exposed for calendar
 * arithmetic (trends, relative windows). */
int64_t voc_days_from_civil(int64_t y, unsigned m, unsigned d);
void voc_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
