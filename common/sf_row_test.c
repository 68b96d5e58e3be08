/* Rows read into messages by field name: every kind of field a reader
 * meets, NULLs, and the column it leaves off at. The rows are built with
 * libpq's own result constructors, as the server would send them. */
#include "sf_row.h"
#include "sf_test.h"
#include "sifang/v1/employment.pb-c.h"
#include "sifang/v1/evaluation.pb-c.h"
#include <math.h>
#include <string.h>

/* A result of text columns named c0, c1 ..., one row, NULL where values[i] is. */
static PGresult *
one_row(const char *const *values, int n)
{
    PGresult *result = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    PGresAttDesc columns[16];
    char names[16][16];
    memset(columns, 0, sizeof columns);
    for (int i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "c%d", i);
        columns[i].name = names[i];
        columns[i].format = 0;
        columns[i].typid = 25;   /* text */
        columns[i].typlen = -1;
        columns[i].atttypmod = -1;
    }
    SF_CHECK(PQsetResultAttrs(result, n, columns));
    for (int i = 0; i < n; i++)
        SF_CHECK(PQsetvalue(result, 0, i, (char *) values[i], values[i] ? (int) strlen(values[i]) : -1));
    return result;
}

int
main(void)
{
    const char *exam_row[] = { "x", "17", "370202199001011234", "4-03-02-01", "3", "2026-03-01", "81", "59", "f",
                               NULL, "1790000000123" };
    PGresult *result = one_row(exam_row, 11);
    Sifang__V1__ExamResult exam = SIFANG__V1__EXAM_RESULT__INIT;
    int next = sf_row_read(result, 0, 1, &exam.base,
                           "id resident_id occupation_code grade exam_date theory_score practical_score passed"
                           " certificate_number created_unix_ms");
    SF_CHECK_EQ_INT(next, 11);
    SF_CHECK_EQ_INT(exam.id, 17);
    SF_CHECK_EQ_STR(exam.resident_id, "370202199001011234");
    SF_CHECK_EQ_STR(exam.occupation_code, "4-03-02-01");
    SF_CHECK_EQ_INT(exam.grade, SIFANG__V1__SKILL_GRADE__SKILL_GRADE_ADVANCED);
    SF_CHECK_EQ_STR(exam.exam_date, "2026-03-01");
    SF_CHECK_EQ_INT(exam.theory_score, 81);
    SF_CHECK_EQ_INT(exam.practical_score, 59);
    SF_CHECK(!exam.passed);
    SF_CHECK_EQ_STR(exam.certificate_number, "");      /* NULL reads as "" */
    SF_CHECK_EQ_INT(exam.created_unix_ms, INT64_C(1790000000123));
    /* Part of a row, the rest left to the reader; blanks between names are one. */
    Sifang__V1__ExamResult part = SIFANG__V1__EXAM_RESULT__INIT;
    SF_CHECK_EQ_INT(sf_row_read(result, 0, 8, &part.base, "  passed  certificate_number "), 10);
    SF_CHECK(!part.passed);
    SF_CHECK_EQ_INT(part.id, 0);
    PQclear(result);

    const char *value_row[] = { "cases_open", "370205", "2026-12", "12.5", "t" };
    result = one_row(value_row, 5);
    Sifang__V1__FactValue value = SIFANG__V1__FACT_VALUE__INIT;
    SF_CHECK_EQ_INT(sf_row_read(result, 0, 0, &value.base, "fact unit_code period value"), 4);
    SF_CHECK_EQ_STR(value.fact, "cases_open");
    SF_CHECK_EQ_STR(value.unit_code, "370205");
    SF_CHECK_EQ_STR(value.period, "2026-12");
    SF_CHECK(fabs(value.value - 12.5) < 1e-12);
    Sifang__V1__ExamResult passed = SIFANG__V1__EXAM_RESULT__INIT;
    SF_CHECK_EQ_INT(sf_row_read(result, 0, 4, &passed.base, "passed"), 5);
    SF_CHECK(passed.passed);
    PQclear(result);
    return sf_test_done();
}
