/* The pure rules of the volunteer registry beyond the suite's own (unit
 * codes, dates, credit codes and serial ids are common's sf_codes.h,
 * sf_dates.h and sf_ids.h, included here): hours, availability windows and
 * text fields.
 * Nothing here touches the database, so it is unit-tested on its own. */
#ifndef VOLUNTEER_RULES_H
#define VOLUNTEER_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sf_codes.h"
#include "sf_dates.h"
#include "sf_ids.h"

/* Text bounds, in characters. */
#define VOLUNTEER_NAME_MAX 100
#define VOLUNTEER_ACTIVITY_MAX 200
#define VOLUNTEER_NOTE_MAX 500
#define VOLUNTEER_HELP_MAX 200
#define VOLUNTEER_CASE_REF_MAX 64
#define VOLUNTEER_NATIONAL_NUMBER_MAX 32
#define VOLUNTEER_SKILL_CODE_MAX 32
#define VOLUNTEER_SKILLS_MAX 20
#define VOLUNTEER_WINDOWS_MAX 21
#define VOLUNTEER_COMMITMENTS_MAX 20

/* Ids are a letter and a zero-padded serial ("V000123"): the suite's serial
 * ids, sf_serial_id_parse and sf_serial_id_format (sf_ids.h). */

/* Hours of a service record: more than 0, at most 24, in quarter hours. */
bool volunteer_hours_valid(double hours);
/* Rounded to the quarter hour, as stored. */
double volunteer_hours_round(double hours);

/* A weekly availability window: weekday 0 (every day) or 1..7, start in
 * 0..1439, end in start+1..1440. */
bool volunteer_window_valid(int weekday, int start_minute, int end_minute);

/* A skill code: [a-z0-9_], 1..32. */
bool volunteer_skill_code_valid(const char *code);
/* A national uniform volunteer number: [0-9A-Za-z-], 1..32. */
bool volunteer_national_number_valid(const char *number);

#endif
