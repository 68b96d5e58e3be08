/* Volunteer teams: mediation "和事佬", legal advice, party member service
 * brands such as "365 party member studio" and "有事找党员". Create, update
 * (including disbanding), get with members, list, and membership. The
 * leader is always a member. */
#include "volunteer.h"
#include "sf_row.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Sifang__V1__VolunteerTeam *
volunteer_team_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__VolunteerTeam *team = (Sifang__V1__VolunteerTeam *)
        sf_call_new_message(call, &sifang__v1__volunteer_team__descriptor);
    team->id = volunteer_id(call, VOLUNTEER_ID_TEAM, sf_db_int(result, row, 0));
    sf_row_read(result, row, 1, &team->base, "name type community_code");
    team->leader_id = volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, sf_db_int(result, row, 4));
    team->leader_name = (char *) sf_db_text(result, row, 5);
    team->service_brand = (char *) sf_db_text(result, row, 6);
    team->n_skills = volunteer_split(call, sf_db_text(result, row, 7), &team->skills);
    sf_row_read(result, row, 8, &team->base, "members active created_unix_ms updated_unix_ms version");
    return team;
}

sf_status_t
volunteer_team_load(sf_call_t *call, int64_t serial, bool lock, Sifang__V1__VolunteerTeam **team_p)
{
    *team_p = NULL;
    PGresult *result = sf_call_query(call, lock
        ? "SELECT " TEAM_COLUMNS TEAM_FROM " WHERE t.serial = $1 FOR UPDATE OF t"
        : "SELECT " TEAM_COLUMNS TEAM_FROM " WHERE t.serial = $1", SF_PARAMS(serial));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 1)
        *team_p = volunteer_team_from_row(call, result, 0);
    return SF_OK;
}

static void
check_team_skills(sf_call_t *call, const volunteer_catalog_t *catalog, char **skills, size_t n,
                  sf_pgarray_t *codes)
{
    if (n > VOLUNTEER_SKILLS_MAX) {
        sf_call_violation(call, "skills", "at most %d skills", VOLUNTEER_SKILLS_MAX);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char field[32];
        snprintf(field, sizeof field, "skills[%zu]", i);
        if (!volunteer_check_skill(call, catalog, field, skills[i]))
            continue;
        for (size_t j = 0; j < i; j++)
            if (strcmp(skills[i], skills[j]) == 0) {
                sf_call_violation(call, field, "%s is listed twice", skills[i]);
                break;
            }
        sf_pgarray_add_text(codes, skills[i]);
    }
}

/* Whether a volunteer exists; NOT_FOUND on field when not. */
static sf_status_t
require_volunteer(sf_call_t *call, const char *field, const char *id, int64_t serial)
{
    PGresult *result = sf_call_query(call, "SELECT 1 FROM volunteer WHERE serial = $1", SF_PARAMS(serial));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, field, "no volunteer %s", id);
    return SF_OK;
}

static sf_status_t
require_name_free(sf_call_t *call, const char *community_code, const char *name, int64_t except)
{
    PGresult *result = sf_call_query(call,
        "SELECT serial FROM team WHERE community_code = $1 AND name = $2 AND disbanded_at IS NULL"
        " AND serial <> $3", SF_PARAMS(community_code, name, except));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result))
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "name", "team %s of community %s has that name",
                              volunteer_id(call, VOLUNTEER_ID_TEAM, sf_db_int(result, 0, 0)), community_code);
    return SF_OK;
}

