/* Intake's handlers and what they share: the service state and settings,
 * the method table, case rows and their conversion to messages, the steps of
 * a case's lifecycle, queries with keyset paging, and field checks. */
#ifndef INTAKE_H
#define INTAKE_H

#include <stdbool.h>
#include <stdint.h>
#include "sf_arena.h"
#include "sf_eventlog.h"
#include "sf_codes.h"
#include "sf_ids.h"
#include "sf_page.h"
#include "sf_query.h"
#include "sf_roles.h"
#include "sf_server.h"
#include "sf_text.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/intake.pb-c.h"

/* --- settings and state --------------------------------------------------- */

#include "intake_settings.h"   /* intake_config_t, intake_settings */
#include "intake_handoff_rule.h"   /* intake_handoff_rule_t */

typedef struct intake_peers_t intake_peers_t;
typedef struct intake_ref_t intake_ref_t;

/* The service state handed to every handler. Read methods run on the read
 * pool's threads (common/sf_server_reads.c): config and instance are set
 * before the server starts and only read after; ref (its generation
 * refreshed by each batch's probe) is the loop's alone, used by writes
 * (submissions) and never by a read method; peers talks to its own thread
 * through atomics and its own sockets (intake_peers.c). */
typedef struct {
    intake_config_t config;
    char instance[96];              /* the server's instance name */
    intake_handoff_rule_t handoff_rule; /* which instance handles a case (set at start, then read only) */
    intake_peers_t *peers;          /* the peers thread (grid, volunteer) */
    intake_ref_t *ref;              /* the loop's copy of what submissions look up: writes only */
    _Atomic int calendar_days_left; /* days until a year without a calendar begins; -1 none within the warning */
    _Atomic int64_t escalations_without_head; /* escalations to a unit grid names no head (UNIT_HEAD) for */
} intake_t;

/* Roles, as the method table and the handlers name them: the suite's sets
 * by duty (sf_roles.h), so who may do what is stated once. */
/* The catalogue, the calendar, deadlines, the backlog board, and cases'
 * own fields: every key and person at work, and the anonymous viewer (who
 * gets no requester: intake_requester_shown). */
#define INTAKE_ROLES_READ SF_ROLES_PUBLIC
/* Registering a case: the stations, the zones' people, and the channels
 * that pass a resident's own request on (gateway, service). */
#define INTAKE_ROLES_SUBMIT SF_ROLES_CASE_INTAKE
/* The steps of handling a case (assign, start, resolve, close, reject,
 * transfer, dispatch). */
#define INTAKE_ROLES_HANDLE SF_ROLES_CASE_HANDLE
/* The district's own settings: the catalogue, the calendar, the sweep on
 * request. Keys only. */
#define INTAKE_ROLES_DISTRICT "admin district"
/* A station: who both registers (SF_ROLES_CASE_INTAKE) and handles
 * (SF_ROLES_CASE_HANDLE) cases, the intersection of the two (checked by
 * intake_unit_test). A station's registration is accepted at once with the
 * registrar its first responder; a station accepts a received case; a
 * station's key sees requesters' phones in the clear. */
#define INTAKE_ROLES_STATION \
    "district street community department window_clerk zone_cadre community_staff street_staff"
/* Community meetings are held by the community (or its street). */
#define INTAKE_ROLES_MEETING "district street community community_staff street_staff"
/* The supervision ladder (催办, 督办, 提级督办): the street and the district,
 * over the cases in their scope. */
#define INTAKE_ROLES_SUPERVISE "district street street_staff"
/* An inbox of notices: every person at work (each reads only their own). */
#define INTAKE_ROLES_NOTICES SF_ROLES_PUBLIC
/* The people's role that reads and handles the cases of their department. */
#define INTAKE_ROLE_DEPARTMENT_STAFF "department_staff"
/* The outbox of messages to residents: the SMS integration's key (service)
 * and who has the residents' duty (the phone masked outside their cases). */
#define INTAKE_ROLES_RESIDENT_MESSAGES "admin service " SF_ROLES_RESIDENT_DUTY

extern const sf_method_t intake_methods[];

