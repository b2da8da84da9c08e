/* test_collect.c: the file importers and the durable outbox
 * (collectors/import.h, collectors/outbox.h). */
#include "collectors/import.h"
#include "collectors/outbox.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct s_got {
    char *payload[16];
    char *origin[16];
    size_t n;
} s_got;

static int s_emit(void *user, const char *payload, size_t len, const char *origin, voc_err *err)
{
    (void)err;
    s_got *g = user;
    cr_assert_lt(g->n, 16);
    g->payload[g->n] = strndup(payload, len);
    g->origin[g->n] = strdup(origin);
    g->n++;
    return 0;
}

static void s_free(s_got *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->payload[i]);
        free(g->origin[i]);
    }
}

static char s_path[64];

static const char *s_write(const char *ext, const char *content, size_t len)
{
    snprintf(s_path, sizeof s_path, "/tmp/voc-import-%d.%s", (int)getpid(), ext);
    FILE *fp = fopen(s_path, "wb");
    fwrite(content, 1, len, fp);
    fclose(fp);
    return s_path;
}

static const char *s_field(const char *json, const char *key)
{
    static char buf[512];
    cJSON *o = cJSON_Parse(json);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(v))
        snprintf(buf, sizeof buf, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(buf, sizeof buf, "%g", v->valuedouble);
    else
        snprintf(buf, sizeof buf, "(none)");
    cJSON_Delete(o);
    return buf;
}

Test(import, jsonl_normalizes_good_lines_and_passes_bad_ones_raw)
{
    const char data[] = "\xEF\xBB\xBF{\"text\":\"first\",\"created_at\":\"2026-01-01\"}\r\n"
                        "\n"
                        "   \n"
                        "not json at all\n"
                        "{\"text\":\"last\",\"source\":\"typeform\",\"kind\":\"survey\"}";
    const char *path = s_write("jsonl", data, sizeof data - 1);
    s_got g = {0};
    size_t records = 0;
    voc_err err;
    voc_import_config cfg = {.source = "files", .kind = VOC_KIND_TICKET};
    cr_assert_eq(voc_import_file(path, &cfg, s_emit, &g, &records, &err), 0, "%s", err.msg);
    cr_assert_eq(records, 3);
    cr_assert_eq(g.n, 3);
    cr_assert_str_eq(s_field(g.payload[0], "source"), "files");
    cr_assert_str_eq(s_field(g.payload[0], "kind"), "ticket");
    cr_assert_str_eq(s_field(g.payload[0], "created_at"), "2026-01-01T00:00:00Z");
    cr_assert_neq(strcmp(s_field(g.payload[0], "uid"), "(none)"), 0, "uid derived");
    cr_assert(strstr(g.origin[0], ":1") != NULL, "%s", g.origin[0]);
    cr_assert_str_eq(g.payload[1], "not json at all");
    cr_assert(strstr(g.origin[1], ":4") != NULL, "%s", g.origin[1]);
    cr_assert_str_eq(s_field(g.payload[2], "source"), "typeform");
    cr_assert_str_eq(s_field(g.payload[2], "kind"), "survey");
    s_free(&g);
    unlink(path);
}

Test(import, csv_quotes_newlines_bom_crlf_and_auto_mapping)
{
    const char data[] = "\xEF\xBB\xBF" "ID,Date,Plan,Region,Comment,Ignored\r\n"
                        "1,2026-02-03,pro,emea,\"Slow, very \"\"slow\"\"\r\nreally\",x\r\n"
                        ",,,,,\r\n"
                        "2,2026-02-04,free,na,Fine,y";
    const char *path = s_write("csv", data, sizeof data - 1);
    s_got g = {0};
    size_t records = 0;
    voc_err err;
    voc_import_config cfg = {.source = "helpdesk"};
    cr_assert_eq(voc_import_file(path, &cfg, s_emit, &g, &records, &err), 0, "%s", err.msg);
    cr_assert_eq(records, 2);
    cr_assert_str_eq(s_field(g.payload[0], "text"), "Slow, very \"slow\"\r\nreally");
    cr_assert_str_eq(s_field(g.payload[0], "uid"), "helpdesk:1");
    cr_assert_str_eq(s_field(g.payload[0], "created_at"), "2026-02-03T00:00:00Z");
    cr_assert(strstr(g.payload[0], "\"attrs\":{\"plan\":\"pro\",\"region\":\"emea\"}") != NULL,
              "%s", g.payload[0]);
    cr_assert(strstr(g.payload[0], "Ignored") == NULL);
    cr_assert(strstr(g.origin[0], ":row 2") != NULL, "%s", g.origin[0]);
    cr_assert(strstr(g.origin[1], ":row 5") != NULL, "%s", g.origin[1]);
    s_free(&g);
    unlink(path);
}

