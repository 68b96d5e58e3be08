/* Org units from the district down to building groups: create, update, get,
 * list, and the zone view (a zone with its building groups, counts and
 * responsible pair). */
#include "grid.h"
#include <math.h>
#include <string.h>

/* Units from arrays, in one statement: each row checked against the
 * registry as it stood before (its parent there with the kind above its own,
 * its code free), the good ones written; one row back per request, in order:
 * its place, its parent's kind (0: none) and the unit written (NULLs: not). */
#define UNITS_INSERT \
    "WITH request AS (SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]," \
    "   $5::float8[], $6::float8[]) WITH ORDINALITY AS q(code, kind, name, parent_code, lat, lon, o))," \
    " checked AS (SELECT q.*," \
    "   COALESCE((SELECT p.kind FROM org_unit p WHERE p.code = q.parent_code), 0) AS parent_kind," \
    "   (SELECT true FROM org_unit x WHERE x.code = q.code) IS NOT NULL AS taken FROM request q)," \
    " created AS (INSERT INTO org_unit AS u (code, kind, name, parent_code, lat, lon)" \
    "   SELECT code, kind, name, parent_code, lat, lon FROM checked" \
    "   WHERE (parent_code IS NULL OR parent_kind = kind - 1) AND NOT taken ORDER BY o" \
    "   ON CONFLICT (code) DO NOTHING RETURNING " GRID_UNIT_COLUMNS ")" \
    " SELECT c.o, c.parent_kind, created.* FROM checked c" \
    " LEFT JOIN created ON created.code = c.code ORDER BY c.o"
#define UNIT_UPDATE \
    "UPDATE org_unit AS u SET name = $2, lat = $3, lon = $4, version = version + 1," \
    " updated_at = now() WHERE code = $1 RETURNING " GRID_UNIT_COLUMNS

Sifang__V1__OrgUnit *
grid_unit_from_row(sf_call_t *call, const PGresult *result, int row, int column)
{
    Sifang__V1__OrgUnit *unit =
        (Sifang__V1__OrgUnit *) sf_call_new_message(call, &sifang__v1__org_unit__descriptor);
    unit->code = sf_call_strdup(call, sf_db_text(result, row, column));
    unit->kind = (Sifang__V1__UnitKind) sf_db_int(result, row, column + 1);
    unit->name = sf_call_strdup(call, sf_db_text(result, row, column + 2));
    unit->parent_code = sf_call_strdup(call, sf_db_text(result, row, column + 3));
    if (!sf_db_is_null(result, row, column + 4)) {
        unit->location = (Sifang__V1__GeoPoint *)
            sf_call_new_message(call, &sifang__v1__geo_point__descriptor);
        unit->location->lat = sf_db_double(result, row, column + 4);
        unit->location->lon = sf_db_double(result, row, column + 5);
    }
    unit->created_unix_ms = sf_db_int(result, row, column + 6);
    unit->updated_unix_ms = sf_db_int(result, row, column + 7);
    unit->version = sf_db_int(result, row, column + 8);
    return unit;
}

PGresult *
grid_select_one(sf_call_t *call, const char *sql, bool lock, const sf_params_t *params)
{
    return sf_call_query(call, lock ? sf_call_printf(call, "%s FOR UPDATE", sql) : sql, params);
}

sf_status_t
grid_unit_load(sf_call_t *call, const char *code, bool lock, Sifang__V1__OrgUnit **unit_p)
{
    PGresult *result = grid_select_one(call, "SELECT " GRID_UNIT_COLUMNS " FROM org_unit u WHERE u.code = $1", lock,
                                       SF_PARAMS(code));
    *unit_p = result && PQntuples(result) == 1 ? grid_unit_from_row(call, result, 0, 0) : NULL;
    return result ? SF_OK : sf_call_status(call);
}

static void
check_location(sf_call_t *call, const Sifang__V1__GeoPoint *location)
{
    if (!isfinite(location->lat) || location->lat < -90 || location->lat > 90)
        sf_call_violation(call, "location.lat", "must be a latitude between -90 and 90");
    if (!isfinite(location->lon) || location->lon < -180 || location->lon > 180)
        sf_call_violation(call, "location.lon", "must be a longitude between -180 and 180");
}

