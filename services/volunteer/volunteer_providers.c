/* The 15-minute life service circle's providers: businesses and social
 * organisations that serve residents for the circle's items (meals, elderly
 * care, housekeeping, repair, health care), with the skills they serve,
 * where (zones, or a radius around a point), their opening hours, capacity,
 * contact, and the residents' rating from return visits (volunteer_ratings.c
 * keeps it). Register, update (including closing: active false), get, list.
 * Dispatch ranks them beside volunteers and teams (volunteer_dispatch.c). */
#include "volunteer.h"
#include "sf_ids.h"
#include "sf_row.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROVIDER_ZONES_MAX 50
#define PROVIDER_CONTACT_MAX 50
#define PROVIDER_RADIUS_MIN 0.1
#define PROVIDER_RADIUS_MAX 50.0
#define PROVIDER_CAPACITY_MAX 1000

#define PROVIDER_COLUMNS \
    "p.serial, p.name, p.kind, p.category, array_to_string(p.skills, ','), p.community_code," \
    " array_to_string(p.zone_codes, ','), p.lat, p.lon, p.radius_km, array_to_string(p.hours, ','), p.capacity," \
    " p.contact_name, p.contact_phone, p.credit_code, p.active," \
    " CASE WHEN p.rating_count = 0 THEN 0 ELSE round(p.rating_sum::numeric / p.rating_count, 2) END::float8," \
    " p.rating_count, (SELECT count(*) FROM dispatch d WHERE d.provider_serial = p.serial" \
    " AND d.status IN (1, 2))::int, " VOLUNTEER_MS("p.created_at") ", " VOLUNTEER_MS("p.updated_at") ", p.version"
#define PROVIDER_SELECT "SELECT " PROVIDER_COLUMNS " FROM provider p"

/* The provider as stored: the phone in clear (the reply masks it for a
 * caller whose duty does not reach the provider's community). */
static Sifang__V1__ServiceProvider *
provider_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__ServiceProvider *provider = (Sifang__V1__ServiceProvider *)
        sf_call_new_message(call, &sifang__v1__service_provider__descriptor);
    provider->id = volunteer_id(call, VOLUNTEER_ID_PROVIDER, sf_db_int(result, row, 0));
    sf_row_read(result, row, 1, &provider->base, "name kind category");
    provider->n_skills = volunteer_split(call, sf_db_text(result, row, 4), &provider->skills);
    provider->community_code = (char *) sf_db_text(result, row, 5);
    provider->n_zone_codes = volunteer_split(call, sf_db_text(result, row, 6), &provider->zone_codes);
    sf_row_read(result, row, 7, &provider->base, "lat lon radius_km");
    char **windows;
    size_t n = volunteer_split(call, sf_db_text(result, row, 10), &windows) / 3;
    if (n) {
        provider->hours = sf_call_new_array(call, n, sizeof *provider->hours);
        for (size_t i = 0; i < n; i++) {
            Sifang__V1__VolunteerAvailability *window = (Sifang__V1__VolunteerAvailability *)
                sf_call_new_message(call, &sifang__v1__volunteer_availability__descriptor);
            window->weekday = atoi(windows[i * 3]);
            window->start_minute = atoi(windows[i * 3 + 1]);
            window->end_minute = atoi(windows[i * 3 + 2]);
            provider->hours[i] = window;
        }
        provider->n_hours = n;
    }
    sf_row_read(result, row, 11, &provider->base,
                "capacity contact_name contact_phone credit_code active rating ratings load"
                " created_unix_ms updated_unix_ms version");
    return provider;
}

/* The same provider with its phone masked: what events carry. */
static Sifang__V1__ServiceProvider *
provider_masked(sf_call_t *call, const Sifang__V1__ServiceProvider *provider)
{
    Sifang__V1__ServiceProvider *masked = sf_call_alloc(call, sizeof *masked);
    *masked = *provider;
    char phone[SF_MASK_SIZE];
    sf_phone_mask(provider->contact_phone, phone, sizeof phone);
    masked->contact_phone = sf_call_strdup(call, phone);
    return masked;
}

