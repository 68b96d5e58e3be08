/* Dispatch: for a zone, a skill and a time, the volunteers and teams who can
 * go, ranked by distance (zone coordinates from grid), skill level and
 * current load; and the life of one dispatch: offered, accepted or declined
 * (and offered to the next candidate), completed (its hours become a
 * pending service record) or cancelled. Intake's convenience items call it
 * on behalf of their cases (case_ref). */
#include "volunteer.h"
#include "sf_row.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DISPATCH_DURATION_DEFAULT 60
#define DISPATCH_LIMIT_DEFAULT 10
#define DISPATCH_LIMIT_MAX 100
/* How far from now a dispatch may be set: a little in the past (recorded
 * after the fact), up to a season ahead. */
#define DISPATCH_PAST_MS (24LL * 3600 * 1000)
#define DISPATCH_AHEAD_MS (90LL * 24 * 3600 * 1000)

#define STATUS_OFFERED SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_OFFERED
#define STATUS_ACCEPTED SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_ACCEPTED
#define STATUS_DECLINED SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_DECLINED
#define STATUS_COMPLETED SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_COMPLETED
#define STATUS_CANCELLED SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_CANCELLED
#define KIND_VOLUNTEER SIFANG__V1__DISPATCH_ASSIGNEE_KIND__DISPATCH_ASSIGNEE_KIND_VOLUNTEER

#define DISPATCH_COLUMNS \
    "d.serial, d.status, d.zone_code, d.skill, " VOLUNTEER_MS("d.at") ", d.duration_minutes, d.case_ref," \
    " d.household_code, d.description, d.assignee_kind, d.volunteer_serial, d.team_serial," \
    " CASE WHEN d.assignee_kind = 1 THEN COALESCE(r.name, '') ELSE COALESCE(t.name, '') END," \
    " d.distance_km, d.attempt, array_to_string(d.declined_by, ','), d.requested_by, d.note," \
    " d.service_record_serial, " VOLUNTEER_MS("d.created_at") ", " VOLUNTEER_MS("d.updated_at") ", d.version," \
    " COALESCE(t.leader_serial, 0), COALESCE(v.community_code, t.community_code, '')"
#define DISPATCH_FROM \
    " FROM dispatch d LEFT JOIN volunteer v ON v.serial = d.volunteer_serial" \
    " LEFT JOIN ref_resident r ON r.id = v.resident_id LEFT JOIN team t ON t.serial = d.team_serial"

/* A dispatch as loaded, with what the handlers need besides the message. */
typedef struct {
    Sifang__V1__VolunteerDispatch *message;
    int64_t serial;
    int64_t volunteer_serial;
    int64_t team_serial;
    int64_t leader_serial;       /* the team's leader, for a team dispatch */
    const char *community_code;  /* the assignee's */
} dispatch_t;

static void
dispatch_from_row(sf_call_t *call, const PGresult *result, int row, dispatch_t *dispatch)
{
    Sifang__V1__VolunteerDispatch *d = (Sifang__V1__VolunteerDispatch *)
        sf_call_new_message(call, &sifang__v1__volunteer_dispatch__descriptor);
    dispatch->serial = sf_db_int(result, row, 0);
    d->id = volunteer_id(call, VOLUNTEER_ID_DISPATCH, dispatch->serial);
    sf_row_read(result, row, 1, &d->base,
                "status zone_code skill at_unix_ms duration_minutes case_ref household_code description assignee_kind");
    dispatch->volunteer_serial = sf_db_int(result, row, 10);
    dispatch->team_serial = sf_db_int(result, row, 11);
    if (dispatch->volunteer_serial)
        d->volunteer_id = volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, dispatch->volunteer_serial);
    if (dispatch->team_serial)
        d->team_id = volunteer_id(call, VOLUNTEER_ID_TEAM, dispatch->team_serial);
    sf_row_read(result, row, 12, &d->base, "assignee_name distance_km attempt");
    d->n_declined_by = volunteer_split(call, sf_db_text(result, row, 15), &d->declined_by);
    d->requested_by = (char *) sf_db_text(result, row, 16);
    d->note = (char *) sf_db_text(result, row, 17);
    if (!sf_db_is_null(result, row, 18))
        d->service_record_id = volunteer_id(call, VOLUNTEER_ID_RECORD, sf_db_int(result, row, 18));
    sf_row_read(result, row, 19, &d->base, "created_unix_ms updated_unix_ms version");
    dispatch->leader_serial = sf_db_int(result, row, 22);
    dispatch->community_code = sf_db_text(result, row, 23);
    dispatch->message = d;
}

