/* Integrity test of sifang-intake: every case step's reply and event agree,
 * field by field, with the case's row and its latest audit row in SQL (each
 * step method, the sweep's two steps, the station's dispatch and its
 * answers); a closed case asked to close again is told it is closed; two
 * replicas on one database submitting at once never collide on an id or a
 * registration number, and number cases in the order they are registered
 * (across replicas and restarts); and after PostgreSQL crashes (a backend killed:
 * the cluster restarts through crash recovery) new submissions get fresh
 * ids. RUN_SERIAL: the crash takes the shared test cluster down for a
 * moment. */
#include "intake_test_steps.h"
#include "intake_test_orders.h"
#include "sf_ids.h"
#include "sifang/v1/sys.pb-c.h"
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHANNEL(name) SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_##name
#define STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name

static intake_world_t world;

/* --- each step against SQL ------------------------------------------------- */

/* The case's fields as SQL has them, every field of a reply and its one
 * event compared with them: intake_test_steps.c. This test compares the
 * Case fields 1..75 (the follow-through's, the registration, the escalated
 * person and the hand-off: none set here but the follow-through, and a
 * stray value would differ from SQL). */
#define FIRST_FIELD_COMPARED_HERE 50
#define LAST_FIELD_COMPARED_HERE 75

/* A step method called as the station, named by what it is:
 * "CaseDispatchAnswer (accepted)" calls CaseDispatchAnswer. */
static void
step(const char *what, const ProtobufCMessage *request, int64_t id, const char *event_type)
{
    char method[64];
    snprintf(method, sizeof method, "%.*s", (int) strcspn(what, " "), what);
    intake_case_step(world.station, method, request, id, event_type);
}

static void
test_steps_as_sql_has_them(void)
{
    /* Submitted by a resident's own channel (received), then each step. */
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *c = SUBMIT_OK(world.gateway, intake_resident_request(T_HOUSEHOLD, "pension-certification",
                                                                            CHANNEL(WEBSITE), "网上申请认证"));
    if (!SF_CHECK(c != NULL))
        return;
    intake_case_check_step("CaseSubmit (received)", head, NULL, c->id, "case.received");
    Sifang__V1__CaseAcceptRequest accept = SIFANG__V1__CASE_ACCEPT_REQUEST__INIT;
    accept.ref = intake_ref_of(c->id);
    step("CaseAccept", &accept.base, c->id, "case.accepted");
    Sifang__V1__CaseAssignee named = SIFANG__V1__CASE_ASSIGNEE__INIT;
    named.kind = SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF;
    named.code = "S00002";
    Sifang__V1__CaseAssignRequest assign = SIFANG__V1__CASE_ASSIGN_REQUEST__INIT;
    assign.ref = intake_ref_of(c->id);
    assign.assignee = &named;
    assign.note = "请李强跟进";
    step("CaseAssign", &assign.base, c->id, "case.assigned");
    Sifang__V1__CaseStepRequest start = SIFANG__V1__CASE_STEP_REQUEST__INIT;
    start.ref = intake_ref_of(c->id);
    start.note = "材料齐全";
    step("CaseStart", &start.base, c->id, "case.started");
    Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    resolve.ref = intake_ref_of(c->id);
    resolve.resolution = "认证完成";
    step("CaseResolve", &resolve.base, c->id, "case.resolved");
    Sifang__V1__CaseCloseRequest close = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    close.ref = intake_ref_of(c->id);
    close.satisfaction = 4;
    step("CaseClose", &close.base, c->id, "case.closed");

    /* Registered at the station (accepted and routed at once), rejected. */
    head = sf_test_event_head(world.admin);
    Sifang__V1__Case *other = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "temporary-assistance",
                                                                                CHANNEL(WINDOW), "临时困难"));
    if (SF_CHECK(other != NULL)) {
        intake_case_check_step("CaseSubmit (station)", head, other, other->id, "case.accepted");
        Sifang__V1__CaseRejectRequest reject = SIFANG__V1__CASE_REJECT_REQUEST__INIT;
        reject.ref = intake_ref_of(other->id);
        reject.reason = "不符合条件";
        step("CaseReject", &reject.base, other->id, "case.rejected");
    }
    /* A duplicate of nothing open any more, transferred. */
    Sifang__V1__Case *third = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "legal-aid",
                                                                                CHANNEL(HOTLINE), "劳动争议"));
    if (SF_CHECK(third != NULL)) {
        Sifang__V1__CaseTransferRequest transfer = SIFANG__V1__CASE_TRANSFER_REQUEST__INIT;
        transfer.ref = intake_ref_of(third->id);
        transfer.transferred_to = "四方区人民法院";
        transfer.reason = "已进入诉讼程序";
        step("CaseTransfer", &transfer.base, third->id, "case.transferred");
    }
    /* A convenience case dispatched by the station to a business, which
     * accepts and completes it. */
    Sifang__V1__Case *meal = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "elderly-meal-delivery",
                                                                               CHANNEL(HOTLINE), "每日午餐"));
    if (SF_CHECK(meal != NULL)) {
        Sifang__V1__CaseDispatchRequest dispatch = SIFANG__V1__CASE_DISPATCH_REQUEST__INIT;
        dispatch.ref = intake_ref_of(meal->id);
        dispatch.provider_kind = SIFANG__V1__CASE_PROVIDER_KIND__CASE_PROVIDER_KIND_BUSINESS;
        dispatch.provider_name = "兴隆路长者食堂";
        step("CaseDispatch", &dispatch.base, meal->id, "case.dispatched");
        Sifang__V1__CaseDispatchAnswerRequest answer = SIFANG__V1__CASE_DISPATCH_ANSWER_REQUEST__INIT;
        answer.ref = intake_ref_of(meal->id);
        answer.accepted = true;
        step("CaseDispatchAnswer (accepted)", &answer.base, meal->id, "case.provider_accepted");
        answer.completed = true;
        step("CaseDispatchAnswer (completed)", &answer.base, meal->id, "case.provider_completed");
    }
    /* The sweep's two steps: overdue, then escalated to the street. */
    Sifang__V1__Case *late = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "residence-certificate",
                                                                               CHANNEL(WINDOW), "居住证明"));
    if (!SF_CHECK(late != NULL))
        return;
    char sql[200];
    snprintf(sql, sizeof sql, "UPDATE intake.intake_case SET due_at = now() - interval '1 hour' WHERE id = %lld",
             (long long) late->id);
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, sql), 0);
    Sifang__V1__CaseSweepRequest sweep = SIFANG__V1__CASE_SWEEP_REQUEST__INIT;
    head = sf_test_event_head(world.admin);
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseSweep", NULL, &sweep.base,
                                &sifang__v1__case_sweep_reply__descriptor, NULL, NULL), SF_OK);
    intake_case_check_step("CaseSweep (overdue)", head, NULL, late->id, "case.overdue");
    snprintf(sql, sizeof sql, "UPDATE intake.intake_case SET escalated_at = now() - interval '25 hours'"
             " WHERE id = %lld", (long long) late->id);
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, sql), 0);
    head = sf_test_event_head(world.admin);
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseSweep", NULL, &sweep.base,
                                &sifang__v1__case_sweep_reply__descriptor, NULL, NULL), SF_OK);
    intake_case_check_step("CaseSweep (escalated)", head, NULL, late->id, "case.escalated");
}