/* What a caller sees: the phone in clear where the volunteer duty (or a
 * key) reaches the provider's community, else masked. */
static Sifang__V1__ServiceProvider *
provider_shown(sf_call_t *call, Sifang__V1__ServiceProvider *provider)
{
    return sf_call_covers_as(call, VOLUNTEER_ROLES_DUTY, provider->community_code)
        ? provider : provider_masked(call, provider);
}

static sf_status_t
provider_load(sf_call_t *call, int64_t serial, bool lock, Sifang__V1__ServiceProvider **provider_p)
{
    *provider_p = NULL;
    PGresult *result = sf_call_query(call, lock ? PROVIDER_SELECT " WHERE p.serial = $1 FOR UPDATE OF p"
                                                : PROVIDER_SELECT " WHERE p.serial = $1", SF_PARAMS(serial));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 1)
        *provider_p = provider_from_row(call, result, 0);
    return SF_OK;
}

/* The checked fields, flattened for the statement. */
typedef struct {
    sf_pgarray_t skills, zones, hours;
} provider_fields_t;

static void
fields_release(provider_fields_t *fields)
{
    sf_pgarray_release(&fields->skills);
    sf_pgarray_release(&fields->zones);
    sf_pgarray_release(&fields->hours);
}

/* Checks everything a provider is given (prefix names the fields:
 * "" for a registration, "provider." for an update); zones must be known
 * zones of volunteer's copy of grid. */
