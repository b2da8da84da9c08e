/* alloc.h: allocation wrappers. Out of memory is fatal in voc: these abort
 * with a message, so callers never check for NULL. */
#ifndef VOC_ALLOC_H
#define VOC_ALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *voc_malloc(size_t size);
void *voc_calloc(size_t count, size_t size);
void *voc_realloc(void *ptr, size_t size);
/* Grow *ptr (an array of *cap elements of elem_size) to hold at least need
 * elements; doubles capacity. */
void voc_grow(void **ptr, size_t *cap, size_t need, size_t elem_size);
char *voc_strdup(const char *s);           /* NULL in, NULL out */
char *voc_strndup(const char *s, size_t n); /* always NUL-terminates */
char *voc_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer, always NUL-terminated. */
typedef struct voc_buf {
    char *data;
    size_t len;
    size_t cap;
} voc_buf;

void voc_buf_append(voc_buf *b, const void *data, size_t len);
void voc_buf_puts(voc_buf *b, const char *s);
void voc_buf_putc(voc_buf *b, char c);
void voc_buf_printf(voc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void voc_buf_vprintf(voc_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void voc_buf_reset(voc_buf *b); /* len = 0, keeps memory */
void voc_buf_free(voc_buf *b);

#endif
