/* Staff who serve the grid: street cadres, community committee members,
 * district leaders, department staff and part-time committee members, each
 * belonging to the org unit of their kind. Create, update, get and list;
 * phones masked for roles that may not see them and always in events. */
#include "grid.h"
#include <string.h>

#define STAFF_ID_WIDTH 5
#define STAFF_COLUMNS \
    "s.serial, s.name, s.kind, s.unit_code, COALESCE(s.department_code, ''), s.employer," \
    " s.title, s.phone, s.active, " GRID_MS("s.created_at") ", " GRID_MS("s.updated_at") \
    ", s.version"
/* Staff from arrays, in one statement: each row checked against the
 * registry as it stood before (its unit there with the kind its staff kind
 * wants, $8; its department there when it names one), the good ones numbered
 * in order and written, active; one row back per request, in order: its
 * place, its unit's kind (0: none) and the member written (NULLs: not). */
#define STAFF_INSERT \
    "WITH request AS (SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]," \
    "   $5::text[], $6::text[], $7::text[], $8::int[]) WITH ORDINALITY" \
    "   AS q(name, kind, unit_code, department_code, employer, title, phone, wanted_kind, o))," \
    " checked AS (SELECT q.*," \
    "   COALESCE((SELECT u.kind FROM org_unit u WHERE u.code = q.unit_code), 0) AS unit_kind," \
    "   (q.department_code IS NULL OR (SELECT true FROM department d" \
    "     WHERE d.code = q.department_code) IS NOT NULL) AS department_found" \
    "   FROM request q)," \
    " numbered AS (SELECT nextval('staff_serial_seq') AS serial, o FROM (SELECT o FROM checked" \
    "   WHERE unit_kind = wanted_kind AND department_found ORDER BY o) fresh)," \
    " created AS (INSERT INTO staff AS s (serial, name, kind, unit_code, department_code, employer," \
    "   title, phone)" \
    "   SELECT n.serial, c.name, c.kind, c.unit_code, c.department_code, c.employer, c.title, c.phone" \
    "   FROM numbered n JOIN checked c USING (o) ORDER BY n.serial RETURNING " STAFF_COLUMNS ")" \
    " SELECT c.o, c.unit_kind, created.* FROM checked c LEFT JOIN numbered n USING (o)" \
    " LEFT JOIN created ON created.serial = n.serial ORDER BY c.o"
#define STAFF_UPDATE \
    "UPDATE staff AS s SET name = $2, title = $3, phone = $4, unit_code = $5, active = $6," \
    " version = version + 1, updated_at = now() WHERE serial = $1 RETURNING " STAFF_COLUMNS

char *
grid_staff_id(sf_call_t *call, int64_t serial)
{
    char id[32];
    sf_serial_id_format('S', STAFF_ID_WIDTH, serial, id, sizeof id);
    return sf_call_strdup(call, id);
}

/* The org unit a member of staff of this kind belongs to. */
static Sifang__V1__UnitKind
staff_unit_kind(Sifang__V1__StaffKind kind)
{
    switch (kind) {
    case SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE:
        return SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET;
    case SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE:
    case SIFANG__V1__STAFF_KIND__STAFF_KIND_PART_TIME_COMMITTEE:
        return SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY;
    case SIFANG__V1__STAFF_KIND__STAFF_KIND_DISTRICT_LEADER:
    case SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF:
        return SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT;
    default:
        return SIFANG__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED;
    }
}

static const char *
staff_kind_name(Sifang__V1__StaffKind kind)
{
    switch (kind) {
    case SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE: return "street cadre";
    case SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE: return "community committee member";
    case SIFANG__V1__STAFF_KIND__STAFF_KIND_DISTRICT_LEADER: return "district leader";
    case SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF: return "member of department staff";
    case SIFANG__V1__STAFF_KIND__STAFF_KIND_PART_TIME_COMMITTEE: return "part-time committee member";
    default: return "member of staff";
    }
}

/* The member of staff in the columns of STAFF_COLUMNS from column on, as
 * stored, phone in the clear. */
