/* The client side of ImportBatch: chunks, a window, content-derived request
 * ids, retries, and results with the text's line numbers. */
#include "import_client.h"
#include "sf_config.h"
#include "sf_json.h"
#include "sf_status.h"
#include "sifang/v1/employment.pb-c.h"
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void
emp_import_options_default(emp_import_options_t *options)
{
    memset(options, 0, sizeof *options);
    options->system = "";
    options->chunk_bytes = 900000;
    options->chunk_lines = 5000;
    options->window = 3;
    options->timeout_ms = 60000;
    options->attempts = 4;
}

typedef struct {
    size_t start, length;      /* bytes of the text */
    long first_line;           /* the line number of its first line, from 1 */
    int attempts;
    int64_t sent_ms;
    bool in_flight, done;
    char request_id[80];
} chunk_t;

static size_t
cut_chunks(const char *text, size_t length, const emp_import_options_t *options, chunk_t **chunks_p)
{
    size_t capacity = 64, n = 0;
    chunk_t *chunks = calloc(capacity, sizeof *chunks);
    size_t at = 0;
    long line = 1;
    while (chunks && at < length) {
        size_t end = at;
        int lines = 0;
        /* Whole lines while they fit; a single line longer than a chunk
         * goes alone and the service refuses it. */
        while (end < length && lines < options->chunk_lines) {
            const char *newline = memchr(text + end, '\n', length - end);
            size_t next = newline ? (size_t) (newline - text) + 1 : length;
            if (lines > 0 && next - at > options->chunk_bytes)
                break;
            end = next;
            lines++;
        }
        if (n == capacity) {
            capacity *= 2;
            chunk_t *grown = realloc(chunks, capacity * sizeof *chunks);
            if (!grown) {
                free(chunks);
                return 0;
            }
            chunks = grown;
        }
        chunk_t *chunk = &chunks[n++];
        memset(chunk, 0, sizeof *chunk);
        chunk->start = at;
        chunk->length = end - at;
        chunk->first_line = line;
        line += lines;
        at = end;
    }
    *chunks_p = chunks;
    return chunks ? n : 0;
}

static void
chunk_request_id(chunk_t *chunk, const char *text, const emp_import_options_t *options)
{
    unsigned char digest[16];
    crypto_generichash_state state;
    crypto_generichash_init(&state, NULL, 0, sizeof digest);
    crypto_generichash_update(&state, (const unsigned char *) options->system, strlen(options->system));
    crypto_generichash_update(&state, (const unsigned char *) "\n", 1);
    crypto_generichash_update(&state, (const unsigned char *) text + chunk->start, chunk->length);
    crypto_generichash_final(&state, digest, sizeof digest);
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    snprintf(chunk->request_id, sizeof chunk->request_id, "import-%s-%s", hex, options->errors_only ? "e" : "a");
}

static int
send_chunk(sf_client_t *client, const char *text, const emp_import_options_t *options, chunk_t *chunk)
{
    char *body = malloc(chunk->length + 1);
    if (!body)
        return -1;
    memcpy(body, text + chunk->start, chunk->length);
    body[chunk->length] = 0;
    Sifang__V1__ImportBatchRequest request = SIFANG__V1__IMPORT_BATCH_REQUEST__INIT;
    request.system = (char *) options->system;
    request.text = body;
    request.errors_only = options->errors_only;
    int rc = sf_client_send(client, "ImportBatch", chunk->request_id, &request.base);
    free(body);
    chunk->attempts++;
    chunk->sent_ms = sf_clock_ms();
    chunk->in_flight = rc == 0;
    return rc;
}

static void
take_reply(const Sifang__V1__ImportBatchReply *reply, const chunk_t *chunk, const emp_import_options_t *options,
           emp_import_totals_t *totals)
{
    totals->lines += reply->lines;
    totals->created += reply->created;
    totals->updated += reply->updated;
    totals->unchanged += reply->unchanged;
    totals->failed += reply->failed;
    if (!options->results)
        return;
    for (size_t i = 0; i < reply->n_results; i++) {
        Sifang__V1__ImportLineResult *result = reply->results[i];
        if (!options->print_all && result->outcome != SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_FAILED)
            continue;
        result->line = (int32_t) (chunk->first_line + result->line - 1);
        char *json = sf_json_print_message(&result->base, false);
        if (json) {
            fprintf(options->results, "%s\n", json);
            free(json);
        }
    }
}

int
emp_import_text(sf_client_t *client, const char *text, size_t length, const emp_import_options_t *options,
                emp_import_totals_t *totals)
{
    memset(totals, 0, sizeof *totals);
    chunk_t *chunks = NULL;
    size_t n = cut_chunks(text, length, options, &chunks);
    if (length && !n) {
        totals->status = SF_INTERNAL;
        snprintf(totals->message, sizeof totals->message, "out of memory");
        return -1;
    }
    totals->chunks = (long) n;
    for (size_t i = 0; i < n; i++)
        chunk_request_id(&chunks[i], text, options);
    size_t next = 0, done = 0;
    int in_flight = 0, rc = 0;
    while (done < n && rc == 0) {
        while (next < n && in_flight < options->window) {
            if (send_chunk(client, text, options, &chunks[next]) != 0) {
                rc = -1;
                break;
            }
            next++;
            in_flight++;
        }
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        int got = sf_client_recv(client, 1000, &body, &size, &info);
        if (got < 0) {
            rc = -1;
            totals->status = SF_UNAVAILABLE;
            snprintf(totals->message, sizeof totals->message, "the connection failed");
            break;
        }
        if (got == 1) {
            chunk_t *chunk = NULL;
            for (size_t i = 0; i < next && !chunk; i++)
                if (chunks[i].in_flight && strcmp(chunks[i].request_id, info.request_id) == 0)
                    chunk = &chunks[i];
            if (!chunk) {
                free(body);
                continue;   /* a late reply to a resent chunk */
            }
            if (info.status == SF_UNAVAILABLE && chunk->attempts < options->attempts) {
                free(body);
                send_chunk(client, text, options, chunk);   /* the database is back soon */
                totals->resent++;
                continue;
            }
            chunk->in_flight = false;
            chunk->done = true;
            in_flight--;
            done++;
            if (info.status != SF_OK) {
                totals->status = info.status;
                snprintf(totals->message, sizeof totals->message, "lines from %ld: %s: %s", chunk->first_line,
                         sf_status_name(info.status), info.message ? info.message : "");
                free(body);
                rc = -1;
                break;
            }
            Sifang__V1__ImportBatchReply *reply = sifang__v1__import_batch_reply__unpack(NULL, size, body);
            free(body);
            if (!reply) {
                totals->status = SF_INTERNAL;
                snprintf(totals->message, sizeof totals->message, "a reply that does not decode");
                rc = -1;
                break;
            }
            take_reply(reply, chunk, options, totals);
            sifang__v1__import_batch_reply__free_unpacked(reply, NULL);
            continue;
        }
        /* Nothing for a second: resend what waited too long, same request id. */
        int64_t now = sf_clock_ms();
        for (size_t i = 0; i < next; i++) {
            chunk_t *chunk = &chunks[i];
            if (!chunk->in_flight || now - chunk->sent_ms < options->timeout_ms)
                continue;
            if (chunk->attempts >= options->attempts) {
                totals->status = SF_UNAVAILABLE;
                snprintf(totals->message, sizeof totals->message, "no reply for the lines from %ld",
                         chunk->first_line);
                rc = -1;
                break;
            }
            send_chunk(client, text, options, chunk);
            totals->resent++;
        }
    }
    free(chunks);
    return rc;
}
