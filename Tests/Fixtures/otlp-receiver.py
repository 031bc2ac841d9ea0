#!/usr/bin/env python3
"""An OpenTelemetry collector's OTLP/HTTP traces endpoint, for the tests.

  otlp-receiver.py LOG [ok|silent|status:CODE]

Prints the port it listens on (127.0.0.1), then serves until killed. Every POST is
parsed with the OpenTelemetry project's own message definitions (PyPI
opentelemetry-proto): the JSON body goes through protobuf's json_format.Parse into
ExportTraceServiceRequest, after the OTLP JSON rule that trace and span ids are hex
(json_format alone reads bytes as base64). One JSON line per request is appended to
LOG: method, path, content type, headers, and either the parsed spans (ids back in
hex, attributes as a plain map) or the parse error. `silent` accepts the connection
and never answers; `status:CODE` answers CODE.
"""
import base64, json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

LOG = sys.argv[1]
MODE = sys.argv[2] if len(sys.argv) > 2 else "ok"
lock = threading.Lock()


def hex_to_b64(value, size, what):
    raw = bytes.fromhex(value)
    if len(raw) != size:
        raise ValueError(f"{what} {value!r} is {len(raw)} bytes, not {size}")
    return base64.b64encode(raw).decode()


def parse(body):
    doc = json.loads(body)
    for rs in doc.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for span in ss.get("spans", []):
                span["traceId"] = hex_to_b64(span["traceId"], 16, "traceId")
                span["spanId"] = hex_to_b64(span["spanId"], 8, "spanId")
                if span.get("parentSpanId"):
                    span["parentSpanId"] = hex_to_b64(span["parentSpanId"], 8, "parentSpanId")
    message = json_format.Parse(json.dumps(doc), ExportTraceServiceRequest())
    spans = []
    for rs in message.resource_spans:
        resource = {a.key: value_of(a.value) for a in rs.resource.attributes}
        for ss in rs.scope_spans:
            for s in ss.spans:
                spans.append({
                    "resource": resource, "scope": ss.scope.name,
                    "traceId": s.trace_id.hex(), "spanId": s.span_id.hex(), "parentSpanId": s.parent_span_id.hex(),
                    "name": s.name, "kind": s.kind, "start": s.start_time_unix_nano, "end": s.end_time_unix_nano,
                    "attributes": {a.key: value_of(a.value) for a in s.attributes},
                    "status": {"code": s.status.code, "message": s.status.message},
                })
    return spans


def value_of(v):
    which = v.WhichOneof("value")
    return getattr(v, which) if which else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        entry = {"method": "POST", "path": self.path, "contentType": self.headers.get("Content-Type"),
                 "headers": {k.lower(): v for k, v in self.headers.items()}}
        try:
            entry["spans"] = parse(body)
        except Exception as e:  # what stephost sent is not a valid OTLP JSON request
            entry["error"] = f"{type(e).__name__}: {e}"
        entry["body"] = body.decode("utf-8", "replace")
        with lock, open(LOG, "a") as f:
            f.write(json.dumps(entry) + "\n")
        if MODE == "silent":
            threading.Event().wait(60)
            return
        code = int(MODE.split(":")[1]) if MODE.startswith("status:") else (400 if "error" in entry else 200)
        reply = b"{}" if code == 200 else json.dumps({"message": entry.get("error", "refused")}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
