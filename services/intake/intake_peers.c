/* The peers thread: everything intake waits on another service for, on its
 * own database connection and sockets, so the service loop (and its p99)
 * never waits on grid or the volunteer registry. It follows grid's events
 * into the reference tables, follows the registry's dispatch events into the
 * dispatch inbox, and makes (DispatchOffer) and cancels (DispatchCancel) the
 * registry's dispatches for the cases waiting for them, leaving the answers
 * in the inbox. It writes nothing else: case rows and intake's event log
 * keep one writer, the loop, which applies the inbox on a timer. */
#include "intake_peers.h"
#include "intake_handoff.h"
#include "intake_registration.h"
#include "sf_client.h"
#include "sf_log.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define DISPATCH_ROUND_MAX 50
/* How often the cases still being handed are delivered. */
#define HANDOFF_ROUND_MS 200
#define DESCRIPTION_MAX 500

struct intake_peers_t {
    pthread_t thread;
    bool started;
    atomic_bool stop;
    atomic_bool loop_ready;         /* the loop is connected with migrations applied */
    atomic_llong grid_cursor;
    atomic_llong volunteer_cursor;
    atomic_llong employment_cursor;
    atomic_llong offers;            /* registry calls answered */
    atomic_llong registry_failures; /* registry calls that got no answer */
    intake_config_t config;
    char instance[96];
    sf_db_t *db;
    sf_follower_t *grid;
    sf_follower_t *volunteer;
    sf_follower_t *employment;      /* its answers to registrations (intake_registration.c) */
    sf_client_t *registry;
    int64_t households_new;         /* created in grid's page being applied */
    intake_handoff_links_t handoff; /* the instances cases are handed to (intake_handoff.c) */
};

int64_t *
intake_peers_households_new(intake_peers_t *self)
{
    return &self->households_new;
}

bool
intake_peers_stopping(const intake_peers_t *self)
{
    return atomic_load(&self->stop);
}

const char *
intake_peers_instance(const intake_peers_t *self)
{
    return self->instance;
}

static void
pause_ms(int ms)
{
    struct timespec delay = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep(&delay, NULL);
}

static bool
insert_inbox(intake_peers_t *self, int64_t case_id, int attempt, int kind, const ProtobufCMessage *dispatch,
             const char *message)
{
    uint8_t *packed = NULL;
    size_t size = 0;
    if (dispatch) {
        size = protobuf_c_message_get_packed_size(dispatch);
        packed = malloc(size ? size : 1);
        if (!packed)
            return false;
        protobuf_c_message_pack(dispatch, packed);
    }
    sf_params_t *params = SF_PARAMS(case_id, attempt, kind);
    if (packed)
        sf_params_bytes(params, packed, size);
    else
        sf_params_null(params);
    sf_params_text(params, message ? message : "");
    PGresult *result = sf_db_query(self->db,
        "INSERT INTO dispatch_inbox (case_id, attempt, kind, dispatch, message) VALUES ($1, $2, $3, $4, $5)",
        params);
    bool ok = sf_db_result_ok(result);
    PQclear(result);
    free(packed);
    return ok;
}

/* Statuses that are the registry's final word on a request: no point in
 * asking again the same way. */
static bool
registry_refused(sf_status_t status)
{
    return status == SF_FAILED_PRECONDITION || status == SF_NOT_FOUND || status == SF_INVALID_ARGUMENT
        || status == SF_ALREADY_EXISTS;
}

/* Asks the registry to offer one case. Returns false when the registry did
 * not answer (the round stops and tries again later). */
