import Foundation
import StepMask
import StepProtocol

/// The plugin processes of one run.
///
/// A process serves many steps: `acquire` hands out a live process of the
/// plugin that has room for one more request (`capabilities.concurrency`), and
/// starts a new one only when none has.
public actor PluginPool {
    public struct Settings: Sendable {
        public var hostDirectory: String
        public var workspace: String
        public var hostEnvironment: [String: String]
        public var initTimeout: Double
        public var hostVersion: String
        /// False forces one process per step (for benchmarks and debugging).
        public var reuseProcesses: Bool
        /// Masks the plugins' stderr as it streams in.
        public var masker: Masker
        /// The manifest's `pass-env:`: host variables (names, or prefixes ending in `*`) every plugin sees.
        public var passEnv: [String]
        /// Host variables a secret source names (`env:VAR`): never passed, whatever lists them.
        public var withheld: Set<String>
        /// `--record DIR`: every plugin exchange written there.
        public var recorder: PluginRecorder?
        /// The multi-call `stephost` that serves the bundled plugins by name.
        public var multiCall: MultiCall?
        public init(hostDirectory: String, workspace: String, hostEnvironment: [String: String], initTimeout: Double,
                    hostVersion: String, reuseProcesses: Bool = true, masker: Masker = Masker(),
                    passEnv: [String] = [], withheld: Set<String> = [], multiCall: MultiCall? = nil) {
            self.hostDirectory = hostDirectory; self.workspace = workspace; self.hostEnvironment = hostEnvironment
            self.initTimeout = initTimeout; self.hostVersion = hostVersion; self.reuseProcesses = reuseProcesses
            self.masker = masker; self.passEnv = passEnv; self.withheld = withheld; self.multiCall = multiCall
        }
    }

    /// Host variables every plugin sees; the rest only when its descriptor names them.
    public static let baseEnvironment = ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
                                         "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"]

    /// The CI context every plugin sees: the documented defaults of each CI system, by name (`CIContext`).
    public static func isCIContext(_ name: String) -> Bool { CIContext.allowed.contains(name) }

    /// Whether a `pass-env:` entry (a name, or a prefix ending in `*`) names a variable.
    static func matches(_ entry: String, _ name: String) -> Bool {
        entry.hasSuffix("*") ? name.hasPrefix(entry.dropLast()) : name == entry
    }

    let settings: Settings
    let onStderrLine: @Sendable (PluginConnection, String) -> Void
    private var processes: [String: [PluginConnection]] = [:]
    private var retired: [PluginConnection] = []

    public init(settings: Settings, onStderrLine: @escaping @Sendable (PluginConnection, String) -> Void) {
        self.settings = settings
        self.onStderrLine = onStderrLine
    }

    /// A plugin's environment: the base variables, the CI context, `pass-env:`, its descriptor's `env`;
    /// never a variable a secret source names.
    public static func environment(for d: PluginDescriptor, host: [String: String], passEnv: [String] = [],
                                   withheld: Set<String> = []) -> [String: String] {
        var env: [String: String] = [:]
        for k in baseEnvironment + d.env { if let v = host[k] { env[k] = v } }
        for (k, v) in host where isCIContext(k) || passEnv.contains(where: { matches($0, k) }) { env[k] = v }
        for k in withheld { env.removeValue(forKey: k) }
        env["STEPHOST_PROTOCOL"] = "1"
        return env
    }

    /// A process of this plugin with room for one more request.
    public func acquire(_ d: PluginDescriptor) async throws(PluginError) -> PluginConnection {
        if let c = processes[d.name]?.first(where: { $0.isUsable && $0.active < $0.capabilities.concurrency }) {
            c.active += 1
            return c
        }
        let c = try await start(d)
        c.active += 1
        processes[d.name, default: []].append(c)
        return c
    }

    /// Starts and initializes a process without handing it out (it stays idle for later steps).
    /// A bundled plugin's `initialize` answer without starting it, when the executable can give it in-process.
    public func describeInProcess(_ d: PluginDescriptor) -> InitializeResult? {
        guard let multiCall = settings.multiCall, let name = d.command.first, multiCall.names.contains(name) else { return nil }
        return multiCall.describe[name]?()
    }

    public func warmUp(_ d: PluginDescriptor) async throws(PluginError) -> InitializeResult {
        if let c = processes[d.name]?.first(where: { $0.isUsable }), let r = c.initializeResult { return r }
        let c = try await start(d)
        processes[d.name, default: []].append(c)
        return c.initializeResult!
    }

    private func start(_ d: PluginDescriptor) async throws(PluginError) -> PluginConnection {
        let launch = try d.resolveLaunch(besideHost: settings.hostDirectory, path: settings.hostEnvironment["PATH"], multiCall: settings.multiCall)
        return try await PluginConnection.start(
            descriptor: d, launch: launch, environment: PluginPool.environment(for: d, host: settings.hostEnvironment, passEnv: settings.passEnv,
                                                                                       withheld: settings.withheld),
            workspace: settings.workspace, hostVersion: settings.hostVersion, initTimeout: settings.initTimeout,
            masker: settings.masker, tap: settings.recorder?.tap(for: d), onStderrLine: onStderrLine)
    }

    public func release(_ c: PluginConnection) async {
        c.active -= 1
        let broken = !c.isUsable
        if broken || (!settings.reuseProcesses && c.active == 0) {
            processes[c.name]?.removeAll { $0 === c }
            if broken { retired.append(c) } else { await c.shutdown() }
        }
    }

    /// Shuts every process down (see `PluginConnection.shutdown`), in parallel.
    public func shutdownAll() async {
        let all = processes.values.flatMap { $0 } + retired
        processes = [:]
        retired = []
        await withTaskGroup(of: Void.self) { g in
            for c in all { g.addTask { await c.shutdown() } }
        }
    }
}
