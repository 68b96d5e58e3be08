/* The intake daemon's settings table (beside the service loop's). */
#include "intake_settings.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Registration numbers are <prefix><YYYYMMDD>-<id>: the prefix stays plain. */
static bool
registration_prefix_valid(const char *value, char *why, size_t why_size)
{
    if (strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == strlen(value))
        return true;
    snprintf(why, why_size, "\"%.40s\" is not capital letters and digits", value);
    return false;
}

/* "intake" or "intake@<department>": lower case, digits and '-'. */
static bool
instance_valid(const char *name, size_t length)
{
    if (length < 6 || length >= 96 || strncmp(name, "intake", 6) != 0)
        return false;
    if (length == 6)
        return true;
    if (name[6] != '@' || length == 7)
        return false;
    for (size_t i = 7; i < length; i++)
        if (!(islower((unsigned char) name[i]) || isdigit((unsigned char) name[i]) || name[i] == '-'))
            return false;
    return true;
}

static bool
handoff_peers_valid(const char *value, char *why, size_t why_size)
{
    size_t n = 0;
    for (const char *at = value; *at;) {
        at += strspn(at, " ,");
        size_t length = strcspn(at, " ,");
        if (!length)
            break;
        if (!instance_valid(at, length)) {
            snprintf(why, why_size, "\"%.*s\" is not intake or intake@<department> (lower case, digits and '-')",
                     (int) (length < 96 ? length : 96), at);
            return false;
        }
        if (++n > INTAKE_HANDOFF_PEERS_MAX) {
            snprintf(why, why_size, "at most %d instances", INTAKE_HANDOFF_PEERS_MAX);
            return false;
        }
        at += length;
    }
    return true;
}

/* The hand-off rule's entries (intake_handoff_rule.h): a unit code prefix
 * is at most a household's 18 digits. */
#define UNIT_PREFIX_MAX 18
#define DEPARTMENT_CODE_MAX 64

int
intake_owns_entry_kind(const char *entry, size_t length)
{
    if (length == 1 && entry[0] == '*')
        return 3;
    size_t digits = 0, letters = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char) entry[i];
        if (isdigit(c))
            digits++;
        else if (islower(c))
            letters++;
        else if (c != '-')
            return 0;
    }
    if (digits == length)
        return length <= UNIT_PREFIX_MAX ? 2 : 0;
    return letters && length < DEPARTMENT_CODE_MAX && entry[0] != '-' && entry[length - 1] != '-' ? 1 : 0;
}

bool
intake_owns_valid(const char *value, char *why, size_t why_size)
{
    for (const char *at = value; *at;) {
        at += strspn(at, " ,");
        size_t length = strcspn(at, " ,");
        if (!length)
            break;
        if (!intake_owns_entry_kind(at, length)) {
            snprintf(why, why_size, "\"%.*s\" is neither a department's code (lower case, digits and '-'), a unit"
                     " code prefix (digits) nor \"*\"", (int) (length < 64 ? length : 64), at);
            return false;
        }
        at += length;
    }
    return true;
}

