/* zmq_dl.c: libzmq by dlopen for voc tail (see zmq_dl.h). */
#include "cli/zmq_dl.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <string.h>

/* The soname of the libzmq 4.x ABI, the one <zmq.h> describes; the
 * unversioned libzmq.so exists only where the development files are. */
#define S_LIBZMQ "libzmq.so.5"

/* One table row: the symbol and the slot it fills. The sizeof never
 * evaluates its compound literal, so it references no libzmq symbol, but
 * it makes the compiler check zmq_NAME's <zmq.h> prototype against the
 * slot's type: a mismatch is an incompatible-pointer error. */
#define S_SLOT(name)                                                                               \
    {                                                                                              \
        "zmq_" #name, offsetof(voc_zmq_api, name), sizeof((voc_zmq_api){.name = zmq_##name})       \
    }

static const struct {
    const char *symbol;
    size_t offset;
    size_t checked; /* only there to hold the type check */
} s_slots[] = {
    S_SLOT(ctx_new),  S_SLOT(ctx_term), S_SLOT(socket),    S_SLOT(close),    S_SLOT(setsockopt),
    S_SLOT(connect),  S_SLOT(poll),     S_SLOT(msg_init),  S_SLOT(msg_recv), S_SLOT(msg_more),
    S_SLOT(msg_data), S_SLOT(msg_size), S_SLOT(msg_close), S_SLOT(strerror),
};

/* Every slot has a row, and a slot's bytes are a dlsym result's. */
_Static_assert(sizeof s_slots / sizeof s_slots[0] == sizeof(voc_zmq_api) / sizeof(void (*)(void)),
               "a voc_zmq_api slot has no row in s_slots");
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "dlsym needs code pointers of data size");

static voc_zmq_api s_api;
static bool s_loaded;

int voc_zmq_dl_load(const voc_zmq_api **api, voc_err *err)
{
    *api = NULL;
    if (s_loaded) {
        *api = &s_api;
        return 0;
    }
    void *lib = dlopen(S_LIBZMQ, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return voc_err_set(err, VOC_EZMQ,
                           "%s; this command needs the ZeroMQ library at run time (install "
                           "libzmq5 on Debian/Ubuntu, zeromq on Fedora/Alpine)",
                           dlerror());
    voc_zmq_api api_table;
    for (size_t i = 0; i < sizeof s_slots / sizeof s_slots[0]; i++) {
        dlerror();
        void *fn = dlsym(lib, s_slots[i].symbol);
        if (!fn) {
            const char *why = dlerror();
            int rc = voc_err_set(err, VOC_EZMQ, "%s: %s", S_LIBZMQ,
                                 why ? why : "symbol resolved to NULL");
            dlclose(lib);
            return rc;
        }
        /* POSIX guarantees a dlsym'd function pointer round-trips through
         * void *; memcpy says so without ISO C's object/function cast. */
        memcpy((char *)&api_table + s_slots[i].offset, &fn, sizeof fn);
    }
    s_api = api_table;
    s_loaded = true;
    *api = &s_api;
    return 0;
}
