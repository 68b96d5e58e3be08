/* Dispatch: for a zone, a skill and a time, the volunteers, teams and
 * service providers who can go, ranked by distance (zone coordinates from
 * grid), skill level, current load and the residents' rating
 * (volunteer_search.h has the rule); and the life of one dispatch: offered,
 * accepted or declined (and offered to the next candidate), not answered in
 * time (the offer sweep moves it on the same way), back with the desk after
 * SIFANG_VOLUNTEER_OFFER_ATTEMPTS refusals and time-outs, completed (a
 * volunteer's or team's hours become a pending service record) or
 * cancelled. Intake's convenience items call it on behalf of their cases
 * (case_ref). */
#include "volunteer.h"
#include "volunteer_search.h"
#include "sf_log.h"
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
/* The longest an offer may wait for its answer (as a skill's may). */
#define OFFER_TIMEOUT_MAX_MS 604800000LL

#define STATUS_OFFERED SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_OFFERED
#define STATUS_ACCEPTED SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_ACCEPTED
#define STATUS_DECLINED SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_DECLINED
#define STATUS_COMPLETED SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_COMPLETED
#define STATUS_CANCELLED SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_CANCELLED
#define KIND_VOLUNTEER SIFANG__V1__DISPATCH_ASSIGNEE_KIND__DISPATCH_ASSIGNEE_KIND_VOLUNTEER
#define KIND_TEAM SIFANG__V1__DISPATCH_ASSIGNEE_KIND__DISPATCH_ASSIGNEE_KIND_TEAM
#define KIND_PROVIDER SIFANG__V1__DISPATCH_ASSIGNEE_KIND__DISPATCH_ASSIGNEE_KIND_PROVIDER
/* Who the offer sweep's steps are signed by. */
#define OFFER_SWEEP_ACTOR "volunteer-offer-sweep"
/* Offers moved on per sweep transaction. */
#define OFFER_SWEEP_BATCH 100

/* When an offer made now is due to be answered: the dispatch's own
 * time-out (own: what DispatchOffer was given, intake's service item's),
 * else its skill's (skill: the code), else the daemon's (fallback, in ms). */
#define DISPATCH_ANSWER_DUE(own, skill, fallback) \
    "now() + make_interval(secs => COALESCE(NULLIF(" own "::bigint, 0), NULLIF((SELECT s.offer_timeout_ms" \
    " FROM skill s WHERE s.code = " skill "), 0), " fallback "::bigint) / 1000.0)"

#define DISPATCH_COLUMNS \
    "d.serial, d.status, d.zone_code, d.skill, " VOLUNTEER_MS("d.at") ", d.duration_minutes, d.case_ref," \
    " d.household_code, d.description, d.assignee_kind, d.volunteer_serial, d.team_serial," \
    " CASE d.assignee_kind WHEN 1 THEN COALESCE(r.name, '') WHEN 2 THEN COALESCE(t.name, '')" \
    " ELSE COALESCE(p.name, '') END," \
    " d.distance_km, d.attempt, array_to_string(d.declined_by, ','), d.requested_by, d.note," \
    " d.service_record_serial, " VOLUNTEER_MS("d.created_at") ", " VOLUNTEER_MS("d.updated_at") ", d.version," \
    " COALESCE(t.leader_serial, 0), COALESCE(v.community_code, t.community_code, p.community_code, '')," \
    " d.provider_serial, " VOLUNTEER_MS("d.offered_at") ", " VOLUNTEER_MS("d.answer_due_at") "," \
    " d.timeouts, d.returned_to_desk, COALESCE(d.satisfaction, 0), d.offer_timeout_ms"
#define DISPATCH_FROM \
    " FROM dispatch d LEFT JOIN volunteer v ON v.serial = d.volunteer_serial" \
    " LEFT JOIN ref_resident r ON r.id = v.resident_id LEFT JOIN team t ON t.serial = d.team_serial" \
    " LEFT JOIN provider p ON p.serial = d.provider_serial"

