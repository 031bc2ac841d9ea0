import Foundation
import StepJournal
import StepProcess
import StepProtocol
import StepReporting

/// How `stephost run` shows a run, chosen from its flags and the environment: the terminal's
/// live view, plain lines, or a CI system's own form; plus the reports for tools.
struct Display {
    enum Progress: String { case auto, tty, plain }

    var progress: Progress
    var ci: CIReporter.Flavor?
    var quiet: Bool
    var verbose: Bool
    var color: Bool
    var junitPath: String?
    var eventsPath: String?
    /// Seconds of silence after which plain mode says a step is still running.
    var heartbeat: Double
    var environment: [String: String]

    init(_ a: Arguments, environment env: [String: String]) throws {
        guard let p = Progress(rawValue: a.value("--progress") ?? "auto") else {
            throw Arguments.UsageError(description: "--progress takes auto, tty or plain, not '\(a.value("--progress") ?? "")'")
        }
        progress = p
        switch a.value("--ci") {
        case "github"?: ci = .github
        case "buildkite"?: ci = .buildkite
        case "none"?: ci = nil
        case nil: ci = env["GITHUB_ACTIONS"] == "true" ? .github : env["BUILDKITE"] == "true" ? .buildkite : nil
        case let other?: throw Arguments.UsageError(description: "--ci takes github, buildkite or none, not '\(other)'")
        }
        quiet = a.has("--quiet")
        verbose = a.has("--verbose")
        if progress == .auto { progress = isatty(2) == 1 && (env["TERM"] ?? "") != "dumb" && ci == nil ? .tty : .plain }
        color = progress == .tty && !a.has("--no-color") && (env["NO_COLOR"] ?? "").isEmpty
        junitPath = a.value("--junit")
        eventsPath = a.value("--events")
        heartbeat = 60
        if let h = env["STEPHOST_HEARTBEAT"], let d = try? StepDuration(parsing: h) { heartbeat = d.seconds }
        environment = env
    }

    /// The reporter for people: the CI system's form, the live view (on stderr, the terminal), or plain lines on `fd`.
    func reporter(fd: Int32, transcripts: StepTranscripts, workspace: String) -> RunReporter {
        if let ci {
            let settings = CIReporter.Settings(flavor: ci, verbose: verbose, workspace: workspace,
                                               stepSummary: environment["GITHUB_STEP_SUMMARY"],
                                               agent: ci == .buildkite ? Command.which("buildkite-agent", path: environment["PATH"]) : nil,
                                               environment: environment)
            return CIReporter(fd: fd, settings: settings, transcripts: transcripts)
        }
        if progress == .tty && !quiet { return LiveReporter(fd: 2, color: color, verbose: verbose, transcripts: transcripts) }
        return PlainReporter(fd: fd, verbose: verbose, quiet: quiet, heartbeat: heartbeat, transcripts: transcripts)
    }
}
