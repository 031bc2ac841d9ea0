import Foundation
import StepProcess
import StepProtocol
import Testing

nonisolated(unsafe) private var scratchRootForExit: UnsafeMutablePointer<CChar>?

/// Paths of the built executables and helpers to run them with time limits.
enum TestSupport {
    /// The build folder: the test bundle sits next to `stephost` and the plugins.
    static let binDir: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = (exe as NSString).deletingLastPathComponent
        while !FileManager.default.fileExists(atPath: "\(dir)/stephost") && dir != "/" { dir = (dir as NSString).deletingLastPathComponent }
        return dir
    }()
    static var stephost: String { "\(binDir)/stephost" }
    static var fake: String { "\(binDir)/stephost-fake-plugin" }
    /// In CI (`CI` set) every suite runs: one whose tool is missing fails there instead of skipping.
    static let inCI = ProcessInfo.processInfo.environment["CI"] != nil
    /// The heavy end-to-end suites (many image builds, act with several jobs, a Swift package build) run in a pass
    /// of their own: `STEPHOST_SLOW_TESTS=1 swift test --filter …` (.ci/run names them).
    static let slowPass = ProcessInfo.processInfo.environment["STEPHOST_SLOW_TESTS"] == "1"
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// One folder per test process for everything the tests create; removed when the process exits.
    static let scratchRoot: String = {
        var template = Array("\(NSTemporaryDirectory())/stephost-tests-XXXXXX".utf8CString)
        let root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        scratchRootForExit = strdup(root)
        atexit {
            guard let p = scratchRootForExit else { return }
            try? FileManager.default.removeItem(atPath: String(cString: p))
        }
        return resolvedPath(root)
    }()

    /// Whether python3 can import `modules` (a suite's condition: it runs where they are, and always in CI).
    static func pythonImports(_ modules: String) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import \(modules)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    static func tempDir(_ name: String = "t") -> String {
        var template = Array("\(scratchRoot)/\(name)-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    static func resolvedPath(_ p: String) -> String {
        guard let r = realpath(p, nil) else { return p }
        defer { free(r) }
        return String(cString: r)
    }

    /// Writes a fixture. The descriptor is close-on-exec: tests spawn processes all the time, and a
    /// child that inherited it would keep a script "busy" (ETXTBSY) for whoever runs it next.
    static func write(_ path: String, _ text: String) { write(path, bytes: Array(text.utf8)) }

    static func write(_ path: String, bytes: [UInt8]) {
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        #expect(fd >= 0, "cannot write the fixture \(path): \(String(cString: strerror(errno)))")
        guard fd >= 0 else { return }
        #expect(FileDescriptor.writeAll(fd, bytes) == 0, "cannot write the fixture \(path)")
        close(fd)
    }

    /// Copies a folder's files (modes kept) with `write`'s close-on-exec descriptors, so a copied
    /// script is never "busy" when it is run (FileManager's copy leaves that race open).
    static func copyTree(_ from: String, to: String, skipping: Set<String> = []) throws {
        let fm = FileManager.default
        guard let walk = fm.enumerator(atPath: from) else { throw CocoaError(.fileReadNoSuchFile) }
        while let relative = walk.nextObject() as? String {
            if relative.split(separator: "/").contains(where: { skipping.contains(String($0)) }) { continue }
            let source = "\(from)/\(relative)", target = "\(to)/\(relative)"
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: source, isDirectory: &isDir), !isDir.boolValue else { continue }
            write(target, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: source))))
            if let mode = try fm.attributesOfItem(atPath: source)[.posixPermissions] {
                try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: target)
            }
        }
    }

    struct Result {
        var code: Int32
        var stdout: String
        var stderr: String
        var output: String { stdout + stderr }
        /// The run summary `stephost run --json` printed.
        func summary() throws -> JSONValue { try JSONParser.parse(stdout) }
    }

    /// Runs a command; a run that outlives `timeout` is killed and fails the test.
    static func run(_ argv: [String], cwd: String, env extra: [String: String] = [:], timeout: Double = 60) async throws -> Result {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "GITHUB_ACTIONS")
        for (k, v) in extra { env[k] = v }
        let out = Buffer(), err = Buffer()
        let executable = try #require(argv[0].hasPrefix("/") ? argv[0] : Command.which(argv[0]), "\(argv[0]) is not in PATH")
        let p = try ChildProcess(executable: executable, arguments: Array(argv.dropFirst()),
                                 environment: env, directory: cwd, onStdout: { out.add($0) }, onStderr: { err.add($0) })
        p.closeStdin()
        let status = await waitForExit(p, within: timeout)
        let closed = await out.waitEOF()
        let closedErr = await err.waitEOF()
        #expect(closed && closedErr, "\(argv.joined(separator: " ")) exited, but a process it started still holds its output open")
        guard case .exited(let code) = status else {
            Issue.record("\(argv.joined(separator: " ")) ended by \(status) (time limit \(timeout)s)\n\(err.text)")
            return Result(code: -1, stdout: out.text, stderr: err.text)
        }
        return Result(code: code, stdout: out.text, stderr: err.text)
    }

    static func stephost(_ args: [String], cwd: String, env: [String: String] = [:], timeout: Double = 60) async throws -> Result {
        try await run([stephost] + args, cwd: cwd, env: env, timeout: timeout)
    }

    /// A `stephost` started in the background, with its output collected.
    struct Background {
        let process: ChildProcess
        let out: Buffer, err: Buffer
    }

    static func startStephost(_ args: [String], cwd: String, env extra: [String: String] = [:]) throws -> Background {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "GITHUB_ACTIONS")
        for (k, v) in extra { env[k] = v }
        let out = Buffer(), err = Buffer()
        let p = try ChildProcess(executable: stephost, arguments: args, environment: env, directory: cwd,
                                 onStdout: { out.add($0) }, onStderr: { err.add($0) })
        p.closeStdin()
        return Background(process: p, out: out, err: err)
    }

    /// Waits for a process to exit; past `seconds` its process group is killed (and the wait goes on, for the reaping only).
    @discardableResult
    static func waitForExit(_ p: ChildProcess, within seconds: Double) async -> StepProcess.ExitStatus {
        let killer = DispatchWorkItem { p.signalGroup(SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: killer)
        let status = await p.waitForExit()
        killer.cancel()
        return status
    }

    /// Waits up to `seconds` for `condition`; returns whether it came true.
    static func waitUntil(_ seconds: Double, _ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return condition()
    }

    /// Whether a process exists and is not a zombie waiting to be reaped.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    /// Runs git in `dir`, expecting it to succeed; returns its stdout, trimmed.
    static func git(_ dir: String, _ args: [String]) async throws -> String {
        let r = try await run(["git", "-C", dir] + args, cwd: "/tmp")
        #expect(r.code == 0, "git \(args): \(r.stderr)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// This repository's tracked text files that `include` picks, path -> text (as they are in the working tree).
    static func repositoryFiles(_ include: (String) -> Bool) async throws -> [String: String] {
        var files: [String: String] = [:]
        for path in try await trackedFiles() where include(path) && !isBinary(path) {
            files[path] = try? String(contentsOfFile: "\(repoRoot)/\(path)", encoding: .utf8)
        }
        return files
    }

    /// This repository's tracked binary files (pictures) that `include` picks, path -> bytes.
    static func repositoryBinaries(_ include: (String) -> Bool) async throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for path in try await trackedFiles() where include(path) && isBinary(path) {
            files[path] = FileManager.default.contents(atPath: "\(repoRoot)/\(path)").map { [UInt8]($0) }
        }
        return files
    }

    static func trackedFiles() async throws -> [String] {
        try await run(["git", "ls-files"], cwd: repoRoot).stdout.split(separator: "\n").map(String.init)
    }

    static func isBinary(_ path: String) -> Bool { [".png", ".jpg", ".gif"].contains { path.hasSuffix($0) } }

    /// A git repository with the given files committed; returns its path.
    static func gitRepo(_ files: [String: String], binaries: [String: [UInt8]] = [:]) async throws -> String {
        let dir = tempDir("repo")
        for (path, text) in files { write("\(dir)/\(path)", text) }
        for (path, bytes) in binaries { write("\(dir)/\(path)", bytes: bytes) }
        for cmd in [["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                    ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first", "--allow-empty"]] {
            let r = try await run(cmd, cwd: dir)
            #expect(r.code == 0, "\(cmd): \(r.stderr)")
        }
        return dir
    }

    static func commit(_ dir: String, _ files: [String: String], message: String = "change") async throws -> String {
        for (path, text) in files { write("\(dir)/\(path)", text) }
        _ = try await run(["git", "add", "-A"], cwd: dir)
        _ = try await run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message], cwd: dir)
        return try await run(["git", "rev-parse", "HEAD"], cwd: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A process's output as it arrives; end-of-file is an empty chunk.
    final class Buffer: @unchecked Sendable {
        private let lock = NSLock()
        private var data: [UInt8] = []
        private var eof = false
        private var waiters: [UUID: CheckedContinuation<Bool, Never>] = [:]
        func add(_ b: [UInt8]) {
            let ready: [CheckedContinuation<Bool, Never>] = lock.withLock {
                if b.isEmpty { eof = true; defer { waiters = [:] }; return Array(waiters.values) }
                data += b
                return []
            }
            for w in ready { w.resume(returning: true) }
        }

        /// Waits for end-of-file for at most `seconds`; false when it did not come (something the
        /// process started still holds the pipe open), so a leaked grandchild cannot hang a test.
        func waitEOF(within seconds: Double = 10) async -> Bool {
            let token = UUID()
            return await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                lock.lock()
                if eof { lock.unlock(); c.resume(returning: true); return }
                waiters[token] = c
                lock.unlock()
                DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                    let late = self.lock.withLock { self.waiters.removeValue(forKey: token) }
                    late?.resume(returning: false)
                }
            }
        }
        var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
    }
}

extension JSONValue {
    /// A run summary's steps by id.
    var stepsByID: [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for st in self["steps"]?.arrayValue ?? [] { if let id = st["id"]?.stringValue { out[id] = st } }
        return out
    }
}