/* A dispatch as loaded, with what the handlers need besides the message. */
typedef struct {
    Sifang__V1__VolunteerDispatch *message;
    int64_t serial;
    int64_t volunteer_serial;
    int64_t team_serial;
    int64_t provider_serial;
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
    dispatch->provider_serial = sf_db_int(result, row, 24);
    if (dispatch->provider_serial)
        d->provider_id = volunteer_id(call, VOLUNTEER_ID_PROVIDER, dispatch->provider_serial);
    sf_row_read(result, row, 25, &d->base,
                "offered_unix_ms answer_due_unix_ms timeouts returned_to_desk satisfaction offer_timeout_ms");
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
    int64_t only_provider;
    sf_pgarray_t excluded_volunteers;
    sf_pgarray_t excluded_teams;
    sf_pgarray_t excluded_providers;
    int64_t except_dispatch;     /* the dispatch being offered again */
} search_t;

static const char search_ring_sql[] = VOLUNTEER_SEARCH_SQL(VOLUNTEER_RING_CODES);
static const char search_radius_sql[] = VOLUNTEER_SEARCH_SQL(VOLUNTEER_RING_RADIUS);

/* The exclusions as array literals, made once: sf_pgarray_text may be
 * taken only once from an empty array. */
typedef struct {
    const char *volunteers, *teams, *providers;
} excluded_t;

/* One ring's search: volunteers whose zone code starts with ring (NULL:
 * every zone within the radius), with the teams and providers. */
static PGresult *
search_ring(sf_call_t *call, const search_t *search, const excluded_t *excluded, const char *ring)
{
    const volunteer_config_t *config = volunteer_config(call);
    char high[SF_CODE_HOUSEHOLD_LENGTH + 2];
    sf_code_subtree_upper(ring ? ring : "", high, sizeof high);
    return sf_call_query(call, ring ? search_ring_sql : search_radius_sql,
        SF_PARAMS(search->at_ms, search->duration, search->skill, sf_param_double(search->lat),
                  sf_param_double(search->lon), config->timezone, sf_param_double(config->dispatch_radius_km),
                  config->dispatch_max_load, search->requires, search->pool,
                  excluded->volunteers, excluded->teams,
                  search->except_dispatch, search->only_volunteer, search->only_team, search->limit,
                  ring ? ring : "", high, excluded->providers, search->only_provider,
                  search->zone_code));
}

/* Zone first: the case's zone, then its community, then its street, then
 * every zone within the radius; the first ring that gives the limit (or
 * the last) is the answer. A volunteer named alone is looked for where
 * they are, in the last ring. */
static PGresult *
search_run(sf_call_t *call, search_t *search)
{
    static const size_t rings[] = { SF_CODE_ZONE_LENGTH, SF_CODE_COMMUNITY_LENGTH, SF_CODE_STREET_LENGTH };
    excluded_t excluded = {
        sf_pgarray_text(&search->excluded_volunteers),
        sf_pgarray_text(&search->excluded_teams),
        sf_pgarray_text(&search->excluded_providers),
    };
    if (!excluded.volunteers || !excluded.teams || !excluded.providers) {
        sf_call_fail(call, SF_INTERNAL, "out of memory");
        return NULL;
    }
    if (!search->only_volunteer && !search->only_team && !search->only_provider)
        for (size_t i = 0; i < sizeof rings / sizeof *rings; i++) {
            size_t length = sf_code_ancestor(search->zone_code, rings[i]);
            if (!length)
                continue;
            PGresult *found = search_ring(call, search, &excluded, sf_call_printf(call, "%.*s", (int) length,
                                                                       search->zone_code));
            if (!found || PQntuples(found) >= search->limit)
                return found;
        }
    return search_ring(call, search, &excluded, NULL);
}

