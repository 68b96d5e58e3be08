#!/usr/bin/env bash
# Builds the fuzz tree (clang, libFuzzer, ASan + UBSan; -DSIFANG_FUZZ=ON) and
# runs every fuzz target for a while (fuzz/README.md).
#
#   scripts/fuzz.sh                    build build-fuzz/, run each target 20 s
#   scripts/fuzz.sh --seconds 600      the longer run
#   scripts/fuzz.sh --target bodies    one target (envelope, bodies, gateway)
#   scripts/fuzz.sh --run-only         do not build (what the fuzz_short test does)
#   scripts/fuzz.sh --build-dir DIR    another tree (default build-fuzz)
#   scripts/fuzz.sh --jobs N           libFuzzer workers per target (default 1)
#   --skip-missing                     exit 77 (skipped) when the tree has no targets
#
# New inputs go to DIR/corpus/<target>/, never into the sources. A crash
# stops the run with exit 1 and leaves DIR/crashes/<target>-crash-*: copy it
# into fuzz/regressions/<target>/ and fix the bug; the fuzz_replay_<target>
# test replays it in every build from then on.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=20 build_dir=$root/build-fuzz run_only=0 skip_missing=0 jobs=1
targets=(envelope bodies gateway)
while (($#)); do
    case $1 in
        --seconds) seconds=$2; shift ;;
        --target) targets=("$2"); shift ;;
        --run-only) run_only=1 ;;
        --build-dir) build_dir=$(realpath -m "$2"); shift ;;
        --jobs) jobs=$2; shift ;;
        --skip-missing) skip_missing=1 ;;
        -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if ((!run_only)); then
    cc=$(command -v clang || command -v clang-14 || true)
    if [[ -z $cc ]]; then
        echo "fuzz.sh: clang not found: apt-get install clang-14 libclang-rt-14-dev" >&2
        exit 1
    fi
    flags="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    echo "fuzz.sh: configuring $build_dir with $cc"
    mkdir -p "$build_dir"
    cmake -S "$root" -B "$build_dir" -DSIFANG_FUZZ=ON -DCMAKE_C_COMPILER="$cc" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS="$flags" >"$build_dir/configure.log" 2>&1 \
        || { cat "$build_dir/configure.log" >&2; exit 1; }
    cmake --build "$build_dir" -j "$(nproc 2>/dev/null || echo 2)" \
        --target "${targets[@]/#/fuzz_}" fuzz-seeds
fi

missing=()
for target in "${targets[@]}"; do
    [[ -x $build_dir/fuzz/fuzz_$target ]] || missing+=("$target")
done
if ((${#missing[@]})); then
    if ((skip_missing)); then
        echo "fuzz.sh: no fuzz build in $build_dir (scripts/fuzz.sh makes one): skipped"
        exit 77
    fi
    echo "fuzz.sh: $build_dir has no fuzz_${missing[0]}: run without --run-only" >&2
    exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$build_dir/crashes"
failed=0
printf '%-10s %8s %10s %8s %s\n' target seconds executions corpus result
for target in "${targets[@]}"; do
    corpus=$build_dir/corpus/$target
    mkdir -p "$corpus"
    log=$build_dir/fuzz-$target.log
    parallel=()
    # -jobs spawns workers that log to fuzz-<n>.log in the working directory.
    ((jobs > 1)) && parallel=(-jobs="$jobs" -workers="$jobs")
    set +e
    (cd "$build_dir" && "$build_dir/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 "${parallel[@]}" \
        -artifact_prefix="$build_dir/crashes/$target-" \
        "$corpus" "$root/fuzz/corpus/$target" "$root/fuzz/regressions/$target") >"$log" 2>&1
    rc=$?
    set -e
    runs=$(grep -ho 'stat::number_of_executed_units: *[0-9]*' "$log" 2>/dev/null \
        | head -n1 | grep -o '[0-9]*$' || echo '?')
    size=$(find "$corpus" -type f | wc -l)
    if ((rc == 0)); then
        printf '%-10s %8s %10s %8s %s\n' "$target" "$seconds" "$runs" "$size" ok
    else
        printf '%-10s %8s %10s %8s %s\n' "$target" "$seconds" "$runs" "$size" "FAILED (exit $rc)"
        grep -E 'ERROR|fuzz check failed|SUMMARY|Test unit written|runtime error' "$log" | head -n 20 >&2 || true
        echo "fuzz.sh: log $log; copy the crash file into fuzz/regressions/$target/ and fix the bug" >&2
        failed=1
    fi
done
exit "$failed"
