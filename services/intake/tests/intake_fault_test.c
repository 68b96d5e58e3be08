/* Fault test of sifang-intake: clients submit cases as fast as they can,
 * each retrying a request with the same request id until it is answered,
 * while the daemon is killed with SIGKILL and restarted, and then while
 * its database connections are cut and refused for a while. Afterwards every acknowledged
 * case is there, with the id it was acknowledged with, no request wrote two
 * cases or two events, and resending any request gives its first reply. */
#include "intake_test_support.h"
#include "sf_config.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLIENTS 4
#define PER_CLIENT 4000

static intake_world_t world;
static atomic_bool stop_sending;
static atomic_int acknowledged_so_far;   /* by every sender, for under_load to wait on */

typedef struct {
    int index;
    int sent;                       /* requests acknowledged, in order */
    int64_t case_ids[PER_CLIENT];
    int unavailable;                /* answers that said "try again" */
    int failed;                     /* answers that were errors */
} sender_t;

static const char *const households[] = { T_HOUSEHOLD, T_HOUSEHOLD_2 };
static const char *const items[] = { "pension-certification", "elderly-allowance", "legal-aid", "dispute-mediation" };

static void
request_id(char *out, size_t size, int client, int serial)
{
    snprintf(out, size, "fault-%d-%05d", client, serial);
}

/* The request of a serial (built on the caller's stack: senders are threads). */
static void
make_request(Sifang__V1__CaseSubmitRequest *request, Sifang__V1__CaseRequester *requester, int serial)
{
    sifang__v1__case_requester__init(requester);
    sifang__v1__case_submit_request__init(request);
    requester->kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
    requester->household_code = (char *) households[serial % 2];
    request->channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW;
    request->item_code = (char *) items[(serial / 2) % 4];
    request->requester = requester;
    request->description = "故障测试";
}

/* Submits until acknowledged, resending the same request id. */
static bool
submit_until_answered(sf_client_t *client, sender_t *sender, int serial)
{
    char id[64];
    request_id(id, sizeof id, sender->index, serial);
    Sifang__V1__CaseSubmitRequest storage;
    Sifang__V1__CaseRequester requester;
    Sifang__V1__CaseSubmitRequest *request = &storage;
    make_request(request, &requester, serial);
    for (int attempt = 0; attempt < 400; attempt++) {
        Sifang__V1__Case *reply = NULL;
        sf_reply_info_t info;
        sf_status_t status = sf_client_call(client, "CaseSubmit", id, &request->base, &sifang__v1__case__descriptor,
                                            (ProtobufCMessage **) &reply, &info);
        if (status == SF_OK) {
            sender->case_ids[serial] = reply->id;
            protobuf_c_message_free_unpacked(&reply->base, NULL);
            return true;
        }
        if (status != SF_UNAVAILABLE) {
            sender->failed++;
            fprintf(stderr, "fault: %s: %s\n", sf_status_name(status), info.message ? info.message : "");
            return false;
        }
        sender->unavailable++;
        usleep(50000);
    }
    return false;
}

static void *
send_cases(void *arg)
{
    sender_t *sender = arg;
    sf_client_t *client = sf_client_new(world.intake_endpoint, NULL);
    sf_client_set_principal(client, "S00001", "community", T_COMMUNITY);
    sf_client_set_timeout(client, 500);
    sf_client_set_retries(client, 0);
    while (!atomic_load(&stop_sending) && sender->sent < PER_CLIENT) {
        if (!submit_until_answered(client, sender, sender->sent))
            break;
        sender->sent++;
        atomic_fetch_add(&acknowledged_so_far, 1);
    }
    sf_client_destroy(&client);
    return NULL;
}

