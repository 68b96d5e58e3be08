/* The REST routes: a table kept as data (HTTP method, path template, the
 * service and rpc it calls, and how the path, the query and the body fill the
 * rpc's request message), the matching of a request to a route, and the
 * building of the request message. Everything here is pure: no sockets, no
 * database, so the unit tests and the OpenAPI generator use it as it is. */
#ifndef GATEWAY_ROUTES_H
#define GATEWAY_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <protobuf-c/protobuf-c.h>
#include "gateway_error.h"

/* The service name of the gateway's own routes (gateway_admin.proto). */
#define GATEWAY_LOCAL_SERVICE "gateway"

typedef struct {
    const char *method;      /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *path;        /* "/v1/grid/zones/{code}": {x} fills field x (dotted for nested) */
    const char *service;     /* "grid", or GATEWAY_LOCAL_SERVICE */
    const char *rpc;         /* "ZoneGet" */
    const char *body;        /* NULL: no body; "*": the body is the request message; "f": field f */
    const char *query;       /* space-separated query parameters ("under", "page_size=page.page_size"),
                                or "*": every field that is not a message, and those of the messages
                                it holds (page_size for page.page_size) unless a name is taken twice */
    int success;             /* HTTP status on success (200, 201) */
    const char *roles;       /* roles the gateway itself requires (local routes); NULL = the service decides */
    const char *summary;     /* one line for the OpenAPI document */
} gateway_route_t;

/* Every route, ending with { NULL }. */
extern const gateway_route_t gateway_routes[];

/* Paths the gateway serves besides the route table (health, metrics, the
 * OpenAPI document, Open311), for the OpenAPI document and its check. */
typedef struct {
    const char *method;
    const char *path;
    const char *summary;
    const char *content_type;  /* of the success reply */
} gateway_fixed_route_t;
extern const gateway_fixed_route_t gateway_fixed_routes[];

#define GATEWAY_MAX_PATH_VARS 4
#define GATEWAY_MAX_PATH_VALUE 256

/* The values a path template captured. */
typedef struct {
    size_t n;
    const char *names[GATEWAY_MAX_PATH_VARS];     /* point into the template */
    size_t name_lengths[GATEWAY_MAX_PATH_VARS];
    char values[GATEWAY_MAX_PATH_VARS][GATEWAY_MAX_PATH_VALUE];
} gateway_match_t;

/* Whether path matches template (one trailing slash on path is ignored);
 * captures {variables} into match (may be NULL). */
bool gateway_path_match(const char *template_path, const char *path, gateway_match_t *match);

/* The route for method and path. NULL when none: then *path_known says
 * whether some route has that path with another method (405, not 404), and
 * allowed (may be NULL) lists those methods ("GET, PATCH"). */
const gateway_route_t *gateway_route_find(const char *method, const char *path, gateway_match_t *match,
                                          bool *path_known, char *allowed, size_t allowed_size);

/* The method descriptor a route calls (a service's rpc, or a local one);
 * NULL when the service's contract does not have it. */
const ProtobufCMethodDescriptor *gateway_route_rpc(const gateway_route_t *route);

/* What %00 in the path or the query decodes to (gateway_http.c): the
 * overlong form of U+0000, which is not UTF-8 and so cannot stand for any
 * text; a value holding it is refused. */
#define GATEWAY_NUL_MARK "\xc0\x80"

/* One query parameter as it came (already percent-decoded). */
typedef struct {
    const char *name;
    const char *value;
} gateway_param_t;

/* The request message of route from the path's captures, the query
 * parameters and the body (JSON text, body_size bytes; empty = {}): a new
 * message to free with protobuf_c_message_free_unpacked(message, NULL). On a
 * refusal returns NULL with error set: malformed JSON, a body where the
 * route takes none, an unknown query parameter, a path value that differs
 * from the body's, or whatever the JSON mapping refuses (wrong types,
 * unknown fields), each as a field violation. */
ProtobufCMessage *gateway_route_request(const gateway_route_t *route, const ProtobufCMessageDescriptor *input,
                                        const gateway_match_t *match, const gateway_param_t *query,
                                        size_t n_query, const char *body, size_t body_size,
                                        gateway_error_t *error);

/* The field a dotted path names in descriptor (NULL when none): for the
 * route table's check and the OpenAPI parameters. */
const ProtobufCFieldDescriptor *gateway_field_at(const ProtobufCMessageDescriptor *descriptor,
                                                 const char *path, size_t length);

/* The n-th query parameter a route takes (input is its rpc's request): its
 * name and the dotted field path it fills. Returns false past the last. */
bool gateway_route_query_at(const gateway_route_t *route, const ProtobufCMessageDescriptor *input, size_t n,
                            char *name, size_t name_size, char *field, size_t field_size);

#endif
