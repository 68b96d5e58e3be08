/* Volunteers: register (one at a time or a batch of them), update, get and
 * list. A volunteer is a resident grid knows, registered in the community
 * where they live; in-service party members are party members in grid's
 * record. Status follows from recent approved hours unless set by hand. */
#include "volunteer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOLUNTEER_INSERT_COLUMNS \
    "resident_id, community_code, zone_code, skills, skill_levels, availability, in_service," \
    " party_organisation, national_number, registered_at"
/* A registration from the paper register keeps its moment: given, it may be
 * a little ahead of the server's clock and at most a year back (as a
 * pairing's start and a contact). */
#define REGISTERED_SKEW_MS (5LL * 60 * 1000)
#define REGISTERED_BACKDATE_MS (366LL * 24 * 3600 * 1000)
/* When the registration was made: the moment given, else now (SQL, $n in ms). */
#define REGISTERED_AT(n) "CASE WHEN " n "::bigint > 0 THEN to_timestamp(" n "::bigint / 1000.0) ELSE now() END"

void
volunteer_select_params(sf_call_t *call, sf_params_t *params)
{
    const volunteer_config_t *config = volunteer_config(call);
    SF_PARAMS_ADD(params, sf_param_double(config->active_hours), config->active_days, config->timezone);
}

int
volunteer_query_select_params(sf_query_t *query)
{
    const volunteer_config_t *config = volunteer_config(query->call);
    sf_query_double(query, config->active_hours);
    sf_query_int(query, config->active_days);
    return sf_query_text(query, config->timezone);
}

Sifang__V1__VolunteerProfile *
volunteer_profile_from_row(sf_call_t *call, const PGresult *result, int row, int column)
{
    Sifang__V1__VolunteerProfile *profile = (Sifang__V1__VolunteerProfile *)
        sf_call_new_message(call, &sifang__v1__volunteer_profile__descriptor);
    int c = column;
    profile->id = volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, sf_db_int(result, row, c++));
    profile->resident_id = (char *) sf_db_text(result, row, c++);
    profile->name = (char *) sf_db_text(result, row, c++);
    profile->household_code = (char *) sf_db_text(result, row, c++);
    profile->community_code = (char *) sf_db_text(result, row, c++);
    profile->zone_code = (char *) sf_db_text(result, row, c++);
    char **skills, **levels, **windows;
    size_t n_skills = volunteer_split(call, sf_db_text(result, row, c++), &skills);
    size_t n_levels = volunteer_split(call, sf_db_text(result, row, c++), &levels);
    size_t n_windows = volunteer_split(call, sf_db_text(result, row, c++), &windows) / 3;
    if (n_skills) {
        profile->skills = sf_call_new_array(call, n_skills, sizeof *profile->skills);
        for (size_t i = 0; i < n_skills; i++) {
            Sifang__V1__VolunteerSkillLevel *skill = (Sifang__V1__VolunteerSkillLevel *)
                sf_call_new_message(call, &sifang__v1__volunteer_skill_level__descriptor);
            skill->skill = skills[i];
            skill->level = i < n_levels ? atoi(levels[i]) : 3;
            profile->skills[i] = skill;
        }
        profile->n_skills = n_skills;
    }
    if (n_windows) {
        profile->availability = sf_call_new_array(call, n_windows, sizeof *profile->availability);
        for (size_t i = 0; i < n_windows; i++) {
            Sifang__V1__VolunteerAvailability *window = (Sifang__V1__VolunteerAvailability *)
                sf_call_new_message(call, &sifang__v1__volunteer_availability__descriptor);
            window->weekday = atoi(windows[i * 3]);
            window->start_minute = atoi(windows[i * 3 + 1]);
            window->end_minute = atoi(windows[i * 3 + 2]);
            profile->availability[i] = window;
        }
        profile->n_availability = n_windows;
    }
    profile->party_member = sf_db_bool(result, row, c++);
    profile->in_service_party_member = sf_db_bool(result, row, c++);
    profile->party_organisation = (char *) sf_db_text(result, row, c++);
    profile->status = (Sifang__V1__VolunteerStatus) sf_db_int(result, row, c++);
    profile->national_number = (char *) sf_db_text(result, row, c++);
    profile->recent_hours = sf_db_double(result, row, c++);
    profile->total_hours = sf_db_double(result, row, c++);
    profile->registered_unix_ms = sf_db_int(result, row, c++);
    profile->updated_unix_ms = sf_db_int(result, row, c++);
    profile->version = sf_db_int(result, row, c++);
    return profile;
}

