/* sifang-demo-load: loads the generated Sifang District into grid through its
 * own API, pipelined (a window of requests in flight, which grid commits in
 * groups), level by level so that parents exist before their children, with
 * request ids derived from the seed so that a re-run resumes safely. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "demo_district.h"
#include "sf_client.h"
#include "sf_config.h"
#include "sf_status.h"
#include "sf_text.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/sys.pb-c.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_TRANSPORT = 3 };

#define WINDOW_DEFAULT 512
#define WINDOW_MAX 8192
#define TIMEOUT_DEFAULT_MS 20000
/* Attempts per request: timeouts and UNAVAILABLE are retried with the same
 * request id, with a backoff, before the request counts as failed. */
#define MAX_ATTEMPTS 12
#define FAILURES_SHOWN 10
#define REQUEST_ID_SIZE 129

static const char usage_text[] =
    "usage: sifang-demo-load [--seed N] [--scale F] [--district KEY] [--window N]\n"
    "                        [--timeout MS] [--principal ID:ROLE[:SCOPE]] [--wait S]\n"
    "                        [--dry-run]\n"
    "\n"
    "Generates Sifang District (Qingdao, 2012) from a seed and loads it into grid\n"
    "through grid's API: 7 streets, 93 communities, 1,180 zones, 2,800 building\n"
    "groups, 139,000 households with their people (2.6 on average: singles,\n"
    "couples, three generations; ages on the day of loading), street cadres each\n"
    "covering several zones, each community's two committees of 5-9 members\n"
    "sharing its zones, 99 leaders' contact points, 52 departments with their\n"
    "staff paired with the communities and 264 part-time committee members. The\n"
    "same seed on the same day gives the same district and the same request\n"
    "ids, so running it again (after an interruption, say) finishes the load\n"
    "without writing anything twice.\n"
    "\n"
    "  --seed N        the district's seed (default SIFANG_DEMO_SEED or 2012)\n"
    "  --scale F       a proportionally smaller (or larger) district, 0 < F <= 10;\n"
    "                  every level keeps at least one unit (default 1)\n"
    "  --district KEY  sifang (default: 四方区, 370205) or shibei (市北区, 370203,\n"
    "                  the city-level demo's second district): the same district\n"
    "                  under that place's codes, streets and departments' names\n"
    "  --window N      requests in flight (default 512)\n"
    "  --timeout MS    wait for a reply before resending it (default 20000)\n"
    "  --principal ID:ROLE[:SCOPE]  act as this principal (without CURVE; default:\n"
    "                  none, which grid takes as the local administrator)\n"
    "  --wait S        wait up to S seconds for grid and its database (default 30)\n"
    "  --dry-run       generate and print the district's figures; send nothing\n"
    "  --help          this text\n"
    "\n"
    "Exit status: 0 all loaded (already there counts as loaded); 1 some requests\n"
    "failed; 2 usage; 3 grid did not answer.";

static const sf_setting_t settings[] = {
    { "SIFANG_DEMO_SEED", "2012", "the district's seed when --seed is not given" },
    { "SIFANG_GRID_ENDPOINT", "tcp://127.0.0.1:7101", "where grid answers requests" },
    { "SIFANG_GRID_PUBLIC_KEY_FILE", NULL, "grid's CURVE public key (enables CURVE)" },
    { "SIFANG_CURVE_CLIENT_KEY_FILE", NULL, "this client's CURVE keypair (with CURVE)" },
    { NULL, NULL, NULL },
};

/* --- What is loaded ---------------------------------------------------- */

typedef enum {
    PART_UNITS,
    PART_DEPARTMENTS,
    PART_STAFF,
    PART_RESPONSIBILITIES,
    PART_PAIRINGS,
    PART_HOUSEHOLDS,
    PART_RESIDENTS,
} part_kind_t;

/* One kind of object with its counters. */
typedef struct {
    const char *name;
    part_kind_t kind;
    const char *method;
    const demo_unit_t *units;   /* PART_UNITS */
    size_t total;
    size_t created;             /* OK, written now */
    size_t replayed;            /* OK, the stored reply of an earlier run */
    size_t existed;             /* ALREADY_EXISTS */
    size_t failed;
    size_t retried;
    double seconds;
} part_t;

