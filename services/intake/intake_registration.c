/* One registration, all services (intake_registration.h): a registration's
 * form at submission, its row, its sending at resolution, and the owning
 * service's answer recorded as a step of the case. */
#include "intake_registration.h"
#include "intake_peers.h"
#include "sf_json.h"
#include "sf_log.h"
#include "sf_dates.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIND(name) SIFANG__V1__CASE_REGISTRATION_KIND__CASE_REGISTRATION_KIND_##name
#define STATE(name) SIFANG__V1__CASE_REGISTRATION_STATE__CASE_REGISTRATION_STATE_##name
#define LABOR(name) SIFANG__V1__LABOR_STATUS__LABOR_STATUS_##name
#define CASE_STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define CASE_ACTION(name) SIFANG__V1__CASE_ACTION__CASE_ACTION_##name

#define NAME_MAX_CHARS 50
#define ORGANISATION_MAX_CHARS 100
#define CERTIFICATE_MAX_CHARS 32
#define DIFFICULTY_MAX 7            /* DifficultyCategory's values, each at most once */
#define INBOX_BATCH 100

static const char *const kind_names[] = { "", "就业失业登记", "就业困难人员认定", "在职党员报到" };

const char *
intake_registration_service(int kind)
{
    return kind == KIND(EMPLOYMENT) || kind == KIND(DIFFICULTY) ? "employment"
         : kind == KIND(PARTY_MEMBER) ? "volunteer" : "";
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

/* A message made with the default allocator, copied into the call's
 * memory (packed and unpacked again) and freed. */
static ProtobufCMessage *
into_call(sf_call_t *call, ProtobufCMessage *message)
{
    size_t size = protobuf_c_message_get_packed_size(message);
    uint8_t *bytes = sf_call_alloc(call, size + 1);
    protobuf_c_message_pack(message, bytes);
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    protobuf_c_message_free_unpacked(message, NULL);
    ProtobufCAllocator allocator = { call_alloc, call_free, call };
    return protobuf_c_message_unpack(descriptor, &allocator, size, bytes);
}

Sifang__V1__CaseRegistration *
intake_registration_from_text(sf_call_t *call, const char *text, bool *failed)
{
    *failed = false;
    if (!text || !*text)
        return NULL;
    char field[64], error[160];
    ProtobufCMessage *parsed = sf_json_parse_message(&sifang__v1__case_registration__descriptor, text, strlen(text),
                                                     field, sizeof field, error, sizeof error);
    ProtobufCMessage *copy = parsed ? into_call(call, parsed) : NULL;
    if (!copy) {
        sf_call_fail(call, SF_INTERNAL, "a case's registration does not decode");
        sf_warn("case registration column does not decode", "field", field, "reason", error);
        *failed = true;
        return NULL;
    }
    return (Sifang__V1__CaseRegistration *) copy;
}

void
intake_registration_shown(sf_call_t *call, Sifang__V1__Case *the_case, const char *requester_name)
{
    Sifang__V1__CaseRegistration *registration = the_case->registration;
    if (!registration || !the_case->requester || the_case->requester->name == requester_name)
        return;
    if (!*the_case->requester->name && !*the_case->requester->household_code) {
        Sifang__V1__CaseRegistration *bare = (Sifang__V1__CaseRegistration *)
            sf_call_new_message(call, &sifang__v1__case_registration__descriptor);
        bare->kind = registration->kind;
        bare->state = registration->state;
        bare->service = registration->service;
        the_case->registration = bare;
        return;
    }
    registration->name = intake_name_masked(call, registration->name);
    registration->phone = intake_phone_masked(call, registration->phone);
    char masked[SF_MASK_SIZE];
    sf_birth_date_mask(registration->birth_date, masked, sizeof masked);
    registration->birth_date = sf_call_strdup(call, masked);
}

/* --- submission ------------------------------------------------------------------- */

static const char *
sub(sf_call_t *call, const char *field, const char *name)
{
    return sf_call_printf(call, "%s.%s", field, name);
}

bool
intake_registration_check(sf_call_t *call, const char *field, const Sifang__V1__CaseRegistration *given)
{
    if (!given)
        return true;
    bool valid = true;
    int64_t serial;
    if (!*given->resident_id) {
        sf_call_violation(call, sub(call, field, "resident_id"), "is required: grid's resident who registers");
        valid = false;
    } else if (!sf_serial_id_parse(given->resident_id, 'R', &serial) || strlen(given->resident_id) > 16) {
        sf_call_violation(call, sub(call, field, "resident_id"), "must be grid's resident id, like R0000042");
        valid = false;
    }
    if (!sf_call_check_text(call, sub(call, field, "name"), given->name, NAME_MAX_CHARS, true))
        valid = false;
    int32_t birth = 0;
    if (!*given->birth_date) {
        sf_call_violation(call, sub(call, field, "birth_date"), "is required");
        valid = false;
    } else if (!sf_date_parse(given->birth_date, &birth) || !sf_date_not_future(birth)) {
        sf_call_violation(call, sub(call, field, "birth_date"), "must be a past date, YYYY-MM-DD");
        valid = false;
    }
    if (given->gender != SIFANG__V1__GENDER__GENDER_FEMALE && given->gender != SIFANG__V1__GENDER__GENDER_MALE) {
        sf_call_violation(call, sub(call, field, "gender"), "is required: female or male");
        valid = false;
    }
    /* The identity number is the person's proof: it must hold the birth
     * date and sex written down, or one of them was mistyped. */
    char number[SF_ID_NUMBER_SIZE];
    if (!*given->id_number) {
        sf_call_violation(call, sub(call, field, "id_number"), "is required");
        valid = false;
    } else if (!sf_id_number_normalise(given->id_number, number)) {
        sf_call_violation(call, sub(call, field, "id_number"),
                          "must be an 18-character identity number with a valid check character");
        valid = false;
    } else {
        char born[11];
        sf_id_number_birth_date(number, born);
        if (*given->birth_date && strcmp(born, given->birth_date) != 0) {
            sf_call_violation(call, sub(call, field, "birth_date"),
                              sf_call_printf(call, "is not the identity number's (%s)", born));
            valid = false;
        }
        bool male = sf_id_number_male(number);
        if ((given->gender == SIFANG__V1__GENDER__GENDER_MALE && !male)
            || (given->gender == SIFANG__V1__GENDER__GENDER_FEMALE && male)) {
            sf_call_violation(call, sub(call, field, "gender"),
                              male ? "is not the identity number's (male)" : "is not the identity number's (female)");
            valid = false;
        }
    }
    if (!sf_call_check_phone(call, sub(call, field, "phone"), given->phone))
        valid = false;
    if (!*given->household_code) {
        sf_call_violation(call, sub(call, field, "household_code"), "is required: the household they live in");
        valid = false;
    } else if (!sf_code_of_length(given->household_code, SF_CODE_HOUSEHOLD_LENGTH)) {
        sf_call_violation(call, sub(call, field, "household_code"), "must be a household code (18 digits)");
        valid = false;
    }
    if (given->labor_status < 0 || given->labor_status > LABOR(RETIRED)) {
        sf_call_violation(call, sub(call, field, "labor_status"), "is not a labour status");
        valid = false;
    }
    if (given->n_difficulties > DIFFICULTY_MAX) {
        sf_call_violation(call, sub(call, field, "difficulties"), "at most 7, each once");
        valid = false;
    }
    unsigned seen = 0;
    for (size_t i = 0; i < given->n_difficulties && i < DIFFICULTY_MAX; i++) {
        int category = given->difficulties[i];
        const char *name = sf_call_printf(call, "%s.difficulties[%zu]", field, i);
        if (category < 1 || category > DIFFICULTY_MAX) {
            sf_call_violation(call, name, "is not a difficulty category");
            valid = false;
        } else if (seen & (1u << category)) {
            sf_call_violation(call, name, "is given twice");
            valid = false;
        } else
            seen |= 1u << category;
    }
    if (!sf_call_check_text(call, sub(call, field, "party_organisation"), given->party_organisation,
                            ORGANISATION_MAX_CHARS, false))
        valid = false;
    if (!sf_call_check_text(call, sub(call, field, "disability_certificate"), given->disability_certificate,
                            CERTIFICATE_MAX_CHARS, false))
        valid = false;
    /* What only the service's answer fills in. */
    if (given->state || *given->service || *given->linked_id || *given->refusal || given->answered_unix_ms
        || given->created || *given->id_number_masked) {
        sf_call_violation(call, field, "state, service, linked_id, refusal, answered_unix_ms, created and"
                                       " id_number_masked are the service's to fill in; leave them empty");
        valid = false;
    }
    return valid;
}

bool
intake_registration_fits(sf_call_t *call, const char *field, const char *item_code, int kind,
                         const Sifang__V1__CaseRegistration *given)
{
    if (kind == 0) {
        if (given)
            sf_call_violation(call, field, sf_call_printf(call, "is only for items that are registrations;"
                                                                " %s is not one", item_code));
        return !given;
    }
    if (!given) {
        sf_call_violation(call, field, sf_call_printf(call, "is required: %s (%s) is a registration, and its"
                                                            " data go to the %s service", item_code,
                                                      kind_names[kind], intake_registration_service(kind)));
        return false;
    }
    if (given->kind && (int) given->kind != kind) {
        sf_call_violation(call, sub(call, field, "kind"), "is the item's; leave it empty or give the item's");
        return false;
    }
    bool valid = true;
    if (kind == KIND(PARTY_MEMBER)) {
        if (!*given->party_organisation) {
            sf_call_violation(call, sub(call, field, "party_organisation"),
                              "is required: the party organisation the member belongs to at work");
            valid = false;
        }
        if (given->labor_status || given->n_difficulties || given->seeking_work || *given->disability_certificate) {
            sf_call_violation(call, field, "labor_status, difficulties, seeking_work and disability_certificate"
                                           " are for employment's registrations");
            valid = false;
        }
        return valid;
    }
    if (*given->party_organisation) {
        sf_call_violation(call, sub(call, field, "party_organisation"), "is for 在职党员报到 only");
        valid = false;
    }
    if (kind == KIND(EMPLOYMENT) && !given->labor_status) {
        sf_call_violation(call, sub(call, field, "labor_status"),
                          "is required: the status registered (unemployed, employed ...)");
        valid = false;
    }
    if (kind == KIND(EMPLOYMENT) && (given->n_difficulties || *given->disability_certificate)) {
        sf_call_violation(call, sub(call, field, "difficulties"),
                          "are certified by 就业困难人员认定 (with the disability certificate), not here");
        valid = false;
    }
    if (kind == KIND(DIFFICULTY) && !given->n_difficulties) {
        sf_call_violation(call, sub(call, field, "difficulties"), "is required: the categories claimed");
        valid = false;
    }
    return valid;
}

sf_status_t
intake_registration_write(sf_call_t *call, Sifang__V1__Case *the_case, int kind,
                          const Sifang__V1__CaseRegistration *given)
{
    if (!kind || !given)
        return SF_OK;
    char number[SF_ID_NUMBER_SIZE], masked[SF_ID_NUMBER_SIZE];
    if (!sf_id_number_normalise(given->id_number, number))
        return sf_call_fail(call, SF_INTERNAL, "a checked identity number does not normalise");
    sf_id_number_mask(number, masked);
    /* A difficulty certification is of someone out of work unless the
     * clerk says otherwise. */
    int labor_status = kind == KIND(DIFFICULTY) && !given->labor_status ? LABOR(UNEMPLOYED) : (int) given->labor_status;
    char difficulties[64] = "{";
    for (size_t i = 0; i < given->n_difficulties; i++)
        snprintf(difficulties + strlen(difficulties), sizeof difficulties - strlen(difficulties), "%s%d",
                 i ? "," : "", given->difficulties[i]);
    strcat(difficulties, "}");
    const char *service = intake_registration_service(kind);
    PGresult *result = sf_call_query(call,
        "INSERT INTO case_registration (case_id, kind, resident_id, id_number_masked, name, birth_date, gender, phone,"
        " household_code, labor_status, difficulties, seeking_work, party_organisation, service,"
        " disability_certificate)"
        " VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8, $9, $10, $11::smallint[], $12, $13, $14, $15)",
        SF_PARAMS(the_case->id, kind, given->resident_id, masked, given->name, given->birth_date, given->gender,
                  given->phone, given->household_code, labor_status, difficulties, sf_param_bool(given->seeking_work),
                  given->party_organisation, service, given->disability_certificate));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__CaseRegistration *stored = (Sifang__V1__CaseRegistration *)
        sf_call_new_message(call, &sifang__v1__case_registration__descriptor);
    *stored = *given;
    stored->base.unknown_fields = NULL;
    stored->base.n_unknown_fields = 0;
    stored->kind = (Sifang__V1__CaseRegistrationKind) kind;
    stored->id_number = "";
    stored->id_number_masked = sf_call_strdup(call, masked);
    stored->labor_status = (Sifang__V1__LaborStatus) labor_status;
    stored->state = STATE(WAITING);
    stored->service = (char *) service;
    the_case->registration = stored;
    return SF_OK;
}

/* --- acceptance, resolution and the return visit ------------------------------------ */

sf_status_t
intake_registration_may_accept(sf_call_t *call, const Sifang__V1__Case *the_case, const char *item_code)
{
    PGresult *result = sf_call_query(call, "SELECT registration FROM service_item WHERE code = $1",
                                     SF_PARAMS(item_code));
    if (!result)
        return sf_call_status(call);
    int kind = PQntuples(result) == 1 ? (int) sf_db_int(result, 0, 0) : 0;
    int carried = the_case->registration ? (int) the_case->registration->kind : 0;
    if (kind == carried)
        return SF_OK;
    if (!carried)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "item_code",
                              "%s is a registration (%s) whose data the case does not carry: register it anew"
                              " with its registration", item_code, kind_names[kind]);
    return sf_call_refuse(call, SF_FAILED_PRECONDITION, "item_code",
                          "case %lld carries a registration for %s, not for %s", (long long) the_case->id,
                          kind_names[carried], item_code);
}

