#!/usr/bin/env bash
# Makes the release tarball: stephost-VERSION-linux-x86_64.tar.gz, a folder that works unpacked
# anywhere (bin/stephost finds its plugins in ../libexec/stephost).
# Usage: scripts/package.sh [OUTPUT_DIR]   (default: dist)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
version=$(sed -n 's/^let version = "\(.*\)"$/\1/p' Sources/Host/stephost/main.swift)
name="stephost-$version-linux-$(uname -m)"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
scripts/install.sh --prefix "$stage/$name" >/dev/null
cp LICENSE README.md "$stage/$name/"
mkdir -p "$out"
tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
echo "$out/$name.tar.gz"
