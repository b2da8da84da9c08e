/* cmd_file.c: voc-collect file. Reads JSON Lines, CSV and vendor export
 * files (import.h) into the outbox while the acked sender delivers them,
 * reports progress on stderr and a summary at the end. Exits 0 only when
 * every item was acked (stored or rejected with a reason) by the processor.
 *
 * With --follow DIR it runs until SIGINT/SIGTERM as a drop folder
 * (follow.h): one file at a time is imported into the outbox in one
 * transaction, delivered, and once every item is acked moved to DIR/done/;
 * a file that cannot be read or parsed at all goes to DIR/failed/ with a
 * NAME.reason file. A summary per file goes to stderr (and with --json, one
 * JSON line per file to stdout). */
#include "collectors/collect.h"
#include "collectors/follow.h"
#include "collectors/import.h"
#include "collectors/outbox.h"
#include "collectors/sender.h"
#include "common/alloc.h"
#include "common/log.h"
#include "common/opts.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
    {"format", VOC_OPT_STR, "auto", NULL, "FMT",
     "jsonl, csv, qualtrics, delighted-csv, typeform-csv, zendesk-json, or auto (from the "
     "content, then the file extension)"},
    {"follow", VOC_OPT_STR, NULL, NULL, "DIR",
     "watch DIR until SIGINT/SIGTERM: import each new file once (by content), then move it to "
     "DIR/done/, or to DIR/failed/ with a NAME.reason file"},
    {"source", VOC_OPT_STR, "import", NULL, "NAME", "source of items that name none"},
    {"kind", VOC_OPT_STR, "other", NULL, "KIND",
     "kind of items that name none: survey, nps, ticket, review, other"},
    {"map", VOC_OPT_LIST, NULL, NULL, "FIELD=COLUMN,...",
     "column mapping, overriding the format's own, e.g. "
     "text=Comment,score=NPS,created_at=Date,attr:plan=Plan (Zendesk: key paths, "
     "attr:channel=via.channel)"},
    {"outbox", VOC_OPT_STR, NULL, "VOC_OUTBOX", "PATH",
     "durable outbox file [default: ~/.local/state/voc/file-outbox.db]"},
    {"batch", VOC_OPT_INT, "1000", NULL, "N", "items per batch"},
    {"window", VOC_OPT_INT, "16", NULL, "N", "batches in flight before waiting for acks"},
    {"ack-timeout", VOC_OPT_INT, "10000", NULL, "MS", "resend a batch not acked in this time"},
    {"timeout", VOC_OPT_INT, "300", NULL, "SECONDS",
     "give up when the processor has not answered for this long (items stay in the outbox; "
     "--follow waits instead)"},
    {"progress", VOC_OPT_BOOL, NULL, NULL, NULL, "show progress even when stderr is not a tty"},
    {"json", VOC_OPT_BOOL, NULL, NULL, NULL,
     "print the summary as JSON on stdout (--follow: one line per file)"},
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
    bool whole_file_tx; /* --follow: one transaction per file, committed at its end */
    size_t records;
    bool progress;
    int64_t started_ms;
    int64_t last_progress_ms;
    s_reject rejects[S_MAX_LISTED_REJECTS];
    size_t nrejects;
} s_run;

static volatile sig_atomic_t s_interrupted;
static int s_wake[2] = {-1, -1}; /* self-pipe: a signal wakes the --follow poll */

static void s_on_signal(int sig)
{
    (void)sig;
    s_interrupted = 1;
    if (s_wake[1] >= 0) {
        int saved = errno;
        ssize_t n = write(s_wake[1], "x", 1);
        (void)n; /* full pipe: a wake-up is already pending */
        errno = saved;
    }
}

