/* The evaluation daemon's settings table (beside the service loop's). The
 * list of sources is checked whole by eval_sources_configure at start,
 * which also names each source's endpoints. */
#include "evaluation_settings.h"

#define T evaluation_settings_t
const sf_var_t evaluation_settings[] = {
    SF_TEXT("SIFANG_EVALUATION_SOURCES", T, sources, EVALUATION_SOURCES_DEFAULT, NULL,
            "the source instances followed, separated by blanks: <service> or <service>@<department>,"
            " e.g. \"grid intake intake@civil-affairs employment volunteer\""),
    { .name = "SIFANG_<INSTANCE>_ENDPOINT", .type = SF_SETTING_ENDPOINT, .fallback_note = "the service's default",
      .description = "each source's ROUTER; <INSTANCE> is the instance upper-cased with '@' and '-' as '_'"
                     " (intake@civil-affairs -> SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT); required for an instance"
                     " with '@'" },
    { .name = "SIFANG_<INSTANCE>_PUBLISH", .type = SF_SETTING_ENDPOINT, .fallback_note = "the service's default",
      .description = "each source's PUB, named the same way" },
    SF_CHECKED("SIFANG_<INSTANCE>_PUBLIC_KEY_FILE", SF_SETTING_PATH, NULL,
               "each source's CURVE public key, named the same way"),
    SF_DURATION("SIFANG_EVALUATION_POLL_MS", T, poll_ms, "1000", "ms", 10, 3600000,
                "how often each source is polled besides its notices"),
    SF_INTEGER("SIFANG_EVALUATION_PAGE_SIZE", T, page_size, "500", 1, 10000,
               "events applied per transaction while catching up"),
    SF_INTEGER("SIFANG_EVALUATION_UTC_OFFSET_MINUTES", T, utc_offset_minutes, "480", -720, 840,
               "the district's time zone, in minutes east of UTC, for days and periods (China: 480)"),
    { .name = NULL },
};
