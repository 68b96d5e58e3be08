/* An import big enough to be split between the import lanes (several
 * hundred records a run, two lanes): people, then vacancies of new
 * enterprises, then placements filling them past their positions. The
 * outcomes, the rows and the events must be what one transaction in line
 * order would have made: every failure on its line, each vacancy's open
 * positions right, one event per change with dense sequence numbers, and a
 * second run of the same lines changing nothing. Then the lanes' connections
 * are cut while they write: the runs committed before stay, the one cut
 * leaves nothing, and the batch sent again completes it. Last, a run whose
 * statements fail as a whole goes record by record, each refusal its own. */
#include "emp_test.h"
#include "employment_codes.h"
#include "sifang/v1/employment.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEOPLE 800
#define ENTERPRISES 40
#define VACANCIES 600
#define PLACEMENTS 700
#define FILLED 200          /* placements go to the first 200 vacancies, 3 positions each */
#define NAMED_BOTH_WAYS 10  /* vacancies named by external id on one line, by id on another */
/* Of the 700 placements and the 2 of one person (below), 105 fail; the
 * person's two end in the past and leave the status as it was. */
#define PLACED (PLACEMENTS + 2 - 105 + 2 * NAMED_BOTH_WAYS)
#define EMPLOYED (PLACED - 1)

static PGconn *db;
static sf_client_t *importer;
static emp_result_t r;

static long long
count(const char *sql)
{
    return sf_test_pg_int(db, sql);
}

typedef struct {
    char *text;
    size_t length, capacity;
} lines_t;

