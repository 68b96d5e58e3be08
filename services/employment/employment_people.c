/* People of working age, keyed by grid's resident id: registration (one or an
 * import run at a time), updates with status and difficulty history, get,
 * list and history. */
#include "employment.h"
#include "sf_row.h"
#include "sf_log.h"
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
emp_pgarray_take(sf_call_t *call, sf_pgarray_t *array)
{
    const char *text = sf_pgarray_text(array);
    if (!text)
        abort();
    char *copy = sf_call_strdup(call, text);
    sf_pgarray_release(array);
    return copy;
}

int
emp_status_of_placement(int kind)
{
    switch (kind) {
    case SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_FLEXIBLE:
        return SIFANG__V1__LABOR_STATUS__LABOR_STATUS_FLEXIBLE;
    case SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_SELF_EMPLOYED:
        return SIFANG__V1__LABOR_STATUS__LABOR_STATUS_ENTREPRENEUR;
    default:
        return SIFANG__V1__LABOR_STATUS__LABOR_STATUS_EMPLOYED;
    }
}

/* --- rows ---------------------------------------------------------------------- */

static Sifang__V1__Certificate **
certificates_from_json(sf_call_t *call, const char *text, size_t *n)
{
    *n = 0;
    cJSON *array = cJSON_Parse(text);
    if (!cJSON_IsArray(array)) {
        cJSON_Delete(array);
        return NULL;
    }
    size_t count = (size_t) cJSON_GetArraySize(array);
    Sifang__V1__Certificate **certificates = sf_call_new_array(call, count, sizeof *certificates);
    const cJSON *element;
    cJSON_ArrayForEach(element, array) {
        Sifang__V1__Certificate *certificate = (Sifang__V1__Certificate *)
            sf_call_new_message(call, &sifang__v1__certificate__descriptor);
        certificate->number = sf_call_strdup(call, cJSON_GetStringValue(cJSON_GetObjectItem(element, "number")));
        certificate->name = sf_call_strdup(call, cJSON_GetStringValue(cJSON_GetObjectItem(element, "name")));
        certificate->occupation_code =
            sf_call_strdup(call, cJSON_GetStringValue(cJSON_GetObjectItem(element, "occupation_code")));
        const cJSON *grade = cJSON_GetObjectItem(element, "grade");
        certificate->grade = cJSON_IsNumber(grade) ? (Sifang__V1__SkillGrade) grade->valueint : 0;
        certificate->issued_on = sf_call_strdup(call, cJSON_GetStringValue(cJSON_GetObjectItem(element, "issued_on")));
        certificate->issuer = sf_call_strdup(call, cJSON_GetStringValue(cJSON_GetObjectItem(element, "issuer")));
        certificates[(*n)++] = certificate;
    }
    cJSON_Delete(array);
    return certificates;
}

static char *
certificates_to_json(sf_call_t *call, Sifang__V1__Certificate *const *certificates, size_t n)
{
    if (n == 0)
        return sf_call_strdup(call, "[]");
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; array && i < n; i++) {
        const Sifang__V1__Certificate *certificate = certificates[i];
        cJSON *object = cJSON_CreateObject();
        cJSON_AddStringToObject(object, "number", certificate->number);
        cJSON_AddStringToObject(object, "name", certificate->name);
        cJSON_AddStringToObject(object, "occupation_code", certificate->occupation_code);
        cJSON_AddNumberToObject(object, "grade", certificate->grade);
        cJSON_AddStringToObject(object, "issued_on", certificate->issued_on);
        cJSON_AddStringToObject(object, "issuer", certificate->issuer);
        cJSON_AddItemToArray(array, object);
    }
    char *text = array ? cJSON_PrintUnformatted(array) : NULL;
    cJSON_Delete(array);
    if (!text)
        abort();
    char *copy = sf_call_strdup(call, text);
    free(text);
    return copy;
}

Sifang__V1__Person *
emp_person_from_row(sf_call_t *call, const PGresult *result, int row, int c)
{
    Sifang__V1__Person *person = (Sifang__V1__Person *) sf_call_new_message(call, &sifang__v1__person__descriptor);
    person->resident_id = (char *) sf_db_text(result, row, c + 0);
    person->name = (char *) sf_db_text(result, row, c + 1);
    person->gender = (Sifang__V1__Gender) sf_db_int(result, row, c + 2);
    person->birth_date = (char *) sf_db_text(result, row, c + 3);
    person->household_code = (char *) sf_db_text(result, row, c + 4);
    person->home_zone_code = (char *) sf_db_text(result, row, c + 5);
    person->status = (Sifang__V1__LaborStatus) sf_db_int(result, row, c + 6);
    person->status_since = (char *) sf_db_text(result, row, c + 7);
    int64_t *difficulties = NULL;
    size_t n = emp_parse_int_array(call, sf_db_text(result, row, c + 8), &difficulties);
    person->difficulties = sf_call_new_array(call, n, sizeof *person->difficulties);
    for (size_t i = 0; i < n; i++)
        person->difficulties[i] = (Sifang__V1__DifficultyCategory) difficulties[i];
    person->n_difficulties = n;
    person->difficulty_since = (char *) sf_db_text(result, row, c + 9);
    char **codes = NULL;
    int64_t *grades = NULL, *years = NULL;
    size_t n_skills = emp_parse_text_array(call, sf_db_text(result, row, c + 10), &codes);
    size_t n_grades = emp_parse_int_array(call, sf_db_text(result, row, c + 11), &grades);
    size_t n_years = emp_parse_int_array(call, sf_db_text(result, row, c + 12), &years);
    if (n_grades < n_skills || n_years < n_skills)
        n_skills = 0;
    person->skills = sf_call_new_array(call, n_skills, sizeof *person->skills);
    for (size_t i = 0; i < n_skills; i++) {
        Sifang__V1__Skill *skill = (Sifang__V1__Skill *) sf_call_new_message(call, &sifang__v1__skill__descriptor);
        skill->occupation_code = codes[i];
        skill->grade = (Sifang__V1__SkillGrade) grades[i];
        skill->years = (int32_t) years[i];
        person->skills[i] = skill;
    }
    person->n_skills = n_skills;
    person->certificates = certificates_from_json(call, sf_db_text(result, row, c + 13), &person->n_certificates);
    person->seeking_work = sf_db_bool(result, row, c + 14);
    char **desired = NULL;
    person->n_desired_occupations = emp_parse_text_array(call, sf_db_text(result, row, c + 15), &desired);
    person->desired_occupations = desired;
    person->registered_on = (char *) sf_db_text(result, row, c + 16);
    person->external_system = (char *) sf_db_text(result, row, c + 17);
    person->external_id = (char *) sf_db_text(result, row, c + 18);
    person->created_unix_ms = sf_db_int(result, row, c + 19);
    person->updated_unix_ms = sf_db_int(result, row, c + 20);
    person->disability_certificate = (char *) sf_db_text(result, row, c + 21);
    person->status_event = (Sifang__V1__StatusEvent) sf_db_int(result, row, c + 22);
    person->version = sf_db_int(result, row, c + 23);
    /* The reader and the list must end together: a column added to one
     * and not the other would shift every field after it. */
    if (PQfnumber(result, "person_version") != c + 23) {
        sf_error("a person row's columns are not those emp_person_from_row reads", "method", sf_call_method(call));
        return NULL;
    }
    return person;
}