typedef struct {
    bool used;
    bool waiting;               /* sent, awaiting the reply (else: backing off) */
    part_t *part;
    size_t index;
    int attempts;
    int64_t due_ms;             /* when to resend */
    int next;                   /* hash chain */
    char request_id[REQUEST_ID_SIZE];
} slot_t;

typedef struct {
    sf_client_t *client;
    const demo_district_t *district;
    char prefix[40];            /* "demo-2012", "demo-2012s0.02" */
    int window;
    int timeout_ms;
    /* In flight, found by request id. */
    slot_t *slots;
    int *free_slots;
    int n_free;
    int *buckets;
    size_t n_buckets;
    int in_flight;
    /* Staff ids grid assigned, for their responsibilities. */
    char (*staff_ids)[24];
    size_t failures_shown;
    bool tty;
    int64_t next_progress_ms;
    int64_t next_scan_ms;
} loader_t;

/* --- Request ids ---------------------------------------------------------- */

static void
request_id_of(const loader_t *self, const part_t *part, size_t i, char *out, size_t size)
{
    const demo_district_t *d = self->district;
    switch (part->kind) {
    case PART_UNITS:
        snprintf(out, size, "%s-unit-%s", self->prefix, part->units[i].code);
        break;
    case PART_DEPARTMENTS:
        snprintf(out, size, "%s-department-%s", self->prefix, d->departments[i].code);
        break;
    case PART_STAFF:
        snprintf(out, size, "%s-staff-%s", self->prefix, d->staff[i].key);
        break;
    case PART_RESPONSIBILITIES: {
        const demo_responsibility_t *r = &d->responsibilities[i];
        snprintf(out, size, "%s-responsibility-%d-%s-%s", self->prefix, (int) r->kind,
                 r->unit_code, d->staff[r->staff].key);
        break;
    }
    case PART_PAIRINGS: {
        const demo_pairing_t *p = &d->pairings[i];
        snprintf(out, size, "%s-pairing-%s-%s", self->prefix, d->communities[p->community].code,
                 d->departments[p->department].code);
        break;
    }
    case PART_HOUSEHOLDS:
        snprintf(out, size, "%s-household-%s", self->prefix, d->households[i].code);
        break;
    case PART_RESIDENTS: {
        /* The head keeps the id of the days of one resident a household. */
        const demo_resident_t *person = &d->residents[i];
        if (person->member == 0)
            snprintf(out, size, "%s-resident-%s", self->prefix, d->households[person->household].code);
        else
            snprintf(out, size, "%s-resident-%s-%u", self->prefix,
                     d->households[person->household].code, person->member);
        break;
    }
    }
}

/* --- Requests -------------------------------------------------------------- */

/* Sends item i of part. 0 sent, -1 not sent (transport: retried later),
 * 1 cannot be sent (what it depends on failed), 2 nothing to send (grid
 * already has it). */
