/* cmd_retag.c: voc retag — re-apply a rule set to stored items, so that
 * theme counts before and after a rule change are comparable.
 *
 * Items are read in row-id order in batches; each batch is tagged and
 * written in one transaction that replaces every item's themes and stamps
 * it with the new rule set version, so no item ever carries tags of two
 * versions. Items already carrying that version are skipped, which makes an
 * interrupted retag resume where it stopped.
 *
 * Analysis runs on worker threads (one pipeline each; the compiled rules
 * are shared read-only) while this thread writes the previous batch, so
 * the writer and the taggers overlap: scan batch k+1, start its analysis,
 * write batch k, wait for k+1, and so on. */
#include "cli/cli.h"

#include "common/alloc.h"
#include "common/log.h"
#include "processor/pipeline.h"
#include "processor/rules.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const voc_opt s_options[] = {
    VOC_CLI_FILTER_OPTS,
    {"rules", VOC_OPT_STR, NULL, "VOC_RULES", "FILE",
     "rule set to apply [default: the one the processor loaded last]"},
    {"batch", VOC_OPT_INT, "20000", NULL, "N", "items per transaction"},
    {"threads", VOC_OPT_INT, "0", NULL, "N", "analysis threads [default: one per CPU]"},
    {"cache", VOC_OPT_INT, "256", NULL, "MIB", "SQLite page cache for the rewrite"},
    {"indexes", VOC_OPT_STR, "auto", NULL, "auto|keep|rebuild",
     "rebuild: drop the tag indexes and build them again at the end (fast when most tags "
     "change); auto decides from the first batch"},
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

/* One batch: items, their row refs, and what analysis said. */
typedef struct {
    voc_item *items;
    voc_retag_ref *refs;
    char **why; /* per item: NULL, or why its stored text no longer passes */
    size_t n;
} s_batch;

typedef struct {
    voc_pipeline *pipe;
    s_batch *b;
    size_t from, to;
    pthread_t tid;
} s_worker;

static void *s_analyse(void *arg)
{
    s_worker *w = arg;
    for (size_t i = w->from; i < w->to; i++) {
        voc_err why;
        if (voc_pipeline_run(w->pipe, &w->b->items[i], &why)) {
            voc_item_clear_analysis(&w->b->items[i]);
            w->b->why[i] = voc_strdup(why.msg);
        }
    }
    return NULL;
}

/* Start the workers on b (each takes an equal slice). */
static void s_start(s_worker *w, size_t nw, s_batch *b)
{
    for (size_t k = 0; k < nw; k++) {
        w[k].b = b;
        w[k].from = b->n * k / nw;
        w[k].to = b->n * (k + 1) / nw;
        if (pthread_create(&w[k].tid, NULL, s_analyse, &w[k]) != 0) {
            s_analyse(&w[k]); /* no thread to spare: do it here */
            w[k].tid = pthread_self();
        }
    }
}

static void s_join(s_worker *w, size_t nw)
{
    for (size_t k = 0; k < nw; k++)
        if (!pthread_equal(w[k].tid, pthread_self())) pthread_join(w[k].tid, NULL);
}

static void s_batch_clear(s_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        voc_item_clear(&b->items[i]);
        free(b->why[i]);
        b->why[i] = NULL;
    }
    b->n = 0;
}

static void s_batch_free(s_batch *b)
{
    if (b->items) s_batch_clear(b);
    free(b->items);
    free(b->refs);
    free(b->why);
}

