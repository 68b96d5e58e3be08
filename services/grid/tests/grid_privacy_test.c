/* Unit tests of grid_privacy: hashing identity numbers, dates of birth, and
 * reading the hash key (the rules of identity numbers and phones are
 * common's, tested in sf_ids_test). */
#include "grid_privacy.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int passed, failed;

#define CHECK(condition) do { \
    if (condition) passed++; \
    else { failed++; fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #condition); } \
} while (0)

static void
hex(const uint8_t *bytes, size_t size, char *out)
{
    for (size_t i = 0; i < size; i++)
        sprintf(out + 2 * i, "%02x", bytes[i]);
}

static void
test_hash(void)
{
    uint8_t first[GRID_ID_HASH_SIZE], second[GRID_ID_HASH_SIZE];
    char text[2 * GRID_ID_HASH_SIZE + 1];
    grid_id_number_hash(grid_development_id_hash_key, "11010519491231002X", first);
    grid_id_number_hash(grid_development_id_hash_key, "11010519491231002X", second);
    CHECK(memcmp(first, second, sizeof first) == 0);
    /* HMAC-SHA256 as any other implementation computes it. */
    hex(first, sizeof first, text);
    CHECK(strcmp(text, "f5b8d420490613195dd9df8f1af7aac1697daf1bfe7b9976802d0d135bc71ac8") == 0);
    uint8_t key[GRID_ID_HASH_KEY_SIZE];
    for (int i = 0; i < GRID_ID_HASH_KEY_SIZE; i++)
        key[i] = (uint8_t) ((i % 16) * 0x11);
    grid_id_number_hash(key, "11010519491231002X", second);
    hex(second, sizeof second, text);
    CHECK(strcmp(text, "f2fef32e374f6f7d9a9ec5e1ee2c1a080cdf0f054943ede9e446ab166287a663") == 0);
    CHECK(memcmp(first, second, sizeof first) != 0);
    grid_id_number_hash(grid_development_id_hash_key, "370205199003071232", second);
    CHECK(memcmp(first, second, sizeof first) != 0);
}

static void
test_dates(void)
{
    CHECK(grid_birth_date_valid("1990-03-07"));
    CHECK(grid_birth_date_valid("2000-02-29"));
    CHECK(!grid_birth_date_valid("1900-02-29"));
    CHECK(!grid_birth_date_valid("1990-13-01"));
    CHECK(!grid_birth_date_valid("1990-3-7"));
    CHECK(!grid_birth_date_valid("1990/03/07"));
    CHECK(!grid_birth_date_valid("2999-01-01"));
    CHECK(!grid_birth_date_valid(""));
}

static void
test_key_file(void)
{
    char path[] = "/tmp/grid_privacy_test_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    const char *text = "  00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t) strlen(text));
    close(fd);
    uint8_t key[GRID_ID_HASH_KEY_SIZE];
    char error[256] = "";
    CHECK(grid_id_hash_key_load(path, key, error, sizeof error) == 0);
    CHECK(key[0] == 0x00 && key[1] == 0x11 && key[31] == 0xff);

    FILE *file = fopen(path, "w");
    fputs("00112233445566778899aabbccddeeff00112233445566778899aabbccddeef", file);   /* 63 */
    fclose(file);
    CHECK(grid_id_hash_key_load(path, key, error, sizeof error) == -1);
    /* The reason names the file, never the key. */
    CHECK(strstr(error, "64 hex") != NULL && strstr(error, "0011223344") == NULL);
    file = fopen(path, "w");
    fputs("zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", file);
    fclose(file);
    CHECK(grid_id_hash_key_load(path, key, error, sizeof error) == -1);
    unlink(path);
    CHECK(grid_id_hash_key_load(path, key, error, sizeof error) == -1);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_hash();
    test_dates();
    test_key_file();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
