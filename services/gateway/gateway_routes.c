/* Matching requests to the route table and building the rpc's request
 * message from the path, the query and the body. */
#include "gateway_routes.h"
#include "sf_text.h"
#include "gateway_admin.pb-c.h"
#include "sf_json.h"
#include "sf_registry.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- paths ------------------------------------------------------------------ */

/* The next segment of a path after *at (which points at a '/'): its start
 * and length; *at moves to the following '/' or the end. */
static bool
next_segment(const char **at, const char **start, size_t *length)
{
    if (**at != '/')
        return false;
    *start = *at + 1;
    const char *end = strchr(*start, '/');
    if (!end)
        end = *start + strlen(*start);
    *length = (size_t) (end - *start);
    *at = end;
    return true;
}

bool
gateway_path_match(const char *template_path, const char *path, gateway_match_t *match)
{
    if (match)
        match->n = 0;
    size_t path_length = strlen(path);
    /* One trailing slash is forgiven ("/v1/grid/units/"). */
    if (path_length > 1 && path[path_length - 1] == '/')
        path_length--;
    const char *t = template_path, *p = path, *p_end = path + path_length;
    while (*t) {
        const char *t_start, *p_start;
        size_t t_length, p_length;
        if (!next_segment(&t, &t_start, &t_length) || p >= p_end || *p != '/')
            return false;
        p_start = p + 1;
        const char *slash = memchr(p_start, '/', (size_t) (p_end - p_start));
        const char *p_stop = slash ? slash : p_end;
        p_length = (size_t) (p_stop - p_start);
        p = p_stop;
        if (t_length >= 2 && t_start[0] == '{' && t_start[t_length - 1] == '}') {
            if (p_length == 0 || p_length >= GATEWAY_MAX_PATH_VALUE)
                return false;
            if (match) {
                if (match->n >= GATEWAY_MAX_PATH_VARS)
                    return false;
                match->names[match->n] = t_start + 1;
                match->name_lengths[match->n] = t_length - 2;
                memcpy(match->values[match->n], p_start, p_length);
                match->values[match->n][p_length] = 0;
                match->n++;
            }
        } else if (t_length != p_length || memcmp(t_start, p_start, p_length) != 0)
            return false;
    }
    return p == p_end;
}

const gateway_route_t *
gateway_route_find(const char *method, const char *path, gateway_match_t *match, bool *path_known,
                   char *allowed, size_t allowed_size)
{
    if (path_known)
        *path_known = false;
    if (allowed && allowed_size)
        allowed[0] = 0;
    for (const gateway_route_t *route = gateway_routes; route->method; route++) {
        if (!gateway_path_match(route->path, path, NULL))
            continue;
        if (strcmp(route->method, method) == 0) {
            gateway_path_match(route->path, path, match);
            return route;
        }
        if (path_known)
            *path_known = true;
        if (allowed && !strstr(allowed, route->method)) {
            size_t used = strlen(allowed);
            snprintf(allowed + used, allowed_size - used, "%s%s", used ? ", " : "", route->method);
        }
    }
    return NULL;
}

const ProtobufCMethodDescriptor *
gateway_route_rpc(const gateway_route_t *route)
{
    if (strcmp(route->service, GATEWAY_LOCAL_SERVICE) == 0)
        return protobuf_c_service_descriptor_get_method_by_name(&sifang__gateway__v1__gateway_admin__descriptor,
                                                                route->rpc);
    return sf_registry_method(route->service, route->rpc);
}

/* Whether the route's path fills field (a dotted path). */
static bool
path_fills(const gateway_route_t *route, const char *field)
{
    size_t length = strlen(field);
    for (const char *open = strchr(route->path, '{'); open; open = strchr(open + 1, '{'))
        if (strncmp(open + 1, field, length) == 0 && open[1 + length] == '}')
            return true;
    return false;
}

/* How many leaf fields (not messages) named name the request has: at the
 * top and one message down. */
