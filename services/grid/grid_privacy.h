/* Personal identifiers in grid: resident identity numbers (GB 11643) and
 * phone numbers are validated here, masked for replies and events, and
 * identity numbers hashed with a keyed hash so that they are never stored in
 * the clear and can still be looked up. Nothing here logs. */
#ifndef GRID_PRIVACY_H
#define GRID_PRIVACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GRID_ID_NUMBER_LENGTH 18
#define GRID_ID_NUMBER_SIZE (GRID_ID_NUMBER_LENGTH + 1)
#define GRID_ID_HASH_SIZE 32       /* crypto_auth_hmacsha256_BYTES */
#define GRID_ID_HASH_KEY_SIZE 32   /* crypto_auth_hmacsha256_KEYBYTES */
/* Enough for the mask of any phone grid accepts. */
#define GRID_PHONE_SIZE 32

/* The key used when SIFANG_GRID_ID_HASH_KEY_FILE is unset: fine for a
 * development machine, never for real residents (main warns at start). */
extern const uint8_t grid_development_id_hash_key[GRID_ID_HASH_KEY_SIZE];

/* A date that exists on the calendar, from 1900 up to today. */
bool grid_date_valid(int year, int month, int day);
/* "YYYY-MM-DD" naming a valid date (see grid_date_valid). */
bool grid_birth_date_valid(const char *text);

/* The GB 11643 check character for the first 17 digits: '0'-'9' or 'X'. */
char grid_id_number_check_char(const char *first17);
/* Writes the canonical form of number (an 'x' check character upper-cased)
 * to out and returns true when number is a valid identity number: 17 digits
 * holding a valid birth date at 7-14, then the check character. */
bool grid_id_number_normalise(const char *number, char out[GRID_ID_NUMBER_SIZE]);
/* First 6 and last 4 visible: 370205********1234. */
void grid_id_number_mask(const char *normalised, char out[GRID_ID_NUMBER_SIZE]);
/* The birth date a valid number holds, as "YYYY-MM-DD" (out of 11 bytes). */
void grid_id_number_birth_date(const char *normalised, char out[11]);
/* 1 female, 2 male (the Gender enum), from the parity of the 17th digit. */
int grid_id_number_gender(const char *normalised);
/* The keyed hash that stands for the number in storage and lookups. */
void grid_id_number_hash(const uint8_t key[GRID_ID_HASH_KEY_SIZE], const char *normalised,
                         uint8_t out[GRID_ID_HASH_SIZE]);

/* A mobile number (11 digits starting with 1) or a landline (digits and
 * single dashes, 7 to 20 characters, starting with a digit other than 1 and
 * ending with a digit). */
bool grid_phone_valid(const char *phone);
/* 138****5678 for mobiles; landlines keep their area code and last 4 digits
 * (0532-****1234). "" stays "". */
void grid_phone_mask(const char *phone, char *out, size_t size);

/* Reads a key file holding 64 hex characters (surrounding whitespace
 * allowed). Returns 0, or -1 with a reason (never the key) in error. */
int grid_id_hash_key_load(const char *path, uint8_t key[GRID_ID_HASH_KEY_SIZE],
                          char *error, size_t error_size);

#endif
