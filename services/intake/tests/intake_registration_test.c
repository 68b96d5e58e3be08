/* One registration, all services, through the real daemons: grid, intake,
 * employment and volunteer on the test cluster. Cases of 就业失业登记,
 * 就业困难人员认定 and 在职党员报到 carry the registration's data; once
 * resolved, employment makes or updates the person and volunteer registers
 * the party member, each answering with an event intake records as a step
 * and a link. Checked:
 *   - the registration's form at submission (the item's kind, the identity
 *     number against birth date and sex, length refused not cut);
 *   - every field of the person and the volunteer made, in SQL, against
 *     the case's registration in SQL; the link on the case, in its step and
 *     in its event, and in the owning service's event and link row;
 *   - a person updated by a second registration (created false);
 *   - refusals (not of working age; a volunteer of another community): the
 *     reason on the case, the case back in progress, nothing made;
 *   - the return visit refused while the answer is outstanding;
 *   - exactly once with employment (and then volunteer) killed while the
 *     registration waits and again while it applies: one person (one
 *     volunteer), one link, one answer. */
#include "intake_test_support.h"
#include "sf_config.h"
#include "sifang/v1/employment.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHANNEL(name) SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_##name
#define STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define ACTION(name) SIFANG__V1__CASE_ACTION__CASE_ACTION_##name
#define STATE(name) SIFANG__V1__CASE_REGISTRATION_STATE__CASE_REGISTRATION_STATE_##name
#define KIND(name) SIFANG__V1__CASE_REGISTRATION_KIND__CASE_REGISTRATION_KIND_##name
#define LABOR(name) SIFANG__V1__LABOR_STATUS__LABOR_STATUS_##name
#define DIFFICULTY(name) SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_##name
#define FEMALE SIFANG__V1__GENDER__GENDER_FEMALE
#define MALE SIFANG__V1__GENDER__GENDER_MALE

static intake_world_t world;
static char hr_staff[16];   /* the human-resources department's officer (grid's staff id) */
static char dir[256];
static char *employment_endpoint, *employment_publish;
static sf_test_daemon_t *employment, *volunteer;
static char employment_log[320], volunteer_log[320];
static sf_client_t *registry_admin;

/* The district's people who register. */
typedef struct {
    const char *household, *name, *birth_date;
    int gender;
    bool party_member;
    char id_number[19];
    char resident_id[16];
} person_t;

static person_t unemployed = { T_HOUSEHOLD, "王建国", "1972-05-04", MALE, false, "", "" };
static person_t certified = { T_HOUSEHOLD_2, "李秀兰", "1980-03-02", FEMALE, false, "", "" };
static person_t member = { T_HOUSEHOLD, "张红梅", "1985-11-20", FEMALE, true, "", "" };
static person_t retired = { T_HOUSEHOLD, "赵德福", "1950-01-15", MALE, false, "", "" };
static person_t elsewhere = { T_HOUSEHOLD_B, "陈志强", "1978-07-09", MALE, true, "", "" };
static person_t killed = { T_HOUSEHOLD_2, "刘伟", "1990-09-30", MALE, false, "", "" };
static person_t young = { T_HOUSEHOLD_2, "孙立新", "1981-06-01", MALE, false, "", "" };
static person_t reporting = { T_HOUSEHOLD_2, "周丽华", "1983-08-16", FEMALE, true, "", "" };

/* GB 11643: 17 digits (area, birth date, sequence with the sex in its
 * last digit) and the check character. */
static void
make_id_number(person_t *p, int sequence)
{
    char digits[64];
    snprintf(digits, sizeof digits, "370205%.4s%.2s%.2s%02d%d", p->birth_date, p->birth_date + 5,
             p->birth_date + 8, sequence % 100, p->gender == MALE ? 1 : 2);
    digits[17] = 0;
    static const int weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (digits[i] - '0') * weights[i];
    memcpy(p->id_number, digits, 17);
    p->id_number[17] = "10X98765432"[sum % 11];
    p->id_number[18] = 0;
}

static bool
create_resident(person_t *p, int sequence)
{
    make_id_number(p, sequence);
    Sifang__V1__Resident resident = SIFANG__V1__RESIDENT__INIT;
    resident.household_code = (char *) p->household;
    resident.name = (char *) p->name;
    resident.gender = p->gender;
    resident.birth_date = (char *) p->birth_date;
    resident.id_number = p->id_number;
    resident.party_member = p->party_member;
    resident.relation = "head";
    Sifang__V1__Resident *created = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(sf_client_call(world.grid_admin, "ResidentCreate", NULL, &resident.base,
                                        &sifang__v1__resident__descriptor, (ProtobufCMessage **) &created, &info),
                         SF_OK)) {
        printf("grid ResidentCreate: %s\n", info.message ? info.message : "");
        return false;
    }
    snprintf(p->resident_id, sizeof p->resident_id, "%s", created->id);
    protobuf_c_message_free_unpacked(&created->base, NULL);
    return true;
}

