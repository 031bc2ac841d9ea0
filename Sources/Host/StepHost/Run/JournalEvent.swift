import Foundation
import StepProtocol

/// The vocabulary of `journal.jsonl` and `--events`, typed: one encoder (`fields`) and one decoder
/// (`init(type:fields:)`); the writer adds `v`, `seq`, `time` and `type`. Nothing else builds or reads
/// these events from dictionaries (a test keeps it so), and `stephost schema events` is tested against
/// `types`. The bytes are what the journal has always held, so older journals read as they did.
public enum JournalEvent: Sendable {
    case runStarted(RunStarted)
    case stepStarted(step: String, uses: String)
    case attempt(step: String, attempt: Int)
    case log(step: String, level: String, message: String, file: String?, line: Int?)
    case progress(step: String, message: String?, completed: Double?, total: Double?)
    case stepFinished(StepFinished)
    case runFinished(exitCode: Int, durationMs: Int)

    /// Every type, in the order a run produces them.
    public static let types = ["run-started", "step-started", "attempt", "log", "progress", "step-finished", "run-finished"]
    /// The types the journal leaves out (they are in `--events` and the step logs).
    public static let streamOnly: Set<String> = ["log", "progress"]

    /// What started the run. A merged record (`runs merge`) has `merged` and lists its sources in
    /// `resumedFrom`; a resumed run names the one it resumed. One model, whatever wrote it.
    public struct RunStarted: Sendable, Equatable {
        public var id: String
        public var workflows: [String]
        public var manifestPath: String?
        public var environment: String?
        public var vars: [String: String] = [:]
        public var sha: String?
        public var dryRun = false
        public var host: String?
        /// The run it resumed, or the records it merged.
        public var resumedFrom: [String] = []
        public var merged = false
        // Information only (a record is portable), and absent from a merged record.
        public var workspace: String?
        public var only: String?
        public var event: String?
        public var branch: String?
        public var pid: Int?

        public init(id: String, workflows: [String]) { self.id = id; self.workflows = workflows }
    }

    /// A step (or instance) that ended: its outcome, what its result depends on, and whether its outputs held a secret.
    public struct StepFinished: Sendable {
        public var outcome: StepOutcome
        public var spec: String?
        public var fingerprint: StepFingerprint?
        public var outputsMasked = false
        public init(outcome: StepOutcome, spec: String?, fingerprint: StepFingerprint?, outputsMasked: Bool) {
            self.outcome = outcome; self.spec = spec; self.fingerprint = fingerprint; self.outputsMasked = outputsMasked
        }
    }

    public var type: String {
        switch self {
        case .runStarted: return "run-started"
        case .stepStarted: return "step-started"
        case .attempt: return "attempt"
        case .log: return "log"
        case .progress: return "progress"
        case .stepFinished: return "step-finished"
        case .runFinished: return "run-finished"
        }
    }

