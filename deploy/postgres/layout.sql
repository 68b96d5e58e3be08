-- The suite's layout in one database, as every deployment and the test
-- harness make it: per service a login role sifang_<service> whose
-- search_path is its schema, and a schema <service> owned by that role. Only
-- those roles may connect, and nobody may use the schema public.
--
--   psql -X -v ON_ERROR_STOP=1 -d DATABASE -v services='grid intake ...' -f layout.sql
--
-- Run it connected to the database being laid out, as a superuser (or, on a
-- managed PostgreSQL, an administrator with CREATEROLE that is a member of
-- the sifang_* roles, which ALTER SCHEMA ... OWNER TO needs). It is
-- idempotent, and safe to run from several sessions at once (roles are
-- cluster-wide: losing the race to create one is fine). Passwords are not
-- its business: set them afterwards (ALTER ROLE sifang_<service> PASSWORD
-- ...), or use trust, peer or certificate authentication.
-- Users: scripts/pg.sh createdb, deploy/postgres/initdb.d/10-sifang.sh
-- (docker-compose) and the sifang-db-layout Job (deploy/k8s).

\set ON_ERROR_STOP on
\if :{?services}
\else
  DO $$ BEGIN RAISE EXCEPTION 'layout.sql: give the services: psql -v services=''grid intake ...'' -f layout.sql'; END $$;
\endif

SET client_min_messages = warning;

-- Org unit codes are digit strings, and a subtree ("every unit under
-- 370205001") is the range [code, code || ':') of a btree index: that holds
-- only where text compares byte by byte. Under a language's collation (the
-- postgres image's default is en_US.utf8) punctuation is skipped and every
-- subtree query would come back empty, so a database laid out for Sifang
-- must compare in C.
DO $sifang$
DECLARE
  db record;
BEGIN
  SELECT datname, datcollate, datlocprovider INTO db FROM pg_database WHERE datname = current_database();
  IF db.datlocprovider <> 'c' OR db.datcollate NOT IN ('C', 'POSIX', 'C.UTF-8', 'C.utf8') THEN
    RAISE EXCEPTION 'layout.sql: database % compares text by its collation (provider %, %); Sifang needs C',
      db.datname, db.datlocprovider, db.datcollate
      USING HINT = 'CREATE DATABASE ... TEMPLATE template0 ENCODING ''UTF8'' LC_COLLATE ''C'' LC_CTYPE ''C'''
                   ' (the postgres image: POSTGRES_INITDB_ARGS=--locale=C)';
  END IF;
END
$sifang$;

-- A DO block cannot see psql variables: hand the list over as a setting.
SELECT set_config('sifang.services', :'services', false) AS services \gset

DO $sifang$
DECLARE
  svc text;
BEGIN
  FOREACH svc IN ARRAY regexp_split_to_array(btrim(current_setting('sifang.services')), '\s+') LOOP
    IF svc !~ '^[a-z_][a-z0-9_]{0,55}$' THEN
      RAISE EXCEPTION 'service name "%" must be lower-case letters, digits and _', svc;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sifang_' || svc) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I LOGIN', 'sifang_' || svc);
        EXECUTE format('ALTER ROLE %I SET search_path = %I', 'sifang_' || svc, svc);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END;
    END IF;
  END LOOP;
END
$sifang$;

-- One transaction for the database's grants and schemas.
BEGIN;
DO $sifang$
DECLARE
  svc text;
BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  REVOKE ALL ON SCHEMA public FROM PUBLIC;
  FOREACH svc IN ARRAY regexp_split_to_array(btrim(current_setting('sifang.services')), '\s+') LOOP
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), 'sifang_' || svc);
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', svc, 'sifang_' || svc);
    EXECUTE format('ALTER SCHEMA %I OWNER TO %I', svc, 'sifang_' || svc);
  END LOOP;
END
$sifang$;
COMMIT;
