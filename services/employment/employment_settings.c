/* The employment daemon's settings table (beside the service loop's). */
#include "employment_settings.h"

#define T employment_settings_t
const sf_var_t employment_settings[] = {
    SF_INTEGER("SIFANG_EMPLOYMENT_CIRCLE_M", T, circle_m, "1500", 1, 100000,
               "radius in metres of the fifteen-minute employment circle: matches within it rank first"),
    SF_INTEGER("SIFANG_EMPLOYMENT_WORKING_AGE_MIN", T, working_age_min, "16", 10, 100,
               "youngest age at which a person may register"),
    SF_INTEGER("SIFANG_EMPLOYMENT_RETIREMENT_AGE_MEN", T, retirement_age_men, "60", 10, 100,
               "men of this age or older are not of working age"),
    SF_INTEGER("SIFANG_EMPLOYMENT_RETIREMENT_AGE_WOMEN", T, retirement_age_women, "55", 10, 100,
               "women of this age or older are not of working age"),
    SF_INTEGER("SIFANG_EMPLOYMENT_IMPORT_MAX_BYTES", T, import_max_bytes, "1000000", 1, 64 << 20,
               "largest JSON Lines text one ImportBatch takes (also bounded by SIFANG_MAX_MESSAGE_BYTES)"),
    SF_INTEGER("SIFANG_EMPLOYMENT_IMPORT_MAX_LINES", T, import_max_lines, "10000", 1, 1000000,
               "most lines one ImportBatch takes"),
    SF_INTEGER("SIFANG_EMPLOYMENT_IMPORT_LANES", T, import_lanes, "2", 1, EMP_LANES_MAX,
               "database connections an import applies its runs in at once (one per core of PostgreSQL's)"),
    SF_ZONE("SIFANG_EMPLOYMENT_TIMEZONE", T, timezone, "Asia/Shanghai",
            "the district's time zone (a tzdata name): what today is, for dates in the future, open vacancies and"
            " placements going on"),
    SF_DURATION("SIFANG_EMPLOYMENT_GRID_POLL_MS", T, grid_poll_ms, "1000", "ms", 10, 3600000,
                "how often to poll grid's event log besides its notices"),
    SF_CHECKED("SIFANG_GRID_ENDPOINT", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7101", "grid's ROUTER, for its events"),
    SF_CHECKED("SIFANG_GRID_PUBLISH", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7102", "grid's PUB (event notices)"),
    SF_CHECKED("SIFANG_GRID_PUBLIC_KEY_FILE", SF_SETTING_PATH, NULL, "grid's CURVE public key (with CURVE)"),
    SF_CHECKED("SIFANG_INTAKE_ENDPOINT", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7111",
               "intake's ROUTER, for its resolved registrations (就业失业登记, 就业困难人员认定)"),
    SF_CHECKED("SIFANG_INTAKE_PUBLISH", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7112", "intake's PUB (event notices)"),
    SF_CHECKED("SIFANG_INTAKE_PUBLIC_KEY_FILE", SF_SETTING_PATH, NULL, "intake's CURVE public key (with CURVE)"),
    { .name = NULL },
};