/* The method table's handlers, by file, declared with common's function
 * types (the compiler checks each definition against them); each is defined
 * written out in full, which ctags and cscope find (docs/contributing.md,
 * "Declaring a handler"). */

/* intake_catalogue.c */
sf_handler_fn intake_item_put, intake_item_get, intake_item_list;
/* intake_calendar.c */
sf_handler_fn intake_calendar_set, intake_calendar_list, intake_due;
/* intake_submit.c */
sf_handler_fn intake_case_submit;
sf_batch_handler_fn intake_case_submit_batch;
/* One submission of a run (intake_submit.c): CaseSubmit's, or a matter of
 * a community meeting (several on one call, fields under a prefix). */
typedef struct {
    sf_call_t *call;
    const Sifang__V1__CaseSubmitRequest *request;
    const char *field_prefix;       /* "" or "matters[2]." */
    int64_t meeting_id;             /* the meeting it was raised at, or 0 */
    Sifang__V1__Case *the_case;     /* on success: the case written (the reply) */
} intake_submission_t;

/* Checks and writes a run of submissions in two statements. A submission
 * refused on its own has its call failed (violations under its prefix) and
 * no case; the others are written, each with its event. Returns SF_OK, or
 * the status that failed the run as a whole (then nothing is written). */
sf_status_t intake_submit_run(intake_submission_t *submissions, size_t n);
/* intake_steps.c */
sf_handler_fn intake_case_accept, intake_case_assign, intake_case_start, intake_case_resolve,
              intake_case_close, intake_case_reject, intake_case_transfer;
/* intake_dispatch.c */
sf_handler_fn intake_case_dispatch, intake_case_dispatch_answer;
/* intake_queries.c */
sf_handler_fn intake_case_get, intake_case_history, intake_case_list, intake_case_backlog;
/* intake_sweep.c */
sf_handler_fn intake_case_sweep;
/* The work-order rules (orders): intake_orders.c (case types, signing for
 * a case, send-backs), intake_extension.c, intake_review.c,
 * intake_cohandlers.c, intake_stages.c (lateness by stage and holder). */
sf_handler_fn intake_case_type_list, intake_case_type_put, intake_case_sign, intake_case_send_back;
sf_handler_fn intake_case_extension_ask, intake_case_extension_decide, intake_case_review;
sf_handler_fn intake_case_cohandler_add, intake_case_cohandler_complete, intake_case_cohandler_list;
sf_handler_fn intake_case_stage_late_list;
/* intake_follow.c: the supervision ladder, complaints, the first
 * responder's follow-up */
sf_handler_fn intake_case_supervise, intake_case_complain, intake_case_follow_up;
/* intake_notices.c: each person's inbox */
sf_handler_fn intake_notice_list, intake_notice_read;
/* intake_meetings.c */
sf_handler_fn intake_meeting_record, intake_meeting_get, intake_meeting_list;

/* --- codes and checks (intake_check.c) ------------------------------------ */

/* Unit codes, their lengths and scope clipping are common's (sf_codes.h:
 * sf_code_digits, sf_code_prefix_valid, sf_call_scope_under), credit codes
 * too (sf_ids.h: sf_credit_code_valid). Intake's names for the lengths: */
#define INTAKE_STREET_CODE_LENGTH SF_CODE_STREET_LENGTH
#define INTAKE_COMMUNITY_CODE_LENGTH SF_CODE_COMMUNITY_LENGTH
#define INTAKE_ZONE_CODE_LENGTH SF_CODE_ZONE_LENGTH
#define INTAKE_HOUSEHOLD_CODE_LENGTH SF_CODE_HOUSEHOLD_LENGTH

/* A requester's phone is checked by the suite's rule, sf_call_check_phone
 * (sf_ids.h): empty, a mobile, or a landline with its area code. */


/* The time of a step: "now" (0), or an import's past time after checking
 * the caller is admin and the time plausible (violations under field).
 * *actor_p is who the step is recorded for. Returns false on a violation. */
bool intake_step_time(sf_call_t *call, const char *field, const Sifang__V1__CaseImport *imported,
                      int64_t *at_ms, const char **actor_p);

