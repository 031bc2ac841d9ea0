"""A stand-in for the part of the Modal SDK sync-modal's check uses, reading the fake CLI's state.

modal.Function.from_name(app, name, environment_name=env) is lazy, as in the real SDK;
.hydrate() raises modal.exception.NotFoundError when the function is not deployed
in that app and environment. Each hydrate is logged like a CLI call (argv ["sdk", ...]).
"""
import json
import os
import time

from . import exception

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))


class Function:
    def __init__(self, app_name, name, environment_name):
        self.app_name, self.name, self.environment_name = app_name, name, environment_name

    @classmethod
    def from_name(cls, app_name, name, *, environment_name=None):
        return cls(app_name, name, environment_name or os.environ.get("MODAL_ENVIRONMENT"))

    def hydrate(self):
        with open(os.path.join(_ROOT, "log.jsonl"), "a") as f:
            f.write(json.dumps({"argv": ["sdk", "Function.from_name", self.app_name, self.name, self.environment_name, "hydrate"],
                                "cwd": os.getcwd(), "env": dict(os.environ), "time": time.time()}) + "\n")
        if not (os.environ.get("MODAL_TOKEN_ID") and os.environ.get("MODAL_TOKEN_SECRET")):
            raise exception.AuthError("Token missing. Could not authenticate client.")
        try:
            with open(os.path.join(_ROOT, "state.json")) as f:
                state = json.load(f)
        except FileNotFoundError:
            state = {}
        functions = state.get("apps", {}).get(self.environment_name, {}).get(self.app_name)
        if functions is None:
            raise exception.NotFoundError(f"Lookup failed for Function '{self.name}' from the '{self.app_name}' app: "
                                          f"App '{self.app_name}' not found in environment '{self.environment_name}'.")
        if self.name not in functions:
            raise exception.NotFoundError(f"Lookup failed for Function '{self.name}' from the '{self.app_name}' app: "
                                          f"Function '{self.name}' not found.")
        return self
