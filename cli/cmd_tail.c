/* cmd_tail.c: voc tail — tagged items live, as the processor stores them,
 * from its PUB socket (voc-processor --pub ENDPOINT). Runs until interrupted
 * or --count items were shown. The only ZeroMQ user in voc: it reaches
 * libzmq through the table cli/zmq_dl.c loads at run time, so the other
 * commands start without it. */
#include "cli/cli.h"
#include "cli/zmq_dl.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const voc_opt s_options[] = {
    {"connect", VOC_OPT_STR, NULL, "VOC_PUB", "ENDPOINT", "the processor's --pub endpoint"},
    {"theme", VOC_OPT_STR, NULL, NULL, "PREFIX", "only items with this theme or a sub-theme"},
    {"count", VOC_OPT_INT, "0", NULL, "N", "stop after N items (0: run until interrupted)"},
    {"format", VOC_OPT_STR, "table", NULL, "FMT", "table or jsonl"},
    {0},
};

static volatile sig_atomic_t s_stop;
static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static bool s_has_theme(const cJSON *item, const char *prefix, char *ids, size_t cap)
{
    bool match = prefix == NULL;
    size_t used = 0, plen = prefix ? strlen(prefix) : 0;
    ids[0] = '\0';
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(item, "themes"))
    {
        const cJSON *id = cJSON_GetObjectItem(t, "id");
        if (!cJSON_IsString(id)) continue;
        if (prefix && strncmp(id->valuestring, prefix, plen) == 0 &&
            (id->valuestring[plen] == '\0' || id->valuestring[plen] == '.'))
            match = true;
        int n = snprintf(ids + used, cap - used, "%s%s", used ? "," : "", id->valuestring);
        if (n > 0 && (size_t)n < cap - used) used += (size_t)n;
    }
    return match;
}

int voc_cmd_tail(int argc, char **argv)
{
    int status = VOC_EXIT_RUNTIME;
    voc_err err = {0};
    voc_opts *o = NULL;
    const voc_zmq_api *z = NULL; /* libzmq, loaded once the options are good */
    void *ctx = NULL, *sub = NULL;
    if (voc_opts_parse(&o, s_options, argc - 1, argv + 1, &err)) {
        status = voc_cli_fail("voc tail", &err);
        goto out;
    }
    if (voc_opts_help(o)) {
        voc_opts_print_help(stdout, "voc tail --connect ENDPOINT [--theme X] [--format jsonl]",
                            "Show tagged items live as the processor stores them (from its "
                            "--pub socket).",
                            s_options);
        status = VOC_EXIT_OK;
        goto out;
    }
    const char *ep = voc_opts_str(o, "connect"), *fmt = voc_opts_str(o, "format");
    long long want = voc_opts_int(o, "count");
    if (!ep || want < 0 || (strcmp(fmt, "table") && strcmp(fmt, "jsonl"))) {
        fprintf(stderr, "voc tail: --connect ENDPOINT (the processor's --pub) is required; "
                        "--format table or jsonl\n");
        status = VOC_EXIT_USAGE;
        goto out;
    }
    if (voc_zmq_dl_load(&z, &err)) {
        status = voc_cli_fail("voc tail", &err);
        goto out;
    }
    struct sigaction sa = {0};
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int zero = 0;
    if (!(ctx = z->ctx_new()) || !(sub = z->socket(ctx, ZMQ_SUB)) ||
        z->setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        z->setsockopt(sub, ZMQ_SUBSCRIBE, "item", 4) != 0) {
        fprintf(stderr, "voc tail: ZeroMQ setup: %s\n", z->strerror(errno));
        goto out;
    }
    if (z->connect(sub, ep) != 0) {
        fprintf(stderr, "voc tail: cannot connect to %s: %s\n", ep, z->strerror(errno));
        goto out;
    }
    const char *theme = voc_opts_str(o, "theme");
    long long shown = 0;
    while (!s_stop && (want == 0 || shown < want)) {
        zmq_pollitem_t pi = {sub, 0, ZMQ_POLLIN, 0};
        int ready = z->poll(&pi, 1, 200);
        if (ready < 0 && errno != EINTR) {
            fprintf(stderr, "voc tail: poll: %s\n", z->strerror(errno));
            goto out;
        }
        if (ready <= 0) continue;
        zmq_msg_t topic, body;
        z->msg_init(&topic);
        z->msg_init(&body);
        if (z->msg_recv(&topic, sub, 0) >= 0 && z->msg_more(&topic) &&
            z->msg_recv(&body, sub, 0) >= 0) {
            cJSON *it = cJSON_ParseWithLength(z->msg_data(&body), z->msg_size(&body));
            char ids[512];
            if (it && s_has_theme(it, theme, ids, sizeof ids)) {
                if (strcmp(fmt, "jsonl") == 0) {
                    fwrite(z->msg_data(&body), 1, z->msg_size(&body), stdout);
                    putchar('\n');
                } else {
                    const cJSON *uid = cJSON_GetObjectItem(it, "uid");
                    const cJSON *text = cJSON_GetObjectItem(it, "text");
                    printf("%s  [%s]  ", cJSON_IsString(uid) ? uid->valuestring : "?",
                           ids[0] ? ids : "no theme");
                    voc_cli_put_clipped(stdout, cJSON_IsString(text) ? text->valuestring : "", 70);
                    putchar('\n');
                }
                fflush(stdout);
                shown++;
            }
            cJSON_Delete(it);
        }
        z->msg_close(&topic);
        z->msg_close(&body);
    }
    status = VOC_EXIT_OK;
out:
    if (sub) z->close(sub);
    if (ctx) z->ctx_term(ctx);
    voc_opts_destroy(&o);
    return status;
}
