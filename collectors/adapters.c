/* adapters.c: the vendor adapter table and the helpers adapters share
 * (item lists, constant-time comparison, HMAC, base64, hex, HTML to text,
 * reading vendor JSON into items). Each vendor's adapter lives in its own
 * adapter_NAME.c; the table below lists them. */
#include "collectors/adapter.h"
#include "collectors/adapter_int.h"

#include "common/alloc.h"
#include "common/vtime.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* The vendor adapters, one entry each (verify and parse live in
 * adapter_NAME.c). The order is the order of the routes in /metrics. */
static const voc_adapter s_adapters[] = {
    {"typeform", "Typeform form_response webhooks (answers, NPS, hidden fields)",
     "the secret set on the form's webhook (Connect > Webhooks > Edit > Secret)",
     voc_typeform_verify, voc_typeform_parse},
    {"delighted", "Delighted survey_response.created / .updated webhooks",
     "the Delighted API key that signs webhooks (Integrations > Webhooks)", voc_delighted_verify,
     voc_delighted_parse},
    {"formbricks", "Formbricks responseCreated / responseUpdated / responseFinished webhooks",
     "the webhook's signing secret, whsec_... (Configuration > Integrations > Webhooks)",
     voc_formbricks_verify, voc_formbricks_parse},
    {"zendesk", "Zendesk ticket events (event subscriptions) and trigger JSON with a ticket",
     "the webhook's signing secret (Admin Center > Apps and integrations > Webhooks)",
     voc_zendesk_verify, voc_zendesk_parse},
    {"intercom", "Intercom conversation.user.created / .replied notifications",
     "the app's client secret (Developer Hub > your app > Basic information)", voc_intercom_verify,
     voc_intercom_parse},
    {NULL},
};

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

/* ---- verifying ---------------------------------------------------------- */

int voc_adapter_need_secret(const char *vendor, const char *secret, voc_err *err)
{
    if (secret && *secret) return 0;
    return voc_err_set(err, VOC_EAUTH, "%s: no secret is configured (%s-secret)", vendor, vendor);
}

const char *voc_adapter_header(const voc_http_req *req, const char *name)
{
    return req->header ? req->header(req, name) : NULL;
}

bool voc_adapter_hex_equal(const char *given, const unsigned char *want, size_t want_len)
{
    size_t n = strlen(given);
    if (want_len > 64 || n != 2 * want_len) return false;
    char lower[2 * 64 + 1], expect[2 * 64 + 1];
    for (size_t i = 0; i < n; i++)
        lower[i] = (char)tolower((unsigned char)given[i]);
    voc_hex(want, want_len, expect);
    return voc_ct_equal(lower, n, expect, n) != 0;
}

bool voc_adapter_base64_equal(const char *given, size_t given_len, const unsigned char *want,
                              size_t want_len)
{
    char *expect = voc_base64_encode(want, want_len);
    bool ok = voc_ct_equal(given, given_len, expect, strlen(expect)) != 0;
    free(expect);
    return ok;
}

/* ---- reading vendor JSON ------------------------------------------------ */

int voc_adapter_parse_json(const voc_http_req *req, cJSON **root, voc_err *err)
{
    *root = NULL;
    size_t k = 0;
    while (k < req->body_len && isspace((unsigned char)req->body[k]))
        k++;
    if (k == req->body_len) return voc_err_set(err, VOC_EPARSE, "body: empty");
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, 0);
    if (!doc) {
        size_t at = end && end >= req->body ? (size_t)(end - req->body) : 0;
        return voc_err_set(err, VOC_EPARSE, "body: not valid JSON (error near byte %zu)", at);
    }
    for (const char *p = end; p && p < req->body + req->body_len; p++)
        if (!isspace((unsigned char)*p)) {
            cJSON_Delete(doc);
            return voc_err_set(err, VOC_EPARSE, "body: unexpected bytes after the JSON at byte %zu",
                               (size_t)(p - req->body));
        }
    *root = doc;
    return 0;
}

