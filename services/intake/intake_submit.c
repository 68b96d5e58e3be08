/* Case submission, the hot path: a run of submissions is checked, routed and
 * given its deadline in C against the loop's in-memory copy of grid's
 * reference tables, the catalogue and the calendar (intake_ref.h), then
 * written in one statement that also takes the ids (from case_id_seq, in
 * the writing transaction: an id is never held in memory, where a crash of
 * the database or a second replica would hand it out again), numbers the
 * registrations, finds possible duplicates (open cases of the same
 * household and item, in the database or earlier in the run) and appends
 * the first audit rows: a batch of hundreds costs one round trip of
 * intake's own. */
#include "intake.h"
#include "intake_ref.h"
#include "intake_registration.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASE_STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define CASE_ACTION(name) SIFANG__V1__CASE_ACTION__CASE_ACTION_##name
#define REQUESTER(name) SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_##name

/* Everything the run needs to know per submission, besides the request. */
typedef struct {
    intake_submission_t *submission;
    bool valid;
    bool station;                   /* registered by the station: accepted at once */
    int64_t at_ms;                  /* the step's time (an import's, or the run's now) */
    bool imported;
    const char *actor;
    const char *household;          /* "" for enterprises and community affairs */
    const char *unit;               /* as given ("" = from the household) */
    Sifang__V1__CaseChannel channel;
    const intake_ref_item_t *item;
    const intake_ref_unit_t *where;  /* the case's unit in grid's copy */
    Sifang__V1__Case *the_case;     /* built before the write, finished after */
    const char *note;               /* the first audit row's, before duplicates */
    const char *registration_prefix;/* "SF20260315" for the station's, else NULL */
    uint8_t *requester_bytes;
    size_t requester_size;
    int64_t row;                    /* its row in the write's arrays (1, 2, ...), 0 when not written */
    int64_t run_duplicate_row;      /* the row of an earlier submission of this run, same household and item */
    /* From the write. */
    int64_t duplicate_of;
    bool written;
} pending_case_t;

/* The cases and their first audit rows, from parallel arrays (the
 * duplicates within the run decided in C, by row), with what only the
 * database knows: the ids, taken from case_id_seq in row order in this
 * transaction (a refused duplicate's id is simply never used), and an open
 * case of the same household and item within the window, the possible
 * duplicate. The registration number is the station's prefix and the id,
 * as intake_registration_number writes it. The submissions refusing a
 * duplicate are left out. One row back per submission, in order: its id,
 * registration number, the duplicate found in the database and its
 * registration number, and the id of the duplicate earlier in the run. */