static int
send_item(loader_t *self, const part_t *part, size_t i, const char *request_id)
{
    const demo_district_t *d = self->district;
    switch (part->kind) {
    case PART_UNITS: {
        const demo_unit_t *unit = &part->units[i];
        Sifang__V1__OrgUnit message = SIFANG__V1__ORG_UNIT__INIT;
        Sifang__V1__GeoPoint location = SIFANG__V1__GEO_POINT__INIT;
        message.code = (char *) unit->code;
        message.kind = unit->kind;
        message.name = (char *) unit->name;
        message.parent_code = (char *) unit->parent_code;
        location.lat = unit->lat;
        location.lon = unit->lon;
        message.location = &location;
        return sf_client_send(self->client, part->method, request_id, &message.base);
    }
    case PART_DEPARTMENTS: {
        Sifang__V1__Department message = SIFANG__V1__DEPARTMENT__INIT;
        message.code = (char *) d->departments[i].code;
        message.name = (char *) d->departments[i].name;
        return sf_client_send(self->client, part->method, request_id, &message.base);
    }
    case PART_STAFF: {
        const demo_staff_t *staff = &d->staff[i];
        if (self->staff_ids[i][0])
            return 2;   /* adopted: see adopt_staff */
        Sifang__V1__Staff message = SIFANG__V1__STAFF__INIT;
        message.name = (char *) staff->name;
        message.kind = staff->kind;
        message.unit_code = (char *) staff->unit_code;
        message.employer = (char *) staff->employer;
        message.department_code = (char *) staff->department_code;
        message.title = (char *) staff->title;
        message.phone = (char *) staff->phone;
        message.active = true;
        return sf_client_send(self->client, part->method, request_id, &message.base);
    }
    case PART_RESPONSIBILITIES: {
        const demo_responsibility_t *r = &d->responsibilities[i];
        if (!self->staff_ids[r->staff][0])
            return 1;
        Sifang__V1__Responsibility message = SIFANG__V1__RESPONSIBILITY__INIT;
        message.staff_id = self->staff_ids[r->staff];
        message.unit_code = (char *) r->unit_code;
        message.kind = r->kind;
        return sf_client_send(self->client, part->method, request_id, &message.base);
    }
    case PART_PAIRINGS: {
        const demo_pairing_t *p = &d->pairings[i];
        Sifang__V1__Pairing message = SIFANG__V1__PAIRING__INIT;
        message.department_code = (char *) d->departments[p->department].code;
        message.community_code = (char *) d->communities[p->community].code;
        /* Paired since the day before the history begins: every visit,
         * problem and resource the loaders date in it lies within the
         * pairing (grid refuses work before it), and the complete
         * half-year has its pairings. */
        message.since_unix_ms = demo_day_start_ms(d->timeline.first_day - 1);
        return sf_client_send(self->client, part->method, request_id, &message.base);
    }
    case PART_HOUSEHOLDS: {
        const demo_household_t *h = &d->households[i];
        Sifang__V1__Household message = SIFANG__V1__HOUSEHOLD__INIT;
        message.code = (char *) h->code;
        message.building_group_code = (char *) d->building_groups[h->building_group].code;
        message.address = (char *) h->address;
        message.n_flags = h->n_flags;
        message.flags = (Sifang__V1__HouseholdFlag *) h->flags;
        return sf_client_send(self->client, part->method, request_id, &message.base);
    }
    case PART_RESIDENTS: {
        const demo_resident_t *person = &d->residents[i];
        Sifang__V1__Resident message = SIFANG__V1__RESIDENT__INIT;
        message.household_code = (char *) d->households[person->household].code;
        message.name = (char *) person->name;
        message.gender = person->gender;
        message.birth_date = (char *) person->birth_date;
        message.id_number = (char *) person->id_number;
        message.phone = (char *) person->phone;
        message.party_member = person->party_member;
        message.relation = (char *) person->relation;
        return sf_client_send(self->client, part->method, request_id, &message.base);
    }
    }
    return 1;
}

/* What a reply teaches: the staff ids that responsibilities name. */
static void
take_reply(loader_t *self, const part_t *part, size_t i, const void *body, size_t size)
{
    if (part->kind != PART_STAFF)
        return;
    Sifang__V1__Staff *staff = sifang__v1__staff__unpack(NULL, size, body);
    if (staff) {
        snprintf(self->staff_ids[i], sizeof self->staff_ids[i], "%s", staff->id);
        sifang__v1__staff__free_unpacked(staff, NULL);
    }
}

/* --- The window -------------------------------------------------------------- */

static uint64_t
hash_text(const char *text)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *text; text++)
        h = (h ^ (unsigned char) *text) * 1099511628211ULL;
    return h;
}

static int
loader_find(loader_t *self, const char *request_id, int **link_p)
{
    int *link = &self->buckets[hash_text(request_id) & (self->n_buckets - 1)];
    while (*link >= 0) {
        if (strcmp(self->slots[*link].request_id, request_id) == 0) {
            if (link_p)
                *link_p = link;
            return *link;
        }
        link = &self->slots[*link].next;
    }
    return -1;
}

static void
loader_release(loader_t *self, int s)
{
    int *link;
    if (loader_find(self, self->slots[s].request_id, &link) == s)
        *link = self->slots[s].next;
    self->slots[s].used = false;
    self->free_slots[self->n_free++] = s;
    self->in_flight--;
}

static void
show_failure(loader_t *self, const part_t *part, const char *request_id, const char *status,
             const char *message, const sf_reply_info_t *info)
{
    if (self->failures_shown++ >= FAILURES_SHOWN) {
        if (self->failures_shown == FAILURES_SHOWN + 1)
            fprintf(stderr, "%s(further failures are counted, not shown)\n", self->tty ? "\n" : "");
        return;
    }
    fprintf(stderr, "%s%s %s: %s: %s", self->tty ? "\n" : "", part->name, request_id, status,
            message ? message : "");
    for (size_t v = 0; info && v < info->n_violations; v++)
        fprintf(stderr, "%s%s: %s", v ? "; " : " (", info->violation_fields[v],
                info->violation_descriptions[v]);
    fprintf(stderr, "%s\n", info && info->n_violations ? ")" : "");
}

