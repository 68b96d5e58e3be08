/* Open311 GeoReport v2 on top of intake, so that existing Open311 clients can
 * submit and follow requests: the service list is intake's catalogue (a
 * service item is an Open311 service, its category the group), a service
 * request is an intake case (service_request_id is the case id), and a
 * submission is a CaseSubmit on the website channel for the household whose
 * code is the request's address_id. JSON only; errors in the spec's format,
 * [{"code": 400, "description": "..."}]; api_key as a parameter or the usual
 * headers; jurisdiction_id, when given, must be this gateway's. */
#include "gateway.h"
#include "sf_client.h"
#include "sf_json.h"
#include "sf_text.h"
#include "sf_log.h"
#include "sifang/v1/intake.pb-c.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PREFIX "/open311/v2/"
#define MAX_FORM_FIELDS 64
#define MAX_LISTED 1000

/* --- replies --------------------------------------------------------------- */

static void
open311_error(gateway_exchange_t *exchange, const gateway_error_t *error)
{
    int http = gateway_error_http(error);
    cJSON *list = cJSON_CreateArray();
    if (error->n_violations == 0) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddNumberToObject(item, "code", http);
        cJSON_AddStringToObject(item, "description", error->message);
        cJSON_AddItemToArray(list, item);
    }
    for (size_t i = 0; i < error->n_violations; i++) {
        char description[512];
        sf_text_format(description, sizeof description, "%s: %s", error->fields[i], error->descriptions[i]);
        cJSON *item = cJSON_CreateObject();
        cJSON_AddNumberToObject(item, "code", http);
        cJSON_AddStringToObject(item, "description", description);
        cJSON_AddItemToArray(list, item);
    }
    gateway_reply_json(exchange, http, list);
}

static void
open311_fail(gateway_exchange_t *exchange, sf_status_t status, const char *description)
{
    gateway_error_t error;
    gateway_error_clear(&error);
    gateway_error_set(&error, status, "%s", description);
    open311_error(exchange, &error);
}

/* --- form bodies ------------------------------------------------------------------ */

typedef struct {
    size_t n;
    char *names[MAX_FORM_FIELDS];
    char *values[MAX_FORM_FIELDS];
    char *text;              /* owns the strings */
    const char *nul_field;   /* a field whose value held %00, refused */
} form_t;

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX and + in place; false on a broken escape. */
static bool
form_decode(char *text)
{
    char *out = text;
    for (char *in = text; *in; in++) {
        if (*in == '+')
            *out++ = ' ';
        else if (*in == '%') {
            int high = hex_value(in[1]), low = high >= 0 ? hex_value(in[2]) : -1;
            if (high < 0 || low < 0)
                return false;
            if (high == 0 && low == 0) {
                /* Not a NUL that would end the value unseen: the mark
                 * form_parse looks for (as the path's, gateway_http.c). */
                memcpy(out, GATEWAY_NUL_MARK, sizeof GATEWAY_NUL_MARK - 1);
                out += sizeof GATEWAY_NUL_MARK - 1;
            } else
                *out++ = (char) (high * 16 + low);
            in += 2;
        } else
            *out++ = *in;
    }
    *out = 0;
    return true;
}