    /// The event's own members (the one encoder).
    public var fields: [String: JSONValue] {
        func opt(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        switch self {
        case .runStarted(let r):
            var o: [String: JSONValue] = [
                "id": .string(r.id), "workflows": .array(r.workflows.map(JSONValue.string)),
                "manifest": opt(r.manifestPath), "manifestPath": opt(r.manifestPath), "environment": opt(r.environment),
                "dryRun": .bool(r.dryRun), "vars": .object(r.vars.mapValues(JSONValue.string)), "host": opt(r.host),
            ]
            if r.merged {
                o["resumedFrom"] = .array(r.resumedFrom.map(JSONValue.string))
                o["merged"] = .bool(true)
                o["sha"] = opt(r.sha)
            } else {
                o["resumedFrom"] = opt(r.resumedFrom.first)
                o["sha"] = .string(r.sha ?? "")
                o["workspace"] = opt(r.workspace)
                o["only"] = opt(r.only)
                o["event"] = opt(r.event)
                o["branch"] = opt(r.branch)
                o["pid"] = r.pid.map(JSONValue.int) ?? .null
            }
            return o
        case .stepStarted(let step, let uses): return ["step": .string(step), "uses": .string(uses)]
        case .attempt(let step, let attempt): return ["step": .string(step), "attempt": .int(attempt)]
        case .log(let step, let level, let message, let file, let line):
            return JSONValue.compactObject(["step": .string(step), "level": .string(level), "message": .string(message),
                                            "file": file.map(JSONValue.string), "line": line.map(JSONValue.int)]).objectValue ?? [:]
        case .progress(let step, let message, let completed, let total):
            return JSONValue.compactObject(["step": .string(step), "message": message.map(JSONValue.string),
                                            "completed": completed.map(JSONValue.number), "total": total.map(JSONValue.number)]).objectValue ?? [:]
        case .stepFinished(let f):
            var o = f.outcome.json.objectValue ?? [:]
            o["spec"] = f.spec.map(JSONValue.string)
            o["fingerprint"] = f.fingerprint?.json
            if f.outputsMasked { o["outputsMasked"] = .bool(true) }
            return o
        case .runFinished(let exitCode, let durationMs): return ["exitCode": .int(exitCode), "durationMs": .int(durationMs)]
        }
    }

    /// An event read back (the one decoder); nil for a type it does not know or a line that is not one.
    public init?(type: String, fields o: [String: JSONValue]) {
        switch type {
        case "run-started":
            var r = RunStarted(id: o["id"]?.stringValue ?? "", workflows: o["workflows"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            r.manifestPath = o["manifestPath"]?.stringValue
            r.environment = o["environment"]?.stringValue
            for (k, x) in o["vars"]?.objectValue ?? [:] { if let s = x.stringValue { r.vars[k] = s } }
            r.sha = o["sha"]?.stringValue
            r.dryRun = o["dryRun"]?.boolValue ?? false
            r.host = o["host"]?.stringValue
            if let list = o["resumedFrom"]?.arrayValue { r.resumedFrom = list.compactMap(\.stringValue) }
            else if let one = o["resumedFrom"]?.stringValue { r.resumedFrom = [one] }
            r.merged = o["merged"]?.boolValue ?? (o["resumedFrom"]?.arrayValue != nil)
            r.workspace = o["workspace"]?.stringValue
            r.only = o["only"]?.stringValue
            r.event = o["event"]?.stringValue
            r.branch = o["branch"]?.stringValue
            r.pid = o["pid"]?.intValue
            self = .runStarted(r)
        case "step-started":
            guard let step = o["step"]?.stringValue else { return nil }
            self = .stepStarted(step: step, uses: o["uses"]?.stringValue ?? "")
        case "attempt":
            guard let step = o["step"]?.stringValue else { return nil }
            self = .attempt(step: step, attempt: o["attempt"]?.intValue ?? 0)
        case "log":
            guard let step = o["step"]?.stringValue else { return nil }
            self = .log(step: step, level: o["level"]?.stringValue ?? "info", message: o["message"]?.stringValue ?? "",
                        file: o["file"]?.stringValue, line: o["line"]?.intValue)
        case "progress":
            guard let step = o["step"]?.stringValue else { return nil }
            self = .progress(step: step, message: o["message"]?.stringValue, completed: o["completed"]?.doubleValue, total: o["total"]?.doubleValue)
        case "step-finished":
            guard let outcome = StepOutcome(json: .object(o)) else { return nil }
            self = .stepFinished(StepFinished(outcome: outcome, spec: o["spec"]?.stringValue, fingerprint: StepFingerprint(json: o["fingerprint"]),
                                              outputsMasked: o["outputsMasked"]?.boolValue ?? false))
        case "run-finished":
            self = .runFinished(exitCode: o["exitCode"]?.intValue ?? 0, durationMs: o["durationMs"]?.intValue ?? 0)
        default:
            return nil
        }
    }
}
