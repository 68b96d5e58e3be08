/* Employment's handlers and what they share: the service state, the method
 * table, the "apply" functions that take one record or a whole import run
 * through the same checks and set-based statements, queries and paging, field
 * checks, and the row-to-message conversions used in more than one file. */
#ifndef EMPLOYMENT_H
#define EMPLOYMENT_H

#include <stdbool.h>
#include <stdint.h>
#include "sf_kept.h"
#include "sf_page.h"
#include "sf_query.h"
#include "sf_roles.h"
#include "sf_server.h"
#include "sf_text.h"
#include "sifang/v1/employment.pb-c.h"
#include "sifang/v1/grid.pb-c.h"
#include "employment_codes.h"

#include "employment_settings.h"   /* employment_settings_t, EMP_LANES_MAX */

/* The service state handed to every handler. Read methods run on the read
 * pool's threads (common/sf_server_reads.c): the settings are set before
 * the server starts and only read after; the occupation codes are loaded
 * lazily by write methods only (on the loop's thread; an import's lanes
 * read them after emp_import_batch loaded them), never by a read method,
 * so they need no lock; the lanes are an import's (a write). */

typedef struct {
    int circle_m;                 /* the fifteen-minute employment circle */
    int working_age_min;
    int retirement_age_men;
    int retirement_age_women;
    size_t import_max_bytes;
    int import_max_lines;
    /* The occupation codes, loaded once: the table changes only by migration. */
    char **occupations;
    size_t n_occupations;
    bool occupations_loaded;
    /* The connections an import applies its runs in (employment_lanes.c). */
    int n_lanes;
    sf_db_t *lanes[EMP_LANES_MAX];
    /* Statistics' replies kept with the version of the data they were
     * computed from (common/sf_kept.h; its own lock). */
    sf_kept_t *statistics;
} employment_t;

employment_t *employment_new(const employment_settings_t *settings);
void employment_destroy(employment_t **self_p);

/* Who may call what, by duty (sf_roles.h). Occupations, courses,
 * enterprises, vacancies and statistics are public; a method that returns
 * persons or what a person did (placements, support, training) is the
 * staff's, never the anonymous viewer's; writes are the employment duty's
 * and the systems' (a service key); an import and the change feed are the
 * systems' and the district's. */
#define EMP_ROLES_PUBLIC SF_ROLES_PUBLIC
#define EMP_ROLES_PERSON SF_ROLES_PERSON_READ
#define EMP_ROLES_WRITE SF_ROLES_EMPLOYMENT_DUTY " service"
#define EMP_ROLES_IMPORT "admin district department gateway service"
/* Whose grants count where a person's data is shown in clear and where a
 * record may be written: every key (the method table has chosen which may
 * call), and among a person's grants only the employment duty's, each within
 * its own scope: a leader or a window clerk sees the persons of their scope
 * masked, and writes none. */
#define EMP_ROLES_DUTY SF_KEY_ROLES " " SF_ROLES_EMPLOYMENT_DUTY

extern const sf_method_t employment_methods[];

/* The method table's handlers, by file, declared with common's function
 * types (the compiler checks each definition against them); each is defined
 * written out in full, which ctags and cscope find (docs/contributing.md,
 * "Declaring a handler"). */

/* employment_people.c */
sf_handler_fn emp_person_register, emp_person_update, emp_person_get, emp_person_list, emp_person_history;
/* employment_enterprises.c */
sf_handler_fn emp_enterprise_register, emp_enterprise_update, emp_enterprise_get, emp_enterprise_list;
/* employment_vacancies.c */
sf_handler_fn emp_vacancy_post, emp_vacancy_close, emp_vacancy_get, emp_vacancy_list;
/* employment_placements.c */
sf_handler_fn emp_placement_register, emp_placement_end, emp_placement_list;
sf_batch_handler_fn emp_placement_register_batch;
/* employment_support.c */
sf_handler_fn emp_support_grant, emp_support_list;
/* employment_occupations.c */
sf_handler_fn emp_occupation_get, emp_occupation_list;
/* employment_match.c */
sf_handler_fn emp_match_vacancies, emp_match_seekers;
/* employment_training.c */
sf_handler_fn emp_course_create, emp_course_list, emp_enrolment_create, emp_enrolment_update,
              emp_mock_test_record, emp_exam_result_record, emp_training_record;
