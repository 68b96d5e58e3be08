/* Volunteer's handlers and what they share: the service state and its
 * configuration, the method table, filtered and paged queries, scope and
 * field checks, the reference copy of grid, and the row-to-message
 * conversions that more than one file needs. */
#ifndef VOLUNTEER_H
#define VOLUNTEER_H

#include <stdbool.h>
#include <stdint.h>
#include "sf_page.h"
#include "sf_query.h"
#include "sf_kept.h"
#include "sf_roles.h"
#include "sf_server.h"
#include "sf_text.h"
#include "sifang/v1/volunteer.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include "volunteer_rules.h"

#include "volunteer_settings.h"   /* volunteer_config_t, volunteer_settings */

/* The service state handed to every handler. Read methods run on the read
 * pool's threads (common/sf_server_reads.c): the configuration is set
 * before the server starts and only read after, so they share it without a
 * lock; the kept summaries have a lock of their own. */
typedef struct {
    volunteer_config_t config;
    /* Summary's replies kept with the version of the data they were
     * computed from (common/sf_kept.h): made at start, freed at exit. */
    sf_kept_t *summaries;
} volunteer_t;


/* Roles, as the method table and the handlers name them, by duty
 * (sf_roles.h): skills, coverage, visit counts, co-building and the summary
 * are public; whatever names volunteers, the people they help or their
 * hours is the staff's, never the anonymous viewer's; volunteers, teams,
 * pairings and co-building are written by the volunteer duty (a coordinator
 * within their write scope; the units' keys within theirs), dispatch also by
 * the systems (a service key); household visits by the residents' duty and
 * departments. */
#define VOLUNTEER_ROLES_PUBLIC SF_ROLES_PUBLIC
#define VOLUNTEER_ROLES_READ SF_ROLES_PERSON_READ
#define VOLUNTEER_ROLES_LOCAL SF_ROLES_VOLUNTEER_DUTY
#define VOLUNTEER_ROLES_DISTRICT "admin district"
#define VOLUNTEER_ROLES_DISPATCH SF_ROLES_VOLUNTEER_DUTY " service"
#define VOLUNTEER_ROLES_VISIT SF_ROLES_RESIDENT_DUTY " department department_staff"
/* Whose grants count where a volunteer's name is shown in clear and where
 * the volunteer duty's records are written: every key (the method table
 * chose which may call), and among a person's grants only the volunteer
 * coordinator's, each within its own scope. */
#define VOLUNTEER_ROLES_DUTY SF_KEY_ROLES " " SF_ROLES_VOLUNTEER_DUTY

extern const sf_method_t volunteer_methods[];

/* The method table's handlers, by file, declared with common's function
 * types (the compiler checks each definition against them); each is defined
 * written out in full, which ctags and cscope find (docs/contributing.md,
 * "Declaring a handler"). */

/* volunteer_dispatch.c */
sf_handler_fn volunteer_dispatch_candidates, volunteer_dispatch_offer, volunteer_dispatch_accept,
              volunteer_dispatch_decline, volunteer_dispatch_complete, volunteer_dispatch_cancel,
              volunteer_dispatch_get, volunteer_dispatch_list;
/* volunteer_volunteers.c */
sf_handler_fn volunteer_register, volunteer_update, volunteer_get, volunteer_list;
sf_batch_handler_fn volunteer_register_batch;
/* volunteer_skills.c */
sf_handler_fn volunteer_skill_define, volunteer_skill_list, volunteer_credential_add,
              volunteer_credential_list;
sf_batch_handler_fn volunteer_credential_add_batch;
/* volunteer_teams.c */
sf_handler_fn volunteer_team_create, volunteer_team_update, volunteer_team_get, volunteer_team_list,
              volunteer_team_member_add, volunteer_team_member_remove;
sf_batch_handler_fn volunteer_team_member_add_batch;
/* volunteer_hours.c */
sf_handler_fn volunteer_record_submit, volunteer_record_review, volunteer_record_get, volunteer_record_list,
              volunteer_hours_totals;
sf_batch_handler_fn volunteer_record_submit_batch;
/* volunteer_export.c */
sf_handler_fn volunteer_record_export;
/* volunteer_pairings.c */
sf_handler_fn volunteer_pairing_create, volunteer_pairing_end, volunteer_pairing_list,
              volunteer_pairing_overdue, volunteer_contact_record, volunteer_contact_list, volunteer_coverage;
