/* A case's steps checked against SQL, for the step tests (intake_orders_test,
 * intake_ladder_test, intake_integrity_test): the case as intake's tables
 * have it, written independently of intake's own column lists; every field
 * of a step's reply and of its one event compared with it; a refusal with
 * its field and nothing written. */
#include "intake_test_steps.h"
#include "intake_test_orders.h"
#include "sf_ids.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHANNEL(name) SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_##name

static intake_world_t *world;
static int own_from, own_to;   /* the Case fields from 50 on a test compares as its own */

/* --- the case as SQL has it ------------------------------------------------ */

#define MS(expr) "coalesce((extract(epoch FROM " expr ") * 1000)::bigint, 0)"

/* Written here from intake's tables, independently of intake's own column
 * lists: the case row, its item's name, its duplicate's number and the
 * audit row of its latest step (seq = version), the provider's dispatch and
 * the follow-through's columns; the rules' fields are intake_orders_in_sql's. */
static const char case_sql[] =
    "SELECT c.id, coalesce(c.registration_number, ''), c.status, c.channel, c.item_code, coalesce(i.name, ''),"
    "       c.category, c.requester, c.unit_code, c.description,"
    "       coalesce(c.first_responder_id, ''), c.first_responder_name, c.assignee_kind,"
    "       coalesce(c.assignee_code, ''), c.assignee_name, c.assignee_route,"
    "       " MS("c.received_at") ", " MS("c.accepted_at") ", " MS("c.due_at") ", " MS("c.resolved_at") ","
    "       " MS("c.closed_at") ","
    "       c.overdue, c.escalation_level, c.escalated_to, coalesce(c.satisfaction, 0), c.resolution,"
    "       c.reject_reason, c.transferred_to, coalesce(c.duplicate_of, 0), coalesce(d.registration_number, ''),"
    "       coalesce(c.meeting_id, 0), c.dispatch_state, c.provider_kind, c.provider_id, c.provider_name,"
    "       c.volunteer_dispatch_id, c.dispatch_attempt, " MS("c.dispatch_requested_at") ","
    "       " MS("c.dispatch_answered_at") ", c.dispatch_note, c.dispatch_timed_out, c.version,"
    "       h.seq, h.action, h.from_status, h.to_status, h.actor_id, h.actor_name, " MS("h.at") ", h.note,"
    "       c.escalated_person_id, c.escalated_person_name,"
    "       c.rework_count, c.complaint_count, c.handoff_count, c.supervision_level, c.supervised_by, c.referred_to,"
    "       " MS("c.reminded_at") ", " MS("c.missed_at") ", " MS("c.followed_up_at") ", c.followed_up_in_time"
    "  FROM intake.intake_case c LEFT JOIN intake.service_item i ON i.code = c.item_code"
    "       LEFT JOIN intake.intake_case d ON d.id = c.duplicate_of"
    "       JOIN intake.case_history h ON h.case_id = c.id AND h.seq = c.version"
    " WHERE c.id = $1";

static PGresult *rows[512];
static size_t n_rows;

const char *
intake_col(PGresult *r, int *k)
{
    return PQgetvalue(r, 0, (*k)++);
}

int64_t
intake_num(PGresult *r, int *k)
{
    return strtoll(intake_col(r, k), NULL, 10);
}

bool
intake_yes(PGresult *r, int *k)
{
    return strcmp(intake_col(r, k), "t") == 0;
}

/* Memory of the messages built from SQL, freed at the end. */
static void *kept_memory[4096];
static size_t n_kept_memory;

void *
intake_steps_make(size_t size)
{
    void *memory = calloc(1, size);
    if (n_kept_memory < sizeof kept_memory / sizeof *kept_memory)
        kept_memory[n_kept_memory++] = memory;
    return memory;
}

/* The case from SQL, the requester in the clear (a station's reply) or as
 * events carry it (masked). NULL (a failure) when the row is not there. */
