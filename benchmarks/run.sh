#!/usr/bin/env bash
# Benchmarks: prints figures and ratios in one run; asserts nothing (machines are shared and noisy).
#   benchmarks/run.sh                               # N=1000 steps, 100000 log lines, a 10000-step manifest, a 100000-step run
#   N=200 LOGS=20000 BIG=2000 SCALE=10000 benchmarks/run.sh     # a quicker pass
# Against make, ninja (apt ninja-build), go-task (pip go-task-bin) and just (pip rust-just), installed if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
N=${N:-1000}
LOGS=${LOGS:-100000}
BIG=${BIG:-10000}
SCALE=${SCALE:-100000}

command -v ninja >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq ninja-build >/dev/null; } || true
command -v task >/dev/null 2>&1 && command -v just >/dev/null 2>&1 || python3 -m pip install --quiet go-task-bin rust-just || true
for p in stephost stephost-fake-plugin stephost-bench; do swift build -c release --product "$p" >/dev/null; done
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
ratio() { awk "BEGIN{printf \"%.2f\", $1/$2}"; }

python3 - "$N" "$BIG" "$LOGS" <<'PY'
import json, sys
n, big, logs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for name, uses in (("noop.yaml", "fake"), ("python.yaml", "noop")):
    with open(name, "w") as f:
        f.write("workflows:\n  noop:\n    steps:\n")
        for i in range(n):
            f.write(f"      - {{id: s{i}, uses: {uses}, needs: []}}\n")
with open("Makefile", "w") as f:
    f.write("all: " + " ".join(f"t{i}" for i in range(n)) + "\n")
    for i in range(n):
        f.write(f"t{i}:\n\t@true\n")
    f.write(".PHONY: all " + " ".join(f"t{i}" for i in range(n)) + "\n")
with open("build.ninja", "w") as f:
    f.write("rule run\n  command = true\n")
    for i in range(n):
        f.write(f"build t{i}: run\n")
with open("Taskfile.yml", "w") as f:
    f.write("version: '3'\ntasks:\n  default:\n    deps: [" + ", ".join(f"t{i}" for i in range(n)) + "]\n")
    for i in range(n):
        f.write(f"  t{i}:\n    cmds: ['true']\n")
with open("justfile", "w") as f:
    f.write("all: " + " ".join(f"t{i}" for i in range(n)) + "\n")
    for i in range(n):
        f.write(f"t{i}:\n    @true\n")
with open("big.yaml", "w") as f:
    f.write("env: {PREFIX: ghcr.io/acme}\nworkflows:\n  big:\n    steps:\n")
    for i in range(big):
        needs = f"[s{i-1}]" if i % 10 else "[]"
        ref = f", x: '${{{{ steps.s{i-1}.outputs.v }}}}'" if i % 10 else ""
        f.write(f"      - {{id: s{i}, uses: fake, needs: {needs}, with: {{message: '${{{{ env.PREFIX }}}}/{i}'{ref.replace('x:', 'text:')}}}}}\n")
with open("big.ninja", "w") as f:
    f.write("rule run\n  command = true\n")
    for i in range(big):
        f.write(f"build e{i}: run" + (f" e{i-1}" if i % 10 else "") + "\n")
for name, count in (("logs.yaml", logs), ("one-log.yaml", 1)):
    with open(name, "w") as f:
        f.write(f"workflows:\n  logs:\n    steps:\n      - {{id: flood, uses: fake, with: {{mode: log-flood, count: {count}}}}}\n")
# What the Python plugin is sent in a run, for its cost alone.
with open("requests.jsonl", "w") as f:
    f.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}}) + "\n")
    for i in range(n):
        f.write(json.dumps({"jsonrpc": "2.0", "id": i + 2, "method": "step/run", "params": {
            "step": {"id": f"s{i}", "uses": "noop", "attempt": 1}, "run": {"id": "r", "workflow": "noop"}, "with": {},
            "env": {}, "secrets": {}, "workspace": ".", "tempDir": f".stephost/tmp/r/s{i}", "dryRun": False}}) + "\n")
    f.write(json.dumps({"jsonrpc": "2.0", "id": n + 2, "method": "shutdown"}) + "\n")
with open("one-step.jsonl", "w") as f:
    f.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}}) + "\n")
    f.write(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "step/run", "params": {
        "step": {"id": "s", "uses": "fake", "attempt": 1}, "run": {"id": "r", "workflow": "noop"}, "with": {},
        "env": {}, "secrets": {}, "workspace": ".", "tempDir": ".", "dryRun": False}}) + "\n")
