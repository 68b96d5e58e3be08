/* The outbox table: append under the head-row lock, fetch in order. */
#include "sf_eventlog.h"
#include "sf_config.h"
#include "sf_log.h"
#include <stdlib.h>
#include <string.h>

/* The head row is taken and the events written in one statement: the
 * UPDATE locks the head until the caller's commit, and the rows are numbered
 * from the head it returns. The columns come as binary arrays unnested side
 * by side in the target list (no literal to parse, no tuplestore). $1 is the
 * number of events, which a group (one row for many) makes more than the
 * rows; $10 each row's last sequence number counted from the batch's start. */
const char sf_event_batch_sql[] =
    "WITH h AS (UPDATE event_head SET seq = seq + $1 RETURNING seq),"
    " e AS (SELECT unnest($2::text[]) AS type, unnest($3::text[]) AS key, unnest($4::timestamptz[]) AS at,"
    "              unnest($5::text[]) AS payload_type, unnest($6::bytea[]) AS payload,"
    "              unnest($7::text[]) AS actor, unnest($8::text[]) AS request_id,"
    "              unnest($9::int[]) AS events, unnest($10::bigint[]) AS last),"
    " i AS (INSERT INTO event_log (seq, type, key, occurred_at, payload_type, payload, actor, request_id, events)"
    "       SELECT h.seq - $1 + e.last, e.type, e.key, e.at, e.payload_type,"
    "              e.payload, e.actor, e.request_id, e.events"
    "       FROM h, e"
    "       RETURNING 1)"
    " SELECT h.seq, (SELECT count(*) FROM i) FROM h";

/* How many events a draft stands for. */
static int64_t
draft_events(const sf_event_draft_t *event)
{
    return event->events > 1 ? event->events : 1;
}

/* What a draft adds to a piece's message: its payload and strings, and
 * about 64 bytes of lengths, time and counts. */
static size_t
draft_bytes(const sf_event_draft_t *event)
{
    size_t bytes = 64 + event->payload_size;
    const char *texts[5] = { event->type, event->key, event->payload_type, event->actor, event->request_id };
    for (int t = 0; t < 5; t++)
        bytes += texts[t] ? strlen(texts[t]) : 0;
    return bytes;
}

/* Fills one piece from its drafts: the lasts count from the piece's start,
 * as its statement takes the head as it finds it. */
static void
piece_init(sf_event_piece_t *piece, const sf_event_draft_t *events, size_t n)
{
    static const uint32_t types[SF_EVENT_BATCH_ARRAYS] = {
        SF_OID_TEXT, SF_OID_TEXT, SF_OID_TIMESTAMPTZ, SF_OID_TEXT, SF_OID_BYTEA, SF_OID_TEXT, SF_OID_TEXT,
        SF_OID_INT4, SF_OID_INT8,
    };
    for (size_t a = 0; a < SF_EVENT_BATCH_ARRAYS; a++)
        sf_binarray_init(&piece->arrays[a], types[a]);
    sf_binarray_t *kinds = &piece->arrays[0], *keys = &piece->arrays[1], *times = &piece->arrays[2],
                  *payload_types = &piece->arrays[3], *payloads = &piece->arrays[4], *actors = &piece->arrays[5],
                  *request_ids = &piece->arrays[6], *counts = &piece->arrays[7], *lasts = &piece->arrays[8];
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const sf_event_draft_t *event = &events[i];
        sf_binarray_text(kinds, event->type);
        sf_binarray_text(keys, event->key ? event->key : "");
        sf_binarray_timestamptz(times, event->occurred_unix_ms);
        sf_binarray_text(payload_types, event->payload_type);
        sf_binarray_bytes(payloads, event->payload, event->payload_size);
        sf_binarray_text(actors, event->actor ? event->actor : "");
        sf_binarray_text(request_ids, event->request_id ? event->request_id : "");
        total += draft_events(event);
        sf_binarray_int4(counts, (int32_t) draft_events(event));
        sf_binarray_int8(lasts, total);
    }
    /* The parameters point into the piece (its numbers): it must not move
     * after this, which is why the pieces are allocated before any is
     * filled. */
    sf_params_init(&piece->params);
    sf_params_int(&piece->params, total);
    for (size_t a = 0; a < SF_EVENT_BATCH_ARRAYS; a++)
        sf_binarray_param(&piece->arrays[a], &piece->params);
}

