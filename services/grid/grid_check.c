/* The checks every grid handler shares: field violations, how much of a
 * person the caller may see, and how many of them a page shows. */
#include "grid.h"
#include "sf_codes.h"
#include "sf_roles.h"
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
grid_phone_for_caller(sf_call_t *call, const char *unit_code, const char *phone)
{
    bool clear = sf_call_is_person(call) ? sf_call_covers_as(call, SF_ROLES_RESIDENT_DUTY, unit_code)
                                         : sf_call_has_role(call, GRID_ROLES_PHONES);
    return clear ? sf_call_strdup(call, phone) : grid_phone_masked(call, phone);
}

bool
grid_sees_household(sf_call_t *call, const char *household_code)
{
    /* Keys keep what they had: their scope and role were checked before a
     * household reaches a reply. A person sees a household whole only
     * through a grant whose duty is residents, within that grant's scope. */
    return !sf_call_is_person(call) || sf_call_covers_as(call, SF_ROLES_RESIDENT_DUTY, household_code);
}

bool
grid_person_page_read(sf_call_t *call, const Sifang__V1__PageRequest *request, sf_page_t *page)
{
    if (!sf_page_read(call, request, page))
        return false;
    if (!sf_call_is_person(call) || page->size <= GRID_PERSON_PAGE_MAX)
        return true;
    if (!request || request->page_size == 0) {
        page->size = GRID_PERSON_PAGE_MAX;
        return true;
    }
    /* A person browses; a whole list taken out is an export, with a reason
     * and a row in the access log. */
    sf_call_violation(call, "page.page_size",
                      "must be at most %d for a person: take more with ResidentExport", GRID_PERSON_PAGE_MAX);
    return false;
}