/* Parses an application/x-www-form-urlencoded body; false when broken. */
static bool
form_parse(form_t *form, const char *body, size_t size)
{
    memset(form, 0, sizeof *form);
    form->text = malloc(size + 1);
    if (!form->text)
        return false;
    memcpy(form->text, body, size);
    form->text[size] = 0;
    if (memchr(body, 0, size))
        return false;
    char *save = NULL;
    for (char *pair = strtok_r(form->text, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
        if (form->n == MAX_FORM_FIELDS)
            return false;
        char *equals = strchr(pair, '=');
        if (equals)
            *equals = 0;
        if (!form_decode(pair) || (equals && !form_decode(equals + 1)))
            return false;
        if (strstr(pair, GATEWAY_NUL_MARK) || (equals && strstr(equals + 1, GATEWAY_NUL_MARK))) {
            form->nul_field = strstr(pair, GATEWAY_NUL_MARK) ? "a field name" : pair;
            return false;
        }
        form->names[form->n] = pair;
        form->values[form->n++] = equals ? equals + 1 : pair + strlen(pair);
    }
    return true;
}

static const char *
form_get(const form_t *form, const char *name)
{
    for (size_t i = 0; i < form->n; i++)
        if (strcmp(form->names[i], name) == 0)
            return form->values[i];
    return NULL;
}

static void
form_release(form_t *form)
{
    free(form->text);
    memset(form, 0, sizeof *form);
}

/* --- conversions ---------------------------------------------------------------------- */

static void
add_time(cJSON *object, const char *name, int64_t unix_ms)
{
    if (unix_ms <= 0) {
        cJSON_AddNullToObject(object, name);
        return;
    }
    time_t seconds = (time_t) (unix_ms / 1000);
    struct tm utc;
    gmtime_r(&seconds, &utc);
    char text[32];
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    cJSON_AddStringToObject(object, name, text);
}

/* An ISO 8601 date-time (2026-03-15T08:00:00Z, with +08:00, or a date) in
 * ms; -1 when it is not one. */
static int64_t
parse_time(const char *text)
{
    struct tm parts;
    memset(&parts, 0, sizeof parts);
    const char *rest = strptime(text, "%Y-%m-%d", &parts);
    if (!rest)
        return -1;
    if (*rest == 'T' || *rest == ' ') {
        rest = strptime(rest + 1, "%H:%M:%S", &parts);
        if (!rest)
            return -1;
        if (*rest == '.')
            for (rest++; isdigit((unsigned char) *rest); rest++)
                ;
    }
    long offset = 0;
    if (*rest == 'Z')
        rest++;
    else if (*rest == '+' || *rest == '-') {
        int hours = 0, minutes = 0;
        if (sscanf(rest + 1, "%2d:%2d", &hours, &minutes) < 1)
            return -1;
        offset = (hours * 3600L + minutes * 60L) * (*rest == '-' ? -1 : 1);
        rest += strlen(rest);
    }
    if (*rest)
        return -1;
    return ((int64_t) timegm(&parts) - offset) * 1000;
}

static bool
case_open(Sifang__V1__CaseStatus status)
{
    return status == SIFANG__V1__CASE_STATUS__CASE_STATUS_RECEIVED
        || status == SIFANG__V1__CASE_STATUS__CASE_STATUS_ACCEPTED
        || status == SIFANG__V1__CASE_STATUS__CASE_STATUS_ASSIGNED
        || status == SIFANG__V1__CASE_STATUS__CASE_STATUS_IN_PROGRESS;
}

static const char *
group_of(Sifang__V1__ServiceCategory category)
{
    switch (category) {
    case SIFANG__V1__SERVICE_CATEGORY__SERVICE_CATEGORY_GOVERNMENT: return "government affairs";
    case SIFANG__V1__SERVICE_CATEGORY__SERVICE_CATEGORY_PARTY: return "party affairs";
    case SIFANG__V1__SERVICE_CATEGORY__SERVICE_CATEGORY_CONVENIENCE: return "convenience";
    default: return "other";
    }
}

static cJSON *
service_json(const Sifang__V1__ServiceItem *item)
{
    cJSON *service = cJSON_CreateObject();
    cJSON_AddStringToObject(service, "service_code", item->code);
    cJSON_AddStringToObject(service, "service_name", item->name);
    cJSON_AddStringToObject(service, "description", item->description);
    cJSON_AddFalseToObject(service, "metadata");
    cJSON_AddStringToObject(service, "type", "realtime");
    char keywords[256];
    sf_text_format(keywords, sizeof keywords, "%s%s%s", group_of(item->category),
                   item->department_name[0] ? ", " : "", item->department_name);
    cJSON_AddStringToObject(service, "keywords", keywords);
    cJSON_AddStringToObject(service, "group", group_of(item->category));
    return service;
}

static cJSON *
request_json(const Sifang__V1__Case *kase)
{
    cJSON *request = cJSON_CreateObject();
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long) kase->id);
    cJSON_AddStringToObject(request, "service_request_id", id);
    cJSON_AddStringToObject(request, "status", case_open(kase->status) ? "open" : "closed");
    const char *notes = kase->resolution[0] ? kase->resolution
                      : kase->reject_reason[0] ? kase->reject_reason
                      : kase->transferred_to[0] ? kase->transferred_to : "";
    if (notes[0])
        cJSON_AddStringToObject(request, "status_notes", notes);
    else
        cJSON_AddNullToObject(request, "status_notes");
    cJSON_AddStringToObject(request, "service_name", kase->item_name);
    cJSON_AddStringToObject(request, "service_code", kase->item_code);
    cJSON_AddStringToObject(request, "description", kase->description);
    if (kase->assignee && kase->assignee->name[0])
        cJSON_AddStringToObject(request, "agency_responsible", kase->assignee->name);
    else
        cJSON_AddNullToObject(request, "agency_responsible");
    if (kase->registration_number[0]) {
        char notice[96];
        snprintf(notice, sizeof notice, "registration number %s", kase->registration_number);
        cJSON_AddStringToObject(request, "service_notice", notice);
    } else
        cJSON_AddNullToObject(request, "service_notice");
    add_time(request, "requested_datetime", kase->received_unix_ms);
    int64_t updated = kase->last_transition ? kase->last_transition->at_unix_ms : 0;
    add_time(request, "updated_datetime", updated ? updated : kase->received_unix_ms);
    add_time(request, "expected_datetime", kase->due_unix_ms);
    cJSON_AddNullToObject(request, "address");
    if (kase->requester && kase->requester->household_code[0])
        cJSON_AddStringToObject(request, "address_id", kase->requester->household_code);
    else
        cJSON_AddNullToObject(request, "address_id");
    cJSON_AddNullToObject(request, "zipcode");
    cJSON_AddNullToObject(request, "lat");
    cJSON_AddNullToObject(request, "long");
    cJSON_AddNullToObject(request, "media_url");
    return request;
}

