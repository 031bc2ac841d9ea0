import Foundation
import StepAuthoring
import StepManifest
import StepPlugins
import StepProcess
import StepProtocol
import StepRun

/// `stephost plugin new NAME --lang sh|python|swift [--dir DIR]` and
/// `stephost plugin check NAME | -- COMMAND [ARG...]`: for people who write plugins.
enum PluginCommand {
    static func main(_ argv: [String]) async -> Int32 {
        switch argv.first {
        case "check": return await check(Array(argv.dropFirst()))
        case "new": return scaffold(Array(argv.dropFirst()))
        default: return CommonOptions.fail("plugin: say what to do: plugin new NAME --lang sh|python|swift, or plugin check NAME | -- COMMAND [ARG...]")
        }
    }

    static func check(_ argv: [String]) async -> Int32 {
        // Everything after `--` is the plugin's own command line.
        let split = argv.firstIndex(of: "--")
        let command = split.map { Array(argv[($0 + 1)...]) }
        let a: Arguments
        do {
            a = try Arguments(split.map { Array(argv[..<$0]) } ?? argv, valued: CommonOptions.valued.union(["--init-timeout", "--cancel-grace"]),
                              flags: ["--json"], aliases: CommonOptions.aliases)
        } catch { return CommonOptions.fail("\(error) (see stephost plugin --help)") }
        let request: RunRequest
        do { request = try CommonOptions.request(a) } catch { return CommonOptions.fail(error.description) }
        let env = request.hostEnvironment
        let cwd = request.pluginSearch.currentDirectory
        let target: PluginCheck.Target
        let workspace = await Runner.workspace(for: request)
        if let command {
            guard let first = command.first else { return CommonOptions.fail("plugin check --: give the plugin's command after --") }
            var exe = first.contains("/") ? Paths.absolute(first, cwd) : (Command.which(first) ?? first)
            var argv0: String?
            // A bundled plugin's name: this executable serves it (as the host starts it).
            if !first.contains("/"), Command.which(first) == nil, let multiCall = request.multiCall, multiCall.names.contains(first) {
                exe = multiCall.executable
                argv0 = first
            }
            target = .init(label: command.joined(separator: " "), executable: exe, argv0: argv0, arguments: Array(command.dropFirst()),
                           environment: PluginPool.environment(for: PluginDescriptor(name: "check", command: command, steps: nil, file: "(command line)",
                                                                                     origin: .commandLine, baseDirectory: cwd), host: env),
                           directory: workspace)
        } else {
            guard a.positionals.count == 1, let name = a.positionals.first else {
                return CommonOptions.fail("plugin check takes one plugin name (or step name), or -- COMMAND [ARG...]")
            }
            var search = request.pluginSearch
            let manifest = Paths.absolute(request.manifestPath, cwd)
            // The manifest's plugins.d (stephost.yaml here by default), else this folder's, as `plugin new` writes it.
            search.manifestDirectory = FileManager.default.fileExists(atPath: manifest) ? (manifest as NSString).deletingLastPathComponent : cwd
            let catalog: PluginCatalog
            do { catalog = try PluginCatalog.load(search) } catch { return CommonOptions.fail(error.description) }
            guard let d = catalog.overrides.first(where: { $0.name == name }) ?? catalog.visibleDescriptors.first(where: { $0.name == name })
                    ?? catalog.descriptor(forStep: name) else {
                let known = catalog.visibleDescriptors.map(\.name)
                return CommonOptions.fail("plugin check: no plugin '\(name)'\(Suggestion.didYouMean(name, in: known)) (plugins: \(known.joined(separator: ", ")))")
            }
            let launch: PluginLaunch
            do { launch = try d.resolveLaunch(besideHost: request.hostDirectory, path: env["PATH"], multiCall: request.multiCall) } catch {
                return CommonOptions.fail(error.description)
            }
            target = .init(label: "\(d.name) (\(d.file))", executable: launch.executable, argv0: launch.argv0, arguments: Array(d.command.dropFirst()),
                           environment: PluginPool.environment(for: d, host: env), directory: workspace)
        }
        var check = PluginCheck(target: target)
        do {
            if let t = a.value("--init-timeout") { check.initTimeout = try StepDuration(parsing: t).seconds }
            if let t = a.value("--cancel-grace") { check.cancelGrace = try StepDuration(parsing: t).seconds }
        } catch { return CommonOptions.fail("\(error)") }
        let results = check.run()
        let failed = results.contains { $0.status == .fail }
        if a.has("--json") {
            print(JSONValue.object(["plugin": .string(target.label), "passed": .bool(!failed), "results": .array(results.map(\.json))]).prettyEncoded())
        } else {
            print("plugin check: \(target.label)")
            for r in results { print(r.line) }
            let n = { (s: PluginCheck.Status) in results.filter { $0.status == s }.count }
            print("\(n(.pass)) passed, \(n(.fail)) failed, \(n(.skip)) skipped")
        }
        return failed ? 1 : 0
    }
}
