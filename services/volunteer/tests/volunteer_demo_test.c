/* The demo loaders end to end, small: grid's demo district at scale 0.02
 * (sifang-demo-load), then sifang-volunteer-demo-load at the same scale
 * against a real volunteer following that grid; everything loads, and a
 * second run of the volunteer loader writes nothing more. The 15-minute
 * circle as the demo shows it: providers ranked for their zones, pairing
 * proposals, the providers rated through a real intake's return visits, and
 * today's requests: intake's cases (no other dispatch in the registry)
 * offered through intake, answered in the registry (accepted, refused,
 * left unanswered), the unanswered ones timing out at their item's time
 * (3 s here: time enough for the loader to answer first) and moving on,
 * some back with the desk; intake and the registry agreeing in SQL on
 * every dispatch, step and time-out. */
#include "volunteer_test_support.h"
#include "sf_config.h"
#include "sifang/v1/intake.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static vt_world_t world;

/* Runs a loader to its end; its exit status, or -1. */
static int
run_loader(const char *path, const char *log_name)
{
    char grid_e[128], vol_e[128], intake_e[160], log_path[512];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", world.grid_endpoint);
    snprintf(vol_e, sizeof vol_e, "SIFANG_VOLUNTEER_ENDPOINT=%s", world.endpoint);
    snprintf(intake_e, sizeof intake_e, "SIFANG_INTAKE_ENDPOINT=%s", world.intake_endpoint);
    snprintf(log_path, sizeof log_path, "%s/%s.log", world.dir, log_name);
    bool circle = strstr(path, "demo-circle") != NULL;   /* takes no --wait */
    const char *argv[] = { path, "--seed", "7", "--scale", "0.02", circle ? NULL : "--wait", "60", NULL };
    const char *env[] = { grid_e, vol_e, intake_e, NULL };
    sf_test_daemon_t *loader = sf_test_daemon_start_argv(argv, env, log_path);
    if (!SF_CHECK(loader != NULL))
        return -1;
    int64_t until = sf_clock_ms() + 100000;
    while (sf_test_daemon_running(loader) && sf_clock_ms() < until)
        usleep(100 * 1000);
    int rc = sf_test_daemon_stop(&loader);
    if (rc != 0)
        printf("%s exited %d; see %s\n", path, rc, log_path);
    return rc;
}

static long long
domain_counts(void)
{
    return vt_sql_int(&world, "SELECT (SELECT count(*) FROM volunteer) + (SELECT count(*) FROM team)"
                              " + (SELECT count(*) FROM team_member) + (SELECT count(*) FROM credential)"
                              " + (SELECT count(*) FROM help_pairing) + (SELECT count(*) FROM help_contact)"
                              " + (SELECT count(*) FROM service_record) + (SELECT count(*) FROM visit)"
                              " + (SELECT count(*) FROM cobuilding) + (SELECT count(*) FROM dispatch)"
                              " + (SELECT count(*) FROM provider) + (SELECT count(*) FROM visit_follow_up)");
}