/* --- endpoints ----------------------------------------------------------------------------- */

static void
serve_services(gateway_t *gw, gateway_exchange_t *exchange, const gateway_principal_t *principal)
{
    cJSON *list = cJSON_CreateArray();
    char token[512] = "";
    for (int pages = 0; pages < 20; pages++) {
        Sifang__V1__ItemListRequest request = SIFANG__V1__ITEM_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = 1000;
        page.page_token = token;
        request.page = &page;
        ProtobufCMessage *reply = NULL;
        gateway_error_t error;
        gateway_error_clear(&error);
        if (gateway_upstream_call(gw->upstream, "intake", "ItemList", NULL, principal, &request.base, &reply,
                                  &error) != SF_OK) {
            cJSON_Delete(list);
            open311_error(exchange, &error);
            return;
        }
        Sifang__V1__ItemListReply *items = (Sifang__V1__ItemListReply *) reply;
        for (size_t i = 0; i < items->n_items; i++)
            cJSON_AddItemToArray(list, service_json(items->items[i]));
        snprintf(token, sizeof token, "%s", items->next_page_token);
        protobuf_c_message_free_unpacked(reply, NULL);
        if (!token[0])
            break;
    }
    gateway_reply_json(exchange, 200, list);
}

static void
serve_service_definition(gateway_t *gw, gateway_exchange_t *exchange, const gateway_principal_t *principal,
                         const char *code)
{
    Sifang__V1__CodeRequest request = SIFANG__V1__CODE_REQUEST__INIT;
    request.code = (char *) code;
    ProtobufCMessage *reply = NULL;
    gateway_error_t error;
    gateway_error_clear(&error);
    if (gateway_upstream_call(gw->upstream, "intake", "ItemGet", NULL, principal, &request.base, &reply,
                              &error) != SF_OK) {
        open311_error(exchange, &error);
        return;
    }
    const Sifang__V1__ServiceItem *item = (const Sifang__V1__ServiceItem *) reply;
    cJSON *definition = cJSON_CreateObject();
    cJSON_AddStringToObject(definition, "service_code", item->code);
    /* Materials to bring are told, not asked: informational attributes. */
    cJSON *attributes = cJSON_AddArrayToObject(definition, "attributes");
    for (size_t i = 0; i < item->n_required_materials; i++) {
        cJSON *attribute = cJSON_CreateObject();
        char code_text[32];
        snprintf(code_text, sizeof code_text, "material-%zu", i + 1);
        cJSON_AddFalseToObject(attribute, "variable");
        cJSON_AddStringToObject(attribute, "code", code_text);
        cJSON_AddStringToObject(attribute, "datatype", "text");
        cJSON_AddFalseToObject(attribute, "required");
        cJSON_AddStringToObject(attribute, "datatype_description", "material to bring");
        cJSON_AddNumberToObject(attribute, "order", (double) (i + 1));
        cJSON_AddStringToObject(attribute, "description", item->required_materials[i]);
        cJSON_AddItemToArray(attributes, attribute);
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    gateway_reply_json(exchange, 200, definition);
}

/* One case by id, as Open311's one-element list. */
static void
serve_request(gateway_t *gw, gateway_exchange_t *exchange, const gateway_principal_t *principal, const char *id)
{
    char *end = NULL;
    long long number = strtoll(id, &end, 10);
    if (!*id || *end || number <= 0) {
        open311_fail(exchange, SF_NOT_FOUND, "no such service request");
        return;
    }
    Sifang__V1__CaseRef request = SIFANG__V1__CASE_REF__INIT;
    request.id = number;
    ProtobufCMessage *reply = NULL;
    gateway_error_t error;
    gateway_error_clear(&error);
    if (gateway_upstream_call(gw->upstream, "intake", "CaseGet", NULL, principal, &request.base, &reply,
                              &error) != SF_OK) {
        open311_error(exchange, &error);
        return;
    }
    cJSON *list = cJSON_CreateArray();
    cJSON_AddItemToArray(list, request_json((const Sifang__V1__Case *) reply));
    protobuf_c_message_free_unpacked(reply, NULL);
    gateway_reply_json(exchange, 200, list);
}

/* Requests are made at once, so a token is the request's own id: it names
 * the request when the case exists. */
static void
serve_token(gateway_t *gw, gateway_exchange_t *exchange, const gateway_principal_t *principal, const char *token)
{
    char *end = NULL;
    Sifang__V1__CaseRef request = SIFANG__V1__CASE_REF__INIT;
    request.id = strtoll(token, &end, 10);
    if (!*token || *end || request.id <= 0) {
        open311_fail(exchange, SF_NOT_FOUND, "no such token");
        return;
    }
    ProtobufCMessage *reply = NULL;
    gateway_error_t error;
    gateway_error_clear(&error);
    if (gateway_upstream_call(gw->upstream, "intake", "CaseGet", NULL, principal, &request.base, &reply,
                              &error) != SF_OK) {
        open311_error(exchange, &error);
        return;
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    cJSON *list = cJSON_CreateArray();
    cJSON *item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "service_request_id", token);
    cJSON_AddStringToObject(item, "token", token);
    cJSON_AddItemToArray(list, item);
    gateway_reply_json(exchange, 200, list);
}

static void
serve_requests(gateway_t *gw, gateway_exchange_t *exchange, const gateway_principal_t *principal)
{
    const char *ids = gateway_exchange_argument(exchange, "service_request_id");
    if (ids && *ids) {
        /* Several ids: each looked up; unknown ones are left out. */
        char copy[2048];
        if (strlen(ids) >= sizeof copy) {
            /* Cut, its last id would be another one ("12345" read as "12"). */
            open311_fail(exchange, SF_INVALID_ARGUMENT, "service_request_id: at most 100 ids");
            return;
        }
        memcpy(copy, ids, strlen(ids) + 1);
        cJSON *list = cJSON_CreateArray();
        char *save = NULL;
        int n = 0;
        for (char *id = strtok_r(copy, ",", &save); id && n < 100; id = strtok_r(NULL, ",", &save), n++) {
            Sifang__V1__CaseRef request = SIFANG__V1__CASE_REF__INIT;
            char *end = NULL;
            request.id = strtoll(id, &end, 10);
            if (*end || request.id <= 0)
                continue;
            ProtobufCMessage *reply = NULL;
            gateway_error_t error;
            gateway_error_clear(&error);
            sf_status_t status = gateway_upstream_call(gw->upstream, "intake", "CaseGet", NULL, principal,
                                                       &request.base, &reply, &error);
            if (status == SF_OK) {
                cJSON_AddItemToArray(list, request_json((const Sifang__V1__Case *) reply));
                protobuf_c_message_free_unpacked(reply, NULL);
            } else if (status != SF_NOT_FOUND) {
                cJSON_Delete(list);
                open311_error(exchange, &error);
                return;
            }
        }
        gateway_reply_json(exchange, 200, list);
        return;
    }
    Sifang__V1__CaseListRequest request = SIFANG__V1__CASE_LIST_REQUEST__INIT;
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    Sifang__V1__CaseStatus closed[] = { SIFANG__V1__CASE_STATUS__CASE_STATUS_RESOLVED,
                                        SIFANG__V1__CASE_STATUS__CASE_STATUS_CLOSED,
                                        SIFANG__V1__CASE_STATUS__CASE_STATUS_REJECTED,
                                        SIFANG__V1__CASE_STATUS__CASE_STATUS_TRANSFERRED };
    page.page_size = 1000;
    request.page = &page;
    request.under = (char *) principal->scope;
    const char *service_code = gateway_exchange_argument(exchange, "service_code");
    request.item_code = (char *) (service_code ? service_code : "");
    const char *status = gateway_exchange_argument(exchange, "status");
    if (status && strcmp(status, "open") == 0)
        request.open_only = true;
    else if (status && strcmp(status, "closed") == 0) {
        request.statuses = closed;
        request.n_statuses = sizeof closed / sizeof closed[0];
    } else if (status && *status) {
        open311_fail(exchange, SF_INVALID_ARGUMENT, "status: open or closed");
        return;
    }
    const char *names[2] = { "start_date", "end_date" };
    int64_t bounds[2] = { 0, 0 };
    for (int i = 0; i < 2; i++) {
        const char *text = gateway_exchange_argument(exchange, names[i]);
        if (text && *text && (bounds[i] = parse_time(text)) < 0) {
            char description[96];
            snprintf(description, sizeof description, "%s: an ISO 8601 date-time (2026-03-15T08:00:00+08:00)",
                     names[i]);
            open311_fail(exchange, SF_INVALID_ARGUMENT, description);
            return;
        }
    }
    /* The spec's default window: the last 90 days. */
    request.received_from_unix_ms = bounds[0] ? bounds[0]
                                  : (bounds[1] ? bounds[1] : sf_now_ms()) - 90LL * 24 * 3600 * 1000;
    request.received_to_unix_ms = bounds[1];
    ProtobufCMessage *reply = NULL;
    gateway_error_t error;
    gateway_error_clear(&error);
    if (gateway_upstream_call(gw->upstream, "intake", "CaseList", NULL, principal, &request.base, &reply,
                              &error) != SF_OK) {
        open311_error(exchange, &error);
        return;
    }
    const Sifang__V1__CaseListReply *cases = (const Sifang__V1__CaseListReply *) reply;
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < cases->n_cases && i < MAX_LISTED; i++)
        cJSON_AddItemToArray(list, request_json(cases->cases[i]));
    protobuf_c_message_free_unpacked(reply, NULL);
    gateway_reply_json(exchange, 200, list);
}

