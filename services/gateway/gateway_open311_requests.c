/* Open311 service requests read: intake's cases as the public viewer
 * (every filter of GET requests with its comma form, the spec's 90-day
 * window and 1,000 newest first), one request or a token. A request shows
 * its zone, never the household: the zone's centroid, its names as the
 * address and its code as address_id. */
#include "gateway_open311.h"
#include "sf_client.h"
#include "sf_text.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_LISTED 1000
#define MAX_IDS 100
#define MAX_CODES 20
#define WINDOW_MS (90LL * 24 * 3600 * 1000)

/* --- a case as a service request ------------------------------------------------------ */

static bool
case_open(Sifang__V1__CaseStatus status)
{
    return status == SIFANG__V1__CASE_STATUS__CASE_STATUS_RECEIVED
        || status == SIFANG__V1__CASE_STATUS__CASE_STATUS_ACCEPTED
        || status == SIFANG__V1__CASE_STATUS__CASE_STATUS_ASSIGNED
        || status == SIFANG__V1__CASE_STATUS__CASE_STATUS_IN_PROGRESS;
}

void
gateway_open311_add_text(cJSON *object, const char *name, const char *text)
{
    if (text && *text)
        cJSON_AddStringToObject(object, name, text);
    else
        cJSON_AddNullToObject(object, name);
}

/* The spec's status_notes: why a closed request closed (the resolution, the
 * rejection's reason, where it went), or where an open one stands, which
 * "open" alone does not say; the station's own notes on its steps stay
 * with the staff. */
static void
status_notes(const Sifang__V1__Case *kase, const char *agency, char *notes, size_t size)
{
    const char *with = agency && *agency ? agency : "the community station";
    switch (kase->status) {
    case SIFANG__V1__CASE_STATUS__CASE_STATUS_RECEIVED:
        sf_text_format(notes, size, "received, awaiting acceptance by %s", with);
        break;
    case SIFANG__V1__CASE_STATUS__CASE_STATUS_ACCEPTED:
        sf_text_format(notes, size, "accepted by %s", with);
        break;
    case SIFANG__V1__CASE_STATUS__CASE_STATUS_ASSIGNED:
        sf_text_format(notes, size, "with %s", with);
        break;
    case SIFANG__V1__CASE_STATUS__CASE_STATUS_IN_PROGRESS:
        sf_text_format(notes, size, "in progress with %s", with);
        break;
    case SIFANG__V1__CASE_STATUS__CASE_STATUS_TRANSFERRED:
        sf_text_format(notes, size, "transferred to %s", kase->transferred_to);
        break;
    case SIFANG__V1__CASE_STATUS__CASE_STATUS_REJECTED:
        sf_text_format(notes, size, "%s", kase->reject_reason);
        break;
    default:
        sf_text_format(notes, size, "%s", kase->resolution);
    }
    if (case_open(kase->status) && kase->overdue) {
        size_t used = strlen(notes);
        sf_text_format(notes + used, size - used, "; past its due time%s",
                       kase->escalation_level >= 2 ? ", escalated to the street"
                       : kase->escalation_level == 1 ? ", escalated to the community" : "");
    }
}

static cJSON *
request_json(gateway_t *gw, const Sifang__V1__Case *kase)
{
    cJSON *request = cJSON_CreateObject();
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long) kase->id);
    cJSON_AddStringToObject(request, "service_request_id", id);
    cJSON_AddStringToObject(request, "status", case_open(kase->status) ? "open" : "closed");
    open311_place_t place;
    bool placed = gateway_open311_place(gw, kase->unit_code, &place);
    /* A department or the community station answers for it, never a
     * person: a case with a person on it is their community's. */
    const char *agency = NULL;
    if (kase->assignee && kase->assignee->kind != SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF)
        agency = kase->assignee->name[0] ? kase->assignee->name : kase->assignee->code;
    else if (placed)
        agency = place.community_name;
    char notes[1200];
    status_notes(kase, agency, notes, sizeof notes);
    gateway_open311_add_text(request, "status_notes", notes);
    cJSON_AddStringToObject(request, "service_name", kase->item_name);
    cJSON_AddStringToObject(request, "service_code", kase->item_code);
    cJSON_AddStringToObject(request, "description", kase->description);
    gateway_open311_add_text(request, "agency_responsible", agency);
    if (kase->registration_number[0]) {
        char notice[96];
        snprintf(notice, sizeof notice, "registration number %s", kase->registration_number);
        cJSON_AddStringToObject(request, "service_notice", notice);
    } else
        cJSON_AddNullToObject(request, "service_notice");
    gateway_open311_add_time(request, "requested_datetime", kase->received_unix_ms);
    gateway_open311_add_time(request, "updated_datetime",
                             kase->updated_unix_ms ? kase->updated_unix_ms : kase->received_unix_ms);
    gateway_open311_add_time(request, "expected_datetime", case_open(kase->status) ? kase->due_unix_ms : 0);
    gateway_open311_add_text(request, "address", placed ? place.address : NULL);
    gateway_open311_add_text(request, "address_id", placed && place.zone_code[0] ? place.zone_code : kase->unit_code);
    cJSON_AddNullToObject(request, "zipcode");
    if (placed && place.located) {
        cJSON_AddNumberToObject(request, "lat", place.lat);
        cJSON_AddNumberToObject(request, "long", place.lon);
    } else {
        cJSON_AddNullToObject(request, "lat");
        cJSON_AddNullToObject(request, "long");
    }
    cJSON_AddNullToObject(request, "media_url");
    return request;
}

