/* Environment-driven configuration: the typed settings tables (checking,
 * storing, help), the default endpoints of the suite on one machine, and
 * clocks. */
#include "sf_config.h"
#include "sf_log.h"
#include "sf_text.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <unistd.h>
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

/* --- the typed settings tables ------------------------------------------- */

bool
sf_endpoint_valid(const char *endpoint)
{
    if (!endpoint || strpbrk(endpoint, " \t\r\n"))
        return false;
    if (strncmp(endpoint, "ipc://", 6) == 0)
        return endpoint[6] != 0;
    if (strncmp(endpoint, "inproc://", 9) == 0)
        return endpoint[9] != 0;
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return false;
    const char *host = endpoint + 6;
    const char *colon = strrchr(host, ':');
    if (!colon || colon == host)
        return false;
    const char *port = colon + 1;
    if (strcmp(port, "*") == 0)
        return true;
    size_t digits = strspn(port, "0123456789");
    return digits > 0 && digits <= 5 && port[digits] == 0 && atol(port) <= 65535;
}

bool
sf_schema_name_valid(const char *value, char *why, size_t why_size)
{
    size_t length = strlen(value);
    if (length > 0 && length < 64 && strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_") == length
        && !(value[0] >= '0' && value[0] <= '9'))
        return true;
    snprintf(why, why_size, "\"%.*s\" is not a schema name: lower-case letters, digits and _, not led by a digit",
             (int) sf_utf8_prefix(value, 64), value);
    return false;
}

/* name with <SVC> as the service in capitals ('-' as '_'). */
static void
expand_name(char *out, size_t size, const char *name, const char *service)
{
    const char *svc = service ? strstr(name, "<SVC>") : NULL;
    if (!svc) {
        snprintf(out, size, "%s", name);
        return;
    }
    char upper[64];
    size_t n = 0;
    for (const char *c = service; *c && n + 1 < sizeof upper; c++)
        upper[n++] = *c == '-' ? '_' : (char) toupper((unsigned char) *c);
    upper[n] = 0;
    snprintf(out, size, "%.*s%s%s", (int) (svc - name), name, upper, svc + 5);
}

/* A family's name: a placeholder other than <SVC> stands for any name. */
static bool
is_family(const char *name)
{
    for (const char *open = strchr(name, '<'); open; open = strchr(open + 1, '<'))
        if (strncmp(open, "<SVC>", 5) != 0)
            return true;
    return false;
}

static bool
family_matches(const char *family, const char *name)
{
    const char *open = strchr(family, '<');
    const char *close = open ? strchr(open, '>') : NULL;
    if (!close)
        return strcmp(family, name) == 0;
    size_t head = (size_t) (open - family), tail = strlen(close + 1), length = strlen(name);
    return length > head + tail && strncmp(name, family, head) == 0
        && strcmp(name + length - tail, close + 1) == 0;
}

static bool
parse_number(const sf_var_t *s, const char *text, double *out, char *why, size_t why_size)
{
    char kind[96];
    sf_setting_kind(s, kind, sizeof kind);
    char *end = NULL;
    errno = 0;
    double value;
    if (s->type == SF_SETTING_NUMBER)
        value = strtod(text, &end);
    else
        value = (double) strtoll(text, &end, 10);
    if (errno || end == text || *end || !isfinite(value)) {
        snprintf(why, why_size, "\"%.*s\" is not %s (%s)", (int) sf_utf8_prefix(text, 40), text,
                 s->type == SF_SETTING_NUMBER ? "a number" : "a whole number", kind);
        return false;
    }
    if (value < s->min || value > s->max) {
        snprintf(why, why_size, "%.*s is out of bounds (%s)", (int) sf_utf8_prefix(text, 40), text, kind);
        return false;
    }
    *out = value;
    return true;
}

static bool
parse_boolean(const char *text, bool *out)
{
    static const char *const yes[] = { "1", "true", "yes", "on" }, *const no[] = { "0", "false", "no", "off" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0)
            return *out = true, true;
        if (strcasecmp(text, no[i]) == 0)
            return *out = false, true;
    }
    return false;
}

static bool
is_choice(const char *choices, const char *text)
{
    size_t length = strlen(text);
    for (const char *c = choices; *c;) {
        size_t word = strcspn(c, " ");
        if (word == length && strncasecmp(c, text, length) == 0)
            return true;
        c += word;
        c += strspn(c, " ");
    }
    return false;
}

