import StepProcess
import Foundation
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The host's side of the protocol with one plugin process.
///
/// Requests are numbered per connection; replies are matched by id, so a
/// notification or an answer from an attempt that was cancelled is never taken
/// for another. Once the process breaks the protocol, exits or is terminated,
/// every outstanding and later request fails with the same `PluginFailure`.
public final class PluginConnection: @unchecked Sendable {
    public enum Reply: Sendable {
        case result(JSONValue)
        case error(ResponseError)
        case failed(PluginFailure)
    }

    public enum Notice: Sendable {
        case log(LogNotification)
        case progress(ProgressNotification)
        case mask(MaskNotification)
    }

    /// How far the host had to go to stop the process.
    public enum Teardown: Int, Sendable, Comparable, CustomStringConvertible {
        case none, cancelRequested, sigterm, sigkill
        public static func < (a: Teardown, b: Teardown) -> Bool { a.rawValue < b.rawValue }
        public var description: String {
            switch self {
            case .none: return "no teardown"
            case .cancelRequested: return "stopped after $/cancel"
            case .sigterm: return "process group sent SIGTERM"
            case .sigkill: return "process group sent SIGKILL"
            }
        }
    }

    public let descriptor: PluginDescriptor
    public private(set) var process: ChildProcess!
    public private(set) var initializeResult: InitializeResult?

    private let lock = NSLock()
    private var framer = LineFramer()
    private var stderr = TailBuffer()
    private var nextID = 1
    private var outstanding: Set<RequestID> = []
    private var waiting: [RequestID: CheckedContinuation<Reply, Never>] = [:]
    private var early: [RequestID: Reply] = [:]
    private var listeners: [RequestID: @Sendable (Notice) -> Void] = [:]
    private var failure: PluginFailure?
    private var teardownLevel: Teardown = .none
    private var shuttingDown = false
    private let onStderrLine: @Sendable (PluginConnection, String) -> Void
    private var steps: [String] = []
    private var lastSteps: [String] = []
    /// Signalled when stderr reaches end of file, so a failure report has the complete tail.
    private let stderrEnded = DispatchSemaphore(value: 0)

    /// Ids of the steps this process's stderr belongs to: the ones it serves now,
    /// or else the ones it served last (stderr is another pipe, read by another
    /// thread, so a step's last lines may arrive just after its answer).
    public var currentSteps: [String] { lock.withLock { steps.isEmpty ? lastSteps : steps } }
    public func beginServing(_ step: String) { lock.withLock { steps.append(step); lastSteps = [] } }
    public func endServing(_ step: String) {
        lock.withLock {
            if let k = steps.firstIndex(of: step) { steps.remove(at: k) }
            if steps.isEmpty { lastSteps = [step] }
        }
    }

    /// Requests in flight, for the pool.
    var active = 0

    private init(descriptor: PluginDescriptor, onStderrLine: @escaping @Sendable (PluginConnection, String) -> Void) {
        self.descriptor = descriptor
        self.onStderrLine = onStderrLine
    }

    public var name: String { descriptor.name }
    public var capabilities: Capabilities { initializeResult?.capabilities ?? Capabilities() }
    public var isUsable: Bool { lock.lock(); defer { lock.unlock() }; return failure == nil && !shuttingDown }
    public var teardown: Teardown { lock.lock(); defer { lock.unlock() }; return teardownLevel }
    public var stderrTail: [String] { lock.lock(); defer { lock.unlock() }; return stderr.lastLines }

    /// Starts the plugin's process and initializes it.
    public static func start(
        descriptor: PluginDescriptor, executable: String, environment: [String: String], workspace: String,
        hostVersion: String, initTimeout: Double, onStderrLine: @escaping @Sendable (PluginConnection, String) -> Void
    ) async throws(PluginError) -> PluginConnection {
        let c = PluginConnection(descriptor: descriptor, onStderrLine: onStderrLine)
        do {
            c.process = try ChildProcess(
                executable: executable, arguments: Array(descriptor.command.dropFirst()), environment: environment,
                directory: workspace,
                onStdout: { [weak c] bytes in c?.receiveStdout(bytes) },
                onStderr: { [weak c] bytes in c?.receiveStderr(bytes) })
        } catch {
            throw .spawnFailed(plugin: descriptor.name, descriptor: descriptor.file, reason: error.description)
        }
        let id = c.startRequest(InitializeRequest.method, InitializeRequest(hostVersion: hostVersion).json)
        let timer = DispatchWorkItem { [weak c] in
            c?.fail(PluginFailure(.timedOut, "initialize timed out"), terminate: true)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + initTimeout, execute: timer)
        let reply = await c.awaitReply(id)
        timer.cancel()
        switch reply {
        case .failed(let f):
            await c.forceStop()
            if f.kind == .timedOut { throw .initializeTimeout(plugin: descriptor.name, seconds: initTimeout, stderr: c.stderrTail) }
            throw .initializeFailed(plugin: descriptor.name, reason: f.message, stderr: f.stderrTail)
        case .error(let e):
            await c.forceStop()
            throw .initializeFailed(plugin: descriptor.name, reason: "it answered an error: \(e.message) (\(e.code))", stderr: c.stderrTail)
        case .result(let value):
            let result: InitializeResult
            do { result = try InitializeResult(json: value) } catch {
                if let v = value["protocolVersion"]?.intValue, v != InitializeRequest.currentProtocolVersion {
                    await c.forceStop()
                    throw .versionMismatch(plugin: descriptor.name, host: InitializeRequest.currentProtocolVersion, pluginVersion: v)
                }
                await c.forceStop()
                throw .initializeFailed(plugin: descriptor.name, reason: "its initialize result is malformed: \(error)", stderr: c.stderrTail)
            }
            guard result.protocolVersion == InitializeRequest.currentProtocolVersion else {
                await c.forceStop()
                throw .versionMismatch(plugin: descriptor.name, host: InitializeRequest.currentProtocolVersion, pluginVersion: result.protocolVersion)
            }
            c.initializeResult = result
            return c
        }
    }

