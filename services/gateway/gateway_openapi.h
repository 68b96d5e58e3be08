/* The gateway's OpenAPI 3 document, made from the route table and the
 * protobuf descriptors (see gateway_openapi.c). */
#ifndef GATEWAY_OPENAPI_H
#define GATEWAY_OPENAPI_H

#include <cjson/cJSON.h>

/* The whole document; the caller cJSON_Delete()s it. */
cJSON *gateway_openapi_document(void);

#endif