/* --- registration numbers ---------------------------------------------------- */

/* prefix + YYYYMMDD + "-" + the id in at least 7 digits. */
char *intake_registration_number(sf_call_t *call, const char *prefix, const char *yyyymmdd,
                                 int64_t id);
/* The case id a registration number names, or 0 when it names none. */
int64_t intake_registration_id(const char *registration_number);

/* --- where case code works ------------------------------------------------- */

/* Case code takes the call it works for: a request's, or a timer's (the
 * deadline sweep and the dispatch inbox, which the loop runs between
 * batches on its own connection, in a transaction of their own that
 * sf_call_commit ends, acting as "intake-sweep" or "volunteer"). Memory,
 * statements, failures and events are the call's either way. */

/* Appends the case's event "case.<action>" (payload: the case with its last
 * transition; the requester's phone and name masked: other services read
 * events, and no duty of theirs needs them). */
void intake_case_emit(sf_call_t *call, const Sifang__V1__Case *the_case);

/* The phone as sf_phone_mask shows it ("138****5678", "0532-****1234"), in
 * the case's memory. */
char *intake_phone_masked(sf_call_t *call, const char *phone);
/* The name as sf_name_mask shows it ("张**"), in the case's memory. */
char *intake_name_masked(sf_call_t *call, const char *name);

/* --- case rows (intake_cases.c) ------------------------------------------- */

/* Milliseconds since the epoch of a timestamptz expression, in SQL. */
#define INTAKE_MS(expr) "(extract(epoch FROM " expr ") * 1000)::bigint"

/* The columns of a case aliased c (with service_item i joined), read back in
 * this order by intake_case_from_row, which checks that it ends on the last
 * one (named case_household_code). No count of them is kept: a statement
 * that selects more after them names those columns, and its reader finds
 * them by name (intake_column), so the list can grow without a count to
 * keep in step (one that fell behind once garbled every step's transition). */
#define INTAKE_CASE_COLUMNS \
    "c.id, coalesce(c.registration_number, ''), c.status, c.channel, c.item_code," \
    " coalesce(i.name, ''), c.category, c.requester, c.unit_code, c.description," \
    " coalesce(c.first_responder_id, ''), c.first_responder_name, c.assignee_kind," \
    " coalesce(c.assignee_code, ''), c.assignee_name, c.assignee_route, " \
    INTAKE_MS("c.received_at") ", coalesce(" INTAKE_MS("c.accepted_at") ", 0)," \
    " coalesce(" INTAKE_MS("c.due_at") ", 0), coalesce(" INTAKE_MS("c.resolved_at") ", 0)," \
    " coalesce(" INTAKE_MS("c.closed_at") ", 0), c.overdue, c.escalation_level, c.escalated_to," \
    " coalesce(c.satisfaction, 0), c.resolution, c.reject_reason, c.transferred_to," \
    " coalesce(c.duplicate_of, 0), coalesce((SELECT d.registration_number FROM intake_case d" \
    " WHERE d.id = c.duplicate_of), ''), coalesce(c.meeting_id, 0), c.dispatch_state," \
    " c.provider_kind, c.provider_id, c.provider_name, c.volunteer_dispatch_id," \
    " c.dispatch_attempt, coalesce(" INTAKE_MS("c.dispatch_requested_at") ", 0)," \
    " coalesce(" INTAKE_MS("c.dispatch_answered_at") ", 0), c.dispatch_note, c.dispatch_timed_out, c.version, " \
    INTAKE_MS("c.last_at") ", c.volunteer_version, coalesce(i.routing, 0)," \
    " coalesce(i.provider_skill, ''), coalesce(i.department_code, '')," \
    " array_to_string(c.assigned_departments, ' ')," \
    " " INTAKE_ORDERS_COLUMNS "," \
    " " INTAKE_REGISTRATION_COLUMN "," \
    " " INTAKE_HANDOFF_COLUMN "," \
    " " INTAKE_FOLLOW_COLUMNS "," \
    " coalesce(c.household_code, '') AS case_household_code"
/* The work-order rules' columns (migration 010), read by
 * intake_orders_from_row into case_type .. cohandler_tasks_open. A stage is
 * late when met after its due time, or still unmet past it while the case
 * is with its assignee. */
