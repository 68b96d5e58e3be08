/* Concurrent writers under a fault and the reckoning afterwards. */
#include "fault_load.h"
#include "http_client.h"
#include "sf_config.h"
#include "sf_json.h"
#include "sf_registry.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FL_MAX_PER_KIND 3000

enum { SENT_NOT = 0, SENT_ACKED, SENT_REFUSED, SENT_UNKNOWN };

static const char *const kind_names[FL_KINDS] = { "resident", "case", "visit", "course", "kpi", "gwcase" };
/* The service each kind writes to and the SQL that finds its rows by the
 * request's text: schema, table, column. */
static const int kind_service[FL_KINDS] = { HS_GRID, HS_INTAKE, HS_VOLUNTEER, HS_EMPLOYMENT, HS_EVALUATION, HS_INTAKE };
static const char *const kind_rows[FL_KINDS] = {
    "SELECT name, count(*) FROM grid.resident WHERE name LIKE '%s%%' GROUP BY 1",
    "SELECT description, count(*) FROM intake.intake_case WHERE description LIKE '%s%%' GROUP BY 1",
    "SELECT note, count(*) FROM volunteer.visit WHERE note LIKE '%s%%' GROUP BY 1",
    "SELECT title, count(*) FROM employment.course WHERE title LIKE '%s%%' GROUP BY 1",
    "SELECT code, count(*) FROM evaluation.kpi WHERE code LIKE '%s%%' GROUP BY 1",
    "SELECT description, count(*) FROM intake.intake_case WHERE description LIKE '%s%%' GROUP BY 1",
};

typedef struct {
    fl_load_t *load;
    int kind;
    pthread_t thread;
    int n;
    unsigned char fate[FL_MAX_PER_KIND];
} fl_writer_t;

struct fl_load_t {
    hs_suite_t *suite;
    char fault[48];
    unsigned kinds;
    atomic_bool stop;
    atomic_long acknowledged;
    atomic_long twins;            /* original and retry both answered OK */
    atomic_long twins_wrong;      /* ... but not as one write and its replay */
    fl_writer_t writers[FL_KINDS];
};

typedef struct {
    char fault[48];
    long sent, acknowledged, found, duplicates, lost, half_written, unknown, twins;
} fl_row_t;
static fl_row_t rows[32];
static int n_rows;
static char gateway_key[128];

void
fl_set_gateway_key(const char *key)
{
    snprintf(gateway_key, sizeof gateway_key, "%s", key);
}

void
fl_pause_ms(int ms)
{
    struct timespec pause = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep(&pause, NULL);
}

static void
text_of(const fl_load_t *load, int kind, int i, char *out, size_t size)
{
    snprintf(out, size, "%s_%s_%d", load->fault, kind_names[kind], i);
}

