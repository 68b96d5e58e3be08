/* Serving the staff workbench and the OpenAPI document. The
 * workbench is Vite's build (workbench/), read from its directory
 * (SIFANG_GATEWAY_WORKBENCH_DIR): index.html is revalidated at every load
 * (no-cache, with an ETag: 304 while it holds), so a new build is seen at
 * the next load, while the files under assets/ carry a hash of their
 * content in their names and are cached for a year. Text goes gzipped to a
 * client that takes it (gateway_http.c). The
 * OpenAPI document is built into the binary. (The old hand-drawn dashboard
 * is gone: its panels are the workbench's leader view.) */
#include "gateway.h"
#include "gateway_static.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>

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

/* index.html's validator: its size and modification time, which a new
 * build changes (a weak tag: the gzipped and the plain bytes share it). */
static void
etag_of(FILE *file, char *out, size_t size)
{
    struct stat status;
    if (fstat(fileno(file), &status) != 0) {
        out[0] = 0;
        return;
    }
    snprintf(out, size, "W/\"%llx-%llx.%09ld\"", (unsigned long long) status.st_size,
             (unsigned long long) status.st_mtim.tv_sec, (long) status.st_mtim.tv_nsec);
}

/* Whether If-None-Match names etag (or is "*"). */
static bool
still_fresh(gateway_exchange_t *exchange, const char *etag)
{
    const char *asked = gateway_exchange_header(exchange, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (!asked || !etag[0])
        return false;
    if (strcmp(asked, "*") == 0)
        return true;
    /* A list of tags; a strong form of ours ("x" for W/"x") matches too. */
    const char *bare = etag + 2;
    for (const char *at = asked; (at = strstr(at, bare)) != NULL; at += strlen(bare)) {
        char after = at[strlen(bare)];
        if (after == 0 || after == ',' || after == ' ')
            return true;
    }
    return false;
}

/* The gzip of each hashed asset, made once: a file under assets/ never
 * changes under its name, and a hundred browsers loading the workbench
 * would otherwise compress the same megabyte a hundred times (about a
 * quarter of a second of CPU each). Keyed by path, size and modification
 * time together (a file rebuilt in place is packed again). Entries are
 * never removed, so one found stays valid after the lock; past the bound,
 * files are packed per request. */
#define PACKED_MAX_BYTES (32u << 20)
#define PACKED_MAX_FILES 512

typedef struct {
    char *path;
    off_t size;
    struct timespec modified;
    char *packed;
    size_t packed_size;
} packed_file_t;

static struct {
    pthread_mutex_t lock;
    packed_file_t files[PACKED_MAX_FILES];
    size_t n;
    size_t bytes;
} packed_cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static bool
same_file(const packed_file_t *file, const char *path, const struct stat *status)
{
    return file->size == status->st_size && file->modified.tv_sec == status->st_mtim.tv_sec
        && file->modified.tv_nsec == status->st_mtim.tv_nsec && strcmp(file->path, path) == 0;
}

static const packed_file_t *
packed_find(const char *path, const struct stat *status)
{
    const packed_file_t *found = NULL;
    pthread_mutex_lock(&packed_cache.lock);
    for (size_t i = 0; i < packed_cache.n && !found; i++)
        if (same_file(&packed_cache.files[i], path, status))
            found = &packed_cache.files[i];
    pthread_mutex_unlock(&packed_cache.lock);
    return found;
}

/* Keeps packed (taken) for path; false when the cache is full (or another
 * thread kept the same file first): the caller frees it. */
static bool
packed_keep(const char *path, const struct stat *status, char *packed, size_t packed_size)
{
    bool kept = false;
    pthread_mutex_lock(&packed_cache.lock);
    bool known = false;
    for (size_t i = 0; i < packed_cache.n && !known; i++)
        known = same_file(&packed_cache.files[i], path, status);
    char *copy = NULL;
    if (!known && packed_cache.n < PACKED_MAX_FILES && packed_cache.bytes + packed_size <= PACKED_MAX_BYTES
        && (copy = strdup(path)) != NULL) {
        packed_cache.files[packed_cache.n++] = (packed_file_t) { copy, status->st_size, status->st_mtim, packed,
                                                                 packed_size };
        packed_cache.bytes += packed_size;
        kept = true;
    }
    pthread_mutex_unlock(&packed_cache.lock);
    return kept;
}

static bool
serve_from_directory(gateway_exchange_t *exchange, const char *directory, const char *relative,
                     const char *cache_control, bool tagged)
{
    if (!safe_relative(relative))
        return false;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", directory, relative);
    FILE *file = fopen(path, "rb");
    if (!file)
        return false;
    char etag[96] = "";
    if (tagged)
        etag_of(file, etag, sizeof etag);
    if (tagged && still_fresh(exchange, etag)) {
        fclose(file);
        gateway_reply_file_tagged(exchange, 304, content_type_of(path), "", 0, false, cache_control, etag);
        return true;
    }
    const char *content_type = content_type_of(path);
    struct stat status;
    bool packable = !tagged && fstat(fileno(file), &status) == 0
                 && gateway_exchange_takes_gzip(exchange, content_type, (size_t) status.st_size);
    const packed_file_t *packed = packable ? packed_find(path, &status) : NULL;
    if (packed) {
        fclose(file);
        gateway_reply_gzipped(exchange, 200, content_type, packed->packed, packed->packed_size, cache_control);
        return true;
    }
    char *data = malloc(MAX_FILE_BYTES);
    size_t size = data ? fread(data, 1, MAX_FILE_BYTES, file) : 0;
    bool ok = data && !ferror(file) && size < MAX_FILE_BYTES;
    fclose(file);
    if (!ok) {
        free(data);
        return false;
    }
    char *gzipped = NULL;
    size_t gzipped_size = 0;
    if (packable && (off_t) size == status.st_size && gateway_gzip(data, size, &gzipped, &gzipped_size)) {
        gateway_reply_gzipped(exchange, 200, content_type, gzipped, gzipped_size, cache_control);
        if (!packed_keep(path, &status, gzipped, gzipped_size))
            free(gzipped);
        free(data);
        return true;
    }
    gateway_reply_file_tagged(exchange, 200, content_type_of(path), data, size, true, cache_control,
                              etag[0] ? etag : NULL);
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
    /* Files under assets/ are named by a hash of their content: never
     * changed, cached a year. The page (and a file beside it) names the
     * current ones: asked again at every load, answered 304 while its ETag
     * holds. */
    if (!serve_from_directory(exchange, gw->workbench_dir, relative,
                              hashed ? "public, max-age=31536000, immutable" : "no-cache", !hashed))
        return false;
    gateway_exchange_name(exchange, page ? "GET /" : hashed ? "GET /assets" : "GET /workbench");
    return true;
}

/* Without a workbench (SIFANG_GATEWAY_WORKBENCH_DIR unset: an API-only
 * gateway, or one set up by hand), / says where the workbench would come
 * from rather than answering a bare 404 to a person with a browser. */
static const char no_workbench_page[] =
    "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>四方</title></head>"
    "<body style=\"font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em;line-height:1.6\">"
    "<h1>四方工作台未配置</h1>"
    "<p>本网关只提供接口（<a href=\"/openapi.json\">/openapi.json</a>）。工作台由 "
    "<code>cmake --build</code> 构建到 <code>&lt;build&gt;/workbench/dist</code>，"
    "请将 <code>SIFANG_GATEWAY_WORKBENCH_DIR</code> 设为该目录（<code>scripts/up.sh</code> 和部署文件已设置）。</p>"
    "<p lang=\"en\">The staff workbench is not configured on this gateway: set SIFANG_GATEWAY_WORKBENCH_DIR to "
    "the workbench's build (&lt;build&gt;/workbench/dist).</p></body></html>";

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
    if (gw->workbench_dir[0])
        return serve_workbench(gw, exchange, path);
    if (strcmp(path, "/") != 0)
        return false;
    gateway_exchange_name(exchange, "GET /");
    gateway_reply_text(exchange, 200, "text/html; charset=utf-8", no_workbench_page, sizeof no_workbench_page - 1,
                       false);
    return true;
}
