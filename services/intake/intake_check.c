/* Field checks every intake handler shares: import times, registration
 * numbers, and a phone or name masked in the case's memory (the rules are
 * sf_ids'). */
#include "intake.h"
#include <stdio.h>
#include <string.h>

/* 2020-01-01T00:00:00Z: nothing the district registered is older. */
#define EARLIEST_IMPORT_MS 1577836800000LL
#define IMPORT_CLOCK_SKEW_MS 60000

char *
intake_phone_masked(sf_call_t *call, const char *phone)
{
    size_t size = (phone ? strlen(phone) : 0) + 1;
    char *masked = sf_call_alloc(call, size);
    sf_phone_mask(phone, masked, size);
    return masked;
}

char *
intake_name_masked(sf_call_t *call, const char *name)
{
    char *masked = sf_call_alloc(call, SF_MASK_SIZE);
    sf_name_mask(name, masked, SF_MASK_SIZE);
    return masked;
}

bool
intake_step_time(sf_call_t *call, const char *field, const Sifang__V1__CaseImport *imported,
                 int64_t *at_ms, const char **actor_p)
{
    *at_ms = 0;
    *actor_p = sf_call_principal(call)->id;
    if (!imported || (imported->at_unix_ms == 0 && !*imported->actor_id))
        return true;
    char name[64];
    bool ok = true;
    if (strcmp(sf_call_principal(call)->role, "admin") != 0) {
        sf_call_violation(call, field, "importing earlier records is for the admin role only");
        return false;
    }
    int64_t now = sf_now_ms();
    snprintf(name, sizeof name, "%s.at_unix_ms", field);
    if (imported->at_unix_ms < EARLIEST_IMPORT_MS || imported->at_unix_ms > now + IMPORT_CLOCK_SKEW_MS) {
        sf_call_violation(call, name, "must be a past time since 2020-01-01");
        ok = false;
    }
    snprintf(name, sizeof name, "%s.actor_id", field);
    if (!*imported->actor_id) {
        sf_call_violation(call, name, "is required: the staff member who did it then");
        ok = false;
    } else if (!sf_call_check_text(call, name, imported->actor_id, 64, true))
        ok = false;
    if (!ok)
        return false;
    *at_ms = imported->at_unix_ms;
    *actor_p = imported->actor_id;
    return true;
}

char *
intake_registration_number(sf_call_t *call, const char *prefix, const char *yyyymmdd, int64_t id)
{
    return sf_call_printf(call, "%s%s-%07lld", prefix, yyyymmdd, (long long) id);
}

int64_t
intake_registration_id(const char *registration_number)
{
    const char *dash = registration_number ? strrchr(registration_number, '-') : NULL;
    if (!dash || !sf_code_digits(dash + 1) || strlen(dash + 1) > 15)
        return 0;
    long long id = 0;
    for (const char *c = dash + 1; *c; c++)
        id = id * 10 + (*c - '0');
    return (int64_t) id;
}
