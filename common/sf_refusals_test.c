/* What the service loop says when it refuses, against the real notebook
 * daemon and a real PostgreSQL (NEEDS_POSTGRES): a message that names what
 * to fix, text shortened only on a UTF-8 character boundary (a reply that
 * another protobuf runtime cannot decode is no reply), and a reply for
 * every oversized body up to the transport's own cut. */
#include "sf_client.h"
#include "sf_config.h"
#include "sf_server.h"
#include "sf_test.h"
#include "sf_text.h"
#include "notebook.pb-c.h"
#include "notebook_fixture.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "税" (3 bytes in UTF-8) n times. */
static char *
chinese_text(size_t n)
{
    char *text = malloc(3 * n + 1);
    if (!text)
        abort();
    for (size_t i = 0; i < n; i++)
        memcpy(text + 3 * i, "\xe7\xa8\x8e", 3);
    text[3 * n] = 0;
    return text;
}

static void
test_unknown_method_named_whole_characters(sf_client_t *client)
{
    char *method = chinese_text(100);
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(sf_client_call_raw(client, method, NULL, "", 0, NULL, NULL, &info), SF_UNIMPLEMENTED);
    SF_CHECK(info.message && sf_text_utf8_valid(info.message));
    /* 64 bytes hold 21 whole characters; the 22nd would be cut. */
    char *expected = chinese_text(21);
    SF_CHECK(info.message && strstr(info.message, expected) != NULL);
    free(expected);
    free(method);
}

static void
test_failure_message_cut_on_a_character(sf_client_t *client)
{
    Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
    note.key = "cut-on-a-character";
    note.text = chinese_text(400);
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(sf_client_call(client, "NoteAddThenFail", "cut-1", &note.base, NULL, NULL, &info),
                    SF_FAILED_PRECONDITION);
    SF_CHECK(info.message && sf_text_utf8_valid(info.message));
    SF_CHECK(info.message && strncmp(info.message, "changed its mind after writing \"\xe7\xa8\x8e", 34) == 0);
    /* Cut (the whole text is 1,200 bytes) and said to be cut. */
    size_t length = info.message ? strlen(info.message) : 0;
    SF_CHECK(length < 512 && length > 400);
    SF_CHECK(length >= 3 && strcmp(info.message + length - 3, "\xe2\x80\xa6") == 0);
    free(note.text);
}

static void
test_violations_said_in_the_message(sf_client_t *client)
{
    Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
    note.key = "";
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(sf_client_call(client, "NoteAdd", "no-key-1", &note.base, NULL, NULL, &info),
                    SF_INVALID_ARGUMENT);
    SF_CHECK_EQ_STR(info.message, "key: is required");
    SF_CHECK(info.n_violations == 1 && strcmp(info.violation_fields[0], "key") == 0);
}

static void
test_oversized_bodies_answered(sf_client_t *client, size_t limit)
{
    /* Over the limit, and over the old cut (4x the limit): still answered,
     * at once, without the client's retries. */
    size_t sizes[] = { limit + 1, limit * 4 + 65537, limit * 16 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        SF_CHECK((int64_t) sizes[i] < sf_server_transport_cut(limit));
        char *body = malloc(sizes[i]);
        memset(body, 'x', sizes[i]);
        sf_reply_info_t info;
        sf_client_set_retries(client, 0);
        int64_t started = sf_clock_ms();
        SF_CHECK_EQ_INT(sf_client_call_raw(client, "NoteAdd", "oversized-1", body, sizes[i], NULL, NULL, &info),
                        SF_RESOURCE_EXHAUSTED);
        SF_CHECK(sf_clock_ms() - started < 2000);
        SF_CHECK(info.n_violations == 1 && strcmp(info.violation_fields[0], "body") == 0);
        free(body);
    }
    sf_client_set_retries(client, 2);
}

int
main(void)
{
    if (sf_test_pg_env("refusals_test") != 0)
        return sf_test_done();
    const size_t limit = 65536;
    const char *extra[] = { "SIFANG_MAX_MESSAGE_BYTES=65536", NULL };
    notebook_fixture_t notebook = { .client = NULL };   /* finish is safe on one never started */
    if (notebook_fixture_start(&notebook, NOTEBOOK_PATH, extra)) {
        test_unknown_method_named_whole_characters(notebook.client);
        test_failure_message_cut_on_a_character(notebook.client);
        test_violations_said_in_the_message(notebook.client);
        test_oversized_bodies_answered(notebook.client, limit);
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&notebook.daemon), 0);
    }
    notebook_fixture_finish(&notebook);
    return sf_test_done();
}
