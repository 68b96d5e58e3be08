/* Who answers for what: each zone's street cadre and community committee
 * member (one of each at a time), district leaders' contact points in
 * streets and communities, part-time committee members' seats in their
 * communities, and each community station's and street office's head
 * (负责人, who takes a case escalated to the unit) and reviewer (审核人, who
 * signs the unit's replies), one of each per unit. Assign, remove, list, and ResponsibleFor (the path from the
 * district to a household or unit with everyone responsible along it). */
#include "grid.h"
#include <stdio.h>
#include <string.h>

#define KIND_ZONE_CADRE SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_CADRE
#define KIND_ZONE_COMMITTEE SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_COMMITTEE
#define KIND_LEADER_CONTACT SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_LEADER_CONTACT
#define KIND_PART_TIME SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_PART_TIME_COMMITTEE
#define KIND_UNIT_HEAD SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_UNIT_HEAD
#define KIND_UNIT_REVIEWER SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_UNIT_REVIEWER
#define KIND_LAST KIND_UNIT_REVIEWER

/* The kinds held by one person at a time on their unit. */
static bool
one_per_unit(Sifang__V1__ResponsibilityKind kind)
{
    return kind == KIND_ZONE_CADRE || kind == KIND_ZONE_COMMITTEE || kind == KIND_UNIT_HEAD
        || kind == KIND_UNIT_REVIEWER;
}

Sifang__V1__Responsibility *
grid_responsibility_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__Responsibility *responsibility = (Sifang__V1__Responsibility *)
        sf_call_new_message(call, &sifang__v1__responsibility__descriptor);
    responsibility->staff_id = grid_staff_id(call, sf_db_int(result, row, 0));
    responsibility->unit_code = sf_call_strdup(call, sf_db_text(result, row, 1));
    responsibility->kind = (Sifang__V1__ResponsibilityKind) sf_db_int(result, row, 2);
    responsibility->staff_name = sf_call_strdup(call, sf_db_text(result, row, 3));
    responsibility->unit_name = sf_call_strdup(call, sf_db_text(result, row, 4));
    responsibility->since_unix_ms = sf_db_int(result, row, 5);
    return responsibility;
}

static const char *
responsibility_kind_name(Sifang__V1__ResponsibilityKind kind)
{
    switch (kind) {
    case KIND_ZONE_CADRE: return "zone cadre";
    case KIND_ZONE_COMMITTEE: return "zone committee member";
    case KIND_LEADER_CONTACT: return "leader's contact point";
    case KIND_PART_TIME: return "part-time committee seat";
    case KIND_UNIT_HEAD: return "unit head (负责人)";
    case KIND_UNIT_REVIEWER: return "unit reviewer (审核人)";
    default: return "responsibility";
    }
}

/* Checks the three fields that name a responsibility (*serial is the
 * staff's), then who may change it: a local principal who may write in its
 * unit; a leader's contact point is the district's to decide. */
static sf_status_t
check_responsibility(sf_call_t *call, const Sifang__V1__Responsibility *responsibility,
                     int64_t *serial)
{
    if (!*responsibility->staff_id)
        sf_call_violation(call, "staff_id", "is required");
    else if (!sf_serial_id_parse(responsibility->staff_id, 'S', serial))
        sf_call_violation(call, "staff_id", "must be a staff id like S00042");
    grid_check_code(call, "unit_code", responsibility->unit_code);
    if (responsibility->kind < KIND_ZONE_CADRE || responsibility->kind > KIND_LAST)
        sf_call_violation(call, "kind", "must be ZONE_CADRE, ZONE_COMMITTEE, LEADER_CONTACT,"
                          " PART_TIME_COMMITTEE, UNIT_HEAD or UNIT_REVIEWER");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!sf_call_may_write(call, responsibility->unit_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "unit %s lies outside your scope",
                            responsibility->unit_code);
    if (responsibility->kind == KIND_LEADER_CONTACT && !sf_call_has_role(call, GRID_ROLES_DISTRICT))
        return sf_call_fail(call, SF_PERMISSION_DENIED,
                            "leaders' contact points are assigned by the district");
    return SF_OK;
}

