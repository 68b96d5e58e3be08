/* Hand-off between intake instances through the real daemons: the district's
 * intake ("intake", owning the district 370205 by place) and the civil
 * affairs bureau's (intake@civil-affairs, a schema of its own, owning the
 * departments civil-affairs and disabled-persons), each listing the other
 * in SIFANG_INTAKE_HANDOFF_PEERS with the other's list in
 * SIFANG_HANDOFF_<INSTANCE>_OWNS.
 *
 *   - one case each way, every field of the replies and events against the
 *     rows in SQL: the sender's case TRANSFERRED with its hand-off SENDING,
 *     then LINKED to the receiver's case; the receiver's case ACCEPTED with
 *     the sender's steps as its first ones, its requester as given; the
 *     target chosen by the rule (Case.handoff_target) when none is named;
 *   - the rule's refusals (a target the rule does not name, a case the rule
 *     gives this instance, a community's matter of a department's item),
 *     Chinese first, and the others (an instance not listed, a case handed
 *     twice, a closed case, HandoffReceive from a key that is no service,
 *     or naming a sender not listed or another receiver);
 *   - a hand-off refused by the receiver (an item it does not offer) comes
 *     back to the district's desk (HANDOFF_REFUSED: its status before, who
 *     must act, a notice HANDOFF_RETURNED to them), every field against
 *     SQL, and is handed again as attempt 2; hand-offs cancelled while the
 *     receiver is down (one tried, one never tried) come back once it is up
 *     (HANDOFF_CANCEL_ASKED, then HANDOFF_CANCELLED), the receiver holding
 *     a promise for the tried one and no case for either; a cancel repeated
 *     with its request id is answered the same, with another refused;
 *     HandoffWithdraw answered with the case a receiver holds, or withdrawn
 *     for good (HandoffReceive then refuses that attempt);
 *   - exactly once under kills, both ways: cases handed in bursts, every
 *     third cancelled at once, while the receiving daemon, then the sending
 *     one, is killed (SIGKILL) at a random moment and started again;
 *     afterwards every hand-off is either linked, with exactly one case at
 *     the receiver (case_handoff_in) and the sender's steps intact, or
 *     cancelled, with none there (and its promise if it was ever tried),
 *     never both, nothing left in flight;
 *   - the district's evaluation, following both instances, counts each
 *     resident's request received once (the sender's case), not again
 *     where it was handed. */
#include "intake_test_support.h"
#include "intake_test_steps.h"
#include "sf_client.h"
#include "sf_test.h"
#include "sifang/v1/evaluation.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <libpq-fe.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CIVIL "intake@civil-affairs"
#define BURST 10
#define ROUNDS 2
#define BUREAU_OWNS "civil-affairs,disabled-persons"
#define MS(x) "(extract(epoch FROM " x ") * 1000)::bigint"

static intake_world_t world;
static char civil_dir[300];
static char *civil_endpoint, *civil_publish;
static sf_test_daemon_t *civil;
static sf_client_t *civil_admin;     /* the bureau's desk, as admin */

static void
pause_ms(int ms)
{
    struct timespec delay = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep(&delay, NULL);
}

static bool
start_civil(void)
{
    char env_store[8][300];
    snprintf(env_store[0], sizeof env_store[0], "SIFANG_INTAKE_ENDPOINT=%s", civil_endpoint);
    snprintf(env_store[1], sizeof env_store[1], "SIFANG_INTAKE_PUBLISH=%s", civil_publish);
    snprintf(env_store[2], sizeof env_store[2], "SIFANG_GRID_ENDPOINT=%s", world.grid_endpoint);
    snprintf(env_store[3], sizeof env_store[3], "SIFANG_GRID_PUBLISH=%s", world.grid_publish);
    snprintf(env_store[4], sizeof env_store[4], "SIFANG_HANDOFF_INTAKE_ENDPOINT=%s", world.intake_endpoint);
    const char *env[] = { env_store[0], env_store[1], env_store[2], env_store[3], env_store[4],
                          "SIFANG_INSTANCE=" CIVIL, "SIFANG_INTAKE_SCHEMA=intake_civil",
                          "SIFANG_INTAKE_DATABASE_URL=user=sifang_intake", "SIFANG_INTAKE_REGISTRATION_PREFIX=MZ",
                          "SIFANG_INTAKE_HANDOFF_PEERS=intake", "SIFANG_INTAKE_OWNS=" BUREAU_OWNS,
                          "SIFANG_HANDOFF_INTAKE_OWNS=" T_DISTRICT, "SIFANG_INTAKE_VOLUNTEER=false",
                          "SIFANG_INTAKE_EMPLOYMENT=false", "SIFANG_INTAKE_GRID_POLL_MS=200", NULL };
    civil = sf_test_service_start("intake", civil_dir, env, 20000);
    return civil != NULL && sf_test_wait_database(civil_admin, 20000);
}

static long long
sql_int(const char *format, ...) __attribute__((format(printf, 1, 2)));

static long long
sql_int(const char *format, ...)
{
    char sql[2048];
    va_list args;
    va_start(args, format);
    vsnprintf(sql, sizeof sql, format, args);
    va_end(args);
    return sf_test_pg_int(world.db, sql);
}

/* Waits until sql (an integer) reaches want; the last value. */
static long long
wait_int(long long want, int timeout_ms, const char *sql)
{
    long long value = -1;
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        value = sf_test_pg_int(world.db, sql);
        if (value >= want)
            break;
        pause_ms(50);
    }
    return value;
}

static Sifang__V1__Case *
submit_item(sf_client_t *client, const char *household, const char *item, const char *description)
{
    Sifang__V1__CaseSubmitRequest *request = intake_resident_request(household, item,
                                                                     SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW,
                                                                     description);
    return intake_submit_ok(client, request, NULL, __LINE__);
}

static Sifang__V1__Case *
submit_at(sf_client_t *client, const char *household, const char *description)
{
    return submit_item(client, household, "dispute-mediation", description);
}

/* Whether the refusal's words, or its field's, begin in Chinese (a byte
 * past ASCII). */
static bool
chinese_first(const sf_reply_info_t *info, const char *field)
{
    for (size_t i = 0; i < info->n_violations; i++)
        if (strcmp(info->violation_fields[i], field) == 0)
            return (unsigned char) info->violation_descriptions[i][0] >= 0x80;
    return info->message && (unsigned char) info->message[0] >= 0x80;
}

static Sifang__V1__Case *
hand_as(sf_client_t *client, int64_t case_id, const char *to, const char *reason, sf_status_t want, const char *field,
        const char *words)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = case_id;
    Sifang__V1__HandoffCaseRequest request = SIFANG__V1__HANDOFF_CASE_REQUEST__INIT;
    request.ref = &ref;
    request.to_instance = (char *) to;
    request.reason = (char *) reason;
    Sifang__V1__Case *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = intake_call(client, "HandoffCase", NULL, &request.base, &sifang__v1__case__descriptor,
                                     &reply, &info);
    SF_CHECK_EQ_INT(status, want);
    if (field && !intake_has_violation(&info, field))
        SF_FAIL("HandoffCase refused without naming %s: %s", field, info.message ? info.message : "");
    if (words) {
        bool said = (info.message && strstr(info.message, words));
        for (size_t i = 0; i < info.n_violations; i++)
            said = said || strstr(info.violation_descriptions[i], words);
        if (!SF_CHECK(said && chinese_first(&info, field ? field : "")))
            fprintf(stderr, "HandoffCase: wanted \"%s\" first in Chinese: %s\n", words, info.message ? info.message : "");
    }
    return status == SF_OK ? reply : NULL;
}

