/* The OpenAPI description of the Open311 routes (the fixed route table's
 * /open311/ rows): their parameters, the form a submission sends, both
 * formats and the schemas of what gateway_open311*.c answers, field by
 * field as the GeoReport v2 spec lists them. */
#include "gateway_open311.h"
#include <stdio.h>
#include <string.h>

/* Fields that may be null are marked nullable; the spec's required ones
 * are listed. XML: the element names in "xml". */
static const struct {
    const char *name;
    const char *schema;
} schemas_json[] = {
    { "Open311Error",
      "{\"type\":\"object\",\"required\":[\"code\",\"description\"],\"xml\":{\"name\":\"error\"},"
      "\"description\":\"One error; a reply is a list of them (<errors><error>...).\",\"properties\":{"
      "\"code\":{\"type\":\"integer\",\"description\":\"the HTTP status\"},"
      "\"description\":{\"type\":\"string\",\"description\":\"what was wrong; \\\"field: why\\\" for a field\"}}}" },
    { "Open311Service",
      "{\"type\":\"object\",\"required\":[\"service_code\",\"service_name\",\"metadata\",\"type\"],"
      "\"xml\":{\"name\":\"service\"},\"description\":\"An item of intake's catalogue.\",\"properties\":{"
      "\"service_code\":{\"type\":\"string\"},\"service_name\":{\"type\":\"string\"},"
      "\"description\":{\"type\":\"string\"},"
      "\"metadata\":{\"type\":\"boolean\",\"description\":\"true when the service definition has attributes\"},"
      "\"type\":{\"type\":\"string\",\"enum\":[\"realtime\",\"batch\",\"blackbox\"],"
      "\"description\":\"always realtime: a submission is a case at once\"},"
      "\"keywords\":{\"type\":\"string\",\"description\":\"comma-separated: the group and the department\"},"
      "\"group\":{\"type\":\"string\","
      "\"enum\":[\"government affairs\",\"party affairs\",\"convenience\",\"other\"]}}}" },
    { "Open311AttributeValue",
      "{\"type\":\"object\",\"required\":[\"key\",\"name\"],\"xml\":{\"name\":\"value\"},\"properties\":{"
      "\"key\":{\"type\":\"string\"},\"name\":{\"type\":\"string\"}}}" },
    { "Open311Attribute",
      "{\"type\":\"object\",\"required\":[\"variable\",\"code\",\"datatype\",\"required\",\"order\",\"description\"],"
      "\"xml\":{\"name\":\"attribute\"},\"description\":\"A question a submission answers as attribute[code] (a "
      "multivaluelist as attribute[code][]=key, repeated).\",\"properties\":{"
      "\"variable\":{\"type\":\"boolean\"},\"code\":{\"type\":\"string\"},"
      "\"datatype\":{\"type\":\"string\",\"enum\":[\"string\",\"number\",\"datetime\",\"text\",\"singlevaluelist\","
      "\"multivaluelist\"]},"
      "\"required\":{\"type\":\"boolean\"},\"datatype_description\":{\"type\":\"string\",\"nullable\":true},"
      "\"order\":{\"type\":\"integer\",\"minimum\":1},\"description\":{\"type\":\"string\"},"
      "\"values\":{\"type\":\"array\",\"xml\":{\"wrapped\":true},"
      "\"items\":{\"$ref\":\"#/components/schemas/Open311AttributeValue\"}}}}" },
    { "Open311ServiceDefinition",
      "{\"type\":\"object\",\"required\":[\"service_code\",\"attributes\"],\"xml\":{\"name\":\"service_definition\"},"
      "\"properties\":{\"service_code\":{\"type\":\"string\"},"
      "\"attributes\":{\"type\":\"array\",\"xml\":{\"wrapped\":true},"
      "\"items\":{\"$ref\":\"#/components/schemas/Open311Attribute\"}}}}" },
    { "Open311Request",
      "{\"type\":\"object\",\"xml\":{\"name\":\"request\"},"
      "\"required\":[\"service_request_id\",\"status\",\"service_code\",\"requested_datetime\"],"
      "\"description\":\"An intake case as the public sees it: its place is its zone (centroid, names, code), never "
      "the household. Every field is present; absent values are null (empty elements in XML).\",\"properties\":{"
      "\"service_request_id\":{\"type\":\"string\",\"description\":\"the case id\"},"
      "\"status\":{\"type\":\"string\",\"enum\":[\"open\",\"closed\"]},"
      "\"status_notes\":{\"type\":\"string\",\"nullable\":true,"
      "\"description\":\"closed: the resolution, the reason for a rejection, or where it was transferred; open: "
      "where it stands (received, accepted, with or in progress with whom, past due, escalated)\"},"
      "\"service_name\":{\"type\":\"string\"},\"service_code\":{\"type\":\"string\"},"
      "\"description\":{\"type\":\"string\"},"
      "\"agency_responsible\":{\"type\":\"string\",\"nullable\":true,"
      "\"description\":\"the department or community station that answers for it\"},"
      "\"service_notice\":{\"type\":\"string\",\"nullable\":true,\"description\":\"its registration number\"},"
      "\"requested_datetime\":{\"type\":\"string\",\"format\":\"date-time\"},"
      "\"updated_datetime\":{\"type\":\"string\",\"format\":\"date-time\",\"description\":\"its latest step\"},"
      "\"expected_datetime\":{\"type\":\"string\",\"format\":\"date-time\",\"nullable\":true,"
      "\"description\":\"when an open request is due\"},"
      "\"address\":{\"type\":\"string\",\"nullable\":true,\"description\":\"zone, community, street\"},"
      "\"address_id\":{\"type\":\"string\",\"nullable\":true,\"description\":\"the zone's code\"},"
      "\"zipcode\":{\"type\":\"string\",\"nullable\":true},"
      "\"lat\":{\"type\":\"number\",\"format\":\"double\",\"nullable\":true,\"description\":\"the zone's centroid\"},"
      "\"long\":{\"type\":\"number\",\"format\":\"double\",\"nullable\":true},"
      "\"media_url\":{\"type\":\"string\",\"nullable\":true}}}" },
    { "Open311Submission",
      "{\"type\":\"object\",\"required\":[\"service_code\"],\"description\":\"A location is required: lat and long "
      "(the zone whose centroid or building is nearest, within 1 km), address_string (the zone of the building it "
      "names: road and number) or address_id (a household, building group, zone, community or street code).\","
      "\"properties\":{\"api_key\":{\"type\":\"string\"},\"jurisdiction_id\":{\"type\":\"string\"},"
      "\"service_code\":{\"type\":\"string\"},\"lat\":{\"type\":\"number\"},\"long\":{\"type\":\"number\"},"
      "\"address_string\":{\"type\":\"string\"},\"address_id\":{\"type\":\"string\"},"
      "\"email\":{\"type\":\"string\"},\"device_id\":{\"type\":\"string\"},\"account_id\":{\"type\":\"string\"},"
      "\"first_name\":{\"type\":\"string\"},\"last_name\":{\"type\":\"string\"},\"phone\":{\"type\":\"string\"},"
      "\"description\":{\"type\":\"string\",\"description\":\"up to 2000 characters; the service's name when "
      "none\"},\"media_url\":{\"type\":\"string\"}},"
      "\"additionalProperties\":{\"type\":\"string\",\"description\":\"attribute[code] or attribute[code][]\"}}" },
    { "Open311Submitted",
      "{\"type\":\"object\",\"required\":[\"service_request_id\"],\"xml\":{\"name\":\"request\"},"
      "\"description\":\"The new request's id, known at once (so no token).\",\"properties\":{"
      "\"service_request_id\":{\"type\":\"string\"},\"service_notice\":{\"type\":\"string\"},"
      "\"account_id\":{\"type\":\"string\",\"nullable\":true}}}" },
    { "Open311Token",
      "{\"type\":\"object\",\"required\":[\"service_request_id\",\"token\"],\"xml\":{\"name\":\"request\"},"
      "\"properties\":{\"service_request_id\":{\"type\":\"string\"},\"token\":{\"type\":\"string\"}}}" },
    { "Open311Endpoint",
      "{\"type\":\"object\",\"required\":[\"specification\",\"url\",\"changeset\",\"type\",\"formats\"],"
      "\"xml\":{\"name\":\"endpoint\"},\"properties\":{"
      "\"specification\":{\"type\":\"string\",\"enum\":[\"http://wiki.open311.org/GeoReport_v2\"]},"
      "\"url\":{\"type\":\"string\",\"format\":\"uri\"},\"changeset\":{\"type\":\"string\",\"format\":\"date-time\"},"
      "\"type\":{\"type\":\"string\",\"enum\":[\"production\",\"test\"]},"
      "\"formats\":{\"type\":\"array\",\"xml\":{\"wrapped\":true},"
      "\"items\":{\"type\":\"string\",\"enum\":[\"text/xml\",\"application/json\"],\"xml\":{\"name\":\"format\"}}}}}" },
    { "Open311Discovery",
      "{\"type\":\"object\",\"required\":[\"changeset\",\"contact\",\"key_service\",\"endpoints\"],"
      "\"xml\":{\"name\":\"discovery\"},\"properties\":{"
      "\"changeset\":{\"type\":\"string\",\"format\":\"date-time\","
      "\"description\":\"the catalogue's latest change: read services and definitions again after it\"},"
      "\"contact\":{\"type\":\"string\"},\"key_service\":{\"type\":\"string\"},"
      "\"endpoints\":{\"type\":\"array\",\"xml\":{\"wrapped\":true},"
      "\"items\":{\"$ref\":\"#/components/schemas/Open311Endpoint\"}}}}" },
};

