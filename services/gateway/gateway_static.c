/* Serving the dashboard and the OpenAPI document: from the copies built
 * into the binary, or, for working on the dashboard, from a directory
 * (SIFANG_GATEWAY_DASHBOARD_DIR) so that a reload shows an edit. */
#include "gateway.h"
#include "gateway_static.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (8u << 20)

const gateway_file_t *
gateway_file_find(const char *path)
{
    for (const gateway_file_t *file = gateway_files; file->path; file++)
        if (strcmp(file->path, path) == 0)
            return file;
    return NULL;
}

static const char *
content_type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return "application/octet-stream";
    if (strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (strcmp(dot, ".js") == 0 || strcmp(dot, ".mjs") == 0)
        return "text/javascript; charset=utf-8";
    if (strcmp(dot, ".css") == 0)
        return "text/css; charset=utf-8";
    if (strcmp(dot, ".json") == 0)
        return "application/json; charset=utf-8";
    if (strcmp(dot, ".svg") == 0)
        return "image/svg+xml";
    return "application/octet-stream";
}

/* Only plain names under the directory: no "..", no hidden files. */
static bool
safe_relative(const char *path)
{
    if (strstr(path, "..") || strstr(path, "/.") || path[0] == '.')
        return false;
    for (const char *c = path; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')
              || strchr("/._-", *c)))
            return false;
    return true;
}

static bool
serve_from_directory(gateway_t *gw, gateway_exchange_t *exchange, const char *relative)
{
    if (!safe_relative(relative))
        return false;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", gw->dashboard_dir, relative);
    FILE *file = fopen(path, "rb");
    if (!file)
        return false;
    char *data = malloc(MAX_FILE_BYTES);
    size_t size = data ? fread(data, 1, MAX_FILE_BYTES, file) : 0;
    bool ok = data && !ferror(file) && size < MAX_FILE_BYTES;
    fclose(file);
    if (!ok) {
        free(data);
        return false;
    }
    gateway_reply_text(exchange, 200, content_type_of(path), data, size, true);
    free(data);
    return true;
}

bool
gateway_static_serve(gateway_t *gw, gateway_exchange_t *exchange, const char *path)
{
    if (strcmp(path, "/openapi.json") == 0) {
        const gateway_file_t *file = gateway_file_find(path);
        if (!file)
            return false;
        gateway_exchange_name(exchange, "GET /openapi.json");
        gateway_reply_text(exchange, 200, file->content_type, file->data, file->size, false);
        return true;
    }
    const char *relative;
    if (strcmp(path, "/") == 0 || strcmp(path, "/dashboard") == 0 || strcmp(path, "/dashboard/") == 0)
        relative = "index.html";
    else if (strncmp(path, "/dashboard/", 11) == 0)
        relative = path + 11;
    else
        return false;
    gateway_exchange_name(exchange, "GET /dashboard");
    if (gw->dashboard_dir[0])
        return serve_from_directory(gw, exchange, relative);
    char full[512];
    snprintf(full, sizeof full, "/dashboard/%s", relative);
    const gateway_file_t *file = gateway_file_find(full);
    if (!file)
        return false;
    gateway_reply_text(exchange, 200, file->content_type, file->data, file->size, false);
    return true;
}
