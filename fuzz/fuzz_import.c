/* fuzz_import.c: fuzz target for one file format of voc-collect file
 * (collectors/import.c). Built once per format with VOC_FUZZ_FORMAT naming
 * it as --format does ("csv", "jsonl", "qualtrics", "delighted-csv",
 * "typeform-csv", "zendesk-json").
 *
 * Input: one line holding a --map value (empty for none), then the file's
 * bytes. The file is read from memory (fmemopen) as a stream: format
 * detection runs over it first, then the import with the fixed format, and
 * each payload the importer emits is decoded as the processor would. */
#include "fuzz/fuzz.h"

#include "collectors/import.h"
#include "common/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VOC_FUZZ_FORMAT
#error "VOC_FUZZ_FORMAT must name the import format"
#endif

static voc_import_format s_format;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    voc_fuzz_quiet();
    if (voc_import_format_parse(VOC_FUZZ_FORMAT, &s_format))
        voc_fuzz_fail("unknown import format " VOC_FUZZ_FORMAT);
    return 0;
}

static int s_emit(void *user, const char *payload, size_t len, const char *origin, voc_err *err)
{
    (void)origin;
    (void)err;
    size_t *emitted = user;
    voc_item it;
    voc_err why;
    if (voc_item_from_json(&it, payload, len, NULL, NULL, &why) == 0) voc_item_clear(&it);
    (*emitted)++;
    return 0;
}

/* A stream over data[0..size); fmemopen refuses an empty buffer in older C
 * libraries, so an empty file is an empty temporary stream. */
static FILE *s_open(uint8_t *data, size_t size)
{
    if (size == 0) return tmpfile();
    return fmemopen(data, size, "r");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t map_len, file_len;
    const uint8_t *file;
    voc_fuzz_split(data, size, "\n", &map_len, &file, &file_len);
    char *map = voc_fuzz_cstr(data, map_len);
    const char *const maps[] = {map};

    /* fmemopen needs a writable pointer even to read; keep our own copy. */
    uint8_t *copy = voc_malloc(file_len ? file_len : 1);
    if (file_len) memcpy(copy, file, file_len);

    voc_import_config cfg = {.format = s_format,
                             .source = "fuzz",
                             .kind = VOC_KIND_SURVEY,
                             .maps = maps,
                             .map_count = map[0] ? 1 : 0};
    const char *name = s_format == VOC_IMPORT_ZENDESK_JSON || s_format == VOC_IMPORT_JSONL
                           ? "fuzz.json"
                           : "fuzz.csv";
    voc_err err;
    size_t records = 0, emitted = 0;
    FILE *fp = s_open(copy, file_len);
    if (fp) {
        voc_import_format detected;
        voc_import_detect(fp, name, &detected, &err);
        rewind(fp); /* detect rewinds only when it succeeds */
        voc_import_stream(fp, name, &cfg, s_emit, &emitted, &records, &err);
        fclose(fp);
    }
    free(copy);
    free(map);
    return 0;
}