/* What each route answers: its operationId, the schema of its reply (a
 * list of them when list_root is set: the XML root element) and the
 * query parameters it reads. */
static const struct {
    const char *method;
    const char *path;
    const char *operation_id;
    const char *schema;
    const char *list_root;
    const char *query;
} operations[] = {
    { "GET", "/open311/discovery.{format}", "open311.Discovery", "Open311Discovery", NULL, "" },
    { "GET", "/open311/v2/services.{format}", "open311.ServiceList", "Open311Service", "services",
      "jurisdiction_id" },
    { "GET", "/open311/v2/services/{service_code}.{format}", "open311.ServiceDefinition", "Open311ServiceDefinition",
      NULL, "jurisdiction_id" },
    { "GET", "/open311/v2/requests.{format}", "open311.RequestList", "Open311Request", "service_requests",
      "jurisdiction_id service_request_id service_code status start_date end_date" },
    { "POST", "/open311/v2/requests.{format}", "open311.RequestSubmit", "Open311Submitted", "service_requests",
      "jurisdiction_id api_key" },
    { "GET", "/open311/v2/requests/{service_request_id}.{format}", "open311.RequestGet", "Open311Request",
      "service_requests", "jurisdiction_id" },
    { "GET", "/open311/v2/tokens/{token}.{format}", "open311.TokenGet", "Open311Token", "service_requests",
      "jurisdiction_id" },
};