/* employment_statistics.c */
sf_handler_fn emp_statistics;
/* employment_followups.c */
sf_handler_fn emp_follow_up_list, emp_follow_up_record;
/* employment_incubation.c */
sf_handler_fn emp_incubation_base_create, emp_incubation_base_list, emp_incubation_tenant_admit,
    emp_incubation_tenant_leave, emp_incubation_tenant_list;
/* employment_hiring.c */
sf_handler_fn emp_hiring_difficulty;
/* employment_exchange.c */
sf_handler_fn emp_import_batch, emp_export_events;

/* Whether the caller may write a record of unit_code (a zone; NULL: a
 * record of no zone, which only a key of the whole district writes): a key's
 * scope, or the write scopes of a person's employment grants. */
bool emp_may_write(const sf_call_t *call, const char *unit_code);
/* A person as the caller may see them: name, birth date and difficulties in
 * clear only where an employment grant (or a key) views their home zone;
 * elsewhere the suite's masks (sf_ids.h) and no difficulties. */
void emp_person_shown(sf_call_t *call, Sifang__V1__Person *person);
/* The subtrees the caller views through grants of roles (NULL: any), as a
 * text[] literal of code prefixes ("" is the whole district) for a
 * statement's EMP_UNDER_ANY. */
const char *emp_view_prefixes(sf_call_t *call, const char *roles);
/* A zone column in one of the subtrees of a text[] parameter. */
#define EMP_UNDER_ANY(column, param) \
    "EXISTS (SELECT 1 FROM unnest(" param "::text[]) s WHERE starts_with(" column ", s))"

/* employment_grid.c: applies one of grid's events to the reference tables. */
sf_status_t emp_grid_apply(sf_db_t *db, const Sifang__V1__Event *event, void *arg);

/* --- records applied one at a time or a run at a time ------------------------
 * One record to apply (a request, or a line of an import) and what became of
 * it. The same apply function serves PersonRegister (one item) and an import
 * run (many): it checks every item in C, looks up what the items refer to in
 * a few set-based statements, writes the good ones with INSERT ... SELECT FROM
 * unnest, and emits their events last, so a statement that fails leaves no
 * event behind. */
typedef struct {
    int line;                     /* 1-based line of an import; 0 for a request */
    const char *system;           /* imported: the external system, else NULL */
    const char *external_id;
    uint8_t hash[16];             /* imported: digest of the record's content */
    Sifang__V1__ImportOutcome outcome;  /* UNSPECIFIED until decided */
    sf_status_t status;           /* FAILED: the status a request would get */
    const char *field;
    const char *error;
    const char *key;              /* applied: the record's key here */
    ProtobufCMessage *stored;     /* applied: the record as stored (a reply) */
    sf_call_t *call;              /* a batch handler's own call for the item: its
                                     principal and events; NULL = the apply's */
} emp_item_t;

/* The call an item's events and scope belong to. */
static inline sf_call_t *
emp_item_call(sf_call_t *call, const emp_item_t *item)
{
    return item->call ? item->call : call;
}

void emp_item_init(emp_item_t *item);
/* Marks the item failed (the first failure stands). */
void emp_item_fail(sf_call_t *call, emp_item_t *item, sf_status_t status, const char *field,
                   const char *format, ...) __attribute__((format(printf, 5, 6)));
bool emp_item_open(const emp_item_t *item);

