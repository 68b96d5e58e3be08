/* The staff workbench end to end, over the whole suite: real grid, intake,
 * employment, volunteer and evaluation daemons with CURVE, the gateway
 * serving the built workbench, a small district loaded through grid's API
 * (tests/security/hard_suite.h), and one personal account per people role.
 * Then every workflow's browser test, workbench/e2e/<workflow>.test.mjs, is
 * run in Debian's headless Chromium (playwright-core from the workbench's
 * package-lock.json) with the fixture (the gateway's address, an admin API
 * key for the data a workflow needs, the people's logins, the district's
 * codes; a "service" key, whose cases arrive to be accepted) in a JSON file. WORKBENCH_E2E (a substring of the file names) runs
 * only some. Screenshots: <build>/tests/workbench/<workflow>-*.png. A run
 * with city.test.mjs (全市排名) also starts the city level
 * (workbench_city.h): a tiny second district and the city's evaluation,
 * which the gateway reaches as evaluation@city; that test is given both
 * districts' figures from SQL (CITY_FIGURES) as they are when it starts. A
 * run with handoff.test.mjs (移交) also starts the civil affairs bureau's
 * own intake, intake@civil-affairs, beside the suite's, each the other's
 * hand-off peer, the gateway reaching it (workbench_handoff.h). */
#include "hard_suite.h"
#include "workbench_city.h"
#include "workbench_handoff.h"
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static hs_suite_t suite;
static wb_city_t city;
static wb_handoff_t handoff;

static cJSON *
string_array(const char *const *items, size_t n, size_t stride)
{
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(array, cJSON_CreateString(*(const char *const *) ((const char *) items + i * stride)));
    return array;
}