/* Statement-only load (emp_try): *person_p NULL when there is none. The
 * result is kept by the call's memory through a copy of what it holds. */
static sf_status_t
person_load_where(sf_call_t *call, const char *where, const sf_params_t *params,
                  Sifang__V1__Person **person_p, int64_t *serial)
{
    *person_p = NULL;
    char *sql = sf_call_printf(call, "SELECT " EMP_PERSON_COLUMNS " FROM " EMP_PERSON_FROM " WHERE %s", where);
    PGresult *result = emp_try(call, sql, params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 1) {
        Sifang__V1__Person *person = emp_person_from_row(call, result, 0, 0);
        int serial_column = PQfnumber(result, "person_serial");
        if (!person || serial_column < 0) {
            PQclear(result);
            return sf_call_fail(call, SF_INTERNAL, "internal error");   /* logged by the reader */
        }
        /* The row's texts die with the result: copy them into the call. */
        Sifang__V1__Person *copy = (Sifang__V1__Person *) sf_call_new_message(call, &sifang__v1__person__descriptor);
        *copy = *person;
        copy->resident_id = sf_call_strdup(call, person->resident_id);
        copy->name = sf_call_strdup(call, person->name);
        copy->birth_date = sf_call_strdup(call, person->birth_date);
        copy->household_code = sf_call_strdup(call, person->household_code);
        copy->home_zone_code = sf_call_strdup(call, person->home_zone_code);
        copy->status_since = sf_call_strdup(call, person->status_since);
        copy->difficulty_since = sf_call_strdup(call, person->difficulty_since);
        copy->registered_on = sf_call_strdup(call, person->registered_on);
        copy->external_system = sf_call_strdup(call, person->external_system);
        copy->external_id = sf_call_strdup(call, person->external_id);
        copy->disability_certificate = sf_call_strdup(call, person->disability_certificate);
        if (serial)
            *serial = sf_db_int(result, 0, serial_column);
        *person_p = copy;
    }
    PQclear(result);
    return SF_OK;
}

sf_status_t
emp_person_load(sf_call_t *call, const char *resident_id, bool lock, Sifang__V1__Person **person_p,
                int64_t *serial)
{
    return person_load_where(call, lock ? "p.resident_id = $1 FOR UPDATE OF p" : "p.resident_id = $1",
                             SF_PARAMS(resident_id), person_p, serial);
}

/* --- status ----------------------------------------------------------------------- */

bool
emp_seeks_work_in(int status)
{
    return status == SIFANG__V1__LABOR_STATUS__LABOR_STATUS_UNEMPLOYED;
}

sf_status_t
emp_person_set_status(sf_call_t *call, int64_t serial, int status, int32_t effective_on,
                      int event, const char *reason, bool *changed)
{
    *changed = false;
    char date[11];
    sf_date_format(effective_on, date);
    sf_params_t *params = SF_PARAMS(serial, status, date, reason ? reason : "", event,
                                    sf_param_bool(emp_seeks_work_in(status)));
    /* The current status becomes a closed period ending the day before,
     * labelled with what began it, unless it began that same day (then it
     * is simply replaced); the new one keeps what begins it. */
    PGresult *result = emp_try(call,
        "WITH cur AS (SELECT serial, status, status_since, status_event, status_reason FROM person"
        "   WHERE serial = $1 FOR UPDATE),"
        " closed AS (INSERT INTO status_period (person_serial, status, since, until, reason, event)"
        "   SELECT serial, status, status_since, $3::date - 1, status_reason, status_event FROM cur"
        "   WHERE status <> $2 AND status_since < $3::date RETURNING 1)"
        " UPDATE person p SET status = $2, status_since = $3::date, status_event = $5, status_reason = $4,"
        "  seeking_work = $6, version = p.version + 1, updated_at = now()"
        " FROM cur WHERE p.serial = cur.serial AND cur.status <> $2 AND cur.status_since <= $3::date"
        " RETURNING p.serial", params);
    if (!result)
        return sf_call_status(call);
    *changed = PQntuples(result) == 1;
    PQclear(result);
    return SF_OK;
}

void
emp_emit_status_change(sf_call_t *call, const char *resident_id, int status, int32_t effective_on,
                       int event, const char *reason, bool seeking_work)
{
    Sifang__V1__StatusChange *change = (Sifang__V1__StatusChange *)
        sf_call_new_message(call, &sifang__v1__status_change__descriptor);
    change->resident_id = sf_call_strdup(call, resident_id);
    change->status = (Sifang__V1__LaborStatus) status;
    char date[11];
    sf_date_format(effective_on, date);
    change->effective_on = sf_call_strdup(call, date);
    change->reason = sf_call_strdup(call, reason);
    change->event = (Sifang__V1__StatusEvent) event;
    change->seeking_work = seeking_work;
    change->recorded_unix_ms = sf_now_ms();
    sf_call_emit(call, "person.status_changed", resident_id, &change->base);
}

/* --- registration -------------------------------------------------------------------- */

/* What the checks made of one person record, ready for the statements. */
typedef struct {
    int32_t registered_on, status_since, difficulty_since;
    char registered_text[11], status_text[11], difficulty_text[11];
    char *difficulties, *skill_codes, *skill_grades, *skill_years, *certificates, *desired;
    const char *zone;
    bool zone_given;
    bool update;                  /* an existing person: applied as an update */
    bool status_changed;          /* by that update */
    int64_t serial;
} person_plan_t;

static bool
known_occupation(sf_call_t *call, emp_item_t *item, const char *field, const char *code)
{
    if (emp_occupation_level(code) == 0) {
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, field,
                      "must be an occupation code such as 4-03-02-01");
        return false;
    }
    if (!emp_occupation_known(call, code)) {
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, field,
                      "%s is not in the occupational classification", code);
        return false;
    }
    return true;
}

