/* Pairings (结对帮扶): a party member paired with a household in difficulty
 * (one grid flags), with a log of contacts (visits, calls, help given); the
 * pairings nobody has contacted for N days; and coverage, the share of each
 * community's households in difficulty with an active pairing. */
#include "volunteer.h"
#include "sf_row.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A contact may be recorded a little ahead of the server's clock (a phone
 * whose clock runs fast), and up to a year late. */
#define CONTACT_SKEW_MS (5LL * 60 * 1000)
#define CONTACT_BACKDATE_MS (366LL * 24 * 3600 * 1000)

#define PAIRING_COLUMNS \
    "hp.serial, hp.member_resident_id, COALESCE(r.name, ''), mv.serial, hp.household_code, hp.community_code," \
    " COALESCE(array_to_string(h.flags, ','), ''), hp.active, hp.ended_reason, " VOLUNTEER_MS("hp.last_contact_at") "," \
    " hp.contacts, " VOLUNTEER_MS("hp.created_at") ", " VOLUNTEER_MS("hp.ended_at") ", hp.version"
#define PAIRING_FROM \
    " FROM help_pairing hp LEFT JOIN ref_resident r ON r.id = hp.member_resident_id" \
    " LEFT JOIN volunteer mv ON mv.resident_id = hp.member_resident_id" \
    " LEFT JOIN ref_household h ON h.code = hp.household_code"
#define PAIRING_SELECT "SELECT " PAIRING_COLUMNS PAIRING_FROM

static Sifang__V1__HelpPairing *
pairing_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__HelpPairing *pairing = (Sifang__V1__HelpPairing *)
        sf_call_new_message(call, &sifang__v1__help_pairing__descriptor);
    pairing->id = volunteer_id(call, VOLUNTEER_ID_PAIRING, sf_db_int(result, row, 0));
    pairing->member_resident_id = (char *) sf_db_text(result, row, 1);
    pairing->member_name = (char *) sf_db_text(result, row, 2);
    if (!sf_db_is_null(result, row, 3))
        pairing->volunteer_id = volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, sf_db_int(result, row, 3));
    pairing->household_code = (char *) sf_db_text(result, row, 4);
    pairing->community_code = (char *) sf_db_text(result, row, 5);
    char **flags;
    size_t n_flags = volunteer_split(call, sf_db_text(result, row, 6), &flags);
    if (n_flags) {
        pairing->flags = sf_call_alloc(call, n_flags * sizeof *pairing->flags);
        for (size_t i = 0; i < n_flags; i++)
            pairing->flags[i] = (Sifang__V1__HouseholdFlag) atoi(flags[i]);
        pairing->n_flags = n_flags;
    }
    sf_row_read(result, row, 7, &pairing->base,
                "active ended_reason last_contact_unix_ms contacts created_unix_ms ended_unix_ms version");
    return pairing;
}

/* A write's reply: the pairing serial as it now stands, also emitted as
 * event_type. */
static sf_status_t
pairing_reply(sf_call_t *call, int64_t serial, const char *event_type, ProtobufCMessage **reply_p)
{
    PGresult *result = sf_call_query(call, PAIRING_SELECT " WHERE hp.serial = $1", SF_PARAMS(serial));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__HelpPairing *pairing = pairing_from_row(call, result, 0);
    return sf_call_emit_reply(call, reply_p, event_type, pairing->id, &pairing->base);
}

static void
pairing_answer(sf_call_t *call, const PGresult *result, int row, ProtobufCMessage **reply_p)
{
    Sifang__V1__HelpPairing *pairing = pairing_from_row(call, result, row);
    sf_call_emit(call, "help_pairing.created", pairing->id, &pairing->base);
    *reply_p = &pairing->base;
}

