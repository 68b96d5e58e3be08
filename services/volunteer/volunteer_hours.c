/* Service records and hours: submission (one at a time or a batch), review
 * by the team leader or the community (one record or many, all or nothing),
 * get, list, and totals of approved hours. Records are never deleted; a
 * volunteer's pending and approved hours on one day never pass 24. */
#include "volunteer.h"
#include "sf_row.h"
#include "sf_dates.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How far back a record may be dated, and how many a filtered review takes
 * at once (the caller repeats until nothing is left). */
#define RECORD_BACKDATE_DAYS 366
#define REVIEW_IDS_MAX 1000
#define REVIEW_FILTER_MAX 5000

Sifang__V1__VolunteerServiceRecord *
volunteer_record_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__VolunteerServiceRecord *record = (Sifang__V1__VolunteerServiceRecord *)
        sf_call_new_message(call, &sifang__v1__volunteer_service_record__descriptor);
    record->id = volunteer_id(call, VOLUNTEER_ID_RECORD, sf_db_int(result, row, 0));
    if (!sf_db_is_null(result, row, 1))
        record->volunteer_id = volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, sf_db_int(result, row, 1));
    if (!sf_db_is_null(result, row, 2))
        record->team_id = volunteer_id(call, VOLUNTEER_ID_TEAM, sf_db_int(result, row, 2));
    sf_row_read(result, row, 3, &record->base,
                "activity household_code case_ref served_on hours status community_code reviewed_by review_note"
                " reviewed_unix_ms");
    if (!sf_db_is_null(result, row, 13))
        record->dispatch_id = volunteer_id(call, VOLUNTEER_ID_DISPATCH, sf_db_int(result, row, 13));
    sf_row_read(result, row, 14, &record->base, "skill created_unix_ms version");
    return record;
}

/* The checks that need no database; today is the district's date. */
static void
check_record_fields(sf_call_t *call, const volunteer_catalog_t *catalog, const char *today,
                    const Sifang__V1__VolunteerServiceRecord *record, volunteer_record_draft_t *draft)
{
    memset(draft, 0, sizeof *draft);
    if (*record->id)
        sf_call_violation(call, "id", "is assigned by the service; leave it empty");
    if (record->status != SIFANG__V1__SERVICE_RECORD_STATUS__SERVICE_RECORD_STATUS_UNSPECIFIED
        && record->status != SIFANG__V1__SERVICE_RECORD_STATUS__SERVICE_RECORD_STATUS_PENDING)
        sf_call_violation(call, "status", "records start PENDING; approve them with ServiceRecordReview");
    if (!*record->volunteer_id && !*record->team_id)
        sf_call_violation(call, "volunteer_id", "give the volunteer, the team, or both");
    if (*record->volunteer_id)
        volunteer_check_id(call, "volunteer_id", record->volunteer_id, VOLUNTEER_ID_VOLUNTEER,
                           &draft->volunteer_serial);
    if (*record->team_id)
        volunteer_check_id(call, "team_id", record->team_id, VOLUNTEER_ID_TEAM, &draft->team_serial);
    sf_call_check_text(call, "activity", record->activity, VOLUNTEER_ACTIVITY_MAX, true);
    if (*record->household_code && !sf_code_of_length(record->household_code, SF_CODE_HOUSEHOLD_LENGTH))
        sf_call_violation(call, "household_code", "must be a household code (%d digits)",
                          SF_CODE_HOUSEHOLD_LENGTH);
    sf_call_check_text(call, "case_ref", record->case_ref, VOLUNTEER_CASE_REF_MAX, false);
    if (volunteer_check_date(call, "served_on", record->served_on, true)) {
        /* Both valid (checked just above; today is the district's). */
        int32_t day = 0, now = 0;
        sf_date_parse(record->served_on, &day);
        sf_date_parse(today, &now);
        if (day > now)
            sf_call_violation(call, "served_on", "is in the future (today is %s)", today);
        else if (now - day > RECORD_BACKDATE_DAYS)
            sf_call_violation(call, "served_on", "is more than %d days ago", RECORD_BACKDATE_DAYS);
    }
    if (!(record->hours > 0))
        sf_call_violation(call, "hours", "must be more than 0");
    else if (record->hours > 24)
        sf_call_violation(call, "hours", "cannot be more than 24 in a day");
    else if (!volunteer_hours_valid(record->hours))
        sf_call_violation(call, "hours", "must be in quarter hours (0.25, 0.5 ...)");
    if (*record->skill)
        volunteer_check_skill(call, catalog, "skill", record->skill);
    if (*record->dispatch_id)
        sf_call_violation(call, "dispatch_id", "is set by DispatchComplete; leave it empty");
    draft->activity = record->activity;
    draft->household_code = record->household_code;
    draft->case_ref = record->case_ref;
    draft->served_on = record->served_on;
    draft->hours = volunteer_hours_round(record->hours);
    draft->skill = record->skill;
}

