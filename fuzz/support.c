/* support.c: helpers the fuzz targets share (see fuzz.h). */
#include "fuzz/fuzz.h"

#include "common/alloc.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void voc_fuzz_quiet(void)
{
    voc_log_threshold = VOC_LOG_LEVEL_OFF;
}

char *voc_fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = voc_malloc(size + 1);
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

void voc_fuzz_split(const uint8_t *data, size_t size, const char *sep, size_t *head_len,
                    const uint8_t **tail, size_t *tail_len)
{
    size_t n = strlen(sep);
    for (size_t i = 0; n && i + n <= size; i++) {
        if (memcmp(data + i, sep, n) == 0) {
            *head_len = i;
            *tail = data + i + n;
            *tail_len = size - i - n;
            return;
        }
    }
    *head_len = size;
    *tail = data + size;
    *tail_len = 0;
}

void voc_fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz: invariant broken: %s\n", what);
    abort();
}