static void
check_pairing_fields(sf_call_t *call, const Sifang__V1__HelpPairing *pairing)
{
    int64_t serial;
    if (*pairing->id)
        sf_call_violation(call, "id", "is assigned by the service; leave it empty");
    if (!*pairing->member_resident_id)
        sf_call_violation(call, "member_resident_id", "is required");
    else if (!sf_serial_id_parse(pairing->member_resident_id, 'R', &serial))
        sf_call_violation(call, "member_resident_id", "must be grid's resident id, like R0000042");
    if (!*pairing->household_code)
        sf_call_violation(call, "household_code", "is required");
    else if (!sf_code_of_length(pairing->household_code, SF_CODE_HOUSEHOLD_LENGTH))
        sf_call_violation(call, "household_code", "must be a household code (%d digits)",
                          SF_CODE_HOUSEHOLD_LENGTH);
    /* A pairing agreed earlier and recorded now (from the paper register)
     * keeps its day, within the year contacts may be back-dated. */
    int64_t now = sf_now_ms();
    if (pairing->created_unix_ms > now + CONTACT_SKEW_MS)
        sf_call_violation(call, "created_unix_ms", "is in the future");
    else if (pairing->created_unix_ms && pairing->created_unix_ms < now - CONTACT_BACKDATE_MS)
        sf_call_violation(call, "created_unix_ms", "is more than a year ago");
}

/* When a new pairing began: the moment given, else now (SQL, $n in ms). */
#define PAIRING_BEGAN(n) "CASE WHEN " n "::bigint > 0 THEN to_timestamp(" n "::bigint / 1000.0) ELSE now() END"

/* What one lookup says about a pairing to be; shared by both paths. */
typedef struct {
    bool resident_known;
    bool party_member;
    bool household_known;
    bool in_difficulty;
    const char *community_code;
    int64_t existing;            /* the active pairing of the same pair, 0 = none */
} pairing_facts_t;

#define PAIRING_FACTS \
    "SELECT r.id IS NOT NULL, COALESCE(r.party_member, false), h.code IS NOT NULL," \
    " COALESCE(h.in_difficulty, false), COALESCE(h.community_code, '')," \
    " COALESCE((SELECT serial FROM help_pairing p WHERE p.member_resident_id = k.m" \
    "   AND p.household_code = k.h AND p.active), 0)"

static void
facts_from_row(const PGresult *result, int row, pairing_facts_t *facts)
{
    facts->resident_known = sf_db_bool(result, row, 0);
    facts->party_member = sf_db_bool(result, row, 1);
    facts->household_known = sf_db_bool(result, row, 2);
    facts->in_difficulty = sf_db_bool(result, row, 3);
    facts->community_code = sf_db_text(result, row, 4);
    facts->existing = sf_db_int(result, row, 5);
}

static sf_status_t
check_pairing_facts(sf_call_t *call, const Sifang__V1__HelpPairing *pairing, const pairing_facts_t *facts)
{
    if (!facts->resident_known)
        return sf_call_refuse(call, SF_NOT_FOUND, "member_resident_id", "no resident %s known to volunteer",
                              pairing->member_resident_id);
    if (!facts->household_known)
        return sf_call_refuse(call, SF_NOT_FOUND, "household_code", "no household %s known to volunteer",
                              pairing->household_code);
    if (!facts->party_member)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "member_resident_id",
                              "resident %s is not a party member in grid's record", pairing->member_resident_id);
    if (!facts->in_difficulty)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "household_code",
                              "household %s has no difficulty flag in grid", pairing->household_code);
    sf_status_t status = volunteer_require_writes(call, facts->community_code, "the household's community");
    if (status != SF_OK)
        return status;
    if (facts->existing)
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "household_code",
                              "%s is already paired with household %s (pairing %s)", pairing->member_resident_id,
                              pairing->household_code, volunteer_id(call, VOLUNTEER_ID_PAIRING, facts->existing));
    return SF_OK;
}

