/* adapters.c: the vendor adapter table and the helpers adapters share
 * (item lists, constant-time comparison, HMAC, base64, hex). Vendors are
 * added to the table as their adapters land. */
#include "collectors/adapter.h"

#include "common/alloc.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

voc_item *voc_item_list_push(voc_item_list *l)
{
    voc_grow((void **)&l->items, &l->cap, l->count + 1, sizeof *l->items);
    voc_item_init(&l->items[l->count]);
    return &l->items[l->count++];
}

void voc_item_list_clear(voc_item_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        voc_item_clear(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

int voc_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    if (alen != blen) return 0;
    const unsigned char *x = a, *y = b;
    unsigned char d = 0;
    for (size_t i = 0; i < alen; i++)
        d |= x[i] ^ y[i];
    return d == 0;
}

void voc_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                     unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n);
}

void voc_hmac_sha1(const void *key, size_t key_len, const void *data, size_t len,
                   unsigned char out[20])
{
    unsigned int n = 20;
    HMAC(EVP_sha1(), key, (int)key_len, data, len, out, &n);
}

char *voc_base64_encode(const unsigned char *data, size_t len)
{
    char *out = voc_malloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

unsigned char *voc_base64_decode(const char *s, size_t len, size_t *out_len)
{
    if (len % 4 != 0) return NULL;
    unsigned char *out = voc_malloc(len / 4 * 3 + 1);
    int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
    if (n < 0) {
        free(out);
        return NULL;
    }
    /* EVP_DecodeBlock counts padding bytes as data: take them back. */
    if (len && s[len - 1] == '=') n--;
    if (len > 1 && s[len - 2] == '=') n--;
    *out_len = (size_t)n;
    return out;
}

void voc_hex(const unsigned char *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

/* The vendor adapters, one entry each, as they land. */
static const voc_adapter s_adapters[] = {{NULL}};

const voc_adapter *voc_adapters(size_t *count)
{
    *count = 0;
    while (s_adapters[*count].name)
        (*count)++;
    return s_adapters;
}

const voc_adapter *voc_adapter_find(const char *name)
{
    size_t n;
    const voc_adapter *a = voc_adapters(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].name, name) == 0) return &a[i];
    return NULL;
}
