import Foundation
import StepProcess
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

/// A plugin process spoken to line by line, as `stephost plugin check` needs it: every stdout line
/// kept as it came (the host's own connection stops a plugin at its first stray line), with
/// bounded waits for the next message.
public final class PluginProbe: @unchecked Sendable {
    /// What the readers collect; created before the process so that no early line is lost.
    final class Streams: @unchecked Sendable {
        let cond = NSCondition()
        var out = TailBuffer(maxLines: 1, maxLineBytes: 8 << 20)
        var err = TailBuffer(maxLines: 20, maxLineBytes: 1000)
        var messages: [JSONValue] = []
        var stray: [String] = []
        var stderrLines: [String] = []
        var closed = false

        func stdout(_ chunk: [UInt8]) {
            cond.lock()
            defer { cond.broadcast(); cond.unlock() }
            let lines = chunk.isEmpty ? out.finish() : out.append(chunk)
            if chunk.isEmpty { closed = true }
            for line in lines where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                // A JSON-RPC message: an object with "jsonrpc": "2.0" (the host's own rule for plugin output).
                if let v = try? JSONParser.parse(line), v["jsonrpc"] == "2.0" { messages.append(v) } else { stray.append(String(line.prefix(200))) }
            }
        }

        func stderr(_ chunk: [UInt8]) {
            cond.lock()
            stderrLines += chunk.isEmpty ? err.finish() : err.append(chunk)
            if stderrLines.count > 20 { stderrLines.removeFirst(stderrLines.count - 20) }
            cond.unlock()
        }
    }

    public let process: ChildProcess
    private let streams: Streams

    public init(executable: String, argv0: String? = nil, arguments: [String], environment: [String: String], directory: String) throws(ChildProcess.SpawnError) {
        let s = Streams()
        streams = s
        process = try ChildProcess(executable: executable, argv0: argv0, arguments: arguments, environment: environment, directory: directory,
                                   onStdout: { s.stdout($0) }, onStderr: { s.stderr($0) })
    }

    /// Whether the plugin's stdout has ended (it exited, or closed it).
    public var stdoutClosed: Bool { streams.cond.withLock { streams.closed } }

    /// Every stdout line so far that was not a JSON-RPC message.
    public var strayLines: [String] { streams.cond.withLock { streams.stray } }
    /// The last lines of stderr.
    public var stderrLines: [String] { streams.cond.withLock { streams.stderrLines } }

    /// Writes one line (a newline is added).
    public func send(_ line: String) { process.write(Array((line + "\n").utf8)) }

    /// The next JSON-RPC message, or nil when none comes within `seconds` (or stdout ended).
    public func next(within seconds: Double) -> JSONValue? {
        let deadline = Date().addingTimeInterval(seconds)
        let c = streams.cond
        c.lock()
        defer { c.unlock() }
        while streams.messages.isEmpty && !streams.closed {
            if !c.wait(until: deadline) { break }
        }
        // Not `? nil :` — JSONValue is ExpressibleByNilLiteral, so that nil would be `.null`, a message that never ends a wait.
        if streams.messages.isEmpty { return nil }
        return streams.messages.removeFirst()
    }

    /// Messages until the one that answers `id` (notifications and others come first), within `seconds`.
    public func answer(to id: JSONValue, within seconds: Double) -> (answer: JSONValue?, others: [JSONValue]) {
        let deadline = Date().addingTimeInterval(seconds)
        var others: [JSONValue] = []
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, let m = next(within: left) else { return (nil, others) }
            if m["method"] == nil && m["id"] == id { return (m, others) }
            others.append(m)
        }
    }

    public func closeStdin() { process.closeStdin() }

    /// Processes left in the plugin's process group (it leads its own group), other than itself.
    public var groupMembers: [pid_t] {
        ProcessTree.all().filter { $0.pgid == process.pid && $0.pid != process.pid }.map(\.pid)
    }

    /// Ends the process and its whole group, whatever it is doing.
    public func kill() {
        process.signalGroup(SIGKILL)
        _ = process.waitForExit(seconds: 5)
    }
}
