/* Unit code shapes, subtree bounds and scope clipping for every service. */
#include "sf_codes.h"
#include "sf_roles.h"
#include "sf_server.h"
#include <string.h>

bool
sf_code_digits(const char *code)
{
    if (!code || !*code)
        return false;
    for (const char *c = code; *c; c++)
        if (*c < '0' || *c > '9')
            return false;
    return true;
}

bool
sf_code_of_length(const char *code, size_t length)
{
    return sf_code_digits(code) && strlen(code) == length;
}

bool
sf_code_prefix_valid(const char *prefix)
{
    if (!prefix || !*prefix)
        return true;
    return sf_code_digits(prefix) && strlen(prefix) <= SF_CODE_HOUSEHOLD_LENGTH;
}

bool
sf_code_starts_with(const char *code, const char *prefix)
{
    prefix = prefix ? prefix : "";
    return strncmp(code ? code : "", prefix, strlen(prefix)) == 0;
}

size_t
sf_code_ancestor(const char *code, size_t length)
{
    for (size_t i = 0; i < length; i++)
        if (!code || code[i] < '0' || code[i] > '9')   /* also stops at the terminating zero */
            return 0;
    return length;
}

void
sf_code_subtree_upper(const char *prefix, char *out, size_t size)
{
    size_t length = prefix ? strlen(prefix) : 0;
    if (size < length + 2) {
        if (size)
            out[0] = 0;
        return;
    }
    if (length == 0) {
        strcpy(out, ":");
        return;
    }
    memcpy(out, prefix, length + 1);
    out[length - 1]++;
}

bool
sf_code_clip(const char *scope, const char *under, const char **prefix)
{
    scope = scope ? scope : "";
    under = under ? under : "";
    if (sf_code_starts_with(under, scope)) {
        *prefix = under;
        return true;
    }
    if (sf_code_starts_with(scope, under)) {
        *prefix = scope;
        return true;
    }
    *prefix = NULL;
    return false;
}

bool
sf_call_scope_under(sf_call_t *call, const char *field, const char *under, const char **prefix)
{
    return sf_call_scope_under_as(call, NULL, field, under, prefix);
}

bool
sf_call_scope_under_as(sf_call_t *call, const char *roles, const char *field, const char *under,
                       const char **prefix)
{
    *prefix = NULL;
    if (!sf_code_prefix_valid(under)) {
        sf_call_violation(call, field, "must be an org unit or household code (digits only)");
        return false;
    }
    /* A person's view scopes are several subtrees; a list reads one. The
     * one that holds under, or the one under holds; several under it: the
     * caller names one (a silent choice would hide the others). */
    const char *scopes[SF_SCOPE_LIST_MAX];
    size_t n = sf_principal_view_prefixes(sf_call_principal(call), roles, scopes, SF_SCOPE_LIST_MAX);
    const char *inside = NULL;
    size_t n_inside = 0;
    for (size_t i = 0; i < n && i < SF_SCOPE_LIST_MAX; i++) {
        const char *scope = strcmp(scopes[i], "*") == 0 ? "" : scopes[i];
        const char *clipped = NULL;
        if (!sf_code_clip(scope, under, &clipped))
            continue;
        if (clipped == under || strcmp(clipped, under ? under : "") == 0) {
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
