/* Keyed hashing of identity numbers, and grid's dates of birth. */
#include "grid_privacy.h"
#include "sf_dates.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

const uint8_t grid_development_id_hash_key[GRID_ID_HASH_KEY_SIZE] = {
    's', 'i', 'f', 'a', 'n', 'g', '-', 'g', 'r', 'i', 'd', '-', 'd', 'e', 'v', 'e',
    'l', 'o', 'p', 'm', 'e', 'n', 't', '-', 'o', 'n', 'l', 'y', '-', 'k', 'e', 'y',
};

bool
grid_birth_date_valid(const char *text)
{
    int32_t day;
    return sf_date_parse(text, &day) && sf_date_not_future(day);
}

void
grid_id_number_hash(const uint8_t key[GRID_ID_HASH_KEY_SIZE], const char *normalised,
                    uint8_t out[GRID_ID_HASH_SIZE])
{
    crypto_auth_hmacsha256(out, (const unsigned char *) normalised, SF_ID_NUMBER_LENGTH, key);
}

int
grid_id_hash_key_load(const char *path, uint8_t key[GRID_ID_HASH_KEY_SIZE],
                      char *error, size_t error_size)
{
    FILE *file = fopen(path, "r");
    if (!file) {
        snprintf(error, error_size, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char text[256];
    size_t length = fread(text, 1, sizeof text - 1, file);
    bool too_long = !feof(file);
    fclose(file);
    text[length] = 0;
    const char *start = text;
    while (*start == ' ' || *start == '\t' || *start == '\n' || *start == '\r')
        start++;
    size_t end = strlen(start);
    while (end > 0 && (start[end - 1] == ' ' || start[end - 1] == '\t'
                       || start[end - 1] == '\n' || start[end - 1] == '\r'))
        end--;
    size_t decoded = 0;
    int rc = 0;
    if (too_long || end != GRID_ID_HASH_KEY_SIZE * 2
        || sodium_hex2bin(key, GRID_ID_HASH_KEY_SIZE, start, end, NULL, &decoded, NULL) != 0
        || decoded != GRID_ID_HASH_KEY_SIZE) {
        snprintf(error, error_size, "%s must hold exactly %d hex characters", path,
                 GRID_ID_HASH_KEY_SIZE * 2);
        rc = -1;
    }
    sodium_memzero(text, sizeof text);
    return rc;
}
