/* adapter_zendesk.c: Zendesk webhooks (POST /v1/webhooks/zendesk).
 *
 * Zendesk signs every request: X-Zendesk-Webhook-Signature is
 * base64(HMAC-SHA256(secret, TIMESTAMP + BODY)) with TIMESTAMP the value of
 * X-Zendesk-Webhook-Signature-Timestamp, concatenated without a separator.
 *
 * Two payload shapes arrive:
 *   - event subscriptions: {"type": "zen:event-type:ticket.created", "detail":
 *     {id, subject, description, tags, status, ...}, "time", ...}. Every
 *     ticket event carries the ticket as it stands, so each one brings the
 *     item up to date; deletions, spam and merges give zero items, as do
 *     events about anything but tickets.
 *   - trigger/automation JSON written by the admin, with a "ticket" object
 *     ({"ticket": {"id": "{{ticket.id}}", "subject": ..., "description":
 *     ..., "tags": "{{ticket.tags}}"}}); tags may be a list or the
 *     space-separated string the placeholder renders.
 *
 *   id               uid "zendesk:ID" (as voc-collect file reads an export)
 *   subject          text (first paragraph) and subject
 *   description      text (the first comment, the customer's words)
 *   tags             attr "tags", comma-joined
 *   status, priority, type, via.channel
 *                    attrs status, priority, type, channel
 *   requester_id     customer_id
 *   organization_id  account
 *   created_at       created_at
 *
 * kind ticket. A ticket with neither subject nor description: zero items. */
#include "collectors/adapter_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int voc_zendesk_verify(const voc_http_req *req, const char *secret, voc_err *err)
{
    int rc = voc_adapter_need_secret("zendesk", secret, err);
    if (rc) return rc;
    const char *sig = voc_adapter_header(req, "X-Zendesk-Webhook-Signature");
    const char *ts = voc_adapter_header(req, "X-Zendesk-Webhook-Signature-Timestamp");
    if (!sig)
        return voc_err_set(err, VOC_EAUTH, "zendesk: missing X-Zendesk-Webhook-Signature header");
    if (!ts)
        return voc_err_set(err, VOC_EAUTH,
                           "zendesk: missing X-Zendesk-Webhook-Signature-Timestamp header");
    voc_buf signed_content = {0};
    voc_buf_puts(&signed_content, ts);
    voc_buf_append(&signed_content, req->body, req->body_len);
    unsigned char mac[32];
    voc_hmac_sha256(secret, strlen(secret), signed_content.data, signed_content.len, mac);
    voc_buf_free(&signed_content);
    if (!voc_adapter_base64_equal(sig, strlen(sig), mac, sizeof mac))
        return voc_err_set(err, VOC_EAUTH,
                           "X-Zendesk-Webhook-Signature: does not match the timestamp and body "
                           "(wrong signing secret, or altered)");
    return 0;
}

/* Tags as a comma-joined list: a JSON list, or the space- or
 * comma-separated string a trigger placeholder renders. Caller frees. */
static char *s_tags(const cJSON *v)
{
    if (!cJSON_IsString(v)) return voc_adapter_text_of(cJSON_IsArray(v) ? v : NULL);
    voc_buf b = {0};
    const char *p = v->valuestring;
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        size_t n = 0;
        while (p[n] && p[n] != ',' && !isspace((unsigned char)p[n]))
            n++;
        if (n) {
            if (b.len) voc_buf_putc(&b, ',');
            voc_buf_append(&b, p, n);
        }
        p += n;
    }
    return b.data;
}

static void s_attr_text(voc_item *it, const char *key, const cJSON *v)
{
    char *s = voc_adapter_text_of(cJSON_IsArray(v) ? NULL : v);
    voc_adapter_attr(it, key, s);
    free(s);
}

