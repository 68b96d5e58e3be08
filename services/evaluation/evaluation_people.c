/* People's figures (issue 19, 窗口服务人员管理): the window staff's cases and
 * the zone cadres' zones, per person and period, as sums over what
 * evaluation knows of each case (the people in it, kept on the case's row by
 * the intake mapping), of reworks and visits by person, and of the zone
 * facts. Each person sees their own; the managers whose scope reaches a
 * person's unit see theirs (EVAL_ROLES_TEAM). */
#include "evaluation.h"
#include "sf_log.h"
#include "sf_codes.h"
#include "sf_row.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the people in a case (the intake mapping) ------------------------------- */

static void
copy_text(char *out, size_t size, const char *text)
{
    /* Staff ids and principals are short by contract (grid's "S00042", a
     * sweep's name); one that would not fit is kept empty, never cut. */
    if (!text || strlen(text) >= size)
        text = "";
    snprintf(out, size, "%s", text);
}

void
eval_case_people_read(eval_case_people_t *people, const PGresult *result, int column)
{
    memset(people, 0, sizeof *people);
    if (!result)
        return;
    copy_text(people->first_responder, sizeof people->first_responder, sf_db_text(result, 0, column));
    copy_text(people->received_month, sizeof people->received_month, sf_db_text(result, 0, column + 1));
    copy_text(people->resolver, sizeof people->resolver, sf_db_text(result, 0, column + 2));
    people->resolved_ms = sf_db_int(result, 0, column + 3);
    copy_text(people->handled_by, sizeof people->handled_by, sf_db_text(result, 0, column + 4));
    copy_text(people->closed_month, sizeof people->closed_month, sf_db_text(result, 0, column + 5));
    people->handled_on_time = sf_db_bool(result, 0, column + 6);
    people->satisfaction = sf_db_int(result, 0, column + 7);
    people->handling_ms = sf_db_int(result, 0, column + 8);
}

static void
month_of(int64_t at_ms, char out[EVAL_MONTH_SIZE])
{
    eval_period_t month, half, year;
    eval_period_of(at_ms, &month, &half, &year);
    snprintf(out, EVAL_MONTH_SIZE, "%s", month.code);
}

static bool
resolving(Sifang__V1__CaseAction action)
{
    return action == SIFANG__V1__CASE_ACTION__CASE_ACTION_RESOLVED
        || action == SIFANG__V1__CASE_ACTION__CASE_ACTION_DIRECT_ANSWERED;
}

/* Who resolved the case last: the event's step when it is believed (its seq
 * is the case's version) and resolves; else the latest resolving step of
 * the case's audit trail up to this version (CaseHistory), as the step's
 * time is asked for in evaluation_intake.c. UNAVAILABLE when intake does not
 * answer (the page is tried again). */
static sf_status_t
resolver_of(eval_source_t *source, const Sifang__V1__Case *c, char *out, size_t size)
{
    const Sifang__V1__CaseTransition *t = c->last_transition;
    if (t && t->seq == c->version && resolving(t->action)) {
        copy_text(out, size, t->actor_id);
        return SF_OK;
    }
    out[0] = '\0';
    if (!source->reader)
        return SF_OK;
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = c->id;
    Sifang__V1__CaseHistoryReply *history = NULL;
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(source->reader, "CaseHistory", NULL, &ref.base,
                                        &sifang__v1__case_history_reply__descriptor, (ProtobufCMessage **) &history,
                                        &info);
    if (status == SF_UNAVAILABLE || status == SF_DEADLINE_EXCEEDED)
        return SF_UNAVAILABLE;
    int32_t best = 0;
    bool by_provider = false;   /* a provider's completion resolved it: no one of the staff answered */
    for (size_t i = 0; status == SF_OK && i < history->n_transitions; i++) {
        const Sifang__V1__CaseTransition *step = history->transitions[i];
        if (resolving(step->action) && step->seq <= c->version && step->seq > best) {
            best = step->seq;
            copy_text(out, size, step->actor_id);
        }
        by_provider = by_provider || (step->action == SIFANG__V1__CASE_ACTION__CASE_ACTION_PROVIDER_COMPLETED
                                      && step->seq <= c->version);
    }
    if (!best && !by_provider) {
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long) c->id);
        sf_warn("a resolved case's resolver not found in the source's history", "source", source->name,
                "case", id, "status", sf_status_name(status));
    }
    if (history)
        protobuf_c_message_free_unpacked(&history->base, NULL);
    return SF_OK;
}

