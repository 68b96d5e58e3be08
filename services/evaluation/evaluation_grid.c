/* Grid's events, as a declaration for the common follower of grid
 * (sf_gridref.h): the reference copy evaluation keeps (units for names and
 * the hierarchy, households as the survey frame, staff and
 * responsibilities for the appraisal link) and, in hooks, the facts they
 * count: households, residents and households in difficulty, each where it
 * lives. */
#include "evaluation.h"
#include "sf_gridref.h"
#include "sf_log.h"
#include <string.h>

/* Columns of the rows as they were (sf_gridref_event_t.old), as declared
 * below, and the count of rows after them. */
enum { OLD_HOUSEHOLD_IN_DIFFICULTY = 2, OLD_HOUSEHOLD_COUNT = 3 };
enum { OLD_RESIDENT_HOUSEHOLD = 1 };

/* The previous state came back with the upsert, so an update counts only
 * what changed, and a created event seen twice counts once. */
static sf_status_t
household_counted(sf_db_t *db, const sf_gridref_event_t *event, void *arg)
{
    (void) arg;   /* a moment's periods come from the district's calendar, not the service */
    const Sifang__V1__Household *household = event->as.household;
    bool existed = sf_db_int(event->old, 0, OLD_HOUSEHOLD_COUNT) > 0;
    bool was = existed && sf_db_bool(event->old, 0, OLD_HOUSEHOLD_IN_DIFFICULTY);
    eval_delta_t deltas[2] = {
        { "households", existed ? 0 : 1 },
        { "households_in_difficulty", (event->in_difficulty ? 1 : 0) - (was ? 1 : 0) },
    };
    if (!existed && !event->created)
        sf_warn("household updated before it was created", "household", household->code);
    return eval_facts_add(db, household->code, event->event->occurred_unix_ms, deltas, 2);
}

/* A move counts out of the old household's zone and into the new. */
static sf_status_t
resident_counted(sf_db_t *db, const sf_gridref_event_t *event, void *arg)
{
    (void) arg;   /* a moment's periods come from the district's calendar, not the service */
    const Sifang__V1__Resident *resident = event->as.resident;
    int64_t at = event->event->occurred_unix_ms;
    const char *old = sf_db_is_null(event->old, 0, OLD_RESIDENT_HOUSEHOLD)
        ? NULL : sf_db_text(event->old, 0, OLD_RESIDENT_HOUSEHOLD);
    if (old && strcmp(old, resident->household_code) == 0)
        return SF_OK;
    eval_delta_t in = { "residents", 1 }, out = { "residents", -1 };
    sf_status_t status = eval_facts_add(db, resident->household_code, at, &in, 1);
    if (status == SF_OK && old)
        status = eval_facts_add(db, old, at, &out, 1);
    if (status == SF_OK && old)
        status = eval_employment_resident_moved(db, resident->id, old, resident->household_code, at);
    return status;
}

/* Departments and their pairings are not counted. */
static const sf_gridref_table_t tables[] = {
    { SF_GRID_UNIT, "unit", {
        { "code", SF_GRID_CODE, SF_GRIDREF_KEY }, { "kind", SF_GRID_KIND, 0 }, { "name", SF_GRID_NAME, 0 },
        { "parent_code", SF_GRID_PARENT_CODE, SF_GRIDREF_NULL_IF_EMPTY } }, false, NULL, NULL },
    { SF_GRID_HOUSEHOLD, "household", {
        { "code", SF_GRID_CODE, SF_GRIDREF_KEY }, { "zone_code", SF_GRID_ZONE_CODE, SF_GRIDREF_KEEP },
        { "in_difficulty", SF_GRID_IN_DIFFICULTY, 0 } }, true, household_counted, NULL },
    { SF_GRID_RESIDENT, "resident", {
        { "id", SF_GRID_ID, SF_GRIDREF_KEY }, { "household_code", SF_GRID_HOUSEHOLD_CODE, 0 } },
      true, resident_counted, NULL },
    { SF_GRID_STAFF, "staff", {
        { "id", SF_GRID_ID, SF_GRIDREF_KEY }, { "name", SF_GRID_NAME, 0 }, { "kind", SF_GRID_KIND, 0 },
        { "unit_code", SF_GRID_UNIT_CODE, 0 }, { "active", SF_GRID_ACTIVE, 0 } }, false, NULL, NULL },
    { SF_GRID_RESPONSIBILITY, "responsibility", {
        { "unit_code", SF_GRID_UNIT_CODE, SF_GRIDREF_KEY }, { "kind", SF_GRID_KIND, SF_GRIDREF_KEY },
        { "staff_id", SF_GRID_STAFF_ID, SF_GRIDREF_KEY } }, false, NULL, NULL },
    { 0, NULL, { { NULL, 0, 0 } }, false, NULL, NULL },
};

static const sf_gridref_t evaluation_grid = { tables, false };

sf_status_t
eval_grid_apply(evaluation_t *self, sf_db_t *db, const Sifang__V1__Event *event)
{
    /* Funding and meeting attendance are counted, not kept as a copy. */
    bool handled = false;
    sf_status_t status = eval_grid_work_apply(db, event, &handled);
    if (handled || status != SF_OK)
        return status;
    return sf_gridref_apply(&evaluation_grid, db, event, self);
}