/* --- reading ---------------------------------------------------------------------------------- */

/* A w3 date-time (2026-03-15T08:00:00Z, with +08:00, fractions of a
 * second, or a date alone) in ms; -1 when it is not one. A '+' sent
 * unescaped in a query string arrives as a space, and is read as '+'. */
static int64_t
parse_time(const char *text)
{
    struct tm parts;
    memset(&parts, 0, sizeof parts);
    const char *rest = strptime(text, "%Y-%m-%d", &parts);
    if (!rest)
        return -1;
    if (*rest == 'T') {
        rest = strptime(rest + 1, "%H:%M", &parts);
        if (!rest)
            return -1;
        if (*rest == ':' && !(rest = strptime(rest + 1, "%S", &parts)))
            return -1;
        if (*rest == '.')
            for (rest++; isdigit((unsigned char) *rest); rest++)
                ;
    }
    long offset = 0;
    if (*rest == 'Z')
        rest++;
    else if (*rest == '+' || *rest == '-' || *rest == ' ') {
        int hours = 0, minutes = 0;
        char sign = *rest == '-' ? '-' : '+';
        if (!isdigit((unsigned char) rest[1]) || !isdigit((unsigned char) rest[2]))
            return -1;
        hours = (rest[1] - '0') * 10 + (rest[2] - '0');
        rest += 3;
        if (*rest == ':')
            rest++;
        if (isdigit((unsigned char) rest[0]) && isdigit((unsigned char) rest[1])) {
            minutes = (rest[0] - '0') * 10 + (rest[1] - '0');
            rest += 2;
        }
        if (hours > 14 || minutes > 59)
            return -1;
        offset = (hours * 3600L + minutes * 60L) * (sign == '-' ? -1 : 1);
    }
    if (*rest)
        return -1;
    return ((int64_t) timegm(&parts) - offset) * 1000;
}

int
gateway_open311_split_commas(const char *text, char *copy, size_t copy_size, char **parts, int max)
{
    sf_text_format(copy, copy_size, "%s", text);
    int n = 0;
    char *save = NULL;
    for (char *part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
        while (*part == ' ')
            part++;
        size_t length = strlen(part);
        while (length && part[length - 1] == ' ')
            part[--length] = 0;
        if (!*part)
            continue;
        if (n == max)
            return -1;
        parts[n++] = part;
    }
    return n;
}

static int
newest_first(const void *a, const void *b)
{
    const Sifang__V1__Case *x = *(const Sifang__V1__Case *const *) a, *y = *(const Sifang__V1__Case *const *) b;
    if (x->received_unix_ms != y->received_unix_ms)
        return x->received_unix_ms > y->received_unix_ms ? -1 : 1;
    return x->id > y->id ? -1 : x->id < y->id ? 1 : 0;
}

/* service_request_id=a,b,...: each looked up; unknown ones are left out
 * (the same id twice is listed twice). The spec has it override every
 * other parameter. */
