/* Evaluation's handlers and what they share: the service state (settings and
 * the followed sources), the method table, adding to fact totals, computing
 * KPI values for units and a period (the figures engine), scorecards, and the
 * checks and conversions more than one file needs. */
#ifndef EVALUATION_H
#define EVALUATION_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sf_client.h"
#include "sf_follower.h"
#include "sf_kept.h"
#include "sf_roles.h"
#include "sf_server.h"
#include "sf_text.h"
#include "sf_textbuf.h"
#include "sifang/v1/evaluation.pb-c.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/intake.pb-c.h"
#include "evaluation_expr.h"
#include "evaluation_period.h"

/* One followed source instance: "grid", "intake", "intake@civil-affairs". */
typedef struct evaluation_t evaluation_t;
typedef struct {
    char name[96];            /* as configured: the instance, or at the city level "<district>:<instance>";
                               * its cursor's key, and the source its state is kept under */
    char instance[96];        /* the instance, as it names itself in its events */
    char district[32];        /* the city level: the district it is of; "" in a district's evaluation */
    char service[32];         /* the part before '@': which mapping applies */
    char env_stem[96];        /* SIFANG_<STEM>_ENDPOINT ...: '@' and '-' become '_' */
    char endpoint[256];
    char publish[256];
    sf_follower_t *follower;
    /* Intake instances: the follower thread's client for CaseHistory, which
     * says when a step happened when an event's own account of it is not
     * believed (evaluation_intake.c). */
    sf_client_t *reader;
    evaluation_t *evaluation;
    /* Written by the follower thread, read by handlers and Sys.Stats. */
    _Atomic int64_t cursor;
    _Atomic int64_t head;
    _Atomic int64_t skipped;       /* events that did not decode (event_skipped) */
    _Atomic bool synced;           /* a sync has ended since the start: head is the source's */
    /* The follower thread's own: when to poll next, failures in a row. */
    int64_t poll_at_ms;
    int failures;
    /* Grid's: its records read again from the first event, up to
     * backfill_until, before the follower goes on (migration 013,
     * evaluation_backfill.c); NULL once done or when none is asked. */
    sf_follower_t *backfill;
    int64_t backfill_until;
} eval_source_t;

#define EVAL_MAX_SOURCES 32

struct evaluation_t {
    int poll_ms;
    int page_size;
    /* SIFANG_EVALUATION_LEVEL=city: the sources are several districts',
     * and CityScorecardGet ranks the districts (evaluation_city.c). */
    bool city;
    /* The version of the last of evaluation's own migrations: the
     * followers start once it is recorded, never while a migration that
     * forgets facts and cursors (004) is still to run. */
    int last_migration;
    /* How many migrations the binary holds: all of them recorded, not
     * merely the last (a test makes an earlier one pending again). */
    int n_migrations;
    eval_source_t sources[EVAL_MAX_SOURCES];
    size_t n_sources;
    /* The followers run in a thread of their own with a connection of
     * their own, so that a source that is down or a long catch-up never
     * holds up the service's requests. */
    sf_db_t *follower_db;
    pthread_t follower_thread;
    bool follower_running;
    atomic_bool stopping;
    bool caught_up_logged;         /* the follower thread's: "caught up" said */
    /* ScorecardGet's replies kept with the version of the data they were
     * computed from (common/sf_kept.h; its own lock). */
    sf_kept_t *scorecards;
};

/* Roles, as the method table and the handlers name them, by duty
 * (sf_roles.h): facts, KPIs, scorecards and reports are aggregates, public;
 * definitions, rounds and freezes are the appraisal's (the appraisal office,
 * the district's key); inputs and sign-off also the streets' keys (for
 * their communities); survey samples and responses (households) the units'
 * keys and the appraisal office. */
#define EVAL_ROLES_READ SF_ROLES_PUBLIC
#define EVAL_ROLES_DISTRICT SF_ROLES_APPRAISAL
#define EVAL_ROLES_INPUTS SF_ROLES_APPRAISAL " street"
#define EVAL_ROLES_SURVEY SF_ROLES_APPRAISAL " street community"
#define EVAL_ROLES_SIGN_OFF SF_ROLES_APPRAISAL " street"
/* Who manages people (sees a team's figures and reports, grades them):
 * the appraisal office and leaders, the streets' and communities' staff and
 * keys, each within their scope; never a window clerk or zone cadre, whose
 * scope reaches their unit but who see only their own. */
#define EVAL_ROLES_TEAM SF_ROLES_APPRAISAL " street community leader street_staff community_staff"

