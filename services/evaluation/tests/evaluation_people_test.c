/* Issue 19's people in the evaluation, through real grid, intake and
 * evaluation daemons:
 *  - a window person's figures (cases registered, handled, on time,
 *    reworked, return visits and satisfaction, handling hours) and a zone
 *    person's (their zones' backlog, help pairings and contacts, their
 *    visits) equal a recount over intake's own tables (intake_case,
 *    case_history) and volunteer's (help_pairing, help_contact, visit) for
 *    the month, half-year and year (real volunteer daemon too);
 *    the person sees their own, their community's manager sees them, a
 *    colleague and another community's manager are refused;
 *  - 述职考核: the person's report carries the figures as they stood at
 *    submission, another person cannot write it, its author cannot grade
 *    it, the manager grades it, a graded report is final; a community's
 *    report is graded by its street, not by itself;
 *  - 双挂钩: an award needs a graded report, is refused for 基本称职, and
 *    records the grade and survey it was linked to;
 *  - targets by level: a street scored against the street's target, a
 *    community against the community's. */
#include "evaluation_test_district.h"
#include "sf_test_person.h"
#include "sifang/v1/intake.pb-c.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256], month[16], half[16], year[16];
static PGconn *conn;
static td_district_t district;
static char *grid_endpoint, *grid_publish, *intake_endpoint, *intake_publish, *eval_endpoint, *eval_publish,
            *volunteer_endpoint, *volunteer_publish;
static sf_client_t *intake_client, *volunteer_client;
static char member_1_1[16], member_1_2[16], member_2_1[16], cadre_1[16];

#define STREET_1 "370205001"
#define COMMUNITY_1_1 "370205001001"
#define COMMUNITY_1_2 "370205001002"
#define COMMUNITY_2_1 "370205002001"
/* Grid's staff id of its row (grid_staff.c: "S" and the serial, 5 digits). */
#define GRID_STAFF_ID "('S' || lpad(serial::text, 5, '0'))"
/* The zones a staff member answers for in grid. */
#define GRID_ZONES_OF "(SELECT r.unit_code FROM grid.responsibility r JOIN grid.staff s ON s.serial = r.staff_serial" \
    " WHERE ('S' || lpad(s.serial::text, 5, '0')) = '%s' AND r.kind IN (1, 2))"

static double
sql_double(const char *text)
{
    PGresult *r = PQexec(conn, text);
    double value = NAN;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        value = atof(PQgetvalue(r, 0, 0));
    else
        printf("SQL failed: %s\n%s\n", text, PQerrorMessage(conn));
    PQclear(r);
    return value;
}

static void
staff_id_of(const char *name, char out[16])
{
    char text[200];
    snprintf(text, sizeof text, "SELECT " GRID_STAFF_ID " FROM grid.staff WHERE name = '%s'", name);
    PGresult *r = PQexec(conn, text);
    snprintf(out, 16, "%s", PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
}

/* Makes client act as a person with one role over one unit. */
static void
as(sf_client_t *client, const char *id, const char *role, const char *unit)
{
    sf_test_grant_t grant = { role, unit, unit, unit };
    SF_CHECK(sf_test_set_person(client, id, NULL, &grant, 1) == 0);
}

static Sifang__V1__Case *
case_call(const char *method, const ProtobufCMessage *request)
{
    Sifang__V1__Case *c = NULL;
    if (td_call(intake_client, method, request, &sifang__v1__case__descriptor, (ProtobufCMessage **) &c) != SF_OK)
        return NULL;
    return c;
}

static bool
done(Sifang__V1__Case *c)
{
    if (c)
        protobuf_c_message_free_unpacked(&c->base, NULL);
    return c != NULL;
}

static bool
step(const char *method, int64_t id)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = id;
    Sifang__V1__CaseStepRequest request = SIFANG__V1__CASE_STEP_REQUEST__INIT;
    request.ref = &ref;
    request.note = "步骤";
    return done(case_call(method, &request.base));
}

static bool
resolve(int64_t id)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = id;
    Sifang__V1__CaseResolveRequest request = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    request.ref = &ref;
    request.resolution = "已上门维修";
    return done(case_call("CaseResolve", &request.base));
}

static bool
close_case(int64_t id, int satisfaction)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = id;
    Sifang__V1__CaseCloseRequest request = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    request.ref = &ref;
    request.satisfaction = satisfaction;
    request.note = satisfaction <= 2 ? "修理后仍不制冷" : "";
    return done(case_call("CaseClose", &request.base));
}

/* A request for help from the first household of a community's zone z,
 * routed to the community's committee member. */
static int64_t
submit(int community, int zone)
{
    Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
    requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
    char household[48];   /* room for what -Wformat-truncation cannot rule out */
    snprintf(household, sizeof household, "370205%03d%03d%02d1001", community / TD_COMMUNITIES + 1,
             community % TD_COMMUNITIES + 1, zone + 1);
    requester.household_code = household;
    requester.name = "张秀英";
    Sifang__V1__CaseSubmitRequest request = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
    request.channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW;
    request.item_code = "appliance-repair";
    request.case_type = SIFANG__V1__CASE_TYPE__CASE_TYPE_HELP;
    request.requester = &requester;
    request.description = "冰箱不制冷";
    Sifang__V1__Case *c = case_call("CaseSubmit", &request.base);
    int64_t id = c ? c->id : 0;
    done(c);
    return id;
}

/* --- the figures against intake's tables -------------------------------------------- */

#define MONTH_OF(column) "to_char(" column " AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
/* The latest resolving step (办结, 直接答复) of a case up to a seq. */
#define RESOLVER(case_id, before) \
    "(SELECT y.actor_id FROM intake.case_history y WHERE y.case_id = " case_id " AND y.seq < " before \
    "   AND y.action IN (5, 28) ORDER BY y.seq DESC LIMIT 1)"

static Sifang__V1__StaffFigures *
figures_get(sf_client_t *client, const char *staff_id, const char *period)
{
    Sifang__V1__StaffFiguresGetRequest request = SIFANG__V1__STAFF_FIGURES_GET_REQUEST__INIT;
    request.staff_id = (char *) staff_id;
    request.period = (char *) period;
    Sifang__V1__StaffFigures *figures = NULL;
    td_call(client, "StaffFiguresGet", &request.base, &sifang__v1__staff_figures__descriptor,
            (ProtobufCMessage **) &figures);
    return figures;
}

/* The months of a period as an SQL array literal. */
static void
months_of(const char *period, char *out, size_t size)
{
    if (strlen(period) == 7 && period[5] != 'H')
        snprintf(out, size, "ARRAY['%s']", period);
    else {
        int first = strlen(period) == 4 ? 1 : period[6] == '1' ? 1 : 7, last = strlen(period) == 4 ? 12 : first + 5;
        size_t used = (size_t) snprintf(out, size, "ARRAY[");
        for (int m = first; m <= last; m++)
            used += (size_t) snprintf(out + used, size - used, "%s'%.4s-%02d'", m > first ? "," : "", period, m);
        snprintf(out + used, size - used, "]");
    }
}

static int compared;

