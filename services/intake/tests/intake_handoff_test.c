/* Hand-off between intake instances through the real daemons: the district's
 * intake ("intake") and the civil affairs bureau's (intake@civil-affairs, a
 * schema of its own), each listing the other in SIFANG_INTAKE_HANDOFF_PEERS.
 *
 *   - one case each way, every field of the replies and events against the
 *     rows in SQL: the sender's case TRANSFERRED with its hand-off SENDING,
 *     then LINKED to the receiver's case; the receiver's case ACCEPTED with
 *     the sender's steps as its first ones, its requester as given;
 *   - the refusals (an instance not listed, a case handed twice, a closed
 *     case, HandoffReceive from a key that is no service, or naming a
 *     sender not listed or another receiver);
 *   - exactly once under kills: cases handed in bursts while the receiving
 *     daemon, then the sending one, is killed (SIGKILL) at a random moment
 *     and started again; afterwards every hand-off has exactly one case at
 *     the receiver (case_handoff_in), with the sender's steps intact, and
 *     every sender's case links it, nothing left in flight;
 *   - the district's evaluation, following both instances, counts each
 *     resident's request received once (the sender's case), not again
 *     where it was handed. */
#include "intake_test_support.h"
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
#define BURST 12

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
                          "SIFANG_INTAKE_HANDOFF_PEERS=intake", "SIFANG_INTAKE_VOLUNTEER=false",
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
submit_at(sf_client_t *client, const char *household, const char *description)
{
    Sifang__V1__CaseSubmitRequest *request = intake_resident_request(household, "dispute-mediation",
                                                                     SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW,
                                                                     description);
    return intake_submit_ok(client, request, NULL, __LINE__);
}

static Sifang__V1__Case *
hand(sf_client_t *client, int64_t case_id, const char *to, const char *reason, sf_status_t want, const char *field)
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
    return status == SF_OK ? reply : NULL;
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

static void
check_handoff(const Sifang__V1__CaseHandoff *h, const char *schema, int64_t case_id)
{
    if (!SF_CHECK(h != NULL))
        return;
    char sql[512];
    bool out = sql_int("SELECT count(*) FROM %s.case_handoff_out WHERE case_id = %lld", schema,
                       (long long) case_id) == 1;
    if (out) {
        snprintf(sql, sizeof sql, "SELECT state FROM %s.case_handoff_out WHERE case_id = %lld", schema,
                 (long long) case_id);
        SF_CHECK_EQ_INT(h->state, sf_test_pg_int(world.db, sql));
        SF_CHECK_EQ_INT(h->to_case_id, sql_int("SELECT coalesce(to_case_id, 0) FROM %s.case_handoff_out"
                                               " WHERE case_id = %lld", schema, (long long) case_id));
        SF_CHECK_EQ_INT(h->sent_unix_ms, sql_int("SELECT (extract(epoch FROM sent_at) * 1000)::bigint FROM"
                                                 " %s.case_handoff_out WHERE case_id = %lld", schema,
                                                 (long long) case_id));
    } else {
        SF_CHECK_EQ_INT(h->state, SIFANG__V1__HANDOFF_STATE__HANDOFF_STATE_RECEIVED);
        SF_CHECK_EQ_INT(h->from_case_id, sql_int("SELECT from_case_id FROM %s.case_handoff_in WHERE case_id = %lld",
                                                 schema, (long long) case_id));
        SF_CHECK_EQ_INT(h->linked_unix_ms, sql_int("SELECT (extract(epoch FROM received_at) * 1000)::bigint FROM"
                                                   " %s.case_handoff_in WHERE case_id = %lld", schema,
                                                   (long long) case_id));
    }
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
    int64_t head = sf_test_event_head(civil_admin);
    Sifang__V1__Case *sent = hand(civil_admin, source->id, "intake", "属社区事项，转社区办理", SF_OK, NULL);
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

    /* The reverse: the district hands a department's matter to the bureau. */
    Sifang__V1__Case *back = submit_at(world.station, T_HOUSEHOLD_2, "申请临时救助，属民政局直接办理");
    if (!SF_CHECK(back != NULL))
        return;
    hand(world.station, back->id, CIVIL, "民政局职责", SF_OK, NULL);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.case_handoff_out WHERE case_id = %lld AND state = 2",
             (long long) back->id);
    SF_CHECK_EQ_INT(wait_int(1, 10000, sql), 1);
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

