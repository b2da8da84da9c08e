/* curve.h: ZeroMQ CURVE keys for encrypted, authenticated links between
 * hosts (collectors -> processor over tcp).
 *
 * A key pair lives in NAME.key (mode 0600, both keys) and NAME.pub (the
 * public key only, to hand out): text files of "public = Z85" and
 * "secret = Z85" lines, '#' comments allowed. `voc keygen NAME` writes
 * them. The processor allows the public keys of the *.pub files in one
 * directory; anything else is refused by its ZAP handler. */
#ifndef VOC_CURVE_H
#define VOC_CURVE_H

#include "common/err.h"

#include <stddef.h>

#define VOC_CURVE_Z85 41 /* 40 characters and a NUL */

typedef struct voc_curve_pair {
    char public_key[VOC_CURVE_Z85];
    char secret_key[VOC_CURVE_Z85];
} voc_curve_pair;

/* Generate a pair and write base.key (0600) and base.pub. Refuses to
 * overwrite existing files. Errors: VOC_EIO, VOC_EINVAL (libzmq without
 * CURVE). */
int voc_curve_keygen(const char *base, voc_err *err);

/* Read a key file: the secret key is required when need_secret. */
int voc_curve_load(const char *path, int need_secret, voc_curve_pair *out, voc_err *err);

/* Every public key of the *.pub files in dir. Caller frees *keys. */
int voc_curve_load_dir(const char *dir, char (**keys)[VOC_CURVE_Z85], size_t *count, voc_err *err);

#endif
