/* err.c: voc_err helpers (see err.h). */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int voc_err_set(voc_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int voc_err_prefix(voc_err *err, const char *fmt, ...)
{
    if (!err)
        return VOC_EINVAL;
    char joined[2 * VOC_ERR_MSG_MAX + 2];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(joined, VOC_ERR_MSG_MAX, fmt, ap);
    va_end(ap);
    size_t at = n < 0 ? 0 : (size_t)n >= VOC_ERR_MSG_MAX ? VOC_ERR_MSG_MAX - 1 : (size_t)n;
    memcpy(joined + at, ": ", 2);
    size_t old = strnlen(err->msg, VOC_ERR_MSG_MAX - 1);
    memcpy(joined + at + 2, err->msg, old);
    joined[at + 2 + old] = '\0';
    /* Keep the end of an over-long message cut, not the prefix. */
    size_t total = at + 2 + old;
    if (total >= VOC_ERR_MSG_MAX)
        total = VOC_ERR_MSG_MAX - 1;
    memcpy(err->msg, joined, total);
    err->msg[total] = '\0';
    return err->code;
}

void voc_err_clear(voc_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

const char *voc_err_name(int code)
{
    switch (code) {
    case VOC_OK: return "OK";
    case VOC_EINVAL: return "EINVAL";
    case VOC_EPARSE: return "EPARSE";
    case VOC_EIO: return "EIO";
    case VOC_EDB: return "EDB";
    case VOC_EZMQ: return "EZMQ";
    case VOC_ELIMIT: return "ELIMIT";
    case VOC_ENOTFOUND: return "ENOTFOUND";
    case VOC_EBUSY: return "EBUSY";
    case VOC_ESTATE: return "ESTATE";
    case VOC_ETIMEOUT: return "ETIMEOUT";
    case VOC_EFULL: return "EFULL";
    case VOC_EAUTH: return "EAUTH";
    default: return "E?";
    }
}
