/* The OpenAPI 3 document of the gateway, made from the route table and the
 * protobuf descriptors of the rpcs it calls: one operation per route, its
 * path and query parameters typed as the fields they fill, request and
 * response bodies as schemas of the messages' JSON mapping (sf_json.h).
 * sifang-gateway-openapi prints it into services/gateway/openapi.json, and
 * gateway_openapi_test checks the kept document against the routes. */
#include "gateway_openapi.h"
#include "gateway_routes.h"
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
    char operation_id[128];
    snprintf(operation_id, sizeof operation_id, "%s.%s", route->service, route->rpc);
    cJSON_AddStringToObject(operation, "operationId", operation_id);
    cJSON_AddStringToObject(operation, "summary", route->summary ? route->summary : route->rpc);
    cJSON *tags = cJSON_AddArrayToObject(operation, "tags");
    cJSON_AddItemToArray(tags, cJSON_CreateString(route->service));
    cJSON_AddStringToObject(operation, "x-sifang-rpc", operation_id);
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
    cJSON *failure = cJSON_AddObjectToObject(responses, "default");
    cJSON_AddStringToObject(failure, "$ref", "#/components/responses/Error");
}

static void
add_fixed(cJSON *paths, const gateway_fixed_route_t *route)
{
    char method[16];
    snprintf(method, sizeof method, "%s", route->method);
    lower(method);
    cJSON *operation = cJSON_AddObjectToObject(path_item(paths, route->path), method);
    cJSON_AddStringToObject(operation, "summary", route->summary);
    cJSON *tags = cJSON_AddArrayToObject(operation, "tags");
    cJSON_AddItemToArray(tags, cJSON_CreateString(strncmp(route->path, "/open311/", 9) == 0 ? "open311"
                                                                                              : "operations"));
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
    cJSON *schema = cJSON_AddObjectToObject(media, "schema");
    cJSON_AddStringToObject(schema, "type", strncmp(route->content_type, "text/", 5) == 0 ? "string"
                                            : strstr(route->path, "requests.json") || strstr(route->path, "services.json")
                                                  || strstr(route->path, "}.json") ? "array" : "object");
    cJSON *failure = cJSON_AddObjectToObject(responses, "default");
    cJSON_AddStringToObject(failure, "$ref", "#/components/responses/Error");
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
    cJSON *info = cJSON_AddObjectToObject(document, "info");
    cJSON_AddStringToObject(info, "title", "Sifang gateway");
    cJSON_AddStringToObject(info, "version", "1");
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
    cJSON *paths = cJSON_AddObjectToObject(document, "paths");
    for (const gateway_fixed_route_t *route = gateway_fixed_routes; route->method; route++)
        add_fixed(paths, route);
    for (const gateway_route_t *route = gateway_routes; route->method; route++)
        add_route(paths, schemas, route);
    return document;
}
