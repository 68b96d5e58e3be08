/* The outbox table: append under the head-row lock, fetch in order. */
#include "sf_eventlog.h"
#include "sf_config.h"
#include "sf_log.h"
#include <stdlib.h>
#include <string.h>

/* The head row is taken and the events written in one statement: the
 * UPDATE locks the head until the caller's commit, and the rows are numbered
 * from the head it returns. The columns come as binary arrays unnested side
 * by side in the target list (no literal to parse, no tuplestore), the
 * ordinal from generate_series beside them. */
const char sf_event_batch_sql[] =
    "WITH h AS (UPDATE event_head SET seq = seq + $1 RETURNING seq),"
    " e AS (SELECT unnest($2::text[]) AS type, unnest($3::text[]) AS key, unnest($4::timestamptz[]) AS at,"
    "              unnest($5::text[]) AS payload_type, unnest($6::bytea[]) AS payload,"
    "              unnest($7::text[]) AS actor, unnest($8::text[]) AS request_id,"
    "              generate_series(1, $1) AS ord),"
    " i AS (INSERT INTO event_log (seq, type, key, occurred_at, payload_type, payload, actor, request_id)"
    "       SELECT h.seq - $1 + e.ord, e.type, e.key, e.at, e.payload_type,"
    "              e.payload, e.actor, e.request_id"
    "       FROM h, e"
    "       RETURNING 1)"
    " SELECT h.seq, (SELECT count(*) FROM i) FROM h";

bool
sf_event_batch_init(sf_event_batch_t *batch, const sf_event_draft_t *events, size_t n)
{
    static const uint32_t types[SF_EVENT_BATCH_ARRAYS] = {
        SF_OID_TEXT, SF_OID_TEXT, SF_OID_TIMESTAMPTZ, SF_OID_TEXT, SF_OID_BYTEA, SF_OID_TEXT, SF_OID_TEXT,
    };
    for (size_t a = 0; a < SF_EVENT_BATCH_ARRAYS; a++)
        sf_binarray_init(&batch->arrays[a], types[a]);
    sf_binarray_t *kinds = &batch->arrays[0], *keys = &batch->arrays[1], *times = &batch->arrays[2],
                  *payload_types = &batch->arrays[3], *payloads = &batch->arrays[4], *actors = &batch->arrays[5],
                  *request_ids = &batch->arrays[6];
    for (size_t i = 0; i < n; i++) {
        const sf_event_draft_t *event = &events[i];
        sf_binarray_text(kinds, event->type);
        sf_binarray_text(keys, event->key ? event->key : "");
        sf_binarray_timestamptz(times, event->occurred_unix_ms);
        sf_binarray_text(payload_types, event->payload_type);
        sf_binarray_bytes(payloads, event->payload, event->payload_size);
        sf_binarray_text(actors, event->actor ? event->actor : "");
        sf_binarray_text(request_ids, event->request_id ? event->request_id : "");
    }
    sf_params_init(&batch->params);
    sf_params_int(&batch->params, (int64_t) n);
    for (size_t a = 0; a < SF_EVENT_BATCH_ARRAYS; a++)
        sf_binarray_param(&batch->arrays[a], &batch->params);
    return true;
}

int64_t
sf_event_batch_head(const PGresult *result)
{
    if (!sf_db_result_ok(result) || PQntuples(result) != 1) {
        if (result)
            sf_error("event append failed", "reason", PQresultErrorMessage(result));
        return -1;
    }
    return sf_db_int(result, 0, 0);
}

void
sf_event_batch_release(sf_event_batch_t *batch)
{
    for (size_t a = 0; a < SF_EVENT_BATCH_ARRAYS; a++)
        sf_binarray_release(&batch->arrays[a]);
}

int64_t
sf_eventlog_append(sf_db_t *db, const sf_event_draft_t *events, size_t n)
{
    if (n == 0)
        return sf_eventlog_head(db);
    sf_event_batch_t batch;
    int64_t head = -1;
    if (sf_event_batch_init(&batch, events, n)) {
        PGresult *result = sf_db_query(db, sf_event_batch_sql, &batch.params);
        head = sf_event_batch_head(result);
        PQclear(result);
    }
    sf_event_batch_release(&batch);
    return head;
}

void
sf_outbox_add(sf_outbox_t *self, const char *type, const char *key, const char *request_id,
              const ProtobufCMessage *payload)
{
    if (self->n == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 8;
        sf_event_draft_t *grown = realloc(self->events, capacity * sizeof *grown);
        if (!grown)
            abort();
        self->events = grown;
        self->capacity = capacity;
    }
    size_t size = protobuf_c_message_get_packed_size(payload);
    uint8_t *packed = malloc(size ? size : 1);
    char *type_copy = strdup(type), *key_copy = strdup(key ? key : "");
    char *request_id_copy = request_id ? strdup(request_id) : NULL;
    if (!packed || !type_copy || !key_copy || (request_id && !request_id_copy))
        abort();
    protobuf_c_message_pack(payload, packed);
    self->events[self->n++] = (sf_event_draft_t) {
        .type = type_copy, .key = key_copy, .payload_type = payload->descriptor->name,
        .payload = packed, .payload_size = size, .request_id = request_id_copy,
        .occurred_unix_ms = sf_now_ms(),
    };
}

