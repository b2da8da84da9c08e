/* err.h: the error type every fallible voc function reports through.
 *
 * A fallible function returns 0 or a negative VOC_E* code and takes a
 * `voc_err *err` last; voc_err_set() fills the message (NULL-safe) and returns
 * the code, so a failure carries a reason a user can act on:
 *
 *     return voc_err_set(err, VOC_EPARSE, "line %zu: %s", n, why);
 */
#ifndef VOC_ERR_H
#define VOC_ERR_H

#include <stddef.h>

enum {
    VOC_OK = 0,
    VOC_EINVAL = -1,  /* invalid argument or input value */
    VOC_EPARSE = -2,  /* malformed input (JSON, CSV, time, frame) */
    VOC_EIO = -3,     /* file or system call failure */
    VOC_EDB = -4,     /* SQLite failure */
    VOC_EZMQ = -5,    /* ZeroMQ failure */
    VOC_ELIMIT = -6,  /* a size, count or time limit was exceeded */
    VOC_ENOTFOUND = -7,
    VOC_EBUSY = -8,   /* resource held by someone else; try again later */
    VOC_ESTATE = -9,  /* operation not valid in the current state */
    VOC_ETIMEOUT = -10,
    VOC_EFULL = -11,  /* storage full */
    VOC_EAUTH = -12,  /* missing or wrong credentials or signature */
};

#define VOC_ERR_MSG_MAX 256

typedef struct voc_err {
    int code;
    char msg[VOC_ERR_MSG_MAX];
} voc_err;

/* Fill err (if not NULL) with code and a printf-style message; return code. */
int voc_err_set(voc_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix an existing message: "ctx: old message". Returns err->code (or
 * VOC_EINVAL if err is NULL). */
int voc_err_prefix(voc_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reset to "no error". NULL-safe. */
void voc_err_clear(voc_err *err);

/* Short stable name of a code, e.g. "EPARSE". */
const char *voc_err_name(int code);

#endif
