/* Error replies of the gateway and its text buffer. */
#include "gateway_error.h"
#include "sf_text.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
gateway_error_clear(gateway_error_t *error)
{
    error->status = SF_OK;
    error->http = 0;
    error->message[0] = 0;
    error->n_violations = 0;
    error->retry_after_s = 0;
}

void
gateway_error_set(gateway_error_t *error, sf_status_t status, const char *format, ...)
{
    if (error->status != SF_OK && error->message[0])
        return;
    error->status = status;
    va_list args;
    va_start(args, format);
    sf_text_vformat(error->message, sizeof error->message, format, args);
    va_end(args);
}

void
gateway_error_violation(gateway_error_t *error, const char *field, const char *format, ...)
{
    if (error->status == SF_OK)
        error->status = SF_INVALID_ARGUMENT;
    if (error->n_violations >= GATEWAY_MAX_VIOLATIONS)
        return;
    size_t i = error->n_violations++;
    /* Fields, descriptions and messages quote what came in: cut on a
     * character boundary when they do not fit. */
    sf_text_format(error->fields[i], sizeof error->fields[i], "%s", field ? field : "");
    va_list args;
    va_start(args, format);
    sf_text_vformat(error->descriptions[i], sizeof error->descriptions[i], format, args);
    va_end(args);
    /* The first violation also serves as the message when there is none. */
    if (!error->message[0])
        sf_text_format(error->message, sizeof error->message, "%s%s%s", error->fields[i],
                 error->fields[i][0] ? ": " : "", error->descriptions[i]);
}

int
gateway_error_http(const gateway_error_t *error)
{
    return error->http ? error->http : sf_status_http(error->status);
}

cJSON *
gateway_error_json(const gateway_error_t *error)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *body = cJSON_AddObjectToObject(root, "error");
    cJSON *violations = body ? cJSON_CreateArray() : NULL;
    if (!violations) {
        cJSON_Delete(root);
        return NULL;
    }
    cJSON_AddStringToObject(body, "status", sf_status_name(error->status));
    cJSON_AddStringToObject(body, "message", error->message);
    for (size_t i = 0; i < error->n_violations; i++) {
        cJSON *violation = cJSON_CreateObject();
        cJSON_AddStringToObject(violation, "field", error->fields[i]);
        cJSON_AddStringToObject(violation, "description", error->descriptions[i]);
        cJSON_AddItemToArray(violations, violation);
    }
    cJSON_AddItemToObject(body, "violations", violations);
    return root;
}