typedef struct {
    Sifang__V1__StaffKind kind;
    const char *unit_code;
    const char *name;
    bool active;
} staff_brief_t;

/* The rule each kind of responsibility follows: the unit it rests on and who
 * may hold it. Returns SF_OK or FAILED_PRECONDITION with the field that
 * breaks it. */
static sf_status_t
check_fit(sf_call_t *call, const Sifang__V1__Responsibility *responsibility,
          const Sifang__V1__OrgUnit *unit, const staff_brief_t *staff)
{
    const char *kind_name = responsibility_kind_name(responsibility->kind);
    switch (responsibility->kind) {
    case KIND_ZONE_CADRE:
    case KIND_ZONE_COMMITTEE: {
        if (unit->kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE)
            return sf_call_refuse(call, SF_FAILED_PRECONDITION, "unit_code", "a %s serves a zone; %s is a %s",
                                  kind_name, unit->code, grid_unit_kind_name(unit->kind));
        bool cadre = responsibility->kind == KIND_ZONE_CADRE;
        Sifang__V1__StaffKind wanted = cadre ? SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE
                                             : SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE;
        Sifang__V1__UnitKind home = cadre ? SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET
                                          : SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY;
        /* The staff's unit is of their kind's level, so it is the zone's
         * street (or community) exactly when the zone's code starts with it. */
        if (staff->kind != wanted || !sf_code_starts_with(unit->code, staff->unit_code))
            return sf_call_refuse(call, SF_FAILED_PRECONDITION, "staff_id",
                                  "must be a %s of the zone's %s %.*s",
                                  cadre ? "street cadre" : "community committee member",
                                  grid_unit_kind_name(home), (int) sf_code_ancestor(unit->code, grid_code_length(home)),
                                  unit->code);
        return SF_OK;
    }
    case KIND_LEADER_CONTACT:
        if (unit->kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET
            && unit->kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY)
            return sf_call_refuse(call, SF_FAILED_PRECONDITION, "unit_code",
                                  "a leader's contact point is a street or a community; %s is a %s",
                                  unit->code, grid_unit_kind_name(unit->kind));
        if (staff->kind != SIFANG__V1__STAFF_KIND__STAFF_KIND_DISTRICT_LEADER)
            return sf_call_refuse(call, SF_FAILED_PRECONDITION, "staff_id", "must be a district leader");
        return SF_OK;
    case KIND_PART_TIME:
        if (unit->kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY)
            return sf_call_refuse(call, SF_FAILED_PRECONDITION, "unit_code",
                                  "a part-time committee seat is in a community; %s is a %s",
                                  unit->code, grid_unit_kind_name(unit->kind));
        if (staff->kind != SIFANG__V1__STAFF_KIND__STAFF_KIND_PART_TIME_COMMITTEE
            || strcmp(staff->unit_code, unit->code) != 0)
            return sf_call_refuse(call, SF_FAILED_PRECONDITION, "staff_id",
                                  "must be a part-time committee member of community %s", unit->code);
        return SF_OK;
    case KIND_UNIT_HEAD:
    case KIND_UNIT_REVIEWER: {
        /* A community station's are its committee members, a street
         * office's its cadres: the unit's own staff answer for it. */
        bool community = unit->kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY;
        if (!community && unit->kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET)
            return sf_call_refuse(call, SF_FAILED_PRECONDITION, "unit_code",
                                  "a %s answers for a community station or a street office; %s is a %s",
                                  kind_name, unit->code, grid_unit_kind_name(unit->kind));
        Sifang__V1__StaffKind wanted = community ? SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE
                                                 : SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE;
        if (staff->kind != wanted || strcmp(staff->unit_code, unit->code) != 0)
            return sf_call_refuse(call, SF_FAILED_PRECONDITION, "staff_id", "must be a %s of %s %s",
                                  community ? "community committee member" : "street cadre",
                                  grid_unit_kind_name(unit->kind), unit->code);
        return SF_OK;
    }
    default:
        return SF_OK;
    }
}

/* Why an assignment met a conflict: a zone that has its cadre (or committee
 * member) already, whoever it is, else the holder already holding it. */
