#!/usr/bin/env bash
# Brings up the whole suite on this one machine as a deployment runs it:
# packages, build (build/), a PostgreSQL cluster in var/pg, each daemon as a
# database role of its own with a generated password and with CURVE on every
# link (scripts/secure.sh: var/secrets, var/keys), every daemon that is built
# (logs in var/log, pid files in var/run) with the departments' own
# instances of deploy/services.txt (intake@civil-affairs, read through
# deploy/render.py instances), the demo district, and one demo account per
# people role. Safe to run again: what is already up with the
# same settings is left alone, and a var/ of an older up.sh (daemons as the
# superuser, no CURVE) is upgraded. scripts/down.sh takes it all down.
#
#   scripts/up.sh [--no-setup] [--no-build] [--no-demo] [--demo-scale F]
#
# Settings for the daemons: any SIFANG_* in the environment, and
# var/sifang.env if it exists (shell lines "export SIFANG_X=..."); each
# daemon's database role, password file and keys are set here over them.
# The build tree is build/ unless SIFANG_BUILD_DIR says otherwise, var/ is
# SIFANG_VAR_DIR's if set. --no-setup skips the packages, --no-build uses
# what is built, --no-demo loads no demo data and makes no demo accounts,
# --demo-scale F loads a proportionally smaller (or larger) demo district
# (0 < F <= 10, default 1: Sifang's real figures; the loaders' --scale).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# In start order: grid first (everyone refers to its units), gateway last.
SERVICES=(grid intake employment volunteer evaluation gateway)
# The services the others call, whose public keys every client pins.
SERVERS=(grid intake employment volunteer evaluation)
# The departments' own instances (intake@civil-affairs, the civil affairs
# bureau's intake) and what evaluation follows, from deploy/services.txt
# through deploy/render.py, as every deployment is rendered: each instance
# starts after its service, with its schema, role, ports and fixed settings.
declare -A instance_of=() instance_name=() instance_schema=()
declare -A instance_env=() sources_variable=() sources_list=() router_port=() publish_port=() owns=()
INSTANCES=()
instances=$(python3 "$root/deploy/render.py" instances) \
    || { echo "up.sh: deploy/render.py instances failed (python3-yaml: scripts/packages.txt)" >&2; exit 1; }
