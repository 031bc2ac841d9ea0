import Foundation
import StepManifest
import StepProcess

// stephost: runs the steps of a pipeline manifest through plugin processes.
let version = "0.1.0"
// Started as a bundled plugin (stephost-exec, …): serve it, and nothing of the host runs.
BundledPluginMains.serveIfStartedAsPlugin()
// A reader that goes away (stephost run | head) must not kill the host mid-run.
signal(SIGPIPE, SIG_IGN)
let args = Array(CommandLine.arguments.dropFirst())
// Shell completion asks for the manifest's workflow names.
if args.first == "__workflows" { exit(await CompletionCommand.workflows(Array(args.dropFirst()))) }
// A recorded plugin played back (run --replay DIR starts one per recording).
if args.first == "__replay", args.count == 2 { exit(ReplayCommand.serve(recording: args[1])) }
// The process guardian (see ProcessGuard): started by the host, never by users.
if args.first == "__guard" { Guardian.serve(host: args.count > 1 ? pid_t(args[1]) ?? 0 : 0) }
if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
    // STEPHOST_GUARD_LOG=FILE: the guardian writes there each process it watches and each it stops.
    let log = ProcessInfo.processInfo.environment[Guardian.logVariable]
    ProcessGuard.install(command: [exe, "__guard"], environment: log.map { [Guardian.logVariable: $0] } ?? [:])
}
let commands: [String: (([String]) async -> Int32)] = [
    "run": RunCommand.main, "validate": ValidateCommand.main, "plan": PlanCommand.main, "graph": GraphCommand.main,
    "plugins": PluginsCommand.main, "yaml": YamlCommand.main, "runs": RunsCommand.main, "stats": StatsCommand.main, "schema": SchemaCommand.main,
    "completion": CompletionCommand.main, "ci": CICommand.main, "plugin": PluginCommand.main,
]

guard let first = args.first else {
    Console.err(Help.top)
    exit(2)
}
switch first {
case "--version", "version": Console.out(BuildInfo.versionLine(hostDirectory: CommonOptions.hostDirectory) + "\n"); exit(0)
case "--help", "-h", "help":
    if args.count > 1, let text = Help.commands[args[1]] { print(text) } else { print(Help.top) }
    exit(0)
default:
    guard let command = commands[first] else {
        let guess = Suggestion.didYouMean(first, in: Array(commands.keys))
        Console.err("stephost: unknown command '\(first)'\(guess)\n\n\(Help.top)")
        exit(2)
    }
    let rest: [String]
    do { rest = try Arguments.expandingArgsJSON(Array(args.dropFirst())) } catch {
        Console.err("stephost: \(error)\n")
        exit(2)
    }
    if rest.contains("--help") || rest.contains("-h") {
        print(Help.commands[first] ?? Help.top)
        exit(0)
    }
    let code = await command(rest)
    ProcessGuard.stopOrphans()
    exit(code)
}