static sf_test_daemon_t *
start_employment(void)
{
    char path[512], endpoint[300], publish[300], grid_endpoint[300], grid_publish[300], intake_endpoint[300],
        intake_publish[300];
    if (!SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "employment"), 0))
        return NULL;
    snprintf(endpoint, sizeof endpoint, "SIFANG_EMPLOYMENT_ENDPOINT=%s", employment_endpoint);
    snprintf(publish, sizeof publish, "SIFANG_EMPLOYMENT_PUBLISH=%s", employment_publish);
    snprintf(grid_endpoint, sizeof grid_endpoint, "SIFANG_GRID_ENDPOINT=%s", world.grid_endpoint);
    snprintf(grid_publish, sizeof grid_publish, "SIFANG_GRID_PUBLISH=%s", world.grid_publish);
    snprintf(intake_endpoint, sizeof intake_endpoint, "SIFANG_INTAKE_ENDPOINT=%s", world.intake_endpoint);
    snprintf(intake_publish, sizeof intake_publish, "SIFANG_INTAKE_PUBLISH=%s", world.intake_publish);
    const char *env[] = { endpoint, publish, grid_endpoint, grid_publish, intake_endpoint, intake_publish,
                          "SIFANG_EMPLOYMENT_DATABASE_URL=user=sifang_employment",
                          "SIFANG_EMPLOYMENT_GRID_POLL_MS=200", NULL };
    sf_test_daemon_t *daemon = sf_test_daemon_start(path, env, employment_log);
    if (!SF_CHECK(daemon != NULL) || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(daemon, 20000), 0))
        return daemon;
    return daemon;
}

static bool
start_volunteer(void)
{
    char path[512], endpoint[300], publish[300], grid_endpoint[300], grid_publish[300], intake_endpoint[300],
        intake_publish[300];
    if (!SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "volunteer"), 0))
        return false;
    snprintf(endpoint, sizeof endpoint, "SIFANG_VOLUNTEER_ENDPOINT=%s", world.volunteer_endpoint);
    snprintf(publish, sizeof publish, "SIFANG_VOLUNTEER_PUBLISH=%s", world.volunteer_publish);
    snprintf(grid_endpoint, sizeof grid_endpoint, "SIFANG_GRID_ENDPOINT=%s", world.grid_endpoint);
    snprintf(grid_publish, sizeof grid_publish, "SIFANG_GRID_PUBLISH=%s", world.grid_publish);
    snprintf(intake_endpoint, sizeof intake_endpoint, "SIFANG_INTAKE_ENDPOINT=%s", world.intake_endpoint);
    snprintf(intake_publish, sizeof intake_publish, "SIFANG_INTAKE_PUBLISH=%s", world.intake_publish);
    const char *env[] = { endpoint, publish, grid_endpoint, grid_publish, intake_endpoint, intake_publish,
                          "SIFANG_VOLUNTEER_DATABASE_URL=user=sifang_volunteer",
                          "SIFANG_VOLUNTEER_GRID_POLL_MS=200", "SIFANG_VOLUNTEER_INTAKE_POLL_MS=200", NULL };
    volunteer = sf_test_daemon_start(path, env, volunteer_log);
    return SF_CHECK(volunteer != NULL) && SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(volunteer, 20000), 0)
        && SF_CHECK(sf_test_wait_database(registry_admin, 20000));
}

/* A registration of p as the clerk fills it in. */
static Sifang__V1__CaseRegistration *
registration_of(const person_t *p)
{
    static Sifang__V1__CaseRegistration pool[32];
    static size_t used;
    Sifang__V1__CaseRegistration *r = &pool[used++ % 32];
    sifang__v1__case_registration__init(r);
    r->resident_id = (char *) p->resident_id;
    r->id_number = (char *) p->id_number;
    r->name = (char *) p->name;
    r->birth_date = (char *) p->birth_date;
    r->gender = p->gender;
    r->phone = "13905320001";
    r->household_code = (char *) p->household;
    return r;
}

static Sifang__V1__CaseSubmitRequest *
request_of(const char *item, const person_t *p, Sifang__V1__CaseRegistration *registration)
{
    /* The station registers it at its window; the requester's household
     * is in the station's community (the member of another community
     * reports at T_HOUSEHOLD's). */
    Sifang__V1__CaseSubmitRequest *request = intake_resident_request(
        strcmp(p->household, T_HOUSEHOLD_B) == 0 ? T_HOUSEHOLD : p->household, item, CHANNEL(WINDOW),
        "窗口登记");
    request->requester->name = (char *) p->name;
    request->registration = registration;
    return request;
}

static sf_status_t
submit(const Sifang__V1__CaseSubmitRequest *request, Sifang__V1__Case **case_p, sf_reply_info_t *info)
{
    return intake_call(world.station, "CaseSubmit", NULL, &request->base, &sifang__v1__case__descriptor, case_p,
                       info);
}

static Sifang__V1__Case *
resolve(int64_t id)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = id;
    Sifang__V1__CaseResolveRequest request = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    request.ref = &ref;
    request.resolution = "材料齐全，准予登记";
    Sifang__V1__Case *resolved = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(intake_call(world.station, "CaseResolve", NULL, &request.base,
                                     &sifang__v1__case__descriptor, &resolved, &info), SF_OK))
        printf("CaseResolve: %s\n", info.message ? info.message : "");
    return resolved;
}

static sf_status_t
close_case(int64_t id, sf_reply_info_t *info)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = id;
    Sifang__V1__CaseCloseRequest request = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    request.ref = &ref;
    request.satisfaction = 5;
    Sifang__V1__Case *closed = NULL;
    return intake_call(world.station, "CaseClose", NULL, &request.base, &sifang__v1__case__descriptor, &closed, info);
}