static void
add_line(lines_t *lines, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void
add_line(lines_t *lines, const char *format, ...)
{
    char line[1024];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(line, sizeof line, format, args);
    va_end(args);
    if (lines->length + (size_t) n + 2 > lines->capacity) {
        lines->capacity = (lines->capacity + (size_t) n + 2) * 2;
        lines->text = realloc(lines->text, lines->capacity);
        if (!lines->text)
            abort();
    }
    memcpy(lines->text + lines->length, line, (size_t) n);
    lines->length += (size_t) n;
    lines->text[lines->length++] = '\n';
    lines->text[lines->length] = 0;
}

static bool
import(const lines_t *lines)
{
    cJSON *request = cJSON_CreateObject();
    cJSON_AddStringToObject(request, "system", "qd-labour");
    cJSON_AddStringToObject(request, "text", lines->text);
    cJSON_AddBoolToObject(request, "errors_only", true);
    char *json = cJSON_PrintUnformatted(request);
    cJSON_Delete(request);
    sf_status_t status = emp_jcall(importer, "employment", "ImportBatch", &r, "%s", json);
    free(json);
    if (status != SF_OK)
        return SF_FAIL("ImportBatch: %s: %s (%s)", sf_status_name(status), r.message, r.field);
    return true;
}

/* The failed lines of the last reply, as "3 17 ..." */
static const char *
failed_lines(char *out, size_t size)
{
    out[0] = 0;
    size_t used = 0;
    for (int i = 0; i < emp_json_len(r.reply, "results"); i++) {
        char path[64];
        snprintf(path, sizeof path, "results[%d].line", i);
        used += (size_t) snprintf(out + used, size - used, "%s%lld", i ? " " : "", emp_json_int(r.reply, path));
        if (used >= size)
            break;
    }
    return out;
}

/* A unified social credit code: a body of 17 and its check character. */
static void
credit_code(int i, char out[19])
{
    char body[32];
    snprintf(body, sizeof body, "91370205%09d", 300000000 + i * 7919);
    memcpy(out, body, 17);
    out[17] = sf_credit_code_check_char(body);
    out[18] = 0;
}

/* 500 people, 250 vacancies of 2 positions and 500 placements filling
 * them, in one batch; the placements' lanes are cut while they wait for a
 * lock this test holds on the placement table. */
static void
test_cut_lanes(emp_daemons_t *daemons)
{
    lines_t batch = { 0 };
    for (int i = 1001; i <= 1500; i++)
        add_line(&batch, "{\"external_id\":\"LP-%d\",\"person\":{\"resident_id\":\"L%07d\","
                 "\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"registered_on\":\"2012-02-01\"}}", i, i);
    char code[19];
    credit_code(1, code);
    for (int v = 1001; v <= 1250; v++)
        add_line(&batch, "{\"external_id\":\"LV-%d\",\"vacancy\":{\"enterprise_credit_code\":\"%s\","
                 "\"title\":\"岗位%d\",\"occupation_code\":\"4-03-02-05\",\"positions\":2,"
                 "\"opens_on\":\"2012-01-01\"}}", v, code, v);
    for (int p = 1001; p <= 1500; p++)
        add_line(&batch, "{\"external_id\":\"LPL-%d\",\"placement\":{\"resident_id\":\"L%07d\","
                 "\"vacancy_external_id\":\"LV-%d\",\"kind\":\"PLACEMENT_KIND_ENTERPRISE\","
                 "\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"start_date\":\"2012-03-01\"}}", p, p, 1001 + (p - 1001) / 2);
    long long placements = count("SELECT count(*) FROM employment.placement");
    PGconn *locker = sf_test_pg_connect();
    sf_client_t *pipe = emp_client(daemons->employment_endpoint, "qd-labour", "service", "");
    if (!SF_CHECK(locker && pipe) || !SF_CHECK_EQ_INT(sf_test_pg_exec(locker,
            "BEGIN; LOCK TABLE employment.placement IN SHARE ROW EXCLUSIVE MODE"), 0))
        goto cleanup;
    Sifang__V1__ImportBatchRequest request = SIFANG__V1__IMPORT_BATCH_REQUEST__INIT;
    request.system = "qd-labour";
    request.text = batch.text;
    request.errors_only = true;
    SF_CHECK_EQ_INT(sf_client_send(pipe, "ImportBatch", "cut-lanes", &request.base), 0);
    SF_CHECK(emp_wait_for(db, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'sifang_employment'"
                              " AND wait_event_type = 'Lock'", 2, 20000));
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE usename = 'sifang_employment' AND wait_event_type = 'Lock') t"), 2);
    SF_CHECK_EQ_INT(sf_test_pg_exec(locker, "ROLLBACK"), 0);
    void *body = NULL;
    size_t size = 0;
    sf_reply_info_t info;
    if (SF_CHECK_EQ_INT(sf_client_recv(pipe, 20000, &body, &size, &info), 1))
        SF_CHECK_EQ_INT(info.status, SF_UNAVAILABLE);
    free(body);
    /* The people and vacancies were committed before the cut; no placement. */
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.person WHERE ext_id LIKE 'LP-1%' AND length(ext_id) = 7"),
                    500);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.vacancy WHERE open_positions = 2 AND ext_id >= 'LV-1001'"
                          " AND length(ext_id) = 7"), 250);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.placement"), placements);
    SF_CHECK_EQ_INT(count("SELECT sum(events) FROM employment.event_log"), count("SELECT seq FROM employment.event_head"));
    /* Sent again (the lanes reconnect): what was there is unchanged. */
    if (import(&batch)) {
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "created"), 500);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "unchanged"), 750);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "failed"), 0);
    }
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.placement"), placements + 500);
    /* Sys.Stats counts the two lanes' reconnects; the service loop's own
     * connection was not cut. */
    Sifang__V1__StatsRequest ask = SIFANG__V1__STATS_REQUEST__INIT;
    Sifang__V1__StatsReply *stats = NULL;
    if (SF_CHECK_EQ_INT(sf_client_call(importer, "Sys.Stats", NULL, &ask.base, &sifang__v1__stats_reply__descriptor,
                                       (ProtobufCMessage **) &stats, &info), SF_OK))
        SF_CHECK_EQ_INT(stats->database_reconnects, 2);
    if (stats)
        protobuf_c_message_free_unpacked(&stats->base, NULL);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.vacancy WHERE open_positions = 0 AND ext_id >= 'LV-1001'"
                          " AND length(ext_id) = 7"), 250);
cleanup:
    sf_client_destroy(&pipe);
    if (locker)
        PQfinish(locker);
    free(batch.text);
}

/* A run whose statements fail as a whole goes record by record, and each
 * record's failure is its own: not the run's, nor the record's before it.
 * A trigger refuses any INSERT of more than one person (so the run fails,
 * ABORTED, where each record alone goes through), and two check
 * constraints each refuse one resident: one of them named as a constraint
 * employment words for a caller, so that its words show. */