Sifang__V1__Case *
intake_case_in_sql(int64_t id, bool clear)
{
    char id_text[24];
    snprintf(id_text, sizeof id_text, "%lld", (long long) id);
    const char *values[1] = { id_text };
    PGresult *r = PQexecParams(world->db, case_sql, 1, NULL, values, NULL, NULL, 0);
    if (!SF_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)) {
        fprintf(stderr, "%s", PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    if (n_rows < sizeof rows / sizeof *rows)
        rows[n_rows++] = r;
    Sifang__V1__Case *c = intake_steps_make(sizeof *c);
    sifang__v1__case__init(c);
    int k = 0;
    c->id = intake_num(r, &k);
    c->registration_number = (char *) intake_col(r, &k);
    c->status = intake_num(r, &k);
    c->channel = intake_num(r, &k);
    c->item_code = (char *) intake_col(r, &k);
    c->item_name = (char *) intake_col(r, &k);
    c->category = intake_num(r, &k);
    size_t size = 0;
    unsigned char *bytes = PQunescapeBytea((const unsigned char *) intake_col(r, &k), &size);
    Sifang__V1__CaseRequester *stored = sifang__v1__case_requester__unpack(NULL, size, bytes);
    PQfreemem(bytes);
    if (!SF_CHECK(stored != NULL))
        return NULL;
    Sifang__V1__CaseRequester *requester = intake_steps_make(sizeof *requester);
    *requester = *stored;
    char *texts = intake_steps_make(512);
    snprintf(texts, 256, "%s", stored->phone);
    snprintf(texts + 256, 256, "%s", stored->name);
    requester->phone = texts;
    requester->name = texts + 256;
    requester->household_code = strcpy(intake_steps_make(strlen(stored->household_code) + 1), stored->household_code);
    requester->resident_id = strcpy(intake_steps_make(strlen(stored->resident_id) + 1), stored->resident_id);
    requester->enterprise_name = strcpy(intake_steps_make(strlen(stored->enterprise_name) + 1),
                                        stored->enterprise_name);
    requester->enterprise_credit_code = strcpy(intake_steps_make(strlen(stored->enterprise_credit_code) + 1),
                                               stored->enterprise_credit_code);
    sifang__v1__case_requester__free_unpacked(stored, NULL);
    if (!clear) {
        char mask[SF_MASK_SIZE];
        sf_phone_mask(requester->phone, mask, sizeof mask);
        snprintf(requester->phone, 256, "%s", mask);
        sf_name_mask(requester->name, mask, sizeof mask);
        snprintf(requester->name, 256, "%s", mask);
    }
    c->requester = requester;
    c->unit_code = (char *) intake_col(r, &k);
    size_t length = strlen(c->unit_code);
    c->community_code = intake_steps_make(16);
    c->street_code = intake_steps_make(16);
    if (length >= 12)
        snprintf(c->community_code, 16, "%.12s", c->unit_code);
    snprintf(c->street_code, 16, "%.9s", c->unit_code);
    c->description = (char *) intake_col(r, &k);
    c->first_responder_id = (char *) intake_col(r, &k);
    c->first_responder_name = (char *) intake_col(r, &k);
    Sifang__V1__CaseAssignee *assignee = intake_steps_make(sizeof *assignee);
    sifang__v1__case_assignee__init(assignee);
    assignee->kind = intake_num(r, &k);
    assignee->code = (char *) intake_col(r, &k);
    assignee->name = (char *) intake_col(r, &k);
    assignee->route = (char *) intake_col(r, &k);
    c->assignee = assignee->kind ? assignee : NULL;
    c->received_unix_ms = intake_num(r, &k);
    c->accepted_unix_ms = intake_num(r, &k);
    c->due_unix_ms = intake_num(r, &k);
    c->resolved_unix_ms = intake_num(r, &k);
    c->closed_unix_ms = intake_num(r, &k);
    c->overdue = intake_yes(r, &k);
    c->escalation_level = intake_num(r, &k);
    c->escalated_to = (char *) intake_col(r, &k);
    c->satisfaction = intake_num(r, &k);
    c->resolution = (char *) intake_col(r, &k);
    c->reject_reason = (char *) intake_col(r, &k);
    c->transferred_to = (char *) intake_col(r, &k);
    c->duplicate_of = intake_num(r, &k);
    c->duplicate_of_registration = (char *) intake_col(r, &k);
    c->meeting_id = intake_num(r, &k);
    Sifang__V1__CaseDispatch *dispatch = intake_steps_make(sizeof *dispatch);
    sifang__v1__case_dispatch__init(dispatch);
    dispatch->state = intake_num(r, &k);
    dispatch->provider_kind = intake_num(r, &k);
    dispatch->provider_id = (char *) intake_col(r, &k);
    dispatch->provider_name = (char *) intake_col(r, &k);
    dispatch->volunteer_dispatch_id = (char *) intake_col(r, &k);
    dispatch->attempt = intake_num(r, &k);
    dispatch->requested_unix_ms = intake_num(r, &k);
    dispatch->answered_unix_ms = intake_num(r, &k);
    dispatch->note = (char *) intake_col(r, &k);
    dispatch->timed_out = intake_yes(r, &k);
    c->dispatch = dispatch->state ? dispatch : NULL;
    c->version = intake_num(r, &k);
    Sifang__V1__CaseTransition *transition = intake_steps_make(sizeof *transition);
    sifang__v1__case_transition__init(transition);
    transition->seq = intake_num(r, &k);
    transition->action = intake_num(r, &k);
    transition->from_status = intake_num(r, &k);
    transition->to_status = intake_num(r, &k);
    transition->actor_id = (char *) intake_col(r, &k);
    transition->actor_name = (char *) intake_col(r, &k);
    transition->at_unix_ms = intake_num(r, &k);
    transition->note = (char *) intake_col(r, &k);
    c->last_transition = transition;
    c->escalated_to_person_id = (char *) intake_col(r, &k);
    c->escalated_to_person_name = (char *) intake_col(r, &k);
    c->rework_count = intake_num(r, &k);
    c->complaint_count = intake_num(r, &k);
    c->handoff_count = intake_num(r, &k);
    c->supervision_level = intake_num(r, &k);
    c->supervised_by = (char *) intake_col(r, &k);
    c->referred_to = (char *) intake_col(r, &k);
    c->reminded_unix_ms = intake_num(r, &k);
    c->missed_unix_ms = intake_num(r, &k);
    c->followed_up_unix_ms = intake_num(r, &k);
    c->followed_up_in_time = intake_yes(r, &k);
    c->updated_unix_ms = transition->at_unix_ms;
    int64_t finished = c->resolved_unix_ms ? c->resolved_unix_ms : c->closed_unix_ms;
    c->resolved_in_time = finished && c->due_unix_ms && finished <= c->due_unix_ms;
    if (!SF_CHECK(intake_orders_in_sql(world->db, id, c)))
        return NULL;
    return c;
}

/* --- comparing every field ------------------------------------------------- */

/* Case fields from 50 on are other features' (their own tests compare
 * them with SQL); a test compares 1..49 and the range it names as its own
 * (intake_steps_begin). */
#define OTHERS_FIELDS_FROM 50

int
intake_case_compare(const char *what, const char *path, const ProtobufCMessage *got, const ProtobufCMessage *want)
{
    if (!got || !want) {
        if (got == want)
            return 0;
        SF_FAIL("%s: %s is %s, SQL says %s", what, path, got ? "set" : "absent", want ? "set" : "absent");
        return 1;
    }
    const ProtobufCMessageDescriptor *d = want->descriptor;
    int differences = 0;
    for (unsigned f = 0; f < d->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &d->fields[f];
        if (d == &sifang__v1__case__descriptor && field->id >= OTHERS_FIELDS_FROM
            && ((int) field->id < own_from || (int) field->id > own_to))
            continue;
        char name[160];
        snprintf(name, sizeof name, "%s%s%s", path, *path ? "." : "", field->name);
        const char *a = (const char *) got + field->offset, *b = (const char *) want + field->offset;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {   /* their counts (a Notice's list of words) */
            size_t n_a = *(const size_t *) ((const char *) got + field->quantifier_offset);
            size_t n_b = *(const size_t *) ((const char *) want + field->quantifier_offset);
            if (n_a != n_b) {
                SF_FAIL("%s: %s has %zu, SQL says %zu", what, name, n_a, n_b);
                differences++;
            }
            continue;
        }
        switch (field->type) {
        case PROTOBUF_C_TYPE_MESSAGE:
            differences += intake_case_compare(what, name, *(ProtobufCMessage *const *) a,
                                               *(ProtobufCMessage *const *) b);
            break;
        case PROTOBUF_C_TYPE_STRING:
            if (strcmp(*(char *const *) a, *(char *const *) b) != 0) {
                SF_FAIL("%s: %s is \"%s\", SQL says \"%s\"", what, name, *(char *const *) a, *(char *const *) b);
                differences++;
            }
            break;
        case PROTOBUF_C_TYPE_INT64:
            if (*(const int64_t *) a != *(const int64_t *) b) {
                SF_FAIL("%s: %s is %lld, SQL says %lld", what, name, (long long) *(const int64_t *) a,
                        (long long) *(const int64_t *) b);
                differences++;
            }
            break;
        case PROTOBUF_C_TYPE_BOOL:
            if (*(const protobuf_c_boolean *) a != *(const protobuf_c_boolean *) b) {
                SF_FAIL("%s: %s is %d, SQL says %d", what, name, *(const protobuf_c_boolean *) a,
                        *(const protobuf_c_boolean *) b);
                differences++;
            }
            break;
        case PROTOBUF_C_TYPE_DOUBLE:
            if (*(const double *) a != *(const double *) b) {
                SF_FAIL("%s: %s is %g, SQL says %g", what, name, *(const double *) a, *(const double *) b);
                differences++;
            }
            break;
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_ENUM:
            if (*(const int32_t *) a != *(const int32_t *) b) {
                SF_FAIL("%s: %s is %d, SQL says %d", what, name, *(const int32_t *) a, *(const int32_t *) b);
                differences++;
            }
            break;
        default:
            SF_FAIL("%s: %s: a field type this test does not compare", what, name);
            differences++;
        }
    }
    return differences;
}

/* The case.* events of the case after head, in order (kept). */
size_t
intake_case_events_after(int64_t head, int64_t id, Sifang__V1__Case **events, char types[][48], size_t max)
{
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = head;
    fetch.limit = 1000;
    Sifang__V1__EventsFetchReply *reply = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(world->admin, "Sys.EventsFetch", NULL, &fetch.base,
                                     &sifang__v1__events_fetch_reply__descriptor, &reply, NULL), SF_OK))
        return 0;
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long) id);
    size_t n = 0;
    for (size_t i = 0; reply && i < reply->n_events && n < max; i++) {
        const Sifang__V1__Event *event = reply->events[i];
        if (strcmp(event->key, key) != 0 || strncmp(event->type, "case.", 5) != 0)
            continue;
        events[n] = intake_keep((ProtobufCMessage *) sifang__v1__case__unpack(NULL, event->payload.len,
                                                                              event->payload.data));
        snprintf(types[n], 48, "%s", event->type);
        n++;
    }
    return n;
}

