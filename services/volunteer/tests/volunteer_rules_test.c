/* Unit tests of volunteer's own pure rules: hours, availability windows,
 * skill codes and national numbers (codes, scopes, dates, credit codes and
 * serial ids are common's, tested in common/sf_*_test.c). */
#include "volunteer_rules.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures, checks;

#define CHECK(cond) do { checks++; if (!(cond)) { failures++; \
    printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)

int
main(void)
{
    /* Hours: positive, at most 24 in quarter hours. */
    CHECK(volunteer_hours_valid(0.25));
    CHECK(volunteer_hours_valid(24));
    CHECK(volunteer_hours_valid(7.5));
    CHECK(!volunteer_hours_valid(0));
    CHECK(!volunteer_hours_valid(-1));
    CHECK(!volunteer_hours_valid(24.25));
    CHECK(!volunteer_hours_valid(1.1));
    CHECK(!volunteer_hours_valid(NAN));
    CHECK(volunteer_hours_round(2.5000001) == 2.5);

    /* Availability windows. */
    CHECK(volunteer_window_valid(0, 0, 1440));
    CHECK(volunteer_window_valid(7, 480, 720));
    CHECK(!volunteer_window_valid(8, 480, 720));
    CHECK(!volunteer_window_valid(1, 720, 720));
    CHECK(!volunteer_window_valid(1, 720, 1441));
    CHECK(!volunteer_window_valid(-1, 0, 10));

    /* Skill codes and national numbers. */
    CHECK(volunteer_skill_code_valid("elderly_care"));
    CHECK(!volunteer_skill_code_valid("Elderly"));
    CHECK(!volunteer_skill_code_valid(""));
    CHECK(!volunteer_skill_code_valid("a23456789012345678901234567890123"));
    CHECK(volunteer_national_number_valid("QD-2012-000123"));
    CHECK(!volunteer_national_number_valid("QD 2012"));
    CHECK(!volunteer_national_number_valid(""));

    /* Text. */

    printf("volunteer_rules_test: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