#define INTAKE_ORDERS_COLUMNS \
    "c.case_type, c.direct_answer, c.waiting_kind, c.waiting_code, c.waiting_name, c.waiting_role," \
    " c.assignment, coalesce(" INTAKE_MS("c.assigned_at") ", 0)," \
    " coalesce(" INTAKE_MS("c.receipt_due_at") ", 0), coalesce(" INTAKE_MS("c.signed_at") ", 0)," \
    " coalesce(" INTAKE_MS("c.first_response_due_at") ", 0)," \
    " coalesce(" INTAKE_MS("c.first_responded_at") ", 0)," \
    " coalesce(c.signed_at > c.receipt_due_at OR (c.signed_at IS NULL AND c.status IN (3, 4)" \
    "          AND now() > c.receipt_due_at), false)," \
    " coalesce(c.first_responded_at > c.first_response_due_at OR (c.first_responded_at IS NULL" \
    "          AND c.status IN (3, 4) AND now() > c.first_response_due_at), false)," \
    " c.send_backs, c.no_owner, c.extension_state, c.extension_days, c.extension_reason," \
    " c.extension_requested_by, coalesce(" INTAKE_MS("c.extension_requested_at") ", 0)," \
    " c.extension_approver, c.extension_decided_by, coalesce(" INTAKE_MS("c.extension_decided_at") ", 0)," \
    " c.extension_note, c.extensions_granted, c.extension_days_granted, c.review_state," \
    " c.review_resolved_by, c.reviewer_id, c.reviewer_name, coalesce(" INTAKE_MS("c.reviewed_at") ", 0)," \
    " c.review_note, c.review_refusals, c.cohandler_tasks, c.cohandler_tasks_open AS orders_last"
/* The case's registration as one column of INTAKE_CASE_COLUMNS (JSON in
 * CaseRegistration's field names, NULL for a case that is none), read by
 * intake_registration_from_text. */
#define INTAKE_REGISTRATION_COLUMN \
    "(SELECT jsonb_build_object('kind', r.kind, 'resident_id', r.resident_id," \
    " 'id_number_masked', r.id_number_masked, 'name', r.name, 'birth_date', to_char(r.birth_date, 'YYYY-MM-DD')," \
    " 'gender', r.gender, 'phone', r.phone, 'household_code', r.household_code, 'labor_status', r.labor_status," \
    " 'difficulties', to_jsonb(r.difficulties), 'seeking_work', r.seeking_work," \
    " 'party_organisation', r.party_organisation, 'disability_certificate', r.disability_certificate," \
    " 'state', r.state, 'service', r.service," \
    " 'linked_id', r.linked_id, 'refusal', r.refusal, 'created', r.created, 'answered_unix_ms'," \
    " coalesce(" INTAKE_MS("r.answered_at") ", 0))::text FROM case_registration r WHERE r.case_id = c.id)" \
    " AS case_registration"
/* The case's hand-off between instances as one column of
 * INTAKE_CASE_COLUMNS (JSON in CaseHandoff's field names, NULL for a case
 * never handed), read by intake_handoff_from_text: the sender's row
 * (case_handoff_out) and the receiver's (case_handoff_in, migrations 020 and
 * 024). */
#define INTAKE_HANDOFF_COLUMN \
    "(SELECT jsonb_strip_nulls(jsonb_build_object('state', coalesce(o.state, 3), 'to_instance', o.to_instance," \
    " 'to_case_id', o.to_case_id, 'to_registration', nullif(o.to_registration, ''), 'from_instance', n.from_instance," \
    " 'from_case_id', n.from_case_id, 'from_registration', nullif(n.from_registration, '')," \
    " 'reason', coalesce(o.reason, n.reason), 'sent_unix_ms', " INTAKE_MS("coalesce(o.sent_at, n.sent_at)") "," \
    " 'linked_unix_ms', " INTAKE_MS("coalesce(o.linked_at, n.received_at)") "," \
    " 'attempt', coalesce(o.attempt, n.attempt), 'refusal', nullif(o.refusal, '')," \
    " 'refused_unix_ms', " INTAKE_MS("o.refused_at") ", 'cancel_reason', nullif(o.cancel_reason, '')," \
    " 'cancelled_by', nullif(o.cancelled_by, ''), 'cancel_unix_ms', " INTAKE_MS("o.cancel_asked_at") "," \
    " 'returned_unix_ms', " INTAKE_MS("o.returned_at") "))::text" \
    " FROM (SELECT c.id) k LEFT JOIN case_handoff_out o ON o.case_id = k.id" \
    " LEFT JOIN case_handoff_in n ON n.case_id = k.id WHERE o.case_id IS NOT NULL OR n.case_id IS NOT NULL)" \
    " AS case_handoff"
