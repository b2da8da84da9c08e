/* common.c: helpers shared by the voc subcommands (see cli.h). */
#include "cli/cli.h"

#include "common/alloc.h"
#include "common/utf8.h"
#include "common/vtime.h"
#include "common/item.h"

#include <stdlib.h>
#include <string.h>

int voc_cli_filter(const voc_opts *o, voc_filter *f, voc_err *err)
{
    *f = voc_filter_all();
    int64_t now = voc_time_now();
    const char *since = voc_opts_str(o, "since");
    const char *until = voc_opts_str(o, "until");
    voc_err e;
    if (since && voc_time_parse_since(since, now, &f->since, &e))
        return voc_err_set(err, VOC_EINVAL, "--since: %s", e.msg);
    if (until && voc_time_parse_since(until, now, &f->until, &e))
        return voc_err_set(err, VOC_EINVAL, "--until: %s", e.msg);
    if (f->since >= f->until) return voc_err_set(err, VOC_EINVAL, "--since must be before --until");
    f->kind = voc_opts_str(o, "kind");
    voc_kind k;
    if (f->kind && voc_kind_parse(f->kind, &k))
        return voc_err_set(err, VOC_EINVAL,
                           "--kind: '%s' is not survey, nps, ticket, review or other", f->kind);
    f->source = voc_opts_str(o, "source");
    return 0;
}

int voc_cli_open_store(const voc_opts *o, voc_store **out, voc_err *err)
{
    return voc_store_open(out, voc_opts_str(o, "db"), VOC_STORE_READONLY, err);
}

void voc_cli_csv_field(FILE *fp, const char *s)
{
    if (!s) return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"') fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

void voc_cli_put_clipped(FILE *fp, const char *s, size_t cols)
{
    size_t used = 0;
    bool space = false;
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\n' || p[i] == '\t' || p[i] == '\r'))
        i++;
    while (i < len) {
        if (p[i] == ' ' || p[i] == '\n' || p[i] == '\t' || p[i] == '\r') {
            space = true;
            i++;
            continue;
        }
        int32_t cp;
        int n = voc_utf8_decode(p + i, len - i, &cp);
        size_t need = (space ? 1 : 0) + 1;
        if (used + need > cols - 1) {
            /* Is there more text? Then cut with an ellipsis. */
            fputs("…", fp);
            return;
        }
        if (space) {
            fputc(' ', fp);
            used++;
            space = false;
        }
        fwrite(p + i, 1, (size_t)n, fp);
        used++;
        i += (size_t)n;
    }
}

int voc_cli_fail(const char *cmd, const voc_err *err)
{
    fprintf(stderr, "%s: %s\n", cmd, err->msg);
    return err->code == VOC_EINVAL ? VOC_EXIT_USAGE : VOC_EXIT_RUNTIME;
}

int voc_cli_segment(const voc_opts *o, voc_filter *f, voc_err *err)
{
    const char *const *where;
    size_t n = voc_opts_list(o, "where", &where);
    f->negative = voc_opts_bool(o, "negative");
    if (!n) return 0;
    const char **keys = voc_calloc(n, sizeof *keys), **values = voc_calloc(n, sizeof *values);
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(where[i], '=');
        if (!eq || eq == where[i]) {
            for (size_t k = 0; k < i; k++)
                free((char *)keys[k]);
            free(keys);
            free(values);
            return voc_err_set(err, VOC_EINVAL,
                               "--where '%s': expected ATTR=VALUE, e.g. "
                               "plan=enterprise",
                               where[i]);
        }
        keys[i] = voc_strndup(where[i], (size_t)(eq - where[i]));
        values[i] = eq + 1;
    }
    f->where_keys = keys;
    f->where_values = values;
    f->where_count = n;
    return 0;
}

void voc_cli_segment_free(voc_filter *f)
{
    for (size_t i = 0; i < f->where_count; i++)
        free((char *)f->where_keys[i]);
    free((void *)f->where_keys);
    free((void *)f->where_values);
    f->where_keys = f->where_values = NULL;
    f->where_count = 0;
}