sf_status_t
eval_case_people_step(eval_source_t *source, sf_db_t *db, const Sifang__V1__Case *c, const Sifang__V1__Event *event,
                      bool known, bool was_closed, int64_t reworked, int64_t at, eval_case_people_t *people)
{
    (void) event;
    if (!known) {
        copy_text(people->first_responder, sizeof people->first_responder, c->first_responder_id);
        month_of(c->received_unix_ms ? c->received_unix_ms : at, people->received_month);
    }
    /* Reopened for rework: against whoever's answer was reopened, before a
     * later resolution names another. */
    sf_status_t status = SF_OK;
    if (reworked > 0 && *people->resolver) {
        char month[EVAL_MONTH_SIZE];
        month_of(at, month);
        status = sf_db_run(db,
            "INSERT INTO staff_rework (source, case_id, reworks, staff_id, month, count)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            SF_PARAMS(event->source, c->id, c->rework_count, people->resolver, month, reworked), NULL);
    }
    /* A new resolution (a resolved time not seen before): its resolver. */
    if (status == SF_OK && c->resolved_unix_ms && c->resolved_unix_ms != people->resolved_ms) {
        status = resolver_of(source, c, people->resolver, sizeof people->resolver);
        people->resolved_ms = c->resolved_unix_ms;
    }
    if (status == SF_OK && c->status == SIFANG__V1__CASE_STATUS__CASE_STATUS_CLOSED && !was_closed) {
        snprintf(people->handled_by, sizeof people->handled_by, "%s", people->resolver);
        month_of(c->closed_unix_ms ? c->closed_unix_ms : at, people->closed_month);
        people->handled_on_time = c->resolved_in_time;
        people->satisfaction = c->satisfaction >= 1 && c->satisfaction <= 5 ? c->satisfaction : 0;
        people->handling_ms = c->resolved_unix_ms && c->received_unix_ms && c->resolved_unix_ms > c->received_unix_ms
                            ? c->resolved_unix_ms - c->received_unix_ms : 0;
    }
    return status;
}

sf_status_t
eval_staff_visit(sf_db_t *db, const char *source, const char *visit_id, const char *staff_id, int64_t at_ms)
{
    if (!*visit_id || !*staff_id)
        return SF_OK;
    char month[EVAL_MONTH_SIZE];
    month_of(at_ms, month);
    return sf_db_run(db,
        "INSERT INTO staff_visit (source, id, staff_id, month) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        SF_PARAMS(source, visit_id, staff_id, month), NULL);
}

/* --- who sees whose ----------------------------------------------------------- */

bool
eval_may_see_person(sf_call_t *call, const char *staff_id, const char *unit_code)
{
    const Sifang__V1__Principal *principal = sf_call_principal(call);
    if (sf_call_is_person(call) && principal && principal->id && strcmp(principal->id, staff_id) == 0)
        return true;
    return *unit_code && sf_call_covers_as(call, EVAL_ROLES_TEAM, unit_code);
}

/* --- the figures ---------------------------------------------------------------- */

/* The codes of person_fact (migration 015), in the order of the enum. */
const char *const eval_person_fact_codes[EVAL_PERSON_FACTS] = {
    [EVAL_PERSON_CASES_REGISTERED] = "cases_registered",
    [EVAL_PERSON_CASES_HANDLED] = "cases_handled",
    [EVAL_PERSON_CASES_HANDLED_ON_TIME] = "cases_handled_on_time",
    [EVAL_PERSON_RETURN_VISITS] = "return_visits",
    [EVAL_PERSON_SATISFACTION_POINTS] = "satisfaction_points",
    [EVAL_PERSON_HANDLING_HOURS] = "handling_hours",
    [EVAL_PERSON_CASES_REWORKED] = "cases_reworked",
    [EVAL_PERSON_VISITS] = "visits",
    [EVAL_PERSON_ZONES_BACKLOG] = "zones_backlog",
    [EVAL_PERSON_PAIRINGS_ACTIVE] = "pairings_active",
    [EVAL_PERSON_PAIRINGS_CONTACTED] = "pairings_contacted",
};

typedef struct {
    Sifang__V1__StaffFigures *figures;
    eval_person_facts_t facts;
} person_t;

static person_t *
person_of(person_t *people, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(people[i].figures->staff_id, id) == 0)
            return &people[i];
    return NULL;
}

/* Fills the figures of people (their staff_id, name, kind and unit set)
 * over the period, a few statements for all of them: their facts, then
 * what they are measured on (eval_person_kpis_apply). */
static sf_status_t
figures_fill(sf_call_t *call, const eval_period_t *period, person_t *people, size_t n)
{
    sf_pgarray_t ids, months;
    sf_pgarray_init(&ids);
    sf_pgarray_init(&months);
    for (size_t i = 0; i < n; i++)
        sf_pgarray_add_text(&ids, people[i].figures->staff_id);
    for (int m = 0; m < period->months; m++) {
        eval_period_t month;
        eval_period_month(period, m, &month);
        sf_pgarray_add_text(&months, month.code);
    }
    char *id_list = sf_call_strdup(call, sf_pgarray_text(&ids));
    char *month_list = sf_call_strdup(call, sf_pgarray_text(&months));
    sf_pgarray_release(&ids);
    sf_pgarray_release(&months);
    sf_params_t *params = SF_PARAMS(id_list, month_list);

    PGresult *r = sf_call_query(call,
        "SELECT first_responder, count(*) FROM intake_case"
        " WHERE first_responder = ANY($1::text[]) AND received_month = ANY($2::text[]) GROUP BY 1", params);
    if (!r)
        return sf_call_status(call);
    for (int row = 0; row < PQntuples(r); row++) {
        person_t *p = person_of(people, n, sf_db_text(r, row, 0));
        if (p)
            p->facts.values[EVAL_PERSON_CASES_REGISTERED] = sf_db_double(r, row, 1);
    }
    r = sf_call_query(call,
        "SELECT handled_by, count(*), count(*) FILTER (WHERE handled_on_time), count(*) FILTER (WHERE satisfaction > 0),"
        "       coalesce(sum(satisfaction), 0), coalesce(sum(handling_ms), 0)"
        "  FROM intake_case WHERE handled_by = ANY($1::text[]) AND closed_month = ANY($2::text[]) GROUP BY 1", params);
    if (!r)
        return sf_call_status(call);
    for (int row = 0; row < PQntuples(r); row++) {
        person_t *p = person_of(people, n, sf_db_text(r, row, 0));
        if (!p)
            continue;
        p->facts.values[EVAL_PERSON_CASES_HANDLED] = sf_db_double(r, row, 1);
        p->facts.values[EVAL_PERSON_CASES_HANDLED_ON_TIME] = sf_db_double(r, row, 2);
        p->facts.values[EVAL_PERSON_RETURN_VISITS] = sf_db_double(r, row, 3);
        p->facts.values[EVAL_PERSON_SATISFACTION_POINTS] = sf_db_double(r, row, 4);
        p->facts.values[EVAL_PERSON_HANDLING_HOURS] = sf_db_double(r, row, 5) / 3600000.0;
    }
    r = sf_call_query(call,
        "SELECT staff_id, sum(count) FROM staff_rework"
        " WHERE staff_id = ANY($1::text[]) AND month = ANY($2::text[]) GROUP BY 1", params);
    if (!r)
        return sf_call_status(call);
    for (int row = 0; row < PQntuples(r); row++) {
        person_t *p = person_of(people, n, sf_db_text(r, row, 0));
        if (p)
            p->facts.values[EVAL_PERSON_CASES_REWORKED] = sf_db_double(r, row, 1);
    }
    r = sf_call_query(call,
        "SELECT staff_id, count(*) FROM staff_visit"
        " WHERE staff_id = ANY($1::text[]) AND month = ANY($2::text[]) GROUP BY 1", params);
    if (!r)
        return sf_call_status(call);
    for (int row = 0; row < PQntuples(r); row++) {
        person_t *p = person_of(people, n, sf_db_text(r, row, 0));
        if (p)
            p->facts.values[EVAL_PERSON_VISITS] = sf_db_double(r, row, 1);
    }
    /* The zones they answer for, and their stocks at the period's end (the
     * sum of the rows of the period's kind up to it) and contacts in it. */
    r = sf_call_query(call,
        "SELECT staff_id, array_to_string(array_agg(DISTINCT unit_code ORDER BY unit_code), ' ')"
        "  FROM responsibility WHERE staff_id = ANY($1::text[]) AND kind IN (1, 2) GROUP BY 1", SF_PARAMS(id_list));
    if (!r)
        return sf_call_status(call);
    for (int row = 0; row < PQntuples(r); row++) {
        person_t *p = person_of(people, n, sf_db_text(r, row, 0));
        if (!p)
            continue;
        char *zones = sf_call_strdup(call, sf_db_text(r, row, 1));
        size_t count = 1;
        for (const char *c = zones; *c; c++)
            count += *c == ' ';
        p->figures->zones = sf_call_new_array(call, count, sizeof *p->figures->zones);
        for (char *save = NULL, *zone = strtok_r(zones, " ", &save); zone; zone = strtok_r(NULL, " ", &save))
            p->figures->zones[p->figures->n_zones++] = zone;
    }
    r = sf_call_query(call,
        "SELECT z.staff_id, f.fact, sum(f.value)"
        "  FROM (SELECT DISTINCT staff_id, unit_code FROM responsibility"
        "         WHERE staff_id = ANY($1::text[]) AND kind IN (1, 2)) z"
        "  JOIN fact_total f ON f.unit_code = z.unit_code AND f.period_kind = $2"
        " WHERE (f.fact IN ('cases_backlog', 'help_pairings_active') AND f.period <= $3)"
        "    OR (f.fact = 'pairings_contacted' AND f.period = $3)"
        " GROUP BY 1, 2",
        SF_PARAMS(id_list, (int) period->kind, period->code));
    if (!r)
        return sf_call_status(call);
    for (int row = 0; row < PQntuples(r); row++) {
        person_t *p = person_of(people, n, sf_db_text(r, row, 0));
        if (!p)
            continue;
        const char *fact = sf_db_text(r, row, 1);
        double value = (double) llround(sf_db_double(r, row, 2));
        if (strcmp(fact, "cases_backlog") == 0)
            p->facts.values[EVAL_PERSON_ZONES_BACKLOG] = value;
        else if (strcmp(fact, "help_pairings_active") == 0)
            p->facts.values[EVAL_PERSON_PAIRINGS_ACTIVE] = value;
        else
            p->facts.values[EVAL_PERSON_PAIRINGS_CONTACTED] = value;
    }
    char *period_code = sf_call_strdup(call, period->code);   /* the period itself lives on a stack */
    Sifang__V1__StaffFigures **figures = sf_call_new_array(call, n + 1, sizeof *figures);
    eval_person_facts_t *facts = sf_call_new_array(call, n + 1, sizeof *facts);
    for (size_t i = 0; i < n; i++) {
        Sifang__V1__StaffFigures *f = figures[i] = people[i].figures;
        const double *v = (facts[i] = people[i].facts).values;
        f->period = period_code;
        /* The counts, as they are (the facts are whole but for the hours). */
        f->cases_registered = (int64_t) v[EVAL_PERSON_CASES_REGISTERED];
        f->cases_handled = (int64_t) v[EVAL_PERSON_CASES_HANDLED];
        f->cases_handled_on_time = (int64_t) v[EVAL_PERSON_CASES_HANDLED_ON_TIME];
        f->return_visits = (int64_t) v[EVAL_PERSON_RETURN_VISITS];
        f->cases_reworked = (int64_t) v[EVAL_PERSON_CASES_REWORKED];
        f->visits = (int64_t) v[EVAL_PERSON_VISITS];
        f->zones_backlog = (int64_t) v[EVAL_PERSON_ZONES_BACKLOG];
        f->pairings_active = (int64_t) v[EVAL_PERSON_PAIRINGS_ACTIVE];
        f->pairings_contacted = (int64_t) v[EVAL_PERSON_PAIRINGS_CONTACTED];
    }
    return eval_person_kpis_apply(call, figures, facts, n);
}

static person_t *
people_from_rows(sf_call_t *call, PGresult *rows, size_t *n_p)
{
    size_t n = (size_t) PQntuples(rows);
    person_t *people = sf_call_new_array(call, n + 1, sizeof *people);
    for (size_t i = 0; i < n; i++) {
        people[i].figures = (Sifang__V1__StaffFigures *)
            sf_call_row_message(call, &sifang__v1__staff_figures__descriptor, rows, (int) i,
                                "staff_id name kind unit_code");
    }
    *n_p = n;
    return people;
}

sf_status_t
eval_staff_figures_of(sf_call_t *call, const char *staff_id, const eval_period_t *period,
                      Sifang__V1__StaffFigures **figures_p)
{
    *figures_p = NULL;
    PGresult *rows = sf_call_query(call, "SELECT id, name, kind, unit_code FROM staff WHERE id = $1",
                                   SF_PARAMS(staff_id));
    if (!rows)
        return sf_call_status(call);
    if (PQntuples(rows) == 0)
        return SF_OK;
    size_t n;
    person_t *people = people_from_rows(call, rows, &n);
    sf_status_t status = figures_fill(call, period, people, n);
    if (status == SF_OK)
        *figures_p = people[0].figures;
    return status;
}

sf_status_t
eval_staff_figures_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__StaffFiguresGetRequest *ask = (const Sifang__V1__StaffFiguresGetRequest *) request;
    eval_period_t period;
    if (!*ask->staff_id)
        sf_call_violation(call, "staff_id", "is required");
    eval_check_period(call, "period", ask->period,
                      1u << EVAL_PERIOD_MONTH | 1u << EVAL_PERIOD_HALF_YEAR | 1u << EVAL_PERIOD_YEAR, &period);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__StaffFigures *figures;
    sf_status_t status = eval_staff_figures_of(call, ask->staff_id, &period, &figures);
    if (status != SF_OK)
        return status;
    /* Someone else's figures only for their managers; whether a person
     * exists is not told to those who manage no one. */
    if (figures && !eval_may_see_person(call, ask->staff_id, figures->unit_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "only the person and their managers see these figures");
    if (!figures)
        return eval_may_see_person(call, ask->staff_id, "") || sf_call_has_role(call, EVAL_ROLES_TEAM)
            ? sf_call_refuse(call, SF_NOT_FOUND, "staff_id", "no staff member %s", ask->staff_id)
            : sf_call_fail(call, SF_PERMISSION_DENIED, "only the person and their managers see these figures");
    *reply_p = &figures->base;
    return SF_OK;
}

sf_status_t
eval_staff_figures_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__StaffFiguresListRequest *ask = (const Sifang__V1__StaffFiguresListRequest *) request;
    Sifang__V1__StaffFiguresListReply *reply = (Sifang__V1__StaffFiguresListReply *)
        sf_call_new_message(call, &sifang__v1__staff_figures_list_reply__descriptor);
    *reply_p = &reply->base;
    eval_period_t period;
    eval_check_period(call, "period", ask->period,
                      1u << EVAL_PERIOD_MONTH | 1u << EVAL_PERIOD_HALF_YEAR | 1u << EVAL_PERIOD_YEAR, &period);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    /* A team is for its managers: a role that manages none is refused (a
     * window clerk's scope reaches their unit, but not their colleagues). */
    if (!sf_call_has_role(call, EVAL_ROLES_TEAM))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "a team's figures are for its managers");
    const char *prefix = NULL;
    bool visible = sf_call_scope_under_as(call, EVAL_ROLES_TEAM, "under", ask->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible)
        return SF_OK;
    char upper[24];
    eval_subtree_upper(prefix ? prefix : "", upper, sizeof upper);
    PGresult *rows = sf_call_query(call,
        "SELECT id, name, kind, unit_code FROM staff WHERE active AND unit_code >= $1 AND unit_code < $2"
        " ORDER BY unit_code, id LIMIT 1001", SF_PARAMS(prefix ? prefix : "", upper));
    if (!rows)
        return sf_call_status(call);
    if (PQntuples(rows) > 1000)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "under", "more than 1000 staff: name a smaller unit");
    size_t n;
    person_t *people = people_from_rows(call, rows, &n);
    sf_status_t status = figures_fill(call, &period, people, n);
    if (status != SF_OK)
        return status;
    reply->staff = sf_call_new_array(call, n, sizeof *reply->staff);
    for (size_t i = 0; i < n; i++)
        reply->staff[reply->n_staff++] = people[i].figures;
    return SF_OK;
}
