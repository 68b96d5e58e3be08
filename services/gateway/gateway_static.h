/* Files built into the gateway: the OpenAPI document (openapi.json),
 * generated into a table by
 * cmake/embed_files.cmake. */
#ifndef GATEWAY_STATIC_H
#define GATEWAY_STATIC_H

#include <stddef.h>

typedef struct {
    const char *path;           /* "/openapi.json" */
    const char *content_type;
    const unsigned char *data;  /* NUL-terminated for convenience; size excludes it */
    size_t size;
} gateway_file_t;

/* Ends with { NULL }. */
extern const gateway_file_t gateway_files[];

/* The built-in file at path, or NULL. */
const gateway_file_t *gateway_file_find(const char *path);

#endif
