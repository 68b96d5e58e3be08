/* The intake daemon: its method table and its hooks into the daemons'
 * shared main (sf_daemon.h): the loop's reference copy, the peers thread
 * and the loop's own timers (the deadline sweep, the dispatch inbox). */
#include "intake.h"
#include "intake_handoff.h"
#include "intake_ref.h"
#include "sf_daemon.h"
#include "sf_log.h"
#include <stdatomic.h>
#include <stdio.h>

/* Generated from migrations/ by sifang_embed_migrations(). */
extern const sf_migration_t sifang_intake_migrations[];

#define INBOX_INTERVAL_MS 500
#define REFERENCE_INTERVAL_MS 500

const sf_method_t intake_methods[] = {
    { "ItemPut", intake_item_put, SF_METHOD_WRITE, INTAKE_ROLES_DISTRICT, NULL },
    { "ItemGet", intake_item_get, SF_METHOD_READ, INTAKE_ROLES_READ, NULL },
    { "ItemList", intake_item_list, SF_METHOD_READ, INTAKE_ROLES_READ, NULL },
    { "CalendarSet", intake_calendar_set, SF_METHOD_WRITE, INTAKE_ROLES_DISTRICT, NULL },
    { "CalendarList", intake_calendar_list, SF_METHOD_READ, INTAKE_ROLES_READ, NULL },
    { "Due", intake_due, SF_METHOD_READ, INTAKE_ROLES_READ, NULL },
    { "CaseSubmit", intake_case_submit, SF_METHOD_WRITE, INTAKE_ROLES_SUBMIT, intake_case_submit_batch },
    { "CaseAccept", intake_case_accept, SF_METHOD_WRITE, INTAKE_ROLES_STATION, NULL },
    { "CaseAssign", intake_case_assign, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "CaseStart", intake_case_start, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "CaseResolve", intake_case_resolve, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "CaseClose", intake_case_close, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "CaseReject", intake_case_reject, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "CaseTransfer", intake_case_transfer, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "HandoffCase", intake_handoff_case, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "HandoffReceive", intake_handoff_receive, SF_METHOD_WRITE, "service", NULL },
    { "HandoffCancel", intake_handoff_cancel, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "HandoffWithdraw", intake_handoff_withdraw, SF_METHOD_WRITE, "service", NULL },
    { "CaseDispatch", intake_case_dispatch, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "CaseDispatchAnswer", intake_case_dispatch_answer, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE " service", NULL },
    { "CaseGet", intake_case_get, SF_METHOD_READ, INTAKE_ROLES_READ, NULL },
    { "CaseHistory", intake_case_history, SF_METHOD_READ, INTAKE_ROLES_READ, NULL },
    { "CaseList", intake_case_list, SF_METHOD_READ, INTAKE_ROLES_READ, NULL },
    { "CaseBacklog", intake_case_backlog, SF_METHOD_READ, INTAKE_ROLES_READ, NULL },
    { "CaseSweep", intake_case_sweep, SF_METHOD_WRITE, INTAKE_ROLES_DISTRICT, NULL },
    { "CaseTypeList", intake_case_type_list, SF_METHOD_READ, INTAKE_ROLES_READ, NULL },
    { "CaseTypePut", intake_case_type_put, SF_METHOD_WRITE, INTAKE_ROLES_DISTRICT, NULL },
    { "CaseSign", intake_case_sign, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "CaseSendBack", intake_case_send_back, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "CaseExtensionAsk", intake_case_extension_ask, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "CaseExtensionDecide", intake_case_extension_decide, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "CaseReview", intake_case_review, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "CaseCoHandlerAdd", intake_case_cohandler_add, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "CaseCoHandlerComplete", intake_case_cohandler_complete, SF_METHOD_WRITE, INTAKE_ROLES_HANDLE, NULL },
    { "CaseCoHandlerList", intake_case_cohandler_list, SF_METHOD_READ, INTAKE_ROLES_READ, NULL },
    { "CaseStageLateList", intake_case_stage_late_list, SF_METHOD_READ, INTAKE_ROLES_READ, NULL },
    { "CaseSupervise", intake_case_supervise, SF_METHOD_WRITE, INTAKE_ROLES_SUPERVISE, NULL },
    { "CaseComplain", intake_case_complain, SF_METHOD_WRITE, INTAKE_ROLES_SUBMIT, NULL },
    { "CaseFollowUp", intake_case_follow_up, SF_METHOD_WRITE, INTAKE_ROLES_SUBMIT, NULL },
    { "NoticeList", intake_notice_list, SF_METHOD_READ, INTAKE_ROLES_NOTICES, NULL },
    { "NoticeRead", intake_notice_read, SF_METHOD_WRITE, INTAKE_ROLES_NOTICES, NULL },
    { "ResidentMessageList", intake_resident_message_list, SF_METHOD_READ, INTAKE_ROLES_RESIDENT_MESSAGES, NULL },
    { "ResidentMessageAck", intake_resident_message_ack, SF_METHOD_WRITE, "admin service", NULL },
    { "MeetingRecord", intake_meeting_record, SF_METHOD_WRITE, INTAKE_ROLES_MEETING, NULL },
    { "MeetingGet", intake_meeting_get, SF_METHOD_READ, INTAKE_ROLES_READ, NULL },
    { "MeetingList", intake_meeting_list, SF_METHOD_READ, INTAKE_ROLES_READ, NULL },
    { NULL, NULL, SF_METHOD_READ, NULL, NULL },
};

