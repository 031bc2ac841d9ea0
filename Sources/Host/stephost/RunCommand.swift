import Foundation
import StepHost
import StepProtocol

enum RunCommand {
    static func main(_ argv: [String]) async -> Int32 {
        let a: Arguments
        do {
            a = try Arguments(argv, valued: CommonOptions.valued.union(CommonOptions.selection)
                                .union(["--jobs", "--init-timeout", "--cancel-grace", "--timeout"]),
                              flags: ["--dry-run", "--json", "--fail-fast", "--verbose", "--fresh-process"],
                              aliases: CommonOptions.aliases.merging(["-j": "--jobs", "-v": "--verbose"]) { $1 },
                              optional: ["--resume": (default: "last", accepts: RunCommand.looksLikeRunID)])
        } catch { return CommonOptions.fail("\(error) (see stephost run --help)") }
        var jobs = ProcessInfo.processInfo.activeProcessorCount
        if let j = a.value("--jobs") {
            guard let n = Int(j), n >= 1 else { return CommonOptions.fail("-j needs a whole number of at least 1, got '\(j)'") }
            jobs = n
        }
        var r = CommonOptions.request(a, jobs: jobs)
        if let usage = CommonOptions.applySelection(a, command: "run", to: &r) { return CommonOptions.fail(usage) }
        r.dryRun = a.has("--dry-run")
        r.failFast = a.has("--fail-fast")
        r.reuseProcesses = !a.has("--fresh-process")
        r.resume = a.value("--resume")
        if r.resume != nil && r.dryRun { return CommonOptions.fail("--resume and --dry-run do not go together: a dry run reuses nothing") }
        do {
            if let t = a.value("--init-timeout") { r.initTimeout = try Duration(parsing: t).seconds }
            if let t = a.value("--cancel-grace") { r.cancelGrace = try Duration(parsing: t).seconds }
            if let t = a.value("--timeout") { r.runTimeout = try Duration(parsing: t).seconds }
        } catch { return CommonOptions.fail("\(error)") }

        let json = a.has("--json")
        let console = ConsoleReporter(toStderr: json, verbose: a.has("--verbose"), environment: r.hostEnvironment)
        let prepared: PreparedRun
        do { prepared = try await Runner.prepare(r, reporter: console) } catch {
            return CommonOptions.fail(error.description)
        }
        let control = RunControl()
        let signals = SignalForwarder(control: control)
        let summary = await Runner.execute(prepared, reporter: console, control: control)
        signals.stop()
        if json { print(prepared.masker.mask(summary.json.prettyEncoded())) }
        return summary.exitCode
    }
}

extension RunCommand {
    /// `last`, or a run id (`20261129T105501Z-3f2a`, or a prefix of one with at least the date).
    static func looksLikeRunID(_ s: String) -> Bool {
        s == "last" || (s.count >= 9 && s.prefix(8).allSatisfy(\.isNumber) && s.dropFirst(8).first == "T")
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
