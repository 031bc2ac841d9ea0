/// The plugins `stephost plugin new` writes: each a working plugin of one step, NAME, that says
/// `with.message` (in capitals with `shout: true`) and returns it as the output `text`. `__NAME__`
/// stands for the plugin's name.
enum PluginTemplates {
    /// The step's input schema, the same in every language.
    static let inputsJSON = #"{"type": "object", "additionalProperties": false, "required": ["message"], "properties": {"message": {"type": "string", "description": "what to say"}, "shout": {"type": "boolean", "description": "say it in capitals (default false)"}}}"#

    static let python = #"""
    #!/usr/bin/env python3
    """__NAME__: a stephost plugin (protocol version 1) in Python, standard library only.

    One JSON-RPC 2.0 message per line on stdin and stdout; anything else goes to stderr.
    Steps run in threads, so that $/cancel can stop one while it runs.
    """
    import json
    import sys
    import threading

    NAME = "__NAME__"
    VERSION = "0.1.0"
    INPUTS = json.loads('__INPUTS__')
    write_lock = threading.Lock()
    cancelled = set()


    def send(message):
        with write_lock:
            sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()


    def answer(request_id, result=None, error=None):
        message = {"jsonrpc": "2.0", "id": request_id}
        if error is not None:
            message["error"] = error
        else:
            message["result"] = result
        send(message)


    def log(request_id, message, level="info"):
        send({"jsonrpc": "2.0", "method": "log", "params": {"id": request_id, "level": level, "message": message}})


    def problems(value, schema, path):
        """The inputs' problems against the schema's subset: types, required keys, unknown keys."""
        kinds = {"object": dict, "string": str, "boolean": bool, "array": list}
        kind = schema.get("type")
        if kind in kinds and not isinstance(value, kinds[kind]):
            return [{"path": path, "message": "must be %s" % kind}]
        if kind != "object":
            return []
        found = [{"path": "%s.%s" % (path, key), "message": "is required"} for key in schema.get("required", []) if key not in value]
        for key, item in value.items():
            if key in schema.get("properties", {}):
                found += problems(item, schema["properties"][key], "%s.%s" % (path, key))
            elif schema.get("additionalProperties") is False:
                found.append({"path": "%s.%s" % (path, key), "message": "is not an input of this step"})
        return found


    def run_step(request_id, params):
        """The step's work. Replace it with yours; keep answering exactly once."""
        inputs = params.get("with", {})
        text = inputs["message"].upper() if inputs.get("shout") else inputs["message"]
        if request_id in cancelled:
            return answer(request_id, error={"code": -32800, "message": "Request cancelled"})
        if params.get("dryRun"):
            return answer(request_id, {"outputs": {"text": None}, "summary": "would say: %s" % text, "changed": False})
        log(request_id, text)
        answer(request_id, {"outputs": {"text": text}, "summary": "said: %s" % text})


    def handle(line):
        try:
            message = json.loads(line)
        except ValueError:
            return answer(None, error={"code": -32700, "message": "Parse error"})
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0" or not isinstance(message.get("method"), str):
            return answer(message.get("id") if isinstance(message, dict) else None, error={"code": -32600, "message": "Invalid Request"})
        method, request_id, params = message["method"], message.get("id"), message.get("params") or {}
        if method == "$/cancel":
            cancelled.add(params.get("id"))
            return
        if request_id is None:
            return  # another notification: ignored
        if method == "initialize":
            return answer(request_id, {
                "protocolVersion": 1,
                "plugin": {"name": NAME, "version": VERSION},
                "steps": [{"name": NAME, "description": "says a message", "inputs": INPUTS, "outputs": {"text": "what was said"}}],
                "capabilities": {"concurrency": 4, "dryRun": True, "cancel": True},
            })
        if method == "shutdown":
            return answer(request_id, None)
        if method == "step/run":
            if params.get("step", {}).get("uses") != NAME:
                return answer(request_id, error={"code": -32601, "message": "no step %r here" % params.get("step", {}).get("uses")})
            found = problems(params.get("with", {}), INPUTS, "with")
            if found:
                return answer(request_id, error={"code": -32602, "message": "invalid inputs", "data": {"errors": found}})
            threading.Thread(target=run_step, args=(request_id, params), daemon=True).start()
            return
        answer(request_id, error={"code": -32601, "message": "Method not found: %s" % method})


    def main():
        for line in sys.stdin:  # ends at end of file: the host closed stdin, or died
            if line.strip():
                handle(line.strip())


    if __name__ == "__main__":
        main()
    """#

    static let shell = #"""
    #!/usr/bin/env bash
    # __NAME__: a stephost plugin (protocol version 1) in bash, no other tool needed.
    # One JSON-RPC 2.0 message per line on stdin and stdout; anything else goes to stderr.
    # The host writes compact JSON, one object per line; this reads the few fields it needs with
    # bash's own pattern matching (for more, use Python or Swift: see docs/writing-plugins.md).
    set -u
    NAME=__NAME__
    INPUTS='__INPUTS__'

