/* The followed sources: which instances (SIFANG_EVALUATION_SOURCES), where
 * each answers, one follower per instance with its cursor in evaluation's
 * schema, and the dispatch of their events to the mapping of their service.
 *
 * Naming: an instance is "<service>" or "<service>@<department>" (what the
 * source daemon calls itself with SIFANG_INSTANCE). Its settings are
 * SIFANG_<STEM>_ENDPOINT, _PUBLISH and _PUBLIC_KEY_FILE, the stem being the
 * instance upper-cased with '@' and '-' as '_': "intake@civil-affairs" ->
 * SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT. A bare service falls back on the
 * suite's default endpoints; an instance with '@' must be given both.
 *
 * The followers run in a thread of their own, on a database connection of
 * their own: a source that is down (each poll waits for its timeout) or a
 * long catch-up never holds up the service's requests. They write facts of
 * the sources only, and the service's own writes touch only its own facts
 * (surveys), so the two connections never wait on each other's rows. */
#include "evaluation.h"
#include "sf_log.h"
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

bool
eval_service_mapped(const char *service)
{
    if (strcmp(service, "grid") == 0)
        return true;
    if (strcmp(service, "intake") == 0)
        return eval_intake_mapped();
    if (strcmp(service, "employment") == 0)
        return eval_employment_mapped();
    if (strcmp(service, "volunteer") == 0)
        return eval_volunteer_mapped();
    return false;
}

static bool
valid_instance(const char *name, char *service, size_t service_size)
{
    const char *at = strchr(name, '@');
    size_t service_length = at ? (size_t) (at - name) : strlen(name);
    if (service_length == 0 || service_length >= service_size || (at && !at[1]) || strlen(name) >= 96)
        return false;
    for (const char *p = name; *p; p++)
        if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p) || *p == '-' || (p == at)))
            return false;
    memcpy(service, name, service_length);
    service[service_length] = '\0';
    return strcmp(service, "grid") == 0 || strcmp(service, "intake") == 0
        || strcmp(service, "employment") == 0 || strcmp(service, "volunteer") == 0;
}

/* A district's name at the city level ("sifang", "shinan"): lower case,
 * digits and '-'. */
static bool
district_valid(const char *name, size_t length)
{
    if (length == 0 || length >= 32)
        return false;
    for (size_t i = 0; i < length; i++)
        if (!(islower((unsigned char) name[i]) || isdigit((unsigned char) name[i]) || name[i] == '-'))
            return false;
    return true;
}