const cJSON *voc_adapter_get(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj)) return NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return v && !cJSON_IsNull(v) ? v : NULL;
}

const char *voc_adapter_str(const cJSON *obj, const char *key)
{
    const cJSON *v = voc_adapter_get(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int voc_adapter_object(const cJSON *obj, const char *key, const char *field, bool required,
                       const cJSON **out, voc_err *err)
{
    const cJSON *v = voc_adapter_get(obj, key);
    *out = NULL;
    if (!v) {
        if (required) return voc_err_set(err, VOC_EPARSE, "%s: missing or not an object", field);
        return 0;
    }
    if (!cJSON_IsObject(v)) return voc_err_set(err, VOC_EPARSE, "%s: must be an object", field);
    *out = v;
    return 0;
}

bool voc_adapter_whole(const cJSON *v, int *n)
{
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < INT_MIN || d > INT_MAX) return false;
    *n = (int)d;
    return true;
}

int voc_adapter_id(const cJSON *obj, const char *key, const char *field, bool required, char **out,
                   voc_err *err)
{
    const cJSON *v = voc_adapter_get(obj, key);
    *out = NULL;
    if (cJSON_IsString(v) && v->valuestring[0]) {
        /* Two ids and a vendor name must fit the decoder's 256-byte uid. */
        if (strlen(v->valuestring) > 120)
            return voc_err_set(err, VOC_EINVAL, "%s: longer than 120 bytes", field);
        *out = voc_strdup(v->valuestring);
        return 0;
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
            return voc_err_set(err, VOC_EPARSE, "%s: must be a string or a whole number", field);
        *out = voc_asprintf("%.0f", d);
        return 0;
    }
    if (v && !cJSON_IsString(v))
        return voc_err_set(err, VOC_EPARSE, "%s: must be a string or a whole number", field);
    if (required) return voc_err_set(err, VOC_EPARSE, "%s: missing", field);
    return 0;
}

int voc_adapter_time(const cJSON *obj, const char *key, const char *field, int64_t *out, bool *set,
                     voc_err *err)
{
    const cJSON *v = voc_adapter_get(obj, key);
    char digits[32];
    const char *s = NULL;
    *set = false;
    if (!v) return 0;
    if (cJSON_IsString(v)) {
        s = v->valuestring;
        if (!*s) return 0;
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d) || d < 0 || d > 1e14)
            return voc_err_set(err, VOC_EINVAL, "%s: %g is not an epoch time", field, d);
        snprintf(digits, sizeof digits, "%.0f", floor(d));
        s = digits;
    } else {
        return voc_err_set(err, VOC_EPARSE, "%s: must be a time string or epoch seconds", field);
    }
    voc_err why;
    if (voc_time_parse(s, out, &why)) return voc_err_set(err, VOC_EINVAL, "%s: %s", field, why.msg);
    *set = true;
    return 0;
}

char *voc_adapter_text_of(const cJSON *v)
{
    if (cJSON_IsString(v)) return voc_strdup(v->valuestring);
    if (cJSON_IsBool(v)) return voc_strdup(cJSON_IsTrue(v) ? "true" : "false");
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d)) return NULL;
        if (d == floor(d) && fabs(d) < 1e15) return voc_asprintf("%.0f", d);
        return voc_asprintf("%g", d);
    }
    if (cJSON_IsArray(v)) {
        voc_buf b = {0};
        const cJSON *e;
        cJSON_ArrayForEach(e, v)
        {
            char *s = cJSON_IsArray(e) || cJSON_IsObject(e) ? NULL : voc_adapter_text_of(e);
            if (s && *s) {
                if (b.len) voc_buf_putc(&b, ',');
                voc_buf_puts(&b, s);
            }
            free(s);
        }
        return b.data;
    }
    return NULL;
}

/* ---- filling items ------------------------------------------------------ */