/* The checks that need nothing but the record. */
static void
person_check(sf_call_t *call, const Sifang__V1__Person *person, emp_item_t *item, person_plan_t *plan)
{
    int32_t today = sf_today();
    char field[64];
    if (!*person->resident_id)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "resident_id", "is required");
    else if (!emp_ident_valid(person->resident_id, 32))
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "resident_id", "must be a resident id such as R0000123");
    if (person->status == 0)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "status", "is required");
    else if (person->status < 1 || person->status > 6)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "status", "is not a labour status");
    plan->registered_on = today;
    if (emp_item_date(call, item, "registered_on", person->registered_on, &plan->registered_on)
        && plan->registered_on > today)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "registered_on", "is in the future");
    plan->status_since = plan->registered_on;
    if (emp_item_date(call, item, "status_since", person->status_since, &plan->status_since)
        && plan->status_since > today)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "status_since", "is in the future");
    plan->difficulty_since = plan->registered_on;
    if (emp_item_date(call, item, "difficulty_since", person->difficulty_since, &plan->difficulty_since)
        && plan->difficulty_since > today)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "difficulty_since", "is in the future");
    sf_date_format(plan->registered_on, plan->registered_text);
    sf_date_format(plan->status_since, plan->status_text);
    sf_date_format(plan->difficulty_since, plan->difficulty_text);

    if (person->n_difficulties > EMP_MAX_LIST)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "difficulties", "at most %d", EMP_MAX_LIST);
    unsigned seen = 0;
    sf_pgarray_t difficulties;
    sf_pgarray_init(&difficulties);
    for (size_t i = 0; i < person->n_difficulties && i < EMP_MAX_LIST; i++) {
        int category = person->difficulties[i];
        snprintf(field, sizeof field, "difficulties[%zu]", i);
        if (category < 1 || category > 7)
            emp_item_fail(call, item, SF_INVALID_ARGUMENT, field, "is not a difficulty category");
        else if (seen & (1u << category))
            emp_item_fail(call, item, SF_INVALID_ARGUMENT, field, "is given twice");
        else {
            seen |= 1u << category;
            sf_pgarray_add_int(&difficulties, category);
        }
    }
    plan->difficulties = emp_pgarray_take(call, &difficulties);

    if (person->n_skills > EMP_MAX_SKILLS)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "skills", "at most %d", EMP_MAX_SKILLS);
    sf_pgarray_t codes, grades, years;
    sf_pgarray_init(&codes);
    sf_pgarray_init(&grades);
    sf_pgarray_init(&years);
    for (size_t i = 0; i < person->n_skills && i < EMP_MAX_SKILLS; i++) {
        const Sifang__V1__Skill *skill = person->skills[i];
        snprintf(field, sizeof field, "skills[%zu].occupation_code", i);
        known_occupation(call, item, field, skill->occupation_code);
        if (skill->grade < 0 || skill->grade > 5) {
            snprintf(field, sizeof field, "skills[%zu].grade", i);
            emp_item_fail(call, item, SF_INVALID_ARGUMENT, field, "is not a skill grade");
        }
        if (skill->years < 0 || skill->years > 60) {
            snprintf(field, sizeof field, "skills[%zu].years", i);
            emp_item_fail(call, item, SF_INVALID_ARGUMENT, field, "must be between 0 and 60");
        }
        sf_pgarray_add_text(&codes, skill->occupation_code);
        sf_pgarray_add_int(&grades, skill->grade);
        sf_pgarray_add_int(&years, skill->years);
    }
    plan->skill_codes = emp_pgarray_take(call, &codes);
    plan->skill_grades = emp_pgarray_take(call, &grades);
    plan->skill_years = emp_pgarray_take(call, &years);

    if (person->n_certificates > EMP_MAX_LIST)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "certificates", "at most %d", EMP_MAX_LIST);
    for (size_t i = 0; i < person->n_certificates && i < EMP_MAX_LIST; i++) {
        const Sifang__V1__Certificate *certificate = person->certificates[i];
        snprintf(field, sizeof field, "certificates[%zu].number", i);
        if (!emp_ident_valid(certificate->number, EMP_IDENT_MAX))
            emp_item_fail(call, item, SF_INVALID_ARGUMENT, field,
                          "is required: letters, digits and . _ - : / @, at most %d", EMP_IDENT_MAX);
        snprintf(field, sizeof field, "certificates[%zu].name", i);
        emp_item_text(call, item, field, certificate->name, EMP_NAME_MAX, true);
        if (*certificate->occupation_code) {
            snprintf(field, sizeof field, "certificates[%zu].occupation_code", i);
            known_occupation(call, item, field, certificate->occupation_code);
        }
        if (certificate->grade < 0 || certificate->grade > 5) {
            snprintf(field, sizeof field, "certificates[%zu].grade", i);
            emp_item_fail(call, item, SF_INVALID_ARGUMENT, field, "is not a skill grade");
        }
        int32_t issued = 0;
        snprintf(field, sizeof field, "certificates[%zu].issued_on", i);
        if (emp_item_date(call, item, field, certificate->issued_on, &issued) && issued > today)
            emp_item_fail(call, item, SF_INVALID_ARGUMENT, field, "is in the future");
        snprintf(field, sizeof field, "certificates[%zu].issuer", i);
        emp_item_text(call, item, field, certificate->issuer, EMP_NAME_MAX, false);
    }
    plan->certificates = certificates_to_json(call, person->certificates,
                                              person->n_certificates > EMP_MAX_LIST ? 0 : person->n_certificates);

    if (person->n_desired_occupations > EMP_MAX_LIST)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "desired_occupations", "at most %d", EMP_MAX_LIST);
    sf_pgarray_t desired;
    sf_pgarray_init(&desired);
    for (size_t i = 0; i < person->n_desired_occupations && i < EMP_MAX_LIST; i++) {
        snprintf(field, sizeof field, "desired_occupations[%zu]", i);
        known_occupation(call, item, field, person->desired_occupations[i]);
        sf_pgarray_add_text(&desired, person->desired_occupations[i]);
    }
    plan->desired = emp_pgarray_take(call, &desired);
    if (*person->home_zone_code && !sf_code_of_length(person->home_zone_code, SF_CODE_ZONE_LENGTH))
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "home_zone_code", "must be a zone code (14 digits)");
}

static sf_status_t person_update_core(sf_call_t *call, emp_item_t *item, int64_t serial,
                                      const Sifang__V1__PersonUpdateRequest *update, bool *status_changed);

/* An existing person re-sent by an import: its content replaces what the
 * person holds, the statuses and categories through their history. */
static sf_status_t
person_reimport(sf_call_t *call, const Sifang__V1__Person *person, emp_item_t *item, person_plan_t *plan)
{
    Sifang__V1__PersonUpdateRequest update = SIFANG__V1__PERSON_UPDATE_REQUEST__INIT;
    update.resident_id = person->resident_id;
    update.status = person->status;
    update.effective_on = person->status_since;   /* empty: today */
    update.reason = sf_call_printf(call, "import %s", item->system);
    update.set_difficulties = true;
    update.n_difficulties = person->n_difficulties;
    update.difficulties = person->difficulties;
    update.set_skills = true;
    update.n_skills = person->n_skills;
    update.skills = person->skills;
    update.set_certificates = true;
    update.n_certificates = person->n_certificates;
    update.certificates = person->certificates;
    update.set_seeking_work = true;
    update.seeking_work = person->seeking_work;
    update.set_desired_occupations = true;
    update.n_desired_occupations = person->n_desired_occupations;
    update.desired_occupations = person->desired_occupations;
    update.home_zone_code = person->home_zone_code;
    update.set_disability_certificate = true;
    update.disability_certificate = person->disability_certificate;
    update.event = SIFANG__V1__STATUS_EVENT__STATUS_EVENT_IMPORT;
    sf_status_t status = person_update_core(call, item, plan->serial, &update, &plan->status_changed);
    if (plan->status_changed) {
        plan->status_since = sf_today();
        sf_date_parse(person->status_since, &plan->status_since);
    }
    return status;
}

