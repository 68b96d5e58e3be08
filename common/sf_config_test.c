/* Settings from the environment: the typed tables (every kind, bounds,
 * defaults, a bad value's message naming the variable, --help), whole
 * numbers for the tools, and the shape of a time zone name and an endpoint. */
#include "sf_config.h"
#include "sf_test.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    int count;
    int wait_ms;
    double ratio;
    bool on;
    char level[8];
    char zone[64];
    char endpoint[64];
    char path[64];
    char word[8];
} example_t;

static bool
no_digits(const char *value, char *why, size_t why_size)
{
    if (!strpbrk(value, "0123456789"))
        return true;
    snprintf(why, why_size, "holds a digit");
    return false;
}

static const sf_var_t example[] = {
    SF_INTEGER("SIFANG_T_COUNT", example_t, count, "7", 1, 10, "a count"),
    SF_DURATION("SIFANG_T_WAIT_MS", example_t, wait_ms, "500", "ms", 50, 60000, "a wait"),
    SF_NUMBER("SIFANG_T_RATIO", example_t, ratio, "0.5", 0.1, 2, "a ratio"),
    SF_BOOLEAN("SIFANG_T_ON", example_t, on, "true", "a switch"),
    SF_ENUM("SIFANG_T_LEVEL", example_t, level, "info", "debug info warn error", "a level"),
    SF_ZONE("SIFANG_T_ZONE", example_t, zone, "Asia/Shanghai", "a zone"),
    SF_ENDPOINT("SIFANG_<SVC>_ENDPOINT", example_t, endpoint, "tcp://127.0.0.1:1", "where"),
    SF_PATH("SIFANG_T_PATH", example_t, path, "a file"),
    SF_TEXT("SIFANG_T_WORD", example_t, word, "abc", no_digits, "a word"),
    SF_CHECKED("SIFANG_<PEER>_T_KEY", SF_SETTING_PATH, NULL, "each peer's key"),
    { .name = NULL },
};

static const char *const names[] = {
    "SIFANG_T_COUNT", "SIFANG_T_WAIT_MS", "SIFANG_T_RATIO", "SIFANG_T_ON", "SIFANG_T_LEVEL", "SIFANG_T_ZONE",
    "SIFANG_DEMO_ENDPOINT", "SIFANG_T_PATH", "SIFANG_T_WORD", "SIFANG_A_T_KEY",
};

/* Loads example with name=value (NULL: all unset); the error, or "" when it loads. */
static const char *
load_with(const char *name, const char *value, example_t *out)
{
    static char error[512];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unsetenv(names[i]);
    if (name)
        setenv(name, value, 1);
    memset(out, 0x5a, sizeof *out);
    error[0] = 0;
    if (sf_settings_load(example, "demo", out, error, sizeof error) != 0 && !error[0])
        snprintf(error, sizeof error, "failed without a reason");
    return error;
}

