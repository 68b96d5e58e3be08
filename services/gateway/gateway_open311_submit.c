/* Open311 submissions (POST requests): where the request is, from a
 * household or unit code, a point (the zone it lies in) or an address (the
 * zone of the building it names); the answers to the service definition's
 * question; then intake's CaseSubmit on the website channel, its fields
 * named back as the spec names them. */
#include "gateway_open311.h"
#include "sf_client.h"
#include "sf_text.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How far from the nearest zone (centroid or building) a point may lie and
 * still be taken as in it; beyond, it is outside the district. */
#define LOCATE_BOUND_M 1000.0

/* The answers to the service definition's question (the materials ready):
 * attribute[materials][]=1&attribute[materials][]=3, or 1,3 in one; into
 * ready as "a; b". false with error set for an attribute the definition
 * does not have or a key not among its values. */
static bool
read_attributes(const open311_form_t *form, const Sifang__V1__ServiceItem *item, char *ready, size_t size,
                gateway_error_t *error)
{
    bool chosen[64] = { false };
    for (size_t f = 0; f < form->n; f++) {
        const char *name = form->names[f];
        if (strncmp(name, "attribute[", 10) != 0)
            continue;
        const char *code = name + 10, *close = strchr(code, ']');
        if (!close || (close[1] && strcmp(close + 1, "[]") != 0)) {
            gateway_error_violation(error, name, "attribute[code] or attribute[code][]");
            continue;
        }
        if ((size_t) (close - code) != strlen("materials") || strncmp(code, "materials", 9) != 0
            || !gateway_open311_item_attributes(item, NULL)) {
            char why[160];
            sf_text_format(why, sizeof why, "service %s has no attribute %.*s", item->code, (int) (close - code), code);
            gateway_error_violation(error, name, "%s", why);
            continue;
        }
        char copy[512];
        char *keys[64];
        int n = strlen(form->values[f]) < sizeof copy
                    ? gateway_open311_split_commas(form->values[f], copy, sizeof copy, keys, 64) : -1;
        for (int k = 0; k < n; k++) {
            char *end = NULL;
            long key = strtol(keys[k], &end, 10);
            if (*end || key < 1 || (size_t) key > item->n_required_materials || key > 64) {
                char why[160];
                sf_text_format(why, sizeof why, "\"%s\" is not a key of this attribute's values (1..%zu)", keys[k],
                               item->n_required_materials);
                gateway_error_violation(error, name, "%s", why);
            } else
                chosen[key - 1] = true;
        }
        if (n < 0)
            gateway_error_violation(error, name, "too many values");
    }
    size_t used = 0;
    ready[0] = 0;
    for (size_t i = 0; i < item->n_required_materials && i < 64; i++)
        if (chosen[i] && used < size)
            used += (size_t) sf_text_format(ready + used, size - used, "%s%s", used ? "; " : "",
                                            item->required_materials[i]);
    return error->status == SF_OK;
}

/* A number in [low, high]; false when it is not one. */
static bool
parse_degrees(const char *text, double low, double high, double *out)
{
    char *end = NULL;
    errno = 0;
    *out = strtod(text, &end);
    return *text && !*end && !errno && isfinite(*out) && *out >= low && *out <= high;
}

/* The place of the submission: address_id (a household, building group,
 * zone, community or street code), lat and long (the zone they lie in),
 * or address_string (the zone of the building it names); the request's
 * household or unit. false with error set. */
