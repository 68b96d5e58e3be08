/* The exchange with external labour-market systems: ImportBatch takes JSON
 * Lines of people, placements and vacancies, each line a record keyed by
 * (system, external id), applied wholly or not at all with a result per line;
 * ExportEvents is the change feed, this service's events since a cursor in
 * the same JSON. */
#include "employment.h"
#include "sf_eventlog.h"
#include "sf_json.h"
#include "sf_textbuf.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum { KIND_NONE, KIND_PERSON, KIND_PLACEMENT, KIND_VACANCY } record_kind_t;

static const char *const kind_names[] = { "", "person", "placement", "vacancy" };

typedef struct {
    Sifang__V1__ExchangeRecord *record;   /* parsed (sf_json: malloc'd) */
    record_kind_t kind;
    const ProtobufCMessage *body;         /* the person, placement or vacancy */
} line_t;

static const emp_apply_fn apply_of[] = { NULL, emp_person_apply, emp_placement_apply, emp_vacancy_apply };

/* The rows the record writes in common with others of its kind, so that
 * records linked by them go to one import lane (employment_lanes.c): a
 * placement's person (one full-time job at a time) and vacancy (its open
 * positions); a vacancy's enterprise (the first vacancy naming it registers
 * it); a person. A vacancy named by its external id gets a key of its own
 * here; vacancy_keys_by_id makes it the id's where the run also names
 * vacancies by id. */
static void
lane_keys(sf_call_t *call, const line_t *line, const char **keys)
{
    keys[0] = keys[1] = NULL;
    switch (line->kind) {
    case KIND_PERSON:
        keys[0] = sf_call_printf(call, "person\x1f%s", ((const Sifang__V1__Person *) line->body)->resident_id);
        break;
    case KIND_VACANCY:
        keys[0] = ((const Sifang__V1__Vacancy *) line->body)->enterprise_credit_code;
        break;
    case KIND_PLACEMENT: {
        const Sifang__V1__Placement *placement = (const Sifang__V1__Placement *) line->body;
        keys[0] = sf_call_printf(call, "person\x1f%s", placement->resident_id);
        if (placement->vacancy_id)
            keys[1] = sf_call_printf(call, "vacancy\x1f%lld", (long long) placement->vacancy_id);
        else if (*placement->vacancy_external_id)
            keys[1] = sf_call_printf(call, "vacancy\x1e%s", placement->vacancy_external_id);
        break;
    }
    default:
        break;
    }
}

/* A vacancy named by its id on one line and by its external id on another
 * is one vacancy, and must be one lane key, or two lanes would fill its
 * positions at once and the line that loses might be the earlier one. In a
 * placement run that names vacancies both ways, each external id is looked
 * up (runs hold one kind: no vacancy is posted meanwhile) and keyed by the
 * id it stands for. One statement, only for such runs. */
static bool
names_vacancy_externally(const ProtobufCMessage *body, const emp_item_t *item)
{
    const Sifang__V1__Placement *placement = (const Sifang__V1__Placement *) body;
    return !placement->vacancy_id && *placement->vacancy_external_id && item->system;
}

static sf_status_t
vacancy_keys_by_id(sf_call_t *call, const ProtobufCMessage *const *bodies, const emp_item_t *items,
                   const char **keys, size_t n)
{
    bool by_id = false, by_external = false;
    for (size_t i = 0; i < n; i++) {
        by_id = by_id || ((const Sifang__V1__Placement *) bodies[i])->vacancy_id;
        by_external = by_external || names_vacancy_externally(bodies[i], &items[i]);
    }
    if (!by_id || !by_external)
        return SF_OK;
    sf_binarray_t systems, externals;
    sf_binarray_init(&systems, SF_OID_TEXT);
    sf_binarray_init(&externals, SF_OID_TEXT);
    for (size_t i = 0; i < n; i++) {
        bool external = names_vacancy_externally(bodies[i], &items[i]);
        sf_binarray_text(&systems, external ? items[i].system : NULL);
        sf_binarray_text(&externals,
                         external ? ((const Sifang__V1__Placement *) bodies[i])->vacancy_external_id : NULL);
    }
    sf_params_t params;
    sf_params_init(&params);
    sf_binarray_param(&systems, &params);
    sf_binarray_param(&externals, &params);
    PGresult *found = emp_try(call,
        "SELECT k.ord, v.id FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(system, ext, ord)"
        " JOIN vacancy v ON v.ext_system = k.system AND v.ext_id = k.ext", &params);
    sf_binarray_release(&systems);
    sf_binarray_release(&externals);
    if (!found)
        return sf_call_status(call);
    for (int row = 0; row < PQntuples(found); row++) {
        size_t i = (size_t) sf_db_int(found, row, 0) - 1;
        if (i < n)
            keys[i * EMP_LANE_KEYS + 1] = sf_call_printf(call, "vacancy\x1f%lld", (long long) sf_db_int(found, row, 1));
    }
    PQclear(found);
    return SF_OK;
}

