#!/usr/bin/env python3
"""Renders every Sifang deployment from the one list of services,
deploy/services.txt: docker-compose.yml, deploy/k8s/*.yaml and the
per-service files of deploy/systemd; and prints the Kubernetes Secrets made
from a directory of keys.

    deploy/render.py                 write the rendered files into the checkout
    deploy/render.py --check         exit 1 (with a diff) when one is out of date
    deploy/render.py --out DIR       write them under DIR instead
    deploy/render.py k8s-secrets DIR [--keygen PATH]
                                     make the CURVE keys (sifang-keygen), the
                                     hash key and the database passwords in DIR
                                     (kept when present) and print them as
                                     Secrets: ... | kubectl apply -f -
    deploy/render.py instances       the departments' instances and the
                                     sources of their followers, a line each,
                                     for scripts/up.sh and scripts/secure.sh
                                     (one machine: they read the same list)

Needs Python 3 and PyYAML (Debian: python3-yaml)."""

import argparse
import difflib
import os
import re
import secrets as random_secrets
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SERVICES_FILE = ROOT / "deploy" / "services.txt"

# Where the keys are inside a container, and the image user (the Dockerfile's).
KEY_DIR = "/var/lib/sifang/keys"
IMAGE_UID = 10001
DATABASE = "sifang"
NAMESPACE = "sifang"
# The operators' key for the CLI (docker-compose run --rm cli ...).
OPS_PRINCIPAL = "ops:admin"

HEADER = ("Rendered by deploy/render.py from deploy/services.txt: edit those, then run\n"
          "deploy/render.py (the deploy tests fail when this file is out of date).")


class Service:
    """One line of deploy/services.txt."""

    KEYS = {"router", "publish", "http", "calls", "follows", "listen", "secret", "env",
            "replicas", "cpu", "memory", "of", "instance", "sources", "reaches", "owns"}

    def __init__(self, name, settings, line):
        self.name = name
        self.line = line
        self.of = settings.get("of", name)          # the daemon it runs
        self.instance = settings.get("instance")    # a department's instance of it
        self.sources = settings.get("sources")      # the variable listing what it follows
        self.reaches = settings.get("reaches")      # the variable listing what it calls, instances too
        self.router = settings.get("router")
        self.publish = settings.get("publish")
        self.http = settings.get("http")
        self.calls = [c for c in settings.get("calls", "").split(",") if c]
        self.follows = [c for c in settings.get("follows", "").split(",") if c]
        self.listen = settings.get("listen")
        self.secrets = []   # (variable, file)
        for value in settings.get("secret", []):
            variable, _, file = value.partition(":")
            self.secrets.append((variable, file))
        self.env = []       # (variable, value)
        for value in settings.get("env", []):
            variable, _, fixed = value.partition("=")
            self.env.append((variable, fixed))
        # The hand-off rule's entries (intake): departments, unit prefixes, "*".
        self.owns = [c for c in settings.get("owns", "").split(",") if c]
        self.replicas = int(settings.get("replicas", "1"))
        self.cpu = settings.get("cpu", "100m")
        self.memory = settings.get("memory", "128Mi")

    @property
    def upper(self):
        """How others name it in variables (intake-civil-affairs -> INTAKE_CIVIL_AFFAIRS)."""
        return self.name.upper().replace("-", "_")

    @property
    def of_upper(self):
        """How its daemon names its own variables (SIFANG_INTAKE_ENDPOINT)."""
        return self.of.upper().replace("-", "_")

    @property
    def schema(self):
        """Its schema, and its role sifang_<schema>."""
        return self.name.replace("-", "_")

    @property
    def instance_name(self):
        return self.instance or self.name

    @property
    def instance_upper(self):
        """How a hand-off peer names it (intake@civil-affairs -> INTAKE_CIVIL_AFFAIRS)."""
        return self.instance_name.upper().replace("@", "_").replace("-", "_")

    @property
    def zmq(self):
        return self.router is not None

    @property
    def peers(self):
        """Services it reaches, in the order given, each once."""
        seen = []
        for peer in self.follows + self.calls:
            if peer not in seen:
                seen.append(peer)
        return seen

    def ports(self):
        """(name, port) it listens on."""
        if self.zmq:
            return [("router", int(self.router)), ("publish", int(self.publish))]
        return [("http", int(self.http))]


def fail(message):
    sys.exit(f"render.py: {message}")


