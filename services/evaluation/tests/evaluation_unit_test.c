/* The pure parts of evaluation: period codes and the calendar, KPI
 * expressions, and the survey statistics (Wilson, t, Spearman). */
#include "evaluation_expr.h"
#include "evaluation_period.h"
#include "evaluation_stats.h"
#include "sf_dates.h"
#include "sf_test.h"
#include <stdio.h>
#include <time.h>
#include <math.h>
#include <string.h>

static void
test_periods(void)
{
    eval_period_t p;
    SF_CHECK(eval_period_parse("2026-11", &p) && p.kind == EVAL_PERIOD_MONTH && p.first_month == 11 && p.months == 1);
    SF_CHECK(eval_period_parse("2026-H2", &p) && p.kind == EVAL_PERIOD_HALF_YEAR && p.first_month == 7);
    SF_CHECK_EQ_STR(p.code, "2026-H2");
    SF_CHECK(eval_period_parse("2026", &p) && p.kind == EVAL_PERIOD_YEAR && p.months == 12);
    const char *bad[] = { "", "26", "2026-13", "2026-00", "2026-H3", "1999", "2026-1", "2026-H", "20261",
                          "2026-11x", "abcd" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        SF_CHECK(!eval_period_parse(bad[i], &p));
    /* The district's calendar decides a moment's periods (TZ, which the
     * daemon sets from SIFANG_EVALUATION_TIMEZONE): 2026-06-30 20:00 UTC is
     * 2026-07-01 04:00 in Qingdao, the second half. */
    eval_period_t month, half, year;
    int64_t moment = 1782849600000LL;   /* 2026-06-30T20:00:00Z */
    char error[256];
    SF_CHECK(sf_calendar_set("SIFANG_EVALUATION_TIMEZONE", "Asia/Shanghai", error, sizeof error));
    eval_period_of(moment, &month, &half, &year);
    SF_CHECK_EQ_STR(month.code, "2026-07");
    SF_CHECK_EQ_STR(half.code, "2026-H2");
    SF_CHECK_EQ_STR(year.code, "2026");
    SF_CHECK(sf_calendar_set("SIFANG_EVALUATION_TIMEZONE", "UTC", error, sizeof error));
    eval_period_of(moment, &month, &half, &year);
    SF_CHECK_EQ_STR(month.code, "2026-06");
    SF_CHECK_EQ_STR(half.code, "2026-H1");
    /* A new year's eve, 12:00 UTC: already next year 14 hours ahead, still
     * this year 12 hours behind; and 2026-12-31 23:00 in Etc/GMT+12 (11:00
     * UTC on New Year's Day) is still December there. */
    int64_t eve = 1798718400000LL;      /* 2026-12-31T12:00:00Z */
    SF_CHECK(sf_calendar_set("SIFANG_EVALUATION_TIMEZONE", "Etc/GMT-14", error, sizeof error));
    eval_period_of(eve, &month, &half, &year);
    SF_CHECK_EQ_STR(month.code, "2027-01");
    SF_CHECK_EQ_STR(half.code, "2027-H1");
    SF_CHECK_EQ_STR(year.code, "2027");
    eval_period_current(EVAL_PERIOD_YEAR, eve, &year);
    SF_CHECK_EQ_STR(year.code, "2027");
    SF_CHECK(sf_calendar_set("SIFANG_EVALUATION_TIMEZONE", "Etc/GMT+12", error, sizeof error));
    eval_period_of(eve + 23 * 3600000LL, &month, &half, &year);
    SF_CHECK_EQ_STR(month.code, "2026-12");
    SF_CHECK_EQ_STR(year.code, "2026");
    /* Now: the month of today in a zone whose date is not UTC's (14 hours
     * ahead or 12 behind: one of them always is) is the month of that
     * zone's today, as sf_today gives it. */
    time_t now = time(NULL);
    bool ahead = (now + 14 * 3600) / 86400 != now / 86400;
    SF_CHECK(sf_calendar_set("SIFANG_EVALUATION_TIMEZONE", ahead ? "Etc/GMT-14" : "Etc/GMT+12", error, sizeof error));
    char today[11], expected[8];
    sf_date_format(sf_today(), today);
    SF_CHECK(sf_today() != (int32_t) (now / 86400));
    SF_CHECK_EQ_INT(sf_today(), (int32_t) ((now + (ahead ? 14 : -12) * 3600) / 86400));
    snprintf(expected, sizeof expected, "%.7s", today);
    eval_period_current(EVAL_PERIOD_MONTH, (int64_t) now * 1000, &month);
    SF_CHECK_EQ_STR(month.code, expected);
    eval_period_parse("2026-H1", &half);
    eval_period_month(&half, 5, &month);
    SF_CHECK_EQ_STR(month.code, "2026-06");
    SF_CHECK(eval_period_within(&month, &half));
    eval_period_parse("2026-07", &month);
    SF_CHECK(!eval_period_within(&month, &half));
    SF_CHECK(eval_period_of_date("2012-10-31", &month, &half, &year));
    SF_CHECK_EQ_STR(month.code, "2012-10");
    SF_CHECK_EQ_STR(half.code, "2012-H2");
    SF_CHECK(!eval_period_of_date("2012-13-01", &month, &half, &year));
    SF_CHECK(!eval_period_of_date("2012-10-1", &month, &half, &year));
}

static double
figures(void *arg, bool input, const char *name)
{
    (void) arg;
    if (input)
        return strcmp(name, "activity_budget") == 0 ? 27000 : 0;
    if (strcmp(name, "a") == 0)
        return 6;
    if (strcmp(name, "b") == 0)
        return 3;
    return 0;   /* "zero" and anything else */
}

static double
value_of(const char *text)
{
    eval_expr_t expr;
    char error[128];
    double value = NAN;
    if (!eval_expr_parse(text, &expr, error, sizeof error)) {
        SF_FAIL("%s: %s", text, error);
        return NAN;
    }
    if (!eval_expr_eval(&expr, figures, NULL, &value))
        return INFINITY;
    return value;
}

static void
test_expressions(void)
{
    SF_CHECK(value_of("#{a}") == 6);
    SF_CHECK(value_of("#{a} + #{b} * 2") == 12);
    SF_CHECK(value_of("(#{a} + #{b}) * 2") == 18);
    SF_CHECK(value_of("#{a} - #{b} - 1") == 2);       /* left-associative */
    SF_CHECK(value_of("#{a} / #{b} / 2") == 1);
    SF_CHECK(value_of("-#{a} + 10") == 4);
    SF_CHECK(value_of("- (#{a} - 10)") == 4);
    SF_CHECK(value_of("1.5e3 / I{activity_budget}") == 1500.0 / 27000);
    SF_CHECK(value_of("") == 1);                       /* an empty denominator */
    SF_CHECK(isinf(value_of("#{a} / #{zero}")));       /* no value, never a crash */
    const char *bad[] = { "#{a} +", "(#{a}", "#{a})", "#{A}", "#{}", "#{a", "a", "#{a} #{b}", "* 2", "I{x-y}",
                          "#{a} ^ 2", "1..2" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        eval_expr_t expr;
        char error[128] = "";
        if (!SF_CHECK(!eval_expr_parse(bad[i], &expr, error, sizeof error)))
            printf("accepted: %s\n", bad[i]);
        SF_CHECK(error[0] != '\0');
    }
    /* Too long for the token table is refused, not overrun. */
    char long_text[2000] = "";
    for (int i = 0; i < 120; i++)
        strcat(long_text, i ? " + #{a}" : "#{a}");
    eval_expr_t expr;
    char error[128];
    SF_CHECK(!eval_expr_parse(long_text, &expr, error, sizeof error));
}

static void
test_statistics(void)
{
    double low, high;
    /* Wilson for 8 of 10: 0.4902 .. 0.9433 (Newcombe 1998). */
    eval_wilson(8, 10, &low, &high);
    SF_CHECK(fabs(low - 0.4902) < 1e-3 && fabs(high - 0.9433) < 1e-3);
    eval_wilson(0, 10, &low, &high);
    SF_CHECK(low == 0 && fabs(high - 0.2775) < 1e-3);
    eval_wilson(0, 0, &low, &high);
    SF_CHECK(low == 0 && high == 1);
    SF_CHECK(fabs(eval_t975(1) - 12.706) < 1e-3);
    SF_CHECK(fabs(eval_t975(10) - 2.228) < 1e-3);
    SF_CHECK(fabs(eval_t975(60) - 2.000) < 2e-3);
    SF_CHECK(fabs(eval_t975(1000) - 1.962) < 1e-3);
    int a[] = { 1, 2, 3, 4 }, b[] = { 1, 2, 3, 4 }, c[] = { 4, 3, 2, 1 };
    SF_CHECK(fabs(eval_spearman(a, b, 4) - 1) < 1e-12);
    SF_CHECK(fabs(eval_spearman(a, c, 4) + 1) < 1e-12);
    eval_moments_t m = { 0 };
    double xs[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
    for (int i = 0; i < 8; i++)
        eval_moments_add(&m, xs[i]);
    SF_CHECK(fabs(m.mean - 5) < 1e-12 && fabs(eval_moments_variance(&m) - 32.0 / 7) < 1e-12);
}

int
main(void)
{
    test_periods();
    test_expressions();
    test_statistics();
    return sf_test_done();
}
