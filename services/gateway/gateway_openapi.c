/* The OpenAPI 3 document of the gateway, made from the route table and the
 * protobuf descriptors of the rpcs it calls: one operation per route, its
 * path and query parameters typed as the fields they fill, request and
 * response bodies as schemas of the messages' JSON mapping (sf_json.h).
 * sifang-gateway-openapi prints it into services/gateway/openapi.json, and
 * gateway_openapi_test checks the kept document against the routes. */
#include "gateway_openapi.h"
#include "gateway_routes.h"
#include "gateway_open311.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_PREFIX "#/components/schemas/"

static cJSON *schema_for_field(cJSON *schemas, const ProtobufCFieldDescriptor *field);

static cJSON *
ref_to(const char *name)
{
    char ref[256];
    snprintf(ref, sizeof ref, SCHEMA_PREFIX "%s", name);
    cJSON *schema = cJSON_CreateObject();
    cJSON_AddStringToObject(schema, "$ref", ref);
    return schema;
}

/* Adds the message's schema (and those it refers to) to schemas once;
 * returns a $ref to it. */
static cJSON *
message_schema(cJSON *schemas, const ProtobufCMessageDescriptor *message)
{
    if (!cJSON_GetObjectItemCaseSensitive(schemas, message->name)) {
        cJSON *schema = cJSON_CreateObject();
        /* Placed first so that a message referring to itself ends. */
        cJSON_AddItemToObject(schemas, message->name, schema);
        cJSON_AddStringToObject(schema, "type", "object");
        cJSON_AddStringToObject(schema, "description", "The JSON mapping of protobuf message "
                                                       "(proto field names; see common/sf_json.h).");
        cJSON *properties = cJSON_AddObjectToObject(schema, "properties");
        for (unsigned i = 0; i < message->n_fields; i++)
            cJSON_AddItemToObject(properties, message->fields[i].name, schema_for_field(schemas, &message->fields[i]));
        cJSON_AddFalseToObject(schema, "additionalProperties");
        cJSON_AddStringToObject(schema, "x-protobuf-message", message->name);
    }
    return ref_to(message->name);
}

static cJSON *
scalar_schema(cJSON *schemas, const ProtobufCFieldDescriptor *field)
{
    cJSON *schema = cJSON_CreateObject();
    switch (field->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        cJSON_AddStringToObject(schema, "type", "integer");
        cJSON_AddStringToObject(schema, "format", "int32");
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        cJSON_AddStringToObject(schema, "type", "integer");
        cJSON_AddStringToObject(schema, "format", "int64");
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        cJSON_AddStringToObject(schema, "type", "number");
        cJSON_AddStringToObject(schema, "format", "float");
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        cJSON_AddStringToObject(schema, "type", "number");
        cJSON_AddStringToObject(schema, "format", "double");
        break;
    case PROTOBUF_C_TYPE_BOOL:
        cJSON_AddStringToObject(schema, "type", "boolean");
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *kind = field->descriptor;
        cJSON_AddStringToObject(schema, "type", "string");
        cJSON *values = cJSON_AddArrayToObject(schema, "enum");
        for (unsigned v = 0; v < kind->n_values; v++)
            cJSON_AddItemToArray(values, cJSON_CreateString(kind->values[v].name));
        cJSON_AddStringToObject(schema, "x-protobuf-enum", kind->name);
        break;
    }
    case PROTOBUF_C_TYPE_BYTES:
        cJSON_AddStringToObject(schema, "type", "string");
        cJSON_AddStringToObject(schema, "format", "byte");
        break;
    case PROTOBUF_C_TYPE_MESSAGE:
        cJSON_Delete(schema);
        return message_schema(schemas, field->descriptor);
    case PROTOBUF_C_TYPE_STRING:
    default:
        cJSON_AddStringToObject(schema, "type", "string");
        break;
    }
    return schema;
}

static cJSON *
schema_for_field(cJSON *schemas, const ProtobufCFieldDescriptor *field)
{
    cJSON *item = scalar_schema(schemas, field);
    if (field->label != PROTOBUF_C_LABEL_REPEATED)
        return item;
    cJSON *array = cJSON_CreateObject();
    cJSON_AddStringToObject(array, "type", "array");
    cJSON_AddItemToObject(array, "items", item);
    return array;
}

static cJSON *
json_content(cJSON *schema)
{
    cJSON *content = cJSON_CreateObject();
    cJSON *media = cJSON_AddObjectToObject(content, "application/json");
    cJSON_AddItemToObject(media, "schema", schema);
    return content;
}

