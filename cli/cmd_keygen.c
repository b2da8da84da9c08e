/* cmd_keygen.c: voc keygen NAME — a CURVE key pair for encrypted,
 * authenticated links between collectors and the processor. */
#include "cli/cli.h"

#include "common/curve.h"

#include <stdio.h>

static const voc_opt s_options[] = {{0}};

int voc_cmd_keygen(int argc, char **argv)
{
    voc_err err = {0};
    voc_opts *o = NULL;
    int status = VOC_EXIT_RUNTIME;
    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc keygen", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout, "voc keygen NAME",
                            "Write a CURVE key pair: NAME.key (both keys, mode 0600; give it "
                            "to the program that owns it) and NAME.pub (the public key; put "
                            "collectors' .pub files in the processor's --allow-keys directory "
                            "and give the processor's .pub to collectors as "
                            "--curve-server-key).",
                            s_options);
        status = VOC_EXIT_OK;
        goto out;
    }
    const char *const *args;
    if (voc_opts_args(o, &args) != 1) {
        fprintf(stderr, "voc keygen: give one NAME (see voc keygen --help)\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    if (voc_curve_keygen(args[0], &err)) {
        status = voc_cli_fail("voc keygen", &err);
        goto out;
    }
    printf("wrote %s.key (secret, 0600) and %s.pub\n", args[0], args[0]);
    status = VOC_EXIT_OK;
out:
    voc_opts_destroy(&o);
    return status;
}
