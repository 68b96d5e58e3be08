#!/usr/bin/env bash
# The credentials of the suite on one machine, made as a deployment makes
# them: for the PostgreSQL cluster in VAR/pg (scripts/pg.sh) and its database
# sifang, a login role per service that is neither a superuser nor the owner
# of another service's schema, with a generated password; the cluster asks
# those roles for their passwords and lets the superuser in only through the
# socket as the cluster's owner (or root); the CURVE keys of every daemon and
# of the operators' tools with the allowlist the daemons admit; grid's
# identity-number hash key. scripts/up.sh runs it before starting anything.
#
#   scripts/secure.sh VAR
#
# Writes (nothing else, and never a password on a terminal or in a log):
#   VAR/secrets/            mode 0700
#     <schema>.pgpass       mode 0600, the libpq password file of
#                           sifang_<schema> (its PGPASSFILE; a service's
#                           schema is its name, an instance's its line's
#                           name with '_': intake_civil_affairs)
#   VAR/keys/               sifang-keygen's directory: <name>.key (mode 0600)
#                           and <name>.pub for grid intake employment volunteer
#                           evaluation and the departments' instances such as
#                           intake-civil-affairs (role service), gateway (role gateway)
#                           and ops (role admin: the sifang CLI and the demo
#                           loaders), the allowlist, grid-id-hash.key
#
# Safe to run again: existing passwords and keys are kept (the roles' are set
# again to the same). It also upgrades a cluster whose daemons ran as the
# superuser (as scripts/up.sh did before): whatever they created in a
# service's schema becomes that service's role's.
#
# SIFANG_BUILD_DIR (default build) is where sifang-keygen is.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The daemons that get a role and keys, and the clients on the allowlist.
# The layout's services: pg.sh createdb's own list (it also lays out
# "mirror", a test follower that no daemon here runs).
SERVICES=(grid intake employment volunteer evaluation gateway)
CLIENTS=(grid:service intake:service employment:service volunteer:service evaluation:service
         gateway:gateway ops:admin)
# And the departments' own instances of deploy/services.txt (intake@civil-affairs):
# a schema and role each (intake_civil_affairs), a key as a service
# (intake-civil-affairs.key), as every deployment renders them.
instances=$(python3 "$root/deploy/render.py" instances) \
    || { echo "secure.sh: deploy/render.py instances failed (python3-yaml: scripts/packages.txt)" >&2; exit 1; }
while read -r kind name _ _ schema _; do
    [[ $kind == instance ]] || continue
    SERVICES+=("$schema")
    CLIENTS+=("$name:service")
done <<<"$instances"

prog=secure.sh
die() { echo "$prog: $*" >&2; exit 1; }
say() { echo "$prog: $*"; }

