#!/usr/bin/env bash
# Publishes a GitHub release of TAG with every file in DIR as an asset (the tarballs and their .sha256),
# through the REST API at $GITHUB_API_URL (default https://api.github.com) for $REPOSITORY (owner/name),
# with $GITHUB_TOKEN. A release of the tag that exists already gets the assets it lacks.
# Usage: scripts/publish-release.sh TAG DIR
set -euo pipefail
tag=${1:?usage: publish-release.sh TAG DIR}
dir=${2:?usage: publish-release.sh TAG DIR}
api=${GITHUB_API_URL:-https://api.github.com}
: "${REPOSITORY:?REPOSITORY (owner/name) is not set}" "${GITHUB_TOKEN:?GITHUB_TOKEN is not set}"
auth=(-H "Authorization: Bearer $GITHUB_TOKEN" -H "Accept: application/vnd.github+json" -H "X-GitHub-Api-Version: 2022-11-28")
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# The release of the tag, made if it is not there.
body=$(TAG="$tag" python3 -c 'import json,os; print(json.dumps({"tag_name": os.environ["TAG"], "name": os.environ["TAG"], "draft": False, "prerelease": False}))')
if ! release=$(curl -fsS "${auth[@]}" "$api/repos/$REPOSITORY/releases/tags/$tag" 2>/dev/null); then
    release=$(curl -fsS "${auth[@]}" -X POST -d "$body" "$api/repos/$REPOSITORY/releases")
fi
upload=$(printf '%s' "$release" | json '["upload_url"].split("{")[0]')
have=$(printf '%s' "$release" | json '.get("assets", [])' | python3 -c 'import ast,sys; print("\n".join(a["name"] for a in ast.literal_eval(sys.stdin.read())))')
for f in "$dir"/*; do
    name=$(basename "$f")
    if printf '%s\n' "$have" | grep -qxF "$name"; then echo "$name: already published"; continue; fi
    curl -fsS "${auth[@]}" -H "Content-Type: application/octet-stream" --data-binary "@$f" "$upload?name=$name" >/dev/null
    echo "$name: published"
done
echo "release $tag: $(printf '%s' "$release" | json '.get("html_url", "")')"
