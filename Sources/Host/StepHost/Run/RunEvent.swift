import Foundation
import StepMask
import StepProtocol

/// Everything a run reports while it goes; the CLI turns these into lines.
public enum RunEvent: Sendable {
    case runStarted(id: String, workflows: [String], environment: String?, dryRun: Bool)
    /// A workflow whose `on:` did not match; `reason` says which condition failed.
    case workflowSkipped(name: String, reason: String)
    case stepStarted(step: String, uses: String, attempt: Int, of: Int)
    case stepLog(step: String, level: LogNotification.Level, message: String, file: String?, line: Int?)
    case stepProgress(step: String, message: String?, completed: Double?, total: Double?)
    /// In a dry run: the inputs a step is given, every expression resolved (null where an earlier step's output is unknown).
    case stepInputs(step: String, inputs: JSONValue)
    /// A line of the plugin's stderr while it served this step.
    case stepDebug(step: String, line: String)
    case stepRetrying(step: String, attempt: Int, of: Int, delayMs: Int, error: String)
    case stepFinished(StepOutcome)
    case warning(String)
    case runFinished(RunSummary)
    /// A secret value the run resolved, or a plugin asked to mask: for a CI system's own masking
    /// (`::add-mask::`, `buildkite-agent redactor add`), sent before anything it could appear in.
    /// Never printed, logged or stored; `MaskingReporter` passes it on as it is.
    case mask(String)
}

/// Passes every event to each reporter in turn.
public struct ReporterGroup: RunReporter {
    public let reporters: [RunReporter]
    public init(_ reporters: [RunReporter]) { self.reporters = reporters }
    public func report(_ event: RunEvent) { for r in reporters { r.report(event) } }
}

/// Receives run events. The reporters in this library write only to the descriptors or files the
/// executable hands them; the library itself prints nothing.
public protocol RunReporter: Sendable {
    func report(_ event: RunEvent)
}

/// Masks every string of an event before passing it on.
struct MaskingReporter: RunReporter {
    let next: RunReporter
    let masker: Masker

    func report(_ event: RunEvent) {
        let m = masker
        switch event {
        case .stepLog(let s, let level, let message, let file, let line):
            next.report(.stepLog(step: s, level: level, message: m.mask(message), file: file.map(m.mask), line: line))
        case .stepProgress(let s, let message, let c, let t):
            next.report(.stepProgress(step: s, message: message.map(m.mask), completed: c, total: t))
        // A plugin's stderr was masked as a stream by its connection (a value split across two reads is caught
        // only there); masking its lines again would change nothing.
        case .stepDebug: next.report(event)
        case .stepInputs(let s, let inputs): next.report(.stepInputs(step: s, inputs: .string(m.mask(inputs.encoded()))))
        case .stepRetrying(let s, let a, let of, let d, let e): next.report(.stepRetrying(step: s, attempt: a, of: of, delayMs: d, error: m.mask(e)))
        case .stepFinished(let r): next.report(.stepFinished(MaskingReporter.mask(r, m)))
        case .warning(let w): next.report(.warning(m.mask(w)))
        case .runFinished(var s):
            s.steps = s.steps.map { MaskingReporter.mask($0, m) }
            s.skippedWorkflows = s.skippedWorkflows.map { ($0.name, m.mask($0.reason)) }
            next.report(.runFinished(s))
        case .workflowSkipped(let n, let r): next.report(.workflowSkipped(name: n, reason: m.mask(r)))
        default: next.report(event)
        }
    }

    static func mask(_ r: StepOutcome, _ m: Masker) -> StepOutcome {
        var r = r
        r.reason = r.reason.map(m.mask)
        r.error = r.error.map(m.mask)
        r.hint = r.hint.map(m.mask)
        r.hints = r.hints.map(m.mask)
        r.logTail = r.logTail.map(m.mask)
        r.attemptLog = r.attemptLog.map { var a = $0; a.error = a.error.map(m.mask); return a }
        r.summary = r.summary.map(m.mask)
        r.outputs = r.outputs.mapValues(m.mask)
        r.stderrTail = r.stderrTail.map(m.mask)
        return r
    }
}

/// Keeps each step's log and debug lines in the run record, then passes events on.
struct JournalingReporter: RunReporter {
    let record: RunJournalWriter
    let next: RunReporter

    func report(_ event: RunEvent) {
        switch event {
        case .stepLog(let step, let level, let message, let file, let line):
            record.log(step: step, level == .info ? message : "\(level.rawValue): \(message)")
            guard record.streaming else { break }
            record.append(.log(step: step, level: level.rawValue, message: message, file: file, line: line), sync: false)
        case .stepProgress(let step, let message, let completed, let total):
            guard record.streaming else { break }
            record.append(.progress(step: step, message: message, completed: completed, total: total), sync: false)
        case .stepDebug(let step, let line): record.log(step: step, "stderr: \(line)")
        case .stepFinished(let r): record.closeLog(step: r.id)
        default: break
        }
        next.report(event)
    }
}

/// A reporter whose target is set later: plugin processes start (and write
/// stderr) before the run's record exists.
final class ReporterRelay: RunReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var target: RunReporter
    init(_ target: RunReporter) { self.target = target }
    func retarget(_ t: RunReporter) { lock.withLock { target = t } }
    func report(_ event: RunEvent) { lock.withLock { target }.report(event) }
}