static sf_status_t
dispatch_load(sf_call_t *call, int64_t serial, bool lock, dispatch_t *dispatch)
{
    memset(dispatch, 0, sizeof *dispatch);
    PGresult *result = sf_call_query(call, lock
        ? "SELECT " DISPATCH_COLUMNS DISPATCH_FROM " WHERE d.serial = $1 FOR UPDATE OF d"
        : "SELECT " DISPATCH_COLUMNS DISPATCH_FROM " WHERE d.serial = $1", SF_PARAMS(serial));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 1)
        dispatch_from_row(call, result, 0, dispatch);
    return SF_OK;
}

/* --- the search ------------------------------------------------------------------ */

/* Where, what and when; who is excluded or the only one asked. */
typedef struct {
    const char *zone_code;
    double lat, lon;
    const char *skill;
    int requires;                /* CredentialKind the skill needs */
    int64_t at_ms;
    int duration;
    int pool;
    int limit;
    int64_t only_volunteer;      /* 0 = any */
    int64_t only_team;
    sf_pgarray_t excluded_volunteers;
    sf_pgarray_t excluded_teams;
    int64_t except_dispatch;     /* the dispatch being offered again */
} search_t;

/* Columns: kind, serial, name, community, zone, km, level, load, score.
 * Distances by grid's zone coordinates; "free then" is one containment
 * test on the weekly windows in minutes of the week (availability_week), in
 * the district's local time, as are the credential days; a volunteer's load
 * and overlapping dispatches come from one look at its open dispatches.
 * Names only for the rows returned. */
static const char search_sql[] =
    "WITH l AS MATERIALIZED (SELECT to_timestamp($1::bigint / 1000.0) AS at, $2::int AS dur, $3::text AS skill,"
    "   $4::float8 AS lat, $5::float8 AS lon, $7::float8 AS radius, $8::int AS max_load, $9::int AS requires,"
    "   $10::int AS pool, $11::bigint[] AS no_v, $12::bigint[] AS no_t, $13::bigint AS except_d,"
    "   $14::bigint AS only_v, $15::bigint AS only_t, to_timestamp($1::bigint / 1000.0) AT TIME ZONE $6 AS local),"
    " w AS MATERIALIZED (SELECT l.*, l.local::date AS day, int4range(m.minute, least(m.minute + l.dur, 10080)) AS slot"
    "   FROM l CROSS JOIN LATERAL (SELECT (extract(isodow FROM l.local)::int - 1) * 1440"
    "     + extract(hour FROM l.local)::int * 60 + extract(minute FROM l.local)::int AS minute) m),"
    " vol AS (SELECT 1 AS kind, v.serial, v.resident_id AS who, v.community_code, v.zone_code,"
    "   distance_km(w.lat, w.lon, u.lat, u.lon) AS km,"
    "   COALESCE(v.skill_levels[array_position(v.skills, w.skill)], 3)::int AS level, ld.load"
    "  FROM w CROSS JOIN volunteer v JOIN ref_unit u ON u.code = v.zone_code"
    "  CROSS JOIN LATERAL (SELECT count(*)::int AS load, count(*) FILTER (WHERE d.at < w.at"
    "     + make_interval(mins => w.dur) AND w.at < d.at + make_interval(mins => d.duration_minutes))::int AS busy"
    "     FROM dispatch d WHERE d.volunteer_serial = v.serial AND d.status IN (1, 2) AND d.serial <> w.except_d) ld"
    "  WHERE w.pool IN (0, 1) AND w.only_t = 0 AND (w.only_v = 0 OR v.serial = w.only_v)"
    "   AND v.skills @> ARRAY[w.skill] AND v.manual_status = 1 AND NOT v.serial = ANY(w.no_v) AND v.week @> w.slot"
    "   AND u.lat BETWEEN w.lat - w.radius / 110.0 AND w.lat + w.radius / 110.0 AND ld.busy = 0"
    "   AND (w.requires = 0 OR EXISTS (SELECT 1 FROM credential c WHERE c.volunteer_serial = v.serial"
    "     AND c.skill = w.skill AND c.kind = w.requires AND c.issued_on <= w.day"
    "     AND (c.expires_on IS NULL OR c.expires_on >= w.day)))),"
    " crew AS (SELECT 2 AS kind, t.serial, t.name AS who, t.community_code, ''::text AS zone_code,"
    "   distance_km(w.lat, w.lon, tc.lat, tc.lon) AS km, 3 AS level,"
    "   (SELECT count(*) FROM dispatch d WHERE d.team_serial = t.serial AND d.status IN (1, 2)"
    "     AND d.serial <> w.except_d)::int AS load"
    "  FROM w CROSS JOIN team t CROSS JOIN LATERAL (SELECT COALESCE(cu.lat, avg(z.lat)) AS lat,"
    "     COALESCE(cu.lon, avg(z.lon)) AS lon FROM ref_unit cu LEFT JOIN ref_unit z"
    "     ON z.parent_code = cu.code AND z.kind = 4 WHERE cu.code = t.community_code GROUP BY cu.lat, cu.lon) tc"
    "  WHERE w.pool IN (0, 2) AND w.only_v = 0 AND (w.only_t = 0 OR t.serial = w.only_t)"
    "   AND t.disbanded_at IS NULL AND t.skills @> ARRAY[w.skill] AND NOT t.serial = ANY(w.no_t)"
    "   AND (w.requires = 0 OR EXISTS (SELECT 1 FROM team_member m JOIN credential c"
    "     ON c.volunteer_serial = m.volunteer_serial WHERE m.team_serial = t.serial AND c.skill = w.skill"
    "     AND c.kind = w.requires AND c.issued_on <= w.day"
    "     AND (c.expires_on IS NULL OR c.expires_on >= w.day)))),"
    " ranked AS (SELECT *, km + 0.5 * load + 0.25 * (5 - level) AS score"
    "   FROM (SELECT * FROM vol UNION ALL SELECT * FROM crew) c"
    "   WHERE km <= $7::float8 AND load < $8::int ORDER BY score, kind, serial LIMIT $16)"
    " SELECT k.kind, k.serial, CASE WHEN k.kind = 1 THEN COALESCE(r.name, '') ELSE k.who END, k.community_code,"
    "   k.zone_code, k.km, k.level, k.load, k.score"
    " FROM ranked k LEFT JOIN ref_resident r ON k.kind = 1 AND r.id = k.who ORDER BY k.score, k.kind, k.serial";