static void
requests_by_id(gateway_t *gw, gateway_exchange_t *exchange, open311_format_t format,
               const gateway_principal_t *principal, const char *ids)
{
    char copy[2048];
    char *parts[MAX_IDS];
    int n = strlen(ids) < sizeof copy ? gateway_open311_split_commas(ids, copy, sizeof copy, parts, MAX_IDS) : -1;
    if (n < 0) {
        gateway_open311_fail(exchange, format, SF_INVALID_ARGUMENT, "service_request_id: at most 100 ids");
        return;
    }
    /* Newest first, as every list of requests. */
    ProtobufCMessage *replies[MAX_IDS];
    const Sifang__V1__Case *cases[MAX_IDS];
    size_t n_cases = 0;
    for (int i = 0; i < n; i++) {
        Sifang__V1__CaseRef request = SIFANG__V1__CASE_REF__INIT;
        char *end = NULL;
        errno = 0;
        request.id = strtoll(parts[i], &end, 10);
        if (*end || errno || request.id <= 0)
            continue;
        gateway_error_t error;
        gateway_error_clear(&error);
        sf_status_t status = gateway_upstream_call(gw->upstream, "intake", "CaseGet", NULL, principal, &request.base,
                                                   &replies[n_cases], &error);
        if (status == SF_OK) {
            cases[n_cases] = (const Sifang__V1__Case *) replies[n_cases];
            n_cases++;
        } else if (status != SF_NOT_FOUND) {
            for (size_t c = 0; c < n_cases; c++)
                protobuf_c_message_free_unpacked(replies[c], NULL);
            gateway_open311_error(exchange, format, &error);
            return;
        }
    }
    if (n_cases > 1)
        qsort(cases, n_cases, sizeof *cases, newest_first);
    cJSON *list = cJSON_CreateArray();
    for (size_t c = 0; c < n_cases; c++)
        cJSON_AddItemToArray(list, request_json(gw, cases[c]));
    for (size_t c = 0; c < n_cases; c++)
        protobuf_c_message_free_unpacked(replies[c], NULL);
    gateway_open311_reply(exchange, format, 200, list, "service_requests", "request");
}

void
gateway_open311_requests(gateway_t *gw, gateway_exchange_t *exchange, open311_format_t format)
{
    gateway_principal_t principal;
    gateway_open311_public(&principal);
    const char *ids = gateway_exchange_argument(exchange, "service_request_id");
    if (ids && *ids) {
        requests_by_id(gw, exchange, format, &principal, ids);
        return;
    }
    /* status=open, closed, or both. */
    bool want_open = true, want_closed = true;
    const char *status = gateway_exchange_argument(exchange, "status");
    char status_copy[64];
    char *statuses[2];
    int n_statuses = status && *status
                         ? gateway_open311_split_commas(status, status_copy, sizeof status_copy, statuses, 2) : 0;
    if (n_statuses > 0)
        want_open = want_closed = false;
    for (int i = 0; i < n_statuses; i++) {
        if (strcmp(statuses[i], "open") == 0)
            want_open = true;
        else if (strcmp(statuses[i], "closed") == 0)
            want_closed = true;
        else
            n_statuses = -1;
    }
    if (n_statuses < 0) {
        gateway_open311_fail(exchange, format, SF_INVALID_ARGUMENT, "status: open, closed, or open,closed");
        return;
    }
    /* service_code=a,b: one list per code, merged. */
    const char *service_code = gateway_exchange_argument(exchange, "service_code");
    char code_copy[1024];
    char *codes[MAX_CODES];
    int n_codes = 0;
    if (service_code && *service_code) {
        n_codes = strlen(service_code) < sizeof code_copy
                      ? gateway_open311_split_commas(service_code, code_copy, sizeof code_copy, codes, MAX_CODES) : -1;
        if (n_codes < 0) {
            gateway_open311_fail(exchange, format, SF_INVALID_ARGUMENT, "service_code: at most 20 codes");
            return;
        }
    }
    if (n_codes == 0)
        codes[n_codes++] = "";
    /* The window: both dates as given (at most 90 days apart); one alone
     * reaches 90 days from it; neither, the last 90 days. end_date is
     * inclusive. */
    const char *names[2] = { "start_date", "end_date" };
    int64_t bounds[2] = { 0, 0 };
    for (int i = 0; i < 2; i++) {
        const char *text = gateway_exchange_argument(exchange, names[i]);
        if (text && *text && (bounds[i] = parse_time(text)) < 0) {
            char description[128];
            snprintf(description, sizeof description,
                     "%s: a w3 date-time with its time zone (2026-03-15T08:00:00+08:00 or 2026-03-15T00:00:00Z)",
                     names[i]);
            gateway_open311_fail(exchange, format, SF_INVALID_ARGUMENT, description);
            return;
        }
    }
    int64_t from, to;
    if (bounds[0] && bounds[1]) {
        from = bounds[0];
        to = bounds[1] + 1;
    } else if (bounds[0]) {
        from = bounds[0];
        to = from + WINDOW_MS;
    } else {
        to = bounds[1] ? bounds[1] + 1 : sf_now_ms() + 1;
        from = to - WINDOW_MS;
    }
    if (to <= from) {
        gateway_open311_fail(exchange, format, SF_INVALID_ARGUMENT, "end_date: before start_date");
        return;
    }
    if (to - from > WINDOW_MS + 1) {
        gateway_open311_fail(exchange, format, SF_INVALID_ARGUMENT,
                             "end_date: start_date and end_date may not span more than 90 days");
        return;
    }
    Sifang__V1__CaseStatus closed[] = { SIFANG__V1__CASE_STATUS__CASE_STATUS_RESOLVED,
                                        SIFANG__V1__CASE_STATUS__CASE_STATUS_CLOSED,
                                        SIFANG__V1__CASE_STATUS__CASE_STATUS_REJECTED,
                                        SIFANG__V1__CASE_STATUS__CASE_STATUS_TRANSFERRED };
    ProtobufCMessage *replies[MAX_CODES];
    int n_replies = 0;
    const Sifang__V1__Case **cases = NULL;
    size_t n_cases = 0;
    for (int i = 0; i < n_codes; i++) {
        Sifang__V1__CaseListRequest request = SIFANG__V1__CASE_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = MAX_LISTED;
        request.page = &page;
        request.under = "";
        request.item_code = codes[i];
        request.open_only = want_open && !want_closed;
        if (want_closed && !want_open) {
            request.statuses = closed;
            request.n_statuses = sizeof closed / sizeof closed[0];
        }
        request.received_from_unix_ms = from;
        request.received_to_unix_ms = to;
        gateway_error_t error;
        gateway_error_clear(&error);
        if (gateway_upstream_call(gw->upstream, "intake", "CaseList", NULL, &principal, &request.base,
                                  &replies[n_replies], &error) != SF_OK) {
            for (int r = 0; r < n_replies; r++)
                protobuf_c_message_free_unpacked(replies[r], NULL);
            free(cases);
            gateway_open311_error(exchange, format, &error);
            return;
        }
        const Sifang__V1__CaseListReply *listed = (const Sifang__V1__CaseListReply *) replies[n_replies++];
        const Sifang__V1__Case **grown = realloc(cases, (n_cases + listed->n_cases + 1) * sizeof *cases);
        if (!grown)
            break;
        cases = grown;
        for (size_t c = 0; c < listed->n_cases; c++)
            cases[n_cases++] = listed->cases[c];
    }
    if (n_cases > 1)
        qsort(cases, n_cases, sizeof *cases, newest_first);
    cJSON *list = cJSON_CreateArray();
    for (size_t c = 0; c < n_cases && c < MAX_LISTED; c++)
        cJSON_AddItemToArray(list, request_json(gw, cases[c]));
    for (int r = 0; r < n_replies; r++)
        protobuf_c_message_free_unpacked(replies[r], NULL);
    free(cases);
    gateway_open311_reply(exchange, format, 200, list, "service_requests", "request");
}

