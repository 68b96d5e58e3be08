/* Case rows: reading them into messages, finding a case by id or
 * registration number, the names of statuses, actions and channels, and a
 * case's event. */
#include "intake.h"
#include "intake_registration.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
    "unspecified", "received", "accepted", "assigned", "in_progress", "resolved", "closed",
    "rejected", "transferred",
};

static const char *const action_names[] = {
    "unspecified", "received", "accepted", "assigned", "started", "resolved", "closed",
    "rejected", "transferred", "overdue", "escalated", "dispatched", "provider_accepted",
    "provider_declined", "provider_completed", "dispatch_unmatched", "dispatch_cancelled",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_REMINDED] = "reminded",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_SUPERVISED] = "supervised",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_REFERRED_UP] = "referred_up",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_REOPENED] = "reopened",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_COMPLAINED] = "complained",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_FOLLOWED_UP] = "followed_up",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_SIGNED] = "signed",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_STAGE_LATE] = "stage_late",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_SENT_BACK] = "sent_back",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_EXTENSION_REQUESTED] = "extension_requested",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_EXTENSION_APPROVED] = "extension_approved",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_EXTENSION_REFUSED] = "extension_refused",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_RESIDENT_NOTIFIED] = "resident_notified",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_REVIEW_APPROVED] = "review_approved",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_REVIEW_REFUSED] = "review_refused",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_COHANDLER_ADDED] = "cohandler_added",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_COHANDLER_COMPLETED] = "cohandler_completed",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_DIRECT_ANSWERED] = "direct_answered",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_REGISTRATION_LINKED] = "registration_linked",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_REGISTRATION_REFUSED] = "registration_refused",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_HANDOFF_SENT] = "handoff_sent",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_HANDOFF_RECEIVED] = "handoff_received",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_HANDOFF_LINKED] = "handoff_linked",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_HANDOFF_REFUSED] = "handoff_refused",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_HANDOFF_CANCEL_ASKED] = "handoff_cancel_asked",
    [SIFANG__V1__CASE_ACTION__CASE_ACTION_HANDOFF_CANCELLED] = "handoff_cancelled",
};

static const char *const channel_names[] = {
    "unspecified", "window", "hotline", "one-key call", "website", "e-mail",
    "party member card", "resident council", "community meeting",
};

const char *
intake_status_name(Sifang__V1__CaseStatus status)
{
    return (unsigned) status < sizeof status_names / sizeof *status_names ? status_names[status] : "unknown";
}

const char *
intake_action_name(Sifang__V1__CaseAction action)
{
    return (unsigned) action < sizeof action_names / sizeof *action_names && action_names[action]
        ? action_names[action] : "unknown";
}

const char *
intake_channel_name(Sifang__V1__CaseChannel channel)
{
    return (unsigned) channel < sizeof channel_names / sizeof *channel_names ? channel_names[channel] : "unknown";
}

bool
intake_status_open(Sifang__V1__CaseStatus status)
{
    return status >= SIFANG__V1__CASE_STATUS__CASE_STATUS_RECEIVED
        && status <= SIFANG__V1__CASE_STATUS__CASE_STATUS_IN_PROGRESS;
}

/* protobuf-c allocates from the call's memory, freed with the reply. */
static void *
call_alloc(void *data, size_t size)
{
    return sf_call_alloc(data, size);
}

static void
call_free(void *data, void *pointer)
{
    (void) data;
    (void) pointer;
}

static Sifang__V1__CaseRequester *
requester_from_column(sf_call_t *call, const PGresult *result, int row, int column)
{
    size_t size = 0;
    unsigned char *bytes = PQunescapeBytea((const unsigned char *) sf_db_text(result, row, column), &size);
    Sifang__V1__CaseRequester *requester = NULL;
    if (bytes) {
        ProtobufCAllocator allocator = { call_alloc, call_free, call };
        requester = sifang__v1__case_requester__unpack(&allocator, size, bytes);
        PQfreemem(bytes);
    }
    if (!requester)
        requester = (Sifang__V1__CaseRequester *)
            sf_call_new_message(call, &sifang__v1__case_requester__descriptor);
    return requester;
}