static Sifang__V1__Case *
hand(sf_client_t *client, int64_t case_id, const char *to, const char *reason, sf_status_t want, const char *field)
{
    return hand_as(client, case_id, to, reason, want, field, NULL);
}

static Sifang__V1__Case *
cancel(sf_client_t *client, int64_t case_id, const char *reason, const char *request_id, sf_status_t want,
       const char *field, sf_reply_info_t *info)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = case_id;
    Sifang__V1__HandoffCancelRequest request = SIFANG__V1__HANDOFF_CANCEL_REQUEST__INIT;
    request.ref = &ref;
    request.reason = (char *) reason;
    Sifang__V1__Case *reply = NULL;
    sf_status_t status = intake_call(client, "HandoffCancel", request_id, &request.base,
                                     &sifang__v1__case__descriptor, &reply, info);
    SF_CHECK_EQ_INT(status, want);
    if (field && !SF_CHECK(intake_has_violation(info, field)))
        fprintf(stderr, "HandoffCancel: %s\n", info->message ? info->message : "");
    if (status == SF_FAILED_PRECONDITION && !SF_CHECK(chinese_first(info, field ? field : "")))
        fprintf(stderr, "HandoffCancel refused not in Chinese first: %s\n", info->message ? info->message : "");
    return status == SF_OK ? reply : NULL;
}

/* An item offered or not at the instance client talks to (ItemPut). */
static void
item_active(sf_client_t *client, const char *code, bool active)
{
    Sifang__V1__CodeRequest get = SIFANG__V1__CODE_REQUEST__INIT;
    get.code = (char *) code;
    Sifang__V1__ServiceItem *item = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(intake_call(client, "ItemGet", NULL, &get.base, &sifang__v1__service_item__descriptor,
                                     &item, &info), SF_OK))
        return;
    item->active = active;
    item->expected_version = item->version;
    Sifang__V1__ServiceItem *put = NULL;
    SF_CHECK_EQ_INT(intake_call(client, "ItemPut", NULL, &item->base, &sifang__v1__service_item__descriptor, &put,
                                &info), SF_OK);
}

/* The event the step emitted: the last case.* event of the case after head
 * at the client's daemon. */
static Sifang__V1__Case *
event_case(sf_client_t *client, int64_t after, int64_t case_id, const char *type)
{
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = after;
    fetch.limit = 1000;
    Sifang__V1__EventsFetchReply *events = NULL;
    sf_reply_info_t info;
    if (intake_call(client, "Sys.EventsFetch", NULL, &fetch.base, &sifang__v1__events_fetch_reply__descriptor,
                    &events, &info) != SF_OK)
        return NULL;
    Sifang__V1__Case *found = NULL;
    for (size_t i = 0; i < events->n_events; i++) {
        if (strcmp(events->events[i]->type, type) != 0)
            continue;
        Sifang__V1__Case *c = sifang__v1__case__unpack(NULL, events->events[i]->payload.len,
                                                       events->events[i]->payload.data);
        if (c && c->id == case_id)
            found = intake_keep(&c->base);
        else if (c)
            protobuf_c_message_free_unpacked(&c->base, NULL);
    }
    return found;
}

/* Every field of a case's hand-off against its rows in schema: the
 * sender's (case_handoff_out) and the receiver's (case_handoff_in). */
static void
check_handoff(const Sifang__V1__CaseHandoff *h, const char *schema, int64_t case_id)
{
    char sql[2048];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(o.state, 3), coalesce(o.to_instance, ''), coalesce(o.to_case_id, 0),"
             "       coalesce(o.to_registration, ''), coalesce(n.from_instance, ''), coalesce(n.from_case_id, 0),"
             "       coalesce(n.from_registration, ''), coalesce(o.reason, n.reason),"
             "       " MS("coalesce(o.sent_at, n.sent_at)") ", coalesce(" MS("coalesce(o.linked_at, n.received_at)") ", 0),"
             "       coalesce(o.attempt, n.attempt), coalesce(o.refusal, ''), coalesce(" MS("o.refused_at") ", 0),"
             "       coalesce(o.cancel_reason, ''), coalesce(o.cancelled_by, ''),"
             "       coalesce(" MS("o.cancel_asked_at") ", 0), coalesce(" MS("o.returned_at") ", 0)"
             "  FROM (SELECT %lld::bigint AS id) k LEFT JOIN %s.case_handoff_out o ON o.case_id = k.id"
             "  LEFT JOIN %s.case_handoff_in n ON n.case_id = k.id WHERE o.case_id IS NOT NULL OR n.case_id IS NOT NULL",
             (long long) case_id, schema, schema);
    PGresult *r = PQexec(world.db, sql);
    bool row = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (!SF_CHECK(row == (h != NULL)) || !row) {
        PQclear(r);
        return;
    }
#define NUM(i) strtoll(PQgetvalue(r, 0, i), NULL, 10)
#define TEXT(i) PQgetvalue(r, 0, i)
    SF_CHECK_EQ_INT(h->state, NUM(0));
    SF_CHECK_EQ_STR(h->to_instance, TEXT(1));
    SF_CHECK_EQ_INT(h->to_case_id, NUM(2));
    SF_CHECK_EQ_STR(h->to_registration, TEXT(3));
    SF_CHECK_EQ_STR(h->from_instance, TEXT(4));
    SF_CHECK_EQ_INT(h->from_case_id, NUM(5));
    SF_CHECK_EQ_STR(h->from_registration, TEXT(6));
    SF_CHECK_EQ_STR(h->reason, TEXT(7));
    SF_CHECK_EQ_INT(h->sent_unix_ms, NUM(8));
    SF_CHECK_EQ_INT(h->linked_unix_ms, NUM(9));
    SF_CHECK_EQ_INT(h->attempt, NUM(10));
    SF_CHECK_EQ_STR(h->refusal, TEXT(11));
    SF_CHECK_EQ_INT(h->refused_unix_ms, NUM(12));
    SF_CHECK_EQ_STR(h->cancel_reason, TEXT(13));
    SF_CHECK_EQ_STR(h->cancelled_by, TEXT(14));
    SF_CHECK_EQ_INT(h->cancel_unix_ms, NUM(15));
    SF_CHECK_EQ_INT(h->returned_unix_ms, NUM(16));
#undef NUM
#undef TEXT
    PQclear(r);
}

/* A district case's reply or event against SQL, every field: the step
 * helpers' reading of intake's tables (fields 1..59), its hand-off's rows
 * and the rule's target (the bureau for a civil-affairs item). */
static void
check_district_case(const char *what, const Sifang__V1__Case *got, bool clear)
{
    if (!SF_CHECK(got != NULL))
        return;
    Sifang__V1__Case *want = intake_case_in_sql(got->id, clear);
    if (want) {
        /* A read (CaseGet) carries no step; a step's reply and event do. */
        Sifang__V1__Case read = *want;
        if (!got->last_transition)
            read.last_transition = NULL;
        intake_case_compare(what, "", &got->base, &read.base);
    }
    check_handoff(got->handoff, "intake", got->id);
    bool open = got->status >= SIFANG__V1__CASE_STATUS__CASE_STATUS_RECEIVED
             && got->status <= SIFANG__V1__CASE_STATUS__CASE_STATUS_IN_PROGRESS;
    long long bureau_item = sql_int("SELECT count(*) FROM intake.intake_case c JOIN intake.service_item i"
                                    " ON i.code = c.item_code WHERE c.id = %lld AND i.routing = 1"
                                    " AND i.department_code IN ('civil-affairs', 'disabled-persons')",
                                    (long long) got->id);
    SF_CHECK_EQ_STR(got->handoff_target, open && bureau_item ? CIVIL : "");
}