PY
FAKE="fake=$BIN/stephost-fake-plugin --quiet"
# The interpreter itself, not a version manager's shim (pyenv's costs 50 ms a start).
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
PY="noop=$PYTHON $root/benchmarks/noop_plugin.py"

declare -A T
row() { local name=$1; shift; read -r t _ < <(measure "$@"); T[$name]=$t
        printf '  %-46s %8ss %9.3fms a step\n' "$name" "$t" "$(awk "BEGIN{print $t*1000/$N}")"; }

echo "$N independent no-op steps, best of 3"
row "make -j2"                              make -s -j2
row "ninja -j2"                             ninja -j2
command -v task >/dev/null 2>&1 && row "go-task -C 2"    task -s -C 2
command -v just >/dev/null 2>&1 && row "just (one at a time)"            just -q all
row "stephost -j2, Python plugin"           "$BIN/stephost" run noop -f python.yaml -j 2 --plugin "$PY" -q
row "Python plugin alone, same requests"    sh -c "'$PYTHON' '$root/benchmarks/noop_plugin.py' < requests.jsonl"
row "stephost -j2, Swift fake plugin"       "$BIN/stephost" run noop -f noop.yaml -j 2 --plugin "$FAKE" -q
row "stephost -j1, Swift fake plugin"       "$BIN/stephost" run noop -f noop.yaml -j 1 --plugin "$FAKE" -q
row "stephost -j2, a process per step"      "$BIN/stephost" run noop -f noop.yaml -j 2 --fresh-process --plugin "$FAKE" -q
row "the fake plugin's bare start x N (-j1)" sh -c "i=0; while [ \$i -lt $N ]; do '$BIN/stephost-fake-plugin' --quiet < one-step.jsonl; i=\$((i+1)); done"
row "stephost -j1, a process per step"      "$BIN/stephost" run noop -f noop.yaml -j 1 --fresh-process --plugin "$FAKE" -q

echo
echo "ratios (below 1: stephost is faster)"
py=${T["stephost -j2, Python plugin"]}; alone=${T["Python plugin alone, same requests"]}
printf '  %-60s %6sx  (goal <= 0.33)\n' "stephost -j2 with the Python plugin / ninja -j2" "$(ratio "$py" "${T["ninja -j2"]}")"
share=$(awk "BEGIN{v=$py-$alone; print (v>0?v:0.001)}")
printf '  %-60s %6sx  (goal <= 0.10; %.0f µs a step)\n' "host's own share (that run - the plugin alone) / ninja -j2" "$(ratio "$share" "${T["ninja -j2"]}")" \
    "$(awk "BEGIN{print $share*1e6/$N}")"
sw=${T["stephost -j2, Swift fake plugin"]}
printf '  %-60s %6sx  (goal <= 0.20)\n' "stephost -j2 with the Swift fake / ninja -j2" "$(ratio "$sw" "${T["ninja -j2"]}")"
[ -n "${T["go-task -C 2"]:-}" ] && printf '  %-60s %6sx  (goal <= 0.25)\n' "stephost -j2 with the Swift fake / go-task -C 2" "$(ratio "$sw" "${T["go-task -C 2"]}")"
[ -n "${T["just (one at a time)"]:-}" ] && printf '  %-60s %6sx\n' "stephost -j1 with the Swift fake / just" "$(ratio "${T["stephost -j1, Swift fake plugin"]}" "${T["just (one at a time)"]}")"
printf '  %-60s %6sx  (goal <= 1.2)\n' "a process per step (-j1) / the plugin's bare start x N" \
    "$(ratio "${T["stephost -j1, a process per step"]}" "${T["the fake plugin's bare start x N (-j1)"]}")"

echo
echo "the scheduler alone (every attempt answered in memory; goal <= 10 µs a step)"
for _ in 1 2 3; do "$BIN/stephost-bench" scheduler "$N" -j 2; done | sort -t: -k2 -n | head -1 | sed 's/^/  /'
for _ in 1 2 3; do "$BIN/stephost-bench" scheduler "$N" -j 2 --no-record; done | sort -t: -k2 -n | head -1 | sed 's/^/  /'

echo
echo "the masker (one pass for all values: time per MiB should not grow with the text or the number of values)"
"$BIN/stephost-bench" mask | sed 's/^/  /'