static int
leaves_named(const ProtobufCMessageDescriptor *input, const char *name)
{
    int count = 0;
    for (unsigned i = 0; i < input->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &input->fields[i];
        if (field->type != PROTOBUF_C_TYPE_MESSAGE) {
            count += strcmp(field->name, name) == 0;
            continue;
        }
        if (field->label == PROTOBUF_C_LABEL_REPEATED)
            continue;
        const ProtobufCMessageDescriptor *inner = field->descriptor;
        for (unsigned j = 0; j < inner->n_fields; j++)
            count += inner->fields[j].type != PROTOBUF_C_TYPE_MESSAGE && strcmp(inner->fields[j].name, name) == 0;
    }
    return count;
}

/* The n-th parameter of a "*" route. */
static bool
every_field_at(const gateway_route_t *route, const ProtobufCMessageDescriptor *input, size_t n, char *name,
               size_t name_size, char *field_path, size_t field_size)
{
    size_t seen = 0;
    for (unsigned i = 0; i < input->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &input->fields[i];
        if (field->type == PROTOBUF_C_TYPE_MESSAGE || path_fills(route, field->name))
            continue;
        if (seen++ == n) {
            snprintf(name, name_size, "%s", field->name);
            snprintf(field_path, field_size, "%s", field->name);
            return true;
        }
    }
    for (unsigned i = 0; i < input->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &input->fields[i];
        if (field->type != PROTOBUF_C_TYPE_MESSAGE || field->label == PROTOBUF_C_LABEL_REPEATED)
            continue;
        const ProtobufCMessageDescriptor *inner = field->descriptor;
        for (unsigned j = 0; j < inner->n_fields; j++) {
            if (inner->fields[j].type == PROTOBUF_C_TYPE_MESSAGE)
                continue;
            char dotted[128];
            snprintf(dotted, sizeof dotted, "%s.%s", field->name, inner->fields[j].name);
            if (path_fills(route, dotted))
                continue;
            if (seen++ == n) {
                bool unique = leaves_named(input, inner->fields[j].name) == 1;
                snprintf(name, name_size, "%s", unique ? inner->fields[j].name : dotted);
                snprintf(field_path, field_size, "%s", dotted);
                return true;
            }
        }
    }
    return false;
}

bool
gateway_route_query_at(const gateway_route_t *route, const ProtobufCMessageDescriptor *input, size_t n,
                       char *name, size_t name_size, char *field, size_t field_size)
{
    const char *at = route->query;
    if (!at)
        return false;
    if (strcmp(at, "*") == 0)
        return input && every_field_at(route, input, n, name, name_size, field, field_size);
    for (size_t i = 0;; i++) {
        while (*at == ' ')
            at++;
        if (!*at)
            return false;
        size_t length = strcspn(at, " ");
        if (i == n) {
            const char *equals = memchr(at, '=', length);
            size_t name_length = equals ? (size_t) (equals - at) : length;
            snprintf(name, name_size, "%.*s", (int) name_length, at);
            if (equals)
                snprintf(field, field_size, "%.*s", (int) (length - name_length - 1), equals + 1);
            else
                snprintf(field, field_size, "%.*s", (int) length, at);
            return true;
        }
        at += length;
    }
}

/* --- fields -------------------------------------------------------------------- */

static const ProtobufCFieldDescriptor *
field_named(const ProtobufCMessageDescriptor *descriptor, const char *name, size_t length)
{
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields[i];
        if (strlen(field->name) == length && memcmp(field->name, name, length) == 0)
            return field;
    }
    return NULL;
}

const ProtobufCFieldDescriptor *
gateway_field_at(const ProtobufCMessageDescriptor *descriptor, const char *path, size_t length)
{
    const char *end = path + length;
    while (descriptor) {
        const char *dot = memchr(path, '.', (size_t) (end - path));
        size_t part = dot ? (size_t) (dot - path) : (size_t) (end - path);
        const ProtobufCFieldDescriptor *field = field_named(descriptor, path, part);
        if (!field || !dot)
            return field;
        if (field->type != PROTOBUF_C_TYPE_MESSAGE || field->label == PROTOBUF_C_LABEL_REPEATED)
            return NULL;
        descriptor = field->descriptor;
        path = dot + 1;
    }
    return NULL;
}

/* The JSON value of text for a field: true/false for booleans, the text for
 * everything else (the JSON mapping reads numbers and enum names from
 * strings). NULL when a boolean is neither. */
