import Foundation

/// Runs a short external command (git) to completion and collects its output.
public enum Command {
    public struct Output: Sendable {
        public var status: ExitStatus
        public var stdout: String
        public var stderr: String
        public var succeeded: Bool { status == .exited(0) }
    }

    /// Finds `name` in `PATH` (or returns it when it holds a `/`).
    public static func which(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        if name.contains("/") { return name }
        for dir in (path ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Runs a command to its end with `input` on its stdin (none: at end of file at once).
    public static func run(_ argv: [String], cwd: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                           input: [UInt8] = []) async throws(ChildProcess.SpawnError) -> Output {
        guard let exe = which(argv[0], path: environment["PATH"]) else { throw .notFound(argv[0]) }
        let collector = Collector()
        let p = try ChildProcess(executable: exe, arguments: Array(argv.dropFirst()), environment: environment, directory: cwd,
                                 onStdout: { collector.add($0, err: false) }, onStderr: { collector.add($0, err: true) })
        if !input.isEmpty { p.write(input) }
        p.closeStdin()
        let status = await p.waitForExit()
        await collector.waitForEOF()
        return Output(status: status, stdout: collector.text(err: false), stderr: collector.text(err: true))
    }

    /// Runs a short command from synchronous code without Swift concurrency (a reporter, the CLI's
    /// entry point): blocks the calling thread up to `timeout` seconds, then kills the command's
    /// process group. Nil when it could not start or did not end in time.
    public static func runAndWait(_ argv: [String], cwd: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                                  input: [UInt8] = [], timeout: Double) -> Output? {
        guard let exe = which(argv[0], path: environment["PATH"]) else { return nil }
        let collector = Collector()
        let drained = DispatchGroup()
        drained.enter(); drained.enter()
        guard let p = try? ChildProcess(executable: exe, arguments: Array(argv.dropFirst()), environment: environment, directory: cwd,
                                        onStdout: { collector.add($0, err: false); if $0.isEmpty { drained.leave() } },
                                        onStderr: { collector.add($0, err: true); if $0.isEmpty { drained.leave() } }) else { return nil }
        if !input.isEmpty { p.write(input) }
        p.closeStdin()
        guard let status = p.waitForExit(seconds: timeout) else {
            p.signalGroup(SIGKILL)
            return nil
        }
        _ = drained.wait(timeout: .now() + 2)
        return Output(status: status, stdout: collector.text(err: false), stderr: collector.text(err: true))
    }

    private final class Collector: @unchecked Sendable {
        private let lock = NSLock()
        private var out: [UInt8] = [], err: [UInt8] = []
        private var eofs = 0
        private var waiter: CheckedContinuation<Void, Never>?

        func add(_ bytes: [UInt8], err isErr: Bool) {
            lock.lock()
            if bytes.isEmpty {
                eofs += 1
                let w = eofs == 2 ? waiter : nil
                if w != nil { waiter = nil }
                lock.unlock()
                w?.resume()
                return
            }
            if isErr { err += bytes } else { out += bytes }
            lock.unlock()
        }

        func waitForEOF() async {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                lock.lock()
                if eofs == 2 { lock.unlock(); c.resume(); return }
                waiter = c
                lock.unlock()
            }
        }

        func text(err isErr: Bool) -> String { lock.withLock { String(decoding: isErr ? err : out, as: UTF8.self) } }
    }
}