static sf_status_t
check_fields(sf_call_t *call, const char *prefix, const Sifang__V1__ServiceProvider *provider,
             provider_fields_t *fields)
{
    volunteer_catalog_t catalog;
    sf_status_t status = volunteer_catalog_load(call, &catalog);
    if (status != SF_OK)
        return status;
    char field[64];
#define FIELD(name) (snprintf(field, sizeof field, "%s%s", prefix, name), field)
    sf_call_check_text(call, FIELD("name"), provider->name, VOLUNTEER_NAME_MAX, true);
    if (provider->kind < SIFANG__V1__PROVIDER_KIND__PROVIDER_KIND_BUSINESS
        || provider->kind > SIFANG__V1__PROVIDER_KIND__PROVIDER_KIND_SOCIAL_ORGANISATION)
        sf_call_violation(call, FIELD("kind"), "must be BUSINESS or SOCIAL_ORGANISATION");
    if (provider->category < SIFANG__V1__PROVIDER_CATEGORY__PROVIDER_CATEGORY_MEALS
        || provider->category > SIFANG__V1__PROVIDER_CATEGORY__PROVIDER_CATEGORY_HEALTH_CARE)
        sf_call_violation(call, FIELD("category"), "must be a category (MEALS ... HEALTH_CARE)");
    if (provider->n_skills == 0)
        sf_call_violation(call, FIELD("skills"), "name at least one skill it serves");
    else if (provider->n_skills > VOLUNTEER_SKILLS_MAX)
        sf_call_violation(call, FIELD("skills"), "at most %d skills", VOLUNTEER_SKILLS_MAX);
    else
        for (size_t i = 0; i < provider->n_skills; i++) {
            char at[80];
            snprintf(at, sizeof at, "%sskills[%zu]", prefix, i);
            if (!volunteer_check_skill(call, &catalog, at, provider->skills[i]))
                continue;
            bool twice = false;
            for (size_t j = 0; j < i && !twice; j++)
                twice = strcmp(provider->skills[i], provider->skills[j]) == 0;
            if (twice)
                sf_call_violation(call, at, "%s is listed twice", provider->skills[i]);
            sf_pgarray_add_text(&fields->skills, provider->skills[i]);
        }
    if (!sf_code_of_length(provider->community_code, SF_CODE_COMMUNITY_LENGTH))
        sf_call_violation(call, FIELD("community_code"), "must be a community code (%d digits)",
                          SF_CODE_COMMUNITY_LENGTH);
    if (provider->n_zone_codes > PROVIDER_ZONES_MAX)
        sf_call_violation(call, FIELD("zone_codes"), "at most %d zones", PROVIDER_ZONES_MAX);
    else
        for (size_t i = 0; i < provider->n_zone_codes; i++) {
            char at[80];
            snprintf(at, sizeof at, "%szone_codes[%zu]", prefix, i);
            if (!sf_code_of_length(provider->zone_codes[i], SF_CODE_ZONE_LENGTH))
                sf_call_violation(call, at, "must be a zone code (%d digits)", SF_CODE_ZONE_LENGTH);
            sf_pgarray_add_text(&fields->zones, provider->zone_codes[i]);
        }
    if (provider->n_zone_codes) {
        if (provider->radius_km != 0)
            sf_call_violation(call, FIELD("radius_km"), "give zones or a radius, not both");
    } else {
        if (!(provider->radius_km >= PROVIDER_RADIUS_MIN && provider->radius_km <= PROVIDER_RADIUS_MAX))
            sf_call_violation(call, FIELD("radius_km"), "give zones, or a radius of %g to %g km around lat/lon",
                              PROVIDER_RADIUS_MIN, PROVIDER_RADIUS_MAX);
        if (!(provider->lat >= -90 && provider->lat <= 90) || !(provider->lon >= -180 && provider->lon <= 180)
            || (provider->lat == 0 && provider->lon == 0))
            sf_call_violation(call, FIELD("lat"), "the radius's centre: latitude -90..90, longitude -180..180");
    }
    if (provider->n_hours > VOLUNTEER_WINDOWS_MAX)
        sf_call_violation(call, FIELD("hours"), "at most %d windows", VOLUNTEER_WINDOWS_MAX);
    else
        for (size_t i = 0; i < provider->n_hours; i++) {
            const Sifang__V1__VolunteerAvailability *w = provider->hours[i];
            if (!volunteer_window_valid(w->weekday, w->start_minute, w->end_minute)) {
                char at[80];
                snprintf(at, sizeof at, "%shours[%zu]", prefix, i);
                sf_call_violation(call, at, "weekday 0..7 (0 = every day), start_minute 0..1439,"
                                  " end_minute after it and at most 1440");
            }
            sf_pgarray_add_int(&fields->hours, w->weekday);
            sf_pgarray_add_int(&fields->hours, w->start_minute);
            sf_pgarray_add_int(&fields->hours, w->end_minute);
        }
    if (provider->capacity < 1 || provider->capacity > PROVIDER_CAPACITY_MAX)
        sf_call_violation(call, FIELD("capacity"), "must be between 1 and %d", PROVIDER_CAPACITY_MAX);
    sf_call_check_text(call, FIELD("contact_name"), provider->contact_name, PROVIDER_CONTACT_MAX, false);
    sf_call_check_phone(call, FIELD("contact_phone"), provider->contact_phone);
    if (*provider->credit_code && !sf_credit_code_valid(provider->credit_code))
        sf_call_violation(call, FIELD("credit_code"), "must be a unified social credit code (18 characters)");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    /* Known places, the caller's to write for. */
    if ((status = volunteer_community_ref(call, FIELD("community_code"), provider->community_code, NULL)) != SF_OK)
        return status;
    for (size_t i = 0; i < provider->n_zone_codes; i++) {
        char at[80];
        double lat, lon;
        snprintf(at, sizeof at, "%szone_codes[%zu]", prefix, i);
        if ((status = volunteer_zone_ref(call, at, provider->zone_codes[i], &lat, &lon)) != SF_OK)
            return status;
    }
#undef FIELD
    return volunteer_require_writes(call, provider->community_code, "the provider's community");
}

