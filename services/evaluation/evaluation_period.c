/* Period codes and the calendar arithmetic behind them. */
#include "evaluation_period.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

static void
make(eval_period_t *period, eval_period_kind_t kind, int year, int first_month)
{
    period->kind = kind;
    period->year = year;
    period->first_month = first_month;
    switch (kind) {
    case EVAL_PERIOD_MONTH:
        period->months = 1;
        snprintf(period->code, sizeof period->code, "%04d-%02d", year, first_month);
        break;
    case EVAL_PERIOD_HALF_YEAR:
        period->months = 6;
        snprintf(period->code, sizeof period->code, "%04d-H%d", year, first_month == 1 ? 1 : 2);
        break;
    case EVAL_PERIOD_YEAR:
        period->months = 12;
        snprintf(period->code, sizeof period->code, "%04d", year);
        break;
    }
}

static bool
digits(const char *text, int n)
{
    for (int i = 0; i < n; i++)
        if (text[i] < '0' || text[i] > '9')
            return false;
    return true;
}

bool
eval_period_parse(const char *code, eval_period_t *period)
{
    if (!code || !digits(code, 4))
        return false;
    int year = (code[0] - '0') * 1000 + (code[1] - '0') * 100 + (code[2] - '0') * 10 + (code[3] - '0');
    if (year < 2000 || year > 2099)
        return false;
    size_t length = strlen(code);
    if (length == 4) {
        make(period, EVAL_PERIOD_YEAR, year, 1);
        return true;
    }
    if (length != 7 || code[4] != '-')
        return false;
    if (code[5] == 'H' && (code[6] == '1' || code[6] == '2')) {
        make(period, EVAL_PERIOD_HALF_YEAR, year, code[6] == '1' ? 1 : 7);
        return true;
    }
    if (!digits(code + 5, 2))
        return false;
    int month = (code[5] - '0') * 10 + (code[6] - '0');
    if (month < 1 || month > 12)
        return false;
    make(period, EVAL_PERIOD_MONTH, year, month);
    return true;
}

void
eval_period_of(int64_t unix_ms, eval_period_t *month, eval_period_t *half, eval_period_t *year)
{
    /* Floor division, so that moments before 1970 would still land right. */
    int64_t seconds = unix_ms >= 0 ? unix_ms / 1000 : -((-unix_ms + 999) / 1000);
    time_t moment = (time_t) seconds;
    struct tm tm;
    /* The district's calendar: TZ, set by sf_calendar_set at start. */
    if (!localtime_r(&moment, &tm))
        gmtime_r(&moment, &tm);
    int y = tm.tm_year + 1900, m = tm.tm_mon + 1;
    if (month)
        make(month, EVAL_PERIOD_MONTH, y, m);
    if (half)
        make(half, EVAL_PERIOD_HALF_YEAR, y, m <= 6 ? 1 : 7);
    if (year)
        make(year, EVAL_PERIOD_YEAR, y, 1);
}

void
eval_period_month(const eval_period_t *period, int i, eval_period_t *month)
{
    make(month, EVAL_PERIOD_MONTH, period->year, period->first_month + i);
}

void
eval_period_year_of(const eval_period_t *period, eval_period_t *year)
{
    make(year, EVAL_PERIOD_YEAR, period->year, 1);
}

bool
eval_period_within(const eval_period_t *inner, const eval_period_t *outer)
{
    return inner->year == outer->year && inner->first_month >= outer->first_month
        && inner->first_month + inner->months <= outer->first_month + outer->months;
}

void
eval_period_current(eval_period_kind_t kind, int64_t unix_ms, eval_period_t *period)
{
    eval_period_t month, half, year;
    eval_period_of(unix_ms, &month, &half, &year);
    *period = kind == EVAL_PERIOD_MONTH ? month : kind == EVAL_PERIOD_HALF_YEAR ? half : year;
}

bool
eval_period_of_date(const char *date, eval_period_t *month, eval_period_t *half, eval_period_t *year)
{
    char code[8];
    if (!date || strlen(date) != 10 || date[4] != '-' || date[7] != '-' || !digits(date + 8, 2))
        return false;
    memcpy(code, date, 7);
    code[7] = '\0';
    eval_period_t parsed;
    if (!eval_period_parse(code, &parsed) || parsed.kind != EVAL_PERIOD_MONTH)
        return false;
    int day = (date[8] - '0') * 10 + (date[9] - '0');
    if (day < 1 || day > 31)
        return false;
    *month = parsed;
    make(half, EVAL_PERIOD_HALF_YEAR, parsed.year, parsed.first_month <= 6 ? 1 : 7);
    make(year, EVAL_PERIOD_YEAR, parsed.year, 1);
    return true;
}