sf_status_t
volunteer_pairing_create(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__HelpPairing *pairing = (const Sifang__V1__HelpPairing *) request;
    check_pairing_fields(call, pairing);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_params_t *params = SF_PARAMS(pairing->member_resident_id, pairing->household_code);
    PGresult *found = sf_call_query(call, PAIRING_FACTS
        " FROM (SELECT $1::text AS m, $2::text AS h) k LEFT JOIN ref_resident r ON r.id = k.m"
        " LEFT JOIN ref_household h ON h.code = k.h", params);
    if (!found)
        return sf_call_status(call);
    pairing_facts_t facts;
    facts_from_row(found, 0, &facts);
    sf_status_t status = check_pairing_facts(call, pairing, &facts);
    if (status != SF_OK)
        return status;
    params = SF_PARAMS(pairing->member_resident_id, pairing->household_code, facts.community_code,
                       pairing->created_unix_ms);
    PGresult *inserted = sf_call_query(call,
        "INSERT INTO help_pairing (member_resident_id, household_code, community_code, created_at)"
        " VALUES ($1, $2, $3, " PAIRING_BEGAN("$4") ") RETURNING serial", params);
    if (!inserted)
        return sf_call_status(call);
    return pairing_reply(call, sf_db_int(inserted, 0, 0), "help_pairing.created", reply_p);
}

/* The fast path for the bulk of pairings: every pair's facts by one
 * lookup, the new pairings by one INSERT. A pair twice in the run goes the
 * careful way. */
sf_status_t
volunteer_pairing_create_batch(sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies,
                               size_t n)
{
    sf_pgarray_t members, households;
    sf_pgarray_init(&members);
    sf_pgarray_init(&households);
    sf_status_t status = SF_OK;
    for (size_t i = 0; i < n; i++) {
        const Sifang__V1__HelpPairing *pairing = (const Sifang__V1__HelpPairing *) requests[i];
        check_pairing_fields(calls[i], pairing);
        for (size_t j = 0; j < i; j++) {
            const Sifang__V1__HelpPairing *earlier = (const Sifang__V1__HelpPairing *) requests[j];
            if (strcmp(earlier->member_resident_id, pairing->member_resident_id) == 0
                && strcmp(earlier->household_code, pairing->household_code) == 0)
                status = SF_ABORTED;
        }
        sf_pgarray_add_text(&members, pairing->member_resident_id);
        sf_pgarray_add_text(&households, pairing->household_code);
    }
    PGresult *found = NULL;
    if (status == SF_OK) {
        sf_params_t params;
        sf_params_init(&params);
        SF_PARAMS_ADD(&params, sf_pgarray_text(&members), sf_pgarray_text(&households));
        found = sf_call_query(calls[0], PAIRING_FACTS
            " FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(m, h, o)"
            " LEFT JOIN ref_resident r ON r.id = k.m LEFT JOIN ref_household h ON h.code = k.h ORDER BY k.o", &params);
        if (!found)
            status = sf_call_status(calls[0]);
    }
    sf_pgarray_t write_members, write_households, write_communities, write_began;
    sf_pgarray_init(&write_members);
    sf_pgarray_init(&write_households);
    sf_pgarray_init(&write_communities);
    sf_pgarray_init(&write_began);
    bool *writing = calloc(n, sizeof *writing);
    if (!writing)
        status = SF_INTERNAL;
    size_t writes = 0;
    for (size_t i = 0; status == SF_OK && i < n; i++) {
        const Sifang__V1__HelpPairing *pairing = (const Sifang__V1__HelpPairing *) requests[i];
        if (sf_call_has_violations(calls[i]))
            continue;
        pairing_facts_t facts;
        facts_from_row(found, (int) i, &facts);
        if (check_pairing_facts(calls[i], pairing, &facts) != SF_OK)
            continue;
        sf_pgarray_add_text(&write_members, pairing->member_resident_id);
        sf_pgarray_add_text(&write_households, pairing->household_code);
        sf_pgarray_add_text(&write_communities, facts.community_code);
        sf_pgarray_add_int(&write_began, pairing->created_unix_ms);
        writing[i] = true;
        writes++;
    }
    if (status == SF_OK && writes) {
        sf_params_t *params = SF_PARAMS(sf_pgarray_text(&write_members), sf_pgarray_text(&write_households),
                                        sf_pgarray_text(&write_communities), sf_pgarray_text(&write_began));
        PGresult *added = sf_call_query(calls[0],
            "WITH added AS (INSERT INTO help_pairing (member_resident_id, household_code, community_code, created_at)"
            " SELECT m, h, c, " PAIRING_BEGAN("b") " FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])"
            " WITH ORDINALITY AS k(m, h, c, b, o) ORDER BY o RETURNING serial) SELECT '{' || string_agg(serial::text, ',' ORDER BY serial) || '}'"
            " FROM added", params);
        PGresult *created = NULL;
        if (added) {
            /* Serials follow the insertion order: sorted, they line up
             * with the requests written. */
            sf_params_init(params);
            sf_params_text(params, sf_db_text(added, 0, 0));
            created = sf_call_query(calls[0], PAIRING_SELECT " WHERE hp.serial = ANY($1::bigint[]) ORDER BY hp.serial",
                                    params);
        }
        status = created ? volunteer_batch_answer(calls, writing, n, created, pairing_answer, replies)
                         : sf_call_status(calls[0]);
    }
    sf_pgarray_release(&write_members);
    sf_pgarray_release(&write_households);
    sf_pgarray_release(&write_communities);
    sf_pgarray_release(&write_began);
    sf_pgarray_release(&members);
    sf_pgarray_release(&households);
    free(writing);
    return status;
}