    // MARK: - Requests

    /// Sends a request and returns its id; `listener` gets the notifications that carry this id.
    public func startRequest(_ method: String, _ params: JSONValue?, listener: (@Sendable (Notice) -> Void)? = nil) -> RequestID {
        lock.lock()
        let id = RequestID.number(nextID)
        nextID += 1
        if let f = failure {
            early[id] = .failed(f)
            lock.unlock()
            return id
        }
        outstanding.insert(id)
        if let listener { listeners[id] = listener }
        lock.unlock()
        process.write(Message.request(id: id, method: method, params: params).encodedLine())
        return id
    }

    /// Waits for the reply to a request sent with `startRequest`.
    public func awaitReply(_ id: RequestID) async -> Reply {
        await withCheckedContinuation { (c: CheckedContinuation<Reply, Never>) in
            lock.lock()
            if let r = early.removeValue(forKey: id) {
                listeners[id] = nil
                lock.unlock()
                c.resume(returning: r)
                return
            }
            waiting[id] = c
            lock.unlock()
        }
    }

    /// Whether a request still waits for its answer.
    public func isOutstanding(_ id: RequestID) -> Bool { lock.lock(); defer { lock.unlock() }; return outstanding.contains(id) }

    public func notify(_ method: String, _ params: JSONValue?) {
        guard isUsable else { return }
        process.write(Message.notification(method: method, params: params).encodedLine())
    }

    /// Asks the plugin to stop one request: `$/cancel` when it supports it, else SIGTERM at once.
    public func cancel(_ id: RequestID) {
        guard isOutstanding(id) else { return }
        if capabilities.cancel {
            lock.lock(); teardownLevel = max(teardownLevel, .cancelRequested); lock.unlock()
            notify(CancelNotification.method, CancelNotification(id: id).json)
        } else {
            terminate(reason: "plugin process terminated (it does not support $/cancel)")
        }
    }

    /// SIGTERM to the process group, SIGKILL 5 s later; outstanding requests fail.
    public func terminate(reason: String) {
        lock.lock()
        let already = teardownLevel >= .sigterm
        teardownLevel = max(teardownLevel, .sigterm)
        if failure == nil { failure = PluginFailure(.terminated, reason) }
        lock.unlock()
        guard !already else { return }
        process.signalGroup(SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + 5) { [self] in
            if process.exitStatus == nil {
                lock.lock(); teardownLevel = .sigkill; lock.unlock()
            }
            process.signalGroup(SIGKILL)
        }
    }

    /// Ends the process now (after a failed start).
    func forceStop() async {
        process.closeStdin()
        process.signalGroup(SIGKILL)
        _ = await process.waitForExit()
    }

