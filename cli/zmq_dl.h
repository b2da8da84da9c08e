/* zmq_dl.h: libzmq loaded at run time, for the one voc subcommand that
 * speaks ZeroMQ (voc tail).
 *
 * The voc binary does not link libzmq: linking it costs every voc command a
 * dozen more shared libraries at start (libzmq pulls in libsodium, libpgm,
 * libnorm, Kerberos, ...), and only `voc tail` uses it. Instead tail calls
 * voc_zmq_dl_load, which dlopens libzmq.so.5 (the ABI <zmq.h> describes)
 * and fills a table of the functions voc uses. The types and constants
 * still come from <zmq.h>; each table slot is checked against its <zmq.h>
 * prototype at compile time. */
#ifndef VOC_ZMQ_DL_H
#define VOC_ZMQ_DL_H

#include "common/err.h"

#include <stddef.h>
#include <zmq.h>

/* The libzmq functions voc tail uses, named as in <zmq.h> without "zmq_". */
typedef struct voc_zmq_api {
    void *(*ctx_new)(void);
    int (*ctx_term)(void *context);
    void *(*socket)(void *context, int type);
    int (*close)(void *socket);
    int (*setsockopt)(void *socket, int option, const void *value, size_t len);
    int (*connect)(void *socket, const char *endpoint);
    int (*poll)(zmq_pollitem_t *items, int count, long timeout);
    int (*msg_init)(zmq_msg_t *msg);
    int (*msg_recv)(zmq_msg_t *msg, void *socket, int flags);
    int (*msg_more)(const zmq_msg_t *msg);
    void *(*msg_data)(zmq_msg_t *msg);
    size_t (*msg_size)(const zmq_msg_t *msg);
    int (*msg_close)(zmq_msg_t *msg);
    const char *(*strerror)(int errnum);
} voc_zmq_api;

/* Load libzmq.so.5 (once per process; later calls return the same table)
 * and point *api at the resolved table: borrowed, valid for the rest of the
 * process (the library is never unloaded). Not thread-safe on first call.
 * Errors: VOC_EZMQ when the library or one of its functions is missing,
 * with dlerror()'s text and what to install. */
int voc_zmq_dl_load(const voc_zmq_api **api, voc_err *err);

#endif
