/* test_time.c: strict time parsing and formatting (common/vtime.h). */
#include "common/vtime.h"

#include <criterion/criterion.h>
#include <string.h>

static int64_t s_parse(const char *s)
{
    int64_t t = 0;
    voc_err err = {0};
    cr_assert_eq(voc_time_parse(s, &t, &err), 0, "'%s': %s", s, err.msg);
    return t;
}

Test(time, accepted_forms)
{
    cr_assert_eq(s_parse("1970-01-01"), 0);
    cr_assert_eq(s_parse("2026-03-04"), 1772582400);
    cr_assert_eq(s_parse("2026-03-04 10:11:12"), 1772619072);
    cr_assert_eq(s_parse("2026-03-04T10:11:12"), 1772619072);
    cr_assert_eq(s_parse("2026-03-04T10:11:12Z"), 1772619072);
    cr_assert_eq(s_parse("2026-03-04t10:11:12z"), 1772619072);
    cr_assert_eq(s_parse("2026-03-04T10:11:12.987Z"), 1772619072);
    cr_assert_eq(s_parse("2026-03-04T12:11:12+02:00"), 1772619072);
    cr_assert_eq(s_parse("2026-03-04T05:41:12-0430"), 1772619072);
    cr_assert_eq(s_parse("2026-03-04T10:11"), 1772619060);
    cr_assert_eq(s_parse("1772619072"), 1772619072);
    cr_assert_eq(s_parse("1772619072123"), 1772619072);
    cr_assert_eq(s_parse("0"), 0);
    cr_assert_eq(s_parse("2024-02-29"), 1709164800); /* leap day */
    cr_assert_eq(s_parse("2016-12-31T23:59:60Z"), 1483228799); /* leap second */
    cr_assert_eq(s_parse("0000-01-01T00:00:00Z"), -62167219200); /* first and last */
    cr_assert_eq(s_parse("9999-12-31T23:59:59Z"), 253402300799); /* four-digit years */
}

Test(time, rejected_forms)
{
    const char *bad[] = {"",           "yesterday",          "2026-3-4",
                         "2026-02-29", "2023-02-29",         "2026-13-01",
                         "2026-00-10", "2026-04-31",         "2026-03-04T24:00:00Z",
                         "2026-03-04T10:60", "2026-03-04T10:11:12+25:00", "2026-03-04T10:11:12 junk",
                         "177261907212", "12345678901234", "2026/03/04", "2026-03-04T",
                         "-5",
                         /* offsets that carry the time out of 0000-9999 (fuzz_cli_filter) */
                         "9999-12-31T23:00:00-05:00", "0000-01-01T00:00:00+01:00", NULL};
    for (size_t i = 0; bad[i]; i++) {
        int64_t t;
        voc_err err = {0};
        cr_assert_neq(voc_time_parse(bad[i], &t, &err), 0, "accepted '%s'", bad[i]);
        cr_assert_eq(err.code, VOC_EPARSE);
        cr_assert_gt(strlen(err.msg), 0);
    }
}

Test(time, format_round_trip)
{
    char buf[VOC_TIME_BUF];
    cr_assert_str_eq(voc_time_format(1772619072, buf), "2026-03-04T10:11:12Z");
    cr_assert_str_eq(voc_time_format(0, buf), "1970-01-01T00:00:00Z");
    cr_assert_str_eq(voc_time_format(-1, buf), "1969-12-31T23:59:59Z");
    cr_assert_str_eq(voc_time_format_date(1772619072, buf), "2026-03-04");
    for (int64_t t = -86400 * 400; t < 86400LL * 365 * 200; t += 86400 * 37 + 3607) {
        voc_time_format(t, buf);
        cr_assert_eq(s_parse(buf), t, "%s", buf);
    }
}

Test(time, relative_windows)
{
    int64_t now = 1772619072; /* 2026-03-04T10:11:12Z */
    int64_t t;
    voc_err err;
    cr_assert_eq(voc_time_parse_since("30d", now, &t, &err), 0);
    cr_assert_eq(t, now - 30 * 86400);
    cr_assert_eq(voc_time_parse_since("12w", now, &t, &err), 0);
    cr_assert_eq(t, now - 84 * 86400);
    cr_assert_eq(voc_time_parse_since("24h", now, &t, &err), 0);
    cr_assert_eq(t, now - 86400);
    cr_assert_eq(voc_time_parse_since("6m", now, &t, &err), 0);
    cr_assert_eq(t, s_parse("2025-09-04T10:11:12Z"));
    cr_assert_eq(voc_time_parse_since("1y", now, &t, &err), 0);
    cr_assert_eq(t, s_parse("2025-03-04T10:11:12Z"));
    /* month arithmetic clamps to the month's last day */
    cr_assert_eq(voc_time_parse_since("1m", s_parse("2026-03-31"), &t, &err), 0);
    cr_assert_eq(t, s_parse("2026-02-28"));
    cr_assert_eq(voc_time_parse_since("2026-01-01", now, &t, &err), 0);
    cr_assert_eq(t, s_parse("2026-01-01"));
    cr_assert_neq(voc_time_parse_since("30x", now, &t, &err), 0);
    cr_assert(strstr(err.msg, "30d") != NULL, "%s", err.msg);
    cr_assert_neq(voc_time_parse_since("d", now, &t, &err), 0);
}
