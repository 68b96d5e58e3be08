/* Tests of the migrations runner against a real PostgreSQL (NEEDS_POSTGRES):
 * each migration once, a failing one leaves nothing behind and stops the
 * rest, and replicas starting together apply each migration once. */
#include "sf_migrate.h"
#include "sf_test.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const sf_migration_t first_two[] = {
    { 1, "shelf", "CREATE TABLE shelf (id int PRIMARY KEY);" },
    { 2, "book", "CREATE TABLE book (id int PRIMARY KEY, shelf int REFERENCES shelf);"
                 "INSERT INTO shelf VALUES (1);" },
    { 0, NULL, NULL },
};

static const sf_migration_t with_a_broken_third[] = {
    { 1, "shelf", "CREATE TABLE shelf (id int PRIMARY KEY);" },
    { 2, "book", "CREATE TABLE book (id int PRIMARY KEY, shelf int REFERENCES shelf);"
                 "INSERT INTO shelf VALUES (1);" },
    { 3, "broken", "CREATE TABLE half_done (id int); SELECT no_such_function();" },
    { 4, "after", "CREATE TABLE after_broken (id int);" },
    { 0, NULL, NULL },
};

static const sf_migration_t many[] = {
    { 1, "a", "CREATE TABLE race_a (id int); SELECT pg_sleep(0.2);" },
    { 2, "b", "CREATE TABLE race_b (id int);" },
    { 0, NULL, NULL },
};

static int race_results[4];

static void *
replica(void *arg)
{
    int index = (int) (long) arg;
    sf_db_t *db = sf_db_new("user=sifang_mirror", "mirror");
    char error[256] = "";
    race_results[index] = sf_db_connect(db) ? sf_migrate(db, "mirror", "race", many, error, sizeof error) : -2;
    if (race_results[index] != 0)
        printf("replica %d: %s\n", index, error);
    sf_db_destroy(&db);
    return NULL;
}

int
main(void)
{
    if (sf_test_pg_env("migrate_test") != 0)
        return sf_test_done();
    PGconn *conn = sf_test_pg_connect();
    sf_db_t *db = sf_db_new("user=sifang_mirror", "mirror");
    char error[256];
    if (!SF_CHECK(conn && db && sf_db_connect(db)))
        return sf_test_done();

    SF_CHECK(sf_migrate(db, "mirror", "library", first_two, error, sizeof error) == 0);
    SF_CHECK(sf_migrate(db, "mirror", "library", first_two, error, sizeof error) == 0);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.schema_migrations WHERE component = 'library'"), 2);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.shelf"), 1);

    SF_CHECK(sf_migrate(db, "mirror", "library", with_a_broken_third, error, sizeof error) == -1);
    SF_CHECK(strstr(error, "003_broken") != NULL);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.schema_migrations WHERE component = 'library'"), 2);
    SF_CHECK_EQ_STR(sf_test_pg_sqlstate(conn, "SELECT * FROM mirror.half_done"), "42P01");
    SF_CHECK_EQ_STR(sf_test_pg_sqlstate(conn, "SELECT * FROM mirror.after_broken"), "42P01");

    /* The service's role owns its schema and nothing else. */
    SF_CHECK_EQ_INT(sf_test_pg_int(conn,
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'mirror' AND tableowner <> 'sifang_mirror'"), 0);

    pthread_t threads[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&threads[i], NULL, replica, (void *) i);
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        SF_CHECK_EQ_INT(race_results[i], 0);
    }
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.schema_migrations WHERE component = 'race'"), 2);

    sf_db_destroy(&db);
    PQfinish(conn);
    return sf_test_done();
}
