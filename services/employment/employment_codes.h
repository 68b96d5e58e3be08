/* The pure checks employment's handlers share beyond the suite's own
 * (common's sf_codes.h, sf_ids.h and sf_dates.h, included here): working
 * age, occupation codes and identifiers from outside. No database, no call:
 * unit-tested on their own. */
#ifndef EMPLOYMENT_CODES_H
#define EMPLOYMENT_CODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sf_codes.h"
#include "sf_dates.h"
#include "sf_ids.h"

/* Whole years from birth to day (both day numbers). */
int emp_age_on(int32_t birth, int32_t day);

/* An occupation code of the classification's shape: "4", "4-03",
 * "4-03-02" or "4-03-02-01" (major group 1-8). Returns its level 1-4 or 0. */
int emp_occupation_level(const char *code);

/* An identifier from outside (resident ids, external ids, system names,
 * certificate numbers): 1 to max characters of letters, digits and . _ - : /
 * @. */
bool emp_ident_valid(const char *text, size_t max);

#endif