/* A closed case asked to close again is told it is closed, whatever else
 * the request lacks, and nothing is written. */
static void
test_close_closed(void)
{
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "legal-aid",
                                                                            CHANNEL(WINDOW), "咨询"));
    if (!SF_CHECK(c != NULL))
        return;
    Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    resolve.ref = intake_ref_of(c->id);
    resolve.resolution = "已答复";
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseResolve", NULL, &resolve.base, &sifang__v1__case__descriptor,
                                NULL, NULL), SF_OK);
    Sifang__V1__CaseCloseRequest close = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    close.ref = intake_ref_of(c->id);
    close.satisfaction = 5;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseClose", NULL, &close.base, &sifang__v1__case__descriptor,
                                NULL, NULL), SF_OK);
    long long before = intake_count(&world, "SELECT (SELECT count(*) FROM intake.case_history) * 1000"
                                            " + (SELECT count(*) FROM intake.event_log)");
    /* Dissatisfied without a note: a note would be required, were it open. */
    close.satisfaction = 2;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseClose", NULL, &close.base, &sifang__v1__case__descriptor,
                                NULL, &info), SF_FAILED_PRECONDITION);
    char want[80];
    snprintf(want, sizeof want, "case %lld is already closed", (long long) c->id);
    SF_CHECK(info.message && strstr(info.message, want) != NULL);
    SF_CHECK(intake_has_violation(&info, "ref") && !intake_has_violation(&info, "note"));
    /* Out of range too: still the state first. */
    close.satisfaction = 9;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseClose", NULL, &close.base, &sifang__v1__case__descriptor,
                                NULL, &info), SF_FAILED_PRECONDITION);
    SF_CHECK(!intake_has_violation(&info, "satisfaction"));
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT (SELECT count(*) FROM intake.case_history) * 1000"
                                         " + (SELECT count(*) FROM intake.event_log)"), before);
}

/* --- ids: replicas and a crash --------------------------------------------- */

#define REPLICA_CASES 300

typedef struct {
    const char *endpoint;
    int index;
    int64_t ids[REPLICA_CASES];
    char registrations[REPLICA_CASES][40];
    int ok;
} submitter_t;