sf_status_t
volunteer_record_prepare(sf_call_t *call, const Sifang__V1__VolunteerServiceRecord *record,
                         volunteer_record_draft_t *draft)
{
    volunteer_catalog_t catalog;
    sf_status_t status = volunteer_catalog_load(call, &catalog);
    if (status != SF_OK)
        return status;
    const char *today = volunteer_today(call);
    if (!today)
        return sf_call_status(call);
    check_record_fields(call, &catalog, today, record, draft);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *result = sf_call_query(call,
        "SELECT (SELECT community_code FROM volunteer WHERE serial = $1),"
        " t.community_code, t.disbanded_at IS NULL,"
        " EXISTS (SELECT 1 FROM team_member m WHERE m.team_serial = $2 AND m.volunteer_serial = $1)"
        " FROM (SELECT 1) AS one LEFT JOIN team t ON t.serial = $2",
        SF_PARAMS(draft->volunteer_serial, draft->team_serial));
    if (!result)
        return sf_call_status(call);
    if (draft->volunteer_serial && sf_db_is_null(result, 0, 0))
        return sf_call_refuse(call, SF_NOT_FOUND, "volunteer_id", "no volunteer %s", record->volunteer_id);
    if (draft->team_serial) {
        if (sf_db_is_null(result, 0, 1))
            return sf_call_refuse(call, SF_NOT_FOUND, "team_id", "no team %s", record->team_id);
        if (!sf_db_bool(result, 0, 2))
            return sf_call_refuse(call, SF_FAILED_PRECONDITION, "team_id", "team %s is disbanded", record->team_id);
        if (draft->volunteer_serial && !sf_db_bool(result, 0, 3))
            return sf_call_refuse(call, SF_FAILED_PRECONDITION, "volunteer_id", "%s is not a member of team %s",
                                  record->volunteer_id, record->team_id);
    }
    draft->community_code = draft->volunteer_serial ? sf_db_text(result, 0, 0) : sf_db_text(result, 0, 1);
    if (*record->household_code) {
        volunteer_household_ref_t household;
        if ((status = volunteer_household_ref(call, "household_code", record->household_code, &household)) != SF_OK)
            return status;
    }
    return volunteer_require_writes(call, draft->community_code, "the record's community");
}

static sf_status_t
refuse_day_total(sf_call_t *call, const volunteer_record_draft_t *draft, double already)
{
    return sf_call_refuse(call, SF_INVALID_ARGUMENT, "hours",
                          "%s has %.2f h on %s already; %.2f more would make %.2f, over 24 in a day",
                          draft->volunteer_serial ? volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, draft->volunteer_serial)
                                                    : volunteer_id(call, VOLUNTEER_ID_TEAM, draft->team_serial),
                          already, draft->served_on, draft->hours, already + draft->hours);
}

