/* Unit tests of the gateway's pure parts: path templates, route lookup (404
 * and 405), building request messages from path, query and body (and every
 * kind of bad input refused with its field), the route table against the
 * services' contracts, the OpenAPI document kept in the repository against
 * the route table, token buckets, and the API key format. */
#include "gateway_error.h"
#include "gateway_keys.h"
#include "gateway_openapi.h"
#include "gateway_ratelimit.h"
#include "gateway_routes.h"
#include "sf_registry.h"
#include "sf_test.h"
#include "sifang/v1/grid.pb-c.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const gateway_route_t *
find(const char *method, const char *path, gateway_match_t *match)
{
    return gateway_route_find(method, path, match, NULL, NULL, 0);
}

static void
test_paths(void)
{
    gateway_match_t match;
    SF_CHECK(gateway_path_match("/v1/grid/zones/{code}", "/v1/grid/zones/37020500100101", &match));
    SF_CHECK_EQ_INT(match.n, 1);
    SF_CHECK_EQ_STR(match.values[0], "37020500100101");
    SF_CHECK(gateway_path_match("/v1/grid/units", "/v1/grid/units/", NULL));
    SF_CHECK(!gateway_path_match("/v1/grid/units", "/v1/grid/units//", NULL));
    SF_CHECK(!gateway_path_match("/v1/grid/zones/{code}", "/v1/grid/zones/", NULL));
    SF_CHECK(!gateway_path_match("/v1/grid/zones/{code}", "/v1/grid/zones/a/b", NULL));
    SF_CHECK(!gateway_path_match("/v1/grid/zones/{code}", "/v1/grid/zone/1", NULL));
    SF_CHECK(!gateway_path_match("/v1/grid/units", "/v1/grid/unitsx", NULL));
    SF_CHECK(!gateway_path_match("/v1/grid/units", "", NULL));
    char long_value[400];
    memset(long_value, 'a', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = 0;
    char path[512];
    snprintf(path, sizeof path, "/v1/grid/zones/%s", long_value);
    SF_CHECK(!gateway_path_match("/v1/grid/zones/{code}", path, NULL));

    const gateway_route_t *route = find("GET", "/v1/grid/units/370205001", &match);
    SF_CHECK(route && strcmp(route->rpc, "UnitGet") == 0);
    route = find("PATCH", "/v1/grid/units/370205001", &match);
    SF_CHECK(route && strcmp(route->rpc, "UnitUpdate") == 0);
    route = find("GET", "/v1/grid/households/370205001001011001/responsible", &match);
    SF_CHECK(route && strcmp(route->rpc, "ResponsibleFor") == 0);
    bool known = false;
    char allowed[64];
    SF_CHECK(gateway_route_find("PUT", "/v1/grid/units", &match, &known, allowed, sizeof allowed) == NULL);
    SF_CHECK(known);
    SF_CHECK(strstr(allowed, "GET") && strstr(allowed, "POST"));
    SF_CHECK(gateway_route_find("GET", "/v1/grid/nothing", &match, &known, allowed, sizeof allowed) == NULL);
    SF_CHECK(!known);
}

/* Builds the request of method path with query and body; NULL on refusal. */
static ProtobufCMessage *
build(const char *method, const char *path, const gateway_param_t *query, size_t n_query, const char *body,
      gateway_error_t *error)
{
    gateway_error_clear(error);
    gateway_match_t match;
    const gateway_route_t *route = find(method, path, &match);
    if (!SF_CHECK(route != NULL))
        return NULL;
    const ProtobufCMethodDescriptor *rpc = gateway_route_rpc(route);
    return gateway_route_request(route, rpc->input, &match, query, n_query, body, body ? strlen(body) : 0, error);
}

static bool
refused_on(const char *method, const char *path, const gateway_param_t *query, size_t n_query, const char *body,
           const char *field, int line)
{
    gateway_error_t error;
    ProtobufCMessage *message = build(method, path, query, n_query, body, &error);
    if (message) {
        protobuf_c_message_free_unpacked(message, NULL);
        return SF_FAIL("line %d: accepted", line);
    }
    if (error.status != SF_INVALID_ARGUMENT)
        return SF_FAIL("line %d: status %s (%s)", line, sf_status_name(error.status), error.message);
    for (size_t i = 0; i < error.n_violations; i++)
        if (strcmp(error.fields[i], field) == 0)
            return SF_CHECK(true);
    return SF_FAIL("line %d: no violation on %s (first: %s: %s)", line, field,
                   error.n_violations ? error.fields[0] : "none", error.n_violations ? error.descriptions[0] : "");
}
#define REFUSED(method, path, query, n, body, field) refused_on(method, path, query, n, body, field, __LINE__)

static void
test_requests(void)
{
    gateway_error_t error;
    /* Path, then body. */
    Sifang__V1__UnitUpdateRequest *update = (Sifang__V1__UnitUpdateRequest *) build(
        "PATCH", "/v1/grid/units/370205001", NULL, 0, "{\"name\": \"Street One\", \"expected_version\": \"3\"}",
        &error);
    if (SF_CHECK(update != NULL)) {
        SF_CHECK_EQ_STR(update->code, "370205001");
        SF_CHECK_EQ_STR(update->name, "Street One");
        SF_CHECK_EQ_INT(update->expected_version, 3);
        protobuf_c_message_free_unpacked(&update->base, NULL);
    }
    /* The same value in path and body is fine; another is not. */
    update = (Sifang__V1__UnitUpdateRequest *) build("PATCH", "/v1/grid/units/370205001", NULL, 0,
                                                      "{\"code\": \"370205001\"}", &error);
    SF_CHECK(update != NULL);
    if (update)
        protobuf_c_message_free_unpacked(&update->base, NULL);
    REFUSED("PATCH", "/v1/grid/units/370205001", NULL, 0, "{\"code\": \"370205002\"}", "code");

    /* Query: enums by name, nested fields by their short names, repeated. */
    gateway_param_t query[] = { { "under", "370205" }, { "kind", "UNIT_KIND_ZONE" }, { "page_size", "5" },
                                { "page_token", "abc" } };
    Sifang__V1__UnitListRequest *list = (Sifang__V1__UnitListRequest *) build("GET", "/v1/grid/units", query, 4,
                                                                              NULL, &error);
    if (SF_CHECK(list != NULL)) {
        SF_CHECK_EQ_STR(list->under, "370205");
        SF_CHECK_EQ_INT(list->kind, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE);
        SF_CHECK(list->page && list->page->page_size == 5);
        SF_CHECK_EQ_STR(list->page ? list->page->page_token : NULL, "abc");
        protobuf_c_message_free_unpacked(&list->base, NULL);
    }
    gateway_param_t residents[] = { { "party_members_only", "true" }, { "under", "370205001" } };
    Sifang__V1__ResidentListRequest *resident_list = (Sifang__V1__ResidentListRequest *) build(
        "GET", "/v1/grid/residents", residents, 2, NULL, &error);
    if (SF_CHECK(resident_list != NULL)) {
        SF_CHECK(resident_list->party_members_only);
        protobuf_c_message_free_unpacked(&resident_list->base, NULL);
    }
    /* DELETE with the message in the query. */
    gateway_param_t removal[] = { { "staff_id", "S00001" }, { "unit_code", "37020500100101" },
                                  { "kind", "RESPONSIBILITY_KIND_ZONE_CADRE" } };
    Sifang__V1__Responsibility *responsibility = (Sifang__V1__Responsibility *) build(
        "DELETE", "/v1/grid/responsibilities", removal, 3, NULL, &error);
    if (SF_CHECK(responsibility != NULL)) {
        SF_CHECK_EQ_STR(responsibility->staff_id, "S00001");
        SF_CHECK_EQ_INT(responsibility->kind, SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_CADRE);
        protobuf_c_message_free_unpacked(&responsibility->base, NULL);
    }
    /* An empty body is the empty message. */
    ProtobufCMessage *empty = build("POST", "/v1/grid/units", NULL, 0, "  \r\n", &error);
    SF_CHECK(empty != NULL);
    if (empty)
        protobuf_c_message_free_unpacked(empty, NULL);

    /* Bad input, each refused with its field. */
    REFUSED("POST", "/v1/grid/units", NULL, 0, "{\"code\": ", "body");
    REFUSED("POST", "/v1/grid/units", NULL, 0, "{\"code\": \"1\"} trailing", "body");
    REFUSED("POST", "/v1/grid/units", NULL, 0, "[1, 2]", "body");
    REFUSED("POST", "/v1/grid/units", NULL, 0, "\"text\"", "body");
    REFUSED("POST", "/v1/grid/units", NULL, 0, "{\"code\": 370205}", "code");
    REFUSED("POST", "/v1/grid/units", NULL, 0, "{\"kind\": \"UNIT_KIND_PLANET\"}", "kind");
    REFUSED("POST", "/v1/grid/units", NULL, 0, "{\"location\": {\"lat\": \"north\"}}", "location.lat");
    REFUSED("POST", "/v1/grid/units", NULL, 0, "{\"colour\": \"red\"}", "colour");
    REFUSED("POST", "/v1/grid/units", NULL, 0, "{\"name\": \"\xff\xfe\"}", "name");
    REFUSED("POST", "/v1/grid/units", NULL, 0, "{\"version\": 1.5}", "version");
    REFUSED("POST", "/v1/grid/units", NULL, 0, "{\"version\": 99999999999999999999999}", "version");
    REFUSED("GET", "/v1/grid/units/1", NULL, 0, "{}", "body");
    gateway_param_t unknown[] = { { "colour", "red" } };
    REFUSED("GET", "/v1/grid/units", unknown, 1, NULL, "colour");
    gateway_param_t bad_enum[] = { { "kind", "UNIT_KIND_PLANET" } };
    REFUSED("GET", "/v1/grid/units", bad_enum, 1, NULL, "kind");
    gateway_param_t bad_number[] = { { "page_size", "many" } };
    REFUSED("GET", "/v1/grid/units", bad_number, 1, NULL, "page.page_size");
    gateway_param_t bad_bool[] = { { "party_members_only", "perhaps" } };
    REFUSED("GET", "/v1/grid/residents", bad_bool, 1, NULL, "party_members_only");
    gateway_param_t twice[] = { { "under", "370205001" }, { "under", "370205002" } };
    REFUSED("GET", "/v1/grid/units", twice, 2, NULL, "under");
    /* Nesting far deeper than any message: refused, not a crash. */
    size_t depth = 5000;
    char *deep = malloc(depth * 2 + 32);
    if (deep) {
        char *at = deep;
        at += sprintf(at, "{\"location\": ");
        for (size_t i = 0; i < depth; i++)
            *at++ = '[';
        for (size_t i = 0; i < depth; i++)
            *at++ = ']';
        sprintf(at, "}");
        REFUSED("POST", "/v1/grid/units", NULL, 0, deep, "body");
        free(deep);
    }
}

/* Every route names an rpc its service has, and every field its path and
 * query fill exists; no two routes share a method and path; a service with
 * routes has a route for every rpc. */
static void
test_route_table(void)
{
    for (const gateway_route_t *route = gateway_routes; route->method; route++) {
        const ProtobufCMethodDescriptor *rpc = gateway_route_rpc(route);
        if (!rpc) {
            SF_FAIL("%s %s: %s has no rpc %s", route->method, route->path, route->service, route->rpc);
            continue;
        }
        for (const char *open = strchr(route->path, '{'); open; open = strchr(open + 1, '{')) {
            const char *close = strchr(open, '}');
            if (!close || !gateway_field_at(rpc->input, open + 1, (size_t) (close - open - 1)))
                SF_FAIL("%s %s: no field %.*s in %s", route->method, route->path,
                        close ? (int) (close - open - 1) : 0, open + 1, rpc->input->name);
        }
        char name[128], field[128];
        for (size_t n = 0; gateway_route_query_at(route, rpc->input, n, name, sizeof name, field, sizeof field); n++)
            if (!gateway_field_at(rpc->input, field, strlen(field)))
                SF_FAIL("%s %s: query %s fills no field %s of %s", route->method, route->path, name, field,
                        rpc->input->name);
        if (route->body && strcmp(route->body, "*") != 0 && !gateway_field_at(rpc->input, route->body, strlen(route->body)))
            SF_FAIL("%s %s: body field %s missing", route->method, route->path, route->body);
        for (const gateway_route_t *other = gateway_routes; other < route; other++)
            if (strcmp(other->method, route->method) == 0 && strcmp(other->path, route->path) == 0)
                SF_FAIL("%s %s is routed twice", route->method, route->path);
    }
    for (int s = 0; sf_registry_names[s]; s++) {
        const char *service = sf_registry_names[s];
        bool routed = false;
        for (const gateway_route_t *route = gateway_routes; route->method; route++)
            routed = routed || strcmp(route->service, service) == 0;
        if (!routed)
            continue;
        const ProtobufCServiceDescriptor *descriptor = sf_registry_service(service);
        for (unsigned m = 0; m < descriptor->n_methods; m++) {
            bool found = false;
            for (const gateway_route_t *route = gateway_routes; route->method && !found; route++)
                found = strcmp(route->service, service) == 0 && strcmp(route->rpc, descriptor->methods[m].name) == 0;
            if (!found)
                SF_FAIL("%s.%s has no route", service, descriptor->methods[m].name);
        }
    }
}

/* --- the OpenAPI document --------------------------------------------------------- */

static cJSON *
load_document(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/services/gateway/openapi.json", sf_test_source_dir());
    FILE *file = fopen(path, "rb");
    if (!file) {
        SF_FAIL("cannot read %s", path);
        return NULL;
    }
    static char text[4 << 20];
    size_t size = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[size] = 0;
    cJSON *document = cJSON_ParseWithLength(text, size);
    if (!document)
        SF_FAIL("%s is not JSON", path);
    return document;
}

static const char *
ref_name(const cJSON *schema)
{
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(schema, "$ref");
    const char *prefix = "#/components/schemas/";
    if (!cJSON_IsString(ref) || strncmp(ref->valuestring, prefix, strlen(prefix)) != 0)
        return NULL;
    return ref->valuestring + strlen(prefix);
}

static const cJSON *
media_schema(const cJSON *holder)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(holder, "content");
    const cJSON *media = cJSON_GetObjectItemCaseSensitive(content, "application/json");
    return cJSON_GetObjectItemCaseSensitive(media, "schema");
}

