/* The working-day calendar: public holidays and adjusted working days over
 * the weekday rule, and when a case accepted at a time would be due. */
#include "intake.h"
#include "sf_row.h"
#include "intake_ref.h"
#include "sf_dates.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALENDAR_DAYS_MAX 366

/* A YYYY-MM-DD date between 2020-01-01 and 2045-12-31, the calendar's span. */
static bool
date_valid(const char *text)
{
    return sf_date_parse(text, NULL) && strncmp(text, "2020", 4) >= 0 && strncmp(text, "2045", 4) <= 0;
}

#define YEAR_SELECT "SELECT year, status, source, " INTAKE_MS("loaded_at") " FROM calendar_year"

/* A year as recorded; a year never loaded whole is year with status 0. */
static Sifang__V1__IntakeCalendarYear *
year_from_row(sf_call_t *call, const PGresult *result, int row, int32_t year)
{
    Sifang__V1__IntakeCalendarYear *entry = (Sifang__V1__IntakeCalendarYear *)
        sf_call_new_message(call, &sifang__v1__intake_calendar_year__descriptor);
    entry->year = year;
    if (row < PQntuples(result))
        sf_row_read(result, row, 0, &entry->base, "year status source loaded_unix_ms");
    return entry;
}

/* A year sent with its status is sent whole: every day of one year, as
 * an arrangement file gives it, so that the status names what is there. */
static void
check_whole_year(sf_call_t *call, const Sifang__V1__IntakeCalendarSetRequest *set)
{
    if (set->year_status != SIFANG__V1__CALENDAR_YEAR_STATUS__CALENDAR_YEAR_STATUS_NOTICE
        && set->year_status != SIFANG__V1__CALENDAR_YEAR_STATUS__CALENDAR_YEAR_STATUS_PATTERN)
        sf_call_violation(call, "year_status", "is notice (1) or pattern (2)");
    sf_call_check_text(call, "year_source", set->year_source, 200, false);
    if (set->clear)
        sf_call_violation(call, "clear", "cannot go with year_status: a year is sent whole");
    if (sf_call_has_violations(call))
        return;
    int year = atoi(set->days[0]->date);
    size_t days_in_year = (size_t) (sf_days_from_civil(year + 1, 1, 1) - sf_days_from_civil(year, 1, 1));
    bool one_year = set->n_days == days_in_year;
    for (size_t i = 0; i < set->n_days && one_year; i++)
        one_year = strncmp(set->days[i]->date, set->days[0]->date, 4) == 0;
    if (!one_year)
        sf_call_violation(call, "days", "with year_status, every day of one year (%zu days of %d)", days_in_year,
                          year);
}

