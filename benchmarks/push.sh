#!/usr/bin/env bash
# Benchmark: pushing an OCI layout to a registry on this machine, ghcr-push against skopeo copy
# on the same layout and the same registry (skopeo with --preserve-digests, so that both upload the
# same bytes: without it skopeo gzips uncompressed layers). Prints figures and ratios; asserts nothing.
#   benchmarks/push.sh                 # 4 layers of 32 MiB
#   LAYERS=2 MIB=8 benchmarks/push.sh  # a quicker pass
# Needs docker-registry and skopeo (apt-get install -y docker-registry skopeo).
set -euo pipefail
cd "$(dirname "$0")/.."
LAYERS=${LAYERS:-4}
MIB=${MIB:-32}

swift build -c release --product stephost >/dev/null
BIN=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
registry_pid=""
trap '[ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null; rm -rf "$work"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# A registry with empty storage, so that every measured push uploads every blob (no cross-repository mounts).
fresh_registry() {
    [ -n "$registry_pid" ] && { kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; }
    rm -rf "$work/data"
    cat > "$work/registry.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/data}}
http: {addr: "127.0.0.1:$port", secret: bench}
YML
    docker-registry serve "$work/registry.yml" >/dev/null 2>&1 &
    registry_pid=$!
    for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$port))" 2>/dev/null && return; sleep 0.1; done
    echo "docker-registry did not start" >&2; exit 1
}

# A layout of LAYERS random layers of MIB MiB each (random: nothing compresses or deduplicates).
python3 - "$work/layout" "$LAYERS" "$MIB" <<'PY'
import hashlib, json, os, sys
d, n, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(d + "/blobs/sha256")
def blob(b):
    h = hashlib.sha256(b).hexdigest()
    open(f"{d}/blobs/sha256/{h}", "wb").write(b)
    return {"digest": "sha256:" + h, "size": len(b)}
layers = [dict(blob(os.urandom(mib << 20)), mediaType="application/vnd.oci.image.layer.v1.tar") for _ in range(n)]
config = dict(blob(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()),
              mediaType="application/vnd.oci.image.config.v1+json")
m = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": config, "layers": layers}).encode())
open(f"{d}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [dict(m, mediaType="application/vnd.oci.image.manifest.v1+json",
           annotations={"org.opencontainers.image.ref.name": "v1"})]}, open(f"{d}/index.json", "w"))
PY

cat > "$work/push.yaml" <<'YML'
workflows:
  push:
    steps:
      - id: push
        uses: ghcr-push
        with: {layout: layout, image: "${{ vars.IMAGE }}", insecure: true}
YML
cd "$work"
git init -q . && git -c user.name=b -c user.email=b@b commit -q --allow-empty -m bench

# Seconds of the best of 3 runs, each against a fresh registry, into BEST (not echoed: a $(…) subshell
# would start registries the EXIT trap cannot see).
best() {
    local best=""
    for _ in 1 2 3; do
        fresh_registry
        local start end
        start=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
        end=$(date +%s.%N)
        t=$(awk "BEGIN{print $end-$start}")
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    done
    BEST=$best
}
stephost_push() { "$BIN/stephost" run push -f push.yaml --var "IMAGE=127.0.0.1:$port/bench/app"; }
skopeo_push() { skopeo copy --quiet --preserve-digests --dest-tls-verify=false oci:layout:v1 "docker://127.0.0.1:$port/bench/app:v1"; }

total=$((LAYERS * MIB))
best stephost_push; s=$BEST
best skopeo_push; k=$BEST
printf 'push %s layers of %s MiB (%s MiB) to docker-registry on 127.0.0.1, best of 3, fresh registry each time\n' "$LAYERS" "$MIB" "$total"
printf '  %-40s %8.2fs %8.0f MiB/s\n' "stephost run (ghcr-push)" "$s" "$(awk "BEGIN{print $total/$s}")"
printf '  %-40s %8.2fs %8.0f MiB/s\n' "skopeo copy" "$k" "$(awk "BEGIN{print $total/$k}")"
printf '  ratio stephost / skopeo: %.2fx (lower is better)\n' "$(awk "BEGIN{print $s/$k}")"
start=$(date +%s.%N); stephost_push >/dev/null 2>&1; end=$(date +%s.%N)
printf '  %-40s %8.2fs\n' "stephost again, nothing to upload (HEADs)" "$(awk "BEGIN{print $end-$start}")"