/* Checks text against the setting's type; stores it when target is set. */
static bool
take_value(const sf_var_t *s, const char *text, void *target, char *why, size_t why_size)
{
    double number = 0;
    bool flag = false;
    switch (s->type) {
    case SF_SETTING_INTEGER:
    case SF_SETTING_DURATION:
    case SF_SETTING_NUMBER:
        if (!parse_number(s, text, &number, why, why_size))
            return false;
        break;
    case SF_SETTING_BOOLEAN:
        if (!parse_boolean(text, &flag)) {
            snprintf(why, why_size, "\"%.*s\" is not a switch: true or false (yes/no, on/off, 1/0)",
                     (int) sf_utf8_prefix(text, 40), text);
            return false;
        }
        break;
    case SF_SETTING_ENUM:
        if (!is_choice(s->choices, text)) {
            snprintf(why, why_size, "\"%.*s\" is not one of: %s", (int) sf_utf8_prefix(text, 40), text, s->choices);
            return false;
        }
        break;
    case SF_SETTING_ZONE:
        if (!sf_zone_name_valid(text)) {
            snprintf(why, why_size, "\"%.*s\" is not a time zone name such as Asia/Shanghai",
                     (int) sf_utf8_prefix(text, 64), text);
            return false;
        }
        break;
    case SF_SETTING_ENDPOINT:
        if (!sf_endpoint_valid(text)) {
            snprintf(why, why_size, "\"%.*s\" is not an endpoint: tcp://host:port, ipc://path or inproc://name",
                     (int) sf_utf8_prefix(text, 80), text);
            return false;
        }
        break;
    case SF_SETTING_PATH:
        if (access(text, F_OK) != 0) {
            snprintf(why, why_size, "%.*s: %s", (int) sf_utf8_prefix(text, 200), text, strerror(errno));
            return false;
        }
        break;
    case SF_SETTING_TEXT:
        if (s->check && !s->check(text, why, why_size))
            return false;
        break;
    case SF_SETTING_LIBPQ:
        return true;
    }
    bool text_kind = s->type != SF_SETTING_INTEGER && s->type != SF_SETTING_DURATION
                     && s->type != SF_SETTING_NUMBER && s->type != SF_SETTING_BOOLEAN;
    if (text_kind && s->size && strlen(text) >= s->size) {
        snprintf(why, why_size, "longer than %zu bytes", s->size - 1);
        return false;
    }
    if (!target)
        return true;
    switch (s->type) {
    case SF_SETTING_INTEGER:
    case SF_SETTING_DURATION:
        *(int *) target = (int) number;
        break;
    case SF_SETTING_NUMBER:
        *(double *) target = number;
        break;
    case SF_SETTING_BOOLEAN:
        *(bool *) target = flag;
        break;
    default:
        snprintf(target, s->size, "%s", text);
    }
    return true;
}

/* Every variable of a family's shape in the environment, checked. */
static int
load_family(const sf_var_t *s, char *error, size_t error_size)
{
    extern char **environ;
    for (char **entry = environ; entry && *entry; entry++) {
        const char *equals = strchr(*entry, '=');
        char name[128];
        if (!equals || (size_t) (equals - *entry) >= sizeof name)
            continue;
        snprintf(name, sizeof name, "%.*s", (int) (equals - *entry), *entry);
        char why[384];
        if (family_matches(s->name, name) && equals[1] && !take_value(s, equals + 1, NULL, why, sizeof why)) {
            snprintf(error, error_size, "%s: %s", name, why);
            return -1;
        }
    }
    return 0;
}

int
sf_settings_load(const sf_var_t *table, const char *service, void *settings, char *error, size_t error_size)
{
    for (const sf_var_t *s = table; s && s->name; s++) {
        if (s->type == SF_SETTING_LIBPQ)
            continue;
        if (is_family(s->name)) {
            if (load_family(s, error, error_size) != 0)
                return -1;
            continue;
        }
        char name[128];
        expand_name(name, sizeof name, s->name, service);
        const char *fallback = s->fallback_of && service ? s->fallback_of(service) : s->fallback;
        const char *text = sf_env(name, fallback);
        void *target = settings && s->at ? (char *) settings + s->at - 1 : NULL;
        char why[384];
        if (!text) {
            if (target && s->size)   /* unset, no default: an empty text */
                *(char *) target = 0;
            continue;
        }
        if (!take_value(s, text, target, why, sizeof why)) {
            snprintf(error, error_size, "%s: %s", name, why);
            return -1;
        }
    }
    return 0;
}

int
sf_settings_start(int argc, char **argv, const char *service, const char *usage,
                  const sf_var_t *const *tables)
{
    if (argc >= 2) {
        if (strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0) {
            const char *slash = strrchr(argv[0], '/');
            fprintf(stderr, "%s: unknown argument %s (see --help)\n", slash ? slash + 1 : argv[0], argv[1]);
            return 2;
        }
        fprintf(stdout, "%s\n\nEnvironment:\n", usage);
        for (size_t i = 0; tables[i]; i++)
            sf_settings_help(stdout, tables[i], service);
        return 0;
    }
    char error[512];
    for (size_t i = 0; tables[i]; i++)
        if (sf_settings_load(tables[i], service, NULL, error, sizeof error) != 0) {
            /* The log's level is one of the settings: the line is an error,
             * which every level shows. */
            sf_log_init(service);
            size_t colon = strcspn(error, ":");
            char variable[128];
            snprintf(variable, sizeof variable, "%.*s", (int) colon, error);
            sf_error("bad setting", "setting", variable, "reason", error[colon] ? error + colon + 2 : error);
            return 2;
        }
    return -1;
}

/* --- the process settings ------------------------------------------------ */

