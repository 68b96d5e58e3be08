#!/usr/bin/env bash
# Lints an OpenAPI document with the Redocly CLI pinned in this directory's
# package-lock.json, installed into the build tree (never the sources):
#   lint.sh SOURCE_DIR BINARY_DIR DOCUMENT
# npm ci runs when the lock file changed. Passes only when Redocly's
# recommended rules (redocly.yaml) report no error and no warning.
set -euo pipefail

src=$1 bin=$2 document=$(realpath "$3")
mkdir -p "$bin"
cp "$src/package.json" "$src/package-lock.json" "$src/redocly.yaml" "$bin/"
cd "$bin"
if ! cmp -s package-lock.json node_modules/.sifang-lock 2>/dev/null; then
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.sifang-lock
fi
# No usage reports or update checks from a test run.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
status=0
./node_modules/.bin/redocly lint --config redocly.yaml --max-problems 1000 --format json "$document" \
    >report.json 2>report.txt || status=$?
# Warnings do not change Redocly's exit status: count them from its totals,
# and say each problem where it is.
node -e '
    const report = JSON.parse(require("fs").readFileSync("report.json", "utf8"));
    for (const p of report.problems)
        console.log(`${p.severity} ${p.ruleId} at ${p.location.map(l => l.pointer).join(", ")}: ${p.message}`);
    const t = report.totals;
    console.log(`redocly lint: ${t.errors} errors, ${t.warnings} warnings`);
    process.exit(t.errors || t.warnings ? 1 : 0);' || { grep -v -e '^ *[╔║╚]' report.txt; exit 1; }
exit "$status"
