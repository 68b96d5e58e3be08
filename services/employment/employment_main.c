/* The employment daemon: its method table and its hooks into the daemons'
 * shared main (sf_daemon.h): the calendar's zone and the service state
 * before the server, grid's follower and the import lanes after it. */
#include "employment.h"
#include "employment_registrations.h"
#include "sf_daemon.h"
#include "sf_follower.h"
#include "sf_gridref.h"
#include "sf_log.h"

/* Generated from migrations/ by sifang_embed_migrations(). */
extern const sf_migration_t sifang_employment_migrations[];

/* The daemon's settings, as its table (employment_settings.c) loads them. */
static employment_settings_t settings;

const sf_method_t employment_methods[] = {
    { "PersonRegister", emp_person_register, SF_METHOD_WRITE, EMP_ROLES_WRITE, emp_person_register_batch },
    { "PersonUpdate", emp_person_update, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "PersonGet", emp_person_get, SF_METHOD_READ, EMP_ROLES_PERSON, NULL },
    { "PersonList", emp_person_list, SF_METHOD_READ, EMP_ROLES_PERSON, NULL },
    { "PersonHistory", emp_person_history, SF_METHOD_READ, EMP_ROLES_PERSON, NULL },
    { "EnterpriseRegister", emp_enterprise_register, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "EnterpriseUpdate", emp_enterprise_update, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "EnterpriseGet", emp_enterprise_get, SF_METHOD_READ, EMP_ROLES_PUBLIC, NULL },
    { "EnterpriseList", emp_enterprise_list, SF_METHOD_READ, EMP_ROLES_PUBLIC, NULL },
    { "VacancyPost", emp_vacancy_post, SF_METHOD_WRITE, EMP_ROLES_WRITE, emp_vacancy_post_batch },
    { "VacancyClose", emp_vacancy_close, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "VacancyGet", emp_vacancy_get, SF_METHOD_READ, EMP_ROLES_PUBLIC, NULL },
    { "VacancyList", emp_vacancy_list, SF_METHOD_READ, EMP_ROLES_PUBLIC, NULL },
    { "PlacementRegister", emp_placement_register, SF_METHOD_WRITE, EMP_ROLES_WRITE,
      emp_placement_register_batch },
    { "PlacementEnd", emp_placement_end, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "PlacementList", emp_placement_list, SF_METHOD_READ, EMP_ROLES_PERSON, NULL },
    { "SupportGrant", emp_support_grant, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "SupportList", emp_support_list, SF_METHOD_READ, EMP_ROLES_PERSON, NULL },
    { "OccupationGet", emp_occupation_get, SF_METHOD_READ, EMP_ROLES_PUBLIC, NULL },
    { "OccupationList", emp_occupation_list, SF_METHOD_READ, EMP_ROLES_PUBLIC, NULL },
    { "MatchVacancies", emp_match_vacancies, SF_METHOD_READ, EMP_ROLES_PERSON, NULL },
    { "MatchSeekers", emp_match_seekers, SF_METHOD_READ, EMP_ROLES_PERSON, NULL },
    { "CourseCreate", emp_course_create, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "CourseList", emp_course_list, SF_METHOD_READ, EMP_ROLES_PUBLIC, NULL },
    { "EnrolmentCreate", emp_enrolment_create, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "EnrolmentUpdate", emp_enrolment_update, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "MockTestRecord", emp_mock_test_record, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "ExamResultRecord", emp_exam_result_record, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "TrainingRecord", emp_training_record, SF_METHOD_READ, EMP_ROLES_PERSON, NULL },
    { "Statistics", emp_statistics, SF_METHOD_READ, EMP_ROLES_PUBLIC, NULL },
    { "FollowUpList", emp_follow_up_list, SF_METHOD_READ, EMP_ROLES_PERSON, NULL },
    { "FollowUpRecord", emp_follow_up_record, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "IncubationBaseCreate", emp_incubation_base_create, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "IncubationBaseList", emp_incubation_base_list, SF_METHOD_READ, EMP_ROLES_PUBLIC, NULL },
    { "IncubationTenantAdmit", emp_incubation_tenant_admit, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "IncubationTenantLeave", emp_incubation_tenant_leave, SF_METHOD_WRITE, EMP_ROLES_WRITE, NULL },
    { "IncubationTenantList", emp_incubation_tenant_list, SF_METHOD_READ, EMP_ROLES_PERSON, NULL },
    { "HiringDifficulty", emp_hiring_difficulty, SF_METHOD_READ, EMP_ROLES_PUBLIC, NULL },
    { "ImportBatch", emp_import_batch, SF_METHOD_WRITE, EMP_ROLES_IMPORT, NULL },
    { "ExportEvents", emp_export_events, SF_METHOD_READ, EMP_ROLES_IMPORT, NULL },
    { NULL, NULL, SF_METHOD_READ, NULL, NULL },
};

/* Followed by start, closed by stop: grid's events into the reference tables;
 * intake's resolved registrations (employment_registrations.c). */
static sf_follower_t *grid_follower;
static sf_follower_t *intake_follower;

/* The zone's name is the table's to check; whether tzdata knows it, the
 * calendar's. */
static int
prepare(void *config, void **state_p)
{
    const employment_settings_t *settings = config;
    char error[512];
    if (!sf_calendar_set("SIFANG_EMPLOYMENT_TIMEZONE", settings->timezone, error, sizeof error)) {
        sf_error("bad setting", "setting", "SIFANG_EMPLOYMENT_TIMEZONE", "reason", error);
        return SF_DAEMON_BAD_SETTING;
    }
    *state_p = employment_new(settings);
    if (!*state_p) {
        sf_error("out of memory");
        return SF_DAEMON_CANNOT_START;
    }
    return 0;
}

static bool
start(sf_server_t *server, void *state)
{
    employment_t *employment = state;
    grid_follower = sf_follower_start(server, "grid", emp_grid_apply, employment, 0, settings.grid_poll_ms);
    if (!grid_follower)
        return false;
    /* Grid's created rows are written a run at a time (employment_grid.c). */
    sf_follower_set_page_end(grid_follower, sf_gridref_page_end, NULL);
    intake_follower = sf_follower_start(server, "intake", emp_intake_apply, employment, 200, settings.grid_poll_ms);
    if (!intake_follower)
        return false;
    sf_server_add_timer(server, 250, sf_registration_inbox_timer, (void *) &emp_registration_owner);
    if (!emp_lanes_open(employment, server)) {
        sf_error("out of memory");
        return false;
    }
    return true;
}

static void
stop(void *state)
{
    emp_lanes_close(state);
    sf_follower_destroy(&grid_follower);
    sf_follower_destroy(&intake_follower);
}

static void
destroy(void *state)
{
    employment_t *employment = state;
    employment_destroy(&employment);
}

int
main(int argc, char **argv)
{
    static const sf_daemon_t daemon = {
        .service = "employment",
        .about = "The employment service: people of working age and their labour status,\n"
            "employment difficulties, skills, enterprises and vacancies, placements,\n"
            "entrepreneurship support, matching near home, training, statistics, and\n"
            "the JSON Lines exchange with external labour-market systems. Follows\n"
            "grid's events for residents, households, zones and staff, and intake's\n"
            "resolved registrations (就业失业登记, 就业困难人员认定).",
        .settings = employment_settings,
        .config = &settings,
        .methods = employment_methods,
        .migrations = sifang_employment_migrations,
        .prepare = prepare,
        .start = start,
        .stop = stop,
        .destroy = destroy,
    };
    return sf_daemon_main(argc, argv, &daemon);
}