sf_status_t
intake_registration_send(sf_call_t *call, const Sifang__V1__Case *the_case)
{
    const Sifang__V1__CaseRegistration *registration = the_case->registration;
    if (!registration || registration->state == STATE(LINKED))
        return SF_OK;
    PGresult *result = sf_call_query(call,
        "UPDATE case_registration SET state = 2, sent_version = $2, refusal = '', answered_at = NULL"
        " WHERE case_id = $1", SF_PARAMS(the_case->id, the_case->version + 1));
    return result ? SF_OK : sf_call_status(call);
}

sf_status_t
intake_registration_may_close(sf_call_t *call, const Sifang__V1__Case *the_case)
{
    const Sifang__V1__CaseRegistration *registration = the_case->registration;
    if (!registration || registration->state != STATE(SENT))
        return SF_OK;
    return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref",
                          "case %lld's registration is with the %s service and not answered yet; the return visit"
                          " follows its answer", (long long) the_case->id, registration->service);
}

/* --- the answers ------------------------------------------------------------------- */

/* "<instance>/<case id>": the case id, or 0 for another instance's. */
static int64_t
case_of_ref(const char *case_ref, const char *instance)
{
    size_t length = strlen(instance);
    if (strncmp(case_ref, instance, length) != 0 || case_ref[length] != '/')
        return 0;
    long long id = 0;
    int used = 0;
    if (sscanf(case_ref + length + 1, "%18lld%n", &id, &used) != 1 || case_ref[length + 1 + used] != 0 || id <= 0)
        return 0;
    return (int64_t) id;
}