static Sifang__V1__DispatchCandidate *
candidate_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__DispatchCandidate *candidate = (Sifang__V1__DispatchCandidate *)
        sf_call_new_message(call, &sifang__v1__dispatch_candidate__descriptor);
    candidate->kind = (Sifang__V1__DispatchAssigneeKind) sf_db_int(result, row, 0);
    if (candidate->kind == KIND_VOLUNTEER)
        candidate->volunteer_id = volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, sf_db_int(result, row, 1));
    else if (candidate->kind == KIND_TEAM)
        candidate->team_id = volunteer_id(call, VOLUNTEER_ID_TEAM, sf_db_int(result, row, 1));
    else
        candidate->provider_id = volunteer_id(call, VOLUNTEER_ID_PROVIDER, sf_db_int(result, row, 1));
    candidate->community_code = (char *) sf_db_text(result, row, 3);
    candidate->name = candidate->kind == KIND_VOLUNTEER
        ? volunteer_name_shown(call, sf_db_text(result, row, 2), candidate->community_code)
        : (char *) sf_db_text(result, row, 2);
    sf_row_read(result, row, 4, &candidate->base, "zone_code distance_km skill_level load score rating ratings");
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
    sf_pgarray_init(&search->excluded_providers);
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
    if (pool < 0 || pool > SIFANG__V1__DISPATCH_POOL__DISPATCH_POOL_PROVIDERS)
        sf_call_violation(call, "pool", "must be ANY, VOLUNTEERS, TEAMS or PROVIDERS");
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
    sf_pgarray_release(&search->excluded_providers);
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
        return sf_call_refuse(call, SF_FAILED_PRECONDITION,
                              *named == 'V' ? "volunteer_id" : *named == 'T' ? "team_id" : "provider_id",
                              "%s cannot take skill %s in zone %s then (the skill%s, availability or opening"
                              " hours, distance up to %g km or the provider's area, load below %d or the"
                              " provider's capacity, no overlapping dispatch, not suspended or closed)",
                              named, search->skill, search->zone_code,
                              search->requires ? " with an unexpired credential" : "",
                              config->dispatch_radius_km, config->dispatch_max_load);
    return sf_call_fail(call, SF_FAILED_PRECONDITION,
                        "no candidate: no volunteer, team or provider with skill %s%s within %g km of zone %s is"
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
    int64_t volunteer = 0, team = 0, provider = 0;
    if ((*offer->volunteer_id != 0) + (*offer->team_id != 0) + (*offer->provider_id != 0) > 1)
        sf_call_violation(call, *offer->provider_id ? "provider_id" : "team_id",
                          "name one volunteer, team or provider, not more");
    if (*offer->volunteer_id)
        volunteer_check_id(call, "volunteer_id", offer->volunteer_id, VOLUNTEER_ID_VOLUNTEER, &volunteer);
    if (*offer->team_id)
        volunteer_check_id(call, "team_id", offer->team_id, VOLUNTEER_ID_TEAM, &team);
    if (*offer->provider_id)
        volunteer_check_id(call, "provider_id", offer->provider_id, VOLUNTEER_ID_PROVIDER, &provider);
    if (offer->offer_timeout_ms < 0 || offer->offer_timeout_ms > OFFER_TIMEOUT_MAX_MS)
        sf_call_violation(call, "offer_timeout_ms", "must be between 1 ms and a week (0 = the skill's, else the"
                          " daemon's)");
    search_t search;
    sf_status_t status = search_prepare(call, offer->zone_code, offer->household_code, offer->skill,
                                        offer->at_unix_ms, offer->duration_minutes, offer->pool, &search);
    if (status != SF_OK || sf_call_has_violations(call))
        goto done;
    if (volunteer || team || provider) {
        const char *field = volunteer ? "volunteer_id" : team ? "team_id" : "provider_id";
        const char *named = volunteer ? offer->volunteer_id : team ? offer->team_id : offer->provider_id;
        PGresult *exists = sf_call_query(call, volunteer ? "SELECT 1 FROM volunteer WHERE serial = $1"
                                             : team ? "SELECT 1 FROM team WHERE serial = $1"
                                                    : "SELECT 1 FROM provider WHERE serial = $1",
                                         SF_PARAMS(volunteer ? volunteer : team ? team : provider));
        if (!exists)
            goto done;
        if (PQntuples(exists) != 1) {
            sf_call_refuse(call, SF_NOT_FOUND, field, "no %s %s",
                           volunteer ? "volunteer" : team ? "team" : "provider", named);
            goto done;
        }
    }
    search.only_volunteer = volunteer;
    search.only_team = team;
    search.only_provider = provider;
    search.limit = 1;
    PGresult *found = search_run(call, &search);
    if (!found)
        goto done;
    if (PQntuples(found) == 0) {
        refuse_no_candidate(call, &search, volunteer ? offer->volunteer_id : team ? offer->team_id
                                           : provider ? offer->provider_id : NULL);
        goto done;
    }
    int kind = (int) sf_db_int(found, 0, 0);  /* DispatchAssigneeKind */
    int64_t chosen = sf_db_int(found, 0, 1);
    PGresult *inserted = sf_call_query(call,
        "INSERT INTO dispatch (status, zone_code, skill, at, duration_minutes, case_ref, household_code,"
        " description, assignee_kind, volunteer_serial, team_serial, provider_serial, distance_km, requested_by,"
        " offered_at, answer_due_at, offer_timeout_ms)"
        " VALUES (1, $1, $2, to_timestamp($3::bigint / 1000.0), $4, $5, $6, $7, $8::smallint,"
        " CASE WHEN $8::smallint = 1 THEN $9::bigint END, CASE WHEN $8::smallint = 2 THEN $9::bigint END,"
        " CASE WHEN $8::smallint = 3 THEN $9::bigint END, $10, $11, now(), "
        DISPATCH_ANSWER_DUE("$13", "$2", "$12") ", $13)"
        " RETURNING serial",
        SF_PARAMS(search.zone_code, search.skill, search.at_ms, search.duration, offer->case_ref,
                  offer->household_code, offer->description, kind, chosen, sf_param_double(sf_db_double(found, 0, 5)),
                  sf_call_principal(call)->id, volunteer_config(call)->offer_timeout_ms, offer->offer_timeout_ms));
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
            " service_record_serial = COALESCE($4, service_record_serial), answer_due_at = NULL,"
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

/* What ends an offer unanswered or refused: who, why, whether to look for
 * the next candidate, and the event that tells it. */
typedef struct {
    const char *reason;
    bool reoffer;
    bool timed_out;
    const char *type;
} move_on_t;

/* Moves the (locked) dispatch on from its current assignee: the next
 * candidate not yet asked is offered at once (attempt + 1, declined_by
 * naming everyone who refused or let an offer time out, a new answer due
 * time), unless the refusals and time-outs have reached
 * SIFANG_VOLUNTEER_OFFER_ATTEMPTS or no one is left: then it is DECLINED
 * and, when the registry gave up rather than the caller, returned_to_desk.
 * One event of how->type whose payload is the dispatch after it. */
static sf_status_t
dispatch_move_on(sf_call_t *call, dispatch_t *dispatch, const move_on_t *how, ProtobufCMessage **reply_p)
{
    const volunteer_config_t *config = volunteer_config(call);
    const Sifang__V1__VolunteerDispatch *d = dispatch->message;
    const char *decliner = dispatch->volunteer_serial ? d->volunteer_id
                         : dispatch->team_serial ? d->team_id : d->provider_id;
    bool exhausted = (int) d->n_declined_by + 1 >= config->offer_attempts;

    /* The next candidate, leaving out everyone who declined it. */
    PGresult *found = NULL;
    if (how->reoffer && !exhausted) {
        search_t search;
        memset(&search, 0, sizeof search);
        sf_pgarray_init(&search.excluded_volunteers);
        sf_pgarray_init(&search.excluded_teams);
        sf_pgarray_init(&search.excluded_providers);
        if (dispatch->volunteer_serial)
            sf_pgarray_add_int(&search.excluded_volunteers, dispatch->volunteer_serial);
        else if (dispatch->team_serial)
            sf_pgarray_add_int(&search.excluded_teams, dispatch->team_serial);
        else
            sf_pgarray_add_int(&search.excluded_providers, dispatch->provider_serial);
        for (size_t i = 0; i < d->n_declined_by; i++) {
            int64_t serial;
            if (sf_serial_id_parse(d->declined_by[i], VOLUNTEER_ID_VOLUNTEER, &serial))
                sf_pgarray_add_int(&search.excluded_volunteers, serial);
            else if (sf_serial_id_parse(d->declined_by[i], VOLUNTEER_ID_TEAM, &serial))
                sf_pgarray_add_int(&search.excluded_teams, serial);
            else if (sf_serial_id_parse(d->declined_by[i], VOLUNTEER_ID_PROVIDER, &serial))
                sf_pgarray_add_int(&search.excluded_providers, serial);
        }
        search.zone_code = d->zone_code;
        search.skill = d->skill;
        search.at_ms = d->at_unix_ms;
        search.duration = d->duration_minutes;
        search.except_dispatch = dispatch->serial;
        search.limit = 1;
        volunteer_catalog_t catalog;
        sf_status_t located = volunteer_catalog_load(call, &catalog);
        if (located == SF_OK)
            located = volunteer_zone_ref(call, "zone_code", d->zone_code, &search.lat, &search.lon);
        if (located == SF_OK) {
            int at = volunteer_catalog_find(&catalog, d->skill);
            search.requires = at >= 0 ? catalog.requires[at] : 0;
            found = search_run(call, &search);
        } else if (located != SF_UNAVAILABLE && sf_db_is_up(sf_call_db(call)))
            /* The zone has no location any more (grid cleared it): there is
             * no one to look for from it, and the dispatch goes back to the
             * desk rather than stay stuck (the offer sweep must not fail on
             * it for ever). */
            sf_call_clear_failure(call);
        search_release(&search);
        if (!found && (located == SF_OK || sf_call_status(call) != SF_OK))
            return sf_call_status(call);
    }
    bool next = found && PQntuples(found) == 1;
    /* The registry gave up on its own: attempts used up, or no one left
     * after a time-out or a refusal that asked for the next. */
    bool returned = !next && (how->reoffer || how->timed_out);
    int kind = next ? (int) sf_db_int(found, 0, 0) : 0;  /* DispatchAssigneeKind */
    if (!sf_call_query(call,
            "UPDATE dispatch SET declined_by = array_append(declined_by, $2), note = $3,"
            " status = CASE WHEN $4 THEN 1 ELSE 3 END,"
            " assignee_kind = CASE WHEN $4 THEN $5::smallint ELSE assignee_kind END,"
            " volunteer_serial = CASE WHEN NOT $4 THEN volunteer_serial WHEN $5::smallint = 1 THEN $6::bigint END,"
            " team_serial = CASE WHEN NOT $4 THEN team_serial WHEN $5::smallint = 2 THEN $6::bigint END,"
            " provider_serial = CASE WHEN NOT $4 THEN provider_serial WHEN $5::smallint = 3 THEN $6::bigint END,"
            " distance_km = CASE WHEN $4 THEN $7 ELSE distance_km END,"
            " attempt = attempt + CASE WHEN $4 THEN 1 ELSE 0 END,"
            " offered_at = CASE WHEN $4 THEN now() ELSE offered_at END,"
            " answer_due_at = CASE WHEN $4 THEN " DISPATCH_ANSWER_DUE("offer_timeout_ms", "skill", "$8") " END,"
            " timeouts = timeouts + CASE WHEN $9 THEN 1 ELSE 0 END, returned_to_desk = $10,"
            " updated_at = now(), version = version + 1 WHERE serial = $1",
            SF_PARAMS(dispatch->serial, decliner, how->reason, sf_param_bool(next), kind,
                      next ? sf_db_int(found, 0, 1) : 0, sf_param_double(next ? sf_db_double(found, 0, 5) : 0),
                      config->offer_timeout_ms, sf_param_bool(how->timed_out), sf_param_bool(returned))))
        return sf_call_status(call);
    sf_status_t status = dispatch_load(call, dispatch->serial, false, dispatch);
    if (status != SF_OK)
        return status;
    sf_call_emit(call, how->type, dispatch->message->id, &dispatch->message->base);
    if (reply_p)
        *reply_p = &dispatch->message->base;
    return SF_OK;
}

/* One decline, one event ("dispatch.declined") whose payload is the
 * dispatch after it: offered to the next candidate when reoffer found one,
 * else DECLINED (dispatch_move_on). */
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
    move_on_t how = { .reason = decline->reason, .reoffer = decline->reoffer, .type = "dispatch.declined" };
    return dispatch_move_on(call, &dispatch, &how, reply_p);
}