sf_status_t
volunteer_team_create(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__VolunteerTeam *team = (const Sifang__V1__VolunteerTeam *) request;
    volunteer_catalog_t catalog;
    sf_status_t status = volunteer_catalog_load(call, &catalog);
    if (status != SF_OK)
        return status;
    if (*team->id)
        sf_call_violation(call, "id", "is assigned by the service; leave it empty");
    sf_call_check_text(call, "name", team->name, VOLUNTEER_NAME_MAX, true);
    if (team->type < SIFANG__V1__VOLUNTEER_TEAM_TYPE__VOLUNTEER_TEAM_TYPE_MEDIATION
        || team->type > SIFANG__V1__VOLUNTEER_TEAM_TYPE__VOLUNTEER_TEAM_TYPE_OTHER)
        sf_call_violation(call, "type", "must be a team type (MEDIATION ... OTHER)");
    if (!sf_code_of_length(team->community_code, SF_CODE_COMMUNITY_LENGTH))
        sf_call_violation(call, "community_code", "must be a community code (%d digits)",
                          SF_CODE_COMMUNITY_LENGTH);
    int64_t leader = 0;
    volunteer_check_id(call, "leader_id", team->leader_id, VOLUNTEER_ID_VOLUNTEER, &leader);
    sf_call_check_text(call, "service_brand", team->service_brand, VOLUNTEER_NAME_MAX, false);
    sf_pgarray_t skills;
    sf_pgarray_init(&skills);
    check_team_skills(call, &catalog, team->skills, team->n_skills, &skills);
    if (sf_call_has_violations(call))
        goto done;
    if (volunteer_community_ref(call, "community_code", team->community_code, NULL) != SF_OK
        || volunteer_require_writes(call, team->community_code, "the team's community") != SF_OK
        || require_volunteer(call, "leader_id", team->leader_id, leader) != SF_OK
        || require_name_free(call, team->community_code, team->name, 0) != SF_OK)
        goto done;
    PGresult *result = sf_call_query(call,
        "WITH t AS (INSERT INTO team (name, type, community_code, leader_serial, service_brand, skills)"
        " VALUES ($1, $2, $3, $4, $5, $6::text[]) RETURNING serial)"
        " INSERT INTO team_member (team_serial, volunteer_serial) SELECT serial, $4 FROM t RETURNING team_serial",

            SF_PARAMS(team->name, team->type, team->community_code, leader, team->service_brand,
                      sf_pgarray_text(&skills)));
    if (!result)
        goto done;
    Sifang__V1__VolunteerTeam *created;
    if (volunteer_team_load(call, sf_db_int(result, 0, 0), false, &created) != SF_OK)
        goto done;
    sf_call_emit(call, "team.created", created->id, &created->base);
    *reply_p = &created->base;
done:
    sf_pgarray_release(&skills);
    return sf_call_status(call);
}

sf_status_t
volunteer_team_update(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__TeamUpdateRequest *update = (const Sifang__V1__TeamUpdateRequest *) request;
    volunteer_catalog_t catalog;
    sf_status_t status = volunteer_catalog_load(call, &catalog);
    if (status != SF_OK)
        return status;
    int64_t serial = 0, leader = 0;
    volunteer_check_id(call, "id", update->id, VOLUNTEER_ID_TEAM, &serial);
    if (*update->name)
        sf_call_check_text(call, "name", update->name, VOLUNTEER_NAME_MAX, true);
    if (*update->leader_id)
        volunteer_check_id(call, "leader_id", update->leader_id, VOLUNTEER_ID_VOLUNTEER, &leader);
    sf_call_check_text(call, "service_brand", update->service_brand, VOLUNTEER_NAME_MAX, false);
    sf_pgarray_t skills;
    sf_pgarray_init(&skills);
    if (update->set_skills)
        check_team_skills(call, &catalog, update->skills, update->n_skills, &skills);
    else if (update->n_skills)
        sf_call_violation(call, "skills", "set set_skills to replace the skills");
    volunteer_check_expected_version(call, update->expected_version);
    if (sf_call_has_violations(call))
        goto done;
    Sifang__V1__VolunteerTeam *team;
    if (volunteer_team_load(call, serial, true, &team) != SF_OK)
        goto done;
    if (!team) {
        sf_call_refuse(call, SF_NOT_FOUND, "id", "no team %s", update->id);
        goto done;
    }
    if (volunteer_require_writes(call, team->community_code, "the team's community") != SF_OK
        || volunteer_version_matches(call, update->expected_version, team->version, team->id) != SF_OK)
        goto done;
    if (!team->active) {
        sf_call_fail(call, SF_FAILED_PRECONDITION, "team %s is disbanded", team->id);
        goto done;
    }
    if (*update->name && strcmp(update->name, team->name) != 0
        && require_name_free(call, team->community_code, update->name, serial) != SF_OK)
        goto done;
    if (leader) {
        sf_params_t *params = SF_PARAMS(serial, leader);
        PGresult *member = sf_call_query(call,
            "SELECT 1 FROM team_member WHERE team_serial = $1 AND volunteer_serial = $2", params);
        if (!member)
            goto done;
        if (PQntuples(member) != 1) {
            sf_call_refuse(call, SF_FAILED_PRECONDITION, "leader_id", "%s is not a member of team %s",
                           update->leader_id, team->id);
            goto done;
        }
    }
    if (!sf_call_query(call,
            "UPDATE team SET name = $2, leader_serial = CASE WHEN $3 = 0 THEN leader_serial ELSE $3 END,"
            " service_brand = COALESCE($4, service_brand),"
            " skills = CASE WHEN $5 THEN $6::text[] ELSE skills END,"
            " disbanded_at = CASE WHEN $7 THEN now() END,"
            " updated_at = now(), version = version + 1 WHERE serial = $1",
            SF_PARAMS(serial, *update->name ? update->name : team->name, leader,
                      sf_param_text_or_null(update->service_brand), sf_param_bool(update->set_skills),
                      sf_pgarray_text(&skills), sf_param_bool(update->disband))))
        goto done;
    Sifang__V1__VolunteerTeam *updated;
    if (volunteer_team_load(call, serial, false, &updated) != SF_OK)
        goto done;
    sf_call_emit(call, "team.updated", updated->id, &updated->base);
    *reply_p = &updated->base;
done:
    sf_pgarray_release(&skills);
    return sf_call_status(call);
}

