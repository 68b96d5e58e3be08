/* Per-method counters of a service: requests by status and a latency
 * histogram, reported by Sys.Stats and exposed by the gateway. */
#ifndef SF_METRICS_H
#define SF_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "sifang/v1/sys.pb-c.h"

typedef struct sf_metrics_t sf_metrics_t;

sf_metrics_t *sf_metrics_new(void);
void sf_metrics_destroy(sf_metrics_t **self_p);
/* Counts one request of method with its final status and latency. */
void sf_metrics_record(sf_metrics_t *self, const char *method, int status, double latency_ms);
/* Fills reply->methods (allocated with malloc; release with
 * sf_metrics_release_stats). */
void sf_metrics_fill_stats(const sf_metrics_t *self, Sifang__V1__StatsReply *reply);
void sf_metrics_release_stats(Sifang__V1__StatsReply *reply);

#endif