static Sifang__V1__Staff *
staff_from_row(sf_call_t *call, const PGresult *result, int row, int column)
{
    Sifang__V1__Staff *staff =
        (Sifang__V1__Staff *) sf_call_new_message(call, &sifang__v1__staff__descriptor);
    staff->id = grid_staff_id(call, sf_db_int(result, row, column));
    staff->name = sf_call_strdup(call, sf_db_text(result, row, column + 1));
    staff->kind = (Sifang__V1__StaffKind) sf_db_int(result, row, column + 2);
    staff->unit_code = sf_call_strdup(call, sf_db_text(result, row, column + 3));
    staff->department_code = sf_call_strdup(call, sf_db_text(result, row, column + 4));
    staff->employer = sf_call_strdup(call, sf_db_text(result, row, column + 5));
    staff->title = sf_call_strdup(call, sf_db_text(result, row, column + 6));
    staff->phone = sf_call_strdup(call, sf_db_text(result, row, column + 7));
    staff->active = sf_db_bool(result, row, column + 8);
    staff->created_unix_ms = sf_db_int(result, row, column + 9);
    staff->updated_unix_ms = sf_db_int(result, row, column + 10);
    staff->version = sf_db_int(result, row, column + 11);
    return staff;
}

static Sifang__V1__Staff *
staff_for_caller(sf_call_t *call, Sifang__V1__Staff *staff)
{
    staff->phone = grid_phone_for_caller(call, staff->unit_code, staff->phone);
    return staff;
}

static void
staff_emit(sf_call_t *call, const char *type, const Sifang__V1__Staff *staff)
{
    Sifang__V1__Staff event = *staff;
    event.phone = grid_phone_masked(call, staff->phone);
    sf_call_emit(call, type, staff->id, &event.base);
}

static sf_status_t
staff_load(sf_call_t *call, int64_t serial, bool lock, Sifang__V1__Staff **staff_p)
{
    PGresult *result = grid_select_one(call, "SELECT " STAFF_COLUMNS " FROM staff s WHERE s.serial = $1", lock,
                                       SF_PARAMS(serial));
    *staff_p = result && PQntuples(result) == 1 ? staff_from_row(call, result, 0, 0) : NULL;
    return result ? SF_OK : sf_call_status(call);
}

/* A member of staff of this kind belongs to a unit of the kind's unit kind:
 * FAILED_PRECONDITION on unit_code when the unit is not there (unit_kind 0)
 * or is of another kind, else SF_OK. */
static sf_status_t
check_unit_fit(sf_call_t *call, Sifang__V1__StaffKind kind, const char *code,
               Sifang__V1__UnitKind unit_kind)
{
    Sifang__V1__UnitKind wanted = staff_unit_kind(kind);
    if (unit_kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "unit_code", "no unit %s", code);
    if (unit_kind != wanted)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "unit_code",
                              "a %s belongs to a %s; %s is a %s", staff_kind_name(kind),
                              grid_unit_kind_name(wanted), code, grid_unit_kind_name(unit_kind));
    return SF_OK;
}

/* The unit a member of staff of this kind is to belong to must exist and
 * be of the kind's unit kind (check_unit_fit). */
static sf_status_t
require_unit(sf_call_t *call, Sifang__V1__StaffKind kind, const char *code)
{
    Sifang__V1__OrgUnit *unit;
    sf_status_t status = grid_unit_load(call, code, false, &unit);
    if (status != SF_OK)
        return status;
    return check_unit_fit(call, kind, code,
                          unit ? unit->kind : SIFANG__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED);
}

/* How many responsibilities the member of staff holds. */
static sf_status_t
count_responsibilities(sf_call_t *call, int64_t serial, int64_t *count)
{
    PGresult *result = sf_call_query(call,
        "SELECT count(*) FROM responsibility WHERE staff_serial = $1", SF_PARAMS(serial));
    if (!result)
        return sf_call_status(call);
    *count = sf_db_int(result, 0, 0);
    return SF_OK;
}

static bool
check_staff_id(sf_call_t *call, const char *id, int64_t *serial)
{
    if (!*id) {
        sf_call_violation(call, "id", "is required");
        return false;
    }
    if (!sf_serial_id_parse(id, 'S', serial)) {
        sf_call_violation(call, "id", "must be a staff id like S00042");
        return false;
    }
    return true;
}

