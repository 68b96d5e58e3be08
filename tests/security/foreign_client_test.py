#!/usr/bin/python3
"""A client that is not ours talks to a real grid: Debian's python3-zmq and
python3-protobuf, with classes protoc --python_out made from proto/. Python's
protobuf keeps a string's length, so it sends U+0000 inside a string as any
client may; grid must refuse each such string, in the header and in the
body, with INVALID_ARGUMENT naming the field (its violation and its message),
and write nothing. Without that check protobuf-c cut the string at the NUL:
"R\\0A" and "R\\0B" were one request id, "370205\\0zzz" read unit 370205 and
a department named "Wire\\0\\x07junk" was stored as "Wire".

Usage: foreign_client_test.py SOURCE_DIR GRID_BINARY   (SIFANG_TEST_PG set,
as the pg_cluster fixture of tests/CMakeLists.txt gives it)."""

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import zmq

failures = 0
checks = 0


def check(condition, what):
    global failures, checks
    checks += 1
    if not condition:
        failures += 1
        print("FAIL:", what, flush=True)
    return condition


def pg_env(pg_dir):
    """The test cluster's libpq settings (scripts/pg.sh writes them)."""
    env = {}
    with open(os.path.join(pg_dir, "env")) as lines:
        for line in lines:
            line = line.strip()
            if line.startswith("export "):
                name, _, value = line[len("export "):].partition("=")
                env[name] = shlex.split(value)[0] if value else ""
    return env


