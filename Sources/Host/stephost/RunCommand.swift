import Foundation
import StepJournal
import StepManifest
import StepPlugins
import StepProtocol
import StepReporting
import StepRun

enum RunCommand {
    static func main(_ argv: [String]) async -> Int32 {
        let a: Arguments
        do {
            a = try Arguments(argv, valued: CommonOptions.valued.union(CommonOptions.selection)
                                .union(["--jobs", "--init-timeout", "--cancel-grace", "--timeout", "--progress", "--ci", "--junit", "--events",
                                        "--github-output", "--only", "--until", "--run-id", "--record", "--replay"]),
                              flags: ["--dry-run", "--json", "--fail-fast", "--verbose", "--fresh-process", "--quiet", "--no-color", "--trust",
                                      "--resume-other-commit"],
                              aliases: CommonOptions.aliases.merging(["-j": "--jobs", "-v": "--verbose", "-q": "--quiet"]) { $1 },
                              optional: ["--resume": (default: "last", accepts: RunCommand.looksLikeRunID)])
        } catch { return CommonOptions.fail("\(error) (see stephost run --help)") }
        var jobs = ProcessInfo.processInfo.activeProcessorCount
        if let j = a.value("--jobs") {
            guard let n = Int(j), n >= 1 else { return CommonOptions.fail("-j needs a whole number of at least 1, got '\(j)'") }
            jobs = n
        }
        var r: RunRequest
        do { r = try CommonOptions.request(a, jobs: jobs) } catch { return CommonOptions.fail(error.description) }
        if let usage = CommonOptions.applySelection(a, command: "run", to: &r) { return CommonOptions.fail(usage) }
        r.dryRun = a.has("--dry-run")
        r.failFast = a.has("--fail-fast")
        r.trust = a.has("--trust")
        r.resumeOtherCommit = a.has("--resume-other-commit")
        r.reuseProcesses = !a.has("--fresh-process")
        r.resume = a.value("--resume")
        r.runID = a.value("--run-id")
        r.recordDirectory = a.value("--record")
        if let dir = a.value("--replay") {
            if r.recordDirectory != nil { return CommonOptions.fail("--record and --replay do not go together") }
            do { r.pluginSearch.overrides += try replayOverrides(dir, keeping: r.pluginSearch.overrides) } catch { return CommonOptions.fail("\(error)") }
        }
        do { r.only = try a.value("--only").map(StepSelection.init(parsing:)) } catch { return CommonOptions.fail(error.description) }
        if let until = a.value("--until") {
            r.until = until.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if r.until.contains("") { return CommonOptions.fail("--until takes step ids separated by commas, got '\(until)'") }
        }
        if r.resume != nil && r.dryRun { return CommonOptions.fail("--resume and --dry-run do not go together: a dry run reuses nothing") }
        do {
            if let t = a.value("--init-timeout") { r.initTimeout = try StepDuration(parsing: t).seconds }
            if let t = a.value("--cancel-grace") { r.cancelGrace = try StepDuration(parsing: t).seconds }
            if let t = a.value("--timeout") { r.runTimeout = try StepDuration(parsing: t).seconds }
        } catch { return CommonOptions.fail("\(error)") }

        let json = a.has("--json")
        let display: Display
        do { display = try Display(a, environment: r.hostEnvironment) } catch { return CommonOptions.fail("\(error) (see stephost run --help)") }
        if json && display.eventsPath == "-" { return CommonOptions.fail("--json and --events - both write to stdout; give --events a file") }
        let outputs: [(name: String, expression: String)]
        do { outputs = try GitHubOutputs.parse(a.all("--github-output")) } catch { return CommonOptions.fail("\(error)") }
        let transcripts = StepTranscripts()
        let humanFD: Int32 = json || display.eventsPath == "-" ? 2 : 1
        // Until the run starts (plugins warming up, warnings), plain lines.
        let console = ReporterGroup([transcripts, PlainReporter(fd: humanFD, verbose: display.verbose, quiet: display.quiet, heartbeat: 0,
                                                                transcripts: transcripts)])
        let prepared: PreparedRun
        do { prepared = try await Runner.prepare(r, reporter: console) } catch {
            return CommonOptions.fail(error.description)
        }
        // The transcripts first: the reporters after them read what a step printed.
        var reporters: [RunReporter] = [transcripts, display.reporter(fd: humanFD, transcripts: transcripts, workspace: prepared.workspace)]
        if let path = display.junitPath {
            var lines: [String: Int] = [:]
            for (wf, _) in prepared.workflows { for s in wf.steps { lines["\(wf.name)/\(s.id)"] = s.position.line } }
            reporters.append(JUnitReporter(path: path, manifestFile: Runner.manifestInWorkspace(prepared.request, workspace: prepared.workspace),
                                           stepLines: lines, transcripts: transcripts, onError: { Console.err("stephost: \($0)\n") }))
        }
        var eventsFD: Int32?
        if let path = display.eventsPath {
            eventsFD = path == "-" ? 1 : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if eventsFD ?? -1 < 0 {
                await prepared.pool.shutdownAll()
                return CommonOptions.fail("--events: cannot write \(path): \(String(cString: strerror(errno)))")
            }
        }
        let tracing = TraceExporter.configured(r.hostEnvironment) { Console.err(prepared.masker.mask("stephost: warning: \($0)") + "\n") }
        tracing?.mask(with: prepared.masker)
        if let tracing { reporters.append(tracing) }
        let control = RunControl()
        let signals = SignalForwarder(control: control)
        var summary = await Runner.execute(prepared, reporter: ReporterGroup(reporters), control: control, events: eventsFD)
        signals.stop()
        if let tracing, let warning = await tracing.export(sha: prepared.context.sha, masker: prepared.masker) {
            Console.err("stephost: warning: \(warning)\n")
        }
        if let fd = eventsFD, fd != 1 { close(fd) }
        if !outputs.isEmpty {
            let failed = GitHubOutputs.write(outputs, summary: summary, masker: prepared.masker, file: r.hostEnvironment["GITHUB_OUTPUT"])
            if failed && summary.exitCode == 0 { summary.exitCode = 1 }
        }
        if json { print(prepared.masker.mask(summary.json.prettyEncoded())) }
        return summary.exitCode
    }
}