static void
slot_send(loader_t *self, int s)
{
    slot_t *slot = &self->slots[s];
    slot->attempts++;
    int rc = send_item(self, slot->part, slot->index, slot->request_id);
    if (rc == 1) {
        slot->part->failed++;
        show_failure(self, slot->part, slot->request_id, "SKIPPED", "what it depends on was not created", NULL);
        loader_release(self, s);
        return;
    }
    if (rc == 2) {
        slot->part->existed++;
        loader_release(self, s);
        return;
    }
    /* A failed send waits out its timeout like a lost reply. */
    slot->waiting = true;
    slot->due_ms = sf_clock_ms() + self->timeout_ms;
}

static void
loader_start(loader_t *self, part_t *part, size_t i)
{
    int s = self->free_slots[--self->n_free];
    slot_t *slot = &self->slots[s];
    memset(slot, 0, sizeof *slot);
    slot->used = true;
    slot->part = part;
    slot->index = i;
    request_id_of(self, part, i, slot->request_id, sizeof slot->request_id);
    int *bucket = &self->buckets[hash_text(slot->request_id) & (self->n_buckets - 1)];
    slot->next = *bucket;
    *bucket = s;
    self->in_flight++;
    slot_send(self, s);
}

static bool
transient(sf_status_t status)
{
    return status == SF_UNAVAILABLE || status == SF_DEADLINE_EXCEEDED || status == SF_ABORTED;
}

static void
retry_later(loader_t *self, int s, const char *why, const sf_reply_info_t *info)
{
    slot_t *slot = &self->slots[s];
    if (slot->attempts >= MAX_ATTEMPTS) {
        slot->part->failed++;
        show_failure(self, slot->part, slot->request_id, info ? sf_status_name(info->status) : "NO_REPLY",
                     why, info);
        loader_release(self, s);
        return;
    }
    slot->part->retried++;
    slot->waiting = false;
    /* 100 ms doubling to 3.2 s: rides out a database restart. */
    int backoff = 100 << (slot->attempts < 6 ? slot->attempts - 1 : 5);
    slot->due_ms = sf_clock_ms() + backoff;
}

static void
loader_take(loader_t *self, const sf_reply_info_t *info, const void *body, size_t size)
{
    int s = info->request_id ? loader_find(self, info->request_id, NULL) : -1;
    if (s < 0 || !self->slots[s].waiting)
        return;   /* a late answer to an attempt already resent or settled */
    slot_t *slot = &self->slots[s];
    part_t *part = slot->part;
    if (info->status == SF_OK) {
        if (info->replayed)
            part->replayed++;
        else
            part->created++;
        take_reply(self, part, slot->index, body, size);
    } else if (info->status == SF_ALREADY_EXISTS)
        part->existed++;
    else if (transient(info->status)) {
        retry_later(self, s, info->message, info);
        return;
    } else {
        part->failed++;
        show_failure(self, part, slot->request_id, sf_status_name(info->status), info->message, info);
    }
    loader_release(self, s);
}

/* Resends what timed out or finished backing off. */
static void
loader_scan(loader_t *self, int64_t now)
{
    for (int s = 0; s < self->window; s++) {
        slot_t *slot = &self->slots[s];
        if (!slot->used || slot->due_ms > now)
            continue;
        if (slot->waiting)
            retry_later(self, s, "no reply", NULL);
        else
            slot_send(self, s);
    }
}

/* --- Progress ---------------------------------------------------------------- */

static size_t
part_done(const part_t *part)
{
    return part->created + part->replayed + part->existed + part->failed;
}