static sf_status_t
require_name_free(sf_call_t *call, const char *field, const char *community_code, const char *name, int64_t except)
{
    PGresult *result = sf_call_query(call,
        "SELECT serial FROM provider WHERE community_code = $1 AND name = $2 AND active AND serial <> $3",
        SF_PARAMS(community_code, name, except));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result))
        return sf_call_refuse(call, SF_ALREADY_EXISTS, field, "provider %s of community %s has that name",
                              volunteer_id(call, VOLUNTEER_ID_PROVIDER, sf_db_int(result, 0, 0)), community_code);
    return SF_OK;
}

/* Emits type with the provider (phone masked) and replies with it as the
 * caller may see it. */
static sf_status_t
provider_emit_reply(sf_call_t *call, int64_t serial, const char *type, ProtobufCMessage **reply_p)
{
    Sifang__V1__ServiceProvider *provider;
    sf_status_t status = provider_load(call, serial, false, &provider);
    if (status != SF_OK)
        return status;
    sf_call_emit(call, type, provider->id, &provider_masked(call, provider)->base);
    *reply_p = &provider_shown(call, provider)->base;
    return SF_OK;
}

sf_status_t
volunteer_provider_register(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ServiceProvider *provider = (const Sifang__V1__ServiceProvider *) request;
    if (*provider->id)
        sf_call_violation(call, "id", "is assigned by the service; leave it empty");
    if (!provider->active)
        sf_call_violation(call, "active", "a provider is registered active");
    provider_fields_t fields;
    memset(&fields, 0, sizeof fields);
    sf_pgarray_init(&fields.skills);
    sf_pgarray_init(&fields.zones);
    sf_pgarray_init(&fields.hours);
    if (check_fields(call, "", provider, &fields) != SF_OK
        || require_name_free(call, "name", provider->community_code, provider->name, 0) != SF_OK)
        goto done;
    PGresult *result = sf_call_query(call,
        "INSERT INTO provider (name, kind, category, skills, community_code, zone_codes, lat, lon, radius_km,"
        " hours, capacity, contact_name, contact_phone, credit_code)"
        " VALUES ($1, $2, $3, $4::text[], $5, $6::text[], $7, $8, $9, $10::smallint[], $11, $12, $13, $14)"
        " RETURNING serial",
        SF_PARAMS(provider->name, provider->kind, provider->category, sf_pgarray_text(&fields.skills),
                  provider->community_code, sf_pgarray_text(&fields.zones), sf_param_double(provider->lat),
                  sf_param_double(provider->lon), sf_param_double(provider->radius_km),
                  sf_pgarray_text(&fields.hours), provider->capacity, provider->contact_name,
                  provider->contact_phone, provider->credit_code));
    if (result)
        provider_emit_reply(call, sf_db_int(result, 0, 0), "provider.registered", reply_p);
done:
    fields_release(&fields);
    return sf_call_status(call);
}

