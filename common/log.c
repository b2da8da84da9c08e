/* log.c: stderr logger (see log.h). The whole line is formatted first and
 * written with one fputs so lines from several processes sharing a terminal
 * do not interleave mid-line. */
#include "common/log.h"

#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

voc_log_level voc_log_threshold = VOC_LOG_LEVEL_INFO;

static const char *const s_level_names[] = {"DEBUG", "INFO", "WARN", "ERROR", "OFF"};

int voc_log_parse_level(const char *name, voc_log_level *out)
{
    for (int i = 0; i <= VOC_LOG_LEVEL_OFF; i++) {
        if (strcasecmp(name, s_level_names[i]) == 0) {
            *out = (voc_log_level)i;
            return 0;
        }
    }
    if (strcasecmp(name, "warning") == 0) {
        *out = VOC_LOG_LEVEL_WARN;
        return 0;
    }
    return VOC_EINVAL;
}

void voc_log_write(voc_log_level level, const char *component, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000L,
                     s_level_names[level < 0 || level > VOC_LOG_LEVEL_ERROR ? 3 : level],
                     component);
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len] = '\n';
    line[len + 1] = '\0';
    fputs(line, stderr);
}