/* The last case.* event of a district case after head, against SQL. */
static void
check_district_event(const char *type, int64_t head, int64_t case_id)
{
    Sifang__V1__Case *event = event_case(world.admin, head, case_id, type);
    if (!SF_CHECK(event != NULL)) {
        fprintf(stderr, "no %s event for case %lld\n", type, (long long) case_id);
        return;
    }
    check_district_case(type, event, false);
}

/* The receiver's steps begin with the sender's, field by field (times to
 * the millisecond, as they travel): the steps of either case that the other
 * lacks or has otherwise, leaving out the sender's link and the receipt. */
static long long
history_differences(const char *from_schema, int64_t from_id, const char *to_schema, int64_t to_id)
{
    return sql_int("SELECT count(*) FROM"
                   " (SELECT seq, action, from_status, to_status, actor_id, actor_name,"
                   "         (extract(epoch FROM at) * 1000)::bigint AS at_ms, note"
                   "    FROM %s.case_history WHERE case_id = %lld AND action <> 57) s"
                   " FULL JOIN"
                   " (SELECT seq, action, from_status, to_status, actor_id, actor_name,"
                   "         (extract(epoch FROM at) * 1000)::bigint AS at_ms, note"
                   "    FROM %s.case_history WHERE case_id = %lld AND action <> 56) r USING (seq)"
                   " WHERE s.action IS NULL OR r.action IS NULL"
                   "    OR (s.action, s.from_status, s.to_status, s.actor_id, s.actor_name, s.at_ms, s.note)"
                   "       IS DISTINCT FROM (r.action, r.from_status, r.to_status, r.actor_id, r.actor_name,"
                   "                         r.at_ms, r.note)",
                   from_schema, (long long) from_id, to_schema, (long long) to_id);
}

/* One case from the bureau to the district, every field checked. */
static void
one_each_way(void)
{
    Sifang__V1__Case *source = submit_at(civil_admin, T_HOUSEHOLD, "低保申请，户籍在杭州路社区，应由社区受理");
    if (!SF_CHECK(source != NULL))
        return;
    /* A community's matter at the bureau: the rule names the district. */
    SF_CHECK_EQ_STR(source->handoff_target, "intake");
    int64_t head = sf_test_event_head(civil_admin);
    Sifang__V1__Case *sent = hand(civil_admin, source->id, "", "属社区事项，转社区办理", SF_OK, NULL);
    if (!SF_CHECK(sent != NULL))
        return;
    SF_CHECK_EQ_INT(sent->status, SIFANG__V1__CASE_STATUS__CASE_STATUS_TRANSFERRED);
    SF_CHECK_EQ_STR(sent->transferred_to, "intake");
    SF_CHECK_EQ_INT(sent->last_transition->action, SIFANG__V1__CASE_ACTION__CASE_ACTION_HANDOFF_SENT);
    SF_CHECK_EQ_INT(sent->handoff->state, SIFANG__V1__HANDOFF_STATE__HANDOFF_STATE_SENDING);
    SF_CHECK_EQ_STR(sent->handoff->to_instance, "intake");
    SF_CHECK_EQ_STR(sent->handoff->reason, "属社区事项，转社区办理");
    check_handoff(sent->handoff, "intake_civil", source->id);
    Sifang__V1__Case *event = event_case(civil_admin, head, source->id, "case.handoff_sent");
    if (SF_CHECK(event != NULL)) {
        SF_CHECK_EQ_INT(event->version, sent->version);
        SF_CHECK_EQ_INT(event->status, sent->status);
        SF_CHECK_EQ_STR(event->handoff->to_instance, "intake");
        SF_CHECK_EQ_INT(event->handoff->sent_unix_ms, sent->handoff->sent_unix_ms);
        /* Events mask the requester. */
        SF_CHECK(strcmp(event->requester->phone, sent->requester->phone) != 0 || !*sent->requester->phone);
    }
    /* The district's case, and the link back. */
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.case_handoff_in WHERE from_instance = '" CIVIL "'"
                              " AND from_case_id = %lld", (long long) source->id);
    SF_CHECK_EQ_INT(wait_int(1, 10000, sql), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake_civil.case_handoff_out WHERE case_id = %lld AND state = 2",
             (long long) source->id);
    SF_CHECK_EQ_INT(wait_int(1, 10000, sql), 1);
    int64_t target_id = sql_int("SELECT case_id FROM intake.case_handoff_in WHERE from_instance = '" CIVIL "'"
                                " AND from_case_id = %lld", (long long) source->id);
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = target_id;
    Sifang__V1__CaseHistoryReply *history = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(intake_call(world.admin, "CaseHistory", NULL, &ref.base,
                                     &sifang__v1__case_history_reply__descriptor, &history, &info), SF_OK))
        return;
    const Sifang__V1__Case *target = history->current;
    SF_CHECK_EQ_INT(target->status, SIFANG__V1__CASE_STATUS__CASE_STATUS_ACCEPTED);
    SF_CHECK_EQ_STR(target->item_code, source->item_code);
    SF_CHECK_EQ_STR(target->unit_code, source->unit_code);
    SF_CHECK_EQ_STR(target->description, source->description);
    SF_CHECK_EQ_INT(target->received_unix_ms, source->received_unix_ms);
    SF_CHECK_EQ_INT(target->due_unix_ms, source->due_unix_ms);
    SF_CHECK_EQ_STR(target->requester->name, source->requester->name);
    SF_CHECK_EQ_STR(target->requester->household_code, source->requester->household_code);
    SF_CHECK(strncmp(target->registration_number, "SF", 2) == 0);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake.intake_case t, intake_civil.intake_case s"
                            " WHERE t.id = %lld AND s.id = %lld AND t.requester = s.requester"
                            "   AND t.household_code = s.household_code AND t.category = s.category"
                            "   AND t.channel = s.channel AND t.registration_number LIKE 'SF%%'",
                            (long long) target_id, (long long) source->id), 1);
    SF_CHECK_EQ_STR(target->handoff->from_instance, CIVIL);
    SF_CHECK_EQ_INT(target->handoff->from_case_id, source->id);
    SF_CHECK_EQ_STR(target->handoff->from_registration, source->registration_number);
    SF_CHECK_EQ_STR(target->handoff->reason, "属社区事项，转社区办理");
    check_handoff(target->handoff, "intake", target_id);
    /* Its steps: the sender's (ending with HANDOFF_SENT), then RECEIVED. */
    if (SF_CHECK_EQ_INT(history->n_transitions, sent->version + 1)) {
        const Sifang__V1__CaseTransition *last = history->transitions[history->n_transitions - 1];
        SF_CHECK_EQ_INT(last->action, SIFANG__V1__CASE_ACTION__CASE_ACTION_HANDOFF_RECEIVED);
        SF_CHECK_EQ_INT(last->from_status, SIFANG__V1__CASE_STATUS__CASE_STATUS_TRANSFERRED);
        SF_CHECK_EQ_INT(last->to_status, SIFANG__V1__CASE_STATUS__CASE_STATUS_ACCEPTED);
        SF_CHECK_EQ_STR(last->actor_id, CIVIL);
        SF_CHECK_EQ_INT(history->transitions[sent->version - 1]->action,
                        SIFANG__V1__CASE_ACTION__CASE_ACTION_HANDOFF_SENT);
    }
    SF_CHECK_EQ_INT(history_differences("intake_civil", source->id, "intake", target_id), 0);
    /* The sender's case links it. */
    ref.id = source->id;
    Sifang__V1__Case *linked = NULL;
    if (SF_CHECK_EQ_INT(intake_call(civil_admin, "CaseGet", NULL, &ref.base, &sifang__v1__case__descriptor,
                                    &linked, &info), SF_OK)) {
        SF_CHECK_EQ_INT(linked->handoff->state, SIFANG__V1__HANDOFF_STATE__HANDOFF_STATE_LINKED);
        SF_CHECK_EQ_INT(linked->handoff->to_case_id, target_id);
        SF_CHECK_EQ_STR(linked->handoff->to_registration, target->registration_number);
        SF_CHECK_EQ_INT(linked->version, sent->version + 1);
        SF_CHECK_EQ_INT(linked->status, SIFANG__V1__CASE_STATUS__CASE_STATUS_TRANSFERRED);
        check_handoff(linked->handoff, "intake_civil", source->id);
        Sifang__V1__Case *link_event = event_case(civil_admin, head, source->id, "case.handoff_linked");
        if (SF_CHECK(link_event != NULL)) {
            SF_CHECK_EQ_INT(link_event->handoff->to_case_id, target_id);
            SF_CHECK_EQ_STR(link_event->last_transition->actor_id, "intake");
        }
    }
    /* Handed already; not an open case any more either way. */
    hand(civil_admin, source->id, "intake", "again", SF_FAILED_PRECONDITION, "ref");

    /* The reverse: the district hands a department's matter to the bureau,
     * naming it as the rule does. */
    Sifang__V1__Case *back = submit_item(world.station, T_HOUSEHOLD_2, "temporary-assistance",
                                         "申请临时救助，属民政局直接办理");
    if (!SF_CHECK(back != NULL))
        return;
    check_district_case("the district's registration", back, true);
    SF_CHECK_EQ_STR(back->handoff_target, CIVIL);
    hand(world.station, back->id, CIVIL, "民政局职责", SF_OK, NULL);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.case_handoff_out WHERE case_id = %lld AND state = 2",
             (long long) back->id);
    SF_CHECK_EQ_INT(wait_int(1, 10000, sql), 1);
    ref.id = back->id;
    Sifang__V1__Case *back_linked = NULL;
    if (SF_CHECK_EQ_INT(intake_call(world.station, "CaseGet", NULL, &ref.base, &sifang__v1__case__descriptor,
                                    &back_linked, &info), SF_OK))
        check_district_case("the district's linked case", back_linked, true);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake_civil.case_handoff_in i JOIN intake_civil.intake_case c"
                            "  ON c.id = i.case_id AND c.registration_number LIKE 'MZ%%' AND c.status = 2"
                            " WHERE i.from_instance = 'intake' AND i.from_case_id = %lld", (long long) back->id), 1);
}

