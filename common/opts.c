/* opts.c: table-driven option parsing (see opts.h). */
#include "common/opts.h"

#include "common/alloc.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct s_val {
    char *str;       /* last value (STR, INT, BOOL) */
    char **list;     /* LIST values */
    size_t list_count;
    int given;       /* 0 default, 1 config, 2 env, 3 flag */
} s_val;

struct voc_opts {
    const voc_opt *table;
    size_t count;
    s_val *vals;
    char **args;
    size_t arg_count;
    bool help;
};

static size_t s_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 60 || lb > 60)
        return 99;
    size_t row[61];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

const char *voc_nearest(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    size_t best_d = strlen(word) / 2 + 2;
    if (best_d > 4)
        best_d = 4;
    for (size_t i = 0; candidates[i]; i++) {
        size_t d = s_distance(word, candidates[i]);
        if (d < best_d || (d == best_d && !best && d <= 1)) {
            best_d = d;
            best = candidates[i];
        }
        if (!best && strncmp(word, candidates[i], strlen(word)) == 0 && strlen(word) >= 2)
            best = candidates[i];
    }
    return best;
}

static const char *s_nearest_opt(const voc_opts *o, const char *word)
{
    const char *names[128];
    size_t n = 0;
    for (size_t i = 0; i < o->count && n < 127; i++)
        names[n++] = o->table[i].name;
    names[n] = NULL;
    return voc_nearest(word, names);
}

static long s_find(const voc_opts *o, const char *name, size_t len)
{
    for (size_t i = 0; i < o->count; i++)
        if (strlen(o->table[i].name) == len && strncmp(o->table[i].name, name, len) == 0)
            return (long)i;
    return -1;
}

static int s_set(voc_opts *o, size_t i, const char *value, int given, const char *where,
                 voc_err *err)
{
    const voc_opt *opt = &o->table[i];
    s_val *v = &o->vals[i];
    if (opt->type == VOC_OPT_INT) {
        char *end;
        errno = 0;
        long long n = strtoll(value, &end, 10);
        (void)n;
        if (!*value || *end || errno)
            return voc_err_set(err, VOC_EINVAL, "%s --%s: '%s' is not a whole number", where,
                               opt->name, value);
    }
    if (opt->type == VOC_OPT_BOOL) {
        if (strcmp(value, "true") && strcmp(value, "false") && strcmp(value, "1") &&
            strcmp(value, "0") && strcmp(value, "yes") && strcmp(value, "no"))
            return voc_err_set(err, VOC_EINVAL, "%s --%s: '%s' is not true or false", where,
                               opt->name, value);
    }
    if (opt->type == VOC_OPT_LIST) {
        if (given > v->given && v->given < 3) {
            /* a higher source replaces lower ones wholesale */
            for (size_t k = 0; k < v->list_count; k++)
                free(v->list[k]);
            v->list_count = 0;
        }
        v->list = voc_realloc(v->list, (v->list_count + 1) * sizeof *v->list);
        v->list[v->list_count++] = voc_strdup(value);
    } else {
        free(v->str);
        v->str = voc_strdup(value);
    }
    v->given = given;
    return 0;
}

static int s_load_config(voc_opts *o, const char *path, voc_err *err)
{
    int rc = 0;
    char *data = NULL;
    cJSON *root = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return voc_err_set(err, VOC_EIO, "config %s: %s", path, strerror(errno));
    voc_buf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        voc_buf_append(&b, chunk, n);
    fclose(fp);
    data = b.data;
    root = cJSON_ParseWithLength(data ? data : "", b.len);
    if (!cJSON_IsObject(root)) {
        rc = voc_err_set(err, VOC_EPARSE, "config %s: not a JSON object", path);
        goto out;
    }
    for (const cJSON *f = root->child; f; f = f->next) {
        long i = s_find(o, f->string, strlen(f->string));
        if (i < 0 || strcmp(f->string, "config") == 0) {
            const char *near = s_nearest_opt(o, f->string);
            rc = voc_err_set(err, VOC_EINVAL, "config %s: unknown key '%s'%s%s%s", path,
                             f->string, near ? " (did you mean '" : "", near ? near : "",
                             near ? "'?)" : "");
            goto out;
        }
        const cJSON *vals = f;
        const cJSON *single = cJSON_IsArray(f) ? f->child : f;
        for (const cJSON *v = single; v; v = cJSON_IsArray(vals) ? v->next : NULL) {
            char num[64];
            const char *s = NULL;
            if (cJSON_IsString(v))
                s = v->valuestring;
            else if (cJSON_IsNumber(v) && v->valuedouble > -9.2e18 && v->valuedouble < 9.2e18)
                snprintf(num, sizeof num, "%lld", (long long)v->valuedouble), s = num;
            else if (cJSON_IsBool(v))
                s = cJSON_IsTrue(v) ? "true" : "false";
            if (!s) {
                rc = voc_err_set(err, VOC_EINVAL, "config %s: key '%s' has an unusable value",
                                 path, f->string);
                goto out;
            }
            if ((rc = s_set(o, (size_t)i, s, 1, "config", err)))
                goto out;
        }
    }
out:
    cJSON_Delete(root);
    free(data);
    return rc;
}

