/* A consumer's reference copy of grid: grid's events (org units,
 * households, residents, staff, responsibilities, departments) written into
 * tables in the consumer's own schema, by a declaration the consumer makes
 * of which tables and columns it keeps, with optional hooks for what it
 * derives from them (its own facts, generations, moves).
 *
 * The decoding, the SQL and the rules that are the suite's live here, once:
 *  - An event whose payload does not decode is SF_DATA_LOSS: the follower
 *    records it in event_skipped and goes on (see sf_follower.h).
 *  - A row carries grid's version when the table has a version column; an
 *    event older than the row (a lower version) changes nothing in it.
 *  - A column that an event may leave unknown (a unit's location) keeps the
 *    value known.
 *  - A household's zone is its zone_code, else the 14-digit ancestor of its
 *    code; its community the 12-digit ancestor. A household with neither
 *    is unreadable too (SF_DATA_LOSS): it belongs nowhere. Its flags leave out
 *    HOUSEHOLD_FLAG_UNSPECIFIED; it is in difficulty when any flag is left.
 *  - A resident's birth date that is not a real YYYY-MM-DD date is NULL.
 *  - Responsibilities are a set: assigned inserts the pair, removed deletes
 *    it; every other kind of thing is upserted by its key.
 * The SQL names only the declared table and columns: no SQL crosses
 * schemas. */
#ifndef SF_GRIDREF_H
#define SF_GRIDREF_H

#include <stdbool.h>
#include "sf_db.h"
#include "sf_status.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/sys.pb-c.h"

/* Grid's kinds of thing, each with its events. */
typedef enum {
    SF_GRID_UNIT,             /* unit.created, unit.updated: OrgUnit */
    SF_GRID_HOUSEHOLD,        /* household.created, household.updated: Household */
    SF_GRID_RESIDENT,         /* resident.created, resident.updated: Resident */
    SF_GRID_STAFF,            /* staff.created, staff.updated: Staff */
    SF_GRID_RESPONSIBILITY,   /* responsibility.assigned, responsibility.removed: Responsibility */
    SF_GRID_DEPARTMENT,       /* department.created, department.updated: Department */
} sf_grid_kind_t;

/* What a column holds, from the thing's message. */
typedef enum {
    SF_GRID_CODE,             /* text: a unit's, household's or department's code */
    SF_GRID_ID,               /* text: a resident's or staff member's id */
    SF_GRID_KIND,             /* int: a unit's, staff member's or responsibility's kind */
    SF_GRID_NAME,             /* text */
    SF_GRID_PARENT_CODE,      /* text: a unit's parent ("" for the district) */
    SF_GRID_LAT,              /* double: a unit's location, unknown when it has none */
    SF_GRID_LON,
    SF_GRID_VERSION,          /* int: grid's version; the column guards against older events */
    SF_GRID_ZONE_CODE,        /* text: a household's zone */
    SF_GRID_COMMUNITY_CODE,   /* text: a household's community */
    SF_GRID_FLAGS,            /* int[]: a household's flags */
    SF_GRID_IN_DIFFICULTY,    /* bool: a household with a flag */
    SF_GRID_HOUSEHOLD_CODE,   /* text: a resident's household */
    SF_GRID_GENDER,           /* int */
    SF_GRID_BIRTH_DATE,       /* date text, or NULL */
    SF_GRID_PARTY_MEMBER,     /* bool */
    SF_GRID_UNIT_CODE,        /* text: a staff member's unit or a responsibility's */
    SF_GRID_DEPARTMENT_CODE,  /* text: a staff member's department */
    SF_GRID_ACTIVE,           /* bool: a staff member still serving */
    SF_GRID_STAFF_ID,         /* text: a responsibility's staff member */
    SF_GRID_SINCE,            /* timestamptz: a responsibility's start, else its event's time */
} sf_grid_field_t;