/* The column's hand-off (NULL for none), in the call's memory; NULL with
 * INTERNAL recorded and *failed set when the text does not decode
 * (intake_handoff.c). */
Sifang__V1__CaseHandoff *intake_handoff_from_text(sf_call_t *call, const char *text, bool *failed);
/* The follow-through's columns (rework, supervision, follow-up: migration
 * 011), read by intake_follow_from_row into the fields of the same names. */
#define INTAKE_FOLLOW_COLUMNS \
    "c.rework_count, c.complaint_count, c.handoff_count, c.supervision_level, c.supervised_by," \
    " c.referred_to, coalesce(" INTAKE_MS("c.reminded_at") ", 0) AS reminded_unix_ms," \
    " coalesce(" INTAKE_MS("c.missed_at") ", 0) AS missed_unix_ms," \
    " coalesce(" INTAKE_MS("c.followed_up_at") ", 0) AS followed_up_unix_ms, c.followed_up_in_time," \
    " c.escalated_person_id AS escalated_to_person_id, c.escalated_person_name AS escalated_to_person_name"
#define INTAKE_CASE_FROM " FROM intake_case c LEFT JOIN service_item i ON i.code = c.item_code"

/* What a case row holds beyond the message, for the steps' checks. */
typedef struct {
    int64_t last_at_ms;
    int64_t volunteer_version;
    int item_routing;               /* CaseRouting of its item */
    const char *provider_skill;
    const char *department_code;
    const char *household_code;
    const char *assigned_departments;   /* every department it was ever assigned to, space-separated */
} intake_case_extra_t;

/* The case of a row (columns from column on), its requester as the caller
 * may see it (intake_requester_shown). extra may be NULL. NULL, with
 * INTERNAL recorded, when the row's columns are not INTAKE_CASE_COLUMNS'. */
Sifang__V1__Case *intake_case_from_row(sf_call_t *call, const PGresult *result, int row,
                                       int column, intake_case_extra_t *extra);
/* The column of result named name (a column selected after
 * INTAKE_CASE_COLUMNS, given its own name with AS); -1, with INTERNAL
 * recorded, when there is none. */
int intake_column(sf_call_t *call, const PGresult *result, const char *name);

/* Reads a CaseRef (violations under field): the case id it names, 0 when
 * it names none. */
int64_t intake_case_ref_id(sf_call_t *call, const char *field, const Sifang__V1__CaseRef *ref);

/* --- who sees and handles a case (intake_cases.c) --------------------------
 *
 * Keys keep one rule: their scope covers the case's unit, for reading and
 * for writing. People (sf_call_is_person):
 *   - read a case when one of their grants views its unit, or it is theirs
 *     (they are its first responder, wherever they work now), or they are
 *     department staff and it is or was assigned to their department;
 *   - handle it when one of their grants may write in its unit, or they are
 *     department staff and it is assigned to their department now. A
 *     person who moved keeps reading what they registered, not handling it.
 * A case a person may not read is NOT_FOUND, as if there were none. */

/* Whether the caller reads the case (assigned_departments: the row's). */
bool intake_case_readable(sf_call_t *call, const Sifang__V1__Case *the_case, const char *assigned_departments);
/* Whether the caller may take a step of the case. */
bool intake_case_writable(sf_call_t *call, const Sifang__V1__Case *the_case);

