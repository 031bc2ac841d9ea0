import Foundation
import StepProtocol

/// GitHub Actions' workflow commands, escaped as the runner requires.
public enum WorkflowCommands {
    /// A command's data: `%`, `\r`, `\n` escaped.
    public static func data(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    /// A property value: as data, and `:` and `,` too.
    static func property(_ s: String) -> String {
        data(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }

    /// `::level title=…,file=…,line=…::message`.
    static func annotation(_ a: Annotation) -> String {
        var props: [String] = []
        if let t = a.title { props.append("title=\(property(t))") }
        if let f = a.file { props.append("file=\(property(f))") }
        if let l = a.line { props.append("line=\(l)") }
        return "::\(a.level)\(props.isEmpty ? "" : " " + props.joined(separator: ","))::\(data(a.message))"
    }

    /// A fresh token for `::stop-commands::`, unguessable by a plugin.
    public static func token() -> String {
        (0..<4).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max)) }.joined()
    }
}

/// A message for the CI system's annotations: a failed step, or a plugin's `log` of level error, warning or notice.
struct Annotation {
    var level: String
    var title: String?
    var message: String
    var file: String?
    var line: Int?
    var step: String

    /// A log notification's `file` as an annotation wants it: relative to the workspace; nil outside it.
    static func relativeFile(_ file: String?, workspace: String) -> String? {
        guard let file, !file.isEmpty else { return nil }
        guard file.hasPrefix("/") else { return file }
        let base = workspace.hasSuffix("/") ? workspace : workspace + "/"
        return file.hasPrefix(base) ? String(file.dropFirst(base.count)) : nil
    }

    /// The order the runner's limits favour: step failures, then errors, warnings, notices;
    /// at most `perLevel` of each level. Returns what is shown and what is left out.
    static func select(failures: [Annotation], logs: [Annotation], perLevel: Int = 10) -> (shown: [Annotation], left: [Annotation]) {
        var shown: [Annotation] = [], left: [Annotation] = []
        for level in ["error", "warning", "notice"] {
            let all = (level == "error" ? failures : []) + logs.filter { $0.level == level }
            shown += all.prefix(perLevel)
            left += all.dropFirst(perLevel)
        }
        return (shown, left)
    }
}

/// The Markdown summary of a run, for GitHub's step summary and Buildkite's annotation:
/// the table of steps whole, then each failed step's error, hint and last lines, then the
/// annotations left out; at most `limit` bytes, details cut with a line saying so.
enum MarkdownSummary {
    static func icon(_ r: StepRecord) -> String {
        switch r.statusName {
        case "success": return r.reason?.hasPrefix("reused") == true ? "♻️" : "✅"
        case "would-run": return "💭"
        case "failure": return r.continuedOnError ? "⚠️" : "❌"
        case "cancelled": return "⛔"
        default: return "⏭️"
        }
    }

    static func render(_ s: RunSummary, transcripts: StepTranscripts, leftOut: [Annotation], limit: Int = 1 << 20) -> String {
        var head = "### stephost run `\(s.id)`: \(s.workflows.isEmpty ? "no workflow triggered" : s.workflows.joined(separator: ", "))"
            + (s.environment.map { " (\($0))" } ?? "") + (s.dryRun ? " — dry run" : "") + "\n\n"
        for w in s.skippedWorkflows { head += "- `\(cell(w.name))`: not triggered (\(cell(w.reason)))\n" }
        if !s.skippedWorkflows.isEmpty { head += "\n" }
        guard !s.steps.isEmpty else { return head + "No step ran; exit status \(s.exitCode).\n" }
        head += "| | Step | Uses | Status | Duration | Attempts | Reused |\n| --- | --- | --- | --- | --- | --- | --- |\n"
        for r in s.steps {
            let reused = r.reason?.hasPrefix("reused from run") == true
            head += "| \(icon(r)) | `\(cell(r.id))` | \(cell(r.uses)) | \(cell(r.statusText)) | \(r.status == .skipped ? "-" : formatDuration(r.durationMs)) | \(r.attempts) | \(reused ? "yes" : "") |\n"
        }
        head += "\nExit status \(s.exitCode) after \(formatDuration(s.durationMs)).\n"
        var details: [String] = []
        for r in s.steps where r.status == .failure || r.status == .cancelled {
            var d = "\n#### \(icon(r)) `\(cell(r.id))`\n\n"
            if let e = r.error { d += "**Error:** \(e)\n\n" }
            if let h = r.hint { d += "**Hint:** \(h)\n\n" }
            let last = transcripts.lastLines(r.id, 20)
            let lines = last.isEmpty ? r.stderrTail.suffix(20).map { $0 } : last
            if !lines.isEmpty {
                let fence = lines.contains { $0.contains("```") } ? "~~~~" : "```"
                d += "\(fence)\n\(lines.joined(separator: "\n"))\n\(fence)\n"
            }
            details.append(d)
        }
        if !leftOut.isEmpty {
            details.append("\n#### Annotations left out (\(leftOut.count))\n\n" + leftOut.map {
                "- **\($0.level)** `\(cell($0.step))`\($0.file.map { " \($0)\($0.isEmpty ? "" : "")" } ?? ""): \($0.message.replacingOccurrences(of: "\n", with: " "))"
            }.joined(separator: "\n") + "\n")
        }
        var out = head
        let cut = "\n_… the rest is cut: the summary is limited to \(limit >> 20) MiB; see the run's logs._\n"
        for d in details {
            if out.utf8.count + d.utf8.count + cut.utf8.count > limit { out += cut; break }
            out += d
        }
        return out
    }

    /// A table cell: pipes and line breaks escaped.
    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }
}