sf_status_t
volunteer_record_insert(sf_call_t *call, const volunteer_record_draft_t *draft,
                        Sifang__V1__VolunteerServiceRecord **record_p)
{
    /* The volunteer's (or team's) row is the lock that serialises the day's
     * sum against a concurrent submission. */
    sf_params_t *params = SF_PARAMS(draft->volunteer_serial ? draft->volunteer_serial : draft->team_serial,
                                    draft->served_on);
    PGresult *day = sf_call_query(call, draft->volunteer_serial
        ? "SELECT COALESCE(sum(hours), 0) FROM service_record WHERE volunteer_serial ="
          " (SELECT serial FROM volunteer WHERE serial = $1 FOR UPDATE) AND served_on = $2::date AND status IN (1, 2)"
        : "SELECT COALESCE(sum(hours), 0) FROM service_record WHERE team_serial ="
          " (SELECT serial FROM team WHERE serial = $1 FOR UPDATE) AND volunteer_serial IS NULL"
          " AND served_on = $2::date AND status IN (1, 2)", params);
    if (!day)
        return sf_call_status(call);
    double already = sf_db_double(day, 0, 0);
    if (already + draft->hours > 24 + 1e-9)
        return refuse_day_total(call, draft, already);
    sf_params_init(params);
    if (draft->volunteer_serial)
        sf_params_int(params, draft->volunteer_serial);
    else
        sf_params_null(params);
    if (draft->team_serial)
        sf_params_int(params, draft->team_serial);
    else
        sf_params_null(params);
    SF_PARAMS_ADD(params, draft->activity, sf_param_text_or_null(draft->household_code),
                          sf_param_text_or_null(draft->case_ref), draft->served_on, sf_param_double(draft->hours),
                          draft->community_code, sf_param_text_or_null(draft->skill));
    if (draft->dispatch_serial)
        sf_params_int(params, draft->dispatch_serial);
    else
        sf_params_null(params);
    PGresult *result = sf_call_query(call,
        "INSERT INTO service_record AS s (volunteer_serial, team_serial, activity, household_code, case_ref,"
        " served_on, hours, community_code, skill, dispatch_serial)"
        " VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8, $9, $10) RETURNING " RECORD_COLUMNS, params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__VolunteerServiceRecord *record = volunteer_record_from_row(call, result, 0);
    sf_call_emit(call, "service_record.submitted", record->id, &record->base);
    *record_p = record;
    return SF_OK;
}

sf_status_t
volunteer_record_submit(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    volunteer_record_draft_t draft;
    sf_status_t status = volunteer_record_prepare(call, (const Sifang__V1__VolunteerServiceRecord *) request, &draft);
    if (status != SF_OK)
        return status;
    Sifang__V1__VolunteerServiceRecord *record;
    if ((status = volunteer_record_insert(call, &draft, &record)) != SF_OK)
        return status;
    *reply_p = &record->base;
    return SF_OK;
}

static void
record_answer(sf_call_t *call, const PGresult *result, int row, ProtobufCMessage **reply_p)
{
    Sifang__V1__VolunteerServiceRecord *record = volunteer_record_from_row(call, result, row);
    sf_call_emit(call, "service_record.submitted", record->id, &record->base);
    *reply_p = &record->base;
}

/* The fast path for volunteers' records arriving in bulk: volunteers, teams,
 * households and each (volunteer, day)'s hours so far looked up by one
 * statement, the day totals carried through the run in order, the records
 * written by one INSERT. Team-only records and anything refused by a lookup
 * go the careful way. */
sf_status_t
volunteer_record_submit_batch(sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies,
                              size_t n)
{
    volunteer_catalog_t catalog;
    sf_status_t status = volunteer_catalog_load(calls[0], &catalog);
    if (status != SF_OK)
        return status;
    const char *today = volunteer_today(calls[0]);
    if (!today)
        return sf_call_status(calls[0]);
    volunteer_record_draft_t *drafts = calloc(n, sizeof *drafts);
    bool *writing = calloc(n, sizeof *writing);
    if (!drafts || !writing) {
        free(drafts);
        free(writing);
        return SF_INTERNAL;
    }
    sf_pgarray_t volunteers, teams, households, days;
    sf_pgarray_init(&volunteers);
    sf_pgarray_init(&teams);
    sf_pgarray_init(&households);
    sf_pgarray_init(&days);
    for (size_t i = 0; i < n; i++) {
        const Sifang__V1__VolunteerServiceRecord *record = (const Sifang__V1__VolunteerServiceRecord *) requests[i];
        check_record_fields(calls[i], &catalog, today, record, &drafts[i]);
        if (!sf_call_has_violations(calls[i]) && !drafts[i].volunteer_serial)
            status = SF_ABORTED;
        sf_pgarray_add_int(&volunteers, drafts[i].volunteer_serial);
        sf_pgarray_add_int(&teams, drafts[i].team_serial);
        sf_pgarray_add_text(&households, *record->household_code ? record->household_code : NULL);
        sf_pgarray_add_text(&days, sf_date_parse(record->served_on, NULL) ? record->served_on : "2000-01-01");
    }
    PGresult *found = NULL;
    if (status == SF_OK) {
        sf_params_t params;
        sf_params_init(&params);
        SF_PARAMS_ADD(&params, sf_pgarray_text(&volunteers), sf_pgarray_text(&teams), sf_pgarray_text(&households),
                               sf_pgarray_text(&days));
        found = sf_call_query(calls[0],
            "SELECT v.community_code, k.t = 0 OR (t.disbanded_at IS NULL AND EXISTS (SELECT 1 FROM team_member m"
            "   WHERE m.team_serial = k.t AND m.volunteer_serial = k.v)),"
            " k.h IS NULL OR EXISTS (SELECT 1 FROM ref_household h WHERE h.code = k.h),"
            " (SELECT COALESCE(sum(s.hours), 0) FROM service_record s WHERE s.volunteer_serial = k.v"
            "   AND s.served_on = k.d::date AND s.status IN (1, 2))"
            " FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY AS k(v, t, h, d, o)"
            " LEFT JOIN volunteer v ON v.serial = k.v LEFT JOIN team t ON t.serial = k.t ORDER BY k.o", &params);
        if (!found)
            status = sf_call_status(calls[0]);
    }
    sf_pgarray_t columns[9];
    for (int k = 0; k < 9; k++)
        sf_pgarray_init(&columns[k]);
    size_t writes = 0;
    for (size_t i = 0; status == SF_OK && i < n; i++) {
        if (sf_call_has_violations(calls[i]))
            continue;
        int row = (int) i;
        volunteer_record_draft_t *draft = &drafts[i];
        if (sf_db_is_null(found, row, 0) || !sf_db_bool(found, row, 1) || !sf_db_bool(found, row, 2)) {
            status = SF_ABORTED;
            break;
        }
        draft->community_code = sf_db_text(found, row, 0);
        if (volunteer_require_writes(calls[i], draft->community_code, "the record's community") != SF_OK)
            continue;
        /* The day's hours: what was there plus this run's earlier records. */
        double already = sf_db_double(found, row, 3);
        for (size_t j = 0; j < i; j++)
            if (writing[j] && drafts[j].volunteer_serial == draft->volunteer_serial
                && strcmp(drafts[j].served_on, draft->served_on) == 0)
                already += drafts[j].hours;
        if (already + draft->hours > 24 + 1e-9) {
            refuse_day_total(calls[i], draft, already);
            continue;
        }
        sf_pgarray_add_int(&columns[0], draft->volunteer_serial);
        sf_pgarray_add_text(&columns[1], draft->team_serial ? sf_call_printf(calls[i], "%lld",
                                                                  (long long) draft->team_serial) : NULL);
        sf_pgarray_add_text(&columns[2], draft->activity);
        sf_pgarray_add_text(&columns[3], *draft->household_code ? draft->household_code : NULL);
        sf_pgarray_add_text(&columns[4], *draft->case_ref ? draft->case_ref : NULL);
        sf_pgarray_add_text(&columns[5], draft->served_on);
        sf_pgarray_add_text(&columns[6], sf_call_printf(calls[i], "%.2f", draft->hours));
        sf_pgarray_add_text(&columns[7], draft->community_code);
        sf_pgarray_add_text(&columns[8], *draft->skill ? draft->skill : NULL);
        writing[i] = true;
        writes++;
    }
    if (status == SF_OK && writes) {
        sf_params_t params;
        sf_params_init(&params);
        for (int k = 0; k < 9; k++)
            sf_params_text(&params, sf_pgarray_text(&columns[k]));
        PGresult *inserted = sf_call_query(calls[0],
            "WITH added AS (INSERT INTO service_record AS s (volunteer_serial, team_serial, activity, household_code,"
            " case_ref, served_on, hours, community_code, skill)"
            " SELECT v, t::bigint, a, h, c, d::date, hr::numeric, cc, sk FROM unnest($1::bigint[], $2::text[],"
            " $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])"
            " WITH ORDINALITY AS k(v, t, a, h, c, d, hr, cc, sk, o) ORDER BY o RETURNING " RECORD_COLUMNS ")"
            " SELECT * FROM added ORDER BY 1", &params);
        status = inserted ? volunteer_batch_answer(calls, writing, n, inserted, record_answer, replies)
                          : sf_call_status(calls[0]);
    }
    for (int k = 0; k < 9; k++)
        sf_pgarray_release(&columns[k]);
    sf_pgarray_release(&volunteers);
    sf_pgarray_release(&teams);
    sf_pgarray_release(&households);
    sf_pgarray_release(&days);
    free(drafts);
    free(writing);
    return status;
}

/* --- review ------------------------------------------------------------------ */

/* Whether the caller may review a record of this community and team: a
 * local principal covering the community, or the team's leader. */
static bool
may_review(sf_call_t *call, const char *community_code, const char *leader_id)
{
    if (sf_call_has_role(call, VOLUNTEER_ROLES_LOCAL)
        && sf_principal_reaches(sf_call_principal(call), SF_SCOPE_WRITE, VOLUNTEER_ROLES_DUTY, community_code))
        return true;
    return leader_id && *leader_id && strcmp(sf_call_principal(call)->id, leader_id) == 0;
}

sf_status_t
volunteer_record_review(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ServiceRecordReviewRequest *review = (const Sifang__V1__ServiceRecordReviewRequest *) request;
    if (review->decision != SIFANG__V1__REVIEW_DECISION__REVIEW_DECISION_APPROVE
        && review->decision != SIFANG__V1__REVIEW_DECISION__REVIEW_DECISION_DECLINE)
        sf_call_violation(call, "decision", "must be APPROVE or DECLINE");
    sf_call_check_note(call, "note", review->note, VOLUNTEER_NOTE_MAX, false);
    bool by_ids = review->n_ids > 0;
    int64_t team = 0;
    const char *prefix = NULL;
    if (review->n_ids > REVIEW_IDS_MAX)
        sf_call_violation(call, "ids", "at most %d records at once", REVIEW_IDS_MAX);
    sf_pgarray_t serials;
    sf_pgarray_init(&serials);
    for (size_t i = 0; i < review->n_ids && i < REVIEW_IDS_MAX; i++) {
        char field[40];
        snprintf(field, sizeof field, "ids[%zu]", i);
        int64_t serial = 0;
        volunteer_check_id(call, field, review->ids[i], VOLUNTEER_ID_RECORD, &serial);
        sf_pgarray_add_int(&serials, serial);
    }
    if (by_ids && (*review->team_id || *review->under || *review->through))
        sf_call_violation(call, "ids", "give ids, or a team_id or under (with through), not both");
    if (!by_ids) {
        if (*review->team_id)
            volunteer_check_id(call, "team_id", review->team_id, VOLUNTEER_ID_TEAM, &team);
        if (!*review->team_id && !*review->under)
            sf_call_violation(call, "ids", "give the records' ids, a team_id or an org unit under");
        if (*review->under && !sf_code_prefix_valid(review->under))
            sf_call_violation(call, "under", "must be an org unit code (digits)");
        volunteer_check_date(call, "through", review->through, false);
    }
    if (sf_call_has_violations(call))
        goto done;
    const char *through = *review->through ? review->through : volunteer_today(call);
    if (!through)
        goto done;
    if (!by_ids && !team) {
        /* A filter outside the caller's scope reviews nothing. */
        if (!sf_call_has_role(call, VOLUNTEER_ROLES_LOCAL)) {
            sf_call_fail(call, SF_PERMISSION_DENIED, "reviewing by org unit is for community and"
                         " higher principals; team leaders give their team_id");
            goto done;
        }
        if (!sf_call_scope_under(call, "under", review->under, &prefix) && sf_call_has_violations(call))
            goto done;
    }

    /* The records, locked, with the leader of their team. */
    sf_query_t query;
    sf_query_init(&query, call,
        "SELECT s.serial, s.status, s.community_code, t.leader_serial, s.volunteer_serial, s.hours"
        " FROM service_record s LEFT JOIN team t ON t.serial = s.team_serial");
    if (by_ids)
        sf_query_where(&query, "s.serial = ANY($%d::bigint[])",
                              sf_query_text(&query, sf_pgarray_text(&serials)));
    else {
        sf_query_where(&query, "s.status = 1 AND s.served_on <= $%d::date", sf_query_text(&query, through));
        if (team)
            sf_query_where(&query, "s.team_serial = $%d", sf_query_int(&query, team));
        if (prefix)
            sf_query_subtree(&query, "s.community_code", prefix);
        else if (!team)
            sf_query_where(&query, "false");
    }
    sf_query_append(&query, " ORDER BY s.serial LIMIT %d FOR UPDATE OF s", REVIEW_FILTER_MAX);
    PGresult *found = sf_query_run(&query);
    if (!found)
        goto done;
    int rows = PQntuples(found);
    /* All or nothing: any id missing, reviewed already, or not the caller's
     * to review refuses the whole request. */
    sf_status_t refusal = SF_OK;
    for (size_t i = 0; by_ids && i < review->n_ids; i++) {
        char field[40];
        snprintf(field, sizeof field, "ids[%zu]", i);
        int64_t serial = 0;
        sf_serial_id_parse(review->ids[i], VOLUNTEER_ID_RECORD, &serial);
        int row = -1;
        for (int r = 0; r < rows && row < 0; r++)
            if (sf_db_int(found, r, 0) == serial)
                row = r;
        for (size_t j = 0; j < i; j++)
            if (strcmp(review->ids[j], review->ids[i]) == 0) {
                sf_call_violation(call, field, "%s is listed twice", review->ids[i]);
                row = -2;
            }
        if (row == -2)
            continue;
        if (row < 0) {
            sf_call_violation(call, field, "no service record %s", review->ids[i]);
            if (refusal == SF_OK)
                refusal = SF_NOT_FOUND;
            continue;
        }
        const char *leader = sf_db_is_null(found, row, 3) ? NULL
                           : volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, sf_db_int(found, row, 3));
        if (!may_review(call, sf_db_text(found, row, 2), leader)) {
            sf_call_violation(call, field, "%s is not yours to review (its community's principals or its"
                              " team's leader review it)", review->ids[i]);
            refusal = SF_PERMISSION_DENIED;
        } else if (sf_db_int(found, row, 1) != SIFANG__V1__SERVICE_RECORD_STATUS__SERVICE_RECORD_STATUS_PENDING) {
            sf_call_violation(call, field, "%s was reviewed already (%s)", review->ids[i],
                              sf_db_int(found, row, 1) == 2 ? "approved" : "declined");
            if (refusal == SF_OK || refusal == SF_NOT_FOUND)
                refusal = SF_FAILED_PRECONDITION;
        }
    }
    if (sf_call_has_violations(call)) {
        sf_call_fail(call, refusal != SF_OK ? refusal : SF_INVALID_ARGUMENT,
                     "no record was reviewed: see the violations");
        goto done;
    }
    if (!by_ids && team && rows) {
        const char *leader = sf_db_is_null(found, 0, 3) ? NULL
                           : volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, sf_db_int(found, 0, 3));
        for (int r = 0; r < rows; r++)
            if (!may_review(call, sf_db_text(found, r, 2), leader)) {
                sf_call_fail(call, SF_PERMISSION_DENIED, "team %s's records are for its leader or its"
                             " community's principals to review", review->team_id);
                goto done;
            }
    }
    Sifang__V1__ServiceRecordReviewReply *reply = (Sifang__V1__ServiceRecordReviewReply *)
        sf_call_new_message(call, &sifang__v1__service_record_review_reply__descriptor);
    if (rows) {
        sf_pgarray_t targets;
        sf_pgarray_init(&targets);
        for (int r = 0; r < rows; r++)
            sf_pgarray_add_int(&targets, sf_db_int(found, r, 0));
        bool approve = review->decision == SIFANG__V1__REVIEW_DECISION__REVIEW_DECISION_APPROVE;
        sf_params_t *params = SF_PARAMS(sf_pgarray_text(&targets), approve ? 2 : 3, sf_call_principal(call)->id,
                                        review->note);
        PGresult *updated = sf_call_query(call,
            "UPDATE service_record AS s SET status = $2, reviewed_by = $3, review_note = $4, reviewed_at = now(),"
            " version = version + 1 WHERE serial = ANY($1::bigint[]) RETURNING " RECORD_COLUMNS, params);
        if (updated && approve) {
            /* Volunteers' running totals move in the same transaction. */
            sf_params_init(params);
            sf_params_text(params, sf_pgarray_text(&targets));
            if (!sf_call_query(call,
                    "UPDATE volunteer v SET total_hours = v.total_hours + d.hours FROM"
                    " (SELECT volunteer_serial, sum(hours) AS hours FROM service_record"
                    "  WHERE serial = ANY($1::bigint[]) AND volunteer_serial IS NOT NULL GROUP BY 1) d"
                    " WHERE v.serial = d.volunteer_serial", params))
                updated = NULL;
        }
        sf_pgarray_release(&targets);
        if (!updated)
            goto done;
        int n_updated = PQntuples(updated);
        if (by_ids)
            reply->records = sf_call_new_array(call, (size_t) n_updated, sizeof *reply->records);
        for (int r = 0; r < n_updated; r++) {
            Sifang__V1__VolunteerServiceRecord *record = volunteer_record_from_row(call, updated, r);
            sf_call_emit(call, approve ? "service_record.approved" : "service_record.declined", record->id,
                         &record->base);
            if (by_ids)
                reply->records[reply->n_records++] = record;
            reply->hours += record->hours;
        }
        reply->reviewed = n_updated;
    }
    *reply_p = &reply->base;
