/* Open311 GeoReport v2 on top of intake, as the published spec has it, so
 * that existing Open311 clients work unchanged: the service list is
 * intake's catalogue (an item is a service, its category the group), a
 * service request is an intake case (service_request_id is the case id),
 * a submission is a CaseSubmit on the website channel. Every resource in
 * JSON and XML (by its extension), the discovery document beside it, and
 * errors as the spec's list of {code, description}. Reads are public (no
 * key; limited per client address) and show public data only; a
 * submission needs an API key (api_key or the usual headers), refused 403
 * without a valid one. jurisdiction_id, when given, must be this
 * gateway's. This file: the formats, keys, dispatch, services, service
 * definitions and discovery; gateway_open311.h names the rest. */
#include "gateway_open311.h"
#include "sf_json.h"
#include "sf_text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PREFIX "/open311/v2/"
#define DISCOVERY "/open311/discovery"
#define SPECIFICATION "http://wiki.open311.org/GeoReport_v2"

/* --- replies ------------------------------------------------------------------------ */

static void
reply_text(gateway_exchange_t *exchange, open311_format_t format, int http_status, cJSON *body, const char *root,
           const char *item, const gateway_error_t *error)
{
    char *text = format == OPEN311_XML ? gateway_open311_xml(body, root, item) : cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (!text) {
        gateway_error_t failure;
        gateway_error_clear(&failure);
        gateway_error_set(&failure, SF_INTERNAL, "out of memory");
        gateway_reply_error(exchange, &failure);
        return;
    }
    gateway_reply_owned(exchange, http_status,
                        format == OPEN311_XML ? "text/xml; charset=utf-8" : "application/json; charset=utf-8", text,
                        strlen(text), error);
}

void
gateway_open311_reply(gateway_exchange_t *exchange, open311_format_t format, int http_status, cJSON *body,
                      const char *root, const char *item)
{
    reply_text(exchange, format, http_status, body, root, item, NULL);
}

void
gateway_open311_error(gateway_exchange_t *exchange, open311_format_t format, const gateway_error_t *error)
{
    int http = gateway_error_http(error);
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < error->n_violations || (i == 0 && error->n_violations == 0); i++) {
        char description[768];
        if (error->n_violations)
            sf_text_format(description, sizeof description, "%s: %s", error->fields[i], error->descriptions[i]);
        else
            sf_text_format(description, sizeof description, "%s", error->message);
        cJSON *item = cJSON_CreateObject();
        cJSON_AddNumberToObject(item, "code", http);
        cJSON_AddStringToObject(item, "description", description);
        cJSON_AddItemToArray(list, item);
    }
    reply_text(exchange, format, http, list, "errors", "error", error);
}

void
gateway_open311_fail(gateway_exchange_t *exchange, open311_format_t format, sf_status_t status,
                     const char *description)
{
    gateway_error_t error;
    gateway_error_clear(&error);
    gateway_error_set(&error, status, "%s", description);
    gateway_open311_error(exchange, format, &error);
}

void
gateway_open311_add_time(cJSON *object, const char *name, int64_t unix_ms)
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

void
gateway_open311_public(gateway_principal_t *principal)
{
    memset(principal, 0, sizeof *principal);
    snprintf(principal->id, sizeof principal->id, "anonymous");
    snprintf(principal->role, sizeof principal->role, "viewer");
}

/* --- keys ----------------------------------------------------------------------------------- */

/* Who the request acts as. A key, when one comes, must be valid (403
 * otherwise, the spec's code: never 401, which asks for credentials the
 * reads do not need); a read then acts as the public viewer on the key's
 * rate limit, a read without one on its address's. A submission needs a
 * key. false when answered. */
