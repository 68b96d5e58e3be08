/* The pure checks employment's handlers share: unified social credit codes
 * (GB 32100-2015), dates and the district's calendar, occupation and org unit codes, working age, and
 * identifiers from outside. No database, no call: unit-tested on their own. */
#ifndef EMPLOYMENT_CODES_H
#define EMPLOYMENT_CODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EMP_CREDIT_CODE_LENGTH 18

/* The check character a 17-character body of a unified social credit code
 * must end with ('0'-'9' or one of ABCDEFGHJKLMNPQRTUWXY), or 0 when the body
 * holds a character outside the code's alphabet. */
char emp_credit_code_check_char(const char *body17);
/* Whether code is an 18-character unified social credit code: its alphabet
 * (digits and capitals but I O S V Z), a six-digit division code in places
 * 3-8, and the check character of GB 32100-2015. */
bool emp_credit_code_valid(const char *code);

/* A calendar date "YYYY-MM-DD" between 1900-01-01 and 2999-12-31: true with
 * the day number (days since 1970-01-01) in *day (may be NULL). */
bool emp_date_parse(const char *text, int32_t *day);
/* The district's calendar: what day it is where the district is. Takes an
 * IANA zone name ("Asia/Shanghai") whose tzdata file exists, and makes it the
 * process's local time (TZ). Call once at startup, before any thread. False
 * with a message in error otherwise. */
bool emp_calendar_set(const char *zone, char *error, size_t error_size);
/* The day number of today in the district's calendar (UTC until
 * emp_calendar_set). A case worker in Qingdao at 07:00 on the 7th is on the
 * 7th, while UTC is still on the 6th. */
int32_t emp_today(void);
/* "YYYY-MM-DD" for a day number into out (11 bytes). */
void emp_date_format(int32_t day, char out[11]);
/* Whole years from birth to day (both day numbers). */
int emp_age_on(int32_t birth, int32_t day);

/* An occupation code of the classification's shape: "4", "4-03",
 * "4-03-02" or "4-03-02-01" (major group 1-8). Returns its level 1-4 or 0. */
int emp_occupation_level(const char *code);

/* An org unit code of grid: digits only, 6 to 18 of them. A zone's code is
 * 14 digits. */
bool emp_unit_code_valid(const char *code);
bool emp_zone_code_valid(const char *code);

/* An identifier from outside (resident ids, external ids, system names,
 * certificate numbers): 1 to max characters of letters, digits and . _ - : /
 * @. */
bool emp_ident_valid(const char *text, size_t max);


#endif
