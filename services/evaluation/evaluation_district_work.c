/* The district's own work as facts (issue 19): community funding spent and
 * what of it reached residents (grid's funding.spent, by the day spent, in
 * the community), part-time committee members expected at meetings and
 * those who attended (grid's meeting_attendance.recorded, by the day held,
 * in the community of each seat; the joint mechanisms' member units expected
 * and attended, in the community or street that held the meeting), and
 * co-building commitments going on and kept (volunteer's cobuilding.*
 * events); leaders' contact points (一线工作法:
 * visits, problems found, solved, become cases, in the point) and
 * departments' work in their paired communities (帮建对子: visits, problems
 * taken on, resources given, and the pairings themselves). Each record is
 * counted once (counted_record; a co-building's state in
 * volunteer_cobuilding, a contact problem's in contact_problem_state). */
#include "evaluation.h"
#include "sf_log.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Whether source_service's record id of source is counted for the first
 * time now (*first), marking it counted. */
static sf_status_t
first_count(sf_db_t *db, const char *service, const char *source, const char *id, bool *first)
{
    PGresult *result = NULL;
    sf_status_t status = sf_db_run(db,
        "INSERT INTO counted_record (source_service, source, id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1",
        SF_PARAMS(service, source, id), &result);
    if (status != SF_OK)
        return status;
    *first = PQntuples(result) == 1;
    PQclear(result);
    return SF_OK;
}

/* The facts of deltas in unit on the day (YYYY-MM-DD). */
static sf_status_t
add_on_day(sf_db_t *db, const char *unit, const char *day, const eval_delta_t *deltas, size_t n)
{
    eval_period_t periods[3];
    if (!eval_period_of_date(day, &periods[0], &periods[1], &periods[2])) {
        sf_warn("a record without a valid day not counted", "unit", unit);
        return SF_OK;
    }
    return eval_facts_add_periods(db, unit, periods, 3, deltas, n);
}

/* A spending counts on the day spent (sign 1); its reversal (红字冲销,
 * grid's funding.spending_reversed, sign -1) takes it out of that same day,
 * whenever the red entry was made, so that the period the money was spent in
 * reads as if it had never been recorded. A reversal is counted once
 * ("<id>/reversed"); one of a spending never counted (which cannot come
 * before its funding.spent in grid's log) marks the spending counted
 * instead, so that it never is. */
static sf_status_t
apply_spending(sf_db_t *db, const char *source, const Sifang__V1__FundingSpending *spending, int sign)
{
    bool first = false;
    char reversal[64];
    snprintf(reversal, sizeof reversal, "%s/reversed", spending->id);
    sf_status_t status = first_count(db, "grid", source, sign > 0 ? spending->id : reversal, &first);
    if (status != SF_OK || !first)
        return status;
    if (sign < 0) {
        bool never_counted = false;
        status = first_count(db, "grid", source, spending->id, &never_counted);
        if (status != SF_OK || never_counted)
            return status;
    }
    bool residents = spending->purpose == SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_ACTIVITIES
                  || spending->purpose == SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_SERVICES;
    double amount = (double) sign * (double) spending->amount_fen;
    eval_delta_t deltas[2] = {
        { "funding_spent_fen", amount },
        { "funding_for_residents_fen", residents ? amount : 0 },
    };
    return add_on_day(db, spending->community_code, spending->spent_on, deltas, 2);
}

static sf_status_t
apply_attendance(sf_db_t *db, const char *source, const Sifang__V1__MeetingAttendance *attendance)
{
    bool first = false;
    sf_status_t status = first_count(db, "grid", source, attendance->id, &first);
    for (size_t i = 0; status == SF_OK && first && i < attendance->n_attendees; i++) {
        const Sifang__V1__MeetingAttendanceEntry *entry = attendance->attendees[i];
        bool attended = entry->status == SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_ATTENDED;
        eval_delta_t deltas[2] = { { "part_time_seats_expected", 1 }, { "part_time_seats_attended", attended ? 1 : 0 } };
        status = add_on_day(db, entry->seat_code, attendance->held_on, deltas, 2);
    }
    /* A joint meeting's member units count where it was held: the
     * community's five-party meeting, the street's joint meeting. */
    for (size_t i = 0; status == SF_OK && first && i < attendance->n_member_units; i++) {
        bool attended = attendance->member_units[i]->status
                     == SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_ATTENDED;
        eval_delta_t deltas[2] = { { "joint_units_expected", 1 }, { "joint_units_attended", attended ? 1 : 0 } };
        status = add_on_day(db, attendance->unit_code, attendance->held_on, deltas, 2);
    }
    return status;
}