/* The circle in the loaded demo. */
static void
check_circle(void)
{
    /* Two providers a community, each serving its zones. */
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM provider"),
                    2 * vt_sql_int(&world, "SELECT count(*) FROM ref_unit WHERE kind = 3 AND code IN"
                                           " (SELECT left(code, 12) FROM ref_household)"));
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM provider WHERE cardinality(zone_codes) = 0"), 0);
    /* A provider is ranked for its own zone and skill, at a time it is open. */
    PGresult *one = PQexec(world.db, "SELECT zone_codes[1], skills[1] FROM provider ORDER BY serial LIMIT 1");
    if (SF_CHECK(PQresultStatus(one) == PGRES_TUPLES_OK && PQntuples(one) == 1)) {
        Sifang__V1__DispatchCandidatesRequest ask = SIFANG__V1__DISPATCH_CANDIDATES_REQUEST__INIT;
        ask.zone_code = PQgetvalue(one, 0, 0);
        ask.skill = PQgetvalue(one, 0, 1);
        /* Tomorrow 11:00 in the district (canteens open 10:00-13:30). */
        ask.at_unix_ms = ((sf_now_ms() / 1000 + 8 * 3600) / 86400 + 1) * 86400000LL + 3 * 3600000LL;
        ask.pool = SIFANG__V1__DISPATCH_POOL__DISPATCH_POOL_PROVIDERS;
        Sifang__V1__DispatchCandidatesReply *reply = NULL;
        if (SF_CHECK_EQ_INT(vt_call(&world, NULL, "DispatchCandidates", NULL, &ask.base,
                                    &sifang__v1__dispatch_candidates_reply__descriptor, (ProtobufCMessage **) &reply,
                                    NULL), SF_OK)) {
            SF_CHECK(reply->n_candidates >= 1 && strcmp(reply->candidates[0]->provider_id, "S000001") == 0);
            protobuf_c_message_free_unpacked(&reply->base, NULL);
        }
    }
    PQclear(one);
    /* The registry's dispatches are intake's cases': the volunteer loader
     * makes none of its own. */
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM dispatch"), 0);
    /* Pairing proposals: in a community with a household in difficulty not
     * yet paired and party members, some. */
    PGresult *where = PQexec(world.db,
        "SELECT h.community_code FROM ref_household h WHERE h.in_difficulty AND NOT EXISTS (SELECT 1 FROM help_pairing p"
        " WHERE p.active AND p.household_code = h.code) AND EXISTS (SELECT 1 FROM ref_resident r WHERE r.party_member"
        " AND left(r.household_code, 12) = h.community_code AND r.household_code <> h.code) ORDER BY 1 LIMIT 1");
    if (SF_CHECK(PQresultStatus(where) == PGRES_TUPLES_OK && PQntuples(where) == 1)) {
        Sifang__V1__PairingProposalsRequest ask = SIFANG__V1__PAIRING_PROPOSALS_REQUEST__INIT;
        ask.under = PQgetvalue(where, 0, 0);
        Sifang__V1__PairingProposalsReply *reply = NULL;
        if (SF_CHECK_EQ_INT(vt_call(&world, NULL, "PairingProposals", NULL, &ask.base,
                                    &sifang__v1__pairing_proposals_reply__descriptor, (ProtobufCMessage **) &reply,
                                    NULL), SF_OK)) {
            SF_CHECK(reply->n_proposals > 0 && reply->households > 0);
            protobuf_c_message_free_unpacked(&reply->base, NULL);
        }
    }
    PQclear(where);
}

/* The registry's dispatches for intake's cases, each against its case
 * ("intake/<id>/<attempt>"): the case names the dispatch, is in the state the
 * dispatch is in (OFFERED 1 -> 2, ACCEPTED 2 -> 3, DECLINED 3 -> 4, COMPLETED
 * 4 -> 6, CANCELLED 5 -> 8), says it is back with the desk exactly when the
 * registry gave it back, and says it timed out exactly when it is back with
 * the desk after a time-out (the registry's last event of it). How many
 * disagree. */
static const char disagreeing_sql[] =
    "SELECT count(*) FROM volunteer.dispatch d"
    "  LEFT JOIN intake.intake_case c ON c.id = split_part(d.case_ref, '/', 2)::bigint"
    "       AND c.dispatch_attempt = split_part(d.case_ref, '/', 3)::int"
    " WHERE c.id IS NULL OR c.volunteer_dispatch_id <> 'D' || lpad(d.serial::text, 8, '0')"
    "    OR c.dispatch_state <> CASE d.status WHEN 1 THEN 2 WHEN 2 THEN 3 WHEN 3 THEN 4 WHEN 4 THEN 6 ELSE 8 END"
    "    OR (d.status = 3 AND (c.dispatch_note LIKE 'returned to the desk%') <> d.returned_to_desk)"
    "    OR c.dispatch_timed_out <> (d.status = 3 AND coalesce((SELECT e.type = 'dispatch.timed_out'"
    "         FROM volunteer.event_log e WHERE e.key = 'D' || lpad(d.serial::text, 8, '0')"
    "         ORDER BY e.seq DESC LIMIT 1), false))";