static void
refusals(void)
{
    Sifang__V1__Case *c = submit_at(civil_admin, T_HOUSEHOLD_B, "待转办");
    if (!SF_CHECK(c != NULL))
        return;
    hand(civil_admin, c->id, "intake@housing", "not a peer", SF_INVALID_ARGUMENT, "to_instance");
    hand(civil_admin, c->id, CIVIL, "itself", SF_INVALID_ARGUMENT, "to_instance");
    hand(civil_admin, c->id, "intake", "", SF_INVALID_ARGUMENT, "reason");
    hand(world.viewer, c->id, "intake", "a viewer", SF_PERMISSION_DENIED, NULL);
    /* HandoffReceive: a service's key only, naming a listed sender and this
     * instance. */
    Sifang__V1__CaseTransition step = SIFANG__V1__CASE_TRANSITION__INIT;
    step.seq = 1;
    step.action = SIFANG__V1__CASE_ACTION__CASE_ACTION_ACCEPTED;
    step.to_status = SIFANG__V1__CASE_STATUS__CASE_STATUS_ACCEPTED;
    step.actor_id = "x";
    step.at_unix_ms = c->received_unix_ms;
    Sifang__V1__CaseTransition *steps[] = { &step };
    Sifang__V1__HandoffReceiveRequest ask = SIFANG__V1__HANDOFF_RECEIVE_REQUEST__INIT;
    ask.from_instance = "intake@housing";
    ask.to_instance = "intake";
    ask.case_ = c;
    ask.history = steps;
    ask.n_history = 1;
    sf_client_t *service = sf_client_new(world.intake_endpoint, NULL);
    sf_client_set_principal(service, CIVIL, "service", "");
    Sifang__V1__Case *reply = NULL;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(intake_call(service, "HandoffReceive", NULL, &ask.base, &sifang__v1__case__descriptor, &reply,
                                &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "from_instance"));
    ask.from_instance = CIVIL;
    ask.to_instance = CIVIL;
    SF_CHECK_EQ_INT(intake_call(service, "HandoffReceive", NULL, &ask.base, &sifang__v1__case__descriptor, &reply,
                                &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "to_instance"));
    ask.to_instance = "intake";
    SF_CHECK_EQ_INT(intake_call(world.station, "HandoffReceive", NULL, &ask.base, &sifang__v1__case__descriptor,
                                &reply, &info), SF_PERMISSION_DENIED);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake.case_handoff_in WHERE from_case_id = %lld",
                            (long long) c->id), 0);
    sf_client_destroy(&service);
}

/* The rule decides the target: a named one must be it, and a case the
 * rule gives this instance is not handed. */
static void
rule_refusals(void)
{
    /* A department's matter at its own intake. */
    Sifang__V1__Case *own = submit_item(civil_admin, T_HOUSEHOLD, "low-income-allowance", "申请低保，材料齐全");
    if (SF_CHECK(own != NULL)) {
        SF_CHECK_EQ_STR(own->handoff_target, "");
        hand_as(civil_admin, own->id, "", "试转", SF_FAILED_PRECONDITION, "ref", "按移交规则此件由本实例");
        hand_as(civil_admin, own->id, "intake", "试转", SF_INVALID_ARGUMENT, "to_instance", "按移交规则此件应移交");
    }
    /* A community's matter at the bureau goes to the district, not to the
     * bureau itself. */
    Sifang__V1__Case *matter = submit_at(civil_admin, T_HOUSEHOLD_B, "邻里纠纷，待转");
    if (SF_CHECK(matter != NULL))
        hand_as(civil_admin, matter->id, CIVIL, "itself", SF_INVALID_ARGUMENT, "to_instance", "按移交规则此件应移交 intake");
    /* An item of the civil affairs department routed to the zone
     * (community-affairs) is a community's matter: the district keeps it. */
    Sifang__V1__Case *affairs = submit_item(world.station, T_HOUSEHOLD, "community-affairs", "小区路灯损坏");
    if (SF_CHECK(affairs != NULL)) {
        check_district_case("a community affair", affairs, true);
        hand_as(world.station, affairs->id, "", "试转", SF_FAILED_PRECONDITION, "ref", "由本实例（intake）办理");
        hand_as(world.station, affairs->id, CIVIL, "试转", SF_INVALID_ARGUMENT, "to_instance", "而不是 " CIVIL);
        SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake.case_handoff_out WHERE case_id = %lld",
                                (long long) affairs->id), 0);
    }
    /* A disabled-persons item: the bureau owns that department too. */
    Sifang__V1__Case *certificate = submit_item(world.station, T_HOUSEHOLD, "disability-certificate", "申请残疾人证");
    if (SF_CHECK(certificate != NULL))
        SF_CHECK_EQ_STR(certificate->handoff_target, CIVIL);
    hand_as(civil_admin, own ? own->id : 0, "intake@housing", "not a peer", SF_INVALID_ARGUMENT, "to_instance",
            "不是本实例的移交对象");
}