static const char *
year_half(char *out, size_t size, bool half)
{
    time_t now = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    if (half)
        snprintf(out, size, "%04d-H%d", (tm.tm_year + 1900) % 10000, tm.tm_mon < 6 ? 1 : 2);
    else
        snprintf(out, size, "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
    return out;
}

/* Sends the request and, at once behind it on the same socket, its retry
 * (same request id), as a client whose timeout fired early would: the two
 * arrive together and are taken into one batch. Both answered OK must be
 * one write and its replay, byte for byte. The fate; SENT_UNKNOWN when
 * either reply is missing or says to retry (the caller then retries as a
 * client does). */
static int
send_twins(fl_load_t *load, sf_client_t *client, const char *service, const char *method, const char *request_id,
           const char *json)
{
    const ProtobufCMethodDescriptor *rpc = sf_registry_method(service, method);
    char field[128], error[256];
    ProtobufCMessage *request = rpc ? sf_json_parse_message(rpc->input, json, strlen(json), field, sizeof field,
                                                            error, sizeof error) : NULL;
    if (!request) {
        SF_FAIL("%s.%s: %s does not map", service, method, json);
        return SENT_REFUSED;
    }
    int fate = SENT_UNKNOWN;
    void *bodies[2] = { NULL, NULL };
    size_t sizes[2] = { 0, 0 };
    sf_status_t statuses[2] = { SF_UNAVAILABLE, SF_UNAVAILABLE };
    bool replayed[2] = { false, false };
    int answered = 0;
    if (sf_client_send(client, method, request_id, request) == 0
        && sf_client_send(client, method, request_id, request) == 0) {
        int64_t until = sf_clock_ms() + 1500;
        while (answered < 2 && sf_clock_ms() < until) {
            sf_reply_info_t info;
            void *body = NULL;
            size_t size = 0;
            if (sf_client_recv(client, (int) (until - sf_clock_ms()), &body, &size, &info) != 1)
                break;
            /* A late reply to an earlier write's attempt: not ours. */
            if (!info.request_id || strcmp(info.request_id, request_id) != 0) {
                free(body);
                continue;
            }
            bodies[answered] = body;
            sizes[answered] = size;
            statuses[answered] = info.status;
            replayed[answered++] = info.replayed;
        }
    }
    protobuf_c_message_free_unpacked(request, NULL);
    if (answered == 2 && statuses[0] == SF_OK && statuses[1] == SF_OK) {
        atomic_fetch_add(&load->twins, 1);
        /* The first answered may be a replay too: a retry of an earlier,
         * unanswered attempt that committed. */
        if (!replayed[1] || sizes[0] != sizes[1] || memcmp(bodies[0], bodies[1], sizes[0]) != 0) {
            atomic_fetch_add(&load->twins_wrong, 1);
            SF_FAIL("%s: %s and its retry in one batch were not one write and its replay", load->fault, request_id);
        }
        fate = SENT_ACKED;
    } else if (answered == 2 && statuses[0] == statuses[1] && statuses[0] != SF_UNAVAILABLE
               && statuses[0] != SF_DEADLINE_EXCEEDED)
        fate = SENT_REFUSED;
    free(bodies[0]);
    free(bodies[1]);
    return fate;
}

/* One write of the kind; its fate. */
static int
write_one(fl_writer_t *writer, sf_client_t *client, int i)
{
    fl_load_t *load = writer->load;
    const hs_district_t *d = &load->suite->district;
    char text[96], json[1536];
    text_of(load, writer->kind, i, text, sizeof text);
    const char *household = d->households[i % 2][i % HS_MAX_HOUSEHOLDS];
    switch (writer->kind) {
    case FL_RESIDENT:
        snprintf(json, sizeof json, "{\"household_code\":\"%s\",\"name\":\"%s\",\"relation\":\"child\"}", household,
                 text);
        break;
    case FL_CASE: case FL_GATEWAY_CASE:
        snprintf(json, sizeof json,
                 "{\"channel\":\"CASE_CHANNEL_%s\",\"item_code\":\"residence-certificate\",\"description\":\"%s\","
                 "\"requester\":{\"kind\":\"REQUESTER_KIND_RESIDENT\",\"household_code\":\"%s\",\"name\":\"x\"}}",
                 writer->kind == FL_CASE ? "WINDOW" : "WEBSITE", text, household);
        break;
    case FL_VISIT:
        snprintf(json, sizeof json, "{\"staff_id\":\"%s\",\"household_code\":\"%s\",\"kind\":\"CONTACT_KIND_VISIT\","
                 "\"note\":\"%s\"}", d->staff[i % 2], household, text);
        break;
    case FL_COURSE:
        snprintf(json, sizeof json, "{\"code\":\"C-%s\",\"title\":\"%s\",\"hours\":8}", text, text);
        break;
    default:
        snprintf(json, sizeof json, "{\"code\":\"%s\",\"name\":\"%s\",\"numerator\":\"#{residents}\"}", text, text);
        break;
    }
    if (writer->kind == FL_GATEWAY_CASE) {
        /* Through the gateway: retried with the same Idempotency-Key. */
        char headers[512];
        snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\nIdempotency-Key: %s\r\n", gateway_key,
                 text);
        for (int attempt = 0; attempt < 4; attempt++) {
            http_reply_t reply;
            int status = http_request(load->suite->http_port, "POST", "/v1/intake/cases", headers, json, strlen(json),
                                      &reply);
            http_reply_release(&reply);
            if (status == 201 || status == 200)
                return SENT_ACKED;
            if (status >= 400 && status < 500 && status != 429 && status != 408)
                return SENT_REFUSED;
            fl_pause_ms(300);
        }
        return SENT_UNKNOWN;
    }
    const char *service = hs_services[kind_service[writer->kind]];
    const char *method = writer->kind == FL_RESIDENT ? "ResidentCreate"
                       : writer->kind == FL_VISIT    ? "VisitRecord"
                       : writer->kind == FL_COURSE   ? "CourseCreate"
                       : writer->kind == FL_KPI      ? "KpiDefine"
                                                     : "CaseSubmit";
    int fate = send_twins(load, client, service, method, text, json);
    if (fate != SENT_UNKNOWN)
        return fate;
    /* Unanswered: the client's ordinary retries, same request id. */
    sf_reply_info_t info;
    sf_status_t status = hs_call(client, service, method, text, json, NULL, &info);
    if (status == SF_OK)
        return SENT_ACKED;
    if (status == SF_UNAVAILABLE || status == SF_DEADLINE_EXCEEDED)
        return SENT_UNKNOWN;
    return SENT_REFUSED;
}

