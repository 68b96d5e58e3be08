/* Residents' personal data in the clear on purpose, and the audit of it:
 * ResidentReveal (one resident whole, with a reason), ResidentExport (a page
 * of residents whole, with a reason) and AccessLogList (the privacy
 * officer's reading of who saw whom, when and why). Reveal and export are
 * write methods: the row they leave in personal_access_log is written in the
 * transaction that read the data, so no one sees a resident whole without
 * the row, and a retry of the same request is answered from the stored
 * reply without a second row. They emit no event: events never carry
 * personal data. */
#include "grid.h"
#include <stdio.h>
#include <string.h>

/* A reason is a short sentence kept with the row: long enough to say
 * something, short enough to read in a list. */
#define REASON_MIN 2
#define REASON_MAX 200

/* A resident and their household, in one row: GRID_RESIDENT_COLUMNS from
 * 0, GRID_HOUSEHOLD_COLUMNS from RESIDENT_FIELDS. */
#define RESIDENT_FIELDS 12
#define REVEAL_SELECT \
    "SELECT " GRID_RESIDENT_COLUMNS ", " GRID_HOUSEHOLD_COLUMNS \
    " FROM resident r JOIN household h ON h.code = r.household_code"

#define ACCESS_LOG_INSERT \
    "INSERT INTO personal_access_log (actor, account, roles, kind, method, request_id," \
    " resident_ids, filter, row_count, reason)" \
    " VALUES ($1, $2, $3::text[], $4, $5, $6, $7::text[], $8, $9, $10)"
#define ACCESS_LOG_SELECT \
    "SELECT a.id, " GRID_MS("a.at") ", a.actor, a.account, array_to_string(a.roles, ' ')," \
    " a.kind, a.method, a.request_id, array_to_string(a.resident_ids, ' '), a.filter," \
    " a.row_count, a.reason FROM personal_access_log a"

static bool
check_reason(sf_call_t *call, const char *reason)
{
    if (!sf_call_check_text(call, "reason", reason, REASON_MAX, true))
        return false;
    if (sf_text_length(reason) < REASON_MIN) {
        sf_call_violation(call, "reason", "must be at least %d characters", REASON_MIN);
        return false;
    }
    return true;
}

/* The resident whole (birth date and phone in the clear, never the identity
 * number) with their household's address and flags. */
static Sifang__V1__RevealedResident *
revealed_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__RevealedResident *revealed = (Sifang__V1__RevealedResident *)
        sf_call_new_message(call, &sifang__v1__revealed_resident__descriptor);
    revealed->resident = grid_resident_from_row(call, result, row, 0);
    revealed->resident->id_number = (char *) protobuf_c_empty_string;
    Sifang__V1__Household *household = grid_household_from_row(call, result, row, RESIDENT_FIELDS);
    revealed->address = household->address;
    revealed->n_flags = household->n_flags;
    revealed->flags = household->flags;
    return revealed;
}

/* Writes the call's row in the access log: who (the principal's id, a
 * person's account, their roles: a person's grants, a key's role), what
 * (kind, method, request id, the residents shown or the export's filter, how
 * many) and why. */
static sf_status_t
access_log_write(sf_call_t *call, const char *kind, const sf_pgarray_t *ids_in, int rows,
                 const char *filter, const char *reason)
{
    const Sifang__V1__Principal *principal = sf_call_principal(call);
    sf_pgarray_t roles;
    sf_pgarray_init(&roles);
    if (sf_call_is_person(call))
        for (size_t i = 0; i < principal->n_grants; i++)
            sf_pgarray_add_text(&roles, principal->grants[i]->role);
    else
        sf_pgarray_add_text(&roles, principal->role);
    const char *roles_text = sf_pgarray_text(&roles);
    char *roles_literal = roles_text ? sf_call_strdup(call, roles_text) : NULL;
    sf_pgarray_release(&roles);
    sf_pgarray_t *ids = (sf_pgarray_t *) ids_in;
    const char *ids_text = sf_pgarray_text(ids);
    if (!roles_literal || !ids_text)
        return sf_call_fail(call, SF_RESOURCE_EXHAUSTED, "out of memory");

    return sf_call_query(call, ACCESS_LOG_INSERT,
        SF_PARAMS(principal->id, principal->account, roles_literal, kind, sf_call_method(call),
                  sf_call_request_id(call), ids_text, filter, rows, reason)) ? SF_OK : sf_call_status(call);
}

