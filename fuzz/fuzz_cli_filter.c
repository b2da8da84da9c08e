/* fuzz_cli_filter.c: fuzz target for the query commands' filter options
 * (voc_cli_filter and voc_cli_segment in cli/common.c, through the option
 * parser of common/opts.c) and the time parsing under them (common/vtime.c).
 *
 * Input: arguments, one per line, as they follow "voc top". They are parsed
 * with the options every query command takes, then turned into a filter.
 * Each argument is also parsed as an absolute and a relative time; an
 * absolute time must format and parse back to itself. */
#include "fuzz/fuzz.h"

#include "cli/cli.h"
#include "common/item.h"
#include "common/vtime.h"

#include <stdlib.h>
#include <string.h>

#define S_MAX_ARGS 32

static const voc_opt s_opts[] = {
    VOC_CLI_FILTER_OPTS,
    VOC_CLI_SEGMENT_OPTS,
    {"limit", VOC_OPT_INT, "10", NULL, "N", "at most N themes (0: all)"},
    {0},
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    voc_fuzz_quiet();
    return 0;
}

static void s_times(const char *arg)
{
    voc_err err;
    int64_t t, back;
    char buf[VOC_TIME_BUF];
    if (voc_time_parse(arg, &t, &err) == 0) {
        voc_time_format(t, buf);
        if (voc_time_parse(buf, &back, &err)) voc_fuzz_fail(err.msg);
        if (back != t) voc_fuzz_fail("a parsed time formats to another time");
        voc_time_format_date(t, buf);
    }
    /* Relative times count back from a fixed now and from the real one. */
    if (voc_time_parse_since(arg, 1767225600, &t, &err) == 0) voc_time_format(t, buf);
    if (voc_time_parse_since(arg, voc_time_now(), &t, &err) == 0) voc_time_format(t, buf);
    voc_kind kind;
    voc_kind_parse(arg, &kind);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = voc_fuzz_cstr(data, size);
    char *argv[S_MAX_ARGS + 1];
    int argc = 0;
    for (char *line = text, *next; line && argc < S_MAX_ARGS; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        argv[argc++] = line;
        s_times(line);
    }
    argv[argc] = NULL;

    voc_opts *o = NULL;
    voc_err err;
    if (voc_opts_parse(&o, s_opts, argc, argv, &err) == 0) {
        voc_filter f;
        if (voc_cli_filter(o, &f, &err) == 0 && voc_cli_segment(o, &f, &err) == 0)
            voc_cli_segment_free(&f);
        voc_opts_int(o, "limit");
        voc_opts_destroy(&o);
    }
    free(text);
    return 0;
}