sf_status_t
intake_calendar_set(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__IntakeCalendarSetRequest *set = (const Sifang__V1__IntakeCalendarSetRequest *) request;
    if (set->n_days == 0)
        sf_call_violation(call, "days", "is required: at least one day");
    else if (set->n_days > CALENDAR_DAYS_MAX)
        sf_call_violation(call, "days", "at most %d days at a time", CALENDAR_DAYS_MAX);
    for (size_t i = 0; i < set->n_days && i < CALENDAR_DAYS_MAX; i++) {
        const Sifang__V1__IntakeCalendarDay *day = set->days[i];
        if (!date_valid(day->date))
            sf_call_violation(call, sf_call_printf(call, "days[%zu].date", i),
                              "must be a date YYYY-MM-DD from 2020-01-01 to 2045-12-31");
        sf_call_check_text(call, sf_call_printf(call, "days[%zu].note", i), day->note, 50, false);
        for (size_t j = 0; j < i; j++)
            if (strcmp(set->days[j]->date, day->date) == 0) {
                sf_call_violation(call, sf_call_printf(call, "days[%zu].date", i), "repeats days[%zu]", j);
                break;
            }
    }
    if (set->year_status != 0)
        check_whole_year(call, set);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_pgarray_t dates, working, notes;
    sf_pgarray_init(&dates);
    sf_pgarray_init(&working);
    sf_pgarray_init(&notes);
    for (size_t i = 0; i < set->n_days; i++) {
        sf_pgarray_add_text(&dates, set->days[i]->date);
        sf_pgarray_add_text(&working, set->days[i]->working ? "t" : "f");
        sf_pgarray_add_text(&notes, set->days[i]->note);
    }
    sf_params_t *params = SF_PARAMS(sf_call_strdup(call, sf_pgarray_text(&dates)),
                                    sf_call_strdup(call, sf_pgarray_text(&working)),
                                    sf_call_strdup(call, sf_pgarray_text(&notes)), sf_param_bool(set->clear));
    sf_pgarray_release(&dates);
    sf_pgarray_release(&working);
    sf_pgarray_release(&notes);
    /* A day set to what the weekday rule gives is no exception: removed. */
    PGresult *result = sf_call_query(call,
        "WITH d AS (SELECT * FROM unnest($1::date[], $2::boolean[], $3::text[]) AS d(day, working, note)),"
        " del AS (DELETE FROM calendar_exception e USING d"
        "          WHERE e.day = d.day AND ($4 OR d.working = (extract(isodow FROM d.day) < 6)) RETURNING 1),"
        " ins AS (INSERT INTO calendar_exception (day, working, note)"
        "          SELECT day, working, note FROM d"
        "           WHERE NOT $4 AND d.working <> (extract(isodow FROM d.day) < 6)"
        "         ON CONFLICT (day) DO UPDATE SET working = EXCLUDED.working, note = EXCLUDED.note"
        "          WHERE calendar_exception.working <> EXCLUDED.working"
        "             OR calendar_exception.note <> EXCLUDED.note RETURNING 1)"
        " SELECT (SELECT count(*) FROM del) + (SELECT count(*) FROM ins)", params);
    if (!result)
        return sf_call_status(call);
    int changed = (int) sf_db_int(result, 0, 0);
    bool year_changed = false;
    /* The year's status: a pattern replaced by the notice (or the reverse)
     * is a change even when no day differs. */
    if (set->year_status != 0) {
        PGresult *year = sf_call_query(call,
            "INSERT INTO calendar_year AS y (year, status, source)"
            " VALUES (extract(year FROM $1::date)::int, $2, $3)"
            " ON CONFLICT (year) DO UPDATE SET status = EXCLUDED.status, source = EXCLUDED.source, loaded_at = now()"
            "  WHERE (y.status, y.source) IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.source) RETURNING 1",
            SF_PARAMS(set->days[0]->date, set->year_status, set->year_source));
        if (!year)
            return sf_call_status(call);
        year_changed = PQntuples(year) > 0;
    }
    if (changed && (!sf_call_query(call, "SELECT working_days_rebuild()", NULL)
                    || !sf_call_query(call, "UPDATE ref_generation SET catalogue = catalogue + 1", NULL)))
        return sf_call_status(call);
    if (changed)
        intake_ref_mark_dirty(((const intake_t *) sf_call_state(call))->ref);
    params = SF_PARAMS(set->days[0]->date);
    result = sf_call_query(call,
        "SELECT count(*) FROM working_day WHERE day >= date_trunc('year', $1::date)"
        "   AND day < date_trunc('year', $1::date) + interval '1 year'", params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__IntakeCalendarSetReply *reply = (Sifang__V1__IntakeCalendarSetReply *)
        sf_call_new_message(call, &sifang__v1__intake_calendar_set_reply__descriptor);
    reply->changed = changed;
    reply->working_days_in_year = (int32_t) sf_db_int(result, 0, 0);
    PGresult *years = sf_call_query(call, YEAR_SELECT " WHERE year = extract(year FROM $1::date)::int",
                                    SF_PARAMS(set->days[0]->date));
    if (!years)
        return sf_call_status(call);
    reply->year = year_from_row(call, years, 0, (int32_t) atoi(set->days[0]->date));
    if (changed || year_changed)
        sf_call_emit(call, "calendar.changed", set->days[0]->date, &set->base);
    *reply_p = &reply->base;
    return SF_OK;
}

sf_status_t
intake_calendar_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__IntakeCalendarListRequest *list = (const Sifang__V1__IntakeCalendarListRequest *) request;
    if (!date_valid(list->from))
        sf_call_violation(call, "from", "must be a date YYYY-MM-DD from 2020-01-01 to 2045-12-31");
    if (!date_valid(list->to))
        sf_call_violation(call, "to", "must be a date YYYY-MM-DD from 2020-01-01 to 2045-12-31");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_params_t *params = SF_PARAMS(list->from, list->to, sf_param_bool(list->exceptions_only));
    PGresult *span = sf_call_query(call, "SELECT $2::date - $1::date", SF_PARAMS(list->from, list->to));
    if (!span)
        return sf_call_status(call);
    int64_t days = sf_db_int(span, 0, 0);
    if (days < 0 || days >= CALENDAR_DAYS_MAX)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "to", "must be from `from` to at most %d days after it",
                              CALENDAR_DAYS_MAX - 1);
    PGresult *result = sf_call_query(call,
        "SELECT to_char(g, 'YYYY-MM-DD'), coalesce(e.working, extract(isodow FROM g) < 6),"
        "       coalesce(e.note, ''), e.day IS NOT NULL"
        "  FROM generate_series($1::date, $2::date, interval '1 day') AS g"
        "  LEFT JOIN calendar_exception e ON e.day = g::date"
        " WHERE NOT $3 OR e.day IS NOT NULL ORDER BY g", params);
    if (!result)
        return sf_call_status(call);
    params = SF_PARAMS(list->from, list->to);
    PGresult *count = sf_call_query(call,
        "SELECT count(*) FROM working_day WHERE day BETWEEN $1::date AND $2::date", params);
    if (!count)
        return sf_call_status(call);
    Sifang__V1__IntakeCalendarListReply *reply = (Sifang__V1__IntakeCalendarListReply *)
        sf_call_new_message(call, &sifang__v1__intake_calendar_list_reply__descriptor);
    int rows = PQntuples(result);
    reply->days = sf_call_new_array(call, (size_t) rows, sizeof *reply->days);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__IntakeCalendarDay *day = (Sifang__V1__IntakeCalendarDay *)
            sf_call_new_message(call, &sifang__v1__intake_calendar_day__descriptor);
        sf_row_read(result, row, 0, &day->base, "date working note exception");
        reply->days[reply->n_days++] = day;
    }
    reply->working_days = (int32_t) sf_db_int(count, 0, 0);
    PGresult *years = sf_call_query(call,
        YEAR_SELECT " WHERE year BETWEEN extract(year FROM $1::date) AND extract(year FROM $2::date) ORDER BY year",
        SF_PARAMS(list->from, list->to));
    if (!years)
        return sf_call_status(call);
    reply->years = sf_call_new_array(call, (size_t) PQntuples(years), sizeof *reply->years);
    for (int row = 0; row < PQntuples(years); row++)
        reply->years[reply->n_years++] = year_from_row(call, years, row, 0);
    *reply_p = &reply->base;
    return SF_OK;
}