static const char write_sql[] =
    "WITH r0 AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],"
    "             $6::int[], $7::int[], $8::int[], $9::bytea[], $10::text[], $11::int[],"
    "             $12::text[], $13::text[], $14::int[], $15::text[], $16::text[], $17::text[],"
    "             $18::timestamptz[], $19::timestamptz[], $20::int[], $21::text[], $22::text[], $23::text[],"
    "             $24::text[], $25::bigint[], $26::boolean[], $27::boolean[])"
    "           WITH ORDINALITY AS r(run_duplicate_row, registration_prefix, household, item, unit, channel,"
    "                category, requester_kind, requester, description, status, first_responder_id,"
    "                first_responder_name, assignee_kind, assignee_code, assignee_name, assignee_route,"
    "                at, due_at, dispatch_state, origin, request_id, actor, note, meeting_id, imported,"
    "                refuse, o)),"
    " n AS (SELECT o, nextval('case_id_seq') AS id FROM (SELECT o FROM r0 ORDER BY o) s),"
    " r AS (SELECT r0.*, n.id, CASE WHEN r0.registration_prefix IS NOT NULL THEN r0.registration_prefix || '-'"
    "              || lpad(n.id::text, greatest(7, length(n.id::text)), '0') END AS registration_number,"
    "              rd.id AS run_duplicate"
    "         FROM r0 JOIN n ON n.o = r0.o LEFT JOIN n rd ON rd.o = r0.run_duplicate_row),"
    " v AS (SELECT r.*, dd.id AS db_duplicate,"
    "              dd.registration_number AS db_duplicate_registration,"
    "              coalesce(dd.id, r.run_duplicate) AS duplicate"
    "         FROM r LEFT JOIN LATERAL"
    "              (SELECT d.id, d.registration_number FROM intake_case d"
    "                WHERE r.household <> '' AND d.household_code = r.household AND d.item_code = r.item"
    "                  AND d.status <= 4 AND d.received_at >= r.at"
    "                      - make_interval(hours => $28) ORDER BY d.id LIMIT 1) dd ON true),"
    " c AS (INSERT INTO intake_case (id, registration_number, status, channel, item_code, category,"
    "         requester_kind, household_code, requester, unit_code, description, first_responder_id,"
    "         first_responder_name, assignee_kind, assignee_code, assignee_name, assignee_route,"
    "         received_at, accepted_at, due_at, duplicate_of, meeting_id, dispatch_state,"
    "         dispatch_attempt, dispatch_requested_at, last_at, origin, request_id, imported_at)"
    "       SELECT v.id, v.registration_number, v.status, v.channel, v.item, v.category, v.requester_kind,"
    "         nullif(v.household, ''), v.requester, v.unit, v.description, v.first_responder_id,"
    "         v.first_responder_name, v.assignee_kind, v.assignee_code, v.assignee_name, v.assignee_route,"
    "         v.at, CASE WHEN v.status >= 2 THEN v.at END, v.due_at, v.duplicate,"
    "         v.meeting_id, v.dispatch_state, CASE WHEN v.dispatch_state > 0 THEN 1 ELSE 0 END,"
    "         CASE WHEN v.dispatch_state > 0 THEN v.at END, v.at, v.origin, v.request_id,"
    "         CASE WHEN v.imported THEN now() END"
    "         FROM v WHERE NOT (v.refuse AND v.duplicate IS NOT NULL) RETURNING 1),"
    " h AS (INSERT INTO case_history (case_id, seq, action, from_status, to_status, actor_id, actor_name,"
    "         at, note)"
    "       SELECT v.id, 1, CASE WHEN v.status = 1 THEN 1 ELSE 2 END, 0, v.status, v.actor,"
    "         v.first_responder_name, v.at,"
    "         v.note || CASE WHEN v.duplicate IS NOT NULL THEN '; possible duplicate of case ' || v.duplicate"
    "                        ELSE '' END"
    "         FROM v WHERE NOT (v.refuse AND v.duplicate IS NOT NULL) RETURNING 1)"
    " SELECT v.id AS case_id, coalesce(v.registration_number, '') AS registration_number,"
    "        coalesce(v.db_duplicate, 0) AS db_duplicate,"
    "        coalesce(v.db_duplicate_registration, '') AS db_duplicate_registration,"
    "        coalesce(v.run_duplicate, 0) AS run_duplicate,"
    "        (SELECT count(*) FROM c) AS cases_written, (SELECT count(*) FROM h) AS history_written"
    "   FROM v ORDER BY v.o";

#define WRITE_ARRAYS 27

static const char *
field(pending_case_t *pending, const char *name)
{
    const char *prefix = pending->submission->field_prefix;
    if (!prefix || !*prefix)
        return name;
    return sf_call_printf(pending->submission->call, "%s%s", prefix, name);
}

static void
violation(pending_case_t *pending, const char *name, const char *text)
{
    sf_call_violation(pending->submission->call, field(pending, name), "%s", text);
    pending->valid = false;
}

static void
refuse(pending_case_t *pending, sf_status_t status, const char *name, const char *text)
{
    sf_call_refuse(pending->submission->call, status, field(pending, name), "%s", text);
    pending->valid = false;
}