/* The reply (phones in the clear) and the step's one event (masked) against
 * SQL, every field. */
void
intake_case_check_step(const char *what, int64_t head, const Sifang__V1__Case *reply, int64_t id,
                       const char *event_type)
{
    if (reply) {
        Sifang__V1__Case *want = intake_case_in_sql(id, true);
        if (want)
            intake_case_compare(what, "reply", &reply->base, &want->base);
    }
    Sifang__V1__Case *events[8];
    char types[8][48];
    size_t n = intake_case_events_after(head, id, events, types, 8);
    if (!SF_CHECK_EQ_INT((int) n, 1)) {
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "%s: event %s\n", what, types[i]);
        return;
    }
    Sifang__V1__Case *want = intake_case_in_sql(id, false);
    if (events[0] && want) {
        char name[96];
        snprintf(name, sizeof name, "%s event", what);
        intake_case_compare(name, "event", &events[0]->base, &want->base);
        SF_CHECK_EQ_STR(types[0], event_type);
    }
}

/* Calls a step method as client; returns the reply (kept) and checks it
 * and its event against SQL. */
Sifang__V1__Case *
intake_case_step(sf_client_t *client, const char *method, const ProtobufCMessage *request, int64_t id,
                 const char *event_type)
{
    int64_t head = sf_test_event_head(world->admin);
    Sifang__V1__Case *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = intake_call(client, method, NULL, request, &sifang__v1__case__descriptor, &reply, &info);
    if (!SF_CHECK_EQ_INT(status, SF_OK)) {
        fprintf(stderr, "%s: %s\n", method, info.message ? info.message : "");
        return NULL;
    }
    intake_case_check_step(method, head, reply, id, event_type);
    return reply;
}