/* The message's schema in the document lists exactly its fields. */
static void
check_message_schema(const cJSON *schemas, const ProtobufCMessageDescriptor *message, const char *where)
{
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(schemas, message->name);
    const cJSON *properties = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    if (!properties) {
        SF_FAIL("%s: no schema for %s", where, message->name);
        return;
    }
    size_t n_properties = (size_t) cJSON_GetArraySize(properties);
    if (n_properties != message->n_fields)
        SF_FAIL("%s: schema %s has %zu properties, the message %u fields", where, message->name, n_properties,
                message->n_fields);
    for (unsigned i = 0; i < message->n_fields; i++)
        if (!cJSON_GetObjectItemCaseSensitive(properties, message->fields[i].name))
            SF_FAIL("%s: schema %s lacks field %s", where, message->name, message->fields[i].name);
}

static void
test_openapi(void)
{
    cJSON *document = load_document();
    if (!document)
        return;
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(document, "paths");
    const cJSON *schemas = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(document, "components"), "schemas");
    SF_CHECK_EQ_STR(cJSON_GetObjectItemCaseSensitive(document, "openapi")->valuestring, "3.0.3");
    /* Every route is documented, calling its rpc with its messages. */
    size_t n_routes = 0;
    for (const gateway_route_t *route = gateway_routes; route->method; route++, n_routes++) {
        char method[16], where[256], operation_id[128];
        snprintf(method, sizeof method, "%s", route->method);
        for (char *c = method; *c; c++)
            *c = (char) (*c - 'A' + 'a');
        snprintf(where, sizeof where, "%s %s", route->method, route->path);
        const cJSON *operation = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(paths, route->path),
                                                                  method);
        if (!operation) {
            SF_FAIL("%s is not documented in openapi.json", where);
            continue;
        }
        gateway_openapi_operation_id(route, operation_id, sizeof operation_id);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(operation, "operationId");
        if (!cJSON_IsString(id) || strcmp(id->valuestring, operation_id) != 0)
            SF_FAIL("%s: operationId is not %s", where, operation_id);
        /* The rpc's name, and no other route's id (a second route to an
         * rpc adds its path variable). */
        if (strncmp(operation_id, route->service, strlen(route->service)) != 0
            || strncmp(operation_id + strlen(route->service) + 1, route->rpc, strlen(route->rpc)) != 0)
            SF_FAIL("%s: operationId %s does not name %s.%s", where, operation_id, route->service, route->rpc);
        for (const gateway_route_t *other = gateway_routes; other != route; other++) {
            char other_id[128];
            gateway_openapi_operation_id(other, other_id, sizeof other_id);
            if (strcmp(other_id, operation_id) == 0)
                SF_FAIL("%s: operationId %s is also %s %s's", where, operation_id, other->method, other->path);
        }
        const ProtobufCMethodDescriptor *rpc = gateway_route_rpc(route);
        if (!rpc)
            continue;
        char code[8];
        snprintf(code, sizeof code, "%d", route->success);
        const cJSON *success = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(operation, "responses"),
                                                                code);
        const char *reply = ref_name(media_schema(success));
        if (!reply || strcmp(reply, rpc->output->name) != 0)
            SF_FAIL("%s: the %s reply is not %s", where, code, rpc->output->name);
        else
            check_message_schema(schemas, rpc->output, where);
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(operation, "requestBody");
        if (route->body && strcmp(route->body, "*") == 0) {
            const char *input = ref_name(media_schema(body));
            if (!input || strcmp(input, rpc->input->name) != 0)
                SF_FAIL("%s: the request body is not %s", where, rpc->input->name);
            else
                check_message_schema(schemas, rpc->input, where);
        } else if (!route->body && body)
            SF_FAIL("%s: documents a body the route does not take", where);
        /* Its query parameters are the route's. */
        size_t n_documented = 0;
        const cJSON *parameter;
        cJSON_ArrayForEach(parameter, cJSON_GetObjectItemCaseSensitive(operation, "parameters")) {
            const cJSON *in = cJSON_GetObjectItemCaseSensitive(parameter, "in");
            n_documented += cJSON_IsString(in) && strcmp(in->valuestring, "query") == 0;
        }
        size_t n_query = 0;
        char name[128], field[128];
        while (gateway_route_query_at(route, rpc->input, n_query, name, sizeof name, field, sizeof field))
            n_query++;
        if (n_query != n_documented)
            SF_FAIL("%s: %zu query parameters documented, %zu routed", where, n_documented, n_query);
    }
    /* Every documented operation is routed. */
    const cJSON *item;
    cJSON_ArrayForEach(item, paths) {
        const cJSON *operation;
        cJSON_ArrayForEach(operation, item) {
            char method[16];
            snprintf(method, sizeof method, "%s", operation->string);
            for (char *c = method; *c; c++)
                *c = (char) (*c - 'a' + 'A');
            bool routed = false;
            for (const gateway_route_t *route = gateway_routes; route->method && !routed; route++)
                routed = strcmp(route->method, method) == 0 && strcmp(route->path, item->string) == 0;
            for (const gateway_fixed_route_t *route = gateway_fixed_routes; route->method && !routed; route++)
                routed = strcmp(route->method, method) == 0 && strcmp(route->path, item->string) == 0;
            if (!routed)
                SF_FAIL("openapi.json documents %s %s, which is not routed", method, item->string);
        }
    }
    /* And the document is the one the route table makes now. */
    cJSON *generated = gateway_openapi_document();
    if (!cJSON_Compare(document, generated, true))
        SF_FAIL("services/gateway/openapi.json is out of date: regenerate it with "
                "<build>/services/gateway/sifang-gateway-openapi > services/gateway/openapi.json");
    cJSON_Delete(generated);
    cJSON_Delete(document);
    SF_CHECK(n_routes > 30);
}

