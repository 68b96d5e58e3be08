/* Field checks every intake handler shares: texts, phones, import times and registration numbers. */
#include "intake.h"
#include <stdio.h>
#include <string.h>

/* 2020-01-01T00:00:00Z: nothing the district registered is older. */
#define EARLIEST_IMPORT_MS 1577836800000LL
#define IMPORT_CLOCK_SKEW_MS 60000

bool
intake_check_phone(sf_call_t *call, const char *field, const char *phone)
{
    if (!phone || !*phone)
        return true;
    size_t length = strlen(phone);
    bool mobile = length == 11 && phone[0] == '1' && sf_code_digits(phone);
    bool landline = length >= 7 && length <= 20 && phone[0] >= '0' && phone[0] <= '9';
    for (const char *c = phone; landline && *c; c++)
        if (!((*c >= '0' && *c <= '9') || *c == '-'))
            landline = false;
    if (mobile || landline)
        return true;
    sf_call_violation(call, field, "must be an 11-digit mobile number starting with 1 or a"
                                   " landline of 7 to 20 digits and dashes");
    return false;
}

char *
intake_phone_masked(sf_call_t *call, const char *phone)
{
    size_t length = phone ? strlen(phone) : 0;
    char *masked = sf_call_alloc(call, length + 1);
    for (size_t i = 0; i < length; i++)
        masked[i] = (i < 3 || i + 4 >= length || phone[i] == '-') ? phone[i] : '*';
    if (length < 8)
        for (size_t i = 0; i < length; i++)
            masked[i] = phone[i] == '-' ? '-' : '*';
    masked[length] = 0;
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