def sql(env, query):
    out = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-c", query], env=env, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def main():
    source_dir, grid_binary = sys.argv[1], sys.argv[2]
    pg_dir = os.environ["SIFANG_TEST_PG"]
    work = tempfile.mkdtemp(prefix="sifang-foreign-")
    daemon = None
    try:
        # The contracts as Python classes.
        proto_dir = os.path.join(source_dir, "proto")
        subprocess.run(["protoc", "--proto_path=" + proto_dir, "--python_out=" + work,
                        "sifang/v1/envelope.proto", "sifang/v1/sys.proto", "sifang/v1/grid.proto"], check=True)
        sys.path.insert(0, work)
        from sifang.v1 import envelope_pb2, grid_pb2, sys_pb2

        env = dict(os.environ)
        for name in ("PGHOSTADDR", "PGSERVICE", "PGSERVICEFILE", "PGUSER"):
            env.pop(name, None)
        env.update(pg_env(pg_dir))
        subprocess.run(["bash", os.path.join(source_dir, "scripts/pg.sh"), "createdb", pg_dir,
                        "foreign_client_test"], check=True, env=env)
        env["PGDATABASE"] = "foreign_client_test"
        endpoint = "ipc://" + os.path.join(work, "grid.router")
        env["SIFANG_GRID_ENDPOINT"] = endpoint
        env["SIFANG_GRID_PUBLISH"] = "ipc://" + os.path.join(work, "grid.pub")
        log = open(os.path.join(work, "grid.log"), "w")
        daemon = subprocess.Popen([grid_binary], env=env, stdout=log, stderr=subprocess.STDOUT)

        context = zmq.Context()
        socket = context.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.connect(endpoint)

        def header(method, request_id=None, scope=""):
            h = envelope_pb2.RequestHeader()
            h.method = method
            h.request_id = request_id if request_id is not None else uuid.uuid4().hex
            h.principal.id = "admin"
            h.principal.role = "admin"
            h.principal.scope = scope
            return h

        def call(h, body, timeout_ms=5000):
            """Sends header and body; the reply header and body, or None."""
            socket.send_multipart([h.SerializeToString(), body.SerializeToString()])
            deadline = time.monotonic() + timeout_ms / 1000
            while time.monotonic() < deadline:
                if socket.poll(100):
                    frames = socket.recv_multipart()
                    reply = envelope_pb2.ReplyHeader()
                    reply.ParseFromString(frames[0])
                    # A refused header is answered without a request id.
                    if reply.request_id in (h.request_id, ""):
                        return reply, frames[1] if len(frames) > 1 else b""
            return None, None

        # Up, with its database.
        ping = sys_pb2.PingReply()
        for _ in range(150):
            reply, body = call(header("Sys.Ping"), sys_pb2.PingRequest(), 200)
            if reply is not None and reply.status == envelope_pb2.OK:
                ping.ParseFromString(body)
                if ping.database_up:
                    break
            time.sleep(0.1)
        if not check(ping.database_up, "grid serves with its database up"):
            return

        # A department through this client: the client itself works.
        department = grid_pb2.Department(code="dept-foreign", name="外来客户端")
        reply, body = call(header("DepartmentCreate"), department)
        check(reply is not None and reply.status == envelope_pb2.OK, "DepartmentCreate without NUL: OK")
        events = sql(env, "SELECT count(*) FROM grid.event_log")
        departments = sql(env, "SELECT count(*) FROM grid.department")

        def refused(what, h, body, field):
            reply, _ = call(h, body)
            if not check(reply is not None, what + ": a reply"):
                return
            fields = [v.field for v in reply.violations]
            check(reply.status == envelope_pb2.INVALID_ARGUMENT, "%s: INVALID_ARGUMENT, got %s (%s)" % (
                what, envelope_pb2.StatusCode.Name(reply.status), reply.message))
            check(fields == [field], "%s: the violation names %s, got %s" % (what, field, fields))
            check(field in reply.message, "%s: the message names %s: %r" % (what, field, reply.message))

        # In the body: a department's name, a unit's code.
        refused("DepartmentCreate name", header("DepartmentCreate"),
                grid_pb2.Department(code="dept-wire", name="Wire\0\x07junk"), "name")
        refused("DepartmentCreate code", header("DepartmentCreate"),
                grid_pb2.Department(code="dept\0-wire", name="Wire"), "code")
        refused("UnitGet code", header("UnitGet"), grid_pb2.CodeRequest(code="370205\0zzz"), "code")
        # In the header: two request ids equal up to their NUL, one 10 KB
        # long with a NUL at 40, the method, the principal's scope.
        refused("request id R\\0A", header("DepartmentCreate", "R\0A"),
                grid_pb2.Department(code="dept-ra", name="RA"), "header.request_id")
        refused("request id R\\0B", header("DepartmentCreate", "R\0B"),
                grid_pb2.Department(code="dept-rb", name="RB"), "header.request_id")
        long_id = "a" * 40 + "\0" + "b" * 10200
        refused("a 10 KB request id", header("DepartmentCreate", long_id),
                grid_pb2.Department(code="dept-long", name="Long"), "header.request_id")
        refused("method", header("Sys.Ping\0junk"), sys_pb2.PingRequest(), "header.method")
        refused("scope", header("DepartmentCreate", scope="370205\0"),
                grid_pb2.Department(code="dept-scope", name="Scope"), "header.principal.scope")

        # Nothing was written: no event, no department, no "Wire".
        check(sql(env, "SELECT count(*) FROM grid.event_log") == events, "no event written")
        check(sql(env, "SELECT count(*) FROM grid.department") == departments, "no department written")
        check(sql(env, "SELECT count(*) FROM grid.department WHERE code LIKE 'dept-%' AND code <> 'dept-foreign'")
              == "0", "no refused department stored under another code")
        check(daemon.poll() is None, "grid still runs")
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.terminate()
            try:
                check(daemon.wait(10) == 0, "grid exits 0 on SIGTERM")
            except subprocess.TimeoutExpired:
                daemon.kill()
                check(False, "grid exits on SIGTERM")
        if failures:
            print("logs kept in", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("foreign_client_test: %d checks, %d failures" % (checks, failures))


if __name__ == "__main__":
    main()
    sys.exit(1 if failures or checks == 0 else 0)