static const struct {
    const char *name;
    const char *description;
} query_parameters[] = {
    { "jurisdiction_id", "this gateway's jurisdiction (SIFANG_GATEWAY_JURISDICTION); optional, refused 404 when "
                         "another" },
    { "service_request_id", "comma-delimited ids; overrides every other parameter (at most 100)" },
    { "service_code", "comma-delimited service codes (at most 20)" },
    { "status", "open, closed, or open,closed" },
    { "start_date", "w3 date-time with its zone; alone, the window reaches 90 days after it" },
    { "end_date", "w3 date-time with its zone, inclusive; alone, the window reaches 90 days before it; with "
                  "start_date at most 90 days after it; neither: the last 90 days. At most 1,000, newest first" },
    { "api_key", "the API key (or Authorization: Bearer, or X-API-Key); also a form field" },
};

static cJSON *
ref(const char *name)
{
    char text[128];
    snprintf(text, sizeof text, "#/components/schemas/%s", name);
    cJSON *schema = cJSON_CreateObject();
    cJSON_AddStringToObject(schema, "$ref", text);
    return schema;
}

/* The same schema for both formats. */
static cJSON *
content(const char *schema, const char *list_root)
{
    cJSON *content = cJSON_CreateObject();
    const char *types[] = { "application/json", "text/xml" };
    for (size_t i = 0; i < 2; i++) {
        cJSON *body;
        if (list_root) {
            body = cJSON_CreateObject();
            cJSON_AddStringToObject(body, "type", "array");
            cJSON_AddItemToObject(body, "items", ref(schema));
            cJSON *xml = cJSON_AddObjectToObject(body, "xml");
            cJSON_AddStringToObject(xml, "name", list_root);
            cJSON_AddTrueToObject(xml, "wrapped");
        } else
            body = ref(schema);
        cJSON_AddItemToObject(cJSON_AddObjectToObject(content, types[i]), "schema", body);
    }
    return content;
}

static cJSON *
parameter(const char *name, const char *where, bool required, const char *description)
{
    cJSON *parameter = cJSON_CreateObject();
    cJSON_AddStringToObject(parameter, "name", name);
    cJSON_AddStringToObject(parameter, "in", where);
    cJSON_AddBoolToObject(parameter, "required", required);
    cJSON_AddStringToObject(parameter, "description", description);
    cJSON *schema = cJSON_AddObjectToObject(parameter, "schema");
    cJSON_AddStringToObject(schema, "type", "string");
    if (strcmp(name, "format") == 0) {
        cJSON *formats = cJSON_AddArrayToObject(schema, "enum");
        cJSON_AddItemToArray(formats, cJSON_CreateString("json"));
        cJSON_AddItemToArray(formats, cJSON_CreateString("xml"));
    }
    return parameter;
}

static void
add_response(cJSON *responses, const char *code, const char *description, cJSON *content)
{
    cJSON *response = cJSON_AddObjectToObject(responses, code);
    cJSON_AddStringToObject(response, "description", description);
    if (content)
        cJSON_AddItemToObject(response, "content", content);
}