static const char *
text_at(sf_call_t *call, const PGresult *result, int row, int column)
{
    (void) call;
    /* Strings live in the result, which lives as long as the reply. */
    return sf_db_text(result, row, column);
}

Sifang__V1__Case *
intake_case_from_row(sf_call_t *call, const PGresult *result, int row, int column,
                     intake_case_extra_t *extra)
{
    int k = column;
    Sifang__V1__Case *c = (Sifang__V1__Case *) sf_call_new_message(call, &sifang__v1__case__descriptor);
    c->id = sf_db_int(result, row, k++);
    c->registration_number = (char *) text_at(call, result, row, k++);
    c->status = (Sifang__V1__CaseStatus) sf_db_int(result, row, k++);
    c->channel = (Sifang__V1__CaseChannel) sf_db_int(result, row, k++);
    c->item_code = (char *) text_at(call, result, row, k++);
    c->item_name = (char *) text_at(call, result, row, k++);
    c->category = (Sifang__V1__ServiceCategory) sf_db_int(result, row, k++);
    c->requester = requester_from_column(call, result, row, k++);
    c->unit_code = (char *) text_at(call, result, row, k++);
    /* Empty when the unit is above that level. */
    c->community_code = sf_call_printf(call, "%.*s",
                                      (int) sf_code_ancestor(c->unit_code, INTAKE_COMMUNITY_CODE_LENGTH), c->unit_code);
    c->street_code = sf_call_printf(call, "%.*s", (int) sf_code_ancestor(c->unit_code, INTAKE_STREET_CODE_LENGTH),
                                   c->unit_code);
    c->description = (char *) text_at(call, result, row, k++);
    c->first_responder_id = (char *) text_at(call, result, row, k++);
    c->first_responder_name = (char *) text_at(call, result, row, k++);
    Sifang__V1__CaseAssignee *assignee = (Sifang__V1__CaseAssignee *)
        sf_call_new_message(call, &sifang__v1__case_assignee__descriptor);
    assignee->kind = (Sifang__V1__AssigneeKind) sf_db_int(result, row, k++);
    assignee->code = (char *) text_at(call, result, row, k++);
    assignee->name = (char *) text_at(call, result, row, k++);
    assignee->route = (char *) text_at(call, result, row, k++);
    c->assignee = assignee->kind ? assignee : NULL;
    c->received_unix_ms = sf_db_int(result, row, k++);
    c->accepted_unix_ms = sf_db_int(result, row, k++);
    c->due_unix_ms = sf_db_int(result, row, k++);
    c->resolved_unix_ms = sf_db_int(result, row, k++);
    c->closed_unix_ms = sf_db_int(result, row, k++);
    c->overdue = sf_db_bool(result, row, k++);
    c->escalation_level = (int32_t) sf_db_int(result, row, k++);
    c->escalated_to = (char *) text_at(call, result, row, k++);
    c->satisfaction = (int32_t) sf_db_int(result, row, k++);
    c->resolution = (char *) text_at(call, result, row, k++);
    c->reject_reason = (char *) text_at(call, result, row, k++);
    c->transferred_to = (char *) text_at(call, result, row, k++);
    c->duplicate_of = sf_db_int(result, row, k++);
    c->duplicate_of_registration = (char *) text_at(call, result, row, k++);
    c->meeting_id = sf_db_int(result, row, k++);
    Sifang__V1__CaseDispatch *dispatch = (Sifang__V1__CaseDispatch *)
        sf_call_new_message(call, &sifang__v1__case_dispatch__descriptor);
    dispatch->state = (Sifang__V1__CaseDispatchState) sf_db_int(result, row, k++);
    dispatch->provider_kind = (Sifang__V1__CaseProviderKind) sf_db_int(result, row, k++);
    dispatch->provider_id = (char *) text_at(call, result, row, k++);
    dispatch->provider_name = (char *) text_at(call, result, row, k++);
    dispatch->volunteer_dispatch_id = (char *) text_at(call, result, row, k++);
    dispatch->attempt = (int32_t) sf_db_int(result, row, k++);
    dispatch->requested_unix_ms = sf_db_int(result, row, k++);
    dispatch->answered_unix_ms = sf_db_int(result, row, k++);
    dispatch->note = (char *) text_at(call, result, row, k++);
    dispatch->timed_out = sf_db_bool(result, row, k++);
    c->dispatch = dispatch->state ? dispatch : NULL;
    c->version = sf_db_int(result, row, k++);
    int64_t last_at = sf_db_int(result, row, k++);
    c->updated_unix_ms = last_at;
    int64_t volunteer_version = sf_db_int(result, row, k++);
    int routing = (int) sf_db_int(result, row, k++);
    const char *skill = text_at(call, result, row, k++);
    const char *department = text_at(call, result, row, k++);
    const char *assigned_departments = text_at(call, result, row, k++);
    k = intake_orders_from_row(call, c, result, row, k);
    bool undecoded;
    c->registration = intake_registration_from_text(call, text_at(call, result, row, k++), &undecoded);
    if (undecoded)
        return NULL;
    c->handoff = intake_handoff_from_text(call, text_at(call, result, row, k++), &undecoded);
    if (undecoded)
        return NULL;
    k = intake_follow_from_row(c, result, row, k);
    const char *household = text_at(call, result, row, k++);
    /* The reader and the list must end together: a column added to one
     * and not the other would shift every field after it. */
    if (PQfnumber(result, "case_household_code") != k - 1) {
        sf_call_fail(call, SF_INTERNAL, "a case row's columns are not those intake_case_from_row reads");
        return NULL;
    }
    /* Read time: the instance the hand-off rule names for an open case,
     * when it is another (the workbench offers 移交 there). */
    const intake_t *intake = sf_call_state(call);
    if (intake && intake->handoff_rule.n > 1 && intake_status_open(c->status)) {
        const char *owner = intake_handoff_rule_owner(call, &intake->handoff_rule, routing, department,
                                                      c->unit_code, NULL);
        if (owner && strcmp(owner, intake->instance) != 0)
            c->handoff_target = (char *) owner;
    }
    int64_t finished = c->resolved_unix_ms ? c->resolved_unix_ms : c->closed_unix_ms;
    c->resolved_in_time = finished && c->due_unix_ms && finished <= c->due_unix_ms;
    /* Last: the rule reads the unit, the assignee and the first responder. */
    const char *requester_name = c->requester ? c->requester->name : NULL;
    intake_requester_shown(call, c);
    intake_registration_shown(call, c, requester_name);
    if (extra) {
        extra->last_at_ms = last_at;
        extra->volunteer_version = volunteer_version;
        extra->item_routing = routing;
        extra->provider_skill = skill;
        extra->department_code = department;
        extra->household_code = household;
        extra->assigned_departments = assigned_departments;
    }
    return c;
}