static bool
item_code_valid(const char *code)
{
    size_t length = strlen(code);
    if (length < 2 || length > 48)
        return false;
    for (const char *c = code; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
            return false;
    return true;
}

/* The checks that need no database. */
static void
check_request(pending_case_t *pending)
{
    intake_submission_t *submission = pending->submission;
    sf_call_t *call = submission->call;
    const Sifang__V1__CaseSubmitRequest *request = submission->request;
    pending->valid = true;
    pending->household = "";
    pending->unit = request->unit_code;
    pending->channel = request->channel;
    if (submission->meeting_id == 0
        && (request->channel < SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW
            || request->channel > SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_RESIDENT_COUNCIL))
        violation(pending, "channel", "must be one of window, hotline, one-key call, website, e-mail,"
                                      " party member card or resident council");
    if (!*request->item_code)
        violation(pending, "item_code", "is required");
    else if (!item_code_valid(request->item_code))
        violation(pending, "item_code", "must be a service item code ([a-z0-9-], 2 to 48)");
    if (!sf_call_check_note(call, field(pending, "description"), request->description, 2000, true))
        pending->valid = false;
    if (*request->unit_code && (!sf_code_digits(request->unit_code) || strlen(request->unit_code) < 9
                                || strlen(request->unit_code) > 15))
        violation(pending, "unit_code", "must be a street, community or zone code");
    const Sifang__V1__CaseRequester *requester = request->requester;
    if (!requester) {
        violation(pending, "requester", "is required");
    } else {
        if (!sf_call_check_text(call, field(pending, "requester.name"), requester->name, 50, false)
            || !sf_call_check_phone(call, field(pending, "requester.phone"), requester->phone)
            || !sf_call_check_text(call, field(pending, "requester.resident_id"), requester->resident_id, 16,
                                   false))
            pending->valid = false;
        switch (requester->kind) {
        case REQUESTER(RESIDENT):
            /* A resident may report a place rather than their home (Open311
             * by a point or an address): the zone named stands for them. */
            if (!*requester->household_code) {
                if (!*request->unit_code)
                    violation(pending, "requester.household_code",
                              "is required for a resident, unless unit_code names the place");
            } else if (!sf_code_digits(requester->household_code)
                     || strlen(requester->household_code) != INTAKE_HOUSEHOLD_CODE_LENGTH)
                violation(pending, "requester.household_code", "must be a household code (18 digits)");
            else
                pending->household = requester->household_code;
            if (*requester->enterprise_name || *requester->enterprise_credit_code)
                violation(pending, "requester.enterprise_name", "is for enterprise requesters only");
            break;
        case REQUESTER(ENTERPRISE):
            if (!sf_call_check_text(call, field(pending, "requester.enterprise_name"), requester->enterprise_name,
                                    100, true))
                pending->valid = false;
            if (!sf_credit_code_valid(requester->enterprise_credit_code))
                violation(pending, "requester.enterprise_credit_code",
                          "must be an 18-character unified social credit code with a valid check character");
            /* Enterprises, like community affairs, name their unit. */
            __attribute__((fallthrough));
        case REQUESTER(COMMUNITY):
            if (*requester->household_code)
                violation(pending, "requester.household_code", "is for resident requesters only");
            if (!*request->unit_code)
                violation(pending, "unit_code", "is required for an enterprise or a community affair");
            if (requester->kind == REQUESTER(COMMUNITY) && *requester->enterprise_name)
                violation(pending, "requester.enterprise_name", "is for enterprise requesters only");
            break;
        default:
            violation(pending, "requester.kind", "must be resident, enterprise or community");
        }
    }
    /* A registration's form (its fit to the item once the item is known). */
    if (!intake_registration_check(call, field(pending, "registration"), request->registration))
        pending->valid = false;
    const char *import_field = field(pending, "imported");
    if (!intake_step_time(call, import_field, request->imported, &pending->at_ms, &pending->actor))
        pending->valid = false;
    /* Registered by the station: accepted at once, its registrar the first
     * responder. Arrived from a resident's own channel through the gateway:
     * received, waiting for a station to accept it. */
    pending->station = pending->at_ms != 0 || sf_call_has_role(call, INTAKE_ROLES_STATION);
    /* The work-order rules: its case type, and an answer on the spot. */
    if (intake_orders_check_submission(call, field(pending, ""), request, pending->station) != SF_OK)
        pending->valid = false;
}

/* The checks against grid's copy and the catalogue; the case's unit. */
static void
check_found(pending_case_t *pending, const intake_ref_t *ref)
{
    const Sifang__V1__CaseSubmitRequest *request = pending->submission->request;
    sf_call_t *call = pending->submission->call;
    const char *unit_code = pending->unit;
    if (*pending->household) {
        unit_code = intake_ref_household_zone(ref, pending->household);
        if (!unit_code) {
            refuse(pending, SF_NOT_FOUND, "requester.household_code",
                   sf_call_printf(call, "household %s is not known from grid", pending->household));
            return;
        }
        if (*request->unit_code && strcmp(request->unit_code, unit_code) != 0) {
            violation(pending, "unit_code", sf_call_printf(call, "household %s lies in zone %s", pending->household,
                                                           unit_code));
            return;
        }
    }
    const intake_ref_unit_t *where = intake_ref_unit(ref, unit_code);
    if (!where || where->kind < SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET
        || where->kind > SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE) {
        refuse(pending, SF_NOT_FOUND, "unit_code",
               sf_call_printf(call, "no street, community or zone %s is known from grid", unit_code));
        return;
    }
    if (!sf_call_may_write(call, where->code)) {
        sf_call_fail(call, SF_PERMISSION_DENIED, "unit %s lies outside where you may register cases", where->code);
        pending->valid = false;
        return;
    }
    const intake_ref_item_t *item = intake_ref_item(ref, request->item_code);
    if (!item) {
        refuse(pending, SF_NOT_FOUND, "item_code", sf_call_printf(call, "no service item %s", request->item_code));
        return;
    }
    if (!item->active) {
        refuse(pending, SF_FAILED_PRECONDITION, "item_code",
               sf_call_printf(call, "service item %s takes no new cases", request->item_code));
        return;
    }
    bool enterprise = request->requester->kind == REQUESTER(ENTERPRISE);
    if (item->enterprise != enterprise) {
        refuse(pending, SF_FAILED_PRECONDITION, "item_code",
               sf_call_printf(call, enterprise ? "%s is not an enterprise item" : "%s is for enterprises only",
                              request->item_code));
        return;
    }
    if (!intake_registration_fits(call, field(pending, "registration"), request->item_code, item->registration,
                                  request->registration)) {
        pending->valid = false;
        return;
    }
    pending->where = where;
    pending->item = item;
}

/* The case as it will be written, all but what the write decides (id,
 * registration number, duplicate). */
static void
build_case(pending_case_t *pending, const intake_t *intake, const intake_ref_t *ref)
{
    intake_submission_t *submission = pending->submission;
    sf_call_t *call = submission->call;
    const Sifang__V1__CaseSubmitRequest *request = submission->request;
    const intake_ref_item_t *item = pending->item;
    Sifang__V1__Case *c = (Sifang__V1__Case *) sf_call_new_message(call, &sifang__v1__case__descriptor);
    c->channel = pending->channel;
    c->item_code = request->item_code;
    c->item_name = (char *) item->name;
    c->category = (Sifang__V1__ServiceCategory) item->category;
    c->unit_code = (char *) pending->where->code;
    /* Empty when the unit is above that level. */
    c->community_code = sf_call_printf(call, "%.*s",
                                       (int) sf_code_ancestor(c->unit_code, INTAKE_COMMUNITY_CODE_LENGTH), c->unit_code);
    c->street_code = sf_call_printf(call, "%.*s", (int) sf_code_ancestor(c->unit_code, INTAKE_STREET_CODE_LENGTH),
                                    c->unit_code);
    c->description = request->description;
    c->received_unix_ms = pending->at_ms;
    c->meeting_id = submission->meeting_id;
    c->version = 1;
    c->case_type = request->case_type ? request->case_type : SIFANG__V1__CASE_TYPE__CASE_TYPE_HELP;
    c->duplicate_of_registration = "";
    c->registration_number = "";

    /* The requester as given, stored as its message: the phone is the
     * station's to see, not a column to search. */
    Sifang__V1__CaseRequester *requester = (Sifang__V1__CaseRequester *) sf_call_alloc(call, sizeof *requester);
    *requester = *request->requester;
    requester->base.unknown_fields = NULL;
    requester->base.n_unknown_fields = 0;
    pending->requester_size = protobuf_c_message_get_packed_size(&requester->base);
    pending->requester_bytes = sf_call_alloc(call, pending->requester_size + 1);
    protobuf_c_message_pack(&requester->base, pending->requester_bytes);
    c->requester = requester;

    const char *note;
    if (pending->station) {
        const intake_ref_unit_t *where = pending->where;
        const intake_ref_unit_t *community = *c->community_code ? intake_ref_unit(ref, c->community_code) : NULL;
        const intake_ref_unit_t *street = intake_ref_unit(ref, c->street_code);
        intake_route_facts_t facts = {
            .unit_code = c->unit_code,
            .department_code = item->department_code,
            .department_name = item->department_name,
            .committee_id = where->committee_id,
            .committee_name = where->committee_name,
            .cadre_id = where->cadre_id,
            .cadre_name = where->cadre_name,
            .community_name = community ? community->name : "",
            .street_name = street ? street->name : "",
        };
        c->assignee = intake_route_choose(call, item->routing, &facts);
        c->status = c->assignee ? CASE_STATUS(ASSIGNED) : CASE_STATUS(ACCEPTED);
        c->accepted_unix_ms = c->received_unix_ms;
        /* An item without a limit of its own takes its case type's. */
        int limit = item->time_limit, unit = item->time_limit_unit;
        if (!limit && !intake_ref_case_type_limit(ref, request->case_type ? (int) request->case_type
                                                      : SIFANG__V1__CASE_TYPE__CASE_TYPE_HELP, &limit, &unit))
            limit = 0;
        c->due_unix_ms = limit ? intake_ref_due(ref, pending->at_ms, limit, unit) : 0;
        c->first_responder_id = (char *) pending->actor;
        c->first_responder_name = (char *) intake_ref_staff_name(ref, pending->actor);
        pending->registration_prefix = sf_call_printf(call, "%s%08d", intake->config.registration_prefix,
                                                      intake_ref_local_date(ref, pending->at_ms));
        note = sf_call_printf(call, "registered (%s)%s%s%s", intake_channel_name(c->channel),
                              c->assignee ? "; routed to " : "", c->assignee ? c->assignee->name : "",
                              c->assignee ? sf_call_printf(call, " (%s)", c->assignee->route) : "");
        /* An imported case was served long ago: the registry is not asked. */
        if (item->routing == SIFANG__V1__CASE_ROUTING__CASE_ROUTING_PROVIDER && intake->config.use_volunteer
            && !pending->imported) {
            Sifang__V1__CaseDispatch *dispatch = (Sifang__V1__CaseDispatch *)
                sf_call_new_message(call, &sifang__v1__case_dispatch__descriptor);
            dispatch->state = SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_REQUESTED;
            dispatch->attempt = 1;
            dispatch->requested_unix_ms = c->received_unix_ms;
            c->dispatch = dispatch;
        }
    } else {
        c->status = CASE_STATUS(RECEIVED);
        /* A received case is due for acceptance by the end of the next
         * working day. */
        c->due_unix_ms = intake_ref_due(ref, pending->at_ms, 1, SIFANG__V1__TIME_LIMIT_UNIT__TIME_LIMIT_UNIT_WORKING_DAYS);
        c->first_responder_id = "";
        c->first_responder_name = "";
        note = sf_call_printf(call, "received (%s)", intake_channel_name(c->channel));
    }
    if (submission->meeting_id)
        note = sf_call_printf(call, "%s; raised at meeting %lld", note, (long long) submission->meeting_id);
    pending->note = note;
    if (!c->due_unix_ms) {
        sf_call_fail(call, SF_FAILED_PRECONDITION, "the working-day calendar ends before the case would be due");
        pending->valid = false;
        return;
    }
    /* The reply shows the requester as a read of the case would. */
    intake_requester_shown(call, c);
    pending->the_case = c;
}

/* The write found (or not) a duplicate in the database: the case is
 * written, or refused when it refuses duplicates. */
static void
finish_case(pending_case_t *pendings, size_t index, const PGresult *result, int row)
{
    pending_case_t *pending = &pendings[index];
    sf_call_t *call = pending->submission->call;
    Sifang__V1__Case *c = pending->the_case;
    c->id = sf_db_int(result, row, PQfnumber(result, "case_id"));
    c->registration_number = (char *) sf_db_text(result, row, PQfnumber(result, "registration_number"));
    int64_t db_duplicate = sf_db_int(result, row, PQfnumber(result, "db_duplicate"));
    pending->duplicate_of = db_duplicate ? db_duplicate
                                         : sf_db_int(result, row, PQfnumber(result, "run_duplicate"));
    c->duplicate_of = pending->duplicate_of;
    c->duplicate_of_registration = (char *) sf_db_text(result, row,
                                                       PQfnumber(result, "db_duplicate_registration"));
    /* A duplicate earlier in this run is not in the database yet. */
    for (size_t j = 0; !db_duplicate && c->duplicate_of && j < index; j++)
        if (pendings[j].the_case && pendings[j].the_case->id == c->duplicate_of)
            c->duplicate_of_registration = pendings[j].the_case->registration_number;
    pending->written = !(pending->submission->request->refuse_duplicate && c->duplicate_of);
    if (!pending->written) {
        refuse(pending, SF_ALREADY_EXISTS, "requester.household_code",
               sf_call_printf(call, "an open case %lld%s%s of this household for %s was received within the"
                              " duplicate window", (long long) c->duplicate_of,
                              *c->duplicate_of_registration ? " " : "", c->duplicate_of_registration,
                              c->item_code));
        return;
    }
    const char *note = c->duplicate_of ? sf_call_printf(call, "%s; possible duplicate of case %lld", pending->note,
                                                        (long long) c->duplicate_of)
                                       : pending->note;
    Sifang__V1__CaseTransition *transition = (Sifang__V1__CaseTransition *)
        sf_call_new_message(call, &sifang__v1__case_transition__descriptor);
    transition->seq = 1;
    transition->action = c->status == CASE_STATUS(RECEIVED) ? CASE_ACTION(RECEIVED) : CASE_ACTION(ACCEPTED);
    transition->to_status = c->status;
    transition->actor_id = (char *) pending->actor;
    transition->actor_name = c->first_responder_name;
    transition->at_unix_ms = c->received_unix_ms;
    transition->note = (char *) note;
    c->last_transition = transition;
    c->updated_unix_ms = transition->at_unix_ms;
}

/* Numbers the rows of the cases to write (their ids come from the write
 * itself) and links each to the first open submission earlier in the run
 * for the same household and item, which it may duplicate. */
static void
number_rows(pending_case_t *pendings, size_t n)
{
    int64_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        pending_case_t *pending = &pendings[i];
        if (!pending->valid || !pending->the_case)
            continue;
        pending->row = ++rows;
        for (size_t j = 0; *pending->household && j < i && !pending->run_duplicate_row; j++) {
            pending_case_t *earlier = &pendings[j];
            if (earlier->row && strcmp(earlier->household, pending->household) == 0
                && strcmp(earlier->the_case->item_code, pending->the_case->item_code) == 0)
                pending->run_duplicate_row = earlier->row;
        }
    }
}

