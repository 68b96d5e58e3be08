#!/usr/bin/env python3
"""Every daemon against its settings table: --help lists every setting the
table has (as sifang-settings --json says), and a bad value (not a number,
out of bounds, a bad zone name, a file that is not there, a word not among
the choices) stops the daemon at start with exit code 2 and one JSON line on
stderr naming the variable. A value in Chinese is quoted in that line cut on
a character, never in one. No database is needed: the check comes first.
The README's table (--markdown) holds no raw < outside code spans.

    daemon_settings_test.py SETTINGS_TOOL DAEMON_DIR"""

import json
import os
import re
import subprocess
import sys

BAD = {
    "grid": [("SIFANG_MAX_MESSAGE_BYTES", "abc"), ("SIFANG_IDEMPOTENCY_TTL_HOURS", "0"),
             ("SIFANG_GRID_ID_HASH_KEY_FILE", "/no/such/key"), ("SIFANG_GRID_ENDPOINT", "7101"),
             ("SIFANG_GRID_SCHEMA", "网格" * 20), ("SIFANG_GRID_ENDPOINT", "网格" * 30)],
    "intake": [("SIFANG_INTAKE_SWEEP_MS", "fast"), ("SIFANG_INTAKE_DISPATCH_MINUTES", "2000"),
               ("SIFANG_INTAKE_TIMEZONE", "Asia Shanghai"), ("SIFANG_INTAKE_FOLLOW_GRID", "maybe"),
               ("SIFANG_INTAKE_CALENDAR_WARN_DAYS", "0"), ("SIFANG_INTAKE_HANDOFF_PEERS", "grid@civil-affairs"),
               ("SIFANG_INTAKE_TIMEZONE", "亚洲上海" * 10), ("SIFANG_INTAKE_SWEEP_MS", "很快" * 20)],
    "employment": [("SIFANG_EMPLOYMENT_CIRCLE_M", "far"), ("SIFANG_EMPLOYMENT_IMPORT_LANES", "9"),
                   ("SIFANG_EMPLOYMENT_TIMEZONE", "../../etc/passwd"), ("SIFANG_BATCH_MAX", "0")],
    "volunteer": [("SIFANG_VOLUNTEER_ACTIVE_HOURS", "lots"), ("SIFANG_VOLUNTEER_DISPATCH_MAX_LOAD", "101"),
                  ("SIFANG_VOLUNTEER_TIMEZONE", "/etc/localtime"), ("SIFANG_LOG_LEVEL", "loud"),
                  ("SIFANG_VOLUNTEER_OFFER_TIMEOUT_MS", "soon"), ("SIFANG_VOLUNTEER_OFFER_ATTEMPTS", "0")],
    "evaluation": [("SIFANG_EVALUATION_PAGE_SIZE", "many"), ("SIFANG_EVALUATION_UTC_OFFSET_MINUTES", "900"),
                   ("SIFANG_EVALUATION_SOURCES", "grid nosuch"), ("SIFANG_CLIENT_TIMEOUT_MS", "-1"),
                   ("SIFANG_EVALUATION_LEVEL", "county"), ("SIFANG_EVALUATION_SOURCES", "sifang:grid")],
    "gateway": [("SIFANG_GATEWAY_RETRIES", "once"), ("SIFANG_GATEWAY_MAX_CONNECTIONS", "0"),
                ("SIFANG_GATEWAY_ANONYMOUS", "admin"), ("SIFANG_GATEWAY_SCHEMA", "Gate-way"),
                ("SIFANG_GATEWAY_ANONYMOUS", "管理员" * 10), ("SIFANG_GATEWAY_SCHEMA", "网关" * 20)],
}


def main():
    tool, daemon_dir = sys.argv[1], sys.argv[2]
    tables = json.loads(subprocess.run([tool, "--json"], capture_output=True, text=True, check=True).stdout)
    failures = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIFANG_")}
    env["ASAN_OPTIONS"] = "detect_leaks=0"
    for daemon, cases in BAD.items():
        binary = os.path.join(daemon_dir, daemon, f"sifang-{daemon}")
        if daemon not in tables:
            failures.append(f"{daemon}: not in sifang-settings --json")
            continue
        shown = subprocess.run([binary, "--help"], capture_output=True, text=True, env=env, timeout=20)
        if shown.returncode != 0:
            failures.append(f"{daemon} --help exited {shown.returncode}")
        for setting in tables[daemon]:
            if f"  {setting['name']} " not in shown.stdout:
                failures.append(f"{daemon} --help does not list {setting['name']}")
        for variable, value in cases:
            run = subprocess.run([binary], capture_output=True, env={**env, variable: value}, timeout=20)
            try:
                run.stderr = run.stderr.decode("utf-8")
            except UnicodeDecodeError as error:
                failures.append(f"{daemon} with {variable}={value!r}: stderr is not UTF-8 ({error})")
                continue
            lines = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
            named = [line for line in lines if line.get("msg") == "bad setting" and line.get("setting") == variable
                     and line.get("level") == "error" and line.get("reason")]
            if run.returncode != 2 or len(named) != 1:
                failures.append(f"{daemon} with {variable}={value!r}: exit {run.returncode}, stderr {run.stderr[:300]!r}")
            elif not value.isascii() and (value[:13] not in named[0]["reason"] or "\ufffd" in named[0]["reason"]):
                failures.append(f"{daemon} with {variable}={value!r}: the reason does not quote its start whole:"
                                f" {named[0]['reason']!r}")
    # The README's table: outside code spans a cell holds no raw < (an
    # HTML tag to some renderers, which drop it) and every row has 4 cells.
    markdown = subprocess.run([tool, "--markdown"], capture_output=True, text=True, check=True).stdout
    for row in (line for line in markdown.splitlines() if line.startswith("| `")):
        text = re.sub(r"`[^`]*`", "", row)
        if "<" in text or text.count("|") != 5:
            failures.append(f"--markdown's row is not escaped for Markdown: {row}")
    if "&lt;public-key> &lt;principal> &lt;role> [scope]" not in markdown:
        failures.append("--markdown does not show the allowlist's <public-key> <principal> <role> [scope]")
    for failure in failures:
        print("FAIL", failure)
    print(f"daemon settings: {sum(len(c) for c in BAD.values())} bad values, {len(BAD)} daemons;"
          f" {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
