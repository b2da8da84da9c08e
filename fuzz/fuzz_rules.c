/* fuzz_rules.c: fuzz target for the rule set loader (processor/rules.c).
 *
 * Input: a rule set's JSON text. A rule set that loads is used the way the
 * processor uses it: a pipeline over it (its stop words, redaction
 * patterns, lexicon and negations) runs every stage on one short text, which
 * tags it with the loaded themes. */
#include "fuzz/fuzz.h"

#include "common/alloc.h"
#include "processor/pipeline.h"
#include "processor/rules.h"

#include <string.h>

/* Short, but touching every stage: an e-mail and a phone number to redact,
 * negation, keywords and phrases the seed rule sets know. */
static const char s_text[] =
    "Not happy: I was charged twice and the refund never came. The app crashes on login "
    "since the update, so I can't export my invoice. Email me at jo@example.com or call "
    "+1 555 123 4567. Support was kind, though!";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    voc_fuzz_quiet();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    voc_rules *rules = NULL;
    voc_pipeline *pipe = NULL;
    voc_err err;
    if (voc_rules_parse(&rules, (const char *)data, size, "fuzz.json", &err)) return 0;
    for (size_t i = 0; i < voc_rules_theme_count(rules); i++) {
        const char *id = voc_rules_theme_id(rules, i);
        if (voc_rules_theme_index(rules, id) != (long)i) voc_fuzz_fail("theme index of its id");
        voc_rules_theme_name(rules, i);
    }
    if (voc_pipeline_new(&pipe, rules, &err) == 0) {
        voc_item it;
        voc_item_init(&it);
        it.uid = voc_strdup("fuzz:1");
        it.source = voc_strdup("fuzz");
        it.kind = VOC_KIND_SURVEY;
        it.text = voc_strdup(s_text);
        it.text_len = strlen(s_text);
        voc_pipeline_run(pipe, &it, &err);
        voc_item_clear(&it);
        voc_pipeline_destroy(&pipe);
    }
    voc_rules_destroy(&rules);
    return 0;
}
