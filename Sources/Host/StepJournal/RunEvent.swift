import Foundation
import StepManifest
import StepMask
import StepProtocol

/// Everything a run says while it goes: the one vocabulary of a run. The journal (`journal.jsonl`),
/// `--events`, the terminal, the CI reporters and `runs merge` all speak it. Events with a `type`
/// are written as lines by one encoder (`fields`; the writer adds `v`, `seq`, `time` and `type`) and
/// read back by one decoder (`init(type:fields:)`); the others are for the reporters only. Nothing
/// else builds or reads events from dictionaries (a test keeps it so), `stephost schema events` is
/// tested against `types`, and the bytes are what the journal has always held, so older journals
/// read as they did.
public enum RunEvent: Sendable {
    case runStarted(RunStarted)
    /// A workflow whose `on:` did not match; `reason` says which condition failed.
    case workflowSkipped(name: String, reason: String)
    /// A step (or instance) cleared to run.
    case stepStarted(step: String, uses: String)
    /// One attempt of a step begins: `uses` as its line shows it, `of` the attempts its retry policy
    /// allows. The journal keeps only `step` and `attempt`; read back, `uses` is "" and `of` is 0.
    case attempt(step: String, attempt: Int, of: Int, uses: String)
    case log(step: String, level: LogNotification.Level, message: String, file: String?, line: Int?)
    case progress(step: String, message: String?, completed: Double?, total: Double?)
    /// In a dry run: the inputs a step is given, every expression resolved (null where an earlier step's output is unknown).
    case inputs(step: String, inputs: JSONValue)
    /// A line of the plugin's stderr while it served this step (masked as a stream by its connection).
    case stderr(step: String, line: String)
    case retrying(step: String, attempt: Int, of: Int, delayMs: Int, error: String)
    case stepFinished(StepFinished)
    case warning(String)
    case runFinished(RunFinished)
    /// A secret value the run resolved, or a plugin asked to mask: for a CI system's own masking
    /// (`::add-mask::`, `buildkite-agent redactor add`), sent before anything it could appear in.
    /// Never printed, logged or stored.
    case mask(String)

    /// Every type written as a line, in the order a run produces them.
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

    /// A step (or instance) that ended: its outcome, what its result depends on, and whether its outputs held a
    /// secret (set by `masked(by:)` when masking changes them).
    public struct StepFinished: Sendable {
        public var outcome: StepOutcome
        public var spec: String?
        public var fingerprint: StepFingerprint?
        public var outputsMasked = false
        public init(outcome: StepOutcome, spec: String? = nil, fingerprint: StepFingerprint? = nil, outputsMasked: Bool = false) {
            self.outcome = outcome; self.spec = spec; self.fingerprint = fingerprint; self.outputsMasked = outputsMasked
        }
    }

    /// The end of a run. `summary` is the whole run (for the reporters and `summary.json`); read back
    /// from a journal it is nil, `summary.json` holding it.
    public struct RunFinished: Sendable {
        public var exitCode: Int
        public var durationMs: Int
        public var summary: RunSummary?
        public init(_ summary: RunSummary) { exitCode = Int(summary.exitCode); durationMs = summary.durationMs; self.summary = summary }
        public init(exitCode: Int, durationMs: Int) { self.exitCode = exitCode; self.durationMs = durationMs }
    }

    /// The event's type as a line has it; nil for the events only reporters see.
    public var type: String? {
        switch self {
        case .runStarted: return "run-started"
        case .stepStarted: return "step-started"
        case .attempt: return "attempt"
        case .log: return "log"
        case .progress: return "progress"
        case .stepFinished: return "step-finished"
        case .runFinished: return "run-finished"
        case .workflowSkipped, .inputs, .stderr, .retrying, .warning, .mask: return nil
        }
    }

    /// The event's own members as a line has them (the one encoder); empty for an event without a type.
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
        case .attempt(let step, let attempt, _, _): return ["step": .string(step), "attempt": .int(attempt)]
        case .log(let step, let level, let message, let file, let line):
            return JSONValue.compactObject(["step": .string(step), "level": .string(level.rawValue), "message": .string(message),
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
        case .runFinished(let f): return ["exitCode": .int(f.exitCode), "durationMs": .int(f.durationMs)]
        case .workflowSkipped, .inputs, .stderr, .retrying, .warning, .mask: return [:]
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
            self = .attempt(step: step, attempt: o["attempt"]?.intValue ?? 0, of: 0, uses: "")
        case "log":
            guard let step = o["step"]?.stringValue else { return nil }
            self = .log(step: step, level: o["level"]?.stringValue.flatMap(LogNotification.Level.init(rawValue:)) ?? .info,
                        message: o["message"]?.stringValue ?? "", file: o["file"]?.stringValue, line: o["line"]?.intValue)
        case "progress":
            guard let step = o["step"]?.stringValue else { return nil }
            self = .progress(step: step, message: o["message"]?.stringValue, completed: o["completed"]?.doubleValue, total: o["total"]?.doubleValue)
        case "step-finished":
            guard let outcome = StepOutcome(json: .object(o)) else { return nil }
            self = .stepFinished(StepFinished(outcome: outcome, spec: o["spec"]?.stringValue, fingerprint: StepFingerprint(json: o["fingerprint"]),
                                              outputsMasked: o["outputsMasked"]?.boolValue ?? false))
        case "run-finished":
            self = .runFinished(RunFinished(exitCode: o["exitCode"]?.intValue ?? 0, durationMs: o["durationMs"]?.intValue ?? 0))
        default:
            return nil
        }
    }

