#!/usr/bin/env python3
"""docker-compose.yml without Docker: every daemon of `docker-compose config`
runs here as a process with exactly the environment the file gives its
container, its keys made by the file's own keys command, its database laid
out by the file's PostgreSQL init script. Only what a container changes is
changed: a ZeroMQ endpoint (tcp://host:port, bound or connected to) becomes
an ipc socket in a temporary directory, the gateway's HTTP port one it binds
itself (port 0) and says in its serving line, the key volume a temporary
directory, PostgreSQL the test cluster. No port is picked here: a port that
was free when this script looked could be taken before the daemon binds it. Then each daemon must pass
the file's own healthcheck (CURVE on every link, the gateway's /readyz last),
the operators' CLI key must be admitted, evaluation must follow every source
instance the file names, and every daemon must exit 0 on SIGTERM.

    compose_smoke.py --build DIR      (ctest deploy_compose_smoke, fixture pg_cluster)"""

import argparse
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
import check  # noqa: E402
import render  # noqa: E402

failures = []
# Where the images carry the staff workbench (deploy/docker/Dockerfile), as
# the gateway's SIFANG_GATEWAY_WORKBENCH_DIR names it (deploy/services.txt).
IMAGE_WORKBENCH_DIR = "/usr/local/share/sifang/workbench"


def fail(message):
    failures.append(message)
    print(f"FAIL {message}", flush=True)


def ok(message):
    print(f"ok   {message}", flush=True)


