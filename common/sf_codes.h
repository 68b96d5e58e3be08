/* The grid's hierarchical unit codes, which every service reads: their
 * lengths, subtree bounds, and clipping a requested subtree to the caller's
 * scope (the suite's authorisation rule for lists and summaries).
 *
 * Each kind of org unit adds a fixed number of digits to its parent's code
 * (district 6, street +3, community +3, zone +2, building group +1,
 * household +3), so a child's code starts with its parent's, a code's
 * prefixes are exactly its ancestors, and a subtree is a range of codes:
 * [prefix, sf_code_subtree_upper(prefix)). With codes of varying length
 * 3702051 would wrongly "cover" 37020510. */
#ifndef SF_CODES_H
#define SF_CODES_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sf_call_t sf_call_t;

#define SF_CODE_DISTRICT_LENGTH 6
#define SF_CODE_STREET_LENGTH 9
#define SF_CODE_COMMUNITY_LENGTH 12
#define SF_CODE_ZONE_LENGTH 14
#define SF_CODE_BUILDING_GROUP_LENGTH 15
#define SF_CODE_HOUSEHOLD_LENGTH 18
/* Room for any unit or household code and its terminator. */
#define SF_CODE_SIZE 24

/* Only ASCII digits, at least one. */
bool sf_code_digits(const char *code);
/* A code of exactly that many digits. */
bool sf_code_of_length(const char *code, size_t length);
/* A code a subtree filter or scope may name: digits, at most a household's
 * length. Empty (or NULL) is valid: the whole district. */
bool sf_code_prefix_valid(const char *prefix);
/* Whether code lies in the subtree of prefix (NULL reads as ""). */
bool sf_code_starts_with(const char *code, const char *prefix);
/* A unit's ancestors are its code's prefixes, so the zone or community of
 * a household is a prefix of its code. A byte count is exact only on
 * digits: take such a prefix with "%.*s" and (int) sf_code_ancestor(code,
 * SF_CODE_ZONE_LENGTH), which is length when code starts with at least that
 * many ASCII digits and 0 otherwise (no ancestor at that level: a code too
 * short, or text that is not a code, which a byte cut could break in a
 * character). NULL is 0. */
size_t sf_code_ancestor(const char *code, size_t length);
/* The exclusive upper bound of the codes starting with prefix under the "C"
 * collation: the prefix with its last character incremented (codes are
 * digits, so "3702059" -> "370205:"); ":" for the empty prefix, which sorts
 * after every digit. out must hold strlen(prefix) + 2 bytes, else it is
 * left empty. */
void sf_code_subtree_upper(const char *prefix, char *out, size_t size);
/* The narrower of a principal's scope and a requested subtree (either NULL
 * or "" for the whole district): false when they are disjoint (nothing can
 * be seen, *prefix NULL), else *prefix is one of them. */
bool sf_code_clip(const char *scope, const char *under, const char **prefix);
/* The most view scopes of one person a list considers. */
#define SF_SCOPE_LIST_MAX 32
/* A list's or summary's "under" field against the caller's view scopes
 * (a key's scope, or a person's grants: sf_roles.h): a violation on field
 * when under is not a code prefix (false, *prefix NULL); false with no
 * violation when it lies outside every scope (the caller answers an empty
 * list); a violation when several of a person's scopes lie inside under
 * (they name one); else true with *prefix the subtree to read. */
bool sf_call_scope_under(sf_call_t *call, const char *field, const char *under, const char **prefix);
/* The same over the view scopes of the grants whose role is in roles alone
 * (a key: its scope when its role is in roles): a leader's district view
 * does not widen a street clerk's export. */
bool sf_call_scope_under_as(sf_call_t *call, const char *roles, const char *field, const char *under,
                            const char **prefix);

#endif
