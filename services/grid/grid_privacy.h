/* Personal identifiers in grid: identity numbers hashed with a keyed hash
 * so that they are never stored in the clear and can still be looked up.
 * The rules of identity numbers (GB 11643) and phones, what is valid and
 * how they are masked, are the suite's: common's sf_ids.h, included here.
 * Nothing here logs. */
#ifndef GRID_PRIVACY_H
#define GRID_PRIVACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sf_ids.h"

#define GRID_ID_HASH_SIZE 32       /* crypto_auth_hmacsha256_BYTES */
#define GRID_ID_HASH_KEY_SIZE 32   /* crypto_auth_hmacsha256_KEYBYTES */

/* The key used when SIFANG_GRID_ID_HASH_KEY_FILE is unset: fine for a
 * development machine, never for real residents (main warns at start). */
extern const uint8_t grid_development_id_hash_key[GRID_ID_HASH_KEY_SIZE];

/* "YYYY-MM-DD" naming a date that exists, from 1900 up to today
 * (sf_date_not_future). */
bool grid_birth_date_valid(const char *text);

/* The keyed hash that stands for the number in storage and lookups. */
void grid_id_number_hash(const uint8_t key[GRID_ID_HASH_KEY_SIZE], const char *normalised,
                         uint8_t out[GRID_ID_HASH_SIZE]);

/* Reads a key file holding 64 hex characters (surrounding whitespace
 * allowed). Returns 0, or -1 with a reason (never the key) in error. */
int grid_id_hash_key_load(const char *path, uint8_t key[GRID_ID_HASH_KEY_SIZE],
                          char *error, size_t error_size);

#endif