static bool
open311_principal(gateway_t *gw, gateway_exchange_t *exchange, open311_format_t format, bool write,
                  const char *api_key, gateway_principal_t *principal)
{
    bool presented = (api_key && *api_key) || gateway_exchange_header(exchange, "Authorization")
                  || gateway_exchange_header(exchange, "X-API-Key");
    gateway_error_t error;
    gateway_error_clear(&error);
    if (!presented && write) {
        gateway_metrics_refused(gw->metrics, "unauthenticated");
        gateway_open311_fail(exchange, format, SF_PERMISSION_DENIED,
                             "api_key is required to submit a service request");
        return false;
    }
    if (!presented) {
        char address[64];
        gateway_exchange_address(exchange, address, sizeof address);
        int64_t wait = gateway_address_limits_take(&gw->anonymous_limits, address, sf_clock_ms());
        if (wait > 0) {
            gateway_metrics_refused(gw->metrics, "rate_limited");
            gateway_error_set(&error, SF_RESOURCE_EXHAUSTED, "too many requests without a key from this address");
            error.http = 429;
            error.retry_after_s = gateway_retry_after_s(wait);
            gateway_open311_error(exchange, format, &error);
            return false;
        }
        gateway_open311_public(principal);
        return true;
    }
    if (!gateway_authenticate(gw, exchange, api_key, principal, &error)) {
        if (error.status == SF_UNAUTHENTICATED) {
            char message[sizeof error.message];
            sf_text_format(message, sizeof message, "invalid api_key: %s", error.message);
            gateway_error_clear(&error);
            gateway_error_set(&error, SF_PERMISSION_DENIED, "%s", message);
        }
        gateway_open311_error(exchange, format, &error);
        return false;
    }
    if (!write)
        gateway_open311_public(principal);
    return true;
}

/* --- services and their definitions ---------------------------------------------------------- */

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

/* The catalogue's materials to bring, asked as one question: which of them
 * the resident has ready (keys 1..n, in the catalogue's order). Its answers
 * go with the case's description (gateway_open311_requests.c). */
bool
gateway_open311_item_attributes(const Sifang__V1__ServiceItem *item, cJSON *attributes)
{
    if (item->n_required_materials == 0 || !attributes)
        return item->n_required_materials > 0;
    cJSON *attribute = cJSON_CreateObject();
    cJSON_AddTrueToObject(attribute, "variable");
    cJSON_AddStringToObject(attribute, "code", "materials");
    cJSON_AddStringToObject(attribute, "datatype", "multivaluelist");
    cJSON_AddFalseToObject(attribute, "required");
    cJSON_AddStringToObject(attribute, "datatype_description", "tick each material you have ready");
    cJSON_AddNumberToObject(attribute, "order", 1);
    cJSON_AddStringToObject(attribute, "description",
                            "Materials to bring to the service window: which of them do you have ready?");
    cJSON *values = cJSON_AddArrayToObject(attribute, "values");
    for (size_t i = 0; i < item->n_required_materials; i++) {
        cJSON *value = cJSON_CreateObject();
        char key[24];
        snprintf(key, sizeof key, "%zu", i + 1);
        cJSON_AddStringToObject(value, "key", key);
        cJSON_AddStringToObject(value, "name", item->required_materials[i]);
        cJSON_AddItemToArray(values, value);
    }
    cJSON_AddItemToArray(attributes, attribute);
    return true;
}

static cJSON *
service_json(const Sifang__V1__ServiceItem *item)
{
    cJSON *service = cJSON_CreateObject();
    cJSON_AddStringToObject(service, "service_code", item->code);
    cJSON_AddStringToObject(service, "service_name", item->name);
    cJSON_AddStringToObject(service, "description", item->description);
    cJSON_AddBoolToObject(service, "metadata", gateway_open311_item_attributes(item, NULL));
    cJSON_AddStringToObject(service, "type", "realtime");
    char keywords[256];
    sf_text_format(keywords, sizeof keywords, "%s%s%s", group_of(item->category),
                   item->department_name[0] ? ", " : "", item->department_name);
    cJSON_AddStringToObject(service, "keywords", keywords);
    cJSON_AddStringToObject(service, "group", group_of(item->category));
    return service;
}