static const char *const items[] = { "pension-certification", "elderly-allowance", "legal-aid", "dispute-mediation" };

/* Submits REPLICA_CASES cases to one replica as a station, pipelined a few
 * at a time so that they run in batches. */
static void *
submit_all(void *arg)
{
    submitter_t *self = arg;
    sf_client_t *client = sf_client_new(self->endpoint, NULL);
    if (!client)
        return NULL;
    sf_client_set_principal(client, "S00001", "community", T_COMMUNITY);
    for (int i = 0; i < REPLICA_CASES; i++) {
        Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
        requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
        requester.household_code = i % 2 ? T_HOUSEHOLD : T_HOUSEHOLD_2;
        Sifang__V1__CaseSubmitRequest request = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
        request.channel = CHANNEL(WINDOW);
        request.item_code = (char *) items[(i / 2) % 4];
        request.requester = &requester;
        request.description = "副本并发测试";
        char id[48];
        snprintf(id, sizeof id, "replica-%d-%04d", self->index, i);
        Sifang__V1__Case *reply = NULL;
        sf_reply_info_t info;
        sf_status_t status = sf_client_call(client, "CaseSubmit", id, &request.base, &sifang__v1__case__descriptor,
                                            (ProtobufCMessage **) &reply, &info);
        if (status == SF_OK) {
            self->ids[self->ok] = reply->id;
            snprintf(self->registrations[self->ok], sizeof self->registrations[0], "%s", reply->registration_number);
            self->ok++;
            protobuf_c_message_free_unpacked(&reply->base, NULL);
        } else {
            fprintf(stderr, "replica %d: %s: %s\n", self->index, sf_status_name(status),
                    info.message ? info.message : "");
        }
    }
    sf_client_destroy(&client);
    return NULL;
}

static int
compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

/* Every id and registration number given out is one case's. */
static void
check_distinct(submitter_t *submitters, int n)
{
    int64_t all[2 * REPLICA_CASES];
    int count = 0;
    for (int s = 0; s < n; s++)
        for (int i = 0; i < submitters[s].ok; i++)
            all[count++] = submitters[s].ids[i];
    qsort(all, (size_t) count, sizeof *all, compare_ids);
    int repeats = 0;
    for (int i = 1; i < count; i++)
        repeats += all[i] == all[i - 1];
    SF_CHECK_EQ_INT(repeats, 0);
    for (int s = 0; s < n; s++)
        for (int i = 0; i < submitters[s].ok; i++) {
            char sql[200];
            snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.intake_case WHERE id = %lld"
                     " AND registration_number = '%s' AND request_id = 'replica-%d-%04d'",
                     (long long) submitters[s].ids[i], submitters[s].registrations[i], s, i);
            if (intake_count(&world, sql) != 1) {
                SF_FAIL("replica %d's case %lld (%s) is not the row it was acknowledged as", s,
                        (long long) submitters[s].ids[i], submitters[s].registrations[i]);
                return;
            }
        }
}

