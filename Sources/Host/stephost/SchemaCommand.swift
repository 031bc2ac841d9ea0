import Foundation
import StepHost
import StepProtocol

/// `stephost schema events`: the JSON Schema (draft-07) of the run's events, as `--events` and
/// the journal write them.
enum SchemaCommand {
    static func main(_ argv: [String]) async -> Int32 {
        let known = ["events": events]
        guard argv.count == 1, let schema = known[argv[0]] else {
            return CommonOptions.fail("schema takes one of: \(known.keys.sorted().joined(separator: ", ")) (see stephost schema --help)")
        }
        print(schema.prettyEncoded())
        return 0
    }

    static let stepStatus: JSONValue = ["type": "string", "enum": ["success", "would-run", "failure", "cancelled", "skipped"]]

    /// The fields each type requires, and their types.
    static let fieldsByType: [String: (required: [String], properties: [String: JSONValue])] = [
        "run-started": (["id", "workflows"], [
            "id": ["type": "string"], "workflows": ["type": "array", "items": ["type": "string"]],
            "manifest": ["type": "string"], "manifestPath": ["type": "string"], "environment": ["type": ["string", "null"]],
            "event": ["type": "string"], "branch": ["type": "string"], "sha": ["type": "string"], "dryRun": ["type": "boolean"],
            "pid": ["type": "integer"], "vars": ["type": "object", "additionalProperties": ["type": "string"]],
            "resumedFrom": ["type": ["string", "null"]],
        ]),
        "step-started": (["step", "uses"], ["step": ["type": "string"], "uses": ["type": "string"]]),
        "attempt": (["step", "attempt"], ["step": ["type": "string"], "attempt": ["type": "integer", "minimum": 1]]),
        "log": (["step", "level", "message"], [
            "step": ["type": "string"], "level": ["type": "string", "enum": ["debug", "info", "notice", "warning", "error"]],
            "message": ["type": "string"], "file": ["type": "string"], "line": ["type": "integer"],
        ]),
        "progress": (["step"], ["step": ["type": "string"], "message": ["type": "string"], "completed": ["type": "number"], "total": ["type": "number"]]),
        "step-finished": (["id", "uses", "status", "kind"], [
            "id": ["type": "string"], "workflow": ["type": "string"], "uses": ["type": "string"], "status": stepStatus,
            "reason": ["type": "string"], "attempts": ["type": "integer"], "startedAt": ["type": "string", "format": "date-time"],
            "durationMs": ["type": "integer"], "outputs": ["type": "object"], "summary": ["type": "string"], "error": ["type": "string"],
            "hint": ["type": "string"], "hints": ["type": "array", "items": ["type": "string"]], "kind": ["type": "string"],
            "changed": ["type": "boolean"], "continueOnError": ["type": "boolean"],
            "spec": ["type": "string"], "fingerprint": ["type": "object"], "outputsMasked": ["type": "boolean"],
        ]),
        "run-finished": (["exitCode", "durationMs"], ["exitCode": ["type": "integer"], "durationMs": ["type": "integer"]]),
    ]

    static var events: JSONValue {
        let types = RunJournalWriter.eventTypes
        var rules: [JSONValue] = []
        for t in types {
            guard let f = fieldsByType[t] else { continue }
            rules.append(["if": ["properties": ["type": ["const": .string(t)]]],
                          "then": ["required": .array(f.required.map(JSONValue.string)), "properties": .object(f.properties)]])
        }
        return [
            "$schema": "http://json-schema.org/draft-07/schema#",
            "$id": "https://stephost.dev/schemas/events-v1.json",
            "title": "stephost run event",
            "description": "One line of `stephost run --events` and of a run's journal.jsonl (which leaves out log and progress).",
            "type": "object",
            "required": ["v", "seq", "time", "type"],
            "properties": [
                "v": ["const": .int(RunJournalWriter.eventVersion), "description": "the version of the event vocabulary"],
                "seq": ["type": "integer", "minimum": 1, "description": "1, 2, 3 … without gaps in --events"],
                "time": ["type": "string", "format": "date-time"],
                "type": ["type": "string", "enum": .array(types.map(JSONValue.string))],
            ],
            "allOf": .array(rules),
        ]
    }
}
