/* Employment's events, told apart by their payload: a Person (or a
 * StatusChange) moves the levels of people with employment difficulties and
 * of those of them in work, where they live; a Placement counts a person
 * placed on its start date and an EntrepreneurshipSupport an entrepreneur
 * supported on the day granted, each once however often it is told. */
#include "evaluation.h"
#include "sf_codes.h"
#include "sf_log.h"
#include "sifang/v1/employment.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool eval_employment_mapped(void) { return true; }

static bool
in_work(Sifang__V1__LaborStatus status)
{
    return status == SIFANG__V1__LABOR_STATUS__LABOR_STATUS_EMPLOYED
        || status == SIFANG__V1__LABOR_STATUS__LABOR_STATUS_FLEXIBLE
        || status == SIFANG__V1__LABOR_STATUS__LABOR_STATUS_ENTREPRENEUR;
}

/* Moves a person to (zone, in_difficulty, employed) from what was stored. */
static sf_status_t
person_state(sf_db_t *db, const char *source, const char *resident_id, const char *zone,
             bool in_difficulty, int employed, int64_t at)
{
    sf_params_t *params = SF_PARAMS(source, resident_id);
    PGresult *result = sf_db_query(db,
        "SELECT zone_code, in_difficulty, employed FROM employment_person WHERE source = $1 AND resident_id = $2"
        " FOR UPDATE", params);
    if (!sf_db_result_ok(result)) {
        sf_status_t status = sf_db_status(result);
        PQclear(result);
        return status;
    }
    bool known = PQntuples(result) == 1;
    char old_zone[20] = "";
    bool old_difficulty = false, old_employed = false;
    if (known) {
        snprintf(old_zone, sizeof old_zone, "%s", sf_db_text(result, 0, 0));
        old_difficulty = sf_db_bool(result, 0, 1);
        old_employed = sf_db_bool(result, 0, 2);
    }
    PQclear(result);
    if (!known && !zone)
        return SF_OK;   /* a status change of someone never registered: nothing to move */
    const char *new_zone = zone && *zone ? zone : old_zone;
    bool new_employed = employed < 0 ? old_employed : employed > 0;
    /* What the person counted for before and counts for now; in one zone
     * only the difference moves, across zones all of it. */
    double people_before = known && old_difficulty ? 1 : 0, employed_before = people_before && old_employed ? 1 : 0;
    double people_now = in_difficulty ? 1 : 0, employed_now = people_now && new_employed ? 1 : 0;
    sf_status_t status = SF_OK;
    if (known && strcmp(old_zone, new_zone) != 0) {
        eval_delta_t out[2] = { { "difficulty_people", -people_before },
                                { "difficulty_employed", -employed_before } };
        status = eval_facts_add(db, old_zone, at, out, 2);
        people_before = employed_before = 0;
    }
    if (status == SF_OK) {
        eval_delta_t in[2] = { { "difficulty_people", people_now - people_before },
                               { "difficulty_employed", employed_now - employed_before } };
        status = eval_facts_add(db, new_zone, at, in, 2);
    }
    if (status != SF_OK)
        return status;
    params = SF_PARAMS(source, resident_id, new_zone, sf_param_bool(in_difficulty), sf_param_bool(new_employed));
    status = sf_db_run(db,
        "INSERT INTO employment_person (source, resident_id, zone_code, in_difficulty, employed)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (source, resident_id) DO UPDATE SET"
        " zone_code = EXCLUDED.zone_code, in_difficulty = EXCLUDED.in_difficulty, employed = EXCLUDED.employed",
        params, NULL);
    return status;
}

