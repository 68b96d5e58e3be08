/* Volunteer's copy of what it needs from grid (org units with their
 * locations, households with their difficulty flags, residents, staff and
 * departments), declared for the common follower of grid (sf_gridref.h),
 * and the lookups handlers make in it. A resident who moves takes their
 * volunteer registration to the new home community: in-service party
 * members serve where they live. */
#include "volunteer.h"
#include "sf_gridref.h"
#include "sifang/v1/grid.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A move takes the registration along to the new home. */
static sf_status_t
resident_moved(sf_db_t *db, const sf_gridref_event_t *event, void *arg)
{
    (void) arg;
    const Sifang__V1__Resident *resident = event->as.resident;
    if (!sf_code_of_length(resident->household_code, SF_CODE_HOUSEHOLD_LENGTH))
        return SF_OK;
    return sf_db_run(db,
        "UPDATE volunteer SET community_code = left($2, 12), zone_code = left($2, 14),"
        " updated_at = now(), version = version + 1"
        " WHERE resident_id = $1 AND zone_code <> left($2, 14)",
        SF_PARAMS(resident->id, resident->household_code), NULL);
}

/* The same for a run of residents grid created (keys: their ids), as their
 * rows now say. */
static sf_status_t
residents_moved(sf_db_t *db, const char *keys, size_t n, void *arg)
{
    (void) n;
    (void) arg;
    return sf_db_run(db,
        "UPDATE volunteer v SET community_code = left(r.household_code, 12), zone_code = left(r.household_code, 14),"
        " updated_at = now(), version = v.version + 1 FROM ref_resident r"
        " WHERE r.id = ANY ($1::text[]) AND v.resident_id = r.id AND length(r.household_code) = $2"
        "   AND v.zone_code <> left(r.household_code, 14)",
        SF_PARAMS(keys, SF_CODE_HOUSEHOLD_LENGTH), NULL);
}

/* A unit keeps its kind and parent, a household its zone and community, as
 * first seen. */
static const sf_gridref_table_t tables[] = {
    { SF_GRID_UNIT, "ref_unit", {
        { "code", SF_GRID_CODE, SF_GRIDREF_KEY }, { "kind", SF_GRID_KIND, SF_GRIDREF_KEEP },
        { "name", SF_GRID_NAME, 0 },
        { "parent_code", SF_GRID_PARENT_CODE, SF_GRIDREF_NULL_IF_EMPTY | SF_GRIDREF_KEEP },
        { "lat", SF_GRID_LAT, 0 }, { "lon", SF_GRID_LON, 0 }, { "version", SF_GRID_VERSION, 0 } }, false, NULL, NULL },
    { SF_GRID_HOUSEHOLD, "ref_household", {
        { "code", SF_GRID_CODE, SF_GRIDREF_KEY }, { "zone_code", SF_GRID_ZONE_CODE, SF_GRIDREF_KEEP },
        { "community_code", SF_GRID_COMMUNITY_CODE, SF_GRIDREF_KEEP }, { "flags", SF_GRID_FLAGS, 0 },
        { "version", SF_GRID_VERSION, 0 } }, false, NULL, NULL },
    { SF_GRID_RESIDENT, "ref_resident", {
        { "id", SF_GRID_ID, SF_GRIDREF_KEY }, { "household_code", SF_GRID_HOUSEHOLD_CODE, 0 },
        { "name", SF_GRID_NAME, 0 }, { "party_member", SF_GRID_PARTY_MEMBER, 0 },
        { "version", SF_GRID_VERSION, 0 } }, false, resident_moved, residents_moved },
    { SF_GRID_STAFF, "ref_staff", {
        { "id", SF_GRID_ID, SF_GRIDREF_KEY }, { "name", SF_GRID_NAME, 0 }, { "kind", SF_GRID_KIND, 0 },
        { "unit_code", SF_GRID_UNIT_CODE, 0 }, { "department_code", SF_GRID_DEPARTMENT_CODE, 0 },
        { "active", SF_GRID_ACTIVE, 0 }, { "version", SF_GRID_VERSION, 0 } }, false, NULL, NULL },
    { SF_GRID_DEPARTMENT, "ref_department", {
        { "code", SF_GRID_CODE, SF_GRIDREF_KEY }, { "name", SF_GRID_NAME, 0 } }, false, NULL, NULL },
    { 0, NULL, { { NULL, 0, 0 } }, false, NULL, NULL },
};

/* Created rows a run at a time: volunteer_main.c ends the runs with the
 * follower's pages. */
static const sf_gridref_t volunteer_grid = { tables, true };

sf_status_t
volunteer_apply_grid_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    return sf_gridref_apply(&volunteer_grid, db, event, arg);
}

/* --- lookups ------------------------------------------------------------------ */

sf_status_t
volunteer_resident_ref(sf_call_t *call, const char *field, const char *id, volunteer_resident_ref_t *ref)
{
    memset(ref, 0, sizeof *ref);
    PGresult *result = sf_call_query(call,
        "SELECT r.id, r.name, r.household_code, COALESCE(h.zone_code, left(r.household_code, 14)),"
        " COALESCE(h.community_code, left(r.household_code, 12)), r.party_member"
        " FROM ref_resident r LEFT JOIN ref_household h ON h.code = r.household_code WHERE r.id = $1",
        SF_PARAMS(id));
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
    PGresult *result = sf_call_query(call,
        "SELECT code, zone_code, community_code, array_to_string(flags, ',') FROM ref_household"
        " WHERE code = $1", SF_PARAMS(code));
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
    PGresult *result = sf_call_query(call,
        "SELECT id, name, unit_code, department_code, active FROM ref_staff WHERE id = $1", SF_PARAMS(id));
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
    PGresult *result = sf_call_query(call,
        "SELECT lat, lon FROM ref_unit WHERE code = $1 AND kind = 4 AND lat IS NOT NULL", SF_PARAMS(code));
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
    PGresult *result = sf_call_query(call, "SELECT name FROM ref_unit WHERE code = $1 AND kind = 3", SF_PARAMS(code));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, field, "no community %s known to volunteer", code);
    if (name)
        *name = sf_db_text(result, 0, 0);
    return SF_OK;
}
