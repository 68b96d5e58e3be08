/* What every employment handler shares: items and the savepoints that keep
 * each record all-or-nothing, statements whose result the caller keeps and
 * whose failure can become an item's, queries and paging, field checks, the occupation codes, array literals. */
#include "employment.h"
#include "sf_ids.h"
#include "sf_log.h"
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- items ------------------------------------------------------------------ */

void
emp_item_init(emp_item_t *item)
{
    memset(item, 0, sizeof *item);
    item->outcome = SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UNSPECIFIED;
}

void
emp_item_fail(sf_call_t *call, emp_item_t *item, sf_status_t status, const char *field,
              const char *format, ...)
{
    if (item->outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_FAILED)
        return;
    item->outcome = SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_FAILED;
    item->status = status;
    item->field = sf_call_strdup(call, field ? field : "");
    /* In call memory, whole: a reason can quote what someone typed, which a
     * fixed buffer would cut. */
    va_list args;
    va_start(args, format);
    item->error = sf_call_vprintf(call, format, args);
    va_end(args);
    item->stored = NULL;
}

bool
emp_item_open(const emp_item_t *item)
{
    return item->outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UNSPECIFIED;
}

void
emp_lookup_init(sf_call_t *call, emp_lookup_t *lookup, size_t n)
{
    sf_binarray_init(&lookup->keys, SF_OID_TEXT);
    sf_binarray_init(&lookup->zones, SF_OID_TEXT);
    sf_binarray_init(&lookup->systems, SF_OID_TEXT);
    sf_binarray_init(&lookup->external_ids, SF_OID_TEXT);
    sf_binarray_init(&lookup->hashes, SF_OID_BYTEA);
    lookup->asked = sf_call_new_array(call, n, sizeof *lookup->asked);
    lookup->n_asked = 0;
}

void
emp_lookup_add(emp_lookup_t *lookup, size_t i, const emp_item_t *item, const char *key, const char *zone)
{
    sf_binarray_text(&lookup->keys, key);
    sf_binarray_text(&lookup->zones, *zone ? zone : NULL);
    sf_binarray_text(&lookup->systems, item->system);
    sf_binarray_text(&lookup->external_ids, item->system ? item->external_id : NULL);
    if (item->system)
        sf_binarray_bytes(&lookup->hashes, item->hash, sizeof item->hash);
    else
        sf_binarray_null(&lookup->hashes);
    lookup->asked[lookup->n_asked++] = i;
}

sf_status_t
emp_lookup_run(sf_call_t *call, emp_lookup_t *lookup, const char *sql, PGresult **found_p)
{
    sf_binarray_t *arrays[] = { &lookup->keys, &lookup->zones, &lookup->systems, &lookup->external_ids,
                                &lookup->hashes };
    *found_p = NULL;
    if (lookup->n_asked) {
        sf_params_t params;
        sf_params_init(&params);
        for (size_t a = 0; a < sizeof arrays / sizeof *arrays; a++)
            sf_binarray_param(arrays[a], &params);
        *found_p = emp_try(call, sql, &params);
    }
    for (size_t a = 0; a < sizeof arrays / sizeof *arrays; a++)
        sf_binarray_release(arrays[a]);
    return lookup->n_asked && !*found_p ? sf_call_status(call) : SF_OK;
}

size_t
emp_lookup_record(const emp_lookup_t *lookup, const PGresult *found, int row)
{
    return lookup->asked[sf_db_int(found, row, 0) - 1];
}

/* --- statements --------------------------------------------------------------- */

PGresult *
emp_try(sf_call_t *call, const char *sql, const sf_params_t *params)
{
    sf_db_failure_t failure;
    PGresult *result = sf_db_try(sf_call_db(call), sql, params, &failure);
    if (!result)
        sf_call_fail_statement(call, &failure);
    return result;
}