static void
test_alone_after_a_failed_run(void)
{
    if (!SF_CHECK_EQ_INT(sf_test_pg_exec(db,
            "INSERT INTO employment.ref_resident SELECT 'L' || lpad(i::text, 7, '0'), '370205001001011001',"
            " '居民' || i, 1, DATE '1980-01-01', 1 FROM generate_series(2001, 2005) i;"
            "CREATE FUNCTION employment.test_rows_reset() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN PERFORM set_config('sifang_test.rows', '0', true); RETURN NULL; END $$;"
            "CREATE FUNCTION employment.test_rows_one() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN PERFORM set_config('sifang_test.rows', (current_setting('sifang_test.rows')::int + 1)::text, true);"
            " IF current_setting('sifang_test.rows')::int > 1 THEN"
            "   RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'one person a statement';"
            " END IF; RETURN NEW; END $$;"
            "CREATE TRIGGER test_rows_reset BEFORE INSERT ON employment.person"
            " FOR EACH STATEMENT EXECUTE FUNCTION employment.test_rows_reset();"
            "CREATE TRIGGER test_rows_one BEFORE INSERT ON employment.person"
            " FOR EACH ROW EXECUTE FUNCTION employment.test_rows_one();"
            "ALTER TABLE employment.person ADD CONSTRAINT person_test_refused"
            " CHECK (resident_id <> 'L0002002') NOT VALID;"
            "ALTER TABLE employment.person ADD CONSTRAINT vacancy_dates_in_order"
            " CHECK (resident_id <> 'L0002003') NOT VALID"), 0))
        return;
    long long head = count("SELECT seq FROM employment.event_head");
    lines_t batch = { 0 };
    for (int i = 2001; i <= 2004; i++)
        add_line(&batch, "{\"external_id\":\"LP-%d\",\"person\":{\"resident_id\":\"L%07d\","
                 "\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"registered_on\":\"2012-02-01\"}}", i, i);
    char failed[64];
    if (import(&batch)) {
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "created"), 2);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "failed"), 2);
        SF_CHECK_EQ_STR(failed_lines(failed, sizeof failed), "2 3");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "results[0].error"),
                        "new row for relation \"person\" violates check constraint \"person_test_refused\"");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "results[0].field"), "");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "results[0].status"), "INVALID_ARGUMENT");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "results[1].error"), "is before opens_on");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "results[1].field"), "closes_on");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "results[1].status"), "INVALID_ARGUMENT");
    }
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.person WHERE resident_id IN ('L0002001', 'L0002004')"), 2);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.person WHERE resident_id IN ('L0002002', 'L0002003')"), 0);
    SF_CHECK_EQ_INT(count("SELECT seq FROM employment.event_head"), head + 2);
    /* A request alone: the constraint's words, on the field they name, and
     * nothing of an earlier failure. */
    sf_status_t status = emp_jcall(importer, "employment", "PersonRegister", &r,
                                   "{\"resident_id\":\"L0002003\",\"status\":\"LABOR_STATUS_UNEMPLOYED\"}");
    SF_CHECK_EQ_INT(status, SF_INVALID_ARGUMENT);
    SF_CHECK_EQ_STR(r.field, "closes_on");
    SF_CHECK_EQ_STR(r.message, "closes_on: is before opens_on");
    status = emp_jcall(importer, "employment", "PersonRegister", &r,
                       "{\"resident_id\":\"L0002005\",\"status\":\"LABOR_STATUS_UNEMPLOYED\"}");
    SF_CHECK_EQ_INT(status, SF_OK);
    SF_CHECK_EQ_STR(emp_json_str(r.reply, "resident_id"), "L0002005");
    SF_CHECK_EQ_INT(sf_test_pg_exec(db,
        "DROP TRIGGER test_rows_one ON employment.person; DROP TRIGGER test_rows_reset ON employment.person;"
        "ALTER TABLE employment.person DROP CONSTRAINT person_test_refused,"
        " DROP CONSTRAINT vacancy_dates_in_order"), 0);
    free(batch.text);
}

