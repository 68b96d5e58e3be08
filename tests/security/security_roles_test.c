/* Each service's database role can touch only its own schema: with every
 * daemon's migrations applied (and the gateway's), for every ordered pair
 * of services, the first's role is refused (SQLSTATE 42501) reading every
 * relation of the second's schema, writing to its tables, creating in it,
 * and creating in the schema public; while it reads its own. The layout
 * comes from scripts/pg.sh createdb (deploy/postgres/layout.sql). */
#include "hard_suite.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hs_suite_t suite;
static const char *const schemas[] = { "grid", "intake", "employment", "volunteer", "evaluation", "gateway" };
#define N_SCHEMAS (sizeof schemas / sizeof *schemas)

int
main(void)
{
    if (!hs_init(&suite, "security_roles_test", false, NULL) || !hs_start_all(&suite))
        goto done;
    char key[128];
    SF_CHECK(hs_api_key(&suite, "roles-test", "viewer", "", key, sizeof key));   /* the gateway's schema */

    long long pairs = 0, refusals = 0;
    printf("%-12s %-12s %10s %10s\n", "role", "schema", "relations", "refused");
    for (size_t r = 0; r < N_SCHEMAS; r++) {
        char role[64];
        snprintf(role, sizeof role, "sifang_%s", schemas[r]);
        PGconn *conn = sf_test_pg_connect_as(role);
        if (!SF_CHECK(conn != NULL))
            continue;
        for (size_t s = 0; s < N_SCHEMAS; s++) {
            char sql[512];
            snprintf(sql, sizeof sql,
                     "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                     " WHERE n.nspname = '%s' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') ORDER BY 1", schemas[s]);
            PGresult *relations = PQexec(suite.db, sql);
            int n = PQntuples(relations);
            if (!SF_CHECK(PQresultStatus(relations) == PGRES_TUPLES_OK && n > 0))
                printf("schema %s has no relations\n", schemas[s]);
            int refused = 0;
            for (int i = 0; i < n; i++) {
                const char *name = PQgetvalue(relations, i, 0);
                char kind = PQgetvalue(relations, i, 1)[0];
                const char *state;
                snprintf(sql, sizeof sql, "SELECT * FROM \"%s\".\"%s\" LIMIT 1", schemas[s], name);
                state = sf_test_pg_sqlstate(conn, sql);
                if (r == s) {
                    if (!SF_CHECK_EQ_STR(state, "")) {
                        PGresult *result = PQexec(conn, sql);
                        printf("%s cannot read its own %s.%s: %s", role, schemas[s], name,
                               PQresultErrorMessage(result));
                        PQclear(result);
                    }
                    continue;
                }
                if (!SF_CHECK_EQ_STR(state, "42501"))
                    printf("%s reads %s.%s\n", role, schemas[s], name);
                else
                    refused++;
                if (kind == 'r' || kind == 'p') {
                    snprintf(sql, sizeof sql, "DELETE FROM \"%s\".\"%s\"", schemas[s], name);
                    if (!SF_CHECK_EQ_STR(sf_test_pg_sqlstate(conn, sql), "42501"))
                        printf("%s deletes from %s.%s\n", role, schemas[s], name);
                    snprintf(sql, sizeof sql, "TRUNCATE \"%s\".\"%s\"", schemas[s], name);
                    if (!SF_CHECK_EQ_STR(sf_test_pg_sqlstate(conn, sql), "42501"))
                        printf("%s truncates %s.%s\n", role, schemas[s], name);
                } else if (kind == 'S') {
                    snprintf(sql, sizeof sql, "SELECT nextval('\"%s\".\"%s\"')", schemas[s], name);
                    if (!SF_CHECK_EQ_STR(sf_test_pg_sqlstate(conn, sql), "42501"))
                        printf("%s advances %s.%s\n", role, schemas[s], name);
                }
            }
            PQclear(relations);
            if (r != s) {
                snprintf(sql, sizeof sql, "CREATE TABLE \"%s\".intruder (x int)", schemas[s]);
                if (!SF_CHECK_EQ_STR(sf_test_pg_sqlstate(conn, sql), "42501"))
                    printf("%s creates in %s\n", role, schemas[s]);
                snprintf(sql, sizeof sql, "ALTER SCHEMA \"%s\" RENAME TO stolen", schemas[s]);
                SF_CHECK_EQ_STR(sf_test_pg_sqlstate(conn, sql), "42501");
                snprintf(sql, sizeof sql, "SELECT has_schema_privilege('%s', 'USAGE')", schemas[s]);
                SF_CHECK_EQ_INT(sf_test_pg_int(conn, sql) , 0);
                pairs++;
                refusals += refused;
                printf("%-12s %-12s %10d %10d\n", role, schemas[s], n, refused);
            }
        }
        SF_CHECK_EQ_STR(sf_test_pg_sqlstate(conn, "CREATE TABLE public.intruder (x int)"), "42501");
        SF_CHECK_EQ_STR(sf_test_pg_sqlstate(conn, "CREATE ROLE intruder"), "42501");
        PQfinish(conn);
    }
    SF_CHECK_EQ_INT(pairs, (long long) (N_SCHEMAS * (N_SCHEMAS - 1)));
    printf("roles: %lld ordered pairs, %lld relations of other schemas refused\n", pairs, refusals);
done:
    hs_finish(&suite);
    return sf_test_done();
}