void
emp_item_fail_sql(sf_call_t *call, emp_item_t *item)
{
    /* A failure that is no statement's (a row not read as expected) has
     * said nothing: internal. */
    sf_status_t status = sf_call_status(call) != SF_OK ? sf_call_status(call) : SF_INTERNAL;
    const char *constraint = sf_call_constraint(call);
    if (strcmp(constraint, "placement_one_full_time") == 0)
        emp_item_fail(call, item, SF_FAILED_PRECONDITION, "start_date",
                      "the person already holds a full-time placement over these dates");
    else if (strcmp(constraint, "vacancy_positions_left") == 0)
        emp_item_fail(call, item, SF_FAILED_PRECONDITION, "vacancy_id",
                      "the vacancy has no open positions left");
    else if (strcmp(constraint, "placement_dates_in_order") == 0)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "end_date", "is before start_date");
    else if (strcmp(constraint, "vacancy_dates_in_order") == 0)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "closes_on", "is before opens_on");
    else if (status == SF_INTERNAL)
        emp_item_fail(call, item, status, "", "internal error");
    else
        emp_item_fail(call, item, status, "", "%s", sf_call_message(call));
    /* The item holds it now: the call goes on to the next item, or replies
     * with the item's words (emp_item_reply). */
    sf_call_clear_failure(call);
}

/* --- runs and single requests ----------------------------------------------- */

bool
emp_bulk_settings(sf_call_t *call)
{
    /* Until the batch's transaction ends (a savepoint rolled back undoes it):
     * no JIT, whose compiling costs more than a run's look-ups with their
     * index probes (costed by thousands of rows) save; and the memory for
     * the set-based statements and the events of thousands of records
     * appended at commit, so that they are not spilled to disk. */
    return sf_db_command(sf_call_db(call), "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'");
}

static bool
savepoint(sf_call_t *call, const char *command)
{
    return sf_db_command(sf_call_db(call), command);
}

sf_status_t
emp_apply_run(sf_call_t *call, emp_apply_fn apply, const ProtobufCMessage *const *records,
              emp_item_t *items, size_t n)
{
    if (n == 0)
        return SF_OK;
    /* Where each call's events stand before the run (an item may have a
     * call of its own): a run rolled back takes its events with it. */
    size_t events = sf_call_events_mark(call);
    size_t *item_events = calloc(n, sizeof *item_events);
    if (!item_events)
        abort();
    for (size_t i = 0; i < n; i++)
        item_events[i] = sf_call_events_mark(emp_item_call(call, &items[i]));
    if (!savepoint(call, "SAVEPOINT emp_run")) {
        free(item_events);
        return SF_UNAVAILABLE;
    }
    sf_status_t status = apply(call, records, items, n);
    if (status == SF_OK) {
        free(item_events);
        return savepoint(call, "RELEASE SAVEPOINT emp_run") ? SF_OK : SF_UNAVAILABLE;
    }
    bool rolled_back = sf_db_is_up(sf_call_db(call)) && savepoint(call, "ROLLBACK TO SAVEPOINT emp_run")
                    && savepoint(call, "RELEASE SAVEPOINT emp_run");
    sf_call_events_undo(call, events);
    for (size_t i = 0; i < n; i++)
        sf_call_events_undo(emp_item_call(call, &items[i]), item_events[i]);
    free(item_events);
    if (!rolled_back)
        return SF_UNAVAILABLE;
    /* The run's statements failed as a whole: each record alone, so only the
     * bad one is refused. Outcomes decided before the failure are redone,
     * and the run's failure is no record's. */
    sf_call_clear_failure(call);
    for (size_t i = 0; i < n; i++) {
        emp_item_t *item = &items[i];
        emp_item_t fresh;
        emp_item_init(&fresh);
        fresh.line = item->line;
        fresh.call = item->call;
        fresh.system = item->system;
        fresh.external_id = item->external_id;
        memcpy(fresh.hash, item->hash, sizeof fresh.hash);
        *item = fresh;
        sf_call_t *record_call = emp_item_call(call, item);
        size_t events_before = sf_call_events_mark(call), record_events = sf_call_events_mark(record_call);
        if (!savepoint(call, "SAVEPOINT emp_record"))
            return SF_UNAVAILABLE;
        status = apply(call, &records[i], item, 1);
        if (status == SF_OK) {
            if (!savepoint(call, "RELEASE SAVEPOINT emp_record"))
                return SF_UNAVAILABLE;
            continue;
        }
        if (status == SF_UNAVAILABLE || !sf_db_is_up(sf_call_db(call)))
            return SF_UNAVAILABLE;
        emp_item_fail_sql(call, item);
        if (!savepoint(call, "ROLLBACK TO SAVEPOINT emp_record")
            || !savepoint(call, "RELEASE SAVEPOINT emp_record"))
            return SF_UNAVAILABLE;
        sf_call_events_undo(call, events_before);
        sf_call_events_undo(record_call, record_events);
    }
    return SF_OK;
}

