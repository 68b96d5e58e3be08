#!/usr/bin/env bash
# Lays out database $POSTGRES_DB (else $PGDATABASE) with
# deploy/postgres/layout.sql ($LAYOUT_SQL; a role and a schema per service in
# $LAYOUT_SERVICES) and gives each role sifang_<service> the password in
# $PASSWORD_sifang_<service>. Run by the compose PostgreSQL on its first
# start (the image runs /docker-entrypoint-initdb.d once, on an empty data
# volume; passwords from .env, see deploy/docker/init-env.sh) and by the
# Kubernetes Job sifang-db-layout (passwords from the Secrets).
# Safe to run again (docker-compose exec postgres bash
# /docker-entrypoint-initdb.d/10-sifang.sh) after adding a service.
# The image sources this file when it is not executable: hence the subshell.
(
    set -euo pipefail
    psql=(psql -X -q -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-${PGUSER:-postgres}}"
          --dbname "${POSTGRES_DB:-${PGDATABASE:-sifang}}")
    "${psql[@]}" -v services="$LAYOUT_SERVICES" -f "${LAYOUT_SQL:-/usr/share/sifang/layout.sql}"
    for svc in $LAYOUT_SERVICES; do
        variable=PASSWORD_sifang_$svc
        if [[ -z ${!variable:-} ]]; then
            echo "10-sifang.sh: no password for sifang_$svc (set $variable)" >&2
            exit 1
        fi
        # Through the environment, not the command line, which ps shows.
        PASSWORD=${!variable} "${psql[@]}" -v role="sifang_$svc" <<'SQL'
\set password `printenv PASSWORD`
ALTER ROLE :"role" PASSWORD :'password';
SQL
    done
    echo "10-sifang.sh: ${POSTGRES_DB:-${PGDATABASE:-sifang}} laid out for: $LAYOUT_SERVICES"
)
