/* The gateway's OpenAPI 3 document, made from the route table and the
 * protobuf descriptors (see gateway_openapi.c). */
#ifndef GATEWAY_OPENAPI_H
#define GATEWAY_OPENAPI_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include "gateway_routes.h"

/* The whole document; the caller cJSON_Delete()s it. */
cJSON *gateway_openapi_document(void);

/* A route's operationId: "service.Rpc", and for a second route to the same
 * rpc "service.RpcByVariable" after its last path variable
 * ("intake.CaseGetByRegistrationNumber"). */
void gateway_openapi_operation_id(const gateway_route_t *route, char *out, size_t size);

#endif
