/* Approved service records as JSON for the national volunteer information
 * system, one document per page (the format is described in EXPORT.md,
 * "sifang.volunteer.export/v1"). The beneficiary household is left out:
 * the national system counts volunteers' hours, not who was helped. */
#include "volunteer.h"
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT_FORMAT "sifang.volunteer.export/v1"
#define EXPORT_ISO(column) "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static void
add_text_or_null(cJSON *object, const char *name, const char *value)
{
    if (value && *value)
        cJSON_AddStringToObject(object, name, value);
    else
        cJSON_AddNullToObject(object, name);
}

sf_status_t
volunteer_record_export(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ServiceRecordExportRequest *ask = (const Sifang__V1__ServiceRecordExportRequest *) request;
    const char *prefix = NULL;
    sf_keyset_t page = sf_keyset_of(call, ask->page);
    bool visible = sf_call_scope_under(call, "under", ask->under, &prefix);
    volunteer_check_date(call, "from", ask->from, false);
    volunteer_check_date(call, "to", ask->to, false);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_query_t query;
    sf_query_init(&query, call,
        "SELECT s.serial, s.volunteer_serial, v.national_number, COALESCE(p.name, ''), s.team_serial,"
        " COALESCE(t.name, ''), s.community_code, COALESCE(u.name, ''), s.activity,"
        " to_char(s.served_on, 'YYYY-MM-DD'), s.hours, COALESCE(s.skill, ''), COALESCE(s.case_ref, ''),"
        " " EXPORT_ISO("s.reviewed_at") ", s.reviewed_by, " EXPORT_ISO("now()") ", v.in_service"
        " FROM service_record s LEFT JOIN volunteer v ON v.serial = s.volunteer_serial"
        " LEFT JOIN ref_resident p ON p.id = v.resident_id LEFT JOIN team t ON t.serial = s.team_serial"
        " LEFT JOIN ref_unit u ON u.code = s.community_code");
    sf_query_where(&query, "s.status = 2");
    if (!visible)
        sf_query_where(&query, "false");
    sf_query_subtree(&query, "s.community_code", prefix);
    if (*ask->from)
        sf_query_where(&query, "s.served_on >= $%d::date", sf_query_text(&query, ask->from));
    if (*ask->to)
        sf_query_where(&query, "s.served_on <= $%d::date", sf_query_text(&query, ask->to));
    if (ask->national_number_only)
        sf_query_where(&query, "v.national_number IS NOT NULL");
    volunteer_page_apply(&query, &page, "s.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);

    cJSON *document = cJSON_CreateObject();
    cJSON *records = cJSON_CreateArray();
    if (!document || !records) {
        cJSON_Delete(document);
        cJSON_Delete(records);
        return sf_call_fail(call, SF_RESOURCE_EXHAUSTED, "out of memory");
    }
    cJSON_AddStringToObject(document, "format", EXPORT_FORMAT);
    cJSON_AddStringToObject(document, "source", sf_server_instance(sf_call_server(call)));
    if (rows)
        cJSON_AddStringToObject(document, "generated_at", sf_db_text(result, 0, 15));
    else
        cJSON_AddNullToObject(document, "generated_at");
    cJSON *filter = cJSON_AddObjectToObject(document, "filter");
    add_text_or_null(filter, "under", prefix ? prefix : ask->under);
    add_text_or_null(filter, "from", ask->from);
    add_text_or_null(filter, "to", ask->to);
    cJSON_AddItemToObject(document, "records", records);
    for (int row = 0; row < rows; row++) {
        cJSON *record = cJSON_CreateObject();
        if (!record)
            break;
        cJSON_AddItemToArray(records, record);
        cJSON_AddStringToObject(record, "record_id", volunteer_id(call, VOLUNTEER_ID_RECORD, sf_db_int(result, row, 0)));
        bool person = !sf_db_is_null(result, row, 1);
        add_text_or_null(record, "volunteer_id",
                         person ? volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, sf_db_int(result, row, 1)) : NULL);
        add_text_or_null(record, "national_volunteer_number", sf_db_text(result, row, 2));
        add_text_or_null(record, "volunteer_name", sf_db_text(result, row, 3));
        if (person)
            cJSON_AddBoolToObject(record, "in_service_party_member", sf_db_bool(result, row, 16));
        else
            cJSON_AddNullToObject(record, "in_service_party_member");
        add_text_or_null(record, "team_id", sf_db_is_null(result, row, 4) ? NULL
                         : volunteer_id(call, VOLUNTEER_ID_TEAM, sf_db_int(result, row, 4)));
        add_text_or_null(record, "team_name", sf_db_text(result, row, 5));
        cJSON_AddStringToObject(record, "community_code", sf_db_text(result, row, 6));
        cJSON_AddStringToObject(record, "community_name", sf_db_text(result, row, 7));
        cJSON_AddStringToObject(record, "activity", sf_db_text(result, row, 8));
        cJSON_AddStringToObject(record, "service_date", sf_db_text(result, row, 9));
        cJSON_AddNumberToObject(record, "service_hours", sf_db_double(result, row, 10));
        add_text_or_null(record, "skill", sf_db_text(result, row, 11));
        add_text_or_null(record, "case_ref", sf_db_text(result, row, 12));
        add_text_or_null(record, "approved_at", sf_db_text(result, row, 13));
        add_text_or_null(record, "approved_by", sf_db_text(result, row, 14));
    }
    char *text = cJSON_PrintUnformatted(document);
    cJSON_Delete(document);
    if (!text)
        return sf_call_fail(call, SF_RESOURCE_EXHAUSTED, "out of memory");
    Sifang__V1__ServiceRecordExportReply *reply = (Sifang__V1__ServiceRecordExportReply *)
        sf_call_new_message(call, &sifang__v1__service_record_export_reply__descriptor);
    reply->json = sf_call_strdup(call, text);
    free(text);
    reply->records = rows;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    *reply_p = &reply->base;
    return SF_OK;
}
