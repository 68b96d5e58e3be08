/* Unit test of employment's own pure checks: ages, occupation codes and
 * identifier shapes (credit codes, dates and unit codes are common's,
 * tested in common/sf_ids_test.c, sf_dates_test.c and sf_codes_test.c). */
#include "employment_codes.h"
#include "sf_test.h"

int
main(void)
{
    int32_t day = 0, birth = 0;
    SF_CHECK(sf_date_parse("1952-03-01", &birth));
    SF_CHECK(sf_date_parse("2012-02-29", &day));
    SF_CHECK_EQ_INT(emp_age_on(birth, day), 59);
    SF_CHECK(sf_date_parse("2012-03-01", &day));
    SF_CHECK_EQ_INT(emp_age_on(birth, day), 60);
    /* Born on the 29th of February: a year older on the 1st of March. */
    SF_CHECK(sf_date_parse("1996-02-29", &birth));
    SF_CHECK(sf_date_parse("2014-02-28", &day));
    SF_CHECK_EQ_INT(emp_age_on(birth, day), 17);
    SF_CHECK(sf_date_parse("2014-03-01", &day));
    SF_CHECK_EQ_INT(emp_age_on(birth, day), 18);

    SF_CHECK_EQ_INT(emp_occupation_level("4"), 1);
    SF_CHECK_EQ_INT(emp_occupation_level("4-03"), 2);
    SF_CHECK_EQ_INT(emp_occupation_level("4-03-02"), 3);
    SF_CHECK_EQ_INT(emp_occupation_level("4-03-02-01"), 4);
    SF_CHECK_EQ_INT(emp_occupation_level("9-03"), 0);
    SF_CHECK_EQ_INT(emp_occupation_level("4-3"), 0);
    SF_CHECK_EQ_INT(emp_occupation_level("4-03-02-01-01"), 0);
    SF_CHECK_EQ_INT(emp_occupation_level("4-03-"), 0);
    SF_CHECK_EQ_INT(emp_occupation_level(""), 0);

    SF_CHECK(emp_ident_valid("qd-labour/2012:P_1@x.y", 64));
    SF_CHECK(!emp_ident_valid("has space", 64));
    SF_CHECK(!emp_ident_valid("", 64));
    SF_CHECK(!emp_ident_valid("toolong", 3));
    return sf_test_done();
}
