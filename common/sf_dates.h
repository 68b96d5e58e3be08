/* Calendar dates and the district's calendar, one rule for every service:
 * "YYYY-MM-DD" dates of the proleptic Gregorian calendar (leap years: every
 * fourth, but not every hundredth, yet every four-hundredth), day numbers
 * (days since 1970-01-01), and the district's time zone, which every daemon
 * takes as a tzdata name (SIFANG_<SERVICE>_TIMEZONE). */
#ifndef SF_DATES_H
#define SF_DATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The years a date may name anywhere in the suite. */
#define SF_DATE_YEAR_MIN 1900
#define SF_DATE_YEAR_MAX 2999

bool sf_leap_year(int year);
/* Days in a month (1-12) of a year; 0 for a month out of range. */
int sf_month_days(int year, int month);
/* Whether year-month-day is a real date between SF_DATE_YEAR_MIN and
 * SF_DATE_YEAR_MAX. */
bool sf_date_valid(int year, int month, int day);
/* A date written "YYYY-MM-DD" (exactly, digits and dashes) that
 * sf_date_valid: true with its day number in *day (may be NULL). */
bool sf_date_parse(const char *text, int32_t *day);
/* Whether a day has already come in the district: at most today in its
 * calendar, and a day of slack for a caller whose clock is ahead (a date of
 * birth, of something done). */
bool sf_date_not_future(int32_t day);
/* "YYYY-MM-DD" for a day number into out (11 bytes). */
void sf_date_format(int32_t day, char out[11]);
/* Day numbers from and to year, month, day. */
int32_t sf_days_from_civil(int year, int month, int day);
void sf_civil_from_days(int32_t day, int *year, int *month, int *mday);

/* The district's calendar: makes zone (an IANA name such as
 * "Asia/Shanghai" whose tzdata file exists) the process's local time (TZ).
 * Call once at startup, before any thread. False with a message naming
 * setting in error otherwise. */
bool sf_calendar_set(const char *setting, const char *zone, char *error, size_t error_size);
/* The day number of today in the district's calendar (UTC until
 * sf_calendar_set). A case worker in Qingdao at 07:00 on the 7th is on the
 * 7th, while UTC is still on the 6th. */
int32_t sf_today(void);

#endif