int64_t
sf_outbox_append(sf_outbox_t *self, sf_db_t *db, const char *actor, const char *request_id)
{
    if (self->n == 0)
        return sf_eventlog_head(db);
    for (size_t i = 0; i < self->n; i++) {
        self->events[i].actor = actor;
        if (!self->events[i].request_id)
            self->events[i].request_id = request_id;   /* borrowed: reset below */
    }
    int64_t head = sf_eventlog_append(db, self->events, self->n);
    for (size_t i = 0; i < self->n; i++)
        if (self->events[i].request_id == request_id)
            self->events[i].request_id = NULL;
    sf_outbox_clear(self);
    return head;
}

/* The strings and payload of an outbox's drafts are its own copies. */
void
sf_outbox_clear(sf_outbox_t *self)
{
    for (size_t i = 0; i < self->n; i++) {
        sf_event_draft_t *event = &self->events[i];
        free((char *) event->type);
        free((char *) event->key);
        free((char *) event->request_id);
        free((uint8_t *) event->payload);
    }
    self->n = 0;
}

void
sf_outbox_release(sf_outbox_t *self)
{
    sf_outbox_clear(self);
    free(self->events);
    memset(self, 0, sizeof *self);
}

int64_t
sf_eventlog_head(sf_db_t *db)
{
    PGresult *result = sf_db_query(db, "SELECT seq FROM event_head", NULL);
    int64_t head = sf_db_result_ok(result) && PQntuples(result) == 1 ? sf_db_int(result, 0, 0) : -1;
    PQclear(result);
    return head;
}

int
sf_eventlog_fetch(sf_db_t *db, const char *source, int64_t after, int limit,
                  Sifang__V1__EventsFetchReply *reply)
{
    reply->source = strdup(source);
    reply->n_events = 0;
    reply->events = NULL;
    /* Head first: every event at or below it is committed, and the events we
     * return are read in the same statement's snapshot or a later one. */
    reply->head = sf_eventlog_head(db);
    if (reply->head < 0 || !reply->source)
        return -1;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_int(&params, after);
    sf_params_int(&params, limit);
    PGresult *result = sf_db_query(db,
        "SELECT seq, type, key, (extract(epoch FROM occurred_at) * 1000)::bigint,"
        " payload_type, payload, actor, request_id"
        " FROM event_log WHERE seq > $1 ORDER BY seq LIMIT $2", &params);
    if (!sf_db_result_ok(result)) {
        PQclear(result);
        return -1;
    }
    int rows = PQntuples(result);
    reply->events = calloc(rows ? (size_t) rows : 1, sizeof(Sifang__V1__Event *));
    if (!reply->events) {
        PQclear(result);
        return -1;
    }
    for (int row = 0; row < rows; row++) {
        Sifang__V1__Event *event = malloc(sizeof *event);
        if (!event)
            break;
        sifang__v1__event__init(event);
        event->source = reply->source;   /* shared; freed once */
        event->seq = sf_db_int(result, row, 0);
        event->type = strdup(sf_db_text(result, row, 1));
        event->key = strdup(sf_db_text(result, row, 2));
        event->occurred_unix_ms = sf_db_int(result, row, 3);
        event->payload_type = strdup(sf_db_text(result, row, 4));
        size_t size = 0;
        event->payload.data = PQunescapeBytea((const unsigned char *) sf_db_text(result, row, 5), &size);
        event->payload.len = size;
        event->actor = strdup(sf_db_text(result, row, 6));
        event->request_id = strdup(sf_db_text(result, row, 7));
        reply->events[reply->n_events++] = event;
    }
    PQclear(result);
    /* The head read first may be older than rows read later: never report a
     * head below what we return. */
    if (reply->n_events && reply->events[reply->n_events - 1]->seq > reply->head)
        reply->head = reply->events[reply->n_events - 1]->seq;
    return 0;
}

void
sf_eventlog_release_fetch(Sifang__V1__EventsFetchReply *reply)
{
    for (size_t i = 0; i < reply->n_events; i++) {
        Sifang__V1__Event *event = reply->events[i];
        free(event->type);
        free(event->key);
        free(event->payload_type);
        PQfreemem(event->payload.data);
        free(event->actor);
        free(event->request_id);
        free(event);
    }
    free(reply->events);
    free(reply->source);
    reply->events = NULL;
    reply->n_events = 0;
    reply->source = NULL;
}