/* What of a case's requester the caller sees, applied to the case's
 * requester in place:
 *   - the anonymous viewer: its kind alone (no name, phone, household,
 *     resident id, enterprise);
 *   - other keys: everything, the phone masked unless a station's
 *     (INTAKE_ROLES_STATION);
 *   - people: name and phone in the clear when a grant whose duty is
 *     registering cases (SF_ROLES_CASE_INTAKE) views the case's unit, or
 *     the case is assigned to their department and they are its staff, or
 *     it is theirs (first responder); otherwise both masked (sf_name_mask,
 *     sf_phone_mask). A community affair's "name" is the matter's title,
 *     not a person's, and stays. */
void intake_requester_shown(sf_call_t *call, Sifang__V1__Case *the_case);

/* Loads the case a ref names, FOR UPDATE when lock, for reading or (write)
 * for a step: NOT_FOUND (with a violation on field) when there is none or
 * the caller may not read it; PERMISSION_DENIED when a key's scope does not
 * cover it or a person may read but not handle it; FAILED_PRECONDITION on
 * an expected_version mismatch. */
sf_status_t intake_case_load(sf_call_t *call, const char *field, const Sifang__V1__CaseRef *ref,
                             bool lock, bool write, Sifang__V1__Case **case_p, intake_case_extra_t *extra);
/* The same by id, for the loop's work (no scope). *case_p NULL when none. */
sf_status_t intake_case_load_id(sf_call_t *call, int64_t id, bool lock, Sifang__V1__Case **case_p,
                                intake_case_extra_t *extra);

/* Whether a status is open (received .. in progress). */
bool intake_status_open(Sifang__V1__CaseStatus status);
const char *intake_status_name(Sifang__V1__CaseStatus status);
const char *intake_action_name(Sifang__V1__CaseAction action);
const char *intake_channel_name(Sifang__V1__CaseChannel channel);

/* --- steps (intake_steps.c) ------------------------------------------------ */

/* One step of a case: an UPDATE whose SET fragment changes the row (its
 * own parameters from $7 on; t.at is the step's time), the audit row, and
 * the reply and event. The fixed parameters are $1 id, $2 action, $3 from
 * status, $4 actor, $5 step time in ms (NULL = now), $6 note. The steps a
 * request asks for (intake_steps.c) give $7 the status the case moves to. */
typedef struct {
    int64_t case_id;
    Sifang__V1__CaseAction action;
    Sifang__V1__CaseStatus from_status;
    const char *actor;
    int64_t at_ms;                  /* 0 = now */
    const char *note;
    const char *set;                /* e.g. "status = 5, resolution = $8, resolved_at = t.at" */
    sf_params_t params;             /* the fixed ones, then the set's own */
    /* The work-order rules: who must act after the step (set_waiting:
     * written, NULL clearing it; else left as it was), and a statement the
     * step also runs on the changed row u ("l AS (INSERT ... FROM u ...)":
     * a stage met late), or NULL. */
    bool set_waiting;
    const Sifang__V1__CaseAssignee *waiting;
    const char *also;
} intake_step_t;

void intake_step_init(intake_step_t *step, int64_t case_id, Sifang__V1__CaseAction action,
                      Sifang__V1__CaseStatus from_status, const char *actor, int64_t at_ms,
                      const char *note, const char *set);
/* Runs the step; on success *case_p is the case after it, its event
 * emitted. */
sf_status_t intake_step_run(sf_call_t *call, intake_step_t *step, Sifang__V1__Case **case_p);
/* intake_step_run for a request: the changed case is the reply. */
sf_status_t intake_step_reply(sf_call_t *call, intake_step_t *step, ProtobufCMessage **reply_p);

/* --- the work-order rules (intake_orders.c) ---------------------------------- */

/* Reads INTAKE_ORDERS_COLUMNS from column on into the case; the next
 * column. */
int intake_orders_from_row(sf_call_t *call, Sifang__V1__Case *the_case, const PGresult *result, int row,
                           int column);
/* Whether the caller holds the case (a key whose scope covers it; the
 * person, department staff or unit staff it is assigned to; its station). */
bool intake_caller_holds(sf_call_t *call, const Sifang__V1__Case *the_case);
/* A submission's case type and direct answer (violations under prefix);
 * station: registered by a station (only a station answers on the spot). */
