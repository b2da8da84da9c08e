/* fuzz_adapter.c: fuzz target for one vendor webhook adapter
 * (collectors/adapter_NAME.c through the table in collectors/adapters.c).
 * Built once per vendor with VOC_FUZZ_ADAPTER naming it and
 * VOC_FUZZ_SECRET the test secret of tests/data/webhooks/README.md.
 *
 * Input: header lines "Name: value", a blank line, then the body, as the
 * HTTP server hands a request to an adapter. The adapter's verify runs on
 * it (so a seed made from a signed test delivery passes), then its parse
 * whatever verify said, and every item parsed is encoded and decoded the way
 * it travels to the processor. */
#include "fuzz/fuzz.h"

#include "collectors/adapter.h"
#include "common/alloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef VOC_FUZZ_ADAPTER
#error "VOC_FUZZ_ADAPTER must name the adapter"
#endif
#ifndef VOC_FUZZ_SECRET
#error "VOC_FUZZ_SECRET must be the adapter's test secret"
#endif

#define S_MAX_HEADERS 16

typedef struct s_headers {
    char *names[S_MAX_HEADERS];
    char *values[S_MAX_HEADERS];
    size_t count;
} s_headers;

static const voc_adapter *s_adapter;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    voc_fuzz_quiet();
    s_adapter = voc_adapter_find(VOC_FUZZ_ADAPTER);
    if (!s_adapter) voc_fuzz_fail("no adapter named " VOC_FUZZ_ADAPTER);
    return 0;
}

static const char *s_header(const voc_http_req *req, const char *name)
{
    const s_headers *h = req->impl;
    for (size_t i = 0; i < h->count; i++)
        if (strcasecmp(h->names[i], name) == 0) return h->values[i];
    return NULL;
}

/* Read "Name: value" lines from text (NUL-terminated); lines without a
 * colon are ignored, as a server would not pass them on. */
static void s_parse_headers(char *text, s_headers *h)
{
    char *save = NULL;
    for (char *line = strtok_r(text, "\r\n", &save); line && h->count < S_MAX_HEADERS;
         line = strtok_r(NULL, "\r\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon || colon == line) continue;
        *colon = '\0';
        const char *value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        h->names[h->count] = voc_strdup(line);
        h->values[h->count] = voc_strdup(value);
        h->count++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t head_len, body_len;
    const uint8_t *body;
    voc_fuzz_split(data, size, "\n\n", &head_len, &body, &body_len);
    char *head = voc_fuzz_cstr(data, head_len);
    s_headers h = {0};
    s_parse_headers(head, &h);

    /* The body is exactly the rest of the input: not NUL-terminated. */
    voc_http_req req = {.body = (const char *)body,
                        .body_len = body_len,
                        .header = s_header,
                        .impl = &h,
                        .now = 1767225630};
    voc_err err;
    s_adapter->verify(&req, VOC_FUZZ_SECRET, &err);

    voc_item_list items = {0};
    if (s_adapter->parse(&req, &items, &err) == 0) {
        for (size_t i = 0; i < items.count; i++) {
            char *json = voc_item_to_json(&items.items[i], 0);
            voc_item back;
            if (voc_item_from_json(&back, json, strlen(json), NULL, NULL, &err) == 0)
                voc_item_clear(&back);
            free(json);
        }
    }
    voc_item_list_clear(&items);

    for (size_t i = 0; i < h.count; i++) {
        free(h.names[i]);
        free(h.values[i]);
    }
    free(head);
    return 0;
}
