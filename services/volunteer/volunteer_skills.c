/* The skill catalogue and volunteers' certificates and trainings. A skill
 * may require a credential of a kind: only holders of an unexpired one are
 * dispatched for it (volunteer_dispatch.c applies that rule). */
#include "volunteer.h"
#include "sf_row.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sf_status_t
volunteer_catalog_load(sf_call_t *call, volunteer_catalog_t *catalog)
{
    memset(catalog, 0, sizeof *catalog);
    PGresult *result = sf_call_query(call, "SELECT code, requires FROM skill ORDER BY code", NULL);
    if (!result)
        return sf_call_status(call);
    catalog->n = (size_t) PQntuples(result);
    catalog->codes = sf_call_new_array(call, catalog->n ? catalog->n : 1, sizeof *catalog->codes);
    catalog->requires = sf_call_alloc(call, (catalog->n ? catalog->n : 1) * sizeof *catalog->requires);
    for (size_t i = 0; i < catalog->n; i++) {
        catalog->codes[i] = (char *) sf_db_text(result, (int) i, 0);
        catalog->requires[i] = (int) sf_db_int(result, (int) i, 1);
    }
    return SF_OK;
}

int
volunteer_catalog_find(const volunteer_catalog_t *catalog, const char *code)
{
    for (size_t i = 0; i < catalog->n; i++)
        if (strcmp(catalog->codes[i], code) == 0)
            return (int) i;
    return -1;
}

bool
volunteer_check_skill(sf_call_t *call, const volunteer_catalog_t *catalog, const char *field, const char *skill)
{
    if (!skill || !*skill) {
        sf_call_violation(call, field, "is required");
        return false;
    }
    if (!volunteer_skill_code_valid(skill)) {
        sf_call_violation(call, field, "must be a skill code ([a-z0-9_], at most %d)", VOLUNTEER_SKILL_CODE_MAX);
        return false;
    }
    if (volunteer_catalog_find(catalog, skill) < 0) {
        sf_call_violation(call, field, "%s is not in the skill catalogue (SkillList)", skill);
        return false;
    }
    return true;
}

/* --- the catalogue -------------------------------------------------------------- */

sf_status_t
volunteer_skill_define(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__VolunteerSkill *skill = (const Sifang__V1__VolunteerSkill *) request;
    if (!volunteer_skill_code_valid(skill->code))
        sf_call_violation(call, "code", "must be [a-z0-9_], 1 to %d characters", VOLUNTEER_SKILL_CODE_MAX);
    sf_call_check_text(call, "name", skill->name, VOLUNTEER_NAME_MAX, true);
    if (skill->requires < 0 || skill->requires > SIFANG__V1__CREDENTIAL_KIND__CREDENTIAL_KIND_TRAINING)
        sf_call_violation(call, "requires", "must be UNSPECIFIED, CERTIFICATE or TRAINING");
    /* Up to a week (an offer for a skill that is never urgent). */
    if (skill->offer_timeout_ms < 0 || skill->offer_timeout_ms > 604800000LL)
        sf_call_violation(call, "offer_timeout_ms", "must be between 1 ms and a week (0 = the daemon's default)");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *result = sf_call_query(call,
        "INSERT INTO skill (code, name, requires, offer_timeout_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (code)"
        " DO UPDATE SET name = EXCLUDED.name, requires = EXCLUDED.requires,"
        " offer_timeout_ms = EXCLUDED.offer_timeout_ms RETURNING code, name, requires, offer_timeout_ms",
        SF_PARAMS(skill->code, skill->name, skill->requires, skill->offer_timeout_ms));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__VolunteerSkill *defined = (Sifang__V1__VolunteerSkill *)
        sf_call_new_message(call, &sifang__v1__volunteer_skill__descriptor);
    sf_row_read(result, 0, 0, &defined->base, "code name requires offer_timeout_ms");
    return sf_call_emit_reply(call, reply_p, "skill.defined", defined->code, &defined->base);
}