static PGresult *
search_run(sf_call_t *call, search_t *search)
{
    const volunteer_config_t *config = volunteer_config(call);
    return sf_call_query(call, search_sql,
        SF_PARAMS(search->at_ms, search->duration, search->skill, sf_param_double(search->lat),
                  sf_param_double(search->lon), config->timezone, sf_param_double(config->dispatch_radius_km),
                  config->dispatch_max_load, search->requires, search->pool,
                  sf_pgarray_text(&search->excluded_volunteers), sf_pgarray_text(&search->excluded_teams),
                  search->except_dispatch, search->only_volunteer, search->only_team, search->limit));
}

static Sifang__V1__DispatchCandidate *
candidate_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__DispatchCandidate *candidate = (Sifang__V1__DispatchCandidate *)
        sf_call_new_message(call, &sifang__v1__dispatch_candidate__descriptor);
    candidate->kind = (Sifang__V1__DispatchAssigneeKind) sf_db_int(result, row, 0);
    if (candidate->kind == KIND_VOLUNTEER)
        candidate->volunteer_id = volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, sf_db_int(result, row, 1));
    else
        candidate->team_id = volunteer_id(call, VOLUNTEER_ID_TEAM, sf_db_int(result, row, 1));
    candidate->community_code = (char *) sf_db_text(result, row, 3);
    candidate->name = candidate->kind == KIND_VOLUNTEER
        ? volunteer_name_shown(call, sf_db_text(result, row, 2), candidate->community_code)
        : (char *) sf_db_text(result, row, 2);
    sf_row_read(result, row, 4, &candidate->base, "zone_code distance_km skill_level load score");
    candidate->rank = row + 1;
    return candidate;
}

/* The request fields every search shares, checked and resolved (the
 * household's zone, the zone's location, the skill's requirement). */