extern const sf_method_t evaluation_methods[];

/* The method table's handlers, by file, declared with common's function
 * types (the compiler checks each definition against them); each is defined
 * written out in full, which ctags and cscope find (docs/contributing.md,
 * "Declaring a handler"). */

/* evaluation_kpis.c */
sf_handler_fn eval_fact_list, eval_fact_values, eval_kpi_define, eval_kpi_get, eval_kpi_list, eval_kpi_values;
/* evaluation_inputs.c */
sf_handler_fn eval_input_record, eval_input_list;
/* evaluation_sources.c */
sf_handler_fn eval_source_list;
/* evaluation_surveys.c */
sf_handler_fn eval_questionnaire_define, eval_questionnaire_get, eval_survey_round_create,
              eval_survey_round_get, eval_survey_round_list, eval_survey_round_close, eval_survey_sample,
              eval_survey_response_record;
sf_batch_handler_fn eval_survey_response_record_batch;
/* evaluation_survey_results.c */
sf_handler_fn eval_survey_results;
/* evaluation_schemes.c */
sf_handler_fn eval_scheme_define, eval_scheme_get;
/* evaluation_scorecards.c */
sf_handler_fn eval_scorecard_get, eval_sign_off, eval_sign_off_history, eval_period_freeze,
              eval_appraisal_list;
/* evaluation_zone_scores.c */
sf_handler_fn eval_zone_scorecard_get;
/* evaluation_sensitivity.c */
sf_handler_fn eval_sensitivity;
/* evaluation_report.c */
sf_handler_fn eval_report_json, eval_report_html;
/* evaluation_people.c */
sf_handler_fn eval_staff_figures_get, eval_staff_figures_list;
/* evaluation_appraisal.c */
sf_handler_fn eval_appraisal_report_submit, eval_appraisal_report_get, eval_appraisal_report_list,
              eval_appraisal_report_grade, eval_award_decide, eval_award_list;

/* --- sources (evaluation_sources.c) -------------------------------------- */

/* Reads SIFANG_EVALUATION_SOURCES ("grid intake intake@civil-affairs ...")
 * and each instance's endpoints. Returns 0, or -1 with a reason. */
int eval_sources_configure(evaluation_t *self, const char *list, char *error, size_t error_size);
/* Creates the followers and starts their thread. */
int eval_sources_start(evaluation_t *self, sf_server_t *server, char *error, size_t error_size);
/* Stops the thread and destroys the followers (before the server goes). */
void eval_sources_stop(evaluation_t *self);
/* Whether evaluation maps a service's events to facts. */
bool eval_service_mapped(const char *service);
/* Adds the sources' states to a reply (call memory). */
Sifang__V1__SourceState **eval_sources_states(sf_call_t *call, size_t *n);
/* Whether evaluation is still catching up: a source has not answered a sync
 * since the start, or its cursor is behind the head it last announced. The
 * figures are then still filling in (SourceList, ScorecardGet say so). */
bool eval_sources_catching_up(evaluation_t *self);

/* The mappings, one per source service: apply one event inside the
 * follower's transaction. */
sf_status_t eval_grid_apply(evaluation_t *self, sf_db_t *db, const Sifang__V1__Event *event);
sf_status_t eval_intake_apply(eval_source_t *source, sf_db_t *db, const Sifang__V1__Event *event);
/* Per-stage lateness (签收, first response, 办结) against the holder when each
 * stage fell due (evaluation_stages.c); called by eval_intake_apply with the
 * case's row locked. counted holds the stages counted before (the row's
 * stages_counted, space-separated) and gets the ones counted now; the
 * caller writes it back with the row. */
sf_status_t eval_intake_stages(eval_source_t *source, sf_db_t *db, const Sifang__V1__Case *c,
                               const Sifang__V1__Event *event, sf_textbuf_t *counted);
sf_status_t eval_employment_apply(evaluation_t *self, sf_db_t *db, const Sifang__V1__Event *event);
sf_status_t eval_volunteer_apply(evaluation_t *self, sf_db_t *db, const Sifang__V1__Event *event);
/* evaluation_backfill.c: grid's records read again (migration 013) by a
 * follower of their own, made at start for each grid source; whether any is
 * asked for is read once the migrations are done (eval_backfill_load, in the
 * follower thread), then each step (eval_backfill_step) reads on until the
 * source's backfill is done and removed. */
int eval_backfill_new(eval_source_t *source, void *zmq_context, const sf_curve_client_t *curve, char *error,
                      size_t error_size);
