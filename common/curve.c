/* curve.c: CURVE key files (see curve.h): X25519 pairs from libcrypto, the
 * Z85 text form, reading and writing the key files. No libzmq here: the
 * voc CLI links this module and must start without it. */
#include "common/curve.h"

#include "common/alloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* RFC 32's alphabet: a character's index is its digit value, base 85. */
static const char s_z85[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            ".-:+=^!/*?&<>()[]{}@%$#";

int voc_curve_z85_encode(char *text, size_t cap, const void *data, size_t len, voc_err *err)
{
    if (len % 4 != 0)
        return voc_err_set(err, VOC_EINVAL, "Z85 encodes whole 4-byte groups, not %zu bytes", len);
    if (cap < len / 4 * 5 + 1)
        return voc_err_set(err, VOC_EINVAL, "Z85 of %zu bytes needs %zu characters and a NUL", len,
                           len / 4 * 5);
    const unsigned char *in = data;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t value = (uint32_t)in[i] << 24 | (uint32_t)in[i + 1] << 16 |
                         (uint32_t)in[i + 2] << 8 | in[i + 3];
        char *group = text + i / 4 * 5;
        for (int d = 4; d >= 0; d--) {
            group[d] = s_z85[value % 85];
            value /= 85;
        }
    }
    text[len / 4 * 5] = '\0';
    return 0;
}

int voc_curve_z85_decode(void *data, size_t cap, const char *text, voc_err *err)
{
    size_t n = strlen(text);
    if (n % 5 != 0)
        return voc_err_set(err, VOC_EPARSE, "Z85 text comes in 5-character groups, not %zu", n);
    if (cap < n / 5 * 4)
        return voc_err_set(err, VOC_EINVAL, "Z85 of %zu characters decodes to %zu bytes", n,
                           n / 5 * 4);
    unsigned char *out = data;
    for (size_t i = 0; i < n; i += 5) {
        /* 85^5 > 2^32: "%%%%%" would wrap, so sum in 64 bits and refuse it. */
        uint64_t value = 0;
        for (size_t d = 0; d < 5; d++) {
            const char *at = text[i + d] ? strchr(s_z85, text[i + d]) : NULL;
            if (!at) return voc_err_set(err, VOC_EPARSE, "character %zu is not Z85", i + d + 1);
            value = value * 85 + (uint64_t)(at - s_z85);
        }
        if (value > UINT32_MAX)
            return voc_err_set(err, VOC_EPARSE, "Z85 group at character %zu is over 32 bits",
                               i + 1);
        unsigned char *group = out + i / 5 * 4;
        group[0] = (unsigned char)(value >> 24);
        group[1] = (unsigned char)(value >> 16);
        group[2] = (unsigned char)(value >> 8);
        group[3] = (unsigned char)value;
    }
    return 0;
}

/* libcrypto's reason for the last failure, or a fallback. */
static const char *s_crypto_reason(void)
{
    unsigned long e = ERR_get_error();
    const char *why = e ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return why ? why : "unknown libcrypto error";
}

int voc_curve_generate(voc_curve_pair *out, voc_err *err)
{
    memset(out, 0, sizeof *out);
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *key = NULL;
    unsigned char pub[VOC_CURVE_KEY_BYTES], sec[VOC_CURVE_KEY_BYTES];
    size_t pub_len = sizeof pub, sec_len = sizeof sec;
    int rc = 0;
    /* The same keys as libzmq's zmq_curve_keypair (libsodium's
     * crypto_box_keypair): a random scalar and its X25519 base-point product. */
    if (!(ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL)) || EVP_PKEY_keygen_init(ctx) <= 0 ||
        EVP_PKEY_keygen(ctx, &key) <= 0 || EVP_PKEY_get_raw_public_key(key, pub, &pub_len) <= 0 ||
        EVP_PKEY_get_raw_private_key(key, sec, &sec_len) <= 0) {
        rc = voc_err_set(err, VOC_EIO, "X25519 key generation: %s", s_crypto_reason());
        goto out;
    }
    if (pub_len != sizeof pub || sec_len != sizeof sec) {
        rc = voc_err_set(err, VOC_EIO, "X25519 key generation: %zu/%zu-byte keys, not 32", pub_len,
                         sec_len);
        goto out;
    }
    if ((rc = voc_curve_z85_encode(out->public_key, sizeof out->public_key, pub, sizeof pub,
                                   err)) == 0)
        rc = voc_curve_z85_encode(out->secret_key, sizeof out->secret_key, sec, sizeof sec, err);
