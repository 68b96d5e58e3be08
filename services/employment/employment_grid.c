/* Employment's reference copy of grid, as a declaration for the common
 * follower of grid (sf_gridref.h): org units (zones with their
 * coordinates), households, residents and staff, kept so that people,
 * distances and liaison officers work while grid is down; and what
 * employment derives from them (vacancies' coordinates, people's home
 * zones). */
#include "employment.h"
#include "sf_gridref.h"

/* Vacancies keep their work zone's coordinates for matching. */
static sf_status_t
zone_moved(sf_db_t *db, const sf_gridref_event_t *event, void *arg)
{
    (void) arg;
    const Sifang__V1__OrgUnit *unit = event->as.unit;
    if (unit->kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE || !unit->location)
        return SF_OK;
    return sf_db_run(db, "UPDATE vacancy SET lat = $2, lon = $3 WHERE work_zone_code = $1"
                     " AND (lat IS DISTINCT FROM $2 OR lon IS DISTINCT FROM $3)",
                     SF_PARAMS(unit->code, sf_param_double(unit->location->lat),
                               sf_param_double(unit->location->lon)), NULL);
}

/* A person who moved lives in the new household's zone, unless a zone was
 * given for them. */
static sf_status_t
resident_moved(sf_db_t *db, const sf_gridref_event_t *event, void *arg)
{
    (void) arg;
    return sf_db_run(db,
        "UPDATE person p SET home_zone_code = h.zone_code, version = p.version + 1, updated_at = now()"
        " FROM ref_resident r JOIN ref_household h ON h.code = r.household_code"
        " WHERE r.id = $1 AND p.resident_id = r.id AND NOT p.home_zone_given"
        "   AND h.zone_code <> '' AND p.home_zone_code <> h.zone_code", SF_PARAMS(event->as.resident->id), NULL);
}

/* The same for a run of residents grid created (keys: their ids). */
static sf_status_t
residents_moved(sf_db_t *db, const char *keys, size_t n, void *arg)
{
    (void) n;
    (void) arg;
    return sf_db_run(db,
        "UPDATE person p SET home_zone_code = h.zone_code, version = p.version + 1, updated_at = now()"
        " FROM ref_resident r JOIN ref_household h ON h.code = r.household_code"
        " WHERE r.id = ANY ($1::text[]) AND p.resident_id = r.id AND NOT p.home_zone_given"
        "   AND h.zone_code <> '' AND p.home_zone_code <> h.zone_code", SF_PARAMS(keys), NULL);
}

static const sf_gridref_table_t tables[] = {
    { SF_GRID_UNIT, "ref_unit", {
        { "code", SF_GRID_CODE, SF_GRIDREF_KEY }, { "kind", SF_GRID_KIND, 0 }, { "name", SF_GRID_NAME, 0 },
        { "parent_code", SF_GRID_PARENT_CODE, SF_GRIDREF_NULL_IF_EMPTY }, { "lat", SF_GRID_LAT, 0 },
        { "lon", SF_GRID_LON, 0 }, { "version", SF_GRID_VERSION, 0 } }, false, zone_moved, NULL },
    { SF_GRID_HOUSEHOLD, "ref_household", {
        { "code", SF_GRID_CODE, SF_GRIDREF_KEY }, { "zone_code", SF_GRID_ZONE_CODE, 0 },
        { "flags", SF_GRID_FLAGS, 0 }, { "version", SF_GRID_VERSION, 0 } }, false, NULL, NULL },
    { SF_GRID_RESIDENT, "ref_resident", {
        { "id", SF_GRID_ID, SF_GRIDREF_KEY }, { "household_code", SF_GRID_HOUSEHOLD_CODE, 0 },
        { "name", SF_GRID_NAME, 0 }, { "gender", SF_GRID_GENDER, 0 }, { "birth_date", SF_GRID_BIRTH_DATE, 0 },
        { "version", SF_GRID_VERSION, 0 } }, false, resident_moved, residents_moved },
    { SF_GRID_STAFF, "ref_staff", {
        { "id", SF_GRID_ID, SF_GRIDREF_KEY }, { "name", SF_GRID_NAME, 0 }, { "unit_code", SF_GRID_UNIT_CODE, 0 },
        { "active", SF_GRID_ACTIVE, 0 }, { "version", SF_GRID_VERSION, 0 } }, false, NULL, NULL },
    { 0, NULL, { { NULL, 0, 0 } }, false, NULL, NULL },
};

static const sf_gridref_t employment_grid = { tables, true };   /* employment_main.c ends the runs with the pages */

sf_status_t
emp_grid_apply(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    return sf_gridref_apply(&employment_grid, db, event, arg);
}
