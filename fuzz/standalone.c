/* standalone.c: a main() for the fuzz targets when libFuzzer is not used
 * (VOC_FUZZ=OFF). It runs LLVMFuzzerTestOneInput once on every file of
 * each directory given (and on each plain file given), in name order, so
 * ctest replays the seed and regression corpora under the plain and the
 * ASan+UBSan builds. Exit status 0 when every input ran, 1 when a file
 * could not be read, 2 on usage errors; a bug found aborts the run. */
#include "fuzz/fuzz.h"

#include "common/alloc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Read a whole file into a malloc'ed buffer (*len bytes). */
static int s_read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    voc_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        voc_buf_append(&b, chunk, n);
    int failed = ferror(fp);
    fclose(fp);
    if (failed) {
        voc_buf_free(&b);
        return -1;
    }
    *len = b.len;
    /* An exact-size copy, so ASan catches reads one past the input. */
    *out = voc_malloc(b.len ? b.len : 1);
    if (b.len) memcpy(*out, b.data, b.len);
    voc_buf_free(&b);
    return 0;
}

static int s_run_file(const char *path)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (s_read_file(path, &data, &len)) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return 1;
    }
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static int s_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every regular file of dir; *count adds how many ran. */
static int s_run_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        return 1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        voc_grow((void **)&names, &cap, n + 1, sizeof *names);
        names[n++] = voc_asprintf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, s_cmp_names);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (s_run_file(names[i]))
                rc = 1;
            else
                (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
        return 2;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    int rc = 0;
    size_t count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            rc = 1;
        } else if (S_ISDIR(st.st_mode)) {
            rc |= s_run_dir(argv[i], &count);
        } else if (s_run_file(argv[i]) == 0) {
            count++;
        } else {
            rc = 1;
        }
    }
    printf("%s: ran %zu inputs\n", argv[0], count);
    return rc;
}