/* --- leaders' contact points and departments' work (migration 011) ------------------- */

#define PROBLEM_SOLVED SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_SOLVED
#define PROBLEM_CASE SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_CASE

/* The fact a problem's status counts in, NULL while open. */
static const char *
problem_fact(int status)
{
    return status == PROBLEM_SOLVED ? "contact_problems_solved"
         : status == PROBLEM_CASE   ? "contact_problems_to_case" : NULL;
}

/* A problem counted before migration 020 has no day found: the visit read
 * again (020 asks grid's records to be) gives it the visit's day, and what
 * it counted on the day closed moves there (a case waiting uncounted,
 * migration 022, reads as open: nothing to move). */
static sf_status_t
date_problems_found(sf_db_t *db, const char *source, const Sifang__V1__ContactVisit *visit)
{
    sf_status_t status = SF_OK;
    for (size_t i = 0; status == SF_OK && i < visit->n_problems; i++) {
        PGresult *result = NULL;
        status = sf_db_run(db,
            "SELECT CASE WHEN status = 3 AND NOT case_counted THEN 1 ELSE status END, closed_ms, point_code"
            " FROM contact_problem_state WHERE source = $1 AND id = $2 AND found_ms IS NULL FOR UPDATE",
            SF_PARAMS(source, visit->problems[i]->id), &result);
        if (status != SF_OK)
            return status;
        if (PQntuples(result) == 1) {
            const char *fact = problem_fact((int) sf_db_int(result, 0, 0));
            int64_t closed = sf_db_int(result, 0, 1);
            char point[32];
            snprintf(point, sizeof point, "%s", sf_db_text(result, 0, 2));
            eval_delta_t out = { fact, -1 }, in = { fact, 1 };
            if (fact)
                status = eval_facts_add(db, point, closed, &out, 1);
            if (status == SF_OK && fact)
                status = eval_facts_add(db, point, visit->visited_unix_ms, &in, 1);
            if (status == SF_OK)
                status = sf_db_run(db, "UPDATE contact_problem_state SET found_ms = $3 WHERE source = $1 AND id = $2",
                                   SF_PARAMS(source, visit->problems[i]->id, visit->visited_unix_ms), NULL);
        }
        PQclear(result);
    }
    return status;
}

/* A visit counts in its contact point on the day visited, with the
 * problems found there; each problem's state is kept to follow it up, with
 * the day it was found: what becomes of it counts in that period. */
static sf_status_t
apply_contact_visit(sf_db_t *db, const char *source, const Sifang__V1__ContactVisit *visit)
{
    bool first = false;
    sf_status_t status = first_count(db, "grid", source, visit->id, &first);
    if (status != SF_OK)
        return status;
    if (!first)
        return date_problems_found(db, source, visit);
    eval_delta_t deltas[2] = { { "contact_visits", 1 }, { "contact_problems_found", (double) visit->n_problems } };
    status = eval_facts_add(db, visit->point_code, visit->visited_unix_ms, deltas, 2);
    for (size_t i = 0; status == SF_OK && i < visit->n_problems; i++)
        status = sf_db_run(db,
            "INSERT INTO contact_problem_state (source, id, point_code, status, closed_ms, version, found_ms)"
            " VALUES ($1, $2, $3, 1, 0, $4, $5) ON CONFLICT DO NOTHING",
            SF_PARAMS(source, visit->problems[i]->id, visit->point_code, visit->problems[i]->version,
                      visit->visited_unix_ms), NULL);
    return status;
}