sf_status_t
emp_apply_one(sf_call_t *call, emp_apply_fn apply, const ProtobufCMessage *record,
              ProtobufCMessage **reply_p)
{
    emp_item_t item;
    emp_item_init(&item);
    const ProtobufCMessage *records[1] = { record };
    sf_status_t status = apply(call, records, &item, 1);
    if (status == SF_UNAVAILABLE)
        return sf_call_fail(call, SF_UNAVAILABLE, "database unavailable");
    if (status != SF_OK)
        emp_item_fail_sql(call, &item);
    return emp_item_reply(call, &item, reply_p);
}

sf_status_t
emp_apply_batch(emp_apply_fn apply, sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies,
                size_t n)
{
    sf_call_t *call = calls[0];
    if (n > 1 && !emp_bulk_settings(call))
        return SF_UNAVAILABLE;
    emp_item_t *items = sf_call_new_array(call, n, sizeof *items);
    for (size_t i = 0; i < n; i++) {
        emp_item_init(&items[i]);
        items[i].call = calls[i];
    }
    sf_status_t status = apply(call, (const ProtobufCMessage *const *) requests, items, n);
    if (status != SF_OK)
        return status;    /* the server rolls the run back and runs each request alone */
    for (size_t i = 0; i < n; i++)
        if (emp_item_reply(calls[i], &items[i], &replies[i]) != SF_OK)
            replies[i] = NULL;
    return SF_OK;
}

sf_status_t
emp_item_reply(sf_call_t *call, const emp_item_t *item, ProtobufCMessage **reply_p)
{
    if (item->outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_FAILED) {
        if (item->status == SF_INVALID_ARGUMENT && *item->field) {
            sf_call_violation(call, item->field, "%s", item->error);
            return sf_call_fail(call, SF_INVALID_ARGUMENT, "%s: %s", item->field, item->error);
        }
        if (*item->field)
            return sf_call_refuse(call, item->status, item->field, "%s", item->error);
        return sf_call_fail(call, item->status, "%s", item->error);
    }
    if (!item->stored)
        return sf_call_fail(call, SF_INTERNAL, "internal error");
    *reply_p = item->stored;
    return SF_OK;
}

/* --- queries ----------------------------------------------------------------- */

/* --- checks -------------------------------------------------------------------- */

bool
emp_item_text(sf_call_t *call, emp_item_t *item, const char *field, const char *value, size_t max,
              bool required)
{
    char buffer[64];
    const char *problem = sf_text_problem(value, max, required, false, buffer, sizeof buffer);
    if (problem)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, field, "%s", problem);
    return !problem;
}

bool
emp_check_date(sf_call_t *call, const char *field, const char *value, int32_t *day)
{
    if (!value || !*value)
        return true;
    if (!sf_date_parse(value, day)) {
        sf_call_violation(call, field, "must be a date as YYYY-MM-DD");
        return false;
    }
    return true;
}

bool
emp_item_date(sf_call_t *call, emp_item_t *item, const char *field, const char *value, int32_t *day)
{
    if (!value || !*value)
        return true;
    if (!sf_date_parse(value, day)) {
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, field, "must be a date as YYYY-MM-DD");
        return false;
    }
    return true;
}

