/* The evaluation daemon's settings table (beside the service loop's). The
 * list of sources is checked whole by eval_sources_configure at start,
 * which also names each source's endpoints. */
#include "evaluation_settings.h"
#include <stdio.h>

/* The offset in minutes that evaluation alone once took (the other daemons
 * always took a zone name): refused whatever its value, so that a
 * deployment still setting it learns at start that it is not read, rather
 * than counting its periods in a zone it did not ask for. */
static bool
offset_retired(const char *value, char *why, size_t why_size)
{
    (void) value;
    snprintf(why, why_size, "is no longer read: name the district's time zone in SIFANG_EVALUATION_TIMEZONE"
                            " instead (Asia/Shanghai for 480)");
    return false;
}

#define T evaluation_settings_t
const sf_var_t evaluation_settings[] = {
    SF_TEXT("SIFANG_EVALUATION_SOURCES", T, sources, EVALUATION_SOURCES_DEFAULT, NULL,
            "the source instances followed, separated by blanks: <service> or <service>@<department>,"
            " e.g. \"grid intake intake@civil-affairs employment volunteer\"; at the city level each after its"
            " district and ':', e.g. \"sifang:grid sifang:intake shinan:grid shinan:intake\""),
    { .name = "SIFANG_<INSTANCE>_ENDPOINT", .type = SF_SETTING_ENDPOINT, .fallback_note = "the service's default",
      .description = "each source's ROUTER; <INSTANCE> is the instance upper-cased with '@' and '-' as '_'"
                     " (intake@civil-affairs -> SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT); required for an instance"
                     " with '@'" },
    { .name = "SIFANG_<INSTANCE>_PUBLISH", .type = SF_SETTING_ENDPOINT, .fallback_note = "the service's default",
      .description = "each source's PUB, named the same way" },
    SF_CHECKED("SIFANG_<INSTANCE>_PUBLIC_KEY_FILE", SF_SETTING_PATH, NULL,
               "each source's CURVE public key, named the same way"),
    SF_ENUM("SIFANG_EVALUATION_LEVEL", T, level, "district", "district city",
            "district: one district's sources; city: several districts' sources, each named"
            " <district>:<instance> (\"shinan:grid\", endpoint SIFANG_SHINAN_GRID_ENDPOINT), ranked"
            " district against district by CityScorecardGet"),
    SF_DURATION("SIFANG_EVALUATION_POLL_MS", T, poll_ms, "1000", "ms", 10, 3600000,
                "how often each source is polled besides its notices"),
    SF_INTEGER("SIFANG_EVALUATION_PAGE_SIZE", T, page_size, "500", 1, 10000,
               "events applied per transaction while catching up"),
    SF_ZONE("SIFANG_EVALUATION_TIMEZONE", T, timezone, "Asia/Shanghai",
            "the district's time zone (a tzdata name): the month, half-year and year an event counts in"),
    { .name = "SIFANG_EVALUATION_UTC_OFFSET_MINUTES", .type = SF_SETTING_TEXT, .check = offset_retired,
      .description = "deprecated and refused: set SIFANG_EVALUATION_TIMEZONE instead (a value stops the daemon)" },
    { .name = NULL },
};