voc_item *voc_adapter_item(voc_item_list *out, const char *vendor, const char *id, const char *part,
                           voc_kind kind)
{
    voc_item *it = voc_item_list_push(out);
    it->source = voc_strdup(vendor);
    it->uid = part ? voc_asprintf("%s:%s:%s", vendor, id, part) : voc_asprintf("%s:%s", vendor, id);
    it->kind = kind;
    return it;
}

void voc_adapter_created(voc_item *it, bool set, int64_t t, int64_t now)
{
    it->created_at = set ? t : now;
    it->created_defaulted = !set;
}

static bool s_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i])) return false;
    return true;
}

void voc_adapter_text_add(voc_buf *text, const char *s)
{
    if (!s) return;
    size_t a = 0, z = strlen(s);
    while (a < z && isspace((unsigned char)s[a]))
        a++;
    while (z > a && isspace((unsigned char)s[z - 1]))
        z--;
    if (z == a) return;
    if (text->len) voc_buf_puts(text, "\n\n");
    voc_buf_append(text, s + a, z - a);
}

bool voc_adapter_take_text(voc_item *it, voc_buf *text)
{
    if (!text->len || s_blank(text->data, text->len)) {
        voc_buf_free(text);
        free(it->text);
        it->text = voc_strdup(""); /* a score-only answer */
        it->text_len = 0;
        return false;
    }
    free(it->text);
    it->text = text->data;
    it->text_len = text->len;
    memset(text, 0, sizeof *text);
    return true;
}

#define S_ATTR_KEY_MAX 64
#define S_ATTR_VALUE_MAX 1024

void voc_adapter_attr(voc_item *it, const char *key, const char *value)
{
    if (!key || !value) return;
    size_t kl = strlen(key);
    if (kl == 0 || kl > S_ATTR_KEY_MAX) return;
    size_t a = 0, z = strlen(value);
    while (a < z && isspace((unsigned char)value[a]))
        a++;
    while (z > a && isspace((unsigned char)value[z - 1]))
        z--;
    if (z == a) return;
    if (!voc_item_attr(it, key) && it->attr_count >= voc_item_limits_default().max_attrs) return;
    if (z - a > S_ATTR_VALUE_MAX) {
        z = a + S_ATTR_VALUE_MAX;
        while (z > a && ((unsigned char)value[z] & 0xC0) == 0x80) /* not mid-character */
            z--;
    }
    char *clean = voc_strndup(value + a, z - a);
    for (char *p = clean; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = ' ';
    voc_item_set_attr(it, key, clean);
    free(clean);
}

bool voc_adapter_attr_key(const char *label, char *out, size_t cap)
{
    bool words = strchr(label, ' ') != NULL;
    size_t k = 0;
    if (cap == 0) return false;
    for (const char *p = label; *p && k + 1 < cap && k < S_ATTR_KEY_MAX; p++) {
        unsigned char ch = (unsigned char)*p;
        if (isspace(ch) || ch == '-') {
            if (k && out[k - 1] != '_') out[k++] = '_';
        } else if (isalnum(ch) || ch == '_' || ch == '.') {
            out[k++] = words ? (char)tolower(ch) : (char)ch;
        }
    }
    while (k && out[k - 1] == '_')
        k--;
    out[k] = '\0';
    return k > 0;
}

/* Lower case, without separators: "First Name", "first_name" and
 * "firstName" all read "firstname". */
static void s_squash(const char *key, char *out, size_t cap)
{
    size_t k = 0;
    for (const char *p = key; *p && k + 1 < cap; p++)
        if (isalnum((unsigned char)*p)) out[k++] = (char)tolower((unsigned char)*p);
    out[k] = '\0';
}

static bool s_in(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0) return true;
    return false;
}

bool voc_adapter_pii_key(const char *key)
{
    static const char *const names[] = {"name",      "firstname", "lastname", "fullname",
                                        "surname",   "givenname", "ip",       "ipaddress",
                                        "address",   "street",    "birthday", "dateofbirth",
                                        "birthdate", "ssn",       NULL};
    char k[S_ATTR_KEY_MAX + 1];
    s_squash(key, k, sizeof k);
    return strstr(k, "email") || strstr(k, "phone") || strstr(k, "mobile") || s_in(k, names);
}