static Sifang__V1__Case *
get_case(int64_t id)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = id;
    Sifang__V1__Case *c = NULL;
    intake_call(world.station, "CaseGet", NULL, &ref.base, &sifang__v1__case__descriptor, &c, NULL);
    return c;
}

/* Waits until the case's registration is answered (linked or refused). */
static long long
wait_answer(int64_t id, int timeout_ms)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT CASE WHEN state IN (3, 4) THEN 1 ELSE 0 END FROM intake.case_registration"
             " WHERE case_id = %lld", (long long) id);
    intake_wait_count(&world, sql, 1, timeout_ms);
    snprintf(sql, sizeof sql, "SELECT state FROM intake.case_registration WHERE case_id = %lld", (long long) id);
    return intake_count(&world, sql);
}

/* One text of the first row of a query (superuser), in static memory. */
static const char *
sql_text(const char *format, ...)
{
    static char value[64][512];   /* a ring: a value lives for 63 more calls */
    static int next;
    char sql[2000];
    va_list args;
    va_start(args, format);
    vsnprintf(sql, sizeof sql, format, args);
    va_end(args);
    char *out = value[next++ % 64];
    out[0] = 0;
    PGresult *result = PQexec(world.db, sql);
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0)
        snprintf(out, 512, "%s", PQgetvalue(result, 0, 0));
    else if (PQresultStatus(result) != PGRES_TUPLES_OK)
        SF_FAIL("%s: %s", sql, PQerrorMessage(world.db));
    PQclear(result);
    return out;
}

/* The case's events after head, of the type given: how many, and the last. */
static int
intake_events(int64_t head, const char *type, int64_t id, Sifang__V1__Case **last)
{
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = head;
    fetch.limit = 10000;
    Sifang__V1__EventsFetchReply *reply = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(world.admin, "Sys.EventsFetch", NULL, &fetch.base,
                                     &sifang__v1__events_fetch_reply__descriptor, &reply, NULL), SF_OK))
        return -1;
    int n = 0;
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long) id);
    for (size_t i = 0; i < reply->n_events; i++) {
        const Sifang__V1__Event *event = reply->events[i];
        if (strcmp(event->type, type) != 0 || strcmp(event->key, key) != 0)
            continue;
        n++;
        if (last)
            *last = intake_keep(&sifang__v1__case__unpack(NULL, event->payload.len, event->payload.data)->base);
    }
    return n;
}

/* The registration on the case (reply or event) against the row in SQL,
 * field by field. */
static void
check_registration_row(const Sifang__V1__CaseRegistration *r, int64_t id, bool event)
{
    if (!SF_CHECK(r != NULL))
        return;
    char where[64];
    snprintf(where, sizeof where, "FROM intake.case_registration WHERE case_id = %lld", (long long) id);
    SF_CHECK_EQ_INT(r->kind, atoi(sql_text("SELECT kind %s", where)));
    SF_CHECK_EQ_STR(r->resident_id, sql_text("SELECT resident_id %s", where));
    SF_CHECK_EQ_STR(r->id_number, "");
    SF_CHECK_EQ_STR(r->id_number_masked, sql_text("SELECT id_number_masked %s", where));
    SF_CHECK_EQ_STR(r->name, sql_text("SELECT name %s", where));
    SF_CHECK_EQ_STR(r->birth_date, sql_text("SELECT birth_date %s", where));
    SF_CHECK_EQ_INT(r->gender, atoi(sql_text("SELECT gender %s", where)));
    /* Events never carry a phone in the clear. */
    SF_CHECK_EQ_STR(r->phone, event ? "139****0001" : sql_text("SELECT phone %s", where));
    SF_CHECK_EQ_STR(r->household_code, sql_text("SELECT household_code %s", where));
    SF_CHECK_EQ_INT(r->labor_status, atoi(sql_text("SELECT labor_status %s", where)));
    char difficulties[64] = "{";
    for (size_t i = 0; i < r->n_difficulties; i++)
        snprintf(difficulties + strlen(difficulties), sizeof difficulties - strlen(difficulties), "%s%d", i ? "," : "",
                 r->difficulties[i]);
    strcat(difficulties, "}");
    SF_CHECK_EQ_STR(difficulties, sql_text("SELECT difficulties %s", where));
    SF_CHECK_EQ_INT(r->seeking_work, strcmp(sql_text("SELECT seeking_work %s", where), "t") == 0);
    SF_CHECK_EQ_STR(r->party_organisation, sql_text("SELECT party_organisation %s", where));
    SF_CHECK_EQ_STR(r->disability_certificate, sql_text("SELECT disability_certificate %s", where));
    SF_CHECK_EQ_INT(r->state, atoi(sql_text("SELECT state %s", where)));
    SF_CHECK_EQ_STR(r->service, sql_text("SELECT service %s", where));
    SF_CHECK_EQ_STR(r->linked_id, sql_text("SELECT linked_id %s", where));
    SF_CHECK_EQ_STR(r->refusal, sql_text("SELECT refusal %s", where));
    SF_CHECK_EQ_INT(r->created, strcmp(sql_text("SELECT created %s", where), "t") == 0);
    SF_CHECK_EQ_INT(r->answered_unix_ms,
                    atoll(sql_text("SELECT coalesce((extract(epoch FROM answered_at) * 1000)::bigint, 0) %s", where)));
}