/* Households and units the copy has not seen: asked of the database in
 * one statement (grid's copy may have them since the copy was loaded). */
static sf_status_t
fetch_unseen(pending_case_t *pendings, size_t n, intake_ref_t *ref, sf_call_t *call)
{
    const char **households = calloc(n + 1, sizeof *households);
    const char **units = calloc(n + 1, sizeof *units);
    size_t n_households = 0, n_units = 0;
    for (size_t i = 0; households && units && i < n; i++) {
        pending_case_t *pending = &pendings[i];
        if (!pending->valid)
            continue;
        if (*pending->household && !intake_ref_household_zone(ref, pending->household))
            households[n_households++] = pending->household;
        else if (!*pending->household && !intake_ref_unit(ref, pending->unit))
            units[n_units++] = pending->unit;
    }
    sf_status_t status = SF_OK;
    if (!households || !units)
        status = sf_call_fail(call, SF_RESOURCE_EXHAUSTED, "out of memory");
    else if ((n_households || n_units)
             && intake_ref_fetch(ref, sf_call_db(call), households, n_households, units, n_units) != 0)
        status = sf_call_fail(call, SF_UNAVAILABLE, "database unavailable");
    free(households);
    free(units);
    return status;
}

/* The element types of write_sql's arrays, in order (binary parameters:
 * smallint columns travel as int). */