int
eval_sources_configure(evaluation_t *self, const char *list, char *error, size_t error_size)
{
    self->n_sources = 0;
    char *copy = strdup(list ? list : "");
    if (!copy) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    int rc = 0;
    char *save = NULL;
    for (char *name = strtok_r(copy, " ,\t\n", &save); name; name = strtok_r(NULL, " ,\t\n", &save)) {
        eval_source_t *source = &self->sources[self->n_sources];
        if (self->n_sources >= EVAL_MAX_SOURCES) {
            snprintf(error, error_size, "SIFANG_EVALUATION_SOURCES: at most %d sources", EVAL_MAX_SOURCES);
            rc = -1;
            break;
        }
        memset(source, 0, sizeof *source);
        /* The city level: "<district>:<instance>", every one; a district's
         * evaluation: the instance alone. */
        const char *colon = strchr(name, ':');
        const char *instance = colon ? colon + 1 : name;
        if (self->city != (colon != NULL) || (colon && !district_valid(name, (size_t) (colon - name)))) {
            snprintf(error, error_size, self->city
                     ? "SIFANG_EVALUATION_SOURCES: \"%s\" is not <district>:<instance> (SIFANG_EVALUATION_LEVEL=city;"
                       " the district in lower case, digits and '-')"
                     : "SIFANG_EVALUATION_SOURCES: \"%s\" names a district: only at SIFANG_EVALUATION_LEVEL=city", name);
            rc = -1;
            break;
        }
        if (!valid_instance(instance, source->service, sizeof source->service) || strlen(name) >= sizeof source->name) {
            snprintf(error, error_size,
                     "SIFANG_EVALUATION_SOURCES: \"%s\" is not <service> or <service>@<department> with"
                     " service grid, intake, employment or volunteer (lower case, digits and '-')", name);
            rc = -1;
            break;
        }
        for (size_t i = 0; i < self->n_sources; i++)
            if (strcmp(self->sources[i].name, name) == 0) {
                snprintf(error, error_size, "SIFANG_EVALUATION_SOURCES: \"%s\" is listed twice", name);
                rc = -1;
            }
        if (rc)
            break;
        snprintf(source->name, sizeof source->name, "%s", name);
        snprintf(source->instance, sizeof source->instance, "%s", instance);
        snprintf(source->district, sizeof source->district, "%.*s", colon ? (int) (colon - name) : 0, name);
        /* shinan:intake@civil-affairs -> SIFANG_SHINAN_INTAKE_CIVIL_AFFAIRS_... */
        size_t i = 0;
        for (const char *p = name; *p && i + 1 < sizeof source->env_stem; p++)
            source->env_stem[i++] = *p == '@' || *p == ':' ? '_' : *p;
        source->env_stem[i] = '\0';
        /* An instance with '@' has no default: its stem is no service's. */
        const char *endpoint = sf_service_endpoint(source->env_stem);
        const char *publish = sf_service_publish(source->env_stem);
        if (!endpoint || !publish) {
            char e[160], p[160];
            snprintf(error, error_size, "source %s: set %s and %s", name,
                     sf_service_env_name(e, sizeof e, source->env_stem, "ENDPOINT"),
                     sf_service_env_name(p, sizeof p, source->env_stem, "PUBLISH"));
            rc = -1;
            break;
        }
        snprintf(source->endpoint, sizeof source->endpoint, "%s", endpoint);
        snprintf(source->publish, sizeof source->publish, "%s", publish);
        source->evaluation = self;
        self->n_sources++;
    }
    free(copy);
    return rc;
}

static sf_status_t apply_mapped(eval_source_t *source, sf_db_t *db, const Sifang__V1__Event *event);

static sf_status_t
apply_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    eval_source_t *source = arg;
    /* The cursor is kept under the name the source gives itself: it must be
     * the configured one, or two followers could share a cursor. */
    if (event->source && *event->source && strcmp(event->source, source->instance) != 0) {
        sf_error("source names itself differently from its configuration; not applied",
                 "configured", source->instance, "source", event->source);
        return SF_FAILED_PRECONDITION;
    }
    /* The city level: what is kept of a source is kept under its district's
     * name for it (two districts' intakes both call themselves "intake"),
     * and grid's people under ids of their district (evaluation_city.c). */
    Sifang__V1__Event qualified;
    uint8_t *repacked = NULL;
    if (source->district[0]) {
        sf_status_t status = eval_city_qualify(source, event, &qualified, &repacked);
        if (status != SF_OK)
            return status;
        event = &qualified;
    }
    sf_status_t status = apply_mapped(source, db, event);
    free(repacked);
    return status;
}

static sf_status_t
apply_mapped(eval_source_t *source, sf_db_t *db, const Sifang__V1__Event *event)
{
    if (strcmp(source->service, "grid") == 0)
        return eval_grid_apply(source->evaluation, db, event);
    if (strcmp(source->service, "intake") == 0)
        return eval_intake_apply(source, db, event);
    if (strcmp(source->service, "employment") == 0)
        return eval_employment_apply(source->evaluation, db, event);
    if (strcmp(source->service, "volunteer") == 0)
        return eval_volunteer_apply(source->evaluation, db, event);
    return SF_OK;
}

/* Backoff for a source that does not answer: a poll blocks the follower
 * thread for its timeout, so a source that is down is asked less and less
 * often (a notice from it, once it is back, wakes it at once). */
