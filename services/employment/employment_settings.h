/* The employment daemon's settings: what it reads from the environment,
 * declared in employment_settings (the table --help and the docs come from). */
#ifndef EMPLOYMENT_SETTINGS_H
#define EMPLOYMENT_SETTINGS_H

#include "sf_config.h"

/* The import lanes' most (employment_lanes.c). */
#define EMP_LANES_MAX 8

typedef struct {
    int circle_m;
    int working_age_min;
    int retirement_age_men;
    int retirement_age_women;
    int import_max_bytes;
    int import_max_lines;
    int import_lanes;
    char timezone[64];
    int grid_poll_ms;
} employment_settings_t;

extern const sf_var_t employment_settings[];

#endif