static cJSON *
value_for(const ProtobufCFieldDescriptor *field, const char *text)
{
    if (field->type == PROTOBUF_C_TYPE_BOOL) {
        if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
            return cJSON_CreateTrue();
        if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
            return cJSON_CreateFalse();
        return NULL;
    }
    return cJSON_CreateString(text);
}

/* Sets the field at a dotted path of the JSON object root to text, creating
 * the objects on the way; a repeated field collects every value. what says
 * where the value came from ("path", "query") for violations; name is what
 * the client called it. A value the body already holds must agree. */
static void
set_field(cJSON *root, const ProtobufCMessageDescriptor *descriptor, const char *path, size_t length,
          const char *text, const char *what, const char *name, gateway_error_t *error)
{
    char field_path[128];
    snprintf(field_path, sizeof field_path, "%.*s", (int) length, path);
    const char *end = path + length;
    cJSON *object = root;
    for (;;) {
        const char *dot = memchr(path, '.', (size_t) (end - path));
        size_t part = dot ? (size_t) (dot - path) : (size_t) (end - path);
        const ProtobufCFieldDescriptor *field = field_named(descriptor, path, part);
        if (!field || (dot && (field->type != PROTOBUF_C_TYPE_MESSAGE || field->label == PROTOBUF_C_LABEL_REPEATED))) {
            gateway_error_violation(error, name, "the route's %s names no field %s of %s", what, field_path,
                                    descriptor->name);
            return;
        }
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int) part, path);
        cJSON *existing = cJSON_GetObjectItemCaseSensitive(object, key);
        if (dot) {
            if (!existing) {
                existing = cJSON_AddObjectToObject(object, key);
                if (!existing) {
                    gateway_error_set(error, SF_RESOURCE_EXHAUSTED, "out of memory");
                    return;
                }
            } else if (!cJSON_IsObject(existing)) {
                gateway_error_violation(error, field_path, "expected an object");
                return;
            }
            object = existing;
            descriptor = field->descriptor;
            path = dot + 1;
            continue;
        }
        if (field->type == PROTOBUF_C_TYPE_MESSAGE) {
            gateway_error_violation(error, name, "%s is a message: give it in the body", field_path);
            return;
        }
        cJSON *value = value_for(field, text);
        if (!value) {
            gateway_error_violation(error, name, "expected true or false, got \"%.*s\"", (int) sf_utf8_prefix(text, 40),
                                    text);
            return;
        }
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            if (!existing)
                existing = cJSON_AddArrayToObject(object, key);
            if (!cJSON_IsArray(existing)) {
                cJSON_Delete(value);
                gateway_error_violation(error, field_path, "expected an array");
                return;
            }
            cJSON_AddItemToArray(existing, value);
            return;
        }
        if (existing) {
            /* Given twice (a path value also in the body, or a repeated
             * query parameter): only the same value is allowed. */
            bool same = cJSON_Compare(existing, value, true)
                     || (cJSON_IsString(value) && cJSON_IsNumber(existing)
                         && strtod(value->valuestring, NULL) == existing->valuedouble);
            cJSON_Delete(value);
            if (!same)
                gateway_error_violation(error, field_path, "the %s says \"%.*s\" but the request already gives"
                                        " another value", what, (int) sf_utf8_prefix(text, 60), text);
            return;
        }
        cJSON_AddItemToObject(object, key, value);
        return;
    }
}

static bool
blank(const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++)
        if (!strchr(" \t\r\n", text[i]))
            return false;
    return true;
}