#define BACKOFF_MAX_MS 30000

static void
polled(eval_source_t *source, int applied, int poll_ms)
{
    int64_t now = sf_clock_ms();
    if (applied < 0 && !sf_db_is_up(source->evaluation->follower_db)) {
        /* Our database, not the source: try again as usual. */
        source->poll_at_ms = now + poll_ms;
    } else if (applied < 0) {
        source->failures++;
        int64_t wait = (int64_t) poll_ms << (source->failures < 10 ? source->failures : 10);
        source->poll_at_ms = now + (wait < BACKOFF_MAX_MS ? wait : BACKOFF_MAX_MS);
    } else {
        source->failures = 0;
        atomic_store(&source->synced, true);
        /* Still behind (a budgeted catch-up stopped short): again at once. */
        bool behind = sf_follower_cursor(source->follower) < sf_follower_head(source->follower);
        source->poll_at_ms = behind ? now : now + poll_ms;
    }
    atomic_store(&source->cursor, sf_follower_cursor(source->follower));
    atomic_store(&source->head, sf_follower_head(source->follower));
    atomic_store(&source->skipped, sf_follower_skipped(source->follower));
    /* Said once after the start, when the followers have first all reached
     * their sources' heads (falling behind by the next write and catching up
     * again is their ordinary work, not news). */
    evaluation_t *self = source->evaluation;
    if (!self->caught_up_logged && !eval_sources_catching_up(self)) {
        self->caught_up_logged = true;
        sf_info("caught up with every source");
    }
}

static void *
follow(void *arg)
{
    evaluation_t *self = arg;
    /* Signals are the service loop's to take. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    zmq_pollitem_t items[EVAL_MAX_SOURCES];
    bool ready = false, backfills_loaded = false;
    /* A page's facts are written once, at its end (evaluation_facts.c). */
    eval_facts_gather(true);
    while (!atomic_load(&self->stopping)) {
        if (!sf_db_is_up(self->follower_db) && !sf_db_maintain(self->follower_db)) {
            usleep(100 * 1000);
            continue;
        }
        if (!ready) {
            /* The service loop applies the migrations: wait for all of
             * them. Tables that exist are not enough: a follower that read
             * its cursor before migration 004 forgot it would go on from
             * there, and the facts it forgot would never be counted again;
             * nor is the last one recorded, when an earlier one is pending
             * (it runs after the last: the upgrade test makes 004 pending). */
            PGresult *result = sf_db_query(self->follower_db,
                "SELECT count(*) FROM schema_migrations WHERE component = 'evaluation' AND version <= $1",
                SF_PARAMS(self->last_migration));
            ready = sf_db_result_ok(result) && PQntuples(result) == 1
                 && sf_db_int(result, 0, 0) >= self->n_migrations;
            PQclear(result);
            if (!ready) {
                usleep(100 * 1000);
                continue;
            }
        }
        /* Whether grid's records are to be read again (migration 013):
         * known only once the migrations are done. */
        if (!backfills_loaded && !(backfills_loaded = eval_backfill_load(self))) {
            usleep(100 * 1000);
            continue;
        }
        for (size_t i = 0; i < self->n_sources; i++) {
            items[i].socket = sf_follower_socket(self->sources[i].follower);
            items[i].fd = 0;
            /* A grid whose records are read again first is not followed
             * on meanwhile: its notices wait. */
            items[i].events = self->sources[i].backfill ? 0 : ZMQ_POLLIN;
            items[i].revents = 0;
        }
        /* Wake for notices, for the next due poll, and to see stopping. */
        int64_t now = sf_clock_ms(), wait = 200;
        for (size_t i = 0; i < self->n_sources; i++)
            if (self->sources[i].poll_at_ms - now < wait)
                wait = self->sources[i].poll_at_ms - now;
        int rc = zmq_poll(items, (int) self->n_sources, wait < 0 ? 0 : (long) wait);
        if (rc < 0 && zmq_errno() == ETERM)
            break;
        for (size_t i = 0; i < self->n_sources && !atomic_load(&self->stopping); i++) {
            eval_source_t *source = &self->sources[i];
            if (source->backfill) {
                if (sf_clock_ms() < source->poll_at_ms)
                    continue;
                /* Read on at once while it reads; a source or database
                 * that fails is tried again later, less and less often. */
                bool failed = eval_backfill_step(source) < 0;
                source->failures = failed ? source->failures + 1 : 0;
                int64_t wait = failed ? (int64_t) self->poll_ms << (source->failures < 10 ? source->failures : 10) : 0;
                source->poll_at_ms = sf_clock_ms() + (wait < BACKOFF_MAX_MS ? wait : BACKOFF_MAX_MS);
                continue;
            }
            if (rc > 0 && (items[i].revents & ZMQ_POLLIN)) {
                int64_t before = sf_follower_cursor(source->follower);
                sf_follower_on_notice(source->follower);
                source->failures = 0;
                polled(source, sf_follower_cursor(source->follower) >= before ? 0 : -1, self->poll_ms);
            } else if (sf_clock_ms() >= source->poll_at_ms)
                polled(source, sf_follower_sync(source->follower), self->poll_ms);
        }
    }
    eval_facts_gather(false);
    return NULL;
}

