/* What evaluation's tests share: starting grid and evaluation on free
 * ports, a small district built in grid through its API, calls that print
 * their failures, and waiting for evaluation to catch up with its sources. */
#ifndef EVALUATION_TEST_DISTRICT_H
#define EVALUATION_TEST_DISTRICT_H

#include <stdbool.h>
#include <stdint.h>
#include "sf_client.h"
#include "sf_test.h"
#include "sifang/v1/evaluation.pb-c.h"
#include "sifang/v1/grid.pb-c.h"

/* 1 district, 2 streets, 2 communities each, 3 zones each (one building
 * group per zone), 8 to 12 households per building group with a head each
 * and a second resident, a party member, in every third; every fourth household in
 * difficulty; a street cadre per street and a committee member per
 * community, holding every zone of theirs. */
#define TD_STREETS 2
#define TD_COMMUNITIES 2
#define TD_ZONES 3
#define TD_MAX_HOUSEHOLDS (TD_STREETS * TD_COMMUNITIES * TD_ZONES * 12)

typedef struct {
    int n_households;
    char households[TD_MAX_HOUSEHOLDS][20];
    char residents[TD_MAX_HOUSEHOLDS * 2][16];   /* grid's ids, as created */
    int n_residents;
    int party_members[TD_MAX_HOUSEHOLDS];           /* indices into residents */
    int n_party_members;
    char community_codes[TD_STREETS * TD_COMMUNITIES][16];
    char zone_codes[TD_STREETS * TD_COMMUNITIES * TD_ZONES][16];
} td_district_t;

/* Households in building group (street s, community c, zone z), 0-based. */
int td_households_in(int s, int c, int z);

/* Builds the district in grid (idempotent by request id). Returns the number
 * of failed requests (0 when all went well). */
int td_build(sf_client_t *grid, td_district_t *district);

/* Sends requests pipelined (at most 256 in flight); returns how many came
 * back OK; the replies' bodies go to replies[i] when given (malloc'd). */
int td_pipeline(sf_client_t *client, const char *method, ProtobufCMessage **requests, char **request_ids,
                int n, void **replies, size_t *reply_sizes);

/* A call that prints what failed. Returns the status; *reply_p as
 * sf_client_call. */
sf_status_t td_call(sf_client_t *client, const char *method, const ProtobufCMessage *request,
                    const ProtobufCMessageDescriptor *reply_descriptor, ProtobufCMessage **reply_p);
/* A call expected to fail with status, naming field among its violations
 * (field NULL: any). Returns whether it did. */
bool td_refused(sf_client_t *client, const char *method, const ProtobufCMessage *request, sf_status_t status,
                const char *field);

/* A daemon on the given endpoints with extra environment (NULL-terminated). */
sf_test_daemon_t *td_start(const char *service, const char *dir, const char *endpoint, const char *publish,
                           const char *const *extra);

/* The head (Sys.Ping) of the source at endpoint; -1 when unknown. */
int64_t td_head(const char *endpoint);
/* Waits until evaluation's cursor for source reaches the source's head.
 * Returns true when it did within timeout_ms. */
bool td_wait_caught_up(sf_client_t *evaluation, const char *source, const char *source_endpoint, int timeout_ms);

/* The current period of a kind as evaluation sees it (UTC+8). */
void td_current_period(int kind, char out[16]);

#endif
