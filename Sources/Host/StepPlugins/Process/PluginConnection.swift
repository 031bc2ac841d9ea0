import Foundation
import StepMask
import StepProcess
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
            case .cancelRequested: return "stopped when asked to"
            case .sigterm: return "asked the plugin to stop, then sent its processes SIGTERM"
            case .sigkill: return "asked the plugin to stop, then sent its processes SIGTERM and SIGKILL"
            }
        }
    }

    public let descriptor: PluginDescriptor
    public private(set) var process: ChildProcess!
    public private(set) var initializeResult: InitializeResult?

    // State below is shared with PluginConnection+Incoming.swift; every access holds `lock`.
    let lock = NSLock()
    var framer = LineFramer()
    var stderr = TailBuffer()
    /// Masks stderr before it is split into lines or truncated, so no line holds part of a secret.
    var stderrMask: MaskStream
    /// The run's secrets: what the connection quotes from the plugin is masked before it is shortened.
    let masker: Masker
    var nextID = 1
    var outstanding: Set<RequestID> = []
    var waiting: [RequestID: CheckedContinuation<Reply, Never>] = [:]
    var early: [RequestID: Reply] = [:]
    var listeners: [RequestID: @Sendable (Notice) -> Void] = [:]
    var failure: PluginFailure?
    var teardownLevel: Teardown = .none
    var shuttingDown = false
    let onStderrLine: @Sendable (PluginConnection, String) -> Void
    var steps: [String] = []
    var lastSteps: [String] = []
    /// Signalled when stderr reaches end of file, so a failure report has the complete tail.
    let stderrEnded = DispatchSemaphore(value: 0)

    /// Ids of the steps this process's stderr belongs to: the ones it serves now,
    /// or else the ones it served last (stderr is another pipe, read by another
    /// thread, so a step's last lines may arrive just after its answer).
    public var currentSteps: [String] { lock.withLock { steps.isEmpty ? lastSteps : steps } }
    public func beginServing(_ step: String) {
        lock.withLock {
            // From here on, lines may be any of these steps' (stderr lags behind the step that wrote it).
            if !steps.isEmpty { overlapped.formUnion(steps); overlapped.insert(step) }
            steps.append(step); lastSteps = []; stepTails[step] = []
        }
    }

    /// Per step: the stderr lines that arrived while this process served it, the last 40. Once
    /// another step has started on the process while it is served, its later lines may be the
    /// other's (even after that one ended: the pipe lags), and say so.
    var stepTails: [String: [String]] = [:]
    var overlapped = Set<String>()
    static let stepTailLines = 40
    static let sharedMark = "(may be another step's) "

    /// The stderr lines of one step (see `stepTails`), forgotten once taken.
    public func takeStderrTail(for step: String) -> [String] {
        lock.withLock { overlapped.remove(step); return stepTails.removeValue(forKey: step) ?? [] }
    }
    public func endServing(_ step: String) {
        lock.withLock {
            if let k = steps.firstIndex(of: step) { steps.remove(at: k) }
            if steps.isEmpty { lastSteps = [step] }
        }
    }

    /// Requests in flight, for the pool.
    var active = 0
    /// Sees every line exchanged (true: the host's), for `--record`; set before the process starts.
    private(set) var tap: (@Sendable (_ fromHost: Bool, _ line: [UInt8]) -> Void)?

    /// Writes one message line to the plugin (and to the tap).
    func write(_ line: [UInt8]) {
        tap?(true, line)
        process.write(line)
    }

    private init(descriptor: PluginDescriptor, masker: Masker, onStderrLine: @escaping @Sendable (PluginConnection, String) -> Void) {
        self.descriptor = descriptor
        self.masker = masker
        self.stderrMask = MaskStream(masker)
        self.onStderrLine = onStderrLine
    }

    public var name: String { descriptor.name }
    public var capabilities: Capabilities { initializeResult?.capabilities ?? Capabilities() }
    public var isUsable: Bool { lock.lock(); defer { lock.unlock() }; return failure == nil && !shuttingDown }
    public var teardown: Teardown { lock.lock(); defer { lock.unlock() }; return teardownLevel }
    public var stderrTail: [String] { lock.lock(); defer { lock.unlock() }; return stderr.lastLines }

    /// Starts the plugin's process and initializes it.
    public static func start(
        descriptor: PluginDescriptor, launch: PluginLaunch, environment: [String: String], workspace: String,
        hostVersion: String, initTimeout: Double, masker: Masker = Masker(),
        tap: (@Sendable (_ fromHost: Bool, _ line: [UInt8]) -> Void)? = nil,
        onStderrLine: @escaping @Sendable (PluginConnection, String) -> Void
    ) async throws(PluginError) -> PluginConnection {
        let c = PluginConnection(descriptor: descriptor, masker: masker, onStderrLine: onStderrLine)
        c.tap = tap
        do {
            c.process = try ChildProcess(
                executable: launch.executable, argv0: launch.argv0, arguments: Array(descriptor.command.dropFirst()), environment: environment,
                directory: workspace,
                onStdout: { [weak c] bytes in c?.receiveStdout(bytes) },
                onStderr: { [weak c] bytes in c?.receiveStderr(bytes) })
        } catch {
            throw .spawnFailed(plugin: descriptor.name, descriptor: descriptor.file, reason: error.description)
        }
        let id = c.startRequest(InitializeRequest.method, InitializeRequest(hostVersion: hostVersion).json)
        // Only while the answer has not come: on a loaded machine the timer can fire after the answer
        // arrived but before this task resumed to cancel it.
        let timer = DispatchWorkItem { [weak c] in
            guard let c, c.isOutstanding(id) else { return }
            c.fail(PluginFailure(.timedOut, "initialize timed out"), terminate: true)
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
        write(Message.request(id: id, method: method, params: params).encodedLine())
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
        write(Message.notification(method: method, params: params).encodedLine())
    }

    /// Asks the plugin to stop one request: `$/cancel` when it supports it, else SIGTERM at once.
    public func cancel(_ id: RequestID) {
        guard isOutstanding(id) else { return }
        if capabilities.cancel {
            lock.lock(); teardownLevel = max(teardownLevel, .cancelRequested); lock.unlock()
            notify(CancelNotification.method, CancelNotification(id: id).json)
        } else {
            terminate(reason: "plugin process stopped with signals (it does not support being asked to stop a step)")
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
        stopProcess()
    }

    /// SIGTERM to the group, SIGKILL 5 s later (recorded when the plugin was still running).
    private func stopProcess() {
        process.stop(.group, grace: 5, sweep: true) { [self] in lock.withLock { teardownLevel = .sigkill } }
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
            stopProcess()
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + (healthy ? 5 : 0), execute: lingering)
        _ = await process.waitForExit()
        lingering.cancel()
        // Whatever the plugin left behind in its process group goes with it.
        process.signalGroup(SIGKILL)
    }
}