static sf_status_t
search_prepare(sf_call_t *call, const char *zone_code, const char *household_code, const char *skill,
               int64_t at_ms, int duration, int pool, search_t *search)
{
    memset(search, 0, sizeof *search);
    sf_pgarray_init(&search->excluded_volunteers);
    sf_pgarray_init(&search->excluded_teams);
    volunteer_catalog_t catalog;
    sf_status_t status = volunteer_catalog_load(call, &catalog);
    if (status != SF_OK)
        return status;
    if (!*zone_code && !*household_code)
        sf_call_violation(call, "zone_code", "give the zone, or the household whose zone it is");
    if (*zone_code && !sf_code_of_length(zone_code, SF_CODE_ZONE_LENGTH))
        sf_call_violation(call, "zone_code", "must be a zone code (%d digits)", SF_CODE_ZONE_LENGTH);
    if (*household_code && !sf_code_of_length(household_code, SF_CODE_HOUSEHOLD_LENGTH))
        sf_call_violation(call, "household_code", "must be a household code (%d digits)",
                          SF_CODE_HOUSEHOLD_LENGTH);
    if (*zone_code && *household_code && !sf_code_starts_with(household_code, zone_code))
        sf_call_violation(call, "household_code", "lies outside zone %s", zone_code);
    if (volunteer_check_skill(call, &catalog, "skill", skill))
        search->requires = catalog.requires[volunteer_catalog_find(&catalog, skill)];
    int64_t now = sf_now_ms();
    if (at_ms && (at_ms < now - DISPATCH_PAST_MS || at_ms > now + DISPATCH_AHEAD_MS))
        sf_call_violation(call, "at_unix_ms", "must lie between a day ago and 90 days ahead (0 = now)");
    if (duration < 0 || duration > 1440)
        sf_call_violation(call, "duration_minutes", "must be between 1 and 1440 (0 = %d)", DISPATCH_DURATION_DEFAULT);
    if (pool < 0 || pool > SIFANG__V1__DISPATCH_POOL__DISPATCH_POOL_TEAMS)
        sf_call_violation(call, "pool", "must be ANY, VOLUNTEERS or TEAMS");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    search->skill = skill;
    search->at_ms = at_ms ? at_ms : now;
    search->duration = duration ? duration : DISPATCH_DURATION_DEFAULT;
    search->pool = pool;
    search->limit = DISPATCH_LIMIT_DEFAULT;
    search->zone_code = zone_code;
    if (*household_code) {
        volunteer_household_ref_t household;
        if ((status = volunteer_household_ref(call, "household_code", household_code, &household)) != SF_OK)
            return status;
        if (!*zone_code)
            search->zone_code = household.zone_code;
    }
    if ((status = volunteer_zone_ref(call, *zone_code ? "zone_code" : "household_code", search->zone_code,
                                     &search->lat, &search->lon)) != SF_OK)
        return status;
    return volunteer_require_covers(call, search->zone_code, "the zone");
}

static void
search_release(search_t *search)
{
    sf_pgarray_release(&search->excluded_volunteers);
    sf_pgarray_release(&search->excluded_teams);
}

sf_status_t
volunteer_dispatch_candidates(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DispatchCandidatesRequest *ask = (const Sifang__V1__DispatchCandidatesRequest *) request;
    if (ask->limit < 0 || ask->limit > DISPATCH_LIMIT_MAX)
        sf_call_violation(call, "limit", "must be between 1 and %d (0 = %d)", DISPATCH_LIMIT_MAX,
                          DISPATCH_LIMIT_DEFAULT);
    search_t search;
    sf_status_t status = search_prepare(call, ask->zone_code, ask->household_code, ask->skill, ask->at_unix_ms,
                                        ask->duration_minutes, ask->pool, &search);
    if (status != SF_OK || sf_call_has_violations(call))
        goto done;
    if (ask->limit)
        search.limit = ask->limit;
    PGresult *result = search_run(call, &search);
    if (!result)
        goto done;
    Sifang__V1__DispatchCandidatesReply *reply = (Sifang__V1__DispatchCandidatesReply *)
        sf_call_new_message(call, &sifang__v1__dispatch_candidates_reply__descriptor);
    size_t rows = (size_t) PQntuples(result);
    reply->candidates = sf_call_new_array(call, rows, sizeof *reply->candidates);
    for (size_t row = 0; row < rows; row++)
        reply->candidates[row] = candidate_from_row(call, result, (int) row);
    reply->n_candidates = rows;
    reply->zone_code = sf_call_strdup(call, search.zone_code);
    *reply_p = &reply->base;
done:
    search_release(&search);
    return sf_call_status(call);
}

/* "no volunteer or team can take ..." with what was asked, for the caller
 * (intake passes it on to its case worker). */
static sf_status_t
refuse_no_candidate(sf_call_t *call, const search_t *search, const char *named)
{
    const volunteer_config_t *config = volunteer_config(call);
    if (named)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, *named == 'V' ? "volunteer_id" : "team_id",
                              "%s cannot take skill %s in zone %s then (the skill%s, availability, distance"
                              " up to %g km, load below %d, no overlapping dispatch, not suspended)",
                              named, search->skill, search->zone_code,
                              search->requires ? " with an unexpired credential" : "",
                              config->dispatch_radius_km, config->dispatch_max_load);
    return sf_call_fail(call, SF_FAILED_PRECONDITION,
                        "no candidate: no volunteer or team with skill %s%s within %g km of zone %s is"
                        " available then with load below %d; nothing was dispatched",
                        search->skill, search->requires ? " (and an unexpired credential)" : "",
                        config->dispatch_radius_km, search->zone_code, config->dispatch_max_load);
}

