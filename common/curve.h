/* curve.h: ZeroMQ CURVE keys for encrypted, authenticated links between
 * hosts (collectors -> processor over tcp).
 *
 * A key pair lives in NAME.key (mode 0600, both keys) and NAME.pub (the
 * public key only, to hand out): text files of "public = Z85" and
 * "secret = Z85" lines, '#' comments allowed. `voc keygen NAME` writes
 * them. The processor allows the public keys of the *.pub files in one
 * directory; anything else is refused by its ZAP handler.
 *
 * CURVE keys are plain X25519 (Curve25519) keys, 32 bytes each, written in
 * Z85 (ZeroMQ RFC 32). This module makes and reads them with libcrypto and
 * its own Z85 codec, not libzmq, so the voc CLI (keygen) does not load
 * libzmq; the programs that open CURVE sockets hand the Z85 text to
 * zmq_setsockopt (ZMQ_CURVE_*KEY accept 40-character Z85). */
#ifndef VOC_CURVE_H
#define VOC_CURVE_H

#include "common/err.h"

#include <stddef.h>

#define VOC_CURVE_KEY_BYTES 32
#define VOC_CURVE_Z85 41 /* 40 characters and a NUL */

typedef struct voc_curve_pair {
    char public_key[VOC_CURVE_Z85];
    char secret_key[VOC_CURVE_Z85];
} voc_curve_pair;

/* Make a fresh X25519 key pair from libcrypto's CSPRNG into *out (both keys
 * in Z85). Clear *out when done with the secret. Errors: VOC_EIO (libcrypto
 * failed, e.g. no entropy), with libcrypto's reason. */
int voc_curve_generate(voc_curve_pair *out, voc_err *err);

/* Generate a pair and write base.key (0600) and base.pub. Refuses to
 * overwrite existing files. Errors: VOC_EIO. */
int voc_curve_keygen(const char *base, voc_err *err);

/* Read a key file: the secret key is required when need_secret. Both keys
 * are checked to be 40 characters of valid Z85. Errors: VOC_EIO,
 * VOC_EPARSE (with the file and line). */
int voc_curve_load(const char *path, int need_secret, voc_curve_pair *out, voc_err *err);

/* Every public key of the *.pub files in dir. Caller frees *keys. */
int voc_curve_load_dir(const char *dir, char (**keys)[VOC_CURVE_Z85], size_t *count, voc_err *err);

/* Z85 (ZeroMQ RFC 32): every 4 bytes as 5 characters of an 85-letter
 * printable alphabet, most significant first.
 *
 * Encode len bytes (a multiple of 4) into len / 4 * 5 characters and a NUL
 * at text, which holds cap bytes. Errors: VOC_EINVAL (len not a multiple of
 * 4, or cap too small). */
int voc_curve_z85_encode(char *text, size_t cap, const void *data, size_t len, voc_err *err);

/* Decode the NUL-terminated text (length a multiple of 5) into
 * strlen(text) / 5 * 4 bytes at data, which holds cap bytes. Errors:
 * VOC_EPARSE (length not a multiple of 5, a character outside the alphabet,
 * a group worth 2^32 or more), VOC_EINVAL (cap too small). */
int voc_curve_z85_decode(void *data, size_t cap, const char *text, voc_err *err);

#endif
