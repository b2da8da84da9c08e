/* cmd_file.c: voc-collect file. Reads JSON Lines and CSV files into the
 * outbox while the acked sender delivers them, reports progress on stderr
 * and a summary at the end. Exits 0 only when every item was acked (stored
 * or rejected with a reason) by the processor. */
#include "collectors/collect.h"
#include "collectors/import.h"
#include "collectors/outbox.h"
#include "collectors/sender.h"
#include "common/alloc.h"
#include "common/log.h"
#include "common/opts.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define S_COMMIT_EVERY 2000
#define S_MAX_LISTED_REJECTS 20

static const voc_opt s_options[] = {
    {"connect", VOC_OPT_STR, NULL, "VOC_CONNECT", "ENDPOINT",
     "voc-processor endpoint, e.g. ipc:///tmp/voc.sock or tcp://127.0.0.1:5555"},
    {"format", VOC_OPT_STR, "auto", NULL, "FMT", "jsonl, csv or auto (by file extension)"},
    {"source", VOC_OPT_STR, "import", NULL, "NAME", "source of items that name none"},
    {"kind", VOC_OPT_STR, "other", NULL, "KIND",
     "kind of items that name none: survey, nps, ticket, review, other"},
    {"map", VOC_OPT_LIST, NULL, NULL, "FIELD=COLUMN,...",
     "CSV column mapping, e.g. text=Comment,score=NPS,created_at=Date,attr:plan=Plan"},
    {"outbox", VOC_OPT_STR, NULL, "VOC_OUTBOX", "PATH",
     "durable outbox file [default: ~/.local/state/voc/file-outbox.db]"},
    {"batch", VOC_OPT_INT, "500", NULL, "N", "items per batch"},
    {"window", VOC_OPT_INT, "8", NULL, "N", "batches in flight before waiting for acks"},
    {"ack-timeout", VOC_OPT_INT, "10000", NULL, "MS", "resend a batch not acked in this time"},
    {"timeout", VOC_OPT_INT, "300", NULL, "SECONDS",
     "give up when the processor has not answered for this long (items stay in the outbox)"},
    {"progress", VOC_OPT_BOOL, NULL, NULL, NULL, "show progress even when stderr is not a tty"},
    {"json", VOC_OPT_BOOL, NULL, NULL, NULL, "print the summary as JSON on stdout"},
    {"curve-server-key", VOC_OPT_STR, NULL, "VOC_CURVE_SERVER_KEY", "FILE",
     "the processor's public key (NAME.pub): encrypt and authenticate with CURVE"},
    {"curve-secret-key", VOC_OPT_STR, NULL, "VOC_CURVE_SECRET_KEY", "FILE",
     "this collector's key pair (NAME.key from voc keygen)"},
    {"log-level", VOC_OPT_STR, "warn", "VOC_LOG_LEVEL", "LEVEL", "debug, info, warn or error"},
    {"config", VOC_OPT_STR, NULL, NULL, "FILE", "JSON file of these options"},
    {0},
};

typedef struct s_reject {
    char *origin;
    char *reason;
} s_reject;

typedef struct s_run {
    voc_outbox *ob;
    voc_sender *sender;
    size_t pending_in_tx;
    size_t records;
    bool progress;
    int64_t started_ms;
    int64_t last_progress_ms;
    s_reject rejects[S_MAX_LISTED_REJECTS];
    size_t nrejects;
} s_run;

static volatile sig_atomic_t s_interrupted;

static void s_on_signal(int sig)
{
    (void)sig;
    s_interrupted = 1;
}

char *voc_collect_default_outbox(const char *role)
{
    const char *env = getenv("VOC_OUTBOX");
    if (env && *env)
        return voc_strdup(env);
    const char *state = getenv("XDG_STATE_HOME");
    if (state && *state)
        return voc_asprintf("%s/voc/%s-outbox.db", state, role);
    const char *home = getenv("HOME");
    if (home && *home)
        return voc_asprintf("%s/.local/state/voc/%s-outbox.db", home, role);
    return voc_asprintf("voc-%s-outbox.db", role);
}

