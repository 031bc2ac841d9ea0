#!/usr/bin/env bash
# Checks the install story on this machine: the release tarball works unpacked anywhere and meets its
# size goals (installed <= 80 MB, tarball <= 30 MB, printed), its .sha256 verifies, the one executable
# alone runs a pipeline (it serves its bundled plugins itself), a bundled plugin runs by its name,
# --version names the commit, and the completion scripts parse. Run by .ci/run after the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tarball=$(scripts/package.sh "$work/dist")
(cd "$(dirname "$tarball")" && sha256sum -c --quiet "$(basename "$tarball").sha256") || { echo "test-install: the .sha256 does not verify"; exit 1; }
mkdir -p "$work/unpacked" && tar -xzf "$tarball" -C "$work/unpacked"
root=$(ls -d "$work"/unpacked/stephost-*)
stephost=$root/bin/stephost
installed=$(du -sk "$root" | cut -f1)
packed=$(( $(stat -c %s "$tarball") / 1024 ))
printf 'test-install: installed %d MiB (goal <= 80 MB), tarball %d MiB (goal <= 30 MB)\n' $((installed / 1024)) $((packed / 1024))
[ "$installed" -le $((80 * 1000 * 1000 / 1024)) ] || { echo "test-install: the install is larger than 80 MB"; exit 1; }
[ "$packed" -le $((30 * 1000 * 1000 / 1024)) ] || { echo "test-install: the tarball is larger than 30 MB"; exit 1; }
for f in README.md LICENSE docs/writing-plugins.md docs/security.md; do
    [ -f "$root/$f" ] || { echo "test-install: the tarball has no $f"; exit 1; }
done
# A bundled plugin by its name (a link to the one executable): it answers initialize.
printf '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":1}}\n' | "$root/libexec/stephost/stephost-exec" \
    | grep -q '"name":"exec"' || { echo "test-install: stephost-exec does not answer initialize"; exit 1; }
commit=$(git rev-parse --short=12 HEAD)
"$stephost" --version | grep -q "(commit $commit)" || { echo "test-install: --version does not name $commit"; exit 1; }

# The quickstart, from a folder that is not this checkout, with the unpacked stephost.
mkdir -p "$work/project" && cp -r examples "$work/project/" && git -C "$work/project" init -q
(cd "$work/project" && "$stephost" run -f examples/quickstart/stephost.yaml --progress plain > "$work/run.log") \
    || { cat "$work/run.log"; echo "test-install: the unpacked stephost could not run the quickstart"; exit 1; }
grep -q "6 success" "$work/run.log" || { cat "$work/run.log"; echo "test-install: the quickstart did not succeed"; exit 1; }

# stephost copied alone: one file is the whole tool (it serves its bundled plugins itself).
mkdir -p "$work/alone" && cp "$stephost" "$work/alone/"
(cd "$work/project" && "$work/alone/stephost" run -f examples/quickstart/stephost.yaml --progress plain > "$work/alone.log" 2>&1) \
    || { cat "$work/alone.log"; echo "test-install: stephost copied alone could not run the quickstart"; exit 1; }
grep -q "6 success" "$work/alone.log" || { cat "$work/alone.log"; echo "test-install: the quickstart did not succeed alone"; exit 1; }

# Completion scripts are valid shell.
"$stephost" completion bash | bash -n
if command -v zsh >/dev/null; then "$stephost" completion zsh | zsh -n; fi
if command -v fish >/dev/null; then "$stephost" completion fish | fish -n; fi
echo "test-install: 8 passed, 0 failed"
