/* Unit tests of grid_codes: code lengths per kind, text checks and ids
 * (prefixes, subtree bounds and scope clipping: common/sf_codes_test.c). */
#include "grid_codes.h"
#include <stdio.h>
#include <string.h>

static int passed, failed;

#define CHECK(condition) do { \
    if (condition) passed++; \
    else { failed++; fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #condition); } \
} while (0)

static void
test_lengths(void)
{
    /* The proto's examples: 370205, 370205001, 370205001001, 37020500100101,
     * 370205001001011. */
    CHECK(grid_code_length(SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT) == strlen("370205"));
    CHECK(grid_code_length(SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET) == strlen("370205001"));
    CHECK(grid_code_length(SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY) == strlen("370205001001"));
    CHECK(grid_code_length(SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE) == strlen("37020500100101"));
    CHECK(grid_code_length(SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP) == strlen("370205001001011"));
    CHECK(grid_code_length(SIFANG__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED) == 0);
    CHECK(grid_code_length((Sifang__V1__UnitKind) 9) == 0);
    CHECK(grid_code_kind_of_length(14) == SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE);
    CHECK(grid_code_kind_of_length(18) == SIFANG__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED);
    CHECK(grid_household_code_valid("370205001001011001"));
    CHECK(!grid_household_code_valid("37020500100101100"));
    CHECK(!grid_household_code_valid("37020500100101100a"));
}

static void
test_department_codes(void)
{
    CHECK(grid_department_code_valid("civil-affairs"));
    CHECK(grid_department_code_valid("hr2"));
    CHECK(!grid_department_code_valid("Civil"));
    CHECK(!grid_department_code_valid("2civil"));
    CHECK(!grid_department_code_valid("civil-"));
    CHECK(!grid_department_code_valid("civil affairs"));
    CHECK(!grid_department_code_valid(""));
}

int
main(void)
{
    test_lengths();
    test_department_codes();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
