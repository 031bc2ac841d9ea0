import Foundation
import StepProcess
import StepProtocol
import StepYAML

/// A plugin as `plugins.d/<name>.yaml` (or `.json`) describes it.
public struct PluginDescriptor: Sendable, Hashable {
    /// Where a descriptor came from, in search order.
    public enum Origin: Sendable, Hashable, CustomStringConvertible {
        case commandLine
        case directory(String)
        case bundled
        public var description: String {
            switch self {
            case .commandLine: return "--plugin"
            case .directory(let d): return d
            case .bundled: return "bundled"
            }
        }
    }

    public var name: String
    public var command: [String]
    /// Step names it provides; nil for `--plugin`, whose steps come from `initialize`.
    public var steps: [String]?
    /// Host environment variables the plugin may see.
    public var env: [String]
    /// The descriptor file, or a description of where the descriptor came from.
    public var file: String
    public var origin: Origin
    /// The folder relative `command[0]` paths are resolved against.
    public var baseDirectory: String

    public init(name: String, command: [String], steps: [String]?, env: [String] = [], file: String, origin: Origin, baseDirectory: String) {
        self.name = name; self.command = command; self.steps = steps; self.env = env
        self.file = file; self.origin = origin; self.baseDirectory = baseDirectory
    }

    /// Reads a descriptor from YAML or JSON text.
    public static func parse(_ text: String, file: String, origin: Origin, baseDirectory: String) throws(PluginError) -> PluginDescriptor {
        let node: YAMLNode
        do { node = try YAMLParser.parse(text, file: file) } catch { throw .badDescriptor(file: file, message: error.description) }
        func bad(_ n: YAMLNode, _ m: String) -> PluginError {
            .badDescriptor(file: file, message: "\(file):\(n.position.line):\(n.position.column): \(m)")
        }
        guard node.pairs != nil else { throw bad(node, "a plugin descriptor must be a mapping with name, command and steps") }
        guard let nameNode = node["name"], let name = nameNode.scalar, !name.isEmpty else { throw bad(node, "the descriptor has no 'name:'") }
        guard let commandNode = node["command"] else { throw bad(node, "the descriptor has no 'command:'") }
        let command: [String]
        if let items = commandNode.items {
            command = items.compactMap(\.scalar)
            guard command.count == items.count else { throw bad(commandNode, "command must be a list of strings") }
        } else if let s = commandNode.scalar {
            do { command = try ShellWords.split(s) } catch { throw bad(commandNode, "command: \(error)") }
        } else { throw bad(commandNode, "command must be a list of strings") }
        guard !command.isEmpty, !command[0].isEmpty else { throw bad(commandNode, "command is empty") }
        func list(_ key: String) throws(PluginError) -> [String]? {
            guard let n = node[key] else { return nil }
            if n.scalar == "" && n.isPlain { return [] }
            guard let items = n.items, items.allSatisfy({ $0.scalar != nil }) else { throw bad(n, "\(key) must be a list of strings") }
            return items.map { $0.scalar! }
        }
        guard let steps = try list("steps"), !steps.isEmpty else { throw bad(node, "the descriptor lists no 'steps:'") }
        return PluginDescriptor(name: name, command: command, steps: steps, env: try list("env") ?? [],
                                file: file, origin: origin, baseDirectory: baseDirectory)
    }

    /// Whether it comes from a folder inside `workspace` (its `plugins.d/`, a `--plugins` or `STEPHOST_PLUGIN_PATH`
    /// folder there): code that whoever changes the workspace controls. A copy of a bundled descriptor is not.
    public func isFromWorkspace(_ workspace: String) -> Bool {
        guard case .directory(let dir) = origin else { return false }
        let inside = dir == workspace || dir.hasPrefix(workspace.hasSuffix("/") ? workspace : workspace + "/")
        return inside && !BundledPlugins.isCopy(self)
    }

    /// How to start the plugin: `command[0]` relative to the descriptor's folder when it contains `/`;
    /// a name the host executable serves itself (a bundled plugin of the multi-call `stephost`) as that
    /// executable started by the name; else next to the `stephost` executable, else in `PATH`.
    public func resolveLaunch(besideHost hostDirectory: String, path: String?, multiCall: MultiCall?) throws(PluginError) -> PluginLaunch {
        if let multiCall, multiCall.names.contains(command[0]) { return PluginLaunch(executable: multiCall.executable, argv0: command[0]) }
        return PluginLaunch(executable: try resolveExecutable(besideHost: hostDirectory, path: path), argv0: nil)
    }

    /// The absolute path of `command[0]`: relative to the descriptor's folder
    /// when it contains `/`, else next to the `stephost` executable, else in `PATH`.
    public func resolveExecutable(besideHost hostDirectory: String, path: String?) throws(PluginError) -> String {
        let c = command[0]
        if c.hasPrefix("/") { return c }
        if c.contains("/") { return URL(fileURLWithPath: c, relativeTo: URL(fileURLWithPath: baseDirectory, isDirectory: true)).standardizedFileURL.path }
        // Next to stephost (a build folder), then where scripts/install.sh and the release tarball put them.
        let libexec = URL(fileURLWithPath: hostDirectory).appendingPathComponent("../libexec/stephost").standardizedFileURL.path
        for dir in [hostDirectory, libexec] {
            let candidate = (dir as NSString).appendingPathComponent(c)
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        if let path, !path.isEmpty, let found = Command.which(c, path: path) { return found }
        var reason = "'\(c)' was found neither next to stephost (\(hostDirectory)), nor in \(libexec), nor in PATH"
        if c.hasPrefix("stephost-") {
            reason += "; the bundled plugins come with stephost: install it with scripts/install.sh --prefix DIR, or unpack the release tarball whole"
        }
        throw .spawnFailed(plugin: name, descriptor: file, reason: reason)
    }
}

/// The executable that serves the bundled plugins itself, and their names (`stephost-exec`, …): it is
/// started by the name, and serves that plugin.
public struct MultiCall: Sendable {
    public var executable: String
    public var names: Set<String>
    /// Name → the plugin's `initialize` answer, made in-process: the commands that run nothing learn a
    /// bundled plugin's steps without starting it (a process start is most of what `validate` costs).
    public var describe: [String: @Sendable () -> InitializeResult]
    public init(executable: String, names: Set<String>, describe: [String: @Sendable () -> InitializeResult] = [:]) {
        self.executable = executable; self.names = names; self.describe = describe
    }
}

/// What to start for a plugin: an executable, and the name it is started by (nil: its path).
public struct PluginLaunch: Sendable {
    public var executable: String
    public var argv0: String?
    public init(executable: String, argv0: String? = nil) { self.executable = executable; self.argv0 = argv0 }
}
