#!/usr/bin/env bash
# Installs stephost from this checkout: a release build with the Swift runtime linked statically,
#   PREFIX/bin/stephost                  the host and its bundled plugins: one multi-call executable
#   PREFIX/libexec/stephost/stephost-*   the plugins' names, links to it (for running one by name)
#   PREFIX/share/stephost/plugins.d      their descriptors, and build-info (version and commit)
# Usage: scripts/install.sh [--prefix DIR]   (default /usr/local)
set -euo pipefail

prefix=/usr/local
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a folder" >&2; exit 2; }; prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#*=}; shift ;;
        -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

cd "$(dirname "$0")/.."
command -v swift >/dev/null || { echo "install.sh: swift is not on PATH (Swift 6 is needed to build stephost)" >&2; exit 1; }
if [ -z "$(ls /usr/lib/*/libcurl.so /usr/lib/libcurl.so /usr/lib64/libcurl.so 2>/dev/null)" ]; then
    echo "install.sh: linking the Swift runtime statically needs libcurl's development files" \
         "(Debian/Ubuntu: apt-get install libcurl4-openssl-dev; Fedora: dnf install libcurl-devel)" >&2
    exit 1
fi
flags=(-c release --static-swift-stdlib)
swift build "${flags[@]}" --product stephost
bin=$(swift build "${flags[@]}" --show-bin-path)

mkdir -p "$prefix/bin" "$prefix/libexec/stephost" "$prefix/share/stephost/plugins.d"
install -m 755 "$bin/stephost" "$prefix/bin/stephost"
# Symbols are for debuggers; the Swift runtime's metadata, which the program reads, is not touched.
if command -v strip >/dev/null; then strip "$prefix/bin/stephost"; fi
# Every bundled plugin a descriptor names (command: [stephost-NAME]) is the same executable started by
# that name; stephost starts them so itself, and the links let a person or a tool run one by name.
for d in plugins.d/*.yaml; do
    exe=$(sed -n 's/^command: *\[ *\(stephost-[a-z0-9-]*\).*/\1/p' "$d")
    [ -n "$exe" ] || { echo "install.sh: $d names no stephost-* command" >&2; exit 1; }
    ln -sfn ../../bin/stephost "$prefix/libexec/stephost/$exe"
    install -m 644 "$d" "$prefix/share/stephost/plugins.d/"
done
version=$(sed -n 's/^let version = "\(.*\)"$/\1/p' Sources/Host/stephost/main.swift)
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
printf 'version=%s\ncommit=%s\n' "$version" "$commit" > "$prefix/share/stephost/build-info"
echo "installed $("$prefix/bin/stephost" --version) in $prefix"