out:
    OPENSSL_cleanse(sec, sizeof sec);
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(ctx);
    if (rc) OPENSSL_cleanse(out, sizeof *out);
    return rc;
}

static int s_write(const char *path, mode_t mode, const char *text, voc_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return voc_err_set(err, VOC_EIO, "%s: %s", path, strerror(errno));
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    int bad = w != (ssize_t)len || fsync(fd) != 0;
    close(fd);
    if (bad) return voc_err_set(err, VOC_EIO, "%s: write failed", path);
    return 0;
}

int voc_curve_keygen(const char *base, voc_err *err)
{
    voc_curve_pair k;
    int rc = voc_curve_generate(&k, err);
    if (rc) return rc;
    char *key = voc_asprintf("%s.key", base), *pub = voc_asprintf("%s.pub", base);
    char *ktext = voc_asprintf("# voc CURVE key pair; keep secret (mode 0600)\n"
                               "public = %s\nsecret = %s\n",
                               k.public_key, k.secret_key);
    char *ptext = voc_asprintf("# voc CURVE public key\npublic = %s\n", k.public_key);
    rc = s_write(key, 0600, ktext, err);
    if (rc == 0 && (rc = s_write(pub, 0644, ptext, err))) unlink(key);
    OPENSSL_cleanse(ktext, strlen(ktext));
    OPENSSL_cleanse(&k, sizeof k);
    free(ktext);
    free(ptext);
    free(key);
    free(pub);
    return rc;
}

static int s_valid_z85(const char *s)
{
    unsigned char raw[VOC_CURVE_KEY_BYTES];
    int ok = strlen(s) == VOC_CURVE_Z85 - 1 && voc_curve_z85_decode(raw, sizeof raw, s, NULL) == 0;
    OPENSSL_cleanse(raw, sizeof raw);
    return ok;
}

int voc_curve_load(const char *path, int need_secret, voc_curve_pair *out, voc_err *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "r");
    if (!fp) return voc_err_set(err, VOC_EIO, "%s: %s", path, strerror(errno));
    char line[256];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, fp)) {
        lineno++;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == '\0') continue;
        char name[16], value[64];
        if (sscanf(p, "%15[a-z] = %63s", name, value) != 2 || !s_valid_z85(value)) {
            rc = voc_err_set(err, VOC_EPARSE, "%s:%d: expected 'public = KEY' or 'secret = KEY'",
                             path, lineno);
        } else if (strcmp(name, "public") == 0) {
            memcpy(out->public_key, value, VOC_CURVE_Z85);
        } else if (strcmp(name, "secret") == 0) {
            memcpy(out->secret_key, value, VOC_CURVE_Z85);
        } else {
            rc = voc_err_set(err, VOC_EPARSE, "%s:%d: unknown key '%s'", path, lineno, name);
        }
    }
    fclose(fp);
    OPENSSL_cleanse(line, sizeof line); /* it may have held the secret */
    if (rc == 0 && !out->public_key[0])
        rc = voc_err_set(err, VOC_EPARSE, "%s: no public key", path);
    if (rc == 0 && need_secret && !out->secret_key[0])
        rc = voc_err_set(err, VOC_EPARSE, "%s: no secret key (give the .key file, not .pub)", path);
    if (rc) OPENSSL_cleanse(out, sizeof *out);
    return rc;
}

int voc_curve_load_dir(const char *dir, char (**keys)[VOC_CURVE_Z85], size_t *count, voc_err *err)
{
    *keys = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) return voc_err_set(err, VOC_EIO, "%s: %s", dir, strerror(errno));
    size_t cap = 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".pub") != 0) continue;
        char *path = voc_asprintf("%s/%s", dir, e->d_name);
        voc_curve_pair k;
        rc = voc_curve_load(path, 0, &k, err);
        free(path);
        if (rc) break;
        voc_grow((void **)keys, &cap, *count + 1, sizeof **keys);
        memcpy((*keys)[(*count)++], k.public_key, VOC_CURVE_Z85);
    }
    closedir(d);
    if (rc) {
        free(*keys);
        *keys = NULL;
        *count = 0;
    }
    return rc;
}
