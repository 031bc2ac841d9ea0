#!/usr/bin/env python3
"""A stephost plugin in plain Python (standard library only).

Step `file-stats`: counts the lines and bytes of some files and returns their
SHA-256. It speaks protocol v1 (docs/protocol.md): one JSON-RPC message per
line on stdin/stdout, logs on stderr or as `log` notifications.
"""
import hashlib
import json
import os
import sys

STEP = {
    "name": "file-stats",
    "description": "Count lines and bytes of files and hash them",
    "inputs": {
        "type": "object",
        "additionalProperties": False,
        "required": ["paths"],
        "properties": {"paths": {"type": "array", "items": {"type": "string"}}},
    },
    "outputs": {"files": "number of files", "lines": "total lines", "bytes": "total bytes", "sha256": "path -> digest"},
}


def send(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def log(request_id, text, level="info"):
    send({"jsonrpc": "2.0", "method": "log", "params": {"id": request_id, "level": level, "message": text}})


def run_step(request_id, params):
    paths = params["with"].get("paths")
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        return None, {"code": -32602, "message": "Invalid params: 'paths' must be a list of strings",
                      "data": {"errors": [{"path": "with.paths", "message": "must be a list of strings"}]}}
    if params.get("dryRun"):
        return {"outputs": {"files": len(paths), "lines": None, "bytes": None, "sha256": None},
                "summary": f"would hash {len(paths)} file(s)", "changed": False}, None
    stats = {"files": 0, "lines": 0, "bytes": 0, "sha256": {}}
    for rel in paths:
        path = os.path.join(params["workspace"], rel)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            return None, {"code": -32000, "message": f"cannot read {rel}: {e.strerror}",
                          "data": {"hint": "paths are relative to the workspace", "retryable": False}}
        stats["files"] += 1
        stats["lines"] += data.count(b"\n")
        stats["bytes"] += len(data)
        stats["sha256"][rel] = hashlib.sha256(data).hexdigest()
        log(request_id, f"{rel}: {len(data)} bytes")
    return {"outputs": stats, "summary": f"hashed {stats['files']} file(s), {stats['bytes']} bytes"}, None


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            send({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}})
            continue
        if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0" or not isinstance(msg.get("method"), str):
            send({"jsonrpc": "2.0", "id": msg.get("id") if isinstance(msg, dict) else None,
                  "error": {"code": -32600, "message": "Invalid Request"}})
            continue
        method, request_id = msg["method"], msg.get("id")
        if request_id is None:
            continue  # notifications ($/cancel): steps here are quick, nothing to stop
        if method == "initialize":
            send({"jsonrpc": "2.0", "id": request_id, "result": {
                "protocolVersion": 1, "plugin": {"name": "file-stats", "version": "1.0.0"},
                "steps": [STEP], "capabilities": {"concurrency": 1, "dryRun": True, "cancel": False}}})
        elif method == "step/run":
            result, error = run_step(request_id, msg.get("params", {}))
            reply = {"jsonrpc": "2.0", "id": request_id}
            reply.update({"error": error} if error else {"result": result})
            send(reply)
        elif method == "shutdown":
            send({"jsonrpc": "2.0", "id": request_id, "result": None})
        else:
            send({"jsonrpc": "2.0", "id": request_id, "error": {"code": -32601, "message": f"Method not found: {method}"}})


if __name__ == "__main__":
    main()
