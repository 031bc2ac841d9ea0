import Foundation
import StepMask
import StepProcess
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

/// `stephost run --record DIR`: every message exchanged with every plugin, masked, one JSON line
/// each in `DIR/NAME.jsonl` (`{"process", "from": "host"|"plugin", "step", "message"}`), and the
/// descriptor it ran with in `DIR/NAME.descriptor.json`. `--replay DIR` answers from them.
public final class PluginRecorder: @unchecked Sendable {
    public let directory: String
    let masker: Masker
    private let lock = NSLock()
    private var processes: [String: Int] = [:]
    private var files: [String: Int32] = [:]
    /// Per plugin and process: request id → the step it was for.
    private var steps: [String: String] = [:]
    private var warned = false
    /// Where a file it cannot write is said: the run's warnings (every reporter shows them).
    private let warn: @Sendable (String) -> Void

    public init(directory: String, masker: Masker, warn: @escaping @Sendable (String) -> Void) throws(PluginError) {
        self.directory = directory
        self.masker = masker
        self.warn = warn
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw .recording(path: directory, reason: "--record cannot create it: \(error.localizedDescription)")
        }
    }

    deinit { for fd in files.values { close(fd) } }

    /// The tap of one new process of plugin `d`.
    func tap(for d: PluginDescriptor) -> @Sendable (Bool, [UInt8]) -> Void {
        let process: Int = lock.withLock {
            processes[d.name, default: 0] += 1
            return processes[d.name]!
        }
        if process == 1 { writeDescriptor(d) }
        return { [weak self] fromHost, line in self?.record(d.name, process: process, fromHost: fromHost, line: line) }
    }

    func writeDescriptor(_ d: PluginDescriptor) {
        let json: JSONValue = ["name": .string(d.name), "command": .array(d.command.map(JSONValue.string)),
                               "steps": .array((d.steps ?? []).map(JSONValue.string)), "env": .array(d.env.map(JSONValue.string)),
                               "file": .string(d.file)]
        let file = "\(directory)/\(d.name).descriptor.json"
        if !FileManager.default.createFile(atPath: file, contents: Data((json.prettyEncoded() + "\n").utf8)) {
            let code = errno
            if let w = lock.withLock({ incomplete(file, code) }) { warn(w) }
        }
    }

    /// The warning that the recording lacks something (the run itself goes on), the first time only.
    /// The caller holds the lock, and says it after letting go.
    private func incomplete(_ file: String, _ code: Int32) -> String? {
        guard !warned else { return nil }
        warned = true
        return "--record: cannot write \(file) (\(String(cString: strerror(code)))); the recording is incomplete"
    }

    func record(_ plugin: String, process: Int, fromHost: Bool, line: [UInt8]) {
        let text = String(decoding: line.last == 0x0A ? Array(line.dropLast()) : line, as: UTF8.self)
        guard var message = try? JSONParser.parse(text) else {
            if let w = lock.withLock({ write(plugin, process: process, fromHost: fromHost, message: .string(masker.mask(text))) }) { warn(w) }
            return
        }
        // The tap sees a line before the connection acts on it: a value the plugin asks to mask is
        // masked from this very line on. Secrets sent and mask values are never written, whatever their length.
        if !fromHost, message["method"] == .string(MaskNotification.method), let value = message["params"]?["value"]?.stringValue {
            masker.add(value)
            message = message.replacing(path: ["params", "value"], with: "***")
        }
        if fromHost, message["method"] == .string(StepRunRequest.method), let secrets = message["params"]?["secrets"]?.objectValue {
            message = message.replacing(path: ["params", "secrets"], with: .object(secrets.mapValues { _ in "***" }))
        }
        message = masker.mask(message)
        if let w = lock.withLock({ write(plugin, process: process, fromHost: fromHost, message: message) }) { warn(w) }
    }

    /// Appends one exchanged message to the plugin's file; the warning when it cannot. The caller holds the lock.
    private func write(_ plugin: String, process: Int, fromHost: Bool, message: JSONValue) -> String? {
        // The step a message belongs to: a step/run's own, its answer's, its notifications'.
        let key = { (id: JSONValue?) in "\(plugin)/\(process)/\(id?.encoded() ?? "")" }
        var step: String?
        if fromHost, message["method"] == "step/run", let s = message["params"]?["step"]?["id"]?.stringValue {
            steps[key(message["id"])] = s
            step = s
        } else if let id = message["id"], !id.isNull {
            step = steps[key(id)]
        } else if let id = message["params"]?["id"] {
            step = steps[key(id)]
        }
        let file = "\(directory)/\(plugin).jsonl"
        var fd = files[plugin] ?? -1
        if fd < 0 {
            fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return incomplete(file, errno) }
            files[plugin] = fd
        }
        let entry = JSONValue.compactObject(["process": .int(process), "from": .string(fromHost ? "host" : "plugin"),
                                            "step": step.map(JSONValue.string), "message": message])
        let code = FileDescriptor.writeAll(fd, Array((entry.encoded() + "\n").utf8))
        return code != 0 ? incomplete(file, code) : nil
    }
}