/* Reads one line into a record, or fails its item. */
static void
read_line(sf_call_t *call, const char *text, size_t length, const char *batch_system, line_t *line,
          emp_item_t *item)
{
    char field[128] = "", error[256] = "";
    ProtobufCMessage *message = sf_json_parse_message(&sifang__v1__exchange_record__descriptor, text, length,
                                                      field, sizeof field, error, sizeof error);
    if (!message) {
        if (!*field)
            emp_item_fail(call, item, SF_INVALID_ARGUMENT, "", "malformed JSON: %s", error);
        else
            emp_item_fail(call, item, SF_INVALID_ARGUMENT, field, "%s", error);
        return;
    }
    Sifang__V1__ExchangeRecord *record = (Sifang__V1__ExchangeRecord *) message;
    line->record = record;
    const char *system = *record->system ? record->system : batch_system;
    if (!*system)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "system", "is required (in the line or the batch)");
    else if (!emp_ident_valid(system, EMP_IDENT_MAX))
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "system",
                      "letters, digits and . _ - : / @, at most %d", EMP_IDENT_MAX);
    if (!*record->external_id)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "external_id", "is required");
    else if (!emp_ident_valid(record->external_id, EMP_IDENT_MAX))
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "external_id",
                      "letters, digits and . _ - : / @, at most %d", EMP_IDENT_MAX);
    switch (record->record_case) {
    case SIFANG__V1__EXCHANGE_RECORD__RECORD_PERSON:
        line->kind = KIND_PERSON;
        line->body = &record->person->base;
        break;
    case SIFANG__V1__EXCHANGE_RECORD__RECORD_PLACEMENT:
        line->kind = KIND_PLACEMENT;
        line->body = &record->placement->base;
        break;
    case SIFANG__V1__EXCHANGE_RECORD__RECORD_VACANCY:
        line->kind = KIND_VACANCY;
        line->body = &record->vacancy->base;
        break;
    default:
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "record", "needs one of person, placement or vacancy");
        return;
    }
    if (!emp_item_open(item))
        return;
    item->system = sf_call_strdup(call, system);
    item->external_id = sf_call_strdup(call, record->external_id);
    /* The digest covers the record as applied, its system included. */
    char *given_system = record->system;
    record->system = (char *) item->system;
    emp_digest(&record->base, item->hash);
    record->system = given_system;
}

/* The key that splits a run: the record's own, and for people the person. */
static bool
run_takes(sf_call_t *call, emp_strset_t *keys, const line_t *line, const emp_item_t *item)
{
    if (!emp_strset_add(keys, sf_call_printf(call, "%s\x1f%s", item->system, item->external_id)))
        return false;
    if (line->kind == KIND_PERSON)
        return emp_strset_add(keys, sf_call_printf(call, "\x1eperson %s", ((const Sifang__V1__Person *) line->body)->resident_id));
    return true;
}

/* The lines to read, each into its record and item (emp_lanes_slices). */
typedef struct {
    const char **starts;
    const size_t *lengths;
    const int *numbers;
    const char *batch_system;
    line_t *lines;
    emp_item_t *items;
} reading_t;

static void
read_lines(sf_call_t *call, size_t from, size_t to, void *arg)
{
    reading_t *reading = arg;
    for (size_t i = from; i < to; i++) {
        emp_item_init(&reading->items[i]);
        reading->items[i].line = reading->numbers[i];
        read_line(call, reading->starts[i], reading->lengths[i], reading->batch_system, &reading->lines[i],
                  &reading->items[i]);
    }
}

static void
free_lines(line_t *lines, size_t n)
{
    for (size_t l = 0; l < n; l++)
        if (lines[l].record)
            protobuf_c_message_free_unpacked(&lines[l].record->base, NULL);
    free(lines);
}

