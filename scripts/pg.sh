#!/usr/bin/env bash
# The PostgreSQL harness: a private cluster in a directory, for the tests
# (the pg_cluster ctest fixture) and for scripts/up.sh (var/pg).
#
#   pg.sh init DIR          fresh cluster in DIR/data, started, with database sifang
#   pg.sh start|stop|restart|status DIR
#   pg.sh crash DIR         immediate stop (as a crash: no checkpoint, recovery
#                           at the next start), then start: for fault tests
#   pg.sh env DIR           prints DIR/env (export PGHOST=... PGPORT=... ...)
#   pg.sh psql DIR [ARG...] psql as the superuser (database sifang unless -d)
#   pg.sh createdb DIR NAME database NAME with one role and one schema per service
#   pg.sh passwords DIR     from now on every role but the superuser logs in with
#                           its password; the superuser only through the socket,
#                           as the cluster's owner or root (scripts/secure.sh)
#   pg.sh standby DIR SDIR  a hot standby of the cluster in DIR, in SDIR (pg_basebackup,
#                           streaming), started; SDIR is then a cluster like any
#                           other (start, stop, env, psql, destroy)
#   pg.sh destroy DIR       stop and remove
#
# PostgreSQL refuses to run as root: invoked as root, the cluster belongs to
# the "postgres" user (or a system user "sifang" made for it); invoked as
# anyone else, to that user.
set -euo pipefail

# Every service's role sifang_<name> and schema <name>: the suite's layout.
SERVICES=(grid intake employment volunteer evaluation gateway mirror)
# The first port tried for the cluster: below the kernel's ephemeral range
# (net.ipv4.ip_local_port_range, 32768-60999 by default), from which the
# kernel hands out the local ports of outgoing connections and of binds to
# port 0 (how the tests start the daemons). A cluster that a test stops and
# starts again must get its port back (its clients keep PGPORT): inside that
# range, any connection made meanwhile could have taken it.
FIRST_PORT=15432
# sun_path is 108 bytes with its NUL; the socket's name adds "/.s.PGSQL.NNNNN".
MAX_SOCKET_DIR=90
# The roles, schemas and grants: one SQL file shared with every deployment.
LAYOUT_SQL=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/deploy/postgres/layout.sql