static cJSON *
parameter(const char *name, size_t name_length, const char *where, bool required, cJSON *schema,
          const char *description)
{
    char text[128];
    snprintf(text, sizeof text, "%.*s", (int) name_length, name);
    cJSON *parameter = cJSON_CreateObject();
    cJSON_AddStringToObject(parameter, "name", text);
    cJSON_AddStringToObject(parameter, "in", where);
    cJSON_AddBoolToObject(parameter, "required", required);
    if (description)
        cJSON_AddStringToObject(parameter, "description", description);
    cJSON_AddItemToObject(parameter, "schema", schema);
    return parameter;
}

static void
lower(char *text)
{
    for (; *text; text++)
        if (*text >= 'A' && *text <= 'Z')
            *text = (char) (*text - 'A' + 'a');
}

static cJSON *
path_item(cJSON *paths, const char *path)
{
    cJSON *item = cJSON_GetObjectItemCaseSensitive(paths, path);
    return item ? item : cJSON_AddObjectToObject(paths, path);
}

/* The error replies of an operation: a 4XX and the rest (5XX), both the
 * Error body; clients and linters look for a 4XX of every operation. */
static void
add_errors(cJSON *responses)
{
    cJSON *refused = cJSON_AddObjectToObject(responses, "4XX");
    cJSON_AddStringToObject(refused, "$ref", "#/components/responses/Error");
    cJSON *failure = cJSON_AddObjectToObject(responses, "default");
    cJSON_AddStringToObject(failure, "$ref", "#/components/responses/Error");
}

/* Appends text to out in CamelCase: a letter after anything that is not a
 * letter or digit is upper-cased, and such characters are dropped
 * ("registration_number" -> "RegistrationNumber", "v2/services.json" ->
 * "V2ServicesJson"). */
static void
append_camel(char *out, size_t size, const char *text, size_t length)
{
    size_t at = strlen(out);
    bool upper = true;
    for (size_t i = 0; i < length && at + 1 < size; i++) {
        char c = text[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum) {
            upper = true;
            continue;
        }
        out[at++] = upper && c >= 'a' && c <= 'z' ? (char) (c - 'a' + 'A') : c;
        upper = false;
    }
    out[at] = 0;
}

void
gateway_openapi_operation_id(const gateway_route_t *route, char *out, size_t size)
{
    snprintf(out, size, "%s.%s", route->service, route->rpc);
    /* The first route of an rpc is the rpc's name; another route to the
     * same rpc (a case by id and by registration number) adds the path
     * variable it is found by: operationIds are unique. */
    bool again = false;
    for (const gateway_route_t *before = gateway_routes; before != route && before->method && !again; before++)
        again = strcmp(before->service, route->service) == 0 && strcmp(before->rpc, route->rpc) == 0;
    const char *open = again ? strrchr(route->path, '{') : NULL;
    const char *close = open ? strchr(open, '}') : NULL;
    if (close) {
        append_camel(out, size, "By", 2);
        append_camel(out, size, open + 1, (size_t) (close - open - 1));
    }
}

