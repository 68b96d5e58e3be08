/* The online vocational school: courses, enrolments, mock tests and the
 * results of certification exams (a pass gives the person the certificate
 * and the skill at that grade), and a person's training record. */
#include "employment.h"
#include "sf_row.h"
#include <string.h>

#define COURSE_COLUMNS \
    "c.code, c.title, COALESCE(c.occupation_code, ''), c.grade, c.hours, c.online, c.provider, " EMP_MS("c.created_at")
#define ENROLMENT_COLUMNS \
    "n.id, n.course_code, p.resident_id, n.status, " EMP_DATE("n.enrolled_on") ", " EMP_DATE("n.finished_on") ", " \
    EMP_MS("n.created_at") ", p.home_zone_code"
#define ENROLMENT_FROM "enrolment n JOIN person p ON p.serial = n.person_serial"
#define MOCK_COLUMNS "t.id, t.enrolment_id, t.score, t.max_score, " EMP_DATE("t.taken_on")
#define EXAM_COLUMNS \
    "x.id, p.resident_id, x.occupation_code, x.grade, " EMP_DATE("x.exam_date") ", x.theory_score," \
    " x.practical_score, x.passed, COALESCE(x.certificate_number, ''), " EMP_MS("x.created_at")
#define EXAM_FROM "exam_result x JOIN person p ON p.serial = x.person_serial"

static Sifang__V1__Course *
course_from_row(sf_call_t *call, const PGresult *result, int row)
{
    return sf_call_row_message(call, &sifang__v1__course__descriptor, result, row,
        "code title occupation_code grade hours online provider created_unix_ms");
}

static Sifang__V1__Enrolment *
enrolment_from_row(sf_call_t *call, const PGresult *result, int row)
{
    return sf_call_row_message(call, &sifang__v1__enrolment__descriptor, result, row,
        "id course_code resident_id status enrolled_on finished_on created_unix_ms");
}

static Sifang__V1__MockTest *
mock_from_row(sf_call_t *call, const PGresult *result, int row)
{
    return sf_call_row_message(call, &sifang__v1__mock_test__descriptor, result, row,
        "id enrolment_id score max_score taken_on");
}

static Sifang__V1__ExamResult *
exam_from_row(sf_call_t *call, const PGresult *result, int row)
{
    return sf_call_row_message(call, &sifang__v1__exam_result__descriptor, result, row,
        "id resident_id occupation_code grade exam_date theory_score practical_score passed certificate_number"
        " created_unix_ms");
}

static void
check_occupation(sf_call_t *call, const char *field, const char *code, bool required)
{
    if (!*code) {
        if (required)
            sf_call_violation(call, field, "is required");
    } else if (!emp_occupation_level(code))
        sf_call_violation(call, field, "must be an occupation code such as 4-03-02-01");
    else if (!emp_occupation_known(call, code))
        sf_call_violation(call, field, "%s is not in the occupational classification", code);
}

/* The person by resident id within the caller's view (and, to write, the
 * caller's write scope), or a refusal: one outside the view is as if there
 * were none. */