static const uint32_t write_types[WRITE_ARRAYS] = {
    SF_OID_INT8, SF_OID_TEXT, SF_OID_TEXT, SF_OID_TEXT, SF_OID_TEXT,
    SF_OID_INT4, SF_OID_INT4, SF_OID_INT4, SF_OID_BYTEA, SF_OID_TEXT, SF_OID_INT4,
    SF_OID_TEXT, SF_OID_TEXT, SF_OID_INT4, SF_OID_TEXT, SF_OID_TEXT, SF_OID_TEXT,
    SF_OID_TIMESTAMPTZ, SF_OID_TIMESTAMPTZ, SF_OID_INT4, SF_OID_TEXT, SF_OID_TEXT, SF_OID_TEXT,
    SF_OID_TEXT, SF_OID_INT8, SF_OID_BOOL, SF_OID_BOOL,
};

static sf_status_t
run_write(pending_case_t *pendings, size_t n, sf_call_t *call, const intake_t *intake, PGresult **result_p,
          size_t *to_write)
{
    *result_p = NULL;
    sf_binarray_t arrays[WRITE_ARRAYS];
    for (size_t a = 0; a < WRITE_ARRAYS; a++)
        sf_binarray_init(&arrays[a], write_types[a]);
    *to_write = 0;
    for (size_t i = 0; i < n; i++) {
        pending_case_t *pending = &pendings[i];
        if (!pending->valid || !pending->the_case)
            continue;
        const Sifang__V1__Case *c = pending->the_case;
        const Sifang__V1__CaseAssignee *assignee = c->assignee;
        sf_binarray_t *a = arrays;
        if (pending->run_duplicate_row)
            sf_binarray_int8(a++, pending->run_duplicate_row);
        else
            sf_binarray_null(a++);
        sf_binarray_text(a++, pending->registration_prefix);
        sf_binarray_text(a++, pending->household);
        sf_binarray_text(a++, c->item_code);
        sf_binarray_text(a++, c->unit_code);
        sf_binarray_int4(a++, c->channel);
        sf_binarray_int4(a++, c->category);
        sf_binarray_int4(a++, c->requester->kind);
        sf_binarray_bytes(a++, pending->requester_bytes, pending->requester_size);
        sf_binarray_text(a++, c->description);
        sf_binarray_int4(a++, c->status);
        sf_binarray_text(a++, *c->first_responder_id ? c->first_responder_id : NULL);
        sf_binarray_text(a++, c->first_responder_name);
        sf_binarray_int4(a++, assignee ? assignee->kind : 0);
        sf_binarray_text(a++, assignee ? assignee->code : NULL);
        sf_binarray_text(a++, assignee ? assignee->name : "");
        sf_binarray_text(a++, assignee ? assignee->route : "");
        sf_binarray_timestamptz(a++, c->received_unix_ms);
        sf_binarray_timestamptz(a++, c->due_unix_ms);
        sf_binarray_int4(a++, c->dispatch ? c->dispatch->state : 0);
        sf_binarray_text(a++, sf_call_principal(pending->submission->call)->id);
        sf_binarray_text(a++, sf_call_request_id(pending->submission->call));
        sf_binarray_text(a++, pending->actor);
        sf_binarray_text(a++, pending->note);
        if (c->meeting_id)
            sf_binarray_int8(a++, c->meeting_id);
        else
            sf_binarray_null(a++);
        sf_binarray_bool(a++, pending->imported);
        sf_binarray_bool(a++, pending->submission->request->refuse_duplicate);
        (*to_write)++;
    }
    sf_status_t status = SF_OK;
    if (*to_write) {
        sf_params_t params;
        sf_params_init(&params);
        for (size_t a = 0; a < WRITE_ARRAYS; a++)
            sf_binarray_param(&arrays[a], &params);
        sf_params_int(&params, intake->config.duplicate_window_hours);
        *result_p = sf_call_query(call, write_sql, &params);
        if (!*result_p)
            status = sf_call_status(call);
        else if ((size_t) PQntuples(*result_p) != *to_write)
            status = sf_call_fail(call, SF_INTERNAL, "the write gave %d rows for %zu cases", PQntuples(*result_p),
                                  *to_write);
        else if (sf_db_int(*result_p, 0, PQfnumber(*result_p, "cases_written"))
                 != sf_db_int(*result_p, 0, PQfnumber(*result_p, "history_written")))
            status = sf_call_fail(call, SF_INTERNAL, "the write wrote %s cases and %s audit rows",
                                  sf_db_text(*result_p, 0, PQfnumber(*result_p, "cases_written")),
                                  sf_db_text(*result_p, 0, PQfnumber(*result_p, "history_written")));
    }
    for (size_t a = 0; a < WRITE_ARRAYS; a++)
        sf_binarray_release(&arrays[a]);
    return status;
}

