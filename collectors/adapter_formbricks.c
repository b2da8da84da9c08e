/* adapter_formbricks.c: Formbricks webhooks (POST /v1/webhooks/formbricks).
 *
 * Formbricks signs with Standard Webhooks: webhook-id, webhook-timestamp
 * (Unix seconds) and webhook-signature "v1,<base64 HMAC-SHA256 of
 * ID.TIMESTAMP.BODY>" (several space-separated signatures while a secret
 * rotates; one match is enough), keyed with the base64 after "whsec_" in the
 * secret. A timestamp more than 5 minutes from now is refused, so a captured
 * delivery cannot be replayed later.
 *
 * responseCreated, responseUpdated and responseFinished carry the response
 * as it stands; all three map to one item that each event brings up to
 * date:
 *
 *   data.id                 uid "formbricks:ID"
 *   data.data               answers by question id. The payload does not say
 *                           which question is of which type, so: strings of
 *                           two or more words are text (paragraphs in answer
 *                           order); single-word strings are choice labels or
 *                           hidden fields and become attrs named by the
 *                           question id; "clicked", "dismissed" and
 *                           "accepted" (call-to-action and consent
 *                           questions) are neither. A whole number 0-10 is
 *                           the NPS score (kind nps) when it is the only
 *                           one, or when its question id says "nps";
 *                           otherwise no score is guessed.
 *   data.contact.userId,    customer_id; the other contact attributes
 *   data.contactAttributes  become attrs, less e-mail, names and phone
 *   data.meta               attrs country, device
 *   data.language           attr "language" (unless "default")
 *   data.surveyId, survey   attrs survey_id, survey (its title)
 *   data.tags               attr "tags", comma-joined
 *   data.createdAt          created_at
 *
 * The documented payload is one object; the examples in Formbricks' docs
 * wrap it in an array, which is accepted too (one item per element). A
 * response without text yet (a first responseCreated after a click) gives
 * zero items. */
#include "collectors/adapter_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_TOLERANCE 300 /* seconds either way, as Standard Webhooks recommends */

int voc_formbricks_verify(const voc_http_req *req, const char *secret, voc_err *err)
{
    int rc = voc_adapter_need_secret("formbricks", secret, err);
    if (rc) return rc;
    const char *id = voc_adapter_header(req, "webhook-id");
    const char *ts = voc_adapter_header(req, "webhook-timestamp");
    const char *sigs = voc_adapter_header(req, "webhook-signature");
    if (!id || !*id) return voc_err_set(err, VOC_EAUTH, "formbricks: missing webhook-id header");
    if (!ts) return voc_err_set(err, VOC_EAUTH, "formbricks: missing webhook-timestamp header");
    if (!sigs) return voc_err_set(err, VOC_EAUTH, "formbricks: missing webhook-signature header");
    size_t nd = strspn(ts, "0123456789");
    if (nd == 0 || nd > 12 || ts[nd])
        return voc_err_set(err, VOC_EAUTH, "webhook-timestamp: '%.24s' is not Unix seconds", ts);
    long long t = strtoll(ts, NULL, 10), skew = (long long)req->now - t;
    if (skew > S_TOLERANCE || skew < -S_TOLERANCE)
        return voc_err_set(err, VOC_EAUTH,
                           "webhook-timestamp: %lld is %lld s from now, more than 5 minutes "
                           "(a stale or replayed delivery, or a clock out of sync)",
                           t, skew < 0 ? -skew : skew);

    const char *b64 = strncmp(secret, "whsec_", 6) == 0 ? secret + 6 : secret;
    size_t key_len = 0;
    unsigned char *key = voc_base64_decode(b64, strlen(b64), &key_len);
    if (!key)
        return voc_err_set(err, VOC_EAUTH,
                           "formbricks-secret: not a Standard Webhooks secret (whsec_ and base64)");
    voc_buf signed_content = {0};
    voc_buf_printf(&signed_content, "%s.%s.", id, ts);
    voc_buf_append(&signed_content, req->body, req->body_len);
    unsigned char mac[32];
    voc_hmac_sha256(key, key_len, signed_content.data, signed_content.len, mac);
    voc_buf_free(&signed_content);
    free(key);

    /* "v1,SIG v1,SIG2 ...": any v1 signature may match. */
    bool ok = false, any_v1 = false;
    for (const char *p = sigs; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n > 3 && strncmp(p, "v1,", 3) == 0) {
            any_v1 = true;
            ok |= voc_adapter_base64_equal(p + 3, n - 3, mac, sizeof mac);
        }
        p += n;
    }
    if (!any_v1)
        return voc_err_set(err, VOC_EAUTH, "webhook-signature: no v1,<base64> signature in it");
    if (!ok)
        return voc_err_set(err, VOC_EAUTH,
                           "webhook-signature: no signature matches webhook-id, "
                           "webhook-timestamp and the body (wrong secret, or altered)");
    return 0;
}

static bool s_sentinel(const char *s)
{
    return strcasecmp(s, "clicked") == 0 || strcasecmp(s, "dismissed") == 0 ||
           strcasecmp(s, "accepted") == 0;
}

/* A question id that says it is the NPS question ("nps", "npsScore"). */
static bool s_names_nps(const char *key)
{
    for (const char *p = key; p[0] && p[1] && p[2]; p++)
        if (strncasecmp(p, "nps", 3) == 0) return true;
    return false;
}

/* Prose rather than a label: two words or more. */
static bool s_words(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    while (*s && !isspace((unsigned char)*s))
        s++;
    while (isspace((unsigned char)*s))
        s++;
    return *s != '\0';
}

