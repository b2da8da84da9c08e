/* test_opts.c: table-driven option parsing with config file and
 * environment precedence (common/opts.h). */
#include "common/opts.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const voc_opt s_table[] = {
    {"db", VOC_OPT_STR, "voc.db", "VOC_TEST_DB", "PATH", "database"},
    {"limit", VOC_OPT_INT, "10", NULL, "N", "how many"},
    {"json", VOC_OPT_BOOL, NULL, NULL, NULL, "json output"},
    {"map", VOC_OPT_LIST, NULL, NULL, "SPEC", "mapping"},
    {"config", VOC_OPT_STR, NULL, NULL, "FILE", "config"},
    {0},
};

static voc_opts *s_parse(int argc, char **argv, voc_err *err)
{
    voc_opts *o = NULL;
    int rc = voc_opts_parse(&o, s_table, argc, argv, err);
    return rc ? NULL : o;
}

Test(opts, defaults_flags_and_positionals)
{
    unsetenv("VOC_TEST_DB");
    char *argv[] = {"a.jsonl", "--limit", "5", "--json", "--map=text=Comment", "--map",
                    "score=NPS", "--", "--not-an-option"};
    voc_err err;
    voc_opts *o = s_parse(9, argv, &err);
    cr_assert_not_null(o, "%s", err.msg);
    cr_assert_str_eq(voc_opts_str(o, "db"), "voc.db");
    cr_assert_eq(voc_opts_int(o, "limit"), 5);
    cr_assert(voc_opts_bool(o, "json"));
    const char *const *maps;
    cr_assert_eq(voc_opts_list(o, "map", &maps), 2);
    cr_assert_str_eq(maps[0], "text=Comment");
    cr_assert_str_eq(maps[1], "score=NPS");
    const char *const *args;
    cr_assert_eq(voc_opts_args(o, &args), 2);
    cr_assert_str_eq(args[0], "a.jsonl");
    cr_assert_str_eq(args[1], "--not-an-option");
    cr_assert(voc_opts_given(o, "limit"));
    cr_assert_not(voc_opts_given(o, "db"));
    voc_opts_destroy(&o);
    cr_assert_null(o);
}

Test(opts, unknown_option_names_nearest)
{
    char *argv[] = {"--lmit", "3"};
    voc_err err;
    cr_assert_null(s_parse(2, argv, &err));
    cr_assert_eq(err.code, VOC_EINVAL);
    cr_assert(strstr(err.msg, "did you mean '--limit'") != NULL, "%s", err.msg);
}

Test(opts, bad_values)
{
    voc_err err;
    char *a1[] = {"--limit", "ten"};
    cr_assert_null(s_parse(2, a1, &err));
    cr_assert(strstr(err.msg, "'ten' is not a whole number") != NULL, "%s", err.msg);
    char *a2[] = {"--db"};
    cr_assert_null(s_parse(1, a2, &err));
    cr_assert(strstr(err.msg, "needs a value") != NULL, "%s", err.msg);
    char *a3[] = {"-x"};
    cr_assert_null(s_parse(1, a3, &err));
}

Test(opts, precedence_default_config_env_flag)
{
    char path[] = "/tmp/voc-opts-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *cfg = "{\"db\":\"from-config.db\",\"limit\":7,\"map\":[\"a=b\",\"c=d\"]}";
    cr_assert_eq(write(fd, cfg, strlen(cfg)), (ssize_t)strlen(cfg));
    close(fd);
    voc_err err;

    unsetenv("VOC_TEST_DB");
    char *a1[] = {"--config", path};
    voc_opts *o = s_parse(2, a1, &err);
    cr_assert_not_null(o, "%s", err.msg);
    cr_assert_str_eq(voc_opts_str(o, "db"), "from-config.db");
    cr_assert_eq(voc_opts_int(o, "limit"), 7);
    const char *const *maps;
    cr_assert_eq(voc_opts_list(o, "map", &maps), 2);
    voc_opts_destroy(&o);

    setenv("VOC_TEST_DB", "from-env.db", 1);
    o = s_parse(2, a1, &err);
    cr_assert_str_eq(voc_opts_str(o, "db"), "from-env.db");
    voc_opts_destroy(&o);

    char *a2[] = {"--config", path, "--db", "from-flag.db", "--map", "x=y"};
    o = s_parse(6, a2, &err);
    cr_assert_str_eq(voc_opts_str(o, "db"), "from-flag.db");
    cr_assert_eq(voc_opts_list(o, "map", &maps), 1, "flags replace config lists");
    cr_assert_str_eq(maps[0], "x=y");
    voc_opts_destroy(&o);
    unsetenv("VOC_TEST_DB");

    const char *badcfg = "{\"dbb\":\"x\"}";
    FILE *fp = fopen(path, "w");
    fputs(badcfg, fp);
    fclose(fp);
    cr_assert_null(s_parse(2, a1, &err));
    cr_assert(strstr(err.msg, "unknown key 'dbb' (did you mean 'db'?)") != NULL, "%s", err.msg);
    unlink(path);
}

Test(opts, help_flag)
{
    char *argv[] = {"--help"};
    voc_err err;
    voc_opts *o = s_parse(1, argv, &err);
    cr_assert_not_null(o);
    cr_assert(voc_opts_help(o));
    voc_opts_destroy(&o);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    voc_opts_print_help(fp, "prog [options]", "Does things.", s_table);
    fclose(fp);
    cr_assert(strstr(buf, "--limit N") != NULL, "%s", buf);
    cr_assert(strstr(buf, "[default: 10]") != NULL);
    cr_assert(strstr(buf, "[env: VOC_TEST_DB]") != NULL);
    free(buf);
}