/* What an apply looks up for its run in one statement: per record still
 * open, its own key ($1, text), the zone it names ($2, NULL for none) and
 * its source's system, external id and content hash ($3, $4, $5; NULL for
 * a record not imported). EMP_LOOKUP_KEYS(key) is the FROM of that
 * statement: k.<key>, k.zone, k.system, k.ext_id, k.hash, and k.ord, which
 * names the record (emp_lookup_record). */
typedef struct {
    sf_binarray_t keys, zones, systems, external_ids, hashes;
    size_t *asked;                /* the record of the ord-th key */
    size_t n_asked;
} emp_lookup_t;
#define EMP_LOOKUP_KEYS(key) \
    " FROM (SELECT unnest($1::text[]) AS " key ", unnest($2::text[]) AS zone, unnest($3::text[]) AS system," \
    "   unnest($4::text[]) AS ext_id, unnest($5::bytea[]) AS hash," \
    "   generate_series(1, cardinality($1::text[])) AS ord) k"

/* For a run of n records. */
void emp_lookup_init(sf_call_t *call, emp_lookup_t *lookup, size_t n);
/* Record i (items[i] open) with its key and zone ("" for none). */
void emp_lookup_add(emp_lookup_t *lookup, size_t i, const emp_item_t *item, const char *key, const char *zone);
/* Runs sql, whose first column is k.ord, over the keys (emp_try: the
 * caller PQclear()s *found_p), and releases them. *found_p is NULL when no
 * record was open. SF_OK or the statement's failure (statement-only). */
sf_status_t emp_lookup_run(sf_call_t *call, emp_lookup_t *lookup, const char *sql, PGresult **found_p);
/* The record a row of the lookup answers. */
size_t emp_lookup_record(const emp_lookup_t *lookup, const PGresult *found, int row);

/* Returns SF_OK when every item has its outcome and the writes and events are
 * done; SF_UNAVAILABLE when the database is gone; any other status when a
 * statement failed (the call's failure says why): the caller rolls back and,
 * for a run, applies each item alone. */
typedef sf_status_t (*emp_apply_fn)(sf_call_t *call, const ProtobufCMessage *const *records,
                                    emp_item_t *items, size_t n);

sf_status_t emp_person_apply(sf_call_t *call, const ProtobufCMessage *const *records,
                             emp_item_t *items, size_t n);
sf_status_t emp_vacancy_apply(sf_call_t *call, const ProtobufCMessage *const *records,
                              emp_item_t *items, size_t n);
sf_status_t emp_placement_apply(sf_call_t *call, const ProtobufCMessage *const *records,
                                emp_item_t *items, size_t n);

/* Settings for set-based statements over thousands of records, until the
 * transaction ends. False when the database is gone. */
bool emp_bulk_settings(sf_call_t *call);

/* Applies a run in a savepoint; when the run's statements fail, rolls it back
 * and applies each item alone in a savepoint of its own, so one bad record
 * never sinks the others. Returns SF_OK or SF_UNAVAILABLE. */
sf_status_t emp_apply_run(sf_call_t *call, emp_apply_fn apply, const ProtobufCMessage *const *records,
                          emp_item_t *items, size_t n);

/* employment_lanes.c: the run applied in the import lanes, each part in
 * its own transaction, committed before this returns. Record i names up to
 * EMP_LANE_KEYS rows it shares with others (lane_keys[i * EMP_LANE_KEYS +
 * k], NULL for none): records linked by such keys go to one lane, in line
 * order. Returns SF_OK or SF_UNAVAILABLE (what some lanes committed stays). */
#define EMP_LANE_KEYS 2
sf_status_t emp_lanes_apply_run(sf_call_t *call, emp_apply_fn apply, const ProtobufCMessage *const *records,
                                emp_item_t *items, const char *const *lane_keys, size_t n);
/* Runs fn over [0, n) in slices, one per lane, each in its own thread with a
 * fork of the call (no database: for work in C, reading an import's lines);
 * small n in this thread alone. Returns when every slice is done. */