bool eval_backfill_load(evaluation_t *self);
int eval_backfill_step(eval_source_t *source);
/* evaluation_district_work.c: funding, meeting attendance, leaders' contact
 * visits and problems, departments' work and pairings from grid's events
 * (*handled false for any other event, and for pairing.created, which goes
 * on to the copy of grid's tables), co-buildings and their deliveries from
 * volunteer's. */
sf_status_t eval_grid_work_apply(sf_db_t *db, const Sifang__V1__Event *event, bool *handled);
/* Of them, the records counted once each however often they are read
 * (contact visits and problems, departments' work and pairings): what
 * re-reading grid's log counts (evaluation_backfill.c). */
sf_status_t eval_grid_records_apply(sf_db_t *db, const Sifang__V1__Event *event, bool *handled);
/* Intake's case id seen for the first time (of intake_source, as its
 * intake_case rows name it): the contact problems handed to it, waiting
 * uncounted, count as become cases now (migration 022). */
sf_status_t eval_contact_case_seen(sf_db_t *db, const char *intake_source, int64_t case_id);
sf_status_t eval_volunteer_work_apply(sf_db_t *db, const Sifang__V1__Event *event, bool *handled);
bool eval_intake_mapped(void);
/* Employment places a person in their household's zone unless a zone was
 * given, and moves them with their household without an event of its own:
 * evaluation does the same when grid moves the resident. */
sf_status_t eval_employment_resident_moved(sf_db_t *db, const char *resident_id, const char *old_household,
                                           const char *new_household, int64_t at);
bool eval_employment_mapped(void);
bool eval_volunteer_mapped(void);

/* --- people (evaluation_people.c) ------------------------------------------ */

#define EVAL_MONTH_SIZE EVAL_PERIOD_SIZE   /* "2026-11" */
#define EVAL_PERSON_ID_SIZE 160    /* staff ids and principals' ids: short by contract */

/* What evaluation knows of the people in a case (its row in intake_case). */
typedef struct {
    char first_responder[EVAL_PERSON_ID_SIZE];
    char received_month[EVAL_MONTH_SIZE];
    char resolver[EVAL_PERSON_ID_SIZE];      /* the latest 办结 or 直接答复 step's actor */
    int64_t resolved_ms;                     /* that resolution's time */
    char handled_by[EVAL_PERSON_ID_SIZE];    /* the resolver when the case closed */
    char closed_month[EVAL_MONTH_SIZE];
    bool handled_on_time;
    int64_t satisfaction;                    /* 1..5, 0 = not rated */
    int64_t handling_ms;                     /* resolved - received, at closing */
} eval_case_people_t;

/* Reads the nine columns from column on of the case's row (NULL: none). */
void eval_case_people_read(eval_case_people_t *people, const PGresult *result, int column);
/* Updates people for one of the case's events, inside the follower's
 * transaction; rework counted against the resolver whose answer was
 * reopened. at is the step's time (when the mapping needed it). */
sf_status_t eval_case_people_step(eval_source_t *source, sf_db_t *db, const Sifang__V1__Case *c,
                                  const Sifang__V1__Event *event, bool known, bool was_closed, int64_t reworked,
                                  int64_t at, eval_case_people_t *people);
/* A household visit by a staff member, once. */
sf_status_t eval_staff_visit(sf_db_t *db, const char *source, const char *visit_id, const char *staff_id,
                             int64_t at_ms);
/* Whether the caller may see a person's figures and reports: their own, or
 * a manager's (EVAL_ROLES_TEAM) scope reaching the person's unit. */
bool eval_may_see_person(sf_call_t *call, const char *staff_id, const char *unit_code);
/* Rework by who answered (evaluation_rework.c, migration 007): a reopening
 * against the unit of the resolver of the answer reopened (answered_by, as
 * the case's row had it before the event), a case's first one once in its
 * own unit; a new resolution as an answer given by its resolver's unit. */
sf_status_t eval_rework_reopened(sf_db_t *db, const Sifang__V1__Case *c, const char *case_unit, const char *answered_by,
                                 int64_t was_reworks, int64_t reworked, int64_t complained, int64_t at_ms);
sf_status_t eval_rework_answered(sf_db_t *db, const Sifang__V1__Case *c, const char *resolver, int64_t resolved_ms);
/* A person's figures over a period (call memory), NULL when grid has no such
 * staff member. */
sf_status_t eval_staff_figures_of(sf_call_t *call, const char *staff_id, const eval_period_t *period,
                                  Sifang__V1__StaffFigures **figures_p);