/* The facts of migration 015's person_fact as recounted from the sources'
 * tables by compare_figures, for the KPIs' values. */
#define N_FACTS 11
static const char *fact_codes[N_FACTS] = {
    "cases_registered", "cases_handled", "cases_handled_on_time", "return_visits", "satisfaction_points",
    "handling_hours", "cases_reworked", "visits", "zones_backlog", "pairings_active", "pairings_contacted",
};
static double recount[N_FACTS];
/* While on_time_rate is redefined: StaffFigures.on_time_rate is then the
 * new definition's (compare_kpis checks it so), not the recount's 100 *
 * on time / handled. */
static bool on_time_redefined;

static void
recounted(const char *fact, double value)
{
    for (int k = 0; k < N_FACTS; k++)
        if (strcmp(fact_codes[k], fact) == 0)
            recount[k] = value;
}

/* The recount of a side of a definition of the form #{fact} (every one
 * this test defines), 1 for an empty one; NAN otherwise. */
static double
side_of(const char *text)
{
    if (!*text)
        return 1;
    for (int k = 0; k < N_FACTS; k++)
        if (strncmp(text, "#{", 2) == 0 && strncmp(text + 2, fact_codes[k], strlen(fact_codes[k])) == 0
            && strcmp(text + 2 + strlen(fact_codes[k]), "}") == 0)
            return recount[k];
    return NAN;
}

static void
same(const char *what, const char *period, double got, double want)
{
    compared++;
    if (!SF_CHECK(fabs(got - want) < 1e-6))
        printf("%s %s: evaluation %.6f, recount %.6f\n", what, period, got, want);
}

static void same(const char *what, const char *period, double got, double want);

/* The person's KPIs: exactly the current definitions of person_kpi (code,
 * version, name, direction, unit label), each value factor * numerator /
 * denominator of the recounted facts, none when the denominator is 0. */
static void
compare_kpis(const Sifang__V1__StaffFigures *f, const char *period)
{
    SF_CHECK_EQ_INT((long long) f->n_kpis, sf_test_pg_int(conn,
        "SELECT count(*) FROM (SELECT DISTINCT ON (code) retired FROM evaluation.person_kpi"
        " ORDER BY code, version DESC) c WHERE NOT retired"));
    for (size_t i = 0; i < f->n_kpis; i++) {
        const Sifang__V1__PersonKpiValue *v = f->kpis[i];
        char text[600];
        snprintf(text, sizeof text, "SELECT numerator, denominator, factor FROM evaluation.person_kpi"
                 " WHERE code = '%s' AND version = %d AND name = '%s' AND direction = %d AND unit_label = '%s'"
                 "   AND NOT retired AND version = (SELECT max(version) FROM evaluation.person_kpi WHERE code = '%s')",
                 v->code, v->version, v->name, v->direction, v->unit_label, v->code);
        PGresult *r = PQexec(conn, text);
        if (SF_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)) {
            double numerator = side_of(PQgetvalue(r, 0, 0)), denominator = side_of(PQgetvalue(r, 0, 1));
            double factor = atof(PQgetvalue(r, 0, 2));
            char what[80];
            snprintf(what, sizeof what, "kpi %s numerator", v->code);
            same(what, period, v->numerator, numerator);
            snprintf(what, sizeof what, "kpi %s denominator", v->code);
            same(what, period, v->denominator, denominator);
            SF_CHECK(v->has_value == (denominator != 0));
            snprintf(what, sizeof what, "kpi %s", v->code);
            same(what, period, v->value, denominator != 0 ? factor * numerator / denominator : 0);
            /* The figures StaffFigures names are the KPIs of their codes. */
            const char *named[4] = { "on_time_rate", "satisfaction", "average_handling_hours", "contact_rate" };
            double fields[4] = { f->on_time_rate, f->satisfaction, f->average_handling_hours, f->contact_rate };
            for (int n = 0; n < 4; n++)
                if (strcmp(v->code, named[n]) == 0)
                    SF_CHECK(fields[n] == v->value);
        } else
            printf("no current definition for %s\n%s\n", v->code, text);
        PQclear(r);
    }
}

/* Every figure of the person over the period against SQL over intake. */
static void
compare_figures(const Sifang__V1__StaffFigures *f, const char *staff_id, const char *period)
{
    char months[200], text[2000];
    months_of(period, months, sizeof months);
    SF_CHECK(f && strcmp(f->staff_id, staff_id) == 0 && strcmp(f->period, period) == 0);
    if (!f)
        return;
    snprintf(text, sizeof text, "SELECT count(*) FROM grid.staff WHERE " GRID_STAFF_ID " = '%s' AND name = '%s' AND unit_code = '%s'"
             " AND kind = %d", staff_id, f->name, f->unit_code, f->kind);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, text), 1);
    snprintf(text, sizeof text, "SELECT count(*) FROM intake.intake_case WHERE first_responder_id = '%s'"
             " AND " MONTH_OF("received_at") " = ANY(%s)", staff_id, months);
    double want = sql_double(text);
    same("cases_registered", period, (double) f->cases_registered, want);
    recounted("cases_registered", want);
    const char *handled =
        "WITH h AS (SELECT c.*, " RESOLVER("c.id", "1000000") " AS resolver FROM intake.intake_case c"
        "            WHERE c.status = 6 AND " MONTH_OF("c.closed_at") " = ANY(%s))"
        " SELECT %s FROM h WHERE resolver = '%s'";
    const char *columns[] = {
        "count(*)", "count(*) FILTER (WHERE resolved_at <= due_at)", "count(satisfaction)",
        "coalesce(avg(satisfaction), 0)",
        "coalesce(avg(extract(epoch FROM resolved_at - received_at) / 3600), 0)",
        "CASE WHEN count(*) = 0 THEN 0 ELSE 100.0 * count(*) FILTER (WHERE resolved_at <= due_at) / count(*) END",
        "coalesce(sum(satisfaction), 0)", "coalesce(sum(extract(epoch FROM resolved_at - received_at) / 3600), 0)",
    };
    double values[6] = { (double) f->cases_handled, (double) f->cases_handled_on_time, (double) f->return_visits,
                         f->satisfaction, f->average_handling_hours, f->on_time_rate };
    const char *names[8] = { "cases_handled", "cases_handled_on_time", "return_visits", "satisfaction",
                             "average_handling_hours", "on_time_rate", "satisfaction_points", "handling_hours" };
    for (int i = 0; i < 8; i++) {
        snprintf(text, sizeof text, handled, months, columns[i], staff_id);
        want = sql_double(text);
        /* Handling hours: evaluation counts whole milliseconds. */
        if (i < 5 || (i == 5 && !on_time_redefined))
            same(names[i], period, values[i], want);
        recounted(names[i], want);
    }
    snprintf(text, sizeof text, "SELECT count(*) FROM intake.case_history x WHERE x.action IN (33, 34)"
             " AND " MONTH_OF("x.at") " = ANY(%s) AND " RESOLVER("x.case_id", "x.seq") " = '%s'", months, staff_id);
    want = sql_double(text);
    same("cases_reworked", period, (double) f->cases_reworked, want);
    recounted("cases_reworked", want);
    /* The zones they answer for in grid, and the past-due open cases there
     * now (every period here ends after now). */
    snprintf(text, sizeof text, "SELECT count(DISTINCT unit_code) FROM " GRID_ZONES_OF " z", staff_id);
    same("zones", period, (double) f->n_zones, sql_double(text));
    snprintf(text, sizeof text, "SELECT count(*) FROM intake.intake_case c WHERE c.status BETWEEN 1 AND 4"
             " AND c.overdue AND left(c.unit_code, 14) IN " GRID_ZONES_OF, staff_id);
    want = sql_double(text);
    same("zones_backlog", period, (double) f->zones_backlog, want);
    recounted("zones_backlog", want);
    /* Their zones' help pairings active now, those contacted in the period,
     * and the visits they made in it, against volunteer's tables. */
    snprintf(text, sizeof text, "SELECT count(*) FROM volunteer.help_pairing WHERE active"
             " AND left(household_code, 14) IN " GRID_ZONES_OF, staff_id);
    double active = sql_double(text);
    same("pairings_active", period, (double) f->pairings_active, active);
    recounted("pairings_active", active);
    snprintf(text, sizeof text, "SELECT count(DISTINCT c.pairing_serial) FROM volunteer.help_contact c"
             " JOIN volunteer.help_pairing p ON p.serial = c.pairing_serial"
             " WHERE " MONTH_OF("c.at") " = ANY(%s) AND left(p.household_code, 14) IN " GRID_ZONES_OF,
             months, staff_id);
    double contacted = sql_double(text);
    same("pairings_contacted", period, (double) f->pairings_contacted, contacted);
    recounted("pairings_contacted", contacted);
    same("contact_rate", period, f->contact_rate, active > 0 ? 100.0 * contacted / active : 0);
    snprintf(text, sizeof text, "SELECT count(*) FROM volunteer.visit WHERE staff_id = '%s'"
             " AND " MONTH_OF("at") " = ANY(%s)", staff_id, months);
    want = sql_double(text);
    same("visits", period, (double) f->visits, want);
    recounted("visits", want);
    compare_kpis(f, period);
}

