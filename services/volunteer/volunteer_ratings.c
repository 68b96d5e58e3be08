/* The residents' rating of whoever served a case: intake's return visit
 * (the satisfaction on "case.closed") lands on the registry's dispatch that
 * served the case and on its assignee's rating (a provider's, a team's or a
 * volunteer's: the sum and count the candidate search ranks by). A case
 * the station dispatched itself to a provider of the directory, naming it
 * by its id (provider_kind BUSINESS, provider_id "S000042"), rates that
 * provider the same way, once per case (case_rating).
 *
 * Why by following intake's events rather than a call from intake: the
 * follower stores its cursor in volunteer's own transaction together with
 * the rating, so each return visit is applied exactly once, whatever
 * crashes or restarts in between; and a dispatch is rated at most once
 * (satisfaction IS NULL in the statement), so a case reopened for rework
 * and closed again does not count its provider twice. Intake keeps no state
 * of its own for it. The dispatch's version is left as it was: the rating
 * is not a step of the dispatch, and intake, which follows dispatches by
 * version, has nothing to learn from it. */
#include "volunteer.h"
#include "volunteer_registrations.h"
#include "sifang/v1/intake.pb-c.h"
#include <stdio.h>
#include <string.h>

sf_status_t
volunteer_apply_intake_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    (void) arg;
    /* A resolved 在职党员报到 (volunteer_registrations.c). */
    if (strcmp(event->type, "case.resolved") == 0)
        return volunteer_registration_apply(db, event);
    if (strcmp(event->type, "case.closed") != 0)
        return SF_OK;
    Sifang__V1__Case *the_case = sifang__v1__case__unpack(NULL, event->payload.len, event->payload.data);
    if (!the_case)
        return SF_DATA_LOSS;   /* recorded and passed over (sf_follower.h) */
    sf_status_t status = SF_OK;
    int64_t serial = 0, provider = 0;
    const Sifang__V1__CaseDispatch *dispatch = the_case->dispatch;
    bool served = dispatch && dispatch->state == SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_COMPLETED
               && the_case->satisfaction >= 1 && the_case->satisfaction <= 5;
    /* Only a case the registry's dispatch served to the end, rated 1..5;
     * the dispatch must name this case of this instance ("intake/123/2"),
     * so another instance's dispatch ids never collide. */
    if (served && sf_serial_id_parse(dispatch->volunteer_dispatch_id, VOLUNTEER_ID_DISPATCH, &serial)) {
        char prefix[160];
        snprintf(prefix, sizeof prefix, "%s/%lld/", event->source, (long long) the_case->id);
        status = sf_db_run(db,
            "WITH rated AS (UPDATE dispatch SET satisfaction = $2"
            "   WHERE serial = $1 AND status = 4 AND satisfaction IS NULL AND starts_with(case_ref, $3)"
            "   RETURNING volunteer_serial, team_serial, provider_serial),"
            " v AS (UPDATE volunteer SET rating_sum = rating_sum + $2, rating_count = rating_count + 1"
            "   WHERE serial = (SELECT volunteer_serial FROM rated)),"
            " t AS (UPDATE team SET rating_sum = rating_sum + $2, rating_count = rating_count + 1"
            "   WHERE serial = (SELECT team_serial FROM rated))"
            " UPDATE provider SET rating_sum = rating_sum + $2, rating_count = rating_count + 1,"
            "   updated_at = now(), version = version + 1 WHERE serial = (SELECT provider_serial FROM rated)",
            SF_PARAMS(serial, the_case->satisfaction, prefix), NULL);
    } else if (served && !*dispatch->volunteer_dispatch_id
               && dispatch->provider_kind == SIFANG__V1__CASE_PROVIDER_KIND__CASE_PROVIDER_KIND_BUSINESS
               && sf_serial_id_parse(dispatch->provider_id, VOLUNTEER_ID_PROVIDER, &provider)) {
        /* Named by the station: an id of the directory (a name or another
         * code is a business outside it, and changes nothing). */
        status = sf_db_run(db,
            "WITH rated AS (INSERT INTO case_rating (source, case_id, provider_serial, satisfaction)"
            "   SELECT $1, $2, p.serial, $4 FROM provider p WHERE p.serial = $3"
            "   ON CONFLICT (source, case_id) DO NOTHING RETURNING provider_serial)"
            " UPDATE provider SET rating_sum = rating_sum + $4, rating_count = rating_count + 1,"
            "   updated_at = now(), version = version + 1 WHERE serial = (SELECT provider_serial FROM rated)",
            SF_PARAMS(event->source, the_case->id, provider, the_case->satisfaction), NULL);
    }
    protobuf_c_message_free_unpacked(&the_case->base, NULL);
    return status;
}