static void s_on_reject(void *user, const char *origin, const char *uid, const char *reason)
{
    s_run *r = user;
    (void)uid;
    if (r->nrejects < S_MAX_LISTED_REJECTS) {
        r->rejects[r->nrejects].origin = voc_strdup(origin ? origin : "?");
        r->rejects[r->nrejects].reason = voc_strdup(reason);
        r->nrejects++;
    }
}

static void s_show_progress(s_run *r, bool final)
{
    if (!r->progress)
        return;
    int64_t now = voc_monotonic_ms();
    if (!final && now - r->last_progress_ms < 1000)
        return;
    r->last_progress_ms = now;
    const voc_sender_stats *st = voc_sender_get_stats(r->sender);
    double secs = (double)(now - r->started_ms) / 1000.0;
    fprintf(stderr, "\rvoc-collect: read %zu  sent %llu  acked %llu  (%.0f items/s)   %s",
            r->records, (unsigned long long)st->items_sent, (unsigned long long)st->items_acked,
            secs > 0 ? (double)st->items_acked / secs : 0.0, final ? "\n" : "");
    fflush(stderr);
}

static int s_emit(void *user, const char *payload, size_t len, const char *origin, voc_err *err)
{
    s_run *r = user;
    int rc;
    if (s_interrupted)
        return voc_err_set(err, VOC_ESTATE, "interrupted");
    if (r->pending_in_tx == 0 && (rc = voc_outbox_begin(r->ob, err)))
        return rc;
    if ((rc = voc_outbox_put(r->ob, payload, len, origin, err)))
        return rc;
    r->records++;
    if (++r->pending_in_tx >= S_COMMIT_EVERY) {
        if ((rc = voc_outbox_commit(r->ob, err)))
            return rc;
        r->pending_in_tx = 0;
        /* Deliver while reading: one quick round per committed chunk. */
        if ((rc = voc_sender_pump(r->sender, 0, err)))
            return rc;
        s_show_progress(r, false);
    }
    return 0;
}

static void s_print_summary(s_run *r, bool json, size_t left)
{
    const voc_sender_stats *st = voc_sender_get_stats(r->sender);
    uint64_t stored = st->inserted + st->updated;
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "read", (double)r->records);
        cJSON_AddNumberToObject(o, "sent", (double)st->items_sent);
        cJSON_AddNumberToObject(o, "acked", (double)st->items_acked);
        cJSON_AddNumberToObject(o, "stored", (double)stored);
        cJSON_AddNumberToObject(o, "inserted", (double)st->inserted);
        cJSON_AddNumberToObject(o, "updated", (double)st->updated);
        cJSON_AddNumberToObject(o, "duplicates", (double)st->duplicates);
        cJSON_AddNumberToObject(o, "rejected", (double)st->rejected);
        cJSON_AddNumberToObject(o, "resent_batches", (double)st->batches_resent);
        cJSON_AddNumberToObject(o, "left_in_outbox", (double)left);
        cJSON *arr = cJSON_AddArrayToObject(o, "rejects");
        for (size_t i = 0; i < r->nrejects; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "origin", r->rejects[i].origin);
            cJSON_AddStringToObject(x, "reason", r->rejects[i].reason);
            cJSON_AddItemToArray(arr, x);
        }
        char *s = cJSON_PrintUnformatted(o);
        printf("%s\n", s ? s : "{}");
        free(s);
        cJSON_Delete(o);
        return;
    }
    printf("read %zu, sent %llu, stored %llu (new %llu, updated %llu), "
           "duplicates %llu, rejected %llu\n",
           r->records, (unsigned long long)st->items_sent, (unsigned long long)stored,
           (unsigned long long)st->inserted, (unsigned long long)st->updated,
           (unsigned long long)st->duplicates, (unsigned long long)st->rejected);
    for (size_t i = 0; i < r->nrejects; i++)
        printf("  rejected %s: %s\n", r->rejects[i].origin, r->rejects[i].reason);
    if (st->rejected > r->nrejects)
        printf("  ... and %llu more (see the dead_letters table)\n",
               (unsigned long long)(st->rejected - r->nrejects));
    if (left)
        printf("%zu items were not delivered and wait in the outbox; run voc-collect again to "
               "deliver them\n",
               left);
}