/* One case by id, as the spec's one-element list. Requests are made at
 * once, so no submission hands out a token; a client that asks for one
 * anyway with the request's id gets the id back. */
void
gateway_open311_request(gateway_t *gw, gateway_exchange_t *exchange, open311_format_t format, const char *id,
                        bool token)
{
    gateway_principal_t principal;
    gateway_open311_public(&principal);
    char *end = NULL;
    errno = 0;
    Sifang__V1__CaseRef request = SIFANG__V1__CASE_REF__INIT;
    request.id = strtoll(id, &end, 10);
    if (!*id || *end || errno || request.id <= 0) {
        gateway_open311_fail(exchange, format, SF_NOT_FOUND, token ? "no such token" : "no such service request");
        return;
    }
    ProtobufCMessage *reply = NULL;
    gateway_error_t error;
    gateway_error_clear(&error);
    if (gateway_upstream_call(gw->upstream, "intake", "CaseGet", NULL, &principal, &request.base, &reply, &error)
        != SF_OK) {
        if (error.status == SF_NOT_FOUND) {
            gateway_error_clear(&error);
            gateway_error_set(&error, SF_NOT_FOUND, "%s", token ? "no such token" : "no such service request");
        }
        gateway_open311_error(exchange, format, &error);
        return;
    }
    cJSON *list = cJSON_CreateArray();
    if (token) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "service_request_id", id);
        cJSON_AddStringToObject(item, "token", id);
        cJSON_AddItemToArray(list, item);
    } else
        cJSON_AddItemToArray(list, request_json(gw, (const Sifang__V1__Case *) reply));
    protobuf_c_message_free_unpacked(reply, NULL);
    gateway_open311_reply(exchange, format, 200, list, "service_requests", "request");
}
