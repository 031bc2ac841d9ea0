import Foundation
import StepProtocol

/// How a step ended.
public enum StepStatus: String, Sendable, Hashable {
    case success, failure, cancelled, skipped
}

/// What happened to one step instance; the run record and the summary hold one per step.
public struct StepOutcome: Sendable, Hashable {
    public var id: String
    public var workflow: String
    public var uses: String
    public var status: StepStatus
    /// Why it was skipped, or how it failed (`timed out`, `needs failed`, ...).
    public var reason: String?
    public var attempts: Int
    public var startedAt: Date?
    public var durationMs: Int
    public var outputs: [String: JSONValue]
    public var summary: String?
    public var error: String?
    public var hint: String?
    public var changed: Bool?
    /// A failure under continue-on-error: counts as succeeded for what needs it.
    public var continuedOnError: Bool
    public var stderrTail: [String]
    /// A dry run's success: the step would run. Expressions of later steps see `success`;
    /// reports and `summary.json` say `would-run`.
    public var wouldRun = false
    /// For metrics: `build`, `publish`, `deploy`, `test`, `check`, any word, or `none`.
    public var kind = StepKind.none
    /// With a failure: the plugin's hint first (when it gave one), then every matching row of the manifest's `hints:`.
    public var hints: [String] = []
    /// The last log lines of the step (its log notifications), for matching `hints:`; not stored.
    public var logTail: [String] = []
    /// The run that ran it: this run, or for a step reused from a record, the run that record says ran it.
    public var ranIn: String?
    /// Each attempt's start, length and end, for traces; not stored.
    public var attemptLog: [AttemptTiming] = []

    public init(id: String, workflow: String, uses: String, status: StepStatus, reason: String? = nil, attempts: Int = 0,
                startedAt: Date? = nil, durationMs: Int = 0, outputs: [String: JSONValue] = [:], summary: String? = nil,
                error: String? = nil, hint: String? = nil, changed: Bool? = nil, continuedOnError: Bool = false, stderrTail: [String] = []) {
        self.id = id; self.workflow = workflow; self.uses = uses; self.status = status; self.reason = reason
        self.attempts = attempts; self.startedAt = startedAt; self.durationMs = durationMs; self.outputs = outputs
        self.summary = summary; self.error = error; self.hint = hint; self.changed = changed
        self.continuedOnError = continuedOnError; self.stderrTail = stderrTail
    }

    /// The hints to show under a failure: `hints`, or the plugin's hint alone in a record from before hints were matched.
    public var shownHints: [String] { hints.isEmpty ? hint.map { [$0] } ?? [] : hints }

    /// The id without the `workflow/` a multi-workflow run shows in front of it (`deploy/build[api]` → `build[api]`).
    public var localID: String { id.hasPrefix("\(workflow)/") ? String(id.dropFirst(workflow.count + 1)) : id }

    /// Makes the run fail (exit status 1): a failure not under continue-on-error, or a cancellation.
    /// The one rule for a run's exit status, whoever writes it (a run, `runs merge`, a report).
    public var failsTheRun: Bool { (status == .failure && !continuedOnError) || status == .cancelled }

    /// Succeeded for what needs it: success, a failure under continue-on-error, or nothing to do.
    public var countsAsSuccess: Bool { status == .success || continuedOnError || reason == "nothing to do" }

    /// The status as reports and `summary.json` write it: `would-run` for a dry run's success.
    public var statusName: String { wouldRun && status == .success ? "would-run" : status.rawValue }

    /// `success`, `would run`, or `skipped (needs failed)` and the like.
    public var statusText: String {
        let base = continuedOnError ? "failure (continue-on-error)" : wouldRun && status == .success ? "would run" : status.rawValue
        return reason.map { "\(base) (\($0))" } ?? base
    }

