/* Vacancies (招工) posted by enterprises: posting one or an import run at a
 * time (an unknown enterprise named with the vacancy is registered with it),
 * updates from a re-sent import record, closing, get and list. Open positions
 * fall as placements fill them (employment_placements.c). */
#include "employment.h"
#include "sf_log.h"
#include <stdio.h>
#include <string.h>

Sifang__V1__Vacancy *
emp_vacancy_from_row(sf_call_t *call, const PGresult *result, int row, int c)
{
    Sifang__V1__Vacancy *vacancy = (Sifang__V1__Vacancy *) sf_call_new_message(call, &sifang__v1__vacancy__descriptor);
    vacancy->id = sf_db_int(result, row, c + 0);
    vacancy->enterprise_credit_code = (char *) sf_db_text(result, row, c + 1);
    vacancy->enterprise_name = (char *) sf_db_text(result, row, c + 2);
    vacancy->title = (char *) sf_db_text(result, row, c + 3);
    vacancy->occupation_code = (char *) sf_db_text(result, row, c + 4);
    vacancy->required_grade = (Sifang__V1__SkillGrade) sf_db_int(result, row, c + 5);
    vacancy->positions = (int32_t) sf_db_int(result, row, c + 6);
    vacancy->open_positions = (int32_t) sf_db_int(result, row, c + 7);
    vacancy->full_time = sf_db_bool(result, row, c + 8);
    vacancy->wage_min = (int32_t) sf_db_int(result, row, c + 9);
    vacancy->wage_max = (int32_t) sf_db_int(result, row, c + 10);
    vacancy->work_zone_code = (char *) sf_db_text(result, row, c + 11);
    vacancy->opens_on = (char *) sf_db_text(result, row, c + 12);
    vacancy->closes_on = (char *) sf_db_text(result, row, c + 13);
    vacancy->status = (Sifang__V1__VacancyStatus) sf_db_int(result, row, c + 14);
    vacancy->liaison_staff_id = (char *) sf_db_text(result, row, c + 15);
    vacancy->liaison_name = (char *) sf_db_text(result, row, c + 16);
    vacancy->external_system = (char *) sf_db_text(result, row, c + 17);
    vacancy->external_id = (char *) sf_db_text(result, row, c + 18);
    vacancy->created_unix_ms = sf_db_int(result, row, c + 19);
    vacancy->updated_unix_ms = sf_db_int(result, row, c + 20);
    vacancy->version = sf_db_int(result, row, c + 21);
    /* The reader and the list must end together: a column added to one
     * and not the other would shift every field after it. */
    if (PQfnumber(result, "vacancy_version") != c + 21) {
        sf_error("a vacancy row's columns are not those emp_vacancy_from_row reads", "method", sf_call_method(call));
        return NULL;
    }
    return vacancy;
}

/* Statement-only load (emp_try); *keep holds the row's texts until the
 * caller PQclear()s it. */
static sf_status_t
vacancy_load(sf_call_t *call, int64_t id, bool lock, Sifang__V1__Vacancy **vacancy_p, PGresult **keep)
{
    *vacancy_p = NULL;
    *keep = NULL;
    PGresult *result = emp_try(call, lock
        ? "SELECT " EMP_VACANCY_COLUMNS " FROM " EMP_VACANCY_FROM " WHERE v.id = $1 FOR UPDATE OF v"
        : "SELECT " EMP_VACANCY_COLUMNS " FROM " EMP_VACANCY_FROM " WHERE v.id = $1", SF_PARAMS(id));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 1 && !(*vacancy_p = emp_vacancy_from_row(call, result, 0, 0))) {
        PQclear(result);
        return sf_call_fail(call, SF_INTERNAL, "internal error");   /* logged by the reader */
    }
    *keep = result;
    return SF_OK;
}

typedef struct {
    int32_t opens_on, closes_on;
    char opens_text[11];
    const char *zone;             /* the work zone: given or the enterprise's */
    bool has_location;
    double lat, lon;
    bool create_enterprise;
    int64_t update_id;            /* an imported vacancy re-sent with changes */
    int filled;                   /* its positions already filled */
} vacancy_plan_t;

