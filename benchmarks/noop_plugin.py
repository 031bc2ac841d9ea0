#!/usr/bin/env python3
"""A persistent stephost plugin in plain Python that does nothing, as fast as Python reads and writes lines:
the plugin a benchmark of the host's own cost needs (its own cost is measured alone, from a file of requests)."""
import json, sys

out = sys.stdout
for line in sys.stdin:
    msg = json.loads(line)
    method, rid = msg.get("method"), msg.get("id")
    if method == "initialize":
        result = {"protocolVersion": 1, "plugin": {"name": "noop", "version": "1.0.0"},
                  "steps": [{"name": "noop", "inputs": {"type": "object"}}],
                  "capabilities": {"concurrency": 1, "dryRun": True, "cancel": False}}
    elif method == "step/run":
        result = {"outputs": {}}
    elif method == "shutdown":
        result = None
    else:
        continue
    out.write('{"jsonrpc":"2.0","id":%s,"result":%s}\n' % (json.dumps(rid), json.dumps(result)))
    out.flush()
