import Foundation
import StepProcess
import StepProtocol
import Testing

/// Real services the plugin tests talk to, started per test on 127.0.0.1 and
/// stopped by `stop()`: Debian's docker-registry, and the fake HTTP servers of
/// Tests/Fixtures/fake-http.py for what cannot run here (GitHub, GHCR's token service).
final class LocalService: @unchecked Sendable {
    let process: ChildProcess
    let port: Int
    let log: String
    private let err: TestSupport.Buffer

    private init(process: ChildProcess, port: Int, log: String, err: TestSupport.Buffer) {
        self.process = process; self.port = port; self.log = log; self.err = err
    }

    var address: String { "127.0.0.1:\(port)" }

    /// Kills the service (its process group); the ChildProcess reaps it.
    func stop() {
        process.signalGroup(SIGKILL)
    }

    /// Each request the fake server recorded, oldest first.
    func requests() -> [JSONValue] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
    }

    static var haveRegistry: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-registry") }

    /// Debian's docker-registry with filesystem storage in a temporary folder; with `user`, Basic auth from an htpasswd file.
    static func registry(user: (String, String)? = nil) async throws -> LocalService {
        let dir = TestSupport.tempDir("registry")
        var lastError = ""
        for _ in 0..<5 {
            let port = freePort()
            var config = """
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: \(dir)/data
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:\(port)
              secret: stephost-tests

            """
            if let (name, password) = user {
                let r = try await TestSupport.run(["htpasswd", "-Bbn", name, password], cwd: dir)
                #expect(r.code == 0, "htpasswd: \(r.stderr)")
                TestSupport.write("\(dir)/htpasswd", r.stdout)
                config += "auth:\n  htpasswd:\n    realm: stephost-tests\n    path: \(dir)/htpasswd\n"
            }
            TestSupport.write("\(dir)/config.yml", config)
            let err = TestSupport.Buffer()
            let p = try ChildProcess(executable: "/usr/bin/docker-registry", arguments: ["serve", "\(dir)/config.yml"],
                                     environment: ProcessInfo.processInfo.environment, directory: dir,
                                     onStdout: { err.add($0) }, onStderr: { _ in })
            p.closeStdin()
            let service = LocalService(process: p, port: port, log: "", err: err)
            if try await TestSupport.waitUntil(20, { p.exitStatus == nil && service.answers() }) { return service }
            lastError = err.text
            service.stop()
        }
        Issue.record("docker-registry did not start: \(lastError)")
        throw CancellationError()
    }

    /// Tests/Fixtures/fake-http.py in `mode` (github, registry, service, webhook).
    static func fake(_ mode: String, arguments: [String] = [], env extra: [String: String] = [:]) async throws -> LocalService {
        try await script("fake-http.py", [mode], arguments, env: extra)
    }

    /// Tests/Fixtures/otlp-receiver.py: an OTLP/HTTP traces endpoint that parses what it gets with the
    /// OpenTelemetry project's message definitions (`ok`, `silent`, `status:CODE`).
    static func otlp(_ mode: String = "ok") async throws -> LocalService {
        try await script("otlp-receiver.py", [], [mode], env: [:])
    }

    /// A fixture server `Tests/Fixtures/NAME LEAD... LOG ARGS...` that prints its port, then serves.
    private static func script(_ name: String, _ lead: [String], _ arguments: [String], env extra: [String: String]) async throws -> LocalService {
        let log = "\(TestSupport.tempDir("fake-http"))/requests.jsonl"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in extra { env[k] = v }
        let out = TestSupport.Buffer(), err = TestSupport.Buffer()
        let p = try ChildProcess(executable: try #require(Command.which("python3")),
                                 arguments: ["\(TestSupport.repoRoot)/Tests/Fixtures/\(name)"] + lead + [log] + arguments,
                                 environment: env, directory: "/tmp", onStdout: { out.add($0) }, onStderr: { err.add($0) })
        p.closeStdin()
        guard try await TestSupport.waitUntil(20, { out.text.contains("\n") }), let port = Int(out.text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            p.signalGroup(SIGKILL)
            Issue.record("\(name) \(lead.joined(separator: " ")) did not start: \(err.text)")
            throw CancellationError()
        }
        return LocalService(process: p, port: port, log: log, err: err)
    }

    /// Whether something accepts connections on the port.
    func answers() -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }

    /// A TCP port nobody listens on now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
