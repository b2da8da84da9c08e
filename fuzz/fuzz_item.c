/* fuzz_item.c: fuzz target for item JSON decoding (common/item.c), the
 * form every collector sends and the processor reads off the wire.
 *
 * Input: one JSON payload. It is decoded with the default limits and with
 * tight ones; an item that decodes is encoded again (with and without the
 * analysis fields) and must decode back to the same record. */
#include "fuzz/fuzz.h"

#include "common/item.h"

#include <stdlib.h>
#include <string.h>

/* Fixed, so a run does not depend on the clock. */
static const voc_item_defaults s_defaults = {.source = "fuzz", .received_at = 1767225600};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    voc_fuzz_quiet();
    return 0;
}

static bool s_str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Every field the JSON form carries, as the decoder leaves it. The
 * analysis form writes a defaulted created_at out like a given one. */
static void s_check_same(const voc_item *a, const voc_item *b, unsigned flags)
{
    if (!s_str_eq(a->uid, b->uid)) voc_fuzz_fail("round trip changed uid");
    if (!s_str_eq(a->source, b->source)) voc_fuzz_fail("round trip changed source");
    if (a->kind != b->kind) voc_fuzz_fail("round trip changed kind");
    if (flags & VOC_ITEM_JSON_ANALYSIS) {
        if (a->created_at != b->created_at) voc_fuzz_fail("round trip changed created_at");
    } else {
        if (a->created_defaulted != b->created_defaulted)
            voc_fuzz_fail("round trip changed created_defaulted");
        if (!a->created_defaulted && a->created_at != b->created_at)
            voc_fuzz_fail("round trip changed created_at");
    }
    if (!s_str_eq(a->customer_id, b->customer_id)) voc_fuzz_fail("round trip changed customer_id");
    if (!s_str_eq(a->account, b->account)) voc_fuzz_fail("round trip changed account");
    if (a->attr_count != b->attr_count) voc_fuzz_fail("round trip changed attrs");
    for (size_t i = 0; i < a->attr_count; i++)
        if (!s_str_eq(a->attrs[i].value, voc_item_attr(b, a->attrs[i].key)))
            voc_fuzz_fail("round trip changed an attribute");
    if (a->scale != b->scale || (a->scale && a->score != b->score))
        voc_fuzz_fail("round trip changed score");
    if (!s_str_eq(a->subject, b->subject)) voc_fuzz_fail("round trip changed subject");
    if (a->text_len != b->text_len || memcmp(a->text, b->text, a->text_len) != 0)
        voc_fuzz_fail("round trip changed text");
}

static void s_round_trip(const voc_item *it, unsigned flags)
{
    char *json = voc_item_to_json(it, flags);
    voc_item again;
    voc_err err;
    if (voc_item_from_json(&again, json, strlen(json), NULL, &s_defaults, &err))
        voc_fuzz_fail(err.msg);
    s_check_same(it, &again, flags);
    voc_item_clear(&again);
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    voc_item it;
    voc_err err;
    if (voc_item_from_json(&it, (const char *)data, size, NULL, &s_defaults, &err) == 0) {
        char hash[17];
        voc_item_content_hash(&it, hash);
        s_round_trip(&it, 0);
        s_round_trip(&it, VOC_ITEM_JSON_ANALYSIS);
        voc_item_clear(&it);
    }

    const voc_item_limits tight = {
        .max_text = 16, .max_subject = 8, .max_attrs = 2, .max_depth = 2};
    const voc_item_defaults nps = {.kind = VOC_KIND_NPS, .received_at = 1};
    if (voc_item_from_json(&it, (const char *)data, size, &tight, &nps, &err) == 0)
        voc_item_clear(&it);
    return 0;
}
