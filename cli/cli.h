/* cli.h: what the voc subcommands share: exit codes, opening the store,
 * the common query filters, and output helpers (CSV quoting, table text). */
#ifndef VOC_CLI_H
#define VOC_CLI_H

#include "common/err.h"
#include "common/opts.h"
#include "store/store.h"

#include <stdio.h>

enum { VOC_EXIT_OK = 0, VOC_EXIT_RUNTIME = 1, VOC_EXIT_USAGE = 2 };

/* Options every query command takes; end a command's table with
 * VOC_CLI_FILTER_OPTS then {0}. */
#define VOC_CLI_FILTER_OPTS                                                                         \
    {"db", VOC_OPT_STR, "voc.db", "VOC_DB", "PATH", "database to read"},                            \
        {"since", VOC_OPT_STR,                                                                      \
         NULL,    NULL,                                                                             \
         "WHEN",  "start of the window: 30d, 12w, 6m, 1y or a date [default: all time]"},           \
        {"until", VOC_OPT_STR, NULL, NULL, "WHEN", "end of the window (exclusive) [default: now]"}, \
        {"kind", VOC_OPT_STR, NULL, NULL, "KIND", "only survey, nps, ticket, review or other"},     \
    {                                                                                               \
        "source", VOC_OPT_STR, NULL, NULL, "SOURCE", "only items from this source"                  \
    }

/* Segment options: --where attr=value (repeatable), --negative. Add after
 * VOC_CLI_FILTER_OPTS in tables that support them. */
#define VOC_CLI_SEGMENT_OPTS                                                                       \
    {"where", VOC_OPT_LIST, NULL,                                                                  \
     NULL,    "ATTR=VALUE", "only items whose attribute equals the value, e.g. plan=enterprise"},  \
    {                                                                                              \
        "negative", VOC_OPT_BOOL, "false", NULL, NULL,                                             \
            "only negative feedback: negative sentiment or NPS detractors"                         \
    }

/* Parse the filter options into f (strings borrowed from o). Returns 0 or
 * VOC_EINVAL with err set (a usage error). */
int voc_cli_filter(const voc_opts *o, voc_filter *f, voc_err *err);

/* Parse the segment options into f (after voc_cli_filter); release with
 * voc_cli_segment_free. */
int voc_cli_segment(const voc_opts *o, voc_filter *f, voc_err *err);
void voc_cli_segment_free(voc_filter *f);

/* Open the --db store read-only. */
int voc_cli_open_store(const voc_opts *o, voc_store **out, voc_err *err);

/* Write s as one CSV field (quoted when needed). */
void voc_cli_csv_field(FILE *fp, const char *s);

/* Write at most `cols` display columns of s on one line: whitespace runs
 * collapsed to one space, an ellipsis when cut. */
void voc_cli_put_clipped(FILE *fp, const char *s, size_t cols);

/* voc top --dedup (cmd_clusters.c): themes ranked like voc_store_top, but
 * each group of near-identical items (voc dupes) counts once; no sentiment
 * or NPS. Caller clears *out with voc_top_clear. Errors: VOC_EINVAL with
 * --where or --negative, VOC_EDB. */
int voc_cli_top_dedup(const voc_opts *o, const voc_filter *f, size_t limit, voc_top *out,
                      voc_err *err);

/* Print "cmd: message" to stderr and map err->code to an exit status. */
int voc_cli_fail(const char *cmd, const voc_err *err);

/* Subcommands. argv[0] is the subcommand name. */
int voc_cmd_top(int argc, char **argv);
int voc_cmd_show(int argc, char **argv);
int voc_cmd_retag(int argc, char **argv);
int voc_cmd_rules(int argc, char **argv);
int voc_cmd_stats(int argc, char **argv);
int voc_cmd_keygen(int argc, char **argv);
int voc_cmd_trends(int argc, char **argv);
int voc_cmd_nps(int argc, char **argv);
int voc_cmd_quotes(int argc, char **argv);
int voc_cmd_export(int argc, char **argv);
int voc_cmd_export_trends(int argc, char **argv);
int voc_cmd_alerts(int argc, char **argv);
int voc_cmd_search(int argc, char **argv);
int voc_cmd_tail(int argc, char **argv);
int voc_cmd_report(int argc, char **argv);
int voc_cmd_clusters(int argc, char **argv);
int voc_cmd_dupes(int argc, char **argv);

#endif