sf_status_t
volunteer_skill_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    (void) request;
    PGresult *result = sf_call_query(call, "SELECT code, name, requires, offer_timeout_ms FROM skill ORDER BY code",
                                     NULL);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__SkillListReply *reply = (Sifang__V1__SkillListReply *)
        sf_call_new_message(call, &sifang__v1__skill_list_reply__descriptor);
    size_t rows = (size_t) PQntuples(result);
    reply->skills = sf_call_new_array(call, rows, sizeof *reply->skills);
    for (size_t row = 0; row < rows; row++) {
        Sifang__V1__VolunteerSkill *skill = (Sifang__V1__VolunteerSkill *)
            sf_call_new_message(call, &sifang__v1__volunteer_skill__descriptor);
        skill->code = (char *) sf_db_text(result, (int) row, 0);
        skill->name = (char *) sf_db_text(result, (int) row, 1);
        skill->requires = (Sifang__V1__CredentialKind) sf_db_int(result, (int) row, 2);
        skill->offer_timeout_ms = sf_db_int(result, (int) row, 3);
        reply->skills[row] = skill;
    }
    reply->n_skills = rows;
    *reply_p = &reply->base;
    return SF_OK;
}

/* --- credentials -------------------------------------------------------------- */

/* $1 is the time zone in every statement that reads credentials. */
#define CREDENTIAL_COLUMNS \
    "c.serial, c.volunteer_serial, c.kind, c.skill, c.name, c.issuer, to_char(c.issued_on, 'YYYY-MM-DD')," \
    " COALESCE(to_char(c.expires_on, 'YYYY-MM-DD'), ''), COALESCE(c.expires_on < (now() AT TIME ZONE $1)::date, false)," \
    " " VOLUNTEER_MS("c.created_at")

static Sifang__V1__VolunteerCredential *
credential_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__VolunteerCredential *credential = (Sifang__V1__VolunteerCredential *)
        sf_call_new_message(call, &sifang__v1__volunteer_credential__descriptor);
    credential->id = volunteer_id(call, VOLUNTEER_ID_CREDENTIAL, sf_db_int(result, row, 0));
    credential->volunteer_id = volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, sf_db_int(result, row, 1));
    sf_row_read(result, row, 2, &credential->base,
                "kind skill name issuer issued_on expires_on expired created_unix_ms");
    return credential;
}

/* The field checks of a new credential; the volunteer's serial in *serial. */
static void
check_credential(sf_call_t *call, const volunteer_catalog_t *catalog,
                 const Sifang__V1__VolunteerCredential *credential, int64_t *serial)
{
    if (*credential->id)
        sf_call_violation(call, "id", "is assigned by the service; leave it empty");
    volunteer_check_id(call, "volunteer_id", credential->volunteer_id, VOLUNTEER_ID_VOLUNTEER, serial);
    if (credential->kind != SIFANG__V1__CREDENTIAL_KIND__CREDENTIAL_KIND_CERTIFICATE
        && credential->kind != SIFANG__V1__CREDENTIAL_KIND__CREDENTIAL_KIND_TRAINING)
        sf_call_violation(call, "kind", "must be CERTIFICATE or TRAINING");
    volunteer_check_skill(call, catalog, "skill", credential->skill);
    sf_call_check_text(call, "name", credential->name, VOLUNTEER_NAME_MAX, true);
    sf_call_check_text(call, "issuer", credential->issuer, VOLUNTEER_NAME_MAX, false);
    bool issued = volunteer_check_date(call, "issued_on", credential->issued_on, true);
    bool expires = volunteer_check_date(call, "expires_on", credential->expires_on, false);
    /* ISO dates compare as text. */
    if (issued && expires && *credential->expires_on
        && strcmp(credential->expires_on, credential->issued_on) < 0)
        sf_call_violation(call, "expires_on", "must not be before issued_on");
}

