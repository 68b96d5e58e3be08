/* What intake takes from its peers' event logs: grid's org units,
 * households, staff, responsibilities and departments into the reference
 * tables (so cases are checked and routed while grid is down), and the
 * volunteer registry's dispatch events for intake's own cases into the
 * dispatch inbox. Both run in the peers thread, inside the follower's
 * transaction, and touch nothing else. */
#include "intake_peers.h"
#include "sf_log.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sf_status_t
run(sf_db_t *db, const char *sql, const sf_params_t *params)
{
    PGresult *result = sf_db_query(db, sql, params);
    sf_status_t status = sf_db_result_ok(result) ? SF_OK : sf_db_status(result);
    if (status != SF_OK && status != SF_UNAVAILABLE)
        sf_error("reference update failed", "reason", result ? PQresultErrorMessage(result) : "no result");
    PQclear(result);
    return status;
}

static sf_status_t
apply_unit(sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__OrgUnit *unit = sifang__v1__org_unit__unpack(NULL, event->payload.len, event->payload.data);
    if (!unit)
        return SF_OK;   /* not ours to judge: grid wrote it; skip what does not decode */
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, unit->code);
    sf_params_int(&params, unit->kind);
    sf_params_text(&params, unit->name);
    sf_params_text(&params, unit->parent_code);
    sf_params_int(&params, unit->version);
    sf_status_t status = run(db,
        "INSERT INTO ref_unit (code, kind, name, parent_code, version) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (code) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name,"
        "   parent_code = EXCLUDED.parent_code, version = EXCLUDED.version"
        " WHERE ref_unit.version <= EXCLUDED.version", &params);
    protobuf_c_message_free_unpacked(&unit->base, NULL);
    return status;
}

static sf_status_t
apply_household(sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__Household *household = sifang__v1__household__unpack(NULL, event->payload.len,
                                                                      event->payload.data);
    if (!household)
        return SF_OK;
    char zone[INTAKE_ZONE_CODE_LENGTH + 1];
    /* The zone is the building group's code without its last digit. */
    snprintf(zone, sizeof zone, "%s", *household->zone_code ? household->zone_code
                                                             : household->building_group_code);
    sf_pgarray_t flags;
    sf_pgarray_init(&flags);
    for (size_t i = 0; i < household->n_flags; i++)
        sf_pgarray_add_int(&flags, household->flags[i]);
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, household->code);
    sf_params_text(&params, zone);
    sf_params_text(&params, sf_pgarray_text(&flags));
    sf_params_int(&params, household->version);
    sf_status_t status = run(db,
        "INSERT INTO ref_household (code, zone_code, flags, version) VALUES ($1, $2, $3::smallint[], $4)"
        " ON CONFLICT (code) DO UPDATE SET zone_code = EXCLUDED.zone_code, flags = EXCLUDED.flags,"
        "   version = EXCLUDED.version WHERE ref_household.version <= EXCLUDED.version", &params);
    sf_pgarray_release(&flags);
    protobuf_c_message_free_unpacked(&household->base, NULL);
    return status;
}

static sf_status_t
apply_staff(sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__Staff *staff = sifang__v1__staff__unpack(NULL, event->payload.len, event->payload.data);
    if (!staff)
        return SF_OK;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, staff->id);
    sf_params_text(&params, staff->name);
    sf_params_int(&params, staff->kind);
    sf_params_text(&params, staff->unit_code);
    sf_params_text(&params, staff->department_code);
    sf_params_bool(&params, staff->active);
    sf_params_int(&params, staff->version);
    sf_status_t status = run(db,
        "INSERT INTO ref_staff (id, name, kind, unit_code, department_code, active, version)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,"
        "   unit_code = EXCLUDED.unit_code, department_code = EXCLUDED.department_code,"
        "   active = EXCLUDED.active, version = EXCLUDED.version WHERE ref_staff.version <= EXCLUDED.version",
        &params);
    protobuf_c_message_free_unpacked(&staff->base, NULL);
    return status;
}

static sf_status_t
apply_responsibility(sf_db_t *db, const Sifang__V1__Event *event, bool assigned)
{
    Sifang__V1__Responsibility *responsibility = sifang__v1__responsibility__unpack(NULL, event->payload.len,
                                                                                  event->payload.data);
    if (!responsibility)
        return SF_OK;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, responsibility->unit_code);
    sf_params_int(&params, responsibility->kind);
    sf_params_text(&params, responsibility->staff_id);
    sf_status_t status;
    if (assigned) {
        sf_params_int(&params, responsibility->since_unix_ms ? responsibility->since_unix_ms : event->occurred_unix_ms);
        status = run(db,
            "INSERT INTO ref_responsibility (unit_code, kind, staff_id, since)"
            " VALUES ($1, $2, $3, to_timestamp($4::bigint / 1000.0)) ON CONFLICT DO NOTHING", &params);
    } else
        status = run(db, "DELETE FROM ref_responsibility WHERE unit_code = $1 AND kind = $2 AND staff_id = $3",
                     &params);
    protobuf_c_message_free_unpacked(&responsibility->base, NULL);
    return status;
}

