import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process in its own process group, with its three standard streams
/// on pipes.
///
/// stdout and stderr are each drained by a dedicated thread with blocking
/// reads (Foundation's readability handlers are unreliable at end of file on
/// Linux); a third thread waits for the exit status, so that status is read only
/// once the process has really ended.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let executable: String
    private let stdinFD: Int32
    private let lock = NSLock()
    private var stdinOpen = true
    private var status: ExitStatus?
    private var exitWaiters: [CheckedContinuation<ExitStatus, Never>] = []
    private let exited = DispatchSemaphore(value: 0)
    private let writeQueue: DispatchQueue

    public enum SpawnError: Error, Sendable, CustomStringConvertible {
        case notFound(String)
        case notExecutable(String)
        case failed(String, Int32)
        public var description: String {
            switch self {
            case .notFound(let p): return "executable '\(p)' does not exist"
            case .notExecutable(let p): return "'\(p)' is not executable (make it so: chmod +x '\(p)')"
            case .failed(let p, let e): return "cannot start '\(p)': \(String(cString: strerror(e)))"
            }
        }
    }

    /// Starts `executable` with `arguments` (argv[1...]) in `directory`, with exactly `environment`;
    /// `argv0` is the name it is started by (default: `executable`), so one multi-call binary can be
    /// started as each of its programs.
    ///
    /// `onStdout` gets raw chunks and then an empty chunk at end of file; `onStderr` likewise. With
    /// `mergeStderr`, the child's stdout and stderr are one pipe, as a terminal is, so what it writes keeps
    /// its order; it all arrives through `onStdout`, and `onStderr` gets only its end of file.
    public init(executable: String, argv0: String? = nil, arguments: [String], environment: [String: String], directory: String,
                newProcessGroup: Bool = true, stdinFromNull: Bool = false, guarded: Bool = true, mergeStderr: Bool = false,
                onStdout: @escaping @Sendable ([UInt8]) -> Void,
                onStderr: @escaping @Sendable ([UInt8]) -> Void,
                onExit: @escaping @Sendable (ExitStatus) -> Void = { _ in }) throws(SpawnError) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: executable, isDirectory: &isDir) else { throw .notFound(executable) }
        guard !isDir.boolValue, access(executable, X_OK) == 0 else { throw .notExecutable(executable) }
        ChildProcess.ignoreSIGPIPE

        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard GlibcExtras.cloexecPipe(&inPipe) == 0 else { throw .failed(executable, errno) }
        guard GlibcExtras.cloexecPipe(&outPipe) == 0 else { close(inPipe[0]); close(inPipe[1]); throw .failed(executable, errno) }
        guard GlibcExtras.cloexecPipe(&errPipe) == 0 else {
            [inPipe[0], inPipe[1], outPipe[0], outPipe[1]].forEach { close($0) }
            throw .failed(executable, errno)
        }

        // Every setup call's result is checked: the first one that fails stops the spawn with its error.
        var setup: Int32 = 0
        func check(_ rc: Int32) { if setup == 0 && rc != 0 { setup = rc } }
        var actions = posix_spawn_file_actions_t()
        check(posix_spawn_file_actions_init(&actions))
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdinFromNull {
            check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0))
        } else {
            check(posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0))
        }
        check(posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1))
        check(posix_spawn_file_actions_adddup2(&actions, mergeStderr ? outPipe[1] : errPipe[1], 2))
        var argvFront: [String] = [argv0 ?? executable]
        var program = executable
        if !GlibcExtras.addChdir(&actions, directory) {
            // Old glibc: let a shell change directory, then exec the program (by its own path: a multi-call
            // binary then needs its plugins' names beside it, as scripts/install.sh makes them).
            program = "/bin/sh"
            argvFront = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory, argv0.map { "\((executable as NSString).deletingLastPathComponent)/\($0)" } ?? executable]
        }

        var attr = posix_spawnattr_t()
        check(posix_spawnattr_init(&attr))
        defer { posix_spawnattr_destroy(&attr) }
        // Own process group (so the whole group can be signalled), default signal
        // dispositions (the host ignores SIGPIPE; children must not inherit that), empty mask.
        check(posix_spawnattr_setpgroup(&attr, 0))
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, s) }
        check(posix_spawnattr_setsigdefault(&attr, &defaults))
        var mask = sigset_t()
        sigemptyset(&mask)
        check(posix_spawnattr_setsigmask(&attr, &mask))
        check(posix_spawnattr_setflags(&attr, Int16((newProcessGroup ? POSIX_SPAWN_SETPGROUP : 0) | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)))
        guard setup == 0 else {
            [inPipe[0], inPipe[1], outPipe[0], outPipe[1], errPipe[0], errPipe[1]].forEach { close($0) }
            throw .failed(executable, setup)
        }

        let argv = (argvFront + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, program, &actions, &attr, argv, envp)
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard rc == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw .failed(executable, rc)
        }
        let spawned = child
        pid = spawned
        // A process in its own group is one the host must stop: the guardian watches it.
        let watched = guarded && newProcessGroup
        ProcessGuard.spawned(spawned, watch: watched)
        self.executable = executable
        stdinFD = inPipe[1]
        writeQueue = DispatchQueue(label: "stephost.stdin.\(spawned)")
        let outFD = outPipe[0], errFD = errPipe[0]
        ChildProcess.startReader(out: outFD, err: errFD, pid: spawned, onStdout: onStdout, onStderr: onStderr)
        let t = Thread { [self] in
            var raw: Int32 = 0
            while waitpid(spawned, &raw, 0) < 0 && errno == EINTR {}
            ProcessGuard.reaped(spawned, watched: watched)
            let st: ExitStatus = (raw & 0x7f) == 0 ? .exited((raw >> 8) & 0xff) : .signaled(raw & 0x7f)
            lock.lock()
            status = st
            let waiters = exitWaiters
            exitWaiters = []
            lock.unlock()
            exited.signal()
            onExit(st)
            waiters.forEach { $0.resume(returning: st) }
        }
        t.name = "stephost.wait.\(spawned)"
        t.start()
    }

    private static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN); return () }()

    /// One thread reads both pipes (poll): whatever the child wrote to stderr before a stdout chunk is
    /// delivered before that chunk, so a plugin's stderr lines are in hand when its answer arrives (no wait
    /// "for stderr to catch up"). Each stream's end of file is an empty chunk; the thread ends after both.
    private static func startReader(out: Int32, err: Int32, pid: pid_t,
                                    onStdout: @escaping @Sendable ([UInt8]) -> Void, onStderr: @escaping @Sendable ([UInt8]) -> Void) {
        _ = fcntl(err, F_SETFL, fcntl(err, F_GETFL) | O_NONBLOCK)
        let t = Thread {
            var buf = [UInt8](repeating: 0, count: 65536)
            var outOpen = true, errOpen = true
            /// Reads what `fd` has now (all of it for a non-blocking stderr); false at its end of file.
            func drain(_ fd: Int32, once: Bool, _ deliver: @Sendable ([UInt8]) -> Void) -> Bool {
                while true {
                    let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n > 0 { deliver(Array(buf[0..<n])); if once { return true }; continue }
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return true }
                    close(fd)
                    deliver([])
                    return false
                }
            }
            while outOpen || errOpen {
                var fds = [pollfd(fd: outOpen ? out : -1, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: errOpen ? err : -1, events: Int16(POLLIN), revents: 0)]
                let r = poll(&fds, 2, -1)
                if r < 0 { if errno == EINTR { continue }; break }
                // stderr first: what the child wrote there came before the stdout chunk that woke us, or with it.
                if errOpen && fds[1].revents != 0 { errOpen = drain(err, once: false, onStderr) }
                if outOpen && fds[0].revents != 0 {
                    if errOpen { errOpen = drain(err, once: false, onStderr) }
                    outOpen = drain(out, once: true, onStdout)
                }
            }
            if outOpen { close(out); onStdout([]) }
            if errOpen { close(err); onStderr([]) }
        }
        t.name = "stephost.pipes.\(pid)"
        // Decoding recurses once per nesting level (bounded by JSONParser.maxDepth); debug builds need room.
        t.stackSize = 16 << 20
        t.start()
    }

    /// The exit status, once the process has ended.
    public var exitStatus: ExitStatus? { lock.lock(); defer { lock.unlock() }; return status }

    /// Waits for the process to end.
    public func waitForExit() async -> ExitStatus {
        await withCheckedContinuation { (c: CheckedContinuation<ExitStatus, Never>) in
            lock.lock()
            if let s = status { lock.unlock(); c.resume(returning: s); return }
            exitWaiters.append(c)
            lock.unlock()
        }
    }

    /// Blocks the calling thread up to `seconds` for the process to end.
    public func waitForExit(seconds: Double) -> ExitStatus? {
        if let s = exitStatus { return s }
        if exited.wait(timeout: .now() + seconds) == .success { exited.signal(); return exitStatus }
        return nil
    }

    /// Writes bytes to the child's stdin, in order; a closed pipe is ignored.
    public func write(_ bytes: [UInt8]) {
        writeQueue.async { [self] in
            lock.lock()
            let open = stdinOpen
            lock.unlock()
            guard open else { return }
            FileDescriptor.writeAll(stdinFD, bytes)
        }
    }

    /// Closes stdin after every queued write.
    public func closeStdin() {
        writeQueue.async { [self] in
            lock.lock()
            defer { lock.unlock() }
            if stdinOpen { stdinOpen = false; close(stdinFD) }
        }
    }
}
