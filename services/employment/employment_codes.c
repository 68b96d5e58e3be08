/* Unified social credit codes, dates, occupation and unit codes, working age
 * and identifiers: the pure checks behind employment's field violations. */
#include "employment_codes.h"
#include "sf_config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* GB 32100-2015: 31 characters, the digits and the capitals without I, O, S,
 * V and Z, valued 0-30 in this order. */
static const char credit_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int credit_weights[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };

static int
credit_value(char c)
{
    const char *at = c ? strchr(credit_alphabet, c) : NULL;
    return at ? (int) (at - credit_alphabet) : -1;
}

char
emp_credit_code_check_char(const char *body17)
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int value = credit_value(body17[i]);
        if (value < 0)
            return 0;
        sum += value * credit_weights[i];
    }
    int check = 31 - sum % 31;
    return credit_alphabet[check == 31 ? 0 : check];
}

bool
emp_credit_code_valid(const char *code)
{
    if (!code || strlen(code) != EMP_CREDIT_CODE_LENGTH)
        return false;
    for (int i = 2; i < 8; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    char check = emp_credit_code_check_char(code);
    return check && check == code[17];
}

/* Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int32_t
days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
civil_from_days(int32_t z, int *y, int *m, int *d)
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

static bool
leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool
emp_date_parse(const char *text, int32_t *day)
{
    if (!text || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
            return false;
    int y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
    int m = (text[5] - '0') * 10 + (text[6] - '0');
    int d = (text[8] - '0') * 10 + (text[9] - '0');
    static const int month_days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1)
        return false;
    if (d > month_days[m - 1] + (m == 2 && leap(y)))
        return false;
    if (day)
        *day = days_from_civil(y, m, d);
    return true;
}

bool
emp_calendar_set(const char *zone, char *error, size_t error_size)
{
    if (!sf_zone_name_valid(zone)) {
        snprintf(error, error_size, "SIFANG_EMPLOYMENT_TIMEZONE must be a time zone name like Asia/Shanghai");
        return false;
    }
    /* glibc falls back to UTC, silently, for a zone it cannot read: look
     * for the file first, where glibc would. */
    const char *directory = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", directory && *directory ? directory : "/usr/share/zoneinfo", zone);
    if (access(path, R_OK) != 0) {
        snprintf(error, error_size, "SIFANG_EMPLOYMENT_TIMEZONE: no time zone %s (%s: %s; is tzdata installed?)",
                 zone, path, strerror(errno));
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
emp_today(void)
{
    time_t now = time(NULL);
    struct tm local;
    if (!localtime_r(&now, &local))
        return (int32_t) (now / 86400);
    return days_from_civil(local.tm_year + 1900, local.tm_mon + 1, local.tm_mday);
}

void
emp_date_format(int32_t day, char out[11])
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
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

int
emp_age_on(int32_t birth, int32_t day)
{
    int by, bm, bd, y, m, d;
    civil_from_days(birth, &by, &bm, &bd);
    civil_from_days(day, &y, &m, &d);
    int age = y - by;
    if (m < bm || (m == bm && d < bd))
        age--;
    return age;
}

static bool
two_digits(const char *p)
{
    return p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9';
}

int
emp_occupation_level(const char *code)
{
    if (!code || code[0] < '1' || code[0] > '8')
        return 0;
    size_t length = strlen(code);
    if (length == 1)
        return 1;
    int level = 1;
    for (size_t at = 1; at < length; at += 3) {
        if (length - at < 3 || code[at] != '-' || !two_digits(code + at + 1))
            return 0;
        level++;
    }
    return level <= 4 ? level : 0;
}

bool
emp_unit_code_valid(const char *code)
{
    size_t length = code ? strlen(code) : 0;
    if (length < 6 || length > 18)
        return false;
    for (size_t i = 0; i < length; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    return true;
}

bool
emp_zone_code_valid(const char *code)
{
    return emp_unit_code_valid(code) && strlen(code) == 14;
}

bool
emp_ident_valid(const char *text, size_t max)
{
    size_t length = text ? strlen(text) : 0;
    if (length == 0 || length > max)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                  || strchr("._-:/@", c) != NULL;
        if (!ok)
            return false;
    }
    return true;
}