static void
vacancy_check(sf_call_t *call, const Sifang__V1__Vacancy *vacancy, emp_item_t *item, vacancy_plan_t *plan)
{
    if (!*vacancy->enterprise_credit_code)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "enterprise_credit_code", "is required");
    else if (!sf_credit_code_valid(vacancy->enterprise_credit_code))
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "enterprise_credit_code",
                      "is not a unified social credit code (GB 32100-2015)");
    emp_item_text(call, item, "enterprise_name", vacancy->enterprise_name, EMP_NAME_MAX, false);
    emp_item_text(call, item, "title", vacancy->title, EMP_NAME_MAX, true);
    if (!*vacancy->occupation_code)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "occupation_code", "is required");
    else if (!emp_occupation_level(vacancy->occupation_code))
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "occupation_code", "must be an occupation code such as 4-03-02-01");
    else if (!emp_occupation_known(call, vacancy->occupation_code))
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "occupation_code", "%s is not in the occupational classification",
                      vacancy->occupation_code);
    if (vacancy->required_grade < 0 || vacancy->required_grade > 5)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "required_grade", "is not a skill grade");
    if (vacancy->positions < 1 || vacancy->positions > 10000)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "positions", "must be between 1 and 10000");
    if (vacancy->wage_min < 0 || vacancy->wage_min > 1000000)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "wage_min", "must be between 0 and 1000000 yuan a month");
    if (vacancy->wage_max < 0 || vacancy->wage_max > 1000000)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "wage_max", "must be between 0 and 1000000 yuan a month");
    else if (vacancy->wage_max && vacancy->wage_max < vacancy->wage_min)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "wage_max", "is below wage_min");
    if (*vacancy->work_zone_code && !sf_code_of_length(vacancy->work_zone_code, SF_CODE_ZONE_LENGTH))
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "work_zone_code", "must be a zone code (14 digits)");
    plan->opens_on = sf_today();
    plan->closes_on = 0;
    emp_item_date(call, item, "opens_on", vacancy->opens_on, &plan->opens_on);
    if (emp_item_date(call, item, "closes_on", vacancy->closes_on, &plan->closes_on) && *vacancy->closes_on
        && plan->closes_on < plan->opens_on)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "closes_on", "is before opens_on");
    if (plan->opens_on > sf_today() + 366)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "opens_on", "is more than a year ahead");
    sf_date_format(plan->opens_on, plan->opens_text);
}

/* A vacancy record re-sent by its system with other content. */
static sf_status_t
vacancy_reimport(sf_call_t *call, const Sifang__V1__Vacancy *vacancy, emp_item_t *item, vacancy_plan_t *plan)
{
    sf_params_t *params = SF_PARAMS(plan->update_id, vacancy->title, vacancy->occupation_code,
                                    vacancy->required_grade, vacancy->positions, sf_param_bool(vacancy->full_time),
                                    vacancy->wage_min, vacancy->wage_max, sf_param_text_or_null(plan->zone));
    if (plan->has_location) {
        SF_PARAMS_ADD(params, sf_param_double(plan->lat), sf_param_double(plan->lon));
    } else {
        sf_params_null(params);
        sf_params_null(params);
    }
    SF_PARAMS_ADD(params, plan->opens_text, sf_param_text_or_null(vacancy->closes_on),
                          sf_param_bool(vacancy->status == SIFANG__V1__VACANCY_STATUS__VACANCY_STATUS_CLOSED));
    sf_params_bytes(params, item->hash, sizeof item->hash);
    PGresult *result = emp_try(call,
        "UPDATE vacancy SET title = $2, occupation_code = $3, required_grade = $4, positions = $5,"
        " open_positions = $5 - (positions - open_positions), full_time = $6, wage_min = $7, wage_max = $8,"
        " work_zone_code = $9, lat = $10, lon = $11, opens_on = $12::date, closes_on = $13::date,"
        " status = CASE WHEN $14 OR status = 3 THEN 3 WHEN $5 - (positions - open_positions) = 0 THEN 2 ELSE 1 END,"
        " ext_hash = $15, version = version + 1, updated_at = now() WHERE id = $1", params);
    if (!result)
        return sf_call_status(call);
    PQclear(result);
    Sifang__V1__Vacancy *stored = NULL;
    PGresult *kept = NULL;
    sf_status_t status = vacancy_load(call, plan->update_id, false, &stored, &kept);
    if (status != SF_OK)
        return status;
    item->outcome = SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UPDATED;
    item->key = sf_call_printf(call, "%lld", (long long) plan->update_id);
    Sifang__V1__Vacancy *copy = (Sifang__V1__Vacancy *) sf_call_new_message(call, &sifang__v1__vacancy__descriptor);
    *copy = *stored;
    copy->enterprise_credit_code = sf_call_strdup(call, stored->enterprise_credit_code);
    copy->enterprise_name = sf_call_strdup(call, stored->enterprise_name);
    copy->title = sf_call_strdup(call, stored->title);
    copy->occupation_code = sf_call_strdup(call, stored->occupation_code);
    copy->work_zone_code = sf_call_strdup(call, stored->work_zone_code);
    copy->opens_on = sf_call_strdup(call, stored->opens_on);
    copy->closes_on = sf_call_strdup(call, stored->closes_on);
    copy->liaison_staff_id = sf_call_strdup(call, stored->liaison_staff_id);
    copy->liaison_name = sf_call_strdup(call, stored->liaison_name);
    copy->external_system = sf_call_strdup(call, stored->external_system);
    copy->external_id = sf_call_strdup(call, stored->external_id);
    PQclear(kept);
    item->stored = &copy->base;
    return SF_OK;
}

