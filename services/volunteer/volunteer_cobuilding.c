/* Co-building (结对共建): resident units (enterprises, schools, institutions
 * in the district) paired with communities, and what they commit: people,
 * money, venues. Create, end, list. */
#include "volunteer.h"
#include "sf_row.h"
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMITMENT_UNIT_MAX 20

#define COBUILDING_COLUMNS \
    "b.serial, b.unit_name, b.unit_credit_code, b.community_code, COALESCE(u.name, ''), b.commitments::text," \
    " b.contact_name, b.active, to_char(b.since, 'YYYY-MM-DD'), b.ended_reason, " VOLUNTEER_MS("b.created_at") \
    ", b.version"
#define COBUILDING_SELECT \
    "SELECT " COBUILDING_COLUMNS " FROM cobuilding b LEFT JOIN ref_unit u ON u.code = b.community_code"

static Sifang__V1__CoBuilding *
cobuilding_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__CoBuilding *pair = (Sifang__V1__CoBuilding *)
        sf_call_new_message(call, &sifang__v1__co_building__descriptor);
    pair->id = volunteer_id(call, VOLUNTEER_ID_COBUILDING, sf_db_int(result, row, 0));
    sf_row_read(result, row, 1, &pair->base, "unit_name unit_credit_code community_code community_name");
    /* The commitments were written by this service as a JSON array. */
    cJSON *list = cJSON_Parse(sf_db_text(result, row, 5));
    int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
    if (n > 0) {
        pair->commitments = sf_call_new_array(call, (size_t) n, sizeof *pair->commitments);
        for (int i = 0; i < n; i++) {
            const cJSON *item = cJSON_GetArrayItem(list, i);
            Sifang__V1__CoBuildingCommitment *commitment = (Sifang__V1__CoBuildingCommitment *)
                sf_call_new_message(call, &sifang__v1__co_building_commitment__descriptor);
            const cJSON *kind = cJSON_GetObjectItemCaseSensitive(item, "kind");
            const cJSON *quantity = cJSON_GetObjectItemCaseSensitive(item, "quantity");
            commitment->kind = cJSON_IsNumber(kind) ? (Sifang__V1__CommitmentKind) kind->valueint : 0;
            commitment->description = sf_call_strdup(call,
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "description")));
            commitment->quantity = cJSON_IsNumber(quantity) ? quantity->valuedouble : 0;
            commitment->unit = sf_call_strdup(call, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "unit")));
            pair->commitments[i] = commitment;
        }
        pair->n_commitments = (size_t) n;
    }
    cJSON_Delete(list);
    sf_row_read(result, row, 6, &pair->base, "contact_name active since ended_reason created_unix_ms version");
    return pair;
}

/* A write's reply: the co-building serial as it now stands, also emitted
 * as event_type. */