int
intake_column(sf_call_t *call, const PGresult *result, const char *name)
{
    int column = PQfnumber(result, name);
    if (column < 0)
        sf_call_fail(call, SF_INTERNAL, "the statement selects no column %s", name);
    return column;
}

int64_t
intake_case_ref_id(sf_call_t *call, const char *field, const Sifang__V1__CaseRef *ref)
{
    char name[64];
    if (!ref || (ref->id == 0 && !*ref->registration_number)) {
        sf_call_violation(call, field, "is required: a case id or registration number");
        return 0;
    }
    if (ref->id < 0) {
        snprintf(name, sizeof name, "%s.id", field);
        sf_call_violation(call, name, "must be positive");
        return 0;
    }
    if (ref->expected_version < 0) {
        snprintf(name, sizeof name, "%s.expected_version", field);
        sf_call_violation(call, name, "must not be negative");
        return 0;
    }
    if (ref->id)
        return ref->id;
    int64_t id = intake_registration_id(ref->registration_number);
    if (id <= 0 || strlen(ref->registration_number) > 40) {
        snprintf(name, sizeof name, "%s.registration_number", field);
        sf_call_violation(call, name, "is not a registration number (e.g. SF20260315-0000123)");
        return 0;
    }
    return id;
}

sf_status_t
intake_case_load_id(sf_call_t *call, int64_t id, bool lock, Sifang__V1__Case **case_p,
                    intake_case_extra_t *extra)
{
    *case_p = NULL;
    sf_params_t *params = SF_PARAMS(id);
    PGresult *result = sf_call_query(call, lock
        ? "SELECT " INTAKE_CASE_COLUMNS INTAKE_CASE_FROM " WHERE c.id = $1 FOR UPDATE OF c"
        : "SELECT " INTAKE_CASE_COLUMNS INTAKE_CASE_FROM " WHERE c.id = $1", params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 1 && !(*case_p = intake_case_from_row(call, result, 0, 0, extra)))
        return sf_call_status(call);
    return SF_OK;
}