/* The intake whose cases a grid source's problems are handed to: the
 * district's own, under the same district name at the city level ("grid"
 * -> "intake", "sifang:grid" -> "sifang:intake"). */
static void
intake_source_of(const char *grid_source, char *out, size_t size)
{
    const char *colon = strchr(grid_source, ':');
    snprintf(out, size, "%.*sintake", colon ? (int) (colon - grid_source + 1) : 0, grid_source);
}

/* Whether evaluation has seen intake's case id (its intake_case row). */
static sf_status_t
case_known(sf_db_t *db, const char *intake_source, int64_t case_id, bool *known)
{
    PGresult *result = NULL;
    sf_status_t status = sf_db_run(db, "SELECT 1 FROM intake_case WHERE source = $1 AND id = $2",
                                   SF_PARAMS(intake_source, case_id), &result);
    if (status != SF_OK)
        return status;
    *known = PQntuples(result) == 1;
    PQclear(result);
    return SF_OK;
}

sf_status_t
eval_contact_case_seen(sf_db_t *db, const char *intake_source, int64_t case_id)
{
    PGresult *result = NULL;
    sf_status_t status = sf_db_run(db,
        "UPDATE contact_problem_state SET case_counted = true"
        " WHERE case_source = $1 AND case_id = $2 AND status = 3 AND NOT case_counted"
        " RETURNING point_code, COALESCE(found_ms, closed_ms)", SF_PARAMS(intake_source, case_id), &result);
    if (status != SF_OK)
        return status;
    for (int row = 0; status == SF_OK && row < PQntuples(result); row++) {
        eval_delta_t in = { "contact_problems_to_case", 1 };
        status = eval_facts_add(db, sf_db_text(result, row, 0), sf_db_int(result, row, 1), &in, 1);
    }
    PQclear(result);
    return status;
}

/* A problem counts as solved, or as become a case, in the period it was
 * found (a cohort: never more solved than found in a month), as long as it
 * stays so: a later update takes it back and counts it again as it is now.
 * A case counts only once evaluation has seen it among intake's (migration
 * 022): grid takes any id a leader gives; a problem handed to a case not
 * (yet) seen waits uncounted, and counts when the case's first event comes
 * (eval_contact_case_seen). One counted before migration 020 and not yet
 * given its day counts on the day closed, as it did. An update older than
 * the state kept (by version) changes nothing. */
static sf_status_t
apply_contact_problem(sf_db_t *db, const char *source, const Sifang__V1__ContactProblem *problem)
{
    PGresult *result = NULL;
    sf_status_t status = sf_db_run(db,
        "SELECT status, closed_ms, version, point_code, found_ms, case_id, case_counted FROM contact_problem_state"
        " WHERE source = $1 AND id = $2 FOR UPDATE", SF_PARAMS(source, problem->id), &result);
    if (status != SF_OK)
        return status;
    /* A problem whose visit was never counted (recorded before migration
     * 011) is not counted either: it was not among those found. */
    if (PQntuples(result) != 1) {
        PQclear(result);
        return SF_OK;
    }
    int was = (int) sf_db_int(result, 0, 0);
    int64_t was_closed = sf_db_int(result, 0, 1), version = sf_db_int(result, 0, 2);
    char point[32];
    snprintf(point, sizeof point, "%s", sf_db_text(result, 0, 3));
    bool dated = !sf_db_is_null(result, 0, 4);
    int64_t found = dated ? sf_db_int(result, 0, 4) : 0;
    int64_t was_case = sf_db_int(result, 0, 5);
    bool was_counted = sf_db_bool(result, 0, 6);
    PQclear(result);
    if (problem->version <= version)
        return SF_OK;
    char intake_source[160];
    intake_source_of(source, intake_source, sizeof intake_source);
    bool known = true;
    if (problem->status == PROBLEM_CASE && (status = case_known(db, intake_source, problem->case_id, &known)) != SF_OK)
        return status;
    const char *before = problem_fact(was), *after = problem_fact(problem->status);
    bool moved = was != (int) problem->status || (!dated && was_closed != problem->closed_unix_ms)
              || (was == PROBLEM_CASE && was_case != problem->case_id);
    bool counted = problem->status != PROBLEM_CASE || known;
    if (before && moved && (was != PROBLEM_CASE || was_counted)) {
        eval_delta_t out = { before, -1 };
        status = eval_facts_add(db, point, dated ? found : was_closed, &out, 1);
    }
    if (status == SF_OK && after && (moved ? counted : was == PROBLEM_CASE && !was_counted && counted)) {
        eval_delta_t in = { after, 1 };
        status = eval_facts_add(db, point, dated ? found : problem->closed_unix_ms, &in, 1);
    }
    if (status != SF_OK)
        return status;
    bool is_case = problem->status == PROBLEM_CASE;
    return sf_db_run(db,
        "UPDATE contact_problem_state SET status = $3, closed_ms = $4, version = $5, case_source = $6, case_id = $7,"
        " case_counted = $8 WHERE source = $1 AND id = $2",
        SF_PARAMS(source, problem->id, (int) problem->status, problem->closed_unix_ms, problem->version,
                  is_case ? intake_source : "", is_case ? problem->case_id : 0,
                  sf_param_bool(!is_case || (moved ? counted : was_counted || counted))), NULL);
}

