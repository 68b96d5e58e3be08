#!/usr/bin/env bash
# Builds the workbench into the build tree, never into the sources:
#   build.sh SOURCE_DIR BINARY_DIR          copy, npm ci (when the lock file
#                                           changed), vite build -> BINARY_DIR/dist
#   build.sh --test SOURCE_DIR BINARY_DIR   the same copy, then Vitest
# The copy (BINARY_DIR/app) holds node_modules, so the source tree stays
# clean and two build trees (build/, build-asan/) never share one.
set -euo pipefail

test_only=0
if [[ ${1:-} == --test ]]; then
    test_only=1
    shift
fi
src=$1 bin=$2
app=$bin/app
mkdir -p "$app"
# The sources as they are now: what was deleted there goes here too.
for entry in "$app"/* "$app"/.[!.]*; do
    [[ -e $entry ]] || continue
    name=$(basename "$entry")
    [[ $name == node_modules ]] && continue
    [[ -e $src/$name ]] || rm -rf "$entry"
done
for entry in "$src"/*; do
    name=$(basename "$entry")
    [[ $name == node_modules || $name == dist ]] && continue
    rm -rf "${app:?}/$name"
    cp -a "$entry" "$app/$name"
done
cd "$app"
if ! cmp -s package-lock.json node_modules/.sifang-lock 2>/dev/null; then
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.sifang-lock
fi
if ((test_only)); then
    exec npx vitest run
fi
WORKBENCH_OUT_DIR="$bin/dist" npx vite build --logLevel warn
