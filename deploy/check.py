#!/usr/bin/env python3
"""Checks Sifang's deployments against the daemons that are built: every
daemon built has its place in each deployment, every place names a built
daemon, and every SIFANG_* (and PG*) variable a deployment sets is one that
daemon's settings table knows (tools/sifang-settings --json, the tables the
daemons load), with a value the table takes (sifang-settings --check: the
kind and bounds the daemon's start checks; a path is where the daemon runs,
so not checked here). The deploy tests (deploy/CMakeLists.txt) run it.

    check.py render                    rendered files up to date with deploy/services.txt
    check.py compose --build DIR       docker-compose config, then the daemons
    check.py k8s --build DIR           strict schema check of deploy/k8s and the Secrets
                                       render.py makes, then references, probes, policy
    check.py systemd --build DIR       systemd-analyze verify and security, env files
    check.py docker --build DIR        the Dockerfile: stages, user, health check,
                                       runtime packages against what the binaries link
    check.py selftest --build DIR      each check above fails on a broken input

A service of deploy/services.txt that the build tree does not have yet (its
sources have not landed: CMake generated no services/<name>/ for it) is
reported and skipped; one the build tree has must be built. Needs Python 3 with PyYAML, and for k8s the
Kubernetes client's models (Debian: python3-yaml python3-kubernetes)."""

import argparse
import base64
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
import render  # noqa: E402  (deploy/render.py: the list and how it is rendered)

LIBPQ_VARIABLES = {
    "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGPASSFILE",
    "PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGAPPNAME", "PGSSLMODE", "PGREQUIRESSL",
    "PGSSLCOMPRESSION", "PGSSLCERT", "PGSSLKEY", "PGSSLROOTCERT", "PGSSLCRL", "PGSSLCRLDIR",
    "PGSSLSNI", "PGSSLMINPROTOCOLVERSION", "PGSSLMAXPROTOCOLVERSION", "PGGSSENCMODE",
    "PGKRBSRVNAME", "PGGSSLIB", "PGCONNECT_TIMEOUT", "PGCLIENTENCODING",
    "PGTARGETSESSIONATTRS", "PGDATESTYLE", "PGTZ", "PGGEQO", "PGSYSCONFDIR", "PGLOCALEDIR",
}


class Report:
    """Problems found, printed as they come; the exit status at the end."""

    def __init__(self, what, quiet=False):
        self.what = what
        self.problems = []
        self.notes = []
        self.quiet = quiet

    def fail(self, message):
        self.problems.append(message)
        if not self.quiet:
            print(f"FAIL {self.what}: {message}")

    def note(self, message):
        self.notes.append(message)
        if not self.quiet:
            print(f"note {self.what}: {message}")

    def done(self, summary):
        print(f"{self.what}: {summary}; {len(self.problems)} problem(s)")
        return 1 if self.problems else 0


# --- the built daemons and what their --help says --------------------------------------

def built_daemons(build):
    """name -> path of every daemon in the build tree: services/<name>/sifang-<name>."""
    found = {}
    for path in sorted(Path(build, "services").glob("*/sifang-*")):
        name = path.parent.name
        if path.name == f"sifang-{name}" and path.is_file() and os.access(path, os.X_OK):
            found[name] = path
    return found


def landed(name, build):
    """Whether the build tree has the service (CMake generated its directory):
    then its daemon must be built. A service still being written is not there."""
    return Path(build, "services", name, "cmake_install.cmake").exists()


class Help:
    """The variables a daemon's settings table declares, as sifang-settings
    --json lists them (<SVC> already the daemon's own name); any other
    <PLACEHOLDER> stands for any name. check() asks sifang-settings --check
    about values."""

    def __init__(self, name, entries, settings_tool):
        self.name = name
        self.settings_tool = settings_tool
        self.explicit = set()
        self.patterns = []
        self.libpq = False
        for entry in entries:
            token = entry["name"]
            if entry["kind"] == "libpq":
                self.libpq = True
            elif "<" in token:
                pattern = re.sub(r"<[A-Za-z_]+>", "[A-Z0-9_]+", re.escape(token).replace("\\<", "<").replace("\\>", ">"))
                self.patterns.append(re.compile(pattern + r"\Z"))
            else:
                self.explicit.add(token)

    def lists(self, variable):
        if variable.startswith("PG"):
            return self.libpq and variable in LIBPQ_VARIABLES
        return variable in self.explicit or any(p.match(variable) for p in self.patterns)

    def peers(self, services):
        """Other services whose endpoint it names outright: it calls them."""
        return [s for s in services if s.name != self.name and f"SIFANG_{s.upper}_ENDPOINT" in self.explicit]

    def refused(self, env):
        """name -> why, for each SIFANG_* value of env the daemon's table
        refuses. Empty values are unset to the daemon; a value the
        deployment fills in (${...}, $(...)) is known only there."""
        values = [f"{k}={v}" for k, v in env.items() if k.startswith("SIFANG_") and isinstance(v, str)
                  and v and "$" not in v and self.lists(k)]
        if not values:
            return {}
        result = subprocess.run([str(self.settings_tool), "--check", self.name] + values, capture_output=True,
                                text=True, timeout=20, env={**os.environ, "ASAN_OPTIONS": "detect_leaks=0"})
        if result.returncode not in (0, 1):
            raise RuntimeError(f"sifang-settings --check {self.name} exited {result.returncode}:"
                               f" {result.stderr.strip()[:200]}")
        return {item["name"]: item["reason"] for item in json.loads(result.stdout)}


def settings_tables(build):
    """daemon -> its settings entries, from the build's sifang-settings --json."""
    tool = Path(build, "tools", "sifang-settings")
    result = subprocess.run([str(tool), "--json"], capture_output=True, text=True, timeout=20,
                            env={**os.environ, "ASAN_OPTIONS": "detect_leaks=0"})
    if result.returncode != 0:
        raise RuntimeError(f"{tool} --json exited {result.returncode}: {result.stderr.strip()[:200]}")
    return tool, json.loads(result.stdout)


def daemon_helps(build, report, services):
    """name -> Help (its settings table) of every built daemon."""
    try:
        tool, tables = settings_tables(build)
    except (RuntimeError, subprocess.TimeoutExpired, OSError, ValueError) as error:
        report.fail(f"cannot read the settings tables: {error}")
        return {}
    helps = {}
    for name in built_daemons(build):
        if name in tables:
            helps[name] = Help(name, tables[name], tool)
        else:
            report.fail(f"sifang-{name} has no settings table in sifang-settings --json (tools/sifang_settings.c)")
    return helps


def check_env(report, where, help, env, services, service=None):
    """The settings one deployment gives a daemon, against its table.
    service: the line of deploy/services.txt it is deployed as, if any."""
    curve = any(v in env for v in ("SIFANG_CURVE_SECRET_KEY_FILE", "SIFANG_CURVE_CLIENT_KEY_FILE"))
    for variable in env:
        if not (variable.startswith("SIFANG_") or variable.startswith("PG")):
            continue
        if not help.lists(variable):
            report.fail(f"{where} sets {variable}, which sifang-{help.name}'s settings table does not know")
    try:
        for variable, why in sorted(help.refused(env).items()):
            report.fail(f"{where}: {variable}={env[variable]}: sifang-{help.name} would refuse it at start: {why}")
    except (RuntimeError, subprocess.TimeoutExpired, OSError, ValueError) as error:
        report.fail(f"{where}: cannot check its values: {error}")
    if service and service.zmq:
        for suffix in ("ENDPOINT", "PUBLISH"):
            variable = f"SIFANG_{service.of_upper}_{suffix}"
            value = env.get(variable)
            if value is None:
                report.fail(f"{where} does not set {variable}: the daemon would bind the loopback only")
            elif not re.match(r"tcp://(\*|0\.0\.0\.0|\[::\]):\d+\Z", value):
                report.fail(f"{where}: {variable}={value} is not a bind address on every interface")
    for peer in help.peers(services):
        for suffix in ("ENDPOINT", "PUBLISH"):
            variable = f"SIFANG_{peer.upper}_{suffix}"
            if variable in help.explicit and variable not in env:
                report.fail(f"{where} does not set {variable} (sifang-{help.name}'s table lists it: it"
                            f" reaches {peer.name}); add {peer.name} to its calls= or follows= in"
                            " deploy/services.txt")
    for variable in env:
        match = re.fullmatch(r"SIFANG_([A-Z0-9_]+)_ENDPOINT", variable)
        if (curve and match and (not service or match.group(1) != service.of_upper)
                and f"SIFANG_{match.group(1)}_PUBLIC_KEY_FILE" not in env):
            report.fail(f"{where} has CURVE on but no SIFANG_{match.group(1)}_PUBLIC_KEY_FILE for it")