static bool
staff_admit(sf_call_t *call, grid_draft_t *draft)
{
    const Sifang__V1__Staff *staff = (const Sifang__V1__Staff *) draft->request;
    sf_call_check_text(call, "name", staff->name, GRID_NAME_MAX, true);
    bool kind_ok = staff_unit_kind(staff->kind) != SIFANG__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED;
    if (!kind_ok)
        sf_call_violation(call, "kind", "must be STREET_CADRE, COMMUNITY_COMMITTEE, DISTRICT_LEADER,"
                          " DEPARTMENT_STAFF or PART_TIME_COMMITTEE");
    grid_check_code(call, "unit_code", staff->unit_code);
    bool has_department = staff->kind == SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF
        || staff->kind == SIFANG__V1__STAFF_KIND__STAFF_KIND_DISTRICT_LEADER;
    if (*staff->department_code && !grid_department_code_valid(staff->department_code))
        sf_call_violation(call, "department_code", "must be a department code like civil-affairs");
    else if (*staff->department_code && kind_ok && !has_department)
        sf_call_violation(call, "department_code",
                          "only department staff and district leaders belong to a department");
    else if (!*staff->department_code
             && staff->kind == SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF)
        sf_call_violation(call, "department_code", "is required for department staff");
    bool part_time = staff->kind == SIFANG__V1__STAFF_KIND__STAFF_KIND_PART_TIME_COMMITTEE;
    sf_call_check_text(call, "employer", staff->employer, GRID_NAME_MAX, part_time);
    sf_call_check_text(call, "title", staff->title, GRID_TITLE_MAX, false);
    sf_call_check_phone(call, "phone", staff->phone);
    if (sf_call_has_violations(call))
        return false;
    if (!sf_call_may_write(call, staff->unit_code)) {
        sf_call_fail(call, SF_PERMISSION_DENIED, "unit %s lies outside your scope", staff->unit_code);
        return false;
    }
    return true;
}

/* Why a member of staff was not written, as the checks made one by one
 * would say: the unit (unit_kind 0: there is none), then the department. */
static void
staff_refuse(sf_call_t *call, const Sifang__V1__Staff *staff, Sifang__V1__UnitKind unit_kind)
{
    if (check_unit_fit(call, staff->kind, staff->unit_code, unit_kind) == SF_OK)
        sf_call_refuse(call, SF_FAILED_PRECONDITION, "department_code", "no department %s",
                       staff->department_code);
}

static void
staff_add(grid_columns_t *columns, const grid_draft_t *draft)
{
    const Sifang__V1__Staff *staff = (const Sifang__V1__Staff *) draft->request;
    sf_pgarray_add_text(&columns->arrays[0], staff->name);
    sf_pgarray_add_int(&columns->arrays[1], staff->kind);
    sf_pgarray_add_text(&columns->arrays[2], staff->unit_code);
    sf_pgarray_add_text(&columns->arrays[3], *staff->department_code ? staff->department_code : NULL);
    sf_pgarray_add_text(&columns->arrays[4], staff->employer);
    sf_pgarray_add_text(&columns->arrays[5], staff->title);
    sf_pgarray_add_text(&columns->arrays[6], staff->phone);
    sf_pgarray_add_int(&columns->arrays[7], staff_unit_kind(staff->kind));
}

static void
staff_answer(sf_call_t *call, const grid_draft_t *draft, const PGresult *result, int row,
             ProtobufCMessage **reply_p)
{
    if (sf_db_is_null(result, row, 2)) {
        staff_refuse(call, (const Sifang__V1__Staff *) draft->request,
                     (Sifang__V1__UnitKind) sf_db_int(result, row, 1));
        return;
    }
    Sifang__V1__Staff *created = staff_from_row(call, result, row, 2);
    staff_emit(call, "staff.created", created);
    *reply_p = &staff_for_caller(call, created)->base;
}

const grid_creator_t grid_staff_creator = {
    .method = "StaffCreate",
    .draft_size = sizeof(grid_draft_t),
    .admit = staff_admit,
    .columns = 8,
    .add = staff_add,
    .sql = STAFF_INSERT,
    .answer = staff_answer,
};