static sf_status_t
load_person(sf_call_t *call, const char *resident_id, bool write, int64_t *serial, Sifang__V1__Person **person_p)
{
    Sifang__V1__Person *person = NULL;
    sf_status_t status = emp_person_load(call, resident_id, false, &person, serial);
    if (status != SF_OK)
        return status;   /* said on the call */
    if (!person || !sf_call_covers(call, person->home_zone_code))
        return write ? sf_call_refuse(call, SF_FAILED_PRECONDITION, "resident_id", "no person %s is registered",
                                      resident_id)
                     : sf_call_fail(call, SF_NOT_FOUND, "no person %s", resident_id);
    if (write && !emp_may_write(call, person->home_zone_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the person lives outside your scope");
    if (person_p)
        *person_p = person;
    return SF_OK;
}

sf_status_t
emp_course_create(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__Course *course = (const Sifang__V1__Course *) request;
    if (!emp_ident_valid(course->code, 40))
        sf_call_violation(call, "code", *course->code ? "letters, digits and . _ - : / @, at most 40" : "is required");
    sf_call_check_text(call, "title", course->title, EMP_NAME_MAX, true);
    check_occupation(call, "occupation_code", course->occupation_code, false);
    if (course->grade < 0 || course->grade > 5)
        sf_call_violation(call, "grade", "is not a skill grade");
    if (course->hours < 1 || course->hours > 2000)
        sf_call_violation(call, "hours", "must be between 1 and 2000");
    sf_call_check_text(call, "provider", course->provider, EMP_NAME_MAX, false);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *result = sf_call_query(call,
        "INSERT INTO course AS c (code, title, occupation_code, grade, hours, online, provider)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING " COURSE_COLUMNS,
        SF_PARAMS(course->code, course->title, sf_param_text_or_null(course->occupation_code), course->grade,
                  course->hours, sf_param_bool(course->online), course->provider));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "code", "course %s exists", course->code);
    Sifang__V1__Course *stored = course_from_row(call, result, 0);
    return sf_call_emit_reply(call, reply_p, "course.created", stored->code, &stored->base);
}

sf_status_t
emp_course_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CourseListRequest *list = (const Sifang__V1__CourseListRequest *) request;
    sf_page_t page = sf_page_of(call, list->page);
    if (*list->occupation_code && !emp_occupation_level(list->occupation_code))
        sf_call_violation(call, "occupation_code", "must be an occupation code such as 4-03");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " COURSE_COLUMNS " FROM course c");
    if (*list->occupation_code) {
        int code = sf_query_text(&query, list->occupation_code);
        sf_query_where(&query, "(c.occupation_code = $%d OR c.occupation_code LIKE $%d || '-%%')", code, code);
    }
    if (list->online_only)
        sf_query_where(&query, "c.online");
    if (*page.token)
        sf_query_where(&query, "c.code > $%d", sf_query_text(&query, page.token));
    sf_query_append(&query, " ORDER BY c.code LIMIT %d", page.size + 1);
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__CourseListReply *reply = (Sifang__V1__CourseListReply *)
        sf_call_new_message(call, &sifang__v1__course_list_reply__descriptor);
    int rows = sf_page_rows(&page, result);
    reply->courses = sf_call_new_array(call, (size_t) rows, sizeof *reply->courses);
    for (int row = 0; row < rows; row++)
        reply->courses[reply->n_courses++] = course_from_row(call, result, row);
    if (sf_page_more(&page, result))
        reply->next_page_token = reply->courses[rows - 1]->code;
    *reply_p = &reply->base;
    return SF_OK;
}

sf_status_t
emp_enrolment_create(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__Enrolment *enrolment = (const Sifang__V1__Enrolment *) request;
    if (!*enrolment->course_code)
        sf_call_violation(call, "course_code", "is required");
    if (!*enrolment->resident_id)
        sf_call_violation(call, "resident_id", "is required");
    int32_t enrolled = sf_today();
    if (emp_check_date(call, "enrolled_on", enrolment->enrolled_on, &enrolled) && enrolled > sf_today())
        sf_call_violation(call, "enrolled_on", "is in the future");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    int64_t serial = 0;
    sf_status_t status = load_person(call, enrolment->resident_id, true, &serial, NULL);
    if (status != SF_OK)
        return status;
    sf_params_t *params = SF_PARAMS(enrolment->course_code);
    PGresult *course = sf_call_query(call, "SELECT 1 FROM course WHERE code = $1", params);
    if (!course)
        return sf_call_status(call);
    if (PQntuples(course) != 1)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "course_code", "no course %s", enrolment->course_code);
    char date[11];
    sf_date_format(enrolled, date);
    SF_PARAMS_ADD(params, serial, date);
    PGresult *result = sf_call_query(call,
        "INSERT INTO enrolment (course_code, person_serial, status, enrolled_on) VALUES ($1, $2, 1, $3::date)"
        " ON CONFLICT DO NOTHING RETURNING id", params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "course_code", "%s is already enrolled in %s",
                              enrolment->resident_id, enrolment->course_code);
    params = SF_PARAMS(sf_db_int(result, 0, 0));
    result = sf_call_query(call, "SELECT " ENROLMENT_COLUMNS " FROM " ENROLMENT_FROM " WHERE n.id = $1", params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__Enrolment *stored = enrolment_from_row(call, result, 0);
    return sf_call_emit_reply(call, reply_p, "enrolment.created", sf_call_printf(call, "%lld", (long long) stored->id),
                              &stored->base);
}