sf_status_t
emp_person_apply(sf_call_t *call, const ProtobufCMessage *const *records, emp_item_t *items, size_t n)
{
    employment_t *self = sf_call_state(call);
    person_plan_t *plans = sf_call_new_array(call, n, sizeof *plans);
    memset(plans, 0, n * sizeof *plans);
    for (size_t i = 0; i < n; i++)
        person_check(call, (const Sifang__V1__Person *) records[i], &items[i], &plans[i]);

    /* What the records refer to, in one statement. */
    emp_lookup_t lookup;
    emp_lookup_init(call, &lookup, n);
    for (size_t i = 0; i < n; i++) {
        const Sifang__V1__Person *person = (const Sifang__V1__Person *) records[i];
        if (emp_item_open(&items[i]))
            emp_lookup_add(&lookup, i, &items[i], person->resident_id, person->home_zone_code);
    }
    PGresult *found;
    sf_status_t status = emp_lookup_run(call, &lookup,
        "SELECT k.ord, r.id IS NOT NULL, COALESCE(r.name, ''), COALESCE(r.gender, 0),"
        " " EMP_DATE("r.birth_date") ", COALESCE(r.household_code, ''), COALESCE(h.zone_code, ''),"
        " z.code IS NOT NULL, COALESCE(p.serial, 0), p.ext_system IS NOT NULL,"
        " COALESCE(e.resident_id, ''), COALESCE(e.ext_hash = k.hash, false), COALESCE(e.serial, 0),"
        " COALESCE(e.home_zone_code, p.home_zone_code, '')"
        EMP_LOOKUP_KEYS("resident_id")
        /* Each a probe of one index, row by row (LATERAL ... LIMIT 1): a
         * run is a few thousand keys against tables of a hundred thousand
         * rows, where the planner would otherwise hash whole tables. */
        " LEFT JOIN LATERAL (SELECT id, name, gender, birth_date, household_code FROM ref_resident"
        "   WHERE id = k.resident_id LIMIT 1) r ON true"
        " LEFT JOIN LATERAL (SELECT zone_code FROM ref_household WHERE code = r.household_code LIMIT 1) h ON true"
        " LEFT JOIN ref_unit z ON z.code = COALESCE(k.zone, h.zone_code) AND z.kind = 4"
        " LEFT JOIN LATERAL (SELECT serial, ext_system, home_zone_code FROM person"
        "   WHERE resident_id = k.resident_id LIMIT 1) p ON true"
        " LEFT JOIN LATERAL (SELECT resident_id, ext_hash, serial, home_zone_code FROM person"
        "   WHERE ext_system = k.system AND ext_id = k.ext_id LIMIT 1) e ON true"
        " ORDER BY k.ord", &found);
    if (status != SF_OK)
        return status;

    /* Decide each record: new, unchanged, an update, or refused. */
    Sifang__V1__Person **stored = sf_call_new_array(call, n, sizeof *stored);
    for (int row = 0; found && row < PQntuples(found); row++) {
        size_t i = emp_lookup_record(&lookup, found, row);
        const Sifang__V1__Person *person = (const Sifang__V1__Person *) records[i];
        emp_item_t *item = &items[i];
        person_plan_t *plan = &plans[i];
        const char *keyed_resident = sf_db_text(found, row, 10);
        if (*sf_db_text(found, row, 13) && !emp_may_write(emp_item_call(call, item), sf_db_text(found, row, 13))) {
            emp_item_fail(call, item, SF_PERMISSION_DENIED, "resident_id", "the person lives outside your scope");
            continue;
        }
        if (*keyed_resident) {
            if (sf_db_bool(found, row, 11)) {
                item->outcome = SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UNCHANGED;
                item->key = sf_call_strdup(call, keyed_resident);
            } else if (strcmp(keyed_resident, person->resident_id) != 0)
                emp_item_fail(call, item, SF_ALREADY_EXISTS, "external_id",
                              "already names resident %s in %s", keyed_resident, item->system);
            else {
                plan->update = true;
                plan->serial = sf_db_int(found, row, 12);
            }
            continue;
        }
        if (!sf_db_bool(found, row, 1)) {
            emp_item_fail(call, item, SF_FAILED_PRECONDITION, "resident_id",
                          "no resident %s is known from grid", person->resident_id);
            continue;
        }
        if (sf_db_int(found, row, 8) != 0) {
            if (item->system && !sf_db_bool(found, row, 9)) {
                plan->update = true;    /* registered here: the import takes it over */
                plan->serial = sf_db_int(found, row, 8);
            } else
                emp_item_fail(call, item, SF_ALREADY_EXISTS, "resident_id", "%s is already registered%s",
                              person->resident_id, item->system ? " from another system" : "");
            continue;
        }
        plan->zone_given = *person->home_zone_code != 0;
        plan->zone = plan->zone_given ? person->home_zone_code : sf_call_strdup(call, sf_db_text(found, row, 6));
        if (!sf_db_bool(found, row, 7)) {
            if (plan->zone_given)
                emp_item_fail(call, item, SF_FAILED_PRECONDITION, "home_zone_code", "no zone %s is known from grid",
                              person->home_zone_code);
            else
                emp_item_fail(call, item, SF_FAILED_PRECONDITION, "home_zone_code",
                              "the zone of the resident's household is not known: give home_zone_code");
            continue;
        }
        if (!emp_may_write(emp_item_call(call, item), plan->zone)) {
            emp_item_fail(call, item, SF_PERMISSION_DENIED, "home_zone_code", "zone %s lies outside your scope",
                          plan->zone);
            continue;
        }
        int gender = (int) sf_db_int(found, row, 3);
        int32_t birth = 0;
        if (sf_date_parse(sf_db_text(found, row, 4), &birth)) {
            int age = emp_age_on(birth, plan->registered_on);
            int limit = gender == SIFANG__V1__GENDER__GENDER_FEMALE ? self->retirement_age_women
                                                                    : self->retirement_age_men;
            if (age < self->working_age_min || age >= limit) {
                emp_item_fail(call, item, SF_FAILED_PRECONDITION, "resident_id",
                              "is not of working age on %s (aged %d; %d to %d)", plan->registered_text, age,
                              self->working_age_min, limit - 1);
                continue;
            }
        }
        /* The categories' rules (employment_difficulty.c), on the day they
         * are recognised. */
        emp_difficulty_facts_t facts = {
            .gender = gender, .birth_date = sf_db_text(found, row, 4), .household_code = sf_db_text(found, row, 5),
            .status = person->status, .disability_certificate = person->disability_certificate,
            .employed_member = "",
        };
        if (emp_difficulties_need_household(person->difficulties, person->n_difficulties)) {
            char *member = NULL;
            status = emp_household_employed(call, person->resident_id, facts.household_code, &member);
            if (status != SF_OK) {
                PQclear(found);
                return status;
            }
            facts.employed_member = member;
        }
        emp_difficulty_check(call, item, person->difficulties, person->n_difficulties, NULL, plan->difficulty_since,
                             &facts);
        if (!emp_item_open(item))
            continue;
        Sifang__V1__Person *copy = (Sifang__V1__Person *) sf_call_new_message(call, &sifang__v1__person__descriptor);
        *copy = *person;
        copy->status_event = item->system ? SIFANG__V1__STATUS_EVENT__STATUS_EVENT_IMPORT
                                          : SIFANG__V1__STATUS_EVENT__STATUS_EVENT_REGISTRATION;
        copy->name = sf_call_strdup(call, sf_db_text(found, row, 2));
        copy->gender = (Sifang__V1__Gender) gender;
        copy->birth_date = sf_call_strdup(call, sf_db_text(found, row, 4));
        copy->household_code = sf_call_strdup(call, sf_db_text(found, row, 5));
        copy->home_zone_code = (char *) plan->zone;
        copy->registered_on = plan->registered_text;
        copy->status_since = plan->status_text;
        copy->difficulty_since = plan->difficulty_text;
        copy->external_system = (char *) (item->system ? item->system : "");
        copy->external_id = (char *) (item->system ? item->external_id : "");
        copy->version = 1;
        stored[i] = copy;
    }
    PQclear(found);

    /* The new ones, in one statement. */
    enum { N_COLUMNS = 18 };
    static const uint32_t column_types[N_COLUMNS] = {
        SF_OID_TEXT, SF_OID_TEXT, SF_OID_BOOL, SF_OID_INT4, SF_OID_DATE, SF_OID_TEXT, SF_OID_DATE,
        SF_OID_TEXT, SF_OID_TEXT, SF_OID_TEXT, SF_OID_TEXT, SF_OID_BOOL, SF_OID_TEXT, SF_OID_DATE,
        SF_OID_TEXT, SF_OID_TEXT, SF_OID_BYTEA, SF_OID_TEXT,
    };
    sf_binarray_t columns[N_COLUMNS];
    for (size_t a = 0; a < N_COLUMNS; a++)
        sf_binarray_init(&columns[a], column_types[a]);
    size_t n_new = 0;
    for (size_t i = 0; i < n; i++) {
        if (!emp_item_open(&items[i]) || plans[i].update)
            continue;
        const Sifang__V1__Person *person = stored[i];
        const person_plan_t *plan = &plans[i];
        sf_binarray_text(&columns[0], person->resident_id);
        sf_binarray_text(&columns[1], plan->zone);
        sf_binarray_bool(&columns[2], plan->zone_given);
        sf_binarray_int4(&columns[3], person->status);
        sf_binarray_date(&columns[4], plan->status_since);
        sf_binarray_text(&columns[5], plan->difficulties);
        sf_binarray_date(&columns[6], plan->difficulty_since);
        sf_binarray_text(&columns[7], plan->skill_codes);
        sf_binarray_text(&columns[8], plan->skill_grades);
        sf_binarray_text(&columns[9], plan->skill_years);
        sf_binarray_text(&columns[10], plan->certificates);
        sf_binarray_bool(&columns[11], person->seeking_work);
        sf_binarray_text(&columns[12], plan->desired);
        sf_binarray_date(&columns[13], plan->registered_on);
        sf_binarray_text(&columns[14], items[i].system);
        sf_binarray_text(&columns[15], items[i].system ? items[i].external_id : NULL);
        if (items[i].system)
            sf_binarray_bytes(&columns[16], items[i].hash, sizeof items[i].hash);
        else
            sf_binarray_null(&columns[16]);
        sf_binarray_text(&columns[17], person->disability_certificate);
        n_new++;
    }
    PGresult *inserted = NULL;
    if (n_new) {
        sf_params_t params;
        sf_params_init(&params);
        for (size_t a = 0; a < N_COLUMNS; a++)
            sf_binarray_param(&columns[a], &params);
        /* The arrays in the target list (not FROM unnest(...), whose rows
         * would be gathered in a tuplestore first). The lists a person holds
         * come as literals: most are empty, and need no parsing. */
        inserted = emp_try(call,
            "INSERT INTO person (resident_id, home_zone_code, home_zone_given, status, status_since,"
            " difficulties, difficulty_since, skill_codes, skill_grades, skill_years, certificates,"
            " seeking_work, desired, registered_on, ext_system, ext_id, ext_hash, disability_certificate,"
            " status_event, status_reason)"
            " SELECT k.resident_id, k.zone, k.zone_given, k.status, k.status_since,"
            "  CASE WHEN k.difficulties = '{}' THEN '{}' ELSE k.difficulties::int[] END, k.difficulty_since,"
            "  CASE WHEN k.skill_codes = '{}' THEN '{}' ELSE k.skill_codes::text[] END,"
            "  CASE WHEN k.skill_grades = '{}' THEN '{}' ELSE k.skill_grades::int[] END,"
            "  CASE WHEN k.skill_years = '{}' THEN '{}' ELSE k.skill_years::int[] END,"
            "  CASE WHEN k.certificates = '[]' THEN '[]' ELSE k.certificates::jsonb END, k.seeking,"
            "  CASE WHEN k.desired = '{}' THEN '{}' ELSE k.desired::text[] END, k.registered_on, k.system, k.ext_id,"
            "  k.hash, k.disability_certificate, CASE WHEN k.system IS NULL THEN 1 ELSE 7 END,"
            "  CASE WHEN k.system IS NULL THEN 'registered' ELSE 'import ' || k.system END"
            " FROM (SELECT unnest($1::text[]) AS resident_id, unnest($2::text[]) AS zone, unnest($3::bool[]) AS zone_given,"
            "  unnest($4::int[]) AS status, unnest($5::date[]) AS status_since, unnest($6::text[]) AS difficulties,"
            "  unnest($7::date[]) AS difficulty_since, unnest($8::text[]) AS skill_codes,"
            "  unnest($9::text[]) AS skill_grades, unnest($10::text[]) AS skill_years,"
            "  unnest($11::text[]) AS certificates, unnest($12::bool[]) AS seeking, unnest($13::text[]) AS desired,"
            "  unnest($14::date[]) AS registered_on, unnest($15::text[]) AS system, unnest($16::text[]) AS ext_id,"
            "  unnest($17::bytea[]) AS hash, unnest($18::text[]) AS disability_certificate) k"
            /* No ON CONFLICT: the look-up above found none of these, and its
             * check of every unique index first would cost as much again. A
             * conflict fails the run, and each record then goes alone. */
            " RETURNING resident_id, " EMP_MS("created_at"), &params);
    }
    for (size_t a = 0; a < N_COLUMNS; a++)
        sf_binarray_release(&columns[a]);
    if (n_new && !inserted)
        return sf_call_status(call);
    /* RETURNING gives the inserted rows in the order of the SELECT. */
    int row = 0, rows = inserted ? PQntuples(inserted) : 0;
    for (size_t i = 0; i < n; i++) {
        if (!emp_item_open(&items[i]) || plans[i].update)
            continue;
        if (row < rows && strcmp(sf_db_text(inserted, row, 0), stored[i]->resident_id) == 0) {
            stored[i]->created_unix_ms = stored[i]->updated_unix_ms = sf_db_int(inserted, row, 1);
            items[i].outcome = SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_CREATED;
            items[i].key = stored[i]->resident_id;
            items[i].stored = &stored[i]->base;
            row++;
        } else
            emp_item_fail(call, &items[i], SF_ALREADY_EXISTS, "resident_id", "%s is already registered",
                          stored[i]->resident_id);
    }
    PQclear(inserted);

    /* Existing people re-sent: one at a time (rare in a run). */
    for (size_t i = 0; i < n; i++) {
        if (!emp_item_open(&items[i]) || !plans[i].update)
            continue;
        sf_status_t status = person_reimport(call, (const Sifang__V1__Person *) records[i], &items[i], &plans[i]);
        if (status != SF_OK)
            return status;
    }

    /* Events last: nothing above can fail any more. */
    for (size_t i = 0; i < n; i++) {
        if (items[i].outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_CREATED)
            sf_call_emit(emp_item_call(call, &items[i]), "person.registered", items[i].key, items[i].stored);
        else if (items[i].outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UPDATED)
            sf_call_emit(emp_item_call(call, &items[i]), "person.updated", items[i].key, items[i].stored);
    }
    for (size_t i = 0; i < n; i++)
        if (items[i].outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UPDATED && plans[i].status_changed)
            emp_emit_status_change(emp_item_call(call, &items[i]), items[i].key,
                                   ((Sifang__V1__Person *) items[i].stored)->status, plans[i].status_since,
                                   SIFANG__V1__STATUS_EVENT__STATUS_EVENT_IMPORT,
                                   sf_call_printf(call, "import %s", items[i].system),
                                   ((Sifang__V1__Person *) items[i].stored)->seeking_work);
    return SF_OK;
}