def load_services(path=SERVICES_FILE):
    services = []
    for number, raw in enumerate(Path(path).read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, *tokens = line.split()
        where = f"{path}:{number}"
        if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", name) or len(name) > 40:
            fail(f"{where}: a service name is lower-case letters, digits and inner dashes: {name}")
        settings = {"secret": [], "env": []}
        for token in tokens:
            key, equals, value = token.partition("=")
            if not equals or key not in Service.KEYS:
                fail(f"{where}: unknown setting {token} (known: {', '.join(sorted(Service.KEYS))})")
            if key in ("secret", "env"):
                settings[key].append(value)
            else:
                settings[key] = value
        service = Service(name, settings, number)
        if service.zmq == (service.http is not None) or (service.zmq and not service.publish):
            fail(f"{where}: give router= and publish= (a ZeroMQ daemon) or http= (an HTTP one)")
        if service.http and not service.listen:
            fail(f"{where}: an HTTP daemon needs listen=VARIABLE")
        for port in (service.router, service.publish, service.http):
            if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
                fail(f"{where}: bad port {port}")
        for variable, file in service.secrets:
            if not re.fullmatch(r"SIFANG_[A-Z0-9_]+", variable) or not re.fullmatch(r"[a-z0-9.-]+", file):
                fail(f"{where}: secret= takes SIFANG_VARIABLE:file-name")
        if (service.of != service.name) != bool(service.instance):
            fail(f"{where}: a department's instance takes both of=SERVICE and instance=SERVICE@DEPARTMENT")
        if service.instance and not re.fullmatch(re.escape(service.of) + r"@[a-z0-9-]+", service.instance):
            fail(f"{where}: instance= is {service.of}@<department>")
        for entry in service.owns:
            if not re.fullmatch(r"\*|[0-9]{1,18}|[a-z0-9]+(-[a-z0-9]+)*", entry):
                fail(f"{where}: owns= takes departments' codes, unit code prefixes (digits) or *: {entry}")
        if service.owns and (service.of != "intake" or not service.zmq):
            fail(f"{where}: owns= is the hand-off rule of an intake instance")
        services.append(service)
    names = [s.name for s in services]
    if len(set(names)) != len(names):
        fail(f"{path}: a service is listed twice")
    # The daemon refuses to start when two instances of a hand-off group own
    # the same entry: so does the list.
    for service in services:
        for peer in handoff_peers(service, services):
            shared = set(service.owns) & set(peer.owns)
            if shared:
                fail(f"{path}:{service.line}: {service.name} and {peer.name} both own {', '.join(sorted(shared))}"
                     " (owns=): a case would have two instances")
    for service in services:
        for peer in service.peers:
            if peer not in names or peer == service.name:
                fail(f"{path}:{service.line}: {service.name} reaches unknown service {peer}")
            target = next(s for s in services if s.name == peer)
            if peer in service.follows and not target.zmq:
                fail(f"{path}:{service.line}: {service.name} follows {peer}, which has no event log")
            if peer in service.calls and target.of != target.name and not service.reaches:
                fail(f"{path}:{service.line}: {service.name} calls {peer}, a department's instance:"
                     " callers reach a service by its name; follow an instance instead, or name"
                     " the variable that takes the instances it calls (reaches=)")
        if service.of != service.name and service.of in names:
            base = next(s for s in services if s.name == service.of)
            if set(service.ports()) & set(base.ports()):
                pass   # containers have ports of their own; on one host (systemd) they must differ
    return services


def handoff_peers(service, services):
    """The instances a service hands cases to and takes them from: every
    other line of the same daemon with owns= (docs/operations.md, "City
    level and hand-off"), in the list's order."""
    if not service.owns:
        return []
    return [s for s in services if s is not service and s.of == service.of and s.owns]


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text()
    match = re.search(r"project\(sifang\s+VERSION\s+([0-9.]+)", text)
    return match.group(1) if match else "latest"


def by_name(services):
    return {s.name: s for s in services}


def earlier_peers(service, services):
    """Peers listed above it: the ones it waits for (the list is the start order)."""
    order = [s.name for s in services]
    return [p for p in service.peers if order.index(p) < order.index(service.name)]


def probe_command(service, live=False):
    if service.zmq:
        return ["sifang-probe"] + (["--live"] if live else []) + [service.of]
    path = "/healthz" if live else "/readyz"
    return ["sifang-probe", "--http", f"http://127.0.0.1:{service.http}{path}"]


def daemon_env(service, services, where):
    """The service's settings for one kind of deployment: compose, k8s or
    systemd. Database passwords are added by each kind in its own way."""
    table = by_name(services)
    if where == "systemd":
        credentials = f"/run/credentials/sifang@{service.name}.service"
        own_key = f"{credentials}/{service.name}.key"
        public_dir = "/etc/sifang/keys"
    else:
        credentials = public_dir = KEY_DIR
        own_key = f"{KEY_DIR}/{service.name}.key"
    env = {}
    if service.zmq:
        env[f"SIFANG_{service.of_upper}_ENDPOINT"] = f"tcp://*:{service.router}"
        env[f"SIFANG_{service.of_upper}_PUBLISH"] = f"tcp://*:{service.publish}"
    else:
        env[service.listen] = f"*:{service.http}"
    if service.instance:
        env["SIFANG_INSTANCE"] = service.instance
        env[f"SIFANG_{service.of_upper}_SCHEMA"] = service.schema
    if where != "k8s":   # k8s: the shared ConfigMap sifang-database
        env["PGHOST"] = "postgres" if where == "compose" else "127.0.0.1"
        env["PGPORT"] = "5432"
        env["PGDATABASE"] = DATABASE
    env["PGUSER"] = f"sifang_{service.schema}"
    if service.zmq:
        env["SIFANG_CURVE_SECRET_KEY_FILE"] = own_key
        env["SIFANG_CURVE_ALLOWLIST"] = f"{public_dir}/allowlist"
    else:
        env["SIFANG_CURVE_CLIENT_KEY_FILE"] = own_key
    for peer_name in service.peers:
        peer = table[peer_name]
        host = "127.0.0.1" if where == "systemd" else peer.name
        if peer.zmq:
            env[f"SIFANG_{peer.upper}_ENDPOINT"] = f"tcp://{host}:{peer.router}"
            if peer_name in service.follows:
                env[f"SIFANG_{peer.upper}_PUBLISH"] = f"tcp://{host}:{peer.publish}"
            env[f"SIFANG_{peer.upper}_PUBLIC_KEY_FILE"] = f"{public_dir}/{peer.name}.pub"
    # Hand-off between intake instances: its own rule, and each peer's
    # endpoint, key and rule, reached directly (the peers thread's client).
    peers = handoff_peers(service, services)
    if peers:
        env[f"SIFANG_{service.of_upper}_OWNS"] = " ".join(service.owns)
        env[f"SIFANG_{service.of_upper}_HANDOFF_PEERS"] = " ".join(p.instance_name for p in peers)
        for peer in peers:
            host = "127.0.0.1" if where == "systemd" else peer.name
            stem = f"SIFANG_HANDOFF_{peer.instance_upper}"
            env[f"{stem}_ENDPOINT"] = f"tcp://{host}:{peer.router}"
            env[f"{stem}_PUBLIC_KEY_FILE"] = f"{public_dir}/{peer.name}.pub"
            env[f"{stem}_OWNS"] = " ".join(peer.owns)
    if service.sources:
        env[service.sources] = " ".join(table[p].instance_name for p in service.follows)
    if service.reaches:
        env[service.reaches] = " ".join(table[p].instance_name for p in service.calls)
    for variable, file in service.secrets:
        env[variable] = f"{credentials}/{file}"
    for variable, value in service.env:
        env[variable] = value
    env["SIFANG_LOG_LEVEL"] = "info"
    return env


def keygen_entries(services):
    """sifang-keygen's entries: every service is a client of the others (its
    own key, role service; the gateway's role is gateway), and the operators."""
    entries = [f"{s.name}:{'service' if s.zmq else s.name}" for s in services]
    return entries + [OPS_PRINCIPAL]


# --- docker-compose ------------------------------------------------------------------

def password_variable(service):
    return f"SIFANG_{service.upper}_DB_PASSWORD"


def compose(services):
    version = project_version()
    build = {"context": ".", "dockerfile": "deploy/docker/Dockerfile"}
    missing = "run deploy/docker/init-env.sh first"
    out = {"services": {}, "volumes": {"pgdata": {}, "keys": {}}}
    out["services"]["postgres"] = {
        "image": "postgres:15-bookworm",
        "labels": {"org.sifang.role": "database"},
        "environment": {
            "POSTGRES_DB": DATABASE,
            "POSTGRES_USER": "postgres",
            "POSTGRES_PASSWORD": f"${{SIFANG_POSTGRES_PASSWORD:?{missing}}}",
            # Codes compare byte by byte (layout.sql refuses anything else).
            "POSTGRES_INITDB_ARGS": "--encoding=UTF8 --locale=C",
            "LAYOUT_SERVICES": " ".join(s.schema for s in services),
            **{f"PASSWORD_sifang_{s.schema}": f"${{{password_variable(s)}:?{missing}}}" for s in services},
        },
        "volumes": [
            "pgdata:/var/lib/postgresql/data",
            "./deploy/postgres/initdb.d:/docker-entrypoint-initdb.d:ro",
            "./deploy/postgres/layout.sql:/usr/share/sifang/layout.sql:ro",
        ],
        # TCP, not the socket: the image's first-start server listens on the
        # socket only, and must not count as ready.
        "healthcheck": {
            "test": Flow(["CMD", "pg_isready", "-h", "127.0.0.1", "-U", "postgres", "-d", DATABASE]),
            "interval": "5s", "timeout": "5s", "retries": 10, "start_period": "30s",
        },
        "restart": "unless-stopped",
    }
    hash_keys = [(file) for s in services for _, file in s.secrets]
    script = [f"sifang-keygen {KEY_DIR} " + " ".join(keygen_entries(services))]
    for file in hash_keys:
        path = f"{KEY_DIR}/{file}"
        script.append(f"test -s {path} || (umask 077 && od -An -tx1 -N32 /dev/urandom"
                      f" | tr -d ' \\n' > {path}.new && mv {path}.new {path})")
    out["services"]["keys"] = {
        "build": {**build, "target": "tools"},
        "image": f"sifang/tools:{version}",
        "labels": {"org.sifang.role": "keys"},
        # sifang-keygen keeps existing keys: every `up` runs this safely.
        "command": ["sh", "-ec", "\n".join(script) + "\n"],
        "volumes": [f"keys:{KEY_DIR}"],
        "restart": "no",
    }
    for service in services:
        env = daemon_env(service, services, "compose")
        env["PGPASSWORD"] = f"${{{password_variable(service)}:?{missing}}}"
        depends = {"postgres": {"condition": "service_healthy"},
                   "keys": {"condition": "service_completed_successfully"}}
        for peer in earlier_peers(service, services):
            depends[peer] = {"condition": "service_healthy"}
        entry = {
            "build": {**build, "args": {
                "SERVICE": service.of,
                "PROBE": " ".join(probe_command(service)[1:]),
            }},
            "image": f"sifang/{service.of}:{version}",
            "labels": {"org.sifang.role": "daemon", "org.sifang.service": service.name,
                       "org.sifang.daemon": service.of},
            "environment": env,
            "volumes": [f"keys:{KEY_DIR}:ro"],
            "depends_on": depends,
            "healthcheck": {"test": Flow(["CMD"] + probe_command(service)), "interval": "10s",
                            "timeout": "5s", "retries": 3, "start_period": "60s"},
            "restart": "unless-stopped",
            "stop_grace_period": "30s",
        }
        if service.http:
            entry["ports"] = [f"${{SIFANG_HTTP_PORT:-{service.http}}}:{service.http}"]
        out["services"][service.name] = entry
    cli_env = {"SIFANG_CURVE_CLIENT_KEY_FILE": f"{KEY_DIR}/{OPS_PRINCIPAL.split(':')[0]}.key"}
    for service in services:
        if service.zmq and service.of == service.name:
            cli_env[f"SIFANG_{service.upper}_ENDPOINT"] = f"tcp://{service.name}:{service.router}"
            cli_env[f"SIFANG_{service.upper}_PUBLIC_KEY_FILE"] = f"{KEY_DIR}/{service.name}.pub"
    out["services"]["cli"] = {
        "image": f"sifang/tools:{version}",
        "labels": {"org.sifang.role": "tool"},
        "profiles": ["tools"],
        "environment": cli_env,
        "volumes": [f"keys:{KEY_DIR}:ro"],
        "depends_on": {"keys": {"condition": "service_completed_successfully"}},
        "command": Flow(["sifang", "--help"]),
    }
    return out


# --- Kubernetes ------------------------------------------------------------------------

def labels(name, component):
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "sifang",
            "app.kubernetes.io/component": component}


