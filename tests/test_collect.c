/* test_collect.c: the file importers, vendor exports and format detection,
 * and the durable outbox (collectors/import.h, collectors/outbox.h). The
 * vendor samples live in tests/data/exports/. */
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
    char *payload[32];
    char *origin[32];
    size_t n;
} s_got;

static int s_emit(void *user, const char *payload, size_t len, const char *origin, voc_err *err)
{
    (void)err;
    s_got *g = user;
    cr_assert_lt(g->n, 32);
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
    const char data[] = "\xEF\xBB\xBF"
                        "ID,Date,Plan,Region,Comment,Ignored\r\n"
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
    /* A spreadsheet row, and the physical line when a quoted newline came before. */
    cr_assert(strstr(g.origin[1], ":row 4 (line 5)") != NULL, "%s", g.origin[1]);
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
    cr_assert_eq(voc_import_file("/nonexistent/x.csv", &cfg, s_emit, &g, &records, &err), VOC_EIO);
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

/* ---- vendor exports and detection ---------------------------------------- */

static const char *s_attr(const char *json, const char *key)
{
    static char buf[512];
    cJSON *o = cJSON_Parse(json);
    const cJSON *v =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "attrs"), key);
    snprintf(buf, sizeof buf, "%s", cJSON_IsString(v) ? v->valuestring : "(none)");
    cJSON_Delete(o);
    return buf;
}

static char *s_export(const char *name)
{
    const char *dir = getenv("VOC_TEST_DATA");
    cr_assert_not_null(dir, "VOC_TEST_DATA is not set");
    size_t n = strlen(dir) + strlen(name) + 16;
    char *path = malloc(n);
    snprintf(path, n, "%s/exports/%s", dir, name);
    return path;
}

static voc_import_format s_detect_path(const char *path, int *rc, voc_err *err)
{
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "%s", path);
    voc_import_format fmt = VOC_IMPORT_AUTO;
    *rc = voc_import_detect(fp, path, &fmt, err);
    cr_assert_eq(ftell(fp), 0, "detect rewinds");
    fclose(fp);
    return fmt;
}

static void s_import(const char *path, const voc_import_config *cfg, s_got *g, size_t *records)
{
    voc_err err;
    *records = 0;
    cr_assert_eq(voc_import_file(path, cfg, s_emit, g, records, &err), 0, "%s: %s", path, err.msg);
}

Test(detect, vendor_exports_by_content)
{
    static const struct {
        const char *file;
        voc_import_format format;
    } cases[] = {
        {"qualtrics_nps.csv", VOC_IMPORT_QUALTRICS},
        {"delighted_responses.csv", VOC_IMPORT_DELIGHTED_CSV},
        {"typeform_responses.csv", VOC_IMPORT_TYPEFORM_CSV},
        {"zendesk_tickets.json", VOC_IMPORT_ZENDESK_JSON},
        {"zendesk_api_tickets.json", VOC_IMPORT_ZENDESK_JSON},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = s_export(cases[i].file);
        int rc;
        voc_err err;
        voc_import_format f = s_detect_path(path, &rc, &err);
        cr_assert_eq(rc, 0, "%s: %s", cases[i].file, err.msg);
        cr_assert_eq(f, cases[i].format, "%s: got %s", cases[i].file, voc_import_format_name(f));
        free(path);
    }
    /* Content wins over the extension; the extension decides the rest. */
    static const struct {
        const char *ext;
        const char *content;
        voc_import_format format;
    } inline_cases[] = {
        {"csv", "{\"text\":\"json in a .csv\"}\n", VOC_IMPORT_JSONL},
        {"txt", "id,comment\n1,fine\n", VOC_IMPORT_CSV},
        {"csv", "comment\nfine\n", VOC_IMPORT_CSV},
        {"log", "just words\n", VOC_IMPORT_JSONL},
        {"json", "[{\"id\":1,\"via\":{\"channel\":\"web\"},\"subject\":\"s\"}]",
         VOC_IMPORT_ZENDESK_JSON},
        {"csv", "ResponseID,ResponseSet,StartDate,EndDate,Q1\nResponse ID,Set,Start,End,Why?\n",
         VOC_IMPORT_QUALTRICS},
        {"csv", "Response ID,Score,Comment,Delighted Source\n1,9,ok,Email\n",
         VOC_IMPORT_DELIGHTED_CSV},
        {"csv", "Response ID,Score,Comment\n1,9,ok\n",
         VOC_IMPORT_CSV}, /* nothing Delighted's own */
    };
    for (size_t i = 0; i < sizeof inline_cases / sizeof inline_cases[0]; i++) {
        const char *path =
            s_write(inline_cases[i].ext, inline_cases[i].content, strlen(inline_cases[i].content));
        int rc;
        voc_err err;
        voc_import_format f = s_detect_path(path, &rc, &err);
        cr_assert_eq(rc, 0, "case %zu: %s", i, err.msg);
        cr_assert_eq(f, inline_cases[i].format, "case %zu: got %s", i, voc_import_format_name(f));
        unlink(path);
    }
}