/* --- offers that time out -------------------------------------------------------- */

/* Moves on every offer past its answer due time, the oldest first, a batch
 * at a time: each one's event is "dispatch.timed_out" (its payload the
 * dispatch after it: offered to the next candidate, or DECLINED and back
 * with the desk). Returns how many moved, or -1 with the call's status. */
static int
offer_sweep(sf_call_t *call)
{
    PGresult *due = sf_call_query(call,
        "SELECT serial FROM dispatch WHERE status = 1 AND answer_due_at <= now()"
        " ORDER BY answer_due_at, serial LIMIT $1 FOR UPDATE SKIP LOCKED", SF_PARAMS(OFFER_SWEEP_BATCH));
    if (!due)
        return -1;
    int n = PQntuples(due);
    for (int i = 0; i < n; i++) {
        dispatch_t dispatch;
        if (dispatch_load(call, sf_db_int(due, i, 0), true, &dispatch) != SF_OK)
            return -1;
        if (!dispatch.message || dispatch.message->status != STATUS_OFFERED)
            continue;
        const char *who = *dispatch.message->assignee_name ? dispatch.message->assignee_name : "the assignee";
        move_on_t how = {
            .reason = sf_call_printf(call, "%s did not answer in time", who),
            .reoffer = true,
            .timed_out = true,
            .type = "dispatch.timed_out",
        };
        if (dispatch_move_on(call, &dispatch, &how, NULL) != SF_OK)
            return -1;
    }
    return n;
}

