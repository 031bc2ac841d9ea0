#!/usr/bin/env bash
# Makes the release tarball: stephost-VERSION-linux-ARCH.tar.gz, a folder that works unpacked anywhere
# (bin/stephost is the host and its bundled plugins; docs/, README.md and LICENSE come with it), and
# its checksum beside it, stephost-VERSION-linux-ARCH.tar.gz.sha256 (`sha256sum -c` reads it).
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
cp -r docs "$stage/$name/docs"
mkdir -p "$out"
# Reproducible: sorted names, fixed owner and times.
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00Z' -cf - "$name" | gzip -9n > "$out/$name.tar.gz"
(cd "$out" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
echo "$out/$name.tar.gz"
