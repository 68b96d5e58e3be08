# shellcheck shell=bash
# The city level in the demo, sourced by scripts/up.sh (docs/demo.md, "The
# city level"): a second, small district and the city's evaluation over both.
#
#   - 市北区 (shibei, 370203), Sifang's neighbour, runs its own grid,
#     volunteer, intake and employment (shibei-grid ...: ports 72x1/72x2) in a
#     database of its own, sifang_shibei, laid out as the district's (the
#     same schemas and roles; on this one machine the same CURVE keys),
#     loaded by the same demo loaders at a small scale (SIFANG_CITY_DEMO_SCALE,
#     default 0.02: 2 communities, 2,780 households);
#   - the city's evaluation, evaluation@city (SIFANG_EVALUATION_LEVEL=city,
#     ports 7161/7162, database sifang_city), follows the districts' event
#     logs with the same follower as a district's, a cursor per district
#     instance (sifang:grid ... shibei:volunteer), and ranks the districts
#     like with like (CityScorecardGet); the gateway reaches it at
#     /v1/instances/evaluation@city/ (the workbench's 全市排名).
#
# Shibei joins the city after Sifang: the city starts following Sifang's
# logs alone; once Shibei's demo is loaded, it is added to the city's
# sources (city-shibei.joined beside the cluster says so from then on) and
# the city, restarted with them, catches up with Shibei's history.
# scripts/demo-city.py defines the city's scheme and prints the ranking
# before and after. up.sh's functions and maps are used here as they are.

CITY_DISTRICT=shibei
CITY_DISTRICT_DATABASE=sifang_shibei
CITY_DATABASE=sifang_city
CITY_SCALE=${SIFANG_CITY_DEMO_SCALE:-0.02}
CITY_SEED=2013
# The first district's name at the city level.
CITY_HOME=sifang
CITY_EVALUATION=evaluation-city
declare -A city_service=([$CITY_EVALUATION]=evaluation)
CITY_DAEMONS=()
for service in grid volunteer intake employment; do
    CITY_DAEMONS+=("$CITY_DISTRICT-$service")
    city_service[$CITY_DISTRICT-$service]=$service
    router_port[$CITY_DISTRICT-$service]=$((router_port[$service] + 100))
    publish_port[$CITY_DISTRICT-$service]=$((publish_port[$service] + 100))
done
CITY_DAEMONS+=("$CITY_EVALUATION")
router_port[$CITY_EVALUATION]=7161 publish_port[$CITY_EVALUATION]=7162
# Started before the gateway, which reaches the city as an instance.
for i in "${!SERVICES[@]}"; do
    if [[ ${SERVICES[i]} == gateway ]]; then
        SERVICES=("${SERVICES[@]:0:i}" "${CITY_DAEMONS[@]}" "${SERVICES[@]:i}")
        break
    fi
done
sources_list[gateway]+=" evaluation@city"

# The service a daemon of the city's runs (shibei-intake: intake); "" for
# any other daemon.
city_service_of() { echo "${city_service[$1]:-}"; }

# The databases of the second district and of the city, laid out as the
# district's.
city_databases() {
    scripts/pg.sh createdb "$pg_dir" "$CITY_DISTRICT_DATABASE"
    scripts/pg.sh createdb "$pg_dir" "$CITY_DATABASE"
}

# The city's sources: Sifang's instances as its evaluation follows them
# (deploy/services.txt), then Shibei's once it has joined.
city_sources() {
    local instance list=
    for instance in ${sources_list[evaluation]}; do list+=" $CITY_HOME:$instance"; done
    if [[ -e $pg_dir/city-$CITY_DISTRICT.joined ]]; then
        for instance in grid intake employment volunteer; do list+=" $CITY_DISTRICT:$instance"; done
    fi
    echo "${list# }"
}

