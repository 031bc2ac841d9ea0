import Foundation
import StepHost
import StepProtocol
import StepProcess
import StepMask

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
        if let h = env["STEPHOST_HEARTBEAT"], let d = try? StepProtocol.Duration(parsing: h) { heartbeat = d.seconds }
        environment = env
    }

    /// The reporter for people: the CI system's form, the live view (on stderr, the terminal), or plain lines on `fd`.
    func reporter(fd: Int32, transcripts: StepTranscripts, workspace: String?) -> RunReporter {
        if let ci {
            let settings = CIReporter.Settings(flavor: ci, verbose: verbose, workspace: workspace ?? "",
                                               stepSummary: environment["GITHUB_STEP_SUMMARY"],
                                               agent: ci == .buildkite ? Command.which("buildkite-agent", path: environment["PATH"]) : nil,
                                               environment: environment)
            return CIReporter(fd: fd, settings: settings, transcripts: transcripts)
        }
        if progress == .tty && !quiet { return LiveReporter(fd: 2, color: color, verbose: verbose, transcripts: transcripts) }
        return PlainReporter(fd: fd, verbose: verbose, quiet: quiet, heartbeat: heartbeat, transcripts: transcripts)
    }
}

/// `--github-output NAME=EXPR`: after the run, each EXPR's value (as JSON) appended to the file
/// `GITHUB_OUTPUT` names, as `NAME<<DELIM` … `DELIM`.
enum GitHubOutputs {
    struct Problem: Error, CustomStringConvertible { var description: String }

    static func parse(_ specs: [String]) throws -> [(name: String, expression: String)] {
        try specs.map { spec in
            guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex else {
                throw Problem(description: "--github-output takes NAME=EXPRESSION, got '\(spec)'")
            }
            let name = String(spec[..<eq])
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw Problem(description: "--github-output: '\(name)' is not an output name (letters, digits, _ and -)")
            }
            return (name, String(spec[spec.index(after: eq)...]))
        }
    }

    /// Writes every output it can; returns true when one could not be written (a value holding
    /// a secret, which GitHub would drop silently, an expression that fails, or no file).
    static func write(_ outputs: [(name: String, expression: String)], summary: RunSummary, masker: Masker, file: String?) -> Bool {
        guard let file, !file.isEmpty else {
            Console.err("stephost: --github-output: GITHUB_OUTPUT is not set, so no output was written\n")
            return true
        }
        var failed = false
        var text = ""
        for o in outputs {
            let value: JSONValue
            do { value = try summary.evaluate(o.expression) } catch {
                Console.err("stephost: --github-output \(o.name): \(masker.mask(error.message))\n")
                failed = true
                continue
            }
            let encoded = value.stringValue ?? value.encoded()
            if masker.mask(encoded) != encoded {
                Console.err("stephost: --github-output \(o.name): the value holds a secret, so it is not written (GitHub would drop it)\n")
                failed = true
                continue
            }
            var delimiter = "stephost_\(WorkflowCommands.token())"
            while encoded.contains(delimiter) { delimiter = "stephost_\(WorkflowCommands.token())" }
            text += "\(o.name)<<\(delimiter)\n\(encoded)\n\(delimiter)\n"
        }
        let fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            Console.err("stephost: --github-output: cannot append to \(file): \(String(cString: strerror(errno)))\n")
            return true
        }
        FileDescriptor.writeAll(fd, Array(text.utf8))
        close(fd)
        return failed
    }
}
