/* Intake's reference copy of grid, as a declaration for the common follower
 * of grid (sf_gridref.h): org units, households, staff, responsibilities
 * and departments in the ref_* tables, so cases are checked and routed
 * while grid is down; and, in hooks, the generations the service loop's
 * in-memory copy of those tables (intake_ref.h) polls. It runs in the peers
 * thread, inside the follower's transaction. */
#include "intake_peers.h"
#include "sf_gridref.h"

/* The service loop keeps units, zone pairs, staff and departments in
 * memory: a change to them moves the generation it polls. */
static sf_status_t
bump_generation(sf_db_t *db, const sf_gridref_event_t *event, void *arg)
{
    (void) event;
    (void) arg;
    return sf_db_run(db, "UPDATE ref_generation SET n = n + 1", NULL, NULL);
}

/* Department names are shown with the catalogue's items. */
static sf_status_t
bump_catalogue(sf_db_t *db, const sf_gridref_event_t *event, void *arg)
{
    (void) event;
    (void) arg;
    return sf_db_run(db, "UPDATE ref_generation SET n = n + 1, catalogue = catalogue + 1", NULL, NULL);
}

/* Households only grow and keep their zone: the loop asks for those it has
 * not seen, and takes them all at once after many new ones. Counted over
 * the page and written at its end: one row updated once a page, not a
 * thousand times in one transaction (each update then walks the versions
 * the page made before it: a district's load spent more time there than on
 * the households). */
static sf_status_t
count_household(sf_db_t *db, const sf_gridref_event_t *event, void *arg)
{
    (void) db;
    if (event->created)
        (*intake_peers_households_new(arg))++;
    return SF_OK;
}

/* The same for a run of households grid created. */
static sf_status_t
count_households(sf_db_t *db, const char *keys, size_t n, void *arg)
{
    (void) db;
    (void) keys;
    *intake_peers_households_new(arg) += (int64_t) n;
    return SF_OK;
}

sf_status_t
intake_grid_page_end(sf_db_t *db, bool write, void *arg)
{
    /* The run of created rows held back first: it counts households. */
    sf_status_t held = sf_gridref_page_end(db, write, NULL);
    if (held != SF_OK)
        return held;
    int64_t *households_new = intake_peers_households_new(arg);
    int64_t n = *households_new;
    *households_new = 0;
    if (!write || n == 0)
        return SF_OK;
    /* On failure the page is rolled back and applied again. */
    return sf_db_run(db, "UPDATE ref_generation SET households = households + $1", SF_PARAMS(n), NULL);
}

static const sf_gridref_table_t tables[] = {
    { SF_GRID_UNIT, "ref_unit", {
        { "code", SF_GRID_CODE, SF_GRIDREF_KEY }, { "kind", SF_GRID_KIND, 0 }, { "name", SF_GRID_NAME, 0 },
        { "parent_code", SF_GRID_PARENT_CODE, 0 }, { "version", SF_GRID_VERSION, 0 } }, false, bump_generation, NULL },
    { SF_GRID_HOUSEHOLD, "ref_household", {
        { "code", SF_GRID_CODE, SF_GRIDREF_KEY }, { "zone_code", SF_GRID_ZONE_CODE, 0 },
        { "flags", SF_GRID_FLAGS, 0 }, { "version", SF_GRID_VERSION, 0 } }, false, count_household, count_households },
    { SF_GRID_STAFF, "ref_staff", {
        { "id", SF_GRID_ID, SF_GRIDREF_KEY }, { "name", SF_GRID_NAME, 0 }, { "kind", SF_GRID_KIND, 0 },
        { "unit_code", SF_GRID_UNIT_CODE, 0 }, { "department_code", SF_GRID_DEPARTMENT_CODE, 0 },
        { "active", SF_GRID_ACTIVE, 0 }, { "version", SF_GRID_VERSION, 0 } }, false, bump_generation, NULL },
    { SF_GRID_RESPONSIBILITY, "ref_responsibility", {
        { "unit_code", SF_GRID_UNIT_CODE, SF_GRIDREF_KEY }, { "kind", SF_GRID_KIND, SF_GRIDREF_KEY },
        { "staff_id", SF_GRID_STAFF_ID, SF_GRIDREF_KEY }, { "since", SF_GRID_SINCE, SF_GRIDREF_KEEP } },
      false, bump_generation, NULL },
    { SF_GRID_DEPARTMENT, "ref_department", {
        { "code", SF_GRID_CODE, SF_GRIDREF_KEY }, { "name", SF_GRID_NAME, 0 } }, false, bump_catalogue, NULL },
    { 0, NULL, { { NULL, 0, 0 } }, false, NULL, NULL },
};

static const sf_gridref_t intake_grid = { tables, true };   /* intake_grid_page_end ends the runs with the pages */

sf_status_t
intake_apply_grid_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    /* Stopping: give the page back (it is applied again after the restart). */
    if (intake_peers_stopping(arg))
        return SF_UNAVAILABLE;
    return sf_gridref_apply(&intake_grid, db, event, arg);
}
