/* utf8.c: strict UTF-8 validation (see utf8.h). */
#include "common/utf8.h"

#include <string.h>

int voc_utf8_decode(const unsigned char *s, size_t len, int32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    int n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (n == 0 || (size_t)n > len) {
        *cp = 0xFFFD;
        return 1;
    }
    int32_t v = c & (0x3F >> (n - 1));
    for (int i = 1; i < n; i++)
        v = (v << 6) | (s[i] & 0x3F);
    *cp = v;
    return n;
}

bool voc_utf8_valid(const char *str, size_t len, size_t *bad_at)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        /* ASCII runs, eight bytes at a time */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= len) break;
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        int n;
        uint32_t min;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            min = 0x10000;
        } else {
            goto bad;
        }
        if (i + (size_t)n > len) goto bad;
        uint32_t v = c & (0x3F >> (n - 1));
        for (int k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) goto bad;
            v = (v << 6) | (s[i + k] & 0x3F);
        }
        if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) goto bad;
        i += (size_t)n;
    }
    return true;
bad:
    if (bad_at) *bad_at = i;
    return false;
}

size_t voc_utf8_prefix(const char *s, size_t len, size_t max_cols)
{
    size_t i = 0, cols = 0;
    while (i < len && cols < max_cols) {
        int32_t cp;
        i += (size_t)voc_utf8_decode((const unsigned char *)s + i, len - i, &cp);
        cols++;
    }
    return i > len ? len : i;
}

size_t voc_utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
    return n;
}
