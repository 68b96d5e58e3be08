/* The intake daemon's settings: what it reads from the environment, declared
 * in intake_settings (the table --help and the docs come from). */
#ifndef INTAKE_SETTINGS_H
#define INTAKE_SETTINGS_H

#include "sf_config.h"

typedef struct {
    char timezone[64];              /* SIFANG_INTAKE_TIMEZONE */
    char registration_prefix[16];   /* SIFANG_INTAKE_REGISTRATION_PREFIX */
    int duplicate_window_hours;     /* SIFANG_INTAKE_DUPLICATE_WINDOW_HOURS */
    int street_escalation_hours;    /* SIFANG_INTAKE_STREET_ESCALATION_HOURS */
    int due_soon_hours;             /* SIFANG_INTAKE_DUE_SOON_HOURS */
    int sweep_ms;                   /* SIFANG_INTAKE_SWEEP_MS */
    int import_grace_s;             /* SIFANG_INTAKE_IMPORT_GRACE_S */
    bool follow_grid;               /* SIFANG_INTAKE_FOLLOW_GRID */
    int grid_poll_ms;               /* SIFANG_INTAKE_GRID_POLL_MS */
    bool use_volunteer;             /* SIFANG_INTAKE_VOLUNTEER */
    int volunteer_poll_ms;          /* SIFANG_INTAKE_VOLUNTEER_POLL_MS */
    int dispatch_minutes;           /* SIFANG_INTAKE_DISPATCH_MINUTES */
    int remind_before_hours;        /* SIFANG_INTAKE_REMIND_BEFORE_HOURS */
    int remind_after_hours;         /* SIFANG_INTAKE_REMIND_AFTER_HOURS */
    int calendar_warn_days;         /* SIFANG_INTAKE_CALENDAR_WARN_DAYS */
    bool use_employment;            /* SIFANG_INTAKE_EMPLOYMENT */
    int send_back_minutes;          /* SIFANG_INTAKE_SEND_BACK_MINUTES */
    int extension_max_count;        /* SIFANG_INTAKE_EXTENSION_MAX_COUNT */
    int extension_max_days;         /* SIFANG_INTAKE_EXTENSION_MAX_DAYS */
    char handoff_peers[512];        /* SIFANG_INTAKE_HANDOFF_PEERS */
#define INTAKE_HANDOFF_PEERS_MAX 8
    char owns[256];                 /* SIFANG_INTAKE_OWNS */
} intake_config_t;

extern const sf_var_t intake_settings[];

/* The hand-off rule's lists (SIFANG_INTAKE_OWNS, SIFANG_HANDOFF_<INSTANCE>_OWNS:
 * intake_handoff_rule.h): an entry's kind, 0 not valid, 1 a department's
 * code, 2 a unit code prefix, 3 "*"; and a list's check. */
int intake_owns_entry_kind(const char *entry, size_t length);
bool intake_owns_valid(const char *value, char *why, size_t why_size);

#endif