sf_batch_handler_fn volunteer_pairing_create_batch, volunteer_contact_record_batch;
/* volunteer_visits.c */
sf_handler_fn volunteer_visit_record, volunteer_visit_list, volunteer_visit_counts, volunteer_visit_follow_up_add;
sf_batch_handler_fn volunteer_visit_record_batch;
/* volunteer_cobuilding.c */
sf_handler_fn volunteer_cobuilding_create, volunteer_cobuilding_end, volunteer_cobuilding_list;
/* volunteer_cobuilding_delivery.c */
sf_handler_fn volunteer_cobuilding_delivery_record, volunteer_cobuilding_delivery_list,
              volunteer_cobuilding_delivery_standing, volunteer_cobuilding_delivery_reverse;
/* volunteer_summary.c */
sf_handler_fn volunteer_summary;
/* volunteer_providers.c */
sf_handler_fn volunteer_provider_register, volunteer_provider_update, volunteer_provider_get,
              volunteer_provider_list;
/* volunteer_proposals.c */
sf_handler_fn volunteer_pairing_proposals;

/* Moves on the offers not answered in time (volunteer_dispatch.c), in a
 * transaction of its own on the loop's connection: the offer sweep timer.
 * Returns how many moved, or -1. */
int volunteer_offer_sweep_run(sf_call_t *call);
/* Applies one of intake's events: a return visit's satisfaction onto the
 * dispatch that served the case and its assignee's rating
 * (volunteer_ratings.c; the follower's callback). */
sf_status_t volunteer_apply_intake_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg);

/* --- queries (volunteer_query.c) ------------------------------------------ */

/* Milliseconds since the epoch of a timestamptz column, in SQL. */
#define VOLUNTEER_MS(column) "COALESCE((extract(epoch FROM " column ") * 1000)::bigint, 0)"

/* Queries are common's sf_query_t (sf_query.h). */

/* Splits "a,b,c" (array_to_string of a simple array) into call memory;
 * returns the count. */
size_t volunteer_split(sf_call_t *call, const char *list, char ***items_p);

/* The skill catalogue, loaded once per call that checks skills. */
typedef struct {
    char **codes;
    int *requires;             /* CredentialKind needed, 0 = none */
    size_t n;
} volunteer_catalog_t;

sf_status_t volunteer_catalog_load(sf_call_t *call, volunteer_catalog_t *catalog);
/* The index of code in the catalogue, or -1. */
int volunteer_catalog_find(const volunteer_catalog_t *catalog, const char *code);
/* Checks a skill field against the catalogue; a violation when unknown. */
bool volunteer_check_skill(sf_call_t *call, const volunteer_catalog_t *catalog, const char *field,
                           const char *skill);

/* --- paging: keyset on a serial ------------------------------------------- */

/* Lists page by a serial with common's keyset rules (sf_page.h:
 * sf_keyset_read, sf_keyset_rows, sf_keyset_next), oldest first. */

/* Adds "AND serial_column > after ORDER BY serial_column LIMIT size + 1". */
void volunteer_page_apply(sf_query_t *query, const sf_keyset_t *page, const char *serial_column);

/* --- batches (volunteer_query.c) ------------------------------------------ */

/* Makes a request's reply (and its event) from row of result. */
typedef void volunteer_answer_fn(sf_call_t *call, const PGresult *result, int row, ProtobufCMessage **reply_p);
/* Hands the rows a batch wrote (its INSERT ... RETURNING, in the order of
 * the requests written: writing[i]) to those requests, each answered by
 * answer on its own call. SF_INTERNAL when fewer rows came back. */
sf_status_t volunteer_batch_answer(sf_call_t **calls, const bool *writing, size_t n, const PGresult *result,
                                   volunteer_answer_fn *answer, ProtobufCMessage **replies);

/* --- checks (volunteer_check.c) -------------------------------------------- */

/* Subtree filters are clipped to the caller's scope by common's
 * sf_call_scope_under (sf_codes.h). */
/* PERMISSION_DENIED unless the caller's scope covers code. */
sf_status_t volunteer_require_covers(sf_call_t *call, const char *code, const char *what);
/* The same for a write of the volunteer duty: a key's scope, or a
 * coordinator's write scopes (VOLUNTEER_ROLES_DUTY). */
sf_status_t volunteer_require_writes(sf_call_t *call, const char *code, const char *what);

/* A record that is ended rather than deleted (a help pairing, a
 * co-building): its id letter, its table (serial, community_code, active,
 * ended_reason, version), what it is called in messages, whose community the
 * caller must write for, and what else ending it sets ("ended_at = now(), ",
 * or ""). */
typedef struct {
    char letter;
    const char *table;
    const char *noun;
    const char *community;
    const char *also;
} volunteer_ending_t;
/* Ends the record id names (a reason, optional, kept): checks the id and
 * the reason, locks the row, requires the caller writes for its community,
 * refuses one not found or ended already, and marks it ended. *serial is
 * its serial, for the caller's reply and event. */