static sf_status_t
refuse_taken(sf_call_t *call, const Sifang__V1__Responsibility *responsibility,
             const Sifang__V1__OrgUnit *unit)
{
    if (one_per_unit(responsibility->kind)) {
        PGresult *result = sf_call_query(call,
            "SELECT staff_serial FROM responsibility WHERE unit_code = $1 AND kind = $2",
            SF_PARAMS(unit->code, responsibility->kind));
        if (!result)
            return sf_call_status(call);
        if (PQntuples(result) > 0)
            return sf_call_refuse(call, SF_ALREADY_EXISTS, "unit_code",
                                  "%s %s already has its %s (%s): remove them first",
                                  grid_unit_kind_name(unit->kind), unit->code,
                                  responsibility_kind_name(responsibility->kind),
                                  grid_staff_id(call, sf_db_int(result, 0, 0)));
    }
    return sf_call_refuse(call, SF_ALREADY_EXISTS, "staff_id", "%s already holds this %s",
                          responsibility->staff_id, responsibility_kind_name(responsibility->kind));
}

sf_status_t
grid_responsibility_assign(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__Responsibility *responsibility = (const Sifang__V1__Responsibility *) request;
    int64_t serial = 0;
    sf_status_t status = check_responsibility(call, responsibility, &serial);
    if (status != SF_OK)
        return status;

    /* The staff and the unit in one round trip (unit columns NULL when it
     * is not there). */
    sf_params_t *params = SF_PARAMS(serial, responsibility->unit_code);
    PGresult *result = sf_call_query(call,
        "SELECT s.kind, s.unit_code, s.name, s.active, " GRID_UNIT_COLUMNS " FROM staff s"
        " LEFT JOIN org_unit u ON u.code = $2 WHERE s.serial = $1 FOR SHARE OF s", params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "staff_id", "no staff %s",
                              responsibility->staff_id);
    staff_brief_t staff = {
        .kind = (Sifang__V1__StaffKind) sf_db_int(result, 0, 0),
        .unit_code = sf_call_strdup(call, sf_db_text(result, 0, 1)),
        .name = sf_call_strdup(call, sf_db_text(result, 0, 2)),
        .active = sf_db_bool(result, 0, 3),
    };
    if (!staff.active)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "staff_id", "staff %s is not active",
                              responsibility->staff_id);
    if (sf_db_is_null(result, 0, 4))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "unit_code", "no unit %s",
                              responsibility->unit_code);
    Sifang__V1__OrgUnit *unit = grid_unit_from_row(call, result, 0, 4);
    status = check_fit(call, responsibility, unit, &staff);
    if (status != SF_OK)
        return status;

    /* The database answers both conflicts: the same holder again (primary
     * key) and a unit's second holder of a kind held by one (a zone's cadre
     * or committee member, a unit's head or reviewer). */
    params = SF_PARAMS(unit->code, responsibility->kind, serial);
    result = sf_call_query(call,
        "INSERT INTO responsibility (unit_code, kind, staff_serial) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING " GRID_MS("since"), params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return refuse_taken(call, responsibility, unit);
    Sifang__V1__Responsibility *assigned = (Sifang__V1__Responsibility *)
        sf_call_new_message(call, &sifang__v1__responsibility__descriptor);
    assigned->staff_id = grid_staff_id(call, serial);
    assigned->unit_code = unit->code;
    assigned->kind = responsibility->kind;
    assigned->staff_name = (char *) staff.name;
    assigned->unit_name = unit->name;
    assigned->since_unix_ms = sf_db_int(result, 0, 0);
    return sf_call_emit_reply(call, reply_p, "responsibility.assigned", assigned->unit_code, &assigned->base);
}