/* What a step can write, as one number: cases, audit rows, events, notices
 * and notices read. */
static long long
written(void)
{
    return intake_count(world, "SELECT (SELECT count(*) FROM intake.intake_case) * 1000000"
                               " + (SELECT count(*) FROM intake.case_history) * 1000"
                               " + (SELECT count(*) FROM intake.event_log) + (SELECT count(*) FROM intake.notice)"
                               " + (SELECT count(*) FROM intake.notice WHERE read_at IS NOT NULL)");
}

/* A refusal: its status and field (and words in its message), and nothing
 * written. */
void
intake_refused(sf_client_t *client, const char *method, const ProtobufCMessage *request,
               const ProtobufCMessageDescriptor *reply, sf_status_t want_status, const char *field, const char *words,
               int line)
{
    long long before = written();
    sf_reply_info_t info;
    sf_status_t status = intake_call(client, method, NULL, request, reply, NULL, &info);
    if (!SF_CHECK_EQ_INT(status, want_status) || (field && !SF_CHECK(intake_has_violation(&info, field)))
        || (words && !SF_CHECK(info.message && strstr(info.message, words))))
        fprintf(stderr, "line %d: %s: %s %s (violation on %s)\n", line, method, sf_status_name(status),
                info.message ? info.message : "", info.n_violations ? info.violation_fields[0] : "none");
    if (!SF_CHECK_EQ_INT(written(), before))
        fprintf(stderr, "line %d: %s was refused but wrote something\n", line, method);
}