    public var json: JSONValue {
        .compactObject([
            "id": .string(id), "workflow": .string(workflow), "uses": .string(uses), "status": .string(statusName),
            "reason": reason.map(JSONValue.string), "attempts": .int(attempts),
            "startedAt": startedAt.map { .string(Timestamp.rfc3339($0)) }, "durationMs": .int(durationMs),
            "outputs": .object(outputs), "summary": summary.map(JSONValue.string), "error": error.map(JSONValue.string),
            "hint": hint.map(JSONValue.string), "hints": hints.isEmpty ? nil : .array(hints.map(JSONValue.string)),
            "kind": .string(kind), "changed": changed.map(JSONValue.bool),
            "continueOnError": continuedOnError ? .bool(true) : nil, "ranIn": ranIn.map(JSONValue.string),
        ])
    }
}

/// One attempt of a step, as a trace shows it.
public struct AttemptTiming: Sendable, Hashable {
    public var number: Int
    public var startedAt: Date
    public var durationMs: Int
    public var status: StepStatus
    public var error: String?

    public init(number: Int, startedAt: Date, durationMs: Int, status: StepStatus, error: String?) {
        self.number = number; self.startedAt = startedAt; self.durationMs = durationMs; self.status = status; self.error = error
    }
}

/// The outcome of a whole run.
public struct RunSummary: Sendable {
    public var id: String
    public var workflows: [String]
    public var skippedWorkflows: [(name: String, reason: String)]
    public var environment: String?
    public var exitCode: Int32
    public var steps: [StepOutcome]
    public var startedAt: Date
    public var durationMs: Int
    public var dryRun: Bool
    public var resumedFrom: String? = nil
    /// A merged record's sources (`stephost runs merge`); `resumedFrom` in its JSON.
    public var mergedFrom: [String] = []
    /// False for an untrusted run (a fork's pull request): its steps had no secret.
    public var trusted = true

    public init(id: String, workflows: [String], skippedWorkflows: [(name: String, reason: String)], environment: String?, exitCode: Int32,
                steps: [StepOutcome], startedAt: Date, durationMs: Int, dryRun: Bool, resumedFrom: String? = nil) {
        self.id = id; self.workflows = workflows; self.skippedWorkflows = skippedWorkflows; self.environment = environment
        self.exitCode = exitCode; self.steps = steps; self.startedAt = startedAt; self.durationMs = durationMs; self.dryRun = dryRun
        self.resumedFrom = resumedFrom
    }

    /// 1 when a step fails the run (`StepOutcome.failsTheRun`), else 0; an interrupted run has its own.
    public static func exitCode(of steps: [StepOutcome]) -> Int32 { steps.contains(where: \.failsTheRun) ? 1 : 0 }

    public var json: JSONValue {
        var o = head
        o["steps"] = .array(steps.map(\.json))
        return .object(o)
    }

    /// `json` pretty-printed (`summary.json`), each step encoded only as it is written and handed to
    /// `write` in pieces of about 64 KiB, so the text of a large run is never held whole.
    public func writePrettyJSON(_ write: ([UInt8]) -> Void) {
        var out: [UInt8] = []
        JSONValue.writePretty(object: head, array: "steps", count: steps.count, element: { steps[$0].json }, to: &out,
                              drain: { if $0.count >= 64 << 10 { write($0); $0.removeAll(keepingCapacity: true) } })
        out.append(0x0A)
        write(out)
    }

    /// Every member but `steps`.
    private var head: [String: JSONValue] {
        JSONValue.compactObject([
            "id": .string(id), "workflows": .array(workflows.map(JSONValue.string)),
            "workflow": workflows.count == 1 ? .string(workflows[0]) : nil,
            "skippedWorkflows": .array(skippedWorkflows.map {
                ["name": .string($0.name), "status": "skipped", "reason": "not triggered", "detail": .string($0.reason)]
            }),
            "environment": environment.map(JSONValue.string), "exitCode": .int(Int(exitCode)),
            "startedAt": .string(Timestamp.rfc3339(startedAt)), "durationMs": .int(durationMs), "dryRun": .bool(dryRun), "trusted": .bool(trusted),
            "resumedFrom": mergedFrom.isEmpty ? resumedFrom.map(JSONValue.string) : .array(mergedFrom.map(JSONValue.string)),
        ]).objectValue ?? [:]
    }
}