static bool
offer_case(intake_peers_t *self, const PGresult *result, int row)
{
    int64_t case_id = sf_db_int(result, row, 0);
    int attempt = (int) sf_db_int(result, row, 1);
    const char *unit = sf_db_text(result, row, 2);
    const char *household = sf_db_text(result, row, 3);
    const char *skill = sf_db_text(result, row, 5);
    if (!*skill || (strlen(unit) != INTAKE_ZONE_CODE_LENGTH && !*household)) {
        insert_inbox(self, case_id, attempt, 2, NULL, !*skill ? "the item names no provider skill"
                                                               : "the case names no zone or household");
        return true;
    }
    char case_ref[128], request_id[160], description[DESCRIPTION_MAX * 4 + 1];
    intake_case_ref_format(case_ref, sizeof case_ref, self->instance, case_id, attempt);
    snprintf(request_id, sizeof request_id, "%s/offer", case_ref);
    Sifang__V1__DispatchOfferRequest offer = SIFANG__V1__DISPATCH_OFFER_REQUEST__INIT;
    offer.zone_code = strlen(unit) == INTAKE_ZONE_CODE_LENGTH ? (char *) unit : "";
    offer.household_code = (char *) household;
    offer.skill = (char *) skill;
    offer.duration_minutes = self->config.dispatch_minutes;
    offer.case_ref = case_ref;
    /* The registry takes DESCRIPTION_MAX characters: at most 4 bytes each,
     * so the buffer holds them all. */
    const char *text = sf_db_text(result, row, 4);
    snprintf(description, sizeof description, "%.*s", (int) sf_utf8_prefix_chars(text, DESCRIPTION_MAX), text);
    offer.description = description;
    offer.pool = SIFANG__V1__DISPATCH_POOL__DISPATCH_POOL_ANY;
    /* The item's time for each offer to be answered (0: the registry's). */
    offer.offer_timeout_ms = sf_db_int(result, row, 8);
    Sifang__V1__VolunteerDispatch *dispatch = NULL;
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(self->registry, "DispatchOffer", request_id, &offer.base,
                                        &sifang__v1__volunteer_dispatch__descriptor,
                                        (ProtobufCMessage **) &dispatch, &info);
    if (status == SF_OK) {
        atomic_fetch_add(&self->offers, 1);
        insert_inbox(self, case_id, attempt, 1, &dispatch->base, "dispatch.offered");
        protobuf_c_message_free_unpacked(&dispatch->base, NULL);
        return true;
    }
    if (registry_refused(status)) {
        atomic_fetch_add(&self->offers, 1);
        insert_inbox(self, case_id, attempt, 2, NULL, info.message);
        return true;
    }
    atomic_fetch_add(&self->registry_failures, 1);
    sf_warn("the volunteer registry did not make the offer; will retry", "case_ref", case_ref,
            "status", sf_status_name(status), "reason", info.message);
    return false;
}

static bool
cancel_case(intake_peers_t *self, const PGresult *result, int row)
{
    int64_t case_id = sf_db_int(result, row, 0);
    int attempt = (int) sf_db_int(result, row, 1);
    char case_ref[128], request_id[160];
    intake_case_ref_format(case_ref, sizeof case_ref, self->instance, case_id, attempt);
    snprintf(request_id, sizeof request_id, "%s/cancel", case_ref);
    Sifang__V1__DispatchCancelRequest cancel = SIFANG__V1__DISPATCH_CANCEL_REQUEST__INIT;
    cancel.id = (char *) sf_db_text(result, row, 6);
    cancel.reason = "the intake case ended before it was served";
    Sifang__V1__VolunteerDispatch *dispatch = NULL;
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(self->registry, "DispatchCancel", request_id, &cancel.base,
                                        &sifang__v1__volunteer_dispatch__descriptor,
                                        (ProtobufCMessage **) &dispatch, &info);
    if (status == SF_OK) {
        insert_inbox(self, case_id, attempt, 1, &dispatch->base, "dispatch.cancelled");
        protobuf_c_message_free_unpacked(&dispatch->base, NULL);
        return true;
    }
    if (registry_refused(status)) {
        insert_inbox(self, case_id, attempt, 3, NULL, info.message);
        return true;
    }
    atomic_fetch_add(&self->registry_failures, 1);
    sf_warn("the volunteer registry did not cancel; will retry", "case_ref", case_ref,
            "status", sf_status_name(status), "reason", info.message);
    return false;
}

/* The cases waiting for the registry (requested, or ended while it had
 * them), but not those whose answer is already in the inbox. */
static void
dispatch_round(intake_peers_t *self)
{
    PGresult *result = sf_db_query(self->db,
        "SELECT c.id, c.dispatch_attempt, c.unit_code, coalesce(c.household_code, ''), c.description,"
        "       coalesce(i.provider_skill, ''), c.volunteer_dispatch_id, c.dispatch_state,"
        "       coalesce(i.offer_timeout_ms, 0)"
        "  FROM intake_case c LEFT JOIN service_item i ON i.code = c.item_code"
        " WHERE c.dispatch_state IN (1, 7)"
        "   AND NOT EXISTS (SELECT 1 FROM dispatch_inbox b WHERE b.case_id = c.id)"
        " ORDER BY c.dispatch_state, c.id LIMIT $1", SF_PARAMS(DISPATCH_ROUND_MAX));
    if (!sf_db_result_ok(result)) {
        PQclear(result);
        return;
    }
    for (int row = 0; row < PQntuples(result) && !intake_peers_stopping(self); row++) {
        bool answered = sf_db_int(result, row, 7) == 1 ? offer_case(self, result, row)
                                                        : cancel_case(self, result, row);
        if (!answered)
            break;
    }
    PQclear(result);
}