/* The person employment made, in SQL, against the case's registration in
 * SQL: who (grid's copy of the resident: name, sex, birth date, household),
 * the status, the categories, seeking work; and the link both sides keep. */
static void
check_person(int64_t id, bool created)
{
    char where[80];
    snprintf(where, sizeof where, "FROM intake.case_registration r WHERE r.case_id = %lld", (long long) id);
    char resident[32];
    snprintf(resident, sizeof resident, "%s", sql_text("SELECT resident_id %s", where));
    char person[200];
    snprintf(person, sizeof person,
             "FROM employment.person p JOIN employment.ref_resident g ON g.id = p.resident_id WHERE p.resident_id = '%s'",
             resident);
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) %s", person), "1");
    SF_CHECK_EQ_STR(sql_text("SELECT linked_id %s", where), resident);
    SF_CHECK_EQ_STR(sql_text("SELECT g.name %s", person), sql_text("SELECT name %s", where));
    SF_CHECK_EQ_STR(sql_text("SELECT g.gender %s", person), sql_text("SELECT gender %s", where));
    SF_CHECK_EQ_STR(sql_text("SELECT g.birth_date %s", person), sql_text("SELECT birth_date %s", where));
    SF_CHECK_EQ_STR(sql_text("SELECT g.household_code %s", person), sql_text("SELECT household_code %s", where));
    SF_CHECK_EQ_STR(sql_text("SELECT p.status %s", person), sql_text("SELECT labor_status %s", where));
    SF_CHECK_EQ_STR(sql_text("SELECT p.seeking_work %s", person), sql_text("SELECT seeking_work %s", where));
    /* The person holds at least the categories the case claimed. */
    SF_CHECK_EQ_STR(sql_text("SELECT p.difficulties::int[] @> (SELECT r.difficulties::int[] %s) %s", where, person),
                    "t");
    SF_CHECK_EQ_STR(sql_text("SELECT created %s", where), created ? "t" : "f");
    /* Employment's side of the link: one answer for the case. */
    const char *row = sql_text("SELECT string_agg(format('%%s %%s %%s %%s', case_ref, case_version, resident_id, outcome), '; ')"
                               " FROM employment.case_registration");
    if (!*row)
        row = "none";
    if (!SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM employment.case_registration WHERE case_ref = 'intake/%lld'"
                             " AND resident_id = '%s' AND outcome = %d", (long long) id, resident, created ? 1 : 2),
                    "1"))
        SF_FAIL("employment's links: %s", row);
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM employment.event_log WHERE type = 'registration.linked'"
                             " AND key = 'intake/%lld'", (long long) id), "1");
}

/* The answer as the handler sees it: the case, its step and its event. */
static void
check_answer_on_case(int64_t id, int64_t head, Sifang__V1__CaseAction action, const char *service)
{
    Sifang__V1__Case *c = get_case(id);
    if (!SF_CHECK(c != NULL))
        return;
    check_registration_row(c->registration, id, false);
    /* The step, last in the case's history: by the service, saying what
     * it made or why it refused. */
    char last[160];
    snprintf(last, sizeof last, "FROM intake.case_history WHERE case_id = %lld ORDER BY seq DESC LIMIT 1",
             (long long) id);
    SF_CHECK_EQ_INT(atoi(sql_text("SELECT action %s", last)), action);
    SF_CHECK_EQ_STR(sql_text("SELECT actor_id %s", last), service);
    char note[512];
    snprintf(note, sizeof note, "%s", sql_text("SELECT note %s", last));
    SF_CHECK(strstr(note, action == ACTION(REGISTRATION_LINKED) ? c->registration->linked_id
                                                                 : c->registration->refusal) != NULL);
    Sifang__V1__Case *event = NULL;
    SF_CHECK_EQ_INT(intake_events(head, action == ACTION(REGISTRATION_LINKED) ? "case.registration_linked"
                                                                               : "case.registration_refused", id,
                                  &event), 1);
    if (event && SF_CHECK(event->last_transition != NULL)) {
        check_registration_row(event->registration, id, true);
        SF_CHECK_EQ_INT(event->status, c->status);
        SF_CHECK_EQ_INT(event->version, c->version);
        SF_CHECK_EQ_INT(event->last_transition->action, action);
        SF_CHECK_EQ_STR(event->last_transition->actor_id, service);
        SF_CHECK_EQ_STR(event->last_transition->note, note);
        SF_CHECK_EQ_INT(event->last_transition->seq, atoi(sql_text("SELECT seq %s", last)));
    }
}

/* A case received through a resident's own channel is accepted by the
 * station, which may correct its item: not into a registration the case
 * does not carry, nor out of the one it does. */
static void
accept_under(int64_t id, const char *item, sf_status_t want)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = id;
    Sifang__V1__CaseAcceptRequest accept = SIFANG__V1__CASE_ACCEPT_REQUEST__INIT;
    accept.ref = &ref;
    accept.item_code = (char *) item;
    Sifang__V1__Case *accepted = NULL;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseAccept", NULL, &accept.base, &sifang__v1__case__descriptor,
                                &accepted, &info), want);
    if (want != SF_OK)
        SF_CHECK(intake_has_violation(&info, "item_code"));
}