static sf_status_t
apply_department(sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__Department *department = sifang__v1__department__unpack(NULL, event->payload.len,
                                                                        event->payload.data);
    if (!department)
        return SF_OK;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, department->code);
    sf_params_text(&params, department->name);
    sf_status_t status = run(db,
        "INSERT INTO ref_department (code, name) VALUES ($1, $2)"
        " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name", &params);
    protobuf_c_message_free_unpacked(&department->base, NULL);
    return status;
}

/* The service loop keeps units, zone pairs, staff and departments in
 * memory: a change to them moves the generation it polls. Households only
 * grow and keep their zone; the loop asks for those it has not seen. */
static sf_status_t
bump_generation(sf_db_t *db, sf_status_t status)
{
    return status == SF_OK ? run(db, "UPDATE ref_generation SET n = n + 1", NULL) : status;
}

/* Department names are shown with the catalogue's items. */
static sf_status_t
bump_catalogue(sf_db_t *db, sf_status_t status)
{
    return status == SF_OK ? run(db, "UPDATE ref_generation SET n = n + 1, catalogue = catalogue + 1", NULL)
                           : status;
}

sf_status_t
intake_apply_grid_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    intake_peers_t *peers = arg;
    /* Stopping: give the page back (it is applied again after the restart). */
    if (intake_peers_stopping(peers))
        return SF_UNAVAILABLE;
    const char *type = event->type;
    if (strcmp(type, "unit.created") == 0 || strcmp(type, "unit.updated") == 0)
        return bump_generation(db, apply_unit(db, event));
    if (strcmp(type, "household.created") == 0) {
        sf_status_t status = apply_household(db, event);
        return status == SF_OK ? run(db, "UPDATE ref_generation SET households = households + 1", NULL) : status;
    }
    if (strcmp(type, "household.updated") == 0)
        return apply_household(db, event);
    if (strcmp(type, "staff.created") == 0 || strcmp(type, "staff.updated") == 0)
        return bump_generation(db, apply_staff(db, event));
    if (strcmp(type, "responsibility.assigned") == 0)
        return bump_generation(db, apply_responsibility(db, event, true));
    if (strcmp(type, "responsibility.removed") == 0)
        return bump_generation(db, apply_responsibility(db, event, false));
    if (strcmp(type, "department.created") == 0 || strcmp(type, "department.updated") == 0)
        return bump_catalogue(db, apply_department(db, event));
    return SF_OK;
}

void
intake_case_ref_format(char *out, size_t size, const char *instance, int64_t case_id, int attempt)
{
    snprintf(out, size, "%s/%lld/%d", instance, (long long) case_id, attempt);
}

bool
intake_case_ref_parse(const char *case_ref, const char *instance, int64_t *case_id, int *attempt)
{
    size_t length = strlen(instance);
    if (strncmp(case_ref, instance, length) != 0 || case_ref[length] != '/')
        return false;
    long long id = 0, try = 0;
    int used = 0;
    if (sscanf(case_ref + length + 1, "%18lld/%9lld%n", &id, &try, &used) != 2
        || case_ref[length + 1 + used] != 0 || id <= 0 || try <= 0)
        return false;
    *case_id = (int64_t) id;
    *attempt = (int) try;
    return true;
}

sf_status_t
intake_apply_volunteer_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    intake_peers_t *peers = arg;
    if (intake_peers_stopping(peers))
        return SF_UNAVAILABLE;
    if (strncmp(event->type, "dispatch.", 9) != 0)
        return SF_OK;
    Sifang__V1__VolunteerDispatch *dispatch = sifang__v1__volunteer_dispatch__unpack(NULL, event->payload.len,
                                                                                   event->payload.data);
    if (!dispatch)
        return SF_OK;
    /* Only dispatches made for this instance's cases ("intake/123/1"). */
    int64_t case_id = 0;
    int attempt = 0;
    sf_status_t status = SF_OK;
    if (intake_case_ref_parse(dispatch->case_ref, intake_peers_instance(peers), &case_id, &attempt)) {
        sf_params_t params;
        sf_params_init(&params);
        sf_params_int(&params, case_id);
        sf_params_int(&params, attempt);
        sf_params_bytes(&params, event->payload.data, event->payload.len);
        sf_params_text(&params, event->type);
        status = run(db,
            "INSERT INTO dispatch_inbox (case_id, attempt, kind, dispatch, message) VALUES ($1, $2, 1, $3, $4)",
            &params);
    }
    protobuf_c_message_free_unpacked(&dispatch->base, NULL);
    return status;
}
