/* utf8.h: strict UTF-8 validation and small text helpers shared by every
 * stage that takes text from outside. */
#ifndef VOC_UTF8_H
#define VOC_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates, nothing
 * above U+10FFFF). On false, *bad_at (if not NULL) is the offset of the first
 * bad byte. NUL bytes are valid UTF-8; callers that forbid them check apart. */
bool voc_utf8_valid(const char *s, size_t len, size_t *bad_at);

/* Decode one code point at s (which must be valid UTF-8); returns its length
 * in bytes (1-4), or 1 with *cp = 0xFFFD if the byte is not a valid start. */
int voc_utf8_decode(const unsigned char *s, size_t len, int32_t *cp);

/* Byte length of the longest prefix of s (valid UTF-8) that is at most
 * max_cols code points; for truncating text for display. */
size_t voc_utf8_prefix(const char *s, size_t len, size_t max_cols);

/* Number of code points in valid UTF-8 s. */
size_t voc_utf8_count(const char *s, size_t len);

#endif
