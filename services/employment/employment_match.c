/* Matching job seekers and vacancies both ways: by skill fit (the person's
 * skills and wished-for occupations against the vacancy's occupation and
 * grade) and by distance between the home zone and the work zone, those
 * within the fifteen-minute employment circle first. A vacancy's seekers
 * are the unemployed seeking work, those in a difficulty category first. */
#include "employment.h"
#include <math.h>

#define MATCH_LIMIT_DEFAULT 20
#define MATCH_LIMIT_MAX 200

/* How well a person (aliased p) fits a vacancy (aliased v): the best of their
 * skills (full marks at the required grade or above, less below it) and
 * their wishes (a wish for the group the occupation lies in counts). */
#define FIT_SQL \
    "GREATEST(" \
    " COALESCE((SELECT max(occupation_similarity(s.code, v.occupation_code)" \
    "   * CASE WHEN s.grade >= v.required_grade THEN 1.0 ELSE 0.6 END)" \
    "   FROM unnest(p.skill_codes, p.skill_grades) AS s(code, grade)), 0)," \
    " COALESCE((SELECT max(CASE WHEN v.occupation_code = d OR v.occupation_code LIKE d || '-%' THEN 0.9" \
    "   ELSE 0.8 * occupation_similarity(d, v.occupation_code) END) FROM unnest(p.desired) AS d), 0))"

static bool
read_limits(sf_call_t *call, int32_t radius_m, int32_t limit, int *radius, int *rows)
{
    employment_t *self = sf_call_state(call);
    if (radius_m < 0 || radius_m > 100000)
        sf_call_violation(call, "radius_m", "must be between 0 and 100000 (0 = %d)", self->circle_m);
    if (limit < 0 || limit > MATCH_LIMIT_MAX)
        sf_call_violation(call, "limit", "must be between 1 and %d (0 = %d)", MATCH_LIMIT_MAX, MATCH_LIMIT_DEFAULT);
    *radius = radius_m ? radius_m : self->circle_m;
    *rows = limit ? limit : MATCH_LIMIT_DEFAULT;
    return !sf_call_has_violations(call);
}

static int32_t
distance_of(const PGresult *result, int row, int column)
{
    return sf_db_is_null(result, row, column) ? -1 : (int32_t) lround(sf_db_double(result, row, column));
}

sf_status_t
emp_match_vacancies(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__MatchVacanciesRequest *match = (const Sifang__V1__MatchVacanciesRequest *) request;
    int radius = 0, limit = 0;
    if (!*match->resident_id)
        sf_call_violation(call, "resident_id", "is required");
    if (!read_limits(call, match->radius_m, match->limit, &radius, &limit))
        return sf_call_status(call);
    sf_params_t *params = SF_PARAMS(match->resident_id);
    PGresult *person = sf_call_query(call, "SELECT home_zone_code FROM person WHERE resident_id = $1", params);
    if (!person)
        return sf_call_status(call);
    if (PQntuples(person) != 1)
        return sf_call_fail(call, SF_NOT_FOUND, "no person %s", match->resident_id);
    /* Outside the caller's view: as if there were none. */
    if (!sf_call_covers(call, sf_db_text(person, 0, 0)))
        return sf_call_fail(call, SF_NOT_FOUND, "no person %s", match->resident_id);
    SF_PARAMS_ADD(params, radius, limit);
    char today[11];
    sf_date_format(sf_today(), today);
    sf_params_text(params, today);
    PGresult *result = sf_call_query(call,
        "SELECT " EMP_VACANCY_COLUMNS ", m.fit AS match_fit, m.dist AS match_distance"
        " FROM person p LEFT JOIN ref_unit z ON z.code = p.home_zone_code"
        " CROSS JOIN " EMP_VACANCY_FROM
        " CROSS JOIN LATERAL (SELECT " FIT_SQL " AS fit, distance_m(z.lat, z.lon, v.lat, v.lon) AS dist) m"
        " WHERE p.resident_id = $1 AND v.status = 1 AND v.open_positions > 0"
        "   AND (v.closes_on IS NULL OR v.closes_on >= $4::date)"
        " ORDER BY (m.dist IS NOT NULL AND m.dist <= $2) DESC, m.fit DESC, m.dist NULLS LAST, v.id LIMIT $3",
        params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__MatchVacanciesReply *reply = (Sifang__V1__MatchVacanciesReply *)
        sf_call_new_message(call, &sifang__v1__match_vacancies_reply__descriptor);
    reply->radius_m = radius;
    int rows = PQntuples(result);
    int fit_column = PQfnumber(result, "match_fit"), distance_column = PQfnumber(result, "match_distance");
    reply->matches = sf_call_new_array(call, (size_t) rows, sizeof *reply->matches);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__VacancyMatch *found = (Sifang__V1__VacancyMatch *)
            sf_call_new_message(call, &sifang__v1__vacancy_match__descriptor);
        found->vacancy = emp_vacancy_from_row(call, result, row, 0);
        if (!found->vacancy || fit_column < 0 || distance_column < 0)
            return sf_call_fail(call, SF_INTERNAL, "a row's columns are not those its reader reads");
        found->fit = sf_db_double(result, row, fit_column);
        found->distance_m = distance_of(result, row, distance_column);
        found->within_circle = found->distance_m >= 0 && found->distance_m <= radius;
        reply->matches[reply->n_matches++] = found;
    }
    *reply_p = &reply->base;
    return SF_OK;
}

