/* Serving the staff workbench, the dashboard and the OpenAPI document. The
 * workbench is Vite's build (workbench/), read from its directory
 * (SIFANG_GATEWAY_WORKBENCH_DIR): index.html is never cached, so a new
 * build is seen at the next load, while the files under assets/ carry a
 * hash of their content in their names and are cached for a year. The
 * dashboard and the OpenAPI document are built into the binary (or, for
 * working on the dashboard, read from SIFANG_GATEWAY_DASHBOARD_DIR). */
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
    if (strcmp(dot, ".png") == 0)
        return "image/png";
    if (strcmp(dot, ".ico") == 0)
        return "image/x-icon";
    if (strcmp(dot, ".woff2") == 0)
        return "font/woff2";
    if (strcmp(dot, ".woff") == 0)
        return "font/woff";
    if (strcmp(dot, ".ttf") == 0)
        return "font/ttf";
    if (strcmp(dot, ".txt") == 0)
        return "text/plain; charset=utf-8";
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
serve_from_directory(gateway_exchange_t *exchange, const char *directory, const char *relative,
                     const char *cache_control)
{
    if (!safe_relative(relative))
        return false;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", directory, relative);
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
    gateway_reply_file(exchange, 200, content_type_of(path), data, size, true, cache_control);
    free(data);
    return true;
}

/* The workbench: / is its page, anything else a file of its build. */
static bool
serve_workbench(gateway_t *gw, gateway_exchange_t *exchange, const char *path)
{
    bool page = strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0;
    const char *relative = page ? "index.html" : path + 1;
    bool hashed = strncmp(relative, "assets/", 7) == 0;
    /* Its page, its assets, and files beside the page (an icon): never a
     * route's path, which has a slash after its first. */
    if (!page && !hashed && (strchr(relative, '/') || !strchr(relative, '.')))
        return false;
    if (!serve_from_directory(exchange, gw->workbench_dir, relative,
                              hashed ? "public, max-age=31536000, immutable" : "no-cache"))
        return false;
    gateway_exchange_name(exchange, page ? "GET /" : hashed ? "GET /assets" : "GET /workbench");
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
    bool dashboard = strcmp(path, "/dashboard") == 0 || strncmp(path, "/dashboard/", 11) == 0;
    if (gw->workbench_dir[0] && !dashboard)
        return serve_workbench(gw, exchange, path);
    if (strcmp(path, "/") == 0 || strcmp(path, "/dashboard") == 0 || strcmp(path, "/dashboard/") == 0)
        relative = "index.html";
    else if (strncmp(path, "/dashboard/", 11) == 0)
        relative = path + 11;
    else
        return false;
    gateway_exchange_name(exchange, "GET /dashboard");
    if (gw->dashboard_dir[0])
        return serve_from_directory(exchange, gw->dashboard_dir, relative, NULL);
    char full[512];
    snprintf(full, sizeof full, "/dashboard/%s", relative);
    const gateway_file_t *file = gateway_file_find(full);
    if (!file)
        return false;
    gateway_reply_text(exchange, 200, file->content_type, file->data, file->size, false);
    return true;
}