static const volunteer_ending_t PAIRING_ENDING = {
    VOLUNTEER_ID_PAIRING, "help_pairing", "pairing", "the pairing's community", "ended_at = now(), ",
};

sf_status_t
volunteer_pairing_end(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__HelpPairingEndRequest *end = (const Sifang__V1__HelpPairingEndRequest *) request;
    int64_t serial = 0;
    sf_status_t status = volunteer_end(call, &PAIRING_ENDING, end->id, end->reason, &serial);
    if (status != SF_OK)
        return status;
    return pairing_reply(call, serial, "help_pairing.ended", reply_p);
}

sf_status_t
volunteer_pairing_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__HelpPairingListRequest *list = (const Sifang__V1__HelpPairingListRequest *) request;
    Sifang__V1__HelpPairingListReply *reply = (Sifang__V1__HelpPairingListReply *)
        sf_call_new_message(call, &sifang__v1__help_pairing_list_reply__descriptor);
    const char *prefix = NULL;
    sf_keyset_t page = sf_keyset_of(call, list->page);
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    sf_call_check_text(call, "member_resident_id", list->member_resident_id, 20, false);
    if (*list->household_code && !sf_code_of_length(list->household_code, SF_CODE_HOUSEHOLD_LENGTH))
        sf_call_violation(call, "household_code", "must be a household code (%d digits)",
                          SF_CODE_HOUSEHOLD_LENGTH);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    sf_query_t query;
    sf_query_init(&query, call, PAIRING_SELECT);
    sf_query_subtree(&query, "hp.household_code", prefix);
    if (*list->member_resident_id)
        sf_query_where(&query, "hp.member_resident_id = $%d", sf_query_text(&query, list->member_resident_id));
    if (*list->household_code)
        sf_query_where(&query, "hp.household_code = $%d", sf_query_text(&query, list->household_code));
    if (!list->include_ended)
        sf_query_where(&query, "hp.active");
    volunteer_page_apply(&query, &page, "hp.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->pairings = sf_call_new_array(call, (size_t) rows, sizeof *reply->pairings);
    for (int row = 0; row < rows; row++)
        reply->pairings[row] = pairing_from_row(call, result, row);
    reply->n_pairings = (size_t) rows;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    *reply_p = &reply->base;
    return SF_OK;
}

/* Longest silent first: the token is the last row's silence (microseconds)
 * and serial, "<us>-<serial>". */
