/* The pure rules of the volunteer registry: hours, availability windows,
 * and text fields. */
#include "volunteer_rules.h"
#include <math.h>
#include <string.h>

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