/* 走遍社区: a visit counts its pairing (department, community) as visited
 * in each period it lies in, once a period however many visits. Counted
 * apart from the visit itself (its own keys), so that re-reading grid's
 * records (migration 013) counts it for visits already counted. */
static sf_status_t
count_pairing_visited(sf_db_t *db, const char *source, const Sifang__V1__DepartmentWork *work)
{
    eval_period_t periods[3];
    eval_period_of(work->at_unix_ms, &periods[0], &periods[1], &periods[2]);
    sf_status_t status = SF_OK;
    for (int p = 0; status == SF_OK && p < 3; p++) {
        char id[200];
        snprintf(id, sizeof id, "visited %s %s %s", work->department_code, work->community_code, periods[p].code);
        bool first = false;
        status = first_count(db, "grid", source, id, &first);
        eval_delta_t delta = { "department_pairings_visited", 1 };
        if (status == SF_OK && first)
            status = eval_facts_add_periods(db, work->community_code, &periods[p], 1, &delta, 1);
    }
    return status;
}

/* A department's visit, problem taken on or resource given counts in the
 * paired community on the day it was done; its follow-up moves nothing. */
static sf_status_t
apply_department_work(sf_db_t *db, const char *source, const Sifang__V1__DepartmentWork *work)
{
    static const char *const facts[] = { NULL, "department_visits", "department_problems_taken",
                                         "department_resources_given" };
    if (work->kind < 1 || work->kind > 3) {
        sf_warn("department work of an unknown kind not counted", "id", work->id);
        return SF_OK;
    }
    sf_status_t status = work->kind == SIFANG__V1__DEPARTMENT_WORK_KIND__DEPARTMENT_WORK_KIND_VISIT
        ? count_pairing_visited(db, source, work) : SF_OK;
    if (status != SF_OK)
        return status;
    bool first = false;
    status = first_count(db, "grid", source, work->id, &first);
    if (status != SF_OK || !first)
        return status;
    eval_delta_t delta = { facts[work->kind], 1 };
    return eval_facts_add(db, work->community_code, work->at_unix_ms, &delta, 1);
}

/* A pairing counts in its community from the day it began (pairings are
 * never removed). */
static sf_status_t
apply_pairing(sf_db_t *db, const char *source, const Sifang__V1__Pairing *pairing)
{
    char id[160];
    snprintf(id, sizeof id, "pairing %s %s", pairing->community_code, pairing->department_code);
    bool first = false;
    sf_status_t status = first_count(db, "grid", source, id, &first);
    if (status != SF_OK || !first)
        return status;
    eval_delta_t delta = { "department_pairings", 1 };
    return eval_facts_add(db, pairing->community_code, pairing->since_unix_ms, &delta, 1);
}