sf_status_t
volunteer_pairing_overdue(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__HelpPairingOverdueRequest *ask = (const Sifang__V1__HelpPairingOverdueRequest *) request;
    Sifang__V1__HelpPairingListReply *reply = (Sifang__V1__HelpPairingListReply *)
        sf_call_new_message(call, &sifang__v1__help_pairing_list_reply__descriptor);
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", ask->under, &prefix);
    if (ask->days < 0 || ask->days > 3650)
        sf_call_violation(call, "days", "must be between 1 and 3650 (0 = 30)");
    sf_page_t page = sf_page_of(call, ask->page);
    int size = page.size;
    long long after_us = 0, after_serial = 0;
    bool has_token = *page.token != 0;
    if (has_token) {
        /* This list's tokens are its own: the time and serial of the last
         * pairing shown. */
        char tail = 0;
        if (sscanf(page.token, "%lld-%lld%c", &after_us, &after_serial, &tail) != 2 || after_serial <= 0)
            sf_page_bad_token(call);
    }
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " PAIRING_COLUMNS ","
                         " (extract(epoch FROM COALESCE(hp.last_contact_at, hp.created_at)) * 1000000)::bigint AS quiet"
                         PAIRING_FROM);
    sf_query_where(&query, "hp.active AND COALESCE(hp.last_contact_at, hp.created_at)"
                          " < now() - make_interval(days => $%d)", sf_query_int(&query, ask->days ? ask->days : 30));
    sf_query_subtree(&query, "hp.household_code", prefix);
    if (has_token) {
        int us = sf_query_int(&query, after_us);
        int serial = sf_query_int(&query, after_serial);
        sf_query_where(&query, "((extract(epoch FROM COALESCE(hp.last_contact_at, hp.created_at)) * 1000000)::bigint,"
                              " hp.serial) > ($%d::bigint, $%d::bigint)", us, serial);
    }
    sf_query_append(&query, " ORDER BY quiet, hp.serial LIMIT %d", size + 1);
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result) > size ? size : PQntuples(result);
    reply->pairings = sf_call_new_array(call, (size_t) rows, sizeof *reply->pairings);
    for (int row = 0; row < rows; row++)
        reply->pairings[row] = pairing_from_row(call, result, row);
    reply->n_pairings = (size_t) rows;
    if (PQntuples(result) > size)
        reply->next_page_token = sf_call_printf(call, "%lld-%lld",
                                                (long long) sf_db_int(result, size - 1, PQfnumber(result, "quiet")),
                                                (long long) sf_db_int(result, size - 1, 0));
    *reply_p = &reply->base;
    return SF_OK;
}

/* --- contacts ------------------------------------------------------------------ */

#define CONTACT_COLUMNS \
    "c.serial, c.pairing_serial, c.kind, " VOLUNTEER_MS("c.at") ", c.note, c.help_given, " \
    VOLUNTEER_MS("c.created_at") ", p.household_code, p.community_code, p.member_resident_id, c.recorded_by"

static Sifang__V1__HelpContact *
contact_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__HelpContact *contact = (Sifang__V1__HelpContact *)
        sf_call_new_message(call, &sifang__v1__help_contact__descriptor);
    contact->id = volunteer_id(call, VOLUNTEER_ID_CONTACT, sf_db_int(result, row, 0));
    contact->pairing_id = volunteer_id(call, VOLUNTEER_ID_PAIRING, sf_db_int(result, row, 1));
    sf_row_read(result, row, 2, &contact->base,
                "kind at_unix_ms note help_given created_unix_ms household_code community_code member_resident_id"
                " recorded_by");
    return contact;
}

