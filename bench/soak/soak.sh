#!/usr/bin/env bash
# The 10-minute soak (bench/soak/README.md): a private PostgreSQL cluster in a
# temporary directory, every daemon of the build, a steady rate of requests,
# RSS sampled; exits 1 when memory is not flat.
#
#   bench/soak/soak.sh [BUILD_DIR] [-- sifang-soak options: --seconds 600 --rate 100 --sample 30]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$root/build}
[[ ${1:-} == -- || -z ${1:-} ]] || shift
[[ ${1:-} == -- ]] && shift
soak=$build/bench/soak/sifang-soak
[[ -x $soak ]] || { echo "soak.sh: no $soak: build $build first (cmake --build $build)" >&2; exit 1; }
cluster=$(mktemp -d /tmp/sifang-soak-pg.XXXXXX)
trap 'bash "$root/scripts/pg.sh" destroy "$cluster" >/dev/null 2>&1 || true; rm -rf "$cluster"' EXIT
bash "$root/scripts/pg.sh" init "$cluster" >/dev/null
SIFANG_TEST_PG=$cluster "$soak" "$@"