sf_status_t
grid_resident_reveal(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ResidentRevealRequest *reveal = (const Sifang__V1__ResidentRevealRequest *) request;
    int64_t serial = 0;
    grid_check_resident_id(call, "id", reveal->id, &serial);
    check_reason(call, reveal->reason);
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    PGresult *result = sf_call_query(call, REVEAL_SELECT " WHERE r.serial = $1", SF_PARAMS(serial));
    if (!result)
        return sf_call_status(call);
    /* Only a duty that serves the resident's household reveals them, within
     * that duty's own scope; elsewhere the resident is not found, as in
     * ResidentGet, so ids cannot be probed. */
    if (PQntuples(result) != 1
        || !sf_call_covers_as(call, SF_ROLES_RESIDENT_DUTY, sf_db_text(result, 0, 1)))
        return sf_call_fail(call, SF_NOT_FOUND, "resident %s not found", reveal->id);
    Sifang__V1__RevealedResident *revealed = revealed_from_row(call, result, 0);

    sf_pgarray_t ids;
    sf_pgarray_init(&ids);
    sf_pgarray_add_text(&ids, revealed->resident->id);
    sf_status_t status = access_log_write(call, "reveal", &ids, 1, "", reveal->reason);
    sf_pgarray_release(&ids);
    if (status != SF_OK)
        return status;
    *reply_p = &revealed->base;
    return SF_OK;
}