bool
gateway_open311_each_page(gateway_t *gw, const char *service, const char *rpc, const gateway_principal_t *principal,
                          ProtobufCMessage *request, Sifang__V1__PageRequest *page,
                          void (*each)(const ProtobufCMessage *reply, void *context), void *context,
                          gateway_error_t *error)
{
    char token[512] = "";
    page->page_size = 1000;
    page->page_token = token;
    bool answered = true;
    for (int pages = 0; pages < 200; pages++) {
        ProtobufCMessage *reply = NULL;
        if (gateway_upstream_call(gw->upstream, service, rpc, NULL, principal, request, &reply, error) != SF_OK) {
            answered = false;
            break;
        }
        each(reply, context);
        /* Every list reply names its next page so (sifang.v1 *ListReply). */
        const ProtobufCFieldDescriptor *next =
            protobuf_c_message_descriptor_get_field_by_name(reply->descriptor, "next_page_token");
        const char *text = next ? *(const char *const *) ((const char *) reply + next->offset) : NULL;
        snprintf(token, sizeof token, "%s", text ? text : "");
        protobuf_c_message_free_unpacked(reply, NULL);
        if (!token[0])
            break;
    }
    page->page_token = "";   /* not this frame's token once it returns */
    return answered;
}

typedef struct {
    void (*each)(const Sifang__V1__ServiceItem *item, void *context);
    void *context;
} catalogue_walk_t;

static void
catalogue_page(const ProtobufCMessage *reply, void *context)
{
    const catalogue_walk_t *walk = context;
    const Sifang__V1__ItemListReply *items = (const Sifang__V1__ItemListReply *) reply;
    for (size_t i = 0; i < items->n_items; i++)
        walk->each(items->items[i], walk->context);
}

/* Every active item of the catalogue; calls each with the item. false
 * with error set. */
static bool
catalogue_each(gateway_t *gw, const gateway_principal_t *principal, gateway_error_t *error,
               void (*each)(const Sifang__V1__ServiceItem *item, void *context), void *context)
{
    Sifang__V1__ItemListRequest request = SIFANG__V1__ITEM_LIST_REQUEST__INIT;
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    request.page = &page;
    catalogue_walk_t walk = { each, context };
    return gateway_open311_each_page(gw, "intake", "ItemList", principal, &request.base, &page, catalogue_page,
                                     &walk, error);
}

static void
add_service(const Sifang__V1__ServiceItem *item, void *list)
{
    cJSON_AddItemToArray(list, service_json(item));
}

static void
serve_services(gateway_t *gw, gateway_exchange_t *exchange, open311_format_t format,
               const gateway_principal_t *principal)
{
    cJSON *list = cJSON_CreateArray();
    gateway_error_t error;
    gateway_error_clear(&error);
    if (!catalogue_each(gw, principal, &error, add_service, list)) {
        cJSON_Delete(list);
        gateway_open311_error(exchange, format, &error);
        return;
    }
    gateway_open311_reply(exchange, format, 200, list, "services", "service");
}

static void
serve_service_definition(gateway_t *gw, gateway_exchange_t *exchange, open311_format_t format,
                         const gateway_principal_t *principal, const char *code)
{
    Sifang__V1__CodeRequest request = SIFANG__V1__CODE_REQUEST__INIT;
    request.code = (char *) code;
    ProtobufCMessage *reply = NULL;
    gateway_error_t error;
    gateway_error_clear(&error);
    if (gateway_upstream_call(gw->upstream, "intake", "ItemGet", NULL, principal, &request.base, &reply, &error)
        != SF_OK) {
        if (error.status == SF_INVALID_ARGUMENT) {
            /* A code shaped wrongly names no service either. */
            gateway_error_clear(&error);
            gateway_error_set(&error, SF_NOT_FOUND, "service_code: no such service");
        }
        gateway_open311_error(exchange, format, &error);
        return;
    }
    const Sifang__V1__ServiceItem *item = (const Sifang__V1__ServiceItem *) reply;
    cJSON *definition = cJSON_CreateObject();
    cJSON_AddStringToObject(definition, "service_code", item->code);
    gateway_open311_item_attributes(item, cJSON_AddArrayToObject(definition, "attributes"));
    protobuf_c_message_free_unpacked(reply, NULL);
    gateway_open311_reply(exchange, format, 200, definition, "service_definition", NULL);
}

/* --- discovery ------------------------------------------------------------------------------ */

static void
latest_change(const Sifang__V1__ServiceItem *item, void *latest)
{
    if (item->updated_unix_ms > *(int64_t *) latest)
        *(int64_t *) latest = item->updated_unix_ms;
}

/* The discovery document: this endpoint, its formats and specification.
 * Its changeset is the catalogue's latest change, so that a client knows
 * when to read the services and their definitions again. */