/* Field checks of a contact; the pairing's serial and the time it happened. */
static void
check_contact_fields(sf_call_t *call, const Sifang__V1__HelpContact *contact, int64_t now, int64_t *serial,
                     int64_t *at)
{
    if (*contact->id)
        sf_call_violation(call, "id", "is assigned by the service; leave it empty");
    volunteer_check_id(call, "pairing_id", contact->pairing_id, VOLUNTEER_ID_PAIRING, serial);
    if (contact->kind < SIFANG__V1__CONTACT_KIND__CONTACT_KIND_VISIT
        || contact->kind > SIFANG__V1__CONTACT_KIND__CONTACT_KIND_HELP)
        sf_call_violation(call, "kind", "must be VISIT, CALL or HELP");
    *at = contact->at_unix_ms ? contact->at_unix_ms : now;
    if (*at > now + CONTACT_SKEW_MS)
        sf_call_violation(call, "at_unix_ms", "is in the future");
    else if (*at < now - CONTACT_BACKDATE_MS)
        sf_call_violation(call, "at_unix_ms", "is more than a year ago");
    sf_call_check_note(call, "note", contact->note, VOLUNTEER_NOTE_MAX, false);
    sf_call_check_text(call, "help_given", contact->help_given, VOLUNTEER_HELP_MAX, false);
    if (contact->kind == SIFANG__V1__CONTACT_KIND__CONTACT_KIND_HELP && sf_text_blank(contact->help_given))
        sf_call_violation(call, "help_given", "say what help was given");
}

static sf_status_t
check_contact_pairing(sf_call_t *call, const Sifang__V1__HelpContact *contact, bool known, bool active,
                      const char *community_code)
{
    if (!known)
        return sf_call_refuse(call, SF_NOT_FOUND, "pairing_id", "no pairing %s", contact->pairing_id);
    sf_status_t status = volunteer_require_writes(call, community_code, "the pairing's community");
    if (status != SF_OK)
        return status;
    if (!active)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "pairing_id", "pairing %s has ended",
                              contact->pairing_id);
    return SF_OK;
}

static void
contact_answer(sf_call_t *call, const PGresult *result, int row, ProtobufCMessage **reply_p)
{
    Sifang__V1__HelpContact *recorded = contact_from_row(call, result, row);
    sf_call_emit(call, "help_pairing.contacted", recorded->pairing_id, &recorded->base);
    *reply_p = &recorded->base;
}

/* Inserts the contacts given as arrays and moves their pairings' last
 * contact and count; returns the contacts in insertion order. */
static PGresult *
insert_contacts(sf_call_t *call, sf_pgarray_t columns[6])
{
    sf_params_t params;
    sf_params_init(&params);
    for (int k = 0; k < 6; k++)
        sf_params_text(&params, sf_pgarray_text(&columns[k]));
    PGresult *result = sf_call_query(call,
        "WITH added AS (INSERT INTO help_contact (pairing_serial, kind, at, note, help_given, recorded_by)"
        " SELECT p, k, to_timestamp(a / 1000.0), n, hg, rb FROM unnest($1::bigint[], $2::int[], $3::bigint[],"
        " $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS r(p, k, a, n, hg, rb, o) ORDER BY o"
        " RETURNING *),"
        " moved AS (UPDATE help_pairing hp SET last_contact_at = GREATEST(hp.last_contact_at, m.at),"
        "   contacts = hp.contacts + m.n FROM (SELECT pairing_serial, max(at) AS at, count(*) AS n FROM added"
        "   GROUP BY 1) m WHERE hp.serial = m.pairing_serial)"
        " SELECT " CONTACT_COLUMNS " FROM added c JOIN help_pairing p ON p.serial = c.pairing_serial"
        " ORDER BY c.serial", &params);
    return result;
}

sf_status_t
volunteer_contact_record(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__HelpContact *contact = (const Sifang__V1__HelpContact *) request;
    int64_t serial = 0, at = 0;
    check_contact_fields(call, contact, sf_now_ms(), &serial, &at);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *found = sf_call_query(call, "SELECT community_code, active FROM help_pairing WHERE serial = $1 FOR UPDATE",
                                    SF_PARAMS(serial));
    if (!found)
        return sf_call_status(call);
    bool known = PQntuples(found) == 1;
    sf_status_t status = check_contact_pairing(call, contact, known, known && sf_db_bool(found, 0, 1),
                                               known ? sf_db_text(found, 0, 0) : "");
    if (status != SF_OK)
        return status;
    sf_pgarray_t columns[6];
    for (int k = 0; k < 6; k++)
        sf_pgarray_init(&columns[k]);
    sf_pgarray_add_int(&columns[0], serial);
    sf_pgarray_add_int(&columns[1], contact->kind);
    sf_pgarray_add_int(&columns[2], at);
    sf_pgarray_add_text(&columns[3], contact->note);
    sf_pgarray_add_text(&columns[4], contact->help_given);
    sf_pgarray_add_text(&columns[5], sf_call_principal(call)->id);
    PGresult *result = insert_contacts(call, columns);
    for (int k = 0; k < 6; k++)
        sf_pgarray_release(&columns[k]);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__HelpContact *recorded = contact_from_row(call, result, 0);
    return sf_call_emit_reply(call, reply_p, "help_pairing.contacted", recorded->pairing_id, &recorded->base);
}