sf_status_t
volunteer_dispatch_offer(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DispatchOfferRequest *offer = (const Sifang__V1__DispatchOfferRequest *) request;
    sf_call_check_text(call, "case_ref", offer->case_ref, VOLUNTEER_CASE_REF_MAX, false);
    sf_call_check_note(call, "description", offer->description, VOLUNTEER_NOTE_MAX, false);
    int64_t volunteer = 0, team = 0;
    if (*offer->volunteer_id && *offer->team_id)
        sf_call_violation(call, "team_id", "name a volunteer or a team, not both");
    if (*offer->volunteer_id)
        volunteer_check_id(call, "volunteer_id", offer->volunteer_id, VOLUNTEER_ID_VOLUNTEER, &volunteer);
    if (*offer->team_id)
        volunteer_check_id(call, "team_id", offer->team_id, VOLUNTEER_ID_TEAM, &team);
    search_t search;
    sf_status_t status = search_prepare(call, offer->zone_code, offer->household_code, offer->skill,
                                        offer->at_unix_ms, offer->duration_minutes, offer->pool, &search);
    if (status != SF_OK || sf_call_has_violations(call))
        goto done;
    if (volunteer || team) {
        sf_params_t params;
        sf_params_init(&params);
        sf_params_int(&params, volunteer ? volunteer : team);
        PGresult *exists = sf_call_query(call, volunteer ? "SELECT 1 FROM volunteer WHERE serial = $1"
                                                         : "SELECT 1 FROM team WHERE serial = $1", &params);
        if (!exists)
            goto done;
        if (PQntuples(exists) != 1) {
            sf_call_refuse(call, SF_NOT_FOUND, volunteer ? "volunteer_id" : "team_id", "no %s %s",
                           volunteer ? "volunteer" : "team", volunteer ? offer->volunteer_id : offer->team_id);
            goto done;
        }
    }
    search.only_volunteer = volunteer;
    search.only_team = team;
    search.limit = 1;
    PGresult *found = search_run(call, &search);
    if (!found)
        goto done;
    if (PQntuples(found) == 0) {
        refuse_no_candidate(call, &search, volunteer ? offer->volunteer_id : team ? offer->team_id : NULL);
        goto done;
    }
    int kind = (int) sf_db_int(found, 0, 0);  /* DispatchAssigneeKind */
    sf_params_t *params = SF_PARAMS(search.zone_code, search.skill, search.at_ms, search.duration, offer->case_ref,
                                    offer->household_code, offer->description, kind);
    if (kind == KIND_VOLUNTEER) {
        sf_params_int(params, sf_db_int(found, 0, 1));
        sf_params_null(params);
    } else {
        sf_params_null(params);
        sf_params_int(params, sf_db_int(found, 0, 1));
    }
    SF_PARAMS_ADD(params, sf_param_double(sf_db_double(found, 0, 5)), sf_call_principal(call)->id);
    PGresult *inserted = sf_call_query(call,
        "INSERT INTO dispatch (status, zone_code, skill, at, duration_minutes, case_ref, household_code,"
        " description, assignee_kind, volunteer_serial, team_serial, distance_km, requested_by)"
        " VALUES (1, $1, $2, to_timestamp($3::bigint / 1000.0), $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " RETURNING serial", params);
    if (!inserted)
        goto done;
    dispatch_t dispatch;
    if (dispatch_load(call, sf_db_int(inserted, 0, 0), false, &dispatch) != SF_OK)
        goto done;
    sf_call_emit(call, "dispatch.offered", dispatch.message->id, &dispatch.message->base);
    *reply_p = &dispatch.message->base;
done:
    search_release(&search);
    return sf_call_status(call);
}

/* --- answering ------------------------------------------------------------------- */

/* Loads and locks the dispatch named by id and checks the caller may act on
 * it: a dispatching principal (admin ... community, service) covering the
 * zone, or, when assignee is true, the assignee itself (the volunteer, or a
 * team's leader, as the principal id). */
static sf_status_t
dispatch_for_answer(sf_call_t *call, const char *id, int64_t expected_version, bool assignee,
                    dispatch_t *dispatch)
{
    int64_t serial = 0;
    volunteer_check_id(call, "id", id, VOLUNTEER_ID_DISPATCH, &serial);
    volunteer_check_expected_version(call, expected_version);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_status_t status = dispatch_load(call, serial, true, dispatch);
    if (status != SF_OK)
        return status;
    if (!dispatch->message)
        return sf_call_refuse(call, SF_NOT_FOUND, "id", "no dispatch %s", id);
    const char *who = sf_call_principal(call)->id;
    bool is_assignee = assignee
        && ((dispatch->volunteer_serial && strcmp(who, dispatch->message->volunteer_id) == 0)
            || (dispatch->leader_serial
                && strcmp(who, volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, dispatch->leader_serial)) == 0));
    bool dispatcher = sf_call_has_role(call, VOLUNTEER_ROLES_DISPATCH)
                   && sf_principal_reaches(sf_call_principal(call), SF_SCOPE_WRITE, VOLUNTEER_ROLES_DUTY,
                                           dispatch->message->zone_code);
    if (!is_assignee && !dispatcher)
        return sf_call_fail(call, SF_PERMISSION_DENIED, "dispatch %s is for its assignee or a dispatching"
                            " principal covering zone %s", id, dispatch->message->zone_code);
    return volunteer_version_matches(call, expected_version, dispatch->message->version, id);
}