/* --- buckets, keys, errors ---------------------------------------------------------- */

static void
test_buckets(void)
{
    gateway_bucket_t bucket = { 0, 0 };
    /* Burst 3 at 2/s: three at once, then a token every 500 ms. */
    SF_CHECK_EQ_INT(gateway_bucket_take(&bucket, 2, 3, 1000), 0);
    SF_CHECK_EQ_INT(gateway_bucket_take(&bucket, 2, 3, 1000), 0);
    SF_CHECK_EQ_INT(gateway_bucket_take(&bucket, 2, 3, 1000), 0);
    int64_t wait = gateway_bucket_take(&bucket, 2, 3, 1000);
    SF_CHECK(wait > 0 && wait <= 500);
    SF_CHECK_EQ_INT(gateway_retry_after_s(wait), 1);
    SF_CHECK_EQ_INT(gateway_bucket_take(&bucket, 2, 3, 1500), 0);
    SF_CHECK(gateway_bucket_take(&bucket, 2, 3, 1600) > 0);
    /* Never more than the burst, however long the pause. */
    for (int i = 0; i < 3; i++)
        SF_CHECK_EQ_INT(gateway_bucket_take(&bucket, 2, 3, 100000), 0);
    SF_CHECK(gateway_bucket_take(&bucket, 2, 3, 100000) > 0);
    SF_CHECK_EQ_INT(gateway_retry_after_s(2500), 3);

    static gateway_address_limits_t limits;
    gateway_address_limits_init(&limits, 1, 2);
    SF_CHECK_EQ_INT(gateway_address_limits_take(&limits, "127.0.0.1", 0 + 1), 0);
    SF_CHECK_EQ_INT(gateway_address_limits_take(&limits, "127.0.0.1", 0 + 1), 0);
    SF_CHECK(gateway_address_limits_take(&limits, "127.0.0.1", 0 + 1) > 0);
    SF_CHECK_EQ_INT(gateway_address_limits_take(&limits, "127.0.0.2", 0 + 1), 0);
    gateway_address_limits_release(&limits);
}