typedef void (*emp_slice_fn)(sf_call_t *fork, size_t from, size_t to, void *arg);
void emp_lanes_slices(sf_call_t *call, size_t n, emp_slice_fn fn, void *arg);
bool emp_lanes_open(employment_t *self, sf_server_t *server);
void emp_lanes_close(employment_t *self);

/* A request's single item: applies it and turns a failure into the call's
 * status and field violation. On SF_OK *reply_p is the stored record. */
sf_status_t emp_apply_one(sf_call_t *call, emp_apply_fn apply, const ProtobufCMessage *record,
                          ProtobufCMessage **reply_p);
/* The batch handler of a write method whose requests are records: one apply
 * for the run, each request's refusal and events on its own call. */
sf_status_t emp_apply_batch(emp_apply_fn apply, sf_call_t **calls, const ProtobufCMessage **requests,
                            ProtobufCMessage **replies, size_t n);
sf_batch_handler_fn emp_person_register_batch, emp_vacancy_post_batch;
/* An item's outcome as a request's: its failure on the call, or the stored
 * record as the reply. */
sf_status_t emp_item_reply(sf_call_t *call, const emp_item_t *item, ProtobufCMessage **reply_p);

/* --- statements ------------------------------------------------------------ */

/* Runs a statement whose result the caller owns (PQclear()s it: an import's
 * run reads thousands of rows it need not keep until the call ends), or
 * NULL with the failure the call's (sf_call_fail_statement: its status,
 * message and constraint), as sf_call_query's. A function that runs only
 * such statements ("statement-only") returns sf_call_status(call) on a
 * failure, and any other failure it returns it has said on the call too. */
PGresult *emp_try(sf_call_t *call, const char *sql, const sf_params_t *params);
/* The call's failure as the item's, in words a caller understands (the
 * constraint a statement hit names the field), then cleared from the call:
 * the item carries it, and the call goes on. */
void emp_item_fail_sql(sf_call_t *call, emp_item_t *item);

/* Milliseconds since the epoch of a timestamptz column, in SQL. */
#define EMP_MS(column) "(extract(epoch FROM " column ") * 1000)::bigint"
#define EMP_DATE(column) "COALESCE(to_char(" column ", 'YYYY-MM-DD'), '')"

/* Queries are common's sf_query_t (sf_query.h). */

/* --- paging ----------------------------------------------------------------- */

/* Lists page by common's rules (sf_page.h: sf_page_read, sf_page_int_token,
 * sf_page_rows, sf_page_more). */

/* --- checks ------------------------------------------------------------------- */

/* Subtree filters are clipped to the caller's scope by common's
 * sf_call_scope_under (sf_codes.h). */
/* An optional date field: true with *day (unchanged when empty). */
bool emp_check_date(sf_call_t *call, const char *field, const char *value, int32_t *day);
/* The same for an item (its first failure). */
bool emp_item_text(sf_call_t *call, emp_item_t *item, const char *field, const char *value, size_t max,
                   bool required);
bool emp_item_date(sf_call_t *call, emp_item_t *item, const char *field, const char *value, int32_t *day);

/* Whether the occupation code is in the classification (loaded once). */
bool emp_occupation_known(sf_call_t *call, const char *code);
/* Loads the classification now if it is not yet: before other threads ask
 * emp_occupation_known (the import lanes). False when the database is down. */
bool emp_occupations_ready(sf_call_t *call);

/* Names of enums for errors and events. */
const char *emp_status_name(int status);
/* The reason a status period gets when its event is given without one. */
const char *emp_status_event_word(int event);

#define EMP_NAME_MAX 100
#define EMP_TEXT_MAX 200
#define EMP_IDENT_MAX 64
#define EMP_MAX_SKILLS 32
#define EMP_MAX_LIST 32

/* --- shared conversions ------------------------------------------------------ */

/* Rows are read by column name, and no count of columns is kept by hand:
 * each list below is decoded in its order by its *_from_row, which checks
 * that the list ends on the column it reads last (named with AS), and a
 * statement that selects more after a list names those columns and reads
 * them with PQfnumber. A count kept beside a list fell behind it once
 * (intake's) and garbled every field read after it. */