sf_status_t
intake_submit_run(intake_submission_t *submissions, size_t n)
{
    if (n == 0)
        return SF_OK;
    const intake_t *intake = sf_call_state(submissions[0].call);
    intake_ref_t *ref = intake->ref;
    pending_case_t *pendings = calloc(n, sizeof *pendings);
    if (!pendings)
        return sf_call_fail(submissions[0].call, SF_RESOURCE_EXHAUSTED, "out of memory");
    /* One clock for the run: the daemon's. */
    int64_t now = sf_now_ms();
    sf_call_t *db_call = NULL;
    for (size_t i = 0; i < n; i++) {
        pendings[i].submission = &submissions[i];
        submissions[i].the_case = NULL;
        check_request(&pendings[i]);
        pendings[i].imported = pendings[i].at_ms != 0;
        if (!pendings[i].at_ms)
            pendings[i].at_ms = now;
        if (pendings[i].valid && !db_call)
            db_call = submissions[i].call;
    }
    sf_status_t status = SF_OK;
    /* One small query a batch keeps the copy in step with every committed
     * change (grid's events, the catalogue, the calendar): the loop's batch
     * probe, sent with the batch's BEGIN. */
    if (db_call && intake_ref_refresh_in_batch(ref, sf_call_db(db_call)) != 0)
        status = sf_call_fail(db_call, SF_UNAVAILABLE, "database unavailable");
    if (status == SF_OK && db_call)
        status = fetch_unseen(pendings, n, ref, db_call);
    for (size_t i = 0; status == SF_OK && i < n; i++) {
        pending_case_t *pending = &pendings[i];
        if (pending->valid)
            check_found(pending, ref);
        if (pending->valid)
            build_case(pending, intake, ref);
    }
    PGresult *written = NULL;
    size_t to_write = 0;
    if (status == SF_OK && db_call)
        number_rows(pendings, n);
    if (status == SF_OK && db_call)
        status = run_write(pendings, n, db_call, intake, &written, &to_write);
    int row = 0;
    for (size_t i = 0; status == SF_OK && written && i < n; i++) {
        pending_case_t *pending = &pendings[i];
        if (!pending->valid || !pending->the_case)
            continue;
        finish_case(pendings, i, written, row++);
        if (!pending->valid)
            continue;
        status = intake_registration_write(pending->submission->call, pending->the_case, pending->item->registration,
                                           pending->submission->request->registration);
        if (status != SF_OK)
            break;
        submissions[i].the_case = pending->the_case;
    }
    /* The work-order rules' part of each registration (intake_orders.c),
     * then the events; an answer on the spot is a step after it. */
    if (status == SF_OK && written)
        status = intake_orders_after_submit(db_call, submissions, n);
    for (size_t i = 0; status == SF_OK && written && i < n; i++)
        if (submissions[i].the_case)
            intake_case_emit(submissions[i].call, submissions[i].the_case);
    for (size_t i = 0; status == SF_OK && written && i < n; i++)
        status = intake_orders_answer_directly(&submissions[i]);
    free(pendings);
    return status;
}

sf_status_t
intake_case_submit(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    intake_submission_t submission = {
        .call = call, .request = (const Sifang__V1__CaseSubmitRequest *) request, .field_prefix = "",
    };
    sf_status_t status = intake_submit_run(&submission, 1);
    if (status != SF_OK)
        return status;
    if (!submission.the_case)
        return sf_call_status(call) != SF_OK ? sf_call_status(call) : SF_INTERNAL;
    *reply_p = &submission.the_case->base;
    return SF_OK;
}

sf_status_t
intake_case_submit_batch(sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies,
                         size_t n)
{
    intake_submission_t *submissions = calloc(n, sizeof *submissions);
    if (!submissions)
        return SF_RESOURCE_EXHAUSTED;
    for (size_t i = 0; i < n; i++)
        submissions[i] = (intake_submission_t) {
            .call = calls[i], .request = (const Sifang__V1__CaseSubmitRequest *) requests[i],
            .field_prefix = "",
        };
    sf_status_t status = intake_submit_run(submissions, n);
    if (status == SF_OK)
        for (size_t i = 0; i < n; i++)
            if (submissions[i].the_case)
                replies[i] = &submissions[i].the_case->base;
    free(submissions);
    return status;
}