/* Which customer property names mean what, most specific first. */
static const char *const s_customer_keys[] = {"customerid", "userid", "externalid", NULL};
static const char *const s_account_keys[] = {"accountid", "account",      "companyid",
                                             "company",   "organization", NULL};

static int s_rank(const char *key, const char *const *list)
{
    char k[S_ATTR_KEY_MAX + 1];
    s_squash(key, k, sizeof k);
    for (int i = 0; list[i]; i++)
        if (strcmp(k, list[i]) == 0) return i;
    return -1;
}

void voc_adapter_properties(voc_item *it, const cJSON *props)
{
    if (!cJSON_IsObject(props)) return;
    int best_customer = INT_MAX, best_account = INT_MAX;
    const cJSON *p;
    cJSON_ArrayForEach(p, props)
    {
        if (!p->string || cJSON_IsObject(p) || voc_adapter_pii_key(p->string)) continue;
        char *value = voc_adapter_text_of(p);
        /* An e-mail address under another name is still an address. */
        if (!value || s_blank(value, strlen(value)) || strchr(value, '@')) {
            free(value);
            continue;
        }
        int rc = s_rank(p->string, s_customer_keys), ra = s_rank(p->string, s_account_keys);
        if (rc >= 0 && strlen(value) <= 200) {
            if (rc < best_customer) {
                free(it->customer_id);
                it->customer_id = value;
                best_customer = rc;
                continue;
            }
        } else if (ra >= 0 && strlen(value) <= 200) {
            if (ra < best_account) {
                free(it->account);
                it->account = value;
                best_account = ra;
                continue;
            }
        } else {
            char key[S_ATTR_KEY_MAX + 1];
            if (voc_adapter_attr_key(p->string, key, sizeof key)) voc_adapter_attr(it, key, value);
        }
        free(value);
    }
}

/* ---- HTML to text ------------------------------------------------------- */

static void s_put_cp(voc_buf *b, uint32_t cp)
{
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0xA0) cp = cp == '\n' ? '\n' : ' ';
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    voc_buf_append(b, u, n);
}

/* Decode the entity at s[0] == '&'; returns the bytes consumed, 0 when it is
 * not one we know (the '&' is then literal). */
static size_t s_entity(const char *s, size_t len, voc_buf *b)
{
    static const struct {
        const char *name;
        uint32_t cp;
    } named[] = {{"amp", '&'},       {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
                 {"apos", '\''},     {"nbsp", ' '},     {"ndash", 0x2013}, {"mdash", 0x2014},
                 {"hellip", 0x2026}, {"rsquo", 0x2019}, {"lsquo", 0x2018}, {"rdquo", 0x201D},
                 {"ldquo", 0x201C},  {"euro", 0x20AC},  {"copy", 0xA9}};
    size_t semi = 1;
    while (semi < len && semi < 12 && s[semi] != ';')
        semi++;
    if (semi >= len || s[semi] != ';' || semi == 1) return 0;
    if (s[1] == '#') {
        bool hex = semi > 2 && (s[2] == 'x' || s[2] == 'X');
        size_t i = hex ? 3 : 2;
        if (i == semi) return 0;
        uint32_t cp = 0;
        for (; i < semi; i++) {
            unsigned char ch = (unsigned char)s[i];
            if (hex ? !isxdigit(ch) : !isdigit(ch)) return 0;
            int d = isdigit(ch) ? ch - '0' : tolower(ch) - 'a' + 10;
            cp = cp * (hex ? 16 : 10) + (uint32_t)d;
            if (cp > 0x10FFFF) cp = 0x110000; /* stays out of range, no overflow */
        }
        s_put_cp(b, cp);
        return semi + 1;
    }
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++)
        if (strlen(named[k].name) == semi - 1 && memcmp(s + 1, named[k].name, semi - 1) == 0) {
            s_put_cp(b, named[k].cp);
            return semi + 1;
        }
    return 0;
}