/* --- volunteer: pairings in member 1-1's zones, a contact, visits ------------------------- */

static bool
volunteer_work(void)
{
    /* Households 0 and 4 (in difficulty: every fourth) lie in the first
     * zone of community 1-1; two party members pair with them, one is
     * contacted; member 1-1 visits two households, the street cadre one. */
    char pairings[2][16] = { "", "" };
    for (int p = 0; p < 2; p++) {
        Sifang__V1__HelpPairing pairing = SIFANG__V1__HELP_PAIRING__INIT;
        pairing.member_resident_id = district.residents[district.party_members[p]];
        pairing.household_code = district.households[p * 4];
        char request_id[48];
        snprintf(request_id, sizeof request_id, "people-pairing-%d", p);
        Sifang__V1__HelpPairing *created = NULL;
        /* Until volunteer has followed grid's households. */
        for (int attempt = 0; attempt < 100 && !created; attempt++) {
            sf_reply_info_t info;
            if (sf_client_call(volunteer_client, "HelpPairingCreate", request_id, &pairing.base,
                               &sifang__v1__help_pairing__descriptor, (ProtobufCMessage **) &created, &info) != SF_OK) {
                if (attempt == 99)
                    printf("HelpPairingCreate: %s %s\n", sf_status_name(info.status), info.message);
                snprintf(request_id, sizeof request_id, "people-pairing-%d-%d", p, attempt);
                usleep(100 * 1000);
            }
        }
        if (!SF_CHECK(created))
            return false;
        snprintf(pairings[p], sizeof pairings[p], "%s", created->id);
        protobuf_c_message_free_unpacked(&created->base, NULL);
    }
    Sifang__V1__HelpContact contact = SIFANG__V1__HELP_CONTACT__INIT;
    contact.pairing_id = pairings[0];
    contact.kind = SIFANG__V1__CONTACT_KIND__CONTACT_KIND_VISIT;
    bool ok = SF_CHECK(td_call(volunteer_client, "HelpContactRecord", &contact.base, NULL, NULL) == SF_OK);
    const char *visitors[3] = { member_1_1, member_1_1, cadre_1 };
    for (int v = 0; v < 3; v++) {
        Sifang__V1__HouseholdVisit visit = SIFANG__V1__HOUSEHOLD_VISIT__INIT;
        visit.staff_id = (char *) visitors[v];
        visit.household_code = district.households[1 + v];
        visit.kind = SIFANG__V1__CONTACT_KIND__CONTACT_KIND_VISIT;
        visit.note = "走访入户";
        ok = SF_CHECK(td_call(volunteer_client, "VisitRecord", &visit.base, NULL, NULL) == SF_OK) && ok;
    }
    return ok;
}

/* --- what a person is measured on, as data ------------------------------------------------ */

/* Every field of a person KPI (a reply or an event's) against its row. */
static void
compare_person_kpi(const Sifang__V1__PersonKpi *k)
{
    char text[1500];
    snprintf(text, sizeof text,
             "SELECT count(*) FROM evaluation.person_kpi WHERE code = '%s' AND version = %d AND name = '%s'"
             " AND numerator = '%s' AND denominator = '%s' AND factor = %.17g AND direction = %d"
             " AND unit_label = '%s' AND description = '%s' AND retired = %s"
             " AND (extract(epoch FROM defined_at) * 1000)::bigint = %lld AND defined_by = '%s'",
             k->code, k->version, k->name, k->numerator, k->denominator, k->factor, k->direction, k->unit_label,
             k->description, k->retired ? "true" : "false", (long long) k->defined_unix_ms, k->defined_by);
    if (!SF_CHECK_EQ_INT(sf_test_pg_int(conn, text), 1))
        printf("%s\n", text);
}

/* The latest person_kpi.defined event of a code, every field against its row. */
static void
compare_person_kpi_event(const char *code, int version)
{
    char text[300];
    snprintf(text, sizeof text, "SELECT payload FROM evaluation.event_log WHERE type = 'person_kpi.defined'"
             " AND key = '%s' ORDER BY seq DESC LIMIT 1", code);
    PGresult *r = PQexecParams(conn, text, 0, NULL, NULL, NULL, NULL, 1);
    if (SF_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)) {
        Sifang__V1__PersonKpi *k = sifang__v1__person_kpi__unpack(NULL, (size_t) PQgetlength(r, 0, 0),
                                                                  (const uint8_t *) PQgetvalue(r, 0, 0));
        if (SF_CHECK(k && k->version == version && strcmp(k->code, code) == 0))
            compare_person_kpi(k);
        if (k)
            protobuf_c_message_free_unpacked(&k->base, NULL);
    }
    PQclear(r);
}