sf_status_t
emp_person_register(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__Person *person = (const Sifang__V1__Person *) request;
    if (*person->home_zone_code && !emp_may_write(call, person->home_zone_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "zone %s lies outside your scope", person->home_zone_code);
    sf_status_t status = emp_apply_one(call, emp_person_apply, request, reply_p);
    if (status == SF_OK && !emp_may_write(call, ((Sifang__V1__Person *) *reply_p)->home_zone_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the person lives outside your scope");
    return status;
}

sf_status_t
emp_person_register_batch(sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies, size_t n)
{
    return emp_apply_batch(emp_person_apply, calls, requests, replies, n);
}

/* --- updates ------------------------------------------------------------------------ */

static bool
same_ints(const int64_t *a, size_t n_a, Sifang__V1__DifficultyCategory *b, size_t n_b)
{
    if (n_a != n_b)
        return false;
    for (size_t i = 0; i < n_a; i++) {
        bool found = false;
        for (size_t j = 0; j < n_b && !found; j++)
            found = a[i] == (int64_t) b[j];
        if (!found)
            return false;
    }
    return true;
}

/* Applies an update to the person with serial (locked here); the item holds
 * the outcome. Statements only through emp_try; events are the caller's. */
static sf_status_t
person_update_core(sf_call_t *call, emp_item_t *item, int64_t serial, const Sifang__V1__PersonUpdateRequest *update,
                   bool *status_changed)
{
    if (status_changed)
        *status_changed = false;
    sf_params_t *params = SF_PARAMS(serial);
    Sifang__V1__Person *current = NULL;
    int64_t ignored = 0;
    sf_status_t status = person_load_where(call, "p.serial = $1 FOR UPDATE OF p", params, &current, &ignored);
    if (status != SF_OK)
        return status;
    if (!current) {
        emp_item_fail(call, item, SF_NOT_FOUND, "resident_id", "no person %s", update->resident_id);
        return SF_OK;
    }
    if (update->expected_version && update->expected_version != current->version) {
        emp_item_fail(call, item, SF_FAILED_PRECONDITION, "expected_version", "the person is at version %lld",
                      (long long) current->version);
        return SF_OK;
    }
    /* The checks of a registration, on the new values. */
    Sifang__V1__Person proposed = *current;
    proposed.status = update->status ? update->status : current->status;
    proposed.status_since = (char *) "";
    proposed.registered_on = (char *) "";
    proposed.difficulty_since = (char *) "";
    if (update->set_difficulties) {
        proposed.n_difficulties = update->n_difficulties;
        proposed.difficulties = update->difficulties;
    }
    if (update->set_skills) {
        proposed.n_skills = update->n_skills;
        proposed.skills = update->skills;
    }
    if (update->set_certificates) {
        proposed.n_certificates = update->n_certificates;
        proposed.certificates = update->certificates;
    }
    if (update->set_desired_occupations) {
        proposed.n_desired_occupations = update->n_desired_occupations;
        proposed.desired_occupations = update->desired_occupations;
    }
    proposed.home_zone_code = *update->home_zone_code ? update->home_zone_code : (char *) "";
    person_plan_t plan;
    memset(&plan, 0, sizeof plan);
    person_check(call, &proposed, item, &plan);
    int32_t effective = sf_today();
    if (emp_item_date(call, item, "effective_on", update->effective_on, &effective) && effective > sf_today())
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "effective_on", "is in the future");
    emp_item_text(call, item, "reason", update->reason, EMP_TEXT_MAX, false);
    if (!emp_item_open(item))
        return SF_OK;
    /* The categories' rules for those it recognises now (employment_difficulty.c);
     * a new certificate is checked against a disabled category held. */
    if (update->set_difficulties || update->set_disability_certificate) {
        const Sifang__V1__DifficultyCategory *categories = proposed.difficulties;
        size_t n_categories = proposed.n_difficulties;
        bool *held = sf_call_new_array(call, n_categories ? n_categories : 1, sizeof *held);
        for (size_t i = 0; i < n_categories; i++) {
            held[i] = false;
            for (size_t j = 0; j < current->n_difficulties; j++)
                held[i] = held[i] || current->difficulties[j] == categories[i];
            if (update->set_disability_certificate
                && categories[i] == SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_DISABLED
                && strcmp(update->disability_certificate, current->disability_certificate) != 0)
                held[i] = false;
        }
        emp_difficulty_facts_t facts = {
            .gender = current->gender, .birth_date = current->birth_date, .household_code = current->household_code,
            .status = proposed.status,
            .disability_certificate = update->set_disability_certificate ? update->disability_certificate
                                                                         : current->disability_certificate,
            .employed_member = "",
        };
        bool asks_household = false;
        for (size_t i = 0; i < n_categories; i++)
            asks_household = asks_household
                || (!held[i] && categories[i] == SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_ZERO_EMPLOYMENT_FAMILY);
        if (asks_household) {
            char *member = NULL;
            status = emp_household_employed(call, current->resident_id, current->household_code, &member);
            if (status != SF_OK)
                return status;
            facts.employed_member = member;
        }
        emp_difficulty_check(call, item, categories, n_categories, held, effective, &facts);
        if (!emp_item_open(item))
            return SF_OK;
    }
    int32_t status_since = 0;
    sf_date_parse(current->status_since, &status_since);
    if (update->status && update->status != current->status && effective < status_since) {
        emp_item_fail(call, item, SF_FAILED_PRECONDITION, "effective_on",
                      "is before the current status began (%s)", current->status_since);
        return SF_OK;
    }
    if (*update->home_zone_code) {
        sf_params_init(params);
        sf_params_text(params, update->home_zone_code);
        PGresult *zone = emp_try(call, "SELECT 1 FROM ref_unit WHERE code = $1 AND kind = 4", params);
        if (!zone)
            return sf_call_status(call);
        bool known = PQntuples(zone) == 1;
        PQclear(zone);
        if (!known) {
            emp_item_fail(call, item, SF_FAILED_PRECONDITION, "home_zone_code", "no zone %s is known from grid",
                          update->home_zone_code);
            return SF_OK;
        }
    }

    bool changed = false;
    if (update->status && update->status != current->status) {
        int event = update->event ? (int) update->event : SIFANG__V1__STATUS_EVENT__STATUS_EVENT_UPDATE;
        status = emp_person_set_status(call, serial, update->status, effective, event,
                                       *update->reason ? update->reason : emp_status_event_word(event), &changed);
        if (status != SF_OK)
            return status;
    }
    int64_t *old_difficulties = NULL;
    size_t n_old = 0;
    if (update->set_difficulties) {
        n_old = current->n_difficulties;
        old_difficulties = sf_call_new_array(call, n_old, sizeof *old_difficulties);
        for (size_t i = 0; i < n_old; i++)
            old_difficulties[i] = current->difficulties[i];
    }
    bool difficulties_change = update->set_difficulties
        && !same_ints(old_difficulties, n_old, update->difficulties, update->n_difficulties);
    char effective_text[11];
    sf_date_format(effective, effective_text);
    params = SF_PARAMS(serial, sf_param_bool(difficulties_change), plan.difficulties, effective_text,
                       sf_param_bool(update->set_skills), plan.skill_codes, plan.skill_grades, plan.skill_years,
                       sf_param_bool(update->set_certificates), plan.certificates,
                       sf_param_bool(update->set_seeking_work), sf_param_bool(update->seeking_work),
                       sf_param_bool(update->set_desired_occupations), plan.desired,
                       sf_param_text_or_null(update->home_zone_code), item->system,
                       item->system ? item->external_id : NULL);
    if (item->system)
        sf_params_bytes(params, item->hash, sizeof item->hash);
    else
        sf_params_null(params);
    sf_params_bool(params, changed);   /* the status change bumped the version already */
    SF_PARAMS_ADD(params, sf_param_bool(update->set_disability_certificate), update->disability_certificate);
    /* The categories held until now become a closed period (unless they
     * began the same day), like a status. */
    PGresult *result = emp_try(call,
        "WITH cur AS (SELECT serial, difficulties, difficulty_since FROM person WHERE serial = $1),"
        " closed AS (INSERT INTO difficulty_period (person_serial, difficulties, since, until)"
        "   SELECT serial, difficulties, difficulty_since, $4::date - 1 FROM cur"
        "   WHERE $2 AND difficulty_since < $4::date RETURNING 1)"
        " UPDATE person p SET"
        "  difficulties = CASE WHEN $2 THEN $3::int[] ELSE p.difficulties END,"
        "  difficulty_since = CASE WHEN $2 THEN GREATEST($4::date, p.difficulty_since) ELSE p.difficulty_since END,"
        "  skill_codes = CASE WHEN $5 THEN $6::text[] ELSE p.skill_codes END,"
        "  skill_grades = CASE WHEN $5 THEN $7::int[] ELSE p.skill_grades END,"
        "  skill_years = CASE WHEN $5 THEN $8::int[] ELSE p.skill_years END,"
        "  certificates = CASE WHEN $9 THEN $10::jsonb ELSE p.certificates END,"
        "  seeking_work = CASE WHEN $11 THEN $12 ELSE p.seeking_work END,"
        "  desired = CASE WHEN $13 THEN $14::text[] ELSE p.desired END,"
        "  home_zone_code = COALESCE($15, p.home_zone_code),"
        "  home_zone_given = p.home_zone_given OR $15 IS NOT NULL,"
        "  ext_system = COALESCE($16, p.ext_system), ext_id = COALESCE($17, p.ext_id),"
        "  ext_hash = COALESCE($18, p.ext_hash),"
        "  disability_certificate = CASE WHEN $20 THEN $21 ELSE p.disability_certificate END,"
        "  version = p.version + CASE WHEN $19 THEN 0 ELSE 1 END, updated_at = now()"
        " FROM cur WHERE p.serial = cur.serial", params);
    if (!result)
        return sf_call_status(call);
    PQclear(result);
    params = SF_PARAMS(serial);
    Sifang__V1__Person *stored = NULL;
    status = person_load_where(call, "p.serial = $1", params, &stored, &ignored);
    if (status != SF_OK)
        return status;
    item->outcome = SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UPDATED;
    item->key = stored->resident_id;
    item->stored = &stored->base;
    if (status_changed)
        *status_changed = changed;
    return SF_OK;
}

sf_status_t
emp_person_update(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__PersonUpdateRequest *update = (const Sifang__V1__PersonUpdateRequest *) request;
    if (!*update->resident_id)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "resident_id", "is required");
    if (update->status < 0 || update->status > 6)
        sf_call_violation(call, "status", "is not a labour status");
    /* What an update may say began a status: the others are the service's
     * own (a placement, a separation, support, an import). */
    if (update->event && update->event != SIFANG__V1__STATUS_EVENT__STATUS_EVENT_REGISTRATION
        && update->event != SIFANG__V1__STATUS_EVENT__STATUS_EVENT_CERTIFICATION
        && update->event != SIFANG__V1__STATUS_EVENT__STATUS_EVENT_UPDATE)
        sf_call_violation(call, "event", "must be STATUS_EVENT_UPDATE, _REGISTRATION or _CERTIFICATION");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__Person *current = NULL;
    int64_t serial = 0;
    sf_status_t status = emp_person_load(call, update->resident_id, true, &current, &serial);
    if (status != SF_OK)
        return status;   /* said on the call */
    /* A person outside the caller's view is not there for them, so the
     * answer does not tell whether they are registered. */
    if (!current || !sf_call_covers(call, current->home_zone_code))
        return sf_call_fail(call, SF_NOT_FOUND, "no person %s", update->resident_id);
    if (!emp_may_write(call, current->home_zone_code)
        || (*update->home_zone_code && !emp_may_write(call, update->home_zone_code)))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the person lives outside your scope");
    int status_before = current->status;
    emp_item_t item;
    emp_item_init(&item);
    status = person_update_core(call, &item, serial, update, NULL);
    if (status != SF_OK) {
        emp_item_fail_sql(call, &item);
        return emp_item_reply(call, &item, reply_p);
    }
    if (item.outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UPDATED) {
        Sifang__V1__Person *stored = (Sifang__V1__Person *) item.stored;
        if ((int) stored->status != status_before) {
            int32_t since = 0;
            sf_date_parse(stored->status_since, &since);
            int event = update->event ? (int) update->event : SIFANG__V1__STATUS_EVENT__STATUS_EVENT_UPDATE;
            emp_emit_status_change(call, stored->resident_id, stored->status, since, event,
                                   *update->reason ? update->reason : emp_status_event_word(event),
                                   stored->seeking_work);
        }
        sf_call_emit(call, "person.updated", stored->resident_id, &stored->base);
    }
    return emp_item_reply(call, &item, reply_p);
}

/* --- reads --------------------------------------------------------------------------- */

sf_status_t
emp_person_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__PersonKey *key = (const Sifang__V1__PersonKey *) request;
    if (!*key->resident_id)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "resident_id", "is required");
    PGresult *result = sf_call_query(call,
        "SELECT " EMP_PERSON_COLUMNS " FROM " EMP_PERSON_FROM " WHERE p.resident_id = $1",
        SF_PARAMS(key->resident_id));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 0)
        return sf_call_fail(call, SF_NOT_FOUND, "no person %s", key->resident_id);
    Sifang__V1__Person *person = emp_person_from_row(call, result, 0, 0);
    if (!person)
        return sf_call_fail(call, SF_INTERNAL, "a row's columns are not those its reader reads");
    /* Outside the caller's view: as if there were none, so that the answer
     * does not tell whether they are registered. */
    if (!sf_call_covers(call, person->home_zone_code))
        return sf_call_fail(call, SF_NOT_FOUND, "no person %s", key->resident_id);
    emp_person_shown(call, person);
    *reply_p = &person->base;
    return SF_OK;
}