static void
serve_discovery(gateway_t *gw, gateway_exchange_t *exchange, open311_format_t format,
                const gateway_principal_t *principal)
{
    int64_t changed = 0;
    gateway_error_t error;
    gateway_error_clear(&error);
    if (!catalogue_each(gw, principal, &error, latest_change, &changed)) {
        gateway_open311_error(exchange, format, &error);
        return;
    }
    const char *host = gateway_exchange_header(exchange, "Host");
    char url[512];
    sf_text_format(url, sizeof url, "%s://%s/open311/v2", gateway_exchange_tls(exchange) ? "https" : "http",
                   host && *host && !strpbrk(host, " /\\\"<>") ? host : "localhost");
    cJSON *discovery = cJSON_CreateObject();
    gateway_open311_add_time(discovery, "changeset", changed ? changed : 1);
    char contact[256];
    sf_text_format(contact, sizeof contact, "the district's operators of jurisdiction %s", gw->jurisdiction_id);
    cJSON_AddStringToObject(discovery, "contact", contact);
    cJSON_AddStringToObject(discovery, "key_service",
                            "API keys for submitting are issued by the district's operators (sifang-gateway-keys)");
    cJSON *endpoints = cJSON_AddArrayToObject(discovery, "endpoints");
    cJSON *endpoint = cJSON_CreateObject();
    cJSON_AddStringToObject(endpoint, "specification", SPECIFICATION);
    cJSON_AddStringToObject(endpoint, "url", url);
    gateway_open311_add_time(endpoint, "changeset", changed ? changed : 1);
    cJSON_AddStringToObject(endpoint, "type", "production");
    cJSON *formats = cJSON_AddArrayToObject(endpoint, "formats");
    cJSON_AddItemToArray(formats, cJSON_CreateString("text/xml"));
    cJSON_AddItemToArray(formats, cJSON_CreateString("application/json"));
    cJSON_AddItemToArray(endpoints, endpoint);
    gateway_open311_reply(exchange, format, 200, discovery, "discovery", NULL);
}

/* --- dispatch ----------------------------------------------------------------------------------- */

/* path less prefix, when it is "<leaf>.json" or "<leaf>.xml" with leaf one
 * non-empty segment: leaf into out and the format. */
static bool
resource(const char *path, const char *prefix, char *out, size_t size, open311_format_t *format)
{
    size_t prefix_length = strlen(prefix);
    if (strncmp(path, prefix, prefix_length) != 0)
        return false;
    const char *leaf = path + prefix_length;
    const char *dot = strrchr(leaf, '.');
    if (!dot || dot == leaf || memchr(leaf, '/', (size_t) (dot - leaf)) || (size_t) (dot - leaf) >= size)
        return false;
    if (strcmp(dot, ".json") == 0)
        *format = OPEN311_JSON;
    else if (strcmp(dot, ".xml") == 0)
        *format = OPEN311_XML;
    else
        return false;
    snprintf(out, size, "%.*s", (int) (dot - leaf), leaf);
    return true;
}