static void
check_typed_tables(void)
{
    example_t got;
    /* Defaults, every kind; unset text without a default is empty. */
    SF_CHECK_EQ_STR(load_with(NULL, NULL, &got), "");
    SF_CHECK_EQ_INT(got.count, 7);
    SF_CHECK_EQ_INT(got.wait_ms, 500);
    SF_CHECK(got.ratio == 0.5);
    SF_CHECK(got.on);
    SF_CHECK_EQ_STR(got.level, "info");
    SF_CHECK_EQ_STR(got.zone, "Asia/Shanghai");
    SF_CHECK_EQ_STR(got.endpoint, "tcp://127.0.0.1:1");
    SF_CHECK_EQ_STR(got.path, "");
    SF_CHECK_EQ_STR(got.word, "abc");

    /* Good values are stored; bounds are inclusive. */
    SF_CHECK_EQ_STR(load_with("SIFANG_T_COUNT", "10", &got), "");
    SF_CHECK_EQ_INT(got.count, 10);
    SF_CHECK_EQ_STR(load_with("SIFANG_T_RATIO", "2", &got), "");
    SF_CHECK(got.ratio == 2);
    SF_CHECK_EQ_STR(load_with("SIFANG_T_ON", "Off", &got), "");
    SF_CHECK(!got.on);
    SF_CHECK_EQ_STR(load_with("SIFANG_T_LEVEL", "WARN", &got), "");
    SF_CHECK_EQ_STR(got.level, "WARN");
    SF_CHECK_EQ_STR(load_with("SIFANG_DEMO_ENDPOINT", "ipc:///tmp/x.sock", &got), "");
    SF_CHECK_EQ_STR(got.endpoint, "ipc:///tmp/x.sock");
    SF_CHECK_EQ_STR(load_with("SIFANG_T_PATH", "/", &got), "");
    SF_CHECK_EQ_STR(got.path, "/");
    SF_CHECK_EQ_STR(load_with("SIFANG_A_T_KEY", "/", &got), "");

    /* A bad value: the variable named, and why. */
    SF_CHECK_EQ_STR(load_with("SIFANG_T_COUNT", "4x2", &got),
                    "SIFANG_T_COUNT: \"4x2\" is not a whole number (whole number 1..10)");
    SF_CHECK_EQ_STR(load_with("SIFANG_T_COUNT", "11", &got), "SIFANG_T_COUNT: 11 is out of bounds (whole number 1..10)");
    SF_CHECK_EQ_STR(load_with("SIFANG_T_COUNT", "0", &got), "SIFANG_T_COUNT: 0 is out of bounds (whole number 1..10)");
    SF_CHECK_EQ_STR(load_with("SIFANG_T_COUNT", "99999999999999999999", &got),
                    "SIFANG_T_COUNT: \"99999999999999999999\" is not a whole number (whole number 1..10)");
    SF_CHECK_EQ_STR(load_with("SIFANG_T_WAIT_MS", "49", &got),
                    "SIFANG_T_WAIT_MS: 49 is out of bounds (milliseconds 50..60000)");
    SF_CHECK_EQ_STR(load_with("SIFANG_T_RATIO", "nan", &got),
                    "SIFANG_T_RATIO: \"nan\" is not a number (number 0.1..2)");
    SF_CHECK_EQ_STR(load_with("SIFANG_T_RATIO", "0.05", &got), "SIFANG_T_RATIO: 0.05 is out of bounds (number 0.1..2)");
    SF_CHECK_EQ_STR(load_with("SIFANG_T_ON", "maybe", &got),
                    "SIFANG_T_ON: \"maybe\" is not a switch: true or false (yes/no, on/off, 1/0)");
    SF_CHECK_EQ_STR(load_with("SIFANG_T_LEVEL", "loud", &got),
                    "SIFANG_T_LEVEL: \"loud\" is not one of: debug info warn error");
    SF_CHECK_EQ_STR(load_with("SIFANG_T_LEVEL", "debugx", &got),
                    "SIFANG_T_LEVEL: \"debugx\" is not one of: debug info warn error");
    SF_CHECK_EQ_STR(load_with("SIFANG_T_ZONE", "../../etc/passwd", &got),
                    "SIFANG_T_ZONE: \"../../etc/passwd\" is not a time zone name such as Asia/Shanghai");
    SF_CHECK_EQ_STR(load_with("SIFANG_DEMO_ENDPOINT", "127.0.0.1:7101", &got),
                    "SIFANG_DEMO_ENDPOINT: \"127.0.0.1:7101\" is not an endpoint: tcp://host:port, ipc://path or"
                    " inproc://name");
    SF_CHECK_EQ_STR(load_with("SIFANG_T_PATH", "/no/such/file", &got),
                    "SIFANG_T_PATH: /no/such/file: No such file or directory");
    SF_CHECK_EQ_STR(load_with("SIFANG_A_T_KEY", "/no/such/key", &got),
                    "SIFANG_A_T_KEY: /no/such/key: No such file or directory");
    SF_CHECK_EQ_STR(load_with("SIFANG_T_WORD", "ab1", &got), "SIFANG_T_WORD: holds a digit");
    SF_CHECK_EQ_STR(load_with("SIFANG_T_WORD", "abcdefgh", &got), "SIFANG_T_WORD: longer than 7 bytes");
    /* Checking alone (no struct) refuses the same. */
    unsetenv("SIFANG_T_WORD");
    setenv("SIFANG_T_COUNT", "x", 1);
    char error[256];
    SF_CHECK(sf_settings_load(example, "demo", NULL, error, sizeof error) == -1);
    SF_CHECK(strncmp(error, "SIFANG_T_COUNT: ", 16) == 0);
    unsetenv("SIFANG_T_COUNT");

    SF_CHECK(sf_endpoint_valid("tcp://*:7101"));
    SF_CHECK(sf_endpoint_valid("tcp://[::1]:0"));
    SF_CHECK(sf_endpoint_valid("inproc://x"));
    SF_CHECK(!sf_endpoint_valid("tcp://host"));
    SF_CHECK(!sf_endpoint_valid("tcp://host:70000"));
    SF_CHECK(!sf_endpoint_valid("tcp://host:1 "));
    SF_CHECK(!sf_endpoint_valid("ipc://"));

    /* --help: every setting, <SVC> filled in, its kind and default. */
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    sf_settings_help(out, example, "demo");
    fclose(out);
    SF_CHECK(strstr(text, "  SIFANG_T_COUNT                     a count [whole number 1..10] (default: 7)\n") != NULL);
    SF_CHECK(strstr(text, "  SIFANG_T_WAIT_MS                   a wait [milliseconds 50..60000] (default: 500)\n")
             != NULL);
    SF_CHECK(strstr(text, "  SIFANG_T_LEVEL                     a level [one of: debug info warn error] (default: info)\n")
             != NULL);
    SF_CHECK(strstr(text, "  SIFANG_DEMO_ENDPOINT               where [endpoint] (default: tcp://127.0.0.1:1)\n") != NULL);
    SF_CHECK(strstr(text, "  SIFANG_T_PATH                      a file [path]\n") != NULL);
    SF_CHECK(strstr(text, "  SIFANG_<PEER>_T_KEY                each peer's key [path]\n") != NULL);
    for (const sf_var_t *s = example; s->name; s++)
        SF_CHECK(strstr(text, strcmp(s->name, "SIFANG_<SVC>_ENDPOINT") ? s->name : "SIFANG_DEMO_ENDPOINT") != NULL);
    free(text);
}