/* Unpacks event's payload as descriptor's message and applies it. */
#define APPLY_AS(type, unpack, apply) do { \
        type *message = unpack(NULL, payload->len, payload->data); \
        if (!message) \
            return SF_DATA_LOSS; \
        sf_status_t status_ = apply(db, event->source, message); \
        protobuf_c_message_free_unpacked(&message->base, NULL); \
        return status_; \
    } while (0)

sf_status_t
eval_grid_records_apply(sf_db_t *db, const Sifang__V1__Event *event, bool *handled)
{
    const ProtobufCBinaryData *payload = &event->payload;
    *handled = true;
    if (strcmp(event->type, "contact_visit.recorded") == 0)
        APPLY_AS(Sifang__V1__ContactVisit, sifang__v1__contact_visit__unpack, apply_contact_visit);
    if (strcmp(event->type, "contact_problem.updated") == 0)
        APPLY_AS(Sifang__V1__ContactProblem, sifang__v1__contact_problem__unpack, apply_contact_problem);
    if (strcmp(event->type, "department_work.recorded") == 0)
        APPLY_AS(Sifang__V1__DepartmentWork, sifang__v1__department_work__unpack, apply_department_work);
    if (strcmp(event->type, "pairing.created") == 0) {
        /* Counted here, then passed on as before. */
        *handled = false;
        APPLY_AS(Sifang__V1__Pairing, sifang__v1__pairing__unpack, apply_pairing);
    }
    *handled = strcmp(event->type, "department_work.followed_up") == 0;
    return SF_OK;
}

sf_status_t
eval_grid_work_apply(sf_db_t *db, const Sifang__V1__Event *event, bool *handled)
{
    const ProtobufCBinaryData *payload = &event->payload;
    *handled = true;
    bool reversed = strcmp(event->type, "funding.spending_reversed") == 0;
    if (reversed || strcmp(event->type, "funding.spent") == 0) {
        Sifang__V1__FundingSpending *spending = sifang__v1__funding_spending__unpack(NULL, payload->len, payload->data);
        if (!spending)
            return SF_DATA_LOSS;
        sf_status_t status = apply_spending(db, event->source, spending, reversed ? -1 : 1);
        protobuf_c_message_free_unpacked(&spending->base, NULL);
        return status;
    }
    if (strcmp(event->type, "meeting_attendance.recorded") == 0) {
        Sifang__V1__MeetingAttendance *attendance =
            sifang__v1__meeting_attendance__unpack(NULL, payload->len, payload->data);
        if (!attendance)
            return SF_DATA_LOSS;
        sf_status_t status = apply_attendance(db, event->source, attendance);
        protobuf_c_message_free_unpacked(&attendance->base, NULL);
        return status;
    }
    /* A budget set moves no fact: the KPI is about what was spent. */
    if (strcmp(event->type, "funding.budget_set") == 0)
        return SF_OK;
    return eval_grid_records_apply(db, event, handled);
}

/* A co-building's commitments count while it goes on: from the day it began
 * (its created event) until it ended. */
static sf_status_t
cobuilding_apply(sf_db_t *db, const char *source, const Sifang__V1__CoBuilding *pair, int64_t at)
{
    PGresult *result = NULL;
    sf_status_t status = sf_db_run(db,
        "SELECT commitments, active FROM volunteer_cobuilding WHERE source = $1 AND id = $2 FOR UPDATE",
        SF_PARAMS(source, pair->id), &result);
    if (status != SF_OK)
        return status;
    bool known = PQntuples(result) == 1;
    int was = known && sf_db_bool(result, 0, 1) ? (int) sf_db_int(result, 0, 0) : 0;
    PQclear(result);
    int now = pair->active ? (int) pair->n_commitments : 0;
    if (now != was) {
        eval_delta_t delta = { "cobuilding_commitments", now - was };
        status = pair->active && *pair->since ? add_on_day(db, pair->community_code, pair->since, &delta, 1)
                                              : eval_facts_add(db, pair->community_code, at, &delta, 1);
    }
    if (status != SF_OK)
        return status;
    return sf_db_run(db,
        "INSERT INTO volunteer_cobuilding (source, id, community_code, commitments, active) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (source, id) DO UPDATE SET commitments = EXCLUDED.commitments, active = EXCLUDED.active",
        SF_PARAMS(source, pair->id, pair->community_code, (int) pair->n_commitments, sf_param_bool(pair->active)),
        NULL);
}