static void
serve_submit(gateway_t *gw, gateway_exchange_t *exchange, const gateway_principal_t *principal, const form_t *form)
{
    const char *service_code = form_get(form, "service_code");
    const char *address_id = form_get(form, "address_id");
    const char *description = form_get(form, "description");
    gateway_error_t error;
    gateway_error_clear(&error);
    if (!service_code || !*service_code)
        gateway_error_violation(&error, "service_code", "required");
    if (!address_id || !*address_id)
        gateway_error_violation(&error, "address_id", "required: the code of the requester's household");
    if (!description || !*description)
        gateway_error_violation(&error, "description", "required");
    if (error.status != SF_OK) {
        open311_error(exchange, &error);
        return;
    }
    Sifang__V1__CaseSubmitRequest request = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
    Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
    /* Far more than intake takes (50 characters, 200 bytes): a name cut
     * here is still too long there and is refused, never stored cut. */
    char name[1024];
    const char *first = form_get(form, "first_name"), *last = form_get(form, "last_name");
    sf_text_format(name, sizeof name, "%s%s%s", last ? last : "", last && first ? " " : "", first ? first : "");
    requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
    requester.household_code = (char *) address_id;
    requester.resident_id = (char *) (form_get(form, "account_id") ? form_get(form, "account_id") : "");
    requester.name = name;
    requester.phone = (char *) (form_get(form, "phone") ? form_get(form, "phone") : "");
    request.channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WEBSITE;
    request.item_code = (char *) service_code;
    request.requester = &requester;
    request.description = (char *) description;
    char request_id[160], namespace[48];
    const char *idempotency = gateway_exchange_header(exchange, "Idempotency-Key");
    if (idempotency && strlen(idempotency) <= 96)
        snprintf(request_id, sizeof request_id, "%s.311.%s",
                 gateway_principal_namespace(principal, namespace, sizeof namespace), idempotency);
    else
        sf_request_id_new(request_id);
    ProtobufCMessage *reply = NULL;
    if (gateway_upstream_call(gw->upstream, "intake", "CaseSubmit", request_id, principal, &request.base, &reply,
                              &error) != SF_OK) {
        /* Name the Open311 fields rather than intake's. */
        for (size_t i = 0; i < error.n_violations; i++)
            if (strcmp(error.fields[i], "item_code") == 0)
                snprintf(error.fields[i], sizeof error.fields[i], "service_code");
            else if (strncmp(error.fields[i], "requester.household_code", 24) == 0)
                snprintf(error.fields[i], sizeof error.fields[i], "address_id");
        open311_error(exchange, &error);
        return;
    }
    const Sifang__V1__Case *kase = (const Sifang__V1__Case *) reply;
    cJSON *list = cJSON_CreateArray();
    cJSON *created = cJSON_CreateObject();
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long) kase->id);
    cJSON_AddStringToObject(created, "service_request_id", id);
    cJSON_AddStringToObject(created, "token", id);
    char notice[160];
    sf_text_format(notice, sizeof notice, "received%s%s", kase->registration_number[0] ? "; registration number " : "",
             kase->registration_number);
    cJSON_AddStringToObject(created, "service_notice", notice);
    cJSON_AddNullToObject(created, "account_id");
    cJSON_AddItemToArray(list, created);
    protobuf_c_message_free_unpacked(reply, NULL);
    gateway_reply_json(exchange, 201, list);
}