/* Today's requests of the circle, as the loader left them and the offer
 * sweep moved them on: in intake and in the registry, the same. */
static void
check_offers(void)
{
    /* Every open offer times out (3 s) and moves on, back with the desk
     * after three; intake follows. */
    int64_t until = sf_clock_ms() + 30000;
    while (sf_clock_ms() < until && vt_sql_int(&world, "SELECT count(*) FROM dispatch WHERE status = 1") > 0)
        usleep(100 * 1000);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM dispatch WHERE status = 1"), 0);
    until = sf_clock_ms() + 15000;
    while (sf_clock_ms() < until && vt_sql_int(&world, disagreeing_sql) > 0)
        usleep(100 * 1000);
    SF_CHECK_EQ_INT(vt_sql_int(&world, disagreeing_sql), 0);
    printf("today's offers: %lld dispatches of intake's cases; %lld accepted, %lld served; %lld refusals and %lld"
           " time-outs as steps; %lld back with the desk (%lld after a time-out)\n",
           vt_sql_int(&world, "SELECT count(*) FROM dispatch"),
           vt_sql_int(&world, "SELECT count(*) FROM dispatch WHERE status IN (2, 4)"),
           vt_sql_int(&world, "SELECT count(*) FROM dispatch WHERE status = 4"),
           vt_sql_int(&world, "SELECT count(*) FROM event_log WHERE type = 'dispatch.declined'"),
           vt_sql_int(&world, "SELECT sum(timeouts) FROM dispatch"),
           vt_sql_int(&world, "SELECT count(*) FROM dispatch WHERE returned_to_desk"),
           vt_sql_int(&world, "SELECT count(*) FROM intake.intake_case WHERE dispatch_timed_out"));
    /* Only intake's cases: no made-up case reference left. */
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM dispatch WHERE case_ref NOT LIKE 'intake/%'"), 0);
    SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM dispatch") >= 10);
    /* Accepted (and served), refused and moved on, timed out and moved
     * on, back with the desk after refusals and after time-outs: each on
     * cases of the desk. */
    SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM intake.intake_case WHERE volunteer_dispatch_id <> ''"
                                " AND dispatch_state = 3") > 0);
    SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM intake.intake_case WHERE volunteer_dispatch_id <> ''"
                                " AND dispatch_state = 6 AND status = 5") > 0);
    SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM intake.case_history WHERE action = 13 AND actor_id = 'volunteer'"
                                " AND note LIKE '% declined: %'") > 0);
    SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM intake.case_history WHERE action = 13 AND actor_id = 'volunteer'"
                                " AND note LIKE '% did not answer in time' AND note NOT LIKE 'returned%'") > 0);
    SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM intake.intake_case WHERE dispatch_state = 4"
                                " AND dispatch_note LIKE 'returned to the desk%' AND dispatch_timed_out") > 0);
    SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM intake.intake_case WHERE dispatch_state = 4"
                                " AND dispatch_note LIKE 'returned to the desk%' AND NOT dispatch_timed_out") > 0);
    /* Step for step: every refusal and time-out in the registry is one
     * PROVIDER_DECLINED step of its case, every time-out one that says so. */
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM intake.case_history WHERE action = 13"
                                       " AND actor_id = 'volunteer'"),
                    vt_sql_int(&world, "SELECT count(*) FROM event_log WHERE type IN ('dispatch.declined',"
                                       " 'dispatch.timed_out')"));
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM intake.case_history WHERE action = 13"
                                       " AND actor_id = 'volunteer' AND note LIKE '% did not answer in time'"),
                    vt_sql_int(&world, "SELECT sum(timeouts) FROM dispatch"));
    SF_CHECK(vt_sql_int(&world, "SELECT sum(timeouts) FROM dispatch") > 0);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM intake.intake_case WHERE dispatch_state = 4"
                                       " AND dispatch_note LIKE 'returned to the desk%'"),
                    vt_sql_int(&world, "SELECT count(*) FROM dispatch WHERE returned_to_desk"));
    /* The people told, by the zones' staff who took the calls: offers
     * answered (5), not answered in time (14), back on the desk (6). */
    static const int kinds[] = { 5, 14, 6 };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        int kind = kinds[i];
        char sql[300];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.notice n JOIN intake.intake_case c ON c.id = n.case_id"
                 " WHERE c.volunteer_dispatch_id <> '' AND n.kind = %d", kind);
        if (!SF_CHECK(vt_sql_int(&world, sql) > 0))
            printf("no notice of kind %d about today's offers\n", kind);
    }
}