sf_status_t
volunteer_load(sf_call_t *call, int64_t serial, bool lock, Sifang__V1__VolunteerProfile **profile_p)
{
    *profile_p = NULL;
    sf_params_t params;
    sf_params_init(&params);
    volunteer_select_params(call, &params);
    sf_params_int(&params, serial);
    PGresult *result = sf_call_query(call, lock
        ? VOLUNTEER_SELECT " WHERE v.serial = $4 FOR UPDATE OF v"
        : VOLUNTEER_SELECT " WHERE v.serial = $4", &params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 1)
        *profile_p = volunteer_profile_from_row(call, result, 0, 0);
    return SF_OK;
}

/* --- shared field checks ---------------------------------------------------------- */

/* Skills: known, distinct, levels 1..5 (0 = 3). Fills the array literals. */
static void
check_skills(sf_call_t *call, const volunteer_catalog_t *catalog, Sifang__V1__VolunteerSkillLevel **skills,
             size_t n, sf_pgarray_t *codes, sf_pgarray_t *levels)
{
    if (n > VOLUNTEER_SKILLS_MAX) {
        sf_call_violation(call, "skills", "at most %d skills", VOLUNTEER_SKILLS_MAX);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char field[32];
        snprintf(field, sizeof field, "skills[%zu].skill", i);
        if (!volunteer_check_skill(call, catalog, field, skills[i]->skill))
            continue;
        for (size_t j = 0; j < i; j++)
            if (strcmp(skills[j]->skill, skills[i]->skill) == 0) {
                sf_call_violation(call, field, "%s is listed twice", skills[i]->skill);
                break;
            }
        int level = skills[i]->level ? skills[i]->level : 3;
        if (level < 1 || level > 5) {
            snprintf(field, sizeof field, "skills[%zu].level", i);
            sf_call_violation(call, field, "must be between 1 and 5 (0 = 3)");
        }
        sf_pgarray_add_text(codes, skills[i]->skill);
        sf_pgarray_add_int(levels, level);
    }
}

static void
check_availability(sf_call_t *call, Sifang__V1__VolunteerAvailability **windows, size_t n,
                   sf_pgarray_t *flat)
{
    if (n > VOLUNTEER_WINDOWS_MAX) {
        sf_call_violation(call, "availability", "at most %d windows", VOLUNTEER_WINDOWS_MAX);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const Sifang__V1__VolunteerAvailability *w = windows[i];
        if (!volunteer_window_valid(w->weekday, w->start_minute, w->end_minute)) {
            char field[32];
            snprintf(field, sizeof field, "availability[%zu]", i);
            sf_call_violation(call, field, "weekday 0..7 (0 = every day), start_minute 0..1439,"
                              " end_minute after it and at most 1440");
        }
        sf_pgarray_add_int(flat, w->weekday);
        sf_pgarray_add_int(flat, w->start_minute);
        sf_pgarray_add_int(flat, w->end_minute);
    }
}

/* What a registration will write, once checked. */
typedef struct {
    sf_pgarray_t skills, levels, windows;
    const char *community_code;
    const char *zone_code;
} registration_t;

static void
registration_release(registration_t *registration)
{
    sf_pgarray_release(&registration->skills);
    sf_pgarray_release(&registration->levels);
    sf_pgarray_release(&registration->windows);
}

