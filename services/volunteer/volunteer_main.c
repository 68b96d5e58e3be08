/* The volunteer daemon: its settings, its method table, and main, which
 * builds the service around the common service loop and follows grid's
 * events into the reference tables. */
#include "volunteer.h"
#include "sf_follower.h"
#include "sf_log.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Generated from the migrations directory by sifang_embed_migrations(). */
extern const sf_migration_t sifang_volunteer_migrations[];

const sf_setting_t volunteer_settings[] = {
    { "SIFANG_VOLUNTEER_ACTIVE_HOURS", "4",
      "approved hours within the active window that make a volunteer ACTIVE" },
    { "SIFANG_VOLUNTEER_ACTIVE_DAYS", "90", "the active window, in days (1..3650)" },
    { "SIFANG_VOLUNTEER_TIMEZONE", "Asia/Shanghai",
      "the district's time zone: service days, weekdays and availability windows are in it" },
    { "SIFANG_VOLUNTEER_DISPATCH_RADIUS_KM", "5", "candidates farther from the zone are not offered" },
    { "SIFANG_VOLUNTEER_DISPATCH_MAX_LOAD", "3",
      "candidates with this many offered or accepted dispatches are not offered more" },
    { "SIFANG_VOLUNTEER_GRID_POLL_MS", "1000", "how often to poll grid's events besides its notices" },
    { "SIFANG_VOLUNTEER_GRID_PAGE_SIZE", "1000", "grid events applied per transaction" },
    { "SIFANG_GRID_ENDPOINT", "tcp://127.0.0.1:7101", "grid's ROUTER (its events are followed)" },
    { "SIFANG_GRID_PUBLISH", "tcp://127.0.0.1:7102", "grid's PUB" },
    { NULL, NULL, NULL },
};

static bool
env_double(const char *name, double fallback, double min, double max, double *out,
           char *error, size_t error_size)
{
    const char *text = sf_env(name, NULL);
    *out = fallback;
    if (!text)
        return true;
    char *end = NULL;
    double value = strtod(text, &end);
    if (!end || *end || !isfinite(value) || value < min || value > max) {
        snprintf(error, error_size, "%s must be a number between %g and %g", name, min, max);
        return false;
    }
    *out = value;
    return true;
}

bool
volunteer_config_read(volunteer_config_t *config, char *error, size_t error_size)
{
    memset(config, 0, sizeof *config);
    if (!env_double("SIFANG_VOLUNTEER_ACTIVE_HOURS", 4, 0, 10000, &config->active_hours, error, error_size)
        || !env_double("SIFANG_VOLUNTEER_DISPATCH_RADIUS_KM", 5, 0.1, 1000, &config->dispatch_radius_km,
                       error, error_size))
        return false;
    int64_t days = sf_env_int("SIFANG_VOLUNTEER_ACTIVE_DAYS", 90);
    if (days < 1 || days > 3650) {
        snprintf(error, error_size, "SIFANG_VOLUNTEER_ACTIVE_DAYS must be between 1 and 3650");
        return false;
    }
    config->active_days = (int) days;
    int64_t load = sf_env_int("SIFANG_VOLUNTEER_DISPATCH_MAX_LOAD", 3);
    if (load < 1 || load > 100) {
        snprintf(error, error_size, "SIFANG_VOLUNTEER_DISPATCH_MAX_LOAD must be between 1 and 100");
        return false;
    }
    config->dispatch_max_load = (int) load;
    const char *timezone = sf_env("SIFANG_VOLUNTEER_TIMEZONE", "Asia/Shanghai");
    /* An IANA name or an offset: what PostgreSQL's AT TIME ZONE takes. */
    if (!sf_zone_name_valid(timezone) || strlen(timezone) >= sizeof config->timezone) {
        snprintf(error, error_size, "SIFANG_VOLUNTEER_TIMEZONE must be a time zone name like Asia/Shanghai");
        return false;
    }
    snprintf(config->timezone, sizeof config->timezone, "%s", timezone);
    return true;
}