/* What common code reads in any process: a tool's bad value counts as
 * unset (the default), a path is handed on as given, and every field is a
 * variable of the table. */
static void
check_process_settings(void)
{
    sf_process_settings_t settings;
    unsetenv("SIFANG_CURVE_CLIENT_KEY_FILE");
    setenv("SIFANG_CURVE_SECRET_KEY_FILE", "/no/such/service.key", 1);
    setenv("SIFANG_CURVE_ALLOWLIST", "", 1);
    setenv("SIFANG_CLIENT_TIMEOUT_MS", "250", 1);
    setenv("SIFANG_LOG_LEVEL", "WARN", 1);
    sf_process_settings_read(&settings);
    SF_CHECK_EQ_STR(settings.curve_secret_key_file, "/no/such/service.key");
    SF_CHECK_EQ_STR(settings.curve_allowlist, "");
    SF_CHECK_EQ_STR(settings.curve_client_key_file, "");
    SF_CHECK_EQ_INT(settings.client_timeout_ms, 250);
    SF_CHECK_EQ_STR(settings.log_level, "WARN");
    setenv("SIFANG_CLIENT_TIMEOUT_MS", "0", 1);
    setenv("SIFANG_LOG_LEVEL", "loud", 1);
    sf_process_settings_read(&settings);
    SF_CHECK_EQ_INT(settings.client_timeout_ms, 3000);
    SF_CHECK_EQ_STR(settings.log_level, "info");
    /* The same values stop a daemon: the table refuses them by name. */
    char error[512];
    SF_CHECK(sf_settings_load(sf_process_settings, "demo", NULL, error, sizeof error) == -1);
    SF_CHECK_EQ_STR(error, "SIFANG_CURVE_SECRET_KEY_FILE: /no/such/service.key: No such file or directory");
    unsetenv("SIFANG_CURVE_SECRET_KEY_FILE");
    SF_CHECK(sf_settings_load(sf_process_settings, "demo", NULL, error, sizeof error) == -1);
    SF_CHECK_EQ_STR(error, "SIFANG_CLIENT_TIMEOUT_MS: 0 is out of bounds (milliseconds 1..600000)");
    unsetenv("SIFANG_CURVE_ALLOWLIST");
    unsetenv("SIFANG_CLIENT_TIMEOUT_MS");
    unsetenv("SIFANG_LOG_LEVEL");
    sf_process_settings_read(&settings);
    SF_CHECK_EQ_INT(settings.client_timeout_ms, 3000);
    SF_CHECK_EQ_STR(settings.log_level, "info");
    SF_CHECK_EQ_STR(settings.curve_secret_key_file, "");
    setenv("SIFANG_GRID_PUBLIC_KEY_FILE", "/keys/grid.pub", 1);
    setenv("SIFANG_GRID_DATABASE_URL", "dbname=x", 1);
    SF_CHECK_EQ_STR(sf_service_public_key_file("grid"), "/keys/grid.pub");
    SF_CHECK_EQ_STR(sf_service_database_url("grid"), "dbname=x");
    SF_CHECK(sf_service_public_key_file("intake") == NULL);
    unsetenv("SIFANG_GRID_PUBLIC_KEY_FILE");
    unsetenv("SIFANG_GRID_DATABASE_URL");
    SF_CHECK(sf_service_database_url("grid") == NULL);
}

