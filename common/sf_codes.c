/* Unit code shapes, subtree bounds and scope clipping for every service. */
#include "sf_codes.h"
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
    *prefix = NULL;
    if (!sf_code_prefix_valid(under)) {
        sf_call_violation(call, field, "must be an org unit or household code (digits only)");
        return false;
    }
    return sf_code_clip(sf_call_principal(call)->scope, under, prefix);
}
