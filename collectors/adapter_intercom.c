/* adapter_intercom.c: Intercom webhooks (POST /v1/webhooks/intercom).
 *
 * Intercom signs each notification with the app's client secret:
 * X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>. A notification is
 * {"type": "notification_event", "topic": ..., "data": {"item": ...}}.
 *
 * conversation.user.created and conversation.user.replied carry the
 * conversation (data.item). Each message the customer wrote is one item,
 * so a reply never rewrites the message before it and themes count each
 * message once:
 *
 *   the opening message (source)  uid "intercom:CONVERSATION_ID"
 *   a customer's reply (a part    uid "intercom:CONVERSATION_ID:PART_ID"
 *   by a user, lead or contact)
 *   body (HTML)                   text, as plain text (voc_html_to_text)
 *   source.subject                subject (e-mail conversations)
 *   author.id                     customer_id (never the e-mail address)
 *   conversation tags             attr "tags", comma-joined
 *   source.type                   attr "channel" (conversation, email, ...)
 *   created_at                    created_at (the part's for a reply)
 *
 * kind ticket. Admin and bot messages are not customer feedback and are
 * skipped; a replay of the same notification maps to the same uids and
 * content. ping (sent when the webhook is saved) and other topics: zero
 * items. */
#include "collectors/adapter_int.h"

#include <stdlib.h>
#include <string.h>

int voc_intercom_verify(const voc_http_req *req, const char *secret, voc_err *err)
{
    int rc = voc_adapter_need_secret("intercom", secret, err);
    if (rc) return rc;
    const char *sig = voc_adapter_header(req, "X-Hub-Signature");
    if (!sig) return voc_err_set(err, VOC_EAUTH, "intercom: missing X-Hub-Signature header");
    if (strncmp(sig, "sha1=", 5) != 0)
        return voc_err_set(err, VOC_EAUTH,
                           "X-Hub-Signature: expected sha1=<hex HMAC-SHA1 of the body>");
    unsigned char mac[20];
    voc_hmac_sha1(secret, strlen(secret), req->body, req->body_len, mac);
    if (!voc_adapter_hex_equal(sig + 5, mac, sizeof mac))
        return voc_err_set(err, VOC_EAUTH,
                           "X-Hub-Signature: does not match the body (wrong client secret, or "
                           "altered)");
    return 0;
}

/* A customer wrote it (not an admin, a bot or a team). */
static bool s_customer(const cJSON *author)
{
    const char *type = voc_adapter_str(author, "type");
    return type &&
           (strcmp(type, "user") == 0 || strcmp(type, "lead") == 0 || strcmp(type, "contact") == 0);
}

typedef struct s_conv {
    const char *id;
    char *tags;
    const char *channel;
} s_conv;

/* One message as an item; none when its body has no text. */
static int s_message(const voc_http_req *req, voc_item_list *out, const s_conv *c, const cJSON *msg,
                     const char *part_id, const char *subject, int64_t created, bool has_created,
                     voc_err *err)
{
    const cJSON *body = voc_adapter_get(msg, "body");
    if (!body) return 0;
    if (!cJSON_IsString(body))
        return voc_err_set(err, VOC_EPARSE, "data.item.%s.body: must be a string",
                           part_id ? "conversation_parts" : "source");
    char *text = voc_html_to_text(body->valuestring, strlen(body->valuestring));
    if (!*text) {
        free(text);
        return 0;
    }
    char *author = NULL;
    int rc = voc_adapter_id(voc_adapter_get(msg, "author"), "id", "author.id", false, &author, err);
    if (rc) {
        free(text);
        return rc;
    }
    voc_item *it = voc_adapter_item(out, "intercom", c->id, part_id, VOC_KIND_TICKET);
    it->text = text;
    it->text_len = strlen(text);
    it->customer_id = author;
    if (subject) {
        char *s = voc_html_to_text(subject, strlen(subject));
        if (*s && strlen(s) <= 1024)
            it->subject = s;
        else
            free(s);
    }
    voc_adapter_created(it, has_created, created, req->now);
    voc_adapter_attr(it, "tags", c->tags);
    voc_adapter_attr(it, "channel", c->channel);
    return 0;
}

int voc_intercom_parse(const voc_http_req *req, voc_item_list *out, voc_err *err)
{
    cJSON *root = NULL;
    char *conv_id = NULL, *part_id = NULL;
    s_conv c = {0};
    int rc = voc_adapter_parse_json(req, &root, err);
    if (rc) goto out;
    if (!cJSON_IsObject(root)) {
        rc = voc_err_set(err, VOC_EPARSE, "body: expected an Intercom notification object");
        goto out;
    }
    const char *topic = voc_adapter_str(root, "topic");
    if (!topic) {
        rc = voc_err_set(err, VOC_EPARSE, "topic: missing (not an Intercom notification)");
        goto out;
    }
    if (strcmp(topic, "conversation.user.created") != 0 &&
        strcmp(topic, "conversation.user.replied") != 0)
        goto out; /* ping, admin replies, contacts, ...: no customer message */

    const cJSON *data, *item, *source;
    if ((rc = voc_adapter_object(root, "data", "data", true, &data, err)) ||
        (rc = voc_adapter_object(data, "item", "data.item", true, &item, err)) ||
        (rc = voc_adapter_id(item, "id", "data.item.id", true, &conv_id, err)) ||
        (rc = voc_adapter_object(item, "source", "data.item.source", false, &source, err)))
        goto out;
    c.id = conv_id;
    c.channel = voc_adapter_str(source, "type");
    voc_buf tags = {0};
    const cJSON *tag_list = voc_adapter_get(voc_adapter_get(item, "tags"), "tags"), *tag;
    if (!cJSON_IsArray(tag_list)) tag_list = NULL;
    cJSON_ArrayForEach(tag, tag_list)
    {
        const char *name = voc_adapter_str(tag, "name");
        if (!name || !*name) continue;
        if (tags.len) voc_buf_putc(&tags, ',');
        voc_buf_puts(&tags, name);
    }
    c.tags = tags.data;

    int64_t created = 0;
    bool has_created;
    if ((rc = voc_adapter_time(item, "created_at", "data.item.created_at", &created, &has_created,
                               err)))
        goto out;
    if (source && s_customer(voc_adapter_get(source, "author")) &&
        (rc = s_message(req, out, &c, source, NULL, voc_adapter_str(source, "subject"), created,
                        has_created, err)))
        goto out;

    const cJSON *parts =
        voc_adapter_get(voc_adapter_get(item, "conversation_parts"), "conversation_parts");
    if (parts && !cJSON_IsArray(parts)) {
        rc = voc_err_set(err, VOC_EPARSE,
                         "data.item.conversation_parts.conversation_parts: must be an array");
        goto out;
    }
    const cJSON *part;
    cJSON_ArrayForEach(part, parts)
    {
        if (!s_customer(voc_adapter_get(part, "author"))) continue;
        free(part_id);
        if ((rc = voc_adapter_id(part, "id", "data.item.conversation_parts[].id", true, &part_id,
                                 err)) ||
            (rc = voc_adapter_time(part, "created_at", "data.item.conversation_parts[].created_at",
                                   &created, &has_created, err)) ||
            (rc = s_message(req, out, &c, part, part_id, NULL, created, has_created, err)))
            goto out;
    }
out:
    free(c.tags);
    free(conv_id);
    free(part_id);
    cJSON_Delete(root);
    return rc;
}
