/* Volunteer's events, told apart by their payload: approved service hours
 * (by the day served, in the credited community, each record once), help
 * pairings (active pairings and the households they cover), pairing
 * contacts (every contact, and each pairing once per period it was
 * contacted in) and cadres' household visits. */
#include "evaluation.h"
#include "sf_log.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool eval_volunteer_mapped(void) { return true; }

/* A record counts its hours while approved; a change of hours, day or
 * community moves what it counted. */
static sf_status_t
apply_record(sf_db_t *db, const char *source, const Sifang__V1__VolunteerServiceRecord *record)
{
    bool approved = record->status == SIFANG__V1__SERVICE_RECORD_STATUS__SERVICE_RECORD_STATUS_APPROVED;
    sf_params_t *params = SF_PARAMS(source, record->id);
    PGresult *result = NULL;
    sf_status_t status = sf_db_run(db,
        "SELECT hours, served_on, community_code FROM volunteer_record WHERE source = $1 AND id = $2 FOR UPDATE",
        params, &result);
    if (status != SF_OK)
        return status;
    bool counted = PQntuples(result) == 1;
    double old_hours = counted ? sf_db_double(result, 0, 0) : 0;
    char old_day[16] = "", old_community[20] = "";
    if (counted) {
        snprintf(old_day, sizeof old_day, "%s", sf_db_text(result, 0, 1));
        snprintf(old_community, sizeof old_community, "%s", sf_db_text(result, 0, 2));
    }
    PQclear(result);
    bool same = counted && approved && old_hours == record->hours && strcmp(old_day, record->served_on) == 0
             && strcmp(old_community, record->community_code) == 0;
    if (same || (!counted && !approved))
        return SF_OK;
    eval_period_t periods[3];
    if (counted && eval_period_of_date(old_day, &periods[0], &periods[1], &periods[2])) {
        eval_delta_t out = { "volunteer_hours", -old_hours };
        status = eval_facts_add_periods(db, old_community, periods, 3, &out, 1);
    }
    if (status == SF_OK && approved) {
        if (!eval_period_of_date(record->served_on, &periods[0], &periods[1], &periods[2])) {
            sf_warn("approved service record without a valid day not counted", "record", record->id);
            return SF_OK;
        }
        eval_delta_t in = { "volunteer_hours", record->hours };
        status = eval_facts_add_periods(db, record->community_code, periods, 3, &in, 1);
    }
    if (status != SF_OK)
        return status;
    params = SF_PARAMS(source, record->id);
    if (!approved)
        return sf_db_run(db, "DELETE FROM volunteer_record WHERE source = $1 AND id = $2", params, NULL);
    SF_PARAMS_ADD(params, sf_param_double(record->hours), record->served_on, record->community_code);
    return sf_db_run(db,
        "INSERT INTO volunteer_record (source, id, hours, served_on, community_code) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (source, id) DO UPDATE SET hours = EXCLUDED.hours, served_on = EXCLUDED.served_on,"
        "   community_code = EXCLUDED.community_code", params, NULL);
}

/* The number of active pairings of a household, moved by step; returns the
 * change in households paired (+1, -1 or 0) through *paired. */
static sf_status_t
household_pairings(sf_db_t *db, const char *household, int step, int *paired)
{
    PGresult *result = NULL;
    sf_status_t status = sf_db_run(db,
        "INSERT INTO volunteer_paired_household AS h (household_code, pairings) VALUES ($1, greatest($2, 0))"
        " ON CONFLICT (household_code) DO UPDATE SET pairings = greatest(h.pairings + $2, 0)"
        " RETURNING pairings", SF_PARAMS(household, step), &result);
    if (status != SF_OK)
        return status;
    int now = (int) sf_db_int(result, 0, 0);
    PQclear(result);
    *paired = step > 0 && now == 1 ? 1 : step < 0 && now == 0 ? -1 : 0;
    return SF_OK;
}

static sf_status_t
apply_pairing(sf_db_t *db, const char *source, const Sifang__V1__HelpPairing *pairing,
              int64_t at)
{
    sf_params_t *params = SF_PARAMS(source, pairing->id);
    PGresult *result = NULL;
    sf_status_t status = sf_db_run(db,
        "SELECT active FROM volunteer_pairing WHERE source = $1 AND id = $2 FOR UPDATE", params, &result);
    if (status != SF_OK)
        return status;
    bool known = PQntuples(result) == 1, was_active = known && sf_db_bool(result, 0, 0);
    PQclear(result);
    if (known && was_active == pairing->active)
        return SF_OK;
    int step = (pairing->active ? 1 : 0) - (was_active ? 1 : 0), paired = 0;
    if (step)
        status = household_pairings(db, pairing->household_code, step, &paired);
    if (status == SF_OK && step) {
        int64_t when = pairing->active ? (pairing->created_unix_ms ? pairing->created_unix_ms : at)
                                       : (pairing->ended_unix_ms ? pairing->ended_unix_ms : at);
        eval_delta_t deltas[2] = { { "help_pairings_active", step }, { "households_paired", paired } };
        status = eval_facts_add(db, pairing->household_code, when, deltas, 2);
    }
    if (status != SF_OK)
        return status;
    params = SF_PARAMS(source, pairing->id, pairing->household_code, sf_param_bool(pairing->active));
    return sf_db_run(db,
        "INSERT INTO volunteer_pairing (source, id, household_code, active) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (source, id) DO UPDATE SET active = EXCLUDED.active", params, NULL);
}

