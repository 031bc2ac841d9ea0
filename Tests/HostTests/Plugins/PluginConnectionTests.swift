import Foundation
import StepPlugins
import StepProtocol
import Testing

/// The host's side of the protocol against the fake plugin executable: the
/// fault matrix of docs/faults.md, one test per row.
@Suite("Plugin processes", .timeLimit(.minutes(3)))
struct PluginConnectionTests {
    func descriptor(_ args: [String] = [], file: String = "fake.yaml") -> PluginDescriptor {
        PluginDescriptor(name: "fake", command: [TestSupport.fake] + args, steps: ["fake"], file: file, origin: .commandLine, baseDirectory: "/")
    }

    func start(_ args: [String] = [], initTimeout: Double = 10, stderr: (@Sendable (String) -> Void)? = nil) async throws(PluginError) -> PluginConnection {
        try await PluginConnection.start(descriptor: descriptor(args), launch: PluginLaunch(executable: TestSupport.fake),
                                         environment: ["PATH": "/usr/bin:/bin"], workspace: "/tmp", hostVersion: "test",
                                         initTimeout: initTimeout, onStderrLine: { _, l in stderr?(l) })
    }

    func startError(_ args: [String], initTimeout: Double = 10) async -> PluginError? {
        do { let c = try await start(args, initTimeout: initTimeout); await c.shutdown(); return nil } catch { return error }
    }

    func request(_ with: [String: JSONValue], id: String = "s") -> JSONValue {
        StepRunRequest(step: .init(id: id, uses: "fake"),
                       run: .init(id: "r", workflow: "w", environment: nil, event: "manual", branch: "", sha: "", base: ""),
                       with: with, workspace: "/tmp", tempDir: "/tmp").json
    }

    func step(_ c: PluginConnection, _ with: [String: JSONValue], id: String = "s") async -> PluginConnection.Reply {
        await c.awaitReply(c.startRequest(StepRunRequest.method, request(with, id: id)))
    }

    func failure(_ r: PluginConnection.Reply) -> PluginFailure? { if case .failed(let f) = r { return f }; return nil }

    @Test("initializes, runs steps on one process, and shuts down cleanly")
    func happyPath() async throws {
        let c = try await start()
        #expect(c.initializeResult?.pluginVersion == "9.9.9")
        #expect(c.capabilities.cancel)
        guard case .result(let a) = await step(c, ["mode": "echo"]), case .result(let b) = await step(c, ["mode": "echo"]) else {
            Issue.record("echo failed"); return
        }
        #expect(a["outputs"]?["pid"] == b["outputs"]?["pid"])
        await c.shutdown()
        #expect(c.process.exitStatus == .exited(0))
    }

    @Test("routes log and mask notifications to the request they name")
    func notifications() async throws {
        let c = try await start()
        let got = Collected()
        let id = c.startRequest(StepRunRequest.method, request(["mode": "mask", "value": "s3cr3t-value"])) { got.add($0) }
        _ = await c.awaitReply(id)
        let notices = got.all
        #expect(notices.contains { if case .mask(let m) = $0 { return m.value == "s3cr3t-value" }; return false })
        #expect(notices.contains { if case .log(let l) = $0 { return l.message.contains("derived token") }; return false })
        await c.shutdown()
    }

    // MARK: fault matrix

    @Test("exit before initialize: names the plugin, its exit status and its stderr")
    func exitBeforeInitialize() async throws {
        let e = try #require(await startError(["--init", "exit"]), "the plugin must fail to start")
        #expect("\(e)".contains("plugin 'fake' failed to initialize"))
        #expect("\(e)".contains("exit status 7"))
        #expect("\(e)".contains("exiting before initialize"))
    }

    @Test("crash during initialize: reports the signal")
    func crashDuringInitialize() async throws {
        let e = try #require(await startError(["--init", "crash"]), "the plugin must fail to start")
        #expect("\(e)".contains("signal 6 (SIGABRT)"))
        #expect("\(e)".contains("last stderr lines"))
    }

    @Test("no answer to initialize within the init timeout")
    func initTimeout() async throws {
        let e = try #require(await startError(["--init", "hang"], initTimeout: 0.5), "the plugin must fail to start")
        guard case .initializeTimeout(let p, _, _) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(p == "fake")
        #expect("\(e)".contains("--init-timeout"))
    }

    @Test("wrong protocol version: names both versions")
    func wrongVersion() async throws {
        let e = try #require(await startError(["--init", "version:2"]), "the plugin must fail to start")
        #expect(e == .versionMismatch(plugin: "fake", host: 1, pluginVersion: 2))
    }