int voc_cmd_retag(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    voc_store *st = NULL;
    voc_rules *rules = NULL;
    voc_rule_set_info info = {0};
    s_batch bufs[2] = {{0}};
    s_worker *workers = NULL;
    size_t nworkers = 0;
    bool running = false; /* workers busy on a batch */
    bool dropped = false; /* the tag indexes are down */
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
    long long th = voc_opts_int(o, "threads"), cache = voc_opts_int(o, "cache");
    if (th < 0 || th > 256 || cache < 2 || cache > 1 << 20) {
        fprintf(stderr, "voc retag: --threads must be 0-256 and --cache 2-1048576\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    const char *ix = voc_opts_str(o, "indexes");
    int ix_mode = strcmp(ix, "auto") == 0 ? 0 : strcmp(ix, "keep") == 0 ? 1 : 2;
    if (ix_mode == 2 && strcmp(ix, "rebuild") != 0) {
        fprintf(stderr, "voc retag: --indexes must be auto, keep or rebuild\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    if (th == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        th = cpus > 0 ? cpus : 1;
    }
    const char *db = voc_opts_str(o, "db");
    if (access(db, F_OK) != 0) {
        fprintf(stderr, "voc retag: no database at %s\n", db);
        goto out;
    }
    if (voc_store_open(&st, db, 0, &err) || voc_store_bulk_mode(st, (int)cache, &err)) goto fail;
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
    nworkers = (size_t)th;
    workers = calloc(nworkers, sizeof *workers);
    for (size_t k = 0; k < nworkers; k++)
        if (voc_pipeline_new(&workers[k].pipe, rules, &err)) goto fail;

    int64_t todo = 0;
    if (voc_store_retag_count(st, &f, rs_id, &todo, &err)) goto fail;
    bool progress = voc_opts_bool(o, "progress") || isatty(STDERR_FILENO);
    for (int k = 0; k < 2; k++) {
        bufs[k].items = calloc(batch, sizeof *bufs[k].items);
        bufs[k].refs = calloc(batch, sizeof *bufs[k].refs);
        bufs[k].why = calloc(batch, sizeof *bufs[k].why);
    }
    int64_t after = 0, done = 0, rejected = 0, tagged = 0;
    double t0 = s_now(), last = t0;
    int cur = 0;
    if (voc_store_retag_scan(st, &f, rs_id, after, batch, bufs[cur].items, bufs[cur].refs,
                             &bufs[cur].n, &err))
        goto fail;
    if (bufs[cur].n) {
        s_start(workers, nworkers, &bufs[cur]);
        running = true;
    }
    double wait_s = 0, write_s = 0, scan_s = 0, index_s = 0, commit_s = 0;
    while (running) {
        double tw = s_now();
        s_join(workers, nworkers);
        wait_s += s_now() - tw;
        running = false;
        s_batch *w = &bufs[cur], *next = &bufs[cur ^ 1];
        after = w->refs[w->n - 1].id;
        /* Read the next batch and set it analysing while this one is
         * written. */
        double ts = s_now();
        if (voc_store_retag_scan(st, &f, rs_id, after, batch, next->items, next->refs, &next->n,
                                 &err))
            goto fail;
        scan_s += s_now() - ts;
        if (next->n) {
            s_start(workers, nworkers, next);
            running = true;
        }
        double tb = s_now();
        if (voc_store_begin(st, &err)) goto fail;
        for (size_t i = 0; i < w->n; i++) {
            if (w->why[i]) {
                /* Stored text that no longer passes (cannot happen with
                 * text the processor stored, but a hand-edited database
                 * may): keep the item, clear its themes, say so. */
                VOC_LOG_WARN("retag", "uid=%s: %s", w->items[i].uid, w->why[i]);
                rejected++;
            }
            tagged += w->items[i].theme_count > 0;
            if (voc_store_set_analysis(st, &w->refs[i], &w->items[i], rs_id, &err)) {
                voc_store_rollback(st);
                goto fail;
            }
        }
        double tc = s_now();
        if (voc_store_commit(st, &err)) goto fail;
        commit_s += s_now() - tc;
        write_s += s_now() - tb;
        done += (int64_t)w->n;
        if (!dropped && running && (ix_mode == 2 || (ix_mode == 0 && done == (int64_t)w->n))) {
            /* Judge from the first batch: when the rest will rewrite more
             * than a quarter of all tags (and many), keeping two indexes
             * sorted tag by tag costs more than one sort at the end. */
            int64_t total = 0;
            if (voc_store_tag_total(st, &total, &err)) goto fail;
            double expect = (double)voc_store_tag_writes(st) / (double)done * (double)(todo - done);
            if (ix_mode == 2 || (expect >= 50000 && expect * 4 >= (double)total)) {
                VOC_LOG_INFO("retag",
                             "about %.0f of %lld tags will change: dropping the tag "
                             "indexes until the end",
                             expect, (long long)total);
                if (voc_store_tag_indexes(st, false, &err)) goto fail;
                dropped = true;
            }
        }
        s_batch_clear(w);
        cur ^= 1;
        double now = s_now();
        if (progress && now - last >= 0.5) {
            fprintf(stderr, "\rretag: %lld/%lld items (%.0f%%), %.0f items/s ", (long long)done,
                    (long long)todo, todo ? 100.0 * (double)done / (double)todo : 100.0,
                    (double)done / (now - t0));
            last = now;
        }
    }
    if (dropped) {
        if (progress) fprintf(stderr, "\rretag: building the tag indexes again%30s", "");
        double ti = s_now();
        if (voc_store_tag_indexes(st, true, &err)) goto fail;
        index_s = s_now() - ti;
        dropped = false;
    }
    double secs = s_now() - t0;
    struct timespec cpu; /* this thread's: scans, writes, index builds */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    double main_cpu = (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9;
    if (progress && done) fprintf(stderr, "\r%60s\r", "");
    if (voc_opts_bool(o, "json"))
        printf("{\"rule_set\":\"%s\",\"hash\":\"%s\",\"items\":%lld,\"tagged\":%lld,"
               "\"errors\":%lld,\"seconds\":%.3f,\"write_seconds\":%.3f,"
               "\"analysis_wait_seconds\":%.3f,\"scan_seconds\":%.3f,\"commit_seconds\":%.3f,"
               "\"index_seconds\":%.3f,\"writer_cpu_seconds\":%.3f,\"threads\":%zu}\n",
               voc_rules_name(rules), voc_rules_hash(rules), (long long)done, (long long)tagged,
               (long long)rejected, secs, write_s, wait_s, scan_s, commit_s, index_s, main_cpu,
               nworkers);
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
    /* A failure while a batch is analysing: let the workers finish it. */
    if (running) s_join(workers, nworkers);
    /* Leave the indexes as they were, if the store still lets us. */
    if (dropped) {
        voc_err e2;
        if (voc_store_tag_indexes(st, true, &e2))
            fprintf(stderr, "voc retag: %s (the next writable open builds them)\n", e2.msg);
    }
    for (int k = 0; k < 2; k++)
        s_batch_free(&bufs[k]);
    for (size_t k = 0; k < nworkers && workers; k++)
        voc_pipeline_destroy(&workers[k].pipe);
    free(workers);
    voc_rules_destroy(&rules);
    voc_rule_set_info_clear(&info);
    voc_store_destroy(&st);
    voc_opts_destroy(&o);
    return status;
}
