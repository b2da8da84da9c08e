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
    char prefix[VOC_ERR_MSG_MAX];
    char old[VOC_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
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
    default: return "E?";
    }
}