[[ $# -eq 1 && -n $1 ]] || { echo "usage: scripts/secure.sh VAR" >&2; exit 2; }
var=$(realpath -m -- "$1")
pg_dir=$var/pg
build=${SIFANG_BUILD_DIR:-build}
[[ $build == /* ]] || build=$root/$build
keygen=$build/tools/sifang-keygen
[[ -x $keygen ]] || die "$keygen is not built"
[[ -r $pg_dir/env ]] || die "no cluster in $pg_dir (scripts/pg.sh init $pg_dir)"

# Files made here are the user's alone; nothing is ever readable by others.
umask 077
secrets=$var/secrets
keys=$var/keys
mkdir -p "$secrets" "$keys"
chmod 700 "$secrets"

# 64 hex characters from the kernel's generator: a password or a key with
# no character that a libpq password file would need to escape.
random_hex() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

# 1. A password per service, kept only in its libpq password file (any host,
#    port and database: the file belongs to one role).
for svc in "${SERVICES[@]}"; do
    file=$secrets/$svc.pgpass
    if [[ ! -s $file ]]; then
        printf '*:*:*:sifang_%s:%s\n' "$svc" "$(random_hex)" >"$file.new"
        mv -f "$file.new" "$file"
    fi
    chmod 600 "$file"
done

# 2. The layout (deploy/postgres/layout.sql) and the roles' passwords, by the
#    script compose's PostgreSQL and the Kubernetes Job run
#    (deploy/postgres/initdb.d/10-sifang.sh). The password reaches psql
#    through the environment, and the session logs no statement: a slow or
#    failed ALTER ROLE would otherwise put it in postgresql.log.
# shellcheck disable=SC1091
source "$pg_dir/env"
passwords=()
for svc in "${SERVICES[@]}"; do
    passwords+=("PASSWORD_sifang_$svc=$(cut -d: -f5- "$secrets/$svc.pgpass")")
done
env "${passwords[@]}" POSTGRES_USER="$PGUSER" POSTGRES_DB="$PGDATABASE" \
    LAYOUT_SERVICES="${SERVICES[*]}" LAYOUT_SQL="$root/deploy/postgres/layout.sql" \
    PGOPTIONS="-c client_min_messages=warning -c log_statement=none -c log_min_duration_statement=-1 -c log_min_error_statement=panic" \
    bash "$root/deploy/postgres/initdb.d/10-sifang.sh" >/dev/null \
    || die "laying out database $PGDATABASE and setting the roles' passwords failed"

# 3. Least privilege, also for a cluster made before this script: no
#    service role may be a superuser or make roles and databases, and what
#    a daemon running as the superuser created in its schema (tables with
#    their indexes and sequences, views, functions, types) becomes its
#    role's, or the daemon, now connecting as that role, could not use it.
"$root/scripts/pg.sh" psql "$pg_dir" -X -q -v ON_ERROR_STOP=1 -v services="${SERVICES[*]}" >/dev/null <<'SQL'
SET client_min_messages = warning;
SELECT set_config('sifang.services', :'services', false) AS services \gset
DO $sifang$
DECLARE
  svc text;
  owner text;
  object record;
BEGIN
  FOREACH svc IN ARRAY regexp_split_to_array(btrim(current_setting('sifang.services')), '\s+') LOOP
    owner := 'sifang_' || svc;
    EXECUTE format('ALTER ROLE %I NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', owner);
    -- Relations first: a table takes its indexes and owned sequences along.
    FOR object IN
      SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
       WHERE c.relnamespace = svc::regnamespace AND c.relowner <> owner::regrole
         AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
    LOOP
      EXECUTE format('ALTER %s %s OWNER TO %I',
                     CASE object.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                         WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                     object.name, owner);
    END LOOP;
    FOR object IN
      SELECT c.oid::regclass AS name FROM pg_class c
       WHERE c.relnamespace = svc::regnamespace AND c.relowner <> owner::regrole AND c.relkind = 'S'
    LOOP
      EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', object.name, owner);
    END LOOP;
    FOR object IN
      SELECT p.oid::regprocedure AS name FROM pg_proc p
       WHERE p.pronamespace = svc::regnamespace AND p.proowner <> owner::regrole
    LOOP
      EXECUTE format('ALTER ROUTINE %s OWNER TO %I', object.name, owner);
    END LOOP;
    -- Types of their own (enums, domains, ranges, composite types); a
    -- table's row type and every array type follow their owner.
    FOR object IN
      SELECT t.oid::regtype AS name FROM pg_type t LEFT JOIN pg_class c ON c.oid = t.typrelid
       WHERE t.typnamespace = svc::regnamespace AND t.typowner <> owner::regrole
         AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND c.relkind = 'c'))
    LOOP
      EXECUTE format('ALTER TYPE %s OWNER TO %I', object.name, owner);
    END LOOP;
  END LOOP;
END
$sifang$;
SQL

# 4. From now on the cluster asks the service roles for their passwords.
"$root/scripts/pg.sh" passwords "$pg_dir"

# 5. CURVE keys: existing ones are kept (sifang-keygen makes only what is
#    missing and writes the allowlist with the same keys).
ASAN_OPTIONS=detect_leaks=0 "$keygen" "$keys" "${CLIENTS[@]}" >/dev/null \
    || die "sifang-keygen $keys failed"
chmod 700 "$keys"
chmod 600 "$keys"/*.key

# 6. grid's identity-number hash key, made once, before grid has stored any
#    hash. A cluster whose grid ran without one (on the development key)
#    keeps the development key: a new one would stop every stored hash from
#    matching (see docs/operations.md, Key rotation).
hash_key=$keys/grid-id-hash.key
if [[ ! -s $hash_key ]]; then
    grid_tables=$("$root/scripts/pg.sh" psql "$pg_dir" -X -At \
        -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'grid'::regnamespace") \
        || die "cannot read the cluster's catalog"
    if [[ $grid_tables == 0 ]]; then
        random_hex >"$hash_key.new"
        mv -f "$hash_key.new" "$hash_key"
    else
        say "grid already holds data hashed with the development key: it keeps that key (no $hash_key)"
    fi
fi
