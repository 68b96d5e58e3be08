/* Grid's handlers and what they share: the service state, the method table,
 * building filtered and paged queries, scope clipping, field checks, and the
 * row-to-message conversions that more than one file needs. */
#ifndef GRID_H
#define GRID_H

#include <stdbool.h>
#include <stdint.h>
#include "sf_page.h"
#include "sf_query.h"
#include "sf_roles.h"
#include "sf_server.h"
#include "sf_text.h"
#include "sifang/v1/grid.pb-c.h"
#include "grid_codes.h"
#include "grid_privacy.h"

/* The service state handed to every handler. Read methods run on the read
 * pool's threads (common/sf_server_reads.c) beside the loop: the key is set
 * before the server starts and never written after, so they share it
 * without a lock. */
typedef struct {
    uint8_t id_hash_key[GRID_ID_HASH_KEY_SIZE];
} grid_t;

/* key NULL = the development key. */
grid_t *grid_new(const uint8_t *id_hash_key);
void grid_destroy(grid_t **self_p);

/* Roles, as the method table and the handlers name them: the suite's sets
 * by duty (sf_roles.h), so that who may do what is said in one place.
 * Org units, zones, staff, departments, pairings and the summary are
 * public (staff phones masked); households and residents are for the staff,
 * never the anonymous viewer; registering people is the duty of those who
 * serve residents, each within the units they may write in; the district's
 * shape (units, departments, pairings) is the district's. */
#define GRID_ROLES_READ SF_ROLES_PUBLIC
#define GRID_ROLES_PEOPLE_READ SF_ROLES_PERSON_READ
#define GRID_ROLES_DISTRICT "admin district"
#define GRID_ROLES_LOCAL SF_ROLES_RESIDENT_DUTY
/* Keys that see phone numbers in the clear (people see them only through
 * a reveal, residents', or, staff's, where their resident duty reaches). */
#define GRID_ROLES_PHONES "admin district street community"
/* The most rows a page of households or residents shows a person: more is
 * an export (ResidentExport), which is audited. */
#define GRID_PERSON_PAGE_MAX 50

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
/* grid_access.c */
sf_handler_fn grid_resident_reveal, grid_resident_export, grid_access_log_list;
/* grid_staff.c */
sf_handler_fn grid_staff_update, grid_staff_get, grid_staff_list;
/* grid_responsibility.c */
sf_handler_fn grid_responsibility_assign, grid_responsibility_remove, grid_responsibility_list,
              grid_responsible_for;
/* grid_departments.c */
sf_handler_fn grid_department_create, grid_department_list, grid_pairing_create, grid_pairing_list;
/* grid_summary.c */
sf_handler_fn grid_summary;
/* grid_contacts.c */
sf_handler_fn grid_contact_visit_record, grid_contact_visit_list, grid_contact_problem_update,
              grid_contact_problem_list, grid_contact_point_list;
/* grid_department_work.c */
sf_handler_fn grid_department_work_record, grid_department_work_follow_up, grid_department_work_list,
              grid_department_work_counts;
/* grid_funding.c */
sf_handler_fn grid_funding_budget_set, grid_funding_budget_get, grid_funding_spending_record,
              grid_funding_spending_list, grid_funding_figures, grid_funding_spending_reverse;
/* grid_attendance.c */
sf_handler_fn grid_meeting_attendance_record, grid_meeting_attendance_list, grid_meeting_attendance_rates;
/* grid_joint.c */
sf_handler_fn grid_joint_member_set, grid_joint_member_list, grid_joint_attendance_rates;

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

/* A staff member's phone as this caller may see it: in the clear for a key
 * of GRID_ROLES_PHONES, or a person whose resident duty views unit_code;
 * masked otherwise. */
char *grid_phone_for_caller(sf_call_t *call, const char *unit_code, const char *phone);
/* Whether the caller sees the personal data of the residents and the
 * household of household_code in the clear (names, addresses, flags): a key
 * (its scope was checked, the anonymous viewer is refused by the method
 * table), or a person with a grant of SF_ROLES_RESIDENT_DUTY viewing it. */