static void
test_two_replicas(void)
{
    /* A second intake daemon on the same database: another replica. */
    char *endpoint = sf_test_ipc_endpoint(world.dir, "replica.router");
    char *publish = sf_test_ipc_endpoint(world.dir, "replica.pub");
    char log[600];
    snprintf(log, sizeof log, "%s/replica.log", world.dir);
    if (!SF_CHECK(endpoint && publish))
        return;
    char endpoint_env[200], publish_env[200], grid_env[200], grid_publish_env[200];
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_INTAKE_ENDPOINT=%s", endpoint);
    snprintf(publish_env, sizeof publish_env, "SIFANG_INTAKE_PUBLISH=%s", publish);
    snprintf(grid_env, sizeof grid_env, "SIFANG_GRID_ENDPOINT=%s", world.grid_endpoint);
    snprintf(grid_publish_env, sizeof grid_publish_env, "SIFANG_GRID_PUBLISH=%s", world.grid_publish);
    const char *env[] = { endpoint_env, publish_env, grid_env, grid_publish_env,
                          "SIFANG_INTAKE_DATABASE_URL=user=sifang_intake", "SIFANG_INTAKE_VOLUNTEER=false", NULL };
    char path[512];
    if (!SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "intake"), 0))
        return;
    sf_test_daemon_t *replica = sf_test_daemon_start(path, env, log);
    if (!SF_CHECK(replica != NULL) || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(replica, 20000), 0))
        return;
    sf_client_t *probe = sf_client_new(endpoint, NULL);
    sf_client_set_principal(probe, "it-admin", "admin", "");
    SF_CHECK(sf_test_wait_database(probe, 20000));
    sf_client_destroy(&probe);

    static submitter_t submitters[2];
    memset(submitters, 0, sizeof submitters);
    submitters[0] = (submitter_t) { .endpoint = world.intake_endpoint, .index = 0 };
    submitters[1] = (submitter_t) { .endpoint = endpoint, .index = 1 };
    pthread_t threads[2];
    for (int s = 0; s < 2; s++)
        pthread_create(&threads[s], NULL, submit_all, &submitters[s]);
    for (int s = 0; s < 2; s++)
        pthread_join(threads[s], NULL);
    SF_CHECK_EQ_INT(submitters[0].ok, REPLICA_CASES);
    SF_CHECK_EQ_INT(submitters[1].ok, REPLICA_CASES);
    check_distinct(submitters, 2);

    /* Taken in the writing transaction, ids (and so registration numbers)
     * follow the order of registration whichever replica registers: the
     * register lists a later case after an earlier one. */
    sf_client_t *other = sf_client_new(endpoint, NULL);
    sf_client_set_principal(other, "S00001", "community", T_COMMUNITY);
    int64_t last = 0;
    for (int i = 0; i < 6; i++) {
        Sifang__V1__Case *c = SUBMIT_OK(i % 2 ? other : world.station,
                                        intake_resident_request(T_HOUSEHOLD_2, items[i % 4], CHANNEL(WINDOW), "轮流登记"));
        if (c && !SF_CHECK(c->id > last))
            fprintf(stderr, "case %d of the alternation got id %lld after %lld\n", i, (long long) c->id,
                    (long long) last);
        last = c ? c->id : last;
    }
    sf_client_destroy(&other);
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&replica), 0);

    /* And a restart of intake leaves no hole in the register: the next
     * case is numbered right after the last one written. */
    const char *extra[] = { "SIFANG_INTAKE_VOLUNTEER=false", NULL };
    if (SF_CHECK(intake_world_restart_intake(&world, extra))) {
        long long max_id = intake_count(&world, "SELECT max(id) FROM intake.intake_case");
        Sifang__V1__Case *next = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, items[1],
                                                                                   CHANNEL(WINDOW), "重启之后"));
        SF_CHECK(next != NULL && next->id == max_id + 1);
    }
    free(endpoint);
    free(publish);
}

/* PostgreSQL crashes (a backend killed with SIGKILL: the postmaster ends
 * every session and replays its WAL), intake restarts, and submissions go
 * on with ids no committed case has. */
static void
test_crash(void)
{
    long long before = intake_count(&world, "SELECT count(*) FROM intake.intake_case");
    long long max_before = intake_count(&world, "SELECT max(id) FROM intake.intake_case");
    /* Submissions right before the crash, so that the crash finds what
     * intake took for them fresh. */
    for (int i = 0; i < 5; i++)
        SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, items[i % 4], CHANNEL(WINDOW), "崩溃之前"));
    long long pid = intake_count(&world, "SELECT pg_backend_pid()");
    PGconn *victim = sf_test_pg_connect();
    long long victim_pid = victim ? sf_test_pg_int(victim, "SELECT pg_backend_pid()") : -1;
    (void) pid;
    if (!SF_CHECK(victim_pid > 0))
        return;
    SF_CHECK_EQ_INT(kill((pid_t) victim_pid, SIGKILL), 0);
    PQfinish(victim);
    /* Crash recovery: every session ends; wait until the cluster answers.
     * On a loaded machine recovery can take tens of seconds, and the tests
     * after this one (RUN_SERIAL) need the cluster back: wait long. */
    bool back = false;
    for (int waited = 0; waited < 180000 && !back; waited += 200) {
        usleep(200000);
        PQreset(world.db);
        back = PQstatus(world.db) == CONNECTION_OK && sf_test_pg_int(world.db, "SELECT 1") == 1;
    }
    if (!SF_CHECK(back))
        return;
    const char *extra[] = { "SIFANG_INTAKE_VOLUNTEER=false", NULL };
    if (!SF_CHECK(intake_world_restart_intake(&world, extra)))
        return;
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.intake_case"), before + 5);
    for (int i = 0; i < 20; i++) {
        Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(i % 2 ? T_HOUSEHOLD : T_HOUSEHOLD_2,
                                                                                items[i % 4], CHANNEL(WINDOW),
                                                                                "崩溃之后"));
        SF_CHECK(c && c->id > max_before);
    }
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.intake_case"), before + 25);
}

int
main(void)
{
    const char *extra[] = { "SIFANG_INTAKE_VOLUNTEER=false", NULL };
    if (intake_world_start(&world, "intake_integrity", extra)) {
        intake_steps_begin(&world, FIRST_FIELD_COMPARED_HERE, LAST_FIELD_COMPARED_HERE);
        test_steps_as_sql_has_them();
        test_close_closed();
        test_two_replicas();
        test_crash();
    }
    intake_steps_end();
    intake_orders_sql_release();
    intake_world_stop(&world);
    return sf_test_done();
}