static Sifang__V1__PersonKpi *
person_kpi_define(sf_client_t *client, const char *code, const char *name, const char *numerator,
                  const char *denominator, double factor, bool retired)
{
    Sifang__V1__PersonKpi kpi = SIFANG__V1__PERSON_KPI__INIT;
    kpi.code = (char *) code;
    kpi.name = (char *) name;
    kpi.numerator = (char *) numerator;
    kpi.denominator = (char *) denominator;
    kpi.factor = factor;
    kpi.direction = strcmp(code, "rework_rate") == 0 || strcmp(code, "average_handling_hours") == 0
                  ? SIFANG__V1__KPI_DIRECTION__KPI_DIRECTION_LOWER_BETTER
                  : SIFANG__V1__KPI_DIRECTION__KPI_DIRECTION_HIGHER_BETTER;
    kpi.unit_label = strcmp(code, "rework_rate") == 0 || strcmp(code, "on_time_rate") == 0 ? "%" : "";
    kpi.description = "考核办调整";
    kpi.retired = retired;
    Sifang__V1__PersonKpi *defined = NULL;
    td_call(client, "PersonKpiDefine", &kpi.base, &sifang__v1__person_kpi__descriptor, (ProtobufCMessage **) &defined);
    return defined;
}

/* The appraisal office reads and changes what a person is measured on; a
 * changed definition changes the person's figure, a retired one leaves it. */
static void
person_kpis(sf_client_t *person, sf_client_t *admin)
{
    /* Anyone with figures reads the definitions and the facts they name. */
    as(person, member_1_1, "window_clerk", COMMUNITY_1_1);
    Sifang__V1__PersonKpiListRequest list = SIFANG__V1__PERSON_KPI_LIST_REQUEST__INIT;
    Sifang__V1__PersonKpiListReply *listed = NULL;
    if (SF_CHECK(td_call(person, "PersonKpiList", &list.base, &sifang__v1__person_kpi_list_reply__descriptor,
                         (ProtobufCMessage **) &listed) == SF_OK)) {
        SF_CHECK_EQ_INT((long long) listed->n_kpis, 5);
        SF_CHECK_EQ_INT((long long) listed->n_kpis, sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.person_kpi"));
        for (size_t i = 0; i < listed->n_kpis; i++)
            compare_person_kpi(listed->kpis[i]);
        SF_CHECK_EQ_INT((long long) listed->n_facts, N_FACTS);
        for (size_t i = 0; i < listed->n_facts; i++) {
            char text[400];
            snprintf(text, sizeof text, "SELECT count(*) FROM evaluation.person_fact WHERE code = '%s' AND name = '%s'"
                     " AND description = '%s'", listed->facts[i]->code, listed->facts[i]->name,
                     listed->facts[i]->description);
            SF_CHECK_EQ_INT(sf_test_pg_int(conn, text), 1);
            char side[60];
            snprintf(side, sizeof side, "#{%s}", listed->facts[i]->code);
            SF_CHECK(!isnan(side_of(side)));   /* a fact this test recounts */
        }
        protobuf_c_message_free_unpacked(&listed->base, NULL);
    }
    /* A clerk does not define; nor does anyone name a fact there is not,
     * or a unit's input. */
    Sifang__V1__PersonKpi refused = SIFANG__V1__PERSON_KPI__INIT;
    refused.code = "on_time_rate";
    refused.name = "按时办结率";
    refused.numerator = "#{cases_handled_on_time}";
    refused.denominator = "#{cases_registered}";
    SF_CHECK(td_refused(person, "PersonKpiDefine", &refused.base, SF_PERMISSION_DENIED, NULL));
    refused.denominator = "#{cases_opened}";
    SF_CHECK(td_refused(admin, "PersonKpiDefine", &refused.base, SF_INVALID_ARGUMENT, "denominator"));
    refused.denominator = "I{staff_count}";
    SF_CHECK(td_refused(admin, "PersonKpiDefine", &refused.base, SF_INVALID_ARGUMENT, "denominator"));
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.person_kpi"), 5);

    /* 按时办结率 measured against the cases registered instead of handled:
     * version 2, and the clerk's month reads 1 of 3, not 1 of 2. */
    Sifang__V1__PersonKpi *changed = person_kpi_define(admin, "on_time_rate", "按时办结率（按登记）",
                                                       "#{cases_handled_on_time}", "#{cases_registered}", 100, false);
    if (SF_CHECK(changed && changed->version == 2)) {
        compare_person_kpi(changed);
        compare_person_kpi_event("on_time_rate", 2);
    }
    /* The same again is no new version. */
    Sifang__V1__PersonKpi *again = person_kpi_define(admin, "on_time_rate", "按时办结率（按登记）",
                                                     "#{cases_handled_on_time}", "#{cases_registered}", 100, false);
    SF_CHECK(again && again->version == 2);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.person_kpi WHERE code = 'on_time_rate'"), 2);
    /* 返工率 retired: no longer among the figures. */
    Sifang__V1__PersonKpi *retired = person_kpi_define(admin, "rework_rate", "返工率", "#{cases_reworked}",
                                                       "#{cases_handled}", 100, true);
    SF_CHECK(retired && retired->version == 2 && retired->retired);
    on_time_redefined = true;
    Sifang__V1__StaffFigures *f = figures_get(person, member_1_1, month);
    compare_figures(f, member_1_1, month);
    on_time_redefined = false;
    if (SF_CHECK(f)) {
        same("on_time_rate as redefined", month, f->on_time_rate, 100.0 / 3);
        bool rework_listed = false;
        for (size_t i = 0; i < f->n_kpis; i++)
            rework_listed = rework_listed || strcmp(f->kpis[i]->code, "rework_rate") == 0;
        SF_CHECK(!rework_listed && f->n_kpis == 4);
        protobuf_c_message_free_unpacked(&f->base, NULL);
    }
    /* Every version is kept; back as they were for what follows. */
    Sifang__V1__PersonKpi *back = person_kpi_define(admin, "on_time_rate", "按时办结率", "#{cases_handled_on_time}",
                                                    "#{cases_handled}", 100, false);
    Sifang__V1__PersonKpi *unretired = person_kpi_define(admin, "rework_rate", "返工率", "#{cases_reworked}",
                                                         "#{cases_handled}", 100, false);
    SF_CHECK(back && back->version == 3 && unretired && unretired->version == 3);
    list.all_versions = true;
    list.include_retired = true;
    if (SF_CHECK(td_call(person, "PersonKpiList", &list.base, &sifang__v1__person_kpi_list_reply__descriptor,
                         (ProtobufCMessage **) &listed) == SF_OK)) {
        SF_CHECK_EQ_INT((long long) listed->n_kpis, 9);
        for (size_t i = 0; i < listed->n_kpis; i++)
            compare_person_kpi(listed->kpis[i]);
        protobuf_c_message_free_unpacked(&listed->base, NULL);
    }
    f = figures_get(person, member_1_1, month);
    compare_figures(f, member_1_1, month);
    if (SF_CHECK(f)) {
        SF_CHECK(f->on_time_rate == 50 && f->n_kpis == 5);
        protobuf_c_message_free_unpacked(&f->base, NULL);
    }
    Sifang__V1__PersonKpi *made[5] = { changed, again, retired, back, unretired };
    for (int i = 0; i < 5; i++)
        if (made[i])
            protobuf_c_message_free_unpacked(&made[i]->base, NULL);
}

/* --- scheme and scorecard ---------------------------------------------------------------- */

static Sifang__V1__UnitScore *
unit_of(Sifang__V1__Scorecard *card, const char *code)
{
    for (size_t i = 0; i < card->n_streets; i++)
        if (strcmp(card->streets[i]->unit_code, code) == 0)
            return card->streets[i];
    for (size_t i = 0; i < card->n_communities; i++)
        if (strcmp(card->communities[i]->unit_code, code) == 0)
            return card->communities[i];
    return NULL;
}

/* 100 at or beyond target, 0 at or short of threshold, linear between. */
static double
expected_score(double value, double target, double threshold)
{
    double progress = (value - threshold) / (target - threshold);
    return progress <= 0 ? 0 : progress >= 1 ? 100 : 100 * progress;
}

static void
targets_by_level(sf_client_t *client)
{
    Sifang__V1__SchemeLevelTarget street = SIFANG__V1__SCHEME_LEVEL_TARGET__INIT,
                                  community = SIFANG__V1__SCHEME_LEVEL_TARGET__INIT;
    street.unit_kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET;
    street.target = 1;
    street.threshold = 4;
    community.unit_kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY;
    community.target = 0;
    community.threshold = 2;
    Sifang__V1__SchemeLevelTarget *levels[2] = { &street, &community };
    Sifang__V1__SchemeItem item = SIFANG__V1__SCHEME_ITEM__INIT;
    item.kpi_code = "backlog";
    item.weight = 1;
    item.target = 0;
    item.threshold = 1;
    item.levels = levels;
    item.n_levels = 2;
    Sifang__V1__SchemeItem *items[1] = { &item };
    Sifang__V1__EvaluationScheme scheme = SIFANG__V1__EVALUATION_SCHEME__INIT;
    scheme.period = half;
    scheme.name = "分级目标";
    scheme.items = items;
    scheme.n_items = 1;
    /* A level's threshold on the wrong side of its target is refused. */
    street.threshold = 0.5;
    SF_CHECK(td_refused(client, "SchemeDefine", &scheme.base, SF_INVALID_ARGUMENT, "items[0].levels[0].threshold"));
    street.threshold = 4;
    Sifang__V1__EvaluationScheme *defined = NULL;
    if (!SF_CHECK(td_call(client, "SchemeDefine", &scheme.base, &sifang__v1__evaluation_scheme__descriptor,
                          (ProtobufCMessage **) &defined) == SF_OK))
        return;
    SF_CHECK(defined->n_items == 1 && defined->items[0]->n_levels == 2);
    char text[300];
    snprintf(text, sizeof text, "SELECT count(*) FROM evaluation.scheme_item_level WHERE period = '%s' AND version = %d"
             " AND ((unit_kind = 2 AND target = 1 AND threshold = 4) OR (unit_kind = 3 AND target = 0"
             " AND threshold = 2))", half, defined->version);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, text), 2);
    protobuf_c_message_free_unpacked(&defined->base, NULL);

    Sifang__V1__ScorecardRequest ask = SIFANG__V1__SCORECARD_REQUEST__INIT;
    ask.period = half;
    Sifang__V1__Scorecard *card = NULL;
    if (!SF_CHECK(td_call(client, "ScorecardGet", &ask.base, &sifang__v1__scorecard__descriptor,
                          (ProtobufCMessage **) &card) == SF_OK))
        return;
    /* Street 1 holds both past-due cases (2): against the street's target
     * it scores 66.7 (the item's threshold of 1 would give it 0); community
     * 1-1 holds 2 too and scores 0 against the community's threshold 2;
     * community 2-1 holds none: 100. */
    const char *codes[3] = { STREET_1, COMMUNITY_1_1, COMMUNITY_2_1 };
    const double targets[3][2] = { { 1, 4 }, { 0, 2 }, { 0, 2 } };
    for (int u = 0; u < 3; u++) {
        Sifang__V1__UnitScore *unit = unit_of(card, codes[u]);
        if (!SF_CHECK(unit && unit->n_items == 1))
            continue;
        const Sifang__V1__ItemScore *scored = unit->items[0];
        snprintf(text, sizeof text, "SELECT count(*) FROM intake.intake_case WHERE status BETWEEN 1 AND 4"
                 " AND overdue AND unit_code LIKE '%s%%'", codes[u]);
        double backlog = sql_double(text);
        SF_CHECK(scored->has_value && fabs(scored->value - backlog) < 1e-9);
        SF_CHECK(scored->target == targets[u][0] && scored->threshold == targets[u][1]);
        double want = expected_score(backlog, targets[u][0], targets[u][1]);
        if (!SF_CHECK(fabs(scored->score - want) < 1e-6))
            printf("%s: score %.4f, expected %.4f (backlog %g)\n", codes[u], scored->score, want, backlog);
    }
    SF_CHECK(unit_of(card, STREET_1) && unit_of(card, STREET_1)->items[0]->score > 60);
    protobuf_c_message_free_unpacked(&card->base, NULL);
}

