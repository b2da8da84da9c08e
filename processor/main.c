/* main.c: voc-processor, the executable. Parses options, installs the
 * signal self-pipe, and runs the service until SIGINT or SIGTERM. Everything
 * else lives in libvoc_analysis and processor.c. */
#include "common/log.h"
#include "common/opts.h"
#include "processor/processor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

static const voc_opt s_options[] = {
    {"db", VOC_OPT_STR, "voc.db", "VOC_DB", "PATH", "SQLite database to store into"},
    {"listen", VOC_OPT_LIST, NULL, "VOC_LISTEN", "ENDPOINT",
     "ZeroMQ endpoint to receive batches on, e.g. ipc:///tmp/voc.sock or tcp://127.0.0.1:5555"},
    {"rules", VOC_OPT_STR, NULL, "VOC_RULES", "FILE",
     "theme rule set (JSON); without it items "
     "are stored untagged"},
    {"pub", VOC_OPT_STR, NULL, "VOC_PUB", "ENDPOINT", "publish tagged items here (voc tail)"},
    {"stats-interval", VOC_OPT_INT, "60", NULL, "SECONDS", "period of the summary log line"},
    {"max-text", VOC_OPT_INT, "65536", NULL, "BYTES", "reject items whose text is longer"},
    {"group-items", VOC_OPT_INT, "20000", NULL, "N",
     "most items written in one transaction when batches queue up"},
    {"curve-secret-key", VOC_OPT_STR, NULL, "VOC_CURVE_SECRET_KEY", "FILE",
     "serve CURVE-encrypted tcp with this key pair (voc keygen); needs --allow-keys"},
    {"allow-keys", VOC_OPT_STR, NULL, "VOC_ALLOW_KEYS", "DIR",
     "with CURVE: accept only collectors whose NAME.pub is in DIR"},
    {"keep-pii", VOC_OPT_BOOL, "false", NULL, NULL,
     "store text as received, without redacting e-mails, card and phone numbers"},
    {"log-level", VOC_OPT_STR, "info", "VOC_LOG_LEVEL", "LEVEL", "debug, info, warn or error"},
    {"config", VOC_OPT_STR, NULL, "VOC_PROCESSOR_CONFIG", "FILE", "JSON file of these options"},
    {0},
};

static int s_stop_pipe[2] = {-1, -1};

static void s_on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    ssize_t w = write(s_stop_pipe[1], "x", 1);
    (void)w;
    errno = saved;
}

int main(int argc, char **argv)
{
    voc_err err = {0};
    voc_opts *opts = NULL;
    voc_processor *proc = NULL;
    void *ctx = NULL;
    int status = EXIT_RUNTIME;

    if (voc_opts_parse(&opts, s_options, argc - 1, argv + 1, &err)) {
        fprintf(stderr, "voc-processor: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (voc_opts_help(opts)) {
        voc_opts_print_help(stdout, "voc-processor --db PATH --listen ENDPOINT [--rules FILE]",
                            "Receive feedback batches from collectors over ZeroMQ (VOC/1), "
                            "tag them with themes\nand store them in SQLite, acking each batch "
                            "once it is durable.",
                            s_options);
        voc_opts_destroy(&opts);
        return EXIT_OK;
    }
    const char *const *listen;
    size_t nlisten = voc_opts_list(opts, "listen", &listen);
    const char *const *positional;
    if (voc_opts_args(opts, &positional)) {
        fprintf(stderr, "voc-processor: unexpected argument '%s'\n", positional[0]);
        status = EXIT_USAGE;
        goto out;
    }
    if (nlisten == 0) {
        fprintf(stderr, "voc-processor: --listen ENDPOINT is required (see --help)\n");
        status = EXIT_USAGE;
        goto out;
    }
    voc_log_level level;
    if (voc_log_parse_level(voc_opts_str(opts, "log-level"), &level)) {
        fprintf(stderr, "voc-processor: --log-level: '%s' is not debug, info, warn or error\n",
                voc_opts_str(opts, "log-level"));
        status = EXIT_USAGE;
        goto out;
    }
    voc_log_threshold = level;
    long long max_text = voc_opts_int(opts, "max-text");
    if (max_text < 1 || max_text > (16 << 20)) {
        fprintf(stderr, "voc-processor: --max-text must be between 1 and 16777216\n");
        status = EXIT_USAGE;
        goto out;
    }

    if (pipe(s_stop_pipe) != 0) {
        fprintf(stderr, "voc-processor: pipe: %s\n", strerror(errno));
        goto out;
    }
    fcntl(s_stop_pipe[1], F_SETFL, O_NONBLOCK);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    ctx = zmq_ctx_new();
    /* listen is a list of borrowed strings; the config wants it NULL-terminated. */
    const char **eps = calloc(nlisten + 1, sizeof *eps);
    for (size_t i = 0; i < nlisten; i++)
        eps[i] = listen[i];
    voc_item_limits limits = voc_item_limits_default();
    limits.max_text = (size_t)max_text;
    voc_processor_config cfg = {
        .db_path = voc_opts_str(opts, "db"),
        .listen = eps,
        .rules_path = voc_opts_str(opts, "rules"),
        .pub_endpoint = voc_opts_str(opts, "pub"),
        .stats_interval_ms = (int)voc_opts_int(opts, "stats-interval") * 1000,
        .max_group_items = (int)voc_opts_int(opts, "group-items"),
        .limits = limits,
        .keep_pii = voc_opts_bool(opts, "keep-pii"),
        .curve_secret_key = voc_opts_str(opts, "curve-secret-key"),
        .allow_keys_dir = voc_opts_str(opts, "allow-keys"),
    };
    if (voc_processor_new(&proc, ctx, &cfg, &err) == 0) {
        VOC_LOG_INFO("processor", "ready db=%s", cfg.db_path);
        if (voc_processor_run(proc, s_stop_pipe[0], &err) == 0) status = EXIT_OK;
    }
    if (status != EXIT_OK) fprintf(stderr, "voc-processor: %s\n", err.msg);
    free(eps);
out:
    voc_processor_destroy(&proc);
    if (ctx) zmq_ctx_term(ctx);
    voc_opts_destroy(&opts);
    if (status == EXIT_OK) VOC_LOG_INFO("processor", "stopped cleanly");
    return status;
}