Test(detect, binary_utf16_and_latin1_are_refused)
{
    static const struct {
        const char *data;
        size_t len;
        const char *why;
    } cases[] = {
        {"PK\x03\x04\x14\x00\x00\x00", 8, "binary data"},
        {"\xFF\xFEi\0d\0", 6, "UTF-16"},
        {"id,comment\n1,caf\xE9 cr\xE8me\n", 24, "not UTF-8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = s_write("csv", cases[i].data, cases[i].len);
        int rc;
        voc_err err;
        s_detect_path(path, &rc, &err);
        cr_assert_eq(rc, VOC_EPARSE, "case %zu", i);
        cr_assert(strstr(err.msg, cases[i].why) != NULL, "case %zu: %s", i, err.msg);
        /* voc_import_file with auto says the same and reads nothing */
        s_got g = {0};
        size_t records = 0;
        voc_import_config cfg = {0};
        cr_assert_eq(voc_import_file(path, &cfg, s_emit, &g, &records, &err), VOC_EPARSE);
        cr_assert_eq(g.n, 0);
        unlink(path);
    }
}

Test(detect, format_names_round_trip)
{
    const char *names[] = {"auto",          "jsonl",        "csv",         "qualtrics",
                           "delighted-csv", "typeform-csv", "zendesk-json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        voc_import_format f;
        cr_assert_eq(voc_import_format_parse(names[i], &f), 0, "%s", names[i]);
        cr_assert_str_eq(voc_import_format_name(f), names[i]);
    }
    voc_import_format f;
    cr_assert_eq(voc_import_format_parse("qualtrix", &f), VOC_EINVAL);
}

Test(vendor, qualtrics_nps_question_group_text_and_rows)
{
    char *path = s_export("qualtrics_nps.csv");
    s_got g = {0};
    size_t records;
    voc_import_config cfg = {.source = "ignored-for-vendors", .kind = VOC_KIND_TICKET};
    s_import(path, &cfg, &g, &records);
    cr_assert_eq(records, 4);
    cr_assert_eq(g.n, 4);
    /* Rows 2-3 (question texts with a newline, ImportIds) are headers: the
     * first response is spreadsheet row 4, on line 5. */
    const char *p = g.payload[0];
    cr_assert(strstr(g.origin[0], "qualtrics_nps.csv:row 4 (line 5)") != NULL, "%s", g.origin[0]);
    cr_assert_str_eq(s_field(p, "uid"), "qualtrics:R_1ABCdEfGhIjKlMn");
    cr_assert_str_eq(s_field(p, "source"), "qualtrics");
    cr_assert_str_eq(s_field(p, "kind"), "nps");
    cr_assert_str_eq(s_field(p, "score"), "3");
    cr_assert_str_eq(s_field(p, "scale"), "nps");
    cr_assert_str_eq(s_field(p, "created_at"), "2024-03-04T10:17:41Z"); /* RecordedDate */
    cr_assert_str_eq(s_field(p, "customer_id"), "CUST-1001");           /* ExternalReference */
    cr_assert_str_eq(s_field(p, "text"),
                     "Billing is confusing, and I was charged twice \"by mistake\".\n"
                     "Please refund.");
    cr_assert_str_eq(s_attr(p, "nps_group"), "detractor");
    cr_assert_str_eq(s_attr(p, "channel"), "email");
    cr_assert_str_eq(s_attr(p, "language"), "EN");
    cr_assert_str_eq(s_attr(p, "plan"), "pro"); /* embedded data */
    cr_assert_str_eq(s_attr(p, "region"), "emea");
    cr_assert(strstr(p, "203.0.113.7") == NULL && strstr(p, "Jane") == NULL,
              "no IP address or name: %s", p);

    p = g.payload[1];
    cr_assert(strstr(g.origin[1], ":row 5 (line 7)") != NULL, "%s", g.origin[1]);
    cr_assert_str_eq(s_attr(p, "nps_group"), "promoter");
    cr_assert_str_eq(s_field(p, "customer_id"), "raj@example.com"); /* email as the fallback */
    cr_assert_str_eq(s_field(p, "text"),
                     "Support answered in minutes. Great team!\n\nOnboarding docs");

    /* No text but a score: an item with empty text (NPS counts it). */
    p = g.payload[2];
    cr_assert(strstr(g.origin[2], ":row 6 (line 8)") != NULL, "%s", g.origin[2]);
    cr_assert_str_eq(s_field(p, "text"), "");
    cr_assert_str_eq(s_field(p, "uid"), "qualtrics:R_3QrStUvWxYzAbCd");
    cr_assert_str_eq(s_attr(p, "nps_group"), "passive");

    /* NPS skipped: no score, still the NPS survey's kind. */
    p = g.payload[3];
    cr_assert_str_eq(s_field(p, "score"), "(none)");
    cr_assert_str_eq(s_field(p, "text"), "Das Dashboard ist sehr langsam.");
    cr_assert_str_eq(s_attr(p, "language"), "DE");
    s_free(&g);

    /* --map overrides the layout: one text column, the e-mail as the customer. */
    g = (s_got){0};
    const char *maps[] = {"text=Q2,customer_id=RecipientEmail,attr:tier=plan"};
    cfg = (voc_import_config){.format = VOC_IMPORT_QUALTRICS, .maps = maps, .map_count = 1};
    s_import(path, &cfg, &g, &records);
    cr_assert_str_eq(s_field(g.payload[1], "text"), "Support answered in minutes. Great team!");
    cr_assert_str_eq(s_field(g.payload[0], "customer_id"), "jane@example.com");
    cr_assert_str_eq(s_attr(g.payload[0], "tier"), "pro");
    s_free(&g);
    free(path);
}

Test(vendor, qualtrics_legacy_and_choice_text_exports)
{
    /* Two header rows (no ImportId row), choice text for the NPS answer. */
    const char data[] =
        "ResponseID,ResponseSet,StartDate,EndDate,Finished,Q1_NPS_GROUP,Q1,Q2,Q2_TEXT\r\n"
        "Response ID,Response Set,Start Date,End Date,Finished,"
        "How likely - Group,How likely,Why?,Why? - Text\r\n"
        "R_9,Default Response Set,2023-01-02 03:04:05,2023-01-02 03:05:00,1,"
        "Promoter,10 - Extremely likely,,Great value\r\n"
        "R_8,Default Response Set,2023-01-03 03:04:05,not a date,1,"
        "Detractor,0 - Not at all likely,,Slow\r\n";
    const char *path = s_write("csv", data, sizeof data - 1);
    s_got g = {0};
    size_t records;
    voc_import_config cfg = {0};
    s_import(path, &cfg, &g, &records);
    cr_assert_eq(g.n, 2);
    cr_assert(strstr(g.origin[0], ":row 3") != NULL, "%s", g.origin[0]);
    cr_assert_str_eq(s_field(g.payload[0], "score"), "10");
    cr_assert_str_eq(s_attr(g.payload[0], "nps_group"), "promoter");
    cr_assert_str_eq(s_field(g.payload[0], "text"), "Great value");
    cr_assert_str_eq(s_field(g.payload[0], "created_at"), "2023-01-02T03:05:00Z"); /* EndDate */
    /* A bad date: the record goes on raw, the processor says why. */
    cr_assert_str_eq(s_field(g.payload[1], "created_at"), "not a date");
    cr_assert_str_eq(s_field(g.payload[1], "received_at"), "(none)", "not normalized");
    s_free(&g);
    g = (s_got){0};
    unlink(path);

    /* No free-text question at all: nothing to analyse, say so. */
    const char nodata[] = "StartDate,ResponseId,Q1_NPS_GROUP,Q1\nStart,Id,G,Q\n"
                          "{\"ImportId\":\"startDate\"},{\"ImportId\":\"_recordId\"},"
                          "{\"ImportId\":\"QID1_NPS_GROUP\"},{\"ImportId\":\"QID1\"}\n"
                          "2024-01-01,R_1,3,9\n";
    path = s_write("csv", nodata, sizeof nodata - 1);
    voc_err err;
    cfg.format = VOC_IMPORT_QUALTRICS;
    cr_assert_eq(voc_import_file(path, &cfg, s_emit, &g, &records, &err), VOC_EINVAL);
    cr_assert(strstr(err.msg, "no text column") != NULL, "%s", err.msg);
    cr_assert_eq(g.n, 0);
    unlink(path);
}

Test(vendor, delighted_score_comment_properties)
{
    char *path = s_export("delighted_responses.csv");
    s_got g = {0};
    size_t records;
    voc_import_config cfg = {0};
    s_import(path, &cfg, &g, &records);
    cr_assert_eq(records, 4);
    const char *p = g.payload[0];
    cr_assert_str_eq(s_field(p, "uid"), "delighted:102345");
    cr_assert_str_eq(s_field(p, "source"), "delighted");
    cr_assert_str_eq(s_field(p, "kind"), "nps");
    cr_assert_str_eq(s_field(p, "score"), "3");
    cr_assert_str_eq(s_field(p, "scale"), "nps");
    cr_assert_str_eq(s_field(p, "created_at"), "2024-04-18T05:34:20Z"); /* " UTC" read */
    cr_assert_str_eq(s_field(p, "customer_id"), "ana@example.com");
    cr_assert_str_eq(s_attr(p, "tags"), "bug,mobile");
    cr_assert_str_eq(s_attr(p, "delighted_source"), "Email");
    cr_assert_str_eq(s_attr(p, "Plan"), "pro");
    cr_assert_str_eq(s_attr(p, "Country"), "ES");
    cr_assert(strstr(p, "Ana Ruiz") == NULL && strstr(p, "app.delighted.com") == NULL, "%s", p);
    cr_assert_str_eq(s_field(g.payload[1], "text"),
                     "Love it.\nThe new reports save me an hour a week.");
    cr_assert(strstr(g.origin[2], ":row 4 (line 5)") != NULL, "%s", g.origin[2]);
    cr_assert_str_eq(s_field(g.payload[2], "text"), "", "a score alone: an item with empty text");
    cr_assert_str_eq(s_field(g.payload[3], "text"), "Pricing went up, \"value\" did not.");
    s_free(&g);
    free(path);

    /* Other survey types: CSAT is a 1-5 rating; CES has no voc scale. */
    const char data[] = "Response ID,Date,Score,Comment,Survey type,Delighted Source\n"
                        "7,2024-01-01 00:00:00 UTC,4,Quick delivery,csat,Email\n"
                        "8,2024-01-01 00:00:00 UTC,6,Easy enough,ces,Email\n";
    const char *tmp = s_write("csv", data, sizeof data - 1);
    g = (s_got){0};
    s_import(tmp, &cfg, &g, &records);
    cr_assert_str_eq(s_field(g.payload[0], "scale"), "rating");
    cr_assert_str_eq(s_field(g.payload[0], "kind"), "survey");
    cr_assert_str_eq(s_field(g.payload[1], "score"), "(none)");
    cr_assert_str_eq(s_attr(g.payload[1], "score"), "6");
    cr_assert_str_eq(s_attr(g.payload[1], "survey_type"), "ces");
    cr_assert_str_eq(s_field(g.payload[1], "kind"), "survey");
    s_free(&g);
    unlink(tmp);
}

Test(vendor, typeform_token_score_text_hidden_fields)
{
    char *path = s_export("typeform_responses.csv");
    s_got g = {0};
    size_t records;
    voc_import_config cfg = {0};
    s_import(path, &cfg, &g, &records);
    cr_assert_eq(records, 3);
    const char *p = g.payload[0];
    cr_assert_str_eq(s_field(p, "uid"), "typeform:a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6");
    cr_assert_str_eq(s_field(p, "source"), "typeform");
    cr_assert_str_eq(s_field(p, "kind"), "nps");
    cr_assert_str_eq(s_field(p, "score"), "4");
    cr_assert_str_eq(s_field(p, "created_at"), "2024-05-02T09:12:40Z"); /* Submit Date */
    cr_assert_str_eq(s_field(p, "customer_id"), "u-501");               /* hidden user_id */
    cr_assert_str_eq(s_field(p, "text"),
                     "The export to Excel keeps timing out, and support never replied.");
    cr_assert_str_eq(s_attr(p, "plan"), "pro"); /* hidden field */
    cr_assert_str_eq(s_attr(p, "response_type"), "completed");
    cr_assert(strstr(p, "Reports") == NULL, "a choice answer is not text: %s", p);
    cr_assert_str_eq(s_attr(g.payload[1], "tags"), "beta");
    /* A partial response without answers: no text, rejected later. */
    cr_assert_str_eq(s_field(g.payload[2], "text"), "(none)");
    cr_assert_str_eq(s_attr(g.payload[2], "response_type"), "partial");
    s_free(&g);
    free(path);
}

Test(vendor, zendesk_tickets_per_line_and_document)
{
    const char *files[] = {"zendesk_tickets.json", "zendesk_api_tickets.json"};
    for (size_t f = 0; f < 2; f++) {
        char *path = s_export(files[f]);
        s_got g = {0};
        size_t records;
        voc_import_config cfg = {0};
        s_import(path, &cfg, &g, &records);
        cr_assert_eq(records, f == 0 ? 3 : 2, "%s", files[f]);
        const char *p = g.payload[0];
        cr_assert_str_eq(s_field(p, "uid"), "zendesk:35436");
        cr_assert_str_eq(s_field(p, "source"), "zendesk");
        cr_assert_str_eq(s_field(p, "kind"), "ticket");
        cr_assert_str_eq(s_field(p, "subject"), "Refund for double charge");
        cr_assert(strncmp(s_field(p, "text"), "Hi, I was charged twice", 23) == 0, "%s", p);
        cr_assert_str_eq(s_field(p, "created_at"), "2024-03-09T16:02:11Z");
        cr_assert_str_eq(s_field(p, "customer_id"), "20978392");
        cr_assert_str_eq(s_field(p, "account"), "509974");
        cr_assert_str_eq(s_attr(p, "tags"), "billing,refund");
        cr_assert_str_eq(s_attr(p, "status"), "solved");
        cr_assert_str_eq(s_attr(p, "priority"), "high");
        cr_assert_str_eq(s_attr(p, "channel"), "email");
        cr_assert_str_eq(s_attr(p, "satisfaction"), "good");
        /* No description: the first comment. Not rated: no satisfaction. */
        cr_assert_str_eq(s_field(g.payload[1], "text"),
                         "Since yesterday the dashboard takes 30 seconds to load.");
        cr_assert_str_eq(s_attr(g.payload[1], "satisfaction"), "(none)");
        cr_assert(strstr(g.origin[1], f == 0 ? "zendesk_tickets.json:2" : ":ticket 2") != NULL,
                  "%s", g.origin[1]);
        if (f == 0)
            cr_assert_str_eq(s_field(g.payload[2], "text"), "(none)", "a call with no text");
        s_free(&g);
        free(path);
    }

    /* --map with key paths; a line that is not JSON goes on raw. */
    const char data[] = "{\"id\":1,\"via\":{\"channel\":\"web\"},\"subject\":\"Login\","
                        "\"description\":\"Cannot log in\",\"brand_id\":77,\"requester_id\":5}\n"
                        "{\"id\":2,\"requester_id\":6,\"subject\":\"trunc\n";
    const char *tmp = s_write("json", data, sizeof data - 1);
    const char *maps[] = {"text=subject,attr:brand=brand_id"};
    voc_import_config cfg = {.format = VOC_IMPORT_ZENDESK_JSON, .maps = maps, .map_count = 1};
    s_got g = {0};
    size_t records;
    s_import(tmp, &cfg, &g, &records);
    cr_assert_eq(g.n, 2);
    cr_assert_str_eq(s_field(g.payload[0], "text"), "Login");
    cr_assert_str_eq(s_attr(g.payload[0], "brand"), "77");
    cr_assert_str_eq(g.payload[1], "{\"id\":2,\"requester_id\":6,\"subject\":\"trunc");
    cr_assert(strstr(g.origin[1], ":2") != NULL, "%s", g.origin[1]);
    s_free(&g);
    unlink(tmp);

    /* A document that is not JSON at all cannot be imported. */
    const char bad[] = "{\n  \"tickets\": [ {\"id\": 1,\n";
    tmp = s_write("json", bad, sizeof bad - 1);
    voc_err err;
    cfg = (voc_import_config){.format = VOC_IMPORT_ZENDESK_JSON};
    cr_assert_eq(voc_import_file(tmp, &cfg, s_emit, &g, &records, &err), VOC_EPARSE);
    cr_assert(strstr(err.msg, "not valid JSON") != NULL, "%s", err.msg);
    unlink(tmp);
}
