import Foundation
import StepHost
import StepProtocol

/// Prints run events as lines prefixed with the step id, then a table of steps.
final class ConsoleReporter: RunReporter, @unchecked Sendable {
    private let lock = NSLock()
    private let fd: Int32
    private let verbose: Bool
    private let annotations: Bool

    init(toStderr: Bool, verbose: Bool, environment: [String: String]) {
        fd = toStderr ? 2 : 1
        self.verbose = verbose
        annotations = environment["GITHUB_ACTIONS"] == "true"
    }

    func line(_ s: String) {
        lock.lock()
        Console.write(s + "\n", fd: fd)
        lock.unlock()
    }

    func report(_ event: RunEvent) {
        switch event {
        case .runStarted(let id, let workflows, let env, let dry):
            line("stephost run \(id): \(workflows.isEmpty ? "no workflow triggered" : "workflow \(workflows.joined(separator: ", "))")"
                 + (env.map { " (environment \($0))" } ?? "") + (dry ? " [dry run]" : ""))
        case .workflowSkipped(let name, let reason):
            line("workflow \(name): skipped (not triggered) — \(reason)")
        case .stepStarted(let step, let uses, let attempt, let of):
            line("[\(step)] started (\(uses))" + (of > 1 ? " attempt \(attempt)/\(of)" : ""))
        case .stepLog(let step, let level, let message, let file, let lineNo):
            for l in message.split(separator: "\n", omittingEmptySubsequences: false) {
                line("[\(step)] " + (level == .info ? "" : "\(level.rawValue): ") + l)
            }
            if annotations && (level == .warning || level == .error), let file {
                line("::\(level.rawValue) file=\(file)\(lineNo.map { ",line=\($0)" } ?? "")::\(message.replacingOccurrences(of: "\n", with: "%0A"))")
            }
        case .stepProgress(let step, let message, let c, let t):
            guard verbose else { return }
            let frac = (c != nil && t != nil) ? " \(Int(c!))/\(Int(t!))" : ""
            line("[\(step)] progress\(frac)\(message.map { " \($0)" } ?? "")")
        case .stepInputs(let step, let inputs):
            line("[\(step)] with \(inputs.stringValue ?? inputs.encoded())")
        case .stepDebug(let step, let l):
            if verbose { line("[\(step)] debug: \(l)") }
        case .stepRetrying(let step, let attempt, let of, let delay, let error):
            line("[\(step)] failed: \(error); retrying (attempt \(attempt)/\(of)) in \(formatDuration(delay))")
        case .stepFinished(let r):
            var s = "[\(r.id)] \(r.statusText)"
            if r.status != .skipped { s += " in \(formatDuration(r.durationMs))" }
            if r.attempts > 1 { s += " after \(r.attempts) attempts" }
            if let sum = r.summary { s += ": \(sum)" }
            line(s)
            if let e = r.error { line("[\(r.id)]   error: \(e)") }
            if let h = r.hint { line("[\(r.id)]   hint: \(h)") }
            if r.status == .failure && !r.stderrTail.isEmpty {
                line("[\(r.id)]   last stderr lines:")
                for l in r.stderrTail.suffix(10) { line("[\(r.id)]     \(l)") }
            }
        case .warning(let w):
            line("warning: \(w)")
        case .runFinished(let summary):
            printTable(summary)
        }
    }

    private func printTable(_ s: RunSummary) {
        guard !s.steps.isEmpty else {
            line("\nno steps ran (exit status \(s.exitCode))")
            return
        }
        let multi = Set(s.steps.map(\.workflow)).count > 1
        let rows = s.steps.map { r in [(multi ? "\(r.workflow)/" : "") + r.id, r.uses, r.statusText + (r.attempts > 1 ? " (attempt \(r.attempts))" : ""),
                                       r.status == .skipped ? "-" : formatDuration(r.durationMs)] }
        line("")
        for l in TextTable.lines(["STEP", "USES", "STATUS", "DURATION"], rows) { line(l) }
        let counts = Dictionary(grouping: s.steps, by: \.statusName).mapValues(\.count)
        let parts = ["success", "would-run", "failure", "cancelled", "skipped"].compactMap { st in
            counts[st].map { "\($0) \(st == "would-run" ? "would run" : st)" }
        }
        line("\(parts.joined(separator: ", ")) in \(formatDuration(s.durationMs)); exit status \(s.exitCode)")
    }
}

func formatDuration(_ ms: Int) -> String {
    if ms < 1000 { return "\(ms)ms" }
    if ms < 60_000 { return String(format: "%.1fs", Double(ms) / 1000) }
    return "\(ms / 60_000)m\((ms % 60_000) / 1000)s"
}
