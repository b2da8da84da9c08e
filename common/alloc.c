/* alloc.c: aborting allocation wrappers and voc_buf (see alloc.h). */
#include "common/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_oom(size_t size)
{
    fprintf(stderr, "voc: out of memory allocating %zu bytes\n", size);
    abort();
}

void *voc_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        s_oom(size);
    return p;
}

void *voc_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        s_oom(count * size);
    return p;
}

void *voc_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        s_oom(size);
    return p;
}

void voc_grow(void **ptr, size_t *cap, size_t need, size_t elem_size)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    *ptr = voc_realloc(*ptr, n * elem_size);
    *cap = n;
}

char *voc_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *d = voc_malloc(n + 1);
    memcpy(d, s, n + 1);
    return d;
}

char *voc_strndup(const char *s, size_t n)
{
    char *d = voc_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}


static void s_buf_reserve(voc_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need > b->cap) {
        size_t n = b->cap ? b->cap : 256;
        while (n < need)
            n *= 2;
        b->data = voc_realloc(b->data, n);
        b->cap = n;
    }
}

void voc_buf_append(voc_buf *b, const void *data, size_t len)
{
    s_buf_reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void voc_buf_puts(voc_buf *b, const char *s)
{
    voc_buf_append(b, s, strlen(s));
}

void voc_buf_putc(voc_buf *b, char c)
{
    voc_buf_append(b, &c, 1);
}

void voc_buf_vprintf(voc_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    size_t room = b->cap > b->len ? b->cap - b->len : 0;
    int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
    if (n > 0 && (size_t)n >= room) {
        s_buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
    }
    va_end(again);
    if (n > 0)
        b->len += (size_t)n;
}

void voc_buf_printf(voc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    voc_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void voc_buf_reset(voc_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void voc_buf_free(voc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *voc_asprintf(const char *fmt, ...)
{
    voc_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    voc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (!b.data)
        return voc_strdup("");
    return b.data;
}