/* --- reports and awards ------------------------------------------------------------------ */

static Sifang__V1__AppraisalReport *
report_submit(sf_client_t *client, const char *staff_id, const char *unit_code, const char *text)
{
    Sifang__V1__AppraisalReport report = SIFANG__V1__APPRAISAL_REPORT__INIT;
    report.staff_id = (char *) staff_id;
    report.unit_code = (char *) unit_code;
    report.period = half;
    report.text = (char *) text;
    Sifang__V1__AppraisalReport *submitted = NULL;
    td_call(client, "AppraisalReportSubmit", &report.base, &sifang__v1__appraisal_report__descriptor,
            (ProtobufCMessage **) &submitted);
    return submitted;
}

/* Every field of a report against its row. */
static void
compare_report(const Sifang__V1__AppraisalReport *r)
{
    char text[1200];
    snprintf(text, sizeof text,
             "SELECT count(*) FROM evaluation.appraisal_report WHERE id = %lld AND staff_id = '%s'"
             " AND unit_code = '%s' AND period = '%s' AND body = '%s' AND subject_name = '%s' AND submitted_by = '%s'"
             " AND (extract(epoch FROM submitted_at) * 1000)::bigint = %lld AND grade = %d AND graded_by = '%s'"
             " AND coalesce((extract(epoch FROM graded_at) * 1000)::bigint, 0) = %lld AND grade_note = '%s'"
             " AND version = %lld", (long long) r->id, r->staff_id, r->unit_code, r->period, r->text,
             r->subject_name, r->submitted_by, (long long) r->submitted_unix_ms, r->grade, r->graded_by,
             (long long) r->graded_unix_ms, r->grade_note, (long long) r->version);
    if (!SF_CHECK_EQ_INT(sf_test_pg_int(conn, text), 1))
        printf("%s\n", text);
}

static Sifang__V1__AppraisalReport *
grade(sf_client_t *client, int64_t id, Sifang__V1__AppraisalGrade g, const char *note)
{
    Sifang__V1__AppraisalReportGradeRequest request = SIFANG__V1__APPRAISAL_REPORT_GRADE_REQUEST__INIT;
    request.id = id;
    request.grade = g;
    request.note = (char *) note;
    Sifang__V1__AppraisalReport *graded = NULL;
    td_call(client, "AppraisalReportGrade", &request.base, &sifang__v1__appraisal_report__descriptor,
            (ProtobufCMessage **) &graded);
    return graded;
}

