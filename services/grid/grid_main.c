/* The grid daemon: its method table, its state (the identity numbers' key)
 * and its hooks into the daemons' shared main (sf_daemon.h). */
#include "grid.h"
#include "grid_settings.h"
#include "sf_daemon.h"
#include "sf_log.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Generated from migrations/ by sifang_embed_migrations(). */
extern const sf_migration_t sifang_grid_migrations[];

/* Named fields: the optional ones (a batch handler) stay unset. */
#define METHOD(method, fn, method_kind, allowed) \
    { .name = (method), .handler = (fn), .kind = (method_kind), .roles = (allowed) }
/* A write method that also takes runs of requests at once (bulk loads). */
#define METHOD_BATCHED(method, fn, batch_fn, allowed) \
    { .name = (method), .handler = (fn), .kind = SF_METHOD_WRITE, .roles = (allowed), \
      .batch_handler = (batch_fn) }

const sf_method_t grid_methods[] = {
    METHOD_BATCHED("UnitCreate", grid_create, grid_create_batch, GRID_ROLES_DISTRICT),
    METHOD("UnitUpdate", grid_unit_update, SF_METHOD_WRITE, GRID_ROLES_DISTRICT),
    METHOD("UnitGet", grid_unit_get, SF_METHOD_READ, GRID_ROLES_READ),
    METHOD("UnitList", grid_unit_list, SF_METHOD_READ, GRID_ROLES_READ),
    METHOD("ZoneGet", grid_zone_get, SF_METHOD_READ, GRID_ROLES_READ),
    METHOD_BATCHED("HouseholdCreate", grid_create, grid_create_batch, GRID_ROLES_LOCAL),
    METHOD("HouseholdUpdate", grid_household_update, SF_METHOD_WRITE, GRID_ROLES_LOCAL),
    METHOD("HouseholdGet", grid_household_get, SF_METHOD_READ, GRID_ROLES_PEOPLE_READ),
    METHOD("HouseholdList", grid_household_list, SF_METHOD_READ, GRID_ROLES_PEOPLE_READ),
    METHOD_BATCHED("ResidentCreate", grid_create, grid_create_batch, GRID_ROLES_LOCAL),
    METHOD("ResidentUpdate", grid_resident_update, SF_METHOD_WRITE, GRID_ROLES_LOCAL),
    METHOD("ResidentGet", grid_resident_get, SF_METHOD_READ, GRID_ROLES_PEOPLE_READ),
    METHOD("ResidentList", grid_resident_list, SF_METHOD_READ, GRID_ROLES_PEOPLE_READ),
    METHOD("ResidentFind", grid_resident_find, SF_METHOD_READ, GRID_ROLES_PEOPLE_READ),
    /* Personal data in the clear on purpose: writes, so that each leaves its
     * row in the access log in the same transaction (and a retry is answered
     * from the stored reply, not logged twice). */
    METHOD("ResidentReveal", grid_resident_reveal, SF_METHOD_WRITE, SF_ROLES_RESIDENT_DUTY),
    METHOD("ResidentExport", grid_resident_export, SF_METHOD_WRITE, SF_ROLES_EXPORT),
    METHOD("AccessLogList", grid_access_log_list, SF_METHOD_READ, SF_ROLES_AUDIT),
    METHOD_BATCHED("StaffCreate", grid_create, grid_create_batch, GRID_ROLES_LOCAL),
    METHOD("StaffUpdate", grid_staff_update, SF_METHOD_WRITE, GRID_ROLES_LOCAL),
    METHOD("StaffGet", grid_staff_get, SF_METHOD_READ, GRID_ROLES_READ),
    METHOD("StaffList", grid_staff_list, SF_METHOD_READ, GRID_ROLES_READ),
    METHOD("ResponsibilityAssign", grid_responsibility_assign, SF_METHOD_WRITE, GRID_ROLES_LOCAL),
    METHOD("ResponsibilityRemove", grid_responsibility_remove, SF_METHOD_WRITE, GRID_ROLES_LOCAL),
    METHOD("ResponsibilityList", grid_responsibility_list, SF_METHOD_READ, GRID_ROLES_READ),
    METHOD("ResponsibleFor", grid_responsible_for, SF_METHOD_READ, GRID_ROLES_READ),
    METHOD("DepartmentCreate", grid_department_create, SF_METHOD_WRITE, GRID_ROLES_DISTRICT),
    METHOD("DepartmentList", grid_department_list, SF_METHOD_READ, GRID_ROLES_READ),
    METHOD("PairingCreate", grid_pairing_create, SF_METHOD_WRITE, GRID_ROLES_DISTRICT),
    METHOD("PairingList", grid_pairing_list, SF_METHOD_READ, GRID_ROLES_READ),
    METHOD("Summary", grid_summary, SF_METHOD_READ, GRID_ROLES_READ),
    /* Leaders' contact points and departments' work: recorded by those who
     * did it, read by the staff (the names met masked where their duty does
     * not reach), counted for everyone. */
    METHOD("ContactVisitRecord", grid_contact_visit_record, SF_METHOD_WRITE, GRID_ROLES_LEADER_WORK),
    METHOD("ContactVisitList", grid_contact_visit_list, SF_METHOD_READ, GRID_ROLES_PEOPLE_READ),
    METHOD("ContactProblemUpdate", grid_contact_problem_update, SF_METHOD_WRITE, GRID_ROLES_LEADER_WORK),
    METHOD("ContactProblemList", grid_contact_problem_list, SF_METHOD_READ, GRID_ROLES_PEOPLE_READ),
    METHOD("ContactPointList", grid_contact_point_list, SF_METHOD_READ, GRID_ROLES_READ),
    METHOD("DepartmentWorkRecord", grid_department_work_record, SF_METHOD_WRITE, GRID_ROLES_DEPARTMENT_WORK),
    METHOD("DepartmentWorkFollowUp", grid_department_work_follow_up, SF_METHOD_WRITE, GRID_ROLES_DEPARTMENT_WORK),
    METHOD("DepartmentWorkList", grid_department_work_list, SF_METHOD_READ, GRID_ROLES_PEOPLE_READ),
    METHOD("DepartmentWorkCounts", grid_department_work_counts, SF_METHOD_READ, GRID_ROLES_READ),
    METHOD("FundingBudgetSet", grid_funding_budget_set, SF_METHOD_WRITE, GRID_ROLES_FUNDING_BUDGET),
    METHOD("FundingBudgetGet", grid_funding_budget_get, SF_METHOD_READ, GRID_ROLES_PEOPLE_READ),
    METHOD("FundingSpendingRecord", grid_funding_spending_record, SF_METHOD_WRITE, GRID_ROLES_FUNDING_SPENDING),
    METHOD("FundingSpendingReverse", grid_funding_spending_reverse, SF_METHOD_WRITE, GRID_ROLES_FUNDING_SPENDING),
    METHOD("FundingSpendingList", grid_funding_spending_list, SF_METHOD_READ, GRID_ROLES_PEOPLE_READ),
    METHOD("FundingFigures", grid_funding_figures, SF_METHOD_READ, GRID_ROLES_READ),
    METHOD("MeetingAttendanceRecord", grid_meeting_attendance_record, SF_METHOD_WRITE, GRID_ROLES_ATTENDANCE),
    METHOD("MeetingAttendanceList", grid_meeting_attendance_list, SF_METHOD_READ, GRID_ROLES_PEOPLE_READ),
    METHOD("MeetingAttendanceRates", grid_meeting_attendance_rates, SF_METHOD_READ, GRID_ROLES_PEOPLE_READ),
    METHOD("JointMemberSet", grid_joint_member_set, SF_METHOD_WRITE, GRID_ROLES_ATTENDANCE),
    METHOD("JointMemberList", grid_joint_member_list, SF_METHOD_READ, GRID_ROLES_PEOPLE_READ),
    METHOD("JointAttendanceRates", grid_joint_attendance_rates, SF_METHOD_READ, GRID_ROLES_PEOPLE_READ),
    { .name = NULL },
};

