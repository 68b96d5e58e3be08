/* Configuration from SIFANG_* environment variables: the typed settings
 * table each daemon declares (type, default, bounds, help), loading and
 * checking it at start, the --help text, the default endpoints and clocks.
 *
 * A daemon declares every variable it reads in a table of sf_var_t ending
 * with { .name = NULL }; sf_settings_start checks all of them before the
 * daemon does anything else and stops it with exit code 2 naming the first
 * bad one, and sf_settings_load stores them in the daemon's settings struct.
 * The same tables make --help, the README's configuration table and the
 * deployment check's list (tools/sifang_settings.c), so none of them can
 * drift from what the daemon reads. */
#ifndef SF_CONFIG_H
#define SF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What a value must look like. */
typedef enum {
    SF_SETTING_TEXT,       /* any text (a check function may narrow it) */
    SF_SETTING_INTEGER,    /* a whole number within [min, max] */
    SF_SETTING_NUMBER,     /* a decimal number within [min, max] */
    SF_SETTING_BOOLEAN,    /* true/false, yes/no, on/off, 1/0 */
    SF_SETTING_ENUM,       /* one of choices (blank-separated, any case) */
    SF_SETTING_DURATION,   /* a whole number of unit within [min, max] */
    SF_SETTING_ZONE,       /* a time zone name (sf_zone_name_valid) */
    SF_SETTING_ENDPOINT,   /* a ZeroMQ endpoint: tcp://host:port, ipc://path, inproc://name */
    SF_SETTING_PATH,       /* a file or directory that exists */
    SF_SETTING_LIBPQ,      /* libpq's own PG* variables: documented, read by libpq */
} sf_setting_type_t;

/* Narrows a TEXT setting: false with why (no variable name) to refuse. */
typedef bool (*sf_setting_check_fn)(const char *value, char *why, size_t why_size);

/* One setting a daemon reads. A name may hold <SVC>,
 * the daemon's service in capitals; any other <PLACEHOLDER> makes the entry
 * a family (SIFANG_<PEER>_PUBLIC_KEY_FILE): every variable of that shape in
 * the environment is checked against the type, none is stored. */
typedef struct {
    const char *name;          /* e.g. "SIFANG_GRID_ENDPOINT" */
    const char *fallback;      /* the default, as text; NULL = unset */
    const char *description;   /* one line of help */
    sf_setting_type_t type;
    double min, max;           /* INTEGER, NUMBER, DURATION: inclusive bounds */
    const char *choices;       /* ENUM: "debug info warn error" */
    const char *unit;          /* DURATION: "ms", "s", "minutes", "hours" */
    sf_setting_check_fn check; /* TEXT: a further rule, or NULL */
    const char *fallback_note; /* help's default when it depends on the service */
    const char *(*fallback_of)(const char *service);  /* the default per service */
    size_t at;                 /* offsetof + 1 in the settings struct; 0 = not stored */
    size_t size;               /* text kinds: the char array's size */
} sf_var_t;

/* A line of a command-line tool's help (the tools read their few settings
 * where they use them); a table of these ends with { NULL, NULL, NULL }. */
typedef struct {
    const char *name;
    const char *fallback;      /* default shown in --help; NULL = unset */
    const char *description;
} sf_setting_t;

/* Declaring a setting stored in a field of struct T. The field's C type is
 * checked at compile time (int for integers and durations, double for
 * numbers, bool for switches, a char array for the text kinds). */
#define SF_AT_INT_(T, f) (_Generic(((T *) 0)->f, int: offsetof(T, f)) + 1)
#define SF_AT_DOUBLE_(T, f) (_Generic(((T *) 0)->f, double: offsetof(T, f)) + 1)
#define SF_AT_BOOL_(T, f) (_Generic(((T *) 0)->f, bool: offsetof(T, f)) + 1)
#define SF_AT_TEXT_(T, f) (_Generic(((T *) 0)->f, char *: offsetof(T, f)) + 1), \
    .size = sizeof(((T *) 0)->f)