/* The field checks of a registration that need no database. */
static void
check_registration_fields(sf_call_t *call, const volunteer_catalog_t *catalog,
                          const Sifang__V1__VolunteerProfile *profile, registration_t *registration)
{
    memset(registration, 0, sizeof *registration);
    sf_pgarray_init(&registration->skills);
    sf_pgarray_init(&registration->levels);
    sf_pgarray_init(&registration->windows);
    int64_t serial;
    if (!*profile->resident_id)
        sf_call_violation(call, "resident_id", "is required");
    else if (!sf_serial_id_parse(profile->resident_id, 'R', &serial))
        sf_call_violation(call, "resident_id", "must be grid's resident id, like R0000042");
    if (*profile->id)
        sf_call_violation(call, "id", "is assigned by the service; leave it empty");
    if (*profile->community_code && !sf_code_of_length(profile->community_code,
                                                              SF_CODE_COMMUNITY_LENGTH))
        sf_call_violation(call, "community_code", "must be a community code (%d digits)",
                          SF_CODE_COMMUNITY_LENGTH);
    check_skills(call, catalog, profile->skills, profile->n_skills, &registration->skills,
                 &registration->levels);
    check_availability(call, profile->availability, profile->n_availability, &registration->windows);
    sf_call_check_text(call, "party_organisation", profile->party_organisation, VOLUNTEER_NAME_MAX, false);
    if (*profile->party_organisation && !profile->in_service_party_member)
        sf_call_violation(call, "party_organisation", "is for in-service party members only");
    if (*profile->national_number && !volunteer_national_number_valid(profile->national_number))
        sf_call_violation(call, "national_number", "must be 1 to %d letters, digits and dashes",
                          VOLUNTEER_NATIONAL_NUMBER_MAX);
    if (profile->status != SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_UNSPECIFIED
        && profile->status != SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_REGISTERED)
        sf_call_violation(call, "status", "a new volunteer is REGISTERED; set other statuses with VolunteerUpdate");
    int64_t now = sf_now_ms();
    if (profile->registered_unix_ms > now + REGISTERED_SKEW_MS)
        sf_call_violation(call, "registered_unix_ms", "is in the future");
    else if (profile->registered_unix_ms < 0
             || (profile->registered_unix_ms && profile->registered_unix_ms < now - REGISTERED_BACKDATE_MS))
        sf_call_violation(call, "registered_unix_ms", "is more than a year ago");
}

/* The checks against the resident's record in the reference copy. */
static sf_status_t
check_registration_resident(sf_call_t *call, const Sifang__V1__VolunteerProfile *profile,
                            const volunteer_resident_ref_t *resident, registration_t *registration)
{
    if (*profile->community_code && strcmp(profile->community_code, resident->community_code) != 0)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "community_code",
                              "resident %s lives in community %s: volunteers register where they live",
                              profile->resident_id, resident->community_code);
    if (profile->in_service_party_member && !resident->party_member)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "in_service_party_member",
                              "resident %s is not a party member in grid's record", profile->resident_id);
    sf_status_t status = volunteer_require_writes(call, resident->community_code, "the resident's community");
    if (status != SF_OK)
        return status;
    registration->community_code = resident->community_code;
    registration->zone_code = resident->zone_code;
    return SF_OK;
}

static sf_status_t
check_not_registered(sf_call_t *call, const Sifang__V1__VolunteerProfile *profile)
{
    PGresult *result = sf_call_query(call,
        "SELECT serial, resident_id = $1 FROM volunteer WHERE resident_id = $1 OR national_number = $2"
        " ORDER BY 2 DESC LIMIT 1", SF_PARAMS(profile->resident_id, sf_param_text_or_null(profile->national_number)));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 0)
        return SF_OK;
    char *id = volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, sf_db_int(result, 0, 0));
    if (sf_db_bool(result, 0, 1))
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "resident_id", "resident %s is already volunteer %s",
                              profile->resident_id, id);
    return sf_call_refuse(call, SF_ALREADY_EXISTS, "national_number", "volunteer %s already carries it", id);
}

static void
registration_params(sf_params_t *params, const Sifang__V1__VolunteerProfile *profile, registration_t *registration)
{
    sf_params_init(params);
    SF_PARAMS_ADD(params, profile->resident_id, registration->community_code, registration->zone_code,
                          sf_pgarray_text(&registration->skills), sf_pgarray_text(&registration->levels),
                          sf_pgarray_text(&registration->windows), sf_param_bool(profile->in_service_party_member),
                          profile->party_organisation, sf_param_text_or_null(profile->national_number),
                          profile->registered_unix_ms);
}

