"""Reads what a Modal app defines, offline, with the real `modal` package (1.x below 1.7).

describe(app) -> {"app": NAME, "functions": {NAME: {"image": "FROM" reference, "registry_secret": NAME,
                  "secrets": [NAME...], "cpu": float, "memory": MiB, "timeout": s, "gpu": ...}}}

Modal keeps these in private objects (the function's loader closure, the image's
Dockerfile function); the tests pin modal below 1.7, where this reading holds.
"""
import re
import warnings


def _cells(f):
    names = getattr(getattr(f, "__code__", None), "co_freevars", ())
    out = {}
    for name, cell in zip(names, getattr(f, "__closure__", None) or ()):
        try:
            out[name] = cell.cell_contents
        except ValueError:
            pass
    return out


def _find(f, wanted, depth=0, seen=None):
    seen = set() if seen is None else seen
    if id(f) in seen or depth > 5:
        return None
    seen.add(id(f))
    if getattr(f, "__name__", "") == wanted:
        return f
    for v in _cells(f).values():
        if callable(v):
            r = _find(v, wanted, depth + 1, seen)
            if r:
                return r
    return None


def _secret_name(secret):
    m = re.search(r"from_name\('([^']*)'", repr(secret))
    return m.group(1) if m else repr(secret)


def describe(app):
    from modal._utils.async_utils import synchronizer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        functions = dict(app.registered_functions)
    out = {"app": app.name, "functions": {}}
    for name, fn in functions.items():
        inner = synchronizer._translate_in(fn)
        args = _cells(inner._load)
        image = synchronizer._translate_in(args["image"])
        dockerfile = _find(image._load, "build_dockerfile")
        commands = dockerfile("2025.06").commands if dockerfile else []
        registry = [v for v in _cells(image._load).values() if type(v).__name__ == "_ImageRegistryConfig"]
        out["functions"][name] = {
            "image": next((c[len("FROM "):] for c in commands if c.startswith("FROM ")), None),
            "registry_secret": _secret_name(registry[0].secret) if registry and registry[0].secret else None,
            "secrets": [_secret_name(s) for s in args.get("secrets", [])],
            "cpu": args.get("cpu"),
            "memory": args.get("memory"),
            "timeout": args.get("timeout"),
            "gpu": None if args.get("gpu") is None else str(args.get("gpu")),
        }
    return out