extension RunCommand {
    struct ReplayError: Error, CustomStringConvertible { var description: String }

    /// `--replay DIR`: each recorded plugin NAME is served by `stephost __replay DIR/NAME.jsonl` (an argv: the
    /// file is one argument, never text a shell or a splitter reads), unless a `--plugin` of that name is given
    /// (it wins). A recording whose name is not `[A-Za-z0-9._-]+` is refused: a file name is never a command.
    static func replayOverrides(_ dir: String, keeping given: [PluginCatalog.Override]) throws -> [PluginCatalog.Override] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".descriptor.json") }.sorted()
        guard !files.isEmpty else { throw ReplayError(description: "--replay \(dir): no recording there (a folder written by run --record)") }
        let names = files.map { String($0.dropLast(".descriptor.json".count)) }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-".unicodeScalars)
        for (file, name) in zip(files, names) where name.isEmpty || !name.unicodeScalars.allSatisfy(allowed.contains) || name == "." || name == ".." {
            throw ReplayError(description: "--replay \(dir): \(JSONValue.string(file).encoded()) is not a recording: a plugin's name is letters, digits, '.', '_' and '-'")
        }
        let exe = "\(CommonOptions.hostDirectory)/stephost"
        let folder = Paths.absolute(dir, FileManager.default.currentDirectoryPath)
        return names.filter { name in !given.contains { $0.name == name } }
            .map { PluginCatalog.Override(name: $0, command: [exe, "__replay", "\(folder)/\($0).jsonl"], origin: "--replay \(dir) (\($0))") }
    }

    /// `last`, a run id (`20261129T105501Z-3f2a`, or a prefix of one with at least the date), or a
    /// record folder by path (holding journal.jsonl), or the id of a record in ./.stephost/runs (`runs merge --id`);
    /// any other id is given as `--resume=ID`.
    static func looksLikeRunID(_ s: String) -> Bool {
        s == "last" || (s.count >= 9 && s.prefix(8).allSatisfy(\.isNumber) && s.dropFirst(8).first == "T")
            || FileManager.default.fileExists(atPath: "\(s)/journal.jsonl")
            || (!s.contains("/") && FileManager.default.fileExists(atPath: ".stephost/runs/\(s)/journal.jsonl"))
    }
}

/// SIGINT and SIGTERM cancel the run (a second SIGINT skips the grace period).
final class SignalForwarder: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    init(control: RunControl) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler {
                Console.err("\nstephost: \(sig == SIGINT ? "SIGINT" : "SIGTERM") received; cancelling running steps\n")
                control.cancel(.interrupted(signal: sig))
            }
            s.resume()
            sources.append(s)
        }
    }

    func stop() { sources.forEach { $0.cancel() } }
}
