import Foundation
import StepManifest

/// Every plugin descriptor stephost can see, in search order: `--plugin`
/// options, `--plugins` folders, `STEPHOST_PLUGIN_PATH`, the `plugins.d/` beside
/// the manifest, the installed `plugins.d` (beside the `stephost` executable, or
/// `../share/stephost/plugins.d` from it), then the bundled plugins.
public struct PluginCatalog: Sendable {
    /// `--plugin NAME=COMMAND` descriptors; their steps come from `initialize`.
    public var overrides: [PluginDescriptor]
    /// One entry per folder (and the bundled set last), each a list of descriptors.
    public var layers: [[PluginDescriptor]]

    /// A plugin given on the command line (`--plugin NAME=COMMAND`, or a `--replay` recording):
    /// a name and an argv, never text to split again.
    public struct Override: Sendable, Equatable {
        public var name: String
        public var command: [String]
        /// How the user gave it, for messages (`--plugin exec=./fake.sh`).
        public var origin: String
        public init(name: String, command: [String], origin: String) {
            self.name = name; self.command = command; self.origin = origin
        }
    }

    public struct Search: Sendable {
        public var overrides: [Override]
        public var directories: [String]
        public var pluginPath: String?
        public var manifestDirectory: String?
        public var currentDirectory: String
        /// The folder of the `stephost` executable, for the installed `plugins.d`.
        public var hostDirectory: String?
        public init(overrides: [Override] = [], directories: [String] = [], pluginPath: String? = nil,
                    manifestDirectory: String? = nil, currentDirectory: String, hostDirectory: String? = nil) {
            self.overrides = overrides; self.directories = directories; self.pluginPath = pluginPath
            self.manifestDirectory = manifestDirectory; self.currentDirectory = currentDirectory; self.hostDirectory = hostDirectory
        }
    }

    public static func load(_ search: Search) throws(PluginError) -> PluginCatalog {
        var overrides: [PluginDescriptor] = []
        for o in search.overrides {
            var command = o.command
            guard !command.isEmpty else { throw .badOverride("\(o.origin): the command is empty") }
            // Relative paths are relative to the current directory, but plugins run in the
            // workspace: arguments that name existing files are made absolute here.
            for k in command.indices.dropFirst() where command[k].contains("/") && !command[k].hasPrefix("/") {
                let candidate = Paths.absolute(command[k], search.currentDirectory)
                if FileManager.default.fileExists(atPath: candidate) { command[k] = candidate }
            }
            if overrides.contains(where: { $0.name == o.name }) { continue }  // the first one for a NAME wins
            overrides.append(PluginDescriptor(name: o.name, command: command, steps: nil, file: o.origin,
                                              origin: .commandLine, baseDirectory: search.currentDirectory))
        }
        var dirs = search.directories.map { Paths.absolute($0, search.currentDirectory) }
        for p in (search.pluginPath ?? "").split(separator: ":") where !p.isEmpty { dirs.append(Paths.absolute(String(p), search.currentDirectory)) }
        if let m = search.manifestDirectory { dirs.append((m as NSString).appendingPathComponent("plugins.d")) }
        if let h = search.hostDirectory {
            dirs.append((h as NSString).appendingPathComponent("plugins.d"))
            dirs.append(URL(fileURLWithPath: h).appendingPathComponent("../share/stephost/plugins.d").standardizedFileURL.path)
        }
        var layers: [[PluginDescriptor]] = []
        var seen = Set<String>()
        for d in dirs where seen.insert(d).inserted {
            layers.append(try loadDirectory(d))
        }
        layers.append(try BundledPlugins.descriptors())
        return PluginCatalog(overrides: overrides, layers: layers)
    }

    /// Reads every `*.yaml`, `*.yml` and `*.json` in a folder; a missing folder is empty.
    public static func loadDirectory(_ dir: String) throws(PluginError) -> [PluginDescriptor] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        var out: [PluginDescriptor] = []
        var claimedBy: [String: String] = [:]
        for n in names.sorted() where n.hasSuffix(".yaml") || n.hasSuffix(".yml") || n.hasSuffix(".json") {
            let file = (dir as NSString).appendingPathComponent(n)
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw .badDescriptor(file: file, message: "\(file): cannot be read as UTF-8 text")
            }
            let d = try PluginDescriptor.parse(text, file: file, origin: .directory(dir), baseDirectory: dir)
            for s in d.steps ?? [] {
                if let other = claimedBy[s] { throw .duplicateStep(step: s, files: [other, file]) }
                claimedBy[s] = file
            }
            out.append(d)
        }
        return out
    }

    /// The descriptor (not an override) that provides `step`, skipping descriptors an override replaces.
    public func descriptor(forStep step: String) -> PluginDescriptor? {
        let replaced = Set(overrides.map(\.name))
        for layer in layers {
            if let d = layer.first(where: { !replaced.contains($0.name) && ($0.steps ?? []).contains(step) }) { return d }
        }
        return nil
    }

    /// Every descriptor that is not shadowed by an earlier one of the same name.
    public var visibleDescriptors: [PluginDescriptor] {
        var names = Set(overrides.map(\.name))
        var out = overrides
        for layer in layers {
            for d in layer where names.insert(d.name).inserted { out.append(d) }
        }
        return out
    }

    /// Step names the descriptors claim (overrides are not known before `initialize`).
    public var knownStepNames: [String] {
        Array(Set(visibleDescriptors.flatMap { $0.steps ?? [] })).sorted()
    }
}