#define SF_INTEGER(n, T, f, def, lo, hi, text) \
    { .name = (n), .fallback = (def), .description = (text), .type = SF_SETTING_INTEGER, \
      .min = (lo), .max = (hi), .at = SF_AT_INT_(T, f) }
#define SF_DURATION(n, T, f, def, u, lo, hi, text) \
    { .name = (n), .fallback = (def), .description = (text), .type = SF_SETTING_DURATION, \
      .unit = (u), .min = (lo), .max = (hi), .at = SF_AT_INT_(T, f) }
#define SF_NUMBER(n, T, f, def, lo, hi, text) \
    { .name = (n), .fallback = (def), .description = (text), .type = SF_SETTING_NUMBER, \
      .min = (lo), .max = (hi), .at = SF_AT_DOUBLE_(T, f) }
#define SF_BOOLEAN(n, T, f, def, text) \
    { .name = (n), .fallback = (def), .description = (text), .type = SF_SETTING_BOOLEAN, \
      .at = SF_AT_BOOL_(T, f) }
#define SF_ENUM(n, T, f, def, options, text) \
    { .name = (n), .fallback = (def), .description = (text), .type = SF_SETTING_ENUM, \
      .choices = (options), .at = SF_AT_TEXT_(T, f) }
#define SF_TEXT(n, T, f, def, rule, text) \
    { .name = (n), .fallback = (def), .description = (text), .type = SF_SETTING_TEXT, \
      .check = (rule), .at = SF_AT_TEXT_(T, f) }
#define SF_ZONE(n, T, f, def, text) \
    { .name = (n), .fallback = (def), .description = (text), .type = SF_SETTING_ZONE, \
      .at = SF_AT_TEXT_(T, f) }
#define SF_ENDPOINT(n, T, f, def, text) \
    { .name = (n), .fallback = (def), .description = (text), .type = SF_SETTING_ENDPOINT, \
      .at = SF_AT_TEXT_(T, f) }
#define SF_PATH(n, T, f, text) \
    { .name = (n), .description = (text), .type = SF_SETTING_PATH, .at = SF_AT_TEXT_(T, f) }
/* Checked, not stored: read where it is used (a library, a peer's client). */
#define SF_CHECKED(n, kind, def, text) \
    { .name = (n), .fallback = (def), .description = (text), .type = (kind) }

/* Checks every setting of table (value, type, bounds) and stores each in the
 * struct at settings (NULL: check only). service fills <SVC> and the
 * per-service defaults. Returns 0, or -1 with error "NAME: why" naming the
 * first bad variable. */
int sf_settings_load(const sf_var_t *table, const char *service, void *settings,
                     char *error, size_t error_size);

/* A daemon's command line and start: --help (or -h) prints usage and every
 * table's settings and returns 0; another argument returns 2; otherwise
 * every table (NULL-terminated list) is checked, and a bad value is logged
 * as one JSON line on stderr ("bad setting", the variable, why) and returns
 * 2. Returns -1 when the daemon should go on. */
int sf_settings_start(int argc, char **argv, const char *service, const char *usage,
                      const sf_var_t *const *tables);

/* Help for one table: each setting with its kind, bounds and default.
 * service NULL leaves <SVC> as it is. */
void sf_settings_help(FILE *out, const sf_var_t *table, const char *service);
/* A tool's help: "usage" then every line with its default. */
void sf_config_help(FILE *out, const char *usage, const sf_setting_t *settings);

/* The words help and the generated docs use for a setting's kind and bounds
 * ("whole number 1..256", "milliseconds 50..86400000", "one of: a b"). */
void sf_setting_kind(const sf_var_t *setting, char *out, size_t size);
/* The default as docs show it: fallback, fallback_note or "". */
const char *sf_setting_default(const sf_var_t *setting);

/* The settings common code reads in every process, daemon or tool: this
 * process's CURVE files, a client's wait per attempt and the log's level.
 * The service loop's daemons list the table after sf_server_settings (so a
 * bad value stops them at start); sf_log, sf_client and sf_curve take the
 * values from sf_process_settings_read, never from the environment. */