sf_status_t
intake_apply_registration_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    intake_peers_t *peers = arg;
    if (intake_peers_stopping(peers))
        return SF_UNAVAILABLE;
    bool refused = strcmp(event->type, "registration.refused") == 0;
    if (!refused && strcmp(event->type, "registration.linked") != 0)
        return SF_OK;
    Sifang__V1__CaseRegistrationOutcome *outcome = sifang__v1__case_registration_outcome__unpack(
        NULL, event->payload.len, event->payload.data);
    if (!outcome)
        return SF_DATA_LOSS;   /* recorded and passed over (sf_follower.h) */
    int64_t case_id = case_of_ref(outcome->case_ref, intake_peers_instance(peers));
    sf_status_t status = SF_OK;
    if (case_id) {
        char source[160];
        snprintf(source, sizeof source, "%s#%lld", event->source, (long long) event->seq);
        sf_params_t *params = SF_PARAMS(case_id, sf_param_bool(refused));
        sf_params_bytes(params, event->payload.data, event->payload.len);
        sf_params_text(params, source);
        status = sf_db_run(db, "INSERT INTO registration_inbox (case_id, refused, outcome, source)"
                               " VALUES ($1, $2, $3, $4)", params, NULL);
    }
    protobuf_c_message_free_unpacked(&outcome->base, NULL);
    return status;
}

