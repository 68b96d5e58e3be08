/* What the gateway answers when something is refused: a status with its
 * HTTP code, a message and per-field violations, printed as
 * {"error": {"status", "message", "violations": [{"field", "description"}]}};
 * and a growable text buffer for building bodies. */
#ifndef GATEWAY_ERROR_H
#define GATEWAY_ERROR_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "sf_status.h"

#define GATEWAY_MAX_VIOLATIONS 16

typedef struct {
    sf_status_t status;          /* SF_OK: no error */
    int http;                    /* 0 = sf_status_http(status) */
    char message[512];
    size_t n_violations;
    char fields[GATEWAY_MAX_VIOLATIONS][128];
    char descriptions[GATEWAY_MAX_VIOLATIONS][256];
    int retry_after_s;           /* Retry-After header; 0 = none */
} gateway_error_t;

void gateway_error_clear(gateway_error_t *error);
/* Sets status and message (the first set wins; violations keep adding). */
void gateway_error_set(gateway_error_t *error, sf_status_t status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds a field violation; the status becomes INVALID_ARGUMENT unless set. */
void gateway_error_violation(gateway_error_t *error, const char *field, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* The HTTP status to answer. */
int gateway_error_http(const gateway_error_t *error);
/* {"error": {...}}; NULL when out of memory. */
cJSON *gateway_error_json(const gateway_error_t *error);

#endif