typedef struct {
    char curve_secret_key_file[4096];
    char curve_allowlist[4096];
    char curve_client_key_file[4096];
    int client_timeout_ms;
    char log_level[8];
} sf_process_settings_t;
extern const sf_var_t sf_process_settings[];

/* The process settings as the environment holds them now. A daemon has
 * refused a bad value at start; in a tool a value of the wrong shape counts
 * as unset, except a path, handed on as given so that opening it says what
 * is wrong (a CURVE key never silently turns into plain TCP). */
void sf_process_settings_read(sf_process_settings_t *settings);

/* The variable's value, or fallback when unset or empty. sf_config.c is the
 * one reader of SIFANG_* variables (tests/settings/settings_readers_test.py
 * fails on another): elsewhere a setting comes from a table (sf_settings_load,
 * sf_process_settings_read) or from a per-service lookup below. */
const char *sf_env(const char *name, const char *fallback);
/* Integer value; fallback when unset, empty or not a whole number. For the
 * demo tools' seeds only: a daemon's numbers come from its table. */
int64_t sf_env_int(const char *name, int64_t fallback);

/* Whether zone has a time zone name's shape, as the district's calendar
 * settings take it (SIFANG_*_TIMEZONE): an IANA name ("Asia/Shanghai") or
 * an offset ("+08:00"); letters, digits and / _ + - :, at most 63 of them,
 * neither an absolute path nor one that climbs (".."), since a name may
 * become a file's path under the zone directory. */
bool sf_zone_name_valid(const char *zone);
/* Whether endpoint is tcp://host:port (port a number or *), ipc://path or
 * inproc://name, without blanks. */
bool sf_endpoint_valid(const char *endpoint);
/* A TEXT setting's check for a schema name, which SQL uses unquoted:
 * lower-case letters, digits and _, not led by a digit, 1 to 63 of them
 * (SIFANG_<SVC>_SCHEMA, SIFANG_GATEWAY_SCHEMA). */
bool sf_schema_name_valid(const char *value, char *why, size_t why_size);

/* Per-service names: sf_service_env(buf, size, "grid", "ENDPOINT") gives
 * "SIFANG_GRID_ENDPOINT". */
const char *sf_service_env_name(char *buf, size_t size, const char *service, const char *suffix);

/* Default endpoints for running everything on one machine. */
const char *sf_default_endpoint(const char *service);  /* ROUTER, e.g. tcp://127.0.0.1:7101 */
const char *sf_default_publish(const char *service);   /* PUB,    e.g. tcp://127.0.0.1:7102 */

/* Where a client finds a service: SIFANG_<SVC>_ENDPOINT, else the default.
 * These per-service lookups read what a table declares as a family or with
 * <SVC> (SIFANG_<PEER>_ENDPOINT, SIFANG_<PEER>_PUBLIC_KEY_FILE,
 * SIFANG_<SVC>_DATABASE_URL), whose names are known only when called. */
const char *sf_service_endpoint(const char *service);
const char *sf_service_publish(const char *service);
/* SIFANG_<SVC>_PUBLIC_KEY_FILE: the service's CURVE public key; NULL unset. */
const char *sf_service_public_key_file(const char *service);
/* SIFANG_<SVC>_DATABASE_URL: the service's libpq connection string; NULL unset. */
const char *sf_service_database_url(const char *service);
/* SIFANG_<SVC>_READ_DATABASE_URL (the read pool's: a hot standby), or NULL. */
const char *sf_service_read_database_url(const char *service);
/* SIFANG_<SVC>_OWNS: what an intake hand-off peer owns (its rule: intake's
 * SIFANG_HANDOFF_<INSTANCE>_OWNS, service "handoff_<instance>"), or NULL. */
const char *sf_service_owns(const char *service);

/* Milliseconds since the Unix epoch and from a monotonic clock. */
int64_t sf_now_ms(void);
int64_t sf_clock_ms(void);

#endif