sf_status_t
volunteer_provider_update(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ProviderUpdateRequest *update = (const Sifang__V1__ProviderUpdateRequest *) request;
    const Sifang__V1__ServiceProvider *provider = update->provider;
    if (!provider)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "provider", "is required");
    int64_t serial = 0;
    volunteer_check_id(call, "provider.id", provider->id, VOLUNTEER_ID_PROVIDER, &serial);
    volunteer_check_expected_version(call, update->expected_version);
    provider_fields_t fields;
    memset(&fields, 0, sizeof fields);
    sf_pgarray_init(&fields.skills);
    sf_pgarray_init(&fields.zones);
    sf_pgarray_init(&fields.hours);
    if (sf_call_has_violations(call) || check_fields(call, "provider.", provider, &fields) != SF_OK)
        goto done;
    Sifang__V1__ServiceProvider *stored;
    if (provider_load(call, serial, true, &stored) != SF_OK)
        goto done;
    if (!stored) {
        sf_call_refuse(call, SF_NOT_FOUND, "provider.id", "no provider %s", provider->id);
        goto done;
    }
    if (volunteer_require_writes(call, stored->community_code, "the provider's community") != SF_OK
        || volunteer_version_matches(call, update->expected_version, stored->version, stored->id) != SF_OK)
        goto done;
    if (strcmp(stored->community_code, provider->community_code) != 0) {
        sf_call_refuse(call, SF_FAILED_PRECONDITION, "provider.community_code",
                       "a provider stays in community %s; close it and register it in the other",
                       stored->community_code);
        goto done;
    }
    if (provider->active
        && require_name_free(call, "provider.name", provider->community_code, provider->name, serial) != SF_OK)
        goto done;
    if (!sf_call_query(call,
            "UPDATE provider SET name = $2, kind = $3, category = $4, skills = $5::text[], zone_codes = $6::text[],"
            " lat = $7, lon = $8, radius_km = $9, hours = $10::smallint[], capacity = $11, contact_name = $12,"
            " contact_phone = $13, credit_code = $14, active = $15, updated_at = now(), version = version + 1"
            " WHERE serial = $1",
            SF_PARAMS(serial, provider->name, provider->kind, provider->category, sf_pgarray_text(&fields.skills),
                      sf_pgarray_text(&fields.zones), sf_param_double(provider->lat),
                      sf_param_double(provider->lon), sf_param_double(provider->radius_km),
                      sf_pgarray_text(&fields.hours), provider->capacity, provider->contact_name,
                      provider->contact_phone, provider->credit_code, sf_param_bool(provider->active))))
        goto done;
    provider_emit_reply(call, serial, "provider.updated", reply_p);
done:
    fields_release(&fields);
    return sf_call_status(call);
}

sf_status_t
volunteer_provider_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ProviderGetRequest *get = (const Sifang__V1__ProviderGetRequest *) request;
    int64_t serial = 0;
    if (!volunteer_check_id(call, "id", get->id, VOLUNTEER_ID_PROVIDER, &serial))
        return sf_call_status(call);
    Sifang__V1__ServiceProvider *provider;
    sf_status_t status = provider_load(call, serial, false, &provider);
    if (status != SF_OK)
        return status;
    if (!provider)
        return sf_call_fail(call, SF_NOT_FOUND, "no provider %s", get->id);
    if ((status = volunteer_require_covers(call, provider->community_code, "the provider's community")) != SF_OK)
        return status;
    *reply_p = &provider_shown(call, provider)->base;
    return SF_OK;
}

sf_status_t
volunteer_provider_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ProviderListRequest *list = (const Sifang__V1__ProviderListRequest *) request;
    Sifang__V1__ProviderListReply *reply = (Sifang__V1__ProviderListReply *)
        sf_call_new_message(call, &sifang__v1__provider_list_reply__descriptor);
    const char *prefix = NULL;
    sf_keyset_t page = sf_keyset_of(call, list->page);
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (*list->skill && !volunteer_skill_code_valid(list->skill))
        sf_call_violation(call, "skill", "must be a skill code");
    if (list->category < 0 || list->category > SIFANG__V1__PROVIDER_CATEGORY__PROVIDER_CATEGORY_HEALTH_CARE)
        sf_call_violation(call, "category", "must be a category (MEALS ... HEALTH_CARE)");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    sf_query_t query;
    sf_query_init(&query, call, PROVIDER_SELECT);
    sf_query_subtree(&query, "p.community_code", prefix);
    if (*list->skill)
        sf_query_where(&query, "p.skills @> ARRAY[$%d::text]", sf_query_text(&query, list->skill));
    if (list->category)
        sf_query_where(&query, "p.category = $%d", sf_query_int(&query, list->category));
    if (!list->include_inactive)
        sf_query_where(&query, "p.active");
    volunteer_page_apply(&query, &page, "p.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->providers = sf_call_new_array(call, (size_t) rows, sizeof *reply->providers);
    for (int row = 0; row < rows; row++)
        reply->providers[row] = provider_shown(call, provider_from_row(call, result, row));
    reply->n_providers = (size_t) rows;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    *reply_p = &reply->base;
    return SF_OK;
}