/* Columns of a person p with its resident r, read by emp_person_from_row;
 * person_serial after them, read by name. */
#define EMP_PERSON_COLUMNS \
    "p.resident_id, COALESCE(r.name, ''), COALESCE(r.gender, 0), " EMP_DATE("r.birth_date") ", " \
    "COALESCE(r.household_code, ''), p.home_zone_code, p.status, " EMP_DATE("p.status_since") ", " \
    "p.difficulties::text, " EMP_DATE("p.difficulty_since") ", p.skill_codes::text, p.skill_grades::text, " \
    "p.skill_years::text, p.certificates::text, p.seeking_work, p.desired::text, " \
    EMP_DATE("p.registered_on") ", COALESCE(p.ext_system, ''), COALESCE(p.ext_id, ''), " \
    EMP_MS("p.created_at") ", " EMP_MS("p.updated_at") ", p.disability_certificate, p.status_event," \
    " p.version AS person_version, p.serial AS person_serial"
#define EMP_PERSON_FROM "person p LEFT JOIN ref_resident r ON r.id = p.resident_id"
/* NULL (logged) when the row's columns are not EMP_PERSON_COLUMNS'. */
Sifang__V1__Person *emp_person_from_row(sf_call_t *call, const PGresult *result, int row, int column);

#define EMP_VACANCY_COLUMNS \
    "v.id, v.enterprise_credit_code, e.name, v.title, v.occupation_code, v.required_grade, v.positions," \
    " v.open_positions, v.full_time, v.wage_min, v.wage_max, COALESCE(v.work_zone_code, ''), " \
    EMP_DATE("v.opens_on") ", " EMP_DATE("v.closes_on") ", v.status, COALESCE(e.liaison_staff_id, ''), " \
    "COALESCE(s.name, ''), COALESCE(v.ext_system, ''), COALESCE(v.ext_id, ''), " \
    EMP_MS("v.created_at") ", " EMP_MS("v.updated_at") ", v.version AS vacancy_version"
#define EMP_VACANCY_FROM \
    "vacancy v JOIN enterprise e ON e.credit_code = v.enterprise_credit_code" \
    " LEFT JOIN ref_staff s ON s.id = e.liaison_staff_id"
/* NULL (logged) when the row's columns are not EMP_VACANCY_COLUMNS'. */
Sifang__V1__Vacancy *emp_vacancy_from_row(sf_call_t *call, const PGresult *result, int row, int column);

#define EMP_PLACEMENT_COLUMNS \
    "pl.id, p.resident_id, COALESCE(pl.enterprise_credit_code, ''), COALESCE(pl.vacancy_id, 0)," \
    " COALESCE(pl.occupation_code, ''), pl.kind, pl.source, pl.full_time, " EMP_DATE("pl.start_date") ", " \
    EMP_DATE("pl.end_date") ", pl.employer_name, pl.home_zone_code, COALESCE(pl.ext_system, ''), " \
    "COALESCE(pl.ext_id, ''), " EMP_MS("pl.created_at") ", " EMP_MS("pl.updated_at") ", pl.version AS placement_version," \
    " COALESCE(pl.separation_reason, 0), pl.separation_note"
#define EMP_PLACEMENT_FROM "placement pl JOIN person p ON p.serial = pl.person_serial"
Sifang__V1__Placement *emp_placement_from_row(sf_call_t *call, const PGresult *result, int row);

/* Reads a PostgreSQL array literal of integers or texts ("{1,2}",
 * "{a,\"b c\"}") into call memory. */
size_t emp_parse_int_array(sf_call_t *call, const char *literal, int64_t **out);
size_t emp_parse_text_array(sf_call_t *call, const char *literal, char ***out);

/* Loads the person with that resident id (NULL when none). lock: FOR UPDATE. */
sf_status_t emp_person_load(sf_call_t *call, const char *resident_id, bool lock,
                            Sifang__V1__Person **person_p, int64_t *serial);