static sf_status_t
apply_contact(sf_db_t *db, const char *source, const Sifang__V1__HelpContact *contact,
              int64_t at)
{
    sf_params_t *params = SF_PARAMS(source, contact->pairing_id);
    PGresult *result = NULL;
    sf_status_t status = sf_db_run(db, "SELECT household_code FROM volunteer_pairing WHERE source = $1 AND id = $2",
                                   params, &result);
    if (status != SF_OK)
        return status;
    if (PQntuples(result) != 1) {
        PQclear(result);
        sf_warn("contact of a pairing never seen not counted", "pairing", contact->pairing_id);
        return SF_OK;
    }
    char household[24];
    snprintf(household, sizeof household, "%s", sf_db_text(result, 0, 0));
    PQclear(result);
    int64_t when = contact->at_unix_ms ? contact->at_unix_ms : at;
    eval_period_t periods[3];
    eval_period_of(when, &periods[0], &periods[1], &periods[2]);
    eval_delta_t contacts = { "help_contacts", 1 };
    status = eval_facts_add_periods(db, household, periods, 3, &contacts, 1);
    /* A pairing counts as contacted once in each period that saw a contact. */
    for (int i = 0; status == SF_OK && i < 3; i++) {
        sf_params_init(params);
        SF_PARAMS_ADD(params, source, contact->pairing_id, periods[i].code);
        status = sf_db_run(db,
            "INSERT INTO volunteer_pairing_contacted (source, pairing_id, period) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING RETURNING 1", params, &result);
        if (status != SF_OK)
            break;
        bool first = PQntuples(result) == 1;
        PQclear(result);
        if (first) {
            eval_delta_t contacted = { "pairings_contacted", 1 };
            status = eval_facts_add_periods(db, household, &periods[i], 1, &contacted, 1);
        }
    }
    return status;
}

sf_status_t
eval_volunteer_apply(evaluation_t *self, sf_db_t *db, const Sifang__V1__Event *event)
{
    (void) self;   /* every source's apply takes the service; volunteer's needs none of it */
    /* Each payload is decoded before anything is written: one that does not
     * decode is SF_DATA_LOSS, recorded and passed over (sf_follower.h). A
     * review's records decode as one message, all or none, so a bad one
     * never leaves the records before it counted. */
    const char *type = event->payload_type;
    const ProtobufCBinaryData *payload = &event->payload;
    /* Co-buildings and their deliveries (evaluation_district_work.c). */
    bool handled = false;
    sf_status_t status = eval_volunteer_work_apply(db, event, &handled);
    if (handled || status != SF_OK)
        return status;
    if (strcmp(type, "sifang.v1.VolunteerServiceRecord") == 0) {
        Sifang__V1__VolunteerServiceRecord *record =
            sifang__v1__volunteer_service_record__unpack(NULL, payload->len, payload->data);
        if (!record)
            return SF_DATA_LOSS;
        status = apply_record(db, event->source, record);
        protobuf_c_message_free_unpacked(&record->base, NULL);
    } else if (strcmp(type, "sifang.v1.ServiceRecordReviewReply") == 0) {
        /* A review of many records at once, told as one event. */
        Sifang__V1__ServiceRecordReviewReply *review =
            sifang__v1__service_record_review_reply__unpack(NULL, payload->len, payload->data);
        if (!review)
            return SF_DATA_LOSS;
        for (size_t i = 0; status == SF_OK && i < review->n_records; i++)
            status = apply_record(db, event->source, review->records[i]);
        protobuf_c_message_free_unpacked(&review->base, NULL);
    } else if (strcmp(type, "sifang.v1.HelpPairing") == 0) {
        Sifang__V1__HelpPairing *pairing = sifang__v1__help_pairing__unpack(NULL, payload->len, payload->data);
        if (!pairing)
            return SF_DATA_LOSS;
        status = apply_pairing(db, event->source, pairing, event->occurred_unix_ms);
        protobuf_c_message_free_unpacked(&pairing->base, NULL);
    } else if (strcmp(type, "sifang.v1.HelpContact") == 0) {
        Sifang__V1__HelpContact *contact = sifang__v1__help_contact__unpack(NULL, payload->len, payload->data);
        if (!contact)
            return SF_DATA_LOSS;
        status = apply_contact(db, event->source, contact, event->occurred_unix_ms);
        protobuf_c_message_free_unpacked(&contact->base, NULL);
    } else if (strcmp(type, "sifang.v1.HouseholdVisit") == 0) {
        Sifang__V1__HouseholdVisit *visit = sifang__v1__household_visit__unpack(NULL, payload->len, payload->data);
        if (!visit)
            return SF_DATA_LOSS;
        eval_delta_t delta = { "cadre_visits", 1 };
        int64_t at = visit->at_unix_ms ? visit->at_unix_ms : event->occurred_unix_ms;
        status = eval_facts_add(db, visit->household_code, at, &delta, 1);
        /* And by the person who made it, for their own figures. */
        if (status == SF_OK)
            status = eval_staff_visit(db, event->source, visit->id, visit->staff_id, at);
        protobuf_c_message_free_unpacked(&visit->base, NULL);
    }
    return status;
}
