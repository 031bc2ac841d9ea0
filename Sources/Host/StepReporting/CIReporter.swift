import Foundation
import StepJournal
import StepManifest
import StepProcess
import StepProtocol

/// The run as a CI log viewer shows it (GitHub Actions, Buildkite): plain lines, one
/// collapsible group per step. Groups never nest or interleave: a step running alone
/// streams live into its open group; while several run, each step's lines are held and
/// printed as one group when it ends (its title then carries the status and duration).
public final class CIReporter: RunReporter, @unchecked Sendable {
    public enum Flavor: Sendable { case github, buildkite }

    public struct Settings: Sendable {
        public var flavor: Flavor
        public var verbose = false
        public var workspace = ""
        /// GitHub: the file `GITHUB_STEP_SUMMARY` names.
        public var stepSummary: String?
        /// Buildkite: `buildkite-agent` when it is on PATH.
        public var agent: String?
        public var environment: [String: String] = [:]
        public init(flavor: Flavor, verbose: Bool = false, workspace: String = "", stepSummary: String? = nil, agent: String? = nil,
                    environment: [String: String] = [:]) {
            self.flavor = flavor; self.verbose = verbose; self.workspace = workspace; self.stepSummary = stepSummary
            self.agent = agent; self.environment = environment
        }
    }

    private let lock = NSLock()
    private let fd: Int32
    private let settings: Settings
    private let transcripts: StepTranscripts
    /// GitHub: plugin text is printed between `::stop-commands::TOKEN` and `::TOKEN::`.
    private let token = WorkflowCommands.token()
    private var commandsStopped = false
    private var uses: [String: String] = [:]
    private var running: [String] = []
    /// The step whose group is open and streaming.
    private var live: String?
    private var held: [String: [OutputLine]] = [:]
    /// Groups of steps that ended while another's group was open.
    private var waiting: [(title: String, lines: [OutputLine], failed: Bool)] = []
    private var failures: [Annotation] = []
    private var logAnnotations: [Annotation] = []

    public init(fd: Int32, settings: Settings, transcripts: StepTranscripts) {
        self.fd = fd
        self.settings = settings
        self.transcripts = transcripts
    }

    // MARK: - Writing

    private func emit(_ lines: [OutputLine]) {
        var out: [String] = []
        for l in lines {
            switch settings.flavor {
            case .github:
                if l.fromPlugin && !commandsStopped { out.append("::stop-commands::\(token)"); commandsStopped = true }
                if !l.fromPlugin && commandsStopped { out.append("::\(token)::"); commandsStopped = false }
                out.append(l.text)
            case .buildkite:
                // A plugin line that looks like a group marker would open a group: indent it.
                let marker = ["---", "+++", "~~~", "^^^"].contains { l.text.hasPrefix($0) }
                out.append(l.fromPlugin && marker ? " " + l.text : l.text)
            }
        }
        if !out.isEmpty { FileDescriptor.writeAll(fd, Array((out.joined(separator: "\n") + "\n").utf8)) }
    }

    private func host(_ text: String) -> OutputLine { OutputLine(text: text, fromPlugin: false) }

    /// `<step> (<uses>)`; a held group, whose outcome is known as it opens, has the status icon and
    /// duration in front; Buildkite's header always starts with an icon (⏳ while the step runs).
    private func title(_ step: String, _ record: StepOutcome?) -> String {
        let name = "\(step) (\(uses[step] ?? record?.uses ?? "?"))"
        guard let r = record else { return settings.flavor == .buildkite ? "⏳ \(name)" : name }
        return "\(MarkdownSummary.icon(r)) " + (r.status == .skipped ? "" : "\(formatDuration(r.durationMs)) ") + name
    }

    private func groupStart(_ title: String) -> OutputLine {
        host(settings.flavor == .github ? "::group::\(title)" : "--- \(title)")
    }

    private func groupEnd(failed: Bool) -> [OutputLine] {
        switch settings.flavor {
        case .github: return [host("::endgroup::")]
        case .buildkite: return failed ? [host("^^^ +++")] : []
        }
    }

    // MARK: - Events

