/* The checks every grid handler shares: field violations, and how much of a phone number the caller may see. */
#include "grid.h"
#include <stdio.h>
#include <string.h>

bool
grid_check_code(sf_call_t *call, const char *field, const char *code)
{
    if (!code || !*code) {
        sf_call_violation(call, field, "is required");
        return false;
    }
    if (!sf_code_prefix_valid(code)) {
        sf_call_violation(call, field, "must be a code of at most %d digits",
                          GRID_HOUSEHOLD_CODE_LENGTH);
        return false;
    }
    return true;
}

char *
grid_phone_masked(sf_call_t *call, const char *phone)
{
    char masked[SF_PHONE_SIZE];
    sf_phone_mask(phone, masked, sizeof masked);
    return sf_call_strdup(call, masked);
}

char *
grid_phone_for_caller(sf_call_t *call, const char *phone)
{
    if (sf_call_has_role(call, GRID_ROLES_PHONES))
        return sf_call_strdup(call, phone);
    return grid_phone_masked(call, phone);
}
