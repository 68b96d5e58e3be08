/* Unit tests of grid_privacy: the GB 11643 check character, normalising,
 * masking and hashing identity numbers, phones, and reading the hash key. */
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
test_check_char(void)
{
    /* The standard's own example, and numbers checked independently. */
    CHECK(grid_id_number_check_char("11010519491231002") == 'X');
    CHECK(grid_id_number_check_char("44052418800101001") == '4');
    CHECK(grid_id_number_check_char("37020519900307123") == '2');
    CHECK(grid_id_number_check_char("37020520000229456") == '0');
}

static void
test_normalise(void)
{
    char out[GRID_ID_NUMBER_SIZE];
    CHECK(grid_id_number_normalise("11010519491231002X", out) && strcmp(out, "11010519491231002X") == 0);
    /* A lower-case x is the same number: lookups must hash it the same. */
    CHECK(grid_id_number_normalise("11010519491231002x", out) && strcmp(out, "11010519491231002X") == 0);
    CHECK(grid_id_number_normalise("370205199003071232", out));
    CHECK(grid_id_number_normalise("370205200002294560", out));      /* 29 Feb 2000 */
    CHECK(!grid_id_number_normalise("370205199003071233", out));     /* wrong check */
    CHECK(!grid_id_number_normalise("11010519491231002Y", out));
    CHECK(!grid_id_number_normalise("1101051949123100X2", out));
    CHECK(!grid_id_number_normalise("11010519491231002", out));      /* 17 */
    CHECK(!grid_id_number_normalise("11010519491231002XX", out));    /* 19 */
    CHECK(!grid_id_number_normalise("", out) && out[0] == 0);
    CHECK(!grid_id_number_normalise(NULL, out));
    CHECK(!grid_id_number_normalise("440524188001010014", out));     /* born 1880 */
    /* Check characters computed for impossible dates: the date is checked. */
    char number[19];
    snprintf(number, sizeof number, "37020519990231001");
    number[17] = grid_id_number_check_char(number);
    number[18] = 0;
    CHECK(!grid_id_number_normalise(number, out));                   /* 31 Feb */
    snprintf(number, sizeof number, "37020520990101001");
    number[17] = grid_id_number_check_char(number);
    number[18] = 0;
    CHECK(!grid_id_number_normalise(number, out));                   /* future */
}

static void
test_mask_and_fields(void)
{
    char masked[GRID_ID_NUMBER_SIZE];
    grid_id_number_mask("370205199003071232", masked);
    CHECK(strcmp(masked, "370205********1232") == 0);
    grid_id_number_mask("11010519491231002X", masked);
    CHECK(strcmp(masked, "110105********002X") == 0);
    char date[11];
    grid_id_number_birth_date("370205199003071232", date);
    CHECK(strcmp(date, "1990-03-07") == 0);
    CHECK(grid_id_number_gender("370205199003071232") == 2);   /* 17th digit 3: male */
    CHECK(grid_id_number_gender("11010519491231002X") == 1);   /* 17th digit 2: female */
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
test_phone(void)
{
    CHECK(grid_phone_valid("13812345678"));
    CHECK(grid_phone_valid("0532-88881234"));
    CHECK(grid_phone_valid("88881234"));
    CHECK(grid_phone_valid("0532-8888-1234"));
    CHECK(!grid_phone_valid(""));
    CHECK(!grid_phone_valid("1381234567a"));
    CHECK(!grid_phone_valid("1381234567"));          /* a mobile number short of a digit */
    CHECK(!grid_phone_valid("138-1234-5678"));
    CHECK(!grid_phone_valid("123456"));
    CHECK(!grid_phone_valid("-0532888812"));
    CHECK(!grid_phone_valid("0532--88881234"));
    CHECK(!grid_phone_valid("0532-88881234-"));
    CHECK(!grid_phone_valid("+8613812345678"));
    CHECK(!grid_phone_valid("053288881234567890123"));
    char masked[GRID_PHONE_SIZE];
    grid_phone_mask("13812345678", masked, sizeof masked);
    CHECK(strcmp(masked, "138****5678") == 0);
    grid_phone_mask("0532-88881234", masked, sizeof masked);
    CHECK(strcmp(masked, "0532-****1234") == 0);
    grid_phone_mask("88881234", masked, sizeof masked);
    CHECK(strcmp(masked, "****1234") == 0);
    grid_phone_mask("", masked, sizeof masked);
    CHECK(strcmp(masked, "") == 0);
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
    test_check_char();
    test_normalise();
    test_mask_and_fields();
    test_hash();
    test_phone();
    test_dates();
    test_key_file();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
