/* The service loop's in-memory copy of what the submission path looks up:
 * grid's org units, households, zone pairs, staff names and departments
 * (from the reference tables), the catalogue and the working-day calendar.
 * Submissions are then checked, routed and given their deadline in C, and a
 * run of them costs one statement. It is coherent through ref_generation
 * (bumped in every change's transaction, polled by the loop) and by asking
 * the database for households and units it has not seen. Only the loop's
 * thread uses it. */
#ifndef INTAKE_REF_H
#define INTAKE_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sf_db.h"

typedef struct intake_ref_t intake_ref_t;

typedef struct {
    const char *code;
    const char *name;
    int category;                   /* ServiceCategory */
    int routing;                    /* CaseRouting */
    const char *department_code;
    const char *department_name;    /* "" when grid's copy does not know it */
    int time_limit;
    int time_limit_unit;            /* TimeLimitUnit */
    bool enterprise;
    bool active;
    int registration;               /* CaseRegistrationKind: 0 when the item is no registration */
} intake_ref_item_t;

typedef struct {
    int kind;                       /* UnitKind */
    const char *code;
    const char *name;
    /* Zones: who routing picks (grid's ZONE_COMMITTEE, else ZONE_CADRE). */
    const char *committee_id, *committee_name;
    const char *cadre_id, *cadre_name;
} intake_ref_unit_t;

/* timezone: the district's, for the calendar's days. */
intake_ref_t *intake_ref_new(const char *timezone);
void intake_ref_destroy(intake_ref_t **self_p);

/* Loads everything when nothing is loaded or the generation moved (then
 * all but households, which only grow and keep their zone). Returns 0, or
 * -1 when the database failed (the copy stays as it was). */
int intake_ref_refresh(intake_ref_t *self, sf_db_t *db);
/* The statement that reads ref_generation, and what to make of its rows:
 * the service loop sends it with each batch's BEGIN (its batch probe), and
 * intake_ref_refresh_in_batch, in that batch, refreshes to what it read
 * instead of asking again (once: a second refresh asks). */
extern const char intake_ref_generation_sql[];
void intake_ref_observe(intake_ref_t *self, const PGresult *generation);
int intake_ref_refresh_in_batch(intake_ref_t *self, sf_db_t *db);
/* The catalogue or calendar changed in this instance: reload before the
 * next use. */
void intake_ref_mark_dirty(intake_ref_t *self);
bool intake_ref_ready(const intake_ref_t *self);

/* Looks up the households and units the copy has not seen (NULL entries
 * are skipped) in one statement; they are found afterwards if grid's copy
 * has them. Returns 0 or -1. */
int intake_ref_fetch(intake_ref_t *self, sf_db_t *db, const char *const *households, size_t n_households,
                     const char *const *units, size_t n_units);

/* The household's zone, or NULL when the copy does not have it. */
const char *intake_ref_household_zone(const intake_ref_t *self, const char *household);
const intake_ref_unit_t *intake_ref_unit(const intake_ref_t *self, const char *code);
const intake_ref_item_t *intake_ref_item(const intake_ref_t *self, const char *code);
/* The staff member's name, or "". */
const char *intake_ref_staff_name(const intake_ref_t *self, const char *id);

/* When a case accepted at at_ms is due (0 past the calendar's span): n
 * clock hours later, or the end of the nth working day after the day of
 * acceptance (a rest day counts from the working day before it). The same
 * rule as intake_due() in SQL. */
int64_t intake_ref_due(const intake_ref_t *self, int64_t at_ms, int time_limit, int time_limit_unit);
/* The limit of a case type (CaseType, migration 010's case_type), which an
 * item without its own (time_limit 0) takes; false for an unknown type. */
#define INTAKE_REF_CASE_TYPES 5
bool intake_ref_case_type_limit(const intake_ref_t *self, int type, int *time_limit, int *time_limit_unit);
/* The district's local date of at_ms as YYYYMMDD (0 outside the span). */
int intake_ref_local_date(const intake_ref_t *self, int64_t at_ms);

#endif