sf_status_t
volunteer_register(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__VolunteerProfile *profile = (const Sifang__V1__VolunteerProfile *) request;
    volunteer_catalog_t catalog;
    sf_status_t status = volunteer_catalog_load(call, &catalog);
    if (status != SF_OK)
        return status;
    registration_t registration;
    check_registration_fields(call, &catalog, profile, &registration);
    if (sf_call_has_violations(call))
        goto done;
    volunteer_resident_ref_t resident;
    if ((status = volunteer_resident_ref(call, "resident_id", profile->resident_id, &resident)) != SF_OK
        || (status = check_registration_resident(call, profile, &resident, &registration)) != SF_OK
        || (status = check_not_registered(call, profile)) != SF_OK)
        goto done;
    sf_params_t params;
    registration_params(&params, profile, &registration);
    PGresult *result = sf_call_query(call,
        "INSERT INTO volunteer (" VOLUNTEER_INSERT_COLUMNS ")"
        " VALUES ($1, $2, $3, $4::text[], $5::smallint[], $6::smallint[], $7, $8, $9, " REGISTERED_AT("$10") ")"
        " RETURNING serial", &params);
    if (!result)
        goto done;
    Sifang__V1__VolunteerProfile *created;
    if ((status = volunteer_load(call, sf_db_int(result, 0, 0), false, &created)) != SF_OK)
        goto done;
    sf_call_emit(call, "volunteer.registered", created->id, &created->base);
    *reply_p = &created->base;
done:
    registration_release(&registration);
    return sf_call_status(call);
}

/* The fast path for the demo loader and bulk imports: every valid
 * registration of the run checked against one lookup of the residents and
 * written by one INSERT ... SELECT FROM unnest. Anything unusual (the same
 * resident twice in the run, a conflict) fails the run, and the server runs
 * each request alone. */
