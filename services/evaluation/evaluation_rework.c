/* Rework (零误差) by who answered (issue 18, migration 007). The facts of
 * 005 count a reopening in the case's unit, where the resident lives; a
 * station or a street office answers for the answers its own people gave,
 * wherever the case is. So each resolution counts as an answer given by the
 * resolver's unit, and each reopening (a return visit of 1-2, a complaint)
 * against the unit of the resolver of the answer reopened; a case's first
 * reopening counts it once in its own unit. The resolver is what the intake
 * mapping keeps on the case's row (evaluation_people.c): this is called
 * with it as it was before the event, and again with the new one. */
#include "evaluation.h"
#include "sf_codes.h"
#include <stdio.h>

/* The unit answering for a person: theirs in grid's copy; the case's
 * district for one grid does not know (or none named). */
static sf_status_t
answering_unit(sf_db_t *db, const Sifang__V1__Case *c, const char *staff_id, char *unit, size_t size)
{
    snprintf(unit, size, "%.*s", SF_CODE_DISTRICT_LENGTH, c->unit_code);
    if (!*staff_id)
        return SF_OK;
    PGresult *result = sf_db_query(db, "SELECT unit_code FROM staff WHERE id = $1", SF_PARAMS(staff_id));
    sf_status_t status = sf_db_result_ok(result) ? SF_OK : sf_db_status(result);
    if (status == SF_OK && PQntuples(result) == 1 && *sf_db_text(result, 0, 0))
        snprintf(unit, size, "%s", sf_db_text(result, 0, 0));
    PQclear(result);
    return status;
}

sf_status_t
eval_rework_reopened(sf_db_t *db, const Sifang__V1__Case *c, const char *case_unit, const char *answered_by,
                     int64_t was_reworks, int64_t reworked, int64_t complained, int64_t at_ms)
{
    char unit[20];
    sf_status_t status = answering_unit(db, c, answered_by, unit, sizeof unit);
    if (status != SF_OK)
        return status;
    eval_delta_t against[2] = { { "answers_reworked", (double) reworked },
                                { "answers_complained", (double) complained } };
    status = eval_facts_add(db, unit, at_ms, against, 2);
    if (status == SF_OK && was_reworks == 0 && reworked > 0) {
        eval_delta_t first = { "cases_reopened", 1 };
        status = eval_facts_add(db, case_unit, at_ms, &first, 1);
    }
    return status;
}

sf_status_t
eval_rework_answered(sf_db_t *db, const Sifang__V1__Case *c, const char *resolver, int64_t resolved_ms)
{
    char unit[20];
    sf_status_t status = answering_unit(db, c, resolver, unit, sizeof unit);
    eval_delta_t given = { "answers_given", 1 };
    return status == SF_OK ? eval_facts_add(db, unit, resolved_ms, &given, 1) : status;
}
