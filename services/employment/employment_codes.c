/* Working age, occupation codes and identifiers: the pure checks behind
 * employment's field violations that are employment's own. */
#include "employment_codes.h"
#include <string.h>

int
emp_age_on(int32_t birth, int32_t day)
{
    int by, bm, bd, y, m, d;
    sf_civil_from_days(birth, &by, &bm, &bd);
    sf_civil_from_days(day, &y, &m, &d);
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

