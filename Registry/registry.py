#!/usr/bin/env python3
"""The processor registry, read with the standard library only (no PyYAML), for the
reference pipeline's exec steps and for modal_app.py.

    registry.py processors DIR           outputs list (name, ref, file, image, function), refs (name -> ref), dir (absolute);
                                         DIR holds registry files (NAME.yaml), or units with a registry.yaml beside
                                         their code (tools/<namespace>/<name>/<version>/registry.yaml), or both
    registry.py units CHANGED_JSON       the units detect-changes found (a JSON list of {name, path}) that have a
                                         registry.yaml: outputs list (name, ref, path, file, image, images, function)
    registry.py check-pins DIR           fails, listing every file whose image.oci is not repository@sha256:<64 hex>
    registry.py check-secrets DIR        reads `modal secret list --env ENV --json` on stdin; fails naming every Modal
                                         secret the deploy needs (REGISTRY_AUTH and each file's secrets.required)
                                         that the environment lacks
    registry.py snapshot REV DIR OUT     writes DIR as it was at git revision REV into OUT (the working tree is not touched)

Outputs go to $STEPHOST_OUTPUT as name=value lines (stephost's exec plugin).
The files use a small YAML subset: mappings by indentation, scalars (plain or
quoted), flow lists [a, b] and block lists (- a). That is all the registry format needs.
"""
import glob
import json
import os
import re
import subprocess
import sys

DIGEST = re.compile(r"^[a-z0-9._/:-]+@sha256:[0-9a-f]{64}$")


def _scalar(text):
    text = text.strip()
    if text[:1] in "\"'" and text[-1:] == text[:1] and len(text) >= 2:
        return text[1:-1]
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(p) for p in text[1:-1].split(",") if p.strip()]
    return text


def _strip_comment(line):
    quote = None
    for i, c in enumerate(line):
        if quote:
            quote = None if c == quote else quote
        elif c in "\"'":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def parse(text):
    """Nested mappings and lists of scalars, by indentation."""
    root = {}
    stack = [(-1, root)]          # (indent, container)
    pending = None                # (indent, parent dict, key) of a `key:` with nothing after it
    for raw in text.splitlines():
        line = _strip_comment(raw)
        if not line.strip() or line.strip() == "---":
            continue
        indent = len(line) - len(line.lstrip(" "))
        body = line.strip()
        is_item = body.startswith("- ") or body == "-"
        if pending and (indent > pending[0] or (indent == pending[0] and is_item)):
            _, parent, key = pending
            parent[key] = [] if is_item else {}
            # A block list may sit at its key's own indentation: it ends at the first line there that is no item.
            stack.append((pending[0] - (0.5 if indent == pending[0] else 0), parent[key]))
        pending = None
        while len(stack) > 1 and (indent <= stack[-1][0] or (indent - 0.5 == stack[-1][0] and not is_item)):
            stack.pop()
        container = stack[-1][1]
        if body.startswith("-"):
            if isinstance(container, list):
                container.append(_scalar(body[1:]))
            continue
        key, sep, value = body.partition(":")
        if not sep or not isinstance(container, dict):
            continue
        key = _scalar(key)
        if value.strip():
            container[key] = _scalar(value)
        else:
            container[key] = None
            pending = (indent, container, key)
    return root


def unit_name(path):
    """A unit's name from its folder: tools/llm/litellm/2/registry.yaml -> llm-litellm (the version left out)."""
    parts = os.path.normpath(os.path.dirname(path)).split(os.sep)
    parts = parts[-3:-1] if len(parts) >= 3 else parts[-1:]
    return "-".join(parts)


def load(path):
    """One registry file: ref, image, required secrets, runtime limits (as modal_app.py reads them).

    `image` is image.oci, or for a file pinned per platform (image.platforms.amd64, .arm64, ...)
    the amd64 one: what Modal runs. `images` holds every platform's."""
    with open(path, encoding="utf-8") as f:
        data = parse(f.read())
    block = data.get("image") if isinstance(data.get("image"), dict) else {}
    platforms = block.get("platforms") if isinstance(block.get("platforms"), dict) else {}
    image = block.get("oci") or platforms.get("amd64")
    required = (data.get("secrets") or {}).get("required") if isinstance(data.get("secrets"), dict) else None
    if isinstance(required, str):
        required = [required] if required else []
    beside = os.path.basename(path) == "registry.yaml"
    return {
        "name": unit_name(path) if beside else os.path.basename(path)[: -len(".yaml")],
        "path": os.path.dirname(path) if beside else None,
        "images": dict(platforms),
        "ref": data.get("ref") or data.get("name"),
        "file": path,
        "image": image,
        "secrets": list(required or []),
        "runtime": runtime_env(data.get("runtime") if isinstance(data.get("runtime"), dict) else {}),
    }


def runtime_env(runtime):
    """TIMEOUT_S, CPU, MEMORY_MIB, GPU from a runtime mapping (memory_mib, memory_gb, or memory: 2Gi; gpu as written)."""
    env = {}
    if runtime.get("timeout_s"):
        env["TIMEOUT_S"] = str(int(float(runtime["timeout_s"])))
    if runtime.get("cpu"):
        cpu = float(runtime["cpu"])
        env["CPU"] = str(int(cpu)) if cpu == int(cpu) else str(cpu)
    if runtime.get("memory_mib"):
        env["MEMORY_MIB"] = str(int(float(runtime["memory_mib"])))
    elif runtime.get("memory_gb"):
        env["MEMORY_MIB"] = str(int(float(runtime["memory_gb"]) * 1024))
    elif runtime.get("memory"):
        m = re.fullmatch(r"([0-9.]+)(Gi|Mi|G|M)?", str(runtime["memory"]))
        if m:
            factor = {"Gi": 1024, "Mi": 1, "G": 1e9 / 1048576, "M": 1e6 / 1048576, None: 1}[m.group(2)]
            env["MEMORY_MIB"] = str(int(round(float(m.group(1)) * factor)))
    if runtime.get("gpu"):
        env["GPU"] = str(runtime["gpu"])
    return env