/* Runs the senders while fault() happens, then checks what was written. */
static void
under_load(const char *what, void (*fault)(void))
{
    static sender_t senders[CLIENTS];
    pthread_t threads[CLIENTS];
    atomic_store(&stop_sending, false);
    atomic_store(&acknowledged_so_far, 0);
    long long before = intake_count(&world, "SELECT count(*) FROM intake.intake_case");
    for (int i = 0; i < CLIENTS; i++) {
        memset(&senders[i], 0, sizeof senders[i]);
        senders[i].index = i;
        pthread_create(&threads[i], NULL, send_cases, &senders[i]);
    }
    usleep(700000);
    fault();
    /* At least 1.5 s of sending after the fault, and then until enough was
     * acknowledged to mean something (a busy machine, a sanitizer build
     * sends slower), at most 30 s. */
    int after_fault = atomic_load(&acknowledged_so_far);
    for (int waited = 0; waited < 300; waited++) {
        usleep(100000);
        if (waited >= 15 && atomic_load(&acknowledged_so_far) - after_fault >= 60
            && atomic_load(&acknowledged_so_far) > 100)
            break;
    }
    atomic_store(&stop_sending, true);
    int acknowledged = 0, unavailable = 0, failed = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(threads[i], NULL);
        acknowledged += senders[i].sent;
        unavailable += senders[i].unavailable;
        failed += senders[i].failed;
    }
    printf("%s: %d cases acknowledged, %d answers to try again\n", what, acknowledged, unavailable);
    SF_CHECK_EQ_INT(failed, 0);
    SF_CHECK(acknowledged > 100);
    SF_CHECK(unavailable > 0);      /* the fault did happen under load */

    /* Nothing lost, nothing twice: one case and one event per request id. */
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.intake_case") - before, acknowledged);
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM (SELECT request_id FROM intake.intake_case"
                                         " WHERE request_id LIKE 'fault-%' GROUP BY request_id HAVING count(*) > 1) d"), 0);
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM (SELECT request_id FROM intake.event_log"
                                         " WHERE request_id LIKE 'fault-%' GROUP BY request_id HAVING count(*) > 1) d"), 0);
    int missing = 0, mismatched = 0;
    for (int i = 0; i < CLIENTS; i++)
        for (int serial = 0; serial < senders[i].sent; serial++) {
            char id[64], sql[200];
            request_id(id, sizeof id, i, serial);
            snprintf(sql, sizeof sql, "SELECT coalesce((SELECT id FROM intake.intake_case WHERE request_id = '%s'"
                     " AND origin = 'S00001'), -1)", id);
            long long stored = intake_count(&world, sql);
            missing += stored < 0;
            mismatched += stored >= 0 && stored != senders[i].case_ids[serial];
        }
    SF_CHECK_EQ_INT(missing, 0);
    SF_CHECK_EQ_INT(mismatched, 0);

    /* Resending any request gives its first reply. */
    sf_client_t *client = sf_client_new(world.intake_endpoint, NULL);
    sf_client_set_principal(client, "S00001", "community", T_COMMUNITY);
    int replayed = 0, same = 0, tried = 0;
    for (int i = 0; i < CLIENTS; i++)
        for (int serial = 0; serial < senders[i].sent; serial += 37) {
            char id[64];
            request_id(id, sizeof id, i, serial);
            Sifang__V1__CaseSubmitRequest storage;
            Sifang__V1__CaseRequester requester;
            Sifang__V1__CaseSubmitRequest *request = &storage;
            make_request(request, &requester, serial);
            Sifang__V1__Case *reply = NULL;
            sf_reply_info_t info;
            tried++;
            if (sf_client_call(client, "CaseSubmit", id, &request->base, &sifang__v1__case__descriptor,
                               (ProtobufCMessage **) &reply, &info) == SF_OK) {
                replayed += info.replayed;
                same += reply->id == senders[i].case_ids[serial];
                protobuf_c_message_free_unpacked(&reply->base, NULL);
            }
        }
    SF_CHECK_EQ_INT(replayed, tried);
    SF_CHECK_EQ_INT(same, tried);
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.intake_case") - before, acknowledged);
    sf_client_destroy(&client);
    /* The next round's request ids start afresh. */
    sf_test_pg_exec(world.db, "UPDATE intake.intake_case SET request_id = 'done-' || request_id"
                              " WHERE request_id LIKE 'fault-%'");
    sf_test_pg_exec(world.db, "UPDATE intake.event_log SET request_id = 'done-' || request_id"
                              " WHERE request_id LIKE 'fault-%'");
    sf_test_pg_exec(world.db, "DELETE FROM intake.request_log WHERE request_id LIKE 'fault-%'");
}

static void
kill_and_restart(void)
{
    SF_CHECK_EQ_INT(sf_test_daemon_kill(&world.intake), 128 + 9);
    usleep(200000);
    SF_CHECK(intake_world_start_intake(&world));
}

/* The database goes away under the daemon: its connections are cut and
 * refused for a while, in flight transactions lost, as a PostgreSQL
 * restart would do to it (without stopping the test cluster the other
 * tests share: pg.sh may bring it back on another port). */
static void
database_outage(void)
{
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, "REVOKE CONNECT ON DATABASE intake_fault FROM PUBLIC, sifang_intake"), 0);
    for (int i = 0; i < 8; i++) {
        SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                                  " WHERE usename = 'sifang_intake'"
                                                  /* only this test's: others share the cluster and role */
                                                  " AND datname = current_database()"), 0);
        usleep(100000);
    }
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, "GRANT CONNECT ON DATABASE intake_fault TO PUBLIC, sifang_intake"), 0);
}

int
main(void)
{
    const char *extra[] = { "SIFANG_INTAKE_VOLUNTEER=false", NULL };
    if (intake_world_start(&world, "intake_fault", extra)) {
        under_load("SIGKILL and restart", kill_and_restart);
        under_load("database connections cut and refused", database_outage);
        /* The daemon reconnected by itself and still answers. */
        SF_CHECK(sf_test_wait_database(world.admin, 10000));
    }
    intake_world_stop(&world);
    return sf_test_done();
}
