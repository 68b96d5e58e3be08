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
    SF_DURATION("SIFANG_VOLUNTEER_GRID_POLL_MS", T, grid_poll_ms, "1000", "ms", 10, 3600000,
                "how often to poll grid's events besides its notices"),
    SF_INTEGER("SIFANG_VOLUNTEER_GRID_PAGE_SIZE", T, grid_page_size, "1000", 1, 10000,
               "grid events applied per transaction"),
    SF_CHECKED("SIFANG_GRID_ENDPOINT", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7101", "grid's ROUTER (its events are followed)"),
    SF_CHECKED("SIFANG_GRID_PUBLISH", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7102", "grid's PUB"),
    { .name = NULL },
};