    @Test("garbage on stdout during initialize")
    func garbageInitialize() async throws {
        let e = try #require(await startError(["--init", "garbage"]), "the plugin must fail to start")
        #expect("\(e)".contains("is not JSON"))
    }

    @Test("missing or non-executable executable: names the descriptor file")
    func missingExecutable() async throws {
        for path in ["/nonexistent/plugin", "/etc/hostname"] {
            let d = PluginDescriptor(name: "ghost", command: [path], steps: ["ghost"], file: "/x/plugins.d/ghost.yaml", origin: .bundled, baseDirectory: "/")
            do {
                _ = try await PluginConnection.start(descriptor: d, launch: PluginLaunch(executable: path), environment: [:], workspace: "/tmp", hostVersion: "t",
                                                     initTimeout: 5, onStderrLine: { _, _ in })
                Issue.record("started \(path)")
            } catch {
                #expect("\(error)".contains("/x/plugins.d/ghost.yaml"))
                #expect("\(error)".contains(path))
            }
        }
    }

    @Test("crash in the middle of a step", arguments: [("crash", "exit status 3"), ("exit0", "exit status 0")])
    func crashMidStep(_ mode: String, _ status: String) async throws {
        let c = try await start()
        let f = failure(await step(c, ["mode": .string(mode)]))
        #expect(f?.kind == .exited)
        #expect(f?.message.contains("plugin 'fake' exited (\(status))") == true)
        #expect(f?.stderrTail.contains { $0.contains("mode \(mode)") } == true)
        #expect(failure(await step(c, ["mode": "echo"])) != nil, "a dead process serves no more steps")
        await c.shutdown()
    }

    @Test("protocol violations fail the step with the offending line quoted", arguments: [
        ("garbage", "is not JSON"), ("not-jsonrpc", "not a JSON-RPC 2.0 message"), ("unknown-id", "unknown request id 999999"),
        ("huge-line", "longer than 8 MiB"), ("deep-json", "nested too deeply"),
    ])
    func violations(_ mode: String, _ words: String) async throws {
        let c = try await start()
        let f = failure(await step(c, ["mode": .string(mode)]))
        #expect(f?.kind == .protocolViolation)
        #expect(f?.message.contains(words) == true, "\(String(describing: f))")
        #expect(f?.message.contains("plugin 'fake'") == true)
        await c.shutdown()
        #expect(c.process.exitStatus != nil, "the violating process is stopped")
    }

    @Test("stdout closed while the process keeps running")
    func stdoutClosed() async throws {
        let c = try await start()
        let f = failure(await step(c, ["mode": "close-stdout"]))
        #expect(f?.kind == .stdoutClosed)
        await c.shutdown()
    }

    @Test("100 MB of stderr: the host keeps a bounded tail and the step succeeds")
    func stderrFlood() async throws {
        let count = Collected()
        let c = try await start(stderr: { _ in count.tick() })
        guard case .result = await step(c, ["mode": "stderr-flood", "bytes": 100_000_000]) else { Issue.record("flood step failed"); return }
        #expect(c.stderrTail.count <= 40)
        #expect(count.ticks > 90_000)
        await c.shutdown()
    }

    @Test("a plugin that ignores $/cancel and SIGTERM is killed")
    func ignoresCancel() async throws {
        let c = try await start()
        let got = Collected()
        let id = c.startRequest(StepRunRequest.method, request(["mode": "ignore-cancel"])) { got.add($0) }
        #expect(try await TestSupport.waitUntil(20) { !got.all.isEmpty }, "the plugin never said it was in the step")
        c.cancel(id)
        c.terminate(reason: "plugin process terminated")
        let f = failure(await c.awaitReply(id))
        #expect(f?.message.contains("terminated") == true)
        #expect(c.teardown == .sigkill)
        await c.shutdown()
    }

    @Test("a plugin that supports $/cancel answers -32800")
    func cancel() async throws {
        let c = try await start()
        let got = Collected()
        let id = c.startRequest(StepRunRequest.method, request(["mode": "hang"])) { got.add($0) }
        #expect(try await TestSupport.waitUntil(20) { !got.all.isEmpty }, "the plugin never said it was in the step")
        c.cancel(id)
        guard case .error(let e) = await c.awaitReply(id) else { Issue.record("no error reply"); return }
        #expect(e.code == .requestCancelled)
        await c.shutdown()
        #expect(c.process.exitStatus == .exited(0))
    }
}

final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [PluginConnection.Notice] = []
    private var n = 0
    func add(_ x: PluginConnection.Notice) { lock.withLock { items.append(x) } }
    func tick() { lock.withLock { n += 1 } }
    var all: [PluginConnection.Notice] { lock.withLock { items } }
    var ticks: Int { lock.withLock { n } }
}
