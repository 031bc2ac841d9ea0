#!/usr/bin/env python3
"""The documentation lane of the reference pipeline.

    docs.py check           the README's pipeline graphs equal what `stephost graph` prints now,
                            and every relative link in README.md and docs/ names a file that exists
    docs.py build OUT       check, then lay the site out in OUT (README.md as index.md, docs/, and
                            every file or folder the pages link to); GitHub Pages renders the Markdown
    docs.py publish OUT     commit OUT as the whole tree of branch gh-pages and push it to origin,
                            without touching the checkout (a temporary index); GITHUB_TOKEN, when
                            set, reaches git only as an http.extraheader through GIT_CONFIG_* variables

stephost is this repository's newest build (debug or release), else the one in PATH.
"""
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The pages that show pipeline graphs, and the manifests whose graphs each shows, in order.
GRAPHS = {"README.md": ["examples/quickstart/stephost.yaml"],
          "docs/pipeline.md": ["examples/image-path/stephost.yaml", "stephost.yaml"]}
PAGES = ["README.md"] + sorted("docs/" + f for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md"))


def stephost():
    builds = [p for p in (os.path.join(ROOT, ".build", b, "stephost") for b in ("debug", "release")) if os.access(p, os.X_OK)]
    if builds:
        return max(builds, key=os.path.getmtime)
    return shutil.which("stephost") or sys.exit("stephost not found: swift build first")


def links():
    """(page, target, absolute path) of every relative link in the pages, outside code blocks."""
    for page in PAGES:
        text = open(os.path.join(ROOT, page), encoding="utf-8").read()
        text = re.sub(r"^```.*?^```$", "", text, flags=re.S | re.M)
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" not in target and not target.startswith("mailto:"):
                yield page, target, os.path.normpath(os.path.join(ROOT, os.path.dirname(page), target))


def check():
    problems = []
    for page, manifests in GRAPHS.items():
        text = open(os.path.join(ROOT, page), encoding="utf-8").read()
        blocks = re.findall(r"^```mermaid\n(.*?)^```$", text, flags=re.S | re.M)
        if len(blocks) != len(manifests):
            problems.append(f"{page} has {len(blocks)} mermaid graphs, expected {len(manifests)} ({', '.join(manifests)})")
        for manifest, block in zip(manifests, blocks):
            now = subprocess.run([stephost(), "graph", "-f", manifest], cwd=ROOT, capture_output=True, text=True)
            if now.returncode != 0:
                problems.append(f"stephost graph -f {manifest} failed: {now.stderr.strip()}")
            elif now.stdout != block:
                problems.append(f"{page}'s graph of {manifest} is out of date: paste `stephost graph -f {manifest}`")
    for page, target, path in links():
        if not os.path.exists(path):
            problems.append(f"{page}: link to {target}, which does not exist")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        sys.exit(f"{len(problems)} documentation problem(s)")
    print(f"docs: {sum(len(m) for m in GRAPHS.values())} graphs current, links in {len(PAGES)} pages resolve")


def build(out):
    check()
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "docs"))
    shutil.copy(os.path.join(ROOT, "README.md"), os.path.join(out, "index.md"))
    for page in PAGES[1:]:
        shutil.copy(os.path.join(ROOT, page), os.path.join(out, page))
    # What the pages link to (manifests, the Modal module, example folders) comes along, so the links work on the site.
    linked = {os.path.relpath(path, ROOT) for _, _, path in links()} | set(GRAPHS)
    for rel in sorted(linked):
        if rel.endswith(".md") or rel.startswith(".."):
            continue
        source, target = os.path.join(ROOT, rel), os.path.join(out, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.isdir(source):
            shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", ".stephost"))
        else:
            shutil.copy(source, target)
    print(f"docs: site in {out} ({len(PAGES)} pages, {len(linked)} linked files and folders)")


def git(args, env=None, **kw):
    return subprocess.run(["git"] + args, cwd=ROOT, env=env, check=True, capture_output=True, text=True, **kw).stdout.strip()


def publish(out):
    if not os.path.isdir(out):
        sys.exit(f"{out} does not exist: run `docs.py build {out}` first")
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        env["GIT_INDEX_FILE"] = os.path.join(tmp, "index")
        env["GIT_WORK_TREE"] = os.path.abspath(out)
        git(["add", "-A", "."], env=env, stdin=subprocess.DEVNULL)
        tree = git(["write-tree"], env=env)
    env = dict(os.environ, GIT_AUTHOR_NAME="stephost-bot", GIT_AUTHOR_EMAIL="stephost-bot@users.noreply.github.com",
               GIT_COMMITTER_NAME="stephost-bot", GIT_COMMITTER_EMAIL="stephost-bot@users.noreply.github.com")
    token = os.environ.pop("GITHUB_TOKEN", "")
    env.pop("GITHUB_TOKEN", None)
    if token:
        # Empty values first clear a header actions/checkout stored for the host, so one Authorization header is sent.
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        url = subprocess.run(["git", "config", "--get", "remote.origin.url"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        m = re.match(r"(https?://[^/]+/)", url)
        pairs = ([(f"http.{m.group(1)}.extraheader", "")] if m else []) + [("http.extraheader", ""), ("http.extraheader", f"AUTHORIZATION: basic {basic}")]
        env["GIT_CONFIG_COUNT"] = str(len(pairs))
        for i, (key, value) in enumerate(pairs):
            env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = key, value
    remote = subprocess.run(["git", "ls-remote", "origin", "refs/heads/gh-pages"], cwd=ROOT, env=env, capture_output=True, text=True)
    parent = remote.stdout.split()[0] if remote.returncode == 0 and remote.stdout.strip() else None
    if parent:
        subprocess.run(["git", "fetch", "--quiet", "origin", parent], cwd=ROOT, env=env, check=True)
        if git(["rev-parse", f"{parent}^{{tree}}"]) == tree:
            print("docs: gh-pages already holds this site; nothing to publish")
            return
    sha = git(["rev-parse", "HEAD"])
    commit = git(["commit-tree", tree, "-m", f"docs: site built from {sha}"] + (["-p", parent] if parent else []), env=env)
    subprocess.run(["git", "push", "--quiet", "origin", f"{commit}:refs/heads/gh-pages"], cwd=ROOT, env=env, check=True)
    print(f"docs: published {commit[:12]} to gh-pages")


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("check", "build", "publish") or (sys.argv[1] != "check" and len(sys.argv) != 3):
        sys.exit(__doc__)
    {"check": lambda: check(), "build": lambda: build(sys.argv[2]), "publish": lambda: publish(sys.argv[2])}[sys.argv[1]]()


if __name__ == "__main__":
    main()