    send() { printf '%s\n' "$1"; }
    answer() { send "{\"jsonrpc\":\"2.0\",\"id\":$1,\"result\":$2}"; }
    fail() { send "{\"jsonrpc\":\"2.0\",\"id\":$1,\"error\":{\"code\":$2,\"message\":\"$3\"}}"; }
    # The string value of "KEY":"…" in a line (the first one), or nothing.
    field() { [[ $2 =~ \"$1\":[[:space:]]*\"(([^\"\\]|\\.)*)\" ]] && printf '%s' "${BASH_REMATCH[1]}"; }

    while IFS= read -r line || [ -n "$line" ]; do
      line=${line%$'\r'}
      [ -z "${line//[[:space:]]/}" ] && continue
      case $line in
        \[*) fail null -32600 "Invalid Request: batches are not supported"; continue ;;
        \{*\}) ;;
        *) fail null -32700 "Parse error"; continue ;;
      esac
      method=$(field method "$line")
      # A notification ($/cancel, which cannot reach a step here: each ends before the next line is read).
      [ "$method" = '$/cancel' ] && continue
      [[ $line =~ \"id\":[[:space:]]*([0-9]+) ]] && id=${BASH_REMATCH[1]} || continue
      case $method in
        initialize)
          answer "$id" "{\"protocolVersion\":1,\"plugin\":{\"name\":\"$NAME\",\"version\":\"0.1.0\"},\"steps\":[{\"name\":\"$NAME\",\"description\":\"says a message\",\"inputs\":$INPUTS,\"outputs\":{\"text\":\"what was said\"}}],\"capabilities\":{\"concurrency\":1,\"dryRun\":true,\"cancel\":false}}" ;;
        shutdown) answer "$id" null ;;
        step/run)
          if [ "$(field uses "$line")" != "$NAME" ]; then fail "$id" -32601 "no such step here"; continue; fi
          message=$(field message "$line")
          if [[ ! $line =~ \"with\":[[:space:]]*\{[^{}]*\"message\":[[:space:]]*\" ]]; then fail "$id" -32602 "with.message is required (a string)"; continue; fi
          if [[ $line =~ \"with\":[[:space:]]*\{([^{}]*)\} ]]; then
            with=${BASH_REMATCH[1]}
            unknown=$(printf '%s' "$with" | sed -E 's/"(message|shout)":[[:space:]]*("([^"\\]|\\.)*"|true|false)//g; s/[ ,]//g')
            if [ -n "$unknown" ]; then fail "$id" -32602 "with holds an input this step does not have"; continue; fi
          fi
          [[ $line =~ \"shout\":[[:space:]]*true ]] && message=${message^^}
          if [[ $line =~ \"dryRun\":[[:space:]]*true ]]; then
            answer "$id" "{\"outputs\":{\"text\":null},\"summary\":\"would say: $message\",\"changed\":false}"
          else
            send "{\"jsonrpc\":\"2.0\",\"method\":\"log\",\"params\":{\"id\":$id,\"level\":\"info\",\"message\":\"$message\"}}"
            answer "$id" "{\"outputs\":{\"text\":\"$message\"},\"summary\":\"said: $message\"}"
          fi ;;
        *) fail "$id" -32601 "Method not found" ;;
      esac
    done
    """#

    static let swiftPackage = #"""
    // swift-tools-version:6.0
    import PackageDescription

    // __NAME__: a stephost plugin in Swift with PluginKit (which speaks the protocol for it).
    let package = Package(
        name: "__NAME__",
        dependencies: [.package(path: "__STEPHOST__")],
        targets: [
            .executableTarget(name: "__NAME__", dependencies: [
                .product(name: "PluginKit", package: "__STEPHOST_IDENTITY__"),
            ], path: "Sources"),
        ]
    )
    """#

    static let swiftMain = #"""
    import PluginKit
    import StepProtocol

    // __NAME__: PluginKit answers initialize, shutdown, $/cancel, unknown methods and invalid inputs
    // (checked against the schema below); the handler is the step's work.
    let server = PluginServer(name: "__NAME__", version: "0.1.0", capabilities: Capabilities(concurrency: 4, dryRun: true, cancel: true))
    server.register(StepDescription(
        name: "__NAME__", description: "says a message",
        inputs: ["type": "object", "additionalProperties": false, "required": ["message"], "properties": [
            "message": ["type": "string", "description": "what to say"],
            "shout": ["type": "boolean", "description": "say it in capitals (default false)"],
        ]],
        outputs: ["text": "what was said"])
    ) { step in
        let message = step.with["message"]?.stringValue ?? ""
        let text = step.with["shout"]?.boolValue == true ? message.uppercased() : message
        if step.isDryRun { return StepRunResult(outputs: ["text": .null], summary: "would say: \(text)", changed: false) }
        step.log(text)
        return StepRunResult(outputs: ["text": .string(text)], summary: "said: \(text)")
    }
    server.run()
    """#
}
