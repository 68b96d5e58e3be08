/* libFuzzer target: the gateway's JSON handling (services/gateway/
 * gateway_routes.h), as an HTTP request reaches it: the first byte picks a
 * route of the table (its HTTP method); the rest is three parts separated by
 * newlines: the path, the query ("name=value&..."), and the body. The path is
 * matched against the whole table, then against the picked route's template;
 * a route that matched builds its rpc's request from path, query and body. A
 * refusal must be a described error; a request must print as JSON, read back
 * to the same JSON, and pack. */
#include "gateway_routes.h"
#include "sf_json.h"
#include "fuzz_check.h"
#include <stdlib.h>
#include <string.h>

#define MAX_QUERY 16

static size_t n_routes;

/* Splits text at the first newline: *rest after it (or NULL). */
static char *
cut_line(char *text, char **rest)
{
    char *newline = text ? strchr(text, '\n') : NULL;
    if (newline) {
        *newline = 0;
        *rest = newline + 1;
    } else
        *rest = NULL;
    return text;
}

static size_t
split_query(char *query, gateway_param_t *params)
{
    size_t n = 0;
    for (char *pair = query; pair && *pair && n < MAX_QUERY;) {
        char *next = strchr(pair, '&');
        if (next)
            *next++ = 0;
        char *equals = strchr(pair, '=');
        if (equals)
            *equals++ = 0;
        params[n].name = pair;
        params[n].value = equals ? equals : "";
        n++;
        pair = next;
    }
    return n;
}

static void
build(const gateway_route_t *route, const gateway_match_t *match, const gateway_param_t *params, size_t n_params,
      const char *body, size_t body_size)
{
    const ProtobufCMethodDescriptor *rpc = gateway_route_rpc(route);
    if (!rpc)
        return;
    gateway_error_t error;
    gateway_error_clear(&error);
    ProtobufCMessage *message = gateway_route_request(route, rpc->input, match, params, n_params, body, body_size,
                                                      &error);
    if (!message) {
        FUZZ_CHECK(error.status != SF_OK);
        FUZZ_CHECK(memchr(error.message, 0, sizeof error.message) != NULL);
        cJSON *json = gateway_error_json(&error);
        FUZZ_CHECK(json != NULL);
        char *text = cJSON_PrintUnformatted(json);
        FUZZ_CHECK(text != NULL);
        cJSON *back = cJSON_Parse(text);
        FUZZ_CHECK(back != NULL);
        cJSON_Delete(back);
        free(text);
        cJSON_Delete(json);
        return;
    }
    char *json = sf_json_print_message(message, false);
    FUZZ_CHECK(json != NULL);
    char field[128], reason[256];
    ProtobufCMessage *parsed = sf_json_parse_message(rpc->input, json, strlen(json), field, sizeof field,
                                                     reason, sizeof reason);
    if (!parsed)
        fprintf(stderr, "JSON of %s does not read back: %s: %s\n%s\n", rpc->input->name, field, reason, json);
    FUZZ_CHECK(parsed != NULL);
    char *again = sf_json_print_message(parsed, false);
    FUZZ_CHECK(again != NULL && strcmp(json, again) == 0);
    size_t packed_size = protobuf_c_message_get_packed_size(message);
    uint8_t *packed = malloc(packed_size ? packed_size : 1);
    FUZZ_CHECK(packed != NULL);
    FUZZ_CHECK(protobuf_c_message_pack(message, packed) == packed_size);
    ProtobufCMessage *unpacked = protobuf_c_message_unpack(rpc->input, NULL, packed_size, packed);
    FUZZ_CHECK(unpacked != NULL);
    protobuf_c_message_free_unpacked(unpacked, NULL);
    free(packed);
    free(again);
    protobuf_c_message_free_unpacked(parsed, NULL);
    free(json);
    protobuf_c_message_free_unpacked(message, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!n_routes)
        while (gateway_routes[n_routes].method)
            n_routes++;
    if (size < 1 || n_routes == 0)
        return 0;
    const gateway_route_t *picked = &gateway_routes[data[0] % n_routes];
    /* A NUL-terminated copy: path and query are C strings in the gateway. */
    char *text = malloc(size);
    FUZZ_CHECK(text != NULL);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    char *rest, *body;
    char *path = cut_line(text, &rest);
    char *query = cut_line(rest, &body);
    /* The body is bytes: its length is what is left of the input. */
    size_t body_size = body ? (size - 1) - (size_t) (body - text) : 0;
    gateway_param_t params[MAX_QUERY];
    size_t n_params = split_query(query, params);

    gateway_match_t match;
    bool known = false;
    char allowed[128];
    const gateway_route_t *route = gateway_route_find(picked->method, path, &match, &known, allowed, sizeof allowed);
    if (route) {
        FUZZ_CHECK(match.n <= GATEWAY_MAX_PATH_VARS);
        build(route, &match, params, n_params, body, body_size);
    } else if (known) {
        FUZZ_CHECK(memchr(allowed, 0, sizeof allowed) != NULL);
    }
    if (gateway_path_match(picked->path, path, &match))
        build(picked, &match, params, n_params, body, body_size);
    free(text);
    return 0;
}
