/* adapter_typeform.c: Typeform webhooks (POST /v1/webhooks/typeform).
 *
 * Typeform signs the raw body with the form webhook's secret:
 * Typeform-Signature: sha256=<base64 HMAC-SHA256>. Each form_response event
 * is one response and becomes one item:
 *
 *   form_response.token          uid "typeform:TOKEN" (as voc-collect file
 *                                reads the responses CSV's "#" column)
 *   text answers (short_text,    text, paragraphs in answer order; question
 *   long_text)                   titles stay out, they are not the customer's
 *                                words (and would skew themes and sentiment)
 *   nps / opinion_scale answer   score on the NPS scale, kind nps (an opinion
 *                                scale is 0-10 unless its definition says
 *                                otherwise); a 1-5 rating: scale rating, kind
 *                                survey; other scales: attr "score"
 *   hidden fields                attrs; customer_id / user_id -> customer_id,
 *                                account / company -> account; e-mail
 *                                addresses are left out
 *   form_response.form_id        attr "form_id"
 *   submitted_at                 created_at
 *
 * A response with a score and no text answer is an item with empty text
 * (NPS counts it); with neither: zero items. Other event types: zero
 * items. */
#include "collectors/adapter_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int voc_typeform_verify(const voc_http_req *req, const char *secret, voc_err *err)
{
    int rc = voc_adapter_need_secret("typeform", secret, err);
    if (rc) return rc;
    const char *sig = voc_adapter_header(req, "Typeform-Signature");
    if (!sig) return voc_err_set(err, VOC_EAUTH, "typeform: missing Typeform-Signature header");
    if (strncmp(sig, "sha256=", 7) != 0)
        return voc_err_set(err, VOC_EAUTH,
                           "Typeform-Signature: expected sha256=<base64 HMAC-SHA256 of the body>");
    unsigned char mac[32];
    voc_hmac_sha256(secret, strlen(secret), req->body, req->body_len, mac);
    if (!voc_adapter_base64_equal(sig + 7, strlen(sig + 7), mac, sizeof mac))
        return voc_err_set(err, VOC_EAUTH,
                           "Typeform-Signature: does not match the body (wrong secret, or the "
                           "body was changed on the way)");
    return 0;
}

/* The field definition with this id in form_response.definition.fields. */
static const cJSON *s_field_def(const cJSON *fields, const char *id)
{
    const cJSON *f;
    if (!id) return NULL;
    cJSON_ArrayForEach(f, fields)
    {
        const char *fid = voc_adapter_str(f, "id");
        if (fid && strcmp(fid, id) == 0) return f;
    }
    return NULL;
}

/* Preference among score questions: an NPS question first. */
enum { S_NONE, S_RATING, S_OPINION, S_NPS };

/* Classify a number answer: *scale and *rank, or S_NONE when it is not a
 * score question. A scale voc has no room for gives VOC_SCALE_NONE with a
 * rank, so the number is kept as an attribute. */
static int s_classify(const char *ftype, const cJSON *def, int value, voc_scale *scale)
{
    const cJSON *props = voc_adapter_get(def, "properties");
    int steps = 0;
    bool has_steps = voc_adapter_whole(voc_adapter_get(props, "steps"), &steps);
    bool from_one = cJSON_IsTrue(voc_adapter_get(props, "start_at_one"));
    *scale = VOC_SCALE_NONE;
    if (strcmp(ftype, "nps") == 0) {
        if (value >= 0 && value <= 10) *scale = VOC_SCALE_NPS;
        return S_NPS;
    }
    if (strcmp(ftype, "opinion_scale") == 0) {
        /* Typeform's default opinion scale is 0-10 (11 steps from 0); the
         * webhook's definition rarely says more. */
        if (!has_steps || (steps == 11 && !from_one)) {
            if (value >= 0 && value <= 10) *scale = VOC_SCALE_NPS;
        } else if (steps == 5 && from_one && value >= 1 && value <= 5) {
            *scale = VOC_SCALE_RATING;
        }
        return S_OPINION;
    }
    if (strcmp(ftype, "rating") == 0) {
        if ((!has_steps || steps == 5) && value >= 1 && value <= 5) *scale = VOC_SCALE_RATING;
        return S_RATING;
    }
    return S_NONE;
}