/* The enrolment within the caller's scope, locked; or a refusal. */
static sf_status_t
load_enrolment(sf_call_t *call, int64_t id, bool lock, Sifang__V1__Enrolment **enrolment_p)
{
    PGresult *result = sf_call_query(call, lock
        ? "SELECT " ENROLMENT_COLUMNS " FROM " ENROLMENT_FROM " WHERE n.id = $1 FOR UPDATE OF n"
        : "SELECT " ENROLMENT_COLUMNS " FROM " ENROLMENT_FROM " WHERE n.id = $1", SF_PARAMS(id));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1 || !sf_call_covers(call, sf_db_text(result, 0, 7)))
        return sf_call_fail(call, SF_NOT_FOUND, "no enrolment %lld", (long long) id);
    /* Enrolments are read here only to be written. */
    if (!emp_may_write(call, sf_db_text(result, 0, 7)))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the person lives outside your scope");
    *enrolment_p = enrolment_from_row(call, result, 0);
    return SF_OK;
}

sf_status_t
emp_enrolment_update(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__EnrolmentUpdateRequest *update = (const Sifang__V1__EnrolmentUpdateRequest *) request;
    if (update->id <= 0)
        sf_call_violation(call, "id", "is required");
    if (update->status != SIFANG__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_COMPLETED
        && update->status != SIFANG__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_WITHDRAWN)
        sf_call_violation(call, "status", "must be completed or withdrawn");
    int32_t finished = sf_today();
    if (emp_check_date(call, "finished_on", update->finished_on, &finished) && finished > sf_today())
        sf_call_violation(call, "finished_on", "is in the future");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__Enrolment *enrolment = NULL;
    sf_status_t status = load_enrolment(call, update->id, true, &enrolment);
    if (status != SF_OK)
        return status;
    if (enrolment->status != SIFANG__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_ENROLLED)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "status", "the enrolment is already finished");
    int32_t enrolled = 0;
    sf_date_parse(enrolment->enrolled_on, &enrolled);
    if (finished < enrolled)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "finished_on", "is before enrolled_on");
    char date[11];
    sf_date_format(finished, date);
    if (!sf_call_query(call, "UPDATE enrolment SET status = $2, finished_on = $3::date WHERE id = $1",
        SF_PARAMS(update->id, update->status, date)))
        return sf_call_status(call);
    status = load_enrolment(call, update->id, false, &enrolment);
    if (status != SF_OK)
        return status;
    return sf_call_emit_reply(call, reply_p, "enrolment.updated",
                              sf_call_printf(call, "%lld", (long long) enrolment->id), &enrolment->base);
}