/* Where the piece after the one starting at from starts: as many drafts as
 * fit in SF_EVENT_PIECE_BYTES, at least one. */
static size_t
piece_end(const sf_event_draft_t *events, size_t n, size_t from)
{
    size_t end = from, bytes = 0;
    while (end < n) {
        size_t more = draft_bytes(&events[end]);
        if (end > from && bytes + more > SF_EVENT_PIECE_BYTES)
            break;
        bytes += more;
        end++;
    }
    return end;
}

bool
sf_event_batch_init(sf_event_batch_t *batch, const sf_event_draft_t *events, size_t n)
{
    size_t pieces = 0;
    for (size_t from = 0; from < n || pieces == 0; from = piece_end(events, n, from))
        pieces++;
    batch->pieces = calloc(pieces, sizeof *batch->pieces);
    if (!batch->pieces)
        abort();
    batch->n = pieces;
    size_t from = 0;
    for (size_t p = 0; p < pieces; p++) {
        size_t end = piece_end(events, n, from);
        piece_init(&batch->pieces[p], events + from, end - from);
        from = end;
    }
    return true;
}

bool
sf_event_batch_run_leading(sf_db_t *db, const sf_event_batch_t *batch)
{
    for (size_t p = 0; p + 1 < batch->n; p++) {
        PGresult *result = sf_db_query(db, sf_event_batch_sql, &batch->pieces[p].params);
        bool ok = sf_event_batch_head(result) >= 0;
        PQclear(result);
        if (!ok)
            return false;
    }
    return true;
}

const sf_params_t *
sf_event_batch_last(const sf_event_batch_t *batch)
{
    return &batch->pieces[batch->n - 1].params;
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
    for (size_t p = 0; p < batch->n; p++)
        for (size_t a = 0; a < SF_EVENT_BATCH_ARRAYS; a++)
            sf_binarray_release(&batch->pieces[p].arrays[a]);
    free(batch->pieces);
    batch->pieces = NULL;
    batch->n = 0;
}