sf_status_t volunteer_end(sf_call_t *call, const volunteer_ending_t *ending, const char *id, const char *reason,
                          int64_t *serial);
/* A volunteer as the caller may see them: the name in clear where a
 * coordinator's grant (or a key) views their community, else the suite's
 * mask (sf_ids.h). */
/* Where a volunteer lives, as precisely as known: their household's code
 * (below their zone), else their community's. What view scopes are
 * checked against, so that a zone's cadre reaches the zone's volunteers. */
const char *volunteer_home_code(const Sifang__V1__VolunteerProfile *profile);
void volunteer_profile_shown(sf_call_t *call, Sifang__V1__VolunteerProfile *profile);
/* A volunteer's name for a caller the duty reaches in unit_code, else its
 * mask. */
char *volunteer_name_shown(sf_call_t *call, const char *name, const char *unit_code);
/* An id field of letter and serial; a violation when missing or malformed. */
bool volunteer_check_id(sf_call_t *call, const char *field, const char *id, char letter,
                        int64_t *serial);
/* YYYY-MM-DD; empty is fine unless required. */
bool volunteer_check_date(sf_call_t *call, const char *field, const char *date, bool required);
bool volunteer_check_expected_version(sf_call_t *call, int64_t expected_version);
/* FAILED_PRECONDITION on expected_version when it is set and differs. */
sf_status_t volunteer_version_matches(sf_call_t *call, int64_t expected, int64_t actual,
                                      const char *what);

/* Ids: letters and widths of each aggregate. */
#define VOLUNTEER_ID_VOLUNTEER 'V'
#define VOLUNTEER_ID_TEAM 'T'
#define VOLUNTEER_ID_RECORD 'H'
#define VOLUNTEER_ID_CREDENTIAL 'C'
#define VOLUNTEER_ID_PAIRING 'P'
#define VOLUNTEER_ID_CONTACT 'K'
#define VOLUNTEER_ID_VISIT 'W'
#define VOLUNTEER_ID_FOLLOW_UP 'F'   /* what followed a household visit */
#define VOLUNTEER_ID_COBUILDING 'B'
#define VOLUNTEER_ID_DELIVERY 'J'     /* a co-building's delivery */
#define VOLUNTEER_ID_DISPATCH 'D'
#define VOLUNTEER_ID_PROVIDER 'S'
/* "V000123" for letter 'V' and serial 123 (each letter's own width). */
char *volunteer_id(sf_call_t *call, char letter, int64_t serial);

/* Today's date in the district's time zone (YYYY-MM-DD), or NULL with the
 * call's status set when the database fails. */
const char *volunteer_today(sf_call_t *call);
const volunteer_config_t *volunteer_config(sf_call_t *call);

/* --- the reference copy of grid (volunteer_reference.c) -------------------- */

/* Applies one of grid's events to the reference tables (the follower's
 * callback). */
sf_status_t volunteer_apply_grid_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg);

typedef struct {
    const char *id;
    const char *name;
    const char *household_code;
    const char *zone_code;
    const char *community_code;
    bool party_member;
} volunteer_resident_ref_t;

typedef struct {
    const char *code;
    const char *zone_code;
    const char *community_code;
    int n_flags;
    int flags[8];
} volunteer_household_ref_t;

typedef struct {
    const char *id;
    const char *name;
    const char *unit_code;
    const char *department_code;
    bool active;
} volunteer_staff_ref_t;

/* Each fills *ref from the reference copy; an unknown id is NOT_FOUND with a
 * violation on field (nothing is written). */
sf_status_t volunteer_resident_ref(sf_call_t *call, const char *field, const char *id,
                                   volunteer_resident_ref_t *ref);
sf_status_t volunteer_household_ref(sf_call_t *call, const char *field, const char *code,
                                    volunteer_household_ref_t *ref);
sf_status_t volunteer_staff_ref(sf_call_t *call, const char *field, const char *id,
                                volunteer_staff_ref_t *ref);
/* A zone with a location. */
sf_status_t volunteer_zone_ref(sf_call_t *call, const char *field, const char *code,
                               double *lat, double *lon);
/* A community; *name may be NULL. */
sf_status_t volunteer_community_ref(sf_call_t *call, const char *field, const char *code,
                                    const char **name);

/* --- shared aggregates ------------------------------------------------------ */

/* A volunteer with its derived status and hours. The statement's parameters
 * $1..$3 are the active rule's (volunteer_select_params), the rest follow. */
#define VOLUNTEER_RECENT_HOURS \
    "(SELECT COALESCE(sum(r.hours), 0) FROM service_record r WHERE r.volunteer_serial = v.serial" \
    " AND r.status = 2 AND r.served_on > (now() AT TIME ZONE $3)::date - $2::int)"
