import Foundation
import StepJournal
import StepProtocol

/// Durations over time: per step and per kind, over the recorded runs of a
/// workspace (`stephost stats`). An execution is a step or for-each instance
/// that ran in a run and succeeded or failed; skipped, cancelled and reused
/// (`--resume`) steps are not executions, and dry runs are left out.
public struct RunStats: Sendable {
    /// One execution of a step.
    public struct Execution: Sendable {
        public var run: Int
        public var instance: String
        public var durationMs: Int
        public var succeeded: Bool
    }

    /// A step of a workflow over the runs, instances of a for-each step counted one by one.
    public struct Step: Sendable {
        public var workflow: String
        public var step: String
        public var kind: String
        public var executions: [Execution]
        public var figures: Figures { Figures(executions) }
    }

    /// What `stats` prints for a step or a kind.
    public struct Figures: Sendable {
        /// Executions: each instance of a for-each step counts.
        public var count: Int
        /// Runs it ran in (a for-each step's instances in one run are one).
        public var runs: Int
        public var successRate: Double
        public var medianMs: Int
        public var p95Ms: Int
        public var lastMs: Int
        /// The last duration against the median, in percent; nil when the median is 0, or when every execution
        /// is of one run (instances of one run are not a change over time).
        public var changePct: Double?

        public init(_ e: [Execution]) {
            count = e.count
            runs = Set(e.map(\.run)).count
            successRate = e.isEmpty ? 0 : Double(e.filter(\.succeeded).count) / Double(e.count)
            let sorted = e.map(\.durationMs).sorted()
            medianMs = RunStats.percentile(sorted, 50)
            p95Ms = RunStats.percentile(sorted, 95)
            lastMs = e.last?.durationMs ?? 0
            changePct = medianMs > 0 && runs > 1 ? ((Double(lastMs - medianMs) / Double(medianMs)) * 1000).rounded() / 10 : nil
        }
    }

    /// A run the figures are drawn from, oldest first.
    public struct Run: Sendable {
        public var id: String
        public var startedAt: Date?
        public var workflows: [String]
        public var succeeded: Bool
        public var durationMs: Int
    }

    public var runs: [Run]
    public var steps: [Step]

    /// Kinds in the order their steps first appear.
    public var kinds: [String] {
        var seen = Set<String>()
        return steps.map(\.kind).filter { seen.insert($0).inserted }
    }

    public func executions(ofKind kind: String) -> [Execution] {
        steps.filter { $0.kind == kind }.flatMap(\.executions).sorted { $0.run < $1.run }
    }

    /// The newest `last` runs (not dry runs) of `recorded` (newest first, as `RunHistory.all` gives them),
    /// of `workflow` when one is given.
    public init(recorded: [RunJournal], workflow: String?, last: Int) {
        let chosen = recorded.filter { !$0.dryRun && (workflow.map($0.workflows.contains) ?? true) }.prefix(last)
        self.init(runs: Array(chosen.reversed()), workflow: workflow)
    }

    /// `recorded` oldest first.
    public init(runs recorded: [RunJournal], workflow: String?) {
        runs = []
        steps = []
        var index: [String: Int] = [:]
        for (n, r) in recorded.enumerated() {
            runs.append(Run(id: r.id, startedAt: r.startedAt, workflows: r.workflows, succeeded: r.exitCode == 0, durationMs: r.durationMs ?? 0))
            // In the order they started (a run's journal has them as they finished; instances run at once):
            // a step's `last` is the instance that started last in the newest run.
            let ordered = r.steps.sorted { ($0.outcome.startedAt ?? .distantPast, $0.outcome.id) < ($1.outcome.startedAt ?? .distantPast, $1.outcome.id) }
            for s in ordered {
                let outcome = s.outcome
                guard outcome.status == .success || outcome.status == .failure, outcome.attempts > 0,
                      !(outcome.reason ?? "").hasPrefix("reused from run") else { continue }
                let wf = outcome.workflow.isEmpty ? r.workflows.first ?? "" : outcome.workflow
                if let workflow, wf != workflow { continue }
                let base = RunStats.baseID(outcome.id)
                let key = "\(wf)/\(base)"
                if index[key] == nil { index[key] = steps.count; steps.append(Step(workflow: wf, step: base, kind: outcome.kind, executions: [])) }
                steps[index[key]!].kind = outcome.kind
                steps[index[key]!].executions.append(Execution(run: n, instance: outcome.id, durationMs: outcome.durationMs,
                                                               succeeded: outcome.status == .success))
            }
        }
    }

    /// `build` for `build[api]`, and for `main/build[api]` as a multi-workflow run shows it.
    static func baseID(_ id: String) -> String {
        var s = Substring(id)
        if let slash = s.lastIndex(of: "/"), !s[..<slash].contains("[") { s = s[s.index(after: slash)...] }
        if let open = s.firstIndex(of: "[") { s = s[..<open] }
        return String(s)
    }

    /// Nearest-rank percentile of sorted values (0 for none).
    static func percentile(_ sorted: [Int], _ p: Int) -> Int {
        guard !sorted.isEmpty else { return 0 }
        if p == 50 && sorted.count % 2 == 0 { return (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2 }
        let rank = Int((Double(p) / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// `stats --json`.
    public var json: JSONValue {
        func num(_ d: Double) -> JSONValue { .number((d * 1000).rounded() / 1000) }
        return [
            "runs": .int(runs.count),
            "steps": .array(steps.map { s in
                let f = s.figures
                return ["workflow": .string(s.workflow), "step": .string(s.step), "kind": .string(s.kind), "count": .int(f.count), "runs": .int(f.runs),
                        "successRate": num(f.successRate), "medianMs": .int(f.medianMs), "p95Ms": .int(f.p95Ms), "lastMs": .int(f.lastMs),
                        "changePct": f.changePct.map(JSONValue.number) ?? .null]
            }),
            "kinds": .array(kinds.map { k in
                let f = Figures(executions(ofKind: k))
                return ["kind": .string(k), "count": .int(f.count), "successRate": num(f.successRate),
                        "medianMs": .int(f.medianMs), "p95Ms": .int(f.p95Ms)]
            }),
        ]
    }
}
