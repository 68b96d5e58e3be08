#!/usr/bin/env bash
# scripts/up.sh runs the suite as a deployment would, proven on a PostgreSQL
# cluster of the test's own (up.sh changes how the cluster authenticates, so
# not the shared pg_cluster fixture) and a var/ in a temporary directory,
# every daemon on ipc sockets there and the gateway on a port it picks:
#   - an older var/ is upgraded: grid first runs as the superuser without
#     CURVE (as up.sh did before), then up.sh;
#   - each daemon connects as its own role (pg_stat_activity), no service
#     role is a superuser or may use another's schema, each owns all that is
#     in its schema (the upgrade's tables too);
#   - the roles need their passwords, which are in mode 0600 files under a
#     0700 directory and in no log; CURVE keys are 0600;
#   - CURVE is on: the operators' key of var/cli.env is admitted, a key not on
#     the allowlist and a client without keys are refused; the gateway
#     reaches every service (/readyz);
#   - the gateway serves the staff workbench at / and up.sh prints its
#     address;
#   - a demo account logs in at the gateway (when sifang-gateway-accounts is
#     built);
#   - the civil affairs bureau's own intake (intake@civil-affairs of
#     deploy/services.txt) runs as its own role in its own schema, with
#     CURVE; the gateway reaches it under /v1/instances/intake@civil-affairs/
#     and evaluation follows it; the demo's hand-offs (scripts/demo-handoff.py)
#     go both ways, each case once on each side with its steps, through the
#     gateway as in SQL, and a second run hands nothing more;
#   - the city level (scripts/up-city.sh): the second district's daemons
#     (shibei-grid ...) run as the services' roles in their own database,
#     with CURVE, and the city's evaluation (evaluation@city) in another;
#     Shibei joins the city after Sifang (its grid loaded, the marker
#     city-shibei.joined, up.sh again restarts the city with Shibei's
#     sources), a cursor per district instance at its head; the city's
#     ranking of both districts (a year's scheme of grid's figures) against
#     SQL over both databases, through the CLI and the gateway
#     (/v1/instances/evaluation@city/), and scripts/demo-city.py's;
#   - running up.sh again changes nothing, and scripts/down.sh stops it all.
#
#   up_test.sh BUILD_DIR      (ctest up_deployment)
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(realpath -- "${1:?usage: up_test.sh BUILD_DIR}")
SERVERS=(grid intake employment volunteer evaluation)
# The bureau's instance of intake (deploy/services.txt): a daemon of its own.
INSTANCE=intake-civil-affairs
# The city level's (scripts/up-city.sh): the second district's daemons, as
# the services' roles in database sifang_shibei, and the city's evaluation.
CITY_DAEMONS=(shibei-grid shibei-volunteer shibei-intake shibei-employment evaluation-city)
DAEMONS=("${SERVERS[@]}" "$INSTANCE" gateway)
# A daemon's role and schema: its name, an instance's with '_'.
schema_of() { echo "${1//-/_}"; }

failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}
equal() { # equal DESCRIPTION GOT WANTED
    if [[ $2 == "$3" ]]; then ok "$1"; else fail "$1: got '$2', wanted '$3'"; fi
}

# A clean environment: nothing of the caller's cluster, keys or endpoints.
for variable in $(compgen -e); do
    case $variable in PG* | SIFANG_*) unset "$variable" ;; esac
done
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

tmp=$(mktemp -d /tmp/sifang-up-XXXXXX)
chmod 755 "$tmp"
var=$tmp/var
export SIFANG_VAR_DIR=$var SIFANG_BUILD_DIR=$build
for svc in "${SERVERS[@]}"; do
    export "SIFANG_${svc^^}_ENDPOINT=ipc://$tmp/$svc.req" "SIFANG_${svc^^}_PUBLISH=ipc://$tmp/$svc.pub"