echo
read -r t m < <(measure "$BIN/stephost" run logs -f logs.yaml --plugin "$FAKE" -q)
read -r t1 _ < <(measure "$BIN/stephost" run logs -f one-log.yaml --plugin "$FAKE" -q)
printf '%s log notifications from one step: %ss, %.0f lines/s; less the fixed cost of a run (one line: %ss), %.0f lines/s (goal >= 500000); peak RSS %s MiB\n' \
    "$LOGS" "$t" "$(awk "BEGIN{print $LOGS/$t}")" "$t1" "$(awk "BEGIN{v=$t-$t1; print $LOGS/(v>0?v:0.001)}")" "$((m / 1024))"

read -r tp mp < <(measure "$BIN/stephost" plan big -f big.yaml --plugin "$FAKE")
read -r tn _ < <(measure ninja -n -f big.ninja)
printf 'plan of %s steps: %ss, peak RSS %s MiB; ninja -n of %s edges: %ss; ratio %sx (goal <= 4, <= 64 MB)\n' \
    "$BIG" "$tp" "$((mp / 1024))" "$BIG" "$tn" "$(ratio "$tp" "$tn")"
read -r tv _ < <(measure "$BIN/stephost" validate -f big.yaml --plugin "$FAKE")
printf 'validate of %s steps: %ss\n' "$BIG" "$tv"
# Ten of each, since one --version is below time(1)'s 10 ms resolution.
read -r tr _ < <(measure sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do '$BIN/stephost' validate -f '$root/stephost.yaml' >/dev/null; done")
read -r tver _ < <(measure sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do '$BIN/stephost' --version >/dev/null; done")
printf 'validate of the reference manifest: %.3fs; --version: %.3fs; ratio %sx (goal <= 6)\n' "$(awk "BEGIN{print $tr/10}")" "$(awk "BEGIN{print $tver/10}")" "$(ratio "$tr" "$tver")"

# Scale: SCALE no-op steps through the Python plugin, and a tenth of them; one run each (the large one is slow).
python3 - "$SCALE" <<'PY'
import sys
n = int(sys.argv[1])
for name, count in (("scale.yaml", n), ("scale10.yaml", n // 10)):
    with open(name, "w") as f:
        f.write("workflows:\n  noop:\n    steps:\n")
        for i in range(count):
            f.write(f"      - {{id: s{i}, uses: noop, needs: []}}\n")
PY
once() { /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }; cat "$work/time.txt"; }
read -r tl ml < <(once "$BIN/stephost" run noop -f scale.yaml -j 2 --plugin "$PY" -q)
read -r ts _ < <(once "$BIN/stephost" run noop -f scale10.yaml -j 2 --plugin "$PY" -q)
printf '%s no-op steps (Python plugin, -j2): %ss, %.0f µs a step, peak RSS %s MiB (goal <= 256 MB); %s steps: %.0f µs a step; ratio %sx (goal <= 1.2)\n' \
    "$SCALE" "$tl" "$(awk "BEGIN{print $tl*1e6/$SCALE}")" "$((ml / 1024))" "$((SCALE / 10))" "$(awk "BEGIN{print $ts*1e7/$SCALE}")" \
    "$(ratio "$(awk "BEGIN{print $tl/$SCALE}")" "$(awk "BEGIN{print $ts*10/$SCALE}")")"

echo
echo "the cost of what a run shows ($N steps, -j2, Swift fake plugin; goal: at most 5% over plain lines)"
row "plain lines (--progress plain)"      "$BIN/stephost" run noop -f noop.yaml -j 2 --plugin "$FAKE" --progress plain
row "live view (--progress tty)"          "$BIN/stephost" run noop -f noop.yaml -j 2 --plugin "$FAKE" --progress tty
row "GitHub Actions (groups, summary)"    env GITHUB_STEP_SUMMARY="$work/summary.md" "$BIN/stephost" run noop -f noop.yaml -j 2 --plugin "$FAKE" --ci github
row "plain + --junit + --events"          "$BIN/stephost" run noop -f noop.yaml -j 2 --plugin "$FAKE" --progress plain --junit "$work/junit.xml" --events "$work/events.jsonl"
for name in "live view (--progress tty)" "GitHub Actions (groups, summary)" "plain + --junit + --events"; do
    printf '  %-36s %+6.1f%% against plain lines\n' "$name" "$(awk "BEGIN{print (${T[$name]}/${T["plain lines (--progress plain)"]}-1)*100}")"
done