def check_handoff(report, where, envs, services, host_of):
    """Hand-off between intake instances (docs/operations.md, "City level
    and hand-off"): each intake line with owns= is deployed with its rule
    and every other such instance as its peer, reached at that instance's
    own router, with its key, and told the rule that instance itself runs
    with. envs: deployed name -> its environment; host_of(service): the
    host a peer is reached at in this kind of deployment."""
    group = [s for s in services if s.of == "intake" and s.owns]
    for service in group:
        env = envs.get(service.name)
        if env is None:
            continue
        place = f"{where} {service.name}"
        owns = env.get("SIFANG_INTAKE_OWNS", "")
        if set(owns.replace(",", " ").split()) != set(service.owns):
            report.fail(f"{place}: SIFANG_INTAKE_OWNS={owns!r} is not its owns= of deploy/services.txt"
                        f" ({','.join(service.owns)})")
        peers = [s for s in group if s is not service]
        listed = env.get("SIFANG_INTAKE_HANDOFF_PEERS", "").replace(",", " ").split()
        if sorted(listed) != sorted(p.instance_name for p in peers):
            report.fail(f"{place}: SIFANG_INTAKE_HANDOFF_PEERS={' '.join(listed)!r} is not the other intake instances"
                        f" with owns= ({' '.join(p.instance_name for p in peers)}): cases would not reach them")
        for peer in peers:
            stem = "SIFANG_HANDOFF_" + peer.instance_name.upper().replace("@", "_").replace("-", "_")
            endpoint = env.get(f"{stem}_ENDPOINT")
            wanted = f"tcp://{host_of(peer)}:{peer.router}"
            if endpoint != wanted:
                report.fail(f"{place}: {stem}_ENDPOINT={endpoint} is not {peer.name}'s router ({wanted})")
            key = env.get(f"{stem}_PUBLIC_KEY_FILE", "")
            if Path(key).name != f"{peer.name}.pub":
                report.fail(f"{place}: {stem}_PUBLIC_KEY_FILE={key!r} is not {peer.name}'s public key")
            told = set(env.get(f"{stem}_OWNS", "").replace(",", " ").split())
            runs = envs.get(peer.name, {}).get("SIFANG_INTAKE_OWNS")
            if told != set(peer.owns) or (runs is not None and told != set(runs.replace(",", " ").split())):
                report.fail(f"{place}: {stem}_OWNS={' '.join(sorted(told))!r} is not the rule {peer.name} runs with"
                            f" ({','.join(peer.owns)}): the two would disagree on where a case belongs")
            shared = told & set(owns.replace(",", " ").split())
            if shared:
                report.fail(f"{place}: it and {peer.name} both own {', '.join(sorted(shared))}: sifang-intake"
                            " refuses to start")


def check_coverage(report, where, placed, built, services, build):
    """placed: names of the daemons the deployment runs."""
    listed = {s.name for s in services}
    for name in sorted(built):
        if name not in placed:
            report.fail(f"daemon sifang-{name} is built but {where} has no place for it"
                        + ("" if name in listed else " (add it to deploy/services.txt and render)"))
    for name in sorted(placed):
        if name in built:
            continue
        if landed(name, build):
            report.fail(f"{where} runs {name}, which the build tree has but sifang-{name} is not built")
        elif name in listed:
            report.note(f"{name}: not in the build tree yet (services/{name} has not landed); its checks wait")
        else:
            report.fail(f"{where} runs {name}, which is no Sifang daemon")


# --- render --------------------------------------------------------------------------------

def check_render(args):
    return subprocess.run([sys.executable, str(HERE / "render.py"), "--check"]).returncode


# --- docker-compose ------------------------------------------------------------------------

COMPOSE_ROLES = {"database", "keys", "tool"}


def compose_config(compose_file):
    """docker-compose config of the file with a stand-in for every required
    variable; returns (parsed, error text)."""
    text = Path(compose_file).read_text()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIFANG_")}
    for variable in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):\?", text):
        env[variable] = f"stand-in-for-{variable.lower()}"
    with tempfile.TemporaryDirectory() as empty:
        # An empty env file: the developer's own .env plays no part.
        Path(empty, "empty.env").write_text("")
        result = subprocess.run(["docker-compose", "-f", str(compose_file), "--project-directory", str(ROOT),
                                 "--env-file", os.path.join(empty, "empty.env"), "config"],
                                capture_output=True, text=True, env=env, timeout=60)
    if result.returncode != 0:
        return None, (result.stderr or result.stdout).strip()
    return yaml.safe_load(result.stdout), ""


def check_compose_data(report, config, helps, services, built, build):
    table = render.by_name(services)
    compose_services = config.get("services", {})
    placed = set()
    for name, entry in compose_services.items():
        labels = entry.get("labels", {}) or {}
        if isinstance(labels, list):
            labels = dict(item.split("=", 1) for item in labels)
        role = labels.get("org.sifang.role")
        if role in COMPOSE_ROLES:
            continue
        if role != "daemon":
            report.fail(f"compose service {name} is neither a daemon (label org.sifang.role=daemon)"
                        f" nor one of {sorted(COMPOSE_ROLES)}")
            continue
        if labels.get("org.sifang.service") != name:
            report.fail(f"compose service {name}: label org.sifang.service is {labels.get('org.sifang.service')!r}")
        service = table.get(name)
        daemon = labels.get("org.sifang.daemon", name)
        if service and daemon != service.of:
            report.fail(f"compose service {name} runs {daemon}, not {service.of}")
        placed.add(daemon)
        args = ((entry.get("build") or {}).get("args")) or {}
        if args.get("SERVICE") != daemon:
            report.fail(f"compose service {name} builds the image of {args.get('SERVICE')!r}, not {daemon}")
        if service:
            expected = ["CMD"] + render.probe_command(service)
            test = (entry.get("healthcheck") or {}).get("test")
            if test != expected:
                report.fail(f"compose service {name}: healthcheck {test} is not {expected}")
        depends = entry.get("depends_on") or {}
        if (depends.get("postgres") or {}).get("condition") != "service_healthy":
            report.fail(f"compose service {name} does not wait for a healthy postgres")
        for target, how in depends.items():
            condition = (how or {}).get("condition")
            target_entry = compose_services.get(target, {})
            if condition == "service_healthy" and not target_entry.get("healthcheck"):
                report.fail(f"compose service {name} waits for {target} to be healthy, which has no healthcheck")
        if daemon in helps:
            check_env(report, f"compose service {name}", helps[daemon], entry.get("environment") or {},
                      services, service)
    check_handoff(report, "compose service", {n: e.get("environment") or {} for n, e in compose_services.items()},
                  services, lambda peer: peer.name)
    check_coverage(report, "docker-compose.yml", placed, built, services, build)
    keys = compose_services.get("keys", {})
    command = "\n".join(keys.get("command") or [])
    made = set()
    for line in command.splitlines():
        words = line.split()
        if words[:1] == ["sifang-keygen"]:
            made |= {w.split(":")[0] + ".key" for w in words[2:] if not w.startswith("-")}
            made |= {w.split(":")[0] + ".pub" for w in words[2:] if not w.startswith("-")}
            made.add("allowlist")
        made |= {Path(w).name for w in words if w.startswith(render.KEY_DIR + "/")}
    for name, entry in compose_services.items():
        for variable, value in (entry.get("environment") or {}).items():
            if isinstance(value, str) and value.startswith(render.KEY_DIR + "/") and Path(value).name not in made:
                report.fail(f"compose service {name}: {variable} names {value}, which the keys service does not make")
    return placed


def check_compose(args, compose_file=None, quiet=False):
    report = Report("compose", quiet)
    if not shutil.which("docker-compose"):
        report.fail("docker-compose is not installed (Debian package docker-compose)")
        return report
    services = render.load_services(args.services)
    config, error = compose_config(compose_file or ROOT / "docker-compose.yml")
    if config is None:
        report.fail(f"docker-compose config refused it: {error}")
        return report
    helps = daemon_helps(args.build, report, services)
    placed = check_compose_data(report, config, helps, services, set(helps), args.build)
    report.summary = f"{len(placed)} daemon(s) in docker-compose.yml, {len(helps)} built"
    return report


# --- Kubernetes ------------------------------------------------------------------------------