grid_t *
grid_new(const uint8_t *id_hash_key)
{
    grid_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    memcpy(self->id_hash_key, id_hash_key ? id_hash_key : grid_development_id_hash_key,
           GRID_ID_HASH_KEY_SIZE);
    return self;
}

void
grid_destroy(grid_t **self_p)
{
    grid_t *self = *self_p;
    if (!self)
        return;
    sodium_memzero(self->id_hash_key, sizeof self->id_hash_key);
    free(self);
    *self_p = NULL;
}

/* The identity numbers' key, from its file, or the development key with a
 * warning; the service state holds it. */
static int
prepare(void *config, void **state_p)
{
    const grid_settings_t *settings = config;
    char error[512];
    uint8_t key[GRID_ID_HASH_KEY_SIZE];
    const uint8_t *id_hash_key = NULL;
    if (settings->id_hash_key_file[0]) {
        if (grid_id_hash_key_load(settings->id_hash_key_file, key, error, sizeof error) != 0) {
            sf_error("bad setting", "setting", "SIFANG_GRID_ID_HASH_KEY_FILE", "reason", error);
            return SF_DAEMON_BAD_SETTING;
        }
        id_hash_key = key;
    } else
        sf_warn("identity numbers are hashed with the development key: set "
                "SIFANG_GRID_ID_HASH_KEY_FILE for real residents");
    *state_p = grid_new(id_hash_key);
    sodium_memzero(key, sizeof key);
    if (!*state_p) {
        sf_error("out of memory");
        return SF_DAEMON_CANNOT_START;
    }
    return 0;
}

static void
destroy(void *state)
{
    grid_t *grid = state;
    grid_destroy(&grid);
}

int
main(int argc, char **argv)
{
    static grid_settings_t settings;
    static const sf_daemon_t daemon = {
        .service = "grid",
        .about = "The grid service: the registry of the district's organisation (org units,\n"
            "households, residents, staff, responsibilities, departments and pairings).",
        .settings = grid_settings,
        .config = &settings,
        .methods = grid_methods,
        .migrations = sifang_grid_migrations,
        .prepare = prepare,
        .destroy = destroy,
    };
    return sf_daemon_main(argc, argv, &daemon);
}
