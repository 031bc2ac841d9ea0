import Foundation
import StepProcess
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

/// Serves protocol v1 on stdin/stdout for a Swift plugin.
///
/// ```swift
/// let server = PluginServer(name: "hello", version: "1.0.0")
/// server.register(StepDescription(name: "hello")) { step in
///     step.log("hello, \(step.request.with["who"]?.stringValue ?? "world")")
///     return StepRunResult(outputs: ["greeted": true])
/// }
/// server.run()
/// ```
///
/// On start it keeps a duplicate of stdout for the protocol and points fd 1 at
/// stderr, so a stray `print` can never corrupt the protocol.
public final class PluginServer: @unchecked Sendable {
    public typealias Handler = @Sendable (StepContext) async throws -> StepRunResult

    public let name: String
    public let version: String
    public var capabilities: Capabilities
    private var steps: [(StepDescription, Handler)] = []
    private let lock = NSLock()
    nonisolated(unsafe) private static var protocolFD: Int32 = 1
    /// The descriptor the protocol is written to (a duplicate of the original stdout).
    public static var protocolFileDescriptor: Int32 { protocolFD }
    private var tasks: [RequestID: Task<Void, Never>] = [:]
    private var contexts: [RequestID: StepContext] = [:]
    /// Set by `run()`, once the protocol's descriptor is known.
    nonisolated(unsafe) private var writer: ProtocolWriter?

    public init(name: String, version: String, capabilities: Capabilities = Capabilities(concurrency: 1, dryRun: true, cancel: true)) {
        self.name = name
        self.version = version
        self.capabilities = capabilities
    }

    /// What it answers to `initialize`.
    public var initializeResult: InitializeResult {
        InitializeResult(pluginName: name, pluginVersion: version, steps: steps.map(\.0), capabilities: capabilities)
    }

    /// Adds a step; its inputs are validated against `description.inputs` before the handler runs.
    public func register(_ description: StepDescription, handler: @escaping Handler) {
        steps.append((description, handler))
    }

    /// Serves until stdin ends, then exits 0.
    public func run() -> Never {
        signal(SIGPIPE, SIG_IGN)
        PluginServer.protocolFD = dup(1)
        _ = fcntl(PluginServer.protocolFD, F_SETFD, FD_CLOEXEC)
        dup2(2, 1)
        writer = ProtocolWriter(fd: PluginServer.protocolFD)
        let reader = Thread { [self] in
            var framer = LineFramer()
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                for item in framer.append(buf[0..<n]) { handle(item) }
            }
            for item in framer.finish() { handle(item) }
            // stdin closed: the host is gone or done. Stop what runs and exit.
            for c in lock.withLock({ Array(contexts.values) }) { c.stopChildren() }
            writer?.flush()
            exit(0)
        }
        reader.stackSize = 4 << 20
        reader.start()
        while true { sleep(1000) }
    }

    /// Sends a message: an answer goes out at once, a notification with the next batch.
    func send(_ m: Message) {
        switch m {
        case .notification: write(m.encodedLine(), now: false)
        default: write(m.encodedLine(), now: true)
        }
    }

    /// Writes one encoded line (ended by `\n`) to the protocol stream, after everything sent before it.
    func write(_ line: [UInt8], now: Bool) {
        if let writer { writer.send(line, now: now) } else { _ = FileDescriptor.writeAll(PluginServer.protocolFD, line) }
    }

    private func handle(_ item: LineFramer.Item) {
        guard case .line(let line) = item else {
            send(.errorResponse(id: nil, error: ResponseError(code: .invalidRequest, message: "Invalid Request: line longer than 8 MiB")))
            return
        }
        let message: Message
        do { message = try Message.decode(line: line) } catch {
            send(.errorResponse(id: error.id, error: ResponseError(code: error.code, message: error.message)))
            return
        }
        switch message {
        case .request(let id, let method, let params):
            switch method {
            case InitializeRequest.method:
                send(.response(id: id, result: initializeResult.json))
            case StepRunRequest.method: startStep(id, params ?? .null)
            case ShutdownRequest.method: send(.response(id: id, result: .null))
            default: send(.errorResponse(id: id, error: ResponseError(code: .methodNotFound, message: "Method not found: \(method)")))
            }
        case .notification(let method, let params):
            if method == CancelNotification.method, let c = try? CancelNotification(json: params ?? .null) {
                let (task, ctx) = lock.withLock { (tasks[c.id], contexts[c.id]) }
                ctx?.markCancelled()
                task?.cancel()
            }
        case .response, .errorResponse:
            break  // the host sends no answers in v1
        }
    }

    private func startStep(_ id: RequestID, _ params: JSONValue) {
        let request: StepRunRequest
        do { request = try StepRunRequest(json: params) } catch {
            send(.errorResponse(id: id, error: ResponseError(code: .invalidParams, message: "Invalid params: \(error)",
                                                            data: ["errors": [["path": .string(error.path), "message": .string(error.message)]]])))
            return
        }
        guard let (desc, handler) = steps.first(where: { $0.0.name == request.step.uses }) else {
            send(.errorResponse(id: id, error: ResponseError(code: .methodNotFound, message: "plugin '\(name)' has no step '\(request.step.uses)'")))
            return
        }
        // In a dry run, null stands for an output an earlier step could not know without doing its work (protocol: dryRun).
        let problems = JSONSchema.validate(.object(request.with), schema: desc.inputs, path: "with", isOpaque: { request.dryRun && $0.isNull })
        if !problems.isEmpty {
            send(.errorResponse(id: id, error: ResponseError(
                code: .invalidParams, message: "invalid inputs: " + problems.map(\.description).joined(separator: "; "),
                data: ["errors": .array(problems.map(\.json))])))
            return
        }
        let ctx = StepContext(id: id, request: request, server: self)
        let task = Task { [self] in
            let reply: Message
            do {
                let result = try await handler(ctx)
                reply = ctx.isCancelled ? .errorResponse(id: id, error: .cancelled()) : .response(id: id, result: result.json)
            } catch let e as ResponseError {
                reply = .errorResponse(id: id, error: e)
            } catch let e as StepFailureConvertible {
                reply = .errorResponse(id: id, error: e.stepFailure)
            } catch is CancellationError {
                reply = .errorResponse(id: id, error: .cancelled())
            } catch {
                reply = ctx.isCancelled ? .errorResponse(id: id, error: .cancelled())
                    : .errorResponse(id: id, error: ResponseError(code: .stepFailed, message: "\(error)"))
            }
            lock.withLock { tasks[id] = nil; contexts[id] = nil }
            send(reply)
        }
        lock.withLock {
            contexts[id] = ctx
            tasks[id] = task
        }
    }
}