prog=pg.sh
die() { echo "$prog: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }

usage() {
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# Single-quotes a value for a shell-sourceable file.
shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

short_hash() { printf '%s' "$1" | md5sum | cut -c1-10; }

# The cluster owner: ourselves, or when root an unprivileged user.
pick_owner() {
    if ((EUID != 0)); then
        id -un
    elif id -u postgres >/dev/null 2>&1; then
        echo postgres
    else
        if ! id -u sifang >/dev/null 2>&1; then
            note "no postgres user: creating system user sifang to own the cluster"
            useradd --system --user-group --home-dir /nonexistent --no-create-home \
                --shell /usr/sbin/nologin sifang >/dev/null || die "could not create user sifang"
        fi
        echo sifang
    fi
}

# Runs a command as the cluster owner, from / so that an unreadable working
# directory does not upset initdb or pg_ctl.
as_owner() {
    if ((EUID == 0)) && [[ $OWNER != root ]]; then
        if command -v runuser >/dev/null 2>&1; then
            (cd / && runuser -u "$OWNER" -- "$@")
        else
            (cd / && su -s /bin/sh "$OWNER" -c "$(printf '%q ' "$@")")
        fi
    else
        "$@"
    fi
}

find_bindir() {
    local version=${1:-} d
    if [[ -n ${SIFANG_PG_BINDIR:-} ]]; then
        [[ -x $SIFANG_PG_BINDIR/initdb ]] || die "SIFANG_PG_BINDIR=$SIFANG_PG_BINDIR holds no initdb"
        echo "$SIFANG_PG_BINDIR"; return
    fi
    if [[ -n $version && -x /usr/lib/postgresql/$version/bin/pg_ctl ]]; then
        echo "/usr/lib/postgresql/$version/bin"; return
    fi
    # shellcheck disable=SC2012
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5nr); do
        [[ -x $d/initdb && -x $d/pg_ctl ]] && { echo "$d"; return; }
    done
    if command -v pg_config >/dev/null 2>&1; then
        d=$(pg_config --bindir 2>/dev/null || true)
        [[ -n $d && -x $d/initdb ]] && { echo "$d"; return; }
    fi
    d=$(command -v initdb 2>/dev/null || true)
    [[ -n $d ]] && { dirname "$(readlink -f "$d")"; return; }
    die "PostgreSQL server binaries (initdb, pg_ctl) not found: run scripts/setup.sh (or set SIFANG_PG_BINDIR)"
}

port_in_use() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        [[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

free_port() {
    local port=${1:-$FIRST_PORT}
    while port_in_use "$port"; do
        port=$((port + 1))
        ((port < 65535)) || die "no free TCP port from $FIRST_PORT upward"
    done
    echo "$port"
}

# Sets DIR (absolute) from the argument.
set_dir() {
    [[ -n ${1:-} ]] || die "missing cluster DIR"
    DIR=$(realpath -m -- "$1")
}

# Loads DIR/cluster, the state that init records: HOME_DIR (data and log),
# SOCKET_DIR, OWNER, BINDIR, PORT.
load_state() {
    [[ -r $DIR/cluster ]] || die "$DIR holds no cluster (no $DIR/cluster): run 'pg.sh init $DIR' first"
    # shellcheck disable=SC1091
    source "$DIR/cluster"
    HOME_DIR=$SIFANG_PG_HOME SOCKET_DIR=$SIFANG_PG_SOCKDIR OWNER=$SIFANG_PG_OWNER PORT=$SIFANG_PG_PORT
    SUPERUSER=$SIFANG_PG_SUPERUSER
    DATA=$HOME_DIR/data LOG=$HOME_DIR/postgresql.log
    [[ -r $DATA/PG_VERSION ]] || die "$DATA is not a PostgreSQL data directory"
    BINDIR=$(find_bindir "$(cat "$DATA/PG_VERSION")")
    if ((EUID == 0)) && [[ $OWNER == root ]]; then die "cluster in $DIR is owned by root, which PostgreSQL refuses"; fi
    if ((EUID != 0)) && [[ $OWNER != "$(id -un)" ]]; then
        die "cluster in $DIR belongs to $OWNER: run this as root or as $OWNER"
    fi
}

write_state() {
    {
        echo "# State of the cluster made by scripts/pg.sh init; not for editing."
        echo "SIFANG_PG_HOME=$(shq "$HOME_DIR")"
        echo "SIFANG_PG_SOCKDIR=$(shq "$SOCKET_DIR")"
        echo "SIFANG_PG_OWNER=$(shq "$OWNER")"
        echo "SIFANG_PG_SUPERUSER=$(shq "$SUPERUSER")"
        echo "SIFANG_PG_PORT=$PORT"
    } >"$DIR/cluster.tmp"
    mv -f "$DIR/cluster.tmp" "$DIR/cluster"
    {
        echo "# PostgreSQL cluster made by scripts/pg.sh init $DIR: source this file."
        echo "export PGHOST=$(shq "$SOCKET_DIR")"
        echo "export PGPORT=$PORT"
        echo "export PGDATABASE=sifang"
        echo "export PGUSER=$(shq "$SUPERUSER")"
        echo "export SIFANG_PG_DIR=$(shq "$DIR")"
    } >"$DIR/env.tmp"
    chmod 644 "$DIR/env.tmp"
    mv -f "$DIR/env.tmp" "$DIR/env"
}

is_running() { as_owner "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

# Starts the server; when its port has been taken meanwhile (another cluster
# started since, or a race with a parallel init), moves to a free one.
start_server() {
    local attempt size
    if is_running; then return 0; fi
    for attempt in 1 2 3 4 5; do
        if port_in_use "$PORT"; then
            PORT=$(free_port $((PORT + 1)))
            set_port_in_conf
            write_state
        fi
        size=$(stat -c %s "$LOG" 2>/dev/null || echo 0)
        if as_owner "$BINDIR/pg_ctl" -D "$DATA" -l "$LOG" -w -t 120 -s start >/dev/null 2>&1; then
            return 0
        fi
        if tail -c +$((size + 1)) "$LOG" 2>/dev/null | grep -qiE 'could not bind|address already in use|could not create any TCP/IP sockets'; then
            note "port $PORT was taken, trying another"
            PORT=$(free_port $((PORT + 1)))
            set_port_in_conf
            write_state
            continue
        fi
        break
    done
    echo "$prog: PostgreSQL did not start; the end of $LOG:" >&2
    tail -n 20 "$LOG" >&2 2>/dev/null || true
    exit 1
}

set_port_in_conf() {
    as_owner sed -i -E "s/^port = [0-9]+ +# sifang\$/port = $PORT # sifang/" "$DATA/postgresql.conf"
    grep -q "^port = $PORT # sifang\$" "$DATA/postgresql.conf" || die "could not set the port in $DATA/postgresql.conf"
}

stop_server() {
    is_running || return 0
    if ! as_owner "$BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 60 -s stop; then
        note "fast shutdown did not finish; shutting down immediately"
        as_owner "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w -t 30 -s stop || die "could not stop the cluster in $DATA"
    fi
}

psql_super() {
    PGOPTIONS="-c client_min_messages=warning" "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PORT" -U "$SUPERUSER" "$@"
}

# Makes $DIR for a cluster of $OWNER and chooses where it lives: HOME_DIR (DIR,
# or a short directory in /tmp when the owner cannot write DIR), SOCKET_DIR
# (short enough for a socket path), DATA and LOG.
place_cluster() {
    mkdir -p -- "$DIR"
    chmod 755 "$DIR"
    if [[ $OWNER != "$(id -un)" ]]; then chown "$OWNER:" "$DIR"; fi

    # The cluster lives in DIR unless its owner cannot reach DIR (say, under
    # /root) or DIR is too long to hold the socket; then under /tmp.
    local short
    short="/tmp/sifang-pg-$(short_hash "$DIR")"
    HOME_DIR=$DIR
    if ! as_owner test -w "$DIR" -a -x "$DIR"; then
        note "$OWNER cannot write $DIR; keeping the cluster in $short"
        HOME_DIR=$short
    fi
    SOCKET_DIR=$HOME_DIR
    if ((${#SOCKET_DIR} > MAX_SOCKET_DIR)); then
        SOCKET_DIR=$short
    fi
    local d
    for d in "$HOME_DIR" "$SOCKET_DIR"; do
        if [[ $d != "$DIR" ]]; then
            rm -rf -- "$d"
            mkdir -p -- "$d"
            chmod 755 "$d"
            if [[ $OWNER != "$(id -un)" ]]; then chown "$OWNER:" "$d"; fi
        fi
    done
    DATA=$HOME_DIR/data LOG=$HOME_DIR/postgresql.log
    if [[ $HOME_DIR != "$DIR" ]]; then ln -sfn "$DATA" "$DIR/data"; ln -sfn "$LOG" "$DIR/postgresql.log"; fi
}

cmd_init() {
    set_dir "${1:-}"
    if [[ -e $DIR/cluster || -e $DIR/data/PG_VERSION ]]; then
        die "$DIR already holds a cluster: use 'pg.sh start $DIR', or 'pg.sh destroy $DIR' first"
    fi
    OWNER=$(pick_owner)
    SUPERUSER=$OWNER
    BINDIR=$(find_bindir)
    place_cluster

    as_owner "$BINDIR/initdb" -D "$DATA" -U "$SUPERUSER" --encoding=UTF8 --locale=C \
        --auth=trust >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log" >&2; die "initdb failed (see above)"; }

    PORT=$(free_port "$FIRST_PORT")
    local socket_sq=${SOCKET_DIR//\'/\'\'}
    as_owner tee -a "$DATA/postgresql.conf" >/dev/null <<EOF

# --- scripts/pg.sh ---
listen_addresses = '127.0.0.1'
port = $PORT # sifang
unix_socket_directories = '$socket_sq'
max_connections = 200
shared_buffers = 256MB
fsync = on
synchronous_commit = on
full_page_writes = on
# Bulk loads (the demo district writes ~500 MB of WAL) should not checkpoint
# every few seconds.
max_wal_size = 4GB
checkpoint_timeout = 15min
logging_collector = off
log_destination = 'stderr'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_messages = warning
log_min_error_statement = error
log_min_duration_statement = 2000
log_lock_waits = on
log_checkpoints = on
log_temp_files = 0
log_autovacuum_min_duration = 10s
lc_messages = 'C'
EOF
    write_state
    start_server
    create_database sifang
    note "cluster ready in $DIR (port $PORT, socket $SOCKET_DIR); . $DIR/env to use it"
}

cmd_start() { set_dir "${1:-}"; load_state; start_server; }
cmd_stop() { set_dir "${1:-}"; load_state; stop_server; }
cmd_restart() { set_dir "${1:-}"; load_state; stop_server; start_server; }
# What a crash leaves: backends killed without a checkpoint, so the next
# start replays the WAL; sequences come back past what was logged.
cmd_crash() {
    set_dir "${1:-}"
    load_state
    if is_running; then
        as_owner "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w -t 30 -s stop || die "could not crash the cluster in $DATA"
    fi
    start_server
}

cmd_status() {
    set_dir "${1:-}"
    [[ -r $DIR/cluster ]] || { echo "no cluster in $DIR"; exit 4; }
    load_state
    if is_running; then
        echo "running in $DIR (port $PORT, socket $SOCKET_DIR)"
    else
        echo "stopped in $DIR"
        exit 3
    fi
}

cmd_env() {
    set_dir "${1:-}"
    [[ -r $DIR/env ]] || die "$DIR holds no cluster (no $DIR/env)"
    cat "$DIR/env"
}

cmd_psql() {
    set_dir "${1:-}"
    shift || true
    load_state
    PGDATABASE=sifang exec "$BINDIR/psql" -h "$SOCKET_DIR" -p "$PORT" -U "$SUPERUSER" "$@"
}

# Creates (or completes) database $1 with the suite's layout, from the SQL
# every deployment shares (deploy/postgres/layout.sql). Roles are
# cluster-wide and tests create databases in parallel: layout.sql tolerates
# losing the race to create a role, and retry covers concurrent catalog
# updates. The database name is checked against a strict pattern first, so
# it is safe to write into the SQL.
create_database() {
    local name=$1 exists
    [[ $name =~ ^[a-z_][a-z0-9_]{0,62}$ ]] \
        || die "database name '$name' must be lower-case letters, digits and _ (at most 63)"
    is_running || die "the cluster in $DIR is not running: 'pg.sh start $DIR'"

    exists=$(psql_super -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$name'") \
        || die "cannot query the cluster in $DIR"
    if [[ -z $exists ]]; then
        local err
        if ! err=$(psql_super -d postgres -c "CREATE DATABASE $name TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'" 2>&1); then
            # Losing the race to a parallel createdb of the same name is fine.
            exists=$(psql_super -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$name'" || true)
            [[ -n $exists ]] || die "could not create database $name: $err"
        fi
    fi

    retry psql_super -d "$name" -v services="${SERVICES[*]}" -f "$LAYOUT_SQL"
}

# Runs a command again after a transient failure (concurrent catalog updates
# from parallel tests).
retry() {
    local attempt
    for attempt in 1 2 3 4 5; do
        if "$@"; then return 0; fi
        if ((attempt < 5)); then sleep "0.$((RANDOM % 5 + 1))"; fi
    done
    die "failed 5 times: $*"
}

cmd_createdb() {
    set_dir "${1:-}"
    [[ -n ${2:-} ]] || die "usage: pg.sh createdb DIR NAME"
    load_state
    create_database "$2"
}

# A cluster as a deployment's: initdb's trust for everyone gives way to
# passwords (scram-sha-256) for every role over the socket and TCP, and the
# superuser is admitted only through the socket when the peer is the
# cluster's owner or root (peer authentication with a map: root runs
# scripts/pg.sh against a cluster owned by postgres). The tests' clusters
# keep trust: their daemons connect as the superuser or as roles without
# passwords. Idempotent; the server reloads its configuration.
cmd_passwords() {
    set_dir "${1:-}"
    load_state
    is_running || die "the cluster in $DIR is not running: 'pg.sh start $DIR'"
    local hba ident
    hba="# Written by scripts/pg.sh passwords: the superuser through the socket as
# the cluster's owner or root; every other role with its password.
# TYPE  DATABASE  USER  ADDRESS  METHOD
local   all  $SUPERUSER  peer map=sifang
local   all  all  scram-sha-256
host    all  all  127.0.0.1/32  scram-sha-256
host    all  all  ::1/128  scram-sha-256"
    ident="# Written by scripts/pg.sh passwords.
# MAP  SYSTEM-USER  DATABASE-USER
sifang  $OWNER  $SUPERUSER
sifang  root  $SUPERUSER"
    if [[ $(as_owner cat "$DATA/pg_hba.conf") == "$hba" && $(as_owner cat "$DATA/pg_ident.conf") == "$ident" ]]; then
        return 0
    fi
    printf '%s\n' "$hba" | as_owner tee "$DATA/pg_hba.conf" >/dev/null
    printf '%s\n' "$ident" | as_owner tee "$DATA/pg_ident.conf" >/dev/null
    as_owner "$BINDIR/pg_ctl" -D "$DATA" -s reload || die "could not reload the cluster in $DATA"
    # The reload is asynchronous: wait until the server has read the files,
    # that is until the superuser, who has no password, is refused over TCP.
    local _
    for _ in $(seq 50); do
        env -u PGPASSWORD PGPASSFILE=/dev/null "$BINDIR/psql" -X -w -h 127.0.0.1 -p "$PORT" -U "$SUPERUSER" -d postgres \
            -c 'SELECT 1' >/dev/null 2>&1 || return 0
        sleep 0.1
    done
    die "the cluster in $DIR did not take its new pg_hba.conf"
}

cmd_standby() {
    set_dir "${1:-}"
    [[ -n ${2:-} ]] || die "usage: pg.sh standby DIR STANDBY_DIR"
    load_state
    is_running || die "the cluster in $DIR is not running: 'pg.sh start $DIR'"
    local primary_socket=$SOCKET_DIR primary_port=$PORT
    set_dir "$2"
    [[ -e $DIR/cluster ]] && die "$DIR already holds a cluster"
    place_cluster
    # -R: standby.signal and primary_conninfo; -X stream: the WAL of the copy itself.
    as_owner "$BINDIR/pg_basebackup" -h "$primary_socket" -p "$primary_port" -U "$SUPERUSER" -D "$DATA" \
        -R -X stream -c fast >"$DIR/basebackup.log" 2>&1 \
        || { cat "$DIR/basebackup.log" >&2; die "pg_basebackup failed (see above)"; }
    PORT=$(free_port $((primary_port + 1)))
    local socket_sq=${SOCKET_DIR//\'/\'\'}
    as_owner sed -i -E "/^(port = [0-9]+ +# sifang|unix_socket_directories = .*)\$/d" "$DATA/postgresql.conf"
    printf "port = %s # sifang\nunix_socket_directories = '%s'\nhot_standby = on\n" "$PORT" "$socket_sq" \
        | as_owner tee -a "$DATA/postgresql.conf" >/dev/null
    write_state
    start_server
    note "standby ready in $DIR (port $PORT, socket $SOCKET_DIR)"
}

cmd_destroy() {
    set_dir "${1:-}"
    [[ -e $DIR ]] || return 0
    if [[ ! -e $DIR/cluster && ! -e $DIR/data/PG_VERSION && -n $(ls -A -- "$DIR") ]]; then
        die "$DIR does not look like a pg.sh cluster; not removing it"
    fi
    if [[ -r $DIR/cluster ]]; then
        # shellcheck disable=SC1091
        source "$DIR/cluster"
        HOME_DIR=$SIFANG_PG_HOME SOCKET_DIR=$SIFANG_PG_SOCKDIR OWNER=$SIFANG_PG_OWNER PORT=$SIFANG_PG_PORT
        DATA=$HOME_DIR/data
        if [[ -r $DATA/PG_VERSION ]]; then
            BINDIR=$(find_bindir "$(cat "$DATA/PG_VERSION")")
            stop_server
        fi
        local d
        for d in "$HOME_DIR" "$SOCKET_DIR"; do
            if [[ $d != "$DIR" && $d == /tmp/sifang-pg-* ]]; then rm -rf -- "$d"; fi
        done
    elif [[ -r $DIR/data/postmaster.pid ]]; then
        # An init that died before recording its state: stop what it started.
        local pid
        pid=$(head -n1 "$DIR/data/postmaster.pid")
        if [[ $pid =~ ^[0-9]+$ ]] && kill -QUIT "$pid" 2>/dev/null; then sleep 1; fi
    fi
    rm -rf -- "$DIR"
}

main() {
    local cmd=${1:-}
    shift || true
    case $cmd in
        init) cmd_init "$@" ;;
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        restart) cmd_restart "$@" ;;
        crash) cmd_crash "$@" ;;
        status) cmd_status "$@" ;;
        env) cmd_env "$@" ;;
        psql) cmd_psql "$@" ;;
        createdb) cmd_createdb "$@" ;;
        passwords) cmd_passwords "$@" ;;
        standby) cmd_standby "$@" ;;
        destroy) cmd_destroy "$@" ;;
        -h | --help | help) usage ;;
        *) [[ -n $cmd ]] && echo "$prog: unknown command '$cmd'" >&2; usage ;;
    esac
}

main "$@"