def serving_line(log_path, process, timeout_s=30):
    """The daemon's "serving" log line (one JSON object per line) as a dict,
    once it has logged it; None if it exits or takes longer than timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in Path(log_path).read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("msg") == "serving":
                return record
        if process.poll() is not None:
            return None
        time.sleep(0.05)
    return None


def test_cluster_env():
    directory = os.environ.get("SIFANG_TEST_PG")
    if not directory or not Path(directory, "env").exists():
        sys.exit("FAIL no test cluster: SIFANG_TEST_PG (the pg_cluster fixture)")
    env = {}
    for line in Path(directory, "env").read_text().splitlines():
        match = re.match(r"export (\w+)=(.*)", line)
        if match:
            env[match.group(1)] = shlex.split(match.group(2))[0] if match.group(2) else ""
    return env


def start_order(config, compose_file):
    """The services in the order docker-compose would start them."""
    written = list(__import__("yaml").safe_load(Path(compose_file).read_text())["services"])
    order, placed = [], set()
    while len(order) < len(written):
        progressed = False
        for name in written:
            needs = set((config["services"][name].get("depends_on") or {}))
            if name not in placed and needs <= placed:
                order.append(name)
                placed.add(name)
                progressed = True
        if not progressed:
            sys.exit("FAIL depends_on has a cycle")
    return order


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    args = parser.parse_args()
    build = Path(args.build).resolve()
    compose_file = HERE.parent / "docker-compose.yml"
    config, error = check.compose_config(compose_file)
    if config is None:
        sys.exit(f"FAIL docker-compose config: {error}")
    services = config["services"]
    built = check.built_daemons(build)
    cluster = test_cluster_env()
    tools = build / "tools"

    # Every ZeroMQ port of the compose network (tcp://host:port) and every
    # HTTP port a daemon listens on (*:port); every host name of the compose
    # network is this machine.
    zmq_ports, http_ports = set(), {}
    for entry in services.values():
        for value in (entry.get("environment") or {}).values():
            zmq_ports.update(re.findall(r"tcp://[^:/\s]+:(\d+)", str(value)))
            for port in re.findall(r"(?:^|\s)(?:\*|0\.0\.0\.0):(\d+)", str(value)):
                http_ports[port] = "0"   # until the daemon says which port it got
    hosts = set(services)

    with tempfile.TemporaryDirectory(prefix="sifang-compose-") as work:
        work = Path(work)
        keys = work / "keys"
        keys.mkdir(mode=0o700)
        # The workbench the images carry (deploy/docker/Dockerfile) is this
        # build's (workbench/dist), or a page of its own where node was
        # missing and the build made none.
        workbench = build / "workbench" / "dist"
        if not (workbench / "index.html").is_file():
            workbench = work / "workbench"
            workbench.mkdir()
            (workbench / "index.html").write_text("<!doctype html><title>四方工作台</title>\n")

        local = hosts | {"*", "0.0.0.0", "127.0.0.1", "localhost"}

        def translate(value):
            """A ZeroMQ endpoint of the compose network becomes an ipc socket
            (the same path for the daemon that binds it and the ones that
            connect); an HTTP host:port the loopback with the port its
            daemon got (0, to bind, before it serves)."""
            value = str(value).replace(render.KEY_DIR, str(keys)).replace(IMAGE_WORKBENCH_DIR, str(workbench))
            value = re.sub(r"tcp://([A-Za-z0-9.*_-]+):(\d+)",
                           lambda m: f"ipc://{work}/zmq-{m.group(2)}"
                           if m.group(1) in local and m.group(2) in zmq_ports else m.group(0), value)
            return re.sub(r"(^|//)([A-Za-z0-9.*_-]+):(\d+)",
                          lambda m: f"{m.group(1)}127.0.0.1:{http_ports[m.group(3)]}"
                          if m.group(2) in local and m.group(3) in http_ports else m.group(0), value)

        def environment(entry):
            env = {k: v for k, v in os.environ.items() if not k.startswith(("SIFANG_", "PG"))}
            env.update({k: translate(v) for k, v in (entry.get("environment") or {}).items()})
            for variable in ("PGHOST", "PGPORT"):
                env[variable] = cluster[variable]
            env["PGDATABASE"] = "deploy_compose_smoke"
            env["PATH"] = f"{tools}:{env.get('PATH', '/usr/bin:/bin')}"
            env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
            return env

        # The database, as the postgres service lays it out on its first start.
        superuser = {**os.environ, **cluster, "PGDATABASE": "postgres", "PGOPTIONS": "-c client_min_messages=warning"}
        subprocess.run(["psql", "-X", "-q", "-c", "DROP DATABASE IF EXISTS deploy_compose_smoke",
                        "-c", "CREATE DATABASE deploy_compose_smoke"], env=superuser, check=True)
        postgres = services["postgres"]["environment"]
        init = subprocess.run(
            ["bash", str(HERE / "postgres" / "initdb.d" / "10-sifang.sh")], capture_output=True, text=True,
            env={**superuser, **postgres, "POSTGRES_USER": cluster["PGUSER"], "POSTGRES_DB": "deploy_compose_smoke",
                 "LAYOUT_SQL": str(HERE / "postgres" / "layout.sql")})
        if init.returncode != 0:
            sys.exit(f"FAIL the postgres init script: {init.stderr.strip()}")
        ok(f"database laid out for {postgres['LAYOUT_SERVICES']}")

        # The keys, by the keys service's own command.
        made = subprocess.run([translate(word) for word in services["keys"]["command"]],
                              env={**os.environ, "PATH": f"{tools}:{os.environ.get('PATH', '')}",
                                   "ASAN_OPTIONS": "detect_leaks=0"}, capture_output=True, text=True)
        if made.returncode != 0:
            sys.exit(f"FAIL the keys service's command: {made.stderr.strip()}")
        ok(f"keys made: {' '.join(sorted(p.name for p in keys.iterdir()))}")

        running = {}
        try:
            for name in start_order(config, compose_file):
                entry = services[name]
                labels = entry.get("labels") or {}
                if labels.get("org.sifang.role") != "daemon":
                    continue
                daemon = labels.get("org.sifang.daemon", name)
                if daemon not in built:
                    print(f"note {name}: sifang-{daemon} is not built; skipped", flush=True)
                    continue
                waits_for_missing = [d for d in (entry.get("depends_on") or {})
                                     if d in services and (services[d].get("labels") or {}).get("org.sifang.role") == "daemon"
                                     and d not in running]
                env = environment(entry)
                log = open(work / f"{name}.log", "w")
                running[name] = (subprocess.Popen([str(built[daemon])], env=env, stdout=log, stderr=log,
                                                  stdin=subprocess.DEVNULL), env, log)
                # An HTTP listener bound port 0: the port it got, from its
                # serving line, is where its healthcheck finds it.
                listens = [port for value in (entry.get("environment") or {}).values()
                           for port in re.findall(r"(?:^|\s)(?:\*|0\.0\.0\.0):(\d+)", str(value))]
                if listens:
                    serving = serving_line(work / f"{name}.log", running[name][0])
                    said = re.search(r":(\d+)$", str((serving or {}).get("http", "")))
                    if said and said.group(1) != "0":
                        for port in listens:
                            http_ports[port] = said.group(1)
                        ok(f"{name} says it listens on {serving['http']}")
                    else:
                        fail(f"{name} did not say the HTTP port it got: {serving}")
                    where = (entry.get("environment") or {}).get("SIFANG_GATEWAY_WORKBENCH_DIR")
                    if where and said:
                        page = subprocess.run(["curl", "-s", f"http://127.0.0.1:{said.group(1)}/"],
                                              capture_output=True, text=True, timeout=30).stdout
                        if "<title>四方工作台</title>" in page:
                            ok(f"{name} serves the workbench at / (from {where})")
                        else:
                            fail(f"{name} does not serve the workbench at /: {page[:200]}")
                test = entry["healthcheck"]["test"]
                command = [translate(word) for word in test[1:]]
                deadline = time.monotonic() + 30
                while True:
                    probe = subprocess.run(command, env=env, capture_output=True, text=True)
                    if probe.returncode == 0:
                        ok(f"{name} healthy: {probe.stdout.strip()}")
                        break
                    if running[name][0].poll() is not None or time.monotonic() > deadline:
                        if waits_for_missing:
                            print(f"note {name}: not healthy without {', '.join(waits_for_missing)}: "
                                  f"{(probe.stdout + probe.stderr).strip()}", flush=True)
                        else:
                            fail(f"{name} not healthy: {(probe.stdout + probe.stderr).strip()}; its log:\n"
                                 + (work / f"{name}.log").read_text()[-2000:])
                        break
                    time.sleep(0.3)

            # The operators' key, as the cli service uses it.
            cli_env = environment(services["cli"])
            if "grid" in running:
                call = subprocess.run(["sifang", "call", "grid", "Sys.Ping", "{}"], env=cli_env,
                                      capture_output=True, text=True, timeout=30)
                if call.returncode == 0 and re.search(r'"database_?[uU]p"\s*:\s*true', call.stdout):
                    ok(f"the cli's key is admitted: {call.stdout.strip()}")
                else:
                    fail(f"sifang call grid Sys.Ping with the cli's key: {call.returncode} {call.stdout} {call.stderr}")

            # The district's intake hands cases to the instances the file
            # names (render.py's owns=): it started with them as peers, a
            # client open to each (its hand-off counters in Sys.Stats).
            intake_env = running.get("intake", (None, {}, None))[1]
            if intake_env.get("SIFANG_INTAKE_HANDOFF_PEERS"):
                stats = subprocess.run(["sifang", "call", "intake", "Sys.Stats", "{}"], env=cli_env,
                                       capture_output=True, text=True, timeout=30)
                if stats.returncode == 0 and "handoff.delivered" in stats.stdout:
                    ok(f"intake hands cases to {intake_env['SIFANG_INTAKE_HANDOFF_PEERS']}"
                       f" (owning {intake_env.get('SIFANG_INTAKE_OWNS')})")
                else:
                    fail(f"intake's Sys.Stats has no hand-off counters: {stats.returncode} {stats.stdout[:300]}"
                         f" {stats.stderr[:300]}")

            # evaluation follows every source instance the file names.
            for name, (process, env, _) in running.items():
                sources = env.get("SIFANG_EVALUATION_SOURCES")
                if not sources:
                    continue
                wanted = set(sources.split())
                deadline = time.monotonic() + 20
                seen = set()
                while time.monotonic() < deadline:
                    stats = subprocess.run(["sifang", "call", "evaluation", "Sys.Stats", "{}"], env=cli_env,
                                           capture_output=True, text=True, timeout=30)
                    seen = set(re.findall(r'"status":\s*"([^"]+)"', stats.stdout.split('"followers"', 1)[-1]))
                    if wanted <= seen:
                        break
                    time.sleep(0.5)
                reachable = {s for s in wanted if s.split("@")[0] in built}
                if reachable <= seen:
                    ok(f"{name} follows {' '.join(sorted(seen))}")
                else:
                    fail(f"{name} follows {sorted(seen)}, not all of {sorted(reachable)}")
        finally:
            for name, (process, _, log) in reversed(list(running.items())):
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                try:
                    code = process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    code = process.wait()
                log.close()
                if code == 0:
                    ok(f"{name} exited 0 on SIGTERM")
                else:
                    fail(f"{name} exited {code} on SIGTERM; its log:\n" + (work / f"{name}.log").read_text()[-3000:])
            subprocess.run(["psql", "-X", "-q", "-c", "DROP DATABASE IF EXISTS deploy_compose_smoke"],
                           env=superuser)
    if not running:
        fail("no daemon of docker-compose.yml is built: nothing ran")
    print(f"compose_smoke: {len(running)} daemon(s) run as docker-compose.yml says; {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