sf_status_t
volunteer_contact_record_batch(sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies,
                               size_t n)
{
    int64_t now = sf_now_ms();
    int64_t *serials = calloc(n, sizeof *serials), *ats = calloc(n, sizeof *ats);
    bool *writing = calloc(n, sizeof *writing);
    sf_status_t status = serials && ats && writing ? SF_OK : SF_INTERNAL;
    sf_pgarray_t pairings;
    sf_pgarray_init(&pairings);
    for (size_t i = 0; status == SF_OK && i < n; i++) {
        check_contact_fields(calls[i], (const Sifang__V1__HelpContact *) requests[i], now, &serials[i], &ats[i]);
        sf_pgarray_add_int(&pairings, serials[i]);
    }
    PGresult *found = NULL;
    if (status == SF_OK) {
        found = sf_call_query(calls[0],
            "SELECT p.serial IS NOT NULL, COALESCE(p.active, false), COALESCE(p.community_code, '')"
            " FROM unnest($1::bigint[]) WITH ORDINALITY AS k(s, o) LEFT JOIN help_pairing p ON p.serial = k.s"
            " ORDER BY k.o", SF_PARAMS(sf_pgarray_text(&pairings)));
        if (!found)
            status = sf_call_status(calls[0]);
    }
    sf_pgarray_t columns[6];
    for (int k = 0; k < 6; k++)
        sf_pgarray_init(&columns[k]);
    size_t writes = 0;
    for (size_t i = 0; status == SF_OK && i < n; i++) {
        const Sifang__V1__HelpContact *contact = (const Sifang__V1__HelpContact *) requests[i];
        if (sf_call_has_violations(calls[i])
            || check_contact_pairing(calls[i], contact, sf_db_bool(found, (int) i, 0), sf_db_bool(found, (int) i, 1),
                                     sf_db_text(found, (int) i, 2)) != SF_OK)
            continue;
        sf_pgarray_add_int(&columns[0], serials[i]);
        sf_pgarray_add_int(&columns[1], contact->kind);
        sf_pgarray_add_int(&columns[2], ats[i]);
        sf_pgarray_add_text(&columns[3], contact->note);
        sf_pgarray_add_text(&columns[4], contact->help_given);
        sf_pgarray_add_text(&columns[5], sf_call_principal(calls[i])->id);
        writing[i] = true;
        writes++;
    }
    if (status == SF_OK && writes) {
        PGresult *result = insert_contacts(calls[0], columns);
        status = result ? volunteer_batch_answer(calls, writing, n, result, contact_answer, replies)
                        : sf_call_status(calls[0]);
    }
    for (int k = 0; k < 6; k++)
        sf_pgarray_release(&columns[k]);
    sf_pgarray_release(&pairings);
    free(serials);
    free(ats);
    free(writing);
    return status;
}