static bool
locate_submission(gateway_t *gw, const open311_form_t *form, char *household, char *unit, size_t size,
                  const char **location_field, gateway_error_t *error)
{
    const char *address_id = gateway_open311_form_get(form, "address_id");
    const char *lat_text = gateway_open311_form_get(form, "lat"), *long_text = gateway_open311_form_get(form, "long");
    const char *address = gateway_open311_form_get(form, "address_string");
    household[0] = unit[0] = 0;
    if (address_id && *address_id) {
        *location_field = "address_id";
        size_t length = strlen(address_id);
        bool digits = strspn(address_id, "0123456789") == length;
        if (digits && length == 18)
            snprintf(household, size, "%s", address_id);
        else if (digits && length >= 9 && length <= 15)
            snprintf(unit, size, "%.*s", length == 15 ? 14 : (int) length, address_id);
        else
            gateway_error_violation(error, "address_id", "a household, building group, zone, community or street code");
        return error->status == SF_OK;
    }
    if ((lat_text && *lat_text) || (long_text && *long_text)) {
        *location_field = "lat";
        double lat = 0, lon = 0;
        if (!lat_text || !parse_degrees(lat_text, -90, 90, &lat))
            gateway_error_violation(error, "lat", "a WGS-84 latitude in degrees, with long");
        if (!long_text || !parse_degrees(long_text, -180, 180, &lon))
            gateway_error_violation(error, "long", "a WGS-84 longitude in degrees, with lat");
        if (error->status != SF_OK)
            return false;
        double distance = 0;
        int found = gateway_open311_locate(gw, lat, lon, LOCATE_BOUND_M, unit, size, &distance);
        if (found < 0)
            gateway_error_set(error, SF_UNAVAILABLE, "the district's zones are not known yet; retry shortly");
        else if (found > 0) {
            char why[192];
            snprintf(why, sizeof why, "the point lies outside the district (the nearest zone is %.0f m away, more "
                                      "than %.0f m)", distance, LOCATE_BOUND_M);
            gateway_error_violation(error, "lat", "%s", why);
        }
        return error->status == SF_OK;
    }
    if (address && *address) {
        *location_field = "address_string";
        int found = gateway_open311_match_address(gw, address, unit, size);
        if (found < 0)
            gateway_error_set(error, SF_UNAVAILABLE, "the district's zones are not known yet; retry shortly");
        else if (found == 1)
            gateway_error_violation(error, "address_string",
                                    "names no building or zone of the district; give lat and long, or address_id");
        else if (found == 2)
            gateway_error_violation(error, "address_string",
                                    "names buildings in several zones; give the building's number, lat and long, or "
                                    "address_id");
        return error->status == SF_OK;
    }
    *location_field = "lat";
    gateway_error_violation(error, "lat", "a location is required: lat and long, address_string or address_id");
    return false;
}

/* Names intake's fields as the submission's. */
static void
open311_fields(gateway_error_t *error, const char *location_field)
{
    static const char *const names[][2] = {
        { "item_code", "service_code" }, { "requester.household_code", "address_id" },
        { "unit_code", NULL }, { "requester.name", "first_name" }, { "requester.phone", "phone" },
    };
    for (size_t i = 0; i < error->n_violations; i++)
        for (size_t n = 0; n < sizeof names / sizeof names[0]; n++)
            if (strcmp(error->fields[i], names[n][0]) == 0)
                snprintf(error->fields[i], sizeof error->fields[i], "%s", names[n][1] ? names[n][1] : location_field);
}