const sf_method_t volunteer_methods[] = {
    { "DispatchCandidates", volunteer_dispatch_candidates, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "DispatchOffer", volunteer_dispatch_offer, SF_METHOD_WRITE, VOLUNTEER_ROLES_DISPATCH, NULL },
    /* Any role: the assignee (a principal named by the volunteer's or team
     * leader's id) answers an offer; the handlers check who it is. */
    { "DispatchAccept", volunteer_dispatch_accept, SF_METHOD_WRITE, NULL, NULL },
    { "DispatchDecline", volunteer_dispatch_decline, SF_METHOD_WRITE, NULL, NULL },
    { "DispatchComplete", volunteer_dispatch_complete, SF_METHOD_WRITE, NULL, NULL },
    { "DispatchCancel", volunteer_dispatch_cancel, SF_METHOD_WRITE, VOLUNTEER_ROLES_DISPATCH, NULL },
    { "DispatchGet", volunteer_dispatch_get, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "DispatchList", volunteer_dispatch_list, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },

    { "VolunteerRegister", volunteer_register, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL, volunteer_register_batch },
    { "VolunteerUpdate", volunteer_update, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL, NULL },
    { "VolunteerGet", volunteer_get, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "VolunteerList", volunteer_list, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "SkillDefine", volunteer_skill_define, SF_METHOD_WRITE, VOLUNTEER_ROLES_DISTRICT, NULL },
    { "SkillList", volunteer_skill_list, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "CredentialAdd", volunteer_credential_add, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL,
      volunteer_credential_add_batch },
    { "CredentialList", volunteer_credential_list, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },

    { "TeamCreate", volunteer_team_create, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL, NULL },
    { "TeamUpdate", volunteer_team_update, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL, NULL },
    { "TeamGet", volunteer_team_get, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "TeamList", volunteer_team_list, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "TeamMemberAdd", volunteer_team_member_add, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL,
      volunteer_team_member_add_batch },
    { "TeamMemberRemove", volunteer_team_member_remove, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL, NULL },

    { "ServiceRecordSubmit", volunteer_record_submit, SF_METHOD_WRITE, VOLUNTEER_ROLES_DISPATCH,
      volunteer_record_submit_batch },
    /* Any role: team leaders review their team's records; the handler checks. */
    { "ServiceRecordReview", volunteer_record_review, SF_METHOD_WRITE, NULL, NULL },
    { "ServiceRecordGet", volunteer_record_get, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "ServiceRecordList", volunteer_record_list, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "HoursTotals", volunteer_hours_totals, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "ServiceRecordExport", volunteer_record_export, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },

    { "HelpPairingCreate", volunteer_pairing_create, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL,
      volunteer_pairing_create_batch },
    { "HelpPairingEnd", volunteer_pairing_end, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL, NULL },
    { "HelpPairingList", volunteer_pairing_list, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "HelpPairingOverdue", volunteer_pairing_overdue, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "HelpContactRecord", volunteer_contact_record, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL,
      volunteer_contact_record_batch },
    { "HelpContactList", volunteer_contact_list, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "Coverage", volunteer_coverage, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "VisitRecord", volunteer_visit_record, SF_METHOD_WRITE, VOLUNTEER_ROLES_VISIT,
      volunteer_visit_record_batch },
    { "VisitList", volunteer_visit_list, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "VisitCounts", volunteer_visit_counts, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },

    { "CoBuildingCreate", volunteer_cobuilding_create, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL, NULL },
    { "CoBuildingEnd", volunteer_cobuilding_end, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL, NULL },
    { "CoBuildingList", volunteer_cobuilding_list, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },

    { "Summary", volunteer_summary, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { NULL, NULL, SF_METHOD_READ, NULL, NULL },
};

int
main(int argc, char **argv)
{
    int exit_code = sf_server_command_line(argc, argv,
        "Usage: sifang-volunteer [--help]\n\n"
        "The volunteer service: volunteers and teams, service hours and their approval,\n"
        "certificates and trainings, party members paired with households in difficulty,\n"
        "household visits, co-building, and dispatch for a zone, a skill and a time.\n"
        "It follows grid's events for org units, households, residents and staff.",
        volunteer_settings);
    if (exit_code >= 0)
        return exit_code;
    sf_log_init("volunteer");
    char error[512];
    volunteer_t volunteer;
    if (!volunteer_config_read(&volunteer.config, error, sizeof error)) {
        sf_error("bad configuration", "reason", error);
        return 1;
    }
    sf_service_t service = {
        .service = "volunteer",
        .descriptor = &sifang__v1__volunteer__descriptor,
        .methods = volunteer_methods,
        .migrations = sifang_volunteer_migrations,
        .state = &volunteer,
    };
    sf_server_t *server = sf_server_new(&service, error, sizeof error);
    if (!server) {
        sf_error("cannot start", "reason", error);
        return 1;
    }
    int rc = 1;
    sf_follower_t *follower = sf_follower_new_from_env(sf_server_zmq_context(server), sf_server_db(server),
                                                       "grid", volunteer_apply_grid_event, NULL,
                                                       error, sizeof error);
    if (!follower) {
        sf_error("cannot follow grid", "reason", error);
        goto cleanup;
    }
    sf_follower_set_page_size(follower, (int) sf_env_int("SIFANG_VOLUNTEER_GRID_PAGE_SIZE", 1000));
    sf_follower_attach(follower, server, (int) sf_env_int("SIFANG_VOLUNTEER_GRID_POLL_MS", 1000));
    rc = sf_server_run(server);
cleanup:
    sf_follower_destroy(&follower);
    sf_server_destroy(&server);
    return rc;
}
