/* adapter_delighted.c: Delighted webhooks (POST /v1/webhooks/delighted).
 *
 * Delighted signs the raw body with the account's API key:
 * X-Delighted-Webhook-Signature: sha256=<hex HMAC-SHA256> (a bare hex
 * digest is accepted too). survey_response.created arrives the moment a
 * person picks a score, usually before any comment; survey_response.updated
 * follows when the comment (or a changed score) is saved. Both map to the
 * same item:
 *
 *   event_data.id                 uid "delighted:ID" (as voc-collect file
 *                                 reads the export's Response ID), so the
 *                                 update replaces the earlier version
 *   event_data.comment, then      text
 *   free-response additional
 *   answers
 *   event_data.score              score: survey_type nps/enps on the NPS
 *                                 scale (kind nps), csat/five_star/smileys
 *                                 a 1-5 rating (kind survey), other types
 *                                 (ces, pmf, ...) attr "score"
 *   event_data.survey_type        attr "survey_type"
 *   event_data.person_properties  attrs ("Delighted Source" ->
 *                                 delighted_source); Customer ID / User ID
 *                                 -> customer_id, Company -> account
 *   event_data.person.id          customer_id when the properties name none
 *   event_data.tags               attr "tags", comma-joined
 *   event_data.created_at         created_at
 *
 * The person's e-mail address and name never become fields or attrs.
 * A response with a score and no comment yet is an item with empty text
 * (NPS counts it); the update that brings the comment fills the same item
 * in. unsubscribe.created and other event types: zero items. */
#include "collectors/adapter_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int voc_delighted_verify(const voc_http_req *req, const char *secret, voc_err *err)
{
    int rc = voc_adapter_need_secret("delighted", secret, err);
    if (rc) return rc;
    const char *sig = voc_adapter_header(req, "X-Delighted-Webhook-Signature");
    if (!sig)
        return voc_err_set(err, VOC_EAUTH,
                           "delighted: missing X-Delighted-Webhook-Signature header");
    if (strncmp(sig, "sha256=", 7) == 0) sig += 7;
    unsigned char mac[32];
    voc_hmac_sha256(secret, strlen(secret), req->body, req->body_len, mac);
    if (!voc_adapter_hex_equal(sig, mac, sizeof mac))
        return voc_err_set(err, VOC_EAUTH,
                           "X-Delighted-Webhook-Signature: does not match the body (expected "
                           "sha256=<hex HMAC-SHA256> with the API key that signs webhooks)");
    return 0;
}

/* The voc scale of a Delighted survey type; VOC_SCALE_NONE for scales voc
 * does not have (CES 1-7, PMF 1-3, ...). */
static voc_scale s_scale(const char *survey_type)
{
    if (!survey_type || strcasecmp(survey_type, "nps") == 0 || strcasecmp(survey_type, "enps") == 0)
        return VOC_SCALE_NPS;
    if (strcasecmp(survey_type, "csat") == 0 || strcasecmp(survey_type, "five_star") == 0 ||
        strcasecmp(survey_type, "smileys") == 0)
        return VOC_SCALE_RATING;
    return VOC_SCALE_NONE;
}

int voc_delighted_parse(const voc_http_req *req, voc_item_list *out, voc_err *err)
{
    cJSON *root = NULL;
    char *id = NULL, *person_id = NULL;
    voc_buf text = {0};
    int rc = voc_adapter_parse_json(req, &root, err);
    if (rc) goto out;
    if (!cJSON_IsObject(root)) {
        rc = voc_err_set(err, VOC_EPARSE, "body: expected a Delighted event object");
        goto out;
    }
    const char *event = voc_adapter_str(root, "event_type");
    if (!event) {
        rc = voc_err_set(err, VOC_EPARSE, "event_type: missing (not a Delighted webhook)");
        goto out;
    }
    if (strcmp(event, "survey_response.created") != 0 &&
        strcmp(event, "survey_response.updated") != 0)
        goto out; /* unsubscribes and the like: no feedback */

    const cJSON *data, *person;
    if ((rc = voc_adapter_object(root, "event_data", "event_data", true, &data, err)) ||
        (rc = voc_adapter_id(data, "id", "event_data.id", true, &id, err)) ||
        (rc = voc_adapter_object(data, "person", "event_data.person", false, &person, err)) ||
        (rc = voc_adapter_id(person, "id", "event_data.person.id", false, &person_id, err)))
        goto out;
    const cJSON *score_v = voc_adapter_get(data, "score");
    int score = 0;
    if (score_v && !voc_adapter_whole(score_v, &score)) {
        rc = voc_err_set(err, VOC_EPARSE, "event_data.score: must be a whole number");
        goto out;
    }
    const cJSON *comment = voc_adapter_get(data, "comment");
    if (comment && !cJSON_IsString(comment)) {
        rc = voc_err_set(err, VOC_EPARSE, "event_data.comment: must be a string");
        goto out;
    }
    const cJSON *props = voc_adapter_get(data, "person_properties");
    if (props && !cJSON_IsObject(props)) {
        rc = voc_err_set(err, VOC_EPARSE, "event_data.person_properties: must be an object");
        goto out;
    }
    const char *survey_type = voc_adapter_str(data, "survey_type");
    voc_scale scale = s_scale(survey_type);
    if (score_v && scale != VOC_SCALE_NONE) {
        int lo = scale == VOC_SCALE_NPS ? 0 : 1, hi = scale == VOC_SCALE_NPS ? 10 : 5;
        if (score < lo || score > hi) {
            rc = voc_err_set(err, VOC_EINVAL, "event_data.score: %d is out of range %d-%d for %s",
                             score, lo, hi, survey_type ? survey_type : "nps");
            goto out;
        }
    }
    int64_t created = 0;
    bool has_created;
    if ((rc = voc_adapter_time(data, "created_at", "event_data.created_at", &created, &has_created,
                               err)))
        goto out;

    voc_adapter_text_add(&text, comment ? comment->valuestring : NULL);
    const cJSON *extra = voc_adapter_get(data, "additional_answers"), *a;
    if (!cJSON_IsArray(extra)) extra = NULL;
    cJSON_ArrayForEach(a, extra)
    {
        voc_adapter_text_add(&text, voc_adapter_str(voc_adapter_get(a, "value"), "free_response"));
    }
    /* A score alone is stored as it is (NPS counts it); the comment's update
     * then fills the same item in. Without either there is nothing. */
    if (!text.len && !(score_v && scale != VOC_SCALE_NONE)) goto out;

    voc_item *it = voc_adapter_item(out, "delighted", id, NULL,
                                    scale == VOC_SCALE_NPS ? VOC_KIND_NPS : VOC_KIND_SURVEY);
    voc_adapter_take_text(it, &text);
    if (score_v && scale != VOC_SCALE_NONE) {
        it->scale = scale;
        it->score = score;
    } else if (score_v) {
        char n[16];
        snprintf(n, sizeof n, "%d", score);
        voc_adapter_attr(it, "score", n);
    }
    voc_adapter_created(it, has_created, created, req->now);
    voc_adapter_properties(it, props);
    if (!it->customer_id && person_id) {
        it->customer_id = person_id;
        person_id = NULL;
    }
    voc_adapter_attr(it, "survey_type", survey_type);
    char *tags = voc_adapter_text_of(voc_adapter_get(data, "tags"));
    voc_adapter_attr(it, "tags", tags);
    free(tags);
out:
    voc_buf_free(&text);
    free(id);
    free(person_id);
    cJSON_Delete(root);
    return rc;
}