/* A delivery keeps its commitment for the year when it brings the year's
 * deliveries to the quantity (the event carries both, after it). A
 * commitment without a quantity is kept by its first delivery. */
static sf_status_t
cobuilding_delivery_apply(sf_db_t *db, const char *source, const Sifang__V1__CoBuildingDelivery *delivery)
{
    bool first = false;
    sf_status_t status = first_count(db, "volunteer", source, delivery->id, &first);
    if (status != SF_OK || !first)
        return status;
    /* Quantities are sums of decimals: a hair's breadth is not short. */
    const double hair = 1e-9;
    bool kept_now = delivery->delivered_in_year + hair >= delivery->committed;
    bool kept_before = delivery->delivered_in_year - delivery->quantity + hair >= delivery->committed
                    && delivery->delivered_in_year - delivery->quantity > hair;
    if (!kept_now || kept_before)
        return SF_OK;
    eval_delta_t delta = { "cobuilding_commitments_kept", 1 };
    return add_on_day(db, delivery->community_code, delivery->delivered_on, &delta, 1);
}

/* A delivery reversed (冲销, volunteer's cobuilding.delivery_reversed): its
 * commitment's year counted kept on the day its deliveries reached the
 * quantity; without the reversed one that day moves later or goes (the
 * event says both days), so the kept commitment moves with it. Counted
 * once ("<id>/reversed"); a reversal of a delivery never counted (which
 * cannot come before its cobuilding.delivered in volunteer's log) marks
 * the delivery counted instead and moves nothing. */
static sf_status_t
cobuilding_reversal_apply(sf_db_t *db, const char *source, const Sifang__V1__CoBuildingDelivery *delivery)
{
    bool first = false, never_counted = false;
    char reversal[64];
    snprintf(reversal, sizeof reversal, "%s/reversed", delivery->id);
    sf_status_t status = first_count(db, "volunteer", source, reversal, &first);
    if (status != SF_OK || !first)
        return status;
    status = first_count(db, "volunteer", source, delivery->id, &never_counted);
    if (status != SF_OK || never_counted || strcmp(delivery->kept_on_before, delivery->kept_on_after) == 0)
        return status;
    eval_delta_t gone = { "cobuilding_commitments_kept", -1 }, kept = { "cobuilding_commitments_kept", 1 };
    if (*delivery->kept_on_before)
        status = add_on_day(db, delivery->community_code, delivery->kept_on_before, &gone, 1);
    if (status == SF_OK && *delivery->kept_on_after)
        status = add_on_day(db, delivery->community_code, delivery->kept_on_after, &kept, 1);
    return status;
}

sf_status_t
eval_volunteer_work_apply(sf_db_t *db, const Sifang__V1__Event *event, bool *handled)
{
    const ProtobufCBinaryData *payload = &event->payload;
    sf_status_t status = SF_OK;
    *handled = true;
    if (strcmp(event->payload_type, "sifang.v1.CoBuilding") == 0) {
        Sifang__V1__CoBuilding *pair = sifang__v1__co_building__unpack(NULL, payload->len, payload->data);
        if (!pair)
            return SF_DATA_LOSS;
        status = cobuilding_apply(db, event->source, pair, event->occurred_unix_ms);
        protobuf_c_message_free_unpacked(&pair->base, NULL);
    } else if (strcmp(event->payload_type, "sifang.v1.CoBuildingDelivery") == 0) {
        Sifang__V1__CoBuildingDelivery *delivery =
            sifang__v1__co_building_delivery__unpack(NULL, payload->len, payload->data);
        if (!delivery)
            return SF_DATA_LOSS;
        status = strcmp(event->type, "cobuilding.delivery_reversed") == 0
               ? cobuilding_reversal_apply(db, event->source, delivery)
               : cobuilding_delivery_apply(db, event->source, delivery);
        protobuf_c_message_free_unpacked(&delivery->base, NULL);
    } else
        *handled = false;
    return status;
}
