/* A tiny HTTP/1.1 client for the gateway's tests: one request per
 * connection over loopback TCP, or raw bytes for malformed requests. */
#ifndef HTTP_CLIENT_H
#define HTTP_CLIENT_H

#include <stddef.h>
#include <cjson/cJSON.h>

typedef struct {
    int status;                /* 0 when no response could be read */
    char head[8192];           /* status line and headers */
    char *body;                /* NUL-terminated */
    size_t body_size;
    cJSON *json;               /* the body parsed, when it is JSON */
} http_reply_t;

/* Sends method path with extra header lines ("Name: value\r\n"..., may be
 * NULL) and a body (may be NULL), reads the whole reply. Returns the status
 * (0 on a transport failure). */
int http_request(int port, const char *method, const char *path, const char *headers, const char *body,
                 size_t body_size, http_reply_t *reply);
/* Sends bytes as they are and reads whatever comes back until the server
 * closes (or timeout_ms passes). */
int http_raw(int port, const void *data, size_t size, int timeout_ms, http_reply_t *reply);
/* Connects and sends a first part only; returns the socket (or -1) so a
 * test can finish the request later with http_finish. */
int http_begin(int port, const void *data, size_t size);
int http_finish(int socket, const void *data, size_t size, http_reply_t *reply);

/* A header's value (case-insensitive name) into out; NULL when absent. */
const char *http_header(const http_reply_t *reply, const char *name, char *out, size_t size);
/* The error status of a JSON error body ("INVALID_ARGUMENT"), or "". */
const char *http_error_status(const http_reply_t *reply);
/* Whether the JSON error names a violation on field. */
int http_has_violation(const http_reply_t *reply, const char *field);
void http_reply_release(http_reply_t *reply);

#endif
