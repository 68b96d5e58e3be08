/* The shape of grid's hierarchical codes and the text rules its fields share.
 * Each kind of org unit adds a fixed number of digits to its parent's code
 * (district 6, street +3, community +3, zone +2, building group +1, household
 * +3), so a code's prefixes are exactly its ancestors and a scope covers a
 * subtree by prefix: with codes of varying length, 3702051 would wrongly
 * "cover" 37020510. */
#ifndef GRID_CODES_H
#define GRID_CODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sifang/v1/grid.pb-c.h"

#define GRID_DISTRICT_CODE_LENGTH 6
#define GRID_HOUSEHOLD_CODE_LENGTH 18
/* Room for any grid code and its terminator. */
#define GRID_CODE_SIZE 24

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
/* Only ASCII digits, at least one. */
bool grid_code_digits(const char *code);
/* A household code: 18 digits (its building group's 15 and 3 more). */
bool grid_household_code_valid(const char *code);
/* A code a subtree filter or scope may name: digits, at most a household's
 * length. Empty is valid (the whole district). */
bool grid_code_prefix_valid(const char *prefix);
/* The exclusive upper bound of the codes starting with prefix under the "C"
 * collation: the prefix with its last character incremented (codes are
 * digits, so "3702059" -> "370205:"); ":" for the empty prefix, which sorts
 * after every digit. out must hold strlen(prefix) + 2 bytes. */
void grid_code_subtree_upper(const char *prefix, char *out, size_t size);
/* The narrower of a principal's scope and a requested subtree: false when
 * they are disjoint (nothing can be seen), else *prefix is one of them. */
bool grid_code_clip(const char *scope, const char *under, const char **prefix);
bool grid_code_starts_with(const char *code, const char *prefix);


/* A department code: lower-case letters, digits and dashes, starting with a
 * letter, at most GRID_DEPARTMENT_CODE_MAX. */
bool grid_department_code_valid(const char *code);

/* Residents and staff are known by a letter and their serial, zero-padded
 * ("R0000123", "S00042"). parse returns false unless id is the letter then
 * 1 to 18 digits naming a positive serial. */
bool grid_serial_parse(const char *id, char letter, int64_t *serial);
void grid_serial_format(char letter, int width, int64_t serial, char *out, size_t size);

#endif