static void
reports_and_awards(sf_client_t *person, sf_client_t *admin)
{
    /* The person's own report, with their figures as they stand now. */
    as(person, member_1_1, "window_clerk", COMMUNITY_1_1);
    Sifang__V1__StaffFigures *now = figures_get(person, member_1_1, half);
    Sifang__V1__AppraisalReport *mine = report_submit(person, member_1_1, "", "上半年窗口受理工作总结：\n按时办结，群众满意。");
    if (!SF_CHECK(now && mine && mine->staff_figures))
        return;
    compare_report(mine);
    SF_CHECK(strcmp(mine->subject_name, "member 1-1") == 0 && strcmp(mine->unit_code, COMMUNITY_1_1) == 0
             && strcmp(mine->submitted_by, member_1_1) == 0 && mine->grade == 0 && mine->version == 1);
    const Sifang__V1__StaffFigures *at = mine->staff_figures;
    SF_CHECK(at->cases_registered == now->cases_registered && at->cases_handled == now->cases_handled
             && at->cases_reworked == now->cases_reworked && at->return_visits == now->return_visits
             && at->satisfaction == now->satisfaction && at->zones_backlog == now->zones_backlog
             && at->n_zones == now->n_zones && strcmp(at->period, half) == 0);
    compare_figures(at, member_1_1, half);
    /* Another person cannot write it, its author cannot grade it. */
    as(person, member_1_2, "window_clerk", COMMUNITY_1_2);
    Sifang__V1__AppraisalReport forged = SIFANG__V1__APPRAISAL_REPORT__INIT;
    forged.staff_id = member_1_1;
    forged.period = half;
    forged.text = "代写";
    SF_CHECK(td_refused(person, "AppraisalReportSubmit", &forged.base, SF_PERMISSION_DENIED, NULL));
    as(person, member_1_1, "window_clerk", COMMUNITY_1_1);
    Sifang__V1__AppraisalReportGradeRequest self_grade = SIFANG__V1__APPRAISAL_REPORT_GRADE_REQUEST__INIT;
    self_grade.id = mine->id;
    self_grade.grade = SIFANG__V1__APPRAISAL_GRADE__APPRAISAL_GRADE_EXCELLENT;
    SF_CHECK(td_refused(person, "AppraisalReportGrade", &self_grade.base, SF_PERMISSION_DENIED, NULL));
    /* The community's manager grades it; then it is final. */
    as(person, "S-manager-1-1", "community_staff", COMMUNITY_1_1);
    Sifang__V1__AppraisalReport *graded = grade(person, mine->id, SIFANG__V1__APPRAISAL_GRADE__APPRAISAL_GRADE_EXCELLENT,
                                                "受理规范");
    if (SF_CHECK(graded)) {
        compare_report(graded);
        SF_CHECK(graded->grade == SIFANG__V1__APPRAISAL_GRADE__APPRAISAL_GRADE_EXCELLENT
                 && strcmp(graded->graded_by, "S-manager-1-1") == 0 && graded->graded_unix_ms > 0
                 && graded->version == 2 && graded->staff_figures);
        protobuf_c_message_free_unpacked(&graded->base, NULL);
    }
    as(person, member_1_1, "window_clerk", COMMUNITY_1_1);
    Sifang__V1__AppraisalReport again = SIFANG__V1__APPRAISAL_REPORT__INIT;
    again.staff_id = member_1_1;
    again.period = half;
    again.text = "改写";
    SF_CHECK(td_refused(person, "AppraisalReportSubmit", &again.base, SF_FAILED_PRECONDITION, NULL));

    /* A second person graded 基本称职: no award for them. */
    as(person, member_1_2, "window_clerk", COMMUNITY_1_2);
    Sifang__V1__AppraisalReport *theirs = report_submit(person, member_1_2, "", "述职报告");
    as(person, "S-manager-1", "street_staff", STREET_1);
    Sifang__V1__AppraisalReport *basic = theirs ? grade(person, theirs->id, SIFANG__V1__APPRAISAL_GRADE__APPRAISAL_GRADE_BASIC, "")
                                                : NULL;
    SF_CHECK(basic && basic->grade == SIFANG__V1__APPRAISAL_GRADE__APPRAISAL_GRADE_BASIC);

    /* A community's report, graded by its street, not by itself. */
    as(person, "S-manager-1-1", "community_staff", COMMUNITY_1_1);
    Sifang__V1__AppraisalReport *unit = report_submit(person, "", COMMUNITY_1_1, "社区半年工作述职");
    if (SF_CHECK(unit)) {
        compare_report(unit);
        SF_CHECK(unit->unit_score && strcmp(unit->unit_score->unit_code, COMMUNITY_1_1) == 0
                 && unit->unit_score->n_items == 1);
        Sifang__V1__AppraisalReportGradeRequest own = SIFANG__V1__APPRAISAL_REPORT_GRADE_REQUEST__INIT;
        own.id = unit->id;
        own.grade = SIFANG__V1__APPRAISAL_GRADE__APPRAISAL_GRADE_EXCELLENT;
        SF_CHECK(td_refused(person, "AppraisalReportGrade", &own.base, SF_PERMISSION_DENIED, NULL));
        as(person, "S-manager-1", "street_staff", STREET_1);
        Sifang__V1__AppraisalReport *by_street = grade(person, unit->id, SIFANG__V1__APPRAISAL_GRADE__APPRAISAL_GRADE_COMPETENT, "");
        SF_CHECK(by_street && strcmp(by_street->graded_by, "S-manager-1") == 0);
        if (by_street)
            protobuf_c_message_free_unpacked(&by_street->base, NULL);
    }

    /* 双挂钩: the award follows the grade and records what it was linked to. */
    Sifang__V1__AwardDecision award = SIFANG__V1__AWARD_DECISION__INIT;
    award.award = "优秀窗口服务人员";
    award.period = half;
    award.staff_id = member_2_1;   /* no report */
    award.unit_code = "";
    award.outcome = SIFANG__V1__AWARD_OUTCOME__AWARD_OUTCOME_AWARDED;
    SF_CHECK(td_refused(admin, "AwardDecide", &award.base, SF_FAILED_PRECONDITION, NULL));
    award.staff_id = member_1_2;   /* 基本称职 */
    SF_CHECK(td_refused(admin, "AwardDecide", &award.base, SF_FAILED_PRECONDITION, NULL));
    award.outcome = SIFANG__V1__AWARD_OUTCOME__AWARD_OUTCOME_NOT_AWARDED;
    SF_CHECK(td_refused(admin, "AwardDecide", &award.base, SF_INVALID_ARGUMENT, "note"));
    award.note = "考核基本称职，不参评";
    Sifang__V1__AwardDecision *not_awarded = NULL;
    SF_CHECK(td_call(admin, "AwardDecide", &award.base, &sifang__v1__award_decision__descriptor,
                     (ProtobufCMessage **) &not_awarded) == SF_OK);
    award.staff_id = member_1_1;
    award.note = "";
    award.outcome = SIFANG__V1__AWARD_OUTCOME__AWARD_OUTCOME_AWARDED;
    Sifang__V1__AwardDecision *awarded = NULL;
    if (SF_CHECK(td_call(admin, "AwardDecide", &award.base, &sifang__v1__award_decision__descriptor,
                         (ProtobufCMessage **) &awarded) == SF_OK)) {
        SF_CHECK(awarded->appraisal_grade == SIFANG__V1__APPRAISAL_GRADE__APPRAISAL_GRADE_EXCELLENT
                 && awarded->appraisal_report_id == mine->id && !awarded->has_survey && awarded->survey_scored == 0
                 && strcmp(awarded->subject_name, "member 1-1") == 0 && strcmp(awarded->unit_code, COMMUNITY_1_1) == 0);
        char text[1000];
        snprintf(text, sizeof text,
                 "SELECT count(*) FROM evaluation.award_decision WHERE id = %lld AND award = '%s' AND staff_id = '%s'"
                 " AND unit_code = '%s' AND period = '%s' AND outcome = %d AND note = '%s' AND subject_name = '%s'"
                 " AND appraisal_grade = %d AND appraisal_report_id = %lld AND has_survey = %s"
                 " AND survey_satisfaction = %.17g AND survey_scored = %lld AND decided_by = '%s'"
                 " AND (extract(epoch FROM decided_at) * 1000)::bigint = %lld", (long long) awarded->id,
                 awarded->award, awarded->staff_id, awarded->unit_code, awarded->period, awarded->outcome,
                 awarded->note, awarded->subject_name, awarded->appraisal_grade,
                 (long long) awarded->appraisal_report_id, awarded->has_survey ? "true" : "false",
                 awarded->survey_satisfaction, (long long) awarded->survey_scored, awarded->decided_by,
                 (long long) awarded->decided_unix_ms);
        SF_CHECK_EQ_INT(sf_test_pg_int(conn, text), 1);
        SF_CHECK(td_refused(admin, "AwardDecide", &award.base, SF_ALREADY_EXISTS, NULL));
        protobuf_c_message_free_unpacked(&awarded->base, NULL);
    }
    /* The person sees their own award; a colleague does not. */
    Sifang__V1__AwardListRequest list = SIFANG__V1__AWARD_LIST_REQUEST__INIT;
    list.period = half;
    Sifang__V1__AwardListReply *listed = NULL;
    as(person, member_1_1, "window_clerk", COMMUNITY_1_1);
    if (SF_CHECK(td_call(person, "AwardList", &list.base, &sifang__v1__award_list_reply__descriptor,
                         (ProtobufCMessage **) &listed) == SF_OK)) {
        SF_CHECK(listed->n_awards == 1 && strcmp(listed->awards[0]->staff_id, member_1_1) == 0);
        protobuf_c_message_free_unpacked(&listed->base, NULL);
    }
    if (not_awarded)
        protobuf_c_message_free_unpacked(&not_awarded->base, NULL);
    if (unit)
        protobuf_c_message_free_unpacked(&unit->base, NULL);
    if (basic)
        protobuf_c_message_free_unpacked(&basic->base, NULL);
    if (theirs)
        protobuf_c_message_free_unpacked(&theirs->base, NULL);
    protobuf_c_message_free_unpacked(&mine->base, NULL);
    protobuf_c_message_free_unpacked(&now->base, NULL);
}