/* --- occupations ---------------------------------------------------------------- */

static int
compare_codes(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool
occupations_load(sf_call_t *call, employment_t *self)
{
    PGresult *result = sf_db_query(sf_call_db(call), "SELECT code FROM occupation ORDER BY code", NULL);
    if (!sf_db_result_ok(result)) {
        PQclear(result);
        return false;
    }
    size_t n = (size_t) PQntuples(result);
    char **codes = calloc(n ? n : 1, sizeof *codes);
    if (!codes)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!(codes[i] = strdup(sf_db_text(result, (int) i, 0))))
            abort();
    PQclear(result);
    qsort(codes, n, sizeof *codes, compare_codes);
    self->occupations = codes;
    self->n_occupations = n;
    self->occupations_loaded = true;
    return true;
}

bool
emp_occupations_ready(sf_call_t *call)
{
    employment_t *self = sf_call_state(call);
    return self->occupations_loaded || occupations_load(call, self);
}

bool
emp_occupation_known(sf_call_t *call, const char *code)
{
    employment_t *self = sf_call_state(call);
    if (!self->occupations_loaded && !occupations_load(call, self))
        return emp_occupation_level(code) > 0;  /* the insert's foreign key decides */
    return bsearch(&code, self->occupations, self->n_occupations, sizeof *self->occupations,
                   compare_codes) != NULL;
}

/* --- state ------------------------------------------------------------------------ */

employment_t *
employment_new(const employment_settings_t *settings)
{
    employment_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    /* Bounds are the table's (employment_settings.c), checked at start. */
    self->circle_m = settings->circle_m;
    self->working_age_min = settings->working_age_min;
    self->retirement_age_men = settings->retirement_age_men;
    self->retirement_age_women = settings->retirement_age_women;
    self->import_max_bytes = (size_t) settings->import_max_bytes;
    self->import_max_lines = settings->import_max_lines;
    self->n_lanes = settings->import_lanes;
    /* A district's and each street's half-years at two groupings. */
    self->statistics = sf_kept_new(64);
    if (!self->statistics) {
        free(self);
        return NULL;
    }
    return self;
}

void
employment_destroy(employment_t **self_p)
{
    employment_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n_occupations; i++)
        free(self->occupations[i]);
    free(self->occupations);
    sf_kept_destroy(&self->statistics);
    free(self);
    *self_p = NULL;
}

/* --- array literals ------------------------------------------------------------------ */

size_t
emp_parse_text_array(sf_call_t *call, const char *literal, char ***out)
{
    *out = NULL;
    size_t length = literal ? strlen(literal) : 0;
    if (length < 2 || literal[0] != '{')
        return 0;
    size_t capacity = 1;
    for (size_t i = 0; i < length; i++)
        capacity += literal[i] == ',';
    *out = sf_call_new_array(call, capacity, sizeof **out);
    return sf_pgarray_parse(literal, sf_call_alloc(call, length + 1), *out, capacity);
}

size_t
emp_parse_int_array(sf_call_t *call, const char *literal, int64_t **out)
{
    char **texts = NULL;
    size_t n = emp_parse_text_array(call, literal, &texts);
    int64_t *values = sf_call_new_array(call, n, sizeof *values);
    for (size_t i = 0; i < n; i++)
        values[i] = strtoll(texts[i], NULL, 10);
    *out = values;
    return n;
}

/* --- string sets ---------------------------------------------------------------------- */

static uint64_t
text_hash(const char *text)
{
    uint64_t hash = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *) text; *p; p++)
        hash = (hash ^ *p) * 1099511628211ull;
    return hash;
}

void
emp_strset_init(sf_call_t *call, emp_strset_t *self, size_t n)
{
    self->capacity = 16;
    while (self->capacity < 4 * n)
        self->capacity *= 2;
    self->keys = sf_call_new_array(call, self->capacity, sizeof *self->keys);
    self->values = sf_call_new_array(call, self->capacity, sizeof *self->values);
    emp_strset_clear(self);
}