bool grid_sees_household(sf_call_t *call, const char *household_code);
/* The page of households or residents a list shows: sf_page_read, then for
 * a person at most GRID_PERSON_PAGE_MAX rows (the default page is cut to
 * it, a larger size asked for is a violation naming ResidentExport). */
bool grid_person_page_read(sf_call_t *call, const Sifang__V1__PageRequest *request, sf_page_t *page);
/* The masked phone, for events (which never carry personal identifiers). */
char *grid_phone_masked(sf_call_t *call, const char *phone);

/* --- shared conversions -------------------------------------------------- */

/* Columns of an org unit aliased u, read back by grid_unit_from_row. */
#define GRID_UNIT_COLUMNS \
    "u.code, u.kind, u.name, COALESCE(u.parent_code, ''), u.lat, u.lon, " \
    GRID_MS("u.created_at") ", " GRID_MS("u.updated_at") ", u.version"
Sifang__V1__OrgUnit *grid_unit_from_row(sf_call_t *call, const PGresult *result, int row,
                                        int column);
/* The row sql selects by a key (at most one), taken FOR UPDATE when lock
 * (write methods): a result of no row or one, or NULL with the call's
 * failure. Every load of one unit, household, resident or staff member. */
PGresult *grid_select_one(sf_call_t *call, const char *sql, bool lock, const sf_params_t *params);
/* The unit with that code, or *unit_p = NULL when there is none. lock takes
 * it FOR UPDATE (write methods). Returns SF_OK or the database's failure. */
sf_status_t grid_unit_load(sf_call_t *call, const char *code, bool lock,
                           Sifang__V1__OrgUnit **unit_p);

/* Columns of a household aliased h, read back by grid_household_from_row
 * (which shows it whole: callers mask with grid_household_for_caller). */
#define GRID_HOUSEHOLD_COLUMNS \
    "h.code, h.building_group_code, h.address, h.flags::text," \
    " (SELECT count(*) FROM resident r WHERE r.household_code = h.code), " \
    GRID_MS("h.created_at") ", " GRID_MS("h.updated_at") ", h.version"
Sifang__V1__Household *grid_household_from_row(sf_call_t *call, const PGresult *result, int row,
                                               int column);
/* The household as the caller may see it (grid_sees_household): else its
 * address masked (sf_address_mask) and no flags. */
Sifang__V1__Household *grid_household_for_caller(sf_call_t *call, Sifang__V1__Household *household);

/* Columns of a resident aliased r, read back by grid_resident_from_row
 * (whole, phone in the clear: callers pick what to show). */
#define GRID_RESIDENT_COLUMNS \
    "r.serial, r.household_code, r.name, r.gender, COALESCE(to_char(r.birth_date, 'YYYY-MM-DD'), '')," \
    " r.id_number_masked, r.phone, r.party_member, r.relation, " \
    GRID_MS("r.created_at") ", " GRID_MS("r.updated_at") ", r.version"
Sifang__V1__Resident *grid_resident_from_row(sf_call_t *call, const PGresult *result, int row,
                                             int column);
/* A resident id ("R0000123") as its serial; a violation on field when it
 * is missing or not one. */
bool grid_check_resident_id(sf_call_t *call, const char *field, const char *id, int64_t *serial);
/* Resident list tokens: "<household code>.<serial>" of the last one shown. */
bool grid_resident_token_parse(const char *token, char household_code[GRID_CODE_SIZE], int64_t *serial);
/* Adds to a query of residents (aliased r) the page after the token's
 * resident (when the page has a token), in that order, size + 1 rows. */
void grid_resident_page_apply(sf_call_t *call, sf_query_t *query, const sf_page_t *page, const char *after_household,
                              int64_t after_serial);

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

/* --- leaders' and departments' work (grid_contacts.c) ------------------- */

/* Who may record it: a leader their visits to their contact points, a
 * department's staff their department's work; the district's keys anyone's. */
#define GRID_ROLES_LEADER_WORK "admin district leader"
#define GRID_ROLES_DEPARTMENT_WORK "admin district department department_staff"
/* Community funding: the street sets its communities' budgets (the district
 * any); the community's staff record what it spent; each within where they
 * may write. */