static const char *
status_name(int status)
{
    static const char *const names[] = { "unspecified", "offered", "accepted", "declined", "completed", "cancelled" };
    return status >= 0 && status <= 5 ? names[status] : "unknown";
}

static sf_status_t
refuse_status(sf_call_t *call, const dispatch_t *dispatch, const char *wanted)
{
    return sf_call_fail(call, SF_FAILED_PRECONDITION, "dispatch %s is %s; only %s ones can be %s",
                        dispatch->message->id, status_name(dispatch->message->status), wanted,
                        sf_call_method(call) + strlen("Dispatch"));
}

/* Sets the status and note (NULL = unchanged), reloads, emits type. */
static sf_status_t
dispatch_set(sf_call_t *call, dispatch_t *dispatch, int status, const char *note, int64_t record_serial,
             const char *type, ProtobufCMessage **reply_p)
{
    sf_params_t *params = SF_PARAMS(dispatch->serial, status, note);
    if (record_serial)
        sf_params_int(params, record_serial);
    else
        sf_params_null(params);
    if (!sf_call_query(call,
            "UPDATE dispatch SET status = $2, note = COALESCE($3, note),"
            " service_record_serial = COALESCE($4, service_record_serial),"
            " updated_at = now(), version = version + 1 WHERE serial = $1", params))
        return sf_call_status(call);
    sf_status_t result = dispatch_load(call, dispatch->serial, false, dispatch);
    if (result != SF_OK)
        return result;
    sf_call_emit(call, type, dispatch->message->id, &dispatch->message->base);
    if (reply_p)
        *reply_p = &dispatch->message->base;
    return SF_OK;
}

sf_status_t
volunteer_dispatch_accept(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DispatchAcceptRequest *accept = (const Sifang__V1__DispatchAcceptRequest *) request;
    dispatch_t dispatch;
    sf_status_t status = dispatch_for_answer(call, accept->id, accept->expected_version, true, &dispatch);
    if (status != SF_OK)
        return status;
    if (dispatch.message->status != STATUS_OFFERED)
        return refuse_status(call, &dispatch, "offered");
    return dispatch_set(call, &dispatch, STATUS_ACCEPTED, NULL, 0, "dispatch.accepted", reply_p);
}

/* One decline, one event ("dispatch.declined") whose payload is the
 * dispatch after it: offered to the next candidate when reoffer found one
 * (attempt + 1, declined_by naming everyone who declined), else DECLINED. */
