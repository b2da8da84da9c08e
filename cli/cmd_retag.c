/* cmd_retag.c: voc retag — re-apply a rule set to stored items, so that
 * theme counts before and after a rule change are comparable.
 *
 * Items are read in row-id order in batches; each batch is tagged and
 * written in one transaction that replaces every item's themes and stamps
 * it with the new rule set version, so no item ever carries tags of two
 * versions. Items already carrying that version are skipped, which makes an
 * interrupted retag resume where it stopped. */
#include "cli/cli.h"

#include "common/log.h"
#include "processor/pipeline.h"
#include "processor/rules.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const voc_opt s_options[] = {
    VOC_CLI_FILTER_OPTS,
    {"rules", VOC_OPT_STR, NULL, "VOC_RULES", "FILE",
     "rule set to apply [default: the one the processor loaded last]"},
    {"batch", VOC_OPT_INT, "5000", NULL, "N", "items per transaction"},
    {"progress", VOC_OPT_BOOL, "false", NULL, NULL, "show progress even when stderr is not a tty"},
    {"json", VOC_OPT_BOOL, "false", NULL, NULL, "print the summary as JSON"},
    {0},
};

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int voc_cmd_retag(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_store *st = NULL;
    voc_rules *rules = NULL;
    voc_pipeline *pipe = NULL;
    voc_rule_set_info info = {0};
    voc_item *items = NULL;
    int64_t *ids = NULL;
    size_t batch = 0;

    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc retag", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout, "voc retag [--rules FILE] [--since WHEN] [--until WHEN]",
                            "Re-apply a rule set to stored items (all, or those in the window) "
                            "and record which version tagged them. Safe to interrupt and run "
                            "again: it resumes with the items not yet retagged.",
                            s_options);
        status = VOC_EXIT_OK;
        goto out;
    }
    voc_filter f;
    if (voc_cli_filter(o, &f, &err)) {
        status = voc_cli_fail("voc retag", &err);
        goto out;
    }
    long long b = voc_opts_int(o, "batch");
    if (b < 1 || b > 100000) {
        fprintf(stderr, "voc retag: --batch must be 1-100000\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    batch = (size_t)b;
    const char *db = voc_opts_str(o, "db");
    if (access(db, F_OK) != 0) {
        fprintf(stderr, "voc retag: no database at %s\n", db);
        goto out;
    }
    if (voc_store_open(&st, db, 0, &err)) goto fail;
    const char *path = voc_opts_str(o, "rules");
    if (path) {
        if (voc_rules_load(&rules, path, &err)) goto fail;
    } else {
        if (voc_store_latest_rule_set(st, &info, &err)) goto fail;
        if (!info.body) {
            voc_err_set(&err, VOC_ENOTFOUND, "the latest rule set has no stored body; use --rules");
            goto fail;
        }
        if (voc_rules_parse(&rules, info.body, strlen(info.body), info.name, &err)) goto fail;
    }
    int64_t rs_id = 0;
    if (voc_store_begin(st, &err) ||
        voc_store_rule_set(st, voc_rules_hash(rules), voc_rules_name(rules), voc_rules_body(rules),
                           &rs_id, &err) ||
        voc_store_commit(st, &err))
        goto fail;
    if (voc_pipeline_new(&pipe, rules, &err)) goto fail;

    int64_t todo = 0;
    if (voc_store_retag_count(st, &f, rs_id, &todo, &err)) goto fail;
    bool progress = voc_opts_bool(o, "progress") || isatty(STDERR_FILENO);
    items = calloc(batch, sizeof *items);
    ids = calloc(batch, sizeof *ids);
    int64_t after = 0, done = 0, rejected = 0, tagged = 0;
    double t0 = s_now(), last = t0;
    for (;;) {
        size_t n = 0;
        if (voc_store_retag_scan(st, &f, rs_id, after, batch, items, ids, &n, &err)) goto fail;
        if (n == 0) break;
        if (voc_store_begin(st, &err)) goto fail;
        for (size_t i = 0; i < n; i++) {
            voc_err why;
            if (voc_pipeline_run(pipe, &items[i], &why)) {
                /* Stored text that no longer passes (cannot happen with text
                 * the processor stored, but a hand-edited database may): keep
                 * the item, clear its themes, say so. */
                VOC_LOG_WARN("retag", "uid=%s: %s", items[i].uid, why.msg);
                voc_item_clear_analysis(&items[i]);
                rejected++;
            }
            tagged += items[i].theme_count > 0;
            if (voc_store_set_analysis(st, ids[i], &items[i], rs_id, &err)) {
                voc_store_rollback(st);
                goto fail;
            }
        }
        if (voc_store_commit(st, &err)) goto fail;
        after = ids[n - 1];
        done += (int64_t)n;
        for (size_t i = 0; i < n; i++)
            voc_item_clear(&items[i]);
        double now = s_now();
        if (progress && now - last >= 0.5) {
            fprintf(stderr, "\rretag: %lld/%lld items (%.0f%%), %.0f items/s ", (long long)done,
                    (long long)todo, todo ? 100.0 * (double)done / (double)todo : 100.0,
                    (double)done / (now - t0));
            last = now;
        }
    }
    double secs = s_now() - t0;
    if (progress && done) fprintf(stderr, "\r%60s\r", "");
    if (voc_opts_bool(o, "json"))
        printf("{\"rule_set\":\"%s\",\"hash\":\"%s\",\"items\":%lld,\"tagged\":%lld,"
               "\"errors\":%lld,\"seconds\":%.3f}\n",
               voc_rules_name(rules), voc_rules_hash(rules), (long long)done, (long long)tagged,
               (long long)rejected, secs);
    else
        printf("Retagged %lld items with rule set %s (%.12s) in %.1f s (%.0f items/s); %lld have "
               "themes.\n",
               (long long)done, voc_rules_name(rules), voc_rules_hash(rules), secs,
               secs > 0 ? (double)done / secs : 0.0, (long long)tagged);
    status = VOC_EXIT_OK;
    goto out;
fail:
    status = voc_cli_fail("voc retag", &err);
out:
    if (items)
        for (size_t i = 0; i < batch; i++)
            voc_item_clear(&items[i]);
    free(items);
    free(ids);
    voc_pipeline_destroy(&pipe);
    voc_rules_destroy(&rules);
    voc_rule_set_info_clear(&info);
    voc_store_destroy(&st);
    voc_opts_destroy(&o);
    return status;
}