static void
show_progress(loader_t *self, part_t *const *parts, size_t n_parts, int64_t started_ms, bool final)
{
    int64_t now = sf_clock_ms();
    if (!final && now < self->next_progress_ms)
        return;
    self->next_progress_ms = now + (self->tty ? 250 : 2000);
    char names[128] = "";
    size_t done = 0, total = 0, failed = 0;
    for (size_t p = 0; p < n_parts; p++) {
        size_t at = strlen(names);
        snprintf(names + at, sizeof names - at, "%s%s", p ? "+" : "", parts[p]->name);
        done += part_done(parts[p]);
        total += parts[p]->total;
        failed += parts[p]->failed;
    }
    double seconds = (double) (now - started_ms) / 1000.0;
    double rate = seconds > 0 ? (double) done / seconds : 0;
    fprintf(stderr, "%s%s %zu/%zu %.0f/s", self->tty ? "\r\033[K" : "", names, done, total, rate);
    if (failed)
        fprintf(stderr, " (%zu failed)", failed);
    if (!self->tty || final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* --- Levels ------------------------------------------------------------------ */

/* Loads parts together and returns once every request has been settled. */
static void
load_level(loader_t *self, part_t *const *parts, size_t n_parts)
{
    int64_t started = sf_clock_ms();
    size_t p = 0, i = 0;
    while (p < n_parts || self->in_flight > 0) {
        while (p < n_parts && self->n_free > 0) {
            if (i >= parts[p]->total) {
                p++;
                i = 0;
                continue;
            }
            loader_start(self, parts[p], i++);
        }
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        /* Take every reply that has arrived before refilling the window. */
        int got = sf_client_recv(self->client, 20, &body, &size, &info);
        for (int n = 0; got == 1 && n < 4096; n++) {
            loader_take(self, &info, body, size);
            free(body);
            body = NULL;
            got = sf_client_recv(self->client, 0, &body, &size, &info);
        }
        free(body);
        if (got < 0)
            usleep(20000);   /* the socket is being reopened; timeouts resend */
        int64_t now = sf_clock_ms();
        if (now >= self->next_scan_ms) {
            loader_scan(self, now);
            self->next_scan_ms = now + 50;
        }
        if (p < n_parts || self->in_flight > 0)
            show_progress(self, parts, n_parts, started, false);
    }
    double seconds = (double) (sf_clock_ms() - started) / 1000.0;
    for (size_t q = 0; q < n_parts; q++)
        parts[q]->seconds = seconds;
    show_progress(self, parts, n_parts, started, true);
}

/* --- Staff already in grid ------------------------------------------------------ */

/* Staff have no natural key: grid numbers them. Repeated request ids keep a
 * re-run from creating them twice only while grid remembers the ids
 * (SIFANG_IDEMPOTENCY_TTL_HOURS) and for the same principal, so the staff
 * already in grid are taken from it instead: one of the same kind, unit,
 * department, name and title (the plan's staff, each taken once). */
static void
adopt_staff(loader_t *self)
{
    const demo_district_t *d = self->district;
    char token[256] = "";
    size_t adopted = 0;
    for (int page = 0; page < 1000; page++) {
        Sifang__V1__StaffListRequest request = SIFANG__V1__STAFF_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest paging = SIFANG__V1__PAGE_REQUEST__INIT;
        request.under = (char *) d->district.code;
        paging.page_size = 1000;
        paging.page_token = token;
        request.page = &paging;
        ProtobufCMessage *message = NULL;
        sf_reply_info_t info;
        sf_status_t status = sf_client_call(self->client, "StaffList", NULL, &request.base,
                                            &sifang__v1__staff_list_reply__descriptor, &message, &info);
        if (status != SF_OK) {
            fprintf(stderr, "cannot list grid's staff (%s: %s); staff are created by request id "
                    "alone\n", sf_status_name(status), info.message ? info.message : "");
            return;
        }
        Sifang__V1__StaffListReply *reply = (Sifang__V1__StaffListReply *) message;
        for (size_t k = 0; k < reply->n_staff; k++) {
            const Sifang__V1__Staff *held = reply->staff[k];
            for (size_t s = 0; s < d->n_staff; s++) {
                const demo_staff_t *staff = &d->staff[s];
                if (self->staff_ids[s][0] || staff->kind != held->kind
                    || strcmp(staff->unit_code, held->unit_code) != 0
                    || strcmp(staff->department_code, held->department_code) != 0
                    || strcmp(staff->name, held->name) != 0 || strcmp(staff->title, held->title) != 0)
                    continue;
                snprintf(self->staff_ids[s], sizeof self->staff_ids[s], "%s", held->id);
                adopted++;
                break;
            }
        }
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        protobuf_c_message_free_unpacked(message, NULL);
        if (!token[0])
            break;
    }
    if (adopted)
        fprintf(stderr, "%zu staff are already in grid\n", adopted);
}

/* --- Setup --------------------------------------------------------------------- */

/* Waits until grid answers and its database is up; false when it never did. */
static bool
wait_for_grid(sf_client_t *client, int wait_s, char *why, size_t why_size)
{
    int64_t until = sf_clock_ms() + (int64_t) wait_s * 1000;
    bool told = false;
    for (;;) {
        Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
        ProtobufCMessage *reply = NULL;
        sf_reply_info_t info;
        sf_status_t status = sf_client_call(client, "Sys.Ping", NULL, &ping.base,
                                            &sifang__v1__ping_reply__descriptor, &reply, &info);
        bool up = status == SF_OK && ((Sifang__V1__PingReply *) reply)->database_up;
        if (status == SF_OK)
            snprintf(why, why_size, "grid's database is not up");
        else
            sf_text_format(why, why_size, "%s: %s", sf_status_name(status), info.message ? info.message : "");
        if (reply)
            protobuf_c_message_free_unpacked(reply, NULL);
        if (up)
            return true;
        if (sf_clock_ms() >= until)
            return false;
        if (!told) {
            fprintf(stderr, "waiting for grid at %s (%s)\n", sf_client_endpoint(client), why);
            told = true;
        }
        usleep(500000);
    }
}

static bool
parse_principal(const char *text, char *id, size_t id_size, char *role, size_t role_size,
                char *scope, size_t scope_size)
{
    const char *colon = strchr(text, ':');
    if (!colon || colon == text || (size_t) (colon - text) >= id_size)
        return false;
    const char *second = strchr(colon + 1, ':');
    size_t role_length = second ? (size_t) (second - colon - 1) : strlen(colon + 1);
    if (role_length == 0 || role_length >= role_size || (second && strlen(second + 1) >= scope_size))
        return false;
    snprintf(id, id_size, "%.*s", (int) (colon - text), text);
    snprintf(role, role_size, "%.*s", (int) role_length, colon + 1);
    snprintf(scope, scope_size, "%s", second ? second + 1 : "");
    return true;
}

static int
usage_error(const char *format, const char *argument)
{
    fprintf(stderr, "sifang-demo-load: ");
    fprintf(stderr, format, argument);
    fprintf(stderr, "\n(sifang-demo-load --help for usage)\n");
    return EXIT_USAGE;
}

static bool
parse_long(const char *text, long lo, long hi, long *value)
{
    char *end;
    long parsed = strtol(text, &end, 10);
    if (!*text || *end || parsed < lo || parsed > hi)
        return false;
    *value = parsed;
    return true;
}

static void
print_figures(const demo_district_t *d)
{
    fprintf(stderr,
            "%s %s (seed %llu, scale %g): %zu streets, %zu communities, %zu zones, "
            "%zu building groups, %zu households (%zu in difficulty), %zu residents, %zu staff, "
            "%zu responsibilities, %zu departments, %zu pairings\n",
            d->district.name, d->district.code, (unsigned long long) d->seed, d->scale, d->n_streets,
            d->n_communities, d->n_zones,
            d->n_building_groups, d->n_households, d->n_households_in_difficulty, d->n_residents,
            d->n_staff, d->n_responsibilities, d->n_departments, d->n_pairings);
}

int
main(int argc, char **argv)
{
    long seed = sf_env_int("SIFANG_DEMO_SEED", DEMO_SEED_DEFAULT);
    double scale = 1.0;
    long window = WINDOW_DEFAULT, timeout_ms = TIMEOUT_DEFAULT_MS, wait_s = 30;
    bool dry_run = false;
    const demo_place_t *place = demo_place_find("sifang");
    char principal_id[64] = "", principal_role[32] = "", principal_scope[64] = "";

    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        const char *value = a + 1 < argc ? argv[a + 1] : NULL;
        bool takes_value = strcmp(arg, "--seed") == 0 || strcmp(arg, "--scale") == 0
                        || strcmp(arg, "--window") == 0 || strcmp(arg, "--timeout") == 0
                        || strcmp(arg, "--principal") == 0 || strcmp(arg, "--wait") == 0
                        || strcmp(arg, "--district") == 0;
        if (takes_value && !value)
            return usage_error("%s needs a value", arg);
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            sf_config_help(stdout, usage_text, settings);
            return EXIT_OK;
        } else if (strcmp(arg, "--dry-run") == 0)
            dry_run = true;
        else if (strcmp(arg, "--seed") == 0) {
            if (!parse_long(value, 0, 0x7fffffffL, &seed))
                return usage_error("--seed takes a whole number >= 0, not \"%s\"", value);
        } else if (strcmp(arg, "--scale") == 0) {
            char *end;
            scale = strtod(value, &end);
            if (!*value || *end || !(scale > 0 && scale <= DEMO_SCALE_MAX))
                return usage_error("--scale takes a number in (0, 10], not \"%s\"", value);
        } else if (strcmp(arg, "--district") == 0) {
            if (!(place = demo_place_find(value)))
                return usage_error("--district takes sifang or shibei, not \"%s\"", value);
        } else if (strcmp(arg, "--window") == 0) {
            if (!parse_long(value, 1, WINDOW_MAX, &window))
                return usage_error("--window takes 1..8192, not \"%s\"", value);
        } else if (strcmp(arg, "--timeout") == 0) {
            if (!parse_long(value, 1, 3600000, &timeout_ms))
                return usage_error("--timeout takes milliseconds, not \"%s\"", value);
        } else if (strcmp(arg, "--wait") == 0) {
            if (!parse_long(value, 0, 86400, &wait_s))
                return usage_error("--wait takes seconds, not \"%s\"", value);
        } else if (strcmp(arg, "--principal") == 0) {
            if (!parse_principal(value, principal_id, sizeof principal_id, principal_role,
                                 sizeof principal_role, principal_scope, sizeof principal_scope))
                return usage_error("--principal takes ID:ROLE[:SCOPE], not \"%s\"", value);
        } else
            return usage_error("unknown argument \"%s\"", arg);
        if (takes_value)
            a++;
    }
    if (seed < 0)
        return usage_error("SIFANG_DEMO_SEED must be a whole number >= 0, not \"%s\"",
                           getenv("SIFANG_DEMO_SEED"));

    int64_t started = sf_clock_ms();
    demo_timeline_t timeline;
    demo_timeline_today(&timeline);
    demo_district_t *district = demo_district_new_at((uint64_t) seed, scale, &timeline, place);
    if (!district) {
        fprintf(stderr, "sifang-demo-load: out of memory generating the district\n");
        return EXIT_FAILED;
    }
    print_figures(district);
    if (dry_run) {
        demo_district_destroy(&district);
        return EXIT_OK;
    }

    int rc = EXIT_FAILED;
    loader_t self;
    memset(&self, 0, sizeof self);
    self.district = district;
    self.window = (int) window;
    self.timeout_ms = (int) timeout_ms;
    self.tty = isatty(STDERR_FILENO);
    /* The scale changes what a code stands for, so it is part of the ids;
     * another place than Sifang too. */
    const char *other = strcmp(place->key, "sifang") != 0 ? place->key : "";
    if (scale == 1.0)
        snprintf(self.prefix, sizeof self.prefix, "demo-%s%s%ld", other, *other ? "-" : "", seed);
    else
        snprintf(self.prefix, sizeof self.prefix, "demo-%s%s%lds%g", other, *other ? "-" : "", seed, scale);
    self.n_buckets = 1;
    while (self.n_buckets < 2 * (size_t) window)
        self.n_buckets <<= 1;
    self.slots = calloc((size_t) window, sizeof *self.slots);
    self.free_slots = calloc((size_t) window, sizeof *self.free_slots);
    self.buckets = malloc(self.n_buckets * sizeof *self.buckets);
    self.staff_ids = calloc(district->n_staff ? district->n_staff : 1, sizeof *self.staff_ids);
    if (!self.slots || !self.free_slots || !self.buckets || !self.staff_ids) {
        fprintf(stderr, "sifang-demo-load: out of memory\n");
        goto cleanup;
    }
    for (size_t b = 0; b < self.n_buckets; b++)
        self.buckets[b] = -1;
    for (int s = 0; s < self.window; s++)
        self.free_slots[self.n_free++] = self.window - 1 - s;

    char error[512] = "";
    self.client = sf_client_for_service("grid", error, sizeof error);
    if (!self.client) {
        fprintf(stderr, "sifang-demo-load: %s\n", error);
        rc = EXIT_USAGE;
        goto cleanup;
    }
    if (principal_id[0])
        sf_client_set_principal(self.client, principal_id, principal_role, principal_scope);
    sf_client_set_timeout(self.client, 2000);
    if (!wait_for_grid(self.client, (int) wait_s, error, sizeof error)) {
        fprintf(stderr, "sifang-demo-load: grid at %s is not ready: %s\n",
                sf_client_endpoint(self.client), error);
        rc = EXIT_TRANSPORT;
        goto cleanup;
    }
    sf_client_set_timeout(self.client, self.timeout_ms);

    const demo_district_t *d = district;
    part_t district_part = { .name = "district", .kind = PART_UNITS, .method = "UnitCreate",
                             .units = &d->district, .total = 1 };
    part_t departments = { .name = "departments", .kind = PART_DEPARTMENTS,
                           .method = "DepartmentCreate", .total = d->n_departments };
    part_t streets = { .name = "streets", .kind = PART_UNITS, .method = "UnitCreate",
                       .units = d->streets, .total = d->n_streets };
    part_t communities = { .name = "communities", .kind = PART_UNITS, .method = "UnitCreate",
                           .units = d->communities, .total = d->n_communities };
    part_t zones = { .name = "zones", .kind = PART_UNITS, .method = "UnitCreate",
                     .units = d->zones, .total = d->n_zones };
    part_t staff = { .name = "staff", .kind = PART_STAFF, .method = "StaffCreate",
                     .total = d->n_staff };
    part_t groups = { .name = "building groups", .kind = PART_UNITS, .method = "UnitCreate",
                      .units = d->building_groups, .total = d->n_building_groups };
    part_t responsibilities = { .name = "responsibilities", .kind = PART_RESPONSIBILITIES,
                                .method = "ResponsibilityAssign", .total = d->n_responsibilities };
    part_t pairings = { .name = "pairings", .kind = PART_PAIRINGS, .method = "PairingCreate",
                        .total = d->n_pairings };
    part_t households = { .name = "households", .kind = PART_HOUSEHOLDS,
                          .method = "HouseholdCreate", .total = d->n_households };
    part_t residents = { .name = "residents", .kind = PART_RESIDENTS, .method = "ResidentCreate",
                         .total = d->n_residents };

    /* Each level needs only what the levels before it created. */
    part_t *level1[] = { &district_part, &departments };
    part_t *level2[] = { &streets };
    part_t *level3[] = { &communities };
    part_t *level4[] = { &zones, &staff };
    part_t *level5[] = { &groups, &responsibilities, &pairings };
    part_t *level6[] = { &households };
    part_t *level7[] = { &residents };
    struct {
        part_t **parts;
        size_t n;
    } levels[] = {
        { level1, 2 }, { level2, 1 }, { level3, 1 }, { level4, 2 },
        { level5, 3 }, { level6, 1 }, { level7, 1 },
    };
    int64_t load_started = sf_clock_ms();
    adopt_staff(&self);
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++)
        load_level(&self, levels[l].parts, levels[l].n);
    double load_seconds = (double) (sf_clock_ms() - load_started) / 1000.0;

    part_t *all[] = { &district_part, &departments, &streets, &communities, &zones, &staff,
                      &groups, &responsibilities, &pairings, &households, &residents };
    size_t requests = 0, failed = 0;
    fprintf(stderr, "\n%-17s %8s %8s %8s %8s %8s %8s\n", "", "total", "created", "repeated",
            "existed", "failed", "retried");
    for (size_t p = 0; p < sizeof all / sizeof all[0]; p++) {
        const part_t *part = all[p];
        fprintf(stderr, "%-17s %8zu %8zu %8zu %8zu %8zu %8zu\n", part->name, part->total,
                part->created, part->replayed, part->existed, part->failed, part->retried);
        requests += part->total;
        failed += part->failed;
    }
    fprintf(stderr, "loaded %zu objects in %.1f s (%.0f/s; households %.0f/s, residents %.0f/s); "
            "%.1f s in all%s\n", requests, load_seconds,
            load_seconds > 0 ? (double) requests / load_seconds : 0,
            households.seconds > 0 ? (double) households.total / households.seconds : 0,
            residents.seconds > 0 ? (double) residents.total / residents.seconds : 0,
            (double) (sf_clock_ms() - started) / 1000.0,
            failed ? "; SOME REQUESTS FAILED" : "");
    rc = failed ? EXIT_FAILED : EXIT_OK;

cleanup:
    sf_client_destroy(&self.client);
    free(self.slots);
    free(self.free_slots);
    free(self.buckets);
    free(self.staff_ids);
    demo_district_destroy(&district);
    return rc;
}