/* The part of path between prefix and ".json" (a single segment), into out. */
static bool
json_leaf(const char *path, const char *prefix, char *out, size_t size)
{
    size_t prefix_length = strlen(prefix);
    if (strncmp(path, prefix, prefix_length) != 0)
        return false;
    const char *leaf = path + prefix_length;
    size_t length = strlen(leaf);
    if (length <= 5 || strcmp(leaf + length - 5, ".json") != 0 || memchr(leaf, '/', length - 5))
        return false;
    if (length - 5 >= size)
        return false;
    snprintf(out, size, "%.*s", (int) (length - 5), leaf);
    return true;
}

bool
gateway_open311_serve(gateway_t *gw, gateway_exchange_t *exchange, const char *method, const char *path)
{
    if (strncmp(path, "/open311/", 9) != 0)
        return false;
    bool get = strcmp(method, "GET") == 0;
    bool post = strcmp(method, "POST") == 0;
    char leaf[256];
    enum { SERVICES, SERVICE, REQUESTS, REQUEST, TOKEN, NONE } what = NONE;
    if (strcmp(path, PREFIX "services.json") == 0)
        what = SERVICES;
    else if (strcmp(path, PREFIX "requests.json") == 0)
        what = REQUESTS;
    else if (json_leaf(path, PREFIX "services/", leaf, sizeof leaf))
        what = SERVICE;
    else if (json_leaf(path, PREFIX "requests/", leaf, sizeof leaf))
        what = REQUEST;
    else if (json_leaf(path, PREFIX "tokens/", leaf, sizeof leaf))
        what = TOKEN;
    static const char *const names[] = { "GET /open311/v2/services.json", "GET /open311/v2/services/{service_code}.json",
                                         "/open311/v2/requests.json", "GET /open311/v2/requests/{service_request_id}.json",
                                         "GET /open311/v2/tokens/{token}.json", "(open311)" };
    if (what == REQUESTS)
        gateway_exchange_name(exchange, post ? "POST /open311/v2/requests.json" : "GET /open311/v2/requests.json");
    else
        gateway_exchange_name(exchange, names[what]);
    if (what == NONE) {
        open311_fail(exchange, SF_NOT_FOUND, strstr(path, ".xml") ? "only the JSON format is served" : "no such Open311 resource");
        return true;
    }
    if (!(get || (post && what == REQUESTS))) {
        gateway_error_t error;
        gateway_error_clear(&error);
        gateway_error_set(&error, SF_UNIMPLEMENTED, "%s is not allowed here", method);
        error.http = 405;
        open311_error(exchange, &error);
        return true;
    }
    gateway_error_t error;
    gateway_error_clear(&error);
    if (gateway_exchange_too_large(exchange)) {
        gateway_error_set(&error, SF_RESOURCE_EXHAUSTED, "the request body exceeds the limit of %zu bytes",
                          gw->max_body);
        error.http = 413;
        open311_error(exchange, &error);
        return true;
    }
    size_t body_size = 0;
    const char *body = gateway_exchange_body(exchange, &body_size);
    form_t form;
    memset(&form, 0, sizeof form);
    if (post && !form_parse(&form, body, body_size)) {
        char why[192];
        if (form.nul_field)
            sf_text_format(why, sizeof why, "%s: " SF_JSON_NUL_REFUSED, form.nul_field);
        else
            snprintf(why, sizeof why, "the body must be application/x-www-form-urlencoded");
        form_release(&form);
        open311_fail(exchange, SF_INVALID_ARGUMENT, why);
        return true;
    }
    const char *jurisdiction = post ? form_get(&form, "jurisdiction_id") : gateway_exchange_argument(exchange,
                                                                                                     "jurisdiction_id");
    if (jurisdiction && *jurisdiction && strcmp(jurisdiction, gw->jurisdiction_id) != 0) {
        form_release(&form);
        open311_fail(exchange, SF_NOT_FOUND, "unknown jurisdiction_id");
        return true;
    }
    const char *api_key = post ? form_get(&form, "api_key") : gateway_exchange_argument(exchange, "api_key");
    gateway_principal_t principal;
    if (!gateway_authenticate(gw, exchange, api_key, &principal, &error)) {
        form_release(&form);
        open311_error(exchange, &error);
        return true;
    }
    switch (what) {
    case SERVICES: serve_services(gw, exchange, &principal); break;
    case SERVICE: serve_service_definition(gw, exchange, &principal, leaf); break;
    case REQUESTS:
        if (post)
            serve_submit(gw, exchange, &principal, &form);
        else
            serve_requests(gw, exchange, &principal);
        break;
    case REQUEST: serve_request(gw, exchange, &principal, leaf); break;
    case TOKEN:
        serve_token(gw, exchange, &principal, leaf);
        break;
    default:
        break;
    }
    form_release(&form);
    return true;
}
