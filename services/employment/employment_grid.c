/* Employment's reference copy of grid: org units (zones with their
 * coordinates), households, residents and staff, kept from grid's events so
 * that people, distances and liaison officers work while grid is down. An
 * event older than the copy (a lower version) changes nothing. */
#include "employment.h"
#include <stdio.h>
#include <string.h>

static sf_status_t
apply_unit(sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__OrgUnit *unit = sifang__v1__org_unit__unpack(NULL, event->payload.len, event->payload.data);
    if (!unit)
        return SF_OK;   /* a payload we cannot read would stop the follower for good */
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
    sf_status_t status = sf_db_run(db,
        "INSERT INTO ref_unit AS u (code, kind, name, parent_code, lat, lon, version)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (code) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name,"
        "   parent_code = EXCLUDED.parent_code, lat = COALESCE(EXCLUDED.lat, u.lat),"
        "   lon = COALESCE(EXCLUDED.lon, u.lon), version = EXCLUDED.version"
        " WHERE u.version <= EXCLUDED.version", &params, NULL);
    /* Vacancies keep their work zone's coordinates for matching. */
    if (status == SF_OK && unit->kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE && unit->location) {
        sf_params_init(&params);
        sf_params_text(&params, unit->code);
        sf_params_double(&params, unit->location->lat);
        sf_params_double(&params, unit->location->lon);
        status = sf_db_run(db, "UPDATE vacancy SET lat = $2, lon = $3 WHERE work_zone_code = $1"
                           " AND (lat IS DISTINCT FROM $2 OR lon IS DISTINCT FROM $3)", &params, NULL);
    }
    protobuf_c_message_free_unpacked(&unit->base, NULL);
    return status;
}

static sf_status_t
apply_household(sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__Household *household =
        sifang__v1__household__unpack(NULL, event->payload.len, event->payload.data);
    if (!household)
        return SF_OK;
    sf_pgarray_t flags;
    sf_pgarray_init(&flags);
    for (size_t i = 0; i < household->n_flags; i++)
        sf_pgarray_add_int(&flags, household->flags[i]);
    /* The zone is the building group's: its code less the last digit. */
    char zone[32] = "";
    const char *group = household->building_group_code;
    if (*household->zone_code)
        snprintf(zone, sizeof zone, "%s", household->zone_code);
    else if (strlen(group) == 15)
        snprintf(zone, sizeof zone, "%.14s", group);
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, household->code);
    sf_params_text(&params, zone);
    sf_params_text(&params, sf_pgarray_text(&flags));
    sf_params_int(&params, household->version);
    sf_status_t status = sf_db_run(db,
        "INSERT INTO ref_household AS h (code, zone_code, flags, version) VALUES ($1, $2, $3::int[], $4)"
        " ON CONFLICT (code) DO UPDATE SET zone_code = EXCLUDED.zone_code, flags = EXCLUDED.flags,"
        "   version = EXCLUDED.version WHERE h.version <= EXCLUDED.version", &params, NULL);
    sf_pgarray_release(&flags);
    protobuf_c_message_free_unpacked(&household->base, NULL);
    return status;
}

static sf_status_t
apply_resident(sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__Resident *resident = sifang__v1__resident__unpack(NULL, event->payload.len, event->payload.data);
    if (!resident)
        return SF_OK;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, resident->id);
    sf_params_text(&params, resident->household_code);
    sf_params_text(&params, resident->name);
    sf_params_int(&params, resident->gender);
    sf_params_text(&params, sf_date_parse(resident->birth_date, NULL) ? resident->birth_date : NULL);
    sf_params_int(&params, resident->version);
    sf_status_t status = sf_db_run(db,
        "INSERT INTO ref_resident AS r (id, household_code, name, gender, birth_date, version)"
        " VALUES ($1, $2, $3, $4, $5::date, $6)"
        " ON CONFLICT (id) DO UPDATE SET household_code = EXCLUDED.household_code, name = EXCLUDED.name,"
        "   gender = EXCLUDED.gender, birth_date = EXCLUDED.birth_date, version = EXCLUDED.version"
        " WHERE r.version <= EXCLUDED.version", &params, NULL);
    /* A person who moved lives in the new household's zone, unless a zone
     * was given for them. */
    if (status == SF_OK) {
        sf_params_init(&params);
        sf_params_text(&params, resident->id);
        status = sf_db_run(db,
            "UPDATE person p SET home_zone_code = h.zone_code, version = p.version + 1, updated_at = now()"
            " FROM ref_resident r JOIN ref_household h ON h.code = r.household_code"
            " WHERE r.id = $1 AND p.resident_id = r.id AND NOT p.home_zone_given"
            "   AND h.zone_code <> '' AND p.home_zone_code <> h.zone_code", &params, NULL);
    }
    protobuf_c_message_free_unpacked(&resident->base, NULL);
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
    sf_params_text(&params, staff->unit_code);
    sf_params_bool(&params, staff->active);
    sf_params_int(&params, staff->version);
    sf_status_t status = sf_db_run(db,
        "INSERT INTO ref_staff AS s (id, name, unit_code, active, version) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, unit_code = EXCLUDED.unit_code,"
        "   active = EXCLUDED.active, version = EXCLUDED.version WHERE s.version <= EXCLUDED.version", &params, NULL);
    protobuf_c_message_free_unpacked(&staff->base, NULL);
    return status;
}

sf_status_t
emp_grid_apply(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
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
    return SF_OK;
}
