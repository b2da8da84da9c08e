/* import.h: file importers for voc-collect file. JSON Lines in voc's item
 * format, and CSV with a header row and a column mapping
 * (--map text=Comment,score=NPS,created_at=Date,uid=Response ID,attr:plan=Plan).
 *
 * An importer turns each record into an item payload and hands it to a
 * callback (which puts it in the outbox). Records that cannot be read as an
 * item are passed on as they are, so the processor rejects them with a
 * reason and keeps them in its dead-letter table: nothing is dropped here. */
#ifndef VOC_IMPORT_H
#define VOC_IMPORT_H

#include "common/err.h"
#include "common/item.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum voc_import_format {
    VOC_IMPORT_AUTO = 0, /* from the file name: .csv, else JSON Lines */
    VOC_IMPORT_JSONL,
    VOC_IMPORT_CSV,
} voc_import_format;

typedef struct voc_import_config {
    voc_import_format format;
    const char *source;  /* default "source" for records without one; NULL: "import" */
    voc_kind kind;       /* default kind */
    const char *const *maps; /* CSV column mappings, "field=Column,..." each */
    size_t map_count;
} voc_import_config;

/* Receives one payload. origin is "FILE:LINE" (JSON Lines) or "FILE:row N"
 * (CSV, N as a spreadsheet shows it). Return non-zero to stop the import
 * (that value is returned by voc_import_file). */
typedef int (*voc_import_emit_fn)(void *user, const char *payload, size_t len,
                                  const char *origin, voc_err *err);

/* Import path ("-" for stdin, JSON Lines only). Errors: VOC_EIO, VOC_EINVAL
 * (bad mapping: unknown field or column, naming the nearest), or what emit
 * returned. *records counts records read. */
int voc_import_file(const char *path, const voc_import_config *cfg, voc_import_emit_fn emit,
                    void *user, size_t *records, voc_err *err);

/* Parse "jsonl", "csv", "auto". */
int voc_import_format_parse(const char *s, voc_import_format *out);

#endif