bool
gateway_open311_serve(gateway_t *gw, gateway_exchange_t *exchange, const char *method, const char *path)
{
    if (strncmp(path, "/open311/", 9) != 0)
        return false;
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0;
    char leaf[256];
    open311_format_t format = strstr(path, ".xml") ? OPEN311_XML : OPEN311_JSON;
    enum { SERVICES, SERVICE, REQUESTS, REQUEST, TOKEN, DISCOVERY_DOCUMENT, NONE } what = NONE;
    if (resource(path, PREFIX, leaf, sizeof leaf, &format) && strcmp(leaf, "services") == 0)
        what = SERVICES;
    else if (resource(path, PREFIX, leaf, sizeof leaf, &format) && strcmp(leaf, "requests") == 0)
        what = REQUESTS;
    else if (resource(path, PREFIX "services/", leaf, sizeof leaf, &format))
        what = SERVICE;
    else if (resource(path, PREFIX "requests/", leaf, sizeof leaf, &format))
        what = REQUEST;
    else if (resource(path, PREFIX "tokens/", leaf, sizeof leaf, &format))
        what = TOKEN;
    else if (resource(path, "/open311/", leaf, sizeof leaf, &format) && strcmp(leaf, "discovery") == 0)
        what = DISCOVERY_DOCUMENT;
    /* The metrics' names: the route table's paths. */
    static const char *const names[] = { "GET /open311/v2/services.{format}",
                                         "GET /open311/v2/services/{service_code}.{format}",
                                         "/open311/v2/requests.{format}",
                                         "GET /open311/v2/requests/{service_request_id}.{format}",
                                         "GET /open311/v2/tokens/{token}.{format}",
                                         "GET /open311/discovery.{format}", "(open311)" };
    if (what == REQUESTS)
        gateway_exchange_name(exchange, post ? "POST /open311/v2/requests.{format}"
                                             : "GET /open311/v2/requests.{format}");
    else
        gateway_exchange_name(exchange, names[what]);
    if (what == NONE) {
        gateway_metrics_refused(gw->metrics, "not_found");
        gateway_open311_fail(exchange, format, SF_NOT_FOUND,
                             "no such Open311 resource (services, services/{service_code}, requests, "
                             "requests/{service_request_id}, tokens/{token}, each .json or .xml; discovery.json, "
                             "discovery.xml)");
        return true;
    }
    gateway_error_t error;
    gateway_error_clear(&error);
    if (!(get || (post && what == REQUESTS))) {
        gateway_error_set(&error, SF_UNIMPLEMENTED, "%s is not allowed here (%s)", method,
                          what == REQUESTS ? "GET, POST" : "GET");
        error.http = 405;
        gateway_open311_error(exchange, format, &error);
        return true;
    }
    if (gateway_exchange_too_large(exchange)) {
        gateway_error_set(&error, SF_RESOURCE_EXHAUSTED, "the request body exceeds the limit of %zu bytes",
                          gw->max_body);
        error.http = 413;
        gateway_open311_error(exchange, format, &error);
        return true;
    }
    size_t body_size = 0;
    const char *body = gateway_exchange_body(exchange, &body_size);
    open311_form_t form;
    memset(&form, 0, sizeof form);
    if (post && !gateway_open311_form_parse(&form, body, body_size)) {
        char why[192];
        if (form.nul_field)
            sf_text_format(why, sizeof why, "%s: " SF_JSON_NUL_REFUSED, form.nul_field);
        else
            snprintf(why, sizeof why, "the body must be application/x-www-form-urlencoded");
        gateway_open311_form_release(&form);
        gateway_open311_fail(exchange, format, SF_INVALID_ARGUMENT, why);
        return true;
    }
    /* A submission's fields may come in its body or its query string:
     * a jurisdiction_id in either must be this one. */
    const char *jurisdiction = post ? gateway_open311_form_get(&form, "jurisdiction_id") : NULL;
    if (!jurisdiction || (*jurisdiction && strcmp(jurisdiction, gw->jurisdiction_id) == 0))
        jurisdiction = gateway_exchange_argument(exchange, "jurisdiction_id");
    if (jurisdiction && *jurisdiction && strcmp(jurisdiction, gw->jurisdiction_id) != 0) {
        gateway_open311_form_release(&form);
        gateway_open311_fail(exchange, format, SF_NOT_FOUND, "jurisdiction_id: unknown jurisdiction_id");
        return true;
    }
    const char *api_key = post ? gateway_open311_form_get(&form, "api_key") : NULL;
    if (!api_key)
        api_key = gateway_exchange_argument(exchange, "api_key");
    gateway_principal_t principal;
    if (!open311_principal(gw, exchange, format, post, api_key, &principal)) {
        gateway_open311_form_release(&form);
        return true;
    }
    switch (what) {
    case SERVICES: serve_services(gw, exchange, format, &principal); break;
    case SERVICE: serve_service_definition(gw, exchange, format, &principal, leaf); break;
    case REQUESTS:
        if (post)
            gateway_open311_submit(gw, exchange, format, &principal, &form);
        else
            gateway_open311_requests(gw, exchange, format);
        break;
    case REQUEST: gateway_open311_request(gw, exchange, format, leaf, false); break;
    case TOKEN: gateway_open311_request(gw, exchange, format, leaf, true); break;
    case DISCOVERY_DOCUMENT: serve_discovery(gw, exchange, format, &principal); break;
    default: break;
    }
    gateway_open311_form_release(&form);
    return true;
}
