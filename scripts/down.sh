#!/usr/bin/env bash
# Takes down what scripts/up.sh brought up: every daemon with a pid file in
# var/run (SIGTERM, then waits; SIGKILL after 30 s), then the PostgreSQL
# cluster in var/pg. Data stays; --purge also removes var/ (database, logs,
# passwords, keys). var/ is SIFANG_VAR_DIR's if set, as for up.sh.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
var=$(realpath -m -- "${SIFANG_VAR_DIR:-$root/var}")

SERVICES=(grid intake employment volunteer evaluation gateway)
purge=0
case ${1:-} in
    "") ;;
    --purge) purge=1 ;;
    *) echo "usage: scripts/down.sh [--purge]" >&2; exit 2 ;;
esac

say() { echo "down.sh: $*"; }

# Whether pid is alive and is one of ours (a sifang-* binary), not a reused pid.
ours() {
    local pid=$1 exe
    kill -0 "$pid" 2>/dev/null || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    [[ $exe == */sifang-* ]]
}

# The departments' instances up.sh started (intake-civil-affairs ...): every
# other pid file, stopped first, as up.sh started them after their service.
order=()
for pidfile in "$var"/run/*.pid; do
    [[ -e $pidfile ]] || continue
    name=$(basename "$pidfile" .pid)
    [[ " ${SERVICES[*]} " == *" $name "* ]] || order+=("$name")
done
order=("${SERVICES[@]}" ${order[@]+"${order[@]}"})

failed=0
for ((i = ${#order[@]} - 1; i >= 0; i--)); do
    name=${order[i]}
    pidfile=$var/run/$name.pid
    [[ -r $pidfile ]] || continue
    pid=$(<"$pidfile")
    if [[ $pid =~ ^[0-9]+$ ]] && ours "$pid"; then
        kill -TERM "$pid"
        for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            say "$name (pid $pid) did not stop in 30 s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            failed=1
        else
            say "$name stopped"
        fi
    fi
    rm -f "$pidfile" "$var/run/$name.settings"
done

if [[ -e $var/pg/cluster ]]; then
    scripts/pg.sh stop "$var/pg" && say "PostgreSQL stopped"
fi
if ((purge)); then
    if [[ -e $var/pg ]]; then scripts/pg.sh destroy "$var/pg"; fi
    rm -rf -- "$var"
    say "$var removed"
fi
exit "$failed"
