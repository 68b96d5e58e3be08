/* The tests' HTTP client: plain sockets, Connection: close, the reply read
 * to the end (Content-Length or chunked). */
#include "http_client.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static int
connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t) port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *) &address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int
send_all(int fd, const void *data, size_t size)
{
    const char *at = data;
    while (size) {
        ssize_t sent = send(fd, at, size, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        at += sent;
        size -= (size_t) sent;
    }
    return 0;
}

/* Decodes a chunked body in place; returns its size. */
static size_t
unchunk(char *body, size_t size)
{
    size_t in = 0, out = 0;
    while (in < size) {
        char *end = NULL;
        unsigned long chunk = strtoul(body + in, &end, 16);
        char *line_end = strstr(body + in, "\r\n");
        if (!line_end || chunk == 0)
            break;
        in = (size_t) (line_end - body) + 2;
        if (in + chunk > size)
            chunk = size - in;
        memmove(body + out, body + in, chunk);
        out += chunk;
        in += chunk + 2;
    }
    body[out] = 0;
    return out;
}

static int
read_reply(int fd, int timeout_ms, http_reply_t *reply)
{
    size_t capacity = 65536, length = 0;
    char *buffer = malloc(capacity);
    if (!buffer)
        return 0;
    for (;;) {
        struct pollfd item = { fd, POLLIN, 0 };
        int ready = poll(&item, 1, timeout_ms);
        if (ready <= 0)
            break;
        if (length + 4096 > capacity) {
            capacity *= 2;
            char *grown = realloc(buffer, capacity);
            if (!grown)
                break;
            buffer = grown;
        }
        ssize_t got = recv(fd, buffer + length, capacity - length - 1, 0);
        if (got <= 0)
            break;
        length += (size_t) got;
        buffer[length] = 0;
        /* Done once Content-Length bytes of body are in. */
        char *head_end = strstr(buffer, "\r\n\r\n");
        if (head_end) {
            char *content_length = strcasestr(buffer, "\r\nContent-Length:");
            if (content_length && content_length < head_end) {
                size_t want = strtoul(content_length + 17, NULL, 10);
                if (length >= (size_t) (head_end + 4 - buffer) + want)
                    break;
            }
        }
    }
    buffer[length] = 0;
    memset(reply, 0, sizeof *reply);
    char *head_end = strstr(buffer, "\r\n\r\n");
    /* An interim "100 Continue" precedes the real reply. */
    while (head_end && strncmp(buffer, "HTTP/1.1 100", 12) == 0) {
        size_t skip = (size_t) (head_end + 4 - buffer);
        memmove(buffer, buffer + skip, length - skip + 1);
        length -= skip;
        head_end = strstr(buffer, "\r\n\r\n");
    }
    if (!head_end || sscanf(buffer, "HTTP/1.%*d %d", &reply->status) != 1) {
        reply->body = buffer;
        reply->body_size = length;
        reply->status = 0;
        return 0;
    }
    size_t head_size = (size_t) (head_end - buffer);
    snprintf(reply->head, sizeof reply->head, "%.*s", (int) head_size, buffer);
    size_t body_size = length - head_size - 4;
    memmove(buffer, head_end + 4, body_size + 1);
    if (strcasestr(reply->head, "Transfer-Encoding: chunked"))
        body_size = unchunk(buffer, body_size);
    reply->body = buffer;
    reply->body_size = body_size;
    reply->json = cJSON_ParseWithLength(buffer, body_size);
    return reply->status;
}

int
http_request(int port, const char *method, const char *path, const char *headers, const char *body,
             size_t body_size, http_reply_t *reply)
{
    memset(reply, 0, sizeof *reply);
    int fd = connect_to(port);
    if (fd < 0)
        return 0;
    char head[8192];
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s", method, path,
                     headers ? headers : "", body ? "Content-Type: application/json\r\n" : "");
    if (body)
        n += snprintf(head + n, sizeof head - (size_t) n, "Content-Length: %zu\r\n", body_size);
    n += snprintf(head + n, sizeof head - (size_t) n, "\r\n");
    int status = 0;
    if (send_all(fd, head, (size_t) n) == 0 && (!body || send_all(fd, body, body_size) == 0))
        status = read_reply(fd, 15000, reply);
    close(fd);
    return status;
}

int
http_raw(int port, const void *data, size_t size, int timeout_ms, http_reply_t *reply)
{
    memset(reply, 0, sizeof *reply);
    int fd = connect_to(port);
    if (fd < 0)
        return 0;
    int status = 0;
    if (send_all(fd, data, size) == 0) {
        shutdown(fd, SHUT_WR);
        status = read_reply(fd, timeout_ms, reply);
    }
    close(fd);
    return status;
}

int
http_begin(int port, const void *data, size_t size)
{
    int fd = connect_to(port);
    if (fd >= 0 && send_all(fd, data, size) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int
http_finish(int fd, const void *data, size_t size, http_reply_t *reply)
{
    memset(reply, 0, sizeof *reply);
    int status = 0;
    if (send_all(fd, data, size) == 0)
        status = read_reply(fd, 15000, reply);
    close(fd);
    return status;
}

const char *
http_header(const http_reply_t *reply, const char *name, char *out, size_t size)
{
    char pattern[128];
    snprintf(pattern, sizeof pattern, "\r\n%s:", name);
    const char *at = strcasestr(reply->head, pattern);
    if (!at)
        return NULL;
    at += strlen(pattern);
    while (*at == ' ')
        at++;
    size_t length = strcspn(at, "\r\n");
    snprintf(out, size, "%.*s", (int) length, at);
    return out;
}

const char *
http_error_status(const http_reply_t *reply)
{
    cJSON *error = cJSON_GetObjectItemCaseSensitive(reply->json, "error");
    cJSON *status = cJSON_GetObjectItemCaseSensitive(error, "status");
    return cJSON_IsString(status) ? status->valuestring : "";
}

int
http_has_violation(const http_reply_t *reply, const char *field)
{
    cJSON *error = cJSON_GetObjectItemCaseSensitive(reply->json, "error");
    cJSON *violation;
    cJSON_ArrayForEach(violation, cJSON_GetObjectItemCaseSensitive(error, "violations")) {
        cJSON *name = cJSON_GetObjectItemCaseSensitive(violation, "field");
        if (cJSON_IsString(name) && strcmp(name->valuestring, field) == 0)
            return 1;
    }
    return 0;
}

void
http_reply_release(http_reply_t *reply)
{
    free(reply->body);
    cJSON_Delete(reply->json);
    memset(reply, 0, sizeof *reply);
}