sf_status_t
volunteer_dispatch_decline(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DispatchDeclineRequest *decline = (const Sifang__V1__DispatchDeclineRequest *) request;
    sf_call_check_text(call, "reason", decline->reason, VOLUNTEER_HELP_MAX, false);
    dispatch_t dispatch;
    sf_status_t status = dispatch_for_answer(call, decline->id, decline->expected_version, true, &dispatch);
    if (status != SF_OK)
        return status;
    if (dispatch.message->status != STATUS_OFFERED && dispatch.message->status != STATUS_ACCEPTED)
        return refuse_status(call, &dispatch, "offered or accepted");
    const Sifang__V1__VolunteerDispatch *d = dispatch.message;
    const char *decliner = dispatch.volunteer_serial ? d->volunteer_id : d->team_id;

    /* The next candidate, leaving out everyone who declined it. */
    PGresult *found = NULL;
    if (decline->reoffer) {
        search_t search;
        memset(&search, 0, sizeof search);
        sf_pgarray_init(&search.excluded_volunteers);
        sf_pgarray_init(&search.excluded_teams);
        if (dispatch.volunteer_serial)
            sf_pgarray_add_int(&search.excluded_volunteers, dispatch.volunteer_serial);
        else
            sf_pgarray_add_int(&search.excluded_teams, dispatch.team_serial);
        for (size_t i = 0; i < d->n_declined_by; i++) {
            int64_t serial;
            if (sf_serial_id_parse(d->declined_by[i], VOLUNTEER_ID_VOLUNTEER, &serial))
                sf_pgarray_add_int(&search.excluded_volunteers, serial);
            else if (sf_serial_id_parse(d->declined_by[i], VOLUNTEER_ID_TEAM, &serial))
                sf_pgarray_add_int(&search.excluded_teams, serial);
        }
        search.zone_code = d->zone_code;
        search.skill = d->skill;
        search.at_ms = d->at_unix_ms;
        search.duration = d->duration_minutes;
        search.except_dispatch = dispatch.serial;
        search.limit = 1;
        volunteer_catalog_t catalog;
        if (volunteer_catalog_load(call, &catalog) == SF_OK
            && volunteer_zone_ref(call, "zone_code", d->zone_code, &search.lat, &search.lon) == SF_OK) {
            int at = volunteer_catalog_find(&catalog, d->skill);
            search.requires = at >= 0 ? catalog.requires[at] : 0;
            found = search_run(call, &search);
        }
        search_release(&search);
        if (!found)
            return sf_call_status(call);
    }
    bool next = found && PQntuples(found) == 1;
    int kind = next ? (int) sf_db_int(found, 0, 0) : 0;  /* DispatchAssigneeKind */
    sf_params_t *params = SF_PARAMS(dispatch.serial, decliner, decline->reason, sf_param_bool(next), kind);
    if (next && kind == KIND_VOLUNTEER) {
        sf_params_int(params, sf_db_int(found, 0, 1));
        sf_params_null(params);
    } else if (next) {
        sf_params_null(params);
        sf_params_int(params, sf_db_int(found, 0, 1));
    } else {
        sf_params_null(params);
        sf_params_null(params);
    }
    sf_params_double(params, next ? sf_db_double(found, 0, 5) : 0);
    if (!sf_call_query(call,
            "UPDATE dispatch SET declined_by = array_append(declined_by, $2), note = $3,"
            " status = CASE WHEN $4 THEN 1 ELSE 3 END,"
            " assignee_kind = CASE WHEN $4 THEN $5 ELSE assignee_kind END,"
            " volunteer_serial = CASE WHEN $4 THEN $6 ELSE volunteer_serial END,"
            " team_serial = CASE WHEN $4 THEN $7 ELSE team_serial END,"
            " distance_km = CASE WHEN $4 THEN $8 ELSE distance_km END,"
            " attempt = attempt + CASE WHEN $4 THEN 1 ELSE 0 END,"
            " updated_at = now(), version = version + 1 WHERE serial = $1", params))
        return sf_call_status(call);
    if ((status = dispatch_load(call, dispatch.serial, false, &dispatch)) != SF_OK)
        return status;
    sf_call_emit(call, "dispatch.declined", dispatch.message->id, &dispatch.message->base);
    *reply_p = &dispatch.message->base;
    return SF_OK;
}

sf_status_t
volunteer_dispatch_complete(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DispatchCompleteRequest *complete = (const Sifang__V1__DispatchCompleteRequest *) request;
    sf_call_check_note(call, "note", complete->note, VOLUNTEER_NOTE_MAX, false);
    if (complete->hours < 0 || complete->hours > 24)
        sf_call_violation(call, "hours", "must be between 0 and 24 (0 = no service record)");
    else if (complete->hours > 0 && !volunteer_hours_valid(complete->hours))
        sf_call_violation(call, "hours", "must be in quarter hours (0.25, 0.5 ...)");
    dispatch_t dispatch;
    sf_status_t status = dispatch_for_answer(call, complete->id, complete->expected_version, true, &dispatch);
    if (status != SF_OK)
        return status;
    if (dispatch.message->status != STATUS_ACCEPTED)
        return refuse_status(call, &dispatch, "accepted");
    int64_t record_serial = 0;
    if (complete->hours > 0) {
        /* The day served is the dispatch's, in the district, or today if
         * that is still ahead. */
        PGresult *day = sf_call_query(call,
            "SELECT to_char(least(at AT TIME ZONE $2, now() AT TIME ZONE $2), 'YYYY-MM-DD') FROM dispatch"
            " WHERE serial = $1", SF_PARAMS(dispatch.serial, volunteer_config(call)->timezone));
        if (!day)
            return sf_call_status(call);
        const Sifang__V1__VolunteerDispatch *d = dispatch.message;
        volunteer_record_draft_t draft = {
            .volunteer_serial = dispatch.volunteer_serial,
            .team_serial = dispatch.team_serial,
            /* The description's first 150 bytes, cut on a character boundary: a
             * cut inside a character is refused by PostgreSQL, and the hours
             * would be lost with the completion. */
            .activity = sf_call_printf(call, "dispatch %s: %s%s%.*s", d->id, d->skill, *d->description ? ", " : "",
                                       (int) sf_utf8_prefix(d->description, 150), d->description),
            .household_code = d->household_code,
            .case_ref = d->case_ref,
            .served_on = sf_db_text(day, 0, 0),
            .hours = volunteer_hours_round(complete->hours),
            .community_code = dispatch.community_code,
            .skill = d->skill,
            .dispatch_serial = dispatch.serial,
        };
        Sifang__V1__VolunteerServiceRecord *record;
        if ((status = volunteer_record_insert(call, &draft, &record)) != SF_OK)
            return status;
        sf_serial_id_parse(record->id, VOLUNTEER_ID_RECORD, &record_serial);
    }
    return dispatch_set(call, &dispatch, STATUS_COMPLETED, complete->note, record_serial, "dispatch.completed",
                        reply_p);
}

