/* log.h: one line per event on stderr:
 *
 *     2026-11-22T13:47:04.123Z INFO processor: batch stored seq=3 items=500
 *
 * The VOC_LOG_* macros test the level before evaluating their arguments, so a
 * debug line in a hot loop costs one comparison when debug is off. */
#ifndef VOC_LOG_H
#define VOC_LOG_H

typedef enum voc_log_level {
    VOC_LOG_LEVEL_DEBUG = 0,
    VOC_LOG_LEVEL_INFO = 1,
    VOC_LOG_LEVEL_WARN = 2,
    VOC_LOG_LEVEL_ERROR = 3,
    VOC_LOG_LEVEL_OFF = 4,
} voc_log_level;

/* Current threshold; set once at start-up by main. Defaults to INFO. */
extern voc_log_level voc_log_threshold;

/* Parse "debug", "info", "warn", "error", "off". Returns 0 or VOC_EINVAL. */
int voc_log_parse_level(const char *name, voc_log_level *out);

void voc_log_write(voc_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define VOC_LOG_(lvl, comp, ...)                                                                   \
    do {                                                                                           \
        if ((lvl) >= voc_log_threshold)                                                            \
            voc_log_write((lvl), (comp), __VA_ARGS__);                                             \
    } while (0)
#define VOC_LOG_DEBUG(comp, ...) VOC_LOG_(VOC_LOG_LEVEL_DEBUG, comp, __VA_ARGS__)
#define VOC_LOG_INFO(comp, ...) VOC_LOG_(VOC_LOG_LEVEL_INFO, comp, __VA_ARGS__)
#define VOC_LOG_WARN(comp, ...) VOC_LOG_(VOC_LOG_LEVEL_WARN, comp, __VA_ARGS__)
#define VOC_LOG_ERROR(comp, ...) VOC_LOG_(VOC_LOG_LEVEL_ERROR, comp, __VA_ARGS__)

#endif
