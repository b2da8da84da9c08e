/* import.h: file importers for voc-collect file. JSON Lines in voc's item
 * format; CSV with a header row and a column mapping
 * (--map text=Comment,score=NPS,created_at=Date,uid=Response ID,attr:plan=Plan);
 * and vendor exports, each mapped to items by its documented layout:
 *
 *   qualtrics      Qualtrics response CSV: 3 header rows (column ids, question
 *                  texts, ImportId JSON; legacy exports have 2); the question
 *                  Q that has a Q_NPS_GROUP column is the 0-10 NPS score,
 *                  text-entry answers (ImportId ..._TEXT) are the text.
 *   delighted-csv  Delighted responses CSV: Score, Comment, person properties.
 *   typeform-csv   Typeform responses CSV: "#" token, question columns, hidden
 *                  fields, Start/Submit Date (UTC).
 *   zendesk-json   Zendesk tickets: the full JSON export (one ticket per
 *                  line), or an API document {"tickets": [...]} or [...].
 *
 * Vendor items are scoped by vendor: source "qualtrics", uid
 * "qualtrics:R_xxx" (likewise "delighted:123", "typeform:<token>",
 * "zendesk:<ticket id>"), so re-importing an export, or receiving the same
 * response by webhook, stores it once. A --map still overrides any field (a
 * column name; for Zendesk a key path such as via.channel).
 *
 * An importer turns each record into an item payload and hands it to a
 * callback (which puts it in the outbox). Records that cannot be read as an
 * item (no text, a bad date) are passed on as they are, so the processor
 * rejects them with a reason and keeps them in its dead-letter table:
 * nothing is dropped here. */
#ifndef VOC_IMPORT_H
#define VOC_IMPORT_H

#include "common/err.h"
#include "common/item.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum voc_import_format {
    VOC_IMPORT_AUTO = 0, /* detected from the content, then the file name */
    VOC_IMPORT_JSONL,
    VOC_IMPORT_CSV,
    VOC_IMPORT_QUALTRICS,
    VOC_IMPORT_DELIGHTED_CSV,
    VOC_IMPORT_TYPEFORM_CSV,
    VOC_IMPORT_ZENDESK_JSON,
} voc_import_format;

typedef struct voc_import_config {
    voc_import_format format;
    const char *source;      /* default "source" for records without one; NULL: "import" */
    voc_kind kind;           /* default kind (vendor formats set their own) */
    const char *const *maps; /* column mappings, "field=Column,..." each */
    size_t map_count;
} voc_import_config;

/* Receives one payload. origin is "FILE:LINE" (JSON Lines), "FILE:row N"
 * (CSV, N as a spreadsheet shows it, with "(line M)" added when the record
 * starts on another physical line) or "FILE:ticket N" (a Zendesk JSON
 * document). Return non-zero to stop the import (that value is returned by
 * voc_import_file). */
typedef int (*voc_import_emit_fn)(void *user, const char *payload, size_t len, const char *origin,
                                  voc_err *err);

/* Import path ("-" for stdin: JSON Lines unless a format is given).
 * Errors: VOC_EIO, VOC_EPARSE (not a format we know, binary data, a CSV
 * quoting error, a Zendesk document that is not JSON), VOC_EINVAL (bad
 * mapping: unknown field or column, naming the nearest; no text column), or
 * what emit returned. *records counts records read. */
int voc_import_file(const char *path, const voc_import_config *cfg, voc_import_emit_fn emit,
                    void *user, size_t *records, voc_err *err);

/* The same for an open stream; name is used in origins and messages. With
 * VOC_IMPORT_AUTO the stream must be seekable (it is read from the start to
 * detect the format, then rewound). fp is borrowed. */
int voc_import_stream(FILE *fp, const char *name, const voc_import_config *cfg,
                      voc_import_emit_fn emit, void *user, size_t *records, voc_err *err);

/* Detect the format of a seekable stream from its first 64 KiB and rewind
 * it: a JSON shape (Zendesk tickets, else JSON Lines), a CSV header
 * signature (Qualtrics, Typeform, Delighted, else CSV), and last the
 * extension of name (.csv: CSV; .json, .jsonl, .ndjson: JSON Lines). Errors:
 * VOC_EPARSE for binary data, UTF-16, or bytes that are not UTF-8;
 * VOC_EIO. */
int voc_import_detect(FILE *fp, const char *name, voc_import_format *out, voc_err *err);

/* Parse "jsonl", "csv", "qualtrics", "delighted-csv", "typeform-csv",
 * "zendesk-json", "auto". Returns 0 or VOC_EINVAL. */
int voc_import_format_parse(const char *s, voc_import_format *out);

/* The name voc_import_format_parse accepts. */
const char *voc_import_format_name(voc_import_format f);

#endif
