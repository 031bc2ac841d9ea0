#!/usr/bin/env bash
# Runs stephost's libFuzzer targets, each for a bounded time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Targets: yaml, framer, expression, masker (default: all, 30 s each).
# Builds `stephost-fuzz` with `swift build -c release --sanitize fuzzer`.
# The corpus grows in .build/fuzz/corpus/<target> (seeded from Tests/FuzzInputs/<target>);
# a crash is saved to .build/fuzz/crashes/<target>/ and the script exits 1.
# Keep a crashing input as a regression test: copy it to Tests/FuzzInputs/<target>/.
# FUZZ_SEED=N fixes libFuzzer's seed (CI does, so a run there is repeatable).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(yaml framer expression masker)

swift build -c release --sanitize fuzzer --product stephost-fuzz
bin="$(swift build -c release --sanitize fuzzer --show-bin-path)/stephost-fuzz"

status=0
for t in "${targets[@]}"; do
    corpus=".build/fuzz/corpus/$t" crashes=".build/fuzz/crashes/$t"
    mkdir -p "$corpus" "$crashes"
    [ -d "Tests/FuzzInputs/$t" ] && cp -n Tests/FuzzInputs/"$t"/* "$corpus"/ 2>/dev/null || true
    if [ "$t" = yaml ]; then cp -n Tests/StepYAMLTests/corpus/*.yaml "$corpus"/ 2>/dev/null || true; fi
    echo "== fuzzing $t for ${seconds}s"
    # SWIFT_BACKTRACE=enable=no: let libFuzzer see the crash and save the input.
    if ! STEPHOST_FUZZ_TARGET="$t" SWIFT_BACKTRACE=enable=no "$bin" -max_total_time="$seconds" -max_len=4096 ${FUZZ_SEED:+-seed=$FUZZ_SEED} \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" 2>".build/fuzz/$t.log"; then
        echo "!! $t: crash or failed invariant; input saved in $crashes/, log in .build/fuzz/$t.log"
        grep -a -E "Fatal error|ERROR: libFuzzer|SUMMARY|Test unit written" ".build/fuzz/$t.log" | cut -c1-400 || tail -n 5 ".build/fuzz/$t.log"
        status=1
    else
        grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" ".build/fuzz/$t.log" | sed "s/^/   $t /"
    fi
done
exit $status