#define T intake_config_t
const sf_var_t intake_settings[] = {
    SF_ZONE("SIFANG_INTAKE_TIMEZONE", T, timezone, "Asia/Shanghai",
            "the district's time zone: working days, deadlines, registration dates"),
    SF_TEXT("SIFANG_INTAKE_REGISTRATION_PREFIX", T, registration_prefix, "SF", registration_prefix_valid,
            "registration numbers: <prefix><YYYYMMDD>-<case id>; up to 15 capital letters and digits"),
    SF_DURATION("SIFANG_INTAKE_DUPLICATE_WINDOW_HOURS", T, duplicate_window_hours, "72", "hours", 0, 8760,
                "an open case of the same household and item received within this window is a possible duplicate"),
    SF_DURATION("SIFANG_INTAKE_STREET_ESCALATION_HOURS", T, street_escalation_hours, "24", "hours", 1, 8760,
                "an overdue case escalated to its community goes to its street after this many more hours"),
    SF_DURATION("SIFANG_INTAKE_DUE_SOON_HOURS", T, due_soon_hours, "24", "hours", 1, 8760,
                "the backlog board's \"due soon\" horizon"),
    SF_DURATION("SIFANG_INTAKE_SWEEP_MS", T, sweep_ms, "60000", "ms", 50, 86400000, "how often the deadline sweep runs"),
    SF_DURATION("SIFANG_INTAKE_IMPORT_GRACE_S", T, import_grace_s, "600", "s", 0, 86400,
                "an imported case is judged by the sweep only this long after its import (its later steps may follow)"),
    SF_BOOLEAN("SIFANG_INTAKE_FOLLOW_GRID", T, follow_grid, "true",
               "keep the reference copy of grid's zones, households and staff"),
    SF_DURATION("SIFANG_INTAKE_GRID_POLL_MS", T, grid_poll_ms, "2000", "ms", 50, 3600000,
                "how often to poll grid's events besides its notices"),
    SF_BOOLEAN("SIFANG_INTAKE_VOLUNTEER", T, use_volunteer, "true",
               "dispatch convenience cases through the volunteer registry (false: the station names providers)"),
    SF_DURATION("SIFANG_INTAKE_VOLUNTEER_POLL_MS", T, volunteer_poll_ms, "1000", "ms", 50, 3600000,
                "how often to poll the registry's events and make pending offers"),
    SF_DURATION("SIFANG_INTAKE_DISPATCH_MINUTES", T, dispatch_minutes, "60", "minutes", 1, 1440,
                "the length of a dispatch asked of the registry"),
    SF_INTEGER("SIFANG_INTAKE_SEND_BACK_MINUTES", T, send_back_minutes, "120", 1, 2880,
               "an assignee may send a case back (退单) only within this many working minutes of its assignment"),
    SF_INTEGER("SIFANG_INTAKE_EXTENSION_MAX_COUNT", T, extension_max_count, "2", 1, 10,
               "extensions (延期) granted to one case at most"),
    SF_INTEGER("SIFANG_INTAKE_EXTENSION_MAX_DAYS", T, extension_max_days, "15", 1, 365,
               "working days of extension granted to one case at most, in all"),
    SF_DURATION("SIFANG_INTAKE_REMIND_BEFORE_HOURS", T, remind_before_hours, "4", "hours", 1, 720,
                "the sweep reminds (催办) the handler of an open case this many hours before it is due"),
    SF_DURATION("SIFANG_INTAKE_REMIND_AFTER_HOURS", T, remind_after_hours, "4", "hours", 0, 720,
                "and again this many hours after it fell due, while it is still open"),
    SF_INTEGER("SIFANG_INTAKE_CALENDAR_WARN_DAYS", T, calendar_warn_days, "42", 1, 366,
               "warn (log, Sys.Stats, a notice to the district's staff) this many days before a year without"
               " a working-day calendar begins"),
    SF_CHECKED("SIFANG_GRID_ENDPOINT", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7101", "grid's ROUTER"),
    SF_CHECKED("SIFANG_GRID_PUBLISH", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7102", "grid's PUB"),
    SF_CHECKED("SIFANG_GRID_PUBLIC_KEY_FILE", SF_SETTING_PATH, NULL, "grid's CURVE public key (with CURVE)"),
    SF_CHECKED("SIFANG_VOLUNTEER_ENDPOINT", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7131",
               "the volunteer registry's ROUTER"),
    SF_CHECKED("SIFANG_VOLUNTEER_PUBLISH", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7132", "the registry's PUB"),
    SF_CHECKED("SIFANG_VOLUNTEER_PUBLIC_KEY_FILE", SF_SETTING_PATH, NULL,
               "the registry's CURVE public key (with CURVE)"),
    SF_BOOLEAN("SIFANG_INTAKE_EMPLOYMENT", T, use_employment, "true",
               "follow employment's answers to the registrations it is sent (就业失业登记, 就业困难人员认定)"),
    SF_CHECKED("SIFANG_EMPLOYMENT_ENDPOINT", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7121", "employment's ROUTER"),
    SF_CHECKED("SIFANG_EMPLOYMENT_PUBLISH", SF_SETTING_ENDPOINT, "tcp://127.0.0.1:7122", "employment's PUB"),
    SF_CHECKED("SIFANG_EMPLOYMENT_PUBLIC_KEY_FILE", SF_SETTING_PATH, NULL, "employment's CURVE public key (with CURVE)"),
    SF_TEXT("SIFANG_INTAKE_HANDOFF_PEERS", T, handoff_peers, "", handoff_peers_valid,
            "the intake instances this one hands cases to and takes them from (HandoffCase), separated by"
            " blanks: \"intake\" or \"intake@<department>\", e.g. \"intake@civil-affairs\""),
    { .name = "SIFANG_HANDOFF_<INSTANCE>_ENDPOINT", .type = SF_SETTING_ENDPOINT,
      .description = "each hand-off peer's ROUTER; <INSTANCE> is the instance upper-cased with '@' and '-' as '_'"
                     " (intake@civil-affairs -> SIFANG_HANDOFF_INTAKE_CIVIL_AFFAIRS_ENDPOINT); required for each" },
    SF_CHECKED("SIFANG_HANDOFF_<INSTANCE>_PUBLIC_KEY_FILE", SF_SETTING_PATH, NULL,
               "each hand-off peer's CURVE public key, named the same way (with CURVE)"),
    SF_TEXT("SIFANG_INTAKE_OWNS", T, owns, "", intake_owns_valid,
            "the hand-off rule: the cases this instance handles, separated by blanks or commas: departments'"
            " codes (an item routed to one), unit code prefixes (a case's place) or \"*\"; empty: \"*\" for"
            " intake, <department> for intake@<department>"),
    { .name = "SIFANG_HANDOFF_<INSTANCE>_OWNS", .type = SF_SETTING_TEXT, .check = intake_owns_valid,
      .description = "each hand-off peer's cases under the rule, as SIFANG_INTAKE_OWNS (empty: its default)" },
    { .name = NULL },
};
