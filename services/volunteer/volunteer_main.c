/* The volunteer daemon: its method table and its hooks into the daemons'
 * shared main (sf_daemon.h): grid's follower, started with the server. */
#include "volunteer.h"
#include "volunteer_registrations.h"
#include "sf_daemon.h"
#include "sf_follower.h"
#include "sf_gridref.h"
#include "sf_log.h"

/* Generated from the migrations directory by sifang_embed_migrations(). */
extern const sf_migration_t sifang_volunteer_migrations[];

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
    { "SkillList", volunteer_skill_list, SF_METHOD_READ, VOLUNTEER_ROLES_PUBLIC, NULL },
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
    { "Coverage", volunteer_coverage, SF_METHOD_READ, VOLUNTEER_ROLES_PUBLIC, NULL },
    { "VisitRecord", volunteer_visit_record, SF_METHOD_WRITE, VOLUNTEER_ROLES_VISIT,
      volunteer_visit_record_batch },
    { "VisitList", volunteer_visit_list, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "VisitFollowUpAdd", volunteer_visit_follow_up_add, SF_METHOD_WRITE, VOLUNTEER_ROLES_VISIT, NULL },
    { "VisitCounts", volunteer_visit_counts, SF_METHOD_READ, VOLUNTEER_ROLES_PUBLIC, NULL },

    { "CoBuildingCreate", volunteer_cobuilding_create, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL, NULL },
    { "CoBuildingEnd", volunteer_cobuilding_end, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL, NULL },
    { "CoBuildingList", volunteer_cobuilding_list, SF_METHOD_READ, VOLUNTEER_ROLES_PUBLIC, NULL },
    { "CoBuildingDeliveryRecord", volunteer_cobuilding_delivery_record, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL,
      NULL },
    { "CoBuildingDeliveryReverse", volunteer_cobuilding_delivery_reverse, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL,
      NULL },
    { "CoBuildingDeliveryList", volunteer_cobuilding_delivery_list, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "CoBuildingDeliveryStanding", volunteer_cobuilding_delivery_standing, SF_METHOD_READ, VOLUNTEER_ROLES_PUBLIC,
      NULL },

    { "Summary", volunteer_summary, SF_METHOD_READ, VOLUNTEER_ROLES_PUBLIC, NULL },

    { "ProviderRegister", volunteer_provider_register, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL, NULL },
    { "ProviderUpdate", volunteer_provider_update, SF_METHOD_WRITE, VOLUNTEER_ROLES_LOCAL, NULL },
    { "ProviderGet", volunteer_provider_get, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { "ProviderList", volunteer_provider_list, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },

    { "PairingProposals", volunteer_pairing_proposals, SF_METHOD_READ, VOLUNTEER_ROLES_READ, NULL },
    { NULL, NULL, SF_METHOD_READ, NULL, NULL },
};

/* Followed by start, closed by stop: grid's events into the reference
 * tables; intake's return visits into the ratings. */
static sf_follower_t *grid_follower;
static sf_follower_t *intake_follower;

static void
on_offer_sweep_timer(sf_call_t *call, void *arg)
{
    (void) arg;
    volunteer_offer_sweep_run(call);
}

static bool
start(sf_server_t *server, void *state)
{
    volunteer_t *volunteer = state;
    /* The district's, its streets' and a few communities' at a time. */
    volunteer->summaries = sf_kept_new(64);
    if (!volunteer->summaries)
        return false;
    grid_follower = sf_follower_start(server, "grid", volunteer_apply_grid_event, NULL,
                                      volunteer->config.grid_page_size, volunteer->config.grid_poll_ms);
    /* Grid's created rows are written a run at a time (volunteer_reference.c). */
    if (grid_follower)
        sf_follower_set_page_end(grid_follower, sf_gridref_page_end, NULL);
    intake_follower = sf_follower_start(server, "intake", volunteer_apply_intake_event, NULL, 0,
                                        volunteer->config.intake_poll_ms);
    sf_server_add_timer(server, volunteer->config.offer_sweep_ms, on_offer_sweep_timer, NULL);
    sf_server_add_timer(server, 250, sf_registration_inbox_timer, (void *) &volunteer_registration_owner);
    return grid_follower != NULL && intake_follower != NULL;
}

static void
stop(void *state)
{
    (void) state;
    sf_follower_destroy(&grid_follower);
    sf_follower_destroy(&intake_follower);
}

/* After the server and its read threads are gone. */
static void
destroy(void *state)
{
    volunteer_t *volunteer = state;
    sf_kept_destroy(&volunteer->summaries);
}

int
main(int argc, char **argv)
{
    static volunteer_t volunteer;
    static const sf_daemon_t daemon = {
        .service = "volunteer",
        .about = "The volunteer service: volunteers and teams, service hours and their approval,\n"
            "certificates and trainings, party members paired with households in difficulty,\n"
            "household visits, co-building, and dispatch for a zone, a skill and a time.\n"
            "It follows grid's events for org units, households, residents and staff, and intake's\n"
            "closed cases for the return visits' ratings of providers, teams and volunteers.",
        .settings = volunteer_settings,
        .config = &volunteer.config,
        .methods = volunteer_methods,
        .migrations = sifang_volunteer_migrations,
        .state = &volunteer,
        .start = start,
        .stop = stop,
        .destroy = destroy,
    };
    return sf_daemon_main(argc, argv, &daemon);
}
