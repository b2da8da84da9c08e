/* adapter.h: vendor webhook adapters for voc-collect http.
 *
 * One adapter per survey or support tool, each a struct in one static table
 * (adapters.c): a name (its route is POST /v1/webhooks/NAME), a verify
 * function that checks the vendor's own signature scheme over the raw body
 * bytes before anything is parsed, and a parse function that maps the
 * vendor's documented payload to voc items. The HTTP server owns the
 * request; adapters only read it. */
#ifndef VOC_ADAPTER_H
#define VOC_ADAPTER_H

#include "common/err.h"
#include "common/item.h"

#include <stddef.h>
#include <stdint.h>

/* A received request, as adapters see it. */
typedef struct voc_http_req {
    const char *body; /* raw bytes, exactly as received; not NUL-terminated */
    size_t body_len;
    /* Case-insensitive header lookup; NULL when absent. */
    const char *(*header)(const struct voc_http_req *req, const char *name);
    void *impl;  /* for header() */
    int64_t now; /* Unix seconds, for timestamp tolerance */
} voc_http_req;

/* Items an adapter produced. */
typedef struct voc_item_list {
    voc_item *items;
    size_t count;
    size_t cap;
} voc_item_list;

/* Append a fresh, initialized item and return it (owned by the list). */
voc_item *voc_item_list_push(voc_item_list *l);
/* Free every item and the array. */
void voc_item_list_clear(voc_item_list *l);

typedef struct voc_adapter {
    const char *name;        /* "typeform": route /v1/webhooks/typeform */
    const char *description; /* for --help */
    const char *secret_help; /* where the secret comes from in the vendor's UI */
    /* Check the signature with this secret. Errors: VOC_EAUTH with a reason
     * (missing header, bad signature, stale timestamp, no secret). Never
     * logs or returns the secret. */
    int (*verify)(const voc_http_req *req, const char *secret, voc_err *err);
    /* Map the payload to items appended to out (zero items is fine for an
     * event that carries no feedback). Errors: VOC_EPARSE / VOC_EINVAL with
     * a reason naming the field, for a 400. */
    int (*parse)(const voc_http_req *req, voc_item_list *out, voc_err *err);
} voc_adapter;

/* The adapter table. */
const voc_adapter *voc_adapters(size_t *count);
const voc_adapter *voc_adapter_find(const char *name);

/* Shared helpers for adapters (adapters.c). */

/* Constant-time comparison of two byte strings (lengths compared first). */
int voc_ct_equal(const void *a, size_t alen, const void *b, size_t blen);
/* HMAC-SHA256 / HMAC-SHA1 of data with key into out (32 / 20 bytes). */
void voc_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                     unsigned char out[32]);
void voc_hmac_sha1(const void *key, size_t key_len, const void *data, size_t len,
                   unsigned char out[20]);
/* Base64 (standard alphabet, padded) encode into a malloc'ed string, and
 * decode (returns malloc'ed bytes and their length, NULL on bad input). */
char *voc_base64_encode(const unsigned char *data, size_t len);
unsigned char *voc_base64_decode(const char *s, size_t len, size_t *out_len);
/* Lower-case hex of bytes into out (2*len+1). */
void voc_hex(const unsigned char *bytes, size_t len, char *out);

/* Plain text of an HTML fragment (Intercom message bodies): tags removed,
 * script and style content and comments dropped, <br> a line break, block
 * elements (p, div, li, h1-h6, ...) paragraph breaks, entities decoded
 * (&amp; &lt; &gt; &quot; &apos; &#39; &nbsp; and numeric ones; an unknown
 * one is kept as written), runs of spaces collapsed, at most one blank line
 * in a row, no leading or trailing whitespace. html must be valid UTF-8;
 * the result is too. Caller owns; free with free(). */
char *voc_html_to_text(const char *html, size_t len);

#endif
