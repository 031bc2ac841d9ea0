import Foundation
import StepHost

/// Options every command that reads a manifest accepts: -f, --workspace, --plugin, --plugins.
enum CommonOptions {
    static let valued: Set<String> = ["--file", "--workspace", "--plugin", "--plugins"]
    static let aliases = ["-f": "--file"]

    static var hostDirectory: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent
    }

    static func request(_ a: Arguments, jobs: Int = ProcessInfo.processInfo.activeProcessorCount) -> RunRequest {
        let cwd = FileManager.default.currentDirectoryPath
        let env = ProcessInfo.processInfo.environment
        var r = RunRequest(
            manifestPath: a.value("--file") ?? "stephost.yaml", jobs: jobs,
            pluginSearch: PluginCatalog.Search(overrides: a.all("--plugin"), directories: a.all("--plugins"),
                                               pluginPath: env["STEPHOST_PLUGIN_PATH"], currentDirectory: cwd,
                                               hostDirectory: hostDirectory),
            hostDirectory: hostDirectory, hostEnvironment: env, hostVersion: version)
        r.workspace = a.value("--workspace")
        return r
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