static void
add_route(cJSON *paths, cJSON *schemas, const gateway_route_t *route)
{
    const ProtobufCMethodDescriptor *rpc = gateway_route_rpc(route);
    if (!rpc)
        return;
    char method[16];
    snprintf(method, sizeof method, "%s", route->method);
    lower(method);
    cJSON *operation = cJSON_AddObjectToObject(path_item(paths, route->path), method);
    char operation_id[128], rpc_name[128];
    gateway_openapi_operation_id(route, operation_id, sizeof operation_id);
    snprintf(rpc_name, sizeof rpc_name, "%s.%s", route->service, route->rpc);
    cJSON_AddStringToObject(operation, "operationId", operation_id);
    cJSON_AddStringToObject(operation, "summary", route->summary ? route->summary : route->rpc);
    cJSON *tags = cJSON_AddArrayToObject(operation, "tags");
    cJSON_AddItemToArray(tags, cJSON_CreateString(route->service));
    cJSON_AddStringToObject(operation, "x-sifang-rpc", rpc_name);
    if (route->roles)
        cJSON_AddStringToObject(operation, "x-sifang-roles", route->roles);
    cJSON *parameters = cJSON_AddArrayToObject(operation, "parameters");
    /* Path variables, in the order they appear. */
    for (const char *open = strchr(route->path, '{'); open; open = strchr(open + 1, '{')) {
        const char *close = strchr(open, '}');
        if (!close)
            break;
        const ProtobufCFieldDescriptor *field = gateway_field_at(rpc->input, open + 1, (size_t) (close - open - 1));
        char description[160];
        snprintf(description, sizeof description, "fills %.*s of %s", (int) (close - open - 1), open + 1,
                 rpc->input->name);
        cJSON_AddItemToArray(parameters, parameter(open + 1, (size_t) (close - open - 1), "path", true,
                                                   field ? scalar_schema(schemas, field) : cJSON_CreateObject(),
                                                   description));
    }
    char name[128], field_path[128];
    for (size_t n = 0; gateway_route_query_at(route, rpc->input, n, name, sizeof name, field_path, sizeof field_path);
         n++) {
        const ProtobufCFieldDescriptor *field = gateway_field_at(rpc->input, field_path, strlen(field_path));
        char description[160];
        snprintf(description, sizeof description, "fills %s of %s", field_path, rpc->input->name);
        cJSON_AddItemToArray(parameters, parameter(name, strlen(name), "query", false,
                                                   field ? schema_for_field(schemas, field) : cJSON_CreateObject(),
                                                   description));
    }
    cJSON *idempotency = cJSON_CreateObject();
    cJSON_AddStringToObject(idempotency, "$ref", "#/components/parameters/IdempotencyKey");
    if (strcmp(route->method, "GET") != 0 && strcmp(route->service, GATEWAY_LOCAL_SERVICE) != 0)
        cJSON_AddItemToArray(parameters, idempotency);
    else
        cJSON_Delete(idempotency);
    if (route->body) {
        cJSON *body = cJSON_AddObjectToObject(operation, "requestBody");
        cJSON_AddBoolToObject(body, "required", false);
        cJSON *schema;
        if (strcmp(route->body, "*") == 0)
            schema = message_schema(schemas, rpc->input);
        else {
            const ProtobufCFieldDescriptor *field = gateway_field_at(rpc->input, route->body, strlen(route->body));
            schema = field ? schema_for_field(schemas, field) : cJSON_CreateObject();
        }
        cJSON_AddItemToObject(body, "content", json_content(schema));
    }
    cJSON *responses = cJSON_AddObjectToObject(operation, "responses");
    char code[8];
    snprintf(code, sizeof code, "%d", route->success);
    cJSON *success = cJSON_AddObjectToObject(responses, code);
    cJSON_AddStringToObject(success, "description", rpc->output->name);
    cJSON_AddItemToObject(success, "content", json_content(message_schema(schemas, rpc->output)));
    add_errors(responses);
}

/* The bodies of the health routes, as gateway_http.c writes them. */
static const struct {
    const char *path;
    const char *name;
    const char *schema;
} fixed_bodies[] = {
    { "/healthz", "Health",
      "{\"type\":\"object\",\"required\":[\"status\",\"uptime_ms\"],\"additionalProperties\":false,"
      "\"description\":\"The process is up: it answers without asking the database or any service.\","
      "\"properties\":{\"status\":{\"type\":\"string\",\"enum\":[\"ok\"]},"
      "\"uptime_ms\":{\"type\":\"integer\",\"format\":\"int64\",\"description\":\"since the gateway started\"}}}" },
    { "/readyz", "Readiness",
      "{\"type\":\"object\",\"required\":[\"database\",\"keys_loaded\",\"services\",\"ready\"],"
      "\"additionalProperties\":false,"
      "\"description\":\"Ready (200) when the gateway's database is up and migrated, its API keys are loaded "
      "and every configured service answered Sys.Ping within a second with its database up; else 503.\","
      "\"properties\":{\"database\":{\"type\":\"string\",\"enum\":[\"up\",\"down\"]},"
      "\"keys_loaded\":{\"type\":\"boolean\"},"
      "\"services\":{\"type\":\"object\",\"description\":\"by service name (grid, intake, ...)\","
      "\"additionalProperties\":{\"type\":\"object\",\"required\":[\"reachable\"],\"additionalProperties\":false,"
      "\"properties\":{\"reachable\":{\"type\":\"boolean\"},"
      "\"instance\":{\"type\":\"string\",\"description\":\"when reachable\"},"
      "\"database_up\":{\"type\":\"boolean\",\"description\":\"when reachable\"},"
      "\"event_head\":{\"type\":\"integer\",\"format\":\"int64\","
      "\"description\":\"when reachable: the highest sequence of its event log\"}}}},"
      "\"ready\":{\"type\":\"boolean\"}}}" },
};