sf_status_t
volunteer_register_batch(sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies, size_t n)
{
    volunteer_catalog_t catalog;
    sf_status_t status = volunteer_catalog_load(calls[0], &catalog);
    if (status != SF_OK)
        return status;
    registration_t *registrations = calloc(n, sizeof *registrations);
    bool *valid = calloc(n, sizeof *valid);
    if (!registrations || !valid) {
        free(registrations);
        free(valid);
        return SF_INTERNAL;
    }
    sf_pgarray_t ids, given_numbers;
    sf_pgarray_init(&ids);
    sf_pgarray_init(&given_numbers);
    for (size_t i = 0; i < n; i++) {
        const Sifang__V1__VolunteerProfile *profile = (const Sifang__V1__VolunteerProfile *) requests[i];
        check_registration_fields(calls[i], &catalog, profile, &registrations[i]);
        valid[i] = !sf_call_has_violations(calls[i]);
        sf_pgarray_add_text(&ids, profile->resident_id);
        sf_pgarray_add_text(&given_numbers, *profile->national_number ? profile->national_number : NULL);
    }
    /* One lookup: each resident with its home and whether it is taken. */
    sf_params_t *params = SF_PARAMS(sf_pgarray_text(&ids), sf_pgarray_text(&given_numbers));
    PGresult *result = sf_call_query(calls[0],
        "SELECT k.o, r.id IS NOT NULL, COALESCE(h.zone_code, left(r.household_code, 14), ''),"
        " COALESCE(h.community_code, left(r.household_code, 12), ''), COALESCE(r.party_member, false),"
        " EXISTS (SELECT 1 FROM volunteer v WHERE v.resident_id = k.id OR v.national_number = k.nn)"
        " FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(id, nn, o)"
        " LEFT JOIN ref_resident r ON r.id = k.id LEFT JOIN ref_household h ON h.code = r.household_code"
        " ORDER BY k.o", params);
    if (!result) {
        status = sf_call_status(calls[0]);
        goto done;
    }
    sf_pgarray_t residents, communities, zones, skills, levels, windows, in_service, organisations, numbers,
        registered;
    sf_pgarray_t *columns[] = { &residents, &communities, &zones, &skills, &levels, &windows, &in_service,
                                &organisations, &numbers, &registered };
    for (size_t k = 0; k < sizeof columns / sizeof *columns; k++)
        sf_pgarray_init(columns[k]);
    size_t writes = 0;
    for (size_t i = 0; i < n && status == SF_OK; i++) {
        if (!valid[i])
            continue;
        const Sifang__V1__VolunteerProfile *profile = (const Sifang__V1__VolunteerProfile *) requests[i];
        int row = (int) i;
        if (!sf_db_bool(result, row, 1)) {
            sf_call_refuse(calls[i], SF_NOT_FOUND, "resident_id", "no resident %s known to volunteer"
                           " (grid's residents reach it through grid's events)", profile->resident_id);
            continue;
        }
        /* Taken, a national number, or the same resident earlier in the run:
         * the careful path explains each. */
        bool repeated = false;
        for (size_t j = 0; j < i && !repeated; j++) {
            const Sifang__V1__VolunteerProfile *earlier = (const Sifang__V1__VolunteerProfile *) requests[j];
            repeated = valid[j] && (strcmp(earlier->resident_id, profile->resident_id) == 0
                                    || (*profile->national_number
                                        && strcmp(earlier->national_number, profile->national_number) == 0));
        }
        if (sf_db_bool(result, row, 5) || repeated) {
            status = SF_ABORTED;
            break;
        }
        volunteer_resident_ref_t resident = {
            .id = profile->resident_id, .zone_code = sf_db_text(result, row, 2),
            .community_code = sf_db_text(result, row, 3), .party_member = sf_db_bool(result, row, 4),
        };
        if (check_registration_resident(calls[i], profile, &resident, &registrations[i]) != SF_OK)
            continue;
        sf_pgarray_add_text(&residents, profile->resident_id);
        sf_pgarray_add_text(&communities, registrations[i].community_code);
        sf_pgarray_add_text(&zones, registrations[i].zone_code);
        sf_pgarray_add_text(&skills, sf_pgarray_text(&registrations[i].skills));
        sf_pgarray_add_text(&levels, sf_pgarray_text(&registrations[i].levels));
        sf_pgarray_add_text(&windows, sf_pgarray_text(&registrations[i].windows));
        sf_pgarray_add_text(&in_service, profile->in_service_party_member ? "t" : "f");
        sf_pgarray_add_text(&organisations, profile->party_organisation);
        sf_pgarray_add_text(&numbers, *profile->national_number ? profile->national_number : NULL);
        sf_pgarray_add_int(&registered, profile->registered_unix_ms);
        writes++;
    }
    if (status == SF_OK && writes) {
        sf_params_init(params);
        for (size_t k = 0; k < sizeof columns / sizeof *columns; k++)
            sf_params_text(params, sf_pgarray_text(columns[k]));
        PGresult *inserted = sf_call_query(calls[0],
            "INSERT INTO volunteer (" VOLUNTEER_INSERT_COLUMNS ")"
            " SELECT r, c, z, s::text[], l::smallint[], w::smallint[], i, o, nn, " REGISTERED_AT("g")
            " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
            "             $7::boolean[], $8::text[], $9::text[], $10::bigint[]) AS k(r, c, z, s, l, w, i, o, nn, g)"
            " RETURNING serial", params);
        if (!inserted)
            status = sf_call_status(calls[0]);
        sf_pgarray_t serials;
        sf_pgarray_init(&serials);
        for (int row = 0; inserted && row < PQntuples(inserted); row++)
            sf_pgarray_add_int(&serials, sf_db_int(inserted, row, 0));
        PGresult *created = NULL;
        if (inserted) {
            sf_params_init(params);
            volunteer_select_params(calls[0], params);
            sf_params_text(params, sf_pgarray_text(&serials));
            created = sf_call_query(calls[0], VOLUNTEER_SELECT " WHERE v.serial = ANY($4::bigint[])", params);
            if (!created)
                status = sf_call_status(calls[0]);
        }
        sf_pgarray_release(&serials);
        for (int row = 0; created && row < PQntuples(created); row++) {
            const char *resident_id = sf_db_text(created, row, 1);
            for (size_t i = 0; i < n; i++) {
                const Sifang__V1__VolunteerProfile *profile = (const Sifang__V1__VolunteerProfile *) requests[i];
                if (replies[i] || sf_call_status(calls[i]) != SF_OK || strcmp(profile->resident_id, resident_id))
                    continue;
                Sifang__V1__VolunteerProfile *registered = volunteer_profile_from_row(calls[i], created, row, 0);
                sf_call_emit(calls[i], "volunteer.registered", registered->id, &registered->base);
                replies[i] = &registered->base;
                break;
            }
        }
    }
    for (size_t k = 0; k < sizeof columns / sizeof *columns; k++)
        sf_pgarray_release(columns[k]);
done:
    for (size_t i = 0; i < n; i++)
        registration_release(&registrations[i]);
    sf_pgarray_release(&ids);
    sf_pgarray_release(&given_numbers);
    free(registrations);
    free(valid);
    return status;
}

/* --- update, get, list ------------------------------------------------------------- */

