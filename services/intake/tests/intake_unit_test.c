/* Unit tests of intake's pure parts (credit and unit codes are common's,
 * tested in common/sf_ids_test.c and sf_codes_test.c): registration
 * numbers, the registry's case refs and text lengths, and the station's
 * roles against the suite's sets. */
#include "intake.h"
#include "intake_peers.h"
#include "sf_test.h"
#include <stdio.h>
#include <string.h>

/* A station is who both registers and handles cases: INTAKE_ROLES_STATION
 * is written out, so it is checked against the two sets it stands for. */
static void
test_station_roles(void)
{
    const char *all = SF_ROLES_CASE_INTAKE " " SF_ROLES_CASE_HANDLE " " INTAKE_ROLES_STATION;
    char role[64];
    for (const char *at = all; *at;) {
        size_t length = strcspn(at, " ");
        snprintf(role, sizeof role, "%.*s", (int) length, at);
        bool both = sf_role_in(role, SF_ROLES_CASE_INTAKE) && sf_role_in(role, SF_ROLES_CASE_HANDLE);
        if (sf_role_in(role, INTAKE_ROLES_STATION) != both)
            SF_FAIL("role %s: in INTAKE_ROLES_STATION %d, registers and handles %d", role,
                    sf_role_in(role, INTAKE_ROLES_STATION), both);
        at += length;
        at += strspn(at, " ");
    }
}

int
main(void)
{
    SF_CHECK_EQ_INT(intake_registration_id("SF20260315-0000123"), 123);
    SF_CHECK_EQ_INT(intake_registration_id("SF20260315-12345678"), 12345678);
    SF_CHECK_EQ_INT(intake_registration_id("SF20260315"), 0);
    SF_CHECK_EQ_INT(intake_registration_id("SF20260315-12a"), 0);
    SF_CHECK_EQ_INT(intake_registration_id("SF20260315-"), 0);
    SF_CHECK_EQ_INT(intake_registration_id(NULL), 0);

    char ref[128];
    int64_t case_id = 0;
    int attempt = 0;
    intake_case_ref_format(ref, sizeof ref, "intake@civil-affairs", 42, 3);
    SF_CHECK_EQ_STR(ref, "intake@civil-affairs/42/3");
    SF_CHECK(intake_case_ref_parse(ref, "intake@civil-affairs", &case_id, &attempt));
    SF_CHECK_EQ_INT(case_id, 42);
    SF_CHECK_EQ_INT(attempt, 3);
    SF_CHECK(!intake_case_ref_parse(ref, "intake", &case_id, &attempt));
    SF_CHECK(!intake_case_ref_parse("intake/42", "intake", &case_id, &attempt));
    SF_CHECK(!intake_case_ref_parse("intake/42/1x", "intake", &case_id, &attempt));
    SF_CHECK(!intake_case_ref_parse("intake/-4/1", "intake", &case_id, &attempt));
    SF_CHECK(!intake_case_ref_parse("", "intake", &case_id, &attempt));

    test_station_roles();

    return sf_test_done();
}