/* The schema name of a fixed route's documented body; NULL when it has
 * none here. */
static const char *
fixed_body(const char *path)
{
    for (size_t i = 0; i < sizeof fixed_bodies / sizeof fixed_bodies[0]; i++)
        if (strcmp(fixed_bodies[i].path, path) == 0)
            return fixed_bodies[i].name;
    return NULL;
}

static void
add_fixed(cJSON *paths, const gateway_fixed_route_t *route)
{
    char method[16];
    snprintf(method, sizeof method, "%s", route->method);
    lower(method);
    cJSON *operation = cJSON_AddObjectToObject(path_item(paths, route->path), method);
    const char *tag = "operations";
    /* "operations.GetReadyz": unique as the method and path are. (Open311's
     * routes are described by gateway_open311_openapi, not here.) */
    char operation_id[160];
    snprintf(operation_id, sizeof operation_id, "%s.", tag);
    append_camel(operation_id, sizeof operation_id, method, strlen(method));
    append_camel(operation_id, sizeof operation_id, route->path, strlen(route->path));
    cJSON_AddStringToObject(operation, "operationId", operation_id);
    cJSON_AddStringToObject(operation, "summary", route->summary);
    cJSON *tags = cJSON_AddArrayToObject(operation, "tags");
    cJSON_AddItemToArray(tags, cJSON_CreateString(tag));
    cJSON *parameters = cJSON_AddArrayToObject(operation, "parameters");
    for (const char *open = strchr(route->path, '{'); open; open = strchr(open + 1, '{')) {
        const char *close = strchr(open, '}');
        if (!close)
            break;
        cJSON *schema = cJSON_CreateObject();
        cJSON_AddStringToObject(schema, "type", "string");
        cJSON_AddItemToArray(parameters, parameter(open + 1, (size_t) (close - open - 1), "path", true, schema, NULL));
    }
    cJSON *responses = cJSON_AddObjectToObject(operation, "responses");
    cJSON *success = cJSON_AddObjectToObject(responses, strcmp(route->method, "POST") == 0 ? "201" : "200");
    cJSON_AddStringToObject(success, "description", route->summary);
    cJSON *content = cJSON_AddObjectToObject(success, "content");
    cJSON *media = cJSON_AddObjectToObject(content, route->content_type);
    const char *documented = fixed_body(route->path);
    if (documented) {
        cJSON_AddItemToObject(media, "schema", ref_to(documented));
        /* Not ready answers 503 with the same body, saying what is down. */
        if (strcmp(route->path, "/readyz") == 0) {
            cJSON *down = cJSON_AddObjectToObject(responses, "503");
            cJSON_AddStringToObject(down, "description", "Not ready: the body says what is down");
            cJSON_AddItemToObject(down, "content", json_content(ref_to(documented)));
        }
    } else {
        cJSON *schema = cJSON_AddObjectToObject(media, "schema");
        cJSON_AddStringToObject(schema, "type", strncmp(route->content_type, "text/", 5) == 0 ? "string" : "object");
    }
    add_errors(responses);
}

static cJSON *
error_schema(void)
{
    cJSON *schema = cJSON_Parse(
        "{\"type\":\"object\",\"required\":[\"error\"],\"properties\":{\"error\":{\"type\":\"object\","
        "\"required\":[\"status\",\"message\",\"violations\"],\"properties\":{"
        "\"status\":{\"type\":\"string\",\"description\":\"the canonical status: INVALID_ARGUMENT, NOT_FOUND, "
        "ALREADY_EXISTS, FAILED_PRECONDITION, PERMISSION_DENIED, UNAUTHENTICATED, RESOURCE_EXHAUSTED, "
        "UNAVAILABLE, ...\"},"
        "\"message\":{\"type\":\"string\"},"
        "\"violations\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
        "\"field\":{\"type\":\"string\"},\"description\":{\"type\":\"string\"}}}}}}}}");
    return schema;
}