Test(import, csv_mapping_errors_name_the_nearest)
{
    const char data[] = "Response ID,Comment\n1,hello\n";
    const char *path = s_write("csv", data, sizeof data - 1);
    s_got g = {0};
    size_t records = 0;
    voc_err err;
    const char *maps1[] = {"text=Coment"};
    voc_import_config cfg = {.maps = maps1, .map_count = 1};
    cr_assert_eq(voc_import_file(path, &cfg, s_emit, &g, &records, &err), VOC_EINVAL);
    cr_assert(strstr(err.msg, "no column 'Coment'") && strstr(err.msg, "did you mean 'Comment'"),
              "%s", err.msg);
    const char *maps2[] = {"txt=Comment"};
    cfg.maps = maps2;
    cr_assert_eq(voc_import_file(path, &cfg, s_emit, &g, &records, &err), VOC_EINVAL);
    cr_assert(strstr(err.msg, "unknown field 'txt'") && strstr(err.msg, "'text'"), "%s", err.msg);
    const char *maps3[] = {"text"};
    cfg.maps = maps3;
    cr_assert_eq(voc_import_file(path, &cfg, s_emit, &g, &records, &err), VOC_EINVAL);
    cr_assert_eq(g.n, 0);
    const char nodata[] = "A,B\n1,2\n";
    path = s_write("csv", nodata, sizeof nodata - 1);
    cfg.maps = NULL;
    cfg.map_count = 0;
    cr_assert_eq(voc_import_file(path, &cfg, s_emit, &g, &records, &err), VOC_EINVAL);
    cr_assert(strstr(err.msg, "no text column") != NULL, "%s", err.msg);
    unlink(path);
    cr_assert_eq(voc_import_file("/nonexistent/x.csv", &cfg, s_emit, &g, &records, &err),
                 VOC_EIO);
}

Test(outbox, ordered_durable_locked_and_private)
{
    char dir[] = "/tmp/voc-outbox-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/sub/outbox.db", dir);
    voc_outbox *ob = NULL, *other = NULL;
    voc_err err;
    cr_assert_eq(voc_outbox_open(&ob, path, true, &err), 0, "%s", err.msg);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(voc_outbox_open(&other, path, true, &err), VOC_EBUSY);
    cr_assert(strstr(err.msg, "in use") != NULL, "%s", err.msg);

    cr_assert_eq(voc_outbox_begin(ob, &err), 0);
    for (int i = 0; i < 10; i++) {
        char p[32];
        snprintf(p, sizeof p, "{\"n\":%d}", i);
        cr_assert_eq(voc_outbox_put(ob, p, strlen(p), i == 3 ? "f:4" : NULL, &err), 0);
    }
    cr_assert_eq(voc_outbox_commit(ob, &err), 0);
    cr_assert_eq(voc_outbox_depth(ob), 10);
    voc_outbox_row *rows;
    size_t n;
    cr_assert_eq(voc_outbox_read(ob, 0, 4, 1 << 20, &rows, &n, &err), 0);
    cr_assert_eq(n, 4);
    cr_assert_str_eq(rows[0].payload, "{\"n\":0}");
    cr_assert_str_eq(rows[3].origin, "f:4");
    int64_t last = rows[3].id;
    cr_assert_eq(voc_outbox_delete(ob, rows[0].id, rows[3].id, &err), 0);
    voc_outbox_rows_free(rows, n);
    /* byte budget: at least one row, then stop before passing it */
    cr_assert_eq(voc_outbox_read(ob, last, 100, 10, &rows, &n, &err), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(rows[0].payload, "{\"n\":4}");
    voc_outbox_rows_free(rows, n);
    voc_outbox_destroy(&ob);

    /* Reopened (lock released): the six unacked rows are still there. */
    cr_assert_eq(voc_outbox_open(&ob, path, true, &err), 0, "%s", err.msg);
    cr_assert_eq(voc_outbox_depth(ob), 6);
    voc_outbox_destroy(&ob);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}