/* The demo's convenience items answer offers in 3 s here (their catalogue
 * times are minutes): the open offers time out within the test. */
static bool
shorten_offer_times(sf_client_t *intake_admin)
{
    static const char *const items[] = { "elderly-meal-delivery", "elderly-home-care", "housekeeping",
                                         "appliance-repair", "plumbing-electrical-repair" };
    for (size_t i = 0; i < sizeof items / sizeof *items; i++) {
        Sifang__V1__CodeRequest code = SIFANG__V1__CODE_REQUEST__INIT;
        code.code = (char *) items[i];
        Sifang__V1__ServiceItem *item = NULL;
        if (!SF_CHECK_EQ_INT(vt_call(&world, intake_admin, "ItemGet", NULL, &code.base,
                                     &sifang__v1__service_item__descriptor, (ProtobufCMessage **) &item, NULL), SF_OK))
            return false;
        item->offer_timeout_ms = 3000;
        Sifang__V1__ServiceItem *stored = NULL;
        bool ok = SF_CHECK_EQ_INT(vt_call(&world, intake_admin, "ItemPut", NULL, &item->base,
                                          &sifang__v1__service_item__descriptor, (ProtobufCMessage **) &stored, NULL),
                                  SF_OK);
        protobuf_c_message_free_unpacked(&item->base, NULL);
        if (stored)
            protobuf_c_message_free_unpacked(&stored->base, NULL);
        if (!ok)
            return false;
    }
    return true;
}

/* The circle's year through a real intake (started here on the world's
 * intake endpoint, which volunteer follows): every provider's cases
 * dispatched to it by name, visited and rated in the registry, once; then
 * today's requests offered through intake (check_offers). */