    /// `shutdown`, close stdin, wait; then SIGTERM and SIGKILL to the group if it lingers.
    public func shutdown() async {
        let healthy = lock.withLock { shuttingDown = true; return failure == nil }
        if healthy {
            let id = startRequest(ShutdownRequest.method, nil)
            let timer = DispatchWorkItem { [weak self] in self?.resolve(id, .failed(PluginFailure(.timedOut, "shutdown timed out"))) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 5, execute: timer)
            _ = await awaitReply(id)
            timer.cancel()
        }
        process.closeStdin()
        let lingering = DispatchWorkItem { [self] in
            lock.withLock { teardownLevel = max(teardownLevel, .sigterm) }
            process.signalGroup(SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) { [self] in
                if process.exitStatus == nil { lock.lock(); teardownLevel = .sigkill; lock.unlock() }
                process.signalGroup(SIGKILL)
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + (healthy ? 5 : 0), execute: lingering)
        _ = await process.waitForExit()
        lingering.cancel()
        // Whatever the plugin left behind in its process group goes with it.
        process.signalGroup(SIGKILL)
    }

    // MARK: - Incoming

    private func resolve(_ id: RequestID, _ reply: Reply) {
        lock.lock()
        guard outstanding.remove(id) != nil else { lock.unlock(); return }
        listeners[id] = nil
        if let c = waiting.removeValue(forKey: id) {
            lock.unlock()
            c.resume(returning: reply)
        } else {
            early[id] = reply
            lock.unlock()
        }
    }

    /// Fails every outstanding and later request.
    func fail(_ f: PluginFailure, terminate shouldTerminate: Bool) {
        lock.lock()
        if failure == nil { failure = f }
        let failure = self.failure!
        let ids = outstanding
        lock.unlock()
        for id in ids { resolve(id, .failed(failure)) }
        if shouldTerminate { terminate(reason: failure.message) }
    }

    private func violation(_ what: String, line: [UInt8]?) {
        var m = "plugin '\(name)' broke the protocol: \(what)"
        if let line {
            let shown = String(decoding: line.prefix(200), as: UTF8.self)
            m += ": \(JSONValue.string(shown).encoded())\(line.count > 200 ? "…" : "")"
        }
        fail(PluginFailure(.protocolViolation, m, stderrTail: stderrTail), terminate: true)
    }

    private func receiveStdout(_ bytes: [UInt8]) {
        if bytes.isEmpty { return stdoutClosed() }
        lock.lock()
        let items = framer.append(bytes)
        let broken = failure != nil && failure!.kind == .protocolViolation
        lock.unlock()
        if broken { return }
        for item in items {
            switch item {
            case .tooLong(let n):
                return violation("a stdout line is longer than 8 MiB (\(n) bytes so far)", line: nil)
            case .line(let line):
                if !handle(line) { return }
            }
        }
    }

    /// Handles one stdout line; false after a protocol violation.
    private func handle(_ line: [UInt8]) -> Bool {
        let message: Message
        do { message = try Message.decode(line: line) } catch {
            let why = error.message.replacingOccurrences(of: "Parse error: ", with: "").replacingOccurrences(of: "Invalid Request: ", with: "")
            violation(error.code == .parseError ? "a stdout line is not JSON (\(why))" : "a stdout line is not a JSON-RPC 2.0 message (\(why))", line: line)
            return false
        }
        switch message {
        case .response(let id, let result):
            guard isOutstanding(id) else { violation("a response to unknown request id \(id)", line: line); return false }
            resolve(id, .result(result))
        case .errorResponse(let id?, let error):
            guard isOutstanding(id) else { violation("an error response to unknown request id \(id)", line: line); return false }
            resolve(id, .error(error))
        case .errorResponse(nil, let error):
            violation("an error response without an id (\(error.message))", line: line)
            return false
        case .notification(let method, let params):
            let notice: Notice?
            switch method {
            case LogNotification.method: notice = (try? LogNotification(json: params ?? .null)).map(Notice.log)
            case ProgressNotification.method: notice = (try? ProgressNotification(json: params ?? .null)).map(Notice.progress)
            case MaskNotification.method: notice = (try? MaskNotification(json: params ?? .null)).map(Notice.mask)
            default: notice = nil  // unknown notifications are ignored
            }
            guard let notice else { break }
            let id: RequestID
            switch notice {
            case .log(let n): id = n.id
            case .progress(let n): id = n.id
            case .mask(let n): id = n.id
            }
            lock.lock()
            let listener = listeners[id]
            lock.unlock()
            listener?(notice)
        case .request(let id, let method, _):
            process.write(Message.errorResponse(id: id, error: ResponseError(code: .methodNotFound, message: "Method not found: \(method)")).encodedLine())
        }
        return true
    }

    private func stdoutClosed() {
        lock.lock()
        let rest = framer.finish()
        lock.unlock()
        for case .line(let l) in rest { if !handle(l) { break } }
        // Every answer the plugin wrote has been read; now learn why stdout ended,
        // and let stderr drain (bounded: a grandchild may hold it open).
        let status = process.waitForExit(seconds: 2)
        if status != nil, stderrEnded.wait(timeout: .now() + 1) == .success { stderrEnded.signal() }
        lock.lock()
        let tail = stderr.lastLines
        let terminatedByHost = teardownLevel >= .sigterm
        lock.unlock()
        if let status {
            let what = terminatedByHost ? "plugin process terminated" : "plugin '\(name)' exited (\(status))"
            fail(PluginFailure(terminatedByHost ? .terminated : .exited, what + " while a request was outstanding", stderrTail: tail), terminate: false)
            process.signalGroup(SIGKILL)
        } else {
            fail(PluginFailure(.stdoutClosed, "plugin '\(name)' closed its stdout while still running", stderrTail: tail), terminate: true)
        }
    }

    private func receiveStderr(_ bytes: [UInt8]) {
        lock.lock()
        let lines = bytes.isEmpty ? stderr.finish() : stderr.append(bytes)
        lock.unlock()
        for l in lines { onStderrLine(self, l) }
        if bytes.isEmpty { stderrEnded.signal() }
    }
}
