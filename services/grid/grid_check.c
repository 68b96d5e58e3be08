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

bool
grid_scope_under_as(sf_call_t *call, const char *roles, const char *field, const char *under,
                    const char **prefix)
{
    *prefix = NULL;
    if (!sf_code_prefix_valid(under)) {
        sf_call_violation(call, field, "must be an org unit or household code (digits only)");
        return false;
    }
    /* As sf_call_scope_under, over the grants of roles alone: a leader's
     * district view does not widen a street clerk's export. */
    const char *scopes[SF_SCOPE_LIST_MAX];
    size_t n = sf_principal_view_prefixes(sf_call_principal(call), roles, scopes, SF_SCOPE_LIST_MAX);
    const char *inside = NULL;
    size_t n_inside = 0;
    for (size_t i = 0; i < n && i < SF_SCOPE_LIST_MAX; i++) {
        const char *scope = strcmp(scopes[i], "*") == 0 ? "" : scopes[i];
        const char *clipped = NULL;
        if (!sf_code_clip(scope, under, &clipped))
            continue;
        if (strcmp(clipped, under ? under : "") == 0) {
            *prefix = under ? under : "";
            return true;
        }
        inside = clipped;
        n_inside++;
    }
    if (n_inside == 1) {
        *prefix = inside;
        return true;
    }
    if (n_inside > 1)
        sf_call_violation(call, field, "your scope is several units: name one of them");
    return false;
}