static void
test_keys(void)
{
    char text[GATEWAY_KEY_TEXT_MAX], id[GATEWAY_KEY_ID_LENGTH + 1], parsed_id[GATEWAY_KEY_ID_LENGTH + 1];
    uint8_t hash[GATEWAY_KEY_HASH_SIZE], parsed[GATEWAY_KEY_HASH_SIZE];
    SF_CHECK_EQ_INT(gateway_key_generate(text, id, hash), 0);
    SF_CHECK(strncmp(text, "sfk_", 4) == 0);
    SF_CHECK_EQ_INT(gateway_key_parse(text, parsed_id, parsed), 0);
    SF_CHECK_EQ_STR(parsed_id, id);
    SF_CHECK(memcmp(hash, parsed, sizeof hash) == 0);
    char other[GATEWAY_KEY_TEXT_MAX], other_id[GATEWAY_KEY_ID_LENGTH + 1];
    uint8_t other_hash[GATEWAY_KEY_HASH_SIZE];
    gateway_key_generate(other, other_id, other_hash);
    SF_CHECK(strcmp(other, text) != 0 && memcmp(other_hash, hash, sizeof hash) != 0);
    /* A changed secret hashes differently. */
    text[strlen(text) - 1] = text[strlen(text) - 1] == 'A' ? 'B' : 'A';
    SF_CHECK_EQ_INT(gateway_key_parse(text, parsed_id, parsed), 0);
    SF_CHECK(memcmp(hash, parsed, sizeof hash) != 0);
    const char *malformed[] = { "", "sfk_", "Bearer x", "sfk_zzzzzzzzzzzz_abc", "sfk_0123456789ab-abc",
                                "sfk_0123456789ab_a b", "xyz_0123456789ab_abc", NULL };
    for (int i = 0; malformed[i]; i++)
        SF_CHECK_EQ_INT(gateway_key_parse(malformed[i], parsed_id, parsed), -1);
    char long_key[200];
    memset(long_key, 'a', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = 0;
    memcpy(long_key, "sfk_0123456789ab_", 17);
    SF_CHECK_EQ_INT(gateway_key_parse(long_key, parsed_id, parsed), -1);

    Sifang__Gateway__V1__ApiKey key = SIFANG__GATEWAY__V1__API_KEY__INIT;
    char field[64], error[256];
    key.principal_id = "dept-civil-affairs";
    key.role = "department";
    key.scope = "";
    SF_CHECK_EQ_INT(gateway_key_check(&key, field, sizeof field, error, sizeof error), 0);
    SF_CHECK(key.rate_per_second == GATEWAY_KEY_DEFAULT_RATE && key.burst == GATEWAY_KEY_DEFAULT_BURST);
    key.role = "emperor";
    SF_CHECK_EQ_INT(gateway_key_check(&key, field, sizeof field, error, sizeof error), -1);
    SF_CHECK_EQ_STR(field, "role");
    key.role = "viewer";
    key.principal_id = "has space";
    SF_CHECK_EQ_INT(gateway_key_check(&key, field, sizeof field, error, sizeof error), -1);
    SF_CHECK_EQ_STR(field, "principal_id");
    key.principal_id = "ok";
    key.rate_per_second = -1;
    SF_CHECK_EQ_INT(gateway_key_check(&key, field, sizeof field, error, sizeof error), -1);
    SF_CHECK_EQ_STR(field, "rate_per_second");
}

static void
test_errors(void)
{
    gateway_error_t error;
    gateway_error_clear(&error);
    gateway_error_violation(&error, "code", "required");
    gateway_error_violation(&error, "name", "too long");
    SF_CHECK_EQ_INT(gateway_error_http(&error), 400);
    cJSON *json = gateway_error_json(&error);
    char *text = cJSON_PrintUnformatted(json);
    SF_CHECK_EQ_STR(text, "{\"error\":{\"status\":\"INVALID_ARGUMENT\",\"message\":\"code: required\",\"violations\":"
                          "[{\"field\":\"code\",\"description\":\"required\"},{\"field\":\"name\",\"description\":"
                          "\"too long\"}]}}");
    free(text);
    cJSON_Delete(json);
    gateway_error_clear(&error);
    gateway_error_set(&error, SF_NOT_FOUND, "zone %s not found", "1");
    SF_CHECK_EQ_INT(gateway_error_http(&error), 404);
    gateway_error_clear(&error);
    gateway_error_set(&error, SF_UNAVAILABLE, "down");
    SF_CHECK_EQ_INT(gateway_error_http(&error), 503);
    error.http = 413;
    SF_CHECK_EQ_INT(gateway_error_http(&error), 413);
}

/* Idempotency keys are per API key or per person, never shared: a person's
 * are theirs by login, not by the staff record two accounts may serve. */
static void
test_idempotency_namespaces(void)
{
    gateway_principal_t key, person, other, anonymous;
    memset(&key, 0, sizeof key);
    memset(&person, 0, sizeof person);
    memset(&anonymous, 0, sizeof anonymous);
    snprintf(key.key_id, sizeof key.key_id, "0123456789ab");
    snprintf(key.id, sizeof key.id, "dept-civil-affairs");
    snprintf(person.id, sizeof person.id, "S00042");
    snprintf(person.account, sizeof person.account, "zhang.wei");
    other = person;
    snprintf(other.account, sizeof other.account, "zhang.wei2");
    char a[48], b[48];
    SF_CHECK_EQ_STR(gateway_principal_namespace(&key, a, sizeof a), "0123456789ab");
    SF_CHECK_EQ_STR(gateway_principal_namespace(&person, a, sizeof a), "p-zhang.wei");
    SF_CHECK(strcmp(gateway_principal_namespace(&person, a, sizeof a),
                    gateway_principal_namespace(&other, b, sizeof b)) != 0);
    SF_CHECK_EQ_STR(gateway_principal_namespace(&anonymous, a, sizeof a), "anonymous");
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_paths();
    test_requests();
    test_route_table();
    test_openapi();
    test_buckets();
    test_keys();
    test_errors();
    test_idempotency_namespaces();
    return sf_test_done();
}
