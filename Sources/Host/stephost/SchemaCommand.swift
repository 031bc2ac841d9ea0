import Foundation
import StepAuthoring
import StepJournal
import StepManifest
import StepPlugins
import StepProtocol
import StepRun

/// `stephost schema manifest [--plugins] | events | descriptor`: JSON Schemas (draft-07) of the
/// manifest (with each plugin's `with:` inputs), of the run's events as `--events` and the journal
/// write them, and of a plugin descriptor.
enum SchemaCommand {
    static func main(_ argv: [String]) async -> Int32 {
        let a: Arguments
        // `--plugins` is a flag here: the plugins found for the manifest (-f, default ./stephost.yaml).
        do { a = try Arguments(argv, valued: CommonOptions.valued.subtracting(["--plugins"]), flags: ["--plugins"], aliases: CommonOptions.aliases) } catch {
            return CommonOptions.fail("\(error) (see stephost schema --help)")
        }
        let kinds = ["manifest", "events", "descriptor"]
        guard a.positionals.count == 1, let kind = a.positionals.first, kinds.contains(kind) else {
            return CommonOptions.fail("schema takes one of: \(kinds.joined(separator: ", ")) (see stephost schema --help)")
        }
        switch kind {
        case "events": print(events.prettyEncoded())
        case "descriptor": print(ManifestSchema.descriptor.prettyEncoded())
        default:
            // The bundled plugins' steps always; with --plugins, also those found for the manifest here.
            let r: RunRequest
            do { r = try CommonOptions.request(a) } catch { return CommonOptions.fail(error.description) }
            var search = r.pluginSearch
            if a.has("--plugins") {
                search.manifestDirectory = (Paths.absolute(r.manifestPath, search.currentDirectory) as NSString).deletingLastPathComponent
            }
            let catalog: PluginCatalog
            do { catalog = try PluginCatalog.load(search) } catch { return CommonOptions.fail(error.description) }
            let pool = PluginPool(settings: .init(hostDirectory: r.hostDirectory, workspace: search.currentDirectory, hostEnvironment: r.hostEnvironment,
                                                  initTimeout: r.initTimeout, hostVersion: version, multiCall: r.multiCall), onStderrLine: { _, _ in })
            var steps: [String: StepDescription] = [:]
            for d in catalog.overrides + catalog.visibleDescriptors.reversed() {
                do { for s in try await pool.warmUp(d).steps where d.steps?.contains(s.name) ?? true { steps[s.name] = s } } catch {
                    await pool.shutdownAll()
                    return CommonOptions.fail("schema manifest: \(error)")
                }
            }
            await pool.shutdownAll()
            print(ManifestSchema.manifest(steps: Array(steps.values)).prettyEncoded())
        }
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
            "resumedFrom": ["anyOf": [["type": ["string", "null"]], ["type": "array", "items": ["type": "string"]]],
                            "description": "the run resumed; a merged record's sources"],
            "host": ["type": "string"], "workspace": ["type": "string", "description": "information only: records are portable"],
            "only": ["type": ["string", "null"], "description": "the selection of --only/--until"], "merged": ["type": "boolean"],
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
            "ranIn": ["type": "string", "description": "the run that ran it"],
        ]),
        "run-finished": (["exitCode", "durationMs"], ["exitCode": ["type": "integer"], "durationMs": ["type": "integer"]]),
    ]

    static var events: JSONValue {
        let types = RunEvent.types
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
