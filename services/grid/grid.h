/* Grid's handlers and what they share: the service state, the method table,
 * building filtered and paged queries, scope clipping, field checks, and the
 * row-to-message conversions that more than one file needs. */
#ifndef GRID_H
#define GRID_H

#include <stdbool.h>
#include <stdint.h>
#include "sf_page.h"
#include "sf_query.h"
#include "sf_server.h"
#include "sf_text.h"
#include "sifang/v1/grid.pb-c.h"
#include "grid_codes.h"
#include "grid_privacy.h"

/* The service state handed to every handler. */
typedef struct {
    uint8_t id_hash_key[GRID_ID_HASH_KEY_SIZE];
} grid_t;

/* key NULL = the development key. */
grid_t *grid_new(const uint8_t *id_hash_key);
void grid_destroy(grid_t **self_p);

/* Roles, as the method table and the handlers name them. */
#define GRID_ROLES_READ "admin district street community department gateway service viewer"
#define GRID_ROLES_DISTRICT "admin district"
#define GRID_ROLES_LOCAL "admin district street community"
/* Roles that see phone numbers in the clear. */
#define GRID_ROLES_PHONES "admin district street community"

extern const sf_method_t grid_methods[];

/* The method table's handlers, by file, declared with common's function
 * types (the compiler checks each definition against them); each is defined
 * written out in full, which ctags and cscope find (docs/contributing.md,
 * "Declaring a handler"). */

/* grid_units.c */
sf_handler_fn grid_unit_update, grid_unit_get, grid_unit_list, grid_zone_get;
/* grid_households.c */
sf_handler_fn grid_household_update, grid_household_get, grid_household_list;
/* grid_residents.c */
sf_handler_fn grid_resident_update, grid_resident_get, grid_resident_list, grid_resident_find;
/* grid_staff.c */
sf_handler_fn grid_staff_update, grid_staff_get, grid_staff_list;
/* grid_responsibility.c */
sf_handler_fn grid_responsibility_assign, grid_responsibility_remove, grid_responsibility_list,
              grid_responsible_for;
/* grid_departments.c */
sf_handler_fn grid_department_create, grid_department_list, grid_pairing_create, grid_pairing_list;
/* grid_summary.c */
sf_handler_fn grid_summary;

/* --- creating alone or a run at a time (grid_create.c) ------------------ */

/* What a checked request is to write. Each kind's draft starts with this:
 * the request, its key (what must be unique among its kind; NULL: nothing
 * is) and the key of another of its kind that must exist first (NULL: none). */
typedef struct {
    const ProtobufCMessage *request;
    const char *key;
    const char *needs;
} grid_draft_t;

/* The parameters of a statement over many rows: one array literal per
 * column ($1 is arrays[0]), read with unnest(...) WITH ORDINALITY. Such a
 * statement checks existence with scalar subqueries ((SELECT true ...) IS NOT
 * NULL), not EXISTS: the planner would hash an EXISTS over the whole table, a
 * scan per statement that grows with the registry, where these probe the
 * index row by row. */
#define GRID_COLUMNS_MAX 12
typedef struct {
    sf_pgarray_t arrays[GRID_COLUMNS_MAX];
    int count;
} grid_columns_t;

/* A point's latitude (lat) or longitude as a float8 element; NULL without one. */
void grid_columns_add_double(grid_columns_t *self, int column, const Sifang__V1__GeoPoint *point,
                             bool lat);

/* How one kind of thing is created, by its method. admit checks a draft's
 * request on its call (fields, then the caller's scope) and fills in the rest
 * of the draft; false when it has refused the call. Admitted drafts no two
 * of which depend on each other are written by one statement, sql, whose
 * parameters are the columns add fills draft by draft; it checks each row
 * against the registry as it stood before, writes the good ones and gives
 * back one row per draft, in order, starting with its place (1, 2, ...).
 * answer reads a draft's row and sets *reply_p (and emits the event) or
 * refuses the call. */