int
volunteer_offer_sweep_run(sf_call_t *call)
{
    sf_db_t *db = sf_call_db(call);
    if (!sf_server_ready(sf_call_server(call)))
        return -1;
    /* Cheap when nothing is due, which is nearly always. */
    PGresult *peek = sf_db_query(db, "SELECT EXISTS (SELECT 1 FROM dispatch WHERE status = 1"
                                     " AND answer_due_at <= now())", NULL);
    bool waiting = sf_db_result_ok(peek) && sf_db_bool(peek, 0, 0);
    PQclear(peek);
    if (!waiting)
        return 0;
    if (!sf_db_begin(db))
        return -1;
    sf_call_act_as(call, OFFER_SWEEP_ACTOR);
    int moved = offer_sweep(call);
    int64_t head = -1;
    /* The commit announces the events: intake hears of them now. */
    if (moved < 0 || !sf_call_commit(call, &head)) {
        if (moved < 0 && sf_call_status(call) != SF_UNAVAILABLE)
            sf_warn("offer sweep failed", "status", sf_status_name(sf_call_status(call)),
                    "reason", sf_call_message(call));
        sf_db_rollback(db);
        return -1;
    }
    if (moved) {
        char count[32];
        snprintf(count, sizeof count, "%d", moved);
        sf_info("offers not answered in time moved on", "offers", count);
    }
    return moved;
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
    if (dispatch.provider_serial && complete->hours > 0)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "hours", "dispatch %s was served by provider %s:"
                              " a provider's service is not volunteer hours (give 0)", complete->id,
                              dispatch.message->provider_id);
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
    int64_t volunteer = 0, team = 0, provider = 0;
    if (*list->volunteer_id)
        volunteer_check_id(call, "volunteer_id", list->volunteer_id, VOLUNTEER_ID_VOLUNTEER, &volunteer);
    if (*list->provider_id)
        volunteer_check_id(call, "provider_id", list->provider_id, VOLUNTEER_ID_PROVIDER, &provider);
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
    if (provider)
        sf_query_where(&query, "d.provider_serial = $%d", sf_query_int(&query, provider));
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
