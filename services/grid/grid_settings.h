/* The grid daemon's settings: what it reads from the environment, declared
 * in grid_settings (the table --help and the docs come from). */
#ifndef GRID_SETTINGS_H
#define GRID_SETTINGS_H

#include "sf_config.h"

typedef struct {
    char id_hash_key_file[512];   /* "" = the development key */
} grid_settings_t;

extern const sf_var_t grid_settings[];

#endif