static sf_status_t
cobuilding_reply(sf_call_t *call, int64_t serial, const char *event_type, ProtobufCMessage **reply_p)
{
    sf_params_t *params = SF_PARAMS(serial);
    PGresult *result = sf_call_query(call, COBUILDING_SELECT " WHERE b.serial = $1", params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__CoBuilding *pair = cobuilding_from_row(call, result, 0);
    return sf_call_emit_reply(call, reply_p, event_type, pair->id, &pair->base);
}

/* The commitments as the JSON stored, or NULL after violations. */
static char *
commitments_json(sf_call_t *call, Sifang__V1__CoBuildingCommitment **commitments, size_t n)
{
    if (n > VOLUNTEER_COMMITMENTS_MAX) {
        sf_call_violation(call, "commitments", "at most %d", VOLUNTEER_COMMITMENTS_MAX);
        return NULL;
    }
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list && i < n; i++) {
        const Sifang__V1__CoBuildingCommitment *c = commitments[i];
        char field[40];
        if (c->kind < SIFANG__V1__COMMITMENT_KIND__COMMITMENT_KIND_PEOPLE
            || c->kind > SIFANG__V1__COMMITMENT_KIND__COMMITMENT_KIND_OTHER) {
            snprintf(field, sizeof field, "commitments[%zu].kind", i);
            sf_call_violation(call, field, "must be PEOPLE, MONEY, VENUE or OTHER");
        }
        snprintf(field, sizeof field, "commitments[%zu].description", i);
        sf_call_check_text(call, field, c->description, VOLUNTEER_HELP_MAX, true);
        if (!isfinite(c->quantity) || c->quantity < 0 || c->quantity > 1e12) {
            snprintf(field, sizeof field, "commitments[%zu].quantity", i);
            sf_call_violation(call, field, "must be a number from 0 up");
        }
        snprintf(field, sizeof field, "commitments[%zu].unit", i);
        sf_call_check_text(call, field, c->unit, COMMITMENT_UNIT_MAX, false);
        cJSON *item = cJSON_CreateObject();
        if (!item)
            break;
        cJSON_AddNumberToObject(item, "kind", c->kind);
        cJSON_AddStringToObject(item, "description", c->description);
        cJSON_AddNumberToObject(item, "quantity", isfinite(c->quantity) ? c->quantity : 0);
        cJSON_AddStringToObject(item, "unit", c->unit);
        cJSON_AddItemToArray(list, item);
    }
    char *text = list ? cJSON_PrintUnformatted(list) : NULL;
    cJSON_Delete(list);
    if (!text) {
        sf_call_fail(call, SF_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    char *copy = sf_call_strdup(call, text);
    free(text);
    return sf_call_has_violations(call) ? NULL : copy;
}

sf_status_t
volunteer_cobuilding_create(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CoBuilding *pair = (const Sifang__V1__CoBuilding *) request;
    if (*pair->id)
        sf_call_violation(call, "id", "is assigned by the service; leave it empty");
    sf_call_check_text(call, "unit_name", pair->unit_name, VOLUNTEER_NAME_MAX, true);
    if (*pair->unit_credit_code && !sf_credit_code_valid(pair->unit_credit_code))
        sf_call_violation(call, "unit_credit_code", "must be a unified social credit code (GB 32100-2015)");
    if (!sf_code_of_length(pair->community_code, SF_CODE_COMMUNITY_LENGTH))
        sf_call_violation(call, "community_code", "must be a community code (%d digits)",
                          SF_CODE_COMMUNITY_LENGTH);
    sf_call_check_text(call, "contact_name", pair->contact_name, VOLUNTEER_NAME_MAX, false);
    volunteer_check_date(call, "since", pair->since, false);
    const char *commitments = commitments_json(call, pair->commitments, pair->n_commitments);
    if (sf_call_has_violations(call) || !commitments)
        return sf_call_status(call);
    sf_status_t status;
    if ((status = volunteer_community_ref(call, "community_code", pair->community_code, NULL)) != SF_OK
        || (status = volunteer_require_writes(call, pair->community_code, "the community")) != SF_OK)
        return status;
    sf_params_t *params = SF_PARAMS(pair->unit_name, pair->community_code);
    PGresult *existing = sf_call_query(call, "SELECT serial FROM cobuilding WHERE unit_name = $1 AND"
                                       " community_code = $2 AND active", params);
    if (!existing)
        return sf_call_status(call);
    if (PQntuples(existing))
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "unit_name", "%s is already paired with community %s (%s)",
                              pair->unit_name, pair->community_code,
                              volunteer_id(call, VOLUNTEER_ID_COBUILDING, sf_db_int(existing, 0, 0)));
    SF_PARAMS_ADD(params, pair->unit_credit_code, commitments, pair->contact_name, sf_param_text_or_null(pair->since),
                          volunteer_config(call)->timezone);
    PGresult *inserted = sf_call_query(call,
        "INSERT INTO cobuilding (unit_name, community_code, unit_credit_code, commitments, contact_name, since)"
        " VALUES ($1, $2, $3, $4::jsonb, $5, COALESCE($6::date, (now() AT TIME ZONE $7)::date)) RETURNING serial",
        params);
    if (!inserted)
        return sf_call_status(call);
    return cobuilding_reply(call, sf_db_int(inserted, 0, 0), "cobuilding.created", reply_p);
}

static const volunteer_ending_t COBUILDING_ENDING = {
    /* The day it ended tells the years it was paired in (deliveries' standing). */
    VOLUNTEER_ID_COBUILDING, "cobuilding", "co-building pair", "the community", "ended_at = now(), ",
};

sf_status_t
volunteer_cobuilding_end(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CoBuildingEndRequest *end = (const Sifang__V1__CoBuildingEndRequest *) request;
    int64_t serial = 0;
    sf_status_t status = volunteer_end(call, &COBUILDING_ENDING, end->id, end->reason, &serial);
    if (status != SF_OK)
        return status;
    return cobuilding_reply(call, serial, "cobuilding.ended", reply_p);
}

sf_status_t
volunteer_cobuilding_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CoBuildingListRequest *list = (const Sifang__V1__CoBuildingListRequest *) request;
    Sifang__V1__CoBuildingListReply *reply = (Sifang__V1__CoBuildingListReply *)
        sf_call_new_message(call, &sifang__v1__co_building_list_reply__descriptor);
    const char *prefix = NULL;
    sf_keyset_t page = sf_keyset_of(call, list->page);
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    sf_call_check_text(call, "unit_name_contains", list->unit_name_contains, VOLUNTEER_NAME_MAX, false);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    sf_query_t query;
    sf_query_init(&query, call, COBUILDING_SELECT);
    sf_query_subtree(&query, "b.community_code", prefix);
    if (!list->include_ended)
        sf_query_where(&query, "b.active");
    if (*list->unit_name_contains)
        sf_query_where(&query, "strpos(lower(b.unit_name), lower($%d)) > 0",
                              sf_query_text(&query, list->unit_name_contains));
    volunteer_page_apply(&query, &page, "b.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->cobuildings = sf_call_new_array(call, (size_t) rows, sizeof *reply->cobuildings);
    for (int row = 0; row < rows; row++)
        reply->cobuildings[row] = cobuilding_from_row(call, result, row);
    reply->n_cobuildings = (size_t) rows;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    *reply_p = &reply->base;
    return SF_OK;
}