int voc_collect_cmd_file(int argc, char **argv)
{
    voc_err err = {0};
    voc_opts *opts = NULL;
    char *outbox_path = NULL;
    void *ctx = NULL;
    s_run run = {0};
    int status = 1;
    const char *const *paths;
    size_t npaths;

    if (voc_opts_parse(&opts, s_options, argc - 1, argv + 1, &err)) {
        fprintf(stderr, "voc-collect file: %s\n", err.msg);
        return 2;
    }
    if (voc_opts_help(opts)) {
        voc_opts_print_help(
            stdout, "voc-collect file PATH... --connect ENDPOINT [options]",
            "Import feedback from JSON Lines files (one voc item per line, see docs/protocol.md)\n"
            "and CSV files (a header row; map columns with --map). Each record is kept in a\n"
            "durable outbox until voc-processor acknowledges it. Records that are not valid\n"
            "items are rejected by the processor with a reason and kept in its dead-letter\n"
            "table. Use - to read JSON Lines from stdin.",
            s_options);
        voc_opts_destroy(&opts);
        return 0;
    }
    npaths = voc_opts_args(opts, &paths);
    voc_log_level level;
    voc_import_config icfg = {0};
    const char *fmt = voc_opts_str(opts, "format");
    if (npaths == 0) {
        fprintf(stderr, "voc-collect file: no file given (see --help)\n");
        status = 2;
        goto out;
    }
    if (!voc_opts_str(opts, "connect")) {
        fprintf(stderr, "voc-collect file: --connect ENDPOINT is required\n");
        status = 2;
        goto out;
    }
    if (voc_import_format_parse(fmt, &icfg.format)) {
        fprintf(stderr, "voc-collect file: --format: '%s' is not jsonl, csv or auto\n", fmt);
        status = 2;
        goto out;
    }
    if (voc_kind_parse(voc_opts_str(opts, "kind"), &icfg.kind)) {
        fprintf(stderr, "voc-collect file: --kind: '%s' is not survey, nps, ticket, review or "
                        "other\n",
                voc_opts_str(opts, "kind"));
        status = 2;
        goto out;
    }
    if (voc_log_parse_level(voc_opts_str(opts, "log-level"), &level)) {
        fprintf(stderr, "voc-collect file: --log-level: '%s' is not debug, info, warn or error\n",
                voc_opts_str(opts, "log-level"));
        status = 2;
        goto out;
    }
    if (voc_opts_int(opts, "batch") < 1 || voc_opts_int(opts, "batch") > 10000 ||
        voc_opts_int(opts, "window") < 1 || voc_opts_int(opts, "window") > 1000) {
        fprintf(stderr, "voc-collect file: --batch must be 1-10000 and --window 1-1000\n");
        status = 2;
        goto out;
    }
    voc_log_threshold = level;
    icfg.source = voc_opts_str(opts, "source");
    icfg.map_count = voc_opts_list(opts, "map", &icfg.maps);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    outbox_path = voc_opts_str(opts, "outbox") ? voc_strdup(voc_opts_str(opts, "outbox"))
                                               : voc_collect_default_outbox("file");
    if (voc_outbox_open(&run.ob, outbox_path, false, &err))
        goto fail;
    ctx = zmq_ctx_new();
    voc_sender_config scfg = {
        .endpoint = voc_opts_str(opts, "connect"),
        .batch_items = (size_t)voc_opts_int(opts, "batch"),
        .window = (size_t)voc_opts_int(opts, "window"),
        .ack_timeout_ms = (int)voc_opts_int(opts, "ack-timeout"),
        .curve_server_key = voc_opts_str(opts, "curve-server-key"),
        .curve_secret_key = voc_opts_str(opts, "curve-secret-key"),
    };
    if (voc_sender_new(&run.sender, ctx, run.ob, &scfg, &err))
        goto fail;
    voc_sender_on_reject(run.sender, s_on_reject, &run);
    run.progress = voc_opts_bool(opts, "progress") || isatty(STDERR_FILENO);
    run.started_ms = voc_monotonic_ms();
    int64_t leftover = voc_outbox_depth(run.ob);
    if (leftover > 0)
        fprintf(stderr, "voc-collect: delivering %lld items left in %s by an earlier run\n",
                (long long)leftover, outbox_path);

    for (size_t i = 0; i < npaths; i++) {
        if (voc_import_file(paths[i], &icfg, s_emit, &run, &(size_t){0}, &err)) {
            if (run.pending_in_tx) {
                voc_err e2;
                voc_outbox_commit(run.ob, &e2); /* keep what was read */
                run.pending_in_tx = 0;
            }
            if (err.code == VOC_EINVAL)
                status = 2;
            goto fail;
        }
    }
    if (run.pending_in_tx) {
        if (voc_outbox_commit(run.ob, &err))
            goto fail;
        run.pending_in_tx = 0;
    }

    long long timeout_ms = voc_opts_int(opts, "timeout") * 1000;
    int64_t waiting_since = voc_monotonic_ms();
    bool warned = false;
    while (!voc_sender_idle(run.sender)) {
        if (s_interrupted) {
            voc_err_set(&err, VOC_ESTATE, "interrupted");
            goto fail;
        }
        uint64_t acked_before = voc_sender_get_stats(run.sender)->items_acked;
        if (voc_sender_pump(run.sender, 200, &err))
            goto fail;
        int64_t now = voc_monotonic_ms();
        int64_t last = voc_sender_last_reply_ms(run.sender);
        if (voc_sender_get_stats(run.sender)->items_acked != acked_before || last > waiting_since)
            waiting_since = now > last ? now : last;
        if (!warned && now - waiting_since > 5000) {
            fprintf(stderr, "%svoc-collect: waiting for voc-processor at %s ...\n",
                    run.progress ? "\n" : "", scfg.endpoint);
            warned = true;
        }
        if (now - waiting_since > timeout_ms) {
            voc_err_set(&err, VOC_ETIMEOUT, "no answer from voc-processor at %s for %lld s",
                        scfg.endpoint, timeout_ms / 1000);
            goto fail;
        }
        s_show_progress(&run, false);
    }
    s_show_progress(&run, true);
    s_print_summary(&run, voc_opts_bool(opts, "json"), 0);
    status = 0;
    goto out;
fail:
    if (run.progress && run.sender)
        s_show_progress(&run, true);
    fprintf(stderr, "voc-collect file: %s\n", err.msg);
    if (run.sender) {
        int64_t left = voc_outbox_depth(run.ob);
        s_print_summary(&run, voc_opts_bool(opts, "json"), left > 0 ? (size_t)left : 0);
    }
out:
    fflush(stdout);
    if (ferror(stdout)) {
        fprintf(stderr, "voc-collect file: cannot write to stdout\n");
        status = 1;
    }
    for (size_t i = 0; i < run.nrejects; i++) {
        free(run.rejects[i].origin);
        free(run.rejects[i].reason);
    }
    voc_sender_destroy(&run.sender);
    voc_outbox_destroy(&run.ob);
    if (ctx)
        zmq_ctx_term(ctx);
    free(outbox_path);
    voc_opts_destroy(&opts);
    return status;
}