done
export SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT=ipc://$tmp/$INSTANCE.req SIFANG_INTAKE_CIVIL_AFFAIRS_PUBLISH=ipc://$tmp/$INSTANCE.pub
for name in "${CITY_DAEMONS[@]}"; do
    variable=${name//-/_}
    export "SIFANG_${variable^^}_ENDPOINT=ipc://$tmp/$name.req" "SIFANG_${variable^^}_PUBLISH=ipc://$tmp/$name.pub"
done
export SIFANG_GATEWAY_HTTP=127.0.0.1:0
cleanup() {
    bash "$root/scripts/down.sh" >/dev/null 2>&1
    bash "$root/scripts/pg.sh" destroy "$var/pg" >/dev/null 2>&1
    rm -rf -- "$tmp"
}
trap cleanup EXIT

pgsh() { bash "$root/scripts/pg.sh" "$@"; }
# A query as the superuser (the cluster's owner or root, through the socket).
super() { pgsh psql "$var/pg" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

# 1. What an older up.sh left: the database, and grid's tables made by grid
#    running as the superuser without CURVE.
pgsh init "$var/pg" >/dev/null 2>&1 || { echo "FAIL pg.sh init $var/pg"; exit 1; }
mkdir -p "$var/log"
(
    # shellcheck disable=SC1091
    source "$var/pg/env"
    exec "$build/services/grid/sifang-grid"
) >"$tmp/old-grid.log" 2>&1 &
old_grid=$!
for _ in $(seq 300); do grep -q '"serving"' "$tmp/old-grid.log" && break; sleep 0.1; done
for _ in $(seq 100); do
    [[ $(super "SELECT count(*) FROM pg_class WHERE relnamespace = 'grid'::regnamespace AND relkind = 'r'" 2>/dev/null || echo 0) -gt 0 ]] && break
    sleep 0.1
done
kill -TERM "$old_grid"
wait "$old_grid"
old_tables=$(super "SELECT count(*) FROM pg_class WHERE relnamespace = 'grid'::regnamespace AND relowner = (SELECT oid FROM pg_roles WHERE rolsuper ORDER BY oid LIMIT 1)")
check "before: grid ran as the superuser and made its tables ($old_tables)" test "${old_tables:-0}" -gt 0

# 2. up.sh, without packages, build or demo data.
started=$SECONDS
if bash "$root/scripts/up.sh" --no-setup --no-build --no-demo >"$tmp/up.out" 2>&1; then
    ok "up.sh brought the suite up in $((SECONDS - started)) s"
else
    fail "up.sh failed; its output:"
    cat "$tmp/up.out"
    for name in "${DAEMONS[@]}"; do tail -n 5 "$var/log/$name.log" 2>/dev/null; done
    exit 1
fi

# 3. Roles.
for name in "${DAEMONS[@]}"; do
    users=$(super "SELECT string_agg(DISTINCT usename, ' ') FROM pg_stat_activity WHERE application_name = 'sifang-$name'")
    equal "$name connects as its own role" "$users" "sifang_$(schema_of "$name")"
done
privileged=$(super "SELECT coalesce(string_agg(rolname, ' '), '') FROM pg_roles WHERE rolname LIKE 'sifang\_%' AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls)")
equal "no service role is a superuser or may make roles or databases" "$privileged" ""
SCHEMAS="'grid', 'intake', 'intake_civil_affairs', 'employment', 'volunteer', 'evaluation', 'gateway'"
owners=$(super "SELECT string_agg(nspname || '=' || nspowner::regrole, ' ' ORDER BY nspname) FROM pg_namespace WHERE nspname IN ($SCHEMAS)")
equal "each service and the bureau's instance own their schema" "$owners" \
    "employment=sifang_employment evaluation=sifang_evaluation gateway=sifang_gateway grid=sifang_grid intake=sifang_intake intake_civil_affairs=sifang_intake_civil_affairs volunteer=sifang_volunteer"
for name in "${CITY_DAEMONS[@]}"; do
    service=${name#shibei-}
    database=sifang_shibei
    [[ $name == evaluation-city ]] && service=evaluation database=sifang_city
    users=$(super "SELECT string_agg(DISTINCT usename || '@' || datname, ' ') FROM pg_stat_activity WHERE application_name = 'sifang-$name'")
    equal "$name connects as $service's role to its own database" "$users" "sifang_$service@$database"
done
tables=$(super "SELECT count(*) FROM pg_class WHERE relnamespace = 'intake_civil_affairs'::regnamespace AND relkind = 'r'")
check "the bureau's instance made its tables in its own schema ($tables)" test "${tables:-0}" -gt 0
foreign=$(super "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ($SCHEMAS) AND c.relowner <> ('sifang_' || n.nspname)::regrole")
equal "everything in a service's schema is its role's (the upgraded tables too)" "$foreign" 0
crossing=$(super "SELECT coalesce(string_agg(r.rolname || '->' || n.nspname, ' '), '') FROM pg_roles r CROSS JOIN pg_namespace n WHERE r.rolname IN ('sifang_grid', 'sifang_intake', 'sifang_intake_civil_affairs', 'sifang_employment', 'sifang_volunteer', 'sifang_evaluation', 'sifang_gateway') AND n.nspname IN ($SCHEMAS, 'public') AND r.rolname <> 'sifang_' || n.nspname AND (has_schema_privilege(r.oid, n.oid, 'USAGE') OR has_schema_privilege(r.oid, n.oid, 'CREATE'))")
equal "no service role may use another's schema or public" "$crossing" ""

# 4. Passwords.
source_env() { sed -n "s/^export \([A-Z]*\)='\{0,1\}\([^']*\)'\{0,1\}$/\1=\2/p" "$var/pg/env"; }
mapfile -t cluster < <(source_env | grep -E '^PG(HOST|PORT)=')
as_role() { # as_role ROLE PASSFILE SQL: psql as ROLE with that password file
    env "${cluster[@]}" PGDATABASE=sifang PGUSER="$1" PGPASSFILE="$2" psql -X -w -At -c "$3" 2>&1
}
equal "grid's role logs in with its password file" "$(as_role sifang_grid "$var/secrets/grid.pgpass" 'SELECT current_user')" sifang_grid
check "grid's role is refused without its password" \
    grep -q "password" <<<"$(as_role sifang_grid /dev/null 'SELECT current_user')"
sed 's/^\([^:]*:[^:]*:[^:]*:\)sifang_intake:/\1sifang_grid:/' "$var/secrets/intake.pgpass" >"$tmp/wrong.pgpass"
chmod 600 "$tmp/wrong.pgpass"
check "grid's role is refused with another service's password" \
    grep -q "password authentication failed" <<<"$(as_role sifang_grid "$tmp/wrong.pgpass" 'SELECT current_user')"
superuser=$(sed -n "s/^SIFANG_PG_SUPERUSER='\(.*\)'$/\1/p" "$var/pg/cluster")
refused_super=$(env "${cluster[@]}" PGHOST=127.0.0.1 PGDATABASE=sifang PGUSER="$superuser" \
    PGPASSFILE=/dev/null psql -X -w -At -c 'SELECT 1' 2>&1)
check "the superuser is refused over TCP" grep -q "password" <<<"$refused_super"
equal "var/secrets is the user's alone" "$(stat -c %a "$var/secrets")" 700
for name in "${DAEMONS[@]}"; do
    equal "$name's password file is mode 600" "$(stat -c %a "$var/secrets/$(schema_of "$name").pgpass")" 600
done
equal "every secret key file is mode 600" "$(stat -c %a "$var/keys"/*.key | sort -u)" 600
leaked=0
for name in "${DAEMONS[@]}"; do
    password=$(cut -d: -f5 "$var/secrets/$(schema_of "$name").pgpass")
    if grep -rqF -- "$password" "$var/log" "$var/pg/postgresql.log" "$tmp/up.out" "$var/cli.env" "$var/pg/env"; then
        fail "$name's password is in a log or an env file"
        leaked=1
    fi
done
((leaked)) || ok "no password in var/log, postgresql.log, up.sh's output or the env files"

# 5. CURVE.
for name in "${SERVERS[@]}" "$INSTANCE" "${CITY_DAEMONS[@]}"; do
    check "$name serves with CURVE on" grep -q '"msg":"serving".*"curve":"on"' "$var/log/$name.log"
done
cli() { (
    # shellcheck disable=SC1091
    source "$var/cli.env"
    "$build/tools/sifang" --timeout 1000 "$@"
); }
for name in "${SERVERS[@]}"; do
    reply=$(cli call "$name" Sys.Ping '{}' 2>&1)
    check "the operators' key of cli.env is admitted by $name ($reply)" \
        grep -Eq '"database_?[uU]p": ?true' <<<"$reply"
done
# The bureau's instance, by the CLI as its service with its endpoint and key
# (cli.env names both).
bureau() { (
    # shellcheck disable=SC1091
    source "$var/cli.env"
    SIFANG_INTAKE_ENDPOINT=$SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT \
        SIFANG_INTAKE_PUBLIC_KEY_FILE=$SIFANG_INTAKE_CIVIL_AFFAIRS_PUBLIC_KEY_FILE \
        "$build/tools/sifang" --timeout 1000 "$@"
); }
reply=$(bureau call intake Sys.Ping '{}' 2>&1)
check "the operators' key is admitted by the bureau's instance, which names itself intake@civil-affairs ($reply)" \
    grep -q '"instance": *"intake@civil-affairs"' <<<"$reply"
ASAN_OPTIONS=detect_leaks=0 "$build/tools/sifang-keygen" "$tmp/stranger" stranger >/dev/null
stranger=$(sed -n 's/^public-key = //p' "$tmp/stranger/stranger.pub")
(
    # shellcheck disable=SC1091
    source "$var/cli.env"
    SIFANG_CURVE_CLIENT_KEY_FILE=$tmp/stranger/stranger.key "$build/tools/sifang" --timeout 300 call grid Sys.Ping '{}' \
        >"$tmp/stranger.out" 2>&1
    echo $? >"$tmp/stranger.code"
)
equal "a key not on the allowlist gets no reply (exit 3)" "$(cat "$tmp/stranger.code")" 3
check "grid logs the unknown key it refused" grep -qF "$stranger" <<<"$(grep 'zap refused an unknown client key' "$var/log/grid.log")"
env "SIFANG_GRID_ENDPOINT=$SIFANG_GRID_ENDPOINT" "$build/tools/sifang" --timeout 300 call grid Sys.Ping '{}' >/dev/null 2>&1
equal "a client without CURVE gets no reply (exit 3)" "$?" 3
http=$(grep '"serving"' "$var/log/gateway.log" | tail -n 1 | sed -n 's/.*"http":"\([^"]*\)".*/\1/p')
check "up.sh says where the API is ($http)" grep -q "API:        http://$http/v1/" "$tmp/up.out"
# The workbench: served at / when the build made it (node and npm present),
# and up.sh gives its address.
if [[ -r $build/workbench/dist/index.html ]]; then
    check "up.sh says where the workbench is" grep -q "workbench:  http://$http/ " "$tmp/up.out"
    check "the gateway serves the workbench at /" grep -q "<title>四方工作台</title>" <<<"$(curl -s "http://$http/")"
else
    check "up.sh says the workbench is not built" grep -q "workbench:  not built" "$tmp/up.out"
fi
readyz=$(curl -s -o "$tmp/readyz" -w '%{http_code}' "http://$http/readyz")
equal "the gateway reaches every service with its key (/readyz)" "$readyz" 200
reached=$(python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["services"]["intake@civil-affairs"]
print(s["reachable"], s["instance"], s["database_up"])' "$tmp/readyz" 2>&1)
equal "/readyz reaches the bureau's instance" "$reached" "True intake@civil-affairs True"
reached=$(python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["services"]["evaluation@city"]
print(s["reachable"], s["instance"], s["database_up"])' "$tmp/readyz" 2>&1)
equal "/readyz reaches the city's evaluation" "$reached" "True evaluation@city True"
check "up.sh says where the city's ranking is" \
    grep -q "http://$http/v1/instances/evaluation@city/evaluation/city-scorecards/" "$tmp/up.out"
items=$(curl -s "http://$http/v1/instances/intake@civil-affairs/intake/items?page_size=200" \
    | python3 -c 'import json, sys; print(" ".join(sorted(i["code"] for i in json.load(sys.stdin)["items"])))' 2>&1)
equal "the gateway reaches the bureau's intake at /v1/instances/intake@civil-affairs/intake/items (its catalogue)" "$items" \
    "$(super "SELECT string_agg(code, ' ' ORDER BY code COLLATE \"C\") FROM intake_civil_affairs.service_item")"
check "up.sh says where the bureau's intake is" \
    grep -q "http://$http/v1/instances/intake@civil-affairs/intake/" "$tmp/up.out"

# 6. Demo accounts: a small demo district in grid (the loader with the
#    operators' key, as up.sh runs it; its marker as up.sh leaves it), then
#    up.sh makes one account per role from grid's staff.
accounts_tool=$build/services/gateway/sifang-gateway-accounts
if [[ -x $accounts_tool ]]; then
    if ( source "$var/cli.env" && "$build/tools/sifang-demo-load" --scale 0.01 ) >"$tmp/demo.out" 2>&1; then
        ok "the demo loader writes to grid with the operators' key"
        touch "$var/pg/demo-grid.done"
    else
        fail "the demo loader with the operators' key: $(tail -n 3 "$tmp/demo.out")"
    fi
    if bash "$root/scripts/up.sh" --no-setup --no-build --no-demo >"$tmp/up-accounts.out" 2>&1; then
        ok "up.sh makes the demo accounts"
    else
        fail "up.sh with the demo district failed: $(tail -n 5 "$tmp/up-accounts.out")"
    fi
    accounts=$var/secrets/demo-accounts.txt
    equal "the accounts file is the user's alone" "$(stat -c %a "$accounts" 2>&1)" 600
    equal "the accounts file names every people role once, and the bureau's window" \
        "$(grep -v '^#' "$accounts" | cut -d' ' -f1,2 | sort | tr '\n' ' ')" \
        "demo.administrator administrator demo.appraisal_office appraisal_office demo.community_staff community_staff demo.department_staff department_staff demo.employment_counsellor employment_counsellor demo.leader leader demo.privacy_officer privacy_officer demo.street_staff street_staff demo.volunteer_coordinator volunteer_coordinator demo.window_clerk window_clerk demo.window_clerk.civil-affairs window_clerk demo.zone_cadre zone_cadre "
    # The bureau's window works at the bureau's own intake.
    read -r login _ password < <(grep '^demo.window_clerk.civil-affairs ' "$accounts")
    curl -s -o "$tmp/bureau.json" -H 'Content-Type: application/json' -H "Origin: http://$http" \
        -d "{\"login\":\"$login\",\"password\":\"$password\"}" "http://$http/v1/session"
    equal "the bureau's window account works at intake@civil-affairs ($(head -c 300 "$tmp/bureau.json"))" \
        "$(python3 -c 'import json, sys; r = json.load(sys.stdin); print(r.get("instance"), r.get("department_code"))' \
            <"$tmp/bureau.json" 2>&1)" "intake@civil-affairs civil-affairs"
    check "up.sh names the accounts file" grep -q "accounts:   .*demo-accounts.txt" "$tmp/up-accounts.out"
    listed=$(env PGUSER=sifang_gateway "PGPASSFILE=$var/secrets/gateway.pgpass" "${cluster[@]}" PGDATABASE=sifang \
        "$accounts_tool" list 2>/dev/null)
    staff=$(python3 -c 'import json, sys
accounts = json.loads(sys.stdin.read())
accounts = accounts.get("accounts", accounts) if isinstance(accounts, dict) else accounts
print(" ".join(sorted(a["login"] + "=" + (a.get("staff_id") or "-") for a in accounts)))' <<<"$listed" 2>&1)
    # Every account with a unit stands for a staff member grid knows.
    unknown=
    for pair in $staff; do
        id=${pair#*=}
        [[ $id == - ]] && continue
        reply=$(cli call grid StaffGet "{\"id\":\"$id\"}" 2>&1)
        grep -q "\"id\": *\"$id\"" <<<"$reply" || unknown+=" $pair"
    done
    check "the accounts' staff are grid's ($staff)" test -n "$staff" -a -z "$unknown"
    read -r login _ password < <(grep '^demo.community_staff ' "$accounts")
    status=$(curl -s -o "$tmp/login.json" -w '%{http_code}' -H 'Content-Type: application/json' \
        -H "Origin: http://$http" -d "{\"login\":\"$login\",\"password\":\"$password\"}" "http://$http/v1/session")
    equal "$login logs in with the password of the accounts file ($(head -c 200 "$tmp/login.json"))" "$status" 200
    status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -H "Origin: http://$http" -d "{\"login\":\"$login\",\"password\":\"${password}x\"}" "http://$http/v1/session")
    equal "$login with another password is refused" "$status" 401
    leaked=0
    while read -r login _ password; do
        if grep -rqF -- "$password" "$var/log" "$var/pg/postgresql.log" "$tmp"/up*.out; then
            fail "$login's password is in a log or up.sh's output"
            leaked=1
        fi
    done < <(grep -v '^#' "$accounts")
    ((leaked)) || ok "no account's password in a log or up.sh's output"
else
    echo "note $accounts_tool is not built: no demo accounts"
fi

# 6b. The demo's hand-offs (as up.sh runs scripts/demo-handoff.py after the
#     demo district): cases registered at the bureau's window handed to the
#     district's intake and the reverse. Each handed case is linked to
#     exactly one case on the other side, which begins with the sender's
#     steps (the same times and staff) and then HANDOFF_RECEIVED; the gateway
#     gives each side's history as SQL has it, the bureau's under
#     /v1/instances/intake@civil-affairs/; evaluation follows the bureau's log.
# shellcheck disable=SC1091
handoff_demo() { ( source "$var/cli.env" && python3 "$root/scripts/demo-handoff.py" --sifang "$build/tools/sifang" --timeout 60 ); }
# The cases of a schema, with their steps, as JSON.
cases_of() {
    super "SELECT coalesce(json_agg(json_build_object('id', c.id, 'registration', c.registration_number,
        'out', (SELECT json_build_object('to', o.to_instance, 'to_case', o.to_case_id, 'to_registration', o.to_registration, 'state', o.state)
                  FROM $1.case_handoff_out o WHERE o.case_id = c.id),
        'in', (SELECT json_build_object('from', i.from_instance, 'from_case', i.from_case_id, 'from_registration', i.from_registration)
                 FROM $1.case_handoff_in i WHERE i.case_id = c.id),
        'steps', (SELECT json_agg(json_build_array(h.seq, h.action, (extract(epoch FROM h.at) * 1000)::bigint, h.actor_id) ORDER BY h.seq)
                    FROM $1.case_history h WHERE h.case_id = c.id)) ORDER BY c.id), '[]') FROM $1.intake_case c"
}
if [[ -e $var/pg/demo-grid.done ]]; then
    if handoff_demo >"$tmp/handoff.out" 2>&1; then
        ok "the hand-off demo: $(tail -n 1 "$tmp/handoff.out")"
    else
        fail "the hand-off demo: $(tail -n 5 "$tmp/handoff.out")"
    fi
    cases_of intake >"$tmp/district.json"
    cases_of intake_civil_affairs >"$tmp/bureau.json"
    for side in district bureau; do
        if [[ $side == bureau ]]; then prefix=v1/instances/intake@civil-affairs/intake; else prefix=v1/intake; fi
        for id in $(python3 -c 'import json, sys; print(" ".join(str(c["id"]) for c in json.load(open(sys.argv[1]))))' "$tmp/$side.json"); do
            curl -s "http://$http/$prefix/cases/$id/history" >"$tmp/$side-$id.history.json"
        done
    done
    verdict=$(python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
name = {"district": "intake", "bureau": "intake@civil-affairs"}
other = {"district": "bureau", "bureau": "district"}
cases = {side: {c["id"]: c for c in json.load(open(f"{tmp}/{side}.json"))} for side in name}
problems, handed = [], {"district": 0, "bureau": 0}
for side, mine in cases.items():
    for case in mine.values():
        # Through the gateway, the history SQL has: every step's seq, time and staff.
        history = json.load(open(f"{tmp}/{side}-{case['id']}.history.json"))
        seen = [[t["seq"], t["at_unix_ms"], t["actor_id"]] for t in history["transitions"]]
        if seen != [[s[0], s[2], s[3]] for s in case["steps"]] or history["current"]["registration_number"] != case["registration"]:
            problems.append(f"{side} case {case['id']}: the gateway's history differs from SQL")
        out = case["out"]
        if not out:
            continue
        handed[side] += 1
        there = cases[other[side]]
        received = [c for c in there.values() if c["in"] and c["in"]["from"] == name[side] and c["in"]["from_case"] == case["id"]]
        if out["to"] != name[other[side]] or out["state"] != 2 or len(received) != 1:
            problems.append(f"{side} case {case['id']}: handed {out}, received {len(received)} times")
            continue
        got = received[0]
        if (got["id"], got["registration"]) != (out["to_case"], out["to_registration"]) \
                or got["in"]["from_registration"] != case["registration"]:
            problems.append(f"{side} case {case['id']}: linked to {out['to_case']} but received as {got['id']}")
        sent = case["steps"][:[s[1] for s in case["steps"]].index(55) + 1] if 55 in [s[1] for s in case["steps"]] else None
        # The sender's steps to HANDOFF_SENT (55), then HANDOFF_RECEIVED (56); the sender links it (57).
        if sent is None or got["steps"][:len(sent)] != sent or [s[1] for s in got["steps"][len(sent):]] != [56] \
                or [s[1] for s in case["steps"][len(sent):]] != [57]:
            problems.append(f"{side} case {case['id']}: steps {case['steps']} received as {got['steps']}")
        labels = [t["action"] for t in json.load(open(f"{tmp}/{other[side]}-{got['id']}.history.json"))["transitions"]]
        if labels[-2:] != ["CASE_ACTION_HANDOFF_SENT", "CASE_ACTION_HANDOFF_RECEIVED"]:
            problems.append(f"{other[side]} case {got['id']}: the gateway's steps end {labels[-2:]}")
print("; ".join(problems) or f"ok {handed['bureau']} {handed['district']} {len(cases['bureau'])} {len(cases['district'])}")
PY
)
    equal "the bureau handed 2 cases to the district and the district 2 to the bureau, each received once with the sender's steps, as the gateway shows them (bureau 5 cases, district 4)" \
        "$verdict" "ok 2 2 5 4"
    head=$(bureau call intake Sys.Ping '{}' | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d.get("event_head", d.get("eventHead")))' 2>&1)
    for _ in $(seq 100); do
        cursor=$(super "SELECT last_seq FROM evaluation.event_cursor WHERE source = 'intake@civil-affairs'")
        [[ $cursor == "$head" ]] && break
        sleep 0.1
    done
    equal "evaluation follows the bureau's instance to its head" "$cursor" "$head"
    before=$(cases_of intake; cases_of intake_civil_affairs)
    handoff_demo >"$tmp/handoff2.out" 2>&1 || fail "the hand-off demo again: $(tail -n 3 "$tmp/handoff2.out")"
    equal "the hand-off demo again hands and registers nothing more" "$(cases_of intake; cases_of intake_civil_affairs)" "$before"
fi

# 6c. The people's 述职 (as up.sh runs scripts/demo-appraisal.py last), for
#     two communities and their street: each head and reviewer grid names
#     logs in to the gateway with an account of their own and submits their
#     report; the person above grades it from their own session (a
#     reviewer by the unit's head, a community's head by the street's, the
#     street's by the appraisal office); each 优秀 is considered for an
#     award. Against SQL over grid's and evaluation's tables: one report a
#     person, by the person, with figures, graded by the one above; 优秀 for
#     at most a fifth; an award decision for each 优秀 and no one else,
#     awarded exactly when the unit's survey is not below the line; the
#     accounts file the user's alone, no password in a log; again, nothing.
# shellcheck disable=SC1091
appraisal_demo() { (
    source "$var/cli.env"
    env PGUSER=sifang_gateway "PGPASSFILE=$var/secrets/gateway.pgpass" "${cluster[@]}" PGDATABASE=sifang \
        python3 "$root/scripts/demo-appraisal.py" --gateway "http://$http/" --sifang "$build/tools/sifang" \
        --accounts-tool "$accounts_tool" --accounts-file "$var/secrets/demo-appraisal-accounts.txt" --communities 2
); }
if [[ -e $var/pg/demo-grid.done && -x $accounts_tool ]]; then
    if appraisal_demo >"$tmp/appraisal.out" 2>&1; then
        ok "the 述职 demo: $(tail -n 1 "$tmp/appraisal.out")"
    else
        fail "the 述职 demo: $(tail -n 5 "$tmp/appraisal.out")"
    fi
    period=$(python3 -c 'import datetime, zoneinfo; n = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai"))
print(f"{n.year - 1}-H2" if n.month <= 6 else f"{n.year}-H1")')
    office=$(sed -n 's/^shuzhi\.\(s[0-9]*\) appraisal_office .*/\1/p' "$var/secrets/demo-appraisal-accounts.txt" | tr s S)
    verdict=$(super "WITH c AS (SELECT code, parent_code FROM grid.org_unit WHERE kind = 3 ORDER BY code LIMIT 2),
        units AS (SELECT code FROM c UNION SELECT parent_code FROM c),
        post AS (SELECT r.unit_code, r.kind, 'S' || lpad(r.staff_serial::text, 5, '0') AS id
                   FROM grid.responsibility r WHERE r.kind IN (5, 6) AND r.unit_code IN (SELECT code FROM units)),
        want AS (SELECT p.id, p.unit_code, CASE WHEN p.kind = 6 THEN h.id WHEN o.kind = 3 THEN s.id ELSE '$office' END AS grader
                   FROM post p JOIN grid.org_unit o ON o.code = p.unit_code
                   LEFT JOIN post h ON h.unit_code = p.unit_code AND h.kind = 5
                   LEFT JOIN post s ON s.unit_code = o.parent_code AND s.kind = 5)
        SELECT count(*), count(*) FILTER (WHERE r.submitted_by = w.id AND r.unit_code = w.unit_code
                 AND r.graded_by = w.grader AND r.grade BETWEEN 1 AND 3 AND r.figures IS NOT NULL AND r.version = 2),
               (SELECT count(*) FROM evaluation.appraisal_report WHERE staff_id <> '' AND period = '$period'),
               count(*) FILTER (WHERE r.grade = 1) <= greatest(1, count(*) / 5)
          FROM want w LEFT JOIN evaluation.appraisal_report r ON r.staff_id = w.id AND r.period = '$period'" | tr '|' ' ')
    read -r people right reports quota <<<"$verdict"
    equal "every head and reviewer of the units reported as themselves, graded by the one above ($verdict)" \
        "$right $reports $quota" "$people $people t"
    awards=$(super "SELECT count(*) FILTER (WHERE r.grade = 1), count(a.id),
            count(*) FILTER (WHERE r.grade = 1 AND a.id IS NOT NULL AND a.appraisal_grade = 1 AND a.decided_by = '$office'
              AND a.outcome = CASE WHEN NOT a.has_survey OR a.survey_satisfaction >= 60 THEN 1 ELSE 2 END)
          FROM evaluation.appraisal_report r LEFT JOIN evaluation.award_decision a ON a.appraisal_report_id = r.id
         WHERE r.staff_id <> '' AND r.period = '$period'" | tr '|' ' ')
    read -r excellent decided linked <<<"$awards"
    equal "each 优秀 considered once, awarded exactly when the survey allows ($awards)" "$decided $linked" "$excellent $excellent"
    equal "the 述职 accounts file is the user's alone" "$(stat -c %a "$var/secrets/demo-appraisal-accounts.txt" 2>&1)" 600
    equal "an account a person ($((people + 1)) in the file)" \
        "$(grep -c '^shuzhi\.' "$var/secrets/demo-appraisal-accounts.txt")" "$((people + 1))"
    leaked=0
    while read -r login _ password; do
        grep -rqF -- "$password" "$var/log" "$var/pg/postgresql.log" "$tmp"/*.out && leaked=1
    done < <(grep -v '^#' "$var/secrets/demo-appraisal-accounts.txt")
    equal "no 述职 account's password in a log" "$leaked" 0
    before=$(super "SELECT string_agg(r.id || ':' || r.version || ':' || r.grade, ' ' ORDER BY r.id) FROM evaluation.appraisal_report r;
                    SELECT count(*) FROM evaluation.award_decision")
    appraisal_demo >"$tmp/appraisal2.out" 2>&1 || fail "the 述职 demo again: $(tail -n 3 "$tmp/appraisal2.out")"
    equal "the 述职 demo again writes nothing" "$(super "SELECT string_agg(r.id || ':' || r.version || ':' || r.grade, ' ' ORDER BY r.id)
        FROM evaluation.appraisal_report r; SELECT count(*) FROM evaluation.award_decision")" "$before"
fi

# 6c. The city level: the city follows Sifang alone until Shibei joins.
#     Shibei's grid gets its district (the demo loader, --district shibei),
#     the marker says it joined, and up.sh again restarts the city with
#     Shibei's sources; each district's cursor then at its grid's head. The
#     city's ranking for a year (a scheme of grid's figures, defined here)
#     against SQL over both databases, through the CLI and the gateway; and
#     scripts/demo-city.py's half-years with both districts.
city() { (
    # shellcheck disable=SC1091
    source "$var/cli.env"
    SIFANG_EVALUATION_ENDPOINT=$SIFANG_EVALUATION_CITY_ENDPOINT "$build/tools/sifang" --timeout 5000 "$@"
); }
in_db() { pgsh psql "$var/pg" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
sources=$(city call evaluation SourceList '{}' | python3 -c 'import json, sys; print(" ".join(s["source"] for s in json.load(sys.stdin)["sources"]))' 2>&1)
equal "before Shibei joins, the city follows Sifang's instances alone" "$sources" \
    "sifang:grid sifang:intake sifang:intake@civil-affairs sifang:employment sifang:volunteer"
if ( source "$var/cli.env" && SIFANG_GRID_ENDPOINT=$SIFANG_SHIBEI_GRID_ENDPOINT \
        "$build/tools/sifang-demo-load" --district shibei --scale 0.01 --seed 2013 ) >"$tmp/shibei.out" 2>&1; then
    ok "Shibei's grid gets 市北区 from the demo loader: $(grep -o '市北区 370203[^:]*' "$tmp/shibei.out" | head -n 1)"
else
    fail "Shibei's demo load: $(tail -n 3 "$tmp/shibei.out")"
fi
equal "Shibei's district is in its own database, not Sifang's" \
    "$(in_db sifang_shibei "SELECT name FROM grid.org_unit WHERE kind = 1"):$(super "SELECT count(*) FROM grid.org_unit WHERE code LIKE '370203%'")" "市北区:0"
city_pid=$(cat "$var/run/evaluation-city.pid")
touch "$var/pg/city-shibei.joined"
bash "$root/scripts/up.sh" --no-setup --no-build --no-demo >"$tmp/up-join.out" 2>&1 || fail "up.sh with Shibei joining: $(tail -n 5 "$tmp/up-join.out")"
check "up.sh restarts the city with Shibei's sources" grep -q "evaluation-city (pid $city_pid) runs with older settings: restarting it" "$tmp/up-join.out"
for _ in $(seq 300); do
    caught=$(city call evaluation SourceList '{}' | python3 -c 'import json, sys; r = json.load(sys.stdin)
s = {x["source"]: (int(x.get("cursor", 0)), int(x.get("head", 0))) for x in r["sources"]}
print("yes" if not r.get("catching_up") and "shibei:grid" in s and s["shibei:grid"][0] == s["shibei:grid"][1] > 0 else "no")' 2>&1)
    [[ $caught == yes ]] && break
    sleep 0.2
done
equal "the city has caught up with Shibei's history" "$caught" yes
for district in sifang shibei; do
    variable=SIFANG_GRID_ENDPOINT
    [[ $district == shibei ]] && variable=SIFANG_SHIBEI_GRID_ENDPOINT
    head=$( ( source "$var/cli.env" && SIFANG_GRID_ENDPOINT=${!variable} "$build/tools/sifang" call grid Sys.Ping '{}' ) \
        | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d.get("event_head", d.get("eventHead")))' 2>&1)
    equal "the city's cursor $district:grid is at that grid's head" \
        "$(in_db sifang_city "SELECT last_seq FROM evaluation.event_cursor WHERE source = '$district:grid'")" "$head"
done
# Every source with events has its cursor (an empty log has none yet).
equal "a cursor per district instance in the city's database, each at its source's head" \
    "$(in_db sifang_city "SELECT string_agg(source || '=' || last_seq, ' ' ORDER BY source) FROM evaluation.event_cursor")" \
    "$(city call evaluation SourceList '{}' | python3 -c 'import json, sys
print(" ".join(sorted("%s=%s" % (s["source"], s["head"]) for s in json.load(sys.stdin)["sources"] if int(s.get("head", 0)) > 0)))')"
year=$(TZ=Asia/Shanghai date +%Y)
city call evaluation KpiDefine '{"code":"up_residents_per_household","name":"每户居民数","numerator":"#{residents}","denominator":"#{households}"}' >/dev/null \
    && city call evaluation KpiDefine '{"code":"up_difficulty_per_100","name":"每百户困难家庭数","numerator":"#{households_in_difficulty}","denominator":"#{households}","factor":100,"direction":"KPI_DIRECTION_LOWER_BETTER"}' >/dev/null \
    && city call evaluation SchemeDefine "{\"period\":\"$year\",\"name\":\"up_test 全市比较\",\"items\":[{\"kpi_code\":\"up_residents_per_household\",\"weight\":2,\"target\":3,\"threshold\":2},{\"kpi_code\":\"up_difficulty_per_100\",\"weight\":1,\"target\":0,\"threshold\":20}]}" >/dev/null \
    || fail "defining the city's KPIs and scheme for $year"
city call evaluation CityScorecardGet "{\"period\":\"$year\"}" >"$tmp/city.json" 2>&1
curl -s "http://$http/v1/instances/evaluation@city/evaluation/city-scorecards/$year" >"$tmp/city-gateway.json"
figures() { in_db "$1" "SELECT count(*), (SELECT count(*) FROM grid.resident), count(*) FILTER (WHERE EXISTS (SELECT FROM unnest(flags) AS f WHERE f <> 0)) FROM grid.household" | tr '|' ' '; }
verdict=$(python3 - "$tmp/city.json" "$tmp/city-gateway.json" "$(figures sifang)" "$(figures sifang_shibei)" <<'PY'
import json, sys
card, through = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sql = {"370205": [int(x) for x in sys.argv[3].split()], "370203": [int(x) for x in sys.argv[4].split()]}
problems = []
def score(value, target, threshold):
    progress = (value - threshold) / (target - threshold)
    return 100 if progress >= 1 else 0 if progress <= 0 else 100 * progress
composites = {}
for d in card.get("districts", []):
    households, residents, difficult = sql[d["unit_code"]]
    want = [residents / households, 100 * difficult / households]
    targets = [(3, 2, 2), (0, 20, 1)]
    weighted = 0
    for item, value, (target, threshold, weight) in zip(d["items"], want, targets):
        if not item.get("has_value") or abs(item.get("value", 0) - value) > 1e-9 or abs(item.get("score", 0) - score(value, target, threshold)) > 1e-9:
            problems.append(f"{d['unit_name']} {item['kpi_code']}: {item.get('value')} against SQL's {value}")
        weighted += weight * score(value, target, threshold)
    composites[d["unit_code"]] = weighted / 3
    if abs(d.get("composite", 0) - weighted / 3) > 1e-9 or d.get("ranked") != 2:
        problems.append(f"{d['unit_name']}: composite {d.get('composite')} against {weighted / 3}, ranked {d.get('ranked')}")
best = sorted(composites, key=lambda c: -composites[c])
ranks = {d["unit_code"]: d.get("rank") for d in card.get("districts", [])}
if [d["unit_code"] for d in card.get("districts", [])] != best or ranks.get(best[0]) != 1 \
        or ranks.get(best[1]) != (1 if composites[best[0]] == composites[best[1]] else 2):
    problems.append(f"ranks {ranks} against composites {composites}")
names = sorted(d["unit_name"] for d in card.get("districts", []))
if names != ["四方区", "市北区"]:
    problems.append(f"districts {names}")
followed = [(f["name"], len(f["sources"])) for f in card.get("followed", [])]
if followed != [("sifang", 5), ("shibei", 4)]:
    problems.append(f"followed {followed}")
if [(d["unit_code"], d.get("rank"), d.get("composite")) for d in through.get("districts", [])] \
        != [(d["unit_code"], d.get("rank"), d.get("composite")) for d in card.get("districts", [])]:
    problems.append("the gateway's reply differs from the CLI's")
print("; ".join(problems) or "ok " + " ".join(f"{c}:{composites[c]:.3f}" for c in best))
PY
)
check "the city ranks 四方区 and 市北区 on grid's figures as SQL has them in both databases, through the CLI and the gateway ($verdict)" \
    grep -q '^ok ' <<<"$verdict"
if ( source "$var/cli.env" && SIFANG_EVALUATION_ENDPOINT=$SIFANG_EVALUATION_CITY_ENDPOINT \
        python3 "$root/scripts/demo-city.py" --sifang "$build/tools/sifang" --timeout 60 --districts sifang shibei ) >"$tmp/demo-city.out" 2>&1; then
    ok "demo-city.py ranks both districts for both half-years: $(sed -n 2p "$tmp/demo-city.out")"
else
    fail "demo-city.py: $(tail -n 3 "$tmp/demo-city.out")"
fi

# 7. Again: nothing changes.
pids_before=$(cat "$var/run"/*.pid | sort | tr '\n' ' ')
secrets_before=$(cat "$var/secrets"/* "$var/keys"/* | sha256sum)
accounts_before=$(env PGUSER=sifang_gateway "PGPASSFILE=$var/secrets/gateway.pgpass" "${cluster[@]}" PGDATABASE=sifang \
    "$accounts_tool" list 2>/dev/null | sha256sum)
if bash "$root/scripts/up.sh" --no-setup --no-build --no-demo >"$tmp/up2.out" 2>&1; then
    ok "up.sh again succeeds"
else
    fail "up.sh again failed: $(tail -n 5 "$tmp/up2.out")"
fi
equal "up.sh again leaves the daemons running" "$(cat "$var/run"/*.pid | sort | tr '\n' ' ')" "$pids_before"
equal "up.sh again keeps every password and key" "$(cat "$var/secrets"/* "$var/keys"/* | sha256sum)" "$secrets_before"
equal "up.sh again leaves the accounts as they are" "$(env PGUSER=sifang_gateway "PGPASSFILE=$var/secrets/gateway.pgpass" \
    "${cluster[@]}" PGDATABASE=sifang "$accounts_tool" list 2>/dev/null | sha256sum)" "$accounts_before"
equal "up.sh again: every daemon already running" "$(grep -c 'already running' "$tmp/up2.out")" \
    "$((${#DAEMONS[@]} + ${#CITY_DAEMONS[@]}))"
reply=$(cli call grid Sys.Ping '{}' 2>&1)
check "grid still admits the operators' key" grep -Eq '"database_?[uU]p": ?true' <<<"$reply"

# 8. Down.
if bash "$root/scripts/down.sh" >"$tmp/down.out" 2>&1; then
    ok "down.sh stops every daemon cleanly"
else
    fail "down.sh: $(cat "$tmp/down.out")"
fi
# Still running as a daemon's binary: a pid reused meanwhile by another
# program (pid_max can be 32768 on a busy machine) is not one of ours.
alive=
for pid in $pids_before; do
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    [[ $exe == */sifang-* ]] && alive+=" $pid:${exe##*/}"
done
equal "no daemon is left running" "${alive# }" ""

if ((failures)); then
    echo "up_test: $failures failure(s)"
    exit 1
fi
echo "up_test: all checks passed"