static void
test_acceptance(void)
{
    Sifang__V1__Case *plain = NULL, *registration = NULL;
    Sifang__V1__CaseSubmitRequest *request = request_of("legal-aid", &unemployed, NULL);
    request->channel = CHANNEL(WEBSITE);
    if (!SF_CHECK_EQ_INT(intake_call(world.gateway, "CaseSubmit", NULL, &request->base, &sifang__v1__case__descriptor,
                                     &plain, NULL), SF_OK))
        return;
    accept_under(plain->id, "unemployment-registration", SF_FAILED_PRECONDITION);
    Sifang__V1__CaseRegistration *r = registration_of(&retired);
    r->labor_status = LABOR(UNEMPLOYED);
    request = request_of("unemployment-registration", &retired, r);
    request->channel = CHANNEL(WEBSITE);
    if (!SF_CHECK_EQ_INT(intake_call(world.gateway, "CaseSubmit", NULL, &request->base, &sifang__v1__case__descriptor,
                                     &registration, NULL), SF_OK))
        return;
    SF_CHECK_EQ_INT(registration->status, STATUS(RECEIVED));
    accept_under(registration->id, "legal-aid", SF_FAILED_PRECONDITION);
    accept_under(registration->id, "employment-difficulty-certification", SF_FAILED_PRECONDITION);
    accept_under(registration->id, "", SF_OK);
    /* Rejected, its registration never goes anywhere. */
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = registration->id;
    Sifang__V1__CaseRejectRequest reject = SIFANG__V1__CASE_REJECT_REQUEST__INIT;
    reject.ref = &ref;
    reject.reason = "本人未到场";
    Sifang__V1__Case *rejected = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseReject", NULL, &reject.base, &sifang__v1__case__descriptor,
                                &rejected, NULL), SF_OK);
    SF_CHECK_EQ_STR(sql_text("SELECT state FROM intake.case_registration WHERE case_id = %lld",
                             (long long) registration->id), "1");
}

static void
test_form(void)
{
    sf_reply_info_t info;
    Sifang__V1__Case *c = NULL;
    /* A registration item without its registration. */
    Sifang__V1__CaseSubmitRequest *request = request_of("unemployment-registration", &unemployed, NULL);
    SF_CHECK_EQ_INT(submit(request, &c, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "registration"));
    /* A registration for an item that is none. */
    request = request_of("legal-aid", &unemployed, registration_of(&unemployed));
    SF_CHECK_EQ_INT(submit(request, &c, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "registration"));
    /* The identity number's birth date and sex are the ones written down. */
    Sifang__V1__CaseRegistration *r = registration_of(&unemployed);
    r->birth_date = "1972-05-05";
    r->labor_status = LABOR(UNEMPLOYED);
    SF_CHECK_EQ_INT(submit(request_of("unemployment-registration", &unemployed, r), &c, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "registration.birth_date"));
    r = registration_of(&unemployed);
    r->gender = FEMALE;
    r->labor_status = LABOR(UNEMPLOYED);
    SF_CHECK_EQ_INT(submit(request_of("unemployment-registration", &unemployed, r), &c, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "registration.gender"));
    r = registration_of(&unemployed);
    r->id_number = "370205197205041230";   /* a wrong check character */
    r->labor_status = LABOR(UNEMPLOYED);
    SF_CHECK_EQ_INT(submit(request_of("unemployment-registration", &unemployed, r), &c, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "registration.id_number"));
    /* Too long is refused, never cut. */
    r = registration_of(&unemployed);
    r->labor_status = LABOR(UNEMPLOYED);
    r->name = "王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王";
    SF_CHECK_EQ_INT(submit(request_of("unemployment-registration", &unemployed, r), &c, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "registration.name"));
    /* What each kind needs. */
    r = registration_of(&unemployed);
    SF_CHECK_EQ_INT(submit(request_of("unemployment-registration", &unemployed, r), &c, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "registration.labor_status"));
    r = registration_of(&certified);
    SF_CHECK_EQ_INT(submit(request_of("employment-difficulty-certification", &certified, r), &c, &info),
                    SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "registration.difficulties"));
    r = registration_of(&member);
    SF_CHECK_EQ_INT(submit(request_of("in-service-member-registration", &member, r), &c, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "registration.party_organisation"));
    /* The answer is the service's, not the clerk's. */
    r = registration_of(&member);
    r->party_organisation = "青岛港集团党委";
    r->linked_id = "V000001";
    SF_CHECK_EQ_INT(submit(request_of("in-service-member-registration", &member, r), &c, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "registration"));
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM intake.case_registration"), "0");
    test_acceptance();
}

/* Submits, checks the reply against SQL, resolves; the case's id. */
static int64_t
submit_and_resolve(const char *item, const person_t *p, Sifang__V1__CaseRegistration *r)
{
    Sifang__V1__Case *c = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(submit(request_of(item, p, r), &c, &info), SF_OK)) {
        fprintf(stderr, "CaseSubmit %s: %s\n", item, info.message ? info.message : "");
        return 0;
    }
    SF_CHECK_EQ_INT(c->registration ? c->registration->state : 0, STATE(WAITING));
    check_registration_row(c->registration, c->id, false);
    Sifang__V1__Case *resolved = resolve(c->id);
    SF_CHECK_EQ_INT(resolved && resolved->registration ? resolved->registration->state : 0, STATE(SENT));
    return c->id;
}

