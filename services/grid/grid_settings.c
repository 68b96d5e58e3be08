/* The grid daemon's settings table (beside the service loop's). */
#include "grid_settings.h"

const sf_var_t grid_settings[] = {
    { .name = "SIFANG_GRID_ID_HASH_KEY_FILE", .type = SF_SETTING_PATH, .fallback_note = "development key (warned)",
      .at = offsetof(grid_settings_t, id_hash_key_file) + 1, .size = sizeof(((grid_settings_t *) 0)->id_hash_key_file),
      .description = "file holding 64 hex characters: the key of the hash that stands for resident identity"
                     " numbers (keep it secret and never change it: stored hashes would no longer match);"
                     " unset = a fixed development key, with a warning" },
    { .name = NULL },
};
