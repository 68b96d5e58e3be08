/* Volunteer's copy of what it needs from grid (org units with their
 * locations, households with their difficulty flags, residents, staff and
 * departments), kept by following grid's events, and the lookups handlers
 * make in it. A resident who moves takes their volunteer registration to the new home
 * community: in-service party members serve where they live. */
#include "volunteer.h"
#include "sifang/v1/grid.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
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
    if (unit->location) {
        sf_params_double(&params, unit->location->lat);
        sf_params_double(&params, unit->location->lon);
    } else {
        sf_params_null(&params);
        sf_params_null(&params);
    }
    sf_params_int(&params, unit->version);
    /* An update without a location keeps the one known. */
    sf_status_t status = sf_db_run(db,
        "INSERT INTO ref_unit AS u (code, kind, name, parent_code, lat, lon, version)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO UPDATE SET"
        " name = EXCLUDED.name, lat = COALESCE(EXCLUDED.lat, u.lat), lon = COALESCE(EXCLUDED.lon, u.lon),"
        " version = EXCLUDED.version WHERE u.version <= EXCLUDED.version", &params, NULL);
    protobuf_c_message_free_unpacked(&unit->base, NULL);
    return status;
}

static sf_status_t
apply_household(sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__Household *household =
        sifang__v1__household__unpack(NULL, event->payload.len, event->payload.data);
    if (!household)
        return SF_INVALID_ARGUMENT;
    if (strlen(household->code) != SF_CODE_HOUSEHOLD_LENGTH) {
        protobuf_c_message_free_unpacked(&household->base, NULL);
        return SF_INVALID_ARGUMENT;
    }
    char zone[SF_CODE_SIZE], community[SF_CODE_SIZE];
    /* Codes are hierarchical: the zone and community are prefixes. */
    snprintf(zone, sizeof zone, "%.*s", SF_CODE_ZONE_LENGTH, household->code);
    snprintf(community, sizeof community, "%.*s", SF_CODE_COMMUNITY_LENGTH, household->code);
    sf_pgarray_t flags;
    sf_pgarray_init(&flags);
    for (size_t i = 0; i < household->n_flags; i++)
        if (household->flags[i] != SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_UNSPECIFIED)
            sf_pgarray_add_int(&flags, household->flags[i]);
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, household->code);
    sf_params_text(&params, *household->zone_code ? household->zone_code : zone);
    sf_params_text(&params, community);
    sf_params_text(&params, sf_pgarray_text(&flags));
    sf_params_int(&params, household->version);
    sf_status_t status = sf_db_run(db,
        "INSERT INTO ref_household AS h (code, zone_code, community_code, flags, version)"
        " VALUES ($1, $2, $3, $4::smallint[], $5) ON CONFLICT (code) DO UPDATE SET"
        " flags = EXCLUDED.flags, version = EXCLUDED.version WHERE h.version <= EXCLUDED.version",
        &params, NULL);
    sf_pgarray_release(&flags);
    protobuf_c_message_free_unpacked(&household->base, NULL);
    return status;
}

static sf_status_t
apply_resident(sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__Resident *resident =
        sifang__v1__resident__unpack(NULL, event->payload.len, event->payload.data);
    if (!resident)
        return SF_INVALID_ARGUMENT;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, resident->id);
    sf_params_text(&params, resident->household_code);
    sf_params_text(&params, resident->name);
    sf_params_bool(&params, resident->party_member);
    sf_params_int(&params, resident->version);
    sf_status_t status = sf_db_run(db,
        "INSERT INTO ref_resident AS r (id, household_code, name, party_member, version)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET"
        " household_code = EXCLUDED.household_code, name = EXCLUDED.name,"
        " party_member = EXCLUDED.party_member, version = EXCLUDED.version"
        " WHERE r.version <= EXCLUDED.version", &params, NULL);
    if (status == SF_OK && strlen(resident->household_code) == SF_CODE_HOUSEHOLD_LENGTH) {
        /* A move takes the registration along to the new home. */
        sf_params_t move;
        sf_params_init(&move);
        sf_params_text(&move, resident->id);
        sf_params_text(&move, resident->household_code);
        status = sf_db_run(db,
            "UPDATE volunteer SET community_code = left($2, 12), zone_code = left($2, 14),"
            " updated_at = now(), version = version + 1"
            " WHERE resident_id = $1 AND zone_code <> left($2, 14)", &move, NULL);
    }
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
    sf_params_text(&params, staff->department_code);
    sf_params_bool(&params, staff->active);
    sf_params_int(&params, staff->version);
    sf_status_t status = sf_db_run(db,
        "INSERT INTO ref_staff AS s (id, name, kind, unit_code, department_code, active, version)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET"
        " name = EXCLUDED.name, kind = EXCLUDED.kind, unit_code = EXCLUDED.unit_code,"
        " department_code = EXCLUDED.department_code, active = EXCLUDED.active,"
        " version = EXCLUDED.version WHERE s.version <= EXCLUDED.version", &params, NULL);
    protobuf_c_message_free_unpacked(&staff->base, NULL);
    return status;
}

static sf_status_t
apply_department(sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__Department *department =
        sifang__v1__department__unpack(NULL, event->payload.len, event->payload.data);
    if (!department)
        return SF_INVALID_ARGUMENT;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, department->code);
    sf_params_text(&params, department->name);
    sf_status_t status = sf_db_run(db,
        "INSERT INTO ref_department (code, name) VALUES ($1, $2)"
        " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name", &params, NULL);
    protobuf_c_message_free_unpacked(&department->base, NULL);
    return status;
}

