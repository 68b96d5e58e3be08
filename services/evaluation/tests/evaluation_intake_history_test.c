/* Issue 14's proof that evaluation's history of intake's cases is intake's:
 * cases registered, started, resolved, closed, rejected and transferred over
 * the last seven months (each step imported at its time, as the demo loader
 * imports them), some of their events garbled as intake wrote them before
 * it read its case columns by name, then live steps; afterwards every
 * month's intake facts (the month-end open and backlog levels, received,
 * closed, closed on time, closed by the first responder, return visits and
 * satisfaction points) for the district, its streets and its communities
 * equal the figures computed by SQL from intake's own tables (intake_case
 * and its audit trail case_history, as the superuser). Last, migration 004
 * on a database holding wrong intake facts: they are forgotten and recounted
 * from intake's whole log. */
#include "evaluation_test_district.h"
#include "sifang/v1/intake.pb-c.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The months compared: the current one and the MONTHS - 1 before it. */
#define MONTHS 8
#define CASES 42

static char dir[256];
static PGconn *conn;
static td_district_t district;
static char *grid_endpoint, *grid_publish, *intake_endpoint, *intake_publish, *eval_endpoint, *eval_publish;
static int year_now, month_now;   /* the district's (UTC+8) current month, month 1..12 */

/* The UTC milliseconds of day d, 12:00 in the district, of the month back
 * months before the current one. */
static int64_t
month_time(int back, int day)
{
    struct tm tm = { .tm_year = year_now - 1900, .tm_mon = month_now - 1 - back, .tm_mday = day, .tm_hour = 12 - 8 };
    return (int64_t) timegm(&tm) * 1000;
}

/* The period code of the month back months before the current one, and
 * the district's midnight at its start and end as timestamptz literals. */
