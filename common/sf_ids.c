/* The rules of the suite's identifiers: credit codes, identity numbers,
 * phones and serial ids. */
#include "sf_ids.h"
#include "sf_dates.h"
#include "sf_server.h"
#include "sf_text.h"
#include <stdio.h>
#include <string.h>

/* GB 32100-2015: 31 characters, the digits and the capitals without I, O, S,
 * V and Z, valued 0-30 in this order. */
static const char credit_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int credit_weights[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };

static int
credit_value(char c)
{
    const char *at = c ? strchr(credit_alphabet, c) : NULL;
    return at ? (int) (at - credit_alphabet) : -1;
}

char
sf_credit_code_check_char(const char *body17)
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int value = credit_value(body17[i]);
        if (value < 0)
            return 0;
        sum += value * credit_weights[i];
    }
    return credit_alphabet[(31 - sum % 31) % 31];
}

bool
sf_credit_code_valid(const char *code)
{
    if (!code || strlen(code) != SF_CREDIT_CODE_LENGTH)
        return false;
    for (int i = 2; i < 8; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    char check = sf_credit_code_check_char(code);
    return check && check == code[17];
}

/* --- identity numbers --------------------------------------------------------- */

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

char
sf_id_number_check_char(const char *first17)
{
    static const int weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    static const char check[11] = { '1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2' };
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (first17[i] - '0') * weights[i];
    return check[sum % 11];
}

bool
sf_id_number_normalise(const char *number, char out[SF_ID_NUMBER_SIZE])
{
    out[0] = 0;
    if (!number || strlen(number) != SF_ID_NUMBER_LENGTH || !all_digits(number, 17))
        return false;
    char last = number[17] == 'x' ? 'X' : number[17];
    if (!((last >= '0' && last <= '9') || last == 'X'))
        return false;
    int year = digits_value(number + 6, 4), month = digits_value(number + 10, 2), day = digits_value(number + 12, 2);
    if (!sf_date_valid(year, month, day) || !sf_date_not_future(sf_days_from_civil(year, month, day)))
        return false;
    if (sf_id_number_check_char(number) != last)
        return false;
    memcpy(out, number, 17);
    out[17] = last;
    out[18] = 0;
    return true;
}

void
sf_id_number_mask(const char *normalised, char out[SF_ID_NUMBER_SIZE])
{
    memcpy(out, normalised, 6);
    memset(out + 6, '*', 8);
    memcpy(out + 14, normalised + 14, 4);
    out[18] = 0;
}

void
sf_id_number_birth_date(const char *normalised, char out[11])
{
    /* Byte counts are exact: a normalised number is ASCII digits (and a
     * final X), checked by sf_id_number_normalise. */
    snprintf(out, 11, "%.4s-%.2s-%.2s", normalised + 6, normalised + 10, normalised + 12);
}

bool
sf_id_number_male(const char *normalised)
{
    return (normalised[16] - '0') % 2 == 1;
}

/* --- phones ------------------------------------------------------------------- */

bool
sf_phone_mobile(const char *phone)
{
    return phone && strlen(phone) == 11 && phone[0] == '1' && phone[1] >= '3' && all_digits(phone, 11);
}

/* The digits at text, at most max of them: how many. */
static size_t
digit_run(const char *text, size_t max)
{
    size_t n = 0;
    while (n <= max && text[n] >= '0' && text[n] <= '9')
        n++;
    return n;
}

/* Whether a landline's local number (and extension) follows at text. */
static bool
local_and_extension(const char *text)
{
    size_t local = digit_run(text, 8);
    if (local < 7 || local > 8)
        return false;
    text += local;
    if (!*text)
        return true;
    size_t extension = text[0] == '-' ? digit_run(text + 1, 6) : 0;
    return extension >= 1 && extension <= 6 && !text[1 + extension];
}

bool
sf_phone_valid(const char *phone)
{
    if (!phone)
        return false;
    if (sf_phone_mobile(phone))
        return true;
    if (phone[0] != '0')
        return false;
    size_t digits = digit_run(phone, 20);
    if (phone[digits] == '-' && (digits == 3 || digits == 4))
        return local_and_extension(phone + digits + 1);
    /* Without a dash the area code's length is told by the local number's:
     * either split that leaves 7 or 8 digits will do, as both are valid. */
    for (size_t area = 3; area <= 4; area++)
        if (all_digits(phone, area) && local_and_extension(phone + area))
            return true;
    return false;
}

/* 11 characters, 1 then digits or the stars of a mask: a mobile number,
 * masked or not, or one stored before the rule. Masking a mask then gives
 * it back unchanged (a reply's phone may be masked before its event's). */
static bool
mobile_shaped(const char *phone)
{
    if (strlen(phone) != 11 || phone[0] != '1')
        return false;
    for (int i = 1; i < 11; i++)
        if (phone[i] != '*' && (phone[i] < '0' || phone[i] > '9'))
            return false;
    return true;
}

void
sf_phone_mask(const char *phone, char *out, size_t size)
{
    size_t length = phone ? strlen(phone) : 0;
    if (size == 0)
        return;
    if (length == 0 || length + 1 > size) {
        out[0] = 0;
        return;
    }
    if (mobile_shaped(phone)) {
        snprintf(out, size, "%.3s****%s", phone, phone + 7);   /* ASCII: mobile_shaped checked it */
        return;
    }
    /* The area code before the first dash and the last 4 digits stay;
     * every other digit becomes '*'. Short text keeps none: 4 of 7 digits
     * would give most of it away. */
    const char *dash = strchr(phone, '-');
    size_t keep_head = dash && length >= 8 ? (size_t) (dash - phone) : 0;
    size_t digits_seen = 0;
    for (size_t i = length; i-- > 0;) {
        bool digit = phone[i] >= '0' && phone[i] <= '9';
        if (digit)
            digits_seen++;
        out[i] = !digit || i < keep_head || (digits_seen <= 4 && length >= 8) ? phone[i] : '*';
    }
    out[length] = 0;
}

bool
sf_call_check_phone(sf_call_t *call, const char *field, const char *phone)
{
    if (!phone || !*phone || sf_phone_valid(phone))
        return true;
    sf_call_violation(call, field, "must be a mobile number (11 digits: 1, then 3-9, then 9 more) or a landline"
                                   " with its area code (0532-88881234, an extension after a dash)");
    return false;
}

/* --- serial ids ---------------------------------------------------------------- */

bool
sf_serial_id_parse(const char *id, char letter, int64_t *serial)
{
    if (!id || id[0] != letter)
        return false;
    size_t length = strlen(id + 1);
    if (length == 0 || length > 18 || !all_digits(id + 1, length))
        return false;
    int64_t value = 0;
    for (const char *c = id + 1; *c; c++)
        value = value * 10 + (*c - '0');
    *serial = value;
    return value > 0;
}

void
sf_serial_id_format(char letter, int width, int64_t serial, char *out, size_t size)
{
    snprintf(out, size, "%c%0*lld", letter, width, (long long) serial);
}

/* --- personal data shown masked ------------------------------------------------ */

/* Appends text to out at *at if it fits whole; false when it does not. */
static bool
mask_append(char *out, size_t size, size_t *at, const char *text, size_t length)
{
    if (*at + length + 1 > size)
        return false;
    memcpy(out + *at, text, length);
    *at += length;
    out[*at] = 0;
    return true;
}

/* The byte length of the UTF-8 character at text (1 for a stray byte). */
static size_t
char_length(const char *text)
{
    size_t n = sf_utf8_prefix_chars(text, 1);
    return n ? n : 1;
}

void
sf_name_mask(const char *name, char *out, size_t size)
{
    if (!size)
        return;
    out[0] = 0;
    if (!name || !*name)
        return;
    size_t at = 0, first = char_length(name);
    if (!mask_append(out, size, &at, name, first))
        return;
    for (const char *c = name + first; *c; c += char_length(c))
        if (!mask_append(out, size, &at, "*", 1))
            return;
}

void
sf_birth_date_mask(const char *date, char *out, size_t size)
{
    if (!size)
        return;
    out[0] = 0;
    if (!date || !*date)
        return;
    snprintf(out, size, "%.4s-**-**", date);
}

void
sf_address_mask(const char *address, char *out, size_t size)
{
    if (!size)
        return;
    out[0] = 0;
    if (!address || !*address)
        return;
    size_t at = 0, length = strlen(address), kept = sf_utf8_prefix_chars(address, 6);
    /* Already masked: the same mask. */
    if (length >= 4 && strcmp(address + length - 4, "****") == 0 && length - 4 <= kept) {
        mask_append(out, size, &at, address, length);
        return;
    }
    /* Six characters or fewer show nothing: the kept part would be all. */
    if (kept < length)
        mask_append(out, size, &at, address, kept);
    mask_append(out, size, &at, "****", 4);
}