    /// The event with every text in it masked: the one place a run's events are masked (`RunEventStream`
    /// calls it once per event). A `mask` event is the value itself, for a CI system's masking, and
    /// passes as it is; a plugin's stderr line was masked as a stream by its connection (a value split
    /// across two reads is caught only there), so masking it again would change nothing.
    public func masked(by masker: Masker) -> RunEvent {
        if case .stderr = self { return self }
        if case .mask = self { return self }
        let m = masker.snapshot()   // one look at the values for the whole event
        switch self {
        case .runStarted(var r):
            r.id = m.mask(r.id)
            r.workflows = r.workflows.map(m.mask)
            r.vars = r.vars.mapValues(m.mask)
            r.manifestPath = r.manifestPath.map(m.mask)
            r.workspace = r.workspace.map(m.mask)
            r.only = r.only.map(m.mask)
            r.branch = r.branch.map(m.mask)
            r.environment = r.environment.map(m.mask)
            r.event = r.event.map(m.mask)
            r.host = r.host.map(m.mask)
            r.resumedFrom = r.resumedFrom.map(m.mask)
            return .runStarted(r)
        case .workflowSkipped(let n, let r): return .workflowSkipped(name: n, reason: m.mask(r))
        case .stepStarted(let s, let uses): return .stepStarted(step: m.mask(s), uses: m.mask(uses))
        case .attempt(let s, let a, let of, let uses): return .attempt(step: m.mask(s), attempt: a, of: of, uses: m.mask(uses))
        case .log(let s, let level, let message, let file, let line):
            return .log(step: m.mask(s), level: level, message: m.mask(message), file: file.map(m.mask), line: line)
        case .progress(let s, let message, let c, let t): return .progress(step: m.mask(s), message: message.map(m.mask), completed: c, total: t)
        case .inputs(let s, let inputs): return .inputs(step: m.mask(s), inputs: m.mask(inputs))
        case .retrying(let s, let a, let of, let d, let e): return .retrying(step: m.mask(s), attempt: a, of: of, delayMs: d, error: m.mask(e))
        case .stepFinished(var f):
            if let masked = RunEvent.mask(f.outcome, m) {
                // Outputs that held a secret cannot be reused by a resume: the record says so.
                if masked.outputs != f.outcome.outputs { f.outputsMasked = true }
                f.outcome = masked
            }
            return .stepFinished(f)
        case .warning(let w): return .warning(m.mask(w))
        case .runFinished(var f):
            if var s = f.summary {
                // The steps array is copied only if a step changes: a run's outcomes are not held twice.
                for k in s.steps.indices { if let masked = RunEvent.mask(s.steps[k], m) { s.steps[k] = masked } }
                s.skippedWorkflows = s.skippedWorkflows.map { ($0.name, m.mask($0.reason)) }
                f.summary = s
            }
            return .runFinished(f)
        case .stderr, .mask: return self
        }
    }

    /// The outcome masked, or nil when masking changes nothing in it (then the caller keeps the one it
    /// has: a run's outcomes are held until its end, and a masked copy of each would double them).
    private static func mask(_ r: StepOutcome, _ m: Masker.Snapshot) -> StepOutcome? {
        var changed = false
        func keep<T: Equatable>(_ value: inout T, _ masked: T) { if masked != value { value = masked; changed = true } }
        var r = r
        keep(&r.id, m.mask(r.id))
        keep(&r.reason, r.reason.map(m.mask))
        keep(&r.error, r.error.map(m.mask))
        keep(&r.hint, r.hint.map(m.mask))
        keep(&r.hints, r.hints.map(m.mask))
        keep(&r.logTail, r.logTail.map(m.mask))
        keep(&r.attemptLog, r.attemptLog.map { var a = $0; a.error = a.error.map(m.mask); return a })
        keep(&r.summary, r.summary.map(m.mask))
        if !r.outputs.isEmpty { keep(&r.outputs, m.mask(.object(r.outputs)).objectValue ?? [:]) }   // keys too
        keep(&r.stderrTail, r.stderrTail.map(m.mask))
        return changed ? r : nil
    }
}