/* --- what a person is measured on (evaluation_person_kpis.c) ------------- */

/* A person's facts over a period, counted in evaluation_people.c, in the
 * order of eval_person_fact_codes (the codes of migration 015's
 * person_fact, which a person's KPI names). */
enum {
    EVAL_PERSON_CASES_REGISTERED, EVAL_PERSON_CASES_HANDLED, EVAL_PERSON_CASES_HANDLED_ON_TIME,
    EVAL_PERSON_RETURN_VISITS, EVAL_PERSON_SATISFACTION_POINTS, EVAL_PERSON_HANDLING_HOURS,
    EVAL_PERSON_CASES_REWORKED, EVAL_PERSON_VISITS, EVAL_PERSON_ZONES_BACKLOG, EVAL_PERSON_PAIRINGS_ACTIVE,
    EVAL_PERSON_PAIRINGS_CONTACTED, EVAL_PERSON_FACTS
};
extern const char *const eval_person_fact_codes[EVAL_PERSON_FACTS];
typedef struct {
    double values[EVAL_PERSON_FACTS];
} eval_person_facts_t;
/* Each current person KPI over each person's facts, into figures[i]->kpis
 * and the rates StaffFigures names (from the KPIs of their codes). */
sf_status_t eval_person_kpis_apply(sf_call_t *call, Sifang__V1__StaffFigures *const *figures,
                                   const eval_person_facts_t *facts, size_t n);
sf_status_t eval_person_kpi_define(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p);
sf_status_t eval_person_kpi_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p);

/* --- facts (evaluation_facts.c) ----------------------------------------- */

typedef struct {
    const char *fact;
    double value;
} eval_delta_t;

/* Adds deltas to the totals of the unit (any code: a household or building
 * group counts in its zone) and of its ancestors, for the month, half-year
 * and year holding at_ms in the district's calendar. Inside the caller's transaction. */
sf_status_t eval_facts_add(sf_db_t *db, const char *unit_code, int64_t at_ms, const eval_delta_t *deltas,
                           size_t n);
/* The same for the periods given (each of any kind). */
sf_status_t eval_facts_add_periods(sf_db_t *db, const char *unit_code, const eval_period_t *periods,
                                   size_t n_periods, const eval_delta_t *deltas, size_t n);
/* The followers' thread: on, the calling thread's additions are gathered by
 * total until the page ends (eval_facts_page_end, the followers' page-end
 * hook, writes them in the page's transaction or forgets them); off frees
 * what it kept. Other threads write at once. */
void eval_facts_gather(bool on);
sf_status_t eval_facts_page_end(sf_db_t *db, bool write, void *arg);
/* The unit codes a code counts in: district, street, community, zone (as
 * deep as the code goes). Returns how many (0 for a code that is none). */
size_t eval_unit_ancestors(const char *code, char out[4][16]);
/* The length of a unit kind's code (6, 9, 12, 14, 15); 0 for others. */
size_t eval_code_length(Sifang__V1__UnitKind kind);
Sifang__V1__UnitKind eval_code_kind(const char *code);

/* --- KPIs and figures (evaluation_figures.c) ---------------------------- */

/* A KPI as used for computing. Its name and unit label are call memory,
 * whole as they were defined: a fixed buffer cut a name of 100 Chinese
 * characters (300 bytes) in a character. The code is ASCII, [a-z][a-z0-9_]
 * up to 40. */
typedef struct {
    char code[41];
    int version;
    char *name;
    char *unit_label;
    eval_expr_t numerator;
    eval_expr_t denominator;
    double factor;
    int time_aggregation;
    int unit_aggregation;
    int direction;
} eval_kpi_t;

/* The current (non-retired unless asked) KPIs, or those named. *kpis_p is
 * call memory. Unknown names: a violation on field. */
sf_status_t eval_kpis_load(sf_call_t *call, char **codes, size_t n_codes, const char *field,
                           eval_kpi_t **kpis_p, size_t *n_p);

/* A unit's codes are grid's, ASCII digits up to 15; its name is call
 * memory, whole as grid holds it (up to 100 characters, 400 bytes). */
typedef struct {
    char code[16];
    int kind;
    char *name;
    char parent[16];
} eval_unit_t;

/* Units by kind under a code (the unit itself for kind 0), from grid's copy;
 * a unit grid has not told us of yet is still computed, by its code. */
sf_status_t eval_units_load(sf_call_t *call, const char *under, int kind, eval_unit_t **units_p,
                            size_t *n_p);