static void
test_employment(void)
{
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__CaseRegistration *r = registration_of(&unemployed);
    r->labor_status = LABOR(UNEMPLOYED);
    r->seeking_work = true;
    int64_t registered = submit_and_resolve("unemployment-registration", &unemployed, r);
    r = registration_of(&certified);
    static Sifang__V1__DifficultyCategory aged[] = { DIFFICULTY(AGED_4050) };
    r->difficulties = aged;
    r->n_difficulties = 1;
    r->seeking_work = true;
    int64_t certification = submit_and_resolve("employment-difficulty-certification", &certified, r);
    r = registration_of(&retired);
    r->labor_status = LABOR(UNEMPLOYED);
    int64_t too_old = submit_and_resolve("unemployment-registration", &retired, r);

    SF_CHECK_EQ_INT(wait_answer(registered, 15000), STATE(LINKED));
    check_person(registered, true);
    check_answer_on_case(registered, head, ACTION(REGISTRATION_LINKED), "employment");
    SF_CHECK_EQ_INT(wait_answer(certification, 15000), STATE(LINKED));
    check_person(certification, true);
    check_answer_on_case(certification, head, ACTION(REGISTRATION_LINKED), "employment");
    /* Answered: the return visit closes the case. */
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(close_case(registered, &info), SF_OK);

    /* Refused: the reason on the case, which is back with its handler,
     * and no person. */
    SF_CHECK_EQ_INT(wait_answer(too_old, 15000), STATE(REFUSED));
    Sifang__V1__Case *c = get_case(too_old);
    if (!SF_CHECK(c != NULL))
        return;
    SF_CHECK_EQ_INT(c->status, STATUS(IN_PROGRESS));
    SF_CHECK_EQ_INT(c->resolved_unix_ms, 0);
    /* Its handler must act now, not the return visit. */
    SF_CHECK(c->waiting_on && c->assignee && c->waiting_on->kind == c->assignee->kind
             && strcmp(c->waiting_on->code, c->assignee->code) == 0 && strcmp(c->waiting_on->route, "assignee") == 0);
    SF_CHECK(c->registration && strstr(c->registration->refusal, "working age") != NULL);
    check_answer_on_case(too_old, head, ACTION(REGISTRATION_REFUSED), "employment");
    /* The handler it now waits on is told it is back for rework (重新办理). */
    char last_refusal[200];
    snprintf(last_refusal, sizeof last_refusal, "SELECT max(seq) FROM intake.case_history WHERE case_id = %lld"
             " AND action = %d", (long long) too_old, ACTION(REGISTRATION_REFUSED));
    char told[80];
    snprintf(told, sizeof told, "S00001:9:first_responder %s:%d:assignee", hr_staff,
             SIFANG__V1__NOTICE_KIND__NOTICE_KIND_REOPENED);
    intake_check_step_notices(&world, head, too_old, (int) intake_count(&world, last_refusal), told, __LINE__);
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM employment.person WHERE resident_id = '%s'", retired.resident_id), "0");
    SF_CHECK_EQ_STR(sql_text("SELECT refusal FROM employment.case_registration WHERE case_ref = 'intake/%lld'"
                             " AND outcome = 3", (long long) too_old), c->registration ? c->registration->refusal : "");
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM employment.event_log WHERE type = 'registration.refused'"
                             " AND key = 'intake/%lld'", (long long) too_old), "1");

    /* A category its rule refuses (4050: a man of 45): the rule's words
     * on the case, no person. */
    r = registration_of(&young);
    r->difficulties = aged;
    r->n_difficulties = 1;
    int64_t bad_category = submit_and_resolve("employment-difficulty-certification", &young, r);
    SF_CHECK_EQ_INT(wait_answer(bad_category, 15000), STATE(REFUSED));
    check_answer_on_case(bad_category, head, ACTION(REGISTRATION_REFUSED), "employment");
    const char *rule = "difficulties[0]: 4050 is for women aged 40 or more and men aged 50 or more: he is 45 on ";
    SF_CHECK_EQ_INT(strncmp(sql_text("SELECT refusal FROM intake.case_registration WHERE case_id = %lld",
                                     (long long) bad_category), rule, strlen(rule)), 0);
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM employment.person WHERE resident_id = '%s'", young.resident_id), "0");

    /* A second registration of a known person updates it. */
    r = registration_of(&unemployed);
    r->difficulties = aged;
    r->n_difficulties = 1;
    r->seeking_work = true;
    int64_t update = submit_and_resolve("employment-difficulty-certification", &unemployed, r);
    SF_CHECK_EQ_INT(wait_answer(update, 15000), STATE(LINKED));
    check_person(update, false);
    check_answer_on_case(update, head, ACTION(REGISTRATION_LINKED), "employment");
    SF_CHECK_EQ_STR(sql_text("SELECT difficulties FROM employment.person WHERE resident_id = '%s'",
                             unemployed.resident_id), "{1}");
}

