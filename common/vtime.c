/* vtime.c: strict time parsing (see vtime.h). Hand-written rather than
 * strptime() because strptime accepts out-of-range fields, ignores zones and
 * depends on the locale; a feedback item with a bad date must be rejected
 * with a reason, not silently moved. */
#include "common/vtime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t voc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Shift the year to start in March so the leap day is last. */
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void voc_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;
    const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const int64_t doe = days - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int s_days_in_month(int64_t y, unsigned m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the instants RFC 3339's
 * four-digit years can name. */
#define S_MIN_TIME INT64_C(-62167219200)
#define S_MAX_TIME INT64_C(253402300799)

/* Read exactly n digits at *p; advance. */
static int s_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int voc_time_parse(const char *s, int64_t *out, voc_err *err)
{
    if (!s || !*s)
        return voc_err_set(err, VOC_EPARSE, "empty time");
    size_t len = strlen(s);
    size_t ndig = strspn(s, "0123456789");
    if (ndig == len) {
        if (len <= 11 || len == 13) {
            int64_t v = 0;
            for (size_t i = 0; i < len; i++)
                v = v * 10 + (s[i] - '0');
            *out = len == 13 ? v / 1000 : v;
            return 0;
        }
        return voc_err_set(err, VOC_EPARSE,
                           "'%.40s': epoch time must have 1-11 digits (seconds) or 13 (ms)", s);
    }

    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (s_digits(&p, 4, &y) || *p++ != '-' || s_digits(&p, 2, &mo) || *p++ != '-' ||
        s_digits(&p, 2, &d))
        goto bad;
    if (mo < 1 || mo > 12)
        return voc_err_set(err, VOC_EPARSE, "'%.40s': month %d out of range", s, mo);
    if (d < 1 || d > s_days_in_month(y, (unsigned)mo))
        return voc_err_set(err, VOC_EPARSE, "'%.40s': day %d out of range", s, d);
    int offset = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (s_digits(&p, 2, &h) || *p++ != ':' || s_digits(&p, 2, &mi))
            goto bad;
        if (*p == ':') {
            p++;
            if (s_digits(&p, 2, &sec))
                goto bad;
        }
        if (*p == '.' || *p == ',') {
            p++;
            if (!isdigit((unsigned char)*p))
                goto bad;
            while (isdigit((unsigned char)*p))
                p++; /* sub-second precision is dropped */
        }
        if (h > 23 || mi > 59 || sec > 60)
            return voc_err_set(err, VOC_EPARSE, "'%.40s': time of day out of range", s);
        if (sec == 60)
            sec = 59; /* leap second */
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om;
            if (s_digits(&p, 2, &oh))
                goto bad;
            if (*p == ':')
                p++;
            if (s_digits(&p, 2, &om))
                goto bad;
            if (oh > 23 || om > 59)
                return voc_err_set(err, VOC_EPARSE, "'%.40s': zone offset out of range", s);
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    if (*p != '\0')
        goto bad;
    int64_t t = voc_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
                sec - offset;
    /* A zone offset can move a date at either end of 0000-9999 past it, to
     * a year voc_time_format would write in a form this parser rejects. */
    if (t < S_MIN_TIME || t > S_MAX_TIME)
        return voc_err_set(err, VOC_EPARSE, "'%.40s': outside the years 0000-9999 in UTC", s);
    *out = t;
    return 0;
bad:
    return voc_err_set(err, VOC_EPARSE,
                       "'%.40s' is not a time (use RFC 3339, YYYY-MM-DD, "
                       "'YYYY-MM-DD HH:MM:SS' or epoch seconds)",
                       s);
}

int voc_time_parse_since(const char *s, int64_t now, int64_t *out, voc_err *err)
{
    if (!s || !*s)
        return voc_err_set(err, VOC_EPARSE, "empty time");
    char *end = NULL;
    size_t ndig = strspn(s, "0123456789");
    if (ndig > 0 && ndig <= 6 && s[ndig] != '\0' && s[ndig + 1] == '\0' &&
        strchr("hdwmy", s[ndig])) {
        long n = strtol(s, &end, 10);
        int64_t y;
        unsigned m, d;
        int64_t days = now >= 0 ? now / 86400 : (now - 86399) / 86400;
        int64_t tod = now - days * 86400;
        switch (s[ndig]) {
        case 'h': *out = now - (int64_t)n * 3600; return 0;
        case 'd': *out = now - (int64_t)n * 86400; return 0;
        case 'w': *out = now - (int64_t)n * 7 * 86400; return 0;
        case 'm':
        case 'y': {
            voc_civil_from_days(days, &y, &m, &d);
            int64_t months = y * 12 + (m - 1) - (s[ndig] == 'y' ? n * 12 : n);
            y = months >= 0 ? months / 12 : (months - 11) / 12;
            m = (unsigned)(months - y * 12) + 1;
            int dim = s_days_in_month(y, m);
            if ((int)d > dim)
                d = (unsigned)dim;
            *out = voc_days_from_civil(y, m, d) * 86400 + tod;
            return 0;
        }
        }
    }
    int rc = voc_time_parse(s, out, err);
    if (rc)
        return voc_err_set(err, VOC_EPARSE,
                           "'%.40s' is not a time: use 30d, 12w, 6m, 1y, 24h or a date "
                           "such as 2026-01-31",
                           s);
    return 0;
}

char *voc_time_format(int64_t t, char buf[VOC_TIME_BUF])
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t tod = t - days * 86400, y;
    unsigned m, d;
    voc_civil_from_days(days, &y, &m, &d);
    snprintf(buf, VOC_TIME_BUF, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d,
             (int)(tod / 3600), (int)(tod / 60 % 60), (int)(tod % 60));
    return buf;
}

char *voc_time_format_date(int64_t t, char buf[VOC_TIME_BUF])
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, y;
    unsigned m, d;
    voc_civil_from_days(days, &y, &m, &d);
    snprintf(buf, VOC_TIME_BUF, "%04lld-%02u-%02u", (long long)y, m, d);
    return buf;
}

int64_t voc_time_now(void)
{
    return (int64_t)time(NULL);
}