sf_status_t
volunteer_contact_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__HelpContactListRequest *list = (const Sifang__V1__HelpContactListRequest *) request;
    sf_keyset_t page = sf_keyset_of(call, list->page);
    int64_t serial = 0;
    volunteer_check_id(call, "pairing_id", list->pairing_id, VOLUNTEER_ID_PAIRING, &serial);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *found = sf_call_query(call, "SELECT community_code FROM help_pairing WHERE serial = $1",
        SF_PARAMS(serial));
    if (!found)
        return sf_call_status(call);
    if (PQntuples(found) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, "pairing_id", "no pairing %s", list->pairing_id);
    sf_status_t status = volunteer_require_covers(call, sf_db_text(found, 0, 0), "the pairing's community");
    if (status != SF_OK)
        return status;
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " CONTACT_COLUMNS " FROM help_contact c"
                         " JOIN help_pairing p ON p.serial = c.pairing_serial");
    sf_query_where(&query, "c.pairing_serial = $%d", sf_query_int(&query, serial));
    volunteer_page_apply(&query, &page, "c.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__HelpContactListReply *reply = (Sifang__V1__HelpContactListReply *)
        sf_call_new_message(call, &sifang__v1__help_contact_list_reply__descriptor);
    int rows = sf_keyset_rows(&page, result);
    reply->contacts = sf_call_new_array(call, (size_t) rows, sizeof *reply->contacts);
    for (int row = 0; row < rows; row++)
        reply->contacts[row] = contact_from_row(call, result, row);
    reply->n_contacts = (size_t) rows;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    *reply_p = &reply->base;
    return SF_OK;
}

/* --- coverage -------------------------------------------------------------------- */

sf_status_t
volunteer_coverage(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CoverageRequest *ask = (const Sifang__V1__CoverageRequest *) request;
    Sifang__V1__CoverageReply *reply = (Sifang__V1__CoverageReply *)
        sf_call_new_message(call, &sifang__v1__coverage_reply__descriptor);
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", ask->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        reply->coverage = 1;
        *reply_p = &reply->base;
        return SF_OK;
    }
    /* Communities in the subtree, or the one holding it; households in
     * difficulty under the prefix, paired when an active pairing names them. */
    PGresult *result = sf_call_query(call,
        "SELECT c.code, c.name, count(d.code), count(d.code) FILTER (WHERE d.paired),"
        " (SELECT count(DISTINCT hp.member_resident_id) FROM help_pairing hp WHERE hp.community_code = c.code"
        "   AND hp.active AND starts_with(hp.household_code, $1))"
        " FROM ref_unit c LEFT JOIN (SELECT h.code, h.community_code, EXISTS (SELECT 1 FROM help_pairing hp"
        "   WHERE hp.household_code = h.code AND hp.active) AS paired FROM ref_household h"
        "   WHERE h.in_difficulty AND starts_with(h.code, $1)) d ON d.community_code = c.code"
        " WHERE c.kind = 3 AND (starts_with(c.code, $1) OR starts_with($1, c.code))"
        " GROUP BY c.code, c.name ORDER BY c.code", SF_PARAMS(prefix));
    if (!result)
        return sf_call_status(call);
    size_t rows = (size_t) PQntuples(result);
    reply->communities = sf_call_new_array(call, rows, sizeof *reply->communities);
    for (size_t row = 0; row < rows; row++) {
        Sifang__V1__CommunityCoverage *community = (Sifang__V1__CommunityCoverage *)
            sf_call_new_message(call, &sifang__v1__community_coverage__descriptor);
        community->community_code = (char *) sf_db_text(result, (int) row, 0);
        community->community_name = (char *) sf_db_text(result, (int) row, 1);
        community->households_in_difficulty = (int32_t) sf_db_int(result, (int) row, 2);
        community->households_paired = (int32_t) sf_db_int(result, (int) row, 3);
        community->members = (int32_t) sf_db_int(result, (int) row, 4);
        community->coverage = community->households_in_difficulty
            ? (double) community->households_paired / community->households_in_difficulty : 1.0;
        reply->households_in_difficulty += community->households_in_difficulty;
        reply->households_paired += community->households_paired;
        reply->communities[row] = community;
    }
    reply->n_communities = rows;
    reply->coverage = reply->households_in_difficulty
        ? (double) reply->households_paired / reply->households_in_difficulty : 1.0;
    *reply_p = &reply->base;
    return SF_OK;
}
