/* Unit test of employment's pure checks: unified social credit codes (GB
 * 32100-2015), dates, ages and the district's calendar, occupation, unit
 * and identifier shapes. */
#include "employment_codes.h"
#include "sf_test.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

int
main(void)
{
    /* The standard's own example and codes of registered enterprises. */
    SF_CHECK(emp_credit_code_valid("91350100M000100Y43"));
    SF_CHECK(emp_credit_code_valid("91110000600037341L"));
    SF_CHECK(emp_credit_code_valid("91370200163562681G"));
    SF_CHECK_EQ_INT(emp_credit_code_check_char("91350100M000100Y4"), '3');
    /* One character changed, the check character wrong, the wrong length,
     * a letter the code never uses, a letter in the division code. */
    SF_CHECK(!emp_credit_code_valid("91350100M000100Y44"));
    SF_CHECK(!emp_credit_code_valid("91350100M000100Z43"));
    SF_CHECK(!emp_credit_code_valid("91350100M000100Y4"));
    SF_CHECK(!emp_credit_code_valid("91350100M000100Y433"));
    SF_CHECK(!emp_credit_code_valid("9135010OM000100Y43"));
    SF_CHECK(!emp_credit_code_valid("913A0100M000100Y43"));
    SF_CHECK(!emp_credit_code_valid("91350100m000100Y43"));
    SF_CHECK(!emp_credit_code_valid(""));
    SF_CHECK(!emp_credit_code_valid(NULL));
    /* Every body gets a check character that makes it valid. */
    char code[19] = "9137020500000000X0";
    for (int i = 0; i < 1000; i++) {
        code[8 + i % 9] = "0123456789ABCDEFGHJKLMNPQRTUWXY"[i % 31];
        code[17] = emp_credit_code_check_char(code);
        SF_CHECK(emp_credit_code_valid(code));
    }

    int32_t day = 0, birth = 0;
    SF_CHECK(emp_date_parse("2012-02-29", &day));
    SF_CHECK(!emp_date_parse("2011-02-29", NULL));
    SF_CHECK(!emp_date_parse("2012-13-01", NULL));
    SF_CHECK(!emp_date_parse("2012-1-01", NULL));
    SF_CHECK(!emp_date_parse("1899-12-31", NULL));
    SF_CHECK(!emp_date_parse("", NULL));
    char text[11];
    emp_date_format(day, text);
    SF_CHECK_EQ_STR(text, "2012-02-29");
    emp_date_format(0, text);
    SF_CHECK_EQ_STR(text, "1970-01-01");
    SF_CHECK(emp_date_parse("1952-03-01", &birth));
    SF_CHECK_EQ_INT(emp_age_on(birth, day), 59);
    SF_CHECK(emp_date_parse("2012-03-01", &day));
    SF_CHECK_EQ_INT(emp_age_on(birth, day), 60);
    SF_CHECK(emp_today() > 15000);

    /* The district's calendar: today where the district is, which is not
     * UTC's today for a third of the day or more. */
    char error[256];
    SF_CHECK(!emp_calendar_set("Nowhere/Atlantis", error, sizeof error) && strstr(error, "no time zone"));
    SF_CHECK(!emp_calendar_set("../../etc/passwd", error, sizeof error));
    SF_CHECK(!emp_calendar_set("/etc/localtime", error, sizeof error));
    SF_CHECK(!emp_calendar_set("", error, sizeof error));
    static const struct { const char *zone; int hours; } zones[] = {
        { "Asia/Shanghai", 8 }, { "Etc/GMT-14", 14 }, { "Etc/GMT+12", -12 }, { "UTC", 0 },
    };
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        if (!SF_CHECK(emp_calendar_set(zones[i].zone, error, sizeof error)))
            printf("%s: %s\n", zones[i].zone, error);
        time_t before = time(NULL);
        int32_t today = emp_today();
        time_t after = time(NULL);
        SF_CHECK(today == (before + zones[i].hours * 3600) / 86400 || today == (after + zones[i].hours * 3600) / 86400);
    }

    SF_CHECK_EQ_INT(emp_occupation_level("4"), 1);
    SF_CHECK_EQ_INT(emp_occupation_level("4-03"), 2);
    SF_CHECK_EQ_INT(emp_occupation_level("4-03-02"), 3);
    SF_CHECK_EQ_INT(emp_occupation_level("4-03-02-01"), 4);
    SF_CHECK_EQ_INT(emp_occupation_level("9-03"), 0);
    SF_CHECK_EQ_INT(emp_occupation_level("4-3"), 0);
    SF_CHECK_EQ_INT(emp_occupation_level("4-03-02-01-01"), 0);
    SF_CHECK_EQ_INT(emp_occupation_level("4-03-"), 0);
    SF_CHECK_EQ_INT(emp_occupation_level(""), 0);

    SF_CHECK(emp_zone_code_valid("37020500100101"));
    SF_CHECK(!emp_zone_code_valid("370205001001"));
    SF_CHECK(emp_unit_code_valid("370205001"));
    SF_CHECK(!emp_unit_code_valid("37020a001"));
    SF_CHECK(emp_ident_valid("qd-labour/2012:P_1@x.y", 64));
    SF_CHECK(!emp_ident_valid("has space", 64));
    SF_CHECK(!emp_ident_valid("", 64));
    SF_CHECK(!emp_ident_valid("toolong", 3));
    return sf_test_done();
}