static void
on_sweep_timer(sf_call_t *call, void *arg)
{
    (void) arg;   /* the call's state is the intake */
    intake_sweep_run(call);   /* it logs what it changed; a failed sweep is tried again next turn */
}

/* Sys.Stats: the days until a year without a working-day calendar begins
 * (-1: none within SIFANG_INTAKE_CALENDAR_WARN_DAYS), as the sweep last
 * found (intake_calendar_warn), and the escalations to a unit without a
 * head (intake_sweep.c). */
static void
add_calendar_stats(sf_server_t *server, sf_call_t *call, Sifang__V1__StatsReply *reply, void *arg)
{
    (void) server;
    intake_t *intake = arg;
    Sifang__V1__StatusCount **grown = sf_call_new_array(call, reply->n_followers + 2, sizeof *grown);
    for (size_t i = 0; i < reply->n_followers; i++)
        grown[i] = reply->followers[i];
    Sifang__V1__StatusCount *entry = (Sifang__V1__StatusCount *)
        sf_call_new_message(call, &sifang__v1__status_count__descriptor);
    entry->status = "calendar.days_until_year_without_calendar";
    entry->count = atomic_load(&intake->calendar_days_left);
    grown[reply->n_followers++] = entry;
    /* Escalations since the start to a unit grid names no head for (the
     * unit held the case, its staff were told): a warning figure. */
    entry = (Sifang__V1__StatusCount *) sf_call_new_message(call, &sifang__v1__status_count__descriptor);
    entry->status = "escalation.units_without_head";
    entry->count = atomic_load(&intake->escalations_without_head);
    grown[reply->n_followers++] = entry;
    reply->followers = grown;
}

static void
on_inbox_timer(sf_call_t *call, void *arg)
{
    (void) arg;
    intake_dispatch_apply_inbox(call);   /* rows not applied stay in the inbox for the next turn */
}

/* Keeps the loop's copy of grid's tables, the catalogue and the calendar
 * in step with the database (cheap: one tiny query when nothing moved). */
static void
on_reference_timer(sf_call_t *call, void *arg)
{
    sf_server_t *server = sf_call_server(call);
    intake_t *intake = arg;
    if (sf_server_ready(server))
        intake_ref_refresh(intake->ref, sf_server_db(server));
}

/* ref_generation as each batch's transaction sees it, read with its BEGIN. */
static void
on_batch_probe(void *state, const PGresult *result)
{
    intake_t *intake = state;
    intake_ref_observe(intake->ref, result);
}

/* The loop's copy of what submissions look up, in the calendar's zone. */
static int
prepare(void *config, void **state_p)
{
    intake_t *intake = *state_p;
    (void) config;   /* the state's own: intake->config */
    intake->ref = intake_ref_new(intake->config.timezone);
    if (!intake->ref) {
        sf_error("out of memory");
        return SF_DAEMON_CANNOT_START;
    }
    return 0;
}

/* The peers thread, and the loop's own timers. */
static bool
start(sf_server_t *server, void *state)
{
    intake_t *intake = state;
    char error[512];
    snprintf(intake->instance, sizeof intake->instance, "%s", sf_server_instance(server));
    if (intake_handoff_rule_load(&intake->handoff_rule, intake->instance, intake->config.owns,
                                 intake->config.handoff_peers, error, sizeof error) != 0) {
        sf_error("cannot start", "reason", error);
        return false;
    }
    intake->peers = intake_peers_start(server, intake, error, sizeof error);
    if (!intake->peers) {
        sf_error("cannot start", "reason", error);
        return false;
    }
    sf_server_add_timer(server, intake->config.sweep_ms, on_sweep_timer, intake);
    sf_server_add_timer(server, INBOX_INTERVAL_MS, on_inbox_timer, intake);
    sf_server_add_timer(server, REFERENCE_INTERVAL_MS, on_reference_timer, intake);
    atomic_store(&intake->calendar_days_left, -1);
    sf_server_add_stats_hook(server, add_calendar_stats, intake);
    return true;
}

/* The thread's sockets live in the server's context: they go first. */
static void
stop(void *state)
{
    intake_t *intake = state;
    intake_peers_stop(&intake->peers);
}

static void
destroy(void *state)
{
    intake_t *intake = state;
    intake_ref_destroy(&intake->ref);
}

int
main(int argc, char **argv)
{
    static intake_t intake;
    static const sf_daemon_t daemon = {
        .service = "intake",
        .about = "The intake service: the citizen service agency's catalogue, working-day calendar and\n"
            "cases from every channel, with first-responder accountability, deadlines and their\n"
            "sweep, community affairs, and dispatch of convenience cases to providers.",
        .settings = intake_settings,
        .config = &intake.config,
        .methods = intake_methods,
        .migrations = sifang_intake_migrations,
        .state = &intake,
        .batch_probe_sql = intake_ref_generation_sql,
        .batch_probe_fn = on_batch_probe,
        .prepare = prepare,
        .start = start,
        .stop = stop,
        .destroy = destroy,
    };
    return sf_daemon_main(argc, argv, &daemon);
}