sf_status_t
emp_person_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__PersonListRequest *list = (const Sifang__V1__PersonListRequest *) request;
    const char *prefix = NULL;
    int64_t after = 0;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    sf_page_t page = sf_page_of(call, list->page);
    if (list->status < 0 || list->status > 6)
        sf_call_violation(call, "status", "is not a labour status");
    if (list->difficulty < 0 || list->difficulty > 7)
        sf_call_violation(call, "difficulty", "is not a difficulty category");
    if (!sf_call_has_violations(call))
        sf_page_int_token(call, &page, &after);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__PersonListReply *reply = (Sifang__V1__PersonListReply *)
        sf_call_new_message(call, &sifang__v1__person_list_reply__descriptor);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " EMP_PERSON_COLUMNS " FROM " EMP_PERSON_FROM);
    sf_query_subtree(&query, "p.home_zone_code", prefix);
    if (list->status)
        sf_query_where(&query, "p.status = $%d", sf_query_int(&query, list->status));
    if (list->difficulty) {
        sf_query_where(&query, "$%d = ANY (p.difficulties)", sf_query_int(&query, list->difficulty));
        /* Who is in a category is shown only where the duty reaches: a
         * filter on it must not tell it of the others. */
        sf_query_where(&query, EMP_UNDER_ANY("p.home_zone_code", "$%d"),
                       sf_query_text(&query, emp_view_prefixes(call, EMP_ROLES_DUTY)));
    }
    if (list->seeking_only)
        sf_query_where(&query, "p.seeking_work");
    if (after)
        sf_query_where(&query, "p.serial > $%d", sf_query_int(&query, after));
    sf_query_append(&query, " ORDER BY p.serial LIMIT %d", page.size + 1);
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->people = sf_call_new_array(call, (size_t) rows, sizeof *reply->people);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__Person *person = emp_person_from_row(call, result, row, 0);
        if (!person)
            return sf_call_fail(call, SF_INTERNAL, "a row's columns are not those its reader reads");
        emp_person_shown(call, person);
        reply->people[reply->n_people++] = person;
    }
    if (sf_page_more(&page, result))
        reply->next_page_token = sf_call_strdup(call, sf_db_text(result, rows - 1, PQfnumber(result, "person_serial")));
    return SF_OK;
}