def selector(name):
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "sifang"}


def quantity_times(quantity, factor):
    match = re.fullmatch(r"(\d+)(m|Mi|Gi)?", quantity)
    if not match:
        fail(f"cannot scale the quantity {quantity}")
    return f"{int(match.group(1)) * factor}{match.group(2) or ''}"


def k8s_service_documents(service, services):
    version = project_version()
    component = "daemon" if service.zmq else "gateway"
    env = daemon_env(service, services, "k8s")
    config = {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": f"sifang-{service.name}", "namespace": NAMESPACE,
                     "labels": labels(service.name, component)},
        "data": env,
    }
    probe_timing = {"timeoutSeconds": 5}
    if service.zmq:
        readiness = {"exec": {"command": Flow(probe_command(service))}}
        liveness = {"exec": {"command": Flow(probe_command(service, live=True))}}
    else:
        readiness = {"httpGet": {"path": "/readyz", "port": "http"}}
        liveness = {"httpGet": {"path": "/healthz", "port": "http"}}
    key_files = [f"{service.name}.key"] + [file for _, file in service.secrets]
    container = {
        "name": service.name,
        "image": f"sifang/{service.of}:{version}",
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": name, "containerPort": port, "protocol": "TCP"} for name, port in service.ports()],
        "envFrom": [{"configMapRef": {"name": "sifang-database"}},
                    {"configMapRef": {"name": f"sifang-{service.name}"}}],
        "env": [{"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {
            "name": f"sifang-{service.name}-db", "key": "password"}}}],
        "volumeMounts": [{"name": "keys", "mountPath": KEY_DIR, "readOnly": True}],
        "startupProbe": {**liveness, **probe_timing, "periodSeconds": 2, "failureThreshold": 60},
        "readinessProbe": {**readiness, **probe_timing, "periodSeconds": 10, "failureThreshold": 3},
        "livenessProbe": {**liveness, **probe_timing, "periodSeconds": 20, "failureThreshold": 3},
        "resources": {
            "requests": {"cpu": service.cpu, "memory": service.memory},
            "limits": {"cpu": quantity_times(service.cpu, 4), "memory": quantity_times(service.memory, 2)},
        },
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": Flow(["ALL"])}},
    }
    # Secret volumes are root's unless group-readable; the daemon wants its
    # keys private (mode 0600, its own): an init container copies them into
    # memory as the image user.
    copy_keys = {
        "name": "keys",
        "image": f"sifang/{service.of}:{version}",
        "imagePullPolicy": "IfNotPresent",
        "command": ["sh", "-ec", f"umask 077; cp -L /secret/* /public/* {KEY_DIR}/"],
        "volumeMounts": [{"name": "secret", "mountPath": "/secret", "readOnly": True},
                         {"name": "public", "mountPath": "/public", "readOnly": True},
                         {"name": "keys", "mountPath": KEY_DIR}],
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "32Mi"}},
        "securityContext": container["securityContext"],
    }
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": service.name, "namespace": NAMESPACE, "labels": labels(service.name, component)},
        "spec": {
            "replicas": service.replicas,
            "selector": {"matchLabels": selector(service.name)},
            # A replica leaves only when its successor is ready.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": labels(service.name, component)},
                "spec": {
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": IMAGE_UID, "runAsGroup": IMAGE_UID,
                                        "fsGroup": IMAGE_UID, "seccompProfile": {"type": "RuntimeDefault"}},
                    "initContainers": [copy_keys],
                    "containers": [container],
                    "volumes": [
                        {"name": "secret", "secret": {"secretName": f"sifang-{service.name}-keys",
                                                      "defaultMode": Octal(0o440),
                                                      "items": [{"key": f, "path": f} for f in key_files]}},
                        {"name": "public", "configMap": {"name": "sifang-public-keys", "defaultMode": Octal(0o444)}},
                        {"name": "keys", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                    ],
                },
            },
        },
    }
    kube_service = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": service.name, "namespace": NAMESPACE, "labels": labels(service.name, component)},
        "spec": {
            "type": "ClusterIP",
            "selector": selector(service.name),
            "ports": [{"name": name, "port": port, "targetPort": name, "protocol": "TCP"}
                      for name, port in service.ports()],
        },
    }
    documents = [config, deployment, kube_service]
    if service.replicas > 1:
        documents.append({
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": service.name, "namespace": NAMESPACE, "labels": labels(service.name, component)},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": selector(service.name)}},
        })
    return documents


