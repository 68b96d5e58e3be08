/* Validation, masking and keyed hashing of identity numbers and phones. */
#include "grid_privacy.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

const uint8_t grid_development_id_hash_key[GRID_ID_HASH_KEY_SIZE] = {
    's', 'i', 'f', 'a', 'n', 'g', '-', 'g', 'r', 'i', 'd', '-', 'd', 'e', 'v', 'e',
    'l', 'o', 'p', 'm', 'e', 'n', 't', '-', 'o', 'n', 'l', 'y', '-', 'k', 'e', 'y',
};

static bool
all_digits(const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++)
        if (text[i] < '0' || text[i] > '9')
            return false;
    return true;
}

static int
digits_value(const char *text, size_t length)
{
    int value = 0;
    for (size_t i = 0; i < length; i++)
        value = value * 10 + (text[i] - '0');
    return value;
}

bool
grid_date_valid(int year, int month, int day)
{
    static const int month_days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (year < 1900 || month < 1 || month > 12 || day < 1)
        return false;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int days = month_days[month - 1] + (month == 2 && leap ? 1 : 0);
    if (day > days)
        return false;
    /* A day of slack: the caller's "today" may be ahead of UTC. */
    time_t tomorrow = time(NULL) + 24 * 3600;
    struct tm now;
    gmtime_r(&tomorrow, &now);
    long limit = (long) (now.tm_year + 1900) * 10000 + (now.tm_mon + 1) * 100 + now.tm_mday;
    return (long) year * 10000 + month * 100 + day <= limit;
}

bool
grid_birth_date_valid(const char *text)
{
    if (!text || strlen(text) != 10 || text[4] != '-' || text[7] != '-'
        || !all_digits(text, 4) || !all_digits(text + 5, 2) || !all_digits(text + 8, 2))
        return false;
    return grid_date_valid(digits_value(text, 4), digits_value(text + 5, 2),
                           digits_value(text + 8, 2));
}

char
grid_id_number_check_char(const char *first17)
{
    static const int weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    static const char check[11] = { '1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2' };
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (first17[i] - '0') * weights[i];
    return check[sum % 11];
}

bool
grid_id_number_normalise(const char *number, char out[GRID_ID_NUMBER_SIZE])
{
    out[0] = 0;
    if (!number || strlen(number) != GRID_ID_NUMBER_LENGTH || !all_digits(number, 17))
        return false;
    char last = number[17] == 'x' ? 'X' : number[17];
    if (!((last >= '0' && last <= '9') || last == 'X'))
        return false;
    if (!grid_date_valid(digits_value(number + 6, 4), digits_value(number + 10, 2),
                         digits_value(number + 12, 2)))
        return false;
    if (grid_id_number_check_char(number) != last)
        return false;
    memcpy(out, number, 17);
    out[17] = last;
    out[18] = 0;
    return true;
}

void
grid_id_number_mask(const char *normalised, char out[GRID_ID_NUMBER_SIZE])
{
    memcpy(out, normalised, 6);
    memset(out + 6, '*', 8);
    memcpy(out + 14, normalised + 14, 4);
    out[18] = 0;
}

void
grid_id_number_birth_date(const char *normalised, char out[11])
{
    /* Byte counts are exact: a normalised number is ASCII digits (and a
     * final X), checked by grid_id_number_normalise. */
    snprintf(out, 11, "%.4s-%.2s-%.2s", normalised + 6, normalised + 10, normalised + 12);
}

int
grid_id_number_gender(const char *normalised)
{
    return (normalised[16] - '0') % 2 ? 2 : 1;
}

void
grid_id_number_hash(const uint8_t key[GRID_ID_HASH_KEY_SIZE], const char *normalised,
                    uint8_t out[GRID_ID_HASH_SIZE])
{
    crypto_auth_hmacsha256(out, (const unsigned char *) normalised, GRID_ID_NUMBER_LENGTH, key);
}

static bool
is_mobile(const char *phone)
{
    return strlen(phone) == 11 && phone[0] == '1' && all_digits(phone, 11);
}

bool
grid_phone_valid(const char *phone)
{
    if (!phone)
        return false;
    if (is_mobile(phone))
        return true;
    /* Only mobile numbers start with 1: anything else so is a mobile number
     * mistyped. */
    if (phone[0] == '1')
        return false;
    size_t length = strlen(phone);
    if (length < 7 || length > 20 || phone[0] == '-' || phone[length - 1] == '-')
        return false;
    for (size_t i = 0; i < length; i++) {
        if (phone[i] == '-') {
            if (phone[i + 1] == '-')
                return false;
        } else if (phone[i] < '0' || phone[i] > '9')
            return false;
    }
    return true;
}

void
grid_phone_mask(const char *phone, char *out, size_t size)
{
    size_t length = phone ? strlen(phone) : 0;
    if (size == 0)
        return;
    if (length == 0 || length + 1 > size) {
        out[0] = 0;
        return;
    }
    if (is_mobile(phone)) {
        snprintf(out, size, "%.3s****%s", phone, phone + 7);   /* digits: is_mobile checked them */
        return;
    }
    /* Landline: the area code before the first dash and the last 4 digits
     * stay; every other digit becomes '*'. */
    const char *dash = strchr(phone, '-');
    size_t keep_head = dash ? (size_t) (dash - phone) : 0;
    size_t digits_seen = 0;
    for (size_t i = length; i-- > 0;) {
        bool digit = phone[i] >= '0' && phone[i] <= '9';
        if (digit)
            digits_seen++;
        out[i] = !digit || i < keep_head || digits_seen <= 4 ? phone[i] : '*';
    }
    out[length] = 0;
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