cJSON *
gateway_openapi_document(void)
{
    cJSON *document = cJSON_CreateObject();
    cJSON_AddStringToObject(document, "openapi", "3.0.3");
    /* The gateway serves this document itself: its server is wherever the
     * document came from. */
    cJSON *servers = cJSON_AddArrayToObject(document, "servers");
    cJSON *here = cJSON_CreateObject();
    cJSON_AddStringToObject(here, "url", "/");
    cJSON_AddStringToObject(here, "description", "the gateway that served this document");
    cJSON_AddItemToArray(servers, here);
    cJSON *info = cJSON_AddObjectToObject(document, "info");
    cJSON_AddStringToObject(info, "title", "Sifang gateway");
    cJSON_AddStringToObject(info, "version", "1");
    /* The repository grants no licence (it has no LICENSE file): say so
     * until one is chosen, then name it here. */
    cJSON *license = cJSON_AddObjectToObject(info, "license");
    cJSON_AddStringToObject(license, "name", "All rights reserved (no licence is granted)");
    cJSON_AddStringToObject(license, "url", "https://en.wikipedia.org/wiki/All_rights_reserved");
    cJSON_AddStringToObject(info, "description",
        "REST JSON over the Sifang services (grid, intake, employment, volunteer, evaluation). "
        "Each route calls one rpc: path variables and query parameters fill the fields they name, "
        "the body is the request message in protobuf's JSON mapping with proto field names. "
        "Authenticate with an API key: Authorization: Bearer <key> (or X-API-Key). "
        "Writes carry an optional Idempotency-Key: a retry with the same key gets the first reply. "
        "Errors are {\"error\": {\"status\", \"message\", \"violations\"}} with the matching HTTP code; "
        "429 and 503 come with Retry-After. Generated by sifang-gateway-openapi from the route table.");
    cJSON *components = cJSON_AddObjectToObject(document, "components");
    cJSON *security_schemes = cJSON_AddObjectToObject(components, "securitySchemes");
    cJSON *bearer = cJSON_AddObjectToObject(security_schemes, "bearer");
    cJSON_AddStringToObject(bearer, "type", "http");
    cJSON_AddStringToObject(bearer, "scheme", "bearer");
    cJSON *api_key = cJSON_AddObjectToObject(security_schemes, "apiKey");
    cJSON_AddStringToObject(api_key, "type", "apiKey");
    cJSON_AddStringToObject(api_key, "in", "header");
    cJSON_AddStringToObject(api_key, "name", "X-API-Key");
    cJSON *security = cJSON_AddArrayToObject(document, "security");
    cJSON *use_bearer = cJSON_CreateObject();
    cJSON_AddArrayToObject(use_bearer, "bearer");
    cJSON_AddItemToArray(security, use_bearer);
    cJSON *use_key = cJSON_CreateObject();
    cJSON_AddArrayToObject(use_key, "apiKey");
    cJSON_AddItemToArray(security, use_key);
    cJSON *parameters = cJSON_AddObjectToObject(components, "parameters");
    cJSON *idempotency = cJSON_AddObjectToObject(parameters, "IdempotencyKey");
    cJSON_AddStringToObject(idempotency, "name", "Idempotency-Key");
    cJSON_AddStringToObject(idempotency, "in", "header");
    cJSON_AddBoolToObject(idempotency, "required", false);
    cJSON_AddStringToObject(idempotency, "description",
                            "makes a retried write safe: the same key gets the first reply (1-96 of A-Za-z0-9-_.:)");
    cJSON *idempotency_schema = cJSON_AddObjectToObject(idempotency, "schema");
    cJSON_AddStringToObject(idempotency_schema, "type", "string");
    cJSON *responses = cJSON_AddObjectToObject(components, "responses");
    cJSON *error = cJSON_AddObjectToObject(responses, "Error");
    cJSON_AddStringToObject(error, "description", "An error, with the HTTP code of its status");
    cJSON *schemas = cJSON_AddObjectToObject(components, "schemas");
    cJSON_AddItemToObject(error, "content", json_content(ref_to("Error")));
    cJSON_AddItemToObject(schemas, "Error", error_schema());
    for (size_t i = 0; i < sizeof fixed_bodies / sizeof fixed_bodies[0]; i++)
        cJSON_AddItemToObject(schemas, fixed_bodies[i].name, cJSON_Parse(fixed_bodies[i].schema));
    cJSON *paths = cJSON_AddObjectToObject(document, "paths");
    for (const gateway_fixed_route_t *route = gateway_fixed_routes; route->method; route++)
        if (strncmp(route->path, "/open311/", 9) != 0)
            add_fixed(paths, route);
    /* Open311's routes speak the spec's formats: described there. */
    gateway_open311_openapi(paths, components);
    for (const gateway_route_t *route = gateway_routes; route->method; route++)
        add_route(paths, schemas, route);
    return document;
}