#define P sf_process_settings_t
const sf_var_t sf_process_settings[] = {
    SF_PATH("SIFANG_CURVE_SECRET_KEY_FILE", P, curve_secret_key_file, "the service's CURVE keypair (enables CURVE)"),
    SF_PATH("SIFANG_CURVE_ALLOWLIST", P, curve_allowlist,
            "admitted client keys: <public-key> <principal> <role> [scope]"),
    { .name = "SIFANG_CURVE_CLIENT_KEY_FILE", .type = SF_SETTING_PATH, .fallback_note = "the service's own key",
      .at = SF_AT_TEXT_(P, curve_client_key_file), .description = "this daemon's key as a client of other services" },
    SF_CHECKED("SIFANG_<PEER>_PUBLIC_KEY_FILE", SF_SETTING_PATH, NULL,
               "a peer service's public key, for calling or following it"),
    SF_DURATION("SIFANG_CLIENT_TIMEOUT_MS", P, client_timeout_ms, "3000", "ms", 1, 600000,
                "a client's wait for each attempt (calls to peers)"),
    SF_ENUM("SIFANG_LOG_LEVEL", P, log_level, "info", "debug info warn error", "the least severe level logged"),
    { .name = NULL },
};
#undef P

void
sf_process_settings_read(sf_process_settings_t *settings)
{
    memset(settings, 0, sizeof *settings);
    for (const sf_var_t *s = sf_process_settings; s->name; s++) {
        if (!s->at)
            continue;
        void *target = (char *) settings + s->at - 1;
        sf_var_t as_read = *s;
        if (as_read.type == SF_SETTING_PATH)
            as_read.type = SF_SETTING_TEXT;   /* opened where it is used, which says why it fails */
        const char *text = sf_env(s->name, s->fallback);
        char why[384];
        if (text && take_value(&as_read, text, target, why, sizeof why))
            continue;
        if (!s->fallback || !take_value(&as_read, s->fallback, target, why, sizeof why))
            if (s->size)
                *(char *) target = 0;
    }
}

static const char *
unit_words(const char *unit)
{
    if (strcmp(unit, "ms") == 0)
        return "milliseconds";
    if (strcmp(unit, "s") == 0)
        return "seconds";
    return unit;
}

void
sf_setting_kind(const sf_var_t *s, char *out, size_t size)
{
    switch (s->type) {
    case SF_SETTING_INTEGER:
        snprintf(out, size, "whole number %.0f..%.0f", s->min, s->max);
        break;
    case SF_SETTING_DURATION:
        snprintf(out, size, "%s %.0f..%.0f", unit_words(s->unit), s->min, s->max);
        break;
    case SF_SETTING_NUMBER:
        snprintf(out, size, "number %g..%g", s->min, s->max);
        break;
    case SF_SETTING_BOOLEAN:
        snprintf(out, size, "true or false");
        break;
    case SF_SETTING_ENUM:
        snprintf(out, size, "one of: %s", s->choices);
        break;
    case SF_SETTING_ZONE:
        snprintf(out, size, "time zone name");
        break;
    case SF_SETTING_ENDPOINT:
        snprintf(out, size, "endpoint");
        break;
    case SF_SETTING_PATH:
        snprintf(out, size, "path");
        break;
    case SF_SETTING_LIBPQ:
        snprintf(out, size, "libpq");
        break;
    case SF_SETTING_TEXT:
        snprintf(out, size, "text");
        break;
    }
}

const char *
sf_setting_default(const sf_var_t *s)
{
    return s->fallback_note ? s->fallback_note : s->fallback ? s->fallback : "";
}

void
sf_settings_help(FILE *out, const sf_var_t *table, const char *service)
{
    for (const sf_var_t *s = table; s && s->name; s++) {
        char name[128], kind[96];
        expand_name(name, sizeof name, s->name, service);
        fprintf(out, "  %-34s %s", name, s->description);
        const char *fallback = s->fallback_of && service ? s->fallback_of(service) : sf_setting_default(s);
        if (s->type != SF_SETTING_TEXT && s->type != SF_SETTING_LIBPQ) {
            sf_setting_kind(s, kind, sizeof kind);
            fprintf(out, " [%s]", kind);
        }
        if (fallback && *fallback)
            fprintf(out, " (default: %s)", fallback);
        fputc('\n', out);
    }
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

const char *
sf_service_public_key_file(const char *service)
{
    char name[96];
    return sf_env(sf_service_env_name(name, sizeof name, service, "PUBLIC_KEY_FILE"), NULL);
}

const char *
sf_service_database_url(const char *service)
{
    char name[96];
    return sf_env(sf_service_env_name(name, sizeof name, service, "DATABASE_URL"), NULL);
}

const char *
sf_service_read_database_url(const char *service)
{
    char name[96];
    return sf_env(sf_service_env_name(name, sizeof name, service, "READ_DATABASE_URL"), NULL);
}

const char *
sf_service_owns(const char *service)
{
    char name[160];
    return sf_env(sf_service_env_name(name, sizeof name, service, "OWNS"), NULL);
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