sf_status_t
volunteer_dispatch_cancel(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DispatchCancelRequest *cancel = (const Sifang__V1__DispatchCancelRequest *) request;
    sf_call_check_text(call, "reason", cancel->reason, VOLUNTEER_HELP_MAX, false);
    dispatch_t dispatch;
    sf_status_t status = dispatch_for_answer(call, cancel->id, cancel->expected_version, false, &dispatch);
    if (status != SF_OK)
        return status;
    if (dispatch.message->status != STATUS_OFFERED && dispatch.message->status != STATUS_ACCEPTED)
        return refuse_status(call, &dispatch, "offered or accepted");
    return dispatch_set(call, &dispatch, STATUS_CANCELLED, cancel->reason, 0, "dispatch.cancelled", reply_p);
}

/* --- reading --------------------------------------------------------------------- */

sf_status_t
volunteer_dispatch_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DispatchGetRequest *get = (const Sifang__V1__DispatchGetRequest *) request;
    int64_t serial = 0;
    if (!volunteer_check_id(call, "id", get->id, VOLUNTEER_ID_DISPATCH, &serial))
        return sf_call_status(call);
    dispatch_t dispatch;
    sf_status_t status = dispatch_load(call, serial, false, &dispatch);
    if (status != SF_OK)
        return status;
    if (!dispatch.message)
        return sf_call_fail(call, SF_NOT_FOUND, "no dispatch %s", get->id);
    if ((status = volunteer_require_covers(call, dispatch.message->zone_code, "the dispatch's zone")) != SF_OK)
        return status;
    *reply_p = &dispatch.message->base;
    return SF_OK;
}

sf_status_t
volunteer_dispatch_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DispatchListRequest *list = (const Sifang__V1__DispatchListRequest *) request;
    Sifang__V1__DispatchListReply *reply = (Sifang__V1__DispatchListReply *)
        sf_call_new_message(call, &sifang__v1__dispatch_list_reply__descriptor);
    const char *prefix = NULL;
    sf_keyset_t page = sf_keyset_of(call, list->page);
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    int64_t volunteer = 0, team = 0;
    if (*list->volunteer_id)
        volunteer_check_id(call, "volunteer_id", list->volunteer_id, VOLUNTEER_ID_VOLUNTEER, &volunteer);
    if (*list->team_id)
        volunteer_check_id(call, "team_id", list->team_id, VOLUNTEER_ID_TEAM, &team);
    sf_call_check_text(call, "case_ref", list->case_ref, VOLUNTEER_CASE_REF_MAX, false);
    if (list->status < 0 || list->status > STATUS_CANCELLED)
        sf_call_violation(call, "status", "must be a dispatch status");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " DISPATCH_COLUMNS DISPATCH_FROM);
    sf_query_subtree(&query, "d.zone_code", prefix);
    if (*list->case_ref) {
        /* A case's dispatches: those naming it, and those naming one of its
         * requests below it: intake names its case 123's first and second
         * request "intake/123/1" and "intake/123/2", so that "intake/123"
         * (the case) finds both, where equality alone found nothing. The
         * range ("intake/123/" up to "intake/1230", '0' being the byte after
         * '/') is what dispatch_case's index (collation C) serves. */
        int exact = sf_query_text(&query, list->case_ref);
        int low = sf_query_text(&query, sf_call_printf(call, "%s/", list->case_ref));
        int high = sf_query_text(&query, sf_call_printf(call, "%s0", list->case_ref));
        sf_query_where(&query, "(d.case_ref = $%d OR (d.case_ref >= $%d AND d.case_ref < $%d))", exact, low, high);
    }
    if (volunteer)
        sf_query_where(&query, "d.volunteer_serial = $%d", sf_query_int(&query, volunteer));
    if (team)
        sf_query_where(&query, "d.team_serial = $%d", sf_query_int(&query, team));
    if (list->status)
        sf_query_where(&query, "d.status = $%d", sf_query_int(&query, list->status));
    volunteer_page_apply(&query, &page, "d.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->dispatches = sf_call_new_array(call, (size_t) rows, sizeof *reply->dispatches);
    for (int row = 0; row < rows; row++) {
        dispatch_t dispatch;
        dispatch_from_row(call, result, row, &dispatch);
        reply->dispatches[row] = dispatch.message;
    }
    reply->n_dispatches = (size_t) rows;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    *reply_p = &reply->base;
    return SF_OK;
}