#define VOLUNTEER_STATUS \
    "CASE WHEN v.manual_status <> 1 THEN v.manual_status WHEN rh.hours >= $1::numeric THEN 2" \
    " WHEN v.registered_at > now() - make_interval(days => $2::int) THEN 1 ELSE 3 END"
#define VOLUNTEER_COLUMNS \
    "v.serial, v.resident_id, COALESCE(p.name, ''), COALESCE(p.household_code, ''), v.community_code," \
    " v.zone_code, array_to_string(v.skills, ','), array_to_string(v.skill_levels, ',')," \
    " array_to_string(v.availability, ','), COALESCE(p.party_member, false)," \
    " v.in_service, v.party_organisation, " VOLUNTEER_STATUS ", COALESCE(v.national_number, '')," \
    " rh.hours, v.total_hours, " VOLUNTEER_MS("v.registered_at") ", " VOLUNTEER_MS("v.updated_at") \
    ", v.version"
#define VOLUNTEER_FROM \
    " FROM volunteer v LEFT JOIN ref_resident p ON p.id = v.resident_id" \
    " CROSS JOIN LATERAL (SELECT " VOLUNTEER_RECENT_HOURS " AS hours) rh"
#define VOLUNTEER_SELECT "SELECT " VOLUNTEER_COLUMNS VOLUNTEER_FROM

void volunteer_select_params(sf_call_t *call, sf_params_t *params);
int volunteer_query_select_params(sf_query_t *query);
Sifang__V1__VolunteerProfile *volunteer_profile_from_row(sf_call_t *call, const PGresult *result,
                                                         int row, int column);
/* The volunteer with that serial, or *profile_p = NULL. lock: FOR UPDATE of
 * the volunteer's row. */
sf_status_t volunteer_load(sf_call_t *call, int64_t serial, bool lock,
                           Sifang__V1__VolunteerProfile **profile_p);

/* Teams. */
#define TEAM_COLUMNS \
    "t.serial, t.name, t.type, t.community_code, t.leader_serial, COALESCE(lp.name, ''), t.service_brand," \
    " array_to_string(t.skills, ','), (SELECT count(*) FROM team_member m WHERE m.team_serial = t.serial)," \
    " t.disbanded_at IS NULL, " VOLUNTEER_MS("t.created_at") ", " VOLUNTEER_MS("t.updated_at") \
    ", t.version"
#define TEAM_FROM \
    " FROM team t JOIN volunteer lv ON lv.serial = t.leader_serial" \
    " LEFT JOIN ref_resident lp ON lp.id = lv.resident_id"
Sifang__V1__VolunteerTeam *volunteer_team_from_row(sf_call_t *call, const PGresult *result, int row);
sf_status_t volunteer_team_load(sf_call_t *call, int64_t serial, bool lock,
                                Sifang__V1__VolunteerTeam **team_p);

/* Service records. */
#define RECORD_COLUMNS \
    "s.serial, s.volunteer_serial, s.team_serial, s.activity, COALESCE(s.household_code, '')," \
    " COALESCE(s.case_ref, ''), to_char(s.served_on, 'YYYY-MM-DD'), s.hours, s.status," \
    " s.community_code, s.reviewed_by, s.review_note, " VOLUNTEER_MS("s.reviewed_at") "," \
    " s.dispatch_serial, COALESCE(s.skill, ''), " VOLUNTEER_MS("s.created_at") ", s.version"
Sifang__V1__VolunteerServiceRecord *volunteer_record_from_row(sf_call_t *call, const PGresult *result,
                                                              int row);

/* What a new service record says, checked and resolved by
 * volunteer_record_prepare and written by volunteer_record_insert. */
typedef struct {
    int64_t volunteer_serial;      /* 0 = none */
    int64_t team_serial;           /* 0 = none */
    const char *activity;
    const char *household_code;    /* "" = none */
    const char *case_ref;
    const char *served_on;
    double hours;
    const char *community_code;    /* resolved: the volunteer's, else the team's */
    const char *skill;
    int64_t dispatch_serial;       /* 0 = none */
} volunteer_record_draft_t;

/* Checks a submitted record's fields and references (violations, NOT_FOUND
 * for unknown volunteers, teams and households) and fills draft. */
sf_status_t volunteer_record_prepare(sf_call_t *call, const Sifang__V1__VolunteerServiceRecord *record,
                                     volunteer_record_draft_t *draft);
/* Refuses more than 24 hours in a day for the volunteer (or, for a team-only
 * record, the team), counting pending and approved records already there,
 * then inserts the record pending and emits "service_record.submitted". */
sf_status_t volunteer_record_insert(sf_call_t *call, const volunteer_record_draft_t *draft,
                                    Sifang__V1__VolunteerServiceRecord **record_p);

#endif
