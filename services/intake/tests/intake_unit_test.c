/* Unit tests of intake's pure parts (credit and unit codes are common's,
 * tested in common/sf_ids_test.c and sf_codes_test.c): registration
 * numbers, the registry's case refs and text lengths. */
#include "intake.h"
#include "intake_peers.h"
#include "sf_test.h"
#include <string.h>

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

    return sf_test_done();
}