static void
test_volunteer(void)
{
    int64_t head = sf_test_event_head(world.admin);
    /* The member of another community is its volunteer already. */
    Sifang__V1__VolunteerProfile profile = SIFANG__V1__VOLUNTEER_PROFILE__INIT;
    profile.resident_id = elsewhere.resident_id;
    Sifang__V1__VolunteerProfile *known = NULL;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(intake_call(registry_admin, "VolunteerRegister", NULL, &profile.base,
                                &sifang__v1__volunteer_profile__descriptor, &known, &info), SF_OK);

    Sifang__V1__CaseRegistration *r = registration_of(&member);
    r->party_organisation = "青岛港集团党委";
    int64_t reported = submit_and_resolve("in-service-member-registration", &member, r);
    r = registration_of(&elsewhere);
    r->party_organisation = "市第一医院党委";
    int64_t refused = submit_and_resolve("in-service-member-registration", &elsewhere, r);

    SF_CHECK_EQ_INT(wait_answer(reported, 15000), STATE(LINKED));
    check_answer_on_case(reported, head, ACTION(REGISTRATION_LINKED), "volunteer");
    /* Every field of the volunteer made against the case's registration. */
    char where[80];
    snprintf(where, sizeof where, "FROM intake.case_registration r WHERE r.case_id = %lld", (long long) reported);
    const char *linked = sql_text("SELECT linked_id %s", where);
    const char *serial = sql_text("SELECT serial FROM volunteer.volunteer WHERE resident_id = '%s'", member.resident_id);
    char id[16];
    snprintf(id, sizeof id, "V%06lld", atoll(serial));
    SF_CHECK_EQ_STR(linked, id);
    char volunteer_row[160];
    snprintf(volunteer_row, sizeof volunteer_row, "FROM volunteer.volunteer v JOIN volunteer.ref_resident g"
             " ON g.id = v.resident_id WHERE v.serial = %s", serial);
    SF_CHECK_EQ_STR(sql_text("SELECT v.resident_id %s", volunteer_row), sql_text("SELECT resident_id %s", where));
    SF_CHECK_EQ_STR(sql_text("SELECT g.name %s", volunteer_row), sql_text("SELECT name %s", where));
    SF_CHECK_EQ_STR(sql_text("SELECT g.household_code %s", volunteer_row), sql_text("SELECT household_code %s", where));
    SF_CHECK_EQ_STR(sql_text("SELECT v.community_code %s", volunteer_row),
                    sql_text("SELECT left(c.unit_code, 12) FROM intake.intake_case c WHERE c.id = %lld",
                             (long long) reported));
    SF_CHECK_EQ_STR(sql_text("SELECT v.in_service %s", volunteer_row), "t");
    SF_CHECK_EQ_STR(sql_text("SELECT g.party_member %s", volunteer_row), "t");
    SF_CHECK_EQ_STR(sql_text("SELECT v.party_organisation %s", volunteer_row),
                    sql_text("SELECT party_organisation %s", where));
    SF_CHECK_EQ_STR(sql_text("SELECT created %s", where), "t");
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM volunteer.case_registration WHERE case_ref = 'intake/%lld'"
                             " AND volunteer_serial = %s AND outcome = 1", (long long) reported, serial), "1");
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM volunteer.event_log WHERE type = 'registration.linked'"
                             " AND key = 'intake/%lld'", (long long) reported), "1");

    /* Registered elsewhere: refused with the reason, nothing changed. */
    SF_CHECK_EQ_INT(wait_answer(refused, 15000), STATE(REFUSED));
    Sifang__V1__Case *c = get_case(refused);
    SF_CHECK_EQ_INT(c ? c->status : 0, STATUS(IN_PROGRESS));
    SF_CHECK(c && c->registration && known && strstr(c->registration->refusal, known->id) != NULL);
    check_answer_on_case(refused, head, ACTION(REGISTRATION_REFUSED), "volunteer");
    SF_CHECK_EQ_STR(sql_text("SELECT in_service FROM volunteer.volunteer WHERE resident_id = '%s'",
                             elsewhere.resident_id), "f");
}

/* Exactly once under a kill: employment is down when the case is resolved
 * (the return visit is refused meanwhile), comes back, and is killed again
 * at a moment while it takes the registration; after it comes back for
 * good: one person, one link, one answer each side. */
