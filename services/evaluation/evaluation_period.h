/* Period codes: a month "2026-11", a half-year "2026-H2", a year "2026";
 * which periods a moment falls in (in the district's time zone), and the
 * months a period spans. Pure functions, unit-tested. */
#ifndef EVALUATION_PERIOD_H
#define EVALUATION_PERIOD_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    EVAL_PERIOD_MONTH = 1,
    EVAL_PERIOD_HALF_YEAR = 2,
    EVAL_PERIOD_YEAR = 3,
} eval_period_kind_t;

#define EVAL_PERIOD_SIZE 32

typedef struct {
    eval_period_kind_t kind;
    int year;
    int first_month;          /* 1..12 */
    int months;               /* 1, 6 or 12 */
    char code[EVAL_PERIOD_SIZE];
} eval_period_t;

/* Parses a period code; false when it is none (years 2000..2099). */
bool eval_period_parse(const char *code, eval_period_t *period);
/* The month, half-year and year a moment (ms since the epoch) falls in, in
 * the district's calendar (sf_calendar_set, SIFANG_EVALUATION_TIMEZONE):
 * 2026-06-30 20:00 UTC is July, the second half, in Qingdao. */
void eval_period_of(int64_t unix_ms, eval_period_t *month, eval_period_t *half, eval_period_t *year);
/* The i-th month (0-based) of a period. */
void eval_period_month(const eval_period_t *period, int i, eval_period_t *month);
/* The year a period lies in. */
void eval_period_year_of(const eval_period_t *period, eval_period_t *year);
/* Whether a period lies within another (a month within its half-year ...). */
bool eval_period_within(const eval_period_t *inner, const eval_period_t *outer);
/* The period of the same kind that holds a moment. */
void eval_period_current(eval_period_kind_t kind, int64_t unix_ms, eval_period_t *period);



/* The month, half-year and year of a local date "YYYY-MM-DD"; false when it
 * is none. */
bool eval_period_of_date(const char *date, eval_period_t *month, eval_period_t *half, eval_period_t *year);
#endif