sf_status_t
grid_responsibility_remove(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__Responsibility *responsibility = (const Sifang__V1__Responsibility *) request;
    int64_t serial = 0;
    sf_status_t status = check_responsibility(call, responsibility, &serial);
    if (status != SF_OK)
        return status;
    PGresult *result = sf_call_query(call,
        "WITH r AS (DELETE FROM responsibility WHERE unit_code = $1 AND kind = $2"
        " AND staff_serial = $3 RETURNING *)"
        " SELECT r.staff_serial, r.unit_code, r.kind, s.name, u.name, " GRID_MS("r.since")
        " FROM r JOIN staff s ON s.serial = r.staff_serial JOIN org_unit u ON u.code = r.unit_code",
        SF_PARAMS(responsibility->unit_code, responsibility->kind, serial));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_fail(call, SF_NOT_FOUND, "%s does not hold this %s on %s",
                            responsibility->staff_id,
                            responsibility_kind_name(responsibility->kind),
                            responsibility->unit_code);
    Sifang__V1__Responsibility *removed = grid_responsibility_from_row(call, result, 0);
    return sf_call_emit_reply(call, reply_p, "responsibility.removed", removed->unit_code, &removed->base);
}

/* A page token: "<unit code>.<kind>.<staff serial>" of the last one listed. */
static bool
parse_token(const char *token, char unit_code[GRID_CODE_SIZE], int *kind, int64_t *serial)
{
    char serial_text[24];
    int consumed = 0;
    if (strlen(token) > 60
        || sscanf(token, "%18[0-9].%d.%20[0-9]%n", unit_code, kind, serial_text, &consumed) != 3
        || token[consumed] != 0)
        return false;
    char id[32];
    snprintf(id, sizeof id, "S%s", serial_text);
    return *kind >= KIND_ZONE_CADRE && *kind <= KIND_LAST && sf_serial_id_parse(id, 'S', serial);
}

sf_status_t
grid_responsibility_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ResponsibilityListRequest *list =
        (const Sifang__V1__ResponsibilityListRequest *) request;
    Sifang__V1__ResponsibilityListReply *reply = (Sifang__V1__ResponsibilityListReply *)
        sf_call_new_message(call, &sifang__v1__responsibility_list_reply__descriptor);
    sf_page_t page = sf_page_of(call, list->page);
    int64_t staff_serial = 0;
    if (*list->staff_id && !sf_serial_id_parse(list->staff_id, 'S', &staff_serial))
        sf_call_violation(call, "staff_id", "must be a staff id like S00042");
    if (list->kind && (list->kind < KIND_ZONE_CADRE || list->kind > KIND_LAST))
        sf_call_violation(call, "kind", "is not a responsibility kind");
    char after_unit[GRID_CODE_SIZE] = "";
    int after_kind = 0;
    int64_t after_serial = 0;
    if (*page.token && !parse_token(page.token, after_unit, &after_kind, &after_serial))
        sf_page_bad_token(call);
    const char *prefix;
    bool visible = sf_call_scope_under(call, "unit_code", list->unit_code, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;

    sf_query_t query;
    sf_query_init(&query, call, GRID_RESPONSIBILITY_SELECT);
    sf_query_subtree(&query, "r.unit_code", prefix);
    if (*list->staff_id)
        sf_query_where(&query, "r.staff_serial = $%d", sf_query_int(&query, staff_serial));
    if (list->kind)
        sf_query_where(&query, "r.kind = $%d", sf_query_int(&query, list->kind));
    if (*page.token) {
        int unit = sf_query_text(&query, sf_call_strdup(call, after_unit));
        int kind = sf_query_int(&query, after_kind);
        int serial = sf_query_int(&query, after_serial);
        sf_query_where(&query, "(r.unit_code, r.kind, r.staff_serial) > ($%d, $%d, $%d)",
                         unit, kind, serial);
    }
    sf_query_append(&query, " ORDER BY r.unit_code, r.kind, r.staff_serial LIMIT $%d",
                      sf_query_int(&query, page.size + 1));
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->responsibilities = sf_call_new_array(call, (size_t) rows, sizeof *reply->responsibilities);
    for (int row = 0; row < rows; row++)
        reply->responsibilities[reply->n_responsibilities++] =
            grid_responsibility_from_row(call, result, row);
    if (sf_page_more(&page, result))
        reply->next_page_token = sf_call_printf(call, "%s.%s.%s", sf_db_text(result, rows - 1, 1),
                                                sf_db_text(result, rows - 1, 2),
                                                sf_db_text(result, rows - 1, 0));
    return SF_OK;
}