sf_status_t
emp_vacancy_apply(sf_call_t *call, const ProtobufCMessage *const *records, emp_item_t *items, size_t n)
{
    vacancy_plan_t *plans = sf_call_new_array(call, n, sizeof *plans);
    memset(plans, 0, n * sizeof *plans);
    for (size_t i = 0; i < n; i++)
        vacancy_check(call, (const Sifang__V1__Vacancy *) records[i], &items[i], &plans[i]);

    /* What the records refer to, in one statement. */
    emp_lookup_t lookup;
    emp_lookup_init(call, &lookup, n);
    for (size_t i = 0; i < n; i++) {
        const Sifang__V1__Vacancy *vacancy = (const Sifang__V1__Vacancy *) records[i];
        if (emp_item_open(&items[i]))
            emp_lookup_add(&lookup, i, &items[i], vacancy->enterprise_credit_code, vacancy->work_zone_code);
    }
    PGresult *found;
    sf_status_t status = emp_lookup_run(call, &lookup,
        "SELECT k.ord, e.credit_code IS NOT NULL, COALESCE(e.name, ''), COALESCE(e.zone_code, ''),"
        " COALESCE(e.liaison_staff_id, ''), COALESCE(s.name, ''), z.code IS NOT NULL, z.lat, z.lon,"
        " COALESCE(x.id, 0), COALESCE(x.ext_hash = k.hash, false), COALESCE(x.positions - x.open_positions, 0),"
        " COALESCE(x.enterprise_credit_code, '')"
        EMP_LOOKUP_KEYS("enterprise")
        /* Each a probe of one index (see emp_person_apply). */
        " LEFT JOIN LATERAL (SELECT credit_code, name, zone_code, liaison_staff_id FROM enterprise"
        "   WHERE credit_code = k.enterprise LIMIT 1) e ON true"
        " LEFT JOIN LATERAL (SELECT name FROM ref_staff WHERE id = e.liaison_staff_id LIMIT 1) s ON true"
        " LEFT JOIN ref_unit z ON z.code = COALESCE(k.zone, e.zone_code) AND z.kind = 4"
        " LEFT JOIN LATERAL (SELECT id, ext_hash, positions, open_positions, enterprise_credit_code FROM vacancy"
        "   WHERE ext_system = k.system AND ext_id = k.ext_id LIMIT 1) x ON true"
        " ORDER BY k.ord", &found);
    if (status != SF_OK)
        return status;

    /* Enterprises a record of the run registers: records of the run that
     * name only their code may use them. */
    emp_strset_t registering;
    emp_strset_init(call, &registering, lookup.n_asked);
    for (int row = 0; found && row < PQntuples(found); row++) {
        size_t i = emp_lookup_record(&lookup, found, row);
        const Sifang__V1__Vacancy *vacancy = (const Sifang__V1__Vacancy *) records[i];
        if (!sf_db_bool(found, row, 1) && *vacancy->enterprise_name && !sf_db_int(found, row, 9))
            emp_strset_add(&registering, vacancy->enterprise_credit_code);
    }
    Sifang__V1__Vacancy **stored = sf_call_new_array(call, n, sizeof *stored);
    for (int row = 0; found && row < PQntuples(found); row++) {
        size_t i = emp_lookup_record(&lookup, found, row);
        const Sifang__V1__Vacancy *vacancy = (const Sifang__V1__Vacancy *) records[i];
        emp_item_t *item = &items[i];
        vacancy_plan_t *plan = &plans[i];
        bool enterprise_known = sf_db_bool(found, row, 1);
        plan->zone = *vacancy->work_zone_code ? vacancy->work_zone_code
                   : *sf_db_text(found, row, 3) ? sf_call_strdup(call, sf_db_text(found, row, 3)) : NULL;
        plan->has_location = sf_db_bool(found, row, 6) && !sf_db_is_null(found, row, 7);
        plan->lat = sf_db_double(found, row, 7);
        plan->lon = sf_db_double(found, row, 8);
        if (*vacancy->work_zone_code && !sf_db_bool(found, row, 6)) {
            emp_item_fail(call, item, SF_FAILED_PRECONDITION, "work_zone_code", "no zone %s is known from grid",
                          vacancy->work_zone_code);
            continue;
        }
        if (!emp_may_write(emp_item_call(call, item), plan->zone)) {
            emp_item_fail(call, item, SF_PERMISSION_DENIED, "work_zone_code", "the work zone lies outside your scope");
            continue;
        }
        if (sf_db_int(found, row, 9)) {
            if (sf_db_bool(found, row, 10)) {
                item->outcome = SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UNCHANGED;
                item->key = sf_call_printf(call, "%lld", (long long) sf_db_int(found, row, 9));
            } else if (strcmp(sf_db_text(found, row, 12), vacancy->enterprise_credit_code) != 0)
                emp_item_fail(call, item, SF_FAILED_PRECONDITION, "enterprise_credit_code",
                              "the vacancy was imported for enterprise %s", sf_db_text(found, row, 12));
            else if (vacancy->positions < sf_db_int(found, row, 11))
                emp_item_fail(call, item, SF_FAILED_PRECONDITION, "positions",
                              "is below the %lld positions already filled", (long long) sf_db_int(found, row, 11));
            else
                plan->update_id = sf_db_int(found, row, 9);
            continue;
        }
        if (!enterprise_known) {
            if (!*vacancy->enterprise_name && !emp_strset_has(&registering, vacancy->enterprise_credit_code)) {
                emp_item_fail(call, item, SF_FAILED_PRECONDITION, "enterprise_credit_code",
                              "no enterprise %s is registered (give enterprise_name to register it)",
                              vacancy->enterprise_credit_code);
                continue;
            }
            plan->create_enterprise = *vacancy->enterprise_name != 0;
        }
        Sifang__V1__Vacancy *copy = (Sifang__V1__Vacancy *) sf_call_new_message(call, &sifang__v1__vacancy__descriptor);
        *copy = *vacancy;
        copy->id = 0;
        copy->enterprise_name = enterprise_known ? sf_call_strdup(call, sf_db_text(found, row, 2)) : vacancy->enterprise_name;
        copy->open_positions = vacancy->positions;
        copy->work_zone_code = (char *) (plan->zone ? plan->zone : "");
        copy->opens_on = plan->opens_text;
        copy->status = SIFANG__V1__VACANCY_STATUS__VACANCY_STATUS_OPEN;
        copy->liaison_staff_id = sf_call_strdup(call, sf_db_text(found, row, 4));
        copy->liaison_name = sf_call_strdup(call, sf_db_text(found, row, 5));
        copy->external_system = (char *) (item->system ? item->system : "");
        copy->external_id = (char *) (item->system ? item->external_id : "");
        copy->version = 1;
        stored[i] = copy;
    }
    PQclear(found);

    /* Enterprises named for the first time, once each. */
    sf_binarray_t new_codes, new_names;
    sf_binarray_init(&new_codes, SF_OID_TEXT);
    sf_binarray_init(&new_names, SF_OID_TEXT);
    size_t n_enterprises = 0;
    for (size_t i = 0; i < n; i++) {
        if (!emp_item_open(&items[i]) || !plans[i].create_enterprise)
            continue;
        sf_binarray_text(&new_codes, stored[i]->enterprise_credit_code);
        sf_binarray_text(&new_names, stored[i]->enterprise_name);
        n_enterprises++;
    }
    PGresult *registered = NULL;
    if (n_enterprises) {
        sf_params_t params;
        sf_params_init(&params);
        sf_binarray_param(&new_codes, &params);
        sf_binarray_param(&new_names, &params);
        registered = emp_try(call,
            "INSERT INTO enterprise (credit_code, name) SELECT DISTINCT ON (c) c, n"
            " FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(c, n, o) ORDER BY c, o"
            " ON CONFLICT DO NOTHING RETURNING credit_code, name, " EMP_MS("created_at"), &params);
    }
    sf_binarray_release(&new_codes);
    sf_binarray_release(&new_names);
    if (n_enterprises && !registered)
        return sf_call_status(call);

    static const uint32_t column_types[16] = {
        SF_OID_TEXT, SF_OID_TEXT, SF_OID_TEXT, SF_OID_INT4, SF_OID_INT4, SF_OID_BOOL, SF_OID_INT4, SF_OID_INT4,
        SF_OID_TEXT, SF_OID_FLOAT8, SF_OID_FLOAT8, SF_OID_DATE, SF_OID_DATE, SF_OID_TEXT, SF_OID_TEXT,
        SF_OID_BYTEA,
    };
    sf_binarray_t columns[16];
    for (size_t a = 0; a < 16; a++)
        sf_binarray_init(&columns[a], column_types[a]);
    size_t n_new = 0;
    for (size_t i = 0; i < n; i++) {
        if (!emp_item_open(&items[i]) || plans[i].update_id)
            continue;
        const Sifang__V1__Vacancy *vacancy = stored[i];
        const vacancy_plan_t *plan = &plans[i];
        sf_binarray_text(&columns[0], vacancy->enterprise_credit_code);
        sf_binarray_text(&columns[1], vacancy->title);
        sf_binarray_text(&columns[2], vacancy->occupation_code);
        sf_binarray_int4(&columns[3], vacancy->required_grade);
        sf_binarray_int4(&columns[4], vacancy->positions);
        sf_binarray_bool(&columns[5], vacancy->full_time);
        sf_binarray_int4(&columns[6], vacancy->wage_min);
        sf_binarray_int4(&columns[7], vacancy->wage_max);
        sf_binarray_text(&columns[8], plan->zone);
        if (plan->has_location) {
            sf_binarray_float8(&columns[9], plan->lat);
            sf_binarray_float8(&columns[10], plan->lon);
        } else {
            sf_binarray_null(&columns[9]);
            sf_binarray_null(&columns[10]);
        }
        sf_binarray_date(&columns[11], plan->opens_on);
        if (*vacancy->closes_on)
            sf_binarray_date(&columns[12], plan->closes_on);
        else
            sf_binarray_null(&columns[12]);
        sf_binarray_text(&columns[13], items[i].system);
        sf_binarray_text(&columns[14], items[i].system ? items[i].external_id : NULL);
        if (items[i].system)
            sf_binarray_bytes(&columns[15], items[i].hash, sizeof items[i].hash);
        else
            sf_binarray_null(&columns[15]);
        n_new++;
    }
    PGresult *inserted = NULL;
    if (n_new) {
        sf_params_t params;
        sf_params_init(&params);
        for (size_t a = 0; a < 16; a++)
            sf_binarray_param(&columns[a], &params);
        /* Rows come back in the order of the arrays (see emp_person_apply). */
        inserted = emp_try(call,
            "INSERT INTO vacancy (enterprise_credit_code, title, occupation_code, required_grade, positions,"
            " open_positions, full_time, wage_min, wage_max, work_zone_code, lat, lon, opens_on, closes_on, status,"
            " ext_system, ext_id, ext_hash)"
            " SELECT k.e, k.t, k.o, k.g, k.p, k.p, k.f, k.wmin, k.wmax, k.z, k.lat, k.lon, k.opens, k.closes, 1,"
            "  k.s, k.x, k.h"
            " FROM (SELECT unnest($1::text[]) AS e, unnest($2::text[]) AS t, unnest($3::text[]) AS o,"
            "  unnest($4::int[]) AS g, unnest($5::int[]) AS p, unnest($6::bool[]) AS f, unnest($7::int[]) AS wmin,"
            "  unnest($8::int[]) AS wmax, unnest($9::text[]) AS z, unnest($10::float8[]) AS lat,"
            "  unnest($11::float8[]) AS lon, unnest($12::date[]) AS opens, unnest($13::date[]) AS closes,"
            "  unnest($14::text[]) AS s, unnest($15::text[]) AS x, unnest($16::bytea[]) AS h) k"
            " RETURNING id, " EMP_MS("created_at"), &params);
    }
    for (size_t a = 0; a < 16; a++)
        sf_binarray_release(&columns[a]);
    if (n_new && !inserted) {
        PQclear(registered);
        return sf_call_status(call);
    }
    int row = 0;
    for (size_t i = 0; i < n; i++) {
        if (!emp_item_open(&items[i]) || plans[i].update_id)
            continue;
        if (row >= PQntuples(inserted))
            break;
        stored[i]->id = sf_db_int(inserted, row, 0);
        stored[i]->created_unix_ms = stored[i]->updated_unix_ms = sf_db_int(inserted, row, 1);
        items[i].outcome = SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_CREATED;
        items[i].key = sf_call_printf(call, "%lld", (long long) stored[i]->id);
        items[i].stored = &stored[i]->base;
        row++;
    }
    PQclear(inserted);

    for (size_t i = 0; i < n; i++) {
        if (!emp_item_open(&items[i]) || !plans[i].update_id)
            continue;
        sf_status_t status = vacancy_reimport(call, (const Sifang__V1__Vacancy *) records[i], &items[i], &plans[i]);
        if (status != SF_OK) {
            PQclear(registered);
            return status;
        }
    }

    /* Events last. */
    for (int r = 0; registered && r < PQntuples(registered); r++) {
        Sifang__V1__Enterprise *enterprise = (Sifang__V1__Enterprise *)
            sf_call_new_message(call, &sifang__v1__enterprise__descriptor);
        enterprise->credit_code = sf_call_strdup(call, sf_db_text(registered, r, 0));
        enterprise->name = sf_call_strdup(call, sf_db_text(registered, r, 1));
        enterprise->created_unix_ms = enterprise->updated_unix_ms = sf_db_int(registered, r, 2);
        enterprise->version = 1;
        sf_call_emit(call, "enterprise.registered", enterprise->credit_code, &enterprise->base);  /* the run's */
    }
    PQclear(registered);
    for (size_t i = 0; i < n; i++) {
        if (items[i].outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_CREATED)
            sf_call_emit(emp_item_call(call, &items[i]), "vacancy.posted", items[i].key, items[i].stored);
        else if (items[i].outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UPDATED)
            sf_call_emit(emp_item_call(call, &items[i]), "vacancy.updated", items[i].key, items[i].stored);
    }
    return SF_OK;
}