static void
check_new_unit(sf_call_t *call, const Sifang__V1__OrgUnit *unit)
{
    size_t length = grid_code_length(unit->kind);
    if (length == 0)
        sf_call_violation(call, "kind", "must be DISTRICT, STREET, COMMUNITY, ZONE or BUILDING_GROUP");
    if (!*unit->code)
        sf_call_violation(call, "code", "is required");
    else if (!sf_code_digits(unit->code))
        sf_call_violation(call, "code", "must be digits only");
    else if (length && strlen(unit->code) != length)
        sf_call_violation(call, "code", "a %s code has %zu digits",
                          grid_unit_kind_name(unit->kind), length);
    sf_call_check_text(call, "name", unit->name, GRID_NAME_MAX, true);
    if (unit->kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT) {
        if (*unit->parent_code)
            sf_call_violation(call, "parent_code", "must be empty for the district");
    } else if (length) {
        Sifang__V1__UnitKind parent_kind = (Sifang__V1__UnitKind) (unit->kind - 1);
        size_t parent_length = grid_code_length(parent_kind);
        if (!*unit->parent_code)
            sf_call_violation(call, "parent_code", "is required for a %s",
                              grid_unit_kind_name(unit->kind));
        else if (!sf_code_digits(unit->parent_code)
                 || strlen(unit->parent_code) != parent_length)
            sf_call_violation(call, "parent_code", "must be the code of a %s (%zu digits)",
                              grid_unit_kind_name(parent_kind), parent_length);
        else if (sf_code_digits(unit->code) && strlen(unit->code) == length
                 && !sf_code_starts_with(unit->code, unit->parent_code))
            sf_call_violation(call, "code", "must start with its parent's code");
    }
    if (unit->location)
        check_location(call, unit->location);
    else if (unit->kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE)
        sf_call_violation(call, "location", "is required for a zone");
}

static bool
unit_admit(sf_call_t *call, grid_draft_t *draft)
{
    const Sifang__V1__OrgUnit *unit = (const Sifang__V1__OrgUnit *) draft->request;
    check_new_unit(call, unit);
    if (sf_call_has_violations(call))
        return false;
    if (!sf_call_covers(call, unit->code)) {
        sf_call_fail(call, SF_PERMISSION_DENIED, "unit %s lies outside your scope", unit->code);
        return false;
    }
    draft->key = unit->code;
    draft->needs = *unit->parent_code ? unit->parent_code : NULL;
    return true;
}

/* Why a unit was not written, as the checks made one by one would say: its
 * parent first (parent_kind 0: there is none), then its code. */
static void
unit_refuse(sf_call_t *call, const Sifang__V1__OrgUnit *unit, Sifang__V1__UnitKind parent_kind)
{
    if (*unit->parent_code && parent_kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED)
        sf_call_refuse(call, SF_FAILED_PRECONDITION, "parent_code", "no unit %s", unit->parent_code);
    else if (*unit->parent_code && parent_kind != unit->kind - 1)
        sf_call_refuse(call, SF_FAILED_PRECONDITION, "parent_code", "%s is a %s; a %s belongs to a %s",
                       unit->parent_code, grid_unit_kind_name(parent_kind),
                       grid_unit_kind_name(unit->kind),
                       grid_unit_kind_name((Sifang__V1__UnitKind) (unit->kind - 1)));
    else
        sf_call_refuse(call, SF_ALREADY_EXISTS, "code", "unit %s already exists", unit->code);
}

static void
unit_add(grid_columns_t *columns, const grid_draft_t *draft)
{
    const Sifang__V1__OrgUnit *unit = (const Sifang__V1__OrgUnit *) draft->request;
    sf_pgarray_add_text(&columns->arrays[0], unit->code);
    sf_pgarray_add_int(&columns->arrays[1], unit->kind);
    sf_pgarray_add_text(&columns->arrays[2], unit->name);
    sf_pgarray_add_text(&columns->arrays[3], *unit->parent_code ? unit->parent_code : NULL);
    grid_columns_add_double(columns, 4, unit->location, true);
    grid_columns_add_double(columns, 5, unit->location, false);
}