static void
check_ratings(void)
{
    char intake_e[160], intake_p[160], grid_e[128], grid_p[128], vol_e[128], vol_p[128];
    snprintf(intake_e, sizeof intake_e, "SIFANG_INTAKE_ENDPOINT=%s", world.intake_endpoint);
    snprintf(intake_p, sizeof intake_p, "SIFANG_INTAKE_PUBLISH=%s", world.intake_publish);
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", world.grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", world.grid_publish);
    snprintf(vol_e, sizeof vol_e, "SIFANG_VOLUNTEER_ENDPOINT=%s", world.endpoint);
    snprintf(vol_p, sizeof vol_p, "SIFANG_VOLUNTEER_PUBLISH=%s", world.publish);
    const char *env[] = { intake_e, intake_p, grid_e, grid_p, vol_e, vol_p, "SIFANG_INTAKE_GRID_POLL_MS=200",
                          "SIFANG_INTAKE_VOLUNTEER_POLL_MS=100", NULL };
    sf_test_daemon_t *intake = sf_test_service_start("intake", world.dir, env, 20000);
    if (!SF_CHECK(intake != NULL))
        return;
    sf_client_t *intake_admin = sf_client_new(world.intake_endpoint, NULL);
    sf_client_set_principal(intake_admin, "volunteer-demo-test", "admin", "");
    SF_CHECK(sf_test_wait_database(intake_admin, 20000));
    SF_CHECK(shorten_offer_times(intake_admin));
    /* Intake's copy of grid holds the district's households first. */
    int64_t until = sf_clock_ms() + 60000;
    while (sf_clock_ms() < until && vt_sql_int(&world, "SELECT (SELECT count(*) FROM grid.household)"
                                                       " - (SELECT count(*) FROM intake.ref_household)") != 0)
        usleep(200 * 1000);
    SF_CHECK_EQ_INT(run_loader(VOLUNTEER_DEMO_CIRCLE_PATH, "volunteer-demo-circle"), 0);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM provider WHERE rating_count = 0"), 0);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT sum(rating_count) FROM provider"),
                    vt_sql_int(&world, "SELECT count(*) FROM intake.intake_case WHERE status = 6"
                                       " AND provider_id LIKE 'S%' AND dispatch_state = 6"));
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT sum(rating_sum) FROM provider"),
                    vt_sql_int(&world, "SELECT sum(satisfaction) FROM intake.intake_case WHERE status = 6"
                                       " AND provider_id LIKE 'S%' AND dispatch_state = 6"));
    long long rated = vt_sql_int(&world, "SELECT sum(rating_count) FROM provider");
    check_offers();
    long long cases = vt_sql_int(&world, "SELECT count(*) FROM intake.intake_case");
    long long dispatches = vt_sql_int(&world, "SELECT count(*) FROM dispatch");
    /* Again: nothing sent twice, nothing rated twice. */
    SF_CHECK_EQ_INT(run_loader(VOLUNTEER_DEMO_CIRCLE_PATH, "volunteer-demo-circle-again"), 0);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT sum(rating_count) FROM provider"), rated);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM intake.intake_case"), cases);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM dispatch"), dispatches);
    sf_client_destroy(&intake_admin);
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&intake), 0);
}

/* The demo's free texts are what staff read on zh-CN pages: each holds
 * Chinese (a text of ASCII only would be English on the page), and each
 * kind of text is there to be checked. */
static void
check_texts_are_chinese(void)
{
    static const struct {
        const char *what, *texts;
    } kinds[] = {
        { "service activities", "SELECT activity FROM service_record" },
        { "credentials", "SELECT name FROM credential UNION ALL SELECT issuer FROM credential" },
        { "help contacts", "SELECT note FROM help_contact UNION ALL SELECT help_given FROM help_contact"
                           " WHERE help_given <> ''" },
        { "household visits", "SELECT note FROM visit UNION ALL SELECT help_given FROM visit WHERE help_given <> ''" },
        { "visits' follow-ups", "SELECT note FROM visit_follow_up" },
        { "co-building", "SELECT contact_name FROM cobuilding UNION ALL SELECT c->>'description' FROM cobuilding,"
                         " jsonb_array_elements(commitments) c UNION ALL SELECT c->>'unit' FROM cobuilding,"
                         " jsonb_array_elements(commitments) c" },
        { "teams", "SELECT name FROM team UNION ALL SELECT service_brand FROM team WHERE service_brand <> ''" },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        char sql[600];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s) t(text)", kinds[i].texts);
        long long all = vt_sql_int(&world, sql);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s) t(text) WHERE text !~ '[\\u4e00-\\u9fff]'",
                 kinds[i].texts);
        long long english = vt_sql_int(&world, sql);
        if (!SF_CHECK(all > 0 && english == 0))
            fprintf(stderr, "%s: %lld of %lld texts hold no Chinese\n", kinds[i].what, english, all);
    }
}

/* 走千人访千户: a department's staff visit households in the communities
 * their department is paired with (grid's pairings), and about one visit
 * in three has what followed it, some settled, none before its visit. */