/* The caller's principal's id and department ("" when none). */
static const char *
principal_id(const sf_call_t *call)
{
    const Sifang__V1__Principal *principal = sf_call_principal(call);
    return principal && principal->id ? principal->id : "";
}

static const char *
principal_department(const sf_call_t *call)
{
    const Sifang__V1__Principal *principal = sf_call_principal(call);
    return principal && principal->department ? principal->department : "";
}

/* Whether word is one of the space-separated words of list. */
static bool
word_in(const char *word, const char *list)
{
    size_t length = strlen(word);
    if (!length || !list)
        return false;
    for (const char *at = list; (at = strstr(at, word)) != NULL; at += length)
        if ((at == list || at[-1] == ' ') && (at[length] == 0 || at[length] == ' '))
            return true;
    return false;
}

/* A person's own case: they registered it (its first responder). */
static bool
case_is_own(const sf_call_t *call, const Sifang__V1__Case *the_case)
{
    return *the_case->first_responder_id && strcmp(the_case->first_responder_id, principal_id(call)) == 0;
}

/* Assigned now to the department whose staff the caller is. */
static bool
case_is_departments(const sf_call_t *call, const Sifang__V1__Case *the_case)
{
    const Sifang__V1__CaseAssignee *assignee = the_case->assignee;
    const char *department = principal_department(call);
    return *department && assignee && assignee->kind == SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_DEPARTMENT
        && strcmp(assignee->code, department) == 0 && sf_call_has_role(call, INTAKE_ROLE_DEPARTMENT_STAFF);
}

bool
intake_case_readable(sf_call_t *call, const Sifang__V1__Case *the_case, const char *assigned_departments)
{
    if (sf_call_covers(call, the_case->unit_code))
        return true;
    if (!sf_call_is_person(call))
        return false;
    return case_is_own(call, the_case)
        || (sf_call_has_role(call, INTAKE_ROLE_DEPARTMENT_STAFF)
            && word_in(principal_department(call), assigned_departments));
}

bool
intake_case_writable(sf_call_t *call, const Sifang__V1__Case *the_case)
{
    if (sf_call_may_write(call, the_case->unit_code))
        return true;
    return sf_call_is_person(call) && case_is_departments(call, the_case);
}

void
intake_requester_shown(sf_call_t *call, Sifang__V1__Case *the_case)
{
    Sifang__V1__CaseRequester *requester = the_case->requester;
    if (!requester)
        return;
    const Sifang__V1__Principal *principal = sf_call_principal(call);
    if (!sf_call_is_person(call)) {
        if (principal && principal->role && strcmp(principal->role, "viewer") == 0) {
            requester->household_code = "";
            requester->resident_id = "";
            requester->name = "";
            requester->phone = "";
            requester->enterprise_name = "";
            requester->enterprise_credit_code = "";
        } else if (!sf_call_has_role(call, INTAKE_ROLES_STATION) && *requester->phone)
            requester->phone = intake_phone_masked(call, requester->phone);
        return;
    }
    if (sf_call_covers_as(call, SF_ROLES_CASE_INTAKE, the_case->unit_code) || case_is_departments(call, the_case)
        || case_is_own(call, the_case))
        return;
    if (*requester->phone)
        requester->phone = intake_phone_masked(call, requester->phone);
    if (*requester->name && requester->kind != SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_COMMUNITY)
        requester->name = intake_name_masked(call, requester->name);
}

