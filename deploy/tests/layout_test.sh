#!/usr/bin/env bash
# deploy/postgres/layout.sql and initdb.d/10-sifang.sh on the test cluster
# (the pg_cluster fixture): they lay out a database exactly as scripts/pg.sh
# createdb does, give every role its password, can run again, and refuse to
# run without a password. Roles are cluster-wide: the password part uses
# service names of its own, so other tests' roles are left alone.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
failures=0
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}

[[ -n ${SIFANG_TEST_PG:-} && -r $SIFANG_TEST_PG/env ]] || { echo "FAIL no test cluster (SIFANG_TEST_PG)"; exit 1; }
# shellcheck disable=SC1091
source "$SIFANG_TEST_PG/env"
psql_super() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# The layout of a database, as text: who may connect, who owns which schema,
# the roles' settings.
layout_of() {
    psql_super -d "$1" -At \
        -c "SELECT array_to_string(ARRAY(SELECT x::text FROM unnest(datacl) x ORDER BY 1), ',') FROM pg_database WHERE datname = current_database()" \
        -c "SELECT nspname, nspowner::regrole, nspacl FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY 1" \
        -c "SELECT rolname, rolcanlogin, rolconfig FROM pg_roles WHERE rolname ~ '^sifang_' ORDER BY 1" \
        | sed "s/$1/DATABASE/g"
}

# 1. layout.sql with pg.sh's services gives what pg.sh createdb gives.
pgsh_services=$(sed -n 's/^SERVICES=(\(.*\))$/\1/p' "$root/scripts/pg.sh")
check "scripts/pg.sh names its services" test -n "$pgsh_services"
bash "$root/scripts/pg.sh" createdb "$SIFANG_TEST_PG" deploy_layout_pgsh >/dev/null
psql_super -d postgres -c "DROP DATABASE IF EXISTS deploy_layout_sql" -c "CREATE DATABASE deploy_layout_sql"
check "layout.sql runs" psql_super -d deploy_layout_sql -v services="$pgsh_services" -f "$root/deploy/postgres/layout.sql"
check "layout.sql runs again" psql_super -d deploy_layout_sql -v services="$pgsh_services" -f "$root/deploy/postgres/layout.sql"
if diff <(layout_of deploy_layout_pgsh) <(layout_of deploy_layout_sql); then
    echo "ok   layout.sql lays out a database as scripts/pg.sh createdb does"
else
    echo "FAIL layout.sql and scripts/pg.sh createdb differ (above)"
    failures=$((failures + 1))
fi
refuses() { ! "$@" 2>/dev/null; }
check "layout.sql refuses to run without services" \
    refuses psql -X -q -d deploy_layout_sql -f "$root/deploy/postgres/layout.sql"
check "layout.sql refuses a bad service name" \
    refuses psql_super -d deploy_layout_sql -v services="ok Bad-Name" -f "$root/deploy/postgres/layout.sql"
# A database that compares by a language's collation (here ICU's, which any
# Debian PostgreSQL has): subtree ranges would not hold there.
psql_super -d postgres -c "DROP DATABASE IF EXISTS deploy_layout_icu" \
    -c "CREATE DATABASE deploy_layout_icu TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'" >/dev/null
check "a database comparing by ICU en-US was made" psql_super -d deploy_layout_icu -Atc "SELECT 1"
check "layout.sql refuses a database that does not compare in C" \
    refuses psql_super -d deploy_layout_icu -v services="grid" -f "$root/deploy/postgres/layout.sql"
psql_super -d postgres -c "DROP DATABASE deploy_layout_icu" >/dev/null

# 2. 10-sifang.sh: layout and passwords, as the compose PostgreSQL and the
#    Kubernetes Job run it.
psql_super -d postgres -c "DROP DATABASE IF EXISTS deploy_layout_init" -c "CREATE DATABASE deploy_layout_init"
run_init() {
    env POSTGRES_USER="$PGUSER" POSTGRES_DB=deploy_layout_init LAYOUT_SERVICES="deploytesta deploytestb" \
        LAYOUT_SQL="$root/deploy/postgres/layout.sql" "$@" bash "$root/deploy/postgres/initdb.d/10-sifang.sh"
}
check "10-sifang.sh runs" run_init PASSWORD_sifang_deploytesta=first-secret PASSWORD_sifang_deploytestb=second-secret
check "10-sifang.sh runs again with a new password" \
    run_init PASSWORD_sifang_deploytesta=third-secret PASSWORD_sifang_deploytestb=second-secret
owners=$(psql_super -d deploy_layout_init -At -c "SELECT string_agg(nspname || '=' || nspowner::regrole, ' ' ORDER BY nspname) FROM pg_namespace WHERE nspname LIKE 'deploytest%'")
check "each service owns its schema ($owners)" test "$owners" = "deploytesta=sifang_deploytesta deploytestb=sifang_deploytestb"
scram=$(psql_super -d postgres -At -c "SELECT count(*) FROM pg_authid WHERE rolname IN ('sifang_deploytesta', 'sifang_deploytestb') AND rolpassword LIKE 'SCRAM-SHA-256\$%'")
check "each role has a password" test "$scram" = 2
matches=$(psql_super -d postgres -At -c "SELECT rolpassword FROM pg_authid WHERE rolname = 'sifang_deploytesta'" \
    | python3 -c '
import base64, hashlib, hmac, sys
# SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
secret = sys.stdin.read().strip()
method, rest = secret.split("$", 1)
counts, keys = rest.split("$")
iterations, salt = counts.split(":")
stored, server = keys.split(":")
salted = hashlib.pbkdf2_hmac("sha256", b"third-secret", base64.b64decode(salt), int(iterations))
client_key = hmac.new(salted, b"Client Key", "sha256").digest()
print("yes" if base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored else "no")')
check "the password is the one given last" test "$matches" = yes
check "10-sifang.sh refuses to run without a password" refuses run_init PASSWORD_sifang_deploytesta=x

psql_super -d postgres -c "DROP DATABASE IF EXISTS deploy_layout_sql" -c "DROP DATABASE IF EXISTS deploy_layout_init" \
    -c "DROP DATABASE IF EXISTS deploy_layout_pgsh" >/dev/null
for role in sifang_deploytesta sifang_deploytestb; do
    psql_super -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
done
if ((failures)); then
    echo "layout_test: $failures failure(s)"
    exit 1
fi
echo "layout_test: all checks passed"