static void
check_department_visits(void)
{
    long long department = vt_sql_int(&world, "SELECT count(*) FROM visit WHERE department_code <> ''");
    SF_CHECK(department > 0);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM visit w WHERE w.department_code <> '' AND NOT EXISTS"
                                       " (SELECT 1 FROM grid.pairing p WHERE p.department_code = w.department_code"
                                       " AND p.community_code = w.community_code)"), 0);
    /* Their visits spread over the paired communities, not one each. */
    SF_CHECK(vt_sql_int(&world, "SELECT count(DISTINCT (department_code, community_code)) FROM visit"
                                " WHERE department_code <> ''")
             > vt_sql_int(&world, "SELECT count(DISTINCT department_code) FROM visit WHERE department_code <> ''"));
    long long visits = vt_sql_int(&world, "SELECT count(*) FROM visit");
    long long followed = vt_sql_int(&world, "SELECT count(DISTINCT visit_serial) FROM visit_follow_up");
    if (!SF_CHECK(followed > visits / 5 && followed < visits / 2))
        printf("%lld of %lld visits followed up\n", followed, visits);
    SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM visit_follow_up WHERE done") > 0);
    SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM visit_follow_up WHERE NOT done") > 0);
    SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM visit_follow_up GROUP BY visit_serial HAVING count(*) = 2"
                                " LIMIT 1") == 2);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM visit_follow_up f JOIN visit w ON w.serial = f.visit_serial"
                                       " WHERE f.at < w.at OR f.at > now()"), 0);
}

int
main(void)
{
    const char *env[] = { "SIFANG_VOLUNTEER_OFFER_SWEEP_MS=50", NULL };
    if (vt_world_start_empty(&world, "volunteer_demo", env)) {
        char path[512];
        snprintf(path, sizeof path, "%s/tools/sifang-demo-load", sf_test_binary_dir());
        SF_CHECK_EQ_INT(run_loader(path, "grid-demo"), 0);
        SF_CHECK_EQ_INT(run_loader(VOLUNTEER_DEMO_LOAD_PATH, "volunteer-demo"), 0);
        /* 53,000 x 0.02 adults; every party member of 18 to 80 among them. */
        SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM volunteer"), 1060);
        SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM volunteer v JOIN ref_resident r ON r.id = v.resident_id"
                                           " WHERE r.party_member"),
                        vt_sql_int(&world, "SELECT count(*) FROM grid.resident WHERE party_member AND date_part('year',"
                                           " age((now() AT TIME ZONE 'Asia/Shanghai')::date, birth_date)) BETWEEN 18 AND 80"));
        SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM team"), 4);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM team_member") > 4);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM help_pairing") > 100);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM help_pairing p JOIN ref_household h ON h.code = p.household_code"
                                    " WHERE NOT h.in_difficulty") == 0);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM service_record WHERE status = 2") > 500);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM service_record WHERE status = 1") > 0);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM visit") > 0);
        check_department_visits();
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM cobuilding") > 0);
        check_texts_are_chinese();
        /* Registered inside the twelve months ending today, every one before
         * (or on the day of) their first service, not all at the load. */
        SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM volunteer WHERE registered_at > now()"
                                           " OR registered_at < now() - interval '366 days'"), 0);
        SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM volunteer v WHERE (v.registered_at AT TIME ZONE"
                                           " 'Asia/Shanghai')::date > (SELECT min(served_on) FROM service_record r"
                                           " WHERE r.volunteer_serial = v.serial)"), 0);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM volunteer WHERE registered_at < now() - interval '180 days'")
                 > 1060 / 4);
        check_circle();
        check_ratings();
        long long before = domain_counts();
        /* Again: answered from volunteer's store, nothing written twice. */
        SF_CHECK_EQ_INT(run_loader(VOLUNTEER_DEMO_LOAD_PATH, "volunteer-demo-again"), 0);
        SF_CHECK_EQ_INT(domain_counts(), before);
    }
    vt_world_stop(&world);
    return sf_test_done();
}
