import Foundation
import StepManifest
import StepProtocol

/// The Markdown summary of a run, for GitHub's step summary and Buildkite's annotation:
/// the table of steps whole, then each failed step's error, hint and last lines, then the
/// annotations left out; at most `limit` bytes, details cut with a line saying so.
enum MarkdownSummary {
    static func icon(_ r: StepOutcome) -> String {
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
        head += "| | Step | Uses | Status | Duration | Attempts | Reused | Ran in |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n"
        for r in s.steps {
            let reused = r.reason?.hasPrefix("reused from run") == true
            let ranIn = r.ranIn.map { $0 == s.id ? "this run" : "`\(cell($0))`" } ?? ""
            head += "| \(icon(r)) | `\(cell(r.id))` | \(cell(r.uses)) | \(cell(r.statusText)) | \(r.status == .skipped ? "-" : formatDuration(r.durationMs)) | \(r.attempts) | \(reused ? "yes" : "") | \(ranIn) |\n"
        }
        head += "\nExit status \(s.exitCode) after \(formatDuration(s.durationMs)).\n"
        var details: [String] = []
        for r in s.steps where r.status == .failure || r.status == .cancelled {
            var d = "\n#### \(icon(r)) `\(cell(r.id))`\n\n"
            if let e = r.error { d += "**Error:** \(e)\n\n" }
            for h in r.shownHints { d += "**Hint:** \(h)\n\n" }
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