sf_status_t
intake_case_load(sf_call_t *call, const char *field, const Sifang__V1__CaseRef *ref, bool lock, bool write,
                 Sifang__V1__Case **case_p, intake_case_extra_t *extra)
{
    *case_p = NULL;
    int64_t id = intake_case_ref_id(call, field, ref);
    if (!id)
        return sf_call_status(call);
    Sifang__V1__Case *found = NULL;
    intake_case_extra_t own_extra;
    if (!extra)
        extra = &own_extra;
    sf_status_t status = intake_case_load_id(call, id, lock, &found, extra);
    if (status != SF_OK)
        return status;
    if (found && !ref->id && strcmp(found->registration_number, ref->registration_number) != 0)
        found = NULL;
    /* A key is told where its scope ends, as it always was; a person is
     * not told that a case they may not read exists. */
    bool key = !sf_call_is_person(call);
    if (found && key && !sf_call_covers(call, found->unit_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "case %lld lies outside your scope",
                            (long long) found->id);
    if (found && !key && !intake_case_readable(call, found, extra->assigned_departments))
        found = NULL;
    if (!found)
        return sf_call_refuse(call, SF_NOT_FOUND, field, "no case %s",
                              ref->id ? sf_call_printf(call, "%lld", (long long) ref->id)
                                     : ref->registration_number);
    if (write && !key && !intake_case_writable(call, found))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "case %lld is not yours to handle: it lies outside"
                            " where you may write%s", (long long) found->id,
                            case_is_own(call, found) ? " (you registered it, and may follow it)" : "");
    if (ref->expected_version && ref->expected_version != found->version)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, sf_call_printf(call, "%s.expected_version", field),
                              "the case is at version %lld, not %lld", (long long) found->version,
                              (long long) ref->expected_version);
    *case_p = found;
    return SF_OK;
}

void
intake_case_emit(sf_call_t *call, const Sifang__V1__Case *the_case)
{
    /* Events never carry a phone number in the clear: mask it for the
     * packing (sf_call_emit packs at once) and put the reply's back. */
    Sifang__V1__CaseRequester *requester = the_case->requester;
    char *phone = requester ? requester->phone : NULL;
    char *name = requester ? requester->name : NULL;
    if (requester && phone && *phone)
        requester->phone = intake_phone_masked(call, phone);
    if (requester && name && *name && requester->kind != SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_COMMUNITY)
        requester->name = intake_name_masked(call, name);
    /* A registration's phone too; its name, birth date and household stay:
     * the owning service checks them against its copy of grid's resident. */
    Sifang__V1__CaseRegistration *registration = the_case->registration;
    char *registration_phone = registration ? registration->phone : NULL;
    if (registration_phone && *registration_phone)
        registration->phone = intake_phone_masked(call, registration_phone);
    Sifang__V1__CaseAction action = the_case->last_transition
        ? the_case->last_transition->action : SIFANG__V1__CASE_ACTION__CASE_ACTION_UNSPECIFIED;
    char type[48], key[24];
    snprintf(type, sizeof type, "case.%s", intake_action_name(action));
    snprintf(key, sizeof key, "%lld", (long long) the_case->id);
    sf_call_emit(call, type, key, &the_case->base);
    intake_notices_project(call, the_case);
    intake_resident_project(call, the_case, phone);   /* the resident told, in the clear for the outbox only */
    if (requester) {
        requester->phone = phone;
        requester->name = name;
    }
    if (registration)
        registration->phone = registration_phone;
}