/* Waits for a district case's hand-off to reach state; the case then. */
static Sifang__V1__Case *
district_case_when(int64_t case_id, int state)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.case_handoff_out WHERE case_id = %lld AND state = %d",
             (long long) case_id, state);
    if (!SF_CHECK_EQ_INT(wait_int(1, 15000, sql), 1))
        return NULL;
    /* The case as its history reads it, its last step with it. */
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = case_id;
    Sifang__V1__CaseHistoryReply *history = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(intake_call(world.station, "CaseHistory", NULL, &ref.base,
                                     &sifang__v1__case_history_reply__descriptor, &history, &info), SF_OK)
        || !SF_CHECK(history->current && history->n_transitions > 0))
        return NULL;
    /* A copy of its own, with its last step: the reply is freed whole. */
    Sifang__V1__Case *current = history->current;
    Sifang__V1__CaseTransition *had = current->last_transition;
    current->last_transition = history->transitions[history->n_transitions - 1];
    size_t size = protobuf_c_message_get_packed_size(&current->base);
    uint8_t *bytes = malloc(size ? size : 1);
    protobuf_c_message_pack(&current->base, bytes);
    current->last_transition = had;
    Sifang__V1__Case *c = sifang__v1__case__unpack(NULL, size, bytes);
    free(bytes);
    return SF_CHECK(c != NULL) ? intake_keep(&c->base) : NULL;
}

/* A case back at the district's desk: its status before the hand-off, no
 * longer TRANSFERRED, waiting for its holder (route handoff), the step by
 * actor, and a notice HANDOFF_RETURNED to exactly whom SQL says must be
 * told: whom it waits on (a staff member, a department's or unit's
 * staff), its assignee's, its first responder, never the actor. */
static void
check_back_at_desk(const Sifang__V1__Case *c, int action, const char *actor, int64_t status_before)
{
    /* The refusal's actor is the other instance: its holders are all told
     * (a cancel's actor, who asked it, is not). */
    bool someone_told = action == SIFANG__V1__CASE_ACTION__CASE_ACTION_HANDOFF_REFUSED;
    if (!SF_CHECK(c != NULL))
        return;
    check_district_case("back at the desk", c, true);
    SF_CHECK_EQ_INT(c->status, status_before);
    SF_CHECK_EQ_STR(c->transferred_to, "");
    SF_CHECK_EQ_INT(c->last_transition->action, action);
    SF_CHECK_EQ_STR(c->last_transition->actor_id, actor);
    SF_CHECK_EQ_INT(c->last_transition->from_status, SIFANG__V1__CASE_STATUS__CASE_STATUS_TRANSFERRED);
    if (SF_CHECK(c->waiting_on != NULL))
        SF_CHECK_EQ_STR(c->waiting_on->route, "handoff");
    long long id = (long long) c->id;
    long long told = sql_int("SELECT count(*) FROM intake.notice WHERE case_id = %lld AND kind = 15", id);
    long long due = sql_int(
        "SELECT count(DISTINCT s.id) FROM intake.intake_case c JOIN intake.ref_staff s ON s.active AND s.id <> '%s' AND ("
        "   (c.waiting_kind = 1 AND s.id = c.waiting_code)"
        "   OR (c.waiting_kind = 2 AND s.department_code = c.waiting_code AND s.kind = 4)"
        "   OR (c.waiting_kind = 3 AND length(c.waiting_code) <> 14 AND s.unit_code = c.waiting_code"
        "       AND s.kind IN (1, 2, 3, 5))"
        "   OR (c.assignee_kind = 1 AND s.id = c.assignee_code)"
        "   OR (c.assignee_kind = 2 AND s.department_code = c.assignee_code AND s.kind = 4)"
        "   OR s.id = c.first_responder_id)"
        " WHERE c.id = %lld", actor, id);
    SF_CHECK(told >= 1 || !someone_told);
    if (!SF_CHECK_EQ_INT(told, due))
        fprintf(stderr, "case %lld: %lld notices of its return, SQL says %lld people are due one\n", id, told, due);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake.notice n WHERE n.case_id = %lld AND n.kind = 15"
                            " AND (n.case_seq <> %d OR n.action <> %d)", id, c->last_transition->seq, action), 0);
}

/* Refused by the receiver, and cancelled: each comes back to the district's
 * desk once, every field against SQL; a refused one is handed again. */
