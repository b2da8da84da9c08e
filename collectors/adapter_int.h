/* adapter_int.h: what the vendor adapters share inside the collectors
 * module: the functions the table in adapters.c lists, and small
 * helpers that read vendor JSON (cJSON) and fill voc_items the same way in
 * every adapter (uid scoped by vendor, attribute limits, PII-looking keys
 * left out, created_at defaulted so a replay hashes the same). Not part of
 * the module's public interface: tests go through adapter.h. */
#ifndef VOC_ADAPTER_INT_H
#define VOC_ADAPTER_INT_H

#include "collectors/adapter.h"
#include "common/alloc.h"

#include <cjson/cJSON.h>
#include <stdbool.h>

/* Each vendor's verify and parse (see voc_adapter in adapter.h), one
 * vendor per file, adapter_NAME.c, listed in the table in adapters.c. */
int voc_typeform_verify(const voc_http_req *req, const char *secret, voc_err *err);
int voc_typeform_parse(const voc_http_req *req, voc_item_list *out, voc_err *err);
int voc_delighted_verify(const voc_http_req *req, const char *secret, voc_err *err);
int voc_delighted_parse(const voc_http_req *req, voc_item_list *out, voc_err *err);
int voc_formbricks_verify(const voc_http_req *req, const char *secret, voc_err *err);
int voc_formbricks_parse(const voc_http_req *req, voc_item_list *out, voc_err *err);
int voc_zendesk_verify(const voc_http_req *req, const char *secret, voc_err *err);
int voc_zendesk_parse(const voc_http_req *req, voc_item_list *out, voc_err *err);
int voc_intercom_verify(const voc_http_req *req, const char *secret, voc_err *err);
int voc_intercom_parse(const voc_http_req *req, voc_item_list *out, voc_err *err);

/* ---- verifying --------------------------------------------------------- */

/* VOC_EAUTH "VENDOR: no secret is configured (VENDOR-secret)" when secret is
 * NULL or empty, else 0. */
int voc_adapter_need_secret(const char *vendor, const char *secret, voc_err *err);

/* Header value, or NULL when absent. Borrowed from the request. */
const char *voc_adapter_header(const voc_http_req *req, const char *name);

/* Constant-time check of a hex digest given by the vendor (either case)
 * against the expected bytes. */
bool voc_adapter_hex_equal(const char *given, const unsigned char *want, size_t want_len);

/* Constant-time check of a base64 digest against the expected bytes. */
bool voc_adapter_base64_equal(const char *given, size_t given_len, const unsigned char *want,
                              size_t want_len);

/* ---- reading vendor JSON ----------------------------------------------- */

/* Parse the body. On success *root is the document (caller frees with
 * cJSON_Delete). Errors: VOC_EPARSE "body: ..." (empty, not JSON, trailing
 * bytes). */
int voc_adapter_parse_json(const voc_http_req *req, cJSON **root, voc_err *err);

/* obj[key] when obj is an object and the member exists and is not null;
 * else NULL. Borrowed from obj. */
const cJSON *voc_adapter_get(const cJSON *obj, const char *key);

/* obj[key] when it is a string, else NULL. Borrowed from obj. */
const char *voc_adapter_str(const cJSON *obj, const char *key);

/* An object member that must be an object: *out is it (borrowed), or NULL
 * when absent or null and required is false. Errors: VOC_EPARSE "FIELD:
 * missing or not an object" / "FIELD: must be an object". */
int voc_adapter_object(const cJSON *obj, const char *key, const char *field, bool required,
                       const cJSON **out, voc_err *err);

/* An identifier: a non-empty string of at most 120 bytes, or a whole number
 * written in decimal. *out is malloc'ed (caller frees), NULL when absent and
 * not required. Errors: VOC_EPARSE / VOC_EINVAL naming field. */
int voc_adapter_id(const cJSON *obj, const char *key, const char *field, bool required, char **out,
                   voc_err *err);

/* A time: an RFC 3339 string or epoch seconds (number or digits). *set
 * says whether there was one (absent, null and "" are none). Errors:
 * VOC_EPARSE / VOC_EINVAL naming field. */
int voc_adapter_time(const cJSON *obj, const char *key, const char *field, int64_t *out, bool *set,
                     voc_err *err);

/* True, with *n, when v is a number holding a whole value in [INT_MIN,
 * INT_MAX]. */
bool voc_adapter_whole(const cJSON *v, int *n);

/* A scalar as text: strings as they are, whole numbers in decimal, other
 * numbers with %g, booleans as true/false; an array of scalars joined with
 * commas (tag lists). NULL for null, objects and nothing useful. Caller
 * frees. */
char *voc_adapter_text_of(const cJSON *v);

/* ---- filling items ----------------------------------------------------- */

/* Start an item in out with source VENDOR, uid "VENDOR:ID" or
 * "VENDOR:ID:PART" (the same scoping as voc-collect file, so an export
 * and a webhook of one response share a uid) and kind. */
voc_item *voc_adapter_item(voc_item_list *out, const char *vendor, const char *id, const char *part,
                           voc_kind kind);

/* created_at when the payload had one; otherwise now, flagged as defaulted
 * (left off the wire, so a replay does not move the stored item). */
void voc_adapter_created(voc_item *it, bool set, int64_t t, int64_t now);

/* Append a paragraph (trimmed; blank ignored) to text, blank line between. */
void voc_adapter_text_add(voc_buf *text, const char *s);

/* Move text into it->text. False (and nothing set) when text is blank:
 * the item model requires text. Frees text either way. */
bool voc_adapter_take_text(voc_item *it, voc_buf *text);

/* Set an attribute within the decoder's limits: key 1-64 bytes, value
 * trimmed, control characters made spaces, cut to 1024 bytes on a
 * character boundary, at most the decoder's attribute count. Blank values
 * and keys out of limits are skipped. */
void voc_adapter_attr(voc_item *it, const char *key, const char *value);

/* Attribute key for a vendor label: identifiers as they are ("plan",
 * "CustomerTier"), labels with spaces in snake case ("Delighted Source" ->
 * "delighted_source"). False when nothing usable is left. */
bool voc_adapter_attr_key(const char *label, char *out, size_t cap);

/* Keys that name personal data (e-mail, phone, names, IP address): never
 * copied into attributes. */
bool voc_adapter_pii_key(const char *key);

/* Copy an object of customer properties (Typeform hidden fields, Delighted
 * person properties, Formbricks contact attributes): a customer id key
 * (customer_id, user_id, ...) becomes customer_id, an account key
 * (account, company, ...) account, PII keys are dropped, and the rest
 * become attributes. Non-objects are ignored. */
void voc_adapter_properties(voc_item *it, const cJSON *props);

#endif