/* The fixture the browser tests read. */
static bool
write_fixture(const char *path, const char *admin_key, const char *website_key)
{
    const hs_district_t *d = &suite.district;
    cJSON *root = cJSON_CreateObject();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", atomic_load(&suite.http_port));
    cJSON_AddStringToObject(root, "gateway", url);
    cJSON_AddStringToObject(root, "origin", HS_ORIGIN);
    cJSON_AddStringToObject(root, "admin_key", admin_key);
    /* A system that is not a station (the party website): what it submits
     * arrives RECEIVED, for a desk to accept. */
    cJSON_AddStringToObject(root, "website_key", website_key);
    cJSON *people = cJSON_AddObjectToObject(root, "people");
    for (int i = 0; i < P_N; i++) {
        const hs_person_t *p = &suite.people[i];
        cJSON *person = cJSON_AddObjectToObject(people, p->role);
        cJSON_AddStringToObject(person, "login", p->login);
        cJSON_AddStringToObject(person, "password", p->password);
        cJSON_AddStringToObject(person, "staff_id", p->staff_id);
        cJSON_AddStringToObject(person, "unit", p->unit ? p->unit : "");
        cJSON_AddStringToObject(person, "department", p->department);
    }
    cJSON *district = cJSON_AddObjectToObject(root, "district");
    cJSON_AddStringToObject(district, "code", "370205");
    const char *streets[] = { HS_STREET_1, HS_STREET_2 }, *communities[] = { HS_COMMUNITY_1, HS_COMMUNITY_2 },
               *zones[] = { HS_ZONE_1, HS_ZONE_2 };
    cJSON_AddItemToObject(district, "streets", string_array(streets, 2, sizeof *streets));
    cJSON_AddItemToObject(district, "communities", string_array(communities, 2, sizeof *communities));
    cJSON_AddItemToObject(district, "zones", string_array(zones, 2, sizeof *zones));
    cJSON *households = cJSON_AddArrayToObject(district, "households");
    cJSON *residents = cJSON_AddArrayToObject(district, "residents");
    cJSON *id_numbers = cJSON_AddArrayToObject(district, "id_numbers");
    cJSON *staff = cJSON_AddArrayToObject(district, "zone_staff");
    for (int s = 0; s < 2; s++) {
        cJSON *h = cJSON_CreateArray(), *r = cJSON_CreateArray(), *n = cJSON_CreateArray();
        for (int i = 0; i < HS_MAX_HOUSEHOLDS; i++) {
            cJSON_AddItemToArray(h, cJSON_CreateString(d->households[s][i]));
            cJSON_AddItemToArray(r, cJSON_CreateString(d->residents[s][i]));
            cJSON_AddItemToArray(n, cJSON_CreateString(d->id_numbers[s][i]));
        }
        cJSON_AddItemToArray(households, h);
        cJSON_AddItemToArray(residents, r);
        cJSON_AddItemToArray(id_numbers, n);
        cJSON_AddItemToArray(staff, cJSON_CreateString(d->staff[s]));
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    FILE *file = text ? fopen(path, "w") : NULL;
    bool ok = file && fputs(text, file) >= 0;
    if (file)
        ok = fclose(file) == 0 && ok;
    free(text);
    return SF_CHECK(ok);
}


/* WORKBENCH_E2E_GROUP ("a-d"): only the files whose names begin with a
 * letter in that range. ctest runs the suite as a few such groups, each
 * with its own daemons and database, so that they run beside the other
 * tests instead of as one long run at the end (tests/workbench/CMakeLists.txt). */
static bool
in_group(const char *name)
{
    const char *group = getenv("WORKBENCH_E2E_GROUP");
    if (!group || strlen(group) != 3 || group[1] != '-')
        return true;
    return name[0] >= group[0] && name[0] <= group[2];
}

static int
is_workflow_test(const struct dirent *entry)
{
    size_t n = strlen(entry->d_name);
    const char *only = getenv("WORKBENCH_E2E");
    return n > 9 && strcmp(entry->d_name + n - 9, ".test.mjs") == 0 && (!only || strstr(entry->d_name, only))
        && in_group(entry->d_name);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    char shots[1024], fixture[512], admin_key[128], website_key[128], dbname[64];
    snprintf(shots, sizeof shots, "%s/tests/workbench", sf_test_binary_dir());
    struct dirent **tests = NULL;
    int n = scandir(WORKBENCH_APP "/e2e", &tests, is_workflow_test, alphasort);
    if (n == 0 && (getenv("WORKBENCH_E2E") || getenv("WORKBENCH_E2E_GROUP"))) {
        /* A group none of whose files the filter names: nothing to start. */
        printf("no workflow test of this group matches WORKBENCH_E2E\n");
        free(tests);
        return sf_test_done();
    }
    if (!SF_CHECK(n > 0))
        printf("no workflow tests in %s/e2e\n", WORKBENCH_APP);
    /* A database of the group's own: the groups run at the same time. */
    const char *group = getenv("WORKBENCH_E2E_GROUP");
    if (group && strlen(group) == 3 && group[1] == '-')
        snprintf(dbname, sizeof dbname, "workbench_e2e_%c_%c", group[0], group[2]);
    else
        snprintf(dbname, sizeof dbname, "workbench_e2e");
    if (!SF_CHECK(access("/usr/bin/chromium", X_OK) == 0)
        || !SF_CHECK(access(WORKBENCH_DIST "/index.html", R_OK) == 0)
        || !SF_CHECK(access(WORKBENCH_APP "/node_modules/playwright-core/package.json", R_OK) == 0)
        || !hs_init(&suite, dbname, true, NULL))
        goto done;
    suite.gateway_extra[0] = "SIFANG_GATEWAY_WORKBENCH_DIR=" WORKBENCH_DIST;
    /* A case registered days back is judged by the sweep at once. */
    suite.daemons[HS_INTAKE].extra[0] = "SIFANG_INTAKE_IMPORT_GRACE_S=0";
    bool with_city = false, with_handoff = false;
    for (int i = 0; i < n; i++) {
        with_city = with_city || strcmp(tests[i]->d_name, "city.test.mjs") == 0;
        with_handoff = with_handoff || strcmp(tests[i]->d_name, "handoff.test.mjs") == 0;
    }
    if (with_handoff && !wb_handoff_prepare(&handoff, &suite, 1))
        goto done;
    if (!hs_start_all(&suite) || (with_city && !wb_city_start(&city, &suite, dbname))
        || (with_handoff && !wb_handoff_start(&handoff, &suite)))
        goto done;
    if (with_city)
        wb_city_gateway_settings(&city, &suite, 1);
    if (with_handoff)
        wb_handoff_gateway_settings(&handoff, &suite);
    if (!hs_start_gateway(&suite) || !hs_load_district(&suite)
        || (with_handoff && !wb_handoff_wait_district(&handoff, &suite)) || !hs_make_people(&suite)
        || !hs_api_key(&suite, "workbench-e2e", "admin", "", admin_key, sizeof admin_key)
        || !hs_api_key(&suite, "party-website", "service", "", website_key, sizeof website_key))
        goto done;
    snprintf(fixture, sizeof fixture, "%s/fixture.json", suite.dir);
    if (!write_fixture(fixture, admin_key, website_key))
        goto done;

    for (int i = 0; i < n; i++) {
        char command[4096], figures[600] = "";
        if (strcmp(tests[i]->d_name, "city.test.mjs") == 0) {
            snprintf(figures, sizeof figures, "%s/city-figures.json", suite.dir);
            if (!wb_city_figures(&city, &suite, figures))
                continue;
        }
        snprintf(command, sizeof command,
                 "cd '%s/e2e' && FIXTURE='%s' CITY_FIGURES='%s' SCREENSHOT_DIR='%s' USER_DATA_DIR='%s/chromium-%d'"
                 " timeout 240 node '%s' >'%s/%s.log' 2>&1",
                 WORKBENCH_APP, fixture, figures, shots, suite.dir, i, tests[i]->d_name, suite.dir, tests[i]->d_name);
        mkdir(shots, 0755);
        struct timespec began, ended;
        clock_gettime(CLOCK_MONOTONIC, &began);
        int rc = system(command);
        clock_gettime(CLOCK_MONOTONIC, &ended);
        printf("%-40s %s in %.0f s (log: %s/%s.log)\n", tests[i]->d_name, rc == 0 ? "passed" : "FAILED",
               (double) (ended.tv_sec - began.tv_sec) + (double) (ended.tv_nsec - began.tv_nsec) / 1e9, suite.dir,
               tests[i]->d_name);
        /* What a script measured (first load, sizes), said in the test's output. */
        snprintf(command, sizeof command, "grep -h '^measure - ' '%s/%s.log' || true", suite.dir, tests[i]->d_name);
        SF_IGNORE(system(command));
        if (!SF_CHECK_EQ_INT(rc, 0)) {
            snprintf(command, sizeof command, "tail -n 30 '%s/%s.log'", suite.dir, tests[i]->d_name);
            SF_IGNORE(system(command));
        }
    }
    printf("screenshots: %s\n", shots);
done:
    for (int i = 0; i < n; i++)
        free(tests[i]);
    free(tests);
    wb_city_stop(&city);
    wb_handoff_stop(&handoff);
    hs_finish(&suite);
    return sf_test_done();
}
