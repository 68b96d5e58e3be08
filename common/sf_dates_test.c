/* Dates, leap years, day numbers and the district's calendar. */
#include "sf_dates.h"
#include "sf_test.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

int
main(void)
{
    SF_CHECK(sf_leap_year(2012));
    SF_CHECK(sf_leap_year(2000));
    SF_CHECK(!sf_leap_year(1900));
    SF_CHECK(!sf_leap_year(2026));
    SF_CHECK_EQ_INT(sf_month_days(2012, 2), 29);
    SF_CHECK_EQ_INT(sf_month_days(2100, 2), 28);
    SF_CHECK_EQ_INT(sf_month_days(2026, 4), 30);
    SF_CHECK_EQ_INT(sf_month_days(2026, 13), 0);
    SF_CHECK(sf_date_valid(2000, 2, 29));
    SF_CHECK(!sf_date_valid(1900, 2, 29));
    SF_CHECK(!sf_date_valid(1899, 12, 31));
    SF_CHECK(!sf_date_valid(3000, 1, 1));
    SF_CHECK(!sf_date_valid(2026, 0, 1));
    SF_CHECK(!sf_date_valid(2026, 1, 0));

    int32_t day = 0;
    SF_CHECK(sf_date_parse("2012-02-29", &day));
    SF_CHECK(!sf_date_parse("2011-02-29", NULL));
    SF_CHECK(!sf_date_parse("2012-13-01", NULL));
    SF_CHECK(!sf_date_parse("2012-1-01", NULL));
    SF_CHECK(!sf_date_parse("2012-01-01 ", NULL));
    SF_CHECK(!sf_date_parse("2012/01/01", NULL));
    SF_CHECK(!sf_date_parse("1899-12-31", NULL));
    SF_CHECK(sf_date_parse("2999-12-31", NULL));
    SF_CHECK(!sf_date_parse("", NULL));
    SF_CHECK(!sf_date_parse(NULL, NULL));
    char text[11];
    sf_date_format(day, text);
    SF_CHECK_EQ_STR(text, "2012-02-29");
    sf_date_format(0, text);
    SF_CHECK_EQ_STR(text, "1970-01-01");
    SF_CHECK_EQ_INT(sf_days_from_civil(1970, 1, 1), 0);
    SF_CHECK_EQ_INT(sf_days_from_civil(2026, 1, 1), 20454);
    int y, m, d;
    sf_civil_from_days(-1, &y, &m, &d);
    SF_CHECK(y == 1969 && m == 12 && d == 31);
    /* Every day of four centuries goes there and back. */
    for (int32_t n = sf_days_from_civil(1900, 1, 1); n <= sf_days_from_civil(2300, 12, 31); n++) {
        sf_civil_from_days(n, &y, &m, &d);
        if (!SF_CHECK(sf_days_from_civil(y, m, d) == n && d <= sf_month_days(y, m)))
            break;
    }
    SF_CHECK(sf_today() > 20000);

    /* The district's calendar: today where the district is, which is not
     * UTC's today for a third of the day or more. */
    char error[256];
    SF_CHECK(!sf_calendar_set("SIFANG_X_TIMEZONE", "Nowhere/Atlantis", error, sizeof error)
             && strstr(error, "SIFANG_X_TIMEZONE: no time zone"));
    SF_CHECK(!sf_calendar_set("SIFANG_X_TIMEZONE", "../../etc/passwd", error, sizeof error)
             && strstr(error, "SIFANG_X_TIMEZONE must be"));
    SF_CHECK(!sf_calendar_set("SIFANG_X_TIMEZONE", "/etc/localtime", error, sizeof error));
    SF_CHECK(!sf_calendar_set("SIFANG_X_TIMEZONE", "", error, sizeof error));
    static const struct { const char *zone; int hours; } zones[] = {
        { "Asia/Shanghai", 8 }, { "Etc/GMT-14", 14 }, { "Etc/GMT+12", -12 }, { "UTC", 0 },
    };
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        if (!SF_CHECK(sf_calendar_set("SIFANG_X_TIMEZONE", zones[i].zone, error, sizeof error)))
            printf("%s: %s\n", zones[i].zone, error);
        time_t before = time(NULL);
        int32_t today = sf_today();
        time_t after = time(NULL);
        SF_CHECK(today == (before + zones[i].hours * 3600) / 86400 || today == (after + zones[i].hours * 3600) / 86400);
    }
    return sf_test_done();
}