static bool s_tag_is(const char *name, size_t n, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strlen(list[i]) == n && strncasecmp(name, list[i], n) == 0) return true;
    return false;
}

/* Index of the first case-insensitive occurrence of needle at or after
 * from, or len. */
static size_t s_find_ci(const char *s, size_t len, size_t from, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = from; i + n <= len; i++)
        if (strncasecmp(s + i, needle, n) == 0) return i;
    return len;
}

char *voc_html_to_text(const char *html, size_t len)
{
    static const char *const blocks[] = {"p",      "div",        "li",  "ul", "ol",      "h1",
                                         "h2",     "h3",         "h4",  "h5", "h6",      "tr",
                                         "table",  "blockquote", "pre", "hr", "section", "article",
                                         "header", "footer",     NULL};
    static const char *const raw_text[] = {"script", "style", NULL};
    voc_buf raw = {0};
    size_t i = 0;
    while (i < len) {
        char c = html[i];
        if (c == '<') {
            if (i + 3 < len && memcmp(html + i, "<!--", 4) == 0) {
                size_t e = i + 4;
                while (e + 2 < len && memcmp(html + e, "-->", 3) != 0)
                    e++;
                i = e + 2 < len ? e + 3 : len;
                continue;
            }
            size_t j = i + 1;
            bool closing = j < len && html[j] == '/';
            if (closing) j++;
            bool markup = j < len && (isalpha((unsigned char)html[j]) ||
                                      (!closing && (html[j] == '!' || html[j] == '?')));
            if (!markup) { /* "a < b", "<3": text, not a tag */
                voc_buf_putc(&raw, '<');
                i++;
                continue;
            }
            size_t name = j;
            while (j < len && isalnum((unsigned char)html[j]))
                j++;
            size_t name_len = j - name;
            char quote = 0;
            while (j < len && (quote || html[j] != '>')) {
                if (quote && html[j] == quote)
                    quote = 0;
                else if (!quote && (html[j] == '"' || html[j] == '\''))
                    quote = html[j];
                j++;
            }
            i = j < len ? j + 1 : len;
            if (!closing && s_tag_is(html + name, name_len, raw_text)) {
                char end[16];
                snprintf(end, sizeof end, "</%.*s", (int)name_len, html + name);
                size_t e = s_find_ci(html, len, i, end);
                while (e < len && html[e] != '>')
                    e++;
                i = e < len ? e + 1 : len;
            } else if (s_tag_is(html + name, name_len, (const char *const[]){"br", NULL})) {
                voc_buf_putc(&raw, '\n');
            } else if (s_tag_is(html + name, name_len, blocks)) {
                voc_buf_puts(&raw, "\n\n");
            }
            continue;
        }
        if (c == '&') {
            size_t used = s_entity(html + i, len - i, &raw);
            if (used) {
                i += used;
                continue;
            }
        }
        /* Whitespace in the source is a space, as a browser shows it. */
        voc_buf_putc(&raw, c == '\n' || c == '\r' || c == '\t' || c == '\f' ? ' ' : c);
        i++;
    }

    /* Collapse: spaces to one, trimmed around line breaks, at most one
     * blank line, nothing at either end. */
    voc_buf out = {0};
    size_t newlines = 0;
    bool space = false, started = false;
    for (size_t k = 0; k < raw.len; k++) {
        char ch = raw.data[k];
        if (ch == '\n') {
            newlines++;
            space = false;
        } else if (ch == ' ') {
            space = true;
        } else {
            if (started) {
                if (newlines)
                    voc_buf_append(&out, "\n\n", newlines > 1 ? 2 : 1);
                else if (space)
                    voc_buf_putc(&out, ' ');
            }
            newlines = 0;
            space = false;
            started = true;
            voc_buf_putc(&out, ch);
        }
    }
    voc_buf_free(&raw);
    if (!out.data) voc_buf_puts(&out, "");
    return out.data;
}