sf_status_t
emp_vacancy_post_batch(sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies, size_t n)
{
    return emp_apply_batch(emp_vacancy_apply, calls, requests, replies, n);
}

sf_status_t
emp_vacancy_post(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__Vacancy *vacancy = (const Sifang__V1__Vacancy *) request;
    if (*vacancy->work_zone_code && !emp_may_write(call, vacancy->work_zone_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "zone %s lies outside your scope", vacancy->work_zone_code);
    sf_status_t status = emp_apply_one(call, emp_vacancy_apply, request, reply_p);
    if (status == SF_OK) {
        const char *zone = ((Sifang__V1__Vacancy *) *reply_p)->work_zone_code;
        if (!emp_may_write(call, *zone ? zone : NULL))
            return sf_call_fail(call, SF_PERMISSION_DENIED, "the vacancy's work zone lies outside your scope");
    }
    return status;
}

static sf_status_t
vacancy_load_or_fail(sf_call_t *call, int64_t id, bool lock, Sifang__V1__Vacancy **vacancy_p)
{
    PGresult *result = sf_call_query(call, lock
        ? "SELECT " EMP_VACANCY_COLUMNS " FROM " EMP_VACANCY_FROM " WHERE v.id = $1 FOR UPDATE OF v"
        : "SELECT " EMP_VACANCY_COLUMNS " FROM " EMP_VACANCY_FROM " WHERE v.id = $1", SF_PARAMS(id));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_fail(call, SF_NOT_FOUND, "no vacancy %lld", (long long) id);
    if (!(*vacancy_p = emp_vacancy_from_row(call, result, 0, 0)))
        return sf_call_fail(call, SF_INTERNAL, "a row's columns are not those its reader reads");
    if (!sf_call_covers(call, *(*vacancy_p)->work_zone_code ? (*vacancy_p)->work_zone_code : NULL))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the vacancy's work zone lies outside your scope");
    return SF_OK;
}

sf_status_t
emp_vacancy_close(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__VacancyKey *key = (const Sifang__V1__VacancyKey *) request;
    if (key->id <= 0)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "id", "is required");
    Sifang__V1__Vacancy *vacancy = NULL;
    sf_status_t status = vacancy_load_or_fail(call, key->id, true, &vacancy);
    if (status != SF_OK)
        return status;
    if (!emp_may_write(call, *vacancy->work_zone_code ? vacancy->work_zone_code : NULL))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the vacancy's work zone lies outside your scope");
    if (vacancy->status != SIFANG__V1__VACANCY_STATUS__VACANCY_STATUS_CLOSED) {
        if (!sf_call_query(call, "UPDATE vacancy SET status = 3, version = version + 1, updated_at = now()"
                                 " WHERE id = $1", SF_PARAMS(key->id)))
            return sf_call_status(call);
        status = vacancy_load_or_fail(call, key->id, false, &vacancy);
        if (status != SF_OK)
            return status;
        sf_call_emit(call, "vacancy.closed", sf_call_printf(call, "%lld", (long long) key->id), &vacancy->base);
    }
    *reply_p = &vacancy->base;
    return SF_OK;
}

