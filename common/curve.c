/* curve.c: CURVE key files (see curve.h). */
#include "common/curve.h"

#include "common/alloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

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
    if (!zmq_has("curve"))
        return voc_err_set(err, VOC_EINVAL, "this libzmq was built without CURVE");
    voc_curve_pair k;
    if (zmq_curve_keypair(k.public_key, k.secret_key) != 0)
        return voc_err_set(err, VOC_EINVAL, "zmq_curve_keypair: %s", zmq_strerror(errno));
    char *key = voc_asprintf("%s.key", base), *pub = voc_asprintf("%s.pub", base);
    char *ktext = voc_asprintf("# voc CURVE key pair; keep secret (mode 0600)\n"
                               "public = %s\nsecret = %s\n",
                               k.public_key, k.secret_key);
    char *ptext = voc_asprintf("# voc CURVE public key\npublic = %s\n", k.public_key);
    int rc = s_write(key, 0600, ktext, err);
    if (rc == 0 && (rc = s_write(pub, 0644, ptext, err))) unlink(key);
    memset(ktext, 0, strlen(ktext));
    memset(&k, 0, sizeof k);
    free(ktext);
    free(ptext);
    free(key);
    free(pub);
    return rc;
}

static int s_valid_z85(const char *s)
{
    if (strlen(s) != 40) return 0;
    unsigned char raw[32];
    return zmq_z85_decode(raw, s) != NULL;
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
    memset(line, 0, sizeof line);
    if (rc == 0 && !out->public_key[0])
        rc = voc_err_set(err, VOC_EPARSE, "%s: no public key", path);
    if (rc == 0 && need_secret && !out->secret_key[0])
        rc = voc_err_set(err, VOC_EPARSE, "%s: no secret key (give the .key file, not .pub)", path);
    if (rc) memset(out, 0, sizeof *out);
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
