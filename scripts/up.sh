#!/usr/bin/env bash
# Brings up the whole suite on this one machine: packages, build (build/), a
# PostgreSQL cluster in var/pg, every daemon that is built (logs in var/log,
# pid files in var/run), and the demo district. Safe to run again: what is
# already up is left alone. scripts/down.sh takes it all down.
#
# Settings for the daemons: any SIFANG_* in the environment, and
# var/sifang.env if it exists (shell lines "export SIFANG_X=..."). The build
# tree is build/ unless SIFANG_BUILD_DIR says otherwise; --no-build skips
# the build and uses what is there.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# In start order: grid first (everyone refers to its units), gateway last.
SERVICES=(grid intake employment volunteer evaluation gateway)
READY_TIMEOUT=${SIFANG_UP_TIMEOUT:-60}
pg_dir=var/pg
build=${SIFANG_BUILD_DIR:-build}

do_build=1
case ${1:-} in
    "") ;;
    --no-build) do_build=0 ;;
    *) echo "usage: scripts/up.sh [--no-build]" >&2; exit 2 ;;
esac

die() { echo "up.sh: $*" >&2; exit 1; }
say() { echo "up.sh: $*"; }

# The pid in var/run/<name>.pid when that process is alive and is that binary.
running_pid() {
    local name=$1 bin=$2 pid exe
    [[ -r var/run/$name.pid ]] || return 1
    pid=$(<"var/run/$name.pid")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    exe=${exe% (deleted)}
    [[ $exe == "$(readlink -f "$bin")" ]] || return 1
    echo "$pid"
}

# Waits until the daemon logs "serving" after byte offset $3 of its log.
wait_serving() {
    local name=$1 pid=$2 offset=$3 log=var/log/$1.log deadline=$((SECONDS + READY_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "up.sh: $name (pid $pid) exited during start; the end of $log:" >&2
            tail -n 20 "$log" >&2
            return 1
        fi
        if tail -c +$((offset + 1)) "$log" | grep -q serving; then
            return 0
        fi
        sleep 0.2
    done
    echo "up.sh: $name (pid $pid) not serving after ${READY_TIMEOUT}s; the end of $log:" >&2
    tail -n 20 "$log" >&2
    return 1
}

scripts/setup.sh

mkdir -p var/log var/run
if ((do_build)); then
    say "building $build/ (log: var/log/build.log)"
    {
        if [[ ! -f $build/CMakeCache.txt ]]; then
            cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
        fi
        cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)"
    } >var/log/build.log 2>&1 || { tail -n 40 var/log/build.log >&2; die "the build failed"; }
fi

if [[ -e $pg_dir/cluster ]]; then
    scripts/pg.sh status "$pg_dir" >/dev/null 2>&1 || { say "starting PostgreSQL in $pg_dir"; scripts/pg.sh start "$pg_dir"; }
else
    say "creating PostgreSQL in $pg_dir"
    scripts/pg.sh init "$pg_dir"
fi
scripts/pg.sh createdb "$pg_dir" sifang

# The daemons' environment: the cluster, defaults, then the user's settings.
# shellcheck disable=SC1091
source "$pg_dir/env"
export SIFANG_LOG_LEVEL=${SIFANG_LOG_LEVEL:-info}
# The dashboard on this machine opens without a key, read-only (masked
# phones, no writes); the gateway listens on loopback only by default. A
# deployment sets no such thing and hands out API keys.
export SIFANG_GATEWAY_ANONYMOUS=${SIFANG_GATEWAY_ANONYMOUS:-viewer}
if [[ -r var/sifang.env ]]; then
    # shellcheck disable=SC1091
    source var/sifang.env
fi

started=() found=()
for name in "${SERVICES[@]}"; do
    bin=$build/services/$name/sifang-$name
    [[ -x $bin ]] || continue
    found+=("$name")
    if pid=$(running_pid "$name" "$bin"); then
        say "$name already running (pid $pid)"
        continue
    fi
    log=var/log/$name.log
    touch "$log"
    offset=$(stat -c %s "$log")
    # setsid: the daemon outlives this terminal. The shell writes its own pid
    # and becomes the daemon, so the pid file is right even if setsid forks.
    rm -f "var/run/$name.pid"
    # shellcheck disable=SC2016
    setsid bash -c 'echo $$ >"$1"; exec "$2"' _ "var/run/$name.pid" "$bin" </dev/null >>"$log" 2>&1 &
    for _ in $(seq 50); do [[ -s var/run/$name.pid ]] && break; sleep 0.1; done
    pid=$(cat "var/run/$name.pid" 2>/dev/null) || die "$name did not start"
    wait_serving "$name" "$pid" "$offset" || die "$name did not start (scripts/down.sh stops the others)"
    say "$name serving (pid $pid)"
    started+=("$name")
done
((${#found[@]})) || say "no daemon is built yet ($build/services/<name>/sifang-<name>)"

# The demo: grid's district first (everyone refers to its units), then each
# service's own demo data, read from grid through the APIs. Every loader is
# deterministic with request ids from its seed, so a re-run finishes an
# interrupted load; a marker beside the cluster says a load completed.
run_loader() {
    local name=$1 bin=$2 marker=$pg_dir/demo-$1.done
    [[ -x $bin ]] || return 0
    if [[ -e $marker ]]; then
        say "demo data of $name already loaded"
        return 0
    fi
    say "loading the demo data of $name (log: var/log/demo-$name.log)"
    "$bin" >>"var/log/demo-$name.log" 2>&1 \
        || { tail -n 20 "var/log/demo-$name.log" >&2; die "the demo loader of $name failed"; }
    touch "$marker"
    loaded=1
}
loaded=0
run_loader grid "$build/tools/sifang-demo-load"
for name in intake employment volunteer evaluation; do
    # Only for daemons that are running: a loader waits for its service.
    [[ " ${found[*]} " == *" $name "* ]] || continue
    run_loader "$name" "$build/services/$name/sifang-$name-demo-load"
done
# Statistics for the tables the demo just filled, now rather than at
# autovacuum's next round: until then the daemons' prepared statements run
# on plans made for empty tables (several times slower). ANALYZE also
# invalidates those plans.
if ((loaded)); then
    scripts/pg.sh psql "$pg_dir" -q -c ANALYZE >/dev/null || die "ANALYZE after the demo load failed"
    say "demo data analyzed"
fi

cat <<EOF

Sifang is up.
  daemons:    ${found[*]:-(none built yet)}
  logs:       $root/var/log/<name>.log     (PostgreSQL: $root/$pg_dir/postgresql.log)
  pid files:  $root/var/run/<name>.pid
  database:   scripts/pg.sh psql $pg_dir         (or: . $pg_dir/env && psql)
EOF
if [[ -x $build/tools/sifang ]]; then
    echo "  try:        $build/tools/sifang call grid Sys.Ping '{}'"
fi
if [[ -x $build/services/gateway/sifang-gateway ]]; then
    echo "  gateway:    http://127.0.0.1:8080/"
fi
echo "  stop:       scripts/down.sh"
