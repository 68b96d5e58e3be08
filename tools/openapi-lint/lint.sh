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
./node_modules/.bin/redocly lint --config redocly.yaml --max-problems 1000 --format stylish "$document" \
    >report.txt 2>&1 || status=$?
# Warnings do not change Redocly's exit status: count them from its totals.
./node_modules/.bin/redocly lint --config redocly.yaml --format json "$document" >report.json 2>/dev/null || true
read -r errors warnings < <(node -e '
    const t = JSON.parse(require("fs").readFileSync("report.json", "utf8")).totals;
    console.log(t.errors, t.warnings);')
grep -v -e '^ *[╔║╚]' report.txt || true
echo "redocly lint: $errors errors, $warnings warnings (exit $status)"
[[ $status == 0 && $errors == 0 && $warnings == 0 ]]
