import Foundation
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

/// `stephost plugin check`: runs a plugin through the protocol from the outside and reports every
/// rule it can test, one result each — PASS, FAIL (what was sent, what came back, the rule) or
/// SKIP (why). Nothing it sends changes anything: steps are sent as dry runs.
public struct PluginCheck: Sendable {
    public struct Target: Sendable {
        public var label: String
        public var executable: String
        /// The name it is started by (a bundled plugin of the multi-call `stephost`); nil: its path.
        public var argv0: String?
        public var arguments: [String]
        public var environment: [String: String]
        public var directory: String
        public init(label: String, executable: String, argv0: String? = nil, arguments: [String], environment: [String: String], directory: String) {
            self.label = label; self.executable = executable; self.argv0 = argv0; self.arguments = arguments; self.environment = environment
            self.directory = directory
        }
    }

    public enum Status: String, Sendable { case pass = "PASS", fail = "FAIL", skip = "SKIP" }

    public struct Result: Sendable {
        public var rule: String
        public var status: Status
        /// Why it failed or was skipped, or a detail of the pass.
        public var detail: String = ""
        public var sent: String?
        public var received: String?

        public var line: String {
            var s = "\(status.rawValue)  \(rule)"
            if !detail.isEmpty { s += ": \(detail)" }
            if status == .fail {
                if let sent { s += "\n      sent:     \(sent)" }
                s += "\n      received: " + (received ?? "nothing").replacingOccurrences(of: "\n", with: "\n                ")
            }
            return s
        }

        public var json: JSONValue {
            .compactObject(["rule": .string(rule), "status": .string(status.rawValue), "detail": detail.isEmpty ? nil : .string(detail),
                            "sent": sent.map(JSONValue.string), "received": received.map(JSONValue.string)])
        }
    }

    public var target: Target
    public var initTimeout: Double = 30
    public var cancelGrace: Double = 10
    /// How long a plugin has to answer a request that does no work (unknown method, bad input).
    public var answerTimeout: Double = 5

    public init(target: Target) { self.target = target }

    /// Runs every check; the plugin is stopped (with everything it started) at the end.
    public func run() -> [Result] {
        var out: [Result] = []
        let probe: PluginProbe
        do {
            probe = try PluginProbe(executable: target.executable, argv0: target.argv0, arguments: target.arguments, environment: target.environment,
                                    directory: target.directory)
        } catch {
            return [Result(rule: "the plugin starts", status: .fail, detail: error.description)]
        }
        defer { probe.kill() }
        var session = Session(check: self, probe: probe)
        out += session.initialize()
        if let result = session.initResult {
            out += session.requests(result)
            out += session.shutdown()
        }
        out.append(session.strayOutput())
        out.append(session.children())
        if session.initResult != nil { out.append(endOfFile()) }
        return out
    }

    /// A second process: initialize, then close stdin; it must exit on its own.
    func endOfFile() -> Result {
        let rule = "the process exits when stdin reaches end of file (5 s)"
        guard let probe = try? PluginProbe(executable: target.executable, argv0: target.argv0, arguments: target.arguments, environment: target.environment,
                                           directory: target.directory) else {
            return Result(rule: rule, status: .skip, detail: "a second process could not start")
        }
        defer { probe.kill() }
        let initialize = Self.request(1, "initialize", ["protocolVersion": 1, "host": ["name": "stephost", "version": "check"]])
        probe.send(initialize)
        guard probe.answer(to: 1, within: initTimeout).answer != nil else {
            return Result(rule: rule, status: .skip, detail: "the second process did not answer initialize")
        }
        probe.closeStdin()
        guard let status = probe.process.waitForExit(seconds: 5) else {
            return Result(rule: rule, status: .fail, detail: "still running 5 s after its stdin closed (without shutdown)",
                          sent: "initialize, then end of file", received: nil)
        }
        return Result(rule: rule, status: .pass, detail: "\(status)")
    }

    static func request(_ id: Int, _ method: String, _ params: JSONValue) -> String {
        // No params at all rather than null: JSON-RPC allows only an object or an array there.
        Message.request(id: .number(id), method: method, params: params.isNull ? JSONValue?.none : params).json().encoded()
    }

    static func show(_ v: JSONValue?) -> String? { v.map { String($0.encoded().prefix(300)) } }
}
