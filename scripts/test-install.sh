#!/usr/bin/env bash
# Checks the install story on this machine: the release tarball works unpacked anywhere, a copy of
# stephost without its plugins says where it looked and how to install, --version names the commit,
# and the completion scripts parse. Run by .ci/run after the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tarball=$(scripts/package.sh "$work/dist")
mkdir -p "$work/unpacked" && tar -xzf "$tarball" -C "$work/unpacked"
stephost=$(ls -d "$work"/unpacked/stephost-*)/bin/stephost
commit=$(git rev-parse --short=12 HEAD)
"$stephost" --version | grep -q "(commit $commit)" || { echo "test-install: --version does not name $commit"; exit 1; }

# The quickstart, from a folder that is not this checkout, with the unpacked stephost.
mkdir -p "$work/project" && cp -r examples "$work/project/" && git -C "$work/project" init -q
(cd "$work/project" && "$stephost" run -f examples/quickstart/stephost.yaml --progress plain > "$work/run.log") \
    || { cat "$work/run.log"; echo "test-install: the unpacked stephost could not run the quickstart"; exit 1; }
grep -q "6 success" "$work/run.log" || { cat "$work/run.log"; echo "test-install: the quickstart did not succeed"; exit 1; }

# stephost copied alone: the message says where it looked and how to install.
mkdir -p "$work/alone" && cp "$stephost" "$work/alone/"
if (cd "$work/project" && "$work/alone/stephost" run -f examples/quickstart/stephost.yaml > "$work/alone.log" 2>&1); then
    echo "test-install: stephost without its plugins ran"; exit 1
fi
grep -q "install it with scripts/install.sh --prefix DIR, or unpack the release tarball whole" "$work/alone.log" \
    || { cat "$work/alone.log"; echo "test-install: no install hint"; exit 1; }

# Completion scripts are valid shell.
"$stephost" completion bash | bash -n
if command -v zsh >/dev/null; then "$stephost" completion zsh | zsh -n; fi
if command -v fish >/dev/null; then "$stephost" completion fish | fish -n; fi
echo "test-install: 4 passed, 0 failed"
