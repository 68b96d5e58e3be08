/* The volunteer daemon's settings table (beside the service loop's). */
#include "volunteer_settings.h"

#define T volunteer_config_t
const sf_var_t volunteer_settings[] = {
    SF_NUMBER("SIFANG_VOLUNTEER_ACTIVE_HOURS", T, active_hours, "4", 0, 10000,
              "approved hours within the active window that make a volunteer ACTIVE"),
    SF_DURATION("SIFANG_VOLUNTEER_ACTIVE_DAYS", T, active_days, "90", "days", 1, 3650, "the active window"),
    /* An IANA name or an offset: what PostgreSQL's AT TIME ZONE takes. */
    SF_ZONE("SIFANG_VOLUNTEER_TIMEZONE", T, timezone, "Asia/Shanghai",
            "the district's time zone: service days, weekdays and availability windows are in it"),
    SF_NUMBER("SIFANG_VOLUNTEER_DISPATCH_RADIUS_KM", T, dispatch_radius_km, "5", 0.1, 1000,
              "candidates farther from the zone are not offered"),
    SF_INTEGER("SIFANG_VOLUNTEER_DISPATCH_MAX_LOAD", T, dispatch_max_load, "3", 1, 100,
               "candidates with this many offered or accepted dispatches are not offered more"),
    SF_DURATION("SIFANG_VOLUNTEER_OFFER_TIMEOUT_MS", T, offer_timeout_ms, "1800000", "ms", 1, 604800000,
                "an offer not answered this long goes to the next candidate (the dispatch's, i.e. intake's item's,"
                " then the skill's offer_timeout_ms win)"),
    SF_INTEGER("SIFANG_VOLUNTEER_OFFER_ATTEMPTS", T, offer_attempts, "3", 1, 50,
               "refusals and time-outs after which a dispatch is declined and returns to the desk"),
    SF_DURATION("SIFANG_VOLUNTEER_OFFER_SWEEP_MS", T, offer_sweep_ms, "1000", "ms", 10, 3600000,
                "how often offers past their answer time are looked for"),
    SF_DURATION("SIFANG_VOLUNTEER_INTAKE_POLL_MS", T, intake_poll_ms, "1000", "ms", 10, 3600000,
                "how often to poll intake's events (return visits rate whoever served a case)"),
    SF_DURATION("SIFANG_VOLUNTEER_GRID_POLL_MS", T, grid_poll_ms, "1000", "ms", 10, 3600000,
                "how often to poll grid's events besides its notices"),
    SF_INTEGER("SIFANG_VOLUNTEER_GRID_PAGE_SIZE", T, grid_page_size, "1000", 1, 10000,
               "grid events applied per transaction"),
    SF_CHECKED("SIFANG_GRID_ENDPOINT", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7101", "grid's ROUTER (its events are followed)"),
    SF_CHECKED("SIFANG_GRID_PUBLISH", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7102", "grid's PUB"),
    SF_CHECKED("SIFANG_INTAKE_ENDPOINT", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7111",
               "intake's ROUTER (its case.closed events are followed for the return visits' ratings)"),
    SF_CHECKED("SIFANG_INTAKE_PUBLISH", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7112", "intake's PUB"),
    { .name = NULL },
};