static void
credential_params(sf_call_t *call, sf_params_t *params)
{
    sf_params_init(params);
    sf_params_text(params, volunteer_config(call)->timezone);
}

sf_status_t
volunteer_credential_add(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__VolunteerCredential *credential = (const Sifang__V1__VolunteerCredential *) request;
    volunteer_catalog_t catalog;
    sf_status_t status = volunteer_catalog_load(call, &catalog);
    if (status != SF_OK)
        return status;
    int64_t serial = 0;
    check_credential(call, &catalog, credential, &serial);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_params_t *params = SF_PARAMS(serial);
    PGresult *holder = sf_call_query(call, "SELECT community_code FROM volunteer WHERE serial = $1", params);
    if (!holder)
        return sf_call_status(call);
    if (PQntuples(holder) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, "volunteer_id", "no volunteer %s", credential->volunteer_id);
    if ((status = volunteer_require_writes(call, sf_db_text(holder, 0, 0), "the volunteer's community")) != SF_OK)
        return status;
    credential_params(call, params);
    SF_PARAMS_ADD(params, serial, credential->kind, credential->skill, credential->name, credential->issuer,
                          credential->issued_on, sf_param_text_or_null(credential->expires_on));
    PGresult *result = sf_call_query(call,
        "INSERT INTO credential AS c (volunteer_serial, kind, skill, name, issuer, issued_on, expires_on)"
        " VALUES ($2, $3, $4, $5, $6, $7::date, $8::date) RETURNING " CREDENTIAL_COLUMNS, params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__VolunteerCredential *added = credential_from_row(call, result, 0);
    return sf_call_emit_reply(call, reply_p, "credential.added", added->id, &added->base);
}

/* The fast path: the holders looked up together and every valid credential
 * written by one INSERT ... SELECT FROM unnest. */
sf_status_t
volunteer_credential_add_batch(sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies,
                               size_t n)
{
    volunteer_catalog_t catalog;
    sf_status_t status = volunteer_catalog_load(calls[0], &catalog);
    if (status != SF_OK)
        return status;
    int64_t *serials = calloc(n, sizeof *serials);
    if (!serials)
        return SF_INTERNAL;
    sf_pgarray_t holders;
    sf_pgarray_init(&holders);
    for (size_t i = 0; i < n; i++) {
        check_credential(calls[i], &catalog, (const Sifang__V1__VolunteerCredential *) requests[i], &serials[i]);
        sf_pgarray_add_int(&holders, serials[i]);
    }
    sf_params_t *params = SF_PARAMS(sf_pgarray_text(&holders));
    PGresult *found = sf_call_query(calls[0],
        "SELECT COALESCE(v.community_code, '') FROM unnest($1::bigint[]) WITH ORDINALITY AS k(s, o)"
        " LEFT JOIN volunteer v ON v.serial = k.s ORDER BY k.o", params);
    sf_pgarray_t columns[7];
    for (int k = 0; k < 7; k++)
        sf_pgarray_init(&columns[k]);
    size_t writes = 0;
    if (!found)
        status = sf_call_status(calls[0]);
    for (size_t i = 0; found && i < n; i++) {
        const Sifang__V1__VolunteerCredential *credential = (const Sifang__V1__VolunteerCredential *) requests[i];
        if (sf_call_has_violations(calls[i]))
            continue;
        const char *community = sf_db_text(found, (int) i, 0);
        if (!*community) {
            sf_call_refuse(calls[i], SF_NOT_FOUND, "volunteer_id", "no volunteer %s", credential->volunteer_id);
            continue;
        }
        if (volunteer_require_writes(calls[i], community, "the volunteer's community") != SF_OK)
            continue;
        sf_pgarray_add_int(&columns[0], serials[i]);
        sf_pgarray_add_int(&columns[1], credential->kind);
        sf_pgarray_add_text(&columns[2], credential->skill);
        sf_pgarray_add_text(&columns[3], credential->name);
        sf_pgarray_add_text(&columns[4], credential->issuer);
        sf_pgarray_add_text(&columns[5], credential->issued_on);
        sf_pgarray_add_text(&columns[6], *credential->expires_on ? credential->expires_on : NULL);
        writes++;
    }
    if (status == SF_OK && writes) {
        credential_params(calls[0], params);
        for (int k = 0; k < 7; k++)
            sf_params_text(params, sf_pgarray_text(&columns[k]));
        PGresult *inserted = sf_call_query(calls[0],
            "WITH added AS (INSERT INTO credential AS c (volunteer_serial, kind, skill, name, issuer, issued_on,"
            " expires_on) SELECT s, k, sk, nm, iss, io::date, eo::date FROM unnest($2::bigint[], $3::int[],"
            " $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) WITH ORDINALITY"
            " AS r(s, k, sk, nm, iss, io, eo, o) ORDER BY o RETURNING " CREDENTIAL_COLUMNS ")"
            " SELECT * FROM added ORDER BY 1", params);
        if (!inserted)
            status = sf_call_status(calls[0]);
        /* Serials are drawn in insertion order, which follows the
         * ordinality: sorted by serial, the rows line up with the requests. */
        int row = 0;
        for (size_t i = 0; inserted && i < n; i++) {
            if (sf_call_status(calls[i]) != SF_OK)
                continue;
            if (row >= PQntuples(inserted)) {
                status = SF_INTERNAL;
                break;
            }
            Sifang__V1__VolunteerCredential *added = credential_from_row(calls[i], inserted, row++);
            sf_call_emit(calls[i], "credential.added", added->id, &added->base);
            replies[i] = &added->base;
        }
    }
    for (int k = 0; k < 7; k++)
        sf_pgarray_release(&columns[k]);
    sf_pgarray_release(&holders);
    free(serials);
    return status;
}

sf_status_t
volunteer_credential_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CredentialListRequest *list = (const Sifang__V1__CredentialListRequest *) request;
    Sifang__V1__CredentialListReply *reply = (Sifang__V1__CredentialListReply *)
        sf_call_new_message(call, &sifang__v1__credential_list_reply__descriptor);
    const char *prefix = NULL;
    sf_keyset_t page = sf_keyset_of(call, list->page);
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    int64_t serial = 0;
    if (*list->volunteer_id)
        volunteer_check_id(call, "volunteer_id", list->volunteer_id, VOLUNTEER_ID_VOLUNTEER, &serial);
    if (list->expiring_within_days < 0 || list->expiring_within_days > 3650)
        sf_call_violation(call, "expiring_within_days", "must be between 0 and 3650");
    if (list->expiring_within_days && list->expired_only)
        sf_call_violation(call, "expired_only", "cannot be combined with expiring_within_days");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    sf_query_t query;
    sf_query_init(&query, call,
        "SELECT " CREDENTIAL_COLUMNS " FROM credential c JOIN volunteer v ON v.serial = c.volunteer_serial");
    sf_query_text(&query, volunteer_config(call)->timezone);
    sf_query_subtree(&query, "v.community_code", prefix);
    if (serial)
        sf_query_where(&query, "c.volunteer_serial = $%d", sf_query_int(&query, serial));
    if (list->expired_only)
        sf_query_where(&query, "c.expires_on < (now() AT TIME ZONE $1)::date");
    if (list->expiring_within_days)
        sf_query_where(&query, "c.expires_on >= (now() AT TIME ZONE $1)::date"
                              " AND c.expires_on < (now() AT TIME ZONE $1)::date + $%d::int",
                              sf_query_int(&query, list->expiring_within_days));
    volunteer_page_apply(&query, &page, "c.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->credentials = sf_call_new_array(call, (size_t) rows, sizeof *reply->credentials);
    for (int row = 0; row < rows; row++)
        reply->credentials[row] = credential_from_row(call, result, row);
    reply->n_credentials = (size_t) rows;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    *reply_p = &reply->base;
    return SF_OK;
}