/* Column flags. */
#define SF_GRIDREF_KEY 1            /* part of the table's key (its conflict target) */
#define SF_GRIDREF_NULL_IF_EMPTY 2  /* "" is stored as NULL */
#define SF_GRIDREF_KEEP 4           /* written when the row is made, never updated */

typedef struct {
    const char *name;               /* the column in the consumer's table */
    sf_grid_field_t field;
    int flags;
} sf_gridref_column_t;

#define SF_GRIDREF_MAX_COLUMNS 10

/* One event as the hooks see it: decoded, with the rules above applied. */
typedef struct {
    const Sifang__V1__Event *event;
    sf_grid_kind_t kind;
    bool created;                   /* *.created, responsibility.assigned */
    bool removed;                   /* responsibility.removed */
    union {
        const Sifang__V1__OrgUnit *unit;
        const Sifang__V1__Household *household;
        const Sifang__V1__Resident *resident;
        const Sifang__V1__Staff *staff;
        const Sifang__V1__Responsibility *responsibility;
        const Sifang__V1__Department *department;
    } as;
    char zone_code[32];             /* households */
    char community_code[32];
    bool in_difficulty;
    /* With old_row: one row holding the declared columns as they were
     * before the event, in declaration order (NULL when there was no row),
     * then how many rows there were (1 or 0); no row at all when the event
     * was older than the row. Else NULL. */
    const PGresult *old;
} sf_gridref_event_t;

/* Runs in the follower's transaction after the event's row is written (or
 * left, for an older event): SF_OK goes on, anything else rolls the page
 * back (see sf_follower_apply_fn). arg is sf_gridref_apply's. */
typedef sf_status_t (*sf_gridref_hook_fn)(sf_db_t *db, const sf_gridref_event_t *event, void *arg);
/* The hook for a run of created rows written together (see batch_created
 * below), after they are: keys is a text[] literal of their keys, n how
 * many. It does for them what hook does for one. */
typedef sf_status_t (*sf_gridref_created_fn)(sf_db_t *db, const char *keys, size_t n, void *arg);

typedef struct {
    sf_grid_kind_t kind;
    const char *table;              /* in the consumer's schema */
    sf_gridref_column_t columns[SF_GRIDREF_MAX_COLUMNS];   /* up to the first without a name */
    bool old_row;                   /* hooks get the row as it was (event->old) */
    sf_gridref_hook_fn hook;        /* may be NULL */
    sf_gridref_created_fn created;  /* hook's form for a run of created rows; may be NULL */
} sf_gridref_table_t;

/* A consumer's declaration: its tables (one per kind it keeps; kinds it
 * does not declare are passed over), up to the first with no table name.
 *
 * batch_created: created events are written a run at a time, in one
 * statement for up to 1000 (a district being loaded into grid: hundreds of
 * thousands of them, a statement and its triggers each otherwise), for a
 * table with one key column, without old_row and a SINCE column, whose hook
 * is NULL or has its created form. A run ends at any other event that
 * writes, at another table, and at the page's end: the consumer's follower
 * must then call sf_gridref_page_end (sf_follower_set_page_end, or from its
 * own page-end function). */
typedef struct {
    const sf_gridref_table_t *tables;
    bool batch_created;
} sf_gridref_t;

/* Applies one of grid's events by the declaration, inside the follower's
 * transaction: SF_OK (written, or not a kind declared), SF_DATA_LOSS (the
 * payload does not decode; nothing written), or the database's status. */
sf_status_t sf_gridref_apply(const sf_gridref_t *self, sf_db_t *db, const Sifang__V1__Event *event, void *arg);

/* The end of a follower's page (an sf_follower_page_fn): with write, the
 * created rows held back by batch_created are written, in the page's
 * transaction; without (the page was rolled back), forgotten. arg is
 * unused. */
sf_status_t sf_gridref_page_end(sf_db_t *db, bool write, void *arg);

#endif
