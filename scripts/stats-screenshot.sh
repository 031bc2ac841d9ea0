#!/bin/sh
# Shows what `stephost stats --html` draws: runs examples/stats-demo a dozen times in a scratch
# workspace, writes the page, and takes a screenshot of it with headless Chromium.
#   scripts/stats-screenshot.sh [OUT.png] [RUNS]     (default docs/stats.png, 12)
# Needs: swift, python3, chromium (Debian: apt-get install chromium).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(cd "$(dirname "${1:-$root/docs/stats.png}")" && pwd)/$(basename "${1:-stats.png}")
runs=${2:-12}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "stats-screenshot: no chromium in PATH (apt-get install chromium)" >&2; exit 1; }
(cd "$root" && swift build --product stephost >/dev/null)
stephost="$root/.build/debug/stephost"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$root/examples/stats-demo/stephost.yaml" "$root/examples/stats-demo/work.py" "$work/"
git -C "$work" init -q
i=0
while [ "$i" -lt "$runs" ]; do
    "$stephost" run main --workspace "$work" -f "$work/stephost.yaml" --quiet >/dev/null 2>&1 || true
    i=$((i + 1))
done
"$stephost" stats --workspace "$work" -f "$work/stephost.yaml" --html "$work/stats.html"
# A throwaway profile, no sandbox (containers), no GPU: a plain headless render.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size=1200,1250 --screenshot="$out" "file://$work/stats.html" >/dev/null 2>&1
echo "stats-screenshot: $out ($runs runs of examples/stats-demo)"
