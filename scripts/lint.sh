#!/usr/bin/env bash
# The lint lane of the reference pipeline: shell syntax, Python syntax, whitespace, every manifest valid,
# and nothing generated committed. Prints each problem with its file; exits 1 if there is any.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
fail() { echo "lint: $*" >&2; status=1; }

for f in $(git ls-files '*.sh' .ci/run); do
    bash -n "$f" || fail "$f: shell syntax"
done
for f in $(git ls-files '*.py' Tests/Fixtures/git-recorder Tests/Fixtures/fake-docker Tests/Fixtures/fake-modal/bin/modal); do
    python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$f" || fail "$f: Python syntax"
done
while IFS= read -r hit; do fail "$hit: trailing whitespace"; done < <(git grep -n -I -E '[[:space:]]+$' -- '*.swift' '*.py' '*.sh' '*.yaml' | cut -d: -f1,2)
while IFS= read -r hit; do fail "$hit: a tab in Swift source"; done < <(git grep -n -P '\t' -- '*.swift' | cut -d: -f1,2)
for f in $(git ls-files Package.resolved '.build/*' '.stephost/*'); do fail "$f: generated, must not be committed"; done

# The newest build of stephost (debug or release).
stephost=$(ls -t .build/debug/stephost .build/release/stephost 2>/dev/null | head -1)
if [ -n "$stephost" ]; then
    for m in $(git ls-files 'stephost.yaml' 'examples/*/stephost.yaml'); do
        "$stephost" validate -f "$m" >/dev/null || fail "$m: stephost validate"
    done
else
    fail "no stephost build to validate the manifests with: swift build first"
fi
[ $status -eq 0 ] && echo "lint: clean"
exit $status