sf_status_t
volunteer_apply_grid_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    (void) arg;
    if (strcmp(event->type, "unit.created") == 0 || strcmp(event->type, "unit.updated") == 0)
        return apply_unit(db, event);
    if (strcmp(event->type, "household.created") == 0 || strcmp(event->type, "household.updated") == 0)
        return apply_household(db, event);
    if (strcmp(event->type, "resident.created") == 0 || strcmp(event->type, "resident.updated") == 0)
        return apply_resident(db, event);
    if (strcmp(event->type, "staff.created") == 0 || strcmp(event->type, "staff.updated") == 0)
        return apply_staff(db, event);
    if (strcmp(event->type, "department.created") == 0)
        return apply_department(db, event);
    return SF_OK;
}

/* --- lookups ------------------------------------------------------------------ */

sf_status_t
volunteer_resident_ref(sf_call_t *call, const char *field, const char *id, volunteer_resident_ref_t *ref)
{
    memset(ref, 0, sizeof *ref);
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, id);
    PGresult *result = sf_call_query(call,
        "SELECT r.id, r.name, r.household_code, COALESCE(h.zone_code, left(r.household_code, 14)),"
        " COALESCE(h.community_code, left(r.household_code, 12)), r.party_member"
        " FROM ref_resident r LEFT JOIN ref_household h ON h.code = r.household_code WHERE r.id = $1",
        &params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, field, "no resident %s known to volunteer"
                              " (grid's residents reach it through grid's events)", id);
    ref->id = sf_db_text(result, 0, 0);
    ref->name = sf_db_text(result, 0, 1);
    ref->household_code = sf_db_text(result, 0, 2);
    ref->zone_code = sf_db_text(result, 0, 3);
    ref->community_code = sf_db_text(result, 0, 4);
    ref->party_member = sf_db_bool(result, 0, 5);
    return SF_OK;
}

sf_status_t
volunteer_household_ref(sf_call_t *call, const char *field, const char *code, volunteer_household_ref_t *ref)
{
    memset(ref, 0, sizeof *ref);
    if (!sf_code_of_length(code, SF_CODE_HOUSEHOLD_LENGTH)) {
        sf_call_violation(call, field, "must be a household code (%d digits)", SF_CODE_HOUSEHOLD_LENGTH);
        return sf_call_status(call);
    }
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, code);
    PGresult *result = sf_call_query(call,
        "SELECT code, zone_code, community_code, array_to_string(flags, ',') FROM ref_household"
        " WHERE code = $1", &params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, field, "no household %s known to volunteer"
                              " (grid's households reach it through grid's events)", code);
    ref->code = sf_db_text(result, 0, 0);
    ref->zone_code = sf_db_text(result, 0, 1);
    ref->community_code = sf_db_text(result, 0, 2);
    for (const char *at = sf_db_text(result, 0, 3); *at && ref->n_flags < 8;) {
        ref->flags[ref->n_flags++] = (int) strtol(at, (char **) &at, 10);
        if (*at == ',')
            at++;
    }
    return SF_OK;
}

sf_status_t
volunteer_staff_ref(sf_call_t *call, const char *field, const char *id, volunteer_staff_ref_t *ref)
{
    memset(ref, 0, sizeof *ref);
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, id);
    PGresult *result = sf_call_query(call,
        "SELECT id, name, unit_code, department_code, active FROM ref_staff WHERE id = $1", &params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, field, "no staff member %s known to volunteer", id);
    ref->id = sf_db_text(result, 0, 0);
    ref->name = sf_db_text(result, 0, 1);
    ref->unit_code = sf_db_text(result, 0, 2);
    ref->department_code = sf_db_text(result, 0, 3);
    ref->active = sf_db_bool(result, 0, 4);
    return SF_OK;
}

sf_status_t
volunteer_zone_ref(sf_call_t *call, const char *field, const char *code, double *lat, double *lon)
{
    if (!sf_code_of_length(code, SF_CODE_ZONE_LENGTH)) {
        sf_call_violation(call, field, "must be a zone code (%d digits)", SF_CODE_ZONE_LENGTH);
        return sf_call_status(call);
    }
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, code);
    PGresult *result = sf_call_query(call,
        "SELECT lat, lon FROM ref_unit WHERE code = $1 AND kind = 4 AND lat IS NOT NULL", &params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, field, "no zone %s known to volunteer", code);
    *lat = sf_db_double(result, 0, 0);
    *lon = sf_db_double(result, 0, 1);
    return SF_OK;
}

sf_status_t
volunteer_community_ref(sf_call_t *call, const char *field, const char *code, const char **name)
{
    if (!sf_code_of_length(code, SF_CODE_COMMUNITY_LENGTH)) {
        sf_call_violation(call, field, "must be a community code (%d digits)", SF_CODE_COMMUNITY_LENGTH);
        return sf_call_status(call);
    }
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, code);
    PGresult *result = sf_call_query(call, "SELECT name FROM ref_unit WHERE code = $1 AND kind = 3", &params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, field, "no community %s known to volunteer", code);
    if (name)
        *name = sf_db_text(result, 0, 0);
    return SF_OK;
}