int
main(void)
{
    if (sf_test_pg_env("evaluation_people_test") != 0)
        return sf_test_done();
    sf_test_tmpdir(dir, sizeof dir);
    td_current_period(1, month);
    td_current_period(2, half);
    td_current_period(3, year);
    grid_endpoint = sf_test_ipc_endpoint(dir, "grid.router");
    grid_publish = sf_test_ipc_endpoint(dir, "grid.pub");
    intake_endpoint = sf_test_ipc_endpoint(dir, "intake.router");
    intake_publish = sf_test_ipc_endpoint(dir, "intake.pub");
    eval_endpoint = sf_test_ipc_endpoint(dir, "evaluation.router");
    eval_publish = sf_test_ipc_endpoint(dir, "evaluation.pub");
    volunteer_endpoint = sf_test_ipc_endpoint(dir, "volunteer.router");
    volunteer_publish = sf_test_ipc_endpoint(dir, "volunteer.pub");
    conn = sf_test_pg_connect();
    sf_test_daemon_t *grid = td_start("grid", dir, grid_endpoint, grid_publish, NULL), *intake = NULL,
                     *evaluation = NULL, *volunteer = NULL;
    sf_client_t *grid_client = sf_client_new(grid_endpoint, NULL), *admin = sf_client_new(eval_endpoint, NULL),
                *person = sf_client_new(eval_endpoint, NULL);
    intake_client = sf_client_new(intake_endpoint, NULL);
    volunteer_client = sf_client_new(volunteer_endpoint, NULL);
    sf_client_set_timeout(volunteer_client, 20000);
    sf_client_set_timeout(grid_client, 20000);
    sf_client_set_timeout(intake_client, 20000);
    sf_client_set_timeout(admin, 20000);
    sf_client_set_timeout(person, 20000);
    if (!SF_CHECK(conn && grid) || !SF_CHECK_EQ_INT(td_build(grid_client, &district), 0))
        goto cleanup;
    staff_id_of("member 1-1", member_1_1);
    staff_id_of("member 1-2", member_1_2);
    staff_id_of("member 2-1", member_2_1);
    staff_id_of("cadre 1", cadre_1);
    char grid_e[200], grid_p[200], intake_e[200], intake_p[200], volunteer_e[200], volunteer_p[200];
    snprintf(volunteer_e, sizeof volunteer_e, "SIFANG_VOLUNTEER_ENDPOINT=%s", volunteer_endpoint);
    snprintf(volunteer_p, sizeof volunteer_p, "SIFANG_VOLUNTEER_PUBLISH=%s", volunteer_publish);
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    snprintf(intake_e, sizeof intake_e, "SIFANG_INTAKE_ENDPOINT=%s", intake_endpoint);
    snprintf(intake_p, sizeof intake_p, "SIFANG_INTAKE_PUBLISH=%s", intake_publish);
    const char *intake_env[] = { grid_e, grid_p, "SIFANG_INTAKE_GRID_POLL_MS=200", "SIFANG_INTAKE_VOLUNTEER=false",
                                 "SIFANG_INTAKE_IMPORT_GRACE_S=0", "SIFANG_INTAKE_SWEEP_MS=86400000", NULL };
    intake = td_start("intake", dir, intake_endpoint, intake_publish, intake_env);
    const char *volunteer_env[] = { grid_e, grid_p, "SIFANG_VOLUNTEER_GRID_POLL_MS=200", NULL };
    volunteer = td_start("volunteer", dir, volunteer_endpoint, volunteer_publish, volunteer_env);
    const char *eval_env[] = { grid_e, grid_p, intake_e, intake_p, volunteer_e, volunteer_p,
                               "SIFANG_EVALUATION_SOURCES=grid intake volunteer", "SIFANG_EVALUATION_POLL_MS=200",
                               NULL };
    evaluation = td_start("evaluation", dir, eval_endpoint, eval_publish, eval_env);
    if (!SF_CHECK(intake && volunteer && evaluation && *member_1_1 && *member_1_2 && *member_2_1 && *cadre_1))
        goto cleanup;
    for (int i = 0; i < 200; i++) {
        if (sf_test_pg_int(conn, "SELECT count(*) FROM intake.ref_household") == district.n_households
            && sf_test_pg_int(conn, "SELECT count(*) FROM intake.ref_staff") > 0)
            break;
        usleep(50 * 1000);
    }

    /* Member 1-1 at the community's window: registers A, B and D, handles
     * A (rated 5) and B (rated 2: reopened, then resolved by the station and
     * rated 4); C is registered by the station and resolved late by member
     * 1-1; D goes past due in member 1-1's zone. */
    as(intake_client, member_1_1, "window_clerk", COMMUNITY_1_1);
    int64_t a = submit(0, 0), b = submit(0, 1), d = submit(0, 2);
    SF_CHECK(a && b && d);
    SF_CHECK(step("CaseSign", a) && step("CaseStart", a) && resolve(a) && close_case(a, 5));
    SF_CHECK(step("CaseSign", b) && step("CaseStart", b) && resolve(b) && close_case(b, 2));
    sf_client_set_principal(intake_client, NULL, NULL, NULL);
    int64_t c = submit(0, 0);
    SF_CHECK(c && resolve(b) && close_case(b, 4));
    as(intake_client, member_1_1, "window_clerk", COMMUNITY_1_1);
    char text[300];
    snprintf(text, sizeof text, "UPDATE intake.intake_case SET due_at = now() - interval '1 minute' WHERE id = %lld",
             (long long) c);
    SF_CHECK(step("CaseSign", c) && step("CaseStart", c) && sf_test_pg_exec(conn, text) == 0 && resolve(c)
             && close_case(c, 3));
    snprintf(text, sizeof text, "UPDATE intake.intake_case SET due_at = now() - interval '1 hour' WHERE id = %lld",
             (long long) d);
    SF_CHECK(sf_test_pg_exec(conn, text) == 0);
    sf_client_set_principal(intake_client, NULL, NULL, NULL);
    Sifang__V1__CaseSweepRequest sweep = SIFANG__V1__CASE_SWEEP_REQUEST__INIT;
    SF_CHECK(td_call(intake_client, "CaseSweep", &sweep.base, NULL, NULL) == SF_OK);
    if (!SF_CHECK(volunteer_work()))
        goto cleanup;
    if (!SF_CHECK(td_wait_caught_up(admin, "grid", grid_endpoint, 60000)
                  && td_wait_caught_up(admin, "intake", intake_endpoint, 60000)
                  && td_wait_caught_up(admin, "volunteer", volunteer_endpoint, 60000)))
        goto cleanup;

    /* Their own figures, every one against intake's tables. */
    as(person, member_1_1, "window_clerk", COMMUNITY_1_1);
    const char *periods[3] = { month, half, year };
    for (int p = 0; p < 3; p++) {
        Sifang__V1__StaffFigures *f = figures_get(person, member_1_1, periods[p]);
        compare_figures(f, member_1_1, periods[p]);
        if (f && p == 0)
            SF_CHECK(f->cases_registered == 3 && f->cases_handled == 2 && f->cases_handled_on_time == 1
                     && f->cases_reworked == 1 && f->return_visits == 2 && f->satisfaction == 4
                     && f->n_zones == 3 && f->zones_backlog == 1 && f->pairings_active == 2
                     && f->pairings_contacted == 1 && f->contact_rate == 50 && f->visits == 2);
        if (f)
            protobuf_c_message_free_unpacked(&f->base, NULL);
    }
    /* The street cadre answers for the same zones: the same backlog. */
    Sifang__V1__StaffFigures *cadre = figures_get(admin, cadre_1, month);
    compare_figures(cadre, cadre_1, month);
    if (cadre)
        protobuf_c_message_free_unpacked(&cadre->base, NULL);

    /* Who sees whose: a colleague and another community's manager are
     * refused, the community's manager sees the person and the team. */
    Sifang__V1__StaffFiguresGetRequest get = SIFANG__V1__STAFF_FIGURES_GET_REQUEST__INIT;
    get.staff_id = member_1_1;
    get.period = month;
    as(person, member_1_2, "window_clerk", COMMUNITY_1_2);
    SF_CHECK(td_refused(person, "StaffFiguresGet", &get.base, SF_PERMISSION_DENIED, NULL));
    Sifang__V1__StaffFiguresListRequest team = SIFANG__V1__STAFF_FIGURES_LIST_REQUEST__INIT;
    team.under = COMMUNITY_1_2;
    team.period = month;
    SF_CHECK(td_refused(person, "StaffFiguresList", &team.base, SF_PERMISSION_DENIED, NULL));
    as(person, "S-manager-2-1", "community_staff", COMMUNITY_2_1);
    SF_CHECK(td_refused(person, "StaffFiguresGet", &get.base, SF_PERMISSION_DENIED, NULL));
    as(person, "S-manager-1-1", "community_staff", COMMUNITY_1_1);
    Sifang__V1__StaffFigures *managed = figures_get(person, member_1_1, month);
    compare_figures(managed, member_1_1, month);
    team.under = COMMUNITY_1_1;
    Sifang__V1__StaffFiguresListReply *listed = NULL;
    if (SF_CHECK(td_call(person, "StaffFiguresList", &team.base, &sifang__v1__staff_figures_list_reply__descriptor,
                         (ProtobufCMessage **) &listed) == SF_OK)) {
        SF_CHECK(listed->n_staff == 1 && strcmp(listed->staff[0]->staff_id, member_1_1) == 0);
        if (listed->n_staff == 1 && managed)
            SF_CHECK(listed->staff[0]->cases_handled == managed->cases_handled
                     && listed->staff[0]->cases_reworked == managed->cases_reworked);
        protobuf_c_message_free_unpacked(&listed->base, NULL);
    }
    /* Outside the manager's scope: an empty team, not another's. */
    team.under = COMMUNITY_1_2;
    if (SF_CHECK(td_call(person, "StaffFiguresList", &team.base, &sifang__v1__staff_figures_list_reply__descriptor,
                         (ProtobufCMessage **) &listed) == SF_OK)) {
        SF_CHECK(listed->n_staff == 0);
        protobuf_c_message_free_unpacked(&listed->base, NULL);
    }
    if (managed)
        protobuf_c_message_free_unpacked(&managed->base, NULL);
    printf("compared %d figures with SQL over intake and volunteer\n", compared);

    person_kpis(person, admin);
    targets_by_level(admin);
    reports_and_awards(person, admin);

cleanup:
    sf_client_destroy(&admin);
    sf_client_destroy(&person);
    sf_client_destroy(&intake_client);
    sf_client_destroy(&volunteer_client);
    sf_client_destroy(&grid_client);
    if (evaluation)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    if (volunteer)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&volunteer), 0);
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
    free(volunteer_endpoint);
    free(volunteer_publish);
    return sf_test_done();
}