/* One answer: the registration's row and the case's step. An answer to
 * an earlier sending (the case resolved again since) or for a case that
 * is not waiting for one changes nothing. */
static sf_status_t
apply_answer(sf_call_t *call, int64_t case_id, const Sifang__V1__CaseRegistrationOutcome *outcome, bool refused)
{
    Sifang__V1__Case *the_case;
    intake_case_extra_t extra;
    sf_status_t status = intake_case_load_id(call, case_id, true, &the_case, &extra);
    if (status != SF_OK || !the_case)
        return status;
    const Sifang__V1__CaseRegistration *registration = the_case->registration;
    PGresult *sent = registration ? sf_call_query(call,
        "SELECT sent_version FROM case_registration WHERE case_id = $1", SF_PARAMS(case_id)) : NULL;
    if (registration && !sent)
        return sf_call_status(call);
    if (!registration || registration->state != STATE(SENT) || PQntuples(sent) != 1
        || sf_db_int(sent, 0, 0) != outcome->case_version || strcmp(outcome->service, registration->service) != 0) {
        sf_info("registration answer for a case not waiting for it; passed over", "case",
                sf_call_printf(call, "%lld", (long long) case_id), "service", outcome->service);
        return SF_OK;
    }
    sf_call_act_as(call, registration->service);
    PGresult *result = sf_call_query(call,
        "UPDATE case_registration SET state = $2, linked_id = $3, created = $4, refusal = $5, answered_at = now()"
        " WHERE case_id = $1",
        SF_PARAMS(case_id, refused ? STATE(REFUSED) : STATE(LINKED), refused ? "" : outcome->linked_id,
                  sf_param_bool(!refused && outcome->created), refused ? outcome->refusal : ""));
    if (!result)
        return sf_call_status(call);
    intake_step_t step;
    Sifang__V1__Case *updated;
    if (!refused) {
        const char *what = outcome->kind == KIND(PARTY_MEMBER) ? "volunteer" : "person";
        intake_step_init(&step, case_id, CASE_ACTION(REGISTRATION_LINKED), the_case->status, registration->service,
                         0, sf_call_printf(call, "%s %s %s %s", registration->service,
                                           outcome->created ? "registered" : "updated", what, outcome->linked_id),
                         "status = c.status");
        return intake_step_run(call, &step, &updated);
    }
    /* Refused: the case is not done. A resolved case goes back to its
     * handler, who corrects what the service names (grid's record, the
     * category) and resolves again, or rejects the case with the reason. */
    const char *note = sf_call_printf(call, "%s refused the registration: %s", registration->service,
                                      outcome->refusal);
    bool reopened = the_case->status == CASE_STATUS(RESOLVED);
    intake_step_init(&step, case_id, CASE_ACTION(REGISTRATION_REFUSED), the_case->status, registration->service, 0,
                     note, reopened ? "status = 4, resolved_at = NULL" : "status = c.status");
    /* Back with its handler: they must act now (the work-order rules'
     * waiting_on), not the return visit. */
    if (reopened && the_case->assignee) {
        step.set_waiting = true;
        step.waiting = intake_waiting(call, the_case->assignee->kind, the_case->assignee->code,
                                      the_case->assignee->name, "assignee");
    }
    return intake_step_run(call, &step, &updated);
}