static void
sync_follower(sf_follower_t *follower, atomic_llong *cursor)
{
    if (!follower)
        return;
    sf_follower_sync(follower);
    atomic_store(cursor, sf_follower_cursor(follower));
}

static void *
peers_main(void *arg)
{
    intake_peers_t *self = arg;
    /* The loop applies the migrations: the reference tables and the cursor
     * table exist only after that. */
    while (!intake_peers_stopping(self) && !atomic_load(&self->loop_ready))
        pause_ms(100);
    /* Down now or not, the loop below maintains the connection. */
    SF_IGNORE(sf_db_connect(self->db));
    int64_t next_grid = 0, next_volunteer = 0, next_employment = 0, next_round = 0, next_handoff = 0;
    while (!intake_peers_stopping(self)) {
        zmq_pollitem_t items[3];
        sf_follower_t *sources[3];
        int n = 0;
        if (self->grid) {
            items[n] = (zmq_pollitem_t) { sf_follower_socket(self->grid), 0, ZMQ_POLLIN, 0 };
            sources[n++] = self->grid;
        }
        if (self->volunteer) {
            items[n] = (zmq_pollitem_t) { sf_follower_socket(self->volunteer), 0, ZMQ_POLLIN, 0 };
            sources[n++] = self->volunteer;
        }
        if (self->employment) {
            items[n] = (zmq_pollitem_t) { sf_follower_socket(self->employment), 0, ZMQ_POLLIN, 0 };
            sources[n++] = self->employment;
        }
        int ready = n ? zmq_poll(items, n, 100) : 0;
        if (!n)
            pause_ms(100);
        if (!sf_db_maintain(self->db))
            continue;
        for (int i = 0; ready > 0 && i < n; i++)
            if (items[i].revents & ZMQ_POLLIN) {
                sf_follower_on_notice(sources[i]);
                /* Caught up in the next pass, past the notice's budget. */
                if (sources[i] == self->grid)
                    next_grid = 0;
                else if (sources[i] == self->volunteer)
                    next_volunteer = 0;
                else
                    next_employment = 0;
            }
        int64_t now = sf_clock_ms();
        if (self->grid && now >= next_grid) {
            sync_follower(self->grid, &self->grid_cursor);
            next_grid = sf_clock_ms() + self->config.grid_poll_ms;
        }
        if (self->volunteer && now >= next_volunteer) {
            sync_follower(self->volunteer, &self->volunteer_cursor);
            next_volunteer = sf_clock_ms() + self->config.volunteer_poll_ms;
        }
        if (self->employment && now >= next_employment) {
            sync_follower(self->employment, &self->employment_cursor);
            next_employment = sf_clock_ms() + self->config.volunteer_poll_ms;
        }
        if (self->registry && now >= next_round) {
            dispatch_round(self);
            next_round = sf_clock_ms() + self->config.volunteer_poll_ms;
        }
        if (self->handoff.n && now >= next_handoff) {
            intake_handoff_deliver(&self->handoff, self->db, self->instance, &self->stop);
            next_handoff = sf_clock_ms() + HANDOFF_ROUND_MS;
        }
    }
    return NULL;
}

/* --- the loop's side ------------------------------------------------------------ */

static void
on_ready_timer(sf_call_t *call, void *arg)
{
    intake_peers_t *self = arg;
    atomic_store(&self->loop_ready, sf_server_ready(sf_call_server(call)));
}

/* The owning services' answers to registrations, each a step of its case. */
static void
on_registration_timer(sf_call_t *call, void *arg)
{
    (void) arg;
    intake_registration_apply_inbox(call);   /* rows not applied stay in the inbox for the next turn */
}

/* The receiving instances' answers to hand-offs, each a step of its case. */
static void
on_handoff_timer(sf_call_t *call, void *arg)
{
    (void) arg;
    intake_handoff_apply_inbox(call);   /* rows not applied stay in the inbox for the next turn */
}