sf_status_t
grid_responsible_for(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ResponsibleForRequest *ask = (const Sifang__V1__ResponsibleForRequest *) request;
    if (*ask->household_code && *ask->unit_code)
        sf_call_violation(call, "unit_code", "give household_code or unit_code, not both");
    else if (*ask->household_code) {
        if (!grid_household_code_valid(ask->household_code))
            sf_call_violation(call, "household_code", "must be a household code (%d digits)",
                              GRID_HOUSEHOLD_CODE_LENGTH);
    } else if (*ask->unit_code)
        grid_check_code(call, "unit_code", ask->unit_code);
    else
        sf_call_violation(call, "household_code", "give household_code or unit_code");
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    const char *asked = *ask->household_code ? ask->household_code : ask->unit_code;
    const char *what = *ask->household_code ? "household" : "unit";
    if (!sf_call_covers(call, asked))
        return sf_call_fail(call, SF_NOT_FOUND, "%s %s not found", what, asked);
    sf_params_t *params = SF_PARAMS(asked);
    /* The path starts from the household's building group, or the unit. */
    PGresult *result = sf_call_query(call, *ask->household_code
        ? "WITH RECURSIVE path AS ("
          " SELECT u.* FROM org_unit u JOIN household h ON h.building_group_code = u.code"
          " WHERE h.code = $1"
          " UNION ALL SELECT u.* FROM org_unit u JOIN path p ON u.code = p.parent_code)"
          " SELECT " GRID_UNIT_COLUMNS " FROM path u ORDER BY length(u.code)"
        : "WITH RECURSIVE path AS ("
          " SELECT u.* FROM org_unit u WHERE u.code = $1"
          " UNION ALL SELECT u.* FROM org_unit u JOIN path p ON u.code = p.parent_code)"
          " SELECT " GRID_UNIT_COLUMNS " FROM path u ORDER BY length(u.code)", params);
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    if (rows == 0)
        return sf_call_fail(call, SF_NOT_FOUND, "%s %s not found", what, asked);

    Sifang__V1__ResponsibleForReply *reply = (Sifang__V1__ResponsibleForReply *)
        sf_call_new_message(call, &sifang__v1__responsible_for_reply__descriptor);
    reply->path = sf_call_new_array(call, (size_t) rows, sizeof *reply->path);
    /* The path's codes as a text[] literal: codes are digits only. */
    char codes[8 * GRID_CODE_SIZE] = "{";
    for (int row = 0; row < rows; row++) {
        Sifang__V1__OrgUnit *unit = grid_unit_from_row(call, result, row, 0);
        reply->path[reply->n_path++] = unit;
        if (unit->kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE)
            reply->zone_code = unit->code;
        size_t at = strlen(codes);
        snprintf(codes + at, sizeof codes - at, "%s%s", row ? "," : "", unit->code);
    }
    strncat(codes, "}", sizeof codes - strlen(codes) - 1);

    params = SF_PARAMS(codes);
    result = sf_call_query(call, GRID_RESPONSIBILITY_SELECT
        " WHERE r.unit_code = ANY($1::text[]) ORDER BY length(r.unit_code), r.kind, r.staff_serial",
        params);
    if (!result)
        return sf_call_status(call);
    rows = PQntuples(result);
    reply->responsibilities = sf_call_new_array(call, (size_t) rows, sizeof *reply->responsibilities);
    for (int row = 0; row < rows; row++)
        reply->responsibilities[reply->n_responsibilities++] =
            grid_responsibility_from_row(call, result, row);

    result = sf_call_query(call, GRID_PAIRING_SELECT
        " WHERE p.community_code = ANY($1::text[]) ORDER BY p.department_code", params);
    if (!result)
        return sf_call_status(call);
    rows = PQntuples(result);
    reply->pairings = sf_call_new_array(call, (size_t) rows, sizeof *reply->pairings);
    for (int row = 0; row < rows; row++)
        reply->pairings[reply->n_pairings++] = grid_pairing_from_row(call, result, row);
    *reply_p = &reply->base;
    return SF_OK;
}