char *voc_collect_default_outbox(const char *role)
{
    const char *env = getenv("VOC_OUTBOX");
    if (env && *env) return voc_strdup(env);
    const char *state = getenv("XDG_STATE_HOME");
    if (state && *state) return voc_asprintf("%s/voc/%s-outbox.db", state, role);
    const char *home = getenv("HOME");
    if (home && *home) return voc_asprintf("%s/.local/state/voc/%s-outbox.db", home, role);
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
    if (!r->progress) return;
    int64_t now = voc_monotonic_ms();
    if (!final && now - r->last_progress_ms < 1000) return;
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
    if (s_interrupted) return voc_err_set(err, VOC_ESTATE, "interrupted");
    if (r->pending_in_tx == 0 && (rc = voc_outbox_begin(r->ob, err))) return rc;
    if ((rc = voc_outbox_put(r->ob, payload, len, origin, err))) return rc;
    r->records++;
    if (++r->pending_in_tx >= S_COMMIT_EVERY && !r->whole_file_tx) {
        if ((rc = voc_outbox_commit(r->ob, err))) return rc;
        r->pending_in_tx = 0;
        /* Deliver while reading: one quick round per committed chunk. */
        if ((rc = voc_sender_pump(r->sender, 0, err))) return rc;
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

/* ---- --follow DIR ------------------------------------------------------- */

typedef struct s_current {
    voc_follow_file file;
    bool active; /* its items are in the outbox, waiting for acks */
    const char *format;
    size_t records;
    voc_sender_stats before;
} s_current;

static void s_clear_rejects(s_run *r)
{
    for (size_t i = 0; i < r->nrejects; i++) {
        free(r->rejects[i].origin);
        free(r->rejects[i].reason);
    }
    r->nrejects = 0;
}

/* One JSON line per file on stdout (--json), flushed so a reader sees it. */
static void s_file_json(const char *name, const char *status, const char *format,
                        const char *moved_to, const char *reason, const s_run *r,
                        const voc_sender_stats *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", name);
    cJSON_AddStringToObject(o, "status", status);
    if (format) cJSON_AddStringToObject(o, "format", format);
    if (moved_to) cJSON_AddStringToObject(o, "moved_to", moved_to);
    if (reason) cJSON_AddStringToObject(o, "reason", reason);
    if (d) {
        cJSON_AddNumberToObject(o, "acked", (double)d->items_acked);
        cJSON_AddNumberToObject(o, "stored", (double)(d->inserted + d->updated));
        cJSON_AddNumberToObject(o, "inserted", (double)d->inserted);
        cJSON_AddNumberToObject(o, "updated", (double)d->updated);
        cJSON_AddNumberToObject(o, "duplicates", (double)d->duplicates);
        cJSON_AddNumberToObject(o, "rejected", (double)d->rejected);
        cJSON *arr = cJSON_AddArrayToObject(o, "rejects");
        for (size_t i = 0; i < r->nrejects; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "origin", r->rejects[i].origin);
            cJSON_AddStringToObject(x, "reason", r->rejects[i].reason);
            cJSON_AddItemToArray(arr, x);
        }
    }
    char *line = cJSON_PrintUnformatted(o);
    printf("%s\n", line);
    fflush(stdout);
    free(line);
    cJSON_Delete(o);
}

static void s_file_failed(voc_follow *fw, voc_follow_file *file, const char *format,
                          const char *reason, bool json)
{
    char *to = NULL;
    voc_err e;
    /* Import errors mostly name the file already. */
    size_t n = strlen(file->name);
    const char *who = strncmp(reason, file->name, n) == 0 ? "" : file->name;
    const char *sep = *who ? ": " : "";
    if (voc_follow_move(fw, file, reason, &to, &e) == 0)
        fprintf(stderr, "voc-collect: %s%s%s; moved to %s\n", who, sep, reason, to);
    else
        fprintf(stderr, "voc-collect: %s%s%s; %s\n", who, sep, reason, e.msg);
    if (json) s_file_json(file->name, "failed", format, to, reason, NULL, NULL);
    free(to);
}

/* Start on a file taken from the folder. Returns 0, or an error that stops
 * the follower (the outbox failed). */
static int s_follow_start(s_run *run, voc_follow *fw, s_current *cur, const voc_import_config *icfg,
                          bool json, voc_err *err)
{
    voc_follow_file *file = &cur->file;
    if (file->seen == VOC_FOLLOW_DONE) {
        char *to = NULL;
        voc_err e;
        int moved = voc_follow_move(fw, file, NULL, &to, &e);
        fprintf(stderr, "voc-collect: %s: same content as %s, imported before; nothing new; %s%s\n",
                file->name, file->seen_name, moved == 0 ? "moved to " : "",
                moved == 0 ? to : e.msg);
        if (json) {
            char *why = voc_asprintf("same content as %s", file->seen_name);
            s_file_json(file->name, "duplicate", NULL, to, why, NULL, NULL);
            free(why);
        }
        free(to);
        voc_follow_file_clear(file);
        return 0;
    }
    s_clear_rejects(run);
    cur->before = *voc_sender_get_stats(run->sender);
    cur->records = 0;
    cur->format = NULL;
    if (file->seen == VOC_FOLLOW_QUEUED) {
        /* An earlier run put its items in the outbox: they are delivered
         * from there, not read again. */
        fprintf(stderr, "voc-collect: %s: queued by an earlier run; delivering from the outbox\n",
                file->name);
        cur->active = true;
        return 0;
    }
    voc_import_config cfg = *icfg;
    voc_err why = {0};
    int rc = 0;
    if (cfg.format == VOC_IMPORT_AUTO &&
        voc_import_detect(file->fp, file->name, &cfg.format, &why)) {
        s_file_failed(fw, file, NULL, why.msg, json);
        voc_follow_file_clear(file);
        return 0;
    }
    cur->format = voc_import_format_name(cfg.format);
    run->whole_file_tx = true;
    rc = voc_import_stream(file->fp, file->name, &cfg, s_emit, run, &cur->records, &why);
    run->whole_file_tx = false;
    if (rc == 0 && run->pending_in_tx) rc = voc_outbox_commit(run->ob, &why);
    if (rc) {
        voc_outbox_rollback(run->ob);
        run->pending_in_tx = 0;
        if (rc == VOC_EDB || rc == VOC_EFULL || rc == VOC_EBUSY || s_interrupted) {
            /* Not the file's fault: it stays in the folder for the next run. */
            voc_follow_file_clear(file);
            if (s_interrupted) return 0;
            return voc_err_set(err, rc, "%s", why.msg);
        }
        s_file_failed(fw, file, cur->format, why.msg, json);
        voc_follow_file_clear(file);
        return 0;
    }
    run->pending_in_tx = 0;
    /* After the outbox commit: a crash in between imports the file again,
     * which the processor stores once (same uids); the other order could
     * remember a file whose items were lost. */
    if ((rc = voc_follow_remember(fw, file, false, cur->records, err))) return rc;
    cur->active = true;
    return 0;
}

/* Every item of the current file is acked: remember, move, report. */
static void s_follow_finish(s_run *run, voc_follow *fw, s_current *cur, bool json)
{
    const voc_sender_stats *now = voc_sender_get_stats(run->sender);
    voc_sender_stats d = {
        .items_acked = now->items_acked - cur->before.items_acked,
        .inserted = now->inserted - cur->before.inserted,
        .updated = now->updated - cur->before.updated,
        .duplicates = now->duplicates - cur->before.duplicates,
        .rejected = now->rejected - cur->before.rejected,
    };
    voc_err e;
    char *to = NULL;
    if (voc_follow_remember(fw, &cur->file, true, cur->records, &e) != 0)
        fprintf(stderr, "voc-collect: %s: %s\n", cur->file.name, e.msg);
    else if (voc_follow_move(fw, &cur->file, NULL, &to, &e) != 0)
        fprintf(stderr, "voc-collect: %s: %s\n", cur->file.name, e.msg);
    fprintf(stderr,
            "voc-collect: %s%s%s%s: read %zu, stored %llu (new %llu, updated %llu), "
            "duplicates %llu, rejected %llu%s%s\n",
            cur->file.name, cur->format ? " (" : "", cur->format ? cur->format : "",
            cur->format ? ")" : "", cur->records, (unsigned long long)(d.inserted + d.updated),
            (unsigned long long)d.inserted, (unsigned long long)d.updated,
            (unsigned long long)d.duplicates, (unsigned long long)d.rejected,
            to ? "; moved to " : "", to ? to : "");
    for (size_t i = 0; i < run->nrejects; i++)
        fprintf(stderr, "  rejected %s: %s\n", run->rejects[i].origin, run->rejects[i].reason);
    if (d.rejected > run->nrejects)
        fprintf(stderr, "  ... and %llu more (see the dead_letters table)\n",
                (unsigned long long)(d.rejected - run->nrejects));
    if (json) s_file_json(cur->file.name, "done", cur->format, to, NULL, run, &d);
    free(to);
    s_clear_rejects(run);
    voc_follow_file_clear(&cur->file);
    cur->active = false;
}

/* The follower's loop: one file at a time, each started only when the
 * sender is idle, so a file's acks (and rejects) are its own. */
static int s_follow(s_run *run, voc_follow *fw, const voc_import_config *icfg, const char *endpoint,
                    bool json, voc_err *err)
{
    s_current cur = {0};
    int rc = 0;
    bool warned = false;
    int64_t waiting_since = voc_monotonic_ms();
    fprintf(stderr, "voc-collect: following %s\n", voc_follow_dir(fw));
    while (!s_interrupted) {
        if ((rc = voc_follow_read_events(fw, err))) break;
        bool idle = voc_sender_idle(run->sender);
        if (idle && cur.active) {
            s_follow_finish(run, fw, &cur, json);
            continue;
        }
        if (idle) {
            int got = voc_follow_next(fw, &cur.file, err);
            if (got < 0) {
                rc = got;
                break;
            }
            if (got > 0) {
                if ((rc = s_follow_start(run, fw, &cur, icfg, json, err))) break;
                waiting_since = voc_monotonic_ms();
                continue;
            }
            /* Nothing to do: sleep until a file arrives or a signal. */
            struct pollfd p[2] = {{voc_follow_fd(fw), POLLIN, 0}, {s_wake[0], POLLIN, 0}};
            if (poll(p, 2, 1000) > 0 && (p[1].revents & POLLIN)) {
                char drain[16];
                while (read(s_wake[0], drain, sizeof drain) > 0) {
                }
            }
            continue;
        }
        uint64_t acked_before = voc_sender_get_stats(run->sender)->items_acked;
        if ((rc = voc_sender_pump(run->sender, 200, err))) break;
        int64_t now = voc_monotonic_ms();
        int64_t last = voc_sender_last_reply_ms(run->sender);
        if (voc_sender_get_stats(run->sender)->items_acked != acked_before || last > waiting_since)
            waiting_since = now > last ? now : last;
        if (!warned && now - waiting_since > 5000) {
            fprintf(stderr, "voc-collect: waiting for voc-processor at %s ...\n", endpoint);
            warned = true;
        }
    }
    if (cur.active) {
        int64_t left = voc_outbox_depth(run->ob);
        fprintf(stderr,
                "voc-collect: %s: %lld items wait in the outbox; they are delivered, and the "
                "file moved, on the next start\n",
                cur.file.name, (long long)left);
    }
    voc_follow_file_clear(&cur.file);
    s_clear_rejects(run);
    return rc;
}

int voc_collect_cmd_file(int argc, char **argv)
{
    voc_err err = {0};
    voc_opts *opts = NULL;
    char *outbox_path = NULL;
    void *ctx = NULL;
    s_run run = {0};
    voc_follow *fw = NULL;
    int status = 1;
    const char *const *paths;
    size_t npaths;

    if (voc_opts_parse(&opts, s_options, argc - 1, argv + 1, &err)) {
        fprintf(stderr, "voc-collect file: %s\n", err.msg);
        return 2;
    }
    if (voc_opts_help(opts)) {
        voc_opts_print_help(
            stdout,
            "voc-collect file PATH... --connect ENDPOINT [options]\n"
            "       voc-collect file --follow DIR --connect ENDPOINT [options]",
            "Import feedback from JSON Lines files (one voc item per line, see docs/protocol.md),\n"
            "CSV files (a header row; map columns with --map) and vendor exports: Qualtrics CSV,\n"
            "Delighted CSV, Typeform responses CSV, Zendesk tickets JSON. The format is detected\n"
            "from the content unless --format names it. Each record is kept in a durable outbox\n"
            "until voc-processor acknowledges it. Records that are not valid items (no text, a\n"
            "bad date) are rejected by the processor with a reason and kept in its dead-letter\n"
            "table. Use - to read JSON Lines from stdin.\n\n"
            "--follow DIR watches a drop folder: each regular file put there (or already there)\n"
            "is imported once, remembered by the SHA-256 of its content (in a state file beside\n"
            "the outbox, OUTBOX.follow.db), and moved to DIR/done/ once all its items are acked,\n"
            "or to DIR/failed/ with a NAME.reason file when it cannot be read at all. Symbolic\n"
            "links, hard links and other non-regular entries are refused and moved to\n"
            "DIR/failed/ (the link, never its target). Names starting with a dot are ignored:\n"
            "upload to .NAME, then rename. With --json, one JSON line per file on stdout.",
            s_options);
        voc_opts_destroy(&opts);
        return 0;
    }
    npaths = voc_opts_args(opts, &paths);
    voc_log_level level;
    voc_import_config icfg = {0};
    const char *fmt = voc_opts_str(opts, "format");
    const char *follow_dir = voc_opts_str(opts, "follow");
    if (npaths == 0 && !follow_dir) {
        fprintf(stderr, "voc-collect file: no file given (see --help)\n");
        status = 2;
        goto out;
    }
    if (npaths > 0 && follow_dir) {
        fprintf(stderr, "voc-collect file: give files or --follow DIR, not both\n");
        status = 2;
        goto out;
    }
    if (!voc_opts_str(opts, "connect")) {
        fprintf(stderr, "voc-collect file: --connect ENDPOINT is required\n");
        status = 2;
        goto out;
    }
    if (voc_import_format_parse(fmt, &icfg.format)) {
        fprintf(stderr,
                "voc-collect file: --format: '%s' is not jsonl, csv, qualtrics, delighted-csv, "
                "typeform-csv, zendesk-json or auto\n",
                fmt);
        status = 2;
        goto out;
    }
    if (voc_kind_parse(voc_opts_str(opts, "kind"), &icfg.kind)) {
        fprintf(stderr,
                "voc-collect file: --kind: '%s' is not survey, nps, ticket, review or "
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

    if (follow_dir) {
        if (pipe(s_wake) != 0) {
            voc_err_set(&err, VOC_EIO, "pipe: %s", strerror(errno));
            goto fail;
        }
        for (int i = 0; i < 2; i++) {
            fcntl(s_wake[i], F_SETFL, fcntl(s_wake[i], F_GETFL) | O_NONBLOCK);
            fcntl(s_wake[i], F_SETFD, FD_CLOEXEC);
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    outbox_path = voc_opts_str(opts, "outbox") ? voc_strdup(voc_opts_str(opts, "outbox"))
                                               : voc_collect_default_outbox("file");
    /* A followed file leaves the folder once its items are acked, so what
     * the outbox holds must survive a power cut: durable then. */
    if (voc_outbox_open(&run.ob, outbox_path, follow_dir != NULL, &err)) goto fail;
    ctx = zmq_ctx_new();
    voc_sender_config scfg = {
        .endpoint = voc_opts_str(opts, "connect"),
        .batch_items = (size_t)voc_opts_int(opts, "batch"),
        .window = (size_t)voc_opts_int(opts, "window"),
        .ack_timeout_ms = (int)voc_opts_int(opts, "ack-timeout"),
        .curve_server_key = voc_opts_str(opts, "curve-server-key"),
        .curve_secret_key = voc_opts_str(opts, "curve-secret-key"),
    };
    if (voc_sender_new(&run.sender, ctx, run.ob, &scfg, &err)) goto fail;
    voc_sender_on_reject(run.sender, s_on_reject, &run);
    run.progress = voc_opts_bool(opts, "progress") || isatty(STDERR_FILENO);
    run.started_ms = voc_monotonic_ms();
    int64_t leftover = voc_outbox_depth(run.ob);
    if (leftover > 0)
        fprintf(stderr, "voc-collect: delivering %lld items left in %s by an earlier run\n",
                (long long)leftover, outbox_path);

    if (follow_dir) {
        size_t n = strlen(outbox_path);
        char *state = n > 3 && strcmp(outbox_path + n - 3, ".db") == 0
                          ? voc_asprintf("%.*s.follow.db", (int)(n - 3), outbox_path)
                          : voc_asprintf("%s.follow.db", outbox_path);
        int rc = voc_follow_new(&fw, follow_dir, state, &err);
        free(state);
        run.progress = false; /* one summary line per file instead */
        if (rc || s_follow(&run, fw, &icfg, scfg.endpoint, voc_opts_bool(opts, "json"), &err)) {
            fprintf(stderr, "voc-collect file: %s\n", err.msg);
            goto out;
        }
        fprintf(stderr, "voc-collect: stopped following %s\n", voc_follow_dir(fw));
        status = 0;
        goto out;
    }

    for (size_t i = 0; i < npaths; i++) {
        if (voc_import_file(paths[i], &icfg, s_emit, &run, &(size_t){0}, &err)) {
            if (run.pending_in_tx) {
                voc_err e2;
                voc_outbox_commit(run.ob, &e2); /* keep what was read */
                run.pending_in_tx = 0;
            }
            if (err.code == VOC_EINVAL) status = 2;
            goto fail;
        }
    }
    if (run.pending_in_tx) {
        if (voc_outbox_commit(run.ob, &err)) goto fail;
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
        if (voc_sender_pump(run.sender, 200, &err)) goto fail;
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
    if (run.progress && run.sender) s_show_progress(&run, true);
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
    voc_follow_destroy(&fw);
    voc_sender_destroy(&run.sender);
    voc_outbox_destroy(&run.ob);
    if (ctx) zmq_ctx_term(ctx);
    for (int i = 0; i < 2; i++) {
        if (s_wake[i] >= 0) close(s_wake[i]);
        s_wake[i] = -1;
    }
    free(outbox_path);
    voc_opts_destroy(&opts);
    return status;
}