sf_status_t
volunteer_team_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__TeamGetRequest *get = (const Sifang__V1__TeamGetRequest *) request;
    int64_t serial = 0;
    if (!volunteer_check_id(call, "id", get->id, VOLUNTEER_ID_TEAM, &serial))
        return sf_call_status(call);
    Sifang__V1__VolunteerTeam *team;
    sf_status_t status = volunteer_team_load(call, serial, false, &team);
    if (status != SF_OK)
        return status;
    if (!team)
        return sf_call_fail(call, SF_NOT_FOUND, "no team %s", get->id);
    if ((status = volunteer_require_covers(call, team->community_code, "the team's community")) != SF_OK)
        return status;
    sf_params_t params;
    sf_params_init(&params);
    volunteer_select_params(call, &params);
    sf_params_int(&params, serial);
    PGresult *members = sf_call_query(call, VOLUNTEER_SELECT " JOIN team_member m ON m.volunteer_serial = v.serial"
                                      " WHERE m.team_serial = $4 ORDER BY v.serial LIMIT 1000", &params);
    if (!members)
        return sf_call_status(call);
    Sifang__V1__TeamView *view = (Sifang__V1__TeamView *) sf_call_new_message(call, &sifang__v1__team_view__descriptor);
    view->team = team;
    size_t rows = (size_t) PQntuples(members);
    view->members = sf_call_new_array(call, rows, sizeof *view->members);
    for (size_t row = 0; row < rows; row++) {
        view->members[row] = volunteer_profile_from_row(call, members, (int) row, 0);
        volunteer_profile_shown(call, view->members[row]);
    }
    view->n_members = rows;
    *reply_p = &view->base;
    return SF_OK;
}

sf_status_t
volunteer_team_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__TeamListRequest *list = (const Sifang__V1__TeamListRequest *) request;
    Sifang__V1__TeamListReply *reply = (Sifang__V1__TeamListReply *)
        sf_call_new_message(call, &sifang__v1__team_list_reply__descriptor);
    const char *prefix = NULL;
    sf_keyset_t page = sf_keyset_of(call, list->page);
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (list->type < 0 || list->type > SIFANG__V1__VOLUNTEER_TEAM_TYPE__VOLUNTEER_TEAM_TYPE_OTHER)
        sf_call_violation(call, "type", "must be a team type");
    if (*list->skill && !volunteer_skill_code_valid(list->skill))
        sf_call_violation(call, "skill", "must be a skill code");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " TEAM_COLUMNS TEAM_FROM);
    sf_query_subtree(&query, "t.community_code", prefix);
    if (list->type)
        sf_query_where(&query, "t.type = $%d", sf_query_int(&query, list->type));
    if (*list->service_brand)
        sf_query_where(&query, "t.service_brand = $%d", sf_query_text(&query, list->service_brand));
    if (*list->skill)
        sf_query_where(&query, "t.skills @> ARRAY[$%d]::text[]", sf_query_text(&query, list->skill));
    volunteer_page_apply(&query, &page, "t.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->teams = sf_call_new_array(call, (size_t) rows, sizeof *reply->teams);
    for (int row = 0; row < rows; row++)
        reply->teams[row] = volunteer_team_from_row(call, result, row);
    reply->n_teams = (size_t) rows;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    *reply_p = &reply->base;
    return SF_OK;
}

/* --- membership ------------------------------------------------------------------- */

static Sifang__V1__TeamMembership *
membership_new(sf_call_t *call, int64_t team, int64_t volunteer, int64_t joined_ms)
{
    Sifang__V1__TeamMembership *membership = (Sifang__V1__TeamMembership *)
        sf_call_new_message(call, &sifang__v1__team_membership__descriptor);
    membership->team_id = volunteer_id(call, VOLUNTEER_ID_TEAM, team);
    membership->volunteer_id = volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, volunteer);
    membership->joined_unix_ms = joined_ms;
    return membership;
}