done:
    sf_pgarray_release(&serials);
    return sf_call_status(call);
}

/* --- get, list, totals ----------------------------------------------------------- */

sf_status_t
volunteer_record_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ServiceRecordGetRequest *get = (const Sifang__V1__ServiceRecordGetRequest *) request;
    int64_t serial = 0;
    if (!volunteer_check_id(call, "id", get->id, VOLUNTEER_ID_RECORD, &serial))
        return sf_call_status(call);
    PGresult *result = sf_call_query(call, "SELECT " RECORD_COLUMNS " FROM service_record s WHERE s.serial = $1",
                                     SF_PARAMS(serial));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_fail(call, SF_NOT_FOUND, "no service record %s", get->id);
    Sifang__V1__VolunteerServiceRecord *record = volunteer_record_from_row(call, result, 0);
    sf_status_t status = volunteer_require_covers(call, record->community_code, "the record's community");
    if (status != SF_OK)
        return status;
    *reply_p = &record->base;
    return SF_OK;
}

/* The filters ServiceRecordList and HoursTotals share. */
static bool
record_filters(sf_call_t *call, sf_query_t *query, const char *volunteer_id, const char *team_id,
               const char *under, const char *from, const char *to)
{
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", under, &prefix);
    int64_t volunteer = 0, team = 0;
    if (*volunteer_id)
        volunteer_check_id(call, "volunteer_id", volunteer_id, VOLUNTEER_ID_VOLUNTEER, &volunteer);
    if (*team_id)
        volunteer_check_id(call, "team_id", team_id, VOLUNTEER_ID_TEAM, &team);
    volunteer_check_date(call, "from", from, false);
    volunteer_check_date(call, "to", to, false);
    if (sf_call_has_violations(call) || !visible)
        return false;
    sf_query_subtree(query, "s.community_code", prefix);
    if (volunteer)
        sf_query_where(query, "s.volunteer_serial = $%d", sf_query_int(query, volunteer));
    if (team)
        sf_query_where(query, "s.team_serial = $%d", sf_query_int(query, team));
    if (*from)
        sf_query_where(query, "s.served_on >= $%d::date", sf_query_text(query, from));
    if (*to)
        sf_query_where(query, "s.served_on <= $%d::date", sf_query_text(query, to));
    return true;
}