sf_status_t
emp_mock_test_record(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__MockTest *test = (const Sifang__V1__MockTest *) request;
    int32_t max_score = test->max_score ? test->max_score : 100;
    if (test->enrolment_id <= 0)
        sf_call_violation(call, "enrolment_id", "is required");
    if (max_score < 1 || max_score > 1000)
        sf_call_violation(call, "max_score", "must be between 1 and 1000 (0 = 100)");
    else if (test->score < 0 || test->score > max_score)
        sf_call_violation(call, "score", "must be between 0 and %d", max_score);
    int32_t taken = sf_today();
    if (emp_check_date(call, "taken_on", test->taken_on, &taken) && taken > sf_today())
        sf_call_violation(call, "taken_on", "is in the future");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__Enrolment *enrolment = NULL;
    sf_status_t status = load_enrolment(call, test->enrolment_id, false, &enrolment);
    if (status != SF_OK)
        return status;
    int32_t enrolled = 0;
    sf_date_parse(enrolment->enrolled_on, &enrolled);
    if (taken < enrolled)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "taken_on", "is before the enrolment (%s)",
                              enrolment->enrolled_on);
    char date[11];
    sf_date_format(taken, date);
    PGresult *result = sf_call_query(call,
        "INSERT INTO mock_test AS t (enrolment_id, score, max_score, taken_on) VALUES ($1, $2, $3, $4::date)"
        " RETURNING " MOCK_COLUMNS, SF_PARAMS(test->enrolment_id, test->score, max_score, date));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__MockTest *stored = mock_from_row(call, result, 0);
    return sf_call_emit_reply(call, reply_p, "mock_test.recorded", sf_call_printf(call, "%lld", (long long) stored->id),
                              &stored->base);
}

