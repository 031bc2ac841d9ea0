import Foundation
import StepManifest
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

/// A run as its journal tells it: read back for `--resume` and `stephost runs`.
///
/// The journal may end in a torn line (the host was killed mid-write); that
/// line is ignored. Every earlier line was written whole.
public struct RunJournal: Sendable {
    /// One finished step as the journal has it.
    public struct Step: Sendable {
        public var outcome: StepOutcome
        /// "workflow/step id" of the step definition it ran from.
        public var spec: String?
        public var fingerprint: StepFingerprint?
        /// Masking changed its outputs (they held a secret), so they cannot be reused.
        public var outputsMasked: Bool
    }

    public enum State: Sendable, Equatable {
        case finished(exitCode: Int32)
        /// The host that writes it is still alive.
        case running
        /// The journal stops without an end: the host was killed or crashed.
        case ended
    }

    public var id: String
    public var directory: String
    public var startedAt: Date?
    public var lastEventAt: Date?
    public var workflows: [String] = []
    public var environment: String?
    /// The commit the run was made at (`run.sha`); empty outside git.
    public var sha: String?
    /// The manifest the run read, relative to the workspace when it lies inside it.
    public var manifestPath: String?
    public var vars: [String: String] = [:]
    public var dryRun = false
    public var hostPID: Int32?
    /// The machine that wrote it (a pid means nothing on another).
    public var host: String?
    public var resumedFrom: String?
    /// A merged record's sources (`stephost runs merge`), whose `resumedFrom` is a list.
    public var mergedFrom: [String] = []
    /// Latest record per step, in the order the steps first finished.
    public var steps: [Step] = []
    /// Steps that started and have no end in the journal.
    public var unfinished: [String] = []
    public var exitCode: Int32?
    public var durationMs: Int?

    public var state: State {
        if let exitCode { return .finished(exitCode: exitCode) }
        if let pid = hostPID, pid > 0, host == nil || host == RunJournal.hostName, kill(pid, 0) == 0 || errno == EPERM, RunJournal.isStephost(pid) { return .running }
        return .ended
    }

    /// This machine's name, as `run-started` records it.
    public static let hostName: String = {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count) == 0 else { return "" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    static func isStephost(_ pid: Int32) -> Bool {
        guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return false }
        return comm.hasPrefix("stephost")
    }

    public var stateText: String {
        switch state {
        case .finished(let c): return c == 0 ? "success" : c == 130 || c == 143 ? "interrupted" : "failure"
        case .running: return "running"
        case .ended: return "killed (no end in its journal)"
        }
    }

    /// A run killed soon after it resumed another may not have recorded the steps it reused yet. Following
    /// `resumedFrom`, the successes of the runs it resumed count as its own for the steps it has no record of.
    public mutating func inheritSuccesses(from history: RunHistory) {
        guard mergedFrom.isEmpty else { return }   // a merged record holds its sources' steps already
        var seen: Set<String> = [id]
        var next = resumedFrom
        let beside = (directory as NSString).deletingLastPathComponent
        while let ref = next, seen.insert(ref).inserted,
              let earlier = (try? RunJournal.read(directory: "\(beside)/\(ref)")) ?? (try? RunJournal.read(directory: "\(history.directory)/\(ref)")) {
            let known = Set(steps.map(\.outcome.id))
            steps += earlier.steps.filter { $0.outcome.status == .success && !known.contains($0.outcome.id) }
            next = earlier.resumedFrom
        }
    }

    /// Reads `<directory>/journal.jsonl`.
    public static func read(directory: String) throws(JournalError) -> RunJournal {
        let path = "\(directory)/journal.jsonl"
        guard let data = FileManager.default.contents(atPath: path) else { throw .io(path: path, reason: "cannot be read") }
        var run = RunJournal(id: (directory as NSString).lastPathComponent, directory: directory)
        var index: [String: Int] = [:]
        var started: [String] = []
        var lastTime: String?
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: true)
        for (n, line) in lines.enumerated() {
            guard let v = try? JSONParser.parse(String(decoding: line, as: UTF8.self)), let o = v.objectValue else {
                if n == lines.count - 1 { break } // torn by a kill mid-write
                throw .io(path: "\(path):\(n + 1)", reason: "not a journal line")
            }
            // Times are parsed once, for the first and the last event, not for every line.
            if let t = o["time"]?.stringValue { lastTime = t }
            // `type` (and `v`, `seq`) since the journal and --events share one vocabulary; `event` before.
            let type = (o["type"] ?? o["event"])?.stringValue ?? ""
            guard RunEvent.types.contains(type) else { continue }   // a newer writer's event: left alone
            guard let event = RunEvent(type: type, fields: o) else {
                throw .io(path: "\(path):\(n + 1)", reason: "a \(type) line without what it needs (a step)")
            }
            switch event {
            case .runStarted(let r):
                run.startedAt = lastTime.flatMap(Timestamp.parse)
                run.workflows = r.workflows
                run.environment = r.environment
                run.sha = r.sha
                run.manifestPath = r.manifestPath
                run.dryRun = r.dryRun
                run.hostPID = r.pid.map(Int32.init)
                run.host = r.host
                run.vars = r.vars
                if r.merged { run.mergedFrom = r.resumedFrom }
                run.resumedFrom = r.resumedFrom.isEmpty ? nil : r.resumedFrom.joined(separator: ", ")
            case .stepStarted(let step, _):
                started.append(step)
            case .stepFinished(let f):
                let step = Step(outcome: f.outcome, spec: f.spec, fingerprint: f.fingerprint, outputsMasked: f.outputsMasked)
                if let k = index[f.outcome.id] { run.steps[k] = step } else { index[f.outcome.id] = run.steps.count; run.steps.append(step) }
            case .runFinished(let f):
                run.exitCode = Int32(f.exitCode)
                run.durationMs = f.durationMs
            case .attempt, .log, .progress, .workflowSkipped, .inputs, .stderr, .retrying, .warning, .mask: break
            }
        }
        run.lastEventAt = lastTime.flatMap(Timestamp.parse)
        run.unfinished = Array(NSOrderedSet(array: started.filter { index[$0] == nil })) as? [String] ?? []
        if run.durationMs == nil, let a = run.startedAt, let b = run.lastEventAt { run.durationMs = Int((b.timeIntervalSince(a) * 1000).rounded()) }
        return run
    }
}