static void
month_of(int back, char code[16], char start[40], char end[40])
{
    struct tm tm = { .tm_year = year_now - 1900, .tm_mon = month_now - 1 - back, .tm_mday = 1 };
    timegm(&tm);
    snprintf(code, 16, "%04d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100);
    snprintf(start, 40, "%s-01 00:00+08", code);
    struct tm next = { .tm_year = tm.tm_year, .tm_mon = tm.tm_mon + 1, .tm_mday = 1 };
    timegm(&next);
    snprintf(end, 40, "%04d-%02d-01 00:00+08", (next.tm_year + 1900) % 10000, (next.tm_mon + 1) % 100);
}

/* --- intake's cases ---------------------------------------------------------- */

typedef enum { STAYS_OPEN, CLOSED_LATER, REJECTED, TRANSFERRED, CLOSED_SAME_MONTH, AWAITS_VISIT, CLOSED_LIVE,
               OUTCOMES } outcome_t;

static int64_t case_ids[CASES];

static sf_status_t
step(sf_client_t *intake, const char *method, const ProtobufCMessage *request, int i)
{
    char request_id[64];
    snprintf(request_id, sizeof request_id, "history-%s-%d", method, i);
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(intake, method, request_id, request, NULL, NULL, &info);
    if (status != SF_OK)
        printf("%s of case %d: %s %s\n", method, i, sf_status_name(status), info.message);
    return status;
}

/* Imported at at_ms by actor, or live (at_ms 0). */
static Sifang__V1__CaseImport *
import_at(Sifang__V1__CaseImport *imported, int64_t at_ms, const char *actor)
{
    sifang__v1__case_import__init(imported);
    imported->at_unix_ms = at_ms;
    imported->actor_id = (char *) actor;
    return at_ms ? imported : NULL;
}

/* Case i: received back months ago (1 to 6) in a household spread over the
 * district, then its outcome's steps, each a month or so later; a step that
 * would fall in the current month waits for the live phase (live true). */
static int
case_steps(sf_client_t *intake, int i, bool live)
{
    int failed = 0;
    outcome_t outcome = (outcome_t) (i % OUTCOMES);
    int back = 1 + (i / OUTCOMES + i) % 6;
    int day = 5 + i % 20;
    const char *responder = i % 3 ? "S00001" : "S00002";
    Sifang__V1__CaseImport imported;
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = case_ids[i];
    /* (months after receipt, step) in order; a step at back - after <= 0 is live. */
    int after_start = 0, after_resolve = -1, after_close = -1, after_end = -1;
    switch (outcome) {
    case STAYS_OPEN: after_start = 1; break;
    case CLOSED_LATER: after_resolve = 1; after_close = 2; break;
    case REJECTED: after_end = 1; break;
    case TRANSFERRED: after_start = 1; after_end = 2; break;
    case CLOSED_SAME_MONTH: after_resolve = 0; after_close = 0; break;
    case AWAITS_VISIT: after_resolve = 1; break;
    case CLOSED_LIVE: after_resolve = 2; after_close = 6; break;
    default: break;
    }
    if (!live && !case_ids[i]) {
        Sifang__V1__CaseSubmitRequest submit = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
        Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
        requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
        requester.household_code = district.households[(i * 7) % district.n_households];
        requester.name = "resident";
        submit.channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW;
        submit.item_code = i % 2 ? "residence-certificate" : "pension-certification";
        submit.requester = &requester;
        submit.description = "history test case";
        submit.imported = import_at(&imported, month_time(back, day), responder);
        char request_id[64];
        snprintf(request_id, sizeof request_id, "history-submit-%d", i);
        Sifang__V1__Case *created = NULL;
        if (td_call(intake, "CaseSubmit", &submit.base, &sifang__v1__case__descriptor,
                    (ProtobufCMessage **) &created) != SF_OK)
            return 1;
        case_ids[i] = ref.id = created->id;
        protobuf_c_message_free_unpacked(&created->base, NULL);
    }
    /* Each step at its month (a few days later within it, so that steps of
     * the same month keep their order), or live. */
    int64_t at;
#define STEP_AT(after, hours) \
    (at = back - (after) > 0 ? month_time(back - (after), day) + (hours) * 3600000LL : 0, \
     live == (back - (after) <= 0))
    if (after_start >= 0 && STEP_AT(after_start, 1)) {
        Sifang__V1__CaseStepRequest start = SIFANG__V1__CASE_STEP_REQUEST__INIT;
        start.ref = &ref;
        start.note = "started";
        start.imported = import_at(&imported, at, responder);
        failed += step(intake, "CaseStart", &start.base, i) != SF_OK;
    }
    if (after_resolve >= 0 && STEP_AT(after_resolve, 2)) {
        Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
        resolve.ref = &ref;
        resolve.resolution = "done";
        resolve.imported = import_at(&imported, at, responder);
        failed += step(intake, "CaseResolve", &resolve.base, i) != SF_OK;
    }
    if (after_close >= 0 && STEP_AT(after_close, 3)) {
        Sifang__V1__CaseCloseRequest close = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
        close.ref = &ref;
        close.satisfaction = 1 + i % 5;
        close.note = close.satisfaction <= 2 ? "slow" : "";
        /* Every other closed by the other station: not its first responder. */
        close.imported = import_at(&imported, at, i % 2 ? responder : strcmp(responder, "S00001") ? "S00001" : "S00002");
        failed += step(intake, "CaseClose", &close.base, i) != SF_OK;
    }
    if (after_end >= 0 && STEP_AT(after_end, 4)) {
        if (outcome == REJECTED) {
            Sifang__V1__CaseRejectRequest reject = SIFANG__V1__CASE_REJECT_REQUEST__INIT;
            reject.ref = &ref;
            reject.reason = "not a matter for the station";
            reject.imported = import_at(&imported, at, responder);
            failed += step(intake, "CaseReject", &reject.base, i) != SF_OK;
        } else {
            Sifang__V1__CaseTransferRequest transfer = SIFANG__V1__CASE_TRANSFER_REQUEST__INIT;
            transfer.ref = &ref;
            transfer.transferred_to = "city hotline 12345";
            transfer.reason = "beyond the community's powers";
            transfer.imported = import_at(&imported, at, responder);
            failed += step(intake, "CaseTransfer", &transfer.base, i) != SF_OK;
        }
    }
#undef STEP_AT
    return failed;
}

/* Rewrites intake's step and sweep events as intake wrote them while it
 * counted its case columns by hand (one short): the transition's seq read
 * from the household code, its actor name from the audit row's seq, its
 * time from the actor's name (0). The case itself, and the actor id (the
 * step's own), were right. Returns how many were rewritten. */
static int
garble_step_events(void)
{
    PGresult *result = PQexecParams(conn,
        "SELECT seq::text, payload FROM intake.event_log WHERE payload_type = 'sifang.v1.Case' ORDER BY seq",
        0, NULL, NULL, NULL, NULL, 1);
    int garbled = 0;
    if (!SF_CHECK(PQresultStatus(result) == PGRES_TUPLES_OK)) {
        printf("%s\n", PQresultErrorMessage(result));
        PQclear(result);
        return 0;
    }
    for (int row = 0; row < PQntuples(result); row++) {
        Sifang__V1__Case *c = sifang__v1__case__unpack(NULL, (size_t) PQgetlength(result, row, 1),
                                                       (const uint8_t *) PQgetvalue(result, row, 1));
        if (!SF_CHECK(c != NULL))
            continue;
        Sifang__V1__CaseTransition *t = c->last_transition;
        if (t && t->action != SIFANG__V1__CASE_ACTION__CASE_ACTION_RECEIVED) {
            char real_seq[16];
            snprintf(real_seq, sizeof real_seq, "%d", t->seq);
            t->seq = (int32_t) strtoll(c->requester && c->requester->household_code
                                       ? c->requester->household_code : "", NULL, 10);
            t->at_unix_ms = strtoll(t->actor_name, NULL, 10);
            char *name = t->actor_name;
            t->actor_name = real_seq;
            size_t size = sifang__v1__case__get_packed_size(c);
            uint8_t *packed = malloc(size);
            sifang__v1__case__pack(c, packed);
            t->actor_name = name;
            const char *values[2] = { (const char *) packed, PQgetvalue(result, row, 0) };
            int lengths[2] = { (int) size, 0 };
            int formats[2] = { 1, 0 };
            PGresult *update = PQexecParams(conn, "UPDATE intake.event_log SET payload = $1 WHERE seq = $2", 2,
                                            NULL, values, lengths, formats, 0);
            if (SF_CHECK(PQresultStatus(update) == PGRES_COMMAND_OK && atoi(PQcmdTuples(update)) == 1))
                garbled++;
            else
                printf("event %s not rewritten: %s\n", values[1], PQresultErrorMessage(update));
            PQclear(update);
            free(packed);
        }
        protobuf_c_message_free_unpacked(&c->base, NULL);
    }
    PQclear(result);
    return garbled;
}

/* --- the comparison ---------------------------------------------------------- */

/* Each intake fact for a month, from intake's tables: %1$s the unit code
 * prefix, %2$s and %3$s the month's first and next month's first moment.
 * A case's status at a moment is the status its latest audit row before it
 * left it in; intake sets overdue only in the sweep's overdue step (action
 * 9) for an open case (and on a late resolution, when it is no longer open;
 * this test dispatches nothing), so an open case is in the backlog once
 * that step is behind it. */
#define STATUS_AT "(SELECT h.to_status FROM intake.case_history h WHERE h.case_id = c.id AND h.at < '%3$s'" \
                  " ORDER BY h.seq DESC LIMIT 1)"
#define CLOSED_IN "c.status = 6 AND c.unit_code LIKE '%1$s%%' AND c.closed_at >= '%2$s' AND c.closed_at < '%3$s'"
static const struct { const char *fact, *sql; } checks[] = {
    { "cases_open", "SELECT count(*) FROM intake.intake_case c WHERE c.unit_code LIKE '%1$s%%'"
                    " AND " STATUS_AT " BETWEEN 1 AND 4" },
    /* A case reopened for rework (action 33 or 34) after its overdue step
     * has a new deadline: it leaves the backlog until it misses that one. */
    { "cases_backlog", "SELECT count(*) FROM intake.intake_case c WHERE c.unit_code LIKE '%1$s%%'"
                       " AND " STATUS_AT " BETWEEN 1 AND 4 AND EXISTS (SELECT 1 FROM intake.case_history o"
                       "  WHERE o.case_id = c.id AND o.action = 9 AND o.at < '%3$s'"
                       "    AND NOT EXISTS (SELECT 1 FROM intake.case_history r WHERE r.case_id = c.id"
                       "                     AND r.action IN (33, 34) AND r.seq > o.seq AND r.at < '%3$s'))" },
    /* Rework (零误差) in the month it reopened the case; a missed deadline
     * in the month of the deadline (each case here misses one at most). */
    { "cases_reworked", "SELECT count(*) FROM intake.intake_case c JOIN intake.case_history r ON r.case_id = c.id"
                        " WHERE c.unit_code LIKE '%1$s%%' AND r.action IN (33, 34) AND r.at >= '%2$s' AND r.at < '%3$s'" },
    { "case_complaints", "SELECT count(*) FROM intake.intake_case c JOIN intake.case_history r ON r.case_id = c.id"
                         " WHERE c.unit_code LIKE '%1$s%%' AND r.action = 34 AND r.at >= '%2$s' AND r.at < '%3$s'" },
    { "deadlines_missed", "SELECT count(*) FROM intake.intake_case c WHERE c.unit_code LIKE '%1$s%%'"
                          " AND c.missed_at >= '%2$s' AND c.missed_at < '%3$s'" },
    { "cases_received", "SELECT count(*) FROM intake.intake_case c WHERE c.unit_code LIKE '%1$s%%'"
                        " AND c.received_at >= '%2$s' AND c.received_at < '%3$s'" },
    { "cases_closed", "SELECT count(*) FROM intake.intake_case c WHERE " CLOSED_IN },
    { "cases_closed_on_time", "SELECT count(*) FROM intake.intake_case c WHERE " CLOSED_IN
                              " AND coalesce(c.resolved_at, c.closed_at) <= c.due_at" },
    { "cases_closed_by_first_responder",
      "SELECT count(*) FROM intake.intake_case c WHERE " CLOSED_IN " AND c.first_responder_id ="
      " (SELECT h.actor_id FROM intake.case_history h WHERE h.case_id = c.id AND h.to_status = 6"
      "   ORDER BY h.seq DESC LIMIT 1)" },
    { "return_visits", "SELECT count(c.satisfaction) FROM intake.intake_case c WHERE " CLOSED_IN },
    { "satisfaction_points", "SELECT coalesce(sum(c.satisfaction), 0) FROM intake.intake_case c WHERE " CLOSED_IN },
};
#define N_CHECKS (sizeof checks / sizeof *checks)

static double
sql_value(const char *format, const char *unit, const char *start, const char *end)
{
    char sql[1400];
    snprintf(sql, sizeof sql, format, unit, start, end);
    PGresult *result = PQexec(conn, sql);
    double value = NAN;
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1)
        value = atof(PQgetvalue(result, 0, 0));
    else
        printf("%s: %s\n", sql, PQresultErrorMessage(result));
    PQclear(result);
    return value;
}