sf_status_t
volunteer_record_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ServiceRecordListRequest *list = (const Sifang__V1__ServiceRecordListRequest *) request;
    Sifang__V1__ServiceRecordListReply *reply = (Sifang__V1__ServiceRecordListReply *)
        sf_call_new_message(call, &sifang__v1__service_record_list_reply__descriptor);
    sf_keyset_t page = sf_keyset_of(call, list->page);
    if (list->status < 0 || list->status > SIFANG__V1__SERVICE_RECORD_STATUS__SERVICE_RECORD_STATUS_DECLINED)
        sf_call_violation(call, "status", "must be a service record status");
    sf_call_check_text(call, "case_ref", list->case_ref, VOLUNTEER_CASE_REF_MAX, false);
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " RECORD_COLUMNS " FROM service_record s");
    bool visible = record_filters(call, &query, list->volunteer_id, list->team_id, list->under, list->from, list->to);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    if (list->status)
        sf_query_where(&query, "s.status = $%d", sf_query_int(&query, list->status));
    if (*list->case_ref) {
        /* As DispatchList: the ref, and the refs below it. A dispatch's
         * record carries the dispatch's ref, which intake makes
         * "intake/<case>/<attempt>", so "intake/123" (the case) finds the
         * records of each of its attempts, where equality found none. The
         * range ("intake/123/" up to "intake/1230", '0' being the byte after
         * '/') is what service_record_case (collation C) serves. */
        int exact = sf_query_text(&query, list->case_ref);
        int low = sf_query_text(&query, sf_call_printf(call, "%s/", list->case_ref));
        int high = sf_query_text(&query, sf_call_printf(call, "%s0", list->case_ref));
        sf_query_where(&query, "(s.case_ref = $%d OR (s.case_ref >= $%d AND s.case_ref < $%d))", exact, low, high);
    }
    volunteer_page_apply(&query, &page, "s.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->records = sf_call_new_array(call, (size_t) rows, sizeof *reply->records);
    for (int row = 0; row < rows; row++)
        reply->records[row] = volunteer_record_from_row(call, result, row);
    reply->n_records = (size_t) rows;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    *reply_p = &reply->base;
    return SF_OK;
}