sf_status_t
emp_person_history(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__PersonKey *key = (const Sifang__V1__PersonKey *) request;
    if (!*key->resident_id)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "resident_id", "is required");
    PGresult *result = sf_call_query(call,
        "SELECT p.home_zone_code, h.status, " EMP_DATE("h.since") ", h.reason, " EMP_MS("h.recorded_at") ","
        " " EMP_DATE("h.until") ", h.event"
        " FROM person p LEFT JOIN LATERAL ("
        "   SELECT status, since, until, reason, event, recorded_at FROM status_period WHERE person_serial = p.serial"
        "   UNION ALL SELECT p.status, p.status_since, NULL, p.status_reason, p.status_event, p.updated_at) h ON true"
        " WHERE p.resident_id = $1 ORDER BY h.since, h.recorded_at", SF_PARAMS(key->resident_id));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 0)
        return sf_call_fail(call, SF_NOT_FOUND, "no person %s", key->resident_id);
    if (!sf_call_covers(call, sf_db_text(result, 0, 0)))
        return sf_call_fail(call, SF_NOT_FOUND, "no person %s", key->resident_id);
    Sifang__V1__PersonHistoryReply *reply = (Sifang__V1__PersonHistoryReply *)
        sf_call_new_message(call, &sifang__v1__person_history_reply__descriptor);
    int rows = PQntuples(result);
    reply->changes = sf_call_new_array(call, (size_t) rows, sizeof *reply->changes);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__StatusChange *change = (Sifang__V1__StatusChange *)
            sf_call_new_message(call, &sifang__v1__status_change__descriptor);
        change->resident_id = key->resident_id;
        sf_row_read(result, row, 1, &change->base, "status effective_on reason recorded_unix_ms until event");
        reply->changes[reply->n_changes++] = change;
    }
    *reply_p = &reply->base;
    return SF_OK;
}