K8S_KINDS = {
    ("v1", "Namespace"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Service"),
    ("apps/v1", "Deployment"), ("batch/v1", "Job"), ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
}
ENUMS = {
    ("V1ContainerPort", "protocol"): {"TCP", "UDP", "SCTP"},
    ("V1ServicePort", "protocol"): {"TCP", "UDP", "SCTP"},
    ("V1NetworkPolicyPort", "protocol"): {"TCP", "UDP", "SCTP"},
    ("V1Container", "image_pull_policy"): {"Always", "IfNotPresent", "Never"},
    ("V1PodSpec", "restart_policy"): {"Always", "OnFailure", "Never"},
    ("V1ServiceSpec", "type"): {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"},
    ("V1DeploymentStrategy", "type"): {"RollingUpdate", "Recreate"},
    ("V1SeccompProfile", "type"): {"RuntimeDefault", "Unconfined", "Localhost"},
}
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?\Z")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+\Z")
ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*\Z")


class Schema:
    """A strict check of a manifest against the Kubernetes API's types as the
    Kubernetes client (python3-kubernetes) knows them: unknown fields, wrong
    types, missing required fields, bad enum values; and the server's rules
    for names, labels and keys that matter here."""

    def __init__(self):
        from kubernetes import client
        from kubernetes.client import Configuration
        self.client = client
        self.configuration = Configuration()
        self.configuration.client_side_validation = True
        self.required_cache = {}

    def required(self, cls):
        if cls not in self.required_cache:
            required = set()
            probe = cls.__new__(cls)
            probe.local_vars_configuration = self.configuration
            for attribute in cls.openapi_types:
                try:
                    setattr(probe, attribute, None)
                except ValueError:
                    required.add(attribute)
            self.required_cache[cls] = required
        return self.required_cache[cls]

    def validate(self, document, where):
        problems = []
        if not isinstance(document, dict):
            return [f"{where}: not a mapping"]
        key = (document.get("apiVersion"), document.get("kind"))
        if key not in K8S_KINDS:
            return [f"{where}: unknown or unexpected apiVersion/kind {key}"]
        self.check(document, "V1" + key[1], where, problems)
        metadata = document.get("metadata") or {}
        name = metadata.get("name", "")
        pattern = DNS_SUBDOMAIN if key[1] in ("ConfigMap", "Secret") else DNS_LABEL
        if not pattern.match(name or "") or len(name) > 63:
            problems.append(f"{where}: metadata.name {name!r} is not a valid name")
        for label, value in (metadata.get("labels") or {}).items():
            if not isinstance(value, str) or not LABEL_VALUE.match(value) or len(value) > 63:
                problems.append(f"{where}: label {label}={value!r} is not a valid label value")
        if key[1] in ("ConfigMap", "Secret"):
            for data_key in list((document.get("data") or {})) + list((document.get("stringData") or {})):
                if not CONFIG_KEY.match(data_key):
                    problems.append(f"{where}: data key {data_key!r} is not a valid key")
        if key[1] == "Secret":
            for data_key, value in (document.get("data") or {}).items():
                try:
                    base64.b64decode(value, validate=True)
                except (ValueError, TypeError):
                    problems.append(f"{where}: data.{data_key} is not base64")
        return problems

    def check(self, value, type_name, path, problems, owner=None):
        if value is None:
            return
        if type_name.startswith("list["):
            if not isinstance(value, list):
                problems.append(f"{path}: expected a list, found {type(value).__name__}")
                return
            for index, item in enumerate(value):
                self.check(item, type_name[5:-1], f"{path}[{index}]", problems)
            return
        if type_name.startswith("dict("):
            if not isinstance(value, dict):
                problems.append(f"{path}: expected a mapping, found {type(value).__name__}")
                return
            item_type = type_name[5:-1].split(", ", 1)[1]
            for key, item in value.items():
                if not isinstance(key, str):
                    problems.append(f"{path}: key {key!r} is not a string")
                # Quantities (resources) may be numbers; anything else str is str.
                if owner == "V1ResourceRequirements" and isinstance(item, (int, float)) and not isinstance(item, bool):
                    continue
                self.check(item, item_type, f"{path}.{key}", problems)
            return
        scalar = {"str": str, "bool": bool, "date": str, "datetime": str}
        if type_name in scalar:
            if not isinstance(value, scalar[type_name]):
                problems.append(f"{path}: expected {type_name}, found {type(value).__name__} {value!r}")
            return
        if type_name in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (type_name == "int" and not isinstance(value, int)):
                problems.append(f"{path}: expected {type_name}, found {type(value).__name__} {value!r}")
            return
        if type_name == "object":   # IntOrString, or free-form
            return
        cls = getattr(self.client, type_name, None)
        if cls is None:
            problems.append(f"{path}: no type {type_name} in the Kubernetes client")
            return
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a {type_name} mapping, found {type(value).__name__}")
            return
        by_json = {json: attribute for attribute, json in cls.attribute_map.items()}
        for key, item in value.items():
            attribute = by_json.get(key)
            if attribute is None:
                problems.append(f"{path}: unknown field {key!r} in {type_name}")
                continue
            item_type = cls.openapi_types[attribute]
            self.check(item, item_type, f"{path}.{key}", problems, owner=type_name)
            allowed = ENUMS.get((type_name, attribute))
            if allowed and item not in allowed:
                problems.append(f"{path}.{key}: {item!r} is not one of {sorted(allowed)}")
        for attribute in self.required(cls):
            if value.get(cls.attribute_map[attribute]) is None:
                problems.append(f"{path}: required field {cls.attribute_map[attribute]!r} of {type_name} is missing")


def load_manifests(paths):
    documents = []
    for path in paths:
        for index, document in enumerate(yaml.safe_load_all(Path(path).read_text())):
            if document is not None:
                documents.append((f"{Path(path).name}#{index}", document))
    return documents


def pod_spec(document):
    kind = document.get("kind")
    if kind in ("Deployment", "Job"):
        return ((document.get("spec") or {}).get("template") or {}).get("spec") or {}
    return None


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_k8s_data(report, documents, helps, services, built, build):
    schema = Schema()
    table = render.by_name(services)
    for where, document in documents:
        for problem in schema.validate(document, where):
            report.fail(problem)
    objects = {}
    for where, document in documents:
        if isinstance(document, dict):
            objects.setdefault((document.get("kind"), (document.get("metadata") or {}).get("name")), (where, document))
    config_maps = {name: doc for (kind, name), (_, doc) in objects.items() if kind == "ConfigMap"}
    secrets = {name: doc for (kind, name), (_, doc) in objects.items() if kind == "Secret"}
    deployments = [(where, doc) for where, doc in documents if isinstance(doc, dict) and doc.get("kind") == "Deployment"]
    deployed_envs = {}

    def ref(kind, name, where, key=None):
        store = config_maps if kind == "ConfigMap" else secrets
        if name not in store:
            report.fail(f"{where} refers to {kind} {name!r}, which no manifest defines")
        elif key is not None and key not in (store[name].get("data") or {}) and key not in (store[name].get("stringData") or {}):
            report.fail(f"{where} refers to key {key!r} of {kind} {name!r}, which it lacks")

    placed = set()
    for where, document in documents:
        spec = pod_spec(document) if isinstance(document, dict) else None
        if spec is None:
            continue
        template_labels = ((document["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        if document["kind"] == "Deployment":
            selector = ((document["spec"].get("selector") or {}).get("matchLabels")) or {}
            if not matches(selector, template_labels):
                report.fail(f"{where}: the selector {selector} does not select the pod template's labels")
        volumes = {}
        for volume in spec.get("volumes") or []:
            volumes[volume.get("name")] = volume
            if "secret" in volume:
                ref("Secret", volume["secret"].get("secretName"), f"{where} volume {volume.get('name')}")
                for item in volume["secret"].get("items") or []:
                    ref("Secret", volume["secret"].get("secretName"), f"{where} volume {volume.get('name')}", item.get("key"))
            if "configMap" in volume:
                ref("ConfigMap", volume["configMap"].get("name"), f"{where} volume {volume.get('name')}")
        for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
            cwhere = f"{where} container {container.get('name')}"
            if not DNS_LABEL.match(container.get("name") or ""):
                report.fail(f"{cwhere}: not a valid container name")
            resources = container.get("resources") or {}
            for part in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in (resources.get(part) or {}):
                        report.fail(f"{cwhere}: no {part}.{resource}")
            for mount in container.get("volumeMounts") or []:
                if mount.get("name") not in volumes:
                    report.fail(f"{cwhere}: mounts volume {mount.get('name')!r}, which the pod lacks")
            for port in container.get("ports") or []:
                if len(port.get("name", "")) > 15 or not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", port.get("name", "")):
                    report.fail(f"{cwhere}: port name {port.get('name')!r} is not a valid port name")
            env = {}
            for source in container.get("envFrom") or []:
                if "configMapRef" in source:
                    name = source["configMapRef"].get("name")
                    ref("ConfigMap", name, cwhere)
                    env.update({k: v for k, v in ((config_maps.get(name) or {}).get("data") or {}).items()})
                if "secretRef" in source:
                    name = source["secretRef"].get("name")
                    if name not in secrets and name != "sifang-postgres-admin":
                        report.fail(f"{cwhere} refers to Secret {name!r}, which no manifest defines")
            for variable in container.get("env") or []:
                if not ENV_NAME.match(variable.get("name", "")):
                    report.fail(f"{cwhere}: {variable.get('name')!r} is not a valid variable name")
                env[variable.get("name")] = variable.get("value", "")
                source = (variable.get("valueFrom") or {})
                if "secretKeyRef" in source:
                    ref("Secret", source["secretKeyRef"].get("name"), cwhere, source["secretKeyRef"].get("key"))
                if "configMapKeyRef" in source:
                    ref("ConfigMap", source["configMapKeyRef"].get("name"), cwhere, source["configMapKeyRef"].get("key"))
            if document["kind"] != "Deployment" or container not in (spec.get("containers") or []):
                continue
            name = document["metadata"].get("name")
            service = table.get(name)
            image = re.fullmatch(r"(?:.*/)?sifang/([a-z0-9-]+)(?::[\w.-]+)?", container.get("image") or "")
            daemon = image.group(1) if image else name
            if not image:
                report.fail(f"{cwhere}: image {container.get('image')!r} is no Sifang daemon's (sifang/<service>)")
            elif service and daemon != service.of:
                report.fail(f"{cwhere}: runs the image of {daemon}, not {service.of}")
            placed.add(daemon)
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in container:
                    report.fail(f"{cwhere}: no {probe}")
            if service:
                expect = {"readinessProbe": render.probe_command(service), "livenessProbe": render.probe_command(service, live=True)}
                for probe, command in expect.items():
                    actual = container.get(probe) or {}
                    if service.zmq and (actual.get("exec") or {}).get("command") != command:
                        report.fail(f"{cwhere}: {probe} is not exec {command}")
                    if service.http:
                        path = "/readyz" if probe == "readinessProbe" else "/healthz"
                        if (actual.get("httpGet") or {}).get("path") != path:
                            report.fail(f"{cwhere}: {probe} is not httpGet {path}")
            deployed_envs[name] = env
            if daemon in helps:
                check_env(report, f"Deployment {name}", helps[daemon], env, services, service)
    # Services select Deployments, through ports the containers name.
    for where, document in documents:
        if not isinstance(document, dict) or document.get("kind") != "Service":
            continue
        selector = (document.get("spec") or {}).get("selector") or {}
        targets = [d for _, d in deployments
                   if matches(selector, ((d["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {})]
        if not targets:
            report.fail(f"{where}: Service {document['metadata'].get('name')} selects no Deployment")
            continue
        port_names = {p.get("name") for d in targets for c in pod_spec(d).get("containers") or [] for p in c.get("ports") or []}
        for port in (document.get("spec") or {}).get("ports") or []:
            target = port.get("targetPort")
            if isinstance(target, str) and target not in port_names:
                report.fail(f"{where}: targetPort {target!r} names no container port of {document['metadata'].get('name')}")
    check_network_policy(report, documents, table)
    # A peer is reached at its Service, named after its line.
    services_named = {(d.get("metadata") or {}).get("name") for _, d in documents
                      if isinstance(d, dict) and d.get("kind") == "Service"}
    check_handoff(report, "Deployment", deployed_envs, services,
                  lambda peer: peer.name if peer.name in services_named else f"(no Service {peer.name})")
    check_coverage(report, "deploy/k8s", placed, built, services, build)
    return placed


def check_network_policy(report, documents, table):
    """Only the gateway is admitted from outside the suite; a default deny
    covers everything else."""
    policies = [(w, d) for w, d in documents if isinstance(d, dict) and d.get("kind") == "NetworkPolicy"]
    deny = [w for w, d in policies if (d.get("spec") or {}).get("podSelector") == {}
            and "Ingress" in ((d.get("spec") or {}).get("policyTypes") or []) and not (d.get("spec") or {}).get("ingress")]
    if not deny:
        report.fail("no NetworkPolicy denies ingress to every pod by default")
    pods = [((d["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
            for _, d in documents if isinstance(d, dict) and d.get("kind") == "Deployment"]
    for where, policy in policies:
        spec = policy.get("spec") or {}
        selected = [labels for labels in pods if matches((spec.get("podSelector") or {}).get("matchLabels") or {}, labels)
                    or spec.get("podSelector") == {}]
        for rule in spec.get("ingress") or []:
            peers = rule.get("from")
            outside = not peers or any("ipBlock" in p or "namespaceSelector" in p for p in peers)
            if not outside:
                continue
            for labels in selected:
                name = labels.get("app.kubernetes.io/name")
                service = table.get(name)
                if not service or not service.http:
                    report.fail(f"{where}: admits traffic from outside the suite to {name}, which is not the gateway")


def k8s_secret_documents(build, report):
    keygen = Path(build, "tools", "sifang-keygen")
    if not keygen.exists():
        report.fail(f"{keygen} is not built: cannot make the Secrets to check them")
        return []
    with tempfile.TemporaryDirectory() as keys:
        result = subprocess.run([sys.executable, str(HERE / "render.py"), "k8s-secrets", keys, "--keygen", str(keygen)],
                                capture_output=True, text=True, timeout=60,
                                env={**os.environ, "ASAN_OPTIONS": "detect_leaks=0"})
    if result.returncode != 0:
        report.fail(f"render.py k8s-secrets failed: {result.stderr.strip()[:300]}")
        return []
    return [(f"k8s-secrets#{i}", d) for i, d in enumerate(yaml.safe_load_all(result.stdout)) if d]


def check_k8s(args, manifest_dir=None, quiet=False):
    report = Report("k8s", quiet)
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        report.fail("the Kubernetes client models are missing (Debian package python3-kubernetes)")
        return report
    services = render.load_services(args.services)
    directory = Path(manifest_dir or HERE / "k8s")
    files = sorted(p for p in directory.glob("*.yaml") if p.name != "kustomization.yaml")
    documents = load_manifests(files) + k8s_secret_documents(args.build, report)
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    resources = kustomization.get("resources") or []
    for resource in resources:
        if not (directory / resource).exists():
            report.fail(f"kustomization.yaml lists {resource}, which does not exist")
    for path in files:
        if path.name not in resources:
            report.fail(f"{path.name} is not in kustomization.yaml's resources")
    helps = daemon_helps(args.build, report, services)
    placed = check_k8s_data(report, documents, helps, services, set(helps), args.build)
    report.summary = f"{len(documents)} manifests, {len(placed)} Deployment(s) of daemons, {len(helps)} built"
    return report


# --- Kubernetes with the database on CloudNativePG --------------------------------------------

# The fields of CloudNativePG's Cluster (postgresql.cnpg.io/v1) the variant
# uses, with their types and values as the operator's CRD gives them
# (config/crd/bases/postgresql.cnpg.io_clusters.yaml of cloudnative-pg):
# a field outside this list fails until it is added here after checking it
# against the CRD. SIFANG_CNPG_CRD=<that file> checks against the whole CRD
# instead.
def _string(enum=None):
    return {"type": "string", **({"enum": enum} if enum else {})}


_QUANTITIES = {"type": "object", "additionalProperties": {"x-kubernetes-int-or-string": True}}
CNPG_CLUSTER_SPEC = {
    "type": "object", "required": ["instances"], "properties": {
        "description": _string(),
        "instances": {"type": "integer", "minimum": 1},
        "imageName": _string(),
        "primaryUpdateStrategy": _string(["unsupervised", "supervised"]),
        "enableSuperuserAccess": {"type": "boolean"},
        "superuserSecret": {"type": "object", "required": ["name"], "properties": {"name": _string()}},
        "bootstrap": {"type": "object", "properties": {"initdb": {"type": "object", "properties": {
            "database": _string(), "owner": _string(), "encoding": _string(), "localeCollate": _string(),
            "localeCType": _string(), "dataChecksums": {"type": "boolean"}}}}},
        "postgresql": {"type": "object", "properties": {
            "parameters": {"type": "object", "additionalProperties": {"type": "string"}},
            "synchronous": {"type": "object", "required": ["method", "number"], "properties": {
                "method": _string(["any", "first"]), "number": {"type": "integer"},
                "dataDurability": _string(["required", "preferred"])}}}},
        "storage": {"type": "object", "properties": {"size": _string(), "storageClass": _string()}},
        "resources": {"type": "object", "properties": {"requests": _QUANTITIES, "limits": _QUANTITIES}},
        "affinity": {"type": "object", "properties": {
            "enablePodAntiAffinity": {"type": "boolean"}, "topologyKey": _string(),
            "podAntiAffinityType": _string()}},
    }}


def openapi_problems(value, schema, path):
    """value against an OpenAPI v3 schema as a CRD's structural schema reads:
    types, required and unknown fields, enums, minimums."""
    problems = []
    if schema.get("x-kubernetes-int-or-string"):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            problems.append(f"{path}: expected an integer or a string, found {value!r}")
        return problems
    kind = schema.get("type")
    python = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int, "number": (int, float)}
    if kind in python and (not isinstance(value, python[kind]) or (kind in ("integer", "number") and isinstance(value, bool))):
        return [f"{path}: expected {kind}, found {type(value).__name__} {value!r}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if "minimum" in schema and isinstance(value, (int, float)) and value < schema["minimum"]:
        problems.append(f"{path}: {value} is below the minimum {schema['minimum']}")
    if kind == "array":
        for index, item in enumerate(value):
            problems += openapi_problems(item, schema.get("items") or {}, f"{path}[{index}]")
    if kind == "object":
        properties = schema.get("properties")
        for required in schema.get("required") or []:
            if required not in value:
                problems.append(f"{path}: required field {required!r} is missing")
        for key, item in value.items():
            if properties and key in properties:
                problems += openapi_problems(item, properties[key], f"{path}.{key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                problems += openapi_problems(item, schema["additionalProperties"], f"{path}.{key}")
            elif properties is not None and not schema.get("x-kubernetes-preserve-unknown-fields"):
                problems.append(f"{path}: unknown field {key!r}")
    return problems


def cnpg_spec_schema():
    crd = os.environ.get("SIFANG_CNPG_CRD")
    if not crd:
        return CNPG_CLUSTER_SPEC, "the fields deploy/check.py knows"
    document = yaml.safe_load(Path(crd).read_text())
    version = next(v for v in document["spec"]["versions"] if v["name"] == "v1")
    return version["schema"]["openAPIV3Schema"]["properties"]["spec"], crd


def cnpg_documents(directory, report, build):
    """The variant as kustomize builds it: the base (deploy/k8s), the
    Secrets render.py makes, the variant's resources, and its patches of
    ConfigMaps (data merged key by key, the one kind of patch it uses)."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    documents = []
    for resource in kustomization.get("resources") or []:
        path = (directory / resource).resolve()
        if path.is_dir():
            base = yaml.safe_load((path / "kustomization.yaml").read_text())
            documents += load_manifests([path / r for r in base.get("resources") or []])
        elif path.exists():
            documents += load_manifests([path])
        else:
            report.fail(f"{directory.name}/kustomization.yaml lists {resource}, which does not exist")
    documents += k8s_secret_documents(build, report)
    listed = set(kustomization.get("resources") or []) | {p.get("path") for p in kustomization.get("patches") or []}
    for path in sorted(directory.glob("*.yaml")):
        if path.name != "kustomization.yaml" and path.name not in listed:
            report.fail(f"{directory.name}/{path.name} is in neither the resources nor the patches")
    for patch in kustomization.get("patches") or []:
        for where, change in load_manifests([directory / patch.get("path", "")]):
            kind, name = change.get("kind"), (change.get("metadata") or {}).get("name")
            targets = [d for _, d in documents if d.get("kind") == kind and (d.get("metadata") or {}).get("name") == name]
            if kind != "ConfigMap" or set(change) - {"apiVersion", "kind", "metadata", "data"}:
                report.fail(f"{where}: only patches of a ConfigMap's data are checked here")
            elif not targets:
                report.fail(f"{where}: patches ConfigMap {name}, which the base lacks")
            else:
                targets[0].setdefault("data", {}).update(change.get("data") or {})
    return documents


def check_cnpg_data(report, documents, helps, services, build):
    clusters = [(w, d) for w, d in documents if d.get("kind") == "Cluster"]
    others = [(w, d) for w, d in documents if d.get("kind") != "Cluster"]
    check_k8s_data(report, others, helps, services, set(helps), build)
    if len(clusters) != 1:
        report.fail(f"the variant has {len(clusters)} CloudNativePG Cluster(s), not one")
        return
    where, cluster = clusters[0]
    if cluster.get("apiVersion") != "postgresql.cnpg.io/v1":
        report.fail(f"{where}: apiVersion {cluster.get('apiVersion')!r} is not postgresql.cnpg.io/v1")
    name = (cluster.get("metadata") or {}).get("name") or ""
    if not DNS_LABEL.match(name) or len(name) > 50:
        report.fail(f"{where}: {name!r} is no valid Cluster name")
    schema, against = cnpg_spec_schema()
    spec = cluster.get("spec") or {}
    for problem in openapi_problems(spec, schema, f"{where} spec"):
        report.fail(f"{problem} (against {against})")
    if not isinstance(spec.get("instances"), int) or spec["instances"] < 3:
        report.fail(f"{where}: {spec.get('instances')} instance(s): a primary and two standbys are 3")
    initdb = (spec.get("bootstrap") or {}).get("initdb") or {}
    for field in ("localeCollate", "localeCType"):
        if initdb.get(field) != "C":
            report.fail(f"{where}: bootstrap.initdb.{field} is {initdb.get(field)!r}: layout.sql needs C")
    objects = {(d.get("kind"), (d.get("metadata") or {}).get("name")): d for _, d in others}
    database = (objects.get(("ConfigMap", "sifang-database")) or {}).get("data") or {}
    if database.get("PGHOST") != f"{name}-rw":
        report.fail(f"sifang-database: PGHOST is {database.get('PGHOST')!r}, not the primary's Service {name}-rw")
    if database.get("PGDATABASE") != initdb.get("database"):
        report.fail(f"sifang-database: PGDATABASE {database.get('PGDATABASE')!r} is not the Cluster's database"
                    f" {initdb.get('database')!r}")
    job = objects.get(("Job", "sifang-db-layout"))
    admin = [s["secretRef"]["name"] for c in (pod_spec(job) or {}).get("containers") or [] for s in c.get("envFrom") or []
             if "secretRef" in s] if job else []
    if (spec.get("superuserSecret") or {}).get("name") not in admin or not spec.get("enableSuperuserAccess"):
        report.fail(f"{where}: the layout Job's administrator {admin} is not the Cluster's superuserSecret")
    # Reads go to the standbys wherever a daemon's table has a read setting.
    for (kind, config), data in ((k, d.get("data") or {}) for k, d in objects.items()):
        for variable, value in data.items() if kind == "ConfigMap" else ():
            if re.fullmatch(r"SIFANG_[A-Z0-9_]+_READ_DATABASE_URL", variable) and f"host={name}-ro" not in str(value):
                report.fail(f"{config}: {variable}={value!r} does not read from the standbys' Service {name}-ro")
    # Every daemon whose table has a read pool's connection reads from the standbys.
    for _, deployment in (x for x in others if x[1].get("kind") == "Deployment"):
        service = render.by_name(services).get(deployment["metadata"]["name"])
        help = helps.get(service.of) if service else None
        variable = f"SIFANG_{service.of_upper}_READ_DATABASE_URL" if service else ""
        data = (objects.get(("ConfigMap", f"sifang-{deployment['metadata']['name']}")) or {}).get("data") or {}
        if help and help.lists(variable) and variable not in data:
            report.fail(f"sifang-{deployment['metadata']['name']}: no {variable}: its reads would go to the primary")
    # The instances admit the suite, each other and the operator.
    policies = [d for _, d in others if d.get("kind") == "NetworkPolicy"
                and ((d.get("spec") or {}).get("podSelector") or {}).get("matchLabels") == {"cnpg.io/cluster": name}]

    def admitted(peer, port):
        return any(peer in (rule.get("from") or []) and any(p.get("port") == port for p in rule.get("ports") or [])
                   for policy in policies for rule in (policy.get("spec") or {}).get("ingress") or [])
    for peer, port in (({"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "sifang"}}}, 5432),
                       ({"podSelector": {"matchLabels": {"cnpg.io/cluster": name}}}, 5432),
                       ({"podSelector": {"matchLabels": {"cnpg.io/cluster": name}}}, 8000)):
        if not admitted(peer, port):
            report.fail(f"no NetworkPolicy admits {peer} to the Cluster's instances on {port}")


def check_cnpg(args, directory=None, quiet=False):
    report = Report("cnpg", quiet)
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        report.fail("the Kubernetes client models are missing (Debian package python3-kubernetes)")
        return report
    services = render.load_services(args.services)
    documents = cnpg_documents(Path(directory or HERE / "k8s" / "cloudnative-pg"), report, args.build)
    helps = daemon_helps(args.build, report, services)
    check_cnpg_data(report, documents, helps, services, args.build)
    report.summary = f"{len(documents)} manifests with the CloudNativePG Cluster"
    return report


# --- systemd ----------------------------------------------------------------------------------

def parse_env_file(path):
    env = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    return env


def check_systemd(args, systemd_dir=None, quiet=False):
    report = Report("systemd", quiet)
    services = render.load_services(args.services)
    table = render.by_name(services)
    directory = Path(systemd_dir or HERE / "systemd")
    helps = daemon_helps(args.build, report, services)
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        report.fail("systemd-analyze is not installed (Debian package systemd)")
    unit = (directory / "sifang@.service").read_text()
    placed = {p.stem for p in (directory / "env").glob("*.env")}
    check_handoff(report, "env/", {name: parse_env_file(directory / "env" / f"{name}.env") for name in placed},
                  services, lambda peer: "127.0.0.1")
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        bin_dir = work / "bin"
        bin_dir.mkdir()
        probe = Path(args.build, "tools", "sifang-probe")
        if not probe.exists():
            report.fail(f"{probe} is not built")
        else:
            (bin_dir / "sifang-probe").symlink_to(probe)
        for name, path in built_daemons(args.build).items():
            (bin_dir / f"sifang-{name}").symlink_to(path)
        units = work / "units"
        units.mkdir()
        (units / "sifang@.service").write_text(unit.replace("/usr/local/bin/", f"{bin_dir}/"))
        shutil.copy(directory / "sifang.target", units / "sifang.target")
        daemons = {name: name for name in placed}
        for dropins in directory.glob("sifang@*.service.d"):
            (units / dropins.name).mkdir()
            instance = dropins.name[len("sifang@"):-len(".service.d")]
            for conf in dropins.glob("*.conf"):
                text = conf.read_text()
                for runs in re.findall(r"^ExecStart=/usr/local/bin/sifang-(\S+)", text, re.M):
                    daemons[instance] = runs
                (units / dropins.name / conf.name).write_text(text.replace("/usr/local/bin/", f"{bin_dir}/"))
        placed_daemons = set(daemons.values())
        for name in sorted(placed):
            daemon = daemons[name]
            if daemon not in helps:
                continue
            env_path = directory / "env" / f"{name}.env"
            env = parse_env_file(env_path)
            check_env(report, f"env/{name}.env", helps[daemon], env, services, table.get(name))
            credentials = f"/run/credentials/sifang@{name}.service/"
            loaded = {line.split("=", 1)[1].split(":", 1)[0]
                      for line in unit.replace("%i", name).splitlines() + [
                          l for d in directory.glob(f"sifang@{name}.service.d/*.conf") for l in d.read_text().splitlines()]
                      if line.startswith("LoadCredential=")}
            for variable, value in env.items():
                if value.startswith(credentials) and value[len(credentials):] not in loaded:
                    report.fail(f"env/{name}.env: {variable} names credential {value[len(credentials):]}, which no LoadCredential= loads")
            service = table.get(name)
            if service and env.get("PROBE_ARGS") != " ".join(render.probe_command(service, live=True)[1:]):
                report.fail(f"env/{name}.env: PROBE_ARGS={env.get('PROBE_ARGS')} does not probe {name}")
            if not analyze:
                continue
            instance = units / f"sifang@{name}.service"
            result = subprocess.run([analyze, "verify", "--man=no", str(instance), str(units / "sifang.target")],
                                    capture_output=True, text=True, timeout=60)
            output = (result.stdout + result.stderr).strip()
            if result.returncode != 0 or output:
                report.fail(f"systemd-analyze verify sifang@{name}.service: {output or result.returncode}")
            result = subprocess.run([analyze, "security", "--offline=true", "--threshold=20", "--no-pager", str(instance)],
                                    capture_output=True, text=True, timeout=60)
            if result.returncode != 0:
                level = re.findall(r"Overall exposure level.*", result.stdout)
                report.fail(f"systemd-analyze security sifang@{name}.service: {level or result.stderr.strip()}")
    check_coverage(report, "deploy/systemd/env", placed_daemons, set(helps), services, args.build)
    report.summary = f"{sum(1 for n in placed if daemons[n] in helps)} unit instance(s) verified, {len(helps)} built"
    return report


# --- Dockerfile ---------------------------------------------------------------------------------

def parse_dockerfile(text):
    """[(stage name, [(INSTRUCTION, arguments)])], the ARGs before the first FROM as stage None."""
    text = re.sub(r"\\\n", " ", text)
    stages = [(None, [])]
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            match = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", rest.strip(), re.I)
            stages.append((match.group(2), [("FROM", match.group(1))]))
        else:
            stages[-1][1].append((instruction, rest.strip()))
    return stages


PACKAGE_OF = {}   # library path -> Debian package (dpkg -S is slow)


def package_of(path):
    if path not in PACKAGE_OF:
        PACKAGE_OF[path] = None
        for candidate in (os.path.realpath(path), path):
            found = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if found.returncode == 0:
                PACKAGE_OF[path] = found.stdout.split(":", 1)[0].strip()
                break
    return PACKAGE_OF[path]


def needed_packages(binary, report):
    """The Debian packages of the libraries a binary links directly."""
    readelf = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", readelf.stdout)
    ldd = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, re.M))
    packages = set()
    for soname in needed:
        path = paths.get(soname)
        if not path:
            report.fail(f"{binary.name} needs {soname}, which does not resolve here")
            continue
        package = package_of(path)
        if not package:
            report.fail(f"{binary.name} needs {path}, which no Debian package holds")
            continue
        packages.add(package)
    return packages


def check_docker(args, dockerfile=None, quiet=False):
    report = Report("docker", quiet)
    text = Path(dockerfile or HERE / "docker" / "Dockerfile").read_text()
    stages = parse_dockerfile(text)
    global_args = dict(re.match(r"(\w+)(?:=(.*))?", rest).groups() for i, rest in stages[0][1] if i == "ARG")
    named = {name: body for name, body in stages[1:]}
    for name, body in stages[1:]:
        base = body[0][1]
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: global_args.get(m.group(1)) or "", base)
        if base not in named and "bookworm" not in image:
            report.fail(f"stage {name}: FROM {base} ({image}) is not Debian bookworm")
    for required in ("builder", "runtime", "tools", "daemon"):
        if required not in named:
            report.fail(f"no stage {required}")
    if stages[-1][0] != "daemon":
        report.fail("the last stage (the default target) is not daemon")

    def installed(stage):
        words = " ".join(rest for i, rest in named.get(stage, []) if i == "RUN")
        match = re.search(r"apt-get install ([^&;|]*)", words)
        return {w for w in (match.group(1).split() if match else []) if not w.startswith("-")}

    runtime_packages = installed("runtime")
    builder_packages = installed("builder")
    listed = set()
    for line in (ROOT / "scripts" / "packages.txt").read_text().splitlines():
        word = line.split("#", 1)[0].split()
        if word:
            listed.add(word[0])
    # Development packages that only the fuzzing build uses: not the image's.
    test_only = {"libclang-rt-14-dev"}
    for package in sorted(p for p in listed - test_only
                          if p.endswith("-dev") or p in ("protobuf-c-compiler", "cmake", "pkg-config", "build-essential")):
        if package not in builder_packages:
            report.fail(f"scripts/packages.txt has {package}, which the builder stage does not install")
    for package in sorted(builder_packages - listed):
        report.fail(f"the builder stage installs {package}, which scripts/packages.txt does not list")
    for stage in ("tools", "daemon"):
        body = named.get(stage, [])
        users = [rest for i, rest in body if i == "USER"]
        if not users or users[-1].split(":")[0] in ("root", "0"):
            report.fail(f"stage {stage} does not run as a non-root user")
        if body and body[0][1] != "runtime":
            report.fail(f"stage {stage} is not built on the runtime stage")
    daemon = named.get("daemon", [])
    if not any(i == "HEALTHCHECK" and "sifang-probe" in rest for i, rest in daemon):
        report.fail("stage daemon has no HEALTHCHECK running sifang-probe")
    if not any(i == "ENTRYPOINT" for i, _ in daemon):
        report.fail("stage daemon has no ENTRYPOINT")
    copies = " ".join(rest for i, rest in daemon if i == "COPY")
    for binary in ("sifang-${SERVICE}", "sifang-probe"):
        if binary not in copies:
            report.fail(f"stage daemon does not copy {binary}")
    # The builder's find, run on this build tree: every daemon and the probe
    # must be among what it collects into /opt/sifang/bin.
    collected = {}
    for top in ("services", "tools"):
        base = Path(args.build, top)
        for path in base.glob("*"):
            for candidate in [path] + (list(path.glob("*")) if path.is_dir() else []):
                if (candidate.is_file() and candidate.name.startswith("sifang")
                        and os.access(candidate, os.X_OK) and len(candidate.relative_to(base).parts) <= 2):
                    collected[candidate.name] = candidate
    for name in sorted(set(built_daemons(args.build))) + ["probe"]:
        if f"sifang-{name}" not in collected:
            report.fail(f"the builder stage's find would not collect sifang-{name}")
    # What every binary the images get links, against what the runtime stage installs.
    binaries = list(collected.values())
    needed = set()
    for binary in binaries:
        needed |= needed_packages(binary, report)
    sanitizers = {p for p in needed if re.match(r"lib(asan|ubsan|lsan|tsan)\d*$", p)}
    if sanitizers:
        report.note(f"sanitizer build: {', '.join(sorted(sanitizers))} not expected in the image")
    base = {p for p in needed if re.match(r"(libc6|libgcc-s1|libstdc\+\+6)$", p)}
    for package in sorted(needed - sanitizers - base - runtime_packages):
        report.fail(f"the binaries link {package}, which the runtime stage does not install")
    everything_built = {s.name for s in render.load_services(args.services)} <= set(built_daemons(args.build))
    # Data the binaries read rather than link: the zone files of employment's
    # calendar (it refuses to start without its zone's).
    data_packages = {"tzdata"}
    for package in sorted(data_packages - runtime_packages):
        report.fail(f"the runtime stage does not install {package}, whose files the daemons read")
    for package in sorted(runtime_packages - needed - data_packages):
        if everything_built:
            report.fail(f"the runtime stage installs {package}, which no built binary links")
        else:
            report.note(f"the runtime stage installs {package}, which no binary built so far links")
    report.summary = f"{len(stages) - 1} stages, {len(binaries)} binaries link {len(needed - base - sanitizers)} runtime package(s)"
    return report


# --- selftest: every check must catch a broken input ---------------------------------------------

def selftest(args):
    report = Report("selftest")
    services = render.load_services(args.services)
    helps = daemon_helps(args.build, report, services)
    built = set(helps)
    if not built:
        report.fail("no daemon is built: nothing to test the checks with")
        return report
    name = "grid" if "grid" in built else sorted(built)[0]

    def expect_failure(label, check, *inputs, needle=None):
        quiet = Report("quiet", quiet=True)
        check(quiet, *inputs)
        hits = [p for p in quiet.problems if needle is None or needle in p]
        if hits:
            print(f"ok   selftest: {label} -> {hits[0]}")
        else:
            report.fail(f"{label} was not caught (problems: {quiet.problems})")

    def expect_clean(label, check, *inputs):
        quiet = Report("quiet", quiet=True)
        check(quiet, *inputs)
        if quiet.problems:
            report.fail(f"{label}: the unbroken input fails: {quiet.problems}")

    # docker-compose: the real file, then broken copies of its config.
    config, error = compose_config(ROOT / "docker-compose.yml")
    if config is None:
        report.fail(f"docker-compose config: {error}")
    else:
        def compose_check(quiet, cfg):
            check_compose_data(quiet, cfg, helps, services, built, args.build)
        expect_clean("docker-compose.yml", compose_check, config)
        broken = copy.deepcopy(config)
        broken["services"][name]["environment"]["SIFANG_NO_SUCH_SETTING"] = "1"
        expect_failure("compose sets a variable the daemon does not list", compose_check, broken, needle="SIFANG_NO_SUCH_SETTING")
        broken = copy.deepcopy(config)
        broken["services"][name]["environment"]["SIFANG_BATCH_MAX"] = "0"
        expect_failure("compose sets a value out of the table's bounds", compose_check, broken,
                       needle="SIFANG_BATCH_MAX=0: sifang-grid would refuse it at start: 0 is out of bounds")
        broken = copy.deepcopy(config)
        broken["services"]["gateway"]["environment"]["SIFANG_BATCH_MAX"] = "10"
        expect_failure("compose gives the gateway a service loop's setting", compose_check, broken,
                       needle="sets SIFANG_BATCH_MAX, which sifang-gateway's settings table does not know")
        broken = copy.deepcopy(config)
        del broken["services"][name]
        for entry in broken["services"].values():
            (entry.get("depends_on") or {}).pop(name, None)
        expect_failure("compose lacks a built daemon", compose_check, broken, needle=f"sifang-{name} is built")
        broken = copy.deepcopy(config)
        broken["services"][name]["healthcheck"]["test"] = ["CMD", "sifang-probe", "someone-else"]
        expect_failure("compose probes the wrong service", compose_check, broken, needle="healthcheck")
        broken = copy.deepcopy(config)
        broken["services"][name]["environment"][f"SIFANG_{name.upper()}_ENDPOINT"] = "tcp://127.0.0.1:1"
        expect_failure("compose binds the loopback only", compose_check, broken, needle="bind address")
        broken = copy.deepcopy(config)
        broken["services"]["stray"] = {"image": "busybox"}
        expect_failure("compose runs something unknown", compose_check, broken, needle="stray")
        peers = [(n, h.peers(services)) for n, h in helps.items() if h.peers(services)]
        if peers:
            follower, reached = peers[0]
            broken = copy.deepcopy(config)
            broken["services"][follower]["environment"].pop(f"SIFANG_{reached[0].upper}_ENDPOINT", None)
            expect_failure("compose leaves a peer's endpoint unset", compose_check, broken, needle="does not set")
        # Hand-off: the intakes' peers, their routers and their rules.
        if "intake" in built and "intake-civil-affairs" in config["services"]:
            district = config["services"]["intake"]["environment"]
            broken = copy.deepcopy(config)
            broken["services"]["intake"]["environment"].pop("SIFANG_INTAKE_HANDOFF_PEERS", None)
            expect_failure("compose: the district's intake lists no hand-off peer", compose_check, broken,
                           needle="SIFANG_INTAKE_HANDOFF_PEERS")
            broken = copy.deepcopy(config)
            broken["services"]["intake"]["environment"]["SIFANG_HANDOFF_INTAKE_CIVIL_AFFAIRS_ENDPOINT"] = \
                district["SIFANG_HANDOFF_INTAKE_CIVIL_AFFAIRS_ENDPOINT"].replace("7151", "7111")
            expect_failure("compose: a hand-off peer at another's router", compose_check, broken,
                           needle="SIFANG_HANDOFF_INTAKE_CIVIL_AFFAIRS_ENDPOINT=tcp://intake-civil-affairs:7111")
            broken = copy.deepcopy(config)
            broken["services"]["intake-civil-affairs"]["environment"]["SIFANG_INTAKE_OWNS"] = "civil-affairs"
            expect_failure("compose: an instance runs another rule than its peers are told", compose_check, broken,
                           needle="the two would disagree")
            broken = copy.deepcopy(config)
            broken["services"]["intake-civil-affairs"]["environment"]["SIFANG_HANDOFF_INTAKE_OWNS"] = "370205 civil-affairs"
            expect_failure("compose: two instances own one department", compose_check, broken,
                           needle="both own civil-affairs")
        with tempfile.TemporaryDirectory() as work:
            bad = Path(work) / "docker-compose.yml"
            bad.write_text((ROOT / "docker-compose.yml").read_text().replace("    restart: unless-stopped\n", "    restrat: unless-stopped\n", 1))
            broken_config, error = compose_config(bad)
            if broken_config is None and "restrat" in error:
                print(f"ok   selftest: docker-compose config refuses an unknown option -> {error.splitlines()[-1]}")
            else:
                report.fail("docker-compose config accepted an unknown option")

    # Kubernetes: broken copies of the manifests.
    try:
        import kubernetes  # noqa: F401
        documents = load_manifests(sorted(p for p in (HERE / "k8s").glob("*.yaml") if p.name != "kustomization.yaml"))
        documents += k8s_secret_documents(args.build, report)

        def k8s_check(quiet, docs):
            check_k8s_data(quiet, docs, helps, services, built, args.build)

        expect_clean("deploy/k8s", k8s_check, documents)

        def mutate(label, change, needle=None):
            broken = copy.deepcopy(documents)
            for _, document in broken:
                if document.get("kind") == "Deployment" and document["metadata"]["name"] == name:
                    change(document, broken)
                    break
            expect_failure(label, k8s_check, broken, needle=needle)

        def container(document):
            return document["spec"]["template"]["spec"]["containers"][0]

        mutate("k8s: unknown field", lambda d, _: container(d).update(imagePullPolicyy="Always"), "unknown field")
        broken = copy.deepcopy(documents)
        for _, document in broken:
            if document.get("kind") == "ConfigMap" and document["metadata"]["name"] == "sifang-intake-civil-affairs":
                document["data"].pop("SIFANG_HANDOFF_INTAKE_ENDPOINT", None)
                expect_failure("k8s: the bureau's intake cannot reach the district's to hand cases over", k8s_check,
                               broken, needle="SIFANG_HANDOFF_INTAKE_ENDPOINT=None")
        mutate("k8s: wrong type", lambda d, _: d["spec"].update(replicas="two"), "expected int")
        mutate("k8s: missing required field", lambda d, _: container(d).pop("name"), "required field 'name'")
        mutate("k8s: bad enum", lambda d, _: container(d)["ports"][0].update(protocol="TCPP"), "not one of")
        mutate("k8s: selector misses the pods", lambda d, _: d["spec"]["selector"]["matchLabels"].update(
            {"app.kubernetes.io/name": "nobody"}), "selector")
        mutate("k8s: no readiness probe", lambda d, _: container(d).pop("readinessProbe"), "readinessProbe")
        mutate("k8s: probe of another service", lambda d, _: container(d)["livenessProbe"]["exec"].update(
            command=["sifang-probe", "--live", "someone-else"]), "livenessProbe")
        mutate("k8s: no limits", lambda d, _: container(d)["resources"].pop("limits"), "limits")
        mutate("k8s: a setting the daemon does not list", lambda d, _: container(d)["env"].append(
            {"name": "SIFANG_NO_SUCH_SETTING", "value": "1"}), "SIFANG_NO_SUCH_SETTING")
        mutate("k8s: a value the table refuses", lambda d, _: container(d)["env"].append(
            {"name": "SIFANG_LOG_LEVEL", "value": "verbose"}), 'SIFANG_LOG_LEVEL=verbose: sifang-grid would refuse it'
            ' at start: "verbose" is not one of: debug info warn error')
        mutate("k8s: a Secret nobody defines", lambda d, _: container(d)["env"][0]["valueFrom"]["secretKeyRef"].update(
            name="sifang-nobody-db"), "sifang-nobody-db")

        def open_grid(document, broken):
            broken.append(("stray-policy", {
                "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": "stray", "namespace": "sifang"},
                "spec": {"podSelector": {"matchLabels": render.selector(name)}, "policyTypes": ["Ingress"],
                         "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}}))
        mutate("k8s: a daemon open to the outside", open_grid, "not the gateway")

        def number_in_config_map(document, broken):
            for _, other in broken:
                if other.get("kind") == "ConfigMap" and other["metadata"]["name"] == f"sifang-{name}":
                    other["data"]["SIFANG_LOG_LEVEL"] = 3
        mutate("k8s: a ConfigMap value that is no string", number_in_config_map, "expected str")
        mutate("k8s: a Deployment of no daemon", lambda d, _: container(d).update(image="sifang/nodaemon:1"),
               "no Sifang daemon")
        mutate("k8s: an image that is not Sifang's", lambda d, _: container(d).update(image="nginx:1"),
               "no Sifang daemon's")

        # The database on CloudNativePG: broken copies of the variant.
        variant = cnpg_documents(HERE / "k8s" / "cloudnative-pg", report, args.build)

        def cnpg_check(quiet, docs):
            check_cnpg_data(quiet, docs, helps, services, args.build)

        expect_clean("deploy/k8s/cloudnative-pg", cnpg_check, variant)

        def cnpg_mutate(label, kind, object_name, change, needle):
            broken = copy.deepcopy(variant)
            for _, document in broken:
                if document.get("kind") == kind and document["metadata"]["name"] == object_name:
                    change(document)
            expect_failure(label, cnpg_check, [(w, d) for w, d in broken if d.get("kind")], needle=needle)

        cluster = next(d["metadata"]["name"] for _, d in variant if d.get("kind") == "Cluster")
        cnpg_mutate("cnpg: one instance", "Cluster", cluster, lambda d: d["spec"].update(instances=1), "instance(s)")
        cnpg_mutate("cnpg: a field the Cluster lacks", "Cluster", cluster,
                    lambda d: d["spec"].update(instancess=3), "unknown field 'instancess'")
        cnpg_mutate("cnpg: a wrong type", "Cluster", cluster,
                    lambda d: d["spec"]["postgresql"]["parameters"].update(max_connections=300), "expected string")
        cnpg_mutate("cnpg: a bad enum", "Cluster", cluster,
                    lambda d: d["spec"].update(primaryUpdateStrategy="sometimes"), "not one of")
        cnpg_mutate("cnpg: a collation that breaks subtrees", "Cluster", cluster,
                    lambda d: d["spec"]["bootstrap"]["initdb"].update(localeCollate="en_US.UTF-8"), "layout.sql needs C")
        cnpg_mutate("cnpg: writes to the standbys", "ConfigMap", "sifang-database",
                    lambda d: d["data"].update(PGHOST=f"{cluster}-ro"), "PGHOST")
        cnpg_mutate("cnpg: another superuser", "Cluster", cluster,
                    lambda d: d["spec"]["superuserSecret"].update(name="someone"), "superuserSecret")
        if helps.get(name) and helps[name].lists(f"SIFANG_{name.upper()}_READ_DATABASE_URL"):
            cnpg_mutate("cnpg: reads left on the primary", "ConfigMap", f"sifang-{name}",
                        lambda d: d["data"].pop(f"SIFANG_{name.upper()}_READ_DATABASE_URL"), "would go to the primary")
            cnpg_mutate("cnpg: reads sent to the primary's Service", "ConfigMap", f"sifang-{name}",
                        lambda d: d["data"].update({f"SIFANG_{name.upper()}_READ_DATABASE_URL": f"host={cluster}-rw"}),
                        "does not read from the standbys")
        cnpg_mutate("cnpg: the instances closed to each other", "NetworkPolicy", "sifang-database",
                    lambda d: d["spec"].update(ingress=d["spec"]["ingress"][:1]), "on 8000")
    except ImportError:
        report.fail("python3-kubernetes is missing")

    # systemd: a typo in the unit, a setting the daemon does not list.
    with tempfile.TemporaryDirectory() as work:
        copy_dir = Path(work) / "systemd"
        shutil.copytree(HERE / "systemd", copy_dir)
        unit = copy_dir / "sifang@.service"
        original = unit.read_text()
        unit.write_text(original.replace("ProtectSystem=strict", "ProtectSystem=strictly"))
        expect_failure("systemd: a bad value", lambda quiet: quiet.problems.extend(
            check_systemd(args, copy_dir, quiet=True).problems), needle="verify")
        unit.write_text(original.replace("NoNewPrivileges=yes\n", "").replace("DynamicUser=yes\n", "")
                        .replace("ProtectSystem=strict\n", "").replace("CapabilityBoundingSet=\n", "")
                        .replace("SystemCallFilter=@system-service\n", "").replace("PrivateUsers=yes\n", ""))
        expect_failure("systemd: hardening removed", lambda quiet: quiet.problems.extend(
            check_systemd(args, copy_dir, quiet=True).problems), needle="security")
        unit.write_text(original)
        dropins = sorted(copy_dir.glob("sifang@*.service.d/*.conf"))
        if dropins:
            dropins[0].write_text(dropins[0].read_text() + "LoadCredentail=x:/nowhere\n")
            expect_failure("systemd: a typo in a drop-in", lambda quiet: quiet.problems.extend(
                check_systemd(args, copy_dir, quiet=True).problems), needle="LoadCredentail")
            shutil.copy(HERE / "systemd" / dropins[0].relative_to(copy_dir), dropins[0])
        env_file = copy_dir / "env" / f"{name}.env"
        env_file.write_text(env_file.read_text() + "SIFANG_NO_SUCH_SETTING=1\n")
        expect_failure("systemd: a setting the daemon does not list", lambda quiet: quiet.problems.extend(
            check_systemd(args, copy_dir, quiet=True).problems), needle="SIFANG_NO_SUCH_SETTING")
        env_file.write_text(env_file.read_text() + "SIFANG_IDEMPOTENCY_TTL_HOURS=100000\n")
        expect_failure("systemd: a value out of the table's bounds", lambda quiet: quiet.problems.extend(
            check_systemd(args, copy_dir, quiet=True).problems), needle="SIFANG_IDEMPOTENCY_TTL_HOURS=100000")
        district_env = copy_dir / "env" / "intake.env"
        if district_env.exists():
            district_env.write_text(district_env.read_text().replace(
                "SIFANG_HANDOFF_INTAKE_CIVIL_AFFAIRS_ENDPOINT=tcp://127.0.0.1:7151",
                "SIFANG_HANDOFF_INTAKE_CIVIL_AFFAIRS_ENDPOINT=tcp://127.0.0.1:7152"))
            expect_failure("systemd: a hand-off peer reached at its PUB port", lambda quiet: quiet.problems.extend(
                check_systemd(args, copy_dir, quiet=True).problems), needle="is not intake-civil-affairs's router")

    # Dockerfile: a runtime library or the zone files left out, root as the user.
    with tempfile.TemporaryDirectory() as work:
        dockerfile = Path(work) / "Dockerfile"
        original = (HERE / "docker" / "Dockerfile").read_text()
        dockerfile.write_text(original.replace(" libpq5", ""))
        expect_failure("docker: a runtime library left out", lambda quiet: quiet.problems.extend(
            check_docker(args, dockerfile, quiet=True).problems), needle="libpq5")
        dockerfile.write_text(original.replace(" tzdata", ""))
        expect_failure("docker: the zone files left out", lambda quiet: quiet.problems.extend(
            check_docker(args, dockerfile, quiet=True).problems), needle="tzdata")
        dockerfile.write_text(original.replace("USER 10001:10001", "USER root"))
        expect_failure("docker: root", lambda quiet: quiet.problems.extend(
            check_docker(args, dockerfile, quiet=True).problems), needle="non-root")
        dockerfile.write_text(original.replace("debian:bookworm-slim", "debian:bullseye-slim"))
        expect_failure("docker: not bookworm", lambda quiet: quiet.problems.extend(
            check_docker(args, dockerfile, quiet=True).problems), needle="bookworm")
    report.summary = "every check catches its broken input" if not report.problems else "some broken input passes"
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("check", choices=["render", "compose", "k8s", "cnpg", "systemd", "docker", "selftest"])
    parser.add_argument("--build", help="the build tree with the daemons (e.g. build)")
    parser.add_argument("--services", default=str(render.SERVICES_FILE))
    args = parser.parse_args()
    if args.check == "render":
        return check_render(args)
    if not args.build:
        parser.error("--build DIR is needed")
    args.build = str(Path(args.build).resolve())
    check = {"compose": check_compose, "k8s": check_k8s, "cnpg": check_cnpg, "systemd": check_systemd,
             "docker": check_docker, "selftest": selftest}[args.check]
    report = check(args)
    return report.done(getattr(report, "summary", "done"))


if __name__ == "__main__":
    sys.exit(main())
