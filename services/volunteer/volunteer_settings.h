/* The volunteer daemon's settings: what it reads from the environment,
 * declared in volunteer_settings (the table --help and the docs come from). */
#ifndef VOLUNTEER_SETTINGS_H
#define VOLUNTEER_SETTINGS_H

#include "sf_config.h"

typedef struct {
    double active_hours;       /* approved hours within active_days that make a volunteer active */
    int active_days;
    char timezone[64];         /* the district's: days, weekdays and availability are in it */
    double dispatch_radius_km; /* candidates farther than this are not offered */
    int dispatch_max_load;     /* candidates with this many open dispatches are not offered */
    int offer_timeout_ms;      /* an offer unanswered this long moves on (a skill may set its own) */
    int offer_attempts;        /* refusals and time-outs after which a dispatch returns to the desk */
    int offer_sweep_ms;        /* how often offers past due are looked for */
    int intake_poll_ms;
    int grid_poll_ms;
    int grid_page_size;
} volunteer_config_t;

extern const sf_var_t volunteer_settings[];

#endif
