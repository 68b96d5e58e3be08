/* The city level for 全市排名's browser test (workbench/e2e/city.test.mjs):
 * a second, tiny district, 市北区 (370203), with a grid of its own in a
 * database of its own, loaded by the demo loader (sifang-demo-load
 * --district shibei); and the city's evaluation, evaluation@city
 * (SIFANG_EVALUATION_LEVEL=city) in a third database, following the suite's
 * grid and intake as sifang:grid and sifang:intake and Shibei's grid as
 * shibei:grid. The gateway reaches it as the instance evaluation@city
 * (wb_city_gateway_settings). Started only for a run with that test. */
#ifndef WORKBENCH_CITY_H
#define WORKBENCH_CITY_H

#include "hard_suite.h"

typedef struct {
    char database[64];             /* the suite's: the others are named after it */
    char grid_endpoint[160], grid_publish[160], endpoint[160], publish[160];
    char grid_log[512], log[512];
    sf_test_daemon_t *grid, *evaluation;
    char settings[3][400];         /* the gateway's (wb_city_gateway_settings) */
} wb_city_t;

/* After hs_start_all, before hs_start_gateway: Shibei's grid started and
 * loaded, the city's evaluation started; false (printed) on failure. */
bool wb_city_start(wb_city_t *city, hs_suite_t *suite, const char *database);
/* The gateway's settings that reach the city (into suite->gateway_extra
 * from index at; at most 3). Returns the next free index. */
int wb_city_gateway_settings(wb_city_t *city, hs_suite_t *suite, int at);
/* Both districts' figures as SQL has them now, for the test to compare the
 * page with (path: a JSON file; see city.test.mjs). */
bool wb_city_figures(const wb_city_t *city, hs_suite_t *suite, const char *path);
void wb_city_stop(wb_city_t *city);

#endif