static void
returned_and_cancelled(void)
{
    /* The bureau stops taking temporary assistance, then is away. */
    item_active(civil_admin, "temporary-assistance", false);
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&civil), 0);
    Sifang__V1__Case *tried = submit_item(world.station, T_HOUSEHOLD, "temporary-assistance", "临时救助，待撤回一");
    Sifang__V1__Case *untried = submit_item(world.station, T_HOUSEHOLD_2, "temporary-assistance", "临时救助，待撤回二");
    if (!SF_CHECK(tried != NULL) || !SF_CHECK(untried != NULL))
        return;
    int64_t status_tried = tried->status, status_untried = untried->status;
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *sent = hand(world.station, tried->id, "", "民政局职责", SF_OK, NULL);
    if (sent)
        intake_case_check_step("HandoffCase", head, sent, tried->id, "case.handoff_sent");
    head = sf_test_event_head(world.admin);
    sent = hand(world.station, untried->id, CIVIL, "民政局职责", SF_OK, NULL);
    if (sent) {
        intake_case_check_step("HandoffCase", head, sent, untried->id, "case.handoff_sent");
        SF_CHECK_EQ_INT(sent->handoff->state, SIFANG__V1__HANDOFF_STATE__HANDOFF_STATE_SENDING);
        SF_CHECK_EQ_INT(sent->handoff->attempt, 1);
        SF_CHECK_EQ_STR(sent->handoff_target, "");
    }
    /* Each round tries the first and stops at its silence: the second is
     * never sent while the bureau is away. */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT tries FROM intake.case_handoff_out WHERE case_id = %lld",
             (long long) tried->id);
    SF_CHECK(wait_int(1, 15000, sql) >= 1);
    SF_CHECK_EQ_INT(sql_int("SELECT tries FROM intake.case_handoff_out WHERE case_id = %lld",
                            (long long) untried->id), 0);
    /* Both cancelled: each reply and event against SQL. */
    sf_reply_info_t info;
    head = sf_test_event_head(world.admin);
    Sifang__V1__Case *asked = cancel(world.station, tried->id, "居民已自行前往民政局", "cancel-tried-1", SF_OK, NULL,
                                     &info);
    if (SF_CHECK(asked != NULL)) {
        intake_case_check_step("HandoffCancel", head, asked, tried->id, "case.handoff_cancel_asked");
        SF_CHECK_EQ_INT(asked->handoff->state, SIFANG__V1__HANDOFF_STATE__HANDOFF_STATE_WITHDRAWING);
        SF_CHECK_EQ_STR(asked->handoff->cancel_reason, "居民已自行前往民政局");
        SF_CHECK_EQ_STR(asked->handoff->cancelled_by, "S00001");
        SF_CHECK_EQ_INT(asked->status, SIFANG__V1__CASE_STATUS__CASE_STATUS_TRANSFERRED);
        /* The same request again: the same reply, nothing written. */
        Sifang__V1__Case *again = cancel(world.station, tried->id, "居民已自行前往民政局", "cancel-tried-1", SF_OK,
                                         NULL, &info);
        if (SF_CHECK(again != NULL)) {
            SF_CHECK(info.replayed);
            SF_CHECK_EQ_INT(again->version, asked->version);
        }
        /* Another request: it is under way already. */
        cancel(world.station, tried->id, "再撤一次", "cancel-tried-2", SF_FAILED_PRECONDITION, "ref", &info);
        SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake.case_history WHERE case_id = %lld AND action = 59",
                                (long long) tried->id), 1);
    }
    cancel(world.station, untried->id, "", "cancel-untried-0", SF_INVALID_ARGUMENT, "reason", &info);
    head = sf_test_event_head(world.admin);
    asked = cancel(world.station, untried->id, "登记错误", "cancel-untried-1", SF_OK, NULL, &info);
    if (SF_CHECK(asked != NULL))
        intake_case_check_step("HandoffCancel", head, asked, untried->id, "case.handoff_cancel_asked");
    /* Nothing comes back while the receiver that was tried is away. */
    pause_ms(600);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake.case_handoff_out WHERE case_id = %lld AND state = 5",
                            (long long) tried->id), 1);
    /* Back up: the tried one is withdrawn by the bureau's promise, the
     * other without asking; both back at the desk. */
    head = sf_test_event_head(world.admin);
    SF_CHECK(start_civil());
    Sifang__V1__Case *back = district_case_when(tried->id, 6);
    check_back_at_desk(back, SIFANG__V1__CASE_ACTION__CASE_ACTION_HANDOFF_CANCELLED, "S00001", status_tried);
    if (back)
        check_district_event("case.handoff_cancelled", head, tried->id);
    back = district_case_when(untried->id, 6);
    check_back_at_desk(back, SIFANG__V1__CASE_ACTION__CASE_ACTION_HANDOFF_CANCELLED, "S00001", status_untried);
    if (back)
        check_district_event("case.handoff_cancelled", head, untried->id);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake_civil.handoff_withdrawn WHERE from_instance = 'intake'"
                            " AND from_case_id = %lld AND attempt = 1", (long long) tried->id), 1);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake_civil.handoff_withdrawn WHERE from_instance = 'intake'"
                            " AND from_case_id = %lld", (long long) untried->id), 0);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake_civil.case_handoff_in WHERE from_instance = 'intake'"
                            " AND from_case_id IN (%lld, %lld)", (long long) tried->id, (long long) untried->id), 0);
    cancel(world.station, tried->id, "再撤", "cancel-tried-3", SF_FAILED_PRECONDITION, "ref", &info);

    /* Refused: the bureau does not offer the item now. */
    head = sf_test_event_head(world.admin);
    sent = hand(world.station, untried->id, "", "民政局职责（再次）", SF_OK, NULL);
    if (SF_CHECK(sent != NULL))
        SF_CHECK_EQ_INT(sent->handoff->attempt, 2);
    back = district_case_when(untried->id, 4);
    check_back_at_desk(back, SIFANG__V1__CASE_ACTION__CASE_ACTION_HANDOFF_REFUSED, CIVIL, status_untried);
    if (back) {
        check_district_event("case.handoff_refused", head, untried->id);
        SF_CHECK(strstr(back->handoff->refusal, "未开办事项 temporary-assistance") != NULL);
        SF_CHECK(strstr(back->last_transition->note, "拒收") != NULL);
    }
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake_civil.handoff_withdrawn WHERE from_instance = 'intake'"
                            " AND from_case_id = %lld AND attempt = 2", (long long) untried->id), 1);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake.case_history WHERE case_id = %lld AND action = 58",
                            (long long) untried->id), 1);
    /* Offered again: the third attempt is received and linked. */
    item_active(civil_admin, "temporary-assistance", true);
    sent = hand(world.station, untried->id, CIVIL, "民政局已恢复受理", SF_OK, NULL);
    back = district_case_when(untried->id, 2);
    if (SF_CHECK(back != NULL)) {
        check_district_case("linked at the third attempt", back, true);
        SF_CHECK_EQ_INT(back->handoff->attempt, 3);
        SF_CHECK_EQ_INT(sql_int("SELECT attempt FROM intake_civil.case_handoff_in WHERE from_instance = 'intake'"
                                " AND from_case_id = %lld", (long long) untried->id), 3);
        SF_CHECK_EQ_INT(history_differences("intake", untried->id, "intake_civil", back->handoff->to_case_id), 0);
    }
    cancel(world.station, untried->id, "太晚", "cancel-untried-late", SF_FAILED_PRECONDITION, "ref", &info);
}

/* HandoffWithdraw as the sending instance asks it: the case a receiver
 * holds, or its promise for good (HandoffReceive then refuses the attempt). */
static void
withdraw_direct(void)
{
    sf_client_t *service = sf_client_new(civil_endpoint, NULL);
    sf_client_set_principal(service, "intake", "service", "");
    sf_client_set_timeout(service, 5000);
    int64_t received = sql_int("SELECT max(from_case_id) FROM intake_civil.case_handoff_in WHERE from_instance = 'intake'");
    Sifang__V1__HandoffWithdrawRequest ask = SIFANG__V1__HANDOFF_WITHDRAW_REQUEST__INIT;
    ask.from_instance = "intake";
    ask.from_case_id = received;
    ask.attempt = 1;
    ask.to_instance = CIVIL;
    ask.reason = "测试";
    Sifang__V1__HandoffWithdrawReply *reply = NULL;
    sf_reply_info_t info;
    if (SF_CHECK_EQ_INT(intake_call(service, "HandoffWithdraw", NULL, &ask.base,
                                    &sifang__v1__handoff_withdraw_reply__descriptor, &reply, &info), SF_OK)) {
        SF_CHECK(!reply->withdrawn);
        if (SF_CHECK(reply->case_ != NULL))
            SF_CHECK_EQ_INT(reply->case_->id, sql_int("SELECT case_id FROM intake_civil.case_handoff_in"
                                                      " WHERE from_instance = 'intake' AND from_case_id = %lld",
                                                      (long long) received));
    }
    /* A case the district never handed: withdrawn for good, once. */
    Sifang__V1__Case *c = submit_item(world.station, T_HOUSEHOLD, "medical-assistance", "医疗救助");
    if (!SF_CHECK(c != NULL))
        return;
    ask.from_case_id = c->id;
    for (int i = 0; i < 2; i++) {
        if (SF_CHECK_EQ_INT(intake_call(service, "HandoffWithdraw", "withdraw-same", &ask.base,
                                        &sifang__v1__handoff_withdraw_reply__descriptor, &reply, &info), SF_OK))
            SF_CHECK(reply->withdrawn && !reply->case_);
    }
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake_civil.handoff_withdrawn WHERE from_instance = 'intake'"
                            " AND from_case_id = %lld", (long long) c->id), 1);
    ask.to_instance = "intake";
    SF_CHECK_EQ_INT(intake_call(service, "HandoffWithdraw", NULL, &ask.base,
                                &sifang__v1__handoff_withdraw_reply__descriptor, &reply, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "to_instance"));
    SF_CHECK_EQ_INT(intake_call(world.station, "HandoffWithdraw", NULL, &ask.base,
                                &sifang__v1__handoff_withdraw_reply__descriptor, &reply, &info),
                    SF_PERMISSION_DENIED);
    /* HandoffReceive of that attempt is refused: the district's case, as
     * the peers thread would send it. */
    Sifang__V1__CaseTransition step = SIFANG__V1__CASE_TRANSITION__INIT;
    step.seq = 1;
    step.action = SIFANG__V1__CASE_ACTION__CASE_ACTION_ACCEPTED;
    step.to_status = SIFANG__V1__CASE_STATUS__CASE_STATUS_ACCEPTED;
    step.actor_id = "S00001";
    step.at_unix_ms = c->received_unix_ms;
    Sifang__V1__CaseTransition *steps[] = { &step };
    Sifang__V1__HandoffReceiveRequest receive = SIFANG__V1__HANDOFF_RECEIVE_REQUEST__INIT;
    receive.from_instance = "intake";
    receive.to_instance = CIVIL;
    receive.case_ = c;
    receive.history = steps;
    receive.n_history = 1;
    Sifang__V1__Case *made = NULL;
    SF_CHECK_EQ_INT(intake_call(service, "HandoffReceive", NULL, &receive.base, &sifang__v1__case__descriptor,
                                &made, &info), SF_FAILED_PRECONDITION);
    if (!SF_CHECK(intake_has_violation(&info, "attempt") && chinese_first(&info, "attempt")))
        fprintf(stderr, "HandoffReceive of a withdrawn attempt: %s\n", info.message ? info.message : "");
    /* A later attempt is not withdrawn. */
    receive.attempt = 2;
    SF_CHECK_EQ_INT(intake_call(service, "HandoffReceive", NULL, &receive.base, &sifang__v1__case__descriptor,
                                &made, &info), SF_OK);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake_civil.case_handoff_in WHERE from_instance = 'intake'"
                            " AND from_case_id = %lld AND attempt = 2", (long long) c->id), 1);
    sf_client_destroy(&service);
}

