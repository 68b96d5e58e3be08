/* The employment daemon: its settings, its method table, and main, which
 * builds the service around the common service loop and follows grid's
 * events into the reference tables. */
#include "employment.h"
#include "sf_follower.h"
#include "sf_log.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Generated from migrations/ by sifang_embed_migrations(). */
extern const sf_migration_t sifang_employment_migrations[];

const sf_method_t employment_methods[] = {
    { "PersonRegister", emp_person_register, SF_METHOD_WRITE, EMP_ROLES_WRITE, emp_person_register_batch },
    { "PersonUpdate", emp_person_update, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "PersonGet", emp_person_get, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "PersonList", emp_person_list, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "PersonHistory", emp_person_history, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "EnterpriseRegister", emp_enterprise_register, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "EnterpriseUpdate", emp_enterprise_update, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "EnterpriseGet", emp_enterprise_get, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "EnterpriseList", emp_enterprise_list, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "VacancyPost", emp_vacancy_post, SF_METHOD_WRITE, EMP_ROLES_WRITE, emp_vacancy_post_batch },
    { "VacancyClose", emp_vacancy_close, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "VacancyGet", emp_vacancy_get, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "VacancyList", emp_vacancy_list, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "PlacementRegister", emp_placement_register, SF_METHOD_WRITE, EMP_ROLES_WRITE,
      emp_placement_register_batch },
    { "PlacementEnd", emp_placement_end, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "PlacementList", emp_placement_list, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "SupportGrant", emp_support_grant, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "SupportList", emp_support_list, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "OccupationGet", emp_occupation_get, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "OccupationList", emp_occupation_list, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "MatchVacancies", emp_match_vacancies, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "MatchSeekers", emp_match_seekers, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "CourseCreate", emp_course_create, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "CourseList", emp_course_list, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "EnrolmentCreate", emp_enrolment_create, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "EnrolmentUpdate", emp_enrolment_update, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "MockTestRecord", emp_mock_test_record, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "ExamResultRecord", emp_exam_result_record, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "TrainingRecord", emp_training_record, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "Statistics", emp_statistics, SF_METHOD_READ, EMP_ROLES_READ, NULL },
    { "ImportBatch", emp_import_batch, SF_METHOD_WRITE, EMP_ROLES_IMPORT, NULL },
    { "ExportEvents", emp_export_events, SF_METHOD_READ, EMP_ROLES_IMPORT " viewer", NULL },
    { NULL, NULL, SF_METHOD_READ, NULL, NULL },
};

int
main(int argc, char **argv)
{
    int exit_code = sf_server_command_line(argc, argv, "employment",
        "Usage: sifang-employment [--help]\n\n"
        "The employment service: people of working age and their labour status,\n"
        "employment difficulties, skills, enterprises and vacancies, placements,\n"
        "entrepreneurship support, matching near home, training, statistics, and\n"
        "the JSON Lines exchange with external labour-market systems. Follows\n"
        "grid's events for residents, households, zones and staff.",
        employment_settings);
    if (exit_code >= 0)
        return exit_code;
    sf_log_init("employment");
    char error[512];
    employment_settings_t settings;
    if (sf_settings_load(employment_settings, "employment", &settings, error, sizeof error) != 0) {
        sf_error("bad setting", "reason", error);   /* checked at start: not reached */
        return 2;
    }
    /* The name's shape is the table's; whether tzdata knows it, the calendar's. */
    if (!sf_calendar_set("SIFANG_EMPLOYMENT_TIMEZONE", settings.timezone, error, sizeof error)) {
        sf_error("bad setting", "setting", "SIFANG_EMPLOYMENT_TIMEZONE", "reason", error);
        return 2;
    }
    if (sodium_init() < 0) {
        sf_error("cannot initialise libsodium");
        return 1;
    }
    employment_t *employment = employment_new(&settings);
    if (!employment) {
        sf_error("out of memory");
        return 1;
    }
    sf_service_t service = {
        .service = "employment",
        .descriptor = &sifang__v1__employment__descriptor,
        .methods = employment_methods,
        .migrations = sifang_employment_migrations,
        .state = employment,
    };
    int rc = 1;
    sf_follower_t *follower = NULL;
    sf_server_t *server = sf_server_new(&service, error, sizeof error);
    if (!server) {
        sf_error("cannot start", "reason", error);
        goto cleanup;
    }
    follower = sf_follower_new_from_env(sf_server_zmq_context(server), sf_server_db(server), "grid",
                                        emp_grid_apply, employment, error, sizeof error);
    if (!follower) {
        sf_error("cannot follow grid", "reason", error);
        goto cleanup;
    }
    sf_follower_attach(follower, server, settings.grid_poll_ms);
    if (!emp_lanes_open(employment, server)) {
        sf_error("out of memory");
        goto cleanup;
    }
    rc = sf_server_run(server);
cleanup:
    emp_lanes_close(employment);
    sf_follower_destroy(&follower);
    sf_server_destroy(&server);
    employment_destroy(&employment);
    return rc;
}