static void
test_kill(void)
{
    int64_t head = sf_test_event_head(world.admin);
    SF_CHECK_EQ_INT(sf_test_daemon_kill(&employment), 128 + SIGKILL);
    Sifang__V1__CaseRegistration *r = registration_of(&killed);
    r->labor_status = LABOR(UNEMPLOYED);
    r->seeking_work = true;
    int64_t id = submit_and_resolve("unemployment-registration", &killed, r);
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(close_case(id, &info), SF_FAILED_PRECONDITION);
    srand((unsigned) time(NULL));
    for (int round = 0; round < 3; round++) {
        employment = start_employment();
        struct timespec pause = { 0, (long) (rand() % 300) * 1000000L };
        nanosleep(&pause, NULL);
        SF_CHECK_EQ_INT(sf_test_daemon_kill(&employment), 128 + SIGKILL);
    }
    employment = start_employment();
    SF_CHECK_EQ_INT(wait_answer(id, 20000), STATE(LINKED));
    check_person(id, true);
    check_answer_on_case(id, head, ACTION(REGISTRATION_LINKED), "employment");
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM employment.event_log WHERE type = 'person.registered'"
                             " AND key = '%s'", killed.resident_id), "1");
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM intake.case_history WHERE case_id = %lld AND action = %d",
                             (long long) id, ACTION(REGISTRATION_LINKED)), "1");
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM employment.registration_inbox"), "0");
    SF_CHECK_EQ_INT(close_case(id, &info), SF_OK);

    /* The same with the registry: killed while a member's report waits and
     * as it applies it; one volunteer, one link, one answer. */
    SF_CHECK_EQ_INT(sf_test_daemon_kill(&volunteer), 128 + SIGKILL);
    r = registration_of(&reporting);
    r->party_organisation = "市第三人民医院党委";
    int64_t report = submit_and_resolve("in-service-member-registration", &reporting, r);
    for (int round = 0; round < 2; round++) {
        SF_CHECK(start_volunteer());
        struct timespec pause = { 0, (long) (rand() % 300) * 1000000L };
        nanosleep(&pause, NULL);
        SF_CHECK_EQ_INT(sf_test_daemon_kill(&volunteer), 128 + SIGKILL);
    }
    SF_CHECK(start_volunteer());
    SF_CHECK_EQ_INT(wait_answer(report, 20000), STATE(LINKED));
    check_answer_on_case(report, head, ACTION(REGISTRATION_LINKED), "volunteer");
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM volunteer.volunteer WHERE resident_id = '%s'", reporting.resident_id),
                    "1");
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM volunteer.case_registration WHERE case_ref = 'intake/%lld'",
                             (long long) report), "1");
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM volunteer.event_log WHERE type = 'volunteer.registered'"
                             " AND payload IS NOT NULL AND key = (SELECT linked_id FROM intake.case_registration"
                             " WHERE case_id = %lld)", (long long) report), "1");
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM volunteer.event_log WHERE type = 'registration.linked'"
                             " AND key = 'intake/%lld'", (long long) report), "1");
    SF_CHECK_EQ_STR(sql_text("SELECT count(*) FROM intake.case_history WHERE case_id = %lld AND action = %d",
                             (long long) report, ACTION(REGISTRATION_LINKED)), "1");
}

int
main(void)
{
    if (!SF_CHECK_EQ_INT(sf_test_tmpdir(dir, sizeof dir), 0))
        return sf_test_done();
    employment_endpoint = sf_test_ipc_endpoint(dir, "employment.router");
    employment_publish = sf_test_ipc_endpoint(dir, "employment.pub");
    snprintf(employment_log, sizeof employment_log, "%s/employment.log", dir);
    snprintf(volunteer_log, sizeof volunteer_log, "%s/volunteer.log", dir);
    char endpoint[300], publish[300];
    snprintf(endpoint, sizeof endpoint, "SIFANG_EMPLOYMENT_ENDPOINT=%s", employment_endpoint);
    snprintf(publish, sizeof publish, "SIFANG_EMPLOYMENT_PUBLISH=%s", employment_publish);
    const char *extra[] = { endpoint, publish, "SIFANG_INTAKE_EMPLOYMENT=true", NULL };
    if (!intake_world_start(&world, "sifang_it_registration", extra))
        goto done;
    registry_admin = sf_client_new(world.volunteer_endpoint, NULL);
    sf_client_set_principal(registry_admin, "it-admin", "admin", "");
    employment = start_employment();
    if (!employment || !start_volunteer())
        goto done;
    person_t *people[] = { &unemployed, &certified, &member, &retired, &elsewhere, &killed, &young, &reporting };
    for (int i = 0; i < 8; i++)
        if (!create_resident(people[i], 10 + i))
            goto done;
    /* The labour bureau's officer, whom its cases wait on after a refusal. */
    Sifang__V1__Staff officer = SIFANG__V1__STAFF__INIT;
    officer.name = "孙丽";
    officer.kind = SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF;
    officer.unit_code = T_DISTRICT;
    officer.department_code = "human-resources";
    officer.active = true;
    Sifang__V1__Staff *hired = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(world.grid_admin, "StaffCreate", NULL, &officer.base, &sifang__v1__staff__descriptor,
                                     &hired, NULL), SF_OK) || !hired)
        goto done;
    snprintf(hr_staff, sizeof hr_staff, "%s", hired->id);
    SF_CHECK_EQ_INT(intake_wait_count(&world, "SELECT count(*) FROM intake.ref_staff WHERE kind = 4"
                                              " AND department_code = 'human-resources'", 1, 15000), 1);
    /* Both services' copies of grid hold them. */
    SF_CHECK_EQ_INT(intake_wait_count(&world, "SELECT (SELECT count(*) FROM employment.ref_resident)"
                                              " + (SELECT count(*) FROM volunteer.ref_resident)", 16, 15000), 16);
    test_form();
    test_employment();
    test_volunteer();
    test_kill();
done:
    sf_client_destroy(&registry_admin);
    /* A clean stop (exit 0: under the sanitizers, nothing leaked). */
    if (employment)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&employment), 0);
    if (volunteer)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&volunteer), 0);
    intake_world_stop(&world);
    free(employment_endpoint);
    free(employment_publish);
    sf_test_rmtree(dir);
    return sf_test_done();
}
