/* JSON-lines logging: each call writes one complete line to stderr. */
#include "sf_log.h"
#include "sf_config.h"
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static char log_service[64] = "sifang";
static sf_log_level_t log_threshold = SF_LOG_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
sf_log_init(const char *service)
{
    snprintf(log_service, sizeof log_service, "%s", service ? service : "sifang");
    sf_process_settings_t settings;   /* SIFANG_LOG_LEVEL, one of level_names */
    sf_process_settings_read(&settings);
    for (int i = SF_LOG_DEBUG; i <= SF_LOG_ERROR; i++)
        if (strcasecmp(settings.log_level, level_names[i]) == 0)
            log_threshold = (sf_log_level_t) i;
}

void
sf_log_set_level(sf_log_level_t level)
{
    log_threshold = level;
}

void
sf_log(sf_log_level_t level, const char *msg, ...)
{
    if (level < log_threshold)
        return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char stamp[40];
    size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + n, sizeof stamp - n, ".%03ldZ", now.tv_nsec / 1000000);

    cJSON *line = cJSON_CreateObject();
    if (!line)
        return;
    cJSON_AddStringToObject(line, "time", stamp);
    cJSON_AddStringToObject(line, "level", level_names[level]);
    cJSON_AddStringToObject(line, "service", log_service);
    cJSON_AddStringToObject(line, "msg", msg ? msg : "");
    va_list args;
    va_start(args, msg);
    for (;;) {
        const char *key = va_arg(args, const char *);
        if (!key)
            break;
        const char *value = va_arg(args, const char *);
        if (value && !cJSON_HasObjectItem(line, key))
            cJSON_AddStringToObject(line, key, value);
    }
    va_end(args);
    char *text = cJSON_PrintUnformatted(line);
    if (text) {
        /* One fputs per line so concurrent threads never interleave a line. */
        size_t len = strlen(text);
        char *with_newline = malloc(len + 2);
        if (with_newline) {
            memcpy(with_newline, text, len);
            with_newline[len] = '\n';
            with_newline[len + 1] = 0;
            fputs(with_newline, stderr);
            free(with_newline);
        }
        free(text);
    }
    cJSON_Delete(line);
}