int voc_zendesk_parse(const voc_http_req *req, voc_item_list *out, voc_err *err)
{
    cJSON *root = NULL;
    char *id = NULL, *requester = NULL, *organization = NULL;
    voc_buf text = {0};
    int rc = voc_adapter_parse_json(req, &root, err);
    if (rc) goto out;
    if (!cJSON_IsObject(root)) {
        rc = voc_err_set(err, VOC_EPARSE, "body: expected a Zendesk event or trigger object");
        goto out;
    }
    const cJSON *t;
    const char *where; /* for field names in errors */
    const char *type = voc_adapter_str(root, "type");
    if (type && strncmp(type, "zen:event-type:", 15) == 0) {
        static const char *const skip[] = {
            "ticket.deleted",        "ticket.soft_deleted", "ticket.permanently_deleted",
            "ticket.marked_as_spam", "ticket.merged",       NULL};
        const char *what = type + 15;
        if (strncmp(what, "ticket.", 7) != 0) goto out; /* users, organizations, ... */
        for (size_t i = 0; skip[i]; i++)
            if (strcmp(what, skip[i]) == 0) goto out;
        if ((rc = voc_adapter_object(root, "detail", "detail", true, &t, err))) goto out;
        where = "detail";
    } else if (voc_adapter_get(root, "ticket")) {
        if ((rc = voc_adapter_object(root, "ticket", "ticket", true, &t, err))) goto out;
        where = "ticket";
    } else {
        rc = voc_err_set(err, VOC_EPARSE,
                         "body: neither a Zendesk event (\"type\": \"zen:event-type:...\") nor "
                         "trigger JSON with a \"ticket\" object");
        goto out;
    }

    char field[48];
    snprintf(field, sizeof field, "%s.id", where);
    if ((rc = voc_adapter_id(t, "id", field, true, &id, err))) goto out;
    snprintf(field, sizeof field, "%s.requester_id", where);
    if ((rc = voc_adapter_id(t, "requester_id", field, false, &requester, err))) goto out;
    snprintf(field, sizeof field, "%s.organization_id", where);
    if ((rc = voc_adapter_id(t, "organization_id", field, false, &organization, err))) goto out;
    int64_t created = 0;
    bool has_created;
    snprintf(field, sizeof field, "%s.created_at", where);
    if ((rc = voc_adapter_time(t, "created_at", field, &created, &has_created, err))) goto out;
    const cJSON *subject = voc_adapter_get(t, "subject"),
                *description = voc_adapter_get(t, "description");
    if ((subject && !cJSON_IsString(subject)) || (description && !cJSON_IsString(description))) {
        rc = voc_err_set(err, VOC_EPARSE, "%s.%s: must be a string", where,
                         subject && !cJSON_IsString(subject) ? "subject" : "description");
        goto out;
    }

    /* An e-mail ticket's description often opens with its subject line:
     * don't say it twice. */
    const char *subj = subject ? subject->valuestring : NULL;
    const char *desc = description ? description->valuestring : NULL;
    while (subj && isspace((unsigned char)*subj))
        subj++;
    size_t subj_len = subj ? strlen(subj) : 0;
    while (subj_len && isspace((unsigned char)subj[subj_len - 1]))
        subj_len--;
    const char *d = desc;
    while (d && isspace((unsigned char)*d))
        d++;
    if (subj_len && !(d && strncmp(d, subj, subj_len) == 0)) {
        char *s = voc_strndup(subj, subj_len);
        voc_adapter_text_add(&text, s);
        free(s);
    }
    voc_adapter_text_add(&text, desc);
    if (!text.len) goto out;

    voc_item *it = voc_adapter_item(out, "zendesk", id, NULL, VOC_KIND_TICKET);
    voc_adapter_take_text(it, &text);
    if (subj_len) {
        size_t n = subj_len;
        if (n > 1024) { /* the decoder's limit; cut between characters */
            n = 1024;
            while (n && ((unsigned char)subj[n] & 0xC0) == 0x80)
                n--;
        }
        it->subject = voc_strndup(subj, n);
    }
    voc_adapter_created(it, has_created, created, req->now);
    it->customer_id = requester;
    it->account = organization;
    requester = organization = NULL;
    char *tags = s_tags(voc_adapter_get(t, "tags"));
    voc_adapter_attr(it, "tags", tags);
    free(tags);
    s_attr_text(it, "status", voc_adapter_get(t, "status"));
    s_attr_text(it, "priority", voc_adapter_get(t, "priority"));
    s_attr_text(it, "type", voc_adapter_get(t, "type"));
    const cJSON *via = voc_adapter_get(t, "via");
    s_attr_text(it, "channel",
                cJSON_IsObject(via) ? voc_adapter_get(via, "channel")
                                    : voc_adapter_get(t, "channel"));
out:
    voc_buf_free(&text);
    free(id);
    free(requester);
    free(organization);
    cJSON_Delete(root);
    return rc;
}