sf_status_t
emp_import_batch(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ImportBatchRequest *batch = (const Sifang__V1__ImportBatchRequest *) request;
    employment_t *self = sf_call_state(call);
    size_t size = strlen(batch->text);
    if (size > self->import_max_bytes)
        sf_call_violation(call, "text", "at most %zu bytes per batch (split the file)", self->import_max_bytes);
    if (*batch->system && !emp_ident_valid(batch->system, EMP_IDENT_MAX))
        sf_call_violation(call, "system", "letters, digits and . _ - : / @, at most %d", EMP_IDENT_MAX);
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    /* The lines: their starts, numbers and lengths. */
    size_t n_lines = 0;
    for (size_t at = 0; at < size;) {
        const char *end = memchr(batch->text + at, '\n', size - at);
        size_t next = end ? (size_t) (end - batch->text) + 1 : size;
        n_lines++;
        at = next;
    }
    const char **starts = sf_call_new_array(call, n_lines, sizeof *starts);
    size_t *lengths = sf_call_new_array(call, n_lines, sizeof *lengths);
    int *numbers = sf_call_new_array(call, n_lines, sizeof *numbers);
    size_t n = 0;
    int number = 0;
    for (size_t at = 0; at < size;) {
        const char *end = memchr(batch->text + at, '\n', size - at);
        size_t next = end ? (size_t) (end - batch->text) + 1 : size;
        size_t length = (end ? (size_t) (end - batch->text) : size) - at;
        number++;
        if (length && batch->text[at + length - 1] == '\r')
            length--;
        bool blank = true;
        for (size_t i = 0; i < length && blank; i++)
            blank = strchr(" \t", batch->text[at + i]) != NULL;
        if (!blank) {
            starts[n] = batch->text + at;
            lengths[n] = length;
            numbers[n] = number;
            n++;
        }
        at = next;
    }
    if (n > (size_t) self->import_max_lines)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "text", "at most %d lines per batch", self->import_max_lines);

    /* Thousands of events (a person, placement or vacancy each, and status
     * changes): a row each in the event log cost more than the records. */
    sf_call_group_events(call);
    /* The records are written in the import lanes' transactions, not the
     * call's; the lanes' threads read the classification, loaded here. */
    if (!emp_occupations_ready(call))
        return sf_call_fail(call, SF_UNAVAILABLE, "database unavailable");
    line_t *lines = calloc(n ? n : 1, sizeof *lines);
    emp_item_t *items = sf_call_new_array(call, n, sizeof *items);
    const ProtobufCMessage **bodies = sf_call_new_array(call, n, sizeof *bodies);
    emp_item_t *run_items = sf_call_new_array(call, n, sizeof *run_items);
    const char **run_lane_keys = sf_call_new_array(call, n * EMP_LANE_KEYS, sizeof *run_lane_keys);
    size_t *run_index = sf_call_new_array(call, n, sizeof *run_index);
    record_kind_t *kinds = sf_call_new_array(call, n, sizeof *kinds);
    if (!lines)
        abort();
    reading_t reading = { starts, lengths, numbers, batch->system, lines, items };
    emp_lanes_slices(call, n, read_lines, &reading);
    for (size_t i = 0; i < n; i++)
        kinds[i] = lines[i].kind;

    /* Runs of one kind in line order, each applied set-based. */
    sf_status_t status = SF_OK;
    emp_strset_t keys;
    emp_strset_init(call, &keys, n);
    size_t i = 0;
    while (i < n && status == SF_OK) {
        if (!emp_item_open(&items[i])) {
            i++;
            continue;
        }
        record_kind_t kind = lines[i].kind;
        size_t m = 0;
        emp_strset_clear(&keys);
        for (; i < n; i++) {
            if (!emp_item_open(&items[i]))
                continue;
            if (lines[i].kind != kind || !run_takes(call, &keys, &lines[i], &items[i]))
                break;
            run_items[m] = items[i];
            lane_keys(call, &lines[i], &run_lane_keys[m * EMP_LANE_KEYS]);
            bodies[m] = lines[i].body;
            run_index[m] = i;
            m++;
        }
        if (kind == KIND_PLACEMENT)
            status = vacancy_keys_by_id(call, bodies, run_items, run_lane_keys, m);
        if (status == SF_OK)
            status = emp_lanes_apply_run(call, apply_of[kind], bodies, run_items, run_lane_keys, m);
        for (size_t r = 0; r < m; r++)
            items[run_index[r]] = run_items[r];
    }
    if (status != SF_OK) {
        free_lines(lines, n);
        return sf_call_fail(call, status, "database unavailable");
    }

    Sifang__V1__ImportBatchReply *reply = (Sifang__V1__ImportBatchReply *)
        sf_call_new_message(call, &sifang__v1__import_batch_reply__descriptor);
    reply->lines = (int32_t) n;
    reply->results = sf_call_new_array(call, n, sizeof *reply->results);
    for (size_t l = 0; l < n; l++) {
        emp_item_t *item = &items[l];
        switch (item->outcome) {
        case SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_CREATED: reply->created++; break;
        case SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UPDATED: reply->updated++; break;
        case SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UNCHANGED: reply->unchanged++; break;
        default:
            item->outcome = SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_FAILED;
            if (!item->error) {
                item->status = SF_INTERNAL;
                item->error = "not applied";
            }
            reply->failed++;
            break;
        }
        bool failed = item->outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_FAILED;
        if (batch->errors_only && !failed)
            continue;
        Sifang__V1__ImportLineResult *result = (Sifang__V1__ImportLineResult *)
            sf_call_new_message(call, &sifang__v1__import_line_result__descriptor);
        result->line = item->line;
        result->outcome = item->outcome;
        result->kind = (char *) kind_names[kinds[l]];
        /* Keys may point into the parsed records, freed below. */
        result->key = sf_call_strdup(call, item->key);
        if (failed) {
            result->field = (char *) (item->field ? item->field : "");
            result->error = (char *) item->error;
            result->status = (Sifang__V1__StatusCode) item->status;
        }
        reply->results[reply->n_results++] = result;
    }
    free_lines(lines, n);    /* after the keys, which may point into them, are copied */
    *reply_p = &reply->base;
    return SF_OK;
}