/* A membership's team (its community, whether active) and volunteer, and
 * whether the volunteer is already a member; refusals on the call. A leader
 * cannot be removed. */
static sf_status_t
check_membership(sf_call_t *call, const Sifang__V1__TeamMembership *membership, bool removing,
                 int64_t *team, int64_t *volunteer, bool *member)
{
    volunteer_check_id(call, "team_id", membership->team_id, VOLUNTEER_ID_TEAM, team);
    volunteer_check_id(call, "volunteer_id", membership->volunteer_id, VOLUNTEER_ID_VOLUNTEER, volunteer);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *result = sf_call_query(call,
        "SELECT t.community_code, t.disbanded_at IS NULL, t.leader_serial,"
        " EXISTS (SELECT 1 FROM volunteer WHERE serial = $2),"
        " EXISTS (SELECT 1 FROM team_member WHERE team_serial = $1 AND volunteer_serial = $2)"
        " FROM team t WHERE t.serial = $1 FOR UPDATE", SF_PARAMS(*team, *volunteer));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, "team_id", "no team %s", membership->team_id);
    sf_status_t status = volunteer_require_writes(call, sf_db_text(result, 0, 0), "the team's community");
    if (status != SF_OK)
        return status;
    if (!sf_db_bool(result, 0, 3))
        return sf_call_refuse(call, SF_NOT_FOUND, "volunteer_id", "no volunteer %s", membership->volunteer_id);
    if (!sf_db_bool(result, 0, 1))
        return sf_call_fail(call, SF_FAILED_PRECONDITION, "team %s is disbanded", membership->team_id);
    *member = sf_db_bool(result, 0, 4);
    if (removing && sf_db_int(result, 0, 2) == *volunteer)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "volunteer_id",
                              "%s leads team %s: give the team another leader first",
                              membership->volunteer_id, membership->team_id);
    return SF_OK;
}

static sf_status_t
membership_touch(sf_call_t *call, int64_t team)
{
    return sf_call_query(call, "UPDATE team SET updated_at = now(), version = version + 1 WHERE serial = $1",
                         SF_PARAMS(team)) ? SF_OK : sf_call_status(call);
}

sf_status_t
volunteer_team_member_add(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__TeamMembership *membership = (const Sifang__V1__TeamMembership *) request;
    int64_t team = 0, volunteer = 0;
    bool member = false;
    sf_status_t status = check_membership(call, membership, false, &team, &volunteer, &member);
    if (status != SF_OK)
        return status;
    if (member)
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "volunteer_id", "%s is already a member of team %s",
                              membership->volunteer_id, membership->team_id);
    PGresult *result = sf_call_query(call,
        "INSERT INTO team_member (team_serial, volunteer_serial) VALUES ($1, $2)"
        " RETURNING " VOLUNTEER_MS("joined_at"), SF_PARAMS(team, volunteer));
    if (!result || membership_touch(call, team) != SF_OK)
        return sf_call_status(call);
    Sifang__V1__TeamMembership *added = membership_new(call, team, volunteer, sf_db_int(result, 0, 0));
    return sf_call_emit_reply(call, reply_p, "team.member_added", added->team_id, &added->base);
}

/* The fast path: teams, volunteers and memberships looked up together, the
 * new memberships written by one INSERT. A pair twice in the run, or
 * anything refused, goes the careful way. */