sf_status_t intake_orders_check_submission(sf_call_t *call, const char *prefix,
                                           const Sifang__V1__CaseSubmitRequest *request, bool station);
/* After a run's write, before its events: each written case's type, first
 * stage deadlines and who must act, in one statement on db_call. */
sf_status_t intake_orders_after_submit(sf_call_t *db_call, intake_submission_t *submissions, size_t n);
/* A submission with a direct answer: the step that closes it at once. */
sf_status_t intake_orders_answer_directly(intake_submission_t *submission);
/* Who makes the return visit (回访): the first responder, else the station
 * (intake_steps.c). */
Sifang__V1__CaseAssignee *intake_return_visitor(sf_call_t *call, const Sifang__V1__Case *the_case);
/* The sweep's share of the rules (intake_stages.c): receipt and first
 * response past due marked late against their holder, each a step. Returns
 * the steps taken, or -1. */
int intake_stages_sweep(sf_call_t *call);
/* Who must act after a step: kind, code and name (in the call's memory),
 * their part as role. */
Sifang__V1__CaseAssignee *intake_waiting(sf_call_t *call, int kind, const char *code, const char *name,
                                         const char *role);
/* Appends to the step's SET what a new assignment does (the next
 * assignment, its time, the receipt and first-response deadlines of the
 * case's type in working minutes, the stages unmet), with its parameter.
 * set is the kind's own SET; returns the whole. */
const char *intake_step_new_assignment(sf_call_t *call, intake_step_t *step, const char *set);
/* The statement (intake_step_t.also) that records a stage met late against
 * the holder of the present assignment: stage 1 receipt (signed_at), 2 first
 * response (first_responded_at), 3 completion (resolved_at). */
const char *intake_stage_met_late(int stage);
/* The org unit one level above a case's holder, who approves its extension
 * and decides a no-owner case: the street of a community or zone holder,
 * the district (the case's first six digits) for a street or a department. */
const char *intake_level_above(sf_call_t *call, const Sifang__V1__Case *the_case);
/* Who checks and signs a reply (审核) that writer wrote: the reviewer grid
 * names for the unit that handled the case (审核人, UNIT_REVIEWER), else its
 * head (负责人, UNIT_HEAD), whoever of them did not write it, as a staff
 * member; when grid names neither, the unit itself (or the department),
 * any of whose staff but the writer signs. *unit_p: that unit's code (a
 * department's code for a department's case). intake_orders.c */
/* The resident told (intake_resident.c): the message a step tells the
 * resident, written in the step's transaction to the outbox the SMS
 * integration reads, with its event; phone is the requester's in the clear. */
void intake_resident_project(sf_call_t *call, const Sifang__V1__Case *the_case, const char *phone);
sf_status_t intake_resident_message_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p);
sf_status_t intake_resident_message_ack(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p);
Sifang__V1__CaseAssignee *intake_reviewer_of(sf_call_t *call, const Sifang__V1__Case *the_case, const char *writer,
                                             const char **unit_p);
/* A reply awaiting review: sets the case's review.expected_reviewer (read
 * time) by intake_reviewer_of; false on a failed query. intake_orders.c */
bool intake_review_expected(sf_call_t *call, Sifang__V1__Case *the_case);

/* Checks an import's time against the case's last step (steps keep order). */
bool intake_step_after(sf_call_t *call, const char *field, int64_t at_ms,
                       const intake_case_extra_t *extra);

/* The case a step request names, loaded and locked for writing, and when
 * and by whom the step is taken (an import's time and actor, else now and
 * the caller). */
typedef struct {
    Sifang__V1__Case *the_case;
    intake_case_extra_t extra;
    int64_t at_ms;                  /* 0 = now */
    const char *actor;
} intake_step_case_t;

/* What every step request does first: reads its ref and import (violations
 * under "ref" and "imported"), loads the case and checks the import's time
 * keeps the steps in order. The caller then checks the case's state, then
 * the request's other fields. */
sf_status_t intake_step_begin(sf_call_t *call, const Sifang__V1__CaseRef *ref,
                              const Sifang__V1__CaseImport *imported, intake_step_case_t *asked);