sf_status_t
intake_due(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__IntakeDueRequest *due = (const Sifang__V1__IntakeDueRequest *) request;
    const intake_t *intake = sf_call_state(call);
    if (*due->item_code)
        sf_call_check_text(call, "item_code", due->item_code, 48, true);
    else if (due->time_limit_unit == SIFANG__V1__TIME_LIMIT_UNIT__TIME_LIMIT_UNIT_WORKING_DAYS) {
        if (due->time_limit < 1 || due->time_limit > 365)
            sf_call_violation(call, "time_limit", "must be 1 to 365 working days");
    } else if (due->time_limit_unit == SIFANG__V1__TIME_LIMIT_UNIT__TIME_LIMIT_UNIT_HOURS) {
        if (due->time_limit < 1 || due->time_limit > 720)
            sf_call_violation(call, "time_limit", "must be 1 to 720 hours");
    } else
        sf_call_violation(call, "item_code", "give an item, or a time limit and its unit");
    if (due->from_unix_ms < 0)
        sf_call_violation(call, "from_unix_ms", "must not be negative");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_params_t *params = SF_PARAMS(due->item_code, due->time_limit, due->time_limit_unit);
    if (due->from_unix_ms)
        sf_params_int(params, due->from_unix_ms);
    else
        sf_params_null(params);
    sf_params_text(params, intake->config.timezone);
    PGresult *result = sf_call_query(call,
        "WITH l AS (SELECT coalesce(i.time_limit, $2::int) AS n, coalesce(i.time_limit_unit, $3::smallint) AS unit,"
        "                  i.code IS NOT NULL AS known"
        "             FROM (SELECT 1) one LEFT JOIN service_item i ON i.code = $1),"
        "     d AS (SELECT l.known, l.unit, intake_due(coalesce(to_timestamp($4::bigint / 1000.0), now()),"
        "                                             l.n, l.unit, $5) AS at FROM l)"
        " SELECT known, coalesce(" INTAKE_MS("at") ", 0),"
        "        coalesce(to_char((at AT TIME ZONE $5) - CASE WHEN unit = 1 THEN interval '1 millisecond'"
        "                                                    ELSE interval '0' END, 'YYYY-MM-DD'), '')"
        "   FROM d", params);
    if (!result)
        return sf_call_status(call);
    if (*due->item_code && !sf_db_bool(result, 0, 0))
        return sf_call_refuse(call, SF_NOT_FOUND, "item_code", "no service item %s", due->item_code);
    if (sf_db_int(result, 0, 1) == 0)
        return sf_call_fail(call, SF_FAILED_PRECONDITION, "the working-day calendar ends before that");
    Sifang__V1__IntakeDueReply *reply = (Sifang__V1__IntakeDueReply *)
        sf_call_new_message(call, &sifang__v1__intake_due_reply__descriptor);
    reply->due_unix_ms = sf_db_int(result, 0, 1);
    reply->due_date = (char *) sf_db_text(result, 0, 2);
    *reply_p = &reply->base;
    return SF_OK;
}