static void *
writer_main(void *arg)
{
    fl_writer_t *writer = arg;
    fl_load_t *load = writer->load;
    sf_client_t *client = NULL;
    if (writer->kind != FL_GATEWAY_CASE)
        client = hs_client(load->suite, kind_service[writer->kind], "admin", 1500, 4);
    while (!atomic_load(&load->stop) && writer->n < FL_MAX_PER_KIND) {
        int i = writer->n;
        int fate = write_one(writer, client, i);
        writer->fate[i] = (unsigned char) fate;
        writer->n++;
        if (fate == SENT_ACKED)
            atomic_fetch_add(&load->acknowledged, 1);
        fl_pause_ms(fate == SENT_ACKED ? 3 : 50);
    }
    sf_client_destroy(&client);
    return NULL;
}

fl_load_t *
fl_start(hs_suite_t *suite, const char *fault, unsigned kinds)
{
    fl_load_t *load = calloc(1, sizeof *load);
    load->suite = suite;
    snprintf(load->fault, sizeof load->fault, "%s", fault);
    load->kinds = kinds;
    for (int k = 0; k < FL_KINDS; k++) {
        load->writers[k].load = load;
        load->writers[k].kind = k;
        if (kinds & (1u << k))
            pthread_create(&load->writers[k].thread, NULL, writer_main, &load->writers[k]);
    }
    return load;
}

long
fl_acknowledged(const fl_load_t *load)
{
    return atomic_load(&((fl_load_t *) load)->acknowledged);
}

/* The count of key in a result of "SELECT key, count(*) ... GROUP BY 1". */
static long
count_for(PGresult *result, const char *key)
{
    /* Few rows per fault: a linear scan is fine. */
    for (int r = 0; r < PQntuples(result); r++)
        if (strcmp(PQgetvalue(result, r, 0), key) == 0)
            return atol(PQgetvalue(result, r, 1));
    return 0;
}

static PGresult *
query(PGconn *db, const char *format, const char *prefix)
{
    char sql[512];
    snprintf(sql, sizeof sql, format, prefix);
    PGresult *result = PQexec(db, sql);
    if (PQresultStatus(result) != PGRES_TUPLES_OK)
        SF_FAIL("%s: %s", sql, PQresultErrorMessage(result));
    return result;
}

void
fl_finish(fl_load_t **load_p)
{
    fl_load_t *load = *load_p;
    atomic_store(&load->stop, true);
    for (int k = 0; k < FL_KINDS; k++)
        if (load->kinds & (1u << k))
            pthread_join(load->writers[k].thread, NULL);
    fl_row_t *row = &rows[n_rows < 31 ? n_rows++ : 31];
    memset(row, 0, sizeof *row);
    snprintf(row->fault, sizeof row->fault, "%s", load->fault);
    PGconn *db = load->suite->db;
    for (int k = 0; k < FL_KINDS; k++) {
        if (!(load->kinds & (1u << k)))
            continue;
        fl_writer_t *writer = &load->writers[k];
        char prefix[96];
        snprintf(prefix, sizeof prefix, "%s_%s_", load->fault, kind_names[k]);
        const char *schema = hs_services[kind_service[k]];
        /* Request ids may carry a prefix of the forwarder's (the gateway's). */
        char sql[768];
        PGresult *found_rows = query(db, kind_rows[k], prefix);
        snprintf(sql, sizeof sql,
                 "SELECT substring(request_id from '%s.*'), count(*) FROM %s.event_log WHERE request_id LIKE '%%%s%%'"
                 " GROUP BY 1", prefix, schema, prefix);
        PGresult *events = PQexec(db, sql);
        snprintf(sql, sizeof sql,
                 "SELECT substring(request_id from '%s.*'), count(*) FROM %s.request_log WHERE request_id LIKE '%%%s%%'"
                 " GROUP BY 1", prefix, schema, prefix);
        PGresult *requests = PQexec(db, sql);
        bool emits = PQntuples(events) > 0;   /* the kind emits events (not every write does) */
        bool logs_requests = PQntuples(requests) > 0;
        for (int i = 0; i < writer->n; i++) {
            char key[96];
            text_of(load, k, i, key, sizeof key);
            long found = count_for(found_rows, key);
            long event_count = emits ? count_for(events, key) : found;
            long request_count = logs_requests ? count_for(requests, key) : found;
            row->sent++;
            row->found += found > 0;
            if (found > 1) {
                row->duplicates++;
                SF_FAIL("%s: %s written %ld times", load->fault, key, found);
            }
            if (writer->fate[i] == SENT_ACKED) {
                row->acknowledged++;
                if (found == 0) {
                    row->lost++;
                    SF_FAIL("%s: acknowledged %s is not there", load->fault, key);
                }
            } else if (writer->fate[i] == SENT_UNKNOWN)
                row->unknown++;
            else if (found) {
                SF_FAIL("%s: refused %s is there", load->fault, key);
            }
            if (found <= 1 && (event_count != found || request_count != found)) {
                row->half_written++;
                SF_FAIL("%s: %s half-written: %ld rows, %ld events, %ld idempotency records", load->fault, key, found,
                        event_count, request_count);
            }
        }
        PQclear(found_rows);
        PQclear(events);
        PQclear(requests);
    }
    row->twins = atomic_load(&load->twins);
    SF_CHECK(row->acknowledged > 0);
    SF_CHECK(row->twins > 0 || !(load->kinds & ~(1u << FL_GATEWAY_CASE)));
    SF_CHECK_EQ_INT(atomic_load(&load->twins_wrong), 0);
    free(load);
    *load_p = NULL;
}