/* Sets a person's status from effective_on (a day), closing the current one
 * as a period. *changed says whether it changed (not when the same, nor when
 * the current status began later). Statements only (emp_try): the caller
 * emits with emp_emit_status_change once all its statements are done. */
sf_status_t emp_person_set_status(sf_call_t *call, int64_t serial, int status, int32_t effective_on,
                                  int event, const char *reason, bool *changed);
/* The event person.status_changed: the period that began (its status, first
 * day, the event and reason that began it) and whether the person seeks work
 * from then (a placement clears it, a separation to unemployment sets it). */
void emp_emit_status_change(sf_call_t *call, const char *resident_id, int status, int32_t effective_on,
                            int event, const char *reason, bool seeking_work);
/* Whether a person of this status seeks work once the status begins: the
 * unemployed do (a separation restores it), the employed do not (a placement
 * clears it). */
bool emp_seeks_work_in(int status);
/* The labour status a placement of this kind gives. */
int emp_status_of_placement(int kind);

/* An array literal in call memory from a builder (released). */
char *emp_pgarray_take(sf_call_t *call, sf_pgarray_t *array);

/* A set of strings (borrowed) sized for n, in call memory, so that a run of
 * thousands stays linear. add returns false when the key was there. Each
 * key may carry a number (value). */
typedef struct {
    const char **keys;
    size_t *values;
    size_t capacity;
} emp_strset_t;
void emp_strset_init(sf_call_t *call, emp_strset_t *self, size_t n);
void emp_strset_clear(emp_strset_t *self);
bool emp_strset_add(emp_strset_t *self, const char *key);
/* Adds key with value, or gives the value the key came with before. */
size_t emp_strset_value(emp_strset_t *self, const char *key, size_t value);
bool emp_strset_has(const emp_strset_t *self, const char *key);



/* --- employment_followups.c: the visits after a placement or a grant ------- */

/* Schedules the follow-up visits of the placements just written (ids: a
 * bigint[] literal) or of a support grant (kind STARTUP, one id), by the
 * schedule in follow_up_step (statement-only). */
sf_status_t emp_follow_ups_schedule(sf_call_t *call, int kind, const char *ids);
/* A placement ended on end_date: its visits not yet made and due after it
 * are cancelled (statement-only). */
sf_status_t emp_follow_ups_cancel(sf_call_t *call, int64_t placement_id, const char *end_date);

/* --- employment_difficulty.c: the categories' rules, for every path ---------- */

/* What the rules read of the person as they will be. */
typedef struct {
    int gender;                        /* grid's */
    const char *birth_date;            /* grid's, "" = unknown */
    const char *household_code;        /* grid's, "" = unknown */
    int status;                        /* the labour status they will hold */
    const char *disability_certificate;  /* "" = none */
    const char *employed_member;       /* a household member in work ("" = none): emp_household_employed */
} emp_difficulty_facts_t;

/* Fails the item (field difficulties[i] or disability_certificate) for the
 * first category of categories not yet recognised (recognised[i] false, or
 * recognised NULL) that its rule refuses on the day on. */
void emp_difficulty_check(sf_call_t *call, emp_item_t *item, const Sifang__V1__DifficultyCategory *categories,
                          size_t n, const bool *recognised, int32_t on, const emp_difficulty_facts_t *facts);
/* Whether the categories ask who of the household is in work. */
bool emp_difficulties_need_household(const Sifang__V1__DifficultyCategory *categories, size_t n);
/* A member of the household other than resident_id registered here in work,
 * "" for none (statement-only). */
sf_status_t emp_household_employed(sf_call_t *call, const char *resident_id, const char *household_code,
                                   char **member);
bool emp_disability_certificate_valid(const char *number);

/* The digest of a packed message (import idempotency). */
void emp_digest(const ProtobufCMessage *message, uint8_t out[16]);

#endif