static void
unit_answer(sf_call_t *call, const grid_draft_t *draft, const PGresult *result, int row,
            ProtobufCMessage **reply_p)
{
    if (sf_db_is_null(result, row, 2)) {
        unit_refuse(call, (const Sifang__V1__OrgUnit *) draft->request,
                    (Sifang__V1__UnitKind) sf_db_int(result, row, 1));
        return;
    }
    Sifang__V1__OrgUnit *created = grid_unit_from_row(call, result, row, 2);
    sf_call_emit(call, "unit.created", created->code, &created->base);
    *reply_p = &created->base;
}

const grid_creator_t grid_unit_creator = {
    .method = "UnitCreate",
    .draft_size = sizeof(grid_draft_t),
    .admit = unit_admit,
    .columns = 6,
    .add = unit_add,
    .sql = UNITS_INSERT,
    .answer = unit_answer,
};

sf_status_t
grid_unit_update(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__UnitUpdateRequest *update = (const Sifang__V1__UnitUpdateRequest *) request;
    grid_check_code(call, "code", update->code);
    if (*update->name)
        sf_call_check_text(call, "name", update->name, GRID_NAME_MAX, true);
    if (update->location)
        check_location(call, update->location);
    if (update->expected_version < 0)
        sf_call_violation(call, "expected_version", "must not be negative");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!sf_call_covers(call, update->code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "unit %s lies outside your scope",
                            update->code);

    Sifang__V1__OrgUnit *unit;
    sf_status_t status = grid_unit_load(call, update->code, true, &unit);
    if (status != SF_OK)
        return status;
    if (!unit)
        return sf_call_fail(call, SF_NOT_FOUND, "unit %s not found", update->code);
    if (update->expected_version && update->expected_version != unit->version)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "expected_version",
                              "is %lld but unit %s is at version %lld",
                              (long long) update->expected_version, unit->code,
                              (long long) unit->version);

    const Sifang__V1__GeoPoint *location = update->location ? update->location : unit->location;
    sf_params_t *params = SF_PARAMS(unit->code, *update->name ? update->name : unit->name);
    if (location) {
        SF_PARAMS_ADD(params, sf_param_double(location->lat), sf_param_double(location->lon));
    } else {
        sf_params_null(params);
        sf_params_null(params);
    }
    PGresult *result = sf_call_query(call, UNIT_UPDATE, params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__OrgUnit *updated = grid_unit_from_row(call, result, 0, 0);
    return sf_call_emit_reply(call, reply_p, "unit.updated", updated->code, &updated->base);
}

sf_status_t
grid_unit_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CodeRequest *get = (const Sifang__V1__CodeRequest *) request;
    if (!grid_check_code(call, "code", get->code))
        return sf_call_status(call);
    Sifang__V1__OrgUnit *unit = NULL;
    /* Outside the scope is not found: a caller learns nothing of units it
     * may not see. */
    if (sf_call_covers(call, get->code)) {
        sf_status_t status = grid_unit_load(call, get->code, false, &unit);
        if (status != SF_OK)
            return status;
    }
    if (!unit)
        return sf_call_fail(call, SF_NOT_FOUND, "unit %s not found", get->code);
    *reply_p = &unit->base;
    return SF_OK;
}