/* Every fact of every month for the district, its streets and its
 * communities, FactValues against SQL. The district's month-end open
 * levels go to open_levels (may be NULL). Returns how many were compared. */
static int
compare(sf_client_t *evaluation, const char *when, double open_levels[MONTHS])
{
    const char *units[1 + TD_STREETS + TD_STREETS * TD_COMMUNITIES];
    char streets[TD_STREETS][16];
    int n_units = 0;
    units[n_units++] = "370205";
    for (int s = 0; s < TD_STREETS; s++) {
        snprintf(streets[s], sizeof streets[s], "%.9s", district.community_codes[s * TD_COMMUNITIES]);
        units[n_units++] = streets[s];
    }
    for (int c = 0; c < TD_STREETS * TD_COMMUNITIES; c++)
        units[n_units++] = district.community_codes[c];
    int compared = 0, wrong = 0;
    for (int back = 0; back < MONTHS; back++) {
        char period[16], start[40], end[40];
        month_of(back, period, start, end);
        for (int u = 0; u < n_units; u++) {
            Sifang__V1__FactValuesRequest request = SIFANG__V1__FACT_VALUES_REQUEST__INIT;
            char *facts[N_CHECKS];
            for (size_t c = 0; c < N_CHECKS; c++)
                facts[c] = (char *) checks[c].fact;
            request.facts = facts;
            request.n_facts = N_CHECKS;
            request.period = period;
            request.unit_code = (char *) units[u];
            Sifang__V1__FactValuesReply *reply = NULL;
            if (!SF_CHECK(td_call(evaluation, "FactValues", &request.base, &sifang__v1__fact_values_reply__descriptor,
                                  (ProtobufCMessage **) &reply) == SF_OK))
                continue;
            for (size_t c = 0; c < N_CHECKS; c++) {
                double value = NAN;
                for (size_t v = 0; v < reply->n_values; v++)
                    if (strcmp(reply->values[v]->fact, checks[c].fact) == 0
                        && strcmp(reply->values[v]->unit_code, units[u]) == 0
                        && strcmp(reply->values[v]->period, period) == 0)
                        value = reply->values[v]->value;
                double expected = sql_value(checks[c].sql, units[u], start, end);
                if (!(fabs(value - expected) < 1e-9)) {
                    if (wrong++ < 40)
                        printf("%s: %s at %s in %s: evaluation %g, intake's tables %g\n", when, checks[c].fact,
                               units[u], period, value, expected);
                    SF_CHECK(false);
                }
                if (u == 0 && c == 0 && open_levels)
                    open_levels[back] = expected;
                compared++;
            }
            protobuf_c_message_free_unpacked(&reply->base, NULL);
        }
    }
    printf("%s: compared %d figures (fact x unit x month), %d differ\n", when, compared, wrong);
    return compared;
}

