/* Identifiers of enterprises the whole suite reads: the unified social
 * credit code (统一社会信用代码, GB 32100-2015). One rule for every service
 * that takes one. */
#ifndef SF_IDS_H
#define SF_IDS_H

#include <stdbool.h>

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

#endif