/* The body as a JSON object (an empty body is {}); NULL with error set. */
static cJSON *
parse_body(const gateway_route_t *route, const char *body, size_t body_size, gateway_error_t *error)
{
    bool empty = !body || blank(body, body_size);
    if (!route->body) {
        if (!empty) {
            gateway_error_violation(error, "body", "%s %s takes no request body", route->method, route->path);
            return NULL;
        }
        return cJSON_CreateObject();
    }
    cJSON *parsed;
    if (empty)
        parsed = cJSON_CreateObject();
    else {
        const char *end = NULL;
        parsed = cJSON_ParseWithLengthOpts(body, body_size, &end, false);
        if (!parsed) {
            size_t offset = end && end >= body ? (size_t) (end - body) : 0;
            gateway_error_violation(error, "body", "malformed JSON near byte %zu", offset);
            return NULL;
        }
        size_t used = end ? (size_t) (end - body) : body_size;
        if (used < body_size && !blank(body + used, body_size - used)) {
            cJSON_Delete(parsed);
            gateway_error_violation(error, "body", "malformed JSON: trailing characters at byte %zu", used);
            return NULL;
        }
        /* cJSON cut a string holding \u0000 there and kept the rest: refused,
         * naming the field as the request's message has it. */
        char nul[128];
        if (sf_json_has_nul(body, used, nul, sizeof nul)) {
            cJSON_Delete(parsed);
            char field[192];
            bool whole = strcmp(route->body, "*") == 0;
            sf_text_format(field, sizeof field, "%s%s%s", whole ? "" : route->body, !whole && nul[0] ? "." : "",
                           whole && !nul[0] ? "body" : nul);
            gateway_error_violation(error, field, SF_JSON_NUL_REFUSED);
            return NULL;
        }
    }
    if (!cJSON_IsObject(parsed)) {
        cJSON_Delete(parsed);
        gateway_error_violation(error, "body", "the body must be a JSON object");
        return NULL;
    }
    if (strcmp(route->body, "*") == 0)
        return parsed;
    cJSON *root = cJSON_CreateObject();
    if (root)
        cJSON_AddItemToObject(root, route->body, parsed);
    else
        cJSON_Delete(parsed);
    return root;
}

ProtobufCMessage *
gateway_route_request(const gateway_route_t *route, const ProtobufCMessageDescriptor *input,
                      const gateway_match_t *match, const gateway_param_t *query, size_t n_query,
                      const char *body, size_t body_size, gateway_error_t *error)
{
    cJSON *root = parse_body(route, body, body_size, error);
    if (!root) {
        if (error->status == SF_OK)
            gateway_error_set(error, SF_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    for (size_t i = 0; match && i < match->n; i++) {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int) match->name_lengths[i], match->names[i]);
        if (strstr(match->values[i], GATEWAY_NUL_MARK)) {
            gateway_error_violation(error, name, SF_JSON_NUL_REFUSED);
            continue;
        }
        set_field(root, input, match->names[i], match->name_lengths[i], match->values[i], "path", name, error);
    }
    for (size_t i = 0; i < n_query; i++) {
        char name[128], field[128];
        if (strstr(query[i].name, GATEWAY_NUL_MARK) || (query[i].value && strstr(query[i].value, GATEWAY_NUL_MARK))) {
            gateway_error_violation(error, strstr(query[i].name, GATEWAY_NUL_MARK) ? "query" : query[i].name,
                                    SF_JSON_NUL_REFUSED);
            continue;
        }
        bool known = false;
        for (size_t n = 0; gateway_route_query_at(route, input, n, name, sizeof name, field, sizeof field); n++)
            if (strcmp(query[i].name, name) == 0) {
                known = true;
                break;
            }
        if (!known) {
            char takes[160] = "";
            for (size_t n = 0; gateway_route_query_at(route, input, n, name, sizeof name, field, sizeof field)
                               && strlen(takes) + strlen(name) + 8 < sizeof takes; n++)
                snprintf(takes + strlen(takes), sizeof takes - strlen(takes), "%s%s", n ? ", " : "", name);
            gateway_error_violation(error, query[i].name, "unknown query parameter%s%s",
                                    takes[0] ? "; this route takes: " : " (this route takes none)", takes);
            continue;
        }
        set_field(root, input, field, strlen(field), query[i].value ? query[i].value : "", "query",
                  query[i].name, error);
    }
    ProtobufCMessage *message = NULL;
    if (error->status == SF_OK) {
        char field[128] = "", reason[256] = "";
        message = sf_json_to_message(input, root, field, sizeof field, reason, sizeof reason);
        if (!message)
            gateway_error_violation(error, field, "%s", reason[0] ? reason : "not a valid request");
    }
    cJSON_Delete(root);
    return message;
}
