#!/usr/bin/env python3
"""The settings tables are the one way a SIFANG_* variable is read: outside
common/sf_config.c (the tables' loader, sf_process_settings_read and the
per-service lookups) no production source of common/, services/ or tools/
calls sf_env() or getenv() of a SIFANG_* variable. PG* variables are
libpq's own and TZDIR the C library's: those stay. The demo loaders' seed
(SIFANG_DEMO_SEED, through sf_env_int) is a tool's option read where it is
used, and tests set and read what they like: both are outside this rule.
Prints each offending line and exits 1.

    settings_readers_test.py SOURCE_DIR"""

import os
import re
import sys

ROOTS = ("common", "services", "tools")
ALLOWED = {os.path.join("common", "sf_config.c"), os.path.join("common", "sf_config.h")}
# sf_env and sf_env_int at all (their names are built, so the name tells nothing), and
# getenv/secure_getenv of a literal SIFANG_ name or of a built one.
CALL = re.compile(r"\b(sf_env|sf_env_int|getenv|secure_getenv)\s*\(\s*([^)]*)")


def production(path):
    parts = path.split(os.sep)
    name = parts[-1]
    return (name.endswith((".c", ".h")) and not name.endswith("_test.c") and "tests" not in parts
            and "testdata" not in parts and "demo" not in parts and name != "demo_load.c")


def offences(root):
    found = []
    for top in ROOTS:
        for directory, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                path = os.path.relpath(os.path.join(directory, name), root)
                if not production(path) or path in ALLOWED:
                    continue
                with open(os.path.join(root, path), encoding="utf-8") as source:
                    for number, line in enumerate(source, 1):
                        for call in CALL.finditer(line):
                            argument = call.group(2).strip()
                            if call.group(1).startswith("sf_env") or not argument.startswith('"') \
                                    or argument.startswith('"SIFANG_'):
                                found.append("%s:%d: %s" % (path, number, line.strip()))
    return found


def main():
    found = offences(sys.argv[1])
    for line in found:
        print("reads a setting outside the tables: " + line)
    if found:
        print("read it from the daemon's table (sf_settings_load), sf_process_settings_read or a"
              " per-service lookup of sf_config.h instead")
        return 1
    print("no SIFANG_* variable read outside common/sf_config.c")
    return 0


if __name__ == "__main__":
    sys.exit(main())