sf_status_t
emp_match_seekers(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__MatchSeekersRequest *match = (const Sifang__V1__MatchSeekersRequest *) request;
    int radius = 0, limit = 0;
    if (match->vacancy_id <= 0)
        sf_call_violation(call, "vacancy_id", "is required");
    if (!read_limits(call, match->radius_m, match->limit, &radius, &limit))
        return sf_call_status(call);
    sf_params_t *params = SF_PARAMS(match->vacancy_id);
    PGresult *vacancy = sf_call_query(call, "SELECT 1 FROM vacancy WHERE id = $1", params);
    if (!vacancy)
        return sf_call_status(call);
    if (PQntuples(vacancy) != 1)
        return sf_call_fail(call, SF_NOT_FOUND, "no vacancy %lld", (long long) match->vacancy_id);
    /* Only the seekers the caller may see: a key's scope, or any of a
     * person's view scopes. */
    SF_PARAMS_ADD(params, radius, limit, emp_view_prefixes(call, NULL));
    PGresult *result = sf_call_query(call,
        "SELECT " EMP_PERSON_COLUMNS ", m.fit AS match_fit, m.dist AS match_distance"
        " FROM vacancy v CROSS JOIN " EMP_PERSON_FROM
        " LEFT JOIN ref_unit z ON z.code = p.home_zone_code"
        " CROSS JOIN LATERAL (SELECT " FIT_SQL " AS fit, distance_m(z.lat, z.lon, v.lat, v.lon) AS dist) m"
        /* Seekers out of work only, never the employed (a placement clears
         * seeking_work, a separation restores it; the status is checked
         * too); those in a difficulty category first (援助: they are helped
         * first), then within the circle, by fit, by distance. */
        " WHERE v.id = $1 AND p.seeking_work AND p.status = 2 AND " EMP_UNDER_ANY("p.home_zone_code", "$4")
        " ORDER BY cardinality(p.difficulties) > 0 DESC, (m.dist IS NOT NULL AND m.dist <= $2) DESC, m.fit DESC,"
        "  m.dist NULLS LAST, p.serial LIMIT $3",
        params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__MatchSeekersReply *reply = (Sifang__V1__MatchSeekersReply *)
        sf_call_new_message(call, &sifang__v1__match_seekers_reply__descriptor);
    reply->radius_m = radius;
    int rows = PQntuples(result);
    int fit_column = PQfnumber(result, "match_fit"), distance_column = PQfnumber(result, "match_distance");
    reply->matches = sf_call_new_array(call, (size_t) rows, sizeof *reply->matches);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__SeekerMatch *found = (Sifang__V1__SeekerMatch *)
            sf_call_new_message(call, &sifang__v1__seeker_match__descriptor);
        found->person = emp_person_from_row(call, result, row, 0);
        if (!found->person || fit_column < 0 || distance_column < 0)
            return sf_call_fail(call, SF_INTERNAL, "a row's columns are not those its reader reads");
        emp_person_shown(call, found->person);
        found->fit = sf_db_double(result, row, fit_column);
        found->distance_m = distance_of(result, row, distance_column);
        found->within_circle = found->distance_m >= 0 && found->distance_m <= radius;
        reply->matches[reply->n_matches++] = found;
    }
    *reply_p = &reply->base;
    return SF_OK;
}