sf_status_t
grid_resident_export(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ResidentExportRequest *export = (const Sifang__V1__ResidentExportRequest *) request;
    Sifang__V1__ResidentExportReply *reply = (Sifang__V1__ResidentExportReply *)
        sf_call_new_message(call, &sifang__v1__resident_export_reply__descriptor);
    sf_page_t page = sf_page_of(call, export->page);
    if (*export->household_code && !grid_household_code_valid(export->household_code))
        sf_call_violation(call, "household_code", "must be a household code (%d digits)",
                          GRID_HOUSEHOLD_CODE_LENGTH);
    char after_household[GRID_CODE_SIZE] = "";
    int64_t after_serial = 0;
    if (*page.token && !grid_resident_token_parse(page.token, after_household, &after_serial))
        sf_page_bad_token(call);
    check_reason(call, export->reason);
    /* Only the scopes of the grants that may export: another role's wider
     * view does not widen an export. */
    const char *prefix;
    bool visible = sf_call_scope_under_as(call, SF_ROLES_EXPORT, "under", export->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (visible && *export->household_code && !sf_code_starts_with(export->household_code, prefix))
        visible = false;

    sf_pgarray_t ids;
    sf_pgarray_init(&ids);
    int rows = 0;
    PGresult *result = NULL;
    if (visible) {
        sf_query_t query;
        sf_query_init(&query, call, REVEAL_SELECT);
        sf_query_subtree(&query, "r.household_code", prefix);
        if (*export->household_code)
            sf_query_where(&query, "r.household_code = $%d", sf_query_text(&query, export->household_code));
        grid_resident_page_apply(call, &query, &page, after_household, after_serial);
        result = sf_query_run(&query);
        if (!result) {
            sf_pgarray_release(&ids);
            return sf_call_status(call);
        }
        rows = sf_page_rows(&page, result);
        reply->residents = sf_call_new_array(call, (size_t) rows, sizeof *reply->residents);
        for (int row = 0; row < rows; row++) {
            Sifang__V1__RevealedResident *revealed = revealed_from_row(call, result, row);
            reply->residents[reply->n_residents++] = revealed;
            sf_pgarray_add_text(&ids, revealed->resident->id);
        }
        if (sf_page_more(&page, result))
            reply->next_page_token = sf_call_printf(call, "%s.%s", sf_db_text(result, rows - 1, 1),
                                                    sf_db_text(result, rows - 1, 0));
    }
    /* Every page asked for is a row, an empty one too: the audit shows what
     * was sought as well as what was shown. */
    const char *filter = sf_call_printf(call, "under=%s household_code=%s page_size=%d page_token=%s",
                                        export->under, export->household_code, page.size, page.token);
    sf_status_t status = access_log_write(call, "export", &ids, rows, filter, export->reason);
    sf_pgarray_release(&ids);
    if (status != SF_OK)
        return status;
    *reply_p = &reply->base;
    return SF_OK;
}

/* Words separated by single spaces (array_to_string's) as a repeated
 * field, in call memory. */
static char **
split_words(sf_call_t *call, const char *text, size_t *n_p)
{
    *n_p = 0;
    if (!*text)
        return NULL;
    size_t n = 1;
    for (const char *c = text; *c; c++)
        n += *c == ' ';
    char **words = sf_call_new_array(call, n, sizeof *words);
    char *copy = sf_call_strdup(call, text);
    for (char *word = copy;;) {
        char *space = strchr(word, ' ');
        if (space)
            *space = 0;
        words[(*n_p)++] = word;
        if (!space)
            break;
        word = space + 1;
    }
    return words;
}

sf_status_t
grid_access_log_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__AccessLogListRequest *list = (const Sifang__V1__AccessLogListRequest *) request;
    Sifang__V1__AccessLogListReply *reply = (Sifang__V1__AccessLogListReply *)
        sf_call_new_message(call, &sifang__v1__access_log_list_reply__descriptor);
    /* Up to SF_PAGE_MAX (1000) a page: the privacy officer's workbench takes
     * the whole log out page by page. */
    sf_keyset_t page = sf_keyset_of(call, list->page);
    if (list->since_unix_ms < 0)
        sf_call_violation(call, "since_unix_ms", "must not be negative");
    if (list->until_unix_ms < 0)
        sf_call_violation(call, "until_unix_ms", "must not be negative");
    else if (list->until_unix_ms && list->until_unix_ms < list->since_unix_ms)
        sf_call_violation(call, "until_unix_ms", "must not be before since_unix_ms");
    int64_t serial;
    if (*list->resident_id && !sf_serial_id_parse(list->resident_id, 'R', &serial))
        sf_call_violation(call, "resident_id", "must be a resident id like R0000123");
    if (*list->kind && strcmp(list->kind, "reveal") != 0 && strcmp(list->kind, "export") != 0)
        sf_call_violation(call, "kind", "must be reveal or export");
    sf_call_check_text(call, "actor", list->actor, 100, false);
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    sf_query_t query;
    sf_query_init(&query, call, ACCESS_LOG_SELECT);
    if (list->since_unix_ms)
        sf_query_where(&query, "a.at >= to_timestamp($%d::bigint / 1000.0)",
                       sf_query_int(&query, list->since_unix_ms));
    if (list->until_unix_ms)
        sf_query_where(&query, "a.at < to_timestamp($%d::bigint / 1000.0)",
                       sf_query_int(&query, list->until_unix_ms));
    if (*list->actor)
        sf_query_where(&query, "a.actor = $%d", sf_query_text(&query, list->actor));
    if (*list->resident_id)
        sf_query_where(&query, "a.resident_ids @> ARRAY[$%d::text]", sf_query_text(&query, list->resident_id));
    if (*list->kind)
        sf_query_where(&query, "a.kind = $%d", sf_query_text(&query, list->kind));
    sf_query_keyset_newest(&query, &page, "a.id");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->entries = sf_call_new_array(call, (size_t) rows, sizeof *reply->entries);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__AccessLogEntry *entry = (Sifang__V1__AccessLogEntry *)
            sf_call_new_message(call, &sifang__v1__access_log_entry__descriptor);
        entry->id = sf_db_int(result, row, 0);
        entry->at_unix_ms = sf_db_int(result, row, 1);
        entry->actor = sf_call_strdup(call, sf_db_text(result, row, 2));
        entry->account = sf_call_strdup(call, sf_db_text(result, row, 3));
        entry->roles = split_words(call, sf_db_text(result, row, 4), &entry->n_roles);
        entry->kind = sf_call_strdup(call, sf_db_text(result, row, 5));
        entry->method = sf_call_strdup(call, sf_db_text(result, row, 6));
        entry->request_id = sf_call_strdup(call, sf_db_text(result, row, 7));
        entry->resident_ids = split_words(call, sf_db_text(result, row, 8), &entry->n_resident_ids);
        entry->filter = sf_call_strdup(call, sf_db_text(result, row, 9));
        entry->rows = (int32_t) sf_db_int(result, row, 10);
        entry->reason = sf_call_strdup(call, sf_db_text(result, row, 11));
        reply->entries[reply->n_entries++] = entry;
    }
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    *reply_p = &reply->base;
    return SF_OK;
}
