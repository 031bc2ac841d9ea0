import Foundation
import StepProtocol
import Testing

/// smoke-test against a real local HTTP server (Tests/Fixtures/fake-http.py's service mode)
/// and real commands: expectations, retries, the body it keeps.
@Suite("smoke-test", .timeLimit(.minutes(2)))
struct SmokeTestTests {
    /// The service a smoke test asks, answering from a fake-modal state with `exec__x__v1` deployed in dev.
    func service(unhealthy: Int = 0) async throws -> LocalService {
        let state = "\(TestSupport.tempDir("smoke-state"))/state.json"
        TestSupport.write(state, #"{"apps": {"dev": {"theory-rt": {"exec__x__v1": {"image": "ghcr.io/acme/x@sha256:feed", "secrets": []}}}}}"#)
        return try await LocalService.fake("service", arguments: [state], env: ["FAKE_UNHEALTHY": String(unhealthy)])
    }

    func call(_ with: [String: JSONValue], secrets: [String: String] = [:], dryRun: Bool = false) -> PluginCall {
        var c = PluginCall(plugin: "smoke-test", with: with, workspace: TestSupport.tempDir("smoke-ws"), secrets: secrets)
        c.dryRun = dryRun
        return c
    }

    @Test("retries until the service is healthy, then checks status and JSON paths")
    func retries() async throws {
        let web = try await service(unhealthy: 2)
        defer { web.stop() }
        let o = try await call(["http": ["url": .string("http://\(web.address)/dev/exec__x__v1")],
                                "expect": ["status": 200, "json": ["status": "ok", "image": "ghcr.io/acme/x@sha256:feed"]],
                                "attempts": 3, "interval": "100ms"]).send()
        #expect(o.error == nil, "\(o.transcript)")
        #expect(o.outputs["attempts"] == 3 && o.outputs["status"] == 200)
        #expect(try JSONParser.parse(o.outputs["body"]?.stringValue ?? "")["function"] == "exec__x__v1")
        #expect(web.requests().count == 3)
        #expect(o.logs.filter { $0.contains("HTTP 503, expected 200") }.count == 2, "\(o.logs)")
    }

    @Test("a value that differs fails after the attempts, naming the path, what it found and what it wanted")
    func mismatch() async throws {
        let web = try await service()
        defer { web.stop() }
        let o = try await call(["http": ["url": .string("http://\(web.address)/dev/exec__x__v1")],
                                "expect": ["json": ["image": "ghcr.io/acme/x@sha256:beef", "missing.key": 1]],
                                "attempts": 2, "interval": "50ms"]).send()
        #expect(o.error?.code == .stepFailed)
        let message = o.error?.message ?? ""
        #expect(message.contains(#"image is "ghcr.io/acme/x@sha256:feed", expected "ghcr.io/acme/x@sha256:beef""#), "\(message)")
        #expect(message.contains("missing.key is missing, expected 1") && message.contains("after 2 tries"), "\(message)")
        #expect(o.error?.data?["outputs"]?["status"] == 200 && o.error?.data?["outputs"]?["attempts"] == 2)
        #expect(web.requests().count == 2)
    }

    @Test("a 404 and a refused connection are failures that say so")
    func notThere() async throws {
        let web = try await service()
        defer { web.stop() }
        let missing = try await call(["http": ["url": .string("http://\(web.address)/dev/exec__y__v1")]]).send()
        #expect(missing.error?.message.contains("HTTP 404, expected 200") == true, "\(missing.transcript)")
        let port = LocalService.freePort()
        let refused = try await call(["http": ["url": .string("http://127.0.0.1:\(port)/health")], "attempts": 2, "interval": "10ms"]).send()
        #expect(refused.error?.message.contains("GET http://127.0.0.1:\(port)/health: connection refused") == true, "\(refused.transcript)")
        #expect(refused.error?.data?["outputs"]?["status"] == .null)
    }

    @Test("a command: exit status, text it prints, JSON paths into lists; its secrets are masked in the body")
    func command() async throws {
        let ok = try await call(["run": #"printf '{"items": [{"name": "a"}, {"name": "b"}], "token": "%s"}' "$API_TOKEN""#,
                                 "expect": ["contains": "items", "json": ["items.1.name": "b"]]],
                                secrets: ["API_TOKEN": "tok-secret-5678"]).send()
        #expect(ok.error == nil, "\(ok.transcript)")
        #expect(ok.outputs["exitCode"] == 0)
        #expect(ok.outputs["body"]?.stringValue?.contains("tok-secret-5678") == false)
        #expect(ok.outputs["body"]?.stringValue?.contains(#""token": "***""#) == true, "\(ok.outputs)")

        let failing = try await call(["run": "echo not ready; exit 3", "expect": ["exit-code": 0, "contains": "ready!"]]).send()
        #expect(failing.error?.message.contains("exit status 3, expected 0") == true, "\(failing.transcript)")
        #expect(failing.error?.message.contains("does not contain 'ready!'") == true)
        #expect(failing.error?.data?["exitCode"] == 3)
        let expected = try await call(["run": "exit 3", "expect": ["exit-code": 3]]).send()
        #expect(expected.error == nil, "an expected non-zero status passes")
    }

    @Test("the body kept is at most 64 KiB, never cutting a character in two")
    func bodyLimit() async throws {
        let o = try await call(["run": "head -c 100000 /dev/zero | tr '\\\\0' x"]).send()
        #expect(o.error == nil, "\(o.transcript)")
        #expect(o.outputs["body"]?.stringValue?.utf8.count == 64 * 1024)
        // After one 'x', the two-byte 'é's put the 64 KiB mark in the middle of one: that one is left out.
        let wide = try await call(["run": "printf 'x'; for i in $(seq 40000); do printf '\\303\\251'; done"]).send()
        let body = wide.outputs["body"]?.stringValue ?? ""
        #expect(body.utf8.count == 64 * 1024 - 1 && body.hasSuffix("é") && body.hasPrefix("xé"), "\(body.utf8.count)")
    }

    @Test("run and http together, or neither, is invalid input; a dry run asks nothing")
    func invalidAndDry() async throws {
        let both = try await call(["run": "true", "http": ["url": "http://127.0.0.1:1/"]]).send()
        #expect(both.error?.code == .invalidParams)
        let neither = try await call([:]).send()
        #expect(neither.error?.code == .invalidParams)
        let badURL = try await call(["http": ["url": "ftp://example.com/x"]]).send()
        #expect(badURL.error?.code == .invalidParams && badURL.error?.message.contains("with.http.url") == true)
        let mixed = try await call(["run": "true", "expect": ["status": 200]]).send()
        #expect(mixed.error?.code == .invalidParams && mixed.error?.message.contains("with.expect.status") == true, "\(mixed.transcript)")
        let web = try await service()
        defer { web.stop() }
        let dry = try await call(["http": ["url": .string("http://\(web.address)/dev/exec__x__v1")], "attempts": 3], dryRun: true).send()
        #expect(dry.error == nil)
        #expect(dry.result?.summary?.contains("would check GET http://\(web.address)/dev/exec__x__v1 (up to 3 tries") == true, "\(dry.transcript)")
        #expect(web.requests().isEmpty)
    }

    @Test("cancelled while it waits between tries: -32800 at once")
    func cancel() async throws {
        var c = call(["run": "echo down; exit 1", "attempts": 5, "interval": "30s"])
        let started = Date()
        c.cancelWhen = { Date().timeIntervalSince(started) > 1 }
        let o = try await c.send(timeout: 20)
        #expect(o.error?.code == .requestCancelled, "\(o.transcript)")
    }
}
