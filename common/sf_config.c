/* Environment-driven configuration, the default endpoints of the suite on one
 * machine, and clocks. */
#include "sf_config.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *
sf_env(const char *name, const char *fallback)
{
    const char *value = getenv(name);
    return value && *value ? value : fallback;
}

bool
sf_zone_name_valid(const char *zone)
{
    size_t length = zone ? strlen(zone) : 0;
    if (length == 0 || length > 63 || zone[0] == '/' || strstr(zone, ".."))
        return false;
    return strspn(zone, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-:") == length;
}

int64_t
sf_env_int(const char *name, int64_t fallback)
{
    const char *value = getenv(name);
    if (!value || !*value)
        return fallback;
    char *end;
    errno = 0;
    long long parsed = strtoll(value, &end, 10);
    if (errno || *end)
        return fallback;
    return parsed;
}

bool
sf_env_bool(const char *name, bool fallback)
{
    const char *value = getenv(name);
    if (!value || !*value)
        return fallback;
    return strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0
        || strcasecmp(value, "yes") == 0 || strcasecmp(value, "on") == 0;
}

void
sf_config_help(FILE *out, const char *usage, const sf_setting_t *settings)
{
    fprintf(out, "%s\n\nEnvironment:\n", usage);
    for (const sf_setting_t *s = settings; s && s->name; s++) {
        fprintf(out, "  %-34s %s", s->name, s->description);
        if (s->fallback)
            fprintf(out, " (default: %s)", s->fallback);
        fputc('\n', out);
    }
}

const char *
sf_service_env_name(char *buf, size_t size, const char *service, const char *suffix)
{
    size_t at = (size_t) snprintf(buf, size, "SIFANG_");
    for (const char *c = service; *c && at + 1 < size; c++)
        buf[at++] = *c == '-' ? '_' : (char) toupper((unsigned char) *c);
    snprintf(buf + at, size > at ? size - at : 0, "_%s", suffix);
    return buf;
}

/* Ports 7101.. for one machine: each service a pair (ROUTER, PUB). */
static const struct {
    const char *service;
    const char *endpoint;
    const char *publish;
} defaults[] = {
    { "grid", "tcp://127.0.0.1:7101", "tcp://127.0.0.1:7102" },
    { "intake", "tcp://127.0.0.1:7111", "tcp://127.0.0.1:7112" },
    { "employment", "tcp://127.0.0.1:7121", "tcp://127.0.0.1:7122" },
    { "volunteer", "tcp://127.0.0.1:7131", "tcp://127.0.0.1:7132" },
    { "evaluation", "tcp://127.0.0.1:7141", "tcp://127.0.0.1:7142" },
    { NULL, NULL, NULL },
};

const char *
sf_default_endpoint(const char *service)
{
    for (int i = 0; defaults[i].service; i++)
        if (strcmp(defaults[i].service, service) == 0)
            return defaults[i].endpoint;
    return NULL;
}

const char *
sf_default_publish(const char *service)
{
    for (int i = 0; defaults[i].service; i++)
        if (strcmp(defaults[i].service, service) == 0)
            return defaults[i].publish;
    return NULL;
}

const char *
sf_service_endpoint(const char *service)
{
    char name[96];
    return sf_env(sf_service_env_name(name, sizeof name, service, "ENDPOINT"),
                  sf_default_endpoint(service));
}

const char *
sf_service_publish(const char *service)
{
    char name[96];
    return sf_env(sf_service_env_name(name, sizeof name, service, "PUBLISH"),
                  sf_default_publish(service));
}

int64_t
sf_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
sf_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