sf_status_t
volunteer_team_member_add_batch(sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies,
                                size_t n)
{
    int64_t *teams = calloc(n, sizeof *teams), *volunteers = calloc(n, sizeof *volunteers);
    if (!teams || !volunteers) {
        free(teams);
        free(volunteers);
        return SF_INTERNAL;
    }
    sf_pgarray_t team_array, volunteer_array;
    sf_pgarray_init(&team_array);
    sf_pgarray_init(&volunteer_array);
    sf_status_t status = SF_OK;
    for (size_t i = 0; i < n; i++) {
        const Sifang__V1__TeamMembership *membership = (const Sifang__V1__TeamMembership *) requests[i];
        volunteer_check_id(calls[i], "team_id", membership->team_id, VOLUNTEER_ID_TEAM, &teams[i]);
        volunteer_check_id(calls[i], "volunteer_id", membership->volunteer_id, VOLUNTEER_ID_VOLUNTEER,
                           &volunteers[i]);
        for (size_t j = 0; j < i; j++)
            if (teams[j] == teams[i] && volunteers[j] == volunteers[i])
                status = SF_ABORTED;
        sf_pgarray_add_int(&team_array, teams[i]);
        sf_pgarray_add_int(&volunteer_array, volunteers[i]);
    }
    PGresult *found = NULL;
    if (status == SF_OK) {
        sf_params_t *params = SF_PARAMS(sf_pgarray_text(&team_array), sf_pgarray_text(&volunteer_array));
        found = sf_call_query(calls[0],
            "SELECT COALESCE(t.community_code, ''), t.disbanded_at IS NULL, v.serial IS NOT NULL, m.team_serial IS NOT NULL"
            " FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS k(t, v, o)"
            " LEFT JOIN team t ON t.serial = k.t LEFT JOIN volunteer v ON v.serial = k.v"
            " LEFT JOIN team_member m ON m.team_serial = k.t AND m.volunteer_serial = k.v ORDER BY k.o", params);
        if (!found)
            status = sf_call_status(calls[0]);
    }
    sf_pgarray_t write_teams, write_volunteers;
    sf_pgarray_init(&write_teams);
    sf_pgarray_init(&write_volunteers);
    size_t writes = 0;
    for (size_t i = 0; status == SF_OK && i < n; i++) {
        if (sf_call_has_violations(calls[i]))
            continue;
        int row = (int) i;
        /* Anything to refuse is explained by the careful path. */
        if (!*sf_db_text(found, row, 0) || !sf_db_bool(found, row, 1) || !sf_db_bool(found, row, 2)
            || sf_db_bool(found, row, 3) || !sf_call_covers(calls[i], sf_db_text(found, row, 0))) {
            status = SF_ABORTED;
            break;
        }
        sf_pgarray_add_int(&write_teams, teams[i]);
        sf_pgarray_add_int(&write_volunteers, volunteers[i]);
        writes++;
    }
    if (status == SF_OK && writes) {
        PGresult *inserted = sf_call_query(calls[0],
            "WITH added AS (INSERT INTO team_member (team_serial, volunteer_serial)"
            " SELECT t, v FROM unnest($1::bigint[], $2::bigint[]) AS k(t, v)"
            " RETURNING team_serial, volunteer_serial, " VOLUNTEER_MS("joined_at") " AS joined),"
            " touched AS (UPDATE team SET updated_at = now(), version = version + 1"
            "   WHERE serial IN (SELECT team_serial FROM added))"
            " SELECT * FROM added", SF_PARAMS(sf_pgarray_text(&write_teams), sf_pgarray_text(&write_volunteers)));
        if (!inserted)
            status = sf_call_status(calls[0]);
        int64_t joined = inserted && PQntuples(inserted) ? sf_db_int(inserted, 0, 2) : 0;
        for (size_t i = 0; inserted && i < n; i++) {
            if (sf_call_status(calls[i]) != SF_OK)
                continue;
            Sifang__V1__TeamMembership *added = membership_new(calls[i], teams[i], volunteers[i], joined);
            sf_call_emit(calls[i], "team.member_added", added->team_id, &added->base);
            replies[i] = &added->base;
        }
    }
    sf_pgarray_release(&write_teams);
    sf_pgarray_release(&write_volunteers);
    sf_pgarray_release(&team_array);
    sf_pgarray_release(&volunteer_array);
    free(teams);
    free(volunteers);
    return status;
}

sf_status_t
volunteer_team_member_remove(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__TeamMembership *membership = (const Sifang__V1__TeamMembership *) request;
    int64_t team = 0, volunteer = 0;
    bool member = false;
    sf_status_t status = check_membership(call, membership, true, &team, &volunteer, &member);
    if (status != SF_OK)
        return status;
    if (!member)
        return sf_call_refuse(call, SF_NOT_FOUND, "volunteer_id", "%s is not a member of team %s",
                              membership->volunteer_id, membership->team_id);
    PGresult *result = sf_call_query(call,
        "DELETE FROM team_member WHERE team_serial = $1 AND volunteer_serial = $2"
        " RETURNING " VOLUNTEER_MS("joined_at"), SF_PARAMS(team, volunteer));
    if (!result || membership_touch(call, team) != SF_OK)
        return sf_call_status(call);
    Sifang__V1__TeamMembership *removed = membership_new(call, team, volunteer, sf_db_int(result, 0, 0));
    return sf_call_emit_reply(call, reply_p, "team.member_removed", removed->team_id, &removed->base);
}
