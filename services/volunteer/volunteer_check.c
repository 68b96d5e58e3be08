/* The checks every volunteer handler shares: the caller's scope, field
 * violations, ids, dates, versions, and today's date in the district. */
#include "volunteer.h"
#include "sf_ids.h"
#include <stdio.h>
#include <string.h>

sf_status_t
volunteer_require_covers(sf_call_t *call, const char *code, const char *what)
{
    if (sf_call_covers(call, code))
        return SF_OK;
    return sf_call_fail(call, SF_PERMISSION_DENIED, "%s lies outside your scope", what);
}

sf_status_t
volunteer_require_writes(sf_call_t *call, const char *code, const char *what)
{
    if (sf_principal_reaches(sf_call_principal(call), SF_SCOPE_WRITE, VOLUNTEER_ROLES_DUTY, code))
        return SF_OK;
    return sf_call_fail(call, SF_PERMISSION_DENIED, "%s lies outside your scope", what);
}

sf_status_t
volunteer_end(sf_call_t *call, const volunteer_ending_t *ending, const char *id, const char *reason,
              int64_t *serial)
{
    volunteer_check_id(call, "id", id, ending->letter, serial);
    sf_call_check_text(call, "reason", reason, VOLUNTEER_HELP_MAX, false);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_params_t *params = SF_PARAMS(*serial);
    PGresult *found = sf_call_query(call, sf_call_printf(call, "SELECT community_code, active FROM %s"
                                                               " WHERE serial = $1 FOR UPDATE", ending->table),
                                    params);
    if (!found)
        return sf_call_status(call);
    if (PQntuples(found) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, "id", "no %s %s", ending->noun, id);
    sf_status_t status = volunteer_require_writes(call, sf_db_text(found, 0, 0), ending->community);
    if (status != SF_OK)
        return status;
    if (!sf_db_bool(found, 0, 1))
        return sf_call_fail(call, SF_FAILED_PRECONDITION, "%s %s has ended already", ending->noun, id);
    sf_params_text(params, reason);
    if (!sf_call_query(call, sf_call_printf(call, "UPDATE %s SET active = false, ended_reason = $2, %s"
                                                  "version = version + 1 WHERE serial = $1",
                                            ending->table, ending->also),
                       params))
        return sf_call_status(call);
    return SF_OK;
}

char *
volunteer_name_shown(sf_call_t *call, const char *name, const char *unit_code)
{
    if (sf_call_covers_as(call, VOLUNTEER_ROLES_DUTY, unit_code))
        return (char *) name;
    char masked[SF_MASK_SIZE];
    sf_name_mask(name, masked, sizeof masked);
    return sf_call_strdup(call, masked);
}

const char *
volunteer_home_code(const Sifang__V1__VolunteerProfile *profile)
{
    return profile->household_code && *profile->household_code ? profile->household_code : profile->community_code;
}

void
volunteer_profile_shown(sf_call_t *call, Sifang__V1__VolunteerProfile *profile)
{
    profile->name = volunteer_name_shown(call, profile->name, volunteer_home_code(profile));
}

static int
id_width(char letter)
{
    switch (letter) {
    case VOLUNTEER_ID_TEAM:
    case VOLUNTEER_ID_COBUILDING:
        return 4;
    case VOLUNTEER_ID_VOLUNTEER:
    case VOLUNTEER_ID_CREDENTIAL:
    case VOLUNTEER_ID_PAIRING:
    case VOLUNTEER_ID_PROVIDER:
        return 6;
    default:
        return 8;
    }
}

char *
volunteer_id(sf_call_t *call, char letter, int64_t serial)
{
    char id[32];
    sf_serial_id_format(letter, id_width(letter), serial, id, sizeof id);
    return sf_call_strdup(call, id);
}

bool
volunteer_check_id(sf_call_t *call, const char *field, const char *id, char letter, int64_t *serial)
{
    if (!id || !*id) {
        sf_call_violation(call, field, "is required");
        return false;
    }
    if (!sf_serial_id_parse(id, letter, serial)) {
        char example[32];
        sf_serial_id_format(letter, id_width(letter), 42, example, sizeof example);
        sf_call_violation(call, field, "must be an id like %s", example);
        return false;
    }
    return true;
}

bool
volunteer_check_date(sf_call_t *call, const char *field, const char *date, bool required)
{
    if (!date || !*date) {
        if (required)
            sf_call_violation(call, field, "is required (YYYY-MM-DD)");
        return !required;
    }
    if (!sf_date_parse(date, NULL)) {
        sf_call_violation(call, field, "must be a date written YYYY-MM-DD");
        return false;
    }
    return true;
}

bool
volunteer_check_expected_version(sf_call_t *call, int64_t expected_version)
{
    if (expected_version >= 0)
        return true;
    sf_call_violation(call, "expected_version", "must not be negative");
    return false;
}

sf_status_t
volunteer_version_matches(sf_call_t *call, int64_t expected, int64_t actual, const char *what)
{
    if (!expected || expected == actual)
        return SF_OK;
    return sf_call_refuse(call, SF_FAILED_PRECONDITION, "expected_version",
                          "is %lld but %s is at version %lld", (long long) expected, what,
                          (long long) actual);
}

const volunteer_config_t *
volunteer_config(sf_call_t *call)
{
    return &((const volunteer_t *) sf_call_state(call))->config;
}

const char *
volunteer_today(sf_call_t *call)
{
    PGresult *result = sf_call_query(call, "SELECT to_char(now() AT TIME ZONE $1, 'YYYY-MM-DD')",
        SF_PARAMS(volunteer_config(call)->timezone));
    return result ? sf_db_text(result, 0, 0) : NULL;
}