def k8s_common_documents(services):
    namespace = {"apiVersion": "v1", "kind": "Namespace",
                 "metadata": {"name": NAMESPACE, "labels": {"app.kubernetes.io/part-of": "sifang"}}}
    database = {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "sifang-database", "namespace": NAMESPACE,
                     "labels": {"app.kubernetes.io/part-of": "sifang"}},
        # Point these at the PostgreSQL 15 the suite uses (one database for all).
        "data": {"PGHOST": "postgres", "PGPORT": "5432", "PGDATABASE": DATABASE, "PGSSLMODE": "prefer"},
    }
    part_of = {"app.kubernetes.io/part-of": "sifang"}
    policies = [
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "sifang-default-deny-ingress", "namespace": NAMESPACE, "labels": part_of},
         "spec": {"podSelector": {}, "policyTypes": Flow(["Ingress"])}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "sifang-daemons", "namespace": NAMESPACE, "labels": part_of},
         "spec": {
             "podSelector": {"matchLabels": {**part_of, "app.kubernetes.io/component": "daemon"}},
             "policyTypes": Flow(["Ingress"]),
             "ingress": [{
                 "from": [{"podSelector": {"matchLabels": part_of}}],
                 "ports": [{"protocol": "TCP", "port": port}
                           for s in services if s.zmq for _, port in s.ports()],
             }]}},
    ]
    for service in services:
        if service.http:
            policies.append({
                "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": f"sifang-{service.name}-from-anywhere", "namespace": NAMESPACE,
                             "labels": part_of},
                "spec": {"podSelector": {"matchLabels": selector(service.name)},
                         "policyTypes": Flow(["Ingress"]),
                         "ingress": [{"ports": [{"protocol": "TCP", "port": service.http}]}]}})
    # The same SQL and script as the compose PostgreSQL runs.
    layout_sql = (ROOT / "deploy" / "postgres" / "layout.sql").read_text()
    layout_sh = (ROOT / "deploy" / "postgres" / "initdb.d" / "10-sifang.sh").read_text()
    layout_config = {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "sifang-db-layout", "namespace": NAMESPACE, "labels": part_of},
        "data": {"layout.sql": layout_sql, "layout.sh": layout_sh},
    }
    layout_job = {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "sifang-db-layout", "namespace": NAMESPACE, "labels": part_of},
        "spec": {
            "backoffLimit": 10,
            "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": {"labels": {**part_of, "app.kubernetes.io/name": "db-layout"}},
                "spec": {
                    "restartPolicy": "OnFailure",
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 999, "runAsGroup": 999,
                                        "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "layout",
                        "image": "postgres:15-bookworm",
                        "command": Flow(["bash", "/layout/layout.sh"]),
                        "envFrom": [{"configMapRef": {"name": "sifang-database"}},
                                    {"secretRef": {"name": "sifang-postgres-admin"}}],
                        "env": [{"name": "LAYOUT_SERVICES", "value": " ".join(s.schema for s in services)},
                                {"name": "LAYOUT_SQL", "value": "/layout/layout.sql"}] + [
                            {"name": f"PASSWORD_sifang_{s.schema}", "valueFrom": {"secretKeyRef": {
                                "name": f"sifang-{s.name}-db", "key": "password"}}} for s in services],
                        "volumeMounts": [{"name": "layout", "mountPath": "/layout", "readOnly": True},
                                         {"name": "tmp", "mountPath": "/tmp"}],
                        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"},
                                      "limits": {"cpu": "200m", "memory": "128Mi"}},
                        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": Flow(["ALL"])}},
                    }],
                    "volumes": [{"name": "layout", "configMap": {"name": "sifang-db-layout"}},
                                {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}}],
                },
            },
        },
    }
    return {
        "namespace.yaml": [namespace],
        "database.yaml": [database, layout_config, layout_job],
        "networkpolicy.yaml": policies,
    }


