import Foundation
import StepJournal
import StepManifest
import StepProtocol

/// What each event says, as lines without the `[step]` prefix: the one wording the plain,
/// GitHub and Buildkite outputs share.
public enum EventLines {
    /// Splits text into lines at `\n`, `\r\n` and a bare `\r`, so that no line of a plugin's can
    /// hide inside another (GitHub's runner ends a line at a bare `\r`).
    public static func split(_ text: String) -> [String] {
        // The common case, one line: no scalar-by-scalar copy.
        if !text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) { return [text] }
        var out: [String] = []
        var current = ""
        var afterCR = false
        for u in text.unicodeScalars {
            if u == "\n" {
                if !afterCR { out.append(current) }
                current = ""; afterCR = false
            } else if u == "\r" {
                out.append(current); current = ""; afterCR = true
            } else if TerminalText.isControl(u) {
                afterCR = false   // no escape sequence from a plugin or a record reaches the terminal or the CI log
            } else {
                current.unicodeScalars.append(u); afterCR = false
            }
        }
        if !current.isEmpty || out.isEmpty { out.append(current) }
        return out
    }

    static func host(_ text: String) -> [OutputLine] { split(text).map { OutputLine(text: $0, fromPlugin: false) } }
    static func plugin(_ text: String, prefix: String = "") -> [OutputLine] { split(text).map { OutputLine(text: prefix + $0, fromPlugin: true) } }

    /// The step an event belongs to (nil: the run), and its lines; nil when it says nothing at this verbosity.
    public static func lines(_ event: RunEvent, verbose: Bool) -> (step: String?, lines: [OutputLine])? {
        switch event {
        case .runStarted(let r):
            return (nil, host("stephost run \(r.id): \(r.workflows.isEmpty ? "no workflow triggered" : "workflow \(r.workflows.joined(separator: ", "))")"
                              + (r.environment.map { " (environment \($0))" } ?? "") + (r.dryRun ? " [dry run]" : "")))
        case .workflowSkipped(let name, let reason):
            return (nil, host("workflow \(name): skipped (not triggered) — \(reason)"))
        case .stepStarted:
            return nil   // each attempt says it started
        case .attempt(let step, let attempt, let of, let uses):
            return (step, host("started (\(uses))" + (of > 1 ? " attempt \(attempt)/\(of)" : "")))
        case .log(let step, let level, let message, _, _):
            if level == .debug && !verbose { return nil }
            return (step, plugin(message, prefix: level == .info ? "" : "\(level.rawValue): "))
        case .progress(let step, let message, let c, let t):
            guard verbose else { return nil }
            let frac = (c != nil && t != nil) ? " \(Int(c ?? 0))/\(Int(t ?? 0))" : ""
            return (step, [OutputLine(text: "progress\(frac)", fromPlugin: false)] + (message.map { plugin($0, prefix: "  ") } ?? []))
        case .inputs(let step, let inputs):
            return (step, plugin("with \(inputs.stringValue ?? inputs.encoded())"))
        case .stderr(let step, let line):
            return verbose ? (step, plugin(line, prefix: "debug: ")) : nil
        case .retrying(let step, let attempt, let of, let delay, let error):
            return (step, plugin("failed: \(error)") + host("retrying (attempt \(attempt)/\(of)) in \(formatDuration(delay))"))
        case .stepFinished(let f):
            let r = f.outcome
            return (r.id, finished(r))
        case .warning(let w):
            return (nil, host("warning: \(w)"))
        case .runFinished, .mask:
            return nil
        }
    }

    /// The outcome line of a step, then its error, hint and (for a failure) its last stderr lines.
    public static func finished(_ r: StepOutcome, tail: Int = 10) -> [OutputLine] {
        var head = r.statusText
        if r.status != .skipped { head += " in \(formatDuration(r.durationMs))" }
        if r.attempts > 1 { head += " after \(r.attempts) attempts" }
        var out = [OutputLine(text: head, fromPlugin: false)]
        if let sum = r.summary { out += plugin(sum, prefix: "  ") }
        if let e = r.error { out += plugin(e, prefix: "  error: ") }
        for h in r.shownHints { out += plugin(h, prefix: "  hint: ") }
        if r.status == .failure && !r.stderrTail.isEmpty {
            out.append(OutputLine(text: "  last stderr lines:", fromPlugin: false))
            for l in r.stderrTail.suffix(tail) { out += plugin(l, prefix: "    ") }
        }
        return out
    }

    /// The table of steps and the count line that end a run.
    public static func table(_ s: RunSummary) -> [String] {
        guard !s.steps.isEmpty else { return ["", "no steps ran (exit status \(s.exitCode))"] }
        let multi = Set(s.steps.map(\.workflow)).count > 1
        let rows = s.steps.map { r in [(multi ? "\(r.workflow)/" : "") + r.id, r.uses, r.statusText + (r.attempts > 1 ? " (attempt \(r.attempts))" : ""),
                                       r.status == .skipped ? "-" : formatDuration(r.durationMs)] }
        let counts = Dictionary(grouping: s.steps, by: \.statusName).mapValues(\.count)
        let parts = ["success", "would-run", "failure", "cancelled", "skipped"].compactMap { st in
            counts[st].map { "\($0) \(st == "would-run" ? "would run" : st)" }
        }
        return [""] + TextTable.lines(["STEP", "USES", "STATUS", "DURATION"], rows)
            + ["\(parts.joined(separator: ", ")) in \(formatDuration(s.durationMs)); exit status \(s.exitCode)"]
    }
}

public func formatDuration(_ ms: Int) -> String {
    if ms < 1000 { return "\(ms)ms" }
    if ms < 60_000 { return String(format: "%.1fs", Double(ms) / 1000) }
    return "\(ms / 60_000)m\((ms % 60_000) / 1000)s"
}