/* One way of handing: who sends, from which schema to which, with what. */
typedef struct {
    bool from_bureau;
    const char *from_schema, *to_schema, *from_instance;
    const char *item, *households[2];
} direction_t;

static const direction_t TO_DISTRICT = { true, "intake_civil", "intake", CIVIL, "dispute-mediation",
                                         { T_HOUSEHOLD, T_HOUSEHOLD_B } };
static const direction_t TO_BUREAU = { false, "intake", "intake_civil", "intake", "temporary-assistance",
                                       { T_HOUSEHOLD, T_HOUSEHOLD_2 } };

/* Asks to cancel a hand-off; whether it was asked (a hand-off received
 * already is refused, and is linked). */
static bool
cancel_if_not_received(sf_client_t *client, int64_t case_id)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = case_id;
    Sifang__V1__HandoffCancelRequest request = SIFANG__V1__HANDOFF_CANCEL_REQUEST__INIT;
    request.ref = &ref;
    request.reason = "撤回（测试）";
    Sifang__V1__Case *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = intake_call(client, "HandoffCancel", NULL, &request.base, &sifang__v1__case__descriptor,
                                     &reply, &info);
    SF_CHECK(status == SF_OK || status == SF_FAILED_PRECONDITION);
    return status == SF_OK;
}

/* Cases handed in a burst (the rule naming the target), every third asked
 * to be cancelled at once, while one daemon is killed at a random moment.
 * Returns the cases handed. */
static int
burst_with_kill(const direction_t *way, bool kill_receiver, int64_t *handed, int n_handed)
{
    sf_client_t *sender = way->from_bureau ? civil_admin : world.station;
    int n = n_handed;
    for (int i = 0; i < BURST; i++) {
        char text[64];
        snprintf(text, sizeof text, "批量转办 %d", n);
        Sifang__V1__Case *c = submit_item(sender, way->households[i % 2], way->item, text);
        if (!c)
            break;
        if (hand(sender, c->id, "", "按规则移交", SF_OK, NULL)) {
            if (n % 3 == 2)
                cancel_if_not_received(sender, c->id);
            handed[n++] = c->id;
        }
    }
    pause_ms(rand() % 250);
    bool kill_bureau = way->from_bureau != kill_receiver;
    if (!kill_bureau) {
        SF_CHECK(sf_test_daemon_kill(&world.intake) == 128 + 9);
        pause_ms(rand() % 300);
        SF_CHECK(intake_world_start_intake(&world));
    } else {
        SF_CHECK(sf_test_daemon_kill(&civil) == 128 + 9);
        pause_ms(rand() % 300);
        SF_CHECK(start_civil());
    }
    return n;
}

/* Each way: every case handed ends at one desk. Linked: exactly one case
 * at the receiver, with the sender's steps, linked back once. Cancelled
 * (asked before it was received): none at the receiver, which promised
 * none if it was ever tried, and the case back at the sender's desk once.
 * Nothing else made, nothing left in flight. */
static void
exactly_once_under_kills(const direction_t *way)
{
    int64_t handed[BURST * 2 * ROUNDS];
    int n = 0;
    long long received_before = sql_int("SELECT count(*) FROM %s.case_handoff_in WHERE from_instance = '%s'",
                                        way->to_schema, way->from_instance);
    for (int round = 0; round < ROUNDS; round++) {
        n = burst_with_kill(way, true, handed, n);
        n = burst_with_kill(way, false, handed, n);
    }
    SF_CHECK_EQ_INT(n, BURST * 2 * ROUNDS);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT (SELECT count(*) FROM %s.case_handoff_out WHERE state IN (1, 5))"
                              " + (SELECT count(*) FROM %s.handoff_inbox)", way->from_schema, way->from_schema);
    for (int waited = 0; waited < 30000 && sf_test_pg_int(world.db, sql) > 0; waited += 50)
        pause_ms(50);
    SF_CHECK_EQ_INT(sf_test_pg_int(world.db, sql), 0);
    int linked = 0, cancelled = 0;
    for (int i = 0; i < n; i++) {
        long long id = (long long) handed[i];
        long long state = sql_int("SELECT state FROM %s.case_handoff_out WHERE case_id = %lld", way->from_schema, id);
        long long cases = sql_int("SELECT count(*) FROM %s.case_handoff_in WHERE from_instance = '%s'"
                                  " AND from_case_id = %lld", way->to_schema, way->from_instance, id);
        if (state == 6) {
            cancelled++;
            SF_CHECK_EQ_INT(cases, 0);
            SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM %s.case_history WHERE case_id = %lld AND action = 60",
                                    way->from_schema, id), 1);
            SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM %s.case_handoff_out o WHERE o.case_id = %lld"
                                    " AND o.tries > 0 AND NOT EXISTS (SELECT 1 FROM %s.handoff_withdrawn w"
                                    "   WHERE w.from_instance = '%s' AND w.from_case_id = o.case_id"
                                    "     AND w.attempt = o.attempt)", way->from_schema, id, way->to_schema,
                                    way->from_instance), 0);
            continue;
        }
        if (!SF_CHECK_EQ_INT(state, 2) || !SF_CHECK_EQ_INT(cases, 1))
            continue;
        linked++;
        int64_t target = sql_int("SELECT case_id FROM %s.case_handoff_in WHERE from_instance = '%s'"
                                 " AND from_case_id = %lld", way->to_schema, way->from_instance, id);
        SF_CHECK_EQ_INT(sql_int("SELECT to_case_id FROM %s.case_handoff_out WHERE case_id = %lld", way->from_schema,
                                id), target);
        SF_CHECK_EQ_INT(history_differences(way->from_schema, handed[i], way->to_schema, target), 0);
        SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM %s.case_history WHERE case_id = %lld AND action = 56",
                                way->to_schema, (long long) target), 1);
        SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM %s.case_history WHERE case_id = %lld AND action = 57",
                                way->from_schema, id), 1);
    }
    printf("%s: %d handed under kills, %d linked, %d cancelled in time\n", way->from_instance, n, linked, cancelled);
    SF_CHECK_EQ_INT(linked + cancelled, n);
    /* Nothing else made. */
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM %s.case_handoff_in WHERE from_instance = '%s'", way->to_schema,
                            way->from_instance), received_before + linked);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM %s.intake_case c WHERE EXISTS (SELECT 1 FROM"
                            " %s.case_history h WHERE h.case_id = c.id AND h.action = 56)", way->to_schema,
                            way->to_schema),
                    sql_int("SELECT count(*) FROM %s.case_handoff_in", way->to_schema));
}