int voc_opts_parse(voc_opts **out, const voc_opt *table, int argc, char **argv, voc_err *err)
{
    int rc = 0;
    voc_opts *o = voc_calloc(1, sizeof *o);
    o->table = table;
    while (table[o->count].name)
        o->count++;
    o->vals = voc_calloc(o->count, sizeof *o->vals);
    o->args = voc_calloc((size_t)argc + 1, sizeof *o->args);

    /* Flags are parsed into a temporary record first so config and env can
     * be applied beneath them in precedence. */
    typedef struct {
        size_t idx;
        const char *val;
    } s_flag;
    s_flag *flags = voc_calloc((size_t)argc + 1, sizeof *flags);
    size_t nflags = 0;
    bool only_args = false;
    for (int a = 0; a < argc; a++) {
        const char *arg = argv[a];
        if (only_args || arg[0] != '-' || arg[1] == '\0') {
            o->args[o->arg_count++] = voc_strdup(arg);
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_args = true;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            o->help = true;
            continue;
        }
        if (arg[1] != '-') {
            rc = voc_err_set(err, VOC_EINVAL, "unknown option '%s' (options are --long-names; "
                             "see --help)", arg);
            goto out;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        long i = s_find(o, name, nlen);
        if (i < 0) {
            char *word = voc_strndup(name, nlen);
            const char *near = s_nearest_opt(o, word);
            rc = voc_err_set(err, VOC_EINVAL, "unknown option '--%s'%s%s%s", word,
                             near ? " (did you mean '--" : "", near ? near : "",
                             near ? "'?)" : "");
            free(word);
            goto out;
        }
        const char *val;
        if (table[i].type == VOC_OPT_BOOL) {
            val = eq ? eq + 1 : "true";
        } else if (eq) {
            val = eq + 1;
        } else if (a + 1 < argc) {
            val = argv[++a];
        } else {
            rc = voc_err_set(err, VOC_EINVAL, "option '--%s' needs a value (%s)", table[i].name,
                             table[i].arg ? table[i].arg : "a value");
            goto out;
        }
        flags[nflags++] = (s_flag){(size_t)i, val};
    }
    if (o->help)
        goto out;

    for (size_t i = 0; i < o->count; i++) {
        if (table[i].def && table[i].type != VOC_OPT_LIST)
            o->vals[i].str = voc_strdup(table[i].def);
    }
    long ci = s_find(o, "config", 6);
    if (ci >= 0) {
        const char *cfg = NULL;
        for (size_t k = 0; k < nflags; k++)
            if (flags[k].idx == (size_t)ci)
                cfg = flags[k].val;
        if (!cfg && table[ci].env)
            cfg = getenv(table[ci].env);
        if (cfg && *cfg && (rc = s_load_config(o, cfg, err)))
            goto out;
    }
    for (size_t i = 0; i < o->count; i++) {
        const char *ev = table[i].env ? getenv(table[i].env) : NULL;
        if (ev && *ev && (rc = s_set(o, i, ev, 2, table[i].env, err)))
            goto out;
    }
    for (size_t k = 0; k < nflags; k++) {
        if ((rc = s_set(o, flags[k].idx, flags[k].val, 3, "option", err)))
            goto out;
    }
out:
    free(flags);
    if (rc)
        voc_opts_destroy(&o);
    *out = o;
    return rc;
}

void voc_opts_destroy(voc_opts **self_p)
{
    if (!self_p || !*self_p)
        return;
    voc_opts *o = *self_p;
    for (size_t i = 0; i < o->count; i++) {
        free(o->vals[i].str);
        for (size_t k = 0; k < o->vals[i].list_count; k++)
            free(o->vals[i].list[k]);
        free(o->vals[i].list);
    }
    for (size_t i = 0; i < o->arg_count; i++)
        free(o->args[i]);
    free(o->args);
    free(o->vals);
    free(o);
    *self_p = NULL;
}

static const s_val *s_get(const voc_opts *o, const char *name)
{
    long i = s_find(o, name, strlen(name));
    if (i < 0) {
        fprintf(stderr, "voc: internal error: no option '%s' in table\n", name);
        abort();
    }
    return &o->vals[i];
}

const char *voc_opts_str(const voc_opts *o, const char *name)
{
    return s_get(o, name)->str;
}

long long voc_opts_int(const voc_opts *o, const char *name)
{
    const char *s = s_get(o, name)->str;
    return s ? strtoll(s, NULL, 10) : 0;
}

bool voc_opts_bool(const voc_opts *o, const char *name)
{
    const char *s = s_get(o, name)->str;
    return s && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 || strcmp(s, "yes") == 0);
}

size_t voc_opts_list(const voc_opts *o, const char *name, const char *const **values)
{
    const s_val *v = s_get(o, name);
    *values = (const char *const *)v->list;
    return v->list_count;
}

bool voc_opts_given(const voc_opts *o, const char *name)
{
    return s_get(o, name)->given > 0;
}

bool voc_opts_help(const voc_opts *o)
{
    return o->help;
}

size_t voc_opts_args(const voc_opts *o, const char *const **args)
{
    *args = (const char *const *)o->args;
    return o->arg_count;
}

void voc_opts_print_help(FILE *fp, const char *usage, const char *summary, const voc_opt *table)
{
    fprintf(fp, "usage: %s\n\n%s\n", usage, summary);
    if (!table[0].name)
        return;
    fprintf(fp, "\noptions:\n");
    for (size_t i = 0; table[i].name; i++) {
        const voc_opt *t = &table[i];
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", t->name, t->type == VOC_OPT_BOOL ? "" : " ",
                 t->type == VOC_OPT_BOOL ? "" : (t->arg ? t->arg : "VALUE"));
        fprintf(fp, "  %-24s %s", left, t->help);
        if (t->def && t->type != VOC_OPT_BOOL)
            fprintf(fp, " [default: %s]", t->def);
        if (t->type == VOC_OPT_LIST)
            fprintf(fp, " (repeatable)");
        if (t->env)
            fprintf(fp, " [env: %s]", t->env);
        fputc('\n', fp);
    }
    fprintf(fp, "  %-24s %s\n", "--help", "show this help");
}
