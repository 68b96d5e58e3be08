/* Grid's events: the reference copy evaluation keeps (units for names and
 * the hierarchy, households as the survey frame, staff and responsibilities
 * for the appraisal link) and the facts they count: households, residents
 * and households in difficulty, each where it lives. */
#include "evaluation.h"
#include "sf_log.h"
#include <string.h>

static sf_status_t
apply_unit(sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__OrgUnit *unit = sifang__v1__org_unit__unpack(NULL, event->payload.len, event->payload.data);
    if (!unit)
        return SF_INVALID_ARGUMENT;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, unit->code);
    sf_params_int(&params, unit->kind);
    sf_params_text(&params, unit->name);
    sf_params_text_or_null(&params, unit->parent_code);
    sf_status_t status = sf_db_run(db,
        "INSERT INTO unit (code, kind, name, parent_code) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (code) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name,"
        "   parent_code = EXCLUDED.parent_code", &params, NULL);
    protobuf_c_message_free_unpacked(&unit->base, NULL);
    return status;
}

static sf_status_t
apply_household(evaluation_t *self, sf_db_t *db, const Sifang__V1__Event *event, bool created)
{
    Sifang__V1__Household *household = sifang__v1__household__unpack(NULL, event->payload.len,
                                                                      event->payload.data);
    if (!household)
        return SF_INVALID_ARGUMENT;
    char zone[16];
    snprintf(zone, sizeof zone, "%.14s", household->code);
    bool in_difficulty = household->n_flags > 0;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, household->code);
    sf_params_text(&params, zone);
    sf_params_bool(&params, in_difficulty);
    /* The previous state comes back with the upsert, so an update counts
     * only what changed, and a created event seen twice counts once. */
    PGresult *result = NULL;
    sf_status_t status = sf_db_run(db,
        "WITH old AS (SELECT in_difficulty FROM household WHERE code = $1)"
        " INSERT INTO household AS h (code, zone_code, in_difficulty) VALUES ($1, $2, $3)"
        " ON CONFLICT (code) DO UPDATE SET in_difficulty = EXCLUDED.in_difficulty"
        " RETURNING (SELECT in_difficulty FROM old), (SELECT count(*) FROM old)", &params, &result);
    if (status == SF_OK) {
        bool existed = sf_db_int(result, 0, 1) > 0;
        bool was = existed && sf_db_bool(result, 0, 0);
        eval_delta_t deltas[2] = {
            { "households", existed ? 0 : 1 },
            { "households_in_difficulty", (in_difficulty ? 1 : 0) - (was ? 1 : 0) },
        };
        if (!existed && !created)
            sf_warn("household updated before it was created", "household", household->code);
        status = eval_facts_add(self, db, household->code, event->occurred_unix_ms, deltas, 2);
    }
    PQclear(result);
    protobuf_c_message_free_unpacked(&household->base, NULL);
    return status;
}

static sf_status_t
apply_resident(evaluation_t *self, sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__Resident *resident = sifang__v1__resident__unpack(NULL, event->payload.len, event->payload.data);
    if (!resident)
        return SF_INVALID_ARGUMENT;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, resident->id);
    sf_params_text(&params, resident->household_code);
    PGresult *result = NULL;
    sf_status_t status = sf_db_run(db,
        "WITH old AS (SELECT household_code FROM resident WHERE id = $1)"
        " INSERT INTO resident AS r (id, household_code) VALUES ($1, $2)"
        " ON CONFLICT (id) DO UPDATE SET household_code = EXCLUDED.household_code"
        " RETURNING (SELECT household_code FROM old)", &params, &result);
    if (status == SF_OK) {
        const char *old = sf_db_is_null(result, 0, 0) ? NULL : sf_db_text(result, 0, 0);
        /* A move counts out of the old household's zone and into the new. */
        if (!old || strcmp(old, resident->household_code) != 0) {
            eval_delta_t in = { "residents", 1 }, out = { "residents", -1 };
            status = eval_facts_add(self, db, resident->household_code, event->occurred_unix_ms, &in, 1);
            if (status == SF_OK && old)
                status = eval_facts_add(self, db, old, event->occurred_unix_ms, &out, 1);
            if (status == SF_OK && old)
                status = eval_employment_resident_moved(self, db, resident->id, old, resident->household_code,
                                                        event->occurred_unix_ms);
        }
    }
    PQclear(result);
    protobuf_c_message_free_unpacked(&resident->base, NULL);
    return status;
}

static sf_status_t
apply_staff(sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__Staff *staff = sifang__v1__staff__unpack(NULL, event->payload.len, event->payload.data);
    if (!staff)
        return SF_INVALID_ARGUMENT;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, staff->id);
    sf_params_text(&params, staff->name);
    sf_params_int(&params, staff->kind);
    sf_params_text(&params, staff->unit_code);
    sf_status_t status = sf_db_run(db,
        "INSERT INTO staff (id, name, kind, unit_code) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,"
        "   unit_code = EXCLUDED.unit_code", &params, NULL);
    protobuf_c_message_free_unpacked(&staff->base, NULL);
    return status;
}

static sf_status_t
apply_responsibility(sf_db_t *db, const Sifang__V1__Event *event, bool assigned)
{
    Sifang__V1__Responsibility *duty = sifang__v1__responsibility__unpack(NULL, event->payload.len,
                                                                          event->payload.data);
    if (!duty)
        return SF_INVALID_ARGUMENT;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, duty->unit_code);
    sf_params_int(&params, duty->kind);
    sf_params_text(&params, duty->staff_id);
    sf_status_t status = sf_db_run(db, assigned
        ? "INSERT INTO responsibility (unit_code, kind, staff_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        : "DELETE FROM responsibility WHERE unit_code = $1 AND kind = $2 AND staff_id = $3", &params, NULL);
    protobuf_c_message_free_unpacked(&duty->base, NULL);
    return status;
}

sf_status_t
eval_grid_apply(evaluation_t *self, sf_db_t *db, const Sifang__V1__Event *event)
{
    const char *type = event->type;
    if (strcmp(type, "unit.created") == 0 || strcmp(type, "unit.updated") == 0)
        return apply_unit(db, event);
    if (strcmp(type, "household.created") == 0 || strcmp(type, "household.updated") == 0)
        return apply_household(self, db, event, type[10] == 'c');
    if (strcmp(type, "resident.created") == 0 || strcmp(type, "resident.updated") == 0)
        return apply_resident(self, db, event);
    if (strcmp(type, "staff.created") == 0 || strcmp(type, "staff.updated") == 0)
        return apply_staff(db, event);
    if (strcmp(type, "responsibility.assigned") == 0)
        return apply_responsibility(db, event, true);
    if (strcmp(type, "responsibility.removed") == 0)
        return apply_responsibility(db, event, false);
    return SF_OK;   /* departments and their pairings: not counted */
}
