/* Code shapes, subtree bounds and text checks shared by grid's handlers. */
#include "grid_codes.h"
#include <string.h>

size_t
grid_code_length(Sifang__V1__UnitKind kind)
{
    switch (kind) {
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT: return GRID_DISTRICT_CODE_LENGTH;
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET: return 9;
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY: return 12;
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE: return 14;
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP: return 15;
    default: return 0;
    }
}

const char *
grid_unit_kind_name(Sifang__V1__UnitKind kind)
{
    switch (kind) {
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT: return "district";
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET: return "street";
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY: return "community";
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE: return "zone";
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP: return "building group";
    default: return "unit";
    }
}

Sifang__V1__UnitKind
grid_code_kind_of_length(size_t length)
{
    for (int kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT;
         kind <= SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP; kind++)
        if (grid_code_length((Sifang__V1__UnitKind) kind) == length)
            return (Sifang__V1__UnitKind) kind;
    return SIFANG__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED;
}

bool
grid_household_code_valid(const char *code)
{
    return sf_code_digits(code) && strlen(code) == GRID_HOUSEHOLD_CODE_LENGTH;
}

bool
grid_department_code_valid(const char *code)
{
    size_t length = code ? strlen(code) : 0;
    if (length == 0 || length > GRID_DEPARTMENT_CODE_MAX || code[0] < 'a' || code[0] > 'z')
        return false;
    for (const char *c = code; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
            return false;
    return code[length - 1] != '-';
}
