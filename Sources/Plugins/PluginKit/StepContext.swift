import Foundation
import StepMask
import StepProcess
import StepProtocol

/// One `step/run` as a plugin handler sees it: the request, and the way to
/// send `log`, `progress` and `mask` notifications that belong to it.
///
/// The host masks everything it prints; PluginKit masks too, before it splits
/// or truncates a line, with the secrets the step was granted and the values
/// passed to `mask`, so no log line holds part of one.
public final class StepContext: @unchecked Sendable {
    public let id: RequestID
    public let request: StepRunRequest
    let server: PluginServer
    private let lock = NSLock()
    private var cancelled = false
    private var children: [ChildProcess] = []
    /// The step's secrets and the values it asked the host to mask.
    public let masker = Masker()

    init(id: RequestID, request: StepRunRequest, server: PluginServer) {
        self.id = id
        self.request = request
        self.server = server
        for v in request.secrets.values { masker.add(v) }
    }

    /// The step's inputs.
    public var with: [String: JSONValue] { request.with }
    public var isDryRun: Bool { request.dryRun }
    public var isCancelled: Bool { lock.withLock { cancelled } }

    public func log(_ message: String, level: LogNotification.Level = .info, file: String? = nil, line: Int? = nil) {
        server.write(LogNotification(id: id, level: level, message: masker.mask(message), file: file, line: line).encodedLine(), now: false)
    }

    public func progress(_ message: String? = nil, completed: Double? = nil, total: Double? = nil) {
        server.send(.notification(method: ProgressNotification.method,
                                  params: ProgressNotification(id: id, message: message, completed: completed, total: total).json))
    }

    /// Asks the host to mask a value it derived (a token, say) in everything it prints or stores.
    public func mask(_ value: String) {
        masker.add(value)
        server.send(.notification(method: MaskNotification.method, params: MaskNotification(id: id, value: value).json))
    }

    /// The environment a command the plugin runs starts from: the plugin's own, without the protocol's variable.
    public var childEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "STEPHOST_PROTOCOL")
        return env
    }

    /// The environment of a user's command (exec's, a smoke test's): the plugin's own (with the CI context and
    /// `pass-env:`), `STEPHOST_RUN_ID`, `STEPHOST_STEP`, `STEPHOST_WORKSPACE`, the step's `env`, `extra`,
    /// then the secrets the step was granted.
    public func commandEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        var env = childEnvironment
        env["STEPHOST_RUN_ID"] = request.run.id
        env["STEPHOST_STEP"] = request.step.id
        env["STEPHOST_WORKSPACE"] = request.workspace
        for (k, v) in request.env { env[k] = v }
        for (k, v) in extra { env[k] = v }
        for (k, v) in request.secrets { env[k] = v }
        return env
    }

    /// A new path for a file of this step's own, in the step's `tempDir` (removed after the run).
    public func temporaryPath(_ prefix: String) -> String {
        "\(request.tempDir.isEmpty ? NSTemporaryDirectory() : request.tempDir)/\(prefix)-\(UUID().uuidString)"
    }

    /// A path as the user wrote it: relative to the workspace when it is inside it.
    public func relative(_ path: String) -> String {
        let base = request.workspace.hasSuffix("/") ? request.workspace : request.workspace + "/"
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }

    /// A duration input (`30s`, `1m30s`) in seconds, or `value` when the step does not give it.
    public func seconds(_ key: String, default value: Double) throws -> Double {
        guard let text = with[key]?.stringValue else { return value }
        do { return try StepDuration(parsing: text).seconds } catch { throw ResponseError.invalidInput("with.\(key)", error.message) }
    }

    /// A path made absolute against the workspace.
    public func path(_ p: String) -> String { p.hasPrefix("/") ? p : (request.workspace as NSString).appendingPathComponent(p) }

    func markCancelled() {
        let kids: [ChildProcess] = lock.withLock { cancelled = true; return children }
        for c in kids { c.stop(.tree, grace: 5) }
    }

    func stopChildren() {
        for c in lock.withLock({ children }) { c.signalTree(SIGKILL) }
    }

    /// The result of `runProcess` and `capture`.
    public struct ProcessResult: Sendable {
        public var status: ExitStatus
        /// What the command wrote to stdout and stderr, for `capture`; for `runProcess`, `stdout` is empty and
        /// `stderr` holds the last 64 KiB of both streams (what an error message needs).
        public var stdout: String = ""
        public var stderr: String = ""
        /// Whether the command was stopped because it ran longer than the `timeout` it was given.
        public var timedOut = false
        public var exitCode: Int { if case .exited(let c) = status { return Int(c) }; return 128 + Int({ if case .signaled(let s) = status { return s }; return 0 }()) }
        public var succeeded: Bool { status == .exited(0) }

        /// The last `n` lines the command wrote (masked; of `runProcess`'s combined tail), for an error message.
        public func lastLines(_ n: Int) -> [String] {
            Array(stderr.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.suffix(n))
        }
    }

    /// Runs a command with stdin from /dev/null, sending each line of its stdout
    /// and stderr to the host as `log` lines. `$/cancel` stops it and its children.
    /// With `timeout` (seconds), a command still running then gets SIGTERM (with its children), SIGKILL 2 s later,
    /// and its result says `timedOut`.
    ///
    /// By default (`stderr: .merged`) the command's stdout and stderr are one pipe, as at a terminal, so
    /// its lines keep the order it wrote them in; `.separate` reads stderr apart and logs its lines as warnings.
    public func runProcess(_ argv: [String], cwd: String? = nil, environment: [String: String], timeout: Double? = nil,
                           stderr: StderrMode = .merged) async throws -> ProcessResult {
        try await spawn(argv, cwd: cwd, environment: environment, captureStdout: false, timeout: timeout, stderr: stderr)
    }

    /// Where a command's stderr goes in `runProcess`.
    public enum StderrMode: String, Sendable {
        /// One pipe with stdout: the order the command wrote in is kept.
        case merged
        /// Its own pipe; its lines are logged as warnings (their order against stdout's is not kept).
        case separate
    }

    /// Runs a command like `runProcess`, but keeps its stdout (up to 16 MiB) and stderr (up to 1 MiB)
    /// instead of logging them.
    public func capture(_ argv: [String], cwd: String? = nil, environment: [String: String], timeout: Double? = nil) async throws -> ProcessResult {
        try await spawn(argv, cwd: cwd, environment: environment, captureStdout: true, timeout: timeout)
    }

    private func spawn(_ argv: [String], cwd: String?, environment: [String: String], captureStdout: Bool, timeout: Double?,
                       stderr mode: StderrMode = .merged) async throws -> ProcessResult {
        guard let exe = Command.which(argv[0], path: environment["PATH"]) else {
            throw ResponseError.stepFailed("command not found: \(argv[0])", hint: "install it or give its absolute path")
        }
        let out = LineSplitter(masker) { [weak self] l in self?.log(l) }
        let err = LineSplitter(masker) { [weak self] l in self?.log(l, level: mode == .separate ? .warning : .info) }
        let kept = ByteSink(limit: 16 << 20), keptErr = ByteSink(limit: 1 << 20), tail = ByteSink(limit: 64 << 10, keepLast: true)
        let eof = EOFCounter()
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable: exe, arguments: Array(argv.dropFirst()), environment: environment,
                directory: cwd ?? request.workspace, newProcessGroup: false, stdinFromNull: true,
                mergeStderr: !captureStdout && mode == .merged,
                onStdout: { b in
                    if b.isEmpty { if !captureStdout { out.finish() }; eof.done() } else if captureStdout { kept.add(b) } else { out.add(b); tail.add(b) }
                },
                onStderr: { b in
                    if b.isEmpty { if !captureStdout { err.finish() }; eof.done() } else if captureStdout { keptErr.add(b) } else { err.add(b); tail.add(b) }
                })
        } catch {
            throw ResponseError.stepFailed("cannot run \(argv[0]): \(error)")
        }
        let alreadyCancelled: Bool = lock.withLock { children.append(child); return cancelled }
        if alreadyCancelled { child.stop(.tree, grace: 5) }
        child.closeStdin()
        let expired = Locked(false)
        let deadline = timeout.map { seconds in
            let item = DispatchWorkItem {
                expired.withLock { $0 = true }
                child.stop(.tree, grace: 2)
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: item)
            return item
        }
        let status = await child.waitForExit()
        deadline?.cancel()
        await eof.wait()
        lock.withLock { children.removeAll { $0 === child } }
        if isCancelled { throw CancellationError() }
        return ProcessResult(status: status, stdout: kept.text, stderr: masker.mask(captureStdout ? keptErr.text : tail.text), timedOut: expired.current)
    }
}

