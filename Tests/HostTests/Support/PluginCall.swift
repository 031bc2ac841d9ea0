import Foundation
import StepProcess
import StepProtocol
import Testing

/// One `step/run` sent to a real plugin executable over its stdin/stdout, the
/// way the host sends it: `initialize`, then the request; collects its
/// notifications and its answer.
struct PluginCall {
    var plugin: String
    var with: [String: JSONValue]
    var workspace: String
    var secrets: [String: String] = [:]
    var run = StepRunRequest.Run(id: "r1", workflow: "wf", environment: nil, event: "push", branch: "main", sha: "", base: "")
    var stepID = "s"
    /// The step's environment (`step.environment` in the request).
    var environment: String?
    var dryRun = false
    var env: [String: String] = [:]
    /// Sends `$/cancel` for the request as soon as this comes true (polled for up to the time limit).
    var cancelWhen: (@Sendable () -> Bool)?

    struct Outcome {
        var result: StepRunResult?
        var error: ResponseError?
        var notifications: [JSONValue]
        var stderr: String
        /// The step's `tempDir`.
        var tempDir = ""
        var logs: [String] { notifications.filter { $0["method"]?.stringValue == "log" }.compactMap { $0["params"]?["message"]?.stringValue } }
        var outputs: [String: JSONValue] { result?.outputs ?? [:] }
        /// Everything the plugin said: logs, answer and stderr.
        var transcript: String { (logs + [result?.json.encoded() ?? "", error.map { "\($0.message) \($0.data?.encoded() ?? "")" } ?? "", stderr]).joined(separator: "\n") }
    }

    func send(timeout: Double = 120) async throws -> Outcome {
        // The multi-call stephost, started by the plugin's name (as the host starts a bundled plugin).
        let exe = TestSupport.stephost
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        let lines = LineCollector()
        let err = TestSupport.Buffer()
        let p = try ChildProcess(executable: exe, argv0: "stephost-\(plugin)", arguments: [], environment: environment, directory: workspace,
                                 onStdout: { lines.add($0) }, onStderr: { err.add($0) })
        let tempDir = TestSupport.tempDir("plugin-tmp")
        let request = StepRunRequest(step: .init(id: stepID, uses: plugin, environment: self.environment), run: run, with: with, secrets: secrets,
                                     workspace: workspace, tempDir: tempDir, dryRun: dryRun)
        p.write(Message.request(id: .number(1), method: "initialize", params: ["protocolVersion": 1]).encodedLine())
        p.write(Message.request(id: .number(2), method: StepRunRequest.method, params: request.json).encodedLine())
        if let cancelWhen {
            #expect(try await TestSupport.waitUntil(timeout, cancelWhen), "the moment to cancel never came")
            p.write(Message.notification(method: CancelNotification.method, params: CancelNotification(id: .number(2)).json).encodedLine())
        }
        let answered = try await TestSupport.waitUntil(timeout) { lines.answer(2) != nil }
        p.closeStdin()
        if !answered { p.signalGroup(SIGKILL) }
        // A plugin exits at end of input; one that does not is killed rather than waited for.
        await TestSupport.waitForExit(p, within: 30)
        #expect(await err.waitEOF(), "\(plugin) exited, but a process it started still holds its stderr open")
        #expect(answered, "\(plugin) did not answer step/run within \(timeout)s: \(err.text)")
        var outcome = Outcome(notifications: lines.all.filter { $0["id"] == nil }, stderr: err.text, tempDir: tempDir)
        if let a = lines.answer(2) {
            if let e = a["error"] { outcome.error = ResponseError(json: e) } else { outcome.result = try StepRunResult(json: a["result"] ?? .null) }
        }
        return outcome
    }

    /// Splits a plugin's stdout into JSON messages.
    final class LineCollector: @unchecked Sendable {
        private let lock = NSLock()
        private var pending: [UInt8] = []
        private var messages: [JSONValue] = []
        func add(_ b: [UInt8]) {
            lock.withLock {
                pending += b
                while let nl = pending.firstIndex(of: 0x0A) {
                    if let m = try? JSONParser.parse(String(decoding: pending[..<nl], as: UTF8.self)) { messages.append(m) }
                    pending.removeSubrange(...nl)
                }
            }
        }
        var all: [JSONValue] { lock.withLock { messages } }
        func answer(_ id: Int) -> JSONValue? { lock.withLock { messages.first { $0["id"]?.intValue == id } } }
    }
}