sf_status_t
volunteer_hours_totals(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__HoursTotalsRequest *totals = (const Sifang__V1__HoursTotalsRequest *) request;
    Sifang__V1__HoursTotalsReply *reply = (Sifang__V1__HoursTotalsReply *)
        sf_call_new_message(call, &sifang__v1__hours_totals_reply__descriptor);
    if (totals->limit < 0 || totals->limit > 10000)
        sf_call_violation(call, "limit", "must be between 1 and 10000 (0 = 100)");
    /* Each grouping's key and name, as fixed fragments. */
    const char *key = NULL, *name = NULL, *join = "", *unit = "''";
    switch (totals->group_by) {
    case SIFANG__V1__HOURS_GROUPING__HOURS_GROUPING_NONE:
        break;
    case SIFANG__V1__HOURS_GROUPING__HOURS_GROUPING_VOLUNTEER:
        key = "s.volunteer_serial::text";
        name = "COALESCE(max(p.name), '')";
        unit = "COALESCE(max(v.community_code), '')";   /* where the name may be shown */
        join = " LEFT JOIN volunteer v ON v.serial = s.volunteer_serial LEFT JOIN ref_resident p ON p.id = v.resident_id";
        break;
    case SIFANG__V1__HOURS_GROUPING__HOURS_GROUPING_TEAM:
        key = "s.team_serial::text";
        name = "COALESCE(max(t.name), '')";
        join = " LEFT JOIN team t ON t.serial = s.team_serial";
        break;
    case SIFANG__V1__HOURS_GROUPING__HOURS_GROUPING_COMMUNITY:
        key = "s.community_code";
        name = "COALESCE(max(u.name), '')";
        join = " LEFT JOIN ref_unit u ON u.code = s.community_code";
        break;
    case SIFANG__V1__HOURS_GROUPING__HOURS_GROUPING_MONTH:
        key = "to_char(s.served_on, 'YYYY-MM')";
        name = "''";
        break;
    default:
        sf_call_violation(call, "group_by", "must be NONE, VOLUNTEER, TEAM, COMMUNITY or MONTH");
    }
    sf_query_t query;
    sf_query_init(&query, call, "");
    if (key)
        sf_query_append(&query, "SELECT %s, %s, sum(s.hours), count(*), count(DISTINCT s.volunteer_serial), %s"
                               " FROM service_record s%s", key, name, unit, join);
    else
        sf_query_append(&query, "SELECT '', '', COALESCE(sum(s.hours), 0), count(*),"
                               " count(DISTINCT s.volunteer_serial) FROM service_record s");
    bool visible = record_filters(call, &query, totals->volunteer_id, totals->team_id, totals->under, totals->from,
                                  totals->to);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    sf_query_where(&query, "s.status = 2");
    if (key) {
        /* Records without a team do not make a team's group, and so on. */
        if (totals->group_by == SIFANG__V1__HOURS_GROUPING__HOURS_GROUPING_VOLUNTEER)
            sf_query_where(&query, "s.volunteer_serial IS NOT NULL");
        if (totals->group_by == SIFANG__V1__HOURS_GROUPING__HOURS_GROUPING_TEAM)
            sf_query_where(&query, "s.team_serial IS NOT NULL");
        sf_query_append(&query, " GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT %d", totals->limit ? totals->limit : 100);
    }
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    if (key) {
        reply->totals = sf_call_new_array(call, (size_t) rows, sizeof *reply->totals);
        for (int row = 0; row < rows; row++) {
            Sifang__V1__HoursTotal *total = (Sifang__V1__HoursTotal *)
                sf_call_new_message(call, &sifang__v1__hours_total__descriptor);
            const char *raw = sf_db_text(result, row, 0);
            if (totals->group_by == SIFANG__V1__HOURS_GROUPING__HOURS_GROUPING_VOLUNTEER)
                total->key = volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, strtoll(raw, NULL, 10));
            else if (totals->group_by == SIFANG__V1__HOURS_GROUPING__HOURS_GROUPING_TEAM)
                total->key = volunteer_id(call, VOLUNTEER_ID_TEAM, strtoll(raw, NULL, 10));
            else
                total->key = (char *) raw;
            total->name = totals->group_by == SIFANG__V1__HOURS_GROUPING__HOURS_GROUPING_VOLUNTEER
                ? volunteer_name_shown(call, sf_db_text(result, row, 1), sf_db_text(result, row, 5))
                : (char *) sf_db_text(result, row, 1);
            sf_row_read(result, row, 2, &total->base, "hours records volunteers");
            reply->totals[row] = total;
        }
        reply->n_totals = (size_t) rows;
        /* The overall figures over everything selected, not just the groups shown. */
        sf_query_t overall;
        sf_query_init(&overall, call, "SELECT COALESCE(sum(s.hours), 0), count(*) FROM service_record s");
        record_filters(call, &overall, totals->volunteer_id, totals->team_id, totals->under, totals->from, totals->to);
        sf_query_where(&overall, "s.status = 2");
        PGresult *sums = sf_query_run(&overall);
        if (!sums)
            return sf_call_status(call);
        reply->hours = sf_db_double(sums, 0, 0);
        reply->records = (int32_t) sf_db_int(sums, 0, 1);
    } else {
        reply->hours = sf_db_double(result, 0, 2);
        reply->records = (int32_t) sf_db_int(result, 0, 3);
    }
    *reply_p = &reply->base;
    return SF_OK;
}