bool
fl_converged(hs_suite_t *suite, int timeout_ms)
{
    char period[16], today[16];
    year_half(period, sizeof period, true);
    year_half(today, sizeof today, false);
    (void) today;
    struct { const char *fact; const char *sql; } checks[] = {
        { "households", "SELECT count(*) FROM grid.household" },
        { "residents", "SELECT count(*) FROM grid.resident" },
        { "cases_received", "SELECT count(*) FROM intake.intake_case" },
        { "cadre_visits", "SELECT count(*) FROM volunteer.visit" },
        /* Levels moved at each step's time: at the half-year's end, intake's now. */
        { "cases_open", "SELECT count(*) FROM intake.intake_case WHERE status BETWEEN 1 AND 4" },
        { "cases_backlog", "SELECT count(*) FROM intake.intake_case WHERE status BETWEEN 1 AND 4 AND overdue" },
    };
    const size_t n = sizeof checks / sizeof *checks;
    double evaluation[8] = { 0 };
    long long sources[8] = { 0 };
    for (int waited = 0; waited <= timeout_ms; waited += 250) {
        char json[256];
        snprintf(json, sizeof json, "{\"facts\":[\"households\",\"residents\",\"cases_received\",\"cadre_visits\","
                 "\"cases_open\",\"cases_backlog\"],"
                 "\"period\":\"%s\",\"unit_code\":\"370205\"}", period);
        cJSON *reply = NULL;
        bool equal = hs_call(suite->admin[HS_EVALUATION], "evaluation", "FactValues", NULL, json, &reply, NULL)
                     == SF_OK;
        for (size_t c = 0; c < n; c++) {
            sources[c] = sf_test_pg_int(suite->db, checks[c].sql);
            evaluation[c] = -1;
            const cJSON *values = cJSON_GetObjectItemCaseSensitive(reply, "values"), *value;
            cJSON_ArrayForEach(value, values)
                if (strcmp(hs_text(value, "fact"), checks[c].fact) == 0
                    && strcmp(hs_text(value, "unit_code"), "370205") == 0) {
                    const cJSON *v = cJSON_GetObjectItemCaseSensitive(value, "value");
                    evaluation[c] = cJSON_IsNumber(v) ? v->valuedouble : cJSON_IsRaw(v) ? atof(v->valuestring) : -1;
                }
            equal = equal && evaluation[c] == (double) sources[c];
        }
        cJSON_Delete(reply);
        if (equal)
            return SF_CHECK(true);
        fl_pause_ms(250);
    }
    for (size_t c = 0; c < n; c++)
        printf("  %-16s evaluation %.0f, sources %lld\n", checks[c].fact, evaluation[c], sources[c]);
    return SF_FAIL("evaluation's figures did not converge to the sources' within %d ms", timeout_ms);
}

int
fl_summary(void)
{
    int bad = 0;
    printf("\n%-22s %8s %12s %8s %11s %6s %8s %13s %13s\n", "fault", "sent", "acknowledged", "found", "duplicates",
           "lost", "unknown", "half-written", "retry-twins");
    for (int r = 0; r < n_rows; r++) {
        printf("%-22s %8ld %12ld %8ld %11ld %6ld %8ld %13ld %13ld\n", rows[r].fault, rows[r].sent,
               rows[r].acknowledged, rows[r].found, rows[r].duplicates, rows[r].lost, rows[r].unknown,
               rows[r].half_written, rows[r].twins);
        bad += rows[r].duplicates || rows[r].lost || rows[r].half_written;
    }
    return bad;
}