void
emp_strset_clear(emp_strset_t *self)
{
    memset(self->keys, 0, self->capacity * sizeof *self->keys);
}

bool
emp_strset_add(emp_strset_t *self, const char *key)
{
    size_t at = (size_t) text_hash(key) & (self->capacity - 1);
    while (self->keys[at]) {
        if (strcmp(self->keys[at], key) == 0)
            return false;
        at = (at + 1) & (self->capacity - 1);
    }
    self->keys[at] = key;
    return true;
}

size_t
emp_strset_value(emp_strset_t *self, const char *key, size_t value)
{
    size_t at = (size_t) text_hash(key) & (self->capacity - 1);
    while (self->keys[at]) {
        if (strcmp(self->keys[at], key) == 0)
            return self->values[at];
        at = (at + 1) & (self->capacity - 1);
    }
    self->keys[at] = key;
    self->values[at] = value;
    return value;
}

bool
emp_strset_has(const emp_strset_t *self, const char *key)
{
    size_t at = (size_t) text_hash(key) & (self->capacity - 1);
    while (self->keys[at]) {
        if (strcmp(self->keys[at], key) == 0)
            return true;
        at = (at + 1) & (self->capacity - 1);
    }
    return false;
}

/* --- misc --------------------------------------------------------------------------- */

void
emp_digest(const ProtobufCMessage *message, uint8_t out[16])
{
    uint8_t stack[4096];
    size_t size = protobuf_c_message_get_packed_size(message);
    uint8_t *packed = size <= sizeof stack ? stack : malloc(size);
    if (!packed)
        abort();
    protobuf_c_message_pack(message, packed);
    crypto_generichash(out, 16, packed, size, NULL, 0);
    if (packed != stack)
        free(packed);
}

const char *
emp_status_name(int status)
{
    static const char *const names[] = { "unspecified", "employed", "unemployed", "flexible",
                                         "entrepreneur", "student", "retired" };
    return status >= 0 && status <= 6 ? names[status] : "unknown";
}

const char *
emp_status_event_word(int event)
{
    static const char *const words[] = { "unspecified", "registered", "placement", "separation", "certification",
                                         "entrepreneurship support", "update", "import" };
    return event >= 0 && event <= 7 ? words[event] : "unknown";
}

/* --- who sees and writes what -------------------------------------------------- */

bool
emp_may_write(const sf_call_t *call, const char *unit_code)
{
    return sf_principal_reaches(sf_call_principal(call), SF_SCOPE_WRITE, EMP_ROLES_DUTY, unit_code);
}

void
emp_person_shown(sf_call_t *call, Sifang__V1__Person *person)
{
    if (sf_call_covers_as(call, EMP_ROLES_DUTY, person->home_zone_code))
        return;
    char masked[SF_MASK_SIZE];
    sf_name_mask(person->name, masked, sizeof masked);
    person->name = sf_call_strdup(call, masked);
    sf_birth_date_mask(person->birth_date, masked, sizeof masked);
    person->birth_date = sf_call_strdup(call, masked);
    /* Whether someone is in a difficulty category, and since when, is the
     * duty's to know: no category, no date. */
    person->n_difficulties = 0;
    person->difficulties = NULL;
    person->difficulty_since = "";
    person->disability_certificate = "";
}

const char *
emp_view_prefixes(sf_call_t *call, const char *roles)
{
    const char *scopes[SF_SCOPE_LIST_MAX];
    size_t n = sf_principal_view_prefixes(sf_call_principal(call), roles, scopes, SF_SCOPE_LIST_MAX);
    sf_pgarray_t array;
    sf_pgarray_init(&array);
    for (size_t i = 0; i < n && i < SF_SCOPE_LIST_MAX; i++)
        sf_pgarray_add_text(&array, strcmp(scopes[i], "*") == 0 ? "" : scopes[i]);
    const char *literal = sf_call_strdup(call, sf_pgarray_text(&array));
    sf_pgarray_release(&array);
    return literal;
}
