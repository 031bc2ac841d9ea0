import Foundation
import StepJournal
import StepManifest
import StepProtocol

/// `--junit FILE`: the run as JUnit XML, as GitLab, Jenkins and the GitHub test-report
/// actions read it. A `<testsuite>` per workflow, a `<testcase>` per step or instance whose
/// `file` and `line` point at the step in the manifest. Written atomically at the end of the
/// run, also when it failed or was interrupted. Everything in it has been masked.
public final class JUnitReporter: RunReporter, @unchecked Sendable {
    private let path: String
    private let manifestFile: String
    /// `workflow/step id` → the line of the step's first key.
    private let lines: [String: Int]
    private let transcripts: StepTranscripts
    private let onError: @Sendable (String) -> Void

    public init(path: String, manifestFile: String, stepLines: [String: Int], transcripts: StepTranscripts,
         onError: @escaping @Sendable (String) -> Void) {
        self.path = path
        self.manifestFile = manifestFile
        self.lines = stepLines
        self.transcripts = transcripts
        self.onError = onError
    }

    public func report(_ event: RunEvent) {
        guard case .runFinished(let f) = event, let summary = f.summary else { return }
        let xml = JUnitReporter.render(summary, manifestFile: manifestFile, stepLines: lines, transcripts: transcripts)
        let tmp = "\(path).tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(xml.utf8)), rename(tmp, path) == 0 else {
            try? FileManager.default.removeItem(atPath: tmp)
            onError("--junit: cannot write \(path)")
            return
        }
    }

    /// How a step that did not succeed failed, as JUnit's `type`.
    static func failureType(_ r: StepOutcome) -> String {
        if r.status == .cancelled { return "cancelled" }
        if r.reason == "timed out" { return "timeout" }
        if let e = r.error, e.hasPrefix("plugin '") && (e.contains("exited") || e.contains("could not start") || e.contains("malformed")) {
            return "plugin-error"
        }
        return "failure"
    }

    static func render(_ s: RunSummary, manifestFile: String, stepLines: [String: Int], transcripts: StepTranscripts) -> String {
        var suites: [String] = []
        var total = (tests: 0, failures: 0, errors: 0, skipped: 0)
        let workflows = s.workflows + Array(Set(s.steps.map(\.workflow)).subtracting(s.workflows)).sorted()
        for wf in workflows {
            let steps = s.steps.filter { $0.workflow == wf }
            var cases: [String] = []
            var n = (failures: 0, errors: 0, skipped: 0)
            var seconds = 0.0
            for r in steps {
                let time = Double(r.durationMs) / 1000
                seconds += time
                let base = r.id.split(separator: "[", maxSplits: 1).first.map(String.init) ?? r.id
                var attrs = "classname=\"\(attr(wf))\" name=\"\(attr(r.id))\" time=\"\(String(format: "%.3f", time))\" file=\"\(attr(manifestFile))\""
                if let line = stepLines["\(wf)/\(base)"] { attrs += " line=\"\(line)\"" }
                // The run that ran it (a merged or resumed record's step ran elsewhere).
                var body = r.ranIn.map { "<properties><property name=\"ranIn\" value=\"\(attr($0))\"/></properties>" } ?? ""
                if r.status == .skipped {
                    n.skipped += 1
                    body += "<skipped message=\"\(attr(r.reason ?? "skipped"))\"/>"
                } else if r.failsTheRun {
                    let type = failureType(r)
                    if type == "plugin-error" { n.errors += 1 } else { n.failures += 1 }
                    let log = transcripts.lastLines(r.id, 100)
                    let detail = (r.shownHints.map { "hint: \($0)" } + (log.isEmpty ? r.stderrTail : log)).joined(separator: "\n")
                    body += "<failure message=\"\(attr(r.error ?? r.statusText))\" type=\"\(type)\">\(text(detail))</failure>"
                }
                let out = transcripts.text(r.id)
                if !out.isEmpty { body += "<system-out>\(text(out))</system-out>" }
                cases.append(body.isEmpty ? "    <testcase \(attrs)/>" : "    <testcase \(attrs)>\(body)</testcase>")
            }
            total.tests += steps.count; total.failures += n.failures; total.errors += n.errors; total.skipped += n.skipped
            suites.append("  <testsuite name=\"\(attr(wf))\" tests=\"\(steps.count)\" failures=\"\(n.failures)\" errors=\"\(n.errors)\" "
                          + "skipped=\"\(n.skipped)\" time=\"\(String(format: "%.3f", seconds))\" timestamp=\"\(Timestamp.rfc3339(s.startedAt))\">\n"
                          + cases.joined(separator: "\n") + (cases.isEmpty ? "" : "\n") + "  </testsuite>")
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<testsuites name=\"stephost run \(attr(s.id))\" tests=\"\(total.tests)\" failures=\"\(total.failures)\" errors=\"\(total.errors)\" "
            + "skipped=\"\(total.skipped)\" time=\"\(String(format: "%.3f", Double(s.durationMs) / 1000))\">\n"
            + suites.joined(separator: "\n") + (suites.isEmpty ? "" : "\n") + "</testsuites>\n"
    }

    /// Text XML 1.0 can hold: control characters other than tab and line breaks are dropped.
    static func text(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            default:
                if u.value < 0x20 || (u.value >= 0xFFFE && u.value <= 0xFFFF) { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// An attribute value: as text, with quotes and line breaks escaped too.
    static func attr(_ s: String) -> String {
        text(s).replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "\n", with: "&#10;")
            .replacingOccurrences(of: "\r", with: "&#13;").replacingOccurrences(of: "\t", with: "&#9;")
    }
}