    public func report(_ event: RunEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .mask(let value):
            mask(value)
            return
        case .attempt(let step, _, _, let u):
            uses[step] = u
            if !running.contains(step) { running.append(step) }
            if held[step] == nil && live != step {
                if live == nil && running.count == 1 && waiting.isEmpty {
                    live = step
                    emit([groupStart(title(step, nil))])
                } else {
                    held[step] = []
                }
            }
        case .log(let step, let level, let message, let file, let line) where [.error, .warning, .notice].contains(level):
            logAnnotations.append(Annotation(level: level.rawValue, title: step, message: message,
                                             file: Annotation.relativeFile(file, workspace: settings.workspace), line: line, step: step))
        case .stepFinished(let f):
            let r = f.outcome
            finish(r)
            return
        case .runFinished(let f):
            guard let summary = f.summary else { return }
            finishRun(summary)
            return
        default: break
        }
        guard let (step, lines) = EventLines.lines(event, verbose: settings.verbose) else { return }
        if let step, step == live {
            emit(lines)
        } else if let step, held[step] != nil {
            held[step]?.append(contentsOf: lines)
        } else {
            emit(lines.map { OutputLine(text: (step.map { "[\($0)] " } ?? "") + $0.text, fromPlugin: $0.fromPlugin) })
        }
    }

    private func finish(_ r: StepOutcome) {
        running.removeAll { $0 == r.id }
        let failed = r.status == .failure && !r.continuedOnError
        if failed {
            let message = (r.error ?? r.statusText) + r.shownHints.map { "\nhint: \($0)" }.joined()
            failures.append(Annotation(level: "error", title: "\(r.id) failed", message: message, file: nil, line: nil, step: r.id))
        }
        let end = EventLines.finished(r)
        if live == r.id {
            // A live group's title was written before the outcome was known: a failure says so where a reader of
            // the collapsed log sees it. GitHub: a title line right after the group; Buildkite: the end in a
            // section titled with ❌, which `^^^ +++` opens.
            switch settings.flavor {
            case .github: emit(end + groupEnd(failed: failed) + (failed ? [host(title(r.id, r))] : []))
            case .buildkite: emit(failed ? [groupStart(title(r.id, r))] + end + groupEnd(failed: true) : end)
            }
            live = nil
            flushWaiting()
            return
        }
        let group = (title(r.id, r), (held.removeValue(forKey: r.id) ?? []) + end, failed)
        if live == nil { printGroup(group) } else { waiting.append(group) }
    }

    private func printGroup(_ g: (title: String, lines: [OutputLine], failed: Bool)) {
        emit([groupStart(g.title)] + g.lines + groupEnd(failed: g.failed))
    }

    private func flushWaiting() {
        let groups = waiting
        waiting = []
        groups.forEach(printGroup)
    }

    private func finishRun(_ summary: RunSummary) {
        flushWaiting()
        if live != nil { emit(groupEnd(failed: false)); live = nil }
        for (step, lines) in held.sorted(by: { $0.key < $1.key }) { printGroup((title(step, nil), lines, false)) }
        held = [:]
        let (shown, left) = Annotation.select(failures: failures, logs: logAnnotations)
        switch settings.flavor {
        case .github:
            emit(shown.map { host(WorkflowCommands.annotation($0)) })
            if !left.isEmpty {
                emit([host("::notice::\(left.count) more annotation\(left.count == 1 ? " was" : "s were") left out (GitHub shows at most 10 per level); they are in the step summary")])
            }
            if let path = settings.stepSummary, !path.isEmpty {
                append(MarkdownSummary.render(summary, transcripts: transcripts, leftOut: left) + "\n", to: path)
            }
        case .buildkite:
            if let agent = settings.agent {
                let body = MarkdownSummary.render(summary, transcripts: transcripts, leftOut: shown + left)
                let context = "stephost-\(summary.workflows.first ?? "run")"
                let style = summary.exitCode == 0 ? "success" : "error"
                _ = Command.runAndWait([agent, "annotate", "--context", context, "--style", style], cwd: "/",
                                       environment: settings.environment, input: Array(body.utf8), timeout: 30)
            }
        }
        emit(EventLines.table(summary).map(host))
    }

    private func mask(_ value: String) {
        switch settings.flavor {
        case .github:
            // Each line of a multi-line value on its own, as the runner masks line by line.
            let lines = EventLines.split(value).filter { $0.count >= 4 }
            if commandsStopped { FileDescriptor.writeAll(fd, Array("::\(token)::\n".utf8)); commandsStopped = false }
            FileDescriptor.writeAll(fd, Array(lines.map { "::add-mask::\(WorkflowCommands.data($0))\n" }.joined().utf8))
        case .buildkite:
            guard let agent = settings.agent else { return }
            // Before anything is printed: the agent redacts the value from the log from here on.
            _ = Command.runAndWait([agent, "redactor", "add"], cwd: "/", environment: settings.environment, input: Array(value.utf8), timeout: 30)
        }
    }

    private func append(_ text: String, to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            emit([host("warning: cannot append the step summary to \(path): \(String(cString: strerror(errno)))")])
            return
        }
        FileDescriptor.writeAll(fd, Array(text.utf8))
        close(fd)
    }
}