/* Where a case goes when accepted or routed again: the item's department, or
 * the zone's committee member, else its street cadre, else the community
 * (or street) station. */
sf_status_t intake_route(sf_call_t *call, const char *unit_code, int routing,
                         const char *department_code, Sifang__V1__CaseAssignee **assignee_p);

/* What routing knows about a unit, from grid's copy. */
typedef struct {
    const char *unit_code;
    const char *department_code;
    const char *department_name;    /* "" when grid's copy does not know it */
    const char *committee_id, *committee_name;   /* the zone's committee member */
    const char *cadre_id, *cadre_name;           /* the zone's street cadre */
    const char *community_name, *street_name;
} intake_route_facts_t;

/* The routing decision (intake_route.c), into assignee (NULL when none). */
Sifang__V1__CaseAssignee *intake_route_choose(sf_call_t *call, int routing,
                                              const intake_route_facts_t *facts);

/* --- the follow-through (intake_follow.c, intake_notices.c) ---------------- */

/* Reads INTAKE_FOLLOW_COLUMNS from column on into the case; the next column. */
int intake_follow_from_row(Sifang__V1__Case *the_case, const PGresult *result, int row, int column);
/* A return visit of 1 or 2 (零误差): instead of closing, the case is
 * reopened for rework with a new deadline (CASE_ACTION_REOPENED). asked is
 * the closing request's case, note the visit's record. */
sf_status_t intake_case_rework(sf_call_t *call, const intake_step_case_t *asked, int satisfaction,
                               const char *note, ProtobufCMessage **reply_p);
/* The sweep's share of the ladder: reminders before and after each due
 * time, and referral up of cases handed off or reworked three times; each a
 * step with its event. Returns the steps taken, or -1. */
int intake_follow_sweep(sf_call_t *call);
/* The notices a step gives (the inbox is a projection of the case's
 * events): called by intake_case_emit for every step, in the step's own
 * transaction, so that each step notifies each person exactly once. */
void intake_notices_project(sf_call_t *call, const Sifang__V1__Case *the_case);
/* The calendar's warning: when a year without a working-day calendar begins
 * within the configured days, logs it, counts it for Sys.Stats and notifies
 * the district's staff (once per year). Returns the days left; -1 when no
 * such year begins within the days; -2 when a statement failed (the call
 * holds why). The sweep runs it. */
int intake_calendar_warn(sf_call_t *call);

/* --- the sweep (intake_sweep.c) --------------------------------------------- */

/* Marks the open cases past due overdue (escalated to the community) and
 * those overdue longer than the street escalation escalated to the street,
 * each a step with its event. Cases locked by a request are left for the
 * next sweep. Returns SF_OK with the counts. */
sf_status_t intake_sweep(sf_call_t *call, int *overdue, int *escalated);

/* --- paging ------------------------------------------------------------------ */

/* Queries are common's sf_query_t (sf_query.h); lists page by an id with
 * common's keyset rules (sf_page.h: sf_keyset_read, sf_keyset_rows,
 * sf_keyset_next), newest first. */

/* --- the peers thread (intake_peers.c) ------------------------------------ */

/* Starts the thread that follows grid into the reference tables, follows the
 * volunteer registry's dispatch events, and makes and cancels the registry's
 * offers, on its own connection and sockets, so the service loop never waits
 * on a peer; and hooks its readiness timer and figures into the loop.
 * Returns NULL with a reason. */
intake_peers_t *intake_peers_start(sf_server_t *server, const intake_t *intake, char *error,
                                   size_t error_size);
/* Stops and joins the thread (before the server is destroyed). */
void intake_peers_stop(intake_peers_t **self_p);

/* The loop's own work, each on a timer's call (sf_timer_fn) in its own
 * transaction: apply what the peers thread left in the dispatch inbox
 * (intake_dispatch.c), and sweep deadlines (intake_sweep.c). Return the
 * inbox rows applied or the cases changed, or -1. */
int intake_dispatch_apply_inbox(sf_call_t *call);
int intake_sweep_run(sf_call_t *call);

#endif