sf_status_t
emp_vacancy_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__VacancyKey *key = (const Sifang__V1__VacancyKey *) request;
    if (key->id <= 0)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "id", "is required");
    Sifang__V1__Vacancy *vacancy = NULL;
    sf_status_t status = vacancy_load_or_fail(call, key->id, false, &vacancy);
    if (status != SF_OK)
        return status;
    *reply_p = &vacancy->base;
    return SF_OK;
}

sf_status_t
emp_vacancy_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__VacancyListRequest *list = (const Sifang__V1__VacancyListRequest *) request;
    const char *prefix = NULL;
    int64_t after = 0;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    sf_page_t page = sf_page_of(call, list->page);
    if (*list->occupation_code && !emp_occupation_level(list->occupation_code))
        sf_call_violation(call, "occupation_code", "must be an occupation code such as 4-03-02-01");
    if (*list->enterprise_credit_code && !sf_credit_code_valid(list->enterprise_credit_code))
        sf_call_violation(call, "enterprise_credit_code", "is not a unified social credit code");
    if (list->unfilled_days < 0 || list->unfilled_days > 3650)
        sf_call_violation(call, "unfilled_days", "must be between 0 and 3650");
    if (!sf_call_has_violations(call))
        sf_page_int_token(call, &page, &after);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__VacancyListReply *reply = (Sifang__V1__VacancyListReply *)
        sf_call_new_message(call, &sifang__v1__vacancy_list_reply__descriptor);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " EMP_VACANCY_COLUMNS " FROM " EMP_VACANCY_FROM);
    if (prefix && *prefix)
        sf_query_subtree(&query, "v.work_zone_code", prefix);
    if (*list->enterprise_credit_code)
        sf_query_where(&query, "v.enterprise_credit_code = $%d", sf_query_text(&query, list->enterprise_credit_code));
    if (*list->occupation_code) {
        int code = sf_query_text(&query, list->occupation_code);
        sf_query_where(&query, "(v.occupation_code = $%d OR v.occupation_code LIKE $%d || '-%%')", code, code);
    }
    if (list->open_only)
        sf_query_where(&query, "v.status = 1");
    /* 招工难: open with positions left this long after opening. */
    char unfilled_before[11];   /* the query holds on to it until it runs */
    if (list->unfilled_days) {
        sf_date_format(sf_today() - list->unfilled_days, unfilled_before);
        sf_query_where(&query, "v.status = 1 AND v.open_positions > 0 AND v.opens_on <= $%d::date",
                       sf_query_text(&query, unfilled_before));
    }
    if (after)
        sf_query_where(&query, "v.id > $%d", sf_query_int(&query, after));
    sf_query_append(&query, " ORDER BY v.id LIMIT %d", page.size + 1);
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->vacancies = sf_call_new_array(call, (size_t) rows, sizeof *reply->vacancies);
    for (int row = 0; row < rows; row++)
        if (!(reply->vacancies[reply->n_vacancies++] = emp_vacancy_from_row(call, result, row, 0)))
            return sf_call_fail(call, SF_INTERNAL, "a row's columns are not those its reader reads");
    if (sf_page_more(&page, result))
        reply->next_page_token = sf_call_printf(call, "%lld", (long long) reply->vacancies[rows - 1]->id);
    return SF_OK;
}