sf_status_t
volunteer_update(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__VolunteerUpdateRequest *update = (const Sifang__V1__VolunteerUpdateRequest *) request;
    int64_t serial = 0;
    volunteer_check_id(call, "id", update->id, VOLUNTEER_ID_VOLUNTEER, &serial);
    volunteer_catalog_t catalog;
    sf_status_t status = volunteer_catalog_load(call, &catalog);
    if (status != SF_OK)
        return status;
    registration_t changes;
    memset(&changes, 0, sizeof changes);
    sf_pgarray_init(&changes.skills);
    sf_pgarray_init(&changes.levels);
    sf_pgarray_init(&changes.windows);
    if (update->set_skills)
        check_skills(call, &catalog, update->skills, update->n_skills, &changes.skills, &changes.levels);
    else if (update->n_skills)
        sf_call_violation(call, "skills", "set set_skills to replace the skills");
    if (update->set_availability)
        check_availability(call, update->availability, update->n_availability, &changes.windows);
    else if (update->n_availability)
        sf_call_violation(call, "availability", "set set_availability to replace the availability");
    sf_call_check_text(call, "party_organisation", update->party_organisation, VOLUNTEER_NAME_MAX, false);
    if (*update->national_number && !volunteer_national_number_valid(update->national_number))
        sf_call_violation(call, "national_number", "must be 1 to %d letters, digits and dashes",
                          VOLUNTEER_NATIONAL_NUMBER_MAX);
    int manual = 0;
    switch (update->status) {
    case SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_UNSPECIFIED: break;
    case SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_REGISTERED: manual = 1; break;
    case SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_SUSPENDED: manual = 4; break;
    case SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_WITHDRAWN: manual = 5; break;
    default:
        sf_call_violation(call, "status", "ACTIVE and INACTIVE follow from approved hours; set SUSPENDED,"
                          " WITHDRAWN, or REGISTERED to lift them");
    }
    volunteer_check_expected_version(call, update->expected_version);
    if (sf_call_has_violations(call))
        goto done;

    Sifang__V1__VolunteerProfile *profile;
    if ((status = volunteer_load(call, serial, true, &profile)) != SF_OK)
        goto done;
    if (!profile) {
        sf_call_refuse(call, SF_NOT_FOUND, "id", "no volunteer %s", update->id);
        goto done;
    }
    if (volunteer_require_writes(call, profile->community_code, "the volunteer's community") != SF_OK
        || volunteer_version_matches(call, update->expected_version, profile->version, update->id) != SF_OK)
        goto done;
    bool in_service = update->set_in_service ? update->in_service_party_member : profile->in_service_party_member;
    if (in_service && !profile->party_member) {
        sf_call_refuse(call, SF_FAILED_PRECONDITION, "in_service_party_member",
                       "resident %s is not a party member in grid's record", profile->resident_id);
        goto done;
    }
    if (*update->national_number && strcmp(update->national_number, profile->national_number) != 0) {
        sf_params_t params;
        sf_params_init(&params);
        sf_params_text(&params, update->national_number);
        PGresult *taken = sf_call_query(call, "SELECT serial FROM volunteer WHERE national_number = $1", &params);
        if (!taken)
            goto done;
        if (PQntuples(taken)) {
            sf_call_refuse(call, SF_ALREADY_EXISTS, "national_number", "volunteer %s already carries it",
                           volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, sf_db_int(taken, 0, 0)));
            goto done;
        }
    }
    sf_params_t *params = SF_PARAMS(serial, sf_param_bool(update->set_skills), sf_pgarray_text(&changes.skills),
                                    sf_pgarray_text(&changes.levels), sf_param_bool(update->set_availability),
                                    sf_pgarray_text(&changes.windows), sf_param_bool(in_service),
                                    in_service ? update->party_organisation : "",
                                    sf_param_text_or_null(update->national_number), manual);
    if (!sf_call_query(call,
            "UPDATE volunteer SET"
            " skills = CASE WHEN $2 THEN $3::text[] ELSE skills END,"
            " skill_levels = CASE WHEN $2 THEN $4::smallint[] ELSE skill_levels END,"
            " availability = CASE WHEN $5 THEN $6::smallint[] ELSE availability END,"
            " in_service = $7,"
            " party_organisation = CASE WHEN NOT $7 THEN '' WHEN $8 <> '' THEN $8 ELSE party_organisation END,"
            " national_number = COALESCE($9, national_number),"
            " manual_status = CASE WHEN $10 = 0 THEN manual_status ELSE $10 END,"
            " updated_at = now(), version = version + 1 WHERE serial = $1", params))
        goto done;
    Sifang__V1__VolunteerProfile *updated;
    if (volunteer_load(call, serial, false, &updated) != SF_OK)
        goto done;
    sf_call_emit(call, "volunteer.updated", updated->id, &updated->base);
    *reply_p = &updated->base;