typedef struct {
    const char *method;
    size_t draft_size;
    bool (*admit)(sf_call_t *call, grid_draft_t *draft);
    int columns;
    void (*add)(grid_columns_t *columns, const grid_draft_t *draft);
    const char *sql;
    void (*answer)(sf_call_t *call, const grid_draft_t *draft, const PGresult *result, int row,
                   ProtobufCMessage **reply_p);
} grid_creator_t;

extern const grid_creator_t grid_unit_creator;       /* grid_units.c */
extern const grid_creator_t grid_household_creator;  /* grid_households.c */
extern const grid_creator_t grid_resident_creator;   /* grid_residents.c */
extern const grid_creator_t grid_staff_creator;      /* grid_staff.c */

/* The handler and the batch handler of every creating method (UnitCreate,
 * HouseholdCreate, ResidentCreate, StaffCreate): they find the creator by
 * the method's name. A request gets exactly the answer, reply and event
 * whether it comes alone or in a run; a run's failed statement returns its
 * status, for the server to run each request alone. */
sf_handler_fn grid_create;
sf_batch_handler_fn grid_create_batch;

/* --- queries (grid_query.c) --------------------------------------------- */

/* Milliseconds since the epoch of a timestamptz column, in SQL. */
#define GRID_MS(column) "(extract(epoch FROM " column ") * 1000)::bigint"

/* Queries are common's sf_query_t (sf_query.h): the fragments are literals
 * in the handlers, so the distinct statements (each prepared once per
 * connection) stay few. */

/* --- paging ------------------------------------------------------------- */

/* Lists page by common's rules (sf_page.h: sf_page_read, sf_page_bad_token,
 * sf_page_rows, sf_page_more). */

/* --- scope and checks --------------------------------------------------- */

/* Subtree filters are clipped to the caller's scope by common's
 * sf_call_scope_under (sf_codes.h). */

/* A code field naming an existing unit or household: required, digits,
 * at most a household code's length. */
bool grid_check_code(sf_call_t *call, const char *field, const char *code);

/* The phone as this caller may see it: in the clear for GRID_ROLES_PHONES,
 * masked otherwise. */
char *grid_phone_for_caller(sf_call_t *call, const char *phone);
/* The masked phone, for events (which never carry personal identifiers). */
char *grid_phone_masked(sf_call_t *call, const char *phone);

/* --- shared conversions -------------------------------------------------- */

/* Columns of an org unit aliased u, read back by grid_unit_from_row. */
#define GRID_UNIT_COLUMNS \
    "u.code, u.kind, u.name, COALESCE(u.parent_code, ''), u.lat, u.lon, " \
    GRID_MS("u.created_at") ", " GRID_MS("u.updated_at") ", u.version"
Sifang__V1__OrgUnit *grid_unit_from_row(sf_call_t *call, const PGresult *result, int row,
                                        int column);
/* The unit with that code, or *unit_p = NULL when there is none. lock takes
 * it FOR UPDATE (write methods). Returns SF_OK or the database's failure. */
sf_status_t grid_unit_load(sf_call_t *call, const char *code, bool lock,
                           Sifang__V1__OrgUnit **unit_p);

/* A responsibility with its staff and unit names. */
#define GRID_RESPONSIBILITY_SELECT \
    "SELECT r.staff_serial, r.unit_code, r.kind, s.name, u.name, " GRID_MS("r.since") \
    " FROM responsibility r JOIN staff s ON s.serial = r.staff_serial" \
    " JOIN org_unit u ON u.code = r.unit_code"
Sifang__V1__Responsibility *grid_responsibility_from_row(sf_call_t *call, const PGresult *result,
                                                         int row);

/* A pairing with its department and community names. */
#define GRID_PAIRING_SELECT \
    "SELECT p.department_code, p.community_code, d.name, u.name, " GRID_MS("p.since") \
    " FROM pairing p JOIN department d ON d.code = p.department_code" \
    " JOIN org_unit u ON u.code = p.community_code"
Sifang__V1__Pairing *grid_pairing_from_row(sf_call_t *call, const PGresult *result, int row);

/* "S00042" for staff serial 42. */
char *grid_staff_id(sf_call_t *call, int64_t serial);
char *grid_resident_id(sf_call_t *call, int64_t serial);

#endif