/* Sys.Stats reports each followed source with its cursor and the events it
 * skipped, as the common follower does. */
static void
add_stats(sf_server_t *server, sf_call_t *call, Sifang__V1__StatsReply *reply, void *arg)
{
    (void) server;
    evaluation_t *self = arg;
    Sifang__V1__StatusCount **grown = sf_call_new_array(call, reply->n_followers + self->n_sources, sizeof *grown);
    for (size_t i = 0; i < reply->n_followers; i++)
        grown[i] = reply->followers[i];
    for (size_t i = 0; i < self->n_sources; i++) {
        Sifang__V1__StatusCount *entry = (Sifang__V1__StatusCount *)
            sf_call_new_message(call, &sifang__v1__status_count__descriptor);
        entry->status = self->sources[i].name;
        entry->count = atomic_load(&self->sources[i].cursor);
        grown[reply->n_followers++] = entry;
    }
    reply->followers = grown;
    Sifang__V1__StatusCount **skipped = sf_call_new_array(call, reply->n_skipped + self->n_sources, sizeof *skipped);
    for (size_t i = 0; i < reply->n_skipped; i++)
        skipped[i] = reply->skipped[i];
    for (size_t i = 0; i < self->n_sources; i++) {
        Sifang__V1__StatusCount *entry = (Sifang__V1__StatusCount *)
            sf_call_new_message(call, &sifang__v1__status_count__descriptor);
        entry->status = self->sources[i].name;
        entry->count = atomic_load(&self->sources[i].skipped);
        skipped[reply->n_skipped++] = entry;
    }
    reply->skipped = skipped;
}

