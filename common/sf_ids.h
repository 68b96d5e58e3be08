/* Identifiers the whole suite reads, one rule for every service that takes
 * one: the unified social credit code of an enterprise (统一社会信用代码,
 * GB 32100-2015), a resident's identity number (公民身份号码, GB 11643-1999),
 * phone numbers (what is accepted and how much of one a reply or event may
 * show), and the suite's serial ids ("R0000123": a letter and a serial). */
#ifndef SF_IDS_H
#define SF_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sf_call_t sf_call_t;

#define SF_CREDIT_CODE_LENGTH 18

/* The check character a 17-character body of a unified social credit code
 * must end with ('0'-'9' or one of ABCDEFGHJKLMNPQRTUWXY), or 0 when the
 * body holds a character outside the code's alphabet. The weights are
 * 3^i mod 31, the sum taken mod 31 and subtracted from 31. */
char sf_credit_code_check_char(const char *body17);
/* Whether code is a unified social credit code by GB 32100-2015: 18
 * characters from its alphabet (digits and capitals but I O S V Z), an
 * administrative division code of six digits in places 3-8 (GB/T 2260), and
 * the check character. Lower case is refused, not folded. */
bool sf_credit_code_valid(const char *code);

/* --- identity numbers (GB 11643-1999) --------------------------------------- */

#define SF_ID_NUMBER_LENGTH 18
#define SF_ID_NUMBER_SIZE (SF_ID_NUMBER_LENGTH + 1)

/* The check character for the first 17 digits: '0'-'9' or 'X' (weights
 * 2^(17-i) mod 11, the sum mod 11 read through 1 0 X 9 8 7 6 5 4 3 2). */
char sf_id_number_check_char(const char *first17);
/* Writes the canonical form of number (an 'x' check character upper-cased)
 * to out and returns true when number is an identity number: 6 digits of
 * the region, a birth date YYYYMMDD that exists, from 1900 up to tomorrow in
 * the district's calendar (a day of slack for a clock behind it), 3 digits
 * of sequence and the check character. out is "" otherwise. */
bool sf_id_number_normalise(const char *number, char out[SF_ID_NUMBER_SIZE]);
/* First 6 and last 4 visible: 370205********1234. */
void sf_id_number_mask(const char *normalised, char out[SF_ID_NUMBER_SIZE]);
/* The birth date a normalised number holds, "YYYY-MM-DD". */
void sf_id_number_birth_date(const char *normalised, char out[11]);
/* The sequence's last digit is odd for a man, even for a woman. */
bool sf_id_number_male(const char *normalised);

/* --- phones ----------------------------------------------------------------- */

/* Room for any phone the rule admits, and for its mask. */
#define SF_PHONE_SIZE 32

/* The suite's phone rule, for residents, staff and requesters alike:
 *  - a mainland mobile number: 11 digits, 1 then 3-9 then 9 digits
 *    (13812345678);
 *  - a landline with its area code: 0 and 2 or 3 digits (010, 0532), then
 *    the local number of 7 or 8 digits, a dash between them or not
 *    (0532-88881234, 053288881234), and at most one extension of 1 to 6
 *    digits after a dash (010-12345678-801).
 * No blanks, no +86 (the suite is one district's), nothing else: a number
 * without its area code cannot be dialled from a mobile. */
bool sf_phone_valid(const char *phone);
/* A mobile number by the rule above. */
bool sf_phone_mobile(const char *phone);
/* What a reply or event may show of a phone: 11 characters starting with 1
 * (a mobile) keep their first 3 and last 4 (138****5678); another number
 * keeps the area code before its first dash and its last 4 digits
 * (0532-****1234); text of fewer than 8 characters (stored before the rule)
 * shows its dashes alone. "" stays "", and so does a phone out does not
 * hold. A mask masked again is the same mask. */
void sf_phone_mask(const char *phone, char *out, size_t size);
/* A phone field: empty, or valid by sf_phone_valid; otherwise a violation
 * of field stating the rule (it never echoes the number), and false. */
bool sf_call_check_phone(sf_call_t *call, const char *field, const char *phone);

/* --- personal data shown masked ---------------------------------------------- */

/* What a caller whose duty does not reach a person sees of them (the rule of
 * every service; sf_roles.h says whose duty reaches whom). Each writes to out
 * (NUL-terminated, cut at a character, never inside one; out is not the
 * input), "" for "" or NULL; a mask masked again is the same mask. */
#define SF_MASK_SIZE 256
/* A name: its first character, then one "*" for each further character
 * (张三丰 -> 张**, Li Lei -> L*****). */
void sf_name_mask(const char *name, char *out, size_t size);
/* A birth date "YYYY-MM-DD": the year alone ("1980-**-**"). */
void sf_birth_date_mask(const char *date, char *out, size_t size);
/* An address: its first 6 characters and "****" (the street and the
 * compound, never the building, door or room); shorter text shows "****". */
void sf_address_mask(const char *address, char *out, size_t size);

/* --- serial ids --------------------------------------------------------------- */

/* Residents, staff, volunteers, teams and records are known by a letter and
 * their serial, zero-padded ("R0000123", "S00042", "V000123"). parse is
 * false unless id is the letter then 1 to 18 digits naming a positive
 * serial (*serial is set whenever id has the shape, 0 included). */
bool sf_serial_id_parse(const char *id, char letter, int64_t *serial);
/* The letter and the serial padded to width digits. */
void sf_serial_id_format(char letter, int width, int64_t serial, char *out, size_t size);

#endif
