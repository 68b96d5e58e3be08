/* The pure rules of the volunteer registry: codes, ids, dates, hours,
 * availability windows, and text fields. */
#include "volunteer_rules.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

bool
volunteer_code_digits(const char *code)
{
    if (!code || !*code)
        return false;
    for (const char *c = code; *c; c++)
        if (*c < '0' || *c > '9')
            return false;
    return true;
}

bool
volunteer_code_of_length(const char *code, size_t length)
{
    return volunteer_code_digits(code) && strlen(code) == length;
}

bool
volunteer_code_prefix_valid(const char *prefix)
{
    if (!prefix || !*prefix)
        return true;
    return volunteer_code_digits(prefix) && strlen(prefix) <= VOLUNTEER_HOUSEHOLD_CODE_LENGTH;
}

bool
volunteer_code_starts_with(const char *code, const char *prefix)
{
    return strncmp(code ? code : "", prefix ? prefix : "", strlen(prefix ? prefix : "")) == 0;
}

bool
volunteer_code_clip(const char *scope, const char *under, const char **prefix)
{
    scope = scope ? scope : "";
    under = under ? under : "";
    if (volunteer_code_starts_with(under, scope)) {
        *prefix = under;
        return true;
    }
    if (volunteer_code_starts_with(scope, under)) {
        *prefix = scope;
        return true;
    }
    *prefix = NULL;
    return false;
}

bool
volunteer_id_parse(const char *id, char letter, int64_t *serial)
{
    if (!id || id[0] != letter)
        return false;
    size_t length = strlen(id + 1);
    if (length == 0 || length > 18 || !volunteer_code_digits(id + 1))
        return false;
    int64_t value = 0;
    for (const char *c = id + 1; *c; c++)
        value = value * 10 + (*c - '0');
    *serial = value;
    return value > 0;
}

void
volunteer_id_format(char letter, int width, int64_t serial, char *out, size_t size)
{
    snprintf(out, size, "%c%0*lld", letter, width, (long long) serial);
}

bool
volunteer_date_valid(const char *date)
{
    if (!date || strlen(date) != 10 || date[4] != '-' || date[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (date[i] < '0' || date[i] > '9'))
            return false;
    int year = (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
    int month = (date[5] - '0') * 10 + (date[6] - '0');
    int day = (date[8] - '0') * 10 + (date[9] - '0');
    if (year < 1900 || year > 2999 || month < 1 || month > 12 || day < 1)
        return false;
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int last = days[month - 1] + (month == 2 && leap ? 1 : 0);
    return day <= last;
}

bool
volunteer_hours_valid(double hours)
{
    if (!isfinite(hours) || hours <= 0 || hours > 24)
        return false;
    double quarters = hours * 4;
    return fabs(quarters - round(quarters)) < 1e-6;
}

double
volunteer_hours_round(double hours)
{
    return round(hours * 4) / 4;
}

bool
volunteer_window_valid(int weekday, int start_minute, int end_minute)
{
    return weekday >= 0 && weekday <= 7 && start_minute >= 0 && start_minute <= 1439
        && end_minute > start_minute && end_minute <= 1440;
}

bool
volunteer_skill_code_valid(const char *code)
{
    size_t length = code ? strlen(code) : 0;
    if (length == 0 || length > VOLUNTEER_SKILL_CODE_MAX)
        return false;
    for (const char *c = code; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return false;
    return true;
}

bool
volunteer_national_number_valid(const char *number)
{
    size_t length = number ? strlen(number) : 0;
    if (length == 0 || length > VOLUNTEER_NATIONAL_NUMBER_MAX)
        return false;
    for (const char *c = number; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')
              || *c == '-'))
            return false;
    return true;
}

bool
volunteer_credit_code_valid(const char *code)
{
    if (!code || strlen(code) != 18)
        return false;
    for (const char *c = code; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
            return false;
    return true;
}