static int s_response(const cJSON *ev, size_t index, bool many, const voc_http_req *req,
                      voc_item_list *out, voc_err *err)
{
    char at[32] = "";
    if (many) snprintf(at, sizeof at, "[%zu].", index);
    if (!cJSON_IsObject(ev))
        return many ? voc_err_set(err, VOC_EPARSE, "body[%zu]: expected a Formbricks event object",
                                  index)
                    : voc_err_set(err, VOC_EPARSE, "body: expected a Formbricks event object");
    const char *event = voc_adapter_str(ev, "event");
    if (!event)
        return voc_err_set(err, VOC_EPARSE, "%sevent: missing (not a Formbricks webhook)", at);
    if (strcmp(event, "responseCreated") != 0 && strcmp(event, "responseUpdated") != 0 &&
        strcmp(event, "responseFinished") != 0)
        return 0; /* an event without a response */

    char field[64], *id = NULL;
    const cJSON *data, *answers, *contact;
    voc_buf text = {0};
    int rc;
    snprintf(field, sizeof field, "%sdata", at);
    if ((rc = voc_adapter_object(ev, "data", field, true, &data, err))) return rc;
    snprintf(field, sizeof field, "%sdata.id", at);
    if ((rc = voc_adapter_id(data, "id", field, true, &id, err))) return rc;
    snprintf(field, sizeof field, "%sdata.data", at);
    if ((rc = voc_adapter_object(data, "data", field, false, &answers, err))) goto out;
    snprintf(field, sizeof field, "%sdata.contact", at);
    if ((rc = voc_adapter_object(data, "contact", field, false, &contact, err))) goto out;
    int64_t created = 0;
    bool has_created;
    snprintf(field, sizeof field, "%sdata.createdAt", at);
    if ((rc = voc_adapter_time(data, "createdAt", field, &created, &has_created, err))) goto out;

    /* Score: a question named nps, else the only whole number 0-10. */
    int score = 0, numbers = 0;
    bool named = false;
    const cJSON *a;
    cJSON_ArrayForEach(a, answers)
    {
        int n;
        if (!voc_adapter_whole(a, &n) || n < 0 || n > 10) continue;
        if (s_names_nps(a->string)) {
            if (!named) score = n;
            named = true;
        } else if (!named && numbers == 0) {
            score = n;
        }
        numbers++;
    }
    bool has_score = named || numbers == 1;
    cJSON_ArrayForEach(a, answers)
    {
        if (cJSON_IsString(a) && !s_sentinel(a->valuestring) && s_words(a->valuestring))
            voc_adapter_text_add(&text, a->valuestring);
    }
    if (!text.len && !has_score) goto out; /* nothing answered yet */

    voc_item *it =
        voc_adapter_item(out, "formbricks", id, NULL, has_score ? VOC_KIND_NPS : VOC_KIND_SURVEY);
    voc_adapter_take_text(it, &text);
    if (has_score) {
        it->scale = VOC_SCALE_NPS;
        it->score = score;
    }
    voc_adapter_created(it, has_created, created, req->now);
    char *user = NULL;
    if ((rc = voc_adapter_id(contact, "userId", "data.contact.userId", false, &user, err)))
        goto out;
    voc_adapter_properties(it, voc_adapter_get(data, "contactAttributes"));
    if (user) {
        free(it->customer_id);
        it->customer_id = user;
    }
    cJSON_ArrayForEach(a, answers)
    {
        if (!cJSON_IsString(a) || s_sentinel(a->valuestring) || s_words(a->valuestring) ||
            strchr(a->valuestring, '@') || voc_adapter_pii_key(a->string))
            continue;
        char key[65];
        if (voc_adapter_attr_key(a->string, key, sizeof key))
            voc_adapter_attr(it, key, a->valuestring);
    }
    const cJSON *meta = voc_adapter_get(data, "meta");
    voc_adapter_attr(it, "country", voc_adapter_str(meta, "country"));
    voc_adapter_attr(it, "device", voc_adapter_str(voc_adapter_get(meta, "userAgent"), "device"));
    const char *language = voc_adapter_str(data, "language");
    if (language && strcmp(language, "default") != 0) voc_adapter_attr(it, "language", language);
    voc_adapter_attr(it, "survey_id", voc_adapter_str(data, "surveyId"));
    voc_adapter_attr(it, "survey", voc_adapter_str(voc_adapter_get(data, "survey"), "title"));
    /* Tags are objects with a name in Formbricks' model; plain strings too. */
    voc_buf tags = {0};
    const cJSON *tag;
    const cJSON *tag_list = voc_adapter_get(data, "tags");
    if (!cJSON_IsArray(tag_list)) tag_list = NULL;
    cJSON_ArrayForEach(tag, tag_list)
    {
        const char *name = cJSON_IsString(tag) ? tag->valuestring : voc_adapter_str(tag, "name");
        if (!name || !*name) continue;
        if (tags.len) voc_buf_putc(&tags, ',');
        voc_buf_puts(&tags, name);
    }
    voc_adapter_attr(it, "tags", tags.data);
    voc_buf_free(&tags);
out:
    voc_buf_free(&text);
    free(id);
    return rc;
}

int voc_formbricks_parse(const voc_http_req *req, voc_item_list *out, voc_err *err)
{
    cJSON *root = NULL;
    int rc = voc_adapter_parse_json(req, &root, err);
    if (rc) return rc;
    if (cJSON_IsArray(root)) {
        size_t i = 0;
        const cJSON *ev;
        cJSON_ArrayForEach(ev, root)
        {
            if ((rc = s_response(ev, i++, true, req, out, err))) break;
        }
    } else {
        rc = s_response(root, 0, false, req, out, err);
    }
    cJSON_Delete(root);
    return rc;
}