static sf_test_daemon_t *
start_evaluation(void)
{
    char grid_e[200], grid_p[200], intake_e[200], intake_p[200];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    snprintf(intake_e, sizeof intake_e, "SIFANG_INTAKE_ENDPOINT=%s", intake_endpoint);
    snprintf(intake_p, sizeof intake_p, "SIFANG_INTAKE_PUBLISH=%s", intake_publish);
    const char *env[] = { grid_e, grid_p, intake_e, intake_p, "SIFANG_EVALUATION_SOURCES=grid intake",
                          "SIFANG_EVALUATION_POLL_MS=200", NULL };
    return td_start("evaluation", dir, eval_endpoint, eval_publish, env);
}

static bool
caught_up(sf_client_t *evaluation)
{
    return td_wait_caught_up(evaluation, "grid", grid_endpoint, 60000)
        && td_wait_caught_up(evaluation, "intake", intake_endpoint, 60000);
}

int
main(void)
{
    if (sf_test_pg_env("evaluation_intake_history_test") != 0)
        return sf_test_done();
    sf_test_tmpdir(dir, sizeof dir);
    time_t now = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    year_now = tm.tm_year + 1900;
    month_now = tm.tm_mon + 1;
    grid_endpoint = sf_test_ipc_endpoint(dir, "grid.router");
    grid_publish = sf_test_ipc_endpoint(dir, "grid.pub");
    intake_endpoint = sf_test_ipc_endpoint(dir, "intake.router");
    intake_publish = sf_test_ipc_endpoint(dir, "intake.pub");
    eval_endpoint = sf_test_ipc_endpoint(dir, "evaluation.router");
    eval_publish = sf_test_ipc_endpoint(dir, "evaluation.pub");
    conn = sf_test_pg_connect();
    sf_test_daemon_t *grid = td_start("grid", dir, grid_endpoint, grid_publish, NULL), *intake = NULL,
                     *evaluation = NULL;
    sf_client_t *grid_client = sf_client_new(grid_endpoint, NULL), *intake_client = sf_client_new(intake_endpoint, NULL),
                *client = sf_client_new(eval_endpoint, NULL);
    sf_client_set_timeout(grid_client, 20000);
    sf_client_set_timeout(intake_client, 20000);
    sf_client_set_timeout(client, 20000);
    if (!SF_CHECK(conn && grid) || !SF_CHECK_EQ_INT(td_build(grid_client, &district), 0))
        goto cleanup;
    char grid_e[200], grid_p[200];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    /* The sweep judges imported cases at once (no grace): open cases from
     * past months are found overdue when it next runs. */
    const char *intake_env[] = { grid_e, grid_p, "SIFANG_INTAKE_GRID_POLL_MS=200", "SIFANG_INTAKE_VOLUNTEER=false",
                                 "SIFANG_INTAKE_IMPORT_GRACE_S=0",
                                 /* The sweep runs when the test asks, never between a backdated case's steps. */
                                 "SIFANG_INTAKE_SWEEP_MS=86400000", NULL };
    intake = td_start("intake", dir, intake_endpoint, intake_publish, intake_env);
    if (!SF_CHECK(intake))
        goto cleanup;
    for (int i = 0; i < 200; i++) {
        if (sf_test_pg_int(conn, "SELECT count(*) FROM intake.ref_household") == district.n_households
            && sf_test_pg_int(conn, "SELECT count(*) FROM intake.ref_staff") > 0)
            break;
        usleep(50 * 1000);
    }

    /* The past months, imported, and the sweep's verdict on them; then their
     * step events garbled as the old intake wrote them. Evaluation is away. */
    int failed = 0;
    for (int i = 0; i < CASES; i++)
        failed += case_steps(intake_client, i, false);
    SF_CHECK_EQ_INT(failed, 0);
    Sifang__V1__CaseSweepRequest sweep = SIFANG__V1__CASE_SWEEP_REQUEST__INIT;
    SF_CHECK(td_call(intake_client, "CaseSweep", &sweep.base, NULL, NULL) == SF_OK);
    int garbled = garble_step_events();
    printf("garbled %d step events\n", garbled);
    /* Backdated rejections, transfers, resolutions and closings among them,
     * and the sweep's overdue steps: each moves a level at its own time. */
    const char *exercised[] = {
        "SELECT count(*) FROM intake.case_history WHERE action = 7 AND at < date_trunc('month', now())",
        "SELECT count(*) FROM intake.case_history WHERE action = 8 AND at < date_trunc('month', now())",
        "SELECT count(*) FROM intake.case_history WHERE action = 6 AND at < date_trunc('month', now())",
        "SELECT count(*) FROM intake.case_history WHERE action = 9",
        "SELECT count(*) FROM intake.intake_case c WHERE status = 6 AND first_responder_id <>"
        " (SELECT actor_id FROM intake.case_history h WHERE h.case_id = c.id AND h.to_status = 6)",
    };
    for (size_t i = 0; i < sizeof exercised / sizeof *exercised; i++)
        if (!SF_CHECK(sf_test_pg_int(conn, exercised[i]) > 0))
            printf("not exercised: %s\n", exercised[i]);
    SF_CHECK(garbled >= CASES);

    /* Evaluation counts the log, garbled events and all. */
    evaluation = start_evaluation();
    if (!SF_CHECK(evaluation && caught_up(client)))
        goto cleanup;
    double open_levels[MONTHS] = { 0 };
    SF_CHECK(compare(client, "after the garbled events", open_levels)
             == MONTHS * (1 + TD_STREETS + TD_STREETS * TD_COMMUNITIES) * (int) N_CHECKS);
    /* The history has a shape: month-end open levels differ from month to month. */
    int distinct = 0;
    for (int a = 0; a < MONTHS; a++) {
        bool seen = false;
        for (int b = 0; b < a; b++)
            seen = seen || open_levels[b] == open_levels[a];
        distinct += !seen;
    }
    printf("district's month-end open cases, this month first:");
    for (int back = 0; back < MONTHS; back++)
        printf(" %g", open_levels[back]);
    printf("\n");
    SF_CHECK(distinct >= 4);

    /* Live steps by the repaired intake (transitions right), followed live. */
    failed = 0;
    for (int i = 0; i < CASES; i++)
        failed += case_steps(intake_client, i, true);
    SF_CHECK_EQ_INT(failed, 0);
    SF_CHECK(td_call(intake_client, "CaseSweep", &sweep.base, NULL, NULL) == SF_OK);
    if (SF_CHECK(caught_up(client)))
        compare(client, "after live steps", NULL);

    /* Migration 004 on a database whose intake facts are wrong (as the old
     * mapping left them: levels moved in the wrong months). Evaluation is
     * stopped, its intake facts are skewed and the migration is made
     * pending again; on start it forgets every intake fact and case and
     * the intake cursor, and recounts intake's whole log: the figures are
     * intake's again, not the skewed ones (nor the skewed ones plus a
     * second count). */
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    SF_CHECK(sf_test_pg_exec(conn,
        "UPDATE evaluation.fact_total SET value = value + 1000"
        " WHERE fact IN ('cases_open', 'cases_backlog', 'cases_closed', 'cases_received');"
        " DELETE FROM evaluation.schema_migrations WHERE component = 'evaluation' AND version = 4") == 0);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.event_cursor"
                                         " WHERE source = 'intake' AND last_seq > 0"), 1);
    evaluation = start_evaluation();
    if (SF_CHECK(evaluation && caught_up(client)))
        compare(client, "after migration 004", NULL);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.schema_migrations"
                                         " WHERE component = 'evaluation' AND version = 4"), 1);

cleanup:
    sf_client_destroy(&client);
    sf_client_destroy(&intake_client);
    sf_client_destroy(&grid_client);
    if (evaluation)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    if (intake)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&intake), 0);
    if (grid)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);
    if (conn)
        PQfinish(conn);
    if (!sf_test_failures())
        sf_test_rmtree(dir);
    else
        printf("logs in %s\n", dir);
    free(grid_endpoint);
    free(grid_publish);
    free(intake_endpoint);
    free(intake_publish);
    free(eval_endpoint);
    free(eval_publish);
    return sf_test_done();
}
