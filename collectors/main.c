/* main.c: voc-collect, the collectors' executable. Subcommands sit in one
 * table; each lives in its own file. */
#include "collectors/collect.h"

#include <stdio.h>
#include <string.h>

typedef struct s_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} s_cmd;

static const s_cmd s_cmds[] = {
    {"file", voc_collect_cmd_file, "import JSON Lines or CSV files of feedback"},
    {"http", voc_collect_cmd_http, "receive our item API and vendor webhooks over HTTP"},
};

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: voc-collect COMMAND [options]\n\n"
                "Collect customer feedback and deliver it to voc-processor over ZeroMQ,\n"
                "through a durable outbox: nothing is lost, nothing is counted twice.\n\n"
                "commands:\n");
    for (size_t i = 0; i < sizeof s_cmds / sizeof s_cmds[0]; i++)
        fprintf(fp, "  %-8s %s\n", s_cmds[i].name, s_cmds[i].summary);
    fprintf(fp, "\nRun 'voc-collect COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        s_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        s_usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof s_cmds / sizeof s_cmds[0]; i++)
        if (strcmp(argv[1], s_cmds[i].name) == 0) return s_cmds[i].run(argc - 1, argv + 1);
    fprintf(stderr, "voc-collect: unknown command '%s'\n\n", argv[1]);
    s_usage(stderr);
    return 2;
}