/* Cases handed in a burst while one daemon is killed at a random moment.
 * Returns the cases handed. */
static int
burst_with_kill(bool kill_receiver, int64_t *handed, int n_handed)
{
    int n = n_handed;
    for (int i = 0; i < BURST; i++) {
        char text[64];
        snprintf(text, sizeof text, "批量转办 %d", n);
        Sifang__V1__Case *c = submit_at(civil_admin, i % 2 ? T_HOUSEHOLD : T_HOUSEHOLD_B, text);
        if (!c)
            break;
        if (hand(civil_admin, c->id, "intake", "属社区事项", SF_OK, NULL))
            handed[n++] = c->id;
    }
    pause_ms(rand() % 250);
    if (kill_receiver) {
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

static void
exactly_once_under_kills(void)
{
    int64_t handed[BURST * 6];
    int n = 0;
    srand((unsigned) time(NULL));
    for (int round = 0; round < 3; round++) {
        n = burst_with_kill(true, handed, n);
        n = burst_with_kill(false, handed, n);
    }
    SF_CHECK_EQ_INT(n, BURST * 6);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake_civil.case_handoff_out WHERE state = 2");
    long long linked_before = 2;   /* one_each_way's case, and refusals' is never handed */
    SF_CHECK_EQ_INT(wait_int(linked_before - 1 + n, 30000, sql), linked_before - 1 + n);
    for (int i = 0; i < n; i++) {
        long long cases = sql_int("SELECT count(*) FROM intake.case_handoff_in WHERE from_instance = '" CIVIL "'"
                                  " AND from_case_id = %lld", (long long) handed[i]);
        if (!SF_CHECK_EQ_INT(cases, 1))
            continue;
        int64_t target = sql_int("SELECT case_id FROM intake.case_handoff_in WHERE from_instance = '" CIVIL "'"
                                 " AND from_case_id = %lld", (long long) handed[i]);
        SF_CHECK_EQ_INT(sql_int("SELECT to_case_id FROM intake_civil.case_handoff_out WHERE case_id = %lld",
                                (long long) handed[i]), target);
        SF_CHECK_EQ_INT(history_differences("intake_civil", handed[i], "intake", target), 0);
        SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake.case_history WHERE case_id = %lld AND action = 56",
                                (long long) target), 1);
        SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake_civil.case_history WHERE case_id = %lld AND action = 57",
                                (long long) handed[i]), 1);
    }
    /* Nothing else made, nothing in flight. */
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake.case_handoff_in WHERE from_instance = '" CIVIL "'"), n + 1);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake.intake_case c WHERE EXISTS (SELECT 1 FROM"
                            " intake.case_history h WHERE h.case_id = c.id AND h.action = 56)"), n + 1);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake_civil.handoff_inbox"), 0);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM intake_civil.case_handoff_out WHERE state = 1"), 0);
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
    const char *district[] = { "SIFANG_INTAKE_HANDOFF_PEERS=" CIVIL, peer_endpoint, NULL };
    if (SF_CHECK(intake_world_restart_intake(&world, district)) && SF_CHECK(start_civil())) {
        /* The bureau's copy of grid holds the district before it registers. */
        SF_CHECK(wait_int(1, 20000, "SELECT count(*) FROM intake_civil.ref_household WHERE code = '"
                                    T_HOUSEHOLD_B "'") == 1);
        one_each_way();
        refusals();
        exactly_once_under_kills();
        evaluation_counts_once();
    }
    sf_client_destroy(&civil_admin);
    if (civil)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&civil), 0);
    intake_world_stop(&world);
    free(civil_endpoint);
    free(civil_publish);
    intake_release_kept();
    return sf_test_done();
}
