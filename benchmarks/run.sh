#!/usr/bin/env bash
# Benchmarks: prints figures and ratios; asserts nothing (machines are shared and noisy).
#   benchmarks/run.sh            # N=1000 steps, 100000 log lines, 10000-step manifest
#   N=200 LOGS=20000 BIG=2000 benchmarks/run.sh   # a quicker pass
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
LOGS=${LOGS:-100000}
BIG=${BIG:-10000}

command -v ninja >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq ninja-build >/dev/null; } || true
swift build -c release --product stephost >/dev/null
swift build -c release --product stephost-fake-plugin >/dev/null
BIN=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q . && git -c user.name=b -c user.email=b@b commit -q --allow-empty -m bench

# seconds and peak RSS (KiB) of a command, best of 3
measure() {
    local best="" rss=""
    for _ in 1 2 3; do
        /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
        read -r t m < "$work/time.txt"
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$m; fi
    done
    echo "$best $rss"
}

python3 - "$N" "$BIG" "$LOGS" <<'PY'
import sys
n, big, logs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
with open("noop.yaml", "w") as f:
    f.write("workflows:\n  noop:\n    steps:\n")
    for i in range(n):
        f.write(f"      - {{id: s{i}, uses: fake, needs: []}}\n")
with open("Makefile", "w") as f:
    f.write("all: " + " ".join(f"t{i}" for i in range(n)) + "\n")
    for i in range(n):
        f.write(f"t{i}:\n\t@true\n")
    f.write(".PHONY: all " + " ".join(f"t{i}" for i in range(n)) + "\n")
with open("build.ninja", "w") as f:
    f.write("rule run\n  command = true\n")
    for i in range(n):
        f.write(f"build t{i}: run\n")
with open("big.yaml", "w") as f:
    f.write("env: {PREFIX: ghcr.io/acme}\nworkflows:\n  big:\n    steps:\n")
    for i in range(big):
        needs = f"[s{i-1}]" if i % 10 else "[]"
        ref = f", x: '${{{{ steps.s{i-1}.outputs.v }}}}'" if i % 10 else ""
        f.write(f"      - {{id: s{i}, uses: fake, needs: {needs}, with: {{message: '${{{{ env.PREFIX }}}}/{i}'{ref.replace('x:', 'text:')}}}}}\n")
with open("logs.yaml", "w") as f:
    f.write(f"workflows:\n  logs:\n    steps:\n      - {{id: flood, uses: fake, with: {{mode: log-flood, count: {logs}}}}}\n")
PY
FAKE="fake=$BIN/stephost-fake-plugin"

printf '%-44s %10s %10s\n' "$N independent no-op steps" "seconds" "per step"
declare -A T
row() { local name=$1; shift; read -r t _ < <(measure "$@"); T[$name]=$t
        printf '%-44s %10s %9.2fms\n' "$name" "$t" "$(awk "BEGIN{print $t*1000/$N}")"; }
row "make -j1"                      make -s -j1
row "make -j2"                      make -s -j2
if command -v ninja >/dev/null 2>&1; then
row "ninja -j1"                     ninja -j1
row "ninja -j2"                     ninja -j2
fi
row "stephost -j1 (persistent)"     "$BIN/stephost" run noop -f noop.yaml -j 1 --plugin "$FAKE"
row "stephost -j2 (persistent)"     "$BIN/stephost" run noop -f noop.yaml -j 2 --plugin "$FAKE"
row "stephost -j1 (process per step)" "$BIN/stephost" run noop -f noop.yaml -j 1 --fresh-process --plugin "$FAKE"
row "stephost -j2 (process per step)" "$BIN/stephost" run noop -f noop.yaml -j 2 --fresh-process --plugin "$FAKE"

echo
echo "ratios (stephost / make, stephost / ninja; lower is better)"
for j in 1 2; do
    s=${T["stephost -j$j (persistent)"]}; f=${T["stephost -j$j (process per step)"]}
    printf '  -j%s persistent: %6.2fx make' "$j" "$(awk "BEGIN{print $s/${T["make -j$j"]}}")"
    [ -n "${T["ninja -j$j"]:-}" ] && printf ', %6.2fx ninja' "$(awk "BEGIN{print $s/${T["ninja -j$j"]}}")"
    printf ';  process per step: %6.2fx make' "$(awk "BEGIN{print $f/${T["make -j$j"]}}")"
    [ -n "${T["ninja -j$j"]:-}" ] && printf ', %6.2fx ninja' "$(awk "BEGIN{print $f/${T["ninja -j$j"]}}")"
    echo
done
printf '  persistent processes are %.1fx faster than one process per step (-j1)\n' \
    "$(awk "BEGIN{print ${T["stephost -j1 (process per step)"]}/${T["stephost -j1 (persistent)"]}}")"

echo
echo "the cost of what a run shows ($N steps, -j2, persistent; goal: at most 5% over plain lines)"
row "plain lines (--progress plain)"      "$BIN/stephost" run noop -f noop.yaml -j 2 --plugin "$FAKE" --progress plain
row "live view (--progress tty)"          "$BIN/stephost" run noop -f noop.yaml -j 2 --plugin "$FAKE" --progress tty
row "GitHub Actions (groups, summary)"    env GITHUB_STEP_SUMMARY="$work/summary.md" "$BIN/stephost" run noop -f noop.yaml -j 2 --plugin "$FAKE" --ci github
row "plain + --junit + --events"          "$BIN/stephost" run noop -f noop.yaml -j 2 --plugin "$FAKE" --progress plain --junit "$work/junit.xml" --events "$work/events.jsonl"
for name in "live view (--progress tty)" "GitHub Actions (groups, summary)" "plain + --junit + --events"; do
    printf '  %-36s %+6.1f%% against plain lines\n' "$name" "$(awk "BEGIN{print (${T[$name]}/${T["plain lines (--progress plain)"]}-1)*100}")"
done

echo
read -r t m < <(measure "$BIN/stephost" run logs -f logs.yaml --plugin "$FAKE")
printf '%s log notifications from one step: %ss, %.0f lines/s, peak RSS %s MiB\n' "$LOGS" "$t" "$(awk "BEGIN{print $LOGS/$t}")" "$((m / 1024))"

read -r t m < <(measure "$BIN/stephost" validate -f big.yaml --plugin "$FAKE")
printf 'validate of a %s-step manifest: %ss, peak RSS %s MiB\n' "$BIG" "$t" "$((m / 1024))"
read -r t m < <(measure "$BIN/stephost" plan big -f big.yaml --plugin "$FAKE")
printf 'plan of a %s-step manifest:     %ss, peak RSS %s MiB\n' "$BIG" "$t" "$((m / 1024))"