sf_status_t
grid_unit_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__UnitListRequest *list = (const Sifang__V1__UnitListRequest *) request;
    Sifang__V1__UnitListReply *reply = (Sifang__V1__UnitListReply *)
        sf_call_new_message(call, &sifang__v1__unit_list_reply__descriptor);
    sf_page_t page = sf_page_of(call, list->page);
    if (*list->parent_code && !sf_code_prefix_valid(list->parent_code))
        sf_call_violation(call, "parent_code", "must be a unit code (digits only)");
    if (list->kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED
        && grid_code_length(list->kind) == 0)
        sf_call_violation(call, "kind", "is not a unit kind");
    sf_call_check_text(call, "name_contains", list->name_contains, GRID_NAME_MAX, false);
    if (*page.token && !sf_code_prefix_valid(page.token))
        sf_page_bad_token(call);
    const char *prefix;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;

    sf_query_t query;
    sf_query_init(&query, call, "SELECT " GRID_UNIT_COLUMNS " FROM org_unit u");
    sf_query_subtree(&query, "u.code", prefix);
    if (*list->parent_code)
        sf_query_where(&query, "u.parent_code = $%d", sf_query_text(&query, list->parent_code));
    if (list->kind)
        sf_query_where(&query, "u.kind = $%d", sf_query_int(&query, list->kind));
    if (*list->name_contains)
        sf_query_where(&query, "strpos(lower(u.name), lower($%d)) > 0",
                         sf_query_text(&query, list->name_contains));
    if (*page.token)
        sf_query_where(&query, "u.code > $%d", sf_query_text(&query, page.token));
    sf_query_append(&query, " ORDER BY u.code LIMIT $%d", sf_query_int(&query, page.size + 1));
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->units = sf_call_new_array(call, (size_t) rows, sizeof *reply->units);
    for (int row = 0; row < rows; row++)
        reply->units[reply->n_units++] = grid_unit_from_row(call, result, row, 0);
    if (sf_page_more(&page, result))
        reply->next_page_token = reply->units[rows - 1]->code;
    return SF_OK;
}

sf_status_t
grid_zone_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CodeRequest *get = (const Sifang__V1__CodeRequest *) request;
    if (!grid_check_code(call, "code", get->code))
        return sf_call_status(call);
    Sifang__V1__OrgUnit *zone = NULL;
    if (sf_call_covers(call, get->code)) {
        sf_status_t status = grid_unit_load(call, get->code, false, &zone);
        if (status != SF_OK)
            return status;
    }
    if (!zone || zone->kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE)
        return sf_call_fail(call, SF_NOT_FOUND, "zone %s not found", get->code);

    Sifang__V1__ZoneView *view = (Sifang__V1__ZoneView *)
        sf_call_new_message(call, &sifang__v1__zone_view__descriptor);
    view->zone = zone;

    sf_params_t *params = SF_PARAMS(zone->code);
    PGresult *result = sf_call_query(call,
        "SELECT " GRID_UNIT_COLUMNS " FROM org_unit u WHERE u.parent_code = $1 ORDER BY u.code",
        params);
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    view->building_groups = sf_call_new_array(call, (size_t) rows, sizeof *view->building_groups);
    for (int row = 0; row < rows; row++)
        view->building_groups[view->n_building_groups++] = grid_unit_from_row(call, result, row, 0);

    char upper[GRID_CODE_SIZE];
    sf_code_subtree_upper(zone->code, upper, sizeof upper);
    params = SF_PARAMS(zone->code, upper);
    result = sf_call_query(call,
        "SELECT (SELECT count(*) FROM household WHERE code >= $1 AND code < $2),"
        " (SELECT count(*) FROM resident WHERE household_code >= $1 AND household_code < $2)",
        params);
    if (!result)
        return sf_call_status(call);
    view->households = (int32_t) sf_db_int(result, 0, 0);
    view->residents = (int32_t) sf_db_int(result, 0, 1);

    params = SF_PARAMS(zone->code);
    result = sf_call_query(call,
        GRID_RESPONSIBILITY_SELECT " WHERE r.unit_code = $1 AND r.kind IN (1, 2) ORDER BY r.kind",
        params);
    if (!result)
        return sf_call_status(call);
    rows = PQntuples(result);
    view->responsible = sf_call_new_array(call, (size_t) rows, sizeof *view->responsible);
    for (int row = 0; row < rows; row++)
        view->responsible[view->n_responsible++] = grid_responsibility_from_row(call, result, row);
    *reply_p = &view->base;
    return SF_OK;
}