# Where a city source's daemon is: sifang:intake@civil-affairs is
# intake-civil-affairs, shibei:grid is shibei-grid.
city_source_daemon() {
    local district=${1%%:*} instance=${1#*:}
    instance=${instance//@/-}
    if [[ $district == "$CITY_HOME" ]]; then echo "$instance"; else echo "$district-$instance"; fi
}

# A city daemon's settings (daemon_settings' part for them): its database,
# the service's role, password file and key, and where its peers are.
city_daemon_settings() {
    local name=$1 service=${city_service[$1]} peer source stem daemon
    if [[ $name == "$CITY_EVALUATION" ]]; then
        echo "PGDATABASE=$CITY_DATABASE"
    else
        echo "PGDATABASE=$CITY_DISTRICT_DATABASE"
    fi
    echo "PGUSER=sifang_$service"
    echo "PGPASSFILE=$secrets/$service.pgpass"
    echo "PGAPPNAME=sifang-$name"
    echo "SIFANG_CURVE_SECRET_KEY_FILE=$keys/$service.key"
    echo "SIFANG_CURVE_ALLOWLIST=$keys/allowlist"
    if [[ $name == "$CITY_EVALUATION" ]]; then
        echo "SIFANG_INSTANCE=evaluation@city"
        echo "SIFANG_EVALUATION_LEVEL=city"
        echo "SIFANG_EVALUATION_ENDPOINT=$(endpoint_of "$name")"
        echo "SIFANG_EVALUATION_PUBLISH=$(endpoint_of "$name" publish)"
        echo "SIFANG_EVALUATION_SOURCES=$(city_sources)"
        # sifang:intake@civil-affairs -> SIFANG_SIFANG_INTAKE_CIVIL_AFFAIRS_*
        for source in $(city_sources); do
            daemon=$(city_source_daemon "$source")
            stem=${source//[:@-]/_}
            stem=SIFANG_${stem^^}
            echo "${stem}_ENDPOINT=$(endpoint_of "$daemon")"
            echo "${stem}_PUBLISH=$(endpoint_of "$daemon" publish)"
            echo "${stem}_PUBLIC_KEY_FILE=$keys/${city_service[$daemon]:-$daemon}.pub"
        done
        return
    fi
    # The second district's daemons reach each other, not the first's.
    for peer in grid intake employment volunteer; do
        echo "SIFANG_${peer^^}_ENDPOINT=$(endpoint_of "$CITY_DISTRICT-$peer")"
        echo "SIFANG_${peer^^}_PUBLISH=$(endpoint_of "$CITY_DISTRICT-$peer" publish)"
    done
    if [[ $service == grid && -s $keys/grid-id-hash.key ]]; then
        echo "SIFANG_GRID_ID_HASH_KEY_FILE=$keys/grid-id-hash.key"
    fi
    if [[ $service == intake ]]; then
        echo "SIFANG_INTAKE_REGISTRATION_PREFIX=SB"
    fi
}

# The gateway reaches the city as the instance evaluation@city.
city_gateway_settings() {
    echo "SIFANG_EVALUATION_CITY_ENDPOINT=$(endpoint_of "$CITY_EVALUATION")"
    echo "SIFANG_EVALUATION_CITY_PUBLIC_KEY_FILE=$keys/evaluation.pub"
}

# cli.env's lines for the city and the second district: the CLI reaches
# them as their service with these in place of its endpoint (the keys are
# the services'): SIFANG_EVALUATION_ENDPOINT=$SIFANG_EVALUATION_CITY_ENDPOINT
# sifang call evaluation CityScorecardGet ..., SIFANG_GRID_ENDPOINT=$SIFANG_SHIBEI_GRID_ENDPOINT ...
city_cli_env() {
    local daemon variable
    for daemon in "${CITY_DAEMONS[@]}"; do
        variable=SIFANG_$(upper "$daemon")_ENDPOINT
        echo "export $variable='$(endpoint_of "$daemon")'"
    done
}

# The second district's demo (the loaders of the first, with its endpoints
# and scale), then its joining the city: the ranking before (Sifang alone)
# and after, once the city has caught up with Shibei's history.
city_demo() {
    local daemon service
    for daemon in "${CITY_DAEMONS[@]}"; do
        [[ " ${found[*]} " == *" $daemon "* ]] || return 0
    done
    local demo_scale=$CITY_SCALE
    local -a loader_env=("SIFANG_DEMO_SEED=$CITY_SEED")
    for service in grid intake employment volunteer; do
        loader_env+=("SIFANG_${service^^}_ENDPOINT=$(endpoint_of "$CITY_DISTRICT-$service")")
    done
    start_loader "$CITY_DISTRICT-grid" "$build/tools/sifang-demo-load" --district "$CITY_DISTRICT"
    wait_loaders
    for service in intake employment volunteer; do
        start_loader "$CITY_DISTRICT-$service" "$build/services/$service/sifang-$service-demo-load"
    done
    wait_loaders
    local city=(env "${ops[@]:1}" "SIFANG_EVALUATION_ENDPOINT=$(endpoint_of "$CITY_EVALUATION")"
                python3 "$root/scripts/demo-city.py" --sifang "$build/tools/sifang")
    local joining=0 joined
    if [[ ! -e $pg_dir/city-$CITY_DISTRICT.joined ]]; then
        say "the city (evaluation@city) before 市北区 joins:"
        "${city[@]}" --districts "$CITY_HOME" 2>&1 | tee -a "$var/log/demo-city.log" \
            || die "the city's ranking before 市北区 joined (log: $(show "$var")/log/demo-city.log)"
        touch "$pg_dir/city-$CITY_DISTRICT.joined"
        start_daemon "$CITY_EVALUATION"
        joining=1
    fi
    joined=$SECONDS
    say "the city (evaluation@city) with 市北区:"
    "${city[@]}" --districts "$CITY_HOME" "$CITY_DISTRICT" 2>&1 | tee -a "$var/log/demo-city.log" \
        || die "the city's ranking with 市北区 (log: $(show "$var")/log/demo-city.log)"
    if ((joining)); then say "市北区 joined: the city caught up with its history in $((SECONDS - joined)) s"; fi
}