while read -r kind name rest; do
    case $kind in
        ports) read -r "router_port[$name]" "publish_port[$name]" <<<"$rest" ;;
        instance)
            read -r of instance schema _ _ fixed <<<"$rest"
            INSTANCES+=("$name")
            instance_of[$name]=$of instance_name[$name]=$instance instance_schema[$name]=$schema
            instance_env[$name]=$fixed ;;
        sources)
            read -r variable list <<<"$rest"
            sources_variable[$name]=$variable sources_list[$name]=$list ;;
        owns)   # the hand-off rule of an intake instance (services.txt's owns=)
            read -r _ list <<<"$rest"
            owns[$name]=${list//,/ } ;;
    esac
done <<<"$instances"
for name in "${INSTANCES[@]}"; do
    for i in "${!SERVICES[@]}"; do
        if [[ ${SERVICES[i]} == "${instance_of[$name]}" ]]; then
            SERVICES=("${SERVICES[@]:0:i+1}" "$name" "${SERVICES[@]:i+1}")
            break
        fi
    done
done
# The city level: a second, small district (市北区) and the city's evaluation
# over both districts, started before the gateway (scripts/up-city.sh).
# shellcheck source=scripts/up-city.sh
source "$root/scripts/up-city.sh"
READY_TIMEOUT=${SIFANG_UP_TIMEOUT:-60}
build=${SIFANG_BUILD_DIR:-build}
[[ $build == /* ]] || build=$root/$build
var=$(realpath -m -- "${SIFANG_VAR_DIR:-$root/var}")
pg_dir=$var/pg
keys=$var/keys
secrets=$var/secrets

do_setup=1 do_build=1 do_demo=1 demo_scale=
usage="usage: scripts/up.sh [--no-setup] [--no-build] [--no-demo] [--demo-scale F]"
while (($#)); do
    case $1 in
        --no-setup) do_setup=0 ;;
        --no-build) do_build=0 ;;
        --no-demo) do_demo=0 ;;
        --demo-scale)
            [[ ${2:-} =~ ^[0-9]*\.?[0-9]+$ ]] || { echo "$usage" >&2; exit 2; }
            demo_scale=$2
            shift ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
    shift
done

die() { echo "up.sh: $*" >&2; exit 1; }
# How variables name a service or an instance: intake-civil-affairs -> INTAKE_CIVIL_AFFAIRS.
upper() { local u=${1^^}; echo "${u//[-@]/_}"; }
# Where a service or instance listens (ROUTER, or PUB with "publish"): its
# SIFANG_<NAME>_ENDPOINT (_PUBLISH) if set, else its port of services.txt on
# this machine, as common/sf_config.c's defaults.
endpoint_of() {
    local variable
    variable=SIFANG_$(upper "$1")_${2:-endpoint}
    variable=${variable^^}
    if [[ -n ${!variable:-} ]]; then
        echo "${!variable}"
    elif [[ ${2:-} == publish ]]; then
        echo "tcp://127.0.0.1:${publish_port[$1]}"
    else
        echo "tcp://127.0.0.1:${router_port[$1]}"
    fi
}
say() { echo "up.sh: $*"; }
# A path as the user typed it from the source tree, for the closing text.
show() { local p=$1; [[ $p == "$root"/* ]] && p=${p#"$root"/}; echo "$p"; }

# The pid in var/run/<name>.pid when that process is alive and is that binary.
running_pid() {
    local name=$1 bin=$2 pid exe
    [[ -r $var/run/$name.pid ]] || return 1
    pid=$(<"$var/run/$name.pid")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    exe=${exe% (deleted)}
    [[ $exe == "$(readlink -f "$bin")" ]] || return 1
    echo "$pid"
}

# Waits until the daemon logs "serving" after byte offset $3 of its log.
wait_serving() {
    local name=$1 pid=$2 offset=$3 log=$var/log/$1.log deadline=$((SECONDS + READY_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "up.sh: $name (pid $pid) exited during start; the end of $log:" >&2
            tail -n 20 "$log" >&2
            return 1
        fi
        if tail -c +$((offset + 1)) "$log" | grep -q '"serving"'; then
            return 0
        fi
        sleep 0.2
    done
    echo "up.sh: $name (pid $pid) not serving after ${READY_TIMEOUT}s; the end of $log:" >&2
    tail -n 20 "$log" >&2
    return 1
}

# Stops a daemon of ours (SIGTERM, then waits up to 30 s).
stop_daemon() {
    local name=$1 pid=$2
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    die "$name (pid $pid) did not stop in 30 s; scripts/down.sh stops it for good"
}

# A daemon's own settings, over the environment: its database role and
# password file, its name in pg_stat_activity, its CURVE keys. Every daemon
# is a CURVE server admitting the allowlist, and calls its peers with its own
# key; the gateway is only a client, with the key of role gateway, and
# serves the staff workbench the build made (<build>/workbench/dist) at /.
daemon_settings() {
    local name=$1 schema=${instance_schema[$1]:-$1} peer variable
    if [[ -n $(city_service_of "$name") ]]; then
        city_daemon_settings "$name"
        return
    fi
    echo "PGUSER=sifang_$schema"
    echo "PGPASSFILE=$secrets/$schema.pgpass"
    echo "PGAPPNAME=sifang-$name"
    if [[ $name == gateway ]]; then
        echo "SIFANG_CURVE_CLIENT_KEY_FILE=$keys/gateway.key"
        if [[ -r $build/workbench/dist/index.html ]]; then
            echo "SIFANG_GATEWAY_WORKBENCH_DIR=$build/workbench/dist"
        fi
        city_gateway_settings
    else
        echo "SIFANG_CURVE_SECRET_KEY_FILE=$keys/$name.key"
        echo "SIFANG_CURVE_ALLOWLIST=$keys/allowlist"
    fi
    if [[ $name == grid && -s $keys/grid-id-hash.key ]]; then
        echo "SIFANG_GRID_ID_HASH_KEY_FILE=$keys/grid-id-hash.key"
    fi
    # A department's instance: its name, schema, its own endpoints under
    # its service's variables, the fixed settings of its line.
    if [[ -n ${instance_of[$name]:-} ]]; then
        echo "SIFANG_INSTANCE=${instance_name[$name]}"
        echo "SIFANG_$(upper "${instance_of[$name]}")_SCHEMA=$schema"
        echo "SIFANG_$(upper "${instance_of[$name]}")_ENDPOINT=$(endpoint_of "$name")"
        echo "SIFANG_$(upper "${instance_of[$name]}")_PUBLISH=$(endpoint_of "$name" publish)"
        for variable in ${instance_env[$name]}; do echo "$variable"; done
    fi
    # Hand-off of cases between the intakes (docs/operations.md, "City level
    # and hand-off"): the district's intake and each of its departments'
    # instances list each other, reached at SIFANG_HANDOFF_<INSTANCE>_*.
    if [[ $name == intake || ${instance_of[$name]:-} == intake ]]; then
        local -a peers=() handing=(intake)
        if [[ $name == intake ]]; then
            handing=()
            for peer in "${INSTANCES[@]}"; do [[ ${instance_of[$peer]} == intake ]] && handing+=("$peer"); done
        fi
        for peer in ${handing[@]+"${handing[@]}"}; do
            peers+=("${instance_name[$peer]:-$peer}")
            echo "SIFANG_HANDOFF_$(upper "${instance_name[$peer]:-$peer}")_ENDPOINT=$(endpoint_of "$peer")"
            echo "SIFANG_HANDOFF_$(upper "${instance_name[$peer]:-$peer}")_PUBLIC_KEY_FILE=$keys/$peer.pub"
            [[ -n ${owns[$peer]:-} ]] && echo "SIFANG_HANDOFF_$(upper "${instance_name[$peer]:-$peer}")_OWNS=${owns[$peer]}"
        done
        ((${#peers[@]})) && echo "SIFANG_INTAKE_HANDOFF_PEERS=${peers[*]}"
        [[ -n ${owns[$name]:-} ]] && echo "SIFANG_INTAKE_OWNS=${owns[$name]}"
    fi
    # A follower of instances, or the gateway reaching them
    # (/v1/instances/<instance>/...): what it reaches as services.txt lists it.
    if [[ -n ${sources_variable[$name]:-} ]]; then
        echo "${sources_variable[$name]}=${sources_list[$name]}"
    fi
}

((do_setup)) && scripts/setup.sh

mkdir -p "$var/log" "$var/run"
if ((do_build)); then
    say "building $(show "$build")/ (log: $(show "$var")/log/build.log)"
    {
        if [[ ! -f $build/CMakeCache.txt ]]; then
            cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
        fi
        cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)"
    } >"$var/log/build.log" 2>&1 || { tail -n 40 "$var/log/build.log" >&2; die "the build failed"; }
fi

if [[ -e $pg_dir/cluster ]]; then
    scripts/pg.sh status "$pg_dir" >/dev/null 2>&1 || { say "starting PostgreSQL in $(show "$pg_dir")"; scripts/pg.sh start "$pg_dir"; }
else
    say "creating PostgreSQL in $(show "$pg_dir")"
    scripts/pg.sh init "$pg_dir"
fi
scripts/pg.sh createdb "$pg_dir" sifang
city_databases
# The roles' passwords, the cluster's authentication, the CURVE keys.
SIFANG_BUILD_DIR=$build scripts/secure.sh "$var"

# The environment every daemon and tool shares: the cluster (not its
# superuser), defaults, the user's settings, the services' public keys.
# shellcheck disable=SC1091
source "$pg_dir/env"
unset PGUSER PGPASSWORD
export SIFANG_LOG_LEVEL=${SIFANG_LOG_LEVEL:-info}
# The gateway's read routes on this machine answer without a key, as role
# viewer (the services refuse a viewer personal data; the workbench itself
# asks for a personal login); the gateway listens on loopback only by
# default. A deployment sets no such thing.
export SIFANG_GATEWAY_ANONYMOUS=${SIFANG_GATEWAY_ANONYMOUS:-viewer}
if [[ -r $var/sifang.env ]]; then
    # shellcheck disable=SC1091
    source "$var/sifang.env"
fi
for server in "${SERVERS[@]}"; do
    export "SIFANG_${server^^}_PUBLIC_KEY_FILE=$keys/$server.pub"
done
# Where each department's instance is, for its followers and the gateway
# (SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT ...): the ports of its line unless
# set.
for name in "${INSTANCES[@]}"; do
    variable=SIFANG_$(upper "$name")
    export "${variable}_ENDPOINT=$(endpoint_of "$name")" "${variable}_PUBLISH=$(endpoint_of "$name" publish)"
    export "${variable}_PUBLIC_KEY_FILE=$keys/$name.pub"
done

# Starts daemon $1 (a service or an instance) unless it runs with the same
# settings; one running with other settings is restarted.
start_daemon() {
    local name=$1 service bin settings wanted pid log offset
    service=${instance_of[$name]:-$(city_service_of "$name")}
    service=${service:-$name}
    bin=$build/services/$service/sifang-$service
    mapfile -t settings < <(daemon_settings "$name")
    # What the daemon runs with, but no secret (files hold those): a daemon
    # left running by an older up.sh, or with other settings, is restarted.
    wanted=$(printf '%s\n' "$bin" "${settings[@]}" | sha256sum | cut -c1-16)
    if pid=$(running_pid "$name" "$bin"); then
        if [[ $(cat "$var/run/$name.settings" 2>/dev/null) == "$wanted" ]]; then
            say "$name already running (pid $pid)"
            return 0
        fi
        say "$name (pid $pid) runs with older settings: restarting it"
        stop_daemon "$name" "$pid"
    fi
    log=$var/log/$name.log
    touch "$log"
    offset=$(stat -c %s "$log")
    # setsid: the daemon outlives this terminal. The shell writes its own pid
    # and becomes the daemon, so the pid file is right even if setsid forks.
    rm -f "$var/run/$name.pid" "$var/run/$name.settings"
    # shellcheck disable=SC2016
    setsid env "${settings[@]}" bash -c 'echo $$ >"$1"; exec "$2"' _ "$var/run/$name.pid" "$bin" \
        </dev/null >>"$log" 2>&1 &
    for _ in $(seq 50); do [[ -s $var/run/$name.pid ]] && break; sleep 0.1; done
    pid=$(cat "$var/run/$name.pid" 2>/dev/null) || die "$name did not start"
    wait_serving "$name" "$pid" "$offset" || die "$name did not start (scripts/down.sh stops the others)"
    echo "$wanted" >"$var/run/$name.settings"
    say "$name serving (pid $pid)"
    started+=("$name")
}
started=() found=()
for name in "${SERVICES[@]}"; do
    service=${instance_of[$name]:-$(city_service_of "$name")}
    service=${service:-$name}
    [[ -x $build/services/$service/sifang-$service ]] || continue
    found+=("$name")
    start_daemon "$name"
done
((${#found[@]})) || say "no daemon is built yet ($(show "$build")/services/<name>/sifang-<name>)"

# The operators' settings for the sifang CLI (and any client of the
# services): the admin key ops and the services' public keys, plus the
# endpoints when they are not the defaults.
{
    echo "# The sifang CLI with the operators' key (role admin), CURVE on: source this"
    echo "# file, then: $(show "$build")/tools/sifang call grid Sys.Ping '{}'"
    echo "# Written by scripts/up.sh."
    echo "export SIFANG_CURVE_CLIENT_KEY_FILE='$keys/ops.key'"
    for server in "${SERVERS[@]}"; do
        echo "export SIFANG_${server^^}_PUBLIC_KEY_FILE='$keys/$server.pub'"
        endpoint=SIFANG_${server^^}_ENDPOINT
        if [[ -n ${!endpoint:-} && ${!endpoint} != *'*'* ]]; then
            echo "export $endpoint='${!endpoint}'"
        fi
    done
    # A department's instance: the CLI reaches it as its service with these
    # two in place of the service's (SIFANG_INTAKE_ENDPOINT=... sifang call intake ...).
    for name in "${INSTANCES[@]}"; do
        variable=SIFANG_$(upper "$name")
        echo "export ${variable}_ENDPOINT='$(endpoint_of "$name")' ${variable}_PUBLIC_KEY_FILE='$keys/$name.pub'"
    done
    city_cli_env
} >"$var/cli.env.new"
chmod 644 "$var/cli.env.new"
mv -f "$var/cli.env.new" "$var/cli.env"
# The demo loaders and the accounts' staff look-ups act as ops too.
ops=(env "SIFANG_CURVE_CLIENT_KEY_FILE=$keys/ops.key")

# The demo: grid's district first (everyone refers to its units), then the
# services' own demo data, read from grid through the APIs, all dated in the
# twelve months ending today: intake's, employment's and volunteer's side by
# side with evaluation's surveys (each only needs grid), then evaluation's
# sign-off (it scores what they loaded). Every loader is deterministic with
# request ids from its seed (and the day), so a re-run finishes an
# interrupted load; a marker beside the cluster says a load completed. Each
# loader's output goes to its log; here a line shows how far each running
# loader is (updated in place on a terminal), and one line per service what
# it loaded and how long it took.
loaded=0
declare -A loader_pid=() loader_started=()
# The latest non-empty line a loader wrote ("residents 12000/358000 9000/s").
last_line() {
    tail -c 4096 "$var/log/demo-$1.log" 2>/dev/null | tr '\r' '\n' | sed 's/\x1b\[K//g' \
        | grep -v '^[[:space:]]*$' | tail -n 1 || true
}
# Settings a caller gives its loaders over the environment (the second
# district's endpoints: city_demo's local one).
loader_env=()
start_loader() { # start_loader NAME BINARY [ARGUMENT...]
    local name=$1 bin=$2 marker=$pg_dir/demo-$1.done
    shift 2
    [[ -x $bin ]] || return 0
    if [[ -e $marker ]]; then
        say "demo data of $name already loaded"
        return 0
    fi
    local -a args=("$@")
    if [[ -n $demo_scale ]] && "$bin" --help 2>/dev/null | grep -q -- '--scale'; then
        args+=(--scale "$demo_scale")
    fi
    say "loading the demo data of $name (log: $(show "$var")/log/demo-$name.log)"
    "${ops[@]}" ${loader_env[@]+"${loader_env[@]}"} "$bin" ${args[@]+"${args[@]}"} >>"$var/log/demo-$name.log" 2>&1 &
    loader_pid[$name]=$!
    loader_started[$name]=$SECONDS
}
# Waits for every loader started; dies when one failed.
wait_loaders() {
    local name rc line status next_report=$((SECONDS + 30))
    while ((${#loader_pid[@]})); do
        for name in "${!loader_pid[@]}"; do
            kill -0 "${loader_pid[$name]}" 2>/dev/null && continue
            rc=0
            wait "${loader_pid[$name]}" || rc=$?
            [[ -t 1 ]] && printf '\r\033[K'
            if ((rc != 0)); then
                tail -n 20 "$var/log/demo-$name.log" >&2
                die "the demo loader of $name failed"
            fi
            line=$(last_line "$name")
            say "demo data of $name loaded in $((SECONDS - loader_started[$name])) s: ${line:0:160}"
            touch "$pg_dir/demo-$name.done"
            loaded=1
            unset "loader_pid[$name]"
        done
        ((${#loader_pid[@]})) || break
        if [[ -t 1 ]]; then
            status=
            for name in "${!loader_pid[@]}"; do
                line=$(last_line "$name")
                status+="${status:+ | }$name ($((SECONDS - loader_started[$name])) s): ${line:0:60}"
            done
            printf '\r\033[K  %s' "${status:0:$((${COLUMNS:-160} - 3))}"
        elif ((SECONDS >= next_report)); then
            # Not a terminal (a log): a line per running loader now and then.
            for name in "${!loader_pid[@]}"; do
                line=$(last_line "$name")
                say "  $name ($((SECONDS - loader_started[$name])) s): ${line:0:100}"
            done
            next_report=$((SECONDS + 30))
        fi
        sleep 1
    done
}
if ((do_demo)); then
    start_loader grid "$build/tools/sifang-demo-load"
    wait_loaders
    # Grid's tables went from empty to the district's size: statistics now,
    # so that the other loaders' reads of them (every household, page by
    # page) run on plans for that size (they took ten times as long). Only
    # grid's: the others' tables are still empty, and statistics saying so
    # would mislead their plans while they fill (autovacuum's analyze
    # catches up with them).
    if ((loaded)); then
        scripts/pg.sh psql "$pg_dir" -q -c "DO \$\$ DECLARE t record; BEGIN
            FOR t IN SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'grid' LOOP
                EXECUTE format('ANALYZE grid.%I', t.relname);
            END LOOP; END \$\$" >/dev/null || die "ANALYZE of grid after its demo load failed"
    fi
    # Only for daemons that are running: a loader waits for its service.
    for name in intake employment volunteer; do
        [[ " ${found[*]} " == *" $name "* ]] || continue
        start_loader "$name" "$build/services/$name/sifang-$name-demo-load"
    done
    # Leaders' and departments' work, in grid (it reads grid's district; a
    # few of the problems found become intake's cases).
    start_loader grid-work "$build/services/grid/sifang-grid-work-demo-load"
    # The communities' funding and the part-time committee members'
    # meetings, in grid (docs/district-work.md).
    start_loader district-funding "$build/services/grid/sifang-district-work-demo-load" --part grid
    # Evaluation's surveys need only grid's district: beside the others.
    # Its sign-off waits for what they loaded.
    evaluation_loader=$build/services/evaluation/sifang-evaluation-demo-load
    if [[ " ${found[*]} " == *" evaluation "* ]]; then
        start_loader evaluation-surveys "$evaluation_loader" --surveys-only
    fi
    wait_loaders
    # What co-building units delivered against their commitments
    # (volunteer's co-buildings, loaded above).
    start_loader district-cobuilding "$build/services/grid/sifang-district-work-demo-load" --part cobuilding
    wait_loaders
    # Registrations flowing from intake into employment and the volunteer
    # registry (docs/registrations.md), once those hold the district.
    if [[ " ${found[*]} " == *" intake "* && " ${found[*]} " == *" employment "*
          && " ${found[*]} " == *" volunteer "* ]]; then
        start_loader registrations "$build/services/intake/sifang-intake-demo-registrations"
        wait_loaders
    fi
    # The follow-through (docs/follow-through.md): return visits and
    # complaints that reopen cases, the supervision ladder on the cases past
    # due, first responders' follow-ups, the new meeting kinds, and the
    # coming year's holiday arrangement from its file.
    if [[ " ${found[*]} " == *" intake "* ]]; then
        start_loader follow "$build/services/intake/sifang-intake-demo-follow" \
            --calendar "$root/services/intake/calendar/2027.txt"
        wait_loaders
    fi
    # The 15-minute circle's year through intake: cases the desks dispatched
    # to the directory's providers, their return visits rating them
    # (docs/circle.md), once volunteer holds the providers.
    if [[ " ${found[*]} " == *" intake "* && " ${found[*]} " == *" volunteer "* ]]; then
        start_loader circle "$build/services/volunteer/sifang-volunteer-demo-circle"
        wait_loaders
    fi
    # Cases handed between the district's intake and the civil affairs
    # bureau's own, both ways, with their history (docs/demo.md): after the
    # other loaders, whose plans know only their own cases.
    if [[ " ${found[*]} " == *" intake "* && " ${found[*]} " == *" intake-civil-affairs "* ]]; then
        start_loader handoff "$root/scripts/demo-handoff.py" --sifang "$build/tools/sifang"
        wait_loaders
    fi
    if [[ " ${found[*]} " == *" evaluation "* ]]; then
        start_loader evaluation "$evaluation_loader"
        wait_loaders
    fi
    # The second district, loaded, then joining the city (scripts/up-city.sh).
    city_demo
fi
# Statistics for the tables the demo just filled, now rather than at
# autovacuum's next round: until then the daemons' prepared statements run
# on plans made for empty tables (several times slower). ANALYZE also
# invalidates those plans.
if ((loaded)); then
    scripts/pg.sh psql "$pg_dir" -q -c ANALYZE >/dev/null || die "ANALYZE after the demo load failed"
    say "demo data analyzed"
fi

# Demo accounts, one per people role, for people of one community and its
# street: 杭州路社区 (370205001001) of 四方街道 (370205001). Each account is a
# real staff member of grid's demo district (the first by id of their kind,
# each person once), so their duty, and with it what they may see, comes
# from grid: the community's committee members are its community staff,
# window clerk, employment counsellor and volunteer coordinator; its first
# zone's cadre is the zone cadre; a cadre of the street its street staff;
# the district's leaders its leader and appraisal office; a member of the
# department paired with the community (结对共建; made in grid when the
# demo has none) its department staff. The privacy officer and the
# administrator answer for no unit. Their initial passwords (changed at the first login) are written to
# var/secrets/demo-accounts.txt only; an account that exists is left alone.
DEMO_STREET=370205001
DEMO_COMMUNITY=370205001001
demo_accounts=$secrets/demo-accounts.txt
grid_call() { "${ops[@]}" "$build/tools/sifang" call grid "$@"; }
# The values of field $2 of the objects in list $1 of a JSON reply, a line each.
json_values() {
    python3 -c 'import json, sys
for item in json.load(sys.stdin).get(sys.argv[1], []): print(item.get(sys.argv[2], ""))' "$1" "$2"
}
staff_of() { # staff_of JSON-REQUEST: the ids StaffList gives, in its order (by id)
    grid_call StaffList "$1" | json_values staff id
}
make_demo_accounts() {
    local tool=$build/services/gateway/sifang-gateway-accounts
    local community zone_cadre street leaders unit department id role login made=0
    mapfile -t community < <(staff_of "{\"under\":\"$DEMO_COMMUNITY\",\"kind\":\"STAFF_KIND_COMMUNITY_COMMITTEE\",\"page\":{\"page_size\":4}}")
    zone_cadre=$(grid_call ResponsibilityList \
        "{\"unit_code\":\"${DEMO_COMMUNITY}01\",\"kind\":\"RESPONSIBILITY_KIND_ZONE_CADRE\"}" | json_values responsibilities staff_id | head -n 1)
    mapfile -t street < <(staff_of "{\"under\":\"$DEMO_STREET\",\"kind\":\"STAFF_KIND_STREET_CADRE\",\"page\":{\"page_size\":2}}" \
        | grep -vxF -- "${zone_cadre:-none}")
    mapfile -t leaders < <(staff_of '{"kind":"STAFF_KIND_DISTRICT_LEADER","page":{"page_size":2}}')
    unit=$(grid_call PairingList "{\"under\":\"$DEMO_COMMUNITY\"}" | json_values pairings department_code | head -n 1)
    department=$(staff_of "{\"department_code\":\"$unit\",\"kind\":\"STAFF_KIND_DEPARTMENT_STAFF\",\"page\":{\"page_size\":1}}")
    if [[ -z $department ]]; then
        department=$(grid_call StaffCreate --request-id demo-accounts-department-staff \
            "{\"name\":\"赵文静\",\"kind\":\"STAFF_KIND_DEPARTMENT_STAFF\",\"unit_code\":\"370205\",\"department_code\":\"$unit\",\"title\":\"科员\",\"active\":true}" \
            | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])') || { say "could not make the demo's department staff in grid"; return 1; }
    fi
    ((${#community[@]} && ${#leaders[@]})) && [[ -n $zone_cadre && -n $unit ]] \
        || { say "grid has no staff in $DEMO_COMMUNITY: no demo accounts"; return 1; }
    # role, staff id (none: no unit), then the role's title for the display name
    local -a plan=(
        "window_clerk ${community[1]:-${community[0]}} 窗口受理员"
        "zone_cadre $zone_cadre 网格员"
        "community_staff ${community[0]} 社区工作人员"
        "street_staff ${street[0]:-$zone_cadre} 街道工作人员"
        "department_staff $department 部门工作人员"
        "employment_counsellor ${community[2]:-${community[0]}} 就业指导员"
        "volunteer_coordinator ${community[3]:-${community[0]}} 志愿服务协调员"
        "appraisal_office ${leaders[1]:-${leaders[0]}} 考核办"
        "leader ${leaders[0]} 领导"
        "privacy_officer none 隐私保护员"
        "administrator none 系统管理员"
    )
    # The civil affairs bureau's own window, working at its own intake
    # (role@department: the account's department and intake instance). A
    # small demo district (--demo-scale) may lack the bureau: made in grid.
    local bureau
    if [[ " ${instance_name[*]} " == *" intake@civil-affairs "* ]]; then
        bureau=$(staff_of '{"department_code":"civil-affairs","kind":"STAFF_KIND_DEPARTMENT_STAFF","page":{"page_size":1}}')
        if [[ -z $bureau ]]; then
            grid_call DepartmentCreate --request-id demo-accounts-bureau '{"code":"civil-affairs","name":"四方区民政局"}' \
                >>"$var/log/demo-accounts.log" 2>&1 || true   # there already (ALREADY_EXISTS) in a full district
            bureau=$(grid_call StaffCreate --request-id demo-accounts-bureau-window \
                '{"name":"李文华","kind":"STAFF_KIND_DEPARTMENT_STAFF","unit_code":"370205","department_code":"civil-affairs","title":"窗口受理员","active":true}' \
                2>>"$var/log/demo-accounts.log" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])') \
                || { say "could not make the bureau's window staff in grid (log: $(show "$var")/log/demo-accounts.log)"; return 1; }
        fi
        plan+=("window_clerk@civil-affairs $bureau 民政局窗口受理员")
    fi
    [[ -s $demo_accounts ]] || printf '# login role initial-password (to be changed at the first login); made by scripts/up.sh\n' >"$demo_accounts"
    chmod 600 "$demo_accounts"
    local entry title name args password_file=$secrets/demo-account.password created at
    for entry in "${plan[@]}"; do
        read -r role id title <<<"$entry"
        at=
        [[ $role == *@* ]] && at=${role#*@} role=${role%@*}
        login=demo.$role${at:+.$at}
        grep -q "^$login " "$demo_accounts" && continue
        args=(create --login "$login" --role "$role" --if-absent --password-file "$password_file")
        [[ -n $at ]] && args+=(--department "$at" --instance "intake@$at")
        name=$title
        if [[ $id != none ]]; then
            name="$(grid_call StaffGet "{\"id\":\"$id\"}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["name"])')（$title）"
            args+=(--staff-id "$id")
        fi
        [[ $role == department_staff ]] && args+=(--department "$unit")
        # Four classes of character whatever the random part holds.
        python3 -c 'import secrets; print("Sf-" + secrets.token_urlsafe(12) + "-" + str(secrets.randbelow(90) + 10))' >"$password_file"
        created=$(env $(daemon_settings gateway | grep '^PG') "$tool" "${args[@]}" --display-name "$name" 2>>"$var/log/demo-accounts.log") \
            || { rm -f "$password_file"; say "could not make the demo account $login (log: $(show "$var")/log/demo-accounts.log)"; return 1; }
        if [[ -n $created ]]; then
            printf '%s %s %s\n' "$login" "$role" "$(cat "$password_file")" >>"$demo_accounts"
            made=$((made + 1))
        else
            say "demo account $login exists but its password is not in $(show "$demo_accounts"): sifang-gateway-accounts reset-password $login"
        fi
        rm -f "$password_file"
    done
    ((made == 0)) || say "$made demo account(s) made; their initial passwords are in $(show "$demo_accounts")"
}
if [[ -x $build/services/gateway/sifang-gateway-accounts && -e $pg_dir/demo-grid.done && " ${found[*]} " == *" grid "* ]]; then
    make_demo_accounts || die "the demo accounts are not made"
fi

gateway_url=
if [[ " ${found[*]} " == *" gateway "* ]]; then
    # Where the gateway listens, from its last serving line.
    gateway_url=$(grep '"serving"' "$var/log/gateway.log" | tail -n 1 \
        | sed -n 's/.*"http"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
    gateway_url=${gateway_url:-127.0.0.1:8080}
    gateway_url=http://${gateway_url/#\*:/127.0.0.1:}/
fi

# The people's half-year 述职 (scripts/demo-appraisal.py, docs/demo.md): each
# street's and community's head and reviewer log in to the gateway as
# themselves (an account each, linked to their grid staff record; its
# password in var/secrets/demo-appraisal-accounts.txt only), submit their
# report of the half-year evaluation froze, and are graded by the person
# above; the appraisal office decides the 双挂钩 awards. After evaluation's
# sign-off (the figures attached are the loaded year's). Each person logs in
# from a loopback address of their own, a workstation each: from one address
# the gateway's login limit made it 743 s for the whole district (load 15).
if ((do_demo)) && [[ -n $gateway_url && -e $pg_dir/demo-evaluation.done ]]; then
    mapfile -t gateway_pg < <(daemon_settings gateway | grep '^PG')
    saved_ops=("${ops[@]}")
    ops+=("${gateway_pg[@]}")
    start_loader appraisal "$root/scripts/demo-appraisal.py" --gateway "$gateway_url" \
        --sifang "$build/tools/sifang" --accounts-tool "$build/services/gateway/sifang-gateway-accounts" \
        --accounts-file "$secrets/demo-appraisal-accounts.txt"
    ops=("${saved_ops[@]}")
    wait_loaders
fi

cat <<EOF

Sifang is up: each daemon as its own database role, CURVE on every link.
  daemons:    ${found[*]:-(none built yet)}
EOF
if [[ -n $gateway_url ]]; then
    if [[ -r $build/workbench/dist/index.html ]]; then
        echo "  workbench:  $gateway_url   (四方工作台, the staff's browser workbench: log in with a demo account)"
    else
        echo "  workbench:  not built ($(show "$build")/workbench/dist: node and npm are needed, scripts/packages.txt)"
    fi
    echo "  API:        ${gateway_url}v1/...   (${gateway_url}openapi.json; without a key: role viewer, read-only)"
    for name in "${INSTANCES[@]}"; do
        [[ " ${found[*]} " == *" $name "* ]] || continue
        echo "              ${gateway_url}v1/instances/${instance_name[$name]}/${instance_of[$name]}/...   (the department's own ${instance_of[$name]})"
    done
    if [[ " ${found[*]} " == *" $CITY_EVALUATION "* ]]; then
        echo "  city:       ${gateway_url}v1/instances/evaluation@city/evaluation/city-scorecards/<period>   (四方区 and 市北区 ranked; the workbench's 全市排名)"
    fi
fi
if [[ -s $demo_accounts ]]; then
    echo "  accounts:   $(show "$demo_accounts")   (one per role: login, role, initial password; change it at the first login)"
fi
if [[ -x $build/tools/sifang ]]; then
    echo "  CLI:        . $(show "$var")/cli.env && $(show "$build")/tools/sifang call grid Sys.Ping '{}'"
    echo "              (the operators' key, role admin; without it the services refuse the CLI)"
fi
cat <<EOF
  secrets:    $(show "$secrets")/ (database passwords)  $(show "$keys")/ (CURVE keys)
  logs:       $(show "$var")/log/<name>.log     (PostgreSQL: $(show "$pg_dir")/postgresql.log)
  pid files:  $(show "$var")/run/<name>.pid
  database:   scripts/pg.sh psql $(show "$pg_dir")   (as the superuser)
  stop:       scripts/down.sh
EOF