int voc_typeform_parse(const voc_http_req *req, voc_item_list *out, voc_err *err)
{
    cJSON *root = NULL;
    char *token = NULL, *form_id = NULL;
    voc_buf text = {0};
    int rc = voc_adapter_parse_json(req, &root, err);
    if (rc) goto out;
    if (!cJSON_IsObject(root)) {
        rc = voc_err_set(err, VOC_EPARSE, "body: expected a Typeform event object");
        goto out;
    }
    const char *event = voc_adapter_str(root, "event_type");
    if (!event) {
        rc = voc_err_set(err, VOC_EPARSE, "event_type: missing (not a Typeform webhook)");
        goto out;
    }
    if (strcmp(event, "form_response") != 0) goto out; /* nothing to store */

    const cJSON *fr, *definition;
    if ((rc = voc_adapter_object(root, "form_response", "form_response", true, &fr, err)) ||
        (rc = voc_adapter_id(fr, "token", "form_response.token", true, &token, err)) ||
        (rc = voc_adapter_id(fr, "form_id", "form_response.form_id", false, &form_id, err)) ||
        (rc = voc_adapter_object(fr, "definition", "form_response.definition", false, &definition,
                                 err)))
        goto out;
    int64_t submitted = 0;
    bool has_submitted;
    if ((rc = voc_adapter_time(fr, "submitted_at", "form_response.submitted_at", &submitted,
                               &has_submitted, err)))
        goto out;
    const cJSON *fields = voc_adapter_get(definition, "fields");
    const cJSON *answers = voc_adapter_get(fr, "answers");
    if (answers && !cJSON_IsArray(answers)) {
        rc = voc_err_set(err, VOC_EPARSE, "form_response.answers: must be an array");
        goto out;
    }
    const cJSON *hidden = voc_adapter_get(fr, "hidden");
    if (hidden && !cJSON_IsObject(hidden)) {
        rc = voc_err_set(err, VOC_EPARSE, "form_response.hidden: must be an object");
        goto out;
    }

    int best = S_NONE, score = 0;
    voc_scale scale = VOC_SCALE_NONE;
    size_t index = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, answers)
    {
        if (!cJSON_IsObject(a)) {
            rc = voc_err_set(err, VOC_EPARSE, "form_response.answers[%zu]: must be an object",
                             index);
            goto out;
        }
        index++;
        const char *type = voc_adapter_str(a, "type");
        const cJSON *field = voc_adapter_get(a, "field");
        const char *ftype = voc_adapter_str(field, "type");
        if (!type) continue;
        if (strcmp(type, "text") == 0) {
            voc_adapter_text_add(&text, voc_adapter_str(a, "text"));
        } else if (strcmp(type, "number") == 0 && ftype) {
            int n;
            if (!voc_adapter_whole(voc_adapter_get(a, "number"), &n)) continue;
            voc_scale s;
            const cJSON *def = s_field_def(fields, voc_adapter_str(field, "id"));
            int rank = s_classify(ftype, def, n, &s);
            if (rank > best) {
                best = rank;
                score = n;
                scale = s;
            }
        }
    }

    if (!text.len && scale == VOC_SCALE_NONE) goto out; /* neither words nor a score */
    voc_item *it = voc_adapter_item(out, "typeform", token, NULL,
                                    scale == VOC_SCALE_NPS ? VOC_KIND_NPS : VOC_KIND_SURVEY);
    voc_adapter_take_text(it, &text);
    if (scale != VOC_SCALE_NONE) {
        it->scale = scale;
        it->score = score;
    } else if (best != S_NONE) {
        char n[16];
        snprintf(n, sizeof n, "%d", score);
        voc_adapter_attr(it, "score", n);
    }
    voc_adapter_created(it, has_submitted, submitted, req->now);
    voc_adapter_properties(it, hidden);
    voc_adapter_attr(it, "form_id", form_id);
out:
    voc_buf_free(&text);
    free(token);
    free(form_id);
    cJSON_Delete(root);
    return rc;
}
