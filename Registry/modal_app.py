"""The Modal app that sync-modal deploys: one processor's function, built from environment variables alone.

sync-modal runs `modal deploy --env ENV -m modal_app` in this folder with:

    PROCESSOR_REF      llm/litellm@1            -> function exec__llm_litellm__v1
    IMAGE_REF          ghcr.io/OWNER/NAME@sha256:...   (pinned; a tag is refused)
    TOOL_SECRETS       OPENAI_API_KEY,LITELLM_API_BASE  (Modal secrets the function gets)
    MODAL_APP_NAME     theory-rt
    MODAL_ENVIRONMENT  dev | staging | main      (the Modal client reads it too)
    TIMEOUT_S, CPU, MEMORY_MIB, GPU             (the registry file's runtime; each optional)

The image is pulled from the registry with the Modal secret REGISTRY_AUTH
(REGISTRY_USERNAME, REGISTRY_PASSWORD). Importing this module contacts no
server, so it can be checked offline (Tests: ModalAppTests).

A `modal deploy` replaces the app's whole set of functions, so a deploy that
defined only one processor's function would drop every other one. With
REGISTRY_DIR (sync-modal sets it to the folder it read), the module also
defines the function of every other pinned processor in that folder, from its
registry file; the one named by PROCESSOR_REF always comes from the variables.
Without PROCESSOR_REF, it defines every processor of REGISTRY_DIR: the
reference pipeline's "app" step deploys the whole app that way.
"""

import json
import os
import subprocess
import sys

import modal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # registry.py sits beside this file, wherever modal runs from
import registry  # noqa: E402


def _env(name, default=None):
    """A variable's value; without a default, a missing one is an error naming it."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if default is None:
        raise RuntimeError(f"modal_app: {name} is not set (sync-modal sets it; see the module's docstring)")
    return default


APP_NAME = _env("MODAL_APP_NAME", "theory-rt")
REGISTRY_DIR = os.environ.get("REGISTRY_DIR", "").strip()
PROCESSOR_REF = os.environ.get("PROCESSOR_REF", "").strip()
if not PROCESSOR_REF and not REGISTRY_DIR and modal.is_local():
    raise RuntimeError("modal_app: set PROCESSOR_REF (one processor) or REGISTRY_DIR (every processor); see the module's docstring")


def _pinned(image_ref, where):
    if not image_ref or not registry.DIGEST.match(image_ref):
        raise RuntimeError(f"modal_app: {where}: image '{image_ref}' is not pinned to a digest (repository@sha256:...); pin it first")
    return image_ref


def _spec(ref, image_ref, secrets, limits, where):
    return {
        "function": registry.function_name(ref),
        "ref": ref,
        "image": _pinned(image_ref, where),
        "secrets": list(secrets),
        "timeout": int(limits.get("TIMEOUT_S", "300")),
        "cpu": float(limits.get("CPU", "1")),
        "memory": int(limits.get("MEMORY_MIB", "1024")),
        "gpu": limits.get("GPU", "none"),
    }


SPECS = {}
# Inside a container the function arrives serialized: the module defines nothing there.
if REGISTRY_DIR and modal.is_local():
    for p in registry.processors(REGISTRY_DIR):
        if p["ref"] and p["ref"] != PROCESSOR_REF:
            spec = _spec(p["ref"], p["image"], p["secrets"], p["runtime"], p["file"])
            SPECS[spec["function"]] = spec
if PROCESSOR_REF and modal.is_local():
    spec = _spec(PROCESSOR_REF, _env("IMAGE_REF"), [s.strip() for s in _env("TOOL_SECRETS", "").split(",") if s.strip()],
                 {k: os.environ[k] for k in ("TIMEOUT_S", "CPU", "MEMORY_MIB", "GPU") if os.environ.get(k, "").strip()}, "IMAGE_REF")
    SPECS[spec["function"]] = spec

app = modal.App(APP_NAME)
registry_auth = modal.Secret.from_name("REGISTRY_AUTH")


def execute(payload: dict) -> dict:
    """Runs the processor's entrypoint in its image: the payload as JSON on stdin, its JSON answer on stdout."""
    command = os.environ.get("PROCESSOR_COMMAND", "python /app/main.py")
    done = subprocess.run(command, shell=True, input=json.dumps(payload), capture_output=True, text=True)
    try:
        result = json.loads(done.stdout) if done.stdout.strip() else {}
    except json.JSONDecodeError:
        result = {"stdout": done.stdout}
    return {"exit_code": done.returncode, "result": result, "stderr": done.stderr[-4000:]}


for _name, _s in sorted(SPECS.items()):
    app.function(
        name=_name,
        image=modal.Image.from_registry(_s["image"], secret=registry_auth),
        secrets=[modal.Secret.from_name(n) for n in _s["secrets"]],
        timeout=_s["timeout"],
        cpu=_s["cpu"],
        memory=_s["memory"],
        gpu=None if _s["gpu"].lower() == "none" else _s["gpu"],
        serialized=True,
    )(execute)
