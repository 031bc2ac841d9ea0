import Foundation
import StepProtocol

/// What an alert says, built from the run the step is part of: which workflow, where, which
/// commit, every step that failed before it with its error and hints, and where the CI run is.
struct AlertMessage {
    let run: StepRunRequest.Run
    /// The CI context the plugin was started with (`GITHUB_*`, `BUILDKITE_*`).
    let environment: [String: String]
    /// A recovery rather than a failure.
    let resolved: Bool

    var target: String { run.environment.flatMap { $0.isEmpty ? nil : $0 } ?? (run.branch.isEmpty ? "this checkout" : run.branch) }
    var shortSHA: String { String(run.sha.prefix(12)) }

    /// The CI run's web page, when the environment says where it is.
    var link: String? {
        let e = environment
        if let server = e["GITHUB_SERVER_URL"], let repo = e["GITHUB_REPOSITORY"], let id = e["GITHUB_RUN_ID"], !server.isEmpty, !repo.isEmpty, !id.isEmpty {
            return "\(server)/\(repo)/actions/runs/\(id)"
        }
        if let url = e["BUILDKITE_BUILD_URL"], !url.isEmpty { return url }
        return nil
    }

    var defaultTitle: String {
        resolved ? "\(run.workflow) recovered on \(target)"
            : run.failures.isEmpty ? "\(run.workflow) on \(target)" : "\(run.workflow) failed on \(target)"
    }

    /// The failures as `(step, error, hints, attempts)`.
    var failures: [(step: String, error: String, hints: [String], attempts: Int)] {
        run.failures.map { f in
            let hints = f["hints"]?.arrayValue?.compactMap(\.stringValue) ?? f["hint"]?.stringValue.map { [$0] } ?? []
            let step = f["step"]?.stringValue ?? "?"
            let wf = f["workflow"]?.stringValue ?? run.workflow
            return (wf == run.workflow ? step : "\(wf)/\(step)", f["error"]?.stringValue ?? "failed", hints, f["attempts"]?.intValue ?? 1)
        }
    }

    /// The facts line: workflow, environment, branch, commit, run id.
    var facts: String {
        var parts = ["workflow \(run.workflow)"]
        if let env = run.environment, !env.isEmpty { parts.append("environment \(env)") }
        if !run.branch.isEmpty { parts.append("branch \(run.branch)") }
        if !run.sha.isEmpty { parts.append("commit \(shortSHA)") }
        parts.append("run \(run.id)")
        return parts.joined(separator: " · ")
    }

    /// The default text, in Markdown (Slack's mrkdwn reads the same: `*bold*` aside, which is not used).
    var text: String {
        var lines = [facts]
        if resolved {
            lines.append("The workflow succeeded again.")
        } else if failures.isEmpty {
            lines.append("No step has failed.")
        } else {
            lines.append("")
            lines.append("Failed step\(failures.count == 1 ? "" : "s"):")
            for f in failures {
                lines.append("• \(f.step): \(AlertMessage.oneLine(f.error, limit: 500))\(f.attempts > 1 ? " (after \(f.attempts) attempts)" : "")")
                for h in f.hints { lines.append("    hint: \(AlertMessage.oneLine(h, limit: 500))") }
            }
        }
        if let link { lines.append(""); lines.append("CI run: \(link)") }
        return lines.joined(separator: "\n")
    }

    static func oneLine(_ s: String, limit: Int) -> String {
        let flat = s.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > limit ? String(flat.prefix(limit - 1)) + "…" : flat
    }
}
