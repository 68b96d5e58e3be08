/* Date validity, day numbers and the district's time zone. */
#include "sf_dates.h"
#include "sf_config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bool
sf_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int
sf_month_days(int year, int month)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (month < 1 || month > 12)
        return 0;
    return days[month - 1] + (month == 2 && sf_leap_year(year));
}

bool
sf_date_valid(int year, int month, int day)
{
    return year >= SF_DATE_YEAR_MIN && year <= SF_DATE_YEAR_MAX && day >= 1 && day <= sf_month_days(year, month);
}

/* Howard Hinnant's days_from_civil. */
int32_t
sf_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void
sf_civil_from_days(int32_t z, int *y, int *m, int *d)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp + (mp < 10 ? 3 : -9);
    *y = yoe + era * 400 + (*m <= 2);
}

bool
sf_date_parse(const char *text, int32_t *day)
{
    if (!text || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
            return false;
    int y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
    int m = (text[5] - '0') * 10 + (text[6] - '0');
    int d = (text[8] - '0') * 10 + (text[9] - '0');
    if (!sf_date_valid(y, m, d))
        return false;
    if (day)
        *day = sf_days_from_civil(y, m, d);
    return true;
}

void
sf_date_format(int32_t day, char out[11])
{
    int y, m, d;
    sf_civil_from_days(day, &y, &m, &d);
    out[0] = (char) ('0' + y / 1000 % 10);
    out[1] = (char) ('0' + y / 100 % 10);
    out[2] = (char) ('0' + y / 10 % 10);
    out[3] = (char) ('0' + y % 10);
    out[4] = '-';
    out[5] = (char) ('0' + m / 10);
    out[6] = (char) ('0' + m % 10);
    out[7] = '-';
    out[8] = (char) ('0' + d / 10);
    out[9] = (char) ('0' + d % 10);
    out[10] = 0;
}

bool
sf_calendar_set(const char *setting, const char *zone, char *error, size_t error_size)
{
    if (!sf_zone_name_valid(zone)) {
        snprintf(error, error_size, "%s must be a time zone name like Asia/Shanghai", setting);
        return false;
    }
    /* glibc falls back to UTC, silently, for a zone it cannot read: look
     * for the file first, where glibc would. */
    const char *directory = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", directory && *directory ? directory : "/usr/share/zoneinfo", zone);
    if (access(path, R_OK) != 0) {
        snprintf(error, error_size, "%s: no time zone %s (%s: %s; is tzdata installed?)", setting, zone, path,
                 strerror(errno));
        return false;
    }
    if (setenv("TZ", zone, 1) != 0) {
        snprintf(error, error_size, "cannot set TZ: %s", strerror(errno));
        return false;
    }
    tzset();
    return true;
}

int32_t
sf_today(void)
{
    time_t now = time(NULL);
    struct tm local;
    if (!localtime_r(&now, &local))
        return (int32_t) (now / 86400);
    return sf_days_from_civil(local.tm_year + 1900, local.tm_mon + 1, local.tm_mday);
}

bool
sf_date_not_future(int32_t day)
{
    return day <= sf_today() + 1;
}
