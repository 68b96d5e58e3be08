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

/* A NUL-terminated text that grows as it is appended to; on out of memory
 * it is marked failed and further appends do nothing. */
typedef struct {
    char *text;
    size_t length;
    size_t capacity;
    bool failed;
} gateway_text_t;

void gateway_text_init(gateway_text_t *text);
void gateway_text_append(gateway_text_t *text, const char *data, size_t length);
void gateway_text_printf(gateway_text_t *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the buffer over (caller frees); NULL when failed. */
char *gateway_text_take(gateway_text_t *text, size_t *length_p);
void gateway_text_release(gateway_text_t *text);

#endif