static void
add_stats(sf_server_t *server, sf_call_t *call, Sifang__V1__StatsReply *reply, void *arg)
{
    (void) server;
    intake_peers_t *self = arg;
    struct { const char *name; long long value; bool shown; } figures[] = {
        { "grid", atomic_load(&self->grid_cursor), self->grid != NULL },
        { "volunteer", atomic_load(&self->volunteer_cursor), self->volunteer != NULL },
        { "employment", atomic_load(&self->employment_cursor), self->employment != NULL },
        { "volunteer.dispatch_calls", atomic_load(&self->offers), self->registry != NULL },
        { "volunteer.dispatch_failures", atomic_load(&self->registry_failures), self->registry != NULL },
        { "handoff.delivered", atomic_load(&self->handoff.delivered), self->handoff.n > 0 },
        { "handoff.failures", atomic_load(&self->handoff.failures), self->handoff.n > 0 },
    };
    size_t n = sizeof figures / sizeof *figures;
    Sifang__V1__StatusCount **grown = sf_call_new_array(call, reply->n_followers + n, sizeof *grown);
    for (size_t i = 0; i < reply->n_followers; i++)
        grown[i] = reply->followers[i];
    for (size_t i = 0; i < n; i++) {
        if (!figures[i].shown)
            continue;
        Sifang__V1__StatusCount *entry = (Sifang__V1__StatusCount *)
            sf_call_new_message(call, &sifang__v1__status_count__descriptor);
        entry->status = (char *) figures[i].name;
        entry->count = figures[i].value;
        grown[reply->n_followers++] = entry;
    }
    reply->followers = grown;
}

intake_peers_t *
intake_peers_start(sf_server_t *server, const intake_t *intake, char *error, size_t error_size)
{
    intake_peers_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    self->config = intake->config;
    snprintf(self->instance, sizeof self->instance, "%s", intake->instance);
    char *conninfo = sf_db_conninfo_from_env("intake");
    self->db = conninfo ? sf_db_new(conninfo, sf_server_schema(server)) : NULL;
    free(conninfo);
    if (!self->db) {
        snprintf(error, error_size, "out of memory");
        goto failed;
    }
    /* Sockets are made here, before the thread that alone uses them starts
     * (its creation orders the two), so a bad configuration stops the
     * daemon at once. */
    void *context = sf_server_zmq_context(server);
    if (self->config.follow_grid) {
        self->grid = sf_follower_new_from_env(context, self->db, "grid", intake_apply_grid_event, self,
                                              error, error_size);
        if (!self->grid)
            goto failed;
        sf_follower_set_page_end(self->grid, intake_grid_page_end, self);
    }
    if (self->config.use_volunteer) {
        self->volunteer = sf_follower_new_from_env(context, self->db, "volunteer", intake_apply_volunteer_event,
                                                   self, error, error_size);
        if (!self->volunteer)
            goto failed;
        /* Only dispatch events matter, and a page of them holds the case
         * inbox briefly: keep pages small. */
        sf_follower_set_page_size(self->volunteer, 200);
        sf_curve_client_t curve;
        if (sf_curve_client_from_env(&curve, "volunteer", error, error_size) != 0)
            goto failed;
        self->registry = sf_client_new_in(context, sf_service_endpoint("volunteer"), &curve);
        if (!self->registry) {
            snprintf(error, error_size, "cannot open a socket to the volunteer registry");
            goto failed;
        }
        sf_client_set_timeout(self->registry, 2000);
        sf_client_set_retries(self->registry, 1);
        sf_client_set_principal(self->registry, self->instance, "service", "");
    }
    if (self->config.use_employment) {
        self->employment = sf_follower_new_from_env(context, self->db, "employment", intake_apply_registration_event,
                                                    self, error, error_size);
        if (!self->employment)
            goto failed;
        /* Only the answers to registrations matter among its events. */
        sf_follower_set_page_size(self->employment, 200);
    }
    if (intake_handoff_links_open(&self->handoff, context, self->config.handoff_peers, self->instance,
                                  error, error_size) != 0)
        goto failed;
    if (pthread_create(&self->thread, NULL, peers_main, self) != 0) {
        snprintf(error, error_size, "cannot start the peers thread");
        goto failed;
    }
    self->started = true;
    sf_server_add_timer(server, 200, on_ready_timer, self);
    sf_server_add_timer(server, 250, on_registration_timer, self);
    if (self->handoff.n)
        sf_server_add_timer(server, 200, on_handoff_timer, self);
    sf_server_add_stats_hook(server, add_stats, self);
    return self;
failed:
    intake_peers_stop(&self);
    return NULL;
}

void
intake_peers_stop(intake_peers_t **self_p)
{
    intake_peers_t *self = *self_p;
    if (!self)
        return;
    atomic_store(&self->stop, true);
    if (self->started)
        pthread_join(self->thread, NULL);
    sf_follower_destroy(&self->grid);
    sf_follower_destroy(&self->volunteer);
    sf_follower_destroy(&self->employment);
    sf_client_destroy(&self->registry);
    intake_handoff_links_close(&self->handoff);
    sf_db_destroy(&self->db);
    free(self);
    *self_p = NULL;
}
