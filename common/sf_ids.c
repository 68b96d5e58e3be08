/* The unified social credit code's alphabet, weights and check character. */
#include "sf_ids.h"
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