def function_name(ref):
    """`llm/litellm@1` -> `exec__llm_litellm__v1`."""
    name, sep, version = ref.rpartition("@")
    if not sep or not name or not version:
        raise ValueError(f"processor reference '{ref}' is not NAME@VERSION")
    return f"exec__{name.replace('/', '_')}__v{version}"


def processors(directory):
    """Registry files in DIR, and units' registry.yaml files anywhere below it."""
    files = sorted(glob.glob(os.path.join(directory, "*.yaml")))
    files += sorted(p for p in glob.glob(os.path.join(directory, "**", "registry.yaml"), recursive=True) if p not in files)
    return [load(p) for p in files]


def output(name, value):
    with open(os.environ["STEPHOST_OUTPUT"], "a", encoding="utf-8") as f:
        f.write(f"{name}={value if isinstance(value, str) else json.dumps(value)}\n")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    command, args = argv[1], argv[2:]
    if command == "processors":
        items = []
        for p in processors(args[0]):
            if not p["ref"]:
                sys.exit(f"{p['file']}: no name: or ref: naming the processor")
            try:
                function = function_name(p["ref"])
            except ValueError as e:
                sys.exit(f"{p['file']}: {e}")
            items.append({"name": p["name"], "ref": p["ref"], "file": p["file"], "image": p["image"], "function": function,
                          **({"path": p["path"], "images": p["images"]} if p["path"] else {})})
        for p in items:
            print(f"{p['ref']:<28} {p['function']:<32} {p['image']}")
        output("list", items)
        output("refs", {p["name"]: p["ref"] for p in items})
        output("dir", os.path.abspath(args[0]))
    elif command == "units":
        items = []
        for unit in json.loads(args[0] or "[]"):
            file = os.path.join(unit["path"], "registry.yaml")
            if not os.path.exists(file):
                print(f"{unit['path']}: no registry.yaml, not a unit", file=sys.stderr)
                continue
            p = load(file)
            if not p["ref"]:
                sys.exit(f"{file}: no name: or ref: naming the unit")
            items.append({"name": p["name"], "ref": p["ref"], "path": unit["path"], "file": file, "image": p["image"],
                          "images": p["images"], "function": function_name(p["ref"])})
        for p in items:
            print(f"{p['ref']:<28} {p['name']:<24} {p['path']}")
        output("list", items)
    elif command == "check-pins":
        bad = []
        for p in processors(args[0]):
            pins = {f"image.platforms.{k}": v for k, v in p["images"].items()} or {"image.oci": p["image"]}
            bad += [(p, key, value) for key, value in pins.items() if not DIGEST.match(value or "")]
        for p, key, value in bad:
            print(f"{p['file']}: {key} is '{value or '(missing)'}', not repository@sha256:<digest>", file=sys.stderr)
        if bad:
            sys.exit(f"{len(bad)} registry file(s) not pinned to a digest: run the main (or full) workflow to build, push and pin them first")
        print(f"every image in {args[0]} is pinned to a digest")
    elif command == "check-secrets":
        env = os.environ.get("MODAL_ENVIRONMENT", "the Modal environment")
        needed = {"REGISTRY_AUTH"} | {s for p in processors(args[0]) for s in p["secrets"]}
        listing = sys.stdin.read()
        if not listing.strip():
            sys.exit(f"no secret list for {env} on stdin: `modal secret list --json` failed (its error is above)")
        have = {row.get("Name") or row.get("name") for row in json.loads(listing)}
        missing = sorted(needed - have)
        if missing:
            sys.exit(f"Modal environment '{env}' lacks secret(s) {', '.join(missing)}: run the secrets-ensure workflow first")
        print(f"Modal environment '{env}' has {', '.join(sorted(needed))}")
    elif command == "snapshot":
        rev, directory, out = args
        if not rev:
            sys.exit("no revision given: stephost run rollback --env ENV --var registry-rev=<commit, tag or branch>")
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True).stdout.strip()
        prefix = os.path.relpath(os.path.abspath(directory), top)
        commit = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], capture_output=True, text=True)
        if commit.returncode != 0:
            sys.exit(f"registry-rev '{rev}' is not a commit git knows (fetch more history: actions/checkout fetch-depth: 0)")
        sha = commit.stdout.strip()
        names = subprocess.run(["git", "ls-tree", "--name-only", sha, prefix + "/"], capture_output=True, text=True, check=True).stdout.split()
        os.makedirs(out, exist_ok=True)
        for old in glob.glob(os.path.join(out, "*.yaml")):
            os.remove(old)
        for path in names:
            if path.endswith(".yaml"):
                blob = subprocess.run(["git", "show", f"{sha}:{path}"], capture_output=True, check=True).stdout
                with open(os.path.join(out, os.path.basename(path)), "wb") as f:
                    f.write(blob)
        if not any(n.endswith(".yaml") for n in names):
            sys.exit(f"{prefix} holds no registry files at {sha[:12]}")
        print(f"{prefix} as of {sha[:12]} -> {out}")
        output("registry", os.path.abspath(out))
        output("commit", sha)
    else:
        sys.exit(f"unknown command '{command}'\n\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv)
