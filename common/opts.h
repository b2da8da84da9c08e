/* opts.h: command-line options from one table per program.
 *
 * Each program (or subcommand) declares its options once, as an array of
 * voc_opt ending with {0}; the same table drives parsing, validation and
 * --help. Precedence, lowest first: the table's default, the config file
 * (--config FILE, a JSON object whose keys are option names, when the table
 * has a "config" option), the option's VOC_* environment variable, the flag.
 * Unknown options and config keys are errors that name the nearest known one. */
#ifndef VOC_OPTS_H
#define VOC_OPTS_H

#include "common/err.h"

#include <stdbool.h>
#include <stdio.h>

typedef enum voc_opt_type {
    VOC_OPT_STR = 1,
    VOC_OPT_INT,  /* a whole number; validated */
    VOC_OPT_BOOL, /* a flag: --name; config/env take true/false/1/0 */
    VOC_OPT_LIST, /* repeatable string: --name a --name b */
} voc_opt_type;

typedef struct voc_opt {
    const char *name; /* long name without the dashes, e.g. "db" */
    voc_opt_type type;
    const char *def;  /* default as text, or NULL */
    const char *env;  /* environment variable, or NULL */
    const char *arg;  /* placeholder shown in --help, e.g. "PATH" */
    const char *help;
} voc_opt;

typedef struct voc_opts voc_opts;

/* Parse argv[0..argc) (argv[0] is NOT skipped: pass what follows the program
 * or subcommand name). Positional arguments are kept in order; "--" ends
 * options. Caller owns *out; free with voc_opts_destroy. Errors: VOC_EINVAL
 * (usage: unknown option, missing or bad value), VOC_EIO / VOC_EPARSE (config). */
int voc_opts_parse(voc_opts **out, const voc_opt *table, int argc, char **argv, voc_err *err);
void voc_opts_destroy(voc_opts **self_p);

/* Values; borrowed, valid until voc_opts_destroy. A STR with no value and no
 * default gives NULL. */
const char *voc_opts_str(const voc_opts *o, const char *name);
long long voc_opts_int(const voc_opts *o, const char *name);
bool voc_opts_bool(const voc_opts *o, const char *name);
/* Every value of a LIST option in order; returns the count. */
size_t voc_opts_list(const voc_opts *o, const char *name, const char *const **values);
/* True when the option was given by flag, environment or config. */
bool voc_opts_given(const voc_opts *o, const char *name);
bool voc_opts_help(const voc_opts *o); /* --help / -h seen */
size_t voc_opts_args(const voc_opts *o, const char *const **args);

/* Print "usage" and "summary" lines, then each option with its default and
 * environment variable. */
void voc_opts_print_help(FILE *fp, const char *usage, const char *summary, const voc_opt *table);

/* Nearest of candidates[] (NULL-terminated) to word by edit distance, or NULL
 * when nothing is close. */
const char *voc_nearest(const char *word, const char *const *candidates);

#endif
