import Foundation
import StepJournal
import StepPlugins
import StepRun

/// Options every command that reads a manifest accepts: -f, --workspace, --plugin, --plugins.
enum CommonOptions {
    static let valued: Set<String> = ["--file", "--workspace", "--plugin", "--plugins"]
    static let aliases = ["-f": "--file"]

    static var hostDirectory: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent
    }

    /// A bad option value: the command prints it and exits 2, as for an unknown option.
    typealias UsageError = Arguments.UsageError

    static func request(_ a: Arguments, jobs: Int = ProcessInfo.processInfo.activeProcessorCount) throws(UsageError) -> RunRequest {
        let cwd = FileManager.default.currentDirectoryPath
        let env = ProcessInfo.processInfo.environment
        var r = RunRequest(
            manifestPath: a.value("--file") ?? "stephost.yaml", jobs: jobs,
            pluginSearch: PluginCatalog.Search(overrides: try a.all("--plugin").map(pluginOverride), directories: a.all("--plugins"),
                                               pluginPath: env["STEPHOST_PLUGIN_PATH"], currentDirectory: cwd,
                                               hostDirectory: hostDirectory),
            hostDirectory: hostDirectory, hostEnvironment: env, hostVersion: version)
        r.multiCall = BundledPluginMains.multiCall
        r.workspace = a.value("--workspace")
        return r
    }

    /// `--plugin NAME=COMMAND`: COMMAND split by POSIX shell quoting rules, with no expansion.
    static func pluginOverride(_ text: String) throws(UsageError) -> PluginCatalog.Override {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw UsageError(description: "--plugin takes NAME=COMMAND, got '\(text)'")
        }
        let name = String(text[..<eq])
        let command: [String]
        do { command = try ShellWords.split(String(text[text.index(after: eq)...])) } catch {
            throw UsageError(description: "--plugin \(name): \(error)")
        }
        guard !command.isEmpty else { throw UsageError(description: "--plugin \(name)= has an empty command") }
        return PluginCatalog.Override(name: name, command: command, origin: "--plugin \(text)")
    }

    /// Options that pick what runs: the environment, the event, and `--var`.
    static let selection: Set<String> = ["--env", "--event", "--branch", "--base", "--head", "--label", "--var"]

    /// Applies the workflow name and the `selection` options; returns a usage error, or nil.
    static func applySelection(_ a: Arguments, command: String, to r: inout RunRequest) -> String? {
        guard a.positionals.count <= 1 else { return "\(command) takes at most one workflow name, got \(a.positionals.joined(separator: " "))" }
        r.workflow = a.positionals.first
        r.environment = a.value("--env")
        r.context = RunContext.Options(event: a.value("--event"), branch: a.value("--branch"), base: a.value("--base"),
                                       head: a.value("--head"), labels: a.all("--label"))
        for v in a.all("--var") {
            guard let eq = v.firstIndex(of: "="), eq != v.startIndex else { return "--var takes NAME=VALUE, got '\(v)'" }
            r.vars[String(v[..<eq])] = String(v[v.index(after: eq)...])
        }
        return nil
    }

    static func fail(_ message: String) -> Int32 {
        Console.err("stephost: \(message)\n")
        return 2
    }
}

/// Reports that write nothing: for commands that only prepare.
struct SilentReporter: RunReporter {
    func report(_ event: RunEvent) {
        if case .warning(let w) = event { Console.err("warning: \(w)\n") }
    }
}