int
intake_registration_apply_inbox(sf_call_t *call)
{
    if (!sf_server_ready(sf_call_server(call)))
        return -1;
    sf_db_t *db = sf_call_db(call);
    /* Cheap when empty, which is nearly always. */
    PGresult *peek = sf_db_query(db, "SELECT EXISTS (SELECT 1 FROM registration_inbox)", NULL);
    bool waiting = sf_db_result_ok(peek) && sf_db_bool(peek, 0, 0);
    PQclear(peek);
    if (!waiting)
        return 0;
    if (!sf_db_begin(db))
        return -1;
    PGresult *rows = sf_call_query(call,
        "DELETE FROM registration_inbox WHERE id IN (SELECT id FROM registration_inbox ORDER BY id LIMIT $1)"
        " RETURNING id, case_id, refused, outcome, source", SF_PARAMS(INBOX_BATCH));
    bool ok = rows != NULL;
    int n = ok ? PQntuples(rows) : 0;
    /* DELETE ... RETURNING gives no order: apply in the order received
     * (few rows: a simple insertion sort). */
    int *order = n ? calloc((size_t) n, sizeof *order) : NULL;
    for (int i = 0; i < n && order; i++)
        order[i] = i;
    for (int i = 1; i < n && order; i++)
        for (int j = i; j > 0 && sf_db_int(rows, order[j], 0) < sf_db_int(rows, order[j - 1], 0); j--) {
            int swap = order[j];
            order[j] = order[j - 1];
            order[j - 1] = swap;
        }
    for (int i = 0; ok && i < n; i++) {
        int row = order ? order[i] : i;
        size_t size = 0;
        unsigned char *bytes = PQunescapeBytea((const unsigned char *) sf_db_text(rows, row, 3), &size);
        Sifang__V1__CaseRegistrationOutcome *outcome = bytes
            ? sifang__v1__case_registration_outcome__unpack(NULL, size, bytes) : NULL;
        PQfreemem(bytes);
        if (!outcome) {
            sf_warn("registration inbox row does not decode; dropped", "source", sf_db_text(rows, row, 4));
            continue;
        }
        /* A row that cannot apply (a bug, a case gone) must not block the
         * ones after it: it rolls back alone and is dropped, logged. */
        size_t events = sf_call_events_mark(call);
        ok = sf_db_command(db, "SAVEPOINT registration_row");
        sf_call_clear_failure(call);
        sf_status_t status = ok ? apply_answer(call, sf_db_int(rows, row, 1), outcome, sf_db_bool(rows, row, 2))
                                : SF_UNAVAILABLE;
        if (status == SF_OK)
            ok = sf_db_command(db, "RELEASE SAVEPOINT registration_row");
        else if (status == SF_UNAVAILABLE || !sf_db_is_up(db))
            ok = false;
        else {
            sf_warn("registration inbox row not applied; dropped", "case", sf_db_text(rows, row, 1),
                    "status", sf_status_name(status), "reason", sf_call_message(call));
            ok = sf_db_command(db, "ROLLBACK TO SAVEPOINT registration_row")
              && sf_db_command(db, "RELEASE SAVEPOINT registration_row");
            sf_call_events_undo(call, events);
        }
        protobuf_c_message_free_unpacked(&outcome->base, NULL);
    }
    free(order);
    int64_t head = -1;
    if (ok && sf_call_commit(call, &head))
        return n;
    sf_db_rollback(db);
    return -1;
}
