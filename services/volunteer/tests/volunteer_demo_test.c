/* The demo loaders end to end, small: grid's demo district at scale 0.02
 * (sifang-demo-load), then sifang-volunteer-demo-load at the same scale
 * against a real volunteer following that grid; everything loads, and a
 * second run of the volunteer loader writes nothing more. */
#include "volunteer_test_support.h"
#include "sf_config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static vt_world_t world;

/* Runs a loader to its end; its exit status, or -1. */
static int
run_loader(const char *path, const char *log_name)
{
    char grid_e[128], vol_e[128], log_path[512];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", world.grid_endpoint);
    snprintf(vol_e, sizeof vol_e, "SIFANG_VOLUNTEER_ENDPOINT=%s", world.endpoint);
    snprintf(log_path, sizeof log_path, "%s/%s.log", world.dir, log_name);
    const char *argv[] = { path, "--seed", "7", "--scale", "0.02", "--wait", "60", NULL };
    const char *env[] = { grid_e, vol_e, NULL };
    sf_test_daemon_t *loader = sf_test_daemon_start_argv(argv, env, log_path);
    if (!SF_CHECK(loader != NULL))
        return -1;
    int64_t until = sf_clock_ms() + 100000;
    while (sf_test_daemon_running(loader) && sf_clock_ms() < until)
        usleep(100 * 1000);
    int rc = sf_test_daemon_stop(&loader);
    if (rc != 0)
        printf("%s exited %d; see %s\n", path, rc, log_path);
    return rc;
}

static long long
domain_counts(void)
{
    return vt_sql_int(&world, "SELECT (SELECT count(*) FROM volunteer) + (SELECT count(*) FROM team)"
                              " + (SELECT count(*) FROM team_member) + (SELECT count(*) FROM credential)"
                              " + (SELECT count(*) FROM help_pairing) + (SELECT count(*) FROM help_contact)"
                              " + (SELECT count(*) FROM service_record) + (SELECT count(*) FROM visit)"
                              " + (SELECT count(*) FROM cobuilding) + (SELECT count(*) FROM dispatch)");
}

int
main(void)
{
    if (vt_world_start_empty(&world, "volunteer_demo", NULL)) {
        char path[512];
        snprintf(path, sizeof path, "%s/tools/sifang-demo-load", sf_test_binary_dir());
        SF_CHECK_EQ_INT(run_loader(path, "grid-demo"), 0);
        SF_CHECK_EQ_INT(run_loader(VOLUNTEER_DEMO_LOAD_PATH, "volunteer-demo"), 0);
        /* 53,000 x 0.02 adults; every party member of 18 to 80 among them. */
        SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM volunteer"), 1060);
        SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM volunteer v JOIN ref_resident r ON r.id = v.resident_id"
                                           " WHERE r.party_member"),
                        vt_sql_int(&world, "SELECT count(*) FROM grid.resident WHERE party_member AND date_part('year',"
                                           " age((now() AT TIME ZONE 'Asia/Shanghai')::date, birth_date)) BETWEEN 18 AND 80"));
        SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM team"), 4);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM team_member") > 4);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM help_pairing") > 100);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM help_pairing p JOIN ref_household h ON h.code = p.household_code"
                                    " WHERE NOT h.in_difficulty") == 0);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM service_record WHERE status = 2") > 500);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM service_record WHERE status = 1") > 0);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM visit") > 0);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM cobuilding") > 0);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM dispatch") > 0);
        /* Registered inside the twelve months ending today, every one before
         * (or on the day of) their first service, not all at the load. */
        SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM volunteer WHERE registered_at > now()"
                                           " OR registered_at < now() - interval '366 days'"), 0);
        SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM volunteer v WHERE (v.registered_at AT TIME ZONE"
                                           " 'Asia/Shanghai')::date > (SELECT min(served_on) FROM service_record r"
                                           " WHERE r.volunteer_serial = v.serial)"), 0);
        SF_CHECK(vt_sql_int(&world, "SELECT count(*) FROM volunteer WHERE registered_at < now() - interval '180 days'")
                 > 1060 / 4);
        long long before = domain_counts();
        /* Again: answered from volunteer's store, nothing written twice. */
        SF_CHECK_EQ_INT(run_loader(VOLUNTEER_DEMO_LOAD_PATH, "volunteer-demo-again"), 0);
        SF_CHECK_EQ_INT(domain_counts(), before);
    }
    vt_world_stop(&world);
    return sf_test_done();
}