def k8s(services):
    files = k8s_common_documents(services)
    for service in services:
        files[f"{service.name}.yaml"] = k8s_service_documents(service, services)
    files["kustomization.yaml"] = [{
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "namespace": NAMESPACE,
        "resources": [name for name in files if name != "kustomization.yaml"],
    }]
    return files


def k8s_secrets(services, directory, keygen):
    """The Secrets and the public-key ConfigMap, from (and into) directory."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run([keygen, str(directory)] + keygen_entries(services), check=True,
                   stdout=subprocess.DEVNULL)
    for service in services:
        for _, file in service.secrets:
            path = directory / file
            if not path.exists() or not path.read_text().strip():
                write_private(path, random_secrets.token_hex(32))
        password = directory / f"{service.name}.db-password"
        if not password.exists():
            write_private(password, random_secrets.token_urlsafe(24))
    import base64

    def b64(path):
        return base64.b64encode(Path(path).read_bytes()).decode()

    documents = []
    for service in services:
        data = {f"{service.name}.key": b64(directory / f"{service.name}.key")}
        for _, file in service.secrets:
            data[file] = b64(directory / file)
        documents.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                          "metadata": {"name": f"sifang-{service.name}-keys", "namespace": NAMESPACE,
                                       "labels": selector(service.name)},
                          "data": data})
        documents.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                          "metadata": {"name": f"sifang-{service.name}-db", "namespace": NAMESPACE,
                                       "labels": selector(service.name)},
                          "data": {"password": b64(directory / f"{service.name}.db-password")}})
    public = {f"{s.name}.pub": (directory / f"{s.name}.pub").read_text() for s in services}
    public["allowlist"] = (directory / "allowlist").read_text()
    documents.append({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "sifang-public-keys", "namespace": NAMESPACE,
                                   "labels": {"app.kubernetes.io/part-of": "sifang"}},
                      "data": public})
    return documents


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text + "\n")


# --- systemd ------------------------------------------------------------------------------

def systemd(services):
    files = {}
    for service in services:
        env = daemon_env(service, services, "systemd")
        env["PGPASSFILE"] = f"/run/credentials/sifang@{service.name}.service/pgpass"
        lines = [f"# /etc/sifang/{service.name}.env: the settings of sifang@{service.name}.service",
                 f"# (see sifang-{service.of} --help).", "# " + HEADER.replace("\n", "\n# "),
                 "# The peers are on this host (127.0.0.1): on several hosts, point each",
                 "# SIFANG_<PEER>_ENDPOINT at the host that runs it.", ""]
        lines += [f"{name}={value}" for name, value in env.items()]
        lines += ["", "# Not a daemon setting: what ExecStartPost= waits for (sifang-probe --help).",
                  "PROBE_ARGS=" + " ".join(probe_command(service, live=True)[1:]), ""]
        files[f"env/{service.name}.env"] = "\n".join(lines)
        if service.secrets:
            conf = [f"# Credentials of sifang@{service.name}.service besides its CURVE key.",
                    "# " + HEADER.replace("\n", "\n# "), "[Service]"]
            conf += [f"LoadCredential={file}:/etc/sifang/keys/{file}" for _, file in service.secrets]
            files[f"sifang@{service.name}.service.d/credentials.conf"] = "\n".join(conf) + "\n"
        if service.of != service.name:
            conf = [f"# sifang@{service.name}.service runs sifang-{service.of} as {service.instance}.",
                    "# " + HEADER.replace("\n", "\n# "), "[Service]", "ExecStart=",
                    f"ExecStart=/usr/local/bin/sifang-{service.of}"]
            files[f"sifang@{service.name}.service.d/instance.conf"] = "\n".join(conf) + "\n"
    return files


# --- output ---------------------------------------------------------------------------------

class Flow(list):
    """A list written on one line: commands, short lists."""


class Octal(int):
    """A file mode, written as one (0440)."""


class Dumper(yaml.SafeDumper):
    """Block style, no line wrapping, no anchors, multi-line strings as
    literal blocks."""

    def ignore_aliases(self, data):
        return True


Dumper.add_representer(Octal, lambda dumper, data: dumper.represent_scalar(
    "tag:yaml.org,2002:int", f"0{data:o}"))
Dumper.add_representer(Flow, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", data, flow_style=True))
Dumper.add_representer(str, lambda dumper, data: dumper.represent_scalar(
    "tag:yaml.org,2002:str", data, style="|" if "\n" in data else None))


def dump_yaml(documents, comment):
    header = "".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines())
    body = "---\n".join(yaml.dump(d, Dumper=Dumper, sort_keys=False, default_flow_style=False,
                                  width=1 << 16, allow_unicode=True) for d in documents)
    return header + body


def outputs(services):
    """Every rendered file: path relative to the checkout -> text."""
    files = {}
    files["docker-compose.yml"] = dump_yaml([compose(services)], (
        "Sifang on one Docker host: PostgreSQL, the keys, every daemon and the gateway.\n"
        "  deploy/docker/init-env.sh      # once: .env with the database passwords\n"
        "  docker-compose up -d --build   # keys are made on the first start\n"
        "  docker-compose run --rm cli sifang call grid Sys.Ping '{}'\n"
        "See docs/operations.md.\n" + HEADER))
    for name, documents in k8s(services).items():
        files[f"deploy/k8s/{name}"] = dump_yaml(documents, (
            f"deploy/k8s/{name}: " + ("the whole of it: kubectl apply -k deploy/k8s"
                                      if name == "kustomization.yaml" else "part of deploy/k8s")
            + "\n(see docs/operations.md, Kubernetes).\n" + HEADER))
    for name, text in systemd(services).items():
        files[f"deploy/systemd/{name}"] = text
    return files


def rendered_paths_on_disk(root):
    """Rendered files present now (to find ones left over from a removed service)."""
    found = set()
    for pattern in ("deploy/k8s/*.yaml", "deploy/systemd/env/*.env",
                    "deploy/systemd/sifang@*.service.d/*.conf"):
        for path in Path(root).glob(pattern):
            if HEADER.splitlines()[0] in path.read_text():
                found.add(str(path.relative_to(root)))
    return found


def instances(services):
    """The lines scripts/up.sh and scripts/secure.sh read, so that one
    machine runs the departments' instances as every deployment does:
      ports NAME ROUTER PUBLISH            (every ZeroMQ daemon)
      instance NAME OF INSTANCE SCHEMA ROUTER PUBLISH [VARIABLE=VALUE...]
      sources NAME VARIABLE INSTANCE...    (what NAME follows, or with
                                            reaches= calls, by instance)
      owns NAME INSTANCE ENTRY,...         (the hand-off rule of an intake
                                            instance: owns=)"""
    table = by_name(services)
    lines = [f"ports {s.name} {s.router} {s.publish}" for s in services if s.zmq]
    for s in services:
        if s.instance:
            fixed = [f"{variable}={value}" for variable, value in s.env]
            lines.append(" ".join(["instance", s.name, s.of, s.instance, s.schema, s.router, s.publish] + fixed))
    for s in services:
        if s.sources:
            lines.append(" ".join(["sources", s.name, s.sources] + [table[p].instance_name for p in s.follows]))
        if s.reaches:
            lines.append(" ".join(["sources", s.name, s.reaches] + [table[p].instance_name for p in s.calls]))
    for s in services:
        if s.owns:
            lines.append(" ".join(["owns", s.name, s.instance_name, ",".join(s.owns)]))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", choices=["render", "k8s-secrets", "instances"], default="render")
    parser.add_argument("directory", nargs="?", help="k8s-secrets: the key directory")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--out", help="write under this directory instead of the checkout")
    parser.add_argument("--services", default=str(SERVICES_FILE), help="the list (default deploy/services.txt)")
    parser.add_argument("--keygen", help="k8s-secrets: the sifang-keygen to use")
    args = parser.parse_args()
    services = load_services(args.services)

    if args.command == "instances":
        print("\n".join(instances(services)))
        return 0
    if args.command == "k8s-secrets":
        if not args.directory:
            fail("k8s-secrets needs the key directory")
        keygen = args.keygen or shutil.which("sifang-keygen") or str(ROOT / "build" / "tools" / "sifang-keygen")
        print(dump_yaml(k8s_secrets(services, args.directory, keygen), (
            f"Secrets of Sifang, made from {args.directory} (keep that directory: it is what\n"
            "key rotation and a re-run start from). Apply with kubectl apply -f -; do not commit.")), end="")
        return 0

    files = outputs(services)
    root = Path(args.out) if args.out else ROOT
    if args.check:
        stale = []
        for relative, text in files.items():
            path = root / relative
            current = path.read_text() if path.exists() else ""
            if current != text:
                stale.append(relative)
                sys.stdout.writelines(difflib.unified_diff(
                    current.splitlines(True), text.splitlines(True), f"a/{relative}", f"b/{relative}"))
        leftovers = sorted(rendered_paths_on_disk(root) - set(files))
        for relative in leftovers:
            print(f"render.py: {relative} is rendered for no service in the list: remove it")
        if stale or leftovers:
            print(f"render.py: out of date: {' '.join(stale + leftovers)}; run deploy/render.py", file=sys.stderr)
            return 1
        print(f"render.py: {len(files)} rendered files up to date")
        return 0
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {relative}")
    for relative in sorted(rendered_paths_on_disk(root) - set(files)):
        (root / relative).unlink()
        print(f"removed {relative}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