static void
add_operation(cJSON *paths, const gateway_fixed_route_t *route, size_t which)
{
    bool post = strcmp(route->method, "POST") == 0;
    cJSON *item = cJSON_GetObjectItemCaseSensitive(paths, route->path);
    if (!item)
        item = cJSON_AddObjectToObject(paths, route->path);
    cJSON *operation = cJSON_AddObjectToObject(item, post ? "post" : "get");
    cJSON_AddStringToObject(operation, "operationId", operations[which].operation_id);
    cJSON_AddStringToObject(operation, "summary", route->summary);
    cJSON_AddStringToObject(operation, "description",
                            post ? "Needs an API key (403 and the error list without a valid one)."
                                 : "Public: no key needed (limited per client address; with a key, the key's "
                                   "limit). A key given must be valid (403 otherwise).");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(operation, "tags"), cJSON_CreateString("open311"));
    cJSON *security = cJSON_AddArrayToObject(operation, "security");
    if (post) {
        const char *schemes[] = { "open311ApiKey", "bearer", "apiKey" };
        for (size_t i = 0; i < 3; i++) {
            cJSON *use = cJSON_CreateObject();
            cJSON_AddArrayToObject(use, schemes[i]);
            cJSON_AddItemToArray(security, use);
        }
    } else
        cJSON_AddItemToArray(security, cJSON_CreateObject());   /* none needed */
    cJSON *parameters = cJSON_AddArrayToObject(operation, "parameters");
    for (const char *open = strchr(route->path, '{'); open; open = strchr(open + 1, '{')) {
        const char *close = strchr(open, '}');
        if (!close)
            break;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int) (close - open - 1), open + 1);
        cJSON_AddItemToArray(parameters, parameter(name, "path", true, strcmp(name, "format") == 0
                                                                           ? "json or xml: the reply's format"
                                                                           : "from the path"));
    }
    for (size_t q = 0; q < sizeof query_parameters / sizeof query_parameters[0]; q++) {
        char padded[128], name[64];
        snprintf(padded, sizeof padded, " %s ", operations[which].query);
        snprintf(name, sizeof name, " %s ", query_parameters[q].name);
        if (strstr(padded, name))
            cJSON_AddItemToArray(parameters, parameter(query_parameters[q].name, "query", false,
                                                       query_parameters[q].description));
    }
    if (post) {
        cJSON *body = cJSON_AddObjectToObject(operation, "requestBody");
        cJSON_AddTrueToObject(body, "required");
        cJSON *form = cJSON_AddObjectToObject(cJSON_AddObjectToObject(body, "content"),
                                              "application/x-www-form-urlencoded");
        cJSON_AddItemToObject(form, "schema", ref("Open311Submission"));
    }
    cJSON *responses = cJSON_AddObjectToObject(operation, "responses");
    add_response(responses, post ? "201" : "200", route->summary,
                 content(operations[which].schema, operations[which].list_root));
    add_response(responses, "4XX",
                 post ? "400 a field is wrong or missing (each named), 403 no valid api_key, 404 another "
                        "jurisdiction, 413 too large, 429 too many (Retry-After)"
                      : "400 a parameter is wrong, 403 an api_key given is not valid, 404 not found or another "
                        "jurisdiction, 429 too many (Retry-After)",
                 content("Open311Error", "errors"));
    add_response(responses, "default", "503 a service is away (Retry-After), 500", content("Open311Error", "errors"));
}

void
gateway_open311_openapi(cJSON *paths, cJSON *components)
{
    cJSON *schemas = cJSON_GetObjectItemCaseSensitive(components, "schemas");
    if (!schemas)
        schemas = cJSON_AddObjectToObject(components, "schemas");
    for (size_t i = 0; i < sizeof schemas_json / sizeof schemas_json[0]; i++)
        cJSON_AddItemToObject(schemas, schemas_json[i].name, cJSON_Parse(schemas_json[i].schema));
    cJSON *security_schemes = cJSON_GetObjectItemCaseSensitive(components, "securitySchemes");
    if (!security_schemes)
        security_schemes = cJSON_AddObjectToObject(components, "securitySchemes");
    cJSON *key = cJSON_AddObjectToObject(security_schemes, "open311ApiKey");
    cJSON_AddStringToObject(key, "type", "apiKey");
    cJSON_AddStringToObject(key, "in", "query");
    cJSON_AddStringToObject(key, "name", "api_key");
    cJSON_AddStringToObject(key, "description", "Open311's api_key: in the query string or the form body");
    for (const gateway_fixed_route_t *route = gateway_fixed_routes; route->method; route++)
        for (size_t i = 0; i < sizeof operations / sizeof operations[0]; i++)
            if (strcmp(route->method, operations[i].method) == 0 && strcmp(route->path, operations[i].path) == 0)
                add_operation(paths, route, i);
}