Sifang__V1__CaseRef *
intake_ref_of(int64_t id)
{
    static Sifang__V1__CaseRef refs[128];
    static int next;
    Sifang__V1__CaseRef *ref = &refs[next++ % 128];
    sifang__v1__case_ref__init(ref);
    ref->id = id;
    return ref;
}

void
intake_sql(const char *format, long long id)
{
    char text[400];
    snprintf(text, sizeof text, format, id);
    SF_CHECK_EQ_INT(sf_test_pg_exec(world->db, text), 0);
}

long long
intake_sql_count(const char *format, long long id)
{
    char text[400];
    snprintf(text, sizeof text, format, id);
    return intake_count(world, text);
}

void
intake_sweep_now(void)
{
    Sifang__V1__CaseSweepRequest request = SIFANG__V1__CASE_SWEEP_REQUEST__INIT;
    SF_CHECK_EQ_INT(intake_call(world->admin, "CaseSweep", NULL, &request.base,
                                &sifang__v1__case_sweep_reply__descriptor, NULL, NULL), SF_OK);
}

/* A station's registration of a type, routed at once to the zone's
 * committee member S00001. */
Sifang__V1__Case *
intake_register_case(const char *household, const char *item, Sifang__V1__CaseType type, const char *description)
{
    Sifang__V1__CaseSubmitRequest *request = intake_resident_request(household, item, CHANNEL(HOTLINE), description);
    request->case_type = type;
    int64_t head = sf_test_event_head(world->admin);
    Sifang__V1__Case *c = SUBMIT_OK(world->station, request);
    if (c)
        intake_case_check_step("CaseSubmit", head, c, c->id, "case.accepted");
    return c;
}

void
intake_steps_begin(intake_world_t *the_world, int first_own_field, int last_own_field)
{
    world = the_world;
    own_from = first_own_field;
    own_to = last_own_field;
}

PGresult *
intake_steps_keep_result(PGresult *r)
{
    if (n_rows < sizeof rows / sizeof *rows)
        rows[n_rows++] = r;
    return r;
}

void
intake_steps_end(void)
{
    for (size_t i = 0; i < n_rows; i++)
        PQclear(rows[i]);
    n_rows = 0;
    for (size_t i = 0; i < n_kept_memory; i++)
        free(kept_memory[i]);
    n_kept_memory = 0;
}
