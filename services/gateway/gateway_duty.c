/* A person's grants from their duty in grid: the staff record and the
 * responsibilities, cached per staff member, forgotten on grid's staff and
 * responsibility events (gateway_duty.h). */
#include "gateway_duty.h"
#include "sf_config.h"
#include "sf_log.h"
#include "sf_roles.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ZONES 32          /* zones one person answers for */
#define MAX_SCOPES 40         /* scopes in one of a grant's lists */
#define CACHE_SIZE 1024       /* staff members remembered; the oldest go first */

/* What grid says of one staff member. */
typedef struct {
    char staff_id[32];
    bool found;               /* grid has the record */
    bool active;
    char unit_code[32];
    char department_code[64];
    size_t n_zones;
    char zones[MAX_ZONES][32];
    int64_t fetched_ms;
    uint64_t generation;      /* of the cache when fetched */
} staff_duty_t;

struct gateway_duty_t {
    gateway_upstream_t *upstream;
    pthread_mutex_t lock;
    staff_duty_t entries[CACHE_SIZE];
    size_t n_entries;
    uint64_t generation;      /* bumped on each staff or responsibility event */
    int64_t events_after;     /* grid's event log read up to here; -1 = not yet placed */
    int64_t next_poll_ms;
};

/* The gateway's own principal for its look-ups in grid. */
static const gateway_principal_t gateway_self = { .id = "gateway", .role = "gateway" };

