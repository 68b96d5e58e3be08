/* The rules of the employment-difficulty categories (就业困难人员认定), in one
 * place for every path that recognises a category: a registration (one, a
 * batch or an import line: emp_person_apply) and an update (a counsellor's,
 * an import's, or a case of intake's one registration: person_update_core).
 *
 * The Employment Promotion Law (就业促进法, art. 52) leaves who is in
 * difficulty to the provinces' rules; those the district applies and that
 * can be checked against what the service knows are:
 *  - "4050": women aged 40 or more and men aged 50 or more (女满40周岁、
 *    男满50周岁), the line the State's re-employment policy drew for older
 *    laid-off workers (中发〔2002〕12号) and the provinces' recognition rules
 *    keep; the age on the day the category is recognised, by grid's birth
 *    date and sex.
 *  - disabled: only with the disabled person's certificate (残疾人证), whose
 *    number is the holder's identity number (GB 11643) followed by the kind
 *    of disability (1 sight, 2 hearing, 3 speech, 4 physical, 5 intellectual,
 *    6 mental, 7 multiple) and its grade (1-4); the identity number's birth
 *    date must be the person's.
 *  - zero-employment household (零就业家庭): the person is out of work and no
 *    member of their household (grid's household, as employment's copy of
 *    grid knows its residents) is registered here in work, flexible work or
 *    a business of their own.
 * The other categories (long-term unemployed, low income, land lost, single
 * parent) rest on other offices' records and are taken as recognised. */
#include "employment.h"
#include "employment_codes.h"
#include "sf_ids.h"
#include <stdio.h>
#include <string.h>

#define AGE_4050_WOMEN 40
#define AGE_4050_MEN 50

static bool
in_work(int status)
{
    return status == SIFANG__V1__LABOR_STATUS__LABOR_STATUS_EMPLOYED
        || status == SIFANG__V1__LABOR_STATUS__LABOR_STATUS_FLEXIBLE
        || status == SIFANG__V1__LABOR_STATUS__LABOR_STATUS_ENTREPRENEUR;
}

bool
emp_disability_certificate_valid(const char *number)
{
    char id[SF_ID_NUMBER_SIZE];
    if (strlen(number) != SF_ID_NUMBER_LENGTH + 2)
        return false;
    char first18[SF_ID_NUMBER_SIZE];
    memcpy(first18, number, SF_ID_NUMBER_LENGTH);
    first18[SF_ID_NUMBER_LENGTH] = 0;
    if (!sf_id_number_normalise(first18, id) || strcmp(id, first18) != 0)
        return false;
    char kind = number[SF_ID_NUMBER_LENGTH], grade = number[SF_ID_NUMBER_LENGTH + 1];
    return kind >= '1' && kind <= '7' && grade >= '1' && grade <= '4';
}

bool
emp_difficulties_need_household(const Sifang__V1__DifficultyCategory *categories, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (categories[i] == SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_ZERO_EMPLOYMENT_FAMILY)
            return true;
    return false;
}

sf_status_t
emp_household_employed(sf_call_t *call, const char *resident_id, const char *household_code, char **member)
{
    *member = sf_call_strdup(call, "");
    if (!*household_code)
        return SF_OK;
    PGresult *result = emp_try(call,
        "SELECT p.resident_id FROM ref_resident r JOIN person p ON p.resident_id = r.id"
        " WHERE r.household_code = $1 AND r.id <> $2 AND p.status IN (1, 3, 4) ORDER BY r.id LIMIT 1",
        SF_PARAMS(household_code, resident_id));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 1)
        *member = sf_call_strdup(call, sf_db_text(result, 0, 0));
    PQclear(result);
    return SF_OK;
}

void
emp_difficulty_check(sf_call_t *call, emp_item_t *item, const Sifang__V1__DifficultyCategory *categories,
                     size_t n, const bool *recognised, int32_t on, const emp_difficulty_facts_t *facts)
{
    char field[64], day[11];
    sf_date_format(on, day);
    if (*facts->disability_certificate && !emp_disability_certificate_valid(facts->disability_certificate))
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "disability_certificate",
                      "must be a disabled person's certificate number: the 18-character ID number, the kind"
                      " of disability (1-7) and its grade (1-4)");
    for (size_t i = 0; i < n && emp_item_open(item); i++) {
        if (recognised && recognised[i])
            continue;   /* held already: recognised before, not again */
        snprintf(field, sizeof field, "difficulties[%zu]", i);
        switch (categories[i]) {
        case SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_AGED_4050: {
            int32_t birth = 0;
            if (!sf_date_parse(facts->birth_date, &birth)
                || (facts->gender != SIFANG__V1__GENDER__GENDER_FEMALE
                    && facts->gender != SIFANG__V1__GENDER__GENDER_MALE)) {
                emp_item_fail(call, item, SF_FAILED_PRECONDITION, field,
                              "4050 needs the person's birth date and sex, which grid does not give");
                break;
            }
            bool woman = facts->gender == SIFANG__V1__GENDER__GENDER_FEMALE;
            int line = woman ? AGE_4050_WOMEN : AGE_4050_MEN, age = emp_age_on(birth, on);
            if (age < line)
                emp_item_fail(call, item, SF_FAILED_PRECONDITION, field,
                              "4050 is for women aged %d or more and men aged %d or more: %s is %d on %s",
                              AGE_4050_WOMEN, AGE_4050_MEN, woman ? "she" : "he", age, day);
            break;
        }
        case SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_DISABLED: {
            if (!*facts->disability_certificate) {
                emp_item_fail(call, item, SF_FAILED_PRECONDITION, field,
                              "the disabled category needs the disabled person's certificate:"
                              " give disability_certificate");
                break;
            }
            char id_birth[11];
            char id[SF_ID_NUMBER_SIZE];
            memcpy(id, facts->disability_certificate, SF_ID_NUMBER_LENGTH);
            id[SF_ID_NUMBER_LENGTH] = 0;
            sf_id_number_birth_date(id, id_birth);
            if (*facts->birth_date && strcmp(id_birth, facts->birth_date) != 0)
                emp_item_fail(call, item, SF_FAILED_PRECONDITION, "disability_certificate",
                              "is of someone born on %s, not of this person (born %s)", id_birth,
                              facts->birth_date);
            break;
        }
        case SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_ZERO_EMPLOYMENT_FAMILY:
            if (!*facts->household_code)
                emp_item_fail(call, item, SF_FAILED_PRECONDITION, field,
                              "a zero-employment household needs the person's household, which grid does not give");
            else if (in_work(facts->status))
                emp_item_fail(call, item, SF_FAILED_PRECONDITION, field,
                              "a zero-employment household has no one in work, and the person is (%s)",
                              emp_status_name(facts->status));
            else if (facts->employed_member && *facts->employed_member)
                emp_item_fail(call, item, SF_FAILED_PRECONDITION, field,
                              "household %s is not a zero-employment household: %s lives there and is in work",
                              facts->household_code, facts->employed_member);
            break;
        default:
            break;
        }
    }
}