/// Keeps a child's output up to a limit: the first bytes, or with `keepLast` the last ones.
final class ByteSink: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private let limit: Int
    private let keepLast: Bool
    init(limit: Int, keepLast: Bool = false) { self.limit = limit; self.keepLast = keepLast }
    func add(_ b: [UInt8]) {
        lock.withLock {
            if keepLast {
                bytes += b
                if bytes.count > 2 * limit { bytes.removeFirst(bytes.count - limit) }
            } else if bytes.count < limit {
                bytes += b.prefix(limit - bytes.count)
            }
        }
    }
    var text: String { lock.withLock { String(decoding: keepLast ? bytes.suffix(limit) : bytes[...], as: UTF8.self) } }
}

/// Masks a byte stream, then splits it into lines for `log` (a line is cut
/// at 64 KiB only after masking, so the cut never exposes part of a secret).
final class LineSplitter: @unchecked Sendable {
    private var tail = TailBuffer(maxLines: 1, maxLineBytes: 64 * 1024)
    private var stream: MaskStream
    private let lock = NSLock()
    private let emit: @Sendable (String) -> Void
    init(_ masker: Masker, _ emit: @escaping @Sendable (String) -> Void) { stream = MaskStream(masker); self.emit = emit }
    func add(_ b: [UInt8]) { for l in lock.withLock({ tail.append(stream.feed(b)) }) { emit(l) } }
    func finish() { for l in lock.withLock({ tail.append(stream.finish()) + tail.finish() }) { emit(l) } }
}

/// Waits until both output pipes of a child reached end of file.
final class EOFCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var waiter: CheckedContinuation<Void, Never>?
    func done() {
        let w: CheckedContinuation<Void, Never>? = lock.withLock {
            count += 1
            if count == 2, let w = waiter { waiter = nil; return w }
            return nil
        }
        w?.resume()
    }
    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if count >= 2 { lock.unlock(); c.resume(); return }
            waiter = c
            lock.unlock()
        }
    }
}