gateway_duty_t *
gateway_duty_new(gateway_upstream_t *upstream)
{
    gateway_duty_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->upstream = upstream;
    self->events_after = -1;
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

void
gateway_duty_destroy(gateway_duty_t **self_p)
{
    gateway_duty_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

/* --- what grid says --------------------------------------------------------- */

static bool
is_zone_duty(Sifang__V1__ResponsibilityKind kind)
{
    return kind == SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_CADRE
        || kind == SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_COMMITTEE;
}

/* Asks grid for a staff member's record and the zones they answer for. */
static int
fetch(gateway_duty_t *self, const char *staff_id, staff_duty_t *duty, gateway_error_t *error)
{
    memset(duty, 0, sizeof *duty);
    snprintf(duty->staff_id, sizeof duty->staff_id, "%s", staff_id);
    Sifang__V1__IdRequest get = SIFANG__V1__ID_REQUEST__INIT;
    get.id = (char *) staff_id;
    ProtobufCMessage *reply = NULL;
    sf_status_t status = gateway_upstream_call(self->upstream, "grid", "StaffGet", NULL, &gateway_self, &get.base,
                                               &reply, error);
    if (status == SF_NOT_FOUND)
        return 0;
    if (status != SF_OK)
        return -1;
    const Sifang__V1__Staff *staff = (const Sifang__V1__Staff *) reply;
    duty->found = true;
    duty->active = staff->active;
    snprintf(duty->unit_code, sizeof duty->unit_code, "%s", staff->unit_code);
    snprintf(duty->department_code, sizeof duty->department_code, "%s", staff->department_code);
    protobuf_c_message_free_unpacked(reply, NULL);

    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 1000;
    Sifang__V1__ResponsibilityListRequest list = SIFANG__V1__RESPONSIBILITY_LIST_REQUEST__INIT;
    list.staff_id = (char *) staff_id;
    list.page = &page;
    reply = NULL;
    if (gateway_upstream_call(self->upstream, "grid", "ResponsibilityList", NULL, &gateway_self, &list.base,
                              &reply, error) != SF_OK)
        return -1;
    const Sifang__V1__ResponsibilityListReply *held = (const Sifang__V1__ResponsibilityListReply *) reply;
    for (size_t i = 0; i < held->n_responsibilities && duty->n_zones < MAX_ZONES; i++)
        if (is_zone_duty(held->responsibilities[i]->kind))
            snprintf(duty->zones[duty->n_zones++], sizeof duty->zones[0], "%s", held->responsibilities[i]->unit_code);
    protobuf_c_message_free_unpacked(reply, NULL);
    return 0;
}

/* The staff member's duty: the cached one while it is fresh, else grid's
 * (a stale one when grid does not answer: better than locking everyone out
 * while grid restarts, and never older than its last word). */
static int
duty_of(gateway_duty_t *self, const char *staff_id, staff_duty_t *duty, gateway_error_t *error)
{
    int64_t now = sf_clock_ms();
    pthread_mutex_lock(&self->lock);
    staff_duty_t *cached = NULL;
    for (size_t i = 0; i < self->n_entries; i++)
        if (strcmp(self->entries[i].staff_id, staff_id) == 0)
            cached = &self->entries[i];
    bool fresh = cached && cached->generation == self->generation && now - cached->fetched_ms < GATEWAY_DUTY_MAX_AGE_MS;
    if (cached)
        *duty = *cached;
    uint64_t generation = self->generation;
    pthread_mutex_unlock(&self->lock);
    if (fresh)
        return 0;

    staff_duty_t fetched;
    if (fetch(self, staff_id, &fetched, error) != 0) {
        if (!cached)
            return -1;
        sf_warn("grid did not say a person's duty; the last word stands", "staff", staff_id);
        return 0;
    }
    fetched.fetched_ms = now;
    fetched.generation = generation;
    *duty = fetched;
    pthread_mutex_lock(&self->lock);
    staff_duty_t *slot = NULL;
    for (size_t i = 0; i < self->n_entries && !slot; i++)
        if (strcmp(self->entries[i].staff_id, staff_id) == 0)
            slot = &self->entries[i];
    if (!slot && self->n_entries < CACHE_SIZE)
        slot = &self->entries[self->n_entries++];
    if (!slot) {
        /* Full: the oldest goes. */
        slot = &self->entries[0];
        for (size_t i = 1; i < self->n_entries; i++)
            if (self->entries[i].fetched_ms < slot->fetched_ms)
                slot = &self->entries[i];
    }
    *slot = fetched;
    pthread_mutex_unlock(&self->lock);
    return 0;
}

/* --- grants -------------------------------------------------------------------- */

/* A grant being built: its scope texts live in the builder. */
typedef struct {
    Sifang__V1__Grant grant;
    char *view[MAX_SCOPES], *write[MAX_SCOPES], *search[MAX_SCOPES];
    char texts[3][MAX_SCOPES][40];
} grant_builder_t;

static void
add_scope(grant_builder_t *b, int list, const char *prefix, const char *unit)
{
    char **slots = list == 0 ? b->view : list == 1 ? b->write : b->search;
    size_t *n = list == 0 ? &b->grant.n_view : list == 1 ? &b->grant.n_write : &b->grant.n_search;
    if (*n >= MAX_SCOPES || !unit || !*unit)
        return;
    char *text = b->texts[list][*n];
    snprintf(text, sizeof b->texts[0][0], "%s%s", prefix, unit);
    if (!sf_unit_scope_valid(text))
        return;
    slots[(*n)++] = text;
}

/* view and write (and search) of one role by default, from the duty. */
static void
default_scopes(grant_builder_t *b, const char *role, const staff_duty_t *duty)
{
    const char *unit = duty->found && duty->active ? duty->unit_code : "";
    if (sf_role_in(role, "window_clerk community_staff street_staff employment_counsellor")) {
        add_scope(b, 0, "", unit);
        add_scope(b, 1, "", unit);
        if (*unit)
            add_scope(b, 2, "", "*");
    } else if (strcmp(role, "volunteer_coordinator") == 0) {
        add_scope(b, 0, "", unit);
        add_scope(b, 1, "", unit);
    } else if (strcmp(role, "zone_cadre") == 0) {
        for (size_t i = 0; *unit && i < duty->n_zones; i++) {
            add_scope(b, 0, "", duty->zones[i]);
            add_scope(b, 1, "", duty->zones[i]);
        }
        add_scope(b, 2, "", unit);
    } else if (strcmp(role, "department_staff") == 0) {
        if (*unit || duty->found)
            add_scope(b, 0, "", "*");
    } else if (strcmp(role, "appraisal_office") == 0) {
        add_scope(b, 0, "", "*");
        add_scope(b, 1, "", "*");
    } else if (strcmp(role, "leader") == 0) {
        add_scope(b, 0, "", "*");
    }
    /* privacy_officer, administrator: no unit. */
}

/* An account role's own data scope, replacing view and write. */
static void
override_scopes(grant_builder_t *b, const gateway_account_role_t *role, const staff_duty_t *duty)
{
    const char *unit = duty->found && duty->active ? duty->unit_code : "";
    b->grant.n_view = b->grant.n_write = 0;
    if (strcmp(role->data_scope, "all") == 0) {
        add_scope(b, 0, "", "*");
        add_scope(b, 1, "", "*");
    } else if (strcmp(role->data_scope, "units") == 0) {
        for (size_t i = 0; i < role->n_units; i++) {
            add_scope(b, 0, "", role->units[i]);
            add_scope(b, 1, "", role->units[i]);
        }
    } else if (strcmp(role->data_scope, "own_unit") == 0) {
        add_scope(b, 0, "=", unit);
        add_scope(b, 1, "=", unit);
    } else if (strcmp(role->data_scope, "own_unit_and_below") == 0) {
        add_scope(b, 0, "", unit);
        add_scope(b, 1, "", unit);
    }
    /* own_records: no unit; the services show the person's own records. */
}

int
gateway_duty_principal(gateway_duty_t *self, const gateway_account_t *account, gateway_principal_t *principal,
                       gateway_error_t *error)
{
    memset(principal, 0, sizeof *principal);
    if (account->n_roles == 0) {
        gateway_error_set(error, SF_FAILED_PRECONDITION, "this account holds no role; ask an administrator");
        return -1;
    }
    staff_duty_t duty;
    memset(&duty, 0, sizeof duty);
    if (account->staff_id[0] && duty_of(self, account->staff_id, &duty, error) != 0)
        return -1;

    if (account->staff_id[0])
        snprintf(principal->id, sizeof principal->id, "%s", account->staff_id);
    else
        snprintf(principal->id, sizeof principal->id, "acct:%s", account->login);
    snprintf(principal->role, sizeof principal->role, "%s", account->roles[0].role);
    snprintf(principal->account, sizeof principal->account, "%s", account->login);
    snprintf(principal->instance, sizeof principal->instance, "%s", account->instance);

    grant_builder_t *builders = calloc(GATEWAY_ACCOUNT_MAX_ROLES, sizeof *builders);
    if (!builders) {
        gateway_error_set(error, SF_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    Sifang__V1__Grant *grants[GATEWAY_ACCOUNT_MAX_ROLES];
    size_t n = 0;
    for (size_t i = 0; i < account->n_roles && n < GATEWAY_ACCOUNT_MAX_ROLES; i++) {
        const gateway_account_role_t *role = &account->roles[i];
        if (!sf_role_in(role->role, SF_PEOPLE_ROLES))
            continue;
        grant_builder_t *b = &builders[n];
        sifang__v1__grant__init(&b->grant);
        b->grant.role = (char *) role->role;
        b->grant.view = b->view;
        b->grant.write = b->write;
        b->grant.search = b->search;
        default_scopes(b, role->role, &duty);
        if (role->data_scope[0])
            override_scopes(b, role, &duty);
        grants[n++] = &b->grant;
    }
    Sifang__V1__Principal person = SIFANG__V1__PRINCIPAL__INIT;
    person.id = principal->id;
    person.role = principal->role;
    person.account = principal->account;
    person.department = (char *) (account->department_code[0] ? account->department_code : duty.department_code);
    person.grants = grants;
    person.n_grants = n;
    size_t size = protobuf_c_message_get_packed_size(&person.base);
    int rc = 0;
    if (n == 0 || size > sizeof principal->person) {
        gateway_error_set(error, SF_FAILED_PRECONDITION,
                          n == 0 ? "this account holds no role the services know"
                                 : "this account's duty is too wide to name; ask an administrator");
        rc = -1;
    } else
        principal->person_size = protobuf_c_message_pack(&person.base, principal->person);
    free(builders);
    return rc;
}

/* --- grid's events ------------------------------------------------------------- */

static bool
changes_duty(const char *type)
{
    return type && (strncmp(type, "staff.", 6) == 0 || strncmp(type, "responsibility.", 15) == 0);
}

void
gateway_duty_poll(gateway_duty_t *self, int64_t now_ms)
{
    if (now_ms < self->next_poll_ms)
        return;
    self->next_poll_ms = now_ms + GATEWAY_DUTY_POLL_MS;
    gateway_error_t error;
    memset(&error, 0, sizeof error);
    if (self->events_after < 0) {
        /* First placed at grid's head: what happened before is in what
         * the gateway will ask grid anyway. */
        Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
        ProtobufCMessage *reply = NULL;
        if (gateway_upstream_call(self->upstream, "grid", "Sys.Ping", NULL, &gateway_self, &ping.base, &reply,
                                  &error) != SF_OK)
            return;
        self->events_after = ((const Sifang__V1__PingReply *) reply)->event_head;
        protobuf_c_message_free_unpacked(reply, NULL);
    }
    Sifang__V1__EventsFetchRequest fetch_request = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch_request.limit = 1000;
    fetch_request.after = self->events_after;
    for (int round = 0; round < 10; round++) {
        ProtobufCMessage *reply = NULL;
        if (gateway_upstream_call(self->upstream, "grid", "Sys.EventsFetch", NULL, &gateway_self,
                                  &fetch_request.base, &reply, &error) != SF_OK)
            return;
        const Sifang__V1__EventsFetchReply *fetched = (const Sifang__V1__EventsFetchReply *) reply;
        bool changed = false;
        int64_t last = fetch_request.after;
        for (size_t i = 0; i < fetched->n_events; i++) {
            changed = changed || changes_duty(fetched->events[i]->type);
            last = fetched->events[i]->seq;
        }
        int64_t head = fetched->head;
        size_t n_events = fetched->n_events;
        protobuf_c_message_free_unpacked(reply, NULL);
        if (head < fetch_request.after) {
            /* grid's log is younger than our place (a fresh database):
             * start again from its head, and believe nothing cached. */
            self->events_after = head;
            changed = true;
        } else
            self->events_after = last;
        if (changed) {
            pthread_mutex_lock(&self->lock);
            self->generation++;
            pthread_mutex_unlock(&self->lock);
        }
        if (n_events < (size_t) fetch_request.limit)
            return;
        fetch_request.after = self->events_after;
    }
}
