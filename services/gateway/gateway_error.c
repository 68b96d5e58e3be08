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

/* --- text ------------------------------------------------------------------ */

void
gateway_text_init(gateway_text_t *text)
{
    memset(text, 0, sizeof *text);
}

static bool
reserve(gateway_text_t *text, size_t more)
{
    if (text->failed)
        return false;
    if (text->length + more + 1 <= text->capacity)
        return true;
    size_t capacity = text->capacity ? text->capacity : 1024;
    while (capacity < text->length + more + 1)
        capacity *= 2;
    char *grown = realloc(text->text, capacity);
    if (!grown) {
        text->failed = true;
        return false;
    }
    text->text = grown;
    text->capacity = capacity;
    return true;
}

void
gateway_text_append(gateway_text_t *text, const char *data, size_t length)
{
    if (!reserve(text, length))
        return;
    memcpy(text->text + text->length, data, length);
    text->length += length;
    text->text[text->length] = 0;
}

void
gateway_text_printf(gateway_text_t *text, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char small[256];
    int needed = vsnprintf(small, sizeof small, format, args);
    va_end(args);
    if (needed < 0)
        return;
    if ((size_t) needed < sizeof small) {
        gateway_text_append(text, small, (size_t) needed);
        return;
    }
    if (!reserve(text, (size_t) needed))
        return;
    va_start(args, format);
    vsnprintf(text->text + text->length, (size_t) needed + 1, format, args);
    va_end(args);
    text->length += (size_t) needed;
}

char *
gateway_text_take(gateway_text_t *text, size_t *length_p)
{
    if (text->failed || !reserve(text, 0)) {
        gateway_text_release(text);
        return NULL;
    }
    char *taken = text->text;
    if (length_p)
        *length_p = text->length;
    memset(text, 0, sizeof *text);
    return taken;
}

void
gateway_text_release(gateway_text_t *text)
{
    free(text->text);
    memset(text, 0, sizeof *text);
}