done:
    registration_release(&changes);
    return sf_call_status(call);
}

sf_status_t
volunteer_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__VolunteerGetRequest *get = (const Sifang__V1__VolunteerGetRequest *) request;
    int given = (*get->id != 0) + (*get->resident_id != 0) + (*get->national_number != 0);
    if (given != 1)
        sf_call_violation(call, "id", "give exactly one of id, resident_id and national_number");
    int64_t serial = 0;
    if (*get->id)
        volunteer_check_id(call, "id", get->id, VOLUNTEER_ID_VOLUNTEER, &serial);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_params_t params;
    sf_params_init(&params);
    volunteer_select_params(call, &params);
    PGresult *result;
    if (serial) {
        sf_params_int(&params, serial);
        result = sf_call_query(call, VOLUNTEER_SELECT " WHERE v.serial = $4", &params);
    } else if (*get->resident_id) {
        sf_params_text(&params, get->resident_id);
        result = sf_call_query(call, VOLUNTEER_SELECT " WHERE v.resident_id = $4", &params);
    } else {
        sf_params_text(&params, get->national_number);
        result = sf_call_query(call, VOLUNTEER_SELECT " WHERE v.national_number = $4", &params);
    }
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_fail(call, SF_NOT_FOUND, "no such volunteer");
    Sifang__V1__VolunteerProfile *profile = volunteer_profile_from_row(call, result, 0, 0);
    /* Outside the caller's view: as if there were none, so that the answer
     * does not tell whether they volunteer. */
    if (!sf_call_covers(call, volunteer_home_code(profile)))
        return sf_call_fail(call, SF_NOT_FOUND, "no such volunteer");
    volunteer_profile_shown(call, profile);
    *reply_p = &profile->base;
    return SF_OK;
}

sf_status_t
volunteer_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__VolunteerListRequest *list = (const Sifang__V1__VolunteerListRequest *) request;
    Sifang__V1__VolunteerListReply *reply = (Sifang__V1__VolunteerListReply *)
        sf_call_new_message(call, &sifang__v1__volunteer_list_reply__descriptor);
    const char *prefix = NULL;
    sf_keyset_t page = sf_keyset_of(call, list->page);
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (*list->skill && !volunteer_skill_code_valid(list->skill))
        sf_call_violation(call, "skill", "must be a skill code");
    int64_t team = 0;
    if (*list->team_id)
        volunteer_check_id(call, "team_id", list->team_id, VOLUNTEER_ID_TEAM, &team);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    sf_query_t query;
    sf_query_init(&query, call, VOLUNTEER_SELECT);
    volunteer_query_select_params(&query);
    sf_query_subtree(&query, "v.community_code", prefix);
    if (*list->skill)
        sf_query_where(&query, "v.skills @> ARRAY[$%d]::text[]", sf_query_text(&query, list->skill));
    if (list->party_members_only)
        sf_query_where(&query, "p.party_member");
    if (list->in_service_only)
        sf_query_where(&query, "v.in_service");
    if (list->status)
        sf_query_where(&query, "(" VOLUNTEER_STATUS ") = $%d", sf_query_int(&query, list->status));
    if (team)
        sf_query_where(&query, "EXISTS (SELECT 1 FROM team_member m WHERE m.volunteer_serial = v.serial"
                              " AND m.team_serial = $%d)", sf_query_int(&query, team));
    volunteer_page_apply(&query, &page, "v.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->volunteers = sf_call_new_array(call, (size_t) rows, sizeof *reply->volunteers);
    for (int row = 0; row < rows; row++) {
        reply->volunteers[row] = volunteer_profile_from_row(call, result, row, 0);
        volunteer_profile_shown(call, reply->volunteers[row]);
    }
    reply->n_volunteers = (size_t) rows;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    *reply_p = &reply->base;
    return SF_OK;
}