#define GRID_ROLES_FUNDING_BUDGET "admin district street street_staff"
#define GRID_ROLES_FUNDING_SPENDING "admin district street community street_staff community_staff"
/* Meeting attendance: whoever keeps the community's or street's meetings. */
#define GRID_ROLES_ATTENDANCE "admin district street community street_staff community_staff"

/* Ids of work records: a letter and six digits ("L000123"). */
#define GRID_ID_CONTACT_VISIT 'L'
#define GRID_ID_CONTACT_PROBLEM 'Q'
#define GRID_ID_DEPARTMENT_WORK 'D'
#define GRID_ID_FUNDING_SPENDING 'F'
#define GRID_ID_MEETING_ATTENDANCE 'A'
#define GRID_ID_JOINT_MEMBER 'J'
#define GRID_WORK_ID_WIDTH 6
/* A record's time: not in the future (a few minutes of clock skew), at
 * most a year ago (a visit written up late, not history rewritten). */
#define GRID_WORK_SKEW_MS (5LL * 60 * 1000)
#define GRID_WORK_BACKDATE_MS (366LL * 24 * 3600 * 1000)
#define GRID_PEOPLE_MET_MAX 200
#define GRID_WORK_TEXT_MAX 2000
#define GRID_PROBLEM_TEXT_MAX 1000
#define GRID_CASE_REGISTRATION_MAX 40
#define GRID_RESOURCE_AMOUNT_MAX 1e9

char *grid_work_id(sf_call_t *call, char letter, int64_t serial);

/* --- a joint meeting's member units (grid_joint.c, for grid_attendance.c) ---- */

#define GRID_JOINT_MEMBERS_MAX 100
/* Who came for a member unit (its representative unless another is named;
 * "" when it did not attend) and whether that is someone else. */
typedef struct {
    const char *representative;
    bool substitute;
} grid_joint_came_t;
/* The form of attendance's member_units (violations named member_units[i]);
 * members[i] the serial of each. */
void grid_joint_check_entries(sf_call_t *call, const Sifang__V1__MeetingAttendance *attendance, int64_t *members);
/* The member units attendance must name: those of its mechanism at its
 * unit on the day held (violations for one not among them or one left
 * out), and who came for each (came[i]). Returns how many, -1 on a failed
 * statement; 0 for a part-time committee meeting. */
int grid_joint_expected(sf_call_t *call, const Sifang__V1__MeetingAttendance *attendance, const int64_t *members,
                        grid_joint_came_t *came);
sf_status_t grid_joint_units_insert(sf_call_t *call, int64_t attendance_serial,
                                    const Sifang__V1__MeetingAttendance *attendance, const int64_t *members,
                                    const grid_joint_came_t *came);
/* Reads the member units of the n attendances (serials in order), each
 * list ordered by member id. */
sf_status_t grid_joint_units_read(sf_call_t *call, Sifang__V1__MeetingAttendance **attendances,
                                  const int64_t *serials, size_t n);
/* given_ms (0 = now) as *at_ms; false with a violation on field when it is
 * in the future or more than a year ago. */
bool grid_work_time(sf_call_t *call, const char *field, int64_t given_ms, int64_t *at_ms);
/* Who was met (residents' names) as this caller may see it: in the clear
 * for a key, for the person who recorded it (doer_id) and for a person
 * whose duty to residents reaches unit_code; else masked. Events always
 * carry grid_people_met_masked. */
char *grid_people_met_shown(sf_call_t *call, const char *unit_code, const char *doer_id, const char *people_met);
char *grid_people_met_masked(sf_call_t *call, const char *people_met);
/* Whether a reader that stopped at column next ended on the list's last
 * column, named last; else the call fails with INTERNAL. */
bool grid_columns_end(sf_call_t *call, const PGresult *result, int next, const char *last);

/* "S00042" for staff serial 42. */
char *grid_staff_id(sf_call_t *call, int64_t serial);
char *grid_resident_id(sf_call_t *call, int64_t serial);

#endif
