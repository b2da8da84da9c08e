/* processor.h: the voc-processor service. It binds a ROUTER socket, receives
 * VOC/1 batches from collectors, runs each item through the pipeline, writes
 * every batch (several at once when they queue up) in one SQLite transaction,
 * and answers each batch with ACK only after that transaction committed;
 * NACK when it could not be stored (the collector resends). Tagged items are
 * published on an optional PUB socket for live watchers. */
#ifndef VOC_PROCESSOR_H
#define VOC_PROCESSOR_H

#include "common/err.h"
#include "common/item.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct voc_processor voc_processor;

typedef struct voc_processor_config {
    const char *db_path;
    const char *const *listen; /* endpoints to bind, NULL-terminated */
    const char *rules_path;    /* NULL: no tagging */
    const char *pub_endpoint;  /* NULL: no PUB socket */
    int stats_interval_ms;     /* periodic summary at info level; 0 = off */
    int max_group_items;       /* items per transaction when batches queue */
    int retry_after_ms;        /* told to collectors in a NACK */
    bool keep_pii;             /* skip the redact stage */
    const char *curve_secret_key; /* key file: serve CURVE (NULL: plain) */
    const char *allow_keys_dir;   /* with CURVE: *.pub of the clients allowed */
    voc_item_limits limits;
} voc_processor_config;

typedef struct voc_processor_stats {
    uint64_t batches;
    uint64_t items;
    uint64_t inserted;
    uint64_t updated;
    uint64_t duplicates;
    uint64_t rejected;
    uint64_t nacked;
    uint64_t transactions;
    uint64_t redacted; /* PII replaced by placeholders */
} voc_processor_stats;

/* Open the store, load the rules, bind the sockets. zmq_ctx is borrowed.
 * Caller owns *out; free with voc_processor_destroy. */
int voc_processor_new(voc_processor **out, void *zmq_ctx, const voc_processor_config *cfg,
                      voc_err *err);
void voc_processor_destroy(voc_processor **self_p);

/* Serve until a byte arrives on stop_fd (a signal self-pipe) or the context
 * terminates. Returns 0 on a clean stop. */
int voc_processor_run(voc_processor *p, int stop_fd, voc_err *err);

const voc_processor_stats *voc_processor_get_stats(const voc_processor *p);

#endif
