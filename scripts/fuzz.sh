#!/bin/sh
# fuzz.sh: build the libFuzzer targets of fuzz/ with clang (VOC_FUZZ=ON,
# ASan+UBSan) and run each for FUZZ_TIME seconds, one after another. What
# `make fuzz` runs; docs/fuzzing.md explains the targets.
#
# Environment:
#   FUZZ_TIME     seconds per target (default 60)
#   FUZZ_TARGETS  names to run, e.g. "item wire" (default: every target)
#   FUZZ_BUILD    build directory (default build-fuzz)
#   FUZZ_OUT      scratch directory for new inputs, merged corpora, crashes
#                 and logs (default $FUZZ_BUILD/out); never the repository
#   FUZZ_ARGS     more libFuzzer flags, e.g. "-jobs=2"
#   FUZZ_CC       the compiler (default clang); JOBS build parallelism
#   FUZZ_NO_BUILD set to 1 to run what is built (two runs side by side)
#
# Per target NAME, under $FUZZ_OUT/NAME: new/ (inputs found, kept between
# runs), merged/ (fuzz/corpus/NAME and new/ merged down to what adds
# coverage), artifacts/ (crash-*, leak-*, timeout-* inputs), fuzz.log
# and result.txt (status and stat::number_of_executed_units).
# A crash, leak, sanitizer report or timeout fails the run (exit 1); copy
# the input to fuzz/corpus/NAME/crash-<what> once the bug is fixed.
set -eu

cd "$(dirname "$0")/.."
FUZZ_TIME=${FUZZ_TIME:-60}
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_OUT=${FUZZ_OUT:-$FUZZ_BUILD/out}
FUZZ_ARGS=${FUZZ_ARGS:-}
FUZZ_CC=${FUZZ_CC:-clang}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

case "$FUZZ_TIME" in
'' | *[!0-9]*) echo "fuzz.sh: FUZZ_TIME must be whole seconds, not '$FUZZ_TIME'" >&2; exit 2 ;;
esac

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
    # -O1 -g without -DNDEBUG: asserts stay on while fuzzing.
    cmake -S . -B "$FUZZ_BUILD" -DCMAKE_C_COMPILER="$FUZZ_CC" -DVOC_FUZZ=ON -DBUILD_TESTING=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g" >/dev/null
    cmake --build "$FUZZ_BUILD" --target voc_fuzzers -j "$JOBS"
fi

list="$FUZZ_BUILD/fuzz/targets.txt"
if [ -z "${FUZZ_TARGETS:-}" ]; then
    FUZZ_TARGETS=$(cut -d' ' -f1 "$list")
fi
for name in $FUZZ_TARGETS; do
    grep -q "^$name " "$list" || { echo "fuzz.sh: no target '$name' (see $list)" >&2; exit 2; }
done

mkdir -p "$FUZZ_OUT"
failed=""
for name in $FUZZ_TARGETS; do
    # targets.txt: NAME MAX_LEN CORPUS [DICT]
    read -r _ max_len corpus dict <<EOF
$(grep "^$name " "$list")
EOF
    bin="$FUZZ_BUILD/fuzz/fuzz_$name"
    out="$FUZZ_OUT/$name"
    mkdir -p "$out/new" "$out/artifacts"
    echo "== fuzz_$name: ${FUZZ_TIME}s, -max_len=$max_len"
    status=ok
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
    if ! "$bin" -max_len="$max_len" -max_total_time="$FUZZ_TIME" -timeout=60 \
        -rss_limit_mb=3072 -print_final_stats=1 -artifact_prefix="$out/artifacts/" \
        ${dict:+-dict="$dict"} $FUZZ_ARGS "$out/new" "$corpus" >"$out/fuzz.log" 2>&1; then
        status=FAILED
        failed="$failed $name"
        grep -E "ERROR: |runtime error:|invariant broken|Test unit written" "$out/fuzz.log" | head -5
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log" | tail -1)
    if [ "$status" = ok ]; then
        rm -rf "$out/merged"
        mkdir -p "$out/merged"
        "$bin" -merge=1 -max_len="$max_len" -rss_limit_mb=3072 "$out/merged" "$out/new" \
            "$corpus" >"$out/merge.log" 2>&1 || echo "fuzz_$name: merge failed, see $out/merge.log"
    fi
    echo "$name $status execs=${execs:-?} time=${FUZZ_TIME}s" | tee "$out/result.txt"
done

echo "== summary"
for name in $FUZZ_TARGETS; do
    cat "$FUZZ_OUT/$name/result.txt"
done
if [ -n "$failed" ]; then
    echo "fuzz.sh: failed:$failed (inputs in $FUZZ_OUT/NAME/artifacts/)" >&2
    exit 1
fi