int
main(void)
{
    emp_daemons_t daemons;
    lines_t people = { 0 }, vacancies = { 0 }, placements = { 0 };
    char failed[4096];
    if (sf_test_pg_env("employment_lanes") != 0 || emp_daemons_init(&daemons) != 0)
        return sf_test_done();
    db = sf_test_pg_connect();
    const char *extra[] = { "SIFANG_EMPLOYMENT_IMPORT_LANES=2", NULL };
    if (!SF_CHECK(db && emp_start_employment(&daemons, extra) != NULL))
        goto cleanup;
    /* No grid here: the reference copies are written as grid's events would. */
    SF_CHECK_EQ_INT(sf_test_pg_exec(db,
        "INSERT INTO employment.ref_unit VALUES ('37020500100101', 4, '一片区', '370205001001', 36.1, 120.37, 1),"
        " ('37020500200101', 4, '三片区', '370205002001', 36.11, 120.38, 1);"
        "INSERT INTO employment.ref_household VALUES ('370205001001011001', '37020500100101', '{}', 1),"
        " ('370205002001011001', '37020500200101', '{}', 1);"
        "INSERT INTO employment.ref_resident SELECT 'L' || lpad(i::text, 7, '0'),"
        " CASE WHEN i % 2 = 0 THEN '370205001001011001' ELSE '370205002001011001' END, '居民' || i, 1 + i % 2,"
        " DATE '1980-01-01' + i, 1 FROM generate_series(1, 1500) i"), 0);
    importer = emp_client(daemons.employment_endpoint, "qd-labour", "service", "");
    long long head = count("SELECT seq FROM employment.event_head");

    /* People: line 300 names a resident grid does not know, line 500 an
     * unknown difficulty category. */
    for (int i = 1; i <= PEOPLE; i++)
        add_line(&people, "{\"external_id\":\"LP-%d\",\"person\":{\"resident_id\":\"L%07d\","
                 "\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"registered_on\":\"2012-02-01\"%s}}",
                 i, i == 300 ? 9999999 : i, i == 500 ? ",\"difficulties\":[99]" : "");
    if (import(&people)) {
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "created"), PEOPLE - 2);
        SF_CHECK_EQ_STR(failed_lines(failed, sizeof failed), "300 500");
    }
    /* Vacancies of 40 enterprises new here, each registered by the first of
     * its vacancies; line 123 closes before it opens. */
    for (int v = 1; v <= VACANCIES; v++) {
        char code[19];
        credit_code(v % ENTERPRISES, code);
        add_line(&vacancies, "{\"external_id\":\"LV-%d\",\"vacancy\":{\"enterprise_credit_code\":\"%s\","
                 "\"enterprise_name\":\"四方企业%02d\",\"title\":\"岗位%d\",\"occupation_code\":\"4-03-02-05\","
                 "\"positions\":3,\"opens_on\":\"2012-01-01\"%s}}",
                 v, code, v % ENTERPRISES, v, v == 123 ? ",\"closes_on\":\"2011-12-31\"" : "");
    }
    if (import(&vacancies)) {
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "created"), VACANCIES - 1);
        SF_CHECK_EQ_STR(failed_lines(failed, sizeof failed), "123");
    }
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.enterprise"), ENTERPRISES);
    /* Placements: vacancy k of the first 200 gets placements k, k + 200,
     * k + 400 and, for k <= 100, a fourth (k + 600) past its positions.
     * People 300 and 500 were not registered and vacancy 123 was not
     * posted; vacancy 100 lost placements 300 and 500, so its fourth (700)
     * fits and it keeps one position open. */
    for (int p = 1; p <= PLACEMENTS; p++)
        add_line(&placements, "{\"external_id\":\"LPL-%d\",\"placement\":{\"resident_id\":\"L%07d\","
                 "\"vacancy_external_id\":\"LV-%d\",\"kind\":\"PLACEMENT_KIND_ENTERPRISE\","
                 "\"source\":\"PLACEMENT_SOURCE_JOB_FAIR\",\"start_date\":\"2012-03-01\"}}",
                 p, p, 1 + (p - 1) % FILLED);
    /* Person 799 twice, full-time over overlapping dates, in two vacancies
     * (two lanes, were the lanes split by vacancy alone): the second is
     * refused, as one transaction in line order would refuse it. */
    add_line(&placements, "{\"external_id\":\"LPL-701\",\"placement\":{\"resident_id\":\"L0000799\","
             "\"vacancy_external_id\":\"LV-300\",\"kind\":\"PLACEMENT_KIND_ENTERPRISE\",\"full_time\":true,"
             "\"source\":\"PLACEMENT_SOURCE_JOB_FAIR\",\"start_date\":\"2012-03-01\",\"end_date\":\"2012-06-30\"}}");
    add_line(&placements, "{\"external_id\":\"LPL-702\",\"placement\":{\"resident_id\":\"L0000799\","
             "\"vacancy_external_id\":\"LV-301\",\"kind\":\"PLACEMENT_KIND_ENTERPRISE\",\"full_time\":true,"
             "\"source\":\"PLACEMENT_SOURCE_JOB_FAIR\",\"start_date\":\"2012-05-01\",\"end_date\":\"2012-08-31\"}}");
    /* Vacancies 401-410, which nothing else fills, named by external id for
     * people 701-710 and then by id for 711-720: one vacancy is one lane
     * key however it is named, so each pair lands in one lane's
     * transaction. */
    for (int j = 0; j < NAMED_BOTH_WAYS; j++)
        add_line(&placements, "{\"external_id\":\"LPL-%d\",\"placement\":{\"resident_id\":\"L%07d\","
                 "\"vacancy_external_id\":\"LV-%d\",\"kind\":\"PLACEMENT_KIND_ENTERPRISE\","
                 "\"source\":\"PLACEMENT_SOURCE_JOB_FAIR\",\"start_date\":\"2012-03-01\"}}", 703 + j, 701 + j, 401 + j);
    for (int j = 0; j < NAMED_BOTH_WAYS; j++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT id FROM employment.vacancy WHERE ext_id = 'LV-%d'", 401 + j);
        add_line(&placements, "{\"external_id\":\"LPL-%d\",\"placement\":{\"resident_id\":\"L%07d\","
                 "\"vacancy_id\":%lld,\"kind\":\"PLACEMENT_KIND_ENTERPRISE\","
                 "\"source\":\"PLACEMENT_SOURCE_JOB_FAIR\",\"start_date\":\"2012-03-01\"}}",
                 713 + j, 711 + j, count(sql));
    }
    char expected[4096] = "123 300 323 500 523";
    for (int p = 601; p < 700; p++)
        snprintf(expected + strlen(expected), sizeof expected - strlen(expected), " %d", p);
    strcat(expected, " 702");
    if (import(&placements)) {
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "created"), PLACED);
        SF_CHECK_EQ_STR(failed_lines(failed, sizeof failed), expected);
        SF_CHECK(strstr(emp_json_str(r.reply, "results[5].error"), "has no open positions left") != NULL);
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "results[5].field"), "vacancy_external_id");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "results[104].error"),
                        "the person already holds a full-time placement over these dates");
    }

    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.placement p JOIN employment.vacancy v ON v.id = p.vacancy_id"
                          " WHERE substr(v.ext_id, 4)::int BETWEEN 401 AND 410"), 2 * NAMED_BOTH_WAYS);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM (SELECT p.vacancy_id FROM employment.placement p"
                          "   JOIN employment.vacancy v ON v.id = p.vacancy_id"
                          "   WHERE substr(v.ext_id, 4)::int BETWEEN 401 AND 410"
                          "   GROUP BY p.vacancy_id HAVING count(DISTINCT p.xmin::text) > 1) split"), 0);

    /* The rows agree with one another. */
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.placement"), PLACED);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.vacancy v WHERE open_positions <>"
                          " positions - (SELECT count(*) FROM employment.placement p WHERE p.vacancy_id = v.id)"), 0);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.vacancy WHERE open_positions = 0"), FILLED - 2);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.person WHERE status = 1"), EMPLOYED);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.status_period"), EMPLOYED);
    /* The lanes were there: the service loop's connection and two more. */
    SF_CHECK(count("SELECT count(*) FROM pg_stat_activity WHERE usename = 'sifang_employment'"
                   " AND backend_type = 'client backend'") >= 3);

    /* One event per change, numbered densely across the lanes' commits. */
    long long now = count("SELECT seq FROM employment.event_head");
    SF_CHECK_EQ_INT(now - head, (PEOPLE - 2) + ENTERPRISES + (VACANCIES - 1) + PLACED + EMPLOYED);
    SF_CHECK_EQ_INT(count("SELECT sum(events) FROM employment.event_log"), now);
    SF_CHECK_EQ_INT(count("SELECT sum(events) FROM employment.event_log WHERE type = 'person.status_changed'"),
                    EMPLOYED);
    long long cursor = head, lines = 0, expect = head + 1;
    bool dense = true;
    while (cursor < now && emp_jcall(importer, "employment", "ExportEvents", &r, "{\"after\":%lld,\"limit\":500}",
                                     cursor) == SF_OK) {
        for (const char *line = emp_json_str(r.reply, "text"); line && *line; line = strchr(line, '\n')) {
            line += *line == '\n';
            if (!*line)
                break;
            const char *seq = strstr(line, "\"seq\":");
            dense = dense && seq && atoll(seq + 6) == expect++;
            lines++;
        }
        if (emp_json_int(r.reply, "count") == 0)
            break;
        cursor = emp_json_int(r.reply, "next_cursor");
    }
    SF_CHECK_EQ_INT(lines, now - head);
    SF_CHECK(dense);

    /* Again: nothing changes, the same lines fail, no event. */
    if (import(&placements)) {
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "created"), 0);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "unchanged"), PLACED);
        SF_CHECK_EQ_STR(failed_lines(failed, sizeof failed), expected);
    }
    SF_CHECK_EQ_INT(count("SELECT seq FROM employment.event_head"), now);
    test_cut_lanes(&daemons);
    test_alone_after_a_failed_run();
cleanup:
    free(people.text);
    free(vacancies.text);
    free(placements.text);
    emp_result_release(&r);
    sf_client_destroy(&importer);
    emp_daemons_cleanup(&daemons);
    if (db)
        PQfinish(db);
    return sf_test_done();
}