/* Counts a placement or support once, on its date, where the person lives. */
static sf_status_t
count_once(sf_db_t *db, const char *source, const char *kind, int64_t id, const char *zone, const char *date,
           const char *fact)
{
    eval_period_t periods[3];
    if (!eval_period_of_date(date, &periods[0], &periods[1], &periods[2])) {
        sf_warn("employment record without a valid date not counted", "kind", kind);
        return SF_OK;
    }
    PGresult *result = sf_db_query(db,
        "INSERT INTO employment_counted (source, kind, id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        SF_PARAMS(source, kind, id));
    if (!sf_db_result_ok(result)) {
        sf_status_t status = sf_db_status(result);
        PQclear(result);
        return status;
    }
    bool fresh = atoi(PQcmdTuples(result)) == 1;
    PQclear(result);
    if (!fresh)
        return SF_OK;
    eval_delta_t delta = { fact, 1 };
    return eval_facts_add_periods(db, zone, periods, 3, &delta, 1);
}

sf_status_t
eval_employment_apply(evaluation_t *self, sf_db_t *db, const Sifang__V1__Event *event)
{
    (void) self;   /* every source's apply takes the service; employment's needs none of it */
    /* Each payload is decoded before anything is written: one that does not
     * decode is SF_DATA_LOSS, recorded and passed over (sf_follower.h). */
    const char *type = event->payload_type;
    const ProtobufCBinaryData *payload = &event->payload;
    sf_status_t status = SF_OK;
    if (strcmp(type, "sifang.v1.Person") == 0) {
        Sifang__V1__Person *person = sifang__v1__person__unpack(NULL, payload->len, payload->data);
        if (!person)
            return SF_DATA_LOSS;
        status = person_state(db, event->source, person->resident_id, person->home_zone_code,
                              person->n_difficulties > 0, in_work(person->status) ? 1 : 0,
                              event->occurred_unix_ms);
        protobuf_c_message_free_unpacked(&person->base, NULL);
    } else if (strcmp(type, "sifang.v1.StatusChange") == 0) {
        Sifang__V1__StatusChange *change = sifang__v1__status_change__unpack(NULL, payload->len, payload->data);
        if (!change)
            return SF_DATA_LOSS;
        PGresult *result = sf_db_query(db,
            "SELECT in_difficulty FROM employment_person WHERE source = $1 AND resident_id = $2",
            SF_PARAMS(event->source, change->resident_id));
        status = sf_db_result_ok(result) ? SF_OK : sf_db_status(result);
        if (status == SF_OK && PQntuples(result) == 1)
            status = person_state(db, event->source, change->resident_id, NULL, sf_db_bool(result, 0, 0),
                                  in_work(change->status) ? 1 : 0, event->occurred_unix_ms);
        PQclear(result);
        protobuf_c_message_free_unpacked(&change->base, NULL);
    } else if (strcmp(type, "sifang.v1.Placement") == 0) {
        Sifang__V1__Placement *placement = sifang__v1__placement__unpack(NULL, payload->len, payload->data);
        if (!placement)
            return SF_DATA_LOSS;
        status = count_once(db, event->source, "placement", placement->id, placement->home_zone_code,
                            placement->start_date, "people_placed");
        protobuf_c_message_free_unpacked(&placement->base, NULL);
    } else if (strcmp(type, "sifang.v1.EntrepreneurshipSupport") == 0) {
        Sifang__V1__EntrepreneurshipSupport *support =
            sifang__v1__entrepreneurship_support__unpack(NULL, payload->len, payload->data);
        if (!support)
            return SF_DATA_LOSS;
        status = count_once(db, event->source, "support", support->id, support->home_zone_code,
                            support->granted_on, "entrepreneurs_supported");
        protobuf_c_message_free_unpacked(&support->base, NULL);
    }
    return status;
}

sf_status_t
eval_employment_resident_moved(sf_db_t *db, const char *resident_id, const char *old_household,
                               const char *new_household, int64_t at)
{
    char old_zone[16], new_zone[16];
    /* A zone's code is its households' first 14 digits. */
    snprintf(old_zone, sizeof old_zone, "%.*s", (int) sf_code_ancestor(old_household, 14), old_household);
    snprintf(new_zone, sizeof new_zone, "%.*s", (int) sf_code_ancestor(new_household, 14), new_household);
    if (strcmp(old_zone, new_zone) == 0)
        return SF_OK;
    /* A person still in the old household's zone had it derived, not given. */
    PGresult *result = sf_db_query(db,
        "SELECT source, in_difficulty, employed FROM employment_person WHERE resident_id = $1 AND zone_code = $2"
        " FOR UPDATE", SF_PARAMS(resident_id, old_zone));
    if (!sf_db_result_ok(result)) {
        sf_status_t status = sf_db_status(result);
        PQclear(result);
        return status;
    }
    sf_status_t status = SF_OK;
    for (int row = 0; status == SF_OK && row < PQntuples(result); row++) {
        double people = sf_db_bool(result, row, 1) ? 1 : 0, employed = people && sf_db_bool(result, row, 2) ? 1 : 0;
        eval_delta_t out[2] = { { "difficulty_people", -people }, { "difficulty_employed", -employed } };
        eval_delta_t in[2] = { { "difficulty_people", people }, { "difficulty_employed", employed } };
        status = eval_facts_add(db, old_zone, at, out, 2);
        if (status == SF_OK)
            status = eval_facts_add(db, new_zone, at, in, 2);
        if (status == SF_OK) {
            PGresult *moved = sf_db_query(db,
                "UPDATE employment_person SET zone_code = $3 WHERE source = $1 AND resident_id = $2",
                SF_PARAMS(sf_db_text(result, row, 0), resident_id, new_zone));
            status = sf_db_result_ok(moved) ? SF_OK : sf_db_status(moved);
            PQclear(moved);
        }
    }
    PQclear(result);
    return status;
}