int64_t
sf_eventlog_append(sf_db_t *db, const sf_event_draft_t *events, size_t n)
{
    if (n == 0)
        return sf_eventlog_head(db);
    sf_event_batch_t batch;
    int64_t head = -1;
    if (sf_event_batch_init(&batch, events, n) && sf_event_batch_run_leading(db, &batch)) {
        PGresult *result = sf_db_query(db, sf_event_batch_sql, sf_event_batch_last(&batch));
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

/* The appender's actor, and its request id where an event has none:
 * borrowed until outbox_done. */
static void
outbox_stamp(sf_outbox_t *self, const char *actor, const char *request_id)
{
    for (size_t i = 0; i < self->n; i++) {
        self->events[i].actor = actor;
        if (!self->events[i].request_id)
            self->events[i].request_id = request_id;
    }
}

static void
outbox_done(sf_outbox_t *self, const char *request_id)
{
    for (size_t i = 0; i < self->n; i++)
        if (self->events[i].request_id == request_id)
            self->events[i].request_id = NULL;
    sf_outbox_clear(self);
}

int64_t
sf_outbox_append(sf_outbox_t *self, sf_db_t *db, const char *actor, const char *request_id)
{
    if (self->n == 0)
        return sf_eventlog_head(db);
    outbox_stamp(self, actor, request_id);
    int64_t head = sf_eventlog_append(db, self->events, self->n);
    outbox_done(self, request_id);
    return head;
}

bool
sf_outbox_commit(sf_outbox_t *self, sf_db_t *db, const char *actor, const char *request_id, int64_t *head_p)
{
    *head_p = -1;
    if (self->n == 0)
        return sf_db_commit(db);
    outbox_stamp(self, actor, request_id);
    sf_event_batch_t batch;
    sf_event_batch_init(&batch, self->events, self->n);
    sf_db_step_t steps[2] = { { sf_event_batch_sql, sf_event_batch_last(&batch) }, { "COMMIT", NULL } };
    PGresult *results[2] = { NULL, NULL };
    bool ok = sf_event_batch_run_leading(db, &batch) && sf_db_pipeline(db, steps, 2, results);
    *head_p = sf_event_batch_head(results[0]);
    /* A COMMIT of an aborted transaction reports ROLLBACK: a failure. */
    ok = ok && *head_p >= 0 && results[1] && strcmp(PQcmdStatus(results[1]), "COMMIT") == 0;
    if (!ok)
        *head_p = -1;
    PQclear(results[0]);
    PQclear(results[1]);
    sf_event_batch_release(&batch);
    outbox_done(self, request_id);
    return ok;
}

static bool
same_group(const sf_event_draft_t *a, const sf_event_draft_t *b)
{
    return a->events <= 1 && b->events <= 1 && strcmp(a->type, b->type) == 0
        && strcmp(a->payload_type, b->payload_type) == 0
        && (a->request_id == b->request_id
            || (a->request_id && b->request_id && strcmp(a->request_id, b->request_id) == 0));
}

/* The group takes the first member's type, key, request id and time; the
 * members' own copies are freed once packed into it. */
static sf_event_draft_t
group_of(sf_event_draft_t *members, size_t n)
{
    Sifang__V1__EventGroupMember *entries = calloc(n, sizeof *entries);
    Sifang__V1__EventGroupMember **pointers = calloc(n, sizeof *pointers);
    if (!entries || !pointers)
        abort();
    for (size_t m = 0; m < n; m++) {
        sifang__v1__event_group_member__init(&entries[m]);
        entries[m].key = (char *) members[m].key;
        entries[m].occurred_unix_ms = members[m].occurred_unix_ms;
        entries[m].payload.data = (uint8_t *) members[m].payload;
        entries[m].payload.len = members[m].payload_size;
        pointers[m] = &entries[m];
    }
    Sifang__V1__EventGroup group = SIFANG__V1__EVENT_GROUP__INIT;
    group.n_members = n;
    group.members = pointers;
    size_t size = sifang__v1__event_group__get_packed_size(&group);
    uint8_t *packed = malloc(size ? size : 1);
    if (!packed)
        abort();
    sifang__v1__event_group__pack(&group, packed);
    free(pointers);
    free(entries);
    sf_event_draft_t grouped = members[0];
    free((uint8_t *) grouped.payload);
    grouped.payload = packed;
    grouped.payload_size = size;
    grouped.events = (int32_t) n;
    for (size_t m = 1; m < n; m++) {
        free((char *) members[m].type);
        free((char *) members[m].key);
        free((char *) members[m].request_id);
        free((uint8_t *) members[m].payload);
    }
    return grouped;
}

void
sf_outbox_group(sf_outbox_t *self, size_t from)
{
    size_t kept = from;
    for (size_t i = from; i < self->n;) {
        size_t end = i + 1;
        while (end < self->n && end - i < SF_EVENT_GROUP_MAX && same_group(&self->events[i], &self->events[end]))
            end++;
        self->events[kept++] = end - i > 1 ? group_of(&self->events[i], end - i) : self->events[i];
        i = end;
    }
    self->n = kept;
}

/* The strings and payload of an outbox's drafts are its own copies. */
void
sf_outbox_truncate(sf_outbox_t *self, size_t n)
{
    for (size_t i = n; i < self->n; i++) {
        sf_event_draft_t *event = &self->events[i];
        free((char *) event->type);
        free((char *) event->key);
        free((char *) event->request_id);
        free((uint8_t *) event->payload);
    }
    if (n < self->n)
        self->n = n;
}

void
sf_outbox_clear(sf_outbox_t *self)
{
    sf_outbox_truncate(self, 0);
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

/* One event of the reply; strings and payload are copied (malloc). */
static Sifang__V1__Event *
fetched_event(Sifang__V1__EventsFetchReply *reply, int64_t seq, const char *type, const char *key,
              int64_t occurred_unix_ms, const char *payload_type, const uint8_t *payload, size_t payload_size,
              const char *actor, const char *request_id)
{
    Sifang__V1__Event *event = malloc(sizeof *event);
    if (!event)
        abort();
    sifang__v1__event__init(event);
    event->source = reply->source;   /* shared; freed once */
    event->seq = seq;
    event->type = strdup(type);
    event->key = strdup(key);
    event->occurred_unix_ms = occurred_unix_ms;
    event->payload_type = strdup(payload_type);
    event->payload.data = malloc(payload_size ? payload_size : 1);
    event->payload.len = payload_size;
    event->actor = strdup(actor);
    event->request_id = strdup(request_id);
    if (!event->type || !event->key || !event->payload_type || !event->payload.data || !event->actor
        || !event->request_id)
        abort();
    if (payload_size)
        memcpy(event->payload.data, payload, payload_size);
    return event;
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
    if (limit <= 0)
        return 0;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_int(&params, after);
    sf_params_int(&params, limit);
    sf_params_int(&params, SF_EVENT_GROUP_MAX);
    /* Sequence numbers are dense: the page is after + 1 .. after + limit, in
     * the rows whose events begin in it. A group's row holds the events up
     * to its seq, so the one holding after + 1 may have begun before it, and
     * the last row may end up to a group's size past the page. */
    PGresult *result = sf_db_query(db,
        "SELECT seq, type, key, (extract(epoch FROM occurred_at) * 1000)::bigint,"
        " payload_type, payload, actor, request_id, events"
        " FROM event_log WHERE seq > $1 AND seq < $1 + $2 + $3 AND seq - events < $1 + $2"
        " ORDER BY seq LIMIT $2", &params);
    if (!sf_db_result_ok(result)) {
        PQclear(result);
        return -1;
    }
    int rows = PQntuples(result);
    reply->events = calloc((size_t) limit, sizeof(Sifang__V1__Event *));
    if (!reply->events)
        abort();
    int status = 0;
    for (int row = 0; row < rows && reply->n_events < (size_t) limit && status == 0; row++) {
        int64_t seq = sf_db_int(result, row, 0), count = sf_db_int(result, row, 8);
        const char *type = sf_db_text(result, row, 1), *payload_type = sf_db_text(result, row, 4);
        const char *actor = sf_db_text(result, row, 6), *request_id = sf_db_text(result, row, 7);
        size_t size = 0;
        uint8_t *payload = PQunescapeBytea((const unsigned char *) sf_db_text(result, row, 5), &size);
        if (!payload)
            abort();
        if (count <= 1) {
            reply->events[reply->n_events++] = fetched_event(reply, seq, type, sf_db_text(result, row, 2),
                                                             sf_db_int(result, row, 3), payload_type, payload,
                                                             size, actor, request_id);
        } else {
            Sifang__V1__EventGroup *group = sifang__v1__event_group__unpack(NULL, size, payload);
            if (!group || (int64_t) group->n_members != count) {
                char at[24];
                snprintf(at, sizeof at, "%lld", (long long) seq);
                sf_error("event group does not hold what its row says; not read past it", "seq", at);
                status = -1;
            }
            for (size_t m = 0; status == 0 && m < group->n_members && reply->n_events < (size_t) limit; m++) {
                const Sifang__V1__EventGroupMember *member = group->members[m];
                int64_t member_seq = seq - count + 1 + (int64_t) m;
                if (member_seq <= after)
                    continue;
                reply->events[reply->n_events++] = fetched_event(reply, member_seq, type, member->key,
                                                                 member->occurred_unix_ms, payload_type,
                                                                 member->payload.data, member->payload.len,
                                                                 actor, request_id);
            }
            if (group)
                sifang__v1__event_group__free_unpacked(group, NULL);
        }
        PQfreemem(payload);
    }
    PQclear(result);
    /* The head read first may be older than rows read later: never report a
     * head below what we return. */
    if (reply->n_events && reply->events[reply->n_events - 1]->seq > reply->head)
        reply->head = reply->events[reply->n_events - 1]->seq;
    return status;
}

void
sf_eventlog_release_fetch(Sifang__V1__EventsFetchReply *reply)
{
    for (size_t i = 0; i < reply->n_events; i++) {
        Sifang__V1__Event *event = reply->events[i];
        free(event->type);
        free(event->key);
        free(event->payload_type);
        free(event->payload.data);
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
