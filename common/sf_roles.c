/* Roles and scopes of principals: role sets, unit scopes, and a principal's
 * grants read as one union (sf_roles.h). */
#include "sf_roles.h"
#include <string.h>

bool
sf_role_in(const char *role, const char *roles)
{
    if (!roles)
        return true;
    if (!role || !*role)
        return false;
    size_t length = strlen(role);
    for (const char *at = roles; (at = strstr(at, role)) != NULL; at += length) {
        bool starts = at == roles || at[-1] == ' ';
        bool ends = at[length] == 0 || at[length] == ' ';
        if (starts && ends)
            return true;
    }
    return false;
}

static bool
all_digits(const char *text)
{
    if (!*text)
        return false;
    for (; *text; text++)
        if (*text < '0' || *text > '9')
            return false;
    return true;
}

bool
sf_unit_scope_valid(const char *scope)
{
    if (!scope)
        return false;
    if (strcmp(scope, "*") == 0)
        return true;
    return all_digits(scope[0] == '=' ? scope + 1 : scope);
}

bool
sf_unit_scope_covers(const char *scope, const char *unit_code)
{
    if (!sf_unit_scope_valid(scope) || !unit_code)
        return false;
    if (strcmp(scope, "*") == 0)
        return true;
    if (scope[0] == '=')
        return strcmp(scope + 1, unit_code) == 0;
    return strncmp(unit_code, scope, strlen(scope)) == 0;
}

bool
sf_principal_is_person(const Sifang__V1__Principal *principal)
{
    return principal && principal->n_grants > 0;
}

/* A grant counts only with a person's role: a forwarded principal never
 * carries a key's powers. */
static bool
grant_counts(const Sifang__V1__Grant *grant, const char *roles)
{
    return grant && sf_role_in(grant->role, SF_PEOPLE_ROLES) && sf_role_in(grant->role, roles);
}

bool
sf_principal_has_role(const Sifang__V1__Principal *principal, const char *roles)
{
    if (!principal)
        return false;
    if (sf_principal_is_person(principal)) {
        for (size_t i = 0; i < principal->n_grants; i++)
            if (grant_counts(principal->grants[i], roles))
                return true;
        return false;
    }
    /* A person's role without grants is no key's: it reaches nothing. */
    if (sf_role_in(principal->role, SF_PEOPLE_ROLES))
        return false;
    return (principal->role && strcmp(principal->role, "admin") == 0) || sf_role_in(principal->role, roles);
}

static bool
key_scope_covers(const char *scope, const char *unit_code)
{
    if (!scope || !*scope)
        return true;
    return unit_code && strncmp(unit_code, scope, strlen(scope)) == 0;
}

bool
sf_principal_reaches(const Sifang__V1__Principal *principal, sf_scope_kind_t kind, const char *roles,
                     const char *unit_code)
{
    if (!principal)
        return false;
    if (!sf_principal_is_person(principal))
        return sf_principal_has_role(principal, roles) && key_scope_covers(principal->scope, unit_code);
    for (size_t i = 0; i < principal->n_grants; i++) {
        const Sifang__V1__Grant *grant = principal->grants[i];
        if (!grant_counts(grant, roles))
            continue;
        size_t n = kind == SF_SCOPE_WRITE ? grant->n_write : kind == SF_SCOPE_SEARCH ? grant->n_search : grant->n_view;
        char **scopes = kind == SF_SCOPE_WRITE ? grant->write : kind == SF_SCOPE_SEARCH ? grant->search : grant->view;
        for (size_t j = 0; j < n; j++)
            if (sf_unit_scope_covers(scopes[j], unit_code))
                return true;
    }
    return false;
}

size_t
sf_principal_view_prefixes(const Sifang__V1__Principal *principal, const char *roles, const char **prefixes,
                           size_t max)
{
    size_t n = 0;
    if (!principal)
        return 0;
    if (!sf_principal_is_person(principal)) {
        if (!sf_principal_has_role(principal, roles))
            return 0;
        if (max > 0)
            prefixes[0] = principal->scope ? principal->scope : "";
        return 1;
    }
    for (size_t i = 0; i < principal->n_grants; i++) {
        const Sifang__V1__Grant *grant = principal->grants[i];
        if (!grant_counts(grant, roles))
            continue;
        for (size_t j = 0; j < grant->n_view; j++) {
            const char *scope = grant->view[j];
            if (!sf_unit_scope_valid(scope) || scope[0] == '=')
                continue;
            bool seen = false;
            for (size_t k = 0; k < n && k < max; k++)
                seen = seen || strcmp(prefixes[k], scope) == 0;
            if (seen)
                continue;
            if (n < max)
                prefixes[n] = scope;
            n++;
        }
    }
    return n;
}
