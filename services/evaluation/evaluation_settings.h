/* The evaluation daemon's settings: what it reads from the environment,
 * declared in evaluation_settings (the table --help and the docs come from). */
#ifndef EVALUATION_SETTINGS_H
#define EVALUATION_SETTINGS_H

#include "sf_config.h"

#define EVALUATION_SOURCES_DEFAULT "grid intake employment volunteer"

typedef struct {
    char sources[1024];
    char level[16];                 /* SIFANG_EVALUATION_LEVEL: "district" or "city" */
    int poll_ms;
    int page_size;
    char timezone[64];
} evaluation_settings_t;

extern const sf_var_t evaluation_settings[];

#endif