/* The one rule for a schema name, the service loop's and the gateway's. */
static void
check_schema_names(void)
{
    char why[256];
    SF_CHECK(sf_schema_name_valid("grid", why, sizeof why));
    SF_CHECK(sf_schema_name_valid("intake_2", why, sizeof why));
    SF_CHECK(sf_schema_name_valid("_x", why, sizeof why));
    char longest[65];
    memset(longest, 'a', 64);
    longest[63] = 0;
    SF_CHECK(sf_schema_name_valid(longest, why, sizeof why));
    longest[63] = 'a';
    longest[64] = 0;
    SF_CHECK(!sf_schema_name_valid(longest, why, sizeof why));
    SF_CHECK(!sf_schema_name_valid("", why, sizeof why));
    SF_CHECK(!sf_schema_name_valid("2grid", why, sizeof why));
    SF_CHECK(!sf_schema_name_valid("Gate-way", why, sizeof why));
    SF_CHECK_EQ_STR(why, "\"Gate-way\" is not a schema name: lower-case letters, digits and _, not led by a digit");
}

int
main(void)
{
    check_schema_names();
    check_typed_tables();
    check_process_settings();
    setenv("SIFANG_TEST_NUMBER", "42", 1);
    SF_CHECK_EQ_INT(sf_env_int("SIFANG_TEST_NUMBER", 7), 42);
    setenv("SIFANG_TEST_NUMBER", "4x2", 1);
    SF_CHECK_EQ_INT(sf_env_int("SIFANG_TEST_NUMBER", 7), 7);
    setenv("SIFANG_TEST_NUMBER", "", 1);
    SF_CHECK_EQ_INT(sf_env_int("SIFANG_TEST_NUMBER", 7), 7);
    SF_CHECK_EQ_STR(sf_env("SIFANG_TEST_NUMBER", "fallback"), "fallback");
    unsetenv("SIFANG_TEST_NUMBER");
    SF_CHECK_EQ_INT(sf_env_int("SIFANG_TEST_NUMBER", -3), -3);

    SF_CHECK(sf_zone_name_valid("Asia/Shanghai"));
    SF_CHECK(sf_zone_name_valid("Etc/GMT-14"));
    SF_CHECK(sf_zone_name_valid("America/Port-au-Prince"));
    SF_CHECK(sf_zone_name_valid("+08:00"));
    SF_CHECK(sf_zone_name_valid("UTC"));
    SF_CHECK(!sf_zone_name_valid(""));
    SF_CHECK(!sf_zone_name_valid(NULL));
    SF_CHECK(!sf_zone_name_valid("/etc/localtime"));
    SF_CHECK(!sf_zone_name_valid("../../etc/passwd"));
    SF_CHECK(!sf_zone_name_valid("Asia/../../etc/passwd"));
    SF_CHECK(!sf_zone_name_valid("Asia/Shanghai'; DROP TABLE x"));
    SF_CHECK(!sf_zone_name_valid("Asia Shanghai"));
    SF_CHECK(!sf_zone_name_valid("亚洲/上海"));
    SF_CHECK(sf_zone_name_valid("Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));    /* 63 */
    SF_CHECK(!sf_zone_name_valid("Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));   /* 64 */
    return sf_test_done();
}