/* Evaluation following grid and both intakes: cases received counted once
 * per request, at the instance that received it first. */
static void
evaluation_counts_once(void)
{
    char dir[300], env_store[8][300];
    snprintf(dir, sizeof dir, "%s/evaluation", world.dir);
    SF_CHECK(mkdir(dir, 0700) == 0);
    char *endpoint = sf_test_ipc_endpoint(world.dir, "evaluation.router");
    char *publish = sf_test_ipc_endpoint(world.dir, "evaluation.pub");
    snprintf(env_store[0], sizeof env_store[0], "SIFANG_EVALUATION_ENDPOINT=%s", endpoint);
    snprintf(env_store[1], sizeof env_store[1], "SIFANG_EVALUATION_PUBLISH=%s", publish);
    snprintf(env_store[2], sizeof env_store[2], "SIFANG_GRID_ENDPOINT=%s", world.grid_endpoint);
    snprintf(env_store[3], sizeof env_store[3], "SIFANG_GRID_PUBLISH=%s", world.grid_publish);
    snprintf(env_store[4], sizeof env_store[4], "SIFANG_INTAKE_ENDPOINT=%s", world.intake_endpoint);
    snprintf(env_store[5], sizeof env_store[5], "SIFANG_INTAKE_PUBLISH=%s", world.intake_publish);
    snprintf(env_store[6], sizeof env_store[6], "SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT=%s", civil_endpoint);
    snprintf(env_store[7], sizeof env_store[7], "SIFANG_INTAKE_CIVIL_AFFAIRS_PUBLISH=%s", civil_publish);
    const char *env[] = { env_store[0], env_store[1], env_store[2], env_store[3], env_store[4], env_store[5],
                          env_store[6], env_store[7], "SIFANG_EVALUATION_SOURCES=grid intake " CIVIL,
                          "SIFANG_EVALUATION_DATABASE_URL=user=sifang_evaluation", "SIFANG_EVALUATION_POLL_MS=100",
                          NULL };
    sf_test_daemon_t *evaluation = sf_test_service_start("evaluation", dir, env, 20000);
    sf_client_t *client = sf_client_new(endpoint, NULL);
    sf_client_set_principal(client, "it-admin", "admin", "");
    sf_client_set_timeout(client, 10000);
    if (SF_CHECK(evaluation != NULL)
        && SF_CHECK(sf_test_wait_caught_up(client, "intake", sf_test_event_head(world.admin), 20000))
        && SF_CHECK(sf_test_wait_caught_up(client, CIVIL, sf_test_event_head(civil_admin), 20000))) {
        Sifang__V1__Kpi kpi = SIFANG__V1__KPI__INIT;
        kpi.code = "handoff_received";
        kpi.name = "受理件数";
        kpi.numerator = "#{cases_received}";
        sf_reply_info_t info;
        Sifang__V1__Kpi *defined = NULL;
        SF_CHECK_EQ_INT(intake_call(client, "KpiDefine", NULL, &kpi.base, &sifang__v1__kpi__descriptor, &defined,
                                    &info), SF_OK);
        char year[8];
        time_t now = time(NULL) + 8 * 3600;
        struct tm tm;
        gmtime_r(&now, &tm);
        snprintf(year, sizeof year, "%04d", (tm.tm_year + 1900) % 10000);
        char *codes[] = { "handoff_received" };
        Sifang__V1__KpiValuesRequest request = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
        request.kpi_codes = codes;
        request.n_kpi_codes = 1;
        request.period = year;
        request.unit_code = T_DISTRICT;
        Sifang__V1__KpiValuesReply *values = NULL;
        if (SF_CHECK_EQ_INT(intake_call(client, "KpiValues", NULL, &request.base,
                                        &sifang__v1__kpi_values_reply__descriptor, &values, &info), SF_OK)
            && SF_CHECK_EQ_INT(values->n_values, 1)) {
            /* Every case at either instance, less those received by hand-off. */
            long long requests = sql_int("SELECT (SELECT count(*) FROM intake.intake_case)"
                                         " + (SELECT count(*) FROM intake_civil.intake_case)"
                                         " - (SELECT count(*) FROM intake.case_handoff_in)"
                                         " - (SELECT count(*) FROM intake_civil.case_handoff_in)");
            SF_CHECK(requests > BURST * 6);
            SF_CHECK(values->values[0]->has_value && values->values[0]->value == (double) requests);
            if (values->values[0]->value != (double) requests)
                printf("cases received: evaluation %.0f, SQL %lld\n", values->values[0]->value, requests);
        }
    }
    sf_client_destroy(&client);
    if (evaluation)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    free(endpoint);
    free(publish);
}

int
main(void)
{
    snprintf(civil_dir, sizeof civil_dir, "%s", "");
    /* The district's intake is started again below with the bureau as its
     * peer, once the bureau's socket names are known. */
    if (!intake_world_start(&world, "intake_handoff", NULL))
        return sf_test_done();
    snprintf(civil_dir, sizeof civil_dir, "%s/civil", world.dir);
    SF_CHECK(mkdir(civil_dir, 0700) == 0);
    civil_endpoint = sf_test_ipc_endpoint(world.dir, "civil.router");
    civil_publish = sf_test_ipc_endpoint(world.dir, "civil.pub");
    SF_CHECK(sf_test_pg_exec(world.db, "CREATE SCHEMA intake_civil AUTHORIZATION sifang_intake") == 0);
    civil_admin = sf_client_new(civil_endpoint, NULL);
    sf_client_set_principal(civil_admin, "mz-admin", "admin", "");
    sf_client_set_timeout(civil_admin, 5000);
    char peer_endpoint[300];
    snprintf(peer_endpoint, sizeof peer_endpoint, "SIFANG_HANDOFF_INTAKE_CIVIL_AFFAIRS_ENDPOINT=%s", civil_endpoint);
    const char *district[] = { "SIFANG_INTAKE_HANDOFF_PEERS=" CIVIL, peer_endpoint, "SIFANG_INTAKE_OWNS=" T_DISTRICT,
                               "SIFANG_HANDOFF_INTAKE_CIVIL_AFFAIRS_OWNS=" BUREAU_OWNS, NULL };
    intake_steps_begin(&world, 50, 59);
    if (SF_CHECK(intake_world_restart_intake(&world, district)) && SF_CHECK(start_civil())) {
        /* The bureau's copy of grid holds the district before it registers. */
        SF_CHECK(wait_int(1, 20000, "SELECT count(*) FROM intake_civil.ref_household WHERE code = '"
                                    T_HOUSEHOLD_B "'") == 1);
        one_each_way();
        rule_refusals();
        refusals();
        returned_and_cancelled();
        withdraw_direct();
        srand((unsigned) time(NULL));
        exactly_once_under_kills(&TO_DISTRICT);
        exactly_once_under_kills(&TO_BUREAU);
        evaluation_counts_once();
    }
    intake_steps_end();
    sf_client_destroy(&civil_admin);
    if (civil)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&civil), 0);
    intake_world_stop(&world);
    free(civil_endpoint);
    free(civil_publish);
    intake_release_kept();
    return sf_test_done();
}
