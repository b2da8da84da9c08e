/* main.c: voc, the command line for CS and product teams. Subcommands sit
 * in one table; each lives in its own cmd_*.c file. */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct s_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} s_cmd;

static const s_cmd s_cmds[] = {
    {"top", voc_cmd_top, "themes ranked by number of items, with share and a quote"},
    {"trends", voc_cmd_trends, "items per theme and day, week or month (table, csv, json, svg)"},
    {"nps", voc_cmd_nps, "NPS overall and by theme (with impact), source, kind or segment"},
    {"quotes", voc_cmd_quotes, "what customers wrote about a theme, evidence marked"},
    {"report", voc_cmd_report, "one self-contained HTML report: numbers, themes, charts, quotes"},
    {"alerts", voc_cmd_alerts, "themes that spiked or are new this week (exit 3 when any)"},
    {"clusters", voc_cmd_clusters, "groups of similar feedback: emerging themes, suggested rules"},
    {"dupes", voc_cmd_dupes, "groups of near-identical feedback"},
    {"search", voc_cmd_search, "full-text search over all feedback, best matches first"},
    {"tail", voc_cmd_tail, "tagged items live as the processor stores them"},
    {"export", voc_cmd_export, "stream matching items with themes and scores (csv, jsonl)"},
    {"show", voc_cmd_show, "one item with its themes and highlighted evidence"},
    {"retag", voc_cmd_retag, "re-apply a rule set to stored items"},
    {"rules", voc_cmd_rules, "check, test and evaluate a rule set"},
    {"keygen", voc_cmd_keygen, "write a CURVE key pair for encrypted links between hosts"},
    {"stats", voc_cmd_stats, "what the store holds: kinds, sources, dead letters, versions"},
};

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: voc COMMAND [options]\n\n"
                "Ask the voc feedback store what customers are saying.\n\n"
                "commands:\n");
    for (size_t i = 0; i < sizeof s_cmds / sizeof s_cmds[0]; i++)
        fprintf(fp, "  %-8s %s\n", s_cmds[i].name, s_cmds[i].summary);
    fprintf(fp, "\nThe database is --db PATH, else $VOC_DB, else ./voc.db.\n"
                "Run 'voc COMMAND --help' for a command's options.\n"
                "Exit status: 0 ok, 1 runtime failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
    int status;
    if (argc < 2) {
        s_usage(stderr);
        return VOC_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        s_usage(stdout);
        status = VOC_EXIT_OK;
        goto out;
    }
    for (size_t i = 0; i < sizeof s_cmds / sizeof s_cmds[0]; i++) {
        if (strcmp(argv[1], s_cmds[i].name) == 0) {
            status = s_cmds[i].run(argc - 1, argv + 1);
            goto out;
        }
    }
    fprintf(stderr, "voc: unknown command '%s'\n\n", argv[1]);
    s_usage(stderr);
    return VOC_EXIT_USAGE;
out:
    /* A full disk or closed pipe must not pass for success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "voc: error writing output: %s\n", strerror(errno));
        return VOC_EXIT_RUNTIME;
    }
    return status;
}