int
eval_sources_start(evaluation_t *self, sf_server_t *server, char *error, size_t error_size)
{
    char *conninfo = sf_db_conninfo_from_env("evaluation");
    self->follower_db = conninfo ? sf_db_new(conninfo, sf_server_schema(server)) : NULL;
    free(conninfo);
    if (!self->follower_db) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < self->n_sources; i++) {
        eval_source_t *source = &self->sources[i];
        sf_curve_client_t curve;
        if (sf_curve_client_from_env(&curve, source->env_stem, error, error_size) != 0)
            return -1;
        source->follower = sf_follower_new(sf_server_zmq_context(server), self->follower_db, source->instance,
                                           source->endpoint, source->publish, &curve, apply_event, source);
        if (!source->follower) {
            snprintf(error, error_size, "cannot open sockets to %s at %s", source->name, source->endpoint);
            return -1;
        }
        /* The city level: each district's "grid" has a cursor of its own. */
        if (source->district[0])
            sf_follower_set_cursor_key(source->follower, source->name);
        sf_follower_set_page_size(source->follower, self->page_size);
        sf_follower_set_page_end(source->follower, eval_facts_page_end, NULL);
        if (eval_backfill_new(source, sf_server_zmq_context(server), &curve, error, error_size) != 0)
            return -1;
        if (strcmp(source->service, "intake") == 0) {
            /* Short attempts: the follower thread waits for it inside a
             * page's transaction, and a source that does not answer is
             * retried on the next poll anyway. */
            source->reader = sf_client_new_in(sf_server_zmq_context(server), source->endpoint, &curve);
            if (!source->reader) {
                snprintf(error, error_size, "cannot open a socket to %s at %s", source->name, source->endpoint);
                return -1;
            }
            sf_client_set_principal(source->reader, "evaluation", "service", "");
            sf_client_set_timeout(source->reader, 2000);
            sf_client_set_retries(source->reader, 1);
        }
        sf_info("following", "source", source->name, "endpoint", source->endpoint,
                "mapped", eval_service_mapped(source->service) ? "yes" : "not yet");
    }
    sf_server_add_stats_hook(server, add_stats, self);
    atomic_store(&self->stopping, false);
    if (pthread_create(&self->follower_thread, NULL, follow, self) != 0) {
        snprintf(error, error_size, "cannot start the follower thread");
        return -1;
    }
    self->follower_running = true;
    return 0;
}

void
eval_sources_stop(evaluation_t *self)
{
    atomic_store(&self->stopping, true);
    if (self->follower_running) {
        pthread_join(self->follower_thread, NULL);
        self->follower_running = false;
    }
    for (size_t i = 0; i < self->n_sources; i++) {
        sf_follower_destroy(&self->sources[i].backfill);
        sf_follower_destroy(&self->sources[i].follower);
        sf_client_destroy(&self->sources[i].reader);
    }
    sf_db_destroy(&self->follower_db);
}

Sifang__V1__SourceState **
eval_sources_states(sf_call_t *call, size_t *n)
{
    evaluation_t *self = sf_call_state(call);
    Sifang__V1__SourceState **states = sf_call_new_array(call, self->n_sources, sizeof *states);
    /* The stored cursors, not the followers' memory: they are what counts. */
    PGresult *result = sf_call_query(call, "SELECT source, last_seq FROM event_cursor", NULL);
    for (size_t i = 0; i < self->n_sources; i++) {
        const eval_source_t *source = &self->sources[i];
        Sifang__V1__SourceState *state = (Sifang__V1__SourceState *)
            sf_call_new_message(call, &sifang__v1__source_state__descriptor);
        state->source = (char *) source->name;
        state->service = (char *) source->service;
        state->endpoint = (char *) source->endpoint;
        state->mapped = eval_service_mapped(source->service);
        state->head = atomic_load(&source->head);
        for (int row = 0; result && row < PQntuples(result); row++)
            if (strcmp(sf_db_text(result, row, 0), source->name) == 0)
                state->cursor = sf_db_int(result, row, 1);
        states[i] = state;
    }
    *n = self->n_sources;
    return states;
}

bool
eval_sources_catching_up(evaluation_t *self)
{
    for (size_t i = 0; i < self->n_sources; i++) {
        const eval_source_t *source = &self->sources[i];
        if (!atomic_load(&source->synced) || atomic_load(&source->cursor) < atomic_load(&source->head))
            return true;
    }
    return false;
}

sf_status_t
eval_source_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    (void) request;
    Sifang__V1__SourceListReply *reply = (Sifang__V1__SourceListReply *)
        sf_call_new_message(call, &sifang__v1__source_list_reply__descriptor);
    reply->sources = eval_sources_states(call, &reply->n_sources);
    reply->catching_up = eval_sources_catching_up(sf_call_state(call));
    *reply_p = &reply->base;
    return SF_OK;
}