sf_status_t
grid_staff_update(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__StaffUpdateRequest *update = (const Sifang__V1__StaffUpdateRequest *) request;
    int64_t serial = 0;
    check_staff_id(call, update->id, &serial);
    if (*update->name)
        sf_call_check_text(call, "name", update->name, GRID_NAME_MAX, true);
    sf_call_check_text(call, "title", update->title, GRID_TITLE_MAX, false);
    sf_call_check_phone(call, "phone", update->phone);
    if (*update->unit_code)
        grid_check_code(call, "unit_code", update->unit_code);
    if (update->expected_version < 0)
        sf_call_violation(call, "expected_version", "must not be negative");
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    Sifang__V1__Staff *staff;
    sf_status_t status = staff_load(call, serial, true, &staff);
    if (status != SF_OK)
        return status;
    if (!staff || !sf_call_covers(call, staff->unit_code))
        return sf_call_fail(call, SF_NOT_FOUND, "staff %s not found", update->id);
    /* Seen but not theirs to change: a person's write scopes are narrower
     * than their view. */
    if (!sf_call_may_write(call, staff->unit_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "unit %s lies outside your scope",
                            staff->unit_code);
    const char *unit_code = staff->unit_code;
    bool moves = *update->unit_code && strcmp(update->unit_code, staff->unit_code) != 0;
    bool retires = update->set_active && !update->active && staff->active;
    if (moves) {
        if (!sf_call_may_write(call, update->unit_code))
            return sf_call_fail(call, SF_PERMISSION_DENIED, "unit %s lies outside your scope",
                                update->unit_code);
        status = require_unit(call, staff->kind, update->unit_code);
        if (status != SF_OK)
            return status;
        unit_code = update->unit_code;
    }
    if (update->expected_version && update->expected_version != staff->version)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "expected_version",
                              "is %lld but staff %s is at version %lld",
                              (long long) update->expected_version, staff->id,
                              (long long) staff->version);
    /* A responsibility rests on the staff's unit and kind (a zone's cadre is
     * of its street): moving or retiring them would leave it standing wrong,
     * so the caller removes it first, with its own event. */
    if (moves || retires) {
        int64_t held = 0;
        status = count_responsibilities(call, serial, &held);
        if (status != SF_OK)
            return status;
        if (held > 0)
            return sf_call_refuse(call, SF_FAILED_PRECONDITION, moves ? "unit_code" : "active",
                                  "staff %s holds %lld responsibilities: remove them first",
                                  staff->id, (long long) held);
    }

    PGresult *result = sf_call_query(call, STAFF_UPDATE,
        SF_PARAMS(serial, *update->name ? update->name : staff->name, *update->title ? update->title : staff->title,
                  *update->phone ? update->phone : staff->phone, unit_code,
                  sf_param_bool(update->set_active ? update->active : staff->active)));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__Staff *updated = staff_from_row(call, result, 0, 0);
    staff_emit(call, "staff.updated", updated);
    *reply_p = &staff_for_caller(call, updated)->base;
    return SF_OK;
}

sf_status_t
grid_staff_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__IdRequest *get = (const Sifang__V1__IdRequest *) request;
    int64_t serial;
    if (!check_staff_id(call, get->id, &serial))
        return sf_call_status(call);
    Sifang__V1__Staff *staff;
    sf_status_t status = staff_load(call, serial, false, &staff);
    if (status != SF_OK)
        return status;
    if (!staff || !sf_call_covers(call, staff->unit_code))
        return sf_call_fail(call, SF_NOT_FOUND, "staff %s not found", get->id);
    *reply_p = &staff_for_caller(call, staff)->base;
    return SF_OK;
}

sf_status_t
grid_staff_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__StaffListRequest *list = (const Sifang__V1__StaffListRequest *) request;
    Sifang__V1__StaffListReply *reply = (Sifang__V1__StaffListReply *)
        sf_call_new_message(call, &sifang__v1__staff_list_reply__descriptor);
    sf_page_t page = sf_page_of(call, list->page);
    if (list->kind != SIFANG__V1__STAFF_KIND__STAFF_KIND_UNSPECIFIED
        && staff_unit_kind(list->kind) == SIFANG__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED)
        sf_call_violation(call, "kind", "is not a staff kind");
    if (*list->department_code && !grid_department_code_valid(list->department_code))
        sf_call_violation(call, "department_code", "must be a department code like civil-affairs");
    int64_t after = 0;
    if (*page.token && !sf_serial_id_parse(page.token, 'S', &after))
        sf_page_bad_token(call);
    const char *prefix;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;

    sf_query_t query;
    sf_query_init(&query, call, "SELECT " STAFF_COLUMNS " FROM staff s");
    sf_query_subtree(&query, "s.unit_code", prefix);
    if (list->kind)
        sf_query_where(&query, "s.kind = $%d", sf_query_int(&query, list->kind));
    if (*list->department_code)
        sf_query_where(&query, "s.department_code = $%d",
                         sf_query_text(&query, list->department_code));
    if (*page.token)
        sf_query_where(&query, "s.serial > $%d", sf_query_int(&query, after));
    sf_query_append(&query, " ORDER BY s.serial LIMIT $%d", sf_query_int(&query, page.size + 1));
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->staff = sf_call_new_array(call, (size_t) rows, sizeof *reply->staff);
    for (int row = 0; row < rows; row++)
        reply->staff[reply->n_staff++] = staff_for_caller(call, staff_from_row(call, result, row, 0));
    if (sf_page_more(&page, result))
        reply->next_page_token = reply->staff[rows - 1]->id;
    return SF_OK;
}