typedef struct {
    bool has_value;
    double value, numerator, denominator;
} eval_kpi_value_t;

/* Computes every KPI for every unit over the period. values[u * n_kpis + k]
 * (call memory). Units whose KPI averages over children get their child
 * units loaded too. */
sf_status_t eval_figures_compute(sf_call_t *call, const eval_period_t *period,
                                 const eval_unit_t *units, size_t n_units,
                                 const eval_kpi_t *kpis, size_t n_kpis,
                                 eval_kpi_value_t **values_p);

/* --- schemes (evaluation_schemes.c) ------------------------------------- */

/* The scheme of a period (version 0 = current), or *scheme_p = NULL. */
sf_status_t eval_scheme_load(sf_call_t *call, const char *period, int version,
                             Sifang__V1__EvaluationScheme **scheme_p);
/* An item's own target for a level (a unit kind), or NULL: the item's. */
const Sifang__V1__SchemeLevelTarget *eval_scheme_level(const Sifang__V1__SchemeItem *item, int unit_kind);

/* --- scorecards (evaluation_scorecards.c) ------------------------------- */

/* The scorecard of a period as it stands now (frozen or computed), in call
 * memory. */
sf_status_t eval_scorecard_build(sf_call_t *call, const char *period_code, bool with_cadres,
                                 Sifang__V1__Scorecard **card_p);
/* Scheme items ranked again with changed weights: the composite of each
 * unit from its item scores. */
double eval_composite(const Sifang__V1__UnitScore *unit, const double *weights);
/* One unit's score against the scheme (items, composite, flag), values in
 * the scheme's order of items; and the ranking of like with like, in place,
 * best first (evaluation_scorecards.c). */
Sifang__V1__UnitScore *eval_unit_score(sf_call_t *call, const Sifang__V1__EvaluationScheme *scheme,
                                       eval_kpi_t *ordered, const eval_kpi_value_t *values,
                                       eval_unit_t *the_unit);
void eval_rank_scores(Sifang__V1__UnitScore **units, size_t n);
/* The scheme's KPIs in the order of its items, in call memory. */
sf_status_t eval_scheme_kpis(sf_call_t *call, const Sifang__V1__EvaluationScheme *scheme, eval_kpi_t **ordered_p);
/* Each unit's cadres (grid's responsibilities on it or below it; a
 * street's: its own and its zones' street cadres). */
sf_status_t eval_attach_cadres(sf_call_t *call, Sifang__V1__UnitScore **units, size_t n);

/* The city level (evaluation_city.c): a district's source's event as it is
 * kept, its source the configured "<district>:<instance>" and grid's
 * people's ids (residents, staff) "<district>/<id>"; *repacked (free it) the
 * payload when one was made. CityScorecardGet ranks the districts. */
sf_status_t eval_city_qualify(const eval_source_t *source, const Sifang__V1__Event *event,
                              Sifang__V1__Event *qualified, uint8_t **repacked);
sf_handler_fn eval_city_scorecard_get;
/* Competition ranking (1, 2, 2, 4) of composites, best first. */
void eval_rank(const double *composites, size_t n, int *ranks);

/* --- shared checks and helpers (evaluation_check.c) --------------------- */

/* [a-z][a-z0-9_]{0,39} */
bool eval_check_name(sf_call_t *call, const char *field, const char *value);
/* A period code, of the kinds allowed (bit 1 << kind); false + violation. */
bool eval_check_period(sf_call_t *call, const char *field, const char *code, unsigned kinds,
                       eval_period_t *period);
/* A unit code (digits, 6..18); "" allowed when optional. */
bool eval_check_unit(sf_call_t *call, const char *field, const char *code, bool optional);
/* The district's code: the kind-1 unit grid told us of, else "" (none yet);
 * NULL when the database failed (the call's status says how). */
const char *eval_district_code(sf_call_t *call);
/* Whether the period is frozen. */
sf_status_t eval_period_is_frozen(sf_call_t *call, const char *period, bool *frozen);
/* A protobuf-c allocator over the call's memory, for unpacking into it. */
ProtobufCAllocator *eval_call_allocator(sf_call_t *call);
/* Milliseconds since the epoch of a timestamptz column, in SQL. */
#define EVAL_MS(column) "(extract(epoch FROM " column ") * 1000)::bigint"
/* The exclusive upper bound of a code prefix's range ("" -> ":"). */
void eval_subtree_upper(const char *prefix, char *out, size_t size);

#define EVAL_PAGE_DEFAULT 100
#define EVAL_PAGE_MAX 1000

#endif