void
gateway_open311_submit(gateway_t *gw, gateway_exchange_t *exchange, open311_format_t format,
                       const gateway_principal_t *principal, const open311_form_t *form)
{
    const char *service_code = gateway_open311_form_get(form, "service_code");
    gateway_error_t error;
    gateway_error_clear(&error);
    if (!service_code || !*service_code) {
        gateway_error_violation(&error, "service_code", "required");
        gateway_open311_error(exchange, format, &error);
        return;
    }
    Sifang__V1__CodeRequest item_request = SIFANG__V1__CODE_REQUEST__INIT;
    item_request.code = (char *) service_code;
    ProtobufCMessage *item_reply = NULL;
    if (gateway_upstream_call(gw->upstream, "intake", "ItemGet", NULL, principal, &item_request.base, &item_reply,
                              &error) != SF_OK) {
        if (error.status == SF_NOT_FOUND || error.status == SF_INVALID_ARGUMENT) {
            gateway_error_clear(&error);
            gateway_error_violation(&error, "service_code", "no such service");
        }
        gateway_open311_error(exchange, format, &error);
        return;
    }
    const Sifang__V1__ServiceItem *item = (const Sifang__V1__ServiceItem *) item_reply;
    char household[32], unit[32], ready[1024];
    const char *location_field = "lat";
    read_attributes(form, item, ready, sizeof ready, &error);
    locate_submission(gw, form, household, unit, sizeof household, &location_field, &error);
    if (error.status != SF_OK) {
        protobuf_c_message_free_unpacked(item_reply, NULL);
        gateway_open311_error(exchange, format, &error);
        return;
    }
    /* The spec makes the description optional, intake not: the service's
     * name stands in. The materials ready follow it. */
    const char *given = gateway_open311_form_get(form, "description");
    char *description = NULL;
    size_t description_size = (given ? strlen(given) : 0) + strlen(item->name) + strlen(ready) + 64;
    description = malloc(description_size);
    if (!description) {
        protobuf_c_message_free_unpacked(item_reply, NULL);
        gateway_open311_fail(exchange, format, SF_INTERNAL, "out of memory");
        return;
    }
    snprintf(description, description_size, "%s%s%s", given && *given ? given : item->name,
             ready[0] ? "\nMaterials ready: " : "", ready);
    Sifang__V1__CaseSubmitRequest request = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
    Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
    /* Far more than intake takes (50 characters, 200 bytes): a name cut
     * here is still too long there and is refused, never stored cut. */
    char name[1024];
    const char *first = gateway_open311_form_get(form, "first_name");
    const char *last = gateway_open311_form_get(form, "last_name");
    /* Chinese order, family name first; either may be empty (a client
     * that splits one name may send last_name=""). */
    sf_text_format(name, sizeof name, "%s%s%s", last ? last : "", last && *last && first && *first ? " " : "",
                   first ? first : "");
    requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
    requester.household_code = household;
    requester.name = name;
    const char *phone = gateway_open311_form_get(form, "phone");
    requester.phone = (char *) (phone ? phone : "");
    request.channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WEBSITE;
    request.item_code = (char *) service_code;
    request.requester = &requester;
    request.unit_code = unit;
    request.description = description;
    char request_id[160], namespace[48];
    const char *idempotency = gateway_exchange_header(exchange, "Idempotency-Key");
    if (idempotency && strlen(idempotency) <= 96)
        snprintf(request_id, sizeof request_id, "%s.311.%s",
                 gateway_principal_namespace(principal, namespace, sizeof namespace), idempotency);
    else
        sf_request_id_new(request_id);
    ProtobufCMessage *reply = NULL;
    sf_status_t status = gateway_upstream_call(gw->upstream, "intake", "CaseSubmit", request_id, principal,
                                               &request.base, &reply, &error);
    free(description);
    protobuf_c_message_free_unpacked(item_reply, NULL);
    if (status != SF_OK) {
        open311_fields(&error, location_field);
        gateway_open311_error(exchange, format, &error);
        return;
    }
    const Sifang__V1__Case *kase = (const Sifang__V1__Case *) reply;
    cJSON *list = cJSON_CreateArray();
    cJSON *created = cJSON_CreateObject();
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long) kase->id);
    /* The id is known at once: no token (the spec's token is for a request
     * whose id comes later). */
    cJSON_AddStringToObject(created, "service_request_id", id);
    char notice[160];
    sf_text_format(notice, sizeof notice, "received%s%s", kase->registration_number[0] ? "; registration number " : "",
                   kase->registration_number);
    cJSON_AddStringToObject(created, "service_notice", notice);
    const char *account = gateway_open311_form_get(form, "account_id");
    gateway_open311_add_text(created, "account_id", account);
    cJSON_AddItemToArray(list, created);
    protobuf_c_message_free_unpacked(reply, NULL);
    gateway_open311_reply(exchange, format, 201, list, "service_requests", "request");
}
