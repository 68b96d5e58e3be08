/* The shape of grid's hierarchical codes and the text rules its fields share.
 * Each kind of org unit adds a fixed number of digits to its parent's code
 * (district 6, street +3, community +3, zone +2, building group +1, household
 * +3), so a code's prefixes are exactly its ancestors and a scope covers a
 * subtree by prefix (common's sf_codes.h holds those rules for the whole
 * suite: digits, prefixes, subtree bounds, scope clipping). */
#ifndef GRID_CODES_H
#define GRID_CODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sf_codes.h"
#include "sf_ids.h"
#include "sifang/v1/grid.pb-c.h"

#define GRID_DISTRICT_CODE_LENGTH SF_CODE_DISTRICT_LENGTH
#define GRID_HOUSEHOLD_CODE_LENGTH SF_CODE_HOUSEHOLD_LENGTH
#define GRID_CODE_SIZE SF_CODE_SIZE

/* Text bounds, in characters. */
#define GRID_NAME_MAX 100
#define GRID_ADDRESS_MAX 200
#define GRID_TITLE_MAX 50
#define GRID_RELATION_MAX 20
#define GRID_DEPARTMENT_CODE_MAX 40

/* The length of a unit kind's codes; 0 for an unknown kind. */
size_t grid_code_length(Sifang__V1__UnitKind kind);
/* The kind whose codes have this length (households excluded); UNSPECIFIED
 * when none. */
Sifang__V1__UnitKind grid_code_kind_of_length(size_t length);
/* "district", "street", ... for messages; "unit" for an unknown kind. */
const char *grid_unit_kind_name(Sifang__V1__UnitKind kind);
/* A household code: 18 digits (its building group's 15 and 3 more). */
bool grid_household_code_valid(const char *code);
/* A department code: lower-case letters, digits and dashes, starting with a
 * letter, at most GRID_DEPARTMENT_CODE_MAX. */
bool grid_department_code_valid(const char *code);

/* Residents and staff are known by a letter and their serial, zero-padded
 * ("R0000123", "S00042"): the suite's serial ids, sf_serial_id_parse and
 * sf_serial_id_format (sf_ids.h). */

#endif