sf_status_t
emp_exam_result_record(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ExamResult *exam = (const Sifang__V1__ExamResult *) request;
    if (!*exam->resident_id)
        sf_call_violation(call, "resident_id", "is required");
    check_occupation(call, "occupation_code", exam->occupation_code, true);
    if (exam->grade == 0)
        sf_call_violation(call, "grade", "is required");
    else if (exam->grade < 1 || exam->grade > 5)
        sf_call_violation(call, "grade", "is not a skill grade");
    int32_t date = 0;
    if (!*exam->exam_date)
        sf_call_violation(call, "exam_date", "is required");
    else if (emp_check_date(call, "exam_date", exam->exam_date, &date) && date > sf_today())
        sf_call_violation(call, "exam_date", "is in the future");
    if (exam->theory_score < 0 || exam->theory_score > 100)
        sf_call_violation(call, "theory_score", "must be between 0 and 100");
    if (exam->practical_score < 0 || exam->practical_score > 100)
        sf_call_violation(call, "practical_score", "must be between 0 and 100");
    /* Certification needs 60 in both parts. */
    bool passed = exam->theory_score >= 60 && exam->practical_score >= 60;
    if (passed && !emp_ident_valid(exam->certificate_number, EMP_IDENT_MAX))
        sf_call_violation(call, "certificate_number", "is required for a pass (letters, digits and . _ - : / @)");
    if (!passed && *exam->certificate_number)
        sf_call_violation(call, "certificate_number", "a failed exam gives no certificate");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    int64_t serial = 0;
    Sifang__V1__Person *person = NULL;
    sf_status_t status = load_person(call, exam->resident_id, true, &serial, &person);
    if (status != SF_OK)
        return status;
    sf_params_t *params = SF_PARAMS(serial, exam->occupation_code, exam->grade, exam->exam_date, exam->theory_score,
                                    exam->practical_score, sf_param_bool(passed),
                                    sf_param_text_or_null(passed ? exam->certificate_number : ""));
    PGresult *result = sf_call_query(call,
        "INSERT INTO exam_result (person_serial, occupation_code, grade, exam_date, theory_score, practical_score,"
        " passed, certificate_number) VALUES ($1, $2, $3, $4::date, $5, $6, $7, $8)"
        " ON CONFLICT (certificate_number) DO NOTHING RETURNING id", params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "certificate_number", "certificate %s is already recorded",
                              exam->certificate_number);
    int64_t id = sf_db_int(result, 0, 0);
    if (passed) {
        /* The certificate joins the person's, named with its grade as the
         * national scheme names it (五级/初级工 ... 一级/高级技师: migration
         * 003's skill_grade_name), and the skill its grade (a higher grade
         * held already stays). */
        sf_params_init(params);
        SF_PARAMS_ADD(params, serial, exam->certificate_number, exam->occupation_code, exam->grade, exam->exam_date);
        if (!sf_call_query(call,
                "UPDATE person SET certificates = certificates || jsonb_build_array(jsonb_build_object("
                "  'number', $2::text, 'name', (SELECT name FROM occupation WHERE code = $3) || ' '"
                "  || skill_grade_name($4::int),"
                "  'occupation_code', $3::text, 'grade', $4::int, 'issued_on', $5::text,"
                "  'issuer', '职业技能等级认定')),"
                " skill_grades = CASE WHEN $3 = ANY (skill_codes) THEN (SELECT array_agg(CASE WHEN c = $3"
                "   THEN GREATEST(g, $4::int) ELSE g END ORDER BY o) FROM unnest(skill_codes, skill_grades)"
                "   WITH ORDINALITY AS u(c, g, o)) ELSE skill_grades || $4::int END,"
                " skill_years = CASE WHEN $3 = ANY (skill_codes) THEN skill_years ELSE skill_years || 0 END,"
                " skill_codes = CASE WHEN $3 = ANY (skill_codes) THEN skill_codes ELSE skill_codes || $3::text END,"
                " version = version + 1, updated_at = now() WHERE serial = $1", params))
            return sf_call_status(call);
    }
    params = SF_PARAMS(id);
    result = sf_call_query(call, "SELECT " EXAM_COLUMNS " FROM " EXAM_FROM " WHERE x.id = $1", params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__ExamResult *stored = exam_from_row(call, result, 0);
    sf_call_emit(call, "exam_result.recorded", sf_call_printf(call, "%lld", (long long) id), &stored->base);
    if (passed) {
        Sifang__V1__Person *updated = NULL;
        status = emp_person_load(call, exam->resident_id, false, &updated, &serial);
        if (status != SF_OK || !updated)
            return status != SF_OK ? status : sf_call_fail(call, SF_INTERNAL, "internal error");
        sf_call_emit(call, "person.updated", updated->resident_id, &updated->base);
    }
    *reply_p = &stored->base;
    return SF_OK;
}

sf_status_t
emp_training_record(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__PersonKey *key = (const Sifang__V1__PersonKey *) request;
    if (!*key->resident_id)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "resident_id", "is required");
    int64_t serial = 0;
    sf_status_t status = load_person(call, key->resident_id, false, &serial, NULL);
    if (status != SF_OK)
        return status;
    sf_params_t *params = SF_PARAMS(serial);
    PGresult *enrolments = sf_call_query(call,
        "SELECT " ENROLMENT_COLUMNS " FROM " ENROLMENT_FROM " WHERE n.person_serial = $1 ORDER BY n.id", params);
    PGresult *tests = enrolments ? sf_call_query(call,
        "SELECT " MOCK_COLUMNS " FROM mock_test t JOIN enrolment n ON n.id = t.enrolment_id"
        " WHERE n.person_serial = $1 ORDER BY t.id", params) : NULL;
    PGresult *exams = tests ? sf_call_query(call,
        "SELECT " EXAM_COLUMNS " FROM " EXAM_FROM " WHERE x.person_serial = $1 ORDER BY x.id", params) : NULL;
    if (!exams)
        return sf_call_status(call);
    Sifang__V1__TrainingRecordReply *reply = (Sifang__V1__TrainingRecordReply *)
        sf_call_new_message(call, &sifang__v1__training_record_reply__descriptor);
    reply->enrolments = sf_call_new_array(call, (size_t) PQntuples(enrolments), sizeof *reply->enrolments);
    for (int row = 0; row < PQntuples(enrolments); row++)
        reply->enrolments[reply->n_enrolments++] = enrolment_from_row(call, enrolments, row);
    reply->mock_tests = sf_call_new_array(call, (size_t) PQntuples(tests), sizeof *reply->mock_tests);
    for (int row = 0; row < PQntuples(tests); row++)
        reply->mock_tests[reply->n_mock_tests++] = mock_from_row(call, tests, row);
    reply->exams = sf_call_new_array(call, (size_t) PQntuples(exams), sizeof *reply->exams);
    for (int row = 0; row < PQntuples(exams); row++)
        reply->exams[reply->n_exams++] = exam_from_row(call, exams, row);
    *reply_p = &reply->base;
    return SF_OK;
}
