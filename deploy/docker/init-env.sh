#!/usr/bin/env bash
# Writes .env at the top of the checkout for docker-compose: a random
# password for PostgreSQL's superuser and one for each service's database
# role (the services of deploy/services.txt). Variables already in .env are
# kept, so it is safe to run again after a service is added; it never prints
# a password. Keep .env out of version control (it is the deployment's
# secret, readable only by you).
#
#   deploy/docker/init-env.sh [ENV_FILE]      (default: .env beside docker-compose.yml)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
env_file=${1:-$root/.env}
services=$(sed -e 's/#.*//' "$root/deploy/services.txt" | awk 'NF { print $1 }')

password() { head -c 24 /dev/urandom | base64 | tr -d '/+=\n'; }

umask 077
touch "$env_file"
chmod 600 "$env_file"
added=()
for variable in SIFANG_POSTGRES_PASSWORD $(for s in $services; do
        s=${s^^}; echo "SIFANG_${s//-/_}_DB_PASSWORD"; done); do
    if ! grep -q "^${variable}=" "$env_file"; then
        echo "${variable}=$(password)" >>"$env_file"
        added+=("$variable")
    fi
done
if ((${#added[@]})); then
    echo "init-env.sh: added ${added[*]} to $env_file"
else
    echo "init-env.sh: $env_file already has every password"
fi
if ((${#added[@]})); then
    echo "init-env.sh: if PostgreSQL has started before, lay the new roles out in it:"
    echo "  docker-compose up -d postgres && docker-compose exec postgres bash /docker-entrypoint-initdb.d/10-sifang.sh"
fi
