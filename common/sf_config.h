/* Configuration from SIFANG_* environment variables, and the --help text that
 * lists them. */
#ifndef SF_CONFIG_H
#define SF_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* One setting a program reads; a table of these ends with { NULL }. */
typedef struct {
    const char *name;        /* e.g. "SIFANG_GRID_ENDPOINT" */
    const char *fallback;    /* default shown in --help; NULL = unset */
    const char *description;
} sf_setting_t;

/* The variable's value, or fallback when unset or empty. */
const char *sf_env(const char *name, const char *fallback);
/* Integer value; fallback when unset, empty or not a whole number. */
int64_t sf_env_int(const char *name, int64_t fallback);
bool sf_env_bool(const char *name, bool fallback);

/* Whether zone has a time zone name's shape, as the district's calendar
 * settings take it (SIFANG_*_TIMEZONE): an IANA name ("Asia/Shanghai") or
 * an offset ("+08:00"); letters, digits and / _ + - :, at most 63 of them,
 * neither an absolute path nor one that climbs (".."), since a name may
 * become a file's path under the zone directory. */
bool sf_zone_name_valid(const char *zone);

/* Prints "usage" then every setting with its default and description. */
void sf_config_help(FILE *out, const char *usage, const sf_setting_t *settings);

/* Per-service names: sf_service_env(buf, size, "grid", "ENDPOINT") gives
 * "SIFANG_GRID_ENDPOINT". */
const char *sf_service_env_name(char *buf, size_t size, const char *service, const char *suffix);

/* Default endpoints for running everything on one machine. */
const char *sf_default_endpoint(const char *service);  /* ROUTER, e.g. tcp://127.0.0.1:7101 */
const char *sf_default_publish(const char *service);   /* PUB,    e.g. tcp://127.0.0.1:7102 */

/* Where a client finds a service: SIFANG_<SVC>_ENDPOINT, else the default. */
const char *sf_service_endpoint(const char *service);
const char *sf_service_publish(const char *service);

/* Milliseconds since the Unix epoch and from a monotonic clock. */
int64_t sf_now_ms(void);
int64_t sf_clock_ms(void);

#endif