/* --- the change feed ----------------------------------------------------------------- */

#define EXPORT_TEXT_MAX (4u << 20)

static void
rfc3339(int64_t ms, char out[32])
{
    time_t seconds = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    size_t length = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + length, 32 - length, ".%03dZ", (int) (ms % 1000));
}

/* The payloads this service's events carry. */
static const ProtobufCMessageDescriptor *const payloads[] = {
    &sifang__v1__person__descriptor, &sifang__v1__placement__descriptor, &sifang__v1__vacancy__descriptor,
    &sifang__v1__status_change__descriptor, &sifang__v1__entrepreneurship_support__descriptor,
    &sifang__v1__enterprise__descriptor, &sifang__v1__course__descriptor, &sifang__v1__enrolment__descriptor,
    &sifang__v1__mock_test__descriptor, &sifang__v1__exam_result__descriptor, &sifang__v1__follow_up__descriptor,
    &sifang__v1__incubation_base__descriptor, &sifang__v1__incubation_tenant__descriptor,
};

static const ProtobufCMessageDescriptor *
payload_descriptor(const char *name)
{
    for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++)
        if (strcmp(payloads[i]->name, name) == 0)
            return payloads[i];
    return NULL;
}

sf_status_t
emp_export_events(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ExportRequest *export = (const Sifang__V1__ExportRequest *) request;
    if (export->after < 0)
        sf_call_violation(call, "after", "must be 0 or more");
    if (export->limit < 0 || export->limit > 10000)
        sf_call_violation(call, "limit", "must be between 1 and 10000 (0 = 1000)");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    /* "" is the district's root: only a scope of the whole district covers
     * it. */
    if (!sf_call_covers(call, ""))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the change feed is the whole district's");
    const char *instance = sf_server_instance(sf_call_server(call));
    Sifang__V1__EventsFetchReply fetched = SIFANG__V1__EVENTS_FETCH_REPLY__INIT;
    if (sf_eventlog_fetch(sf_call_db(call), instance, export->after, export->limit ? export->limit : 1000,
                          &fetched) != 0) {
        sf_eventlog_release_fetch(&fetched);
        return sf_call_fail(call, SF_UNAVAILABLE, "database unavailable");
    }
    Sifang__V1__ExportReply *reply = (Sifang__V1__ExportReply *)
        sf_call_new_message(call, &sifang__v1__export_reply__descriptor);
    reply->head = fetched.head;
    reply->next_cursor = export->after;
    sf_textbuf_t text;
    sf_textbuf_init(&text);
    for (size_t i = 0; i < fetched.n_events; i++) {
        const Sifang__V1__Event *event = fetched.events[i];
        const ProtobufCMessageDescriptor *descriptor = payload_descriptor(event->payload_type);
        ProtobufCMessage *payload = descriptor
            ? protobuf_c_message_unpack(descriptor, NULL, event->payload.len, event->payload.data) : NULL;
        Sifang__V1__ExportEvent line = SIFANG__V1__EXPORT_EVENT__INIT;
        Sifang__V1__ExchangeRecord record = SIFANG__V1__EXCHANGE_RECORD__INIT;
        char occurred[32];
        rfc3339(event->occurred_unix_ms, occurred);
        line.seq = event->seq;
        line.type = event->type;
        line.occurred_at = occurred;
        line.key = event->key;
        record.system = (char *) instance;
        record.external_id = event->key;
        if (payload && descriptor == &sifang__v1__person__descriptor) {
            record.record_case = SIFANG__V1__EXCHANGE_RECORD__RECORD_PERSON;
            record.person = (Sifang__V1__Person *) payload;
        } else if (payload && descriptor == &sifang__v1__placement__descriptor) {
            record.record_case = SIFANG__V1__EXCHANGE_RECORD__RECORD_PLACEMENT;
            record.placement = (Sifang__V1__Placement *) payload;
        } else if (payload && descriptor == &sifang__v1__vacancy__descriptor) {
            record.record_case = SIFANG__V1__EXCHANGE_RECORD__RECORD_VACANCY;
            record.vacancy = (Sifang__V1__Vacancy *) payload;
        }
        if (record.record_case != SIFANG__V1__EXCHANGE_RECORD__RECORD__NOT_SET) {
            line.detail_case = SIFANG__V1__EXPORT_EVENT__DETAIL_RECORD;
            line.record = &record;
        } else if (payload && descriptor == &sifang__v1__status_change__descriptor) {
            line.detail_case = SIFANG__V1__EXPORT_EVENT__DETAIL_STATUS_CHANGE;
            line.status_change = (Sifang__V1__StatusChange *) payload;
        } else if (payload && descriptor == &sifang__v1__entrepreneurship_support__descriptor) {
            line.detail_case = SIFANG__V1__EXPORT_EVENT__DETAIL_SUPPORT;
            line.support = (Sifang__V1__EntrepreneurshipSupport *) payload;
        } else if (payload && descriptor == &sifang__v1__enterprise__descriptor) {
            line.detail_case = SIFANG__V1__EXPORT_EVENT__DETAIL_ENTERPRISE;
            line.enterprise = (Sifang__V1__Enterprise *) payload;
        } else if (payload && descriptor == &sifang__v1__course__descriptor) {
            line.detail_case = SIFANG__V1__EXPORT_EVENT__DETAIL_COURSE;
            line.course = (Sifang__V1__Course *) payload;
        } else if (payload && descriptor == &sifang__v1__enrolment__descriptor) {
            line.detail_case = SIFANG__V1__EXPORT_EVENT__DETAIL_ENROLMENT;
            line.enrolment = (Sifang__V1__Enrolment *) payload;
        } else if (payload && descriptor == &sifang__v1__mock_test__descriptor) {
            line.detail_case = SIFANG__V1__EXPORT_EVENT__DETAIL_MOCK_TEST;
            line.mock_test = (Sifang__V1__MockTest *) payload;
        } else if (payload && descriptor == &sifang__v1__exam_result__descriptor) {
            line.detail_case = SIFANG__V1__EXPORT_EVENT__DETAIL_EXAM_RESULT;
            line.exam_result = (Sifang__V1__ExamResult *) payload;
        } else if (payload && descriptor == &sifang__v1__follow_up__descriptor) {
            line.detail_case = SIFANG__V1__EXPORT_EVENT__DETAIL_FOLLOW_UP;
            line.follow_up = (Sifang__V1__FollowUp *) payload;
        } else if (payload && descriptor == &sifang__v1__incubation_base__descriptor) {
            line.detail_case = SIFANG__V1__EXPORT_EVENT__DETAIL_INCUBATION_BASE;
            line.incubation_base = (Sifang__V1__IncubationBase *) payload;
        } else if (payload && descriptor == &sifang__v1__incubation_tenant__descriptor) {
            line.detail_case = SIFANG__V1__EXPORT_EVENT__DETAIL_INCUBATION_TENANT;
            line.incubation_tenant = (Sifang__V1__IncubationTenant *) payload;
        }
        char *json = sf_json_print_message(&line.base, false);
        if (payload)
            protobuf_c_message_free_unpacked(payload, NULL);
        if (!json)
            abort();
        size_t json_length = strlen(json);
        if (reply->count > 0 && text.length + json_length + 1 > EXPORT_TEXT_MAX) {
            free(json);
            break;   /* the rest on the next page */
        }
        sf_textbuf_append(&text, json, json_length);
        sf_textbuf_put(&text, "\n");
        free(json);
        reply->count++;
        reply->next_cursor = event->seq;
    }
    char *lines = sf_textbuf_take(&text, NULL);
    if (!lines)
        abort();   /* out of memory, as for the JSON above */
    reply->text = sf_call_strdup(call, lines);
    free(lines);
    sf_eventlog_release_fetch(&fetched);
    *reply_p = &reply->base;
    return SF_OK;
}
